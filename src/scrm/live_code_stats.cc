#include "scrm/live_code_stats.h"

#include <algorithm>

namespace siyu::scrm {

using store::Connection;

std::vector<std::string> DaysBetween(const std::string& from_day, const std::string& to_day,
                                     const std::string& time_zone) {
    std::vector<std::string> days;
    auto start = StartOfLocalDay(from_day, time_zone);
    if (!start.ok()) return days;
    TimeMs t = start.value();
    std::string day = from_day;
    while (day < to_day && days.size() < 400) {
        days.push_back(day);
        // Noon of the next day is always inside the next local day.
        auto next = StartOfLocalDay(LocalDate(t + 36 * 3'600'000, time_zone), time_zone);
        if (!next.ok()) break;
        t = next.value();
        day = LocalDate(t, time_zone);
    }
    return days;
}

namespace {

// Local day boundaries of the query's days, for bucketing timestamps without a time zone lookup each.
struct DayIndex {
    std::vector<TimeMs> starts;
    explicit DayIndex(const LiveCodeStatsQuery& q) {
        for (const auto& d : q.days) {
            auto s = StartOfLocalDay(d, q.time_zone);
            starts.push_back(s.ok() ? s.value() : 0);
        }
    }
    std::optional<size_t> Of(TimeMs at) const {
        auto it = std::upper_bound(starts.begin(), starts.end(), at);
        if (it == starts.begin()) return std::nullopt;
        return static_cast<size_t>(it - starts.begin() - 1);
    }
};

std::vector<DayCounts> EmptyDays(const std::vector<std::string>& days) {
    std::vector<DayCounts> out;
    for (const auto& d : days) out.push_back(DayCounts{d});
    return out;
}

}  // namespace

Result<LiveCodeStatsReport> LiveCodeStats(store::Database* db, int64_t tenant_id, const LiveCodeStatsQuery& q) {
    LiveCodeStatsReport report;
    DayIndex index(q);
    SIYU_RETURN_IF_ERROR(db->Read([&](Connection& c) -> Status {
        std::map<int64_t, size_t> position;  // live code id → report.codes index
        SIYU_ASSIGN_OR_RETURN(auto codes, c.Prepare("SELECT id, name, channel, deleted_at FROM live_codes WHERE "
                                                    "tenant_id = ?1 AND (?2 IS NULL OR id = ?2) AND "
                                                    "(?3 IS NULL OR channel = ?3) ORDER BY id"));
        codes.Bind(1, tenant_id).Bind(2, q.live_code_id).Bind(3, q.channel);
        std::vector<bool> deleted;
        SIYU_RETURN_IF_ERROR(codes.ForEachRow([&] {
            position[codes.Int(0)] = report.codes.size();
            report.codes.push_back(CodeStats{codes.Int(0), codes.Text(1), codes.Text(2), EmptyDays(q.days), DayCounts{}});
            deleted.push_back(!codes.IsNull(3));
        }));
        auto count = [&](int64_t code_id, TimeMs at, int64_t DayCounts::*field) {
            auto it = position.find(code_id);
            if (it == position.end()) return;
            auto day = index.Of(at);
            if (!day || *day >= q.days.size()) return;
            CodeStats& cs = report.codes[it->second];
            ++(cs.days[*day].*field);
            ++(cs.total.*field);
        };
        SIYU_ASSIGN_OR_RETURN(auto scans, c.Prepare("SELECT live_code_id, at FROM live_code_scans WHERE tenant_id = ? "
                                                    "AND at >= ? AND at < ?"));
        scans.Bind(1, tenant_id).Bind(2, q.from).Bind(3, q.to);
        SIYU_RETURN_IF_ERROR(scans.ForEachRow([&] { count(scans.Int(0), scans.Int(1), &DayCounts::scans); }));
        SIYU_ASSIGN_OR_RETURN(auto log, c.Prepare("SELECT live_code_id, kind, at FROM scrm_contact_log WHERE "
                                                  "tenant_id = ? AND at >= ? AND at < ? AND live_code_id IS NOT NULL "
                                                  "AND kind IN ('add', 'loss')"));
        log.Bind(1, tenant_id).Bind(2, q.from).Bind(3, q.to);
        SIYU_RETURN_IF_ERROR(log.ForEachRow([&] {
            count(log.Int(0), log.Int(2), log.Text(1) == "add" ? &DayCounts::adds : &DayCounts::losses);
        }));
        // Deleted codes without activity in the range are left out.
        std::vector<CodeStats> kept;
        for (size_t i = 0; i < report.codes.size(); ++i) {
            const auto& t = report.codes[i].total;
            if (!deleted[i] || t.scans || t.adds || t.losses) kept.push_back(std::move(report.codes[i]));
        }
        report.codes = std::move(kept);
        return Status::Ok();
    }));
    std::map<std::string, ChannelStats> channels;
    for (const auto& cs : report.codes) {
        auto [it, fresh] = channels.try_emplace(cs.channel, ChannelStats{cs.channel, EmptyDays(q.days), DayCounts{}});
        for (size_t i = 0; i < cs.days.size(); ++i) {
            it->second.days[i].scans += cs.days[i].scans;
            it->second.days[i].adds += cs.days[i].adds;
            it->second.days[i].losses += cs.days[i].losses;
        }
        it->second.total.scans += cs.total.scans;
        it->second.total.adds += cs.total.adds;
        it->second.total.losses += cs.total.losses;
        report.total.scans += cs.total.scans;
        report.total.adds += cs.total.adds;
        report.total.losses += cs.total.losses;
    }
    for (auto& [name, ch] : channels) report.channels.push_back(std::move(ch));
    return report;
}

}  // namespace siyu::scrm
