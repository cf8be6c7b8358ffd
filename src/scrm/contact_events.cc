#include "scrm/contact_events.h"

#include <spdlog/spdlog.h>

#include "base/strings.h"
#include "cdp/merge_set.h"
#include "scrm/live_codes.h"
#include "scrm/ownership.h"
#include "scrm/staff.h"

namespace siyu::scrm {

using channels::wecom::InboxEvent;
using store::Connection;

namespace {

// The callback's CreateTime (seconds) in ms; the time it was received when absent.
TimeMs CallbackTime(const InboxEvent& e) {
    int64_t seconds = 0;
    if (ParseInt64(Trim(e.Field("CreateTime")), &seconds) && seconds > 0) return seconds * 1000;
    return e.received_at;
}

std::string MessageId(const InboxEvent& e, const char* what) {
    return "wecom-inbox-" + std::to_string(e.id) + "-" + what;
}

// "lc<id>" → the live code id.
std::optional<int64_t> LiveCodeOfState(const std::string& state) {
    if (!StartsWith(state, "lc")) return std::nullopt;
    int64_t id = 0;
    if (!ParseInt64(std::string_view(state).substr(2), &id) || id <= 0) return std::nullopt;
    return id;
}

// What an add needs of the live code named by the state (deleted or disabled codes still
// attribute and tag: the customer scanned it while it was live).
struct CodeInfo {
    int64_t id = 0;
    std::string name;
    std::string channel;
    std::vector<int64_t> tag_ids;
    Json welcome = Json::object();
    std::optional<int64_t> coupon_template_id;
};

Result<std::optional<CodeInfo>> LoadCodeInfo(Connection& c, int64_t tenant_id, int64_t id) {
    SIYU_ASSIGN_OR_RETURN(auto s, c.Prepare("SELECT name, channel, tag_ids, welcome, coupon_template_id FROM "
                                            "live_codes WHERE tenant_id = ? AND id = ?"));
    s.Bind(1, tenant_id).Bind(2, id);
    SIYU_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) return std::optional<CodeInfo>();
    CodeInfo info;
    info.id = id;
    info.name = s.Text(0);
    info.channel = s.Text(1);
    Json tags = Json::parse(s.Text(2), nullptr, false);
    if (tags.is_array()) {
        for (const auto& t : tags) {
            if (t.is_number_integer()) info.tag_ids.push_back(t.get<int64_t>());
        }
    }
    info.welcome = Json::parse(s.Text(3), nullptr, false);
    if (!info.welcome.is_object()) info.welcome = Json::object();
    info.coupon_template_id = s.OptInt(4);
    return std::optional<CodeInfo>(std::move(info));
}

std::string GenderTrait(const Json& contact) {
    int64_t g = contact.value("gender", int64_t{0});
    if (g == 1) return "male";
    if (g == 2) return "female";
    return "unknown";
}

// The identify message for a contact's profile as WeCom gives it.
cdp::TrackingMessage Identify(const InboxEvent& e, const std::string& external_userid, const std::string& unionid,
                              const Json& contact, TimeMs at) {
    cdp::TrackingMessage m;
    m.type = "identify";
    m.message_id = MessageId(e, "identify");
    m.timestamp = at;
    m.properties = "{}";
    m.context = Json{{"library", {{"name", "siyu-wecom"}}}}.dump();
    m.identifiers.push_back(cdp::Identifier{"wecom_external_userid", external_userid, 0});
    if (!unionid.empty()) m.identifiers.push_back(cdp::Identifier{"wechat_unionid", unionid, 0});
    auto trait = [&](const char* key, const Json& value) { m.traits.emplace_back(key, value.dump()); };
    if (contact.contains("name") && contact["name"].is_string() && !contact["name"].get<std::string>().empty()) {
        trait("name", contact["name"]);
    }
    if (contact.contains("avatar") && contact["avatar"].is_string()) trait("avatar", contact["avatar"]);
    if (contact.contains("gender")) trait("gender", GenderTrait(contact));
    if (contact.contains("corp_name") && contact["corp_name"].is_string()) trait("corp_name", contact["corp_name"]);
    return m;
}

cdp::TrackingMessage Track(const InboxEvent& e, const char* suffix, const std::string& name,
                           const std::string& external_userid, const std::string& unionid, const Json& properties,
                           TimeMs at) {
    cdp::TrackingMessage m;
    m.type = "track";
    m.message_id = MessageId(e, suffix);
    m.name = name;
    m.timestamp = at;
    m.properties = properties.dump();
    m.context = Json{{"library", {{"name", "siyu-wecom"}}}}.dump();
    m.identifiers.push_back(cdp::Identifier{"wecom_external_userid", external_userid, 0});
    if (!unionid.empty()) m.identifiers.push_back(cdp::Identifier{"wechat_unionid", unionid, 0});
    return m;
}

struct Contact {
    Json external = Json::object();  // external_contact
    Json follow = Json::object();    // the follow_user entry of the staff member
};

// externalcontact/get. An errcode (the contact is already gone, say) leaves the profile empty:
// the relationship is still recorded from the callback. Transport failures are retried.
Result<Contact> FetchContact(const WecomGateway& wecom, int64_t tenant_id, const std::string& external_userid,
                             const std::string& userid) {
    Contact out;
    if (!wecom.call) return out;
    auto got = wecom.call(tenant_id, channels::wecom::App::kContact, "/cgi-bin/externalcontact/get", nullptr,
                          {{"external_userid", external_userid}});
    if (!got.ok()) {
        if (got.status().code() == StatusCode::kUnavailable) return got.status();
        spdlog::warn("tenant={} externalcontact/get {}: {}", tenant_id, external_userid, got.status().message());
        return out;
    }
    if (got->contains("external_contact") && (*got)["external_contact"].is_object()) out.external = (*got)["external_contact"];
    if (got->contains("follow_user") && (*got)["follow_user"].is_array()) {
        for (const auto& f : (*got)["follow_user"]) {
            if (f.is_object() && f.value("userid", std::string()) == userid) out.follow = f;
        }
    }
    return out;
}

Status InsertLog(Connection& c, int64_t tenant_id, int64_t inbox_id, const std::string& kind,
                 std::optional<int64_t> staff_id, std::optional<int64_t> customer_id, const std::string& external_userid,
                 std::optional<int64_t> live_code_id, TimeMs at, const Json& detail) {
    SIYU_ASSIGN_OR_RETURN(auto s, c.Prepare("INSERT INTO scrm_contact_log(tenant_id, inbox_id, kind, staff_id, "
                                            "customer_id, external_userid, live_code_id, at, detail) "
                                            "VALUES (?,?,?,?,?,?,?,?,?)"));
    return s.Bind(1, tenant_id)
        .Bind(2, inbox_id)
        .Bind(3, kind)
        .Bind(4, staff_id)
        .Bind(5, customer_id)
        .Bind(6, external_userid)
        .Bind(7, live_code_id)
        .Bind(8, at)
        .Bind(9, detail.dump())
        .Run();
}

Result<bool> LoggedIn(Connection& c, int64_t tenant_id, int64_t inbox_id) {
    SIYU_ASSIGN_OR_RETURN(auto s, c.Prepare("SELECT 1 FROM scrm_contact_log WHERE tenant_id = ? AND inbox_id = ?"));
    s.Bind(1, tenant_id).Bind(2, inbox_id);
    return s.Step();
}

Result<std::optional<int64_t>> CustomerOf(store::Database* db, int64_t tenant_id, const std::string& external_userid) {
    std::optional<int64_t> customer;
    SIYU_RETURN_IF_ERROR(db->Read([&](Connection& c) -> Status {
        SIYU_ASSIGN_OR_RETURN(customer, cdp::IdentifierSurvivor(c, tenant_id, "wecom_external_userid", external_userid));
        return Status::Ok();
    }));
    return customer;
}

// The live, explicit tags among `ids` with their WeCom ids.
Result<std::vector<std::pair<int64_t, std::optional<std::string>>>> ApplicableTags(Connection& c, int64_t tenant_id,
                                                                                    const std::vector<int64_t>& ids) {
    std::vector<std::pair<int64_t, std::optional<std::string>>> out;
    if (ids.empty()) return out;
    SIYU_ASSIGN_OR_RETURN(auto s, c.Prepare("SELECT id, wecom_tag_id FROM tags WHERE tenant_id = ? AND id IN "
                                            "(SELECT value FROM json_each(?)) AND deleted_at IS NULL AND rule IS NULL "
                                            "ORDER BY id"));
    s.Bind(1, tenant_id).Bind(2, Json(ids).dump());
    SIYU_RETURN_IF_ERROR(s.ForEachRow([&] { out.emplace_back(s.Int(0), s.OptText(1)); }));
    return out;
}

Json WecomApiPayload(const char* path, const Json& body) {
    return {{"app", "contact"}, {"path", path}, {"body", body}};
}

const auth::Actor& WecomActor() {
    static const auth::Actor kActor{"system", std::nullopt, "wecom", ""};
    return kActor;
}

}  // namespace

