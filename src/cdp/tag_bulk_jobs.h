#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "auth/audit_log.h"
#include "base/status.h"
#include "cdp/customer_repository.h"
#include "cdp/job_queue.h"
#include "cdp/tags.h"
#include "store/database.h"

namespace siyu::cdp {

// What a bulk tagging job does.
struct TagBulkSpec {
    int64_t tenant_id = 0;
    TagAction action = TagAction::kAdd;
    std::vector<int64_t> tag_ids;
    std::vector<int64_t> customer_ids;  // the customers (for a segment: its members when started)
    std::optional<int64_t> segment_id;  // recorded only
    Tagging by;
    Visibility vis;  // customers outside it are skipped
};

// A bulk job as stored in tag_bulk_jobs.
struct TagBulkJob {
    int64_t id = 0;
    int64_t tenant_id = 0;
    std::string action;  // add, remove
    std::vector<int64_t> tag_ids;
    std::optional<int64_t> segment_id;
    std::string status;  // queued, running, succeeded, failed
    int64_t total = 0;
    int64_t processed = 0;
    int64_t changed = 0;
    int64_t skipped = 0;
    std::optional<std::string> error;
    std::string created_by;
    TimeMs created_at = 0;
    std::optional<TimeMs> started_at;
    std::optional<TimeMs> finished_at;
};

// Bulk tagging in the background. Each job is recorded in tag_bulk_jobs, then run on a
// background thread, one job at a time in the order started, kBatchSize customers per
// transaction; each batch commits with the job's progress. Customers that are unknown,
// deleted or invisible to the starter are skipped and counted. The customer ids are held in
// memory until the job has run, so a job queued or running when the process stops is marked
// failed (interrupted) by the next process's TagBulkJobs; batches already committed stay.
// Thread-safe.
class TagBulkJobs {
  public:
    static constexpr size_t kMaxQueued = 8;
    static constexpr size_t kBatchSize = 500;

    // `db` and `tags` must outlive this object. Marks jobs left queued or running by an
    // earlier process as failed.
    TagBulkJobs(store::Database* db, TagRepository* tags);
    // Stops the running job after its current batch, drops queued ones and joins.
    ~TagBulkJobs();

    TagBulkJobs(const TagBulkJobs&) = delete;
    TagBulkJobs& operator=(const TagBulkJobs&) = delete;

    // Checks the tags (as TagRepository::CheckApplicable), records the job (audited as
    // tag.bulk) and queues it; resource_exhausted when kMaxQueued jobs already wait.
    Result<TagBulkJob> Start(TagBulkSpec spec);
    Result<TagBulkJob> Get(int64_t tenant_id, int64_t id);

  private:
    struct Pending {
        int64_t id = 0;
        TagBulkSpec spec;
    };

    // Writes the job's row and its audit entry.
    Status Record(const TagBulkSpec& spec, const char* action, int64_t* id);
    void Run(Pending& job);

    store::Database* db_;
    TagRepository* tags_;
    JobQueue<Pending> queue_;  // last: its worker runs Run
};

}  // namespace siyu::cdp
