#pragma once

// Points operations (积分) over the ledger in points_ledger.h: earning on completed orders by
// the earning rules, reversal on refunds, campaign credits, manual adjustments, redeeming for
// cash (积分抵现), holds for pending orders, statements and the scheduled expiry with its
// reminders. Every value-moving call is idempotent through its Request. Thread-safe.

#include <optional>
#include <string>
#include <vector>

#include "loyalty/core.h"

namespace siyu::loyalty {

class Loyalty;

// A completed order as the loyalty programme sees it.
struct OrderLine {
    std::string product_id;
    std::string category;
    int64_t price = 0;  // unit price, minor units
    int64_t quantity = 1;
};
struct OrderFacts {
    int64_t customer_id = 0;
    std::string order_id;
    int64_t amount = 0;  // what the customer paid, minor units
    std::optional<int64_t> store_id;
    std::vector<OrderLine> lines;
    TimeMs at = 0;
};
// Reads the order from an `Order Completed` event's properties (order_id, revenue/total,
// store_id, products[]); invalid_argument naming the property when it is unusable.
Result<OrderFacts> OrderFromProperties(int64_t customer_id, TimeMs at, std::optional<int64_t> revenue,
                                       const std::string& properties);

struct EarnInput {
    int64_t customer_id = 0;
    int64_t points = 0;  // > 0
    std::string reason;  // required
    std::string source_type = "campaign";
    std::string source_id;
};

struct CashRedeemInput {
    int64_t customer_id = 0;
    int64_t points = 0;  // > 0, a multiple of the points worth one fen
    std::string order_id;
    int64_t order_amount = 0;  // minor units, > 0
};

class Points {
  public:
    explicit Points(Loyalty* loyalty) : loyalty_(loyalty) {}

    // Credits points outside an order (a campaign, a journey, a goodwill gesture).
    Result<Outcome> Earn(const Request& r, const EarnInput& in);
    // A manual adjustment (+ or −, reason required) recorded in the audit log. A negative
    // adjustment larger than the balance fails.
    Result<Outcome> Adjust(const Request& r, int64_t customer_id, int64_t delta, const std::string& reason);
    // Moves points from one member to another (family sharing, a merged duplicate account):
    // a `transfer` entry on each side; the receiver's points get a fresh lot with the default
    // expiry. Reason required; audited.
    Result<Outcome> Transfer(const Request& r, int64_t from_customer, int64_t to_customer, int64_t points,
                             const std::string& reason);
    // Pays part of an order with points at the tenant's ratio, within its maximum share.
    Result<Outcome> RedeemForCash(const Request& r, const CashRedeemInput& in);
    // Holds points for a pending order; settle later with Capture or Release.
    Result<Outcome> CreateHold(const Request& r, int64_t customer_id, int64_t points, const std::string& order_id);
    Result<Outcome> SettleHold(const Request& r, int64_t hold_id, bool capture);

    // Entries newest first (an array), `before_id` as cursor; lots with what remains and expires.
    Result<Json> Entries(int64_t tenant_id, int64_t customer_id, int limit, std::optional<int64_t> before_id);
    Result<Json> Lots(int64_t tenant_id, int64_t customer_id);

    // What an order would earn (nothing is written).
    Result<Json> Preview(int64_t tenant_id, const OrderFacts& order);

    // Inside a transaction: earns for a completed order (once per order id), and reverses
    // in proportion to a refund (restoring points the order redeemed in the same proportion).
    Result<Json> CompleteOrder(Tx& tx, const OrderFacts& order);
    Result<Json> RefundOrder(Tx& tx, int64_t customer_id, const std::string& order_id, int64_t refund_amount);

    // Expires due lots and emits Points Expiring reminders for the tenant.
    Status Sweep(int64_t tenant_id);

  private:
    Loyalty* loyalty_;
};

}  // namespace siyu::loyalty
