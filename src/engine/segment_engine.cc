#include "engine/segment_engine.h"

#include <simdjson.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <map>
#include <mutex>
#include <queue>
#include <thread>
#include <unordered_set>

namespace siyu::engine {

namespace {

constexpr TimeMs kDayMs = 86'400'000;
constexpr TimeMs kNever = std::numeric_limits<TimeMs>::max();
constexpr int64_t kMinorPerMajor = 100;  // rules write money in yuan; the engine keeps fen
using Events = EventStore::Tenant;

// Days since 1970-01-01 of a civil date (proleptic Gregorian).
int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
    y -= m <= 2;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const auto yoe = static_cast<unsigned>(y - era * 400);
    const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

bool ParseYmd(std::string_view s, int* y, int* m, int* d) {
    if (s.size() < 10 || s[4] != '-' || s[7] != '-') return false;
    for (int i : {0, 1, 2, 3, 5, 6, 8, 9}) {
        if (s[i] < '0' || s[i] > '9') return false;
    }
    *y = std::atoi(std::string(s.substr(0, 4)).c_str());
    *m = std::atoi(std::string(s.substr(5, 2)).c_str());
    *d = std::atoi(std::string(s.substr(8, 2)).c_str());
    return *m >= 1 && *m <= 12 && *d >= 1 && *d <= 31;
}

std::optional<double> AsNumber(std::string_view s) {
    if (s.empty() || s.size() > 40) return std::nullopt;
    std::string text(s);
    char* end = nullptr;
    double v = std::strtod(text.c_str(), &end);
    if (end != text.c_str() + text.size() || !std::isfinite(v)) return std::nullopt;
    return v;
}

// A dictionary-encoded text column: a code per dense index (0: no value).
struct Column {
    std::vector<uint32_t> codes;
    std::vector<std::string> dict{std::string()};
    std::unordered_map<std::string, uint32_t> lookup;

    void Set(uint32_t c, std::string_view value, bool present) {
        if (codes.size() <= c) codes.resize(c + 1, 0);
        if (!present) {
            codes[c] = 0;
            return;
        }
        auto [it, inserted] = lookup.try_emplace(std::string(value), static_cast<uint32_t>(dict.size()));
        if (inserted) dict.emplace_back(value);
        codes[c] = it->second;
    }
    uint32_t Code(uint32_t c) const { return c < codes.size() ? codes[c] : 0; }
    size_t MemoryBytes() const {
        size_t n = codes.capacity() * sizeof(uint32_t);
        for (const auto& s : dict) n += s.capacity() + 64;
        return n;
    }
};

// Does `text` (a stored value) satisfy `cmp`? Numbers compare as numbers when both sides are
// numeric, otherwise as text (which orders ISO dates correctly).
bool CompareText(std::string_view text, const Comparison& cmp) {
    auto cmp3 = [&](const Value& v) -> int {
        if (v.kind != Value::Kind::kString) {
            auto a = AsNumber(text);
            if (a) return *a < v.number ? -1 : (*a > v.number ? 1 : 0);
        }
        int r = text.compare(v.text);
        return r < 0 ? -1 : (r > 0 ? 1 : 0);
    };
    auto eq = [&](const Value& v) {
        if (v.kind == Value::Kind::kBool) return text == (v.boolean ? "true" : "false");
        return cmp3(v) == 0;
    };
    switch (cmp.op) {
        case Op::kEq:
            return !cmp.values.empty() && eq(cmp.values[0]);
        case Op::kNeq:
            return !cmp.values.empty() && !eq(cmp.values[0]);
        case Op::kIn:
            return std::any_of(cmp.values.begin(), cmp.values.end(), eq);
        case Op::kNotIn:
            return std::none_of(cmp.values.begin(), cmp.values.end(), eq);
        case Op::kContains:
            return !cmp.values.empty() && text.find(cmp.values[0].text) != std::string_view::npos;
        case Op::kStartsWith:
            return !cmp.values.empty() && text.substr(0, cmp.values[0].text.size()) == cmp.values[0].text;
        case Op::kGt:
            return !cmp.values.empty() && cmp3(cmp.values[0]) > 0;
        case Op::kGte:
            return !cmp.values.empty() && cmp3(cmp.values[0]) >= 0;
        case Op::kLt:
            return !cmp.values.empty() && cmp3(cmp.values[0]) < 0;
        case Op::kLte:
            return !cmp.values.empty() && cmp3(cmp.values[0]) <= 0;
        case Op::kBetween:
            return cmp.values.size() == 2 && cmp3(cmp.values[0]) >= 0 && cmp3(cmp.values[1]) <= 0;
        case Op::kExists:
            return true;
        case Op::kNotExists:
            return false;
    }
    return false;
}

// Does a number satisfy `cmp` (values scaled by `scale`)?
bool CompareNumber(double x, const Comparison& cmp, double scale = 1) {
    auto v = [&](size_t i) { return cmp.values.size() > i ? cmp.values[i].number * scale : 0.0; };
    switch (cmp.op) {
        case Op::kEq:
            return x == v(0);
        case Op::kNeq:
            return x != v(0);
        case Op::kIn:
            return std::any_of(cmp.values.begin(), cmp.values.end(),
                               [&](const Value& y) { return x == y.number * scale; });
        case Op::kNotIn:
            return std::none_of(cmp.values.begin(), cmp.values.end(),
                                [&](const Value& y) { return x == y.number * scale; });
        case Op::kGt:
            return x > v(0);
        case Op::kGte:
            return x >= v(0);
        case Op::kLt:
            return x < v(0);
        case Op::kLte:
            return x <= v(0);
        case Op::kBetween:
            return x >= v(0) && x <= v(1);
        case Op::kExists:
            return true;
        default:
            return false;
    }
}

bool IsMoneyProperty(std::string_view p) { return p == "revenue" || p == "order_total" || p == "refund_total"; }

std::string_view IdentifierAlias(std::string_view type) {
    if (type == "wecom") return "wecom_external_userid";
    if (type == "unionid") return "wechat_unionid";
    if (type == "openid") return "wechat_openid";
    return type;
}

bool UsesRfm(const Node& n) {
    if (n.kind == Node::Kind::kRfm) return true;
    return std::any_of(n.children.begin(), n.children.end(), [](const NodePtr& c) { return UsesRfm(*c); });
}

bool IsBuiltinColumn(std::string_view f) {
    return f == "name" || f == "phone" || f == "email" || f == "gender" || f == "birthday" || f == "member_no";
}

}  // namespace

struct SegmentEngine::Impl {
    struct Segment {
        int64_t key = 0;  // segment id, or -tag id for a rule tag
        NodePtr rule;
        Roaring members;
        bool time_dependent = false;
        bool uses_rfm = false;
        std::vector<int64_t> deps;  // keys of segments / rule tags it reads
        std::priority_queue<std::pair<TimeMs, uint32_t>, std::vector<std::pair<TimeMs, uint32_t>>, std::greater<>>
            horizons;
    };

    struct Rfm {
        bool computed = false;
        std::string day;  // tenant-local day the thresholds were computed on
        double recency = 0, frequency = 0, monetary = 0;
        int64_t customers = 0;
    };

    struct TenantState {
        SegmentSettings settings;
        std::vector<TimeMs> created_at;  // per dense index
        std::vector<int64_t> store;      // per dense index; 0: none
        std::unordered_map<std::string, Column> columns;
        Roaring alive;   // has a profile, not deleted, not merged
        Roaring merged;  // merged into another customer
        Roaring has_members;
        std::unordered_map<uint32_t, uint32_t> parent;  // merged → the customer it was merged into
        std::unordered_map<uint32_t, std::vector<uint32_t>> children;
        std::unordered_map<std::string, Roaring> identifiers;
        std::unordered_map<int64_t, Roaring> tags;
        std::map<int64_t, Segment> segments;
        std::vector<int64_t> order;  // keys, dependencies first
        Rfm rfm;
        // Each customer's RFM class (-1: no order in the period) as of the last refresh or the
        // customer's last change, and the customers of each class.
        std::vector<int8_t> rfm_class;
        Roaring rfm_members[8];
        std::vector<uint32_t> dirty;  // customers a profile change affected besides itself

        void Grow(uint32_t c) {
            if (created_at.size() <= c) {
                created_at.resize(c + 1, 0);
                store.resize(c + 1, 0);
            }
        }
        uint32_t Survivor(uint32_t c) const {
            for (int guard = 0; guard < 64 && merged.contains(c); ++guard) {
                auto it = parent.find(c);
                if (it == parent.end()) break;
                c = it->second;
            }
            return c;
        }
        // The customer and everyone merged into it, transitively.
        void Family(uint32_t c, std::vector<uint32_t>* out) const {
            out->push_back(c);
            if (!has_members.contains(c)) return;
            for (size_t i = out->size() - 1; i < out->size(); ++i) {
                auto it = children.find((*out)[i]);
                if (it == children.end()) continue;
                for (uint32_t m : it->second) {
                    if (out->size() < 10'000) out->push_back(m);
                }
            }
        }
        // A bitmap of original customers as survivors, limited to the alive.
        Roaring Canonical(const Roaring& b) const {
            Roaring r = b;
            if (!merged.isEmpty()) {
                Roaring old = b & merged;
                r -= old;
                for (uint32_t x : old) r.add(Survivor(x));
            }
            r &= alive;
            return r;
        }
    };

    // One evaluation: the tenant, "now", and per-rule caches built on first use.
    struct Eval {
        const Impl* impl = nullptr;
        int64_t tenant_id = 0;
        const TenantState* ts = nullptr;
        const Events* ev = nullptr;  // may be null
        TimeMs now = 0;
        const std::unordered_map<int64_t, Roaring>* scratch = nullptr;  // from-scratch segment results
        struct Leaf {
            std::optional<uint32_t> name, then_name;
            std::vector<std::vector<bool>> where, then_where;
            std::vector<std::optional<double>> property_values;  // per property set
            std::vector<int8_t> dict_match;                      // per column code: -1 unknown
            std::vector<TimeMs> dict_horizon;
            std::unordered_set<int64_t> stores;
            TimeMs moment = 0;
        };
        std::unordered_map<const Node*, Leaf> leaves;
        std::vector<CompactEvent> family_events;
        std::vector<uint32_t> family;
        std::string today;
        TimeMs today_start = 0;
        int64_t today_days = 0;  // civil days of the tenant-local today

