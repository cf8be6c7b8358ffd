// Specs of the transactional outbox: delivery after commit, retries, dead letters, deadlines,
// deduplication and re-delivery after a restart.

#include "channels/outbox.h"

#include <gtest/gtest.h>

#include <atomic>
#include <future>

#include "store/test_database.h"

namespace siyu::channels {
namespace {

using std::chrono::seconds;

class OutboxTest : public testing::Test {
  protected:
    void SetUp() override {
        db_ = store::OpenTestDatabase(std::string("outbox_") +
                                      testing::UnitTest::GetInstance()->current_test_info()->name());
        ASSERT_TRUE(store::AddTestTenants(*db_, {1, 2}).ok());
    }

    static OutboxOptions FastOptions() {
        OutboxOptions o;
        o.workers = 2;
        o.poll_ms = 20;
        o.backoff_base_ms = 10;
        o.backoff_max_ms = 50;
        return o;
    }

    int64_t Enqueue(Outbox& outbox, int64_t tenant, const Json& payload, EnqueueOptions options = {}) {
        int64_t id = 0;
        Status st = db_->Write([&](store::Connection& c) -> Status {
            SIYU_ASSIGN_OR_RETURN(id, outbox.Enqueue(c, tenant, "test", payload, options));
            return Status::Ok();
        });
        EXPECT_TRUE(st.ok()) << st.ToString();
        outbox.Wake();
        return id;
    }

