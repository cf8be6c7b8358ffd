#include "api/routes.h"
#include "base/json_writer.h"
#include "base/phone.h"
#include "base/strings.h"

namespace siyu::api {

namespace {

void WriteOpt(JsonWriter& w, std::string_view key, const std::optional<std::string>& v) {
    w.Key(key);
    v ? w.String(*v) : w.Null();
}

// The customer's RFM class and values (`null` without an order in the RFM period).
void WriteRfm(JsonWriter& w, const std::optional<engine::RfmScore>& rfm) {
    w.Key("rfm");
    if (!rfm || rfm->rfm_class < 0 || rfm->rfm_class >= static_cast<int>(std::size(engine::kRfmClasses))) {
        w.Null();
        return;
    }
    const auto& k = engine::kRfmClasses[rfm->rfm_class];
    w.BeginObject().Key("code").String(k.code).Key("name").String(k.name);
    w.Key("recency_days").Int(rfm->recency_days).Key("frequency").Int(rfm->frequency);
    w.Key("monetary").Int(rfm->monetary).EndObject();
}

// Customers are the hottest read, so they are written without a JSON DOM. With `rfm`, the
// customer's RFM class is added (single-customer answers).
void WriteCustomer(JsonWriter& w, const cdp::Customer& c, bool pii,
                   const std::optional<engine::RfmScore>* rfm = nullptr) {
    auto mask = [&](const std::string& type, const std::string& value) -> std::string {
        if (pii) return value;
        if (type == "phone") return MaskPhone(value);
        if (type == "email") return MaskEmail(value);
        return value;
    };
    w.BeginObject().Key("id").Int(c.id);
    WriteOpt(w, "name", c.name);
    w.Key("phone");
    c.phone ? w.String(mask("phone", *c.phone)) : w.Null();
    w.Key("email");
    c.email ? w.String(mask("email", *c.email)) : w.Null();
    w.Key("gender").String(c.gender);
    WriteOpt(w, "birthday", c.birthday);
    w.Key("store_id");
    c.store_id ? w.Int(*c.store_id) : w.Null();
    WriteOpt(w, "member_no", c.member_no);
    w.Key("traits").Raw(c.traits);
    w.Key("identifiers").BeginArray();
    for (const auto& i : c.identifiers) {
        w.BeginObject().Key("type").String(i.type).Key("value").String(mask(i.type, i.value));
        w.Key("created_at").String(FormatRfc3339(i.created_at)).EndObject();
    }
    w.EndArray();
    if (c.computed) {
        const cdp::ComputedAttributes& a = *c.computed;
        auto time = [&](std::string_view key, const std::optional<TimeMs>& t) {
            w.Key(key);
            t ? w.String(FormatRfc3339(*t)) : w.Null();
        };
        w.Key("computed").BeginObject();
        time("first_seen", a.first_seen);
        time("last_seen", a.last_seen);
        w.Key("order_count").Int(a.order_count).Key("total_spent").Int(a.total_spent);
        w.Key("average_order_value").Int(a.average_order_value);
        time("last_order_at", a.last_order_at);
        w.Key("refund_count").Int(a.refund_count).Key("refund_total").Int(a.refund_total);
        w.Key("lifecycle_stage").String(a.lifecycle_stage).EndObject();
        w.Key("merged_ids").BeginArray();
        for (int64_t id : c.merged_ids) w.Int(id);
        w.EndArray();
    }
    if (rfm != nullptr) WriteRfm(w, *rfm);
    w.Key("created_at").String(FormatRfc3339(c.created_at));
    w.Key("updated_at").String(FormatRfc3339(c.updated_at));
    w.EndObject();
}

// One customer with computed attributes and RFM class, as reads and writes answer it.
http::Response CustomerResponse(Ctx& ctx, int status, const cdp::Customer& c) {
    std::optional<engine::RfmScore> rfm = ctx.svc.segment_engine.Rfm(ctx.tenant(), c.id);
    JsonWriter w;
    WriteCustomer(w, c, ctx.Can("pii"), &rfm);
    return http::Response::Json(status, w.Take());
}

// An RFC 3339 time, or a YYYY-MM-DD day in the tenant's zone (its start, or with
// `end_of_day` the start of the next day).
Result<std::optional<TimeMs>> TimeParam(const http::Request& req, const char* name, const std::string& tz,
                                        bool end_of_day) {
    auto v = req.Query(name);
    if (!v || v->empty()) return std::optional<TimeMs>();
    if (auto t = ParseRfc3339(*v)) return std::optional<TimeMs>(*t);
    auto day = StartOfLocalDay(*v, tz);
    if (!day.ok()) return Status::InvalidArgument(name, "must be RFC 3339 or YYYY-MM-DD");
    return std::optional<TimeMs>(day.value() + (end_of_day ? 86'400'000 : 0));
}

Result<http::Response> ListCustomers(Ctx& c) {
    SIYU_ASSIGN_OR_RETURN(auto page, ParsePage(c.req));
    SIYU_ASSIGN_OR_RETURN(auto vis, c.Visibility());
    cdp::CustomerFilter f;
    f.limit = page.limit;
    f.before_id = page.cursor;
    if (auto q = c.req.Query("q"); q && !Trim(*q).empty()) f.q = *q;
    if (auto name = c.req.Query("name"); name && !name->empty()) f.name = *name;
    if (auto phone = c.req.Query("phone"); phone && !phone->empty()) {
        auto normalized = NormalizePhone(*phone);
        if (!normalized.ok()) return normalized.status();
        f.phone = normalized.value();
    }
    if (auto store = c.req.Query("store_id"); store && !store->empty()) {
        int64_t id = 0;
        if (!ParseInt64(*store, &id)) return Status::InvalidArgument("store_id", "must be an integer");
        f.store_id = id;
    }
    if (c.req.Query("created_from") || c.req.Query("created_to")) {
        SIYU_ASSIGN_OR_RETURN(auto tenant, c.svc.accounts.GetTenant(c.tenant()));
        SIYU_ASSIGN_OR_RETURN(f.created_from, TimeParam(c.req, "created_from", tenant.time_zone, false));
        SIYU_ASSIGN_OR_RETURN(f.created_to, TimeParam(c.req, "created_to", tenant.time_zone, true));
    }
    SIYU_ASSIGN_OR_RETURN(auto customers, c.svc.customers.List(c.tenant(), f, vis));
    bool pii = c.Can("pii");
    JsonWriter w;
    w.BeginObject().Key("data").BeginArray();
    for (const auto& cu : customers) WriteCustomer(w, cu, pii);
    w.EndArray().Key("next_cursor");
    if (customers.size() == static_cast<size_t>(page.limit) && !customers.empty()) {
        w.String(EncodeCursor(customers.back().id));
    } else {
        w.Null();
    }
    w.EndObject();
    return http::Response::Json(200, w.Take());
}

Result<http::Response> Overview(Ctx& c) {
    SIYU_ASSIGN_OR_RETURN(auto vis, c.Visibility());
    SIYU_ASSIGN_OR_RETURN(DayRange range, ParseDayRange(c));
    SIYU_ASSIGN_OR_RETURN(auto stats, c.svc.customers.Overview(c.tenant(), range.from, range.to, range.time_zone, vis));
    Json by_day = Json::array();
    for (const auto& [day, n] : stats.new_by_day) by_day.push_back({{"date", day}, {"count", n}});
    Json by_store = Json::array();
    for (const auto& s : stats.by_store) {
        by_store.push_back(
            {{"store_id", s.store_id ? Json(*s.store_id) : Json(nullptr)}, {"name", s.name}, {"count", s.count}});
    }
    return JsonResponse(200,
                        {{"customers_total", stats.total},
                         {"customers_new", stats.new_in_range},
                         {"from", range.from_day},
                         {"to", range.to_day},
                         {"new_by_day", by_day},
                         {"by_store", by_store},
                         {"by_gender", {{"male", stats.male}, {"female", stats.female}, {"unknown", stats.unknown}}}});
}

std::string EventCursor(const cdp::EventRecord& e) {
    return Base64UrlEncode("e:" + std::to_string(e.timestamp) + ":" + std::to_string(e.id));
}

Result<std::optional<std::pair<TimeMs, int64_t>>> ParseEventCursor(const http::Request& req) {
    auto text = req.Query("cursor");
    if (!text || text->empty()) return std::optional<std::pair<TimeMs, int64_t>>();
    std::string raw;
    if (!Base64UrlDecode(*text, &raw)) return Status::InvalidArgument("cursor", "not a cursor this API returned");
    auto parts = Split(raw, ':');
    int64_t ts = 0, id = 0;
    if (parts.size() != 3 || parts[0] != "e" || !ParseInt64(parts[1], &ts) || !ParseInt64(parts[2], &id)) {
        return Status::InvalidArgument("cursor", "not a cursor this API returned");
    }
    return std::optional<std::pair<TimeMs, int64_t>>(std::make_pair(ts, id));
}

Result<http::Response> Timeline(Ctx& c) {
    SIYU_ASSIGN_OR_RETURN(int64_t id, PathId(c.req));
    SIYU_ASSIGN_OR_RETURN(auto vis, c.Visibility());
    SIYU_ASSIGN_OR_RETURN(auto customer, c.svc.customers.Get(c.tenant(), id, vis));
    cdp::EventFilter f;
    SIYU_ASSIGN_OR_RETURN(f.limit, ParseLimit(c.req));
    SIYU_ASSIGN_OR_RETURN(f.before, ParseEventCursor(c.req));
    if (auto name = c.req.Query("event"); name && !name->empty()) f.name = *name;
    if (c.req.Query("from") || c.req.Query("to")) {
        SIYU_ASSIGN_OR_RETURN(auto tenant, c.svc.accounts.GetTenant(c.tenant()));
        SIYU_ASSIGN_OR_RETURN(f.from, TimeParam(c.req, "from", tenant.time_zone, false));
        SIYU_ASSIGN_OR_RETURN(f.to, TimeParam(c.req, "to", tenant.time_zone, true));
    }
    SIYU_ASSIGN_OR_RETURN(auto events, c.svc.identity.Timeline(c.tenant(), customer.id, f));
    JsonWriter w;
    w.BeginObject().Key("data").BeginArray();
    for (const auto& e : events) {
        w.BeginObject().Key("id").Int(e.id).Key("customer_id").Int(e.customer_id);
        w.Key("message_id").String(e.message_id).Key("type").String(e.type).Key("event").String(e.name);
        w.Key("timestamp").String(FormatRfc3339(e.timestamp)).Key("received_at").String(FormatRfc3339(e.received_at));
        w.Key("properties").Raw(e.properties).Key("context").Raw(e.context);
        w.Key("revenue");
        e.revenue ? w.Int(*e.revenue) : w.Null();
        w.Key("currency");
        e.currency ? w.String(*e.currency) : w.Null();
        w.EndObject();
    }
    w.EndArray().Key("next_cursor");
    if (events.size() == static_cast<size_t>(f.limit) && !events.empty()) {
        w.String(EventCursor(events.back()));
    } else {
        w.Null();
    }
    w.EndObject();
    return http::Response::Json(200, w.Take());
}

Json MergeJson(const cdp::MergeRecord& m) {
    return {{"id", m.id},
            {"survivor_id", m.survivor_id},
            {"merged_id", m.merged_id},
            {"reason", m.reason},
            {"message_id", m.message_id},
            {"at", TimeJson(m.at)},
            {"undone_at", TimeJson(m.undone_at)}};
}

}  // namespace

void AddCustomerRoutes(RouteTable& t) {
    t.Api({.method = "GET",
           .pattern = "/api/v1/customers",
           .summary = "Search and list customers, newest first",
           .tag = "Customers",
           .permission = "customers.read",
           .response_schema = "CustomerPage",
           .query_params = {"limit", "cursor", "q", "name", "phone", "store_id", "created_from", "created_to"}},
          ListCustomers);
    t.Api({.method = "POST",
           .pattern = "/api/v1/customers",
           .summary = "Create a customer",
           .tag = "Customers",
           .permission = "customers.write",
           .request_schema = "CustomerInput",
           .response_schema = "Customer"},
          [](Ctx& c) -> Result<http::Response> {
              SIYU_ASSIGN_OR_RETURN(auto in, cdp::ParseCustomerInputText(c.req.body));
              SIYU_RETURN_IF_ERROR(CheckDeclaredIdentifierTypes(c.svc, c.tenant(), in));
              SIYU_ASSIGN_OR_RETURN(auto vis, c.Visibility());
              SIYU_ASSIGN_OR_RETURN(auto cu, c.svc.customers.Create(c.tenant(), in, vis));
              return CustomerResponse(c, 201, cu);
          });
    t.Api({.method = "GET",
           .pattern = "/api/v1/customers/lookup",
           .summary = "Find the customer holding an identifier",
           .tag = "Customers",
           .permission = "customers.read",
           .response_schema = "Customer",
           .query_params = {"type", "value"}},
          [](Ctx& c) -> Result<http::Response> {
              auto type = c.req.Query("type"), value = c.req.Query("value");
              if (!type || type->empty()) return Status::InvalidArgument("type", "is required");
              if (!value || value->empty()) return Status::InvalidArgument("value", "is required");
              SIYU_ASSIGN_OR_RETURN(auto vis, c.Visibility());
              SIYU_ASSIGN_OR_RETURN(auto cu, c.svc.customers.Lookup(c.tenant(), *type, *value, vis));
              return CustomerResponse(c, 200, cu);
          });
    t.Api({.method = "GET",
           .pattern = "/api/v1/customers/{id}",
           .summary = "One customer with identifiers",
           .tag = "Customers",
           .permission = "customers.read",
           .response_schema = "Customer"},
          [](Ctx& c) -> Result<http::Response> {
              SIYU_ASSIGN_OR_RETURN(int64_t id, PathId(c.req));
              SIYU_ASSIGN_OR_RETURN(auto vis, c.Visibility());
              SIYU_ASSIGN_OR_RETURN(auto cu, c.svc.customers.Get(c.tenant(), id, vis));
              return CustomerResponse(c, 200, cu);
          });
    t.Api({.method = "PATCH",
           .pattern = "/api/v1/customers/{id}",
           .summary = "Change a customer; null clears a field",
           .tag = "Customers",
           .permission = "customers.write",
           .request_schema = "CustomerInput",
           .response_schema = "Customer"},
          [](Ctx& c) -> Result<http::Response> {
              SIYU_ASSIGN_OR_RETURN(int64_t id, PathId(c.req));
              SIYU_ASSIGN_OR_RETURN(auto in, cdp::ParseCustomerInputText(c.req.body));
              SIYU_RETURN_IF_ERROR(CheckDeclaredIdentifierTypes(c.svc, c.tenant(), in));
              SIYU_ASSIGN_OR_RETURN(auto vis, c.Visibility());
              SIYU_ASSIGN_OR_RETURN(auto cu, c.svc.customers.Update(c.tenant(), id, in, vis));
              return CustomerResponse(c, 200, cu);
          });
    t.Api({.method = "GET",
           .pattern = "/api/v1/customers/{id}/events",
           .summary = "The customer's events (and those of customers merged into it), newest first",
           .tag = "Customers",
           .permission = "customers.read",
           .response_schema = "EventPage",
           .query_params = {"limit", "cursor", "event", "from", "to"}},
          Timeline);
    t.Api({.method = "GET",
           .pattern = "/api/v1/customers/{id}/merges",
           .summary = "Merges into and of this customer",
           .tag = "Identity",
           .permission = "customers.read",
           .response_schema = "MergeList"},
          [](Ctx& c) -> Result<http::Response> {
              SIYU_ASSIGN_OR_RETURN(int64_t id, PathId(c.req));
              SIYU_ASSIGN_OR_RETURN(auto vis, c.Visibility());
              SIYU_ASSIGN_OR_RETURN(auto customer, c.svc.customers.Get(c.tenant(), id, vis));
              SIYU_ASSIGN_OR_RETURN(auto merges, c.svc.identity.MergesInto(c.tenant(), customer.id));
              Json data = Json::array();
              for (const auto& m : merges) data.push_back(MergeJson(m));
              return JsonResponse(200, {{"data", data}});
          });
    t.Api({.method = "POST",
           .pattern = "/api/v1/customers/{id}/unmerge",
           .summary = "Undo a merge: the merged customer takes back its identifiers and events",
           .tag = "Identity",
           .permission = "customers.write",
           .request_schema = "UnmergeInput",
           .response_schema = "Customer"},
          [](Ctx& c) -> Result<http::Response> {
              SIYU_ASSIGN_OR_RETURN(int64_t id, PathId(c.req));
              std::optional<int64_t> merge_id;
              if (!Trim(c.req.body).empty()) {
                  SIYU_ASSIGN_OR_RETURN(Json body, ParseObject(c.req.body));
                  SIYU_RETURN_IF_ERROR(RejectUnknown(body, {"merge_id"}));
                  SIYU_ASSIGN_OR_RETURN(merge_id, OptInt(body, "merge_id"));
              }
              SIYU_ASSIGN_OR_RETURN(auto vis, c.Visibility());
              SIYU_ASSIGN_OR_RETURN(auto customer, c.svc.customers.Get(c.tenant(), id, vis));
              SIYU_RETURN_IF_ERROR(c.svc.identity.Unmerge(c.tenant(), customer.id, merge_id, c.actor));
              SIYU_ASSIGN_OR_RETURN(auto after, c.svc.customers.Get(c.tenant(), customer.id, vis));
              return CustomerResponse(c, 200, after);
          });
    t.Api({.method = "GET",
           .pattern = "/api/v1/identity/conflicts",
           .summary = "Identifier conflicts that kept customers apart",
           .tag = "Identity",
           .permission = "customers.read",
           .response_schema = "ConflictPage",
           .query_params = {"limit", "cursor"}},
          [](Ctx& c) -> Result<http::Response> {
              SIYU_ASSIGN_OR_RETURN(auto page, ParsePage(c.req));
              SIYU_ASSIGN_OR_RETURN(auto vis, c.Visibility());
              SIYU_ASSIGN_OR_RETURN(auto conflicts, c.svc.identity.Conflicts(c.tenant(), page.limit, page.cursor));
              Json data = Json::array();
              for (const auto& x : conflicts) {
                  if (vis.store_ids && !c.svc.customers.Get(c.tenant(), x.customer_id, vis).ok()) continue;
                  data.push_back({{"id", x.id},
                                  {"customer_id", x.customer_id},
                                  {"other_customer_id", x.other_customer_id},
                                  {"identifier_type", x.identifier_type},
                                  {"message_id", x.message_id},
                                  {"at", TimeJson(x.at)}});
              }
              std::optional<int64_t> last;
              if (!conflicts.empty()) last = conflicts.back().id;
              Json out = {{"data", data}, {"next_cursor", nullptr}};
              if (conflicts.size() == static_cast<size_t>(page.limit) && last) out["next_cursor"] = EncodeCursor(*last);
              return JsonResponse(200, out);
          });
    t.Api({.method = "DELETE",
           .pattern = "/api/v1/customers/{id}",
           .summary = "Soft-delete a customer",
           .tag = "Customers",
           .permission = "customers.delete"},
          [](Ctx& c) -> Result<http::Response> {
              SIYU_ASSIGN_OR_RETURN(int64_t id, PathId(c.req));
              SIYU_ASSIGN_OR_RETURN(auto vis, c.Visibility());
              SIYU_RETURN_IF_ERROR(c.svc.customers.Delete(c.tenant(), id, vis, c.actor));
              return http::Response::NoContent();
          });
    t.Api({.method = "GET",
           .pattern = "/api/v1/stats/overview",
           .summary = "Customer counts for the overview page",
           .tag = "Statistics",
           .permission = "customers.read",
           .response_schema = "Overview",
           .query_params = {"from", "to"}},
          Overview);
}

}  // namespace siyu::api
