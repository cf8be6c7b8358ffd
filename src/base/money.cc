#include "base/money.h"

#include <cstdlib>
#include <limits>

namespace siyu {

int CurrencyDecimals(std::string_view currency) {
    static const char* const kZero[] = {"JPY", "KRW", "VND", "CLP", "ISK", "UGX", "XAF", "XOF", "PYG"};
    for (const char* c : kZero) {
        if (currency == c) return 0;
    }
    return 2;
}

Result<int64_t> ParseMinorUnits(std::string_view text, int decimals, const std::string& field) {
    auto invalid = [&](const std::string& why) { return Status::InvalidArgument(field, why); };
    if (text.empty()) return invalid("is empty");
    bool negative = false;
    size_t i = 0;
    if (text[0] == '-' || text[0] == '+') {
        negative = text[0] == '-';
        i = 1;
    }
    constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
    int64_t value = 0;
    int digits = 0;
    int fraction_digits = 0;
    bool in_fraction = false;
    for (; i < text.size(); ++i) {
        char c = text[i];
        if (c == '.' && !in_fraction) {
            in_fraction = true;
            continue;
        }
        if (c < '0' || c > '9') return invalid("must be a decimal number, not '" + std::string(text) + "'");
        ++digits;
        if (in_fraction) {
            if (fraction_digits == decimals) {
                if (c != '0') {
                    return invalid("has more than " + std::to_string(decimals) +
                                   " decimal places: " + std::string(text));
                }
                continue;
            }
            ++fraction_digits;
        }
        if (value > (kMax - (c - '0')) / 10) return invalid("is too large");
        value = value * 10 + (c - '0');
    }
    if (digits == 0) return invalid("must be a decimal number, not '" + std::string(text) + "'");
    for (; fraction_digits < decimals; ++fraction_digits) {
        if (value > kMax / 10) return invalid("is too large");
        value *= 10;
    }
    return negative ? -value : value;
}

std::string FormatMinorUnits(int64_t minor, int decimals) {
    bool negative = minor < 0;
    // Work on the magnitude as unsigned so that INT64_MIN does not overflow.
    uint64_t magnitude = negative ? 0 - static_cast<uint64_t>(minor) : static_cast<uint64_t>(minor);
    std::string digits = std::to_string(magnitude);
    if (decimals > 0) {
        if (digits.size() <= static_cast<size_t>(decimals)) {
            digits.insert(0, static_cast<size_t>(decimals) + 1 - digits.size(), '0');
        }
        digits.insert(digits.size() - static_cast<size_t>(decimals), 1, '.');
    }
    return negative ? "-" + digits : digits;
}

}  // namespace siyu
