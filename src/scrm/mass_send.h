#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "auth/audit_log.h"
#include "cdp/event_ingestor.h"
#include "channels/outbox.h"
#include "scrm/wecom_support.h"
#include "store/database.h"

namespace siyu::scrm {

// The outbox kind that creates one chunk's add_msg_template and records msgid and fail_list.
inline constexpr char kMassSendOutboxKind[] = "scrm.mass_send";
// WeCom takes at most 10,000 external_userids per add_msg_template call.
inline constexpr size_t kMassSendChunk = 10'000;
// WeCom delivers at most four mass messages to a customer per calendar month.
inline constexpr int64_t kMonthlyMassMessages = 4;

struct MassSendInput {
    std::string name;
    int64_t segment_id = 0;
    std::string text;
    Json attachments = Json::array();  // [{msgtype: link|image|miniprogram, ...}]
    std::optional<TimeMs> scheduled_at;
};

struct MassSendChunk {
    int64_t id = 0;
    std::optional<int64_t> staff_id;
    std::string userid;
    int64_t target_count = 0;
    std::string status;  // pending | created | failed
    std::string msgid;
    std::vector<std::string> fail_list;
    std::string error;
    // Per-target results of this chunk.
    int64_t sent = 0, unsent = 0, not_friend = 0, already_received = 0, failed = 0;
};

struct ShortLink {
    std::string code;
    std::string url;
    std::string short_url;
    int64_t clicks = 0;
    int64_t unique_clickers = 0;
};

struct MassSend {
    int64_t id = 0;
    std::string name;
    int64_t segment_id = 0;
    std::string text;           // as sent: links replaced by short links
    std::string original_text;  // as written
    Json attachments = Json::array();
    std::optional<TimeMs> scheduled_at;
    std::string status;  // scheduled | sending | sent | failed
    std::string month;   // YYYY-MM of the dispatch in the tenant's zone
    int64_t target_count = 0;
    int64_t skipped_monthly_limit = 0;
    int64_t skipped_no_owner = 0;
    TimeMs created_at = 0;
    std::string created_by;
    std::optional<TimeMs> dispatched_at;
    std::optional<TimeMs> polled_at;
    int64_t sent = 0, unsent = 0, not_friend = 0, already_received = 0, failed = 0;
    int64_t clicks = 0, unique_clickers = 0;
    std::vector<MassSendChunk> chunks;
    std::vector<ShortLink> links;
};

// Replaces every http(s) URL in `text` with `shorten(url)`. A URL runs to the first space,
// quote, angle bracket or non-ASCII character; trailing punctuation (.,;:!?) stays outside.
std::string RewriteLinks(std::string_view text, const std::function<std::string(const std::string&)>& shorten);

// The calendar month "YYYY-MM" of `at` in `time_zone`.
std::string MonthOf(TimeMs at, const std::string& time_zone);

// The customers of a saved segment.
using SegmentMembersFn = std::function<Result<std::vector<int64_t>>(int64_t tenant_id, int64_t segment_id)>;

// Mass sends (群发) to a segment through WeCom's add_msg_template: members are split by their
// owning staff member (the earliest-added active owner), customers who already got four mass
// messages this month (tenant time zone) are left out, each staff member's list goes out in
// chunks of 10,000 through the outbox, links become tracked short links (/l/{code}), and send
// results are collected with get_groupmsg_send_result. Thread-safe.
class MassSends {
  public:
    MassSends(store::Database* db, cdp::EventIngestor* ingestor, WecomCall wecom, OutboxEnqueue enqueue,
              std::function<void()> wake, SegmentMembersFn segment_members, std::string public_base)
        : db_(db),
          ingestor_(ingestor),
          wecom_(std::move(wecom)),
          enqueue_(std::move(enqueue)),
          wake_(std::move(wake)),
          segment_members_(std::move(segment_members)),
          public_base_(std::move(public_base)) {}
    ~MassSends() { Stop(); }

    // The clock (tests move it across month boundaries).
    void SetClock(std::function<TimeMs()> clock) { clock_ = std::move(clock); }

    // Validates, creates the short links and dispatches at once unless scheduled later.
    Result<MassSend> Create(int64_t tenant_id, const MassSendInput& input, const auth::Actor& actor);
    // Resolves the targets and queues the chunks (a scheduled send when it is due).
    Status Dispatch(int64_t tenant_id, int64_t id);
    Result<MassSend> Get(int64_t tenant_id, int64_t id);
    Result<std::vector<MassSend>> List(int64_t tenant_id, int limit, std::optional<int64_t> before_id);
    // Collects send results of every created chunk.
    Result<MassSend> Refresh(int64_t tenant_id, int64_t id);

    // The outbox handler for kMassSendOutboxKind.
    channels::Delivery Deliver(const channels::OutboxMessage& message);

    // A click on /l/{code}: records it and a `Message Clicked` event, attributed to the customer
    // when `external_userid` is a target of the send; otherwise anonymous (`visitor` seeds the
    // anonymous id). Returns the original URL; NotFound for an unknown code.
    Result<std::string> Click(const std::string& code, const std::string& external_userid, const std::string& visitor,
                              TimeMs at);

    // Mass messages counted for a customer in a month.
    Result<int64_t> MonthlyCount(int64_t tenant_id, int64_t customer_id, const std::string& month);

    // Dispatches due scheduled sends and polls results every `interval_ms`.
    void Start(int interval_ms);
    void Stop() { ticker_.Stop(); }
    void Tick(TimeMs poll_older_than);

  private:
    TimeMs Now() const { return clock_ ? clock_() : NowMs(); }
    Status LoadDetails(store::Connection& c, MassSend* m);

    store::Database* db_;
    cdp::EventIngestor* ingestor_;
    WecomCall wecom_;
    OutboxEnqueue enqueue_;
    std::function<void()> wake_;
    SegmentMembersFn segment_members_;
    std::string public_base_;
    std::function<TimeMs()> clock_;
    Ticker ticker_;
};

}  // namespace siyu::scrm
