#include "engine/segment_rule.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

namespace siyu::engine {
namespace {

NodePtr Parse(std::string_view json) {
    auto result = ParseRule(json);
    EXPECT_TRUE(result.ok()) << json << " -> " << result.status().ToString();
    if (!result.ok()) return nullptr;
    return std::move(result).value();
}

Status Error(std::string_view json) {
    auto result = ParseRule(json);
    EXPECT_FALSE(result.ok()) << json;
    if (result.ok()) return Status::Ok();
    return result.status();
}

// The field of the error for `json`, which must be an invalid argument.
std::string ErrorField(std::string_view json) {
    Status st = Error(json);
    EXPECT_EQ(st.code(), StatusCode::kInvalidArgument) << st.ToString();
    return st.field();
}

std::string Nest(const std::string& inner, int levels) {
    std::string out;
    for (int i = 0; i < levels; ++i) out += R"({"not": )";
    out += inner;
    out.append(levels, '}');
    return out;
}

// --- Logic ---

TEST(ParseRule, AndOrNotNestAndEveryNodeKnowsItsPath) {
    auto rule = Parse(R"({"and": [{"all": true}, {"or": [{"tag": "has", "id": 1}, {"not": {"all": true}}]}]})");
    ASSERT_TRUE(rule);
    EXPECT_EQ(rule->kind, Node::Kind::kAnd);
    EXPECT_EQ(rule->path, "rule");
    ASSERT_EQ(rule->children.size(), 2u);
    EXPECT_EQ(rule->children[0]->kind, Node::Kind::kAll);
    EXPECT_EQ(rule->children[0]->path, "rule.and[0]");
    const Node& any = *rule->children[1];
    EXPECT_EQ(any.kind, Node::Kind::kOr);
    EXPECT_EQ(any.path, "rule.and[1]");
    ASSERT_EQ(any.children.size(), 2u);
    EXPECT_EQ(any.children[0]->path, "rule.and[1].or[0]");
    const Node& negation = *any.children[1];
    EXPECT_EQ(negation.kind, Node::Kind::kNot);
    ASSERT_EQ(negation.children.size(), 1u);
    EXPECT_EQ(negation.children[0]->path, "rule.and[1].or[1].not");
}

TEST(ParseRule, AllMustBeTrue) {
    auto rule = Parse(R"({"all": true})");
    ASSERT_TRUE(rule);
    EXPECT_EQ(rule->kind, Node::Kind::kAll);
    EXPECT_EQ(ErrorField(R"({"all": false})"), "rule.all");
}

TEST(ParseRule, AndAndOrNeedAtLeastOneCondition) {
    EXPECT_EQ(ErrorField(R"({"and": []})"), "rule.and");
    EXPECT_EQ(ErrorField(R"({"or": {"all": true}})"), "rule.or");
    EXPECT_EQ(ErrorField(R"({"not": [{"all": true}]})"), "rule.not");
}

TEST(ParseRule, NestingDeeperThanThirtyTwoLevelsIsRefused) {
    EXPECT_TRUE(Parse(Nest(R"({"all": true})", 31)));  // 32 levels with the innermost
    Status st = Error(Nest(R"({"all": true})", 32));
    EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
    std::string expected = "rule";
    for (int i = 0; i < 32; ++i) expected += ".not";
    EXPECT_EQ(st.field(), expected);
    EXPECT_NE(st.message().find("32 levels"), std::string::npos) << st.message();
}

TEST(ParseRule, MoreThanAThousandConditionsAreRefused) {
    auto rule_of = [](int children) {
        std::string json = R"({"or": [)";
        for (int i = 0; i < children; ++i) json += std::string(i ? "," : "") + R"({"tag": "has", "id": 1})";
        return json + "]}";
    };
    EXPECT_TRUE(Parse(rule_of(999)));  // with the "or", 1000 conditions
    Status st = Error(rule_of(1000));
    EXPECT_EQ(st.field(), "rule.or[999]");
    EXPECT_NE(st.message().find("1000 conditions"), std::string::npos) << st.message();
}

TEST(ParseRule, HugelyNestedJsonIsAnErrorNotACrash) {
    std::string json(100'000, '[');
    json += std::string(100'000, ']');
    EXPECT_EQ(ErrorField(json), "rule");
}

// --- Traits ---

TEST(ParseRule, TraitEqualityKeepsTheValueAsWritten) {
    auto rule = Parse(R"({"trait": "city", "op": "eq", "value": "上海"})");
    ASSERT_TRUE(rule);
    EXPECT_EQ(rule->kind, Node::Kind::kTrait);
    EXPECT_EQ(rule->field, "city");
    EXPECT_EQ(rule->cmp.op, Op::kEq);
    ASSERT_EQ(rule->cmp.values.size(), 1u);
    EXPECT_EQ(rule->cmp.values[0].kind, Value::Kind::kString);
    EXPECT_EQ(rule->cmp.values[0].text, "上海");
    EXPECT_EQ(rule->relative, RelativeDate::kNone);
}

TEST(ParseRule, NumbersAndBooleansKeepACanonicalText) {
    auto rule = Parse(R"({"or": [{"trait": "level", "op": "eq", "value": 3},
                                 {"trait": "level", "op": "eq", "value": 3.0},
                                 {"trait": "score", "op": "gt", "value": 12.5},
                                 {"trait": "vip", "op": "neq", "value": true}]})");
    ASSERT_TRUE(rule);
    const Value& three = rule->children[0]->cmp.values[0];
    EXPECT_EQ(three.kind, Value::Kind::kNumber);
    EXPECT_EQ(three.text, "3");
    EXPECT_EQ(three.number, 3);
    EXPECT_EQ(rule->children[1]->cmp.values[0].text, "3");
    EXPECT_EQ(rule->children[2]->cmp.values[0].number, 12.5);
    EXPECT_EQ(rule->children[2]->cmp.values[0].text, "12.5");
    const Value& vip = rule->children[3]->cmp.values[0];
    EXPECT_EQ(vip.kind, Value::Kind::kBool);
    EXPECT_TRUE(vip.boolean);
    EXPECT_EQ(vip.text, "true");
}

TEST(ParseRule, EveryTraitOperatorParses) {
    struct Case {
        const char* json;
        Op op;
        size_t values;
    };
    const Case cases[] = {
        {R"({"trait": "gender", "op": "eq", "value": "female"})", Op::kEq, 1},
        {R"({"trait": "gender", "op": "neq", "value": "male"})", Op::kNeq, 1},
        {R"({"trait": "city", "op": "in", "value": ["上海", "杭州"]})", Op::kIn, 2},
        {R"({"trait": "city", "op": "not_in", "value": ["北京"]})", Op::kNotIn, 1},
        {R"({"trait": "name", "op": "contains", "value": "王"})", Op::kContains, 1},
        {R"({"trait": "member_no", "op": "starts_with", "value": "VIP"})", Op::kStartsWith, 1},
        {R"({"trait": "skin_age", "op": "gt", "value": 25})", Op::kGt, 1},
        {R"({"trait": "skin_age", "op": "gte", "value": 25})", Op::kGte, 1},
        {R"({"trait": "skin_age", "op": "lt", "value": 40})", Op::kLt, 1},
        {R"({"trait": "skin_type", "op": "lte", "value": "m"})", Op::kLte, 1},
        {R"({"trait": "skin_age", "op": "between", "value": [25, 35]})", Op::kBetween, 2},
        {R"({"trait": "email", "op": "exists"})", Op::kExists, 0},
        {R"({"trait": "phone", "op": "not_exists"})", Op::kNotExists, 0},
    };
    for (const Case& c : cases) {
        auto rule = Parse(c.json);
        ASSERT_TRUE(rule) << c.json;
        EXPECT_EQ(rule->cmp.op, c.op) << c.json;
        EXPECT_EQ(rule->cmp.values.size(), c.values) << c.json;
    }
}

TEST(ParseRule, TraitValuesMustFitTheOperator) {
    EXPECT_EQ(ErrorField(R"({"trait": "city", "op": "in", "value": []})"), "rule.value");
    EXPECT_EQ(ErrorField(R"({"trait": "city", "op": "in", "value": "上海"})"), "rule.value");
    EXPECT_EQ(ErrorField(R"({"trait": "city", "op": "in", "value": ["上海", null]})"), "rule.value[1]");
    EXPECT_EQ(ErrorField(R"({"trait": "name", "op": "contains", "value": 3})"), "rule.value");
    EXPECT_EQ(ErrorField(R"({"trait": "name", "op": "starts_with", "value": ""})"), "rule.value");
    EXPECT_EQ(ErrorField(R"({"trait": "age", "op": "gt", "value": true})"), "rule.value");
    EXPECT_EQ(ErrorField(R"({"trait": "age", "op": "between", "value": [1]})"), "rule.value");
    EXPECT_EQ(ErrorField(R"({"trait": "age", "op": "between", "value": [40, 20]})"), "rule.value");
    EXPECT_EQ(ErrorField(R"({"trait": "age", "op": "between", "value": [20, "40"]})"), "rule.value");
    EXPECT_EQ(ErrorField(R"({"trait": "age", "op": "exists", "value": 1})"), "rule.value");
    EXPECT_EQ(ErrorField(R"({"trait": "age", "op": "eq"})"), "rule.value");
    EXPECT_EQ(ErrorField(R"({"trait": "age", "op": "eq", "value": null})"), "rule.value");
    EXPECT_EQ(ErrorField(R"({"trait": "age", "value": 3})"), "rule.op");
    EXPECT_EQ(ErrorField(R"({"trait": "", "op": "exists"})"), "rule.trait");
    EXPECT_EQ(ErrorField(R"({"trait": 7, "op": "exists"})"), "rule.trait");
}

TEST(ParseRule, UnknownOperatorIsNamedInTheMessage) {
    Status st = Error(R"({"and": [{"all": true}, {"trait": "city", "op": "like", "value": "上"}]})");
    EXPECT_EQ(st.field(), "rule.and[1].op");
    EXPECT_NE(st.message().find("\"like\""), std::string::npos) << st.message();
}

TEST(ParseRule, DateTraitsTakeDatesAndRelativeForms) {
    auto rule = Parse(R"({"trait": "birthday", "op": "between", "value": ["1990-01-01", "1999-12-31"]})");
    ASSERT_TRUE(rule);
    EXPECT_EQ(rule->cmp.values[1].text, "1999-12-31");
    EXPECT_TRUE(Parse(R"({"trait": "created_at", "op": "gte", "value": "2026-01-01T00:00:00+08:00"})"));
    // A date alone is local to the tenant, so it is not ordered against a time here.
    EXPECT_TRUE(
        Parse(R"({"trait": "created_at", "op": "between", "value": ["2026-01-01", "2026-01-01T05:00:00+08:00"]})"));
    EXPECT_EQ(ErrorField(R"({"trait": "created_at", "op": "gte", "value": "last year"})"), "rule.value");
    EXPECT_EQ(ErrorField(R"({"trait": "created_at", "op": "gte", "value": 1700000000000})"), "rule.value");
    EXPECT_EQ(ErrorField(R"({"trait": "birthday", "op": "contains", "value": "05"})"), "rule.op");
    EXPECT_EQ(ErrorField(R"({"trait": "birthday", "op": "between", "value": ["1999-12-31", "1990-01-01"]})"),
              "rule.value");
}

TEST(ParseRule, BirthdayWithinTheNextDaysIsAnAnniversary) {
    auto rule = Parse(R"({"trait": "birthday", "within_next_days": 7})");
    ASSERT_TRUE(rule);
    EXPECT_EQ(rule->kind, Node::Kind::kTrait);
    EXPECT_EQ(rule->field, "birthday");
    EXPECT_EQ(rule->relative, RelativeDate::kWithinNextDays);
    EXPECT_EQ(rule->relative_days, 7);
}

TEST(ParseRule, CreatedAtTakesBothPastRelativeForms) {
    auto old = Parse(R"({"trait": "created_at", "more_than_days_ago": 90})");
    ASSERT_TRUE(old);
    EXPECT_EQ(old->relative, RelativeDate::kMoreThanDaysAgo);
    EXPECT_EQ(old->relative_days, 90);
    auto recent = Parse(R"({"trait": "created_at", "within_last_days": 30})");
    ASSERT_TRUE(recent);
    EXPECT_EQ(recent->relative, RelativeDate::kWithinLastDays);
    EXPECT_EQ(recent->relative_days, 30);
    EXPECT_TRUE(Parse(R"({"trait": "wedding_day", "within_next_days": 3})"));  // a custom date trait
}

TEST(ParseRule, RelativeDaysRunFromOneTo36500) {
    EXPECT_TRUE(Parse(R"({"trait": "birthday", "within_next_days": 36500})"));
    EXPECT_EQ(ErrorField(R"({"trait": "birthday", "within_next_days": 0})"), "rule.within_next_days");
    EXPECT_EQ(ErrorField(R"({"trait": "birthday", "within_next_days": 36501})"), "rule.within_next_days");
    EXPECT_EQ(ErrorField(R"({"trait": "birthday", "within_next_days": 7.5})"), "rule.within_next_days");
    EXPECT_EQ(ErrorField(R"({"trait": "birthday", "within_next_days": "7"})"), "rule.within_next_days");
    EXPECT_EQ(ErrorField(R"({"trait": "birthday", "within_next_days": 18446744073709551615})"),
              "rule.within_next_days");
}

TEST(ParseRule, RelativeDatesStandAlone) {
    EXPECT_EQ(ErrorField(R"({"trait": "birthday", "within_next_days": 7, "op": "exists"})"), "rule.op");
    EXPECT_EQ(ErrorField(R"({"trait": "created_at", "within_last_days": 7, "more_than_days_ago": 3})"),
              "rule.more_than_days_ago");
    EXPECT_EQ(ErrorField(R"({"trait": "phone", "within_last_days": 7})"), "rule.trait");
}

TEST(ParseRule, StoreIdTraitTakesPositiveIntegers) {
    EXPECT_TRUE(Parse(R"({"trait": "store_id", "op": "in", "value": [3, 4]})"));
    EXPECT_EQ(ErrorField(R"({"trait": "store_id", "op": "eq", "value": "3"})"), "rule.value");
    EXPECT_EQ(ErrorField(R"({"trait": "store_id", "op": "gt", "value": 3})"), "rule.op");
}

// --- Tags ---

TEST(ParseRule, TagHasTakesOneId) {
    auto rule = Parse(R"({"tag": "has", "id": 12})");
    ASSERT_TRUE(rule);
    EXPECT_EQ(rule->kind, Node::Kind::kTag);
    EXPECT_EQ(rule->tag_op, Node::TagOp::kHas);
    EXPECT_EQ(rule->ids, (std::vector<int64_t>{12}));
}

TEST(ParseRule, TagListsAreDeduplicatedInTheOrderWritten) {
    auto rule = Parse(R"({"and": [{"tag": "has_any", "ids": [2, 1, 2]}, {"tag": "has_all", "ids": [5]},
                                  {"tag": "has_none", "ids": [7, 7]}]})");
    ASSERT_TRUE(rule);
    EXPECT_EQ(rule->children[0]->tag_op, Node::TagOp::kHasAny);
    EXPECT_EQ(rule->children[0]->ids, (std::vector<int64_t>{2, 1}));
    EXPECT_EQ(rule->children[1]->tag_op, Node::TagOp::kHasAll);
    EXPECT_EQ(rule->children[2]->tag_op, Node::TagOp::kHasNone);
    EXPECT_EQ(rule->children[2]->ids, (std::vector<int64_t>{7}));
}

