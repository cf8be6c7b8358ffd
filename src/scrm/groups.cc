#include "scrm/groups.h"

#include <map>
#include <set>

#include "base/crypto.h"
#include "base/strings.h"

namespace siyu::scrm {

namespace {

constexpr const char* kHandler = "groups";
constexpr const char* kGroupColumns =
    "SELECT id, chat_id, name, owner_userid, owner_staff_id, notice, member_count, customer_count, status, "
    "created_at, dismissed_at, synced_at, updated_at FROM wecom_groups ";

Group ReadGroup(store::Statement& s) {
    Group g;
    g.id = s.Int(0);
    g.chat_id = s.Text(1);
    g.name = s.Text(2);
    g.owner_userid = s.OptText(3).value_or("");
    g.owner_staff_id = s.OptInt(4);
    g.notice = s.OptText(5).value_or("");
    g.member_count = s.Int(6);
    g.customer_count = s.Int(7);
    g.status = s.Text(8);
    g.created_at = s.OptInt(9);
    g.dismissed_at = s.OptInt(10);
    g.synced_at = s.OptInt(11);
    g.updated_at = s.Int(12);
    return g;
}

constexpr const char* kHistoryColumns =
    "SELECT h.id, h.group_id, g.chat_id, g.name, h.member_id, h.type, h.customer_id, h.action, h.join_scene, "
    "h.quit_scene, h.invitor, h.at FROM wecom_group_history h JOIN wecom_groups g ON g.id = h.group_id ";

GroupHistoryEntry ReadHistory(store::Statement& s) {
    GroupHistoryEntry e;
    e.id = s.Int(0);
    e.group_id = s.Int(1);
    e.chat_id = s.Text(2);
    e.group_name = s.Text(3);
    e.member_id = s.Text(4);
    e.type = static_cast<int>(s.Int(5));
    e.customer_id = s.OptInt(6);
    e.action = s.Text(7);
    e.join_scene = s.OptInt(8);
    e.quit_scene = s.OptInt(9);
    e.invitor = s.OptText(10).value_or("");
    e.at = s.Int(11);
    return e;
}

// WeCom sends seconds.
std::optional<TimeMs> SecondsToMs(const Json& o, const char* key) {
    int64_t v = JsonInt(o, key, 0);
    if (v <= 0) return std::nullopt;
    return v * 1000;
}

constexpr const char* kMemberColumns = "SELECT member_id, type, customer_id, unionid, name, join_time, join_scene, "
                                       "invitor FROM wecom_group_members ";

// A row selected with kMemberColumns.
GroupMember MemberRow(const store::Statement& stmt) {
    GroupMember m;
    m.member_id = stmt.Text(0);
    m.type = static_cast<int>(stmt.Int(1));
    m.customer_id = stmt.OptInt(2);
    m.unionid = stmt.OptText(3).value_or("");
    m.name = stmt.OptText(4).value_or("");
    m.join_time = stmt.OptInt(5);
    m.join_scene = stmt.OptInt(6);
    m.invitor = stmt.OptText(7).value_or("");
    return m;
}

Status ReadMembers(store::Connection& c, int64_t group_id, std::map<std::string, GroupMember>* out) {
    SIYU_ASSIGN_OR_RETURN(auto stmt, c.Prepare(std::string(kMemberColumns) + "WHERE group_id = ?"));
    stmt.Bind(1, group_id);
    return stmt.ForEachRow([&] {
        GroupMember m = MemberRow(stmt);
        std::string id = m.member_id;
        (*out)[id] = std::move(m);
    });
}

Result<std::optional<Group>> FindGroup(store::Connection& c, int64_t tenant_id, const std::string& chat_id) {
    SIYU_ASSIGN_OR_RETURN(auto stmt, c.Prepare(std::string(kGroupColumns) + "WHERE tenant_id = ? AND chat_id = ?"));
    stmt.Bind(1, tenant_id).Bind(2, chat_id);
    SIYU_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) return std::optional<Group>();
    return std::optional<Group>(ReadGroup(stmt));
}

std::string SyncMessageId(const std::string& chat_id, const std::string& member, const char* action, TimeMs at) {
    return "wecom-groupsync-" +
           Sha256Hex(chat_id + "|" + member + "|" + action + "|" + std::to_string(at)).substr(0, 32);
}

}  // namespace

