#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "base/time.h"
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

// The loyalty fields of a valid member row, as the member hook receives them.
struct MemberRowFields {
    int64_t line = 0;
    bool new_customer = false;             // the row created the customer
    std::optional<std::string> member_no;  // from the file
    std::optional<TimeMs> registered_at;
    std::optional<int64_t> store_id;
    std::optional<std::string> tier;          // a tier name
    std::optional<int64_t> points;            // >= 0
    std::optional<int64_t> stored_value;      // >= 0, minor units
};

// What the member hook did with a row.
struct MemberRowOutcome {
    bool created = false;  // the customer became a member
    bool changed = false;  // the member's tier or a balance changed
};

// Makes a loyalty member of a member row. The loyalty module provides it (cdp does not depend
// on loyalty). Called on the importing thread inside the batch's write transaction, after the
// row's customer was created or updated (`customer_id`), within the row's savepoint. An error
// whose field is a member field (`tier`, `points`, `stored_value`, `member_no`) or any other
// non-internal error rejects the row, reported with that field's column, and rolls it back;
// an internal error stops the import.
using MemberRowHook = std::function<Result<MemberRowOutcome>(store::Connection& c, int64_t tenant_id,
                                                             int64_t customer_id, const MemberRowFields& row)>;

struct CustomerImportOptions {
    int64_t tenant_id = 0;
    std::string time_zone = "Asia/Shanghai";  // of registered_at in the file
    ColumnMapping mapping;
    size_t rows_per_batch = 500;  // rows per write transaction
    ImportHooks hooks;
    // When set, every valid row also goes through the hook, and tier and points are no longer
    // kept as traits (the member owns them).
    MemberRowHook on_member;
    // After each batch's transaction: committed, or rolled back (the hook's owner publishes
    // or drops what the batch emitted).
    std::function<void(bool committed)> on_batch_done;
};

struct CustomerImportResult {
    int64_t rows = 0;           // data rows read
    int64_t created = 0;        // new customers
    int64_t updated = 0;        // existing customers that gained a field, a tier or a balance
    int64_t unchanged = 0;      // existing customers the row added nothing to
    int64_t rejected_rows = 0;  // rows reported as errors
    int64_t members_created = 0;  // customers the member hook made members
    int64_t duration_ms = 0;
};

// Imports members from `csv` (positioned at its start). Each row is matched to an existing
// customer by phone or member number (following merges): an existing customer keeps what it
// has and gains the fields it lacks (name, phone, e-mail, member number, store, gender,
// birthday, an earlier registration time), a new one is created. Without a member hook, tier
// and points are kept as the traits `tier` and `points`, overwritten by every import; with
// one, the hook turns them and the stored value into the member's tier and balances. A row
// whose phone and member number belong to two different customers, or that would give a
// customer a second phone or member number, is reported and skipped; so is any invalid row.
// Importing a file again changes nothing. Call from one thread.
Result<CustomerImportResult> ImportCustomers(CsvReader& csv, store::Database& db, const CustomerImportOptions& options);

}  // namespace siyu::cdp
