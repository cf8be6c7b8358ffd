#include "loyalty/coupon_codes.h"

#include <cctype>

#include "base/crypto.h"

namespace siyu::loyalty {

namespace {

constexpr int kModulus = 31;
static_assert(kCouponAlphabet.size() == kModulus);
static_assert(kCouponCodeLength < kModulus, "every weight must be non-zero modulo the prime");

int ValueOf(char ch) {
    size_t pos = kCouponAlphabet.find(ch);
    return pos == std::string_view::npos ? -1 : static_cast<int>(pos);
}

// Σ (i + 1) · value(i) mod 31 over `s`; -1 when a character is not in the alphabet.
int WeightedSum(std::string_view s) {
    int sum = 0;
    for (size_t i = 0; i < s.size(); ++i) {
        int v = ValueOf(s[i]);
        if (v < 0) return -1;
        sum = (sum + static_cast<int>(i + 1) * v) % kModulus;
    }
    return sum;
}

}  // namespace

char CouponCheckCharacter(std::string_view body) {
    int sum = WeightedSum(body);
    if (sum < 0) return '?';
    // Find c with sum + (n + 1) · c ≡ 0 (mod 31); the weight is invertible, so c is unique.
    int weight = static_cast<int>(body.size() + 1) % kModulus;
    for (int c = 0; c < kModulus; ++c) {
        if ((sum + weight * c) % kModulus == 0) return kCouponAlphabet[static_cast<size_t>(c)];
    }
    return '?';
}

std::string NewCouponCode() {
    std::string body;
    body.reserve(kCouponCodeLength);
    while (body.size() < kCouponRandomChars) {
        std::string bytes = RandomBytes(32);
        for (unsigned char b : bytes) {
            // Rejection sampling keeps the characters uniform: 248 = 8 · 31.
            if (b >= 248 || body.size() == kCouponRandomChars) continue;
            body.push_back(kCouponAlphabet[b % kModulus]);
        }
    }
    body.push_back(CouponCheckCharacter(body));
    return body;
}

std::string NormalizeCouponCode(std::string_view input) {
    std::string out;
    out.reserve(input.size());
    for (char ch : input) {
        if (ch == ' ' || ch == '-') continue;
        out.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(ch))));
    }
    return out;
}

bool IsValidCouponCode(std::string_view normalized) {
    if (normalized.size() != kCouponCodeLength) return false;
    return WeightedSum(normalized) == 0;
}

std::string FormatCouponCode(std::string_view normalized) {
    std::string out;
    for (size_t i = 0; i < normalized.size(); ++i) {
        if (i > 0 && i % 4 == 0) out.push_back('-');
        out.push_back(normalized[i]);
    }
    return out;
}

}  // namespace siyu::loyalty
