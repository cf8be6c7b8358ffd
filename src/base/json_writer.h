#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace siyu {

// Appends compact JSON text to a string without building a document first: for hot
// paths where a DOM's allocations show up in profiles. The caller keeps the nesting
// balanced; commas are inserted automatically. Not thread-safe.
class JsonWriter {
  public:
    JsonWriter& BeginObject() { return Open('{'); }
    JsonWriter& EndObject() { return Close('}'); }
    JsonWriter& BeginArray() { return Open('['); }
    JsonWriter& EndArray() { return Close(']'); }
    JsonWriter& Key(std::string_view key);
    JsonWriter& String(std::string_view value);
    JsonWriter& Int(int64_t value);
    JsonWriter& Double(double value);
    JsonWriter& Bool(bool value);
    JsonWriter& Null();
    // Already-serialised JSON (for example a stored object).
    JsonWriter& Raw(std::string_view json);

    const std::string& str() const { return out_; }
    std::string Take() { return std::move(out_); }

  private:
    JsonWriter& Open(char c);
    JsonWriter& Close(char c);
    void Separate();

    std::string out_;
    bool need_comma_ = false;
    bool after_key_ = false;
};

}  // namespace siyu
