// Customer and group transfers: on-the-job (在职转接) and resigned inheritance (离职继承)
// (docs/groups-and-mass-send.md).

#include <set>

#include "api/routes.h"
#include "base/strings.h"
#include "scrm/group_services.h"

namespace siyu::api {

namespace {

scrm::Transfers& T(Ctx& c) { return c.svc.scrm_groups->transfers(); }

Json TransferJson(const scrm::Transfer& t) {
    Json customers = Json::array();
    std::map<std::string, int64_t> counts;
    for (const auto& c : t.customers) {
        ++counts[c.status];
        customers.push_back({{"external_userid", c.external_userid},
                             {"customer_id", c.customer_id ? Json(*c.customer_id) : Json(nullptr)},
                             {"status", c.status},
                             {"errcode", c.errcode ? Json(*c.errcode) : Json(nullptr)},
                             {"errmsg", c.errmsg.empty() ? Json(nullptr) : Json(c.errmsg)},
                             {"takeover_time", TimeJson(c.takeover_time)},
                             {"submissions", c.submissions},
                             {"retryable", scrm::TransferRetryable(c.status)}});
    }
    Json groups = Json::array();
    for (const auto& g : t.groups) {
        groups.push_back({{"chat_id", g.chat_id},
                          {"status", g.status},
                          {"errcode", g.errcode ? Json(*g.errcode) : Json(nullptr)},
                          {"errmsg", g.errmsg.empty() ? Json(nullptr) : Json(g.errmsg)}});
    }
    Json summary = Json::object();
    for (const char* s : {"submitting", "waiting", "accepted", "refused", "limit", "failed"}) summary[s] = counts[s];
    return {{"id", t.id},
            {"kind", t.kind},
            {"handover_userid", t.handover_userid},
            {"takeover_userid", t.takeover_userid},
            {"transfer_msg", t.transfer_msg.empty() ? Json(nullptr) : Json(t.transfer_msg)},
            {"status", t.status},
            {"counts", summary},
            {"customers", customers},
            {"groups", groups},
            {"created_by", t.created_by},
            {"created_at", TimeJson(t.created_at)},
            {"updated_at", TimeJson(t.updated_at)},
            {"polled_at", TimeJson(t.polled_at)}};
}

Result<std::vector<std::string>> StringList(const Json& body, const char* field) {
    std::vector<std::string> out;
    auto it = body.find(field);
    if (it == body.end() || it->is_null()) return out;
    if (!it->is_array()) return Status::InvalidArgument(field, "must be an array of strings");
    for (size_t i = 0; i < it->size(); ++i) {
        if (!(*it)[i].is_string()) {
            return Status::InvalidArgument(std::string(field) + "[" + std::to_string(i) + "]", "must be a string");
        }
        out.push_back((*it)[i].get<std::string>());
    }
    return out;
}

// Store managers may transfer only between staff of their stores.
Status CheckStaffScope(Ctx& c, const std::vector<std::string>& userids) {
    SIYU_ASSIGN_OR_RETURN(auto vis, c.Visibility());
    if (!vis.store_ids) return Status::Ok();
    return c.svc.db->Read([&](store::Connection& conn) -> Status {
        SIYU_ASSIGN_OR_RETURN(auto q, conn.Prepare("SELECT store_id FROM staff WHERE tenant_id = ? AND userid = ?"));
        for (const auto& u : userids) {
            q.Reset();
            q.Bind(1, c.tenant()).Bind(2, u);
            SIYU_ASSIGN_OR_RETURN(bool row, q.Step());
            if (!row || q.IsNull(0) || !vis.Allows(q.OptInt(0))) {
                return Status::PermissionDenied("staff member " + u + " is not in your stores");
            }
        }
        return Status::Ok();
    });
}

Result<scrm::Transfer> VisibleTransfer(Ctx& c) {
    SIYU_ASSIGN_OR_RETURN(int64_t id, PathId(c.req));
    SIYU_ASSIGN_OR_RETURN(auto t, T(c).Get(c.tenant(), id));
    if (!CheckStaffScope(c, {t.handover_userid, t.takeover_userid}).ok()) {
        return Status::NotFound("no transfer " + std::to_string(id));
    }
    return t;
}

}  // namespace

void AddTransferRoutes(RouteTable& t) {
    t.Api(
        {.method = "POST",
         .pattern = "/api/v1/wecom/transfers",
         .summary = "Transfer customers (chosen, or all of a staff member's) and groups to another staff member",
         .tag = "WeCom transfers",
         .permission = "wecom.transfer"},
        [](Ctx& c) -> Result<http::Response> {
            SIYU_ASSIGN_OR_RETURN(Json body, ParseObject(c.req.body));
            SIYU_RETURN_IF_ERROR(RejectUnknown(body, {"kind", "handover_userid", "takeover_userid", "external_userids",
                                                      "all_customers", "include_groups", "chat_ids", "transfer_msg"}));
            scrm::TransferInput in;
            SIYU_ASSIGN_OR_RETURN(in.kind, ReqString(body, "kind"));
            SIYU_ASSIGN_OR_RETURN(in.handover_userid, ReqString(body, "handover_userid"));
            SIYU_ASSIGN_OR_RETURN(in.takeover_userid, ReqString(body, "takeover_userid"));
            SIYU_ASSIGN_OR_RETURN(in.external_userids, StringList(body, "external_userids"));
            SIYU_ASSIGN_OR_RETURN(in.chat_ids, StringList(body, "chat_ids"));
            SIYU_ASSIGN_OR_RETURN(auto all, OptBool(body, "all_customers"));
            SIYU_ASSIGN_OR_RETURN(auto groups, OptBool(body, "include_groups"));
            SIYU_ASSIGN_OR_RETURN(auto msg, OptString(body, "transfer_msg"));
            in.all_customers = all.value_or(false);
            in.include_groups = groups.value_or(false) || !in.chat_ids.empty();
            in.transfer_msg = msg.value_or("");
            if (!in.all_customers && in.external_userids.empty() && !in.include_groups) {
                return Status::InvalidArgument("external_userids",
                                               "name customers, or set all_customers or include_groups");
            }
            SIYU_RETURN_IF_ERROR(CheckStaffScope(c, {in.handover_userid, in.takeover_userid}));
            SIYU_ASSIGN_OR_RETURN(auto tr, T(c).Create(c.tenant(), in, c.actor));
            return JsonResponse(201, TransferJson(tr));
        });
    t.Api({.method = "GET",
           .pattern = "/api/v1/wecom/transfers",
           .summary = "Transfers with per-customer status, newest first",
           .tag = "WeCom transfers",
           .permission = "wecom.transfer",
           .query_params = {"limit", "cursor"}},
          [](Ctx& c) -> Result<http::Response> {
              SIYU_ASSIGN_OR_RETURN(auto page, ParsePage(c.req));
              SIYU_ASSIGN_OR_RETURN(auto list, T(c).List(c.tenant(), page.limit, page.cursor));
              Json data = Json::array();
              for (const auto& tr : list) {
                  if (CheckStaffScope(c, {tr.handover_userid, tr.takeover_userid}).ok())
                      data.push_back(TransferJson(tr));
              }
              std::optional<int64_t> last;
              if (!list.empty()) last = list.back().id;
              Json out = {{"data", data}, {"next_cursor", nullptr}};
              if (list.size() == static_cast<size_t>(page.limit) && last) out["next_cursor"] = EncodeCursor(*last);
              return JsonResponse(200, out);
          });
    t.Api({.method = "GET",
           .pattern = "/api/v1/wecom/transfers/{id}",
           .summary = "A transfer: every customer's status (waiting, accepted, refused, limit, failed) and its groups",
           .tag = "WeCom transfers",
           .permission = "wecom.transfer"},
          [](Ctx& c) -> Result<http::Response> {
              SIYU_ASSIGN_OR_RETURN(auto tr, VisibleTransfer(c));
              return JsonResponse(200, TransferJson(tr));
          });
    t.Api({.method = "POST",
           .pattern = "/api/v1/wecom/transfers/{id}/refresh",
           .summary = "Poll WeCom's transfer result now",
           .tag = "WeCom transfers",
           .permission = "wecom.transfer"},
          [](Ctx& c) -> Result<http::Response> {
              SIYU_ASSIGN_OR_RETURN(auto tr, VisibleTransfer(c));
              SIYU_ASSIGN_OR_RETURN(auto fresh, T(c).Refresh(c.tenant(), tr.id));
              return JsonResponse(200, TransferJson(fresh));
          });
    t.Api({.method = "POST",
           .pattern = "/api/v1/wecom/transfers/{id}/retry",
           .summary = "Submit the retryable failures again (limit reached, failed submissions, failed groups)",
           .tag = "WeCom transfers",
           .permission = "wecom.transfer"},
          [](Ctx& c) -> Result<http::Response> {
              SIYU_ASSIGN_OR_RETURN(auto tr, VisibleTransfer(c));
              SIYU_ASSIGN_OR_RETURN(auto fresh, T(c).Retry(c.tenant(), tr.id, c.actor));
              return JsonResponse(200, TransferJson(fresh));
          });
}

}  // namespace siyu::api
