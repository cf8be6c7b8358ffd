#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace siyu::cdp {

// Reads CSV records (RFC 4180) from a file or from memory, plain or gzip-compressed (told
// apart by content, not by name). Quoted fields may hold commas, doubled quotes and line
// breaks; lines end in \n or \r\n; a UTF-8 byte-order mark is skipped and so are empty
// lines. Fields are returned as written, without trimming. Not thread-safe.
class CsvReader {
  public:
    // Opens `path`; fails when it cannot be read.
    static Result<std::unique_ptr<CsvReader>> OpenFile(const std::string& path);
    // Reads `data`, which must outlive the reader.
    static std::unique_ptr<CsvReader> FromMemory(std::string_view data);

    virtual ~CsvReader();

    // Reads the next record; false at the end of the input. Fails only when the input cannot
    // be read (I/O error, corrupt gzip). The fields stay valid until the next call.
    Result<bool> Next();
    const std::vector<std::string_view>& fields() const { return fields_; }
    // 1-based line on which the current record starts.
    int64_t line() const { return record_line_; }
    // True when the current record ends inside a quoted field (the input ended first).
    bool unterminated() const { return unterminated_; }

    // Starts again from the first record.
    Status Rewind();

    // Input bytes consumed so far and in all (compressed bytes for gzip), for progress.
    virtual int64_t consumed_bytes() const = 0;
    virtual int64_t total_bytes() const = 0;

  protected:
    CsvReader();
    // Fills `buf` with up to `size` bytes of decompressed input; 0 at the end.
    virtual Result<size_t> Read(char* buf, size_t size) = 0;
    virtual Status RewindInput() = 0;

  private:
    enum class State { kFieldStart, kUnquoted, kQuoted, kQuoteInQuoted };

    Result<bool> Refill();
    std::string& Cell();
    void EndField();

    std::vector<char> buf_;
    size_t pos_ = 0;
    size_t end_ = 0;
    bool eof_ = false;
    bool at_start_ = true;  // the byte-order mark may follow
    int64_t next_line_ = 1;
    int64_t record_line_ = 0;
    bool unterminated_ = false;
    std::vector<std::string> cells_;  // reused storage of the current record's fields
    size_t cell_count_ = 0;
    std::vector<std::string_view> fields_;
};

// One CSV field, quoted when it needs to be.
std::string CsvEscape(std::string_view field);

}  // namespace siyu::cdp
