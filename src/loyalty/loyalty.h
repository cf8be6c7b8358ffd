#pragma once

// The loyalty programme's front door (docs/loyalty.md): one object per process that owns
// the executor (idempotent write transactions that publish their events) and every loyalty
// service, and runs the scheduled sweeps (expiry, reminders, tier reviews). Thread-safe.

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>

#include "loyalty/core.h"

namespace siyu::loyalty {

class Members;
class Points;
class Tiers;
class EarningRules;
class StoredValue;
class PaidMemberships;
class Coupons;
class Mall;

// Segment members for jobs that issue to a segment (the segment engine lives above).
using SegmentMembersFn = std::function<Result<std::vector<int64_t>>(int64_t tenant_id, int64_t segment_id)>;

struct LoyaltyOptions {
    int sweep_seconds = 60;  // how often expiry, reminders and tier reviews run
    std::function<TimeMs()> clock = NowMs;
};

class Loyalty {
  public:
    Loyalty(store::Database* db, EventSink sink, LoyaltyOptions options = {});
    ~Loyalty();

    Executor& exec() { return exec_; }
    Members& members() { return *members_; }
    Points& points() { return *points_; }
    Tiers& tiers() { return *tiers_; }
    EarningRules& rules() { return *rules_; }
    StoredValue& stored_value() { return *stored_value_; }
    PaidMemberships& paid() { return *paid_; }
    Coupons& coupons() { return *coupons_; }
    Mall& mall() { return *mall_; }

    void SetSegmentMembers(SegmentMembersFn fn) { segment_members_ = std::move(fn); }
    const SegmentMembersFn& segment_members() const { return segment_members_; }

    // The effect of committed tracking events on the programme, run inside the ingest
    // transaction: completed orders earn, refunds reverse. Derived events are appended to
    // `events` (they are published with the ingest's own).
    Status OnIngest(store::Connection& c, int64_t tenant_id, TimeMs now, std::vector<cdp::StoredEvent>& events);

    // One pass of every scheduled duty for every tenant (the sweep thread calls it; tests and
    // `siyu loyalty sweep` call it directly).
    Status Sweep();
    // Projects the points entries not yet projected (ReadProjection / WriteProjection: their CDP events and the
    // profile trait `points`), `batch` entries per transaction, until none are left, and
    // publishes the events. The projection thread calls it after commits that wrote entries;
    // tests and tools call it directly.
    Status ProjectLedger(size_t batch = 2000);
    // Starts / stops the sweep thread and the event projection thread (Start), or only the
    // projection (StartProjection: benchmarks).
    void Start();
    void StartProjection();
    void Stop();

  private:
    Executor exec_;
    LoyaltyOptions options_;
    std::unique_ptr<Members> members_;
    std::unique_ptr<Points> points_;
    std::unique_ptr<Tiers> tiers_;
    std::unique_ptr<EarningRules> rules_;
    std::unique_ptr<StoredValue> stored_value_;
    std::unique_ptr<PaidMemberships> paid_;
    std::unique_ptr<Coupons> coupons_;
    std::unique_ptr<Mall> mall_;
    SegmentMembersFn segment_members_;

    std::mutex mu_;
    std::condition_variable cv_;
    bool stop_ = false;
    std::thread thread_;

    std::mutex project_mu_;  // one projection pass at a time
    std::mutex projection_mu_;
    std::condition_variable projection_cv_;
    bool projection_due_ = false;   // GUARDED_BY(projection_mu_)
    bool projection_stop_ = false;  // GUARDED_BY(projection_mu_)
    std::thread projection_thread_;
};

}  // namespace siyu::loyalty