        Leaf& LeafOf(const Node& n);
        const std::vector<CompactEvent>& EventsOf(uint32_t c);
        bool Match(const Node& n, uint32_t c, TimeMs* h);
        bool MatchTrait(const Node& n, uint32_t c, TimeMs* h);
        void DecideCode(const Node& n, Leaf& leaf, const Column& col, uint32_t code);
        // Builds every cache a rule's evaluation reads, so that copies can run in parallel.
        void Warm(const Node& n);
        bool MatchEvent(const Node& n, uint32_t c, TimeMs* h);
        bool MatchFirstLast(const Node& n, uint32_t c, TimeMs* h);
        bool MatchSequence(const Node& n, uint32_t c);
        bool MatchAttribute(const Node& n, uint32_t c, TimeMs* h);
        bool MatchLifecycle(const Node& n, uint32_t c, TimeMs* h);
        // Events the server writes itself (Segment Entered / Exited) are not the customer's
        // activity: they never make anyone seen, active or not dormant.
        std::optional<uint32_t> entered_id, exited_id;
        bool IsSystemEvent(const CompactEvent& e) const {
            return e.name_id() == entered_id || e.name_id() == exited_id;
        }
        std::optional<TimeMs> LastActivity(const std::vector<CompactEvent>& list) const {
            for (auto it = list.rbegin(); it != list.rend(); ++it) {
                if (!IsSystemEvent(*it)) return it->timestamp();
            }
            return std::nullopt;
        }
        bool MatchRfm(const Node& n, uint32_t c, TimeMs* h);
        bool HasTag(int64_t tag, uint32_t c);
        bool InSegment(int64_t key, uint32_t c);
        RfmScore ScoreOf(uint32_t c, TimeMs* h);
        bool DateMatch(TimeMs t, const Node& n, const Comparison& cmp, TimeMs* h);
        std::optional<TimeMs> ParseMoment(const Value& v) const;

        Roaring Bulk(const Node& n, const Roaring& cand);
        Roaring NameCustomers(std::optional<uint32_t> name) const;
        // Survivors who did `name` in [from, to), as a superset (whole weeks).
        Roaring NameCustomersBetween(std::optional<uint32_t> name, TimeMs from, TimeMs to) const;
        // The [from, to) of a behaviour condition's window; since_registration is per customer.
        std::pair<TimeMs, TimeMs> WindowOf(const Node& n) const;
        Roaring PerCustomer(const Node& n, const Roaring& cand);
        // Customers who surely did a plain count condition's event often enough in [from, to),
        // known from the weekly bitmaps alone (a subset; empty when the shortcut does not apply).
        Roaring SurelyCounted(const Node& n, TimeMs from, TimeMs to, const Roaring& within);
        void Relevant(const Node& n, Roaring* out, bool* everyone) const;
    };

    explicit Impl(EventStore* e) : events(e) {}

    Eval MakeEval(int64_t tenant_id, const TenantState& ts, const Events* ev) const {
        Eval x;
        x.impl = this;
        if (ev != nullptr) {
            x.entered_id = ev->NameId("Segment Entered");
            x.exited_id = ev->NameId("Segment Exited");
        }
        x.tenant_id = tenant_id;
        x.ts = &ts;
        x.ev = ev;
        x.now = clock();
        x.today = LocalDate(x.now, ts.settings.time_zone);
        auto start = StartOfLocalDay(x.today, ts.settings.time_zone);
        x.today_start = start.ok() ? *start : x.now - x.now % kDayMs;
        int y = 1970, m = 1, d = 1;
        ParseYmd(x.today, &y, &m, &d);
        x.today_days = DaysFromCivil(y, static_cast<unsigned>(m), static_cast<unsigned>(d));
        return x;
    }

    TenantState& State(int64_t tenant_id) { return tenants[tenant_id]; }
    // Recomputes the thresholds and every customer's class; true when a class changed.
    bool ComputeRfm(TenantState& ts, const Events* ev, Eval& x);
    void UpdateRfmClass(TenantState& ts, Eval& x, uint32_t c);
    static int RfmClassOf(const Rfm& t, const RfmScore& s) {
        bool r = static_cast<double>(s.recency_days) <= t.recency;
        bool f = static_cast<double>(s.frequency) >= t.frequency;
        bool m = static_cast<double>(s.monetary) >= t.monetary;
        return (m ? 0 : 4) + (r ? 0 : 2) + (f ? 0 : 1);
    }
    Status Order(TenantState& ts);
    // Evaluates a segment in full; answers the customers whose membership changed.
    Roaring Recompute(int64_t tenant_id, TenantState& ts, Segment& s, const Events* ev, Eval& x,
                      std::vector<MembershipChange>* changes);
    void UpdateCustomer(int64_t tenant_id, TenantState& ts, const Events* ev, Eval& x, uint32_t c,
                        std::vector<MembershipChange>* changes);
    void Emit(std::vector<MembershipChange>&& changes) const {
        if (!changes.empty() && listener) listener(changes);
    }
    Roaring Visible(int64_t tenant_id, const TenantState& ts, const std::vector<int64_t>& stores) const;
    static void Smallest(const Roaring& b, const Events* ev, int64_t after_id, size_t limit, std::vector<int64_t>* out);

