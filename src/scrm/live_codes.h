#pragma once

// Channel live codes (渠道活码): a code per channel (poster, store, package, ad, event) with a
// staff pool, an assignment mode, tags to apply, a welcome message (text and attachments, an
// optional coupon issued on add), skip-verify and a validity window. Each pool member gets a
// WeCom contact way of its own (add_contact_way type 1, state "lc<id>"), created, changed and
// removed through the outbox (kind "scrm.contact_way"); its config_id and qr_code are stored
// on the pool row. The public landing /c/{key} picks a staff member per the mode and answers
// with that member's QR code, recording a scan. Thread-safe (state lives in the database).

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "auth/audit_log.h"
#include "base/status.h"
#include "base/time.h"
#include "scrm/wecom_gateway.h"
#include "store/database.h"

namespace siyu::scrm {

inline constexpr char kContactWayKind[] = "scrm.contact_way";

struct LiveCodeMember {
    int64_t staff_id = 0;
    std::string userid;
    std::string name;
    std::string staff_status;
    int64_t position = 0;
    std::optional<std::string> config_id;
    std::optional<std::string> qr_code;
    std::string sync_status;  // pending, ready, failed
    std::optional<std::string> sync_error;
    std::optional<int64_t> outbox_id;
};

struct LiveCode {
    int64_t id = 0;
    int64_t tenant_id = 0;
    std::string key;
    std::string name;
    std::string channel;
    std::string assign_mode;  // round_robin, least_loaded, nearest_store
    std::optional<int64_t> daily_cap;
    std::vector<int64_t> tag_ids;
    Json welcome = Json::object();  // {"text": ..., "attachments": [...]}
    std::optional<int64_t> coupon_template_id;
    bool skip_verify = true;
    std::optional<TimeMs> valid_from;
    std::optional<TimeMs> valid_to;
    std::string status;  // active, disabled
    std::vector<LiveCodeMember> staff;
    TimeMs created_at = 0;
    TimeMs updated_at = 0;
    bool deleted = false;
    // pending while any pool member waits for WeCom, failed when one failed, else ready.
    std::string SyncStatus() const;
};

// Fields to set; absent ones keep their value. Inner empty optionals mean null.
struct LiveCodeInput {
    std::optional<std::string> name;
    std::optional<std::string> channel;
    std::optional<std::vector<int64_t>> staff_ids;
    std::optional<std::string> assign_mode;
    std::optional<std::optional<int64_t>> daily_cap;
    std::optional<std::vector<int64_t>> tag_ids;
    std::optional<Json> welcome;
    std::optional<std::optional<int64_t>> coupon_template_id;
    std::optional<bool> skip_verify;
    std::optional<std::optional<TimeMs>> valid_from;
    std::optional<std::optional<TimeMs>> valid_to;
    std::optional<std::string> status;
};

// Validates a POST (creating) or PATCH body; errors name the field (welcome.attachments[1].url).
Result<LiveCodeInput> ParseLiveCodeInput(const Json& body, bool creating);

// The send_welcome_msg body for `welcome`: {welcome_code, text, attachments}. "{coupon_code}"
// and "{name}" in the text are replaced; an issued coupon whose code the text does not mention
// is appended on a line of its own. nullopt when there is nothing to send.
std::optional<Json> WelcomeMessageBody(const Json& welcome, const std::string& welcome_code,
                                       const std::optional<std::string>& coupon_code, const std::string& name);

// One staff member the landing may pick.
struct Candidate {
    int64_t staff_id = 0;
    int64_t position = 0;    // in the pool
    int64_t adds_today = 0;  // relationships begun today (tenant time zone)
    std::optional<double> latitude, longitude;  // the staff member's store
};

struct GeoPoint {
    double latitude = 0, longitude = 0;
};

// Great-circle distance in metres.
double DistanceMetres(GeoPoint a, GeoPoint b);

// Picks the index of the candidate a scan goes to. Candidates at the daily cap are skipped;
// when every one is at it, the least loaded is taken. round_robin: the first eligible at or
// after position `rr_next` (wrapping); least_loaded: fewest adds today, then position;
// nearest_store: the nearest store to `where` (stores without coordinates last), then fewest
// adds; without `where` like least_loaded. nullopt when there are no candidates.
std::optional<size_t> ChooseStaff(const std::string& mode, std::optional<int64_t> daily_cap,
                                  const std::vector<Candidate>& candidates, int64_t rr_next,
                                  std::optional<GeoPoint> where);

// What the landing answers.
struct LandingPick {
    int64_t tenant_id = 0;
    int64_t live_code_id = 0;
    int64_t staff_id = 0;
    std::string userid;
    std::string qr_code;
    int64_t scan_id = 0;
};

struct LiveCodeFilter {
    int limit = 50;
    std::optional<int64_t> before_id;
    std::optional<std::string> channel;
    std::optional<std::string> status;
};

class LiveCodes {
  public:
    static constexpr size_t kMaxPool = 100;

    LiveCodes(store::Database* db, const WecomGateway* wecom) : db_(db), wecom_(wecom) {}

    // Creates the code and enqueues one add_contact_way per pool member in the same
    // transaction. Audited.
    Result<LiveCode> Create(int64_t tenant_id, const LiveCodeInput& in, const auth::Actor& actor);
    // Applies the patch; pool members added get a contact way, removed ones lose theirs, and a
    // changed skip_verify updates the others'.
    Result<LiveCode> Update(int64_t tenant_id, int64_t id, const LiveCodeInput& in, const auth::Actor& actor);
    // Soft delete; every contact way is removed through the outbox.
    Status Delete(int64_t tenant_id, int64_t id, const auth::Actor& actor);
    Result<LiveCode> Get(int64_t tenant_id, int64_t id);
    Result<std::vector<LiveCode>> List(int64_t tenant_id, const LiveCodeFilter& filter);
    // Waits up to `timeout` for the pool's pending contact ways, then answers the code as it is.
    Result<LiveCode> WaitForSync(int64_t tenant_id, int64_t id, std::chrono::milliseconds timeout);

    // The landing: not_found for an unknown or deleted key; failed_precondition for a disabled
    // or expired code, or one without a ready QR code. Records the scan.
    Result<LandingPick> Land(const std::string& key, std::optional<GeoPoint> where);

    // The outbox handler of kContactWayKind: payload {"op": "sync", live_code_id, staff_id} or
    // {"op": "del", retired_id}.
    channels::Delivery Deliver(const channels::OutboxMessage& message);

  private:
    Result<LiveCode> LoadIn(store::Connection& c, int64_t tenant_id, int64_t id, bool include_deleted);
    channels::Delivery Sync(int64_t tenant_id, int64_t live_code_id, int64_t staff_id);
    channels::Delivery Remove(int64_t tenant_id, int64_t retired_id);

    store::Database* db_;
    const WecomGateway* wecom_;
};

// The tenant's IANA time zone.
Result<std::string> TimeZoneOfTenant(store::Connection& c, int64_t tenant_id);
// [start, end) of the local day holding `at`, in UTC ms.
std::pair<TimeMs, TimeMs> LocalDayBounds(TimeMs at, const std::string& time_zone);

}  // namespace siyu::scrm
