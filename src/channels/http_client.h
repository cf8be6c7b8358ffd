#pragma once

#include <string>
#include <utility>
#include <vector>

#include "base/status.h"

namespace siyu::channels {

struct HttpRequest {
    std::string method = "GET";
    std::string url;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;
    int timeout_ms = 5000;  // the whole exchange, connect included
};

struct HttpResponse {
    int status = 0;
    std::string body;
    std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased

    // The first header named `name` (case-insensitive), or "".
    std::string Header(std::string_view name) const;
};

// Performs one HTTP(S) exchange with libcurl. Any HTTP status is a response; transport
// failures (connection refused, DNS, TLS, timeout) are Unavailable with curl's message.
// Thread-safe: each thread keeps its own curl handle, so connections are kept alive and
// reused per thread. Never raises signals (safe in multi-threaded servers).
Result<HttpResponse> HttpFetch(const HttpRequest& request);

}  // namespace siyu::channels
