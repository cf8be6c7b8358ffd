#pragma once

// The segment rule language: a JSON condition tree (grammar and examples in docs/segments.md)
// parsed into the tree below. Parsing checks the whole tree and names the JSON path of the
// first problem ("rule.and[2].window.last_days: must be a positive integer"); it does not
// check that tags, stores or segments exist (the caller resolves those).

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "base/time.h"

namespace siyu::engine {

// Comparison operators on values.
enum class Op {
    kEq,
    kNeq,
    kIn,
    kNotIn,
    kContains,
    kStartsWith,
    kGt,
    kGte,
    kLt,
    kLte,
    kBetween,
    kExists,
    kNotExists,
};

// A literal: a string, a number (kept as a double and, when integral, as an integer) or a
// boolean. Money-like numbers in rules are in major units (¥) and converted by the evaluator.
// Dates ("YYYY-MM-DD" or RFC 3339) stay strings, as written.
struct Value {
    enum class Kind { kString, kNumber, kBool } kind = Kind::kString;
    std::string text;  // the string, or the number / boolean as written canonically
    double number = 0;
    bool boolean = false;
};

// `op` with its operands: one value, a list (in / not_in), two (between) or none (exists).
struct Comparison {
    Op op = Op::kExists;
    std::vector<Value> values;
};

// A moment: absolute, or relative to "now" when the rule is evaluated.
struct Moment {
    std::optional<TimeMs> at;  // absolute
    int64_t days_ago = 0;      // when `at` is empty: now - days_ago days
};

// The time window of a behaviour condition. Empty (all fields unset) means all time.
struct Window {
    std::optional<int64_t> last_ms;   // the last N days / hours, ending now
    std::optional<TimeMs> from, to;   // [from, to)
    bool since_registration = false;  // from the customer's creation
};

struct PropertyCondition {
    std::string property;
    Comparison cmp;
};

// Aggregate of a behaviour condition: count of events, or sum / avg / min / max of a property
// ("revenue" is the event's amount in minor units; others are indexed integer properties).
// The rule writes "revenue" in major units (¥1000 is 1000) and `cmp` keeps it as written: the
// evaluator multiplies by 100 before comparing with stored minor units.
struct Aggregate {
    enum class Fn { kCount, kSum, kAvg, kMin, kMax } fn = Fn::kCount;
    std::string property;  // empty for count
    Comparison cmp;        // default: count >= 1
};

// Relative dates on traits and dates: "birthday within the next 7 days",
// "created more than 90 days ago".
enum class RelativeDate {
    kNone,
    kWithinNextDays,   // an anniversary (month-day) falls within the next N days
    kWithinLastDays,   // the date is within the last N days
    kMoreThanDaysAgo,  // the date is more than N days ago
    kInNextDays,       // the date itself is between now and N days from now (not an anniversary)
};

struct Node;
using NodePtr = std::unique_ptr<Node>;

struct Node {
    enum class Kind {
        kAnd,
        kOr,
        kNot,
        kTrait,       // field, cmp or relative date
        kTag,         // tag_op over tag_ids
        kEvent,       // did / did not do `event`, filters, window, aggregate
        kFirstLast,   // first / last time `event` was done, before / after a moment
        kSequence,    // did `event` and then `then_event` within `within_ms`
        kAttribute,   // computed attribute (order_count, ...) compared to a value
        kLifecycle,   // lifecycle stage in / not in
        kRfm,         // RFM class in / not in
        kStore,       // customer's store (with its subtree) in / not in
        kIdentifier,  // has / has not an identifier of a type
        kSegment,     // member / not member of another segment
        kAll,         // every customer
    };
    Kind kind = Kind::kAll;
    std::string path;  // JSON path of this node, for messages ("rule.and[1]")

    std::vector<NodePtr> children;  // and / or: several; not: one

    // kTrait, kAttribute: field name; kIdentifier: identifier type; kEvent / kFirstLast /
    // kSequence: event name.
    std::string field;
    Comparison cmp;
    RelativeDate relative = RelativeDate::kNone;
    int64_t relative_days = 0;

    // kTag: has (one tag), has_any, has_all, has_none.
    enum class TagOp { kHas, kHasAny, kHasAll, kHasNone } tag_op = TagOp::kHas;
    std::vector<int64_t> ids;  // tags, stores, or the one segment

    // kEvent
    bool did = true;
    std::vector<PropertyCondition> where;
    Window window;
    Aggregate aggregate;

    // kFirstLast: first or last occurrence, before or after `moment`.
    bool first = true;
    bool before = true;
    Moment moment;

    // kSequence: `field` then `then_event` (with `then_where`) within `within_ms`.
    std::string then_event;
    std::vector<PropertyCondition> then_where;
    int64_t within_ms = 0;

    // kLifecycle / kRfm: the stages or classes (codes), kept in `cmp` (in / not_in).
    // kStore / kSegment: in / not in is `cmp.op` (kIn / kNotIn) over `ids`.
    // kIdentifier: `cmp.op` is kExists or kNotExists.
    // kAttribute: order_total / refund_total values are in major units, as for revenue.
};

// Parses a rule from JSON text. Errors are kInvalidArgument with the JSON path in the field,
// kUnknownField for a key a condition does not take (the field is that key's path), and
// kInvalidJson when the text is not JSON.
Result<NodePtr> ParseRule(std::string_view json);

// The ids a rule refers to, for existence checks and dependency tracking.
struct RuleRefs {
    std::vector<int64_t> tag_ids, store_ids, segment_ids;
    std::vector<std::string> events;
};
RuleRefs CollectRefs(const Node& rule);

// True when the rule's result can change with the passage of time alone (windows relative to
// now, relative dates, RFM recency): such segments are refreshed on a timer.
bool IsTimeDependent(const Node& rule);

// The eight RFM classes, as codes and as their Chinese names.
struct RfmClassName {
    std::string_view code;
    std::string_view name;
};
inline constexpr RfmClassName kRfmClasses[8] = {
    {"important_value", "重要价值客户"},  {"important_develop", "重要发展客户"}, {"important_keep", "重要保持客户"},
    {"important_retain", "重要挽留客户"}, {"general_value", "一般价值客户"},     {"general_develop", "一般发展客户"},
    {"general_keep", "一般保持客户"},     {"general_retain", "一般挽留客户"},
};

}  // namespace siyu::engine
