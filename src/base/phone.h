#pragma once

#include <string>
#include <string_view>

#include "base/status.h"

namespace siyu {

// Normalises a phone number to E.164 ("+8613812345678"). Spaces, dashes, dots and
// parentheses are ignored; a leading "00" means "+". A number without a country code is
// taken as Chinese (+86): a mobile number must then be 11 digits starting with 1, a
// landline 10–12 digits starting with 0 (the trunk 0 is dropped). Other country codes are
// accepted with 8–15 digits in all, as E.164 allows.
Result<std::string> NormalizePhone(std::string_view input);

// "+8613812345678" -> "+86138****5678"; keeps the country code, the first three and the
// last four digits of the national number.
std::string MaskPhone(std::string_view e164);

// "wang.fang@example.com" -> "w***@example.com".
std::string MaskEmail(std::string_view email);

// A pragmatic check: one '@', a non-empty local part, a domain with a dot, no spaces, ≤ 254.
bool IsValidEmail(std::string_view email);

}  // namespace siyu
