#include "base/config.h"

#include <toml++/toml.h>

#include <cstdlib>

#include "base/strings.h"

namespace siyu {

const std::vector<Config::Setting>& Config::Settings() {
    static const std::vector<Setting> kSettings = {
        {"data_dir", "directory holding the SQLite database and the lock file"},
        {"http.host", "address to listen on"},
        {"http.port", "TCP port to listen on (1-65535)"},
        {"http.threads", "I/O threads; 0 means twice the number of cores, at least 16"},
        {"http.body_limit", "largest accepted request body in bytes (413 beyond)"},
        {"http.header_timeout_ms", "time allowed to receive a request's headers"},
        {"http.idle_timeout_ms", "how long an idle keep-alive connection stays open"},
        {"http.shutdown_grace_ms", "how long in-flight requests may finish after SIGTERM"},
        {"web.dir", "directory of the built console (served at /)"},
        {"db.readers", "reader connections; 0 means one per HTTP thread"},
        {"db.busy_timeout_ms", "SQLite busy timeout"},
        {"auth.session_ttl_hours", "console session lifetime"},
        {"log.level", "trace, debug, info, warn or error"},
        {"log.format", "text or json"},
        {"admin.email", "e-mail of the owner account created on first start"},
        {"tracking.max_message_bytes", "largest tracking message in bytes (413 beyond)"},
        {"tracking.max_batch_bytes", "largest tracking batch in bytes after decompression (413 beyond)"},
        {"segments.refresh_seconds", "how often time-dependent segments are re-evaluated (seconds)"},
        {"loyalty.sweep_seconds", "how often points expiry, loyalty reminders and tier reviews run (seconds)"},
        {"secrets.key_file", "key that encrypts stored secrets; empty means <data_dir>/secret.key"},
        {"public.base_url", "the server's address as customers reach it (short links); empty means http://host:port"},
        {"wecom.inbox_workers", "threads processing stored WeCom callbacks"},
        {"wecom.api_timeout_ms", "time limit of one WeCom API request"},
        {"wecom.rate_limit_per_second", "WeCom API calls per corp per second"},
        {"outbox.workers", "threads delivering the outbox (WeCom calls and webhooks)"},
    };
    return kSettings;
}

static Status ParseIntSetting(const std::string& key, const std::string& value, int64_t* out) {
    if (!ParseInt64(Trim(value), out)) return Status::InvalidArgument(key, "expected an integer, got '" + value + "'");
    return Status::Ok();
}

Status SetConfigValue(const std::string& key, const std::string& value, Config* c) {
    int64_t n = 0;
    auto set_int = [&](int* target) -> Status {
        SIYU_RETURN_IF_ERROR(ParseIntSetting(key, value, &n));
        if (n < INT32_MIN || n > INT32_MAX) return Status::InvalidArgument(key, "out of range");
        *target = static_cast<int>(n);
        return Status::Ok();
    };
    if (key == "data_dir") {
        c->data_dir = value;
    } else if (key == "http.host") {
        c->http_host = value;
    } else if (key == "http.port") {
        return set_int(&c->http_port);
    } else if (key == "http.threads") {
        return set_int(&c->http_threads);
    } else if (key == "http.body_limit") {
        SIYU_RETURN_IF_ERROR(ParseIntSetting(key, value, &n));
        c->http_body_limit = n;
    } else if (key == "http.header_timeout_ms") {
        return set_int(&c->http_header_timeout_ms);
    } else if (key == "http.idle_timeout_ms") {
        return set_int(&c->http_idle_timeout_ms);
    } else if (key == "http.shutdown_grace_ms") {
        return set_int(&c->http_shutdown_grace_ms);
    } else if (key == "web.dir") {
        c->web_dir = value;
    } else if (key == "db.readers") {
        return set_int(&c->db_readers);
    } else if (key == "db.busy_timeout_ms") {
        return set_int(&c->db_busy_timeout_ms);
    } else if (key == "auth.session_ttl_hours") {
        return set_int(&c->auth_session_ttl_hours);
    } else if (key == "log.level") {
        c->log_level = value;
    } else if (key == "log.format") {
        c->log_format = value;
    } else if (key == "admin.email") {
        c->admin_email = value;
    } else if (key == "tracking.max_message_bytes") {
        SIYU_RETURN_IF_ERROR(ParseIntSetting(key, value, &n));
        c->tracking_max_message_bytes = n;
    } else if (key == "tracking.max_batch_bytes") {
        SIYU_RETURN_IF_ERROR(ParseIntSetting(key, value, &n));
        c->tracking_max_batch_bytes = n;
    } else if (key == "segments.refresh_seconds") {
        return set_int(&c->segments_refresh_seconds);
    } else if (key == "loyalty.sweep_seconds") {
        return set_int(&c->loyalty_sweep_seconds);
    } else if (key == "secrets.key_file") {
        c->secrets_key_file = value;
    } else if (key == "public.base_url") {
        c->public_base_url = value;
    } else if (key == "wecom.inbox_workers") {
        return set_int(&c->wecom_inbox_workers);
    } else if (key == "wecom.api_timeout_ms") {
        return set_int(&c->wecom_api_timeout_ms);
    } else if (key == "wecom.rate_limit_per_second") {
        return set_int(&c->wecom_rate_limit_per_second);
    } else if (key == "outbox.workers") {
        return set_int(&c->outbox_workers);
    } else {
        return Status::InvalidArgument(key, "unknown setting");
    }
    return Status::Ok();
}

static Status ApplyTomlTable(const toml::table& table, const std::string& prefix, Config* c) {
    for (const auto& [k, node] : table) {
        std::string key = prefix.empty() ? std::string(k.str()) : prefix + "." + std::string(k.str());
        if (const auto* sub = node.as_table()) {
            SIYU_RETURN_IF_ERROR(ApplyTomlTable(*sub, key, c));
            continue;
        }
        std::string text;
        if (auto s = node.value<std::string>(); s && node.is_string()) {
            text = *s;
        } else if (node.is_integer()) {
            text = std::to_string(*node.value<int64_t>());
        } else {
            return Status::InvalidArgument(key, "expected a string or an integer");
        }
        SIYU_RETURN_IF_ERROR(SetConfigValue(key, text, c));
    }
    return Status::Ok();
}

Status ApplyConfigFile(const std::string& path, Config* c) {
    toml::table table;
    try {
        table = toml::parse_file(path);
    } catch (const toml::parse_error& e) {
        return Status::InvalidArgument("config", path + ": " + std::string(e.description()));
    }
    return ApplyTomlTable(table, "", c);
}

Status ApplyConfigEnv(Config* c) {
    for (const auto& s : Config::Settings()) {
        std::string env = "SIYU_";
        for (const char* p = s.key; *p; ++p) {
            env.push_back(*p == '.' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(*p))));
        }
        if (const char* v = std::getenv(env.c_str())) {
            Status st = SetConfigValue(s.key, v, c);
            if (!st.ok()) return Status::InvalidArgument(env, st.message());
        }
    }
    return Status::Ok();
}

