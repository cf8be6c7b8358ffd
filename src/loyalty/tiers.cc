#include "loyalty/tiers.h"

#include <algorithm>

#include "loyalty/loyalty.h"

namespace siyu::loyalty {

using store::Connection;

namespace {

constexpr int64_t kDayMs = 86'400'000;
constexpr size_t kReviewBatch = 500;

Tier ReadTier(store::Statement& s) {
    Tier t;
    t.id = s.Int(0);
    t.name = s.Text(1);
    t.level = s.Int(2);
    t.threshold = s.Int(3);
    t.multiplier = s.Int(4);
    t.benefits = Json::parse(s.Text(5), nullptr, false);
    if (!t.benefits.is_array()) t.benefits = Json::array();
    t.created_at = s.Int(6);
    t.updated_at = s.Int(7);
    return t;
}

Result<std::optional<Tier>> FindTier(Connection& c, int64_t tenant_id, int64_t id) {
    SIYU_ASSIGN_OR_RETURN(auto stmt, c.Prepare("SELECT id, name, level, threshold, multiplier, benefits, created_at, "
                                               "updated_at FROM tiers WHERE tenant_id = ? AND id = ? AND deleted_at "
                                               "IS NULL"));
    stmt.Bind(1, tenant_id).Bind(2, id);
    SIYU_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) return std::optional<Tier>();
    return std::optional<Tier>(ReadTier(stmt));
}

Status CheckTier(const Tier& t) {
    if (t.name.empty() || t.name.size() > 64) return Status::InvalidArgument("name", "must be 1 to 64 characters");
    if (t.level < 0 || t.level > 100) return Status::InvalidArgument("level", "must be from 0 to 100");
    if (t.threshold < 0) return Status::InvalidArgument("threshold", "must be zero or more");
    if (t.multiplier < 0 || t.multiplier > 10'000) {
        return Status::InvalidArgument("multiplier", "must be a percentage from 0 to 10000");
    }
    return Status::Ok();
}

// Tiers must rise with their level: a higher level never needs less.
Status CheckOrder(const std::vector<Tier>& tiers) {
    for (size_t i = 1; i < tiers.size(); ++i) {
        if (tiers[i].threshold < tiers[i - 1].threshold) {
            return Status::InvalidArgument("threshold", "tier '" + tiers[i].name + "' (level " +
                                                            std::to_string(tiers[i].level) +
                                                            ") needs less than the level below it");
        }
    }
    return Status::Ok();
}

Status SaveTier(Connection& c, int64_t tenant_id, Tier& t, TimeMs now) {
    if (t.id == 0) {
        SIYU_ASSIGN_OR_RETURN(auto ins, c.Prepare("INSERT INTO tiers(tenant_id, name, level, threshold, multiplier, "
                                                  "benefits, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?)"));
        SIYU_RETURN_IF_ERROR(ins.Bind(1, tenant_id)
                                 .Bind(2, t.name)
                                 .Bind(3, t.level)
                                 .Bind(4, t.threshold)
                                 .Bind(5, t.multiplier)
                                 .Bind(6, t.benefits.dump())
                                 .Bind(7, now)
                                 .Bind(8, now)
                                 .Run());
        t.id = c.LastInsertId();
        t.created_at = now;
    } else {
        SIYU_ASSIGN_OR_RETURN(auto upd, c.Prepare("UPDATE tiers SET name = ?, level = ?, threshold = ?, multiplier = "
                                                  "?, benefits = ?, updated_at = ? WHERE id = ? AND tenant_id = ?"));
        SIYU_RETURN_IF_ERROR(upd.Bind(1, t.name)
                                 .Bind(2, t.level)
                                 .Bind(3, t.threshold)
                                 .Bind(4, t.multiplier)
                                 .Bind(5, t.benefits.dump())
                                 .Bind(6, now)
                                 .Bind(7, t.id)
                                 .Bind(8, tenant_id)
                                 .Run());
    }
    t.updated_at = now;
    return Status::Ok();
}

Status UniqueViolation(const Status& st) {
    if (st.message().find("UNIQUE") == std::string::npos) return st;
    if (st.message().find("level") != std::string::npos) {
        return Status::AlreadyExists("level", "another tier has this level");
    }
    return Status::AlreadyExists("name", "another tier has this name");
}

void ApplyInput(const TierInput& in, Tier* t) {
    if (in.name) t->name = *in.name;
    if (in.level) t->level = *in.level;
    if (in.threshold) t->threshold = *in.threshold;
    if (in.multiplier) t->multiplier = *in.multiplier;
    if (in.benefits) t->benefits = *in.benefits;
}

}  // namespace

