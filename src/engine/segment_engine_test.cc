#include "engine/segment_engine.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <sstream>

namespace siyu::engine {
namespace {

constexpr TimeMs kDay = 86'400'000;
constexpr int64_t kTenant = 1;
const TimeMs kNow = *ParseRfc3339("2026-11-22T04:00:00Z");

NodePtr Rule(const std::string& json) {
    auto r = ParseRule(json);
    EXPECT_TRUE(r.ok()) << json << ": " << r.status().ToString();
    return r.ok() ? std::move(*r) : std::make_unique<Node>();
}

std::vector<int64_t> Ids(SegmentEngine& seg, int64_t segment_id) {
    auto m = seg.Members(kTenant, segment_id, 0, 1'000'000);
    EXPECT_TRUE(m.ok());
    return m.ok() ? m->sample : std::vector<int64_t>{};
}

std::vector<int64_t> Query(SegmentEngine& seg, const std::string& json) {
    auto rule = Rule(json);
    auto r = seg.Preview(kTenant, *rule, 1'000'000);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? r->sample : std::vector<int64_t>{};
}

struct Fixture {
    EventStore events;
    SegmentEngine seg{&events};
    TimeMs now = kNow;
    std::vector<MembershipChange> changes;

    Fixture() {
        seg.SetClock([this] { return now; });
        seg.SetChangeListener(
            [this](const std::vector<MembershipChange>& c) { changes.insert(changes.end(), c.begin(), c.end()); });
    }
    void Customer(int64_t id, std::string traits = "{}", std::optional<int64_t> store = std::nullopt,
                  std::vector<std::string> identifiers = {}) {
        ProfileInput p;
        p.customer_id = id;
        p.created_at = now - 100 * kDay;
        p.store_id = store;
        p.traits = std::move(traits);
        p.identifier_types = std::move(identifiers);
        seg.UpsertProfiles(kTenant, {p});
        seg.Touch(kTenant, {id});
    }
    void Event(int64_t customer, const std::string& name, TimeMs ts, std::optional<int64_t> revenue = std::nullopt,
               const std::string& properties = "{}") {
        events.Append({{kTenant, customer, "track", name, ts, revenue, properties}});
        seg.Touch(kTenant, {customer});
    }
};

TEST(SegmentEngine, TagRulesUseBitmapsAndStayCurrentWhenTagsChange) {
    Fixture f;
    for (int id = 1; id <= 4; ++id) f.Customer(id);
    f.seg.SetTags(kTenant, 1, {10, 11});
    f.seg.SetTags(kTenant, 2, {10});
    f.seg.SetTags(kTenant, 3, {11});
    EXPECT_EQ(Query(f.seg, R"({"tag":"has","id":10})"), (std::vector<int64_t>{1, 2}));
    EXPECT_EQ(Query(f.seg, R"({"tag":"has_all","ids":[10,11]})"), (std::vector<int64_t>{1}));
    EXPECT_EQ(Query(f.seg, R"({"tag":"has_any","ids":[10,11]})"), (std::vector<int64_t>{1, 2, 3}));
    EXPECT_EQ(Query(f.seg, R"({"tag":"has_none","ids":[10,11]})"), (std::vector<int64_t>{4}));
    ASSERT_TRUE(f.seg.PutSegment(kTenant, 1, Rule(R"({"tag":"has","id":11})")).ok());
    EXPECT_EQ(Ids(f.seg, 1), (std::vector<int64_t>{1, 3}));
    f.seg.AddTag(kTenant, 4, 11);
    f.seg.Touch(kTenant, {4});
    EXPECT_EQ(Ids(f.seg, 1), (std::vector<int64_t>{1, 3, 4}));
    ASSERT_EQ(f.changes.size(), 1u);
    EXPECT_TRUE(f.changes[0].entered);
    EXPECT_EQ(f.changes[0].customer_id, 4);
}

TEST(SegmentEngine, EventCountInAWindowLeavesTheSegmentAsTimePasses) {
    Fixture f;
    f.Customer(1);
    f.Customer(2);
    ASSERT_TRUE(f.seg.PutSegment(kTenant, 7, Rule(R"({"event":"Order Completed","window":{"last_days":30}})")).ok());
    f.Event(1, "Order Completed", kNow - 29 * kDay, 19900);
    f.Event(2, "Order Completed", kNow - 5 * kDay, 100);
    EXPECT_EQ(Ids(f.seg, 7), (std::vector<int64_t>{1, 2}));
    f.now += 2 * kDay;
    f.seg.Refresh();
    EXPECT_EQ(Ids(f.seg, 7), (std::vector<int64_t>{2}));
    EXPECT_EQ(f.changes.back().customer_id, 1);
    EXPECT_FALSE(f.changes.back().entered);
}

TEST(SegmentEngine, SumOfRevenueIsWrittenInYuanAndComparedInFen) {
    Fixture f;
    f.Customer(1);
    f.Customer(2);
    f.Event(1, "Order Completed", kNow - kDay, 60000, R"({"category":"护肤"})");
    f.Event(1, "Order Completed", kNow - kDay, 50000, R"({"category":"彩妆"})");
    f.Event(2, "Order Completed", kNow - kDay, 120000, R"({"category":"护肤"})");
    EXPECT_EQ(
        Query(
            f.seg,
            R"({"event":"Order Completed","window":{"last_days":365},"aggregate":{"sum":"revenue","op":"gte","value":1000}})"),
        (std::vector<int64_t>{1, 2}));
    EXPECT_EQ(Query(f.seg, R"({"event":"Order Completed","where":[{"property":"category","op":"eq","value":"护肤"}],
                              "aggregate":{"sum":"revenue","op":"gte","value":1000}})"),
              (std::vector<int64_t>{2}));
}

TEST(SegmentEngine, EventsOfMergedCustomersCountForTheSurvivor) {
    Fixture f;
    f.Customer(1);
    f.Customer(2);
    ASSERT_TRUE(
        f.seg.PutSegment(kTenant, 1, Rule(R"({"event":"Order Completed","count":{"op":"gte","value":2}})")).ok());
    f.Event(1, "Order Completed", kNow - kDay, 100);
    f.Event(2, "Order Completed", kNow - kDay, 100);
    EXPECT_TRUE(Ids(f.seg, 1).empty());
    ProfileInput merged;
    merged.customer_id = 2;
    merged.merged_into = 1;
    f.seg.UpsertProfiles(kTenant, {merged});
    f.seg.Touch(kTenant, {2});
    EXPECT_EQ(Ids(f.seg, 1), (std::vector<int64_t>{1}));
    EXPECT_EQ(f.seg.EvaluateFromScratch(kTenant, 1), (std::vector<int64_t>{1}));
}

TEST(SegmentEngine, SegmentsReferringToEachOtherInACycleAreRejected) {
    Fixture f;
    f.Customer(1);
    ASSERT_TRUE(f.seg.PutSegment(kTenant, 1, Rule(R"({"all":true})")).ok());
    ASSERT_TRUE(f.seg.PutSegment(kTenant, 2, Rule(R"({"segment":"in","id":1})")).ok());
    Status st = f.seg.PutSegment(kTenant, 1, Rule(R"({"segment":"in","id":2})"));
    EXPECT_EQ(st.code(), StatusCode::kFailedPrecondition);
    EXPECT_EQ(Ids(f.seg, 1), (std::vector<int64_t>{1}));  // the old rule still holds
    EXPECT_EQ(f.seg.PutSegment(kTenant, 3, Rule(R"({"segment":"in","id":99})")).code(), StatusCode::kNotFound);
}

TEST(SegmentEngine, FiltersOnPropertiesTheIndexDoesNotKeepAreRejectedWithThePath) {
    Fixture f;
    Status st = f.seg.PutSegment(
        kTenant, 1,
        Rule(R"({"and":[{"event":"Order Completed","where":[{"property":"order_id","op":"eq","value":"x"}]}]})"));
    EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(st.field(), "rule.and[0].where[0].property");
}

TEST(SegmentEngine, RfmClassesSplitAtTheTenantMeans) {
    Fixture f;
    // 1: recent, frequent, big; 2: old, single, small; 3: recent single big.
    for (int id = 1; id <= 3; ++id) f.Customer(id);
    for (int i = 0; i < 4; ++i) f.Event(1, "Order Completed", kNow - (i + 1) * kDay, 100000);
    f.Event(2, "Order Completed", kNow - 300 * kDay, 1000);
    f.Event(3, "Order Completed", kNow - 2 * kDay, 300000);
    auto summary = f.seg.RfmSummaryOf(kTenant);
    EXPECT_EQ(summary.customers_with_orders, 3);
    EXPECT_EQ(f.seg.Rfm(kTenant, 1)->rfm_class, 0);  // 重要价值客户
    EXPECT_EQ(f.seg.Rfm(kTenant, 2)->rfm_class, 7);  // 一般挽留客户
    EXPECT_EQ(f.seg.Rfm(kTenant, 3)->rfm_class, 1);  // 重要发展客户
    EXPECT_EQ(Query(f.seg, R"({"rfm":"in","classes":["重要价值客户","一般挽留客户"]})"), (std::vector<int64_t>{1, 2}));
}

TEST(SegmentEngine, BirthdayWithinDaysUsesTheTenantsLocalCalendar) {
    Fixture f;
    f.now = *ParseRfc3339("2026-12-28T20:00:00Z");  // 2026-12-29 04:00 in Shanghai
    ProfileInput a, b;
    a.customer_id = 1;
    a.birthday = "1990-01-02";  // 4 days ahead, across the new year
    b.customer_id = 2;
    b.birthday = "1990-12-28";  // yesterday locally
    f.seg.UpsertProfiles(kTenant, {a, b});
    EXPECT_EQ(Query(f.seg, R"({"trait":"birthday","within_next_days":7})"), (std::vector<int64_t>{1}));
}

TEST(SegmentEngine, InNextDaysTakesTheDateItselfAndFollowsTheClock) {
    Fixture f;
    ASSERT_TRUE(f.seg.PutSegment(kTenant, 8, Rule(R"({"trait":"paid_member_until","in_next_days":7})")).ok());
    f.Customer(1, R"({"paid_member_until":"2026-11-25T16:00:00.000Z"})");  // in 3.5 days
    f.Customer(2, R"({"paid_member_until":"2026-12-09T16:00:00.000Z"})");  // in 17.5 days
    f.Customer(3, R"({"paid_member_until":"2026-11-20T16:00:00.000Z"})");  // already past
    f.Customer(4, R"({"paid_member_until":"2025-11-26T16:00:00.000Z"})");  // a year ago: no anniversary
    f.Customer(5);
    EXPECT_EQ(Ids(f.seg, 8), (std::vector<int64_t>{1}));
    EXPECT_EQ(Query(f.seg, R"({"trait":"paid_member_until","in_next_days":30})"), (std::vector<int64_t>{1, 2}));
    f.now += 4 * kDay;  // 1 has passed its date; 2 is 13.5 days away
    f.seg.Refresh();
    EXPECT_EQ(Ids(f.seg, 8), (std::vector<int64_t>{}));
    f.now += 7 * kDay;  // 2 is 6.5 days away
    f.seg.Refresh();
    EXPECT_EQ(Ids(f.seg, 8), (std::vector<int64_t>{2}));
    ASSERT_FALSE(f.changes.empty());
    EXPECT_EQ(f.changes.back().customer_id, 2);
    EXPECT_TRUE(f.changes.back().entered);
    // A renewal moves the date out of the window at once.
    f.Customer(2, R"({"paid_member_until":"2027-12-09T16:00:00.000Z"})");
    EXPECT_EQ(Ids(f.seg, 8), (std::vector<int64_t>{}));
}

TEST(SegmentEngine, StoreScopedPreviewsCountOnlyVisibleStores) {
    Fixture f;
    f.seg.SetStoreSubtree([](int64_t, int64_t store) {
        return store == 100 ? std::vector<int64_t>{101, 102} : std::vector<int64_t>{};
    });
    f.Customer(1, "{}", 101);
    f.Customer(2, "{}", 102);
    f.Customer(3, "{}", 200);
    std::vector<int64_t> region = {100};
    auto rule = Rule(R"({"all":true})");
    auto r = f.seg.Preview(kTenant, *rule, 10, &region);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->count, 2);
    EXPECT_EQ(Query(f.seg, R"({"store":"in","ids":[100]})"), (std::vector<int64_t>{1, 2}));
}

