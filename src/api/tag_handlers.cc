#include <algorithm>
#include <map>
#include <memory>
#include <mutex>
#include <set>

#include "api/routes.h"
#include "base/strings.h"
#include "cdp/questionnaires.h"
#include "cdp/tag_bulk_jobs.h"

namespace siyu::api {

namespace {

// Customer lists up to this size are tagged at once; longer ones (and segments) by a job.
constexpr size_t kMaxSyncCustomers = 1000;
constexpr size_t kMaxBulkCustomers = 100'000;
constexpr size_t kMaxTagIds = 100;

// The questionnaires and bulk jobs of one App, created on first use (the route table gives
// handlers the services only then) and destroyed with the routes, which joins the job worker.
class TagServices {
  public:
    cdp::TagBulkJobs& Jobs(Services& svc) {
        std::call_once(jobs_once_, [&] { jobs_ = std::make_unique<cdp::TagBulkJobs>(svc.db, &svc.tags); });
        return *jobs_;
    }
    cdp::Questionnaires& Questionnaires(Services& svc) {
        std::call_once(questionnaires_once_,
                       [&] { questionnaires_ = std::make_unique<cdp::Questionnaires>(svc.db, &svc.tags); });
        return *questionnaires_;
    }

  private:
    std::once_flag jobs_once_, questionnaires_once_;
    std::unique_ptr<cdp::TagBulkJobs> jobs_;
    std::unique_ptr<cdp::Questionnaires> questionnaires_;
};

// --- Reading requests --------------------------------------------------------------------

Result<std::optional<std::optional<std::string>>> NullableString(const Json& o, const char* field) {
    using R = std::optional<std::optional<std::string>>;
    auto it = o.find(field);
    if (it == o.end()) return R();
    if (it->is_null()) return R(std::optional<std::string>());
    if (!it->is_string()) return Status::InvalidArgument(field, "must be a string or null");
    return R(std::optional<std::string>(it->get<std::string>()));
}

// A list of positive ids of at most `max` entries (duplicates kept); field[i] names a bad one.
Result<std::optional<std::vector<int64_t>>> IdList(const Json& o, const char* field, size_t max) {
    auto it = o.find(field);
    if (it == o.end()) return std::optional<std::vector<int64_t>>();
    if (!it->is_array()) return Status::InvalidArgument(field, "must be an array of ids");
    if (it->size() > max) {
        return Status::InvalidArgument(field, "at most " + std::to_string(max) + " ids in one request");
    }
    std::vector<int64_t> ids;
    ids.reserve(it->size());
    for (size_t i = 0; i < it->size(); ++i) {
        const Json& v = (*it)[i];
        if (!v.is_number_integer() || v.get<int64_t>() <= 0) {
            return Status::InvalidArgument(std::string(field) + "[" + std::to_string(i) + "]",
                                           "must be a positive integer id");
        }
        ids.push_back(v.get<int64_t>());
    }
    return std::optional<std::vector<int64_t>>(std::move(ids));
}

Result<std::vector<int64_t>> RequiredTagIds(const Json& body) {
    SIYU_ASSIGN_OR_RETURN(auto ids, IdList(body, "tag_ids", kMaxTagIds));
    if (!ids || ids->empty()) return Status::InvalidArgument("tag_ids", "name at least one tag");
    return std::move(*ids);
}

Result<cdp::TagGroupInput> ParseGroupInput(const std::string& text) {
    SIYU_ASSIGN_OR_RETURN(Json body, ParseObject(text));
    SIYU_RETURN_IF_ERROR(RejectUnknown(body, {"name", "color", "sort_order", "wecom_group_id"}));
    cdp::TagGroupInput in;
    SIYU_ASSIGN_OR_RETURN(in.name, OptString(body, "name"));
    SIYU_ASSIGN_OR_RETURN(in.color, NullableString(body, "color"));
    SIYU_ASSIGN_OR_RETURN(in.sort_order, OptInt(body, "sort_order"));
    SIYU_ASSIGN_OR_RETURN(in.wecom_group_id, NullableString(body, "wecom_group_id"));
    return in;
}

Result<cdp::TagInput> ParseTagInput(const std::string& text) {
    SIYU_ASSIGN_OR_RETURN(Json body, ParseObject(text));
    SIYU_RETURN_IF_ERROR(
        RejectUnknown(body, {"group_id", "name", "color", "sort_order", "description", "rule", "wecom_tag_id"}));
    cdp::TagInput in;
    SIYU_ASSIGN_OR_RETURN(in.group_id, OptInt(body, "group_id"));
    SIYU_ASSIGN_OR_RETURN(in.name, OptString(body, "name"));
    SIYU_ASSIGN_OR_RETURN(in.color, NullableString(body, "color"));
    SIYU_ASSIGN_OR_RETURN(in.sort_order, OptInt(body, "sort_order"));
    SIYU_ASSIGN_OR_RETURN(in.description, OptString(body, "description"));
    SIYU_ASSIGN_OR_RETURN(in.wecom_tag_id, NullableString(body, "wecom_tag_id"));
    if (auto it = body.find("rule"); it != body.end()) {
        if (it->is_null()) {
            in.rule = std::optional<std::string>();
        } else if (it->is_object()) {
            in.rule = std::optional<std::string>(it->dump());
        } else {
            return Status::InvalidArgument("rule", "must be a segment rule (a JSON object) or null");
        }
    }
    return in;
}

// --- Writing answers ---------------------------------------------------------------------

Json OptJson(const std::optional<std::string>& v) { return v ? Json(*v) : Json(nullptr); }
Json OptJson(const std::optional<int64_t>& v) { return v ? Json(*v) : Json(nullptr); }

Json ActorJson(const auth::Actor& a) { return {{"type", a.type}, {"id", OptJson(a.id)}, {"name", a.name}}; }

Json GroupJson(const cdp::TagGroup& g) {
    return {{"id", g.id},
            {"name", g.name},
            {"color", OptJson(g.color)},
            {"sort_order", g.sort_order},
            {"wecom_group_id", OptJson(g.wecom_group_id)},
            {"tag_count", g.tag_count},
            {"created_at", TimeJson(g.created_at)},
            {"updated_at", TimeJson(g.updated_at)}};
}

Json RuleJson(const std::optional<std::string>& rule) {
    if (!rule) return nullptr;
    Json j = Json::parse(*rule, nullptr, false);
    return j.is_discarded() ? Json(*rule) : j;
}

Json TagJson(const cdp::Tag& t) {
    return {{"id", t.id},
            {"group_id", t.group_id},
            {"name", t.name},
            {"kind", t.rule ? "rule" : "manual"},
            {"color", OptJson(t.color)},
            {"sort_order", t.sort_order},
            {"description", t.description},
            {"rule", RuleJson(t.rule)},
            {"wecom_tag_id", OptJson(t.wecom_tag_id)},
            {"created_at", TimeJson(t.created_at)},
            {"updated_at", TimeJson(t.updated_at)}};
}

Json TagsJson(const std::vector<cdp::Tag>& tags) {
    Json data = Json::array();
    for (const auto& t : tags) data.push_back(TagJson(t));
    return data;
}

// The tags a customer holds: explicit ones from the database, rule tags from the engine.
Result<Json> CustomerTagsJson(Ctx& c, const cdp::CustomerTags& held) {
    Json data = Json::array();
    for (const auto& ct : held.tags) {
        data.push_back({{"tag_id", ct.tag.id},
                        {"name", ct.tag.name},
                        {"group_id", ct.tag.group_id},
                        {"color", OptJson(ct.tag.color)},
                        {"kind", "manual"},
                        {"source", ct.source},
                        {"applied_by", ActorJson(ct.actor)},
                        {"applied_at", TimeJson(ct.applied_at)},
                        {"customer_id", ct.customer_id}});
    }
    std::vector<int64_t> rule_ids = c.svc.segment_engine.RuleTagsOf(c.tenant(), held.customer_id);
    if (!rule_ids.empty()) {
        cdp::TagFilter only_rules;
        only_rules.rule = true;
        SIYU_ASSIGN_OR_RETURN(auto rule_tags, c.svc.tags.ListTags(c.tenant(), only_rules));
        for (const auto& t : rule_tags) {
            if (std::find(rule_ids.begin(), rule_ids.end(), t.id) == rule_ids.end()) continue;
            data.push_back({{"tag_id", t.id},
                            {"name", t.name},
                            {"group_id", t.group_id},
                            {"color", OptJson(t.color)},
                            {"kind", "rule"},
                            {"source", "rule"},
                            {"applied_by", nullptr},
                            {"applied_at", nullptr},
                            {"customer_id", held.customer_id}});
        }
    }
    return Json{{"customer_id", held.customer_id}, {"data", data}};
}

Json HistoryJson(const cdp::TagHistoryEntry& e) {
    return {{"id", e.id},
            {"customer_id", e.customer_id},
            {"tag_id", e.tag_id},
            {"tag_name", e.tag_name},
            {"action", e.action},
            {"source", e.source},
            {"actor", ActorJson(e.actor)},
            {"job_id", OptJson(e.job_id)},
            {"at", TimeJson(e.at)}};
}

int Percent(const cdp::TagBulkJob& j) {
    if (j.status == "succeeded") return 100;
    if (j.total <= 0) return 0;
    return std::min(99, static_cast<int>(j.processed * 100 / j.total));
}

Json JobJson(const cdp::TagBulkJob& j) {
    return {{"id", j.id},
            {"status", j.status},
            {"action", j.action},
            {"tag_ids", j.tag_ids},
            {"segment_id", OptJson(j.segment_id)},
            {"progress",
             {{"total", j.total},
              {"processed", j.processed},
              {"changed", j.changed},
              {"skipped", j.skipped},
              {"percent", Percent(j)}}},
            {"error", OptJson(j.error)},
            {"created_by", j.created_by},
            {"created_at", TimeJson(j.created_at)},
            {"started_at", TimeJson(j.started_at)},
            {"finished_at", TimeJson(j.finished_at)}};
}

Json QuestionnaireJson(const cdp::Questionnaire& q) {
    return {{"id", q.id},
            {"name", q.name},
            {"description", q.description},
            {"questions", cdp::QuestionsToJson(q.questions)},
            {"created_at", TimeJson(q.created_at)},
            {"updated_at", TimeJson(q.updated_at)}};
}

Json AnswerJson(const cdp::QuestionnaireAnswer& a) {
    Json answers = Json::array();
    for (const auto& x : a.answers) {
        answers.push_back({{"question_id", x.question_id},
                           {"question", x.question},
                           {"choice_ids", x.choice_ids},
                           {"choices", x.choices}});
    }
    return {{"id", a.id},
            {"questionnaire_id", a.questionnaire_id},
            {"questionnaire_name", a.questionnaire_name},
            {"customer_id", a.customer_id},
            {"answers", answers},
            {"tag_ids", a.tag_ids},
            {"codes", a.codes},
            {"submitted_by", ActorJson(a.actor)},
            {"submitted_at", TimeJson(a.submitted_at)}};
}

template <typename T, typename F>
Json Page(const std::vector<T>& rows, int limit, F&& to_json) {
    Json data = Json::array();
    for (const auto& r : rows) data.push_back(to_json(r));
    std::optional<int64_t> last;
    if (!rows.empty()) last = rows.back().id;
    return PageJson(std::move(data), static_cast<size_t>(limit), last);
}

// --- Handlers ----------------------------------------------------------------------------

Result<http::Response> GetGroup(Ctx& c) {
    SIYU_ASSIGN_OR_RETURN(int64_t id, PathId(c.req));
    SIYU_ASSIGN_OR_RETURN(auto group, c.svc.tags.GetGroup(c.tenant(), id));
    cdp::TagFilter f;
    f.group_id = id;
    SIYU_ASSIGN_OR_RETURN(auto tags, c.svc.tags.ListTags(c.tenant(), f));
    Json out = GroupJson(group);
    out["tags"] = TagsJson(tags);
    return JsonResponse(200, out);
}

Result<http::Response> ListTags(Ctx& c) {
    cdp::TagFilter f;
    if (auto group = c.req.Query("group_id"); group && !group->empty()) {
        int64_t id = 0;
        if (!ParseInt64(*group, &id)) return Status::InvalidArgument("group_id", "must be an integer");
        f.group_id = id;
    }
    if (auto kind = c.req.Query("kind"); kind && !kind->empty()) {
        if (*kind != "manual" && *kind != "rule") return Status::InvalidArgument("kind", "must be manual or rule");
        f.rule = *kind == "rule";
    }
    if (auto q = c.req.Query("q"); q && !Trim(*q).empty()) f.q = std::string(Trim(*q));
    SIYU_ASSIGN_OR_RETURN(auto tags, c.svc.tags.ListTags(c.tenant(), f));
    return JsonResponse(200, {{"data", TagsJson(tags)}});
}

Result<http::Response> CustomerTagsAnswer(Ctx& c, int64_t customer_id, const cdp::Visibility& vis,
                                          const std::optional<cdp::TagCounts>& counts) {
    SIYU_ASSIGN_OR_RETURN(auto held, c.svc.tags.TagsOf(c.tenant(), customer_id, vis));
    SIYU_ASSIGN_OR_RETURN(Json out, CustomerTagsJson(c, held));
    if (counts) {
        out["changed"] = counts->changed;
        out["unchanged"] = counts->unchanged;
    }
    return JsonResponse(200, out);
}

// Tag ids to remove: a JSON body {"tag_ids": [..]}, or ?tag_ids=1,2.
Result<std::vector<int64_t>> TagIdsToRemove(Ctx& c) {
    if (!Trim(c.req.body).empty()) {
        SIYU_ASSIGN_OR_RETURN(Json body, ParseObject(c.req.body));
        SIYU_RETURN_IF_ERROR(RejectUnknown(body, {"tag_ids"}));
        return RequiredTagIds(body);
    }
    auto query = c.req.Query("tag_ids");
    if (!query || query->empty()) {
        return Status::InvalidArgument("tag_ids", "name the tags to remove: {\"tag_ids\": [..]} or ?tag_ids=1,2");
    }
    std::vector<int64_t> ids;
    for (std::string_view part : Split(*query, ',')) {
        int64_t id = 0;
        if (!ParseInt64(Trim(part), &id) || id <= 0) {
            return Status::InvalidArgument("tag_ids", "must be tag ids separated by commas");
        }
        ids.push_back(id);
    }
    if (ids.size() > kMaxTagIds) return Status::InvalidArgument("tag_ids", "at most 100 ids in one request");
    return ids;
}

// The customer of the path (404 when unknown or invisible) first, then the tags to change.
Result<http::Response> ChangeCustomerTags(Ctx& c, cdp::TagAction action,
                                          const std::function<Result<std::vector<int64_t>>()>& read_tag_ids) {
    SIYU_ASSIGN_OR_RETURN(int64_t id, PathId(c.req));
    SIYU_ASSIGN_OR_RETURN(auto vis, c.Visibility());
    SIYU_RETURN_IF_ERROR(c.svc.tags.VisibleSurvivor(c.tenant(), id, vis).status());
    SIYU_ASSIGN_OR_RETURN(auto tag_ids, read_tag_ids());
    SIYU_ASSIGN_OR_RETURN(auto counts,
                          c.svc.tags.Apply(c.tenant(), {id}, tag_ids, action, cdp::TaggingBy(c.actor), vis));
    return CustomerTagsAnswer(c, id, vis, counts);
}

Result<http::Response> Bulk(Ctx& c, TagServices& services) {
    SIYU_ASSIGN_OR_RETURN(Json body, ParseObject(c.req.body));
    SIYU_RETURN_IF_ERROR(RejectUnknown(body, {"action", "tag_ids", "customer_ids", "segment_id"}));
    SIYU_ASSIGN_OR_RETURN(std::string action_name, ReqString(body, "action"));
    if (action_name != "add" && action_name != "remove")
        return Status::InvalidArgument("action", "must be add or remove");
    cdp::TagAction action = action_name == "add" ? cdp::TagAction::kAdd : cdp::TagAction::kRemove;
    SIYU_ASSIGN_OR_RETURN(std::vector<int64_t> tag_ids, RequiredTagIds(body));
    SIYU_ASSIGN_OR_RETURN(auto customer_ids, IdList(body, "customer_ids", kMaxBulkCustomers));
    SIYU_ASSIGN_OR_RETURN(auto segment_id, OptInt(body, "segment_id"));
    if (customer_ids.has_value() == segment_id.has_value()) {
        return Status::InvalidArgument("customer_ids", "send either customer_ids or segment_id");
    }
    if (customer_ids && customer_ids->empty())
        return Status::InvalidArgument("customer_ids", "name at least one customer");
    if (segment_id && *segment_id <= 0) return Status::InvalidArgument("segment_id", "must be a segment id");
    SIYU_ASSIGN_OR_RETURN(auto vis, c.Visibility());

    std::vector<int64_t> ids;
    std::set<int64_t> seen;
    if (customer_ids) {
        for (int64_t id : *customer_ids) {
            if (seen.insert(id).second) ids.push_back(id);
        }
    }
    if (customer_ids && ids.size() <= kMaxSyncCustomers) {
        SIYU_ASSIGN_OR_RETURN(
            auto counts, c.svc.tags.Apply(c.tenant(), ids, tag_ids, action, cdp::TaggingBy(c.actor), vis, false, true));
        return JsonResponse(200, {{"action", action_name},
                                  {"tag_ids", tag_ids},
                                  {"customers", counts.customers},
                                  {"changed", counts.changed},
                                  {"unchanged", counts.unchanged}});
    }
    if (segment_id) {
        if (!c.svc.segment_members) return Status::Unavailable("segments are not available");
        SIYU_RETURN_IF_ERROR(c.svc.tags.CheckApplicable(c.tenant(), tag_ids));
        SIYU_ASSIGN_OR_RETURN(ids, c.svc.segment_members(c.tenant(), *segment_id));
    }
    cdp::TagBulkSpec spec;
    spec.tenant_id = c.tenant();
    spec.action = action;
    spec.tag_ids = std::move(tag_ids);
    spec.customer_ids = std::move(ids);
    spec.segment_id = segment_id;
    spec.by = cdp::TaggingBy(c.actor);
    spec.vis = std::move(vis);
    SIYU_ASSIGN_OR_RETURN(auto job, services.Jobs(c.svc).Start(std::move(spec)));
    http::Response resp = JsonResponse(202, JobJson(job));
    resp.SetHeader("Location", "/api/v1/tags/bulk/" + std::to_string(job.id));
    return resp;
}

Result<http::Response> SubmitAnswers(Ctx& c, TagServices& services) {
    SIYU_ASSIGN_OR_RETURN(int64_t id, PathId(c.req));
    SIYU_RETURN_IF_ERROR(services.Questionnaires(c.svc).Get(c.tenant(), id).status());
    SIYU_ASSIGN_OR_RETURN(Json body, ParseObject(c.req.body));
    SIYU_ASSIGN_OR_RETURN(auto in, cdp::ParseAnswerInput(body));
    SIYU_ASSIGN_OR_RETURN(auto vis, c.Visibility());
    SIYU_ASSIGN_OR_RETURN(auto answer, services.Questionnaires(c.svc).Submit(c.tenant(), id, in, c.actor, vis));
    return JsonResponse(201, AnswerJson(answer));
}

}  // namespace

void AddTagRoutes(RouteTable& t) {
    auto services = std::make_shared<TagServices>();

    // Groups
    t.Api({.method = "GET",
           .pattern = "/api/v1/tag-groups",
           .summary = "Every tag group, by sort order",
           .tag = "Tags",
           .permission = "tags.read",
           .response_schema = "TagGroupList"},
          [](Ctx& c) -> Result<http::Response> {
              SIYU_ASSIGN_OR_RETURN(auto groups, c.svc.tags.ListGroups(c.tenant()));
              Json data = Json::array();
              for (const auto& g : groups) data.push_back(GroupJson(g));
              return JsonResponse(200, {{"data", data}});
          });
    t.Api({.method = "POST",
           .pattern = "/api/v1/tag-groups",
           .summary = "Create a tag group",
           .tag = "Tags",
           .permission = "tags.manage",
           .request_schema = "TagGroupInput",
           .response_schema = "TagGroup"},
          [](Ctx& c) -> Result<http::Response> {
              SIYU_ASSIGN_OR_RETURN(auto in, ParseGroupInput(c.req.body));
              SIYU_ASSIGN_OR_RETURN(auto group, c.svc.tags.CreateGroup(c.tenant(), in, c.actor));
              return JsonResponse(201, GroupJson(group));
          });
    t.Api({.method = "GET",
           .pattern = "/api/v1/tag-groups/{id}",
           .summary = "A tag group with its tags",
           .tag = "Tags",
           .permission = "tags.read",
           .response_schema = "TagGroup"},
          GetGroup);
    t.Api({.method = "PATCH",
           .pattern = "/api/v1/tag-groups/{id}",
           .summary = "Change a tag group",
           .tag = "Tags",
           .permission = "tags.manage",
           .request_schema = "TagGroupInput",
           .response_schema = "TagGroup"},
          [](Ctx& c) -> Result<http::Response> {
              SIYU_ASSIGN_OR_RETURN(int64_t id, PathId(c.req));
              SIYU_ASSIGN_OR_RETURN(auto in, ParseGroupInput(c.req.body));
              SIYU_ASSIGN_OR_RETURN(auto group, c.svc.tags.UpdateGroup(c.tenant(), id, in, c.actor));
              return JsonResponse(200, GroupJson(group));
          });
    t.Api({.method = "DELETE",
           .pattern = "/api/v1/tag-groups/{id}",
           .summary = "Delete a tag group; with tags only with ?force=true, which deletes them too",
           .tag = "Tags",
           .permission = "tags.manage",
           .query_params = {"force"}},
          [](Ctx& c) -> Result<http::Response> {
              SIYU_ASSIGN_OR_RETURN(int64_t id, PathId(c.req));
              auto force = c.req.Query("force");
              if (force && *force != "true" && *force != "false") {
                  return Status::InvalidArgument("force", "must be true or false");
              }
              SIYU_RETURN_IF_ERROR(c.svc.tags.DeleteGroup(c.tenant(), id, force && *force == "true", c.actor));
              return http::Response::NoContent();
          });

    // Tags
    t.Api({.method = "GET",
           .pattern = "/api/v1/tags",
           .summary = "Every tag, by group and sort order",
           .tag = "Tags",
           .permission = "tags.read",
           .response_schema = "TagList",
           .query_params = {"group_id", "kind", "q"}},
          ListTags);
    t.Api({.method = "POST",
           .pattern = "/api/v1/tags",
           .summary = "Create a tag; with a rule, a rule tag whose members follow the rule",
           .tag = "Tags",
           .permission = "tags.manage",
           .request_schema = "TagInput",
           .response_schema = "Tag"},
          [](Ctx& c) -> Result<http::Response> {
              SIYU_ASSIGN_OR_RETURN(auto in, ParseTagInput(c.req.body));
              SIYU_ASSIGN_OR_RETURN(auto tag, c.svc.tags.CreateTag(c.tenant(), in, c.actor));
              return JsonResponse(201, TagJson(tag));
          });
    t.Api({.method = "POST",
           .pattern = "/api/v1/tags/bulk",
           .summary = "Add or remove tags on many customers: at once up to 1,000 ids, else as a job (202)",
           .tag = "Tags",
           .permission = "tags.apply",
           .request_schema = "TagBulkInput",
           .response_schema = "TagBulkResult"},
          [services](Ctx& c) { return Bulk(c, *services); });
    t.Api({.method = "GET",
           .pattern = "/api/v1/tags/bulk/{id}",
           .summary = "A bulk tag job's status and progress",
           .tag = "Tags",
           .permission = "tags.apply",
           .response_schema = "TagBulkJob"},
          [services](Ctx& c) -> Result<http::Response> {
              SIYU_ASSIGN_OR_RETURN(int64_t id, PathId(c.req));
              SIYU_ASSIGN_OR_RETURN(auto job, services->Jobs(c.svc).Get(c.tenant(), id));
              return JsonResponse(200, JobJson(job));
          });
    t.Api({.method = "GET",
           .pattern = "/api/v1/tags/{id}",
           .summary = "One tag",
           .tag = "Tags",
           .permission = "tags.read",
           .response_schema = "Tag"},
          [](Ctx& c) -> Result<http::Response> {
              SIYU_ASSIGN_OR_RETURN(int64_t id, PathId(c.req));
              SIYU_ASSIGN_OR_RETURN(auto tag, c.svc.tags.GetTag(c.tenant(), id));
              return JsonResponse(200, TagJson(tag));
          });
    t.Api({.method = "PATCH",
           .pattern = "/api/v1/tags/{id}",
           .summary = "Change a tag; rule null makes a rule tag a manual one",
           .tag = "Tags",
           .permission = "tags.manage",
           .request_schema = "TagInput",
           .response_schema = "Tag"},
          [](Ctx& c) -> Result<http::Response> {
              SIYU_ASSIGN_OR_RETURN(int64_t id, PathId(c.req));
              SIYU_ASSIGN_OR_RETURN(auto in, ParseTagInput(c.req.body));
              SIYU_ASSIGN_OR_RETURN(auto tag, c.svc.tags.UpdateTag(c.tenant(), id, in, c.actor));
              return JsonResponse(200, TagJson(tag));
          });
    t.Api({.method = "DELETE",
           .pattern = "/api/v1/tags/{id}",
           .summary = "Delete a tag; it is removed from every customer",
           .tag = "Tags",
           .permission = "tags.manage"},
          [](Ctx& c) -> Result<http::Response> {
              SIYU_ASSIGN_OR_RETURN(int64_t id, PathId(c.req));
              SIYU_RETURN_IF_ERROR(c.svc.tags.DeleteTag(c.tenant(), id, c.actor));
              return http::Response::NoContent();
          });

    // Customers
    t.Api({.method = "GET",
           .pattern = "/api/v1/customers/{id}/tags",
           .summary = "The customer's tags (and those of customers merged into it) with source and time",
           .tag = "Tags",
           .permission = "tags.read",
           .response_schema = "CustomerTags"},
          [](Ctx& c) -> Result<http::Response> {
              SIYU_ASSIGN_OR_RETURN(int64_t id, PathId(c.req));
              SIYU_ASSIGN_OR_RETURN(auto vis, c.Visibility());
              return CustomerTagsAnswer(c, id, vis, std::nullopt);
          });
    t.Api({.method = "POST",
           .pattern = "/api/v1/customers/{id}/tags",
           .summary = "Add tags to the customer",
           .tag = "Tags",
           .permission = "tags.apply",
           .request_schema = "TagIdsInput",
           .response_schema = "CustomerTags"},
          [](Ctx& c) -> Result<http::Response> {
              return ChangeCustomerTags(c, cdp::TagAction::kAdd, [&]() -> Result<std::vector<int64_t>> {
                  SIYU_ASSIGN_OR_RETURN(Json body, ParseObject(c.req.body));
                  SIYU_RETURN_IF_ERROR(RejectUnknown(body, {"tag_ids"}));
                  return RequiredTagIds(body);
              });
          });
    t.Api({.method = "DELETE",
           .pattern = "/api/v1/customers/{id}/tags",
           .summary = "Remove tags from the customer: {\"tag_ids\": [..]} or ?tag_ids=1,2",
           .tag = "Tags",
           .permission = "tags.apply",
           .response_schema = "CustomerTags",
           .query_params = {"tag_ids"}},
          [](Ctx& c) -> Result<http::Response> {
              return ChangeCustomerTags(c, cdp::TagAction::kRemove, [&] { return TagIdsToRemove(c); });
          });
    t.Api({.method = "DELETE",
           .pattern = "/api/v1/customers/{id}/tags/{tag_id}",
           .summary = "Remove one tag from the customer",
           .tag = "Tags",
           .permission = "tags.apply",
           .response_schema = "CustomerTags"},
          [](Ctx& c) -> Result<http::Response> {
              return ChangeCustomerTags(c, cdp::TagAction::kRemove, [&]() -> Result<std::vector<int64_t>> {
                  SIYU_ASSIGN_OR_RETURN(int64_t tag_id, PathId(c.req, "tag_id"));
                  return std::vector<int64_t>{tag_id};
              });
          });
    t.Api({.method = "GET",
           .pattern = "/api/v1/customers/{id}/tag-history",
           .summary = "Tags added to and removed from the customer, newest first",
           .tag = "Tags",
           .permission = "tags.read",
           .response_schema = "TagHistoryPage",
           .query_params = {"limit", "cursor"}},
          [](Ctx& c) -> Result<http::Response> {
              SIYU_ASSIGN_OR_RETURN(int64_t id, PathId(c.req));
              SIYU_ASSIGN_OR_RETURN(auto page, ParsePage(c.req));
              SIYU_ASSIGN_OR_RETURN(auto vis, c.Visibility());
              SIYU_ASSIGN_OR_RETURN(auto entries, c.svc.tags.History(c.tenant(), id, vis, page.limit, page.cursor));
              return JsonResponse(200, Page(entries, page.limit, HistoryJson));
          });
    t.Api({.method = "GET",
           .pattern = "/api/v1/customers/{id}/questionnaire-answers",
           .summary = "The customer's questionnaire answers, newest first",
           .tag = "Tags",
           .permission = "tags.read",
           .response_schema = "QuestionnaireAnswerPage",
           .query_params = {"limit", "cursor"}},
          [services](Ctx& c) -> Result<http::Response> {
              SIYU_ASSIGN_OR_RETURN(int64_t id, PathId(c.req));
              SIYU_ASSIGN_OR_RETURN(auto page, ParsePage(c.req));
              SIYU_ASSIGN_OR_RETURN(auto vis, c.Visibility());
              SIYU_ASSIGN_OR_RETURN(auto answers, services->Questionnaires(c.svc).AnswersOfCustomer(
                                                      c.tenant(), id, vis, page.limit, page.cursor));
              return JsonResponse(200, Page(answers, page.limit, AnswerJson));
          });

    // Questionnaires
    t.Api({.method = "GET",
           .pattern = "/api/v1/questionnaires",
           .summary = "Questionnaires, newest first",
           .tag = "Tags",
           .permission = "tags.read",
           .response_schema = "QuestionnairePage",
           .query_params = {"limit", "cursor"}},
          [services](Ctx& c) -> Result<http::Response> {
              SIYU_ASSIGN_OR_RETURN(auto page, ParsePage(c.req));
              SIYU_ASSIGN_OR_RETURN(auto list,
                                    services->Questionnaires(c.svc).List(c.tenant(), page.limit, page.cursor));
              return JsonResponse(200, Page(list, page.limit, QuestionnaireJson));
          });
    t.Api({.method = "POST",
           .pattern = "/api/v1/questionnaires",
           .summary = "Create a questionnaire whose choices map to tags and codes",
           .tag = "Tags",
           .permission = "tags.manage",
           .request_schema = "QuestionnaireInput",
           .response_schema = "Questionnaire"},
          [services](Ctx& c) -> Result<http::Response> {
              SIYU_ASSIGN_OR_RETURN(Json body, ParseObject(c.req.body));
              SIYU_ASSIGN_OR_RETURN(auto in, cdp::ParseQuestionnaireInput(body, true));
              SIYU_ASSIGN_OR_RETURN(auto q, services->Questionnaires(c.svc).Create(c.tenant(), in, c.actor));
              return JsonResponse(201, QuestionnaireJson(q));
          });
    t.Api({.method = "GET",
           .pattern = "/api/v1/questionnaires/{id}",
           .summary = "One questionnaire",
           .tag = "Tags",
           .permission = "tags.read",
           .response_schema = "Questionnaire"},
          [services](Ctx& c) -> Result<http::Response> {
              SIYU_ASSIGN_OR_RETURN(int64_t id, PathId(c.req));
              SIYU_ASSIGN_OR_RETURN(auto q, services->Questionnaires(c.svc).Get(c.tenant(), id));
              return JsonResponse(200, QuestionnaireJson(q));
          });
    t.Api({.method = "PATCH",
           .pattern = "/api/v1/questionnaires/{id}",
           .summary = "Change a questionnaire; questions replaces every question",
           .tag = "Tags",
           .permission = "tags.manage",
           .request_schema = "QuestionnaireInput",
           .response_schema = "Questionnaire"},
          [services](Ctx& c) -> Result<http::Response> {
              SIYU_ASSIGN_OR_RETURN(int64_t id, PathId(c.req));
              SIYU_ASSIGN_OR_RETURN(Json body, ParseObject(c.req.body));
              SIYU_ASSIGN_OR_RETURN(auto in, cdp::ParseQuestionnaireInput(body, false));
              SIYU_ASSIGN_OR_RETURN(auto q, services->Questionnaires(c.svc).Update(c.tenant(), id, in, c.actor));
              return JsonResponse(200, QuestionnaireJson(q));
          });
    t.Api({.method = "DELETE",
           .pattern = "/api/v1/questionnaires/{id}",
           .summary = "Delete a questionnaire; its answers stay on the customers",
           .tag = "Tags",
           .permission = "tags.manage"},
          [services](Ctx& c) -> Result<http::Response> {
              SIYU_ASSIGN_OR_RETURN(int64_t id, PathId(c.req));
              SIYU_RETURN_IF_ERROR(services->Questionnaires(c.svc).Delete(c.tenant(), id, c.actor));
              return http::Response::NoContent();
          });
    t.Api({.method = "POST",
           .pattern = "/api/v1/questionnaires/{id}/answers",
           .summary = "Submit a customer's answers; the mapped tags apply at once",
           .tag = "Tags",
           .permission = "tags.apply",
           .request_schema = "QuestionnaireAnswerInput",
           .response_schema = "QuestionnaireAnswer"},
          [services](Ctx& c) { return SubmitAnswers(c, *services); });
    t.Api({.method = "GET",
           .pattern = "/api/v1/questionnaires/{id}/answers",
           .summary = "Answers to the questionnaire, newest first",
           .tag = "Tags",
           .permission = "tags.read",
           .response_schema = "QuestionnaireAnswerPage",
           .query_params = {"limit", "cursor"}},
          [services](Ctx& c) -> Result<http::Response> {
              SIYU_ASSIGN_OR_RETURN(int64_t id, PathId(c.req));
              SIYU_ASSIGN_OR_RETURN(auto page, ParsePage(c.req));
              SIYU_ASSIGN_OR_RETURN(auto vis, c.Visibility());
              SIYU_ASSIGN_OR_RETURN(auto answers, services->Questionnaires(c.svc).AnswersTo(c.tenant(), id, vis,
                                                                                            page.limit, page.cursor));
              return JsonResponse(200, Page(answers, page.limit, AnswerJson));
          });
}

}  // namespace siyu::api
