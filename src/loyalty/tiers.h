#pragma once

// Tiers (等级): tenant-defined levels with a threshold on points earned (never the spendable
// balance) or on spend, both within a rolling window (settings.tier_basis, tier_window_days).
// A member moves up as soon as the threshold is crossed; moves down only at the scheduled
// review, after staying below the threshold for the grace period (settings.downgrade_grace_days).
// Every change is kept in tier_history, mirrored into the customer trait `tier` and emitted as
// `Tier Changed`. Thread-safe.

#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "loyalty/core.h"

namespace siyu::loyalty {

class Loyalty;

struct Tier {
    int64_t id = 0;
    std::string name;
    int64_t level = 0;
    int64_t threshold = 0;    // points, or spend in minor units
    int64_t multiplier = 100;  // points multiplier in percent
    Json benefits = Json::array();
    TimeMs created_at = 0;
    TimeMs updated_at = 0;
};
Json TierJson(const Tier& t);

struct TierInput {
    std::optional<std::string> name;
    std::optional<int64_t> level;
    std::optional<int64_t> threshold;
    std::optional<int64_t> multiplier;
    std::optional<Json> benefits;
};
// Reads a tier body; unknown fields and wrong types are errors naming the field.
Result<TierInput> ParseTierInput(const Json& body);

// The tenant's tiers, lowest level first.
Result<std::vector<Tier>> LoadTiers(store::Connection& c, int64_t tenant_id);

class Tiers {
  public:
    explicit Tiers(Loyalty* loyalty) : loyalty_(loyalty) {}

    Result<std::vector<Tier>> List(int64_t tenant_id);
    Result<Tier> Create(int64_t tenant_id, const TierInput& in, const auth::Actor& actor);
    Result<Tier> Update(int64_t tenant_id, int64_t id, const TierInput& in, const auth::Actor& actor);
    // failed_precondition while members hold the tier.
    Status Delete(int64_t tenant_id, int64_t id, const auth::Actor& actor);
    Result<Json> History(int64_t tenant_id, int64_t customer_id);

    // The member's qualifying value: points earned, or spend, within the window ending now.
    Result<int64_t> QualifyingValue(Tx& tx, const Member& m);
    // Moves the member up to the highest tier its value reaches; with `review`, also applies
    // the downgrade rule. Changes `m` (save it afterwards).
    Status Evaluate(Tx& tx, Member& m, bool review);
    // Sets a tier by hand (reason required); recorded like any change.
    Result<Outcome> Assign(const Request& r, int64_t customer_id, int64_t tier_id, const std::string& reason);

    // The scheduled review of every member holding a tier: once a day per tenant (its zone).
    Status Sweep(int64_t tenant_id);
    // Reviews every member holding a tier now (what the daily sweep runs).
    Status Review(int64_t tenant_id);

    // Records a change: history, trait, event, audit when by hand.
    static Status Change(Tx& tx, Member& m, std::optional<int64_t> to_tier, const std::string& reason, int64_t value);

  private:
    Loyalty* loyalty_;
    std::mutex mu_;
    std::map<int64_t, std::string> reviewed_;  // tenant → local day of the last review
};

}  // namespace siyu::loyalty
