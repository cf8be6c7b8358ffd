#include "loyalty/verify.h"

#include <map>

#include "loyalty/coupons.h"
#include "loyalty/mall.h"
#include "loyalty/stored_value.h"

namespace siyu::loyalty {

using store::Connection;

namespace {

constexpr size_t kMaxProblems = 1000;

void Problem(VerifyReport* r, std::string text) {
    if (r->problems.size() < kMaxProblems) r->problems.push_back(std::move(text));
}

std::string Who(int64_t customer) { return "member " + std::to_string(customer) + ": "; }

// Balances equal the sums of the entries; each entry's balances-after follow from the one
// before; every type moves only the accounts it may.
// Every entry the event projection has passed has its one event (the projection names it
// by the entry: "siyu-" + 12 hex digits of the time + "-e" + the entry id; a client's event
// that took that id does not count).
Status VerifyEntryEvents(Connection& c, int64_t tenant_id, VerifyReport* r) {
    SIYU_ASSIGN_OR_RETURN(auto missing,
                          c.Prepare("SELECT e.id, e.customer_id FROM points_entries e WHERE e.tenant_id = ?1 AND "
                                    "e.event IS NOT NULL AND e.id <= (SELECT position FROM loyalty_projections WHERE "
                                    "name = 'points_events') AND NOT EXISTS (SELECT 1 FROM events v WHERE "
                                    "v.tenant_id = ?1 AND v.message_id = printf('siyu-%012x-e%d', e.at, e.id) AND "
                                    "json_extract(v.properties, '$.entry_id') = e.id)"));
    missing.Bind(1, tenant_id);
    return missing.ForEachRow([&] {
        Problem(r, Who(missing.Int(1)) + "entry " + std::to_string(missing.Int(0)) + " has no event in the CDP");
    });
}

Status VerifyPoints(Connection& c, int64_t tenant_id, VerifyReport* r) {
    struct Sums {
        int64_t points = 0, held = 0, debt = 0;
        int64_t last_balance = 0, last_held = 0, last_debt = 0;
        int64_t entries = 0;
    };
    std::map<int64_t, Sums> sums;
    SIYU_ASSIGN_OR_RETURN(auto e, c.Prepare("SELECT id, customer_id, type, amount, held_delta, debt_delta, "
                                            "balance_after, held_after, debt_after FROM points_entries WHERE "
                                            "tenant_id = ? ORDER BY customer_id, id"));
    e.Bind(1, tenant_id);
    SIYU_RETURN_IF_ERROR(e.ForEachRow([&] {
        int64_t id = e.Int(0), customer = e.Int(1);
        std::string type = e.Text(2);
        int64_t amount = e.Int(3), held = e.Int(4), debt = e.Int(5);
        Sums& s = sums[customer];
        s.points += amount;
        s.held += held;
        s.debt += debt;
        ++s.entries;
        ++r->points_entries;
        std::string at = Who(customer) + "entry " + std::to_string(id) + " (" + type + ")";
        if (e.Int(6) != s.points || e.Int(7) != s.held || e.Int(8) != s.debt) {
            Problem(r, at + ": balances after the entry do not follow from the entries before it");
        }
        if (s.points < 0 || s.held < 0 || s.debt < 0) Problem(r, at + ": a balance went negative");
        bool ok = true;
        if (type == "earn") ok = amount >= 0 && held == 0 && debt <= 0;
        if (type == "transfer") ok = held == 0 && (amount >= 0 ? debt <= 0 : debt == 0);
        if (type == "expire") ok = amount < 0 && held == 0 && debt == 0;
        if (type == "hold") ok = amount < 0 && held == -amount && debt == 0;
        if (type == "release") ok = amount >= 0 && held < 0 && amount - debt == -held;
        if (type == "redeem") ok = held == 0 ? (amount < 0 && debt == 0) : (amount == 0 && held < 0 && debt == 0);
        if (type == "reverse") ok = held == 0;
        if (type == "adjust") ok = held == 0;
        if (!ok) Problem(r, at + ": moves accounts its type may not move");
    }));
    SIYU_ASSIGN_OR_RETURN(auto m, c.Prepare("SELECT customer_id, points, points_held, points_debt FROM members WHERE "
                                            "tenant_id = ?"));
    m.Bind(1, tenant_id);
    SIYU_RETURN_IF_ERROR(m.ForEachRow([&] {
        ++r->members;
        int64_t customer = m.Int(0);
        Sums s = sums.count(customer) ? sums[customer] : Sums{};
        if (m.Int(1) != s.points) {
            Problem(r, Who(customer) + "points balance " + std::to_string(m.Int(1)) + " but its entries add up to " +
                           std::to_string(s.points));
        }
        if (m.Int(2) != s.held) {
            Problem(r, Who(customer) + "held points " + std::to_string(m.Int(2)) + " but its entries add up to " +
                           std::to_string(s.held));
        }
        if (m.Int(3) != s.debt) {
            Problem(r, Who(customer) + "points debt " + std::to_string(m.Int(3)) + " but its entries add up to " +
                           std::to_string(s.debt));
        }
        sums.erase(customer);
    }));
    for (const auto& [customer, s] : sums) Problem(r, Who(customer) + "has points entries but no member row");
    // Lots: what remains equals what was put in plus every move; together they hold the balance.
    SIYU_ASSIGN_OR_RETURN(auto lots, c.Prepare("SELECT l.id, l.customer_id, l.amount, l.remaining, l.held, "
                                               "COALESCE((SELECT SUM(amount) FROM points_lot_moves WHERE lot_id = "
                                               "l.id), 0) FROM points_lots l WHERE l.tenant_id = ?"));
    lots.Bind(1, tenant_id);
    std::map<int64_t, std::pair<int64_t, int64_t>> per_member;  // remaining, held
    SIYU_RETURN_IF_ERROR(lots.ForEachRow([&] {
        ++r->lots;
        int64_t id = lots.Int(0), customer = lots.Int(1);
        if (lots.Int(3) < 0 || lots.Int(4) < 0 || lots.Int(3) + lots.Int(4) > lots.Int(2)) {
            Problem(r, Who(customer) + "lot " + std::to_string(id) + " holds more than it was given or below zero");
        }
        if (lots.Int(3) != lots.Int(2) + lots.Int(5)) {
            Problem(r, Who(customer) + "lot " + std::to_string(id) + " remaining " + std::to_string(lots.Int(3)) +
                           " does not match its moves (" + std::to_string(lots.Int(2) + lots.Int(5)) + ")");
        }
        per_member[customer].first += lots.Int(3);
        per_member[customer].second += lots.Int(4);
    }));
    SIYU_ASSIGN_OR_RETURN(auto m2, c.Prepare("SELECT customer_id, points, points_held FROM members WHERE tenant_id = ?"));
    m2.Bind(1, tenant_id);
    SIYU_RETURN_IF_ERROR(m2.ForEachRow([&] {
        auto lot = per_member[m2.Int(0)];
        if (lot.first != m2.Int(1)) {
            Problem(r, Who(m2.Int(0)) + "lots hold " + std::to_string(lot.first) + " available points, balance is " +
                           std::to_string(m2.Int(1)));
        }
        if (lot.second != m2.Int(2)) {
            Problem(r, Who(m2.Int(0)) + "lots hold " + std::to_string(lot.second) + " held points, held balance is " +
                           std::to_string(m2.Int(2)));
        }
    }));
    // Holds still open add up to the held balance.
    SIYU_ASSIGN_OR_RETURN(auto holds, c.Prepare("SELECT m.customer_id, m.points_held, COALESCE((SELECT SUM(amount) "
                                                "FROM points_holds h WHERE h.customer_id = m.customer_id AND "
                                                "h.status = 'held'), 0) FROM members m WHERE m.tenant_id = ?"));
    holds.Bind(1, tenant_id);
    SIYU_RETURN_IF_ERROR(holds.ForEachRow([&] {
        if (holds.Int(1) != holds.Int(2)) {
            Problem(r, Who(holds.Int(0)) + "open holds add up to " + std::to_string(holds.Int(2)) +
                           ", held balance is " + std::to_string(holds.Int(1)));
        }
    }));
    // An order never reverses more than it earned, nor restores more than it redeemed.
    SIYU_ASSIGN_OR_RETURN(auto orders, c.Prepare("SELECT order_id, points_earned, points_reversed, points_redeemed, "
                                                 "points_restored, amount, refunded FROM loyalty_orders WHERE "
                                                 "tenant_id = ?"));
    orders.Bind(1, tenant_id);
    SIYU_RETURN_IF_ERROR(orders.ForEachRow([&] {
        if (orders.Int(2) > orders.Int(1) || orders.Int(4) > orders.Int(3) || orders.Int(6) > orders.Int(5)) {
            Problem(r, "order " + orders.Text(0) + ": reversed, restored or refunded more than it had");
        }
    }));
    // An idempotency key is used by one entry at most.
    SIYU_ASSIGN_OR_RETURN(auto keys, c.Prepare("SELECT idempotency_key, COUNT(*) FROM points_entries WHERE tenant_id = "
                                               "? AND idempotency_key IS NOT NULL GROUP BY idempotency_key HAVING "
                                               "COUNT(*) > 1"));
    keys.Bind(1, tenant_id);
    SIYU_RETURN_IF_ERROR(keys.ForEachRow([&] {
        Problem(r, "Idempotency-Key " + keys.Text(0) + " was applied " + std::to_string(keys.Int(1)) + " times");
    }));
    return Status::Ok();
}

}  // namespace

Json VerifyReport::ToJson() const {
    return Json{{"members", members},
                {"points_entries", points_entries},
                {"lots", lots},
                {"stored_value_entries", stored_value_entries},
                {"coupons", coupons},
                {"mall_exchanges", mall_exchanges},
                {"clean", problems.empty()},
                {"problems", problems}};
}

Result<VerifyReport> Verify(store::Database& db, int64_t tenant_id) {
    VerifyReport report;
    SIYU_RETURN_IF_ERROR(db.Read([&](Connection& c) -> Status {
        report = VerifyReport{};
        SIYU_ASSIGN_OR_RETURN(auto t, c.Prepare("SELECT 1 FROM tenants WHERE tenant_id = ?"));
        t.Bind(1, tenant_id);
        SIYU_ASSIGN_OR_RETURN(bool exists, t.Step());
        t.Reset();
        if (!exists) return Status::NotFound("tenant " + std::to_string(tenant_id) + " not found");
        SIYU_RETURN_IF_ERROR(VerifyPoints(c, tenant_id, &report));
        SIYU_RETURN_IF_ERROR(VerifyEntryEvents(c, tenant_id, &report));
        SIYU_RETURN_IF_ERROR(VerifyStoredValue(c, tenant_id, &report.problems, &report.stored_value_entries));
        SIYU_RETURN_IF_ERROR(VerifyCoupons(c, tenant_id, &report.problems, &report.coupons));
        SIYU_RETURN_IF_ERROR(VerifyMall(c, tenant_id, &report.problems, &report.mall_exchanges));
        return Status::Ok();
    }));
    return report;
}

}  // namespace siyu::loyalty
