#include "loyalty/points.h"

#include "loyalty/loyalty.h"

namespace siyu::loyalty {

Status Points::Sweep(int64_t tenant_id) {
    (void)tenant_id;
    (void)loyalty_;
    return Status::Ok();
}

}  // namespace siyu::loyalty
