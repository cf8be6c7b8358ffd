#pragma once

// Internal to cdp: how the identity graph is walked. A merged customer points at its survivor
// (`customers.merged_into`); a survivor's merge set is itself and everything pointing at it,
// directly or through others.

#include <cstdint>
#include <optional>
#include <string>

#include "base/status.h"
#include "store/database.h"

namespace siyu::cdp {

// A CTE `s(id)` of the merge set of the customer bound as ?1; prefix a statement with it.
inline constexpr char kMergeSetCte[] =
    "WITH RECURSIVE s(id) AS (SELECT ?1 UNION SELECT c.id FROM customers c JOIN s ON c.merged_into = s.id) ";

// The survivor `id` has been merged into (`id` itself when it was never merged).
Result<int64_t> SurvivorOf(store::Connection& c, int64_t id);

// The survivor of the customer holding identifier (type, value) in the tenant, if any.
Result<std::optional<int64_t>> IdentifierSurvivor(store::Connection& c, int64_t tenant_id, const std::string& type,
                                                  const std::string& value);

}  // namespace siyu::cdp
