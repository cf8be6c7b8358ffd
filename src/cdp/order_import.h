#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/status.h"
#include "cdp/csv_import.h"
#include "cdp/csv_reader.h"
#include "cdp/event_ingestor.h"

namespace siyu::cdp {

// The fields of an order line, in this order, and the columns they are read from by default
// (the UCI Online Retail layout: InvoiceNo, StockCode, Description, Quantity, InvoiceDate,
// UnitPrice, CustomerID, Country). docs/imports.md describes each.
const std::vector<FieldSpec>& OrderFields();

// True for three upper-case letters (the shape of an ISO 4217 code).
bool IsCurrencyCode(std::string_view code);

struct OrderImportOptions {
    int64_t tenant_id = 0;
    std::string time_zone = "Asia/Shanghai";  // of the order times in the file
    std::string currency = "CNY";             // when the file has no currency column
    ColumnMapping mapping;
    // Order ids starting with this are refunds (Order Refunded); empty: none are.
    std::string refund_prefix = "C";
    size_t orders_per_batch = 2000;  // orders per ingest transaction
    ImportHooks hooks;
};

struct OrderImportResult {
    int64_t rows = 0;             // data rows read (the header not counted)
    int64_t orders = 0;           // valid orders: Order Completed events
    int64_t refunds = 0;          // valid refunds: Order Refunded events
    int64_t duplicates = 0;       // orders and refunds imported before, left as they were
    int64_t customers = 0;        // distinct customer ids of valid orders and refunds
    int64_t guest_orders = 0;     // valid orders and refunds without a customer id
    int64_t rejected_rows = 0;    // rows not imported: bad rows and the other rows of their orders
    int64_t rejected_orders = 0;  // orders and refunds with at least one bad row
    int64_t duration_ms = 0;
};

// Imports order lines from `csv` (positioned at its start): rows are grouped into orders by
// order id across the whole file (two passes: the first counts each order's rows, the second
// emits an order once its last row is read, so memory holds only orders still open), and
// each order becomes one `Order Completed` (or `Order Refunded`) track message with message
// id `import:order:<order id>`, ingested `orders_per_batch` at a time. Importing a file again
// changes nothing. A bad row is reported through `hooks.on_error` and rejects its whole
// order; it never stops the import. Fails on an unreadable file, a header without the
// required columns, or a failed ingest (earlier batches stay committed; a re-run skips them).
// Call from one thread; `ingestor` may be shared.
Result<OrderImportResult> ImportOrders(CsvReader& csv, EventIngestor& ingestor, const OrderImportOptions& options);

}  // namespace siyu::cdp