struct Groups::Snapshot {
    std::string chat_id;
    std::string name;
    std::string owner;
    std::string notice;
    std::optional<TimeMs> create_time;
    std::vector<GroupMember> members;
};

Result<Groups::Snapshot> Groups::Fetch(int64_t tenant_id, const std::string& chat_id) {
    SIYU_ASSIGN_OR_RETURN(
        Json r, wecom_(tenant_id, "/cgi-bin/externalcontact/groupchat/get", {{"chat_id", chat_id}, {"need_name", 1}}));
    auto it = r.find("group_chat");
    if (it == r.end() || !it->is_object()) return Status::Upstream("groupchat/get answered without group_chat");
    const Json& g = *it;
    Snapshot s;
    s.chat_id = JsonString(g, "chat_id").empty() ? chat_id : JsonString(g, "chat_id");
    s.name = JsonString(g, "name");
    s.owner = JsonString(g, "owner");
    s.notice = JsonString(g, "notice");
    s.create_time = SecondsToMs(g, "create_time");
    if (auto ml = g.find("member_list"); ml != g.end() && ml->is_array()) {
        for (const Json& m : *ml) {
            if (!m.is_object()) continue;
            GroupMember gm;
            gm.member_id = JsonString(m, "userid");
            if (gm.member_id.empty()) continue;
            gm.type = static_cast<int>(JsonInt(m, "type", 1));
            gm.unionid = JsonString(m, "unionid");
            gm.name = JsonString(m, "group_nickname").empty() ? JsonString(m, "name") : JsonString(m, "group_nickname");
            gm.join_time = SecondsToMs(m, "join_time");
            if (m.contains("join_scene")) gm.join_scene = JsonInt(m, "join_scene", 0);
            if (auto inv = m.find("invitor"); inv != m.end() && inv->is_object())
                gm.invitor = JsonString(*inv, "userid");
            s.members.push_back(std::move(gm));
        }
    }
    return s;
}

