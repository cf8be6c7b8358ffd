#include "engine/segment_rule.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <functional>
#include <limits>
#include <nlohmann/json.hpp>
#include <utility>

namespace siyu::engine {

namespace {

using Json = nlohmann::json;

constexpr int kMaxDepth = 32;
constexpr int kMaxNodes = 1000;
constexpr size_t kMaxListSize = 1000;
constexpr int64_t kMaxDays = 36500;
constexpr int64_t kMaxHours = kMaxDays * 24;
constexpr int64_t kMsPerHour = 3'600'000;
constexpr int64_t kMsPerDay = 24 * kMsPerHour;

// The keys that say what kind of condition an object is, in the order they are looked for.
constexpr std::array<std::string_view, 14> kFormKeys = {
    "and",      "or",        "not",       "all", "trait", "tag",        "event",
    "sequence", "attribute", "lifecycle", "rfm", "store", "identifier", "segment",
};

constexpr std::array<std::string_view, 8> kProfileFields = {
    "name", "phone", "email", "gender", "birthday", "member_no", "created_at", "store_id",
};

constexpr std::array<std::string_view, 6> kLifecycleStages = {
    "prospect", "registered", "first_purchase", "repurchase", "loyal", "dormant",
};

// Identifier types as rules name them; the long names the identity graph stores are accepted
// as aliases.
constexpr std::array<std::string_view, 9> kIdentifierTypes = {
    "user_id", "anonymous_id", "phone", "email", "wecom", "unionid", "openid", "member_no", "taobao_ouid",
};
constexpr std::array<std::pair<std::string_view, std::string_view>, 3> kIdentifierAliases = {{
    {"wecom_external_userid", "wecom"},
    {"wechat_unionid", "unionid"},
    {"wechat_openid", "openid"},
}};

struct OpName {
    std::string_view name;
    Op op;
};
constexpr std::array<OpName, 13> kOpNames = {{
    {"eq", Op::kEq},
    {"neq", Op::kNeq},
    {"in", Op::kIn},
    {"not_in", Op::kNotIn},
    {"contains", Op::kContains},
    {"starts_with", Op::kStartsWith},
    {"gt", Op::kGt},
    {"gte", Op::kGte},
    {"lt", Op::kLt},
    {"lte", Op::kLte},
    {"between", Op::kBetween},
    {"exists", Op::kExists},
    {"not_exists", Op::kNotExists},
}};

// What a comparison compares, which decides the operators and values it accepts.
enum class Domain {
    kAny,     // a trait or an event property: strings, numbers, booleans
    kNumber,  // an amount or a sum: numbers
    kCount,   // a count: non-negative integers
    kId,      // store_id: positive integers
    kDate,    // a date or a timestamp: "YYYY-MM-DD" or RFC 3339 strings
};

template <size_t N>
bool Contains(const std::array<std::string_view, N>& names, std::string_view name) {
    return std::find(names.begin(), names.end(), name) != names.end();
}

template <size_t N>
std::string JoinNames(const std::array<std::string_view, N>& names) {
    std::string out;
    for (std::string_view n : names) {
        if (!out.empty()) out += ", ";
        out += n;
    }
    return out;
}

std::string Member(const std::string& path, std::string_view key) { return path + "." + std::string(key); }
std::string Element(const std::string& path, size_t i) { return path + "[" + std::to_string(i) + "]"; }

Status Invalid(const std::string& path, std::string message) {
    return Status::InvalidArgument(path, std::move(message));
}

const Json* Find(const Json& obj, std::string_view key) {
    auto it = obj.find(std::string(key));
    return it == obj.end() ? nullptr : &*it;
}

// Rejects any key of `obj` outside `allowed`; `form` names the object in the message.
Status CheckKeys(const Json& obj, const std::string& path, std::initializer_list<std::string_view> allowed,
                 std::string_view form) {
    for (const auto& [key, value] : obj.items()) {
        if (std::find(allowed.begin(), allowed.end(), key) != allowed.end()) continue;
        std::string field = Member(path, key);
        std::string message = field + ": unknown key; " + std::string(form) + " takes ";
        for (auto it = allowed.begin(); it != allowed.end(); ++it) {
            if (it != allowed.begin()) message += ", ";
            message += *it;
        }
        return Status(StatusCode::kUnknownField, std::move(message), field);
    }
    return Status::Ok();
}

Result<int64_t> IntegerIn(const Json& v, const std::string& path, int64_t lo, int64_t hi) {
    auto out_of_range = [&] {
        return Invalid(path, "must be an integer from " + std::to_string(lo) + " to " + std::to_string(hi));
    };
    if (!v.is_number_integer()) return out_of_range();
    if (v.is_number_unsigned() && v.get<uint64_t>() > static_cast<uint64_t>(hi)) return out_of_range();
    int64_t n = v.get<int64_t>();
    if (n < lo || n > hi) return out_of_range();
    return n;
}

Result<int64_t> PositiveId(const Json& v, const std::string& path) {
    if (!v.is_number_integer() || (v.is_number_unsigned() ? v.get<uint64_t>() == 0 : v.get<int64_t>() <= 0) ||
        (v.is_number_unsigned() && v.get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))) {
        return Invalid(path, "must be a positive integer");
    }
    return v.get<int64_t>();
}

Result<std::string> NonEmptyString(const Json& v, const std::string& path) {
    if (!v.is_string() || v.get_ref<const std::string&>().empty()) return Invalid(path, "must be a non-empty string");
    return v.get<std::string>();
}

Result<std::string> RequiredString(const Json& obj, const std::string& path, std::string_view key) {
    const Json* v = Find(obj, key);
    if (v == nullptr) return Invalid(Member(path, key), "is required");
    return NonEmptyString(*v, Member(path, key));
}

// A non-empty list of positive ids, without repeats, in the order first written.
Status IdList(const Json& v, const std::string& path, std::vector<int64_t>* ids) {
    if (!v.is_array() || v.empty()) return Invalid(path, "must be a non-empty array of positive integers");
    if (v.size() > kMaxListSize) return Invalid(path, "must have at most " + std::to_string(kMaxListSize) + " ids");
    for (size_t i = 0; i < v.size(); ++i) {
        SIYU_ASSIGN_OR_RETURN(int64_t id, PositiveId(v[i], Element(path, i)));
        if (std::find(ids->begin(), ids->end(), id) == ids->end()) ids->push_back(id);
    }
    return Status::Ok();
}

// "in" / "not_in" as the key of a membership condition (lifecycle, rfm, store, segment).
Result<Op> MembershipOp(const Json& v, const std::string& path) {
    if (v == "in") return Op::kIn;
    if (v == "not_in") return Op::kNotIn;
    return Invalid(path, "must be \"in\" or \"not_in\"");
}

// Midnight UTC at the start of a "YYYY-MM-DD" date.
TimeMs StartOfUtcDay(std::string_view date) {
    int y = std::stoi(std::string(date.substr(0, 4)));
    unsigned m = static_cast<unsigned>(std::stoi(std::string(date.substr(5, 2))));
    unsigned d = static_cast<unsigned>(std::stoi(std::string(date.substr(8, 2))));
    std::chrono::sys_days days{std::chrono::year{y} / std::chrono::month{m} / std::chrono::day{d}};
    return std::chrono::duration_cast<std::chrono::milliseconds>(days.time_since_epoch()).count();
}

// An instant written as RFC 3339 or as "YYYY-MM-DD" (midnight UTC).
std::optional<TimeMs> ParseInstant(std::string_view text) {
    if (IsValidDate(text)) return StartOfUtcDay(text);
    return ParseRfc3339(text);
}

Result<TimeMs> Instant(const Json& v, const std::string& path) {
    std::optional<TimeMs> at = v.is_string() ? ParseInstant(v.get_ref<const std::string&>()) : std::nullopt;
    if (!at) return Invalid(path, "must be a date (YYYY-MM-DD) or an RFC 3339 time");
    return *at;
}

std::string CanonicalNumber(const Json& v) {
    if (v.is_number_unsigned()) return std::to_string(v.get<uint64_t>());
    if (v.is_number_integer()) return std::to_string(v.get<int64_t>());
    double d = v.get<double>();
    if (std::trunc(d) == d && std::fabs(d) < 9.0e15) return std::to_string(static_cast<int64_t>(d));
    return v.dump();
}

// One literal of a comparison, checked against the domain.
Result<Value> Literal(const Json& v, const std::string& path, Domain domain, Op op) {
    Value out;
    switch (domain) {
        case Domain::kCount:
            if (!v.is_number_integer() || (!v.is_number_unsigned() && v.get<int64_t>() < 0)) {
                return Invalid(path, "must be a non-negative integer");
            }
            break;
        case Domain::kId:
            if (auto id = PositiveId(v, path); !id.ok()) return id.status();
            break;
        case Domain::kNumber:
            if (!v.is_number()) return Invalid(path, "must be a number");
            break;
        case Domain::kDate:
            if (!v.is_string() || !ParseInstant(v.get_ref<const std::string&>())) {
                return Invalid(path, "must be a date (YYYY-MM-DD) or an RFC 3339 time");
            }
            break;
        case Domain::kAny:
            if (op == Op::kContains || op == Op::kStartsWith) {
                if (!v.is_string() || v.get_ref<const std::string&>().empty()) {
                    return Invalid(path, "must be a non-empty string");
                }
            } else if (op == Op::kGt || op == Op::kGte || op == Op::kLt || op == Op::kLte || op == Op::kBetween) {
                if (!v.is_string() && !v.is_number()) return Invalid(path, "must be a number or a string");
            } else if (!v.is_string() && !v.is_number() && !v.is_boolean()) {
                return Invalid(path, "must be a string, a number or a boolean");
            }
            break;
    }
    if (v.is_string()) {
        out.kind = Value::Kind::kString;
        out.text = v.get<std::string>();
    } else if (v.is_boolean()) {
        out.kind = Value::Kind::kBool;
        out.boolean = v.get<bool>();
        out.text = out.boolean ? "true" : "false";
    } else {
        out.kind = Value::Kind::kNumber;
        out.number = v.get<double>();
        out.text = CanonicalNumber(v);
    }
    return out;
}

const char* DomainName(Domain domain) {
    switch (domain) {
        case Domain::kAny:
            return "a value";
        case Domain::kNumber:
            return "an amount";
        case Domain::kCount:
            return "a count";
        case Domain::kId:
            return "store_id";
        case Domain::kDate:
            return "a date";
    }
    return "a value";
}

bool OpAllowed(Op op, Domain domain) {
    switch (domain) {
        case Domain::kAny:
            return true;
        case Domain::kNumber:
        case Domain::kCount:
            return op == Op::kEq || op == Op::kNeq || op == Op::kGt || op == Op::kGte || op == Op::kLt ||
                   op == Op::kLte || op == Op::kBetween ||
                   (domain == Domain::kCount && (op == Op::kIn || op == Op::kNotIn));
        case Domain::kId:
            return op == Op::kEq || op == Op::kNeq || op == Op::kIn || op == Op::kNotIn || op == Op::kExists ||
                   op == Op::kNotExists;
        case Domain::kDate:
            return op != Op::kIn && op != Op::kNotIn && op != Op::kContains && op != Op::kStartsWith;
    }
    return false;
}

// True when lo <= hi for two literals of the same kind, as far as the parser can tell.
bool Ordered(const Value& lo, const Value& hi, Domain domain) {
    if (lo.kind == Value::Kind::kNumber) return lo.number <= hi.number;
    if (domain == Domain::kDate) {
        // A date alone is read in the tenant's time zone, unknown here: only like with like.
        if (IsValidDate(lo.text) != IsValidDate(hi.text)) return true;
        return *ParseInstant(lo.text) <= *ParseInstant(hi.text);
    }
    return lo.text <= hi.text;
}

// Reads "op" and "value" of `obj` into `cmp`.
Status ParseComparison(const Json& obj, const std::string& path, Domain domain, Comparison* cmp) {
    const Json* op_json = Find(obj, "op");
    std::string op_path = Member(path, "op");
    if (op_json == nullptr) return Invalid(op_path, "is required");
    if (!op_json->is_string()) return Invalid(op_path, "must be a string");
    auto it = std::find_if(kOpNames.begin(), kOpNames.end(), [&](const OpName& o) { return *op_json == o.name; });
    if (it == kOpNames.end()) {
        return Invalid(op_path, "unknown op \"" + op_json->get<std::string>() +
                                    "\"; expected eq, neq, in, not_in, contains, starts_with, gt, gte, lt, lte, "
                                    "between, exists or not_exists");
    }
    cmp->op = it->op;
    if (!OpAllowed(cmp->op, domain)) {
        return Invalid(op_path, "\"" + std::string(it->name) + "\" does not apply to " + DomainName(domain));
    }

    const Json* value = Find(obj, "value");
    std::string value_path = Member(path, "value");
    cmp->values.clear();
    switch (cmp->op) {
        case Op::kExists:
        case Op::kNotExists:
            if (value != nullptr) return Invalid(value_path, "must be absent for " + std::string(it->name));
            return Status::Ok();
        case Op::kIn:
        case Op::kNotIn:
            if (value == nullptr) return Invalid(value_path, "is required");
            if (!value->is_array() || value->empty()) return Invalid(value_path, "must be a non-empty array");
            if (value->size() > kMaxListSize) {
                return Invalid(value_path, "must have at most " + std::to_string(kMaxListSize) + " values");
            }
            for (size_t i = 0; i < value->size(); ++i) {
                SIYU_ASSIGN_OR_RETURN(Value v, Literal((*value)[i], Element(value_path, i), domain, cmp->op));
                cmp->values.push_back(std::move(v));
            }
            return Status::Ok();
        case Op::kBetween: {
            if (value == nullptr) return Invalid(value_path, "is required");
            if (!value->is_array() || value->size() != 2) return Invalid(value_path, "must be an array [low, high]");
            SIYU_ASSIGN_OR_RETURN(Value lo, Literal((*value)[0], Element(value_path, 0), domain, cmp->op));
            SIYU_ASSIGN_OR_RETURN(Value hi, Literal((*value)[1], Element(value_path, 1), domain, cmp->op));
            if (lo.kind != hi.kind) return Invalid(value_path, "low and high must both be numbers or both strings");
            if (!Ordered(lo, hi, domain)) return Invalid(value_path, "low must not be greater than high");
            cmp->values.push_back(std::move(lo));
            cmp->values.push_back(std::move(hi));
            return Status::Ok();
        }
        default: {
            if (value == nullptr) return Invalid(value_path, "is required");
            SIYU_ASSIGN_OR_RETURN(Value v, Literal(*value, value_path, domain, cmp->op));
            cmp->values.push_back(std::move(v));
            return Status::Ok();
        }
    }
}

// Reads one of the relative-date keys, if present. Returns true in *found when one was.
Status ParseRelative(const Json& obj, const std::string& path, bool allow_next, Node* node, bool* found) {
    struct Form {
        std::string_view key;
        RelativeDate relative;
    };
    constexpr std::array<Form, 4> kForms = {{
        {"within_next_days", RelativeDate::kWithinNextDays},
        {"within_last_days", RelativeDate::kWithinLastDays},
        {"more_than_days_ago", RelativeDate::kMoreThanDaysAgo},
        {"in_next_days", RelativeDate::kInNextDays},
    }};
    *found = false;
    for (const Form& form : kForms) {
        const Json* v = Find(obj, form.key);
        if (v == nullptr) continue;
        std::string key_path = Member(path, form.key);
        if (*found) return Invalid(key_path, "only one relative date may be given");
        if ((form.relative == RelativeDate::kWithinNextDays || form.relative == RelativeDate::kInNextDays) &&
            !allow_next) {
            return Invalid(key_path, "does not apply here; use within_last_days or more_than_days_ago");
        }
        SIYU_ASSIGN_OR_RETURN(node->relative_days, IntegerIn(*v, key_path, 1, kMaxDays));
        node->relative = form.relative;
        *found = true;
    }
    if (*found && Find(obj, "op") != nullptr) {
        return Invalid(Member(path, "op"), "cannot be combined with a relative date");
    }
    if (*found && Find(obj, "value") != nullptr) {
        return Invalid(Member(path, "value"), "cannot be combined with a relative date");
    }
    return Status::Ok();
}

Status ParseWhere(const Json& v, const std::string& path, std::vector<PropertyCondition>* where) {
    if (!v.is_array()) return Invalid(path, "must be an array of property conditions");
    if (v.size() > kMaxListSize) {
        return Invalid(path, "must have at most " + std::to_string(kMaxListSize) + " conditions");
    }
    for (size_t i = 0; i < v.size(); ++i) {
        std::string item_path = Element(path, i);
        const Json& item = v[i];
        if (!item.is_object()) return Invalid(item_path, "must be an object");
        SIYU_RETURN_IF_ERROR(CheckKeys(item, item_path, {"property", "op", "value"}, "a property filter"));
        PropertyCondition cond;
        SIYU_ASSIGN_OR_RETURN(cond.property, RequiredString(item, item_path, "property"));
        SIYU_RETURN_IF_ERROR(ParseComparison(item, item_path, Domain::kAny, &cond.cmp));
        where->push_back(std::move(cond));
    }
    return Status::Ok();
}

Status ParseWindow(const Json& v, const std::string& path, Window* window) {
    if (!v.is_object()) return Invalid(path, "must be an object");
    SIYU_RETURN_IF_ERROR(
        CheckKeys(v, path, {"last_days", "last_hours", "from", "to", "since_registration"}, "a window"));
    const Json* last_days = Find(v, "last_days");
    const Json* last_hours = Find(v, "last_hours");
    const Json* from = Find(v, "from");
    const Json* to = Find(v, "to");
    const Json* since = Find(v, "since_registration");
    int forms =
        (last_days != nullptr) + (last_hours != nullptr) + (from != nullptr || to != nullptr) + (since != nullptr);
    if (forms == 0) return Invalid(path, "needs last_days, last_hours, from / to or since_registration");
    if (forms > 1) return Invalid(path, "takes only one of last_days, last_hours, from / to and since_registration");
    if (last_days != nullptr) {
        SIYU_ASSIGN_OR_RETURN(int64_t days, IntegerIn(*last_days, Member(path, "last_days"), 1, kMaxDays));
        window->last_ms = days * kMsPerDay;
    } else if (last_hours != nullptr) {
        SIYU_ASSIGN_OR_RETURN(int64_t hours, IntegerIn(*last_hours, Member(path, "last_hours"), 1, kMaxHours));
        window->last_ms = hours * kMsPerHour;
    } else if (since != nullptr) {
        if (*since != true) return Invalid(Member(path, "since_registration"), "must be true");
        window->since_registration = true;
    } else {
        if (from != nullptr) {
            SIYU_ASSIGN_OR_RETURN(window->from, Instant(*from, Member(path, "from")));
        }
        if (to != nullptr) {
            SIYU_ASSIGN_OR_RETURN(window->to, Instant(*to, Member(path, "to")));
        }
        if (window->from && window->to && *window->from >= *window->to) {
            return Invalid(Member(path, "to"), "must be later than from");
        }
    }
    return Status::Ok();
}

// Reads a within_days / within_hours span, required.
Result<int64_t> ParseWithin(const Json& obj, const std::string& path) {
    const Json* days = Find(obj, "within_days");
    const Json* hours = Find(obj, "within_hours");
    if (days != nullptr && hours != nullptr) {
        return Invalid(Member(path, "within_hours"), "cannot be combined with within_days");
    }
    if (days != nullptr) {
        SIYU_ASSIGN_OR_RETURN(int64_t n, IntegerIn(*days, Member(path, "within_days"), 1, kMaxDays));
        return n * kMsPerDay;
    }
    if (hours != nullptr) {
        SIYU_ASSIGN_OR_RETURN(int64_t n, IntegerIn(*hours, Member(path, "within_hours"), 1, kMaxHours));
        return n * kMsPerHour;
    }
    return Invalid(Member(path, "within_days"), "is required (or within_hours)");
}

// Parses a rule tree, counting nodes across the whole tree.
class RuleParser {
  public:
    Result<NodePtr> ParseNode(const Json& j, const std::string& path, int depth) {
        if (!j.is_object()) return Invalid(path, "must be an object");
        if (depth > kMaxDepth) {
            return Invalid(path, "conditions are nested more than " + std::to_string(kMaxDepth) + " levels deep");
        }
        if (++nodes_ > kMaxNodes) {
            return Invalid(path, "a rule has at most " + std::to_string(kMaxNodes) + " conditions");
        }
        std::string_view form;
        for (std::string_view key : kFormKeys) {
            if (Find(j, key) == nullptr) continue;
            if (!form.empty()) {
                return Invalid(path, "\"" + std::string(form) + "\" and \"" + std::string(key) +
                                         "\" cannot be in one condition; combine conditions with \"and\"");
            }
            form = key;
        }
        if (form.empty()) {
            if (j.empty()) return Invalid(path, "is empty; expected one of " + JoinNames(kFormKeys));
            return Invalid(path, "must have one of the keys " + JoinNames(kFormKeys));
        }

        auto node = std::make_unique<Node>();
        node->path = path;
        Status st = Dispatch(form, j, path, depth, node.get());
        if (!st.ok()) return st;
        return node;
    }

