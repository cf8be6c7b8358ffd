// Specs of the member import: member files make loyalty members with their tier and opening
// balances on the ledgers; importing again changes nothing; later files post differences.

#include "loyalty/member_import.h"

#include <gtest/gtest.h>

#include "loyalty/points_ledger.h"
#include "store/test_database.h"

namespace siyu::loyalty {
namespace {

class MemberImportTest : public testing::Test {
  protected:
    void SetUp() override {
        db_ = store::OpenTestDatabase(std::string("member_import_") +
                                      testing::UnitTest::GetInstance()->current_test_info()->name());
        ASSERT_TRUE(store::AddTestTenants(*db_, {1, 2}).ok());
        now_ = *ParseRfc3339("2026-05-01T04:00:00Z");
        ASSERT_TRUE(db_->Write([](store::Connection& c) {
                           return c.Exec(
                               "INSERT INTO stores(tenant_id, kind, code, name, created_at, updated_at) VALUES "
                               "(1, 'store', 'SH01', '上海店', 0, 0);"
                               "INSERT INTO tiers(tenant_id, name, level, threshold, created_at, updated_at) VALUES "
                               "(1, '普卡', 0, 0, 0, 0), (1, '金卡', 1, 5000, 0, 0), (2, 'Gold', 0, 0, 0, 0);");
                       }).ok());
    }

    cdp::CustomerImportResult Import(const std::string& csv, int64_t tenant = 1) {
        errors_.clear();
        cdp::CustomerImportOptions o;
        o.tenant_id = tenant;
        o.rows_per_batch = 2;  // several batches, rows depending on earlier batches
        o.hooks.on_error = [this](const cdp::ImportError& e) { errors_.push_back(e); };
        MemberImporter::Attach(
            &o, [this](const std::vector<cdp::StoredEvent>& events) { published_.insert(published_.end(), events.begin(), events.end()); },
            [this] { return now_; });
        auto reader = cdp::CsvReader::FromMemory(csv);
        auto r = cdp::ImportCustomers(*reader, *db_, o);
        EXPECT_TRUE(r.ok()) << r.status().ToString();
        return r.ok() ? r.value() : cdp::CustomerImportResult{};
    }

    int64_t Count(const std::string& sql) {
        int64_t n = -1;
        EXPECT_TRUE(db_->Read([&](store::Connection& c) -> Status {
                           SIYU_ASSIGN_OR_RETURN(auto s, c.Prepare(sql));
                           SIYU_ASSIGN_OR_RETURN(bool row, s.Step());
                           if (row) n = s.IsNull(0) ? 0 : s.Int(0);
                           return Status::Ok();
                       }).ok())
            << sql;
        return n;
    }

    Member MemberNo(const std::string& member_no) {
        Member m;
        EXPECT_TRUE(db_->Write([&](store::Connection& c) -> Status {
                           SIYU_ASSIGN_OR_RETURN(auto s, c.Prepare("SELECT customer_id FROM members WHERE "
                                                                   "member_no = ?"));
                           s.Bind(1, member_no);
                           SIYU_ASSIGN_OR_RETURN(bool row, s.Step());
                           if (!row) return Status::NotFound(member_no);
                           int64_t id = s.Int(0);
                           s.Reset();
                           Tx tx(c, 1, now_);
                           SIYU_ASSIGN_OR_RETURN(m, tx.LoadMember(id));
                           return Status::Ok();
                       }).ok())
            << member_no;
        return m;
    }

    bool HasError(int64_t line, const std::string& column, const std::string& words) {
        for (const auto& e : errors_) {
            if (e.line == line && e.column == column && e.reason.find(words) != std::string::npos) return true;
        }
        return false;
    }

    std::unique_ptr<store::Database> db_;
    TimeMs now_ = 0;
    std::vector<cdp::ImportError> errors_;
    std::vector<cdp::StoredEvent> published_;

