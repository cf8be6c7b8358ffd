#include "auth/accounts.h"

#include <spdlog/spdlog.h>

#include "auth/password.h"
#include "base/crypto.h"
#include "base/phone.h"
#include "base/strings.h"

namespace siyu::auth {

using store::Connection;
using Json = nlohmann::json;

namespace {

// A cached key is re-read after this long, so a revocation by another process (the CLI)
// takes effect within it; revocations through this process apply at once.
constexpr TimeMs kKeyRecheckMs = 5'000;
constexpr TimeMs kKeyLastUsedEveryMs = 60'000;

std::string StoreIdsToJson(const std::vector<int64_t>& ids) { return Json(ids).dump(); }

std::vector<int64_t> StoreIdsFromJson(const std::string& text) {
    auto j = Json::parse(text, nullptr, false);
    std::vector<int64_t> out;
    if (j.is_array()) {
        for (const auto& v : j) {
            if (v.is_number_integer()) out.push_back(v.get<int64_t>());
        }
    }
    return out;
}

const char kMemberColumns[] =
    "SELECT m.user_id, m.tenant_id, u.email, u.name, m.role, m.store_ids, m.disabled, m.created_at, "
    "m.last_login_at FROM memberships m JOIN users u ON u.id = m.user_id ";

Member ReadMember(const store::Statement& s) {
    Member m;
    m.user_id = s.Int(0);
    m.tenant_id = s.Int(1);
    m.email = s.Text(2);
    m.name = s.Text(3);
    m.role = ParseRole(s.Text(4)).value_or(Role::kGuide);
    m.store_ids = StoreIdsFromJson(s.Text(5));
    m.disabled = s.Int(6) != 0;
    m.created_at = s.Int(7);
    m.last_login_at = s.OptInt(8);
    return m;
}

const char kTenantColumns[] = "SELECT tenant_id, name, time_zone, currency, demo, created_at, updated_at FROM tenants ";

Tenant ReadTenant(const store::Statement& s) {
    return Tenant{s.Int(0), s.Text(1), s.Text(2), s.Text(3), s.Int(4) != 0, s.Int(5), s.Int(6)};
}

Status ValidateTenantFields(const std::optional<std::string>& name, const std::optional<std::string>& tz,
                            const std::optional<std::string>& currency) {
    if (name) {
        int64_t len = Utf8Length(*name);
        if (len < 1 || len > 100 || Trim(*name).empty())
            return Status::InvalidArgument("name", "must be 1 to 100 characters");
    }
    if (tz && !IsValidTimeZone(*tz)) return Status::InvalidArgument("time_zone", "not a known IANA time zone");
    if (currency) {
        bool ok = currency->size() == 3;
        for (char ch : *currency) ok = ok && ch >= 'A' && ch <= 'Z';
        if (!ok) return Status::InvalidArgument("currency", "must be a three-letter ISO 4217 code such as CNY");
    }
    return Status::Ok();
}

const char kApiKeyColumns[] =
    "SELECT id, tenant_id, name, kind, role, prefix, created_at, last_used_at, revoked_at FROM api_keys ";

ApiKey ReadApiKey(const store::Statement& s) {
    ApiKey k;
    k.id = s.Int(0);
    k.tenant_id = s.Int(1);
    k.name = s.Text(2);
    k.kind = s.Text(3);
    k.role = ParseRole(s.Text(4)).value_or(Role::kAnalyst);
    k.prefix = s.Text(5);
    k.created_at = s.Int(6);
    k.last_used_at = s.OptInt(7);
    k.revoked_at = s.OptInt(8);
    return k;
}

}  // namespace

Accounts::Accounts(store::Database* db, int session_ttl_hours) : db_(db), session_ttl_hours_(session_ttl_hours) {}

Result<Tenant> Accounts::CreateTenant(const std::string& name, const std::string& time_zone,
                                      const std::string& currency, bool demo) {
    SIYU_RETURN_IF_ERROR(ValidateTenantFields(name, time_zone, currency));
    Tenant t{0, name, time_zone, currency, demo, NowMs(), NowMs()};
    SIYU_RETURN_IF_ERROR(db_->Write([&](Connection& c) -> Status {
        SIYU_ASSIGN_OR_RETURN(auto stmt, c.Prepare("INSERT INTO tenants(name, time_zone, currency, demo, created_at, "
                                                   "updated_at) VALUES (?,?,?,?,?,?)"));
        SIYU_RETURN_IF_ERROR(stmt.Bind(1, t.name)
                                 .Bind(2, t.time_zone)
                                 .Bind(3, t.currency)
                                 .Bind(4, int64_t{demo})
                                 .Bind(5, t.created_at)
                                 .Bind(6, t.updated_at)
                                 .Run());
        t.id = c.LastInsertId();
        return Status::Ok();
    }));
    return t;
}

Result<Tenant> Accounts::GetTenant(int64_t tenant_id) {
    std::optional<Tenant> out;
    SIYU_RETURN_IF_ERROR(db_->Read([&](Connection& c) -> Status {
        SIYU_ASSIGN_OR_RETURN(auto stmt, c.Prepare(std::string(kTenantColumns) + "WHERE tenant_id = ?"));
        stmt.Bind(1, tenant_id);
        SIYU_ASSIGN_OR_RETURN(bool row, stmt.Step());
        if (row) out = ReadTenant(stmt);
        return Status::Ok();
    }));
    if (!out) return Status::NotFound("tenant " + std::to_string(tenant_id) + " not found");
    return *out;
}

Result<std::vector<Tenant>> Accounts::ListTenants() {
    std::vector<Tenant> out;
    SIYU_RETURN_IF_ERROR(db_->Read([&](Connection& c) -> Status {
        SIYU_ASSIGN_OR_RETURN(auto stmt, c.Prepare(std::string(kTenantColumns) + "ORDER BY tenant_id"));
        SIYU_RETURN_IF_ERROR(stmt.ForEachRow([&] { out.push_back(ReadTenant(stmt)); }));
        return Status::Ok();
    }));
    return out;
}

Result<Tenant> Accounts::UpdateTenant(int64_t tenant_id, const TenantPatch& patch, const Actor& actor) {
    SIYU_RETURN_IF_ERROR(ValidateTenantFields(patch.name, patch.time_zone, patch.currency));
    SIYU_RETURN_IF_ERROR(db_->Write([&](Connection& c) -> Status {
        SIYU_ASSIGN_OR_RETURN(auto stmt, c.Prepare("UPDATE tenants SET name = coalesce(?, name), "
                                                   "time_zone = coalesce(?, time_zone), currency = coalesce(?, "
                                                   "currency), updated_at = ? WHERE tenant_id = ?"));
        SIYU_RETURN_IF_ERROR(stmt.Bind(1, patch.name)
                                 .Bind(2, patch.time_zone)
                                 .Bind(3, patch.currency)
                                 .Bind(4, NowMs())
                                 .Bind(5, tenant_id)
                                 .Run());
        if (c.Changes() == 0) return Status::NotFound("tenant not found");
        Json details = Json::object();
        if (patch.name) details["name"] = *patch.name;
        if (patch.time_zone) details["time_zone"] = *patch.time_zone;
        if (patch.currency) details["currency"] = *patch.currency;
        return AppendAudit(c, tenant_id, actor, "tenant.update", "tenant", std::to_string(tenant_id), details.dump());
    }));
    return GetTenant(tenant_id);
}

Result<int64_t> Accounts::CountUsers() {
    int64_t n = 0;
    SIYU_RETURN_IF_ERROR(db_->Read([&](Connection& c) -> Status {
        SIYU_ASSIGN_OR_RETURN(auto stmt, c.Prepare("SELECT count(*) FROM users"));
        SIYU_ASSIGN_OR_RETURN(bool row, stmt.Step());
        if (row) n = stmt.Int(0);
        return Status::Ok();
    }));
    return n;
}

Result<int64_t> Accounts::FindUserByEmail(const std::string& email) {
    std::optional<int64_t> id;
    SIYU_RETURN_IF_ERROR(db_->Read([&](Connection& c) -> Status {
        SIYU_ASSIGN_OR_RETURN(auto stmt, c.Prepare("SELECT id FROM users WHERE email = ?"));
        stmt.Bind(1, email);
        SIYU_ASSIGN_OR_RETURN(bool row, stmt.Step());
        if (row) id = stmt.Int(0);
        return Status::Ok();
    }));
    if (!id) return Status::NotFound("no user with that e-mail");
    return *id;
}

Result<Member> Accounts::AddMember(int64_t tenant_id, const NewMember& input, const Actor& actor,
                                   std::string* generated_password) {
    std::string email = ToLower(Trim(input.email));
    if (!IsValidEmail(email)) return Status::InvalidArgument("email", "not a valid e-mail address");
    int64_t name_len = Utf8Length(input.name);
    if (name_len < 1 || name_len > 100) return Status::InvalidArgument("name", "must be 1 to 100 characters");
    std::string password = input.password;
    auto existing = FindUserByEmail(email);
    std::string hash;
    if (!existing.ok()) {
        if (password.empty()) {
            password = GeneratePassword();
            if (generated_password) *generated_password = password;
        }
        SIYU_RETURN_IF_ERROR(CheckPasswordPolicy(password));
        SIYU_ASSIGN_OR_RETURN(hash, HashPassword(password));
    } else if (!password.empty()) {
        SIYU_RETURN_IF_ERROR(CheckPasswordPolicy(password));
    }
    int64_t user_id = 0;
    SIYU_RETURN_IF_ERROR(db_->Write([&](Connection& c) -> Status {
        TimeMs now = NowMs();
        SIYU_ASSIGN_OR_RETURN(auto find, c.Prepare("SELECT id FROM users WHERE email = ?"));
        find.Bind(1, email);
        SIYU_ASSIGN_OR_RETURN(bool found, find.Step());
        if (found) {
            user_id = find.Int(0);
        } else {
            if (hash.empty()) return Status::Unavailable("account changed concurrently; retry");
            SIYU_ASSIGN_OR_RETURN(auto ins, c.Prepare("INSERT INTO users(email, name, password_hash, created_at, "
                                                      "updated_at) VALUES (?,?,?,?,?)"));
            SIYU_RETURN_IF_ERROR(ins.Bind(1, email).Bind(2, input.name).Bind(3, hash).Bind(4, now).Bind(5, now).Run());
            user_id = c.LastInsertId();
        }
        SIYU_ASSIGN_OR_RETURN(auto mem, c.Prepare("INSERT INTO memberships(tenant_id, user_id, role, store_ids, "
                                                  "created_at) VALUES (?,?,?,?,?)"));
        Status st = mem.Bind(1, tenant_id)
                        .Bind(2, user_id)
                        .Bind(3, RoleName(input.role))
                        .Bind(4, StoreIdsToJson(input.store_ids))
                        .Bind(5, now)
                        .Run();
        if (st.code() == StatusCode::kAlreadyExists) {
            return Status::AlreadyExists("email", "a user with this e-mail is already in this tenant");
        }
        SIYU_RETURN_IF_ERROR(st);
        Json details = {{"email", email}, {"role", RoleName(input.role)}};
        return AppendAudit(c, tenant_id, actor, "user.create", "user", std::to_string(user_id), details.dump());
    }));
    return GetMember(tenant_id, user_id);
}

Result<Member> Accounts::GetMember(int64_t tenant_id, int64_t user_id) {
    std::optional<Member> out;
    SIYU_RETURN_IF_ERROR(db_->Read([&](Connection& c) -> Status {
        SIYU_ASSIGN_OR_RETURN(auto stmt,
                              c.Prepare(std::string(kMemberColumns) + "WHERE m.tenant_id = ? AND m.user_id = ?"));
        stmt.Bind(1, tenant_id).Bind(2, user_id);
        SIYU_ASSIGN_OR_RETURN(bool row, stmt.Step());
        if (row) out = ReadMember(stmt);
        return Status::Ok();
    }));
    if (!out) return Status::NotFound("user " + std::to_string(user_id) + " not found");
    return *out;
}

Result<std::vector<Member>> Accounts::ListMembers(int64_t tenant_id, const Page& page, std::optional<Role> role) {
    std::vector<Member> out;
    SIYU_RETURN_IF_ERROR(db_->Read([&](Connection& c) -> Status {
        SIYU_ASSIGN_OR_RETURN(auto stmt, c.Prepare(std::string(kMemberColumns) +
                                                   "WHERE m.tenant_id = ? AND m.user_id < ? AND (? IS NULL OR "
                                                   "m.role = ?) ORDER BY m.user_id DESC LIMIT ?"));
        std::optional<std::string> role_name;
        if (role) role_name = RoleName(*role);
        stmt.Bind(1, tenant_id)
            .Bind(2, page.after_id.value_or(INT64_MAX))
            .Bind(3, role_name)
            .Bind(4, role_name)
            .Bind(5, int64_t{page.limit});
        SIYU_RETURN_IF_ERROR(stmt.ForEachRow([&] { out.push_back(ReadMember(stmt)); }));
        return Status::Ok();
    }));
    return out;
}

Status Accounts::EnsureAnotherOwner(Connection& c, int64_t tenant_id, int64_t user_id) {
    SIYU_ASSIGN_OR_RETURN(auto stmt, c.Prepare("SELECT count(*) FROM memberships WHERE tenant_id = ? AND role = "
                                               "'owner' AND disabled = 0 AND user_id <> ?"));
    stmt.Bind(1, tenant_id).Bind(2, user_id);
    SIYU_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row || stmt.Int(0) == 0)
        return Status::FailedPrecondition(
            "the last owner of a tenant cannot be removed, "
            "disabled or demoted");
    return Status::Ok();
}

