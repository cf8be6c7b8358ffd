#pragma once

// The points mall (积分商城, docs/coupons.md "Points mall"): a catalogue of rewards (gifts,
// coupons, limited editions) with a points price, stock, per-customer limit and validity.
// An exchange takes the points and the stock in one transaction (stock never oversells: the
// decrement is conditional) and, for coupon rewards, issues the coupons; a cancellation gives
// the points back to the lots they came from, returns the stock and voids unused coupons.
// Thread-safe: state lives in the database; exchanges and cancellations run through the
// loyalty Executor (idempotent with a key).

#include <optional>
#include <string>
#include <vector>

#include "loyalty/core.h"

namespace siyu::loyalty {

class Loyalty;

class Mall {
  public:
    explicit Mall(Loyalty* loyalty) : loyalty_(loyalty) {}

    // Catalogue (configuration; audited). Errors name the field.
    Result<Json> CreateItem(int64_t tenant_id, const Json& body, const auth::Actor& actor);
    // Changes anything but kind and coupon_template_id; "status":"archived" retires an item.
    Result<Json> UpdateItem(int64_t tenant_id, int64_t id, const Json& patch, const auth::Actor& actor);
    Result<Json> GetItem(int64_t tenant_id, int64_t id);
    Result<Json> ListItems(int64_t tenant_id, std::optional<std::string> status, int limit,
                           std::optional<int64_t> after_id);

    // Exchanges `quantity` of an item for a member's points (201 with the exchange).
    Result<Outcome> Exchange(const Request& r, int64_t item_id, int64_t customer_id, int64_t quantity);
    // Cancels an exchange: points restored, stock returned, its coupons voided (409 when one
    // was redeemed).
    Result<Outcome> Cancel(const Request& r, int64_t exchange_id, const std::string& reason);
    // A member's exchanges (following merges), newest first.
    Result<Json> ListExchanges(int64_t tenant_id, int64_t customer_id, int limit, std::optional<int64_t> before_id);

    // Scheduled duties for one tenant (called by Loyalty::Sweep); the mall has none yet.
    Status Sweep(int64_t tenant_id);

  private:
    Loyalty* loyalty_;
};

// Checks for `siyu loyalty verify`: stock never negative, per-customer limits respected,
// every done exchange paid by a redeem entry of its points. `exchanges` counts those read.
Status VerifyMall(store::Connection& c, int64_t tenant_id, std::vector<std::string>* problems, int64_t* exchanges);

}  // namespace siyu::loyalty
