#pragma once

// Staff (企业成员) and departments: synchronised from WeCom (department/list and user/list with
// the self-built application's secret), imported from CSV or JSON, or created when a callback
// names an unknown member. A staff member may be linked to a store and to a console user; the
// guide signing in as that user sees the staff member's customers. Thread-safe (state lives in
// the database).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "auth/audit_log.h"
#include "base/status.h"
#include "base/time.h"
#include "scrm/wecom_gateway.h"
#include "store/database.h"

namespace siyu::scrm {

struct Staff {
    int64_t id = 0;
    int64_t tenant_id = 0;
    std::string userid;
    std::string name;
    std::optional<std::string> mobile;
    std::vector<int64_t> department_ids;
    std::optional<int64_t> store_id;
    std::optional<std::string> store_name;
    std::optional<int64_t> user_id;
    std::string status;  // active, disabled, resigned
    std::string source;  // wecom, import, callback
    int64_t customer_count = 0;  // active relationships
    TimeMs created_at = 0;
    TimeMs updated_at = 0;
};

struct Department {
    int64_t id = 0;
    std::string name;
    std::optional<int64_t> parent_id;
    int64_t sort_order = 0;
    int64_t staff_count = 0;
};

struct StaffFilter {
    int limit = 50;
    std::optional<int64_t> after_id;  // ascending ids
    std::optional<int64_t> store_id;
    std::optional<std::string> status;
    std::optional<std::string> q;                   // substring of name, userid or mobile
    std::optional<std::vector<int64_t>> store_ids;  // the caller's stores (store roles); unset: all
    std::optional<int64_t> only_id;                 // a guide: their own staff row only
};

// One staff member to import (or as WeCom lists it).
struct StaffRecord {
    std::string userid;
    std::string name;
    std::optional<std::string> mobile;
    std::optional<std::vector<int64_t>> department_ids;
    std::optional<int64_t> store_id;
    std::optional<std::string> store_code;  // resolved to store_id on import
    std::optional<std::string> status;      // active, disabled
};

// Fields to change; the inner optional empty means null (unlink).
struct StaffPatch {
    std::optional<std::optional<int64_t>> store_id;
    std::optional<std::optional<int64_t>> user_id;
    std::optional<std::string> status;
    std::optional<std::string> name;
};

struct StaffSyncReport {
    int64_t departments = 0;
    int64_t created = 0;
    int64_t updated = 0;
    int64_t resigned = 0;
};

struct StaffImportReport {
    int64_t created = 0;
    int64_t updated = 0;
};

class StaffDirectory {
  public:
    static constexpr size_t kMaxImportRows = 10'000;

    StaffDirectory(store::Database* db, const WecomGateway* wecom) : db_(db), wecom_(wecom) {}

    // Pulls departments and members from WeCom and upserts them; active staff that WeCom no
    // longer lists are marked resigned. Audited.
    Result<StaffSyncReport> Sync(int64_t tenant_id, const auth::Actor& actor);
    // Upserts rows by userid, all or nothing; errors name the row (staff[i].field).
    Result<StaffImportReport> Import(int64_t tenant_id, const std::vector<StaffRecord>& rows, const auth::Actor& actor);

    Result<Staff> Get(int64_t tenant_id, int64_t id);
    Result<std::vector<Staff>> List(int64_t tenant_id, const StaffFilter& filter);
    // Links to a store (of kind store) and a console user (a member of the tenant, linked to
    // at most one staff member); changes status (active, disabled) and name. Audited.
    Result<Staff> Update(int64_t tenant_id, int64_t id, const StaffPatch& patch, const auth::Actor& actor);
    Result<std::vector<Department>> Departments(int64_t tenant_id);
    // The staff member linked to a console user, if any.
    Result<std::optional<Staff>> OfUser(int64_t tenant_id, int64_t user_id);

    // The staff row of `userid`, created (source callback, name = userid) when unknown.
    static Result<int64_t> EnsureIn(store::Connection& c, int64_t tenant_id, const std::string& userid, TimeMs now);
    static Result<std::optional<int64_t>> FindIn(store::Connection& c, int64_t tenant_id, const std::string& userid);

  private:
    store::Database* db_;
    const WecomGateway* wecom_;
};

// Staff import bodies: a JSON object {"staff": [{userid, name, mobile, department_ids,
// store_id | store_code, status}]} or CSV with a header naming those columns (department_ids
// separated by '|' or ';'). Errors name the row.
Result<std::vector<StaffRecord>> ParseStaffJson(const Json& body);
Result<std::vector<StaffRecord>> ParseStaffCsv(std::string_view text);

}  // namespace siyu::scrm
