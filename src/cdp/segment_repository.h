#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "auth/audit_log.h"
#include "base/status.h"
#include "base/time.h"
#include "cdp/event_ingestor.h"
#include "store/database.h"

namespace siyu::cdp {

// A saved segment as stored; `rule` is the rule's JSON text (docs/segments.md).
struct SegmentRecord {
    int64_t id = 0;
    int64_t tenant_id = 0;
    std::string name;
    std::string description;
    std::string rule;
    std::string created_by;
    TimeMs created_at = 0;
    TimeMs updated_at = 0;
};

struct SegmentInput {
    std::string name;
    std::string description;
    std::string rule;  // already parsed and checked by the caller
};

// One day's size of a segment (the day in the tenant's time zone).
struct SegmentSizeRow {
    int64_t tenant_id = 0;
    int64_t segment_id = 0;
    std::string day;  // YYYY-MM-DD
    int64_t size = 0;
};

// RFM settings of a tenant; thresholds left empty use the tenant's mean.
struct RfmSettings {
    int64_t period_days = 365;
    std::optional<double> recency_days, frequency, monetary;  // monetary in minor units
};

// An event the server records about a customer itself (Segment Entered, Tag Added, ...).
struct SystemEvent {
    int64_t tenant_id = 0;
    int64_t customer_id = 0;
    std::string name;
    std::string properties = "{}";  // JSON object
    TimeMs at = 0;
};

// Saved segments, their daily sizes and the tenants' RFM settings. It checks names and
// existence, not rules: callers parse rules first. Thread-safe (state lives in the database).
class SegmentRepository {
  public:
    explicit SegmentRepository(store::Database* db) : db_(db) {}

    // Fails with already_exists (field `name`) when the tenant has a segment of that name.
    Result<SegmentRecord> Create(int64_t tenant_id, const SegmentInput& input, const auth::Actor& actor);
    Result<SegmentRecord> Get(int64_t tenant_id, int64_t id);
    // Newest first; `before_id` continues a page; `q` matches a name substring.
    Result<std::vector<SegmentRecord>> List(int64_t tenant_id, int limit, std::optional<int64_t> before_id,
                                            const std::optional<std::string>& q);
    // Every saved segment, of one tenant or (tenant_id 0) of all, in id order.
    Result<std::vector<SegmentRecord>> ListAll(int64_t tenant_id = 0);
    Result<SegmentRecord> Replace(int64_t tenant_id, int64_t id, const SegmentInput& input, const auth::Actor& actor);
    // Soft delete; the name becomes free again.
    Status Delete(int64_t tenant_id, int64_t id, const auth::Actor& actor);

    // Upserts one size per (segment, day).
    Status RecordSizes(const std::vector<SegmentSizeRow>& sizes);
    // Days in [from_day, to_day], oldest first.
    Result<std::vector<SegmentSizeRow>> Sizes(int64_t tenant_id, int64_t segment_id, const std::string& from_day,
                                              const std::string& to_day);

    Result<RfmSettings> GetRfmSettings(int64_t tenant_id);
    Status PutRfmSettings(int64_t tenant_id, const RfmSettings& settings, const auth::Actor& actor);

    // Stores events as track calls of their customers, in one transaction; answers them as
    // stored (for the in-memory event index).
    Result<std::vector<StoredEvent>> AppendSystemEvents(const std::vector<SystemEvent>& events);

  private:
    store::Database* db_;
};

}  // namespace siyu::cdp
