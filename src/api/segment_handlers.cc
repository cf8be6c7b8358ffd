#include <map>

#include "api/routes.h"
#include "api/segment_sync.h"
#include "base/json_writer.h"
#include "base/phone.h"
#include "base/strings.h"

namespace siyu::api {

namespace {

constexpr size_t kPreviewSample = 20;
constexpr size_t kExportPage = 1000;
constexpr int64_t kMaxNameLength = 100;
constexpr int64_t kMaxDescriptionLength = 1000;

// The columns an export may have, in their default order.
constexpr std::string_view kExportFields[] = {"id",       "name",     "phone",     "email",     "gender",
                                              "birthday", "store_id", "member_no", "created_at"};

Json SegmentJson(const cdp::SegmentRecord& s, int64_t size) {
    Json rule = Json::parse(s.rule, nullptr, false);
    return {{"id", s.id},
            {"name", s.name},
            {"description", s.description},
            {"rule", rule.is_discarded() ? Json(nullptr) : rule},
            {"size", size},
            {"created_by", s.created_by},
            {"created_at", TimeJson(s.created_at)},
            {"updated_at", TimeJson(s.updated_at)}};
}

// Stores the caller may see, or nullptr for every customer.
const std::vector<int64_t>* VisibleStores(const cdp::Visibility& vis) {
    return vis.store_ids ? &*vis.store_ids : nullptr;
}

// The segment's size as the caller may see it (store roles: their stores' customers only).
int64_t SizeFor(Ctx& c, const cdp::Visibility& vis, int64_t id) {
    if (!vis.store_ids) return c.svc.segment_engine.Size(c.tenant(), id).value_or(0);
    auto members = c.svc.segment_engine.Members(c.tenant(), id, 0, 0, VisibleStores(vis));
    return members.ok() ? members->count : 0;
}

Result<SegmentDraft> ParseDraft(const std::string& body) {
    SIYU_ASSIGN_OR_RETURN(Json j, ParseObject(body));
    SIYU_RETURN_IF_ERROR(RejectUnknown(j, {"name", "description", "rule"}));
    SegmentDraft d;
    SIYU_ASSIGN_OR_RETURN(std::string name, ReqString(j, "name"));
    d.name = std::string(Trim(name));
    if (d.name.empty() || Utf8Length(d.name) > kMaxNameLength) {
        return Status::InvalidArgument("name", "must be 1 to 100 characters");
    }
    SIYU_ASSIGN_OR_RETURN(auto description, OptString(j, "description"));
    d.description = description.value_or("");
    if (Utf8Length(d.description) > kMaxDescriptionLength) {
        return Status::InvalidArgument("description", "must be at most 1000 characters");
    }
    auto rule = j.find("rule");
    if (rule == j.end()) return Status::InvalidArgument("rule", "is required");
    d.rule = rule->dump();
    return d;
}

// A customer as lists and samples show it: no identifiers, PII masked without `pii`.
void WriteSummary(JsonWriter& w, const cdp::Customer& cu, bool pii) {
    auto opt = [&](std::string_view key, const std::optional<std::string>& v) {
        w.Key(key);
        v ? w.String(*v) : w.Null();
    };
    w.BeginObject().Key("id").Int(cu.id);
    opt("name", cu.name);
    w.Key("phone");
    cu.phone ? w.String(pii ? *cu.phone : MaskPhone(*cu.phone)) : w.Null();
    w.Key("email");
    cu.email ? w.String(pii ? *cu.email : MaskEmail(*cu.email)) : w.Null();
    w.Key("gender").String(cu.gender);
    opt("birthday", cu.birthday);
    w.Key("store_id");
    cu.store_id ? w.Int(*cu.store_id) : w.Null();
    opt("member_no", cu.member_no);
    w.Key("created_at").String(FormatRfc3339(cu.created_at)).EndObject();
}

Result<cdp::Visibility> Scope(Ctx& c) { return c.Visibility(); }

Result<http::Response> ListSegments(Ctx& c) {
    SIYU_ASSIGN_OR_RETURN(auto page, ParsePage(c.req));
    SIYU_ASSIGN_OR_RETURN(auto vis, Scope(c));
    std::optional<std::string> q;
    if (auto v = c.req.Query("q"); v && !Trim(*v).empty()) q = std::string(Trim(*v));
    SIYU_ASSIGN_OR_RETURN(auto list, c.svc.segments->repository().List(c.tenant(), page.limit, page.cursor, q));
    Json data = Json::array();
    for (const auto& s : list) data.push_back(SegmentJson(s, SizeFor(c, vis, s.id)));
    std::optional<int64_t> last;
    if (!list.empty()) last = list.back().id;
    return JsonResponse(200, PageJson(std::move(data), static_cast<size_t>(page.limit), last));
}

Result<http::Response> GetSegment(Ctx& c) {
    SIYU_ASSIGN_OR_RETURN(int64_t id, PathId(c.req));
    SIYU_ASSIGN_OR_RETURN(auto vis, Scope(c));
    SIYU_ASSIGN_OR_RETURN(auto s, c.svc.segments->repository().Get(c.tenant(), id));
    return JsonResponse(200, SegmentJson(s, SizeFor(c, vis, s.id)));
}

Result<http::Response> CreateSegment(Ctx& c) {
    SIYU_ASSIGN_OR_RETURN(auto draft, ParseDraft(c.req.body));
    SIYU_ASSIGN_OR_RETURN(auto s, c.svc.segments->Create(c.tenant(), draft, c.actor));
    http::Response resp = JsonResponse(201, SegmentJson(s, c.svc.segment_engine.Size(c.tenant(), s.id).value_or(0)));
    resp.SetHeader("Location", "/api/v1/segments/" + std::to_string(s.id));
    return resp;
}

Result<http::Response> ReplaceSegment(Ctx& c) {
    SIYU_ASSIGN_OR_RETURN(int64_t id, PathId(c.req));
    SIYU_RETURN_IF_ERROR(c.svc.segments->repository().Get(c.tenant(), id).status());
    SIYU_ASSIGN_OR_RETURN(auto draft, ParseDraft(c.req.body));
    SIYU_ASSIGN_OR_RETURN(auto s, c.svc.segments->Replace(c.tenant(), id, draft, c.actor));
    return JsonResponse(200, SegmentJson(s, c.svc.segment_engine.Size(c.tenant(), s.id).value_or(0)));
}

Result<http::Response> Preview(Ctx& c) {
    SIYU_ASSIGN_OR_RETURN(Json body, ParseObject(c.req.body));
    SIYU_RETURN_IF_ERROR(RejectUnknown(body, {"rule"}));
    auto rule_json = body.find("rule");
    if (rule_json == body.end()) return Status::InvalidArgument("rule", "is required");
    SIYU_ASSIGN_OR_RETURN(auto vis, Scope(c));
    SIYU_ASSIGN_OR_RETURN(engine::NodePtr rule, c.svc.segments->CheckRule(c.tenant(), rule_json->dump()));
    SIYU_ASSIGN_OR_RETURN(auto hits,
                          c.svc.segment_engine.Preview(c.tenant(), *rule, kPreviewSample, VisibleStores(vis)));
    SIYU_ASSIGN_OR_RETURN(auto sample, c.svc.customers.Summaries(c.tenant(), hits.sample, vis));
    JsonWriter w;
    w.BeginObject().Key("count").Int(hits.count).Key("sample").BeginArray();
    bool pii = c.Can("pii");
    for (const auto& cu : sample) WriteSummary(w, cu, pii);
    w.EndArray().EndObject();
    return http::Response::Json(200, w.Take());
}

Result<http::Response> Members(Ctx& c) {
    SIYU_ASSIGN_OR_RETURN(int64_t id, PathId(c.req));
    SIYU_ASSIGN_OR_RETURN(auto page, ParsePage(c.req));
    SIYU_ASSIGN_OR_RETURN(auto vis, Scope(c));
    SIYU_RETURN_IF_ERROR(c.svc.segments->repository().Get(c.tenant(), id).status());
    SIYU_ASSIGN_OR_RETURN(auto hits, c.svc.segment_engine.Members(c.tenant(), id, page.cursor.value_or(0),
                                                                  static_cast<size_t>(page.limit), VisibleStores(vis)));
    SIYU_ASSIGN_OR_RETURN(auto customers, c.svc.customers.Summaries(c.tenant(), hits.sample, vis));
    bool pii = c.Can("pii");
    JsonWriter w;
    w.BeginObject().Key("data").BeginArray();
    for (const auto& cu : customers) WriteSummary(w, cu, pii);
    w.EndArray().Key("total").Int(hits.count).Key("next_cursor");
    if (hits.sample.size() == static_cast<size_t>(page.limit) && !hits.sample.empty()) {
        w.String(EncodeCursor(hits.sample.back()));
    } else {
        w.Null();
    }
    w.EndObject();
    return http::Response::Json(200, w.Take());
}

// One CSV cell: quoted when needed; text that a spreadsheet would run as a formula gets a
// leading apostrophe.
void AppendCell(std::string* out, std::string_view value, bool free_text) {
    std::string cell;
    if (free_text && !value.empty() && std::string_view("=+-@\t\r").find(value.front()) != std::string_view::npos) {
        cell.push_back('\'');
    }
    cell.append(value);
    if (cell.find_first_of(",\"\r\n") == std::string::npos) {
        out->append(cell);
        return;
    }
    out->push_back('"');
    for (char ch : cell) {
        if (ch == '"') out->push_back('"');
        out->push_back(ch);
    }
    out->push_back('"');
}

Result<std::vector<std::string>> ExportFields(const http::Request& req) {
    std::vector<std::string> fields;
    auto text = req.Query("fields");
    if (!text || Trim(*text).empty()) {
        for (std::string_view f : kExportFields) fields.emplace_back(f);
        return fields;
    }
    for (std::string_view part : Split(*text, ',')) {
        std::string f(Trim(part));
        bool known = false;
        for (std::string_view k : kExportFields) known |= f == k;
        if (!known) {
            return Status::InvalidArgument("fields", "unknown field '" + f +
                                                         "'; use id, name, phone, email, gender, birthday, store_id, "
                                                         "member_no, created_at");
        }
        if (std::find(fields.begin(), fields.end(), f) == fields.end()) fields.push_back(f);
    }
    return fields;
}

void AppendRow(std::string* out, const cdp::Customer& cu, const std::vector<std::string>& fields, bool pii) {
    for (size_t i = 0; i < fields.size(); ++i) {
        if (i > 0) out->push_back(',');
        const std::string& f = fields[i];
        if (f == "id") {
            out->append(std::to_string(cu.id));
        } else if (f == "name") {
            AppendCell(out, cu.name.value_or(""), true);
        } else if (f == "phone") {
            AppendCell(out, cu.phone ? (pii ? *cu.phone : MaskPhone(*cu.phone)) : "", false);
        } else if (f == "email") {
            AppendCell(out, cu.email ? (pii ? *cu.email : MaskEmail(*cu.email)) : "", true);
        } else if (f == "gender") {
            out->append(cu.gender);
        } else if (f == "birthday") {
            out->append(cu.birthday.value_or(""));
        } else if (f == "store_id") {
            if (cu.store_id) out->append(std::to_string(*cu.store_id));
        } else if (f == "member_no") {
            AppendCell(out, cu.member_no.value_or(""), true);
        } else if (f == "created_at") {
            out->append(FormatRfc3339(cu.created_at));
        }
    }
    out->append("\r\n");
}

Result<http::Response> Export(Ctx& c) {
    SIYU_ASSIGN_OR_RETURN(int64_t id, PathId(c.req));
    SIYU_ASSIGN_OR_RETURN(auto fields, ExportFields(c.req));
    SIYU_ASSIGN_OR_RETURN(auto vis, Scope(c));
    SIYU_RETURN_IF_ERROR(c.svc.segments->repository().Get(c.tenant(), id).status());
    bool pii = c.Can("pii");
    // Every member id at once (sorted), then the rows a page at a time as the client reads.
    SIYU_ASSIGN_OR_RETURN(auto all, c.svc.segment_engine.Members(c.tenant(), id, 0, SIZE_MAX, VisibleStores(vis)));
    struct Export {
        std::vector<int64_t> ids;
        size_t next = 0;
        bool header_sent = false;
    };
    auto state = std::make_shared<Export>();
    state->ids = std::move(all.sample);
    http::Response resp;
    resp.status = 200;
    resp.content_type = "text/csv; charset=utf-8";
    resp.SetHeader("Content-Disposition", "attachment; filename=\"segment-" + std::to_string(id) + ".csv\"");
    Services* svc = &c.svc;
    int64_t tenant = c.tenant();
    resp.stream = [state, svc, tenant, fields, vis, pii](std::string* out) -> Result<bool> {
        if (!state->header_sent) {
            state->header_sent = true;
            out->append("\xEF\xBB\xBF");
            for (size_t i = 0; i < fields.size(); ++i) out->append(i ? "," : "").append(fields[i]);
            out->append("\r\n");
        }
        size_t end = std::min(state->ids.size(), state->next + kExportPage);
        if (state->next < end) {
            std::vector<int64_t> page(state->ids.begin() + static_cast<std::ptrdiff_t>(state->next),
                                      state->ids.begin() + static_cast<std::ptrdiff_t>(end));
            SIYU_ASSIGN_OR_RETURN(auto customers, svc->customers.Summaries(tenant, page, vis));
            for (const auto& cu : customers) AppendRow(out, cu, fields, pii);
            state->next = end;
        }
        return state->next < state->ids.size();
    };
    return resp;
}

Result<http::Response> Sizes(Ctx& c) {
    SIYU_ASSIGN_OR_RETURN(int64_t id, PathId(c.req));
    SIYU_ASSIGN_OR_RETURN(auto s, c.svc.segments->repository().Get(c.tenant(), id));
    SIYU_ASSIGN_OR_RETURN(DayRange range, ParseDayRange(c));
    SIYU_ASSIGN_OR_RETURN(auto rows,
                          c.svc.segments->repository().Sizes(c.tenant(), s.id, range.from_day, range.to_day));
    Json data = Json::array();
    for (const auto& r : rows) data.push_back({{"date", r.day}, {"size", r.size}});
    return JsonResponse(200, {{"segment_id", s.id}, {"from", range.from_day}, {"to", range.to_day}, {"data", data}});
}

Result<http::Response> CustomerSegments(Ctx& c) {
    SIYU_ASSIGN_OR_RETURN(int64_t id, PathId(c.req));
    SIYU_ASSIGN_OR_RETURN(auto vis, Scope(c));
    SIYU_ASSIGN_OR_RETURN(auto customer, c.svc.customers.Get(c.tenant(), id, vis));
    std::vector<int64_t> ids = c.svc.segment_engine.SegmentsOf(c.tenant(), customer.id);
    Json data = Json::array();
    if (!ids.empty()) {
        SIYU_ASSIGN_OR_RETURN(auto all, c.svc.segments->repository().ListAll(c.tenant()));
        std::map<int64_t, std::string> names;
        for (const auto& s : all) names[s.id] = s.name;
        for (int64_t sid : ids) {
            auto it = names.find(sid);
            if (it != names.end()) data.push_back({{"id", sid}, {"name", it->second}});
        }
    }
    return JsonResponse(200, {{"customer_id", customer.id}, {"data", data}});
}

}  // namespace

Result<cdp::TagRuleRefs> CheckTagRule(std::string_view rule_json) {
    SIYU_ASSIGN_OR_RETURN(engine::NodePtr rule, engine::ParseRule(rule_json));
    engine::RuleRefs refs = engine::CollectRefs(*rule);
    return cdp::TagRuleRefs{std::move(refs.tag_ids), std::move(refs.store_ids)};
}

void AddSegmentRoutes(RouteTable& t) {
    t.Api({.method = "GET",
           .pattern = "/api/v1/segments",
           .summary = "Saved segments with their current size, newest first",
           .tag = "Segments",
           .permission = "segments.read",
           .response_schema = "SegmentPage",
           .query_params = {"limit", "cursor", "q"}},
          ListSegments);
    t.Api({.method = "POST",
           .pattern = "/api/v1/segments",
           .summary = "Save a segment; its members are computed at once",
           .tag = "Segments",
           .permission = "segments.manage",
           .request_schema = "SegmentInput",
           .response_schema = "Segment"},
          CreateSegment);
    t.Api({.method = "POST",
           .pattern = "/api/v1/segments/preview",
           .summary = "Count and sample the customers an unsaved rule matches",
           .tag = "Segments",
           .permission = "segments.read",
           .request_schema = "SegmentPreviewInput",
           .response_schema = "SegmentPreview"},
          Preview);
    t.Api({.method = "GET",
           .pattern = "/api/v1/segments/{id}",
           .summary = "One segment with its rule and current size",
           .tag = "Segments",
           .permission = "segments.read",
           .response_schema = "Segment"},
          GetSegment);
    t.Api({.method = "PUT",
           .pattern = "/api/v1/segments/{id}",
           .summary = "Replace a segment's name, description and rule",
           .tag = "Segments",
           .permission = "segments.manage",
           .request_schema = "SegmentInput",
           .response_schema = "Segment"},
          ReplaceSegment);
    t.Api({.method = "DELETE",
           .pattern = "/api/v1/segments/{id}",
           .summary = "Delete a segment no other rule refers to",
           .tag = "Segments",
           .permission = "segments.manage"},
          [](Ctx& c) -> Result<http::Response> {
              SIYU_ASSIGN_OR_RETURN(int64_t id, PathId(c.req));
              SIYU_RETURN_IF_ERROR(c.svc.segments->Delete(c.tenant(), id, c.actor));
              return http::Response::NoContent();
          });
    t.Api({.method = "GET",
           .pattern = "/api/v1/segments/{id}/members",
           .summary = "The segment's customers in id order",
           .tag = "Segments",
           .permission = "segments.read",
           .response_schema = "SegmentMemberPage",
           .query_params = {"limit", "cursor"}},
          Members);
    t.Api({.method = "GET",
           .pattern = "/api/v1/segments/{id}/export",
           .summary = "The segment's customers as CSV (UTF-8 with BOM)",
           .tag = "Segments",
           .permission = "segments.export",
           .response_schema = "SegmentCsv",
           .query_params = {"fields"},
           .response_media_type = "text/csv"},
          Export);
    t.Api({.method = "GET",
           .pattern = "/api/v1/segments/{id}/sizes",
           .summary = "The segment's size per day (tenant time zone)",
           .tag = "Segments",
           .permission = "analytics.read",
           .response_schema = "SegmentSizes",
           .query_params = {"from", "to"}},
          Sizes);
    t.Api({.method = "GET",
           .pattern = "/api/v1/customers/{id}/segments",
           .summary = "The saved segments the customer is in",
           .tag = "Segments",
           .permission = "segments.read",
           .response_schema = "CustomerSegments"},
          CustomerSegments);
}

}  // namespace siyu::api