Result<bool> ContactEvents::Logged(int64_t tenant_id, int64_t inbox_id) {
    bool logged = false;
    SIYU_RETURN_IF_ERROR(db_->Read([&](Connection& c) -> Status {
        SIYU_ASSIGN_OR_RETURN(logged, LoggedIn(c, tenant_id, inbox_id));
        return Status::Ok();
    }));
    return logged;
}

Status ContactEvents::OnAdd(const InboxEvent& e) {
    const int64_t tenant = e.tenant_id;
    const std::string& userid = e.Field("UserID");
    const std::string& external_userid = e.Field("ExternalUserID");
    const std::string& state = e.Field("State");
    const std::string& welcome_code = e.Field("WelcomeCode");
    if (external_userid.empty()) return Status::InvalidArgument("ExternalUserID", "the callback names no contact");
    if (userid.empty()) return Status::InvalidArgument("UserID", "the callback names no staff member");
    SIYU_ASSIGN_OR_RETURN(bool done, Logged(tenant, e.id));
    if (done) return Status::Ok();
    const TimeMs at = CallbackTime(e);

    SIYU_ASSIGN_OR_RETURN(Contact contact, FetchContact(*wecom_, tenant, external_userid, userid));
    std::string unionid = contact.external.value("unionid", std::string());
    std::string name = contact.external.value("name", std::string());
    std::optional<int64_t> add_way;
    if (contact.follow.contains("add_way") && contact.follow["add_way"].is_number_integer()) {
        add_way = contact.follow["add_way"].get<int64_t>();
    }
    std::optional<std::string> remark;
    if (contact.follow.contains("remark") && contact.follow["remark"].is_string() &&
        !contact.follow["remark"].get<std::string>().empty()) {
        remark = contact.follow["remark"].get<std::string>();
    }

    std::optional<CodeInfo> code;
    if (auto id = LiveCodeOfState(state)) {
        SIYU_RETURN_IF_ERROR(db_->Read([&](Connection& c) -> Status {
            SIYU_ASSIGN_OR_RETURN(code, LoadCodeInfo(c, tenant, *id));
            return Status::Ok();
        }));
    }

    // Identity and the event: deduplicated by message id when the handler runs again.
    Json props = {{"staff_userid", userid},
                  {"state", state},
                  {"live_code_id", code ? Json(code->id) : Json(nullptr)},
                  {"channel", code ? Json(code->channel) : Json(nullptr)},
                  {"add_way", add_way ? Json(*add_way) : Json(nullptr)},
                  {"half", e.change_type == "add_half_external_contact"}};
    std::vector<cdp::TrackingMessage> messages = {
        Identify(e, external_userid, unionid, contact.external, at),
        Track(e, "added", "WeCom Contact Added", external_userid, unionid, props, at)};
    SIYU_RETURN_IF_ERROR(ingestor_->Ingest(tenant, messages).status());
    SIYU_ASSIGN_OR_RETURN(auto customer, CustomerOf(db_, tenant, external_userid));
    if (!customer) return Status::Internal("the contact " + external_userid + " has no customer after the ingest");

    // The live code's coupon, once per callback.
    std::optional<std::string> coupon_code;
    if (code && code->coupon_template_id && coupons_) {
        auto issued = coupons_(tenant, *code->coupon_template_id, *customer, MessageId(e, "coupon"), code->id);
        if (issued.ok()) {
            coupon_code = issued.value();
        } else if (issued.status().code() == StatusCode::kFailedPrecondition ||
                   issued.status().code() == StatusCode::kNotFound ||
                   issued.status().code() == StatusCode::kInvalidArgument) {
            spdlog::info("tenant={} live code {}: no coupon for customer {}: {}", tenant, code->id, *customer,
                         issued.status().message());
        } else {
            return issued.status();
        }
    }

    std::vector<cdp::CustomerTagChange> changes;
    bool enqueued = false;
    SIYU_RETURN_IF_ERROR(db_->Write([&](Connection& c) -> Status {
        changes.clear();
        enqueued = false;
        SIYU_ASSIGN_OR_RETURN(bool logged, LoggedIn(c, tenant, e.id));
        if (logged) return Status::Ok();
        SIYU_ASSIGN_OR_RETURN(int64_t staff_id, StaffDirectory::EnsureIn(c, tenant, userid, wecom_->now()));
        OwnerRecord owner;
        owner.customer_id = *customer;
        owner.staff_id = staff_id;
        owner.external_userid = external_userid;
        owner.added_at = at;
        owner.add_way = add_way;
        if (!state.empty()) owner.state = state;
        if (code) owner.live_code_id = code->id;
        owner.remark = remark;
        SIYU_RETURN_IF_ERROR(Ownership::UpsertIn(c, tenant, owner).status());
        Json detail = Json::object();
        if (code) {
            SIYU_ASSIGN_OR_RETURN(auto tags, ApplicableTags(c, tenant, code->tag_ids));
            std::vector<int64_t> ids;
            Json wecom_ids = Json::array();
            for (const auto& [id, wecom_id] : tags) {
                ids.push_back(id);
                if (wecom_id) wecom_ids.push_back(*wecom_id);
            }
            if (!ids.empty() && tags_) {
                cdp::Tagging by{cdp::TagSource::kApi, WecomActor(), std::nullopt};
                SIYU_RETURN_IF_ERROR(tags_->ApplyIn(c, tenant, {*customer}, ids, cdp::TagAction::kAdd, by,
                                                    cdp::Visibility{}, true, &changes)
                                         .status());
            }
            detail["tag_ids"] = ids;
            if (!wecom_ids.empty() && wecom_->enqueue) {
                Json body = {{"userid", userid}, {"external_userid", external_userid}, {"add_tag", wecom_ids}};
                channels::EnqueueOptions opt;
                opt.dedupe_key = MessageId(e, "mark_tag");
                SIYU_RETURN_IF_ERROR(wecom_->enqueue(c, tenant, kWecomApiKind,
                                                     WecomApiPayload("/cgi-bin/externalcontact/mark_tag", body), opt)
                                         .status());
                enqueued = true;
            }
            if (!welcome_code.empty() && wecom_->enqueue) {
                if (auto body = WelcomeMessageBody(code->welcome, welcome_code, coupon_code, name)) {
                    channels::EnqueueOptions opt;
                    opt.deadline_at = at + kWelcomeWindowMs;
                    opt.max_attempts = 3;
                    opt.dedupe_key = MessageId(e, "welcome");
                    SIYU_ASSIGN_OR_RETURN(
                        int64_t msg, wecom_->enqueue(c, tenant, kWecomApiKind,
                                                     WecomApiPayload("/cgi-bin/externalcontact/send_welcome_msg", *body),
                                                     opt));
                    detail["welcome_outbox_id"] = msg;
                    enqueued = true;
                }
            }
            if (coupon_code) detail["coupon_code"] = *coupon_code;
        }
        return InsertLog(c, tenant, e.id, "add", staff_id, *customer, external_userid,
                         code ? std::optional<int64_t>(code->id) : std::nullopt, at, detail);
    }));
    if (tags_ && !changes.empty()) tags_->Publish(changes);
    if (enqueued) wecom_->Wake();
    return Status::Ok();
}

