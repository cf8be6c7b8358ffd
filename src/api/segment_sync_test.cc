#include "api/segment_sync.h"

#include <gtest/gtest.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <thread>

#include "api/routes.h"
#include "cdp/customer_repository.h"
#include "store/test_database.h"

namespace siyu::api {
namespace {

using Json = nlohmann::json;

const auth::Actor kActor{"user", 1, "tester", ""};

// A database, the two engines and a sync over them, as the server wires them.
struct Stack {
    explicit Stack(store::Database* db) : tags(db, CheckTagRule), stores(db), segments(&events) {}

    engine::EventStore events;
    cdp::TagRepository tags;
    scrm::StoreDirectory stores;
    engine::SegmentEngine segments;
    std::unique_ptr<SegmentSync> sync;
};

class SegmentSyncTest : public testing::Test {
  protected:
    void SetUp() override {
        db_ = store::OpenTestDatabase(std::string("segment_sync_") +
                                      testing::UnitTest::GetInstance()->current_test_info()->name());
        ASSERT_TRUE(store::AddTestTenants(*db_, {1, 2}).ok());
        customers_ = std::make_unique<cdp::CustomerRepository>(db_.get());
    }

    // A fresh server's view of the database: engines loaded, segments read.
    std::unique_ptr<Stack> Boot() {
        auto s = std::make_unique<Stack>(db_.get());
        EXPECT_TRUE(s->events.LoadFrom(*db_).ok());
        s->sync = std::make_unique<SegmentSync>(db_.get(), &s->events, &s->segments, &s->tags, &s->stores);
        Status st = s->sync->Load();
        EXPECT_TRUE(st.ok()) << st.ToString();
        return s;
    }

    int64_t Customer(const std::string& json, int64_t tenant = 1) {
        auto c = customers_->Create(tenant, cdp::ParseCustomerInputText(json).value(), all_);
        EXPECT_TRUE(c.ok()) << c.status().ToString();
        return c.ok() ? c->id : 0;
    }

    void Patch(int64_t id, const std::string& json) {
        auto c = customers_->Update(1, id, cdp::ParseCustomerInputText(json).value(), all_);
        ASSERT_TRUE(c.ok()) << c.status().ToString();
    }

    int64_t Tag(cdp::TagRepository& tags, const std::string& name) {
        cdp::TagGroupInput g;
        g.name = "group " + name;
        auto group = tags.CreateGroup(1, g, kActor);
        EXPECT_TRUE(group.ok()) << group.status().ToString();
        cdp::TagInput t;
        t.group_id = group->id;
        t.name = name;
        auto tag = tags.CreateTag(1, t, kActor);
        EXPECT_TRUE(tag.ok()) << tag.status().ToString();
        return tag->id;
    }

    int64_t Segment(SegmentSync& sync, const std::string& name, const std::string& rule) {
        auto s = sync.Create(1, SegmentDraft{name, "", rule}, kActor);
        EXPECT_TRUE(s.ok()) << s.status().ToString();
        return s.ok() ? s->id : 0;
    }

    std::vector<int64_t> Members(Stack& s, int64_t segment_id) {
        auto m = s.segments.Members(1, segment_id, 0, 1000);
        EXPECT_TRUE(m.ok()) << m.status().ToString();
        return m.ok() ? m->sample : std::vector<int64_t>{};
    }

    int64_t Count(const std::string& sql) {
        int64_t n = -1;
        EXPECT_TRUE(db_->Read([&](store::Connection& c) -> Status {
                           SIYU_ASSIGN_OR_RETURN(auto stmt, c.Prepare(sql));
                           SIYU_ASSIGN_OR_RETURN(bool row, stmt.Step());
                           if (row) n = stmt.Int(0);
                           stmt.Reset();
                           return Status::Ok();
                       })
                        .ok());
        return n;
    }

