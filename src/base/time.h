#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/status.h"

namespace siyu {

// Milliseconds since the Unix epoch, UTC. Every stored timestamp uses this unit.
using TimeMs = int64_t;

TimeMs NowMs();

// "2026-11-22T06:00:00.000Z".
std::string FormatRfc3339(TimeMs ms);

// Accepts RFC 3339 with a 'Z' or +hh:mm offset and optional fraction.
std::optional<TimeMs> ParseRfc3339(std::string_view text);

// True when `name` is an IANA time zone known to this machine's tz database.
bool IsValidTimeZone(const std::string& name);

// Midnight at the start of `date` ("YYYY-MM-DD") in `time_zone`, as UTC ms.
Result<TimeMs> StartOfLocalDay(std::string_view date, const std::string& time_zone);

// A wall-clock time in `time_zone` as UTC ms. Accepts "YYYY-MM-DD", "YYYY-MM-DD HH:MM",
// "YYYY-MM-DD HH:MM:SS" and "YYYY-MM-DD HH:MM:SS.fff" ('T' may replace the space, '/' the
// dashes; month, day and hour may have one digit). A text with a 'Z' or an offset is an
// absolute time (RFC 3339) and the zone is not used. A local time skipped by a daylight-saving
// change maps to the instant of the change; a repeated one to its first occurrence.
Result<TimeMs> ParseLocalDateTime(std::string_view text, const std::string& time_zone);

// The local calendar date ("YYYY-MM-DD") of `ms` in `time_zone`.
std::string LocalDate(TimeMs ms, const std::string& time_zone);

// True for a real calendar date written "YYYY-MM-DD".
bool IsValidDate(std::string_view date);

}  // namespace siyu
