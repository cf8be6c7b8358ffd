#include "auth/password.h"

#include <argon2.h>

#include "base/crypto.h"
#include "base/strings.h"

namespace siyu::auth {

namespace {
constexpr uint32_t kTimeCost = 2;
constexpr uint32_t kMemoryKiB = 19456;
constexpr uint32_t kParallelism = 1;
constexpr size_t kSaltLen = 16;
constexpr size_t kHashLen = 32;
}  // namespace

Result<std::string> HashPassword(std::string_view password) {
    std::string salt = RandomBytes(kSaltLen);
    size_t encoded_len = argon2_encodedlen(kTimeCost, kMemoryKiB, kParallelism, kSaltLen, kHashLen, Argon2_id);
    std::string encoded(encoded_len, '\0');
    int rc = argon2id_hash_encoded(kTimeCost, kMemoryKiB, kParallelism, password.data(), password.size(), salt.data(),
                                   salt.size(), kHashLen, encoded.data(), encoded.size());
    if (rc != ARGON2_OK) return Status::Internal(std::string("argon2: ") + argon2_error_message(rc));
    encoded.resize(std::char_traits<char>::length(encoded.c_str()));
    return encoded;
}

bool VerifyPassword(std::string_view password, const std::string& encoded) {
    return argon2id_verify(encoded.c_str(), password.data(), password.size()) == ARGON2_OK;
}

std::string GeneratePassword(size_t length) {
    static const char kAlphabet[] = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789";
    constexpr size_t kSize = sizeof(kAlphabet) - 1;
    std::string out;
    while (out.size() < length) {
        for (unsigned char b : RandomBytes(length)) {
            if (b >= 256 - 256 % kSize) continue;  // no modulo bias
            out.push_back(kAlphabet[b % kSize]);
            if (out.size() == length) break;
        }
    }
    return out;
}

Status CheckPasswordPolicy(std::string_view password, const char* field) {
    int64_t len = Utf8Length(password);
    if (len < 8 || len > 128) return Status::InvalidArgument(field, "must be 8 to 128 characters");
    return Status::Ok();
}

}  // namespace siyu::auth
