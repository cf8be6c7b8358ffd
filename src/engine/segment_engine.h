#pragma once

// Segments over the engine: customer profiles and tags held in memory beside the events,
// rules evaluated to CRoaring bitmaps over the tenant's dense customer index, and every
// saved segment's membership kept current as events, profile changes, tag changes and
// merges arrive, and as time passes. Thread-safe.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/status.h"
#include "base/time.h"
#include "engine/event_store.h"
#include "engine/segment_rule.h"

namespace siyu::engine {

// What the engine keeps of a customer's profile (loaded from the customers table).
struct ProfileInput {
    int64_t customer_id = 0;
    TimeMs created_at = 0;
    std::optional<int64_t> store_id;
    std::string name, phone, email, gender, birthday, member_no;  // birthday: YYYY-MM-DD or empty
    std::string traits;                                           // JSON object text
    std::vector<std::string> identifier_types;                    // as stored: phone, wecom_external_userid, ...
    std::optional<int64_t> merged_into;
    bool deleted = false;
};

// Tenant settings the evaluator needs.
struct SegmentSettings {
    std::string time_zone = "Asia/Shanghai";
    int64_t dormant_after_days = 180;
    // RFM: the period orders are counted over, and thresholds (unset: the tenant's mean over
    // customers with an order in the period). Recency in days, monetary in minor units.
    int64_t rfm_period_days = 365;
    std::optional<double> rfm_recency_days, rfm_frequency, rfm_monetary;
    std::string order_event = "Order Completed";
};

// Per-customer RFM values and class (index into kRfmClasses, or -1 without an order).
struct RfmScore {
    int64_t recency_days = 0;
    int64_t frequency = 0;
    int64_t monetary = 0;
    int rfm_class = -1;
};

struct RfmSummary {
    double recency_threshold = 0, frequency_threshold = 0, monetary_threshold = 0;
    int64_t customers_with_orders = 0;
    struct Class {
        int64_t customers = 0;
        int64_t monetary = 0;
    } classes[8];
};

// A change of membership, for `Segment Entered` / `Segment Exited`.
struct MembershipChange {
    int64_t tenant_id = 0;
    int64_t segment_id = 0;
    int64_t customer_id = 0;
    bool entered = true;
    TimeMs at = 0;
};

class SegmentEngine {
  public:
    using ChangeListener = std::function<void(const std::vector<MembershipChange>&)>;
    // Resolves a store id to itself and its descendants (the store directory).
    using StoreSubtree = std::function<std::vector<int64_t>(int64_t tenant_id, int64_t store_id)>;

    explicit SegmentEngine(EventStore* events);
    ~SegmentEngine();

    void SetChangeListener(ChangeListener listener);
    void SetStoreSubtree(StoreSubtree subtree);
    // Threads a large evaluation may use (default: the machine's cores, at most 8).
    void SetThreads(int threads);
    // The clock the evaluator uses for "now" (tests advance it).
    void SetClock(std::function<TimeMs()> clock);

    // --- State, as the database has it ---
    void SetSettings(int64_t tenant_id, const SegmentSettings& settings);
    void UpsertProfiles(int64_t tenant_id, const std::vector<ProfileInput>& profiles);
    // Replaces a customer's tags.
    void SetTags(int64_t tenant_id, int64_t customer_id, const std::vector<int64_t>& tag_ids);
    void AddTag(int64_t tenant_id, int64_t customer_id, int64_t tag_id);
    void RemoveTag(int64_t tenant_id, int64_t customer_id, int64_t tag_id);

    // Saves (or replaces) a segment; its membership is computed at once. Rule tags are
    // segments too (their ids come from a separate space: pass `tag_id`), so that "has tag"
    // sees a rule tag's members. Fails with kFailedPrecondition on a cycle.
    Status PutSegment(int64_t tenant_id, int64_t segment_id, NodePtr rule);
    Status PutRuleTag(int64_t tenant_id, int64_t tag_id, NodePtr rule);
    void RemoveSegment(int64_t tenant_id, int64_t segment_id);
    void RemoveRuleTag(int64_t tenant_id, int64_t tag_id);

    // --- Incremental maintenance ---
    // Re-evaluates every segment for these customers (after their events, profile or tags
    // changed); emits membership changes.
    void Touch(int64_t tenant_id, const std::vector<int64_t>& customer_ids);
    // Re-evaluates the customers whose time-dependent results may have changed by now.
    void Refresh();

    // --- Queries ---
    // Customers matching an unsaved rule. Only visible customers when `visible_stores` is set.
    struct Selection {
        int64_t count = 0;
        std::vector<int64_t> sample;  // up to `sample_size` customer ids, ascending
    };
    Result<Selection> Preview(int64_t tenant_id, const Node& rule, size_t sample_size,
                              const std::vector<int64_t>* visible_stores = nullptr);
    // A saved segment's size and members (ascending ids after `after_id`, at most `limit`).
    Result<Selection> Members(int64_t tenant_id, int64_t segment_id, int64_t after_id, size_t limit,
                              const std::vector<int64_t>* visible_stores = nullptr);
    std::optional<int64_t> Size(int64_t tenant_id, int64_t segment_id) const;
    // The saved segments a customer is a member of.
    std::vector<int64_t> SegmentsOf(int64_t tenant_id, int64_t customer_id) const;
    // Tags from rule tags a customer holds.
    std::vector<int64_t> RuleTagsOf(int64_t tenant_id, int64_t customer_id) const;
    // Recomputes from scratch (no incremental state) for checking; ids ascending.
    std::vector<int64_t> EvaluateFromScratch(int64_t tenant_id, int64_t segment_id);

    std::optional<RfmScore> Rfm(int64_t tenant_id, int64_t customer_id);
    RfmSummary RfmSummaryOf(int64_t tenant_id);

    int64_t MemoryBytes() const;

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace siyu::engine