  private:
    Status Dispatch(std::string_view form, const Json& j, const std::string& path, int depth, Node* node) {
        if (form == "and" || form == "or") return ParseList(form, j, path, depth, node);
        if (form == "not") return ParseNot(j, path, depth, node);
        if (form == "all") return ParseAll(j, path, node);
        if (form == "trait") return ParseTrait(j, path, node);
        if (form == "tag") return ParseTag(j, path, node);
        if (form == "event") {
            if (Find(j, "first") != nullptr || Find(j, "last") != nullptr) return ParseFirstLast(j, path, node);
            return ParseEvent(j, path, node);
        }
        if (form == "sequence") return ParseSequence(j, path, node);
        if (form == "attribute") return ParseAttribute(j, path, node);
        if (form == "lifecycle") return ParseLifecycle(j, path, node);
        if (form == "rfm") return ParseRfm(j, path, node);
        if (form == "store") return ParseStore(j, path, node);
        if (form == "identifier") return ParseIdentifier(j, path, node);
        return ParseSegment(j, path, node);
    }

    Status ParseList(std::string_view form, const Json& j, const std::string& path, int depth, Node* node) {
        std::string list_path = Member(path, form);
        SIYU_RETURN_IF_ERROR(CheckKeys(j, path, {form}, form == "and" ? "an and condition" : "an or condition"));
        node->kind = form == "and" ? Node::Kind::kAnd : Node::Kind::kOr;
        const Json& list = j[std::string(form)];
        if (!list.is_array() || list.empty()) return Invalid(list_path, "must be a non-empty array of conditions");
        for (size_t i = 0; i < list.size(); ++i) {
            SIYU_ASSIGN_OR_RETURN(NodePtr child, ParseNode(list[i], Element(list_path, i), depth + 1));
            node->children.push_back(std::move(child));
        }
        return Status::Ok();
    }

