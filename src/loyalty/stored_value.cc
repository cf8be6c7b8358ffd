#include "loyalty/stored_value.h"

#include "loyalty/loyalty.h"

namespace siyu::loyalty {

Status StoredValue::Sweep(int64_t tenant_id) {
    (void)tenant_id;
    (void)loyalty_;
    return Status::Ok();
}

}  // namespace siyu::loyalty
