#include "channels/webhooks.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <spdlog/spdlog.h>

#include <condition_variable>
#include <map>
#include <mutex>
#include <thread>

#include "base/crypto.h"
#include "base/strings.h"
#include "channels/http_client.h"

namespace siyu::channels {
namespace {

constexpr size_t kMaxEvents = 100;
constexpr size_t kMaxEventName = 200;
constexpr size_t kMaxDescription = 500;
constexpr const char* kColumns = "id, tenant_id, url, events, description, active, created_at, updated_at";

WebhookSubscription ReadSubscription(store::Statement& s) {
    WebhookSubscription w;
    w.id = s.Int(0);
    w.tenant_id = s.Int(1);
    w.url = s.Text(2);
    Json events = Json::parse(s.Text(3), nullptr, false);
    if (events.is_array()) {
        for (const auto& e : events) {
            if (e.is_string()) w.events.push_back(e.get<std::string>());
        }
    }
    w.description = s.Text(4);
    w.active = s.Int(5) != 0;
    w.created_at = s.Int(6);
    w.updated_at = s.Int(7);
    return w;
}

Status ValidateInput(const WebhookInput& in, bool create) {
    if (create && !in.url) return Status::InvalidArgument("url", "is required");
    if (in.url) SIYU_RETURN_IF_ERROR(ValidateWebhookUrl(*in.url));
    if (create && !in.events) return Status::InvalidArgument("events", "is required");
    if (in.events) {
        if (in.events->empty()) return Status::InvalidArgument("events", "must name at least one event, or \"*\"");
        if (in.events->size() > kMaxEvents) return Status::InvalidArgument("events", "at most 100 entries");
        for (const auto& e : *in.events) {
            if (Trim(e).empty()) return Status::InvalidArgument("events", "entries must not be empty");
            if (e.size() > kMaxEventName) return Status::InvalidArgument("events", "entries of at most 200 characters");
        }
    }
    if (in.description && in.description->size() > kMaxDescription) {
        return Status::InvalidArgument("description", "at most 500 characters");
    }
    return Status::Ok();
}

std::string EventsJson(const std::vector<std::string>& events) {
    Json a = Json::array();
    for (const auto& e : events) a.push_back(e);
    return a.dump();
}

// What subscriptions match: the name of a track event, the type of any other.
std::string EventKey(const std::string& type, const std::string& name) { return type == "track" ? name : type; }

bool Matches(const std::vector<std::string>& events, const std::string& key) {
    for (const auto& e : events) {
        if (e == "*" || e == key) return true;
    }
    return false;
}

Result<int64_t> MaxEventId(store::Connection& c) {
    SIYU_ASSIGN_OR_RETURN(auto s, c.Prepare("SELECT coalesce(max(id), 0) FROM events"));
    SIYU_ASSIGN_OR_RETURN(bool row, s.Step());
    return row ? s.Int(0) : 0;
}

}  // namespace

Status ValidateWebhookUrl(const std::string& url) {
    if (url.size() > 2048) return Status::InvalidArgument("url", "at most 2,048 characters");
    std::string lower = ToLower(url);
    size_t scheme = 0;
    if (StartsWith(lower, "https://")) {
        scheme = 8;
    } else if (StartsWith(lower, "http://")) {
        scheme = 7;
    } else {
        return Status::InvalidArgument("url", "must be an http:// or https:// URL");
    }
    for (unsigned char ch : url) {
        if (ch <= 0x20 || ch == 0x7f) return Status::InvalidArgument("url", "must not contain spaces or control characters");
    }
    std::string_view rest = std::string_view(url).substr(scheme);
    std::string_view authority = rest.substr(0, rest.find_first_of("/?#"));
    if (auto at = authority.rfind('@'); at != std::string_view::npos) authority.remove_prefix(at + 1);
    std::string_view host = authority;
    if (!host.empty() && host.front() == '[') {
        host = host.substr(0, host.find(']') + 1);
    } else {
        host = host.substr(0, host.find(':'));
    }
    if (host.empty() || host == "[]") return Status::InvalidArgument("url", "must name a host");
    return Status::Ok();
}

std::string WebhookSignature(std::string_view secret, std::string_view timestamp, std::string_view body) {
    std::string message;
    message.reserve(timestamp.size() + 1 + body.size());
    message.append(timestamp).append(".").append(body);
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
         reinterpret_cast<const unsigned char*>(message.data()), message.size(), mac, &length);
    return "sha256=" + HexEncode(std::string_view(reinterpret_cast<const char*>(mac), length));
}