Status ContactEvents::OnEdit(const InboxEvent& e) {
    const int64_t tenant = e.tenant_id;
    const std::string& userid = e.Field("UserID");
    const std::string& external_userid = e.Field("ExternalUserID");
    if (external_userid.empty()) return Status::InvalidArgument("ExternalUserID", "the callback names no contact");
    SIYU_ASSIGN_OR_RETURN(bool done, Logged(tenant, e.id));
    if (done) return Status::Ok();
    const TimeMs at = CallbackTime(e);
    SIYU_ASSIGN_OR_RETURN(Contact contact, FetchContact(*wecom_, tenant, external_userid, userid));
    std::string unionid = contact.external.value("unionid", std::string());
    std::optional<std::string> remark;
    if (contact.follow.contains("remark") && contact.follow["remark"].is_string()) {
        remark = contact.follow["remark"].get<std::string>();
    }
    Json props = {{"staff_userid", userid}, {"remark", remark ? Json(*remark) : Json(nullptr)}};
    std::vector<cdp::TrackingMessage> messages = {
        Identify(e, external_userid, unionid, contact.external, at),
        Track(e, "edited", "WeCom Contact Edited", external_userid, unionid, props, at)};
    SIYU_RETURN_IF_ERROR(ingestor_->Ingest(tenant, messages).status());
    SIYU_ASSIGN_OR_RETURN(auto customer, CustomerOf(db_, tenant, external_userid));
    return db_->Write([&](Connection& c) -> Status {
        SIYU_ASSIGN_OR_RETURN(bool logged, LoggedIn(c, tenant, e.id));
        if (logged) return Status::Ok();
        SIYU_ASSIGN_OR_RETURN(auto staff_id, StaffDirectory::FindIn(c, tenant, userid));
        if (staff_id && remark) {
            SIYU_ASSIGN_OR_RETURN(auto u, c.Prepare("UPDATE customer_owners SET remark = ? WHERE tenant_id = ? AND "
                                                    "staff_id = ? AND external_userid = ?"));
            SIYU_RETURN_IF_ERROR(u.Bind(1, *remark).Bind(2, tenant).Bind(3, *staff_id).Bind(4, external_userid).Run());
        }
        return InsertLog(c, tenant, e.id, "edit", staff_id, customer, external_userid, std::nullopt, at, Json::object());
    });
}

