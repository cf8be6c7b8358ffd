#include "cdp/customer_import.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "cdp/customer_repository.h"
#include "scrm/store_directory.h"
#include "store/test_database.h"

namespace siyu::cdp {
namespace {

using Json = nlohmann::json;

class CustomerImportTest : public testing::Test {
  protected:
    void SetUp() override {
        db_ = store::OpenTestDatabase(std::string("members_") +
                                      testing::UnitTest::GetInstance()->current_test_info()->name());
        ASSERT_TRUE(store::AddTestTenants(*db_, {1, 2}).ok());
        repo_ = std::make_unique<CustomerRepository>(db_.get());
        scrm::StoreDirectory stores(db_.get());
        scrm::StoreInput s;
        s.code = "SH01";
        s.name = "上海店";
        s.kind = "store";
        store_ = stores.Create(1, s, {}).value().id;
        options_.tenant_id = 1;
        options_.time_zone = "Asia/Shanghai";
    }

    Result<CustomerImportResult> Import(const std::string& csv) {
        errors_.clear();
        options_.hooks.on_error = [this](const ImportError& e) { errors_.push_back(e); };
        auto reader = CsvReader::FromMemory(csv);
        return ImportCustomers(*reader, *db_, options_);
    }

    CustomerImportResult ImportOk(const std::string& csv) {
        auto r = Import(csv);
        EXPECT_TRUE(r.ok()) << r.status().ToString();
        return r.ok() ? r.value() : CustomerImportResult{};
    }

    Customer Find(const std::string& type, const std::string& value) {
        auto c = repo_->Lookup(1, type, value, {});
        EXPECT_TRUE(c.ok()) << type << " " << value << ": " << c.status().ToString();
        return c.ok() ? c.value() : Customer{};
    }

    bool HasError(int64_t line, const std::string& column, const std::string& words) {
        for (const auto& e : errors_) {
            if (e.line == line && e.column == column && e.reason.find(words) != std::string::npos) return true;
        }
        return false;
    }

