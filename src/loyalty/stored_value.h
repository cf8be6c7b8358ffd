#pragma once

// Stored value (储值): top-up with bonus, spend, refund, withdrawal, statements. Thread-safe.

#include "loyalty/core.h"

namespace siyu::loyalty {

class Loyalty;

class StoredValue {
  public:
    explicit StoredValue(Loyalty* loyalty) : loyalty_(loyalty) {}

    // Scheduled duties for one tenant (called by Loyalty::Sweep).
    Status Sweep(int64_t tenant_id);

  private:
    Loyalty* loyalty_;
};

}  // namespace siyu::loyalty
