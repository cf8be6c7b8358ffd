#include "channels/secret_box.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <memory>
#include <sstream>

#include "base/crypto.h"
#include "base/strings.h"

namespace siyu::channels {

namespace {

constexpr size_t kKeyBytes = 32;
constexpr size_t kNonceBytes = 12;
constexpr size_t kTagBytes = 16;
constexpr std::string_view kPrefix = "v1:";

struct CtxFree {
    void operator()(EVP_CIPHER_CTX* c) const { EVP_CIPHER_CTX_free(c); }
};
using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, CtxFree>;

bool HexDecode(std::string_view hex, std::string* out) {
    auto nibble = [](char ch) -> int {
        if (ch >= '0' && ch <= '9') return ch - '0';
        if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
        if (ch >= 'A' && ch <= 'F') return ch - 'A' + 10;
        return -1;
    };
    if (hex.size() % 2 != 0) return false;
    out->clear();
    for (size_t i = 0; i < hex.size(); i += 2) {
        int hi = nibble(hex[i]);
        int lo = nibble(hex[i + 1]);
        if (hi < 0 || lo < 0) return false;
        out->push_back(static_cast<char>(hi * 16 + lo));
    }
    return true;
}

}  // namespace

Result<SecretBox> SecretBox::FromKey(std::string key) {
    if (key.size() != kKeyBytes) return Status::InvalidArgument("secrets.key_file", "the key must be 32 bytes");
    return SecretBox(std::move(key));
}

Result<SecretBox> SecretBox::FromFile(const std::string& path) {
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0600);
    if (fd >= 0) {
        std::string key = RandomBytes(kKeyBytes);
        std::string hex = HexEncode(key) + "\n";
        bool ok = ::write(fd, hex.data(), hex.size()) == static_cast<ssize_t>(hex.size()) && ::fsync(fd) == 0;
        ::close(fd);
        if (!ok) return Status::Internal("cannot write the secrets key file " + path + ": " + std::strerror(errno));
        return SecretBox(std::move(key));
    }
    if (errno != EEXIST) {
        return Status::Internal("cannot create the secrets key file " + path + ": " + std::strerror(errno));
    }
    std::ifstream in(path, std::ios::binary);
    if (!in) return Status::Internal("cannot read the secrets key file " + path);
    std::stringstream buf;
    buf << in.rdbuf();
    std::string text = buf.str();
    if (text.size() == kKeyBytes) return SecretBox(std::move(text));
    std::string key;
    if (HexDecode(Trim(text), &key) && key.size() == kKeyBytes) return SecretBox(std::move(key));
    return Status::InvalidArgument("secrets.key_file",
                                   path + " must hold 32 raw bytes or 64 hexadecimal characters");
}

std::string SecretBox::Seal(std::string_view plaintext) const {
    std::string nonce = RandomBytes(kNonceBytes);
    CipherCtx ctx(EVP_CIPHER_CTX_new());
    std::string out = nonce;
    out.resize(kNonceBytes + plaintext.size() + kTagBytes);
    int len = 0;
    auto* dst = reinterpret_cast<unsigned char*>(out.data() + kNonceBytes);
    EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, reinterpret_cast<const unsigned char*>(key_.data()),
                       reinterpret_cast<const unsigned char*>(nonce.data()));
    EVP_EncryptUpdate(ctx.get(), dst, &len, reinterpret_cast<const unsigned char*>(plaintext.data()),
                      static_cast<int>(plaintext.size()));
    int fin = 0;
    EVP_EncryptFinal_ex(ctx.get(), dst + len, &fin);
    EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kTagBytes, dst + plaintext.size());
    return std::string(kPrefix) + Base64Encode(out);
}

Result<std::string> SecretBox::Open(std::string_view sealed) const {
    auto bad = [] { return Status::InvalidArgument("secret", "the stored secret cannot be decrypted with this key"); };
    if (sealed.substr(0, kPrefix.size()) != kPrefix) return bad();
    std::string raw;
    if (!Base64Decode(sealed.substr(kPrefix.size()), &raw) || raw.size() < kNonceBytes + kTagBytes) return bad();
    size_t n = raw.size() - kNonceBytes - kTagBytes;
    std::string plain(n, '\0');
    CipherCtx ctx(EVP_CIPHER_CTX_new());
    int len = 0;
    const auto* src = reinterpret_cast<const unsigned char*>(raw.data());
    if (EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, reinterpret_cast<const unsigned char*>(key_.data()),
                           src) != 1 ||
        EVP_DecryptUpdate(ctx.get(), reinterpret_cast<unsigned char*>(plain.data()), &len, src + kNonceBytes,
                          static_cast<int>(n)) != 1 ||
        EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kTagBytes,
                            const_cast<unsigned char*>(src + kNonceBytes + n)) != 1) {
        return bad();
    }
    int fin = 0;
    if (EVP_DecryptFinal_ex(ctx.get(), reinterpret_cast<unsigned char*>(plain.data()) + len, &fin) != 1) return bad();
    return plain;
}

}  // namespace siyu::channels
