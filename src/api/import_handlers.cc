#include <algorithm>
#include <memory>
#include <mutex>

#include "api/routes.h"
#include "base/strings.h"
#include "cdp/import_jobs.h"
#include "loyalty/member_import.h"

namespace siyu::api {

namespace {

// The import jobs of one App, created on the first import request (the route table gives
// handlers the services only then) and destroyed with the routes, which joins the worker.
class LazyImportJobs {
  public:
    cdp::ImportJobs& Get(Services& svc) {
        std::call_once(once_, [&] {
            jobs_ = std::make_unique<cdp::ImportJobs>(svc.db, &svc.ingestor);
            // Member files make loyalty members; their events reach the engine after each batch.
            jobs_->SetCustomerImportSetup([l = svc.loyalty.get()](cdp::CustomerImportOptions* o) {
                if (l == nullptr) return;
                loyalty::MemberImporter::Attach(o, [l](const std::vector<cdp::StoredEvent>& events) {
                    l->exec().Publish(events);
                });
            });
        });
        return *jobs_;
    }

  private:
    std::once_flag once_;
    std::unique_ptr<cdp::ImportJobs> jobs_;
};

// A rough completion estimate: an orders file is scanned once (the first 10%) and then
// imported; a members file is read once.
int Percent(const cdp::ImportJob& j) {
    if (j.status == "succeeded") return 100;
    if (j.status == "queued" || j.bytes <= 0) return 0;
    double bytes = std::min(1.0, static_cast<double>(j.bytes_done) / static_cast<double>(j.bytes));
    double done = bytes;
    if (j.kind == "orders") {
        if (j.phase == "importing" && j.rows_total && *j.rows_total > 0) {
            done = 0.1 + 0.9 * std::min(1.0, static_cast<double>(j.rows_done) / static_cast<double>(*j.rows_total));
        } else {
            done = 0.1 * bytes;
        }
    }
    return std::min(99, static_cast<int>(done * 100));
}

Json JobJson(const cdp::ImportJob& j) {
    Json options = Json::parse(j.options, nullptr, false);
    if (!options.is_object()) options = Json::object();
    Json counts = nullptr;
    if (j.counts) {
        counts = Json::parse(*j.counts, nullptr, false);
        if (counts.is_discarded()) counts = nullptr;
    }
    return {{"id", j.id},
            {"kind", j.kind},
            {"status", j.status},
            {"file_name", j.file_name},
            {"bytes", j.bytes},
            {"options", options},
            {"progress",
             {{"phase", j.phase},
              {"rows", j.rows_done},
              {"total_rows", j.rows_total ? Json(*j.rows_total) : Json(nullptr)},
              {"written", j.written},
              {"bytes", j.bytes_done},
              {"percent", Percent(j)}}},
            {"counts", counts},
            {"error", j.error ? Json(*j.error) : Json(nullptr)},
            {"error_count", j.error_count},
            {"errors_url", "/api/v1/imports/" + std::to_string(j.id) + "/errors"},
            {"created_by", j.created_by},
            {"created_at", TimeJson(j.created_at)},
            {"started_at", TimeJson(j.started_at)},
            {"finished_at", TimeJson(j.finished_at)}};
}

Result<http::Response> StartImport(Ctx& c, LazyImportJobs& jobs) {
    if (const std::string* type = c.req.Header("content-type")) {
        std::string t = ToLower(*type);
        if (StartsWith(t, "application/json") || StartsWith(t, "multipart/")) {
            return Status::InvalidArgument("body",
                                           "send the CSV file itself as the body (Content-Type: text/csv); "
                                           "JSON and multipart bodies are not accepted here");
        }
    }
    SIYU_ASSIGN_OR_RETURN(auto tenant, c.svc.accounts.GetTenant(c.tenant()));
    cdp::ImportJobSpec spec;
    spec.tenant_id = c.tenant();
    spec.kind = c.req.Query("kind").value_or("");
    if (spec.kind.empty()) return Status::InvalidArgument("kind", "is required: orders or customers");
    spec.time_zone = tenant.time_zone;
    spec.currency = tenant.currency;
    if (auto currency = c.req.Query("currency"); currency && !currency->empty()) {
        spec.currency = *currency;
        for (char& ch : spec.currency) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    }
    if (auto prefix = c.req.Query("refund_prefix")) spec.refund_prefix = *prefix;
    if (auto map = c.req.Query("map"); map && !map->empty()) SIYU_RETURN_IF_ERROR(spec.mapping.AddPairs(*map));
    if (auto name = c.req.Query("name")) {
        if (Utf8Length(*name) < 0 || name->size() > 200) {
            return Status::InvalidArgument("name", "must be valid UTF-8 of at most 200 bytes");
        }
        spec.file_name = *name;
    }
    SIYU_ASSIGN_OR_RETURN(auto job, jobs.Get(c.svc).Start(spec, std::move(c.req.body), c.actor));
    http::Response resp = JsonResponse(201, JobJson(job));
    resp.SetHeader("Location", "/api/v1/imports/" + std::to_string(job.id));
    return resp;
}

}  // namespace

void AddImportRoutes(RouteTable& t) {
    auto jobs = std::make_shared<LazyImportJobs>();
    t.Api({.method = "POST",
           .pattern = "/api/v1/imports",
           .summary = "Start importing a CSV of order lines or members; the body is the file itself",
           .tag = "Imports",
           .permission = "imports.manage",
           .request_schema = "ImportCsv",
           .response_schema = "ImportJob",
           .query_params = {"kind", "currency", "map", "refund_prefix", "name"},
           .request_media_type = "text/csv"},
          [jobs](Ctx& c) { return StartImport(c, *jobs); });
    t.Api({.method = "GET",
           .pattern = "/api/v1/imports",
           .summary = "Import jobs, newest first",
           .tag = "Imports",
           .permission = "imports.manage",
           .response_schema = "ImportJobPage",
           .query_params = {"limit", "cursor"}},
          [jobs](Ctx& c) -> Result<http::Response> {
              SIYU_ASSIGN_OR_RETURN(auto page, ParsePage(c.req));
              SIYU_ASSIGN_OR_RETURN(auto list, jobs->Get(c.svc).List(c.tenant(), page.limit, page.cursor));
              Json data = Json::array();
              for (const auto& j : list) data.push_back(JobJson(j));
              std::optional<int64_t> last;
              if (!list.empty()) last = list.back().id;
              return JsonResponse(200, PageJson(data, static_cast<size_t>(page.limit), last));
          });
    t.Api({.method = "GET",
           .pattern = "/api/v1/imports/{id}",
           .summary = "An import's status, progress and result",
           .tag = "Imports",
           .permission = "imports.manage",
           .response_schema = "ImportJob"},
          [jobs](Ctx& c) -> Result<http::Response> {
              SIYU_ASSIGN_OR_RETURN(int64_t id, PathId(c.req));
              SIYU_ASSIGN_OR_RETURN(auto job, jobs->Get(c.svc).Get(c.tenant(), id));
              return JsonResponse(200, JobJson(job));
          });
    t.Api({.method = "GET",
           .pattern = "/api/v1/imports/{id}/errors",
           .summary = "The rows an import could not use, as CSV (line, column, reason)",
           .tag = "Imports",
           .permission = "imports.manage",
           .response_schema = "ImportErrorsCsv",
           .response_media_type = "text/csv"},
          [jobs](Ctx& c) -> Result<http::Response> {
              SIYU_ASSIGN_OR_RETURN(int64_t id, PathId(c.req));
              SIYU_ASSIGN_OR_RETURN(std::string csv, jobs->Get(c.svc).ErrorsCsv(c.tenant(), id));
              http::Response resp;
              resp.status = 200;
              resp.content_type = "text/csv; charset=utf-8";
              resp.body = std::move(csv);
              resp.SetHeader("Content-Disposition",
                             "attachment; filename=\"import-" + std::to_string(id) + "-errors.csv\"");
              return resp;
          });
}

}  // namespace siyu::api
