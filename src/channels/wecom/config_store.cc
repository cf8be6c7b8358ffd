#include "channels/wecom/config_store.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "base/strings.h"

namespace siyu::channels::wecom {

using store::Connection;

namespace {

bool IsPrintableToken(std::string_view s) {
    return std::all_of(s.begin(), s.end(), [](char c) { return c > 0x20 && c < 0x7f; });
}

bool IsAlnum(std::string_view s) {
    return std::all_of(s.begin(), s.end(), [](char c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    });
}

Status CheckSecret(const std::optional<std::optional<std::string>>& value, const char* field) {
    if (!value || !*value) return Status::Ok();
    const std::string& s = **value;
    if (s.empty() || s.size() > 128 || !IsPrintableToken(s)) {
        return Status::InvalidArgument(field, "must be 1 to 128 printable characters without spaces");
    }
    return Status::Ok();
}

// "https://host[:port][/path]" without a trailing slash.
std::string NormalizeBaseUrl(std::string url) {
    while (!url.empty() && url.back() == '/') url.pop_back();
    return url;
}

struct Row {
    WecomConfigView view;
    std::optional<std::string> contact_secret, agent_secret, token, aes_key;  // sealed
};

Result<std::optional<Row>> ReadRow(Connection& c, int64_t tenant_id) {
    SIYU_ASSIGN_OR_RETURN(auto stmt, c.Prepare("SELECT corp_id, agent_id, api_base_url, contact_secret, agent_secret, "
                                               "token, aes_key, created_at, updated_at FROM wecom_configs "
                                               "WHERE tenant_id = ?"));
    stmt.Bind(1, tenant_id);
    SIYU_ASSIGN_OR_RETURN(bool found, stmt.Step());
    if (!found) return std::optional<Row>();
    Row r;
    r.view.tenant_id = tenant_id;
    r.view.corp_id = stmt.Text(0);
    r.view.agent_id = stmt.OptInt(1);
    r.view.api_base_url = stmt.Text(2);
    r.contact_secret = stmt.OptText(3);
    r.agent_secret = stmt.OptText(4);
    r.token = stmt.OptText(5);
    r.aes_key = stmt.OptText(6);
    r.view.created_at = stmt.Int(7);
    r.view.updated_at = stmt.Int(8);
    r.view.contact_secret_set = r.contact_secret.has_value();
    r.view.agent_secret_set = r.agent_secret.has_value();
    r.view.token_set = r.token.has_value();
    r.view.encoding_aes_key_set = r.aes_key.has_value();
    return std::optional<Row>(std::move(r));
}

}  // namespace

Status ValidateWecomConfig(const WecomConfigInput& in, bool creating) {
    if (creating && !in.corp_id) return Status::InvalidArgument("corp_id", "is required");
    if (in.corp_id && (in.corp_id->empty() || in.corp_id->size() > 64 || !IsPrintableToken(*in.corp_id))) {
        return Status::InvalidArgument("corp_id", "must be 1 to 64 printable characters without spaces");
    }
    SIYU_RETURN_IF_ERROR(CheckSecret(in.contact_secret, "contact_secret"));
    SIYU_RETURN_IF_ERROR(CheckSecret(in.agent_secret, "agent_secret"));
    if (in.agent_id && *in.agent_id && **in.agent_id <= 0) {
        return Status::InvalidArgument("agent_id", "must be a positive integer");
    }
    if (in.token && *in.token) {
        const std::string& t = **in.token;
        if (t.empty() || t.size() > 32 || !IsAlnum(t)) {
            return Status::InvalidArgument("token", "must be 1 to 32 letters and digits");
        }
    }
    if (in.encoding_aes_key && *in.encoding_aes_key) {
        auto crypt = MsgCrypt::Create("", **in.encoding_aes_key, "");
        if (!crypt.ok()) {
            return Status::InvalidArgument("encoding_aes_key",
                                           "must be 43 characters of base64 (A-Z, a-z, 0-9, + and /) that decode to "
                                           "a 32-byte AES key");
        }
    }
    if (in.api_base_url && !in.api_base_url->empty()) {
        std::string url = NormalizeBaseUrl(*in.api_base_url);
        size_t scheme = StartsWith(url, "https://") ? 8 : StartsWith(url, "http://") ? 7 : 0;
        if (scheme == 0 || url.size() <= scheme || url.size() > 200 || !IsPrintableToken(url) ||
            url.find_first_of("?#", scheme) != std::string::npos) {
            return Status::InvalidArgument("api_base_url", "must be an http:// or https:// URL without query");
        }
    }
    return Status::Ok();
}

Result<WecomConfigView> WecomConfigStore::Put(int64_t tenant_id, const WecomConfigInput& in, const AuditFn& audit) {
    std::optional<Row> result;
    SIYU_RETURN_IF_ERROR(db_->Write([&](Connection& c) -> Status {
        SIYU_ASSIGN_OR_RETURN(std::optional<Row> existing, ReadRow(c, tenant_id));
        SIYU_RETURN_IF_ERROR(ValidateWecomConfig(in, !existing.has_value()));
        Row r = existing.value_or(Row{});
        TimeMs now = NowMs();
        if (!existing) {
            r.view.tenant_id = tenant_id;
            r.view.api_base_url = kDefaultApiBaseUrl;
            r.view.created_at = now;
        }
        nlohmann::json changed = nlohmann::json::array();
        auto seal = [&](const std::optional<std::optional<std::string>>& value, std::optional<std::string>* slot,
                        const char* field) {
            if (!value) return;
            *slot = *value ? std::optional<std::string>(secrets_->Seal(**value)) : std::nullopt;
            changed.push_back(field);
        };
        if (in.corp_id && *in.corp_id != r.view.corp_id) {
            r.view.corp_id = *in.corp_id;
            changed.push_back("corp_id");
        }
        if (in.agent_id && *in.agent_id != r.view.agent_id) {
            r.view.agent_id = *in.agent_id;
            changed.push_back("agent_id");
        }
        if (in.api_base_url) {
            std::string url = in.api_base_url->empty() ? kDefaultApiBaseUrl : NormalizeBaseUrl(*in.api_base_url);
            if (url != r.view.api_base_url) {
                r.view.api_base_url = url;
                changed.push_back("api_base_url");
            }
        }
        seal(in.contact_secret, &r.contact_secret, "contact_secret");
        seal(in.agent_secret, &r.agent_secret, "agent_secret");
        seal(in.token, &r.token, "token");
        seal(in.encoding_aes_key, &r.aes_key, "encoding_aes_key");
        r.view.updated_at = now;
        SIYU_ASSIGN_OR_RETURN(
            auto stmt,
            c.Prepare("INSERT INTO wecom_configs(tenant_id, corp_id, agent_id, contact_secret, agent_secret, token, "
                      "aes_key, api_base_url, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?) "
                      "ON CONFLICT(tenant_id) DO UPDATE SET corp_id = excluded.corp_id, agent_id = excluded.agent_id, "
                      "contact_secret = excluded.contact_secret, agent_secret = excluded.agent_secret, "
                      "token = excluded.token, aes_key = excluded.aes_key, api_base_url = excluded.api_base_url, "
                      "updated_at = excluded.updated_at"));
        SIYU_RETURN_IF_ERROR(stmt.Bind(1, tenant_id)
                                 .Bind(2, r.view.corp_id)
                                 .Bind(3, r.view.agent_id)
                                 .Bind(4, r.contact_secret)
                                 .Bind(5, r.agent_secret)
                                 .Bind(6, r.token)
                                 .Bind(7, r.aes_key)
                                 .Bind(8, r.view.api_base_url)
                                 .Bind(9, r.view.created_at)
                                 .Bind(10, r.view.updated_at)
                                 .Run());
        if (audit) {
            nlohmann::json details = {{"changed", changed},
                                      {"corp_id", r.view.corp_id},
                                      {"agent_id", r.view.agent_id ? nlohmann::json(*r.view.agent_id) : nullptr},
                                      {"api_base_url", r.view.api_base_url}};
            SIYU_RETURN_IF_ERROR(audit(c, existing ? "wecom.config.update" : "wecom.config.create", details.dump()));
        }
        r.view.contact_secret_set = r.contact_secret.has_value();
        r.view.agent_secret_set = r.agent_secret.has_value();
        r.view.token_set = r.token.has_value();
        r.view.encoding_aes_key_set = r.aes_key.has_value();
        result = std::move(r);
        return Status::Ok();
    }));
    {
        std::lock_guard lock(mu_);
        cache_.erase(tenant_id);
        ++generation_;
    }
    if (listener_) listener_(tenant_id);
    return result->view;
}

Result<WecomConfigView> WecomConfigStore::Get(int64_t tenant_id) {
    std::optional<Row> row;
    SIYU_RETURN_IF_ERROR(db_->Read([&](Connection& c) -> Status {
        SIYU_ASSIGN_OR_RETURN(row, ReadRow(c, tenant_id));
        return Status::Ok();
    }));
    if (!row) return Status::NotFound("WeCom is not configured for this tenant");
    return row->view;
}

Result<std::shared_ptr<const WecomConfigStore::Loaded>> WecomConfigStore::Load(int64_t tenant_id) {
    uint64_t generation = 0;
    {
        std::lock_guard lock(mu_);
        if (auto it = cache_.find(tenant_id); it != cache_.end()) return it->second;
        generation = generation_;
    }
    std::optional<Row> row;
    SIYU_RETURN_IF_ERROR(db_->Read([&](Connection& c) -> Status {
        SIYU_ASSIGN_OR_RETURN(row, ReadRow(c, tenant_id));
        return Status::Ok();
    }));
    if (!row) return Status::FailedPrecondition("WeCom is not configured for this tenant (PUT /api/v1/wecom/config)");
    auto open = [&](const std::optional<std::string>& sealed, const char* field) -> Result<std::string> {
        if (!sealed) return std::string();
        auto plain = secrets_->Open(*sealed);
        if (!plain.ok()) {
            return Status::FailedPrecondition(std::string("the stored WeCom ") + field +
                                              " cannot be decrypted with secrets.key_file; set it again");
        }
        return std::move(plain).value();
    };
    auto loaded = std::make_shared<Loaded>();
    loaded->view = row->view;
    CorpCredentials& cred = loaded->credentials;
    cred.corp_id = row->view.corp_id;
    cred.agent_id = row->view.agent_id.value_or(0);
    cred.base_url = row->view.api_base_url;
    SIYU_ASSIGN_OR_RETURN(cred.contact_secret, open(row->contact_secret, "contact_secret"));
    SIYU_ASSIGN_OR_RETURN(cred.agent_secret, open(row->agent_secret, "agent_secret"));
    if (row->token && row->aes_key) {
        SIYU_ASSIGN_OR_RETURN(std::string token, open(row->token, "token"));
        SIYU_ASSIGN_OR_RETURN(std::string aes_key, open(row->aes_key, "encoding_aes_key"));
        auto crypt = MsgCrypt::Create(token, aes_key, row->view.corp_id);
        if (crypt.ok()) loaded->crypt = std::move(crypt.value);
    }
    std::shared_ptr<const Loaded> out = loaded;
    std::lock_guard lock(mu_);
    if (generation == generation_) cache_[tenant_id] = out;  // else a Put committed meanwhile
    return out;
}

Result<CorpCredentials> WecomConfigStore::Credentials(int64_t tenant_id) {
    SIYU_ASSIGN_OR_RETURN(auto loaded, Load(tenant_id));
    return loaded->credentials;
}

Result<MsgCrypt> WecomConfigStore::Crypt(int64_t tenant_id) {
    SIYU_ASSIGN_OR_RETURN(auto loaded, Load(tenant_id));
    if (!loaded->crypt) {
        return Status::FailedPrecondition(
            "WeCom callbacks are not configured for this tenant: set token and encoding_aes_key");
    }
    return *loaded->crypt;
}

}  // namespace siyu::channels::wecom
