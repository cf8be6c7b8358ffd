#include "cdp/tags.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "cdp/customer_repository.h"
#include "scrm/store_directory.h"
#include "store/test_database.h"

namespace siyu::cdp {
namespace {

using Json = nlohmann::json;

// A stand-in for the segment rule parser: {"fail": "<path>"} fails at that path,
// {"tags": [..], "stores": [..]} refers to tags and stores.
Result<TagRuleRefs> FakeRuleChecker(std::string_view text) {
    Json j = Json::parse(text, nullptr, false);
    if (!j.is_object()) return Status::InvalidArgument("rule", "must be an object");
    if (j.contains("fail")) return Status::InvalidArgument(j["fail"].get<std::string>(), "must be a positive integer");
    TagRuleRefs refs;
    refs.tag_ids = j.value("tags", std::vector<int64_t>{});
    refs.store_ids = j.value("stores", std::vector<int64_t>{});
    return refs;
}

class TagRepositoryTest : public testing::Test {
  protected:
    void SetUp() override {
        db_ = store::OpenTestDatabase(std::string("tags_") +
                                      testing::UnitTest::GetInstance()->current_test_info()->name());
        ASSERT_TRUE(store::AddTestTenants(*db_, {1, 2}).ok());
        customers_ = std::make_unique<CustomerRepository>(db_.get());
        tags_ = std::make_unique<TagRepository>(db_.get(), FakeRuleChecker);
        tags_->SetChangeListener([this](const std::vector<CustomerTagChange>& changes) {
            published_.insert(published_.end(), changes.begin(), changes.end());
        });
        tags_->SetRuleListener([this](const std::vector<RuleTagChange>& changes) {
            rules_published_.insert(rules_published_.end(), changes.begin(), changes.end());
        });
        scrm::StoreDirectory stores(db_.get());
        scrm::StoreInput s;
        s.code = "SH01";
        s.name = "上海店";
        s.kind = "store";
        store_a_ = stores.Create(1, s, {}).value().id;
        s.code = "BJ01";
        s.name = "北京店";
        store_b_ = stores.Create(1, s, {}).value().id;
    }

    int64_t Customer(int64_t tenant = 1, std::optional<int64_t> store = std::nullopt) {
        Json in = {{"name", "顾客"}};
        if (store) in["store_id"] = *store;
        auto c = customers_->Create(tenant, ParseCustomerInputText(in.dump()).value(), all_);
        EXPECT_TRUE(c.ok()) << c.status().ToString();
        return c.ok() ? c->id : 0;
    }

    int64_t Group(const std::string& name, int64_t tenant = 1) {
        TagGroupInput in;
        in.name = name;
        auto g = tags_->CreateGroup(tenant, in, actor_);
        EXPECT_TRUE(g.ok()) << g.status().ToString();
        return g.ok() ? g->id : 0;
    }

    Result<Tag> MakeTag(int64_t group, const std::string& name, std::optional<std::string> rule = std::nullopt,
                        int64_t tenant = 1) {
        TagInput in;
        in.group_id = group;
        in.name = name;
        if (rule) in.rule = rule;
        return tags_->CreateTag(tenant, in, actor_);
    }

    void Merge(int64_t merged, int64_t survivor) {
        ASSERT_TRUE(db_->Write([&](store::Connection& c) -> Status {
                           SIYU_ASSIGN_OR_RETURN(auto stmt,
                                                 c.Prepare("UPDATE customers SET merged_into = ? WHERE id = ?"));
                           return stmt.Bind(1, survivor).Bind(2, merged).Run();
                       })
                        .ok());
    }

    std::vector<int64_t> TagIdsOf(int64_t customer, const Visibility& vis = {}) {
        std::vector<int64_t> out;
        auto held = tags_->TagsOf(1, customer, vis);
        EXPECT_TRUE(held.ok()) << held.status().ToString();
        if (!held.ok()) return out;
        for (const auto& t : held->tags) out.push_back(t.tag.id);
        return out;
    }

    int64_t AuditCount(const std::string& action) {
        int64_t n = 0;
        EXPECT_TRUE(db_->Read([&](store::Connection& c) -> Status {
                           SIYU_ASSIGN_OR_RETURN(auto stmt,
                                                 c.Prepare("SELECT count(*) FROM audit_log WHERE action = ?"));
                           stmt.Bind(1, action);
                           SIYU_ASSIGN_OR_RETURN(bool row, stmt.Step());
                           if (row) n = stmt.Int(0);
                           return Status::Ok();
                       })
                        .ok());
        return n;
    }

