#include "loyalty/paid_membership.h"

#include <chrono>
#include <cstdio>

#include "base/strings.h"
#include "loyalty/loyalty.h"

namespace siyu::loyalty {

namespace {

using store::Connection;

constexpr TimeMs kDayMs = 86'400'000;
constexpr int64_t kMaxPrice = 10'000'000'000;
constexpr int64_t kMaxDuration = 3660;
constexpr size_t kMaxBenefits = 50;

// Midnight (tenant time) `days` local days after the local day of `at`.
Result<TimeMs> LocalMidnightAfter(TimeMs at, int64_t days, const std::string& tz) {
    std::string day = LocalDate(at, tz);
    int y = 0;
    unsigned m = 0, d = 0;
    if (std::sscanf(day.c_str(), "%d-%u-%u", &y, &m, &d) != 3) return Status::Internal("bad local date " + day);
    using namespace std::chrono;
    sys_days next = sys_days(year_month_day(year(y), month(m), std::chrono::day(d))) + std::chrono::days(days);
    year_month_day ymd(next);
    char buf[16];
    std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
                  static_cast<unsigned>(ymd.day()));
    return StartOfLocalDay(buf, tz);
}

constexpr const char* kPlanColumns = "id, name, price, duration_days, benefits, active, created_at, updated_at";

PaidPlan ReadPlan(store::Statement& s) {
    PaidPlan p;
    p.id = s.Int(0);
    p.name = s.Text(1);
    p.price = s.Int(2);
    p.duration_days = s.Int(3);
    Json b = Json::parse(s.Text(4), nullptr, false);
    if (b.is_array()) {
        for (const auto& x : b) {
            if (x.is_string()) p.benefits.push_back(x.get<std::string>());
        }
    }
    p.active = s.Int(5) != 0;
    p.created_at = s.Int(6);
    p.updated_at = s.Int(7);
    return p;
}

Result<PaidPlan> LoadPlan(Connection& c, int64_t tenant_id, int64_t id) {
    SIYU_ASSIGN_OR_RETURN(auto stmt, c.Prepare(std::string("SELECT ") + kPlanColumns +
                                               " FROM paid_plans WHERE id = ? AND tenant_id = ? AND deleted_at IS "
                                               "NULL"));
    stmt.Bind(1, id).Bind(2, tenant_id);
    SIYU_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) return Status::NotFound("paid plan " + std::to_string(id) + " not found");
    return ReadPlan(stmt);
}

void ApplyPlan(const PaidPlanInput& in, PaidPlan* p) {
    if (in.name) p->name = std::string(Trim(*in.name));
    if (in.price) p->price = *in.price;
    if (in.duration_days) p->duration_days = *in.duration_days;
    if (in.benefits) p->benefits = *in.benefits;
    if (in.active) p->active = *in.active;
}

Status ValidatePlan(const PaidPlan& p) {
    if (p.name.empty()) return Status::InvalidArgument("name", "is required");
    if (p.name.size() > 100) return Status::InvalidArgument("name", "at most 100 bytes");
    if (p.price < 0 || p.price > kMaxPrice) {
        return Status::InvalidArgument("price", "must be from 0 to " + std::to_string(kMaxPrice) + " fen");
    }
    if (p.duration_days < 1 || p.duration_days > kMaxDuration) {
        return Status::InvalidArgument("duration_days", "must be from 1 to " + std::to_string(kMaxDuration));
    }
    if (p.benefits.size() > kMaxBenefits) return Status::InvalidArgument("benefits", "at most 50 benefits");
    for (size_t i = 0; i < p.benefits.size(); ++i) {
        if (Trim(p.benefits[i]).empty() || p.benefits[i].size() > 200) {
            return Status::InvalidArgument("benefits[" + std::to_string(i) + "]", "must be 1 to 200 bytes");
        }
    }
    return Status::Ok();
}

Json PlanJson(const PaidPlan& p) {
    return Json{{"id", p.id},
                {"name", p.name},
                {"price", p.price},
                {"duration_days", p.duration_days},
                {"benefits", p.benefits},
                {"active", p.active},
                {"created_at", FormatRfc3339(p.created_at)},
                {"updated_at", FormatRfc3339(p.updated_at)}};
}

