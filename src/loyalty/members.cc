#include "loyalty/members.h"

#include "cdp/merge_set.h"
#include "loyalty/earning_rules.h"
#include "loyalty/loyalty.h"
#include "loyalty/tiers.h"

namespace siyu::loyalty {

using store::Connection;

namespace {

Status CheckMemberNo(const std::string& no) {
    if (no.empty() || no.size() > 32) return Status::InvalidArgument("member_no", "must be 1 to 32 characters");
    for (char ch : no) {
        if (!std::isalnum(static_cast<unsigned char>(ch)) && ch != '-' && ch != '_') {
            return Status::InvalidArgument("member_no", "letters, digits, '-' and '_' only");
        }
    }
    return Status::Ok();
}

}  // namespace

Result<std::string> NextMemberNo(Tx& tx) {
    SIYU_ASSIGN_OR_RETURN(const LoyaltySettings* s, tx.Settings());
    SIYU_ASSIGN_OR_RETURN(auto bump, tx.c().Prepare("INSERT INTO member_sequences(tenant_id, next_no) VALUES (?, 2) "
                                                    "ON CONFLICT(tenant_id) DO UPDATE SET next_no = next_no + 1 "
                                                    "RETURNING next_no - 1"));
    SIYU_ASSIGN_OR_RETURN(auto taken, tx.c().Prepare("SELECT 1 FROM customer_identifiers WHERE tenant_id = ? AND "
                                                     "type = 'member_no' AND value = ?"));
    for (int attempt = 0; attempt < 1000; ++attempt) {
        bump.Bind(1, tx.tenant());
        SIYU_ASSIGN_OR_RETURN(bool row, bump.Step());
        if (!row) return Status::Internal("member number sequence did not advance");
        int64_t n = bump.Int(0);
        bump.Reset();
        std::string digits = std::to_string(n);
        if (static_cast<int>(digits.size()) < s->member_no_digits) {
            digits.insert(0, static_cast<size_t>(s->member_no_digits) - digits.size(), '0');
        }
        std::string no = s->member_no_prefix + digits;
        taken.Bind(1, tx.tenant()).Bind(2, no);
        SIYU_ASSIGN_OR_RETURN(bool used, taken.Step());
        taken.Reset();
        if (!used) return no;  // numbers already given (by imports, by hand) are skipped
    }
    return Status::Internal("no free member number after 1000 attempts");
}

Result<Json> Members::Register(Tx& tx, const RegisterInput& in, const auth::Actor& actor) {
    SIYU_ASSIGN_OR_RETURN(int64_t root, tx.ResolveCustomer(in.customer_id));
    if (auto existing = tx.FindMember(root)) {
        return Status::FailedPrecondition("customer " + std::to_string(in.customer_id) + " is already member " +
                                          existing->member_no);
    }
    if (in.channel.size() > 32) return Status::InvalidArgument("channel", "at most 32 characters");
    if (in.store_id) {
        SIYU_ASSIGN_OR_RETURN(auto st, tx.c().Prepare("SELECT 1 FROM stores WHERE id = ? AND tenant_id = ?"));
        st.Bind(1, *in.store_id).Bind(2, tx.tenant());
        SIYU_ASSIGN_OR_RETURN(bool found, st.Step());
        st.Reset();
        if (!found) return Status::InvalidArgument("store_id", "store " + std::to_string(*in.store_id) + " not found");
    }
    std::optional<int64_t> referrer;
    if (in.referrer_id) {
        auto r = tx.ResolveCustomer(*in.referrer_id);
        if (!r.ok()) {
            return Status::InvalidArgument("referrer_id", "customer " + std::to_string(*in.referrer_id) + " not found");
        }
        if (*r == root) return Status::InvalidArgument("referrer_id", "a customer cannot refer themselves");
        referrer = *r;
    }
    // The member number: given, else the one the customer already holds, else the next one.
    SIYU_ASSIGN_OR_RETURN(auto held, tx.c().Prepare("SELECT member_no FROM customers WHERE id = ?"));
    held.Bind(1, root);
    SIYU_ASSIGN_OR_RETURN(bool has_row, held.Step());
    std::optional<std::string> current = has_row ? held.OptText(0) : std::nullopt;
    held.Reset();
    std::string member_no;
    if (in.member_no) {
        SIYU_RETURN_IF_ERROR(CheckMemberNo(*in.member_no));
        if (current && *current != *in.member_no) {
            return Status::InvalidArgument("member_no", "the customer already has member number " + *current);
        }
        SIYU_ASSIGN_OR_RETURN(auto owner, cdp::IdentifierSurvivor(tx.c(), tx.tenant(), "member_no", *in.member_no));
        if (owner && *owner != root) {
            return Status::AlreadyExists(
                "member_no", "member number " + *in.member_no + " belongs to customer " + std::to_string(*owner));
        }
        member_no = *in.member_no;
    } else if (current) {
        member_no = *current;
    } else {
        SIYU_ASSIGN_OR_RETURN(member_no, NextMemberNo(tx));
    }
    TimeMs registered_at = in.registered_at.value_or(tx.now());
    SIYU_ASSIGN_OR_RETURN(auto ins, tx.c().Prepare("INSERT INTO members(customer_id, tenant_id, member_no, channel, "
                                                   "store_id, referrer_id, registered_at, created_at, updated_at) "
                                                   "VALUES (?,?,?,?,?,?,?,?,?)"));
    SIYU_RETURN_IF_ERROR(ins.Bind(1, root)
                             .Bind(2, tx.tenant())
                             .Bind(3, member_no)
                             .Bind(4, in.channel)
                             .Bind(5, in.store_id)
                             .Bind(6, referrer)
                             .Bind(7, registered_at)
                             .Bind(8, tx.now())
                             .Bind(9, tx.now())
                             .Run());
    if (!current) {
        SIYU_ASSIGN_OR_RETURN(auto upd, tx.c().Prepare("UPDATE customers SET member_no = ?, store_id = "
                                                       "COALESCE(store_id, ?), updated_at = ? WHERE id = ?"));
        SIYU_RETURN_IF_ERROR(upd.Bind(1, member_no).Bind(2, in.store_id).Bind(3, tx.now()).Bind(4, root).Run());
        SIYU_ASSIGN_OR_RETURN(auto ident, tx.c().Prepare("INSERT OR IGNORE INTO customer_identifiers(tenant_id, type, "
                                                         "value, customer_id, created_at) VALUES (?, 'member_no', ?, "
                                                         "?, ?)"));
        SIYU_RETURN_IF_ERROR(ident.Bind(1, tx.tenant()).Bind(2, member_no).Bind(3, root).Bind(4, tx.now()).Run());
    }
    SIYU_ASSIGN_OR_RETURN(auto stats, tx.c().Prepare("INSERT INTO customer_stats(customer_id, tenant_id, registered) "
                                                     "VALUES (?, ?, 1) ON CONFLICT(customer_id) DO UPDATE SET "
                                                     "registered = 1"));
    SIYU_RETURN_IF_ERROR(stats.Bind(1, root).Bind(2, tx.tenant()).Run());
    SIYU_ASSIGN_OR_RETURN(Member m, tx.LoadMember(root));
    SIYU_RETURN_IF_ERROR(tx.Emit(root, "Member Registered",
                                 Json{{"member_no", member_no},
                                      {"channel", in.channel},
                                      {"store_id", in.store_id ? Json(*in.store_id) : Json(nullptr)},
                                      {"referrer_id", referrer ? Json(*referrer) : Json(nullptr)}}));
    SIYU_RETURN_IF_ERROR(loyalty_->tiers().Evaluate(tx, m, false));
    SIYU_ASSIGN_OR_RETURN(Json bonuses, loyalty_->rules().ApplyBonus(tx, m, "registration", ""));
    SIYU_RETURN_IF_ERROR(loyalty_->tiers().Evaluate(tx, m, false));
    SIYU_RETURN_IF_ERROR(tx.SaveMember(m));
    // A new member has a balance from the start, also when it is zero and no entry sets it.
    SIYU_RETURN_IF_ERROR(MirrorPointsTrait(tx.c(), m.customer_id, m.points, tx.now()));
    SIYU_RETURN_IF_ERROR(
        tx.Audit(actor, "loyalty.member.register", "customer", std::to_string(root), Json{{"member_no", member_no}}));
    Json out = MemberJson(m);
    out["bonuses"] = bonuses;
    return out;
}

Result<Outcome> Members::Register(const Request& r, const RegisterInput& in) {
    return loyalty_->exec().Run(
        r, "member.register", [&](Tx& tx) -> Result<Json> { return Register(tx, in, r.actor); }, 201);
}

Result<Json> Members::Card(int64_t tenant_id, int64_t customer_id) {
    Json card;
    SIYU_RETURN_IF_ERROR(loyalty_->exec().db()->Read([&](Connection& c) -> Status {
        TimeMs now = loyalty_->exec().Now();
        Tx tx(c, tenant_id, now);
        SIYU_ASSIGN_OR_RETURN(Member m, tx.LoadMember(customer_id));
        card = MemberJson(m);
        // Tier, and what the next one needs.
        SIYU_ASSIGN_OR_RETURN(auto tiers, LoadTiers(c, tenant_id));
        Json tier = nullptr, next = nullptr;
        SIYU_ASSIGN_OR_RETURN(int64_t value, loyalty_->tiers().QualifyingValue(tx, m));
        int64_t level = -1;
        for (const auto& t : tiers) {
            if (m.tier_id && t.id == *m.tier_id) {
                tier = TierJson(t);
                level = t.level;
            }
        }
        for (const auto& t : tiers) {
            if (t.level > level) {
                next = Json{{"id", t.id},
                            {"name", t.name},
                            {"threshold", t.threshold},
                            {"needed", std::max<int64_t>(0, t.threshold - value)}};
                break;
            }
        }
        SIYU_ASSIGN_OR_RETURN(const LoyaltySettings* s, tx.Settings());
        card["tier"] = tier;
        card["next_tier"] = next;
        card["tier_basis"] = s->tier_basis;
        card["qualifying_value"] = value;
        // Points with the next expiry.
        SIYU_ASSIGN_OR_RETURN(auto exp, c.Prepare("SELECT expires_at, SUM(remaining) FROM points_lots WHERE "
                                                  "customer_id = ? AND remaining > 0 AND expires_at IS NOT NULL GROUP "
                                                  "BY expires_at ORDER BY expires_at LIMIT 1"));
        exp.Bind(1, m.customer_id);
        SIYU_ASSIGN_OR_RETURN(bool has_exp, exp.Step());
        card["points_next_expiry"] =
            has_exp ? Json{{"points", exp.Int(1)}, {"at", FormatRfc3339(exp.Int(0))}} : Json(nullptr);
        exp.Reset();
        // Valid coupons.
        Json coupons = Json::array();
        SIYU_ASSIGN_OR_RETURN(auto cps, c.Prepare("SELECT k.id, k.code, k.template_id, t.name, t.type, k.valid_from, "
                                                  "k.valid_to FROM coupons k JOIN coupon_templates t ON t.id = "
                                                  "k.template_id WHERE k.customer_id = ? AND k.tenant_id = ? AND "
                                                  "k.status = 'issued' AND k.valid_to > ? ORDER BY k.valid_to LIMIT "
                                                  "100"));
        cps.Bind(1, m.customer_id).Bind(2, tenant_id).Bind(3, now);
        SIYU_RETURN_IF_ERROR(cps.ForEachRow([&] {
            coupons.push_back(Json{{"id", cps.Int(0)},
                                   {"code", cps.Text(1)},
                                   {"template_id", cps.Int(2)},
                                   {"name", cps.Text(3)},
                                   {"type", cps.Text(4)},
                                   {"valid_from", FormatRfc3339(cps.Int(5))},
                                   {"valid_to", FormatRfc3339(cps.Int(6))}});
        }));
        card["coupons"] = coupons;
        // Paid membership: the period in force, else the latest one.
        SIYU_ASSIGN_OR_RETURN(auto paid, c.Prepare("SELECT p.plan_id, l.name, p.starts_at, p.ends_at FROM "
                                                   "paid_memberships p LEFT JOIN paid_plans l ON l.id = p.plan_id "
                                                   "WHERE p.customer_id = ? AND p.tenant_id = ? AND p.cancelled_at IS "
                                                   "NULL ORDER BY p.ends_at DESC LIMIT 1"));
        paid.Bind(1, m.customer_id).Bind(2, tenant_id);
        SIYU_ASSIGN_OR_RETURN(bool has_paid, paid.Step());
        if (has_paid) {
            card["paid_membership"] = Json{{"plan_id", paid.Int(0)},
                                           {"plan", paid.Text(1)},
                                           {"starts_at", FormatRfc3339(paid.Int(2))},
                                           {"ends_at", FormatRfc3339(paid.Int(3))},
                                           {"active", paid.Int(2) <= now && now < paid.Int(3)}};
        } else {
            card["paid_membership"] = nullptr;
        }
        paid.Reset();
        return Status::Ok();
    }));
    return card;
}

}  // namespace siyu::loyalty
