#include "cdp/merge_set.h"

namespace siyu::cdp {

namespace {
constexpr int kMaxMergeDepth = 64;
}

Result<int64_t> SurvivorOf(store::Connection& c, int64_t id) {
    for (int depth = 0; depth < kMaxMergeDepth; ++depth) {
        SIYU_ASSIGN_OR_RETURN(auto stmt, c.Prepare("SELECT merged_into FROM customers WHERE id = ?"));
        stmt.Bind(1, id);
        SIYU_ASSIGN_OR_RETURN(bool row, stmt.Step());
        if (!row || stmt.IsNull(0)) return id;
        id = stmt.Int(0);
    }
    return Status::Internal("merge chain too deep at customer " + std::to_string(id));
}

Result<std::optional<int64_t>> IdentifierSurvivor(store::Connection& c, int64_t tenant_id, const std::string& type,
                                                  const std::string& value) {
    SIYU_ASSIGN_OR_RETURN(auto stmt, c.Prepare("SELECT i.customer_id, c.merged_into FROM customer_identifiers i "
                                               "JOIN customers c ON c.id = i.customer_id WHERE i.tenant_id = ? "
                                               "AND i.type = ? AND i.value = ?"));
    stmt.Bind(1, tenant_id).Bind(2, type).Bind(3, value);
    SIYU_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) return std::optional<int64_t>();
    int64_t owner = stmt.Int(0);
    std::optional<int64_t> parent = stmt.OptInt(1);
    stmt.Reset();
    if (!parent) return std::optional<int64_t>(owner);
    SIYU_ASSIGN_OR_RETURN(int64_t survivor, SurvivorOf(c, *parent));
    return std::optional<int64_t>(survivor);
}

}  // namespace siyu::cdp
