#include "channels/wecom/inbox.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

#include "store/test_database.h"

namespace siyu::channels::wecom {
namespace {

std::string ContactXml(const std::string& change_type, const std::string& external_userid, int n) {
    return "<xml><ToUserName><![CDATA[ww1]]></ToUserName><FromUserName><![CDATA[sys]]></FromUserName>"
           "<CreateTime>" +
           std::to_string(1700000000 + n) +
           "</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[change_external_contact]]></Event>"
           "<ChangeType><![CDATA[" +
           change_type + "]]></ChangeType><UserID><![CDATA[zhangsan]]></UserID><ExternalUserID><![CDATA[" +
           external_userid + "]]></ExternalUserID></xml>";
}

struct InboxFixture {
    std::unique_ptr<store::Database> db;
    explicit InboxFixture(const std::string& name) : db(store::OpenTestDatabase(name)) {
        EXPECT_TRUE(store::AddTestTenants(*db, {1, 2}).ok());
    }
    std::string Text(const std::string& sql) {
        std::string out;
        EXPECT_TRUE(db->Read([&](store::Connection& c) -> Status {
                          SIYU_ASSIGN_OR_RETURN(auto s, c.Prepare(sql));
                          SIYU_ASSIGN_OR_RETURN(bool row, s.Step());
                          if (row) out = s.IsNull(0) ? "NULL" : s.Text(0);
                          return Status::Ok();
                      }).ok());
        return out;
    }
};

InboxOptions FastOptions(int workers = 2) {
    InboxOptions o;
    o.workers = workers;
    o.backoff_ms = 1;
    o.max_backoff_ms = 4;
    return o;
}

TEST(ParseMessageXml, ReadsFlatElementsAndJoinsNestedItems) {
    auto e = ParseMessageXml(
        "<xml><ToUserName><![CDATA[ww1]]></ToUserName><CreateTime>1403610513</CreateTime>"
        "<MsgType><![CDATA[event]]></MsgType><Event><![CDATA[change_external_chat]]></Event>"
        "<ChatId><![CDATA[wrOgQhDgAAMYQiS5ol9G7gK9JVAAAA]]></ChatId><ChangeType><![CDATA[update]]></ChangeType>"
        "<UpdateDetail><![CDATA[add_member]]></UpdateDetail><JoinScene>1</JoinScene><MemChangeCnt>2</MemChangeCnt>"
        "<MemChangeList>\n  <Item><![CDATA[Jack]]></Item>\n  <Item>Rose</Item>\n</MemChangeList></xml>");
    ASSERT_TRUE(e.ok()) << e.status().ToString();
    EXPECT_EQ(e->event, "change_external_chat");
    EXPECT_EQ(e->change_type, "update");
    EXPECT_EQ(e->Field("ChatId"), "wrOgQhDgAAMYQiS5ol9G7gK9JVAAAA");
    EXPECT_EQ(e->Field("JoinScene"), "1");
    EXPECT_EQ(e->Field("CreateTime"), "1403610513");
    EXPECT_EQ(e->Field("MemChangeList/Item"), "Jack,Rose");
    EXPECT_EQ(e->Field("MemChangeList"), "Jack,Rose");
    EXPECT_EQ(e->Field("Missing"), "");
}

TEST(ParseMessageXml, JoinsRepeatedFlatElementsAndRefusesNonXml) {
    auto e = ParseMessageXml("<xml><Id>a</Id><Id>b</Id><Event>change_external_tag</Event></xml>");
    ASSERT_TRUE(e.ok());
    EXPECT_EQ(e->Field("Id"), "a,b");
    EXPECT_EQ(e->change_type, "");
    EXPECT_EQ(ParseMessageXml("not xml").status().code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(ParseMessageXml("<xml><a></xml>").status().code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(ParseMessageXml("").status().code(), StatusCode::kInvalidArgument);
}

TEST(Inbox, DuplicatesAreStoredOnceAndCounted) {
    InboxFixture f("inbox_dupes");
    Inbox inbox(f.db.get(), FastOptions());
    std::string xml = ContactXml("add_external_contact", "wmA", 1);
    auto first = inbox.Store(1, xml, 1000);
    ASSERT_TRUE(first.ok()) << first.status().ToString();
    EXPECT_TRUE(first->inserted);
    auto again = inbox.Store(1, xml, 2000);
    ASSERT_TRUE(again.ok());
    EXPECT_FALSE(again->inserted);
    EXPECT_EQ(again->id, first->id);
    EXPECT_TRUE(inbox.Store(1, xml, 3000).ok());
    auto other_tenant = inbox.Store(2, xml, 1000);
    EXPECT_TRUE(other_tenant->inserted) << "dedupe is per tenant";
    EXPECT_NE(other_tenant->id, first->id);
    auto stats = inbox.Stats(1);
    ASSERT_TRUE(stats.ok());
    EXPECT_EQ(stats->pending, 1);
    EXPECT_EQ(stats->duplicates, 2);
    EXPECT_EQ(inbox.Stats(2)->duplicates, 0);
    EXPECT_EQ(f.Text("SELECT COUNT(*) FROM wecom_inbox WHERE tenant_id = 1"), "1");
    EXPECT_EQ(f.Text("SELECT received_at FROM wecom_inbox WHERE id = " + std::to_string(first->id)), "1000");
}

TEST(Inbox, StoreRefusesMalformedXmlAndStoresNothing) {
    InboxFixture f("inbox_malformed");
    Inbox inbox(f.db.get(), FastOptions());
    EXPECT_EQ(inbox.Store(1, "<xml><Event>x</Event>", 1).status().code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(f.Text("SELECT COUNT(*) FROM wecom_inbox"), "0");
}

TEST(Inbox, EachRowIsHandledOnceEvenWhenDeliveredAgain) {
    InboxFixture f("inbox_once");
    Inbox inbox(f.db.get(), FastOptions(3));
    std::mutex mu;
    std::map<int64_t, int> runs;
    inbox.Register("change_external_contact", [&](const InboxEvent& e) {
        std::lock_guard lock(mu);
        ++runs[e.id];
        EXPECT_EQ(e.tenant_id, 1);
        EXPECT_EQ(e.attempts, 1);
        EXPECT_EQ(e.Field("UserID"), "zhangsan");
        return Status::Ok();
    });
    inbox.Start();
    for (int i = 0; i < 40; ++i) {
        std::string xml = ContactXml("add_external_contact", "wm" + std::to_string(i % 7), i);
        ASSERT_TRUE(inbox.Store(1, xml, i).ok());
        ASSERT_TRUE(inbox.Store(1, xml, i).ok());  // WeCom's retry
    }
    ASSERT_TRUE(inbox.Drain(30'000));
    inbox.Stop();
    EXPECT_EQ(runs.size(), 40u);
    for (auto [id, n] : runs) EXPECT_EQ(n, 1) << "row " << id;
    auto stats = inbox.Stats(1);
    EXPECT_EQ(stats->done, 40);
    EXPECT_EQ(stats->pending, 0);
    EXPECT_EQ(stats->duplicates, 40);
}

TEST(Inbox, TheMoreSpecificHandlerWinsAndUnregisteredEventsAreIgnored) {
    InboxFixture f("inbox_registry");
    Inbox inbox(f.db.get(), FastOptions());
    std::atomic<int> general{0}, specific{0};
    inbox.Register("change_external_contact", [&](const InboxEvent&) {
        ++general;
        return Status::Ok();
    });
    inbox.Register("change_external_contact/del_follow_user", [&](const InboxEvent& e) {
        EXPECT_EQ(e.change_type, "del_follow_user");
        ++specific;
        return Status::Ok();
    });
    auto add = inbox.Store(1, ContactXml("add_external_contact", "wmA", 1), 1);
    auto del = inbox.Store(1, ContactXml("del_follow_user", "wmA", 2), 2);
    auto chat = inbox.Store(1, "<xml><Event>change_external_chat</Event><ChatId>c1</ChatId></xml>", 3);
    inbox.Start();
    ASSERT_TRUE(inbox.Drain(30'000));
    EXPECT_EQ(general.load(), 1);
    EXPECT_EQ(specific.load(), 1);
    EXPECT_EQ(f.Text("SELECT status || '/' || note FROM wecom_inbox WHERE id = " + std::to_string(chat->id)),
              "done/ignored");
    EXPECT_EQ(f.Text("SELECT note FROM wecom_inbox WHERE id = " + std::to_string(add->id)), "NULL");
    EXPECT_EQ(f.Text("SELECT status FROM wecom_inbox WHERE id = " + std::to_string(del->id)), "done");
}

TEST(Inbox, UnavailableIsRetriedWithBackoffUntilItSucceeds) {
    InboxFixture f("inbox_retry");
    Inbox inbox(f.db.get(), FastOptions());
    std::vector<int> attempts;
    std::mutex mu;
    inbox.Register("change_external_contact", [&](const InboxEvent& e) {
        std::lock_guard lock(mu);
        attempts.push_back(e.attempts);
        return e.attempts < 3 ? Status::Unavailable("WeCom is busy") : Status::Ok();
    });
    auto row = inbox.Store(1, ContactXml("add_external_contact", "wmA", 1), 1);
    inbox.Start();
    ASSERT_TRUE(inbox.Drain(30'000));
    EXPECT_EQ(attempts, (std::vector<int>{1, 2, 3}));
    std::string id = std::to_string(row->id);
    EXPECT_EQ(f.Text("SELECT status || '/' || attempts FROM wecom_inbox WHERE id = " + id), "done/3");
    EXPECT_EQ(f.Text("SELECT error FROM wecom_inbox WHERE id = " + id), "NULL");
}

TEST(Inbox, RowsFailWithTheirErrorAndCanBeRetried) {
    InboxFixture f("inbox_failed");
    InboxOptions options = FastOptions();
    options.max_attempts = 3;
    Inbox inbox(f.db.get(), options);
    std::atomic<bool> healthy{false};
    std::atomic<int> busy_calls{0};
    inbox.Register("change_external_contact", [&](const InboxEvent& e) -> Status {
        if (healthy) return Status::Ok();
        if (e.change_type == "edit_external_contact") throw std::runtime_error("boom");
        if (e.Field("ExternalUserID") == "wmBusy") {
            ++busy_calls;
            return Status::Unavailable("WeCom is busy");
        }
        return Status::InvalidArgument("State", "no live code 42");
    });
    auto bad = inbox.Store(1, ContactXml("add_external_contact", "wmBad", 1), 1);
    auto busy = inbox.Store(1, ContactXml("add_external_contact", "wmBusy", 2), 2);
    auto thrown = inbox.Store(1, ContactXml("edit_external_contact", "wmThrow", 3), 3);
    inbox.Start();
    ASSERT_TRUE(inbox.Drain(30'000));
    EXPECT_EQ(busy_calls.load(), 3) << "Unavailable is retried up to max_attempts";
    auto stats = inbox.Stats(1);
    EXPECT_EQ(stats->failed, 3);
    EXPECT_EQ(stats->done, 0);
    auto failed = inbox.Failed(1, 10);
    ASSERT_TRUE(failed.ok());
    ASSERT_EQ(failed->size(), 3u);
    EXPECT_EQ((*failed)[0].id, thrown->id) << "newest first";
    EXPECT_NE((*failed)[0].error.find("boom"), std::string::npos);
    EXPECT_EQ((*failed)[1].error, "WeCom is busy");
    EXPECT_EQ((*failed)[1].attempts, 3);
    EXPECT_EQ((*failed)[2].error, "State: no live code 42");
    EXPECT_EQ((*failed)[2].attempts, 1) << "other errors are not retried";
    EXPECT_EQ((*failed)[2].status, "failed");
    EXPECT_EQ((*failed)[2].Field("ExternalUserID"), "wmBad");
    EXPECT_EQ(inbox.Failed(2, 10)->size(), 0u);
    EXPECT_EQ(inbox.Failed(1, 1)->size(), 1u);

    EXPECT_EQ(inbox.Retry(2, bad->id).code(), StatusCode::kNotFound) << "another tenant's row";
    EXPECT_EQ(inbox.Retry(1, 999999).code(), StatusCode::kNotFound);
    healthy = true;
    ASSERT_TRUE(inbox.Retry(1, bad->id).ok());
    ASSERT_TRUE(inbox.Retry(1, busy->id).ok());
    ASSERT_TRUE(inbox.Drain(30'000));
    EXPECT_EQ(f.Text("SELECT status || '/' || attempts FROM wecom_inbox WHERE id = " + std::to_string(bad->id)),
              "done/1");
    EXPECT_EQ(inbox.Retry(1, bad->id).code(), StatusCode::kFailedPrecondition) << "a done row";
    stats = inbox.Stats(1);
    EXPECT_EQ(stats->done, 2);
    EXPECT_EQ(stats->failed, 1);
}

TEST(Inbox, RowsOfOneLaneRunOneAtATimeInArrivalOrder) {
    InboxFixture f("inbox_order");
    Inbox inbox(f.db.get(), FastOptions(4));
    std::mutex mu;
    std::map<std::string, std::vector<int64_t>> order;
    std::map<std::string, int> in_flight;
    std::atomic<int> overlaps{0};
    std::atomic<int> max_parallel{0}, parallel{0};
    std::atomic<bool> held_back{false};
    auto handler = [&](const InboxEvent& e) -> Status {
        std::string lane = e.Field("ChatId").empty() ? e.Field("ExternalUserID") : e.Field("ChatId");
        {
            std::lock_guard lock(mu);
            if (in_flight[lane]++ > 0) ++overlaps;
        }
        int now = ++parallel;
        int seen = max_parallel.load();
        while (now > seen && !max_parallel.compare_exchange_weak(seen, now)) {
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
        --parallel;
        std::lock_guard lock(mu);
        --in_flight[lane];
        // The first row of lane wm0 is busy once: its successors must wait for it.
        if (lane == "wm0" && !held_back.exchange(true)) return Status::Unavailable("busy once");
        order[lane].push_back(e.id);
        return Status::Ok();
    };
    inbox.Register("change_external_contact", handler);
    inbox.Register("change_external_chat", handler);
    std::map<std::string, std::vector<int64_t>> stored;
    for (int i = 0; i < 60; ++i) {
        std::string lane = "wm" + std::to_string(i % 4);
        std::string xml = i % 5 == 0 ? "<xml><Event>change_external_chat</Event><ChangeType>update</ChangeType>"
                                       "<ChatId>chat1</ChatId><N>" +
                                           std::to_string(i) + "</N></xml>"
                                     : ContactXml("edit_external_contact", lane, i);
        auto r = inbox.Store(1, xml, i);
        ASSERT_TRUE(r.ok());
        stored[i % 5 == 0 ? "chat1" : lane].push_back(r->id);
    }
    inbox.Start();
    ASSERT_TRUE(inbox.Drain(60'000));
    EXPECT_EQ(overlaps.load(), 0);
    EXPECT_EQ(order, stored) << "every lane in id order, wm0's head first despite its retry";
    EXPECT_GE(max_parallel.load(), 1);
}

TEST(Inbox, RowsNotFinishedBeforeAStopAreProcessedAfterARestart) {
    InboxFixture f("inbox_restart");
    std::vector<int64_t> ids;
    {
        // Stored but never started (the process died before processing).
        Inbox first(f.db.get(), FastOptions());
        for (int i = 0; i < 5; ++i) ids.push_back(first.Store(1, ContactXml("add_external_contact", "wmA", i), i)->id);
    }
    {
        // Started, but every attempt is unavailable until the process stops.
        InboxOptions options = FastOptions(1);
        options.max_attempts = 1'000'000;
        Inbox second(f.db.get(), options);
        std::atomic<int> calls{0};
        second.Register("change_external_contact", [&](const InboxEvent&) {
            ++calls;
            return Status::Unavailable("down");
        });
        second.Start();
        while (calls.load() < 3) std::this_thread::sleep_for(std::chrono::milliseconds(1));
        second.Stop();
        EXPECT_EQ(second.Stats(1)->pending, 5);
    }
    Inbox third(f.db.get(), FastOptions());
    std::mutex mu;
    std::vector<int64_t> seen;
    int first_attempt = 0;
    third.Register("change_external_contact", [&](const InboxEvent& e) {
        std::lock_guard lock(mu);
        if (seen.empty()) first_attempt = e.attempts;
        seen.push_back(e.id);
        return Status::Ok();
    });
    third.Start();
    ASSERT_TRUE(third.Drain(30'000));
    EXPECT_EQ(seen, ids) << "one lane: in id order, each once";
    EXPECT_GE(first_attempt, 4) << "attempts survive the restart";
    EXPECT_EQ(third.Stats(1)->done, 5);
}

}  // namespace
}  // namespace siyu::channels::wecom
