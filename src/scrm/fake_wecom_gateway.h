#pragma once

// For the SCRM core's tests only: a WecomGateway that answers WeCom calls from canned handlers
// and records calls and outbox messages (deduplicated by key like the outbox).

#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "scrm/wecom_gateway.h"

namespace siyu::scrm::fake {

struct Call {
    int64_t tenant_id = 0;
    std::string path;
    Json body;
    Query query;
};

struct Message {
    int64_t id = 0;
    int64_t tenant_id = 0;
    std::string kind;
    Json payload;
    channels::EnqueueOptions options;
};

// Thread-safe.
class FakeGateway {
  public:
    FakeGateway() {
        gateway.call = [this](int64_t tenant, channels::wecom::App, std::string_view path, const Json* body,
                              const Query& query) -> Result<Json> {
            std::function<Result<Json>(const Json*, const Query&)> handler;
            {
                std::lock_guard<std::mutex> lock(mu);
                calls.push_back(Call{tenant, std::string(path), body ? *body : Json(nullptr), query});
                if (auto it = handlers.find(std::string(path)); it != handlers.end()) handler = it->second;
            }
            if (handler) return handler(body, query);
            return Status::Upstream("WeCom errcode 60011: no privilege to access/modify contact/party/agent");
        };
        gateway.enqueue = [this](store::Connection&, int64_t tenant, std::string_view kind, const Json& payload,
                                 const channels::EnqueueOptions& options) -> Result<int64_t> {
            std::lock_guard<std::mutex> lock(mu);
            if (!options.dedupe_key.empty()) {
                for (const auto& m : messages) {
                    if (m.tenant_id == tenant && m.options.dedupe_key == options.dedupe_key) return m.id;
                }
            }
            int64_t id = static_cast<int64_t>(messages.size()) + 1;
            messages.push_back(Message{id, tenant, std::string(kind), payload, options});
            return id;
        };
        gateway.wake = [] {};
        gateway.now = [this] { return now; };
    }

    std::vector<Message> Messages(const std::string& kind) {
        std::lock_guard<std::mutex> lock(mu);
        std::vector<Message> out;
        for (const auto& m : messages) {
            if (m.kind == kind) out.push_back(m);
        }
        return out;
    }
    // Messages of kind wecom.api to `path`.
    std::vector<Message> ApiMessages(const std::string& path) {
        std::vector<Message> out;
        for (const auto& m : Messages(kWecomApiKind)) {
            if (m.payload.value("path", std::string()) == path) out.push_back(m);
        }
        return out;
    }
    int CallCount(const std::string& path) {
        std::lock_guard<std::mutex> lock(mu);
        int n = 0;
        for (const auto& c : calls) n += c.path == path;
        return n;
    }
    static channels::OutboxMessage AsOutbox(const Message& m) {
        channels::OutboxMessage o;
        o.id = m.id;
        o.tenant_id = m.tenant_id;
        o.kind = m.kind;
        o.payload = m.payload;
        return o;
    }

    std::mutex mu;
    std::map<std::string, std::function<Result<Json>(const Json* body, const Query& query)>> handlers;
    std::vector<Call> calls;
    std::vector<Message> messages;
    TimeMs now = 1'767'225'600'000;  // 2026-01-01T00:00:00Z
    WecomGateway gateway;
};

}  // namespace siyu::scrm::fake
