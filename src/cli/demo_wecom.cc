#include "cli/demo_wecom.h"
#include "cli/demo_rng.h"

#include <spdlog/spdlog.h>

#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <thread>
#include <vector>

#include "base/time.h"
#include "channels/http_client.h"
#include "cli/wecom_sim.h"
#include "http/server.h"

namespace siyu::cli {

namespace {

using Json = nlohmann::json;

constexpr char kKeyName[] = "demo WeCom driver";
constexpr char kPosterCode[] = "门店海报";
constexpr char kEventCode[] = "新品体验活动";
constexpr int kApiTimeoutMs = 15'000;  // creating a live code waits up to 3 s for WeCom

// The demo's WeCom staff: the demo's console users with a WeCom account, and guides of other
// stores who have none.
struct DemoStaff {
    const char* userid;
    const char* name;
    int64_t department;
    const char* position;
    const char* store_code;  // nullptr: no store
    const char* email;       // the linked console user; nullptr: none
    bool guide;              // in the poster's pool
};
const DemoStaff kStaff[] = {
    {"xuqiang", "许强", 2, "华东区域经理", nullptr, "manager.east@demo.siyu.local", false},
    {"wangli", "王丽", 2, "静安店长", "SH-JA", "manager.sh@demo.siyu.local", false},
    {"liting", "李婷", 2, "导购", "SH-JA", "guide.sh@demo.siyu.local", true},
    {"chenjing", "陈静", 2, "导购", "SH-XH", nullptr, true},
    {"wuxinyi", "吴欣怡", 2, "导购", "HZ-XH", nullptr, true},
    {"zhaolei", "赵磊", 3, "导购", "BJ-SLT", "guide.bj@demo.siyu.local", true},
    {"sunhaoran", "孙浩然", 3, "导购", "BJ-WJ", nullptr, true},
};

struct DemoGroup {
    const char* owner;
    const char* name;
    const char* notice;
};
const DemoGroup kGroups[] = {
    {"liting", "静安会员福利群", "每周三会员日，群内专享福利"},
    {"zhaolei", "三里屯新品体验群", "新品体验名额在群里优先发布"},
};

const char* const kSurnames[] = {"王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱",
                                 "胡", "郭", "何", "高", "林", "罗", "郑", "梁", "谢", "宋", "唐", "许", "韩", "冯"};
const char* const kGivenFemale[] = {"芳",   "娜",   "静",   "婷",   "雪",   "琳",   "欣怡", "雨桐", "梓涵",
                                    "思琪", "佳怡", "诗涵", "可馨", "晓燕", "美玲", "梦瑶", "子萱", "若曦"};
const char* const kGivenMale[] = {"伟",   "强",   "磊",   "洋",   "杰",   "涛",   "浩然", "子轩", "宇航",
                                  "俊杰", "志强", "明辉", "文博", "天宇", "嘉豪", "一鸣", "思远"};

using Rng = DemoRng;

std::string Base36(uint64_t v) {
    const char* digits = "0123456789abcdefghijklmnopqrstuvwxyz";
    std::string out;
    do {
        out.insert(out.begin(), digits[v % 36]);
        v /= 36;
    } while (v > 0);
    return out;
}

// One JSON-over-HTTP peer: siyu's API (with a bearer key) or the simulator (without).
class JsonPeer {
  public:
    JsonPeer(std::string base_url, std::string bearer) : base_url_(std::move(base_url)), bearer_(std::move(bearer)) {}

    // Answers the parsed body of a 2xx answer (null when empty); any other status is an error
    // naming the method, path, status and the start of the body.
    Result<Json> Call(const std::string& method, const std::string& path, const Json* body = nullptr) const {
        channels::HttpRequest req;
        req.method = method;
        req.url = base_url_ + path;
        req.timeout_ms = kApiTimeoutMs;
        if (!bearer_.empty()) req.headers.emplace_back("Authorization", "Bearer " + bearer_);
        if (body) {
            req.headers.emplace_back("Content-Type", "application/json");
            req.body = body->dump();
        }
        SIYU_ASSIGN_OR_RETURN(auto resp, channels::HttpFetch(req));
        if (resp.status < 200 || resp.status >= 300) {
            return Status::Upstream(method + " " + path + " answered " + std::to_string(resp.status) + ": " +
                                    resp.body.substr(0, 300));
        }
        if (resp.body.empty()) return Json();
        Json parsed = Json::parse(resp.body, nullptr, false);
        if (parsed.is_discarded()) return Status::Upstream(method + " " + path + " answered no JSON");
        return parsed;
    }
    Result<Json> Post(const std::string& path, const Json& body) const { return Call("POST", path, &body); }

