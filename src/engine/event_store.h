#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <roaring/roaring.hh>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/status.h"
#include "base/time.h"
#include "engine/customer_index.h"
#include "store/database.h"

namespace siyu::engine {

// One event as the engine keeps it: 16 bytes, no strings. The time (milliseconds, 48 bits)
// and the event-name id (16 bits) share one word, so ordering by it orders by time. The
// event's indexed properties are one id in the tenant's dictionary of property sets (events
// with the same product, category and channel share it). Amounts, which most events lack,
// live in a side table, so they cost 8 more bytes only where present.
struct CompactEvent {
    uint64_t time_and_name;
    uint32_t property_set;  // 0: no indexed properties
    uint32_t amount;        // index into the tenant's amounts, or kNoAmount
    static constexpr uint32_t kNoAmount = UINT32_MAX;
    static constexpr uint32_t kMaxNames = 0xFFFF;  // the last id collects any further names

    TimeMs timestamp() const { return static_cast<TimeMs>(time_and_name >> 16); }
    uint32_t name_id() const { return static_cast<uint32_t>(time_and_name & 0xFFFF); }
};
static_assert(sizeof(CompactEvent) == 16, "the engine's event encoding is 16 bytes");

// An equality condition on an event property, e.g. category = 护肤.
struct PropertyFilter {
    std::string key;
    std::string value;  // strings as they are; numbers in decimal; true / false
};

// An event to add, as committed to the database. The engine names a track call by its event
// and the other calls "$page", "$screen", "$identify", "$group" or "$alias".
struct EventInput {
    int64_t tenant_id;
    int64_t customer_id;
    std::string_view type;  // track, page, ...
    std::string_view name;  // the event name of a track call
    TimeMs timestamp;
    std::optional<int64_t> revenue;
    std::string_view properties = {};  // the event's properties as a JSON object, if any
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
// customers, each with its events sorted by time, and dictionaries of event names and of
// property sets. Rebuilt at start-up (LoadFrom) and appended to after every commit.
// Thread-safe: appends take a writer lock, queries a reader lock.
class EventStore {
  public:
    // Reads every event of every tenant from `db`. Call before serving.
    Status LoadFrom(store::Database& db);

    void Append(const std::vector<EventInput>& events);

    // Events of `customer_ids` (a customer and those merged into it) named `name` in
    // [from, to); an empty name counts every event. With `property`, only events whose
    // indexed properties include it.
    int64_t CountEvents(int64_t tenant_id, const std::vector<int64_t>& customer_ids, std::string_view name, TimeMs from,
                        TimeMs to, const PropertyFilter* property = nullptr) const;

    // Sum of the amounts (minor units) of those events; events without one add nothing.
    int64_t SumAmounts(int64_t tenant_id, const std::vector<int64_t>& customer_ids, std::string_view name, TimeMs from,
                       TimeMs to, const PropertyFilter* property = nullptr) const;

    // Per event name: events and distinct customers in [from, to), most frequent first.
    std::vector<EventCount> CountByName(int64_t tenant_id, TimeMs from, TimeMs to) const;

    EngineStats Stats() const;

    // Properties indexed for filtering: top-level strings, integers and booleans of up to 64
    // characters, except identifiers unique to one event (order_id, ...) and amounts.
    static bool IsIndexedProperty(std::string_view key);

    // A tenant's events as the segment engine reads them (under ReadTenant's lock).
    struct Tenant {
        CustomerIndex customer_index;                   // customer id → dense index
        std::vector<int64_t> ids;                       // dense index → customer id
        std::vector<std::vector<CompactEvent>> events;  // per dense index, by time
        std::vector<Roaring> name_customers;            // per event-name id: who ever did it
        // Per event-name id and week (time / kWeekMs): who did it that week.
        static constexpr TimeMs kWeekMs = 7 * 86'400'000LL;
        std::vector<std::map<int64_t, Roaring>> name_weeks;
        std::unordered_map<std::string, uint32_t> name_ids;
        std::vector<std::string> names;
        std::vector<int64_t> amounts;  // revenue in minor units, by CompactEvent::amount
        // Property sets: canonical text → id (0 is the empty set), each set's key=value ids,
        // and the key=value dictionary ("key\x1fvalue" → id).
        std::unordered_map<std::string, uint32_t> set_ids;
        std::vector<std::vector<uint32_t>> set_pairs;
        std::unordered_map<std::string, uint32_t> pair_ids;
        int64_t event_count = 0;

