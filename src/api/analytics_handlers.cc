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
              SIYU_ASSIGN_OR_RETURN(auto tenant, c.svc.accounts.GetTenant(c.tenant()));
              std::string to_day = c.req.Query("to").value_or(LocalDate(NowMs(), tenant.time_zone));
              if (!IsValidDate(to_day)) return Status::InvalidArgument("to", "must be YYYY-MM-DD");
              SIYU_ASSIGN_OR_RETURN(TimeMs to, StartOfLocalDay(to_day, tenant.time_zone));
              to += 86'400'000;
              std::string from_day = c.req.Query("from").value_or(LocalDate(to - 30 * 86'400'000LL, tenant.time_zone));
              if (!IsValidDate(from_day)) return Status::InvalidArgument("from", "must be YYYY-MM-DD");
              SIYU_ASSIGN_OR_RETURN(TimeMs from, StartOfLocalDay(from_day, tenant.time_zone));
              if (from >= to) return Status::InvalidArgument("from", "must be on or before to");
              JsonWriter w;
              w.BeginObject().Key("from").String(from_day).Key("to").String(to_day).Key("data").BeginArray();
              for (const auto& n : c.svc.engine->CountByName(c.tenant(), from, to)) {
                  w.BeginObject().Key("event").String(n.name).Key("events").Int(n.events);
                  w.Key("customers").Int(n.customers).EndObject();
              }
              w.EndArray().EndObject();
              return http::Response::Json(200, w.Take());
          });
}

}  // namespace siyu::api
