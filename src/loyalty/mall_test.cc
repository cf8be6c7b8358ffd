#include "loyalty/mall.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "loyalty/coupons.h"
#include "loyalty/loyalty.h"
#include "loyalty/points_ledger.h"
#include "store/test_database.h"

namespace siyu::loyalty {
namespace {

const TimeMs kStart = *ParseRfc3339("2026-06-06T04:00:00Z");

struct MallFixture {
    std::unique_ptr<store::Database> db;
    std::atomic<TimeMs> now{kStart};
    std::unique_ptr<Loyalty> loyalty;
    std::atomic<int> next_key{0};

    explicit MallFixture(const std::string& name) : db(store::OpenTestDatabase(name)) {
        EXPECT_TRUE(store::AddTestTenants(*db, {1, 2}).ok());
        loyalty = std::make_unique<Loyalty>(db.get(), nullptr, LoyaltyOptions{.clock = [this] { return now.load(); }});
        for (int64_t id = 1; id <= 8; ++id) AddMember(id, 1, 10'000);
        Exec("INSERT INTO customers(id, tenant_id, created_at, updated_at) VALUES (9, 1, 0, 0)");  // not a member
        AddMember(20, 2, 10'000);
    }
    void AddMember(int64_t id, int64_t tenant, int64_t points) {
        Exec("INSERT INTO customers(id, tenant_id, created_at, updated_at) VALUES (" + std::to_string(id) + "," +
             std::to_string(tenant) + ",0,0)");
        Exec("INSERT INTO members(customer_id, tenant_id, member_no, registered_at, created_at, updated_at) VALUES (" +
             std::to_string(id) + "," + std::to_string(tenant) + ",'M" + std::to_string(id) + "',0,0,0)");
        Status st = loyalty->exec().Write(tenant, [&](Tx& tx) -> Status {
            SIYU_ASSIGN_OR_RETURN(loyalty::Member m, tx.LoadMember(id));
            EntryMeta meta;
            meta.reason = "opening balance";
            meta.source_type = "import";
            SIYU_RETURN_IF_ERROR(Credit(tx, m, EntryType::kEarn, points, meta, true).status());
            return tx.SaveMember(m);
        });
        EXPECT_TRUE(st.ok()) << st.ToString();
    }
    int64_t Exec(const std::string& sql) {
        int64_t id = 0;
        Status st = db->Write([&](store::Connection& c) -> Status {
            SIYU_RETURN_IF_ERROR(c.Exec(sql));
            id = c.LastInsertId();
            return Status::Ok();
        });
        EXPECT_TRUE(st.ok()) << st.ToString() << " " << sql;
        return id;
    }
    int64_t Int(const std::string& sql) {
        int64_t v = -1;
        EXPECT_TRUE(db->Read([&](store::Connection& c) -> Status {
                          SIYU_ASSIGN_OR_RETURN(auto s, c.Prepare(sql));
                          SIYU_ASSIGN_OR_RETURN(bool row, s.Step());
                          if (row) v = s.IsNull(0) ? 0 : s.Int(0);
                          return Status::Ok();
                      }).ok());
        return v;
    }
    int64_t Points(int64_t customer) {
        return Int("SELECT points FROM members WHERE customer_id = " + std::to_string(customer));
    }
    int64_t Events(const std::string& name) {
        EXPECT_TRUE(loyalty->ProjectLedger().ok());  // the events of points entries
        return Int("SELECT count(*) FROM events WHERE name = '" + name + "'");
    }
    Mall& mall() { return loyalty->mall(); }
    Request R() {
        Request r;
        r.tenant_id = 1;
        r.idempotency_key = "m" + std::to_string(++next_key);
        r.fingerprint = *r.idempotency_key;
        r.actor.name = "tester";
        return r;
    }
    int64_t Item(Json body) {
        if (!body.contains("name")) body["name"] = "帆布袋";
        if (!body.contains("kind")) body["kind"] = "gift";
        if (!body.contains("points_price")) body["points_price"] = 1000;
        auto item = mall().CreateItem(1, body, {});
        EXPECT_TRUE(item.ok()) << item.status().ToString();
        return item.ok() ? (*item)["id"].get<int64_t>() : 0;
    }
    std::vector<std::string> Verify() {
        std::vector<std::string> problems;
        int64_t n = 0, c = 0;
        EXPECT_TRUE(db->Read([&](store::Connection& conn) -> Status {
                          SIYU_RETURN_IF_ERROR(VerifyMall(conn, 1, &problems, &n));
                          return VerifyCoupons(conn, 1, &problems, &c);
                      }).ok());
        // Every balance equals the sum of its entries.
        EXPECT_EQ(Int("SELECT count(*) FROM members m WHERE points != (SELECT COALESCE(SUM(amount), 0) FROM "
                      "points_entries e WHERE e.customer_id = m.customer_id)"),
                  0);
        return problems;
    }
};

TEST(Mall, AnExchangeTakesThePointsAndTheStockInOneGo) {
    MallFixture f("mall_exchange");
    int64_t item = f.Item({{"stock", 5}});
    auto out = f.mall().Exchange(f.R(), item, 1, 2);
    ASSERT_TRUE(out.ok()) << out.status().ToString();
    EXPECT_EQ(out->status, 201);
    EXPECT_EQ(out->body["points"], 2000);
    EXPECT_EQ(out->body["points_balance"], 8000);
    EXPECT_EQ(f.Points(1), 8000);
    EXPECT_EQ(f.Int("SELECT stock FROM mall_items WHERE id = " + std::to_string(item)), 3);
    EXPECT_EQ(f.Events("Reward Exchanged"), 1);
    EXPECT_EQ(f.Events("Points Redeemed"), 1);
    EXPECT_TRUE(f.Verify().empty());
}

TEST(Mall, NotEnoughPointsOrStockChangesNothing) {
    MallFixture f("mall_short");
    int64_t pricey = f.Item({{"points_price", 6000}});
    ASSERT_TRUE(f.mall().Exchange(f.R(), pricey, 1, 1).ok());
    auto poor = f.mall().Exchange(f.R(), pricey, 1, 1);
    ASSERT_FALSE(poor.ok());
    EXPECT_EQ(poor.status().code(), StatusCode::kFailedPrecondition);
    EXPECT_EQ(f.Points(1), 4000);
    int64_t scarce = f.Item({{"stock", 1}});
    EXPECT_EQ(f.mall().Exchange(f.R(), scarce, 2, 2).status().field(), "quantity");
    EXPECT_EQ(f.Int("SELECT stock FROM mall_items WHERE id = " + std::to_string(scarce)), 1);
    EXPECT_EQ(f.Points(2), 10000);
    EXPECT_EQ(f.mall().Exchange(f.R(), scarce, 9, 1).status().code(), StatusCode::kNotFound);  // not a member
    EXPECT_EQ(f.mall().Exchange(f.R(), scarce, 20, 1).status().code(), StatusCode::kNotFound);  // other tenant
    EXPECT_EQ(f.mall().Exchange(f.R(), scarce, 1, 0).status().field(), "quantity");
    EXPECT_TRUE(f.Verify().empty());
}

TEST(Mall, APerCustomerLimitCountsExchangesNotCancelled) {
    MallFixture f("mall_limit");
    int64_t item = f.Item({{"per_customer_limit", 2}});
    auto first = f.mall().Exchange(f.R(), item, 1, 2);
    ASSERT_TRUE(first.ok());
    EXPECT_EQ(f.mall().Exchange(f.R(), item, 1, 1).status().field(), "quantity");
    ASSERT_TRUE(f.mall().Cancel(f.R(), first->body["id"].get<int64_t>(), "").ok());
    EXPECT_TRUE(f.mall().Exchange(f.R(), item, 1, 1).ok());
    EXPECT_TRUE(f.Verify().empty());
}

TEST(Mall, OnlyActiveItemsWithinTheirValidityCanBeExchanged) {
    MallFixture f("mall_validity");
    int64_t item = f.Item({{"valid_from", "2026-06-10T00:00:00Z"}, {"valid_to", "2026-06-20T00:00:00Z"}});
    EXPECT_EQ(f.mall().Exchange(f.R(), item, 1, 1).status().field(), "item_id");
    f.now = *ParseRfc3339("2026-06-12T00:00:00Z");
    EXPECT_TRUE(f.mall().Exchange(f.R(), item, 1, 1).ok());
    ASSERT_TRUE(f.mall().UpdateItem(1, item, {{"status", "paused"}}, {}).ok());
    EXPECT_EQ(f.mall().Exchange(f.R(), item, 1, 1).status().field(), "item_id");
    f.now = *ParseRfc3339("2026-06-20T00:00:00Z");
    ASSERT_TRUE(f.mall().UpdateItem(1, item, {{"status", "active"}}, {}).ok());
    EXPECT_EQ(f.mall().Exchange(f.R(), item, 1, 1).status().field(), "item_id");
}

TEST(Mall, CancellingRestoresThePointsAndStockOnce) {
    MallFixture f("mall_cancel");
    int64_t item = f.Item({{"stock", 3}});
    auto out = f.mall().Exchange(f.R(), item, 1, 3);
    ASSERT_TRUE(out.ok());
    int64_t id = out->body["id"].get<int64_t>();
    Request r = f.R();
    auto cancelled = f.mall().Cancel(r, id, "顾客不要了");
    ASSERT_TRUE(cancelled.ok()) << cancelled.status().ToString();
    EXPECT_EQ(cancelled->body["status"], "cancelled");
    EXPECT_EQ(f.Points(1), 10000);
    EXPECT_EQ(f.Int("SELECT stock FROM mall_items WHERE id = " + std::to_string(item)), 3);
    EXPECT_TRUE(f.mall().Cancel(r, id, "顾客不要了")->replayed);
    EXPECT_EQ(f.mall().Cancel(f.R(), id, "").status().code(), StatusCode::kFailedPrecondition);
    EXPECT_EQ(f.Points(1), 10000);
    EXPECT_EQ(f.Events("Reward Exchange Cancelled"), 1);
    EXPECT_TRUE(f.Verify().empty());
}

TEST(Mall, ACouponRewardIssuesCouponsAndCancellingVoidsThemUnlessRedeemed) {
    MallFixture f("mall_coupon");
    auto t = f.loyalty->coupons().CreateTemplate(1, {{"name", "10元券"}, {"type", "cash_off"}, {"amount", 1000},
                                                     {"validity", {{"type", "relative"}, {"days", 30}}}}, {});
    ASSERT_TRUE(t.ok());
    int64_t item = f.Item({{"kind", "coupon"}, {"coupon_template_id", (*t)["id"]}, {"points_price", 500}});
    auto out = f.mall().Exchange(f.R(), item, 1, 2);
    ASSERT_TRUE(out.ok()) << out.status().ToString();
    ASSERT_EQ(out->body["coupons"].size(), 2u);
    EXPECT_EQ(out->body["coupons"][0]["source"], "mall");
    ASSERT_TRUE(f.mall().Cancel(f.R(), out->body["id"].get<int64_t>(), "").ok());
    EXPECT_EQ(f.Int("SELECT count(*) FROM coupons WHERE status = 'void'"), 2);

    auto again = f.mall().Exchange(f.R(), item, 1, 1);
    ASSERT_TRUE(again.ok());
    RedeemInput in;
    in.code = again->body["coupons"][0]["code"].get<std::string>();
    in.order_id = "o-1";
    in.order_amount = 5000;
    ASSERT_TRUE(f.loyalty->coupons().Redeem(f.R(), in).ok());
    auto refused = f.mall().Cancel(f.R(), again->body["id"].get<int64_t>(), "");
    ASSERT_FALSE(refused.ok());
    EXPECT_NE(refused.status().message().find("redeemed"), std::string::npos);
    EXPECT_TRUE(f.Verify().empty());
    auto bad = f.mall().CreateItem(1, {{"name", "x"}, {"kind", "coupon"}, {"points_price", 1}}, {});
    EXPECT_EQ(bad.status().field(), "coupon_template_id");
}

TEST(Mall, ConcurrentExchangesNeverOversellAndEveryBalanceMatchesItsEntries) {
    MallFixture f("mall_concurrent");
    int64_t item = f.Item({{"stock", 10}, {"points_price", 300}});
    std::atomic<int> done{0}, refused{0}, other{0};
    std::vector<std::thread> threads;
    for (int th = 0; th < 8; ++th) {
        threads.emplace_back([&, th] {
            for (int i = 0; i < 6; ++i) {
                auto r = f.mall().Exchange(f.R(), item, 1 + th, 1);
                if (r.ok()) {
                    ++done;
                } else if (r.status().code() == StatusCode::kFailedPrecondition) {
                    ++refused;
                } else {
                    ++other;
                }
            }
        });
    }
    for (auto& th : threads) th.join();
    EXPECT_EQ(done.load(), 10);
    EXPECT_EQ(refused.load(), 48 - 10);
    EXPECT_EQ(other.load(), 0);
    EXPECT_EQ(f.Int("SELECT stock FROM mall_items WHERE id = " + std::to_string(item)), 0);
    EXPECT_EQ(f.Int("SELECT SUM(quantity) FROM mall_exchanges WHERE status = 'done'"), 10);
    EXPECT_EQ(f.Int("SELECT SUM(10000 - points) FROM members WHERE tenant_id = 1 AND customer_id <= 8"), 3000);
    EXPECT_TRUE(f.Verify().empty());
}

TEST(Mall, VerifyFindsNegativeStockAndAnExchangeWithoutItsPoints) {
    MallFixture f("mall_verify");
    int64_t item = f.Item({{"stock", 2}});
    ASSERT_TRUE(f.mall().Exchange(f.R(), item, 1, 1).ok());
    EXPECT_TRUE(f.Verify().empty());
    f.Exec("UPDATE mall_items SET stock = -1");
    f.Exec("UPDATE mall_exchanges SET points = 1");
    EXPECT_EQ(f.Verify().size(), 2u);
}

TEST(Mall, BadItemInputNamesTheField) {
    MallFixture f("mall_input");
    auto field = [&](const Json& body) {
        auto r = f.mall().CreateItem(1, body, {});
        return r.ok() ? std::string("ok") : r.status().field();
    };
    EXPECT_EQ(field({{"name", "x"}, {"kind", "gift"}, {"points_price", 10}}), "ok");
    EXPECT_EQ(field({{"kind", "gift"}, {"points_price", 10}}), "name");
    EXPECT_EQ(field({{"name", "x"}, {"kind", "toy"}, {"points_price", 10}}), "kind");
    EXPECT_EQ(field({{"name", "x"}, {"kind", "gift"}}), "points_price");
    EXPECT_EQ(field({{"name", "x"}, {"kind", "gift"}, {"points_price", "10"}}), "points_price");
    EXPECT_EQ(field({{"name", "x"}, {"kind", "gift"}, {"points_price", 10}, {"stock", -1}}), "stock");
    EXPECT_EQ(field({{"name", "x"}, {"kind", "gift"}, {"points_price", 10}, {"valid_to", "soon"}}), "valid_to");
    EXPECT_EQ(field({{"name", "x"}, {"kind", "gift"}, {"points_price", 10}, {"price", 1}}), "price");
    EXPECT_EQ(f.mall().UpdateItem(1, 999, {{"name", "y"}}, {}).status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace siyu::loyalty
