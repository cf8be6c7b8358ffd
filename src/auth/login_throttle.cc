#include "auth/login_throttle.h"

#include <algorithm>

namespace siyu::auth {

TimeMs LoginThrottle::RetryAfterMs(const std::string& key, TimeMs now) {
    std::lock_guard lock(mu_);
    auto it = entries_.find(key);
    if (it == entries_.end()) return 0;
    return std::max<TimeMs>(0, it->second.blocked_until - now);
}

void LoginThrottle::RecordFailure(const std::string& key, TimeMs now) {
    std::lock_guard lock(mu_);
    if (entries_.size() > 100'000) {
        for (auto it = entries_.begin(); it != entries_.end();) {
            it = now - it->second.first_failure > kWindowMs ? entries_.erase(it) : std::next(it);
        }
    }
    Entry& e = entries_[key];
    if (e.failures > 0 && now - e.first_failure > kWindowMs && now >= e.blocked_until) e = Entry{};
    if (e.failures == 0) e.first_failure = now;
    ++e.failures;
    if (e.failures >= free_failures_) {
        int extra = std::min(e.failures - free_failures_, 20);
        TimeMs backoff = std::min<TimeMs>(kMaxBackoffMs, TimeMs{2000} << extra);
        e.blocked_until = now + backoff;
    }
}

void LoginThrottle::RecordSuccess(const std::string& key) {
    std::lock_guard lock(mu_);
    entries_.erase(key);
}

}  // namespace siyu::auth