    EventStore* events;
    mutable std::shared_mutex mu;
    ChangeListener listener;
    StoreSubtree subtree;
    std::function<TimeMs()> clock = [] { return NowMs(); };
    int threads = static_cast<int>(std::clamp(std::thread::hardware_concurrency(), 1u, 8u));
    std::unordered_map<int64_t, TenantState> tenants;  // GUARDED_BY(mu)
};

// ---------------------------------------------------------------------------------------------
// Evaluation of one customer.

SegmentEngine::Impl::Eval::Leaf& SegmentEngine::Impl::Eval::LeafOf(const Node& n) {
    auto [it, inserted] = leaves.try_emplace(&n);
    Leaf& leaf = it->second;
    if (!inserted) return leaf;
    auto sets_for = [&](const std::vector<PropertyCondition>& where, std::vector<std::vector<bool>>* out) {
        for (const auto& w : where) {
            if (ev == nullptr) {
                out->emplace_back(1, false);
                continue;
            }
            if (w.cmp.op == Op::kNotExists) {
                auto has = ev->SetsWhere(w.property, [](std::string_view) { return true; });
                for (size_t i = 0; i < has.size(); ++i) has[i] = !has[i];
                out->push_back(std::move(has));
            } else {
                out->push_back(ev->SetsWhere(w.property, [&](std::string_view v) { return CompareText(v, w.cmp); }));
            }
        }
    };
    switch (n.kind) {
        case Node::Kind::kEvent:
        case Node::Kind::kFirstLast:
        case Node::Kind::kSequence:
            if (ev != nullptr) leaf.name = ev->NameId(n.field);
            sets_for(n.where, &leaf.where);
            if (n.kind == Node::Kind::kSequence) {
                if (ev != nullptr) leaf.then_name = ev->NameId(n.then_event);
                sets_for(n.then_where, &leaf.then_where);
            }
            if (n.kind == Node::Kind::kEvent && ev != nullptr && !n.aggregate.property.empty() &&
                n.aggregate.property != "revenue") {
                leaf.property_values.assign(std::max<size_t>(ev->set_pairs.size(), 1), std::nullopt);
                for (const auto& [text, id] : ev->pair_ids) {
                    size_t sep = text.find('\x1f');
                    if (std::string_view(text).substr(0, sep) != n.aggregate.property) continue;
                    auto num = AsNumber(std::string_view(text).substr(sep + 1));
                    for (size_t s = 0; s < ev->set_pairs.size(); ++s) {
                        const auto& p = ev->set_pairs[s];
                        if (std::find(p.begin(), p.end(), id) != p.end()) leaf.property_values[s] = num;
                    }
                }
            }
            if (n.kind == Node::Kind::kFirstLast) {
                leaf.moment = n.moment.at ? *n.moment.at : now - n.moment.days_ago * kDayMs;
            }
            break;
        case Node::Kind::kStore:
            for (int64_t id : n.ids) {
                leaf.stores.insert(id);
                if (impl->subtree) {
                    for (int64_t s : impl->subtree(tenant_id, id)) leaf.stores.insert(s);
                }
            }
            break;
        case Node::Kind::kLifecycle:
            if (ev != nullptr) {
                leaf.name = ev->NameId(ts->settings.order_event);
                leaf.then_name = ev->NameId("Member Registered");
            }
            break;
        case Node::Kind::kAttribute:
        case Node::Kind::kRfm:
            if (ev != nullptr) {
                leaf.name = ev->NameId(ts->settings.order_event);
                leaf.then_name = ev->NameId("Order Refunded");
            }
            break;
        default:
            break;
    }
    return leaf;
}

const std::vector<CompactEvent>& SegmentEngine::Impl::Eval::EventsOf(uint32_t c) {
    static const std::vector<CompactEvent> kNone;
    if (ev == nullptr) return kNone;
    if (!ts->has_members.contains(c)) return c < ev->events.size() ? ev->events[c] : kNone;
    family.clear();
    ts->Family(c, &family);
    family_events.clear();
    for (uint32_t m : family) {
        if (m < ev->events.size())
            family_events.insert(family_events.end(), ev->events[m].begin(), ev->events[m].end());
    }
    std::stable_sort(family_events.begin(), family_events.end(),
                     [](const CompactEvent& a, const CompactEvent& b) { return a.timestamp() < b.timestamp(); });
    return family_events;
}

bool SegmentEngine::Impl::Eval::HasTag(int64_t tag, uint32_t c) {
    auto rule = ts->segments.find(-tag);
    if (rule != ts->segments.end()) {
        if (scratch != nullptr) {
            auto it = scratch->find(-tag);
            if (it != scratch->end()) return it->second.contains(c);
        }
        if (rule->second.members.contains(c)) return true;
    }
    auto it = ts->tags.find(tag);
    if (it == ts->tags.end()) return false;
    if (!ts->has_members.contains(c)) return it->second.contains(c);
    family.clear();
    ts->Family(c, &family);
    return std::any_of(family.begin(), family.end(), [&](uint32_t m) { return it->second.contains(m); });
}

bool SegmentEngine::Impl::Eval::InSegment(int64_t key, uint32_t c) {
    if (scratch != nullptr) {
        auto it = scratch->find(key);
        if (it != scratch->end()) return it->second.contains(c);
    }
    auto it = ts->segments.find(key);
    return it != ts->segments.end() && it->second.members.contains(c);
}

bool SegmentEngine::Impl::Eval::Match(const Node& n, uint32_t c, TimeMs* h) {
    switch (n.kind) {
        case Node::Kind::kAll:
            return true;
        case Node::Kind::kAnd:
            for (const auto& child : n.children) {
                if (!Match(*child, c, h)) return false;
            }
            return true;
        case Node::Kind::kOr:
            for (const auto& child : n.children) {
                if (Match(*child, c, h)) return true;
            }
            return false;
        case Node::Kind::kNot:
            return n.children.empty() || !Match(*n.children[0], c, h);
        case Node::Kind::kTrait:
            return MatchTrait(n, c, h);
        case Node::Kind::kTag: {
            switch (n.tag_op) {
                case Node::TagOp::kHas:
                case Node::TagOp::kHasAll:
                    return std::all_of(n.ids.begin(), n.ids.end(), [&](int64_t t) { return HasTag(t, c); });
                case Node::TagOp::kHasAny:
                    return std::any_of(n.ids.begin(), n.ids.end(), [&](int64_t t) { return HasTag(t, c); });
                case Node::TagOp::kHasNone:
                    return std::none_of(n.ids.begin(), n.ids.end(), [&](int64_t t) { return HasTag(t, c); });
            }
            return false;
        }
        case Node::Kind::kEvent:
            return MatchEvent(n, c, h);
        case Node::Kind::kFirstLast:
            return MatchFirstLast(n, c, h);
        case Node::Kind::kSequence:
            return MatchSequence(n, c);
        case Node::Kind::kAttribute:
            return MatchAttribute(n, c, h);
        case Node::Kind::kLifecycle:
            return MatchLifecycle(n, c, h);
        case Node::Kind::kRfm:
            return MatchRfm(n, c, h);
        case Node::Kind::kStore: {
            const Leaf& leaf = LeafOf(n);
            int64_t store = c < ts->store.size() ? ts->store[c] : 0;
            bool in = store != 0 && leaf.stores.count(store) > 0;
            return n.cmp.op == Op::kNotIn ? !in : in;
        }
        case Node::Kind::kIdentifier: {
            auto it = ts->identifiers.find(std::string(IdentifierAlias(n.field)));
            bool has = false;
            if (it != ts->identifiers.end()) {
                if (!ts->has_members.contains(c)) {
                    has = it->second.contains(c);
                } else {
                    family.clear();
                    ts->Family(c, &family);
                    has = std::any_of(family.begin(), family.end(), [&](uint32_t m) { return it->second.contains(m); });
                }
            }
            return n.cmp.op == Op::kNotExists ? !has : has;
        }
        case Node::Kind::kSegment: {
            bool in = !n.ids.empty() && InSegment(n.ids[0], c);
            return n.cmp.op == Op::kNotIn ? !in : in;
        }
    }
    return false;
}

std::optional<TimeMs> SegmentEngine::Impl::Eval::ParseMoment(const Value& v) const {
    if (v.kind == Value::Kind::kNumber) return static_cast<TimeMs>(v.number);
    if (v.text.size() == 10) {
        auto t = StartOfLocalDay(v.text, ts->settings.time_zone);
        if (t.ok()) return *t;
        return std::nullopt;
    }
    return ParseRfc3339(v.text);
}

// A date-valued field `t` against a relative form or a comparison of moments.
bool SegmentEngine::Impl::Eval::DateMatch(TimeMs t, const Node& n, const Comparison& cmp, TimeMs* h) {
    auto horizon = [&](TimeMs at) {
        if (at > now && at < *h) *h = at;
    };
    switch (n.relative) {
        case RelativeDate::kWithinLastDays:
            horizon(t + n.relative_days * kDayMs + 1);
            return t >= now - n.relative_days * kDayMs;
        case RelativeDate::kMoreThanDaysAgo:
            horizon(t + n.relative_days * kDayMs + 1);
            return t < now - n.relative_days * kDayMs;
        case RelativeDate::kInNextDays:
            // In from N days before the date, out once it has passed.
            horizon(t - n.relative_days * kDayMs);
            horizon(t + 1);
            return t >= now && t <= now + n.relative_days * kDayMs;
        default:
            break;
    }
    if (cmp.op == Op::kExists) return true;
    if (cmp.op == Op::kNotExists) return false;
    Comparison ms = cmp;
    for (auto& v : ms.values) {
        auto at = ParseMoment(v);
        v.kind = Value::Kind::kNumber;
        v.number = at ? static_cast<double>(*at) : std::numeric_limits<double>::quiet_NaN();
    }
    return CompareNumber(static_cast<double>(t), ms);
}

void SegmentEngine::Impl::Eval::DecideCode(const Node& n, Leaf& leaf, const Column& col, uint32_t code) {
    {
        const std::string& text = col.dict[code];
        TimeMs hz = kNever;
        bool m = false;
        if (n.relative == RelativeDate::kWithinNextDays) {
            // The next anniversary (month-day) of the date, counted in tenant-local days.
            int y = 0, mo = 0, d = 0;
            std::string_view s = text;
            if (ParseYmd(s, &y, &mo, &d) || (s.size() == 5 && s[2] == '-' && ParseYmd("2000-" + text, &y, &mo, &d))) {
                int ty = 1970, tm = 1, td = 1;
                ParseYmd(today, &ty, &tm, &td);
                int64_t next = DaysFromCivil(ty, static_cast<unsigned>(mo), static_cast<unsigned>(d));
                if (next < today_days)
                    next = DaysFromCivil(ty + 1, static_cast<unsigned>(mo), static_cast<unsigned>(d));
                int64_t until = next - today_days;
                m = until <= n.relative_days;
                int64_t flip_in = m ? until + 1 : until - n.relative_days;
                hz = today_start + flip_in * kDayMs;
            }
        } else if (n.relative != RelativeDate::kNone) {
            Value v;
            v.text = text;
            auto t = ParseMoment(v);
            if (t) m = DateMatch(*t, n, n.cmp, &hz);
        } else {
            m = n.cmp.op != Op::kNotExists && CompareText(text, n.cmp);
        }
        leaf.dict_match[code] = m ? 1 : 0;
        leaf.dict_horizon[code] = hz;
    }
}

bool SegmentEngine::Impl::Eval::MatchTrait(const Node& n, uint32_t c, TimeMs* h) {
    if (n.field == "created_at") {
        if (c >= ts->created_at.size()) return false;
        return DateMatch(ts->created_at[c], n, n.cmp, h);
    }
    if (n.field == "store_id") {
        int64_t store = c < ts->store.size() ? ts->store[c] : 0;
        if (n.cmp.op == Op::kNotExists) return store == 0;
        if (store == 0) return false;
        return CompareText(std::to_string(store), n.cmp);
    }
    auto col = ts->columns.find(n.field);
    uint32_t code = col == ts->columns.end() ? 0 : col->second.Code(c);
    if (code == 0) return n.relative == RelativeDate::kNone && n.cmp.op == Op::kNotExists;
    Leaf& leaf = LeafOf(n);
    if (leaf.dict_match.size() < col->second.dict.size()) {
        leaf.dict_match.resize(col->second.dict.size(), -1);
        leaf.dict_horizon.resize(col->second.dict.size(), kNever);
    }
    if (leaf.dict_match[code] < 0) DecideCode(n, leaf, col->second, code);
    if (leaf.dict_horizon[code] > now && leaf.dict_horizon[code] < *h) *h = leaf.dict_horizon[code];
    return leaf.dict_match[code] == 1;
}

bool SegmentEngine::Impl::Eval::MatchEvent(const Node& n, uint32_t c, TimeMs* h) {
    Leaf& leaf = LeafOf(n);
    const auto& list = leaf.name ? EventsOf(c) : EventsOf(UINT32_MAX);
    TimeMs from = std::numeric_limits<TimeMs>::min(), to = kNever;
    if (n.window.last_ms) from = now - *n.window.last_ms;
    if (n.window.from) from = *n.window.from;
    if (n.window.to) to = *n.window.to;
    if (n.window.since_registration) from = c < ts->created_at.size() ? ts->created_at[c] : 0;
    int64_t count = 0;
    double sum = 0, mn = 0, mx = 0;
    int64_t valued = 0;
    TimeMs first_in_window = kNever;
    const bool revenue = n.aggregate.property == "revenue";
    // count >= k / count > k: once k (k + 1) events are seen the answer is known.
    int64_t enough = 0;
    if (n.aggregate.fn == Aggregate::Fn::kCount && !n.aggregate.cmp.values.empty()) {
        double k = n.aggregate.cmp.values[0].number;
        if (n.aggregate.cmp.op == Op::kGte) enough = static_cast<int64_t>(std::ceil(k));
        if (n.aggregate.cmp.op == Op::kGt) enough = static_cast<int64_t>(std::floor(k)) + 1;
        enough = std::max<int64_t>(enough, 1);
    } else if (n.aggregate.fn == Aggregate::Fn::kCount) {
        enough = 1;
    }
    auto begin = std::lower_bound(list.begin(), list.end(), from,
                                  [](const CompactEvent& e, TimeMs t) { return e.timestamp() < t; });
    for (auto it = begin; it != list.end() && it->timestamp() < to; ++it) {
        if (!leaf.name || it->name_id() != *leaf.name) continue;
        bool pass = true;
        for (const auto& sets : leaf.where) {
            if (it->property_set >= sets.size() || !sets[it->property_set]) {
                pass = false;
                break;
            }
        }
        if (!pass) continue;
        if (first_in_window == kNever) first_in_window = it->timestamp();
        ++count;
        if (n.aggregate.fn == Aggregate::Fn::kCount) {
            if (enough > 0 && count >= enough) break;  // the answer cannot change any more
            continue;
        }
        std::optional<double> x;
        if (revenue) {
            if (it->amount != CompactEvent::kNoAmount) x = static_cast<double>(ev->amounts[it->amount]);
        } else if (it->property_set < leaf.property_values.size()) {
            x = leaf.property_values[it->property_set];
        }
        if (!x) continue;
        sum += *x;
        mn = valued == 0 ? *x : std::min(mn, *x);
        mx = valued == 0 ? *x : std::max(mx, *x);
        ++valued;
    }
    if (n.window.last_ms && first_in_window != kNever) {
        TimeMs leaves_at = first_in_window + *n.window.last_ms + 1;
        if (leaves_at > now && leaves_at < *h) *h = leaves_at;
    }
    bool result;
    const double scale = revenue ? kMinorPerMajor : 1;
    switch (n.aggregate.fn) {
        case Aggregate::Fn::kCount:
            result = n.aggregate.cmp.values.empty() ? count >= 1
                                                    : CompareNumber(static_cast<double>(count), n.aggregate.cmp);
            break;
        case Aggregate::Fn::kSum:
            result = valued > 0 && CompareNumber(sum, n.aggregate.cmp, scale);
            break;
        case Aggregate::Fn::kAvg:
            result = valued > 0 && CompareNumber(sum / static_cast<double>(valued), n.aggregate.cmp, scale);
            break;
        case Aggregate::Fn::kMin:
            result = valued > 0 && CompareNumber(mn, n.aggregate.cmp, scale);
            break;
        case Aggregate::Fn::kMax:
            result = valued > 0 && CompareNumber(mx, n.aggregate.cmp, scale);
            break;
        default:
            result = false;
    }
    return n.did ? result : !result;
}

bool SegmentEngine::Impl::Eval::MatchFirstLast(const Node& n, uint32_t c, TimeMs* h) {
    Leaf& leaf = LeafOf(n);
    if (!leaf.name) return false;
    const auto& list = EventsOf(c);
    std::optional<TimeMs> t;
    auto passes = [&](const CompactEvent& e) {
        if (e.name_id() != *leaf.name) return false;
        for (const auto& sets : leaf.where) {
            if (e.property_set >= sets.size() || !sets[e.property_set]) return false;
        }
        return true;
    };
    if (n.first) {
        for (const auto& e : list) {
            if (passes(e)) {
                t = e.timestamp();
                break;
            }
        }
    } else {
        for (auto it = list.rbegin(); it != list.rend(); ++it) {
            if (passes(*it)) {
                t = it->timestamp();
                break;
            }
        }
    }
    if (!t) return false;
    if (!n.moment.at) {
        TimeMs flips = *t + n.moment.days_ago * kDayMs + 1;
        if (flips > now && flips < *h) *h = flips;
    }
    return n.before ? *t < leaf.moment : *t >= leaf.moment;
}

bool SegmentEngine::Impl::Eval::MatchSequence(const Node& n, uint32_t c) {
    Leaf& leaf = LeafOf(n);
    if (!leaf.name || !leaf.then_name) return false;
    const auto& list = EventsOf(c);
    auto passes = [](const CompactEvent& e, uint32_t name, const std::vector<std::vector<bool>>& where) {
        if (e.name_id() != name) return false;
        for (const auto& sets : where) {
            if (e.property_set >= sets.size() || !sets[e.property_set]) return false;
        }
        return true;
    };
    size_t j = 0;
    for (size_t i = 0; i < list.size(); ++i) {
        if (!passes(list[i], *leaf.name, leaf.where)) continue;
        TimeMs limit = list[i].timestamp() + n.within_ms;
        j = std::max(j, i + 1);
        // j only moves forward: a B found after an earlier A is checked again for this A.
        for (size_t k = i + 1; k < list.size() && list[k].timestamp() <= limit; ++k) {
            if (passes(list[k], *leaf.then_name, leaf.then_where)) return true;
        }
    }
    return false;
}

bool SegmentEngine::Impl::Eval::MatchAttribute(const Node& n, uint32_t c, TimeMs* h) {
    Leaf& leaf = LeafOf(n);
    const auto& list = EventsOf(c);
    const std::string& f = n.field;
    std::optional<double> value;
    std::optional<TimeMs> when;
    if (f == "first_seen") {
        for (const auto& e : list) {
            if (!IsSystemEvent(e)) {
                when = e.timestamp();
                break;
            }
        }
    } else if (f == "last_seen") {
        when = LastActivity(list);
    } else {
        bool refunds = f == "refund_count" || f == "refund_total";
        std::optional<uint32_t> name = refunds ? leaf.then_name : leaf.name;
        int64_t count = 0, total = 0;
        std::optional<TimeMs> first, last;
        if (name) {
            for (const auto& e : list) {
                if (e.name_id() != *name) continue;
                ++count;
                if (e.amount != CompactEvent::kNoAmount) total += ev->amounts[e.amount];
                if (!first) first = e.timestamp();
                last = e.timestamp();
            }
        }
        if (f == "order_count" || f == "refund_count") value = static_cast<double>(count);
        if (f == "order_total" || f == "refund_total") value = static_cast<double>(total);
        if (f == "first_order_at") when = first;
        if (f == "last_order_at") when = last;
    }
    if (value) {
        if (n.cmp.op == Op::kNotExists) return false;
        return CompareNumber(*value, n.cmp, IsMoneyProperty(f) ? kMinorPerMajor : 1);
    }
    if (!when) return n.relative == RelativeDate::kNone && n.cmp.op == Op::kNotExists;
    if (n.cmp.op == Op::kNotExists && n.relative == RelativeDate::kNone) return false;
    return DateMatch(*when, n, n.cmp, h);
}

bool SegmentEngine::Impl::Eval::MatchLifecycle(const Node& n, uint32_t c, TimeMs* h) {
    Leaf& leaf = LeafOf(n);
    const auto& list = EventsOf(c);
    int64_t orders = 0;
    bool registered = false;
    for (const auto& e : list) {
        if (leaf.name && e.name_id() == *leaf.name) ++orders;
        if (leaf.then_name && e.name_id() == *leaf.then_name) registered = true;
    }
    auto col = ts->columns.find("member_no");
    if (col != ts->columns.end() && col->second.Code(c) != 0) registered = true;
    std::string_view stage = "prospect";
    if (orders >= 5) {
        stage = "loyal";
    } else if (orders >= 2) {
        stage = "repurchase";
    } else if (orders == 1) {
        stage = "first_purchase";
    } else if (registered) {
        stage = "registered";
    }
    std::optional<TimeMs> seen = LastActivity(list);
    TimeMs last = seen ? *seen : (c < ts->created_at.size() ? ts->created_at[c] : 0);
    TimeMs dormant_at = last + ts->settings.dormant_after_days * kDayMs + 1;
    if (now >= dormant_at) {
        stage = "dormant";
    } else if (dormant_at < *h) {
        *h = dormant_at;
    }
    bool in = std::any_of(n.cmp.values.begin(), n.cmp.values.end(), [&](const Value& v) { return v.text == stage; });
    return n.cmp.op == Op::kNotIn ? !in : in;
}

RfmScore SegmentEngine::Impl::Eval::ScoreOf(uint32_t c, TimeMs* h) {
    RfmScore s;
    std::optional<uint32_t> name = ev != nullptr ? ev->NameId(ts->settings.order_event) : std::nullopt;
    if (!name) return s;
    const auto& list = EventsOf(c);
    TimeMs period = ts->settings.rfm_period_days * kDayMs;
    TimeMs from = now - period;
    TimeMs first = kNever, last = 0;
    auto begin = std::lower_bound(list.begin(), list.end(), from,
                                  [](const CompactEvent& e, TimeMs t) { return e.timestamp() < t; });
    for (auto it = begin; it != list.end(); ++it) {
        if (it->name_id() != *name) continue;
        ++s.frequency;
        if (it->amount != CompactEvent::kNoAmount) s.monetary += ev->amounts[it->amount];
        if (first == kNever) first = it->timestamp();
        last = it->timestamp();
    }
    if (s.frequency == 0) return s;
    s.recency_days = std::max<int64_t>(0, (now - last) / kDayMs);
    const Rfm& t = ts->rfm;
    bool r = static_cast<double>(s.recency_days) <= t.recency;
    s.rfm_class = RfmClassOf(t, s);
    if (h != nullptr) {
        TimeMs leaves = first + period + 1;
        TimeMs r_flips = r ? last + (static_cast<int64_t>(std::floor(t.recency)) + 1) * kDayMs : kNever;
        for (TimeMs at : {leaves, r_flips}) {
            if (at > now && at < *h) *h = at;
        }
    }
    return s;
}

bool SegmentEngine::Impl::Eval::MatchRfm(const Node& n, uint32_t c, TimeMs*) {
    // The class as of the last refresh or change of this customer: classes move with the
    // tenant's means, which only the refresh recomputes.
    int k = c < ts->rfm_class.size() ? ts->rfm_class[c] : -1;
    bool in = k >= 0 && std::any_of(n.cmp.values.begin(), n.cmp.values.end(),
                                    [&](const Value& v) { return v.text == kRfmClasses[k].code; });
    return n.cmp.op == Op::kNotIn ? !in : in;
}

// ---------------------------------------------------------------------------------------------
// Evaluation over bitmaps.

Roaring SegmentEngine::Impl::Eval::NameCustomers(std::optional<uint32_t> name) const {
    if (ev == nullptr || !name || *name >= ev->name_customers.size()) return Roaring();
    return ts->Canonical(ev->name_customers[*name]);
}

void SegmentEngine::Impl::Eval::Warm(const Node& n) {
    for (const auto& child : n.children) Warm(*child);
    Leaf& leaf = LeafOf(n);
    if (n.kind != Node::Kind::kTrait) return;
    auto col = ts->columns.find(n.field);
    if (col == ts->columns.end()) return;
    leaf.dict_match.resize(col->second.dict.size(), -1);
    leaf.dict_horizon.resize(col->second.dict.size(), kNever);
    for (uint32_t code = 1; code < col->second.dict.size(); ++code) {
        if (leaf.dict_match[code] < 0) DecideCode(n, leaf, col->second, code);
    }
}

Roaring SegmentEngine::Impl::Eval::NameCustomersBetween(std::optional<uint32_t> name, TimeMs from, TimeMs to) const {
    if (ev == nullptr || !name) return Roaring();
    if (from == std::numeric_limits<TimeMs>::min() && to == kNever) return NameCustomers(name);
    return ts->Canonical(ev->CustomersBetween(*name, from, to));
}

std::pair<TimeMs, TimeMs> SegmentEngine::Impl::Eval::WindowOf(const Node& n) const {
    TimeMs from = std::numeric_limits<TimeMs>::min(), to = kNever;
    if (n.window.last_ms) from = now - *n.window.last_ms;
    if (n.window.from) from = *n.window.from;
    if (n.window.to) to = *n.window.to;
    if (n.window.since_registration) from = std::numeric_limits<TimeMs>::min();
    return {from, to};
}

Roaring SegmentEngine::Impl::Eval::SurelyCounted(const Node& n, TimeMs from, TimeMs to, const Roaring& within) {
    const Aggregate& a = n.aggregate;
    if (ev == nullptr || !n.where.empty() || n.window.since_registration || a.fn != Aggregate::Fn::kCount) {
        return Roaring();
    }
    int64_t k = 1;
    if (!a.cmp.values.empty()) {
        double v = a.cmp.values[0].number;
        if (a.cmp.op == Op::kGte) {
            k = static_cast<int64_t>(std::ceil(v));
        } else if (a.cmp.op == Op::kGt) {
            k = static_cast<int64_t>(std::floor(v)) + 1;
        } else {
            return Roaring();
        }
    }
    const Leaf& leaf = LeafOf(n);
    if (k < 1 || k > 4 || !leaf.name || *leaf.name >= ev->name_weeks.size()) return Roaring();
    // levels[j]: customers of `within` seen in at least j + 1 of the whole weeks so far.
    // Merged customers count under their own ids here (a subset of the truth either way).
    std::vector<Roaring> levels(static_cast<size_t>(k));
    constexpr TimeMs kWeek = Events::kWeekMs;
    const bool merges = !ts->merged.isEmpty();
    for (const auto& [week, b] : ev->name_weeks[*leaf.name]) {
        if (week * kWeek < from || (week + 1) * kWeek > to) continue;
        Roaring mine = merges ? ts->Canonical(b) & within : b & within;
        for (size_t j = levels.size() - 1; j > 0; --j) levels[j] |= levels[j - 1] & mine;
        levels[0] |= mine;
    }
    return levels.back();
}

Roaring SegmentEngine::Impl::Eval::PerCustomer(const Node& n, const Roaring& cand) {
    constexpr uint64_t kParallelFrom = 20'000;
    const uint64_t total = cand.cardinality();
    const int threads = static_cast<int>(std::min<uint64_t>(impl->threads, total / (kParallelFrom / 2) + 1));
    Roaring r;
    if (threads <= 1 || total < kParallelFrom) {
        std::vector<uint32_t> hits;
        TimeMs ignored = kNever;
        for (uint32_t c : cand) {
            if (Match(n, c, &ignored)) hits.push_back(c);
        }
        r.addMany(hits.size(), hits.data());
        return r;
    }
    // Each worker evaluates a slice on its own copy of the warmed caches.
    Warm(n);
    std::vector<uint32_t> ids(total);
    cand.toUint32Array(ids.data());
    std::vector<std::vector<uint32_t>> hits(static_cast<size_t>(threads));
    auto work = [&](int t) {
        Eval local = *this;
        TimeMs ignored = kNever;
        size_t lo = total * static_cast<size_t>(t) / static_cast<size_t>(threads);
        size_t hi = total * static_cast<size_t>(t + 1) / static_cast<size_t>(threads);
        for (size_t i = lo; i < hi; ++i) {
            if (local.Match(n, ids[i], &ignored)) hits[static_cast<size_t>(t)].push_back(ids[i]);
        }
    };
    std::vector<std::thread> workers;
    for (int t = 1; t < threads; ++t) workers.emplace_back(work, t);
    work(0);
    for (auto& w : workers) w.join();
    for (const auto& h : hits) r.addMany(h.size(), h.data());
    return r;
}

Roaring SegmentEngine::Impl::Eval::Bulk(const Node& n, const Roaring& cand) {
    if (cand.isEmpty()) return Roaring();
    switch (n.kind) {
        case Node::Kind::kAll:
            return cand;
        case Node::Kind::kAnd: {
            // Set conditions first: behaviour conditions then scan only who is left.
            std::vector<const Node*> order;
            for (const auto& child : n.children) order.push_back(child.get());
            auto cost = [](const Node* x) {
                switch (x->kind) {
                    case Node::Kind::kTag:
                    case Node::Kind::kSegment:
                    case Node::Kind::kIdentifier:
                    case Node::Kind::kAll:
                        return 0;
                    case Node::Kind::kTrait:
                    case Node::Kind::kStore:
                        return 1;
                    default:
                        return 2;
                }
            };
            std::stable_sort(order.begin(), order.end(),
                             [&](const Node* a, const Node* b) { return cost(a) < cost(b); });
            Roaring r = cand;
            for (const Node* child : order) {
                r = Bulk(*child, r);
                if (r.isEmpty()) break;
            }
            return r;
        }
        case Node::Kind::kOr: {
            Roaring r;
            Roaring rest = cand;
            for (const auto& child : n.children) {
                Roaring part = Bulk(*child, rest);
                r |= part;
                rest -= part;
                if (rest.isEmpty()) break;
            }
            return r;
        }
        case Node::Kind::kNot:
            return n.children.empty() ? Roaring() : cand - Bulk(*n.children[0], cand);
        case Node::Kind::kTag: {
            auto tag_set = [&](int64_t tag) {
                Roaring r;
                auto it = ts->tags.find(tag);
                if (it != ts->tags.end()) r = ts->Canonical(it->second);
                auto rule = ts->segments.find(-tag);
                if (rule != ts->segments.end()) {
                    const Roaring* members = &rule->second.members;
                    if (scratch != nullptr && scratch->count(-tag)) members = &scratch->at(-tag);
                    r |= *members;
                }
                return r;
            };
            Roaring r = n.tag_op == Node::TagOp::kHasNone || n.tag_op == Node::TagOp::kHasAny ? Roaring() : cand;
            for (int64_t tag : n.ids) {
                if (n.tag_op == Node::TagOp::kHasNone || n.tag_op == Node::TagOp::kHasAny) {
                    r |= tag_set(tag);
                } else {
                    r &= tag_set(tag);
                }
            }
            if (n.tag_op == Node::TagOp::kHasNone) return cand - r;
            return r & cand;
        }
        case Node::Kind::kIdentifier: {
            Roaring has;
            auto it = ts->identifiers.find(std::string(IdentifierAlias(n.field)));
            if (it != ts->identifiers.end()) has = ts->Canonical(it->second);
            return n.cmp.op == Op::kNotExists ? cand - has : cand & has;
        }
        case Node::Kind::kSegment: {
            Roaring members;
            if (!n.ids.empty()) {
                int64_t key = n.ids[0];
                if (scratch != nullptr && scratch->count(key)) {
                    members = scratch->at(key);
                } else if (auto it = ts->segments.find(key); it != ts->segments.end()) {
                    members = it->second.members;
                }
            }
            return n.cmp.op == Op::kNotIn ? cand - members : cand & members;
        }
        case Node::Kind::kEvent: {
            // A customer who never did the event matches only when zero events satisfy the
            // aggregate (count = 0, did not do): decide that once for all of them.
            const Leaf& leaf = LeafOf(n);
            auto [from, to] = WindowOf(n);
            Roaring did = NameCustomersBetween(leaf.name, from, to) & cand;
            bool zero_matches;
            {
                TimeMs ignored = kNever;
                zero_matches = Match(n, UINT32_MAX, &ignored);
            }
            // Customers with events in at least k whole weeks inside the window surely did it
            // k times: only the others are read event by event.
            Roaring sure = SurelyCounted(n, from, to, did);
            Roaring hits = PerCustomer(n, did - sure);
            if (n.did) hits |= sure;
            if (!zero_matches) return hits;
            return (cand - did) | hits;
        }
        case Node::Kind::kSequence:
            return PerCustomer(n, NameCustomers(LeafOf(n).name) & cand);
        case Node::Kind::kFirstLast: {
            // Whole weeks decide most customers: only those with events in the moment's own
            // week are read event by event.
            const Leaf& leaf = LeafOf(n);
            if (!n.where.empty()) return PerCustomer(n, NameCustomers(leaf.name) & cand);
            constexpr TimeMs kWeek = Events::kWeekMs;
            constexpr TimeMs kEver = std::numeric_limits<TimeMs>::min() + 1;
            const TimeMs m = leaf.moment;
            const TimeMs wf = (m >= 0 ? m / kWeek : (m - kWeek + 1) / kWeek) * kWeek;  // m's week
            auto between = [&](TimeMs from, TimeMs to) { return NameCustomersBetween(leaf.name, from, to); };
            Roaring all = NameCustomers(leaf.name) & cand;
            Roaring sure, unsure;
            if (n.first && n.before) {  // first < m
                sure = between(kEver, wf) & all;
                unsure = (between(wf, wf + kWeek) & all) - sure;
            } else if (n.first) {  // first >= m
                Roaring before_week = between(kEver, wf);
                sure = all - before_week - between(wf, wf + kWeek);
                unsure = (all - before_week) - sure;
            } else if (!n.before) {  // last >= m
                sure = between(wf + kWeek, kNever) & all;
                unsure = (between(wf, wf + kWeek) & all) - sure;
            } else {  // last < m
                Roaring after_week = between(wf + kWeek, kNever);
                sure = all - after_week - between(wf, wf + kWeek);
                unsure = (all - after_week) - sure;
            }
            return sure | PerCustomer(n, unsure);
        }
        case Node::Kind::kRfm: {
            Roaring in;
            for (int k = 0; k < 8; ++k) {
                if (std::any_of(n.cmp.values.begin(), n.cmp.values.end(),
                                [&](const Value& v) { return v.text == kRfmClasses[k].code; })) {
                    in |= ts->rfm_members[k];
                }
            }
            return n.cmp.op == Op::kNotIn ? cand - in : cand & in;
        }
        case Node::Kind::kTrait: {
            if (n.field == "created_at" || n.field == "store_id") break;
            bool absent_matches = n.relative == RelativeDate::kNone && n.cmp.op == Op::kNotExists;
            auto col = ts->columns.find(n.field);
            if (col == ts->columns.end()) return absent_matches ? cand : Roaring();
            // Decide once per distinct value, then keep the customers whose value matched.
            Warm(n);
            const std::vector<int8_t>& decided = LeafOf(n).dict_match;
            const std::vector<uint32_t>& codes = col->second.codes;
            auto matches = [&](uint32_t c) {
                uint32_t code = c < codes.size() ? codes[c] : 0;
                return code == 0 ? absent_matches : decided[code] == 1;
            };
            std::vector<uint32_t> hits;
            Roaring r;
            if (cand.cardinality() * 8 < codes.size()) {
                for (uint32_t c : cand) {
                    if (matches(c)) hits.push_back(c);
                }
                r.addMany(hits.size(), hits.data());
                return r;
            }
            for (uint32_t c = 0; c < codes.size(); ++c) {
                if (matches(c)) hits.push_back(c);
            }
            r.addMany(hits.size(), hits.data());
            if (absent_matches) {
                Roaring beyond;
                beyond.addRange(codes.size(), static_cast<uint64_t>(UINT32_MAX) + 1);
                r |= beyond & cand;
            }
            return r & cand;
        }
        default:
            break;
    }
    return PerCustomer(n, cand);
}

// Customers for whom a time-dependent leaf can change with time alone (their horizons are
// worth computing); `everyone` when a leaf can change for any customer.
void SegmentEngine::Impl::Eval::Relevant(const Node& n, Roaring* out, bool* everyone) const {
    for (const auto& child : n.children) Relevant(*child, out, everyone);
    switch (n.kind) {
        case Node::Kind::kEvent:
        case Node::Kind::kFirstLast:
            if (ev != nullptr && n.kind == Node::Kind::kEvent && n.window.last_ms) {
                auto [from, to] = WindowOf(n);
                *out |= NameCustomersBetween(ev->NameId(n.field), from, to);
            } else if (ev != nullptr && n.kind == Node::Kind::kFirstLast && !n.moment.at) {
                *out |= NameCustomers(ev->NameId(n.field));
            }
            break;
        case Node::Kind::kRfm:  // classes change on refresh, not per customer in time
            break;
        case Node::Kind::kTrait:
        case Node::Kind::kAttribute:
        case Node::Kind::kLifecycle:
            if (n.kind == Node::Kind::kLifecycle || n.relative != RelativeDate::kNone) *everyone = true;
            break;
        default:
            break;
    }
}

// ---------------------------------------------------------------------------------------------
// Maintenance.

bool SegmentEngine::Impl::ComputeRfm(TenantState& ts, const Events* ev, Eval& x) {
    Rfm& rfm = ts.rfm;
    rfm.day = x.today;
    rfm.computed = true;
    rfm.recency = rfm.frequency = rfm.monetary = 0;
    rfm.customers = 0;
    Roaring buyers = x.NameCustomersBetween(ev != nullptr ? ev->NameId(ts.settings.order_event) : std::nullopt,
                                            x.now - ts.settings.rfm_period_days * kDayMs, kNever);
    buyers &= ts.alive;
    std::vector<std::pair<uint32_t, RfmScore>> scores;
    scores.reserve(buyers.cardinality());
    double r = 0, f = 0, m = 0;
    for (uint32_t c : buyers) {
        RfmScore s = x.ScoreOf(c, nullptr);
        if (s.frequency == 0) continue;
        ++rfm.customers;
        r += static_cast<double>(s.recency_days);
        f += static_cast<double>(s.frequency);
        m += static_cast<double>(s.monetary);
        scores.emplace_back(c, s);
    }
    if (rfm.customers > 0) {
        rfm.recency = r / static_cast<double>(rfm.customers);
        rfm.frequency = f / static_cast<double>(rfm.customers);
        rfm.monetary = m / static_cast<double>(rfm.customers);
    }
    if (ts.settings.rfm_recency_days) rfm.recency = *ts.settings.rfm_recency_days;
    if (ts.settings.rfm_frequency) rfm.frequency = *ts.settings.rfm_frequency;
    if (ts.settings.rfm_monetary) rfm.monetary = *ts.settings.rfm_monetary;
    // Classes against the new thresholds.
    std::vector<int8_t> classes(ts.created_at.size(), -1);
    std::vector<uint32_t> members[8];
    for (const auto& [c, score] : scores) {
        int k = RfmClassOf(rfm, score);
        if (c < classes.size()) classes[c] = static_cast<int8_t>(k);
        members[k].push_back(c);
    }
    bool changed = classes != ts.rfm_class;
    ts.rfm_class = std::move(classes);
    for (int k = 0; k < 8; ++k) {
        ts.rfm_members[k] = Roaring();
        ts.rfm_members[k].addMany(members[k].size(), members[k].data());
        ts.rfm_members[k].runOptimize();
    }
    return changed;
}

// A customer's class after a change to its events or profile, with the current thresholds.
void SegmentEngine::Impl::UpdateRfmClass(TenantState& ts, Eval& x, uint32_t c) {
    int k = -1;
    if (ts.alive.contains(c)) {
        RfmScore s = x.ScoreOf(c, nullptr);
        if (s.frequency > 0) k = RfmClassOf(ts.rfm, s);
    }
    if (ts.rfm_class.size() <= c) ts.rfm_class.resize(c + 1, -1);
    int old = ts.rfm_class[c];
    if (old == k) return;
    if (old >= 0) ts.rfm_members[old].remove(c);
    if (k >= 0) ts.rfm_members[k].add(c);
    ts.rfm_class[c] = static_cast<int8_t>(k);
}

// Orders the tenant's segments so that each comes after those it reads; fails on a cycle.
Status SegmentEngine::Impl::Order(TenantState& ts) {
    std::vector<int64_t> order;
    std::unordered_map<int64_t, int> state;  // 1 visiting, 2 done
    std::function<Status(int64_t)> visit = [&](int64_t key) -> Status {
        int& s = state[key];
        if (s == 2) return Status::Ok();
        if (s == 1) return Status::FailedPrecondition("the rule refers to itself through other segments or rule tags");
        s = 1;
        auto it = ts.segments.find(key);
        if (it != ts.segments.end()) {
            for (int64_t dep : it->second.deps) SIYU_RETURN_IF_ERROR(visit(dep));
        }
        state[key] = 2;
        if (it != ts.segments.end()) order.push_back(key);
        return Status::Ok();
    };
    for (const auto& [key, seg] : ts.segments) SIYU_RETURN_IF_ERROR(visit(key));
    ts.order = std::move(order);
    return Status::Ok();
}

Roaring SegmentEngine::Impl::Recompute(int64_t tenant_id, TenantState& ts, Segment& s, const Events* ev, Eval& x,
                                       std::vector<MembershipChange>* changes) {
    x.leaves.clear();
    Roaring next = x.Bulk(*s.rule, ts.alive);
    next.runOptimize();
    Roaring moved = (next - s.members) | (s.members - next);
    if (changes != nullptr && ev != nullptr) {
        for (uint32_t c : next - s.members) {
            changes->push_back({tenant_id, s.key, ev->ids[c], true, x.now});
        }
        for (uint32_t c : s.members - next) {
            changes->push_back({tenant_id, s.key, ev->ids[c], false, x.now});
        }
    }
    s.members = std::move(next);
    s.horizons = {};
    if (!s.time_dependent) return moved;
    Roaring relevant;
    bool everyone = false;
    x.Relevant(*s.rule, &relevant, &everyone);
    const Roaring& scan = everyone ? ts.alive : relevant;
    for (uint32_t c : scan) {
        if (!ts.alive.contains(c)) continue;
        TimeMs h = kNever;
        x.Match(*s.rule, c, &h);
        if (h != kNever) s.horizons.emplace(h, c);
    }
    return moved;
}

void SegmentEngine::Impl::UpdateCustomer(int64_t tenant_id, TenantState& ts, const Events* ev, Eval& x, uint32_t c,
                                         std::vector<MembershipChange>* changes) {
    bool alive = ts.alive.contains(c);
    for (int64_t key : ts.order) {
        Segment& s = ts.segments.at(key);
        TimeMs h = kNever;
        bool now_in = alive && x.Match(*s.rule, c, &h);
        bool was_in = s.members.contains(c);
        if (now_in != was_in) {
            if (now_in) {
                s.members.add(c);
            } else {
                s.members.remove(c);
            }
            if (ev != nullptr && c < ev->ids.size()) changes->push_back({tenant_id, key, ev->ids[c], now_in, x.now});
        }
        if (s.time_dependent && h != kNever) s.horizons.emplace(h, c);
    }
}

Roaring SegmentEngine::Impl::Visible(int64_t tenant_id, const TenantState& ts,
                                     const std::vector<int64_t>& stores) const {
    std::unordered_set<int64_t> allowed;
    for (int64_t id : stores) {
        allowed.insert(id);
        if (subtree) {
            for (int64_t s : subtree(tenant_id, id)) allowed.insert(s);
        }
    }
    std::vector<uint32_t> hits;
    for (uint32_t c = 0; c < ts.store.size(); ++c) {
        if (ts.store[c] != 0 && allowed.count(ts.store[c])) hits.push_back(c);
    }
    Roaring r;
    r.addMany(hits.size(), hits.data());
    return r;
}

void SegmentEngine::Impl::Smallest(const Roaring& b, const Events* ev, int64_t after_id, size_t limit,
                                   std::vector<int64_t>* out) {
    if (ev == nullptr || limit == 0) return;
    std::priority_queue<int64_t> heap;  // the `limit` smallest ids above after_id
    for (uint32_t c : b) {
        if (c >= ev->ids.size()) continue;
        int64_t id = ev->ids[c];
        if (id <= after_id) continue;
        if (heap.size() < limit) {
            heap.push(id);
        } else if (id < heap.top()) {
            heap.pop();
            heap.push(id);
        }
    }
    out->resize(heap.size());
    for (size_t i = heap.size(); i-- > 0;) {
        (*out)[i] = heap.top();
        heap.pop();
    }
}

// ---------------------------------------------------------------------------------------------
// SegmentEngine

SegmentEngine::SegmentEngine(EventStore* events) : impl_(std::make_unique<Impl>(events)) {}
SegmentEngine::~SegmentEngine() = default;

void SegmentEngine::SetChangeListener(ChangeListener listener) {
    std::unique_lock lock(impl_->mu);
    impl_->listener = std::move(listener);
}

void SegmentEngine::SetStoreSubtree(StoreSubtree subtree) {
    std::unique_lock lock(impl_->mu);
    impl_->subtree = std::move(subtree);
}

void SegmentEngine::SetThreads(int threads) {
    std::unique_lock lock(impl_->mu);
    impl_->threads = std::max(1, threads);
}

void SegmentEngine::SetClock(std::function<TimeMs()> clock) {
    std::unique_lock lock(impl_->mu);
    impl_->clock = std::move(clock);
}

void SegmentEngine::SetSettings(int64_t tenant_id, const SegmentSettings& settings) {
    std::unique_lock lock(impl_->mu);
    auto& ts = impl_->State(tenant_id);
    ts.settings = settings;
    ts.rfm.computed = false;
}

void SegmentEngine::UpsertProfiles(int64_t tenant_id, const std::vector<ProfileInput>& profiles) {
    std::vector<int64_t> ids;
    for (const auto& p : profiles) {
        ids.push_back(p.customer_id);
        if (p.merged_into) ids.push_back(*p.merged_into);
    }
    std::vector<uint32_t> dense = impl_->events->EnsureCustomers(tenant_id, ids);
    std::unique_lock lock(impl_->mu);
    auto& ts = impl_->State(tenant_id);
    thread_local simdjson::dom::parser parser;
    size_t k = 0;
    for (const auto& p : profiles) {
        uint32_t c = dense[k++];
        std::optional<uint32_t> into;
        if (p.merged_into) into = dense[k++];
        ts.Grow(c);
        ts.created_at[c] = p.created_at;
        ts.store[c] = p.store_id.value_or(0);
        auto set = [&](const char* field, const std::string& v) { ts.columns[field].Set(c, v, !v.empty()); };
        set("name", p.name);
        set("phone", p.phone);
        set("email", p.email);
        set("gender", p.gender == "unknown" ? std::string() : p.gender);
        set("birthday", p.birthday);
        set("member_no", p.member_no);
        // Custom traits: every key present before is cleared, then the current ones set.
        for (auto& [key, col] : ts.columns) {
            if (!IsBuiltinColumn(key) && col.Code(c) != 0) col.Set(c, {}, false);
        }
        simdjson::dom::object traits;
        if (p.traits.size() > 2 && parser.parse(p.traits).get(traits) == simdjson::SUCCESS) {
            for (auto [key, value] : traits) {
                if (IsBuiltinColumn(key) || key == "created_at" || key == "store_id") continue;
                std::string text;
                if (value.is_string()) {
                    text = std::string(std::string_view(value));
                } else if (value.is_int64()) {
                    text = std::to_string(int64_t(value));
                } else if (value.is_double()) {
                    text = simdjson::to_string(value);
                } else if (value.is_bool()) {
                    text = bool(value) ? "true" : "false";
                } else if (value.is_null()) {
                    continue;
                } else {
                    text = simdjson::minify(value);
                }
                ts.columns[std::string(key)].Set(c, text, true);
            }
        }
        for (auto& [type, b] : ts.identifiers) b.remove(c);
        for (const auto& type : p.identifier_types) ts.identifiers[type].add(c);
        // Merges: unlink from a previous parent, link to the new one.
        if (auto old = ts.parent.find(c); old != ts.parent.end() && (!into || *into != old->second)) {
            ts.dirty.push_back(ts.Survivor(old->second));  // loses c's events, tags and identifiers
            auto& siblings = ts.children[old->second];
            siblings.erase(std::remove(siblings.begin(), siblings.end(), c), siblings.end());
            if (siblings.empty()) {
                ts.children.erase(old->second);
                ts.has_members.remove(old->second);
            }
            ts.parent.erase(old);
            ts.merged.remove(c);
        }
        if (into && *into != c && !ts.parent.count(c)) {
            ts.parent[c] = *into;
            ts.children[*into].push_back(c);
            ts.has_members.add(*into);
            ts.merged.add(c);
        }
        if (!p.deleted && !into) {
            ts.alive.add(c);
        } else {
            ts.alive.remove(c);
        }
    }
}

void SegmentEngine::SetTags(int64_t tenant_id, int64_t customer_id, const std::vector<int64_t>& tag_ids) {
    uint32_t c = impl_->events->EnsureCustomers(tenant_id, {customer_id})[0];
    std::unique_lock lock(impl_->mu);
    auto& ts = impl_->State(tenant_id);
    for (auto& [tag, b] : ts.tags) b.remove(c);
    for (int64_t tag : tag_ids) ts.tags[tag].add(c);
}

void SegmentEngine::AddTag(int64_t tenant_id, int64_t customer_id, int64_t tag_id) {
    uint32_t c = impl_->events->EnsureCustomers(tenant_id, {customer_id})[0];
    std::unique_lock lock(impl_->mu);
    impl_->State(tenant_id).tags[tag_id].add(c);
}

void SegmentEngine::RemoveTag(int64_t tenant_id, int64_t customer_id, int64_t tag_id) {
    uint32_t c = impl_->events->EnsureCustomers(tenant_id, {customer_id})[0];
    std::unique_lock lock(impl_->mu);
    impl_->State(tenant_id).tags[tag_id].remove(c);
}

namespace {

// Behaviour filters can use only the properties the event index keeps.
Status CheckIndexable(const Node& n) {
    auto check = [](const std::vector<PropertyCondition>& where, const std::string& path) -> Status {
        for (size_t i = 0; i < where.size(); ++i) {
            if (!EventStore::IsIndexedProperty(where[i].property)) {
                return Status::InvalidArgument(path + ".where[" + std::to_string(i) + "].property",
                                               "'" + where[i].property +
                                                   "' is not indexed for filtering (amounts, identifiers and free "
                                                   "text such as order_id, price or url are not)");
            }
        }
        return Status::Ok();
    };
    SIYU_RETURN_IF_ERROR(check(n.where, n.path));
    SIYU_RETURN_IF_ERROR(check(n.then_where, n.path));
    for (const auto& child : n.children) SIYU_RETURN_IF_ERROR(CheckIndexable(*child));
    return Status::Ok();
}

}  // namespace

Status SegmentEngine::PutSegment(int64_t tenant_id, int64_t segment_id, NodePtr rule) {
    SIYU_RETURN_IF_ERROR(CheckIndexable(*rule));
    RuleRefs refs = CollectRefs(*rule);
    std::vector<MembershipChange> changes;
    {
        std::unique_lock lock(impl_->mu);
        auto& ts = impl_->State(tenant_id);
        int64_t key = segment_id;
        for (int64_t dep : refs.segment_ids) {
            if (dep != key && !ts.segments.count(dep)) {
                return Status::NotFound("segment " + std::to_string(dep) + " does not exist");
            }
        }
        Impl::Segment next;
        next.key = key;
        next.time_dependent = IsTimeDependent(*rule);
        next.uses_rfm = UsesRfm(*rule);
        next.deps = refs.segment_ids;
        for (int64_t tag : refs.tag_ids) {
            if (ts.segments.count(-tag) || tag == -key) next.deps.push_back(-tag);
        }
        next.rule = std::move(rule);
        std::optional<Impl::Segment> previous;
        if (auto it = ts.segments.find(key); it != ts.segments.end()) {
            previous = std::move(it->second);
            ts.segments.erase(it);
        }
        ts.segments.emplace(key, std::move(next));
        if (Status st = impl_->Order(ts); !st.ok()) {
            ts.segments.erase(key);
            if (previous) ts.segments.emplace(key, std::move(*previous));
            SIYU_RETURN_IF_ERROR(impl_->Order(ts));
            return st;
        }
        Impl::Segment& s = ts.segments.at(key);
        if (previous) s.members = std::move(previous->members);
        impl_->events->ReadTenant(tenant_id, [&](const EventStore::Tenant* ev) {
            auto x = impl_->MakeEval(tenant_id, ts, ev);
            if (s.uses_rfm && !ts.rfm.computed) impl_->ComputeRfm(ts, ev, x);
            impl_->Recompute(tenant_id, ts, s, ev, x, previous ? &changes : nullptr);
            return 0;
        });
    }
    impl_->Emit(std::move(changes));
    return Status::Ok();
}

Status SegmentEngine::PutRuleTag(int64_t tenant_id, int64_t tag_id, NodePtr rule) {
    return PutSegment(tenant_id, -tag_id, std::move(rule));
}

void SegmentEngine::RemoveSegment(int64_t tenant_id, int64_t segment_id) {
    std::unique_lock lock(impl_->mu);
    auto& ts = impl_->State(tenant_id);
    ts.segments.erase(segment_id);
    (void)impl_->Order(ts);
}

void SegmentEngine::RemoveRuleTag(int64_t tenant_id, int64_t tag_id) { RemoveSegment(tenant_id, -tag_id); }

void SegmentEngine::Touch(int64_t tenant_id, const std::vector<int64_t>& customer_ids) {
    std::vector<uint32_t> dense = impl_->events->EnsureCustomers(tenant_id, customer_ids);
    std::vector<MembershipChange> changes;
    {
        std::unique_lock lock(impl_->mu);
        auto& ts = impl_->State(tenant_id);
        if (ts.order.empty()) return;
        std::vector<uint32_t> todo;
        todo.swap(ts.dirty);
        for (uint32_t c : dense) {
            todo.push_back(c);
            uint32_t s = ts.Survivor(c);
            if (s != c) todo.push_back(s);
            if (ts.has_members.contains(c)) {
                std::vector<uint32_t> family;
                ts.Family(c, &family);
                todo.insert(todo.end(), family.begin() + 1, family.end());
            }
        }
        std::sort(todo.begin(), todo.end());
        todo.erase(std::unique(todo.begin(), todo.end()), todo.end());
        impl_->events->ReadTenant(tenant_id, [&](const EventStore::Tenant* ev) {
            auto x = impl_->MakeEval(tenant_id, ts, ev);
            if (!ts.rfm.computed) impl_->ComputeRfm(ts, ev, x);
            for (uint32_t c : todo) {
                impl_->UpdateRfmClass(ts, x, c);
                impl_->UpdateCustomer(tenant_id, ts, ev, x, c, &changes);
            }
            return 0;
        });
    }
    impl_->Emit(std::move(changes));
}

void SegmentEngine::Refresh() {
    std::vector<MembershipChange> changes;
    {
        std::unique_lock lock(impl_->mu);
        for (auto& [tenant_id, ts] : impl_->tenants) {
            impl_->events->ReadTenant(tenant_id, [&](const EventStore::Tenant* ev) {
                auto x = impl_->MakeEval(tenant_id, ts, ev);
                // RFM thresholds and classes move with the tenant's customers and with time:
                // recomputed on every refresh, and the segments that use them re-evaluated in
                // full when a class changed (then every segment for the customers that moved).
                bool rfm_moved = impl_->ComputeRfm(ts, ev, x);
                std::vector<uint32_t> due;
                for (int64_t key : ts.order) {
                    Impl::Segment& s = ts.segments.at(key);
                    if (rfm_moved && s.uses_rfm) {
                        Roaring moved = impl_->Recompute(tenant_id, ts, s, ev, x, &changes);
                        for (uint32_t c : moved) due.push_back(c);
                        continue;
                    }
                    while (!s.horizons.empty() && s.horizons.top().first <= x.now) {
                        due.push_back(s.horizons.top().second);
                        s.horizons.pop();
                    }
                }
                std::sort(due.begin(), due.end());
                due.erase(std::unique(due.begin(), due.end()), due.end());
                x.leaves.clear();
                for (uint32_t c : due) impl_->UpdateCustomer(tenant_id, ts, ev, x, c, &changes);
                return 0;
            });
        }
    }
    impl_->Emit(std::move(changes));
}

Result<SegmentEngine::Selection> SegmentEngine::Preview(int64_t tenant_id, const Node& rule, size_t sample_size,
                                                        const std::vector<int64_t>* visible_stores) {
    SIYU_RETURN_IF_ERROR(CheckIndexable(rule));
    RuleRefs refs = CollectRefs(rule);
    {
        std::unique_lock lock(impl_->mu);  // RFM thresholds may need computing
        auto& ts = impl_->State(tenant_id);
        for (int64_t dep : refs.segment_ids) {
            if (!ts.segments.count(dep)) return Status::NotFound("segment " + std::to_string(dep) + " does not exist");
        }
        if (UsesRfm(rule) && !ts.rfm.computed) {
            impl_->events->ReadTenant(tenant_id, [&](const EventStore::Tenant* ev) {
                auto x = impl_->MakeEval(tenant_id, ts, ev);
                impl_->ComputeRfm(ts, ev, x);
                return 0;
            });
        }
    }
    std::shared_lock lock(impl_->mu);
    const auto& ts = impl_->tenants.at(tenant_id);
    return impl_->events->ReadTenant(tenant_id, [&](const EventStore::Tenant* ev) {
        auto x = impl_->MakeEval(tenant_id, ts, ev);
        Roaring universe = ts.alive;
        if (visible_stores != nullptr) universe &= impl_->Visible(tenant_id, ts, *visible_stores);
        Roaring hits = x.Bulk(rule, universe);
        Selection out;
        out.count = static_cast<int64_t>(hits.cardinality());
        Impl::Smallest(hits, ev, 0, sample_size, &out.sample);
        return out;
    });
}

Result<SegmentEngine::Selection> SegmentEngine::Members(int64_t tenant_id, int64_t segment_id, int64_t after_id,
                                                        size_t limit, const std::vector<int64_t>* visible_stores) {
    std::shared_lock lock(impl_->mu);
    auto t = impl_->tenants.find(tenant_id);
    if (t == impl_->tenants.end() || !t->second.segments.count(segment_id)) {
        return Status::NotFound("segment " + std::to_string(segment_id) + " is not loaded");
    }
    const auto& ts = t->second;
    Roaring members = ts.segments.at(segment_id).members;
    if (visible_stores != nullptr) members &= impl_->Visible(tenant_id, ts, *visible_stores);
    return impl_->events->ReadTenant(tenant_id, [&](const EventStore::Tenant* ev) {
        Selection out;
        out.count = static_cast<int64_t>(members.cardinality());
        Impl::Smallest(members, ev, after_id, limit, &out.sample);
        return out;
    });
}

std::optional<int64_t> SegmentEngine::Size(int64_t tenant_id, int64_t segment_id) const {
    std::shared_lock lock(impl_->mu);
    auto t = impl_->tenants.find(tenant_id);
    if (t == impl_->tenants.end()) return std::nullopt;
    auto s = t->second.segments.find(segment_id);
    if (s == t->second.segments.end()) return std::nullopt;
    return static_cast<int64_t>(s->second.members.cardinality());
}

std::vector<int64_t> SegmentEngine::SegmentsOf(int64_t tenant_id, int64_t customer_id) const {
    std::vector<int64_t> out;
    std::shared_lock lock(impl_->mu);
    auto t = impl_->tenants.find(tenant_id);
    if (t == impl_->tenants.end()) return out;
    impl_->events->ReadTenant(tenant_id, [&](const EventStore::Tenant* ev) {
        if (ev == nullptr) return 0;
        uint32_t c = ev->customer_index.Find(customer_id);
        if (c == CustomerIndex::kMissing) return 0;
        c = t->second.Survivor(c);
        for (const auto& [key, s] : t->second.segments) {
            if (s.members.contains(c)) out.push_back(key);
        }
        return 0;
    });
    return out;
}

std::vector<int64_t> SegmentEngine::RuleTagsOf(int64_t tenant_id, int64_t customer_id) const {
    std::vector<int64_t> out;
    for (int64_t key : SegmentsOf(tenant_id, customer_id)) {
        if (key < 0) out.push_back(-key);
    }
    std::sort(out.begin(), out.end());
    return out;
}

std::vector<int64_t> SegmentEngine::EvaluateFromScratch(int64_t tenant_id, int64_t segment_id) {
    std::vector<int64_t> out;
    std::shared_lock lock(impl_->mu);
    auto t = impl_->tenants.find(tenant_id);
    if (t == impl_->tenants.end() || !t->second.segments.count(segment_id)) return out;
    const auto& ts = t->second;
    impl_->events->ReadTenant(tenant_id, [&](const EventStore::Tenant* ev) {
        std::unordered_map<int64_t, Roaring> scratch;
        auto x = impl_->MakeEval(tenant_id, ts, ev);
        x.scratch = &scratch;
        // Only the target and what it reads, transitively.
        std::unordered_set<int64_t> needed = {segment_id};
        for (auto it = ts.order.rbegin(); it != ts.order.rend(); ++it) {
            if (!needed.count(*it)) continue;
            for (int64_t dep : ts.segments.at(*it).deps) needed.insert(dep);
        }
        for (int64_t key : ts.order) {
            if (!needed.count(key)) continue;
            x.leaves.clear();
            scratch[key] = x.Bulk(*ts.segments.at(key).rule, ts.alive);
            if (key == segment_id) break;
        }
        if (ev == nullptr) return 0;
        for (uint32_t c : scratch[segment_id]) out.push_back(ev->ids[c]);
        return 0;
    });
    std::sort(out.begin(), out.end());
    return out;
}

std::optional<RfmScore> SegmentEngine::Rfm(int64_t tenant_id, int64_t customer_id) {
    std::unique_lock lock(impl_->mu);
    auto& ts = impl_->State(tenant_id);
    return impl_->events->ReadTenant(tenant_id, [&](const EventStore::Tenant* ev) -> std::optional<RfmScore> {
        if (ev == nullptr) return std::nullopt;
        uint32_t c = ev->customer_index.Find(customer_id);
        if (c == CustomerIndex::kMissing) return std::nullopt;
        c = ts.Survivor(c);
        auto x = impl_->MakeEval(tenant_id, ts, ev);
        if (!ts.rfm.computed) impl_->ComputeRfm(ts, ev, x);
        RfmScore score = x.ScoreOf(c, nullptr);
        score.rfm_class = c < ts.rfm_class.size() ? ts.rfm_class[c] : -1;
        return score;
    });
}

RfmSummary SegmentEngine::RfmSummaryOf(int64_t tenant_id) {
    RfmSummary out;
    std::unique_lock lock(impl_->mu);
    auto& ts = impl_->State(tenant_id);
    impl_->events->ReadTenant(tenant_id, [&](const EventStore::Tenant* ev) {
        auto x = impl_->MakeEval(tenant_id, ts, ev);
        if (!ts.rfm.computed) impl_->ComputeRfm(ts, ev, x);
        out.recency_threshold = ts.rfm.recency;
        out.frequency_threshold = ts.rfm.frequency;
        out.monetary_threshold = ts.rfm.monetary;
        Roaring buyers = x.NameCustomersBetween(ev != nullptr ? ev->NameId(ts.settings.order_event) : std::nullopt,
                                                x.now - ts.settings.rfm_period_days * kDayMs, kNever);
        for (uint32_t c : buyers) {
            RfmScore s = x.ScoreOf(c, nullptr);
            s.rfm_class = c < ts.rfm_class.size() ? ts.rfm_class[c] : -1;
            if (s.rfm_class < 0) continue;
            ++out.customers_with_orders;
            ++out.classes[s.rfm_class].customers;
            out.classes[s.rfm_class].monetary += s.monetary;
        }
        return 0;
    });
    return out;
}

int64_t SegmentEngine::MemoryBytes() const {
    std::shared_lock lock(impl_->mu);
    size_t n = 0;
    for (const auto& [id, ts] : impl_->tenants) {
        n += ts.created_at.capacity() * sizeof(TimeMs) + ts.store.capacity() * sizeof(int64_t);
        for (const auto& [key, col] : ts.columns) n += col.MemoryBytes();
        n += ts.alive.getSizeInBytes(false) + ts.merged.getSizeInBytes(false);
        for (const auto& [type, b] : ts.identifiers) n += b.getSizeInBytes(false);
        for (const auto& [tag, b] : ts.tags) n += b.getSizeInBytes(false);
        for (const auto& [key, s] : ts.segments) n += s.members.getSizeInBytes(false) + s.horizons.size() * 16;
        n += ts.parent.size() * 32 + ts.children.size() * 48;
    }
    return static_cast<int64_t>(n);
}

}  // namespace siyu::engine
