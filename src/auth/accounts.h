#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "auth/audit_log.h"
#include "auth/roles.h"
#include "base/status.h"
#include "base/time.h"
#include "store/database.h"

namespace siyu::auth {

struct Tenant {
    int64_t id = 0;
    std::string name;
    std::string time_zone;
    std::string currency;
    bool demo = false;
    TimeMs created_at = 0;
    TimeMs updated_at = 0;
};

struct TenantPatch {
    std::optional<std::string> name;
    std::optional<std::string> time_zone;
    std::optional<std::string> currency;
};

// A console user as a member of one tenant.
struct Member {
    int64_t user_id = 0;
    int64_t tenant_id = 0;
    std::string email;
    std::string name;
    Role role = Role::kGuide;
    std::vector<int64_t> store_ids;
    bool disabled = false;
    TimeMs created_at = 0;
    std::optional<TimeMs> last_login_at;
};

struct NewMember {
    std::string email;
    std::string name;
    Role role = Role::kGuide;
    std::string password;  // used when the account is new; empty: one is generated
    std::vector<int64_t> store_ids;
};

struct MemberPatch {
    std::optional<std::string> name;
    std::optional<Role> role;
    std::optional<std::vector<int64_t>> store_ids;
    std::optional<bool> disabled;
    std::optional<std::string> password;
};

struct ApiKey {
    int64_t id = 0;
    int64_t tenant_id = 0;
    std::string name;
    std::string kind;  // "secret" or "write"
    Role role = Role::kAdmin;
    std::string prefix;
    TimeMs created_at = 0;
    std::optional<TimeMs> last_used_at;
    std::optional<TimeMs> revoked_at;
};

struct SessionInfo {
    int64_t id = 0;
    TimeMs created_at = 0;
    TimeMs expires_at = 0;
    std::string ip;
    std::string user_agent;
};

// Who is calling: a console user in a session, or an API key. Immutable once built.
struct Principal {
    enum class Kind { kUser, kApiKey, kWriteKey };
    Kind kind = Kind::kUser;
    int64_t tenant_id = 0;
    Role role = Role::kGuide;
    int64_t user_id = 0;     // kUser
    int64_t session_id = 0;  // kUser
    int64_t api_key_id = 0;  // kApiKey, kWriteKey
    std::string name;        // e-mail or key name, for the audit log
    std::vector<int64_t> store_ids;
};

struct Page {
    int limit = 50;
    std::optional<int64_t> after_id;  // rows with a smaller id come next (newest first)
};

struct LoginResult {
    std::string token;  // the session cookie's value, shown once
    Principal principal;
};

// Tenants, console users, sessions and API keys. Thread-safe: all state lives in the
// database except a cache of API-key principals guarded by `mu_`.
class Accounts {
  public:
    Accounts(store::Database* db, int session_ttl_hours);

    Result<Tenant> CreateTenant(const std::string& name, const std::string& time_zone, const std::string& currency,
                                bool demo);
    Result<Tenant> GetTenant(int64_t tenant_id);
    Result<std::vector<Tenant>> ListTenants();
    Result<Tenant> UpdateTenant(int64_t tenant_id, const TenantPatch& patch, const Actor& actor);
    Result<int64_t> CountUsers();

    // Creates the account if the e-mail is new, then the membership. `generated_password`
    // receives the password when one was generated.
    Result<Member> AddMember(int64_t tenant_id, const NewMember& input, const Actor& actor,
                             std::string* generated_password = nullptr);
    Result<Member> GetMember(int64_t tenant_id, int64_t user_id);
    Result<std::vector<Member>> ListMembers(int64_t tenant_id, const Page& page, std::optional<Role> role);
    Result<Member> UpdateMember(int64_t tenant_id, int64_t user_id, const MemberPatch& patch, const Actor& actor);
    Status RemoveMember(int64_t tenant_id, int64_t user_id, const Actor& actor);
    Result<int64_t> FindUserByEmail(const std::string& email);
    Status SetPassword(int64_t user_id, const std::string& password);
    // Tenants the user belongs to (enabled memberships), with the role in each.
    Result<std::vector<std::pair<Tenant, Role>>> TenantsOfUser(int64_t user_id);

    // Checks the password and opens a session in `tenant_id`, or in the user's first tenant.
    Result<LoginResult> Login(const std::string& email, const std::string& password, std::optional<int64_t> tenant_id,
                              const std::string& ip, const std::string& user_agent);
    Result<Principal> AuthenticateSession(const std::string& token);
    Result<Principal> AuthenticateKey(const std::string& key);
    Status Logout(const Principal& principal, const std::string& ip);
    Result<Principal> SwitchTenant(const Principal& principal, int64_t tenant_id);
    Result<std::vector<SessionInfo>> ListSessions(int64_t user_id);
    Status RevokeSession(int64_t user_id, int64_t session_id);

    // Returns the key and its secret, which is never stored.
    Result<std::pair<ApiKey, std::string>> CreateApiKey(int64_t tenant_id, const std::string& name,
                                                        const std::string& kind, Role role, const Actor& actor);
    Result<std::vector<ApiKey>> ListApiKeys(int64_t tenant_id);
    Status RevokeApiKey(int64_t tenant_id, int64_t key_id, const Actor& actor);

    Result<std::vector<AuditEntry>> ListAudit(int64_t tenant_id, const Page& page, const std::string& action,
                                              const std::string& actor);

  private:
    // Records auth.login_failed in the requested tenant if the user belongs to it, otherwise
    // in the first tenant they belong to (enabled or not).
    void AuditLoginFailure(int64_t user_id, const std::string& email, std::optional<int64_t> tenant_id,
                           const std::string& ip, const std::string& reason);
    Result<Principal> PrincipalForMember(store::Connection& c, int64_t tenant_id, int64_t user_id);
    Status EnsureAnotherOwner(store::Connection& c, int64_t tenant_id, int64_t user_id);

    store::Database* db_;
    int session_ttl_hours_;
    std::mutex mu_;
    struct CachedKey {
        Principal principal;
        TimeMs checked_at = 0;         // last read from the database
        TimeMs last_used_written = 0;  // last update of api_keys.last_used_at
    };
    std::unordered_map<std::string, CachedKey> key_cache_;  // GUARDED_BY(mu_), by key hash
};

}  // namespace siyu::auth