  private:
    std::string base_url_;
    std::string bearer_;
};

struct Contact {
    std::string external_userid;
    std::string userid;
};

struct LiveCodeRef {
    int64_t id = 0;
    std::string key;
    std::vector<std::string> pool;  // userids
};

}  // namespace

class DemoWecomImpl {
  public:
    explicit DemoWecomImpl(DemoWecomOptions options)
        : options_(std::move(options)), rng_(options_.seed), run_tag_(Base36(NowMs())) {}

    // Serves the simulator; answers false (having logged why) when it cannot.
    bool StartSimulator() {
        std::string siyu = "http://" + options_.siyu_host + ":" + std::to_string(options_.siyu_port);
        WecomSimOptions sim_options;
        sim_options.callback_url = siyu + "/wecom/callback/" + std::to_string(options_.tenant_id);
        // The simulator's ids must not repeat those of an earlier run, which siyu still holds.
        sim_options.seed = static_cast<uint64_t>(NowMs());
        sim_options_ = sim_options;
        sim_ = std::make_unique<WecomSim>(sim_options);
        http::ServerOptions server_options{
            .host = "127.0.0.1", .port = 0, .threads = 2, .body_limit = 4 << 20, .shutdown_grace_ms = 2000};
        sim_server_ =
            std::make_unique<http::Server>(server_options, [this](http::Request& req) { return sim_->Handle(req); });
        int port = 0;
        Status started = sim_server_->Start(&port);
        if (!started.ok()) {
            spdlog::warn("demo WeCom: cannot serve the simulator: {}", started.message());
            sim_server_.reset();
            return false;
        }
        sim_url_ = "http://127.0.0.1:" + std::to_string(port);
        sim_->SetBaseUrl(sim_url_);
        siyu_url_ = siyu;
        std::printf("demo WeCom simulator: %s\n", sim_url_.c_str());
        std::fflush(stdout);
        return true;
    }

    // Creates this run's bearer key (on the caller's thread: `accounts` is not kept), then
    // starts the driver thread.
    void StartDriver(auth::Accounts* accounts) {
        auto key = CreateKey(accounts);
        if (!key.ok()) {
            spdlog::warn("demo WeCom: cannot create the API key: {}", key.status().message());
            return;
        }
        key_ = std::move(key.value());
        thread_ = std::thread([this] { Run(); });
    }

    void Stop() {
        {
            std::lock_guard lock(mu_);
            stopping_ = true;
        }
        cv_.notify_all();
        if (thread_.joinable()) thread_.join();
        if (sim_server_) {
            sim_server_->Stop();
            sim_server_->Wait();
            sim_server_.reset();
        }
    }

  private:
    // Sleeps up to `ms`; answers false when stopping.
    bool Pause(int ms) {
        std::unique_lock lock(mu_);
        return !cv_.wait_for(lock, std::chrono::milliseconds(ms), [this] { return stopping_; });
    }

    void Run() {
        Status set_up = SetUp();
        if (!set_up.ok()) {
            spdlog::warn("demo WeCom: {}; the demo runs without WeCom customers arriving", set_up.message());
            return;
        }
        spdlog::info("demo WeCom: tenant {} connected to the simulator at {}", options_.tenant_id, sim_url_);
        if (options_.interval_ms <= 0) return;
        int failures = 0;
        while (Pause(options_.interval_ms)) {
            Status ticked = Tick();
            if (ticked.ok()) {
                failures = 0;
            } else if (++failures <= 3 || failures % 100 == 0) {
                spdlog::warn("demo WeCom: {}", ticked.message());
            }
        }
    }

