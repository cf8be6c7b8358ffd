#include "api/routes.h"
#include "base/json_writer.h"

namespace siyu::api {

void AddAnalyticsRoutes(RouteTable& t) {
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
