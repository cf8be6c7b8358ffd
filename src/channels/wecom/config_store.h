#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "base/status.h"
#include "base/time.h"
#include "channels/secret_box.h"
#include "channels/wecom/api_client.h"
#include "channels/wecom/crypto.h"
#include "store/database.h"

namespace siyu::channels::wecom {

inline constexpr const char* kDefaultApiBaseUrl = "https://qyapi.weixin.qq.com";

// A change to a tenant's WeCom settings. Absent fields keep their value; `null` (the inner
// nullopt) clears an optional one.
struct WecomConfigInput {
    std::optional<std::string> corp_id;
    std::optional<std::optional<std::string>> contact_secret;
    std::optional<std::optional<std::string>> agent_secret;
    std::optional<std::optional<int64_t>> agent_id;
    std::optional<std::optional<std::string>> token;
    std::optional<std::optional<std::string>> encoding_aes_key;
    std::optional<std::string> api_base_url;  // "" resets to kDefaultApiBaseUrl
};

// What may be shown of the settings: never a secret, only whether it is set.
struct WecomConfigView {
    int64_t tenant_id = 0;
    std::string corp_id;
    std::optional<int64_t> agent_id;
    std::string api_base_url;
    bool contact_secret_set = false;
    bool agent_secret_set = false;
    bool token_set = false;
    bool encoding_aes_key_set = false;
    TimeMs created_at = 0;
    TimeMs updated_at = 0;
};

// Field errors (InvalidArgument naming the field) for `input`; `creating` requires corp_id.
Status ValidateWecomConfig(const WecomConfigInput& input, bool creating);

// Each tenant's WeCom connection: corp id, the customer-contact and application secrets, the
// agent id, the callback token and EncodingAESKey, and the API base URL. Secrets are sealed
// with the SecretBox before they are stored and are never returned by Get. Credentials and
// Crypt serve the hot paths (API calls, every callback) from a cache that Put invalidates.
// Thread-safe.
class WecomConfigStore {
  public:
    // Writes the audit entry inside Put's transaction; `details` is a JSON object without secrets.
    using AuditFn = std::function<Status(store::Connection& c, const std::string& action, const std::string& details)>;

    WecomConfigStore(store::Database* db, const SecretBox* secrets) : db_(db), secrets_(secrets) {}

    // Creates or changes the settings (partial update). InvalidArgument naming the field.
    Result<WecomConfigView> Put(int64_t tenant_id, const WecomConfigInput& input, const AuditFn& audit);
    // NotFound when the tenant has no WeCom settings.
    Result<WecomConfigView> Get(int64_t tenant_id);

    // Decrypted API credentials; FailedPrecondition when WeCom is not configured.
    Result<CorpCredentials> Credentials(int64_t tenant_id);
    // The callback crypto (token, EncodingAESKey, corp id as receive id); FailedPrecondition
    // when the tenant has no settings or no token and EncodingAESKey.
    Result<MsgCrypt> Crypt(int64_t tenant_id);

    // Called after a tenant's settings change (e.g. to drop cached access tokens).
    void SetChangeListener(std::function<void(int64_t tenant_id)> listener) { listener_ = std::move(listener); }

  private:
    struct Loaded {
        WecomConfigView view;
        CorpCredentials credentials;
        std::optional<MsgCrypt> crypt;
    };
    Result<std::shared_ptr<const Loaded>> Load(int64_t tenant_id);

    store::Database* db_;
    const SecretBox* secrets_;
    std::function<void(int64_t)> listener_;
    std::mutex mu_;
    std::map<int64_t, std::shared_ptr<const Loaded>> cache_;  // GUARDED_BY(mu_)
    uint64_t generation_ = 0;  // GUARDED_BY(mu_): counts Puts, so a load racing one is not cached
};

}  // namespace siyu::channels::wecom
