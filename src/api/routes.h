#pragma once

// Internal to the api module: what handler files share.

#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "api/segment_sync.h"
#include "auth/accounts.h"
#include "auth/login_throttle.h"
#include "base/config.h"
#include "cdp/customer_repository.h"
#include "cdp/event_ingestor.h"
#include "cdp/identity_graph.h"
#include "cdp/identity_settings.h"
#include "cdp/tags.h"
#include "channels/secret_box.h"
#include "channels/wecom/config_store.h"
#include "channels/wecom/inbox.h"
#include "channels/outbox.h"
#include "channels/webhooks.h"
#include "channels/wecom/api_client.h"
#include "engine/event_store.h"
#include "engine/segment_engine.h"
#include "http/metrics.h"
#include "http/router.h"
#include "http/static_files.h"
#include "loyalty/loyalty.h"
#include "scrm/group_services.h"
#include "scrm/scrm.h"
#include "scrm/store_directory.h"

namespace siyu::api {

using Json = nlohmann::json;

// Parses a tag's rule (the segment rule language) and answers what it refers to.
Result<cdp::TagRuleRefs> CheckTagRule(std::string_view rule_json);

// Long-lived services the handlers use. Each member is thread-safe.
struct Services {
    Services(store::Database* database, const Config& cfg, engine::EventStore* event_store)
        : db(database),
          engine(event_store),
          config(cfg),
          accounts(database, cfg.auth_session_ttl_hours),
          stores(database),
          customers(database),
          ingestor(database),
          identity(database),
          identity_settings(database),
          tags(database, CheckTagRule),
          segment_engine(event_store),
          static_files(cfg.web_dir) {}
    ~Services();

    store::Database* db;
    engine::EventStore* engine;
    Config config;
    auth::Accounts accounts;
    scrm::StoreDirectory stores;
    cdp::CustomerRepository customers;
    cdp::EventIngestor ingestor;
    cdp::IdentityGraph identity;
    cdp::IdentitySettingsStore identity_settings;
    cdp::TagRepository tags;
    engine::SegmentEngine segment_engine;
    auth::LoginThrottle email_throttle{5};
    auth::LoginThrottle ip_throttle{50};
    http::Metrics metrics;
    http::StaticFiles static_files;
    // The customers of a saved segment (the segment engine's members); empty: segments are
    // not available.
    std::function<Result<std::vector<int64_t>>(int64_t tenant_id, int64_t segment_id)> segment_members;
    // Saved segments and the thread keeping the segment engine current (set up by App).
    std::unique_ptr<SegmentSync> segments;
    // The loyalty programme (set up by App).
    std::unique_ptr<loyalty::Loyalty> loyalty;
    // Seals stored secrets (secrets.key_file), each tenant's WeCom settings, and the inbox of
    // decrypted WeCom callbacks (set up by App; the inbox runs between App::App and Shutdown).
    std::unique_ptr<channels::SecretBox> secrets;
    std::unique_ptr<channels::wecom::WecomConfigStore> wecom_config;
    std::unique_ptr<channels::wecom::Inbox> wecom_inbox;
    // The WeCom API client (credentials from wecom_config), the outbox of outbound calls and the
    // webhook subscriptions (set up by App; outbox and webhooks run between App::App and Shutdown).
    std::unique_ptr<channels::wecom::ApiClient> wecom_api;
    std::unique_ptr<channels::Outbox> outbox;
    std::unique_ptr<channels::Webhooks> webhooks;
    // The SCRM core: staff, customer owners, contact callbacks, live codes, corp tags (set up by App).
    std::unique_ptr<scrm::Scrm> scrm;
    // Customer groups, group live codes, per-item codes, transfers and mass sends (set up by App;
    // their pollers run between App::App and Shutdown).
    std::unique_ptr<scrm::GroupServices> scrm_groups;
};

// One authenticated API call.
struct Ctx {
    http::Request& req;
    Services& svc;
    auth::Principal principal;
    auth::Actor actor;

    int64_t tenant() const { return principal.tenant_id; }
    bool Can(std::string_view permission) const;
    // Which customers this caller may see (all, or those of their stores).
    Result<cdp::Visibility> Visibility();
};

using ApiHandler = std::function<Result<http::Response>(Ctx&)>;
using PublicHandler = std::function<Result<http::Response>(http::Request&, Services&)>;

// Registers routes with authentication, permission checks and error mapping around them.
class RouteTable {
  public:
    RouteTable(http::Router* router, Services* svc) : router_(router), svc_(svc) {}
    // Needs a session or a secret key, and `spec.permission` when set.
    void Api(http::RouteSpec spec, ApiHandler handler);
    // Needs nothing (login, health, documents).
    void Public(http::RouteSpec spec, PublicHandler handler);

