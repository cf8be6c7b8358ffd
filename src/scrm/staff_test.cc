#include "scrm/staff.h"

#include <gtest/gtest.h>

#include "scrm/fake_wecom_gateway.h"
#include "scrm/store_directory.h"
#include "store/test_database.h"

namespace siyu::scrm {
namespace {

using FakeWecom = fake::FakeGateway;

class StaffTest : public testing::Test {
  protected:
    void SetUp() override {
        db_ = store::OpenTestDatabase(std::string("staff_") +
                                      testing::UnitTest::GetInstance()->current_test_info()->name());
        ASSERT_TRUE(store::AddTestTenants(*db_, {1, 2}).ok());
        staff_ = std::make_unique<StaffDirectory>(db_.get(), &wecom_.gateway);
        wecom_.handlers["/cgi-bin/department/list"] = [](const Json*, const Query&) {
            return Result<Json>(Json{{"department",
                                      {{{"id", 1}, {"name", "总部"}, {"parentid", 0}, {"order", 1}},
                                       {{"id", 2}, {"name", "华东"}, {"parentid", 1}, {"order", 2}}}}});
        };
        wecom_.handlers["/cgi-bin/user/list"] = [this](const Json*, const Query& q) {
            EXPECT_EQ(q, (Query{{"department_id", "1"}, {"fetch_child", "1"}}));
            return Result<Json>(Json{{"userlist", users_}});
        };
    }

    std::unique_ptr<store::Database> db_;
    FakeWecom wecom_;
    std::unique_ptr<StaffDirectory> staff_;
    Json users_ = Json::array();
    auth::Actor actor_;
};

TEST_F(StaffTest, SyncUpsertsMembersAndMarksThoseWecomNoLongerListsResigned) {
    users_ = {{{"userid", "zhang"}, {"name", "张三"}, {"department", {1}}, {"mobile", "13800000000"}, {"status", 1}},
              {{"userid", "li"}, {"name", "李四"}, {"department", {2}}, {"status", 2}}};
    auto first = staff_->Sync(1, actor_).value();
    EXPECT_EQ(first.departments, 2);
    EXPECT_EQ(first.created, 2);
    users_ = {{{"userid", "zhang"}, {"name", "张三丰"}, {"department", {1, 2}}, {"status", 1}}};
    auto second = staff_->Sync(1, actor_).value();
    EXPECT_EQ(second.updated, 1);
    EXPECT_EQ(second.resigned, 1);
    auto list = staff_->List(1, StaffFilter{}).value();
    ASSERT_EQ(list.size(), 2u);
    const Staff& zhang = list[0].userid == "zhang" ? list[0] : list[1];
    const Staff& li = list[0].userid == "zhang" ? list[1] : list[0];
    EXPECT_EQ(zhang.name, "张三丰");
    EXPECT_EQ(zhang.mobile, "13800000000");
    EXPECT_EQ(zhang.department_ids, (std::vector<int64_t>{1, 2}));
    EXPECT_EQ(zhang.source, "wecom");
    EXPECT_EQ(zhang.status, "active");
    EXPECT_EQ(li.status, "resigned");
    auto departments = staff_->Departments(1).value();
    ASSERT_EQ(departments.size(), 2u);
    EXPECT_EQ(departments[1].name, "华东");
    EXPECT_EQ(departments[1].staff_count, 1);
    EXPECT_TRUE(staff_->List(2, StaffFilter{}).value().empty());
}

TEST_F(StaffTest, ImportFromCsvResolvesStoreCodesAndRejectsUnknownOnes) {
    StoreDirectory stores(db_.get());
    StoreInput in;
    in.code = "SH01";
    in.name = "上海一店";
    in.kind = "store";
    int64_t store = stores.Create(1, in, actor_).value().id;
    auto rows = ParseStaffCsv("userid,name,mobile,store_code,department_ids\nzhang,张三,138,SH01,1|2\nli,李四,,,\n");
    ASSERT_TRUE(rows.ok()) << rows.status().ToString();
    auto report = staff_->Import(1, rows.value(), actor_).value();
    EXPECT_EQ(report.created, 2);
    StaffFilter by_store;
    by_store.store_id = store;
    auto list = staff_->List(1, by_store).value();
    ASSERT_EQ(list.size(), 1u);
    EXPECT_EQ(list[0].userid, "zhang");
    EXPECT_EQ(list[0].store_name, "上海一店");
    EXPECT_EQ(list[0].source, "import");

    auto bad = ParseStaffCsv("userid,store_code\nwang,NOPE\n").value();
    EXPECT_EQ(staff_->Import(1, bad, actor_).status().field(), "staff[0].store_code");
    EXPECT_EQ(staff_->List(1, StaffFilter{}).value().size(), 2u);
    EXPECT_EQ(ParseStaffCsv("name\nx\n").status().field(), "csv");
    EXPECT_EQ(ParseStaffJson(Json{{"staff", {{{"userid", "a b"}}}}}).ok(), true);
    EXPECT_EQ(staff_->Import(1, ParseStaffJson(Json{{"staff", {{{"userid", "a b"}}}}}).value(), actor_).status().field(),
              "staff[0].userid");
}

TEST_F(StaffTest, LinksAConsoleUserOnlyOnceAndFiltersByStoresAndText) {
    ASSERT_TRUE(db_->Write([](store::Connection& c) {
                       return c.Exec("INSERT INTO users(id, email, name, password_hash, created_at, updated_at) VALUES "
                                     "(5, 'g@example.com', 'g', 'x', 0, 0); INSERT INTO memberships(tenant_id, user_id, "
                                     "role, created_at) VALUES (1, 5, 'guide', 0)");
                   })
                    .ok());
    StaffRecord a{"a", "阿甲"}, b{"b", "阿乙"};
    ASSERT_TRUE(staff_->Import(1, {a, b}, actor_).ok());
    auto list = staff_->List(1, StaffFilter{}).value();
    StaffPatch link;
    link.user_id = std::optional<int64_t>(5);
    ASSERT_TRUE(staff_->Update(1, list[0].id, link, actor_).ok());
    EXPECT_EQ(staff_->Update(1, list[1].id, link, actor_).status().field(), "user_id");
    StaffPatch stranger;
    stranger.user_id = std::optional<int64_t>(6);
    EXPECT_EQ(staff_->Update(1, list[1].id, stranger, actor_).status().field(), "user_id");
    auto mine = staff_->OfUser(1, 5).value();
    ASSERT_TRUE(mine.has_value());
    EXPECT_EQ(mine->userid, "a");
    StaffFilter q;
    q.q = "乙";
    EXPECT_EQ(staff_->List(1, q).value().size(), 1u);
    StaffFilter no_stores;
    no_stores.store_ids = std::vector<int64_t>{};
    EXPECT_TRUE(staff_->List(1, no_stores).value().empty());
}

}  // namespace
}  // namespace siyu::scrm
