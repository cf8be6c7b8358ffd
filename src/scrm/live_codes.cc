#include "scrm/live_codes.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <set>

#include "base/crypto.h"
#include "base/strings.h"
#include "scrm/ownership.h"

namespace siyu::scrm {

using channels::Delivery;
using store::Connection;

// --- Pure parts ----------------------------------------------------------------------------

std::string LiveCode::SyncStatus() const {
    bool pending = false;
    for (const auto& m : staff) {
        if (m.sync_status == "failed") return "failed";
        if (m.sync_status == "pending") pending = true;
    }
    return pending ? "pending" : "ready";
}

double DistanceMetres(GeoPoint a, GeoPoint b) {
    constexpr double kEarthRadius = 6'371'000.0;
    constexpr double kRad = M_PI / 180.0;
    double dlat = (b.latitude - a.latitude) * kRad;
    double dlng = (b.longitude - a.longitude) * kRad;
    double h = std::sin(dlat / 2) * std::sin(dlat / 2) +
               std::cos(a.latitude * kRad) * std::cos(b.latitude * kRad) * std::sin(dlng / 2) * std::sin(dlng / 2);
    return 2 * kEarthRadius * std::asin(std::min(1.0, std::sqrt(h)));
}

std::optional<size_t> ChooseStaff(const std::string& mode, std::optional<int64_t> daily_cap,
                                  const std::vector<Candidate>& candidates, int64_t rr_next,
                                  std::optional<GeoPoint> where) {
    if (candidates.empty()) return std::nullopt;
    std::vector<size_t> eligible;
    for (size_t i = 0; i < candidates.size(); ++i) {
        if (!daily_cap || candidates[i].adds_today < *daily_cap) eligible.push_back(i);
    }
    auto least_loaded = [&](const std::vector<size_t>& from) {
        return *std::min_element(from.begin(), from.end(), [&](size_t a, size_t b) {
            const auto &x = candidates[a], &y = candidates[b];
            return std::tie(x.adds_today, x.position) < std::tie(y.adds_today, y.position);
        });
    };
    if (eligible.empty()) {
        std::vector<size_t> all(candidates.size());
        for (size_t i = 0; i < all.size(); ++i) all[i] = i;
        return least_loaded(all);
    }
    if (mode == "round_robin") {
        std::optional<size_t> first, after;
        for (size_t i : eligible) {
            if (!first || candidates[i].position < candidates[*first].position) first = i;
            if (candidates[i].position >= rr_next && (!after || candidates[i].position < candidates[*after].position)) {
                after = i;
            }
        }
        return after ? after : first;
    }
    if (mode == "nearest_store" && where) {
        auto distance = [&](size_t i) {
            const auto& c = candidates[i];
            if (!c.latitude || !c.longitude) return std::numeric_limits<double>::infinity();
            return DistanceMetres(*where, GeoPoint{*c.latitude, *c.longitude});
        };
        return *std::min_element(eligible.begin(), eligible.end(), [&](size_t a, size_t b) {
            double da = distance(a), db = distance(b);
            if (da != db) return da < db;
            return std::tie(candidates[a].adds_today, candidates[a].position) <
                   std::tie(candidates[b].adds_today, candidates[b].position);
        });
    }
    return least_loaded(eligible);
}

namespace {

constexpr size_t kMaxTextBytes = 4000;  // WeCom's limit for a welcome text
constexpr size_t kMaxAttachments = 9;

Status CheckString(const Json& o, const char* field, const std::string& at, bool required, size_t max_bytes) {
    auto it = o.find(field);
    if (it == o.end() || it->is_null()) {
        if (required) return Status::InvalidArgument(at + "." + field, "is required");
        return Status::Ok();
    }
    if (!it->is_string()) return Status::InvalidArgument(at + "." + field, "must be a string");
    const auto& s = it->get_ref<const std::string&>();
    if (required && Trim(s).empty()) return Status::InvalidArgument(at + "." + field, "must not be empty");
    if (s.size() > max_bytes) {
        return Status::InvalidArgument(at + "." + field, "must be at most " + std::to_string(max_bytes) + " bytes");
    }
    return Status::Ok();
}

Status CheckKeys(const Json& o, const std::string& at, std::initializer_list<std::string_view> known) {
    for (const auto& [k, v] : o.items()) {
        if (std::find(known.begin(), known.end(), k) == known.end()) {
            return Status(StatusCode::kUnknownField, at + "." + k + ": unknown field", at + "." + k);
        }
    }
    return Status::Ok();
}

bool IsHttpUrl(const std::string& s) { return StartsWith(s, "https://") || StartsWith(s, "http://"); }

Status CheckWelcome(const Json& w) {
    if (!w.is_object()) return Status::InvalidArgument("welcome", "must be an object {text, attachments}");
    SIYU_RETURN_IF_ERROR(CheckKeys(w, "welcome", {"text", "attachments"}));
    SIYU_RETURN_IF_ERROR(CheckString(w, "text", "welcome", false, kMaxTextBytes));
    auto it = w.find("attachments");
    if (it == w.end() || it->is_null()) return Status::Ok();
    if (!it->is_array()) return Status::InvalidArgument("welcome.attachments", "must be an array");
    if (it->size() > kMaxAttachments) return Status::InvalidArgument("welcome.attachments", "at most 9 attachments");
    for (size_t i = 0; i < it->size(); ++i) {
        const Json& a = (*it)[i];
        std::string at = "welcome.attachments[" + std::to_string(i) + "]";
        if (!a.is_object()) return Status::InvalidArgument(at, "must be an object");
        SIYU_RETURN_IF_ERROR(CheckString(a, "type", at, true, 16));
        std::string type = a["type"].get<std::string>();
        if (type == "link") {
            SIYU_RETURN_IF_ERROR(CheckKeys(a, at, {"type", "title", "url", "desc", "picurl"}));
            SIYU_RETURN_IF_ERROR(CheckString(a, "title", at, true, 128));
            SIYU_RETURN_IF_ERROR(CheckString(a, "url", at, true, 2048));
            SIYU_RETURN_IF_ERROR(CheckString(a, "desc", at, false, 512));
            SIYU_RETURN_IF_ERROR(CheckString(a, "picurl", at, false, 2048));
            if (!IsHttpUrl(a["url"].get<std::string>())) return Status::InvalidArgument(at + ".url", "must be an http(s) URL");
        } else if (type == "image") {
            SIYU_RETURN_IF_ERROR(CheckKeys(a, at, {"type", "media_id", "pic_url"}));
            SIYU_RETURN_IF_ERROR(CheckString(a, "media_id", at, false, 256));
            SIYU_RETURN_IF_ERROR(CheckString(a, "pic_url", at, false, 2048));
            bool media = a.contains("media_id") && a["media_id"].is_string();
            bool pic = a.contains("pic_url") && a["pic_url"].is_string();
            if (media == pic) return Status::InvalidArgument(at + ".media_id", "send exactly one of media_id and pic_url");
        } else if (type == "miniprogram") {
            SIYU_RETURN_IF_ERROR(CheckKeys(a, at, {"type", "title", "appid", "page", "pic_media_id"}));
            SIYU_RETURN_IF_ERROR(CheckString(a, "title", at, true, 64));
            SIYU_RETURN_IF_ERROR(CheckString(a, "appid", at, true, 64));
            SIYU_RETURN_IF_ERROR(CheckString(a, "page", at, true, 1024));
            SIYU_RETURN_IF_ERROR(CheckString(a, "pic_media_id", at, true, 256));
        } else {
            return Status::InvalidArgument(at + ".type", "must be link, image or miniprogram");
        }
    }
    return Status::Ok();
}

Result<std::optional<std::optional<int64_t>>> NullablePositive(const Json& o, const char* field) {
    using R = std::optional<std::optional<int64_t>>;
    auto it = o.find(field);
    if (it == o.end()) return R();
    if (it->is_null()) return R(std::optional<int64_t>());
    if (!it->is_number_integer() || it->get<int64_t>() <= 0) {
        return Status::InvalidArgument(field, "must be a positive integer or null");
    }
    return R(std::optional<int64_t>(it->get<int64_t>()));
}

Result<std::optional<std::optional<TimeMs>>> NullableTime(const Json& o, const char* field) {
    using R = std::optional<std::optional<TimeMs>>;
    auto it = o.find(field);
    if (it == o.end()) return R();
    if (it->is_null()) return R(std::optional<TimeMs>());
    if (!it->is_string()) return Status::InvalidArgument(field, "must be an RFC 3339 time or null");
    auto t = ParseRfc3339(it->get<std::string>());
    if (!t) return Status::InvalidArgument(field, "must be an RFC 3339 time such as 2026-01-31T16:00:00Z");
    return R(std::optional<TimeMs>(*t));
}

Result<std::optional<std::vector<int64_t>>> Ids(const Json& o, const char* field, size_t max) {
    auto it = o.find(field);
    if (it == o.end()) return std::optional<std::vector<int64_t>>();
    if (!it->is_array()) return Status::InvalidArgument(field, "must be an array of ids");
    if (it->size() > max) return Status::InvalidArgument(field, "at most " + std::to_string(max) + " ids");
    std::vector<int64_t> ids;
    for (size_t i = 0; i < it->size(); ++i) {
        const Json& v = (*it)[i];
        std::string at = std::string(field) + "[" + std::to_string(i) + "]";
        if (!v.is_number_integer() || v.get<int64_t>() <= 0) return Status::InvalidArgument(at, "must be a positive id");
        if (std::find(ids.begin(), ids.end(), v.get<int64_t>()) != ids.end()) {
            return Status::InvalidArgument(at, "appears twice");
        }
        ids.push_back(v.get<int64_t>());
    }
    return std::optional<std::vector<int64_t>>(std::move(ids));
}

}  // namespace

Result<LiveCodeInput> ParseLiveCodeInput(const Json& body, bool creating) {
    static const std::set<std::string> kKnown = {"name",        "channel",    "staff_ids", "assign_mode",
                                                 "daily_cap",   "tag_ids",    "welcome",   "coupon_template_id",
                                                 "skip_verify", "valid_from", "valid_to",  "status"};
    if (!body.is_object()) return Status(StatusCode::kInvalidJson, "the body must be a JSON object");
    for (const auto& [k, v] : body.items()) {
        if (!kKnown.count(k)) return Status(StatusCode::kUnknownField, k + ": unknown field", k);
    }
    LiveCodeInput in;
    if (auto it = body.find("name"); it != body.end()) {
        if (!it->is_string()) return Status::InvalidArgument("name", "must be a string");
        std::string name(Trim(it->get<std::string>()));
        int64_t len = Utf8Length(name);
        if (len < 1 || len > 64) return Status::InvalidArgument("name", "must be 1 to 64 characters");
        in.name = name;
    } else if (creating) {
        return Status::InvalidArgument("name", "is required");
    }
    if (auto it = body.find("channel"); it != body.end()) {
        static const std::set<std::string> kChannels = {"poster", "store", "package", "ad", "event"};
        if (!it->is_string() || !kChannels.count(it->get<std::string>())) {
            return Status::InvalidArgument("channel", "must be poster, store, package, ad or event");
        }
        in.channel = it->get<std::string>();
    } else if (creating) {
        return Status::InvalidArgument("channel", "is required");
    }
    SIYU_ASSIGN_OR_RETURN(in.staff_ids, Ids(body, "staff_ids", LiveCodes::kMaxPool));
    if (in.staff_ids && in.staff_ids->empty()) return Status::InvalidArgument("staff_ids", "name at least one staff member");
    if (creating && !in.staff_ids) return Status::InvalidArgument("staff_ids", "is required");
    if (auto it = body.find("assign_mode"); it != body.end()) {
        static const std::set<std::string> kModes = {"round_robin", "least_loaded", "nearest_store"};
        if (!it->is_string() || !kModes.count(it->get<std::string>())) {
            return Status::InvalidArgument("assign_mode", "must be round_robin, least_loaded or nearest_store");
        }
        in.assign_mode = it->get<std::string>();
    }
    SIYU_ASSIGN_OR_RETURN(in.daily_cap, NullablePositive(body, "daily_cap"));
    SIYU_ASSIGN_OR_RETURN(in.tag_ids, Ids(body, "tag_ids", 100));
    if (auto it = body.find("welcome"); it != body.end()) {
        Json w = it->is_null() ? Json::object() : *it;
        SIYU_RETURN_IF_ERROR(CheckWelcome(w));
        in.welcome = w;
    }
    SIYU_ASSIGN_OR_RETURN(in.coupon_template_id, NullablePositive(body, "coupon_template_id"));
    if (auto it = body.find("skip_verify"); it != body.end()) {
        if (!it->is_boolean()) return Status::InvalidArgument("skip_verify", "must be true or false");
        in.skip_verify = it->get<bool>();
    }
    SIYU_ASSIGN_OR_RETURN(in.valid_from, NullableTime(body, "valid_from"));
    SIYU_ASSIGN_OR_RETURN(in.valid_to, NullableTime(body, "valid_to"));
    if (in.valid_from && in.valid_to && *in.valid_from && *in.valid_to && **in.valid_to <= **in.valid_from) {
        return Status::InvalidArgument("valid_to", "must be after valid_from");
    }
    if (auto it = body.find("status"); it != body.end()) {
        if (!it->is_string() || (it->get<std::string>() != "active" && it->get<std::string>() != "disabled")) {
            return Status::InvalidArgument("status", "must be active or disabled");
        }
        in.status = it->get<std::string>();
    }
    return in;
}

std::optional<Json> WelcomeMessageBody(const Json& welcome, const std::string& welcome_code,
                                       const std::optional<std::string>& coupon_code, const std::string& name) {
    std::string text = welcome.is_object() ? welcome.value("text", std::string()) : std::string();
    auto replace_all = [&](const std::string& from, const std::string& to) {
        for (size_t pos = text.find(from); pos != std::string::npos; pos = text.find(from, pos + to.size())) {
            text.replace(pos, from.size(), to);
        }
    };
    bool mentions_coupon = text.find("{coupon_code}") != std::string::npos;
    replace_all("{coupon_code}", coupon_code.value_or(""));
    replace_all("{name}", name);
    if (coupon_code && !mentions_coupon) {
        if (!text.empty()) text += "\n";
        text += "优惠券码：" + *coupon_code;
    }
    Json attachments = Json::array();
    if (welcome.is_object() && welcome.contains("attachments") && welcome["attachments"].is_array()) {
        for (const auto& a : welcome["attachments"]) {
            std::string type = a.value("type", std::string());
            Json item = a;
            item.erase("type");
            attachments.push_back({{"msgtype", type}, {type, item}});
        }
    }
    if (Trim(text).empty() && attachments.empty()) return std::nullopt;
    Json body = {{"welcome_code", welcome_code}};
    if (!Trim(text).empty()) body["text"] = {{"content", text}};
    if (!attachments.empty()) body["attachments"] = attachments;
    return body;
}

Result<std::string> TimeZoneOfTenant(Connection& c, int64_t tenant_id) {
    SIYU_ASSIGN_OR_RETURN(auto s, c.Prepare("SELECT time_zone FROM tenants WHERE tenant_id = ?"));
    s.Bind(1, tenant_id);
    SIYU_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) return Status::NotFound("no tenant " + std::to_string(tenant_id));
    return s.Text(0);
}