Result<Member> Accounts::UpdateMember(int64_t tenant_id, int64_t user_id, const MemberPatch& patch,
                                      const Actor& actor) {
    if (patch.name) {
        int64_t len = Utf8Length(*patch.name);
        if (len < 1 || len > 100) return Status::InvalidArgument("name", "must be 1 to 100 characters");
    }
    std::string hash;
    if (patch.password) {
        SIYU_RETURN_IF_ERROR(CheckPasswordPolicy(*patch.password));
        SIYU_ASSIGN_OR_RETURN(hash, HashPassword(*patch.password));
    }
    SIYU_ASSIGN_OR_RETURN(Member before, GetMember(tenant_id, user_id));
    SIYU_RETURN_IF_ERROR(db_->Write([&](Connection& c) -> Status {
        bool loses_owner = before.role == Role::kOwner &&
                           ((patch.role && *patch.role != Role::kOwner) || (patch.disabled && *patch.disabled));
        if (loses_owner) SIYU_RETURN_IF_ERROR(EnsureAnotherOwner(c, tenant_id, user_id));
        std::optional<std::string> role_name;
        if (patch.role) role_name = RoleName(*patch.role);
        std::optional<std::string> stores;
        if (patch.store_ids) stores = StoreIdsToJson(*patch.store_ids);
        std::optional<int64_t> disabled;
        if (patch.disabled) disabled = *patch.disabled ? 1 : 0;
        SIYU_ASSIGN_OR_RETURN(auto stmt, c.Prepare("UPDATE memberships SET role = coalesce(?, role), store_ids = "
                                                   "coalesce(?, store_ids), disabled = coalesce(?, disabled) "
                                                   "WHERE tenant_id = ? AND user_id = ?"));
        SIYU_RETURN_IF_ERROR(
            stmt.Bind(1, role_name).Bind(2, stores).Bind(3, disabled).Bind(4, tenant_id).Bind(5, user_id).Run());
        if (c.Changes() == 0) return Status::NotFound("user not found");
        if (patch.name || !hash.empty()) {
            SIYU_ASSIGN_OR_RETURN(auto u, c.Prepare("UPDATE users SET name = coalesce(?, name), password_hash = "
                                                    "coalesce(?, password_hash), updated_at = ? WHERE id = ?"));
            std::optional<std::string> h;
            if (!hash.empty()) h = hash;
            SIYU_RETURN_IF_ERROR(u.Bind(1, patch.name).Bind(2, h).Bind(3, NowMs()).Bind(4, user_id).Run());
        }
        if (!hash.empty() || (patch.disabled && *patch.disabled)) {
            SIYU_ASSIGN_OR_RETURN(auto rv, c.Prepare("UPDATE sessions SET revoked_at = ? WHERE user_id = ? AND "
                                                     "revoked_at IS NULL AND (? OR tenant_id = ?)"));
            SIYU_RETURN_IF_ERROR(
                rv.Bind(1, NowMs()).Bind(2, user_id).Bind(3, int64_t{!hash.empty()}).Bind(4, tenant_id).Run());
        }
        Json details = Json::object();
        if (patch.role) details["role"] = RoleName(*patch.role);
        if (patch.disabled) details["disabled"] = *patch.disabled;
        if (patch.store_ids) details["store_ids"] = *patch.store_ids;
        if (patch.name) details["name"] = *patch.name;
        if (patch.password) details["password_changed"] = true;
        return AppendAudit(c, tenant_id, actor, "user.update", "user", std::to_string(user_id), details.dump());
    }));
    return GetMember(tenant_id, user_id);
}

