#include "http/router.h"

#include <gtest/gtest.h>

namespace siyu::http {
namespace {

Router MakeRouter() {
    Router r;
    r.Add({.method = "GET", .pattern = "/api/v1/customers/lookup"},
          [](Request&) { return Response::Json(200, "lookup"); });
    r.Add({.method = "GET", .pattern = "/api/v1/customers/{id}"}, [](Request&) { return Response::Json(200, "get"); });
    r.Add({.method = "PATCH", .pattern = "/api/v1/customers/{id}"},
          [](Request&) { return Response::Json(200, "patch"); });
    return r;
}

TEST(Router, FillsPathParameters) {
    Router r = MakeRouter();
    Request req;
    req.method = "GET";
    req.path = "/api/v1/customers/42";
    const Route* route = nullptr;
    ASSERT_EQ(r.Match(req, &route), Router::MatchResult::kFound);
    EXPECT_EQ(req.Param("id"), "42");
    EXPECT_EQ(route->handler(req).body, "get");
}

TEST(Router, EarlierLiteralRouteWinsOverParameter) {
    Router r = MakeRouter();
    Request req;
    req.method = "GET";
    req.path = "/api/v1/customers/lookup";
    const Route* route = nullptr;
    ASSERT_EQ(r.Match(req, &route), Router::MatchResult::kFound);
    EXPECT_EQ(route->handler(req).body, "lookup");
}

TEST(Router, KnownPathWithWrongMethodIsMethodNotAllowed) {
    Router r = MakeRouter();
    Request req;
    req.method = "DELETE";
    req.path = "/api/v1/customers/42";
    const Route* route = nullptr;
    std::string allowed;
    EXPECT_EQ(r.Match(req, &route, &allowed), Router::MatchResult::kMethodNotAllowed);
    EXPECT_EQ(allowed, "GET, PATCH");
    req.path = "/api/v1/nothing";
    EXPECT_EQ(r.Match(req, &route), Router::MatchResult::kNotFound);
}

TEST(Request, ParsesQueryAndCookies) {
    Request req;
    req.query = "q=%E7%8E%8B&limit=5&flag";
    req.headers = {{"cookie", "a=1; siyu_session=ss_abc; b=2"}};
    EXPECT_EQ(req.Query("q").value(), "王");
    EXPECT_EQ(req.Query("limit").value(), "5");
    EXPECT_EQ(req.Query("flag").value(), "");
    EXPECT_FALSE(req.Query("none").has_value());
    EXPECT_EQ(req.Cookie("siyu_session").value(), "ss_abc");
}

}  // namespace
}  // namespace siyu::http
