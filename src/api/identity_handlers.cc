#include "api/routes.h"
#include "base/strings.h"

namespace siyu::api {

namespace {

Json SettingsJson(const cdp::IdentitySettings& s) {
    Json custom = Json::array();
    for (const auto& t : s.custom_types) custom.push_back({{"type", t.type}, {"label", t.label}});
    return {{"unique_types", s.unique_types}, {"dormant_after_days", s.dormant_after_days}, {"custom_types", custom}};
}

Result<cdp::IdentitySettingsPatch> ParsePatch(const std::string& text) {
    SIYU_ASSIGN_OR_RETURN(Json body, ParseObject(text));
    SIYU_RETURN_IF_ERROR(RejectUnknown(body, {"unique_types", "dormant_after_days", "custom_types"}));
    cdp::IdentitySettingsPatch patch;
    if (body.contains("unique_types")) {
        const Json& v = body["unique_types"];
        if (!v.is_array()) return Status::InvalidArgument("unique_types", "must be an array of identifier types");
        std::vector<std::string> types;
        for (const auto& t : v) {
            if (!t.is_string()) return Status::InvalidArgument("unique_types", "must be an array of strings");
            types.push_back(t.get<std::string>());
        }
        patch.unique_types = std::move(types);
    }
    if (body.contains("dormant_after_days")) {
        SIYU_ASSIGN_OR_RETURN(auto days, OptInt(body, "dormant_after_days"));
        if (*days < 1 || *days > 3650) return Status::InvalidArgument("dormant_after_days", "must be 1 to 3650");
        patch.dormant_after_days = static_cast<int>(*days);
    }
    if (body.contains("custom_types")) {
        const Json& v = body["custom_types"];
        if (!v.is_array() || v.size() > 100) {
            return Status::InvalidArgument("custom_types", "must be an array of {type, label} (at most 100)");
        }
        std::vector<cdp::CustomIdentifierType> types;
        for (size_t i = 0; i < v.size(); ++i) {
            std::string field = "custom_types[" + std::to_string(i) + "]";
            if (!v[i].is_object()) return Status::InvalidArgument(field, "must be an object with type and label");
            SIYU_RETURN_IF_ERROR(RejectUnknown(v[i], {"type", "label"}));
            SIYU_ASSIGN_OR_RETURN(auto type, OptString(v[i], "type"));
            SIYU_ASSIGN_OR_RETURN(auto label, OptString(v[i], "label"));
            if (!type) return Status::InvalidArgument(field + ".type", "is required");
            types.push_back(cdp::CustomIdentifierType{*type, label.value_or(*type)});
        }
        patch.custom_types = std::move(types);
    }
    return patch;
}

}  // namespace

Status CheckDeclaredIdentifierTypes(Services& svc, int64_t tenant_id, const cdp::CustomerInput& input) {
    if (!input.identifiers) return Status::Ok();
    bool any_custom = false;
    for (const auto& id : *input.identifiers) any_custom |= StartsWith(id.type, "custom:");
    if (!any_custom) return Status::Ok();
    SIYU_ASSIGN_OR_RETURN(auto settings, svc.identity_settings.Get(tenant_id));
    for (size_t i = 0; i < input.identifiers->size(); ++i) {
        if (!settings.Knows((*input.identifiers)[i].type)) {
            return Status::InvalidArgument(
                "identifiers[" + std::to_string(i) + "].type",
                "custom type '" + (*input.identifiers)[i].type + "' is not declared (PUT /api/v1/identity/settings)");
        }
    }
    return Status::Ok();
}

void AddIdentityRoutes(RouteTable& t) {
    t.Api({.method = "GET",
           .pattern = "/api/v1/identity/settings",
           .summary = "Unique identifier types, dormancy window and declared custom identifier types",
           .tag = "Identity",
           .permission = "customers.read",
           .response_schema = "IdentitySettings"},
          [](Ctx& c) -> Result<http::Response> {
              SIYU_ASSIGN_OR_RETURN(auto s, c.svc.identity_settings.Get(c.tenant()));
              return JsonResponse(200, SettingsJson(s));
          });
    t.Api({.method = "PUT",
           .pattern = "/api/v1/identity/settings",
           .summary = "Change the identity settings; custom_types replaces the declared list",
           .tag = "Identity",
           .permission = "tenant.write",
           .request_schema = "IdentitySettings",
           .response_schema = "IdentitySettings"},
          [](Ctx& c) -> Result<http::Response> {
              SIYU_ASSIGN_OR_RETURN(auto patch, ParsePatch(c.req.body));
              SIYU_ASSIGN_OR_RETURN(auto s, c.svc.identity_settings.Update(c.tenant(), patch, c.actor));
              return JsonResponse(200, SettingsJson(s));
          });
}

}  // namespace siyu::api