Status Accounts::RemoveMember(int64_t tenant_id, int64_t user_id, const Actor& actor) {
    return db_->Write([&](Connection& c) -> Status {
        SIYU_ASSIGN_OR_RETURN(auto find, c.Prepare("SELECT role FROM memberships WHERE tenant_id = ? AND user_id = ?"));
        find.Bind(1, tenant_id).Bind(2, user_id);
        SIYU_ASSIGN_OR_RETURN(bool row, find.Step());
        if (!row) return Status::NotFound("user " + std::to_string(user_id) + " not found");
        bool owner = find.Text(0) == "owner";
        if (owner) SIYU_RETURN_IF_ERROR(EnsureAnotherOwner(c, tenant_id, user_id));
        SIYU_ASSIGN_OR_RETURN(auto del, c.Prepare("DELETE FROM memberships WHERE tenant_id = ? AND user_id = ?"));
        SIYU_RETURN_IF_ERROR(del.Bind(1, tenant_id).Bind(2, user_id).Run());
        SIYU_ASSIGN_OR_RETURN(auto rv, c.Prepare("UPDATE sessions SET revoked_at = ? WHERE user_id = ? AND "
                                                 "tenant_id = ? AND revoked_at IS NULL"));
        SIYU_RETURN_IF_ERROR(rv.Bind(1, NowMs()).Bind(2, user_id).Bind(3, tenant_id).Run());
        return AppendAudit(c, tenant_id, actor, "user.delete", "user", std::to_string(user_id));
    });
}