    // A bearer key for this run, revoking the key of an earlier one.
    Result<std::string> CreateKey(auth::Accounts* accounts) {
        auth::Actor actor{"system", std::nullopt, "demo", ""};
        SIYU_ASSIGN_OR_RETURN(auto keys, accounts->ListApiKeys(options_.tenant_id));
        for (const auto& k : keys) {
            if (k.name == kKeyName && !k.revoked_at) {
                SIYU_RETURN_IF_ERROR(accounts->RevokeApiKey(options_.tenant_id, k.id, actor));
            }
        }
        SIYU_ASSIGN_OR_RETURN(
            auto created, accounts->CreateApiKey(options_.tenant_id, kKeyName, "secret", auth::Role::kAdmin, actor));
        return created.second;
    }

    Status SetUp() {
        siyu_ = std::make_unique<JsonPeer>(siyu_url_, key_);
        sim_peer_ = std::make_unique<JsonPeer>(sim_url_, "");
        // The simulator's address changes every start.
        Json config = {{"corp_id", sim_options_.corp_id},
                       {"contact_secret", sim_options_.contact_secret},
                       {"agent_secret", sim_options_.agent_secret},
                       {"agent_id", sim_options_.agent_id},
                       {"token", sim_options_.token},
                       {"encoding_aes_key", sim_options_.aes_key},
                       {"api_base_url", sim_url_}};
        SIYU_RETURN_IF_ERROR(siyu_->Call("PUT", "/api/v1/wecom/config", &config).status());
        SIYU_RETURN_IF_ERROR(SeedStaff());
        SIYU_RETURN_IF_ERROR(siyu_->Post("/api/v1/wecom/staff/sync", Json::object()).status());
        SIYU_ASSIGN_OR_RETURN(Json staff, siyu_->Call("GET", "/api/v1/wecom/staff?limit=200"));
        for (const auto& s : staff["data"]) staff_ids_[s.value("userid", "")] = s.value("id", int64_t{0});
        SIYU_ASSIGN_OR_RETURN(Json codes, siyu_->Call("GET", "/api/v1/wecom/live-codes?limit=200"));
        for (const auto& c : codes["data"]) {
            std::string name = c.value("name", "");
            if (name == kPosterCode && !poster_.id) poster_ = CodeRef(c);
            if (name == kEventCode && !event_.id) event_ = CodeRef(c);
        }
        if (!poster_.id) {  // the first start: link the staff and create the live codes
            SIYU_RETURN_IF_ERROR(LinkStaff());
            SIYU_RETURN_IF_ERROR(CreateLiveCodes());
        }
        return SeedGroups();
    }

    Status SeedStaff() {
        SIYU_RETURN_IF_ERROR(sim_peer_->Post("/sim/departments", {{"id", 2}, {"name", "华东大区"}}).status());
        SIYU_RETURN_IF_ERROR(sim_peer_->Post("/sim/departments", {{"id", 3}, {"name", "华北大区"}}).status());
        int n = 0;
        for (const auto& s : kStaff) {
            char mobile[16];
            std::snprintf(mobile, sizeof(mobile), "1380021%04d", ++n);
            Json body = {{"userid", s.userid},           {"name", s.name},
                         {"department", {s.department}}, {"mobile", mobile},
                         {"position", s.position},       {"email", std::string(s.userid) + "@demo.siyu.local"}};
            SIYU_RETURN_IF_ERROR(sim_peer_->Post("/sim/staff", body).status());
        }
        return Status::Ok();
    }

    Status LinkStaff() {
        std::map<std::string, int64_t> stores, users;
        SIYU_ASSIGN_OR_RETURN(Json store_list, siyu_->Call("GET", "/api/v1/stores?kind=store&limit=200"));
        for (const auto& s : store_list["data"]) stores[s.value("code", "")] = s.value("id", int64_t{0});
        SIYU_ASSIGN_OR_RETURN(Json user_list, siyu_->Call("GET", "/api/v1/users?limit=200"));
        for (const auto& u : user_list["data"]) users[u.value("email", "")] = u.value("id", int64_t{0});
        for (const auto& s : kStaff) {
            auto staff = staff_ids_.find(s.userid);
            if (staff == staff_ids_.end())
                return Status::NotFound(std::string("staff ") + s.userid + " was not synced");
            Json patch = Json::object();
            if (s.store_code && stores.count(s.store_code)) patch["store_id"] = stores[s.store_code];
            if (s.email && users.count(s.email)) patch["user_id"] = users[s.email];
            if (patch.empty()) continue;
            // A link someone made by hand wins; the demo goes on without this one.
            Status linked =
                siyu_->Call("PATCH", "/api/v1/wecom/staff/" + std::to_string(staff->second), &patch).status();
            if (!linked.ok()) spdlog::warn("demo WeCom: staff {} not linked: {}", s.userid, linked.message());
        }
        return Status::Ok();
    }

