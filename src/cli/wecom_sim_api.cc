// The WeCom server API as the simulator serves it: /cgi-bin/... with WeCom's request and answer
// shapes and errcodes. Every answer is HTTP 200 with errcode and errmsg, as WeCom's are.

#include <algorithm>
#include <cstdlib>

#include "cli/wecom_sim_core.h"

namespace siyu::cli {
namespace {

namespace e = sim_err;
using Lock = std::lock_guard<std::mutex>;
using ApiFn = std::function<http::Response(http::Request&, const Json&)>;

std::string Str(const Json& body, const char* key) {
    auto it = body.find(key);
    if (it == body.end() || !it->is_string()) return "";
    return it->get<std::string>();
}

int64_t Int(const Json& body, const char* key, int64_t fallback) {
    auto it = body.find(key);
    if (it == body.end()) return fallback;
    if (it->is_number_integer()) return it->get<int64_t>();
    if (it->is_boolean()) return it->get<bool>() ? 1 : 0;
    if (it->is_string()) {
        const std::string& s = it->get_ref<const std::string&>();
        char* end = nullptr;
        long long v = std::strtoll(s.c_str(), &end, 10);
        if (!s.empty() && end && *end == '\0') return v;
    }
    return fallback;
}

// A list of strings; std::nullopt when the key is there but is not a list of strings.
std::optional<std::vector<std::string>> Strings(const Json& body, const char* key) {
    std::vector<std::string> out;
    auto it = body.find(key);
    if (it == body.end() || it->is_null()) return out;
    if (!it->is_array()) return std::nullopt;
    for (const auto& v : *it) {
        if (!v.is_string()) return std::nullopt;
        out.push_back(v.get<std::string>());
    }
    return out;
}

// Offsets behind WeCom's opaque cursors.
std::string Cursor(size_t offset) { return "CUR" + std::to_string(offset); }
std::optional<size_t> FromCursor(const std::string& cursor) {
    if (cursor.empty()) return 0;
    if (cursor.rfind("CUR", 0) != 0) return std::nullopt;
    char* end = nullptr;
    unsigned long long v = std::strtoull(cursor.c_str() + 3, &end, 10);
    if (end == nullptr || *end != '\0') return std::nullopt;
    return static_cast<size_t>(v);
}

int ErrcodeOf(const http::Response& r) {
    // Ok() and Err() both write errcode first: {"errcode":N,...
    static constexpr std::string_view kPrefix = "{\"errcode\":";
    if (r.body.compare(0, kPrefix.size(), kPrefix) != 0) return 0;
    return static_cast<int>(std::strtol(r.body.c_str() + kPrefix.size(), nullptr, 10));
}

struct Pending {
    std::string event, change_type, xml;
};

void DeliverAll(SimCore* core, const std::vector<Pending>& pending) {
    for (const auto& p : pending) core->Deliver(p.event, p.change_type, p.xml);
}

class Api {
  public:
    Api(SimCore* core, http::Router* router) : core_(core), router_(router) {}

    // Registers `method /cgi-bin/<path>` behind the checks WeCom makes before any API: injected
    // faults, the per-corp rate limit and the access_token.
    void Add(const std::string& method, const std::string& path, ApiFn fn) {
        std::string full = "/cgi-bin/" + path;
        bool needs_token = path != "gettoken";
        SimCore* core = core_;
        router_->Add({.method = method, .pattern = full}, [core, full, needs_token, method,
                                                           fn = std::move(fn)](http::Request& req) {
            http::Response r = Check(core, full, needs_token, req);
            if (r.body.empty()) {
                Json body = Json::object();
                bool parsed = true;
                if (method == "POST" && !req.body.empty()) {
                    body = Json::parse(req.body, nullptr, false);
                    parsed = !body.is_discarded() && body.is_object();
                }
                r = parsed ? fn(req, body) : core->Err(e::kDataFormatError, "data format error");
            }
            Lock lock(core->mu);
            core->RecordCall(full, ErrcodeOf(r));
            return r;
        });
    }

  private:
    // An errcode answer when a check fails; an empty response when the call may go ahead.
    static http::Response Check(SimCore* core, const std::string& full, bool needs_token, const http::Request& req) {
        Lock lock(core->mu);
        auto f = core->faults.find(full);
        if (f != core->faults.end() && !f->second.empty()) {
            SimFault fault = f->second.front();
            if (--f->second.front().remaining <= 0) f->second.pop_front();
            if (f->second.empty()) core->faults.erase(f);
            return core->Err(fault.errcode, fault.errmsg);
        }
        int64_t now = core->NowMs();
        if (now / 1000 != core->rate_window) {
            core->rate_window = now / 1000;
            core->rate_count = 0;
        }
        if (++core->rate_count > core->options.rate_limit) return core->Err(e::kFreqOutOfLimit, "api freq out of limit");
        if (!needs_token) return http::Response{};
        auto token = req.Query("access_token");
        if (!token || token->empty()) return core->Err(e::kAccessTokenMissing, "access_token missing");
        auto t = core->tokens.find(*token);
        if (t == core->tokens.end()) return core->Err(e::kInvalidAccessToken, "invalid access_token");
        if (t->second.first <= now) return core->Err(e::kAccessTokenExpired, "access_token expired");
        return http::Response{};
    }

