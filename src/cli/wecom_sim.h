#pragma once

// `siyu wecom-sim`: a WeCom (企业微信) simulator for tests, load tests and the demo
// (docs/wecom-simulator.md). It serves the WeCom server API siyu calls (gettoken, contacts,
// customer contacts, tags, contact ways, welcome messages, customer groups, mass messages,
// transfers) from in-memory state with WeCom's JSON shapes, errcodes, token expiry and rate
// limit, and a control API under /sim/ that makes things happen ("customer X scans contact
// way Y") and delivers the encrypted callback to siyu exactly as WeCom does.

#include <CLI/CLI.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "base/status.h"
#include "channels/http_client.h"
#include "http/message.h"

namespace siyu::http {
class Router;
}

namespace siyu::cli {

struct WecomSimOptions {
    std::string corp_id = "wwsim000000000001";
    std::string contact_secret = "sim-contact-secret";
    std::string agent_secret = "sim-agent-secret";
    int64_t agent_id = 1000002;
    std::string token = "simtoken";                                     // callback Token
    std::string aes_key = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG";  // callback EncodingAESKey (43)
    std::string callback_url;                                          // siyu's /wecom/callback/{tenant_id}
    int64_t token_ttl_seconds = 7200;
    int64_t rate_limit = 10'000;  // API calls per second per corp before 45009
    uint64_t seed = 1;
    std::string base_url;  // the simulator's own address, for qr_code URLs
};

// Sends one HTTP request (the callbacks). HttpFetch when serving; a recorder in unit tests.
using SimTransport = std::function<Result<channels::HttpResponse>(const channels::HttpRequest&)>;
// Milliseconds since the epoch. The wall clock when serving; a fake one in unit tests.
using SimClock = std::function<int64_t()>;

class SimCore;

// The simulator: state, WeCom API and control API behind one Handle(). Thread-safe: Handle may
// be called from many threads at once.
class WecomSim {
  public:
    explicit WecomSim(WecomSimOptions options, SimTransport transport = nullptr, SimClock clock = nullptr);
    ~WecomSim();
    WecomSim(const WecomSim&) = delete;
    WecomSim& operator=(const WecomSim&) = delete;

    // Answers one request: /cgi-bin/... (WeCom), /sim/... (control), /qr/{config_id}.
    http::Response Handle(http::Request& request);

    // Sets the address qr_code URLs point at (known once the server has bound its port).
    void SetBaseUrl(std::string base_url);

  private:
    std::unique_ptr<SimCore> core_;
    std::unique_ptr<http::Router> router_;
};

// The flags of `siyu wecom-sim`, filled in by CLI11. Keep it alive from AddWecomSimCommand
// until RunWecomSim.
struct WecomSimFlags {
    CLI::App* command = nullptr;
    WecomSimOptions options;
    std::string host = "127.0.0.1";
    int port = 0;
    int threads = 4;

    bool parsed() const { return command && command->parsed(); }
};

void AddWecomSimCommand(CLI::App& app, WecomSimFlags* flags);

// Serves until SIGINT/SIGTERM. The first stdout line is
// "wecom-sim listening on http://<host>:<port>". Answers the exit code.
int RunWecomSim(const WecomSimFlags& flags);

}  // namespace siyu::cli
