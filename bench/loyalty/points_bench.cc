// Durable points transactions through the library: `threads` threads call Points::Earn, each
// with its own Idempotency-Key, against a fresh SQLite data directory (WAL, one writer with
// group commit, each group synced before its callers are answered). Every call returns once
// its commit is on disk. The event projection runs beside the load, as in the server. Prints
// one line of JSON: transactions, seconds, tx/s, latency percentiles, the `Points Earned` events
// written, and how long the projection took to catch up once the load stopped.
//
// Usage: loyalty_bench [--members N] [--threads T] [--seconds S] [--dir PATH] [--pragma P]
// --pragma runs `PRAGMA P` on the writer connection before the run (for experiments with the
// storage settings; the product's own settings are measured without it).

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "loyalty/loyalty.h"
#include "loyalty/points.h"
#include "store/database.h"

namespace {

using namespace siyu;
using Clock = std::chrono::steady_clock;

struct Flags {
    int members = 10'000;
    int threads = 64;
    double seconds = 10;
    std::string dir;
    std::string pragma;
};

Flags Parse(int argc, char** argv) {
    Flags f;
    for (int i = 1; i + 1 < argc; i += 2) {
        std::string name = argv[i];
        const char* value = argv[i + 1];
        if (name == "--members") {
            f.members = std::atoi(value);
        } else if (name == "--threads") {
            f.threads = std::atoi(value);
        } else if (name == "--seconds") {
            f.seconds = std::atof(value);
        } else if (name == "--dir") {
            f.dir = value;
        } else if (name == "--pragma") {
            f.pragma = value;
        } else {
            std::fprintf(stderr, "unknown flag %s\n", name.c_str());
            std::exit(2);
        }
    }
    return f;
}

void Check(const Status& st, const char* what) {
    if (st.ok()) return;
    std::fprintf(stderr, "%s: %s\n", what, st.ToString().c_str());
    std::exit(1);
}

// One tenant and `n` members with no points, customer ids 1..n.
void Setup(store::Database& db, int n) {
    Check(db.Write([&](store::Connection& c) -> Status {
              SIYU_RETURN_IF_ERROR(c.Exec("INSERT INTO tenants(tenant_id, name, created_at, updated_at) VALUES "
                                          "(1, 'bench', 0, 0)"));
              SIYU_ASSIGN_OR_RETURN(auto customer, c.Prepare("INSERT INTO customers(id, tenant_id, created_at, "
                                                             "updated_at) VALUES (?, 1, 0, 0)"));
              SIYU_ASSIGN_OR_RETURN(auto member, c.Prepare("INSERT INTO members(customer_id, tenant_id, member_no, "
                                                           "registered_at, created_at, updated_at) VALUES "
                                                           "(?, 1, ?, 0, 0, 0)"));
              for (int i = 1; i <= n; ++i) {
                  SIYU_RETURN_IF_ERROR(customer.Bind(1, int64_t{i}).Run());
                  SIYU_RETURN_IF_ERROR(member.Bind(1, int64_t{i}).Bind(2, "B" + std::to_string(i)).Run());
              }
              return Status::Ok();
          }),
          "setup");
}

}  // namespace