struct Webhooks::Impl {
    store::Database* db;
    Outbox* outbox;
    const SecretBox* secrets;
    WebhooksOptions options;

    std::mutex mu;
    std::condition_variable cv;
    bool stopping = false;
    std::thread follower;

    Result<WebhookSubscription> Load(store::Connection& c, int64_t tenant_id, int64_t id) {
        SIYU_ASSIGN_OR_RETURN(auto s, c.Prepare(std::string("SELECT ") + kColumns +
                                                " FROM webhook_subscriptions WHERE tenant_id = ? AND id = ?"));
        s.Bind(1, tenant_id).Bind(2, id);
        SIYU_ASSIGN_OR_RETURN(bool row, s.Step());
        if (!row) return Status::NotFound("no webhook subscription " + std::to_string(id));
        return ReadSubscription(s);
    }

    Result<std::string> Secret(store::Connection& c, int64_t tenant_id, int64_t id) {
        SIYU_ASSIGN_OR_RETURN(auto s, c.Prepare("SELECT secret_sealed FROM webhook_subscriptions WHERE tenant_id = ? "
                                                "AND id = ?"));
        s.Bind(1, tenant_id).Bind(2, id);
        SIYU_ASSIGN_OR_RETURN(bool row, s.Step());
        if (!row) return Status::NotFound("no webhook subscription " + std::to_string(id));
        return secrets->Open(s.Text(0));
    }

    // Delivers one message of kind "webhook": a signed POST of payload.body.
    Delivery Deliver(const OutboxMessage& m) {
        int64_t sub_id = m.payload.value("subscription_id", int64_t{0});
        std::optional<WebhookSubscription> sub;
        std::string secret;
        Status st = db->Read([&](store::Connection& c) -> Status {
            SIYU_ASSIGN_OR_RETURN(sub, Load(c, m.tenant_id, sub_id));
            SIYU_ASSIGN_OR_RETURN(secret, Secret(c, m.tenant_id, sub_id));
            return Status::Ok();
        });
        if (st.code() == StatusCode::kNotFound) return Delivery::Fail("subscription " + std::to_string(sub_id) + " was deleted");
        if (!st.ok()) return Delivery::Retry(st.message());
        if (!sub->active) return Delivery::Fail("subscription " + std::to_string(sub_id) + " is inactive");

        std::string body = m.payload["body"].dump();
        std::string timestamp = std::to_string(NowMs() / 1000);
        HttpRequest req;
        req.method = "POST";
        req.url = sub->url;
        req.body = body;
        req.timeout_ms = options.timeout_ms;
        req.headers = {{"Content-Type", "application/json"},
                       {"X-Siyu-Event", m.payload.value("event", std::string())},
                       {"X-Siyu-Delivery", std::to_string(m.id)},
                       {"X-Siyu-Timestamp", timestamp},
                       {"X-Siyu-Signature", WebhookSignature(secret, timestamp, body)}};
        auto started = std::chrono::steady_clock::now();
        auto resp = HttpFetch(req);
        int64_t ms =
            std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count();
        if (!resp.ok()) return Delivery::Retry(resp.status().message());
        int code = resp->status;
        if (code >= 200 && code < 300) return Delivery::Done(Json{{"http_status", code}, {"ms", ms}});
        std::string error = "the receiver answered HTTP " + std::to_string(code);
        if (!resp->body.empty()) error += ": " + resp->body.substr(0, 200);
        if (code == 408 || code == 429 || code >= 500) return Delivery::Retry(error);
        return Delivery::Fail(error);
    }

    // A delivery's payload: the event key and the JSON body sent.
    static Json Payload(int64_t subscription_id, const std::string& key, Json body) {
        return Json{{"subscription_id", subscription_id}, {"event", key}, {"body", std::move(body)}};
    }

