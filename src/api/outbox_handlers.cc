// The outbox (dead letters and retries), webhook subscriptions and the WeCom API call log.

#include "api/routes.h"
#include "auth/audit_log.h"
#include "channels/outbox.h"
#include "channels/webhooks.h"
#include "channels/wecom/api_client.h"

namespace siyu::api {

namespace {

Json OptTime(TimeMs ms) { return ms > 0 ? TimeJson(ms) : Json(nullptr); }

Json MessageJson(const channels::OutboxMessage& m) {
    return {{"id", m.id},
            {"kind", m.kind},
            {"status", m.status},
            {"in_flight", m.in_flight},
            {"attempts", m.attempts},
            {"max_attempts", m.max_attempts},
            {"created_at", TimeJson(m.created_at)},
            {"updated_at", TimeJson(m.updated_at)},
            {"next_attempt_at", m.status == "pending" && !m.in_flight ? TimeJson(m.next_attempt_at) : Json(nullptr)},
            {"deadline_at", OptTime(m.deadline_at)},
            {"last_error", m.last_error.empty() ? Json(nullptr) : Json(m.last_error)},
            {"dedupe_key", m.dedupe_key.empty() ? Json(nullptr) : Json(m.dedupe_key)},
            {"payload", m.payload},
            {"result", m.status == "done" ? m.result : Json(nullptr)}};
}

Json WebhookJson(const channels::WebhookSubscription& w) {
    return {{"id", w.id},
            {"url", w.url},
            {"events", w.events},
            {"description", w.description},
            {"active", w.active},
            {"created_at", TimeJson(w.created_at)},
            {"updated_at", TimeJson(w.updated_at)}};
}

Result<channels::WebhookInput> ParseWebhookInput(const std::string& text) {
    SIYU_ASSIGN_OR_RETURN(Json body, ParseObject(text));
    SIYU_RETURN_IF_ERROR(RejectUnknown(body, {"url", "events", "description", "active"}));
    channels::WebhookInput in;
    SIYU_ASSIGN_OR_RETURN(in.url, OptString(body, "url"));
    SIYU_ASSIGN_OR_RETURN(in.description, OptString(body, "description"));
    SIYU_ASSIGN_OR_RETURN(in.active, OptBool(body, "active"));
    if (body.contains("events")) {
        const Json& events = body["events"];
        if (!events.is_array()) return Status::InvalidArgument("events", "must be an array of event names");
        std::vector<std::string> names;
        for (const auto& e : events) {
            if (!e.is_string()) return Status::InvalidArgument("events", "must be an array of event names");
            names.push_back(e.get<std::string>());
        }
        in.events = std::move(names);
    }
    return in;
}

channels::WebhookAuditFn Audit(Ctx& c) {
    return [&c](store::Connection& conn, const std::string& action, int64_t id, const Json& details) {
        return auth::AppendAudit(conn, c.tenant(), c.actor, action, "webhook", std::to_string(id), details.dump());
    };
}

Result<channels::Outbox*> OutboxOf(Ctx& c) {
    if (!c.svc.outbox) return Status::Unavailable("the outbox is not running");
    return c.svc.outbox.get();
}

Result<channels::Webhooks*> WebhooksOf(Ctx& c) {
    if (!c.svc.webhooks) return Status::Unavailable("webhooks are not running");
    return c.svc.webhooks.get();
}

}  // namespace

void AddOutboxRoutes(RouteTable& t) {
    t.Api({.method = "GET",
           .pattern = "/api/v1/outbox",
           .summary = "Outbound calls and webhook deliveries, newest first (status=dead: the dead letters)",
           .tag = "Outbox",
           .permission = "webhooks.manage",
           .query_params = {"status", "limit", "cursor"}},
          [](Ctx& c) -> Result<http::Response> {
              SIYU_ASSIGN_OR_RETURN(auto* outbox, OutboxOf(c));
              SIYU_ASSIGN_OR_RETURN(auto page, ParsePage(c.req));
              std::optional<std::string> status;
              if (auto s = c.req.Query("status"); s && !s->empty()) {
                  if (*s != "pending" && *s != "done" && *s != "dead") {
                      return Status::InvalidArgument("status", "must be pending, done or dead");
                  }
                  status = *s;
              }
              SIYU_ASSIGN_OR_RETURN(auto messages, outbox->List(c.tenant(), status, page.cursor, page.limit));
              Json data = Json::array();
              for (const auto& m : messages) data.push_back(MessageJson(m));
              std::optional<int64_t> last;
              if (!messages.empty()) last = messages.back().id;
              Json out = PageJson(std::move(data), page.limit, last);
              SIYU_ASSIGN_OR_RETURN(auto counts, outbox->Counts(c.tenant()));
              Json totals = {{"pending", 0}, {"done", 0}, {"dead", 0}};
              for (const auto& [s, n] : counts) totals[s] = n;
              out["counts"] = totals;
              return JsonResponse(200, out);
          });
    t.Api({.method = "GET",
           .pattern = "/api/v1/outbox/{id}",
           .summary = "One outbound message with its attempts, last error and result",
           .tag = "Outbox",
           .permission = "webhooks.manage"},
          [](Ctx& c) -> Result<http::Response> {
              SIYU_ASSIGN_OR_RETURN(auto* outbox, OutboxOf(c));
              SIYU_ASSIGN_OR_RETURN(int64_t id, PathId(c.req));
              SIYU_ASSIGN_OR_RETURN(auto m, outbox->Get(c.tenant(), id));
              return JsonResponse(200, MessageJson(m));
          });
    t.Api({.method = "POST",
           .pattern = "/api/v1/outbox/{id}/retry",
           .summary = "Put a dead letter back in the queue (fresh attempts, no deadline)",
           .tag = "Outbox",
           .permission = "webhooks.manage"},
          [](Ctx& c) -> Result<http::Response> {
              SIYU_ASSIGN_OR_RETURN(auto* outbox, OutboxOf(c));
              SIYU_ASSIGN_OR_RETURN(int64_t id, PathId(c.req));
              SIYU_ASSIGN_OR_RETURN(auto m, outbox->Retry(c.tenant(), id));
              SIYU_RETURN_IF_ERROR(c.svc.db->Write([&](store::Connection& conn) {
                  return auth::AppendAudit(conn, c.tenant(), c.actor, "outbox.retry", "outbox_message",
                                           std::to_string(id), Json{{"kind", m.kind}}.dump());
              }));
              return JsonResponse(200, MessageJson(m));
          });

    t.Api({.method = "GET",
           .pattern = "/api/v1/webhooks",
           .summary = "Webhook subscriptions (secrets are never returned)",
           .tag = "Webhooks",
           .permission = "webhooks.manage",
           .query_params = {"limit", "cursor"}},
          [](Ctx& c) -> Result<http::Response> {
              SIYU_ASSIGN_OR_RETURN(auto* webhooks, WebhooksOf(c));
              SIYU_ASSIGN_OR_RETURN(auto page, ParsePage(c.req));
              SIYU_ASSIGN_OR_RETURN(auto subs, webhooks->List(c.tenant(), page.cursor, page.limit));
              Json data = Json::array();
              for (const auto& w : subs) data.push_back(WebhookJson(w));
              std::optional<int64_t> last;
              if (!subs.empty()) last = subs.back().id;
              return JsonResponse(200, PageJson(std::move(data), page.limit, last));
          });
    t.Api({.method = "POST",
           .pattern = "/api/v1/webhooks",
           .summary = "Subscribe a URL to events; the answer shows the signing secret, once",
           .tag = "Webhooks",
           .permission = "webhooks.manage"},
          [](Ctx& c) -> Result<http::Response> {
              SIYU_ASSIGN_OR_RETURN(auto* webhooks, WebhooksOf(c));
              SIYU_ASSIGN_OR_RETURN(auto in, ParseWebhookInput(c.req.body));
              SIYU_ASSIGN_OR_RETURN(auto created, webhooks->Create(c.tenant(), in, Audit(c)));
              Json out = WebhookJson(created.first);
              out["secret"] = created.second;
              return JsonResponse(201, out);
          });
    t.Api({.method = "GET",
           .pattern = "/api/v1/webhooks/{id}",
           .summary = "One webhook subscription",
           .tag = "Webhooks",
           .permission = "webhooks.manage"},
          [](Ctx& c) -> Result<http::Response> {
              SIYU_ASSIGN_OR_RETURN(auto* webhooks, WebhooksOf(c));
              SIYU_ASSIGN_OR_RETURN(int64_t id, PathId(c.req));
              SIYU_ASSIGN_OR_RETURN(auto w, webhooks->Get(c.tenant(), id));
              return JsonResponse(200, WebhookJson(w));
          });
    t.Api({.method = "PATCH",
           .pattern = "/api/v1/webhooks/{id}",
           .summary = "Change a subscription's URL, events, description or active flag",
           .tag = "Webhooks",
           .permission = "webhooks.manage"},
          [](Ctx& c) -> Result<http::Response> {
              SIYU_ASSIGN_OR_RETURN(auto* webhooks, WebhooksOf(c));
              SIYU_ASSIGN_OR_RETURN(int64_t id, PathId(c.req));
              SIYU_ASSIGN_OR_RETURN(auto in, ParseWebhookInput(c.req.body));
              SIYU_ASSIGN_OR_RETURN(auto w, webhooks->Update(c.tenant(), id, in, Audit(c)));
              return JsonResponse(200, WebhookJson(w));
          });
    t.Api({.method = "DELETE",
           .pattern = "/api/v1/webhooks/{id}",
           .summary = "Delete a subscription (pending deliveries to it become dead letters)",
           .tag = "Webhooks",
           .permission = "webhooks.manage"},
          [](Ctx& c) -> Result<http::Response> {
              SIYU_ASSIGN_OR_RETURN(auto* webhooks, WebhooksOf(c));
              SIYU_ASSIGN_OR_RETURN(int64_t id, PathId(c.req));
              SIYU_RETURN_IF_ERROR(webhooks->Delete(c.tenant(), id, Audit(c)));
              return http::Response::NoContent();
          });
    t.Api({.method = "POST",
           .pattern = "/api/v1/webhooks/{id}/test",
           .summary = "Send a \"Webhook Test\" delivery to the subscription",
           .tag = "Webhooks",
           .permission = "webhooks.manage"},
          [](Ctx& c) -> Result<http::Response> {
              SIYU_ASSIGN_OR_RETURN(auto* webhooks, WebhooksOf(c));
              SIYU_ASSIGN_OR_RETURN(int64_t id, PathId(c.req));
              SIYU_ASSIGN_OR_RETURN(int64_t message_id, webhooks->SendTest(c.tenant(), id));
              SIYU_ASSIGN_OR_RETURN(auto m, c.svc.outbox->Get(c.tenant(), message_id));
              return JsonResponse(202, MessageJson(m));
          });

    t.Api({.method = "GET",
           .pattern = "/api/v1/wecom/api-calls",
           .summary = "The WeCom API call log, newest first (path, errcode, duration)",
           .tag = "WeCom",
           .permission = "wecom.config",
           .query_params = {"limit", "cursor"}},
          [](Ctx& c) -> Result<http::Response> {
              if (!c.svc.wecom_api) return Status::Unavailable("the WeCom API client is not running");
              SIYU_ASSIGN_OR_RETURN(auto page, ParsePage(c.req));
              SIYU_ASSIGN_OR_RETURN(auto calls, c.svc.wecom_api->Calls(c.tenant(), page.cursor, page.limit));
              Json data = Json::array();
              for (const auto& r : calls) {
                  data.push_back({{"id", r.id},
                                  {"at", TimeJson(r.at)},
                                  {"app", r.app},
                                  {"path", r.path},
                                  {"errcode", r.errcode ? Json(*r.errcode) : Json(nullptr)},
                                  {"errmsg", r.errmsg},
                                  {"ms", r.ms}});
              }
              std::optional<int64_t> last;
              if (!calls.empty()) last = calls.back().id;
              return JsonResponse(200, PageJson(std::move(data), page.limit, last));
          });
}

}  // namespace siyu::api