    std::unique_ptr<store::Database> db_;
    std::unique_ptr<CustomerRepository> customers_;
    std::unique_ptr<TagRepository> tags_;
    std::vector<CustomerTagChange> published_;
    std::vector<RuleTagChange> rules_published_;
    Visibility all_;
    auth::Actor actor_{"user", 7, "owner@example.com", "127.0.0.1"};
    int64_t store_a_ = 0, store_b_ = 0;
};

TEST_F(TagRepositoryTest, GroupNamesAreUniquePerTenantAndTagNamesPerGroup) {
    int64_t g1 = Group("肤质");
    int64_t g2 = Group("兴趣");
    TagGroupInput dup;
    dup.name = "肤质";
    auto again = tags_->CreateGroup(1, dup, actor_);
    EXPECT_EQ(again.status().code(), StatusCode::kAlreadyExists);
    EXPECT_EQ(again.status().field(), "name");
    EXPECT_TRUE(tags_->CreateGroup(2, dup, actor_).ok());

    ASSERT_TRUE(MakeTag(g1, "干性").ok());
    auto same = MakeTag(g1, "干性");
    EXPECT_EQ(same.status().code(), StatusCode::kAlreadyExists);
    EXPECT_EQ(same.status().field(), "name");
    EXPECT_TRUE(MakeTag(g2, "干性").ok());
    EXPECT_EQ(tags_->GetGroup(1, g1)->tag_count, 1);
    EXPECT_EQ(AuditCount("tag_group.create"), 3);
    EXPECT_EQ(AuditCount("tag.create"), 2);
}

TEST_F(TagRepositoryTest, InputIsValidatedWithTheFieldNamed) {
    int64_t g = Group("g");
    TagGroupInput bad;
    bad.name = "x";
    bad.color = std::optional<std::string>("red");
    EXPECT_EQ(tags_->CreateGroup(1, bad, actor_).status().field(), "color");
    TagInput t;
    t.group_id = g;
    t.name = std::string(51, 'x');
    EXPECT_EQ(tags_->CreateTag(1, t, actor_).status().field(), "name");
    t.name = " padded";
    EXPECT_EQ(tags_->CreateTag(1, t, actor_).status().field(), "name");
    t.name = "ok";
    t.group_id = 999;
    EXPECT_EQ(tags_->CreateTag(1, t, actor_).status().field(), "group_id");
    EXPECT_TRUE(tags_->ListTags(1, {})->empty());
}

TEST_F(TagRepositoryTest, AnotherTenantsGroupsTagsAndCustomersAreNotFound) {
    int64_t g = Group("g");
    int64_t tag = MakeTag(g, "t")->id;
    int64_t theirs = Customer(2);
    EXPECT_EQ(tags_->GetGroup(2, g).status().code(), StatusCode::kNotFound);
    EXPECT_EQ(tags_->GetTag(2, tag).status().code(), StatusCode::kNotFound);
    EXPECT_EQ(tags_->DeleteTag(2, tag, actor_).code(), StatusCode::kNotFound);
    EXPECT_EQ(tags_->Apply(1, {theirs}, {tag}, TagAction::kAdd, TaggingBy(actor_), all_).status().code(),
              StatusCode::kNotFound);
    auto foreign_tag = tags_->Apply(2, {theirs}, {tag}, TagAction::kAdd, TaggingBy(actor_), all_);
    EXPECT_EQ(foreign_tag.status().code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(foreign_tag.status().field(), "tag_ids[0]");
    EXPECT_TRUE(tags_->GetTag(1, tag).ok());
}

TEST_F(TagRepositoryTest, AddingAndRemovingRecordsHistoryWithSourceActorAndTime) {
    int64_t g = Group("兴趣");
    int64_t yoga = MakeTag(g, "瑜伽")->id;
    int64_t run = MakeTag(g, "跑步")->id;
    int64_t c = Customer();
    auto added = tags_->Apply(1, {c}, {yoga, run, yoga}, TagAction::kAdd, TaggingBy(actor_), all_);
    ASSERT_TRUE(added.ok()) << added.status().ToString();
    EXPECT_EQ(added->changed, 2);
    auto again = tags_->Apply(1, {c}, {yoga}, TagAction::kAdd, TaggingBy(actor_), all_);
    EXPECT_EQ(again->changed, 0);
    EXPECT_EQ(again->unchanged, 1);

    auth::Actor key{"api_key", 3, "crm sync", ""};
    ASSERT_TRUE(tags_->Apply(1, {c}, {yoga}, TagAction::kRemove, TaggingBy(key), all_).ok());

    auto now = tags_->TagsOf(1, c, all_).value();
    ASSERT_EQ(now.tags.size(), 1u);
    EXPECT_EQ(now.tags[0].tag.id, run);
    EXPECT_EQ(now.tags[0].source, "manual");
    EXPECT_EQ(now.tags[0].actor.name, "owner@example.com");
    EXPECT_GT(now.tags[0].applied_at, 0);

    auto history = tags_->History(1, c, all_, 50, std::nullopt).value();
    ASSERT_EQ(history.size(), 3u);
    EXPECT_EQ(history[0].action, "removed");
    EXPECT_EQ(history[0].source, "api");
    EXPECT_EQ(history[0].actor.type, "api_key");
    EXPECT_EQ(history[0].tag_name, "瑜伽");
    EXPECT_EQ(history[2].action, "added");
    EXPECT_EQ(history[2].source, "manual");
    EXPECT_EQ(history[2].actor.id, 7);

    auto page = tags_->History(1, c, all_, 2, std::nullopt).value();
    ASSERT_EQ(page.size(), 2u);
    auto rest = tags_->History(1, c, all_, 2, page.back().id).value();
    ASSERT_EQ(rest.size(), 1u);
    EXPECT_EQ(rest[0].id, history[2].id);

    ASSERT_EQ(published_.size(), 3u);
    EXPECT_TRUE(published_[0].added);
    EXPECT_FALSE(published_[2].added);
    EXPECT_EQ(published_[2].tag_id, yoga);
}

TEST_F(TagRepositoryTest, AListIsAllOrNothingAndAnInvisibleCustomerIsNotFound) {
    int64_t tag = MakeTag(Group("g"), "t")->id;
    int64_t mine = Customer(1, store_a_);
    int64_t other = Customer(1, store_b_);
    Visibility guide;
    guide.store_ids = std::vector<int64_t>{store_a_};
    auto r = tags_->Apply(1, {mine, other}, {tag}, TagAction::kAdd, TaggingBy(actor_), guide);
    EXPECT_EQ(r.status().code(), StatusCode::kNotFound);
    EXPECT_TRUE(TagIdsOf(mine).empty());
    EXPECT_TRUE(published_.empty());
    EXPECT_EQ(tags_->TagsOf(1, other, guide).status().code(), StatusCode::kNotFound);
    EXPECT_EQ(tags_->History(1, other, guide, 10, std::nullopt).status().code(), StatusCode::kNotFound);

    auto skipping = tags_->Apply(1, {mine, other, 9999}, {tag}, TagAction::kAdd, TaggingBy(actor_), guide, true);
    ASSERT_TRUE(skipping.ok());
    EXPECT_EQ(skipping->skipped, 2);
    EXPECT_EQ(skipping->changed, 1);
    EXPECT_EQ(TagIdsOf(mine), std::vector<int64_t>{tag});
}

TEST_F(TagRepositoryTest, MergedCustomersTagsCountForTheSurvivor) {
    int64_t g = Group("g");
    int64_t a = MakeTag(g, "a")->id;
    int64_t b = MakeTag(g, "b")->id;
    int64_t survivor = Customer();
    int64_t old = Customer();
    ASSERT_TRUE(tags_->Apply(1, {old}, {a}, TagAction::kAdd, TaggingBy(actor_), all_).ok());
    Merge(old, survivor);

    auto tags = tags_->TagsOf(1, survivor, all_).value();
    EXPECT_EQ(tags.customer_id, survivor);
    ASSERT_EQ(tags.tags.size(), 1u);
    EXPECT_EQ(tags.tags[0].customer_id, old);
    EXPECT_EQ(tags_->TagsOf(1, old, all_)->customer_id, survivor);

    // The survivor holds `a` through the merged record: adding it again changes nothing.
    EXPECT_EQ(tags_->Apply(1, {survivor}, {a}, TagAction::kAdd, TaggingBy(actor_), all_)->unchanged, 1);
    // Tagging the old id tags the survivor.
    ASSERT_TRUE(tags_->Apply(1, {old}, {b}, TagAction::kAdd, TaggingBy(actor_), all_).ok());
    EXPECT_EQ(TagIdsOf(survivor), (std::vector<int64_t>{a, b}));
    EXPECT_EQ(published_.back().customer_id, survivor);
    // Removing takes the tag off every record of the merge set.
    ASSERT_TRUE(tags_->Apply(1, {survivor}, {a}, TagAction::kRemove, TaggingBy(actor_), all_).ok());
    EXPECT_EQ(TagIdsOf(survivor), std::vector<int64_t>{b});
    EXPECT_EQ(published_.back().customer_id, old);
    EXPECT_EQ(tags_->History(1, survivor, all_, 50, std::nullopt)->size(), 3u);
}

TEST_F(TagRepositoryTest, RuleTagsStoreTheirRuleAndCannotBeAppliedByHand) {
    int64_t g = Group("价值");
    int64_t plain = MakeTag(g, "VIP")->id;
    auto rule_tag = MakeTag(g, "高价值", R"({"tags":[)" + std::to_string(plain) + "]}");
    ASSERT_TRUE(rule_tag.ok()) << rule_tag.status().ToString();
    EXPECT_TRUE(rule_tag->rule.has_value());
    ASSERT_EQ(rules_published_.size(), 1u);
    EXPECT_EQ(rules_published_[0].tag_id, rule_tag->id);

    int64_t c = Customer();
    auto applied = tags_->Apply(1, {c}, {plain, rule_tag->id}, TagAction::kAdd, TaggingBy(actor_), all_);
    EXPECT_EQ(applied.status().code(), StatusCode::kFailedPrecondition);
    EXPECT_EQ(applied.status().field(), "tag_ids[1]");
    EXPECT_TRUE(TagIdsOf(c).empty());
    EXPECT_EQ(tags_->Apply(1, {c}, {rule_tag->id}, TagAction::kRemove, TaggingBy(actor_), all_).status().code(),
              StatusCode::kFailedPrecondition);

    auto rules = tags_->ListRuleTags().value();
    ASSERT_EQ(rules.size(), 1u);
    EXPECT_EQ(rules[0].tenant_id, 1);
    EXPECT_EQ(rules[0].tag_id, rule_tag->id);

    TagFilter only_rules;
    only_rules.rule = true;
    EXPECT_EQ(tags_->ListTags(1, only_rules)->size(), 1u);
    only_rules.rule = false;
    EXPECT_EQ(tags_->ListTags(1, only_rules)->front().id, plain);
}

TEST_F(TagRepositoryTest, AnInvalidRuleNamesItsPathAndSavesNothing) {
    int64_t g = Group("g");
    auto bad = MakeTag(g, "bad", R"({"fail":"rule.and[2].window.last_days"})");
    EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(bad.status().field(), "rule.and[2].window.last_days");
    auto missing_tag = MakeTag(g, "bad", R"({"tags":[424242]})");
    EXPECT_EQ(missing_tag.status().field(), "rule");
    auto missing_store = MakeTag(g, "bad", R"({"stores":[424242]})");
    EXPECT_EQ(missing_store.status().field(), "rule");
    EXPECT_TRUE(MakeTag(g, "store rule", R"({"stores":[)" + std::to_string(store_a_) + "]}").ok());
    EXPECT_EQ(tags_->ListTags(1, {})->size(), 1u);
    EXPECT_EQ(AuditCount("tag.create"), 1);

    int64_t id = tags_->ListTags(1, {})->front().id;
    TagInput self;
    self.rule = std::optional<std::string>(R"({"tags":[)" + std::to_string(id) + "]}");
    EXPECT_EQ(tags_->UpdateTag(1, id, self, actor_).status().field(), "rule");
}

TEST_F(TagRepositoryTest, ATagCustomersHoldCannotBecomeARuleTagButARuleTagCanBecomeExplicit) {
    int64_t g = Group("g");
    int64_t tag = MakeTag(g, "t")->id;
    ASSERT_TRUE(tags_->Apply(1, {Customer()}, {tag}, TagAction::kAdd, TaggingBy(actor_), all_).ok());
    TagInput to_rule;
    to_rule.rule = std::optional<std::string>("{}");
    auto r = tags_->UpdateTag(1, tag, to_rule, actor_);
    EXPECT_EQ(r.status().code(), StatusCode::kFailedPrecondition);
    EXPECT_FALSE(tags_->GetTag(1, tag)->rule.has_value());

    int64_t rule_tag = MakeTag(g, "r", "{}")->id;
    TagInput to_explicit;
    to_explicit.rule = std::optional<std::string>();
    auto made = tags_->UpdateTag(1, rule_tag, to_explicit, actor_);
    ASSERT_TRUE(made.ok());
    EXPECT_FALSE(made->rule.has_value());
    ASSERT_EQ(rules_published_.size(), 2u);
    EXPECT_FALSE(rules_published_[1].rule.has_value());
    EXPECT_TRUE(tags_->ListRuleTags()->empty());
}

TEST_F(TagRepositoryTest, DeletingATagRemovesItFromCustomersWithHistoryAndItCannotBeAppliedAgain) {
    int64_t g = Group("g");
    int64_t tag = MakeTag(g, "t")->id;
    int64_t c1 = Customer(), c2 = Customer();
    ASSERT_TRUE(tags_->Apply(1, {c1, c2}, {tag}, TagAction::kAdd, TaggingBy(actor_), all_).ok());
    auth::Actor admin{"user", 9, "admin@example.com", ""};
    ASSERT_TRUE(tags_->DeleteTag(1, tag, admin).ok());
    EXPECT_TRUE(TagIdsOf(c1).empty());
    auto history = tags_->History(1, c2, all_, 10, std::nullopt).value();
    ASSERT_EQ(history.size(), 2u);
    EXPECT_EQ(history[0].action, "removed");
    EXPECT_EQ(history[0].actor.name, "admin@example.com");
    EXPECT_EQ(history[0].source, "manual");
    EXPECT_EQ(tags_->GetTag(1, tag).status().code(), StatusCode::kNotFound);
    auto again = tags_->Apply(1, {c1}, {tag}, TagAction::kAdd, TaggingBy(actor_), all_);
    EXPECT_EQ(again.status().field(), "tag_ids[0]");
    EXPECT_TRUE(MakeTag(g, "t").ok()) << "the name of a deleted tag is free again";
    EXPECT_EQ(AuditCount("tag.delete"), 1);
}

TEST_F(TagRepositoryTest, AGroupWithTagsIsDeletedOnlyWithForce) {
    int64_t g = Group("g");
    int64_t tag = MakeTag(g, "t")->id;
    int64_t c = Customer();
    ASSERT_TRUE(tags_->Apply(1, {c}, {tag}, TagAction::kAdd, TaggingBy(actor_), all_).ok());
    EXPECT_EQ(tags_->DeleteGroup(1, g, false, actor_).code(), StatusCode::kFailedPrecondition);
    EXPECT_TRUE(tags_->GetGroup(1, g).ok());
    ASSERT_TRUE(tags_->DeleteGroup(1, g, true, actor_).ok());
    EXPECT_EQ(tags_->GetGroup(1, g).status().code(), StatusCode::kNotFound);
    EXPECT_EQ(tags_->GetTag(1, tag).status().code(), StatusCode::kNotFound);
    EXPECT_TRUE(TagIdsOf(c).empty());
    EXPECT_TRUE(tags_->ListGroups(1)->empty());
    int64_t empty = Group("empty");
    EXPECT_TRUE(tags_->DeleteGroup(1, empty, false, actor_).ok());
}

TEST_F(TagRepositoryTest, RuleMembershipChangesGoToTheHistoryAndExplicitTagsCanBeLoaded) {
    int64_t g = Group("g");
    int64_t rule_tag = MakeTag(g, "r", "{}")->id;
    int64_t plain = MakeTag(g, "p")->id;
    int64_t c = Customer();
    ASSERT_TRUE(tags_->Apply(1, {c}, {plain}, TagAction::kAdd, TaggingBy(actor_), all_).ok());
    ASSERT_TRUE(tags_->RecordRuleChanges({RuleMembershipChange{1, c, rule_tag, true, 1000}}).ok());
    auto history = tags_->History(1, c, all_, 10, std::nullopt).value();
    ASSERT_EQ(history.size(), 2u);
    auto rule_entry = std::find_if(history.begin(), history.end(), [](const auto& e) { return e.source == "rule"; });
    ASSERT_NE(rule_entry, history.end());
    EXPECT_EQ(rule_entry->tag_id, rule_tag);
    EXPECT_EQ(rule_entry->actor.type, "system");

    std::vector<std::tuple<int64_t, int64_t, int64_t>> loaded;
    ASSERT_TRUE(
        tags_->ForEachCustomerTag([&](int64_t t, int64_t cu, int64_t tag) { loaded.emplace_back(t, cu, tag); }).ok());
    ASSERT_EQ(loaded.size(), 1u);
    EXPECT_EQ(loaded[0], std::make_tuple(int64_t{1}, c, plain));
}

}  // namespace
}  // namespace siyu::cdp
