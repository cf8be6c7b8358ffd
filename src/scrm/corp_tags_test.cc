#include "scrm/corp_tags.h"

#include <gtest/gtest.h>

#include "scrm/fake_wecom_gateway.h"
#include "store/test_database.h"

namespace siyu::scrm {
namespace {

using channels::wecom::InboxEvent;

class CorpTagsTest : public testing::Test {
  protected:
    void SetUp() override {
        db_ = store::OpenTestDatabase(std::string("corp_tags_") +
                                      testing::UnitTest::GetInstance()->current_test_info()->name());
        ASSERT_TRUE(store::AddTestTenants(*db_, {1, 2}).ok());
        tags_ = std::make_unique<cdp::TagRepository>(
            db_.get(), [](std::string_view) -> Result<cdp::TagRuleRefs> { return cdp::TagRuleRefs{}; });
        corp_ = std::make_unique<CorpTags>(db_.get(), &wecom_.gateway, tags_.get());
        wecom_.handlers["/cgi-bin/externalcontact/get_corp_tag_list"] = [this](const Json*, const Query&) {
            return Result<Json>(Json{{"tag_group", corp_list_}});
        };
    }

    InboxEvent TagEvent(int64_t id, const std::string& change, const std::string& type, const std::string& wecom_id) {
        InboxEvent e;
        e.id = id;
        e.tenant_id = 1;
        e.event = "change_external_tag";
        e.change_type = change;
        e.fields = {{"Id", wecom_id}, {"TagType", type}, {"ChangeType", change}};
        return e;
    }

    std::vector<cdp::Tag> Tags() { return tags_->ListTags(1, cdp::TagFilter{}).value(); }