Status Groups::Apply(int64_t tenant_id, const Snapshot& snapshot, bool dismissed, int64_t inbox_id, TimeMs at,
                     std::optional<int64_t> quit_scene, GroupSyncReport* report) {
    // What changed, against what is stored now.
    std::map<std::string, GroupMember> before;
    std::optional<Group> stored;
    SIYU_RETURN_IF_ERROR(db_->Read([&](store::Connection& c) -> Status {
        SIYU_ASSIGN_OR_RETURN(stored, FindGroup(c, tenant_id, snapshot.chat_id));
        if (stored) SIYU_RETURN_IF_ERROR(ReadMembers(c, stored->id, &before));
        return Status::Ok();
    }));
    if (dismissed && stored && stored->status == "dismissed") return Status::Ok();
    std::vector<GroupMember> after = dismissed ? std::vector<GroupMember>() : snapshot.members;
    std::set<std::string> after_ids;
    for (const auto& m : after) after_ids.insert(m.member_id);
    std::vector<const GroupMember*> joined, left;
    for (const auto& m : after) {
        if (!before.count(m.member_id)) joined.push_back(&m);
    }
    for (const auto& [id, m] : before) {
        if (!after_ids.count(id)) left.push_back(&m);
    }
    std::string name = dismissed && stored ? stored->name : snapshot.name;

    // Customers' joins and leaves become CDP events first (deduplicated by message id), so the
    // customers exist when the membership rows are written.
    std::vector<cdp::TrackingMessage> messages;
    auto message_id = [&](const GroupMember& m, const char* action, TimeMs t) {
        return inbox_id > 0 ? "wecom-inbox-" + std::to_string(inbox_id) + "-" + action + "-" + m.member_id
                            : SyncMessageId(snapshot.chat_id, m.member_id, action, t);
    };
    for (const GroupMember* m : joined) {
        if (m->type != 2) continue;
        TimeMs t = m->join_time.value_or(at);
        Json props = {{"chat_id", snapshot.chat_id},
                      {"group_name", name},
                      {"owner_userid", snapshot.owner},
                      {"join_scene", m->join_scene ? Json(*m->join_scene) : Json(nullptr)},
                      {"invitor", m->invitor.empty() ? Json(nullptr) : Json(m->invitor)}};
        messages.push_back(WecomTrack(message_id(*m, "joined", t), "Group Joined", t, props, m->member_id, m->unionid));
    }
    for (const GroupMember* m : left) {
        if (m->type != 2) continue;
        Json props = {{"chat_id", snapshot.chat_id},
                      {"group_name", name},
                      {"quit_scene", quit_scene ? Json(*quit_scene) : Json(nullptr)},
                      {"reason", dismissed ? "dismissed" : (quit_scene && *quit_scene == 1 ? "removed" : "left")}};
        messages.push_back(WecomTrack(message_id(*m, "left", at), "Group Left", at, props, m->member_id, m->unionid));
    }
    if (!messages.empty()) SIYU_RETURN_IF_ERROR(ingestor_->Ingest(tenant_id, messages).status());

    TimeMs now = NowMs();
    return db_->Write([&](store::Connection& c) -> Status {
        if (inbox_id > 0) {
            SIYU_ASSIGN_OR_RETURN(bool fresh, MarkInboxApplied(c, tenant_id, inbox_id, kHandler));
            if (!fresh) return Status::Ok();
        }
        SIYU_ASSIGN_OR_RETURN(auto current, FindGroup(c, tenant_id, snapshot.chat_id));
        std::map<std::string, GroupMember> existing;
        if (current) SIYU_RETURN_IF_ERROR(ReadMembers(c, current->id, &existing));
        std::optional<int64_t> owner_staff;
        std::string owner = dismissed && current ? current->owner_userid : snapshot.owner;
        if (!owner.empty()) {
            SIYU_ASSIGN_OR_RETURN(owner_staff, StaffIdOf(c, tenant_id, owner));
        }
        int64_t customers = 0;
        for (const auto& m : after) customers += m.type == 2 ? 1 : 0;
        int64_t group_id = 0;
        if (!current) {
            SIYU_ASSIGN_OR_RETURN(
                auto ins, c.Prepare("INSERT INTO wecom_groups(tenant_id, chat_id, name, owner_userid, owner_staff_id, "
                                    "notice, member_count, customer_count, status, created_at, dismissed_at, "
                                    "synced_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"));
            ins.Bind(1, tenant_id).Bind(2, snapshot.chat_id).Bind(3, name).Bind(4, owner).Bind(5, owner_staff);
            ins.Bind(6, snapshot.notice).Bind(7, static_cast<int64_t>(after.size())).Bind(8, customers);
            ins.Bind(9, dismissed ? "dismissed" : "active").Bind(10, snapshot.create_time.value_or(at));
            if (dismissed) {
                ins.Bind(11, at);
            } else {
                ins.BindNull(11);
            }
            ins.Bind(12, now).Bind(13, now);
            SIYU_RETURN_IF_ERROR(ins.Run());
            group_id = c.LastInsertId();
            if (report) ++report->created;
        } else {
            group_id = current->id;
            SIYU_ASSIGN_OR_RETURN(
                auto up,
                c.Prepare("UPDATE wecom_groups SET name = ?, owner_userid = ?, owner_staff_id = ?, notice = ?, "
                          "member_count = ?, customer_count = ?, status = ?, created_at = coalesce(?, "
                          "created_at), dismissed_at = ?, synced_at = ?, updated_at = ? WHERE id = ?"));
            up.Bind(1, name).Bind(2, owner).Bind(3, owner_staff);
            up.Bind(4, dismissed ? current->notice : snapshot.notice);
            up.Bind(5, static_cast<int64_t>(after.size())).Bind(6, customers);
            up.Bind(7, dismissed ? "dismissed" : "active").Bind(8, snapshot.create_time);
            if (dismissed) {
                up.Bind(9, at);
            } else {
                up.BindNull(9);
            }
            up.Bind(10, now).Bind(11, now).Bind(12, group_id);
            SIYU_RETURN_IF_ERROR(up.Run());
        }
        if (dismissed && report) ++report->dismissed;
        SIYU_ASSIGN_OR_RETURN(auto hist, c.Prepare("INSERT INTO wecom_group_history(tenant_id, group_id, member_id, "
                                                   "type, customer_id, action, join_scene, quit_scene, invitor, at, "
                                                   "inbox_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"));
        auto customer_of = [&](const GroupMember& m) -> Result<std::optional<int64_t>> {
            if (m.type != 2) return std::optional<int64_t>();
            return CustomerByIdentifier(c, tenant_id, "wecom_external_userid", m.member_id);
        };
        auto record = [&](const GroupMember& m, std::optional<int64_t> customer, const char* action, TimeMs t,
                          std::optional<int64_t> qs) -> Status {
            hist.Reset();
            hist.Bind(1, tenant_id).Bind(2, group_id).Bind(3, m.member_id).Bind(4, static_cast<int64_t>(m.type));
            hist.Bind(5, customer).Bind(6, action).Bind(7, m.join_scene).Bind(8, qs);
            hist.Bind(9, m.invitor).Bind(10, t);
            if (inbox_id > 0) {
                hist.Bind(11, inbox_id);
            } else {
                hist.BindNull(11);
            }
            return hist.Run();
        };
        SIYU_ASSIGN_OR_RETURN(auto del,
                              c.Prepare("DELETE FROM wecom_group_members WHERE group_id = ? AND member_id = ?"));
        for (const auto& [id, m] : existing) {
            if (after_ids.count(id)) continue;
            del.Reset();
            SIYU_RETURN_IF_ERROR(del.Bind(1, group_id).Bind(2, id).Run());
            SIYU_ASSIGN_OR_RETURN(auto customer, customer_of(m));
            if (!customer) customer = m.customer_id;
            SIYU_RETURN_IF_ERROR(record(m, customer, "left", at, quit_scene));
            if (report) ++report->left;
        }
        SIYU_ASSIGN_OR_RETURN(
            auto put, c.Prepare("INSERT INTO wecom_group_members(group_id, tenant_id, member_id, type, customer_id, "
                                "unionid, name, join_time, join_scene, invitor) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                                "ON CONFLICT(group_id, member_id) DO UPDATE SET type = excluded.type, customer_id = "
                                "excluded.customer_id, unionid = excluded.unionid, name = excluded.name, join_time = "
                                "excluded.join_time, join_scene = excluded.join_scene, invitor = excluded.invitor"));
        for (const auto& m : after) {
            SIYU_ASSIGN_OR_RETURN(auto customer, customer_of(m));
            put.Reset();
            put.Bind(1, group_id).Bind(2, tenant_id).Bind(3, m.member_id).Bind(4, static_cast<int64_t>(m.type));
            put.Bind(5, customer).Bind(6, m.unionid).Bind(7, m.name).Bind(8, m.join_time).Bind(9, m.join_scene);
            put.Bind(10, m.invitor);
            SIYU_RETURN_IF_ERROR(put.Run());
            if (existing.count(m.member_id)) continue;
            SIYU_RETURN_IF_ERROR(record(m, customer, "joined", m.join_time.value_or(at), std::nullopt));
            if (report) ++report->joined;
        }
        return Status::Ok();
    });
}

