#include "loyalty/core.h"

#include <chrono>

#include "base/crypto.h"

namespace siyu::loyalty {

using store::Connection;

namespace {

constexpr const char* kMemberColumns =
    "customer_id, tenant_id, member_no, channel, store_id, referrer_id, registered_at, tier_id, tier_since, "
    "downgrade_due_since, points, points_held, points_debt, points_earned, sv_principal, sv_bonus";

Member ReadMember(store::Statement& s) {
    Member m;
    m.customer_id = s.Int(0);
    m.tenant_id = s.Int(1);
    m.member_no = s.Text(2);
    m.channel = s.Text(3);
    m.store_id = s.OptInt(4);
    m.referrer_id = s.OptInt(5);
    m.registered_at = s.Int(6);
    m.tier_id = s.OptInt(7);
    m.tier_since = s.OptInt(8);
    m.downgrade_due_since = s.OptInt(9);
    m.points = s.Int(10);
    m.points_held = s.Int(11);
    m.points_debt = s.Int(12);
    m.points_earned = s.Int(13);
    m.sv_principal = s.Int(14);
    m.sv_bonus = s.Int(15);
    m.stored_tier_id = m.tier_id;
    return m;
}

Status IntField(const Json& patch, const char* field, int64_t min, int64_t max, int64_t* out) {
    auto it = patch.find(field);
    if (it == patch.end()) return Status::Ok();
    if (!it->is_number_integer()) return Status::InvalidArgument(field, "must be an integer");
    int64_t v = it->get<int64_t>();
    if (v < min || v > max) {
        return Status::InvalidArgument(field, "must be from " + std::to_string(min) + " to " + std::to_string(max));
    }
    *out = v;
    return Status::Ok();
}

template <typename T>
Status IntSetting(const Json& patch, const char* field, int64_t min, int64_t max, T* out) {
    int64_t v = static_cast<int64_t>(*out);
    SIYU_RETURN_IF_ERROR(IntField(patch, field, min, max, &v));
    *out = static_cast<T>(v);
    return Status::Ok();
}

Status ChoiceSetting(const Json& patch, const char* field, std::initializer_list<const char*> choices,
                     std::string* out) {
    auto it = patch.find(field);
    if (it == patch.end()) return Status::Ok();
    std::string names;
    for (const char* c : choices) {
        if (it->is_string() && it->get<std::string>() == c) {
            *out = c;
            return Status::Ok();
        }
        names += names.empty() ? c : std::string(", ") + c;
    }
    return Status::InvalidArgument(field, "must be one of " + names);
}

}  // namespace

Json SettingsToJson(const LoyaltySettings& s) {
    return Json{{"member_no_prefix", s.member_no_prefix},
                {"member_no_digits", s.member_no_digits},
                {"points_expiry", s.points_expiry},
                {"points_expiry_days", s.points_expiry_days},
                {"points_expiring_notice_days", s.points_expiring_notice_days},
                {"cash_points_per_yuan", s.cash_points_per_yuan},
                {"max_cash_share_pct", s.max_cash_share_pct},
                {"tier_basis", s.tier_basis},
                {"tier_window_days", s.tier_window_days},
                {"downgrade_grace_days", s.downgrade_grace_days},
                {"coupon_expiring_notice_days", s.coupon_expiring_notice_days},
                {"paid_expiring_notice_days", s.paid_expiring_notice_days},
                {"auto_enroll", s.auto_enroll}};
}

Status ApplySettingsPatch(const Json& patch, LoyaltySettings* s) {
    if (!patch.is_object()) return Status(StatusCode::kInvalidJson, "settings must be a JSON object");
    static const std::vector<std::string> kKnown = {"member_no_prefix",
                                                    "member_no_digits",
                                                    "points_expiry",
                                                    "points_expiry_days",
                                                    "points_expiring_notice_days",
                                                    "cash_points_per_yuan",
                                                    "max_cash_share_pct",
                                                    "tier_basis",
                                                    "tier_window_days",
                                                    "downgrade_grace_days",
                                                    "coupon_expiring_notice_days",
                                                    "paid_expiring_notice_days",
                                                    "auto_enroll"};
    for (const auto& [key, value] : patch.items()) {
        if (std::find(kKnown.begin(), kKnown.end(), key) == kKnown.end()) {
            return Status(StatusCode::kUnknownField, "unknown field '" + key + "'", key);
        }
    }
    if (auto it = patch.find("member_no_prefix"); it != patch.end()) {
        if (!it->is_string()) return Status::InvalidArgument("member_no_prefix", "must be a string");
        std::string p = it->get<std::string>();
        if (p.size() > 8) return Status::InvalidArgument("member_no_prefix", "at most 8 characters");
        for (char ch : p) {
            if (!std::isalnum(static_cast<unsigned char>(ch))) {
                return Status::InvalidArgument("member_no_prefix", "letters and digits only");
            }
        }
        s->member_no_prefix = p;
    }
    SIYU_RETURN_IF_ERROR(IntSetting(patch, "member_no_digits", 6, 16, &s->member_no_digits));
    SIYU_RETURN_IF_ERROR(ChoiceSetting(patch, "points_expiry", {"year_end_next", "days", "never"}, &s->points_expiry));
    SIYU_RETURN_IF_ERROR(IntSetting(patch, "points_expiry_days", 1, 36500, &s->points_expiry_days));
    SIYU_RETURN_IF_ERROR(IntSetting(patch, "points_expiring_notice_days", 0, 365, &s->points_expiring_notice_days));
    SIYU_RETURN_IF_ERROR(IntSetting(patch, "cash_points_per_yuan", 1, 100000, &s->cash_points_per_yuan));
    SIYU_RETURN_IF_ERROR(IntSetting(patch, "max_cash_share_pct", 0, 100, &s->max_cash_share_pct));
    SIYU_RETURN_IF_ERROR(ChoiceSetting(patch, "tier_basis", {"points", "spend"}, &s->tier_basis));
    SIYU_RETURN_IF_ERROR(IntSetting(patch, "tier_window_days", 1, 3650, &s->tier_window_days));
    SIYU_RETURN_IF_ERROR(IntSetting(patch, "downgrade_grace_days", 0, 3650, &s->downgrade_grace_days));
    SIYU_RETURN_IF_ERROR(IntSetting(patch, "coupon_expiring_notice_days", 0, 365, &s->coupon_expiring_notice_days));
    SIYU_RETURN_IF_ERROR(IntSetting(patch, "paid_expiring_notice_days", 0, 365, &s->paid_expiring_notice_days));
    if (auto it = patch.find("auto_enroll"); it != patch.end()) {
        if (!it->is_boolean()) return Status::InvalidArgument("auto_enroll", "must be true or false");
        s->auto_enroll = it->get<bool>();
    }
    return Status::Ok();
}

Json MemberJson(const Member& m) {
    return Json{{"customer_id", m.customer_id},
                {"member_no", m.member_no},
                {"channel", m.channel},
                {"store_id", m.store_id ? Json(*m.store_id) : Json(nullptr)},
                {"referrer_id", m.referrer_id ? Json(*m.referrer_id) : Json(nullptr)},
                {"registered_at", FormatRfc3339(m.registered_at)},
                {"tier_id", m.tier_id ? Json(*m.tier_id) : Json(nullptr)},
                {"tier_since", m.tier_since ? Json(FormatRfc3339(*m.tier_since)) : Json(nullptr)},
                {"points", m.points},
                {"points_held", m.points_held},
                {"points_debt", m.points_debt},
                {"points_earned", m.points_earned},
                {"stored_value", m.sv_principal + m.sv_bonus},
                {"stored_value_principal", m.sv_principal},
                {"stored_value_bonus", m.sv_bonus}};
}

Result<LoyaltySettings> LoadSettings(Connection& c, int64_t tenant_id) {
    LoyaltySettings s;
    SIYU_ASSIGN_OR_RETURN(auto stmt, c.Prepare("SELECT settings FROM loyalty_settings WHERE tenant_id = ?"));
    stmt.Bind(1, tenant_id);
    SIYU_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (row) {
        Json j = Json::parse(stmt.Text(0), nullptr, false);
        if (j.is_discarded()) return Status::Internal("loyalty settings of tenant are not JSON");
        SIYU_RETURN_IF_ERROR(ApplySettingsPatch(j, &s));
    }
    return s;
}

Json PageJson(Json data, std::optional<int64_t> last_id, int limit, Json fields) {
    bool full = last_id && data.size() == static_cast<size_t>(limit);
    fields["data"] = std::move(data);
    fields["next_cursor"] = full ? Json(std::to_string(*last_id)) : Json(nullptr);
    return fields;
}

Result<Json> ListCatalogue(store::Database& db, std::string_view select, int64_t tenant_id,
                           const std::optional<std::string>& status, int limit, std::optional<int64_t> after_id,
                           const std::function<std::pair<int64_t, Json>(store::Statement&)>& row) {
    Json data = Json::array();
    std::optional<int64_t> last;
    SIYU_RETURN_IF_ERROR(db.Read([&](Connection& c) -> Status {
        SIYU_ASSIGN_OR_RETURN(auto stmt, c.Prepare(std::string(select) +
                                                   "WHERE tenant_id = ? AND id > ? AND (? IS NULL OR status = ?) "
                                                   "ORDER BY id LIMIT ?"));
        stmt.Bind(1, tenant_id).Bind(2, after_id.value_or(0)).Bind(3, status).Bind(4, status).Bind(5, int64_t{limit});
        return stmt.ForEachRow([&] {
            auto [id, json] = row(stmt);
            last = id;
            data.push_back(std::move(json));
        });
    }));
    return PageJson(std::move(data), last, limit);
}

Status MirrorPointsTrait(Connection& c, int64_t customer_id, int64_t points, TimeMs at) {
    SIYU_ASSIGN_OR_RETURN(auto trait, c.Prepare("UPDATE customers SET traits = json_set(traits, '$.points', ?1), "
                                                "updated_at = MAX(updated_at, ?2) WHERE id = ?3 AND "
                                                "json_extract(traits, '$.points') IS NOT ?1"));
    return trait.Bind(1, points).Bind(2, at).Bind(3, customer_id).Run();
}

Result<TenantCache::Entry> TenantCache::Get(Connection& c, int64_t tenant_id) {
    constexpr int64_t kTtlNs = 1'000'000'000;
    int64_t now =
        std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
            .count();
    {
        std::lock_guard lock(mu_);
        auto it = entries_.find(tenant_id);
        if (it != entries_.end() && now - it->second.loaded_ns < kTtlNs) return it->second;
    }
    Entry e;
    SIYU_ASSIGN_OR_RETURN(e.settings, LoadSettings(c, tenant_id));
    SIYU_ASSIGN_OR_RETURN(auto stmt, c.Prepare("SELECT time_zone FROM tenants WHERE tenant_id = ?"));
    stmt.Bind(1, tenant_id);
    SIYU_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) return Status::NotFound("tenant " + std::to_string(tenant_id) + " not found");
    e.time_zone = stmt.Text(0);
    stmt.Reset();
    SIYU_ASSIGN_OR_RETURN(auto tiers, c.Prepare("SELECT EXISTS (SELECT 1 FROM tiers WHERE tenant_id = ? AND "
                                                "deleted_at IS NULL)"));
    tiers.Bind(1, tenant_id);
    SIYU_ASSIGN_OR_RETURN(bool got, tiers.Step());
    e.has_tiers = got && tiers.Int(0) != 0;
    tiers.Reset();
    e.loaded_ns = now;
    std::lock_guard lock(mu_);
    entries_[tenant_id] = e;
    return e;
}