std::pair<TimeMs, TimeMs> LocalDayBounds(TimeMs at, const std::string& time_zone) {
    std::string day = LocalDate(at, time_zone);
    auto start = StartOfLocalDay(day, time_zone);
    TimeMs from = start.ok() ? start.value() : at - at % 86'400'000;
    // A local day lasts 23 to 25 hours: the day after `from + 26 h` starts the next one.
    auto next = StartOfLocalDay(LocalDate(from + 26 * 3'600'000, time_zone), time_zone);
    TimeMs to = next.ok() ? next.value() : from + 86'400'000;
    return {from, to};
}

// --- Storage -------------------------------------------------------------------------------

namespace {

constexpr char kCodeColumns[] =
    "SELECT id, tenant_id, key, name, channel, assign_mode, daily_cap, tag_ids, welcome, coupon_template_id, "
    "skip_verify, valid_from, valid_to, status, created_at, updated_at, deleted_at, rr_next FROM live_codes ";

std::vector<int64_t> IdsOf(const std::string& text) {
    std::vector<int64_t> ids;
    Json j = Json::parse(text, nullptr, false);
    if (j.is_array()) {
        for (const auto& v : j) {
            if (v.is_number_integer()) ids.push_back(v.get<int64_t>());
        }
    }
    return ids;
}

LiveCode ReadCode(store::Statement& s) {
    LiveCode l;
    l.id = s.Int(0);
    l.tenant_id = s.Int(1);
    l.key = s.Text(2);
    l.name = s.Text(3);
    l.channel = s.Text(4);
    l.assign_mode = s.Text(5);
    l.daily_cap = s.OptInt(6);
    l.tag_ids = IdsOf(s.Text(7));
    l.welcome = Json::parse(s.Text(8), nullptr, false);
    if (!l.welcome.is_object()) l.welcome = Json::object();
    l.coupon_template_id = s.OptInt(9);
    l.skip_verify = s.Int(10) != 0;
    l.valid_from = s.OptInt(11);
    l.valid_to = s.OptInt(12);
    l.status = s.Text(13);
    l.created_at = s.Int(14);
    l.updated_at = s.Int(15);
    l.deleted = !s.IsNull(16);
    return l;
}

Status LoadPool(Connection& c, LiveCode* l) {
    SIYU_ASSIGN_OR_RETURN(auto s, c.Prepare("SELECT p.staff_id, s.userid, s.name, s.status, p.position, p.config_id, "
                                            "p.qr_code, p.sync_status, p.sync_error, p.outbox_id FROM live_code_staff p "
                                            "JOIN staff s ON s.id = p.staff_id WHERE p.live_code_id = ? "
                                            "ORDER BY p.position"));
    s.Bind(1, l->id);
    l->staff.clear();
    return s.ForEachRow([&] {
        LiveCodeMember m;
        m.staff_id = s.Int(0);
        m.userid = s.Text(1);
        m.name = s.Text(2);
        m.staff_status = s.Text(3);
        m.position = s.Int(4);
        m.config_id = s.OptText(5);
        m.qr_code = s.OptText(6);
        m.sync_status = s.Text(7);
        m.sync_error = s.OptText(8);
        m.outbox_id = s.OptInt(9);
        l->staff.push_back(std::move(m));
    });
}

// Staff of the pool must exist in the tenant and not have left.
Status CheckPool(Connection& c, int64_t tenant_id, const std::vector<int64_t>& staff_ids) {
    for (size_t i = 0; i < staff_ids.size(); ++i) {
        SIYU_ASSIGN_OR_RETURN(auto s, c.Prepare("SELECT status FROM staff WHERE tenant_id = ? AND id = ?"));
        s.Bind(1, tenant_id).Bind(2, staff_ids[i]);
        SIYU_ASSIGN_OR_RETURN(bool row, s.Step());
        std::string at = "staff_ids[" + std::to_string(i) + "]";
        if (!row) return Status::InvalidArgument(at, "no staff member " + std::to_string(staff_ids[i]));
        if (s.Text(0) == "resigned") return Status::InvalidArgument(at, "staff member has resigned");
    }
    return Status::Ok();
}

Status CheckTags(Connection& c, int64_t tenant_id, const std::vector<int64_t>& tag_ids) {
    for (size_t i = 0; i < tag_ids.size(); ++i) {
        SIYU_ASSIGN_OR_RETURN(auto s, c.Prepare("SELECT rule IS NOT NULL FROM tags WHERE tenant_id = ? AND id = ? AND "
                                                "deleted_at IS NULL"));
        s.Bind(1, tenant_id).Bind(2, tag_ids[i]);
        SIYU_ASSIGN_OR_RETURN(bool row, s.Step());
        std::string at = "tag_ids[" + std::to_string(i) + "]";
        if (!row) return Status::InvalidArgument(at, "no tag " + std::to_string(tag_ids[i]));
        if (s.Int(0) != 0) return Status::InvalidArgument(at, "a rule tag cannot be applied");
    }
    return Status::Ok();
}

Status CheckCouponTemplate(Connection& c, int64_t tenant_id, int64_t id) {
    SIYU_ASSIGN_OR_RETURN(auto s, c.Prepare("SELECT status FROM coupon_templates WHERE tenant_id = ? AND id = ?"));
    s.Bind(1, tenant_id).Bind(2, id);
    SIYU_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) return Status::InvalidArgument("coupon_template_id", "no coupon template " + std::to_string(id));
    if (s.Text(0) == "archived") return Status::InvalidArgument("coupon_template_id", "the coupon template is archived");
    return Status::Ok();
}

