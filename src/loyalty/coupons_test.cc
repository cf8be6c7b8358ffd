#include "loyalty/coupons.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <set>
#include <thread>

#include "base/strings.h"
#include "loyalty/coupon_codes.h"
#include "loyalty/loyalty.h"
#include "store/test_database.h"

namespace siyu::loyalty {
namespace {

const TimeMs kStart = *ParseRfc3339("2026-06-06T04:00:00Z");  // 12:00 on 6 June in Shanghai
constexpr TimeMs kDay = 86'400'000;

// --- Codes -----------------------------------------------------------------------------------

TEST(CouponCodes, NewCodesHaveThirteenAlphabetCharactersAndPassTheCheck) {
    for (int i = 0; i < 1000; ++i) {
        std::string code = NewCouponCode();
        ASSERT_EQ(code.size(), kCouponCodeLength);
        for (char ch : code) ASSERT_NE(kCouponAlphabet.find(ch), std::string_view::npos) << code;
        ASSERT_TRUE(IsValidCouponCode(code)) << code;
    }
}

TEST(CouponCodes, TwentyThousandNewCodesAreAllDifferent) {
    std::set<std::string> seen;
    for (int i = 0; i < 20000; ++i) ASSERT_TRUE(seen.insert(NewCouponCode()).second);
}

TEST(CouponCodes, TheCheckCharacterCatchesEverySingleCharacterTypo) {
    for (int n = 0; n < 200; ++n) {
        std::string code = NewCouponCode();
        for (size_t pos = 0; pos < code.size(); ++pos) {
            for (char ch : kCouponAlphabet) {
                if (ch == code[pos]) continue;
                std::string typo = code;
                typo[pos] = ch;
                ASSERT_FALSE(IsValidCouponCode(typo)) << code << " → " << typo;
            }
        }
    }
}

TEST(CouponCodes, TheCheckCharacterCatchesEverySwapOfAdjacentCharacters) {
    int swaps = 0;
    for (int n = 0; n < 2000; ++n) {
        std::string code = NewCouponCode();
        for (size_t pos = 0; pos + 1 < code.size(); ++pos) {
            if (code[pos] == code[pos + 1]) continue;
            std::string swapped = code;
            std::swap(swapped[pos], swapped[pos + 1]);
            ASSERT_FALSE(IsValidCouponCode(swapped)) << code << " → " << swapped;
            ++swaps;
        }
    }
    EXPECT_GT(swaps, 20000);
}

TEST(CouponCodes, InputIsNormalisedAndGroupedForPeople) {
    std::string code = NewCouponCode();
    std::string typed = ToLower(FormatCouponCode(code));
    EXPECT_EQ(FormatCouponCode(code).size(), kCouponCodeLength + 3);
    EXPECT_EQ(NormalizeCouponCode(" " + typed + " "), code);
    EXPECT_FALSE(IsValidCouponCode("0000000000000"));  // 0 is not in the alphabet
    EXPECT_FALSE(IsValidCouponCode(code.substr(1)));
}

// --- Discount maths ----------------------------------------------------------------------------

CouponTemplate Template(const Json& body) {
    Json b = body;
    if (!b.contains("name")) b["name"] = "券";
    if (!b.contains("validity")) b["validity"] = {{"type", "relative"}, {"days", 7}};
    auto t = ParseTemplateInput(b);
    EXPECT_TRUE(t.ok()) << t.status().ToString();
    return t.ok() ? t.value() : CouponTemplate{};
}

RedeemInput Order(int64_t amount, std::vector<RedeemLine> lines = {}) {
    RedeemInput in;
    in.order_id = "o1";
    in.order_amount = amount;
    in.lines = std::move(lines);
    return in;
}

TEST(CouponRules, CashOffTakesItsAmountButNeverMoreThanTheOrder) {
    auto t = Template({{"type", "cash_off"}, {"amount", 1000}});
    EXPECT_EQ(*ComputeDiscount(t, Order(5000)), 1000);
    EXPECT_EQ(*ComputeDiscount(t, Order(600)), 600);
    EXPECT_EQ(DiscountDescription(t), "立减10元");
}

TEST(CouponRules, ThresholdNeedsTheOrderToReachIt) {
    auto t = Template({{"type", "threshold"}, {"amount", 2000}, {"min_order_amount", 19900}});
    EXPECT_EQ(*ComputeDiscount(t, Order(19900)), 2000);
    auto below = ComputeDiscount(t, Order(19899));
    ASSERT_FALSE(below.ok());
    EXPECT_EQ(below.status().code(), StatusCode::kFailedPrecondition);
    EXPECT_EQ(below.status().field(), "order_amount");
    EXPECT_EQ(DiscountDescription(t), "满199减20");
}

TEST(CouponRules, PercentRoundsDownToTheFenAndIsCapped) {
    auto t = Template({{"type", "percent"}, {"percent_off", 15}, {"max_discount", 5000}});
    EXPECT_EQ(*ComputeDiscount(t, Order(9999)), 1499);  // 15% of 99.99 = 14.9985
    EXPECT_EQ(*ComputeDiscount(t, Order(100000)), 5000);
    EXPECT_EQ(DiscountDescription(t), "8.5折，最高减50元");
    auto uncapped = Template({{"type", "percent"}, {"percent_off", 20}});
    EXPECT_EQ(*ComputeDiscount(uncapped, Order(100000)), 20000);
    EXPECT_EQ(DiscountDescription(uncapped), "8折");
}

TEST(CouponRules, ExchangeGivesOneUnitOfItsProductFree) {
    auto t = Template({{"type", "exchange"}, {"gift", "旅行装面霜"}, {"exchange_product_id", "SKU-9"}});
    EXPECT_EQ(*ComputeDiscount(t, Order(30000, {{"SKU-1", "护肤", 20000, 1}, {"SKU-9", "护肤", 5000, 2}})), 5000);
    auto missing = ComputeDiscount(t, Order(20000, {{"SKU-1", "护肤", 20000, 1}}));
    ASSERT_FALSE(missing.ok());
    EXPECT_EQ(missing.status().field(), "lines");
    auto gift = Template({{"type", "exchange"}, {"gift", "帆布袋"}});
    EXPECT_EQ(*ComputeDiscount(gift, Order(100)), 0);
    EXPECT_EQ(DiscountDescription(gift), "兑换：帆布袋");
}

TEST(CouponRules, FreeShippingWaivesTheShippingFee) {
    auto t = Template({{"type", "free_shipping"}});
    auto order = Order(5000);
    order.shipping_fee = 800;
    EXPECT_EQ(*ComputeDiscount(t, order), 800);
    EXPECT_EQ(*ComputeDiscount(t, Order(5000)), 0);
}

TEST(CouponRules, ProductAndCategoryScopeCountsOnlyEligibleLinesTowardsThresholdAndDiscount) {
    auto t = Template({{"type", "threshold"},
                       {"amount", 3000},
                       {"min_order_amount", 10000},
                       {"product_ids", {"SKU-1"}},
                       {"categories", {"彩妆"}}});
    // 6000 (SKU-1) + 2 × 2500 (彩妆) = 11000 eligible; the 50000 other line does not count.
    auto ok = Order(61000, {{"SKU-1", "护肤", 6000, 1}, {"L-2", "彩妆", 2500, 2}, {"X", "家居", 50000, 1}});
    EXPECT_EQ(*ComputeDiscount(t, ok), 3000);
    auto short_of = ComputeDiscount(t, Order(56000, {{"SKU-1", "护肤", 6000, 1}, {"X", "家居", 50000, 1}}));
    ASSERT_FALSE(short_of.ok());
    EXPECT_EQ(short_of.status().field(), "lines");
    auto no_lines = ComputeDiscount(t, Order(61000));
    ASSERT_FALSE(no_lines.ok());
    EXPECT_EQ(no_lines.status().field(), "lines");
    auto pct = Template({{"type", "percent"}, {"percent_off", 10}, {"categories", {"彩妆"}}});
    EXPECT_EQ(*ComputeDiscount(pct, Order(55000, {{"L-2", "彩妆", 2500, 2}, {"X", "家居", 50000, 1}})), 500);
}

TEST(CouponRules, BadTemplateInputNamesTheField) {
    auto field = [](const Json& body) {
        auto t = ParseTemplateInput(body);
        return t.ok() ? std::string("ok") : t.status().field();
    };
    Json base = {{"name", "券"}, {"type", "cash_off"}, {"amount", 100}, {"validity", {{"type", "relative"}, {"days", 3}}}};
    EXPECT_EQ(field(base), "ok");
    Json b = base;
    b.erase("name");
    EXPECT_EQ(field(b), "name");
    b = base;
    b["type"] = "bogo";
    EXPECT_EQ(field(b), "type");
    b = base;
    b["amount"] = "100";
    EXPECT_EQ(field(b), "amount");
    b = base;
    b["amount"] = 0;
    EXPECT_EQ(field(b), "amount");
    b = base;
    b["type"] = "threshold";
    EXPECT_EQ(field(b), "min_order_amount");
    b = base;
    b["validity"] = {{"type", "fixed"}, {"from", "2026-07-01T00:00:00Z"}, {"to", "2026-06-01T00:00:00Z"}};
    EXPECT_EQ(field(b), "validity.to");
    b = base;
    b["validity"] = {{"type", "relative"}};
    EXPECT_EQ(field(b), "validity.days");
    b = base;
    b["percent_off"] = 10;
    EXPECT_EQ(field(b), "percent_off");
    b = base;
    b["store_ids"] = {1, -2};
    EXPECT_EQ(field(b), "store_ids[1]");
    b = base;
    b["colour"] = "red";
    EXPECT_EQ(field(b), "colour");
    b = base;
    b["stacks_with_points"] = "yes";
    EXPECT_EQ(field(b), "stacks_with_points");
}

// --- Issuing and redeeming -------------------------------------------------------------------

struct Fixture {
    std::unique_ptr<store::Database> db;
    std::atomic<TimeMs> now{kStart};
    std::unique_ptr<Loyalty> loyalty;
    std::atomic<int> next_key{0};
    int64_t hq = 0, region = 0, store_a = 0, store_b = 0, gold = 0;

