#pragma once

// Stored value (储值, docs/stored-value.md): a member's prepaid balance in two parts, the paid
// principal (本金) and the bonus (赠送金), each moved by entries of one ledger that records
// both balances after every entry. Top-ups add principal and, by a tenant-defined offer or an
// explicit amount, bonus; a spend against an order takes from both parts in proportion to the
// balances; a refund gives back to an order what it spent, in the split it was spent; a
// withdrawal pays out principal and forfeits the bonus in the same proportion; an adjustment
// corrects either part with a reason. Balances are never negative. Every value-moving call is
// idempotent through its Request. Thread-safe.

#include <optional>
#include <string>
#include <vector>

#include "loyalty/core.h"

namespace siyu::loyalty {

class Loyalty;

// A tenant-defined top-up offer (充值活动): pay `pay_amount`, receive `bonus_amount` on top.
struct TopupOffer {
    int64_t id = 0;
    std::string name;
    int64_t pay_amount = 0;    // minor units, > 0
    int64_t bonus_amount = 0;  // minor units, >= 0
    bool active = true;
    std::optional<TimeMs> valid_from, valid_to;  // [from, to); absent: unbounded
    TimeMs created_at = 0;
    TimeMs updated_at = 0;
};

// Fields to set; absent ones keep their value. The inner optional of a bound is empty for null.
struct TopupOfferInput {
    std::optional<std::string> name;
    std::optional<int64_t> pay_amount;
    std::optional<int64_t> bonus_amount;
    std::optional<bool> active;
    std::optional<std::optional<TimeMs>> valid_from, valid_to;
};

struct TopupInput {
    int64_t customer_id = 0;
    std::optional<int64_t> amount;    // principal paid; with an offer it defaults to (and must equal) its price
    std::optional<int64_t> offer_id;  // a current offer of the tenant
    std::optional<int64_t> bonus;     // an explicit bonus instead of an offer
    std::string payment_ref;          // the payment that funded the top-up
};

struct SpendInput {
    int64_t customer_id = 0;
    int64_t amount = 0;    // > 0, at most the balance
    std::string order_id;  // required
};

struct RefundInput {
    int64_t customer_id = 0;
    std::string order_id;           // an order this member paid with stored value
    std::optional<int64_t> amount;  // default: everything not yet refunded
    std::string reason;
};

struct WithdrawInput {
    int64_t customer_id = 0;
    std::optional<int64_t> amount;  // principal to pay out; default: all of it
    std::string reason;
    std::string payment_ref;
};

struct AdjustInput {
    int64_t customer_id = 0;
    int64_t principal = 0;  // signed change; one of the two is not zero
    int64_t bonus = 0;
    std::string reason;  // required
};

// The split of `amount` taken from balances (principal, bonus) in proportion to them: the
// bonus part is rounded down, so a fen of rounding always comes from the principal; neither
// part exceeds its balance. `amount` must not exceed principal + bonus.
struct Split {
    int64_t principal = 0;
    int64_t bonus = 0;
};
Split ProportionalSplit(int64_t amount, int64_t principal, int64_t bonus);

class StoredValue {
  public:
    explicit StoredValue(Loyalty* loyalty) : loyalty_(loyalty) {}

    Result<std::vector<TopupOffer>> ListOffers(int64_t tenant_id);
    Result<TopupOffer> GetOffer(int64_t tenant_id, int64_t id);
    Result<TopupOffer> CreateOffer(int64_t tenant_id, const TopupOfferInput& in, const auth::Actor& actor);
    Result<TopupOffer> UpdateOffer(int64_t tenant_id, int64_t id, const TopupOfferInput& in, const auth::Actor& actor);
    // Deleted offers disappear from lists; entries that used them keep their id.
    Status DeleteOffer(int64_t tenant_id, int64_t id, const auth::Actor& actor);

    // Each answers {"entry": ..., "balance": {...}} and emits its Stored Value event.
    Result<Outcome> Topup(const Request& r, const TopupInput& in);
    Result<Outcome> Spend(const Request& r, const SpendInput& in);
    Result<Outcome> Refund(const Request& r, const RefundInput& in);
    Result<Outcome> Withdraw(const Request& r, const WithdrawInput& in);
    // Recorded in the audit log.
    Result<Outcome> Adjust(const Request& r, const AdjustInput& in);

    // The member's balance and entries, newest first; `before_id` is the cursor.
    Result<Json> Entries(int64_t tenant_id, int64_t customer_id, int limit, std::optional<int64_t> before_id);
    // Opening balance at `from`, the entries in [from, to) oldest first with totals per type,
    // and the closing balance at `to`.
    Result<Json> Statement(int64_t tenant_id, int64_t customer_id, TimeMs from, TimeMs to);

    // Scheduled duties for one tenant (called by Loyalty::Sweep); stored value has none.
    Status Sweep(int64_t tenant_id);

  private:
    Loyalty* loyalty_;
};

// For `siyu loyalty verify`: every member's sv_principal / sv_bonus equal the sums of their
// entries, each entry's balances-after follow from the previous one, no balance is negative,
// and no order was refunded more (principal or bonus) than it spent. Appends a sentence per
// problem; counts the entries read.
Status VerifyStoredValue(store::Connection& c, int64_t tenant_id, std::vector<std::string>* problems,
                         int64_t* entries);

}  // namespace siyu::loyalty
