#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "auth/audit_log.h"
#include "store/database.h"

namespace siyu::scrm {

inline constexpr int64_t kDefaultGroupMemberLimit = 200;

struct GroupLiveCodeEntry {
    int64_t group_id = 0;  // wecom_groups.id
    std::string qr_url;    // the group's own QR image (WeCom issues group QR codes per group)
    // Read back:
    std::string chat_id;
    std::string group_name;
    int64_t member_count = 0;
    std::string group_status;
    int64_t scans = 0;
    bool full = false;
};

struct GroupLiveCodeInput {
    std::optional<std::string> name;
    std::optional<int64_t> member_limit;  // 1..500, default 200
    std::optional<std::vector<GroupLiveCodeEntry>> groups;
};

struct GroupLiveCode {
    int64_t id = 0;
    std::string key;  // public path /g/{key}
    std::string name;
    int64_t member_limit = kDefaultGroupMemberLimit;
    int64_t scans = 0;
    int64_t full_scans = 0;
    std::optional<TimeMs> all_full_at;  // the alert: every group was full at the last scan
    std::vector<GroupLiveCodeEntry> groups;
    TimeMs created_at = 0, updated_at = 0;
};

// The answer to a scan of /g/{key}.
struct GroupLiveCodeScan {
    int64_t tenant_id = 0;
    int64_t code_id = 0;
    std::string name;
    std::optional<GroupLiveCodeEntry> group;  // empty: every group is full (or dismissed)
};

// Group live codes (群活码): an ordered list of customer groups, each with its own QR image; a scan
// goes to the first active group whose current member count is below the limit. Thread-safe.
class GroupLiveCodes {
  public:
    explicit GroupLiveCodes(store::Database* db) : db_(db) {}

    Result<GroupLiveCode> Create(int64_t tenant_id, const GroupLiveCodeInput& input, const auth::Actor& actor);
    Result<GroupLiveCode> Update(int64_t tenant_id, int64_t id, const GroupLiveCodeInput& input,
                                 const auth::Actor& actor);
    Status Delete(int64_t tenant_id, int64_t id, const auth::Actor& actor);
    Result<GroupLiveCode> Get(int64_t tenant_id, int64_t id);
    Result<std::vector<GroupLiveCode>> List(int64_t tenant_id, int limit, std::optional<int64_t> before_id);

    // Counts a scan and picks the group (public; NotFound for an unknown or deleted key).
    Result<GroupLiveCodeScan> Scan(const std::string& key, TimeMs at);

  private:
    Status Validate(int64_t tenant_id, const GroupLiveCodeInput& input, bool create);
    Status Load(store::Connection& c, GroupLiveCode* code);
    store::Database* db_;
};

}  // namespace siyu::scrm