    Status ParseNot(const Json& j, const std::string& path, int depth, Node* node) {
        SIYU_RETURN_IF_ERROR(CheckKeys(j, path, {"not"}, "a not condition"));
        node->kind = Node::Kind::kNot;
        SIYU_ASSIGN_OR_RETURN(NodePtr child, ParseNode(j["not"], Member(path, "not"), depth + 1));
        node->children.push_back(std::move(child));
        return Status::Ok();
    }

    static Status ParseAll(const Json& j, const std::string& path, Node* node) {
        SIYU_RETURN_IF_ERROR(CheckKeys(j, path, {"all"}, "an all condition"));
        if (j["all"] != true) return Invalid(Member(path, "all"), "must be true");
        node->kind = Node::Kind::kAll;
        return Status::Ok();
    }

    static Status ParseTrait(const Json& j, const std::string& path, Node* node) {
        SIYU_RETURN_IF_ERROR(
            CheckKeys(j, path,
                      {"trait", "op", "value", "within_next_days", "within_last_days", "more_than_days_ago",
                       "in_next_days"},
                      "a trait condition"));
        node->kind = Node::Kind::kTrait;
        SIYU_ASSIGN_OR_RETURN(node->field, RequiredString(j, path, "trait"));
        bool date = node->field == "birthday" || node->field == "created_at";
        bool custom = !Contains(kProfileFields, node->field);
        bool relative = false;
        SIYU_RETURN_IF_ERROR(ParseRelative(j, path, /*allow_next=*/true, node, &relative));
        if (relative) {
            if (!date && !custom) {
                return Invalid(Member(path, "trait"),
                               "relative dates apply to birthday, created_at and custom traits, not " + node->field);
            }
            return Status::Ok();
        }
        if (Find(j, "op") == nullptr) {
            return Invalid(Member(path, "op"),
                           "is required (or within_next_days, within_last_days, more_than_days_ago, in_next_days)");
        }
        Domain domain = date ? Domain::kDate : node->field == "store_id" ? Domain::kId : Domain::kAny;
        return ParseComparison(j, path, domain, &node->cmp);
    }

