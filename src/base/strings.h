#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace siyu {

std::string_view Trim(std::string_view s);
std::string ToLower(std::string_view s);
bool StartsWith(std::string_view s, std::string_view prefix);
std::vector<std::string_view> Split(std::string_view s, char sep);

// Number of Unicode code points in valid UTF-8 `s`; -1 when `s` is not valid UTF-8.
int64_t Utf8Length(std::string_view s);

// Percent-decoding for URL query strings ('+' is a space).
std::string UrlDecode(std::string_view s);

std::string HexEncode(std::string_view bytes);
std::string Base64UrlEncode(std::string_view bytes);
bool Base64UrlDecode(std::string_view text, std::string* out);
// Standard base64 (RFC 4648, '+' and '/', with padding).
std::string Base64Encode(std::string_view bytes);
// Standard base64 (RFC 4648, '+' and '/', padding optional).
bool Base64Decode(std::string_view text, std::string* out);

// Parses a decimal int64; false on any trailing garbage or overflow.
bool ParseInt64(std::string_view s, int64_t* out);

}  // namespace siyu