Json TierJson(const Tier& t) {
    return Json{{"id", t.id},
                {"name", t.name},
                {"level", t.level},
                {"threshold", t.threshold},
                {"multiplier", t.multiplier},
                {"benefits", t.benefits},
                {"created_at", FormatRfc3339(t.created_at)},
                {"updated_at", FormatRfc3339(t.updated_at)}};
}

Result<TierInput> ParseTierInput(const Json& body) {
    TierInput in;
    for (const auto& [key, value] : body.items()) {
        if (key == "name") {
            if (!value.is_string()) return Status::InvalidArgument("name", "must be a string");
            in.name = value.get<std::string>();
        } else if (key == "level" || key == "threshold" || key == "multiplier") {
            if (!value.is_number_integer()) return Status::InvalidArgument(key, "must be an integer");
            int64_t v = value.get<int64_t>();
            if (key == "level") in.level = v;
            if (key == "threshold") in.threshold = v;
            if (key == "multiplier") in.multiplier = v;
        } else if (key == "benefits") {
            if (!value.is_array() || value.size() > 50) {
                return Status::InvalidArgument("benefits", "must be an array of up to 50 strings");
            }
            for (size_t i = 0; i < value.size(); ++i) {
                if (!value[i].is_string() || value[i].get<std::string>().size() > 200) {
                    return Status::InvalidArgument("benefits[" + std::to_string(i) + "]",
                                                   "must be a string of at most 200 bytes");
                }
            }
            in.benefits = value;
        } else {
            return Status(StatusCode::kUnknownField, "unknown field '" + key + "'", key);
        }
    }
    return in;
}

Result<std::vector<Tier>> LoadTiers(Connection& c, int64_t tenant_id) {
    std::vector<Tier> out;
    SIYU_ASSIGN_OR_RETURN(auto stmt, c.Prepare("SELECT id, name, level, threshold, multiplier, benefits, created_at, "
                                               "updated_at FROM tiers WHERE tenant_id = ? AND deleted_at IS NULL "
                                               "ORDER BY level"));
    stmt.Bind(1, tenant_id);
    SIYU_RETURN_IF_ERROR(stmt.ForEachRow([&] { out.push_back(ReadTier(stmt)); }));
    return out;
}

Result<std::vector<Tier>> Tiers::List(int64_t tenant_id) {
    std::vector<Tier> out;
    SIYU_RETURN_IF_ERROR(loyalty_->exec().db()->Read([&](Connection& c) -> Status {
        SIYU_ASSIGN_OR_RETURN(out, LoadTiers(c, tenant_id));
        return Status::Ok();
    }));
    return out;
}

Result<Tier> Tiers::Create(int64_t tenant_id, const TierInput& in, const auth::Actor& actor) {
    if (!in.name) return Status::InvalidArgument("name", "is required");
    if (!in.level) return Status::InvalidArgument("level", "is required");
    if (!in.threshold) return Status::InvalidArgument("threshold", "is required");
    Tier t;
    ApplyInput(in, &t);
    SIYU_RETURN_IF_ERROR(CheckTier(t));
    Status st = loyalty_->exec().Write(tenant_id, [&](Tx& tx) -> Status {
        SIYU_ASSIGN_OR_RETURN(auto tiers, LoadTiers(tx.c(), tenant_id));
        tiers.push_back(t);
        std::sort(tiers.begin(), tiers.end(), [](const Tier& a, const Tier& b) { return a.level < b.level; });
        SIYU_RETURN_IF_ERROR(CheckOrder(tiers));
        SIYU_RETURN_IF_ERROR(SaveTier(tx.c(), tenant_id, t, tx.now()));
        tx.ForgetCache();
        return tx.Audit(actor, "loyalty.tier.create", "tier", std::to_string(t.id), TierJson(t));
    });
    if (!st.ok()) return UniqueViolation(st);
    return t;
}

Result<Tier> Tiers::Update(int64_t tenant_id, int64_t id, const TierInput& in, const auth::Actor& actor) {
    Tier t;
    Status st = loyalty_->exec().Write(tenant_id, [&](Tx& tx) -> Status {
        SIYU_ASSIGN_OR_RETURN(auto found, FindTier(tx.c(), tenant_id, id));
        if (!found) return Status::NotFound("tier " + std::to_string(id) + " not found");
        t = *found;
        ApplyInput(in, &t);
        SIYU_RETURN_IF_ERROR(CheckTier(t));
        SIYU_ASSIGN_OR_RETURN(auto tiers, LoadTiers(tx.c(), tenant_id));
        for (auto& other : tiers) {
            if (other.id == id) other = t;
        }
        std::sort(tiers.begin(), tiers.end(), [](const Tier& a, const Tier& b) { return a.level < b.level; });
        SIYU_RETURN_IF_ERROR(CheckOrder(tiers));
        SIYU_RETURN_IF_ERROR(SaveTier(tx.c(), tenant_id, t, tx.now()));
        return tx.Audit(actor, "loyalty.tier.update", "tier", std::to_string(id), TierJson(t));
    });
    if (!st.ok()) return UniqueViolation(st);
    return t;
}

