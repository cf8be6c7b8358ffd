#include "channels/wecom/api_client.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <condition_variable>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include "base/crypto.h"
#include "channels/http_client.h"
#include "channels/outbox.h"

namespace siyu::channels::wecom {
namespace {

constexpr const char* kDefaultBaseUrl = "https://qyapi.weixin.qq.com";
constexpr int64_t kLogRowsPerTenant = 10'000;
constexpr auto kMaxRateWait = std::chrono::seconds(30);

const char* AppName(App app) { return app == App::kContact ? "contact" : "agent"; }

std::string UrlEncode(std::string_view s) {
    static const char* kHex = "0123456789ABCDEF";
    std::string out;
    for (unsigned char c : s) {
        if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
            out.push_back(static_cast<char>(c));
        } else {
            out.push_back('%');
            out.push_back(kHex[c >> 4]);
            out.push_back(kHex[c & 15]);
        }
    }
    return out;
}

bool TokenInvalid(int errcode) { return errcode == 40014 || errcode == 42001 || errcode == 40082; }
bool Busy(int errcode) { return errcode == -1 || errcode == 45009; }

double Jitter() {
    thread_local std::mt19937_64 rng{std::random_device{}()};
    return std::uniform_real_distribution<double>(0.5, 1.0)(rng);
}

std::string BaseUrl(const CorpCredentials& creds) {
    std::string base = creds.base_url.empty() ? kDefaultBaseUrl : creds.base_url;
    while (!base.empty() && base.back() == '/') base.pop_back();
    return base;
}

// What WeCom answered: the JSON object, or why there is none.
struct Answer {
    Json json;
    int errcode = 0;
    std::string errmsg;
    Status transport;  // not OK: no usable answer
};

}  // namespace

struct ApiClient::Impl {
    CredentialsFn credentials;
    ApiClientOptions options;

    struct TokenSlot {
        std::string token;
        TimeMs expires_at = 0;
        std::string creds_key;  // hash of what the token was issued for
        bool refreshing = false;
        uint64_t generation = 0;
        Status last_status;
    };
    struct Bucket {
        double tokens = 0;
        std::chrono::steady_clock::time_point last;
    };

    std::mutex mu;
    std::condition_variable token_cv;
    std::map<std::pair<int64_t, App>, TokenSlot> tokens;
    std::map<std::string, Bucket> buckets;  // per corp id

    std::mutex log_mu;
    std::condition_variable log_cv;
    std::vector<ApiCallRecord> pending_log;
    bool stopping = false;
    std::thread flusher;
    std::mutex flush_mu;  // one flush at a time

    // --- rate limit ----------------------------------------------------------------------

