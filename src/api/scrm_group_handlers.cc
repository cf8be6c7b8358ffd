// Customer groups, group live codes and per-item codes (docs/groups-and-mass-send.md).

#include <cstdio>
#include <memory>

#include "api/routes.h"
#include "base/strings.h"
#include "scrm/group_services.h"
#include "scrm/qr_image.h"

namespace siyu::api {

namespace {

Json Opt(const std::optional<int64_t>& v) { return v ? Json(*v) : Json(nullptr); }
Json OptText(const std::string& v) { return v.empty() ? Json(nullptr) : Json(v); }

scrm::GroupServices& G(Ctx& c) { return *c.svc.scrm_groups; }

// Store roles see the groups owned by staff of their stores.
Result<bool> GroupVisible(Ctx& c, const scrm::Group& g) {
    SIYU_ASSIGN_OR_RETURN(auto vis, c.Visibility());
    if (!vis.store_ids) return true;
    if (!g.owner_staff_id) return false;
    std::optional<int64_t> store;
    SIYU_RETURN_IF_ERROR(c.svc.db->Read([&](store::Connection& conn) -> Status {
        SIYU_ASSIGN_OR_RETURN(auto q, conn.Prepare("SELECT store_id FROM staff WHERE tenant_id = ? AND id = ?"));
        q.Bind(1, c.tenant()).Bind(2, *g.owner_staff_id);
        SIYU_ASSIGN_OR_RETURN(bool row, q.Step());
        if (row) store = q.OptInt(0);
        return Status::Ok();
    }));
    return vis.Allows(store) && store.has_value();
}

Json GroupJson(const scrm::Group& g) {
    return {{"id", g.id},
            {"chat_id", g.chat_id},
            {"name", g.name},
            {"owner_userid", OptText(g.owner_userid)},
            {"owner_staff_id", Opt(g.owner_staff_id)},
            {"notice", OptText(g.notice)},
            {"member_count", g.member_count},
            {"customer_count", g.customer_count},
            {"status", g.status},
            {"created_at", TimeJson(g.created_at)},
            {"dismissed_at", TimeJson(g.dismissed_at)},
            {"synced_at", TimeJson(g.synced_at)},
            {"updated_at", TimeJson(g.updated_at)}};
}

Json MemberJson(const scrm::GroupMember& m) {
    return {{"member_id", m.member_id},          {"type", m.type == 2 ? "customer" : "staff"},
            {"customer_id", Opt(m.customer_id)}, {"unionid", OptText(m.unionid)},
            {"name", OptText(m.name)},           {"join_time", TimeJson(m.join_time)},
            {"join_scene", Opt(m.join_scene)},   {"invitor", OptText(m.invitor)}};
}

Json HistoryJson(const scrm::GroupHistoryEntry& e) {
    return {{"id", e.id},
            {"group_id", e.group_id},
            {"chat_id", e.chat_id},
            {"group_name", e.group_name},
            {"member_id", e.member_id},
            {"type", e.type == 2 ? "customer" : "staff"},
            {"customer_id", Opt(e.customer_id)},
            {"action", e.action},
            {"join_scene", Opt(e.join_scene)},
            {"quit_scene", Opt(e.quit_scene)},
            {"invitor", OptText(e.invitor)},
            {"at", TimeJson(e.at)}};
}

Result<scrm::Group> VisibleGroup(Ctx& c) {
    SIYU_ASSIGN_OR_RETURN(int64_t id, PathId(c.req));
    SIYU_ASSIGN_OR_RETURN(auto g, G(c).groups().Get(c.tenant(), id));
    SIYU_ASSIGN_OR_RETURN(bool visible, GroupVisible(c, g));
    if (!visible) return Status::NotFound("no group " + std::to_string(id));
    return g;
}

// --- Group live codes ------------------------------------------------------------------

Json LiveCodeJson(const scrm::GroupLiveCode& code, const std::string& base) {
    Json groups = Json::array();
    for (const auto& g : code.groups) {
        groups.push_back({{"group_id", g.group_id},
                          {"chat_id", g.chat_id},
                          {"group_name", g.group_name},
                          {"qr_url", g.qr_url},
                          {"member_count", g.member_count},
                          {"group_status", g.group_status},
                          {"full", g.full},
                          {"scans", g.scans}});
    }
    return {{"id", code.id},
            {"key", code.key},
            {"url", base + "/g/" + code.key},
            {"name", code.name},
            {"member_limit", code.member_limit},
            {"scans", code.scans},
            {"full_scans", code.full_scans},
            {"all_full", code.all_full_at.has_value()},
            {"all_full_at", TimeJson(code.all_full_at)},
            {"groups", groups},
            {"created_at", TimeJson(code.created_at)},
            {"updated_at", TimeJson(code.updated_at)}};
}

Result<scrm::GroupLiveCodeInput> ParseLiveCodeInput(const std::string& text) {
    SIYU_ASSIGN_OR_RETURN(Json body, ParseObject(text));
    SIYU_RETURN_IF_ERROR(RejectUnknown(body, {"name", "member_limit", "groups"}));
    scrm::GroupLiveCodeInput in;
    SIYU_ASSIGN_OR_RETURN(in.name, OptString(body, "name"));
    SIYU_ASSIGN_OR_RETURN(in.member_limit, OptInt(body, "member_limit"));
    if (auto it = body.find("groups"); it != body.end()) {
        if (!it->is_array()) return Status::InvalidArgument("groups", "must be an array of {group_id, qr_url}");
        std::vector<scrm::GroupLiveCodeEntry> groups;
        for (size_t i = 0; i < it->size(); ++i) {
            const Json& g = (*it)[i];
            std::string field = "groups[" + std::to_string(i) + "]";
            if (!g.is_object()) return Status::InvalidArgument(field, "must be an object with group_id and qr_url");
            SIYU_RETURN_IF_ERROR(RejectUnknown(g, {"group_id", "qr_url"}));
            auto id = g.find("group_id");
            if (id == g.end() || !id->is_number_integer() || id->get<int64_t>() <= 0) {
                return Status::InvalidArgument(field + ".group_id", "must be a group id");
            }
            auto url = g.find("qr_url");
            if (url == g.end() || !url->is_string()) return Status::InvalidArgument(field + ".qr_url", "is required");
            groups.push_back({id->get<int64_t>(), url->get<std::string>()});
        }
        in.groups = std::move(groups);
    }
    return in;
}

bool WantsJson(const http::Request& req) {
    if (auto f = req.Query("format")) return *f == "json";
    const std::string* accept = req.Header("accept");
    return accept && accept->find("application/json") != std::string::npos &&
           accept->find("text/html") == std::string::npos;
}

std::string HtmlEscape(const std::string& s) {
    std::string out;
    for (char ch : s) {
        switch (ch) {
            case '&':
                out += "&amp;";
                break;
            case '<':
                out += "&lt;";
                break;
            case '>':
                out += "&gt;";
                break;
            case '"':
                out += "&quot;";
                break;
            default:
                out += ch;
        }
    }
    return out;
}

http::Response Html(int status, const std::string& title, const std::string& body) {
    http::Response r;
    r.status = status;
    r.content_type = "text/html; charset=utf-8";
    r.body =
        "<!doctype html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" "
        "content=\"width=device-width,initial-scale=1\"><title>" +
        HtmlEscape(title) + "</title></head><body style=\"font-family:sans-serif;text-align:center;padding:2em\">" +
        body + "</body></html>";
    r.SetHeader("Cache-Control", "no-store");
    return r;
}

http::Response Redirect(const std::string& location) {
    http::Response r;
    r.status = 302;
    r.content_type = "text/plain; charset=utf-8";
    r.body = "Found: " + location;
    r.SetHeader("Location", location);
    r.SetHeader("Cache-Control", "no-store");
    return r;
}

// --- Item codes ------------------------------------------------------------------------

Json BatchJson(const scrm::ItemCodeBatch& b, const std::string& base) {
    return {{"id", b.id},
            {"name", b.name},
            {"count", b.count},
            {"target_type", b.target_type},
            {"target", b.target},
            {"target_url", b.target_type == "live_code" ? base + "/c/" + b.target : b.target},
            {"live_code_id", Opt(b.live_code_id)},
            {"used_codes", b.used_codes},
            {"scans", b.scans},
            {"created_by", b.created_by},
            {"created_at", TimeJson(b.created_at)}};
}

Json CodeJson(const scrm::ItemCode& code, const std::string& base) {
    return {{"code", code.code},
            {"url", base + "/s/" + code.code},
            {"scans", code.scans},
            {"used", code.first_scanned_at.has_value()},
            {"first_scanned_at", TimeJson(code.first_scanned_at)},
            {"last_scanned_at", TimeJson(code.last_scanned_at)}};
}

Result<http::Response> QrResponse(const std::string& text, bool png, const std::string& filename) {
    SIYU_ASSIGN_OR_RETURN(auto qr, scrm::EncodeQr(text));
    http::Response r;
    r.status = 200;
    r.content_type = png ? "image/png" : "image/svg+xml";
    r.body = png ? scrm::QrPng(qr) : scrm::QrSvg(qr);
    r.SetHeader("Content-Disposition", "inline; filename=\"" + filename + (png ? ".png\"" : ".svg\""));
    r.SetHeader("X-Encoded-Url", text);
    return r;
}

std::string SafeFileName(const std::string& name) {
    std::string out;
    for (char ch : name) {
        unsigned char u = static_cast<unsigned char>(ch);
        out.push_back(std::isalnum(u) || ch == '-' || ch == '_' ? ch : '_');
    }
    return out.empty() ? "batch" : out;
}

}  // namespace

void AddScrmGroupRoutes(RouteTable& t) {
    // Groups
    t.Api({.method = "POST",
           .pattern = "/api/v1/wecom/groups/sync",
           .summary = "Read every customer group from WeCom (groupchat/list and get)",
           .tag = "WeCom groups",
           .permission = "wecom.manage"},
          [](Ctx& c) -> Result<http::Response> {
              SIYU_ASSIGN_OR_RETURN(auto r, G(c).groups().Sync(c.tenant()));
              return JsonResponse(200, {{"groups", r.groups},
                                        {"created", r.created},
                                        {"joined", r.joined},
                                        {"left", r.left},
                                        {"dismissed", r.dismissed}});
          });
    t.Api({.method = "GET",
           .pattern = "/api/v1/wecom/groups",
           .summary = "Customer groups, newest first",
           .tag = "WeCom groups",
           .permission = "wecom.read",
           .query_params = {"owner", "status", "q", "limit", "cursor"}},
          [](Ctx& c) -> Result<http::Response> {
              SIYU_ASSIGN_OR_RETURN(auto page, ParsePage(c.req));
              scrm::GroupFilter f;
              f.limit = page.limit;
              f.before_id = page.cursor;
              if (auto v = c.req.Query("owner"); v && !v->empty()) f.owner = *v;
              if (auto v = c.req.Query("status"); v && !v->empty()) {
                  if (*v != "active" && *v != "dismissed") {
                      return Status::InvalidArgument("status", "must be active or dismissed");
                  }
                  f.status = *v;
              }
              if (auto v = c.req.Query("q"); v && !Trim(*v).empty()) f.q = std::string(Trim(*v));
              SIYU_ASSIGN_OR_RETURN(auto vis, c.Visibility());
              Json data = Json::array();
              std::optional<int64_t> last;
              // Store roles: read on until the page is full of groups they may see.
              for (int rounds = 0; rounds < 50; ++rounds) {
                  SIYU_ASSIGN_OR_RETURN(auto list, G(c).groups().List(c.tenant(), f));
                  for (const auto& g : list) {
                      last = g.id;
                      SIYU_ASSIGN_OR_RETURN(bool visible, GroupVisible(c, g));
                      if (visible && data.size() < static_cast<size_t>(page.limit)) data.push_back(GroupJson(g));
                  }
                  if (!vis.store_ids || list.size() < static_cast<size_t>(f.limit) ||
                      data.size() >= static_cast<size_t>(page.limit)) {
                      break;
                  }
                  f.before_id = last;
              }
              return JsonResponse(200, PageJson(std::move(data), static_cast<size_t>(page.limit), last));
          });
    t.Api({.method = "GET",
           .pattern = "/api/v1/wecom/groups/{id}",
           .summary = "A customer group with its members",
           .tag = "WeCom groups",
           .permission = "wecom.read"},
          [](Ctx& c) -> Result<http::Response> {
              SIYU_ASSIGN_OR_RETURN(auto g, VisibleGroup(c));
              SIYU_ASSIGN_OR_RETURN(auto members, G(c).groups().Members(c.tenant(), g.id));
              Json out = GroupJson(g);
              out["members"] = Json::array();
              for (const auto& m : members) out["members"].push_back(MemberJson(m));
              return JsonResponse(200, out);
          });
    t.Api({.method = "GET",
           .pattern = "/api/v1/wecom/groups/{id}/history",
           .summary = "Joins and leaves of a group, newest first",
           .tag = "WeCom groups",
           .permission = "wecom.read",
           .query_params = {"limit", "cursor"}},
          [](Ctx& c) -> Result<http::Response> {
              SIYU_ASSIGN_OR_RETURN(auto page, ParsePage(c.req));
              SIYU_ASSIGN_OR_RETURN(auto g, VisibleGroup(c));
              SIYU_ASSIGN_OR_RETURN(auto list, G(c).groups().History(c.tenant(), g.id, page.limit, page.cursor));
              Json data = Json::array();
              for (const auto& e : list) data.push_back(HistoryJson(e));
              std::optional<int64_t> last;
              if (!list.empty()) last = list.back().id;
              return JsonResponse(200, PageJson(std::move(data), static_cast<size_t>(page.limit), last));
          });
    t.Api({.method = "GET",
           .pattern = "/api/v1/customers/{customer_id}/groups",
           .summary = "The customer groups a customer is in, and their join and leave history",
           .tag = "WeCom groups",
           .permission = "wecom.read"},
          [](Ctx& c) -> Result<http::Response> {
              SIYU_ASSIGN_OR_RETURN(int64_t id, VisibleCustomer(c));
              SIYU_ASSIGN_OR_RETURN(auto groups, G(c).groups().GroupsOfCustomer(c.tenant(), id));
              SIYU_ASSIGN_OR_RETURN(auto history, G(c).groups().HistoryOfCustomer(c.tenant(), id, 200));
              Json data = Json::array(), hist = Json::array();
              for (const auto& g : groups) data.push_back(GroupJson(g));
              for (const auto& e : history) hist.push_back(HistoryJson(e));
              return JsonResponse(200, {{"customer_id", id}, {"data", data}, {"history", hist}});
          });

    // Group live codes
    t.Api({.method = "GET",
           .pattern = "/api/v1/wecom/group-live-codes",
           .summary = "Group live codes (群活码) with scan counts, newest first",
           .tag = "WeCom groups",
           .permission = "wecom.read",
           .query_params = {"limit", "cursor"}},
          [](Ctx& c) -> Result<http::Response> {
              SIYU_ASSIGN_OR_RETURN(auto page, ParsePage(c.req));
              SIYU_ASSIGN_OR_RETURN(auto list, G(c).group_live_codes().List(c.tenant(), page.limit, page.cursor));
              Json data = Json::array();
              for (const auto& code : list) data.push_back(LiveCodeJson(code, G(c).public_base()));
              std::optional<int64_t> last;
              if (!list.empty()) last = list.back().id;
              return JsonResponse(200, PageJson(std::move(data), static_cast<size_t>(page.limit), last));
          });
    t.Api({.method = "POST",
           .pattern = "/api/v1/wecom/group-live-codes",
           .summary = "Create a group live code: groups in order, each with its QR image, and a member limit",
           .tag = "WeCom groups",
           .permission = "wecom.manage"},
          [](Ctx& c) -> Result<http::Response> {
              SIYU_ASSIGN_OR_RETURN(auto in, ParseLiveCodeInput(c.req.body));
              SIYU_ASSIGN_OR_RETURN(auto code, G(c).group_live_codes().Create(c.tenant(), in, c.actor));
              return JsonResponse(201, LiveCodeJson(code, G(c).public_base()));
          });
    t.Api({.method = "GET",
           .pattern = "/api/v1/wecom/group-live-codes/{id}",
           .summary = "A group live code",
           .tag = "WeCom groups",
           .permission = "wecom.read"},
          [](Ctx& c) -> Result<http::Response> {
              SIYU_ASSIGN_OR_RETURN(int64_t id, PathId(c.req));
              SIYU_ASSIGN_OR_RETURN(auto code, G(c).group_live_codes().Get(c.tenant(), id));
              return JsonResponse(200, LiveCodeJson(code, G(c).public_base()));
          });
    t.Api({.method = "PATCH",
           .pattern = "/api/v1/wecom/group-live-codes/{id}",
           .summary = "Change a group live code's name, limit or groups",
           .tag = "WeCom groups",
           .permission = "wecom.manage"},
          [](Ctx& c) -> Result<http::Response> {
              SIYU_ASSIGN_OR_RETURN(int64_t id, PathId(c.req));
              SIYU_RETURN_IF_ERROR(G(c).group_live_codes().Get(c.tenant(), id).status());
              SIYU_ASSIGN_OR_RETURN(auto in, ParseLiveCodeInput(c.req.body));
              SIYU_ASSIGN_OR_RETURN(auto code, G(c).group_live_codes().Update(c.tenant(), id, in, c.actor));
              return JsonResponse(200, LiveCodeJson(code, G(c).public_base()));
          });
    t.Api({.method = "DELETE",
           .pattern = "/api/v1/wecom/group-live-codes/{id}",
           .summary = "Delete a group live code",
           .tag = "WeCom groups",
           .permission = "wecom.manage"},
          [](Ctx& c) -> Result<http::Response> {
              SIYU_ASSIGN_OR_RETURN(int64_t id, PathId(c.req));
              SIYU_RETURN_IF_ERROR(G(c).group_live_codes().Delete(c.tenant(), id, c.actor));
              return http::Response::NoContent();
          });
    t.Public({.method = "GET",
              .pattern = "/g/{key}",
              .summary = "Group live code landing: the first group below its limit (302 to its QR image, or JSON)",
              .tag = "WeCom groups",
              .query_params = {"format"}},
             [](http::Request& req, Services& svc) -> Result<http::Response> {
                 SIYU_ASSIGN_OR_RETURN(auto scan, svc.scrm_groups->group_live_codes().Scan(req.Param("key"), NowMs()));
                 bool json = WantsJson(req);
                 if (!scan.group) {
                     if (json) {
                         return JsonResponse(
                             200, {{"status", "all_full"},
                                   {"alert", true},
                                   {"name", scan.name},
                                   {"message", "Every group of this code is full; please come back later."}});
                     }
                     return Html(200, scan.name,
                                 "<h1>群已满</h1><p>本活码的所有群都已满员，请稍后再试。</p><p>All groups are full; "
                                 "please try again later.</p>");
                 }
                 const auto& g = *scan.group;
                 if (json) {
                     return JsonResponse(200, {{"status", "ok"},
                                               {"alert", false},
                                               {"name", scan.name},
                                               {"group",
                                                {{"chat_id", g.chat_id},
                                                 {"name", g.group_name},
                                                 {"member_count", g.member_count},
                                                 {"qr_url", g.qr_url}}}});
                 }
                 if (StartsWith(g.qr_url, "data:")) {
                     return Html(200, g.group_name,
                                 "<h1>" + HtmlEscape(g.group_name) +
                                     "</h1><p>长按识别二维码加入群聊</p><img alt=\"QR\" "
                                     "style=\"max-width:80vw\" src=\"" +
                                     HtmlEscape(g.qr_url) + "\">");
                 }
                 return Redirect(g.qr_url);
             });

    // Per-item codes
    t.Api({.method = "POST",
           .pattern = "/api/v1/wecom/item-code-batches",
           .summary = "Generate a batch of unique per-item codes (一物一码)",
           .tag = "WeCom item codes",
           .permission = "wecom.manage"},
          [](Ctx& c) -> Result<http::Response> {
              SIYU_ASSIGN_OR_RETURN(Json body, ParseObject(c.req.body));
              SIYU_RETURN_IF_ERROR(RejectUnknown(body, {"name", "count", "live_code_id", "target_url"}));
              scrm::ItemCodeBatchInput in;
              SIYU_ASSIGN_OR_RETURN(in.name, ReqString(body, "name"));
              SIYU_ASSIGN_OR_RETURN(auto count, OptInt(body, "count"));
              if (!count) return Status::InvalidArgument("count", "is required");
              in.count = *count;
              SIYU_ASSIGN_OR_RETURN(in.live_code_id, OptInt(body, "live_code_id"));
              SIYU_ASSIGN_OR_RETURN(in.target_url, OptString(body, "target_url"));
              SIYU_ASSIGN_OR_RETURN(auto batch, G(c).item_codes().CreateBatch(c.tenant(), in, c.actor));
              return JsonResponse(201, BatchJson(batch, G(c).public_base()));
          });
    t.Api({.method = "GET",
           .pattern = "/api/v1/wecom/item-code-batches",
           .summary = "Per-item code batches with how many codes were used, newest first",
           .tag = "WeCom item codes",
           .permission = "wecom.read",
           .query_params = {"limit", "cursor"}},
          [](Ctx& c) -> Result<http::Response> {
              SIYU_ASSIGN_OR_RETURN(auto page, ParsePage(c.req));
              SIYU_ASSIGN_OR_RETURN(auto list, G(c).item_codes().ListBatches(c.tenant(), page.limit, page.cursor));
              Json data = Json::array();
              for (const auto& b : list) data.push_back(BatchJson(b, G(c).public_base()));
              std::optional<int64_t> last;
              if (!list.empty()) last = list.back().id;
              return JsonResponse(200, PageJson(std::move(data), static_cast<size_t>(page.limit), last));
          });
    t.Api({.method = "GET",
           .pattern = "/api/v1/wecom/item-code-batches/{id}",
           .summary = "A per-item code batch",
           .tag = "WeCom item codes",
           .permission = "wecom.read"},
          [](Ctx& c) -> Result<http::Response> {
              SIYU_ASSIGN_OR_RETURN(int64_t id, PathId(c.req));
              SIYU_ASSIGN_OR_RETURN(auto b, G(c).item_codes().GetBatch(c.tenant(), id));
              return JsonResponse(200, BatchJson(b, G(c).public_base()));
          });
    t.Api({.method = "GET",
           .pattern = "/api/v1/wecom/item-code-batches/{id}/codes",
           .summary = "The codes of a batch with first-scan times and scan counts",
           .tag = "WeCom item codes",
           .permission = "wecom.read",
           .query_params = {"limit", "cursor"}},
          [](Ctx& c) -> Result<http::Response> {
              SIYU_ASSIGN_OR_RETURN(int64_t id, PathId(c.req));
              SIYU_ASSIGN_OR_RETURN(auto page, ParsePage(c.req));
              SIYU_RETURN_IF_ERROR(G(c).item_codes().GetBatch(c.tenant(), id).status());
              SIYU_ASSIGN_OR_RETURN(auto list,
                                    G(c).item_codes().Codes(c.tenant(), id, page.limit, page.cursor.value_or(0)));
              Json data = Json::array();
              for (const auto& code : list) data.push_back(CodeJson(code, G(c).public_base()));
              std::optional<int64_t> last;
              if (!list.empty()) last = list.back().id;
              return JsonResponse(200, PageJson(std::move(data), static_cast<size_t>(page.limit), last));
          });
    for (bool png : {true, false}) {
        t.Api(
            {.method = "GET",
             .pattern = std::string("/api/v1/wecom/item-code-batches/{id}/codes/{code}/") + (png ? "qr.png" : "qr.svg"),
             .summary = std::string("The QR image of one code as ") + (png ? "PNG" : "SVG"),
             .tag = "WeCom item codes",
             .permission = "wecom.read"},
            [png](Ctx& c) -> Result<http::Response> {
                SIYU_ASSIGN_OR_RETURN(int64_t id, PathId(c.req));
                SIYU_ASSIGN_OR_RETURN(auto code, G(c).item_codes().GetCode(c.tenant(), id, c.req.Param("code")));
                return QrResponse(G(c).public_base() + "/s/" + code.code, png, code.code);
            });
        t.Api({.method = "GET",
               .pattern = std::string("/api/v1/wecom/live-codes/{id}/") + (png ? "qr.png" : "qr.svg"),
               .summary =
                   std::string("The QR image of a channel live code's landing /c/{key} as ") + (png ? "PNG" : "SVG"),
               .tag = "WeCom item codes",
               .permission = "wecom.read"},
              [png](Ctx& c) -> Result<http::Response> {
                  SIYU_ASSIGN_OR_RETURN(int64_t id, PathId(c.req));
                  std::optional<std::string> key;
                  SIYU_RETURN_IF_ERROR(c.svc.db->Read([&](store::Connection& conn) -> Status {
                      SIYU_ASSIGN_OR_RETURN(auto q, conn.Prepare("SELECT key FROM live_codes WHERE tenant_id = ? AND "
                                                                 "id = ? AND deleted_at IS NULL"));
                      q.Bind(1, c.tenant()).Bind(2, id);
                      SIYU_ASSIGN_OR_RETURN(bool row, q.Step());
                      if (row) key = q.Text(0);
                      return Status::Ok();
                  }));
                  if (!key) return Status::NotFound("no live code " + std::to_string(id));
                  return QrResponse(G(c).public_base() + "/c/" + *key, png, "live-code-" + std::to_string(id));
              });
    }
    t.Api({.method = "GET",
           .pattern = "/api/v1/wecom/item-code-batches/{id}/export.csv",
           .summary = "A batch's codes as CSV (code,url) for the printer",
           .tag = "WeCom item codes",
           .permission = "wecom.read"},
          [](Ctx& c) -> Result<http::Response> {
              SIYU_ASSIGN_OR_RETURN(int64_t id, PathId(c.req));
              SIYU_ASSIGN_OR_RETURN(auto batch, G(c).item_codes().GetBatch(c.tenant(), id));
              std::string csv = "code,url\n";
              const std::string& base = G(c).public_base();
              SIYU_RETURN_IF_ERROR(G(c).item_codes().ForEachCode(c.tenant(), id, [&](const scrm::ItemCode& code) {
                  csv += code.code + "," + base + "/s/" + code.code + "\n";
              }));
              http::Response r;
              r.content_type = "text/csv; charset=utf-8";
              r.body = std::move(csv);
              r.SetHeader("Content-Disposition", "attachment; filename=\"item-codes-" + std::to_string(id) + "-" +
                                                     SafeFileName(batch.name) + ".csv\"");
              return r;
          });
    t.Api({.method = "GET",
           .pattern = "/api/v1/wecom/item-code-batches/{id}/export.zip",
           .summary = "A batch as a ZIP archive: codes.csv and one SVG QR image per code (202 while a large one is "
                      "being prepared)",
           .tag = "WeCom item codes",
           .permission = "wecom.read"},
          [](Ctx& c) -> Result<http::Response> {
              SIYU_ASSIGN_OR_RETURN(int64_t id, PathId(c.req));
              SIYU_ASSIGN_OR_RETURN(auto batch, G(c).item_codes().GetBatch(c.tenant(), id));
              SIYU_ASSIGN_OR_RETURN(auto zip, G(c).item_code_exports().Zip(c.tenant(), id));
              if (zip.status == "failed") return Status::Unavailable("the export failed: " + zip.error + "; ask again");
              if (zip.status != "ready") {
                  http::Response r =
                      JsonResponse(202, {{"status", zip.status}, {"batch_id", id}, {"count", batch.count}});
                  r.SetHeader("Retry-After", "5");
                  return r;
              }
              std::shared_ptr<std::FILE> file(std::fopen(zip.path.c_str(), "rb"), [](std::FILE* f) {
                  if (f) std::fclose(f);
              });
              if (!file) return Status::Unavailable("cannot read the export; ask again");
              http::Response r;
              r.content_type = "application/zip";
              r.SetHeader("Content-Disposition", "attachment; filename=\"item-codes-" + std::to_string(id) + "-" +
                                                     SafeFileName(batch.name) + ".zip\"");
              r.stream = [file](std::string* out) -> Result<bool> {
                  out->resize(1 << 20);
                  size_t n = std::fread(out->data(), 1, out->size(), file.get());
                  out->resize(n);
                  if (n == 0 && std::ferror(file.get())) return Status::Unavailable("reading the export failed");
                  return n > 0;
              };
              return r;
          });
    t.Public({.method = "GET",
              .pattern = "/s/{code}",
              .summary = "A per-item code scan: records Live Code Scanned and redirects to the batch's target",
              .tag = "WeCom item codes"},
             [](http::Request& req, Services& svc) -> Result<http::Response> {
                 SIYU_ASSIGN_OR_RETURN(auto scan, svc.scrm_groups->item_codes().Scan(req.Param("code"), NowMs()));
                 std::string target = scan.target_type == "live_code"
                                          ? svc.scrm_groups->public_base() + "/c/" + scan.target + "?item=" + scan.code
                                          : scan.target;
                 http::Response r = Redirect(target);
                 r.SetHeader("X-Siyu-First-Scan", scan.first ? "true" : "false");
                 return r;
             });
}

}  // namespace siyu::api