Status Accounts::SetPassword(int64_t user_id, const std::string& password) {
    SIYU_RETURN_IF_ERROR(CheckPasswordPolicy(password));
    SIYU_ASSIGN_OR_RETURN(std::string hash, HashPassword(password));
    return db_->Write([&](Connection& c) -> Status {
        SIYU_ASSIGN_OR_RETURN(auto u, c.Prepare("UPDATE users SET password_hash = ?, updated_at = ? WHERE id = ?"));
        SIYU_RETURN_IF_ERROR(u.Bind(1, hash).Bind(2, NowMs()).Bind(3, user_id).Run());
        if (c.Changes() == 0) return Status::NotFound("user not found");
        SIYU_ASSIGN_OR_RETURN(auto rv, c.Prepare("UPDATE sessions SET revoked_at = ? WHERE user_id = ? AND "
                                                 "revoked_at IS NULL"));
        return rv.Bind(1, NowMs()).Bind(2, user_id).Run();
    });
}

Result<std::vector<std::pair<Tenant, Role>>> Accounts::TenantsOfUser(int64_t user_id) {
    std::vector<std::pair<Tenant, Role>> out;
    SIYU_RETURN_IF_ERROR(db_->Read([&](Connection& c) -> Status {
        SIYU_ASSIGN_OR_RETURN(auto stmt,
                              c.Prepare("SELECT t.tenant_id, t.name, t.time_zone, t.currency, t.demo, t.created_at, "
                                        "t.updated_at, m.role FROM memberships m JOIN tenants t ON t.tenant_id = "
                                        "m.tenant_id WHERE m.user_id = ? AND m.disabled = 0 ORDER BY t.tenant_id"));
        stmt.Bind(1, user_id);
        SIYU_RETURN_IF_ERROR(stmt.ForEachRow(
            [&] { out.emplace_back(ReadTenant(stmt), ParseRole(stmt.Text(7)).value_or(Role::kGuide)); }));
        return Status::Ok();
    }));
    return out;
}

