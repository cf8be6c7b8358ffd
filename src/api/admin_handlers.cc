#include "api/routes.h"

namespace siyu::api {

namespace {

Json MemberJson(const auth::Member& m) {
    return {{"id", m.user_id},
            {"email", m.email},
            {"name", m.name},
            {"role", auth::RoleName(m.role)},
            {"store_ids", m.store_ids},
            {"disabled", m.disabled},
            {"created_at", TimeJson(m.created_at)},
            {"last_login_at", TimeJson(m.last_login_at)}};
}

Json ApiKeyJson(const auth::ApiKey& k) {
    return {{"id", k.id},
            {"name", k.name},
            {"kind", k.kind},
            {"role", k.kind == "secret" ? Json(auth::RoleName(k.role)) : Json(nullptr)},
            {"prefix", k.prefix},
            {"created_at", TimeJson(k.created_at)},
            {"last_used_at", TimeJson(k.last_used_at)},
            {"revoked_at", TimeJson(k.revoked_at)}};
}

Result<std::optional<auth::Role>> OptRole(const Json& body, const char* field) {
    SIYU_ASSIGN_OR_RETURN(auto name, OptString(body, field));
    if (!name) return std::optional<auth::Role>();
    auto role = auth::ParseRole(*name);
    if (!role) {
        return Status::InvalidArgument(field, "must be owner, admin, operator, analyst, store_manager or guide");
    }
    return std::optional<auth::Role>(*role);
}

Status CheckStoreIds(Ctx& c, const std::vector<int64_t>& ids) {
    for (int64_t id : ids) {
        if (!c.svc.stores.Get(c.tenant(), id).ok()) {
            return Status::InvalidArgument("store_ids", "no store with id " + std::to_string(id));
        }
    }
    return Status::Ok();
}

Status CheckOwnerChange(const Ctx& c, std::optional<auth::Role> new_role, std::optional<auth::Role> current_role) {
    bool touches_owner =
        (new_role && *new_role == auth::Role::kOwner) || (current_role && *current_role == auth::Role::kOwner);
    if (touches_owner && c.principal.role != auth::Role::kOwner) {
        return Status::PermissionDenied("only an owner can grant, change or remove the owner role");
    }
    return Status::Ok();
}

Result<http::Response> CreateUser(Ctx& c) {
    SIYU_ASSIGN_OR_RETURN(Json body, ParseObject(c.req.body));
    SIYU_RETURN_IF_ERROR(RejectUnknown(body, {"email", "name", "role", "password", "store_ids"}));
    auth::NewMember in;
    SIYU_ASSIGN_OR_RETURN(in.email, ReqString(body, "email"));
    SIYU_ASSIGN_OR_RETURN(in.name, ReqString(body, "name"));
    SIYU_ASSIGN_OR_RETURN(auto role, OptRole(body, "role"));
    if (!role) return Status::InvalidArgument("role", "is required");
    in.role = *role;
    SIYU_ASSIGN_OR_RETURN(auto password, OptString(body, "password"));
    in.password = password.value_or("");
    SIYU_ASSIGN_OR_RETURN(auto stores, OptIdList(body, "store_ids"));
    in.store_ids = stores.value_or(std::vector<int64_t>{});
    SIYU_RETURN_IF_ERROR(CheckOwnerChange(c, in.role, std::nullopt));
    SIYU_RETURN_IF_ERROR(CheckStoreIds(c, in.store_ids));
    std::string generated;
    SIYU_ASSIGN_OR_RETURN(auto member, c.svc.accounts.AddMember(c.tenant(), in, c.actor, &generated));
    Json out = MemberJson(member);
    if (!generated.empty()) out["password"] = generated;
    return JsonResponse(201, out);
}

Result<http::Response> UpdateUser(Ctx& c) {
    SIYU_ASSIGN_OR_RETURN(int64_t id, PathId(c.req));
    SIYU_ASSIGN_OR_RETURN(Json body, ParseObject(c.req.body));
    SIYU_RETURN_IF_ERROR(RejectUnknown(body, {"name", "role", "store_ids", "disabled", "password"}));
    auth::MemberPatch patch;
    SIYU_ASSIGN_OR_RETURN(patch.name, OptString(body, "name"));
    SIYU_ASSIGN_OR_RETURN(patch.role, OptRole(body, "role"));
    SIYU_ASSIGN_OR_RETURN(patch.store_ids, OptIdList(body, "store_ids"));
    SIYU_ASSIGN_OR_RETURN(patch.disabled, OptBool(body, "disabled"));
    SIYU_ASSIGN_OR_RETURN(patch.password, OptString(body, "password"));
    SIYU_ASSIGN_OR_RETURN(auto current, c.svc.accounts.GetMember(c.tenant(), id));
    SIYU_RETURN_IF_ERROR(CheckOwnerChange(c, patch.role, current.role));
    if (patch.store_ids) SIYU_RETURN_IF_ERROR(CheckStoreIds(c, *patch.store_ids));
    SIYU_ASSIGN_OR_RETURN(auto member, c.svc.accounts.UpdateMember(c.tenant(), id, patch, c.actor));
    return JsonResponse(200, MemberJson(member));
}

}  // namespace

void AddAdminRoutes(RouteTable& t) {
    t.Api({.method = "GET",
           .pattern = "/api/v1/tenant",
           .summary = "This tenant's settings",
           .tag = "Tenant",
           .permission = "tenant.read",
           .response_schema = "Tenant"},
          [](Ctx& c) -> Result<http::Response> {
              SIYU_ASSIGN_OR_RETURN(auto tenant, c.svc.accounts.GetTenant(c.tenant()));
              return JsonResponse(200, TenantJson(tenant));
          });
    t.Api({.method = "PATCH",
           .pattern = "/api/v1/tenant",
           .summary = "Change name, time zone or currency",
           .tag = "Tenant",
           .permission = "tenant.write",
           .request_schema = "TenantPatch",
           .response_schema = "Tenant"},
          [](Ctx& c) -> Result<http::Response> {
              SIYU_ASSIGN_OR_RETURN(Json body, ParseObject(c.req.body));
              SIYU_RETURN_IF_ERROR(RejectUnknown(body, {"name", "time_zone", "currency"}));
              auth::TenantPatch patch;
              SIYU_ASSIGN_OR_RETURN(patch.name, OptString(body, "name"));
              SIYU_ASSIGN_OR_RETURN(patch.time_zone, OptString(body, "time_zone"));
              SIYU_ASSIGN_OR_RETURN(patch.currency, OptString(body, "currency"));
              SIYU_ASSIGN_OR_RETURN(auto tenant, c.svc.accounts.UpdateTenant(c.tenant(), patch, c.actor));
              return JsonResponse(200, TenantJson(tenant));
          });

    t.Api({.method = "GET",
           .pattern = "/api/v1/users",
           .summary = "Console users of this tenant",
           .tag = "Users",
           .permission = "users.read",
           .response_schema = "UserPage",
           .query_params = {"limit", "cursor", "role"}},
          [](Ctx& c) -> Result<http::Response> {
              SIYU_ASSIGN_OR_RETURN(auto page, ParsePage(c.req));
              std::optional<auth::Role> role;
              if (auto r = c.req.Query("role"); r && !r->empty()) {
                  role = auth::ParseRole(*r);
                  if (!role) return Status::InvalidArgument("role", "unknown role");
              }
              SIYU_ASSIGN_OR_RETURN(auto members,
                                    c.svc.accounts.ListMembers(c.tenant(), {page.limit, page.cursor}, role));
              Json data = Json::array();
              for (const auto& m : members) data.push_back(MemberJson(m));
              std::optional<int64_t> last;
              if (!members.empty()) last = members.back().user_id;
              return JsonResponse(200, PageJson(data, page.limit, last));
          });
    t.Api({.method = "POST",
           .pattern = "/api/v1/users",
           .summary = "Add a console user",
           .tag = "Users",
           .permission = "users.write",
           .request_schema = "UserInput",
           .response_schema = "User"},
          CreateUser);
    t.Api({.method = "GET",
           .pattern = "/api/v1/users/{id}",
           .summary = "One console user",
           .tag = "Users",
           .permission = "users.read",
           .response_schema = "User"},
          [](Ctx& c) -> Result<http::Response> {
              SIYU_ASSIGN_OR_RETURN(int64_t id, PathId(c.req));
              SIYU_ASSIGN_OR_RETURN(auto m, c.svc.accounts.GetMember(c.tenant(), id));
              return JsonResponse(200, MemberJson(m));
          });
    t.Api({.method = "PATCH",
           .pattern = "/api/v1/users/{id}",
           .summary = "Change a user's role, stores or password",
           .tag = "Users",
           .permission = "users.write",
           .request_schema = "UserPatch",
           .response_schema = "User"},
          UpdateUser);
    t.Api({.method = "DELETE",
           .pattern = "/api/v1/users/{id}",
           .summary = "Remove a user from this tenant",
           .tag = "Users",
           .permission = "users.write"},
          [](Ctx& c) -> Result<http::Response> {
              SIYU_ASSIGN_OR_RETURN(int64_t id, PathId(c.req));
              SIYU_ASSIGN_OR_RETURN(auto current, c.svc.accounts.GetMember(c.tenant(), id));
              SIYU_RETURN_IF_ERROR(CheckOwnerChange(c, std::nullopt, current.role));
              SIYU_RETURN_IF_ERROR(c.svc.accounts.RemoveMember(c.tenant(), id, c.actor));
              return http::Response::NoContent();
          });

    t.Api({.method = "GET",
           .pattern = "/api/v1/api-keys",
           .summary = "API keys of this tenant",
           .tag = "API keys",
           .permission = "apikeys.manage",
           .response_schema = "ApiKeyList"},
          [](Ctx& c) -> Result<http::Response> {
              SIYU_ASSIGN_OR_RETURN(auto keys, c.svc.accounts.ListApiKeys(c.tenant()));
              Json data = Json::array();
              for (const auto& k : keys) data.push_back(ApiKeyJson(k));
              return JsonResponse(200, {{"data", data}});
          });
    t.Api({.method = "POST",
           .pattern = "/api/v1/api-keys",
           .summary = "Create a key; the secret is shown once",
           .tag = "API keys",
           .permission = "apikeys.manage",
           .request_schema = "ApiKeyInput",
           .response_schema = "ApiKeyCreated"},
          [](Ctx& c) -> Result<http::Response> {
              SIYU_ASSIGN_OR_RETURN(Json body, ParseObject(c.req.body));
              SIYU_RETURN_IF_ERROR(RejectUnknown(body, {"name", "kind", "role"}));
              SIYU_ASSIGN_OR_RETURN(std::string name, ReqString(body, "name"));
              SIYU_ASSIGN_OR_RETURN(auto kind, OptString(body, "kind"));
              SIYU_ASSIGN_OR_RETURN(auto role, OptRole(body, "role"));
              SIYU_ASSIGN_OR_RETURN(auto created,
                                    c.svc.accounts.CreateApiKey(c.tenant(), name, kind.value_or("secret"),
                                                                role.value_or(auth::Role::kAdmin), c.actor));
              Json out = ApiKeyJson(created.first);
              out["key"] = created.second;
              return JsonResponse(201, out);
          });
    t.Api({.method = "DELETE",
           .pattern = "/api/v1/api-keys/{id}",
           .summary = "Revoke a key",
           .tag = "API keys",
           .permission = "apikeys.manage"},
          [](Ctx& c) -> Result<http::Response> {
              SIYU_ASSIGN_OR_RETURN(int64_t id, PathId(c.req));
              SIYU_RETURN_IF_ERROR(c.svc.accounts.RevokeApiKey(c.tenant(), id, c.actor));
              return http::Response::NoContent();
          });

    t.Api({.method = "GET",
           .pattern = "/api/v1/audit-log",
           .summary = "Administrative actions, newest first",
           .tag = "Audit",
           .permission = "audit.read",
           .response_schema = "AuditPage",
           .query_params = {"limit", "cursor", "action", "actor"}},
          [](Ctx& c) -> Result<http::Response> {
              SIYU_ASSIGN_OR_RETURN(auto page, ParsePage(c.req));
              SIYU_ASSIGN_OR_RETURN(auto entries, c.svc.accounts.ListAudit(c.tenant(), {page.limit, page.cursor},
                                                                           c.req.Query("action").value_or(""),
                                                                           c.req.Query("actor").value_or("")));
              Json data = Json::array();
              for (const auto& e : entries) {
                  Json details = Json::parse(e.details, nullptr, false);
                  data.push_back({{"id", e.id},
                                  {"at", TimeJson(e.at)},
                                  {"actor_type", e.actor.type},
                                  {"actor_id", e.actor.id ? Json(*e.actor.id) : Json(nullptr)},
                                  {"actor_name", e.actor.name},
                                  {"action", e.action},
                                  {"target_type", e.target_type},
                                  {"target_id", e.target_id},
                                  {"ip", e.actor.ip},
                                  {"details", details.is_discarded() ? Json::object() : details}});
              }
              std::optional<int64_t> last;
              if (!entries.empty()) last = entries.back().id;
              return JsonResponse(200, PageJson(data, page.limit, last));
          });
}

}  // namespace siyu::api
