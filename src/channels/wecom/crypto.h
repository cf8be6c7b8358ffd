#pragma once

#include <string>
#include <string_view>

#include "base/status.h"

namespace siyu::channels::wecom {

// The official WXBizMsgCrypt error codes (企业微信 callback encryption library).
enum class CryptError : int {
    kOk = 0,
    kValidateSignature = -40001,  // msg_signature does not match
    kParseXml = -40002,
    kComputeSignature = -40003,
    kIllegalAesKey = -40004,  // EncodingAESKey is not 43 characters of base64
    kValidateCorpId = -40005,  // receive id in the plaintext is not our CorpID
    kEncryptAes = -40006,
    kDecryptAes = -40007,  // AES failure or corrupt PKCS#7 padding
    kIllegalBuffer = -40008,
    kEncodeBase64 = -40009,
    kDecodeBase64 = -40010,
    kGenReturnXml = -40011,
};

// "-40001 ValidateSignatureError" etc.
const char* CryptErrorName(CryptError e);

// A failure: the official code and a sentence for logs and the CLI.
struct CryptFailure {
    CryptError code = CryptError::kOk;
    std::string message;
};

template <typename T>
struct CryptResult {
    T value{};
    CryptFailure failure;
    bool ok() const { return failure.code == CryptError::kOk; }
};

// WXBizMsgCrypt: signature, AES-256-CBC encryption and decryption of WeCom callback
// messages, exactly as the official libraries do. Immutable and thread-safe.
class MsgCrypt {
  public:
    // Fails with kIllegalAesKey unless `encoding_aes_key` is 43 base64 characters that decode
    // (with "=" appended) to 32 bytes.
    static CryptResult<MsgCrypt> Create(std::string token, std::string_view encoding_aes_key,
                                        std::string receive_id);

    // SHA-1 hex of the lexicographically sorted [token, timestamp, nonce, encrypted].
    std::string Signature(std::string_view timestamp, std::string_view nonce, std::string_view encrypted) const;

    // URL verification (GET): checks the signature over `echostr`, decrypts it and returns
    // the plaintext to answer with.
    CryptResult<std::string> VerifyUrl(std::string_view msg_signature, std::string_view timestamp,
                                       std::string_view nonce, std::string_view echostr) const;

    // Event delivery (POST): takes the request body (<xml>…<Encrypt>…</Encrypt>…</xml>), checks
    // the signature and returns the decrypted message XML.
    CryptResult<std::string> DecryptMsg(std::string_view msg_signature, std::string_view timestamp,
                                        std::string_view nonce, std::string_view post_xml) const;

    // Passive reply / simulator side: encrypts `message` and returns the reply XML
    // (<xml><Encrypt/><MsgSignature/><TimeStamp/><Nonce/></xml>).
    CryptResult<std::string> EncryptMsg(std::string_view message, std::string_view timestamp,
                                        std::string_view nonce) const;

    // The primitives: base64 ciphertext of 16 random bytes (or `random16` when given, for
    // known-answer tests) + 4-byte big-endian length + message + receive id, PKCS#7 to 32.
    CryptResult<std::string> Encrypt(std::string_view message, std::string_view random16 = {}) const;
    // Decrypts base64 `encrypted`; checks padding, length and that the receive id matches.
    CryptResult<std::string> Decrypt(std::string_view encrypted) const;

    const std::string& receive_id() const { return receive_id_; }

  private:
    std::string token_;
    std::string key_;  // 32 bytes
    std::string receive_id_;
};

}  // namespace siyu::channels::wecom
