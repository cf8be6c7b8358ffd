#include "base/json_writer.h"

#include <cmath>
#include <cstdio>

namespace siyu {

void JsonWriter::Separate() {
    if (after_key_) {
        after_key_ = false;
        return;
    }
    if (need_comma_) out_.push_back(',');
}

JsonWriter& JsonWriter::Open(char c) {
    Separate();
    out_.push_back(c);
    need_comma_ = false;
    return *this;
}

JsonWriter& JsonWriter::Close(char c) {
    out_.push_back(c);
    need_comma_ = true;
    return *this;
}

JsonWriter& JsonWriter::Key(std::string_view key) {
    String(key);
    out_.push_back(':');
    after_key_ = true;
    return *this;
}

JsonWriter& JsonWriter::String(std::string_view value) {
    Separate();
    out_.push_back('"');
    for (unsigned char c : value) {
        switch (c) {
            case '"':
                out_ += "\\\"";
                break;
            case '\\':
                out_ += "\\\\";
                break;
            case '\n':
                out_ += "\\n";
                break;
            case '\r':
                out_ += "\\r";
                break;
            case '\t':
                out_ += "\\t";
                break;
            case '\b':
                out_ += "\\b";
                break;
            case '\f':
                out_ += "\\f";
                break;
            default:
                if (c < 0x20) {
                    char buf[8];
                    std::snprintf(buf, sizeof(buf), "\\u%04x", c);
                    out_ += buf;
                } else {
                    out_.push_back(static_cast<char>(c));
                }
        }
    }
    out_.push_back('"');
    need_comma_ = true;
    return *this;
}

JsonWriter& JsonWriter::Int(int64_t value) {
    Separate();
    out_ += std::to_string(value);
    need_comma_ = true;
    return *this;
}

JsonWriter& JsonWriter::Double(double value) {
    Separate();
    if (!std::isfinite(value)) {
        out_ += "null";
    } else {
        char buf[32];
        std::snprintf(buf, sizeof(buf), "%.17g", value);
        out_ += buf;
    }
    need_comma_ = true;
    return *this;
}

JsonWriter& JsonWriter::Bool(bool value) {
    Separate();
    out_ += value ? "true" : "false";
    need_comma_ = true;
    return *this;
}

JsonWriter& JsonWriter::Null() {
    Separate();
    out_ += "null";
    need_comma_ = true;
    return *this;
}

JsonWriter& JsonWriter::Raw(std::string_view json) {
    Separate();
    out_ += json;
    need_comma_ = true;
    return *this;
}

}  // namespace siyu
