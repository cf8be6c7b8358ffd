// Specs of the points programme: the ledger and its lots, expiry, holds, debt, refunds,
// idempotency, tiers, earning rules and the verification that proves it all adds up.

#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <thread>

#include "loyalty/earning_rules.h"
#include "loyalty/loyalty.h"
#include "loyalty/members.h"
#include "loyalty/points.h"
#include "loyalty/points_ledger.h"
#include "loyalty/tiers.h"
#include "loyalty/verify.h"
#include "store/test_database.h"

namespace siyu::loyalty {
namespace {

constexpr int64_t kDay = 86'400'000;

class PointsTest : public testing::Test {
  protected:
    void SetUp() override {
        db_ = store::OpenTestDatabase(std::string("loyalty_") +
                                      testing::UnitTest::GetInstance()->current_test_info()->name());
        ASSERT_TRUE(store::AddTestTenants(*db_, {1, 2}).ok());
        // 2026-05-01T04:00:00Z = 12:00 in Shanghai.
        now_ = *ParseRfc3339("2026-05-01T04:00:00Z");
        LoyaltyOptions options;
        options.clock = [this] { return now_.load(); };
        loyalty_ = std::make_unique<Loyalty>(
            db_.get(),
            [this](const std::vector<cdp::StoredEvent>& events) {
                std::lock_guard lock(mu_);
                for (const auto& e : events) events_.push_back(e);
            },
            options);
    }

    int64_t Customer(int64_t tenant = 1, std::optional<std::string> birthday = std::nullopt) {
        int64_t id = 0;
        EXPECT_TRUE(db_->Write([&](store::Connection& c) -> Status {
                           SIYU_ASSIGN_OR_RETURN(auto s, c.Prepare("INSERT INTO customers(tenant_id, birthday, "
                                                                   "created_at, updated_at) VALUES (?,?,0,0)"));
                           SIYU_RETURN_IF_ERROR(s.Bind(1, tenant).Bind(2, birthday).Run());
                           id = c.LastInsertId();
                           return Status::Ok();
                       }).ok());
        return id;
    }

    Request Req(std::optional<std::string> key = std::nullopt, std::string fingerprint = "", int64_t tenant = 1) {
        Request r;
        r.tenant_id = tenant;
        r.idempotency_key = std::move(key);
        r.fingerprint = std::move(fingerprint);
        r.actor.type = "user";
        r.actor.name = "tester";
        return r;
    }

    int64_t Member_(int64_t tenant = 1, std::optional<std::string> birthday = std::nullopt) {
        int64_t id = Customer(tenant, birthday);
        RegisterInput in;
        in.customer_id = id;
        in.channel = "store";
        auto out = loyalty_->members().Register(Req(std::nullopt, "", tenant), in);
        EXPECT_TRUE(out.ok()) << out.status().ToString();
        return id;
    }

    Member Get(int64_t customer, int64_t tenant = 1) {
        Member m;
        EXPECT_TRUE(db_->Read([&](store::Connection& c) -> Status {
                           Tx tx(c, tenant, now_);
                           SIYU_ASSIGN_OR_RETURN(m, tx.LoadMember(customer));
                           return Status::Ok();
                       }).ok());
        return m;
    }

    Json Earn(int64_t customer, int64_t points, std::optional<std::string> key = std::nullopt) {
        EarnInput in{customer, points, "campaign"};
        auto out = loyalty_->points().Earn(Req(key, std::to_string(points)), in);
        EXPECT_TRUE(out.ok()) << out.status().ToString();
        return out.ok() ? out->body : Json();
    }

    Result<Json> Order(int64_t customer, const std::string& id, int64_t amount, std::vector<OrderLine> lines = {}) {
        OrderFacts o;
        o.customer_id = customer;
        o.order_id = id;
        o.amount = amount;
        o.lines = std::move(lines);
        o.at = now_;
        Json out;
        Status st = loyalty_->exec().Write(1, [&](Tx& tx) -> Status {
            SIYU_ASSIGN_OR_RETURN(out, loyalty_->points().CompleteOrder(tx, o));
            return Status::Ok();
        });
        if (!st.ok()) return st;
        return out;
    }

    Result<Json> Refund(const std::string& id, int64_t amount) {
        Json out;
        Status st = loyalty_->exec().Write(1, [&](Tx& tx) -> Status {
            SIYU_ASSIGN_OR_RETURN(out, loyalty_->points().RefundOrder(tx, 0, id, amount));
            return Status::Ok();
        });
        if (!st.ok()) return st;
        return out;
    }

    void Settings(const Json& patch) {
        ASSERT_TRUE(loyalty_->exec()
                        .Write(1,
                               [&](Tx& tx) -> Status {
                                   LoyaltySettings s;
                                   SIYU_RETURN_IF_ERROR(ApplySettingsPatch(patch, &s));
                                   return tx.SaveSettings(s);
                               })
                        .ok());
    }

