#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"

namespace siyu::http {

// One HTTP request as handlers see it, independent of the server library.
struct Request {
    std::string method;                                        // "GET"
    std::string target;                                        // "/api/v1/customers?limit=5"
    std::string path;                                          // "/api/v1/customers" (percent-decoded)
    std::string query;                                         // "limit=5" (raw)
    std::vector<std::pair<std::string, std::string>> headers;  // names lower-case
    std::string body;
    std::string remote_ip;
    std::string request_id;
    std::vector<std::pair<std::string, std::string>> path_params;  // set by the router

    const std::string* Header(std::string_view lower_name) const;
    // The decoded value of a query parameter (the first, when repeated).
    std::optional<std::string> Query(std::string_view key) const;
    std::vector<std::pair<std::string, std::string>> QueryParams() const;
    const std::string& Param(std::string_view name) const;
    // The value of cookie `name`, if sent.
    std::optional<std::string> Cookie(std::string_view name) const;
};

struct Response {
    int status = 200;
    std::string content_type = "application/json";
    std::string body;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string route;  // route pattern, for metrics and logs; set by the router
    // When set, the body is sent in chunks (Transfer-Encoding: chunked) instead of `body`: each
    // call appends the next piece to `out` and answers whether more follow. An error ends the
    // response early (the client sees a truncated chunked body).
    std::function<Result<bool>(std::string* out)> stream;

    static Response Json(int status, std::string body) {
        Response r;
        r.status = status;
        r.body = std::move(body);
        return r;
    }
    static Response NoContent() {
        Response r;
        r.status = 204;
        r.content_type.clear();
        return r;
    }
    void SetHeader(std::string name, std::string value) { headers.emplace_back(std::move(name), std::move(value)); }
};

// Builds the JSON error body {"error":{"code","message","field","request_id"}}.
std::string ErrorBody(std::string_view code, std::string_view message, std::string_view field,
                      std::string_view request_id);

}  // namespace siyu::http
