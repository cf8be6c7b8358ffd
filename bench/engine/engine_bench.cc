// Engine benchmarks: appending events from memory, and rebuilding the engine from the
// database at start-up (events with a product, a category and, for orders, an order id). SIYU_BENCH_REBUILD_EVENTS sets
// the rebuild size (default 10,000,000).

#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "engine/event_store.h"
#include "store/database.h"

namespace {

using siyu::engine::EventInput;
using siyu::engine::EventStore;

std::vector<EventInput> MakeEvents(size_t n, int64_t customers) {
    static const char* kNames[] = {"Page", "Product Viewed", "Product Added", "Order Completed", "Products Searched"};
    std::vector<EventInput> out;
    out.reserve(n);
    uint64_t x = 88172645463325252ULL;
    for (size_t i = 0; i < n; ++i) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        const char* name = kNames[x % 5];
        out.push_back(EventInput{1, static_cast<int64_t>(x % customers), "track", name,
                                 1'700'000'000'000 + static_cast<int64_t>(i),
                                 name[0] == 'O' ? std::optional<int64_t>(19990) : std::nullopt});
    }
    return out;
}

void BM_AppendFromMemory(benchmark::State& state) {
    auto events = MakeEvents(1'000'000, 100'000);
    for (auto _ : state) {
        EventStore store;
        store.Append(events);
        benchmark::DoNotOptimize(store.Stats().events);
    }
    state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(events.size()));
}
BENCHMARK(BM_AppendFromMemory)->Unit(benchmark::kMillisecond);

void BM_CountByName30Days(benchmark::State& state) {
    EventStore store;
    store.Append(MakeEvents(1'000'000, 100'000));
    for (auto _ : state) {
        benchmark::DoNotOptimize(store.CountByName(1, 1'700'000'000'000, 1'700'000'000'000 + 30LL * 86'400'000));
    }
    state.SetItemsProcessed(state.iterations() * 1'000'000);
}
BENCHMARK(BM_CountByName30Days)->Unit(benchmark::kMillisecond);

// Not a Google Benchmark loop: one rebuild of a large database, timed and reported once.
void RebuildFromDatabase() {
    const char* env = std::getenv("SIYU_BENCH_REBUILD_EVENTS");
    int64_t n = env ? std::atoll(env) : 10'000'000;
    auto dir = std::filesystem::temp_directory_path() / "siyu-engine-bench";
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    auto db = siyu::store::OpenSqlite({.path = (dir / "bench.db").string(), .readers = 1}).value();
    if (!db->Migrate().ok()) std::abort();
    auto fill_started = std::chrono::steady_clock::now();
    siyu::Status st = db->Write([&](siyu::store::Connection& c) -> siyu::Status {
        SIYU_RETURN_IF_ERROR(c.Exec("INSERT INTO tenants(tenant_id, name, created_at, updated_at) VALUES (1,'b',0,0)"));
        return c.Exec("WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < " +
                      std::to_string(n) +
                      ") INSERT INTO events(tenant_id, customer_id, message_id, type, name, ts, received_at, revenue, "
                      "properties) SELECT 1, i % 200000, 'm' || i, 'track', CASE i % 5 WHEN 0 THEN 'Page' WHEN 1 "
                      "THEN 'Product Viewed' WHEN 2 THEN 'Product Added' WHEN 3 THEN 'Order Completed' ELSE "
                      "'Products Searched' END, 1700000000000 + i, 1700000000000 + i, "
                      "CASE i % 5 WHEN 3 THEN 19990 END, json_object('product_id', 'p' || (i % 500), 'category', "
                      "CASE i % 4 WHEN 0 THEN '护肤' WHEN 1 THEN '彩妆' WHEN 2 THEN '香氛' ELSE '个护' END, "
                      "'order_id', CASE i % 5 WHEN 3 THEN 'o' || i END) FROM n");
    });
    if (!st.ok()) {
        std::fprintf(stderr, "fill failed: %s\n", st.ToString().c_str());
        std::abort();
    }
    double fill = std::chrono::duration<double>(std::chrono::steady_clock::now() - fill_started).count();
    EventStore store;
    auto started = std::chrono::steady_clock::now();
    if (!store.LoadFrom(*db).ok()) std::abort();
    double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    auto stats = store.Stats();
    std::printf(
        "rebuild: %lld events of %lld customers from SQLite in %.2f s (%.0f events/s), %.1f bytes per event "
        "(database filled in %.1f s)\n",
        static_cast<long long>(stats.events), static_cast<long long>(stats.customers), seconds, stats.events / seconds,
        static_cast<double>(stats.memory_bytes) / stats.events, fill);
    db->Close();
    std::filesystem::remove_all(dir);
}

}  // namespace

int main(int argc, char** argv) {
    benchmark::Initialize(&argc, argv);
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    RebuildFromDatabase();
    return 0;
}