TEST(ParseRule, TagIdsArePositiveIntegers) {
    EXPECT_EQ(ErrorField(R"({"tag": "has", "id": 0})"), "rule.id");
    EXPECT_EQ(ErrorField(R"({"tag": "has", "id": "12"})"), "rule.id");
    EXPECT_EQ(ErrorField(R"({"tag": "has"})"), "rule.id");
    EXPECT_EQ(ErrorField(R"({"tag": "has", "ids": [1]})"), "rule.ids");
    EXPECT_EQ(ErrorField(R"({"tag": "has_any", "ids": []})"), "rule.ids");
    EXPECT_EQ(ErrorField(R"({"tag": "has_any", "ids": [1, -2]})"), "rule.ids[1]");
    EXPECT_EQ(ErrorField(R"({"tag": "has_any", "ids": [1, 2.5]})"), "rule.ids[1]");
    EXPECT_EQ(ErrorField(R"({"tag": "has_any", "id": 1})"), "rule.id");
    EXPECT_EQ(ErrorField(R"({"tag": "owns", "id": 1})"), "rule.tag");
}

// --- Behaviour ---

TEST(ParseRule, EventAloneMeansDidItAtLeastOnceEver) {
    auto rule = Parse(R"({"event": "Order Completed"})");
    ASSERT_TRUE(rule);
    EXPECT_EQ(rule->kind, Node::Kind::kEvent);
    EXPECT_EQ(rule->field, "Order Completed");
    EXPECT_TRUE(rule->did);
    EXPECT_TRUE(rule->where.empty());
    EXPECT_FALSE(rule->window.last_ms || rule->window.from || rule->window.to || rule->window.since_registration);
    EXPECT_EQ(rule->aggregate.fn, Aggregate::Fn::kCount);
    EXPECT_EQ(rule->aggregate.cmp.op, Op::kGte);
    ASSERT_EQ(rule->aggregate.cmp.values.size(), 1u);
    EXPECT_EQ(rule->aggregate.cmp.values[0].number, 1);
    EXPECT_EQ(rule->aggregate.cmp.values[0].text, "1");
}

