#include "api/routes.h"
#include "base/strings.h"
#include "loyalty/members.h"

namespace siyu::api {

loyalty::Request LoyaltyRequest(Ctx& c) {
    loyalty::Request r;
    r.tenant_id = c.tenant();
    if (const std::string* key = c.req.Header("idempotency-key")) r.idempotency_key = std::string(Trim(*key));
    r.fingerprint = c.req.method + " " + c.req.path + "\n" + c.req.body;
    r.actor = c.actor;
    return r;
}

http::Response OutcomeResponse(const loyalty::Outcome& outcome) {
    http::Response resp = JsonResponse(outcome.status, outcome.body);
    if (outcome.replayed) resp.SetHeader("Idempotent-Replayed", "true");
    return resp;
}

namespace {

Result<http::Response> GetSettings(Ctx& c) {
    loyalty::LoyaltySettings s;
    SIYU_RETURN_IF_ERROR(c.svc.db->Read([&](store::Connection& conn) -> Status {
        SIYU_ASSIGN_OR_RETURN(s, loyalty::LoadSettings(conn, c.tenant()));
        return Status::Ok();
    }));
    return JsonResponse(200, loyalty::SettingsToJson(s));
}

Result<http::Response> PutSettings(Ctx& c) {
    SIYU_ASSIGN_OR_RETURN(Json body, ParseObject(c.req.body));
    loyalty::LoyaltySettings s;
    SIYU_RETURN_IF_ERROR(c.svc.loyalty->exec().Write(c.tenant(), [&](loyalty::Tx& tx) -> Status {
        SIYU_ASSIGN_OR_RETURN(const loyalty::LoyaltySettings* current, tx.Settings());
        s = *current;
        SIYU_RETURN_IF_ERROR(loyalty::ApplySettingsPatch(body, &s));
        SIYU_ASSIGN_OR_RETURN(auto stmt, tx.c().Prepare("INSERT INTO loyalty_settings(tenant_id, settings, updated_at) "
                                                        "VALUES (?,?,?) ON CONFLICT(tenant_id) DO UPDATE SET settings "
                                                        "= excluded.settings, updated_at = excluded.updated_at"));
        SIYU_RETURN_IF_ERROR(
            stmt.Bind(1, c.tenant()).Bind(2, loyalty::SettingsToJson(s).dump()).Bind(3, tx.now()).Run());
        return tx.Audit(c.actor, "loyalty.settings.update", "tenant", std::to_string(c.tenant()), body);
    }));
    return JsonResponse(200, loyalty::SettingsToJson(s));
}

}  // namespace

void AddLoyaltyRoutes(RouteTable& t) {
    t.Api({"GET", "/api/v1/loyalty/settings", "Loyalty programme settings", "Loyalty", "loyalty.read"}, GetSettings);
    t.Api({"PUT", "/api/v1/loyalty/settings", "Change loyalty programme settings", "Loyalty", "loyalty.manage"},
          PutSettings);
}

}  // namespace siyu::api
