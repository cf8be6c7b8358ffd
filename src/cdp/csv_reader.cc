#include "cdp/csv_reader.h"

#include <sys/stat.h>
#include <zlib.h>

#include <cerrno>
#include <cstring>

namespace siyu::cdp {

namespace {

constexpr size_t kBufferBytes = 256 * 1024;

// A file read through zlib, which passes plain files through unchanged.
class FileCsvReader final : public CsvReader {
  public:
    FileCsvReader(gzFile file, int64_t size) : file_(file), size_(size) {}
    ~FileCsvReader() override { gzclose(file_); }

    int64_t consumed_bytes() const override { return static_cast<int64_t>(gzoffset(file_)); }
    int64_t total_bytes() const override { return size_; }

  protected:
    Result<size_t> Read(char* buf, size_t size) override {
        int n = gzread(file_, buf, static_cast<unsigned>(size));
        if (n < 0) {
            int code = 0;
            const char* message = gzerror(file_, &code);
            return Status(StatusCode::kInvalidArgument, std::string("cannot read the file: ") + message);
        }
        if (n == 0) {
            int code = 0;
            const char* message = gzerror(file_, &code);
            if (code != Z_OK && code != Z_BUF_ERROR) {
                return Status(StatusCode::kInvalidArgument, std::string("cannot read the file: ") + message);
            }
            if (code == Z_BUF_ERROR) {
                return Status(StatusCode::kInvalidArgument, "the gzip file is truncated");
            }
        }
        return static_cast<size_t>(n);
    }

    Status RewindInput() override {
        if (gzrewind(file_) != 0) return Status::Internal("cannot rewind the file");
        return Status::Ok();
    }

  private:
    gzFile file_;
    int64_t size_;
};

// Bytes in memory, inflated on the fly when they are gzip.
class MemoryCsvReader final : public CsvReader {
  public:
    explicit MemoryCsvReader(std::string_view data) : data_(data) {
        gzip_ = data.size() >= 2 && static_cast<unsigned char>(data[0]) == 0x1f &&
                static_cast<unsigned char>(data[1]) == 0x8b;
        if (gzip_) inflate_ready_ = inflateInit2(&zs_, 16 + MAX_WBITS) == Z_OK;
    }
    ~MemoryCsvReader() override {
        if (inflate_ready_) inflateEnd(&zs_);
    }

    int64_t consumed_bytes() const override { return static_cast<int64_t>(offset_); }
    int64_t total_bytes() const override { return static_cast<int64_t>(data_.size()); }

  protected:
    Result<size_t> Read(char* buf, size_t size) override {
        if (!gzip_) {
            size_t n = std::min(size, data_.size() - offset_);
            std::memcpy(buf, data_.data() + offset_, n);
            offset_ += n;
            return n;
        }
        if (!inflate_ready_) return Status::Internal("zlib init failed");
        while (true) {
            if (offset_ == data_.size()) {
                if (!member_done_) return Status(StatusCode::kInvalidArgument, "the gzip body is truncated");
                return size_t{0};
            }
            if (member_done_) {  // another gzip member follows
                inflateReset(&zs_);
                member_done_ = false;
            }
            zs_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data_.data() + offset_));
            zs_.avail_in = static_cast<uInt>(std::min<size_t>(data_.size() - offset_, 1 << 30));
            zs_.next_out = reinterpret_cast<Bytef*>(buf);
            zs_.avail_out = static_cast<uInt>(size);
            int rc = inflate(&zs_, Z_NO_FLUSH);
            size_t used = static_cast<size_t>(reinterpret_cast<const char*>(zs_.next_in) - (data_.data() + offset_));
            offset_ += used;
            size_t produced = size - zs_.avail_out;
            if (rc == Z_STREAM_END) {
                member_done_ = true;
            } else if (rc != Z_OK && !(rc == Z_BUF_ERROR && produced > 0)) {
                return Status(StatusCode::kInvalidArgument, "the body is not valid gzip");
            }
            if (produced > 0) return produced;
            if (rc == Z_OK && used == 0) return Status(StatusCode::kInvalidArgument, "the gzip body is truncated");
        }
    }

    Status RewindInput() override {
        offset_ = 0;
        member_done_ = false;
        if (gzip_ && inflate_ready_) inflateReset(&zs_);
        return Status::Ok();
    }

  private:
    std::string_view data_;
    size_t offset_ = 0;
    bool gzip_ = false;
    bool inflate_ready_ = false;
    bool member_done_ = false;
    z_stream zs_{};
};

}  // namespace

CsvReader::CsvReader() : buf_(kBufferBytes) {}
CsvReader::~CsvReader() = default;

