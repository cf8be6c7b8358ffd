#pragma once

#include <cstdint>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/status.h"
#include "base/time.h"
#include "store/database.h"

namespace siyu::engine {

// One event as the engine keeps it: 16 bytes, no strings. Amounts, which most events lack,
// live in a side table of the tenant, so they cost 8 more bytes only where present.
struct CompactEvent {
    TimeMs timestamp;
    uint32_t name_id;  // index into the tenant's event-name dictionary
    uint32_t amount;   // index into the tenant's amounts, or kNoAmount
    static constexpr uint32_t kNoAmount = UINT32_MAX;
};
static_assert(sizeof(CompactEvent) == 16, "the engine's event encoding is 16 bytes");

// An event to add, as committed to the database. `name` is the event name of a track call and
// "$page", "$screen", "$identify", "$group" or "$alias" for the other calls.
struct EventInput {
    int64_t tenant_id;
    int64_t customer_id;
    std::string_view name;
    TimeMs timestamp;
    std::optional<int64_t> revenue;
};

struct EventCount {
    std::string name;
    int64_t events = 0;
    int64_t customers = 0;
};

struct EngineStats {
    int64_t tenants = 0;
    int64_t customers = 0;
    int64_t events = 0;
    int64_t memory_bytes = 0;  // event storage and per-customer overhead
};

// The in-memory event index derived from the database: per tenant, a dense index of
// customers, each with its events sorted by time, and a dictionary of event names. Rebuilt
// at start-up (LoadFrom) and appended to after every commit. Thread-safe: appends take a
// writer lock, queries a reader lock.
class EventStore {
  public:
    // Reads every event of every tenant from `db`. Call before serving.
    Status LoadFrom(store::Database& db);

    void Append(const std::vector<EventInput>& events);

    // Events of `customer_ids` (a customer and those merged into it) named `name` in
    // [from, to); an empty name counts every event.
    int64_t CountEvents(int64_t tenant_id, const std::vector<int64_t>& customer_ids, std::string_view name, TimeMs from,
                        TimeMs to) const;

    // Sum of the amounts (minor units) of those events; events without one add nothing.
    int64_t SumAmounts(int64_t tenant_id, const std::vector<int64_t>& customer_ids, std::string_view name, TimeMs from,
                       TimeMs to) const;

    // Per event name: events and distinct customers in [from, to), most frequent first.
    std::vector<EventCount> CountByName(int64_t tenant_id, TimeMs from, TimeMs to) const;

    EngineStats Stats() const;

  private:
    struct Tenant {
        std::unordered_map<int64_t, uint32_t> customer_index;  // customer id → dense index
        std::vector<int64_t> customer_ids;                     // dense index → customer id
        std::vector<std::vector<CompactEvent>> events;         // per dense index, by time
        std::unordered_map<std::string, uint32_t> name_ids;
        std::vector<std::string> names;
        std::vector<int64_t> amounts;  // revenue in minor units, by CompactEvent::amount
        int64_t event_count = 0;
    };

    void AppendLocked(const EventInput& e);
    // Calls on_event(tenant, event) for the matching events; the caller holds mu_.
    template <typename F>
    void ForEachMatch(int64_t tenant_id, const std::vector<int64_t>& customer_ids, std::string_view name, TimeMs from,
                      TimeMs to, F&& on_event) const;
    static uint32_t NameId(Tenant& t, std::string_view name);

    mutable std::shared_mutex mu_;
    std::unordered_map<int64_t, Tenant> tenants_;  // GUARDED_BY(mu_)
};

}  // namespace siyu::engine