    int64_t Rule(const Json& body) {
        auto r = loyalty_->rules().Create(1, body, auth::Actor{});
        EXPECT_TRUE(r.ok()) << r.status().ToString();
        return r.ok() ? r->id : 0;
    }

    int64_t TierOf(const std::string& name, int64_t level, int64_t threshold, int64_t multiplier = 100) {
        TierInput in;
        in.name = name;
        in.level = level;
        in.threshold = threshold;
        in.multiplier = multiplier;
        auto t = loyalty_->tiers().Create(1, in, auth::Actor{});
        EXPECT_TRUE(t.ok()) << t.status().ToString();
        return t.ok() ? t->id : 0;
    }

    std::vector<std::string> Problems(int64_t tenant = 1) {
        auto r = Verify(*db_, tenant);
        EXPECT_TRUE(r.ok());
        return r.ok() ? r->problems : std::vector<std::string>{"verify failed"};
    }

    // Events published so far, after the projection has written those of the entries.
    size_t CountEvents(const std::string& name) {
        EXPECT_TRUE(loyalty_->ProjectLedger().ok());
        std::lock_guard lock(mu_);
        size_t n = 0;
        for (const auto& e : events_) n += e.name == name;
        return n;
    }

    std::unique_ptr<store::Database> db_;
    std::unique_ptr<Loyalty> loyalty_;
    std::atomic<TimeMs> now_{0};
    std::mutex mu_;
    std::vector<cdp::StoredEvent> events_;
};

TEST_F(PointsTest, EarnedPointsExpireAtTheEndOfTheYearAfterEarningInTheTenantsZone) {
    int64_t m = Member_();
    Earn(m, 100);
    auto lots = loyalty_->points().Lots(1, m);
    ASSERT_TRUE(lots.ok());
    ASSERT_EQ(lots->at("data").size(), 1u);
    // Midnight of 2028-01-01 in Shanghai is 2027-12-31T16:00:00Z.
    EXPECT_EQ(lots->at("data")[0]["expires_at"], "2027-12-31T16:00:00.000Z");
}

TEST_F(PointsTest, ExpiryCanBeFixedDaysOrNever) {
    Settings({{"points_expiry", "days"}, {"points_expiry_days", 30}});
    int64_t m = Member_();
    Earn(m, 10);
    EXPECT_EQ(loyalty_->points().Lots(1, m)->at("data")[0]["expires_at"], FormatRfc3339(now_ + 30 * kDay));
    Settings({{"points_expiry", "never"}});
    int64_t n = Member_();
    Earn(n, 10);
    EXPECT_TRUE(loyalty_->points().Lots(1, n)->at("data")[0]["expires_at"].is_null());
}

TEST_F(PointsTest, RedemptionConsumesTheOldestExpiringLotsFirst) {
    Settings({{"points_expiry", "days"}, {"points_expiry_days", 100}});
    int64_t m = Member_();
    Earn(m, 50);  // expires day 100
    now_ += 10 * kDay;
    Earn(m, 70);  // expires day 110
    CashRedeemInput in{m, 60, "O1", 100000};
    ASSERT_TRUE(loyalty_->points().RedeemForCash(Req(), in).ok());
    auto lots = loyalty_->points().Lots(1, m);
    ASSERT_EQ(lots->at("data").size(), 1u);
    EXPECT_EQ(lots->at("data")[0]["remaining"], 60);
    EXPECT_EQ(lots->at("data")[0]["amount"], 70);
    EXPECT_TRUE(Problems().empty());
}

TEST_F(PointsTest, BalanceNeverGoesNegativeAndAFailedRedemptionChangesNothing) {
    int64_t m = Member_();
    Earn(m, 40);
    CashRedeemInput in{m, 41, "O1", 100000};
    auto r = loyalty_->points().RedeemForCash(Req(), in);
    EXPECT_EQ(r.status().code(), StatusCode::kFailedPrecondition);
    EXPECT_EQ(Get(m).points, 40);
    auto adj = loyalty_->points().Adjust(Req(), m, -41, "too much");
    EXPECT_EQ(adj.status().code(), StatusCode::kFailedPrecondition);
    EXPECT_EQ(Get(m).points, 40);
    EXPECT_TRUE(Problems().empty());
}

TEST_F(PointsTest, CashRedemptionKeepsToTheRatioAndTheMaximumShareOfTheOrder) {
    Settings({{"cash_points_per_yuan", 200}, {"max_cash_share_pct", 30}});
    int64_t m = Member_();
    Earn(m, 10000);
    auto ok = loyalty_->points().RedeemForCash(Req(), CashRedeemInput{m, 600, "O1", 1000});  // ¥3 of ¥10
    ASSERT_TRUE(ok.ok()) << ok.status().ToString();
    EXPECT_EQ(ok->body["cash_value"], 300);
    auto over = loyalty_->points().RedeemForCash(Req(), CashRedeemInput{m, 602, "O2", 1000});
    EXPECT_EQ(over.status().field(), "points");
    auto odd = loyalty_->points().RedeemForCash(Req(), CashRedeemInput{m, 3, "O3", 100000});  // 1.5 fen
    EXPECT_EQ(odd.status().field(), "points");
}

TEST_F(PointsTest, HoldsMovePointsAsideUntilCapturedOrReleased) {
    int64_t m = Member_();
    Earn(m, 100);
    auto hold = loyalty_->points().CreateHold(Req(), m, 70, "O1");
    ASSERT_TRUE(hold.ok());
    EXPECT_EQ(Get(m).points, 30);
    EXPECT_EQ(Get(m).points_held, 70);
    EXPECT_EQ(loyalty_->points().CreateHold(Req(), m, 31, "O2").status().code(), StatusCode::kFailedPrecondition);
    int64_t id = hold->body["hold"]["id"];
    ASSERT_TRUE(loyalty_->points().SettleHold(Req(), id, false).ok());
    EXPECT_EQ(Get(m).points, 100);
    EXPECT_EQ(Get(m).points_held, 0);
    EXPECT_EQ(loyalty_->points().SettleHold(Req(), id, true).status().code(), StatusCode::kFailedPrecondition);
    auto second = loyalty_->points().CreateHold(Req(), m, 25, "O3");
    ASSERT_TRUE(loyalty_->points().SettleHold(Req(), second->body["hold"]["id"], true).ok());
    EXPECT_EQ(Get(m).points, 75);
    EXPECT_EQ(Get(m).points_held, 0);
    EXPECT_TRUE(Problems().empty());
}

TEST_F(PointsTest, ExpiryRunExpiresDueLotsAndWarnsOnceBeforehand) {
    Settings({{"points_expiry", "days"}, {"points_expiry_days", 60}, {"points_expiring_notice_days", 7}});
    int64_t m = Member_();
    Earn(m, 80);
    now_ += 20 * kDay;
    Earn(m, 20);
    now_ += 50 * kDay;  // day 70: the first lot (due day 60) expires
    ASSERT_TRUE(loyalty_->points().Sweep(1).ok());
    EXPECT_EQ(Get(m).points, 20);
    EXPECT_EQ(CountEvents("Points Expired"), 1u);
    // The second lot (day 80) is within 7 days at day 75: one warning, however often the sweep runs.
    now_ += 5 * kDay;
    ASSERT_TRUE(loyalty_->points().Sweep(1).ok());
    ASSERT_TRUE(loyalty_->points().Sweep(1).ok());
    EXPECT_EQ(CountEvents("Points Expiring"), 1u);
    now_ += 6 * kDay;
    ASSERT_TRUE(loyalty_->points().Sweep(1).ok());
    EXPECT_EQ(Get(m).points, 0);
    EXPECT_EQ(CountEvents("Points Expired"), 2u);
    EXPECT_TRUE(Problems().empty());
}

TEST_F(PointsTest, ARefundThatWouldMakeTheBalanceNegativeRecordsDebtThatLaterEarningsPayOff) {
    Rule({{"name", "1/元"}, {"kind", "spend"}, {"config", {{"points", 1}}}});
    int64_t m = Member_();
    ASSERT_TRUE(Order(m, "O1", 50000).ok());  // 500
    ASSERT_TRUE(loyalty_->points().Adjust(Req(), m, -450, "gift").ok());
    auto r = Refund("O1", 50000);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(Get(m).points, 0);
    EXPECT_EQ(Get(m).points_debt, 450);
    ASSERT_TRUE(Order(m, "O2", 30000).ok());  // 300 pays debt
    EXPECT_EQ(Get(m).points, 0);
    EXPECT_EQ(Get(m).points_debt, 150);
    ASSERT_TRUE(Order(m, "O3", 20000).ok());
    EXPECT_EQ(Get(m).points, 50);
    EXPECT_EQ(Get(m).points_debt, 0);
    EXPECT_TRUE(Problems().empty());
}

TEST_F(PointsTest, PartialRefundsReverseInProportionWithoutRoundingDrift) {
    Rule({{"name", "1/元"}, {"kind", "spend"}, {"config", {{"points", 1}}}});
    int64_t m = Member_();
    ASSERT_TRUE(Order(m, "O1", 10000).ok());  // 100 points on ¥100
    for (int i = 0; i < 2; ++i) ASSERT_TRUE(Refund("O1", 3333).ok());
    EXPECT_EQ(Get(m).points, 100 - 66);
    ASSERT_TRUE(Refund("O1", 3334).ok());
    EXPECT_EQ(Get(m).points, 0);
    // Nothing left to refund, nothing more reversed.
    ASSERT_TRUE(Refund("O1", 100).ok());
    EXPECT_EQ(Get(m).points, 0);
    EXPECT_EQ(Get(m).points_debt, 0);
    EXPECT_TRUE(Problems().empty());
}

TEST_F(PointsTest, ARefundReturnsRedeemedPointsInTheSameProportion) {
    int64_t m = Member_();
    Earn(m, 1000);
    ASSERT_TRUE(loyalty_->points().RedeemForCash(Req(), CashRedeemInput{m, 400, "O1", 100000}).ok());
    auto hold = loyalty_->points().CreateHold(Req(), m, 200, "O1");
    ASSERT_TRUE(loyalty_->points().SettleHold(Req(), hold->body["hold"]["id"], true).ok());
    ASSERT_TRUE(loyalty_->exec()
                    .Write(1,
                           [&](Tx& tx) -> Status {
                               OrderFacts o{m, "O1", 100000, std::nullopt, {}, now_};
                               return loyalty_->points().CompleteOrder(tx, o).status();
                           })
                    .ok());
    EXPECT_EQ(Get(m).points, 400);
    auto r = Refund("O1", 25000);  // a quarter: 150 of the 600 redeemed come back
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->at("restored"), 150);
    EXPECT_EQ(Get(m).points, 550);
    ASSERT_TRUE(Refund("O1", 75000).ok());
    EXPECT_EQ(Get(m).points, 1000);
    EXPECT_TRUE(Problems().empty());
}

TEST_F(PointsTest, ARetryWithTheSameKeyReturnsTheOriginalResultAndChangesNothing) {
    int64_t m = Member_();
    Json first = Earn(m, 30, "key-1");
    auto again = loyalty_->points().Earn(Req("key-1", "30"), EarnInput{m, 30, "campaign"});
    ASSERT_TRUE(again.ok());
    EXPECT_TRUE(again->replayed);
    EXPECT_EQ(again->body, first);
    EXPECT_EQ(Get(m).points, 30);
    auto other = loyalty_->points().Earn(Req("key-1", "31"), EarnInput{m, 31, "campaign"});
    EXPECT_EQ(other.status().code(), StatusCode::kFailedPrecondition);
    EXPECT_EQ(other.status().field(), "Idempotency-Key");
    // Keys are per tenant.
    int64_t t2 = Member_(2);
    auto elsewhere = loyalty_->points().Earn(Req("key-1", "30", 2), EarnInput{t2, 30, "campaign"});
    ASSERT_TRUE(elsewhere.ok());
    EXPECT_FALSE(elsewhere->replayed);
}

TEST_F(PointsTest, EveryMovementGetsItsEventExactlyOnceAfterTheCommit) {
    int64_t m = Member_();
    ASSERT_TRUE(loyalty_->ProjectLedger().ok());  // the registration's own entries, if any
    auto stored = [&](const std::string& name) {
        int64_t n = -1;
        EXPECT_TRUE(db_->Read([&](store::Connection& c) -> Status {
                           SIYU_ASSIGN_OR_RETURN(auto s, c.Prepare("SELECT count(*) FROM events WHERE name = ?"));
                           s.Bind(1, name);
                           SIYU_ASSIGN_OR_RETURN(bool row, s.Step());
                           n = row ? s.Int(0) : -1;
                           return Status::Ok();
                       }).ok());
        return n;
    };
    auto trait = [&] {
        std::string points = "none";
        EXPECT_TRUE(db_->Read([&](store::Connection& c) -> Status {
                           SIYU_ASSIGN_OR_RETURN(auto s, c.Prepare("SELECT json_extract(traits, '$.points') FROM "
                                                                   "customers WHERE id = ?"));
                           s.Bind(1, m);
                           SIYU_ASSIGN_OR_RETURN(bool row, s.Step());
                           if (row && !s.IsNull(0)) points = s.Text(0);
                           return Status::Ok();
                       }).ok());
        return points;
    };
    Json earned = Earn(m, 30, "key-e");
    Earn(m, 12);
    // Written from the ledger after the commit, not inside it: the events and the profile's
    // `points` trait.
    EXPECT_EQ(stored("Points Earned"), 0);
    EXPECT_EQ(trait(), "0");  // as registered
    ASSERT_TRUE(loyalty_->ProjectLedger().ok());
    EXPECT_EQ(stored("Points Earned"), 2);
    EXPECT_EQ(trait(), "42");
    // Again: nothing new, nothing twice; not even from a position set back.
    ASSERT_TRUE(loyalty_->ProjectLedger().ok());
    EXPECT_EQ(stored("Points Earned"), 2);
    ASSERT_TRUE(db_->Write([](store::Connection& c) {
                       return c.Exec("UPDATE loyalty_projections SET position = 0");
                   }).ok());
    ASSERT_TRUE(loyalty_->ProjectLedger().ok());
    EXPECT_EQ(stored("Points Earned"), 2);
    EXPECT_EQ(CountEvents("Points Earned"), 2u);  // published once each
    // The event carries the movement as the entry recorded it.
    std::string props;
    ASSERT_TRUE(db_->Read([&](store::Connection& c) -> Status {
                       SIYU_ASSIGN_OR_RETURN(auto s, c.Prepare("SELECT properties, customer_id FROM events WHERE "
                                                               "name = 'Points Earned' ORDER BY id LIMIT 1"));
                       SIYU_ASSIGN_OR_RETURN(bool row, s.Step());
                       if (row) props = s.Text(0);
                       EXPECT_EQ(row ? s.Int(1) : 0, m);
                       return Status::Ok();
                   }).ok());
    Json p = Json::parse(props);
    EXPECT_EQ(p["entry_id"], earned["entry_id"]);
    EXPECT_EQ(p["points"], 30);
    EXPECT_EQ(p["change"], 30);
    EXPECT_EQ(p["balance"], 30);
    EXPECT_EQ(p["source_type"], "campaign");
    // A retry of the first request is no movement: no event.
    ASSERT_TRUE(loyalty_->points().Earn(Req("key-e", "30"), EarnInput{m, 30, "campaign"}).ok());
    ASSERT_TRUE(loyalty_->ProjectLedger().ok());
    EXPECT_EQ(stored("Points Earned"), 2);
    // The check command finds an entry whose event went missing.
    EXPECT_TRUE(Problems().empty());
    ASSERT_TRUE(db_->Write([&](store::Connection& c) -> Status {
                       return c.Exec("DELETE FROM events WHERE name = 'Points Earned' AND id = (SELECT MIN(id) FROM "
                                     "events WHERE name = 'Points Earned')");
                   }).ok());
    auto problems = Problems();
    ASSERT_EQ(problems.size(), 1u);
    EXPECT_NE(problems[0].find("has no event"), std::string::npos) << problems[0];
}

TEST_F(PointsTest, ATransferMovesPointsBetweenMembersOnBothLedgers) {
    int64_t a = Member_(), b = Member_();
    Earn(a, 100);
    auto out = loyalty_->points().Transfer(Req(), a, b, 60, "家庭共享");
    ASSERT_TRUE(out.ok()) << out.status().ToString();
    EXPECT_EQ(Get(a).points, 40);
    EXPECT_EQ(Get(b).points, 60);
    EXPECT_EQ(loyalty_->points().Transfer(Req(), a, b, 41, "x").status().code(), StatusCode::kFailedPrecondition);
    EXPECT_EQ(loyalty_->points().Transfer(Req(), a, a, 1, "x").status().field(), "to_customer_id");
    EXPECT_EQ(loyalty_->points().Transfer(Req(), a, b, 1, "").status().field(), "reason");
    EXPECT_EQ(CountEvents("Points Transferred"), 2u);
    EXPECT_TRUE(Problems().empty());
}

TEST_F(PointsTest, AMemberMergedIntoANonMemberStaysTheSurvivorsMembership) {
    int64_t member = Member_();
    Earn(member, 70);
    int64_t survivor = Customer();
    ASSERT_TRUE(db_->Write([&](store::Connection& c) -> Status {
                       return c.Exec("UPDATE customers SET merged_into = " + std::to_string(survivor) +
                                     " WHERE id = " + std::to_string(member));
                   }).ok());
    EXPECT_EQ(Get(survivor).customer_id, member);
    Earn(survivor, 5);
    EXPECT_EQ(Get(member).points, 75);
    RegisterInput again;
    again.customer_id = survivor;
    EXPECT_EQ(loyalty_->members().Register(Req(), again).status().code(), StatusCode::kFailedPrecondition);
    EXPECT_TRUE(Problems().empty());
}

TEST_F(PointsTest, ARefundGivesBackOnlyTheOrderMembersOwnRedemptions) {
    int64_t a = Member_(), b = Member_();
    Earn(a, 1000);
    ASSERT_TRUE(loyalty_->points().RedeemForCash(Req(), CashRedeemInput{a, 500, "X", 100000}).ok());
    ASSERT_TRUE(Order(b, "X", 10000).ok());
    ASSERT_TRUE(Refund("X", 10000).ok());
    EXPECT_EQ(Get(a).points, 500);
    EXPECT_EQ(Get(b).points, 0);
    // Paying for another customer's order with points is refused.
    EXPECT_EQ(loyalty_->points().RedeemForCash(Req(), CashRedeemInput{a, 10, "X", 100000}).status().field(), "order_id");
    EXPECT_TRUE(Problems().empty());
}

TEST_F(PointsTest, TheCashShareHoldsForTheWholeOrderAcrossRequests) {
    int64_t m = Member_();
    Earn(m, 100000);
    ASSERT_TRUE(loyalty_->points().RedeemForCash(Req(), CashRedeemInput{m, 3000, "O1", 10000}).ok());  // ¥30 of ¥100
    ASSERT_TRUE(loyalty_->points().CreateHold(Req(), m, 1500, "O1").ok());                            // ¥15 held
    EXPECT_EQ(loyalty_->points().RedeemForCash(Req(), CashRedeemInput{m, 600, "O1", 10000}).status().field(), "points");
    EXPECT_TRUE(loyalty_->points().RedeemForCash(Req(), CashRedeemInput{m, 500, "O1", 10000}).ok());
}

TEST_F(PointsTest, HeldPointsCannotBeSpentOnAnOrderRefundedInFull) {
    int64_t m = Member_();
    Earn(m, 1000);
    ASSERT_TRUE(Order(m, "O1", 10000).ok());
    auto hold = loyalty_->points().CreateHold(Req(), m, 300, "O1");
    ASSERT_TRUE(Refund("O1", 10000).ok());
    int64_t id = hold->body["hold"]["id"];
    EXPECT_EQ(loyalty_->points().SettleHold(Req(), id, true).status().code(), StatusCode::kFailedPrecondition);
    ASSERT_TRUE(loyalty_->points().SettleHold(Req(), id, false).ok());
    EXPECT_EQ(Get(m).points, 1000);
}

TEST_F(PointsTest, ADeletedCustomersPointsStillExpireAndOthersAreNotHeldUp) {
    Settings({{"points_expiry", "days"}, {"points_expiry_days", 1}});
    TierOf("普卡", 0, 0);
    int64_t a = Member_(), b = Member_();
    Earn(a, 100);
    Earn(b, 100);
    ASSERT_TRUE(db_->Write([&](store::Connection& c) -> Status {
                       return c.Exec("UPDATE customers SET deleted_at = 1 WHERE id = " + std::to_string(a));
                   }).ok());
    now_ += 2 * kDay;
    ASSERT_TRUE(loyalty_->Sweep().ok());
    EXPECT_EQ(Get(b).points, 0);
    EXPECT_TRUE(Problems().empty());
}

TEST_F(PointsTest, TheTierMultiplierAppliesAfterTheRulesCaps) {
    TierOf("普卡", 0, 0, 150);
    Rule({{"name", "base"}, {"kind", "spend"}, {"config", {{"points", 1}, {"cap_per_order", 100}}}});
    int64_t m = Member_();
    EXPECT_EQ(Order(m, "O1", 1000000)->at("points"), 150);
}

TEST_F(PointsTest, CapsCountInTheDayOfTheOrder) {
    Rule({{"name", "base"},
          {"kind", "spend"},
          {"config", {{"points", 1}, {"cap_per_customer", {{"points", 100}, {"period", "day"}}}}}});
    int64_t m = Member_();
    auto at = [&](const std::string& id, TimeMs when) -> Json {
        Json out;
        EXPECT_TRUE(loyalty_->exec()
                        .Write(1,
                               [&](Tx& tx) -> Status {
                                   OrderFacts o{m, id, 10000, std::nullopt, {}, when};
                                   SIYU_ASSIGN_OR_RETURN(out, loyalty_->points().CompleteOrder(tx, o));
                                   return Status::Ok();
                               })
                        .ok());
        return out;
    };
    TimeMs yesterday = now_ - kDay;
    EXPECT_EQ(at("Y1", yesterday)["points"], 100);
    EXPECT_EQ(at("Y2", yesterday)["points"], 0);
    EXPECT_EQ(at("T1", now_)["points"], 100);
}

TEST_F(PointsTest, AnotherTenantsMemberIsNotFound) {
    int64_t m = Member_(2);
    auto r = loyalty_->points().Earn(Req(), EarnInput{m, 10, "x"});
    EXPECT_EQ(r.status().code(), StatusCode::kNotFound);
}

TEST_F(PointsTest, TiersRiseAtOnceOnPointsEarnedNotTheBalance) {
    TierOf("普卡", 0, 0);
    int64_t silver = TierOf("银卡", 1, 1000);
    int64_t m = Member_();
    Earn(m, 900);
    ASSERT_TRUE(loyalty_->points().RedeemForCash(Req(), CashRedeemInput{m, 500, "O1", 1000000}).ok());
    Earn(m, 100);  // earned 1000, balance 500
    EXPECT_EQ(Get(m).tier_id, silver);
    EXPECT_EQ(CountEvents("Tier Changed"), 2u);  // entry tier, then silver
}

TEST_F(PointsTest, TiersFallOnlyAtTheReviewAfterTheGracePeriod) {
    Settings({{"tier_window_days", 30}, {"downgrade_grace_days", 10}});
    int64_t base = TierOf("普卡", 0, 0);
    int64_t silver = TierOf("银卡", 1, 100);
    int64_t m = Member_();
    Earn(m, 150);
    EXPECT_EQ(Get(m).tier_id, silver);
    now_ += 31 * kDay;  // the earning left the window
    Earn(m, 1);
    EXPECT_EQ(Get(m).tier_id, silver);  // no fall between reviews
    ASSERT_TRUE(loyalty_->tiers().Sweep(1).ok());
    EXPECT_EQ(Get(m).tier_id, silver);  // grace starts
    now_ += 9 * kDay;
    ASSERT_TRUE(loyalty_->tiers().Sweep(1).ok());
    EXPECT_EQ(Get(m).tier_id, silver);
    now_ += 2 * kDay;
    ASSERT_TRUE(loyalty_->tiers().Sweep(1).ok());
    EXPECT_EQ(Get(m).tier_id, base);
}

TEST_F(PointsTest, QualifyingAgainDuringGraceCancelsTheDowngrade) {
    Settings({{"tier_window_days", 30}, {"downgrade_grace_days", 10}});
    TierOf("普卡", 0, 0);
    int64_t silver = TierOf("银卡", 1, 100);
    int64_t m = Member_();
    Earn(m, 150);
    now_ += 31 * kDay;
    ASSERT_TRUE(loyalty_->tiers().Sweep(1).ok());
    Earn(m, 100);
    now_ += 11 * kDay;
    ASSERT_TRUE(loyalty_->tiers().Sweep(1).ok());
    EXPECT_EQ(Get(m).tier_id, silver);
}

TEST_F(PointsTest, TiersOnSpendCountCompletedOrdersLessRefunds) {
    Settings({{"tier_basis", "spend"}});
    TierOf("普卡", 0, 0);
    int64_t silver = TierOf("银卡", 1, 50000);
    int64_t m = Member_();
    ASSERT_TRUE(Order(m, "O1", 40000).ok());
    EXPECT_NE(Get(m).tier_id, silver);
    ASSERT_TRUE(Order(m, "O2", 10000).ok());
    EXPECT_EQ(Get(m).tier_id, silver);
}

TEST_F(PointsTest, SpendRulesMultipliersAndTierMultipliersCombine) {
    TierOf("普卡", 0, 0, 150);
    Rule({{"name", "base"}, {"kind", "spend"}, {"config", {{"points", 1}, {"per_yuan", 2}}}});  // 1 per ¥2
    Rule({{"name", "护肤x2"}, {"kind", "multiplier"}, {"config", {{"multiplier_pct", 200}, {"categories", {"护肤"}}}}});
    Rule({{"name", "护肤x3"}, {"kind", "multiplier"}, {"config", {{"multiplier_pct", 300}, {"products", {"p1"}}}}});
    int64_t m = Member_();
    auto out = Order(m, "O1", 40000,
                     {OrderLine{"p1", "护肤", 10000, 1}, OrderLine{"p2", "护肤", 10000, 1}, OrderLine{"p3", "彩妆", 20000, 1}});
    ASSERT_TRUE(out.ok()) << out.status().ToString();
    // base: 50 + 50 + 100 = 200; p1 x3 → 150, p2 x2 → 100, p3 100 = 350; tier 1.5x → 525.
    EXPECT_EQ(out->at("points"), 525);
}

TEST_F(PointsTest, RulesApplyOnlyOnTheirDaysStoresAndDatesAndWithinTheirCaps) {
    Rule({{"name", "weekend"},
          {"kind", "spend"},
          {"priority", 10},
          {"config", {{"points", 5}, {"days_of_week", {6, 7}}, {"cap_per_customer", {{"points", 600}, {"period", "day"}}}}}});
    Rule({{"name", "base"}, {"kind", "spend"}, {"config", {{"points", 1}}}});
    int64_t m = Member_();
    // 2026-05-01 is a Friday.
    EXPECT_EQ(Order(m, "Fri", 10000)->at("points"), 100);
    now_ += kDay;  // Saturday
    EXPECT_EQ(Order(m, "Sat1", 10000)->at("points"), 500);
    EXPECT_EQ(Order(m, "Sat2", 10000)->at("points"), 100);  // 100 left under the cap
    now_ += kDay;  // Sunday: a new day under the cap
    EXPECT_EQ(Order(m, "Sun", 10000)->at("points"), 500);
}

TEST_F(PointsTest, PreviewShowsExactlyWhatTheOrderThenEarns) {
    Rule({{"name", "base"}, {"kind", "spend"}, {"config", {{"points", 1}}}});
    Rule({{"name", "首单"}, {"kind", "bonus"}, {"config", {{"trigger", "first_order"}, {"points", 88}}}});
    int64_t m = Member_();
    OrderFacts o{m, "O1", 12345, std::nullopt, {}, now_};
    auto preview = loyalty_->points().Preview(1, o);
    ASSERT_TRUE(preview.ok());
    auto done = Order(m, "O1", 12345);
    ASSERT_TRUE(done.ok());
    EXPECT_EQ(preview->at("points"), done->at("points"));
    EXPECT_EQ(done->at("points"), 123 + 88);
    // The first-order bonus is given once; the same order id earns once.
    EXPECT_EQ(Order(m, "O2", 100)->at("points"), 1);
    EXPECT_EQ(Order(m, "O1", 12345)->at("duplicate"), true);
    EXPECT_EQ(Get(m).points, 123 + 88 + 1);
}

TEST_F(PointsTest, RegistrationBirthdayAndQuestionnaireBonusesAreGivenOncePerOccasion) {
    Rule({{"name", "注册"}, {"kind", "bonus"}, {"config", {{"trigger", "registration"}, {"points", 100}}}});
    Rule({{"name", "生日"}, {"kind", "bonus"}, {"config", {{"trigger", "birthday"}, {"points", 500}}}});
    int64_t m = Member_(1, "1990-05-02");
    EXPECT_EQ(Get(m).points, 100);
    ASSERT_TRUE(loyalty_->rules().Sweep(1).ok());
    EXPECT_EQ(Get(m).points, 100);  // not yet the birthday
    now_ += kDay;
    ASSERT_TRUE(loyalty_->rules().Sweep(1).ok());
    ASSERT_TRUE(loyalty_->rules().Sweep(1).ok());
    EXPECT_EQ(Get(m).points, 600);
    now_ += 365 * kDay;  // next year's birthday
    ASSERT_TRUE(loyalty_->rules().Sweep(1).ok());
    EXPECT_EQ(Get(m).points, 1100);
}

TEST_F(PointsTest, RuleConfigErrorsNameTheField) {
    EXPECT_EQ(CheckRule("spend", Json{{"points", 0}}).field(), "config.points");
    EXPECT_EQ(CheckRule("spend", Json{{"points", 1}, {"colour", "red"}}).field(), "config.colour");
    EXPECT_EQ(CheckRule("multiplier", Json::object()).field(), "config.multiplier_pct");
    EXPECT_EQ(CheckRule("bonus", Json{{"trigger", "questionnaire"}, {"points", 5}}).field(), "config.questionnaire_id");
    EXPECT_EQ(CheckRule("spend", Json{{"points", 1}, {"starts_at", "2026-02-01T00:00:00Z"}, {"ends_at", "2026-01-01T00:00:00Z"}})
                  .field(),
              "config.ends_at");
    EXPECT_TRUE(CheckRule("bonus", Json{{"trigger", "order"}, {"points", 5}, {"min_amount", 19900}}).ok());
}

TEST_F(PointsTest, VerifyFindsABalanceThatDoesNotMatchItsEntries) {
    int64_t m = Member_();
    Earn(m, 10);
    EXPECT_TRUE(Problems().empty());
    ASSERT_TRUE(db_->Write([&](store::Connection& c) -> Status {
                       return c.Exec("UPDATE members SET points = points + 1 WHERE customer_id = " + std::to_string(m));
                   }).ok());
    auto problems = Problems();
    ASSERT_FALSE(problems.empty());
    EXPECT_NE(problems[0].find("entries add up to"), std::string::npos);
}

TEST_F(PointsTest, ConcurrentEarningAndRedeemingKeepEveryBalanceEqualToItsEntries) {
    std::vector<int64_t> members;
    for (int i = 0; i < 4; ++i) members.push_back(Member_());
    std::atomic<int64_t> earned{0}, redeemed{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 8; ++t) {
        threads.emplace_back([&, t] {
            for (int i = 0; i < 60; ++i) {
                int64_t m = members[(t + i) % members.size()];
                std::string key = "k-" + std::to_string(t) + "-" + std::to_string(i);
                if (i % 3 == 2) {
                    auto r = loyalty_->points().RedeemForCash(Req(key, key), CashRedeemInput{m, 7, "O" + key, 100000});
                    if (r.ok()) redeemed += 7;
                } else {
                    auto r = loyalty_->points().Earn(Req(key, key), EarnInput{m, 5, "campaign"});
                    if (r.ok()) earned += 5;
                    // A retry of the same request never applies twice.
                    (void)loyalty_->points().Earn(Req(key, key), EarnInput{m, 5, "campaign"});
                }
            }
        });
    }
    for (auto& th : threads) th.join();
    int64_t total = 0;
    for (int64_t m : members) total += Get(m).points;
    EXPECT_EQ(total, earned.load() - redeemed.load());
    EXPECT_TRUE(Problems().empty());
}

}  // namespace
}  // namespace siyu::loyalty