Result<std::unique_ptr<CsvReader>> CsvReader::OpenFile(const std::string& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) {
        return Status::InvalidArgument("file", "cannot open " + path + ": " + std::strerror(errno));
    }
    if (S_ISDIR(st.st_mode)) return Status::InvalidArgument("file", path + " is a directory");
    gzFile file = gzopen(path.c_str(), "rb");
    if (file == nullptr) return Status::InvalidArgument("file", "cannot open " + path + ": " + std::strerror(errno));
    gzbuffer(file, kBufferBytes);
    return std::unique_ptr<CsvReader>(new FileCsvReader(file, static_cast<int64_t>(st.st_size)));
}

std::unique_ptr<CsvReader> CsvReader::FromMemory(std::string_view data) {
    return std::unique_ptr<CsvReader>(new MemoryCsvReader(data));
}

Status CsvReader::Rewind() {
    SIYU_RETURN_IF_ERROR(RewindInput());
    pos_ = end_ = 0;
    eof_ = false;
    at_start_ = true;
    next_line_ = 1;
    record_line_ = 0;
    unterminated_ = false;
    cell_count_ = 0;
    fields_.clear();
    return Status::Ok();
}

Result<bool> CsvReader::Refill() {
    if (eof_) return false;
    SIYU_ASSIGN_OR_RETURN(size_t n, Read(buf_.data(), buf_.size()));
    pos_ = 0;
    end_ = n;
    if (n == 0) {
        eof_ = true;
        return false;
    }
    if (at_start_) {
        at_start_ = false;
        if (n >= 3 && std::memcmp(buf_.data(), "\xEF\xBB\xBF", 3) == 0) pos_ = 3;
    }
    return true;
}

std::string& CsvReader::Cell() {
    if (cell_count_ == cells_.size()) cells_.emplace_back();
    return cells_[cell_count_];
}

void CsvReader::EndField() { ++cell_count_; }

Result<bool> CsvReader::Next() {
    cell_count_ = 0;
    unterminated_ = false;
    State state = State::kFieldStart;
    bool quoted = false;  // the record has a quoted field, so it is not an empty line
    record_line_ = next_line_;
    Cell().clear();
    // True when nothing but an optional '\r' has been read since the record started.
    auto blank = [&] {
        std::string& cell = Cell();
        if (!cell.empty() && cell.back() == '\r') cell.pop_back();
        return cell_count_ == 0 && cell.empty() && !quoted;
    };
    while (true) {
        if (pos_ == end_) {
            SIYU_ASSIGN_OR_RETURN(bool more, Refill());
            if (!more) {
                if (state != State::kQuoted && blank()) return false;
                if (state == State::kQuoted) unterminated_ = true;
                EndField();
                break;
            }
        }
        const char* p = buf_.data() + pos_;
        const char* end = buf_.data() + end_;
        if (state == State::kFieldStart || state == State::kUnquoted) {
            const char* q = p;
            while (q < end && *q != ',' && *q != '\n' && *q != '"') ++q;
            if (q > p) {
                Cell().append(p, q);
                state = State::kUnquoted;
            }
            pos_ += static_cast<size_t>(q - p);
            if (q == end) continue;
            char c = *q;
            ++pos_;
            if (c == '"') {
                quoted = true;
                if (state == State::kFieldStart) {
                    state = State::kQuoted;
                } else {
                    Cell().push_back('"');  // a stray quote inside an unquoted field is kept
                }
                continue;
            }
            if (c == '\n') {
                ++next_line_;
                if (blank()) {  // an empty line
                    record_line_ = next_line_;
                    state = State::kFieldStart;
                    continue;
                }
                EndField();
                break;
            }
            EndField();  // a comma
            Cell().clear();
            state = State::kFieldStart;
            continue;
        }
        if (state == State::kQuoted) {
            const char* q = p;
            while (q < end && *q != '"') {
                if (*q == '\n') ++next_line_;
                ++q;
            }
            Cell().append(p, q);
            pos_ += static_cast<size_t>(q - p);
            if (q == end) continue;
            ++pos_;
            state = State::kQuoteInQuoted;
            continue;
        }
        // kQuoteInQuoted: a quote inside a quoted field was just read.
        char c = *p;
        ++pos_;
        if (c == '"') {
            Cell().push_back('"');
            state = State::kQuoted;
        } else if (c == ',') {
            EndField();
            Cell().clear();
            state = State::kFieldStart;
        } else if (c == '\n') {
            ++next_line_;
            EndField();
            break;
        } else if (c != '\r') {
            Cell().push_back(c);  // text after a closing quote is kept as written
            state = State::kUnquoted;
        }
    }
    fields_.clear();
    for (size_t i = 0; i < cell_count_; ++i) fields_.emplace_back(cells_[i]);
    return true;
}

std::string CsvEscape(std::string_view field) {
    if (field.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(field);
    std::string out = "\"";
    for (char c : field) {
        if (c == '"') out.push_back('"');
        out.push_back(c);
    }
    out.push_back('"');
    return out;
}

}  // namespace siyu::cdp