int main(int argc, char** argv) {
    Flags flags = Parse(argc, argv);
    namespace fs = std::filesystem;
    std::string dir = flags.dir;
    bool temporary = dir.empty();
    if (temporary) dir = (fs::temp_directory_path() / ("siyu-loyalty-bench-" + std::to_string(::getpid()))).string();
    fs::create_directories(dir);
    std::string path = (fs::path(dir) / "siyu.db").string();
    for (const char* suffix : {"", "-wal", "-shm"}) fs::remove(path + suffix);
    auto opened = store::OpenSqlite({.path = path, .readers = 2});
    Check(opened.status(), "open");
    auto db = std::move(opened).value();
    Check(db->Migrate(), "migrate");
    Setup(*db, flags.members);
    if (!flags.pragma.empty()) {
        Check(db->Write([&](store::Connection& c) { return c.Exec("PRAGMA " + flags.pragma); }), "pragma");
    }

    loyalty::LoyaltyOptions options;
    loyalty::Loyalty loyalty(db.get(), nullptr, options);
    // The "Points Earned" events are written from the ledger after each commit, by the
    // projection thread, as in the server (no sweep thread: Start is not called).
    loyalty.StartProjection();

    std::atomic<bool> stop{false};
    std::atomic<int64_t> failures{0};
    std::vector<std::vector<double>> latencies(static_cast<size_t>(flags.threads));
    std::vector<std::thread> threads;
    auto started = Clock::now();
    for (int t = 0; t < flags.threads; ++t) {
        threads.emplace_back([&, t] {
            std::mt19937_64 rng(static_cast<uint64_t>(t) + 1);
            std::uniform_int_distribution<int64_t> member(1, flags.members);
            auto& mine = latencies[static_cast<size_t>(t)];
            for (int64_t i = 0; !stop.load(std::memory_order_relaxed); ++i) {
                loyalty::Request r;
                r.tenant_id = 1;
                r.idempotency_key = "bench-" + std::to_string(t) + "-" + std::to_string(i);
                r.actor.type = "api_key";
                r.actor.name = "bench";
                loyalty::EarnInput in;
                in.customer_id = member(rng);
                in.points = 10;
                in.reason = "bench";
                r.fingerprint = std::to_string(in.customer_id) + " 10 bench";
                auto t0 = Clock::now();
                auto out = loyalty.points().Earn(r, in);
                mine.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
                if (!out.ok()) {
                    if (failures.fetch_add(1) == 0) std::fprintf(stderr, "earn: %s\n", out.status().ToString().c_str());
                }
            }
        });
    }
    std::this_thread::sleep_for(std::chrono::duration<double>(flags.seconds));
    stop = true;
    for (auto& th : threads) th.join();
    double seconds = std::chrono::duration<double>(Clock::now() - started).count();
    // What the projection had not written yet when the load stopped, and how long it takes to
    // catch up: the events keep up with the credits only if this stays small.
    auto drain_started = Clock::now();
    Check(loyalty.ProjectLedger(), "project events");
    double drain_ms = std::chrono::duration<double, std::milli>(Clock::now() - drain_started).count();
    int64_t events = 0;
    Check(db->Read([&](store::Connection& c) -> Status {
              SIYU_ASSIGN_OR_RETURN(auto count, c.Prepare("SELECT count(*) FROM events WHERE name = 'Points Earned'"));
              SIYU_ASSIGN_OR_RETURN(bool row, count.Step());
              events = row ? count.Int(0) : 0;
              return Status::Ok();
          }),
          "count events");

    std::vector<double> all;
    for (auto& l : latencies) all.insert(all.end(), l.begin(), l.end());
    std::sort(all.begin(), all.end());
    auto pct = [&](double p) {
        return all.empty() ? 0.0 : all[std::min(all.size() - 1, static_cast<size_t>(p * static_cast<double>(all.size())))];
    };
    int64_t ok = static_cast<int64_t>(all.size()) - failures.load();
    std::printf(
        "{\"engine\":\"siyu-library\",\"threads\":%d,\"members\":%d,\"transactions\":%lld,\"failures\":%lld,"
        "\"seconds\":%.2f,\"tx_per_s\":%.0f,\"p50_ms\":%.2f,\"p99_ms\":%.2f,\"events\":%lld,"
        "\"events_drain_ms\":%.0f}\n",
        flags.threads, flags.members, static_cast<long long>(ok), static_cast<long long>(failures.load()), seconds,
        static_cast<double>(ok) / seconds, pct(0.5), pct(0.99), static_cast<long long>(events), drain_ms);
    loyalty.Stop();
    db->Close();
    if (temporary) fs::remove_all(dir);
    return failures.load() == 0 ? 0 : 1;
}