    std::unique_ptr<store::Database> db_;
    std::unique_ptr<CustomerRepository> repo_;
    CustomerImportOptions options_;
    std::vector<ImportError> errors_;
    int64_t store_ = 0;
};

TEST_F(CustomerImportTest, NewMembersAreCreatedWithIdentifiersStoreTierAndPoints) {
    auto r = ImportOk(
        "name,phone,member_no,store_code,tier,points,registered_at\n"
        "王芳,138 1234 5678,M001,sh01,gold,1200,2024-03-01 10:00:00\n"
        "李雷,,M002,,silver,0,2024-03-02\n");
    EXPECT_EQ(r.rows, 2);
    EXPECT_EQ(r.created, 2);
    EXPECT_EQ(r.rejected_rows, 0);
    Customer c = Find("member_no", "M001");
    EXPECT_EQ(c.name, "王芳");
    EXPECT_EQ(c.phone, "+8613812345678");
    EXPECT_EQ(c.store_id, store_);
    EXPECT_EQ(Json::parse(c.traits)["tier"], "gold");
    EXPECT_EQ(Json::parse(c.traits)["points"], 1200);
    EXPECT_EQ(FormatRfc3339(c.created_at), "2024-03-01T02:00:00.000Z");
    EXPECT_EQ(Find("phone", "13812345678").id, c.id);
    ASSERT_TRUE(c.computed);
    EXPECT_EQ(c.computed->lifecycle_stage == "registered" || c.computed->lifecycle_stage == "dormant", true);
}

TEST_F(CustomerImportTest, AnExistingCustomerGainsOnlyTheFieldsItLacks) {
    auto existing =
        repo_->Create(1, ParseCustomerInputText(R"({"name":"Wang Fang","phone":"13812345678"})").value(), {});
    ASSERT_TRUE(existing.ok());
    auto r = ImportOk(
        "姓名,手机号,会员号,门店编码,等级,积分\n"
        "王芳,13812345678,M001,SH01,gold,300\n");
    EXPECT_EQ(r.created, 0);
    EXPECT_EQ(r.updated, 1);
    Customer c = Find("member_no", "M001");
    EXPECT_EQ(c.id, existing->id);
    EXPECT_EQ(c.name, "Wang Fang");  // kept
    EXPECT_EQ(c.member_no, "M001");  // filled
    EXPECT_EQ(c.store_id, store_);   // filled
    EXPECT_EQ(Json::parse(c.traits)["points"], 300);

    // Matched by member number this time; the new points balance replaces the old one.
    r = ImportOk("member_no,points\nM001,450\n");
    EXPECT_EQ(r.updated, 1);
    EXPECT_EQ(Json::parse(Find("member_no", "M001").traits)["points"], 450);
}

TEST_F(CustomerImportTest, PhoneAndMemberNumberOfTwoCustomersIsAConflictThatChangesNothing) {
    ImportOk("phone,member_no\n13812345678,M001\n13900000000,M002\n");
    auto r = ImportOk("name,phone,member_no\nX,13812345678,M002\nY,13812345678,M009\n");
    EXPECT_EQ(r.rejected_rows, 2);
    EXPECT_EQ(r.updated + r.created + r.unchanged, 0);
    EXPECT_TRUE(HasError(2, "member_no", "belongs to customer"));
    EXPECT_TRUE(HasError(3, "member_no", "already has a different member number"));
    EXPECT_FALSE(Find("phone", "13812345678").name.has_value());
    EXPECT_EQ(repo_->Lookup(1, "member_no", "M009", {}).status().code(), StatusCode::kNotFound);
}

TEST_F(CustomerImportTest, InvalidRowsAreReportedWithLineAndColumnAndTheRestIsImported) {
    auto r = ImportOk(
        "name,phone,member_no,store_code,points,registered_at\n"
        "ok,13812345678,M1,,10,\n"
        "bad phone,12345,,,,\n"
        "bad store,,M3,NOPE,,\n"
        "bad points,,M4,,1.5,\n"
        "nobody,,,,,\n"
        "bad time,,M6,,,yesterday\n"
        "short,,M7\n");
    EXPECT_EQ(r.created, 1);
    EXPECT_EQ(r.rejected_rows, 6);
    EXPECT_TRUE(HasError(3, "phone", ""));
    EXPECT_TRUE(HasError(4, "store_code", "no store has the code 'NOPE'"));
    EXPECT_TRUE(HasError(5, "points", "whole number"));
    EXPECT_TRUE(HasError(6, "phone", "phone or member_no is required"));
    EXPECT_TRUE(HasError(7, "registered_at", "expected YYYY-MM-DD"));
    EXPECT_TRUE(HasError(8, "", "has 3 fields"));
}

TEST_F(CustomerImportTest, ReimportingTheSameFileChangesNothing) {
    std::string csv = "name,phone,member_no,tier,points\n王芳,13812345678,M1,gold,10\n李雷,13900000000,M2,,\n";
    ImportOk(csv);
    Customer before = Find("member_no", "M1");
    auto r = ImportOk(csv);
    EXPECT_EQ(r.unchanged, 2);
    EXPECT_EQ(r.created + r.updated, 0);
    Customer after = Find("member_no", "M1");
    EXPECT_EQ(after.updated_at, before.updated_at);
    EXPECT_EQ(after.traits, before.traits);
}

TEST_F(CustomerImportTest, AnEarlierRegistrationMovesCreatedAtBack) {
    auto existing = repo_->Create(1, ParseCustomerInputText(R"({"member_no":"M1"})").value(), {});
    ASSERT_TRUE(existing.ok());
    ImportOk("member_no,registered_at\nM1,2019-05-04\n");
    EXPECT_EQ(FormatRfc3339(Find("member_no", "M1").created_at), "2019-05-03T16:00:00.000Z");
}

TEST_F(CustomerImportTest, AFileWithoutPhoneOrMemberNumberColumnsImportsNothing) {
    auto r = Import("name,email\nx,x@example.com\n");
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(r.status().field(), "map");
}

TEST_F(CustomerImportTest, TheMemberHookSeesEachRowAndItsErrorRollsBackOnlyThatRow) {
    std::vector<MemberRowFields> seen;
    std::vector<bool> batches;
    options_.rows_per_batch = 10;
    options_.on_member = [&](store::Connection& c, int64_t tenant_id, int64_t customer_id,
                             const MemberRowFields& row) -> Result<MemberRowOutcome> {
        EXPECT_EQ(tenant_id, 1);
        seen.push_back(row);
        // Writes first, then fails for a large balance: the row must leave no trace.
        SIYU_ASSIGN_OR_RETURN(auto s, c.Prepare("UPDATE customers SET name = 'touched' WHERE id = ?"));
        SIYU_RETURN_IF_ERROR(s.Bind(1, customer_id).Run());
        if (row.stored_value && *row.stored_value > 100'000) {
            return Status(StatusCode::kFailedPrecondition, "too much", "stored_value");
        }
        return MemberRowOutcome{true, true};
    };
    options_.on_batch_done = [&](bool committed) { batches.push_back(committed); };
    auto r = ImportOk(
        "phone,member_no,tier,points,储值余额\n"
        "13800000001,M1,gold,10,12.30\n"
        "13800000002,M2,,,5000\n"
        "13800000003,M3,silver,20,\n");
    EXPECT_EQ(r.created, 2);
    EXPECT_EQ(r.members_created, 2);
    EXPECT_EQ(r.rejected_rows, 1);
    EXPECT_TRUE(HasError(3, "储值余额", "too much"));
    EXPECT_EQ(Find("member_no", "M1").name, "touched");
    EXPECT_FALSE(repo_->Lookup(1, "member_no", "M2", {}).ok());
    // Tier and points go to the hook, not to the traits.
    EXPECT_EQ(Json::parse(Find("member_no", "M3").traits).count("points"), 0u);
    // The first pass met the failing row after it wrote, so the batch ran again row by row.
    EXPECT_EQ(batches, (std::vector<bool>{false, true}));
    ASSERT_EQ(seen.size(), 2u + 3u);
    EXPECT_EQ(seen[2].member_no, "M1");
    EXPECT_TRUE(seen[2].new_customer);
    EXPECT_EQ(seen[2].tier, "gold");
    EXPECT_EQ(seen[2].points, 10);
    EXPECT_EQ(seen[2].stored_value, 1230);
    EXPECT_EQ(seen[3].stored_value, 500'000);
}

}  // namespace
}  // namespace siyu::cdp
