#include "cdp/job_queue.h"

#include <spdlog/spdlog.h>

#include "base/time.h"

namespace siyu::cdp {

void MarkInterruptedJobs(store::Database* db, std::string_view table, std::string_view message) {
    Status swept = db->Write([&](store::Connection& c) -> Status {
        SIYU_ASSIGN_OR_RETURN(auto stmt, c.Prepare("UPDATE " + std::string(table) +
                                                   " SET status = 'failed', error = ?, finished_at = ? "
                                                   "WHERE status IN ('queued', 'running')"));
        return stmt.Bind(1, std::string(message)).Bind(2, NowMs()).Run();
    });
    if (!swept.ok()) spdlog::warn("{}: cannot mark interrupted jobs: {}", table, swept.ToString());
}

}  // namespace siyu::cdp
