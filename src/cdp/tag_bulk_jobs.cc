#include "cdp/tag_bulk_jobs.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <nlohmann/json.hpp>

namespace siyu::cdp {

namespace {

using Json = nlohmann::json;
using store::Connection;

constexpr char kJobColumns[] =
    "SELECT id, tenant_id, action, tag_ids, segment_id, status, total, processed, changed, skipped, error, "
    "created_by, created_at, started_at, finished_at FROM tag_bulk_jobs ";

TagBulkJob ReadJob(const store::Statement& s) {
    TagBulkJob j;
    j.id = s.Int(0);
    j.tenant_id = s.Int(1);
    j.action = s.Text(2);
    Json tags = Json::parse(s.Text(3), nullptr, false);
    if (tags.is_array()) j.tag_ids = tags.get<std::vector<int64_t>>();
    j.segment_id = s.OptInt(4);
    j.status = s.Text(5);
    j.total = s.Int(6);
    j.processed = s.Int(7);
    j.changed = s.Int(8);
    j.skipped = s.Int(9);
    j.error = s.OptText(10);
    j.created_by = s.Text(11);
    j.created_at = s.Int(12);
    j.started_at = s.OptInt(13);
    j.finished_at = s.OptInt(14);
    return j;
}

}  // namespace

TagBulkJobs::TagBulkJobs(store::Database* db, TagRepository* tags)
    : db_(db), tags_(tags), queue_(kMaxQueued, [this](Pending& job) { Run(job); }) {
    MarkInterruptedJobs(db_, "tag_bulk_jobs",
                        "interrupted: the server stopped before the job finished; customers processed so far keep "
                        "their change; start it again");
}

TagBulkJobs::~TagBulkJobs() = default;

Result<TagBulkJob> TagBulkJobs::Start(TagBulkSpec spec) {
    SIYU_RETURN_IF_ERROR(tags_->CheckApplicable(spec.tenant_id, spec.tag_ids));
    int64_t id = 0;
    int64_t tenant_id = spec.tenant_id;
    const char* action = spec.action == TagAction::kAdd ? "add" : "remove";
    SIYU_RETURN_IF_ERROR(queue_.Enqueue("bulk tag jobs", [&]() -> Result<Pending> {
        SIYU_RETURN_IF_ERROR(Record(spec, action, &id));
        spec.by.job_id = id;
        return Pending{id, std::move(spec)};
    }));
    return Get(tenant_id, id);
}

Status TagBulkJobs::Record(const TagBulkSpec& spec, const char* action, int64_t* id_out) {
    int64_t id = 0;
    SIYU_RETURN_IF_ERROR(db_->Write([&](Connection& c) -> Status {
        SIYU_ASSIGN_OR_RETURN(auto stmt, c.Prepare("INSERT INTO tag_bulk_jobs(tenant_id, action, tag_ids, segment_id, "
                                                   "status, total, created_by, created_at) VALUES "
                                                   "(?,?,?,?,'queued',?,?,?)"));
        SIYU_RETURN_IF_ERROR(stmt.Bind(1, spec.tenant_id)
                                 .Bind(2, action)
                                 .Bind(3, Json(spec.tag_ids).dump())
                                 .Bind(4, spec.segment_id)
                                 .Bind(5, static_cast<int64_t>(spec.customer_ids.size()))
                                 .Bind(6, spec.by.actor.name)
                                 .Bind(7, NowMs())
                                 .Run());
        id = c.LastInsertId();
        Json details = {{"action", action}, {"tag_ids", spec.tag_ids}, {"customers", spec.customer_ids.size()}};
        if (spec.segment_id) details["segment_id"] = *spec.segment_id;
        return auth::AppendAudit(c, spec.tenant_id, spec.by.actor, "tag.bulk", "tag_bulk_job", std::to_string(id),
                                 details.dump());
    }));
    *id_out = id;
    return Status::Ok();
}

Result<TagBulkJob> TagBulkJobs::Get(int64_t tenant_id, int64_t id) {
    std::optional<TagBulkJob> job;
    SIYU_RETURN_IF_ERROR(db_->Read([&](Connection& c) -> Status {
        SIYU_ASSIGN_OR_RETURN(auto stmt, c.Prepare(std::string(kJobColumns) + "WHERE tenant_id = ? AND id = ?"));
        stmt.Bind(1, tenant_id).Bind(2, id);
        SIYU_ASSIGN_OR_RETURN(bool row, stmt.Step());
        if (row) job = ReadJob(stmt);
        return Status::Ok();
    }));
    if (!job) return Status::NotFound("bulk tag job " + std::to_string(id) + " not found");
    return std::move(*job);
}

void TagBulkJobs::Run(Pending& job) {
    const TagBulkSpec& spec = job.spec;
    auto finish = [&](const Status& outcome) {
        Status st = db_->Write([&](Connection& c) -> Status {
            SIYU_ASSIGN_OR_RETURN(auto stmt,
                                  c.Prepare("UPDATE tag_bulk_jobs SET status = ?, error = ?, finished_at = ? "
                                            "WHERE id = ?"));
            std::optional<std::string> error;
            if (!outcome.ok()) error = outcome.message();
            return stmt.Bind(1, outcome.ok() ? "succeeded" : "failed")
                .Bind(2, error)
                .Bind(3, NowMs())
                .Bind(4, job.id)
                .Run();
        });
        if (!st.ok()) spdlog::warn("tag bulk job {}: cannot record the outcome: {}", job.id, st.ToString());
    };
    Status started = db_->Write([&](Connection& c) -> Status {
        SIYU_ASSIGN_OR_RETURN(auto stmt,
                              c.Prepare("UPDATE tag_bulk_jobs SET status = 'running', started_at = ? WHERE id = ?"));
        return stmt.Bind(1, NowMs()).Bind(2, job.id).Run();
    });
    if (!started.ok()) spdlog::warn("tag bulk job {}: cannot record the start: {}", job.id, started.ToString());

    TagCounts total;
    size_t processed = 0;
    const auto& ids = spec.customer_ids;
    while (processed < ids.size()) {
        if (queue_.stopping()) return;  // the next process marks the job interrupted
        size_t end = std::min(ids.size(), processed + kBatchSize);
        std::vector<int64_t> batch(ids.begin() + static_cast<std::ptrdiff_t>(processed),
                                   ids.begin() + static_cast<std::ptrdiff_t>(end));
        std::vector<CustomerTagChange> changes;
        TagCounts counts;
        Status st = db_->Write([&](Connection& c) -> Status {
            changes.clear();
            SIYU_ASSIGN_OR_RETURN(counts, tags_->ApplyIn(c, spec.tenant_id, batch, spec.tag_ids, spec.action, spec.by,
                                                         spec.vis, true, &changes));
            SIYU_ASSIGN_OR_RETURN(auto stmt, c.Prepare("UPDATE tag_bulk_jobs SET processed = ?, changed = ?, skipped = "
                                                       "? WHERE id = ?"));
            return stmt.Bind(1, static_cast<int64_t>(end))
                .Bind(2, total.changed + counts.changed)
                .Bind(3, total.skipped + counts.skipped)
                .Bind(4, job.id)
                .Run();
        });
        if (!st.ok()) {
            finish(st);
            return;
        }
        tags_->Publish(changes);
        total.changed += counts.changed;
        total.skipped += counts.skipped;
        processed = end;
    }
    finish(Status::Ok());
}

}  // namespace siyu::cdp
