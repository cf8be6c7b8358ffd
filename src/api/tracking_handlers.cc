#include "api/routes.h"
#include "base/json_writer.h"
#include "base/strings.h"

namespace siyu::api {

namespace {

// The write key from HTTP Basic (user name, empty password), if the header is there.
Result<std::optional<std::string>> BasicKey(const http::Request& req) {
    const std::string* authz = req.Header("authorization");
    if (authz == nullptr) return std::optional<std::string>();
    std::string_view value = Trim(*authz);
    if (value.size() < 6 || ToLower(value.substr(0, 6)) != "basic ") {
        return Status::Unauthenticated("use HTTP Basic with the write key as the user name");
    }
    std::string decoded;
    if (!Base64Decode(Trim(value.substr(6)), &decoded)) return Status::Unauthenticated("malformed Basic credentials");
    return std::optional<std::string>(decoded.substr(0, decoded.find(':')));
}

Result<auth::Principal> WriteKeyPrincipal(Services& svc, const std::string& key) {
    auto p = svc.accounts.AuthenticateKey(key);
    if (!p.ok() || p->kind != auth::Principal::Kind::kWriteKey) {
        return Status::Unauthenticated("a valid write key (wk_...) is required");
    }
    return std::move(p).value();
}

Result<http::Response> Track(http::Request& req, Services& svc, const std::string& endpoint) {
    TimeMs received_at = NowMs();
    cdp::MessageLimits limits{static_cast<size_t>(svc.config.tracking_max_message_bytes),
                              static_cast<size_t>(svc.config.tracking_max_batch_bytes)};
    SIYU_ASSIGN_OR_RETURN(auto basic_key, BasicKey(req));
    std::optional<auth::Principal> principal;
    if (basic_key) {
        SIYU_ASSIGN_OR_RETURN(principal, WriteKeyPrincipal(svc, *basic_key));
    }
    std::string inflated;
    std::string_view body = req.body;
    const std::string* encoding = req.Header("content-encoding");
    if ((encoding && ToLower(*encoding) == "gzip") || cdp::LooksGzipped(body)) {
        SIYU_ASSIGN_OR_RETURN(inflated, cdp::Gunzip(body, limits.max_batch_bytes));
        body = inflated;
    }
    size_t limit = endpoint == "batch" ? limits.max_batch_bytes : limits.max_message_bytes;
    if (body.size() > limit) {
        return Status(StatusCode::kPayloadTooLarge, "the " + std::string(endpoint == "batch" ? "batch" : "message") +
                                                        " is larger than " + std::to_string(limit) + " bytes");
    }
    SIYU_ASSIGN_OR_RETURN(auto parsed, cdp::ParseTrackingBody(body, endpoint, received_at, limits));
    if (!principal) {
        if (!parsed.write_key) return Status::Unauthenticated("send the write key with HTTP Basic or as writeKey");
        SIYU_ASSIGN_OR_RETURN(principal, WriteKeyPrincipal(svc, *parsed.write_key));
    }
    if (endpoint != "batch" && !parsed.rejected.empty()) return parsed.rejected.front().status;
    SIYU_ASSIGN_OR_RETURN(auto result, svc.ingestor.Ingest(principal->tenant_id, parsed.messages));
    JsonWriter w;
    w.BeginObject().Key("success").Bool(true);
    if (endpoint == "batch") {
        w.Key("accepted").Int(static_cast<int64_t>(result.accepted));
        w.Key("duplicates").Int(static_cast<int64_t>(result.duplicates));
        w.Key("rejected").BeginArray();
        for (const auto& r : parsed.rejected) {
            w.BeginObject().Key("index").Int(static_cast<int64_t>(r.index));
            w.Key("code").String(StatusCodeName(r.status.code())).Key("message").String(r.status.message());
            w.Key("field");
            r.status.field().empty() ? w.Null() : w.String(r.status.field());
            w.EndObject();
        }
        w.EndArray();
    }
    w.EndObject();
    return http::Response::Json(200, w.Take());
}

}  // namespace

void AddTrackingRoutes(RouteTable& t) {
    for (const char* endpoint : {"track", "identify", "alias", "page", "screen", "group", "batch", "import"}) {
        std::string type = std::string(endpoint) == "import" ? "batch" : endpoint;
        t.Public({.method = "POST",
                  .pattern = std::string("/v1/") + endpoint,
                  .summary = "Segment-compatible tracking: " + type,
                  .tag = "Tracking"},
                 [type](http::Request& req, Services& svc) { return Track(req, svc, type); });
    }
}

}  // namespace siyu::api