void TenantCache::Forget(int64_t tenant_id) {
    std::lock_guard lock(mu_);
    entries_.erase(tenant_id);
}

Status Tx::SaveSettings(const LoyaltySettings& s) {
    SIYU_ASSIGN_OR_RETURN(auto stmt, c_.Prepare("INSERT INTO loyalty_settings(tenant_id, settings, updated_at) VALUES "
                                                "(?,?,?) ON CONFLICT(tenant_id) DO UPDATE SET settings = "
                                                "excluded.settings, updated_at = excluded.updated_at"));
    SIYU_RETURN_IF_ERROR(stmt.Bind(1, tenant_).Bind(2, SettingsToJson(s).dump()).Bind(3, now_).Run());
    settings_ = s;
    if (cache_) cache_->Forget(tenant_);
    return Status::Ok();
}

Result<bool> Tx::HasTiers() {
    if (!cache_) return true;  // the caller reads the tiers anyway
    SIYU_ASSIGN_OR_RETURN(auto e, cache_->Get(c_, tenant_));
    return e.has_tiers;
}

Result<const LoyaltySettings*> Tx::Settings() {
    if (!settings_) {
        if (cache_) {
            SIYU_ASSIGN_OR_RETURN(auto e, cache_->Get(c_, tenant_));
            settings_ = std::move(e.settings);
            time_zone_ = std::move(e.time_zone);
        } else {
            SIYU_ASSIGN_OR_RETURN(auto s, LoadSettings(c_, tenant_));
            settings_ = std::move(s);
        }
    }
    return &*settings_;
}