Status ContactEvents::OnDelete(const InboxEvent& e) {
    const int64_t tenant = e.tenant_id;
    const std::string& userid = e.Field("UserID");
    const std::string& external_userid = e.Field("ExternalUserID");
    if (external_userid.empty()) return Status::InvalidArgument("ExternalUserID", "the callback names no contact");
    if (userid.empty()) return Status::InvalidArgument("UserID", "the callback names no staff member");
    SIYU_ASSIGN_OR_RETURN(bool done, Logged(tenant, e.id));
    if (done) return Status::Ok();
    const TimeMs at = CallbackTime(e);
    const bool by_staff = e.change_type == "del_external_contact";
    const std::string reason = by_staff ? "deleted_by_staff" : "deleted_by_customer";

    // The relationship as it is before this callback (callbacks of a tenant run in order).
    std::optional<int64_t> live_code_id;
    bool active = false;
    SIYU_RETURN_IF_ERROR(db_->Read([&](Connection& c) -> Status {
        SIYU_ASSIGN_OR_RETURN(auto s, c.Prepare("SELECT o.live_code_id FROM customer_owners o JOIN staff s ON s.id = "
                                                "o.staff_id WHERE o.tenant_id = ? AND s.userid = ? AND "
                                                "o.external_userid = ? AND o.status = 'active'"));
        s.Bind(1, tenant).Bind(2, userid).Bind(3, external_userid);
        SIYU_ASSIGN_OR_RETURN(active, s.Step());
        if (active) live_code_id = s.OptInt(0);
        return Status::Ok();
    }));
    SIYU_ASSIGN_OR_RETURN(auto customer, CustomerOf(db_, tenant, external_userid));
    if (active && customer) {
        Json props = {{"by", by_staff ? "staff" : "customer"},
                      {"staff_userid", userid},
                      {"live_code_id", live_code_id ? Json(*live_code_id) : Json(nullptr)}};
        std::vector<cdp::TrackingMessage> messages = {
            Track(e, "lost", "WeCom Contact Lost", external_userid, "", props, at)};
        SIYU_RETURN_IF_ERROR(ingestor_->Ingest(tenant, messages).status());
    }
    return db_->Write([&](Connection& c) -> Status {
        SIYU_ASSIGN_OR_RETURN(bool logged, LoggedIn(c, tenant, e.id));
        if (logged) return Status::Ok();
        SIYU_ASSIGN_OR_RETURN(int64_t staff_id, StaffDirectory::EnsureIn(c, tenant, userid, wecom_->now()));
        SIYU_ASSIGN_OR_RETURN(auto ended, Ownership::EndIn(c, tenant, staff_id, external_userid, reason, at));
        if (!ended) {
            return InsertLog(c, tenant, e.id, "ignored", staff_id, customer, external_userid, std::nullopt, at,
                             Json{{"note", "no active relationship"}, {"reason", reason}});
        }
        SIYU_ASSIGN_OR_RETURN(auto alert, c.Prepare("INSERT OR IGNORE INTO wecom_loss_alerts(tenant_id, staff_id, "
                                                    "customer_id, external_userid, reason, inbox_id, created_at) "
                                                    "VALUES (?,?,?,?,?,?,?)"));
        SIYU_RETURN_IF_ERROR(alert.Bind(1, tenant)
                                 .Bind(2, staff_id)
                                 .Bind(3, customer ? customer : std::optional<int64_t>(ended->customer_id))
                                 .Bind(4, external_userid)
                                 .Bind(5, reason)
                                 .Bind(6, e.id)
                                 .Bind(7, at)
                                 .Run());
        return InsertLog(c, tenant, e.id, "loss", staff_id, customer, external_userid, ended->live_code_id, at,
                         Json{{"reason", reason}});
    });
}

