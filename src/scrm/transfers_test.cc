#include "scrm/transfers.h"

#include "scrm/scrm_test_support.h"

namespace siyu::scrm {
namespace {

using testing_support::ScrmTest;

TEST(TransferStatus, WecomResultCodesMapToStates) {
    EXPECT_EQ(TransferStatusOf(1), "accepted");
    EXPECT_EQ(TransferStatusOf(2), "waiting");
    EXPECT_EQ(TransferStatusOf(3), "refused");
    EXPECT_EQ(TransferStatusOf(4), "limit");
    EXPECT_EQ(TransferStatusOf(5), "");
    EXPECT_TRUE(TransferRetryable("limit"));
    EXPECT_TRUE(TransferRetryable("failed"));
    EXPECT_FALSE(TransferRetryable("refused"));
    EXPECT_FALSE(TransferRetryable("accepted"));
}

class TransfersTest : public ScrmTest {
  protected:
    void SetUp() override {
        ScrmTest::SetUp();
        for (const char* path :
             {"/cgi-bin/externalcontact/transfer_customer", "/cgi-bin/externalcontact/resigned/transfer_customer"}) {
            wecom_.handlers[path] = [this](const Json& body) -> Result<Json> {
                Json list = Json::array();
                for (const auto& e : body["external_userid"]) {
                    list.push_back({{"external_userid", e}, {"errcode", submit_errors_.count(e) ? 40129 : 0}});
                }
                return Json{{"errcode", 0}, {"customer", list}};
            };
        }
        for (const char* path :
             {"/cgi-bin/externalcontact/transfer_result", "/cgi-bin/externalcontact/resigned/transfer_result"}) {
            wecom_.handlers[path] = [this](const Json&) -> Result<Json> {
                Json list = Json::array();
                for (const auto& [e, status] : earlier_) {
                    list.push_back({{"external_userid", e}, {"status", status}, {"takeover_time", 1'600'000'000}});
                }
                for (const auto& [e, status] : results_) {
                    list.push_back({{"external_userid", e}, {"status", status}, {"takeover_time", 1'700'000'000}});
                }
                return Json{{"errcode", 0}, {"customer", list}};
            };
        }
        auto group_transfer = [](const Json& body) -> Result<Json> {
            Json failed = Json::array();
            for (const auto& c : body["chat_id_list"]) {
                if (c == "wrBad") failed.push_back({{"chat_id", c}, {"errcode", 90500}, {"errmsg", "not owner"}});
            }
            return Json{{"errcode", 0}, {"failed_chat_list", failed}};
        };
        // Staff who left: groupchat/transfer; staff still employed: groupchat/onjob_transfer.
        wecom_.handlers["/cgi-bin/externalcontact/groupchat/transfer"] = group_transfer;
        wecom_.handlers["/cgi-bin/externalcontact/groupchat/onjob_transfer"] = group_transfer;
        transfers_ = std::make_unique<Transfers>(db_.get(), wecom_.Fn(), outbox_.Fn(), nullptr);
        old_ = AddStaff("old");
        new_ = AddStaff("new");
    }

    void DeliverAll() {
        for (const auto& q : outbox_.Take()) {
            channels::OutboxMessage m;
            m.tenant_id = q.tenant_id;
            m.kind = q.kind;
            m.payload = q.payload;
            last_ = transfers_->Deliver(m);
        }
    }

    std::string StatusOf(const Transfer& t, const std::string& ext) {
        for (const auto& c : t.customers) {
            if (c.external_userid == ext) return c.status;
        }
        return "?";
    }

    std::set<std::string> submit_errors_;
    std::map<std::string, int> results_;
    std::map<std::string, int> earlier_;  // answers of an earlier attempt, listed first
    std::unique_ptr<Transfers> transfers_;
    int64_t old_ = 0, new_ = 0;
    channels::Delivery last_;
};

TEST_F(TransfersTest, AcceptedRefusedAndLimitFromResultsAndCallbacks) {
    int64_t c1 = AddCustomer("wm1"), c2 = AddCustomer("wm2"), c3 = AddCustomer("wm3");
    Own(c1, old_, "wm1", 1);
    Own(c2, old_, "wm2", 1);
    Own(c3, old_, "wm3", 1);
    TransferInput in;
    in.kind = "on_job";
    in.handover_userid = "old";
    in.takeover_userid = "new";
    in.all_customers = true;
    in.transfer_msg = "您好，接下来由新同事为您服务";
    auto t = transfers_->Create(1, in, auth::Actor{});
    ASSERT_TRUE(t.ok()) << t.status().ToString();
    EXPECT_EQ(t->customers.size(), 3u);
    EXPECT_EQ(StatusOf(*t, "wm1"), "submitting");
    DeliverAll();
    EXPECT_EQ(wecom_.calls.back().second["transfer_success_msg"], in.transfer_msg);
    auto waiting = transfers_->Get(1, t->id).value();
    EXPECT_EQ(StatusOf(waiting, "wm1"), "waiting");

    results_ = {{"wm1", 1}, {"wm2", 2}};
    auto polled = transfers_->Refresh(1, t->id).value();
    EXPECT_EQ(StatusOf(polled, "wm1"), "accepted");
    EXPECT_EQ(StatusOf(polled, "wm2"), "waiting");
    EXPECT_EQ(Text("SELECT status FROM customer_owners WHERE staff_id = " + std::to_string(old_) +
                   " AND external_userid = 'wm1'"),
              "transferred");
    EXPECT_EQ(Text("SELECT status FROM customer_owners WHERE staff_id = " + std::to_string(new_) +
                   " AND external_userid = 'wm1'"),
              "active");

    channels::wecom::InboxEvent fail;
    fail.id = 77;
    fail.tenant_id = 1;
    fail.event = "change_external_contact";
    fail.change_type = "transfer_fail";
    fail.fields = {{"UserID", "new"}, {"ExternalUserID", "wm2"}, {"FailReason", "customer_refused"}};
    ASSERT_TRUE(transfers_->OnTransferFail(fail).ok());
    fail.id = 78;
    fail.fields["ExternalUserID"] = "wm3";
    fail.fields["FailReason"] = "customer_limit_exceed";
    ASSERT_TRUE(transfers_->OnTransferFail(fail).ok());
    auto after = transfers_->Get(1, t->id).value();
    EXPECT_EQ(StatusOf(after, "wm2"), "refused");
    EXPECT_EQ(StatusOf(after, "wm3"), "limit");
    EXPECT_EQ(after.status, "finished");
    EXPECT_EQ(Text("SELECT status FROM customer_owners WHERE staff_id = " + std::to_string(old_) +
                   " AND external_userid = 'wm2'"),
              "active");

    // Retry submits only the limit case again.
    auto retried = transfers_->Retry(1, t->id, auth::Actor{});
    ASSERT_TRUE(retried.ok()) << retried.status().ToString();
    EXPECT_EQ(StatusOf(*retried, "wm3"), "submitting");
    EXPECT_EQ(StatusOf(*retried, "wm2"), "refused");
    EXPECT_EQ(retried->status, "running");
    DeliverAll();
    EXPECT_EQ(wecom_.calls.back().second["external_userid"], Json::array({"wm3"}));
    earlier_ = {{"wm3", 4}};  // WeCom still lists the first attempt's "limit"
    results_ = {{"wm3", 1}};
    auto done = transfers_->Refresh(1, t->id).value();
    EXPECT_EQ(StatusOf(done, "wm3"), "accepted");
    EXPECT_EQ(done.status, "finished");
    EXPECT_EQ(transfers_->Retry(1, t->id, auth::Actor{}).status().code(), StatusCode::kFailedPrecondition);
}

TEST_F(TransfersTest, SubmissionErrorsAreRecordedPerCustomerAndChunkedByHundred) {
    std::vector<std::string> chosen;
    for (int i = 0; i < 150; ++i) chosen.push_back("wmX" + std::to_string(i));
    submit_errors_ = {"wmX7"};
    TransferInput in;
    in.kind = "resigned";
    in.handover_userid = "old";
    in.takeover_userid = "new";
    in.external_userids = chosen;
    auto t = transfers_->Create(1, in, auth::Actor{}).value();
    EXPECT_EQ(outbox_.queued.size(), 2u);
    DeliverAll();
    EXPECT_EQ(wecom_.CallsTo("/cgi-bin/externalcontact/resigned/transfer_customer"), 2u);
    auto got = transfers_->Get(1, t.id).value();
    EXPECT_EQ(StatusOf(got, "wmX7"), "failed");
    for (const auto& c : got.customers) {
        if (c.external_userid == "wmX7") EXPECT_EQ(c.errcode, 40129);
    }
    EXPECT_EQ(StatusOf(got, "wmX8"), "waiting");
    // A redelivered chunk submits nothing twice.
    size_t calls = wecom_.calls.size();
    channels::OutboxMessage again;
    again.tenant_id = 1;
    again.payload = {{"transfer_id", t.id}, {"op", "customers"}, {"items", Json::array({"wmX1"})}};
    transfers_->Deliver(again);
    EXPECT_EQ(wecom_.calls.size(), calls);
}

TEST_F(TransfersTest, GroupsMoveToTheNewOwner) {
    Exec(
        "INSERT INTO wecom_groups(tenant_id, chat_id, name, owner_userid, status, updated_at) VALUES (1, 'wrOk', 'a', "
        "'old', 'active', 0), (1, 'wrBad', 'b', 'old', 'active', 0)");
    TransferInput in;
    in.kind = "resigned";
    in.handover_userid = "old";
    in.takeover_userid = "new";
    in.include_groups = true;
    auto t = transfers_->Create(1, in, auth::Actor{}).value();
    ASSERT_EQ(t.groups.size(), 2u);
    DeliverAll();
    auto got = transfers_->Get(1, t.id).value();
    for (const auto& g : got.groups) EXPECT_EQ(g.status, g.chat_id == "wrOk" ? "done" : "failed");
    EXPECT_EQ(Text("SELECT owner_userid FROM wecom_groups WHERE chat_id = 'wrOk'"), "new");
    EXPECT_EQ(Text("SELECT owner_userid FROM wecom_groups WHERE chat_id = 'wrBad'"), "old");
}

TEST_F(TransfersTest, BadInputNamesTheField) {
    TransferInput in;
    in.kind = "sideways";
    EXPECT_EQ(transfers_->Create(1, in, auth::Actor{}).status().field(), "kind");
    in.kind = "on_job";
    in.handover_userid = "old";
    in.takeover_userid = "old";
    EXPECT_EQ(transfers_->Create(1, in, auth::Actor{}).status().field(), "takeover_userid");
    in.takeover_userid = "nobody";
    in.external_userids = {"wm1"};
    EXPECT_EQ(transfers_->Create(1, in, auth::Actor{}).status().field(), "takeover_userid");
    in.takeover_userid = "new";
    in.external_userids.clear();
    EXPECT_EQ(transfers_->Create(1, in, auth::Actor{}).status().field(), "external_userids");
    EXPECT_EQ(Scalar("SELECT count(*) FROM wecom_transfers"), 0);
}

}  // namespace
}  // namespace siyu::scrm
