#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "cdp/csv_reader.h"

namespace siyu::cdp {

// What the CSV importers (orders, customers) share: column mappings, row errors, progress.

// Which column holds a field, when it is not the default one: "field=Column" pairs from
// `--map` flags, a mapping file or the API's `map` parameter. A value; thread-compatible.
class ColumnMapping {
  public:
    // Adds pairs separated by commas: "order_id=InvoiceNo,sku=StockCode".
    Status AddPairs(std::string_view spec);
    // Adds one "field=Column" (or "field,Column") per line; blank lines and lines starting
    // with '#' are skipped.
    Status AddLines(std::string_view text);
    void Set(const std::string& field, const std::string& column) { columns_[field] = column; }

    const std::map<std::string, std::string>& columns() const { return columns_; }
    bool empty() const { return columns_.empty(); }

  private:
    std::map<std::string, std::string> columns_;
};

// A field an importer reads: whether the file must have it, and the column names it is
// looked up by when no mapping names one (case-insensitively).
struct FieldSpec {
    std::string_view field;
    bool required = false;
    std::vector<std::string_view> default_columns;
};

// Where each field of a FieldSpec list sits in one file's header.
class ColumnLayout {
  public:
    // Fails (invalid_argument, field "map") when the mapping names a field that is not in
    // `fields` or a column that is not in the header, or a required field has no column.
    static Result<ColumnLayout> Resolve(const std::vector<FieldSpec>& fields, const ColumnMapping& mapping,
                                        const std::vector<std::string_view>& header);

    // Column index of field number `i` of the spec list, or -1 when the file lacks it.
    int index(size_t i) const { return indexes_[i]; }
    bool has(size_t i) const { return indexes_[i] >= 0; }
    // The header's name of field `i`'s column ("UnitPrice"), or the field name when absent.
    const std::string& column(size_t i) const { return names_[i]; }
    size_t header_size() const { return header_size_; }

  private:
    std::vector<int> indexes_;
    std::vector<std::string> names_;
    size_t header_size_ = 0;
};

// A row the importer could not use. `line` is the file's line number (the header is line
// 1); `column` the header's column name, empty when the whole row is at fault.
struct ImportError {
    int64_t line = 0;
    std::string column;
    std::string reason;
};

struct ImportProgress {
    std::string_view phase;   // "scanning" (first pass over orders) or "importing"
    int64_t rows = 0;         // data rows read in this phase
    int64_t total_rows = -1;  // known after the scanning pass; -1 before
    int64_t written = 0;      // orders or customers written so far
    int64_t bytes = 0;        // input bytes consumed (compressed bytes for gzip)
    int64_t total_bytes = 0;
};

// How an import reports to its caller. Callbacks run on the importing thread.
struct ImportHooks {
    std::function<void(const ImportProgress&)> on_progress;
    std::function<void(const ImportError&)> on_error;
    // When set and true, the import stops between batches with `unavailable`.
    const std::atomic<bool>* cancel = nullptr;
};

// Reads the header record of `csv` and checks it against `fields` and `mapping`; the reader
// is left after the header.
Result<ColumnLayout> ReadHeader(CsvReader& csv, const std::vector<FieldSpec>& fields, const ColumnMapping& mapping);

// The message of `st` without its "field: " prefix: the reason of a row error whose column is
// reported separately.
std::string ErrorReason(const Status& st);

// The error report as CSV: "line,column,reason" and one row per error.
std::string ErrorCsvHeader();
std::string ErrorCsvRow(const ImportError& error);

// "17850.0" → "17850": ids that spreadsheets wrote as floats, back to their integer text.
std::string_view IntegralIdText(std::string_view text);

}  // namespace siyu::cdp