TEST(ParseRule, EventWithFiltersWindowAndCount) {
    auto rule = Parse(R"({"event": "Order Completed",
                          "where": [{"property": "category", "op": "eq", "value": "护肤"}],
                          "window": {"last_days": 30},
                          "count": {"op": "gte", "value": 2}})");
    ASSERT_TRUE(rule);
    ASSERT_EQ(rule->where.size(), 1u);
    EXPECT_EQ(rule->where[0].property, "category");
    EXPECT_EQ(rule->where[0].cmp.op, Op::kEq);
    EXPECT_EQ(rule->where[0].cmp.values[0].text, "护肤");
    EXPECT_EQ(rule->window.last_ms, 30 * 86'400'000LL);
    EXPECT_EQ(rule->aggregate.fn, Aggregate::Fn::kCount);
    EXPECT_EQ(rule->aggregate.cmp.op, Op::kGte);
    EXPECT_EQ(rule->aggregate.cmp.values[0].number, 2);
}

TEST(ParseRule, WindowsOfHoursDatesAndRegistration) {
    auto hours = Parse(R"({"event": "Product Viewed", "window": {"last_hours": 12}})");
    ASSERT_TRUE(hours);
    EXPECT_EQ(hours->window.last_ms, 12 * 3'600'000LL);

    auto dates =
        Parse(R"({"event": "Order Completed", "window": {"from": "2026-01-01", "to": "2026-02-01T08:00:00+08:00"}})");
    ASSERT_TRUE(dates);
    EXPECT_EQ(dates->window.from, ParseRfc3339("2026-01-01T00:00:00Z"));  // a date is midnight UTC
    EXPECT_EQ(dates->window.to, ParseRfc3339("2026-02-01T00:00:00Z"));
    EXPECT_FALSE(dates->window.last_ms);

    auto open = Parse(R"({"event": "Order Completed", "window": {"from": "2026-03-01T00:00:00Z"}})");
    ASSERT_TRUE(open);
    EXPECT_TRUE(open->window.from);
    EXPECT_FALSE(open->window.to);

    auto since = Parse(R"({"event": "Order Completed", "window": {"since_registration": true}})");
    ASSERT_TRUE(since);
    EXPECT_TRUE(since->window.since_registration);
}

