#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "cdp/event_ingestor.h"
#include "channels/wecom/inbox.h"
#include "scrm/wecom_support.h"
#include "store/database.h"

namespace siyu::scrm {

struct GroupMember {
    std::string member_id;  // userid (type 1) or external_userid (type 2)
    int type = 0;           // 1 staff, 2 customer
    std::optional<int64_t> customer_id;
    std::string unionid;
    std::string name;
    std::optional<TimeMs> join_time;
    std::optional<int64_t> join_scene;  // 1 invited directly, 2 by link, 3 scanned the group QR code
    std::string invitor;
};

struct Group {
    int64_t id = 0;
    std::string chat_id;
    std::string name;
    std::string owner_userid;
    std::optional<int64_t> owner_staff_id;
    std::string notice;
    int64_t member_count = 0;
    int64_t customer_count = 0;
    std::string status;  // active | dismissed
    std::optional<TimeMs> created_at;
    std::optional<TimeMs> dismissed_at;
    std::optional<TimeMs> synced_at;
    TimeMs updated_at = 0;
};

struct GroupHistoryEntry {
    int64_t id = 0;
    int64_t group_id = 0;
    std::string chat_id;
    std::string group_name;
    std::string member_id;
    int type = 0;
    std::optional<int64_t> customer_id;
    std::string action;  // joined | left
    std::optional<int64_t> join_scene;
    std::optional<int64_t> quit_scene;
    std::string invitor;
    TimeMs at = 0;
};

struct GroupFilter {
    int limit = 50;
    std::optional<int64_t> before_id;
    std::optional<std::string> owner;   // owner userid
    std::optional<std::string> status;  // active | dismissed
    std::optional<std::string> q;       // name or chat_id substring
};

struct GroupSyncReport {
    int64_t groups = 0;
    int64_t created = 0;
    int64_t joined = 0;
    int64_t left = 0;
    int64_t dismissed = 0;
};

// WeCom customer groups (客户群), their members and membership history, kept from
// change_external_chat callbacks and from a full sync (groupchat/list + get). Joins and leaves
// of customers become `Group Joined` / `Group Left` CDP events. Thread-safe.
class Groups {
  public:
    Groups(store::Database* db, cdp::EventIngestor* ingestor, WecomCall wecom)
        : db_(db), ingestor_(ingestor), wecom_(std::move(wecom)) {}

    // The inbox handler for "change_external_chat": create / update (add_member, del_member,
    // change_owner, change_name, change_notice) / dismiss. Idempotent per inbox row.
    Status OnChatChange(const channels::wecom::InboxEvent& event);

    // Reads every group of the corp (groupchat/list, then get per group) and applies it.
    Result<GroupSyncReport> Sync(int64_t tenant_id);

    Result<std::vector<Group>> List(int64_t tenant_id, const GroupFilter& filter);
    Result<Group> Get(int64_t tenant_id, int64_t id);
    Result<Group> GetByChatId(int64_t tenant_id, const std::string& chat_id);
    Result<std::vector<GroupMember>> Members(int64_t tenant_id, int64_t group_id);
    // Newest first.
    Result<std::vector<GroupHistoryEntry>> History(int64_t tenant_id, int64_t group_id, int limit,
                                                   std::optional<int64_t> before_id);
    // The groups a customer is in now, and their history (newest first).
    Result<std::vector<Group>> GroupsOfCustomer(int64_t tenant_id, int64_t customer_id);
    Result<std::vector<GroupHistoryEntry>> HistoryOfCustomer(int64_t tenant_id, int64_t customer_id, int limit);

  private:
    struct Snapshot;
    // Fetches groupchat/get for `chat_id`.
    Result<Snapshot> Fetch(int64_t tenant_id, const std::string& chat_id);
    // Brings the stored group to `snapshot` (or dismisses it when `dismissed`), recording joins
    // and leaves, emitting events; `inbox_id` 0 for a sync.
    Status Apply(int64_t tenant_id, const Snapshot& snapshot, bool dismissed, int64_t inbox_id, TimeMs at,
                 std::optional<int64_t> quit_scene, GroupSyncReport* report);

    store::Database* db_;
    cdp::EventIngestor* ingestor_;
    WecomCall wecom_;
};

}  // namespace siyu::scrm