Result<Principal> Accounts::PrincipalForMember(Connection& c, int64_t tenant_id, int64_t user_id) {
    SIYU_ASSIGN_OR_RETURN(auto stmt,
                          c.Prepare(std::string(kMemberColumns) + "WHERE m.tenant_id = ? AND m.user_id = ?"));
    stmt.Bind(1, tenant_id).Bind(2, user_id);
    SIYU_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) return Status::Unauthenticated("not a member of this tenant");
    Member m = ReadMember(stmt);
    if (m.disabled) return Status::Unauthenticated("account disabled");
    Principal p;
    p.kind = Principal::Kind::kUser;
    p.tenant_id = tenant_id;
    p.role = m.role;
    p.user_id = user_id;
    p.name = m.email;
    p.store_ids = m.store_ids;
    return p;
}

Result<LoginResult> Accounts::Login(const std::string& email, const std::string& password,
                                    std::optional<int64_t> tenant_id, const std::string& ip,
                                    const std::string& user_agent) {
    static const std::string kDummyHash = HashPassword("timing-equaliser").value();
    std::optional<std::pair<int64_t, std::string>> user;
    SIYU_RETURN_IF_ERROR(db_->Read([&](Connection& c) -> Status {
        SIYU_ASSIGN_OR_RETURN(auto stmt, c.Prepare("SELECT id, password_hash FROM users WHERE email = ?"));
        stmt.Bind(1, ToLower(Trim(email)));
        SIYU_ASSIGN_OR_RETURN(bool row, stmt.Step());
        if (row) user = {stmt.Int(0), stmt.Text(1)};
        return Status::Ok();
    }));
    if (!user) {
        (void)VerifyPassword(password, kDummyHash);
        return Status::Unauthenticated("wrong e-mail or password");
    }
    std::string normalized_email = ToLower(Trim(email));
    if (!VerifyPassword(password, user->second)) {
        AuditLoginFailure(user->first, normalized_email, tenant_id, ip, "wrong password");
        return Status::Unauthenticated("wrong e-mail or password");
    }
    SIYU_ASSIGN_OR_RETURN(auto tenants, TenantsOfUser(user->first));
    if (tenants.empty()) {
        AuditLoginFailure(user->first, normalized_email, tenant_id, ip, "account disabled in every tenant");
        return Status::Unauthenticated("this account has no active tenant");
    }
    int64_t chosen = tenants.front().first.id;
    if (tenant_id) {
        bool member = false;
        for (const auto& [t, role] : tenants) member |= t.id == *tenant_id;
        if (!member) return Status::InvalidArgument("tenant_id", "not a tenant of this account");
        chosen = *tenant_id;
    }
    LoginResult out;
    out.token = "ss_" + RandomToken(32);
    SIYU_RETURN_IF_ERROR(db_->Write([&](Connection& c) -> Status {
        SIYU_ASSIGN_OR_RETURN(out.principal, PrincipalForMember(c, chosen, user->first));
        TimeMs now = NowMs();
        SIYU_ASSIGN_OR_RETURN(auto ins, c.Prepare("INSERT INTO sessions(tenant_id, user_id, token_hash, created_at, "
                                                  "expires_at, ip, user_agent) VALUES (?,?,?,?,?,?,?)"));
        SIYU_RETURN_IF_ERROR(ins.Bind(1, chosen)
                                 .Bind(2, user->first)
                                 .Bind(3, Sha256Hex(out.token))
                                 .Bind(4, now)
                                 .Bind(5, now + int64_t{session_ttl_hours_} * 3'600'000)
                                 .Bind(6, ip)
                                 .Bind(7, user_agent.substr(0, 300))
                                 .Run());
        out.principal.session_id = c.LastInsertId();
        SIYU_ASSIGN_OR_RETURN(auto upd, c.Prepare("UPDATE memberships SET last_login_at = ? WHERE tenant_id = ? AND "
                                                  "user_id = ?"));
        SIYU_RETURN_IF_ERROR(upd.Bind(1, now).Bind(2, chosen).Bind(3, user->first).Run());
        Actor actor{"user", user->first, out.principal.name, ip};
        return AppendAudit(c, chosen, actor, "auth.login", "session", std::to_string(out.principal.session_id));
    }));
    return out;
}

