#include <spdlog/spdlog.h>

#include "api/routes.h"
#include "base/strings.h"

namespace siyu::api {

http::Response ErrorResponse(const Status& status, const std::string& request_id) {
    int http_status = 500;
    switch (status.code()) {
        case StatusCode::kOk:
            http_status = 200;
            break;
        case StatusCode::kInvalidJson:
        case StatusCode::kInvalidArgument:
        case StatusCode::kUnknownField:
            http_status = 400;
            break;
        case StatusCode::kUnauthenticated:
            http_status = 401;
            break;
        case StatusCode::kPermissionDenied:
            http_status = 403;
            break;
        case StatusCode::kNotFound:
            http_status = 404;
            break;
        case StatusCode::kAlreadyExists:
        case StatusCode::kFailedPrecondition:
            http_status = 409;
            break;
        case StatusCode::kResourceExhausted:
            http_status = 429;
            break;
        case StatusCode::kPayloadTooLarge:
            http_status = 413;
            break;
        case StatusCode::kUnavailable:
            http_status = 503;
            break;
        case StatusCode::kUpstream:
            http_status = 502;
            break;
        case StatusCode::kInternal:
            http_status = 500;
            break;
    }
    std::string message = status.message();
    if (status.code() == StatusCode::kInternal) {
        spdlog::error("request_id={} internal error: {}", request_id, message);
        message = "internal error; quote request id " + request_id;
    }
    return http::Response::Json(http_status,
                                http::ErrorBody(StatusCodeName(status.code()), message, status.field(), request_id));
}

http::Response JsonResponse(int status, const Json& body) {
    return http::Response::Json(status, body.dump(-1, ' ', false, Json::error_handler_t::replace));
}

Result<Json> ParseObject(const std::string& body) {
    if (Trim(body).empty()) return Status(StatusCode::kInvalidJson, "the request body is empty; send a JSON object");
    Json j = Json::parse(body, nullptr, false);
    if (j.is_discarded()) return Status(StatusCode::kInvalidJson, "the request body is not valid JSON");
    if (!j.is_object()) return Status(StatusCode::kInvalidJson, "the request body must be a JSON object");
    return j;
}

Status RejectUnknown(const Json& object, std::initializer_list<std::string_view> known) {
    for (const auto& [key, ignored] : object.items()) {
        bool ok = false;
        for (std::string_view k : known) ok |= key == k;
        if (!ok) return Status(StatusCode::kUnknownField, key + ": unknown field", key);
    }
    return Status::Ok();
}

Result<std::optional<std::string>> OptString(const Json& o, const char* field) {
    auto it = o.find(field);
    if (it == o.end()) return std::optional<std::string>();
    if (!it->is_string()) return Status::InvalidArgument(field, "must be a string");
    return std::optional<std::string>(it->get<std::string>());
}

Result<std::string> ReqString(const Json& o, const char* field) {
    SIYU_ASSIGN_OR_RETURN(auto v, OptString(o, field));
    if (!v) return Status::InvalidArgument(field, "is required");
    return *v;
}

Result<std::optional<int64_t>> OptInt(const Json& o, const char* field) {
    auto it = o.find(field);
    if (it == o.end()) return std::optional<int64_t>();
    if (!it->is_number_integer()) return Status::InvalidArgument(field, "must be an integer");
    return std::optional<int64_t>(it->get<int64_t>());
}

Result<std::optional<bool>> OptBool(const Json& o, const char* field) {
    auto it = o.find(field);
    if (it == o.end()) return std::optional<bool>();
    if (!it->is_boolean()) return Status::InvalidArgument(field, "must be true or false");
    return std::optional<bool>(it->get<bool>());
}

Result<std::optional<std::vector<int64_t>>> OptIdList(const Json& o, const char* field) {
    auto it = o.find(field);
    if (it == o.end()) return std::optional<std::vector<int64_t>>();
    if (!it->is_array() || it->size() > 1000) return Status::InvalidArgument(field, "must be an array of ids");
    std::vector<int64_t> ids;
    for (const auto& v : *it) {
        if (!v.is_number_integer() || v.get<int64_t>() <= 0) {
            return Status::InvalidArgument(field, "must be an array of positive integers");
        }
        ids.push_back(v.get<int64_t>());
    }
    return std::optional<std::vector<int64_t>>(std::move(ids));
}

Result<std::optional<std::optional<int64_t>>> NullableInt(const Json& o, const char* field) {
    using R = std::optional<std::optional<int64_t>>;
    auto it = o.find(field);
    if (it == o.end()) return R();
    if (it->is_null()) return R(std::optional<int64_t>());
    if (!it->is_number_integer()) return Status::InvalidArgument(field, "must be an integer or null");
    return R(std::optional<int64_t>(it->get<int64_t>()));
}

Result<std::optional<std::optional<double>>> NullableDouble(const Json& o, const char* field) {
    using R = std::optional<std::optional<double>>;
    auto it = o.find(field);
    if (it == o.end()) return R();
    if (it->is_null()) return R(std::optional<double>());
    if (!it->is_number()) return Status::InvalidArgument(field, "must be a number or null");
    return R(std::optional<double>(it->get<double>()));
}

std::string EncodeCursor(int64_t id) { return Base64UrlEncode("c:" + std::to_string(id)); }

Result<int> ParseLimit(const http::Request& req) {
    auto limit = req.Query("limit");
    if (!limit) return 50;
    int64_t n = 0;
    if (!ParseInt64(*limit, &n) || n < 1 || n > 200) return Status::InvalidArgument("limit", "must be 1 to 200");
    return static_cast<int>(n);
}

Result<PageParams> ParsePage(const http::Request& req) {
    PageParams p;
    SIYU_ASSIGN_OR_RETURN(p.limit, ParseLimit(req));
    if (auto cursor = req.Query("cursor"); cursor && !cursor->empty()) {
        std::string raw;
        int64_t id = 0;
        if (!Base64UrlDecode(*cursor, &raw) || !StartsWith(raw, "c:") || !ParseInt64(raw.substr(2), &id)) {
            return Status::InvalidArgument("cursor", "not a cursor this API returned");
        }
        p.cursor = id;
    }
    return p;
}

Json PageJson(Json items, size_t limit, std::optional<int64_t> last_id) {
    Json out = {{"data", std::move(items)}, {"next_cursor", nullptr}};
    if (out["data"].size() == limit && last_id) out["next_cursor"] = EncodeCursor(*last_id);
    return out;
}

Result<int64_t> PathId(const http::Request& req, const char* name) {
    int64_t id = 0;
    if (!ParseInt64(req.Param(name), &id) || id <= 0) {
        return Status::NotFound("no object with id '" + req.Param(name) + "'");
    }
    return id;
}

Result<DayRange> ParseDayRange(Ctx& c) {
    SIYU_ASSIGN_OR_RETURN(auto tenant, c.svc.accounts.GetTenant(c.tenant()));
    DayRange r;
    r.time_zone = tenant.time_zone;
    r.to_day = c.req.Query("to").value_or(LocalDate(NowMs(), r.time_zone));
    if (!IsValidDate(r.to_day)) return Status::InvalidArgument("to", "must be YYYY-MM-DD");
    SIYU_ASSIGN_OR_RETURN(r.to, StartOfLocalDay(r.to_day, r.time_zone));
    r.to += 86'400'000;
    r.from_day = c.req.Query("from").value_or(LocalDate(r.to - 30 * 86'400'000LL, r.time_zone));
    if (!IsValidDate(r.from_day)) return Status::InvalidArgument("from", "must be YYYY-MM-DD");
    SIYU_ASSIGN_OR_RETURN(r.from, StartOfLocalDay(r.from_day, r.time_zone));
    if (r.from >= r.to) return Status::InvalidArgument("from", "must be on or before to");
    if (r.to - r.from > 366LL * 86'400'000) return Status::InvalidArgument("from", "the range is at most 366 days");
    return r;
}

Json TimeJson(std::optional<TimeMs> ms) {
    if (!ms) return nullptr;
    return FormatRfc3339(*ms);
}

Json TenantJson(const auth::Tenant& t) {
    return {{"id", t.id},
            {"name", t.name},
            {"time_zone", t.time_zone},
            {"currency", t.currency},
            {"demo", t.demo},
            {"created_at", TimeJson(t.created_at)}};
}

}  // namespace siyu::api