    Status CreateLiveCodes() {
        Json tag_ids = Json::array();
        SIYU_ASSIGN_OR_RETURN(Json tags, siyu_->Call("GET", "/api/v1/tags?kind=manual"));
        for (const auto& t : tags["data"]) {
            if (t.value("name", "") == "企业微信") tag_ids.push_back(t.value("id", int64_t{0}));
        }
        Json guides = Json::array();
        for (const auto& s : kStaff) {
            if (s.guide) guides.push_back(staff_ids_[s.userid]);
        }
        Json poster = {
            {"name", kPosterCode},
            {"channel", "poster"},
            {"staff_ids", guides},
            {"assign_mode", "least_loaded"},
            {"daily_cap", 40},
            {"tag_ids", tag_ids},
            {"skip_verify", true},
            {"welcome", {{"text", "{name}您好！我是示例品牌的专属顾问，新人礼已为您准备好，到店出示即可领取～"}}}};
        SIYU_ASSIGN_OR_RETURN(Json created, siyu_->Post("/api/v1/wecom/live-codes", poster));
        poster_ = CodeRef(created);
        Json event = {{"name", kEventCode},
                      {"channel", "event"},
                      {"staff_ids", {staff_ids_["liting"], staff_ids_["zhaolei"]}},
                      {"assign_mode", "round_robin"},
                      {"skip_verify", true},
                      {"welcome", {{"text", "{name}您好，感谢报名新品体验活动！活动时间和地址稍后发给您。"}}}};
        SIYU_ASSIGN_OR_RETURN(created, siyu_->Post("/api/v1/wecom/live-codes", event));
        event_ = CodeRef(created);
        return Status::Ok();
    }

    // The groups live in the simulator's memory, so each start creates them again; the sync
    // then marks the groups of earlier runs, which WeCom no longer lists, dismissed.
    Status SeedGroups() {
        for (const auto& g : kGroups) {
            SIYU_ASSIGN_OR_RETURN(
                Json created,
                sim_peer_->Post("/sim/groups",
                                {{"owner", g.owner}, {"name", g.name}, {"notice", g.notice}, {"members", {"wangli"}}}));
            groups_.emplace_back(g.owner, created.value("chat_id", ""));
        }
        return siyu_->Post("/api/v1/wecom/groups/sync", Json::object()).status();
    }

    static LiveCodeRef CodeRef(const Json& code) {
        LiveCodeRef ref;
        ref.id = code.value("id", int64_t{0});
        ref.key = code.value("key", "");
        for (const auto& m : code["staff"]) ref.pool.push_back(m.value("userid", ""));
        return ref;
    }

