#include "base/time.h"

#include <date/date.h>
#include <date/tz.h>

#include <chrono>
#include <cstdio>
#include <sstream>

namespace siyu {

TimeMs NowMs() {
    using namespace std::chrono;
    return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

std::string FormatRfc3339(TimeMs ms) {
    using namespace std::chrono;
    auto tp = sys_time<milliseconds>(milliseconds(ms));
    return date::format("%FT%TZ", tp);
}

std::optional<TimeMs> ParseRfc3339(std::string_view text) {
    using namespace std::chrono;
    std::string s(text);
    if (s.size() < 20) return std::nullopt;
    for (char& c : s) {
        if (c == 't') c = 'T';
        if (c == 'z') c = 'Z';
    }
    std::istringstream in(s);
    sys_time<milliseconds> tp;
    if (s.back() == 'Z') {
        in >> date::parse("%FT%TZ", tp);
    } else {
        in >> date::parse("%FT%T%Ez", tp);
    }
    if (in.fail()) return std::nullopt;
    in.peek();
    if (!in.eof()) return std::nullopt;
    return tp.time_since_epoch().count();
}

bool IsValidTimeZone(const std::string& name) {
    if (name.empty()) return false;
    try {
        return date::locate_zone(name) != nullptr;
    } catch (const std::exception&) {
        return false;
    }
}

bool IsValidDate(std::string_view text) {
    if (text.size() != 10 || text[4] != '-' || text[7] != '-') return false;
    int y = 0, m = 0, d = 0;
    if (std::sscanf(std::string(text).c_str(), "%4d-%2d-%2d", &y, &m, &d) != 3) return false;
    for (size_t i : {0, 1, 2, 3, 5, 6, 8, 9}) {
        if (text[i] < '0' || text[i] > '9') return false;
    }
    return date::year_month_day(date::year(y), date::month(m), date::day(d)).ok();
}

Result<TimeMs> StartOfLocalDay(std::string_view text, const std::string& time_zone) {
    if (!IsValidDate(text)) return Status::InvalidArgument("date", "expected YYYY-MM-DD");
    int y = 0, m = 0, d = 0;
    std::sscanf(std::string(text).c_str(), "%4d-%2d-%2d", &y, &m, &d);
    try {
        auto local = date::local_days(date::year(y) / m / d);
        auto zoned = date::make_zoned(date::locate_zone(time_zone), local, date::choose::earliest);
        return std::chrono::duration_cast<std::chrono::milliseconds>(zoned.get_sys_time().time_since_epoch()).count();
    } catch (const std::exception& e) {
        return Status::InvalidArgument("time_zone", e.what());
    }
}

std::string LocalDate(TimeMs ms, const std::string& time_zone) {
    using namespace std::chrono;
    try {
        auto zoned = date::make_zoned(date::locate_zone(time_zone), sys_time<milliseconds>(milliseconds(ms)));
        return date::format("%F", date::floor<date::days>(zoned.get_local_time()));
    } catch (const std::exception&) {
        return date::format("%F", date::floor<date::days>(sys_time<milliseconds>(milliseconds(ms))));
    }
}

}  // namespace siyu