struct Period {
    int64_t id = 0;
    int64_t plan_id = 0;
    std::string plan_name;
    std::string kind;
    int64_t price = 0;
    std::string order_id;
    TimeMs starts_at = 0;
    TimeMs ends_at = 0;
    std::optional<TimeMs> cancelled_at;
    std::string cancel_reason;
};

Json PeriodJson(const Period& p) {
    return Json{{"id", p.id},
                {"plan_id", p.plan_id},
                {"plan_name", p.plan_name},
                {"kind", p.kind},
                {"price", p.price},
                {"order_id", p.order_id.empty() ? Json(nullptr) : Json(p.order_id)},
                {"starts_at", FormatRfc3339(p.starts_at)},
                {"ends_at", FormatRfc3339(p.ends_at)},
                {"cancelled_at", p.cancelled_at ? Json(FormatRfc3339(*p.cancelled_at)) : Json(nullptr)},
                {"cancel_reason", p.cancel_reason.empty() ? Json(nullptr) : Json(p.cancel_reason)}};
}

// Every period of the member, oldest first.
Result<std::vector<Period>> LoadPeriods(Connection& c, int64_t tenant_id, int64_t customer_id) {
    SIYU_ASSIGN_OR_RETURN(auto stmt, c.Prepare("SELECT pm.id, pm.plan_id, COALESCE(pp.name, ''), pm.kind, pm.price, "
                                               "pm.order_id, pm.starts_at, pm.ends_at, pm.cancelled_at, "
                                               "COALESCE(pm.cancel_reason, '') FROM paid_memberships pm LEFT JOIN "
                                               "paid_plans pp ON pp.id = pm.plan_id WHERE pm.tenant_id = ? AND "
                                               "pm.customer_id = ? ORDER BY pm.id"));
    stmt.Bind(1, tenant_id).Bind(2, customer_id);
    std::vector<Period> out;
    SIYU_RETURN_IF_ERROR(stmt.ForEachRow([&] {
        Period p;
        p.id = stmt.Int(0);
        p.plan_id = stmt.Int(1);
        p.plan_name = stmt.Text(2);
        p.kind = stmt.Text(3);
        p.price = stmt.Int(4);
        p.order_id = stmt.Text(5);
        p.starts_at = stmt.Int(6);
        p.ends_at = stmt.Int(7);
        p.cancelled_at = stmt.OptInt(8);
        p.cancel_reason = stmt.Text(9);
        out.push_back(std::move(p));
    }));
    return out;
}

// The end of the member's paid membership: the latest end of a period not cancelled.
std::optional<TimeMs> Until(const std::vector<Period>& periods) {
    std::optional<TimeMs> until;
    for (const auto& p : periods) {
        if (!p.cancelled_at && (!until || p.ends_at > *until)) until = p.ends_at;
    }
    return until;
}

Result<Json> StatusJson(Connection& c, int64_t tenant_id, int64_t customer_id, TimeMs now) {
    SIYU_ASSIGN_OR_RETURN(auto periods, LoadPeriods(c, tenant_id, customer_id));
    std::optional<TimeMs> until = Until(periods);
    std::string status = "none";
    const Period* current = nullptr;
    if (until && *until > now) {
        status = "active";
        for (const auto& p : periods) {
            if (!p.cancelled_at && p.starts_at <= now && now < p.ends_at) current = &p;
        }
    } else if (!periods.empty()) {
        status = periods.back().cancelled_at ? "cancelled" : "expired";
    }
    if (current == nullptr && !periods.empty()) current = &periods.back();
    Json plan = nullptr;
    if (current != nullptr) {
        auto p = LoadPlan(c, tenant_id, current->plan_id);
        plan = Json{{"id", current->plan_id}, {"name", current->plan_name}};
        plan["benefits"] = p.ok() ? Json(p->benefits) : Json::array();
    }
    std::optional<TimeMs> ends = until;
    if (status == "cancelled") ends = periods.back().cancelled_at;
    if (status == "none") ends.reset();
    Json history = Json::array();
    for (auto it = periods.rbegin(); it != periods.rend(); ++it) history.push_back(PeriodJson(*it));
    int64_t days_left = status == "active" ? (*until - now + kDayMs - 1) / kDayMs : 0;
    return Json{{"customer_id", customer_id},
                {"status", status},
                {"active", status == "active"},
                {"plan", plan},
                {"starts_at", current != nullptr ? Json(FormatRfc3339(current->starts_at)) : Json(nullptr)},
                {"ends_at", ends ? Json(FormatRfc3339(*ends)) : Json(nullptr)},
                {"days_left", days_left},
                {"periods", history}};
}