Status Tiers::Delete(int64_t tenant_id, int64_t id, const auth::Actor& actor) {
    return loyalty_->exec().Write(tenant_id, [&](Tx& tx) -> Status {
        SIYU_ASSIGN_OR_RETURN(auto found, FindTier(tx.c(), tenant_id, id));
        if (!found) return Status::NotFound("tier " + std::to_string(id) + " not found");
        SIYU_ASSIGN_OR_RETURN(auto held, tx.c().Prepare("SELECT count(*) FROM members WHERE tenant_id = ? AND "
                                                        "tier_id = ?"));
        held.Bind(1, tenant_id).Bind(2, id);
        SIYU_ASSIGN_OR_RETURN(bool row, held.Step());
        int64_t count = row ? held.Int(0) : 0;
        held.Reset();
        if (count > 0) {
            return Status::FailedPrecondition(std::to_string(count) + " members hold tier '" + found->name +
                                              "'; move them to another tier first");
        }
        SIYU_ASSIGN_OR_RETURN(auto del, tx.c().Prepare("UPDATE tiers SET deleted_at = ? WHERE id = ?"));
        SIYU_RETURN_IF_ERROR(del.Bind(1, tx.now()).Bind(2, id).Run());
        tx.ForgetCache();
        return tx.Audit(actor, "loyalty.tier.delete", "tier", std::to_string(id), TierJson(*found));
    });
}

Result<Json> Tiers::History(int64_t tenant_id, int64_t customer_id) {
    Json out = Json::array();
    SIYU_RETURN_IF_ERROR(loyalty_->exec().db()->Read([&](Connection& c) -> Status {
        Tx tx(c, tenant_id, loyalty_->exec().Now());
        SIYU_ASSIGN_OR_RETURN(Member m, tx.LoadMember(customer_id));
        SIYU_ASSIGN_OR_RETURN(auto stmt, c.Prepare("SELECT h.id, h.from_tier, f.name, h.to_tier, t.name, h.reason, "
                                                   "h.value, h.at FROM tier_history h LEFT JOIN tiers f ON f.id = "
                                                   "h.from_tier LEFT JOIN tiers t ON t.id = h.to_tier WHERE "
                                                   "h.customer_id = ? AND h.tenant_id = ? ORDER BY h.id DESC LIMIT "
                                                   "200"));
        stmt.Bind(1, m.customer_id).Bind(2, tenant_id);
        return stmt.ForEachRow([&] {
            out.push_back(Json{{"id", stmt.Int(0)},
                               {"from_tier_id", stmt.IsNull(1) ? Json(nullptr) : Json(stmt.Int(1))},
                               {"from_tier", stmt.IsNull(2) ? Json(nullptr) : Json(stmt.Text(2))},
                               {"to_tier_id", stmt.IsNull(3) ? Json(nullptr) : Json(stmt.Int(3))},
                               {"to_tier", stmt.IsNull(4) ? Json(nullptr) : Json(stmt.Text(4))},
                               {"reason", stmt.Text(5)},
                               {"value", stmt.Int(6)},
                               {"at", FormatRfc3339(stmt.Int(7))}});
        });
    }));
    return Json{{"data", out}};
}

Result<int64_t> Tiers::QualifyingValue(Tx& tx, const Member& m) {
    SIYU_ASSIGN_OR_RETURN(const LoyaltySettings* s, tx.Settings());
    TimeMs since = tx.now() - int64_t{s->tier_window_days} * kDayMs;
    if (s->tier_basis == "spend") {
        SIYU_ASSIGN_OR_RETURN(auto stmt, tx.c().Prepare("SELECT COALESCE(SUM(amount - refunded), 0) FROM "
                                                        "loyalty_orders WHERE customer_id = ? AND tenant_id = ? AND "
                                                        "completed_at >= ?"));
        stmt.Bind(1, m.customer_id).Bind(2, tx.tenant()).Bind(3, since);
        SIYU_ASSIGN_OR_RETURN(bool row, stmt.Step());
        int64_t v = row ? stmt.Int(0) : 0;
        stmt.Reset();
        return v;
    }
    // Points earned (gross of any debt they paid off), less what refunds took back; never the
    // spendable balance.
    SIYU_ASSIGN_OR_RETURN(auto stmt, tx.c().Prepare("SELECT COALESCE(SUM(amount - debt_delta), 0) FROM points_entries "
                                                    "WHERE customer_id = ? AND at >= ? AND (type = 'earn' OR (type = "
                                                    "'reverse' AND source_type = 'refund'))"));
    stmt.Bind(1, m.customer_id).Bind(2, since);
    SIYU_ASSIGN_OR_RETURN(bool row, stmt.Step());
    int64_t v = row ? stmt.Int(0) : 0;
    stmt.Reset();
    return std::max<int64_t>(v, 0);
}