    static Status ParseTag(const Json& j, const std::string& path, Node* node) {
        SIYU_RETURN_IF_ERROR(CheckKeys(j, path, {"tag", "id", "ids"}, "a tag condition"));
        node->kind = Node::Kind::kTag;
        const Json& op = j["tag"];
        std::string op_path = Member(path, "tag");
        if (op == "has") {
            node->tag_op = Node::TagOp::kHas;
            if (Find(j, "ids") != nullptr) return Invalid(Member(path, "ids"), "\"has\" takes one \"id\"");
            const Json* id = Find(j, "id");
            if (id == nullptr) return Invalid(Member(path, "id"), "is required");
            SIYU_ASSIGN_OR_RETURN(int64_t tag_id, PositiveId(*id, Member(path, "id")));
            node->ids.push_back(tag_id);
            return Status::Ok();
        }
        if (op == "has_any") {
            node->tag_op = Node::TagOp::kHasAny;
        } else if (op == "has_all") {
            node->tag_op = Node::TagOp::kHasAll;
        } else if (op == "has_none") {
            node->tag_op = Node::TagOp::kHasNone;
        } else {
            return Invalid(op_path, "must be \"has\", \"has_any\", \"has_all\" or \"has_none\"");
        }
        if (Find(j, "id") != nullptr) return Invalid(Member(path, "id"), "use \"ids\" (an array) with " + op.dump());
        const Json* ids = Find(j, "ids");
        if (ids == nullptr) return Invalid(Member(path, "ids"), "is required");
        return IdList(*ids, Member(path, "ids"), &node->ids);
    }

