#pragma once

#include <string>
#include <string_view>

#include "base/status.h"

namespace siyu::auth {

// Argon2id hash in the PHC string format ("$argon2id$v=19$m=19456,t=2,p=1$...").
// Thread-safe; takes tens of milliseconds by design.
Result<std::string> HashPassword(std::string_view password);

// True when `password` matches `encoded`. Constant time in the password.
bool VerifyPassword(std::string_view password, const std::string& encoded);

// A random password of `length` characters from an unambiguous alphabet.
std::string GeneratePassword(size_t length = 16);

// 8–128 characters.
Status CheckPasswordPolicy(std::string_view password, const char* field = "password");

}  // namespace siyu::auth