// Queues a reconciliation of one pool member's contact way and records the message on the row.
Status EnqueueSync(Connection& c, const WecomGateway& wecom, int64_t tenant_id, int64_t live_code_id,
                   int64_t staff_id, TimeMs now) {
    if (!wecom.enqueue) return Status::FailedPrecondition("the outbox is not available");
    Json payload = {{"op", "sync"}, {"live_code_id", live_code_id}, {"staff_id", staff_id}};
    SIYU_ASSIGN_OR_RETURN(int64_t msg, wecom.enqueue(c, tenant_id, kContactWayKind, payload, {}));
    SIYU_ASSIGN_OR_RETURN(auto u, c.Prepare("UPDATE live_code_staff SET sync_status = 'pending', sync_error = NULL, "
                                            "outbox_id = ?, updated_at = ? WHERE live_code_id = ? AND staff_id = ?"));
    return u.Bind(1, msg).Bind(2, now).Bind(3, live_code_id).Bind(4, staff_id).Run();
}

// Retires a contact way: removed through the outbox.
Status EnqueueRemoval(Connection& c, const WecomGateway& wecom, int64_t tenant_id, int64_t live_code_id,
                      int64_t staff_id, const std::string& config_id) {
    if (!wecom.enqueue) return Status::FailedPrecondition("the outbox is not available");
    SIYU_ASSIGN_OR_RETURN(auto ins, c.Prepare("INSERT INTO live_code_retired_ways(tenant_id, live_code_id, staff_id, "
                                              "config_id) VALUES (?, ?, ?, ?)"));
    SIYU_RETURN_IF_ERROR(ins.Bind(1, tenant_id).Bind(2, live_code_id).Bind(3, staff_id).Bind(4, config_id).Run());
    Json payload = {{"op", "del"}, {"retired_id", c.LastInsertId()}};
    return wecom.enqueue(c, tenant_id, kContactWayKind, payload, {}).status();
}

