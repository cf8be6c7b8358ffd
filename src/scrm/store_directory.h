#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "auth/audit_log.h"
#include "base/status.h"
#include "base/time.h"
#include "store/database.h"

namespace siyu::scrm {

// A node of a brand's store hierarchy: headquarters (hq) → region → store (门店).
struct Store {
    int64_t id = 0;
    int64_t tenant_id = 0;
    std::optional<int64_t> parent_id;
    std::string kind;  // hq, region, store
    std::string code;
    std::string name;
    std::string city;
    std::optional<double> latitude;
    std::optional<double> longitude;
    TimeMs created_at = 0;
    TimeMs updated_at = 0;
};

// Fields to set; an outer empty optional leaves the field alone, an inner one clears it.
struct StoreInput {
    std::optional<std::optional<int64_t>> parent_id;
    std::optional<std::string> kind;
    std::optional<std::string> code;
    std::optional<std::string> name;
    std::optional<std::string> city;
    std::optional<std::optional<double>> latitude;
    std::optional<std::optional<double>> longitude;
};

struct StoreFilter {
    int limit = 50;
    std::optional<int64_t> after_id;  // ascending order: rows with a larger id come next
    std::optional<std::string> kind;
    std::optional<int64_t> parent_id;
    std::optional<std::string> q;  // substring of name, code or city
};

// The tenant's stores. Thread-safe (state lives in the database).
class StoreDirectory {
  public:
    explicit StoreDirectory(store::Database* db) : db_(db) {}

    Result<Store> Create(int64_t tenant_id, const StoreInput& input, const auth::Actor& actor);
    Result<Store> Get(int64_t tenant_id, int64_t id);
    Result<std::vector<Store>> List(int64_t tenant_id, const StoreFilter& filter);
    Result<Store> Update(int64_t tenant_id, int64_t id, const StoreInput& input, const auth::Actor& actor);
    // Refuses while the store has child stores or customers.
    Status Delete(int64_t tenant_id, int64_t id, const auth::Actor& actor);
    // `roots` and every store below them.
    Result<std::vector<int64_t>> Subtree(int64_t tenant_id, const std::vector<int64_t>& roots);

  private:
    store::Database* db_;
};

// Validates fields present in `input`; `creating` requires code, name and kind.
Status ValidateStoreInput(const StoreInput& input, bool creating);

}  // namespace siyu::scrm
