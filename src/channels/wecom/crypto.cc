#include "channels/wecom/crypto.h"

#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <memory>
#include <pugixml.hpp>
#include <sstream>

#include "base/crypto.h"
#include "base/strings.h"

namespace siyu::channels::wecom {

namespace {

constexpr size_t kKeyBytes = 32;
constexpr size_t kAesKeyChars = 43;
constexpr size_t kRandomBytes = 16;
constexpr size_t kLengthBytes = 4;
// WXBizMsgCrypt pads to a multiple of 32 bytes (the key size), not the AES block size.
constexpr size_t kPadBlock = 32;
constexpr size_t kAesBlock = 16;

struct CtxFree {
    void operator()(EVP_CIPHER_CTX* c) const { EVP_CIPHER_CTX_free(c); }
};
using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, CtxFree>;

CryptFailure Fail(CryptError code, std::string message) { return CryptFailure{code, std::move(message)}; }

template <typename T>
CryptResult<T> Err(CryptError code, std::string message) {
    CryptResult<T> r;
    r.failure = Fail(code, std::move(message));
    return r;
}

template <typename T>
CryptResult<T> Ok(T value) {
    CryptResult<T> r;
    r.value = std::move(value);
    return r;
}

bool IsBase64Char(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/';
}

// Standard base64 with padding, strictly: a multiple of 4 characters, '=' only at the end.
bool StrictBase64Decode(std::string_view text, std::string* out) {
    if (text.empty() || text.size() % 4 != 0) return false;
    size_t pad = 0;
    while (pad < 2 && pad < text.size() && text[text.size() - 1 - pad] == '=') ++pad;
    for (size_t i = 0; i < text.size() - pad; ++i) {
        if (!IsBase64Char(text[i])) return false;
    }
    return Base64Decode(text, out);
}

std::string Sha1Hex(std::string_view data) {
    std::array<unsigned char, EVP_MAX_MD_SIZE> md{};
    unsigned int len = 0;
    EVP_Digest(data.data(), data.size(), md.data(), &len, EVP_sha1(), nullptr);
    return HexEncode(std::string_view(reinterpret_cast<const char*>(md.data()), len));
}

// AES-256-CBC without OpenSSL's padding; `in` must be a multiple of 16 bytes.
bool AesCbc(bool encrypt, const std::string& key, std::string_view in, std::string* out) {
    CipherCtx ctx(EVP_CIPHER_CTX_new());
    if (!ctx) return false;
    const auto* k = reinterpret_cast<const unsigned char*>(key.data());
    if (EVP_CipherInit_ex(ctx.get(), EVP_aes_256_cbc(), nullptr, k, k, encrypt ? 1 : 0) != 1) return false;
    EVP_CIPHER_CTX_set_padding(ctx.get(), 0);
    out->assign(in.size() + kAesBlock, '\0');
    int len = 0;
    int fin = 0;
    auto* dst = reinterpret_cast<unsigned char*>(out->data());
    if (EVP_CipherUpdate(ctx.get(), dst, &len, reinterpret_cast<const unsigned char*>(in.data()),
                         static_cast<int>(in.size())) != 1 ||
        EVP_CipherFinal_ex(ctx.get(), dst + len, &fin) != 1) {
        return false;
    }
    out->resize(static_cast<size_t>(len + fin));
    return true;
}

// The text of <Encrypt> in a callback body, or nullopt.
std::optional<std::string> EncryptElement(std::string_view post_xml) {
    pugi::xml_document doc;
    pugi::xml_parse_result parsed = doc.load_buffer(post_xml.data(), post_xml.size());
    if (!parsed) return std::nullopt;
    pugi::xml_node root = doc.document_element();
    if (!root) return std::nullopt;
    pugi::xml_node enc = root.child("Encrypt");
    if (!enc) return std::nullopt;
    std::string text = enc.text().as_string();
    if (text.empty()) return std::nullopt;
    return text;
}

}  // namespace

const char* CryptErrorName(CryptError e) {
    switch (e) {
        case CryptError::kOk:
            return "0 OK";
        case CryptError::kValidateSignature:
            return "-40001 ValidateSignatureError";
        case CryptError::kParseXml:
            return "-40002 ParseXmlError";
        case CryptError::kComputeSignature:
            return "-40003 ComputeSignatureError";
        case CryptError::kIllegalAesKey:
            return "-40004 IllegalAesKey";
        case CryptError::kValidateCorpId:
            return "-40005 ValidateCorpidError";
        case CryptError::kEncryptAes:
            return "-40006 EncryptAESError";
        case CryptError::kDecryptAes:
            return "-40007 DecryptAESError";
        case CryptError::kIllegalBuffer:
            return "-40008 IllegalBuffer";
        case CryptError::kEncodeBase64:
            return "-40009 EncodeBase64Error";
        case CryptError::kDecodeBase64:
            return "-40010 DecodeBase64Error";
        case CryptError::kGenReturnXml:
            return "-40011 GenReturnXmlError";
    }
    return "unknown WXBizMsgCrypt error";
}

CryptResult<MsgCrypt> MsgCrypt::Create(std::string token, std::string_view encoding_aes_key,
                                       std::string receive_id) {
    if (encoding_aes_key.size() != kAesKeyChars ||
        !std::all_of(encoding_aes_key.begin(), encoding_aes_key.end(), IsBase64Char)) {
        return Err<MsgCrypt>(CryptError::kIllegalAesKey, "the EncodingAESKey must be 43 characters of base64");
    }
    std::string key;
    if (!StrictBase64Decode(std::string(encoding_aes_key) + "=", &key) || key.size() != kKeyBytes) {
        return Err<MsgCrypt>(CryptError::kIllegalAesKey, "the EncodingAESKey does not decode to a 32-byte AES key");
    }
    MsgCrypt c;
    c.token_ = std::move(token);
    c.key_ = std::move(key);
    c.receive_id_ = std::move(receive_id);
    return Ok(std::move(c));
}

std::string MsgCrypt::Signature(std::string_view timestamp, std::string_view nonce, std::string_view encrypted) const {
    std::array<std::string_view, 4> parts{token_, timestamp, nonce, encrypted};
    std::sort(parts.begin(), parts.end());
    std::string joined;
    for (auto p : parts) joined.append(p);
    return Sha1Hex(joined);
}

CryptResult<std::string> MsgCrypt::VerifyUrl(std::string_view msg_signature, std::string_view timestamp,
                                             std::string_view nonce, std::string_view echostr) const {
    if (!ConstantTimeEquals(Signature(timestamp, nonce, echostr), ToLower(msg_signature))) {
        return Err<std::string>(CryptError::kValidateSignature,
                                "msg_signature does not match SHA-1 of the sorted token, timestamp, nonce and echostr");
    }
    return Decrypt(echostr);
}

CryptResult<std::string> MsgCrypt::DecryptMsg(std::string_view msg_signature, std::string_view timestamp,
                                              std::string_view nonce, std::string_view post_xml) const {
    std::optional<std::string> encrypted = EncryptElement(post_xml);
    if (!encrypted) {
        return Err<std::string>(CryptError::kParseXml, "the body is not XML with a non-empty <Encrypt> element");
    }
    if (!ConstantTimeEquals(Signature(timestamp, nonce, *encrypted), ToLower(msg_signature))) {
        return Err<std::string>(CryptError::kValidateSignature,
                                "msg_signature does not match SHA-1 of the sorted token, timestamp, nonce and Encrypt");
    }
    return Decrypt(*encrypted);
}

CryptResult<std::string> MsgCrypt::EncryptMsg(std::string_view message, std::string_view timestamp,
                                              std::string_view nonce) const {
    CryptResult<std::string> encrypted = Encrypt(message);
    if (!encrypted.ok()) return encrypted;
    pugi::xml_document doc;
    pugi::xml_node root = doc.append_child("xml");
    root.append_child("Encrypt").append_child(pugi::node_cdata).set_value(encrypted.value.c_str());
    std::string signature = Signature(timestamp, nonce, encrypted.value);
    root.append_child("MsgSignature").append_child(pugi::node_cdata).set_value(signature.c_str());
    root.append_child("TimeStamp").text().set(std::string(timestamp).c_str());
    root.append_child("Nonce").append_child(pugi::node_cdata).set_value(std::string(nonce).c_str());
    std::ostringstream out;
    doc.save(out, "", pugi::format_raw | pugi::format_no_declaration);
    std::string xml = out.str();
    if (xml.empty()) return Err<std::string>(CryptError::kGenReturnXml, "cannot write the reply XML");
    return Ok(std::move(xml));
}

CryptResult<std::string> MsgCrypt::Encrypt(std::string_view message, std::string_view random16) const {
    if (key_.size() != kKeyBytes) return Err<std::string>(CryptError::kIllegalAesKey, "no AES key");
    if (!random16.empty() && random16.size() != kRandomBytes) {
        return Err<std::string>(CryptError::kEncryptAes, "the random prefix must be 16 bytes");
    }
    if (message.size() > 0x7fffffffU) return Err<std::string>(CryptError::kIllegalBuffer, "the message is too long");
    std::string plain = random16.empty() ? RandomBytes(kRandomBytes) : std::string(random16);
    auto n = static_cast<uint32_t>(message.size());
    plain.push_back(static_cast<char>((n >> 24) & 0xFF));
    plain.push_back(static_cast<char>((n >> 16) & 0xFF));
    plain.push_back(static_cast<char>((n >> 8) & 0xFF));
    plain.push_back(static_cast<char>(n & 0xFF));
    plain.append(message);
    plain.append(receive_id_);
    size_t pad = kPadBlock - plain.size() % kPadBlock;  // 1..32: a full block when already aligned
    plain.append(pad, static_cast<char>(pad));
    std::string cipher;
    if (!AesCbc(true, key_, plain, &cipher)) return Err<std::string>(CryptError::kEncryptAes, "AES encryption failed");
    std::string b64 = Base64Encode(cipher);
    if (b64.empty()) return Err<std::string>(CryptError::kEncodeBase64, "base64 encoding failed");
    return Ok(std::move(b64));
}

CryptResult<std::string> MsgCrypt::Decrypt(std::string_view encrypted) const {
    if (key_.size() != kKeyBytes) return Err<std::string>(CryptError::kIllegalAesKey, "no AES key");
    std::string cipher;
    if (!StrictBase64Decode(encrypted, &cipher)) {
        return Err<std::string>(CryptError::kDecodeBase64, "the ciphertext is not valid base64");
    }
    if (cipher.empty() || cipher.size() % kAesBlock != 0) {
        return Err<std::string>(CryptError::kDecryptAes, "the ciphertext is not a whole number of AES blocks");
    }
    std::string plain;
    if (!AesCbc(false, key_, cipher, &plain)) return Err<std::string>(CryptError::kDecryptAes, "AES decryption failed");
    auto pad = static_cast<unsigned char>(plain.back());
    bool pad_ok = pad >= 1 && pad <= kPadBlock && pad <= plain.size();
    for (size_t i = 0; pad_ok && i < pad; ++i) pad_ok = static_cast<unsigned char>(plain[plain.size() - 1 - i]) == pad;
    if (!pad_ok) {
        return Err<std::string>(CryptError::kDecryptAes,
                                "corrupt PKCS#7 padding: wrong EncodingAESKey or damaged ciphertext");
    }
    plain.resize(plain.size() - pad);
    if (plain.size() < kRandomBytes + kLengthBytes) {
        return Err<std::string>(CryptError::kIllegalBuffer, "the plaintext is shorter than its 20-byte header");
    }
    const auto* len_bytes = reinterpret_cast<const unsigned char*>(plain.data() + kRandomBytes);
    uint32_t n = (uint32_t{len_bytes[0]} << 24) | (uint32_t{len_bytes[1]} << 16) | (uint32_t{len_bytes[2]} << 8) |
                 uint32_t{len_bytes[3]};
    size_t body = kRandomBytes + kLengthBytes;
    if (n > plain.size() - body) {
        return Err<std::string>(CryptError::kIllegalBuffer, "the message length exceeds the plaintext");
    }
    std::string_view receive_id = std::string_view(plain).substr(body + n);
    if (receive_id != receive_id_) {
        bool printable = receive_id.size() <= 64 && std::all_of(receive_id.begin(), receive_id.end(), [](char c) {
                             return c >= 0x20 && c < 0x7f;
                         });
        std::string shown = printable ? "'" + std::string(receive_id) + "'"
                                      : std::to_string(receive_id.size()) + " unprintable bytes";
        return Err<std::string>(CryptError::kValidateCorpId,
                                "the message is for receive id " + shown + ", not '" + receive_id_ + "'");
    }
    return Ok(plain.substr(body, n));
}

}  // namespace siyu::channels::wecom
