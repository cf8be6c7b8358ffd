#include "auth/login_throttle.h"

#include <gtest/gtest.h>

namespace siyu::auth {

TEST(LoginThrottle, FiveFreeFailuresThenDoublingBackoff) {
    LoginThrottle t;
    TimeMs now = 1'000'000;
    for (int i = 0; i < LoginThrottle::kFreeFailures - 1; ++i) {
        t.RecordFailure("a@b.cn", now);
        EXPECT_EQ(t.RetryAfterMs("a@b.cn", now), 0);
    }
    t.RecordFailure("a@b.cn", now);
    EXPECT_EQ(t.RetryAfterMs("a@b.cn", now), 2000);
    t.RecordFailure("a@b.cn", now + 2000);
    EXPECT_EQ(t.RetryAfterMs("a@b.cn", now + 2000), 4000);
    EXPECT_EQ(t.RetryAfterMs("other@b.cn", now), 0);
}

TEST(LoginThrottle, SuccessClearsTheCount) {
    LoginThrottle t;
    for (int i = 0; i < 10; ++i) t.RecordFailure("k", 0);
    EXPECT_GT(t.RetryAfterMs("k", 0), 0);
    t.RecordSuccess("k");
    EXPECT_EQ(t.RetryAfterMs("k", 0), 0);
}

TEST(LoginThrottle, BackoffIsCappedAtFifteenMinutes) {
    LoginThrottle t;
    for (int i = 0; i < 40; ++i) t.RecordFailure("k", 0);
    EXPECT_EQ(t.RetryAfterMs("k", 0), LoginThrottle::kMaxBackoffMs);
}

}  // namespace siyu::auth