TEST(ParseRule, WindowErrorsNameTheExactField) {
    EXPECT_EQ(ErrorField(R"({"and": [{"all": true}, {"all": true},
                                      {"event": "A", "window": {"last_days": 0}}]})"),
              "rule.and[2].window.last_days");
    EXPECT_EQ(ErrorField(R"({"event": "A", "window": {"last_days": "30"}})"), "rule.window.last_days");
    EXPECT_EQ(ErrorField(R"({"event": "A", "window": {"last_hours": 876001}})"), "rule.window.last_hours");
    EXPECT_EQ(ErrorField(R"({"event": "A", "window": {"from": "2026-13-01"}})"), "rule.window.from");
    EXPECT_EQ(ErrorField(R"({"event": "A", "window": {"from": "2026-02-01", "to": "2026-01-01"}})"), "rule.window.to");
    EXPECT_EQ(ErrorField(R"({"event": "A", "window": {"since_registration": false}})"),
              "rule.window.since_registration");
    EXPECT_EQ(ErrorField(R"({"event": "A", "window": {"last_days": 3, "last_hours": 3}})"), "rule.window");
    EXPECT_EQ(ErrorField(R"({"event": "A", "window": {}})"), "rule.window");
    EXPECT_EQ(ErrorField(R"({"event": "A", "window": 30})"), "rule.window");
}

TEST(ParseRule, RevenueSumIsKeptInMajorUnitsAsWritten) {
    auto rule = Parse(R"({"event": "Order Completed", "window": {"last_days": 365},
                          "aggregate": {"sum": "revenue", "op": "gte", "value": 1000}})");
    ASSERT_TRUE(rule);
    EXPECT_EQ(rule->aggregate.fn, Aggregate::Fn::kSum);
    EXPECT_EQ(rule->aggregate.property, "revenue");
    EXPECT_EQ(rule->aggregate.cmp.op, Op::kGte);
    EXPECT_EQ(rule->aggregate.cmp.values[0].number, 1000);
    EXPECT_EQ(rule->aggregate.cmp.values[0].text, "1000");
}

TEST(ParseRule, AvgMinAndMaxAggregates) {
    struct Case {
        const char* json;
        Aggregate::Fn fn;
    };
    const Case cases[] = {
        {R"({"event": "Order Completed", "aggregate": {"avg": "revenue", "op": "gt", "value": 299.5}})",
         Aggregate::Fn::kAvg},
        {R"({"event": "Order Completed", "aggregate": {"min": "quantity", "op": "gte", "value": 2}})",
         Aggregate::Fn::kMin},
        {R"({"event": "Order Completed", "aggregate": {"max": "revenue", "op": "between", "value": [100, 500]}})",
         Aggregate::Fn::kMax},
    };
    for (const Case& c : cases) {
        auto rule = Parse(c.json);
        ASSERT_TRUE(rule) << c.json;
        EXPECT_EQ(rule->aggregate.fn, c.fn) << c.json;
    }
}

