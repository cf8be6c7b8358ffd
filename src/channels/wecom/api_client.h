#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"
#include "base/time.h"
#include "store/database.h"

namespace siyu::channels {
class Outbox;
}

namespace siyu::channels::wecom {

using Json = nlohmann::json;

// Which secret an access token is for: the customer-contact secret (客户联系) or the
// self-built application's secret (自建应用, staff sync and app messages).
enum class App { kContact, kAgent };

struct CorpCredentials {
    std::string corp_id;
    std::string contact_secret;
    std::string agent_secret;
    int64_t agent_id = 0;
    std::string base_url;  // e.g. https://qyapi.weixin.qq.com, or the simulator's
};

// Looks up a tenant's decrypted credentials (FailedPrecondition when WeCom is not configured).
using CredentialsFn = std::function<Result<CorpCredentials>(int64_t tenant_id)>;

struct ApiClientOptions {
    int timeout_ms = 5'000;
    int rate_limit_per_second = 50;  // per corp
    int max_attempts = 4;            // for -1 (system busy) and 45009 (frequency limit)
    int backoff_base_ms = 500;       // first wait before retrying -1 / 45009; doubles (with jitter)
    // Where calls are logged (table wecom_api_calls, newest ~10,000 per tenant); null: not kept.
    store::Database* log_db = nullptr;
};

// One logged API call. errcode is empty when WeCom did not answer (transport failure).
struct ApiCallRecord {
    int64_t id = 0;
    int64_t tenant_id = 0;
    TimeMs at = 0;
    std::string app;  // contact, agent
    std::string path;
    std::optional<int> errcode;
    std::string errmsg;
    int64_t ms = 0;
};

// The WeCom server API. Thread-safe; one per process.
// - access tokens cached per (corp, app) until expiry, one concurrent refresh per app;
//   40014 / 42001 / 40082 refresh the token and retry once;
// - -1 and 45009 back off and retry; a per-corp rate limiter spaces calls;
// - every call logged with path, errcode and duration.
// A non-zero errcode comes back as a Status with code kUpstream whose message is
// "WeCom errcode <n>: <errmsg>" (see WecomErrcode); transport failures are kUnavailable.
class ApiClient {
  public:
    ApiClient(CredentialsFn credentials, ApiClientOptions options);
    ~ApiClient();

    // GET `path` (e.g. "/cgi-bin/externalcontact/get") with `query` parameters when `body` is
    // null, else POST the JSON body. access_token is added. Returns the response object when
    // errcode == 0.
    Result<Json> Call(int64_t tenant_id, App app, std::string_view path, const Json* body = nullptr,
                      const std::vector<std::pair<std::string, std::string>>& query = {});

    // Drops cached tokens of a tenant (after its credentials change).
    void Forget(int64_t tenant_id);

    // The tenant's logged calls, newest first (log rows are written in batches about once a
    // second; this writes the pending ones first).
    Result<std::vector<ApiCallRecord>> Calls(int64_t tenant_id, std::optional<int64_t> before_id, int limit);

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

// The WeCom errcode carried by a Status from ApiClient::Call, or 0.
int WecomErrcode(const Status& status);

// Registers the outbox kind "wecom.api": payload {"app": "contact" | "agent", "path":
// "/cgi-bin/...", "body": {...}} (body absent or null: a GET with the optional "query" object of
// strings). Transport failures and errcodes -1 / 45009 are retried; other errcodes fail the
// message with the WeCom message. The result is WeCom's answer.
void RegisterWecomApiKind(Outbox& outbox, ApiClient& client);

}  // namespace siyu::channels::wecom
