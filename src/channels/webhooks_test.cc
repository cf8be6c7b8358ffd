// Specs of webhook subscriptions and the event follower that fans committed events out to the
// outbox.

#include "channels/webhooks.h"

#include <gtest/gtest.h>

#include "store/test_database.h"

namespace siyu::channels {
namespace {

class WebhooksTest : public testing::Test {
  protected:
    void SetUp() override {
        db_ = store::OpenTestDatabase(std::string("webhooks_") +
                                      testing::UnitTest::GetInstance()->current_test_info()->name());
        ASSERT_TRUE(store::AddTestTenants(*db_, {1, 2}).ok());
        box_ = std::make_unique<SecretBox>(*SecretBox::FromKey(std::string(32, 'k')));
        outbox_ = std::make_unique<Outbox>(db_.get(), OutboxOptions{});
        webhooks_ = std::make_unique<Webhooks>(db_.get(), outbox_.get(), box_.get());
    }

    int64_t Event(int64_t tenant, const std::string& type, const std::string& name) {
        int64_t id = 0;
        EXPECT_TRUE(db_->Write([&](store::Connection& c) -> Status {
                           SIYU_ASSIGN_OR_RETURN(auto s, c.Prepare("INSERT INTO events(tenant_id, customer_id, "
                                                                   "message_id, type, name, ts, received_at, properties) "
                                                                   "VALUES (?, 7, ?, ?, ?, 1767225600000, 0, ?)"));
                           SIYU_RETURN_IF_ERROR(s.Bind(1, tenant)
                                                    .Bind(2, RandomId())
                                                    .Bind(3, type)
                                                    .Bind(4, name)
                                                    .Bind(5, R"({"amount":12})")
                                                    .Run());
                           id = c.LastInsertId();
                           return Status::Ok();
                       }).ok());
        return id;
    }

    std::string RandomId() { return "m" + std::to_string(++seq_); }

    std::vector<OutboxMessage> Deliveries(int64_t tenant) {
        auto all = outbox_->List(tenant, std::nullopt, std::nullopt, 100);
        EXPECT_TRUE(all.ok());
        return *all;
    }

