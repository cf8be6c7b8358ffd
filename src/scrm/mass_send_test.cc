#include "scrm/mass_send.h"

#include "scrm/scrm_test_support.h"

namespace siyu::scrm {
namespace {

using testing_support::ScrmTest;

TEST(RewriteLinks, ReplacesEveryUrlAndKeepsTheRest) {
    int n = 0;
    auto shorten = [&](const std::string& url) { return "[" + std::to_string(++n) + ":" + url + "]"; };
    EXPECT_EQ(RewriteLinks("新品 https://a.example/x?y=1，快来 http://b.example.", shorten),
              "新品 [1:https://a.example/x?y=1]，快来 [2:http://b.example].");
    EXPECT_EQ(RewriteLinks("no links here", shorten), "no links here");
    EXPECT_EQ(RewriteLinks("(see https://c.example/p)", shorten), "(see [3:https://c.example/p])");
    EXPECT_EQ(RewriteLinks("bare https:// stays", shorten), "bare https:// stays");
}

TEST(MonthOf, UsesTheTenantZone) {
    // 2026-01-31T16:30Z is 2026-02-01 00:30 in Shanghai.
    TimeMs t = ParseRfc3339("2026-01-31T16:30:00Z").value();
    EXPECT_EQ(MonthOf(t, "Asia/Shanghai"), "2026-02");
    EXPECT_EQ(MonthOf(t, "UTC"), "2026-01");
}

class MassSendTest : public ScrmTest {
  protected:
    void SetUp() override {
        ScrmTest::SetUp();
        wecom_.handlers["/cgi-bin/externalcontact/add_msg_template"] = [this](const Json& body) -> Result<Json> {
            Json fail = Json::array();
            for (const auto& e : body["external_userid"]) {
                if (not_friends_.count(e.get<std::string>())) fail.push_back(e);
            }
            return Json{{"errcode", 0}, {"msgid", "msg" + std::to_string(++msg_)}, {"fail_list", fail}};
        };
        wecom_.handlers["/cgi-bin/externalcontact/get_groupmsg_send_result"] =
            [this](const Json& body) -> Result<Json> {
            Json list = Json::array();
            for (const auto& [ext, status] : results_[body["msgid"].get<std::string>()]) {
                list.push_back({{"external_userid", ext},
                                {"userid", body["userid"]},
                                {"status", status},
                                {"send_time", 1'769'900'000}});
            }
            return Json{{"errcode", 0}, {"send_list", list}};
        };
        sends_ = std::make_unique<MassSends>(
            db_.get(), ingestor_.get(), wecom_.Fn(), outbox_.Fn(), nullptr,
            [this](int64_t, int64_t) -> Result<std::vector<int64_t>> { return members_; }, "https://s.example");
        sends_->SetClock([this] { return now_; });
    }

    // Delivers everything queued on the fake outbox.
    void DeliverAll() {
        for (const auto& q : outbox_.Take()) {
            channels::OutboxMessage m;
            m.tenant_id = q.tenant_id;
            m.kind = q.kind;
            m.payload = q.payload;
            auto d = sends_->Deliver(m);
            EXPECT_EQ(static_cast<int>(d.kind), static_cast<int>(channels::Delivery::Kind::kDone)) << d.error;
        }
    }

    Result<MassSend> Send(const std::string& text) {
        MassSendInput in;
        in.name = "Promo";
        in.segment_id = 9;
        in.text = text;
        return sends_->Create(1, in, auth::Actor{});
    }

    std::vector<int64_t> members_;
    std::set<std::string> not_friends_;
    std::map<std::string, std::map<std::string, int>> results_;
    int msg_ = 0;
    TimeMs now_ = ParseRfc3339("2026-01-10T04:00:00Z").value();
    std::unique_ptr<MassSends> sends_;
};

TEST_F(MassSendTest, SplitsByEarliestOwnerAndCountsCustomersWithoutOwner) {
    int64_t a = AddStaff("alice"), b = AddStaff("bob");
    int64_t c1 = AddCustomer("wm1"), c2 = AddCustomer("wm2"), c3 = AddCustomer("wm3");
    Own(c1, b, "wm1", 200);
    Own(c1, a, "wm1", 100);  // alice added c1 first
    Own(c2, b, "wm2", 100);
    members_ = {c1, c2, c3};
    auto m = Send("hello");
    ASSERT_TRUE(m.ok()) << m.status().ToString();
    EXPECT_EQ(m->target_count, 2);
    EXPECT_EQ(m->skipped_no_owner, 1);
    ASSERT_EQ(m->chunks.size(), 2u);
    DeliverAll();
    ASSERT_EQ(wecom_.CallsTo("/cgi-bin/externalcontact/add_msg_template"), 2u);
    std::map<std::string, Json> by_sender;
    for (const auto& [path, body] : wecom_.calls) {
        if (path == "/cgi-bin/externalcontact/add_msg_template") by_sender[body["sender"]] = body["external_userid"];
    }
    EXPECT_EQ(by_sender["alice"], Json::array({"wm1"}));
    EXPECT_EQ(by_sender["bob"], Json::array({"wm2"}));
    auto got = sends_->Get(1, m->id).value();
    EXPECT_EQ(got.status, "sent");
    for (const auto& chunk : got.chunks) EXPECT_FALSE(chunk.msgid.empty());
}

TEST_F(MassSendTest, AChunkInterruptedWhileSubmittingIsNeverSentAgain) {
    int64_t a = AddStaff("alice");
    int64_t c1 = AddCustomer("wm1");
    Own(c1, a, "wm1", 100);
    members_ = {c1};
    auto m = Send("hello");
    ASSERT_TRUE(m.ok()) << m.status().ToString();
    auto queued = outbox_.Take();
    ASSERT_EQ(queued.size(), 1u);
    // The process stopped after claiming the chunk and calling WeCom, before recording the answer.
    Exec("UPDATE mass_send_chunks SET status = 'submitting'");
    channels::OutboxMessage again;
    again.tenant_id = queued[0].tenant_id;
    again.kind = queued[0].kind;
    again.payload = queued[0].payload;
    auto d = sends_->Deliver(again);
    EXPECT_EQ(static_cast<int>(d.kind), static_cast<int>(channels::Delivery::Kind::kFail));
    EXPECT_EQ(wecom_.CallsTo("/cgi-bin/externalcontact/add_msg_template"), 0u);
    auto got = sends_->Get(1, m->id).value();
    ASSERT_EQ(got.chunks.size(), 1u);
    EXPECT_EQ(got.chunks[0].status, "failed");
}

TEST_F(MassSendTest, ChunksOfTenThousandPerStaff) {
    int64_t a = AddStaff("alice");
    Exec(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 10001) INSERT INTO "
        "customers(tenant_id, created_at, updated_at) SELECT 1, 0, 0 FROM n");
    Exec("INSERT INTO customer_owners(tenant_id, customer_id, staff_id, external_userid, added_at) SELECT 1, id, " +
         std::to_string(a) + ", 'wm' || id, 1 FROM customers");
    ASSERT_TRUE(db_->Read([&](store::Connection& c) -> Status {
                       SIYU_ASSIGN_OR_RETURN(auto q, c.Prepare("SELECT id FROM customers ORDER BY id"));
                       return q.ForEachRow([&] { members_.push_back(q.Int(0)); });
                   })
                    .ok());
    auto m = Send("hi").value();
    EXPECT_EQ(m.target_count, 10001);
    ASSERT_EQ(m.chunks.size(), 2u);
    EXPECT_EQ(m.chunks[0].target_count + m.chunks[1].target_count, 10001);
    EXPECT_EQ(std::max(m.chunks[0].target_count, m.chunks[1].target_count), 10000);
    DeliverAll();
    for (const auto& [path, body] : wecom_.calls) {
        if (path == "/cgi-bin/externalcontact/add_msg_template") EXPECT_LE(body["external_userid"].size(), 10000u);
    }
    EXPECT_EQ(wecom_.CallsTo("/cgi-bin/externalcontact/add_msg_template"), 2u);
}

TEST_F(MassSendTest, FifthSendInAMonthLeavesTheCustomerOutAndANewMonthStartsAgain) {
    int64_t a = AddStaff("alice");
    int64_t c1 = AddCustomer("wm1"), c2 = AddCustomer("wm2");
    Own(c1, a, "wm1", 100);
    Own(c2, a, "wm2", 100);
    members_ = {c1};
    for (int i = 0; i < 4; ++i) ASSERT_TRUE(Send("hi").ok());
    members_ = {c1, c2};
    auto fifth = Send("hi").value();
    EXPECT_EQ(fifth.skipped_monthly_limit, 1);
    EXPECT_EQ(fifth.target_count, 1);
    EXPECT_EQ(sends_->MonthlyCount(1, c1, "2026-01").value(), 4);
    // 2026-01-31T16:30Z is already February in Shanghai: the count starts over.
    now_ = ParseRfc3339("2026-01-31T16:30:00Z").value();
    auto next = Send("hi").value();
    EXPECT_EQ(next.month, "2026-02");
    EXPECT_EQ(next.skipped_monthly_limit, 0);
    EXPECT_EQ(next.target_count, 2);
    // One minute before, it was still January.
    now_ = ParseRfc3339("2026-01-31T15:59:00Z").value();
    auto late_january = Send("hi").value();
    EXPECT_EQ(late_january.month, "2026-01");
    EXPECT_EQ(late_january.skipped_monthly_limit, 1);
}

TEST_F(MassSendTest, FailuresAndResultsAreRecordedAndUncounted) {
    int64_t a = AddStaff("alice");
    int64_t c1 = AddCustomer("wm1"), c2 = AddCustomer("wm2"), c3 = AddCustomer("wm3");
    Own(c1, a, "wm1", 1);
    Own(c2, a, "wm2", 1);
    Own(c3, a, "wm3", 1);
    members_ = {c1, c2, c3};
    not_friends_ = {"wm3"};
    auto m = Send("see https://shop.example/a").value();
    DeliverAll();
    auto got = sends_->Get(1, m.id).value();
    ASSERT_EQ(got.chunks.size(), 1u);
    EXPECT_EQ(got.chunks[0].fail_list, std::vector<std::string>{"wm3"});
    EXPECT_EQ(got.failed, 1);
    EXPECT_EQ(sends_->MonthlyCount(1, c3, "2026-01").value(), 0);
    results_[got.chunks[0].msgid] = {{"wm1", 1}, {"wm2", 3}};
    auto refreshed = sends_->Refresh(1, m.id).value();
    EXPECT_EQ(refreshed.sent, 1);
    EXPECT_EQ(refreshed.already_received, 1);
    EXPECT_EQ(sends_->MonthlyCount(1, c2, "2026-01").value(), 0);
    EXPECT_EQ(sends_->MonthlyCount(1, c1, "2026-01").value(), 1);
    EXPECT_EQ(Events("Mass Message Sent"), 1);
    ASSERT_TRUE(sends_->Refresh(1, m.id).ok());
    EXPECT_EQ(Events("Mass Message Sent"), 1);
}

TEST_F(MassSendTest, LinksBecomeShortLinksAndClicksAreAttributed) {
    int64_t a = AddStaff("alice");
    int64_t c1 = AddCustomer("wm1");
    Own(c1, a, "wm1", 1);
    members_ = {c1};
    MassSendInput in;
    in.name = "Links";
    in.segment_id = 9;
    in.text = "Buy https://shop.example/a now, or https://shop.example/a again";
    in.attachments =
        Json::array({{{"msgtype", "link"}, {"link", {{"title", "T"}, {"url", "https://shop.example/b"}}}}});
    auto m = sends_->Create(1, in, auth::Actor{}).value();
    ASSERT_EQ(m.links.size(), 2u);
    EXPECT_EQ(m.text.find("shop.example"), std::string::npos);
    EXPECT_NE(m.text.find("https://s.example/l/"), std::string::npos);
    EXPECT_EQ(m.attachments[0]["link"]["url"].get<std::string>().rfind("https://s.example/l/", 0), 0u);
    std::string code_a;
    for (const auto& l : m.links) {
        if (l.url == "https://shop.example/a") code_a = l.code;
    }
    ASSERT_FALSE(code_a.empty());
    EXPECT_EQ(sends_->Click(code_a, "wm1", "ip1", now_).value(), "https://shop.example/a");
    EXPECT_EQ(sends_->Click(code_a, "wm1", "ip1", now_ + 1).value(), "https://shop.example/a");
    EXPECT_EQ(sends_->Click(code_a, "", "ip2", now_ + 2).value(), "https://shop.example/a");
    // Someone else's id in the link is not trusted: an anonymous click.
    EXPECT_EQ(sends_->Click(code_a, "wmStranger", "ip3", now_ + 3).value(), "https://shop.example/a");
    auto got = sends_->Get(1, m.id).value();
    EXPECT_EQ(got.clicks, 4);
    EXPECT_EQ(got.unique_clickers, 3);
    EXPECT_EQ(Events("Message Clicked"), 4);
    EXPECT_EQ(
        Scalar("SELECT count(*) FROM events WHERE name = 'Message Clicked' AND customer_id = " + std::to_string(c1)),
        2);
    EXPECT_EQ(Scalar("SELECT count(*) FROM customer_identifiers WHERE value = 'wmStranger'"), 0);
    EXPECT_EQ(sends_->Click("zzzzzzzz", "", "", now_).status().code(), StatusCode::kNotFound);
}

TEST_F(MassSendTest, ScheduledSendGoesOutWhenDue) {
    int64_t a = AddStaff("alice");
    int64_t c1 = AddCustomer("wm1");
    Own(c1, a, "wm1", 1);
    members_ = {c1};
    MassSendInput in;
    in.name = "Later";
    in.segment_id = 9;
    in.text = "tomorrow";
    in.scheduled_at = now_ + 3'600'000;
    auto m = sends_->Create(1, in, auth::Actor{}).value();
    EXPECT_EQ(m.status, "scheduled");
    EXPECT_TRUE(outbox_.queued.empty());
    sends_->Tick(now_);
    EXPECT_EQ(sends_->Get(1, m.id).value().status, "scheduled");
    now_ += 3'600'000;
    sends_->Tick(now_);
    auto due = sends_->Get(1, m.id).value();
    EXPECT_EQ(due.status, "sending");
    EXPECT_EQ(due.target_count, 1);
    DeliverAll();
    EXPECT_EQ(sends_->Get(1, m.id).value().status, "sent");
    // A second tick dispatches nothing again.
    sends_->Tick(now_);
    EXPECT_TRUE(outbox_.queued.empty());
    EXPECT_EQ(sends_->MonthlyCount(1, c1, "2026-01").value(), 1);
}

TEST_F(MassSendTest, BadInputNamesTheField) {
    MassSendInput in;
    in.name = "X";
    in.segment_id = 9;
    in.text = "";
    EXPECT_EQ(sends_->Create(1, in, auth::Actor{}).status().field(), "text");
    in.text = "x";
    in.attachments = Json::array({{{"msgtype", "link"}, {"link", {{"title", "T"}}}}});
    EXPECT_EQ(sends_->Create(1, in, auth::Actor{}).status().field(), "attachments[0].link.url");
    in.attachments = Json::array({{{"msgtype", "video"}}});
    EXPECT_EQ(sends_->Create(1, in, auth::Actor{}).status().field(), "attachments[0].msgtype");
    EXPECT_EQ(Scalar("SELECT count(*) FROM mass_sends"), 0);
}

}  // namespace
}  // namespace siyu::scrm
