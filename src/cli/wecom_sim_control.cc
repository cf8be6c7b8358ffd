// The simulator's control API under /sim/: what tests and the demo use to make things happen in
// the simulated corp. Each action that WeCom reports by callback delivers that callback
// (encrypted and signed) to the callback URL and answers what siyu replied.

#include <algorithm>
#include <cctype>
#include <variant>

#include "base/strings.h"
#include "cli/wecom_sim_core.h"

namespace siyu::cli {
namespace {

using Lock = std::lock_guard<std::mutex>;
using Fields = std::vector<std::pair<std::string, std::string>>;

std::string UrlEncode(std::string_view s) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    std::string out;
    for (unsigned char ch : s) {
        if (std::isalnum(ch) || ch == '-' || ch == '_' || ch == '.' || ch == '~') {
            out.push_back(static_cast<char>(ch));
        } else {
            out += '%';
            out += kHex[ch >> 4];
            out += kHex[ch & 15];
        }
    }
    return out;
}

http::Response Answer(Json body, int status = 200) { return http::Response::Json(status, body.dump()); }

// The request's JSON object body ({} when empty), or a 400 answer.
std::optional<Json> Body(const http::Request& req, http::Response* error) {
    if (req.body.empty()) return Json::object();
    Json body = Json::parse(req.body, nullptr, false);
    if (body.is_discarded() || !body.is_object()) {
        *error = http::Response::Json(400, http::ErrorBody("invalid_json", "the body is not a JSON object", "", ""));
        return std::nullopt;
    }
    return body;
}

// A string field; `required` fields that are missing or not strings are a 400 naming them.
bool Field(const Json& body, const char* key, bool required, std::string* out, http::Response* error) {
    auto it = body.find(key);
    if (it == body.end() || it->is_null()) {
        if (required) *error = SimBadRequest(key, std::string(key) + " is required");
        return !required;
    }
    if (!it->is_string() || (required && it->get_ref<const std::string&>().empty())) {
        *error = SimBadRequest(key, std::string(key) + " must be a non-empty string");
        return false;
    }
    *out = it->get<std::string>();
    return true;
}

bool IntField(const Json& body, const char* key, int64_t lo, int64_t hi, int64_t* out, http::Response* error) {
    auto it = body.find(key);
    if (it == body.end() || it->is_null()) return true;
    if (!it->is_number_integer() || it->get<int64_t>() < lo || it->get<int64_t>() > hi) {
        *error = SimBadRequest(key, std::string(key) + " must be an integer from " + std::to_string(lo) + " to " +
                                        std::to_string(hi));
        return false;
    }
    *out = it->get<int64_t>();
    return true;
}

#define SIM_BODY(req)                      \
    http::Response error;                  \
    auto parsed = Body(req, &error);       \
    if (!parsed) return error;             \
    const Json& body = *parsed

#define SIM_STR(key, required, var) \
    std::string var;                \
    if (!Field(body, key, required, &var, &error)) return error

#define SIM_INT(key, lo, hi, var) \
    if (!IntField(body, key, lo, hi, &var, &error)) return error

Fields ContactFields(const std::string& userid, const std::string& ext) {
    return {{"UserID", userid}, {"ExternalUserID", ext}};
}

// Removes `userid` from the customer's follow_user. False when it was not there.
bool DropFollow(SimContact* c, const std::string& userid) {
    auto before = c->follow_user.size();
    std::erase_if(c->follow_user, [&](const SimFollow& f) { return f.userid == userid; });
    return c->follow_user.size() != before;
}

std::string MemChangeList(const std::vector<std::string>& ids) {
    std::string out;
    for (const auto& id : ids) out += "<Item>" + CData(id) + "</Item>";
    return out;
}

// Adds a customer for `userid` and answers with the add_external_contact callback's outcome.
http::Response AddContact(SimCore* core, const std::string& userid, const Json& who, const std::string& state,
                          int add_way, bool half, const std::string& config_id) {
    std::string xml;
    SimCore::AddResult added;
    {
        Lock lock(core->mu);
        SimStaff* s = core->FindStaff(userid);
        if (s == nullptr) return SimNotFound("no staff " + userid);
        if (s->status != 1) return SimConflict("staff " + userid + " is not active");
        added = core->AddFollow(userid, who, state, add_way);
        if (added.already_following) {
            return SimConflict("customer " + added.external_userid + " already follows " + userid);
        }
        Fields f = ContactFields(userid, added.external_userid);
        if (!state.empty()) f.emplace_back("State", state);
        f.emplace_back("WelcomeCode", added.welcome_code);
        xml = core->EventXml("change_external_contact", half ? "add_half_external_contact" : "add_external_contact", f);
    }
    auto outcome = core->Deliver("change_external_contact", half ? "add_half_external_contact" : "add_external_contact",
                                 xml);
    Json out{{"userid", userid},
             {"external_userid", added.external_userid},
             {"welcome_code", added.welcome_code},
             {"state", state}};
    if (!config_id.empty()) out["config_id"] = config_id;
    out["callback"] = outcome.ToJson();
    return Answer(std::move(out));
}

// Applies a finished transfer: status 1 moves the follow to the takeover; 3 and 4 tell siyu with
// transfer_fail. Caller holds mu; the callbacks to deliver are appended to `pending`.
void FinishTransfer(SimCore& c, SimTransfer& t, int status, std::vector<std::pair<std::string, std::string>>* pending) {
    t.status = status;
    t.takeover_time = c.NowSeconds();
    SimContact* contact = c.FindContact(t.external_userid);
    if (status == 1 && contact != nullptr) {
        SimFollow* from = contact->Follow(t.handover_userid);
        if (from != nullptr && contact->Follow(t.takeover_userid) == nullptr) {
            SimFollow moved = *from;
            moved.userid = t.takeover_userid;
            moved.createtime = c.NowSeconds();
            moved.add_way = 202;  // assigned by the admin
            moved.oper_userid = t.takeover_userid;
            contact->follow_user.push_back(std::move(moved));
        }
        DropFollow(contact, t.handover_userid);
        if (t.kind == "onjob") {
            Fields f = ContactFields(t.handover_userid, t.external_userid);
            f.emplace_back("Source", "DELETE_BY_TRANSFER");
            pending->emplace_back("del_external_contact",
                                  c.EventXml("change_external_contact", "del_external_contact", f));
        }
    } else if (status == 3 || status == 4) {
        Fields f{{"FailReason", status == 3 ? "customer_refused" : "customer_limit_exceed"},
                 {"UserID", t.takeover_userid},
                 {"ExternalUserID", t.external_userid}};
        pending->emplace_back("transfer_fail", c.EventXml("change_external_contact", "transfer_fail", f));
    }
}

// Calendar month (Beijing time) of a seconds timestamp, for the four-per-month mass message limit.
int64_t MonthOf(int64_t seconds) {
    int64_t days = (seconds + 8 * 3600) / 86400;
    // civil-from-days (Howard Hinnant), year * 12 + month
    days += 719468;
    int64_t era = (days >= 0 ? days : days - 146096) / 146097;
    int64_t doe = days - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    int64_t m = mp < 10 ? mp + 3 : mp - 9;
    int64_t y = yoe + era * 400 + (m <= 2 ? 1 : 0);
    return y * 12 + m;
}

}  // namespace

