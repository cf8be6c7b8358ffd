// Mass sends (群发) and their tracked short links (docs/groups-and-mass-send.md).

#include "api/routes.h"
#include "base/strings.h"
#include "scrm/group_services.h"

namespace siyu::api {

namespace {

scrm::MassSends& Sends(Ctx& c) { return c.svc.scrm_groups->mass_sends(); }

Json MassSendJson(const scrm::MassSend& m) {
    Json chunks = Json::array();
    for (const auto& k : m.chunks) {
        chunks.push_back({{"id", k.id},
                          {"staff_id", k.staff_id ? Json(*k.staff_id) : Json(nullptr)},
                          {"userid", k.userid},
                          {"target_count", k.target_count},
                          {"status", k.status},
                          {"msgid", k.msgid.empty() ? Json(nullptr) : Json(k.msgid)},
                          {"fail_list", k.fail_list},
                          {"error", k.error.empty() ? Json(nullptr) : Json(k.error)},
                          {"sent", k.sent},
                          {"unsent", k.unsent},
                          {"not_friend", k.not_friend},
                          {"already_received", k.already_received},
                          {"failed", k.failed}});
    }
    Json links = Json::array();
    for (const auto& l : m.links) {
        links.push_back({{"code", l.code},
                         {"url", l.url},
                         {"short_url", l.short_url},
                         {"clicks", l.clicks},
                         {"unique_clickers", l.unique_clickers}});
    }
    Json ctr = nullptr;
    if (m.sent > 0) ctr = static_cast<double>(m.unique_clickers) / static_cast<double>(m.sent);
    return {{"id", m.id},
            {"name", m.name},
            {"segment_id", m.segment_id},
            {"text", m.text},
            {"original_text", m.original_text},
            {"attachments", m.attachments},
            {"scheduled_at", TimeJson(m.scheduled_at)},
            {"status", m.status},
            {"month", m.month.empty() ? Json(nullptr) : Json(m.month)},
            {"target_count", m.target_count},
            {"skipped_monthly_limit", m.skipped_monthly_limit},
            {"skipped_no_owner", m.skipped_no_owner},
            {"sent", m.sent},
            {"unsent", m.unsent},
            {"not_friend", m.not_friend},
            {"already_received", m.already_received},
            {"failed", m.failed},
            {"clicks", m.clicks},
            {"unique_clickers", m.unique_clickers},
            {"click_through_rate", ctr},
            {"chunks", chunks},
            {"links", links},
            {"created_by", m.created_by},
            {"created_at", TimeJson(m.created_at)},
            {"dispatched_at", TimeJson(m.dispatched_at)},
            {"polled_at", TimeJson(m.polled_at)}};
}

Result<scrm::MassSendInput> ParseMassSend(const std::string& text) {
    SIYU_ASSIGN_OR_RETURN(Json body, ParseObject(text));
    SIYU_RETURN_IF_ERROR(RejectUnknown(body, {"name", "segment_id", "text", "attachments", "scheduled_at"}));
    scrm::MassSendInput in;
    SIYU_ASSIGN_OR_RETURN(in.name, ReqString(body, "name"));
    SIYU_ASSIGN_OR_RETURN(auto segment, OptInt(body, "segment_id"));
    if (!segment || *segment <= 0) return Status::InvalidArgument("segment_id", "is required");
    in.segment_id = *segment;
    SIYU_ASSIGN_OR_RETURN(auto message, OptString(body, "text"));
    in.text = message.value_or("");
    if (auto it = body.find("attachments"); it != body.end() && !it->is_null()) {
        if (!it->is_array()) return Status::InvalidArgument("attachments", "must be an array");
        in.attachments = *it;
    }
    SIYU_ASSIGN_OR_RETURN(auto when, OptString(body, "scheduled_at"));
    if (when) {
        auto at = ParseRfc3339(*when);
        if (!at) return Status::InvalidArgument("scheduled_at", "must be an RFC 3339 time");
        in.scheduled_at = *at;
    }
    return in;
}

}  // namespace

void AddMassSendRoutes(RouteTable& t) {
    t.Api({.method = "POST",
           .pattern = "/api/v1/wecom/mass-sends",
           .summary = "Send a message to a segment through its members' staff (add_msg_template)",
           .tag = "WeCom mass send",
           .permission = "wecom.mass_send"},
          [](Ctx& c) -> Result<http::Response> {
              SIYU_ASSIGN_OR_RETURN(auto in, ParseMassSend(c.req.body));
              SIYU_ASSIGN_OR_RETURN(auto m, Sends(c).Create(c.tenant(), in, c.actor));
              return JsonResponse(201, MassSendJson(m));
          });
    t.Api({.method = "GET",
           .pattern = "/api/v1/wecom/mass-sends",
           .summary = "Mass sends with results and clicks, newest first",
           .tag = "WeCom mass send",
           .permission = "wecom.read",
           .query_params = {"limit", "cursor"}},
          [](Ctx& c) -> Result<http::Response> {
              SIYU_ASSIGN_OR_RETURN(auto page, ParsePage(c.req));
              SIYU_ASSIGN_OR_RETURN(auto list, Sends(c).List(c.tenant(), page.limit, page.cursor));
              Json data = Json::array();
              for (const auto& m : list) data.push_back(MassSendJson(m));
              std::optional<int64_t> last;
              if (!list.empty()) last = list.back().id;
              return JsonResponse(200, PageJson(std::move(data), static_cast<size_t>(page.limit), last));
          });
    t.Api({.method = "GET",
           .pattern = "/api/v1/wecom/mass-sends/{id}",
           .summary = "A mass send: targets, chunks per staff member with msgids, results, skipped customers, clicks",
           .tag = "WeCom mass send",
           .permission = "wecom.read"},
          [](Ctx& c) -> Result<http::Response> {
              SIYU_ASSIGN_OR_RETURN(int64_t id, PathId(c.req));
              SIYU_ASSIGN_OR_RETURN(auto m, Sends(c).Get(c.tenant(), id));
              return JsonResponse(200, MassSendJson(m));
          });
    t.Api({.method = "POST",
           .pattern = "/api/v1/wecom/mass-sends/{id}/refresh",
           .summary = "Collect the send results now (get_groupmsg_send_result)",
           .tag = "WeCom mass send",
           .permission = "wecom.mass_send"},
          [](Ctx& c) -> Result<http::Response> {
              SIYU_ASSIGN_OR_RETURN(int64_t id, PathId(c.req));
              SIYU_ASSIGN_OR_RETURN(auto m, Sends(c).Refresh(c.tenant(), id));
              return JsonResponse(200, MassSendJson(m));
          });
    t.Public({.method = "GET",
              .pattern = "/l/{code}",
              .summary = "A tracked short link: records Message Clicked and redirects to the original URL",
              .tag = "WeCom mass send",
              .query_params = {"u"}},
             [](http::Request& req, Services& svc) -> Result<http::Response> {
                 std::string visitor = req.remote_ip;
                 if (const std::string* ua = req.Header("user-agent")) visitor += "|" + *ua;
                 SIYU_ASSIGN_OR_RETURN(std::string url,
                                       svc.scrm_groups->mass_sends().Click(
                                           req.Param("code"), req.Query("u").value_or(""), visitor, NowMs()));
                 http::Response r;
                 r.status = 302;
                 r.content_type = "text/plain; charset=utf-8";
                 r.body = "Found: " + url;
                 r.SetHeader("Location", url);
                 r.SetHeader("Cache-Control", "no-store");
                 return r;
             });
}

}  // namespace siyu::api