    static Status ParseEvent(const Json& j, const std::string& path, Node* node) {
        SIYU_RETURN_IF_ERROR(
            CheckKeys(j, path, {"event", "did", "where", "window", "count", "aggregate"}, "an event condition"));
        node->kind = Node::Kind::kEvent;
        SIYU_ASSIGN_OR_RETURN(node->field, RequiredString(j, path, "event"));
        if (const Json* did = Find(j, "did")) {
            if (!did->is_boolean()) return Invalid(Member(path, "did"), "must be true or false");
            node->did = did->get<bool>();
        }
        if (const Json* where = Find(j, "where")) {
            SIYU_RETURN_IF_ERROR(ParseWhere(*where, Member(path, "where"), &node->where));
        }
        if (const Json* window = Find(j, "window")) {
            SIYU_RETURN_IF_ERROR(ParseWindow(*window, Member(path, "window"), &node->window));
        }
        const Json* count = Find(j, "count");
        const Json* aggregate = Find(j, "aggregate");
        if (count != nullptr && aggregate != nullptr) {
            return Invalid(Member(path, "aggregate"), "cannot be combined with count");
        }
        if (!node->did && (count != nullptr || aggregate != nullptr)) {
            return Invalid(Member(path, count != nullptr ? "count" : "aggregate"),
                           "does not apply with did: false; compare the count instead (count lt N)");
        }
        node->aggregate.fn = Aggregate::Fn::kCount;
        node->aggregate.cmp = Comparison{Op::kGte, {Value{Value::Kind::kNumber, "1", 1, false}}};
        if (count != nullptr) return ParseCount(*count, Member(path, "count"), &node->aggregate);
        if (aggregate != nullptr) return ParseAggregate(*aggregate, Member(path, "aggregate"), &node->aggregate);
        return Status::Ok();
    }

