#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/status.h"

namespace siyu {

// Every setting of `siyu serve`. Sources, later ones winning: built-in defaults, the
// TOML file (`--config`), `SIYU_*` environment variables, command-line flags.
// A setting "http.port" is `port` under `[http]` in TOML and SIYU_HTTP_PORT in the
// environment. docs/configuration.md lists them all.
struct Config {
    std::string data_dir = "./siyu-data";
    std::string http_host = "127.0.0.1";
    int http_port = 8080;
    int http_threads = 0;                 // 0: twice the number of cores
    int64_t http_body_limit = 1 << 20;    // bytes
    int http_header_timeout_ms = 10'000;  // time to receive a request's headers
    int http_idle_timeout_ms = 60'000;    // keep-alive connection idle time
    int http_shutdown_grace_ms = 10'000;  // how long in-flight requests may finish
    std::string web_dir = "web/dist";
    int db_readers = 0;  // 0: as many as HTTP threads
    int db_busy_timeout_ms = 5'000;
    int auth_session_ttl_hours = 12;
    std::string log_level = "info";   // trace, debug, info, warn, error
    std::string log_format = "text";  // text or json
    std::string admin_email = "admin@siyu.local";
    int64_t tracking_max_message_bytes = 32 * 1024;
    int64_t tracking_max_batch_bytes = 500 * 1024;
    int segments_refresh_seconds = 300;  // re-evaluation of time-dependent segments
    int loyalty_sweep_seconds = 60;      // points expiry, reminders and tier reviews
    std::string secrets_key_file;        // "": <data_dir>/secret.key, created on first start
    std::string public_base_url;         // "": http://<http.host>:<http.port>; used in short links
    int wecom_inbox_workers = 4;         // threads processing stored WeCom callbacks
    int wecom_api_timeout_ms = 5'000;    // one WeCom API request
    int wecom_rate_limit_per_second = 50;  // WeCom API calls per corp per second
    int outbox_workers = 4;              // threads delivering the outbox (WeCom calls, webhooks)

    // One line per setting: key, current value and meaning (for --help and docs).
    struct Setting {
        const char* key;
        const char* meaning;
    };
    static const std::vector<Setting>& Settings();
};

// Applies a TOML file. Unknown keys and wrong types stop with a message naming the key.
Status ApplyConfigFile(const std::string& path, Config* config);

// Applies SIYU_* variables from the environment.
Status ApplyConfigEnv(Config* config);

// Sets one setting from text ("http.port", "9090"), used by the env and by flags.
Status SetConfigValue(const std::string& key, const std::string& value, Config* config);

// Checks ranges and combinations; the message names the setting.
Status ValidateConfig(const Config& config);

}  // namespace siyu