Status Tiers::Change(Tx& tx, Member& m, std::optional<int64_t> to_tier, const std::string& reason, int64_t value) {
    std::optional<int64_t> from = m.tier_id;
    if (from == to_tier) return Status::Ok();
    SIYU_ASSIGN_OR_RETURN(auto tiers, LoadTiers(tx.c(), tx.tenant()));
    auto name_of = [&](std::optional<int64_t> id) -> Json {
        if (!id) return Json(nullptr);
        for (const auto& t : tiers) {
            if (t.id == *id) return Json(t.name);
        }
        return Json(nullptr);
    };
    auto level_of = [&](std::optional<int64_t> id) -> int64_t {
        if (!id) return -1;
        for (const auto& t : tiers) {
            if (t.id == *id) return t.level;
        }
        return -1;
    };
    m.tier_id = to_tier;
    m.tier_since = tx.now();
    m.downgrade_due_since.reset();
    SIYU_ASSIGN_OR_RETURN(auto hist, tx.c().Prepare("INSERT INTO tier_history(tenant_id, customer_id, from_tier, "
                                                    "to_tier, reason, value, at) VALUES (?,?,?,?,?,?,?)"));
    SIYU_RETURN_IF_ERROR(hist.Bind(1, tx.tenant())
                             .Bind(2, m.customer_id)
                             .Bind(3, from)
                             .Bind(4, to_tier)
                             .Bind(5, reason)
                             .Bind(6, value)
                             .Bind(7, tx.now())
                             .Run());
    Json to_name = name_of(to_tier);
    SIYU_ASSIGN_OR_RETURN(auto trait, tx.c().Prepare("UPDATE customers SET traits = CASE WHEN ?1 IS NULL THEN "
                                                     "json_remove(traits, '$.tier') ELSE json_set(traits, '$.tier', "
                                                     "?1) END, updated_at = ?2 WHERE id = ?3"));
    std::optional<std::string> tier_text;
    if (to_name.is_string()) tier_text = to_name.get<std::string>();
    SIYU_RETURN_IF_ERROR(trait.Bind(1, tier_text).Bind(2, tx.now()).Bind(3, m.customer_id).Run());
    std::string direction = level_of(to_tier) > level_of(from) ? "up" : "down";
    return tx.Emit(m.customer_id, "Tier Changed",
                   Json{{"from_tier_id", from ? Json(*from) : Json(nullptr)},
                        {"from_tier", name_of(from)},
                        {"to_tier_id", to_tier ? Json(*to_tier) : Json(nullptr)},
                        {"to_tier", to_name},
                        {"direction", direction},
                        {"reason", reason},
                        {"value", value}});
}

Status Tiers::Evaluate(Tx& tx, Member& m, bool review) {
    SIYU_ASSIGN_OR_RETURN(bool any, tx.HasTiers());
    if (!any) return Status::Ok();
    SIYU_ASSIGN_OR_RETURN(auto tiers, LoadTiers(tx.c(), tx.tenant()));
    if (tiers.empty()) return Status::Ok();
    SIYU_ASSIGN_OR_RETURN(int64_t value, QualifyingValue(tx, m));
    const Tier* reached = nullptr;
    for (const auto& t : tiers) {
        if (t.threshold <= value) reached = &t;
    }
    const Tier* current = nullptr;
    for (const auto& t : tiers) {
        if (m.tier_id && t.id == *m.tier_id) current = &t;
    }
    if (reached && (!current || reached->level > current->level)) {
        return Change(tx, m, reached->id, "upgrade", value);
    }
    if (!current) return Status::Ok();
    if (reached && reached->level == current->level) {
        m.downgrade_due_since.reset();  // qualifies again
        return Status::Ok();
    }
    // Below the current tier's threshold.
    if (!review) return Status::Ok();
    SIYU_ASSIGN_OR_RETURN(const LoyaltySettings* s, tx.Settings());
    if (!m.downgrade_due_since) {
        m.downgrade_due_since = tx.now();
        if (s->downgrade_grace_days > 0) return Status::Ok();
    }
    if (tx.now() - *m.downgrade_due_since < int64_t{s->downgrade_grace_days} * kDayMs) return Status::Ok();
    // One level down at a time would be gentler, but a member far below should land where the
    // value puts them; the entry tier when nothing is reached.
    std::optional<int64_t> to = reached ? std::optional<int64_t>(reached->id) : std::optional<int64_t>(tiers[0].id);
    if (to == m.tier_id) return Status::Ok();
    return Change(tx, m, to, "downgrade", value);
}

