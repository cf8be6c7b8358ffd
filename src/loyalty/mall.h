#pragma once

// The points mall (积分商城): catalogue, exchange and cancellation without overselling. Thread-safe.

#include "loyalty/core.h"

namespace siyu::loyalty {

class Loyalty;

class Mall {
  public:
    explicit Mall(Loyalty* loyalty) : loyalty_(loyalty) {}

    // Scheduled duties for one tenant (called by Loyalty::Sweep).
    Status Sweep(int64_t tenant_id);

  private:
    Loyalty* loyalty_;
};

}  // namespace siyu::loyalty