void Accounts::AuditLoginFailure(int64_t user_id, const std::string& email, std::optional<int64_t> tenant_id,
                                 const std::string& ip, const std::string& reason) {
    Status st = db_->Write([&](Connection& c) -> Status {
        SIYU_ASSIGN_OR_RETURN(auto stmt, c.Prepare("SELECT tenant_id FROM memberships WHERE user_id = ?1 ORDER BY "
                                                   "tenant_id = ?2 DESC, tenant_id LIMIT 1"));
        stmt.Bind(1, user_id).Bind(2, tenant_id.value_or(0));
        SIYU_ASSIGN_OR_RETURN(bool row, stmt.Step());
        if (!row) return Status::Ok();
        int64_t tenant = stmt.Int(0);
        stmt.Reset();
        Json details = {{"reason", reason}};
        return AppendAudit(c, tenant, Actor{"user", user_id, email, ip}, "auth.login_failed", "user",
                           std::to_string(user_id), details.dump());
    });
    if (!st.ok()) spdlog::warn("cannot audit a failed login: {}", st.message());
}

Result<Principal> Accounts::AuthenticateSession(const std::string& token) {
    if (!StartsWith(token, "ss_")) return Status::Unauthenticated("invalid session");
    std::optional<Principal> out;
    Status failure = Status::Unauthenticated("invalid session");
    SIYU_RETURN_IF_ERROR(db_->Read([&](Connection& c) -> Status {
        SIYU_ASSIGN_OR_RETURN(auto stmt, c.Prepare("SELECT id, tenant_id, user_id, expires_at, revoked_at FROM "
                                                   "sessions WHERE token_hash = ?"));
        stmt.Bind(1, Sha256Hex(token));
        SIYU_ASSIGN_OR_RETURN(bool row, stmt.Step());
        if (!row) return Status::Ok();
        if (!stmt.IsNull(4)) return Status::Ok();
        if (stmt.Int(3) <= NowMs()) {
            failure = Status::Unauthenticated("session expired");
            return Status::Ok();
        }
        int64_t session_id = stmt.Int(0), tenant_id = stmt.Int(1), user_id = stmt.Int(2);
        auto p = PrincipalForMember(c, tenant_id, user_id);
        if (!p.ok()) {
            failure = p.status();
            return Status::Ok();
        }
        p->session_id = session_id;
        out = std::move(p).value();
        return Status::Ok();
    }));
    if (!out) return failure;
    return *out;
}

Result<Principal> Accounts::AuthenticateKey(const std::string& key) {
    bool secret = StartsWith(key, "sk_"), write = StartsWith(key, "wk_");
    if (!secret && !write) return Status::Unauthenticated("invalid API key");
    std::string hash = Sha256Hex(key);
    TimeMs now = NowMs();
    TimeMs last_used_written = 0;
    {
        std::lock_guard lock(mu_);
        auto it = key_cache_.find(hash);
        if (it != key_cache_.end()) {
            if (now - it->second.checked_at < kKeyRecheckMs) return it->second.principal;
            last_used_written = it->second.last_used_written;
        }
    }
    std::optional<Principal> found;
    SIYU_RETURN_IF_ERROR(db_->Read([&](Connection& c) -> Status {
        SIYU_ASSIGN_OR_RETURN(auto stmt, c.Prepare("SELECT id, tenant_id, kind, role, name FROM api_keys WHERE "
                                                   "key_hash = ? AND revoked_at IS NULL"));
        stmt.Bind(1, hash);
        SIYU_ASSIGN_OR_RETURN(bool row, stmt.Step());
        if (!row) return Status::Ok();
        Principal p;
        p.kind = stmt.Text(2) == "write" ? Principal::Kind::kWriteKey : Principal::Kind::kApiKey;
        p.api_key_id = stmt.Int(0);
        p.tenant_id = stmt.Int(1);
        p.role = ParseRole(stmt.Text(3)).value_or(Role::kAnalyst);
        p.name = stmt.Text(4);
        found = p;
        return Status::Ok();
    }));
    if (!found) {
        std::lock_guard lock(mu_);
        key_cache_.erase(hash);
        return Status::Unauthenticated("invalid or revoked API key");
    }
    if (now - last_used_written >= kKeyLastUsedEveryMs) {
        (void)db_->Write([&](Connection& c) -> Status {
            SIYU_ASSIGN_OR_RETURN(auto stmt, c.Prepare("UPDATE api_keys SET last_used_at = ? WHERE id = ?"));
            return stmt.Bind(1, now).Bind(2, found->api_key_id).Run();
        });
        last_used_written = now;
    }
    std::lock_guard lock(mu_);
    key_cache_[hash] = CachedKey{*found, now, last_used_written};
    return *found;
}