TEST(SegmentEngine, ParallelEvaluationOfLargeCandidateSetsMatchesTheSerialOne) {
    Fixture f;
    std::vector<ProfileInput> profiles;
    std::vector<EventInput> events;
    std::vector<std::string> props = {R"({"category":"护肤"})", R"({"category":"彩妆"})"};
    for (int id = 1; id <= 30'000; ++id) {
        ProfileInput p;
        p.customer_id = id;
        p.created_at = kNow - 400 * kDay;
        p.traits = id % 3 == 0 ? R"({"city":"上海"})" : R"({"city":"北京"})";
        profiles.push_back(p);
        for (int e = 0; e < id % 5; ++e) {
            events.push_back(
                {kTenant, id, "track", "Order Completed", kNow - (id % 40 + e) * kDay, 1000 * e, props[e % 2]});
        }
    }
    f.events.Append(events);
    f.seg.UpsertProfiles(kTenant, profiles);
    auto rule = Rule(
        R"({"or":[{"and":[{"trait":"city","op":"eq","value":"上海"},{"event":"Order Completed","window":{"last_days":20}}]},
                              {"event":"Order Completed","where":[{"property":"category","op":"eq","value":"彩妆"}],"count":{"op":"gte","value":2}}]})");
    f.seg.SetThreads(1);
    auto serial = f.seg.Preview(kTenant, *rule, 50);
    f.seg.SetThreads(4);
    auto parallel = f.seg.Preview(kTenant, *rule, 50);
    ASSERT_TRUE(serial.ok() && parallel.ok());
    EXPECT_GT(serial->count, 5'000);
    EXPECT_EQ(serial->count, parallel->count);
    EXPECT_EQ(serial->sample, parallel->sample);
}