  private:
    http::Router* router_;
    Services* svc_;
};

void AddOpsRoutes(RouteTable& t, const http::Router& router);
void AddAuthRoutes(RouteTable& t);
void AddAdminRoutes(RouteTable& t);
void AddStoreRoutes(RouteTable& t);
void AddCustomerRoutes(RouteTable& t);
void AddTrackingRoutes(RouteTable& t);
void AddAnalyticsRoutes(RouteTable& t);
void AddIdentityRoutes(RouteTable& t);
// 400 when the input uses a custom identifier type the tenant has not declared.
Status CheckDeclaredIdentifierTypes(Services& svc, int64_t tenant_id, const cdp::CustomerInput& input);
void AddImportRoutes(RouteTable& t);
void AddTagRoutes(RouteTable& t);
void AddSegmentRoutes(RouteTable& t);
// Loyalty: settings, members, tiers, earning rules, points and orders (loyalty_handlers.cc).
void AddLoyaltyRoutes(RouteTable& t);
// Coupons and the points mall (coupon_handlers.cc).
void AddCouponRoutes(RouteTable& t);
// Stored value and paid membership (stored_value_handlers.cc).
void AddStoredValueRoutes(RouteTable& t);
// The outbox's messages and dead letters, webhook subscriptions, the WeCom API call log
// (outbox_handlers.cc).
void AddOutboxRoutes(RouteTable& t);

// WeCom settings, the callback endpoint and its inbox (wecom_config_handlers.cc).
void AddWecomConfigRoutes(RouteTable& t);
// Staff, customer owners, loss alerts, live codes and the /c/{key} landing, corp tag sync and
// live code statistics (scrm_handlers.cc).
void AddScrmRoutes(RouteTable& t);
// Customer groups, group live codes with /g/{key}, per-item codes with /s/{code} and QR images
// (scrm_group_handlers.cc); mass sends with /l/{code} (mass_send_handlers.cc); transfers
// (transfer_handlers.cc).
void AddScrmGroupRoutes(RouteTable& t);
void AddMassSendRoutes(RouteTable& t);
void AddTransferRoutes(RouteTable& t);

// The loyalty request of an API call: tenant, actor, the Idempotency-Key header and a
// fingerprint of method, path and body (a reused key must come with the same request).
loyalty::Request LoyaltyRequest(Ctx& c);
// not_found unless the customer exists in the tenant and the caller may see it (store roles:
// their stores' customers only); VisibleCustomer reads the id from the path parameter `param`.
Status CheckVisible(Ctx& c, int64_t customer_id);
Result<int64_t> VisibleCustomer(Ctx& c, const char* param = "customer_id");
// The JSON answer of a loyalty outcome; a replayed one carries `Idempotent-Replayed: true`.
http::Response OutcomeResponse(const loyalty::Outcome& outcome);

// The OpenAPI document for the routes in `router`.
Json BuildOpenApi(const http::Router& router);

// --- JSON and request helpers -------------------------------------------------------

http::Response ErrorResponse(const Status& status, const std::string& request_id);
http::Response JsonResponse(int status, const Json& body);

// The body as a JSON object, or invalid_json.
Result<Json> ParseObject(const std::string& body);
// unknown_field for any key not in `known`.
Status RejectUnknown(const Json& object, std::initializer_list<std::string_view> known);

// Field readers: absent → nullopt; wrong type → invalid_argument naming the field.
Result<std::optional<std::string>> OptString(const Json& o, const char* field);
Result<std::optional<int64_t>> OptInt(const Json& o, const char* field);
Result<std::optional<bool>> OptBool(const Json& o, const char* field);
Result<std::string> ReqString(const Json& o, const char* field);
Result<std::optional<std::vector<int64_t>>> OptIdList(const Json& o, const char* field);
// A field that may be null: outer nullopt = absent, inner nullopt = null.
Result<std::optional<std::optional<int64_t>>> NullableInt(const Json& o, const char* field);
Result<std::optional<std::optional<double>>> NullableDouble(const Json& o, const char* field);

struct PageParams {
    int limit = 50;
    std::optional<int64_t> cursor;
};
Result<PageParams> ParsePage(const http::Request& req);
// Only the `limit` parameter (for lists with their own cursor format).
Result<int> ParseLimit(const http::Request& req);
std::string EncodeCursor(int64_t id);
// {"data": items, "next_cursor": ...}; next_cursor is set when the page is full.
Json PageJson(Json items, size_t limit, std::optional<int64_t> last_id);

// A path parameter that must be a positive integer; otherwise not_found.
Result<int64_t> PathId(const http::Request& req, const char* name = "id");

// `?from=YYYY-MM-DD&to=YYYY-MM-DD`, whole days in the tenant's zone (default: the last 30 days,
// at most 366): [from, to) in UTC ms, and the days as given.
struct DayRange {
    std::string from_day, to_day, time_zone;
    TimeMs from = 0, to = 0;
};
Result<DayRange> ParseDayRange(Ctx& c);

Json TimeJson(std::optional<TimeMs> ms);
Json TenantJson(const auth::Tenant& t);

}  // namespace siyu::api
