#pragma once

// Coupons (优惠券): templates, codes, issuing (one, list, segment job), redemption exactly once, reversal, expiry reminders and statistics. Thread-safe.

#include "loyalty/core.h"

namespace siyu::loyalty {

class Loyalty;

class Coupons {
  public:
    explicit Coupons(Loyalty* loyalty) : loyalty_(loyalty) {}

    // Scheduled duties for one tenant (called by Loyalty::Sweep).
    Status Sweep(int64_t tenant_id);

  private:
    Loyalty* loyalty_;
};

}  // namespace siyu::loyalty