Status Groups::OnChatChange(const channels::wecom::InboxEvent& event) {
    SIYU_ASSIGN_OR_RETURN(bool done, InboxApplied(*db_, event.tenant_id, event.id, kHandler));
    if (done) return Status::Ok();
    auto field = [&](const char* name) {
        auto it = event.fields.find(name);
        return it == event.fields.end() ? std::string() : it->second;
    };
    std::string chat_id = field("ChatId");
    if (chat_id.empty()) return Status::InvalidArgument("ChatId", "the callback names no group");
    TimeMs at = event.received_at;
    int64_t create_time = 0;
    if (ParseInt64(field("CreateTime"), &create_time) && create_time > 0) at = create_time * 1000;
    std::optional<int64_t> quit_scene;
    int64_t qs = 0;
    if (ParseInt64(field("QuitScene"), &qs)) quit_scene = qs;
    const std::string& change = event.change_type;
    if (change == "dismiss") {
        Snapshot s;
        s.chat_id = chat_id;
        SIYU_RETURN_IF_ERROR(Apply(event.tenant_id, s, true, event.id, at, std::nullopt, nullptr));
        return Status::Ok();
    }
    if (change != "create" && change != "update") {
        // An unknown change type: nothing to apply, but remember the row as handled.
        return db_->Write(
            [&](store::Connection& c) { return MarkInboxApplied(c, event.tenant_id, event.id, kHandler).status(); });
    }
    SIYU_ASSIGN_OR_RETURN(Snapshot s, Fetch(event.tenant_id, chat_id));
    // Joins WeCom reports in this callback take the callback's scene when the member list has none.
    if (field("UpdateDetail") == "add_member") {
        int64_t scene = 0;
        if (ParseInt64(field("JoinScene"), &scene)) {
            for (auto& m : s.members) {
                if (!m.join_scene) m.join_scene = scene;
            }
        }
    }
    return Apply(event.tenant_id, s, false, event.id, at, quit_scene, nullptr);
}

