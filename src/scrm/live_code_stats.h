#pragma once

// Live code statistics per code and per channel, per local day of the tenant: scans (landing
// visits), adds (relationships begun through the code), losses (relationships begun through
// the code that ended in a deletion) and net adds (adds − losses). Adds and losses come from
// the contact log, so a callback processed twice counts once. Thread-safe.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "base/time.h"
#include "store/database.h"

namespace siyu::scrm {

struct DayCounts {
    std::string day;  // YYYY-MM-DD in the tenant's time zone
    int64_t scans = 0, adds = 0, losses = 0;
    int64_t net_adds() const { return adds - losses; }
};

struct CodeStats {
    int64_t live_code_id = 0;
    std::string name;
    std::string channel;
    std::vector<DayCounts> days;  // every day of the range
    DayCounts total;              // day empty
};

struct ChannelStats {
    std::string channel;
    std::vector<DayCounts> days;
    DayCounts total;
};

struct LiveCodeStatsReport {
    std::vector<CodeStats> codes;
    std::vector<ChannelStats> channels;
    DayCounts total;
};

struct LiveCodeStatsQuery {
    TimeMs from = 0, to = 0;        // [from, to), local day boundaries
    std::string time_zone;
    std::vector<std::string> days;  // the local days of the range, in order
    std::optional<int64_t> live_code_id;
    std::optional<std::string> channel;
};

// The days ("YYYY-MM-DD") from `from_day` up to, not including, `to_day`.
std::vector<std::string> DaysBetween(const std::string& from_day, const std::string& to_day,
                                     const std::string& time_zone);

Result<LiveCodeStatsReport> LiveCodeStats(store::Database* db, int64_t tenant_id, const LiveCodeStatsQuery& query);

}  // namespace siyu::scrm