Status InsertMember(Connection& c, int64_t tenant_id, int64_t live_code_id, int64_t staff_id, int64_t position,
                    TimeMs now) {
    SIYU_ASSIGN_OR_RETURN(auto ins, c.Prepare("INSERT INTO live_code_staff(tenant_id, live_code_id, staff_id, position, "
                                              "updated_at) VALUES (?, ?, ?, ?, ?)"));
    return ins.Bind(1, tenant_id).Bind(2, live_code_id).Bind(3, staff_id).Bind(4, position).Bind(5, now).Run();
}

Json AuditDetails(const LiveCodeInput& in) {
    Json d = Json::object();
    if (in.name) d["name"] = *in.name;
    if (in.channel) d["channel"] = *in.channel;
    if (in.staff_ids) d["staff_ids"] = *in.staff_ids;
    if (in.assign_mode) d["assign_mode"] = *in.assign_mode;
    if (in.status) d["status"] = *in.status;
    return d;
}

}  // namespace

Result<LiveCode> LiveCodes::LoadIn(Connection& c, int64_t tenant_id, int64_t id, bool include_deleted) {
    SIYU_ASSIGN_OR_RETURN(auto s, c.Prepare(std::string(kCodeColumns) + "WHERE tenant_id = ? AND id = ?"));
    s.Bind(1, tenant_id).Bind(2, id);
    SIYU_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) return Status::NotFound("no live code " + std::to_string(id));
    LiveCode l = ReadCode(s);
    s.Reset();
    if (l.deleted && !include_deleted) return Status::NotFound("no live code " + std::to_string(id));
    SIYU_RETURN_IF_ERROR(LoadPool(c, &l));
    return l;
}