    // One arrival: a customer scans a live code (the landing picks the staff member) and, most
    // of the time, adds that staff member; some join the staff member's group. Now and then a
    // customer of this run deletes their staff member.
    Status Tick() {
        ++ticks_;
        const LiveCodeRef& code = !event_.id || rng_.Chance(70) ? poster_ : event_;
        bool adds = rng_.Chance(85);
        bool female = rng_.Chance(65);
        std::string name =
            std::string(rng_.Pick(kSurnames)) + (female ? rng_.Pick(kGivenFemale) : rng_.Pick(kGivenMale));
        bool joins = rng_.Chance(35);
        bool loses = rng_.Chance(5);
        uint64_t lost_pick = rng_.Next();
        uint64_t pool_pick = rng_.Next();
        if (code.pool.empty())
            return Status::FailedPrecondition("live code " + std::to_string(code.id) + " has no staff");

        std::string userid;
        auto landing = siyu_->Call("GET", "/c/" + code.key + "?format=json");
        if (landing.ok()) userid = landing.value()["staff"].value("userid", "");
        if (userid.empty()) userid = code.pool[pool_pick % code.pool.size()];  // no ready QR code yet
        if (adds) {
            std::string serial = run_tag_ + std::to_string(ticks_);
            Json who = {{"userid", userid},
                        {"name", name},
                        {"external_userid", "wmDemo" + serial},
                        {"unionid", "o6_bmDemo" + serial},
                        {"gender", female ? 2 : 1},
                        {"add_way", 1},
                        {"state", "lc" + std::to_string(code.id)}};
            SIYU_ASSIGN_OR_RETURN(Json added, sim_peer_->Post("/sim/add-contact", who));
            Contact contact{added.value("external_userid", ""), userid};
            active_.push_back(contact);
            if (joins && !groups_.empty()) {
                std::string chat_id = groups_[pool_pick % groups_.size()].second;
                for (const auto& [owner, id] : groups_) {
                    if (owner == userid) chat_id = id;
                }
                SIYU_RETURN_IF_ERROR(sim_peer_
                                         ->Post("/sim/groups/" + chat_id + "/join",
                                                {{"external_userid", contact.external_userid}, {"join_scene", 3}})
                                         .status());
            }
        }
        if (loses && active_.size() > 3) {
            size_t i = lost_pick % active_.size();
            Contact lost = active_[i];
            active_.erase(active_.begin() + static_cast<std::ptrdiff_t>(i));
            SIYU_RETURN_IF_ERROR(
                sim_peer_->Post("/sim/contacts/" + lost.external_userid + "/delete-staff", {{"userid", lost.userid}})
                    .status());
        }
        return Status::Ok();
    }

    DemoWecomOptions options_;
    std::string key_;
    WecomSimOptions sim_options_;
    std::unique_ptr<WecomSim> sim_;
    std::unique_ptr<http::Server> sim_server_;
    std::string sim_url_, siyu_url_;
    std::thread thread_;

    std::mutex mu_;
    std::condition_variable cv_;
    bool stopping_ = false;  // guarded by mu_

    // The driver thread's own state.
    std::unique_ptr<JsonPeer> siyu_, sim_peer_;
    Rng rng_;
    std::string run_tag_;  // keeps this run's customer ids apart from earlier runs'
    int64_t ticks_ = 0;
    std::map<std::string, int64_t> staff_ids_;  // userid → staff id
    LiveCodeRef poster_, event_;
    std::vector<std::pair<std::string, std::string>> groups_;  // owner userid, chat id
    std::vector<Contact> active_;
};

bool DemoWecomOptionsFromEnv(DemoWecomOptions* options) {
    const char* enabled = std::getenv("SIYU_DEMO_WECOM");
    if (enabled && std::string(enabled) == "0") return false;
    if (const char* interval = std::getenv("SIYU_DEMO_WECOM_INTERVAL_MS"); interval && *interval) {
        char* end = nullptr;
        long ms = std::strtol(interval, &end, 10);
        if (end && *end == '\0' && ms >= 0 && ms <= 86'400'000) {
            options->interval_ms = static_cast<int>(ms);
        } else {
            spdlog::warn("SIYU_DEMO_WECOM_INTERVAL_MS={} is not 0 to 86400000 milliseconds; using {}", interval,
                         options->interval_ms);
        }
    }
    return true;
}

std::unique_ptr<DemoWecom> DemoWecom::Start(auth::Accounts* accounts, const DemoWecomOptions& options) {
    auto impl = std::make_unique<DemoWecomImpl>(options);
    if (!impl->StartSimulator()) return nullptr;
    impl->StartDriver(accounts);
    return std::unique_ptr<DemoWecom>(new DemoWecom(std::move(impl)));
}

DemoWecom::DemoWecom(std::unique_ptr<DemoWecomImpl> impl) : impl_(std::move(impl)) {}

DemoWecom::~DemoWecom() { Stop(); }

void DemoWecom::Stop() {
    if (impl_) impl_->Stop();
}

}  // namespace siyu::cli
