#pragma once

#include <memory>
#include <string>

#include "base/config.h"
#include "http/message.h"
#include "store/database.h"

namespace siyu::http {
class Metrics;
class Router;
}  // namespace siyu::http

namespace siyu::engine {
class EventStore;
}  // namespace siyu::engine

namespace siyu::api {

struct Services;

// The HTTP face of siyu: every /api/v1 route, the ops endpoints and the console's files.
// Construct once per process after the database is migrated; Dispatch is thread-safe.
class App {
  public:
    // `engine` (not owned) receives every committed event; it must outlive the App.
    App(store::Database* db, const Config& config, engine::EventStore* engine);
    ~App();

    http::Response Dispatch(http::Request& request);
    // Stops background work (the segment sync) after it has written what it queued. Call once
    // the server has stopped and before the database is closed.
    void Shutdown();

    http::Metrics& metrics();
    const http::Router& router() const;
    // The OpenAPI 3 document of every /api/v1 route.
    std::string OpenApiDocument() const;

  private:
    std::unique_ptr<Services> services_;
    std::unique_ptr<http::Router> router_;
};

}  // namespace siyu::api