Result<GroupSyncReport> Groups::Sync(int64_t tenant_id) {
    GroupSyncReport report;
    std::string cursor;
    std::vector<std::pair<std::string, int64_t>> chats;  // chat_id, status (0 normal, 1-3 transfer states)
    for (int page = 0; page < 1000; ++page) {
        Json body = {{"status_filter", 0}, {"limit", 1000}};
        if (!cursor.empty()) body["cursor"] = cursor;
        SIYU_ASSIGN_OR_RETURN(Json r, wecom_(tenant_id, "/cgi-bin/externalcontact/groupchat/list", body));
        if (auto list = r.find("group_chat_list"); list != r.end() && list->is_array()) {
            for (const Json& g : *list) {
                if (g.is_object() && !JsonString(g, "chat_id").empty()) {
                    chats.emplace_back(JsonString(g, "chat_id"), JsonInt(g, "status", 0));
                }
            }
        }
        cursor = JsonString(r, "next_cursor");
        if (cursor.empty()) break;
    }
    TimeMs now = NowMs();
    std::set<std::string> seen;
    for (const auto& [chat_id, status] : chats) {
        seen.insert(chat_id);
        SIYU_ASSIGN_OR_RETURN(Snapshot s, Fetch(tenant_id, chat_id));
        SIYU_RETURN_IF_ERROR(Apply(tenant_id, s, false, 0, now, std::nullopt, &report));
        ++report.groups;
    }
    // WeCom lists every group that still exists: an active group it no longer lists was dismissed.
    std::vector<std::string> gone;
    SIYU_RETURN_IF_ERROR(db_->Read([&](store::Connection& c) -> Status {
        SIYU_ASSIGN_OR_RETURN(auto q, c.Prepare("SELECT chat_id FROM wecom_groups WHERE tenant_id = ? AND status = "
                                                "'active'"));
        q.Bind(1, tenant_id);
        return q.ForEachRow([&] {
            if (!seen.count(q.Text(0))) gone.push_back(q.Text(0));
        });
    }));
    for (const auto& chat_id : gone) {
        Snapshot s;
        s.chat_id = chat_id;
        SIYU_RETURN_IF_ERROR(Apply(tenant_id, s, true, 0, now, std::nullopt, &report));
    }
    return report;
}

Result<std::vector<Group>> Groups::List(int64_t tenant_id, const GroupFilter& f) {
    std::vector<Group> out;
    SIYU_RETURN_IF_ERROR(db_->Read([&](store::Connection& c) -> Status {
        SIYU_ASSIGN_OR_RETURN(
            auto stmt, c.Prepare(std::string(kGroupColumns) +
                                 "WHERE tenant_id = ?1 AND (?2 IS NULL OR id < ?2) AND (?3 IS NULL OR owner_userid = "
                                 "?3) AND (?4 IS NULL OR status = ?4) AND (?5 IS NULL OR instr(name, ?5) > 0 OR "
                                 "instr(chat_id, ?5) > 0) ORDER BY id DESC LIMIT ?6"));
        stmt.Bind(1, tenant_id).Bind(2, f.before_id).Bind(3, f.owner).Bind(4, f.status).Bind(5, f.q);
        stmt.Bind(6, static_cast<int64_t>(f.limit));
        return stmt.ForEachRow([&] { out.push_back(ReadGroup(stmt)); });
    }));
    return out;
}

Result<Group> Groups::Get(int64_t tenant_id, int64_t id) {
    std::optional<Group> g;
    SIYU_RETURN_IF_ERROR(db_->Read([&](store::Connection& c) -> Status {
        SIYU_ASSIGN_OR_RETURN(auto stmt, c.Prepare(std::string(kGroupColumns) + "WHERE tenant_id = ? AND id = ?"));
        stmt.Bind(1, tenant_id).Bind(2, id);
        SIYU_ASSIGN_OR_RETURN(bool row, stmt.Step());
        if (row) g = ReadGroup(stmt);
        return Status::Ok();
    }));
    if (!g) return Status::NotFound("no group " + std::to_string(id));
    return std::move(*g);
}

