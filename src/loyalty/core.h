#pragma once

// What every loyalty operation shares (docs/loyalty.md): the programme settings, the member
// row, one write transaction that collects the events it emits, and idempotent execution —
// the result of a request that carried an Idempotency-Key is committed with its effect, so a
// retry returns the original result and changes nothing.

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "auth/audit_log.h"
#include "base/status.h"
#include "base/time.h"
#include "cdp/event_ingestor.h"
#include "store/database.h"

namespace siyu::loyalty {

using Json = nlohmann::json;

// Programme settings per tenant (GET/PUT /api/v1/loyalty/settings). Defaults apply to a
// tenant that never saved any.
struct LoyaltySettings {
    std::string member_no_prefix = "M";  // member numbers: prefix + zero-padded sequence
    int member_no_digits = 10;
    std::string points_expiry = "year_end_next";  // year_end_next, days, never
    int points_expiry_days = 365;                 // with "days"
    int points_expiring_notice_days = 30;         // Points Expiring this many days before
    int64_t cash_points_per_yuan = 100;           // 积分抵现: points worth ¥1
    int max_cash_share_pct = 50;                  // at most this share of an order paid with points
    std::string tier_basis = "points";            // points (earned, never the balance) or spend
    int tier_window_days = 365;                   // rolling window of the tier basis
    int downgrade_grace_days = 30;                // below threshold this long before a downgrade
    int coupon_expiring_notice_days = 3;          // Coupon Expiring this many days before
    int paid_expiring_notice_days = 7;            // paid membership "expires soon"
    bool auto_enroll = false;                     // a customer's first completed order registers them
};

Json SettingsToJson(const LoyaltySettings& s);
// Applies the fields present in `patch` onto `s`; errors name the field.
Status ApplySettingsPatch(const Json& patch, LoyaltySettings* s);

// The balances and tier of one member (a row of `members`).
struct Member {
    int64_t customer_id = 0;
    int64_t tenant_id = 0;
    std::string member_no;
    std::string channel;
    std::optional<int64_t> store_id;
    std::optional<int64_t> referrer_id;
    TimeMs registered_at = 0;
    std::optional<int64_t> tier_id;
    std::optional<TimeMs> tier_since;
    std::optional<TimeMs> downgrade_due_since;
    int64_t points = 0;
    int64_t points_held = 0;
    int64_t points_debt = 0;
    int64_t points_earned = 0;
    int64_t sv_principal = 0;
    int64_t sv_bonus = 0;
    // The tier as read from the database: saving the member with the same tier leaves the
    // members_tier index alone (an UPDATE naming an indexed column rewrites its index entry).
    std::optional<std::optional<int64_t>> stored_tier_id;
};

Json MemberJson(const Member& m);

// Publishes events committed by loyalty operations (to the engine and the segments).
using EventSink = std::function<void(const std::vector<cdp::StoredEvent>&)>;

// What every operation of a tenant reads — its settings and time zone — cached for a second so
// that a hot operation does not re-read and re-parse them. Thread-safe.
class TenantCache {
  public:
    struct Entry {
        LoyaltySettings settings;
        std::string time_zone;
        bool has_tiers = true;
        int64_t loaded_ns = 0;
    };
    Result<Entry> Get(store::Connection& c, int64_t tenant_id);
    void Forget(int64_t tenant_id);

  private:
    std::mutex mu_;
    std::map<int64_t, Entry> entries_;
};

// One loyalty write transaction on `c`: the tenant, the time of the operation, the settings
// (loaded on first use) and the events emitted, published after commit. Not thread-safe.
class Tx {
  public:
    Tx(store::Connection& c, int64_t tenant_id, TimeMs now, TenantCache* cache = nullptr)
        : c_(c), tenant_(tenant_id), now_(now), cache_(cache) {}

    store::Connection& c() { return c_; }
    int64_t tenant() const { return tenant_; }
    TimeMs now() const { return now_; }
    Result<const LoyaltySettings*> Settings();
    // The tenant's IANA time zone.
    Result<std::string> TimeZone();
    // Writes the tenant's settings and drops the cached copy.
    Status SaveSettings(const LoyaltySettings& s);
    // Whether the tenant defines tiers at all (cached like the settings).
    Result<bool> HasTiers();
    // Drops the cached copy after changing what it holds (tiers).
    void ForgetCache() {
        if (cache_) cache_->Forget(tenant_);
    }

    // Stores a `track` event on `customer_id` and queues it for publishing. `message_id`
    // defaults to a random one; `revenue` (minor units) is set for order events.
    Status Emit(int64_t customer_id, std::string_view name, const Json& properties,
                std::optional<int64_t> revenue = std::nullopt, const std::string& message_id = "");
    std::vector<cdp::StoredEvent>& events() { return events_; }
    // A points entry was written: the ledger projection has work after the commit.
    void NoteEntries() { wrote_entries_ = true; }
    bool wrote_entries() const { return wrote_entries_; }

