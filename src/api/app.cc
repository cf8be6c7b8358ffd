#include "api/app.h"

#include <spdlog/spdlog.h>

#include <filesystem>
#include <stdexcept>

#include "api/permissions.h"
#include "api/routes.h"
#include "api/segment_sync.h"
#include "base/strings.h"
#include "loyalty/coupons.h"

namespace siyu::api {

Services::~Services() = default;

bool Ctx::Can(std::string_view permission) const { return HasPermission(principal.role, permission); }

Result<cdp::Visibility> Ctx::Visibility() {
    cdp::Visibility vis;
    if (!auth::IsStoreScoped(principal.role)) return vis;
    SIYU_ASSIGN_OR_RETURN(auto ids, svc.stores.Subtree(principal.tenant_id, principal.store_ids));
    vis.store_ids = std::move(ids);
    return vis;
}

namespace {

// Resolves the caller from a bearer key or the session cookie.
Result<auth::Principal> Authenticate(const http::Request& req, Services& svc) {
    if (const std::string* authz = req.Header("authorization")) {
        std::string_view value = Trim(*authz);
        if (value.size() < 7 || ToLower(value.substr(0, 7)) != "bearer ") {
            return Status::Unauthenticated("the Authorization header must be 'Bearer <key>'");
        }
        SIYU_ASSIGN_OR_RETURN(auto p, svc.accounts.AuthenticateKey(std::string(Trim(value.substr(7)))));
        if (p.kind == auth::Principal::Kind::kWriteKey) {
            return Status::Unauthenticated("a write key only works with the tracking API (/v1); use a secret key");
        }
        return p;
    }
    if (auto token = req.Cookie("siyu_session")) return svc.accounts.AuthenticateSession(*token);
    return Status::Unauthenticated("sign in or send 'Authorization: Bearer <secret key>'");
}

bool IsApiPath(const std::string& path) {
    return StartsWith(path, "/api/") || path == "/api" || StartsWith(path, "/v1/") || path == "/healthz" ||
           path == "/readyz" || path == "/metrics";
}

// The SCRM core on top of the WeCom API client and the outbox: its inbox handlers, its outbox
// kinds and the corp tag follower. Before the inbox and the outbox start.
void SetUpScrm(Services& svc) {
    scrm::WecomGateway wecom;
    channels::wecom::ApiClient* api = svc.wecom_api.get();
    channels::Outbox* outbox = svc.outbox.get();
    wecom.call = [api](int64_t tenant_id, channels::wecom::App app, std::string_view path, const Json* body,
                       const scrm::Query& query) { return api->Call(tenant_id, app, path, body, query); };
    wecom.enqueue = [outbox](store::Connection& c, int64_t tenant_id, std::string_view kind, const Json& payload,
                             const channels::EnqueueOptions& options) {
        return outbox->Enqueue(c, tenant_id, kind, payload, options);
    };
    wecom.wake = [outbox] { outbox->Wake(); };
    wecom.wait = [outbox](int64_t tenant_id, int64_t id, std::chrono::milliseconds timeout) {
        return outbox->Wait(tenant_id, id, timeout);
    };
    // A live code's coupon: issued once per callback (the key derives from the inbox row).
    scrm::CouponIssuer coupons = [svc = &svc](int64_t tenant_id, int64_t template_id, int64_t customer_id,
                                              const std::string& key, int64_t live_code_id) -> Result<std::string> {
        loyalty::Request r;
        r.tenant_id = tenant_id;
        r.idempotency_key = key;
        r.fingerprint = "live_code " + std::to_string(live_code_id) + " template " + std::to_string(template_id) +
                        " customer " + std::to_string(customer_id);
        r.actor = auth::Actor{"system", std::nullopt, "wecom", ""};
        SIYU_ASSIGN_OR_RETURN(auto outcome,
                              svc->loyalty->coupons().IssueOne(r, template_id, customer_id,
                                                               loyalty::IssueSource{"live_code",
                                                                                    std::to_string(live_code_id)}));
        const Json& issued = outcome.body["issued"];
        if (!issued.is_array() || issued.empty()) return Status::FailedPrecondition("no coupon was issued");
        std::string display = issued[0].value("code_display", std::string());
        return display.empty() ? issued[0].value("code", std::string()) : display;
    };
    svc.scrm = std::make_unique<scrm::Scrm>(svc.db, std::move(wecom), &svc.ingestor, &svc.tags, std::move(coupons));
    scrm::Scrm* s = svc.scrm.get();
    auto add = [s](const channels::wecom::InboxEvent& e) { return s->contacts().OnAdd(e); };
    auto del = [s](const channels::wecom::InboxEvent& e) { return s->contacts().OnDelete(e); };
    svc.wecom_inbox->Register("change_external_contact/add_external_contact", add);
    svc.wecom_inbox->Register("change_external_contact/add_half_external_contact", add);
    svc.wecom_inbox->Register("change_external_contact/edit_external_contact",
                              [s](const channels::wecom::InboxEvent& e) { return s->contacts().OnEdit(e); });
    svc.wecom_inbox->Register("change_external_contact/del_external_contact", del);
    svc.wecom_inbox->Register("change_external_contact/del_follow_user", del);
    svc.wecom_inbox->Register("change_external_tag",
                              [s](const channels::wecom::InboxEvent& e) { return s->corp_tags().OnTagChange(e); });
    outbox->Register(scrm::kContactWayKind,
                     [s](const channels::OutboxMessage& m) { return s->live_codes().Deliver(m); });
    outbox->Register(scrm::kCorpTagKind, [s](const channels::OutboxMessage& m) { return s->corp_tags().Deliver(m); });
    s->corp_tags().Start();
}

// Customer groups, group live codes, per-item codes, transfers and mass sends: their inbox
// handlers and outbox kinds, before the inbox and the outbox start.
void SetUpScrmGroups(Services& svc) {
    channels::wecom::ApiClient* api = svc.wecom_api.get();
    channels::Outbox* outbox = svc.outbox.get();
    scrm::WecomCall call = [api](int64_t tenant_id, std::string_view path, const Json& body) {
        return api->Call(tenant_id, channels::wecom::App::kContact, path, &body);
    };
    scrm::OutboxEnqueue enqueue = [outbox](store::Connection& c, int64_t tenant_id, std::string_view kind,
                                           const Json& payload, const std::string& dedupe_key) {
        channels::EnqueueOptions options;
        options.dedupe_key = dedupe_key;
        return outbox->Enqueue(c, tenant_id, kind, payload, options);
    };
    scrm::GroupServicesOptions options;
    options.public_base = svc.config.public_base_url.empty()
                              ? "http://" + svc.config.http_host + ":" + std::to_string(svc.config.http_port)
                              : svc.config.public_base_url;
    while (!options.public_base.empty() && options.public_base.back() == '/') options.public_base.pop_back();
    options.export_dir = svc.config.data_dir + "/exports";
    svc.scrm_groups = std::make_unique<scrm::GroupServices>(svc.db, &svc.ingestor, std::move(call), std::move(enqueue),
                                                            [outbox] { outbox->Wake(); }, svc.segment_members,
                                                            std::move(options));
    svc.scrm_groups->Register(*svc.wecom_inbox, *outbox);
    svc.scrm_groups->Start();
}

}  // namespace

void RouteTable::Api(http::RouteSpec spec, ApiHandler handler) {
    std::string permission = spec.permission;
    Services* svc = svc_;
    router_->Add(std::move(spec), [svc, permission, handler = std::move(handler)](http::Request& req) {
        auto principal = Authenticate(req, *svc);
        if (!principal.ok()) return ErrorResponse(principal.status(), req.request_id);
        if (!permission.empty() && !HasPermission(principal->role, permission)) {
            return ErrorResponse(Status::PermissionDenied("your role (" + std::string(auth::RoleName(principal->role)) +
                                                          ") lacks the permission " + permission),
                                 req.request_id);
        }
        auth::Actor actor;
        actor.type = principal->kind == auth::Principal::Kind::kUser ? "user" : "api_key";
        actor.id = principal->kind == auth::Principal::Kind::kUser ? principal->user_id : principal->api_key_id;
        actor.name = principal->name;
        actor.ip = req.remote_ip;
        Ctx ctx{req, *svc, std::move(principal).value(), std::move(actor)};
        auto result = handler(ctx);
        if (!result.ok()) return ErrorResponse(result.status(), req.request_id);
        return std::move(result).value();
    });
}

void RouteTable::Public(http::RouteSpec spec, PublicHandler handler) {
    spec.public_route = true;
    Services* svc = svc_;
    router_->Add(std::move(spec), [svc, handler = std::move(handler)](http::Request& req) {
        auto result = handler(req, *svc);
        if (!result.ok()) return ErrorResponse(result.status(), req.request_id);
        return std::move(result).value();
    });
}

App::App(store::Database* db, const Config& config, engine::EventStore* engine)
    : services_(std::make_unique<Services>(db, config, engine)), router_(std::make_unique<http::Router>()) {
    SegmentSyncOptions segment_options;
    segment_options.refresh_seconds = config.segments_refresh_seconds;
    services_->segments = std::make_unique<SegmentSync>(db, engine, &services_->segment_engine, &services_->tags,
                                                        &services_->stores, segment_options);
    SegmentSync* segments = services_->segments.get();
    services_->ingestor.SetListener([engine, segments](const std::vector<cdp::StoredEvent>& events) {
        std::vector<engine::EventInput> inputs;
        inputs.reserve(events.size());
        for (const auto& e : events) {
            inputs.push_back(
                engine::EventInput{e.tenant_id, e.customer_id, e.type, e.name, e.timestamp, e.revenue, e.properties});
        }
        engine->Append(inputs);
        segments->OnEvents(events);
    });
    services_->tags.SetRuleListener(
        [segments](const std::vector<cdp::RuleTagChange>& changes) { segments->OnRuleTagChanges(changes); });
    services_->tags.SetChangeListener([segments](const std::vector<cdp::CustomerTagChange>&) { segments->Wake(); });
    services_->segment_members = [svc = services_.get()](int64_t tenant_id,
                                                         int64_t segment_id) -> Result<std::vector<int64_t>> {
        std::vector<int64_t> ids;
        int64_t after = 0;
        while (true) {
            constexpr size_t kPage = 10'000;
            SIYU_ASSIGN_OR_RETURN(auto page, svc->segment_engine.Members(tenant_id, segment_id, after, kPage));
            ids.insert(ids.end(), page.sample.begin(), page.sample.end());
            if (page.sample.size() < kPage) return ids;
            after = page.sample.back();
        }
    };
    std::string key_file =
        config.secrets_key_file.empty() ? config.data_dir + "/secret.key" : config.secrets_key_file;
    std::error_code dir_error;
    std::filesystem::create_directories(std::filesystem::path(key_file).parent_path(), dir_error);
    auto secrets = channels::SecretBox::FromFile(key_file);
    if (!secrets.ok()) throw std::runtime_error("secrets key: " + secrets.status().ToString());
    services_->secrets = std::make_unique<channels::SecretBox>(std::move(secrets).value());
    services_->wecom_config = std::make_unique<channels::wecom::WecomConfigStore>(db, services_->secrets.get());
    channels::wecom::ApiClientOptions wecom_api_options;
    wecom_api_options.timeout_ms = config.wecom_api_timeout_ms;
    wecom_api_options.rate_limit_per_second = config.wecom_rate_limit_per_second;
    wecom_api_options.log_db = db;
    services_->wecom_api = std::make_unique<channels::wecom::ApiClient>(
        [store = services_->wecom_config.get()](int64_t tenant_id) { return store->Credentials(tenant_id); },
        wecom_api_options);
    services_->outbox = std::make_unique<channels::Outbox>(db, channels::OutboxOptions{.workers = config.outbox_workers});
    services_->webhooks =
        std::make_unique<channels::Webhooks>(db, services_->outbox.get(), services_->secrets.get());
    channels::wecom::RegisterWecomApiKind(*services_->outbox, *services_->wecom_api);
    services_->wecom_inbox = std::make_unique<channels::wecom::Inbox>(
        db, channels::wecom::InboxOptions{.workers = config.wecom_inbox_workers});
    loyalty::LoyaltyOptions loyalty_options;
    loyalty_options.sweep_seconds = config.loyalty_sweep_seconds;
    services_->loyalty = std::make_unique<loyalty::Loyalty>(
        db,
        [engine, segments](const std::vector<cdp::StoredEvent>& events) {
            std::vector<engine::EventInput> inputs;
            inputs.reserve(events.size());
            for (const auto& e : events) {
                inputs.push_back(engine::EventInput{e.tenant_id, e.customer_id, e.type, e.name, e.timestamp, e.revenue,
                                                    e.properties});
            }
            engine->Append(inputs);
            segments->OnEvents(events);
        },
        loyalty_options);
    services_->ingestor.SetEffects([l = services_->loyalty.get()](store::Connection& c, int64_t tenant_id, TimeMs now,
                                                                   std::vector<cdp::StoredEvent>& events) {
        return l->OnIngest(c, tenant_id, now, events);
    });
    services_->loyalty->SetSegmentMembers(services_->segment_members);
    if (Status st = segments->Load(); !st.ok()) throw std::runtime_error("loading segments: " + st.ToString());
    segments->Start();
    services_->loyalty->Start();
    RouteTable table(router_.get(), services_.get());
    AddOpsRoutes(table, *router_);
    AddAuthRoutes(table);
    AddAdminRoutes(table);
    AddStoreRoutes(table);
    AddCustomerRoutes(table);
    AddTrackingRoutes(table);
    AddAnalyticsRoutes(table);
    AddIdentityRoutes(table);
    AddImportRoutes(table);
    AddTagRoutes(table);
    AddSegmentRoutes(table);
    AddLoyaltyRoutes(table);
    AddCouponRoutes(table);
    AddStoredValueRoutes(table);
    AddWecomConfigRoutes(table);
    AddOutboxRoutes(table);
    AddScrmRoutes(table);
    AddScrmGroupRoutes(table);
    AddMassSendRoutes(table);
    AddTransferRoutes(table);
    services_->metrics.AddGauge("siyu_db_writer_queue_depth", "Write transactions waiting for the writer.",
                                [db] { return static_cast<double>(db->WriterQueueDepth()); });
    services_->metrics.AddGauge("siyu_engine_events", "Events held by the in-memory engine.",
                                [engine] { return static_cast<double>(engine->Stats().events); });
    services_->metrics.AddGauge("siyu_engine_memory_bytes", "Memory of the engine's event storage.",
                                [engine] { return static_cast<double>(engine->Stats().memory_bytes); });
    services_->metrics.AddGauge(
        "siyu_segment_engine_memory_bytes", "Memory of the segment engine.",
        [svc = services_.get()] { return static_cast<double>(svc->segment_engine.MemoryBytes()); });
    services_->metrics.AddGauge("siyu_build_info{version=\"" SIYU_VERSION "\"}", "Build information.",
                                [] { return 1.0; });
    SetUpScrm(*services_);
    SetUpScrmGroups(*services_);
    services_->outbox->Start();
    services_->wecom_inbox->Start();
    services_->webhooks->Start();
}

App::~App() = default;

void App::Shutdown() {
    if (services_->scrm) services_->scrm->corp_tags().Stop();
    if (services_->scrm_groups) services_->scrm_groups->Stop();
    services_->wecom_inbox->Stop();
    services_->webhooks->Stop();
    services_->outbox->Stop();
    services_->loyalty->Stop();
    services_->segments->Stop();
}

http::Metrics& App::metrics() { return services_->metrics; }
const http::Router& App::router() const { return *router_; }
std::string App::OpenApiDocument() const { return BuildOpenApi(*router_).dump(2); }

http::Response App::Dispatch(http::Request& req) {
    try {
        const http::Route* route = nullptr;
        std::string allowed;
        switch (router_->Match(req, &route, &allowed)) {
            case http::Router::MatchResult::kFound: {
                http::Response resp = route->handler(req);
                resp.route = route->spec.pattern;
                return resp;
            }
            case http::Router::MatchResult::kMethodNotAllowed: {
                http::Response resp = http::Response::Json(
                    405, http::ErrorBody("method_not_allowed",
                                         req.method + " is not allowed on " + req.path + "; use " + allowed, "",
                                         req.request_id));
                resp.SetHeader("Allow", allowed);
                return resp;
            }
            case http::Router::MatchResult::kNotFound:
                break;
        }
        if (!IsApiPath(req.path)) {
            if (auto file = services_->static_files.Serve(req)) return *file;
        }
        return ErrorResponse(Status::NotFound("no route for " + req.method + " " + req.path), req.request_id);
    } catch (const std::exception& e) {
        spdlog::error("request_id={} unhandled exception: {}", req.request_id, e.what());
        return ErrorResponse(Status::Internal("internal error; request id " + req.request_id), req.request_id);
    }
}

}  // namespace siyu::api