// Writes the trait `paid_member_until` of the member's customer record (null removes it).
Status MirrorTrait(Tx& tx, int64_t customer_id, std::optional<TimeMs> until) {
    SIYU_ASSIGN_OR_RETURN(auto stmt,
                          tx.c().Prepare(until ? "UPDATE customers SET traits = json_set(traits, '$.paid_member_until', "
                                                 "?), updated_at = ? WHERE id = ? AND tenant_id = ?"
                                               : "UPDATE customers SET traits = json_remove(traits, "
                                                 "'$.paid_member_until'), updated_at = ? WHERE id = ? AND tenant_id = "
                                                 "?"));
    int i = 1;
    if (until) stmt.Bind(i++, FormatRfc3339(*until));
    return stmt.Bind(i, tx.now()).Bind(i + 1, customer_id).Bind(i + 2, tx.tenant()).Run();
}

}  // namespace

// --- Plans ---------------------------------------------------------------------------------

Result<std::vector<PaidPlan>> PaidMemberships::ListPlans(int64_t tenant_id) {
    std::vector<PaidPlan> out;
    SIYU_RETURN_IF_ERROR(loyalty_->exec().db()->Read([&](Connection& c) -> Status {
        SIYU_ASSIGN_OR_RETURN(auto stmt, c.Prepare(std::string("SELECT ") + kPlanColumns +
                                                   " FROM paid_plans WHERE tenant_id = ? AND deleted_at IS NULL "
                                                   "ORDER BY price, id"));
        stmt.Bind(1, tenant_id);
        return stmt.ForEachRow([&] { out.push_back(ReadPlan(stmt)); });
    }));
    return out;
}

Result<PaidPlan> PaidMemberships::GetPlan(int64_t tenant_id, int64_t id) {
    PaidPlan p;
    SIYU_RETURN_IF_ERROR(loyalty_->exec().db()->Read([&](Connection& c) -> Status {
        SIYU_ASSIGN_OR_RETURN(p, LoadPlan(c, tenant_id, id));
        return Status::Ok();
    }));
    return p;
}

Result<PaidPlan> PaidMemberships::CreatePlan(int64_t tenant_id, const PaidPlanInput& in, const auth::Actor& actor) {
    if (!in.name) return Status::InvalidArgument("name", "is required");
    if (!in.price) return Status::InvalidArgument("price", "is required");
    if (!in.duration_days) return Status::InvalidArgument("duration_days", "is required");
    PaidPlan p;
    ApplyPlan(in, &p);
    SIYU_RETURN_IF_ERROR(ValidatePlan(p));
    SIYU_RETURN_IF_ERROR(loyalty_->exec().Write(tenant_id, [&](Tx& tx) -> Status {
        p.created_at = p.updated_at = tx.now();
        SIYU_ASSIGN_OR_RETURN(auto stmt, tx.c().Prepare("INSERT INTO paid_plans(tenant_id, name, price, "
                                                        "duration_days, benefits, active, created_at, updated_at) "
                                                        "VALUES (?,?,?,?,?,?,?,?)"));
        SIYU_RETURN_IF_ERROR(stmt.Bind(1, tenant_id)
                                 .Bind(2, p.name)
                                 .Bind(3, p.price)
                                 .Bind(4, p.duration_days)
                                 .Bind(5, Json(p.benefits).dump())
                                 .Bind(6, static_cast<int64_t>(p.active))
                                 .Bind(7, p.created_at)
                                 .Bind(8, p.updated_at)
                                 .Run());
        p.id = tx.c().LastInsertId();
        return tx.Audit(actor, "loyalty.paid_plan.create", "paid_plan", std::to_string(p.id), PlanJson(p));
    }));
    return p;
}