    Status Acquire(const std::string& corp_id) {
        int rate = options.rate_limit_per_second;
        if (rate <= 0) return Status::Ok();
        std::chrono::steady_clock::duration wait{};
        {
            std::lock_guard lock(mu);
            auto now = std::chrono::steady_clock::now();
            auto [it, fresh] = buckets.try_emplace(corp_id);
            Bucket& b = it->second;
            if (fresh) {
                b.tokens = rate;
                b.last = now;
            }
            double elapsed = std::chrono::duration<double>(now - b.last).count();
            b.tokens = std::min<double>(rate, b.tokens + elapsed * rate);
            b.last = now;
            if (b.tokens < 1) {
                wait = std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                    std::chrono::duration<double>((1 - b.tokens) / rate));
                if (wait > kMaxRateWait) {
                    return Status::Unavailable("WeCom rate limit: more than 30 s of calls queued for corp " + corp_id);
                }
            }
            b.tokens -= 1;  // a reservation: later callers wait behind it
        }
        if (wait.count() > 0) std::this_thread::sleep_for(wait);
        return Status::Ok();
    }

    // --- one HTTP exchange -----------------------------------------------------------------

    Answer Exchange(int64_t tenant_id, App app, const CorpCredentials& creds, std::string_view path,
                    const std::string& query, const Json* body) {
        Answer answer;
        if (Status st = Acquire(creds.corp_id); !st.ok()) {
            answer.transport = st;
            return answer;
        }
        HttpRequest req;
        req.url = BaseUrl(creds) + std::string(path) + "?" + query;
        req.timeout_ms = options.timeout_ms;
        if (body != nullptr) {
            req.method = "POST";
            req.body = body->dump();
            req.headers.emplace_back("Content-Type", "application/json");
        }
        auto started = std::chrono::steady_clock::now();
        auto resp = HttpFetch(req);
        int64_t ms =
            std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count();
        if (!resp.ok()) {
            answer.transport = resp.status();
        } else if (resp->status < 200 || resp->status >= 300) {
            answer.transport = Status::Unavailable("WeCom answered HTTP " + std::to_string(resp->status) + " to " +
                                                   std::string(path));
        } else {
            answer.json = Json::parse(resp->body, nullptr, false);
            if (!answer.json.is_object()) {
                answer.transport = Status::Unavailable("WeCom answered " + std::string(path) + " with a non-JSON body");
            } else {
                const auto& code = answer.json["errcode"];
                answer.errcode = code.is_number_integer() ? code.get<int>() : 0;
                const auto& msg = answer.json["errmsg"];
                answer.errmsg = msg.is_string() ? msg.get<std::string>() : "";
            }
        }
        Record(tenant_id, app, path, answer, ms);
        return answer;
    }

    void Record(int64_t tenant_id, App app, std::string_view path, const Answer& answer, int64_t ms) {
        ApiCallRecord r;
        r.tenant_id = tenant_id;
        r.at = NowMs();
        r.app = AppName(app);
        r.path = std::string(path);
        r.ms = ms;
        if (answer.transport.ok()) {
            r.errcode = answer.errcode;
            r.errmsg = answer.errmsg;
        } else {
            r.errmsg = answer.transport.message();
        }
        if (!answer.transport.ok()) {
            spdlog::warn("wecom api: tenant={} app={} path={} failed after {} ms: {}", tenant_id, r.app, r.path, ms,
                         r.errmsg);
        } else if (answer.errcode != 0) {
            spdlog::info("wecom api: tenant={} app={} path={} errcode={} errmsg={} ms={}", tenant_id, r.app, r.path,
                         answer.errcode, answer.errmsg, ms);
        } else {
            spdlog::debug("wecom api: tenant={} app={} path={} errcode=0 ms={}", tenant_id, r.app, r.path, ms);
        }
        if (options.log_db == nullptr) return;
        std::lock_guard lock(log_mu);
        pending_log.push_back(std::move(r));
    }

    // --- tokens ----------------------------------------------------------------------------

    Result<std::string> FetchToken(int64_t tenant_id, App app, const CorpCredentials& creds) {
        const std::string& secret = app == App::kContact ? creds.contact_secret : creds.agent_secret;
        if (secret.empty()) {
            return Status::FailedPrecondition(std::string("the WeCom ") +
                                              (app == App::kContact ? "customer-contact" : "application") +
                                              " secret is not configured");
        }
        std::string query = "corpid=" + UrlEncode(creds.corp_id) + "&corpsecret=" + UrlEncode(secret);
        Answer a = Exchange(tenant_id, app, creds, "/cgi-bin/gettoken", query, nullptr);
        if (!a.transport.ok()) return a.transport;
        if (a.errcode != 0) {
            return Status::Upstream("WeCom errcode " + std::to_string(a.errcode) + ": " + a.errmsg);
        }
        const auto& token = a.json["access_token"];
        if (!token.is_string() || token.get<std::string>().empty()) {
            return Status::Unavailable("WeCom gettoken answered without an access_token");
        }
        int64_t expires_in = a.json.value("expires_in", 7200);
        TimeMs margin = std::min<int64_t>(300, expires_in / 5) * 1000;
        std::lock_guard lock(mu);
        auto& slot = tokens[{tenant_id, app}];
        slot.expires_at = NowMs() + expires_in * 1000 - margin;
        return token.get<std::string>();
    }

    // A valid token for (tenant, app): the cached one, or one fetched by this caller while
    // concurrent callers wait for it.
    Result<std::string> Token(int64_t tenant_id, App app, const CorpCredentials& creds) {
        std::string key = Sha256Hex(creds.corp_id + '\n' + creds.contact_secret + '\n' + creds.agent_secret + '\n' +
                                    BaseUrl(creds));
        std::unique_lock lock(mu);
        auto& slot = tokens[{tenant_id, app}];
        while (true) {
            if (slot.creds_key == key && !slot.token.empty() && NowMs() < slot.expires_at) return slot.token;
            if (!slot.refreshing) break;
            uint64_t generation = slot.generation;
            token_cv.wait(lock, [&] { return !slot.refreshing; });
            if (slot.generation != generation && slot.creds_key == key && !slot.last_status.ok()) {
                return slot.last_status;  // the refresh this caller waited for failed
            }
        }
        slot.refreshing = true;
        lock.unlock();
        auto fetched = FetchToken(tenant_id, app, creds);
        lock.lock();
        slot.refreshing = false;
        ++slot.generation;
        slot.creds_key = key;
        if (fetched.ok()) {
            slot.token = *fetched;
            slot.last_status = Status::Ok();
        } else {
            slot.token.clear();
            slot.last_status = fetched.status();
        }
        token_cv.notify_all();
        return fetched;
    }

    void DropToken(int64_t tenant_id, App app, const std::string& token) {
        std::lock_guard lock(mu);
        auto it = tokens.find({tenant_id, app});
        if (it != tokens.end() && it->second.token == token) it->second.token.clear();
    }

    // --- call log ----------------------------------------------------------------------------

    void Flush() {
        std::lock_guard flush_lock(flush_mu);
        std::vector<ApiCallRecord> batch;
        {
            std::lock_guard lock(log_mu);
            batch.swap(pending_log);
        }
        if (batch.empty() || options.log_db == nullptr) return;
        Status st = options.log_db->Write([&](store::Connection& c) -> Status {
            std::set<int64_t> tenants;
            SIYU_ASSIGN_OR_RETURN(auto ins, c.Prepare("INSERT INTO wecom_api_calls(tenant_id, at, app, path, errcode, "
                                                      "errmsg, ms) VALUES (?,?,?,?,?,?,?)"));
            for (const auto& r : batch) {
                ins.Bind(1, r.tenant_id).Bind(2, r.at).Bind(3, r.app).Bind(4, r.path);
                if (r.errcode) {
                    ins.Bind(5, static_cast<int64_t>(*r.errcode));
                } else {
                    ins.BindNull(5);
                }
                SIYU_RETURN_IF_ERROR(ins.Bind(6, r.errmsg).Bind(7, r.ms).Run());
                tenants.insert(r.tenant_id);
            }
            SIYU_ASSIGN_OR_RETURN(auto trim, c.Prepare("DELETE FROM wecom_api_calls WHERE tenant_id = ?1 AND id <= "
                                                       "(SELECT id FROM wecom_api_calls WHERE tenant_id = ?1 "
                                                       "ORDER BY id DESC LIMIT 1 OFFSET ?2)"));
            for (int64_t t : tenants) SIYU_RETURN_IF_ERROR(trim.Bind(1, t).Bind(2, kLogRowsPerTenant).Run());
            return Status::Ok();
        });
        if (!st.ok()) spdlog::warn("wecom api: writing {} call log rows: {}", batch.size(), st.ToString());
    }

    void FlushLoop() {
        std::unique_lock lock(log_mu);
        while (!stopping) {
            log_cv.wait_for(lock, std::chrono::seconds(1), [&] { return stopping; });
            lock.unlock();
            Flush();
            lock.lock();
        }
    }
};

