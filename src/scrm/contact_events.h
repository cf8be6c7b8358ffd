#pragma once

// Handlers for WeCom change_external_contact callbacks (docs/scrm.md): add_external_contact and
// add_half_external_contact, edit_external_contact, del_external_contact and del_follow_user.
// They run on inbox workers, at least once per stored callback, and are idempotent per inbox
// row: CDP message ids, the coupon's idempotency key and the outbox dedupe keys derive from
// the inbox id, and the SCRM writes commit together with a contact log row for that id.
// Also the loss alerts (流失提醒) the deletions raise. Thread-safe.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "cdp/event_ingestor.h"
#include "cdp/tags.h"
#include "channels/wecom/inbox.h"
#include "scrm/wecom_gateway.h"
#include "store/database.h"

namespace siyu::scrm {

// Issues one coupon of `template_id` to the customer, idempotently under `idempotency_key`,
// and answers its code. failed_precondition / not_found: it cannot be issued (stock, limit,
// paused template); the welcome message then goes without it.
using CouponIssuer = std::function<Result<std::string>(int64_t tenant_id, int64_t template_id, int64_t customer_id,
                                                       const std::string& idempotency_key, int64_t live_code_id)>;

struct LossAlert {
    int64_t id = 0;
    int64_t staff_id = 0;
    std::string staff_userid;
    std::string staff_name;
    std::optional<int64_t> customer_id;
    std::optional<std::string> customer_name;
    std::string external_userid;
    std::string reason;  // deleted_by_staff, deleted_by_customer
    TimeMs created_at = 0;
    std::optional<TimeMs> read_at;
};

struct AlertFilter {
    int limit = 50;
    std::optional<int64_t> before_id;
    std::optional<int64_t> staff_id;
    std::optional<bool> unread;
    std::optional<std::vector<int64_t>> staff_ids;  // the caller may see these staff members' alerts only
};

// The window WeCom gives a welcome code.
inline constexpr TimeMs kWelcomeWindowMs = 20'000;

class ContactEvents {
  public:
    ContactEvents(store::Database* db, const WecomGateway* wecom, cdp::EventIngestor* ingestor,
                  cdp::TagRepository* tags, CouponIssuer coupons)
        : db_(db), wecom_(wecom), ingestor_(ingestor), tags_(tags), coupons_(std::move(coupons)) {}

    // add_external_contact / add_half_external_contact.
    Status OnAdd(const channels::wecom::InboxEvent& e);
    // edit_external_contact: profile and remark refreshed, `WeCom Contact Edited`.
    Status OnEdit(const channels::wecom::InboxEvent& e);
    // del_external_contact (the staff member deleted the customer) and del_follow_user (the
    // customer deleted the staff member): the relationship ends, `WeCom Contact Lost`, an alert.
    Status OnDelete(const channels::wecom::InboxEvent& e);

    Result<std::vector<LossAlert>> Alerts(int64_t tenant_id, const AlertFilter& filter);
    // Marks alerts read; `staff_ids` (when set) limits which. Answers how many changed.
    Result<int64_t> MarkRead(int64_t tenant_id, const std::vector<int64_t>& ids,
                             const std::optional<std::vector<int64_t>>& staff_ids);
    Result<int64_t> UnreadCount(int64_t tenant_id, const std::optional<std::vector<int64_t>>& staff_ids);

  private:
    Result<bool> Logged(int64_t tenant_id, int64_t inbox_id);

    store::Database* db_;
    const WecomGateway* wecom_;
    cdp::EventIngestor* ingestor_;
    cdp::TagRepository* tags_;
    CouponIssuer coupons_;
};

}  // namespace siyu::scrm