    static Status ParseCount(const Json& v, const std::string& path, Aggregate* aggregate) {
        if (!v.is_object()) return Invalid(path, "must be an object");
        SIYU_RETURN_IF_ERROR(CheckKeys(v, path, {"op", "value"}, "a count"));
        return ParseComparison(v, path, Domain::kCount, &aggregate->cmp);
    }

    static Status ParseAggregate(const Json& v, const std::string& path, Aggregate* aggregate) {
        if (!v.is_object()) return Invalid(path, "must be an object");
        SIYU_RETURN_IF_ERROR(CheckKeys(v, path, {"sum", "avg", "min", "max", "op", "value"}, "an aggregate"));
        constexpr std::array<std::pair<std::string_view, Aggregate::Fn>, 4> kFns = {{
            {"sum", Aggregate::Fn::kSum},
            {"avg", Aggregate::Fn::kAvg},
            {"min", Aggregate::Fn::kMin},
            {"max", Aggregate::Fn::kMax},
        }};
        bool found = false;
        for (const auto& [key, fn] : kFns) {
            const Json* property = Find(v, key);
            if (property == nullptr) continue;
            if (found) return Invalid(Member(path, key), "only one of sum, avg, min and max may be given");
            SIYU_ASSIGN_OR_RETURN(aggregate->property, NonEmptyString(*property, Member(path, key)));
            aggregate->fn = fn;
            found = true;
        }
        if (!found) return Invalid(path, "needs one of sum, avg, min or max naming a property");
        return ParseComparison(v, path, Domain::kNumber, &aggregate->cmp);
    }

    static Status ParseFirstLast(const Json& j, const std::string& path, Node* node) {
        SIYU_RETURN_IF_ERROR(CheckKeys(j, path, {"event", "first", "last", "at"}, "a first / last condition"));
        node->kind = Node::Kind::kFirstLast;
        SIYU_ASSIGN_OR_RETURN(node->field, RequiredString(j, path, "event"));
        const Json* first = Find(j, "first");
        const Json* last = Find(j, "last");
        if (first != nullptr && last != nullptr) return Invalid(Member(path, "last"), "cannot be combined with first");
        node->first = first != nullptr;
        std::string which_path = Member(path, node->first ? "first" : "last");
        const Json& which = node->first ? *first : *last;
        if (which == "before") {
            node->before = true;
        } else if (which == "after") {
            node->before = false;
        } else {
            return Invalid(which_path, "must be \"before\" or \"after\"");
        }
        const Json* at = Find(j, "at");
        std::string at_path = Member(path, "at");
        if (at == nullptr) return Invalid(at_path, "is required");
        if (at->is_object()) {
            SIYU_RETURN_IF_ERROR(CheckKeys(*at, at_path, {"days_ago"}, "a moment"));
            const Json* days_ago = Find(*at, "days_ago");
            if (days_ago == nullptr) return Invalid(Member(at_path, "days_ago"), "is required");
            SIYU_ASSIGN_OR_RETURN(node->moment.days_ago,
                                  IntegerIn(*days_ago, Member(at_path, "days_ago"), 1, kMaxDays));
            return Status::Ok();
        }
        if (!at->is_string()) return Invalid(at_path, "must be a date, an RFC 3339 time or {\"days_ago\": N}");
        SIYU_ASSIGN_OR_RETURN(node->moment.at, Instant(*at, at_path));
        return Status::Ok();
    }

    static Status ParseStep(const Json& step, const std::string& path, std::string* event,
                            std::vector<PropertyCondition>* where) {
        if (!step.is_object()) return Invalid(path, "must be an object");
        SIYU_RETURN_IF_ERROR(CheckKeys(step, path, {"event", "where"}, "a sequence step"));
        SIYU_ASSIGN_OR_RETURN(*event, RequiredString(step, path, "event"));
        if (const Json* w = Find(step, "where")) SIYU_RETURN_IF_ERROR(ParseWhere(*w, Member(path, "where"), where));
        return Status::Ok();
    }

