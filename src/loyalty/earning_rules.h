#pragma once

// Earning rules (docs/loyalty.md, "Earning rules"): data, evaluated on every completed order.
// Three kinds:
//   spend      — points per amount spent ({"points": 1, "per_yuan": 1}); for each order line
//                the first matching spend rule by priority applies;
//   multiplier — multiplies the spend points of matching lines ({"multiplier_pct": 200}); the
//                highest matching multiplier wins, then the member's tier multiplier applies;
//   bonus      — fixed points on a trigger: registration, first_order, order, birthday,
//                questionnaire ({"trigger": "birthday", "points": 500}).
// Conditions any rule may carry: stores, products, categories, tiers, starts_at / ends_at,
// days_of_week (1 = Monday, the tenant's zone), min_amount (minor units). Caps: cap_per_order
// and cap_per_customer {"points": N, "period": "day" | "month" | "year" | "lifetime"}.
// Thread-safe.

#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "loyalty/core.h"
#include "loyalty/points.h"

namespace siyu::loyalty {

class Loyalty;

struct EarningRule {
    int64_t id = 0;
    std::string name;
    std::string kind;  // spend, multiplier, bonus
    Json config = Json::object();
    bool active = true;
    int64_t priority = 0;
    TimeMs created_at = 0;
    TimeMs updated_at = 0;
};
Json RuleJson(const EarningRule& r);

// Checks a rule's kind and config; errors name the field (config.points, ...).
Status CheckRule(const std::string& kind, const Json& config);
// Reads a rule body (create: name, kind and config required).
Result<EarningRule> ParseRuleInput(const Json& body, const std::optional<EarningRule>& base);

// What an order earns, by rule.
struct EarnPart {
    int64_t rule_id = 0;  // 0: the tier multiplier
    std::string rule_name;
    std::string kind;  // spend, multiplier, tier, bonus
    int64_t points = 0;
    bool capped = false;
};
struct EarnPlan {
    int64_t order_points = 0;  // spend + multipliers + tier
    std::vector<EarnPart> parts;
    std::vector<EarnPart> bonuses;  // each becomes its own entry
    std::string local_date;         // the order's day in the tenant's zone (cap periods)
    Json ToJson() const;
};

class EarningRules {
  public:
    explicit EarningRules(Loyalty* loyalty) : loyalty_(loyalty) {}

    Result<std::vector<EarningRule>> List(int64_t tenant_id);
    Result<EarningRule> Create(int64_t tenant_id, const Json& body, const auth::Actor& actor);
    Result<EarningRule> Update(int64_t tenant_id, int64_t id, const Json& body, const auth::Actor& actor);
    Status Delete(int64_t tenant_id, int64_t id, const auth::Actor& actor);

    // What `order` earns for member `m` under the active rules and caps (reads only).
    Result<EarnPlan> Plan(Tx& tx, const Member& m, const OrderFacts& order);
    // Counts what the plan gave against the rules' caps.
    Status Record(Tx& tx, const Member& m, const EarnPlan& plan);
    // Grants the bonus rules of `trigger` (registration, birthday, questionnaire) that apply
    // and are within their caps; `ref` identifies the occasion (the questionnaire id).
    // Returns the granted parts.
    Result<Json> ApplyBonus(Tx& tx, Member& m, const std::string& trigger, const std::string& ref);

    // Questionnaire bonuses due now, and birthday bonuses once a day (the tenant's zone).
    Status Sweep(int64_t tenant_id);

  private:
    Loyalty* loyalty_;
    std::mutex mu_;
    std::map<int64_t, std::string> birthdays_done_;  // tenant → local day of the last pass
};

}  // namespace siyu::loyalty
