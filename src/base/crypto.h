#pragma once

#include <string>
#include <string_view>

namespace siyu {

// Cryptographically secure random bytes (OpenSSL RAND_bytes). Thread-safe.
std::string RandomBytes(size_t n);

// A random token of `n` bytes, base64url without padding.
std::string RandomToken(size_t n);

// Lower-case hex SHA-256 of `data`.
std::string Sha256Hex(std::string_view data);

// Constant-time comparison of two strings of equal length.
bool ConstantTimeEquals(std::string_view a, std::string_view b);

}  // namespace siyu