Result<std::string> Tx::TimeZone() {
    if (!time_zone_) {
        if (cache_) {
            SIYU_ASSIGN_OR_RETURN(auto e, cache_->Get(c_, tenant_));
            settings_ = std::move(e.settings);
            time_zone_ = std::move(e.time_zone);
            return *time_zone_;
        }
        SIYU_ASSIGN_OR_RETURN(auto stmt, c_.Prepare("SELECT time_zone FROM tenants WHERE tenant_id = ?"));
        stmt.Bind(1, tenant_);
        SIYU_ASSIGN_OR_RETURN(bool row, stmt.Step());
        if (!row) return Status::NotFound("tenant " + std::to_string(tenant_) + " not found");
        time_zone_ = stmt.Text(0);
        stmt.Reset();
    }
    return *time_zone_;
}

namespace {

// A message id that sorts by time, made unique by random characters.
std::string OrderedMessageId(TimeMs at) { return MessageIdPrefix(at) + RandomToken(10); }

}  // namespace

std::string MessageIdPrefix(TimeMs at) {
    static const char kHex[] = "0123456789abcdef";
    std::string id = "siyu-";
    for (int shift = 44; shift >= 0; shift -= 4) id.push_back(kHex[(static_cast<uint64_t>(at) >> shift) & 0xf]);
    id.push_back('-');
    return id;
}