ApiClient::ApiClient(CredentialsFn credentials, ApiClientOptions options) : impl_(std::make_unique<Impl>()) {
    impl_->credentials = std::move(credentials);
    impl_->options = options;
    impl_->options.max_attempts = std::max(1, options.max_attempts);
    if (impl_->options.log_db != nullptr) impl_->flusher = std::thread([this] { impl_->FlushLoop(); });
}

ApiClient::~ApiClient() {
    {
        std::lock_guard lock(impl_->log_mu);
        impl_->stopping = true;
    }
    impl_->log_cv.notify_all();
    if (impl_->flusher.joinable()) impl_->flusher.join();
    impl_->Flush();
}

Result<Json> ApiClient::Call(int64_t tenant_id, App app, std::string_view path, const Json* body,
                             const std::vector<std::pair<std::string, std::string>>& query) {
    if (path.empty() || path.front() != '/') return Status::InvalidArgument("path", "must start with /");
    SIYU_ASSIGN_OR_RETURN(CorpCredentials creds, impl_->credentials(tenant_id));
    std::string extra;
    for (const auto& [k, v] : query) extra += "&" + UrlEncode(k) + "=" + UrlEncode(v);
    bool refreshed = false;
    int busy_attempts = 0;
    while (true) {
        SIYU_ASSIGN_OR_RETURN(std::string token, impl_->Token(tenant_id, app, creds));
        Answer a = impl_->Exchange(tenant_id, app, creds, path, "access_token=" + UrlEncode(token) + extra, body);
        if (!a.transport.ok()) return a.transport;
        if (a.errcode == 0) return std::move(a.json);
        if (TokenInvalid(a.errcode) && !refreshed) {
            impl_->DropToken(tenant_id, app, token);
            refreshed = true;
            continue;
        }
        if (Busy(a.errcode) && ++busy_attempts < impl_->options.max_attempts) {
            double delay = impl_->options.backoff_base_ms;
            for (int i = 1; i < busy_attempts; ++i) delay *= 2;
            std::this_thread::sleep_for(std::chrono::milliseconds(static_cast<int64_t>(delay * Jitter())));
            continue;
        }
        return Status::Upstream("WeCom errcode " + std::to_string(a.errcode) + ": " + a.errmsg);
    }
}

