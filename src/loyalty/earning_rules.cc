#include "loyalty/earning_rules.h"

#include "loyalty/loyalty.h"

namespace siyu::loyalty {

Status EarningRules::Sweep(int64_t tenant_id) {
    (void)tenant_id;
    (void)loyalty_;
    return Status::Ok();
}

}  // namespace siyu::loyalty
