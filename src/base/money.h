#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/status.h"

namespace siyu {

// Decimal places of a currency's minor unit: 0 for currencies without one (JPY, KRW, ...),
// 2 for every other ISO 4217 code.
int CurrencyDecimals(std::string_view currency);

// Parses a plain decimal in major units ("2.55", "-3", "+0.5", "10.500") exactly into
// integer minor units with `decimals` places, without floating point. Rejects exponents,
// thousands separators, more significant fraction digits than `decimals` (trailing zeros are
// fine) and values that overflow. The error names `field`.
Result<int64_t> ParseMinorUnits(std::string_view text, int decimals, const std::string& field);

// Minor units as a decimal in major units: (255, 2) → "2.55", (-5, 2) → "-0.05", (7, 0) → "7".
std::string FormatMinorUnits(int64_t minor, int decimals);

}  // namespace siyu