    explicit Fixture(const std::string& name) : db(store::OpenTestDatabase(name)) {
        EXPECT_TRUE(store::AddTestTenants(*db, {1, 2}).ok());
        loyalty = std::make_unique<Loyalty>(db.get(), nullptr, LoyaltyOptions{.clock = [this] { return now.load(); }});
        for (int64_t id = 1; id <= 10; ++id) Customer(id, 1, true);
        Customer(11, 1, false);
        Customer(20, 2, true);
        hq = Exec("INSERT INTO stores(tenant_id, kind, code, name, created_at, updated_at) VALUES (1,'hq','HQ','HQ',0,0)");
        region = Exec("INSERT INTO stores(tenant_id, parent_id, kind, code, name, created_at, updated_at) VALUES (1," +
                      std::to_string(hq) + ",'region','R','华东',0,0)");
        store_a = Exec("INSERT INTO stores(tenant_id, parent_id, kind, code, name, created_at, updated_at) VALUES (1," +
                       std::to_string(region) + ",'store','A','上海店',0,0)");
        store_b = Exec("INSERT INTO stores(tenant_id, parent_id, kind, code, name, created_at, updated_at) VALUES (1," +
                       std::to_string(hq) + ",'store','B','北京店',0,0)");
        Exec("INSERT INTO tiers(tenant_id, name, level, threshold, created_at, updated_at) VALUES (1,'普卡',0,0,0,0)");
        gold = Exec("INSERT INTO tiers(tenant_id, name, level, threshold, created_at, updated_at) VALUES "
                    "(1,'金卡',2,1000,0,0)");
    }
    void Customer(int64_t id, int64_t tenant, bool member) {
        Exec("INSERT INTO customers(id, tenant_id, name, created_at, updated_at) VALUES (" + std::to_string(id) + "," +
             std::to_string(tenant) + ",'顾客',0,0)");
        if (member) {
            Exec("INSERT INTO members(customer_id, tenant_id, member_no, registered_at, created_at, updated_at) VALUES "
                 "(" + std::to_string(id) + "," + std::to_string(tenant) + ",'M" + std::to_string(id) + "',0,0,0)");
        }
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
    int64_t Events(const std::string& name) { return Int("SELECT count(*) FROM events WHERE name = '" + name + "'"); }
    Coupons& coupons() { return loyalty->coupons(); }
    Request R(int64_t tenant = 1) {
        Request r;
        r.tenant_id = tenant;
        r.idempotency_key = "k" + std::to_string(++next_key);
        r.fingerprint = *r.idempotency_key;
        r.actor.type = "user";
        r.actor.name = "tester@example.com";
        return r;
    }
    int64_t MakeTemplate(Json body) {
        if (!body.contains("name")) body["name"] = "测试券";
        if (!body.contains("type")) body["type"] = "cash_off";
        if (body["type"] == "cash_off" && !body.contains("amount")) body["amount"] = 1000;
        if (!body.contains("validity")) body["validity"] = {{"type", "relative"}, {"days", 7}};
        auto t = coupons().CreateTemplate(1, body, {});
        EXPECT_TRUE(t.ok()) << t.status().ToString();
        return t.ok() ? (*t)["id"].get<int64_t>() : 0;
    }
    // Issues one coupon and answers its code ("" on failure).
    std::string Issue(int64_t template_id, int64_t customer) {
        auto out = coupons().IssueOne(R(), template_id, customer, {});
        EXPECT_TRUE(out.ok()) << out.status().ToString();
        return out.ok() ? out->body["issued"][0]["code"].get<std::string>() : "";
    }
    Result<Outcome> Redeem(const std::string& code, int64_t amount, std::optional<int64_t> store = std::nullopt,
                           const std::string& order = "o-1") {
        RedeemInput in;
        in.code = code;
        in.order_id = order;
        in.order_amount = amount;
        in.store_id = store;
        return coupons().Redeem(R(), in);
    }
    std::vector<std::string> Verify() {
        std::vector<std::string> problems;
        int64_t n = 0;
        EXPECT_TRUE(db->Read([&](store::Connection& c) { return VerifyCoupons(c, 1, &problems, &n); }).ok());
        return problems;
    }
};

std::string FieldOf(const Result<Outcome>& r) { return r.ok() ? "ok" : r.status().field(); }

TEST(Coupons, IssuingGivesAUniqueValidCodeAndEmitsCouponIssued) {
    Fixture f("coupons_issue");
    int64_t t = f.MakeTemplate({});
    std::string a = f.Issue(t, 1), b = f.Issue(t, 1);
    EXPECT_TRUE(IsValidCouponCode(a));
    EXPECT_NE(a, b);
    EXPECT_EQ(f.Events("Coupon Issued"), 2);
    EXPECT_EQ(f.Int("SELECT issued FROM coupon_templates WHERE id = " + std::to_string(t)), 2);
    auto lookup = f.coupons().Lookup(1, FormatCouponCode(a));
    ASSERT_TRUE(lookup.ok()) << lookup.status().ToString();
    EXPECT_EQ((*lookup)["status"], "issued");
    EXPECT_EQ((*lookup)["description"], "立减10元");
    EXPECT_EQ((*lookup)["customer"]["id"], 1);
    EXPECT_TRUE(f.Verify().empty());
}

TEST(Coupons, RelativeValidityRunsThroughTheEndOfTheNthLocalDay) {
    Fixture f("coupons_relative");
    int64_t t = f.MakeTemplate({{"validity", {{"type", "relative"}, {"days", 3}}}});
    auto c = f.coupons().Lookup(1, f.Issue(t, 1));
    // Issued 12:00 on 6 June in Shanghai: valid through 8 June, i.e. until 9 June 00:00 +08:00.
    EXPECT_EQ((*c)["valid_from"], FormatRfc3339(kStart));
    EXPECT_EQ((*c)["valid_to"], "2026-06-08T16:00:00.000Z");
}

TEST(Coupons, FixedValidityIsTheTemplatesRangeAndRedemptionOutsideItIsRefused) {
    Fixture f("coupons_fixed");
    int64_t t = f.MakeTemplate(
        {{"validity", {{"type", "fixed"}, {"from", "2026-06-10T00:00:00Z"}, {"to", "2026-06-20T00:00:00Z"}}}});
    std::string code = f.Issue(t, 1);
    auto c = f.coupons().Lookup(1, code);
    EXPECT_EQ((*c)["valid_from"], "2026-06-10T00:00:00.000Z");
    EXPECT_EQ((*c)["usable"], false);
    auto early = f.Redeem(code, 5000);
    ASSERT_FALSE(early.ok());
    EXPECT_NE(early.status().message().find("not valid before"), std::string::npos);
    f.now = *ParseRfc3339("2026-06-20T00:00:00Z");
    auto late = f.Redeem(code, 5000);
    ASSERT_FALSE(late.ok());
    EXPECT_NE(late.status().message().find("expired"), std::string::npos);
    auto after_end = f.coupons().IssueOne(f.R(), t, 2, {});
    EXPECT_EQ(after_end.status().field(), "template_id");
    f.now = *ParseRfc3339("2026-06-15T00:00:00Z");
    EXPECT_TRUE(f.Redeem(code, 5000).ok());
}

TEST(Coupons, APerCustomerLimitStopsTheNextCoupon) {
    Fixture f("coupons_limit");
    int64_t t = f.MakeTemplate({{"per_customer_limit", 2}});
    f.Issue(t, 1);
    f.Issue(t, 1);
    auto third = f.coupons().IssueOne(f.R(), t, 1, {});
    ASSERT_FALSE(third.ok());
    EXPECT_EQ(third.status().code(), StatusCode::kFailedPrecondition);
    EXPECT_EQ(third.status().field(), "customer_id");
    EXPECT_TRUE(f.coupons().IssueOne(f.R(), t, 2, {}).ok());
    auto many = f.coupons().IssueMany(f.R(), t, {1, 3, 999}, {});
    ASSERT_TRUE(many.ok());
    EXPECT_EQ(many->body["issued"].size(), 1u);
    EXPECT_EQ(many->body["skipped"].size(), 2u);  // 1 at its limit, 999 unknown
    EXPECT_EQ(f.Int("SELECT issued FROM coupon_templates WHERE id = " + std::to_string(t)), 4);
}

TEST(Coupons, TotalStockIsNeverExceeded) {
    Fixture f("coupons_stock");
    int64_t t = f.MakeTemplate({{"total_stock", 3}});
    auto many = f.coupons().IssueMany(f.R(), t, {1, 2, 3, 4, 5}, {});
    ASSERT_TRUE(many.ok());
    EXPECT_EQ(many->body["issued"].size(), 3u);
    EXPECT_EQ(many->body["skipped"].size(), 2u);
    auto more = f.coupons().IssueOne(f.R(), t, 6, {});
    EXPECT_EQ(more.status().field(), "template_id");
    auto stock = f.coupons().UpdateTemplate(1, t, {{"total_stock", 2}}, {});
    EXPECT_EQ(stock.status().field(), "total_stock");
    auto stats = f.coupons().Stats(1, t);
    EXPECT_EQ((*stats)["issued"], 3);
    EXPECT_EQ((*stats)["remaining_stock"], 0);
    EXPECT_TRUE(f.Verify().empty());
}

TEST(Coupons, PausedTemplatesIssueNothingAndTheirRulesCannotChange) {
    Fixture f("coupons_paused");
    int64_t t = f.MakeTemplate({});
    ASSERT_TRUE(f.coupons().UpdateTemplate(1, t, {{"status", "paused"}}, {}).ok());
    EXPECT_EQ(f.coupons().IssueOne(f.R(), t, 1, {}).status().field(), "template_id");
    EXPECT_EQ(f.coupons().UpdateTemplate(1, t, {{"amount", 5}}, {}).status().field(), "amount");
    EXPECT_EQ(f.coupons().GetTemplate(2, t).status().code(), StatusCode::kNotFound);  // another tenant
}

// Pages follow the cursor to the end without repeating a template; a status filter keeps only
// its own; a full last page still names a cursor, and the page after it is empty.
TEST(Coupons, TemplatesListInPagesByCursorAndStatus) {
    Fixture f("coupons_template_pages");
    std::vector<int64_t> ids;
    for (int i = 0; i < 5; ++i) ids.push_back(f.MakeTemplate({{"name", "券" + std::to_string(i)}}));
    ASSERT_TRUE(f.coupons().UpdateTemplate(1, ids[1], {{"status", "paused"}}, {}).ok());
    std::vector<int64_t> seen;
    std::optional<int64_t> after;
    for (int page = 0; page < 4; ++page) {
        auto out = f.coupons().ListTemplates(1, std::nullopt, 2, after);
        ASSERT_TRUE(out.ok()) << out.status().ToString();
        for (const auto& t : (*out)["data"]) seen.push_back(t["id"].get<int64_t>());
        if ((*out)["next_cursor"].is_null()) break;
        after = std::stoll((*out)["next_cursor"].get<std::string>());
    }
    EXPECT_EQ(seen, ids);
    auto paused = f.coupons().ListTemplates(1, std::string("paused"), 1, std::nullopt);
    ASSERT_TRUE(paused.ok());
    ASSERT_EQ((*paused)["data"].size(), 1u);
    EXPECT_EQ((*paused)["data"][0]["id"], ids[1]);
    EXPECT_EQ((*paused)["next_cursor"], std::to_string(ids[1]));
    auto after_paused = f.coupons().ListTemplates(1, std::string("paused"), 1, ids[1]);
    ASSERT_TRUE(after_paused.ok());
    EXPECT_TRUE((*after_paused)["data"].empty());
    EXPECT_TRUE((*after_paused)["next_cursor"].is_null());
    EXPECT_TRUE((*f.coupons().ListTemplates(2, std::nullopt, 10, std::nullopt))["data"].empty());  // another tenant
}

TEST(Coupons, StoreScopeCoversTheStoresBelowAndNeedsTheStore) {
    Fixture f("coupons_stores");
    int64_t t = f.MakeTemplate({{"store_ids", {f.region}}});
    std::string code = f.Issue(t, 1);
    EXPECT_EQ(FieldOf(f.Redeem(code, 5000)), "store_id");
    EXPECT_EQ(FieldOf(f.Redeem(code, 5000, f.store_b)), "store_id");
    EXPECT_EQ(FieldOf(f.Redeem(code, 5000, 9999)), "store_id");
    EXPECT_EQ(FieldOf(f.Redeem(code, 5000, f.store_a)), "ok");
    auto bad = f.coupons().CreateTemplate(1, {{"name", "x"}, {"type", "cash_off"}, {"amount", 1},
                                              {"validity", {{"type", "relative"}, {"days", 1}}},
                                              {"store_ids", {f.store_a, 424242}}}, {});
    EXPECT_EQ(bad.status().field(), "store_ids[1]");
}

TEST(Coupons, AMinimumTierNeedsAMemberOfThatTierOrHigher) {
    Fixture f("coupons_tier");
    int64_t t = f.MakeTemplate({{"min_tier_level", 2}});
    std::string member = f.Issue(t, 1), gold = f.Issue(t, 2), guest = f.Issue(t, 11);
    f.Exec("UPDATE members SET tier_id = " + std::to_string(f.gold) + " WHERE customer_id = 2");
    auto refused = f.Redeem(member, 5000);
    ASSERT_FALSE(refused.ok());
    EXPECT_NE(refused.status().message().find("tier level 2"), std::string::npos);
    EXPECT_FALSE(f.Redeem(guest, 5000).ok());
    EXPECT_TRUE(f.Redeem(gold, 5000).ok());
}

TEST(Coupons, StackingWithCouponsAndPointsFollowsBothTemplates) {
    Fixture f("coupons_stacking");
    int64_t alone = f.MakeTemplate({{"stacks_with_points", false}});
    int64_t stacking = f.MakeTemplate({{"stacks_with_coupons", true}});
    std::string a = f.Issue(alone, 1), s1 = f.Issue(stacking, 1), s2 = f.Issue(stacking, 1);
    RedeemInput in;
    in.order_id = "o";
    in.order_amount = 10000;
    in.code = a;
    in.other_coupon_codes = {s1};
    EXPECT_EQ(FieldOf(f.coupons().Redeem(f.R(), in)), "other_coupon_codes");
    in.other_coupon_codes = {};
    in.uses_points = true;
    EXPECT_EQ(FieldOf(f.coupons().Redeem(f.R(), in)), "uses_points");
    in.code = s1;
    in.other_coupon_codes = {a};  // the other one does not stack
    EXPECT_EQ(FieldOf(f.coupons().Redeem(f.R(), in)), "other_coupon_codes[0]");
    std::string typo = s2;
    typo[3] = typo[3] == 'A' ? 'B' : 'A';
    in.other_coupon_codes = {typo};
    EXPECT_EQ(FieldOf(f.coupons().Redeem(f.R(), in)), "other_coupon_codes[0]");
    in.other_coupon_codes = {s2};
    EXPECT_EQ(FieldOf(f.coupons().Redeem(f.R(), in)), "ok");
}

TEST(Coupons, ACouponIsRedeemedExactlyOnceAndARetryReturnsTheOriginalResult) {
    Fixture f("coupons_once");
    int64_t t = f.MakeTemplate({{"type", "threshold"}, {"amount", 2000}, {"min_order_amount", 19900}});
    std::string code = f.Issue(t, 1);
    RedeemInput in;
    in.code = code;
    in.order_id = "o-42";
    in.order_amount = 25000;
    Request r = f.R();
    auto first = f.coupons().Redeem(r, in);
    ASSERT_TRUE(first.ok()) << first.status().ToString();
    EXPECT_EQ(first->body["discount"], 2000);
    EXPECT_EQ(first->body["payable"], 23000);
    EXPECT_FALSE(first->replayed);
    auto retry = f.coupons().Redeem(r, in);
    ASSERT_TRUE(retry.ok());
    EXPECT_TRUE(retry->replayed);
    EXPECT_EQ(retry->body, first->body);
    auto second = f.coupons().Redeem(f.R(), in);
    ASSERT_FALSE(second.ok());
    EXPECT_EQ(second.status().code(), StatusCode::kFailedPrecondition);
    EXPECT_NE(second.status().message().find("already redeemed"), std::string::npos);
    Request reused = r;
    reused.fingerprint = "another body";
    EXPECT_EQ(f.coupons().Redeem(reused, in).status().code(), StatusCode::kFailedPrecondition);
    EXPECT_EQ(f.Events("Coupon Redeemed"), 1);
    EXPECT_EQ(f.Int("SELECT count(*) FROM coupon_redemptions"), 1);
    EXPECT_EQ(f.coupons().Lookup(1, code)->at("status"), "redeemed");
    EXPECT_TRUE(f.Verify().empty());
}

TEST(Coupons, ATypoInTheCodeIsCaughtBeforeAnyLookup) {
    Fixture f("coupons_typo");
    std::string code = f.Issue(f.MakeTemplate({}), 1);
    std::string typo = code;
    typo[5] = typo[5] == '7' ? '8' : '7';
    auto r = f.Redeem(typo, 5000);
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(r.status().field(), "code");
    EXPECT_EQ(f.coupons().Lookup(1, typo).status().code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(f.coupons().Lookup(2, code).status().code(), StatusCode::kNotFound);  // another tenant's
}

TEST(Coupons, ReversalOnlyWhenTheTemplateAllowsAndTheCouponIsUsableAgain) {
    Fixture f("coupons_reverse");
    int64_t yes = f.MakeTemplate({});
    int64_t no = f.MakeTemplate({{"reversible", false}});
    std::string a = f.Issue(yes, 1), b = f.Issue(no, 1);
    EXPECT_EQ(f.coupons().Reverse(f.R(), a, std::nullopt, "").status().field(), "code");  // not redeemed
    ASSERT_TRUE(f.Redeem(a, 5000, std::nullopt, "o-a").ok());
    ASSERT_TRUE(f.Redeem(b, 5000, std::nullopt, "o-b").ok());
    EXPECT_EQ(f.coupons().Reverse(f.R(), a, std::string("o-x"), "").status().field(), "order_id");
    auto reversed = f.coupons().Reverse(f.R(), a, std::string("o-a"), "退款");
    ASSERT_TRUE(reversed.ok()) << reversed.status().ToString();
    EXPECT_EQ(reversed->body["coupon"]["status"], "issued");
    EXPECT_EQ(reversed->body["discount"], 1000);
    auto refused = f.coupons().Reverse(f.R(), b, std::nullopt, "");
    ASSERT_FALSE(refused.ok());
    EXPECT_NE(refused.status().message().find("does not allow"), std::string::npos);
    EXPECT_EQ(f.Events("Coupon Reversed"), 1);
    EXPECT_TRUE(f.Redeem(a, 6000, std::nullopt, "o-a2").ok());  // usable again
    EXPECT_TRUE(f.Verify().empty());
    // Reversed after its end: the coupon comes back expired.
    ASSERT_TRUE(f.coupons().Reverse(f.R(), a, std::nullopt, "").ok());
    ASSERT_TRUE(f.Redeem(a, 6000, std::nullopt, "o-a3").ok());
    f.now = f.now + 30 * kDay;
    auto late = f.coupons().Reverse(f.R(), a, std::nullopt, "");
    ASSERT_TRUE(late.ok());
    EXPECT_EQ(late->body["coupon"]["status"], "expired");
    auto stats = f.coupons().Stats(1, yes);
    EXPECT_EQ((*stats)["reversed"], 3);
    EXPECT_EQ((*stats)["redeemed"], 0);
    EXPECT_TRUE(f.Verify().empty());
}

TEST(Coupons, TheSweepRemindsOnceBeforeExpiryAndThenExpires) {
    Fixture f("coupons_sweep");
    int64_t t = f.MakeTemplate({{"validity", {{"type", "relative"}, {"days", 10}}}});
    std::string used = f.Issue(t, 1), unused = f.Issue(t, 2);
    ASSERT_TRUE(f.Redeem(used, 5000).ok());
    ASSERT_TRUE(f.coupons().Sweep(1).ok());
    EXPECT_EQ(f.Events("Coupon Expiring"), 0);  // 10 days left; the notice is 3 days before
    f.now = f.now + 7 * kDay;
    ASSERT_TRUE(f.coupons().Sweep(1).ok());
    ASSERT_TRUE(f.coupons().Sweep(1).ok());
    EXPECT_EQ(f.Events("Coupon Expiring"), 1);  // once, and not for the redeemed one
    f.now = f.now + kDay;
    ASSERT_TRUE(f.coupons().Sweep(1).ok());
    EXPECT_EQ(f.Events("Coupon Expiring"), 1);
    EXPECT_EQ(f.Events("Coupon Expired"), 0);
    f.now = f.now + 3 * kDay;
    ASSERT_TRUE(f.loyalty->Sweep().ok());
    EXPECT_EQ(f.Events("Coupon Expired"), 1);
    EXPECT_EQ(f.coupons().Lookup(1, unused)->at("status"), "expired");
    EXPECT_EQ(f.coupons().Lookup(1, used)->at("status"), "redeemed");
    ASSERT_TRUE(f.coupons().Sweep(1).ok());
    EXPECT_EQ(f.Events("Coupon Expired"), 1);
}

TEST(Coupons, StatsCountIssuedRedeemedExpiredAndTheRevenueOfTheirOrders) {
    Fixture f("coupons_stats");
    int64_t t = f.MakeTemplate({{"validity", {{"type", "relative"}, {"days", 2}}}});
    std::vector<std::string> codes;
    for (int64_t c = 1; c <= 4; ++c) codes.push_back(f.Issue(t, c));
    ASSERT_TRUE(f.Redeem(codes[0], 19900, std::nullopt, "o1").ok());
    ASSERT_TRUE(f.Redeem(codes[1], 5000, std::nullopt, "o2").ok());
    f.now = f.now + 5 * kDay;
    ASSERT_TRUE(f.coupons().Sweep(1).ok());
    auto s = f.coupons().Stats(1, t);
    ASSERT_TRUE(s.ok());
    EXPECT_EQ((*s)["issued"], 4);
    EXPECT_EQ((*s)["redeemed"], 2);
    EXPECT_EQ((*s)["expired"], 2);
    EXPECT_EQ((*s)["unused"], 0);
    EXPECT_DOUBLE_EQ((*s)["redemption_rate"].get<double>(), 0.5);
    EXPECT_EQ((*s)["revenue"], 24900);
    EXPECT_EQ((*s)["discount_total"], 2000);
}

TEST(Coupons, ConcurrentRedemptionsOfTheSameCouponsRedeemEachOnce) {
    Fixture f("coupons_concurrent");
    int64_t t = f.MakeTemplate({});
    std::vector<std::string> codes;
    for (int i = 0; i < 20; ++i) codes.push_back(f.Issue(t, 1 + i % 10));
    std::atomic<int> ok{0}, refused{0}, other{0};
    std::vector<std::thread> threads;
    for (int th = 0; th < 8; ++th) {
        threads.emplace_back([&, th] {
            for (int round = 0; round < 3; ++round) {
                for (size_t i = 0; i < codes.size(); ++i) {
                    auto r = f.Redeem(codes[(i + static_cast<size_t>(th)) % codes.size()], 5000, std::nullopt,
                                      "o-" + std::to_string(th));
                    if (r.ok()) {
                        ++ok;
                    } else if (r.status().code() == StatusCode::kFailedPrecondition) {
                        ++refused;
                    } else {
                        ++other;
                    }
                }
            }
        });
    }
    for (auto& th : threads) th.join();
    EXPECT_EQ(ok.load(), 20);
    EXPECT_EQ(refused.load(), 8 * 3 * 20 - 20);
    EXPECT_EQ(other.load(), 0);
    EXPECT_EQ(f.Int("SELECT count(*) FROM coupon_redemptions"), 20);
    EXPECT_EQ(f.Events("Coupon Redeemed"), 20);
    EXPECT_TRUE(f.Verify().empty());
}

TEST(Coupons, VerifyFindsACountThatDisagreesAndADoubleRedemption) {
    Fixture f("coupons_verify");
    int64_t t = f.MakeTemplate({});
    std::string code = f.Issue(t, 1);
    ASSERT_TRUE(f.Redeem(code, 5000).ok());
    EXPECT_TRUE(f.Verify().empty());
    f.Exec("UPDATE coupon_templates SET issued = 5");
    f.Exec("DROP INDEX coupon_redemptions_open");
    f.Exec("INSERT INTO coupon_redemptions(tenant_id, coupon_id, template_id, customer_id, order_id, order_amount, "
           "discount, redeemed_at) SELECT tenant_id, coupon_id, template_id, customer_id, 'o-2', 1, 1, 1 FROM "
           "coupon_redemptions");
    auto problems = f.Verify();
    EXPECT_EQ(problems.size(), 2u);
}

TEST(Coupons, ASegmentJobIssuesToEveryMemberAndSkipsThoseAtTheirLimit) {
    Fixture f("coupons_segment");
    f.loyalty->SetSegmentMembers([](int64_t, int64_t segment) -> Result<std::vector<int64_t>> {
        if (segment != 7) return Status::NotFound("segment not found");
        return std::vector<int64_t>{1, 2, 3, 4, 5, 999};
    });
    int64_t t = f.MakeTemplate({{"per_customer_limit", 1}});
    f.Issue(t, 1);
    Request r = f.R();
    auto started = f.coupons().StartSegmentJob(r, t, 7);
    ASSERT_TRUE(started.ok()) << started.status().ToString();
    EXPECT_EQ(started->status, 202);
    int64_t job = started->body["id"].get<int64_t>();
    auto again = f.coupons().StartSegmentJob(r, t, 7);  // a retry: the same job, not a second one
    ASSERT_TRUE(again.ok());
    EXPECT_EQ(again->body["id"], job);
    Json state;
    for (int i = 0; i < 500; ++i) {
        state = *f.coupons().GetJob(1, job);
        if (state["status"] == "done" || state["status"] == "failed") break;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    ASSERT_EQ(state["status"], "done") << state.dump();
    EXPECT_EQ(state["progress"]["issued"], 4);
    EXPECT_EQ(state["progress"]["skipped"], 2);
    EXPECT_EQ(f.Int("SELECT count(*) FROM coupon_issue_jobs"), 1);
    EXPECT_EQ(f.Int("SELECT count(*) FROM coupons WHERE source = 'segment'"), 4);
    EXPECT_EQ(f.coupons().StartSegmentJob(f.R(), t, 8).status().code(), StatusCode::kNotFound);
    EXPECT_TRUE(f.Verify().empty());
}

TEST(Coupons, ACustomersListFollowsMergesAndFiltersByStatus) {
    Fixture f("coupons_list");
    int64_t t = f.MakeTemplate({});
    std::string a = f.Issue(t, 1);
    f.Issue(t, 2);
    f.Exec("UPDATE customers SET merged_into = 1 WHERE id = 2");
    ASSERT_TRUE(f.Redeem(a, 5000).ok());
    auto all = f.coupons().ListForCustomer(1, 1, std::nullopt, 50, std::nullopt);
    ASSERT_TRUE(all.ok());
    EXPECT_EQ((*all)["data"].size(), 2u);
    auto issued = f.coupons().ListForCustomer(1, 1, std::string("issued"), 50, std::nullopt);
    EXPECT_EQ((*issued)["data"].size(), 1u);
    EXPECT_EQ(f.coupons().ListForCustomer(2, 1, std::nullopt, 50, std::nullopt).status().code(),
              StatusCode::kNotFound);
}

}  // namespace
}  // namespace siyu::loyalty
