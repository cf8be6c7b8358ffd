#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "base/status.h"
#include "http/message.h"

namespace siyu::http {

class Metrics;

struct ServerOptions {
    std::string host = "127.0.0.1";
    int port = 8080;  // 0: pick a free port
    int threads = 2;
    int64_t body_limit = 1 << 20;
    int header_timeout_ms = 10'000;
    int idle_timeout_ms = 60'000;
    int shutdown_grace_ms = 10'000;
    Metrics* metrics = nullptr;  // observes every request when set; not owned
};

// Called for every request on an I/O thread; must not throw (the API layer catches).
using Dispatch = std::function<Response(Request&)>;

// An HTTP/1.1 server on Boost.Beast with keep-alive, body limits, timeouts and graceful
// shutdown. Start() and Wait() are called from one thread; Stop() from any thread or a
// signal handler's context.
class Server {
  public:
    Server(ServerOptions options, Dispatch dispatch);
    ~Server();
    Server(const Server&) = delete;
    Server& operator=(const Server&) = delete;

    // Binds and starts the I/O threads. Returns the bound port through `port`.
    Status Start(int* port);
    // Blocks until SIGINT/SIGTERM or Stop(), then drains: stops accepting, lets in-flight
    // requests finish (up to shutdown_grace_ms), closes idle connections and returns.
    void Wait();
    void Stop();

    class Impl;  // defined in server.cc only

  private:
    std::unique_ptr<Impl> impl_;
};

}  // namespace siyu::http
