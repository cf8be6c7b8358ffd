#include "engine/event_store.h"

#include <algorithm>
#include <mutex>

namespace siyu::engine {

uint32_t EventStore::NameId(Tenant& t, std::string_view name) {
    auto it = t.name_ids.find(std::string(name));
    if (it != t.name_ids.end()) return it->second;
    auto id = static_cast<uint32_t>(t.names.size());
    t.names.emplace_back(name);
    t.name_ids.emplace(std::string(name), id);
    return id;
}

void EventStore::AppendLocked(const EventInput& e) {
    Tenant& t = tenants_[e.tenant_id];
    auto [it, inserted] = t.customer_index.try_emplace(e.customer_id, static_cast<uint32_t>(t.customer_ids.size()));
    if (inserted) {
        t.customer_ids.push_back(e.customer_id);
        t.events.emplace_back();
    }
    std::vector<CompactEvent>& list = t.events[it->second];
    uint32_t amount = CompactEvent::kNoAmount;
    if (e.revenue) {
        amount = static_cast<uint32_t>(t.amounts.size());
        t.amounts.push_back(*e.revenue);
    }
    CompactEvent ev{e.timestamp, NameId(t, e.name), amount};
    if (list.empty() || list.back().timestamp <= ev.timestamp) {
        list.push_back(ev);
    } else {
        auto pos = std::upper_bound(list.begin(), list.end(), ev.timestamp,
                                    [](TimeMs ts, const CompactEvent& x) { return ts < x.timestamp; });
        list.insert(pos, ev);
    }
    ++t.event_count;
}

void EventStore::Append(const std::vector<EventInput>& events) {
    std::unique_lock lock(mu_);
    for (const auto& e : events) AppendLocked(e);
}

Status EventStore::LoadFrom(store::Database& db) {
    std::unique_lock lock(mu_);
    tenants_.clear();
    Status st = db.Read([&](store::Connection& c) -> Status {
        SIYU_ASSIGN_OR_RETURN(auto stmt, c.Prepare("SELECT tenant_id, customer_id, CASE type WHEN 'track' THEN name "
                                                   "ELSE '$' || type END, ts, revenue FROM events ORDER BY id"));
        return stmt.ForEachRow([&] {
            std::string name = stmt.Text(2);
            AppendLocked(EventInput{stmt.Int(0), stmt.Int(1), name, stmt.Int(3), stmt.OptInt(4)});
        });
    });
    for (auto& [id, t] : tenants_) {
        for (auto& list : t.events) list.shrink_to_fit();
        t.amounts.shrink_to_fit();
    }
    return st;
}

template <typename F>
void EventStore::ForEachMatch(int64_t tenant_id, const std::vector<int64_t>& customer_ids, std::string_view name,
                              TimeMs from, TimeMs to, F&& on_event) const {
    auto t = tenants_.find(tenant_id);
    if (t == tenants_.end()) return;
    std::optional<uint32_t> name_id;
    if (!name.empty()) {
        auto n = t->second.name_ids.find(std::string(name));
        if (n == t->second.name_ids.end()) return;
        name_id = n->second;
    }
    for (int64_t customer : customer_ids) {
        auto idx = t->second.customer_index.find(customer);
        if (idx == t->second.customer_index.end()) continue;
        const auto& list = t->second.events[idx->second];
        auto begin = std::lower_bound(list.begin(), list.end(), from,
                                      [](const CompactEvent& x, TimeMs ts) { return x.timestamp < ts; });
        for (auto it = begin; it != list.end() && it->timestamp < to; ++it) {
            if (!name_id || it->name_id == *name_id) on_event(t->second, *it);
        }
    }
}

int64_t EventStore::CountEvents(int64_t tenant_id, const std::vector<int64_t>& customer_ids, std::string_view name,
                                TimeMs from, TimeMs to) const {
    std::shared_lock lock(mu_);
    int64_t count = 0;
    ForEachMatch(tenant_id, customer_ids, name, from, to, [&](const Tenant&, const CompactEvent&) { ++count; });
    return count;
}

int64_t EventStore::SumAmounts(int64_t tenant_id, const std::vector<int64_t>& customer_ids, std::string_view name,
                               TimeMs from, TimeMs to) const {
    std::shared_lock lock(mu_);
    int64_t sum = 0;
    ForEachMatch(tenant_id, customer_ids, name, from, to, [&](const Tenant& t, const CompactEvent& e) {
        if (e.amount != CompactEvent::kNoAmount) sum += t.amounts[e.amount];
    });
    return sum;
}

std::vector<EventCount> EventStore::CountByName(int64_t tenant_id, TimeMs from, TimeMs to) const {
    std::shared_lock lock(mu_);
    std::vector<EventCount> out;
    auto t = tenants_.find(tenant_id);
    if (t == tenants_.end()) return out;
    const Tenant& tenant = t->second;
    std::vector<int64_t> events(tenant.names.size()), customers(tenant.names.size());
    std::vector<uint32_t> seen_by(tenant.names.size(), UINT32_MAX);
    for (uint32_t c = 0; c < tenant.events.size(); ++c) {
        const auto& list = tenant.events[c];
        auto begin = std::lower_bound(list.begin(), list.end(), from,
                                      [](const CompactEvent& x, TimeMs ts) { return x.timestamp < ts; });
        for (auto it = begin; it != list.end() && it->timestamp < to; ++it) {
            ++events[it->name_id];
            if (seen_by[it->name_id] != c) {
                seen_by[it->name_id] = c;
                ++customers[it->name_id];
            }
        }
    }
    for (size_t i = 0; i < tenant.names.size(); ++i) {
        if (events[i] > 0) out.push_back(EventCount{tenant.names[i], events[i], customers[i]});
    }
    std::sort(out.begin(), out.end(), [](const EventCount& a, const EventCount& b) {
        return a.events != b.events ? a.events > b.events : a.name < b.name;
    });
    return out;
}

EngineStats EventStore::Stats() const {
    std::shared_lock lock(mu_);
    EngineStats s;
    s.tenants = static_cast<int64_t>(tenants_.size());
    for (const auto& [id, t] : tenants_) {
        s.customers += static_cast<int64_t>(t.customer_ids.size());
        s.events += t.event_count;
        for (const auto& list : t.events) {
            s.memory_bytes += static_cast<int64_t>(list.capacity() * sizeof(CompactEvent));
        }
        s.memory_bytes += static_cast<int64_t>(t.amounts.capacity() * sizeof(int64_t));
        s.memory_bytes +=
            static_cast<int64_t>(t.events.capacity() * sizeof(std::vector<CompactEvent>) +
                                 t.customer_ids.capacity() * sizeof(int64_t) + t.customer_index.size() * 32);
    }
    return s;
}

}  // namespace siyu::engine
