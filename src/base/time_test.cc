#include "base/time.h"

#include <gtest/gtest.h>

namespace siyu {

TEST(Rfc3339, FormatsUtcWithMilliseconds) { EXPECT_EQ(FormatRfc3339(1'700'000'000'123), "2023-11-14T22:13:20.123Z"); }

TEST(Rfc3339, ParsesZuluAndOffsets) {
    EXPECT_EQ(ParseRfc3339("2023-11-14T22:13:20.123Z").value(), 1'700'000'000'123);
    EXPECT_EQ(ParseRfc3339("2023-11-14T22:13:20Z").value(), 1'700'000'000'000);
    EXPECT_EQ(ParseRfc3339("2023-11-15T06:13:20+08:00").value(), 1'700'000'000'000);
}

TEST(Rfc3339, AcceptsLowerCaseMicrosecondsAndNegativeOffsets) {
    EXPECT_EQ(ParseRfc3339("2023-11-14t22:13:20.123456z").value(), 1'700'000'000'123);
    EXPECT_EQ(ParseRfc3339("2023-11-14T17:13:20-05:00").value(), 1'700'000'000'000);
    EXPECT_EQ(ParseRfc3339("2024-02-29T00:00:00Z").value(), 1'709'164'800'000);
}

TEST(Rfc3339, RejectsGarbage) {
    EXPECT_FALSE(ParseRfc3339("2023-02-30T00:00:00Z").has_value());
    EXPECT_FALSE(ParseRfc3339("2023-11-14T25:00:00Z").has_value());
    EXPECT_FALSE(ParseRfc3339("2023-11-14T22:13:20").has_value());
    EXPECT_FALSE(ParseRfc3339("2023-11-14T22:13:20.Z").has_value());
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

TEST(LocalDateTime, IsWallClockTimeInTheTenantZone) {
    EXPECT_EQ(FormatRfc3339(ParseLocalDateTime("2010-12-01 08:26:00", "Europe/London").value()),
              "2010-12-01T08:26:00.000Z");
    EXPECT_EQ(FormatRfc3339(ParseLocalDateTime("2011-07-01 08:26:00", "Europe/London").value()),
              "2011-07-01T07:26:00.000Z");  // British Summer Time
    EXPECT_EQ(FormatRfc3339(ParseLocalDateTime("2026-11-22 09:30", "Asia/Shanghai").value()),
              "2026-11-22T01:30:00.000Z");
    EXPECT_EQ(FormatRfc3339(ParseLocalDateTime("2026/1/5T8:05:09.25", "Asia/Shanghai").value()),
              "2026-01-05T00:05:09.250Z");
    EXPECT_EQ(ParseLocalDateTime("2026-11-22", "Asia/Shanghai").value(),
              StartOfLocalDay("2026-11-22", "Asia/Shanghai").value());
}

TEST(LocalDateTime, TextWithAnOffsetIsAbsolute) {
    EXPECT_EQ(FormatRfc3339(ParseLocalDateTime("2026-11-22T09:30:00+08:00", "Europe/London").value()),
              "2026-11-22T01:30:00.000Z");
    EXPECT_EQ(FormatRfc3339(ParseLocalDateTime("2026-11-22T09:30:00Z", "Asia/Shanghai").value()),
              "2026-11-22T09:30:00.000Z");
}

TEST(LocalDateTime, SkippedAndRepeatedHoursResolveToTheEarliestInstant) {
    // 01:30 does not exist on 2011-03-27 in London; it maps to the change at 01:00 UTC.
    EXPECT_EQ(FormatRfc3339(ParseLocalDateTime("2011-03-27 01:30:00", "Europe/London").value()),
              "2011-03-27T01:00:00.000Z");
    // 01:30 happens twice on 2011-10-30; the first one is still summer time.
    EXPECT_EQ(FormatRfc3339(ParseLocalDateTime("2011-10-30 01:30:00", "Europe/London").value()),
              "2011-10-30T00:30:00.000Z");
}

TEST(LocalDateTime, RejectsMalformedTimes) {
    for (const char* bad : {"", "2011-12-01 8", "2011-12-01 25:00", "2011-02-30 10:00", "01/12/2011 10:00",
                            "2011-12-01 10:00:00 pm", "2011-12-01T10:00+8", "yesterday"}) {
        EXPECT_FALSE(ParseLocalDateTime(bad, "Europe/London").ok()) << bad;
    }
    EXPECT_FALSE(ParseLocalDateTime("2011-12-01 10:00", "Mars/Olympus").ok());
}

TEST(TimeZone, KnowsIanaNames) {
    EXPECT_TRUE(IsValidTimeZone("Asia/Shanghai"));
    EXPECT_TRUE(IsValidTimeZone("UTC"));
    EXPECT_FALSE(IsValidTimeZone("Mars/Olympus"));
    EXPECT_FALSE(IsValidTimeZone(""));
}

}  // namespace siyu