Result<LiveCode> LiveCodes::Create(int64_t tenant_id, const LiveCodeInput& in, const auth::Actor& actor) {
    if (!in.name || !in.channel || !in.staff_ids) return Status::InvalidArgument("name", "name, channel and staff_ids are required");
    LiveCode out;
    TimeMs now = wecom_->now();
    SIYU_RETURN_IF_ERROR(db_->Write([&](Connection& c) -> Status {
        SIYU_RETURN_IF_ERROR(CheckPool(c, tenant_id, *in.staff_ids));
        if (in.tag_ids) SIYU_RETURN_IF_ERROR(CheckTags(c, tenant_id, *in.tag_ids));
        std::optional<int64_t> coupon = in.coupon_template_id.value_or(std::nullopt);
        if (coupon) SIYU_RETURN_IF_ERROR(CheckCouponTemplate(c, tenant_id, *coupon));
        SIYU_ASSIGN_OR_RETURN(auto ins, c.Prepare("INSERT INTO live_codes(tenant_id, key, name, channel, assign_mode, "
                                                  "daily_cap, tag_ids, welcome, coupon_template_id, skip_verify, "
                                                  "valid_from, valid_to, status, created_at, updated_at) "
                                                  "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"));
        SIYU_RETURN_IF_ERROR(ins.Bind(1, tenant_id)
                                 .Bind(2, RandomToken(12))
                                 .Bind(3, *in.name)
                                 .Bind(4, *in.channel)
                                 .Bind(5, in.assign_mode.value_or("round_robin"))
                                 .Bind(6, in.daily_cap.value_or(std::nullopt))
                                 .Bind(7, Json(in.tag_ids.value_or(std::vector<int64_t>{})).dump())
                                 .Bind(8, in.welcome.value_or(Json::object()).dump())
                                 .Bind(9, coupon)
                                 .Bind(10, int64_t{in.skip_verify.value_or(true)})
                                 .Bind(11, in.valid_from.value_or(std::nullopt))
                                 .Bind(12, in.valid_to.value_or(std::nullopt))
                                 .Bind(13, in.status.value_or("active"))
                                 .Bind(14, now)
                                 .Bind(15, now)
                                 .Run());
        int64_t id = c.LastInsertId();
        for (size_t i = 0; i < in.staff_ids->size(); ++i) {
            SIYU_RETURN_IF_ERROR(InsertMember(c, tenant_id, id, (*in.staff_ids)[i], static_cast<int64_t>(i), now));
            SIYU_RETURN_IF_ERROR(EnqueueSync(c, *wecom_, tenant_id, id, (*in.staff_ids)[i], now));
        }
        SIYU_RETURN_IF_ERROR(auth::AppendAudit(c, tenant_id, actor, "wecom.live_code.create", "live_code",
                                               std::to_string(id), AuditDetails(in).dump()));
        SIYU_ASSIGN_OR_RETURN(out, LoadIn(c, tenant_id, id, false));
        return Status::Ok();
    }));
    wecom_->Wake();
    return out;
}