    std::unique_ptr<store::Database> db_;
    std::unique_ptr<cdp::CustomerRepository> customers_;
    cdp::Visibility all_;
};

TEST_F(SegmentSyncTest, ARestartLoadsProfilesTagsAndSegmentsAsTheyWere) {
    auto s = Boot();
    int64_t vip = Tag(s->tags, "VIP");
    int64_t a = Customer(R"({"name":"王芳","traits":{"city":"上海"}})");
    int64_t b = Customer(R"({"name":"李雷","traits":{"city":"北京"}})");
    int64_t c = Customer(R"({"name":"韩梅梅","traits":{"city":"上海"},"phone":"13812345678"})");
    ASSERT_TRUE(s->tags.Apply(1, {b}, {vip}, cdp::TagAction::kAdd, cdp::Tagging{}, all_).ok());
    ASSERT_TRUE(s->sync->Poll().ok());
    int64_t shanghai = Segment(*s->sync, "上海", R"({"trait":"city","op":"eq","value":"上海"})");
    int64_t tagged = Segment(*s->sync, "VIP", R"({"tag":"has","id":)" + std::to_string(vip) + "}");
    int64_t phone = Segment(*s->sync, "有手机",
                            R"({"and":[{"segment":"in","id":)" + std::to_string(shanghai) +
                                R"(},{"identifier":"exists","type":"phone"}]})");
    EXPECT_EQ(Members(*s, shanghai), (std::vector<int64_t>{a, c}));
    EXPECT_EQ(Members(*s, tagged), (std::vector<int64_t>{b}));
    EXPECT_EQ(Members(*s, phone), (std::vector<int64_t>{c}));
    s.reset();

    auto again = Boot();
    EXPECT_EQ(Members(*again, shanghai), (std::vector<int64_t>{a, c}));
    EXPECT_EQ(Members(*again, tagged), (std::vector<int64_t>{b}));
    EXPECT_EQ(Members(*again, phone), (std::vector<int64_t>{c}));
    EXPECT_EQ(Count("SELECT count(*) FROM customer_changes"), 0);
}

TEST_F(SegmentSyncTest, ProfileAndTagChangesReachMembershipThroughTheChangeLog) {
    auto s = Boot();
    int64_t vip = Tag(s->tags, "VIP");
    int64_t a = Customer(R"({"name":"王芳","traits":{"city":"北京"}})");
    int64_t shanghai = Segment(*s->sync, "上海", R"({"trait":"city","op":"eq","value":"上海"})");
    int64_t tagged = Segment(*s->sync, "VIP", R"({"tag":"has","id":)" + std::to_string(vip) + "}");
    ASSERT_TRUE(s->sync->Poll().ok());
    EXPECT_TRUE(Members(*s, shanghai).empty());

    Patch(a, R"({"traits":{"city":"上海"}})");
    EXPECT_GT(Count("SELECT count(*) FROM customer_changes"), 0);
    ASSERT_TRUE(s->sync->Poll().ok());
    EXPECT_EQ(Members(*s, shanghai), (std::vector<int64_t>{a}));
    EXPECT_EQ(Count("SELECT count(*) FROM customer_changes"), 0);

    ASSERT_TRUE(s->tags.Apply(1, {a}, {vip}, cdp::TagAction::kAdd, cdp::Tagging{}, all_).ok());
    ASSERT_TRUE(s->sync->Poll().ok());
    EXPECT_EQ(Members(*s, tagged), (std::vector<int64_t>{a}));
    ASSERT_TRUE(s->tags.Apply(1, {a}, {vip}, cdp::TagAction::kRemove, cdp::Tagging{}, all_).ok());
    ASSERT_TRUE(s->sync->Poll().ok());
    EXPECT_TRUE(Members(*s, tagged).empty());

    ASSERT_TRUE(customers_->Delete(1, a, all_, kActor).ok());
    ASSERT_TRUE(s->sync->Poll().ok());
    EXPECT_TRUE(Members(*s, shanghai).empty());
}

TEST_F(SegmentSyncTest, OnlyColumnsTheEngineKeepsFillTheChangeLog) {
    int64_t a = Customer(R"({"name":"王芳"})");
    auto s = Boot();
    ASSERT_TRUE(db_->Write([&](store::Connection& c) -> Status {
                       SIYU_ASSIGN_OR_RETURN(auto stmt, c.Prepare("UPDATE customers SET updated_at = 5, trait_times = "
                                                                  "'{\"x\":1}' WHERE id = ?"));
                       return stmt.Bind(1, a).Run();
                   })
                    .ok());
    EXPECT_EQ(Count("SELECT count(*) FROM customer_changes"), 0);
    int64_t b = Customer(R"({"name":"李雷"})");
    ASSERT_TRUE(db_->Write([&](store::Connection& c) -> Status {
                       SIYU_ASSIGN_OR_RETURN(auto stmt, c.Prepare("UPDATE customers SET merged_into = ? WHERE id = ?"));
                       return stmt.Bind(1, a).Bind(2, b).Run();
                   })
                    .ok());
    // The merged customer and its new survivor.
    EXPECT_EQ(Count("SELECT count(DISTINCT customer_id) FROM customer_changes WHERE customer_id IN (" +
                    std::to_string(a) + "," + std::to_string(b) + ")"),
              2);
}

TEST_F(SegmentSyncTest, EnteringAndLeavingASegmentAreEventsOfTheCustomer) {
    auto s = Boot();
    int64_t a = Customer(R"({"name":"王芳","traits":{"city":"北京"}})");
    ASSERT_TRUE(s->sync->Poll().ok());
    int64_t shanghai = Segment(*s->sync, "上海客户", R"({"trait":"city","op":"eq","value":"上海"})");
    Patch(a, R"({"traits":{"city":"上海"}})");
    ASSERT_TRUE(s->sync->Poll().ok());
    ASSERT_TRUE(s->sync->Poll().ok());
    Patch(a, R"({"traits":{"city":"杭州"}})");
    ASSERT_TRUE(s->sync->Poll().ok());
    ASSERT_TRUE(s->sync->Poll().ok());
    std::vector<std::pair<std::string, Json>> events;
    ASSERT_TRUE(db_->Read([&](store::Connection& c) -> Status {
                       SIYU_ASSIGN_OR_RETURN(auto stmt, c.Prepare("SELECT name, properties FROM events WHERE "
                                                                  "customer_id = ? AND type = 'track' ORDER BY id"));
                       stmt.Bind(1, a);
                       return stmt.ForEachRow([&] { events.emplace_back(stmt.Text(0), Json::parse(stmt.Text(1))); });
                   })
                    .ok());
    ASSERT_EQ(events.size(), 2u);
    EXPECT_EQ(events[0].first, "Segment Entered");
    EXPECT_EQ(events[0].second["segment_id"], shanghai);
    EXPECT_EQ(events[0].second["segment_name"], "上海客户");
    EXPECT_EQ(events[1].first, "Segment Exited");
    // The engine's event index has them too.
    EXPECT_EQ(s->events.CountEvents(1, {a}, "Segment Entered", 0, INT64_MAX), 1);
}

TEST_F(SegmentSyncTest, EventsReachMembershipAtOnce) {
    auto s = Boot();
    int64_t a = Customer(R"({"name":"王芳"})");
    ASSERT_TRUE(s->sync->Poll().ok());
    int64_t viewers = Segment(*s->sync, "看过", R"({"event":"Product Viewed","window":{"last_days":7}})");
    EXPECT_TRUE(Members(*s, viewers).empty());
    TimeMs now = NowMs();
    s->events.Append({engine::EventInput{1, a, "track", "Product Viewed", now, std::nullopt, "{}"}});
    s->sync->OnEvents({cdp::StoredEvent{1, 1, a, "track", "Product Viewed", now, std::nullopt, "{}"}});
    EXPECT_EQ(Members(*s, viewers), (std::vector<int64_t>{a}));
}

TEST_F(SegmentSyncTest, BadRulesSaveNothingAndNameTheirPath) {
    auto s = Boot();
    auto bad = s->sync->Create(
        1, SegmentDraft{"坏", "", R"({"and":[{"all":true},{"event":"A","window":{"last_days":0}}]})"}, kActor);
    EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(bad.status().field(), "rule.and[1].window.last_days");
    auto unknown_tag =
        s->sync->Create(1, SegmentDraft{"坏", "", R"({"or":[{"all":true},{"tag":"has","id":999}]})"}, kActor);
    EXPECT_EQ(unknown_tag.status().code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(unknown_tag.status().field(), "rule.or[1].id");
    auto unknown_segment = s->sync->Create(1, SegmentDraft{"坏", "", R"({"segment":"in","id":77})"}, kActor);
    EXPECT_EQ(unknown_segment.status().field(), "rule.id");
    auto unknown_store = s->sync->Create(1, SegmentDraft{"坏", "", R"({"store":"in","ids":[5]})"}, kActor);
    EXPECT_EQ(unknown_store.status().field(), "rule.ids");
    EXPECT_EQ(Count("SELECT count(*) FROM segments"), 0);
}

TEST_F(SegmentSyncTest, CyclesAndReferencedSegmentsAreRefused) {
    auto s = Boot();
    int64_t base = Segment(*s->sync, "base", R"({"all":true})");
    int64_t derived = Segment(*s->sync, "derived", R"({"segment":"in","id":)" + std::to_string(base) + "}");
    auto cycle = s->sync->Replace(
        1, base, SegmentDraft{"base", "", R"({"segment":"in","id":)" + std::to_string(derived) + "}"}, kActor);
    EXPECT_EQ(cycle.status().code(), StatusCode::kFailedPrecondition) << cycle.status().ToString();
    EXPECT_EQ(s->sync->repository().Get(1, base)->rule, R"({"all":true})");
    EXPECT_EQ(s->sync->Delete(1, base, kActor).code(), StatusCode::kFailedPrecondition);
    EXPECT_TRUE(s->sync->Delete(1, derived, kActor).ok());
    EXPECT_TRUE(s->sync->Delete(1, base, kActor).ok());
    EXPECT_EQ(s->sync->repository().Get(1, base).status().code(), StatusCode::kNotFound);
    auto dup = s->sync->Create(1, SegmentDraft{"again", "", R"({"all":true})"}, kActor);
    ASSERT_TRUE(dup.ok());
    EXPECT_EQ(s->sync->Create(1, SegmentDraft{"again", "", R"({"all":true})"}, kActor).status().code(),
              StatusCode::kAlreadyExists);
}

TEST_F(SegmentSyncTest, SizesAreRecordedForTheTenantsDay) {
    auto s = Boot();
    Customer(R"({"name":"王芳"})");
    Customer(R"({"name":"李雷"})");
    ASSERT_TRUE(s->sync->Poll().ok());
    int64_t everyone = Segment(*s->sync, "全部", R"({"all":true})");
    ASSERT_TRUE(s->sync->Refresh().ok());
    std::string today = LocalDate(NowMs(), "Asia/Shanghai");
    auto sizes = s->sync->repository().Sizes(1, everyone, today, today);
    ASSERT_TRUE(sizes.ok());
    ASSERT_EQ(sizes->size(), 1u);
    EXPECT_EQ(sizes->front().size, 2);
}

TEST_F(SegmentSyncTest, TheThreadFollowsChangesAndStopsCleanly) {
    auto s = Boot();
    int64_t shanghai = Segment(*s->sync, "上海", R"({"trait":"city","op":"eq","value":"上海"})");
    s->sync->Start();
    int64_t a = Customer(R"({"name":"王芳","traits":{"city":"上海"}})");
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (Members(*s, shanghai).empty() && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    EXPECT_EQ(Members(*s, shanghai), (std::vector<int64_t>{a}));
    s->sync->Stop();
    s->sync->Stop();
}

TEST_F(SegmentSyncTest, AnotherTenantsSegmentsAndCustomersStayApart) {
    auto s = Boot();
    int64_t mine = Customer(R"({"name":"王芳"})", 1);
    Customer(R"({"name":"别人"})", 2);
    ASSERT_TRUE(s->sync->Poll().ok());
    int64_t everyone = Segment(*s->sync, "全部", R"({"all":true})");
    EXPECT_EQ(Members(*s, everyone), (std::vector<int64_t>{mine}));
    EXPECT_EQ(s->sync->repository().Get(2, everyone).status().code(), StatusCode::kNotFound);
    auto other =
        s->sync->Create(2, SegmentDraft{"x", "", R"({"segment":"in","id":)" + std::to_string(everyone) + "}"}, kActor);
    EXPECT_EQ(other.status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace siyu::api
