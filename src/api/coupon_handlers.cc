#include <algorithm>
#include <set>

#include "api/routes.h"
#include "base/phone.h"
#include "base/strings.h"
#include "loyalty/coupons.h"
#include "loyalty/mall.h"

namespace siyu::api {

namespace {

// Customer lists up to this size are issued to at once; segments go through a job.
constexpr size_t kMaxIssueCustomers = 1000;
constexpr size_t kMaxLines = 500;
constexpr size_t kMaxOtherCoupons = 20;
constexpr int64_t kMaxMoney = 100'000'000'000;

// The first character, then one '*' per further character: "张三丰" → "张**".
std::string MaskName(const std::string& name) {
    if (name.empty()) return name;
    size_t first = 1;
    unsigned char lead = static_cast<unsigned char>(name[0]);
    if (lead >= 0xF0) {
        first = 4;
    } else if (lead >= 0xE0) {
        first = 3;
    } else if (lead >= 0xC0) {
        first = 2;
    }
    first = std::min(first, name.size());
    int64_t rest = std::max<int64_t>(1, Utf8Length(name) - 1);
    return name.substr(0, first) + std::string(static_cast<size_t>(rest), '*');
}

// The Json page of a domain list: the cursor encodes the id of the last row.
Json Paged(Json out, int limit) {
    std::optional<int64_t> last;
    if (!out["data"].empty()) last = out["data"].back()["id"].get<int64_t>();
    Json page = PageJson(out["data"], static_cast<size_t>(limit), last);
    for (auto& [key, value] : out.items()) {
        if (key != "data" && key != "next_cursor") page[key] = value;
    }
    return page;
}

Result<std::optional<std::string>> StatusFilter(Ctx& c, std::initializer_list<const char*> allowed) {
    auto status = c.req.Query("status");
    if (!status || status->empty()) return std::optional<std::string>();
    std::string names;
    for (const char* a : allowed) {
        if (*status == a) return std::optional<std::string>(*status);
        names += names.empty() ? a : std::string(", ") + a;
    }
    return Status::InvalidArgument("status", "must be one of " + names);
}

// A positive id from the body (required).
Result<int64_t> ReqId(const Json& body, const char* field) {
    SIYU_ASSIGN_OR_RETURN(auto v, OptInt(body, field));
    if (!v) return Status::InvalidArgument(field, "is required");
    if (*v <= 0) return Status::InvalidArgument(field, "must be a positive id");
    return *v;
}

// --- Templates -------------------------------------------------------------------------------

Result<http::Response> ListTemplates(Ctx& c) {
    SIYU_ASSIGN_OR_RETURN(auto page, ParsePage(c.req));
    SIYU_ASSIGN_OR_RETURN(auto status, StatusFilter(c, {"active", "paused", "archived"}));
    SIYU_ASSIGN_OR_RETURN(Json out,
                          c.svc.loyalty->coupons().ListTemplates(c.tenant(), status, page.limit, page.cursor));
    return JsonResponse(200, Paged(std::move(out), page.limit));
}

Result<http::Response> Issue(Ctx& c) {
    SIYU_ASSIGN_OR_RETURN(int64_t id, PathId(c.req));
    SIYU_ASSIGN_OR_RETURN(Json body, ParseObject(c.req.body));
    SIYU_RETURN_IF_ERROR(RejectUnknown(body, {"customer_id", "customer_ids", "segment_id", "source", "source_id"}));
    SIYU_ASSIGN_OR_RETURN(auto customer_id, OptInt(body, "customer_id"));
    SIYU_ASSIGN_OR_RETURN(auto customer_ids, OptIdList(body, "customer_ids"));
    SIYU_ASSIGN_OR_RETURN(auto segment_id, OptInt(body, "segment_id"));
    int targets = (customer_id ? 1 : 0) + (customer_ids ? 1 : 0) + (segment_id ? 1 : 0);
    if (targets != 1) {
        return Status::InvalidArgument("customer_ids", "send exactly one of customer_id, customer_ids or segment_id");
    }
    loyalty::IssueSource source;
    source.source = c.actor.type == "api_key" ? "api" : "manual";
    SIYU_ASSIGN_OR_RETURN(auto given_source, OptString(body, "source"));
    if (given_source) {
        static const std::set<std::string> kSources = {"manual", "api", "journey", "live_code", "campaign"};
        if (!kSources.count(*given_source)) {
            return Status::InvalidArgument("source", "must be manual, api, journey, live_code or campaign");
        }
        source.source = *given_source;
    }
    SIYU_ASSIGN_OR_RETURN(auto source_id, OptString(body, "source_id"));
    if (source_id) {
        if (source_id->size() > 100) return Status::InvalidArgument("source_id", "at most 100 characters");
        source.source_id = *source_id;
    }
    auto& coupons = c.svc.loyalty->coupons();
    if (segment_id) {
        if (*segment_id <= 0) return Status::InvalidArgument("segment_id", "must be a segment id");
        SIYU_ASSIGN_OR_RETURN(auto out, coupons.StartSegmentJob(LoyaltyRequest(c), id, *segment_id));
        http::Response resp = OutcomeResponse(out);
        if (out.body.contains("id")) {
            resp.SetHeader("Location", "/api/v1/loyalty/coupon-jobs/" + std::to_string(out.body["id"].get<int64_t>()));
        }
        return resp;
    }
    if (customer_id) {
        if (*customer_id <= 0) return Status::InvalidArgument("customer_id", "must be a positive id");
        SIYU_ASSIGN_OR_RETURN(auto out, coupons.IssueOne(LoyaltyRequest(c), id, *customer_id, source));
        return OutcomeResponse(out);
    }
    if (customer_ids->empty()) return Status::InvalidArgument("customer_ids", "name at least one customer");
    if (customer_ids->size() > kMaxIssueCustomers) {
        return Status::InvalidArgument("customer_ids", "at most 1,000 customers at once; issue to a segment instead");
    }
    std::vector<int64_t> ids;
    std::set<int64_t> seen;
    for (int64_t cid : *customer_ids) {
        if (seen.insert(cid).second) ids.push_back(cid);
    }
    SIYU_ASSIGN_OR_RETURN(auto out, coupons.IssueMany(LoyaltyRequest(c), id, ids, source));
    return OutcomeResponse(out);
}

// --- Coupons ---------------------------------------------------------------------------------

Result<http::Response> Lookup(Ctx& c) {
    SIYU_ASSIGN_OR_RETURN(Json out, c.svc.loyalty->coupons().Lookup(c.tenant(), c.req.Param("code")));
    if (out["customer"].is_object()) {
        Json& cust = out["customer"];
        SIYU_ASSIGN_OR_RETURN(auto vis, c.Visibility());
        std::optional<int64_t> store;
        if (cust["store_id"].is_number_integer()) store = cust["store_id"].get<int64_t>();
        bool full = c.Can("pii") && vis.Allows(store);
        if (!full) {
            if (cust["name"].is_string()) cust["name"] = MaskName(cust["name"].get<std::string>());
            if (cust["phone"].is_string()) cust["phone"] = MaskPhone(cust["phone"].get<std::string>());
        }
        cust["masked"] = !full;
    }
    return JsonResponse(200, out);
}

Result<std::vector<loyalty::RedeemLine>> ParseLines(const Json& body) {
    std::vector<loyalty::RedeemLine> lines;
    auto it = body.find("lines");
    if (it == body.end() || it->is_null()) return lines;
    if (!it->is_array()) return Status::InvalidArgument("lines", "must be an array of order lines");
    if (it->size() > kMaxLines) return Status::InvalidArgument("lines", "at most 500 lines");
    for (size_t i = 0; i < it->size(); ++i) {
        const Json& l = (*it)[i];
        std::string at = "lines[" + std::to_string(i) + "]";
        if (!l.is_object())
            return Status::InvalidArgument(at, "must be an object {product_id, category, price, quantity}");
        for (const auto& [key, value] : l.items()) {
            if (key != "product_id" && key != "category" && key != "price" && key != "quantity") {
                return Status(StatusCode::kUnknownField, "unknown field '" + at + "." + key + "'", at + "." + key);
            }
        }
        loyalty::RedeemLine line;
        auto text = [&](const char* key, bool required, std::string* out) -> Status {
            auto v = l.find(key);
            if (v == l.end() || v->is_null()) {
                return required ? Status::InvalidArgument(at + "." + key, "is required") : Status::Ok();
            }
            if (!v->is_string() || v->get<std::string>().size() > 100) {
                return Status::InvalidArgument(at + "." + key, "must be a string of at most 100 characters");
            }
            *out = v->get<std::string>();
            return Status::Ok();
        };
        SIYU_RETURN_IF_ERROR(text("product_id", true, &line.product_id));
        SIYU_RETURN_IF_ERROR(text("category", false, &line.category));
        auto price = l.find("price");
        if (price == l.end() || !price->is_number_integer() || price->get<int64_t>() < 0 ||
            price->get<int64_t>() > kMaxMoney) {
            return Status::InvalidArgument(at + ".price", "must be the unit price in minor units (分), 0 or more");
        }
        line.price = price->get<int64_t>();
        if (auto q = l.find("quantity"); q != l.end()) {
            if (!q->is_number_integer() || q->get<int64_t>() < 1 || q->get<int64_t>() > 100'000) {
                return Status::InvalidArgument(at + ".quantity", "must be a whole number from 1 to 100000");
            }
            line.quantity = q->get<int64_t>();
        }
        lines.push_back(std::move(line));
    }
    return lines;
}

Result<http::Response> Redeem(Ctx& c) {
    SIYU_ASSIGN_OR_RETURN(Json body, ParseObject(c.req.body));
    SIYU_RETURN_IF_ERROR(RejectUnknown(body, {"code", "order_id", "order_amount", "store_id", "shipping_fee", "lines",
                                              "other_coupon_codes", "uses_points"}));
    loyalty::RedeemInput in;
    SIYU_ASSIGN_OR_RETURN(in.code, ReqString(body, "code"));
    SIYU_ASSIGN_OR_RETURN(in.order_id, ReqString(body, "order_id"));
    in.order_id = std::string(Trim(in.order_id));
    if (in.order_id.empty() || in.order_id.size() > 100) {
        return Status::InvalidArgument("order_id", "must be 1 to 100 characters");
    }
    SIYU_ASSIGN_OR_RETURN(auto amount, OptInt(body, "order_amount"));
    if (!amount) return Status::InvalidArgument("order_amount", "is required: the order total in minor units (分)");
    if (*amount < 0 || *amount > kMaxMoney) return Status::InvalidArgument("order_amount", "must be 0 or more");
    in.order_amount = *amount;
    SIYU_ASSIGN_OR_RETURN(in.store_id, OptInt(body, "store_id"));
    if (in.store_id && *in.store_id <= 0) return Status::InvalidArgument("store_id", "must be a store id");
    SIYU_ASSIGN_OR_RETURN(in.shipping_fee, OptInt(body, "shipping_fee"));
    if (in.shipping_fee && (*in.shipping_fee < 0 || *in.shipping_fee > kMaxMoney)) {
        return Status::InvalidArgument("shipping_fee", "must be 0 or more");
    }
    SIYU_ASSIGN_OR_RETURN(in.lines, ParseLines(body));
    if (auto it = body.find("other_coupon_codes"); it != body.end() && !it->is_null()) {
        if (!it->is_array() || it->size() > kMaxOtherCoupons) {
            return Status::InvalidArgument("other_coupon_codes", "must be an array of at most 20 coupon codes");
        }
        for (size_t i = 0; i < it->size(); ++i) {
            if (!(*it)[i].is_string()) {
                return Status::InvalidArgument("other_coupon_codes[" + std::to_string(i) + "]", "must be a string");
            }
            in.other_coupon_codes.push_back((*it)[i].get<std::string>());
        }
    }
    SIYU_ASSIGN_OR_RETURN(auto uses_points, OptBool(body, "uses_points"));
    in.uses_points = uses_points.value_or(false);
    // Store-scoped staff redeem in their own stores; with exactly one, it is the default.
    if (auth::IsStoreScoped(c.principal.role)) {
        if (!in.store_id) {
            if (c.principal.store_ids.size() != 1) {
                return Status::InvalidArgument("store_id", "name the store where the coupon is redeemed");
            }
            in.store_id = c.principal.store_ids.front();
        }
        SIYU_ASSIGN_OR_RETURN(auto vis, c.Visibility());
        if (!vis.Allows(in.store_id)) {
            return Status(StatusCode::kPermissionDenied, "you can redeem coupons only in your stores", "store_id");
        }
    }
    SIYU_ASSIGN_OR_RETURN(auto out, c.svc.loyalty->coupons().Redeem(LoyaltyRequest(c), in));
    return OutcomeResponse(out);
}

Result<http::Response> Reverse(Ctx& c) {
    std::string code = c.req.Param("code");
    Json body = Json::object();
    if (!Trim(c.req.body).empty()) {
        SIYU_ASSIGN_OR_RETURN(body, ParseObject(c.req.body));
    }
    SIYU_RETURN_IF_ERROR(RejectUnknown(body, {"order_id", "reason"}));
    SIYU_ASSIGN_OR_RETURN(auto order_id, OptString(body, "order_id"));
    SIYU_ASSIGN_OR_RETURN(auto reason, OptString(body, "reason"));
    if (reason && Utf8Length(*reason) > 200) return Status::InvalidArgument("reason", "at most 200 characters");
    SIYU_ASSIGN_OR_RETURN(auto vis, c.Visibility());
    SIYU_ASSIGN_OR_RETURN(auto out,
                          c.svc.loyalty->coupons().Reverse(LoyaltyRequest(c), code, order_id, reason.value_or(""),
                                                           vis.store_ids ? &*vis.store_ids : nullptr));
    return OutcomeResponse(out);
}

Result<http::Response> MemberCoupons(Ctx& c) {
    SIYU_ASSIGN_OR_RETURN(int64_t id, PathId(c.req, "customer_id"));
    SIYU_RETURN_IF_ERROR(CheckVisible(c, id));
    SIYU_ASSIGN_OR_RETURN(auto page, ParsePage(c.req));
    SIYU_ASSIGN_OR_RETURN(auto status, StatusFilter(c, {"issued", "redeemed", "expired", "void"}));
    SIYU_ASSIGN_OR_RETURN(Json out,
                          c.svc.loyalty->coupons().ListForCustomer(c.tenant(), id, status, page.limit, page.cursor));
    return JsonResponse(200, Paged(std::move(out), page.limit));
}

// --- Mall ------------------------------------------------------------------------------------

Result<http::Response> Exchange(Ctx& c) {
    SIYU_ASSIGN_OR_RETURN(int64_t id, PathId(c.req));
    SIYU_ASSIGN_OR_RETURN(Json body, ParseObject(c.req.body));
    SIYU_RETURN_IF_ERROR(RejectUnknown(body, {"customer_id", "quantity"}));
    SIYU_ASSIGN_OR_RETURN(int64_t customer_id, ReqId(body, "customer_id"));
    SIYU_ASSIGN_OR_RETURN(auto quantity, OptInt(body, "quantity"));
    if (quantity && (*quantity < 1 || *quantity > 100)) {
        return Status::InvalidArgument("quantity", "must be from 1 to 100");
    }
    SIYU_RETURN_IF_ERROR(CheckVisible(c, customer_id));
    SIYU_ASSIGN_OR_RETURN(auto out,
                          c.svc.loyalty->mall().Exchange(LoyaltyRequest(c), id, customer_id, quantity.value_or(1)));
    return OutcomeResponse(out);
}

Result<http::Response> CancelExchange(Ctx& c) {
    SIYU_ASSIGN_OR_RETURN(int64_t id, PathId(c.req));
    Json body = Json::object();
    if (!Trim(c.req.body).empty()) {
        SIYU_ASSIGN_OR_RETURN(body, ParseObject(c.req.body));
    }
    SIYU_RETURN_IF_ERROR(RejectUnknown(body, {"reason"}));
    SIYU_ASSIGN_OR_RETURN(auto reason, OptString(body, "reason"));
    if (reason && Utf8Length(*reason) > 200) return Status::InvalidArgument("reason", "at most 200 characters");
    std::optional<int64_t> customer;
    SIYU_RETURN_IF_ERROR(c.svc.db->Read([&](store::Connection& conn) -> Status {
        SIYU_ASSIGN_OR_RETURN(auto stmt,
                              conn.Prepare("SELECT customer_id FROM mall_exchanges WHERE tenant_id = ? AND id = ?"));
        stmt.Bind(1, c.tenant()).Bind(2, id);
        SIYU_ASSIGN_OR_RETURN(bool row, stmt.Step());
        if (row) customer = stmt.Int(0);
        return Status::Ok();
    }));
    if (!customer) return Status::NotFound("exchange " + std::to_string(id) + " not found");
    SIYU_RETURN_IF_ERROR(CheckVisible(c, *customer));
    SIYU_ASSIGN_OR_RETURN(auto out, c.svc.loyalty->mall().Cancel(LoyaltyRequest(c), id, reason.value_or("")));
    return OutcomeResponse(out);
}

Result<http::Response> MemberExchanges(Ctx& c) {
    SIYU_ASSIGN_OR_RETURN(int64_t id, PathId(c.req, "customer_id"));
    SIYU_RETURN_IF_ERROR(CheckVisible(c, id));
    SIYU_ASSIGN_OR_RETURN(auto page, ParsePage(c.req));
    SIYU_ASSIGN_OR_RETURN(Json out, c.svc.loyalty->mall().ListExchanges(c.tenant(), id, page.limit, page.cursor));
    return JsonResponse(200, Paged(std::move(out), page.limit));
}

}  // namespace

void AddCouponRoutes(RouteTable& t) {
    const std::string kTag = "Loyalty";
    // Coupon templates
    t.Api({.method = "GET",
           .pattern = "/api/v1/loyalty/coupon-templates",
           .summary = "Coupon templates, oldest first",
           .tag = kTag,
           .permission = "loyalty.read",
           .query_params = {"status", "limit", "cursor"}},
          ListTemplates);
    t.Api({.method = "POST",
           .pattern = "/api/v1/loyalty/coupon-templates",
           .summary = "Create a coupon template (cash_off, threshold, percent, exchange, free_shipping)",
           .tag = kTag,
           .permission = "loyalty.manage"},
          [](Ctx& c) -> Result<http::Response> {
              SIYU_ASSIGN_OR_RETURN(Json body, ParseObject(c.req.body));
              SIYU_ASSIGN_OR_RETURN(Json out, c.svc.loyalty->coupons().CreateTemplate(c.tenant(), body, c.actor));
              return JsonResponse(201, out);
          });
    t.Api({.method = "GET",
           .pattern = "/api/v1/loyalty/coupon-templates/{id}",
           .summary = "One coupon template",
           .tag = kTag,
           .permission = "loyalty.read"},
          [](Ctx& c) -> Result<http::Response> {
              SIYU_ASSIGN_OR_RETURN(int64_t id, PathId(c.req));
              SIYU_ASSIGN_OR_RETURN(Json out, c.svc.loyalty->coupons().GetTemplate(c.tenant(), id));
              return JsonResponse(200, out);
          });
    t.Api({.method = "PATCH",
           .pattern = "/api/v1/loyalty/coupon-templates/{id}",
           .summary = "Change a coupon template's name, note, status, total stock or per-customer limit",
           .tag = kTag,
           .permission = "loyalty.manage"},
          [](Ctx& c) -> Result<http::Response> {
              SIYU_ASSIGN_OR_RETURN(int64_t id, PathId(c.req));
              SIYU_ASSIGN_OR_RETURN(Json body, ParseObject(c.req.body));
              SIYU_ASSIGN_OR_RETURN(Json out, c.svc.loyalty->coupons().UpdateTemplate(c.tenant(), id, body, c.actor));
              return JsonResponse(200, out);
          });
    t.Api({.method = "DELETE",
           .pattern = "/api/v1/loyalty/coupon-templates/{id}",
           .summary = "Archive a coupon template (issued coupons stay valid)",
           .tag = kTag,
           .permission = "loyalty.manage"},
          [](Ctx& c) -> Result<http::Response> {
              SIYU_ASSIGN_OR_RETURN(int64_t id, PathId(c.req));
              SIYU_ASSIGN_OR_RETURN(Json out, c.svc.loyalty->coupons().UpdateTemplate(
                                                  c.tenant(), id, Json{{"status", "archived"}}, c.actor));
              return JsonResponse(200, out);
          });
    t.Api({.method = "GET",
           .pattern = "/api/v1/loyalty/coupon-templates/{id}/stats",
           .summary = "A coupon template's issued, redeemed, expired, redemption rate and revenue",
           .tag = kTag,
           .permission = "loyalty.read"},
          [](Ctx& c) -> Result<http::Response> {
              SIYU_ASSIGN_OR_RETURN(int64_t id, PathId(c.req));
              SIYU_ASSIGN_OR_RETURN(Json out, c.svc.loyalty->coupons().Stats(c.tenant(), id));
              return JsonResponse(200, out);
          });
    t.Api({.method = "POST",
           .pattern = "/api/v1/loyalty/coupon-templates/{id}/issue",
           .summary = "Issue coupons to a customer, up to 1,000 customers at once, or a segment as a job (202)",
           .tag = kTag,
           .permission = "coupons.issue"},
          Issue);
    t.Api({.method = "GET",
           .pattern = "/api/v1/loyalty/coupon-jobs/{id}",
           .summary = "A segment issue job's status and progress",
           .tag = kTag,
           .permission = "coupons.issue"},
          [](Ctx& c) -> Result<http::Response> {
              SIYU_ASSIGN_OR_RETURN(int64_t id, PathId(c.req));
              SIYU_ASSIGN_OR_RETURN(Json out, c.svc.loyalty->coupons().GetJob(c.tenant(), id));
              return JsonResponse(200, out);
          });

    // Coupons
    t.Api({.method = "POST",
           .pattern = "/api/v1/loyalty/coupons/redeem",
           .summary = "Redeem a coupon for an order (核销), exactly once",
           .tag = kTag,
           .permission = "coupons.redeem"},
          Redeem);
    t.Api({.method = "GET",
           .pattern = "/api/v1/loyalty/coupons/{code}",
           .summary = "Look up a coupon by code: status, validity, template, discount and customer (masked)",
           .tag = kTag,
           .permission = "coupons.redeem"},
          Lookup);
    t.Api({.method = "POST",
           .pattern = "/api/v1/loyalty/coupons/{code}/reverse",
           .summary = "Reverse a coupon's redemption on refund, when its template allows",
           .tag = kTag,
           .permission = "coupons.redeem"},
          Reverse);
    t.Api({.method = "GET",
           .pattern = "/api/v1/loyalty/members/{customer_id}/coupons",
           .summary = "A customer's coupons, newest first",
           .tag = kTag,
           .permission = "loyalty.read",
           .query_params = {"status", "limit", "cursor"}},
          MemberCoupons);

    // Points mall
    t.Api({.method = "GET",
           .pattern = "/api/v1/loyalty/mall/items",
           .summary = "Points mall items, oldest first",
           .tag = kTag,
           .permission = "loyalty.read",
           .query_params = {"status", "limit", "cursor"}},
          [](Ctx& c) -> Result<http::Response> {
              SIYU_ASSIGN_OR_RETURN(auto page, ParsePage(c.req));
              SIYU_ASSIGN_OR_RETURN(auto status, StatusFilter(c, {"active", "paused", "archived"}));
              SIYU_ASSIGN_OR_RETURN(Json out,
                                    c.svc.loyalty->mall().ListItems(c.tenant(), status, page.limit, page.cursor));
              return JsonResponse(200, Paged(std::move(out), page.limit));
          });
    t.Api({.method = "POST",
           .pattern = "/api/v1/loyalty/mall/items",
           .summary = "Create a points mall item (gift, coupon or limited edition)",
           .tag = kTag,
           .permission = "loyalty.manage"},
          [](Ctx& c) -> Result<http::Response> {
              SIYU_ASSIGN_OR_RETURN(Json body, ParseObject(c.req.body));
              SIYU_ASSIGN_OR_RETURN(Json out, c.svc.loyalty->mall().CreateItem(c.tenant(), body, c.actor));
              return JsonResponse(201, out);
          });
    t.Api({.method = "GET",
           .pattern = "/api/v1/loyalty/mall/items/{id}",
           .summary = "One points mall item",
           .tag = kTag,
           .permission = "loyalty.read"},
          [](Ctx& c) -> Result<http::Response> {
              SIYU_ASSIGN_OR_RETURN(int64_t id, PathId(c.req));
              SIYU_ASSIGN_OR_RETURN(Json out, c.svc.loyalty->mall().GetItem(c.tenant(), id));
              return JsonResponse(200, out);
          });
    t.Api({.method = "PATCH",
           .pattern = "/api/v1/loyalty/mall/items/{id}",
           .summary = "Change a points mall item (not its kind or coupon template)",
           .tag = kTag,
           .permission = "loyalty.manage"},
          [](Ctx& c) -> Result<http::Response> {
              SIYU_ASSIGN_OR_RETURN(int64_t id, PathId(c.req));
              SIYU_ASSIGN_OR_RETURN(Json body, ParseObject(c.req.body));
              SIYU_ASSIGN_OR_RETURN(Json out, c.svc.loyalty->mall().UpdateItem(c.tenant(), id, body, c.actor));
              return JsonResponse(200, out);
          });
    t.Api({.method = "DELETE",
           .pattern = "/api/v1/loyalty/mall/items/{id}",
           .summary = "Archive a points mall item (exchanges stay)",
           .tag = kTag,
           .permission = "loyalty.manage"},
          [](Ctx& c) -> Result<http::Response> {
              SIYU_ASSIGN_OR_RETURN(int64_t id, PathId(c.req));
              SIYU_ASSIGN_OR_RETURN(
                  Json out, c.svc.loyalty->mall().UpdateItem(c.tenant(), id, Json{{"status", "archived"}}, c.actor));
              return JsonResponse(200, out);
          });
    t.Api({.method = "POST",
           .pattern = "/api/v1/loyalty/mall/items/{id}/exchange",
           .summary = "Exchange a mall item for a member's points (points and stock in one transaction)",
           .tag = kTag,
           .permission = "loyalty.operate"},
          Exchange);
    t.Api({.method = "POST",
           .pattern = "/api/v1/loyalty/mall/exchanges/{id}/cancel",
           .summary = "Cancel an exchange: points restored, stock returned, unused coupons voided",
           .tag = kTag,
           .permission = "loyalty.operate"},
          CancelExchange);
    t.Api({.method = "GET",
           .pattern = "/api/v1/loyalty/members/{customer_id}/exchanges",
           .summary = "A customer's points mall exchanges, newest first",
           .tag = kTag,
           .permission = "loyalty.read",
           .query_params = {"limit", "cursor"}},
          MemberExchanges);
}

}  // namespace siyu::api
