#pragma once

// `siyu wecom decrypt` and `siyu wecom encrypt`: WXBizMsgCrypt on the command line, for an
// operator whose callbacks misbehave (decrypt what WeCom sent, see which check fails) and for
// crafting test callbacks (encrypt a message as WeCom would). See docs/wecom.md.

#include <CLI/CLI.hpp>
#include <string>

namespace siyu::cli {

// The flags of `siyu wecom …`, filled in by CLI11. Keep it alive from AddWecomCommand until
// RunWecom.
struct WecomFlags {
    CLI::App* command = nullptr;
    CLI::App* decrypt = nullptr;
    CLI::App* encrypt = nullptr;
    std::string token, aes_key, corp_id, signature, timestamp, nonce, echostr, xml_file, message;

    bool parsed() const { return command && command->parsed(); }
};

// Adds `siyu wecom decrypt|encrypt` to `app`.
void AddWecomCommand(CLI::App& app, WecomFlags* flags);

// decrypt: prints the plaintext and answers 0, or prints the official error code, its name and
// an explanation on stderr and answers 1. encrypt: prints the callback XML (Encrypt,
// MsgSignature, TimeStamp, Nonce) and the msg_signature=… line.
int RunWecom(const WecomFlags& flags);

}  // namespace siyu::cli