Result<std::vector<LossAlert>> ContactEvents::Alerts(int64_t tenant_id, const AlertFilter& f) {
    std::string sql =
        "SELECT a.id, a.staff_id, s.userid, s.name, a.customer_id, c.name, a.external_userid, a.reason, a.created_at, "
        "a.read_at FROM wecom_loss_alerts a JOIN staff s ON s.id = a.staff_id LEFT JOIN customers c ON c.id = "
        "a.customer_id WHERE a.tenant_id = ?1 AND a.id < ?2";
    if (f.staff_id) sql += " AND a.staff_id = ?3";
    if (f.unread) sql += *f.unread ? " AND a.read_at IS NULL" : " AND a.read_at IS NOT NULL";
    if (f.staff_ids) sql += " AND a.staff_id IN (SELECT value FROM json_each(?4))";
    sql += " ORDER BY a.id DESC LIMIT ?5";
    std::vector<LossAlert> out;
    SIYU_RETURN_IF_ERROR(db_->Read([&](Connection& c) -> Status {
        SIYU_ASSIGN_OR_RETURN(auto s, c.Prepare(sql));
        s.Bind(1, tenant_id).Bind(2, f.before_id.value_or(INT64_MAX)).Bind(5, int64_t{f.limit});
        if (f.staff_id) s.Bind(3, *f.staff_id);
        if (f.staff_ids) s.Bind(4, Json(*f.staff_ids).dump());
        SIYU_RETURN_IF_ERROR(s.ForEachRow([&] {
            out.push_back(LossAlert{s.Int(0), s.Int(1), s.Text(2), s.Text(3), s.OptInt(4), s.OptText(5), s.Text(6),
                                    s.Text(7), s.Int(8), s.OptInt(9)});
        }));
        for (auto& a : out) {
            if (a.customer_id) {
                SIYU_ASSIGN_OR_RETURN(int64_t survivor, cdp::SurvivorOf(c, *a.customer_id));
                a.customer_id = survivor;
            }
        }
        return Status::Ok();
    }));
    return out;
}

