#pragma once

// What the WeCom-facing scrm services share: how they call WeCom and the outbox, idempotent
// inbox handling, CDP messages for WeCom events and a few lookups.

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "base/status.h"
#include "base/time.h"
#include "cdp/tracking_message.h"
#include "store/database.h"

namespace siyu::scrm {

using Json = nlohmann::json;

// POSTs `body` to a WeCom customer-contact API path ("/cgi-bin/externalcontact/...") and returns
// the answer when errcode is 0; kUpstream ("WeCom errcode <n>: <errmsg>") or kUnavailable
// otherwise. In the server: ApiClient::Call with App::kContact.
using WecomCall = std::function<Result<Json>(int64_t tenant_id, std::string_view path, const Json& body)>;

// Queues an outbound message inside the caller's write transaction (Outbox::Enqueue); returns
// its id. `dedupe_key` non-empty: a second enqueue with the same key is a no-op.
using OutboxEnqueue = std::function<Result<int64_t>(store::Connection& c, int64_t tenant_id, std::string_view kind,
                                                    const Json& payload, const std::string& dedupe_key)>;

// The WeCom errcode a Status from a WecomCall carries ("WeCom errcode <n>: ..."), or 0.
int ErrcodeOf(const Status& status);
// True when retrying the same WeCom call later may succeed: transport failures, -1 (busy),
// 45009 (frequency limit), 45033 (concurrency limit).
bool IsTransient(const Status& status);

// Inside a write transaction: records that `handler` applied inbox row `inbox_id`; false when
// it already had (the caller then changes nothing).
Result<bool> MarkInboxApplied(store::Connection& c, int64_t tenant_id, int64_t inbox_id, std::string_view handler);
// Whether `handler` already applied inbox row `inbox_id`.
Result<bool> InboxApplied(store::Database& db, int64_t tenant_id, int64_t inbox_id, std::string_view handler);

// A track message about a WeCom contact: identified by wecom_external_userid (and
// wechat_unionid when known) so the ingest resolves or creates the customer.
cdp::TrackingMessage WecomTrack(std::string message_id, std::string event, TimeMs at, const Json& properties,
                                const std::string& external_userid, const std::string& unionid = {});
// A track message of an anonymous visitor (a scan, a click).
cdp::TrackingMessage AnonymousTrack(std::string message_id, std::string event, TimeMs at, const Json& properties,
                                    const std::string& anonymous_id);

// The surviving customer holding identifier (type, value), following merges; nullopt if none.
Result<std::optional<int64_t>> CustomerByIdentifier(store::Connection& c, int64_t tenant_id, std::string_view type,
                                                    std::string_view value);
// The customer's surviving id after merges (itself when not merged).
Result<int64_t> SurvivingCustomer(store::Connection& c, int64_t tenant_id, int64_t customer_id);
// The tenant's IANA time zone.
Result<std::string> TenantTimeZone(store::Connection& c, int64_t tenant_id);
// staff.id of a WeCom userid, if the staff table knows it.
Result<std::optional<int64_t>> StaffIdOf(store::Connection& c, int64_t tenant_id, std::string_view userid);

// A random URL-safe code of `length` characters from [0-9A-Za-z] (CSPRNG, no modulo bias).
std::string RandomCode(size_t length);

// Reads a JSON string / integer member, or a default.
std::string JsonString(const Json& o, const char* key);
int64_t JsonInt(const Json& o, const char* key, int64_t fallback = 0);

// Runs `fn` every `interval_ms` on its own thread until Stop. Start and Stop from one thread.
class Ticker {
  public:
    ~Ticker() { Stop(); }
    void Start(int interval_ms, std::function<void()> fn);
    void Stop();

  private:
    std::mutex mu_;
    std::condition_variable cv_;
    bool stop_ = false;
    std::thread thread_;
};

}  // namespace siyu::scrm
