// SCRM core routes (docs/scrm.md): staff and departments, customer owners, loss alerts, channel
// live codes with the public landing /c/{key}, corp tag sync and live code statistics.

#include <chrono>
#include <cmath>
#include <set>

#include "api/routes.h"
#include "base/strings.h"
#include "scrm/scrm.h"

namespace siyu::api {

namespace {

constexpr auto kCreateWait = std::chrono::milliseconds(3000);

Json Opt(const std::optional<std::string>& v) { return v ? Json(*v) : Json(nullptr); }
Json Opt(const std::optional<int64_t>& v) { return v ? Json(*v) : Json(nullptr); }

Result<scrm::Scrm*> ScrmOf(Ctx& c) {
    if (!c.svc.scrm) return Status::Unavailable("the SCRM services are not available");
    return c.svc.scrm.get();
}

// --- Who may see which staff ---------------------------------------------------------------

// The caller's own staff row (a console user linked to a staff member), if any.
Result<std::optional<scrm::Staff>> OwnStaff(Ctx& c, scrm::Scrm& s) {
    if (c.principal.kind != auth::Principal::Kind::kUser) return std::optional<scrm::Staff>();
    return s.staff().OfUser(c.tenant(), c.principal.user_id);
}

// Store roles see the staff of their stores (and their own row); others see every staff member.
Status CheckStaffVisible(Ctx& c, scrm::Scrm& s, const scrm::Staff& staff) {
    if (!auth::IsStoreScoped(c.principal.role)) return Status::Ok();
    SIYU_ASSIGN_OR_RETURN(auto own, OwnStaff(c, s));
    if (own && own->id == staff.id) return Status::Ok();
    SIYU_ASSIGN_OR_RETURN(auto vis, c.Visibility());
    if (staff.store_id && vis.Allows(staff.store_id)) return Status::Ok();
    return Status::NotFound("no staff member " + std::to_string(staff.id));
}

// Whose customers the caller may list: guides their own only, store managers their stores'.
Result<scrm::Staff> StaffWhoseCustomersCallerSees(Ctx& c, scrm::Scrm& s, int64_t staff_id) {
    SIYU_ASSIGN_OR_RETURN(scrm::Staff staff, s.staff().Get(c.tenant(), staff_id));
    if (c.principal.role == auth::Role::kGuide) {
        SIYU_ASSIGN_OR_RETURN(auto own, OwnStaff(c, s));
        if (!own || own->id != staff.id) return Status::NotFound("no staff member " + std::to_string(staff_id));
        return staff;
    }
    SIYU_RETURN_IF_ERROR(CheckStaffVisible(c, s, staff));
    return staff;
}

// The staff ids whose alerts a store-scoped caller may see; nullopt: every one.
Result<std::optional<std::vector<int64_t>>> AlertScope(Ctx& c, scrm::Scrm& s) {
    using R = std::optional<std::vector<int64_t>>;
    if (!auth::IsStoreScoped(c.principal.role)) return R();
    SIYU_ASSIGN_OR_RETURN(auto own, OwnStaff(c, s));
    std::vector<int64_t> ids;
    if (own) ids.push_back(own->id);
    if (c.principal.role == auth::Role::kStoreManager) {
        SIYU_ASSIGN_OR_RETURN(auto vis, c.Visibility());
        scrm::StaffFilter f;
        f.limit = 100'000;
        f.store_ids = vis.store_ids.value_or(std::vector<int64_t>{});
        SIYU_ASSIGN_OR_RETURN(auto staff, s.staff().List(c.tenant(), f));
        for (const auto& st : staff) ids.push_back(st.id);
    }
    return R(std::move(ids));
}

// --- JSON ----------------------------------------------------------------------------------

Json StaffJson(const scrm::Staff& s) {
    return {{"id", s.id},
            {"userid", s.userid},
            {"name", s.name},
            {"mobile", Opt(s.mobile)},
            {"department_ids", s.department_ids},
            {"store_id", Opt(s.store_id)},
            {"store_name", Opt(s.store_name)},
            {"user_id", Opt(s.user_id)},
            {"status", s.status},
            {"source", s.source},
            {"customer_count", s.customer_count},
            {"created_at", TimeJson(s.created_at)},
            {"updated_at", TimeJson(s.updated_at)}};
}

Json OwnerJson(const scrm::Owner& o) {
    return {{"id", o.id},
            {"customer_id", o.customer_id},
            {"customer_name", Opt(o.customer_name)},
            {"staff", {{"id", o.staff_id}, {"userid", o.staff_userid}, {"name", o.staff_name}, {"store_id", Opt(o.store_id)}}},
            {"external_userid", o.external_userid},
            {"added_at", TimeJson(o.added_at)},
            {"add_way", Opt(o.add_way)},
            {"state", Opt(o.state)},
            {"live_code_id", Opt(o.live_code_id)},
            {"remark", Opt(o.remark)},
            {"status", o.status},
            {"ended_at", TimeJson(o.ended_at)}};
}

Json AlertJson(const scrm::LossAlert& a) {
    return {{"id", a.id},
            {"staff", {{"id", a.staff_id}, {"userid", a.staff_userid}, {"name", a.staff_name}}},
            {"customer_id", Opt(a.customer_id)},
            {"customer_name", Opt(a.customer_name)},
            {"external_userid", a.external_userid},
            {"reason", a.reason},
            {"created_at", TimeJson(a.created_at)},
            {"read_at", TimeJson(a.read_at)},
            {"unread", !a.read_at.has_value()}};
}

std::string BaseUrl(const Services& svc, const http::Request& req) {
    if (!svc.config.public_base_url.empty()) {
        std::string base = svc.config.public_base_url;
        while (!base.empty() && base.back() == '/') base.pop_back();
        return base;
    }
    if (const std::string* host = req.Header("host")) return "http://" + *host;
    return "";
}

Json LiveCodeJson(const scrm::LiveCode& l, const std::string& base_url) {
    Json staff = Json::array();
    std::vector<int64_t> staff_ids;
    for (const auto& m : l.staff) {
        staff_ids.push_back(m.staff_id);
        staff.push_back({{"staff_id", m.staff_id},
                         {"userid", m.userid},
                         {"name", m.name},
                         {"staff_status", m.staff_status},
                         {"position", m.position},
                         {"config_id", Opt(m.config_id)},
                         {"qr_code", Opt(m.qr_code)},
                         {"sync_status", m.sync_status},
                         {"sync_error", Opt(m.sync_error)}});
    }
    return {{"id", l.id},
            {"key", l.key},
            {"landing_url", base_url + "/c/" + l.key},
            {"name", l.name},
            {"channel", l.channel},
            {"assign_mode", l.assign_mode},
            {"daily_cap", Opt(l.daily_cap)},
            {"staff_ids", staff_ids},
            {"staff", staff},
            {"tag_ids", l.tag_ids},
            {"welcome", l.welcome},
            {"coupon_template_id", Opt(l.coupon_template_id)},
            {"skip_verify", l.skip_verify},
            {"valid_from", TimeJson(l.valid_from)},
            {"valid_to", TimeJson(l.valid_to)},
            {"status", l.status},
            {"sync_status", l.SyncStatus()},
            {"created_at", TimeJson(l.created_at)},
            {"updated_at", TimeJson(l.updated_at)}};
}

Json DayJson(const scrm::DayCounts& d) {
    Json j = {{"scans", d.scans}, {"adds", d.adds}, {"losses", d.losses}, {"net_adds", d.net_adds()}};
    if (!d.day.empty()) j["day"] = d.day;
    return j;
}

Json DaysJson(const std::vector<scrm::DayCounts>& days) {
    Json out = Json::array();
    for (const auto& d : days) out.push_back(DayJson(d));
    return out;
}

template <typename T, typename F>
Json Page(const std::vector<T>& rows, int limit, F&& to_json) {
    Json data = Json::array();
    for (const auto& r : rows) data.push_back(to_json(r));
    std::optional<int64_t> last;
    if (!rows.empty()) last = rows.back().id;
    return PageJson(std::move(data), static_cast<size_t>(limit), last);
}

// --- Requests ------------------------------------------------------------------------------

Result<std::optional<int64_t>> QueryId(const http::Request& req, const char* name) {
    auto v = req.Query(name);
    if (!v || v->empty()) return std::optional<int64_t>();
    int64_t id = 0;
    if (!ParseInt64(*v, &id) || id <= 0) return Status::InvalidArgument(name, "must be a positive integer id");
    return std::optional<int64_t>(id);
}

Result<std::optional<bool>> QueryBool(const http::Request& req, const char* name) {
    auto v = req.Query(name);
    if (!v || v->empty()) return std::optional<bool>();
    if (*v == "true" || *v == "1") return std::optional<bool>(true);
    if (*v == "false" || *v == "0") return std::optional<bool>(false);
    return Status::InvalidArgument(name, "must be true or false");
}

Result<std::optional<scrm::GeoPoint>> QueryPoint(const http::Request& req) {
    auto lat = req.Query("lat"), lng = req.Query("lng");
    bool has_lat = lat && !lat->empty(), has_lng = lng && !lng->empty();
    if (!has_lat && !has_lng) return std::optional<scrm::GeoPoint>();
    if (has_lat != has_lng) return Status::InvalidArgument(has_lat ? "lng" : "lat", "send lat and lng together");
    auto number = [](const std::string& s, double* out) {
        char* end = nullptr;
        *out = std::strtod(s.c_str(), &end);
        return end && *end == '\0' && std::isfinite(*out);
    };
    scrm::GeoPoint p;
    if (!number(*lat, &p.latitude) || p.latitude < -90 || p.latitude > 90) {
        return Status::InvalidArgument("lat", "must be a latitude between -90 and 90");
    }
    if (!number(*lng, &p.longitude) || p.longitude < -180 || p.longitude > 180) {
        return Status::InvalidArgument("lng", "must be a longitude between -180 and 180");
    }
    return std::optional<scrm::GeoPoint>(p);
}

Result<scrm::StaffPatch> ParseStaffPatch(const std::string& text) {
    SIYU_ASSIGN_OR_RETURN(Json body, ParseObject(text));
    SIYU_RETURN_IF_ERROR(RejectUnknown(body, {"store_id", "user_id", "status", "name"}));
    scrm::StaffPatch p;
    SIYU_ASSIGN_OR_RETURN(p.store_id, NullableInt(body, "store_id"));
    SIYU_ASSIGN_OR_RETURN(p.user_id, NullableInt(body, "user_id"));
    SIYU_ASSIGN_OR_RETURN(p.status, OptString(body, "status"));
    SIYU_ASSIGN_OR_RETURN(p.name, OptString(body, "name"));
    if (p.store_id && *p.store_id && **p.store_id <= 0) return Status::InvalidArgument("store_id", "must be a store id");
    if (p.user_id && *p.user_id && **p.user_id <= 0) return Status::InvalidArgument("user_id", "must be a user id");
    return p;
}

Result<std::vector<int64_t>> AlertIds(const Json& body) {
    SIYU_ASSIGN_OR_RETURN(auto ids, OptIdList(body, "ids"));
    if (!ids || ids->empty()) return Status::InvalidArgument("ids", "name at least one alert");
    if (ids->size() > 1000) return Status::InvalidArgument("ids", "at most 1,000 alerts at once");
    return *ids;
}

// --- Handlers ------------------------------------------------------------------------------

Result<http::Response> ListStaff(Ctx& c) {
    SIYU_ASSIGN_OR_RETURN(scrm::Scrm * s, ScrmOf(c));
    SIYU_ASSIGN_OR_RETURN(auto page, ParsePage(c.req));
    scrm::StaffFilter f;
    f.limit = page.limit;
    f.after_id = page.cursor;
    SIYU_ASSIGN_OR_RETURN(f.store_id, QueryId(c.req, "store_id"));
    if (auto status = c.req.Query("status"); status && !status->empty()) {
        if (*status != "active" && *status != "disabled" && *status != "resigned") {
            return Status::InvalidArgument("status", "must be active, disabled or resigned");
        }
        f.status = *status;
    }
    if (auto q = c.req.Query("q"); q && !Trim(*q).empty()) f.q = std::string(Trim(*q));
    if (auth::IsStoreScoped(c.principal.role)) {
        SIYU_ASSIGN_OR_RETURN(auto vis, c.Visibility());
        f.store_ids = vis.store_ids.value_or(std::vector<int64_t>{});
    }
    SIYU_ASSIGN_OR_RETURN(auto staff, s->staff().List(c.tenant(), f));
    return JsonResponse(200, Page(staff, page.limit, StaffJson));
}

Result<http::Response> ImportStaff(Ctx& c) {
    SIYU_ASSIGN_OR_RETURN(scrm::Scrm * s, ScrmOf(c));
    std::vector<scrm::StaffRecord> rows;
    const std::string* type = c.req.Header("content-type");
    if (type && ToLower(*type).find("text/csv") != std::string::npos) {
        SIYU_ASSIGN_OR_RETURN(rows, scrm::ParseStaffCsv(c.req.body));
    } else {
        SIYU_ASSIGN_OR_RETURN(Json body, ParseObject(c.req.body));
        SIYU_RETURN_IF_ERROR(RejectUnknown(body, {"staff"}));
        SIYU_ASSIGN_OR_RETURN(rows, scrm::ParseStaffJson(body));
    }
    SIYU_ASSIGN_OR_RETURN(auto report, s->staff().Import(c.tenant(), rows, c.actor));
    return JsonResponse(200, {{"created", report.created}, {"updated", report.updated}});
}

Result<http::Response> OwnedCustomers(Ctx& c, int64_t staff_id) {
    SIYU_ASSIGN_OR_RETURN(scrm::Scrm * s, ScrmOf(c));
    SIYU_ASSIGN_OR_RETURN(scrm::Staff staff, StaffWhoseCustomersCallerSees(c, *s, staff_id));
    SIYU_ASSIGN_OR_RETURN(auto page, ParsePage(c.req));
    scrm::OwnedFilter f;
    f.limit = page.limit;
    f.before_id = page.cursor;
    if (auto status = c.req.Query("status"); status && !status->empty()) {
        static const std::set<std::string> kStatuses = {"active", "deleted_by_staff", "deleted_by_customer",
                                                        "transferred"};
        if (!kStatuses.count(*status)) {
            return Status::InvalidArgument("status",
                                           "must be active, deleted_by_staff, deleted_by_customer or transferred");
        }
        f.status = *status;
    }
    SIYU_ASSIGN_OR_RETURN(auto rows, s->owners().CustomersOf(c.tenant(), staff.id, f));
    Json out = Page(rows, page.limit, OwnerJson);
    out["staff"] = StaffJson(staff);
    return JsonResponse(200, out);
}

Result<http::Response> CreateLiveCode(Ctx& c) {
    SIYU_ASSIGN_OR_RETURN(scrm::Scrm * s, ScrmOf(c));
    SIYU_ASSIGN_OR_RETURN(Json body, ParseObject(c.req.body));
    SIYU_ASSIGN_OR_RETURN(auto in, scrm::ParseLiveCodeInput(body, true));
    SIYU_ASSIGN_OR_RETURN(auto code, s->live_codes().Create(c.tenant(), in, c.actor));
    // Usually WeCom answers within the wait and the caller sees the QR codes at once.
    SIYU_ASSIGN_OR_RETURN(code, s->live_codes().WaitForSync(c.tenant(), code.id, kCreateWait));
    http::Response resp = JsonResponse(201, LiveCodeJson(code, BaseUrl(c.svc, c.req)));
    resp.SetHeader("Location", "/api/v1/wecom/live-codes/" + std::to_string(code.id));
    return resp;
}

Result<http::Response> Landing(http::Request& req, Services& svc) {
    if (!svc.scrm) return Status::Unavailable("the SCRM services are not available");
    SIYU_ASSIGN_OR_RETURN(auto where, QueryPoint(req));
    auto format = req.Query("format");
    if (format && !format->empty() && *format != "json" && *format != "redirect") {
        return Status::InvalidArgument("format", "must be json or redirect");
    }
    SIYU_ASSIGN_OR_RETURN(auto pick, svc.scrm->live_codes().Land(req.Param("key"), where));
    if (format && *format == "json") {
        return JsonResponse(200, {{"live_code_id", pick.live_code_id},
                                  {"staff", {{"id", pick.staff_id}, {"userid", pick.userid}}},
                                  {"qr_code", pick.qr_code},
                                  {"scan_id", pick.scan_id}});
    }
    http::Response resp;
    resp.status = 302;
    resp.content_type.clear();
    resp.SetHeader("Location", pick.qr_code);
    resp.SetHeader("Cache-Control", "no-store");
    return resp;
}

Result<http::Response> Stats(Ctx& c) {
    SIYU_ASSIGN_OR_RETURN(scrm::Scrm * s, ScrmOf(c));
    SIYU_ASSIGN_OR_RETURN(DayRange range, ParseDayRange(c));
    scrm::LiveCodeStatsQuery q;
    q.from = range.from;
    q.to = range.to;
    q.time_zone = range.time_zone;
    q.days = scrm::DaysBetween(range.from_day, LocalDate(range.to, range.time_zone), range.time_zone);
    SIYU_ASSIGN_OR_RETURN(q.live_code_id, QueryId(c.req, "live_code_id"));
    if (auto ch = c.req.Query("channel"); ch && !ch->empty()) {
        static const std::set<std::string> kChannels = {"poster", "store", "package", "ad", "event"};
        if (!kChannels.count(*ch)) return Status::InvalidArgument("channel", "must be poster, store, package, ad or event");
        q.channel = *ch;
    }
    SIYU_ASSIGN_OR_RETURN(auto report, scrm::LiveCodeStats(s->db(), c.tenant(), q));
    Json codes = Json::array();
    for (const auto& cs : report.codes) {
        codes.push_back({{"live_code_id", cs.live_code_id},
                         {"name", cs.name},
                         {"channel", cs.channel},
                         {"days", DaysJson(cs.days)},
                         {"total", DayJson(cs.total)}});
    }
    Json channels = Json::array();
    for (const auto& ch : report.channels) {
        channels.push_back({{"channel", ch.channel}, {"days", DaysJson(ch.days)}, {"total", DayJson(ch.total)}});
    }
    return JsonResponse(200, {{"from", range.from_day},
                              {"to", range.to_day},
                              {"time_zone", range.time_zone},
                              {"live_codes", codes},
                              {"channels", channels},
                              {"total", DayJson(report.total)}});
}

}  // namespace

void AddScrmRoutes(RouteTable& t) {
    // Staff and departments
    t.Api({.method = "GET",
           .pattern = "/api/v1/wecom/staff",
           .summary = "Staff with their customer counts; store roles see their stores' staff",
           .tag = "WeCom",
           .permission = "wecom.read",
           .query_params = {"limit", "cursor", "store_id", "status", "q"}},
          ListStaff);
    t.Api({.method = "POST",
           .pattern = "/api/v1/wecom/staff/sync",
           .summary = "Pull departments and members from WeCom; members WeCom no longer lists are marked resigned",
           .tag = "WeCom",
           .permission = "wecom.manage"},
          [](Ctx& c) -> Result<http::Response> {
              SIYU_ASSIGN_OR_RETURN(scrm::Scrm * s, ScrmOf(c));
              SIYU_ASSIGN_OR_RETURN(auto r, s->staff().Sync(c.tenant(), c.actor));
              return JsonResponse(200, {{"departments", r.departments},
                                        {"created", r.created},
                                        {"updated", r.updated},
                                        {"resigned", r.resigned}});
          });
    t.Api({.method = "POST",
           .pattern = "/api/v1/wecom/staff/import",
           .summary = "Import staff from JSON {\"staff\": [..]} or CSV (text/csv), upserting by userid",
           .tag = "WeCom",
           .permission = "wecom.manage"},
          ImportStaff);
    t.Api({.method = "GET",
           .pattern = "/api/v1/wecom/staff/me",
           .summary = "The staff member linked to the signed-in user (204 when none is)",
           .tag = "WeCom",
           .permission = "wecom.read"},
          [](Ctx& c) -> Result<http::Response> {
              SIYU_ASSIGN_OR_RETURN(scrm::Scrm * s, ScrmOf(c));
              SIYU_ASSIGN_OR_RETURN(auto own, OwnStaff(c, *s));
              if (!own) return http::Response::NoContent();
              return JsonResponse(200, StaffJson(*own));
          });
    t.Api({.method = "GET",
           .pattern = "/api/v1/wecom/staff/{id}",
           .summary = "One staff member",
           .tag = "WeCom",
           .permission = "wecom.read"},
          [](Ctx& c) -> Result<http::Response> {
              SIYU_ASSIGN_OR_RETURN(scrm::Scrm * s, ScrmOf(c));
              SIYU_ASSIGN_OR_RETURN(int64_t id, PathId(c.req));
              SIYU_ASSIGN_OR_RETURN(auto staff, s->staff().Get(c.tenant(), id));
              SIYU_RETURN_IF_ERROR(CheckStaffVisible(c, *s, staff));
              return JsonResponse(200, StaffJson(staff));
          });
    t.Api({.method = "PATCH",
           .pattern = "/api/v1/wecom/staff/{id}",
           .summary = "Link a staff member to a store and a console user; change status or name",
           .tag = "WeCom",
           .permission = "wecom.manage"},
          [](Ctx& c) -> Result<http::Response> {
              SIYU_ASSIGN_OR_RETURN(scrm::Scrm * s, ScrmOf(c));
              SIYU_ASSIGN_OR_RETURN(int64_t id, PathId(c.req));
              SIYU_ASSIGN_OR_RETURN(auto patch, ParseStaffPatch(c.req.body));
              SIYU_ASSIGN_OR_RETURN(auto staff, s->staff().Update(c.tenant(), id, patch, c.actor));
              return JsonResponse(200, StaffJson(staff));
          });
    t.Api({.method = "GET",
           .pattern = "/api/v1/wecom/staff/{id}/customers",
           .summary = "The staff member's customers, newest relationship first; guides see their own only",
           .tag = "WeCom",
           .permission = "wecom.read",
           .query_params = {"limit", "cursor", "status"}},
          [](Ctx& c) -> Result<http::Response> {
              SIYU_ASSIGN_OR_RETURN(int64_t id, PathId(c.req));
              return OwnedCustomers(c, id);
          });
    t.Api({.method = "GET",
           .pattern = "/api/v1/wecom/customers",
           .summary = "Customers by owning staff member (owner_staff_id; default: the caller's own staff row)",
           .tag = "WeCom",
           .permission = "wecom.read",
           .query_params = {"owner_staff_id", "limit", "cursor", "status"}},
          [](Ctx& c) -> Result<http::Response> {
              SIYU_ASSIGN_OR_RETURN(scrm::Scrm * s, ScrmOf(c));
              SIYU_ASSIGN_OR_RETURN(auto owner, QueryId(c.req, "owner_staff_id"));
              if (!owner) {
                  SIYU_ASSIGN_OR_RETURN(auto own, OwnStaff(c, *s));
                  // A user linked to no staff member owns no customers.
                  if (!own) return JsonResponse(200, {{"data", Json::array()}, {"next_cursor", nullptr}, {"staff", nullptr}});
                  owner = own->id;
              }
              return OwnedCustomers(c, *owner);
          });
    t.Api({.method = "GET",
           .pattern = "/api/v1/wecom/departments",
           .summary = "WeCom departments with their staff counts",
           .tag = "WeCom",
           .permission = "wecom.read"},
          [](Ctx& c) -> Result<http::Response> {
              SIYU_ASSIGN_OR_RETURN(scrm::Scrm * s, ScrmOf(c));
              SIYU_ASSIGN_OR_RETURN(auto departments, s->staff().Departments(c.tenant()));
              Json data = Json::array();
              for (const auto& d : departments) {
                  data.push_back({{"id", d.id},
                                  {"name", d.name},
                                  {"parent_id", Opt(d.parent_id)},
                                  {"sort_order", d.sort_order},
                                  {"staff_count", d.staff_count}});
              }
              return JsonResponse(200, {{"data", data}});
          });

    // Customer owners
    t.Api({.method = "GET",
           .pattern = "/api/v1/customers/{id}/owners",
           .summary = "The customer's WeCom relationships with staff, active first",
           .tag = "WeCom",
           .permission = "wecom.read"},
          [](Ctx& c) -> Result<http::Response> {
              SIYU_ASSIGN_OR_RETURN(scrm::Scrm * s, ScrmOf(c));
              SIYU_ASSIGN_OR_RETURN(int64_t id, PathId(c.req));
              Status visible = CheckVisible(c, id);
              if (!visible.ok()) {
                  // A guide sees the customers they own, whatever store the profile names.
                  if (visible.code() != StatusCode::kNotFound) return visible;
                  SIYU_ASSIGN_OR_RETURN(auto own, OwnStaff(c, *s));
                  if (!own) return visible;
                  SIYU_RETURN_IF_ERROR(c.svc.customers.Get(c.tenant(), id, cdp::Visibility{}).status());
                  SIYU_ASSIGN_OR_RETURN(bool owns, s->owners().Owns(c.tenant(), own->id, id));
                  if (!owns) return visible;
              }
              SIYU_ASSIGN_OR_RETURN(auto owners, s->owners().OwnersOf(c.tenant(), id));
              Json data = Json::array();
              for (const auto& o : owners) data.push_back(OwnerJson(o));
              return JsonResponse(200, {{"data", data}});
          });

    // Loss alerts
    t.Api({.method = "GET",
           .pattern = "/api/v1/wecom/alerts",
           .summary = "Loss alerts (a customer deleted a staff member, or the reverse), newest first",
           .tag = "WeCom",
           .permission = "wecom.read",
           .query_params = {"staff_id", "unread", "limit", "cursor"}},
          [](Ctx& c) -> Result<http::Response> {
              SIYU_ASSIGN_OR_RETURN(scrm::Scrm * s, ScrmOf(c));
              SIYU_ASSIGN_OR_RETURN(auto page, ParsePage(c.req));
              scrm::AlertFilter f;
              f.limit = page.limit;
              f.before_id = page.cursor;
              SIYU_ASSIGN_OR_RETURN(f.staff_id, QueryId(c.req, "staff_id"));
              SIYU_ASSIGN_OR_RETURN(f.unread, QueryBool(c.req, "unread"));
              SIYU_ASSIGN_OR_RETURN(f.staff_ids, AlertScope(c, *s));
              SIYU_ASSIGN_OR_RETURN(auto alerts, s->contacts().Alerts(c.tenant(), f));
              Json out = Page(alerts, page.limit, AlertJson);
              SIYU_ASSIGN_OR_RETURN(out["unread_count"], s->contacts().UnreadCount(c.tenant(), f.staff_ids));
              return JsonResponse(200, out);
          });
    t.Api({.method = "POST",
           .pattern = "/api/v1/wecom/alerts/read",
           .summary = "Mark loss alerts read: {\"ids\": [..]}",
           .tag = "WeCom",
           .permission = "wecom.read"},
          [](Ctx& c) -> Result<http::Response> {
              SIYU_ASSIGN_OR_RETURN(scrm::Scrm * s, ScrmOf(c));
              SIYU_ASSIGN_OR_RETURN(Json body, ParseObject(c.req.body));
              SIYU_RETURN_IF_ERROR(RejectUnknown(body, {"ids"}));
              SIYU_ASSIGN_OR_RETURN(auto ids, AlertIds(body));
              SIYU_ASSIGN_OR_RETURN(auto scope, AlertScope(c, *s));
              SIYU_ASSIGN_OR_RETURN(int64_t changed, s->contacts().MarkRead(c.tenant(), ids, scope));
              return JsonResponse(200, {{"marked", changed}});
          });

    // Channel live codes
    t.Api({.method = "GET",
           .pattern = "/api/v1/wecom/live-codes",
           .summary = "Channel live codes, newest first",
           .tag = "WeCom",
           .permission = "wecom.read",
           .query_params = {"limit", "cursor", "channel", "status"}},
          [](Ctx& c) -> Result<http::Response> {
              SIYU_ASSIGN_OR_RETURN(scrm::Scrm * s, ScrmOf(c));
              SIYU_ASSIGN_OR_RETURN(auto page, ParsePage(c.req));
              scrm::LiveCodeFilter f;
              f.limit = page.limit;
              f.before_id = page.cursor;
              if (auto ch = c.req.Query("channel"); ch && !ch->empty()) f.channel = *ch;
              if (auto st = c.req.Query("status"); st && !st->empty()) {
                  if (*st != "active" && *st != "disabled") {
                      return Status::InvalidArgument("status", "must be active or disabled");
                  }
                  f.status = *st;
              }
              SIYU_ASSIGN_OR_RETURN(auto codes, s->live_codes().List(c.tenant(), f));
              std::string base = BaseUrl(c.svc, c.req);
              return JsonResponse(200, Page(codes, page.limit, [&](const scrm::LiveCode& l) {
                                       return LiveCodeJson(l, base);
                                   }));
          });
    t.Api({.method = "POST",
           .pattern = "/api/v1/wecom/live-codes",
           .summary = "Create a live code: a WeCom contact way per staff member; waits up to 3 s for the QR codes",
           .tag = "WeCom",
           .permission = "wecom.manage"},
          CreateLiveCode);
    t.Api({.method = "GET",
           .pattern = "/api/v1/wecom/live-codes/{id}",
           .summary = "One live code with its staff pool and QR codes",
           .tag = "WeCom",
           .permission = "wecom.read"},
          [](Ctx& c) -> Result<http::Response> {
              SIYU_ASSIGN_OR_RETURN(scrm::Scrm * s, ScrmOf(c));
              SIYU_ASSIGN_OR_RETURN(int64_t id, PathId(c.req));
              SIYU_ASSIGN_OR_RETURN(auto code, s->live_codes().Get(c.tenant(), id));
              return JsonResponse(200, LiveCodeJson(code, BaseUrl(c.svc, c.req)));
          });
    t.Api({.method = "PATCH",
           .pattern = "/api/v1/wecom/live-codes/{id}",
           .summary = "Change a live code; pool changes add and remove WeCom contact ways",
           .tag = "WeCom",
           .permission = "wecom.manage"},
          [](Ctx& c) -> Result<http::Response> {
              SIYU_ASSIGN_OR_RETURN(scrm::Scrm * s, ScrmOf(c));
              SIYU_ASSIGN_OR_RETURN(int64_t id, PathId(c.req));
              SIYU_ASSIGN_OR_RETURN(Json body, ParseObject(c.req.body));
              SIYU_ASSIGN_OR_RETURN(auto in, scrm::ParseLiveCodeInput(body, false));
              SIYU_ASSIGN_OR_RETURN(auto code, s->live_codes().Update(c.tenant(), id, in, c.actor));
              SIYU_ASSIGN_OR_RETURN(code, s->live_codes().WaitForSync(c.tenant(), id, kCreateWait));
              return JsonResponse(200, LiveCodeJson(code, BaseUrl(c.svc, c.req)));
          });
    t.Api({.method = "DELETE",
           .pattern = "/api/v1/wecom/live-codes/{id}",
           .summary = "Delete a live code; its WeCom contact ways are removed",
           .tag = "WeCom",
           .permission = "wecom.manage"},
          [](Ctx& c) -> Result<http::Response> {
              SIYU_ASSIGN_OR_RETURN(scrm::Scrm * s, ScrmOf(c));
              SIYU_ASSIGN_OR_RETURN(int64_t id, PathId(c.req));
              SIYU_RETURN_IF_ERROR(s->live_codes().Delete(c.tenant(), id, c.actor));
              return http::Response::NoContent();
          });
    t.Public({.method = "GET",
              .pattern = "/c/{key}",
              .summary = "Live code landing: picks a staff member and redirects to their QR code (?format=json)",
              .tag = "WeCom",
              .query_params = {"lat", "lng", "format"}},
             Landing);

    // Corp tags and statistics
    t.Api({.method = "POST",
           .pattern = "/api/v1/wecom/tags/sync",
           .summary = "Pull WeCom corp tags and reconcile tag groups and tags; queue siyu tags for WeCom",
           .tag = "WeCom",
           .permission = "wecom.manage"},
          [](Ctx& c) -> Result<http::Response> {
              SIYU_ASSIGN_OR_RETURN(scrm::Scrm * s, ScrmOf(c));
              SIYU_ASSIGN_OR_RETURN(auto r, s->corp_tags().Sync(c.tenant(), c.actor));
              return JsonResponse(200, {{"groups_created", r.groups_created},
                                        {"groups_linked", r.groups_linked},
                                        {"groups_updated", r.groups_updated},
                                        {"groups_deleted", r.groups_deleted},
                                        {"tags_created", r.tags_created},
                                        {"tags_linked", r.tags_linked},
                                        {"tags_updated", r.tags_updated},
                                        {"tags_deleted", r.tags_deleted},
                                        {"pushed", r.pushed}});
          });
    t.Api({.method = "GET",
           .pattern = "/api/v1/wecom/stats/live-codes",
           .summary = "Scans, adds, losses and net adds per live code and channel per day (tenant time zone)",
           .tag = "WeCom",
           .permission = "wecom.read",
           .query_params = {"from", "to", "live_code_id", "channel"}},
          Stats);
}

}  // namespace siyu::api
