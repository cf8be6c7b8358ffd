#include "scrm/groups.h"

#include "scrm/group_live_codes.h"
#include "scrm/scrm_test_support.h"

namespace siyu::scrm {
namespace {

using testing_support::ScrmTest;

class GroupsTest : public ScrmTest {
  protected:
    void SetUp() override {
        ScrmTest::SetUp();
        wecom_.handlers["/cgi-bin/externalcontact/groupchat/get"] = [this](const Json& body) -> Result<Json> {
            std::string chat = body.value("chat_id", "");
            if (!chats_.count(chat)) return Status::Upstream("WeCom errcode 49008: group not found");
            return Json{{"errcode", 0}, {"group_chat", chats_[chat]}};
        };
        wecom_.handlers["/cgi-bin/externalcontact/groupchat/list"] = [this](const Json&) -> Result<Json> {
            Json list = Json::array();
            for (const auto& [id, g] : chats_) list.push_back({{"chat_id", id}, {"status", 0}});
            return Json{{"errcode", 0}, {"group_chat_list", list}};
        };
        groups_ = std::make_unique<Groups>(db_.get(), ingestor_.get(), wecom_.Fn());
        AddStaff("zhangsan");
    }

    void NewChat(const std::string& chat, const std::string& name) {
        chats_[chat] = {
            {"chat_id", chat},
            {"name", name},
            {"owner", "zhangsan"},
            {"create_time", 1'700'000'000},
            {"notice", "welcome"},
            {"member_list",
             Json::array({{{"userid", "zhangsan"}, {"type", 1}, {"join_time", 1'700'000'000}, {"join_scene", 1}}})}};
    }
    void Join(const std::string& chat, const std::string& member, int scene, const std::string& unionid = "") {
        Json m = {{"userid", member},
                  {"type", 2},
                  {"join_time", 1'700'000'100},
                  {"join_scene", scene},
                  {"invitor", {{"userid", "zhangsan"}}}};
        if (!unionid.empty()) m["unionid"] = unionid;
        chats_[chat]["member_list"].push_back(m);
    }
    void Leave(const std::string& chat, const std::string& member) {
        Json kept = Json::array();
        for (const auto& m : chats_[chat]["member_list"]) {
            if (m["userid"] != member) kept.push_back(m);
        }
        chats_[chat]["member_list"] = kept;
    }
    channels::wecom::InboxEvent Callback(int64_t id, const std::string& chat, const std::string& change,
                                         std::map<std::string, std::string> extra = {}) {
        channels::wecom::InboxEvent e;
        e.id = id;
        e.tenant_id = 1;
        e.received_at = 1'700'000'500'000;
        e.event = "change_external_chat";
        e.change_type = change;
        e.fields = std::move(extra);
        e.fields["ChatId"] = chat;
        e.fields["Event"] = "change_external_chat";
        e.fields["ChangeType"] = change;
        e.fields["CreateTime"] = "1700000500";
        return e;
    }

    std::map<std::string, Json> chats_;
    std::unique_ptr<Groups> groups_;
};

TEST_F(GroupsTest, CreateCallbackStoresGroupMembersAndJoinEvents) {
    NewChat("wrChat1", "VIP 群");
    Join("wrChat1", "wmCust1", 3, "unionA");
    ASSERT_TRUE(groups_->OnChatChange(Callback(1, "wrChat1", "create")).ok());
    auto g = groups_->GetByChatId(1, "wrChat1");
    ASSERT_TRUE(g.ok());
    EXPECT_EQ(g->name, "VIP 群");
    EXPECT_EQ(g->owner_userid, "zhangsan");
    EXPECT_TRUE(g->owner_staff_id.has_value());
    EXPECT_EQ(g->member_count, 2);
    EXPECT_EQ(g->customer_count, 1);
    EXPECT_EQ(g->status, "active");
    auto members = groups_->Members(1, g->id).value();
    ASSERT_EQ(members.size(), 2u);
    EXPECT_EQ(Events("Group Joined"), 1);
    int64_t customer = Scalar("SELECT customer_id FROM customer_identifiers WHERE value = 'wmCust1'");
    EXPECT_EQ(Scalar("SELECT customer_id FROM customer_identifiers WHERE value = 'unionA'"), customer);
    auto of_customer = groups_->GroupsOfCustomer(1, customer).value();
    ASSERT_EQ(of_customer.size(), 1u);
    EXPECT_EQ(of_customer[0].chat_id, "wrChat1");
    auto history = groups_->History(1, g->id, 50, std::nullopt).value();
    ASSERT_EQ(history.size(), 2u);
    EXPECT_EQ(history[0].action, "joined");
}

TEST_F(GroupsTest, JoinAndLeaveKeepHistoryWithScenes) {
    NewChat("wrChat2", "Daily");
    ASSERT_TRUE(groups_->OnChatChange(Callback(1, "wrChat2", "create")).ok());
    Join("wrChat2", "wmA", 2);
    ASSERT_TRUE(
        groups_->OnChatChange(Callback(2, "wrChat2", "update", {{"UpdateDetail", "add_member"}, {"JoinScene", "2"}}))
            .ok());
    Leave("wrChat2", "wmA");
    ASSERT_TRUE(
        groups_->OnChatChange(Callback(3, "wrChat2", "update", {{"UpdateDetail", "del_member"}, {"QuitScene", "1"}}))
            .ok());
    auto g = groups_->GetByChatId(1, "wrChat2").value();
    EXPECT_EQ(g.customer_count, 0);
    EXPECT_EQ(Events("Group Joined"), 1);
    EXPECT_EQ(Events("Group Left"), 1);
    auto history = groups_->History(1, g.id, 50, std::nullopt).value();
    ASSERT_EQ(history.size(), 3u);
    EXPECT_EQ(history[0].action, "left");
    EXPECT_EQ(history[0].member_id, "wmA");
    EXPECT_EQ(history[0].quit_scene, 1);
    EXPECT_EQ(history[1].action, "joined");
    EXPECT_EQ(history[1].join_scene, 2);
    EXPECT_EQ(history[1].invitor, "zhangsan");
    EXPECT_EQ(Text("SELECT properties FROM events WHERE name = 'Group Left'").find("\"reason\":\"removed\"") !=
                  std::string::npos,
              true);
}

TEST_F(GroupsTest, SameInboxRowAppliedOnce) {
    NewChat("wrChat3", "Flash");
    ASSERT_TRUE(groups_->OnChatChange(Callback(7, "wrChat3", "create")).ok());
    Join("wrChat3", "wmB", 3);
    ASSERT_TRUE(groups_->OnChatChange(Callback(8, "wrChat3", "update", {{"UpdateDetail", "add_member"}})).ok());
    size_t calls = wecom_.calls.size();
    ASSERT_TRUE(groups_->OnChatChange(Callback(8, "wrChat3", "update", {{"UpdateDetail", "add_member"}})).ok());
    EXPECT_EQ(wecom_.calls.size(), calls);
    EXPECT_EQ(Scalar("SELECT count(*) FROM wecom_group_history"), 2);
    EXPECT_EQ(Events("Group Joined"), 1);
}

TEST_F(GroupsTest, DismissLeavesEveryoneAndMarksTheGroup) {
    NewChat("wrChat4", "Old");
    Join("wrChat4", "wmC", 1);
    Join("wrChat4", "wmD", 1);
    ASSERT_TRUE(groups_->OnChatChange(Callback(1, "wrChat4", "create")).ok());
    chats_.erase("wrChat4");
    ASSERT_TRUE(groups_->OnChatChange(Callback(2, "wrChat4", "dismiss")).ok());
    auto g = groups_->GetByChatId(1, "wrChat4").value();
    EXPECT_EQ(g.status, "dismissed");
    EXPECT_TRUE(g.dismissed_at.has_value());
    EXPECT_EQ(g.member_count, 0);
    EXPECT_EQ(Events("Group Left"), 2);
    EXPECT_TRUE(groups_->Members(1, g.id).value().empty());
}

TEST_F(GroupsTest, OwnerAndNameChangesFollowTheFetchedGroup) {
    NewChat("wrChat5", "Before");
    ASSERT_TRUE(groups_->OnChatChange(Callback(1, "wrChat5", "create")).ok());
    AddStaff("lisi");
    chats_["wrChat5"]["name"] = "After";
    chats_["wrChat5"]["owner"] = "lisi";
    ASSERT_TRUE(groups_->OnChatChange(Callback(2, "wrChat5", "update", {{"UpdateDetail", "change_owner"}})).ok());
    auto g = groups_->GetByChatId(1, "wrChat5").value();
    EXPECT_EQ(g.name, "After");
    EXPECT_EQ(g.owner_userid, "lisi");
}

TEST_F(GroupsTest, SyncReadsEveryGroupWithoutDuplicatingJoins) {
    NewChat("wrS1", "One");
    Join("wrS1", "wmE", 3);
    NewChat("wrS2", "Two");
    auto r = groups_->Sync(1);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(r->groups, 2);
    EXPECT_EQ(r->created, 2);
    EXPECT_EQ(r->joined, 3);
    auto again = groups_->Sync(1).value();
    EXPECT_EQ(again.created, 0);
    EXPECT_EQ(again.joined, 0);
    EXPECT_EQ(Events("Group Joined"), 1);
    GroupFilter f;
    f.q = "Tw";
    auto list = groups_->List(1, f).value();
    ASSERT_EQ(list.size(), 1u);
    EXPECT_EQ(list[0].chat_id, "wrS2");
    EXPECT_TRUE(groups_->List(2, GroupFilter{}).value().empty());
    // A group WeCom no longer lists was dismissed while no callback arrived.
    chats_.erase("wrS1");
    auto third = groups_->Sync(1).value();
    EXPECT_EQ(third.dismissed, 1);
    EXPECT_EQ(groups_->GetByChatId(1, "wrS1").value().status, "dismissed");
    EXPECT_EQ(Events("Group Left"), 1);
}

// Group live codes: the first group below its limit, moving on when full.
TEST_F(GroupsTest, GroupLiveCodeMovesOnWhenAGroupIsFull) {
    NewChat("wrL1", "L1");
    NewChat("wrL2", "L2");
    Join("wrL1", "wmF", 3);  // L1 now has 2 members
    ASSERT_TRUE(groups_->Sync(1).ok());
    int64_t g1 = groups_->GetByChatId(1, "wrL1").value().id;
    int64_t g2 = groups_->GetByChatId(1, "wrL2").value().id;
    GroupLiveCodes codes(db_.get());
    GroupLiveCodeInput in;
    in.name = "Poster";
    in.member_limit = 2;
    in.groups = std::vector<GroupLiveCodeEntry>{{g1, "https://img.example/1.png"}, {g2, "https://img.example/2.png"}};
    auto code = codes.Create(1, in, auth::Actor{});
    ASSERT_TRUE(code.ok()) << code.status().ToString();
    EXPECT_TRUE(code->groups[0].full);

    auto scan = codes.Scan(code->key, 1000).value();
    ASSERT_TRUE(scan.group.has_value());
    EXPECT_EQ(scan.group->chat_id, "wrL2");

    Join("wrL2", "wmG", 3);
    ASSERT_TRUE(groups_->Sync(1).ok());
    auto full = codes.Scan(code->key, 2000).value();
    EXPECT_FALSE(full.group.has_value());
    auto after = codes.Get(1, code->id).value();
    EXPECT_EQ(after.scans, 2);
    EXPECT_EQ(after.full_scans, 1);
    EXPECT_TRUE(after.all_full_at.has_value());
    EXPECT_EQ(after.groups[1].scans, 1);

    GroupLiveCodeInput raise;
    raise.member_limit = 3;
    ASSERT_TRUE(codes.Update(1, code->id, raise, auth::Actor{}).ok());
    auto again = codes.Scan(code->key, 3000).value();
    ASSERT_TRUE(again.group.has_value());
    EXPECT_EQ(again.group->chat_id, "wrL1");
    EXPECT_FALSE(codes.Get(1, code->id).value().all_full_at.has_value());
    EXPECT_EQ(codes.Scan("nope", 0).status().code(), StatusCode::kNotFound);
}

TEST_F(GroupsTest, GroupLiveCodeRejectsBadInput) {
    GroupLiveCodes codes(db_.get());
    GroupLiveCodeInput in;
    in.name = "X";
    in.groups = std::vector<GroupLiveCodeEntry>{{999, "https://img.example/1.png"}};
    EXPECT_EQ(codes.Create(1, in, auth::Actor{}).status().field(), "groups[0].group_id");
    in.groups = std::vector<GroupLiveCodeEntry>{{1, "ftp://x"}};
    EXPECT_EQ(codes.Create(1, in, auth::Actor{}).status().field(), "groups[0].qr_url");
    in.member_limit = 0;
    EXPECT_EQ(codes.Create(1, in, auth::Actor{}).status().field(), "member_limit");
    EXPECT_EQ(Scalar("SELECT count(*) FROM group_live_codes"), 0);
}

}  // namespace
}  // namespace siyu::scrm
