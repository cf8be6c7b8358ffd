#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "base/time.h"
#include "store/database.h"

namespace siyu::cdp {

// One customer row with what an in-memory index of profiles keeps of it.
struct ProfileRow {
    int64_t tenant_id = 0;
    int64_t customer_id = 0;
    TimeMs created_at = 0;
    std::optional<int64_t> store_id;
    std::string name, phone, email, gender, birthday, member_no;  // empty when not set
    std::string traits = "{}";                                    // JSON object text
    std::vector<std::string> identifier_types;                    // distinct, sorted
    std::vector<int64_t> tag_ids;                                 // explicit tags, ascending
    std::optional<int64_t> merged_into;
    bool deleted = false;
};

// What a tenant's segment evaluation depends on besides its customers.
struct TenantProfileSettings {
    int64_t tenant_id = 0;
    std::string time_zone = "Asia/Shanghai";
    int64_t dormant_after_days = 180;
    int64_t rfm_period_days = 365;
    std::optional<double> rfm_recency_days, rfm_frequency, rfm_monetary;
};

// A tag whose members follow a segment rule.
struct RuleTagRow {
    int64_t tenant_id = 0;
    int64_t tag_id = 0;
    std::string name;
    std::string rule;  // JSON text
};

// Reads customer profiles for in-memory indexes, in bulk at start-up and then as they change.
// Every write to customers, customer_identifiers and customer_tags appends the customer to the
// change log `customer_changes` (database triggers, migration 0006), so a follower sees every
// change whichever code path made it. Thread-safe (state lives in the database); the change log
// is meant for one follower.
class ProfileFeed {
  public:
    explicit ProfileFeed(store::Database* db) : db_(db) {}

    // Streams every customer row of every tenant (deleted and merged ones included) in id
    // order, with identifier types and tags, from one snapshot: one query per table, merged
    // as they stream. Answers the change-log position of that snapshot: changes after it are
    // not reflected in the rows.
    Result<int64_t> ForEachProfile(const std::function<void(ProfileRow&&)>& on_profile);

    struct Changes {
        int64_t last_seq = 0;              // the newest change read
        std::vector<ProfileRow> profiles;  // the changed customers as they are now
        bool more = false;                 // further changes wait
    };
    // Up to `limit` changes after `after_seq` and the current rows of their customers.
    Result<Changes> ChangesAfter(int64_t after_seq, int limit);
    // Drops changes up to and including `seq` from the log.
    Status Forget(int64_t seq);

    // Every tenant's settings (time zone, dormancy window, RFM settings).
    Result<std::vector<TenantProfileSettings>> TenantSettings();
    // Rule tags (not deleted) of every tenant, in id order.
    Result<std::vector<RuleTagRow>> RuleTags();

  private:
    store::Database* db_;
};

}  // namespace siyu::cdp