Result<LiveCode> LiveCodes::Update(int64_t tenant_id, int64_t id, const LiveCodeInput& in, const auth::Actor& actor) {
    LiveCode out;
    TimeMs now = wecom_->now();
    SIYU_RETURN_IF_ERROR(db_->Write([&](Connection& c) -> Status {
        SIYU_ASSIGN_OR_RETURN(LiveCode before, LoadIn(c, tenant_id, id, false));
        std::optional<TimeMs> from = in.valid_from ? *in.valid_from : before.valid_from;
        std::optional<TimeMs> to = in.valid_to ? *in.valid_to : before.valid_to;
        if (from && to && *to <= *from) return Status::InvalidArgument("valid_to", "must be after valid_from");
        if (in.staff_ids) SIYU_RETURN_IF_ERROR(CheckPool(c, tenant_id, *in.staff_ids));
        if (in.tag_ids) SIYU_RETURN_IF_ERROR(CheckTags(c, tenant_id, *in.tag_ids));
        if (in.coupon_template_id && *in.coupon_template_id) {
            SIYU_RETURN_IF_ERROR(CheckCouponTemplate(c, tenant_id, **in.coupon_template_id));
        }
        SIYU_ASSIGN_OR_RETURN(auto u, c.Prepare("UPDATE live_codes SET name = ?, channel = ?, assign_mode = ?, "
                                                "daily_cap = ?, tag_ids = ?, welcome = ?, coupon_template_id = ?, "
                                                "skip_verify = ?, valid_from = ?, valid_to = ?, status = ?, "
                                                "updated_at = ? WHERE id = ?"));
        bool skip_verify = in.skip_verify.value_or(before.skip_verify);
        SIYU_RETURN_IF_ERROR(u.Bind(1, in.name.value_or(before.name))
                                 .Bind(2, in.channel.value_or(before.channel))
                                 .Bind(3, in.assign_mode.value_or(before.assign_mode))
                                 .Bind(4, in.daily_cap ? *in.daily_cap : before.daily_cap)
                                 .Bind(5, Json(in.tag_ids.value_or(before.tag_ids)).dump())
                                 .Bind(6, in.welcome.value_or(before.welcome).dump())
                                 .Bind(7, in.coupon_template_id ? *in.coupon_template_id : before.coupon_template_id)
                                 .Bind(8, int64_t{skip_verify})
                                 .Bind(9, from)
                                 .Bind(10, to)
                                 .Bind(11, in.status.value_or(before.status))
                                 .Bind(12, now)
                                 .Bind(13, id)
                                 .Run());
        std::set<int64_t> kept;
        if (in.staff_ids) {
            std::set<int64_t> wanted(in.staff_ids->begin(), in.staff_ids->end());
            for (const auto& m : before.staff) {
                if (wanted.count(m.staff_id)) {
                    kept.insert(m.staff_id);
                    continue;
                }
                if (m.config_id) {
                    SIYU_RETURN_IF_ERROR(EnqueueRemoval(c, *wecom_, tenant_id, id, m.staff_id, *m.config_id));
                }
                SIYU_ASSIGN_OR_RETURN(auto del, c.Prepare("DELETE FROM live_code_staff WHERE live_code_id = ? AND "
                                                          "staff_id = ?"));
                SIYU_RETURN_IF_ERROR(del.Bind(1, id).Bind(2, m.staff_id).Run());
            }
            for (size_t i = 0; i < in.staff_ids->size(); ++i) {
                int64_t sid = (*in.staff_ids)[i];
                if (kept.count(sid)) {
                    SIYU_ASSIGN_OR_RETURN(auto pos, c.Prepare("UPDATE live_code_staff SET position = ? WHERE "
                                                              "live_code_id = ? AND staff_id = ?"));
                    SIYU_RETURN_IF_ERROR(pos.Bind(1, static_cast<int64_t>(i)).Bind(2, id).Bind(3, sid).Run());
                    continue;
                }
                SIYU_RETURN_IF_ERROR(InsertMember(c, tenant_id, id, sid, static_cast<int64_t>(i), now));
                SIYU_RETURN_IF_ERROR(EnqueueSync(c, *wecom_, tenant_id, id, sid, now));
            }
        } else {
            for (const auto& m : before.staff) kept.insert(m.staff_id);
        }
        if (skip_verify != before.skip_verify) {
            for (int64_t sid : kept) SIYU_RETURN_IF_ERROR(EnqueueSync(c, *wecom_, tenant_id, id, sid, now));
        }
        SIYU_RETURN_IF_ERROR(auth::AppendAudit(c, tenant_id, actor, "wecom.live_code.update", "live_code",
                                               std::to_string(id), AuditDetails(in).dump()));
        SIYU_ASSIGN_OR_RETURN(out, LoadIn(c, tenant_id, id, false));
        return Status::Ok();
    }));
    wecom_->Wake();
    return out;
}

Status LiveCodes::Delete(int64_t tenant_id, int64_t id, const auth::Actor& actor) {
    TimeMs now = wecom_->now();
    SIYU_RETURN_IF_ERROR(db_->Write([&](Connection& c) -> Status {
        SIYU_ASSIGN_OR_RETURN(LiveCode before, LoadIn(c, tenant_id, id, false));
        for (const auto& m : before.staff) {
            if (m.config_id) SIYU_RETURN_IF_ERROR(EnqueueRemoval(c, *wecom_, tenant_id, id, m.staff_id, *m.config_id));
        }
        SIYU_ASSIGN_OR_RETURN(auto del, c.Prepare("DELETE FROM live_code_staff WHERE live_code_id = ?"));
        SIYU_RETURN_IF_ERROR(del.Bind(1, id).Run());
        SIYU_ASSIGN_OR_RETURN(auto u, c.Prepare("UPDATE live_codes SET deleted_at = ?, updated_at = ? WHERE id = ?"));
        SIYU_RETURN_IF_ERROR(u.Bind(1, now).Bind(2, now).Bind(3, id).Run());
        return auth::AppendAudit(c, tenant_id, actor, "wecom.live_code.delete", "live_code", std::to_string(id),
                                 Json{{"name", before.name}}.dump());
    }));
    wecom_->Wake();
    return Status::Ok();
}

