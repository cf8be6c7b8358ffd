#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "auth/audit_log.h"
#include "base/status.h"
#include "base/time.h"
#include "store/database.h"

namespace siyu::cdp {

struct MergeRecord {
    int64_t id = 0;
    int64_t survivor_id = 0;
    int64_t merged_id = 0;
    std::string reason;
    std::string message_id;
    TimeMs at = 0;
    std::optional<TimeMs> undone_at;
};

struct ConflictRecord {
    int64_t id = 0;
    int64_t customer_id = 0;
    int64_t other_customer_id = 0;
    std::string identifier_type;
    std::string message_id;
    TimeMs at = 0;
};

struct EventRecord {
    int64_t id = 0;
    int64_t customer_id = 0;
    std::string message_id;
    std::string type;
    std::string name;
    TimeMs timestamp = 0;
    TimeMs received_at = 0;
    std::string properties;  // JSON object text
    std::string context;     // JSON object text
    std::optional<int64_t> revenue;
    std::optional<std::string> currency;
};

struct EventFilter {
    int limit = 50;
    std::optional<std::pair<TimeMs, int64_t>> before;  // (timestamp, id) of the last row seen
    std::optional<std::string> name;
    std::optional<TimeMs> from;  // inclusive
    std::optional<TimeMs> to;    // exclusive
};

// Reads of the identity graph and the event timeline, and undoing merges. `customer_id` is a
// surviving customer (callers resolve merged ids first). Thread-safe.
class IdentityGraph {
  public:
    explicit IdentityGraph(store::Database* db) : db_(db) {}

    // Merges into `customer_id` (directly), newest first, undone ones included.
    Result<std::vector<MergeRecord>> MergesInto(int64_t tenant_id, int64_t customer_id);
    // Undoes merge `merge_id`, or the latest active merge into `customer_id`.
    Status Unmerge(int64_t tenant_id, int64_t customer_id, std::optional<int64_t> merge_id, const auth::Actor& actor);
    Result<std::vector<ConflictRecord>> Conflicts(int64_t tenant_id, int limit, std::optional<int64_t> before_id);
    // Events of the customer and everything merged into it, newest first.
    Result<std::vector<EventRecord>> Timeline(int64_t tenant_id, int64_t customer_id, const EventFilter& filter);

  private:
    store::Database* db_;
};

}  // namespace siyu::cdp