TEST(ParseRule, AggregateAndCountErrors) {
    EXPECT_EQ(ErrorField(R"({"event": "A", "count": {"op": "gte", "value": -1}})"), "rule.count.value");
    EXPECT_EQ(ErrorField(R"({"event": "A", "count": {"op": "gte", "value": 1.5}})"), "rule.count.value");
    EXPECT_EQ(ErrorField(R"({"event": "A", "count": {"op": "contains", "value": 1}})"), "rule.count.op");
    EXPECT_EQ(ErrorField(R"({"event": "A", "count": 2})"), "rule.count");
    EXPECT_EQ(ErrorField(R"({"event": "A", "aggregate": {"op": "gte", "value": 1}})"), "rule.aggregate");
    EXPECT_EQ(
        ErrorField(R"({"event": "A", "aggregate": {"sum": "revenue", "avg": "revenue", "op": "gte", "value": 1}})"),
        "rule.aggregate.avg");
    EXPECT_EQ(ErrorField(R"({"event": "A", "aggregate": {"sum": "revenue", "op": "gte", "value": "1000"}})"),
              "rule.aggregate.value");
    EXPECT_EQ(ErrorField(R"({"event": "A", "count": {"op": "gte", "value": 1},
                              "aggregate": {"sum": "revenue", "op": "gte", "value": 1}})"),
              "rule.aggregate");
}

TEST(ParseRule, DidNotDoKeepsFiltersAndWindowButTakesNoAggregate) {
    auto rule = Parse(R"({"event": "Order Completed", "did": false, "window": {"last_days": 90},
                          "where": [{"property": "category", "op": "in", "value": ["护肤", "彩妆"]}]})");
    ASSERT_TRUE(rule);
    EXPECT_FALSE(rule->did);
    EXPECT_EQ(rule->where[0].cmp.values.size(), 2u);
    EXPECT_EQ(ErrorField(R"({"event": "A", "did": false, "aggregate": {"sum": "revenue", "op": "gte", "value": 1}})"),
              "rule.aggregate");
    EXPECT_EQ(ErrorField(R"({"event": "A", "did": false, "count": {"op": "gte", "value": 2}})"), "rule.count");
    EXPECT_EQ(ErrorField(R"({"event": "A", "did": "no"})"), "rule.did");
}

TEST(ParseRule, PropertyFilterErrorsNameTheFilter) {
    EXPECT_EQ(ErrorField(R"({"event": "A", "where": {"property": "category"}})"), "rule.where");
    EXPECT_EQ(ErrorField(R"({"event": "A", "where": [{"property": "category", "op": "eq", "value": "护肤"},
                                                      {"op": "eq", "value": 1}]})"),
              "rule.where[1].property");
    EXPECT_EQ(ErrorField(R"({"event": "A", "where": [{"property": "category", "op": "in", "value": []}]})"),
              "rule.where[0].value");
    EXPECT_EQ(ErrorField(R"({"event": ""})"), "rule.event");
}

// --- First / last ---

TEST(ParseRule, FirstBeforeAnAbsoluteMoment) {
    auto rule = Parse(R"({"event": "Order Completed", "first": "before", "at": "2026-01-01T00:00:00Z"})");
    ASSERT_TRUE(rule);
    EXPECT_EQ(rule->kind, Node::Kind::kFirstLast);
    EXPECT_EQ(rule->field, "Order Completed");
    EXPECT_TRUE(rule->first);
    EXPECT_TRUE(rule->before);
    EXPECT_EQ(rule->moment.at, ParseRfc3339("2026-01-01T00:00:00Z"));
}

TEST(ParseRule, LastAfterARelativeMoment) {
    auto rule = Parse(R"({"event": "Order Completed", "last": "after", "at": {"days_ago": 30}})");
    ASSERT_TRUE(rule);
    EXPECT_EQ(rule->kind, Node::Kind::kFirstLast);
    EXPECT_FALSE(rule->first);
    EXPECT_FALSE(rule->before);
    EXPECT_FALSE(rule->moment.at);
    EXPECT_EQ(rule->moment.days_ago, 30);
}

TEST(ParseRule, FirstLastErrors) {
    EXPECT_EQ(ErrorField(R"({"event": "A", "first": "during", "at": "2026-01-01"})"), "rule.first");
    EXPECT_EQ(ErrorField(R"({"event": "A", "last": "before"})"), "rule.at");
    EXPECT_EQ(ErrorField(R"({"event": "A", "first": "before", "last": "after", "at": "2026-01-01"})"), "rule.last");
    EXPECT_EQ(ErrorField(R"({"event": "A", "last": "before", "at": {"days_ago": 0}})"), "rule.at.days_ago");
    EXPECT_EQ(ErrorField(R"({"event": "A", "last": "before", "at": "yesterday"})"), "rule.at");
    EXPECT_EQ(ErrorField(R"({"event": "A", "last": "before", "at": 5})"), "rule.at");
    Status st = Error(R"({"event": "A", "last": "before", "at": "2026-01-01", "window": {"last_days": 3}})");
    EXPECT_EQ(st.code(), StatusCode::kUnknownField);
    EXPECT_EQ(st.field(), "rule.window");
}

// --- Sequences ---

