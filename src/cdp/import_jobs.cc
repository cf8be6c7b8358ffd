#include "cdp/import_jobs.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <nlohmann/json.hpp>

#include "base/time.h"
#include "cdp/customer_import.h"
#include "cdp/order_import.h"

namespace siyu::cdp {

namespace {

using Json = nlohmann::json;
using store::Connection;

constexpr char kJobColumns[] =
    "SELECT id, tenant_id, kind, status, file_name, bytes, options, phase, rows_done, rows_total, written, "
    "bytes_done, counts, error, error_count, created_by, created_at, started_at, finished_at FROM import_jobs ";
constexpr size_t kErrorsPerWrite = 500;
constexpr int64_t kProgressIntervalMs = 300;

ImportJob ReadJob(const store::Statement& s) {
    ImportJob j;
    j.id = s.Int(0);
    j.tenant_id = s.Int(1);
    j.kind = s.Text(2);
    j.status = s.Text(3);
    j.file_name = s.Text(4);
    j.bytes = s.Int(5);
    j.options = s.Text(6);
    j.phase = s.Text(7);
    j.rows_done = s.Int(8);
    j.rows_total = s.OptInt(9);
    j.written = s.Int(10);
    j.bytes_done = s.Int(11);
    j.counts = s.OptText(12);
    j.error = s.OptText(13);
    j.error_count = s.Int(14);
    j.created_by = s.Text(15);
    j.created_at = s.Int(16);
    j.started_at = s.OptInt(17);
    j.finished_at = s.OptInt(18);
    return j;
}

Json OptionsJson(const ImportJobSpec& spec) {
    Json o = {{"time_zone", spec.time_zone}};
    if (spec.kind == "orders") {
        o["currency"] = spec.currency;
        o["refund_prefix"] = spec.refund_prefix;
    }
    Json map = Json::object();
    for (const auto& [field, column] : spec.mapping.columns()) map[field] = column;
    o["map"] = map;
    return o;
}

}  // namespace

ImportJobs::ImportJobs(store::Database* db, EventIngestor* ingestor)
    : db_(db), ingestor_(ingestor), queue_(kMaxQueued, [this](Pending& job) { Run(job); }) {
    MarkInterruptedJobs(db_, "import_jobs",
                        "interrupted: the server stopped before the import finished; start it again (orders "
                        "already imported are skipped)");
}

ImportJobs::~ImportJobs() = default;

Result<ImportJob> ImportJobs::Start(const ImportJobSpec& spec, std::string body, const auth::Actor& actor) {
    if (spec.kind != "orders" && spec.kind != "customers") {
        return Status::InvalidArgument("kind", "must be orders or customers");
    }
    if (!IsValidTimeZone(spec.time_zone)) return Status::InvalidArgument("time_zone", "unknown time zone");
    if (spec.kind == "orders" && !IsCurrencyCode(spec.currency)) {
        return Status::InvalidArgument("currency", "must be a three-letter ISO 4217 code such as CNY or GBP");
    }
    if (body.empty()) return Status::InvalidArgument("body", "is empty; send the CSV file as the request body");
    {
        auto csv = CsvReader::FromMemory(body);
        auto header = spec.kind == "orders" ? ReadHeader(*csv, OrderFields(), spec.mapping)
                                            : ReadCustomerHeader(*csv, spec.mapping);
        SIYU_RETURN_IF_ERROR(header.status());
    }
    int64_t id = 0;
    TimeMs now = NowMs();
    SIYU_RETURN_IF_ERROR(queue_.Enqueue("imports", [&]() -> Result<Pending> {
        SIYU_RETURN_IF_ERROR(db_->Write([&](Connection& c) -> Status {
            SIYU_ASSIGN_OR_RETURN(auto stmt,
                                  c.Prepare("INSERT INTO import_jobs(tenant_id, kind, status, file_name, bytes, "
                                            "options, created_by, created_at) VALUES (?,?,'queued',?,?,?,?,?)"));
            SIYU_RETURN_IF_ERROR(stmt.Bind(1, spec.tenant_id)
                                     .Bind(2, spec.kind)
                                     .Bind(3, spec.file_name)
                                     .Bind(4, static_cast<int64_t>(body.size()))
                                     .Bind(5, OptionsJson(spec).dump())
                                     .Bind(6, actor.name)
                                     .Bind(7, now)
                                     .Run());
            id = c.LastInsertId();
            Json details = {{"kind", spec.kind}, {"file_name", spec.file_name}, {"bytes", body.size()}};
            return auth::AppendAudit(c, spec.tenant_id, actor, "import.start", "import", std::to_string(id),
                                     details.dump());
        }));
        return Pending{id, spec, std::move(body)};
    }));
    return Get(spec.tenant_id, id);
}

Result<ImportJob> ImportJobs::Get(int64_t tenant_id, int64_t id) {
    std::optional<ImportJob> job;
    SIYU_RETURN_IF_ERROR(db_->Read([&](Connection& c) -> Status {
        SIYU_ASSIGN_OR_RETURN(auto stmt, c.Prepare(std::string(kJobColumns) + "WHERE tenant_id = ? AND id = ?"));
        stmt.Bind(1, tenant_id).Bind(2, id);
        SIYU_ASSIGN_OR_RETURN(bool row, stmt.Step());
        if (row) job = ReadJob(stmt);
        return Status::Ok();
    }));
    if (!job) return Status::NotFound("import " + std::to_string(id) + " not found");
    return std::move(*job);
}

Result<std::vector<ImportJob>> ImportJobs::List(int64_t tenant_id, int limit, std::optional<int64_t> before_id) {
    std::vector<ImportJob> out;
    SIYU_RETURN_IF_ERROR(db_->Read([&](Connection& c) -> Status {
        SIYU_ASSIGN_OR_RETURN(
            auto stmt, c.Prepare(std::string(kJobColumns) + "WHERE tenant_id = ? AND id < ? ORDER BY id DESC LIMIT ?"));
        stmt.Bind(1, tenant_id).Bind(2, before_id.value_or(INT64_MAX)).Bind(3, int64_t{limit});
        return stmt.ForEachRow([&] { out.push_back(ReadJob(stmt)); });
    }));
    return out;
}

Result<std::string> ImportJobs::ErrorsCsv(int64_t tenant_id, int64_t id) {
    SIYU_ASSIGN_OR_RETURN(ImportJob job, Get(tenant_id, id));
    std::string out = ErrorCsvHeader();
    SIYU_RETURN_IF_ERROR(db_->Read([&](Connection& c) -> Status {
        SIYU_ASSIGN_OR_RETURN(auto stmt,
                              c.Prepare("SELECT line, column_name, reason FROM import_errors WHERE job_id = ? "
                                        "ORDER BY seq"));
        stmt.Bind(1, job.id);
        return stmt.ForEachRow([&] { out += ErrorCsvRow(ImportError{stmt.Int(0), stmt.Text(1), stmt.Text(2)}); });
    }));
    return out;
}

Status ImportJobs::SaveErrors(int64_t id, std::vector<ImportError>* errors, int64_t* stored) {
    if (errors->empty()) return Status::Ok();
    Status st = db_->Write([&](Connection& c) -> Status {
        SIYU_ASSIGN_OR_RETURN(auto stmt, c.Prepare("INSERT INTO import_errors(job_id, seq, line, column_name, reason) "
                                                   "VALUES (?,?,?,?,?)"));
        int64_t seq = *stored;
        for (const auto& e : *errors) {
            SIYU_RETURN_IF_ERROR(
                stmt.Bind(1, id).Bind(2, seq++).Bind(3, e.line).Bind(4, e.column).Bind(5, e.reason).Run());
        }
        return Status::Ok();
    });
    if (st.ok()) *stored += static_cast<int64_t>(errors->size());
    errors->clear();
    return st;
}

void ImportJobs::Run(Pending& job) {
    auto update = [&](const char* sql, auto&& bind) {
        Status st = db_->Write([&](Connection& c) -> Status {
            SIYU_ASSIGN_OR_RETURN(auto stmt, c.Prepare(sql));
            bind(stmt);
            return stmt.Run();
        });
        if (!st.ok()) spdlog::warn("import {}: cannot record progress: {}", job.id, st.ToString());
    };
    update("UPDATE import_jobs SET status = 'running', started_at = ? WHERE id = ?",
           [&](store::Statement& s) { s.Bind(1, NowMs()).Bind(2, job.id); });

    std::vector<ImportError> errors;
    int64_t stored = 0, reported = 0;
    auto last_progress = std::chrono::steady_clock::now();
    ImportHooks hooks;
    hooks.cancel = &queue_.stopping();
    hooks.on_error = [&](const ImportError& e) {
        ++reported;
        if (stored + static_cast<int64_t>(errors.size()) < kMaxStoredErrors) errors.push_back(e);
        if (errors.size() >= kErrorsPerWrite) (void)SaveErrors(job.id, &errors, &stored);
    };
    hooks.on_progress = [&](const ImportProgress& p) {
        auto now = std::chrono::steady_clock::now();
        if (now - last_progress < std::chrono::milliseconds(kProgressIntervalMs)) return;
        last_progress = now;
        (void)SaveErrors(job.id, &errors, &stored);
        update(
            "UPDATE import_jobs SET phase = ?, rows_done = ?, rows_total = ?, written = ?, bytes_done = ?, "
            "error_count = ? WHERE id = ?",
            [&](store::Statement& s) {
                std::optional<int64_t> total;
                if (p.total_rows >= 0) total = p.total_rows;
                s.Bind(1, p.phase).Bind(2, p.rows).Bind(3, total).Bind(4, p.written).Bind(5, p.bytes);
                s.Bind(6, reported).Bind(7, job.id);
            });
    };

    auto csv = CsvReader::FromMemory(job.body);
    Json counts;
    int64_t rows = 0, written = 0;
    Status outcome;
    if (job.spec.kind == "orders") {
        OrderImportOptions o;
        o.tenant_id = job.spec.tenant_id;
        o.time_zone = job.spec.time_zone;
        o.currency = job.spec.currency;
        o.refund_prefix = job.spec.refund_prefix;
        o.mapping = job.spec.mapping;
        o.hooks = hooks;
        auto r = ImportOrders(*csv, *ingestor_, o);
        if (r.ok()) {
            const OrderImportResult& x = r.value();
            counts = {{"rows", x.rows},
                      {"orders", x.orders},
                      {"refunds", x.refunds},
                      {"duplicates", x.duplicates},
                      {"customers", x.customers},
                      {"guest_orders", x.guest_orders},
                      {"rejected_rows", x.rejected_rows},
                      {"rejected_orders", x.rejected_orders},
                      {"duration_ms", x.duration_ms}};
            rows = x.rows;
            written = x.orders + x.refunds;
        }
        outcome = r.status();
    } else {
        CustomerImportOptions o;
        o.tenant_id = job.spec.tenant_id;
        o.time_zone = job.spec.time_zone;
        o.mapping = job.spec.mapping;
        o.hooks = hooks;
        if (setup_) setup_(&o);
        auto r = ImportCustomers(*csv, *db_, o);
        if (r.ok()) {
            const CustomerImportResult& x = r.value();
            counts = {{"rows", x.rows},
                      {"created", x.created},
                      {"updated", x.updated},
                      {"unchanged", x.unchanged},
                      {"members_created", x.members_created},
                      {"rejected_rows", x.rejected_rows},
                      {"duration_ms", x.duration_ms}};
            rows = x.rows;
            written = x.created + x.updated + x.unchanged;
        }
        outcome = r.status();
    }
    (void)SaveErrors(job.id, &errors, &stored);
    std::string().swap(job.body);
    if (outcome.ok()) {
        update(
            "UPDATE import_jobs SET status = 'succeeded', phase = '', rows_done = ?, rows_total = ?, written = ?, "
            "bytes_done = bytes, counts = ?, error_count = ?, finished_at = ? WHERE id = ?",
            [&](store::Statement& s) {
                s.Bind(1, rows).Bind(2, rows).Bind(3, written).Bind(4, counts.dump()).Bind(5, reported);
                s.Bind(6, NowMs()).Bind(7, job.id);
            });
    } else {
        update(
            "UPDATE import_jobs SET status = 'failed', phase = '', error = ?, error_count = ?, finished_at = ? "
            "WHERE id = ?",
            [&](store::Statement& s) {
                s.Bind(1, outcome.message()).Bind(2, reported).Bind(3, NowMs()).Bind(4, job.id);
            });
    }
}

}  // namespace siyu::cdp