Status Tx::Emit(int64_t customer_id, std::string_view name, const Json& properties, std::optional<int64_t> revenue,
                const std::string& message_id) {
    std::string props = properties.dump(-1, ' ', false, Json::error_handler_t::replace);
    SIYU_ASSIGN_OR_RETURN(auto stmt, c_.Prepare("INSERT INTO events(tenant_id, customer_id, message_id, type, name, "
                                                "ts, received_at, properties, context, revenue, currency) VALUES "
                                                "(?,?,?,'track',?,?,?,?,'{\"library\":{\"name\":\"siyu\"}}',?,?)"));
    std::optional<std::string> currency;
    if (revenue) currency = "CNY";
    SIYU_RETURN_IF_ERROR(stmt.Bind(1, tenant_)
                             .Bind(2, customer_id)
                             .Bind(3, message_id.empty() ? OrderedMessageId(now_) : message_id)
                             .Bind(4, name)
                             .Bind(5, now_)
                             .Bind(6, now_)
                             .Bind(7, props)
                             .Bind(8, revenue)
                             .Bind(9, currency)
                             .Run());
    events_.push_back(
        cdp::StoredEvent{c_.LastInsertId(), tenant_, customer_id, "track", std::string(name), now_, revenue, props});
    return Status::Ok();
}

