#include "scrm/live_code_stats.h"

#include <gtest/gtest.h>

#include "store/test_database.h"

namespace siyu::scrm {
namespace {

TEST(DaysBetween, ListsEveryLocalDayAcrossADaylightSavingChange) {
    auto days = DaysBetween("2026-03-07", "2026-03-10", "America/New_York");
    EXPECT_EQ(days, (std::vector<std::string>{"2026-03-07", "2026-03-08", "2026-03-09"}));
    EXPECT_TRUE(DaysBetween("2026-03-07", "2026-03-07", "Asia/Shanghai").empty());
}

class LiveCodeStatsTest : public testing::Test {
  protected:
    void SetUp() override {
        db_ = store::OpenTestDatabase(std::string("live_code_stats_") +
                                      testing::UnitTest::GetInstance()->current_test_info()->name());
        ASSERT_TRUE(store::AddTestTenants(*db_, {1, 2}).ok());
        Exec("INSERT INTO live_codes(id, tenant_id, key, name, channel, assign_mode, created_at, updated_at) VALUES "
             "(1, 1, 'k1', '海报A', 'poster', 'round_robin', 0, 0), (2, 1, 'k2', '门店B', 'store', 'round_robin', 0, 0), "
             "(3, 1, 'k3', '海报C', 'poster', 'round_robin', 0, 0), (4, 2, 'k4', 'other', 'poster', 'round_robin', 0, 0)");
    }
    void Exec(const std::string& sql) {
        ASSERT_TRUE(db_->Write([&](store::Connection& c) { return c.Exec(sql); }).ok()) << sql;
    }
    void Log(int64_t inbox, const std::string& kind, std::optional<int64_t> code, const std::string& at,
             int64_t tenant = 1) {
        Exec("INSERT INTO scrm_contact_log(tenant_id, inbox_id, kind, external_userid, live_code_id, at) VALUES (" +
             std::to_string(tenant) + ", " + std::to_string(inbox) + ", '" + kind + "', 'e', " +
             (code ? std::to_string(*code) : "NULL") + ", " + std::to_string(*ParseRfc3339(at)) + ")");
    }
    void Scan(int64_t code, const std::string& at) {
        Exec("INSERT INTO live_code_scans(tenant_id, live_code_id, at) VALUES (1, " + std::to_string(code) + ", " +
             std::to_string(*ParseRfc3339(at)) + ")");
    }
    LiveCodeStatsQuery Query(const std::string& from, const std::string& to) {
        LiveCodeStatsQuery q;
        q.time_zone = "Asia/Shanghai";
        q.from = StartOfLocalDay(from, q.time_zone).value();
        q.to = StartOfLocalDay(to, q.time_zone).value();
        q.days = DaysBetween(from, to, q.time_zone);
        return q;
    }

    std::unique_ptr<store::Database> db_;
};

TEST_F(LiveCodeStatsTest, CountsScansAddsAndLossesPerCodeChannelAndLocalDay) {
    // 2026-01-01 in Shanghai runs from 2025-12-31T16:00Z to 2026-01-01T16:00Z.
    Scan(1, "2025-12-31T16:30:00Z");
    Scan(1, "2026-01-01T10:00:00Z");
    Scan(1, "2026-01-01T17:00:00Z");  // 2 January locally
    Scan(2, "2026-01-01T01:00:00Z");
    Log(1, "add", 1, "2025-12-31T17:00:00Z");
    Log(2, "add", 1, "2026-01-01T12:00:00Z");
    Log(3, "add", 2, "2026-01-01T13:00:00Z");
    Log(4, "loss", 1, "2026-01-02T02:00:00Z");
    Log(5, "ignored", 1, "2026-01-02T02:00:00Z");
    Log(6, "add", std::nullopt, "2026-01-01T02:00:00Z");
    Log(7, "add", 4, "2026-01-01T02:00:00Z", 2);    // another tenant
    Log(8, "add", 1, "2025-12-31T15:59:59Z");       // the day before the range
    auto report = LiveCodeStats(db_.get(), 1, Query("2026-01-01", "2026-01-03")).value();
    ASSERT_EQ(report.codes.size(), 3u);
    const CodeStats& a = report.codes[0];
    EXPECT_EQ(a.name, "海报A");
    ASSERT_EQ(a.days.size(), 2u);
    EXPECT_EQ(a.days[0].day, "2026-01-01");
    EXPECT_EQ(a.days[0].scans, 2);
    EXPECT_EQ(a.days[0].adds, 2);
    EXPECT_EQ(a.days[1].scans, 1);
    EXPECT_EQ(a.days[1].losses, 1);
    EXPECT_EQ(a.total.net_adds(), 1);
    EXPECT_EQ(report.codes[1].total.adds, 1);
    EXPECT_EQ(report.codes[1].total.scans, 1);
    EXPECT_EQ(report.codes[2].total.adds, 0);
    ASSERT_EQ(report.channels.size(), 2u);
    EXPECT_EQ(report.channels[0].channel, "poster");
    EXPECT_EQ(report.channels[0].total.adds, 2);
    EXPECT_EQ(report.channels[1].channel, "store");
    EXPECT_EQ(report.total.adds, 3);
    EXPECT_EQ(report.total.losses, 1);
    EXPECT_EQ(report.total.scans, 4);
}

TEST_F(LiveCodeStatsTest, FiltersByCodeAndChannelAndLeavesQuietDeletedCodesOut) {
    Log(1, "add", 1, "2026-01-01T02:00:00Z");
    Exec("UPDATE live_codes SET deleted_at = 1 WHERE id IN (1, 3)");
    auto q = Query("2026-01-01", "2026-01-02");
    auto all = LiveCodeStats(db_.get(), 1, q).value();
    ASSERT_EQ(all.codes.size(), 2u);  // 1 (deleted but active in the range) and 2
    q.channel = "store";
    auto store = LiveCodeStats(db_.get(), 1, q).value();
    ASSERT_EQ(store.codes.size(), 1u);
    EXPECT_EQ(store.codes[0].live_code_id, 2);
    q.channel.reset();
    q.live_code_id = 1;
    auto one = LiveCodeStats(db_.get(), 1, q).value();
    ASSERT_EQ(one.codes.size(), 1u);
    EXPECT_EQ(one.codes[0].total.adds, 1);
}

}  // namespace
}  // namespace siyu::scrm
