#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "auth/audit_log.h"
#include "base/status.h"
#include "store/database.h"

namespace siyu::cdp {

struct CustomIdentifierType {
    std::string type;  // custom:<name>
    std::string label;
};

// How a tenant's identities resolve. Defaults apply until a tenant changes them.
struct IdentitySettings {
    std::vector<std::string> unique_types = {"user_id", "phone"};
    int dormant_after_days = 180;
    std::vector<CustomIdentifierType> custom_types;

    bool IsUnique(const std::string& type) const;
    // Built-in types and the declared custom ones.
    bool Knows(const std::string& type) const;
};

struct IdentitySettingsPatch {
    std::optional<std::vector<std::string>> unique_types;
    std::optional<int> dormant_after_days;
    std::optional<std::vector<CustomIdentifierType>> custom_types;  // replaces the list
};

// Reads the settings inside a caller's transaction.
Result<IdentitySettings> LoadIdentitySettings(store::Connection& c, int64_t tenant_id);

// The tenant's identity settings. Thread-safe (state lives in the database).
class IdentitySettingsStore {
  public:
    explicit IdentitySettingsStore(store::Database* db) : db_(db) {}
    Result<IdentitySettings> Get(int64_t tenant_id);
    Result<IdentitySettings> Update(int64_t tenant_id, const IdentitySettingsPatch& patch, const auth::Actor& actor);

  private:
    store::Database* db_;
};

}  // namespace siyu::cdp