    std::unique_ptr<store::Database> db_;
    fake::FakeGateway wecom_;
    std::unique_ptr<cdp::TagRepository> tags_;
    std::unique_ptr<CorpTags> corp_;
    Json corp_list_ = Json::array();
    auth::Actor actor_;
};

TEST_F(CorpTagsTest, ANewWecomGroupIsCreatedOrLinkedByName) {
    cdp::TagGroupInput g;
    g.name = "客户等级";
    int64_t existing = tags_->CreateGroup(1, g, actor_).value().id;
    cdp::TagInput t;
    t.group_id = existing;
    t.name = "VIP";
    int64_t vip = tags_->CreateTag(1, t, actor_).value().id;
    corp_list_ = {{{"group_id", "wg1"},
                   {"group_name", "客户等级"},
                   {"tag", {{{"id", "wt1"}, {"name", "VIP"}}, {{"id", "wt2"}, {"name", "普通"}, {"order", 2}}}}}};
    ASSERT_TRUE(corp_->OnTagChange(TagEvent(1, "create", "tag_group", "wg1")).ok());
    auto group = tags_->GetGroup(1, existing).value();
    EXPECT_EQ(group.wecom_group_id, "wg1");
    auto tags = Tags();
    ASSERT_EQ(tags.size(), 2u);
    EXPECT_EQ(tags_->GetTag(1, vip).value().wecom_tag_id, "wt1");
    EXPECT_EQ(tags[1].name, "普通");
    EXPECT_EQ(tags[1].wecom_tag_id, "wt2");
    // Running it again changes nothing.
    ASSERT_TRUE(corp_->OnTagChange(TagEvent(1, "create", "tag_group", "wg1")).ok());
    EXPECT_EQ(Tags().size(), 2u);
    EXPECT_EQ(tags_->ListGroups(1).value().size(), 1u);
}

TEST_F(CorpTagsTest, RenamesAndDeletionsFollowWecom) {
    corp_list_ = {{{"group_id", "wg1"}, {"group_name", "兴趣"}, {"tag", {{{"id", "wt1"}, {"name", "护肤"}}}}}};
    ASSERT_TRUE(corp_->OnTagChange(TagEvent(1, "create", "tag", "wt1")).ok());
    corp_list_[0]["tag"][0]["name"] = "护肤品";
    ASSERT_TRUE(corp_->OnTagChange(TagEvent(2, "update", "tag", "wt1")).ok());
    ASSERT_EQ(Tags().size(), 1u);
    EXPECT_EQ(Tags()[0].name, "护肤品");
    ASSERT_TRUE(corp_->OnTagChange(TagEvent(3, "delete", "tag", "wt1")).ok());
    EXPECT_TRUE(Tags().empty());
    ASSERT_TRUE(corp_->OnTagChange(TagEvent(4, "delete", "tag_group", "wg1")).ok());
    EXPECT_TRUE(tags_->ListGroups(1).value().empty());
}

TEST_F(CorpTagsTest, SyncDeletesWhatWecomNoLongerHasAndPushesSiyuTagsOnce) {
    corp_list_ = {{{"group_id", "wg1"},
                   {"group_name", "渠道"},
                   {"tag", {{{"id", "wt1"}, {"name", "海报"}}, {{"id", "wt2"}, {"name", "门店"}}}}}};
    auto first = corp_->Sync(1, actor_).value();
    EXPECT_EQ(first.groups_created, 1);
    EXPECT_EQ(first.tags_created, 2);
    corp_list_[0]["tag"].erase(1);
    int64_t group = tags_->ListGroups(1).value().at(0).id;
    cdp::TagInput mine;
    mine.group_id = group;
    mine.name = "直播";
    int64_t live = tags_->CreateTag(1, mine, actor_).value().id;
    auto second = corp_->Sync(1, actor_).value();
    EXPECT_EQ(second.tags_deleted, 1);
    EXPECT_EQ(second.pushed, 1);
    EXPECT_EQ(corp_->PushPending(1).value(), 0);  // pushed once only
    auto pushes = wecom_.Messages(kCorpTagKind);
    ASSERT_EQ(pushes.size(), 1u);
    EXPECT_EQ(pushes[0].payload["tag_id"], live);

    wecom_.handlers["/cgi-bin/externalcontact/add_corp_tag"] = [](const Json* body, const Query&) {
        EXPECT_EQ((*body)["group_id"], "wg1");
        return Result<Json>(Json{{"tag_group", {{"group_id", "wg1"}, {"tag", {{{"id", "wt9"}, {"name", "直播"}}}}}}});
    };
    auto d = corp_->Deliver(fake::FakeGateway::AsOutbox(pushes[0]));
    EXPECT_EQ(d.kind, channels::Delivery::Kind::kDone) << d.error;
    EXPECT_EQ(tags_->GetTag(1, live).value().wecom_tag_id, "wt9");
    // Delivered again (after a crash): nothing to do.
    EXPECT_EQ(corp_->Deliver(fake::FakeGateway::AsOutbox(pushes[0])).kind, channels::Delivery::Kind::kDone);
    EXPECT_EQ(wecom_.CallCount("/cgi-bin/externalcontact/add_corp_tag"), 1);
}

TEST_F(CorpTagsTest, ANameWecomAlreadyHasIsLinked) {
    corp_list_ = {{{"group_id", "wg1"}, {"group_name", "渠道"}, {"tag", Json::array()}}};
    ASSERT_TRUE(corp_->Sync(1, actor_).ok());
    cdp::TagInput mine;
    mine.group_id = tags_->ListGroups(1).value().at(0).id;
    mine.name = "海报";
    int64_t id = tags_->CreateTag(1, mine, actor_).value().id;
    ASSERT_EQ(corp_->PushPending(1).value(), 1);
    wecom_.handlers["/cgi-bin/externalcontact/add_corp_tag"] = [](const Json*, const Query&) {
        return Result<Json>(Status::Upstream("WeCom errcode 40071: UserTag Name Already Exist"));
    };
    corp_list_[0]["tag"] = {{{"id", "wt5"}, {"name", "海报"}}};
    auto d = corp_->Deliver(fake::FakeGateway::AsOutbox(wecom_.Messages(kCorpTagKind).at(0)));
    EXPECT_EQ(d.kind, channels::Delivery::Kind::kDone) << d.error;
    EXPECT_EQ(tags_->GetTag(1, id).value().wecom_tag_id, "wt5");
}

}  // namespace
}  // namespace siyu::scrm
