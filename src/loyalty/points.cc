#include "loyalty/points.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>

#include "loyalty/earning_rules.h"
#include "loyalty/loyalty.h"
#include "loyalty/points_ledger.h"
#include "loyalty/tiers.h"

namespace siyu::loyalty {

using store::Connection;

namespace {

constexpr int64_t kDayMs = 86'400'000;
constexpr int64_t kMaxPoints = 1'000'000'000;
constexpr int64_t kMaxOrderAmount = 100'000'000'000;  // ¥1,000,000,000 in fen
constexpr size_t kSweepBatch = 200;

Status CheckPoints(int64_t points, const char* field = "points") {
    if (points <= 0 || points > kMaxPoints) {
        return Status::InvalidArgument(field, "must be a whole number from 1 to " + std::to_string(kMaxPoints));
    }
    return Status::Ok();
}

Status CheckText(const std::string& s, const char* field, size_t max, bool required) {
    if (required && s.empty()) return Status::InvalidArgument(field, "is required");
    if (s.size() > max) return Status::InvalidArgument(field, "at most " + std::to_string(max) + " bytes");
    return Status::Ok();
}

Json EntryJson(store::Statement& s) {
    return Json{{"id", s.Int(0)},
                {"type", s.Text(1)},
                {"amount", s.Int(2)},
                {"held_delta", s.Int(3)},
                {"debt_delta", s.Int(4)},
                {"balance_after", s.Int(5)},
                {"held_after", s.Int(6)},
                {"debt_after", s.Int(7)},
                {"reason", s.Text(8)},
                {"source_type", s.Text(9)},
                {"source_id", s.Text(10)},
                {"operator", s.Text(11)},
                {"idempotency_key", s.IsNull(12) ? Json(nullptr) : Json(s.Text(12))},
                {"ref_entry_id", s.IsNull(13) ? Json(nullptr) : Json(s.Int(13))},
                {"at", FormatRfc3339(s.Int(14))}};
}

Json BalanceJson(const Member& m, int64_t entry_id) {
    return Json{{"customer_id", m.customer_id}, {"entry_id", entry_id},         {"points", m.points},
                {"points_held", m.points_held}, {"points_debt", m.points_debt}, {"points_earned", m.points_earned}};
}

std::string OperatorName(const auth::Actor& a) {
    if (a.name.empty()) return a.type;
    return a.type + ":" + a.name;
}

}  // namespace

Result<OrderFacts> OrderFromProperties(int64_t customer_id, TimeMs at, std::optional<int64_t> revenue,
                                       const std::string& properties) {
    OrderFacts o;
    o.customer_id = customer_id;
    o.at = at;
    Json p = Json::parse(properties, nullptr, false);
    if (!p.is_object()) return Status::InvalidArgument("properties", "must be an object");
    auto id = p.find("order_id");
    if (id == p.end() || !(id->is_string() || id->is_number_integer())) {
        return Status::InvalidArgument("properties.order_id", "an order needs an order_id");
    }
    o.order_id = id->is_string() ? id->get<std::string>() : std::to_string(id->get<int64_t>());
    if (o.order_id.empty() || o.order_id.size() > 128) {
        return Status::InvalidArgument("properties.order_id", "must be 1 to 128 characters");
    }
    if (!revenue || *revenue < 0) return Status::InvalidArgument("properties.revenue", "an order needs its amount");
    if (*revenue > kMaxOrderAmount) return Status::InvalidArgument("properties.revenue", "is beyond any real order");
    o.amount = *revenue;
    if (auto s = p.find("store_id"); s != p.end() && s->is_number_integer()) o.store_id = s->get<int64_t>();
    if (auto items = p.find("products"); items != p.end() && items->is_array()) {
        for (const auto& it : *items) {
            if (!it.is_object()) continue;
            OrderLine l;
            if (auto v = it.find("product_id"); v != it.end()) {
                l.product_id = v->is_string() ? v->get<std::string>() : v->dump();
            } else if (auto s2 = it.find("sku"); s2 != it.end() && s2->is_string()) {
                l.product_id = s2->get<std::string>();
            }
            if (auto v = it.find("category"); v != it.end() && v->is_string()) l.category = v->get<std::string>();
            if (auto v = it.find("price"); v != it.end() && v->is_number() && std::abs(v->get<double>()) < 1e9) {
                // Event prices are in major units; keep minor units exactly for the usual two decimals.
                l.price = static_cast<int64_t>(v->get<double>() * 100.0 + (v->get<double>() >= 0 ? 0.5 : -0.5));
            }
            if (auto v = it.find("quantity"); v != it.end() && v->is_number_integer()) {
                l.quantity = std::max<int64_t>(1, v->get<int64_t>());
            }
            o.lines.push_back(std::move(l));
        }
    }
    return o;
}

Result<Outcome> Points::Earn(const Request& r, const EarnInput& in) {
    SIYU_RETURN_IF_ERROR(CheckPoints(in.points));
    SIYU_RETURN_IF_ERROR(CheckText(in.reason, "reason", 200, true));
    SIYU_RETURN_IF_ERROR(CheckText(in.source_type, "source_type", 32, false));
    for (const char* reserved : {"import", "order", "refund", "refund_restore", "order_cash", "mall", "expiry", "rule",
                                 "operator", "transfer"}) {
        if (in.source_type == reserved) {
            return Status::InvalidArgument("source_type",
                                           "'" + in.source_type + "' is kept for the programme's own entries");
        }
    }
    SIYU_RETURN_IF_ERROR(CheckText(in.source_id, "source_id", 128, false));
    return loyalty_->exec().Run(r, "points.earn", [&](Tx& tx) -> Result<Json> {
        SIYU_ASSIGN_OR_RETURN(Member m, tx.LoadMember(in.customer_id));
        EntryMeta meta;
        meta.reason = in.reason;
        meta.source_type = in.source_type.empty() ? "campaign" : in.source_type;
        meta.source_id = in.source_id;
        meta.operator_name = OperatorName(r.actor);
        meta.idempotency_key = r.idempotency_key;
        SIYU_ASSIGN_OR_RETURN(Posted p, Credit(tx, m, EntryType::kEarn, in.points, meta, true));
        SIYU_RETURN_IF_ERROR(loyalty_->tiers().Evaluate(tx, m, false));
        SIYU_RETURN_IF_ERROR(tx.SaveMember(m));
        return BalanceJson(m, p.entry_id);
    });
}

Result<Outcome> Points::Adjust(const Request& r, int64_t customer_id, int64_t delta, const std::string& reason) {
    if (delta == 0 || delta > kMaxPoints || delta < -kMaxPoints) {
        return Status::InvalidArgument("points", "must be a non-zero whole number (negative to deduct)");
    }
    SIYU_RETURN_IF_ERROR(CheckText(reason, "reason", 200, true));
    return loyalty_->exec().Run(r, "points.adjust", [&](Tx& tx) -> Result<Json> {
        SIYU_ASSIGN_OR_RETURN(Member m, tx.LoadMember(customer_id));
        EntryMeta meta;
        meta.reason = reason;
        meta.source_type = "operator";
        meta.operator_name = OperatorName(r.actor);
        meta.idempotency_key = r.idempotency_key;
        Posted p;
        if (delta > 0) {
            SIYU_ASSIGN_OR_RETURN(p, Credit(tx, m, EntryType::kAdjust, delta, meta, false));
        } else {
            SIYU_ASSIGN_OR_RETURN(p, Debit(tx, m, EntryType::kAdjust, -delta, meta, false));
        }
        SIYU_RETURN_IF_ERROR(tx.SaveMember(m));
        SIYU_RETURN_IF_ERROR(tx.Audit(r.actor, "loyalty.points.adjust", "customer", std::to_string(m.customer_id),
                                      Json{{"points", delta}, {"reason", reason}, {"entry_id", p.entry_id}}));
        return BalanceJson(m, p.entry_id);
    });
}

Result<Outcome> Points::Transfer(const Request& r, int64_t from_customer, int64_t to_customer, int64_t points,
                                 const std::string& reason) {
    SIYU_RETURN_IF_ERROR(CheckPoints(points));
    SIYU_RETURN_IF_ERROR(CheckText(reason, "reason", 200, true));
    return loyalty_->exec().Run(r, "points.transfer", [&](Tx& tx) -> Result<Json> {
        SIYU_ASSIGN_OR_RETURN(Member from, tx.LoadMember(from_customer));
        auto to = tx.LoadMember(to_customer);
        if (!to.ok()) return Status::InvalidArgument("to_customer_id", to.status().message());
        if (to->customer_id == from.customer_id) {
            return Status::InvalidArgument("to_customer_id", "cannot transfer points to the same member");
        }
        EntryMeta out_meta;
        out_meta.reason = reason;
        out_meta.source_type = "transfer";
        out_meta.source_id = std::to_string(to->customer_id);
        out_meta.operator_name = OperatorName(r.actor);
        out_meta.idempotency_key = r.idempotency_key;
        out_meta.event_properties = Json{{"to_customer_id", to->customer_id}};
        SIYU_ASSIGN_OR_RETURN(Posted sent, Debit(tx, from, EntryType::kTransfer, points, out_meta, false));
        EntryMeta in_meta = out_meta;
        in_meta.source_id = std::to_string(from.customer_id);
        in_meta.idempotency_key.reset();
        in_meta.event_properties = Json{{"from_customer_id", from.customer_id}};
        SIYU_ASSIGN_OR_RETURN(Posted got, Credit(tx, *to, EntryType::kTransfer, points, in_meta, false));
        SIYU_RETURN_IF_ERROR(tx.SaveMember(from));
        SIYU_RETURN_IF_ERROR(tx.SaveMember(*to));
        SIYU_RETURN_IF_ERROR(
            tx.Audit(r.actor, "loyalty.points.transfer", "customer", std::to_string(from.customer_id),
                     Json{{"to_customer_id", to->customer_id}, {"points", points}, {"reason", reason}}));
        Json out = BalanceJson(from, sent.entry_id);
        out["to"] = BalanceJson(*to, got.entry_id);
        return out;
    });
}

Result<Outcome> Points::RedeemForCash(const Request& r, const CashRedeemInput& in) {
    SIYU_RETURN_IF_ERROR(CheckPoints(in.points));
    SIYU_RETURN_IF_ERROR(CheckText(in.order_id, "order_id", 128, true));
    if (in.order_amount <= 0) return Status::InvalidArgument("order_amount", "must be a positive amount in fen");
    return loyalty_->exec().Run(r, "points.redeem_cash", [&](Tx& tx) -> Result<Json> {
        SIYU_ASSIGN_OR_RETURN(const LoyaltySettings* s, tx.Settings());
        // Points are worth cash_points_per_yuan per ¥1 (100 fen); only whole fen.
        if ((in.points * 100) % s->cash_points_per_yuan != 0) {
            return Status::InvalidArgument(
                "points",
                "must be a multiple of " +
                    std::to_string(s->cash_points_per_yuan / std::gcd(s->cash_points_per_yuan, int64_t{100})) +
                    " (whole fen at " + std::to_string(s->cash_points_per_yuan) + " points per ¥1)");
        }
        int64_t cash = in.points * 100 / s->cash_points_per_yuan;
        int64_t max_cash = static_cast<int64_t>(static_cast<__int128>(in.order_amount) * s->max_cash_share_pct / 100);
        SIYU_ASSIGN_OR_RETURN(Member m, tx.LoadMember(in.customer_id));
        SIYU_ASSIGN_OR_RETURN(auto owner, tx.c().Prepare("SELECT customer_id FROM loyalty_orders WHERE tenant_id = ? "
                                                         "AND order_id = ?"));
        owner.Bind(1, tx.tenant()).Bind(2, in.order_id);
        SIYU_ASSIGN_OR_RETURN(bool known, owner.Step());
        bool foreign = known && owner.Int(0) != m.customer_id;
        owner.Reset();
        if (foreign) return Status::InvalidArgument("order_id", "order " + in.order_id + " is another customer's");
        // The share holds for the whole order: earlier redemptions and open holds count.
        SIYU_ASSIGN_OR_RETURN(auto before, tx.c().Prepare("SELECT COALESCE(SUM(CASE WHEN type = 'redeem' THEN "
                                                          "-amount ELSE 0 END), 0) + COALESCE((SELECT SUM(amount) FROM "
                                                          "points_holds WHERE customer_id = ?1 AND order_id = ?2 AND "
                                                          "status = 'held'), 0) FROM points_entries WHERE "
                                                          "customer_id = ?1 AND source_type = 'order_cash' AND "
                                                          "source_id = ?2"));
        before.Bind(1, m.customer_id).Bind(2, in.order_id);
        SIYU_ASSIGN_OR_RETURN(bool row, before.Step());
        int64_t earlier_points = row ? before.Int(0) : 0;
        before.Reset();
        int64_t earlier_cash = earlier_points * 100 / s->cash_points_per_yuan;
        if (cash + earlier_cash > max_cash) {
            return Status::InvalidArgument(
                "points", "worth " + std::to_string(cash) + " fen; with " + std::to_string(earlier_cash) +
                              " fen already paid in points that is more than the " +
                              std::to_string(s->max_cash_share_pct) + "% of the order points may pay (" +
                              std::to_string(max_cash) + " fen)");
        }
        EntryMeta meta;
        meta.reason = "points for cash";
        meta.source_type = "order_cash";
        meta.source_id = in.order_id;
        meta.operator_name = OperatorName(r.actor);
        meta.idempotency_key = r.idempotency_key;
        meta.event_properties = Json{{"order_id", in.order_id}, {"cash_value", cash}};
        SIYU_ASSIGN_OR_RETURN(Posted p, Debit(tx, m, EntryType::kRedeem, in.points, meta, false));
        SIYU_RETURN_IF_ERROR(tx.SaveMember(m));
        Json out = BalanceJson(m, p.entry_id);
        out["cash_value"] = cash;
        out["order_id"] = in.order_id;
        return out;
    });
}

Result<Outcome> Points::CreateHold(const Request& r, int64_t customer_id, int64_t points, const std::string& order_id) {
    SIYU_RETURN_IF_ERROR(CheckPoints(points));
    SIYU_RETURN_IF_ERROR(CheckText(order_id, "order_id", 128, true));
    return loyalty_->exec().Run(
        r, "points.hold",
        [&](Tx& tx) -> Result<Json> {
            SIYU_ASSIGN_OR_RETURN(Member m, tx.LoadMember(customer_id));
            EntryMeta meta;
            meta.reason = "held for order";
            meta.source_type = "order_cash";
            meta.source_id = order_id;
            meta.operator_name = OperatorName(r.actor);
            meta.idempotency_key = r.idempotency_key;
            meta.event_properties = Json{{"order_id", order_id}};
            SIYU_ASSIGN_OR_RETURN(Posted p, Hold(tx, m, points, meta));
            SIYU_ASSIGN_OR_RETURN(auto ins, tx.c().Prepare("INSERT INTO points_holds(tenant_id, customer_id, amount, "
                                                           "order_id, status, entry_id, created_at) VALUES "
                                                           "(?,?,?,?,'held',?,?)"));
            SIYU_RETURN_IF_ERROR(ins.Bind(1, tx.tenant())
                                     .Bind(2, m.customer_id)
                                     .Bind(3, points)
                                     .Bind(4, order_id)
                                     .Bind(5, p.entry_id)
                                     .Bind(6, tx.now())
                                     .Run());
            int64_t hold_id = tx.c().LastInsertId();
            SIYU_RETURN_IF_ERROR(tx.SaveMember(m));
            Json out = BalanceJson(m, p.entry_id);
            out["hold"] = Json{{"id", hold_id}, {"points", points}, {"order_id", order_id}, {"status", "held"}};
            return out;
        },
        201);
}

Result<Outcome> Points::SettleHold(const Request& r, int64_t hold_id, bool capture) {
    return loyalty_->exec().Run(
        r, capture ? "points.hold.capture" : "points.hold.release", [&](Tx& tx) -> Result<Json> {
            SIYU_ASSIGN_OR_RETURN(auto find,
                                  tx.c().Prepare("SELECT customer_id, amount, order_id, status, entry_id FROM "
                                                 "points_holds WHERE id = ? AND tenant_id = ?"));
            find.Bind(1, hold_id).Bind(2, tx.tenant());
            SIYU_ASSIGN_OR_RETURN(bool row, find.Step());
            if (!row) return Status::NotFound("hold " + std::to_string(hold_id) + " not found");
            int64_t customer = find.Int(0), amount = find.Int(1), entry = find.Int(4);
            std::string order_id = find.Text(2), status = find.Text(3);
            find.Reset();
            if (status != "held") {
                return Status::FailedPrecondition("hold " + std::to_string(hold_id) + " is already " + status);
            }
            SIYU_ASSIGN_OR_RETURN(Member m, tx.LoadMemberExact(customer));
            if (capture) {
                // Points held for an order that has since been refunded in full are not spent on it.
                SIYU_ASSIGN_OR_RETURN(auto refunded, tx.c().Prepare("SELECT 1 FROM loyalty_orders WHERE tenant_id = ? "
                                                                    "AND order_id = ? AND customer_id = ? AND "
                                                                    "refunded >= amount AND amount > 0"));
                refunded.Bind(1, tx.tenant()).Bind(2, order_id).Bind(3, customer);
                SIYU_ASSIGN_OR_RETURN(bool gone, refunded.Step());
                refunded.Reset();
                if (gone) {
                    return Status::FailedPrecondition("order " + order_id +
                                                      " was refunded in full; release the hold instead");
                }
            }
            EntryMeta meta;
            meta.reason = capture ? "held points redeemed" : "hold released";
            meta.source_type = "order_cash";
            meta.source_id = order_id;
            meta.operator_name = OperatorName(r.actor);
            meta.idempotency_key = r.idempotency_key;
            meta.event_properties = Json{{"order_id", order_id}, {"hold_id", hold_id}};
            SIYU_ASSIGN_OR_RETURN(Posted p, loyalty::SettleHold(tx, m, entry, amount, capture, meta));
            SIYU_ASSIGN_OR_RETURN(auto upd,
                                  tx.c().Prepare("UPDATE points_holds SET status = ?, settled_at = ? WHERE id = ?"));
            SIYU_RETURN_IF_ERROR(
                upd.Bind(1, capture ? "captured" : "released").Bind(2, tx.now()).Bind(3, hold_id).Run());
            SIYU_RETURN_IF_ERROR(tx.SaveMember(m));
            Json out = BalanceJson(m, p.entry_id);
            out["hold"] = Json{{"id", hold_id},
                               {"points", amount},
                               {"order_id", order_id},
                               {"status", capture ? "captured" : "released"}};
            return out;
        });
}

Result<Json> Points::Entries(int64_t tenant_id, int64_t customer_id, int limit, std::optional<int64_t> before_id) {
    Json data = Json::array();
    SIYU_RETURN_IF_ERROR(loyalty_->exec().db()->Read([&](Connection& c) -> Status {
        Tx tx(c, tenant_id, loyalty_->exec().Now());
        SIYU_ASSIGN_OR_RETURN(Member m, tx.LoadMember(customer_id));
        SIYU_ASSIGN_OR_RETURN(auto stmt, c.Prepare("SELECT id, type, amount, held_delta, debt_delta, balance_after, "
                                                   "held_after, debt_after, reason, source_type, source_id, operator, "
                                                   "idempotency_key, ref_entry_id, at FROM points_entries WHERE "
                                                   "customer_id = ? AND tenant_id = ? AND (?3 IS NULL OR id < ?3) "
                                                   "ORDER BY id DESC LIMIT ?4"));
        stmt.Bind(1, m.customer_id).Bind(2, tenant_id).Bind(3, before_id).Bind(4, static_cast<int64_t>(limit));
        return stmt.ForEachRow([&] { data.push_back(EntryJson(stmt)); });
    }));
    return data;
}

Result<Json> Points::Lots(int64_t tenant_id, int64_t customer_id) {
    Json data = Json::array();
    SIYU_RETURN_IF_ERROR(loyalty_->exec().db()->Read([&](Connection& c) -> Status {
        Tx tx(c, tenant_id, loyalty_->exec().Now());
        SIYU_ASSIGN_OR_RETURN(Member m, tx.LoadMember(customer_id));
        SIYU_ASSIGN_OR_RETURN(auto stmt, c.Prepare("SELECT id, entry_id, amount, remaining, held, earned_at, "
                                                   "expires_at FROM points_lots WHERE customer_id = ? AND (remaining > "
                                                   "0 OR held > 0) ORDER BY expires_at IS NULL, expires_at, id LIMIT "
                                                   "1000"));
        stmt.Bind(1, m.customer_id);
        return stmt.ForEachRow([&] {
            data.push_back(Json{{"id", stmt.Int(0)},
                                {"entry_id", stmt.Int(1)},
                                {"amount", stmt.Int(2)},
                                {"remaining", stmt.Int(3)},
                                {"held", stmt.Int(4)},
                                {"earned_at", FormatRfc3339(stmt.Int(5))},
                                {"expires_at", stmt.IsNull(6) ? Json(nullptr) : Json(FormatRfc3339(stmt.Int(6)))}});
        });
    }));
    return Json{{"data", data}};
}

Result<Json> Points::Preview(int64_t tenant_id, const OrderFacts& order) {
    Json out;
    SIYU_RETURN_IF_ERROR(loyalty_->exec().db()->Read([&](Connection& c) -> Status {
        Tx tx(c, tenant_id, loyalty_->exec().Now());
        SIYU_ASSIGN_OR_RETURN(Member m, tx.LoadMember(order.customer_id));
        SIYU_ASSIGN_OR_RETURN(EarnPlan plan, loyalty_->rules().Plan(tx, m, order));
        out = plan.ToJson();
        out["customer_id"] = m.customer_id;
        out["order_id"] = order.order_id;
        out["amount"] = order.amount;
        return Status::Ok();
    }));
    return out;
}

Result<Json> Points::CompleteOrder(Tx& tx, const OrderFacts& o) {
    SIYU_ASSIGN_OR_RETURN(Member m, tx.LoadMember(o.customer_id));
    SIYU_ASSIGN_OR_RETURN(auto seen, tx.c().Prepare("SELECT points_earned FROM loyalty_orders WHERE tenant_id = ? AND "
                                                    "order_id = ?"));
    seen.Bind(1, tx.tenant()).Bind(2, o.order_id);
    SIYU_ASSIGN_OR_RETURN(bool done, seen.Step());
    if (done) {
        Json out{{"order_id", o.order_id}, {"points", seen.Int(0)}, {"duplicate", true}};
        seen.Reset();
        return out;
    }
    seen.Reset();
    SIYU_ASSIGN_OR_RETURN(EarnPlan plan, loyalty_->rules().Plan(tx, m, o));
    SIYU_RETURN_IF_ERROR(loyalty_->rules().Record(tx, m, plan));
    int64_t earned = 0;
    Json entries = Json::array();
    if (plan.order_points > 0) {
        EntryMeta meta;
        meta.reason = "order " + o.order_id;
        meta.source_type = "order";
        meta.source_id = o.order_id;
        meta.event_properties =
            Json{{"order_id", o.order_id}, {"order_amount", o.amount}, {"parts", plan.ToJson()["parts"]}};
        SIYU_ASSIGN_OR_RETURN(Posted p, Credit(tx, m, EntryType::kEarn, plan.order_points, meta, true));
        earned += plan.order_points;
        entries.push_back(p.entry_id);
    }
    for (const auto& b : plan.bonuses) {
        EntryMeta meta;
        meta.reason = b.rule_name;
        meta.source_type = "order";
        meta.source_id = o.order_id;
        meta.event_properties = Json{{"order_id", o.order_id}, {"rule_id", b.rule_id}, {"trigger", "order"}};
        SIYU_ASSIGN_OR_RETURN(Posted p, Credit(tx, m, EntryType::kEarn, b.points, meta, true));
        earned += b.points;
        entries.push_back(p.entry_id);
    }
    SIYU_ASSIGN_OR_RETURN(auto ins, tx.c().Prepare("INSERT INTO loyalty_orders(tenant_id, order_id, customer_id, "
                                                   "amount, points_earned, store_id, completed_at) VALUES "
                                                   "(?,?,?,?,?,?,?)"));
    SIYU_RETURN_IF_ERROR(ins.Bind(1, tx.tenant())
                             .Bind(2, o.order_id)
                             .Bind(3, m.customer_id)
                             .Bind(4, o.amount)
                             .Bind(5, earned)
                             .Bind(6, o.store_id)
                             .Bind(7, o.at)
                             .Run());
    SIYU_RETURN_IF_ERROR(loyalty_->tiers().Evaluate(tx, m, false));
    SIYU_RETURN_IF_ERROR(tx.SaveMember(m));
    Json out = plan.ToJson();
    out["order_id"] = o.order_id;
    out["entry_ids"] = entries;
    out["balance"] = m.points;
    return out;
}

Result<Json> Points::RefundOrder(Tx& tx, int64_t customer_id, const std::string& order_id, int64_t refund_amount) {
    (void)customer_id;
    SIYU_ASSIGN_OR_RETURN(auto find, tx.c().Prepare("SELECT customer_id, amount, refunded, points_earned, "
                                                    "points_reversed, points_restored FROM loyalty_orders WHERE "
                                                    "tenant_id = ? AND order_id = ?"));
    find.Bind(1, tx.tenant()).Bind(2, order_id);
    SIYU_ASSIGN_OR_RETURN(bool row, find.Step());
    if (!row) return Json{{"order_id", order_id}, {"reversed", 0}, {"restored", 0}, {"known", false}};
    int64_t member_id = find.Int(0), amount = find.Int(1), refunded = find.Int(2), earned = find.Int(3),
            reversed = find.Int(4), restored = find.Int(5);
    find.Reset();
    if (refunded >= amount && amount > 0) {
        return Json{{"order_id", order_id}, {"known", true}, {"refunded", refunded}, {"reversed", 0}, {"restored", 0}};
    }
    SIYU_ASSIGN_OR_RETURN(Member m, tx.LoadMemberExact(member_id));
    int64_t new_refunded = std::min(amount, refunded + std::max<int64_t>(0, refund_amount));
    // Cumulative targets, so partial refunds never drift by rounding.
    auto share = [&](int64_t total) -> int64_t {
        return amount == 0 ? total : static_cast<int64_t>(static_cast<__int128>(total) * new_refunded / amount);
    };
    int64_t reverse_now = share(earned) - reversed;
    Json out{{"order_id", order_id}, {"known", true}, {"refunded", new_refunded}};
    if (reverse_now > 0) {
        EntryMeta meta;
        meta.reason = "refund of order " + order_id;
        meta.source_type = "refund";
        meta.source_id = order_id;
        meta.event_properties = Json{{"order_id", order_id}, {"refund_amount", refund_amount}};
        SIYU_ASSIGN_OR_RETURN(Posted p, Debit(tx, m, EntryType::kReverse, reverse_now, meta, true));
        m.points_earned = std::max<int64_t>(0, m.points_earned - reverse_now);
        out["reverse_entry_id"] = p.entry_id;
        out["debt_recorded"] = p.debt_change;
    }
    // Points the order redeemed (cash redemptions and captured holds) come back in the same share.
    SIYU_ASSIGN_OR_RETURN(auto redeemed, tx.c().Prepare("SELECT id, type, amount, held_delta, ref_entry_id FROM "
                                                        "points_entries WHERE tenant_id = ? AND source_type = "
                                                        "'order_cash' AND source_id = ? AND type = 'redeem' AND "
                                                        "customer_id = ? ORDER BY id"));
    redeemed.Bind(1, tx.tenant()).Bind(2, order_id).Bind(3, m.customer_id);
    std::vector<std::pair<int64_t, int64_t>> debits;  // debit entry (with the lot moves), points
    SIYU_RETURN_IF_ERROR(redeemed.ForEachRow([&] {
        if (redeemed.Int(3) != 0 && !redeemed.IsNull(4)) {
            debits.emplace_back(redeemed.Int(4), -redeemed.Int(3));  // a captured hold: its hold entry
        } else {
            debits.emplace_back(redeemed.Int(0), -redeemed.Int(2));
        }
    }));
    int64_t total_redeemed = 0;
    for (auto& d : debits) total_redeemed += d.second;
    int64_t restore_now = share(total_redeemed) - restored;
    int64_t restored_now = 0;
    for (auto& [entry, pts] : debits) {
        if (restore_now - restored_now <= 0) break;
        EntryMeta meta;
        meta.reason = "redeemed points returned on refund of order " + order_id;
        meta.source_type = "refund_restore";
        meta.source_id = order_id;
        meta.event_properties = Json{{"order_id", order_id}};
        SIYU_ASSIGN_OR_RETURN(Posted p, Restore(tx, m, EntryType::kReverse, entry, restore_now - restored_now, meta));
        restored_now += p.amount - p.debt_change;
    }
    SIYU_ASSIGN_OR_RETURN(auto upd, tx.c().Prepare("UPDATE loyalty_orders SET refunded = ?, points_reversed = ?, "
                                                   "points_redeemed = ?, points_restored = ? WHERE tenant_id = ? AND "
                                                   "order_id = ?"));
    SIYU_RETURN_IF_ERROR(upd.Bind(1, new_refunded)
                             .Bind(2, reversed + std::max<int64_t>(0, reverse_now))
                             .Bind(3, total_redeemed)
                             .Bind(4, restored + restored_now)
                             .Bind(5, tx.tenant())
                             .Bind(6, order_id)
                             .Run());
    SIYU_RETURN_IF_ERROR(tx.SaveMember(m));
    out["reversed"] = std::max<int64_t>(0, reverse_now);
    out["restored"] = restored_now;
    out["balance"] = m.points;
    out["debt"] = m.points_debt;
    return out;
}

Status Points::Sweep(int64_t tenant_id) {
    Executor& exec = loyalty_->exec();
    TimeMs now = exec.Now();
    // Expire due lots, a batch of members per transaction.
    while (true) {
        std::vector<int64_t> due;
        SIYU_RETURN_IF_ERROR(exec.db()->Read([&](Connection& c) -> Status {
            SIYU_ASSIGN_OR_RETURN(auto stmt, c.Prepare("SELECT DISTINCT customer_id FROM points_lots WHERE tenant_id = "
                                                       "? AND remaining > 0 AND expires_at <= ? LIMIT ?"));
            stmt.Bind(1, tenant_id).Bind(2, now).Bind(3, static_cast<int64_t>(kSweepBatch));
            return stmt.ForEachRow([&] { due.push_back(stmt.Int(0)); });
        }));
        if (due.empty()) break;
        SIYU_RETURN_IF_ERROR(exec.Write(tenant_id, [&](Tx& tx) -> Status {
            for (int64_t customer : due) {
                // Exactly the lots' member: merged or deleted customers' points expire too.
                SIYU_ASSIGN_OR_RETURN(Member m, tx.LoadMemberExact(customer));
                SIYU_ASSIGN_OR_RETURN(int64_t expired, ExpireDueLots(tx, m));
                if (expired > 0) SIYU_RETURN_IF_ERROR(tx.SaveMember(m));
            }
            return Status::Ok();
        }));
        if (due.size() < kSweepBatch) break;
    }
    // Points Expiring: once per member and expiry date, N days ahead.
    while (true) {
        std::map<int64_t, std::map<TimeMs, int64_t>> soon;  // member → expiry → points
        int64_t notice_days = 0;
        SIYU_RETURN_IF_ERROR(exec.db()->Read([&](Connection& c) -> Status {
            SIYU_ASSIGN_OR_RETURN(LoyaltySettings s, LoadSettings(c, tenant_id));
            notice_days = s.points_expiring_notice_days;
            if (notice_days == 0) return Status::Ok();
            SIYU_ASSIGN_OR_RETURN(auto stmt, c.Prepare("SELECT customer_id, expires_at, SUM(remaining) FROM "
                                                       "points_lots WHERE tenant_id = ? AND remaining > 0 AND "
                                                       "notified_at IS NULL AND expires_at > ? AND expires_at <= ? "
                                                       "GROUP BY customer_id, expires_at LIMIT ?"));
            stmt.Bind(1, tenant_id)
                .Bind(2, now)
                .Bind(3, now + notice_days * kDayMs)
                .Bind(4, static_cast<int64_t>(kSweepBatch));
            return stmt.ForEachRow([&] { soon[stmt.Int(0)][stmt.Int(1)] += stmt.Int(2); });
        }));
        if (soon.empty()) break;
        SIYU_RETURN_IF_ERROR(exec.Write(tenant_id, [&](Tx& tx) -> Status {
            SIYU_ASSIGN_OR_RETURN(auto mark,
                                  tx.c().Prepare("UPDATE points_lots SET notified_at = ? WHERE customer_id = "
                                                 "? AND expires_at = ? AND notified_at IS NULL"));
            for (const auto& [customer, by_date] : soon) {
                for (const auto& [at, points] : by_date) {
                    SIYU_RETURN_IF_ERROR(mark.Bind(1, tx.now()).Bind(2, customer).Bind(3, at).Run());
                    SIYU_RETURN_IF_ERROR(tx.Emit(customer, "Points Expiring",
                                                 Json{{"points", points},
                                                      {"expires_at", FormatRfc3339(at)},
                                                      {"days_left", (at - tx.now() + kDayMs - 1) / kDayMs}}));
                }
            }
            return Status::Ok();
        }));
    }
    return Status::Ok();
}

}  // namespace siyu::loyalty
