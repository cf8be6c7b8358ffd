#include "cli/wecom_command.h"

#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>

#include "channels/wecom/crypto.h"

namespace siyu::cli {

namespace {

namespace wecom = channels::wecom;

// What to check when WXBizMsgCrypt refuses a callback.
const char* Explain(wecom::CryptError code) {
    switch (code) {
        case wecom::CryptError::kValidateSignature:
            return "msg_signature is not the SHA-1 of the sorted token, timestamp, nonce and ciphertext. Check that "
                   "--token is the Token set in the WeCom admin console and that timestamp, nonce and the ciphertext "
                   "are exactly as received (URL-decoded once).";
        case wecom::CryptError::kParseXml:
            return "the body is not XML with a non-empty <Encrypt> element.";
        case wecom::CryptError::kIllegalAesKey:
            return "the EncodingAESKey must be the 43 characters shown in the WeCom admin console.";
        case wecom::CryptError::kValidateCorpId:
            return "the message decrypted, but it was encrypted for another CorpID (shown above). Check --corp-id "
                   "(the corp id of the WeCom organisation, ww… or wx…).";
        case wecom::CryptError::kDecryptAes:
            return "the ciphertext does not decrypt to valid padding: the EncodingAESKey differs from the one in the "
                   "console, or the ciphertext was altered on the way.";
        case wecom::CryptError::kIllegalBuffer:
            return "the decrypted length header is impossible: wrong EncodingAESKey or damaged ciphertext.";
        case wecom::CryptError::kDecodeBase64:
            return "the ciphertext is not base64. If it came from a URL, decode it once: a '+' must not become a "
                   "space.";
        default:
            return "see docs/wecom.md.";
    }
}

int Failed(const wecom::CryptFailure& f) {
    std::fprintf(stderr, "error %s: %s; %s\n", wecom::CryptErrorName(f.code), f.message.c_str(), Explain(f.code));
    return 1;
}

bool ReadFile(const std::string& path, std::string* out) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return false;
    std::stringstream buf;
    buf << in.rdbuf();
    *out = buf.str();
    return true;
}

}  // namespace

void AddWecomCommand(CLI::App& app, WecomFlags* f) {
    f->command = app.add_subcommand("wecom", "WeCom callback tools (docs/wecom.md)");
    f->command->require_subcommand(1);

    f->decrypt = f->command->add_subcommand("decrypt", "Verify and decrypt a WeCom callback; prints the plaintext");
    f->decrypt->add_option("--token", f->token, "callback Token")->required();
    f->decrypt->add_option("--aes-key", f->aes_key, "callback EncodingAESKey (43 characters)")->required();
    f->decrypt->add_option("--corp-id", f->corp_id, "CorpID the message must be for")->required();
    f->decrypt->add_option("--signature", f->signature, "msg_signature query parameter")->required();
    f->decrypt->add_option("--timestamp", f->timestamp, "timestamp query parameter")->required();
    f->decrypt->add_option("--nonce", f->nonce, "nonce query parameter")->required();
    auto* echostr = f->decrypt->add_option("--echostr", f->echostr, "echostr of a URL verification (URL-decoded)");
    auto* xml = f->decrypt->add_option("--xml", f->xml_file, "file with the POST body of an event callback");
    echostr->excludes(xml);
    xml->excludes(echostr);

    f->encrypt = f->command->add_subcommand("encrypt", "Encrypt a message as WeCom does; prints the callback XML");
    f->encrypt->add_option("--token", f->token, "callback Token")->required();
    f->encrypt->add_option("--aes-key", f->aes_key, "callback EncodingAESKey (43 characters)")->required();
    f->encrypt->add_option("--corp-id", f->corp_id, "CorpID to encrypt for")->required();
    f->encrypt->add_option("--timestamp", f->timestamp, "timestamp to sign")->required();
    f->encrypt->add_option("--nonce", f->nonce, "nonce to sign")->required();
    auto* message = f->encrypt->add_option("--message", f->message, "the plaintext message");
    auto* file = f->encrypt->add_option("--xml", f->xml_file, "file with the plaintext message XML");
    message->excludes(file);
    file->excludes(message);
}

int RunWecom(const WecomFlags& f) {
    auto crypt = wecom::MsgCrypt::Create(f.token, f.aes_key, f.corp_id);
    if (!crypt.ok()) return Failed(crypt.failure);
    if (f.decrypt->parsed()) {
        wecom::CryptResult<std::string> plain;
        if (!f.xml_file.empty()) {
            std::string body;
            if (!ReadFile(f.xml_file, &body)) {
                std::fprintf(stderr, "cannot read %s\n", f.xml_file.c_str());
                return 1;
            }
            plain = crypt.value.DecryptMsg(f.signature, f.timestamp, f.nonce, body);
        } else if (!f.echostr.empty()) {
            plain = crypt.value.VerifyUrl(f.signature, f.timestamp, f.nonce, f.echostr);
        } else {
            std::fprintf(stderr, "give --echostr (URL verification) or --xml FILE (event callback)\n");
            return 1;
        }
        if (!plain.ok()) return Failed(plain.failure);
        std::cout << plain.value << "\n";
        return 0;
    }
    std::string message = f.message;
    if (!f.xml_file.empty() && !ReadFile(f.xml_file, &message)) {
        std::fprintf(stderr, "cannot read %s\n", f.xml_file.c_str());
        return 1;
    }
    if (message.empty()) {
        std::fprintf(stderr, "give --message TEXT or --xml FILE\n");
        return 1;
    }
    auto reply = crypt.value.EncryptMsg(message, f.timestamp, f.nonce);
    if (!reply.ok()) return Failed(reply.failure);
    std::string encrypted;
    size_t a = reply.value.find("<Encrypt><![CDATA[");
    size_t b = reply.value.find("]]></Encrypt>");
    if (a != std::string::npos && b != std::string::npos) {
        a += std::string("<Encrypt><![CDATA[").size();
        encrypted = reply.value.substr(a, b - a);
    }
    std::cout << reply.value << "\n"
              << "msg_signature=" << crypt.value.Signature(f.timestamp, f.nonce, encrypted) << "\n"
              << "echostr=" << encrypted << "\n";
    return 0;
}

}  // namespace siyu::cli