// ---------------------------------------------------------------------------------------------
// Property: after every step of a random stream of events, profile and tag changes, merges and
// clock advances, the incrementally maintained membership of every segment equals a
// from-scratch evaluation.

const char* const kRules[] = {
    R"({"tag":"has","id":1})",
    R"({"and":[{"tag":"has_any","ids":[1,2]},{"trait":"city","op":"eq","value":"上海"}]})",
    R"({"event":"Order Completed","window":{"last_days":10}})",
    R"({"event":"Order Completed","window":{"last_days":20},"count":{"op":"gte","value":2}})",
    R"({"event":"Order Completed","where":[{"property":"category","op":"eq","value":"护肤"}],"aggregate":{"sum":"revenue","op":"gte","value":300}})",
    R"({"event":"Product Viewed","did":false,"window":{"last_hours":72}})",
    R"({"and":[{"event":"Product Viewed"},{"not":{"sequence":[{"event":"Product Viewed"},{"event":"Order Completed"}],"within_days":3}}]})",
    R"({"event":"Order Completed","first":"after","at":{"days_ago":15}})",
    R"({"event":"Order Completed","last":"before","at":{"days_ago":5}})",
    R"({"rfm":"in","classes":["important_value","general_retain"]})",
    R"({"lifecycle":"in","values":["dormant","first_purchase"]})",
    R"({"attribute":"order_count","op":"gte","value":3})",
    R"({"trait":"birthday","within_next_days":5})",
    R"({"or":[{"segment":"in","id":3},{"tag":"has","id":3}]})",
    R"({"and":[{"segment":"not_in","id":14},{"identifier":"exists","type":"phone"}]})",
    R"({"tag":"has","id":9})",  // 9 is a rule tag
    R"({"and":[{"store":"in","ids":[1]},{"trait":"created_at","more_than_days_ago":12}]})",
    R"({"event":"Order Completed","window":{"last_days":30},"aggregate":{"max":"revenue","op":"gt","value":150}})",
    R"({"or":[{"segment":"in","id":10},{"segment":"in","id":11}]})",  // over the RFM and lifecycle segments
    R"({"trait":"until","in_next_days":3})",
};

