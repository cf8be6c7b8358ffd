#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "auth/audit_log.h"
#include "cdp/customer.h"
#include "store/database.h"

namespace siyu::cdp {

// Which customers a caller may see: all of the tenant's, or those of some stores.
struct Visibility {
    std::optional<std::vector<int64_t>> store_ids;  // empty optional: every customer
    bool Allows(std::optional<int64_t> store_id) const;
};

struct CustomerFilter {
    int limit = 50;
    std::optional<int64_t> before_id;  // newest first: rows with a smaller id come next
    std::optional<std::string> q;      // phone, identifier value or name substring
    std::optional<std::string> name;   // substring
    std::optional<std::string> phone;  // normalised E.164
    std::optional<int64_t> store_id;
    std::optional<TimeMs> created_from;  // inclusive
    std::optional<TimeMs> created_to;    // exclusive
};

struct OverviewStats {
    int64_t total = 0;
    int64_t new_in_range = 0;
    std::vector<std::pair<std::string, int64_t>> new_by_day;  // every day of the range
    struct StoreCount {
        std::optional<int64_t> store_id;
        std::string name;
        int64_t count = 0;
    };
    std::vector<StoreCount> by_store;
    int64_t male = 0, female = 0, unknown = 0;
};

// Customers and their identifiers. Thread-safe (state lives in the database).
class CustomerRepository {
  public:
    explicit CustomerRepository(store::Database* db) : db_(db) {}

    Result<Customer> Create(int64_t tenant_id, const CustomerInput& input, const Visibility& vis);
    Result<Customer> Get(int64_t tenant_id, int64_t id, const Visibility& vis);
    Result<std::vector<Customer>> List(int64_t tenant_id, const CustomerFilter& filter, const Visibility& vis);
    Result<Customer> Update(int64_t tenant_id, int64_t id, const CustomerInput& input, const Visibility& vis);
    // Soft delete: the customer disappears from reads and its identifiers are released.
    Status Delete(int64_t tenant_id, int64_t id, const Visibility& vis, const auth::Actor& actor);
    Result<Customer> Lookup(int64_t tenant_id, const std::string& type, const std::string& value,
                            const Visibility& vis);
    // The profiles (without identifiers and computed attributes) of `ids`, in that order;
    // ids that are deleted, merged, invisible or of another tenant are left out.
    Result<std::vector<Customer>> Summaries(int64_t tenant_id, const std::vector<int64_t>& ids, const Visibility& vis);
    // Inserts complete records (with their own created_at and identifiers) in one
    // transaction: all or none. For imports and demo data.
    Status ImportBatch(int64_t tenant_id, const std::vector<Customer>& customers);
    Result<OverviewStats> Overview(int64_t tenant_id, TimeMs from, TimeMs to, const std::string& time_zone,
                                   const Visibility& vis);

  private:
    store::Database* db_;
};

}  // namespace siyu::cdp
