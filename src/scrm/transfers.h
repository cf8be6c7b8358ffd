#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "auth/audit_log.h"
#include "channels/outbox.h"
#include "channels/wecom/inbox.h"
#include "scrm/wecom_support.h"
#include "store/database.h"

namespace siyu::scrm {

// The outbox kind that submits one chunk of a transfer and records the per-customer answers.
inline constexpr char kTransferOutboxKind[] = "scrm.transfer";
// WeCom takes at most 100 customers (or groups) per transfer call.
inline constexpr size_t kTransferChunk = 100;

struct TransferInput {
    std::string kind;  // on_job (在职转接) | resigned (离职继承)
    std::string handover_userid;
    std::string takeover_userid;
    std::vector<std::string> external_userids;  // chosen customers; empty with all_customers
    bool all_customers = false;                 // every active customer of the handover staff member
    bool include_groups = false;                // also the groups the handover staff member owns
    std::vector<std::string> chat_ids;          // chosen groups (implies include_groups)
    std::string transfer_msg;                   // on_job only: shown to the customer
};

struct TransferCustomer {
    std::string external_userid;
    std::optional<int64_t> customer_id;
    // submitting | waiting | accepted (接替完毕) | refused (客户拒绝) | limit (接替成员客户达到上限) | failed
    std::string status;
    std::optional<int64_t> errcode;
    std::string errmsg;
    std::optional<TimeMs> takeover_time;
    int64_t submissions = 0;
};

struct TransferGroup {
    std::string chat_id;
    std::string status;  // submitting | done | failed
    std::optional<int64_t> errcode;
    std::string errmsg;
};

struct Transfer {
    int64_t id = 0;
    std::string kind;
    std::string handover_userid, takeover_userid;
    std::string transfer_msg;
    bool include_groups = false;
    std::string status;  // running | finished
    TimeMs created_at = 0, updated_at = 0;
    std::optional<TimeMs> polled_at;
    std::string created_by;
    std::vector<TransferCustomer> customers;
    std::vector<TransferGroup> groups;
};

// The customer status a transfer_result status means (1 接替完毕, 2 等待接替, 3 客户拒绝,
// 4 接替成员客户达到上限, 5 无接替记录); "" for an unknown value.
std::string TransferStatusOf(int64_t wecom_status);
// Whether a customer in `status` may be submitted again: limit and failed may; refused may not
// (the customer declined; WeCom also lets a customer be transferred only twice in 90 days).
bool TransferRetryable(const std::string& status);

// On-the-job transfers and resigned-staff inheritance of customers and groups through WeCom's
// transfer APIs: submissions go through the outbox in chunks of 100, answers are recorded per
// customer, results are polled (transfer_result) and arrive as transfer_fail callbacks, and
// ownership rows follow success. Thread-safe.
class Transfers {
  public:
    Transfers(store::Database* db, WecomCall wecom, OutboxEnqueue enqueue, std::function<void()> wake)
        : db_(db), wecom_(std::move(wecom)), enqueue_(std::move(enqueue)), wake_(std::move(wake)) {}
    ~Transfers() { Stop(); }

    Result<Transfer> Create(int64_t tenant_id, const TransferInput& input, const auth::Actor& actor);
    Result<Transfer> Get(int64_t tenant_id, int64_t id);
    Result<std::vector<Transfer>> List(int64_t tenant_id, int limit, std::optional<int64_t> before_id);
    // Polls transfer_result for the transfer's waiting customers.
    Result<Transfer> Refresh(int64_t tenant_id, int64_t id);
    // Submits the retryable failures (limit, failed) again.
    Result<Transfer> Retry(int64_t tenant_id, int64_t id, const auth::Actor& actor);

    // The outbox handler for kTransferOutboxKind.
    channels::Delivery Deliver(const channels::OutboxMessage& message);
    // The inbox handler for "change_external_contact/transfer_fail".
    Status OnTransferFail(const channels::wecom::InboxEvent& event);

    // Polls every running transfer not polled within `interval_ms`, on a background thread.
    void Start(int interval_ms);
    void Stop() { ticker_.Stop(); }
    // One round of that polling.
    void PollDue(TimeMs older_than);

  private:
    Status Enqueue(store::Connection& c, int64_t tenant_id, int64_t transfer_id, const std::string& op,
                   const std::vector<std::string>& items, const std::string& round);
    Status ApplyResult(store::Connection& c, int64_t tenant_id, const Transfer& t, const std::string& external_userid,
                       const std::string& status, std::optional<TimeMs> takeover_time);
    Status UpdateFinished(store::Connection& c, int64_t transfer_id);

    store::Database* db_;
    WecomCall wecom_;
    OutboxEnqueue enqueue_;
    std::function<void()> wake_;
    Ticker ticker_;
};

}  // namespace siyu::scrm