Result<PaidPlan> PaidMemberships::UpdatePlan(int64_t tenant_id, int64_t id, const PaidPlanInput& in,
                                             const auth::Actor& actor) {
    PaidPlan p;
    SIYU_RETURN_IF_ERROR(loyalty_->exec().Write(tenant_id, [&](Tx& tx) -> Status {
        SIYU_ASSIGN_OR_RETURN(p, LoadPlan(tx.c(), tenant_id, id));
        ApplyPlan(in, &p);
        SIYU_RETURN_IF_ERROR(ValidatePlan(p));
        p.updated_at = tx.now();
        SIYU_ASSIGN_OR_RETURN(auto stmt, tx.c().Prepare("UPDATE paid_plans SET name = ?, price = ?, duration_days = "
                                                        "?, benefits = ?, active = ?, updated_at = ? WHERE id = ? AND "
                                                        "tenant_id = ?"));
        SIYU_RETURN_IF_ERROR(stmt.Bind(1, p.name)
                                 .Bind(2, p.price)
                                 .Bind(3, p.duration_days)
                                 .Bind(4, Json(p.benefits).dump())
                                 .Bind(5, static_cast<int64_t>(p.active))
                                 .Bind(6, p.updated_at)
                                 .Bind(7, id)
                                 .Bind(8, tenant_id)
                                 .Run());
        return tx.Audit(actor, "loyalty.paid_plan.update", "paid_plan", std::to_string(id), PlanJson(p));
    }));
    return p;
}

Status PaidMemberships::DeletePlan(int64_t tenant_id, int64_t id, const auth::Actor& actor) {
    return loyalty_->exec().Write(tenant_id, [&](Tx& tx) -> Status {
        SIYU_RETURN_IF_ERROR(LoadPlan(tx.c(), tenant_id, id).status());
        SIYU_ASSIGN_OR_RETURN(auto stmt, tx.c().Prepare("UPDATE paid_plans SET deleted_at = ?, active = 0, "
                                                        "updated_at = ? WHERE id = ? AND tenant_id = ?"));
        SIYU_RETURN_IF_ERROR(stmt.Bind(1, tx.now()).Bind(2, tx.now()).Bind(3, id).Bind(4, tenant_id).Run());
        return tx.Audit(actor, "loyalty.paid_plan.delete", "paid_plan", std::to_string(id), Json::object());
    });
}

// --- Membership ----------------------------------------------------------------------------

