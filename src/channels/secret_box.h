#pragma once

#include <string>
#include <string_view>

#include "base/status.h"

namespace siyu::channels {

// Encrypts secrets stored in the database (WeCom secrets, webhook signing secrets) with
// AES-256-GCM under one process-wide 32-byte key. A sealed value is text:
// "v1:" + base64(12-byte nonce || ciphertext || 16-byte tag). Thread-safe after construction.
class SecretBox {
  public:
    // `key` must be 32 bytes.
    static Result<SecretBox> FromKey(std::string key);
    // Reads the key file (32 raw bytes or 64 hex characters); creates it with mode 0600 and a
    // random key when it does not exist.
    static Result<SecretBox> FromFile(const std::string& path);

    std::string Seal(std::string_view plaintext) const;
    // InvalidArgument when the value is not sealed by this key (tampered, wrong key, bad format).
    Result<std::string> Open(std::string_view sealed) const;

  private:
    explicit SecretBox(std::string key) : key_(std::move(key)) {}
    std::string key_;
};

}  // namespace siyu::channels
