#include "cli/wecom_sim.h"

#include <chrono>
#include <cstdio>

#include "base/crypto.h"
#include "base/logging.h"
#include "base/strings.h"
#include "cli/wecom_sim_core.h"
#include "http/router.h"
#include "http/server.h"

namespace siyu::cli {

SimFollow* SimContact::Follow(const std::string& userid) {
    for (auto& f : follow_user) {
        if (f.userid == userid) return &f;
    }
    return nullptr;
}

std::string SimGroup::MemberVersion() const {
    // WeCom's member version is an opaque 32-character hex string that changes with the members.
    std::string digest = Sha256Hex(chat_id + ":" + std::to_string(version));
    return digest.substr(0, 32);
}

Json CallbackOutcome::ToJson() const {
    Json j;
    j["id"] = id;
    j["sent"] = sent;
    j["status"] = status;
    j["body"] = body;
    if (!error.empty()) j["error"] = error;
    return j;
}

std::string CData(std::string_view s) {
    std::string out = "<![CDATA[";
    size_t pos = 0;
    while (true) {
        size_t end = s.find("]]>", pos);
        if (end == std::string_view::npos) break;
        out.append(s.substr(pos, end + 2 - pos));
        out += "]]><![CDATA[";
        pos = end + 2;
    }
    out.append(s.substr(pos));
    out += "]]>";
    return out;
}

http::Response SimBadRequest(std::string_view field, std::string_view message) {
    return http::Response::Json(400, http::ErrorBody("invalid_argument", message, field, ""));
}
http::Response SimNotFound(std::string_view message) {
    return http::Response::Json(404, http::ErrorBody("not_found", message, "", ""));
}
http::Response SimConflict(std::string_view message) {
    return http::Response::Json(409, http::ErrorBody("failed_precondition", message, "", ""));
}

SimCore::SimCore(WecomSimOptions opts, SimTransport transport, SimClock clock)
    : options(std::move(opts)), transport_(std::move(transport)), clock_(std::move(clock)) {
    if (!transport_) transport_ = channels::HttpFetch;
    if (!clock_) {
        clock_ = [] {
            return std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                .count();
        };
    }
    std::lock_guard lock(mu);
    ResetLocked();
}

int64_t SimCore::NowMs() const { return clock_() + clock_offset_ms.load(); }

std::string SimCore::NewId(std::string_view prefix, size_t length) {
    static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    std::string out(prefix);
    while (out.size() < length) out.push_back(kAlphabet[rng() % 64]);
    return out;
}

http::Response SimCore::Ok(Json fields) {
    Json body;
    body["errcode"] = 0;
    body["errmsg"] = "ok";
    for (auto& [k, v] : fields.items()) body[k] = std::move(v);
    return http::Response::Json(200, body.dump());
}

http::Response SimCore::Err(int errcode, std::string_view errmsg) {
    int64_t n = ++hint_counter;
    char hint[96];
    std::snprintf(hint, sizeof hint, "%lld_%lld_%08llx", static_cast<long long>(NowSeconds()),
                  static_cast<long long>(n), static_cast<unsigned long long>(n * 2654435761ULL) & 0xffffffffULL);
    Json body;
    body["errcode"] = errcode;
    body["errmsg"] = std::string(errmsg) + ", hint: [" + hint +
                     "], from ip: 127.0.0.1, more info at https://open.work.weixin.qq.com/devtool/query?e=" +
                     std::to_string(errcode);
    return http::Response::Json(200, body.dump());
}

std::string SimCore::EventXml(std::string_view event, std::string_view change_type,
                              const std::vector<std::pair<std::string, std::string>>& fields) const {
    std::string xml = "<xml><ToUserName>" + CData(options.corp_id) + "</ToUserName><FromUserName>" + CData("sys") +
                      "</FromUserName><CreateTime>" + std::to_string(NowSeconds()) + "</CreateTime><MsgType>" +
                      CData("event") + "</MsgType><Event>" + CData(event) + "</Event><ChangeType>" +
                      CData(change_type) + "</ChangeType>";
    for (const auto& [name, value] : fields) {
        // WeCom writes these counts and scenes as bare numbers, and MemChangeList holds <Item>s.
        bool raw = name == "JoinScene" || name == "QuitScene" || name == "MemChangeCnt" || name == "MemChangeList";
        xml += "<" + name + ">" + (raw ? value : CData(value)) + "</" + name + ">";
    }
    xml += "</xml>";
    return xml;
}

Result<channels::HttpRequest> SimCore::BuildCallbackRequest(const std::string& plaintext) {
    std::lock_guard lock(mu);
    if (options.callback_url.empty()) {
        return Status::FailedPrecondition("no callback_url: pass --callback-url or POST /sim/config");
    }
    if (!crypt) return Status::FailedPrecondition("callback encryption unavailable: " + crypt_error);
    auto encrypted = crypt->Encrypt(plaintext);
    if (!encrypted.ok()) return Status::Internal("encrypt: " + encrypted.failure.message);
    std::string timestamp = std::to_string(NowSeconds());
    std::string nonce = std::to_string(1'000'000'000 + rng() % 9'000'000'000ULL);
    std::string signature = crypt->Signature(timestamp, nonce, encrypted.value);
    channels::HttpRequest req;
    req.method = "POST";
    std::string sep = options.callback_url.find('?') == std::string::npos ? "?" : "&";
    req.url = options.callback_url + sep + "msg_signature=" + signature + "&timestamp=" + timestamp +
              "&nonce=" + nonce;
    req.headers.emplace_back("Content-Type", "text/xml");
    req.body = "<xml><ToUserName>" + CData(options.corp_id) + "</ToUserName><Encrypt>" + CData(encrypted.value) +
               "</Encrypt><AgentID>" + CData(std::to_string(options.agent_id)) + "</AgentID></xml>";
    req.timeout_ms = 5000;  // WeCom gives up on an answer after 5 s
    return req;
}

CallbackOutcome SimCore::Deliver(std::string_view event, std::string_view change_type, const std::string& plaintext) {
    CallbackOutcome out;
    SimCallback record;
    record.event = event;
    record.change_type = change_type;
    record.plaintext = plaintext;
    record.at_ms = NowMs();
    auto request = BuildCallbackRequest(plaintext);
    if (!request.ok()) {
        out.error = request.status().message();
    } else {
        record.url = request.value().url;
        record.body = request.value().body;
        auto answer = transport_(request.value());
        out.sent = true;
        if (answer.ok()) {
            out.status = answer.value().status;
            out.body = answer.value().body;
        } else {
            out.error = answer.status().message();
        }
    }
    record.status = out.status;
    record.answer = out.body.substr(0, 2000);
    record.error = out.error;
    std::lock_guard lock(mu);
    record.id = next_callback_id++;
    out.id = record.id;
    callbacks.push_back(std::move(record));
    while (callbacks.size() > kCallbackLogSize) callbacks.pop_front();
    return out;
}

SimStaff* SimCore::FindStaff(const std::string& userid) {
    auto it = staff.find(userid);
    return it == staff.end() ? nullptr : &it->second;
}

SimContact* SimCore::FindContact(const std::string& external_userid) {
    auto it = contacts.find(external_userid);
    return it == contacts.end() ? nullptr : &it->second;
}

void SimCore::RecordCall(const std::string& path, int errcode) {
    auto& c = call_counts[path];
    c.first += 1;
    if (errcode != 0) c.second += 1;
    Json entry;
    entry["at_ms"] = NowMs();
    entry["path"] = path;
    entry["errcode"] = errcode;
    call_log.push_back(std::move(entry));
    while (call_log.size() > kCallLogSize) call_log.pop_front();
}

SimCore::AddResult SimCore::AddFollow(const std::string& userid, const Json& who, const std::string& state,
                                      int add_way) {
    AddResult r;
    std::string ext = who.value("external_userid", "");
    std::string unionid = who.value("unionid", "");
    if (ext.empty() && !unionid.empty()) {
        auto it = by_unionid.find(unionid);
        if (it != by_unionid.end()) ext = it->second;
    }
    if (ext.empty()) ext = NewId("wm", 32);
    auto [it, created] = contacts.try_emplace(ext);
    SimContact& c = it->second;
    if (created) {
        c.external_userid = ext;
        c.unionid = unionid.empty() ? NewId("o", 28) : unionid;
        c.name = who.value("name", "客户" + ext.substr(ext.size() - 6));
        c.avatar = who.value("avatar", "http://wx.qlogo.cn/mmhead/" + NewId("", 24) + "/0");
        c.gender = who.value("gender", 0);
        contact_order.push_back(ext);
        by_unionid[c.unionid] = ext;
    }
    r.external_userid = ext;
    if (c.Follow(userid) != nullptr) {
        r.already_following = true;
        return r;
    }
    SimFollow f;
    f.userid = userid;
    f.createtime = NowSeconds();
    f.add_way = add_way;
    f.state = state;
    f.oper_userid = ext;  // the customer initiated the add
    c.follow_user.push_back(std::move(f));
    SimWelcomeCode code;
    code.code = NewId("", 43);
    code.userid = userid;
    code.external_userid = ext;
    code.issued_at_ms = NowMs();
    r.welcome_code = code.code;
    welcome_codes[code.code] = std::move(code);
    return r;
}

void SimCore::Reset() {
    std::lock_guard lock(mu);
    ResetLocked();
}

void SimCore::ResetLocked() {
    rng.seed(options.seed);
    auto made = channels::wecom::MsgCrypt::Create(options.token, options.aes_key, options.corp_id);
    if (made.ok()) {
        crypt = std::move(made.value);
        crypt_error.clear();
    } else {
        crypt.reset();
        crypt_error = made.failure.message;
    }
    tokens.clear();
    faults.clear();
    staff.clear();
    departments.clear();
    departments[1] = SimDepartment{1, "思域模拟企业", 0, 100000000};
    contacts.clear();
    contact_order.clear();
    by_unionid.clear();
    tags.clear();
    tag_groups.clear();
    tag_group_order.clear();
    contact_ways.clear();
    groups.clear();
    group_order.clear();
    welcome_codes.clear();
    welcome_sent = Json::array();
    welcome_rejected = Json::array();
    mark_tag_calls = Json::array();
    templates.clear();
    template_order.clear();
    transfers.clear();
    group_transfers = Json::array();
    call_counts.clear();
    call_log.clear();
    callbacks.clear();
    rate_window = 0;
    rate_count = 0;
}

namespace {

Json FollowJson(const SimCore& core, const SimFollow& f) {
    Json j;
    j["userid"] = f.userid;
    j["remark"] = f.remark;
    j["description"] = f.description;
    j["createtime"] = f.createtime;
    Json tags = Json::array();
    for (const auto& id : f.tag_ids) {
        auto it = core.tags.find(id);
        if (it == core.tags.end()) continue;
        auto g = core.tag_groups.find(it->second.group_id);
        tags.push_back({{"group_name", g == core.tag_groups.end() ? "" : g->second.group_name},
                        {"tag_name", it->second.name},
                        {"tag_id", id},
                        {"type", 1}});
    }
    j["tags"] = std::move(tags);
    j["add_way"] = f.add_way;
    j["state"] = f.state;
    j["oper_userid"] = f.oper_userid;
    return j;
}

}  // namespace

Json SimCore::StateJson(bool full) {
    Json s;
    s["corp_id"] = options.corp_id;
    s["agent_id"] = options.agent_id;
    s["callback_url"] = options.callback_url;
    s["token_ttl_seconds"] = options.token_ttl_seconds;
    s["rate_limit"] = options.rate_limit;
    s["clock_offset_ms"] = clock_offset_ms.load();
    s["now_ms"] = NowMs();
    Json counts = Json::object();
    for (const auto& [path, c] : call_counts) counts[path] = {{"calls", c.first}, {"errors", c.second}};
    s["call_counts"] = std::move(counts);
    s["contact_count"] = contacts.size();
    s["welcome_sent_count"] = welcome_sent.size();
    s["mark_tag_count"] = mark_tag_calls.size();
    s["callback_count"] = next_callback_id - 1;
    Json fl = Json::array();
    for (const auto& [path, list] : faults) {
        for (const auto& f : list) fl.push_back({{"path", path}, {"errcode", f.errcode}, {"remaining", f.remaining}});
    }
    s["faults"] = std::move(fl);
    if (!full) return s;

    Json st = Json::array();
    for (const auto& [id, p] : staff) {
        st.push_back({{"userid", p.userid}, {"name", p.name}, {"department", p.department}, {"mobile", p.mobile},
                      {"status", p.status}});
    }
    s["staff"] = std::move(st);
    Json deps = Json::array();
    for (const auto& [id, d] : departments) {
        deps.push_back({{"id", d.id}, {"name", d.name}, {"parentid", d.parentid}, {"order", d.order}});
    }
    s["departments"] = std::move(deps);
    Json cs = Json::array();
    for (const auto& ext : contact_order) {
        const SimContact& c = contacts.at(ext);
        Json follows = Json::array();
        for (const auto& f : c.follow_user) follows.push_back(FollowJson(*this, f));
        cs.push_back({{"external_userid", c.external_userid}, {"name", c.name}, {"unionid", c.unionid},
                      {"follow_user", std::move(follows)}});
    }
    s["contacts"] = std::move(cs);
    Json tg = Json::array();
    for (const auto& gid : tag_group_order) {
        const SimTagGroup& g = tag_groups.at(gid);
        Json tl = Json::array();
        for (const auto& tid : g.tag_ids) tl.push_back({{"id", tid}, {"name", tags.at(tid).name}});
        tg.push_back({{"group_id", g.group_id}, {"group_name", g.group_name}, {"tag", std::move(tl)}});
    }
    s["tag_groups"] = std::move(tg);
    Json ways = Json::array();
    for (const auto& [id, w] : contact_ways) {
        ways.push_back({{"config_id", w.config_id}, {"type", w.type}, {"scene", w.scene}, {"state", w.state},
                        {"skip_verify", w.skip_verify}, {"user", w.user}, {"party", w.party}, {"remark", w.remark},
                        {"qr_code", w.qr_code}});
    }
    s["contact_ways"] = std::move(ways);
    Json gs = Json::array();
    for (const auto& cid : group_order) {
        const SimGroup& g = groups.at(cid);
        Json members = Json::array();
        for (const auto& m : g.members) {
            members.push_back({{"userid", m.userid}, {"type", m.type}, {"join_time", m.join_time},
                               {"join_scene", m.join_scene}, {"invitor", m.invitor}});
        }
        gs.push_back({{"chat_id", g.chat_id}, {"name", g.name}, {"owner", g.owner}, {"dismissed", g.dismissed},
                      {"member_limit", g.member_limit}, {"members", std::move(members)}});
    }
    s["groups"] = std::move(gs);
    Json codes = Json::array();
    for (const auto& [code, w] : welcome_codes) {
        codes.push_back({{"welcome_code", w.code}, {"userid", w.userid}, {"external_userid", w.external_userid},
                         {"issued_at_ms", w.issued_at_ms}, {"used", w.used}});
    }
    s["welcome_codes"] = std::move(codes);
    s["welcome_sent"] = welcome_sent;
    s["welcome_rejected"] = welcome_rejected;
    s["mark_tag_calls"] = mark_tag_calls;
    Json tl = Json::array();
    for (const auto& id : template_order) {
        const SimTemplate& t = templates.at(id);
        Json rec = Json::array();
        for (const auto& r : t.recipients) {
            rec.push_back({{"external_userid", r.external_userid}, {"userid", r.userid}, {"chat_id", r.chat_id},
                           {"status", r.status}, {"send_time", r.send_time}});
        }
        tl.push_back({{"msgid", t.msgid}, {"sender", t.sender}, {"chat_type", t.chat_type},
                      {"create_time", t.create_time}, {"request", t.request}, {"fail_list", t.fail_list},
                      {"recipients", std::move(rec)}});
    }
    s["templates"] = std::move(tl);
    Json tr = Json::array();
    for (const auto& t : transfers) {
        tr.push_back({{"kind", t.kind}, {"handover_userid", t.handover_userid},
                      {"takeover_userid", t.takeover_userid}, {"external_userid", t.external_userid},
                      {"status", t.status}, {"created_at", t.created_at}, {"takeover_time", t.takeover_time}});
    }
    s["transfers"] = std::move(tr);
    s["group_transfers"] = group_transfers;
    Json log = Json::array();
    for (const auto& e : call_log) log.push_back(e);
    s["call_log"] = std::move(log);
    Json cbs = Json::array();
    for (const auto& c : callbacks) {
        cbs.push_back({{"id", c.id}, {"event", c.event}, {"change_type", c.change_type}, {"at_ms", c.at_ms},
                       {"status", c.status}, {"answer", c.answer}, {"error", c.error}, {"plaintext", c.plaintext}});
    }
    s["callbacks"] = std::move(cbs);
    return s;
}

WecomSim::WecomSim(WecomSimOptions options, SimTransport transport, SimClock clock)
    : core_(std::make_unique<SimCore>(std::move(options), std::move(transport), std::move(clock))),
      router_(std::make_unique<http::Router>()) {
    AddApiRoutes(core_.get(), router_.get());
    AddControlRoutes(core_.get(), router_.get());
}

WecomSim::~WecomSim() = default;

void WecomSim::SetBaseUrl(std::string base_url) {
    std::lock_guard lock(core_->mu);
    core_->options.base_url = std::move(base_url);
}

http::Response WecomSim::Handle(http::Request& request) {
    const http::Route* route = nullptr;
    std::string allowed;
    switch (router_->Match(request, &route, &allowed)) {
        case http::Router::MatchResult::kNotFound:
            if (request.path.rfind("/cgi-bin/", 0) == 0) {
                // WeCom answers an unknown API path with an errcode, not a 404.
                return core_->Err(48001, "api unauthorized");
            }
            return SimNotFound("no such path: " + request.path);
        case http::Router::MatchResult::kMethodNotAllowed: {
            auto r = http::Response::Json(405, http::ErrorBody("method_not_allowed", "allowed: " + allowed, "", ""));
            r.SetHeader("Allow", allowed);
            return r;
        }
        case http::Router::MatchResult::kFound:
            break;
    }
    try {
        http::Response r = route->handler(request);
        r.route = route->spec.pattern;
        return r;
    } catch (const nlohmann::json::type_error& e) {
        // body.value(key, default) with a value of another type: the caller's mistake.
        return http::Response::Json(
            400, http::ErrorBody("invalid_argument", std::string("a field of the body has the wrong type: ") + e.what(),
                                 "", ""));
    } catch (const std::exception& e) {
        return http::Response::Json(500, http::ErrorBody("internal", e.what(), "", ""));
    }
}

void AddWecomSimCommand(CLI::App& app, WecomSimFlags* flags) {
    auto* cmd = app.add_subcommand("wecom-sim", "Run the WeCom simulator (docs/wecom-simulator.md)");
    flags->command = cmd;
    WecomSimOptions& o = flags->options;
    cmd->add_option("--host", flags->host, "address to listen on");
    cmd->add_option("--port", flags->port, "port to listen on (0: pick a free one)");
    cmd->add_option("--threads", flags->threads, "I/O threads")->check(CLI::Range(1, 64));
    cmd->add_option("--corp-id", o.corp_id, "CorpID");
    cmd->add_option("--contact-secret", o.contact_secret, "secret of the customer-contact (客户联系) app");
    cmd->add_option("--agent-secret", o.agent_secret, "secret of the self-built app");
    cmd->add_option("--agent-id", o.agent_id, "AgentID of the self-built app");
    cmd->add_option("--token", o.token, "callback Token");
    cmd->add_option("--aes-key", o.aes_key, "callback EncodingAESKey (43 characters)");
    cmd->add_option("--callback-url", o.callback_url, "siyu's /wecom/callback/{tenant_id} URL");
    cmd->add_option("--token-ttl-seconds", o.token_ttl_seconds, "access_token lifetime")->check(CLI::Range(1, 86400));
    cmd->add_option("--rate-limit", o.rate_limit, "API calls per second per corp before errcode 45009")
        ->check(CLI::Range(1, 100'000'000));
    cmd->add_option("--seed", o.seed, "seed of the id generator");
}

int RunWecomSim(const WecomSimFlags& flags) {
    auto probe = channels::wecom::MsgCrypt::Create(flags.options.token, flags.options.aes_key, flags.options.corp_id);
    if (!probe.ok()) {
        std::fprintf(stderr, "siyu wecom-sim: --aes-key: %s\n", probe.failure.message.c_str());
        return 1;
    }
    WecomSim sim(flags.options);
    http::ServerOptions options{.host = flags.host, .port = flags.port, .threads = flags.threads,
                                .body_limit = 4 << 20, .shutdown_grace_ms = 2000};
    http::Server server(options, [&sim](http::Request& req) { return sim.Handle(req); });
    int port = 0;
    Status started = server.Start(&port);
    if (!started.ok()) {
        std::fprintf(stderr, "siyu wecom-sim: %s\n", started.message().c_str());
        return 1;
    }
    std::string base = "http://" + flags.host + ":" + std::to_string(port);
    sim.SetBaseUrl(base);
    std::printf("wecom-sim listening on %s\n", base.c_str());
    std::fflush(stdout);
    server.Wait();
    return 0;
}

}  // namespace siyu::cli
