#include "scrm/wecom_support.h"

#include <cstdlib>

#include "base/crypto.h"

namespace siyu::scrm {

int ErrcodeOf(const Status& status) {
    if (status.code() != StatusCode::kUpstream) return 0;
    constexpr std::string_view kPrefix = "WeCom errcode ";
    const std::string& m = status.message();
    size_t at = m.find(kPrefix);
    if (at == std::string::npos) return 0;
    return std::atoi(m.c_str() + at + kPrefix.size());
}

bool IsTransient(const Status& status) {
    if (status.code() == StatusCode::kUnavailable) return true;
    int code = ErrcodeOf(status);
    return code == -1 || code == 45009 || code == 45033;
}

Result<bool> MarkInboxApplied(store::Connection& c, int64_t tenant_id, int64_t inbox_id, std::string_view handler) {
    SIYU_ASSIGN_OR_RETURN(auto stmt, c.Prepare("INSERT OR IGNORE INTO scrm_inbox_applied(tenant_id, inbox_id, handler, "
                                               "applied_at) VALUES (?, ?, ?, ?)"));
    SIYU_RETURN_IF_ERROR(stmt.Bind(1, tenant_id).Bind(2, inbox_id).Bind(3, handler).Bind(4, NowMs()).Run());
    return c.Changes() > 0;
}

Result<bool> InboxApplied(store::Database& db, int64_t tenant_id, int64_t inbox_id, std::string_view handler) {
    bool applied = false;
    SIYU_RETURN_IF_ERROR(db.Read([&](store::Connection& c) -> Status {
        SIYU_ASSIGN_OR_RETURN(auto stmt, c.Prepare("SELECT 1 FROM scrm_inbox_applied WHERE tenant_id = ? AND "
                                                   "inbox_id = ? AND handler = ?"));
        stmt.Bind(1, tenant_id).Bind(2, inbox_id).Bind(3, handler);
        SIYU_ASSIGN_OR_RETURN(applied, stmt.Step());
        return Status::Ok();
    }));
    return applied;
}

cdp::TrackingMessage WecomTrack(std::string message_id, std::string event, TimeMs at, const Json& properties,
                                const std::string& external_userid, const std::string& unionid) {
    cdp::TrackingMessage m;
    m.type = "track";
    m.message_id = std::move(message_id);
    m.name = std::move(event);
    m.timestamp = at;
    m.properties = properties.is_object() ? properties.dump() : "{}";
    m.context = Json{{"library", {{"name", "siyu-wecom"}}}}.dump();
    m.identifiers.push_back(cdp::Identifier{"wecom_external_userid", external_userid, 0});
    if (!unionid.empty()) m.identifiers.push_back(cdp::Identifier{"wechat_unionid", unionid, 0});
    return m;
}

cdp::TrackingMessage AnonymousTrack(std::string message_id, std::string event, TimeMs at, const Json& properties,
                                    const std::string& anonymous_id) {
    cdp::TrackingMessage m;
    m.type = "track";
    m.message_id = std::move(message_id);
    m.name = std::move(event);
    m.timestamp = at;
    m.anonymous_id = anonymous_id;
    m.properties = properties.is_object() ? properties.dump() : "{}";
    m.context = Json{{"library", {{"name", "siyu-wecom"}}}}.dump();
    m.identifiers.push_back(cdp::Identifier{"anonymous_id", anonymous_id, 0});
    return m;
}

Result<int64_t> SurvivingCustomer(store::Connection& c, int64_t tenant_id, int64_t customer_id) {
    SIYU_ASSIGN_OR_RETURN(auto stmt, c.Prepare("SELECT merged_into FROM customers WHERE tenant_id = ? AND id = ?"));
    int64_t id = customer_id;
    for (int hops = 0; hops < 32; ++hops) {
        stmt.Reset();
        stmt.Bind(1, tenant_id).Bind(2, id);
        SIYU_ASSIGN_OR_RETURN(bool row, stmt.Step());
        if (!row || stmt.IsNull(0)) return id;
        id = stmt.Int(0);
    }
    return id;
}

Result<std::optional<int64_t>> CustomerByIdentifier(store::Connection& c, int64_t tenant_id, std::string_view type,
                                                    std::string_view value) {
    std::optional<int64_t> id;
    {
        SIYU_ASSIGN_OR_RETURN(auto stmt, c.Prepare("SELECT customer_id FROM customer_identifiers WHERE tenant_id = ? "
                                                   "AND type = ? AND value = ?"));
        stmt.Bind(1, tenant_id).Bind(2, type).Bind(3, value);
        SIYU_ASSIGN_OR_RETURN(bool row, stmt.Step());
        if (row) id = stmt.Int(0);
    }
    if (!id) return id;
    SIYU_ASSIGN_OR_RETURN(int64_t survivor, SurvivingCustomer(c, tenant_id, *id));
    return std::optional<int64_t>(survivor);
}

Result<std::string> TenantTimeZone(store::Connection& c, int64_t tenant_id) {
    SIYU_ASSIGN_OR_RETURN(auto stmt, c.Prepare("SELECT time_zone FROM tenants WHERE tenant_id = ?"));
    stmt.Bind(1, tenant_id);
    SIYU_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row || stmt.IsNull(0) || stmt.Text(0).empty()) return std::string("Asia/Shanghai");
    return stmt.Text(0);
}

Result<std::optional<int64_t>> StaffIdOf(store::Connection& c, int64_t tenant_id, std::string_view userid) {
    SIYU_ASSIGN_OR_RETURN(auto stmt, c.Prepare("SELECT id FROM staff WHERE tenant_id = ? AND userid = ?"));
    stmt.Bind(1, tenant_id).Bind(2, userid);
    SIYU_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) return std::optional<int64_t>();
    return std::optional<int64_t>(stmt.Int(0));
}

std::string RandomCode(size_t length) {
    static constexpr char kAlphabet[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    std::string out;
    out.reserve(length);
    while (out.size() < length) {
        std::string bytes = RandomBytes(length * 2);
        for (unsigned char b : bytes) {
            if (b >= 248) continue;  // 248 = 4 * 62: keeps every character equally likely
            out.push_back(kAlphabet[b % 62]);
            if (out.size() == length) break;
        }
    }
    return out;
}

std::string JsonString(const Json& o, const char* key) {
    auto it = o.find(key);
    return it != o.end() && it->is_string() ? it->get<std::string>() : std::string();
}

int64_t JsonInt(const Json& o, const char* key, int64_t fallback) {
    auto it = o.find(key);
    if (it == o.end()) return fallback;
    if (it->is_number_integer()) return it->get<int64_t>();
    if (it->is_string()) {
        const std::string& s = it->get_ref<const std::string&>();
        char* end = nullptr;
        long long v = std::strtoll(s.c_str(), &end, 10);
        if (end != s.c_str() && *end == '\0') return v;
    }
    return fallback;
}

}  // namespace siyu::scrm

namespace siyu::scrm {

void Ticker::Start(int interval_ms, std::function<void()> fn) {
    if (thread_.joinable() || interval_ms <= 0) return;
    stop_ = false;
    thread_ = std::thread([this, interval_ms, fn = std::move(fn)] {
        std::unique_lock<std::mutex> lock(mu_);
        while (!stop_) {
            if (cv_.wait_for(lock, std::chrono::milliseconds(interval_ms), [this] { return stop_; })) break;
            lock.unlock();
            fn();
            lock.lock();
        }
    });
}

void Ticker::Stop() {
    {
        std::lock_guard<std::mutex> lock(mu_);
        stop_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
}

}  // namespace siyu::scrm
