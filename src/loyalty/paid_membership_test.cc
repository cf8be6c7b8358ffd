#include "loyalty/paid_membership.h"

#include <gtest/gtest.h>

#include "loyalty/loyalty.h"
#include "store/test_database.h"

namespace siyu::loyalty {
namespace {

const TimeMs kStart = *ParseRfc3339("2026-06-06T04:00:00Z");  // 12:00 on 6 June in Shanghai
constexpr TimeMs kDay = 86'400'000;

struct Fixture {
    std::unique_ptr<store::Database> db;
    TimeMs now = kStart;
    std::unique_ptr<Loyalty> loyalty;
    int next_key = 0;
    int64_t plan = 0;

    explicit Fixture(const std::string& name) : db(store::OpenTestDatabase(name)) {
        EXPECT_TRUE(store::AddTestTenants(*db, {1, 2}).ok());
        loyalty = std::make_unique<Loyalty>(db.get(), nullptr, LoyaltyOptions{.clock = [this] { return now; }});
        for (int64_t id : {1, 2}) Member(id, 1);
        Member(3, 2);
        auto p = paid().CreatePlan(1, {.name = "黑金卡月卡", .price = 2900, .duration_days = 30,
                                       .benefits = std::vector<std::string>{"95折", "免邮"}}, {});
        EXPECT_TRUE(p.ok()) << p.status().ToString();
        plan = p.ok() ? p->id : 0;
    }
    void Member(int64_t id, int64_t tenant) {
        Status st = db->Write([&](store::Connection& c) -> Status {
            SIYU_ASSIGN_OR_RETURN(auto s, c.Prepare("INSERT INTO customers(id, tenant_id, created_at, updated_at) "
                                                    "VALUES (?,?,0,0)"));
            SIYU_RETURN_IF_ERROR(s.Bind(1, id).Bind(2, tenant).Run());
            SIYU_ASSIGN_OR_RETURN(auto m, c.Prepare("INSERT INTO members(customer_id, tenant_id, member_no, "
                                                    "registered_at, created_at, updated_at) VALUES (?,?,?,0,0,0)"));
            return m.Bind(1, id).Bind(2, tenant).Bind(3, "M" + std::to_string(id)).Run();
        });
        EXPECT_TRUE(st.ok()) << st.ToString();
    }
    PaidMemberships& paid() { return loyalty->paid(); }
    Request R() {
        Request r;
        r.tenant_id = 1;
        r.idempotency_key = "p" + std::to_string(++next_key);
        r.fingerprint = *r.idempotency_key;
        return r;
    }
    Json Buy(int64_t customer) {
        auto out = paid().Purchase(R(), {.customer_id = customer, .plan_id = plan});
        EXPECT_TRUE(out.ok()) << out.status().ToString();
        return out.ok() ? out->body : Json();
    }
    std::string Text(const std::string& sql) {
        std::string v;
        EXPECT_TRUE(db->Read([&](store::Connection& c) -> Status {
                          SIYU_ASSIGN_OR_RETURN(auto s, c.Prepare(sql));
                          SIYU_ASSIGN_OR_RETURN(bool row, s.Step());
                          if (row) v = s.IsNull(0) ? "NULL" : s.Text(0);
                          return Status::Ok();
                      }).ok());
        return v;
    }
    int64_t Events(const std::string& name) {
        return std::stoll(Text("SELECT count(*) FROM events WHERE name = '" + name + "'"));
    }
};

TEST(PaidMembership, APurchaseRunsWholeLocalDaysAndARenewalExtendsFromTheCurrentEnd) {
    Fixture f("pm_renew");
    Json first = f.Buy(1);
    EXPECT_EQ(first["status"], "active");
    EXPECT_EQ(first["renewal"], false);
    // 30 days counting 6 June: valid through 5 July, ending at midnight in Shanghai.
    EXPECT_EQ(first["ends_at"], "2026-07-05T16:00:00.000Z");
    EXPECT_EQ(first["plan"]["benefits"], (Json{"95折", "免邮"}));
    f.now += 10 * kDay;
    Json renewed = f.Buy(1);
    EXPECT_EQ(renewed["renewal"], true);
    EXPECT_EQ(renewed["ends_at"], "2026-08-04T16:00:00.000Z");
    EXPECT_EQ(renewed["starts_at"], FormatRfc3339(kStart));  // still in the first period
    EXPECT_EQ(renewed["periods"].size(), 2u);
    EXPECT_EQ(renewed["periods"][0]["starts_at"], "2026-07-05T16:00:00.000Z");
    EXPECT_EQ(f.Events("Paid Membership Purchased"), 1);
    EXPECT_EQ(f.Events("Paid Membership Renewed"), 1);
}

TEST(PaidMembership, BuyingAfterExpiryStartsAFreshPeriodNow) {
    Fixture f("pm_after_expiry");
    f.Buy(1);
    f.now += 40 * kDay;
    auto status = f.paid().Current(1, 1);
    ASSERT_TRUE(status.ok());
    EXPECT_EQ((*status)["status"], "expired");
    Json again = f.Buy(1);
    EXPECT_EQ(again["renewal"], false);
    EXPECT_EQ(again["starts_at"], FormatRfc3339(f.now));
    EXPECT_EQ(f.Events("Paid Membership Purchased"), 2);
}

TEST(PaidMembership, TheEndIsMirroredIntoTheCustomerTraitInTheSameTransaction) {
    Fixture f("pm_trait");
    f.Buy(1);
    EXPECT_EQ(f.Text("SELECT json_extract(traits, '$.paid_member_until') FROM customers WHERE id = 1"),
              "2026-07-05T16:00:00.000Z");
    f.Buy(1);
    EXPECT_EQ(f.Text("SELECT json_extract(traits, '$.paid_member_until') FROM customers WHERE id = 1"),
              "2026-08-04T16:00:00.000Z");
    // The profile change log sees the change (segments follow it).
    EXPECT_NE(f.Text("SELECT count(*) FROM customer_changes WHERE customer_id = 1"), "0");
}

TEST(PaidMembership, CancellingEndsItNowIncludingRenewalsNotYetBegun) {
    Fixture f("pm_cancel");
    f.Buy(1);
    f.Buy(1);
    f.now += kDay;
    auto out = f.paid().Cancel(f.R(), 1, "顾客要求");
    ASSERT_TRUE(out.ok()) << out.status().ToString();
    EXPECT_EQ(out->body["status"], "cancelled");
    EXPECT_EQ(out->body["ends_at"], FormatRfc3339(f.now));
    EXPECT_EQ(f.Text("SELECT json_extract(traits, '$.paid_member_until') FROM customers WHERE id = 1"),
              FormatRfc3339(f.now));
    EXPECT_EQ(f.Text("SELECT count(*) FROM paid_memberships WHERE cancelled_at IS NULL"), "0");
    EXPECT_EQ(f.paid().Cancel(f.R(), 1, "").status().code(), StatusCode::kFailedPrecondition);
    EXPECT_EQ(f.Events("Paid Membership Cancelled"), 1);
    // Buying again after a cancellation starts now, not at the cancelled end.
    Json again = f.Buy(1);
    EXPECT_EQ(again["renewal"], false);
}

TEST(PaidMembership, PlansOffSaleAndUnknownOnesCannotBeBought) {
    Fixture f("pm_plans");
    ASSERT_TRUE(f.paid().UpdatePlan(1, f.plan, {.active = false}, {}).ok());
    EXPECT_EQ(f.paid().Purchase(f.R(), {.customer_id = 1, .plan_id = f.plan}).status().field(), "plan_id");
    EXPECT_EQ(f.paid().Purchase(f.R(), {.customer_id = 1, .plan_id = 999}).status().code(), StatusCode::kNotFound);
    EXPECT_EQ(f.paid().Purchase(f.R(), {.customer_id = 3, .plan_id = f.plan}).status().code(), StatusCode::kNotFound);
    EXPECT_EQ(f.paid().CreatePlan(1, {.name = "x", .price = 1, .duration_days = 0}, {}).status().field(),
              "duration_days");
    EXPECT_EQ(f.Text("SELECT count(*) FROM paid_memberships"), "0");
}

TEST(PaidMembership, TheExpiringReminderIsSentOnceAndTheExpiryOnce) {
    Fixture f("pm_reminders");
    f.Buy(1);  // ends 2026-07-05T16:00Z; default notice 7 days
    ASSERT_TRUE(f.loyalty->Sweep().ok());
    EXPECT_EQ(f.Events("Paid Membership Expiring"), 0);
    f.now = *ParseRfc3339("2026-06-29T00:00:00Z");  // 6.7 days before the end
    ASSERT_TRUE(f.loyalty->Sweep().ok());
    ASSERT_TRUE(f.loyalty->Sweep().ok());
    EXPECT_EQ(f.Events("Paid Membership Expiring"), 1);
    EXPECT_EQ(f.Events("Paid Membership Expired"), 0);
    f.now = *ParseRfc3339("2026-07-05T16:00:00Z");
    ASSERT_TRUE(f.loyalty->Sweep().ok());
    ASSERT_TRUE(f.loyalty->Sweep().ok());
    EXPECT_EQ(f.Events("Paid Membership Expired"), 1);
    EXPECT_EQ(f.Events("Paid Membership Expiring"), 1);
}

TEST(PaidMembership, ARenewedMembershipIsRemindedForItsNewEndOnly) {
    Fixture f("pm_renew_reminder");
    f.Buy(1);
    f.now = *ParseRfc3339("2026-06-29T00:00:00Z");
    ASSERT_TRUE(f.loyalty->Sweep().ok());
    EXPECT_EQ(f.Events("Paid Membership Expiring"), 1);
    f.Buy(1);  // renewed through 4 August
    f.now = *ParseRfc3339("2026-07-06T00:00:00Z");
    ASSERT_TRUE(f.loyalty->Sweep().ok());
    EXPECT_EQ(f.Events("Paid Membership Expired"), 0);  // the first period ended, the membership did not
    f.now = *ParseRfc3339("2026-07-29T00:00:00Z");
    ASSERT_TRUE(f.loyalty->Sweep().ok());
    EXPECT_EQ(f.Events("Paid Membership Expiring"), 2);
}

TEST(PaidMembership, TheExpiringListHoldsMembersEndingWithinTheDays) {
    Fixture f("pm_expiring");
    f.Buy(1);  // ends in 29.5 days
    f.now += 20 * kDay;
    f.Buy(2);  // ends in 30 days from here
    auto week = f.paid().Expiring(1, 10, cdp::Visibility{}, 50, std::nullopt);
    ASSERT_TRUE(week.ok()) << week.status().ToString();
    ASSERT_EQ((*week)["data"].size(), 1u);
    EXPECT_EQ((*week)["data"][0]["customer_id"], 1);
    EXPECT_EQ((*week)["data"][0]["member_no"], "M1");
    auto month = f.paid().Expiring(1, 31, cdp::Visibility{}, 1, std::nullopt);
    ASSERT_TRUE(month.ok());
    ASSERT_EQ((*month)["data"].size(), 1u);
    auto next = f.paid().Expiring(1, 31, cdp::Visibility{}, 1, (*month)["next_cursor"].get<std::string>());
    ASSERT_TRUE(next.ok());
    ASSERT_EQ((*next)["data"].size(), 1u);
    EXPECT_EQ((*next)["data"][0]["customer_id"], 2);
    cdp::Visibility none;
    none.store_ids = std::vector<int64_t>{};
    EXPECT_EQ((*f.paid().Expiring(1, 31, none, 50, std::nullopt))["data"].size(), 0u);
}

}  // namespace
}  // namespace siyu::loyalty
