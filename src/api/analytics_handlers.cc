#include "api/routes.h"
#include "api/segment_sync.h"
#include "base/json_writer.h"
#include "base/time.h"

namespace siyu::api {

namespace {

Json OptNumber(const std::optional<double>& v) { return v ? Json(*v) : Json(nullptr); }

Json RfmSettingsJson(const cdp::RfmSettings& s) {
    return {{"period_days", s.period_days},
            {"recency_days", OptNumber(s.recency_days)},
            {"frequency", OptNumber(s.frequency)},
            {"monetary", OptNumber(s.monetary)}};
}

double Share(int64_t part, int64_t whole) { return whole > 0 ? static_cast<double>(part) / whole : 0.0; }

Result<http::Response> RfmSummary(Ctx& c) {
    SIYU_ASSIGN_OR_RETURN(auto settings, c.svc.segments->repository().GetRfmSettings(c.tenant()));
    engine::RfmSummary sum = c.svc.segment_engine.RfmSummaryOf(c.tenant());
    int64_t monetary_total = 0;
    for (const auto& k : sum.classes) monetary_total += k.monetary;
    Json classes = Json::array();
    for (size_t i = 0; i < std::size(engine::kRfmClasses); ++i) {
        const auto& k = sum.classes[i];
        classes.push_back({{"code", engine::kRfmClasses[i].code},
                           {"name", engine::kRfmClasses[i].name},
                           {"customers", k.customers},
                           {"share", Share(k.customers, sum.customers_with_orders)},
                           {"monetary", k.monetary},
                           {"monetary_share", Share(k.monetary, monetary_total)}});
    }
    auto source = [](const std::optional<double>& v) { return v ? "setting" : "mean"; };
    return JsonResponse(200, {{"period_days", settings.period_days},
                              {"customers_with_orders", sum.customers_with_orders},
                              {"monetary_total", monetary_total},
                              {"thresholds",
                               {{"recency_days", sum.recency_threshold},
                                {"frequency", sum.frequency_threshold},
                                {"monetary", sum.monetary_threshold},
                                {"source",
                                 {{"recency_days", source(settings.recency_days)},
                                  {"frequency", source(settings.frequency)},
                                  {"monetary", source(settings.monetary)}}}}},
                              {"classes", classes}});
}

// A threshold: absent or null leaves it to the tenant's mean; otherwise a positive number.
Result<std::optional<double>> Threshold(const Json& body, const char* field, bool allow_zero) {
    SIYU_ASSIGN_OR_RETURN(auto v, NullableDouble(body, field));
    if (!v || !*v) return std::optional<double>();
    if (**v < 0 || (!allow_zero && **v == 0) || **v > 1e15) {
        return Status::InvalidArgument(field,
                                       allow_zero ? "must be a number ≥ 0 or null" : "must be a number > 0 or null");
    }
    return *v;
}

Result<http::Response> PutRfmSettings(Ctx& c) {
    SIYU_ASSIGN_OR_RETURN(Json body, ParseObject(c.req.body));
    SIYU_RETURN_IF_ERROR(RejectUnknown(body, {"period_days", "recency_days", "frequency", "monetary"}));
    cdp::RfmSettings s;
    SIYU_ASSIGN_OR_RETURN(auto period, OptInt(body, "period_days"));
    if (period) {
        if (*period < 1 || *period > 3650) return Status::InvalidArgument("period_days", "must be 1 to 3650");
        s.period_days = *period;
    }
    SIYU_ASSIGN_OR_RETURN(s.recency_days, Threshold(body, "recency_days", false));
    SIYU_ASSIGN_OR_RETURN(s.frequency, Threshold(body, "frequency", false));
    SIYU_ASSIGN_OR_RETURN(s.monetary, Threshold(body, "monetary", true));
    SIYU_RETURN_IF_ERROR(c.svc.segments->repository().PutRfmSettings(c.tenant(), s, c.actor));
    SIYU_RETURN_IF_ERROR(c.svc.segments->ReloadTenant(c.tenant()));
    return JsonResponse(200, RfmSettingsJson(s));
}

// The loyalty programme over a day range (tenant time zone): orders and net revenue per day, new
// members per registration channel and members per tier. Store roles count their stores'
// customers only, like the other overview figures.
Result<http::Response> LoyaltyStats(Ctx& c) {
    SIYU_ASSIGN_OR_RETURN(auto vis, c.Visibility());
    SIYU_ASSIGN_OR_RETURN(DayRange range, ParseDayRange(c));
    std::optional<std::string> stores;
    if (vis.store_ids) stores = Json(*vis.store_ids).dump();
    struct Day {
        int64_t orders = 0, revenue = 0;
    };
    std::map<std::string, Day> per_day;
    for (TimeMs t = range.from; t < range.to; t += 86'400'000) per_day[LocalDate(t, range.time_zone)];
    int64_t orders = 0, revenue = 0, members_total = 0, members_new = 0;
    Json by_channel = Json::array(), by_tier = Json::array();
    // Members and orders of live customers the caller may see.
    const std::string visible =
        " JOIN customers x ON x.id = m.customer_id AND x.deleted_at IS NULL AND x.merged_into IS NULL AND (?2 IS NULL "
        "OR x.store_id IN (SELECT value FROM json_each(?2)))";
    SIYU_RETURN_IF_ERROR(c.svc.db->Read([&](store::Connection& conn) -> Status {
        SIYU_ASSIGN_OR_RETURN(
            auto order_rows,
            conn.Prepare("SELECT m.completed_at, m.amount - m.refunded FROM loyalty_orders m" + visible +
                         " WHERE m.tenant_id = ?1 AND m.completed_at >= ?3 AND "
                         "m.completed_at < ?4"));
        order_rows.Bind(1, c.tenant()).Bind(2, stores).Bind(3, range.from).Bind(4, range.to);
        SIYU_RETURN_IF_ERROR(order_rows.ForEachRow([&] {
            Day& day = per_day[LocalDate(order_rows.Int(0), range.time_zone)];
            ++day.orders;
            day.revenue += order_rows.Int(1);
            ++orders;
            revenue += order_rows.Int(1);
        }));
        SIYU_ASSIGN_OR_RETURN(auto channels,
                              conn.Prepare("SELECT m.channel, count(*) FROM members m" + visible +
                                           " WHERE m.tenant_id = ?1 AND m.registered_at >= ?3 AND m.registered_at < "
                                           "?4 GROUP BY m.channel ORDER BY count(*) DESC, m.channel"));
        channels.Bind(1, c.tenant()).Bind(2, stores).Bind(3, range.from).Bind(4, range.to);
        SIYU_RETURN_IF_ERROR(channels.ForEachRow([&] {
            members_new += channels.Int(1);
            by_channel.push_back({{"channel", channels.Text(0)}, {"count", channels.Int(1)}});
        }));
        SIYU_ASSIGN_OR_RETURN(auto tiers,
                              conn.Prepare("SELECT m.tier_id, t.name, t.level, count(*) FROM members m" + visible +
                                           " LEFT JOIN tiers t ON t.id = m.tier_id WHERE m.tenant_id = "
                                           "?1 GROUP BY m.tier_id ORDER BY t.level IS NULL, t.level"));
        tiers.Bind(1, c.tenant()).Bind(2, stores);
        return tiers.ForEachRow([&] {
            members_total += tiers.Int(3);
            by_tier.push_back({{"tier_id", tiers.OptInt(0) ? Json(*tiers.OptInt(0)) : Json(nullptr)},
                               {"name", tiers.IsNull(1) ? Json(nullptr) : Json(tiers.Text(1))},
                               {"level", tiers.OptInt(2) ? Json(*tiers.OptInt(2)) : Json(nullptr)},
                               {"count", tiers.Int(3)}});
        });
    }));
    Json by_day = Json::array();
    for (const auto& [date, day] : per_day) {
        by_day.push_back({{"date", date}, {"orders", day.orders}, {"revenue", day.revenue}});
    }
    return JsonResponse(200, {{"from", range.from_day},
                              {"to", range.to_day},
                              {"orders", orders},
                              {"revenue", revenue},
                              {"members_total", members_total},
                              {"members_new", members_new},
                              {"by_day", by_day},
                              {"new_members_by_channel", by_channel},
                              {"members_by_tier", by_tier}});
}

}  // namespace

void AddAnalyticsRoutes(RouteTable& t) {
    t.Api({.method = "GET",
           .pattern = "/api/v1/analytics/rfm",
           .summary = "Customers and order value per RFM class, with the thresholds used",
           .tag = "Analytics",
           .permission = "analytics.read",
           .response_schema = "RfmSummary"},
          RfmSummary);
    t.Api({.method = "GET",
           .pattern = "/api/v1/analytics/rfm/settings",
           .summary = "The RFM period and thresholds",
           .tag = "Analytics",
           .permission = "analytics.read",
           .response_schema = "RfmSettings"},
          [](Ctx& c) -> Result<http::Response> {
              SIYU_ASSIGN_OR_RETURN(auto s, c.svc.segments->repository().GetRfmSettings(c.tenant()));
              return JsonResponse(200, RfmSettingsJson(s));
          });
    t.Api({.method = "PUT",
           .pattern = "/api/v1/analytics/rfm/settings",
           .summary = "Set the RFM period and thresholds (null: the tenant's mean)",
           .tag = "Analytics",
           .permission = "segments.manage",
           .request_schema = "RfmSettings",
           .response_schema = "RfmSettings"},
          PutRfmSettings);
    t.Api({.method = "GET",
           .pattern = "/api/v1/stats/loyalty",
           .summary = "Orders and revenue per day, new members per channel and members per tier (store roles: their "
                      "stores)",
           .tag = "Analytics",
           .permission = "loyalty.read",
           .query_params = {"from", "to"}},
          LoyaltyStats);
    t.Api({.method = "GET",
           .pattern = "/api/v1/analytics/events",
           .summary = "Events and distinct customers per event name in a date range (tenant time zone)",
           .tag = "Analytics",
           .permission = "analytics.read",
           .response_schema = "EventCounts",
           .query_params = {"from", "to"}},
          [](Ctx& c) -> Result<http::Response> {
              SIYU_ASSIGN_OR_RETURN(DayRange range, ParseDayRange(c));
              JsonWriter w;
              w.BeginObject().Key("from").String(range.from_day).Key("to").String(range.to_day);
              w.Key("data").BeginArray();
              for (const auto& n : c.svc.engine->CountByName(c.tenant(), range.from, range.to)) {
                  w.BeginObject().Key("event").String(n.name).Key("events").Int(n.events);
                  w.Key("customers").Int(n.customers).EndObject();
              }
              w.EndArray().EndObject();
              return http::Response::Json(200, w.Take());
          });
}

}  // namespace siyu::api