    std::unique_ptr<store::Database> db_;
};

TEST_F(OutboxTest, EnqueueInARolledBackTransactionDeliversNothing) {
    Outbox outbox(db_.get(), FastOptions());
    std::atomic<int> calls{0};
    outbox.Register("test", [&](const OutboxMessage&) {
        ++calls;
        return Delivery::Done();
    });
    outbox.Start();
    Status st = db_->Write([&](store::Connection& c) -> Status {
        SIYU_ASSIGN_OR_RETURN(auto id, outbox.Enqueue(c, 1, "test", Json{{"n", 1}}));
        (void)id;
        return Status::InvalidArgument("x", "the change fails");
    });
    EXPECT_FALSE(st.ok());
    // A later message is delivered; the rolled back one never existed.
    int64_t later = Enqueue(outbox, 1, Json{{"n", 2}});
    auto m = outbox.Wait(1, later, seconds(30));
    ASSERT_TRUE(m.ok());
    EXPECT_EQ(m->status, "done");
    EXPECT_EQ(calls.load(), 1);
    auto all = outbox.List(1, std::nullopt, std::nullopt, 10);
    ASSERT_TRUE(all.ok());
    EXPECT_EQ(all->size(), 1u);
}

TEST_F(OutboxTest, DeliversOnceAndKeepsTheResult) {
    Outbox outbox(db_.get(), FastOptions());
    std::atomic<int> calls{0};
    outbox.Register("test", [&](const OutboxMessage& m) {
        ++calls;
        return Delivery::Done(Json{{"echo", m.payload["n"]}, {"attempts_before", m.attempts}});
    });
    outbox.Start();
    int64_t id = Enqueue(outbox, 1, Json{{"n", 7}});
    auto m = outbox.Wait(1, id, seconds(30));
    ASSERT_TRUE(m.ok());
    EXPECT_EQ(m->status, "done");
    EXPECT_EQ(m->result["echo"], 7);
    EXPECT_EQ(m->result["attempts_before"], 0);
    EXPECT_EQ(m->attempts, 1);
    outbox.Stop();
    EXPECT_EQ(calls.load(), 1);
}

TEST_F(OutboxTest, RetriesUntilDone) {
    Outbox outbox(db_.get(), FastOptions());
    std::atomic<int> calls{0};
    outbox.Register("test", [&](const OutboxMessage&) {
        return ++calls < 3 ? Delivery::Retry("busy") : Delivery::Done();
    });
    outbox.Start();
    int64_t id = Enqueue(outbox, 1, Json::object());
    auto m = outbox.Wait(1, id, seconds(30));
    ASSERT_TRUE(m.ok());
    EXPECT_EQ(m->status, "done");
    EXPECT_EQ(m->attempts, 3);
    EXPECT_EQ(calls.load(), 3);
}

TEST_F(OutboxTest, FailGoesToTheDeadLetters) {
    Outbox outbox(db_.get(), FastOptions());
    std::atomic<int> calls{0};
    outbox.Register("test", [&](const OutboxMessage&) {
        ++calls;
        return Delivery::Fail("rejected: bad request");
    });
    outbox.Start();
    int64_t id = Enqueue(outbox, 1, Json::object());
    auto m = outbox.Wait(1, id, seconds(30));
    ASSERT_TRUE(m.ok());
    EXPECT_EQ(m->status, "dead");
    EXPECT_EQ(m->last_error, "rejected: bad request");
    EXPECT_EQ(calls.load(), 1);
    auto dead = outbox.List(1, "dead", std::nullopt, 10);
    ASSERT_TRUE(dead.ok());
    ASSERT_EQ(dead->size(), 1u);
    EXPECT_EQ(dead->front().id, id);
    auto others = outbox.List(2, "dead", std::nullopt, 10);
    ASSERT_TRUE(others.ok());
    EXPECT_TRUE(others->empty());
}

TEST_F(OutboxTest, RetriesRunOutAtMaxAttempts) {
    Outbox outbox(db_.get(), FastOptions());
    std::atomic<int> calls{0};
    outbox.Register("test", [&](const OutboxMessage&) {
        ++calls;
        return Delivery::Retry("still down");
    });
    outbox.Start();
    int64_t id = Enqueue(outbox, 1, Json::object(), {.max_attempts = 3});
    auto m = outbox.Wait(1, id, seconds(30));
    ASSERT_TRUE(m.ok());
    EXPECT_EQ(m->status, "dead");
    EXPECT_EQ(m->attempts, 3);
    EXPECT_NE(m->last_error.find("still down"), std::string::npos);
    EXPECT_EQ(calls.load(), 3);
}

TEST_F(OutboxTest, PastItsDeadlineAMessageDiesWithoutACall) {
    Outbox outbox(db_.get(), FastOptions());
    std::atomic<int> calls{0};
    outbox.Register("test", [&](const OutboxMessage&) {
        ++calls;
        return Delivery::Done();
    });
    // Enqueued before the workers run, with a deadline that passes before they do.
    int64_t id = Enqueue(outbox, 1, Json::object(), {.deadline_at = NowMs() - 1});
    outbox.Start();
    auto m = outbox.Wait(1, id, seconds(30));
    ASSERT_TRUE(m.ok());
    EXPECT_EQ(m->status, "dead");
    EXPECT_EQ(m->last_error, "deadline passed");
    EXPECT_EQ(calls.load(), 0);
}

TEST_F(OutboxTest, ADedupeKeyEnqueuesOnce) {
    Outbox outbox(db_.get(), FastOptions());
    std::atomic<int> calls{0};
    outbox.Register("test", [&](const OutboxMessage&) {
        ++calls;
        return Delivery::Done();
    });
    int64_t a = Enqueue(outbox, 1, Json{{"n", 1}}, {.dedupe_key = "welcome-42"});
    int64_t b = Enqueue(outbox, 1, Json{{"n", 2}}, {.dedupe_key = "welcome-42"});
    int64_t other_tenant = Enqueue(outbox, 2, Json{{"n", 3}}, {.dedupe_key = "welcome-42"});
    EXPECT_EQ(a, b);
    EXPECT_NE(a, other_tenant);
    outbox.Start();
    ASSERT_EQ(outbox.Wait(1, a, seconds(30))->status, "done");
    ASSERT_EQ(outbox.Wait(2, other_tenant, seconds(30))->status, "done");
    EXPECT_EQ(outbox.Get(1, a)->payload["n"], 1);
    EXPECT_EQ(calls.load(), 2);
}

TEST_F(OutboxTest, RetryPutsADeadMessageBack) {
    Outbox outbox(db_.get(), FastOptions());
    std::atomic<bool> fixed{false};
    std::atomic<int> calls{0};
    outbox.Register("test", [&](const OutboxMessage&) {
        ++calls;
        return fixed ? Delivery::Done() : Delivery::Fail("receiver answered 400");
    });
    outbox.Start();
    int64_t id = Enqueue(outbox, 1, Json::object(), {.deadline_at = NowMs() + 600'000});
    ASSERT_EQ(outbox.Wait(1, id, seconds(30))->status, "dead");
    EXPECT_EQ(outbox.Retry(2, id).status().code(), StatusCode::kNotFound);
    fixed = true;
    auto retried = outbox.Retry(1, id);
    ASSERT_TRUE(retried.ok()) << retried.status().ToString();
    EXPECT_EQ(retried->deadline_at, 0);
    auto m = outbox.Wait(1, id, seconds(30));
    ASSERT_TRUE(m.ok());
    EXPECT_EQ(m->status, "done");
    EXPECT_EQ(m->last_error, "");
    EXPECT_EQ(calls.load(), 2);
    EXPECT_EQ(outbox.Retry(1, id).status().code(), StatusCode::kFailedPrecondition);
}

TEST_F(OutboxTest, AMessageOfAnUnregisteredKindWaits) {
    Outbox outbox(db_.get(), FastOptions());
    outbox.Register("other", [](const OutboxMessage&) { return Delivery::Done(); });
    outbox.Start();
    int64_t id = Enqueue(outbox, 1, Json::object());
    auto m = outbox.Wait(1, id, std::chrono::milliseconds(300));
    ASSERT_TRUE(m.ok());
    EXPECT_EQ(m->status, "pending");
    EXPECT_EQ(m->attempts, 0);
}

// A process that stops (crashes) while a message is in flight leaves its lease behind; the next
// process to start delivers that message again.
TEST_F(OutboxTest, AMessageInFlightAtACrashIsDeliveredAfterRestart) {
    OutboxOptions one = FastOptions();
    one.workers = 1;
    auto first = std::make_unique<Outbox>(db_.get(), one);
    std::promise<void> started;
    std::promise<void> release;
    auto released = release.get_future().share();
    first->Register("test", [&](const OutboxMessage&) {
        started.set_value();
        released.wait();  // the process "dies" here: it never settles before the restart
        return Delivery::Done(Json{{"by", "first"}});
    });
    first->Start();
    int64_t id = Enqueue(*first, 1, Json::object());
    started.get_future().wait();
    auto in_flight = first->Get(1, id);
    ASSERT_TRUE(in_flight.ok());
    EXPECT_TRUE(in_flight->in_flight);
    EXPECT_EQ(in_flight->attempts, 1);

    Outbox second(db_.get(), FastOptions());
    std::atomic<int> second_calls{0};
    second.Register("test", [&](const OutboxMessage& m) {
        ++second_calls;
        return Delivery::Done(Json{{"by", "second"}, {"attempts_before", m.attempts}});
    });
    second.Start();
    auto m = second.Wait(1, id, seconds(30));
    ASSERT_TRUE(m.ok());
    EXPECT_EQ(m->status, "done");
    EXPECT_EQ(m->result["by"], "second");
    EXPECT_EQ(m->result["attempts_before"], 1);
    EXPECT_EQ(second_calls.load(), 1);

    // The stale process's late outcome does not overwrite the settled message.
    release.set_value();
    first->Stop();
    EXPECT_EQ(second.Get(1, id)->result["by"], "second");
}

}  // namespace
}  // namespace siyu::channels