Result<Outcome> Tiers::Assign(const Request& r, int64_t customer_id, int64_t tier_id, const std::string& reason) {
    if (reason.empty()) return Status::InvalidArgument("reason", "is required for a manual tier change");
    return loyalty_->exec().Run(r, "tier.assign", [&](Tx& tx) -> Result<Json> {
        SIYU_ASSIGN_OR_RETURN(Member m, tx.LoadMember(customer_id));
        SIYU_ASSIGN_OR_RETURN(auto tier, FindTier(tx.c(), tx.tenant(), tier_id));
        if (!tier) return Status::InvalidArgument("tier_id", "tier " + std::to_string(tier_id) + " not found");
        SIYU_ASSIGN_OR_RETURN(int64_t value, QualifyingValue(tx, m));
        std::optional<int64_t> from = m.tier_id;
        SIYU_RETURN_IF_ERROR(Change(tx, m, tier_id, "manual", value));
        SIYU_RETURN_IF_ERROR(tx.SaveMember(m));
        SIYU_RETURN_IF_ERROR(tx.Audit(
            r.actor, "loyalty.tier.assign", "customer", std::to_string(m.customer_id),
            Json{{"from_tier_id", from ? Json(*from) : Json(nullptr)}, {"to_tier_id", tier_id}, {"reason", reason}}));
        return MemberJson(m);
    });
}

Status Tiers::Sweep(int64_t tenant_id) {
    std::string today;
    SIYU_RETURN_IF_ERROR(loyalty_->exec().db()->Read([&](Connection& c) -> Status {
        Tx tx(c, tenant_id, loyalty_->exec().Now());
        SIYU_ASSIGN_OR_RETURN(std::string zone, tx.TimeZone());
        today = LocalDate(tx.now(), zone);
        return Status::Ok();
    }));
    {
        std::lock_guard lock(mu_);
        if (reviewed_[tenant_id] == today) return Status::Ok();
    }
    SIYU_RETURN_IF_ERROR(Review(tenant_id));
    std::lock_guard lock(mu_);
    reviewed_[tenant_id] = today;
    return Status::Ok();
}

Status Tiers::Review(int64_t tenant_id) {
    int64_t after = 0;
    while (true) {
        std::vector<int64_t> ids;
        SIYU_RETURN_IF_ERROR(loyalty_->exec().db()->Read([&](Connection& c) -> Status {
            SIYU_ASSIGN_OR_RETURN(auto stmt, c.Prepare("SELECT customer_id FROM members WHERE tenant_id = ? AND "
                                                       "customer_id > ? AND tier_id IS NOT NULL ORDER BY "
                                                       "customer_id LIMIT ?"));
            stmt.Bind(1, tenant_id).Bind(2, after).Bind(3, static_cast<int64_t>(kReviewBatch));
            return stmt.ForEachRow([&] { ids.push_back(stmt.Int(0)); });
        }));
        if (ids.empty()) return Status::Ok();
        after = ids.back();
        SIYU_RETURN_IF_ERROR(loyalty_->exec().Write(tenant_id, [&](Tx& tx) -> Status {
            SIYU_ASSIGN_OR_RETURN(auto tiers, LoadTiers(tx.c(), tenant_id));
            if (tiers.empty()) return Status::Ok();
            for (int64_t id : ids) {
                auto found = tx.LoadMemberExact(id);
                if (!found.ok()) continue;  // gone since the batch was read
                Member m = std::move(found).value();
                auto before = m.downgrade_due_since;
                auto tier_before = m.tier_id;
                SIYU_RETURN_IF_ERROR(Evaluate(tx, m, true));
                if (before != m.downgrade_due_since || tier_before != m.tier_id) {
                    SIYU_RETURN_IF_ERROR(tx.SaveMember(m));
                }
            }
            return Status::Ok();
        }));
        if (ids.size() < kReviewBatch) return Status::Ok();
    }
}

}  // namespace siyu::loyalty