    std::unique_ptr<store::Database> db_;
    std::unique_ptr<SecretBox> box_;
    std::unique_ptr<Outbox> outbox_;
    std::unique_ptr<Webhooks> webhooks_;
    int seq_ = 0;
};

TEST(WebhookSignature, IsHmacSha256OfTimestampDotBody) {
    EXPECT_EQ(WebhookSignature("whsec_test", "1700000000", R"({"a":1})"),
              "sha256=38877139021993b830af32feea6e18a8da83eb2f6e49ee50bd9e4cf4ca4d3789");
}

TEST(ValidateWebhookUrl, AcceptsHttpAndHttpsWithAHost) {
    EXPECT_TRUE(ValidateWebhookUrl("https://example.com/hooks").ok());
    EXPECT_TRUE(ValidateWebhookUrl("http://127.0.0.1:8080").ok());
    EXPECT_TRUE(ValidateWebhookUrl("http://[::1]:9/x").ok());
    for (const char* bad : {"ftp://example.com", "example.com", "https://", "http://:80/x", "http://a b/",
                            "javascript:alert(1)"}) {
        Status st = ValidateWebhookUrl(bad);
        EXPECT_FALSE(st.ok()) << bad;
        EXPECT_EQ(st.field(), "url");
    }
}

TEST_F(WebhooksTest, CreateReturnsTheSecretOnceAndStoresItSealed) {
    auto created = webhooks_->Create(1, {.url = "https://example.com/h", .events = std::vector<std::string>{"*"}});
    ASSERT_TRUE(created.ok()) << created.status().ToString();
    const std::string& secret = created->second;
    EXPECT_TRUE(secret.starts_with("whsec_"));
    std::string stored;
    ASSERT_TRUE(db_->Read([&](store::Connection& c) -> Status {
                       SIYU_ASSIGN_OR_RETURN(auto s, c.Prepare("SELECT secret_sealed FROM webhook_subscriptions"));
                       SIYU_ASSIGN_OR_RETURN(bool row, s.Step());
                       if (row) stored = s.Text(0);
                       return Status::Ok();
                   }).ok());
    EXPECT_EQ(stored.find(secret), std::string::npos);
    EXPECT_EQ(*box_->Open(stored), secret);
}

TEST_F(WebhooksTest, InputIsValidatedWithTheField) {
    EXPECT_EQ(webhooks_->Create(1, {.events = std::vector<std::string>{"*"}}).status().field(), "url");
    EXPECT_EQ(webhooks_->Create(1, {.url = "https://x.example"}).status().field(), "events");
    EXPECT_EQ(webhooks_->Create(1, {.url = "https://x.example", .events = std::vector<std::string>{}}).status().field(),
              "events");
    EXPECT_TRUE(webhooks_->List(1, std::nullopt, 10)->empty());
}

TEST_F(WebhooksTest, TheFollowerFansOutMatchingEventsAfterTheSubscription) {
    int64_t before = Event(1, "track", "Order Completed");
    auto all = webhooks_->Create(1, {.url = "https://a.example", .events = std::vector<std::string>{"*"}});
    auto orders = webhooks_->Create(1, {.url = "https://b.example",
                                        .events = std::vector<std::string>{"Order Completed", "identify"}});
    auto other_tenant = webhooks_->Create(2, {.url = "https://c.example", .events = std::vector<std::string>{"*"}});
    ASSERT_TRUE(all.ok() && orders.ok() && other_tenant.ok());
    int64_t order = Event(1, "track", "Order Completed");
    int64_t viewed = Event(1, "track", "Product Viewed");
    int64_t identify = Event(1, "identify", "");
    auto n = webhooks_->FollowOnce();
    ASSERT_TRUE(n.ok()) << n.status().ToString();
    EXPECT_EQ(*n, 5);  // all: 3 events; orders: Order Completed and identify
    EXPECT_EQ(*webhooks_->FollowOnce(), 0);  // the cursor moved

    auto deliveries = Deliveries(1);
    ASSERT_EQ(deliveries.size(), 5u);
    std::multiset<std::pair<int64_t, int64_t>> seen;  // (subscription, event)
    for (const auto& d : deliveries) {
        EXPECT_EQ(d.kind, "webhook");
        const Json& body = d.payload["body"];
        seen.insert({d.payload["subscription_id"].get<int64_t>(), body["id"].get<int64_t>()});
        EXPECT_NE(body["id"], before);
        EXPECT_EQ(body["tenant_id"], 1);
        EXPECT_EQ(body["customer_id"], 7);
        EXPECT_EQ(body["timestamp"], "2026-01-01T00:00:00.000Z");
    }
    EXPECT_EQ(seen, (std::multiset<std::pair<int64_t, int64_t>>{{all->first.id, order},
                                                                 {all->first.id, viewed},
                                                                 {all->first.id, identify},
                                                                 {orders->first.id, order},
                                                                 {orders->first.id, identify}}));
    EXPECT_TRUE(Deliveries(2).empty());
    for (const auto& d : deliveries) {
        if (d.payload["body"]["id"] == order) {
            EXPECT_EQ(d.payload["event"], "Order Completed");
            EXPECT_EQ(d.payload["body"]["properties"]["amount"], 12);
        }
    }
}

TEST_F(WebhooksTest, InactiveAndDeletedSubscriptionsGetNothing) {
    auto a = webhooks_->Create(1, {.url = "https://a.example", .events = std::vector<std::string>{"*"}});
    auto b = webhooks_->Create(1, {.url = "https://b.example", .events = std::vector<std::string>{"*"}});
    ASSERT_TRUE(a.ok() && b.ok());
    ASSERT_TRUE(webhooks_->Update(1, a->first.id, {.active = false}).ok());
    ASSERT_TRUE(webhooks_->Delete(1, b->first.id).ok());
    EXPECT_EQ(webhooks_->Delete(2, a->first.id).code(), StatusCode::kNotFound);
    Event(1, "track", "X");
    EXPECT_EQ(*webhooks_->FollowOnce(), 0);
    EXPECT_TRUE(Deliveries(1).empty());
}

TEST_F(WebhooksTest, ANewFollowerContinuesFromThePersistedCursor) {
    ASSERT_TRUE(webhooks_->Create(1, {.url = "https://a.example", .events = std::vector<std::string>{"*"}}).ok());
    Event(1, "track", "A");
    EXPECT_EQ(*webhooks_->FollowOnce(), 1);
    Event(1, "track", "B");
    Webhooks restarted(db_.get(), outbox_.get(), box_.get());
    EXPECT_EQ(*restarted.FollowOnce(), 1);
    EXPECT_EQ(Deliveries(1).size(), 2u);
}

TEST_F(WebhooksTest, SendTestEnqueuesOneDelivery) {
    auto a = webhooks_->Create(1, {.url = "https://a.example", .events = std::vector<std::string>{"Order Completed"}});
    ASSERT_TRUE(a.ok());
    auto id = webhooks_->SendTest(1, a->first.id);
    ASSERT_TRUE(id.ok());
    auto m = outbox_->Get(1, *id);
    ASSERT_TRUE(m.ok());
    EXPECT_EQ(m->payload["event"], "Webhook Test");
    EXPECT_EQ(webhooks_->SendTest(2, a->first.id).status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace siyu::channels
