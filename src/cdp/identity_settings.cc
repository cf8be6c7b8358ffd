#include "cdp/identity_settings.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "base/strings.h"
#include "cdp/customer.h"

namespace siyu::cdp {

using store::Connection;
using Json = nlohmann::json;

bool IdentitySettings::IsUnique(const std::string& type) const {
    return std::find(unique_types.begin(), unique_types.end(), type) != unique_types.end();
}

bool IdentitySettings::Knows(const std::string& type) const {
    if (!IsValidIdentifierType(type)) return false;
    if (!StartsWith(type, "custom:")) return true;
    return std::any_of(custom_types.begin(), custom_types.end(),
                       [&](const CustomIdentifierType& t) { return t.type == type; });
}

Result<IdentitySettings> LoadIdentitySettings(Connection& c, int64_t tenant_id) {
    IdentitySettings s;
    SIYU_ASSIGN_OR_RETURN(auto stmt, c.Prepare("SELECT unique_types, dormant_after_days FROM identity_settings WHERE "
                                               "tenant_id = ?"));
    stmt.Bind(1, tenant_id);
    SIYU_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (row) {
        Json types = Json::parse(stmt.Text(0), nullptr, false);
        if (types.is_array()) {
            s.unique_types.clear();
            for (const auto& t : types) {
                if (t.is_string()) s.unique_types.push_back(t.get<std::string>());
            }
        }
        s.dormant_after_days = static_cast<int>(stmt.Int(1));
        stmt.Reset();
    }
    SIYU_ASSIGN_OR_RETURN(auto custom, c.Prepare("SELECT type, label FROM identifier_types WHERE tenant_id = ? "
                                                 "ORDER BY type"));
    custom.Bind(1, tenant_id);
    SIYU_RETURN_IF_ERROR(custom.ForEachRow([&] {
        s.custom_types.push_back(CustomIdentifierType{custom.Text(0), custom.Text(1)});
    }));
    return s;
}

Result<IdentitySettings> IdentitySettingsStore::Get(int64_t tenant_id) {
    IdentitySettings out;
    SIYU_RETURN_IF_ERROR(db_->Read([&](Connection& c) -> Status {
        SIYU_ASSIGN_OR_RETURN(out, LoadIdentitySettings(c, tenant_id));
        return Status::Ok();
    }));
    return out;
}

Result<IdentitySettings> IdentitySettingsStore::Update(int64_t tenant_id, const IdentitySettingsPatch& patch,
                                                       const auth::Actor& actor) {
    if (patch.dormant_after_days && (*patch.dormant_after_days < 1 || *patch.dormant_after_days > 3650)) {
        return Status::InvalidArgument("dormant_after_days", "must be 1 to 3650");
    }
    if (patch.custom_types) {
        for (size_t i = 0; i < patch.custom_types->size(); ++i) {
            const auto& t = (*patch.custom_types)[i];
            std::string field = "custom_types[" + std::to_string(i) + "]";
            if (!StartsWith(t.type, "custom:") || !IsValidIdentifierType(t.type)) {
                return Status::InvalidArgument(field + ".type", "must be custom:<name> with a-z, 0-9 and _ (1-32)");
            }
            int64_t len = Utf8Length(t.label);
            if (len < 1 || len > 50) return Status::InvalidArgument(field + ".label", "must be 1 to 50 characters");
        }
    }
    IdentitySettings result;
    SIYU_RETURN_IF_ERROR(db_->Write([&](Connection& c) -> Status {
        SIYU_ASSIGN_OR_RETURN(IdentitySettings s, LoadIdentitySettings(c, tenant_id));
        if (patch.custom_types) s.custom_types = *patch.custom_types;
        if (patch.unique_types) {
            for (size_t i = 0; i < patch.unique_types->size(); ++i) {
                if (!s.Knows((*patch.unique_types)[i])) {
                    return Status::InvalidArgument("unique_types[" + std::to_string(i) + "]",
                                                   "not a built-in or declared identifier type");
                }
            }
            s.unique_types = *patch.unique_types;
        }
        if (patch.dormant_after_days) s.dormant_after_days = *patch.dormant_after_days;
        SIYU_ASSIGN_OR_RETURN(auto upsert, c.Prepare("INSERT INTO identity_settings(tenant_id, unique_types, "
                                                     "dormant_after_days, updated_at) VALUES (?1, ?2, ?3, ?4) ON "
                                                     "CONFLICT(tenant_id) DO UPDATE SET unique_types = ?2, "
                                                     "dormant_after_days = ?3, updated_at = ?4"));
        SIYU_RETURN_IF_ERROR(upsert.Bind(1, tenant_id)
                                 .Bind(2, Json(s.unique_types).dump())
                                 .Bind(3, int64_t{s.dormant_after_days})
                                 .Bind(4, NowMs())
                                 .Run());
        if (patch.custom_types) {
            SIYU_ASSIGN_OR_RETURN(auto clear, c.Prepare("DELETE FROM identifier_types WHERE tenant_id = ?"));
            SIYU_RETURN_IF_ERROR(clear.Bind(1, tenant_id).Run());
            SIYU_ASSIGN_OR_RETURN(auto ins,
                                  c.Prepare("INSERT INTO identifier_types(tenant_id, type, label, created_at) "
                                            "VALUES (?,?,?,?)"));
            for (size_t i = 0; i < s.custom_types.size(); ++i) {
                const auto& t = s.custom_types[i];
                Status st = ins.Bind(1, tenant_id).Bind(2, t.type).Bind(3, t.label).Bind(4, NowMs()).Run();
                if (st.code() == StatusCode::kAlreadyExists) {
                    return Status::InvalidArgument("custom_types[" + std::to_string(i) + "].type", "listed twice");
                }
                SIYU_RETURN_IF_ERROR(st);
            }
        }
        Json details = {{"unique_types", s.unique_types}, {"dormant_after_days", s.dormant_after_days}};
        SIYU_RETURN_IF_ERROR(auth::AppendAudit(c, tenant_id, actor, "identity.settings_update", "tenant",
                                               std::to_string(tenant_id), details.dump()));
        result = s;
        return Status::Ok();
    }));
    return result;
}

}  // namespace siyu::cdp