Status Accounts::Logout(const Principal& principal, const std::string& ip) {
    if (principal.kind != Principal::Kind::kUser) return Status::FailedPrecondition("API keys have no session");
    return db_->Write([&](Connection& c) -> Status {
        SIYU_ASSIGN_OR_RETURN(auto stmt, c.Prepare("UPDATE sessions SET revoked_at = ? WHERE id = ?"));
        SIYU_RETURN_IF_ERROR(stmt.Bind(1, NowMs()).Bind(2, principal.session_id).Run());
        Actor actor{"user", principal.user_id, principal.name, ip};
        return AppendAudit(c, principal.tenant_id, actor, "auth.logout", "session",
                           std::to_string(principal.session_id));
    });
}

Result<Principal> Accounts::SwitchTenant(const Principal& principal, int64_t tenant_id) {
    if (principal.kind != Principal::Kind::kUser) {
        return Status::FailedPrecondition("an API key belongs to one tenant");
    }
    std::optional<Principal> out;
    SIYU_RETURN_IF_ERROR(db_->Write([&](Connection& c) -> Status {
        auto p = PrincipalForMember(c, tenant_id, principal.user_id);
        if (!p.ok()) return Status::NotFound("tenant " + std::to_string(tenant_id) + " not found");
        SIYU_ASSIGN_OR_RETURN(auto stmt, c.Prepare("UPDATE sessions SET tenant_id = ? WHERE id = ?"));
        SIYU_RETURN_IF_ERROR(stmt.Bind(1, tenant_id).Bind(2, principal.session_id).Run());
        p->session_id = principal.session_id;
        out = std::move(p).value();
        return Status::Ok();
    }));
    return *out;
}

Result<std::vector<SessionInfo>> Accounts::ListSessions(int64_t user_id) {
    std::vector<SessionInfo> out;
    SIYU_RETURN_IF_ERROR(db_->Read([&](Connection& c) -> Status {
        SIYU_ASSIGN_OR_RETURN(auto stmt, c.Prepare("SELECT id, created_at, expires_at, ip, user_agent FROM sessions "
                                                   "WHERE user_id = ? AND revoked_at IS NULL AND expires_at > ? "
                                                   "ORDER BY id DESC LIMIT 100"));
        stmt.Bind(1, user_id).Bind(2, NowMs());
        SIYU_RETURN_IF_ERROR(stmt.ForEachRow([&] {
            out.push_back(SessionInfo{stmt.Int(0), stmt.Int(1), stmt.Int(2), stmt.Text(3), stmt.Text(4)});
        }));
        return Status::Ok();
    }));
    return out;
}

Status Accounts::RevokeSession(int64_t user_id, int64_t session_id) {
    return db_->Write([&](Connection& c) -> Status {
        SIYU_ASSIGN_OR_RETURN(auto stmt, c.Prepare("UPDATE sessions SET revoked_at = ? WHERE id = ? AND user_id = ? "
                                                   "AND revoked_at IS NULL"));
        SIYU_RETURN_IF_ERROR(stmt.Bind(1, NowMs()).Bind(2, session_id).Bind(3, user_id).Run());
        if (c.Changes() == 0) return Status::NotFound("session " + std::to_string(session_id) + " not found");
        return Status::Ok();
    });
}