    static Status ParseSequence(const Json& j, const std::string& path, Node* node) {
        SIYU_RETURN_IF_ERROR(CheckKeys(j, path, {"sequence", "within_days", "within_hours"}, "a sequence condition"));
        node->kind = Node::Kind::kSequence;
        const Json& steps = j["sequence"];
        std::string steps_path = Member(path, "sequence");
        if (!steps.is_array() || steps.size() != 2) return Invalid(steps_path, "must be an array of two steps");
        SIYU_RETURN_IF_ERROR(ParseStep(steps[0], Element(steps_path, 0), &node->field, &node->where));
        SIYU_RETURN_IF_ERROR(ParseStep(steps[1], Element(steps_path, 1), &node->then_event, &node->then_where));
        SIYU_ASSIGN_OR_RETURN(node->within_ms, ParseWithin(j, path));
        return Status::Ok();
    }

    static Status ParseAttribute(const Json& j, const std::string& path, Node* node) {
        SIYU_RETURN_IF_ERROR(CheckKeys(
            j, path,
            {"attribute", "op", "value", "within_next_days", "within_last_days", "more_than_days_ago", "in_next_days"},
            "an attribute condition"));
        node->kind = Node::Kind::kAttribute;
        constexpr std::array<std::string_view, 2> kCounts = {"order_count", "refund_count"};
        constexpr std::array<std::string_view, 2> kAmounts = {"order_total", "refund_total"};
        constexpr std::array<std::string_view, 4> kDates = {"first_seen", "last_seen", "last_order_at",
                                                            "first_order_at"};
        SIYU_ASSIGN_OR_RETURN(node->field, RequiredString(j, path, "attribute"));
        Domain domain;
        if (Contains(kCounts, node->field)) {
            domain = Domain::kCount;
        } else if (Contains(kAmounts, node->field)) {
            domain = Domain::kNumber;
        } else if (Contains(kDates, node->field)) {
            domain = Domain::kDate;
        } else {
            return Invalid(Member(path, "attribute"),
                           "unknown attribute \"" + node->field +
                               "\"; expected order_count, order_total, refund_count, refund_total, first_seen, "
                               "last_seen, first_order_at or last_order_at");
        }
        bool relative = false;
        SIYU_RETURN_IF_ERROR(ParseRelative(j, path, /*allow_next=*/false, node, &relative));
        if (relative) {
            if (domain != Domain::kDate) {
                return Invalid(Member(path, "attribute"),
                               "relative dates apply to date attributes, not " + node->field);
            }
            return Status::Ok();
        }
        if (Find(j, "op") == nullptr && domain == Domain::kDate) {
            return Invalid(Member(path, "op"), "is required (or within_last_days, more_than_days_ago)");
        }
        return ParseComparison(j, path, domain, &node->cmp);
    }

    template <typename Accept>
    static Status ParseNameList(const Json& j, const std::string& path, std::string_view key, Comparison* cmp,
                                Accept&& accept) {
        const Json* list = Find(j, key);
        std::string list_path = Member(path, key);
        if (list == nullptr) return Invalid(list_path, "is required");
        if (!list->is_array() || list->empty()) return Invalid(list_path, "must be a non-empty array of strings");
        if (list->size() > kMaxListSize) return Invalid(list_path, "has too many entries");
        for (size_t i = 0; i < list->size(); ++i) {
            std::string item_path = Element(list_path, i);
            if (!(*list)[i].is_string()) return Invalid(item_path, "must be a string");
            SIYU_ASSIGN_OR_RETURN(std::string code, accept((*list)[i].get<std::string>(), item_path));
            bool seen =
                std::any_of(cmp->values.begin(), cmp->values.end(), [&](const Value& v) { return v.text == code; });
            if (!seen) cmp->values.push_back(Value{Value::Kind::kString, std::move(code), 0, false});
        }
        return Status::Ok();
    }

    static Status ParseLifecycle(const Json& j, const std::string& path, Node* node) {
        SIYU_RETURN_IF_ERROR(CheckKeys(j, path, {"lifecycle", "values"}, "a lifecycle condition"));
        node->kind = Node::Kind::kLifecycle;
        SIYU_ASSIGN_OR_RETURN(node->cmp.op, MembershipOp(j["lifecycle"], Member(path, "lifecycle")));
        return ParseNameList(j, path, "values", &node->cmp,
                             [](const std::string& stage, const std::string& item_path) -> Result<std::string> {
                                 if (Contains(kLifecycleStages, stage)) return stage;
                                 return Invalid(item_path, "unknown lifecycle stage \"" + stage + "\"; expected " +
                                                               JoinNames(kLifecycleStages));
                             });
    }

    static Status ParseRfm(const Json& j, const std::string& path, Node* node) {
        SIYU_RETURN_IF_ERROR(CheckKeys(j, path, {"rfm", "classes"}, "an rfm condition"));
        node->kind = Node::Kind::kRfm;
        SIYU_ASSIGN_OR_RETURN(node->cmp.op, MembershipOp(j["rfm"], Member(path, "rfm")));
        return ParseNameList(j, path, "classes", &node->cmp,
                             [](const std::string& name, const std::string& item_path) -> Result<std::string> {
                                 for (const RfmClassName& c : kRfmClasses) {
                                     if (name == c.code || name == c.name) return std::string(c.code);
                                 }
                                 return Invalid(item_path, "unknown RFM class \"" + name +
                                                               "\"; expected a code such as important_value or a "
                                                               "name such as 重要价值客户");
                             });
    }