Result<int64_t> ContactEvents::MarkRead(int64_t tenant_id, const std::vector<int64_t>& ids,
                                        const std::optional<std::vector<int64_t>>& staff_ids) {
    int64_t changed = 0;
    TimeMs now = wecom_->now();
    SIYU_RETURN_IF_ERROR(db_->Write([&](Connection& c) -> Status {
        changed = 0;
        std::string sql = "UPDATE wecom_loss_alerts SET read_at = ?1 WHERE tenant_id = ?2 AND read_at IS NULL AND id IN "
                          "(SELECT value FROM json_each(?3))";
        if (staff_ids) sql += " AND staff_id IN (SELECT value FROM json_each(?4))";
        SIYU_ASSIGN_OR_RETURN(auto u, c.Prepare(sql));
        u.Bind(1, now).Bind(2, tenant_id).Bind(3, Json(ids).dump());
        if (staff_ids) u.Bind(4, Json(*staff_ids).dump());
        SIYU_RETURN_IF_ERROR(u.Run());
        changed = c.Changes();
        return Status::Ok();
    }));
    return changed;
}

Result<int64_t> ContactEvents::UnreadCount(int64_t tenant_id, const std::optional<std::vector<int64_t>>& staff_ids) {
    int64_t count = 0;
    SIYU_RETURN_IF_ERROR(db_->Read([&](Connection& c) -> Status {
        std::string sql = "SELECT count(*) FROM wecom_loss_alerts WHERE tenant_id = ?1 AND read_at IS NULL";
        if (staff_ids) sql += " AND staff_id IN (SELECT value FROM json_each(?2))";
        SIYU_ASSIGN_OR_RETURN(auto s, c.Prepare(sql));
        s.Bind(1, tenant_id);
        if (staff_ids) s.Bind(2, Json(*staff_ids).dump());
        SIYU_ASSIGN_OR_RETURN(bool row, s.Step());
        if (row) count = s.Int(0);
        return Status::Ok();
    }));
    return count;
}

}  // namespace siyu::scrm