Result<Outcome> PaidMemberships::Purchase(const Request& r, const PurchaseInput& in) {
    if (in.plan_id <= 0) return Status::InvalidArgument("plan_id", "must be a positive id");
    if (in.order_id.size() > 128) return Status::InvalidArgument("order_id", "at most 128 bytes");
    return loyalty_->exec().Run(r, "paid_membership.purchase", [&](Tx& tx) -> Result<Json> {
        SIYU_ASSIGN_OR_RETURN(Member m, tx.LoadMember(in.customer_id));
        auto plan = LoadPlan(tx.c(), tx.tenant(), in.plan_id);
        if (!plan.ok()) return Status(StatusCode::kNotFound, plan.status().message(), "plan_id");
        if (!plan->active) {
            return Status(StatusCode::kFailedPrecondition, "paid plan " + std::to_string(plan->id) + " is not on sale",
                          "plan_id");
        }
        SIYU_ASSIGN_OR_RETURN(std::string tz, tx.TimeZone());
        SIYU_ASSIGN_OR_RETURN(auto periods, LoadPeriods(tx.c(), tx.tenant(), m.customer_id));
        std::optional<TimeMs> until = Until(periods);
        bool renewal = until && *until > tx.now();
        TimeMs starts = renewal ? *until : tx.now();
        // A purchase counts its first day as day 1; a renewal starts at a midnight already.
        SIYU_ASSIGN_OR_RETURN(TimeMs ends, LocalMidnightAfter(starts, plan->duration_days, tz));
        SIYU_ASSIGN_OR_RETURN(auto stmt, tx.c().Prepare("INSERT INTO paid_memberships(tenant_id, customer_id, "
                                                        "plan_id, kind, price, order_id, starts_at, ends_at, "
                                                        "idempotency_key, created_at) VALUES (?,?,?,?,?,?,?,?,?,?)"));
        SIYU_RETURN_IF_ERROR(stmt.Bind(1, tx.tenant())
                                 .Bind(2, m.customer_id)
                                 .Bind(3, plan->id)
                                 .Bind(4, renewal ? "renewal" : "purchase")
                                 .Bind(5, plan->price)
                                 .Bind(6, in.order_id)
                                 .Bind(7, starts)
                                 .Bind(8, ends)
                                 .Bind(9, r.idempotency_key)
                                 .Bind(10, tx.now())
                                 .Run());
        int64_t period_id = tx.c().LastInsertId();
        SIYU_RETURN_IF_ERROR(MirrorTrait(tx, m.customer_id, ends));
        Json props{{"period_id", period_id},
                   {"plan_id", plan->id},
                   {"plan_name", plan->name},
                   {"price", plan->price},
                   {"currency", "CNY"},
                   {"duration_days", plan->duration_days},
                   {"starts_at", FormatRfc3339(starts)},
                   {"ends_at", FormatRfc3339(ends)}};
        if (!in.order_id.empty()) props["order_id"] = in.order_id;
        SIYU_RETURN_IF_ERROR(
            tx.Emit(m.customer_id, renewal ? "Paid Membership Renewed" : "Paid Membership Purchased", props));
        SIYU_ASSIGN_OR_RETURN(Json out, StatusJson(tx.c(), tx.tenant(), m.customer_id, tx.now()));
        out["renewal"] = renewal;
        return out;
    }, 201);
}

Result<Outcome> PaidMemberships::Cancel(const Request& r, int64_t customer_id, const std::string& reason) {
    if (reason.size() > 500) return Status::InvalidArgument("reason", "at most 500 bytes");
    return loyalty_->exec().Run(r, "paid_membership.cancel", [&](Tx& tx) -> Result<Json> {
        SIYU_ASSIGN_OR_RETURN(Member m, tx.LoadMember(customer_id));
        SIYU_ASSIGN_OR_RETURN(auto periods, LoadPeriods(tx.c(), tx.tenant(), m.customer_id));
        std::optional<TimeMs> until = Until(periods);
        if (!until || *until <= tx.now()) {
            return Status::FailedPrecondition("customer " + std::to_string(customer_id) +
                                              " has no active paid membership");
        }
        const Period* current = nullptr;
        for (const auto& p : periods) {
            if (!p.cancelled_at && p.starts_at <= tx.now() && tx.now() < p.ends_at) current = &p;
        }
        SIYU_ASSIGN_OR_RETURN(auto stmt, tx.c().Prepare("UPDATE paid_memberships SET cancelled_at = ?, cancel_reason "
                                                        "= ? WHERE tenant_id = ? AND customer_id = ? AND cancelled_at "
                                                        "IS NULL AND ends_at > ?"));
        std::string why(Trim(reason));
        SIYU_RETURN_IF_ERROR(
            stmt.Bind(1, tx.now()).Bind(2, why).Bind(3, tx.tenant()).Bind(4, m.customer_id).Bind(5, tx.now()).Run());
        SIYU_RETURN_IF_ERROR(MirrorTrait(tx, m.customer_id, tx.now()));
        Json props{{"ends_at", FormatRfc3339(tx.now())}, {"was_until", FormatRfc3339(*until)}};
        if (current != nullptr) {
            props["plan_id"] = current->plan_id;
            props["plan_name"] = current->plan_name;
        }
        if (!why.empty()) props["reason"] = why;
        SIYU_RETURN_IF_ERROR(tx.Emit(m.customer_id, "Paid Membership Cancelled", props));
        SIYU_RETURN_IF_ERROR(tx.Audit(r.actor, "loyalty.paid_membership.cancel", "customer",
                                      std::to_string(m.customer_id), props));
        return StatusJson(tx.c(), tx.tenant(), m.customer_id, tx.now());
    });
}