    Result<int> FollowOnce() {
        // A read first, so an idle follower does not queue writes.
        bool work = false;
        SIYU_RETURN_IF_ERROR(db->Read([&](store::Connection& c) -> Status {
            SIYU_ASSIGN_OR_RETURN(auto s, c.Prepare("SELECT last_event_id FROM webhook_cursor WHERE id = 1"));
            SIYU_ASSIGN_OR_RETURN(bool row, s.Step());
            if (!row) return Status::Ok();
            int64_t cursor = s.Int(0);
            SIYU_ASSIGN_OR_RETURN(int64_t max_id, MaxEventId(c));
            work = max_id > cursor;
            return Status::Ok();
        }));
        if (!work) return 0;
        int enqueued = 0;
        SIYU_RETURN_IF_ERROR(db->Write([&](store::Connection& c) -> Status {
            enqueued = 0;
            SIYU_ASSIGN_OR_RETURN(auto cur, c.Prepare("SELECT last_event_id FROM webhook_cursor WHERE id = 1"));
            SIYU_ASSIGN_OR_RETURN(bool row, cur.Step());
            if (!row) return Status::Ok();
            int64_t cursor = cur.Int(0);
            cur.Reset();

            struct Sub {
                int64_t id;
                int64_t from_event_id;
                std::vector<std::string> events;
            };
            std::map<int64_t, std::vector<Sub>> subs;  // by tenant
            {
                SIYU_ASSIGN_OR_RETURN(auto s, c.Prepare("SELECT id, tenant_id, events, from_event_id FROM "
                                                        "webhook_subscriptions WHERE active = 1 ORDER BY id"));
                SIYU_RETURN_IF_ERROR(s.ForEachRow([&] {
                    Sub sub{s.Int(0), s.Int(3), {}};
                    Json events = Json::parse(s.Text(2), nullptr, false);
                    if (events.is_array()) {
                        for (const auto& e : events) {
                            if (e.is_string()) sub.events.push_back(e.get<std::string>());
                        }
                    }
                    subs[s.Int(1)].push_back(std::move(sub));
                }));
            }
            int64_t last = cursor;
            if (subs.empty()) {
                SIYU_ASSIGN_OR_RETURN(last, MaxEventId(c));
            } else {
                SIYU_ASSIGN_OR_RETURN(auto s, c.Prepare("SELECT id, tenant_id, customer_id, type, name, ts, properties "
                                                        "FROM events WHERE id > ? ORDER BY id LIMIT ?"));
                s.Bind(1, cursor).Bind(2, static_cast<int64_t>(options.batch));
                struct Event {
                    int64_t id, tenant_id, customer_id;
                    std::string type, name;
                    TimeMs ts;
                    std::string properties;
                };
                std::vector<Event> events;
                SIYU_RETURN_IF_ERROR(s.ForEachRow([&] {
                    events.push_back(
                        {s.Int(0), s.Int(1), s.Int(2), s.Text(3), s.Text(4), s.Int(5), s.Text(6)});
                }));
                for (const auto& e : events) {
                    last = e.id;
                    auto it = subs.find(e.tenant_id);
                    if (it == subs.end()) continue;
                    std::string key = EventKey(e.type, e.name);
                    for (const auto& sub : it->second) {
                        if (e.id <= sub.from_event_id || !Matches(sub.events, key)) continue;
                        Json properties = Json::parse(e.properties, nullptr, false);
                        if (properties.is_discarded()) properties = Json::object();
                        Json body = {{"id", e.id},
                                     {"type", e.type},
                                     {"name", e.name},
                                     {"customer_id", e.customer_id},
                                     {"timestamp", FormatRfc3339(e.ts)},
                                     {"properties", std::move(properties)},
                                     {"tenant_id", e.tenant_id},
                                     {"subscription_id", sub.id}};
                        EnqueueOptions eo;
                        eo.max_attempts = options.max_attempts;
                        eo.dedupe_key = "webhook-" + std::to_string(sub.id) + "-" + std::to_string(e.id);
                        SIYU_ASSIGN_OR_RETURN(auto id, outbox->Enqueue(c, e.tenant_id, "webhook",
                                                                       Payload(sub.id, key, std::move(body)), eo));
                        (void)id;
                        ++enqueued;
                    }
                }
            }
            SIYU_ASSIGN_OR_RETURN(auto up, c.Prepare("UPDATE webhook_cursor SET last_event_id = ? WHERE id = 1"));
            return up.Bind(1, last).Run();
        }));
        if (enqueued > 0) outbox->Wake();
        return enqueued;
    }