Result<Group> Groups::GetByChatId(int64_t tenant_id, const std::string& chat_id) {
    std::optional<Group> g;
    SIYU_RETURN_IF_ERROR(db_->Read([&](store::Connection& c) -> Status {
        SIYU_ASSIGN_OR_RETURN(g, FindGroup(c, tenant_id, chat_id));
        return Status::Ok();
    }));
    if (!g) return Status::NotFound("no group with chat_id " + chat_id);
    return std::move(*g);
}

Result<std::vector<GroupMember>> Groups::Members(int64_t tenant_id, int64_t group_id) {
    std::vector<GroupMember> out;
    SIYU_RETURN_IF_ERROR(db_->Read([&](store::Connection& c) -> Status {
        SIYU_ASSIGN_OR_RETURN(auto stmt, c.Prepare(std::string(kMemberColumns) +
                                                   "WHERE tenant_id = ? AND group_id = ? ORDER BY join_time, member_id"));
        stmt.Bind(1, tenant_id).Bind(2, group_id);
        return stmt.ForEachRow([&] { out.push_back(MemberRow(stmt)); });
    }));
    return out;
}

Result<std::vector<GroupHistoryEntry>> Groups::History(int64_t tenant_id, int64_t group_id, int limit,
                                                       std::optional<int64_t> before_id) {
    std::vector<GroupHistoryEntry> out;
    SIYU_RETURN_IF_ERROR(db_->Read([&](store::Connection& c) -> Status {
        SIYU_ASSIGN_OR_RETURN(auto stmt, c.Prepare(std::string(kHistoryColumns) +
                                                   "WHERE h.tenant_id = ?1 AND h.group_id = ?2 AND (?3 IS NULL OR "
                                                   "h.id < ?3) ORDER BY h.id DESC LIMIT ?4"));
        stmt.Bind(1, tenant_id).Bind(2, group_id).Bind(3, before_id).Bind(4, static_cast<int64_t>(limit));
        return stmt.ForEachRow([&] { out.push_back(ReadHistory(stmt)); });
    }));
    return out;
}

Result<std::vector<Group>> Groups::GroupsOfCustomer(int64_t tenant_id, int64_t customer_id) {
    std::vector<Group> out;
    SIYU_RETURN_IF_ERROR(db_->Read([&](store::Connection& c) -> Status {
        SIYU_ASSIGN_OR_RETURN(
            auto stmt,
            c.Prepare(std::string(kGroupColumns) +
                      "WHERE tenant_id = ?1 AND id IN (SELECT m.group_id FROM wecom_group_members m WHERE "
                      "m.tenant_id = ?1 AND (m.customer_id = ?2 OR m.customer_id IN (SELECT id FROM customers WHERE "
                      "tenant_id = ?1 AND merged_into = ?2))) ORDER BY id DESC"));
        stmt.Bind(1, tenant_id).Bind(2, customer_id);
        return stmt.ForEachRow([&] { out.push_back(ReadGroup(stmt)); });
    }));
    return out;
}

Result<std::vector<GroupHistoryEntry>> Groups::HistoryOfCustomer(int64_t tenant_id, int64_t customer_id, int limit) {
    std::vector<GroupHistoryEntry> out;
    SIYU_RETURN_IF_ERROR(db_->Read([&](store::Connection& c) -> Status {
        SIYU_ASSIGN_OR_RETURN(auto stmt, c.Prepare(std::string(kHistoryColumns) +
                                                   "WHERE h.tenant_id = ?1 AND (h.customer_id = ?2 OR h.customer_id IN "
                                                   "(SELECT id FROM customers WHERE tenant_id = ?1 AND merged_into = "
                                                   "?2)) ORDER BY h.id DESC LIMIT ?3"));
        stmt.Bind(1, tenant_id).Bind(2, customer_id).Bind(3, static_cast<int64_t>(limit));
        return stmt.ForEachRow([&] { out.push_back(ReadHistory(stmt)); });
    }));
    return out;
}

}  // namespace siyu::scrm
