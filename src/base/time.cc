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

namespace {

// Reads `n` digits at `*pos`; false when any is not a digit.
bool Digits(std::string_view s, size_t* pos, size_t n, int* out) {
    if (*pos + n > s.size()) return false;
    int v = 0;
    for (size_t i = 0; i < n; ++i) {
        char c = s[*pos + i];
        if (c < '0' || c > '9') return false;
        v = v * 10 + (c - '0');
    }
    *pos += n;
    *out = v;
    return true;
}

bool Expect(std::string_view s, size_t* pos, char c) {
    if (*pos >= s.size() || (s[*pos] != c && s[*pos] != (c == 'T' ? 't' : c == 'Z' ? 'z' : c))) return false;
    ++*pos;
    return true;
}

}  // namespace

// Hand-written: the tracking API parses one or more timestamps per message.
std::optional<TimeMs> ParseRfc3339(std::string_view s) {
    size_t pos = 0;
    int year, month, day, hour, minute, second;
    if (!Digits(s, &pos, 4, &year) || !Expect(s, &pos, '-') || !Digits(s, &pos, 2, &month) || !Expect(s, &pos, '-') ||
        !Digits(s, &pos, 2, &day) || !Expect(s, &pos, 'T') || !Digits(s, &pos, 2, &hour) || !Expect(s, &pos, ':') ||
        !Digits(s, &pos, 2, &minute) || !Expect(s, &pos, ':') || !Digits(s, &pos, 2, &second)) {
        return std::nullopt;
    }
    int64_t millis = 0;
    if (pos < s.size() && s[pos] == '.') {
        ++pos;
        size_t start = pos;
        int64_t scale = 100;
        while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
            millis += (s[pos] - '0') * scale;
            scale /= 10;
            ++pos;
        }
        if (pos == start) return std::nullopt;
    }
    int64_t offset_minutes = 0;
    if (pos < s.size() && (s[pos] == 'Z' || s[pos] == 'z')) {
        ++pos;
    } else if (pos < s.size() && (s[pos] == '+' || s[pos] == '-')) {
        int sign = s[pos] == '-' ? -1 : 1;
        ++pos;
        int oh, om;
        if (!Digits(s, &pos, 2, &oh) || !Expect(s, &pos, ':') || !Digits(s, &pos, 2, &om) || oh > 23 || om > 59) {
            return std::nullopt;
        }
        offset_minutes = sign * (oh * 60 + om);
    } else {
        return std::nullopt;
    }
    if (pos != s.size()) return std::nullopt;
    if (hour > 23 || minute > 59 || second > 60) return std::nullopt;
    date::year_month_day ymd{date::year(year), date::month(static_cast<unsigned>(month)),
                             date::day(static_cast<unsigned>(day))};
    if (!ymd.ok()) return std::nullopt;
    int64_t days = date::sys_days(ymd).time_since_epoch().count();
    int64_t seconds = days * 86'400 + hour * 3'600 + minute * 60 + std::min(second, 59) - offset_minutes * 60;
    return seconds * 1000 + millis;
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

namespace {

// Reads 1..max_digits digits at `*pos`; false when there are none.
bool ReadNumber(std::string_view s, size_t* pos, size_t max_digits, int* out) {
    size_t start = *pos;
    int value = 0;
    while (*pos < s.size() && *pos - start < max_digits && s[*pos] >= '0' && s[*pos] <= '9') {
        value = value * 10 + (s[*pos] - '0');
        ++*pos;
    }
    *out = value;
    return *pos > start;
}

}  // namespace

Result<TimeMs> ParseLocalDateTime(std::string_view text, const std::string& time_zone) {
    auto invalid = [&] {
        return Status::InvalidArgument("time", "expected YYYY-MM-DD HH:MM:SS, not '" + std::string(text) + "'");
    };
    std::string_view clock = text.size() > 10 ? text.substr(10) : std::string_view();
    if (!clock.empty() && (clock.back() == 'Z' || clock.back() == 'z' || clock.find_first_of("+-") != clock.npos)) {
        if (auto absolute = ParseRfc3339(text)) return *absolute;
        return invalid();
    }
    size_t pos = 0;
    int y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0, ms = 0;
    if (!ReadNumber(text, &pos, 4, &y) || pos != 4) return invalid();
    char sep = pos < text.size() ? text[pos] : '\0';
    if (sep != '-' && sep != '/') return invalid();
    ++pos;
    if (!ReadNumber(text, &pos, 2, &mo) || pos >= text.size() || text[pos] != sep) return invalid();
    ++pos;
    if (!ReadNumber(text, &pos, 2, &d)) return invalid();
    if (pos < text.size()) {
        if (text[pos] != ' ' && text[pos] != 'T' && text[pos] != 't') return invalid();
        ++pos;
        if (!ReadNumber(text, &pos, 2, &h) || pos >= text.size() || text[pos] != ':') return invalid();
        ++pos;
        size_t before = pos;
        if (!ReadNumber(text, &pos, 2, &mi) || pos - before != 2) return invalid();
        if (pos < text.size()) {
            if (text[pos] != ':') return invalid();
            ++pos;
            before = pos;
            if (!ReadNumber(text, &pos, 2, &sec) || pos - before != 2) return invalid();
            if (pos < text.size()) {
                if (text[pos] != '.') return invalid();
                ++pos;
                before = pos;
                if (!ReadNumber(text, &pos, 3, &ms)) return invalid();
                for (size_t n = pos - before; n < 3; ++n) ms *= 10;
                while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') ++pos;
            }
        }
    }
    if (pos != text.size() || h > 23 || mi > 59 || sec > 59) return invalid();
    date::year_month_day ymd{date::year(y), date::month(static_cast<unsigned>(mo)),
                             date::day(static_cast<unsigned>(d))};
    if (!ymd.ok()) return invalid();
    try {
        using namespace std::chrono;
        auto local = date::local_days(ymd) + hours(h) + minutes(mi) + seconds(sec) + milliseconds(ms);
        auto zoned = date::make_zoned(date::locate_zone(time_zone), local, date::choose::earliest);
        return duration_cast<milliseconds>(zoned.get_sys_time().time_since_epoch()).count();
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
