#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "base/time.h"
#include "channels/outbox.h"
#include "channels/secret_box.h"
#include "store/database.h"

namespace siyu::channels {

// A tenant's subscription of a URL to CDP events (docs/webhooks.md).
struct WebhookSubscription {
    int64_t id = 0;
    int64_t tenant_id = 0;
    std::string url;
    std::vector<std::string> events;  // event names (track) or types (identify, page, ...); "*" = all
    std::string description;
    bool active = true;
    TimeMs created_at = 0;
    TimeMs updated_at = 0;
};

// Fields to create or change; absent fields are left as they are (create: url and events needed).
struct WebhookInput {
    std::optional<std::string> url;
    std::optional<std::vector<std::string>> events;
    std::optional<std::string> description;
    std::optional<bool> active;
};

struct WebhooksOptions {
    int poll_ms = 200;         // how often the follower looks for new events
    int timeout_ms = 10'000;   // one delivery
    int max_attempts = 10;     // then the delivery is a dead letter
    int batch = 500;           // events fanned out per transaction
};

// Writes the audit entry of a change inside its transaction (action, subscription id, details).
using WebhookAuditFn = std::function<Status(store::Connection&, const std::string& action, int64_t id, const Json&)>;

// Webhook subscriptions and their delivery. A follower thread reads committed events after a
// persisted cursor and, in one write transaction, enqueues an outbox "webhook" message per
// matching subscription and advances the cursor: every committed event is delivered at least
// once to the subscriptions that existed when it was stored, across restarts. Deliveries are
// signed POSTs (HMAC-SHA256 with the subscription's secret). Thread-safe.
class Webhooks {
  public:
    // Registers the "webhook" outbox kind. `outbox` and `secrets` outlive this.
    Webhooks(store::Database* db, Outbox* outbox, const SecretBox* secrets, WebhooksOptions options = {});
    ~Webhooks();

    void Start();
    void Stop();

    // Creates a subscription; returns it with its signing secret, shown only here.
    Result<std::pair<WebhookSubscription, std::string>> Create(int64_t tenant_id, const WebhookInput& input,
                                                               const WebhookAuditFn& audit = {});
    Result<WebhookSubscription> Update(int64_t tenant_id, int64_t id, const WebhookInput& input,
                                       const WebhookAuditFn& audit = {});
    Status Delete(int64_t tenant_id, int64_t id, const WebhookAuditFn& audit = {});
    Result<WebhookSubscription> Get(int64_t tenant_id, int64_t id);
    // Oldest first, after `after_id`.
    Result<std::vector<WebhookSubscription>> List(int64_t tenant_id, std::optional<int64_t> after_id, int limit);
    // Enqueues a "Webhook Test" delivery to the subscription; returns the outbox message id.
    Result<int64_t> SendTest(int64_t tenant_id, int64_t id);

    // Fans out the events committed since the cursor (what the follower thread does); returns
    // how many deliveries it enqueued. For tests and the follower.
    Result<int> FollowOnce();

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

// Checks a webhook URL: http or https, a host, at most 2,048 characters.
Status ValidateWebhookUrl(const std::string& url);

// "sha256=" + lower-case hex HMAC-SHA256(secret, timestamp + "." + body): the X-Siyu-Signature value.
std::string WebhookSignature(std::string_view secret, std::string_view timestamp, std::string_view body);

}  // namespace siyu::channels
