#pragma once

// Coupon codes (docs/coupons.md, "Code format"): 12 random characters from a 31-character
// alphabet without look-alikes (no 0, 1, I, O, Z), drawn from the CSPRNG (about 59 bits), then
// one check character. The check character makes the weighted sum of all 13 values (weights
// 1..13) a multiple of 31; because 31 is prime and larger than every weight, any single mistyped
// character and any swap of two adjacent different characters fails the check. Input is
// normalised first: upper case, spaces and hyphens dropped. Thread-safe (no state).

#include <string>
#include <string_view>

namespace siyu::loyalty {

inline constexpr std::string_view kCouponAlphabet = "23456789ABCDEFGHJKLMNPQRSTUVWXY";
inline constexpr size_t kCouponRandomChars = 12;
inline constexpr size_t kCouponCodeLength = kCouponRandomChars + 1;

// A new code: random characters plus the check character.
std::string NewCouponCode();

// The check character of `body` (characters of the alphabet only; '?' otherwise).
char CouponCheckCharacter(std::string_view body);

// Upper case without spaces and hyphens ("ab3k-7mpq" → "AB3K7MPQ").
std::string NormalizeCouponCode(std::string_view input);

// True when a normalised code has the right length, only alphabet characters and a matching
// check character.
bool IsValidCouponCode(std::string_view normalized);

// The code grouped for people: "AB3K-7MPQ-RT9W-X".
std::string FormatCouponCode(std::string_view normalized);

}  // namespace siyu::loyalty