Result<std::pair<ApiKey, std::string>> Accounts::CreateApiKey(int64_t tenant_id, const std::string& name,
                                                              const std::string& kind, Role role, const Actor& actor) {
    int64_t len = Utf8Length(name);
    if (len < 1 || len > 100) return Status::InvalidArgument("name", "must be 1 to 100 characters");
    if (kind != "secret" && kind != "write") return Status::InvalidArgument("kind", "must be secret or write");
    if (role == Role::kOwner) return Status::InvalidArgument("role", "an API key cannot be an owner");
    std::string secret = (kind == "secret" ? "sk_" : "wk_") + RandomToken(24);
    ApiKey key;
    key.tenant_id = tenant_id;
    key.name = name;
    key.kind = kind;
    key.role = kind == "secret" ? role : Role::kAnalyst;
    key.prefix = secret.substr(0, 7);
    key.created_at = NowMs();
    SIYU_RETURN_IF_ERROR(db_->Write([&](Connection& c) -> Status {
        SIYU_ASSIGN_OR_RETURN(auto stmt,
                              c.Prepare("INSERT INTO api_keys(tenant_id, name, kind, role, prefix, key_hash, "
                                        "created_at, created_by) VALUES (?,?,?,?,?,?,?,?)"));
        SIYU_RETURN_IF_ERROR(stmt.Bind(1, tenant_id)
                                 .Bind(2, name)
                                 .Bind(3, kind)
                                 .Bind(4, RoleName(key.role))
                                 .Bind(5, key.prefix)
                                 .Bind(6, Sha256Hex(secret))
                                 .Bind(7, key.created_at)
                                 .Bind(8, actor.name)
                                 .Run());
        key.id = c.LastInsertId();
        Json details = {{"name", name}, {"kind", kind}, {"role", RoleName(key.role)}};
        return AppendAudit(c, tenant_id, actor, "apikey.create", "api_key", std::to_string(key.id), details.dump());
    }));
    return std::make_pair(key, secret);
}

Result<std::vector<ApiKey>> Accounts::ListApiKeys(int64_t tenant_id) {
    std::vector<ApiKey> out;
    SIYU_RETURN_IF_ERROR(db_->Read([&](Connection& c) -> Status {
        SIYU_ASSIGN_OR_RETURN(auto stmt,
                              c.Prepare(std::string(kApiKeyColumns) + "WHERE tenant_id = ? ORDER BY id DESC"));
        stmt.Bind(1, tenant_id);
        SIYU_RETURN_IF_ERROR(stmt.ForEachRow([&] { out.push_back(ReadApiKey(stmt)); }));
        return Status::Ok();
    }));
    return out;
}

Status Accounts::RevokeApiKey(int64_t tenant_id, int64_t key_id, const Actor& actor) {
    SIYU_RETURN_IF_ERROR(db_->Write([&](Connection& c) -> Status {
        SIYU_ASSIGN_OR_RETURN(auto stmt, c.Prepare("UPDATE api_keys SET revoked_at = coalesce(revoked_at, ?) WHERE "
                                                   "tenant_id = ? AND id = ?"));
        SIYU_RETURN_IF_ERROR(stmt.Bind(1, NowMs()).Bind(2, tenant_id).Bind(3, key_id).Run());
        if (c.Changes() == 0) return Status::NotFound("API key " + std::to_string(key_id) + " not found");
        return AppendAudit(c, tenant_id, actor, "apikey.revoke", "api_key", std::to_string(key_id));
    }));
    std::lock_guard lock(mu_);
    for (auto it = key_cache_.begin(); it != key_cache_.end();) {
        it = it->second.principal.api_key_id == key_id ? key_cache_.erase(it) : std::next(it);
    }
    return Status::Ok();
}

Result<std::vector<AuditEntry>> Accounts::ListAudit(int64_t tenant_id, const Page& page, const std::string& action,
                                                    const std::string& actor) {
    std::vector<AuditEntry> out;
    SIYU_RETURN_IF_ERROR(db_->Read([&](Connection& c) -> Status {
        SIYU_ASSIGN_OR_RETURN(auto stmt,
                              c.Prepare("SELECT id, tenant_id, at, actor_type, actor_id, actor_name, action, "
                                        "target_type, target_id, ip, details FROM audit_log WHERE tenant_id = ? AND "
                                        "id < ? AND (? = '' OR action = ?) AND (? = '' OR actor_name = ? OR "
                                        "CAST(actor_id AS TEXT) = ?) "
                                        "ORDER BY id DESC LIMIT ?"));
        stmt.Bind(1, tenant_id)
            .Bind(2, page.after_id.value_or(INT64_MAX))
            .Bind(3, action)
            .Bind(4, action)
            .Bind(5, actor)
            .Bind(6, actor)
            .Bind(7, actor)
            .Bind(8, int64_t{page.limit});
        SIYU_RETURN_IF_ERROR(stmt.ForEachRow([&] {
            AuditEntry e;
            e.id = stmt.Int(0);
            e.tenant_id = stmt.Int(1);
            e.at = stmt.Int(2);
            e.actor = Actor{stmt.Text(3), stmt.OptInt(4), stmt.Text(5), stmt.Text(9)};
            e.action = stmt.Text(6);
            e.target_type = stmt.Text(7);
            e.target_id = stmt.Text(8);
            e.details = stmt.Text(10);
            out.push_back(std::move(e));
        }));
        return Status::Ok();
    }));
    return out;
}

}  // namespace siyu::auth