Result<LiveCode> LiveCodes::Get(int64_t tenant_id, int64_t id) {
    LiveCode out;
    SIYU_RETURN_IF_ERROR(db_->Read([&](Connection& c) -> Status {
        SIYU_ASSIGN_OR_RETURN(out, LoadIn(c, tenant_id, id, false));
        return Status::Ok();
    }));
    return out;
}

Result<std::vector<LiveCode>> LiveCodes::List(int64_t tenant_id, const LiveCodeFilter& f) {
    std::vector<LiveCode> out;
    SIYU_RETURN_IF_ERROR(db_->Read([&](Connection& c) -> Status {
        std::string sql = std::string(kCodeColumns) + "WHERE tenant_id = ?1 AND deleted_at IS NULL AND id < ?2";
        if (f.channel) sql += " AND channel = ?3";
        if (f.status) sql += " AND status = ?4";
        sql += " ORDER BY id DESC LIMIT ?5";
        SIYU_ASSIGN_OR_RETURN(auto s, c.Prepare(sql));
        s.Bind(1, tenant_id).Bind(2, f.before_id.value_or(INT64_MAX)).Bind(5, int64_t{f.limit});
        if (f.channel) s.Bind(3, *f.channel);
        if (f.status) s.Bind(4, *f.status);
        SIYU_RETURN_IF_ERROR(s.ForEachRow([&] { out.push_back(ReadCode(s)); }));
        for (auto& l : out) SIYU_RETURN_IF_ERROR(LoadPool(c, &l));
        return Status::Ok();
    }));
    return out;
}

Result<LiveCode> LiveCodes::WaitForSync(int64_t tenant_id, int64_t id, std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    SIYU_ASSIGN_OR_RETURN(LiveCode code, Get(tenant_id, id));
    if (!wecom_->wait) return code;
    for (const auto& m : code.staff) {
        if (m.sync_status != "pending" || !m.outbox_id) continue;
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) break;
        (void)wecom_->wait(tenant_id, *m.outbox_id, left);
    }
    return Get(tenant_id, id);
}

Result<LandingPick> LiveCodes::Land(const std::string& key, std::optional<GeoPoint> where) {
    LandingPick pick;
    TimeMs now = wecom_->now();
    SIYU_RETURN_IF_ERROR(db_->Write([&](Connection& c) -> Status {
        SIYU_ASSIGN_OR_RETURN(auto s, c.Prepare(std::string(kCodeColumns) + "WHERE key = ?"));
        s.Bind(1, key);
        SIYU_ASSIGN_OR_RETURN(bool row, s.Step());
        if (!row) return Status::NotFound("no live code " + key);
        LiveCode code = ReadCode(s);
        int64_t rr_next = s.Int(17);
        s.Reset();
        if (code.deleted) return Status::NotFound("no live code " + key);
        if (code.status != "active") return Status::FailedPrecondition("this live code is disabled");
        if (code.valid_from && now < *code.valid_from) return Status::FailedPrecondition("this live code is not valid yet");
        if (code.valid_to && now >= *code.valid_to) return Status::FailedPrecondition("this live code has expired");
        SIYU_ASSIGN_OR_RETURN(std::string tz, TimeZoneOfTenant(c, code.tenant_id));
        auto [day_from, day_to] = LocalDayBounds(now, tz);
        SIYU_ASSIGN_OR_RETURN(auto p, c.Prepare("SELECT p.staff_id, p.position, p.qr_code, s.userid, st.latitude, "
                                                "st.longitude FROM live_code_staff p JOIN staff s ON s.id = p.staff_id "
                                                "LEFT JOIN stores st ON st.id = s.store_id WHERE p.live_code_id = ? "
                                                "AND p.qr_code IS NOT NULL AND s.status = 'active' ORDER BY p.position"));
        p.Bind(1, code.id);
        std::vector<Candidate> candidates;
        std::vector<std::pair<std::string, std::string>> qr_and_userid;
        SIYU_RETURN_IF_ERROR(p.ForEachRow([&] {
            candidates.push_back(Candidate{p.Int(0), p.Int(1), 0, p.OptDouble(4), p.OptDouble(5)});
            qr_and_userid.emplace_back(p.Text(2), p.Text(3));
        }));
        for (auto& cand : candidates) {
            SIYU_ASSIGN_OR_RETURN(cand.adds_today, Ownership::AddsIn(c, code.tenant_id, cand.staff_id, day_from, day_to));
        }
        auto chosen = ChooseStaff(code.assign_mode, code.daily_cap, candidates, rr_next, where);
        if (!chosen) return Status::FailedPrecondition("this live code has no QR code ready yet");
        const Candidate& cand = candidates[*chosen];
        if (code.assign_mode == "round_robin") {
            SIYU_ASSIGN_OR_RETURN(auto u, c.Prepare("UPDATE live_codes SET rr_next = ? WHERE id = ?"));
            SIYU_RETURN_IF_ERROR(u.Bind(1, cand.position + 1).Bind(2, code.id).Run());
        }
        SIYU_ASSIGN_OR_RETURN(auto ins, c.Prepare("INSERT INTO live_code_scans(tenant_id, live_code_id, staff_id, at, "
                                                  "latitude, longitude) VALUES (?, ?, ?, ?, ?, ?)"));
        std::optional<double> lat, lng;
        if (where) {
            lat = where->latitude;
            lng = where->longitude;
        }
        SIYU_RETURN_IF_ERROR(
            ins.Bind(1, code.tenant_id).Bind(2, code.id).Bind(3, cand.staff_id).Bind(4, now).Bind(5, lat).Bind(6, lng).Run());
        pick = LandingPick{code.tenant_id,           code.id, cand.staff_id, qr_and_userid[*chosen].second,
                           qr_and_userid[*chosen].first, c.LastInsertId()};
        return Status::Ok();
    }));
    return pick;
}

