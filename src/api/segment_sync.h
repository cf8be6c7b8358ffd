#pragma once

#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "auth/audit_log.h"
#include "base/status.h"
#include "cdp/event_ingestor.h"
#include "cdp/profile_feed.h"
#include "cdp/segment_repository.h"
#include "cdp/tags.h"
#include "engine/event_store.h"
#include "engine/segment_engine.h"
#include "scrm/store_directory.h"
#include "store/database.h"

namespace siyu::api {

struct SegmentSyncOptions {
    int64_t poll_ms = 200;            // how often the change log is read
    int64_t refresh_seconds = 300;    // how often time-dependent segments are re-evaluated
    int64_t settings_poll_ms = 2000;  // how often tenant settings are re-read
    int change_batch = 5000;          // change-log rows applied per step
};

// A segment as the API saves it: name, description and the rule's JSON text.
struct SegmentDraft {
    std::string name;
    std::string description;
    std::string rule;
};

// Keeps the segment engine in step with the database and saves segments through both.
//
// Load() reads every tenant's settings, every customer profile with its identifier types and
// tags, the rule tags and the saved segments into the engine. Start() then runs a thread
// that, every `poll_ms`, applies the customer change log (docs/segments.md) to the engine,
// writes the membership changes the engine reported as `Segment Entered` / `Segment Exited`
// events (rule tags' changes go to the tag history instead), re-reads tenant settings, and
// every `refresh_seconds` refreshes time-dependent segments and records each segment's size
// for the day. Segment writes go to the database and the engine together: a rule the engine
// refuses (a cycle, an unindexed property) saves nothing.
//
// Thread-safe. The engine's change listener only queues; events are written by the thread.
class SegmentSync {
  public:
    // Every pointer must outlive this object.
    SegmentSync(store::Database* db, engine::EventStore* events, engine::SegmentEngine* engine,
                cdp::TagRepository* tags, scrm::StoreDirectory* stores, SegmentSyncOptions options = {});
    // Stops the thread.
    ~SegmentSync();

    SegmentSync(const SegmentSync&) = delete;
    SegmentSync& operator=(const SegmentSync&) = delete;

    // Reads everything into the engine. Call once, before Start().
    Status Load();
    void Start();
    // Writes what is queued and joins the thread; idempotent.
    void Stop();

    // One pass of the thread's work without the timers: applies the whole change log and
    // writes queued membership events. Tests call it instead of Start().
    Status Poll();
    // Re-evaluates time-dependent segments and records today's size of every segment.
    Status Refresh();
    // Re-reads every tenant's settings; a tenant whose settings changed is re-evaluated.
    Status ReloadSettings();
    // Asks the thread to poll now instead of at its next tick.
    void Wake();

    // After events were committed: re-evaluates their customers.
    void OnEvents(const std::vector<cdp::StoredEvent>& events);
    // After rule tags were created, changed or removed.
    void OnRuleTagChanges(const std::vector<cdp::RuleTagChange>& changes);

    // Parses a rule and checks that the tags, stores and segments it names exist in the
    // tenant. Errors name the JSON path, starting at "rule".
    Result<engine::NodePtr> CheckRule(int64_t tenant_id, std::string_view rule_json);

    // Saved segments. Create and Replace check the rule as CheckRule does; Replace answers
    // failed_precondition for a cycle. Delete answers failed_precondition while another
    // segment or a rule tag refers to the segment.
    Result<cdp::SegmentRecord> Create(int64_t tenant_id, const SegmentDraft& draft, const auth::Actor& actor);
    Result<cdp::SegmentRecord> Replace(int64_t tenant_id, int64_t id, const SegmentDraft& draft,
                                       const auth::Actor& actor);
    Status Delete(int64_t tenant_id, int64_t id, const auth::Actor& actor);

    // Re-reads the tenant's RFM settings after they were saved, re-evaluating its segments.
    Status ReloadTenant(int64_t tenant_id);

    cdp::SegmentRepository& repository() { return repo_; }
    // The tenant's time zone as last read.
    std::string TimeZoneOf(int64_t tenant_id) const;

  private:
    // A saved segment (key > 0) or a rule tag (key = -tag id) as the engine holds it.
    struct Saved {
        std::string name;
        std::string rule;
    };
    using Key = std::pair<int64_t, int64_t>;  // tenant, segment id or -tag id

    void Loop();
    void OnMembershipChanges(const std::vector<engine::MembershipChange>& changes);
    Status ApplyChanges(bool* more);
    Status FlushMembershipEvents();
    Status RecordSizes(std::optional<int64_t> tenant_id, std::optional<int64_t> segment_id);
    void ApplySettings(const cdp::TenantProfileSettings& s);
    // Puts the tenant's segments and rule tags again, dependencies first (after a settings change).
    void Recompute(int64_t tenant_id);
    // Puts `keys` into the engine, dependencies first; logs and skips what the engine refuses.
    void PutInOrder(int64_t tenant_id, std::vector<int64_t> keys);
    // Keys of saved segments and rule tags whose rules refer to segment `id`.
    std::vector<int64_t> ReferrersOf(int64_t tenant_id, int64_t id);

    store::Database* db_;
    engine::EventStore* events_;
    engine::SegmentEngine* engine_;
    cdp::TagRepository* tags_;
    scrm::StoreDirectory* stores_;
    SegmentSyncOptions options_;
    cdp::SegmentRepository repo_;
    cdp::ProfileFeed feed_;

    std::mutex write_mu_;  // serialises segment writes and re-evaluations

    mutable std::mutex mu_;
    std::map<Key, Saved> saved_;                              // GUARDED_BY(mu_)
    std::map<Key, std::string> names_;                        // segment names, kept after deletion; GUARDED_BY(mu_)
    std::map<int64_t, cdp::TenantProfileSettings> settings_;  // GUARDED_BY(mu_)
    std::vector<engine::MembershipChange> pending_;           // GUARDED_BY(mu_)

    std::mutex apply_mu_;   // one change-log follower at a time
    int64_t last_seq_ = 0;  // GUARDED_BY(apply_mu_)

    std::mutex thread_mu_;
    std::condition_variable wake_cv_;
    bool wake_ = false;      // GUARDED_BY(thread_mu_)
    bool stopping_ = false;  // GUARDED_BY(thread_mu_)
    std::thread thread_;
};

}  // namespace siyu::api