Result<int64_t> Tx::ResolveCustomer(int64_t customer_id) {
    SIYU_ASSIGN_OR_RETURN(auto stmt, c_.Prepare("SELECT COALESCE(merged_into, id) FROM customers WHERE id = ? AND "
                                                "tenant_id = ? AND deleted_at IS NULL"));
    stmt.Bind(1, customer_id).Bind(2, tenant_);
    SIYU_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) return Status::NotFound("customer " + std::to_string(customer_id) + " not found");
    return stmt.Int(0);
}

Result<Member> Tx::LoadMember(int64_t customer_id) {
    // The usual case in one statement: the customer's survivor holds the member row.
    SIYU_ASSIGN_OR_RETURN(auto direct, c_.Prepare(std::string("SELECT ") + kMemberColumns +
                                                  " FROM members WHERE tenant_id = ?2 AND customer_id = (SELECT "
                                                  "COALESCE(merged_into, id) FROM customers WHERE id = ?1 AND "
                                                  "tenant_id = ?2 AND deleted_at IS NULL)"));
    direct.Bind(1, customer_id).Bind(2, tenant_);
    SIYU_ASSIGN_OR_RETURN(bool hit, direct.Step());
    if (hit) {
        Member m = ReadMember(direct);
        direct.Reset();
        return m;
    }
    direct.Reset();
    SIYU_ASSIGN_OR_RETURN(int64_t root, ResolveCustomer(customer_id));
    SIYU_ASSIGN_OR_RETURN(auto stmt, c_.Prepare(std::string("SELECT ") + kMemberColumns +
                                                " FROM members WHERE customer_id = ? AND tenant_id = ?"));
    stmt.Bind(1, root).Bind(2, tenant_);
    SIYU_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (row) {
        Member m = ReadMember(stmt);
        stmt.Reset();
        return m;
    }
    stmt.Reset();
    // A member merged into a customer who is not one stays the member of the survivor: the
    // ledgers keep the member's own id.
    SIYU_ASSIGN_OR_RETURN(auto merged, c_.Prepare(std::string("SELECT ") + kMemberColumns +
                                                  " FROM members WHERE tenant_id = ?1 AND customer_id IN (SELECT id "
                                                  "FROM customers WHERE merged_into = ?2) ORDER BY registered_at, "
                                                  "customer_id LIMIT 1"));
    merged.Bind(1, tenant_).Bind(2, root);
    SIYU_ASSIGN_OR_RETURN(bool found, merged.Step());
    if (!found) return Status::NotFound("customer " + std::to_string(customer_id) + " is not a member");
    Member m = ReadMember(merged);
    merged.Reset();
    return m;
}

Result<Member> Tx::LoadMemberExact(int64_t customer_id) {
    SIYU_ASSIGN_OR_RETURN(auto stmt, c_.Prepare(std::string("SELECT ") + kMemberColumns +
                                                " FROM members WHERE customer_id = ? AND tenant_id = ?"));
    stmt.Bind(1, customer_id).Bind(2, tenant_);
    SIYU_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) return Status::NotFound("customer " + std::to_string(customer_id) + " is not a member");
    Member m = ReadMember(stmt);
    stmt.Reset();
    return m;
}

std::optional<Member> Tx::FindMember(int64_t customer_id) {
    auto m = LoadMember(customer_id);
    if (!m.ok()) return std::nullopt;
    return std::move(m).value();
}

