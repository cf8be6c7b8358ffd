#include "cdp/questionnaires.h"

#include <gtest/gtest.h>

#include "store/test_database.h"

namespace siyu::cdp {
namespace {

using Json = nlohmann::json;

class QuestionnairesTest : public testing::Test {
  protected:
    void SetUp() override {
        db_ = store::OpenTestDatabase(std::string("questionnaires_") +
                                      testing::UnitTest::GetInstance()->current_test_info()->name());
        ASSERT_TRUE(store::AddTestTenants(*db_, {1, 2}).ok());
        tags_ = std::make_unique<TagRepository>(db_.get(), [](std::string_view) { return TagRuleRefs{}; });
        questionnaires_ = std::make_unique<Questionnaires>(db_.get(), tags_.get());
        TagGroupInput g;
        g.name = "肤质";
        int64_t group = tags_->CreateGroup(1, g, actor_).value().id;
        TagInput t;
        t.group_id = group;
        t.name = "干性";
        dry_ = tags_->CreateTag(1, t, actor_).value().id;
        t.name = "油性";
        oily_ = tags_->CreateTag(1, t, actor_).value().id;
        t.name = "敏感";
        sensitive_ = tags_->CreateTag(1, t, actor_).value().id;
        t.name = "规则";
        t.rule = std::optional<std::string>("{}");
        rule_tag_ = tags_->CreateTag(1, t, actor_).value().id;
    }

    Json Definition() {
        return {{"name", "肤质问卷"},
                {"questions",
                 {{{"id", "skin"},
                   {"title", "您的肤质是？"},
                   {"required", true},
                   {"choices",
                    {{{"id", "dry"}, {"label", "干性"}, {"tag_ids", {dry_}}, {"codes", {"skin:dry"}}},
                     {{"id", "oily"}, {"label", "油性"}, {"tag_ids", {oily_}}}}}},
                  {{"title", "您关心哪些问题？"},
                   {"type", "multiple"},
                   {"choices",
                    {{{"label", "敏感"}, {"tag_ids", {sensitive_}}, {"codes", {"concern:sensitive"}}},
                     {{"label", "暗沉"}, {"codes", {"concern:dull"}}}}}}}}};
    }

    Questionnaire Make() {
        auto in = ParseQuestionnaireInput(Definition(), true);
        EXPECT_TRUE(in.ok()) << in.status().ToString();
        auto q = questionnaires_->Create(1, in.value(), actor_);
        EXPECT_TRUE(q.ok()) << q.status().ToString();
        return q.value();
    }

    int64_t Customer(int64_t tenant = 1) {
        auto c = CustomerRepository(db_.get()).Create(tenant, ParseCustomerInputText(R"({"name":"x"})").value(), {});
        EXPECT_TRUE(c.ok());
        return c->id;
    }

    Result<QuestionnaireAnswer> Submit(int64_t questionnaire, const Json& body, const Visibility& vis = {}) {
        SIYU_ASSIGN_OR_RETURN(auto in, ParseAnswerInput(body));
        return questionnaires_->Submit(1, questionnaire, in, actor_, vis);
    }

