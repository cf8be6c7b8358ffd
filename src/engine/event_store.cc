#include "engine/event_store.h"

#include <simdjson.h>

#include <algorithm>
#include <mutex>

namespace siyu::engine {

namespace {

constexpr char kSeparator = '\x1f';
constexpr size_t kMaxIndexedValue = 64;

bool Before(const CompactEvent& e, TimeMs ts) { return e.timestamp() < ts; }

}  // namespace

bool EventStore::IsIndexedProperty(std::string_view key) {
    static const char* const kSkipped[] = {"order_id", "cart_id",  "checkout_id", "message_id", "coupon_code",
                                           "url",      "path",     "referrer",    "title",      "search",
                                           "revenue",  "total",    "value",       "price",      "discount",
                                           "subtotal", "shipping", "tax",         "quantity",   "points"};
    if (key.empty() || key.size() > 64) return false;
    return std::none_of(std::begin(kSkipped), std::end(kSkipped), [&](const char* k) { return key == k; });
}

uint32_t EventStore::NameId(Tenant& t, std::string_view name) {
    auto it = t.name_ids.find(std::string(name));
    if (it != t.name_ids.end()) return it->second;
    if (t.names.size() >= CompactEvent::kMaxNames) return CompactEvent::kMaxNames;
    auto id = static_cast<uint32_t>(t.names.size());
    t.names.emplace_back(name);
    t.name_ids.emplace(std::string(name), id);
    return id;
}

std::string EventStore::CanonicalProperties(std::string_view properties_json) {
    if (properties_json.size() <= 2) return {};
    thread_local simdjson::dom::parser parser;
    simdjson::dom::object object;
    if (parser.parse(properties_json.data(), properties_json.size()).get(object) != simdjson::SUCCESS) return {};
    std::vector<std::pair<std::string_view, std::string>> pairs;
    for (auto [key, value] : object) {
        if (!IsIndexedProperty(key)) continue;
        std::string text;
        if (value.is_string()) {
            text = std::string(std::string_view(value));
        } else if (value.is_int64()) {
            text = std::to_string(int64_t(value));
        } else if (value.is_bool()) {
            text = bool(value) ? "true" : "false";
        } else {
            continue;
        }
        if (text.size() > kMaxIndexedValue || text.find(kSeparator) != std::string::npos) continue;
        pairs.emplace_back(key, std::move(text));
    }
    std::sort(pairs.begin(), pairs.end());
    std::string canonical;
    for (const auto& [key, value] : pairs) {
        canonical.append(key).push_back(kSeparator);
        canonical.append(value).push_back(kSeparator);
    }
    return canonical;
}

uint32_t EventStore::PropertySetId(Tenant& t, const std::string& canonical) {
    if (canonical.empty()) return 0;
    if (t.set_pairs.empty()) t.set_pairs.emplace_back();  // id 0: no properties
    auto found = t.set_ids.find(canonical);
    if (found != t.set_ids.end()) return found->second;
    std::vector<uint32_t> ids;
    size_t start = 0;
    while (start < canonical.size()) {
        size_t key_end = canonical.find(kSeparator, start);
        size_t value_end = canonical.find(kSeparator, key_end + 1);
        std::string pair = canonical.substr(start, value_end - start);  // "key\x1fvalue"
        auto [it, inserted] = t.pair_ids.try_emplace(pair, static_cast<uint32_t>(t.pair_ids.size()));
        ids.push_back(it->second);
        start = value_end + 1;
    }
    auto id = static_cast<uint32_t>(t.set_pairs.size());
    t.set_pairs.push_back(std::move(ids));
    t.set_ids.emplace(canonical, id);
    return id;
}

std::vector<bool> EventStore::SetsWith(const Tenant& t, const PropertyFilter& filter) {
    auto pair = t.pair_ids.find(filter.key + kSeparator + filter.value);
    if (pair == t.pair_ids.end()) return {};
    std::vector<bool> out(t.set_pairs.size(), false);
    for (size_t i = 0; i < t.set_pairs.size(); ++i) {
        const auto& ids = t.set_pairs[i];
        out[i] = std::find(ids.begin(), ids.end(), pair->second) != ids.end();
    }
    return out;
}

void EventStore::AppendLocked(const EventInput& e, const std::string& canonical_properties) {
    Tenant& t = tenants_[e.tenant_id];
    uint32_t index = DenseIndex(t, e.customer_id);
    std::vector<CompactEvent>& list = t.events[index];
    uint32_t amount = CompactEvent::kNoAmount;
    if (e.revenue) {
        amount = static_cast<uint32_t>(t.amounts.size());
        t.amounts.push_back(*e.revenue);
    }
    uint64_t ts = static_cast<uint64_t>(std::max<TimeMs>(0, e.timestamp)) & 0xFFFF'FFFF'FFFFULL;
    uint32_t name_id = e.type == "track" ? NameId(t, e.name) : NameId(t, "$" + std::string(e.type));
    CompactEvent ev{(ts << 16) | name_id, PropertySetId(t, canonical_properties), amount};
    if (t.name_customers.size() <= name_id) t.name_customers.resize(name_id + 1);
    t.name_customers[name_id].add(index);
    if (t.name_weeks.size() <= name_id) t.name_weeks.resize(name_id + 1);
    auto& weeks = t.name_weeks[name_id];
    int64_t week = static_cast<int64_t>(ts) / Tenant::kWeekMs;
    if (!weeks.empty() && weeks.rbegin()->first == week) {  // the usual case: this week
        weeks.rbegin()->second.add(index);
    } else {
        weeks[week].add(index);
    }
    if (list.empty() || list.back().timestamp() <= ev.timestamp()) {
        list.push_back(ev);
    } else {
        auto pos = std::upper_bound(list.begin(), list.end(), ev.timestamp(),
                                    [](TimeMs ts2, const CompactEvent& x) { return ts2 < x.timestamp(); });
        list.insert(pos, ev);
    }
    ++t.event_count;
}

uint32_t EventStore::DenseIndex(Tenant& t, int64_t customer_id) {
    uint32_t index = t.customer_index.Insert(customer_id, static_cast<uint32_t>(t.events.size()));
    if (index == t.events.size()) {
        t.events.emplace_back();
        t.ids.push_back(customer_id);
    }
    return index;
}

std::vector<uint32_t> EventStore::EnsureCustomers(int64_t tenant_id, const std::vector<int64_t>& customer_ids) {
    std::vector<uint32_t> out;
    out.reserve(customer_ids.size());
    std::unique_lock lock(mu_);
    Tenant& t = tenants_[tenant_id];
    for (int64_t id : customer_ids) out.push_back(DenseIndex(t, id));
    return out;
}

void EventStore::Append(const std::vector<EventInput>& events) {
    // Parse properties before taking the lock: request threads append concurrently.
    std::vector<std::string> canonical;
    canonical.reserve(events.size());
    for (const auto& e : events) canonical.push_back(CanonicalProperties(e.properties));
    std::unique_lock lock(mu_);
    for (size_t i = 0; i < events.size(); ++i) AppendLocked(events[i], canonical[i]);
}

Status EventStore::LoadFrom(store::Database& db) {
    std::unique_lock lock(mu_);
    tenants_.clear();
    Status st = db.Read([&](store::Connection& c) -> Status {
        SIYU_ASSIGN_OR_RETURN(auto stmt, c.Prepare("SELECT tenant_id, customer_id, type, name, ts, revenue, "
                                                   "properties FROM events ORDER BY id"));
        return stmt.ForEachRow([&] {
            std::string type = stmt.Text(2), name = stmt.Text(3), properties = stmt.Text(6);
            AppendLocked(EventInput{stmt.Int(0), stmt.Int(1), type, name, stmt.Int(4), stmt.OptInt(5), properties},
                         CanonicalProperties(properties));
        });
    });
    for (auto& [id, t] : tenants_) {
        for (auto& list : t.events) list.shrink_to_fit();
        for (auto& b : t.name_customers) b.runOptimize(), b.shrinkToFit();
        for (auto& weeks : t.name_weeks) {
            for (auto& [week, b] : weeks) b.runOptimize(), b.shrinkToFit();
        }
        t.events.shrink_to_fit();
        t.ids.shrink_to_fit();
        t.amounts.shrink_to_fit();
    }
    return st;
}

template <typename F>
void EventStore::ForEachMatch(int64_t tenant_id, const std::vector<int64_t>& customer_ids, std::string_view name,
                              TimeMs from, TimeMs to, const PropertyFilter* property, F&& on_event) const {
    auto t = tenants_.find(tenant_id);
    if (t == tenants_.end()) return;
    std::optional<uint32_t> name_id;
    if (!name.empty()) {
        auto n = t->second.name_ids.find(std::string(name));
        if (n == t->second.name_ids.end()) return;
        name_id = n->second;
    }
    std::vector<bool> sets;
    if (property != nullptr) {
        sets = SetsWith(t->second, *property);
        if (sets.empty()) return;
    }
    for (int64_t customer : customer_ids) {
        uint32_t idx = t->second.customer_index.Find(customer);
        if (idx == CustomerIndex::kMissing) continue;
        const auto& list = t->second.events[idx];
        auto begin = std::lower_bound(list.begin(), list.end(), from, Before);
        for (auto it = begin; it != list.end() && it->timestamp() < to; ++it) {
            if (name_id && it->name_id() != *name_id) continue;
            if (property != nullptr && !sets[it->property_set]) continue;
            on_event(t->second, *it);
        }
    }
}

int64_t EventStore::CountEvents(int64_t tenant_id, const std::vector<int64_t>& customer_ids, std::string_view name,
                                TimeMs from, TimeMs to, const PropertyFilter* property) const {
    std::shared_lock lock(mu_);
    int64_t count = 0;
    ForEachMatch(tenant_id, customer_ids, name, from, to, property,
                 [&](const Tenant&, const CompactEvent&) { ++count; });
    return count;
}

int64_t EventStore::SumAmounts(int64_t tenant_id, const std::vector<int64_t>& customer_ids, std::string_view name,
                               TimeMs from, TimeMs to, const PropertyFilter* property) const {
    std::shared_lock lock(mu_);
    int64_t sum = 0;
    ForEachMatch(tenant_id, customer_ids, name, from, to, property, [&](const Tenant& t, const CompactEvent& e) {
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
    size_t n = tenant.names.size() + 1;
    std::vector<int64_t> events(n), customers(n);
    std::vector<uint32_t> seen_by(n, UINT32_MAX);
    for (uint32_t c = 0; c < tenant.events.size(); ++c) {
        const auto& list = tenant.events[c];
        auto begin = std::lower_bound(list.begin(), list.end(), from, Before);
        for (auto it = begin; it != list.end() && it->timestamp() < to; ++it) {
            uint32_t id = std::min<uint32_t>(it->name_id(), static_cast<uint32_t>(n - 1));
            ++events[id];
            if (seen_by[id] != c) {
                seen_by[id] = c;
                ++customers[id];
            }
        }
    }
    for (size_t i = 0; i < n; ++i) {
        if (events[i] == 0) continue;
        out.push_back(EventCount{i < tenant.names.size() ? tenant.names[i] : "(other)", events[i], customers[i]});
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
        s.customers += static_cast<int64_t>(t.events.size());
        s.events += t.event_count;
        for (const auto& list : t.events) {
            s.memory_bytes += static_cast<int64_t>(list.capacity() * sizeof(CompactEvent));
        }
        s.memory_bytes += static_cast<int64_t>(t.amounts.capacity() * sizeof(int64_t));
        s.memory_bytes += static_cast<int64_t>(t.ids.capacity() * sizeof(int64_t));
        for (const auto& b : t.name_customers) s.memory_bytes += static_cast<int64_t>(b.getSizeInBytes(false));
        for (const auto& weeks : t.name_weeks) {
            for (const auto& [week, b] : weeks) s.memory_bytes += static_cast<int64_t>(b.getSizeInBytes(false) + 64);
        }
        s.memory_bytes += static_cast<int64_t>(t.events.capacity() * sizeof(std::vector<CompactEvent>) +
                                               t.customer_index.MemoryBytes());
        for (const auto& [text, sid] : t.set_ids) s.memory_bytes += static_cast<int64_t>(text.size() + 48);
        for (const auto& pairs : t.set_pairs) s.memory_bytes += static_cast<int64_t>(24 + pairs.size() * 4);
        for (const auto& [text, pid] : t.pair_ids) s.memory_bytes += static_cast<int64_t>(text.size() + 48);
    }
    return s;
}

}  // namespace siyu::engine