        std::optional<uint32_t> NameId(std::string_view name) const {
            auto it = name_ids.find(std::string(name));
            if (it == name_ids.end()) return std::nullopt;
            return it->second;
        }
        // A superset of the customers who did `name` in [from, to): those who did it in a week
        // overlapping the range.
        Roaring CustomersBetween(uint32_t name, TimeMs from, TimeMs to) const {
            Roaring out;
            if (name >= name_weeks.size()) return out;
            const auto& weeks = name_weeks[name];
            auto it = weeks.lower_bound(from <= 0 ? INT64_MIN : from / kWeekMs);
            std::vector<const Roaring*> parts;
            for (; it != weeks.end() && it->first * kWeekMs < to; ++it) parts.push_back(&it->second);
            if (!parts.empty()) out = Roaring::fastunion(parts.size(), parts.data());
            return out;
        }
        // Marks the property sets having `key` with a value for which `match(value)` holds.
        template <typename Match>
        std::vector<bool> SetsWhere(std::string_view key, Match&& match) const {
            std::vector<bool> pair_match(pair_ids.size(), false);
            for (const auto& [text, id] : pair_ids) {
                size_t sep = text.find('\x1f');
                if (std::string_view(text).substr(0, sep) == key)
                    pair_match[id] = match(std::string_view(text).substr(sep + 1));
            }
            std::vector<bool> out(std::max<size_t>(set_pairs.size(), 1), false);
            for (size_t i = 0; i < set_pairs.size(); ++i) {
                for (uint32_t p : set_pairs[i]) {
                    if (pair_match[p]) {
                        out[i] = true;
                        break;
                    }
                }
            }
            return out;
        }
    };

    // Dense indexes of customers, assigned on first sight (events or profiles).
    std::vector<uint32_t> EnsureCustomers(int64_t tenant_id, const std::vector<int64_t>& customer_ids);
    // Calls f(const Tenant*) under the reader lock; nullptr when the tenant has nothing yet.
    template <typename F>
    decltype(auto) ReadTenant(int64_t tenant_id, F&& f) const {
        std::shared_lock lock(mu_);
        auto it = tenants_.find(tenant_id);
        return f(it == tenants_.end() ? static_cast<const Tenant*>(nullptr) : &it->second);
    }

  private:
    static uint32_t DenseIndex(Tenant& t, int64_t customer_id);
    void AppendLocked(const EventInput& e, const std::string& canonical_properties);
    static uint32_t NameId(Tenant& t, std::string_view name);
    // The indexed properties of a JSON object as sorted "key\x1fvalue\x1f" text; needs no lock.
    static std::string CanonicalProperties(std::string_view properties_json);
    static uint32_t PropertySetId(Tenant& t, const std::string& canonical);
    // Marks the property sets that contain `filter`; empty when none does.
    static std::vector<bool> SetsWith(const Tenant& t, const PropertyFilter& filter);
    // Calls on_event(tenant, event) for the matching events; the caller holds mu_.
    template <typename F>
    void ForEachMatch(int64_t tenant_id, const std::vector<int64_t>& customer_ids, std::string_view name, TimeMs from,
                      TimeMs to, const PropertyFilter* property, F&& on_event) const;

    mutable std::shared_mutex mu_;
    std::unordered_map<int64_t, Tenant> tenants_;  // GUARDED_BY(mu_)
};

}  // namespace siyu::engine
