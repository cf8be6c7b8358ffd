#pragma once

// Coupons (优惠券, docs/coupons.md): templates, codes, issuing (to one customer, a list, or a
// segment as a background job), redemption exactly once with an order context, reversal on
// refunds, expiry reminders and per-template statistics. Thread-safe: state lives in the
// database; value-moving operations run through the loyalty Executor (idempotent with a key).

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "loyalty/core.h"

namespace siyu::loyalty {

class Loyalty;
class CouponJobQueue;
struct CouponIssuePending;

// A coupon template as stored (config JSON expanded).
struct CouponTemplate {
    int64_t id = 0;
    int64_t tenant_id = 0;
    std::string name;
    std::string type;  // cash_off, threshold, percent, exchange, free_shipping
    std::string note;
    int64_t amount = 0;            // cash_off, threshold: the discount in minor units
    int64_t min_order_amount = 0;  // threshold: the order (eligible part) must reach it; others: optional
    int64_t percent_off = 0;       // percent: 15 = 15% off (八五折)
    std::optional<int64_t> max_discount;  // percent: cap
    std::string gift;                     // exchange: what the coupon is exchanged for
    std::optional<std::string> exchange_product_id;  // exchange: the product given free
    std::string validity_type;                       // fixed, relative
    std::optional<TimeMs> valid_from;                // fixed
    std::optional<TimeMs> valid_to;                  // fixed (exclusive)
    int64_t validity_days = 0;                       // relative: through the end of the Nth local day
    std::optional<int64_t> per_customer_limit;
    std::optional<int64_t> total_stock;
    std::vector<int64_t> store_ids;  // empty: every store (and online); a store covers its subtree
    std::vector<std::string> product_ids;
    std::vector<std::string> categories;
    std::optional<int64_t> min_tier_level;
    bool stacks_with_coupons = false;
    bool stacks_with_points = true;
    bool reversible = true;
    int64_t issued = 0;
    std::string status;  // active, paused, archived
    TimeMs created_at = 0;
    TimeMs updated_at = 0;
};

// Human text of the discount: "满199减20", "立减10元", "8.5折，最高减50元", ...
std::string DiscountDescription(const CouponTemplate& t);

// Validates a template from its JSON input (POST body); errors name the field.
Result<CouponTemplate> ParseTemplateInput(const Json& body);

// One line of an order at redemption.
struct RedeemLine {
    std::string product_id;
    std::string category;
    int64_t price = 0;  // unit price, minor units
    int64_t quantity = 1;
};

struct RedeemInput {
    std::string code;
    std::string order_id;
    int64_t order_amount = 0;
    std::optional<int64_t> store_id;
    std::optional<int64_t> shipping_fee;
    std::vector<RedeemLine> lines;
    std::vector<std::string> other_coupon_codes;
    bool uses_points = false;
};

// The discount a template gives an order, or the rule the order breaks (failed_precondition
// naming the field). Pure: no validity, status, tier or stacking checks.
Result<int64_t> ComputeDiscount(const CouponTemplate& t, const RedeemInput& order);

// Where an issued coupon came from.
struct IssueSource {
    std::string source = "manual";  // manual, api, journey, segment, mall, live_code
    std::string source_id;
};

class Coupons {
  public:
    static constexpr size_t kJobBatchSize = 200;

    explicit Coupons(Loyalty* loyalty);
    // Stops the issue job in progress after its batch and joins the job thread.
    ~Coupons();

    // Templates (configuration; audited).
    Result<Json> CreateTemplate(int64_t tenant_id, const Json& body, const auth::Actor& actor);
    // Changes name, note, status, total_stock and per_customer_limit; the discount rules of a
    // template are fixed once created.
    Result<Json> UpdateTemplate(int64_t tenant_id, int64_t id, const Json& patch, const auth::Actor& actor);
    Result<Json> GetTemplate(int64_t tenant_id, int64_t id);
    Result<Json> ListTemplates(int64_t tenant_id, std::optional<std::string> status, int limit,
                               std::optional<int64_t> after_id);
    // Issued, redeemed, expired, reversed, redemption rate, discount and order revenue.
    Result<Json> Stats(int64_t tenant_id, int64_t id);

    // Issues one coupon inside `tx` (the mall, journeys): checks status, stock and the
    // per-customer limit; emits `Coupon Issued`. Answers the coupon.
    Result<Json> IssueIn(Tx& tx, int64_t template_id, int64_t customer_id, const IssueSource& source);
    // Issues to one customer; errors are errors.
    Result<Outcome> IssueOne(const Request& r, int64_t template_id, int64_t customer_id, const IssueSource& source);
    // Issues to up to 1,000 customers in one transaction; customers that cannot get one are
    // listed with the reason (unknown, limit reached, out of stock).
    Result<Outcome> IssueMany(const Request& r, int64_t template_id, const std::vector<int64_t>& customer_ids,
                              const IssueSource& source);
    // Records a job issuing to the segment's members and queues it (202 with the job).
    Result<Outcome> StartSegmentJob(const Request& r, int64_t template_id, int64_t segment_id);
    Result<Json> GetJob(int64_t tenant_id, int64_t id);

    // The coupon with its template, discount description and customer (unmasked: the caller
    // masks what its permissions require). not_found for an unknown code; invalid_argument
    // when the check character fails.
    Result<Json> Lookup(int64_t tenant_id, const std::string& code);
    // Redeems exactly once; failed_precondition names the rule the order breaks.
    Result<Outcome> Redeem(const Request& r, const RedeemInput& in);
    // Reverses the open redemption (refund) when the template allows; the coupon is usable
    // again until its end of validity.
    // `allowed_stores` (when set): the caller may only reverse redemptions made in these stores.
    Result<Outcome> Reverse(const Request& r, const std::string& code, const std::optional<std::string>& order_id,
                            const std::string& reason, const std::vector<int64_t>* allowed_stores = nullptr);
    // A customer's coupons (following merges), newest first.
    Result<Json> ListForCustomer(int64_t tenant_id, int64_t customer_id, std::optional<std::string> status, int limit,
                                 std::optional<int64_t> before_id);

    // Marks coupons past their validity expired (`Coupon Expired`) and emits `Coupon Expiring`
    // once per coupon within settings.coupon_expiring_notice_days of its end.
    Status Sweep(int64_t tenant_id);

  private:
    void RunJob(CouponIssuePending& job);

    Loyalty* loyalty_;
    std::unique_ptr<CouponJobQueue> jobs_;
};

// Checks for `siyu loyalty verify`: template issued counts, stock, single open redemptions
// and complete redemption fields. Problems are appended; `coupons` counts the coupons read.
Status VerifyCoupons(store::Connection& c, int64_t tenant_id, std::vector<std::string>* problems, int64_t* coupons);

}  // namespace siyu::loyalty
