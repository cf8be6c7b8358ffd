// Segment benchmark, siyu side: loads a `siyu gen` data set into the engine (EventStore and
// SegmentEngine), then
//   1. runs every query of queries.json with Preview: one warm-up, then --runs timed runs;
//   2. saves --active segments (variations of the query set) and measures the incremental
//      update of all of them for one incoming event: Append + Touch for --updates customers;
//   3. checks each active segment's maintained size against a fresh Preview of its rule.
// Prints JSON lines on stdout (load, one per query, incremental, verify); progress on stderr.
// Usage: segment_bench --data DIR [--queries FILE] [--runs N] [--threads N] [--active N] [--updates N]

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "engine/event_store.h"
#include "engine/segment_engine.h"
#include "engine/segment_rule.h"

namespace {

using siyu::TimeMs;
using siyu::engine::EventInput;
using siyu::engine::EventStore;
using siyu::engine::ProfileInput;
using siyu::engine::SegmentEngine;
using Clock = std::chrono::steady_clock;
using Json = nlohmann::json;

constexpr TimeMs kDayMs = 86'400'000;

[[noreturn]] void Die(const std::string& message) {
    std::fprintf(stderr, "segment_bench: %s\n", message.c_str());
    std::exit(1);
}

double MsSince(Clock::time_point start) {
    return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

int64_t ResidentBytes() {
    std::ifstream status("/proc/self/status");
    std::string line;
    while (std::getline(status, line)) {
        if (line.rfind("VmRSS:", 0) == 0) return std::atoll(line.c_str() + 6) * 1024;
    }
    return 0;
}

void Note(const std::string& message) {
    std::fprintf(stderr, "segment_bench: %s\n", message.c_str());
    std::fflush(stderr);
}

// Reads a headed CSV file without quoting (as `siyu gen` writes it) a row at a time.
class CsvRows {
  public:
    explicit CsvRows(const std::string& path) : path_(path) {
        file_ = std::fopen(path.c_str(), "rb");
        if (file_ == nullptr) Die("cannot read " + path);
        buffer_.resize(kChunk);
        std::vector<std::string_view> header;
        if (!Next(&header)) Die(path + " is empty");
        columns_ = header.size();
    }
    ~CsvRows() { std::fclose(file_); }
    CsvRows(const CsvRows&) = delete;
    CsvRows& operator=(const CsvRows&) = delete;

    // The next row's fields, valid until the next call; false at the end.
    bool Next(std::vector<std::string_view>* fields) {
        size_t eol;
        while ((eol = FindEol()) == std::string::npos) {
            if (!Fill()) {
                if (start_ == end_) return false;
                eol = end_;  // a last line without a newline
                break;
            }
        }
        std::string_view line(buffer_.data() + start_, eol - start_);
        start_ = std::min(eol + 1, end_);
        fields->clear();
        size_t from = 0;
        while (true) {
            size_t comma = line.find(',', from);
            fields->push_back(
                line.substr(from, comma == std::string_view::npos ? std::string_view::npos : comma - from));
            if (comma == std::string_view::npos) break;
            from = comma + 1;
        }
        if (columns_ != 0 && fields->size() != columns_) Die(path_ + ": a row has the wrong number of fields");
        return true;
    }

  private:
    static constexpr size_t kChunk = 8 << 20;

    size_t FindEol() const {
        const void* p = std::memchr(buffer_.data() + start_, '\n', end_ - start_);
        return p == nullptr ? std::string::npos : static_cast<size_t>(static_cast<const char*>(p) - buffer_.data());
    }
    bool Fill() {
        std::memmove(buffer_.data(), buffer_.data() + start_, end_ - start_);
        end_ -= start_;
        start_ = 0;
        if (end_ == buffer_.size()) buffer_.resize(buffer_.size() * 2);
        size_t n = std::fread(buffer_.data() + end_, 1, buffer_.size() - end_, file_);
        end_ += n;
        return n > 0;
    }

    std::string path_;
    FILE* file_;
    std::vector<char> buffer_;
    size_t start_ = 0, end_ = 0;
    size_t columns_ = 0;
};

int64_t ToInt(std::string_view s) {
    int64_t v = 0;
    bool negative = !s.empty() && s[0] == '-';
    for (size_t i = negative ? 1 : 0; i < s.size(); ++i) v = v * 10 + (s[i] - '0');
    return negative ? -v : v;
}

std::string JsonString(std::string_view s) { return Json(std::string(s)).dump(); }

struct Options {
    std::string data;
    std::string queries;
    int runs = 5;
    int threads = 2;
    int active = 100;
    int updates = 2000;
};

Options ParseOptions(int argc, char** argv) {
    Options o;
    for (int i = 1; i < argc; ++i) {
        std::string arg = argv[i];
        auto value = [&]() -> std::string {
            if (i + 1 >= argc) Die(arg + " needs a value");
            return argv[++i];
        };
        if (arg == "--data") {
            o.data = value();
        } else if (arg == "--queries") {
            o.queries = value();
        } else if (arg == "--runs") {
            o.runs = std::max(1, std::atoi(value().c_str()));
        } else if (arg == "--threads") {
            o.threads = std::max(1, std::atoi(value().c_str()));
        } else if (arg == "--active") {
            o.active = std::max(0, std::atoi(value().c_str()));
        } else if (arg == "--updates") {
            o.updates = std::max(1, std::atoi(value().c_str()));
        } else {
            Die("unknown argument " + arg +
                "; usage: segment_bench --data DIR [--queries FILE] [--runs N] [--threads N] [--active N] [--updates "
                "N]");
        }
    }
    if (o.data.empty()) Die("--data DIR is required");
    if (o.queries.empty()) o.queries = "bench/segments/queries.json";
    return o;
}

Json ReadJson(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) Die("cannot read " + path);
    std::stringstream text;
    text << in.rdbuf();
    return Json::parse(text.str());
}

siyu::engine::NodePtr Parse(const std::string& rule, const std::string& what) {
    auto parsed = siyu::engine::ParseRule(rule);
    if (!parsed.ok()) Die(what + ": " + parsed.status().message());
    return std::move(parsed).value();
}

// --- Loading ---------------------------------------------------------------------------------

struct Loaded {
    int64_t customers = 0, events = 0, tagged = 0;
    std::vector<int64_t> customer_ids;
};

// Store id → itself and its descendants.
std::unordered_map<int64_t, std::vector<int64_t>> LoadStores(const std::string& dir) {
    std::map<int64_t, std::vector<int64_t>> children;
    std::vector<int64_t> ids;
    CsvRows rows(dir + "/stores.csv");
    std::vector<std::string_view> f;
    while (rows.Next(&f)) {
        ids.push_back(ToInt(f[0]));
        if (!f[1].empty()) children[ToInt(f[1])].push_back(ToInt(f[0]));
    }
    std::unordered_map<int64_t, std::vector<int64_t>> subtree;
    for (int64_t id : ids) {
        std::vector<int64_t> out{id};
        for (size_t i = 0; i < out.size(); ++i) {
            auto it = children.find(out[i]);
            if (it != children.end()) out.insert(out.end(), it->second.begin(), it->second.end());
        }
        subtree[id] = std::move(out);
    }
    return subtree;
}

void LoadCustomers(const std::string& dir, int64_t tenant, SegmentEngine& segments, Loaded* loaded) {
    CsvRows rows(dir + "/customers.csv");
    std::vector<std::string_view> f;
    std::vector<ProfileInput> batch;
    auto flush = [&] {
        segments.UpsertProfiles(tenant, batch);
        batch.clear();
    };
    while (rows.Next(&f)) {
        ProfileInput p;
        p.customer_id = ToInt(f[0]);
        p.created_at = ToInt(f[1]);
        if (!f[2].empty()) p.store_id = ToInt(f[2]);
        p.gender = std::string(f[3]);
        p.birthday = std::string(f[4]);
        p.traits = "{\"city\":" + JsonString(f[5]) + ",\"member_level\":" + JsonString(f[6]) + "}";
        p.identifier_types.emplace_back("user_id");
        if (f[7] == "1") p.identifier_types.emplace_back("phone");
        if (f[8] == "1") p.identifier_types.emplace_back("wecom_external_userid");
        loaded->customer_ids.push_back(p.customer_id);
        batch.push_back(std::move(p));
        if (batch.size() == 100'000) flush();
    }
    flush();
    loaded->customers = static_cast<int64_t>(loaded->customer_ids.size());
}

void LoadTags(const std::string& dir, int64_t tenant, SegmentEngine& segments, Loaded* loaded) {
    CsvRows rows(dir + "/customer_tags.csv");
    std::vector<std::string_view> f;
    int64_t current = 0;
    std::vector<int64_t> tags;
    auto flush = [&] {
        if (current == 0) return;
        segments.SetTags(tenant, current, tags);
        ++loaded->tagged;
        tags.clear();
    };
    while (rows.Next(&f)) {
        int64_t customer = ToInt(f[0]);
        if (customer != current) {
            flush();
            current = customer;
        }
        tags.push_back(ToInt(f[1]));
    }
    flush();
}

void LoadEvents(const std::string& dir, int64_t tenant, EventStore& store, Loaded* loaded) {
    CsvRows rows(dir + "/events.csv");
    std::vector<std::string_view> f;
    std::set<std::string, std::less<>> names;  // stable storage for the batch's name views
    std::vector<std::string> properties;
    std::vector<EventInput> batch;
    constexpr size_t kBatch = 500'000;
    properties.reserve(kBatch);
    batch.reserve(kBatch);
    auto started = Clock::now();
    auto flush = [&] {
        store.Append(batch);
        loaded->events += static_cast<int64_t>(batch.size());
        batch.clear();
        properties.clear();
    };
    int64_t next_note = 5'000'000;
    while (rows.Next(&f)) {
        auto name = names.find(f[2]);
        if (name == names.end()) name = names.emplace(f[2]).first;
        std::optional<int64_t> revenue;
        if (!f[5].empty()) revenue = ToInt(f[5]);
        std::string& props = properties.emplace_back();
        if (!f[3].empty()) {
            props.append("{\"category\":\"").append(f[3]).append("\",\"product_id\":").append(f[4]).append("}");
        }
        batch.push_back(EventInput{tenant, ToInt(f[0]), "track", *name, ToInt(f[1]), revenue, props});
        if (batch.size() == kBatch) {
            flush();
            if (loaded->events >= next_note) {
                next_note += 5'000'000;
                Note("appended " + std::to_string(loaded->events) + " events, " +
                     std::to_string(
                         static_cast<int64_t>(static_cast<double>(loaded->events) / MsSince(started) * 1000)) +
                     " events/s");
            }
        }
    }
    flush();
}

// --- Active segments -------------------------------------------------------------------------

// `n` saved segments for the incremental measurement: the query set's shapes, ten each, with
// other tags, windows, thresholds, categories, cities and stores.
std::vector<std::string> ActiveSegmentRules(int n) {
    static const char* const kCategories[] = {"护肤", "彩妆", "香水", "个护", "母婴"};
    static const char* const kCities[] = {"上海", "北京", "广州", "深圳", "杭州",
                                          "成都", "武汉", "南京", "重庆", "西安"};
    static const char* const kEvents[] = {"Page Viewed",     "Product Viewed",  "Product Added",
                                          "Order Completed", "Coupon Redeemed", "Group Joined"};
    static const char* const kLevels[] = {"普通会员", "银卡会员", "金卡会员", "钻石会员"};
    static const int kDays[] = {7, 14, 30, 60, 90, 180, 365};
    auto s = [](int64_t x) { return std::to_string(x); };
    auto q = [](const char* x) { return std::string("\"") + x + "\""; };
    std::vector<std::string> out;
    for (int i = 0; i < n; ++i) {
        int v = i / 10;
        std::string days = s(kDays[v % 7]);
        switch (i % 10) {
            case 0:
                out.push_back(R"({"and":[{"tag":"has","id":)" + s(1 + v % 40) + R"(},{"tag":"has_none","ids":[)" +
                              s(1 + (v * 7 + 3) % 40) + "]}]}");
                break;
            case 1:
                out.push_back(R"({"or":[{"tag":"has_all","ids":[)" + s(10 + v % 30) + "," + s(1 + v) +
                              R"(]},{"tag":"has","id":)" + s(40 - v) + "}]}");
                break;
            case 2:
                out.push_back(R"({"and":[{"trait":"city","op":"eq","value":)" + q(kCities[v % 10]) +
                              R"(},{"trait":"member_level","op":"eq","value":)" + q(kLevels[v % 4]) +
                              R"(},{"trait":"gender","op":"eq","value":)" + q(v % 2 ? "male" : "female") + "}]}");
                break;
            case 3:
                out.push_back(R"({"event":)" + q(kEvents[v % 6]) + R"(,"window":{"last_days":)" + days +
                              R"(},"count":{"op":"gte","value":)" + s(1 + v % 3) + "}}");
                break;
            case 4:
                out.push_back(R"({"event":"Order Completed","where":[{"property":"category","op":"eq","value":)" +
                              q(kCategories[v % 5]) + R"(}],"window":{"last_days":)" + days +
                              R"(},"aggregate":{"sum":"revenue","op":"gte","value":)" + s(200 * (1 + v % 5)) + "}}");
                break;
            case 5:
                out.push_back(R"({"and":[{"event":"Product Added","window":{"last_days":)" + days +
                              R"(}},{"not":{"sequence":[{"event":)" + q(v % 2 ? "Product Viewed" : "Product Added") +
                              R"(},{"event":"Order Completed"}],"within_days":)" + s(1 + v % 7) + "}}]}");
                break;
            case 6:
                out.push_back(R"({"rfm":"in","classes":[)" + q(siyu::engine::kRfmClasses[v % 8].code.data()) + "]}");
                break;
            case 7:
                out.push_back(R"({"event":"Order Completed","first":"after","at":{"days_ago":)" + days + "}}");
                break;
            case 8:
                out.push_back(R"({"and":[{"store":"in","ids":[)" + s(2 + v % 6) +
                              R"(]},{"identifier":"exists","type":)" + q(v % 2 ? "wecom" : "phone") + R"(},{"event":)" +
                              q(kEvents[(v + 2) % 6]) + R"(,"window":{"last_days":)" + days + "}}]}");
                break;
            default:
                out.push_back(R"({"and":[{"event":"Order Completed","count":{"op":"gte","value":)" + s(1 + v % 3) +
                              R"(}},{"event":"Order Completed","did":false,"window":{"last_days":)" + days +
                              R"(}},{"segment":"not_in","id":1}]})");
                break;
        }
    }
    return out;
}

double Percentile(std::vector<double> xs, double p) {
    if (xs.empty()) return 0;
    std::sort(xs.begin(), xs.end());
    size_t i = static_cast<size_t>(p * static_cast<double>(xs.size() - 1) + 0.5);
    return xs[std::min(i, xs.size() - 1)];
}

double Median(std::vector<double> xs) {
    std::sort(xs.begin(), xs.end());
    size_t n = xs.size();
    return n % 2 ? xs[n / 2] : (xs[n / 2 - 1] + xs[n / 2]) / 2;
}

double Round3(double x) { return static_cast<double>(static_cast<int64_t>(x * 1000 + 0.5)) / 1000; }

}  // namespace

int main(int argc, char** argv) {
    Options options = ParseOptions(argc, argv);
    Json meta = ReadJson(options.data + "/meta.json");
    Json query_set = ReadJson(options.queries);
    const int64_t tenant = meta.at("tenant_id").get<int64_t>();
    const TimeMs now = meta.at("now_ms").get<int64_t>();

    EventStore store;
    SegmentEngine segments(&store);
    segments.SetClock([now] { return now; });
    segments.SetThreads(options.threads);
    auto subtree = LoadStores(options.data);
    segments.SetStoreSubtree([subtree](int64_t, int64_t store_id) {
        auto it = subtree.find(store_id);
        return it == subtree.end() ? std::vector<int64_t>{store_id} : it->second;
    });
    segments.SetSettings(tenant, siyu::engine::SegmentSettings{});
    int64_t changes = 0;
    segments.SetChangeListener([&changes](const std::vector<siyu::engine::MembershipChange>& c) {
        changes += static_cast<int64_t>(c.size());
    });

    Loaded loaded;
    auto started = Clock::now();
    LoadCustomers(options.data, tenant, segments, &loaded);
    double profiles_ms = MsSince(started);
    Note("loaded " + std::to_string(loaded.customers) + " profiles");
    auto tags_started = Clock::now();
    LoadTags(options.data, tenant, segments, &loaded);
    double tags_ms = MsSince(tags_started);
    Note("loaded the tags of " + std::to_string(loaded.tagged) + " customers");
    auto events_started = Clock::now();
    LoadEvents(options.data, tenant, store, &loaded);
    double events_ms = MsSince(events_started);
    Note("loaded " + std::to_string(loaded.events) + " events");
    auto helpers_started = Clock::now();
    for (const Json& h : query_set.at("helper_segments")) {
        auto st = segments.PutSegment(tenant, h.at("id").get<int64_t>(),
                                      Parse(h.at("rule").dump(), "helper " + h.at("name").get<std::string>()));
        if (!st.ok()) Die("PutSegment(helper " + h.at("name").get<std::string>() + "): " + st.message());
    }
    double helpers_ms = MsSince(helpers_started);
    siyu::engine::EngineStats stats = store.Stats();
    int64_t engine_bytes = segments.MemoryBytes();
    std::printf("%s\n", Json{{"engine", "siyu"},
                             {"threads", options.threads},
                             {"customers", loaded.customers},
                             {"events", stats.events},
                             {"load_s", Round3(MsSince(started) / 1000)},
                             {"profiles_s", Round3(profiles_ms / 1000)},
                             {"tags_s", Round3(tags_ms / 1000)},
                             {"events_s", Round3(events_ms / 1000)},
                             {"helper_segments_s", Round3(helpers_ms / 1000)},
                             {"event_store_bytes", stats.memory_bytes},
                             {"segment_engine_bytes", engine_bytes},
                             {"memory_bytes", stats.memory_bytes + engine_bytes},
                             {"rss_bytes", ResidentBytes()}}
                            .dump()
                            .c_str());
    std::fflush(stdout);

    // 1. The query set.
    for (const Json& q : query_set.at("queries")) {
        std::string name = q.at("name").get<std::string>();
        auto rule = Parse(q.at("rule").dump(), name);
        std::vector<double> times;
        int64_t count = -1;
        for (int i = 0; i <= options.runs; ++i) {
            auto t0 = Clock::now();
            auto selection = segments.Preview(tenant, *rule, 0);
            double ms = MsSince(t0);
            if (!selection.ok()) Die("Preview(" + name + "): " + selection.status().message());
            count = selection.value().count;
            if (i > 0) times.push_back(ms);
        }
        std::printf("%s\n", Json{{"engine", "siyu"},
                                 {"query", name},
                                 {"count", count},
                                 {"median_ms", Round3(Median(times))},
                                 {"min_ms", Round3(*std::min_element(times.begin(), times.end()))},
                                 {"max_ms", Round3(*std::max_element(times.begin(), times.end()))}}
                                .dump()
                                .c_str());
        std::fflush(stdout);
    }

    // 2. Incremental maintenance of the active segments, one event at a time.
    std::vector<std::string> rules = ActiveSegmentRules(options.active);
    constexpr int64_t kFirstActive = 100;
    auto put_started = Clock::now();
    for (size_t i = 0; i < rules.size(); ++i) {
        auto st = segments.PutSegment(tenant, kFirstActive + static_cast<int64_t>(i),
                                      Parse(rules[i], "active segment " + std::to_string(i)));
        if (!st.ok()) Die("PutSegment(active " + std::to_string(i) + "): " + st.message());
    }
    double put_ms = MsSince(put_started);
    int64_t memory_with_active = segments.MemoryBytes();
    Note("saved " + std::to_string(rules.size()) + " active segments");

    static const char* const kCategories[] = {"护肤", "彩妆", "香水", "个护", "母婴"};
    static const char* const kNames[] = {"Order Completed", "Product Added", "Product Viewed", "Page Viewed",
                                         "Group Joined"};
    uint64_t x = 0x9E3779B97F4A7C15ULL;
    std::vector<double> append_ms, touch_ms, total_ms;
    int64_t changes_before = changes;
    for (int i = 0; i < options.updates; ++i) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        int64_t customer = loaded.customer_ids[x % loaded.customer_ids.size()];
        const char* name = kNames[(x >> 20) % 5];
        bool order = name == kNames[0];
        bool product = order || name == kNames[1] || name == kNames[2];
        std::string props;
        if (product) {
            props = std::string("{\"category\":\"") + kCategories[(x >> 28) % 5] +
                    "\",\"product_id\":" + std::to_string(10'000 + (x >> 32) % 1000) + "}";
        }
        // In the hour before now, where the customer's latest generated events are.
        TimeMs ts = now - kDayMs / 24 + 1000 * static_cast<TimeMs>(i % 3600);
        std::vector<EventInput> one{EventInput{tenant, customer, "track", name, ts,
                                               order ? std::optional<int64_t>(29'900) : std::nullopt, props}};
        auto t0 = Clock::now();
        store.Append(one);
        auto t1 = Clock::now();
        segments.Touch(tenant, {customer});
        auto t2 = Clock::now();
        append_ms.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
        touch_ms.push_back(std::chrono::duration<double, std::milli>(t2 - t1).count());
        total_ms.push_back(std::chrono::duration<double, std::milli>(t2 - t0).count());
    }
    std::printf("%s\n", Json{{"engine", "siyu"},
                             {"incremental", true},
                             {"active_segments", static_cast<int64_t>(rules.size())},
                             {"put_active_s", Round3(put_ms / 1000)},
                             {"updates", options.updates},
                             {"membership_changes", changes - changes_before},
                             {"touch_p50_ms", Round3(Percentile(touch_ms, 0.50))},
                             {"touch_p99_ms", Round3(Percentile(touch_ms, 0.99))},
                             {"touch_max_ms", Round3(Percentile(touch_ms, 1.0))},
                             {"append_p50_ms", Round3(Percentile(append_ms, 0.50))},
                             {"append_p99_ms", Round3(Percentile(append_ms, 0.99))},
                             {"update_p50_ms", Round3(Percentile(total_ms, 0.50))},
                             {"update_p99_ms", Round3(Percentile(total_ms, 0.99))},
                             {"update_max_ms", Round3(Percentile(total_ms, 1.0))},
                             {"segment_engine_bytes", memory_with_active},
                             {"rss_bytes", ResidentBytes()}}
                            .dump()
                            .c_str());
    std::fflush(stdout);

    // 3. Maintained sizes against a fresh evaluation of the same rule.
    int64_t mismatches = 0;
    Json first_mismatch;
    auto verify_started = Clock::now();
    for (size_t i = 0; i < rules.size(); ++i) {
        int64_t id = kFirstActive + static_cast<int64_t>(i);
        auto size = segments.Size(tenant, id);
        auto fresh = segments.Preview(tenant, *Parse(rules[i], "active segment " + std::to_string(i)), 0);
        if (!fresh.ok()) Die("Preview(active " + std::to_string(i) + "): " + fresh.status().message());
        if (size && *size == fresh.value().count) continue;
        if (mismatches++ == 0) {
            first_mismatch = {
                {"segment", id}, {"rule", rules[i]}, {"maintained", size ? *size : -1}, {"fresh", fresh.value().count}};
        }
    }
    Json verify{{"engine", "siyu"},
                {"verify", true},
                {"segments", static_cast<int64_t>(rules.size())},
                {"mismatches", mismatches},
                {"seconds", Round3(MsSince(verify_started) / 1000)}};
    if (mismatches > 0) verify["first_mismatch"] = first_mismatch;
    std::printf("%s\n", verify.dump().c_str());
    return 0;
}