Status Tx::SaveMember(const Member& m) {
    const bool same_tier = m.stored_tier_id && *m.stored_tier_id == m.tier_id;
    SIYU_ASSIGN_OR_RETURN(auto stmt,
                          c_.Prepare(same_tier ? "UPDATE members SET tier_since = ?2, downgrade_due_since = ?3, "
                                                 "points = ?4, points_held = ?5, points_debt = ?6, points_earned = ?7, "
                                                 "sv_principal = ?8, sv_bonus = ?9, updated_at = ?10 WHERE "
                                                 "customer_id = ?11 AND tenant_id = ?12"
                                               : "UPDATE members SET tier_id = ?1, tier_since = ?2, "
                                                 "downgrade_due_since = ?3, points = ?4, points_held = ?5, points_debt "
                                                 "= ?6, points_earned = ?7, sv_principal = ?8, sv_bonus = ?9, "
                                                 "updated_at = ?10 WHERE customer_id = ?11 AND tenant_id = ?12"));
    if (!same_tier) stmt.Bind(1, m.tier_id);
    SIYU_RETURN_IF_ERROR(stmt.Bind(2, m.tier_since)
                             .Bind(3, m.downgrade_due_since)
                             .Bind(4, m.points)
                             .Bind(5, m.points_held)
                             .Bind(6, m.points_debt)
                             .Bind(7, m.points_earned)
                             .Bind(8, m.sv_principal)
                             .Bind(9, m.sv_bonus)
                             .Bind(10, now_)
                             .Bind(11, m.customer_id)
                             .Bind(12, tenant_)
                             .Run());
    if (m.points < 0 || m.points_held < 0 || m.points_debt < 0 || m.sv_principal < 0 || m.sv_bonus < 0) {
        return Status::Internal("a balance of member " + std::to_string(m.customer_id) + " would be negative");
    }
    // The profile trait `points` follows the balance from the ledger, after the commit
    // (WriteProjection).
    return Status::Ok();
}

Status Tx::Audit(const auth::Actor& actor, const std::string& action, const std::string& target_type,
                 const std::string& target_id, const Json& details) {
    return auth::AppendAudit(c_, tenant_, actor, action, target_type, target_id, details.dump());
}

Status CheckIdempotencyKey(std::string_view key) {
    if (key.empty() || key.size() > 200) {
        return Status::InvalidArgument("Idempotency-Key", "must be 1 to 200 characters");
    }
    for (char ch : key) {
        if (ch < 0x21 || ch > 0x7e) return Status::InvalidArgument("Idempotency-Key", "printable ASCII only");
    }
    return Status::Ok();
}

namespace {

// The transaction of the Batch running on this thread, if any.
struct Ambient {
    const Executor* owner = nullptr;
    Connection* c = nullptr;
    std::vector<cdp::StoredEvent>* events = nullptr;
};
thread_local Ambient tls_ambient;

// Runs `body` on the batch's connection inside a savepoint, or in a write transaction of its own.
Status InTransaction(const Executor* self, store::Database* db, const std::function<Status(Connection&)>& body,
                     store::WriteMode mode = store::WriteMode::kOnce) {
    if (tls_ambient.owner == self && tls_ambient.c != nullptr) {
        Connection& c = *tls_ambient.c;
        SIYU_RETURN_IF_ERROR(c.Exec("SAVEPOINT loyalty_op"));
        Status st = body(c);
        if (!st.ok()) {
            (void)c.Exec("ROLLBACK TO loyalty_op");
            (void)c.Exec("RELEASE loyalty_op");
            return st;
        }
        return c.Exec("RELEASE loyalty_op");
    }
    return db->Write(body, mode);
}

}  // namespace