    // The customer a (possibly merged) id stands for now, in this tenant; not_found otherwise.
    Result<int64_t> ResolveCustomer(int64_t customer_id);
    // The member row of a customer (following merges); not_found when not a member.
    Result<Member> LoadMember(int64_t customer_id);
    std::optional<Member> FindMember(int64_t customer_id);  // nullopt on any error or none
    // The member row of exactly this customer id, without following merges or checking the
    // customer (settling an entry, scheduled duties): the ledgers are keyed by it.
    Result<Member> LoadMemberExact(int64_t customer_id);
    // Writes the member's balances, tier fields and updated_at.
    Status SaveMember(const Member& m);

    Status Audit(const auth::Actor& actor, const std::string& action, const std::string& target_type,
                 const std::string& target_id, const Json& details);

  private:
    store::Connection& c_;
    int64_t tenant_;
    TimeMs now_;
    TenantCache* cache_;
    std::optional<LoyaltySettings> settings_;
    std::optional<std::string> time_zone_;
    std::vector<cdp::StoredEvent> events_;
    bool wrote_entries_ = false;
};

Result<LoyaltySettings> LoadSettings(store::Connection& c, int64_t tenant_id);

// The start of the message id of an event the programme stores: "siyu-" + 12 hex digits of the
// time + "-". Ids that sort by time make the events' unique index grow at its end instead of
// touching a random page for every event.
std::string MessageIdPrefix(TimeMs at);

// Mirrors a member's balance into the profile trait `points` (so segments can pick members by
// it), only when it differs; the profile change log then updates the segments. `at` moves the
// profile's updated_at forward, never back.
Status MirrorPointsTrait(store::Connection& c, int64_t customer_id, int64_t points, TimeMs at);

// A page of a list: {"data": data, "next_cursor": the last row's id as text when the page is full,
// else null}, with `fields` (say the customer) ahead of them.
Json PageJson(Json data, std::optional<int64_t> last_id, int limit, Json fields = Json::object());

// A page of one of a tenant's catalogues (coupon templates, mall items) in id order, after
// `after_id`, of one status or all. `select` is the SELECT up to and including its FROM clause;
// `row` turns the statement's current row into its id and JSON.
Result<Json> ListCatalogue(store::Database& db, std::string_view select, int64_t tenant_id,
                           const std::optional<std::string>& status, int limit, std::optional<int64_t> after_id,
                           const std::function<std::pair<int64_t, Json>(store::Statement&)>& row);

// Who asks for an operation, and how to recognise a retry of it.
struct Request {
    int64_t tenant_id = 0;
    std::optional<std::string> idempotency_key;  // 1–200 printable ASCII characters
    std::string fingerprint;                     // the request's content; a reused key must match it
    auth::Actor actor;
};

struct Outcome {
    Json body;
    int status = 200;
    bool replayed = false;  // the stored result of an earlier request with the same key
};

// Validates an Idempotency-Key header value (invalid_argument naming the header).
Status CheckIdempotencyKey(std::string_view key);

// The storage and the event sink every loyalty service shares. Thread-safe.
class Executor {
  public:
    Executor(store::Database* db, EventSink sink, std::function<TimeMs()> clock = NowMs)
        : db_(db), sink_(std::move(sink)), clock_(std::move(clock)) {}

    store::Database* db() const { return db_; }
    TimeMs Now() const { return clock_(); }
    void SetSink(EventSink sink) { sink_ = std::move(sink); }

    // Runs `fn` in one write transaction. With a key: a stored result for (tenant, key) is
    // returned as it was (failed_precondition when the key was used for a different
    // operation or request); otherwise the result is stored with the effect. A failing `fn`
    // changes nothing and stores nothing. Emitted events are published after the commit.
    // `fn` may run more than once, each run but the last rolled back (store::WriteMode::
    // kReplayable): it must act only through the Tx, or set its outputs afresh on each run.
    Result<Outcome> Run(const Request& request, std::string_view operation, const std::function<Result<Json>(Tx&)>& fn,
                        int success_status = 200);
    // Runs `fn` in a write transaction without idempotency (configuration, jobs).
    Status Write(int64_t tenant_id, const std::function<Status(Tx&)>& fn);
    // Runs `fn` in one write transaction that every Run and Write this thread makes meanwhile
    // joins, each in a savepoint of its own (a failing operation still changes nothing). For
    // bulk loading (the demo brand): one commit instead of one per operation. Events are
    // published after the commit.
    Status Batch(const std::function<Status()>& fn);
    // Publishes events committed elsewhere (the ingest hook collects its own).
    void Publish(const std::vector<cdp::StoredEvent>& events) const;
    // Called after a commit that wrote points entries (wakes the ledger projection).
    void SetEntriesHook(std::function<void()> hook) { entries_hook_ = std::move(hook); }
    void EntriesCommitted() const {
        if (entries_hook_) entries_hook_();
    }

  private:
    store::Database* db_;
    EventSink sink_;
    std::function<TimeMs()> clock_;
    std::function<void()> entries_hook_;
    mutable TenantCache cache_;
};

}  // namespace siyu::loyalty
