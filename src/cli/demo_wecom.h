#pragma once

// The demo's WeCom (docs/wecom-simulator.md, "The demo"): `siyu serve --demo` serves a WeCom
// simulator in-process on 127.0.0.1 and connects the demo tenant to it through siyu's own HTTP
// API, the way an operator's script would: WeCom settings, staff synced and linked to the demo's
// stores and console users, two channel live codes and two customer groups. A driver thread then
// makes customers arrive: every few seconds a new customer with a Chinese name scans a live code
// and adds the staff member it picks, sometimes joins a group and now and then deletes the staff
// member again. The sequence follows a fixed seed, so every run of the demo looks the same.

#include <cstdint>
#include <memory>
#include <string>

#include "auth/accounts.h"

namespace siyu::cli {

struct DemoWecomOptions {
    int64_t tenant_id = 0;
    std::string siyu_host = "127.0.0.1";  // where siyu's HTTP server answers
    int siyu_port = 0;
    int interval_ms = 4000;  // between two arrivals; 0: connect and seed, but drive nothing
    uint64_t seed = 20261122;
};

// Reads SIYU_DEMO_WECOM ("0" turns the demo's WeCom off) and SIYU_DEMO_WECOM_INTERVAL_MS.
// Answers false when the demo's WeCom is off.
bool DemoWecomOptionsFromEnv(DemoWecomOptions* options);

class DemoWecomImpl;

// Owns the simulator's HTTP server and the driver thread. Start and Stop are called from the
// thread that runs Serve(); nothing else is shared. Failures are logged as warnings and leave the
// server running without the demo's WeCom.
class DemoWecom {
  public:
    // Starts the simulator on 127.0.0.1 (a free port) and prints
    // "demo WeCom simulator: http://127.0.0.1:<port>"; then, on the driver thread, connects the
    // demo tenant with a bearer key named "demo WeCom driver" (the previous one is revoked),
    // seeds the simulator and drives it. Answers nullptr when the simulator cannot start.
    static std::unique_ptr<DemoWecom> Start(auth::Accounts* accounts, const DemoWecomOptions& options);

    ~DemoWecom();
    DemoWecom(const DemoWecom&) = delete;
    DemoWecom& operator=(const DemoWecom&) = delete;

    // Stops the driver thread, then the simulator's server. Idempotent.
    void Stop();

  private:
    explicit DemoWecom(std::unique_ptr<DemoWecomImpl> impl);
    std::unique_ptr<DemoWecomImpl> impl_;
};

}  // namespace siyu::cli