Result<Json> PaidMemberships::Current(int64_t tenant_id, int64_t customer_id) {
    Json out;
    SIYU_RETURN_IF_ERROR(loyalty_->exec().db()->Read([&](Connection& c) -> Status {
        Tx tx(c, tenant_id, loyalty_->exec().Now());
        SIYU_ASSIGN_OR_RETURN(Member m, tx.LoadMember(customer_id));
        SIYU_ASSIGN_OR_RETURN(out, StatusJson(c, tenant_id, m.customer_id, tx.now()));
        return Status::Ok();
    }));
    return out;
}

namespace {

// The latest period of each member that is not cancelled and has no later one: the period a
// member's paid membership ends with.
constexpr const char* kLastPeriod =
    "pm.tenant_id = ?1 AND pm.cancelled_at IS NULL AND NOT EXISTS (SELECT 1 FROM paid_memberships n WHERE "
    "n.tenant_id = pm.tenant_id AND n.customer_id = pm.customer_id AND n.cancelled_at IS NULL AND n.ends_at > "
    "pm.ends_at)";

}  // namespace

Result<Json> PaidMemberships::Expiring(int64_t tenant_id, int days, const cdp::Visibility& vis, int limit,
                                       const std::optional<std::string>& cursor) {
    TimeMs now = loyalty_->exec().Now();
    int64_t after_ends = std::numeric_limits<int64_t>::min(), after_id = 0;
    if (cursor) {
        auto dot = cursor->find('.');
        if (dot == std::string::npos || !ParseInt64(cursor->substr(0, dot), &after_ends) ||
            !ParseInt64(cursor->substr(dot + 1), &after_id)) {
            return Status::InvalidArgument("cursor", "is not a cursor of this list");
        }
    }
    std::optional<std::string> stores;
    if (vis.store_ids) stores = Json(*vis.store_ids).dump();
    Json data = Json::array();
    std::optional<std::string> next;
    SIYU_RETURN_IF_ERROR(loyalty_->exec().db()->Read([&](Connection& c) -> Status {
        SIYU_ASSIGN_OR_RETURN(
            auto stmt,
            c.Prepare(std::string("SELECT pm.customer_id, pm.ends_at, pm.plan_id, COALESCE(pp.name, ''), m.member_no, "
                                  "COALESCE(cu.name, ''), cu.store_id FROM paid_memberships pm JOIN members m ON "
                                  "m.customer_id = pm.customer_id AND m.tenant_id = pm.tenant_id JOIN customers cu ON "
                                  "cu.id = pm.customer_id AND cu.deleted_at IS NULL AND cu.merged_into IS NULL LEFT "
                                  "JOIN paid_plans pp ON pp.id = pm.plan_id WHERE ") +
                      kLastPeriod +
                      " AND pm.ends_at > ?2 AND pm.ends_at <= ?3 AND (?4 IS NULL OR cu.store_id IN (SELECT value "
                      "FROM json_each(?4))) AND (pm.ends_at > ?5 OR (pm.ends_at = ?5 AND pm.customer_id > ?6)) "
                      "ORDER BY pm.ends_at, pm.customer_id LIMIT ?7"));
        stmt.Bind(1, tenant_id)
            .Bind(2, now)
            .Bind(3, now + days * kDayMs)
            .Bind(4, stores)
            .Bind(5, after_ends)
            .Bind(6, after_id)
            .Bind(7, static_cast<int64_t>(limit));
        TimeMs last_ends = 0;
        int64_t last_id = 0;
        SIYU_RETURN_IF_ERROR(stmt.ForEachRow([&] {
            last_id = stmt.Int(0);
            last_ends = stmt.Int(1);
            data.push_back({{"customer_id", last_id},
                            {"name", stmt.Text(5)},
                            {"member_no", stmt.Text(4)},
                            {"store_id", stmt.OptInt(6) ? Json(*stmt.OptInt(6)) : Json(nullptr)},
                            {"plan_id", stmt.Int(2)},
                            {"plan_name", stmt.Text(3)},
                            {"ends_at", FormatRfc3339(last_ends)},
                            {"days_left", (last_ends - now + kDayMs - 1) / kDayMs}});
        }));
        if (data.size() == static_cast<size_t>(limit)) next = std::to_string(last_ends) + "." + std::to_string(last_id);
        return Status::Ok();
    }));
    return Json{{"days", days}, {"data", data}, {"next_cursor", next ? Json(*next) : Json(nullptr)}};
}

