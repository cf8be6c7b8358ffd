#include "api/routes.h"
#include "store/migrations.h"

namespace siyu::api {

void AddOpsRoutes(RouteTable& t, const http::Router& router) {
    t.Public({.method = "GET", .pattern = "/healthz", .summary = "The process is alive", .tag = "Operations"},
             [](http::Request&, Services&) -> Result<http::Response> {
                 return JsonResponse(200, {{"status", "ok"}});
             });
    t.Public(
        {.method = "GET", .pattern = "/readyz", .summary = "The database answers and is migrated", .tag = "Operations"},
        [](http::Request&, Services& svc) -> Result<http::Response> {
            auto version = svc.db->SchemaVersion();
            int expected = store::Migrations().back().version;
            if (!version.ok()) {
                return JsonResponse(503, {{"status", "unavailable"}, {"reason", version.status().message()}});
            }
            if (version.value() != expected) {
                return JsonResponse(503, {{"status", "unavailable"},
                                          {"reason", "schema version " + std::to_string(version.value()) +
                                                         ", expected " + std::to_string(expected)}});
            }
            return JsonResponse(200, {{"status", "ready"}, {"schema_version", version.value()}});
        });
    t.Public({.method = "GET", .pattern = "/metrics", .summary = "Prometheus metrics", .tag = "Operations"},
             [](http::Request&, Services& svc) -> Result<http::Response> {
                 http::Response r;
                 r.content_type = "text/plain; version=0.0.4; charset=utf-8";
                 r.body = svc.metrics.Render();
                 return r;
             });
    const http::Router* routes = &router;
    t.Public({.method = "GET",
              .pattern = "/api/openapi.json",
              .summary = "This API's OpenAPI 3 document",
              .tag = "Operations"},
             [routes](http::Request&, Services&) -> Result<http::Response> {
                 return JsonResponse(200, BuildOpenApi(*routes));
             });
}

}  // namespace siyu::api