TEST(ParseRule, SequenceOfTwoStepsWithinDays) {
    auto rule = Parse(
        R"({"sequence": [{"event": "Product Viewed", "where": [{"property": "category", "op": "eq", "value": "护肤"}]},
                                       {"event": "Order Completed"}],
                          "within_days": 7})");
    ASSERT_TRUE(rule);
    EXPECT_EQ(rule->kind, Node::Kind::kSequence);
    EXPECT_EQ(rule->field, "Product Viewed");
    ASSERT_EQ(rule->where.size(), 1u);
    EXPECT_EQ(rule->where[0].cmp.values[0].text, "护肤");
    EXPECT_EQ(rule->then_event, "Order Completed");
    EXPECT_TRUE(rule->then_where.empty());
    EXPECT_EQ(rule->within_ms, 7 * 86'400'000LL);

    auto hours =
        Parse(R"({"sequence": [{"event": "Product Added"}, {"event": "Checkout Started"}], "within_hours": 2})");
    ASSERT_TRUE(hours);
    EXPECT_EQ(hours->within_ms, 2 * 3'600'000LL);
}

TEST(ParseRule, DidOrderButDidNotReorderWithinSevenDays) {
    auto rule = Parse(R"({"and": [{"event": "Order Completed"},
                                  {"not": {"sequence": [{"event": "Order Completed"}, {"event": "Order Completed"}],
                                           "within_days": 7}}]})");
    ASSERT_TRUE(rule);
    EXPECT_EQ(rule->children[1]->children[0]->kind, Node::Kind::kSequence);
    EXPECT_EQ(rule->children[1]->children[0]->path, "rule.and[1].not");
}

TEST(ParseRule, SequenceErrors) {
    EXPECT_EQ(ErrorField(R"({"sequence": [{"event": "A"}, {"event": "B"}]})"), "rule.within_days");
    EXPECT_EQ(ErrorField(R"({"sequence": [{"event": "A"}, {"event": "B"}, {"event": "C"}], "within_days": 1})"),
              "rule.sequence");
    EXPECT_EQ(Error(R"({"sequence": [{"event": "A"}, {"name": "B"}], "within_days": 1})").field(),
              "rule.sequence[1].name");
    EXPECT_EQ(ErrorField(R"({"sequence": [{"event": "A"}, {"where": []}], "within_days": 1})"),
              "rule.sequence[1].event");
    EXPECT_EQ(ErrorField(R"({"sequence": [{"event": "A"}, {"event": "B"}], "within_days": 1, "within_hours": 1})"),
              "rule.within_hours");
    EXPECT_EQ(ErrorField(R"({"sequence": [{"event": "A"}, {"event": "B"}], "within_hours": 0})"), "rule.within_hours");
}

// --- Computed attributes, lifecycle, RFM, stores, identifiers, segments ---

TEST(ParseRule, AttributesCompareCountsAmountsAndDates) {
    auto count = Parse(R"({"attribute": "order_count", "op": "gte", "value": 3})");
    ASSERT_TRUE(count);
    EXPECT_EQ(count->kind, Node::Kind::kAttribute);
    EXPECT_EQ(count->field, "order_count");
    auto total = Parse(R"({"attribute": "order_total", "op": "gte", "value": 1000})");
    ASSERT_TRUE(total);
    EXPECT_EQ(total->cmp.values[0].number, 1000);  // ¥1000, as written
    EXPECT_TRUE(Parse(R"({"attribute": "refund_total", "op": "lt", "value": 99.9})"));
    EXPECT_TRUE(Parse(R"({"attribute": "refund_count", "op": "eq", "value": 0})"));
    EXPECT_TRUE(Parse(R"({"attribute": "first_seen", "op": "gte", "value": "2026-01-01"})"));
    EXPECT_TRUE(Parse(R"({"attribute": "first_order_at", "op": "exists"})"));
    auto relative = Parse(R"({"attribute": "last_order_at", "more_than_days_ago": 60})");
    ASSERT_TRUE(relative);
    EXPECT_EQ(relative->relative, RelativeDate::kMoreThanDaysAgo);
    EXPECT_EQ(relative->relative_days, 60);
    auto seen = Parse(R"({"attribute": "last_seen", "within_last_days": 7})");
    ASSERT_TRUE(seen);
    EXPECT_EQ(seen->relative, RelativeDate::kWithinLastDays);
}

TEST(ParseRule, AttributeErrors) {
    EXPECT_EQ(ErrorField(R"({"attribute": "lifetime_value", "op": "gt", "value": 1})"), "rule.attribute");
    EXPECT_EQ(ErrorField(R"({"attribute": "order_count", "op": "gt", "value": "3"})"), "rule.value");
    EXPECT_EQ(ErrorField(R"({"attribute": "order_total", "op": "exists"})"), "rule.op");
    EXPECT_EQ(ErrorField(R"({"attribute": "order_count", "within_last_days": 3})"), "rule.attribute");
    EXPECT_EQ(ErrorField(R"({"attribute": "last_order_at", "within_next_days": 3})"), "rule.within_next_days");
    EXPECT_EQ(ErrorField(R"({"attribute": "last_seen"})"), "rule.op");
    EXPECT_EQ(ErrorField(R"({"attribute": "last_seen", "op": "gt", "value": "recently"})"), "rule.value");
}

TEST(ParseRule, LifecycleStagesAreCheckedAndDeduplicated) {
    auto rule = Parse(R"({"lifecycle": "in", "values": ["repurchase", "loyal", "loyal"]})");
    ASSERT_TRUE(rule);
    EXPECT_EQ(rule->kind, Node::Kind::kLifecycle);
    EXPECT_EQ(rule->cmp.op, Op::kIn);
    ASSERT_EQ(rule->cmp.values.size(), 2u);
    EXPECT_EQ(rule->cmp.values[0].text, "repurchase");
    EXPECT_EQ(rule->cmp.values[1].text, "loyal");
    auto out = Parse(R"({"lifecycle": "not_in", "values": ["dormant"]})");
    ASSERT_TRUE(out);
    EXPECT_EQ(out->cmp.op, Op::kNotIn);
    EXPECT_EQ(ErrorField(R"({"lifecycle": "in", "values": ["loyal", "vip"]})"), "rule.values[1]");
    EXPECT_EQ(ErrorField(R"({"lifecycle": "is", "values": ["loyal"]})"), "rule.lifecycle");
    EXPECT_EQ(ErrorField(R"({"lifecycle": "in", "values": []})"), "rule.values");
    EXPECT_EQ(ErrorField(R"({"lifecycle": "in"})"), "rule.values");
}

