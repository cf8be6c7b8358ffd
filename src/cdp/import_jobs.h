#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "auth/audit_log.h"
#include "base/status.h"
#include "cdp/csv_import.h"
#include "cdp/customer_import.h"
#include "cdp/event_ingestor.h"
#include "cdp/job_queue.h"
#include "store/database.h"

namespace siyu::cdp {

// What to import and how to read it.
struct ImportJobSpec {
    int64_t tenant_id = 0;
    std::string kind;  // "orders" or "customers"
    std::string file_name;
    std::string time_zone = "Asia/Shanghai";
    std::string currency = "CNY";  // orders without a currency column
    std::string refund_prefix = "C";
    ColumnMapping mapping;
};

// An import job as stored in import_jobs.
struct ImportJob {
    int64_t id = 0;
    int64_t tenant_id = 0;
    std::string kind;
    std::string status;  // queued, running, succeeded, failed
    std::string file_name;
    int64_t bytes = 0;
    std::string options = "{}";  // JSON object
    std::string phase;
    int64_t rows_done = 0;
    std::optional<int64_t> rows_total;
    int64_t written = 0;
    int64_t bytes_done = 0;
    std::optional<std::string> counts;  // JSON object once finished
    std::optional<std::string> error;
    int64_t error_count = 0;
    std::string created_by;
    TimeMs created_at = 0;
    std::optional<TimeMs> started_at;
    std::optional<TimeMs> finished_at;
};

// Import jobs started through the API. Each job is recorded in import_jobs, then run on a
// background thread, one job at a time in the order started; its progress, result and the
// first kMaxStoredErrors row errors are written back as it goes. The uploaded body is held
// in memory until its job has run, so a job queued or running when the process stops is
// marked failed (interrupted) by the next process's ImportJobs. Thread-safe.
class ImportJobs {
  public:
    static constexpr size_t kMaxQueued = 8;
    static constexpr int64_t kMaxStoredErrors = 10'000;

    // `db` and `ingestor` must outlive this object. Marks jobs left queued or running by an
    // earlier process as failed.
    ImportJobs(store::Database* db, EventIngestor* ingestor);
    // Cancels the running job (it stops at its next batch), drops queued ones and joins.
    ~ImportJobs();

    ImportJobs(const ImportJobs&) = delete;
    ImportJobs& operator=(const ImportJobs&) = delete;

    // Completes the options of every customer import job before it runs (the API adds the
    // loyalty member hook). Call before the first Start.
    void SetCustomerImportSetup(std::function<void(CustomerImportOptions*)> setup) { setup_ = std::move(setup); }

    // Checks the header of `body` (plain or gzip CSV) against the spec, records the job and
    // queues it. Fails with invalid_argument for a bad header or mapping, resource_exhausted
    // when kMaxQueued jobs already wait.
    Result<ImportJob> Start(const ImportJobSpec& spec, std::string body, const auth::Actor& actor);

    Result<ImportJob> Get(int64_t tenant_id, int64_t id);
    // Newest first; `before_id` continues a page.
    Result<std::vector<ImportJob>> List(int64_t tenant_id, int limit, std::optional<int64_t> before_id);
    // The stored row errors of a job as CSV (line,column,reason).
    Result<std::string> ErrorsCsv(int64_t tenant_id, int64_t id);

  private:
    struct Pending {
        int64_t id = 0;
        ImportJobSpec spec;
        std::string body;
    };

    void Run(Pending& job);
    Status SaveErrors(int64_t id, std::vector<ImportError>* errors, int64_t* stored);

    store::Database* db_;
    EventIngestor* ingestor_;
    std::function<void(CustomerImportOptions*)> setup_;
    JobQueue<Pending> queue_;  // last: its worker runs Run
};

}  // namespace siyu::cdp
