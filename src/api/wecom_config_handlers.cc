// The WeCom connection: settings (PUT/GET /api/v1/wecom/config), the callback endpoint WeCom
// calls (/wecom/callback/{tenant_id}) and the inbox behind it. See docs/wecom.md.

#include <spdlog/spdlog.h>

#include <algorithm>

#include "api/routes.h"
#include "auth/audit_log.h"
#include "base/strings.h"
#include "channels/wecom/crypto.h"

namespace siyu::api {

namespace {

namespace wecom = channels::wecom;

std::string CallbackUrl(const Config& config, int64_t tenant_id) {
    std::string base = config.public_base_url;
    if (base.empty()) base = "http://" + config.http_host + ":" + std::to_string(config.http_port);
    while (!base.empty() && base.back() == '/') base.pop_back();
    return base + "/wecom/callback/" + std::to_string(tenant_id);
}

Json ConfigJson(const wecom::WecomConfigView& v, const Config& config) {
    return {{"configured", true},
            {"corp_id", v.corp_id},
            {"agent_id", v.agent_id ? Json(*v.agent_id) : Json(nullptr)},
            {"api_base_url", v.api_base_url},
            {"contact_secret_set", v.contact_secret_set},
            {"agent_secret_set", v.agent_secret_set},
            {"token_set", v.token_set},
            {"encoding_aes_key_set", v.encoding_aes_key_set},
            {"callback_url", CallbackUrl(config, v.tenant_id)},
            {"created_at", TimeJson(v.created_at)},
            {"updated_at", TimeJson(v.updated_at)}};
}

// A string field that may be null (clears it): outer nullopt = absent.
Result<std::optional<std::optional<std::string>>> NullableString(const Json& o, const char* field) {
    if (!o.contains(field)) return std::optional<std::optional<std::string>>();
    if (o[field].is_null()) return std::optional<std::optional<std::string>>(std::optional<std::string>());
    if (!o[field].is_string()) return Status::InvalidArgument(field, "must be a string or null");
    return std::optional<std::optional<std::string>>(o[field].get<std::string>());
}

Result<wecom::WecomConfigInput> ParseConfigInput(const std::string& text) {
    SIYU_ASSIGN_OR_RETURN(Json body, ParseObject(text));
    SIYU_RETURN_IF_ERROR(RejectUnknown(body, {"corp_id", "contact_secret", "agent_secret", "agent_id", "token",
                                              "encoding_aes_key", "api_base_url"}));
    wecom::WecomConfigInput in;
    SIYU_ASSIGN_OR_RETURN(in.corp_id, OptString(body, "corp_id"));
    SIYU_ASSIGN_OR_RETURN(in.contact_secret, NullableString(body, "contact_secret"));
    SIYU_ASSIGN_OR_RETURN(in.agent_secret, NullableString(body, "agent_secret"));
    SIYU_ASSIGN_OR_RETURN(in.agent_id, NullableInt(body, "agent_id"));
    SIYU_ASSIGN_OR_RETURN(in.token, NullableString(body, "token"));
    SIYU_ASSIGN_OR_RETURN(in.encoding_aes_key, NullableString(body, "encoding_aes_key"));
    if (body.contains("api_base_url") && body["api_base_url"].is_null()) {
        in.api_base_url = std::string();
    } else {
        SIYU_ASSIGN_OR_RETURN(in.api_base_url, OptString(body, "api_base_url"));
    }
    return in;
}

Json InboxRowJson(const wecom::InboxEvent& e) {
    return {{"id", e.id},
            {"event", e.event},
            {"change_type", e.change_type},
            {"status", e.status},
            {"attempts", e.attempts},
            {"duplicates", e.duplicates},
            {"note", e.note.empty() ? Json(nullptr) : Json(e.note)},
            {"error", e.error.empty() ? Json(nullptr) : Json(e.error)},
            {"fields", e.fields},
            {"received_at", TimeJson(e.received_at)},
            {"processed_at", TimeJson(e.processed_at)}};
}

// A required query parameter of the callback.
Result<std::string> CallbackParam(const http::Request& req, const char* name) {
    std::optional<std::string> value = req.Query(name);
    if (!value || value->empty()) return Status::InvalidArgument(name, "the query parameter is required");
    return *value;
}

// The tenant of a callback URL, with settings that can verify it.
Result<std::pair<int64_t, wecom::MsgCrypt>> CallbackTenant(const http::Request& req, Services& svc) {
    int64_t tenant_id = 0;
    if (!ParseInt64(req.Param("tenant_id"), &tenant_id) || tenant_id <= 0) {
        return Status::NotFound("no tenant " + req.Param("tenant_id"));
    }
    auto tenant = svc.accounts.GetTenant(tenant_id);
    if (!tenant.ok()) {
        if (tenant.status().code() == StatusCode::kNotFound) return Status::NotFound("no tenant " + req.Param("tenant_id"));
        return tenant.status();
    }
    auto crypt = svc.wecom_config->Crypt(tenant_id);
    if (!crypt.ok()) {
        spdlog::warn("wecom callback tenant={} rejected: {}", tenant_id, crypt.status().message());
        return crypt.status();
    }
    return std::make_pair(tenant_id, std::move(crypt).value());
}

// Logs a rejected callback with its official code and answers a 4xx naming it.
Status Rejected(int64_t tenant_id, const wecom::CryptFailure& f, const char* field) {
    std::string what = std::string(wecom::CryptErrorName(f.code)) + ": " + f.message;
    spdlog::warn("wecom callback tenant={} rejected: code={} {}", tenant_id, static_cast<int>(f.code), what);
    switch (f.code) {
        case wecom::CryptError::kValidateSignature:
            return Status(StatusCode::kUnauthenticated, what, "msg_signature");
        case wecom::CryptError::kIllegalAesKey:
            return Status::FailedPrecondition(what);
        case wecom::CryptError::kParseXml:
            return Status(StatusCode::kInvalidArgument, what, "body");
        default:
            return Status(StatusCode::kInvalidArgument, what, field);
    }
}

http::Response PlainText(std::string body) {
    http::Response r;
    r.status = 200;
    r.content_type = "text/plain; charset=utf-8";
    r.body = std::move(body);
    return r;
}

}  // namespace

void AddWecomConfigRoutes(RouteTable& t) {
    t.Api({.method = "PUT",
           .pattern = "/api/v1/wecom/config",
           .summary = "Set the WeCom connection (partial; omitted secrets are kept)",
           .tag = "WeCom",
           .permission = "wecom.config"},
          [](Ctx& c) -> Result<http::Response> {
              SIYU_ASSIGN_OR_RETURN(auto in, ParseConfigInput(c.req.body));
              int64_t tenant_id = c.tenant();
              auto audit = [&](store::Connection& conn, const std::string& action, const std::string& details) {
                  return auth::AppendAudit(conn, tenant_id, c.actor, action, "wecom_config", std::to_string(tenant_id),
                                           details);
              };
              SIYU_ASSIGN_OR_RETURN(auto view, c.svc.wecom_config->Put(tenant_id, in, audit));
              return JsonResponse(200, ConfigJson(view, c.svc.config));
          });
    t.Api({.method = "GET",
           .pattern = "/api/v1/wecom/config",
           .summary = "The WeCom connection (secrets only as *_set flags; configured=false until set)",
           .tag = "WeCom",
           .permission = "wecom.config"},
          [](Ctx& c) -> Result<http::Response> {
              auto view = c.svc.wecom_config->Get(c.tenant());
              if (view.ok()) return JsonResponse(200, ConfigJson(*view, c.svc.config));
              if (view.status().code() != StatusCode::kNotFound) return view.status();
              // Not connected yet: what to set, and the callback URL to paste into WeCom.
              return JsonResponse(200, {{"configured", false},
                                        {"corp_id", nullptr},
                                        {"agent_id", nullptr},
                                        {"api_base_url", wecom::kDefaultApiBaseUrl},
                                        {"contact_secret_set", false},
                                        {"agent_secret_set", false},
                                        {"token_set", false},
                                        {"encoding_aes_key_set", false},
                                        {"callback_url", CallbackUrl(c.svc.config, c.tenant())},
                                        {"created_at", nullptr},
                                        {"updated_at", nullptr}});
          });
    t.Api({.method = "GET",
           .pattern = "/api/v1/wecom/inbox",
           .summary = "Callback inbox: counts, recent and failed rows",
           .tag = "WeCom",
           .permission = "wecom.config",
           .query_params = {"limit"}},
          [](Ctx& c) -> Result<http::Response> {
              SIYU_ASSIGN_OR_RETURN(int limit, ParseLimit(c.req));
              SIYU_ASSIGN_OR_RETURN(auto counts, c.svc.wecom_inbox->Stats(c.tenant()));
              SIYU_ASSIGN_OR_RETURN(auto failed, c.svc.wecom_inbox->Failed(c.tenant(), limit));
              SIYU_ASSIGN_OR_RETURN(auto recent, c.svc.wecom_inbox->Recent(c.tenant(), limit));
              Json failed_rows = Json::array();
              for (const auto& e : failed) failed_rows.push_back(InboxRowJson(e));
              Json recent_rows = Json::array();
              for (const auto& e : recent) recent_rows.push_back(InboxRowJson(e));
              return JsonResponse(200, {{"pending", counts.pending},
                                        {"done", counts.done},
                                        {"failed", counts.failed},
                                        {"duplicates", counts.duplicates},
                                        {"failed_rows", failed_rows},
                                        {"recent", recent_rows}});
          });
    t.Api({.method = "POST",
           .pattern = "/api/v1/wecom/inbox/{id}/retry",
           .summary = "Process a failed callback again",
           .tag = "WeCom",
           .permission = "wecom.config"},
          [](Ctx& c) -> Result<http::Response> {
              SIYU_ASSIGN_OR_RETURN(int64_t id, PathId(c.req));
              SIYU_RETURN_IF_ERROR(c.svc.wecom_inbox->Retry(c.tenant(), id));
              return http::Response::NoContent();
          });

    t.Public({.method = "GET",
              .pattern = "/wecom/callback/{tenant_id}",
              .summary = "WeCom URL verification",
              .tag = "WeCom",
              .query_params = {"msg_signature", "timestamp", "nonce", "echostr"}},
             [](http::Request& req, Services& svc) -> Result<http::Response> {
                 SIYU_ASSIGN_OR_RETURN(auto tenant, CallbackTenant(req, svc));
                 SIYU_ASSIGN_OR_RETURN(std::string signature, CallbackParam(req, "msg_signature"));
                 SIYU_ASSIGN_OR_RETURN(std::string timestamp, CallbackParam(req, "timestamp"));
                 SIYU_ASSIGN_OR_RETURN(std::string nonce, CallbackParam(req, "nonce"));
                 SIYU_ASSIGN_OR_RETURN(std::string echostr, CallbackParam(req, "echostr"));
                 // base64 has no spaces: a space is a '+' that reached us unencoded.
                 std::replace(echostr.begin(), echostr.end(), ' ', '+');
                 auto plain = tenant.second.VerifyUrl(signature, timestamp, nonce, echostr);
                 if (!plain.ok()) return Rejected(tenant.first, plain.failure, "echostr");
                 return PlainText(std::move(plain.value));
             });
    t.Public({.method = "POST",
              .pattern = "/wecom/callback/{tenant_id}",
              .summary = "WeCom event delivery (encrypted XML)",
              .tag = "WeCom",
              .query_params = {"msg_signature", "timestamp", "nonce"}},
             [](http::Request& req, Services& svc) -> Result<http::Response> {
                 TimeMs received_at = NowMs();
                 SIYU_ASSIGN_OR_RETURN(auto tenant, CallbackTenant(req, svc));
                 SIYU_ASSIGN_OR_RETURN(std::string signature, CallbackParam(req, "msg_signature"));
                 SIYU_ASSIGN_OR_RETURN(std::string timestamp, CallbackParam(req, "timestamp"));
                 SIYU_ASSIGN_OR_RETURN(std::string nonce, CallbackParam(req, "nonce"));
                 auto plain = tenant.second.DecryptMsg(signature, timestamp, nonce, req.body);
                 if (!plain.ok()) return Rejected(tenant.first, plain.failure, "Encrypt");
                 auto stored = svc.wecom_inbox->Store(tenant.first, plain.value, received_at);
                 if (!stored.ok()) {
                     if (stored.status().code() == StatusCode::kInvalidArgument) {
                         return Rejected(tenant.first, {wecom::CryptError::kParseXml, stored.status().message()},
                                         "Encrypt");
                     }
                     return stored.status();
                 }
                 if (!stored->inserted) {
                     spdlog::info("wecom callback tenant={} duplicate of inbox row {}", tenant.first, stored->id);
                 }
                 return PlainText("success");
             });
}

}  // namespace siyu::api
