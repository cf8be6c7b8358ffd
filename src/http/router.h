#pragma once

#include <functional>
#include <string>
#include <vector>

#include "http/message.h"

namespace siyu::http {

using Handler = std::function<Response(Request&)>;

// What the OpenAPI document and the permission check need to know about a route.
struct RouteSpec {
    std::string method;
    std::string pattern;  // "/api/v1/customers/{id}"
    std::string summary;
    std::string tag;         // OpenAPI tag: "Customers"
    std::string permission;  // empty: any authenticated caller (or public, see `public_route`)
    bool public_route = false;
    std::string request_schema;   // component schema name of the JSON body, if any
    std::string response_schema;  // component schema name of the answer, if any
    std::vector<std::string> query_params;
    std::string request_media_type = "application/json";   // of the body, when request_schema is set
    std::string response_media_type = "application/json";  // of the answer, when response_schema is set
};

struct Route {
    RouteSpec spec;
    Handler handler;
    std::vector<std::string> segments;
};

// Maps (method, path) to a handler, filling path parameters. Build it before serving;
// after that it is read-only and safe to share between threads.
class Router {
  public:
    void Add(RouteSpec spec, Handler handler);

    enum class MatchResult { kFound, kNotFound, kMethodNotAllowed };
    // On kFound, `route` points at the match and `request.path_params` is filled. On
    // kMethodNotAllowed, `allowed` (when given) receives the path's methods, e.g. "GET, PATCH".
    MatchResult Match(Request& request, const Route** route, std::string* allowed = nullptr) const;

    const std::vector<Route>& routes() const { return routes_; }

  private:
    std::vector<Route> routes_;
};

}  // namespace siyu::http