// --- Outbox delivery -------------------------------------------------------------------------

Delivery LiveCodes::Deliver(const channels::OutboxMessage& m) {
    std::string op = m.payload.value("op", std::string());
    if (op == "sync") {
        return Sync(m.tenant_id, m.payload.value("live_code_id", int64_t{0}), m.payload.value("staff_id", int64_t{0}));
    }
    if (op == "del") return Remove(m.tenant_id, m.payload.value("retired_id", int64_t{0}));
    return Delivery::Fail("unknown contact way operation '" + op + "'");
}

Delivery LiveCodes::Sync(int64_t tenant_id, int64_t live_code_id, int64_t staff_id) {
    // What the pool row wants now (a later change may already have replaced the enqueued one).
    std::optional<LiveCode> code;
    std::optional<LiveCodeMember> member;
    Status read = db_->Read([&](Connection& c) -> Status {
        auto l = LoadIn(c, tenant_id, live_code_id, true);
        if (!l.ok()) return l.status().code() == StatusCode::kNotFound ? Status::Ok() : l.status();
        code = std::move(l).value();
        for (const auto& s : code->staff) {
            if (s.staff_id == staff_id) member = s;
        }
        return Status::Ok();
    });
    if (!read.ok()) return Delivery::Retry(read.message());
    if (!code || code->deleted || !member) return Delivery::Done({{"skipped", "the pool member is gone"}});
    Json body = {{"skip_verify", code->skip_verify}, {"state", "lc" + std::to_string(live_code_id)},
                 {"user", Json::array({member->userid})}};
    std::string path;
    if (member->config_id) {
        path = "/cgi-bin/externalcontact/update_contact_way";
        body["config_id"] = *member->config_id;
    } else {
        path = "/cgi-bin/externalcontact/add_contact_way";
        body["type"] = 1;
        body["scene"] = 2;
        body["remark"] = code->name.substr(0, 30);
    }
    auto answer = wecom_->call(tenant_id, channels::wecom::App::kContact, path, &body, {});
    TimeMs now = wecom_->now();
    if (!answer.ok()) {
        Delivery d = DeliveryOf(answer.status());
        if (d.kind == Delivery::Kind::kFail) {
            (void)db_->Write([&](Connection& c) -> Status {
                SIYU_ASSIGN_OR_RETURN(auto u, c.Prepare("UPDATE live_code_staff SET sync_status = 'failed', "
                                                        "sync_error = ?, updated_at = ? WHERE live_code_id = ? AND "
                                                        "staff_id = ?"));
                return u.Bind(1, answer.status().message()).Bind(2, now).Bind(3, live_code_id).Bind(4, staff_id).Run();
            });
        }
        return d;
    }
    std::string config_id = member->config_id.value_or(answer->value("config_id", std::string()));
    std::optional<std::string> qr_code = member->qr_code;
    if (answer->contains("qr_code") && (*answer)["qr_code"].is_string()) qr_code = (*answer)["qr_code"].get<std::string>();
    if (config_id.empty()) return Delivery::Fail("add_contact_way answered without a config_id");
    Status st = db_->Write([&](Connection& c) -> Status {
        SIYU_ASSIGN_OR_RETURN(auto u, c.Prepare("UPDATE live_code_staff SET config_id = ?, qr_code = ?, "
                                                "sync_status = 'ready', sync_error = NULL, updated_at = ? "
                                                "WHERE live_code_id = ? AND staff_id = ?"));
        SIYU_RETURN_IF_ERROR(u.Bind(1, config_id).Bind(2, qr_code).Bind(3, now).Bind(4, live_code_id).Bind(5, staff_id).Run());
        if (c.Changes() == 0 && !member->config_id) {
            // Removed from the pool (or the code deleted) while WeCom created the way: remove it again.
            SIYU_RETURN_IF_ERROR(EnqueueRemoval(c, *wecom_, tenant_id, live_code_id, staff_id, config_id));
        }
        return Status::Ok();
    });
    if (!st.ok()) return Delivery::Retry(st.message());
    wecom_->Wake();
    return Delivery::Done({{"config_id", config_id}, {"qr_code", qr_code ? Json(*qr_code) : Json(nullptr)}});
}

Delivery LiveCodes::Remove(int64_t tenant_id, int64_t retired_id) {
    std::optional<std::string> config_id;
    Status read = db_->Read([&](Connection& c) -> Status {
        SIYU_ASSIGN_OR_RETURN(auto s, c.Prepare("SELECT config_id FROM live_code_retired_ways WHERE tenant_id = ? AND "
                                                "id = ? AND removed_at IS NULL"));
        s.Bind(1, tenant_id).Bind(2, retired_id);
        SIYU_ASSIGN_OR_RETURN(bool row, s.Step());
        if (row) config_id = s.Text(0);
        return Status::Ok();
    });
    if (!read.ok()) return Delivery::Retry(read.message());
    if (!config_id) return Delivery::Done({{"skipped", "already removed"}});
    Json body = {{"config_id", *config_id}};
    auto answer = wecom_->call(tenant_id, channels::wecom::App::kContact, "/cgi-bin/externalcontact/del_contact_way",
                               &body, {});
    if (!answer.ok()) return DeliveryOf(answer.status());
    TimeMs now = wecom_->now();
    Status st = db_->Write([&](Connection& c) -> Status {
        SIYU_ASSIGN_OR_RETURN(auto u, c.Prepare("UPDATE live_code_retired_ways SET removed_at = ? WHERE id = ?"));
        return u.Bind(1, now).Bind(2, retired_id).Run();
    });
    if (!st.ok()) return Delivery::Retry(st.message());
    return Delivery::Done({{"config_id", *config_id}});
}

}  // namespace siyu::scrm
