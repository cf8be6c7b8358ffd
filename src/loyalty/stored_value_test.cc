#include "loyalty/stored_value.h"

#include <gtest/gtest.h>

#include "loyalty/loyalty.h"
#include "store/test_database.h"

namespace siyu::loyalty {
namespace {

const TimeMs kStart = *ParseRfc3339("2026-06-10T04:00:00Z");  // 12:00 in Shanghai
constexpr TimeMs kDay = 86'400'000;

// A database with tenants 1 and 2, members 1 and 2 in tenant 1 and member 3 in tenant 2,
// customer 4 (tenant 1) who is not a member, and a clock the test moves.
struct Fixture {
    std::unique_ptr<store::Database> db;
    TimeMs now = kStart;
    std::unique_ptr<Loyalty> loyalty;
    int next_key = 0;

    explicit Fixture(const std::string& name) : db(store::OpenTestDatabase(name)) {
        EXPECT_TRUE(store::AddTestTenants(*db, {1, 2}).ok());
        loyalty = std::make_unique<Loyalty>(db.get(), nullptr, LoyaltyOptions{.clock = [this] { return now; }});
        Customer(1, 1, true);
        Customer(2, 1, true);
        Customer(3, 2, true);
        Customer(4, 1, false);
    }
    void Customer(int64_t id, int64_t tenant, bool member) {
        Status st = db->Write([&](store::Connection& c) -> Status {
            SIYU_ASSIGN_OR_RETURN(auto s, c.Prepare("INSERT INTO customers(id, tenant_id, created_at, updated_at) "
                                                    "VALUES (?,?,0,0)"));
            SIYU_RETURN_IF_ERROR(s.Bind(1, id).Bind(2, tenant).Run());
            if (!member) return Status::Ok();
            SIYU_ASSIGN_OR_RETURN(auto m, c.Prepare("INSERT INTO members(customer_id, tenant_id, member_no, "
                                                    "registered_at, created_at, updated_at) VALUES (?,?,?,0,0,0)"));
            return m.Bind(1, id).Bind(2, tenant).Bind(3, "M" + std::to_string(id)).Run();
        });
        EXPECT_TRUE(st.ok()) << st.ToString();
    }
    Request R(int64_t tenant = 1) {
        Request r;
        r.tenant_id = tenant;
        r.idempotency_key = "k" + std::to_string(++next_key);
        r.fingerprint = r.idempotency_key.value();
        r.actor.type = "user";
        r.actor.id = 7;
        return r;
    }
    StoredValue& sv() { return loyalty->stored_value(); }
    int64_t Count(const std::string& sql) {
        int64_t n = -1;
        EXPECT_TRUE(db->Read([&](store::Connection& c) -> Status {
                          SIYU_ASSIGN_OR_RETURN(auto s, c.Prepare(sql));
                          SIYU_ASSIGN_OR_RETURN(bool row, s.Step());
                          if (row) n = s.Int(0);
                          return Status::Ok();
                      }).ok());
        return n;
    }
    using Pair = std::pair<int64_t, int64_t>;
    Pair Balance(int64_t customer) {
        return {Count("SELECT sv_principal FROM members WHERE customer_id = " + std::to_string(customer)),
                Count("SELECT sv_bonus FROM members WHERE customer_id = " + std::to_string(customer))};
    }
    Outcome Topup(int64_t customer, int64_t amount, std::optional<int64_t> bonus = std::nullopt) {
        auto out = sv().Topup(R(), {.customer_id = customer, .amount = amount, .bonus = bonus});
        EXPECT_TRUE(out.ok()) << out.status().ToString();
        return out.ok() ? *out : Outcome{};
    }
    Outcome Spend(int64_t customer, int64_t amount, const std::string& order) {
        auto out = sv().Spend(R(), {.customer_id = customer, .amount = amount, .order_id = order});
        EXPECT_TRUE(out.ok()) << out.status().ToString();
        return out.ok() ? *out : Outcome{};
    }
    std::vector<std::string> Verify() {
        std::vector<std::string> problems;
        int64_t entries = 0;
        EXPECT_TRUE(db->Read([&](store::Connection& c) { return VerifyStoredValue(c, 1, &problems, &entries); }).ok());
        return problems;
    }
};

TEST(ProportionalSplit, TakesTheBonusShareRoundedDownAndNeverMoreThanAPart) {
    EXPECT_EQ(ProportionalSplit(11000, 50000, 5000).bonus, 1000);
    EXPECT_EQ(ProportionalSplit(11000, 50000, 5000).principal, 10000);
    EXPECT_EQ(ProportionalSplit(1, 50000, 5000).bonus, 0);  // the rounding fen comes from the principal
    EXPECT_EQ(ProportionalSplit(7, 0, 9).bonus, 7);
    EXPECT_EQ(ProportionalSplit(55000, 50000, 5000).principal, 50000);
    Split s = ProportionalSplit(3, 1, 2);
    EXPECT_EQ(s.principal + s.bonus, 3);
    EXPECT_LE(s.principal, 1);
}

TEST(StoredValue, TopupWithAnOfferAddsItsBonusAsASeparatePart) {
    Fixture f("sv_topup_offer");
    auto offer = f.sv().CreateOffer(1, {.name = "充500送50", .pay_amount = 50000, .bonus_amount = 5000}, {});
    ASSERT_TRUE(offer.ok()) << offer.status().ToString();
    auto out = f.sv().Topup(f.R(), {.customer_id = 1, .offer_id = offer->id});
    ASSERT_TRUE(out.ok()) << out.status().ToString();
    EXPECT_EQ(out->status, 201);
    EXPECT_EQ(out->body["entry"]["principal"], 50000);
    EXPECT_EQ(out->body["entry"]["bonus"], 5000);
    EXPECT_EQ(out->body["balance"]["total"], 55000);
    EXPECT_EQ(f.Balance(1), (Fixture::Pair{50000, 5000}));
    EXPECT_EQ(f.Count("SELECT count(*) FROM events WHERE name = 'Stored Value Topped Up' AND customer_id = 1"), 1);
    // The price of the offer is what the member pays; a different amount is an error.
    auto wrong = f.sv().Topup(f.R(), {.customer_id = 1, .amount = 40000, .offer_id = offer->id});
    EXPECT_EQ(wrong.status().field(), "amount");
    auto both = f.sv().Topup(f.R(), {.customer_id = 1, .offer_id = offer->id, .bonus = 100});
    EXPECT_EQ(both.status().field(), "bonus");
    EXPECT_EQ(f.Balance(1), (Fixture::Pair{50000, 5000}));
}

TEST(StoredValue, AnOfferOutsideItsValidityOrInactiveIsRefused) {
    Fixture f("sv_offer_validity");
    auto later = f.sv().CreateOffer(
        1, {.name = "双十一", .pay_amount = 1000, .bonus_amount = 100, .valid_from = f.now + kDay}, {});
    ASSERT_TRUE(later.ok());
    auto early = f.sv().Topup(f.R(), {.customer_id = 1, .offer_id = later->id});
    EXPECT_EQ(early.status().code(), StatusCode::kFailedPrecondition);
    EXPECT_EQ(early.status().field(), "offer_id");
    auto off = f.sv().UpdateOffer(1, later->id, {.active = false, .valid_from = std::optional<TimeMs>()}, {});
    ASSERT_TRUE(off.ok());
    EXPECT_EQ(f.sv().Topup(f.R(), {.customer_id = 1, .offer_id = later->id}).status().code(),
              StatusCode::kFailedPrecondition);
    EXPECT_EQ(f.sv().Topup(f.R(), {.customer_id = 1, .offer_id = 999}).status().code(), StatusCode::kNotFound);
    EXPECT_EQ(f.sv().CreateOffer(1, {.name = "x", .pay_amount = 0, .bonus_amount = 1}, {}).status().field(),
              "pay_amount");
    EXPECT_EQ(f.Count("SELECT count(*) FROM stored_value_entries"), 0);
}

TEST(StoredValue, SpendTakesPrincipalAndBonusInProportionToTheBalances) {
    Fixture f("sv_spend");
    f.Topup(1, 50000, 5000);
    Outcome out = f.Spend(1, 11000, "O-1");
    EXPECT_EQ(out.body["entry"]["principal"], -10000);
    EXPECT_EQ(out.body["entry"]["bonus"], -1000);
    EXPECT_EQ(f.Balance(1), (Fixture::Pair{40000, 4000}));
    EXPECT_EQ(f.Count("SELECT count(*) FROM events WHERE name = 'Stored Value Spent'"), 1);
}

TEST(StoredValue, BalanceNeverGoesNegativeAndAFailedSpendChangesNothing) {
    Fixture f("sv_never_negative");
    f.Topup(1, 1000, 100);
    auto over = f.sv().Spend(f.R(), {.customer_id = 1, .amount = 1101, .order_id = "O-1"});
    EXPECT_EQ(over.status().code(), StatusCode::kFailedPrecondition);
    EXPECT_EQ(over.status().field(), "amount");
    EXPECT_EQ(f.sv().Spend(f.R(), {.customer_id = 1, .amount = 0, .order_id = "O-1"}).status().field(), "amount");
    EXPECT_EQ(f.sv().Spend(f.R(), {.customer_id = 1, .amount = 10, .order_id = ""}).status().field(), "order_id");
    f.Spend(1, 1100, "O-2");
    EXPECT_EQ(f.Balance(1), (Fixture::Pair{0, 0}));
    EXPECT_EQ(f.sv().Spend(f.R(), {.customer_id = 1, .amount = 1, .order_id = "O-3"}).status().code(),
              StatusCode::kFailedPrecondition);
    EXPECT_EQ(f.Count("SELECT count(*) FROM stored_value_entries WHERE type = 'spend'"), 1);
    EXPECT_TRUE(f.Verify().empty());
}

TEST(StoredValue, RefundsRestoreTheSplitOfTheSpendAndNeverExceedIt) {
    Fixture f("sv_refund");
    f.Topup(1, 50000, 5000);
    f.Spend(1, 11000, "O-1");  // principal 10000, bonus 1000
    auto part = f.sv().Refund(f.R(), {.customer_id = 1, .order_id = "O-1", .amount = 5500});
    ASSERT_TRUE(part.ok()) << part.status().ToString();
    EXPECT_EQ(part->body["entry"]["principal"], 5000);
    EXPECT_EQ(part->body["entry"]["bonus"], 500);
    auto too_much = f.sv().Refund(f.R(), {.customer_id = 1, .order_id = "O-1", .amount = 5501});
    EXPECT_EQ(too_much.status().field(), "amount");
    auto rest = f.sv().Refund(f.R(), {.customer_id = 1, .order_id = "O-1"});
    ASSERT_TRUE(rest.ok());
    EXPECT_EQ(rest->body["entry"]["principal"], 5000);
    EXPECT_EQ(rest->body["entry"]["bonus"], 500);
    EXPECT_EQ(f.Balance(1), (Fixture::Pair{50000, 5000}));
    EXPECT_EQ(f.sv().Refund(f.R(), {.customer_id = 1, .order_id = "O-1", .amount = 1}).status().code(),
              StatusCode::kFailedPrecondition);
    EXPECT_EQ(f.sv().Refund(f.R(), {.customer_id = 1, .order_id = "O-unknown"}).status().code(),
              StatusCode::kNotFound);
    // Another member cannot refund this member's order.
    f.Topup(2, 100);
    EXPECT_EQ(f.sv().Refund(f.R(), {.customer_id = 2, .order_id = "O-1"}).status().code(), StatusCode::kNotFound);
    EXPECT_EQ(f.Count("SELECT count(*) FROM events WHERE name = 'Stored Value Refunded'"), 2);
    EXPECT_TRUE(f.Verify().empty());
}

TEST(StoredValue, OddRefundsAddUpToTheExactSplitWhenWhole) {
    Fixture f("sv_refund_odd");
    f.Topup(1, 700, 300);
    f.Spend(1, 333, "O-1");
    for (int i = 0; i < 3; ++i) ASSERT_TRUE(f.sv().Refund(f.R(), {.customer_id = 1, .order_id = "O-1", .amount = 111}).ok());
    EXPECT_EQ(f.Balance(1), (Fixture::Pair{700, 300}));
    EXPECT_TRUE(f.Verify().empty());
}

TEST(StoredValue, WithdrawalPaysOutPrincipalAndForfeitsTheBonusInProportion) {
    Fixture f("sv_withdraw");
    f.Topup(1, 50000, 5000);
    auto half = f.sv().Withdraw(f.R(), {.customer_id = 1, .amount = 25000, .reason = "顾客申请退卡"});
    ASSERT_TRUE(half.ok()) << half.status().ToString();
    EXPECT_EQ(half->body["entry"]["principal"], -25000);
    EXPECT_EQ(half->body["entry"]["bonus"], -2500);
    EXPECT_EQ(f.sv().Withdraw(f.R(), {.customer_id = 1, .amount = 25001}).status().field(), "amount");
    auto rest = f.sv().Withdraw(f.R(), {.customer_id = 1});
    ASSERT_TRUE(rest.ok());
    EXPECT_EQ(rest->body["entry"]["principal"], -25000);
    EXPECT_EQ(rest->body["entry"]["bonus"], -2500);
    EXPECT_EQ(f.Balance(1), (Fixture::Pair{0, 0}));
    EXPECT_EQ(f.Count("SELECT count(*) FROM events WHERE name = 'Stored Value Withdrawn'"), 2);
    EXPECT_TRUE(f.Verify().empty());
}

TEST(StoredValue, AWithdrawalOfAFenStillTakesItsShareOfBonus) {
    Fixture f("sv_withdraw_fen");
    f.Topup(1, 100, 10);
    auto fen = f.sv().Withdraw(f.R(), {.customer_id = 1, .amount = 1});
    ASSERT_TRUE(fen.ok());
    EXPECT_EQ(fen->body["entry"]["bonus"], -1);  // rounded up: the bonus never outlives its principal
    auto adj = f.sv().Adjust(f.R(), {.customer_id = 1, .principal = -99, .reason = "清零测试"});
    ASSERT_TRUE(adj.ok());
    EXPECT_EQ(f.sv().Withdraw(f.R(), {.customer_id = 1}).status().code(), StatusCode::kFailedPrecondition);
}

TEST(StoredValue, AdjustRequiresAReasonIsAuditedAndCannotMakeABalanceNegative) {
    Fixture f("sv_adjust");
    f.Topup(1, 1000);
    EXPECT_EQ(f.sv().Adjust(f.R(), {.customer_id = 1, .principal = 100, .reason = "  "}).status().field(), "reason");
    EXPECT_EQ(f.sv().Adjust(f.R(), {.customer_id = 1, .reason = "nothing"}).status().field(), "principal");
    EXPECT_EQ(f.sv().Adjust(f.R(), {.customer_id = 1, .bonus = -1, .reason = "x"}).status().field(), "bonus");
    auto ok = f.sv().Adjust(f.R(), {.customer_id = 1, .principal = -300, .bonus = 200, .reason = "系统迁移差额"});
    ASSERT_TRUE(ok.ok()) << ok.status().ToString();
    EXPECT_EQ(f.Balance(1), (Fixture::Pair{700, 200}));
    EXPECT_EQ(f.Count("SELECT count(*) FROM audit_log WHERE action = 'loyalty.stored_value.adjust'"), 1);
    EXPECT_EQ(f.Count("SELECT count(*) FROM events WHERE name = 'Stored Value Adjusted'"), 1);
}

TEST(StoredValue, StatementOpeningPlusMovementsIsClosing) {
    Fixture f("sv_statement");
    f.Topup(1, 10000, 1000);  // day 0
    f.now += kDay;
    f.Spend(1, 2200, "O-1");  // day 1
    f.now += kDay;
    f.Topup(1, 5000);  // day 2
    f.now += kDay;
    f.Spend(1, 100, "O-2");  // day 3, outside the statement
    TimeMs from = kStart + kDay / 2, to = kStart + 2 * kDay + kDay / 2;
    auto st = f.sv().Statement(1, 1, from, to);
    ASSERT_TRUE(st.ok()) << st.status().ToString();
    const Json& s = *st;
    EXPECT_EQ(s["opening"]["principal"], 10000);
    EXPECT_EQ(s["opening"]["bonus"], 1000);
    EXPECT_EQ(s["movements"].size(), 2u);
    EXPECT_EQ(s["totals"]["spend"]["amount"], -2200);
    EXPECT_EQ(s["totals"]["topup"]["amount"], 5000);
    EXPECT_EQ(s["closing"]["principal"], 10000 - 2000 + 5000);
    EXPECT_EQ(s["closing"]["bonus"], 1000 - 200);
    EXPECT_EQ(s["closing"]["total"],
              s["opening"]["total"].get<int64_t>() + s["totals"]["spend"]["amount"].get<int64_t>() +
                  s["totals"]["topup"]["amount"].get<int64_t>());
}

TEST(StoredValue, EntriesAreNewestFirstWithACursor) {
    Fixture f("sv_entries");
    for (int i = 0; i < 5; ++i) f.Topup(1, 100 + i);
    auto page = f.sv().Entries(1, 1, 3, std::nullopt);
    ASSERT_TRUE(page.ok());
    ASSERT_EQ((*page)["data"].size(), 3u);
    EXPECT_EQ((*page)["data"][0]["principal"], 104);
    auto next = f.sv().Entries(1, 1, 3, (*page)["data"][2]["id"].get<int64_t>());
    ASSERT_TRUE(next.ok());
    ASSERT_EQ((*next)["data"].size(), 2u);
    EXPECT_EQ((*next)["data"][1]["principal"], 100);
}

TEST(StoredValue, ARetryWithTheSameKeyReturnsTheOriginalAndMovesNothing) {
    Fixture f("sv_idempotent");
    Request r = f.R();
    auto first = f.sv().Topup(r, {.customer_id = 1, .amount = 1000});
    auto again = f.sv().Topup(r, {.customer_id = 1, .amount = 1000});
    ASSERT_TRUE(first.ok() && again.ok());
    EXPECT_TRUE(again->replayed);
    EXPECT_EQ(again->body, first->body);
    EXPECT_EQ(f.Balance(1).first, 1000);
    Request other = r;
    other.fingerprint = "another body";
    EXPECT_EQ(f.sv().Topup(other, {.customer_id = 1, .amount = 2000}).status().code(),
              StatusCode::kFailedPrecondition);
    EXPECT_EQ(f.Count("SELECT count(*) FROM stored_value_entries"), 1);
}

TEST(StoredValue, NonMembersAndOtherTenantsMembersAreNotFound) {
    Fixture f("sv_not_found");
    EXPECT_EQ(f.sv().Topup(f.R(), {.customer_id = 4, .amount = 100}).status().code(), StatusCode::kNotFound);
    EXPECT_EQ(f.sv().Topup(f.R(), {.customer_id = 3, .amount = 100}).status().code(), StatusCode::kNotFound);
    EXPECT_EQ(f.sv().Entries(1, 3, 10, std::nullopt).status().code(), StatusCode::kNotFound);
    EXPECT_EQ(f.Count("SELECT count(*) FROM stored_value_entries"), 0);
}

TEST(VerifyStoredValue, FindsABalanceThatDisagreesWithItsEntries) {
    Fixture f("sv_verify");
    f.Topup(1, 1000, 100);
    f.Spend(1, 500, "O-1");
    EXPECT_TRUE(f.Verify().empty());
    ASSERT_TRUE(f.db->Write([](store::Connection& c) { return c.Exec("UPDATE members SET sv_bonus = 999 WHERE customer_id = 1"); }).ok());
    ASSERT_TRUE(f.db->Write([](store::Connection& c) {
                     return c.Exec("INSERT INTO stored_value_entries(tenant_id, customer_id, type, principal, bonus, "
                                   "principal_after, bonus_after, order_id, at) VALUES (1, 1, 'refund', 900, 0, 1400, "
                                   "55, 'O-1', 0)");
                 }).ok());
    auto problems = f.Verify();
    EXPECT_GE(problems.size(), 2u);
    bool member = false, order = false;
    for (const auto& p : problems) {
        member |= p.find("member 1") != std::string::npos;
        order |= p.find("order 'O-1'") != std::string::npos;
    }
    EXPECT_TRUE(member);
    EXPECT_TRUE(order);
}

}  // namespace
}  // namespace siyu::loyalty