// A city and an `until` date spread over the days around `now` (for in_next_days).
std::string CityAndUntil(const char* city, int64_t id, TimeMs now) {
    return std::string(R"({"city":")") + city + R"(","until":")" +
           FormatRfc3339(now + (id % 12) * kDay - 2 * kDay + (id % 5) * 3'600'000LL) + "\"}";
}

TEST(SegmentEnginePropertyTest, IncrementalMembershipEqualsFromScratchAfterEveryStep) {
    const char* names[] = {"Order Completed", "Product Viewed", "Page Viewed"};
    const char* cities[] = {"上海", "北京", "杭州"};
    const char* categories[] = {"护肤", "彩妆"};
    // SIYU_PROPERTY_SEEDS=N runs more seeds than the default.
    const char* env = std::getenv("SIYU_PROPERTY_SEEDS");
    const uint32_t seeds = env != nullptr ? static_cast<uint32_t>(std::atoi(env)) : 6;
    for (uint32_t seed = 1; seed <= seeds; ++seed) {
        std::mt19937 rng(seed);
        auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<uint32_t>(n)); };
        Fixture f;
        constexpr int kCustomers = 24;
        std::map<int64_t, ProfileInput> profiles;
        for (int id = 1; id <= kCustomers; ++id) {
            ProfileInput p;
            p.customer_id = id;
            p.created_at = f.now - pick(30) * kDay;
            p.store_id = 1 + pick(2);
            p.traits = CityAndUntil(cities[pick(3)], id, f.now);
            if (pick(2)) p.identifier_types.push_back("phone");
            if (pick(3) == 0) p.birthday = "1990-11-" + std::to_string(20 + pick(9));
            profiles[id] = p;
        }
        for (auto& [id, p] : profiles) f.seg.UpsertProfiles(kTenant, {p});
        ASSERT_TRUE(f.seg.PutRuleTag(kTenant, 9, Rule(R"({"event":"Order Completed","window":{"last_days":7}})")).ok());
        int64_t segment_id = 1;
        for (const char* r : kRules) {
            Status st = f.seg.PutSegment(kTenant, segment_id++, Rule(r));
            ASSERT_TRUE(st.ok()) << r << ": " << st.ToString();
        }
        for (int step = 0; step < 150; ++step) {
            int action = pick(10);
            int64_t c = 1 + pick(kCustomers);
            std::string what;
            if (action <= 4) {
                const char* name = names[pick(3)];
                std::string props = std::string(R"({"category":")") + categories[pick(2)] + "\"}";
                std::optional<int64_t> revenue;
                if (std::string(name) == "Order Completed") revenue = 1000 * (1 + pick(40));
                f.events.Append({{kTenant, c, "track", name, f.now - pick(25 * 24) * 3'600'000LL, revenue, props}});
                f.seg.Touch(kTenant, {c});
                what = "event";
            } else if (action == 5) {
                f.seg.AddTag(kTenant, c, 1 + pick(3));
                f.seg.Touch(kTenant, {c});
                what = "tag";
            } else if (action == 6) {
                f.seg.RemoveTag(kTenant, c, 1 + pick(3));
                f.seg.Touch(kTenant, {c});
                what = "untag";
            } else if (action == 7) {
                ProfileInput& p = profiles[c];
                p.traits = CityAndUntil(cities[pick(3)], c, kNow);
                f.seg.UpsertProfiles(kTenant, {p});
                f.seg.Touch(kTenant, {c});
                what = "trait";
            } else if (action == 8) {
                // Merge c into another live customer, or undo an earlier merge.
                ProfileInput& p = profiles[c];
                if (p.merged_into) {
                    p.merged_into.reset();
                } else {
                    int64_t into = 1 + pick(kCustomers);
                    bool ok = into != c && !profiles[into].merged_into;
                    for (auto& [id, q] : profiles) ok = ok && q.merged_into != c;
                    if (ok) p.merged_into = into;
                }
                f.seg.UpsertProfiles(kTenant, {p});
                f.seg.Touch(kTenant, {c});
                what = "merge";
            } else {
                f.now += (1 + pick(60)) * 3'600'000LL;
                f.seg.Refresh();
                what = "advance";
            }
            for (int64_t s = 1; s < segment_id; ++s) {
                ASSERT_EQ(Ids(f.seg, s), f.seg.EvaluateFromScratch(kTenant, s))
                    << "seed " << seed << " step " << step << " (" << what << ") segment " << s << ": "
                    << kRules[s - 1];
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Declarative cases: tests/segments/*.test (format in tests/segments/README.md).

std::vector<std::string> Tokens(const std::string& line) {
    std::vector<std::string> out;
    size_t i = 0;
    while (i < line.size()) {
        if (line[i] == ' ') {
            ++i;
            continue;
        }
        if (line[i] == '{') {  // a JSON rule runs to the end of the line
            out.push_back(line.substr(i));
            break;
        }
        std::string tok;
        if (line[i] == '"') {
            size_t end = line.find('"', i + 1);
            tok = line.substr(i + 1, end - i - 1);
            i = end + 1;
        } else {
            size_t end = line.find(' ', i);
            if (end == std::string::npos) end = line.size();
            tok = line.substr(i, end - i);
            i = end;
        }
        out.push_back(tok);
    }
    return out;
}

// "2026-11-01T10:00:00Z", or "-3d" / "-5h" before now.
TimeMs TimeOf(const std::string& text, TimeMs now) {
    if (!text.empty() && text[0] == '-') {
        int64_t n = std::stoll(text.substr(1, text.size() - 2));
        return now - n * (text.back() == 'd' ? kDay : 3'600'000LL);
    }
    auto t = ParseRfc3339(text);
    EXPECT_TRUE(t.has_value()) << text;
    return t.value_or(0);
}

std::vector<int64_t> IdList(const std::vector<std::string>& tokens, size_t from) {
    std::vector<int64_t> out;
    for (size_t i = from; i < tokens.size(); ++i) {
        if (tokens[i] != "none") out.push_back(std::stoll(tokens[i]));
    }
    std::sort(out.begin(), out.end());
    return out;
}

void RunCaseFile(const std::filesystem::path& path) {
    Fixture f;
    std::map<int64_t, std::vector<int64_t>> store_children;
    f.seg.SetStoreSubtree([&](int64_t, int64_t store) {
        std::vector<int64_t> out, todo = {store};
        while (!todo.empty()) {
            int64_t s = todo.back();
            todo.pop_back();
            for (int64_t child : store_children[s]) {
                out.push_back(child);
                todo.push_back(child);
            }
        }
        return out;
    });
    std::ifstream in(path);
    std::string line;
    int line_no = 0;
    std::vector<int64_t> last;
    std::string last_query;
    while (std::getline(in, line)) {
        ++line_no;
        if (line.empty() || line[0] == '#') continue;
        auto t = Tokens(line);
        std::string where = path.filename().string() + ":" + std::to_string(line_no);
        if (t[0] == "now") {
            f.now = TimeOf(t[1], f.now);
        } else if (t[0] == "store") {  // store CHILD parent PARENT
            store_children[std::stoll(t[3])].push_back(std::stoll(t[1]));
        } else if (t[0] == "customer") {
            ProfileInput p;
            p.customer_id = std::stoll(t[1]);
            p.created_at = f.now - 365 * kDay;
            std::string traits = "{";
            std::vector<int64_t> tags;
            for (size_t i = 2; i < t.size(); ++i) {
                size_t eq = t[i].find('=');
                std::string k = t[i].substr(0, eq), v = eq == std::string::npos ? "" : t[i].substr(eq + 1);
                if (k == "created") p.created_at = TimeOf(v, f.now);
                if (k == "store") p.store_id = std::stoll(v);
                if (k == "birthday") p.birthday = v;
                if (k == "phone") p.phone = v;
                if (k == "gender") p.gender = v;
                if (k == "member_no") p.member_no = v;
                if (k == "merged_into") p.merged_into = std::stoll(v);
                if (k == "deleted") p.deleted = true;
                if (k == "ids") {
                    std::stringstream ss(v);
                    for (std::string type; std::getline(ss, type, ',');) p.identifier_types.push_back(type);
                }
                if (k == "tags") {
                    std::stringstream ss(v);
                    for (std::string tag; std::getline(ss, tag, ',');) tags.push_back(std::stoll(tag));
                }
                if (k.rfind("trait.", 0) == 0) {
                    if (traits.size() > 1) traits += ",";
                    traits += "\"" + k.substr(6) + "\":\"" + v + "\"";
                }
            }
            p.traits = traits + "}";
            f.seg.UpsertProfiles(kTenant, {p});
            f.seg.SetTags(kTenant, p.customer_id, tags);
            f.seg.Touch(kTenant, {p.customer_id});
        } else if (t[0] == "event") {  // event CUSTOMER TIME "NAME" [revenue=YUAN] [key=value ...]
            std::optional<int64_t> revenue;
            std::string props = "{";
            for (size_t i = 4; i < t.size(); ++i) {
                size_t eq = t[i].find('=');
                std::string k = t[i].substr(0, eq), v = t[i].substr(eq + 1);
                if (k == "revenue") {
                    revenue = std::llround(std::stod(v) * 100);
                    continue;
                }
                if (props.size() > 1) props += ",";
                props += "\"" + k + "\":\"" + v + "\"";
            }
            f.Event(std::stoll(t[1]), t[3], TimeOf(t[2], f.now), revenue, props + "}");
        } else if (t[0] == "segment") {
            Status st = f.seg.PutSegment(kTenant, std::stoll(t[1]), Rule(t[2]));
            ASSERT_TRUE(st.ok()) << where << ": " << st.ToString();
        } else if (t[0] == "ruletag") {
            Status st = f.seg.PutRuleTag(kTenant, std::stoll(t[1]), Rule(t[2]));
            ASSERT_TRUE(st.ok()) << where << ": " << st.ToString();
        } else if (t[0] == "advance") {
            f.now += f.now - TimeOf("-" + t[1], f.now);
            f.seg.Refresh();
        } else if (t[0] == "query") {
            last_query = t[1];
            last = Query(f.seg, t[1]);
        } else if (t[0] == "members") {  // members SEGMENT ids...
            int64_t id = std::stoll(t[1]);
            EXPECT_EQ(Ids(f.seg, id), IdList(t, 2)) << where;
            EXPECT_EQ(f.seg.EvaluateFromScratch(kTenant, id), IdList(t, 2)) << where << " (from scratch)";
        } else if (t[0] == "expect") {
            EXPECT_EQ(last, IdList(t, 1)) << where << ": " << last_query;
        } else {
            ADD_FAILURE() << where << ": unknown directive " << t[0];
        }
    }
}

TEST(SegmentCases, EveryCaseFileHoldsItsExpectations) {
    std::filesystem::path dir = std::filesystem::path(SIYU_SOURCE_DIR) / "tests" / "segments";
    int files = 0;
    for (const auto& entry : std::filesystem::directory_iterator(dir)) {
        if (entry.path().extension() != ".test") continue;
        SCOPED_TRACE(entry.path().filename().string());
        RunCaseFile(entry.path());
        ++files;
    }
    EXPECT_GE(files, 3);
}

}  // namespace
}  // namespace siyu::engine