Status ValidateConfig(const Config& c) {
    if (c.data_dir.empty()) return Status::InvalidArgument("data_dir", "must not be empty");
    if (c.http_port < 0 || c.http_port > 65535) return Status::InvalidArgument("http.port", "must be 0-65535");
    if (c.http_threads < 0 || c.http_threads > 256) return Status::InvalidArgument("http.threads", "must be 0-256");
    if (c.http_body_limit < 1024 || c.http_body_limit > (int64_t{1} << 30)) {
        return Status::InvalidArgument("http.body_limit", "must be between 1024 and 1073741824 bytes");
    }
    if (c.http_header_timeout_ms < 100) return Status::InvalidArgument("http.header_timeout_ms", "must be ≥ 100");
    if (c.http_idle_timeout_ms < 100) return Status::InvalidArgument("http.idle_timeout_ms", "must be ≥ 100");
    if (c.http_shutdown_grace_ms < 0) return Status::InvalidArgument("http.shutdown_grace_ms", "must be ≥ 0");
    if (c.db_readers < 0 || c.db_readers > 256) return Status::InvalidArgument("db.readers", "must be 0-256");
    if (c.db_busy_timeout_ms < 0) return Status::InvalidArgument("db.busy_timeout_ms", "must be ≥ 0");
    if (c.auth_session_ttl_hours < 1 || c.auth_session_ttl_hours > 24 * 90) {
        return Status::InvalidArgument("auth.session_ttl_hours", "must be 1-2160");
    }
    static const char* kLevels[] = {"trace", "debug", "info", "warn", "error"};
    bool level_ok = false;
    for (const char* l : kLevels) level_ok |= c.log_level == l;
    if (!level_ok) return Status::InvalidArgument("log.level", "must be trace, debug, info, warn or error");
    if (c.tracking_max_message_bytes < 1024 || c.tracking_max_message_bytes > c.tracking_max_batch_bytes) {
        return Status::InvalidArgument("tracking.max_message_bytes",
                                       "must be between 1024 and tracking.max_batch_bytes");
    }
    if (c.tracking_max_batch_bytes > (int64_t{64} << 20)) {
        return Status::InvalidArgument("tracking.max_batch_bytes", "must be at most 64 MiB");
    }
    if (c.segments_refresh_seconds < 1 || c.segments_refresh_seconds > 86'400) {
        return Status::InvalidArgument("segments.refresh_seconds", "must be 1-86400");
    }
    if (c.loyalty_sweep_seconds < 1 || c.loyalty_sweep_seconds > 86'400) {
        return Status::InvalidArgument("loyalty.sweep_seconds", "must be 1-86400");
    }
    if (c.wecom_inbox_workers < 1 || c.wecom_inbox_workers > 64) {
        return Status::InvalidArgument("wecom.inbox_workers", "must be 1-64");
    }
    if (c.wecom_api_timeout_ms < 100 || c.wecom_api_timeout_ms > 60'000) {
        return Status::InvalidArgument("wecom.api_timeout_ms", "must be 100-60000");
    }
    if (c.wecom_rate_limit_per_second < 1 || c.wecom_rate_limit_per_second > 100'000) {
        return Status::InvalidArgument("wecom.rate_limit_per_second", "must be 1-100000");
    }
    if (c.outbox_workers < 1 || c.outbox_workers > 64) {
        return Status::InvalidArgument("outbox.workers", "must be 1-64");
    }
    if (!c.public_base_url.empty() && c.public_base_url.rfind("http://", 0) != 0 &&
        c.public_base_url.rfind("https://", 0) != 0) {
        return Status::InvalidArgument("public.base_url", "must start with http:// or https://");
    }
    if (c.log_format != "text" && c.log_format != "json") {
        return Status::InvalidArgument("log.format", "must be text or json");
    }
    return Status::Ok();
}

}  // namespace siyu