    std::unique_ptr<store::Database> db_;
    std::unique_ptr<TagRepository> tags_;
    std::unique_ptr<Questionnaires> questionnaires_;
    auth::Actor actor_{"api_key", 4, "mini program", ""};
    int64_t dry_ = 0, oily_ = 0, sensitive_ = 0, rule_tag_ = 0;
};

TEST_F(QuestionnairesTest, IdsDefaultByPositionAndDefinitionsAreValidatedWithPaths) {
    Questionnaire q = Make();
    ASSERT_EQ(q.questions.size(), 2u);
    EXPECT_EQ(q.questions[1].id, "q2");
    EXPECT_TRUE(q.questions[1].multiple);
    EXPECT_EQ(q.questions[1].choices[1].id, "c2");
    EXPECT_EQ(q.questions[0].choices[0].codes, std::vector<std::string>{"skin:dry"});

    Json bad = Definition();
    bad["questions"][0]["choices"][1]["tag_ids"] = {oily_, 4242};
    auto unknown_tag = questionnaires_->Create(1, ParseQuestionnaireInput(bad, true).value(), actor_);
    EXPECT_EQ(unknown_tag.status().field(), "questions[0].choices[1].tag_ids[1]");
    bad["questions"][0]["choices"][1]["tag_ids"] = {rule_tag_};
    EXPECT_EQ(questionnaires_->Create(1, ParseQuestionnaireInput(bad, true).value(), actor_).status().field(),
              "questions[0].choices[1].tag_ids[0]");
    EXPECT_EQ(questionnaires_->Create(2, ParseQuestionnaireInput(Definition(), true).value(), actor_).status().field(),
              "questions[0].choices[0].tag_ids[0]")
        << "another tenant's tags";

    Json typo = Definition();
    typo["questions"][1]["choices"][0]["lable"] = "x";
    auto r = ParseQuestionnaireInput(typo, true);
    EXPECT_EQ(r.status().code(), StatusCode::kUnknownField);
    EXPECT_EQ(r.status().field(), "questions[1].choices[0].lable");
    Json dup = Definition();
    dup["questions"][1]["id"] = "skin";
    EXPECT_EQ(ParseQuestionnaireInput(dup, true).status().field(), "questions[1].id");
    Json kind = Definition();
    kind["questions"][0]["type"] = "text";
    EXPECT_EQ(ParseQuestionnaireInput(kind, true).status().field(), "questions[0].type");
    Json none = Definition();
    none["questions"][0]["choices"] = Json::array();
    EXPECT_EQ(ParseQuestionnaireInput(none, true).status().field(), "questions[0].choices");
    EXPECT_EQ(ParseQuestionnaireInput(Json{{"name", "x"}}, true).status().field(), "questions");
    EXPECT_TRUE(ParseQuestionnaireInput(Json{{"name", "renamed"}}, false).ok());
}

TEST_F(QuestionnairesTest, AnswersApplyTheMappedTagsAtOnceAndAreStored) {
    Questionnaire q = Make();
    int64_t c = Customer();
    auto a = Submit(q.id, {{"customer_id", c},
                           {"answers",
                            {{{"question_id", "skin"}, {"choice_ids", {"dry"}}},
                             {{"question_id", "q2"}, {"choice_ids", {"c1", "c2"}}}}}});
    ASSERT_TRUE(a.ok()) << a.status().ToString();
    EXPECT_EQ(a->tag_ids, (std::vector<int64_t>{dry_, sensitive_}));
    EXPECT_EQ(a->codes, (std::vector<std::string>{"skin:dry", "concern:sensitive", "concern:dull"}));
    EXPECT_EQ(a->answers[1].choices, (std::vector<std::string>{"敏感", "暗沉"}));

    auto held = tags_->TagsOf(1, c, {}).value();
    ASSERT_EQ(held.tags.size(), 2u);
    EXPECT_EQ(held.tags[0].source, "questionnaire");
    EXPECT_EQ(held.tags[0].actor.name, "mini program");
    auto history = tags_->History(1, c, {}, 10, std::nullopt).value();
    ASSERT_EQ(history.size(), 2u);
    EXPECT_EQ(history[0].source, "questionnaire");

    auto listed = questionnaires_->AnswersOfCustomer(1, c, {}, 10, std::nullopt).value();
    ASSERT_EQ(listed.size(), 1u);
    EXPECT_EQ(listed[0].questionnaire_name, "肤质问卷");
    EXPECT_EQ(listed[0].answers[0].question, "您的肤质是？");
    EXPECT_EQ(listed[0].tag_ids, a->tag_ids);
    EXPECT_EQ(questionnaires_->AnswersTo(1, q.id, {}, 10, std::nullopt)->size(), 1u);
}

TEST_F(QuestionnairesTest, BadAnswersNameTheFieldAndChangeNothing) {
    Questionnaire q = Make();
    int64_t c = Customer();
    auto expect_field = [&](const Json& answers, const std::string& field) {
        auto r = Submit(q.id, {{"customer_id", c}, {"answers", answers}});
        EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << field;
        EXPECT_EQ(r.status().field(), field);
    };
    Json skin_dry = {{"question_id", "skin"}, {"choice_ids", {"dry"}}};
    expect_field({{{"question_id", "nope"}, {"choice_ids", {"dry"}}}}, "answers[0].question_id");
    expect_field({skin_dry, {{"question_id", "skin"}, {"choice_ids", {"oily"}}}}, "answers[1].question_id");
    expect_field({{{"question_id", "skin"}, {"choice_ids", {"dry", "oily"}}}}, "answers[0].choice_ids");
    expect_field({{{"question_id", "skin"}, {"choice_ids", Json::array()}}}, "answers[0].choice_ids");
    expect_field({skin_dry, {{"question_id", "q2"}, {"choice_ids", {"c1", "c9"}}}}, "answers[1].choice_ids[1]");
    expect_field({skin_dry, {{"question_id", "q2"}, {"choice_ids", {"c1", "c1"}}}}, "answers[1].choice_ids[1]");
    expect_field({{{"question_id", "q2"}, {"choice_ids", {"c1"}}}}, "answers");
    expect_field(Json::array(), "answers");
    EXPECT_EQ(ParseAnswerInput({{"customer_id", c}, {"answers", {{{"question_id", 1}, {"choice_ids", {"a"}}}}}})
                  .status()
                  .field(),
              "answers[0].question_id");
    EXPECT_EQ(ParseAnswerInput({{"answers", Json::array()}}).status().field(), "customer_id");

    EXPECT_EQ(Submit(q.id, {{"customer_id", 987654}, {"answers", {skin_dry}}}).status().code(), StatusCode::kNotFound);
    EXPECT_EQ(Submit(q.id, {{"customer_id", Customer(2)}, {"answers", {skin_dry}}}).status().code(),
              StatusCode::kNotFound);
    EXPECT_EQ(Submit(4242, {{"customer_id", c}, {"answers", {skin_dry}}}).status().code(), StatusCode::kNotFound);
    EXPECT_TRUE(tags_->TagsOf(1, c, {})->tags.empty());
    EXPECT_TRUE(questionnaires_->AnswersOfCustomer(1, c, {}, 10, std::nullopt)->empty());
}

TEST_F(QuestionnairesTest, TagsDeletedSinceTheDefinitionAreSkipped) {
    Questionnaire q = Make();
    ASSERT_TRUE(tags_->DeleteTag(1, dry_, actor_).ok());
    int64_t c = Customer();
    auto a = Submit(q.id, {{"customer_id", c}, {"answers", {{{"question_id", "skin"}, {"choice_ids", {"dry"}}}}}});
    ASSERT_TRUE(a.ok()) << a.status().ToString();
    EXPECT_TRUE(a->tag_ids.empty());
    EXPECT_EQ(a->codes, std::vector<std::string>{"skin:dry"});
    EXPECT_TRUE(tags_->TagsOf(1, c, {})->tags.empty());
}

TEST_F(QuestionnairesTest, UpdatesReplaceQuestionsAndDeletedQuestionnairesKeepTheirAnswers) {
    Questionnaire q = Make();
    int64_t c = Customer();
    ASSERT_TRUE(
        Submit(q.id, {{"customer_id", c}, {"answers", {{{"question_id", "skin"}, {"choice_ids", {"oily"}}}}}}).ok());
    QuestionnaireInput rename;
    rename.name = "新问卷";
    EXPECT_EQ(questionnaires_->Update(1, q.id, rename, actor_)->questions.size(), 2u);
    ASSERT_TRUE(questionnaires_->Delete(1, q.id, actor_).ok());
    EXPECT_EQ(questionnaires_->Get(1, q.id).status().code(), StatusCode::kNotFound);
    EXPECT_TRUE(questionnaires_->List(1, 10, std::nullopt)->empty());
    auto answers = questionnaires_->AnswersOfCustomer(1, c, {}, 10, std::nullopt).value();
    ASSERT_EQ(answers.size(), 1u);
    EXPECT_EQ(answers[0].questionnaire_name, "新问卷");
    EXPECT_EQ(questionnaires_->Get(2, q.id).status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace siyu::cdp