Status PaidMemberships::Sweep(int64_t tenant_id) {
    return loyalty_->exec().Write(tenant_id, [&](Tx& tx) -> Status {
        SIYU_ASSIGN_OR_RETURN(const LoyaltySettings* settings, tx.Settings());
        struct Due {
            int64_t id, customer_id, plan_id;
            std::string plan_name;
            TimeMs ends_at;
        };
        auto collect = [&](const std::string& where, TimeMs a, TimeMs b) -> Result<std::vector<Due>> {
            SIYU_ASSIGN_OR_RETURN(auto stmt,
                                  tx.c().Prepare(std::string("SELECT pm.id, pm.customer_id, pm.plan_id, "
                                                             "COALESCE(pp.name, ''), pm.ends_at FROM paid_memberships "
                                                             "pm LEFT JOIN paid_plans pp ON pp.id = pm.plan_id WHERE ") +
                                                 kLastPeriod + " AND " + where + " ORDER BY pm.ends_at, pm.id"));
            stmt.Bind(1, tx.tenant()).Bind(2, a).Bind(3, b);
            std::vector<Due> due;
            SIYU_RETURN_IF_ERROR(stmt.ForEachRow([&] {
                due.push_back({stmt.Int(0), stmt.Int(1), stmt.Int(2), stmt.Text(3), stmt.Int(4)});
            }));
            return due;
        };
        auto mark = [&](const char* column, int64_t id) -> Status {
            SIYU_ASSIGN_OR_RETURN(auto stmt, tx.c().Prepare(std::string("UPDATE paid_memberships SET ") + column +
                                                            " = ? WHERE id = ?"));
            return stmt.Bind(1, tx.now()).Bind(2, id).Run();
        };
        if (settings->paid_expiring_notice_days > 0) {
            SIYU_ASSIGN_OR_RETURN(auto soon, collect("pm.expiring_notified_at IS NULL AND pm.ends_at > ?2 AND "
                                                     "pm.ends_at <= ?3",
                                                     tx.now(), tx.now() + settings->paid_expiring_notice_days * kDayMs));
            for (const Due& d : soon) {
                SIYU_RETURN_IF_ERROR(tx.Emit(d.customer_id, "Paid Membership Expiring",
                                             {{"plan_id", d.plan_id},
                                              {"plan_name", d.plan_name},
                                              {"ends_at", FormatRfc3339(d.ends_at)},
                                              {"days_left", (d.ends_at - tx.now() + kDayMs - 1) / kDayMs}}));
                SIYU_RETURN_IF_ERROR(mark("expiring_notified_at", d.id));
            }
        }
        SIYU_ASSIGN_OR_RETURN(auto ended, collect("pm.expired_notified_at IS NULL AND pm.ends_at <= ?2 AND ?3 = ?3",
                                                  tx.now(), 0));
        for (const Due& d : ended) {
            SIYU_RETURN_IF_ERROR(tx.Emit(d.customer_id, "Paid Membership Expired",
                                         {{"plan_id", d.plan_id},
                                          {"plan_name", d.plan_name},
                                          {"ended_at", FormatRfc3339(d.ends_at)}}));
            SIYU_RETURN_IF_ERROR(mark("expired_notified_at", d.id));
        }
        return Status::Ok();
    });
}

}  // namespace siyu::loyalty
