#pragma once

// For the scrm unit tests: a migrated database with tenants, a fake WeCom and a recording outbox.

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "cdp/event_ingestor.h"
#include "scrm/wecom_support.h"
#include "store/test_database.h"

namespace siyu::scrm::testing_support {

// Answers WeCom calls from handlers per path and records every call.
struct FakeWecom {
    std::map<std::string, std::function<Result<Json>(const Json&)>> handlers;
    std::vector<std::pair<std::string, Json>> calls;
    std::mutex mu;

    WecomCall Fn() {
        return [this](int64_t, std::string_view path, const Json& body) -> Result<Json> {
            std::function<Result<Json>(const Json&)> h;
            {
                std::lock_guard<std::mutex> lock(mu);
                calls.emplace_back(std::string(path), body);
                auto it = handlers.find(std::string(path));
                if (it == handlers.end())
                    return Status::Upstream("WeCom errcode 60011: no fake for " + std::string(path));
                h = it->second;
            }
            return h(body);
        };
    }
    size_t CallsTo(const std::string& path) {
        size_t n = 0;
        for (const auto& c : calls) n += c.first == path ? 1 : 0;
        return n;
    }
};

// Keeps enqueued messages so a test can deliver them.
struct FakeOutbox {
    struct Queued {
        int64_t tenant_id;
        std::string kind;
        Json payload;
        std::string key;
    };
    std::vector<Queued> queued;
    std::map<std::string, bool> keys;
    OutboxEnqueue Fn() {
        return [this](store::Connection&, int64_t tenant_id, std::string_view kind, const Json& payload,
                      const std::string& key) -> Result<int64_t> {
            if (!key.empty() && keys.count(key)) return int64_t{0};
            keys[key] = true;
            queued.push_back({tenant_id, std::string(kind), payload, key});
            return static_cast<int64_t>(queued.size());
        };
    }
    // Messages not yet taken, in order; they are removed.
    std::vector<Queued> Take() { return std::exchange(queued, {}); }
};

class ScrmTest : public ::testing::Test {
  protected:
    void SetUp() override {
        db_ = store::OpenTestDatabase(std::string("scrm_") +
                                      ::testing::UnitTest::GetInstance()->current_test_info()->test_suite_name() + "_" +
                                      ::testing::UnitTest::GetInstance()->current_test_info()->name());
        ASSERT_TRUE(store::AddTestTenants(*db_, {1, 2}).ok());
        ingestor_ = std::make_unique<cdp::EventIngestor>(db_.get());
    }

    int64_t Scalar(const std::string& sql) {
        int64_t v = -1;
        EXPECT_TRUE(db_->Read([&](store::Connection& c) -> Status {
                           SIYU_ASSIGN_OR_RETURN(auto s, c.Prepare(sql));
                           SIYU_ASSIGN_OR_RETURN(bool row, s.Step());
                           if (row) v = s.IsNull(0) ? 0 : s.Int(0);
                           return Status::Ok();
                       })
                        .ok());
        return v;
    }
    std::string Text(const std::string& sql) {
        std::string v;
        EXPECT_TRUE(db_->Read([&](store::Connection& c) -> Status {
                           SIYU_ASSIGN_OR_RETURN(auto s, c.Prepare(sql));
                           SIYU_ASSIGN_OR_RETURN(bool row, s.Step());
                           if (row) v = s.OptText(0).value_or("");
                           return Status::Ok();
                       })
                        .ok());
        return v;
    }
    void Exec(const std::string& sql) {
        ASSERT_TRUE(db_->Write([&](store::Connection& c) { return c.Exec(sql); }).ok()) << sql;
    }
    int64_t AddStaff(const std::string& userid, const std::string& status = "active") {
        Exec("INSERT INTO staff(tenant_id, userid, name, status, source, created_at, updated_at) VALUES (1, '" +
             userid + "', '" + userid + "', '" + status + "', 'import', 0, 0)");
        return Scalar("SELECT id FROM staff WHERE tenant_id = 1 AND userid = '" + userid + "'");
    }
    // A customer with a WeCom external_userid.
    int64_t AddCustomer(const std::string& external_userid) {
        auto m = WecomTrack("seed-" + external_userid, "Seeded", 1'700'000'000'000, Json::object(), external_userid);
        EXPECT_TRUE(ingestor_->Ingest(1, {m}).ok());
        return Scalar(
            "SELECT customer_id FROM customer_identifiers WHERE tenant_id = 1 AND type = "
            "'wecom_external_userid' AND value = '" +
            external_userid + "'");
    }
    void Own(int64_t customer_id, int64_t staff_id, const std::string& external_userid, TimeMs added_at) {
        Exec("INSERT INTO customer_owners(tenant_id, customer_id, staff_id, external_userid, added_at) VALUES (1, " +
             std::to_string(customer_id) + ", " + std::to_string(staff_id) + ", '" + external_userid + "', " +
             std::to_string(added_at) + ")");
    }
    int64_t Events(const std::string& name) {
        return Scalar("SELECT count(*) FROM events WHERE tenant_id = 1 AND name = '" + name + "'");
    }

    std::unique_ptr<store::Database> db_;
    std::unique_ptr<cdp::EventIngestor> ingestor_;
    FakeWecom wecom_;
    FakeOutbox outbox_;
};

}  // namespace siyu::scrm::testing_support
