#include "base/time.h"

#include <gtest/gtest.h>

namespace siyu {

TEST(Rfc3339, FormatsUtcWithMilliseconds) { EXPECT_EQ(FormatRfc3339(1'700'000'000'123), "2023-11-14T22:13:20.123Z"); }

TEST(Rfc3339, ParsesZuluAndOffsets) {
    EXPECT_EQ(ParseRfc3339("2023-11-14T22:13:20.123Z").value(), 1'700'000'000'123);
    EXPECT_EQ(ParseRfc3339("2023-11-14T22:13:20Z").value(), 1'700'000'000'000);
    EXPECT_EQ(ParseRfc3339("2023-11-15T06:13:20+08:00").value(), 1'700'000'000'000);
}

TEST(Rfc3339, RejectsGarbage) {
    EXPECT_FALSE(ParseRfc3339("2023-11-14").has_value());
    EXPECT_FALSE(ParseRfc3339("yesterday").has_value());
    EXPECT_FALSE(ParseRfc3339("2023-11-14T22:13:20Zjunk").has_value());
}

TEST(LocalDay, ShanghaiMidnightIsSixteenHundredUtcTheDayBefore) {
    EXPECT_EQ(FormatRfc3339(StartOfLocalDay("2026-11-22", "Asia/Shanghai").value()), "2026-11-21T16:00:00.000Z");
    EXPECT_EQ(LocalDate(StartOfLocalDay("2026-11-22", "Asia/Shanghai").value(), "Asia/Shanghai"), "2026-11-22");
    EXPECT_EQ(LocalDate(StartOfLocalDay("2026-11-22", "Asia/Shanghai").value(), "UTC"), "2026-11-21");
}

TEST(LocalDay, RejectsImpossibleDates) {
    EXPECT_FALSE(IsValidDate("2026-02-30"));
    EXPECT_FALSE(IsValidDate("2026-13-01"));
    EXPECT_FALSE(IsValidDate("26-1-1"));
    EXPECT_TRUE(IsValidDate("2024-02-29"));
}

TEST(TimeZone, KnowsIanaNames) {
    EXPECT_TRUE(IsValidTimeZone("Asia/Shanghai"));
    EXPECT_TRUE(IsValidTimeZone("UTC"));
    EXPECT_FALSE(IsValidTimeZone("Mars/Olympus"));
    EXPECT_FALSE(IsValidTimeZone(""));
}

}  // namespace siyu
