#include "channels/wecom/crypto.h"

#include <gtest/gtest.h>

#include <string>

#include "base/strings.h"

namespace siyu::channels::wecom {
namespace {

// The parameters of the official WXBizMsgCrypt sample (企业微信 callback library, Sample.cpp).
constexpr const char* kToken = "QDG6eK";
constexpr const char* kCorpId = "wx5823bf96d3bd56c7";
constexpr const char* kAesKey = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C";

// Sample 1: the URL verification request.
constexpr const char* kVerifySignature = "5c45ff5e21c57e6ad56bac8758b79b1d9ac89fd3";
constexpr const char* kVerifyTimestamp = "1409659589";
constexpr const char* kVerifyNonce = "263014780";
constexpr const char* kVerifyEchoStr =
    "P9nAzCzyDtyTWESHep1vC5X9xho/qYX3Zpb4yKa9SKld1DsH3Iyt3tP3zNdtp+4RPcs8TgAE7OaBO+FZXvnaqQ==";
// What the sample's echostr decrypts to, and the 16 random bytes at its front.
constexpr const char* kVerifyPlain = "1616140317555161061";
constexpr const char* kVerifyRandom = "c41b64491c2468d0";

// Sample 2: an encrypted message delivered by POST.
constexpr const char* kMsgSignature = "477715d11cdb4164915debcba66cb864d751f3e6";
constexpr const char* kMsgTimestamp = "1409659813";
constexpr const char* kMsgNonce = "1372623149";
constexpr const char* kMsgEncrypt =
    "RypEvHKD8QQKFhvQ6QleEB4J58tiPdvo+rtK1I9qca6aM/wvqnLSV5zEPeusUiX5L5X/0lWfrf0QADHHhGd3QczcdCUpj911L3vg3W/"
    "sYYvuJTs3TUUkSUXxaccAS0qhxchrRYt66wiSpGLYL42aM6A8dTT+6k4aSknmPj48kzJs8qLjvd4Xgpue06DOdnLxAUHzM6+kDZ+"
    "HMZfJYuR+LtwGc2hgf5gsijff0ekUNXZiqATP7PF5mZxZ3Izoun1s4zG4LUMnvw2r+KqCKIw+3IQH03v+BCA9nMELNqbSf6tiWSrXJB3LAVGU"
    "callcrw8V2t9EL4EhzJWrQUax5wLVMNS0+rUPA3k22Ncx4XXZS9o0MBH27Bo6BpNelZpS+/uh9KsNlY6bHCmJU9p8g7m3fVKn28H3KDYA5Pl/"
    "T8Z1ptDAVe0lXdQ2YoyyH2uyPIGHBZZIs2pDBS8R07+qN+E7Q==";
constexpr const char* kMsgRandom = "0960688932c47ef1";
constexpr const char* kMsgPlain =
    "<xml><ToUserName><![CDATA[wx5823bf96d3bd56c7]]></ToUserName>\n"
    "<FromUserName><![CDATA[mycreate]]></FromUserName>\n"
    "<CreateTime>1409659813</CreateTime>\n"
    "<MsgType><![CDATA[text]]></MsgType>\n"
    "<Content><![CDATA[hello]]></Content>\n"
    "<MsgId>4561255354251345929</MsgId>\n"
    "<AgentID>218</AgentID>\n"
    "</xml>";

std::string PostBody(const std::string& encrypted) {
    return "<xml><ToUserName><![CDATA[wx5823bf96d3bd56c7]]></ToUserName><Encrypt><![CDATA[" + encrypted +
           "]]></Encrypt><AgentID><![CDATA[218]]></AgentID></xml>";
}

MsgCrypt SampleCrypt(const char* corp_id = kCorpId) {
    auto c = MsgCrypt::Create(kToken, kAesKey, corp_id);
    EXPECT_TRUE(c.ok()) << c.failure.message;
    return c.value;
}

// Flips bits of one byte of the decoded ciphertext and re-encodes it.
std::string FlipCipherByte(const std::string& b64, size_t index, unsigned char mask) {
    std::string raw;
    EXPECT_TRUE(Base64Decode(b64, &raw));
    raw[index] = static_cast<char>(static_cast<unsigned char>(raw[index]) ^ mask);
    return Base64Encode(raw);
}

std::string Between(const std::string& s, const std::string& open, const std::string& close) {
    size_t a = s.find(open);
    if (a == std::string::npos) return "";
    a += open.size();
    size_t b = s.find(close, a);
    return b == std::string::npos ? "" : s.substr(a, b - a);
}

TEST(MsgCrypt, OfficialSampleUrlVerificationKnownAnswer) {
    MsgCrypt c = SampleCrypt();
    EXPECT_EQ(c.Signature(kVerifyTimestamp, kVerifyNonce, kVerifyEchoStr), kVerifySignature);
    auto plain = c.VerifyUrl(kVerifySignature, kVerifyTimestamp, kVerifyNonce, kVerifyEchoStr);
    ASSERT_TRUE(plain.ok()) << CryptErrorName(plain.failure.code) << " " << plain.failure.message;
    EXPECT_EQ(plain.value, kVerifyPlain);
}

TEST(MsgCrypt, OfficialSampleMessageDecryptsToItsXml) {
    MsgCrypt c = SampleCrypt();
    EXPECT_EQ(c.Signature(kMsgTimestamp, kMsgNonce, kMsgEncrypt), kMsgSignature);
    auto plain = c.DecryptMsg(kMsgSignature, kMsgTimestamp, kMsgNonce, PostBody(kMsgEncrypt));
    ASSERT_TRUE(plain.ok()) << CryptErrorName(plain.failure.code) << " " << plain.failure.message;
    EXPECT_EQ(plain.value, kMsgPlain);
}

TEST(MsgCrypt, EncryptionWithTheSampleRandomBytesReproducesTheSampleCiphertexts) {
    MsgCrypt c = SampleCrypt();
    auto echo = c.Encrypt(kVerifyPlain, kVerifyRandom);
    ASSERT_TRUE(echo.ok());
    EXPECT_EQ(echo.value, kVerifyEchoStr);
    auto msg = c.Encrypt(kMsgPlain, kMsgRandom);
    ASSERT_TRUE(msg.ok());
    EXPECT_EQ(msg.value, kMsgEncrypt);
}

TEST(MsgCrypt, SignatureSortsItsFourParts) {
    MsgCrypt c = SampleCrypt();
    // The same four strings in other argument positions give the same signature.
    auto same = MsgCrypt::Create(kVerifyNonce, kAesKey, kCorpId).value;
    EXPECT_EQ(same.Signature(kToken, kVerifyTimestamp, kVerifyEchoStr), kVerifySignature);
    EXPECT_NE(c.Signature(kVerifyTimestamp, kVerifyNonce, "other"), kVerifySignature);
    EXPECT_EQ(c.Signature("1", "2", "3").size(), 40u);
}

TEST(MsgCrypt, RoundTripsMessagesOfEveryLengthAroundTheBlockSize) {
    MsgCrypt c = SampleCrypt();
    // 16 + 4 + len + 18 (corp id) bytes; len = 22 fills a 32-byte block exactly, which must
    // add a whole block of padding.
    for (size_t len : {0, 1, 10, 21, 22, 23, 54, 100, 4096}) {
        std::string message(len, 'a');
        for (size_t i = 0; i < len; ++i) message[i] = static_cast<char>('a' + i % 26);
        auto enc = c.Encrypt(message);
        ASSERT_TRUE(enc.ok()) << len;
        std::string raw;
        ASSERT_TRUE(Base64Decode(enc.value, &raw));
        EXPECT_EQ(raw.size() % 32, 0u) << len;
        EXPECT_GT(raw.size(), 16 + 4 + len + 18) << len;
        auto dec = c.Decrypt(enc.value);
        ASSERT_TRUE(dec.ok()) << len << " " << dec.failure.message;
        EXPECT_EQ(dec.value, message);
    }
    auto utf8 = c.Decrypt(c.Encrypt("<xml><Content>你好，企业微信</Content></xml>").value);
    EXPECT_EQ(utf8.value, "<xml><Content>你好，企业微信</Content></xml>");
    EXPECT_NE(c.Encrypt("same").value, c.Encrypt("same").value) << "16 fresh random bytes each time";
}

TEST(MsgCrypt, EncryptMsgBuildsAReplyThatDecryptMsgAccepts) {
    MsgCrypt c = SampleCrypt();
    std::string reply_plain = "<xml><Content><![CDATA[this is a test]]></Content></xml>";
    auto reply = c.EncryptMsg(reply_plain, kMsgTimestamp, kMsgNonce);
    ASSERT_TRUE(reply.ok());
    std::string signature = Between(reply.value, "<MsgSignature><![CDATA[", "]]>");
    std::string encrypted = Between(reply.value, "<Encrypt><![CDATA[", "]]>");
    EXPECT_EQ(Between(reply.value, "<TimeStamp>", "</TimeStamp>"), kMsgTimestamp);
    EXPECT_EQ(Between(reply.value, "<Nonce><![CDATA[", "]]>"), kMsgNonce);
    EXPECT_EQ(signature, c.Signature(kMsgTimestamp, kMsgNonce, encrypted));
    auto back = c.DecryptMsg(signature, kMsgTimestamp, kMsgNonce, reply.value);
    ASSERT_TRUE(back.ok()) << back.failure.message;
    EXPECT_EQ(back.value, reply_plain);
}

TEST(MsgCrypt, RejectsATamperedSignature) {
    MsgCrypt c = SampleCrypt();
    std::string bad = kVerifySignature;
    bad[0] = bad[0] == '5' ? '6' : '5';
    EXPECT_EQ(c.VerifyUrl(bad, kVerifyTimestamp, kVerifyNonce, kVerifyEchoStr).failure.code,
              CryptError::kValidateSignature);
    EXPECT_EQ(c.VerifyUrl("", kVerifyTimestamp, kVerifyNonce, kVerifyEchoStr).failure.code,
              CryptError::kValidateSignature);
    EXPECT_EQ(c.VerifyUrl(kVerifySignature, "1409659590", kVerifyNonce, kVerifyEchoStr).failure.code,
              CryptError::kValidateSignature)
        << "the timestamp is covered by the signature";
    EXPECT_EQ(c.DecryptMsg(kVerifySignature, kMsgTimestamp, kMsgNonce, PostBody(kMsgEncrypt)).failure.code,
              CryptError::kValidateSignature);
    // Another token signs differently.
    auto other = MsgCrypt::Create("other-token", kAesKey, kCorpId).value;
    EXPECT_EQ(other.DecryptMsg(kMsgSignature, kMsgTimestamp, kMsgNonce, PostBody(kMsgEncrypt)).failure.code,
              CryptError::kValidateSignature);
}

TEST(MsgCrypt, AcceptsAnUpperCaseSignature) {
    MsgCrypt c = SampleCrypt();
    EXPECT_TRUE(c.VerifyUrl("5C45FF5E21C57E6AD56BAC8758B79B1D9AC89FD3", kVerifyTimestamp, kVerifyNonce, kVerifyEchoStr)
                    .ok());
}

TEST(MsgCrypt, RejectsIllegalAesKeys) {
    std::string key = kAesKey;
    EXPECT_EQ(MsgCrypt::Create(kToken, key.substr(0, 42), kCorpId).failure.code, CryptError::kIllegalAesKey);
    EXPECT_EQ(MsgCrypt::Create(kToken, key + "A", kCorpId).failure.code, CryptError::kIllegalAesKey);
    EXPECT_EQ(MsgCrypt::Create(kToken, "", kCorpId).failure.code, CryptError::kIllegalAesKey);
    std::string bad_char = key;
    bad_char[5] = '-';
    EXPECT_EQ(MsgCrypt::Create(kToken, bad_char, kCorpId).failure.code, CryptError::kIllegalAesKey);
    bad_char[5] = '=';
    EXPECT_EQ(MsgCrypt::Create(kToken, bad_char, kCorpId).failure.code, CryptError::kIllegalAesKey);
    EXPECT_TRUE(MsgCrypt::Create(kToken, key, kCorpId).ok());
}

TEST(MsgCrypt, RejectsAMessageForAnotherCorp) {
    MsgCrypt c = SampleCrypt("wx0000000000000000");
    auto r = c.DecryptMsg(kMsgSignature, kMsgTimestamp, kMsgNonce, PostBody(kMsgEncrypt));
    EXPECT_EQ(r.failure.code, CryptError::kValidateCorpId);
    EXPECT_NE(r.failure.message.find("wx5823bf96d3bd56c7"), std::string::npos) << r.failure.message;
    EXPECT_EQ(c.VerifyUrl(kVerifySignature, kVerifyTimestamp, kVerifyNonce, kVerifyEchoStr).failure.code,
              CryptError::kValidateCorpId);
}

TEST(MsgCrypt, RejectsCorruptPadding) {
    MsgCrypt c = SampleCrypt();
    // The sample echostr is 64 bytes whose last plaintext byte (the pad) is 7. In CBC, flipping
    // a byte of the previous cipher block flips the same byte of the plaintext.
    std::string raw;
    ASSERT_TRUE(Base64Decode(kVerifyEchoStr, &raw));
    ASSERT_EQ(raw.size(), 64u);
    EXPECT_EQ(c.Decrypt(FlipCipherByte(kVerifyEchoStr, 47, 7 ^ 0x40)).failure.code, CryptError::kDecryptAes)
        << "pad byte 0x40 is above 32";
    EXPECT_EQ(c.Decrypt(FlipCipherByte(kVerifyEchoStr, 47, 7)).failure.code, CryptError::kDecryptAes)
        << "pad byte 0";
    EXPECT_EQ(c.Decrypt(FlipCipherByte(kVerifyEchoStr, 46, 1)).failure.code, CryptError::kDecryptAes)
        << "pad bytes that differ";
    // A different key turns the plaintext into noise.
    auto other_key = MsgCrypt::Create(kToken, "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG", kCorpId).value;
    EXPECT_NE(other_key.Decrypt(kMsgEncrypt).failure.code, CryptError::kOk);
}

TEST(MsgCrypt, RejectsALengthBeyondThePlaintext) {
    MsgCrypt c = SampleCrypt();
    // Byte 0 of the first cipher block flips the top byte of the big-endian length in block 2.
    EXPECT_EQ(c.Decrypt(FlipCipherByte(kMsgEncrypt, 0, 0x80)).failure.code, CryptError::kIllegalBuffer);
}

TEST(MsgCrypt, RejectsBadBase64AndPartialBlocks) {
    MsgCrypt c = SampleCrypt();
    EXPECT_EQ(c.Decrypt("not base64!").failure.code, CryptError::kDecodeBase64);
    EXPECT_EQ(c.Decrypt("abc").failure.code, CryptError::kDecodeBase64);
    EXPECT_EQ(c.Decrypt("").failure.code, CryptError::kDecodeBase64);
    EXPECT_EQ(c.Decrypt("ab=c").failure.code, CryptError::kDecodeBase64);
    EXPECT_EQ(c.Decrypt(Base64Encode(std::string(17, 'x'))).failure.code, CryptError::kDecryptAes);
    EXPECT_EQ(c.VerifyUrl(c.Signature("1", "2", "%%%%"), "1", "2", "%%%%").failure.code, CryptError::kDecodeBase64);
}

TEST(MsgCrypt, RejectsBodiesWithoutAnEncryptElement) {
    MsgCrypt c = SampleCrypt();
    EXPECT_EQ(c.DecryptMsg(kMsgSignature, kMsgTimestamp, kMsgNonce, "not xml").failure.code, CryptError::kParseXml);
    EXPECT_EQ(c.DecryptMsg(kMsgSignature, kMsgTimestamp, kMsgNonce, "<xml><ToUserName>x</ToUserName></xml>")
                  .failure.code,
              CryptError::kParseXml);
    EXPECT_EQ(c.DecryptMsg(kMsgSignature, kMsgTimestamp, kMsgNonce, "<xml><Encrypt></Encrypt></xml>").failure.code,
              CryptError::kParseXml);
    EXPECT_EQ(c.DecryptMsg(kMsgSignature, kMsgTimestamp, kMsgNonce, "").failure.code, CryptError::kParseXml);
}

TEST(MsgCrypt, ErrorNamesCarryTheOfficialCodes) {
    EXPECT_STREQ(CryptErrorName(CryptError::kValidateSignature), "-40001 ValidateSignatureError");
    EXPECT_STREQ(CryptErrorName(CryptError::kIllegalAesKey), "-40004 IllegalAesKey");
    EXPECT_STREQ(CryptErrorName(CryptError::kValidateCorpId), "-40005 ValidateCorpidError");
    EXPECT_STREQ(CryptErrorName(CryptError::kDecryptAes), "-40007 DecryptAESError");
    EXPECT_STREQ(CryptErrorName(CryptError::kGenReturnXml), "-40011 GenReturnXmlError");
    EXPECT_EQ(static_cast<int>(CryptError::kDecodeBase64), -40010);
}

}  // namespace
}  // namespace siyu::channels::wecom