TEST(ParseRule, RfmClassesAcceptCodesAndChineseNamesAndStoreCodes) {
    auto rule =
        Parse(R"({"rfm": "in", "classes": ["重要价值客户", "important_value", "一般挽留客户", "important_keep"]})");
    ASSERT_TRUE(rule);
    EXPECT_EQ(rule->kind, Node::Kind::kRfm);
    EXPECT_EQ(rule->cmp.op, Op::kIn);
    ASSERT_EQ(rule->cmp.values.size(), 3u);
    EXPECT_EQ(rule->cmp.values[0].text, "important_value");
    EXPECT_EQ(rule->cmp.values[1].text, "general_retain");
    EXPECT_EQ(rule->cmp.values[2].text, "important_keep");
    EXPECT_EQ(ErrorField(R"({"rfm": "not_in", "classes": ["重要客户"]})"), "rule.classes[0]");
    EXPECT_EQ(ErrorField(R"({"rfm": "not_in", "classes": [1]})"), "rule.classes[0]");
}

TEST(ParseRule, StoreAndSegmentMembership) {
    auto store = Parse(R"({"store": "in", "ids": [3, 3, 8]})");
    ASSERT_TRUE(store);
    EXPECT_EQ(store->kind, Node::Kind::kStore);
    EXPECT_EQ(store->cmp.op, Op::kIn);
    EXPECT_EQ(store->ids, (std::vector<int64_t>{3, 8}));
    auto segment = Parse(R"({"segment": "not_in", "id": 5})");
    ASSERT_TRUE(segment);
    EXPECT_EQ(segment->kind, Node::Kind::kSegment);
    EXPECT_EQ(segment->cmp.op, Op::kNotIn);
    EXPECT_EQ(segment->ids, (std::vector<int64_t>{5}));
    EXPECT_EQ(ErrorField(R"({"store": "in", "ids": [0]})"), "rule.ids[0]");
    EXPECT_EQ(ErrorField(R"({"store": "under", "ids": [1]})"), "rule.store");
    EXPECT_EQ(ErrorField(R"({"segment": "in"})"), "rule.id");
    EXPECT_EQ(ErrorField(R"({"segment": "in", "id": [5]})"), "rule.id");
}

TEST(ParseRule, IdentifierTypesIncludeAliasesAndCustomTypes) {
    auto phone = Parse(R"({"identifier": "exists", "type": "phone"})");
    ASSERT_TRUE(phone);
    EXPECT_EQ(phone->kind, Node::Kind::kIdentifier);
    EXPECT_EQ(phone->cmp.op, Op::kExists);
    EXPECT_EQ(phone->field, "phone");
    auto wecom = Parse(R"({"identifier": "not_exists", "type": "wecom_external_userid"})");
    ASSERT_TRUE(wecom);
    EXPECT_EQ(wecom->cmp.op, Op::kNotExists);
    EXPECT_EQ(wecom->field, "wecom");
    for (const char* type :
         {"user_id", "anonymous_id", "email", "wecom", "unionid", "openid", "member_no", "custom:douyin_id"}) {
        auto rule = Parse(std::string(R"({"identifier": "exists", "type": ")") + type + "\"}");
        ASSERT_TRUE(rule) << type;
        EXPECT_EQ(rule->field, type);
    }
    EXPECT_EQ(ErrorField(R"({"identifier": "exists", "type": "qq"})"), "rule.type");
    EXPECT_EQ(ErrorField(R"({"identifier": "exists", "type": "custom:Douyin"})"), "rule.type");
    EXPECT_EQ(ErrorField(R"({"identifier": "exists", "type": "custom:"})"), "rule.type");
    EXPECT_EQ(ErrorField(R"({"identifier": "has", "type": "phone"})"), "rule.identifier");
}

// --- Shapes and text ---

TEST(ParseRule, InvalidJsonTextIsInvalidJson) {
    EXPECT_EQ(Error(R"({"and": [)").code(), StatusCode::kInvalidJson);
    EXPECT_EQ(Error("").code(), StatusCode::kInvalidJson);
    EXPECT_EQ(Error("{\"trait\": \"city\", \"op\": \"eq\", \"value\": \"\xff\"}").code(), StatusCode::kInvalidJson);
}

TEST(ParseRule, ARuleIsAnObjectWithOneKindOfCondition) {
    EXPECT_EQ(ErrorField(R"([{"all": true}])"), "rule");
    EXPECT_EQ(ErrorField(R"("all")"), "rule");
    EXPECT_EQ(ErrorField(R"({})"), "rule");
    EXPECT_EQ(ErrorField(R"({"op": "eq", "value": 1})"), "rule");
    EXPECT_EQ(ErrorField(R"({"or": [{"trait": "city", "op": "exists", "tag": "has", "id": 1}]})"), "rule.or[0]");
    EXPECT_EQ(ErrorField(R"({"and": [{"all": true}, 3]})"), "rule.and[1]");
}

