#pragma once

// `siyu loyalty verify`: proves that every balance of a tenant's programme is derived from,
// and reconciles with, its ledgers (docs/loyalty.md, "Verification").

#include <string>
#include <vector>

#include "loyalty/core.h"

namespace siyu::loyalty {

struct VerifyReport {
    int64_t members = 0;
    int64_t points_entries = 0;
    int64_t lots = 0;
    int64_t stored_value_entries = 0;
    int64_t coupons = 0;
    int64_t mall_exchanges = 0;
    std::vector<std::string> problems;  // empty: clean
    Json ToJson() const;
};

// Reads one consistent snapshot of the tenant and checks every invariant.
Result<VerifyReport> Verify(store::Database& db, int64_t tenant_id);

}  // namespace siyu::loyalty
