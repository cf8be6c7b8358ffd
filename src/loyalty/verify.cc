#include "loyalty/verify.h"

namespace siyu::loyalty {

Json VerifyReport::ToJson() const {
    return Json{{"members", members},
                {"points_entries", points_entries},
                {"lots", lots},
                {"stored_value_entries", stored_value_entries},
                {"coupons", coupons},
                {"mall_exchanges", mall_exchanges},
                {"clean", problems.empty()},
                {"problems", problems}};
}

Result<VerifyReport> Verify(store::Database& db, int64_t tenant_id) {
    (void)db;
    (void)tenant_id;
    return VerifyReport{};
}

}  // namespace siyu::loyalty