void AddControlRoutes(SimCore* core, http::Router* router) {
    SimCore& c = *core;
    auto add = [router](const char* method, const char* pattern, http::Handler h) {
        router->Add({.method = method, .pattern = pattern}, std::move(h));
    };

    add("POST", "/sim/config", [&c](http::Request& req) {
        SIM_BODY(req);
        SIM_STR("callback_url", false, callback_url);
        SIM_STR("token", false, token);
        SIM_STR("aes_key", false, aes_key);
        SIM_STR("corp_id", false, corp_id);
        int64_t ttl = 0, rate = 0;
        SIM_INT("token_ttl_seconds", 1, 86400, ttl);
        SIM_INT("rate_limit", 1, 100'000'000, rate);
        Lock lock(c.mu);
        WecomSimOptions o = c.options;
        if (body.contains("callback_url")) o.callback_url = callback_url;
        if (!token.empty()) o.token = token;
        if (!aes_key.empty()) o.aes_key = aes_key;
        if (!corp_id.empty()) o.corp_id = corp_id;
        auto made = channels::wecom::MsgCrypt::Create(o.token, o.aes_key, o.corp_id);
        if (!made.ok()) return SimBadRequest("aes_key", made.failure.message);
        if (ttl > 0) o.token_ttl_seconds = ttl;
        if (rate > 0) o.rate_limit = rate;
        c.options = std::move(o);
        c.crypt = std::move(made.value);
        c.crypt_error.clear();
        return Answer({{"corp_id", c.options.corp_id},
                       {"callback_url", c.options.callback_url},
                       {"token_ttl_seconds", c.options.token_ttl_seconds},
                       {"rate_limit", c.options.rate_limit}});
    });

    add("GET", "/sim/state", [&c](http::Request& req) {
        bool full = req.Query("full").value_or("1") != "0";
        Lock lock(c.mu);
        return Answer(c.StateJson(full));
    });

    add("POST", "/sim/reset", [&c](http::Request&) {
        c.Reset();
        c.clock_offset_ms = 0;
        return Answer({{"reset", true}});
    });

    add("POST", "/sim/clock", [&c](http::Request& req) {
        SIM_BODY(req);
        int64_t seconds = 0, ms = 0;
        SIM_INT("advance_seconds", 0, 400LL * 86400, seconds);
        SIM_INT("advance_ms", 0, 400LL * 86400 * 1000, ms);
        c.clock_offset_ms += seconds * 1000 + ms;
        return Answer({{"now_ms", c.NowMs()}, {"clock_offset_ms", c.clock_offset_ms.load()}});
    });

    add("POST", "/sim/tokens/expire", [&c](http::Request&) {
        Lock lock(c.mu);
        int64_t now = c.NowMs();
        for (auto& [token, t] : c.tokens) t.first = std::min(t.first, now);
        return Answer({{"expired", c.tokens.size()}});
    });

    add("POST", "/sim/departments", [&c](http::Request& req) {
        SIM_BODY(req);
        int64_t id = 0, parentid = 1, order = 0;
        SIM_INT("id", 1, 1LL << 32, id);
        SIM_INT("parentid", 0, 1LL << 32, parentid);
        SIM_INT("order", 0, 1LL << 32, order);
        SIM_STR("name", true, name);
        if (id == 0) return SimBadRequest("id", "id is required");
        Lock lock(c.mu);
        if (parentid != 0 && !c.departments.count(parentid)) return SimBadRequest("parentid", "no such department");
        c.departments[id] = SimDepartment{id, name, parentid, order};
        return Answer({{"id", id}, {"name", name}, {"parentid", parentid}, {"order", order}});
    });

    add("POST", "/sim/staff", [&c](http::Request& req) {
        SIM_BODY(req);
        SIM_STR("userid", true, userid);
        SIM_STR("name", false, name);
        SIM_STR("mobile", false, mobile);
        SIM_STR("position", false, position);
        SIM_STR("email", false, email);
        int64_t status = 1, gender = 0;
        SIM_INT("status", 1, 5, status);
        SIM_INT("gender", 0, 2, gender);
        std::vector<int64_t> deps{1};
        if (body.contains("department")) {
            const Json& d = body["department"];
            deps.clear();
            if (d.is_number_integer()) {
                deps.push_back(d.get<int64_t>());
            } else if (d.is_array() && !d.empty() && std::all_of(d.begin(), d.end(), [](const Json& v) {
                           return v.is_number_integer();
                       })) {
                for (const auto& v : d) deps.push_back(v.get<int64_t>());
            } else {
                return SimBadRequest("department", "department must be a department id or a list of them");
            }
        }
        Lock lock(c.mu);
        for (int64_t d : deps) {
            if (!c.departments.count(d)) return SimBadRequest("department", "no department " + std::to_string(d));
        }
        SimStaff& s = c.staff[userid];
        s.userid = userid;
        s.name = name.empty() ? (s.name.empty() ? userid : s.name) : name;
        if (!mobile.empty()) s.mobile = mobile;
        if (!position.empty()) s.position = position;
        if (!email.empty()) s.email = email;
        s.department = deps;
        s.status = static_cast<int>(status);
        s.gender = static_cast<int>(gender);
        return Answer({{"userid", s.userid}, {"name", s.name}, {"department", s.department},
                       {"mobile", s.mobile}, {"status", s.status}});
    });

    add("POST", "/sim/staff/{userid}/resign", [&c](http::Request& req) {
        Lock lock(c.mu);
        SimStaff* s = c.FindStaff(req.Param("userid"));
        if (s == nullptr) return SimNotFound("no staff " + req.Param("userid"));
        s->status = 5;
        return Answer({{"userid", s->userid}, {"status", s->status}});
    });

    add("POST", "/sim/scan", [core](http::Request& req) {
        SIM_BODY(req);
        SIM_STR("config_id", true, config_id);
        bool half = body.value("half", false);
        std::string userid, state;
        {
            Lock lock(core->mu);
            auto it = core->contact_ways.find(config_id);
            if (it == core->contact_ways.end()) return SimNotFound("no contact way " + config_id);
            const SimContactWay& w = it->second;
            std::vector<std::string> pool = w.user;
            for (int64_t party : w.party) {
                for (const auto& [id, s] : core->staff) {
                    if (std::count(s.department.begin(), s.department.end(), party) &&
                        !std::count(pool.begin(), pool.end(), id)) {
                        pool.push_back(id);
                    }
                }
            }
            if (pool.empty()) return SimConflict("contact way " + config_id + " has no staff");
            userid = w.type == 1 ? pool.front() : pool[core->rng() % pool.size()];
            state = w.state;
        }
        return AddContact(core, userid, body, state, 1, half, config_id);
    });

    add("POST", "/sim/add-contact", [core](http::Request& req) {
        SIM_BODY(req);
        SIM_STR("userid", true, userid);
        SIM_STR("state", false, state);
        int64_t add_way = 2;
        SIM_INT("add_way", 0, 202, add_way);
        return AddContact(core, userid, body, state, static_cast<int>(add_way), body.value("half", false), "");
    });

    add("GET", "/sim/contacts/{external_userid}", [&c](http::Request& req) {
        Lock lock(c.mu);
        SimContact* contact = c.FindContact(req.Param("external_userid"));
        if (contact == nullptr) return SimNotFound("no customer " + req.Param("external_userid"));
        Json follows = Json::array();
        for (const auto& f : contact->follow_user) {
            follows.push_back({{"userid", f.userid}, {"remark", f.remark}, {"state", f.state},
                               {"createtime", f.createtime}, {"add_way", f.add_way}, {"tag_id", f.tag_ids}});
        }
        return Answer({{"external_userid", contact->external_userid}, {"name", contact->name},
                       {"unionid", contact->unionid}, {"follow_user", std::move(follows)}});
    });

    add("POST", "/sim/contacts/{external_userid}/edit", [core](http::Request& req) {
        SIM_BODY(req);
        SIM_STR("userid", true, userid);
        SIM_STR("remark", false, remark);
        SIM_STR("description", false, description);
        std::string ext = req.Param("external_userid"), xml;
        {
            Lock lock(core->mu);
            SimContact* contact = core->FindContact(ext);
            if (contact == nullptr) return SimNotFound("no customer " + ext);
            SimFollow* f = contact->Follow(userid);
            if (f == nullptr) return SimConflict("customer " + ext + " does not follow " + userid);
            if (body.contains("remark")) f->remark = remark;
            if (body.contains("description")) f->description = description;
            xml = core->EventXml("change_external_contact", "edit_external_contact", ContactFields(userid, ext));
        }
        auto outcome = core->Deliver("change_external_contact", "edit_external_contact", xml);
        return Answer({{"external_userid", ext}, {"userid", userid}, {"callback", outcome.ToJson()}});
    });

    // The customer deletes the staff member (del_follow_user) or the staff member deletes the
    // customer (del_external_contact).
    auto remove = [core](const std::string& userid, const std::string& ext, bool by_customer) {
        std::string xml;
        const char* change = by_customer ? "del_follow_user" : "del_external_contact";
        {
            Lock lock(core->mu);
            SimContact* contact = core->FindContact(ext);
            if (contact == nullptr) return SimNotFound("no customer " + ext);
            if (!core->FindStaff(userid)) return SimNotFound("no staff " + userid);
            if (!DropFollow(contact, userid)) return SimConflict("customer " + ext + " does not follow " + userid);
            xml = core->EventXml("change_external_contact", change, ContactFields(userid, ext));
        }
        auto outcome = core->Deliver("change_external_contact", change, xml);
        return Answer({{"external_userid", ext}, {"userid", userid}, {"change_type", change},
                       {"callback", outcome.ToJson()}});
    };
    add("POST", "/sim/contacts/{external_userid}/delete-staff", [remove](http::Request& req) {
        SIM_BODY(req);
        SIM_STR("userid", true, userid);
        return remove(userid, req.Param("external_userid"), true);
    });
    add("POST", "/sim/staff/{userid}/delete-contact", [remove](http::Request& req) {
        SIM_BODY(req);
        SIM_STR("external_userid", true, ext);
        return remove(req.Param("userid"), ext, false);
    });

    add("POST", "/sim/groups", [core](http::Request& req) {
        SIM_BODY(req);
        SIM_STR("owner", true, owner);
        SIM_STR("name", false, name);
        SIM_STR("notice", false, notice);
        int64_t limit = 200;
        SIM_INT("member_limit", 1, 2000, limit);
        std::vector<std::string> members;
        if (body.contains("members")) {
            if (!body["members"].is_array()) return SimBadRequest("members", "members must be a list of ids");
            for (const auto& m : body["members"]) {
                if (!m.is_string()) return SimBadRequest("members", "members must be a list of ids");
                members.push_back(m.get<std::string>());
            }
        }
        std::string chat_id, xml;
        {
            Lock lock(core->mu);
            if (!core->FindStaff(owner)) return SimNotFound("no staff " + owner);
            if (static_cast<int64_t>(members.size()) + 1 > limit) return SimConflict("more members than member_limit");
            SimGroup g;
            g.chat_id = core->NewId("wr", 32);
            g.name = name;
            g.owner = owner;
            g.notice = notice;
            g.create_time = core->NowSeconds();
            g.member_limit = static_cast<int>(limit);
            g.members.push_back({owner, 1, g.create_time, 1, ""});
            for (const auto& m : members) {
                bool is_staff = core->FindStaff(m) != nullptr;
                if (!is_staff && !core->FindContact(m)) return SimNotFound("no staff or customer " + m);
                if (m == owner) continue;
                g.members.push_back({m, is_staff ? 1 : 2, g.create_time, 1, owner});
            }
            chat_id = g.chat_id;
            core->group_order.push_back(chat_id);
            core->groups[chat_id] = std::move(g);
            xml = core->EventXml("change_external_chat", "create", {{"ChatId", chat_id}});
        }
        auto outcome = core->Deliver("change_external_chat", "create", xml);
        return Answer({{"chat_id", chat_id}, {"callback", outcome.ToJson()}});
    });

    // One group change: `change` edits the group under the lock and returns the extra callback
    // fields, or an error answer.
    using GroupChange = std::function<std::variant<Fields, http::Response>(SimGroup&, const Json&)>;
    auto group_route = [core, add](const char* pattern, GroupChange change, const char* change_type) {
        add("POST", pattern, [core, change, change_type](http::Request& req) {
            SIM_BODY(req);
            std::string chat_id = req.Param("chat_id"), xml;
            {
                Lock lock(core->mu);
                auto it = core->groups.find(chat_id);
                if (it == core->groups.end() || it->second.dismissed) return SimNotFound("no group " + chat_id);
                std::string last = it->second.MemberVersion();
                auto result = change(it->second, body);
                if (auto* r = std::get_if<http::Response>(&result)) return std::move(*r);
                Fields fields{{"ChatId", chat_id}};
                Fields extra = std::get<Fields>(result);
                bool members_changed = false;
                for (const auto& [k, v] : extra) members_changed |= k == "MemChangeCnt";
                std::string type = change_type;
                if (type == "update") {
                    fields.insert(fields.end(), extra.begin(), extra.end());
                    if (members_changed) {
                        it->second.version += 1;
                        fields.emplace_back("LastMemVer", last);
                        fields.emplace_back("CurMemVer", it->second.MemberVersion());
                    }
                }
                xml = core->EventXml("change_external_chat", type, fields);
            }
            auto outcome = core->Deliver("change_external_chat", change_type, xml);
            return Answer({{"chat_id", chat_id}, {"callback", outcome.ToJson()}});
        });
    };

    group_route(
        "/sim/groups/{chat_id}/join",
        [core](SimGroup& g, const Json& body) -> std::variant<Fields, http::Response> {
            std::string who = body.value("external_userid", body.value("userid", ""));
            if (who.empty()) return SimBadRequest("external_userid", "external_userid is required");
            int64_t join_scene = 1;
            http::Response error;
            if (!IntField(body, "join_scene", 1, 3, &join_scene, &error)) return error;
            std::string invitor = body.value("invitor", join_scene == 3 ? "" : g.owner);
            bool is_staff = core->FindStaff(who) != nullptr;
            if (!is_staff && !core->FindContact(who)) return SimNotFound("no customer or staff " + who);
            for (const auto& m : g.members) {
                if (m.userid == who) return SimConflict(who + " is already a member");
            }
            if (static_cast<int>(g.members.size()) >= g.member_limit) {
                return SimConflict("group " + g.chat_id + " is full (" + std::to_string(g.member_limit) + ")");
            }
            g.members.push_back({who, is_staff ? 1 : 2, core->NowSeconds(), static_cast<int>(join_scene), invitor});
            // The callback's JoinScene: 0 invited by a member (directly or by link), 3 scanned the QR code.
            return Fields{{"UpdateDetail", "add_member"},
                          {"JoinScene", join_scene == 3 ? "3" : "0"},
                          {"MemChangeCnt", "1"},
                          {"MemChangeList", MemChangeList({who})}};
        },
        "update");

    group_route(
        "/sim/groups/{chat_id}/leave",
        [](SimGroup& g, const Json& body) -> std::variant<Fields, http::Response> {
            std::string who = body.value("external_userid", body.value("userid", ""));
            if (who.empty()) return SimBadRequest("external_userid", "external_userid is required");
            int64_t quit_scene = 0;
            http::Response error;
            if (!IntField(body, "quit_scene", 0, 1, &quit_scene, &error)) return error;
            if (who == g.owner) return SimConflict("the owner cannot leave; transfer or dismiss the group");
            auto before = g.members.size();
            std::erase_if(g.members, [&](const SimGroupMember& m) { return m.userid == who; });
            if (g.members.size() == before) return SimConflict(who + " is not a member");
            std::erase(g.admin_list, who);
            return Fields{{"UpdateDetail", "del_member"},
                          {"QuitScene", std::to_string(quit_scene)},
                          {"MemChangeCnt", "1"},
                          {"MemChangeList", MemChangeList({who})}};
        },
        "update");

    group_route(
        "/sim/groups/{chat_id}/rename",
        [](SimGroup& g, const Json& body) -> std::variant<Fields, http::Response> {
            auto it = body.find("name");
            if (it == body.end() || !it->is_string()) return SimBadRequest("name", "name is required");
            g.name = it->get<std::string>();
            return Fields{{"UpdateDetail", "change_name"}};
        },
        "update");

    group_route(
        "/sim/groups/{chat_id}/notice",
        [](SimGroup& g, const Json& body) -> std::variant<Fields, http::Response> {
            auto it = body.find("notice");
            if (it == body.end() || !it->is_string()) return SimBadRequest("notice", "notice is required");
            g.notice = it->get<std::string>();
            return Fields{{"UpdateDetail", "change_notice"}};
        },
        "update");

    group_route(
        "/sim/groups/{chat_id}/owner",
        [core](SimGroup& g, const Json& body) -> std::variant<Fields, http::Response> {
            std::string owner = body.value("owner", "");
            if (owner.empty()) return SimBadRequest("owner", "owner is required");
            if (!core->FindStaff(owner)) return SimNotFound("no staff " + owner);
            bool member = std::any_of(g.members.begin(), g.members.end(),
                                      [&](const SimGroupMember& m) { return m.userid == owner; });
            if (!member) g.members.push_back({owner, 1, core->NowSeconds(), 1, g.owner});
            g.owner = owner;
            return Fields{{"UpdateDetail", "change_owner"}};
        },
        "update");

    group_route(
        "/sim/groups/{chat_id}/dismiss",
        [](SimGroup& g, const Json&) -> std::variant<Fields, http::Response> {
            g.dismissed = true;
            return Fields{};
        },
        "dismiss");

    // Corp tags changed by an administrator in the WeCom admin console: change_external_tag.
    add("POST", "/sim/tags", [core](http::Request& req) {
        SIM_BODY(req);
        SIM_STR("group_name", true, group_name);
        SIM_STR("tag_name", false, tag_name);
        std::string group_id, tag_id, xml, tag_type, id;
        {
            Lock lock(core->mu);
            SimTagGroup* g = nullptr;
            for (auto& [gid, existing] : core->tag_groups) {
                if (existing.group_name == group_name) g = &existing;
            }
            int64_t now = core->NowSeconds();
            bool new_group = g == nullptr;
            if (new_group && tag_name.empty()) {
                return SimBadRequest("tag_name", "a new group needs its first tag");
            }
            if (!new_group) {
                if (tag_name.empty()) return SimConflict("group " + group_name + " exists");
                for (const auto& tid : g->tag_ids) {
                    if (core->tags.at(tid).name == tag_name) return SimConflict("tag " + tag_name + " exists");
                }
            } else {
                SimTagGroup ng;
                ng.group_id = core->NewId("et", 32);
                ng.group_name = group_name;
                ng.create_time = now;
                core->tag_group_order.push_back(ng.group_id);
                g = &(core->tag_groups[ng.group_id] = std::move(ng));
            }
            SimTag t;
            t.id = core->NewId("et", 32);
            t.name = tag_name;
            t.group_id = g->group_id;
            t.create_time = now;
            g->tag_ids.push_back(t.id);
            group_id = g->group_id;
            tag_id = t.id;
            core->tags[t.id] = std::move(t);
            // A new group arrives as one tag_group event; a tag added to a group as a tag event.
            tag_type = new_group ? "tag_group" : "tag";
            id = new_group ? group_id : tag_id;
            xml = core->EventXml("change_external_tag", "create", {{"Id", id}, {"TagType", tag_type}});
        }
        auto outcome = core->Deliver("change_external_tag", "create", xml);
        return Answer({{"group_id", group_id}, {"tag_id", tag_id}, {"tag_type", tag_type},
                       {"callback", outcome.ToJson()}});
    });

    add("POST", "/sim/tags/{id}/rename", [core](http::Request& req) {
        SIM_BODY(req);
        SIM_STR("name", true, name);
        std::string id = req.Param("id"), xml, tag_type;
        {
            Lock lock(core->mu);
            if (auto t = core->tags.find(id); t != core->tags.end()) {
                t->second.name = name;
                tag_type = "tag";
            } else if (auto g = core->tag_groups.find(id); g != core->tag_groups.end()) {
                g->second.group_name = name;
                tag_type = "tag_group";
            } else {
                return SimNotFound("no tag or tag group " + id);
            }
            xml = core->EventXml("change_external_tag", "update", {{"Id", id}, {"TagType", tag_type}});
        }
        auto outcome = core->Deliver("change_external_tag", "update", xml);
        return Answer({{"id", id}, {"tag_type", tag_type}, {"callback", outcome.ToJson()}});
    });

    add("DELETE", "/sim/tags/{id}", [core](http::Request& req) {
        std::string id = req.Param("id"), xml, tag_type;
        {
            Lock lock(core->mu);
            std::vector<std::string> doomed;
            if (auto t = core->tags.find(id); t != core->tags.end()) {
                tag_type = "tag";
                doomed.push_back(id);
                std::erase(core->tag_groups.at(t->second.group_id).tag_ids, id);
            } else if (auto g = core->tag_groups.find(id); g != core->tag_groups.end()) {
                tag_type = "tag_group";
                doomed = g->second.tag_ids;
                g->second.tag_ids.clear();
            } else {
                return SimNotFound("no tag or tag group " + id);
            }
            for (const auto& tid : doomed) core->tags.erase(tid);
            for (auto& [ext, contact] : core->contacts) {
                for (auto& f : contact.follow_user) {
                    std::erase_if(f.tag_ids, [&](const std::string& t) {
                        return std::count(doomed.begin(), doomed.end(), t) > 0;
                    });
                }
            }
            if (tag_type == "tag_group") {
                core->tag_groups.erase(id);
                std::erase(core->tag_group_order, id);
            }
            xml = core->EventXml("change_external_tag", "delete", {{"Id", id}, {"TagType", tag_type}});
        }
        auto outcome = core->Deliver("change_external_tag", "delete", xml);
        return Answer({{"id", id}, {"tag_type", tag_type}, {"callback", outcome.ToJson()}});
    });

    add("POST", "/sim/transfers/complete", [core](http::Request& req) {
        SIM_BODY(req);
        SIM_STR("external_userid", true, ext);
        SIM_STR("handover_userid", false, handover);
        int64_t status = 1;
        SIM_INT("status", 1, 4, status);
        if (status == 2) return SimBadRequest("status", "status must be 1, 3 or 4");
        std::vector<std::pair<std::string, std::string>> pending;
        Json transfer;
        {
            Lock lock(core->mu);
            SimTransfer* t = nullptr;
            for (auto& candidate : core->transfers) {
                if (candidate.external_userid == ext && candidate.status == 2 &&
                    (handover.empty() || candidate.handover_userid == handover)) {
                    t = &candidate;
                }
            }
            if (t == nullptr) return SimNotFound("no waiting transfer of " + ext);
            FinishTransfer(*core, *t, static_cast<int>(status), &pending);
            transfer = {{"kind", t->kind},
                        {"handover_userid", t->handover_userid},
                        {"takeover_userid", t->takeover_userid},
                        {"external_userid", t->external_userid},
                        {"status", t->status},
                        {"takeover_time", t->takeover_time}};
        }
        Json callbacks = Json::array();
        for (const auto& [change, xml] : pending) {
            callbacks.push_back(core->Deliver("change_external_contact", change, xml).ToJson());
        }
        return Answer({{"transfer", std::move(transfer)}, {"callbacks", std::move(callbacks)}});
    });

    add("POST", "/sim/messages/{msgid}/deliver", [&c](http::Request& req) {
        SIM_BODY(req);
        SIM_STR("external_userid", false, only);
        int64_t forced = -1;
        SIM_INT("status", 0, 3, forced);
        Lock lock(c.mu);
        auto it = c.templates.find(req.Param("msgid"));
        if (it == c.templates.end()) return SimNotFound("no message " + req.Param("msgid"));
        SimTemplate& t = it->second;
        int64_t now = c.NowSeconds();
        int64_t month = MonthOf(now);
        Json counts = {{"sent", 0}, {"not_friend", 0}, {"limit", 0}, {"unsent", 0}};
        for (auto& r : t.recipients) {
            if (!only.empty() && r.external_userid != only) continue;
            if (r.status != 0) continue;
            int status = 1;
            if (forced >= 0) {
                status = static_cast<int>(forced);
            } else if (!r.external_userid.empty()) {
                SimContact* contact = c.FindContact(r.external_userid);
                if (contact == nullptr || contact->Follow(r.userid) == nullptr) {
                    status = 2;
                } else {
                    // WeCom lets a customer receive four mass messages a month.
                    int received = 0;
                    for (const auto& other : c.templates) {
                        for (const auto& o : other.second.recipients) {
                            if (o.external_userid == r.external_userid && o.status == 1 && MonthOf(o.send_time) == month) {
                                ++received;
                            }
                        }
                    }
                    if (received >= 4) status = 3;
                }
            }
            r.status = status;
            if (status == 1) r.send_time = now;
            const char* key = status == 1 ? "sent" : status == 2 ? "not_friend" : status == 3 ? "limit" : "unsent";
            counts[key] = counts[key].get<int>() + 1;
        }
        return Answer({{"msgid", t.msgid}, {"counts", std::move(counts)}});
    });

    add("POST", "/sim/faults", [&c](http::Request& req) {
        SIM_BODY(req);
        SIM_STR("path", true, path);
        SIM_STR("errmsg", false, errmsg);
        int64_t errcode = 0, times = 1;
        if (!body.contains("errcode")) return SimBadRequest("errcode", "errcode is required");
        SIM_INT("errcode", -1, 99'999'999, errcode);
        SIM_INT("times", 1, 1'000'000, times);
        if (path.rfind("/cgi-bin/", 0) != 0) path = "/cgi-bin/" + std::string(path.front() == '/' ? path.substr(1) : path);
        if (errmsg.empty()) {
            switch (errcode) {
                case -1: errmsg = "system busy"; break;
                case 40014: errmsg = "invalid access_token"; break;
                case 42001: errmsg = "access_token expired"; break;
                case 45009: errmsg = "api freq out of limit"; break;
                default: errmsg = "injected fault"; break;
            }
        }
        Lock lock(c.mu);
        c.faults[path].push_back({static_cast<int>(errcode), errmsg, static_cast<int>(times)});
        return Answer({{"path", path}, {"errcode", errcode}, {"times", times}});
    });

    add("DELETE", "/sim/faults", [&c](http::Request&) {
        Lock lock(c.mu);
        c.faults.clear();
        return http::Response::NoContent();
    });

    // Delivers a recorded callback again, byte for byte (WeCom's retry), or with its signature
    // altered.
    add("POST", "/sim/callbacks/{id}/resend", [core](http::Request& req) {
        SIM_BODY(req);
        bool tamper = body.value("tamper_signature", false);
        int64_t id = std::atoll(req.Param("id").c_str());
        channels::HttpRequest again;
        {
            Lock lock(core->mu);
            auto it = std::find_if(core->callbacks.begin(), core->callbacks.end(),
                                   [&](const SimCallback& cb) { return cb.id == id; });
            if (it == core->callbacks.end() || it->url.empty()) return SimNotFound("no delivered callback " + req.Param("id"));
            again.method = "POST";
            again.url = it->url;
            again.body = it->body;
            again.headers.emplace_back("Content-Type", "text/xml");
        }
        if (tamper) {
            auto pos = again.url.find("msg_signature=");
            if (pos != std::string::npos) {
                char& ch = again.url[pos + 14];
                ch = ch == 'a' ? 'b' : 'a';
            }
        }
        auto answer = core->Send(again);
        Json out{{"id", id}, {"tampered", tamper}};
        if (answer.ok()) {
            out["status"] = answer.value().status;
            out["body"] = answer.value().body;
        } else {
            out["status"] = 0;
            out["error"] = answer.status().message();
        }
        return Answer(std::move(out));
    });

    // URL verification as the WeCom admin console does it when the callback URL is saved.
    add("POST", "/sim/verify-url", [core](http::Request&) {
        channels::HttpRequest get;
        std::string echo;
        {
            Lock lock(core->mu);
            if (core->options.callback_url.empty()) return SimConflict("no callback_url");
            if (!core->crypt) return SimConflict("callback encryption unavailable: " + core->crypt_error);
            echo = std::to_string(core->rng() % 1'000'000'000'000ULL);
            auto encrypted = core->crypt->Encrypt(echo);
            if (!encrypted.ok()) return SimConflict("encrypt: " + encrypted.failure.message);
            std::string ts = std::to_string(core->NowSeconds());
            std::string nonce = std::to_string(core->rng() % 1'000'000'000ULL);
            std::string sig = core->crypt->Signature(ts, nonce, encrypted.value);
            std::string sep = core->options.callback_url.find('?') == std::string::npos ? "?" : "&";
            get.url = core->options.callback_url + sep + "msg_signature=" + sig + "&timestamp=" + ts +
                      "&nonce=" + nonce + "&echostr=" + UrlEncode(encrypted.value);
        }
        auto answer = core->Send(get);
        Json out{{"echo", echo}};
        if (!answer.ok()) {
            out["verified"] = false;
            out["error"] = answer.status().message();
        } else {
            out["status"] = answer.value().status;
            out["body"] = answer.value().body;
            out["verified"] = answer.value().status == 200 && answer.value().body == echo;
        }
        return Answer(std::move(out));
    });

    // A callback receiver for measuring the load generator itself: checks the signature and
    // decrypts, as siyu's endpoint does, then answers "success".
    add("POST", "/sim/sink", [&c](http::Request& req) {
        std::optional<channels::wecom::MsgCrypt> crypt;
        {
            Lock lock(c.mu);
            crypt = c.crypt;
        }
        if (!crypt) return http::Response::Json(503, http::ErrorBody("unavailable", "no key", "", ""));
        auto plain = crypt->DecryptMsg(req.Query("msg_signature").value_or(""), req.Query("timestamp").value_or(""),
                                       req.Query("nonce").value_or(""), req.body);
        http::Response r;
        r.content_type = "text/plain";
        if (!plain.ok()) {
            r.status = 400;
            r.body = plain.failure.message;
        } else {
            r.body = "success";
        }
        return r;
    });

    add("POST", "/sim/load", [core](http::Request& req) {
        SIM_BODY(req);
        LoadSpec spec;
        SIM_STR("userid", true, userid);
        SIM_STR("config_id", false, config_id);
        SIM_STR("state", false, state);
        spec.userid = userid;
        spec.config_id = config_id;
        spec.state = state;
        if (body.contains("rate")) {
            if (!body["rate"].is_number() || body["rate"].get<double>() <= 0 || body["rate"].get<double>() > 100000) {
                return SimBadRequest("rate", "rate must be a number of callbacks per second from 0 to 100000");
            }
            spec.rate = body["rate"].get<double>();
        }
        if (body.contains("seconds")) {
            if (!body["seconds"].is_number() || body["seconds"].get<double>() <= 0 ||
                body["seconds"].get<double>() > 3600) {
                return SimBadRequest("seconds", "seconds must be a number from 0 to 3600");
            }
            spec.seconds = body["seconds"].get<double>();
        }
        int64_t connections = spec.connections, timeout = spec.timeout_ms;
        SIM_INT("connections", 1, 1024, connections);
        SIM_INT("timeout_ms", 100, 60'000, timeout);
        spec.connections = static_cast<int>(connections);
        spec.timeout_ms = static_cast<int>(timeout);
        auto result = RunLoad(core, spec);
        if (!result.ok()) {
            const Status& st = result.status();
            int code = st.code() == StatusCode::kNotFound ? 404 : 409;
            return http::Response::Json(code, http::ErrorBody(code == 404 ? "not_found" : "failed_precondition",
                                                              st.message(), st.field(), ""));
        }
        return Answer(std::move(result).value());
    });

    add("GET", "/qr/{config_id}", [&c](http::Request& req) {
        Lock lock(c.mu);
        auto it = c.contact_ways.find(req.Param("config_id"));
        if (it == c.contact_ways.end()) return SimNotFound("no contact way " + req.Param("config_id"));
        http::Response r;
        r.content_type = "text/plain; charset=utf-8";
        r.body = "WeCom contact way " + it->first + " (state " + it->second.state + ")\n";
        return r;
    });
}

}  // namespace siyu::cli
