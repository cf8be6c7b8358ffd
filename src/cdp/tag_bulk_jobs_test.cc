#include "cdp/tag_bulk_jobs.h"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "store/test_database.h"

namespace siyu::cdp {
namespace {

class TagBulkJobsTest : public testing::Test {
  protected:
    void SetUp() override {
        db_ = store::OpenTestDatabase(std::string("tag_bulk_jobs_") +
                                      testing::UnitTest::GetInstance()->current_test_info()->name());
        ASSERT_TRUE(store::AddTestTenants(*db_, {1, 2}).ok());
        tags_ = std::make_unique<TagRepository>(db_.get(), [](std::string_view) { return TagRuleRefs{}; });
        TagGroupInput g;
        g.name = "g";
        int64_t group = tags_->CreateGroup(1, g, actor_).value().id;
        TagInput t;
        t.group_id = group;
        t.name = "t";
        tag_ = tags_->CreateTag(1, t, actor_).value().id;
        t.name = "rule";
        t.rule = std::optional<std::string>("{}");
        rule_tag_ = tags_->CreateTag(1, t, actor_).value().id;
    }

    std::vector<int64_t> AddCustomers(int n, int64_t tenant = 1) {
        std::vector<Customer> batch(static_cast<size_t>(n));
        for (auto& c : batch) c.created_at = 1;
        EXPECT_TRUE(CustomerRepository(db_.get()).ImportBatch(tenant, batch).ok());
        std::vector<int64_t> ids;
        EXPECT_TRUE(db_->Read([&](store::Connection& c) -> Status {
                           SIYU_ASSIGN_OR_RETURN(auto stmt, c.Prepare("SELECT id FROM customers WHERE tenant_id = ? "
                                                                      "ORDER BY id DESC LIMIT ?"));
                           stmt.Bind(1, tenant).Bind(2, int64_t{n});
                           return stmt.ForEachRow([&] { ids.push_back(stmt.Int(0)); });
                       })
                        .ok());
        return ids;
    }

    TagBulkJob WaitFor(TagBulkJobs& jobs, int64_t id) {
        auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
        while (std::chrono::steady_clock::now() < deadline) {
            auto job = jobs.Get(1, id);
            EXPECT_TRUE(job.ok()) << job.status().ToString();
            if (!job.ok()) return {};
            if (job->status == "succeeded" || job->status == "failed") return job.value();
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        ADD_FAILURE() << "bulk job " << id << " did not finish";
        return {};
    }

    std::unique_ptr<store::Database> db_;
    std::unique_ptr<TagRepository> tags_;
    auth::Actor actor_{"user", 7, "owner@example.com", "127.0.0.1"};
    int64_t tag_ = 0, rule_tag_ = 0;
};

TEST_F(TagBulkJobsTest, AJobTagsEveryCustomerInBatchesAndSkipsUnknownOnes) {
    auto ids = AddCustomers(1200);
    ids.push_back(987654321);
    ids.push_back(AddCustomers(1, 2).front());  // another tenant's
    TagBulkJobs jobs(db_.get(), tags_.get());
    TagBulkSpec spec;
    spec.tenant_id = 1;
    spec.tag_ids = {tag_};
    spec.customer_ids = ids;
    spec.segment_id = 5;
    spec.by = TaggingBy(actor_);
    auto started = jobs.Start(spec);
    ASSERT_TRUE(started.ok()) << started.status().ToString();
    EXPECT_EQ(started->total, 1202);
    EXPECT_EQ(started->segment_id, 5);
    TagBulkJob done = WaitFor(jobs, started->id);
    EXPECT_EQ(done.status, "succeeded") << done.error.value_or("");
    EXPECT_EQ(done.processed, 1202);
    EXPECT_EQ(done.changed, 1200);
    EXPECT_EQ(done.skipped, 2);
    EXPECT_TRUE(done.finished_at.has_value());

    auto history = tags_->History(1, ids[0], {}, 10, std::nullopt).value();
    ASSERT_EQ(history.size(), 1u);
    EXPECT_EQ(history[0].job_id, started->id);
    EXPECT_EQ(history[0].source, "manual");

    spec.action = TagAction::kRemove;
    auto removal = jobs.Start(spec);
    ASSERT_TRUE(removal.ok());
    EXPECT_EQ(WaitFor(jobs, removal->id).changed, 1200);
    EXPECT_TRUE(tags_->TagsOf(1, ids[0], {})->tags.empty());
    EXPECT_EQ(jobs.Get(2, started->id).status().code(), StatusCode::kNotFound);
}

TEST_F(TagBulkJobsTest, RuleTagsAndUnknownTagsAreRefusedBeforeAJobStarts) {
    TagBulkJobs jobs(db_.get(), tags_.get());
    TagBulkSpec spec;
    spec.tenant_id = 1;
    spec.tag_ids = {tag_, rule_tag_};
    spec.customer_ids = AddCustomers(3);
    spec.by = TaggingBy(actor_);
    auto r = jobs.Start(spec);
    EXPECT_EQ(r.status().code(), StatusCode::kFailedPrecondition);
    EXPECT_EQ(r.status().field(), "tag_ids[1]");
    spec.tag_ids = {4242};
    EXPECT_EQ(jobs.Start(spec).status().field(), "tag_ids[0]");
}

TEST_F(TagBulkJobsTest, JobsLeftRunningByAnEarlierProcessAreMarkedInterrupted) {
    ASSERT_TRUE(db_->Write([&](store::Connection& c) -> Status {
                       SIYU_ASSIGN_OR_RETURN(auto stmt,
                                             c.Prepare("INSERT INTO tag_bulk_jobs(tenant_id, action, tag_ids, "
                                                       "status, total, created_at) VALUES "
                                                       "(1, 'add', '[1]', 'running', 10, 0)"));
                       return stmt.Run();
                   })
                    .ok());
    TagBulkJobs jobs(db_.get(), tags_.get());
    auto job = jobs.Get(1, 1).value();
    EXPECT_EQ(job.status, "failed");
    EXPECT_NE(job.error->find("interrupted"), std::string::npos);
}

}  // namespace
}  // namespace siyu::cdp
