#include "cdp/import_jobs.h"

#include <gtest/gtest.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <thread>

#include "store/test_database.h"

namespace siyu::cdp {
namespace {

using Json = nlohmann::json;

class ImportJobsTest : public testing::Test {
  protected:
    void SetUp() override {
        db_ = store::OpenTestDatabase(std::string("import_jobs_") +
                                      testing::UnitTest::GetInstance()->current_test_info()->name());
        ASSERT_TRUE(store::AddTestTenants(*db_, {1, 2}).ok());
        ingestor_ = std::make_unique<EventIngestor>(db_.get());
    }

    ImportJob WaitFor(ImportJobs& jobs, int64_t tenant, int64_t id) {
        auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
        while (std::chrono::steady_clock::now() < deadline) {
            auto job = jobs.Get(tenant, id);
            EXPECT_TRUE(job.ok()) << job.status().ToString();
            if (!job.ok()) return {};
            if (job->status == "succeeded" || job->status == "failed") return job.value();
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        ADD_FAILURE() << "import " << id << " did not finish";
        return {};
    }

    std::unique_ptr<store::Database> db_;
    std::unique_ptr<EventIngestor> ingestor_;
    auth::Actor actor_{"user", 7, "owner@example.com", "127.0.0.1"};
};

TEST_F(ImportJobsTest, AnOrdersJobRunsInTheBackgroundAndKeepsItsCountsAndErrors) {
    ImportJobs jobs(db_.get(), ingestor_.get());
    ImportJobSpec spec;
    spec.tenant_id = 1;
    spec.kind = "orders";
    spec.file_name = "orders.csv";
    spec.currency = "GBP";
    spec.time_zone = "Europe/London";
    std::string csv =
        "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n"
        "1,A,a,2,2011-01-05 10:00:00,1.50,7.0,UK\n"
        "2,A,a,2,2011-01-05 10:00:00,abc,7.0,UK\n"
        "C3,A,a,-1,2011-01-06 10:00:00,1.50,7.0,UK\n";
    auto started = jobs.Start(spec, csv, actor_);
    ASSERT_TRUE(started.ok()) << started.status().ToString();
    EXPECT_TRUE(started->status == "queued" || started->status == "running" || started->status == "succeeded");
    EXPECT_EQ(started->bytes, static_cast<int64_t>(csv.size()));
    ImportJob done = WaitFor(jobs, 1, started->id);
    EXPECT_EQ(done.status, "succeeded") << done.error.value_or("");
    ASSERT_TRUE(done.counts);
    Json counts = Json::parse(*done.counts);
    EXPECT_EQ(counts["rows"], 3);
    EXPECT_EQ(counts["orders"], 1);
    EXPECT_EQ(counts["refunds"], 1);
    EXPECT_EQ(counts["rejected_orders"], 1);
    EXPECT_EQ(done.error_count, 1);  // the bad price; its order had no other rows
    EXPECT_EQ(done.rows_done, 3);
    ASSERT_TRUE(done.started_at && done.finished_at);
    std::string report = jobs.ErrorsCsv(1, started->id).value();
    EXPECT_EQ(report.rfind("line,column,reason\n3,UnitPrice,", 0), 0u) << report;
    EXPECT_EQ(jobs.Get(2, started->id).status().code(), StatusCode::kNotFound);
    EXPECT_EQ(jobs.List(1, 10, std::nullopt).value().size(), 1u);
    EXPECT_TRUE(jobs.List(2, 10, std::nullopt).value().empty());
}

TEST_F(ImportJobsTest, ACustomersJobCreatesMembers) {
    ImportJobs jobs(db_.get(), ingestor_.get());
    ImportJobSpec spec;
    spec.tenant_id = 1;
    spec.kind = "customers";
    auto started = jobs.Start(spec, "phone,member_no,points\n13812345678,M1,5\n", actor_);
    ASSERT_TRUE(started.ok()) << started.status().ToString();
    ImportJob done = WaitFor(jobs, 1, started->id);
    EXPECT_EQ(done.status, "succeeded");
    EXPECT_EQ(Json::parse(done.counts.value_or("{}"))["created"], 1);
}

TEST_F(ImportJobsTest, ABadHeaderOrKindIsRefusedBeforeAnyJobExists) {
    ImportJobs jobs(db_.get(), ingestor_.get());
    ImportJobSpec spec;
    spec.tenant_id = 1;
    spec.kind = "orders";
    EXPECT_EQ(jobs.Start(spec, "a,b\n1,2\n", actor_).status().field(), "map");
    EXPECT_EQ(jobs.Start(spec, "", actor_).status().field(), "body");
    spec.kind = "products";
    EXPECT_EQ(jobs.Start(spec, "a\n", actor_).status().field(), "kind");
    EXPECT_TRUE(jobs.List(1, 10, std::nullopt).value().empty());
}

TEST_F(ImportJobsTest, JobsLeftRunningByAnEarlierProcessAreMarkedInterrupted) {
    Status seeded = db_->Write([](store::Connection& c) {
        return c.Exec(
            "INSERT INTO import_jobs(tenant_id, kind, status, created_at) VALUES (1, 'orders', 'running', 1)");
    });
    ASSERT_TRUE(seeded.ok()) << seeded.ToString();
    ImportJobs jobs(db_.get(), ingestor_.get());
    auto list = jobs.List(1, 10, std::nullopt).value();
    ASSERT_EQ(list.size(), 1u);
    EXPECT_EQ(list[0].status, "failed");
    EXPECT_NE(list[0].error.value_or("").find("interrupted"), std::string::npos);
}

}  // namespace
}  // namespace siyu::cdp
