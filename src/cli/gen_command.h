#pragma once

// `siyu gen`: a deterministic synthetic tenant of private-domain behaviour written as CSV
// files, for benchmarks and load tests. The same seed and size give byte-identical files on
// every machine: the generator uses its own PRNG (splitmix64) and only exactly rounded
// arithmetic, never std:: distributions or transcendental functions.
//
// Files, each with a header line (bench/segments/README.md describes the columns):
//   meta.json          the fixed "now" every engine evaluates relative windows against, the
//                      seed, the size and the row counts
//   stores.csv         id, parent_id, kind (hq / region / store), name, city
//   tags.csv           id, group, name
//   customers.csv      id, created_at (ms), store_id, gender, birthday, city, member_level,
//                      has_phone, has_wecom
//   customer_tags.csv  customer_id, tag_id
//   events.csv         customer_id, ts (ms), name, category, product_id, revenue (minor
//                      units), sorted by customer, then time

#include <CLI/CLI.hpp>
#include <cstdint>
#include <string>

namespace siyu::cli {

// The flags of `siyu gen`, filled in by CLI11 when the command line is parsed. Keep it alive
// (and in place) from AddGenCommand until RunGen.
struct GenFlags {
    CLI::App* command = nullptr;
    std::string size = "small";      // tiny (20 k customers), small (1 M), large (10 M)
    int64_t customers = 0;           // 0: the size's number
    double events_per_customer = 0;  // 0: the size's mean (30)
    uint64_t seed = 1;
    std::string out;
    bool no_progress = false;

    bool parsed() const { return command && command->parsed(); }
};

// Adds `siyu gen` to `app`.
void AddGenCommand(CLI::App& app, GenFlags* flags);

// Writes the files into flags.out (created if missing): counts on stdout as name=value lines,
// progress on stderr. Answers the exit code: 0, or 1 after a one-line reason.
int RunGen(const GenFlags& flags);

}  // namespace siyu::cli
