#include <gtest/gtest.h>

#include <cstdio>
#include <set>

#include "api/app.h"
#include "api/permissions.h"
#include "engine/event_store.h"
#include "http/router.h"
#include "nlohmann/json.hpp"
#include "store/test_database.h"

namespace siyu::api {
namespace {

std::unique_ptr<store::Database> OpenDb() { return store::OpenTestDatabase("openapi"); }

TEST(OpenApi, EveryServedApiRouteIsDocumentedWithItsPermission) {
    auto db = OpenDb();
    engine::EventStore engine;
    App app(db.get(), Config{}, &engine);
    auto doc = nlohmann::json::parse(app.OpenApiDocument());
    EXPECT_EQ(doc["openapi"], "3.0.3");
    int api_routes = 0;
    for (const auto& route : app.router().routes()) {
        if (route.spec.pattern.rfind("/api/v1/", 0) != 0) continue;
        ++api_routes;
        std::string method = route.spec.method;
        for (auto& ch : method) ch = static_cast<char>(std::tolower(ch));
        ASSERT_TRUE(doc["paths"].contains(route.spec.pattern)) << route.spec.pattern;
        ASSERT_TRUE(doc["paths"][route.spec.pattern].contains(method)) << method << " " << route.spec.pattern;
        const auto& op = doc["paths"][route.spec.pattern][method];
        if (!route.spec.permission.empty()) {
            EXPECT_EQ(op["x-siyu-permission"], route.spec.permission);
            std::set<std::string> known;
            for (const auto& row : PermissionMatrix()) known.insert(row.permission);
            EXPECT_TRUE(known.count(route.spec.permission)) << route.spec.permission;
        }
    }
    EXPECT_GT(api_routes, 20);
}

TEST(OpenApi, EverySchemaReferenceResolves) {
    auto db = OpenDb();
    engine::EventStore engine;
    App app(db.get(), Config{}, &engine);
    auto doc = nlohmann::json::parse(app.OpenApiDocument());
    std::function<void(const nlohmann::json&)> walk = [&](const nlohmann::json& j) {
        if (j.is_object()) {
            for (const auto& [k, v] : j.items()) {
                if (k == "$ref") {
                    std::string name = v.get<std::string>().substr(std::string("#/components/schemas/").size());
                    EXPECT_TRUE(doc["components"]["schemas"].contains(name)) << name;
                } else {
                    walk(v);
                }
            }
        } else if (j.is_array()) {
            for (const auto& v : j) walk(v);
        }
    };
    walk(doc);
}

}  // namespace
}  // namespace siyu::api
