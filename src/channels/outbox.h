#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "base/time.h"
#include "store/database.h"

namespace siyu::channels {

using Json = nlohmann::json;

// One queued outbound call.
struct OutboxMessage {
    int64_t id = 0;
    int64_t tenant_id = 0;
    std::string kind;  // e.g. "wecom.api", "webhook", "scrm.add_contact_way"
    Json payload;
    int attempts = 0;  // deliveries tried before this one
    int max_attempts = 8;
    TimeMs created_at = 0;
    TimeMs deadline_at = 0;  // 0: none; past it the message goes to the dead letters unsent
    std::string status;      // pending, done, dead
    std::string last_error;
    Json result;  // what the handler returned on success
    TimeMs next_attempt_at = 0;
    TimeMs updated_at = 0;
    std::string dedupe_key;
    bool in_flight = false;  // claimed by a worker and not yet settled
};

// What a handler reports for one delivery attempt.
struct Delivery {
    enum class Kind { kDone, kRetry, kFail };
    Kind kind = Kind::kDone;
    std::string error;  // for kRetry / kFail
    Json result;        // for kDone, stored with the message
    static Delivery Done(Json r = Json::object()) { return {Kind::kDone, {}, std::move(r)}; }
    static Delivery Retry(std::string e) { return {Kind::kRetry, std::move(e), {}}; }
    static Delivery Fail(std::string e) { return {Kind::kFail, std::move(e), {}}; }
};

using OutboxHandler = std::function<Delivery(const OutboxMessage&)>;

struct EnqueueOptions {
    TimeMs deadline_at = 0;   // 0: none
    int max_attempts = 8;
    std::string dedupe_key;   // non-empty: a second Enqueue with the same (tenant, key) is a no-op
    TimeMs not_before = 0;    // 0: at once
};

struct OutboxOptions {
    int workers = 4;
    int poll_ms = 200;  // idle workers look for due messages this often (Wake() is faster)
    int backoff_base_ms = 1'000;   // first retry delay; doubles per attempt (with jitter)
    int backoff_max_ms = 300'000;  // retry delay cap
    int lease_ms = 300'000;        // a claimed message is re-delivered if not settled within this
};

// The transactional outbox: callers enqueue inside the write transaction of the change that
// causes the call; workers deliver after the commit with retries (exponential backoff with
// jitter), honour deadlines, and move what cannot be delivered to the dead letters, which the
// API lists and retries. Delivery is at least once: a worker claims a message with a lease
// (attempts counts the claim), and a message still claimed when the process starts again is
// delivered again. Handlers must therefore be idempotent or tolerate repeats. Thread-safe.
class Outbox {
  public:
    Outbox(store::Database* db, OutboxOptions options);
    ~Outbox();

    // Inside a write transaction. Returns the message id (the existing one for a dedupe hit).
    Result<int64_t> Enqueue(store::Connection& c, int64_t tenant_id, std::string_view kind, const Json& payload,
                            const EnqueueOptions& options = {});
    // Handlers are registered before Start; a message of an unregistered kind waits.
    void Register(std::string kind, OutboxHandler handler);
    void Start();
    void Stop();
    // Wakes the workers (call after committing an Enqueue).
    void Wake();

    // Waits until the message is done or dead, or `timeout` passes; returns it as it is then.
    Result<OutboxMessage> Wait(int64_t tenant_id, int64_t id, std::chrono::milliseconds timeout);
    Result<OutboxMessage> Get(int64_t tenant_id, int64_t id);
    // Newest first; status filter optional ("pending", "done", "dead").
    Result<std::vector<OutboxMessage>> List(int64_t tenant_id, std::optional<std::string> status,
                                            std::optional<int64_t> before_id, int limit);
    // Puts a dead message back in the queue with a fresh attempt budget and no deadline.
    Result<OutboxMessage> Retry(int64_t tenant_id, int64_t id);
    // Messages per status of a tenant ("pending", "done", "dead").
    Result<std::vector<std::pair<std::string, int64_t>>> Counts(int64_t tenant_id);

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace siyu::channels
