#include "scrm/group_live_codes.h"

#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "base/strings.h"
#include "scrm/wecom_support.h"

namespace siyu::scrm {

namespace {

constexpr const char* kColumns =
    "SELECT id, key, name, member_limit, scans, full_scans, all_full_at, created_at, updated_at FROM "
    "group_live_codes ";

GroupLiveCode ReadCode(store::Statement& s) {
    GroupLiveCode g;
    g.id = s.Int(0);
    g.key = s.Text(1);
    g.name = s.Text(2);
    g.member_limit = s.Int(3);
    g.scans = s.Int(4);
    g.full_scans = s.Int(5);
    g.all_full_at = s.OptInt(6);
    g.created_at = s.Int(7);
    g.updated_at = s.Int(8);
    return g;
}

Status WriteGroups(store::Connection& c, int64_t tenant_id, int64_t code_id,
                   const std::vector<GroupLiveCodeEntry>& groups) {
    SIYU_ASSIGN_OR_RETURN(auto check, c.Prepare("SELECT 1 FROM wecom_groups WHERE tenant_id = ? AND id = ?"));
    SIYU_ASSIGN_OR_RETURN(auto old, c.Prepare("SELECT group_id, scans FROM group_live_code_groups WHERE code_id = ?"));
    std::map<int64_t, int64_t> scans;
    old.Bind(1, code_id);
    SIYU_RETURN_IF_ERROR(old.ForEachRow([&] { scans[old.Int(0)] = old.Int(1); }));
    SIYU_ASSIGN_OR_RETURN(auto del, c.Prepare("DELETE FROM group_live_code_groups WHERE code_id = ?"));
    SIYU_RETURN_IF_ERROR(del.Bind(1, code_id).Run());
    SIYU_ASSIGN_OR_RETURN(auto ins, c.Prepare("INSERT INTO group_live_code_groups(code_id, position, group_id, qr_url, "
                                              "scans) VALUES (?, ?, ?, ?, ?)"));
    for (size_t i = 0; i < groups.size(); ++i) {
        check.Reset();
        check.Bind(1, tenant_id).Bind(2, groups[i].group_id);
        SIYU_ASSIGN_OR_RETURN(bool row, check.Step());
        if (!row) return Status::InvalidArgument("groups[" + std::to_string(i) + "].group_id", "no such group");
        ins.Reset();
        ins.Bind(1, code_id).Bind(2, static_cast<int64_t>(i)).Bind(3, groups[i].group_id).Bind(4, groups[i].qr_url);
        ins.Bind(5, scans.count(groups[i].group_id) ? scans[groups[i].group_id] : int64_t{0});
        SIYU_RETURN_IF_ERROR(ins.Run());
    }
    return Status::Ok();
}

}  // namespace

Status GroupLiveCodes::Validate(int64_t, const GroupLiveCodeInput& in, bool create) {
    if (create && !in.name) return Status::InvalidArgument("name", "is required");
    if (in.name) {
        std::string n(Trim(*in.name));
        if (n.empty() || Utf8Length(n) > 100) return Status::InvalidArgument("name", "must be 1 to 100 characters");
    }
    if (in.member_limit && (*in.member_limit < 1 || *in.member_limit > 500)) {
        return Status::InvalidArgument("member_limit", "must be between 1 and 500");
    }
    if (create && (!in.groups || in.groups->empty()))
        return Status::InvalidArgument("groups", "name at least one group");
    if (in.groups) {
        if (in.groups->empty()) return Status::InvalidArgument("groups", "name at least one group");
        if (in.groups->size() > 100) return Status::InvalidArgument("groups", "at most 100 groups");
        std::set<int64_t> seen;
        for (size_t i = 0; i < in.groups->size(); ++i) {
            const auto& g = (*in.groups)[i];
            std::string field = "groups[" + std::to_string(i) + "]";
            if (!seen.insert(g.group_id).second) return Status::InvalidArgument(field + ".group_id", "is listed twice");
            bool url = (StartsWith(g.qr_url, "https://") || StartsWith(g.qr_url, "http://") ||
                        StartsWith(g.qr_url, "data:image/")) &&
                       g.qr_url.find_first_of(" \"<>") == std::string::npos;
            if (!url || g.qr_url.size() > 200'000) {
                return Status::InvalidArgument(field + ".qr_url", "must be an http(s) URL or a data:image/ URL");
            }
        }
    }
    return Status::Ok();
}

Status GroupLiveCodes::Load(store::Connection& c, GroupLiveCode* code) {
    SIYU_ASSIGN_OR_RETURN(auto stmt, c.Prepare("SELECT e.group_id, e.qr_url, g.chat_id, g.name, g.member_count, "
                                               "g.status, e.scans FROM group_live_code_groups e JOIN wecom_groups g ON "
                                               "g.id = e.group_id WHERE e.code_id = ? ORDER BY e.position"));
    stmt.Bind(1, code->id);
    code->groups.clear();
    return stmt.ForEachRow([&] {
        GroupLiveCodeEntry e;
        e.group_id = stmt.Int(0);
        e.qr_url = stmt.Text(1);
        e.chat_id = stmt.Text(2);
        e.group_name = stmt.Text(3);
        e.member_count = stmt.Int(4);
        e.group_status = stmt.Text(5);
        e.scans = stmt.Int(6);
        e.full = e.group_status != "active" || e.member_count >= code->member_limit;
        code->groups.push_back(std::move(e));
    });
}

Result<GroupLiveCode> GroupLiveCodes::Create(int64_t tenant_id, const GroupLiveCodeInput& in,
                                             const auth::Actor& actor) {
    SIYU_RETURN_IF_ERROR(Validate(tenant_id, in, true));
    int64_t id = 0;
    TimeMs now = NowMs();
    SIYU_RETURN_IF_ERROR(db_->Write([&](store::Connection& c) -> Status {
        SIYU_ASSIGN_OR_RETURN(auto ins, c.Prepare("INSERT INTO group_live_codes(tenant_id, key, name, member_limit, "
                                                  "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)"));
        ins.Bind(1, tenant_id).Bind(2, RandomCode(10)).Bind(3, std::string(Trim(*in.name)));
        ins.Bind(4, in.member_limit.value_or(kDefaultGroupMemberLimit)).Bind(5, now).Bind(6, now);
        SIYU_RETURN_IF_ERROR(ins.Run());
        id = c.LastInsertId();
        SIYU_RETURN_IF_ERROR(WriteGroups(c, tenant_id, id, *in.groups));
        return auth::AppendAudit(c, tenant_id, actor, "wecom.group_live_code.create", "group_live_code",
                                 std::to_string(id), nlohmann::json{{"name", *in.name}}.dump());
    }));
    return Get(tenant_id, id);
}

Result<GroupLiveCode> GroupLiveCodes::Update(int64_t tenant_id, int64_t id, const GroupLiveCodeInput& in,
                                             const auth::Actor& actor) {
    SIYU_RETURN_IF_ERROR(Get(tenant_id, id).status());
    SIYU_RETURN_IF_ERROR(Validate(tenant_id, in, false));
    SIYU_RETURN_IF_ERROR(db_->Write([&](store::Connection& c) -> Status {
        SIYU_ASSIGN_OR_RETURN(auto up, c.Prepare("UPDATE group_live_codes SET name = coalesce(?, name), member_limit = "
                                                 "coalesce(?, member_limit), all_full_at = NULL, updated_at = ? WHERE "
                                                 "tenant_id = ? AND id = ? AND deleted_at IS NULL"));
        std::optional<std::string> name;
        if (in.name) name = std::string(Trim(*in.name));
        up.Bind(1, name).Bind(2, in.member_limit).Bind(3, NowMs()).Bind(4, tenant_id).Bind(5, id);
        SIYU_RETURN_IF_ERROR(up.Run());
        if (c.Changes() == 0) return Status::NotFound("no group live code " + std::to_string(id));
        if (in.groups) SIYU_RETURN_IF_ERROR(WriteGroups(c, tenant_id, id, *in.groups));
        return auth::AppendAudit(c, tenant_id, actor, "wecom.group_live_code.update", "group_live_code",
                                 std::to_string(id));
    }));
    return Get(tenant_id, id);
}

Status GroupLiveCodes::Delete(int64_t tenant_id, int64_t id, const auth::Actor& actor) {
    return db_->Write([&](store::Connection& c) -> Status {
        SIYU_ASSIGN_OR_RETURN(auto up, c.Prepare("UPDATE group_live_codes SET deleted_at = ?, updated_at = ? WHERE "
                                                 "tenant_id = ? AND id = ? AND deleted_at IS NULL"));
        TimeMs now = NowMs();
        SIYU_RETURN_IF_ERROR(up.Bind(1, now).Bind(2, now).Bind(3, tenant_id).Bind(4, id).Run());
        if (c.Changes() == 0) return Status::NotFound("no group live code " + std::to_string(id));
        return auth::AppendAudit(c, tenant_id, actor, "wecom.group_live_code.delete", "group_live_code",
                                 std::to_string(id));
    });
}

Result<GroupLiveCode> GroupLiveCodes::Get(int64_t tenant_id, int64_t id) {
    std::optional<GroupLiveCode> out;
    SIYU_RETURN_IF_ERROR(db_->Read([&](store::Connection& c) -> Status {
        SIYU_ASSIGN_OR_RETURN(
            auto stmt, c.Prepare(std::string(kColumns) + "WHERE tenant_id = ? AND id = ? AND deleted_at IS NULL"));
        stmt.Bind(1, tenant_id).Bind(2, id);
        SIYU_ASSIGN_OR_RETURN(bool row, stmt.Step());
        if (!row) return Status::Ok();
        out = ReadCode(stmt);
        return Load(c, &*out);
    }));
    if (!out) return Status::NotFound("no group live code " + std::to_string(id));
    return std::move(*out);
}

Result<std::vector<GroupLiveCode>> GroupLiveCodes::List(int64_t tenant_id, int limit, std::optional<int64_t> before) {
    std::vector<GroupLiveCode> out;
    SIYU_RETURN_IF_ERROR(db_->Read([&](store::Connection& c) -> Status {
        SIYU_ASSIGN_OR_RETURN(auto stmt, c.Prepare(std::string(kColumns) +
                                                   "WHERE tenant_id = ?1 AND deleted_at IS NULL AND (?2 IS NULL OR id "
                                                   "< ?2) ORDER BY id DESC LIMIT ?3"));
        stmt.Bind(1, tenant_id).Bind(2, before).Bind(3, static_cast<int64_t>(limit));
        SIYU_RETURN_IF_ERROR(stmt.ForEachRow([&] { out.push_back(ReadCode(stmt)); }));
        for (auto& code : out) SIYU_RETURN_IF_ERROR(Load(c, &code));
        return Status::Ok();
    }));
    return out;
}

Result<GroupLiveCodeScan> GroupLiveCodes::Scan(const std::string& key, TimeMs at) {
    GroupLiveCodeScan scan;
    bool found = false;
    SIYU_RETURN_IF_ERROR(db_->Write([&](store::Connection& c) -> Status {
        SIYU_ASSIGN_OR_RETURN(auto q, c.Prepare("SELECT tenant_id, id FROM group_live_codes WHERE key = ? AND "
                                                "deleted_at IS NULL"));
        q.Bind(1, key);
        SIYU_ASSIGN_OR_RETURN(found, q.Step());
        if (!found) return Status::Ok();
        scan.tenant_id = q.Int(0);
        scan.code_id = q.Int(1);
        SIYU_ASSIGN_OR_RETURN(auto g, c.Prepare(std::string(kColumns) + "WHERE id = ?"));
        g.Bind(1, scan.code_id);
        SIYU_ASSIGN_OR_RETURN(bool row, g.Step());
        if (!row) return Status::Internal("group live code vanished");
        GroupLiveCode code = ReadCode(g);
        scan.name = code.name;
        SIYU_RETURN_IF_ERROR(Load(c, &code));
        for (size_t i = 0; i < code.groups.size(); ++i) {
            if (code.groups[i].full) continue;
            scan.group = code.groups[i];
            SIYU_ASSIGN_OR_RETURN(auto hit, c.Prepare("UPDATE group_live_code_groups SET scans = scans + 1 WHERE "
                                                      "code_id = ? AND position = ?"));
            SIYU_RETURN_IF_ERROR(hit.Bind(1, scan.code_id).Bind(2, static_cast<int64_t>(i)).Run());
            break;
        }
        SIYU_ASSIGN_OR_RETURN(auto up, c.Prepare("UPDATE group_live_codes SET scans = scans + 1, full_scans = "
                                                 "full_scans + ?1, all_full_at = CASE WHEN ?1 = 1 THEN "
                                                 "coalesce(all_full_at, ?2) ELSE NULL END WHERE id = ?3"));
        return up.Bind(1, int64_t{scan.group ? 0 : 1}).Bind(2, at).Bind(3, scan.code_id).Run();
    }));
    if (!found) return Status::NotFound("no such group live code");
    return scan;
}

}  // namespace siyu::scrm
