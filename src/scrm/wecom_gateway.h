#pragma once

// How the SCRM services reach WeCom: direct API calls (reads, sync, outbox deliveries) and the
// transactional outbox (calls caused by a change, enqueued in its write transaction). The
// application wires these to channels::wecom::ApiClient and channels::Outbox; tests pass fakes.

#include <chrono>
#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"
#include "base/time.h"
#include "channels/outbox.h"
#include "channels/wecom/api_client.h"
#include "store/database.h"

namespace siyu::scrm {

using Json = nlohmann::json;
using Query = std::vector<std::pair<std::string, std::string>>;

struct WecomGateway {
    // ApiClient::Call: GET with `query` when `body` is null, else POST.
    std::function<Result<Json>(int64_t tenant_id, channels::wecom::App app, std::string_view path, const Json* body,
                               const Query& query)>
        call;
    // Outbox::Enqueue inside the caller's write transaction.
    std::function<Result<int64_t>(store::Connection& c, int64_t tenant_id, std::string_view kind, const Json& payload,
                                  const channels::EnqueueOptions& options)>
        enqueue;
    // Outbox::Wake after a commit that enqueued.
    std::function<void()> wake;
    // Outbox::Wait: the message once done or dead, or as it is when `timeout` passes.
    std::function<Result<channels::OutboxMessage>(int64_t tenant_id, int64_t id, std::chrono::milliseconds timeout)>
        wait;
    std::function<TimeMs()> now = NowMs;

    void Wake() const {
        if (wake) wake();
    }
};

// The outbox kind that calls the WeCom API: payload {"app": "contact"|"agent", "path", "body"}.
inline constexpr char kWecomApiKind[] = "wecom.api";

// A failed WeCom call as an outbox delivery outcome: transport trouble is retried, an errcode
// fails the message with WeCom's message.
inline channels::Delivery DeliveryOf(const Status& status) {
    if (status.code() == StatusCode::kUnavailable) return channels::Delivery::Retry(status.message());
    return channels::Delivery::Fail(status.message());
}

}  // namespace siyu::scrm
