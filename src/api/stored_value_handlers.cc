#include "api/routes.h"
#include "base/strings.h"
#include "loyalty/paid_membership.h"
#include "loyalty/stored_value.h"

namespace siyu::api {

namespace {

// --- Reading requests --------------------------------------------------------------------

// An optional RFC 3339 time or null: outer nullopt = absent, inner nullopt = null.
Result<std::optional<std::optional<TimeMs>>> NullableTime(const Json& o, const char* field) {
    using R = std::optional<std::optional<TimeMs>>;
    auto it = o.find(field);
    if (it == o.end()) return R();
    if (it->is_null()) return R(std::optional<TimeMs>());
    if (!it->is_string()) return Status::InvalidArgument(field, "must be an RFC 3339 time or null");
    auto t = ParseRfc3339(it->get<std::string>());
    if (!t) return Status::InvalidArgument(field, "must be an RFC 3339 time such as 2026-11-22T00:00:00Z");
    return R(std::optional<TimeMs>(*t));
}

Result<std::string> OptText(const Json& o, const char* field) {
    SIYU_ASSIGN_OR_RETURN(auto v, OptString(o, field));
    return v.value_or("");
}

Result<loyalty::TopupOfferInput> ParseOffer(const std::string& text) {
    SIYU_ASSIGN_OR_RETURN(Json body, ParseObject(text));
    SIYU_RETURN_IF_ERROR(
        RejectUnknown(body, {"name", "pay_amount", "bonus_amount", "active", "valid_from", "valid_to"}));
    loyalty::TopupOfferInput in;
    SIYU_ASSIGN_OR_RETURN(in.name, OptString(body, "name"));
    SIYU_ASSIGN_OR_RETURN(in.pay_amount, OptInt(body, "pay_amount"));
    SIYU_ASSIGN_OR_RETURN(in.bonus_amount, OptInt(body, "bonus_amount"));
    SIYU_ASSIGN_OR_RETURN(in.active, OptBool(body, "active"));
    SIYU_ASSIGN_OR_RETURN(in.valid_from, NullableTime(body, "valid_from"));
    SIYU_ASSIGN_OR_RETURN(in.valid_to, NullableTime(body, "valid_to"));
    return in;
}

Result<loyalty::PaidPlanInput> ParsePlan(const std::string& text) {
    SIYU_ASSIGN_OR_RETURN(Json body, ParseObject(text));
    SIYU_RETURN_IF_ERROR(RejectUnknown(body, {"name", "price", "duration_days", "benefits", "active"}));
    loyalty::PaidPlanInput in;
    SIYU_ASSIGN_OR_RETURN(in.name, OptString(body, "name"));
    SIYU_ASSIGN_OR_RETURN(in.price, OptInt(body, "price"));
    SIYU_ASSIGN_OR_RETURN(in.duration_days, OptInt(body, "duration_days"));
    SIYU_ASSIGN_OR_RETURN(in.active, OptBool(body, "active"));
    if (auto it = body.find("benefits"); it != body.end()) {
        if (!it->is_array()) return Status::InvalidArgument("benefits", "must be an array of strings");
        std::vector<std::string> list;
        for (size_t i = 0; i < it->size(); ++i) {
            if (!(*it)[i].is_string()) {
                return Status::InvalidArgument("benefits[" + std::to_string(i) + "]", "must be a string");
            }
            list.push_back((*it)[i].get<std::string>());
        }
        in.benefits = std::move(list);
    }
    return in;
}

// --- Writing answers ---------------------------------------------------------------------

Json OptTime(const std::optional<TimeMs>& t) { return t ? Json(FormatRfc3339(*t)) : Json(nullptr); }

Json OfferJson(const loyalty::TopupOffer& o) {
    return {{"id", o.id},
            {"name", o.name},
            {"pay_amount", o.pay_amount},
            {"bonus_amount", o.bonus_amount},
            {"total_amount", o.pay_amount + o.bonus_amount},
            {"active", o.active},
            {"valid_from", OptTime(o.valid_from)},
            {"valid_to", OptTime(o.valid_to)},
            {"created_at", FormatRfc3339(o.created_at)},
            {"updated_at", FormatRfc3339(o.updated_at)}};
}

Json PlanJson(const loyalty::PaidPlan& p) {
    return {{"id", p.id},
            {"name", p.name},
            {"price", p.price},
            {"duration_days", p.duration_days},
            {"benefits", p.benefits},
            {"active", p.active},
            {"created_at", FormatRfc3339(p.created_at)},
            {"updated_at", FormatRfc3339(p.updated_at)}};
}

// --- Top-up offers -----------------------------------------------------------------------

Result<http::Response> ListOffers(Ctx& c) {
    SIYU_ASSIGN_OR_RETURN(auto offers, c.svc.loyalty->stored_value().ListOffers(c.tenant()));
    Json data = Json::array();
    for (const auto& o : offers) data.push_back(OfferJson(o));
    return JsonResponse(200, {{"data", data}});
}

Result<http::Response> CreateOffer(Ctx& c) {
    SIYU_ASSIGN_OR_RETURN(auto in, ParseOffer(c.req.body));
    SIYU_ASSIGN_OR_RETURN(auto o, c.svc.loyalty->stored_value().CreateOffer(c.tenant(), in, c.actor));
    return JsonResponse(201, OfferJson(o));
}

Result<http::Response> GetOffer(Ctx& c) {
    SIYU_ASSIGN_OR_RETURN(int64_t id, PathId(c.req));
    SIYU_ASSIGN_OR_RETURN(auto o, c.svc.loyalty->stored_value().GetOffer(c.tenant(), id));
    return JsonResponse(200, OfferJson(o));
}

Result<http::Response> UpdateOffer(Ctx& c) {
    SIYU_ASSIGN_OR_RETURN(int64_t id, PathId(c.req));
    SIYU_ASSIGN_OR_RETURN(auto in, ParseOffer(c.req.body));
    SIYU_ASSIGN_OR_RETURN(auto o, c.svc.loyalty->stored_value().UpdateOffer(c.tenant(), id, in, c.actor));
    return JsonResponse(200, OfferJson(o));
}

Result<http::Response> DeleteOffer(Ctx& c) {
    SIYU_ASSIGN_OR_RETURN(int64_t id, PathId(c.req));
    SIYU_RETURN_IF_ERROR(c.svc.loyalty->stored_value().DeleteOffer(c.tenant(), id, c.actor));
    return http::Response::NoContent();
}

// --- Stored value operations -------------------------------------------------------------

Result<http::Response> Topup(Ctx& c) {
    SIYU_ASSIGN_OR_RETURN(int64_t id, VisibleCustomer(c));
    SIYU_ASSIGN_OR_RETURN(Json body, ParseObject(c.req.body));
    SIYU_RETURN_IF_ERROR(RejectUnknown(body, {"amount", "offer_id", "bonus", "payment_ref"}));
    loyalty::TopupInput in;
    in.customer_id = id;
    SIYU_ASSIGN_OR_RETURN(in.amount, OptInt(body, "amount"));
    SIYU_ASSIGN_OR_RETURN(in.offer_id, OptInt(body, "offer_id"));
    SIYU_ASSIGN_OR_RETURN(in.bonus, OptInt(body, "bonus"));
    SIYU_ASSIGN_OR_RETURN(in.payment_ref, OptText(body, "payment_ref"));
    if (in.bonus && *in.bonus > 0 && !c.Can("loyalty.manage")) {
        return Status::PermissionDenied("an explicit bonus needs loyalty.manage; use a top-up offer");
    }
    SIYU_ASSIGN_OR_RETURN(auto out, c.svc.loyalty->stored_value().Topup(LoyaltyRequest(c), in));
    return OutcomeResponse(out);
}

Result<http::Response> Spend(Ctx& c) {
    SIYU_ASSIGN_OR_RETURN(int64_t id, VisibleCustomer(c));
    SIYU_ASSIGN_OR_RETURN(Json body, ParseObject(c.req.body));
    SIYU_RETURN_IF_ERROR(RejectUnknown(body, {"amount", "order_id"}));
    loyalty::SpendInput in;
    in.customer_id = id;
    SIYU_ASSIGN_OR_RETURN(auto amount, OptInt(body, "amount"));
    if (!amount) return Status::InvalidArgument("amount", "is required");
    in.amount = *amount;
    SIYU_ASSIGN_OR_RETURN(in.order_id, ReqString(body, "order_id"));
    SIYU_ASSIGN_OR_RETURN(auto out, c.svc.loyalty->stored_value().Spend(LoyaltyRequest(c), in));
    return OutcomeResponse(out);
}

Result<http::Response> Refund(Ctx& c) {
    SIYU_ASSIGN_OR_RETURN(int64_t id, VisibleCustomer(c));
    SIYU_ASSIGN_OR_RETURN(Json body, ParseObject(c.req.body));
    SIYU_RETURN_IF_ERROR(RejectUnknown(body, {"order_id", "amount", "reason"}));
    loyalty::RefundInput in;
    in.customer_id = id;
    SIYU_ASSIGN_OR_RETURN(in.order_id, ReqString(body, "order_id"));
    SIYU_ASSIGN_OR_RETURN(in.amount, OptInt(body, "amount"));
    SIYU_ASSIGN_OR_RETURN(in.reason, OptText(body, "reason"));
    SIYU_ASSIGN_OR_RETURN(auto out, c.svc.loyalty->stored_value().Refund(LoyaltyRequest(c), in));
    return OutcomeResponse(out);
}

Result<http::Response> Withdraw(Ctx& c) {
    SIYU_ASSIGN_OR_RETURN(int64_t id, VisibleCustomer(c));
    SIYU_ASSIGN_OR_RETURN(Json body, ParseObject(c.req.body));
    SIYU_RETURN_IF_ERROR(RejectUnknown(body, {"amount", "reason", "payment_ref"}));
    loyalty::WithdrawInput in;
    in.customer_id = id;
    SIYU_ASSIGN_OR_RETURN(in.amount, OptInt(body, "amount"));
    SIYU_ASSIGN_OR_RETURN(in.reason, OptText(body, "reason"));
    SIYU_ASSIGN_OR_RETURN(in.payment_ref, OptText(body, "payment_ref"));
    SIYU_ASSIGN_OR_RETURN(auto out, c.svc.loyalty->stored_value().Withdraw(LoyaltyRequest(c), in));
    return OutcomeResponse(out);
}

Result<http::Response> Adjust(Ctx& c) {
    SIYU_ASSIGN_OR_RETURN(int64_t id, VisibleCustomer(c));
    SIYU_ASSIGN_OR_RETURN(Json body, ParseObject(c.req.body));
    SIYU_RETURN_IF_ERROR(RejectUnknown(body, {"principal", "bonus", "reason"}));
    loyalty::AdjustInput in;
    in.customer_id = id;
    SIYU_ASSIGN_OR_RETURN(auto principal, OptInt(body, "principal"));
    SIYU_ASSIGN_OR_RETURN(auto bonus, OptInt(body, "bonus"));
    in.principal = principal.value_or(0);
    in.bonus = bonus.value_or(0);
    SIYU_ASSIGN_OR_RETURN(in.reason, OptText(body, "reason"));
    SIYU_ASSIGN_OR_RETURN(auto out, c.svc.loyalty->stored_value().Adjust(LoyaltyRequest(c), in));
    return OutcomeResponse(out);
}

Result<http::Response> Entries(Ctx& c) {
    SIYU_ASSIGN_OR_RETURN(int64_t id, VisibleCustomer(c));
    SIYU_ASSIGN_OR_RETURN(auto page, ParsePage(c.req));
    SIYU_ASSIGN_OR_RETURN(Json out, c.svc.loyalty->stored_value().Entries(c.tenant(), id, page.limit, page.cursor));
    out["next_cursor"] = nullptr;
    if (out["data"].size() == static_cast<size_t>(page.limit) && !out["data"].empty()) {
        out["next_cursor"] = EncodeCursor(out["data"].back()["id"].get<int64_t>());
    }
    return JsonResponse(200, out);
}

Result<http::Response> Statement(Ctx& c) {
    SIYU_ASSIGN_OR_RETURN(int64_t id, VisibleCustomer(c));
    SIYU_ASSIGN_OR_RETURN(DayRange range, ParseDayRange(c));
    SIYU_ASSIGN_OR_RETURN(Json out, c.svc.loyalty->stored_value().Statement(c.tenant(), id, range.from, range.to));
    out["from_day"] = range.from_day;
    out["to_day"] = range.to_day;
    out["time_zone"] = range.time_zone;
    return JsonResponse(200, out);
}

// --- Paid membership ---------------------------------------------------------------------

Result<http::Response> ListPlans(Ctx& c) {
    SIYU_ASSIGN_OR_RETURN(auto plans, c.svc.loyalty->paid().ListPlans(c.tenant()));
    Json data = Json::array();
    for (const auto& p : plans) data.push_back(PlanJson(p));
    return JsonResponse(200, {{"data", data}});
}

Result<http::Response> CreatePlan(Ctx& c) {
    SIYU_ASSIGN_OR_RETURN(auto in, ParsePlan(c.req.body));
    SIYU_ASSIGN_OR_RETURN(auto p, c.svc.loyalty->paid().CreatePlan(c.tenant(), in, c.actor));
    return JsonResponse(201, PlanJson(p));
}

Result<http::Response> GetPlan(Ctx& c) {
    SIYU_ASSIGN_OR_RETURN(int64_t id, PathId(c.req));
    SIYU_ASSIGN_OR_RETURN(auto p, c.svc.loyalty->paid().GetPlan(c.tenant(), id));
    return JsonResponse(200, PlanJson(p));
}

Result<http::Response> UpdatePlan(Ctx& c) {
    SIYU_ASSIGN_OR_RETURN(int64_t id, PathId(c.req));
    SIYU_ASSIGN_OR_RETURN(auto in, ParsePlan(c.req.body));
    SIYU_ASSIGN_OR_RETURN(auto p, c.svc.loyalty->paid().UpdatePlan(c.tenant(), id, in, c.actor));
    return JsonResponse(200, PlanJson(p));
}

Result<http::Response> DeletePlan(Ctx& c) {
    SIYU_ASSIGN_OR_RETURN(int64_t id, PathId(c.req));
    SIYU_RETURN_IF_ERROR(c.svc.loyalty->paid().DeletePlan(c.tenant(), id, c.actor));
    return http::Response::NoContent();
}

Result<http::Response> Purchase(Ctx& c) {
    SIYU_ASSIGN_OR_RETURN(int64_t id, VisibleCustomer(c));
    SIYU_ASSIGN_OR_RETURN(Json body, ParseObject(c.req.body));
    SIYU_RETURN_IF_ERROR(RejectUnknown(body, {"plan_id", "order_id"}));
    loyalty::PurchaseInput in;
    in.customer_id = id;
    SIYU_ASSIGN_OR_RETURN(auto plan, OptInt(body, "plan_id"));
    if (!plan) return Status::InvalidArgument("plan_id", "is required");
    in.plan_id = *plan;
    SIYU_ASSIGN_OR_RETURN(in.order_id, OptText(body, "order_id"));
    SIYU_ASSIGN_OR_RETURN(auto out, c.svc.loyalty->paid().Purchase(LoyaltyRequest(c), in));
    return OutcomeResponse(out);
}

Result<http::Response> Cancel(Ctx& c) {
    SIYU_ASSIGN_OR_RETURN(int64_t id, VisibleCustomer(c));
    Json body = Json::object();
    if (!Trim(c.req.body).empty()) {
        SIYU_ASSIGN_OR_RETURN(body, ParseObject(c.req.body));
    }
    SIYU_RETURN_IF_ERROR(RejectUnknown(body, {"reason"}));
    SIYU_ASSIGN_OR_RETURN(std::string reason, OptText(body, "reason"));
    SIYU_ASSIGN_OR_RETURN(auto out, c.svc.loyalty->paid().Cancel(LoyaltyRequest(c), id, reason));
    return OutcomeResponse(out);
}

Result<http::Response> Current(Ctx& c) {
    SIYU_ASSIGN_OR_RETURN(int64_t id, VisibleCustomer(c));
    SIYU_ASSIGN_OR_RETURN(Json out, c.svc.loyalty->paid().Current(c.tenant(), id));
    return JsonResponse(200, out);
}

Result<http::Response> Expiring(Ctx& c) {
    int64_t days = 7;
    if (auto d = c.req.Query("days"); d && !d->empty()) {
        if (!ParseInt64(*d, &days) || days < 1 || days > 366) {
            return Status::InvalidArgument("days", "must be an integer from 1 to 366");
        }
    }
    SIYU_ASSIGN_OR_RETURN(int limit, ParseLimit(c.req));
    std::optional<std::string> cursor;
    if (auto q = c.req.Query("cursor"); q && !q->empty()) cursor = std::string(*q);
    SIYU_ASSIGN_OR_RETURN(auto vis, c.Visibility());
    SIYU_ASSIGN_OR_RETURN(Json out,
                          c.svc.loyalty->paid().Expiring(c.tenant(), static_cast<int>(days), vis, limit, cursor));
    return JsonResponse(200, out);
}

}  // namespace

void AddStoredValueRoutes(RouteTable& t) {
    const std::string sv = "/api/v1/loyalty/members/{customer_id}/stored-value";
    t.Api({"GET", "/api/v1/loyalty/topup-offers", "Top-up offers (pay X, get Y bonus)", "Loyalty", "loyalty.read"},
          ListOffers);
    t.Api({"POST", "/api/v1/loyalty/topup-offers", "Create a top-up offer", "Loyalty", "loyalty.manage"}, CreateOffer);
    t.Api({"GET", "/api/v1/loyalty/topup-offers/{id}", "A top-up offer", "Loyalty", "loyalty.read"}, GetOffer);
    t.Api({"PATCH", "/api/v1/loyalty/topup-offers/{id}", "Change a top-up offer", "Loyalty", "loyalty.manage"},
          UpdateOffer);
    t.Api({"DELETE", "/api/v1/loyalty/topup-offers/{id}", "Delete a top-up offer", "Loyalty", "loyalty.manage"},
          DeleteOffer);
    t.Api({"POST", sv + "/topup",
           "Top up stored value (principal, plus the bonus of an offer or an explicit bonus); Idempotency-Key",
           "Loyalty", "loyalty.operate"},
          Topup);
    t.Api({"POST", sv + "/spend",
           "Pay (part of) an order with stored value, principal and bonus in proportion; Idempotency-Key", "Loyalty",
           "loyalty.operate"},
          Spend);
    t.Api({"POST", sv + "/refund", "Give back stored value an order spent, in the split it was spent; Idempotency-Key",
           "Loyalty", "loyalty.operate"},
          Refund);
    t.Api({"POST", sv + "/withdraw", "Pay out unspent principal; the bonus goes in proportion; Idempotency-Key",
           "Loyalty", "loyalty.adjust"},
          Withdraw);
    t.Api({"POST", sv + "/adjust", "Correct stored value by hand (reason required, audited); Idempotency-Key",
           "Loyalty", "loyalty.adjust"},
          Adjust);
    t.Api({"GET",
           sv + "/entries",
           "Stored value balance and entries, newest first",
           "Loyalty",
           "loyalty.read",
           false,
           "",
           "",
           {"limit", "cursor"}},
          Entries);
    t.Api({"GET",
           sv + "/statement",
           "Stored value statement: opening balance, movements, closing balance",
           "Loyalty",
           "loyalty.read",
           false,
           "",
           "",
           {"from", "to"}},
          Statement);

    t.Api({"GET", "/api/v1/loyalty/paid-plans", "Paid membership plans", "Loyalty", "loyalty.read"}, ListPlans);
    t.Api({"POST", "/api/v1/loyalty/paid-plans", "Create a paid membership plan", "Loyalty", "loyalty.manage"},
          CreatePlan);
    t.Api({"GET", "/api/v1/loyalty/paid-plans/{id}", "A paid membership plan", "Loyalty", "loyalty.read"}, GetPlan);
    t.Api({"PATCH", "/api/v1/loyalty/paid-plans/{id}", "Change a paid membership plan", "Loyalty", "loyalty.manage"},
          UpdatePlan);
    t.Api({"DELETE", "/api/v1/loyalty/paid-plans/{id}", "Withdraw a paid membership plan from sale (holders keep it)",
           "Loyalty", "loyalty.manage"},
          DeletePlan);
    t.Api({"GET", "/api/v1/loyalty/members/{customer_id}/paid-membership",
           "A member's paid membership: status, plan, benefits, periods", "Loyalty", "loyalty.read"},
          Current);
    t.Api({"POST", "/api/v1/loyalty/members/{customer_id}/paid-membership",
           "Buy a paid membership plan: a renewal from the current end while active; Idempotency-Key", "Loyalty",
           "loyalty.operate"},
          Purchase);
    t.Api({"POST", "/api/v1/loyalty/members/{customer_id}/paid-membership/cancel",
           "Cancel a paid membership now; Idempotency-Key", "Loyalty", "loyalty.manage"},
          Cancel);
    t.Api({"GET",
           "/api/v1/loyalty/paid-memberships/expiring",
           "Members whose paid membership ends within N days (store roles: their stores)",
           "Loyalty",
           "loyalty.read",
           false,
           "",
           "",
           {"days", "limit", "cursor"}},
          Expiring);
}

}  // namespace siyu::api