    // Writes the events of the points entries made so far (the server's projection does it
    // after each commit) and counts the "Points Adjusted" among them.
    int ProjectAdjusted() {
        int n = 0;
        EXPECT_TRUE(db_->Write([&](store::Connection& c) -> Status {
                           SIYU_ASSIGN_OR_RETURN(auto pass, ReadProjection(c, 100000));
                           SIYU_ASSIGN_OR_RETURN(auto projected, WriteProjection(c, pass));
                           if (!projected) return Status::Internal("the projection moved within one transaction");
                           for (const auto& e : projected->events) n += e.name == "Points Adjusted";
                           return Status::Ok();
                       }).ok());
        return n;
    }
};

constexpr const char* kFile =
    "phone,member_no,name,registered_at,store,tier,points,stored_value\n"
    "13812345678,M001,王芳,2024-03-01 10:00:00,SH01,金卡,1200,88.50\n"
    "13812345679,M002,李雷,2024-03-02,,普卡,0,\n"
    "13812345680,M003,韩梅梅,,,,300,0.07\n";

TEST(MemberImportFields, StoredValueAndStoreHaveTheirDefaultColumns) {
    auto reader = cdp::CsvReader::FromMemory("phone,储值余额,门店\n");
    auto layout = cdp::ReadCustomerHeader(*reader, {});
    ASSERT_TRUE(layout.ok());
    const auto& fields = cdp::CustomerFields();
    for (size_t i = 0; i < fields.size(); ++i) {
        if (fields[i].field == "stored_value") EXPECT_EQ(layout.value().column(i), "储值余额");
        if (fields[i].field == "store_code") EXPECT_EQ(layout.value().column(i), "门店");
    }
}

TEST_F(MemberImportTest, RowsBecomeMembersWithTierAndOpeningBalances) {
    auto r = Import(kFile);
    EXPECT_EQ(r.rows, 3);
    EXPECT_EQ(r.created, 3);
    EXPECT_EQ(r.members_created, 3);
    EXPECT_EQ(r.rejected_rows, 0);

    Member m = MemberNo("M001");
    EXPECT_EQ(m.channel, "import");
    EXPECT_EQ(FormatRfc3339(m.registered_at), "2024-03-01T02:00:00.000Z");
    EXPECT_TRUE(m.store_id.has_value());
    EXPECT_EQ(m.points, 1200);
    EXPECT_EQ(m.points_earned, 0);  // an opening balance is not earned in the programme
    EXPECT_EQ(m.sv_principal, 8850);
    EXPECT_EQ(m.sv_bonus, 0);
    EXPECT_EQ(Count("SELECT t.name = '金卡' FROM members m JOIN tiers t ON t.id = m.tier_id WHERE m.member_no = "
                    "'M001'"),
              1);
    EXPECT_EQ(Count("SELECT count(*) FROM tier_history WHERE reason = 'import' AND from_tier IS NULL"), 3);
    EXPECT_EQ(Count("SELECT count(*) FROM points_entries WHERE type = 'adjust' AND source_type = 'import' AND "
                    "reason = 'opening balance' AND amount = 1200 AND balance_after = 1200"),
              1);
    // The lot expires by the default rule: the end of the year after next, Shanghai time.
    EXPECT_EQ(Count("SELECT expires_at FROM points_lots WHERE amount = 1200"),
              *ParseRfc3339("2027-12-31T16:00:00Z"));
    EXPECT_EQ(Count("SELECT count(*) FROM stored_value_entries WHERE type = 'adjust' AND principal = 8850 AND "
                    "principal_after = 8850 AND bonus = 0"),
              1);

    Member zero = MemberNo("M002");
    EXPECT_EQ(zero.points, 0);
    EXPECT_EQ(Count("SELECT count(*) FROM points_entries WHERE customer_id = " + std::to_string(zero.customer_id)), 0);
    // No tier in the file: the entry tier.
    Member untiered = MemberNo("M003");
    EXPECT_EQ(Count("SELECT t.level FROM members m JOIN tiers t ON t.id = m.tier_id WHERE m.member_no = 'M003'"), 0);
    EXPECT_EQ(untiered.sv_principal, 7);

    // Opening balances carry history over: no events for them.
    EXPECT_EQ(ProjectAdjusted(), 0);
}

TEST_F(MemberImportTest, ImportingTheSameFileAgainChangesNothing) {
    Import(kFile);
    int64_t entries = Count("SELECT count(*) FROM points_entries");
    int64_t lots = Count("SELECT count(*) FROM points_lots");
    int64_t sv = Count("SELECT count(*) FROM stored_value_entries");
    int64_t history = Count("SELECT count(*) FROM tier_history");
    published_.clear();
    ProjectAdjusted();

    auto r = Import(kFile);
    EXPECT_EQ(r.unchanged, 3);
    EXPECT_EQ(r.updated, 0);
    EXPECT_EQ(r.members_created, 0);
    EXPECT_EQ(r.rejected_rows, 0);
    EXPECT_EQ(Count("SELECT count(*) FROM points_entries"), entries);
    EXPECT_EQ(Count("SELECT count(*) FROM points_lots"), lots);
    EXPECT_EQ(Count("SELECT count(*) FROM stored_value_entries"), sv);
    EXPECT_EQ(Count("SELECT count(*) FROM tier_history"), history);
    EXPECT_EQ(MemberNo("M001").points, 1200);
    EXPECT_TRUE(published_.empty());
    EXPECT_EQ(ProjectAdjusted(), 0);
}

TEST_F(MemberImportTest, ALaterFileWithOtherBalancesPostsTheDifferences) {
    Import(kFile);
    auto r = Import(
        "member_no,tier,points,stored_value\n"
        "M001,普卡,1500,80\n"
        "M003,,100,0.07\n");
    EXPECT_EQ(r.updated, 2);
    EXPECT_EQ(r.rejected_rows, 0);
    Member m = MemberNo("M001");
    EXPECT_EQ(m.points, 1500);
    EXPECT_EQ(m.sv_principal, 8000);
    EXPECT_EQ(Count("SELECT amount FROM points_entries WHERE reason = 'import adjustment' AND customer_id = " +
                    std::to_string(m.customer_id)),
              300);
    EXPECT_EQ(Count("SELECT principal FROM stored_value_entries WHERE reason = 'import adjustment'"), -850);
    EXPECT_EQ(Count("SELECT count(*) FROM tier_history WHERE reason = 'import' AND from_tier IS NOT NULL"), 1);
    EXPECT_EQ(MemberNo("M003").points, 100);  // a debit of 200 from the lot
    EXPECT_EQ(Count("SELECT remaining FROM points_lots WHERE amount = 300"), 100);
    // The differences are movements: each emits its event.
    EXPECT_EQ(ProjectAdjusted(), 2);
}

TEST_F(MemberImportTest, PointsSpentSinceTheImportAreKeptAndNeverGoNegative) {
    Import(kFile);
    Member m = MemberNo("M001");
    ASSERT_TRUE(db_->Write([&](store::Connection& c) -> Status {
                       Tx tx(c, 1, now_);
                       EntryMeta meta;
                       meta.reason = "redeemed";
                       meta.source_type = "mall";
                       SIYU_RETURN_IF_ERROR(Debit(tx, m, EntryType::kRedeem, 1000, meta).status());
                       return tx.SaveMember(m);
                   }).ok());
    // The same file again: what the import posted has not changed, so neither does the balance.
    EXPECT_EQ(Import(kFile).unchanged, 3);
    EXPECT_EQ(MemberNo("M001").points, 200);
    // Lowering the imported balance by 300 would need 300 available points; 200 are.
    auto r = Import("member_no,积分\nM001,900\n");
    EXPECT_EQ(r.rejected_rows, 1);
    EXPECT_TRUE(HasError(2, "积分", "200 available"));
    EXPECT_EQ(MemberNo("M001").points, 200);
    // Stored value likewise.
    r = Import("member_no,balance\nM002,-1\nM003,x\n");
    EXPECT_EQ(r.rejected_rows, 2);
    EXPECT_TRUE(HasError(2, "balance", "negative"));
    EXPECT_TRUE(HasError(3, "balance", "at most 2 decimals"));
}

TEST_F(MemberImportTest, AnUnknownTierRejectsTheWholeRowNamingItsColumn) {
    auto r = Import(
        "phone,会员等级,积分\n"
        "13812345678,钻石卡,100\n"
        "13812345679,金卡,100\n");
    EXPECT_EQ(r.rejected_rows, 1);
    EXPECT_EQ(r.created, 1);
    EXPECT_TRUE(HasError(2, "会员等级", "no tier is named '钻石卡'"));
    EXPECT_EQ(Count("SELECT count(*) FROM customers WHERE phone = '+8613812345678'"), 0);
    EXPECT_EQ(Count("SELECT count(*) FROM members"), 1);
    EXPECT_EQ(Count("SELECT count(*) FROM points_entries"), 1);
}

TEST_F(MemberImportTest, ARowWithoutAMemberNumberGetsTheNextOne) {
    auto r = Import("phone,points\n13812345678,10\n");
    EXPECT_EQ(r.members_created, 1);
    Member m = MemberNo("M0000000001");
    EXPECT_EQ(m.points, 10);
    EXPECT_EQ(Count("SELECT count(*) FROM customers WHERE member_no = 'M0000000001'"), 1);
    EXPECT_EQ(Count("SELECT count(*) FROM customer_identifiers WHERE type = 'member_no' AND value = 'M0000000001'"),
              1);
}

TEST_F(MemberImportTest, TiersAreMatchedWithinTheTenant) {
    auto r = Import("phone,tier\n13812345678,gold\n", 2);
    EXPECT_EQ(r.members_created, 1);
    EXPECT_EQ(r.rejected_rows, 0);
    r = Import("phone,tier\n13812345679,Gold\n", 1);
    EXPECT_EQ(r.rejected_rows, 1);
}

}  // namespace
}  // namespace siyu::loyalty
