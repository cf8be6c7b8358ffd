#pragma once

#include "loyalty/core.h"

namespace siyu::loyalty {

class Loyalty;

class Points {
  public:
    explicit Points(Loyalty* loyalty) : loyalty_(loyalty) {}
    Status Sweep(int64_t tenant_id);

  private:
    Loyalty* loyalty_;
};

}  // namespace siyu::loyalty