    void FollowLoop() {
        std::unique_lock lock(mu);
        while (!stopping) {
            lock.unlock();
            int enqueued = 0;
            auto r = FollowOnce();
            if (!r.ok()) {
                spdlog::error("webhooks: following events: {}", r.status().ToString());
            } else {
                enqueued = *r;
            }
            lock.lock();
            if (enqueued >= options.batch) continue;  // more may be waiting
            cv.wait_for(lock, std::chrono::milliseconds(options.poll_ms), [&] { return stopping; });
        }
    }
};

Webhooks::Webhooks(store::Database* db, Outbox* outbox, const SecretBox* secrets, WebhooksOptions options)
    : impl_(std::make_unique<Impl>()) {
    impl_->db = db;
    impl_->outbox = outbox;
    impl_->secrets = secrets;
    impl_->options = options;
    outbox->Register("webhook", [impl = impl_.get()](const OutboxMessage& m) { return impl->Deliver(m); });
}

Webhooks::~Webhooks() { Stop(); }

void Webhooks::Start() {
    std::lock_guard lock(impl_->mu);
    if (impl_->follower.joinable()) return;
    impl_->stopping = false;
    impl_->follower = std::thread([impl = impl_.get()] { impl->FollowLoop(); });
}

void Webhooks::Stop() {
    {
        std::lock_guard lock(impl_->mu);
        impl_->stopping = true;
    }
    impl_->cv.notify_all();
    if (impl_->follower.joinable()) impl_->follower.join();
}

Result<std::pair<WebhookSubscription, std::string>> Webhooks::Create(int64_t tenant_id, const WebhookInput& input,
                                                                     const WebhookAuditFn& audit) {
    SIYU_RETURN_IF_ERROR(ValidateInput(input, true));
    std::string secret = "whsec_" + RandomToken(32);
    std::string sealed = impl_->secrets->Seal(secret);
    WebhookSubscription sub;
    SIYU_RETURN_IF_ERROR(impl_->db->Write([&](store::Connection& c) -> Status {
        TimeMs now = NowMs();
        SIYU_ASSIGN_OR_RETURN(int64_t max_id, MaxEventId(c));
        SIYU_ASSIGN_OR_RETURN(auto cur,
                              c.Prepare("INSERT OR IGNORE INTO webhook_cursor(id, last_event_id) VALUES (1, ?)"));
        SIYU_RETURN_IF_ERROR(cur.Bind(1, max_id).Run());
        SIYU_ASSIGN_OR_RETURN(auto s, c.Prepare("INSERT INTO webhook_subscriptions(tenant_id, url, events, description, "
                                                "secret_sealed, active, from_event_id, created_at, updated_at) "
                                                "VALUES (?,?,?,?,?,?,?,?,?)"));
        s.Bind(1, tenant_id).Bind(2, *input.url).Bind(3, EventsJson(*input.events));
        s.Bind(4, input.description.value_or("")).Bind(5, sealed).Bind(6, int64_t{input.active.value_or(true)});
        SIYU_RETURN_IF_ERROR(s.Bind(7, max_id).Bind(8, now).Bind(9, now).Run());
        int64_t id = c.LastInsertId();
        SIYU_ASSIGN_OR_RETURN(sub, impl_->Load(c, tenant_id, id));
        if (audit) SIYU_RETURN_IF_ERROR(audit(c, "webhook.create", id, Json{{"url", sub.url}, {"events", sub.events}}));
        return Status::Ok();
    }));
    return std::pair{std::move(sub), std::move(secret)};
}

