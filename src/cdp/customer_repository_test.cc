#include "cdp/customer_repository.h"

#include <gtest/gtest.h>

#include <cstdio>

#include "scrm/store_directory.h"
#include "store/test_database.h"

namespace siyu::cdp {
namespace {

class CustomerRepositoryTest : public testing::Test {
  protected:
    void SetUp() override {
        db_ = store::OpenTestDatabase(std::string("customers_") +
                                      testing::UnitTest::GetInstance()->current_test_info()->name());
        ASSERT_TRUE(store::AddTestTenants(*db_, {1, 2}).ok());
        repo_ = std::make_unique<CustomerRepository>(db_.get());
        scrm::StoreDirectory stores(db_.get());
        scrm::StoreInput s;
        s.code = "SH01";
        s.name = "上海店";
        s.kind = "store";
        store_a_ = stores.Create(1, s, {}).value().id;
        s.code = "BJ01";
        store_b_ = stores.Create(1, s, {}).value().id;
    }

    Customer Make(const char* json, int64_t tenant = 1) {
        auto r = repo_->Create(tenant, ParseCustomerInputText(json).value(), all_);
        EXPECT_TRUE(r.ok()) << r.status().ToString();
        return r.ok() ? r.value() : Customer{};
    }

    std::unique_ptr<store::Database> db_;
    std::unique_ptr<CustomerRepository> repo_;
    Visibility all_;
    int64_t store_a_ = 0, store_b_ = 0;
};

TEST_F(CustomerRepositoryTest, PhoneEmailAndMemberNoBecomeIdentifiers) {
    auto c = Make(R"({"name":"王芳","phone":"13812345678","email":"wf@example.com","member_no":"M1",
                      "identifiers":[{"type":"wechat_unionid","value":"u1"}]})");
    EXPECT_EQ(c.identifiers.size(), 4u);
    EXPECT_EQ(repo_->Lookup(1, "phone", "138 1234 5678", all_).value().id, c.id);
    EXPECT_EQ(repo_->Lookup(1, "wechat_unionid", "u1", all_).value().id, c.id);
}

TEST_F(CustomerRepositoryTest, DuplicateIdentifierNamesTheFieldAndChangesNothing) {
    Make(R"({"phone":"13812345678"})");
    auto dup = repo_->Create(1, ParseCustomerInputText(R"({"name":"x","phone":"+86 138 1234 5678"})").value(), all_);
    EXPECT_EQ(dup.status().code(), StatusCode::kAlreadyExists);
    EXPECT_EQ(dup.status().field(), "phone");
    EXPECT_EQ(repo_->List(1, {}, all_).value().size(), 1u);
}

TEST_F(CustomerRepositoryTest, IdentifiersAreUniquePerTenantOnly) {
    Make(R"({"phone":"13812345678"})", 1);
    Make(R"({"phone":"13812345678"})", 2);
    EXPECT_EQ(repo_->Lookup(2, "phone", "13812345678", all_).value().tenant_id, 2);
}

TEST_F(CustomerRepositoryTest, UpdateReplacesPhoneIdentifierAndNullClears) {
    auto c = Make(R"({"phone":"13812345678","name":"a"})");
    auto u = repo_->Update(1, c.id, ParseCustomerInputText(R"({"phone":"13912345678","name":null})").value(), all_);
    ASSERT_TRUE(u.ok());
    EXPECT_FALSE(u->name.has_value());
    EXPECT_EQ(repo_->Lookup(1, "phone", "13812345678", all_).status().code(), StatusCode::kNotFound);
    EXPECT_EQ(repo_->Lookup(1, "phone", "13912345678", all_).value().id, c.id);
}

TEST_F(CustomerRepositoryTest, SoftDeleteHidesTheCustomerAndReleasesIdentifiers) {
    auto c = Make(R"({"phone":"13812345678"})");
    ASSERT_TRUE(repo_->Delete(1, c.id, all_, {}).ok());
    EXPECT_EQ(repo_->Get(1, c.id, all_).status().code(), StatusCode::kNotFound);
    Make(R"({"phone":"13812345678"})");
}

TEST_F(CustomerRepositoryTest, StoreScopedCallersSeeOnlyTheirStores) {
    std::string a = R"({"name":"A","store_id":)" + std::to_string(store_a_) + "}";
    std::string b = R"({"name":"B","store_id":)" + std::to_string(store_b_) + "}";
    auto ca = Make(a.c_str());
    auto cb = Make(b.c_str());
    Visibility only_a{std::vector<int64_t>{store_a_}};
    EXPECT_TRUE(repo_->Get(1, ca.id, only_a).ok());
    EXPECT_EQ(repo_->Get(1, cb.id, only_a).status().code(), StatusCode::kNotFound);
    auto list = repo_->List(1, {}, only_a).value();
    ASSERT_EQ(list.size(), 1u);
    EXPECT_EQ(list[0].id, ca.id);
    EXPECT_EQ(repo_->Create(1, ParseCustomerInputText(b).value(), only_a).status().code(),
              StatusCode::kPermissionDenied);
}

TEST_F(CustomerRepositoryTest, UnknownStoreIsAnInvalidStoreId) {
    auto r = repo_->Create(1, ParseCustomerInputText(R"({"store_id":999})").value(), all_);
    EXPECT_EQ(r.status().field(), "store_id");
}

TEST_F(CustomerRepositoryTest, ListPagesNewestFirstWithoutRepeats) {
    for (int i = 0; i < 25; ++i) Make(R"({"name":"x"})");
    CustomerFilter f;
    f.limit = 7;
    std::vector<int64_t> seen;
    while (true) {
        auto page = repo_->List(1, f, all_).value();
        for (const auto& c : page) seen.push_back(c.id);
        if (page.size() < 7) break;
        f.before_id = page.back().id;
    }
    EXPECT_EQ(seen.size(), 25u);
    EXPECT_TRUE(std::is_sorted(seen.rbegin(), seen.rend()));
}

TEST_F(CustomerRepositoryTest, QueryMatchesPhoneIdentifierOrName) {
    auto c = Make(R"({"name":"李雷","phone":"13812345678","member_no":"VIP-9"})");
    Make(R"({"name":"韩梅梅"})");
    for (const char* q : {"138 1234 5678", "VIP-9", "李"}) {
        CustomerFilter f;
        f.q = q;
        auto list = repo_->List(1, f, all_).value();
        ASSERT_EQ(list.size(), 1u) << q;
        EXPECT_EQ(list[0].id, c.id);
    }
}

}  // namespace
}  // namespace siyu::cdp
