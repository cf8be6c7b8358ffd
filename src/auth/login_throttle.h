#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>

#include "base/time.h"

namespace siyu::auth {

// Slows down password guessing. After `free_failures` failures for one key (an e-mail or an
// address) within the window, each further attempt must wait a back-off that doubles from
// 2 s up to 15 minutes. Thread-safe.
class LoginThrottle {
  public:
    static constexpr int kFreeFailures = 5;
    explicit LoginThrottle(int free_failures = kFreeFailures) : free_failures_(free_failures) {}
    static constexpr TimeMs kWindowMs = 15 * 60'000;
    static constexpr TimeMs kMaxBackoffMs = 15 * 60'000;

    // Milliseconds the caller must still wait before trying `key` again; 0 when allowed.
    TimeMs RetryAfterMs(const std::string& key, TimeMs now);
    void RecordFailure(const std::string& key, TimeMs now);
    void RecordSuccess(const std::string& key);

  private:
    struct Entry {
        int failures = 0;
        TimeMs first_failure = 0;
        TimeMs blocked_until = 0;
    };
    const int free_failures_;
    std::mutex mu_;
    std::unordered_map<std::string, Entry> entries_;  // GUARDED_BY(mu_)
};

}  // namespace siyu::auth