Result<WebhookSubscription> Webhooks::Update(int64_t tenant_id, int64_t id, const WebhookInput& input,
                                             const WebhookAuditFn& audit) {
    SIYU_RETURN_IF_ERROR(ValidateInput(input, false));
    WebhookSubscription sub;
    SIYU_RETURN_IF_ERROR(impl_->db->Write([&](store::Connection& c) -> Status {
        SIYU_ASSIGN_OR_RETURN(sub, impl_->Load(c, tenant_id, id));
        if (input.url) sub.url = *input.url;
        if (input.events) sub.events = *input.events;
        if (input.description) sub.description = *input.description;
        if (input.active) sub.active = *input.active;
        sub.updated_at = NowMs();
        SIYU_ASSIGN_OR_RETURN(auto s, c.Prepare("UPDATE webhook_subscriptions SET url = ?, events = ?, description = ?, "
                                                "active = ?, updated_at = ? WHERE tenant_id = ? AND id = ?"));
        s.Bind(1, sub.url).Bind(2, EventsJson(sub.events)).Bind(3, sub.description);
        s.Bind(4, int64_t{sub.active}).Bind(5, sub.updated_at).Bind(6, tenant_id).Bind(7, id);
        SIYU_RETURN_IF_ERROR(s.Run());
        if (audit) {
            SIYU_RETURN_IF_ERROR(audit(c, "webhook.update", id,
                                       Json{{"url", sub.url}, {"events", sub.events}, {"active", sub.active}}));
        }
        return Status::Ok();
    }));
    return sub;
}

Status Webhooks::Delete(int64_t tenant_id, int64_t id, const WebhookAuditFn& audit) {
    return impl_->db->Write([&](store::Connection& c) -> Status {
        SIYU_ASSIGN_OR_RETURN(auto sub, impl_->Load(c, tenant_id, id));
        SIYU_ASSIGN_OR_RETURN(auto s, c.Prepare("DELETE FROM webhook_subscriptions WHERE tenant_id = ? AND id = ?"));
        SIYU_RETURN_IF_ERROR(s.Bind(1, tenant_id).Bind(2, id).Run());
        if (audit) SIYU_RETURN_IF_ERROR(audit(c, "webhook.delete", id, Json{{"url", sub.url}}));
        return Status::Ok();
    });
}

Result<WebhookSubscription> Webhooks::Get(int64_t tenant_id, int64_t id) {
    std::optional<WebhookSubscription> sub;
    SIYU_RETURN_IF_ERROR(impl_->db->Read([&](store::Connection& c) -> Status {
        SIYU_ASSIGN_OR_RETURN(sub, impl_->Load(c, tenant_id, id));
        return Status::Ok();
    }));
    return std::move(*sub);
}

Result<std::vector<WebhookSubscription>> Webhooks::List(int64_t tenant_id, std::optional<int64_t> after_id, int limit) {
    std::vector<WebhookSubscription> out;
    SIYU_RETURN_IF_ERROR(impl_->db->Read([&](store::Connection& c) -> Status {
        SIYU_ASSIGN_OR_RETURN(auto s, c.Prepare(std::string("SELECT ") + kColumns +
                                                " FROM webhook_subscriptions WHERE tenant_id = ? AND id > ? "
                                                "ORDER BY id LIMIT ?"));
        s.Bind(1, tenant_id).Bind(2, after_id.value_or(0)).Bind(3, static_cast<int64_t>(limit));
        return s.ForEachRow([&] { out.push_back(ReadSubscription(s)); });
    }));
    return out;
}

Result<int64_t> Webhooks::SendTest(int64_t tenant_id, int64_t id) {
    int64_t message_id = 0;
    SIYU_RETURN_IF_ERROR(impl_->db->Write([&](store::Connection& c) -> Status {
        SIYU_ASSIGN_OR_RETURN(auto sub, impl_->Load(c, tenant_id, id));
        Json body = {{"id", 0},
                     {"type", "track"},
                     {"name", "Webhook Test"},
                     {"customer_id", nullptr},
                     {"timestamp", FormatRfc3339(NowMs())},
                     {"properties", {{"test", true}}},
                     {"tenant_id", tenant_id},
                     {"subscription_id", sub.id}};
        EnqueueOptions eo;
        eo.max_attempts = impl_->options.max_attempts;
        SIYU_ASSIGN_OR_RETURN(message_id,
                              impl_->outbox->Enqueue(c, tenant_id, "webhook", Impl::Payload(sub.id, "Webhook Test", body), eo));
        return Status::Ok();
    }));
    impl_->outbox->Wake();
    return message_id;
}

Result<int> Webhooks::FollowOnce() { return impl_->FollowOnce(); }

}  // namespace siyu::channels
