#include "cdp/identity_graph.h"

#include <nlohmann/json.hpp>

#include "cdp/merge_set.h"

namespace siyu::cdp {

using store::Connection;

Result<std::vector<MergeRecord>> IdentityGraph::MergesInto(int64_t tenant_id, int64_t customer_id) {
    std::vector<MergeRecord> out;
    SIYU_RETURN_IF_ERROR(db_->Read([&](Connection& c) -> Status {
        SIYU_ASSIGN_OR_RETURN(auto stmt, c.Prepare("SELECT id, survivor_id, merged_id, reason, message_id, at, "
                                                   "undone_at FROM customer_merges WHERE tenant_id = ? AND "
                                                   "(survivor_id = ?2 OR merged_id = ?2) ORDER BY id DESC LIMIT 500"));
        stmt.Bind(1, tenant_id).Bind(2, customer_id);
        return stmt.ForEachRow([&] {
            out.push_back(MergeRecord{stmt.Int(0), stmt.Int(1), stmt.Int(2), stmt.Text(3), stmt.Text(4), stmt.Int(5),
                                      stmt.OptInt(6)});
        });
    }));
    return out;
}

Status IdentityGraph::Unmerge(int64_t tenant_id, int64_t customer_id, std::optional<int64_t> merge_id,
                              const auth::Actor& actor) {
    return db_->Write([&](Connection& c) -> Status {
        SIYU_ASSIGN_OR_RETURN(auto find,
                              c.Prepare("SELECT m.id, m.merged_id FROM customer_merges m JOIN customers x ON "
                                        "x.id = m.merged_id WHERE m.tenant_id = ?1 AND m.survivor_id = ?2 "
                                        "AND m.undone_at IS NULL AND x.merged_into = ?2 AND (?3 IS NULL OR "
                                        "m.id = ?3) ORDER BY m.id DESC LIMIT 1"));
        find.Bind(1, tenant_id).Bind(2, customer_id).Bind(3, merge_id);
        SIYU_ASSIGN_OR_RETURN(bool row, find.Step());
        if (!row) {
            return merge_id ? Status::NotFound("merge " + std::to_string(*merge_id) + " into customer " +
                                               std::to_string(customer_id) + " not found or already undone")
                            : Status::FailedPrecondition("no merge into customer " + std::to_string(customer_id) +
                                                         " to undo");
        }
        int64_t id = find.Int(0), merged = find.Int(1);
        find.Reset();
        TimeMs now = NowMs();
        SIYU_ASSIGN_OR_RETURN(auto split,
                              c.Prepare("UPDATE customers SET merged_into = NULL, updated_at = ? WHERE id = ?"));
        SIYU_RETURN_IF_ERROR(split.Bind(1, now).Bind(2, merged).Run());
        SIYU_ASSIGN_OR_RETURN(auto undo, c.Prepare("UPDATE customer_merges SET undone_at = ? WHERE id = ?"));
        SIYU_RETURN_IF_ERROR(undo.Bind(1, now).Bind(2, id).Run());
        nlohmann::json details = {{"merge_id", id}, {"merged_id", merged}};
        return auth::AppendAudit(c, tenant_id, actor, "customer.unmerge", "customer", std::to_string(customer_id),
                                 details.dump());
    });
}

Result<std::vector<ConflictRecord>> IdentityGraph::Conflicts(int64_t tenant_id, int limit,
                                                             std::optional<int64_t> before_id) {
    std::vector<ConflictRecord> out;
    SIYU_RETURN_IF_ERROR(db_->Read([&](Connection& c) -> Status {
        SIYU_ASSIGN_OR_RETURN(auto stmt, c.Prepare("SELECT id, customer_id, other_customer_id, identifier_type, "
                                                   "message_id, at FROM identity_conflicts WHERE tenant_id = ? AND "
                                                   "id < ? ORDER BY id DESC LIMIT ?"));
        stmt.Bind(1, tenant_id).Bind(2, before_id.value_or(INT64_MAX)).Bind(3, int64_t{limit});
        return stmt.ForEachRow([&] {
            out.push_back(
                ConflictRecord{stmt.Int(0), stmt.Int(1), stmt.Int(2), stmt.Text(3), stmt.Text(4), stmt.Int(5)});
        });
    }));
    return out;
}

Result<std::vector<EventRecord>> IdentityGraph::Timeline(int64_t tenant_id, int64_t customer_id, const EventFilter& f) {
    std::vector<EventRecord> out;
    SIYU_RETURN_IF_ERROR(db_->Read([&](Connection& c) -> Status {
        SIYU_ASSIGN_OR_RETURN(
            auto stmt,
            c.Prepare(std::string(kMergeSetCte) +
                      "SELECT id, customer_id, message_id, type, name, ts, received_at, properties, context, revenue, "
                      "currency FROM events WHERE customer_id IN s AND tenant_id = ?2 "
                      "AND (?3 IS NULL OR ts < ?3 OR (ts = ?3 AND id < ?4)) AND (?5 IS NULL OR name = ?5) "
                      "AND (?6 IS NULL OR ts >= ?6) AND (?7 IS NULL OR ts < ?7) ORDER BY ts DESC, id DESC LIMIT ?8"));
        std::optional<int64_t> before_ts, before_id;
        if (f.before) {
            before_ts = f.before->first;
            before_id = f.before->second;
        }
        stmt.Bind(1, customer_id)
            .Bind(2, tenant_id)
            .Bind(3, before_ts)
            .Bind(4, before_id.value_or(INT64_MAX))
            .Bind(5, f.name)
            .Bind(6, f.from)
            .Bind(7, f.to)
            .Bind(8, int64_t{f.limit});
        return stmt.ForEachRow([&] {
            out.push_back(EventRecord{stmt.Int(0), stmt.Int(1), stmt.Text(2), stmt.Text(3), stmt.Text(4), stmt.Int(5),
                                      stmt.Int(6), stmt.Text(7), stmt.Text(8), stmt.OptInt(9), stmt.OptText(10)});
        });
    }));
    return out;
}

}  // namespace siyu::cdp
