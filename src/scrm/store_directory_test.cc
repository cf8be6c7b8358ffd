#include "scrm/store_directory.h"

#include <gtest/gtest.h>

#include <cstdio>

#include "store/test_database.h"

namespace siyu::scrm {
namespace {

class StoreDirectoryTest : public testing::Test {
  protected:
    void SetUp() override {
        db_ = store::OpenTestDatabase(std::string("stores_") +
                                      testing::UnitTest::GetInstance()->current_test_info()->name());
        ASSERT_TRUE(store::AddTestTenants(*db_, {1, 2}).ok());
        dir_ = std::make_unique<StoreDirectory>(db_.get());
    }

    Store Make(int64_t tenant, const std::string& code, const std::string& kind, std::optional<int64_t> parent) {
        StoreInput in;
        in.code = code;
        in.name = code;
        in.kind = kind;
        in.parent_id = parent;
        auto r = dir_->Create(tenant, in, actor_);
        EXPECT_TRUE(r.ok()) << r.status().ToString();
        return r.ok() ? r.value() : Store{};
    }

    std::unique_ptr<store::Database> db_;
    std::unique_ptr<StoreDirectory> dir_;
    auth::Actor actor_;
};

TEST_F(StoreDirectoryTest, SubtreeCoversEveryStoreBelowARegion) {
    auto hq = Make(1, "HQ", "hq", std::nullopt);
    auto east = Make(1, "EAST", "region", hq.id);
    auto sh = Make(1, "SH01", "store", east.id);
    auto hz = Make(1, "HZ01", "store", east.id);
    auto south = Make(1, "SOUTH", "region", hq.id);
    Make(1, "GZ01", "store", south.id);
    EXPECT_EQ(dir_->Subtree(1, {east.id}).value(), (std::vector<int64_t>{east.id, sh.id, hz.id}));
    EXPECT_EQ(dir_->Subtree(1, {hq.id}).value().size(), 6u);
    EXPECT_TRUE(dir_->Subtree(2, {hq.id}).value().empty());
}

TEST_F(StoreDirectoryTest, ParentMustBeOfAHigherKind) {
    auto hq = Make(1, "HQ", "hq", std::nullopt);
    auto s = Make(1, "S1", "store", hq.id);
    StoreInput in;
    in.code = "S2";
    in.name = "S2";
    in.kind = "store";
    in.parent_id = s.id;
    EXPECT_EQ(dir_->Create(1, in, actor_).status().field(), "parent_id");
}

TEST_F(StoreDirectoryTest, CodeIsUniquePerTenantOnly) {
    Make(1, "SH01", "store", std::nullopt);
    StoreInput in;
    in.code = "SH01";
    in.name = "again";
    in.kind = "store";
    EXPECT_EQ(dir_->Create(1, in, actor_).status().code(), StatusCode::kAlreadyExists);
    EXPECT_TRUE(dir_->Create(2, in, actor_).ok());
}

TEST_F(StoreDirectoryTest, StoreWithChildrenCannotBeDeleted) {
    auto region = Make(1, "R", "region", std::nullopt);
    auto store = Make(1, "S", "store", region.id);
    EXPECT_EQ(dir_->Delete(1, region.id, actor_).code(), StatusCode::kFailedPrecondition);
    EXPECT_TRUE(dir_->Delete(1, store.id, actor_).ok());
    EXPECT_TRUE(dir_->Delete(1, region.id, actor_).ok());
    EXPECT_EQ(dir_->Get(1, region.id).status().code(), StatusCode::kNotFound);
}

TEST_F(StoreDirectoryTest, AnotherTenantsStoreIsNotFound) {
    auto s = Make(1, "S", "store", std::nullopt);
    EXPECT_EQ(dir_->Get(2, s.id).status().code(), StatusCode::kNotFound);
    EXPECT_EQ(dir_->Delete(2, s.id, actor_).code(), StatusCode::kNotFound);
    StoreInput patch;
    patch.name = "hijack";
    EXPECT_EQ(dir_->Update(2, s.id, patch, actor_).status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace siyu::scrm
