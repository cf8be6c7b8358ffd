#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/status.h"
#include "cdp/csv_import.h"
#include "cdp/csv_reader.h"
#include "store/database.h"

namespace siyu::cdp {

// The fields of a member row (offline members from stores or a loyalty system), in this
// order; docs/imports.md describes each and the columns they are read from by default.
const std::vector<FieldSpec>& CustomerFields();

// Reads the header of a member file: like ReadHeader, and a phone or member_no column is
// required.
Result<ColumnLayout> ReadCustomerHeader(CsvReader& csv, const ColumnMapping& mapping);

struct CustomerImportOptions {
    int64_t tenant_id = 0;
    std::string time_zone = "Asia/Shanghai";  // of registered_at in the file
    ColumnMapping mapping;
    size_t rows_per_batch = 500;  // rows per write transaction
    ImportHooks hooks;
};

struct CustomerImportResult {
    int64_t rows = 0;           // data rows read
    int64_t created = 0;        // new customers
    int64_t updated = 0;        // existing customers that gained a field, a tier or points
    int64_t unchanged = 0;      // existing customers the row added nothing to
    int64_t rejected_rows = 0;  // rows reported as errors
    int64_t duration_ms = 0;
};

// Imports members from `csv` (positioned at its start). Each row is matched to an existing
// customer by phone or member number (following merges): an existing customer keeps what it
// has and gains the fields it lacks (name, phone, e-mail, member number, store, gender,
// birthday, an earlier registration time), a new one is created. Tier and points are kept as
// the traits `tier` and `points`, overwritten by every import. A row whose phone and member
// number belong to two different customers, or that would give a customer a second phone or
// member number, is reported and skipped; so is any invalid row. Importing a file again
// changes nothing. Call from one thread.
Result<CustomerImportResult> ImportCustomers(CsvReader& csv, store::Database& db, const CustomerImportOptions& options);

}  // namespace siyu::cdp
