#pragma once

#include <optional>
#include <string>

#include "http/message.h"

namespace siyu::http {

// Serves the built console from `root`: files by path with their content type, and
// index.html for any other GET path that is not an API or ops route (client-side routes).
// Thread-safe; reads from disk on each call.
class StaticFiles {
  public:
    explicit StaticFiles(std::string root) : root_(std::move(root)) {}
    // nullopt when the console is not built (no index.html under root).
    std::optional<Response> Serve(const Request& request) const;
    bool Available() const;

  private:
    std::string root_;
};

const char* ContentTypeFor(const std::string& path);

}  // namespace siyu::http