    SimCore* core_;
    http::Router* router_;
};

Json ContactJson(const SimContact& c) {
    Json j;
    j["external_userid"] = c.external_userid;
    j["name"] = c.name;
    j["type"] = c.type;
    j["avatar"] = c.avatar;
    j["gender"] = c.gender;
    j["unionid"] = c.unionid;
    return j;
}

Json FollowUserJson(const SimCore& core, const SimFollow& f, bool ids_only) {
    Json j;
    j["userid"] = f.userid;
    j["remark"] = f.remark;
    j["description"] = f.description;
    j["createtime"] = f.createtime;
    if (ids_only) {
        j["tag_id"] = f.tag_ids;
    } else {
        Json tags = Json::array();
        for (const auto& id : f.tag_ids) {
            auto t = core.tags.find(id);
            if (t == core.tags.end()) continue;
            auto g = core.tag_groups.find(t->second.group_id);
            tags.push_back({{"group_name", g == core.tag_groups.end() ? "" : g->second.group_name},
                            {"tag_name", t->second.name},
                            {"tag_id", id},
                            {"type", 1}});
        }
        j["tags"] = std::move(tags);
    }
    j["remark_corp_name"] = "";
    j["remark_mobiles"] = Json::array();
    j["oper_userid"] = f.oper_userid;
    j["add_way"] = f.add_way;
    if (!f.state.empty()) j["state"] = f.state;
    return j;
}

Json StaffJson(const SimStaff& s, bool simple) {
    Json j;
    j["userid"] = s.userid;
    j["name"] = s.name;
    j["department"] = s.department;
    if (simple) {
        j["open_userid"] = "wo" + s.userid;
        return j;
    }
    j["order"] = Json::array();
    for (size_t i = 0; i < s.department.size(); ++i) j["order"].push_back(0);
    j["position"] = s.position;
    j["mobile"] = s.mobile;
    j["gender"] = std::to_string(s.gender);
    j["email"] = s.email;
    j["is_leader_in_dept"] = Json::array();
    for (size_t i = 0; i < s.department.size(); ++i) j["is_leader_in_dept"].push_back(0);
    j["avatar"] = "";
    j["status"] = s.status;
    j["main_department"] = s.department.empty() ? 1 : s.department.front();
    j["open_userid"] = "wo" + s.userid;
    return j;
}

Json WayJson(const SimContactWay& w) {
    Json j;
    j["config_id"] = w.config_id;
    j["type"] = w.type;
    j["scene"] = w.scene;
    j["style"] = w.style;
    j["remark"] = w.remark;
    j["skip_verify"] = w.skip_verify;
    j["state"] = w.state;
    if (w.scene == 2) j["qr_code"] = w.qr_code;
    j["user"] = w.user;
    j["party"] = w.party;
    j["is_temp"] = w.is_temp;
    j["expires_in"] = w.expires_in;
    j["chat_expires_in"] = w.chat_expires_in;
    j["conclusions"] = w.conclusions.is_null() ? Json::object() : w.conclusions;
    return j;
}

// Departments `root` and, when `children`, everything below it.
std::set<int64_t> Subtree(const SimCore& core, int64_t root, bool children) {
    std::set<int64_t> out{root};
    if (!children) return out;
    bool grew = true;
    while (grew) {
        grew = false;
        for (const auto& [id, d] : core.departments) {
            if (out.count(d.parentid) && !out.count(id)) {
                out.insert(id);
                grew = true;
            }
        }
    }
    return out;
}

// Applies the fields of add_contact_way / update_contact_way to `w`; an errcode when invalid.
std::optional<SimError> ApplyWay(SimCore& core, const Json& body, SimContactWay* w, bool creating) {
    if (creating) {
        w->type = static_cast<int>(Int(body, "type", 0));
        w->scene = static_cast<int>(Int(body, "scene", 0));
        if (w->type != 1 && w->type != 2) return SimError{e::kInvalidParameter, "invalid type, must be 1 or 2"};
        if (w->scene != 1 && w->scene != 2) return SimError{e::kInvalidParameter, "invalid scene, must be 1 or 2"};
    }
    if (body.contains("style")) w->style = static_cast<int>(Int(body, "style", 0));
    if (body.contains("remark")) w->remark = Str(body, "remark");
    if (body.contains("skip_verify")) w->skip_verify = Int(body, "skip_verify", 1) != 0;
    if (body.contains("state")) {
        w->state = Str(body, "state");
        if (w->state.size() > 30) return SimError{e::kInvalidParameter, "invalid state, longer than 30 bytes"};
    }
    if (body.contains("is_temp")) w->is_temp = Int(body, "is_temp", 0) != 0;
    if (body.contains("expires_in")) w->expires_in = Int(body, "expires_in", 0);
    if (body.contains("chat_expires_in")) w->chat_expires_in = Int(body, "chat_expires_in", 0);
    if (body.contains("conclusions")) w->conclusions = body["conclusions"];
    if (body.contains("user") || creating) {
        auto users = Strings(body, "user");
        if (!users) return SimError{e::kInvalidParameter, "invalid user list"};
        for (const auto& u : *users) {
            if (!core.FindStaff(u)) return SimError{e::kInvalidUserid, "invalid userid " + u};
        }
        w->user = *users;
    }
    if (body.contains("party")) {
        w->party.clear();
        if (!body["party"].is_array()) return SimError{e::kInvalidParameter, "invalid party list"};
        for (const auto& p : body["party"]) {
            if (!p.is_number_integer() || !core.departments.count(p.get<int64_t>())) {
                return SimError{e::kInvalidPartyId, "invalid party id"};
            }
            w->party.push_back(p.get<int64_t>());
        }
    }
    if (w->user.empty() && w->party.empty()) return SimError{e::kInvalidParameter, "user and party are both empty"};
    if (w->type == 1 && w->user.size() + w->party.size() != 1) {
        return SimError{e::kInvalidParameter, "a type 1 contact way has exactly one user"};
    }
    return std::nullopt;
}

// The customers a template reaches, filling `t`. An errcode when the request is invalid.
std::optional<SimError> PlanTemplate(SimCore& core, const Json& body, SimTemplate* t) {
    t->chat_type = Str(body, "chat_type");
    if (t->chat_type.empty()) t->chat_type = "single";
    if (t->chat_type != "single" && t->chat_type != "group") {
        return SimError{e::kInvalidParameter, "invalid chat_type"};
    }
    t->sender = Str(body, "sender");
    if (!t->sender.empty() && !core.FindStaff(t->sender)) return SimError{e::kInvalidUserid, "invalid sender"};
    bool has_content = body.contains("text") || (body.contains("attachments") && !body["attachments"].empty());
    if (!has_content) return SimError{e::kInvalidParameter, "text and attachments are both empty"};
    if (t->chat_type == "group") {
        if (t->sender.empty()) return SimError{e::kInvalidParameter, "sender missing"};
        auto chats = Strings(body, "chat_id_list");
        if (!chats) return SimError{e::kInvalidParameter, "invalid chat_id_list"};
        for (const auto& cid : core.group_order) {
            const SimGroup& g = core.groups.at(cid);
            if (g.dismissed || g.owner != t->sender) continue;
            if (!chats->empty() && std::find(chats->begin(), chats->end(), cid) == chats->end()) continue;
            t->recipients.push_back({.userid = t->sender, .chat_id = cid});
        }
        return std::nullopt;
    }
    auto exts = Strings(body, "external_userid");
    if (!exts) return SimError{e::kInvalidParameter, "invalid external_userid list"};
    if (exts->size() > 10000) return SimError{e::kInvalidParameter, "more than 10000 external_userid"};
    if (exts->empty()) {
        if (t->sender.empty()) return SimError{e::kInvalidParameter, "external_userid and sender are both empty"};
        for (const auto& ext : core.contact_order) {
            if (core.contacts.at(ext).Follow(t->sender)) t->recipients.push_back({ext, t->sender, "", 0, 0});
        }
        return std::nullopt;
    }
    for (const auto& ext : *exts) {
        SimContact* c = core.FindContact(ext);
        if (c == nullptr) {
            t->fail_list.push_back(ext);
        } else if (!t->sender.empty()) {
            if (c->Follow(t->sender)) {
                t->recipients.push_back({ext, t->sender, "", 0, 0});
            } else {
                t->fail_list.push_back(ext);
            }
        } else if (c->follow_user.empty()) {
            t->fail_list.push_back(ext);
        } else {
            for (const auto& f : c->follow_user) t->recipients.push_back({ext, f.userid, "", 0, 0});
        }
    }
    return std::nullopt;
}

Json TransferCustomers(SimCore& core, const std::string& kind, const std::string& handover,
                       const std::string& takeover, const std::vector<std::string>& exts) {
    Json out = Json::array();
    for (const auto& ext : exts) {
        int code = 0;
        SimContact* c = core.FindContact(ext);
        if (c == nullptr) {
            code = e::kInvalidExternalUserid;
        } else if (!c->Follow(handover)) {
            code = e::kNotExternalContact;
        } else {
            for (const auto& t : core.transfers) {
                if (t.external_userid == ext && t.handover_userid == handover && t.status == 2) {
                    code = e::kAlreadyInTransfer;
                }
            }
        }
        if (code == 0) {
            SimTransfer t;
            t.kind = kind;
            t.handover_userid = handover;
            t.takeover_userid = takeover;
            t.external_userid = ext;
            t.status = 2;
            t.created_at = core.NowSeconds();
            core.transfers.push_back(std::move(t));
        }
        out.push_back({{"external_userid", ext}, {"errcode", code}});
    }
    return out;
}

}  // namespace

void AddApiRoutes(SimCore* core, http::Router* router) {
    Api api(core, router);
    SimCore& c = *core;

    api.Add("GET", "gettoken", [&c](http::Request& req, const Json&) {
        auto corpid = req.Query("corpid");
        auto secret = req.Query("corpsecret");
        if (!corpid || corpid->empty()) return c.Err(e::kCorpidMissing, "corpid missing");
        if (!secret || secret->empty()) return c.Err(e::kSecretMissing, "corpsecret missing");
        Lock lock(c.mu);
        if (*corpid != c.options.corp_id) return c.Err(e::kInvalidCorpid, "invalid corpid");
        if (*secret != c.options.contact_secret && *secret != c.options.agent_secret) {
            return c.Err(e::kInvalidCredential, "invalid credential, access_token is invalid or not latest");
        }
        int64_t now = c.NowMs();
        // Within its lifetime WeCom answers the same token again, with the time it has left.
        for (const auto& [token, t] : c.tokens) {
            if (t.second == *secret && t.first > now) {
                return SimCore::Ok({{"access_token", token}, {"expires_in", (t.first - now) / 1000}});
            }
        }
        std::string token = c.NewId("", 64);
        c.tokens[token] = {now + c.options.token_ttl_seconds * 1000, *secret};
        return SimCore::Ok({{"access_token", token}, {"expires_in", c.options.token_ttl_seconds}});
    });

    auto user_list = [&c](bool simple) {
        return [&c, simple](http::Request& req, const Json&) {
            auto dep = req.Query("department_id");
            if (!dep || dep->empty()) return c.Err(e::kInvalidParameter, "department_id missing");
            char* end = nullptr;
            int64_t id = std::strtoll(dep->c_str(), &end, 10);
            Lock lock(c.mu);
            if (*end != '\0' || !c.departments.count(id)) return c.Err(e::kInvalidPartyId, "invalid party id");
            auto set = Subtree(c, id, req.Query("fetch_child").value_or("0") == "1");
            Json list = Json::array();
            for (const auto& [userid, s] : c.staff) {
                bool in = std::any_of(s.department.begin(), s.department.end(),
                                      [&](int64_t d) { return set.count(d) > 0; });
                if (in) list.push_back(StaffJson(s, simple));
            }
            return SimCore::Ok({{"userlist", std::move(list)}});
        };
    };
    api.Add("GET", "user/list", user_list(false));
    api.Add("GET", "user/simplelist", user_list(true));

    api.Add("GET", "user/get", [&c](http::Request& req, const Json&) {
        std::string userid = req.Query("userid").value_or("");
        if (userid.empty()) return c.Err(e::kInvalidParameter, "userid missing");
        Lock lock(c.mu);
        SimStaff* s = c.FindStaff(userid);
        if (s == nullptr) return c.Err(e::kUserNotFound, "userid not found");
        return SimCore::Ok(StaffJson(*s, false));
    });

    api.Add("GET", "department/list", [&c](http::Request& req, const Json&) {
        Lock lock(c.mu);
        std::set<int64_t> set;
        auto id = req.Query("id");
        if (id && !id->empty()) {
            char* end = nullptr;
            int64_t root = std::strtoll(id->c_str(), &end, 10);
            if (*end != '\0' || !c.departments.count(root)) return c.Err(e::kInvalidPartyId, "invalid party id");
            set = Subtree(c, root, true);
        } else {
            for (const auto& [d, _] : c.departments) set.insert(d);
        }
        Json list = Json::array();
        for (int64_t d : set) {
            const SimDepartment& dep = c.departments.at(d);
            list.push_back({{"id", dep.id}, {"name", dep.name}, {"name_en", ""},
                            {"department_leader", Json::array()}, {"parentid", dep.parentid}, {"order", dep.order}});
        }
        return SimCore::Ok({{"department", std::move(list)}});
    });

    api.Add("GET", "externalcontact/get", [&c](http::Request& req, const Json&) {
        std::string ext = req.Query("external_userid").value_or("");
        if (ext.empty()) return c.Err(e::kInvalidParameter, "external_userid missing");
        Lock lock(c.mu);
        SimContact* contact = c.FindContact(ext);
        if (contact == nullptr) return c.Err(e::kInvalidExternalUserid, "invalid external userid");
        if (contact->follow_user.empty()) return c.Err(e::kNotExternalContact, "not external contact");
        Json follows = Json::array();
        for (const auto& f : contact->follow_user) follows.push_back(FollowUserJson(c, f, false));
        return SimCore::Ok({{"external_contact", ContactJson(*contact)}, {"follow_user", std::move(follows)}});
    });

    api.Add("POST", "externalcontact/batch/get_by_user", [&c](http::Request&, const Json& body) {
        auto users = Strings(body, "userid_list");
        if (!users || users->empty()) return c.Err(e::kInvalidParameter, "userid_list missing");
        if (users->size() > 100) return c.Err(e::kInvalidParameter, "userid_list longer than 100");
        int64_t limit = Int(body, "limit", 50);
        if (limit < 1 || limit > 100) return c.Err(e::kInvalidParameter, "invalid limit, 1 to 100");
        auto offset = FromCursor(Str(body, "cursor"));
        if (!offset) return c.Err(e::kInvalidParameter, "invalid cursor");
        Lock lock(c.mu);
        for (const auto& u : *users) {
            if (!c.FindStaff(u)) return c.Err(e::kInvalidUserid, "invalid userid " + u);
        }
        Json list = Json::array();
        size_t index = 0;
        bool more = false;
        for (const auto& u : *users) {
            for (const auto& ext : c.contact_order) {
                SimContact& contact = c.contacts.at(ext);
                SimFollow* f = contact.Follow(u);
                if (f == nullptr) continue;
                if (index++ < *offset) continue;
                if (static_cast<int64_t>(list.size()) == limit) {
                    more = true;
                    break;
                }
                list.push_back({{"external_contact", ContactJson(contact)},
                                {"follow_info", FollowUserJson(c, *f, true)}});
            }
            if (more) break;
        }
        return SimCore::Ok({{"external_contact_list", std::move(list)},
                            {"next_cursor", more ? Cursor(*offset + limit) : ""}});
    });

    api.Add("POST", "externalcontact/mark_tag", [&c](http::Request&, const Json& body) {
        std::string userid = Str(body, "userid"), ext = Str(body, "external_userid");
        auto add = Strings(body, "add_tag");
        auto remove = Strings(body, "remove_tag");
        if (userid.empty() || ext.empty()) return c.Err(e::kInvalidParameter, "userid or external_userid missing");
        if (!add || !remove || (add->empty() && remove->empty())) {
            return c.Err(e::kInvalidParameter, "add_tag and remove_tag are both empty");
        }
        Lock lock(c.mu);
        if (!c.FindStaff(userid)) return c.Err(e::kInvalidUserid, "invalid userid");
        SimContact* contact = c.FindContact(ext);
        if (contact == nullptr) return c.Err(e::kInvalidExternalUserid, "invalid external userid");
        SimFollow* f = contact->Follow(userid);
        if (f == nullptr) return c.Err(e::kNotExternalContact, "not external contact");
        for (const auto& id : *add) {
            if (!c.ValidTag(id)) return c.Err(e::kInvalidTagId, "invalid tagid " + id);
        }
        for (const auto& id : *remove) {
            if (!c.ValidTag(id)) return c.Err(e::kInvalidTagId, "invalid tagid " + id);
        }
        for (const auto& id : *add) {
            if (std::find(f->tag_ids.begin(), f->tag_ids.end(), id) == f->tag_ids.end()) f->tag_ids.push_back(id);
        }
        for (const auto& id : *remove) std::erase(f->tag_ids, id);
        c.mark_tag_calls.push_back({{"at_ms", c.NowMs()}, {"userid", userid}, {"external_userid", ext},
                                    {"add_tag", *add}, {"remove_tag", *remove}});
        return SimCore::Ok();
    });

    api.Add("POST", "externalcontact/get_corp_tag_list", [&c](http::Request&, const Json& body) {
        auto tag_ids = Strings(body, "tag_id");
        auto group_ids = Strings(body, "group_id");
        if (!tag_ids || !group_ids) return c.Err(e::kInvalidParameter, "invalid tag_id or group_id list");
        Lock lock(c.mu);
        Json list = Json::array();
        for (const auto& gid : c.tag_group_order) {
            const SimTagGroup& g = c.tag_groups.at(gid);
            bool group_wanted = group_ids->empty() || std::count(group_ids->begin(), group_ids->end(), gid);
            if (!group_wanted) continue;
            Json tags = Json::array();
            for (const auto& tid : g.tag_ids) {
                if (!tag_ids->empty() && !std::count(tag_ids->begin(), tag_ids->end(), tid)) continue;
                const SimTag& t = c.tags.at(tid);
                tags.push_back({{"id", t.id}, {"name", t.name}, {"create_time", t.create_time},
                                {"order", t.order}, {"deleted", false}});
            }
            if (!tag_ids->empty() && tags.empty()) continue;
            list.push_back({{"group_id", g.group_id}, {"group_name", g.group_name}, {"create_time", g.create_time},
                            {"order", g.order}, {"deleted", false}, {"tag", std::move(tags)}});
        }
        return SimCore::Ok({{"tag_group", std::move(list)}});
    });

    api.Add("POST", "externalcontact/add_corp_tag", [&c](http::Request&, const Json& body) {
        std::string group_id = Str(body, "group_id"), group_name = Str(body, "group_name");
        auto it = body.find("tag");
        if (it == body.end() || !it->is_array() || it->empty()) return c.Err(e::kInvalidParameter, "tag missing");
        Lock lock(c.mu);
        SimTagGroup* g = nullptr;
        if (!group_id.empty()) {
            auto gi = c.tag_groups.find(group_id);
            if (gi == c.tag_groups.end()) return c.Err(e::kInvalidTagId, "invalid tagid " + group_id);
            g = &gi->second;
        } else {
            if (group_name.empty()) return c.Err(e::kInvalidParameter, "group_id and group_name are both empty");
            for (auto& [id, existing] : c.tag_groups) {
                if (existing.group_name == group_name) g = &existing;
            }
        }
        std::set<std::string> names;
        for (const auto& t : *it) {
            if (!t.is_object() || Str(t, "name").empty()) return c.Err(e::kInvalidParameter, "tag name missing");
            std::string name = Str(t, "name");
            if (!names.insert(name).second) return c.Err(e::kTagNameExists, "UserTag Name Already Exist");
            if (g != nullptr) {
                for (const auto& tid : g->tag_ids) {
                    if (c.tags.at(tid).name == name) return c.Err(e::kTagNameExists, "UserTag Name Already Exist");
                }
            }
        }
        int64_t now = c.NowSeconds();
        if (g == nullptr) {
            SimTagGroup ng;
            ng.group_id = c.NewId("et", 32);
            ng.group_name = group_name;
            ng.create_time = now;
            ng.order = Int(body, "order", 0);
            c.tag_group_order.push_back(ng.group_id);
            g = &(c.tag_groups[ng.group_id] = std::move(ng));
        }
        Json added = Json::array();
        for (const auto& t : *it) {
            SimTag tag;
            tag.id = c.NewId("et", 32);
            tag.name = Str(t, "name");
            tag.group_id = g->group_id;
            tag.create_time = now;
            tag.order = Int(t, "order", 0);
            g->tag_ids.push_back(tag.id);
            added.push_back({{"id", tag.id}, {"name", tag.name}, {"create_time", now}, {"order", tag.order}});
            c.tags[tag.id] = std::move(tag);
        }
        return SimCore::Ok({{"tag_group",
                             {{"group_id", g->group_id}, {"group_name", g->group_name},
                              {"create_time", g->create_time}, {"order", g->order}, {"tag", std::move(added)}}}});
    });

    api.Add("POST", "externalcontact/edit_corp_tag", [&c](http::Request&, const Json& body) {
        std::string id = Str(body, "id");
        if (id.empty()) return c.Err(e::kInvalidParameter, "id missing");
        Lock lock(c.mu);
        if (auto t = c.tags.find(id); t != c.tags.end()) {
            if (body.contains("name")) t->second.name = Str(body, "name");
            if (body.contains("order")) t->second.order = Int(body, "order", 0);
            return SimCore::Ok();
        }
        if (auto g = c.tag_groups.find(id); g != c.tag_groups.end()) {
            if (body.contains("name")) g->second.group_name = Str(body, "name");
            if (body.contains("order")) g->second.order = Int(body, "order", 0);
            return SimCore::Ok();
        }
        return c.Err(e::kInvalidTagId, "invalid tagid " + id);
    });

    api.Add("POST", "externalcontact/del_corp_tag", [&c](http::Request&, const Json& body) {
        auto tag_ids = Strings(body, "tag_id");
        auto group_ids = Strings(body, "group_id");
        if (!tag_ids || !group_ids) return c.Err(e::kInvalidParameter, "invalid tag_id or group_id list");
        if (tag_ids->empty() && group_ids->empty()) return c.Err(e::kInvalidParameter, "tag_id and group_id missing");
        Lock lock(c.mu);
        for (const auto& id : *tag_ids) {
            if (!c.tags.count(id)) return c.Err(e::kInvalidTagId, "invalid tagid " + id);
        }
        for (const auto& id : *group_ids) {
            if (!c.tag_groups.count(id)) return c.Err(e::kInvalidTagId, "invalid tagid " + id);
        }
        std::set<std::string> doomed(tag_ids->begin(), tag_ids->end());
        for (const auto& gid : *group_ids) {
            for (const auto& tid : c.tag_groups.at(gid).tag_ids) doomed.insert(tid);
        }
        for (const auto& tid : doomed) {
            SimTagGroup& g = c.tag_groups.at(c.tags.at(tid).group_id);
            std::erase(g.tag_ids, tid);
            c.tags.erase(tid);
        }
        // A group without tags is gone too, as in WeCom.
        for (auto it = c.tag_group_order.begin(); it != c.tag_group_order.end();) {
            if (c.tag_groups.at(*it).tag_ids.empty()) {
                c.tag_groups.erase(*it);
                it = c.tag_group_order.erase(it);
            } else {
                ++it;
            }
        }
        for (auto& [ext, contact] : c.contacts) {
            for (auto& f : contact.follow_user) {
                std::erase_if(f.tag_ids, [&](const std::string& id) { return doomed.count(id) > 0; });
            }
        }
        return SimCore::Ok();
    });

    api.Add("POST", "externalcontact/add_contact_way", [&c](http::Request&, const Json& body) {
        Lock lock(c.mu);
        SimContactWay w;
        if (auto err = ApplyWay(c, body, &w, true)) return c.Err(*err);
        w.config_id = c.NewId("", 32);
        w.qr_code = c.options.base_url + "/qr/" + w.config_id;
        Json out{{"config_id", w.config_id}};
        if (w.scene == 2) out["qr_code"] = w.qr_code;
        c.contact_ways[w.config_id] = std::move(w);
        return SimCore::Ok(std::move(out));
    });

    api.Add("POST", "externalcontact/get_contact_way", [&c](http::Request&, const Json& body) {
        std::string id = Str(body, "config_id");
        if (id.empty()) return c.Err(e::kInvalidParameter, "config_id missing");
        Lock lock(c.mu);
        auto it = c.contact_ways.find(id);
        if (it == c.contact_ways.end()) return c.Err(e::kInvalidParameter, "invalid config_id");
        return SimCore::Ok({{"contact_way", WayJson(it->second)}});
    });

    api.Add("POST", "externalcontact/list_contact_way", [&c](http::Request&, const Json& body) {
        int64_t limit = Int(body, "limit", 100);
        if (limit < 1 || limit > 1000) return c.Err(e::kInvalidParameter, "invalid limit, 1 to 1000");
        auto offset = FromCursor(Str(body, "cursor"));
        if (!offset) return c.Err(e::kInvalidParameter, "invalid cursor");
        Lock lock(c.mu);
        Json list = Json::array();
        size_t i = 0;
        for (const auto& [id, w] : c.contact_ways) {
            if (i++ < *offset) continue;
            if (static_cast<int64_t>(list.size()) == limit) break;
            list.push_back({{"config_id", id}});
        }
        bool more = *offset + list.size() < c.contact_ways.size();
        return SimCore::Ok({{"contact_way", std::move(list)}, {"next_cursor", more ? Cursor(*offset + limit) : ""}});
    });

    api.Add("POST", "externalcontact/update_contact_way", [&c](http::Request&, const Json& body) {
        std::string id = Str(body, "config_id");
        if (id.empty()) return c.Err(e::kInvalidParameter, "config_id missing");
        Lock lock(c.mu);
        auto it = c.contact_ways.find(id);
        if (it == c.contact_ways.end()) return c.Err(e::kInvalidParameter, "invalid config_id");
        SimContactWay updated = it->second;
        if (auto err = ApplyWay(c, body, &updated, false)) return c.Err(*err);
        it->second = std::move(updated);
        return SimCore::Ok();
    });

    api.Add("POST", "externalcontact/del_contact_way", [&c](http::Request&, const Json& body) {
        std::string id = Str(body, "config_id");
        if (id.empty()) return c.Err(e::kInvalidParameter, "config_id missing");
        Lock lock(c.mu);
        if (c.contact_ways.erase(id) == 0) return c.Err(e::kInvalidParameter, "invalid config_id");
        return SimCore::Ok();
    });

    api.Add("POST", "externalcontact/send_welcome_msg", [&c](http::Request&, const Json& body) {
        std::string code = Str(body, "welcome_code");
        if (code.empty()) return c.Err(e::kInvalidParameter, "welcome_code missing");
        bool has_content = body.contains("text") || (body.contains("attachments") && !body["attachments"].empty());
        if (!has_content) return c.Err(e::kInvalidParameter, "text and attachments are both empty");
        Lock lock(c.mu);
        int64_t now = c.NowMs();
        auto it = c.welcome_codes.find(code);
        auto reject = [&](int errcode, const std::string& why) {
            Json r{{"at_ms", now}, {"welcome_code", code}, {"errcode", errcode}, {"reason", why}};
            if (it != c.welcome_codes.end()) {
                r["issued_at_ms"] = it->second.issued_at_ms;
                r["delay_ms"] = now - it->second.issued_at_ms;
            }
            c.welcome_rejected.push_back(std::move(r));
            return c.Err(errcode, errcode == e::kWelcomeCodeUsed ? "externaluser has started chatting, " + why : why);
        };
        if (it == c.welcome_codes.end()) return reject(e::kInvalidParameter, "invalid welcome_code");
        if (it->second.used) return reject(e::kWelcomeCodeUsed, "welcome_code already used");
        if (now - it->second.issued_at_ms > SimCore::kWelcomeWindowMs) {
            return reject(e::kWelcomeCodeUsed, "welcome_code expired after 20 seconds");
        }
        it->second.used = true;
        Json sent{{"welcome_code", code},
                  {"userid", it->second.userid},
                  {"external_userid", it->second.external_userid},
                  {"issued_at_ms", it->second.issued_at_ms},
                  {"sent_at_ms", now},
                  {"delay_ms", now - it->second.issued_at_ms}};
        if (body.contains("text")) sent["text"] = body["text"];
        if (body.contains("attachments")) sent["attachments"] = body["attachments"];
        c.welcome_sent.push_back(std::move(sent));
        return SimCore::Ok();
    });

    api.Add("POST", "externalcontact/groupchat/list", [&c](http::Request&, const Json& body) {
        int64_t limit = Int(body, "limit", 0);
        if (limit < 1 || limit > 1000) return c.Err(e::kInvalidParameter, "invalid limit, 1 to 1000");
        auto offset = FromCursor(Str(body, "cursor"));
        if (!offset) return c.Err(e::kInvalidParameter, "invalid cursor");
        std::vector<std::string> owners;
        if (body.contains("owner_filter") && body["owner_filter"].is_object()) {
            auto list = Strings(body["owner_filter"], "userid_list");
            if (!list) return c.Err(e::kInvalidParameter, "invalid owner_filter");
            owners = *list;
        }
        Lock lock(c.mu);
        Json list = Json::array();
        size_t i = 0;
        bool more = false;
        for (const auto& cid : c.group_order) {
            const SimGroup& g = c.groups.at(cid);
            if (g.dismissed) continue;
            if (!owners.empty() && !std::count(owners.begin(), owners.end(), g.owner)) continue;
            if (i++ < *offset) continue;
            if (static_cast<int64_t>(list.size()) == limit) {
                more = true;
                break;
            }
            list.push_back({{"chat_id", cid}, {"status", 0}});
        }
        return SimCore::Ok({{"group_chat_list", std::move(list)}, {"next_cursor", more ? Cursor(*offset + limit) : ""}});
    });

    api.Add("POST", "externalcontact/groupchat/get", [&c](http::Request&, const Json& body) {
        std::string id = Str(body, "chat_id");
        if (id.empty()) return c.Err(e::kInvalidParameter, "chat_id missing");
        bool need_name = Int(body, "need_name", 0) != 0;
        Lock lock(c.mu);
        auto it = c.groups.find(id);
        if (it == c.groups.end() || it->second.dismissed) return c.Err(e::kInvalidChatId, "chatid not exist");
        const SimGroup& g = it->second;
        Json members = Json::array();
        for (const auto& m : g.members) {
            Json j{{"userid", m.userid}, {"type", m.type}, {"join_time", m.join_time}, {"join_scene", m.join_scene}};
            if (!m.invitor.empty()) j["invitor"] = {{"userid", m.invitor}};
            j["group_nickname"] = "";
            if (need_name) {
                if (m.type == 1) {
                    SimStaff* s = c.FindStaff(m.userid);
                    j["name"] = s ? s->name : m.userid;
                } else {
                    SimContact* contact = c.FindContact(m.userid);
                    j["name"] = contact ? contact->name : "";
                }
            }
            if (m.type == 2) {
                SimContact* contact = c.FindContact(m.userid);
                if (contact) j["unionid"] = contact->unionid;
            }
            members.push_back(std::move(j));
        }
        Json admins = Json::array();
        for (const auto& a : g.admin_list) admins.push_back({{"userid", a}});
        return SimCore::Ok({{"group_chat",
                             {{"chat_id", g.chat_id},
                              {"name", g.name},
                              {"owner", g.owner},
                              {"create_time", g.create_time},
                              {"notice", g.notice},
                              {"member_list", std::move(members)},
                              {"admin_list", std::move(admins)},
                              {"member_version", g.MemberVersion()}}}});
    });

    api.Add("POST", "externalcontact/add_msg_template", [&c](http::Request&, const Json& body) {
        Lock lock(c.mu);
        SimTemplate t;
        if (auto err = PlanTemplate(c, body, &t)) return c.Err(*err);
        if (t.recipients.empty()) {
            return c.Err(e::kNoAvailableCustomer, "no available customer");
        }
        t.msgid = c.NewId("msg", 32);
        t.request = body;
        t.create_time = c.NowSeconds();
        Json out{{"fail_list", t.fail_list}, {"msgid", t.msgid}};
        c.template_order.push_back(t.msgid);
        c.templates[t.msgid] = std::move(t);
        return SimCore::Ok(std::move(out));
    });

    api.Add("POST", "externalcontact/get_groupmsg_send_result", [&c](http::Request&, const Json& body) {
        std::string msgid = Str(body, "msgid"), userid = Str(body, "userid");
        if (msgid.empty()) return c.Err(e::kInvalidParameter, "msgid missing");
        int64_t limit = Int(body, "limit", 500);
        if (limit < 1 || limit > 1000) return c.Err(e::kInvalidParameter, "invalid limit, 1 to 1000");
        auto offset = FromCursor(Str(body, "cursor"));
        if (!offset) return c.Err(e::kInvalidParameter, "invalid cursor");
        Lock lock(c.mu);
        auto it = c.templates.find(msgid);
        if (it == c.templates.end()) return c.Err(e::kInvalidParameter, "invalid msgid");
        Json list = Json::array();
        size_t i = 0;
        bool more = false;
        for (const auto& r : it->second.recipients) {
            if (!userid.empty() && r.userid != userid) continue;
            if (i++ < *offset) continue;
            if (static_cast<int64_t>(list.size()) == limit) {
                more = true;
                break;
            }
            Json j;
            if (!r.external_userid.empty()) j["external_userid"] = r.external_userid;
            if (!r.chat_id.empty()) j["chat_id"] = r.chat_id;
            j["userid"] = r.userid;
            j["status"] = r.status;
            if (r.status == 1) j["send_time"] = r.send_time;
            list.push_back(std::move(j));
        }
        return SimCore::Ok({{"send_list", std::move(list)}, {"next_cursor", more ? Cursor(*offset + limit) : ""}});
    });

    auto transfer = [&c](std::string kind) {
        return [&c, kind](http::Request&, const Json& body) {
            std::string handover = Str(body, "handover_userid"), takeover = Str(body, "takeover_userid");
            auto exts = Strings(body, "external_userid");
            if (handover.empty() || takeover.empty()) {
                return c.Err(e::kInvalidParameter, "handover_userid or takeover_userid missing");
            }
            if (!exts || exts->empty()) return c.Err(e::kInvalidParameter, "external_userid missing");
            if (exts->size() > 100) return c.Err(e::kInvalidParameter, "more than 100 external_userid");
            if (handover == takeover) return c.Err(e::kInvalidParameter, "handover_userid equals takeover_userid");
            Lock lock(c.mu);
            SimStaff* from = c.FindStaff(handover);
            SimStaff* to = c.FindStaff(takeover);
            if (from == nullptr) return c.Err(e::kInvalidUserid, "invalid handover_userid");
            if (to == nullptr || to->status == 5) return c.Err(e::kInvalidUserid, "invalid takeover_userid");
            if (kind == "resigned" && from->status != 5) return c.Err(e::kNotResigned, "handover user is not resigned");
            if (kind == "onjob" && from->status == 5) return c.Err(e::kInvalidUserid, "handover user has resigned");
            return SimCore::Ok({{"customer", TransferCustomers(c, kind, handover, takeover, *exts)}});
        };
    };
    api.Add("POST", "externalcontact/transfer_customer", transfer("onjob"));
    api.Add("POST", "externalcontact/resigned/transfer_customer", transfer("resigned"));

    auto transfer_result = [&c](std::string kind) {
        return [&c, kind](http::Request&, const Json& body) {
            std::string handover = Str(body, "handover_userid"), takeover = Str(body, "takeover_userid");
            if (handover.empty() || takeover.empty()) {
                return c.Err(e::kInvalidParameter, "handover_userid or takeover_userid missing");
            }
            auto offset = FromCursor(Str(body, "cursor"));
            if (!offset) return c.Err(e::kInvalidParameter, "invalid cursor");
            constexpr size_t kPage = 1000;
            Lock lock(c.mu);
            Json list = Json::array();
            size_t i = 0;
            bool more = false;
            for (const auto& t : c.transfers) {
                if (t.kind != kind || t.handover_userid != handover || t.takeover_userid != takeover) continue;
                if (i++ < *offset) continue;
                if (list.size() == kPage) {
                    more = true;
                    break;
                }
                list.push_back({{"external_userid", t.external_userid}, {"status", t.status},
                                {"takeover_time", t.takeover_time}});
            }
            return SimCore::Ok({{"customer", std::move(list)}, {"next_cursor", more ? Cursor(*offset + kPage) : ""}});
        };
    };
    api.Add("POST", "externalcontact/transfer_result", transfer_result("onjob"));
    api.Add("POST", "externalcontact/resigned/transfer_result", transfer_result("resigned"));

    auto group_transfer = [core](std::string kind) {
        return [core, kind](http::Request&, const Json& body) {
            SimCore& c = *core;
            auto chats = Strings(body, "chat_id_list");
            std::string owner = Str(body, "new_owner");
            if (!chats || chats->empty()) return c.Err(e::kInvalidParameter, "chat_id_list missing");
            if (chats->size() > 100) return c.Err(e::kInvalidParameter, "chat_id_list longer than 100");
            if (owner.empty()) return c.Err(e::kInvalidParameter, "new_owner missing");
            std::vector<Pending> pending;
            Json failed = Json::array();
            {
                Lock lock(c.mu);
                SimStaff* s = c.FindStaff(owner);
                if (s == nullptr || s->status == 5) return c.Err(e::kInvalidUserid, "invalid new_owner");
                for (const auto& cid : *chats) {
                    auto it = c.groups.find(cid);
                    if (it == c.groups.end() || it->second.dismissed) {
                        failed.push_back({{"chat_id", cid}, {"errcode", e::kInvalidChatId}, {"errmsg", "chatid not exist"}});
                        continue;
                    }
                    SimGroup& g = it->second;
                    std::string old_owner = g.owner;
                    g.owner = owner;
                    bool member = std::any_of(g.members.begin(), g.members.end(),
                                              [&](const SimGroupMember& m) { return m.userid == owner; });
                    if (!member) g.members.push_back({owner, 1, c.NowSeconds(), 1, old_owner});
                    g.version += 1;
                    c.group_transfers.push_back({{"kind", kind}, {"chat_id", cid}, {"old_owner", old_owner},
                                                 {"new_owner", owner}, {"at_ms", c.NowMs()}});
                    pending.push_back({"change_external_chat", "update",
                                       c.EventXml("change_external_chat", "update",
                                                  {{"ChatId", cid}, {"UpdateDetail", "change_owner"}})});
                }
            }
            DeliverAll(core, pending);
            return SimCore::Ok({{"failed_chat_list", std::move(failed)}});
        };
    };
    api.Add("POST", "externalcontact/groupchat/transfer", group_transfer("resigned"));
    api.Add("POST", "externalcontact/groupchat/onjob_transfer", group_transfer("onjob"));
}

}  // namespace siyu::cli
