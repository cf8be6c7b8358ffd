#include <spdlog/spdlog.h>

#include "api/permissions.h"
#include "api/routes.h"
#include "base/strings.h"

namespace siyu::api {

namespace {

Result<Json> SessionJson(Services& svc, const auth::Principal& p) {
    SIYU_ASSIGN_OR_RETURN(auto tenant, svc.accounts.GetTenant(p.tenant_id));
    Json out = {{"tenant", TenantJson(tenant)},
                {"role", auth::RoleName(p.role)},
                {"permissions", PermissionsOf(p.role)},
                {"store_ids", p.store_ids}};
    if (p.kind == auth::Principal::Kind::kUser) {
        SIYU_ASSIGN_OR_RETURN(auto member, svc.accounts.GetMember(p.tenant_id, p.user_id));
        out["user"] = {{"id", member.user_id}, {"email", member.email}, {"name", member.name}};
        out["api_key"] = nullptr;
        SIYU_ASSIGN_OR_RETURN(auto tenants, svc.accounts.TenantsOfUser(p.user_id));
        Json list = Json::array();
        for (const auto& [t, role] : tenants) {
            list.push_back({{"id", t.id}, {"name", t.name}, {"role", auth::RoleName(role)}, {"demo", t.demo}});
        }
        out["tenants"] = list;
    } else {
        out["user"] = nullptr;
        out["api_key"] = {{"id", p.api_key_id}, {"name", p.name}};
        out["tenants"] = Json::array(
            {{{"id", tenant.id}, {"name", tenant.name}, {"role", auth::RoleName(p.role)}, {"demo", tenant.demo}}});
    }
    return out;
}

std::string SessionCookie(const std::string& token, int64_t max_age_seconds) {
    return "siyu_session=" + token + "; Path=/; HttpOnly; SameSite=Strict; Max-Age=" + std::to_string(max_age_seconds);
}

Result<http::Response> Login(http::Request& req, Services& svc) {
    SIYU_ASSIGN_OR_RETURN(Json body, ParseObject(req.body));
    SIYU_RETURN_IF_ERROR(RejectUnknown(body, {"email", "password", "tenant_id"}));
    SIYU_ASSIGN_OR_RETURN(std::string email, ReqString(body, "email"));
    SIYU_ASSIGN_OR_RETURN(std::string password, ReqString(body, "password"));
    SIYU_ASSIGN_OR_RETURN(auto tenant_id, OptInt(body, "tenant_id"));
    std::string email_key = "email:" + ToLower(Trim(email));
    std::string ip_key = "ip:" + req.remote_ip;
    TimeMs now = NowMs();
    TimeMs wait = std::max(svc.email_throttle.RetryAfterMs(email_key, now), svc.ip_throttle.RetryAfterMs(ip_key, now));
    if (wait > 0) {
        spdlog::warn("login throttled email={} ip={} retry_after_ms={}", ToLower(Trim(email)), req.remote_ip, wait);
        http::Response r =
            ErrorResponse({StatusCode::kResourceExhausted,
                           "too many failed sign-ins; try again in " + std::to_string((wait + 999) / 1000) + " s"},
                          req.request_id);
        r.SetHeader("Retry-After", std::to_string((wait + 999) / 1000));
        return r;
    }
    const std::string* ua = req.Header("user-agent");
    auto login = svc.accounts.Login(email, password, tenant_id, req.remote_ip, ua ? *ua : "");
    if (!login.ok()) {
        if (login.status().code() == StatusCode::kUnauthenticated) {
            svc.email_throttle.RecordFailure(email_key, now);
            svc.ip_throttle.RecordFailure(ip_key, now);
            spdlog::warn("login failed email={} ip={} reason={}", ToLower(Trim(email)), req.remote_ip,
                         login.status().message());
        }
        return login.status();
    }
    svc.email_throttle.RecordSuccess(email_key);
    SIYU_ASSIGN_OR_RETURN(Json out, SessionJson(svc, login->principal));
    http::Response r = JsonResponse(200, out);
    r.SetHeader("Set-Cookie", SessionCookie(login->token, int64_t{svc.config.auth_session_ttl_hours} * 3600));
    r.SetHeader("Cache-Control", "no-store");
    return r;
}

}  // namespace

void AddAuthRoutes(RouteTable& t) {
    t.Public({.method = "POST",
              .pattern = "/api/v1/auth/login",
              .summary = "Sign in and open a session",
              .tag = "Auth",
              .request_schema = "LoginInput",
              .response_schema = "SessionInfo"},
             Login);
    t.Api({.method = "POST", .pattern = "/api/v1/auth/logout", .summary = "Close this session", .tag = "Auth"},
          [](Ctx& c) -> Result<http::Response> {
              if (c.principal.kind == auth::Principal::Kind::kUser) {
                  SIYU_RETURN_IF_ERROR(c.svc.accounts.Logout(c.principal, c.req.remote_ip));
              }
              http::Response r = http::Response::NoContent();
              r.SetHeader("Set-Cookie", SessionCookie("", 0));
              return r;
          });
    t.Api({.method = "GET",
           .pattern = "/api/v1/auth/me",
           .summary = "Who am I: user, tenant, role, permissions",
           .tag = "Auth",
           .response_schema = "SessionInfo"},
          [](Ctx& c) -> Result<http::Response> {
              SIYU_ASSIGN_OR_RETURN(Json out, SessionJson(c.svc, c.principal));
              return JsonResponse(200, out);
          });
    t.Api({.method = "POST",
           .pattern = "/api/v1/auth/switch-tenant",
           .summary = "Move this session to another tenant",
           .tag = "Auth",
           .request_schema = "SwitchTenantInput",
           .response_schema = "SessionInfo"},
          [](Ctx& c) -> Result<http::Response> {
              SIYU_ASSIGN_OR_RETURN(Json body, ParseObject(c.req.body));
              SIYU_RETURN_IF_ERROR(RejectUnknown(body, {"tenant_id"}));
              SIYU_ASSIGN_OR_RETURN(auto tenant_id, OptInt(body, "tenant_id"));
              if (!tenant_id) return Status::InvalidArgument("tenant_id", "is required");
              SIYU_ASSIGN_OR_RETURN(auto p, c.svc.accounts.SwitchTenant(c.principal, *tenant_id));
              SIYU_ASSIGN_OR_RETURN(Json out, SessionJson(c.svc, p));
              return JsonResponse(200, out);
          });
    t.Api({.method = "GET", .pattern = "/api/v1/auth/sessions", .summary = "My open sessions", .tag = "Auth"},
          [](Ctx& c) -> Result<http::Response> {
              if (c.principal.kind != auth::Principal::Kind::kUser) {
                  return Status::FailedPrecondition("API keys have no sessions");
              }
              SIYU_ASSIGN_OR_RETURN(auto sessions, c.svc.accounts.ListSessions(c.principal.user_id));
              Json data = Json::array();
              for (const auto& s : sessions) {
                  data.push_back({{"id", s.id},
                                  {"created_at", TimeJson(s.created_at)},
                                  {"expires_at", TimeJson(s.expires_at)},
                                  {"ip", s.ip},
                                  {"user_agent", s.user_agent},
                                  {"current", s.id == c.principal.session_id}});
              }
              return JsonResponse(200, {{"data", data}});
          });
    t.Api({.method = "DELETE",
           .pattern = "/api/v1/auth/sessions/{id}",
           .summary = "Revoke one of my sessions",
           .tag = "Auth"},
          [](Ctx& c) -> Result<http::Response> {
              SIYU_ASSIGN_OR_RETURN(int64_t id, PathId(c.req));
              if (c.principal.kind != auth::Principal::Kind::kUser) return Status::NotFound("no such session");
              SIYU_RETURN_IF_ERROR(c.svc.accounts.RevokeSession(c.principal.user_id, id));
              return http::Response::NoContent();
          });
}

}  // namespace siyu::api
