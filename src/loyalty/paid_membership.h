#pragma once

// Paid membership (付费会员, docs/stored-value.md): plans with a price, a duration in days and
// their benefits; purchase, renewal (from the current end while still active), cancellation,
// the member's status, the list of those whose membership ends soon, and the sweep that emits
// `Paid Membership Expiring` (once, `paid_expiring_notice_days` before the end) and
// `Paid Membership Expired`. Periods end at midnight in the tenant's time zone: a 30-day plan
// bought on 6 June is valid through 5 July. The end is mirrored into the customer trait
// `paid_member_until` in the same transaction, for segments. Thread-safe.

#include <optional>
#include <string>
#include <vector>

#include "cdp/customer_repository.h"
#include "loyalty/core.h"

namespace siyu::loyalty {

class Loyalty;

struct PaidPlan {
    int64_t id = 0;
    std::string name;
    int64_t price = 0;  // minor units
    int64_t duration_days = 0;
    std::vector<std::string> benefits;
    bool active = true;  // inactive plans cannot be bought; holders keep theirs
    TimeMs created_at = 0;
    TimeMs updated_at = 0;
};

struct PaidPlanInput {
    std::optional<std::string> name;
    std::optional<int64_t> price;
    std::optional<int64_t> duration_days;
    std::optional<std::vector<std::string>> benefits;
    std::optional<bool> active;
};

struct PurchaseInput {
    int64_t customer_id = 0;
    int64_t plan_id = 0;
    std::string order_id;  // the payment of the fee, if any
};

// The customer trait mirroring the end of the current paid membership.
inline constexpr const char* kPaidMemberUntilTrait = "paid_member_until";

class PaidMemberships {
  public:
    explicit PaidMemberships(Loyalty* loyalty) : loyalty_(loyalty) {}

    Result<std::vector<PaidPlan>> ListPlans(int64_t tenant_id);
    Result<PaidPlan> GetPlan(int64_t tenant_id, int64_t id);
    Result<PaidPlan> CreatePlan(int64_t tenant_id, const PaidPlanInput& in, const auth::Actor& actor);
    Result<PaidPlan> UpdatePlan(int64_t tenant_id, int64_t id, const PaidPlanInput& in, const auth::Actor& actor);
    Status DeletePlan(int64_t tenant_id, int64_t id, const auth::Actor& actor);

    // Buys `plan_id` for the member: a renewal starting at the current end while a membership
    // is active, otherwise a purchase starting now. Answers the new status (201).
    Result<Outcome> Purchase(const Request& r, const PurchaseInput& in);
    // Ends the active membership (and any renewal not yet begun) now.
    Result<Outcome> Cancel(const Request& r, int64_t customer_id, const std::string& reason);

    // The member's status (active, expired, cancelled, none), plan, benefits and periods.
    Result<Json> Current(int64_t tenant_id, int64_t customer_id);
    // Members whose active paid membership ends within `days` days, soonest first; `vis`
    // limits them to customers of some stores. `cursor` is the previous page's next_cursor.
    Result<Json> Expiring(int64_t tenant_id, int days, const cdp::Visibility& vis, int limit,
                          const std::optional<std::string>& cursor);

    // Emits the reminders and expiries that are due (called by Loyalty::Sweep).
    Status Sweep(int64_t tenant_id);

  private:
    Loyalty* loyalty_;
};

}  // namespace siyu::loyalty