Result<Outcome> Executor::Run(const Request& request, std::string_view operation,
                              const std::function<Result<Json>(Tx&)>& fn, int success_status) {
    if (request.idempotency_key) SIYU_RETURN_IF_ERROR(CheckIdempotencyKey(*request.idempotency_key));
    Outcome outcome;
    std::vector<cdp::StoredEvent> events;
    bool wrote_entries = false;
    std::string fingerprint = Sha256Hex(request.fingerprint);
    TimeMs now = Now();
    SIYU_RETURN_IF_ERROR(InTransaction(this, db_, [&](Connection& c) -> Status {
        outcome = Outcome{};
        events.clear();
        wrote_entries = false;
        if (request.idempotency_key) {
            SIYU_ASSIGN_OR_RETURN(auto find, c.Prepare("SELECT operation, fingerprint, status, result FROM "
                                                       "idempotency_keys WHERE tenant_id = ? AND key = ?"));
            find.Bind(1, request.tenant_id).Bind(2, *request.idempotency_key);
            SIYU_ASSIGN_OR_RETURN(bool seen, find.Step());
            if (seen) {
                if (find.Text(0) != operation || find.Text(1) != fingerprint) {
                    return Status(StatusCode::kFailedPrecondition,
                                  "Idempotency-Key '" + *request.idempotency_key +
                                      "' was already used for a different request (" + find.Text(0) +
                                      "); use a new key for a new operation",
                                  "Idempotency-Key");
                }
                outcome.status = static_cast<int>(find.Int(2));
                outcome.body = Json::parse(find.Text(3), nullptr, false);
                outcome.replayed = true;
                return Status::Ok();
            }
        }
        Tx tx(c, request.tenant_id, now, &cache_);
        SIYU_ASSIGN_OR_RETURN(outcome.body, fn(tx));
        outcome.status = success_status;
        if (request.idempotency_key) {
            SIYU_ASSIGN_OR_RETURN(auto save, c.Prepare("INSERT INTO idempotency_keys(tenant_id, key, operation, "
                                                       "fingerprint, status, result, created_at) VALUES "
                                                       "(?,?,?,?,?,?,?)"));
            SIYU_RETURN_IF_ERROR(save.Bind(1, request.tenant_id)
                                     .Bind(2, *request.idempotency_key)
                                     .Bind(3, operation)
                                     .Bind(4, fingerprint)
                                     .Bind(5, static_cast<int64_t>(outcome.status))
                                     .Bind(6, outcome.body.dump(-1, ' ', false, Json::error_handler_t::replace))
                                     .Bind(7, now)
                                     .Run());
        }
        events = std::move(tx.events());
        wrote_entries = tx.wrote_entries();
        return Status::Ok();
    }, store::WriteMode::kReplayable));
    Publish(events);
    if (wrote_entries) EntriesCommitted();
    return outcome;
}

Status Executor::Write(int64_t tenant_id, const std::function<Status(Tx&)>& fn) {
    std::vector<cdp::StoredEvent> events;
    bool wrote_entries = false;
    TimeMs now = Now();
    SIYU_RETURN_IF_ERROR(InTransaction(this, db_, [&](Connection& c) -> Status {
        events.clear();
        Tx tx(c, tenant_id, now, &cache_);
        SIYU_RETURN_IF_ERROR(fn(tx));
        events = std::move(tx.events());
        wrote_entries = tx.wrote_entries();
        return Status::Ok();
    }));
    Publish(events);
    if (wrote_entries) EntriesCommitted();
    return Status::Ok();
}

Status Executor::Batch(const std::function<Status()>& fn) {
    if (tls_ambient.owner != nullptr) return Status::Internal("loyalty batches do not nest");
    std::vector<cdp::StoredEvent> events;
    Status st = db_->Write([&](Connection& c) -> Status {
        events.clear();
        tls_ambient = Ambient{this, &c, &events};
        Status inner = fn();
        tls_ambient = Ambient{};
        return inner;
    });
    tls_ambient = Ambient{};
    SIYU_RETURN_IF_ERROR(st);
    if (sink_ && !events.empty()) sink_(events);
    EntriesCommitted();
    return Status::Ok();
}

void Executor::Publish(const std::vector<cdp::StoredEvent>& events) const {
    if (events.empty()) return;
    if (tls_ambient.owner == this && tls_ambient.events != nullptr) {
        // Inside a batch: published once the batch commits.
        tls_ambient.events->insert(tls_ambient.events->end(), events.begin(), events.end());
        return;
    }
    if (sink_) sink_(events);
}

}  // namespace siyu::loyalty