void ApiClient::Forget(int64_t tenant_id) {
    std::lock_guard lock(impl_->mu);
    for (auto& [key, slot] : impl_->tokens) {
        if (key.first == tenant_id) {
            slot.token.clear();
            slot.creds_key.clear();
        }
    }
}

Result<std::vector<ApiCallRecord>> ApiClient::Calls(int64_t tenant_id, std::optional<int64_t> before_id, int limit) {
    std::vector<ApiCallRecord> out;
    if (impl_->options.log_db == nullptr) return out;
    impl_->Flush();
    SIYU_RETURN_IF_ERROR(impl_->options.log_db->Read([&](store::Connection& c) -> Status {
        SIYU_ASSIGN_OR_RETURN(auto s, c.Prepare("SELECT id, at, app, path, errcode, errmsg, ms FROM wecom_api_calls "
                                                "WHERE tenant_id = ? AND id < ? ORDER BY id DESC LIMIT ?"));
        s.Bind(1, tenant_id).Bind(2, before_id.value_or(INT64_MAX)).Bind(3, static_cast<int64_t>(limit));
        return s.ForEachRow([&] {
            ApiCallRecord r;
            r.id = s.Int(0);
            r.tenant_id = tenant_id;
            r.at = s.Int(1);
            r.app = s.Text(2);
            r.path = s.Text(3);
            if (auto e = s.OptInt(4)) r.errcode = static_cast<int>(*e);
            r.errmsg = s.Text(5);
            r.ms = s.Int(6);
            out.push_back(std::move(r));
        });
    }));
    return out;
}

int WecomErrcode(const Status& status) {
    constexpr std::string_view kPrefix = "WeCom errcode ";
    if (status.code() != StatusCode::kUpstream) return 0;
    std::string_view m = status.message();
    if (!m.starts_with(kPrefix)) return 0;
    m.remove_prefix(kPrefix.size());
    auto end = m.find(':');
    if (end == std::string_view::npos) return 0;
    try {
        return std::stoi(std::string(m.substr(0, end)));
    } catch (const std::exception&) {
        return 0;
    }
}

void RegisterWecomApiKind(Outbox& outbox, ApiClient& client) {
    outbox.Register("wecom.api", [&client](const OutboxMessage& m) -> Delivery {
        const Json& p = m.payload;
        std::string app = p.value("app", std::string("contact"));
        if (app != "contact" && app != "agent") return Delivery::Fail("app must be contact or agent");
        const auto& path = p["path"];
        if (!path.is_string()) return Delivery::Fail("path must be a string");
        std::vector<std::pair<std::string, std::string>> query;
        if (p.contains("query") && p["query"].is_object()) {
            for (const auto& [k, v] : p["query"].items()) {
                query.emplace_back(k, v.is_string() ? v.get<std::string>() : v.dump());
            }
        }
        const Json* body = p.contains("body") && !p["body"].is_null() ? &p["body"] : nullptr;
        auto r = client.Call(m.tenant_id, app == "agent" ? App::kAgent : App::kContact, path.get<std::string>(), body,
                             query);
        if (r.ok()) return Delivery::Done(std::move(r).value());
        int errcode = WecomErrcode(r.status());
        if (r.status().code() == StatusCode::kUnavailable || errcode == -1 || errcode == 45009) {
            return Delivery::Retry(r.status().message());
        }
        return Delivery::Fail(r.status().message());
    });
}

}  // namespace siyu::channels::wecom