TEST(ParseRule, UnknownKeysAreNamedWithTheirPath) {
    Status st = Error(R"({"and": [{"all": true}, {"trait": "city", "op": "eq", "value": "上海", "colour": "red"}]})");
    EXPECT_EQ(st.code(), StatusCode::kUnknownField);
    EXPECT_EQ(st.field(), "rule.and[1].colour");
    EXPECT_EQ(st.message(),
              "rule.and[1].colour: unknown key; a trait condition takes trait, op, value, within_next_days, "
              "within_last_days, more_than_days_ago, in_next_days");

    EXPECT_EQ(Error(R"({"event": "A", "window": {"last_weeks": 2}})").field(), "rule.window.last_weeks");
    EXPECT_EQ(Error(R"({"event": "A", "where": [{"property": "p", "op": "exists", "x": 1}]})").field(),
              "rule.where[0].x");
    EXPECT_EQ(Error(R"({"event": "A", "count": {"op": "gte", "value": 1, "distinct": true}})").field(),
              "rule.count.distinct");
    EXPECT_EQ(Error(R"({"not": {"all": true}, "note": "x"})").field(), "rule.note");
}

// --- Time dependence and references ---

bool TimeDependent(std::string_view json) {
    auto rule = Parse(json);
    return rule && IsTimeDependent(*rule);
}

TEST(IsTimeDependent, WindowsEndingNowRelativeDatesRfmAndLifecycleAre) {
    EXPECT_TRUE(TimeDependent(R"({"event": "A", "window": {"last_days": 30}})"));
    EXPECT_TRUE(TimeDependent(R"({"event": "A", "did": false, "window": {"last_hours": 1}})"));
    EXPECT_TRUE(TimeDependent(R"({"trait": "birthday", "within_next_days": 7})"));
    EXPECT_TRUE(TimeDependent(R"({"attribute": "last_order_at", "more_than_days_ago": 90})"));
    EXPECT_TRUE(TimeDependent(R"({"event": "A", "last": "before", "at": {"days_ago": 30}})"));
    EXPECT_TRUE(TimeDependent(R"({"rfm": "in", "classes": ["重要价值客户"]})"));
    EXPECT_TRUE(TimeDependent(R"({"lifecycle": "in", "values": ["dormant"]})"));
    EXPECT_TRUE(TimeDependent(R"({"and": [{"all": true}, {"not": {"event": "A", "window": {"last_days": 7}}}]})"));
}

TEST(IsTimeDependent, AbsoluteWindowsRegistrationSequencesAndPlainComparisonsAreNot) {
    EXPECT_FALSE(TimeDependent(R"({"event": "A"})"));
    EXPECT_FALSE(TimeDependent(R"({"event": "A", "window": {"from": "2026-01-01", "to": "2026-02-01"}})"));
    EXPECT_FALSE(TimeDependent(R"({"event": "A", "window": {"since_registration": true}})"));
    EXPECT_FALSE(TimeDependent(R"({"event": "A", "first": "after", "at": "2026-01-01"})"));
    EXPECT_FALSE(TimeDependent(R"({"sequence": [{"event": "A"}, {"event": "B"}], "within_days": 7})"));
    EXPECT_FALSE(TimeDependent(R"({"attribute": "last_order_at", "op": "lt", "value": "2026-01-01"})"));
    EXPECT_FALSE(TimeDependent(R"({"and": [{"tag": "has", "id": 1}, {"trait": "city", "op": "eq", "value": "上海"},
                                           {"store": "in", "ids": [1]}, {"segment": "in", "id": 2},
                                           {"identifier": "exists", "type": "phone"}, {"all": true}]})"));
}

TEST(CollectRefs, GathersTagsStoresSegmentsAndEventsOnceEach) {
    auto rule = Parse(R"({"and": [
        {"tag": "has", "id": 12},
        {"tag": "has_any", "ids": [3, 12]},
        {"not": {"tag": "has_none", "ids": [4]}},
        {"store": "in", "ids": [7, 2]},
        {"store": "not_in", "ids": [7]},
        {"segment": "in", "id": 5},
        {"or": [{"segment": "not_in", "id": 5}, {"segment": "in", "id": 1}]},
        {"event": "Order Completed"},
        {"event": "Order Completed", "first": "before", "at": "2026-01-01"},
        {"sequence": [{"event": "Product Viewed"}, {"event": "Product Added"}], "within_hours": 1},
        {"trait": "store_id", "op": "eq", "value": 9}
    ]})");
    ASSERT_TRUE(rule);
    RuleRefs refs = CollectRefs(*rule);
    EXPECT_EQ(refs.tag_ids, (std::vector<int64_t>{3, 4, 12}));
    EXPECT_EQ(refs.store_ids, (std::vector<int64_t>{2, 7}));
    EXPECT_EQ(refs.segment_ids, (std::vector<int64_t>{1, 5}));
    EXPECT_EQ(refs.events, (std::vector<std::string>{"Order Completed", "Product Added", "Product Viewed"}));
}

// --- The language reference ---

TEST(SegmentRuleDocs, EveryRuleExampleInTheReferenceParses) {
    std::ifstream in(std::string(SIYU_SOURCE_DIR) + "/docs/segments.md");
    ASSERT_TRUE(in) << "docs/segments.md";
    std::stringstream text;
    text << in.rdbuf();
    std::string doc = text.str();
    int examples = 0;
    for (size_t pos = doc.find("```json\n"); pos != std::string::npos; pos = doc.find("```json\n", pos)) {
        pos += 8;
        size_t end = doc.find("```", pos);
        ASSERT_NE(end, std::string::npos);
        std::string block = doc.substr(pos, end - pos);
        pos = end + 3;
        if (block.rfind("{\"error\"", 0) == 0) continue;  // the error format, not a rule
        auto rule = ParseRule(block);
        EXPECT_TRUE(rule.ok()) << block << "\n" << rule.status().ToString();
        ++examples;
    }
    EXPECT_GE(examples, 15);
}

}  // namespace
}  // namespace siyu::engine
