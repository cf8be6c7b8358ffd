#pragma once

// Paid membership (付费会员): plans, purchase and renewal, status and expiry reminders. Thread-safe.

#include "loyalty/core.h"

namespace siyu::loyalty {

class Loyalty;

class PaidMemberships {
  public:
    explicit PaidMemberships(Loyalty* loyalty) : loyalty_(loyalty) {}

    // Scheduled duties for one tenant (called by Loyalty::Sweep).
    Status Sweep(int64_t tenant_id);

  private:
    Loyalty* loyalty_;
};

}  // namespace siyu::loyalty