    static Status ParseStore(const Json& j, const std::string& path, Node* node) {
        SIYU_RETURN_IF_ERROR(CheckKeys(j, path, {"store", "ids"}, "a store condition"));
        node->kind = Node::Kind::kStore;
        SIYU_ASSIGN_OR_RETURN(node->cmp.op, MembershipOp(j["store"], Member(path, "store")));
        const Json* ids = Find(j, "ids");
        if (ids == nullptr) return Invalid(Member(path, "ids"), "is required");
        return IdList(*ids, Member(path, "ids"), &node->ids);
    }

    static Status ParseIdentifier(const Json& j, const std::string& path, Node* node) {
        SIYU_RETURN_IF_ERROR(CheckKeys(j, path, {"identifier", "type"}, "an identifier condition"));
        node->kind = Node::Kind::kIdentifier;
        const Json& op = j["identifier"];
        if (op == "exists") {
            node->cmp.op = Op::kExists;
        } else if (op == "not_exists") {
            node->cmp.op = Op::kNotExists;
        } else {
            return Invalid(Member(path, "identifier"), "must be \"exists\" or \"not_exists\"");
        }
        std::string type_path = Member(path, "type");
        SIYU_ASSIGN_OR_RETURN(std::string type, RequiredString(j, path, "type"));
        for (const auto& [alias, name] : kIdentifierAliases) {
            if (type == alias) type = std::string(name);
        }
        if (!Contains(kIdentifierTypes, type) && !IsCustomIdentifierType(type)) {
            return Invalid(type_path, "unknown identifier type \"" + type + "\"; expected " +
                                          JoinNames(kIdentifierTypes) + " or custom:<name>");
        }
        node->field = std::move(type);
        return Status::Ok();
    }

    static bool IsCustomIdentifierType(std::string_view type) {
        constexpr std::string_view kPrefix = "custom:";
        if (type.substr(0, kPrefix.size()) != kPrefix) return false;
        std::string_view name = type.substr(kPrefix.size());
        if (name.empty() || name.size() > 32) return false;
        return std::all_of(name.begin(), name.end(),
                           [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'; });
    }

    static Status ParseSegment(const Json& j, const std::string& path, Node* node) {
        SIYU_RETURN_IF_ERROR(CheckKeys(j, path, {"segment", "id"}, "a segment condition"));
        node->kind = Node::Kind::kSegment;
        SIYU_ASSIGN_OR_RETURN(node->cmp.op, MembershipOp(j["segment"], Member(path, "segment")));
        const Json* id = Find(j, "id");
        if (id == nullptr) return Invalid(Member(path, "id"), "is required");
        SIYU_ASSIGN_OR_RETURN(int64_t segment_id, PositiveId(*id, Member(path, "id")));
        node->ids.push_back(segment_id);
        return Status::Ok();
    }

    int nodes_ = 0;
};

void Walk(const Node& node, const std::function<void(const Node&)>& visit) {
    visit(node);
    for (const NodePtr& child : node.children) Walk(*child, visit);
}

template <typename T>
void SortUnique(std::vector<T>* v) {
    std::sort(v->begin(), v->end());
    v->erase(std::unique(v->begin(), v->end()), v->end());
}

}  // namespace

Result<NodePtr> ParseRule(std::string_view json) {
    Json j;
    try {
        j = Json::parse(json);
    } catch (const Json::parse_error& e) {
        return Status(StatusCode::kInvalidJson, "rule is not valid JSON (at byte " + std::to_string(e.byte) + ")",
                      "rule");
    }
    RuleParser parser;
    return parser.ParseNode(j, "rule", 1);
}

RuleRefs CollectRefs(const Node& rule) {
    RuleRefs refs;
    Walk(rule, [&](const Node& n) {
        switch (n.kind) {
            case Node::Kind::kTag:
                refs.tag_ids.insert(refs.tag_ids.end(), n.ids.begin(), n.ids.end());
                break;
            case Node::Kind::kStore:
                refs.store_ids.insert(refs.store_ids.end(), n.ids.begin(), n.ids.end());
                break;
            case Node::Kind::kSegment:
                refs.segment_ids.insert(refs.segment_ids.end(), n.ids.begin(), n.ids.end());
                break;
            case Node::Kind::kEvent:
            case Node::Kind::kFirstLast:
                refs.events.push_back(n.field);
                break;
            case Node::Kind::kSequence:
                refs.events.push_back(n.field);
                refs.events.push_back(n.then_event);
                break;
            default:
                break;
        }
    });
    SortUnique(&refs.tag_ids);
    SortUnique(&refs.store_ids);
    SortUnique(&refs.segment_ids);
    SortUnique(&refs.events);
    return refs;
}

bool IsTimeDependent(const Node& rule) {
    bool dependent = false;
    Walk(rule, [&](const Node& n) {
        switch (n.kind) {
            case Node::Kind::kTrait:
            case Node::Kind::kAttribute:
                dependent |= n.relative != RelativeDate::kNone;
                break;
            case Node::Kind::kEvent:
                dependent |= n.window.last_ms.has_value();
                break;
            case Node::Kind::kFirstLast:
                dependent |= !n.moment.at.has_value();
                break;
            case Node::Kind::kRfm:
            case Node::Kind::kLifecycle:
                dependent = true;
                break;
            default:
                break;
        }
    });
    return dependent;
}

}  // namespace siyu::engine
