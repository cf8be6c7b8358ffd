#pragma once

// Customer owners: one row per relationship between a staff member and a WeCom external
// contact (customer_owners), with when and how it began (add_way, state, live code) and how it
// ended (deleted by the staff member or by the customer, transferred). A customer may have
// several owners. Rows keep the customer id they were written with; readers follow merges.
// Thread-safe (state lives in the database).

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "base/time.h"
#include "store/database.h"

namespace siyu::scrm {

struct Owner {
    int64_t id = 0;
    int64_t customer_id = 0;  // the survivor the row's customer stands for now
    std::optional<std::string> customer_name;
    int64_t staff_id = 0;
    std::string staff_userid;
    std::string staff_name;
    std::optional<int64_t> store_id;  // the staff member's store
    std::string external_userid;
    TimeMs added_at = 0;
    std::optional<int64_t> add_way;
    std::optional<std::string> state;
    std::optional<int64_t> live_code_id;
    std::optional<std::string> remark;
    std::string status;  // active, deleted_by_staff, deleted_by_customer, transferred
    std::optional<TimeMs> ended_at;
};

// A relationship as a contact callback records it.
struct OwnerRecord {
    int64_t customer_id = 0;
    int64_t staff_id = 0;
    std::string external_userid;
    TimeMs added_at = 0;
    std::optional<int64_t> add_way;
    std::optional<std::string> state;
    std::optional<int64_t> live_code_id;
    std::optional<std::string> remark;
};

struct OwnedFilter {
    int limit = 50;
    std::optional<int64_t> before_id;   // newest first by row id
    std::optional<std::string> status;  // default active
};

class Ownership {
  public:
    explicit Ownership(store::Database* db) : db_(db) {}

    // Every relationship of the customer (and of customers merged into it), active first.
    Result<std::vector<Owner>> OwnersOf(int64_t tenant_id, int64_t customer_id);
    // The staff member's customers, newest relationship first.
    Result<std::vector<Owner>> CustomersOf(int64_t tenant_id, int64_t staff_id, const OwnedFilter& filter);
    // True when the staff member has (or had) a relationship with the customer's merge set.
    Result<bool> Owns(int64_t tenant_id, int64_t staff_id, int64_t customer_id);

    // Inside a write transaction: inserts the relationship or makes an ended one active again
    // with the new details. Answers the row id.
    static Result<int64_t> UpsertIn(store::Connection& c, int64_t tenant_id, const OwnerRecord& r);
    // Inside a write transaction: ends an active relationship with `status`; answers the row as
    // it was (nullopt when there is none, or it already ended).
    static Result<std::optional<Owner>> EndIn(store::Connection& c, int64_t tenant_id, int64_t staff_id,
                                              const std::string& external_userid, const std::string& status,
                                              TimeMs at);
    // Relationships the staff member began in [from, to) (the live codes' daily cap).
    static Result<int64_t> AddsIn(store::Connection& c, int64_t tenant_id, int64_t staff_id, TimeMs from, TimeMs to);

  private:
    store::Database* db_;
};

}  // namespace siyu::scrm
