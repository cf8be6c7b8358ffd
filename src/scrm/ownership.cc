#include "scrm/ownership.h"

#include "cdp/merge_set.h"

namespace siyu::scrm {

using store::Connection;

namespace {

// Columns of an owner row joined with its staff member; ?1 is the tenant.
constexpr char kOwnerSelect[] =
    "SELECT o.id, o.customer_id, c.name, o.staff_id, s.userid, s.name, s.store_id, o.external_userid, o.added_at, "
    "o.add_way, o.state, o.live_code_id, o.remark, o.status, o.ended_at "
    "FROM customer_owners o JOIN staff s ON s.id = o.staff_id LEFT JOIN customers c ON c.id = o.customer_id ";

Owner ReadOwner(store::Statement& s) {
    Owner o;
    o.id = s.Int(0);
    o.customer_id = s.Int(1);
    o.customer_name = s.OptText(2);
    o.staff_id = s.Int(3);
    o.staff_userid = s.Text(4);
    o.staff_name = s.Text(5);
    o.store_id = s.OptInt(6);
    o.external_userid = s.Text(7);
    o.added_at = s.Int(8);
    o.add_way = s.OptInt(9);
    o.state = s.OptText(10);
    o.live_code_id = s.OptInt(11);
    o.remark = s.OptText(12);
    o.status = s.Text(13);
    o.ended_at = s.OptInt(14);
    return o;
}

}  // namespace

Result<std::vector<Owner>> Ownership::OwnersOf(int64_t tenant_id, int64_t customer_id) {
    std::vector<Owner> out;
    SIYU_RETURN_IF_ERROR(db_->Read([&](Connection& c) -> Status {
        SIYU_ASSIGN_OR_RETURN(int64_t survivor, cdp::SurvivorOf(c, customer_id));
        SIYU_ASSIGN_OR_RETURN(auto s, c.Prepare(std::string(cdp::kMergeSetCte) + kOwnerSelect +
                                                "WHERE o.tenant_id = ?2 AND o.customer_id IN s "
                                                "ORDER BY o.status != 'active', o.added_at DESC, o.id DESC"));
        s.Bind(1, survivor).Bind(2, tenant_id);
        return s.ForEachRow([&] {
            Owner o = ReadOwner(s);
            o.customer_id = survivor;
            out.push_back(std::move(o));
        });
    }));
    return out;
}

Result<std::vector<Owner>> Ownership::CustomersOf(int64_t tenant_id, int64_t staff_id, const OwnedFilter& f) {
    std::vector<Owner> out;
    SIYU_RETURN_IF_ERROR(db_->Read([&](Connection& c) -> Status {
        SIYU_ASSIGN_OR_RETURN(auto s, c.Prepare(std::string(kOwnerSelect) +
                                                "WHERE o.tenant_id = ?1 AND o.staff_id = ?2 AND o.status = ?3 "
                                                "AND o.id < ?4 ORDER BY o.id DESC LIMIT ?5"));
        s.Bind(1, tenant_id)
            .Bind(2, staff_id)
            .Bind(3, f.status.value_or("active"))
            .Bind(4, f.before_id.value_or(INT64_MAX))
            .Bind(5, int64_t{f.limit});
        SIYU_RETURN_IF_ERROR(s.ForEachRow([&] { out.push_back(ReadOwner(s)); }));
        for (auto& o : out) {
            SIYU_ASSIGN_OR_RETURN(o.customer_id, cdp::SurvivorOf(c, o.customer_id));
        }
        return Status::Ok();
    }));
    return out;
}

Result<bool> Ownership::Owns(int64_t tenant_id, int64_t staff_id, int64_t customer_id) {
    bool owns = false;
    SIYU_RETURN_IF_ERROR(db_->Read([&](Connection& c) -> Status {
        SIYU_ASSIGN_OR_RETURN(int64_t survivor, cdp::SurvivorOf(c, customer_id));
        SIYU_ASSIGN_OR_RETURN(auto s, c.Prepare(std::string(cdp::kMergeSetCte) +
                                                "SELECT 1 FROM customer_owners WHERE tenant_id = ?2 AND staff_id = ?3 "
                                                "AND customer_id IN s LIMIT 1"));
        s.Bind(1, survivor).Bind(2, tenant_id).Bind(3, staff_id);
        SIYU_ASSIGN_OR_RETURN(owns, s.Step());
        return Status::Ok();
    }));
    return owns;
}

Result<int64_t> Ownership::UpsertIn(Connection& c, int64_t tenant_id, const OwnerRecord& r) {
    SIYU_ASSIGN_OR_RETURN(auto s, c.Prepare(
                                      "INSERT INTO customer_owners(tenant_id, customer_id, staff_id, external_userid, "
                                      "added_at, add_way, state, live_code_id, remark, status, ended_at) "
                                      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 'active', NULL) "
                                      "ON CONFLICT (tenant_id, staff_id, external_userid) DO UPDATE SET "
                                      "customer_id = excluded.customer_id, added_at = excluded.added_at, "
                                      "add_way = excluded.add_way, state = excluded.state, "
                                      "live_code_id = excluded.live_code_id, "
                                      "remark = coalesce(excluded.remark, customer_owners.remark), "
                                      "status = 'active', ended_at = NULL "
                                      // An add older than the relationship's end (a failed callback
                                      // retried late) must not bring an ended relationship back.
                                      "WHERE customer_owners.ended_at IS NULL OR "
                                      "excluded.added_at >= customer_owners.ended_at"));
    SIYU_RETURN_IF_ERROR(s.Bind(1, tenant_id)
                             .Bind(2, r.customer_id)
                             .Bind(3, r.staff_id)
                             .Bind(4, r.external_userid)
                             .Bind(5, r.added_at)
                             .Bind(6, r.add_way)
                             .Bind(7, r.state)
                             .Bind(8, r.live_code_id)
                             .Bind(9, r.remark)
                             .Run());
    SIYU_ASSIGN_OR_RETURN(auto id, c.Prepare("SELECT id FROM customer_owners WHERE tenant_id = ? AND staff_id = ? AND "
                                             "external_userid = ?"));
    id.Bind(1, tenant_id).Bind(2, r.staff_id).Bind(3, r.external_userid);
    SIYU_ASSIGN_OR_RETURN(bool row, id.Step());
    if (!row) return Status::Internal("customer owner row vanished");
    return id.Int(0);
}

Result<std::optional<Owner>> Ownership::EndIn(Connection& c, int64_t tenant_id, int64_t staff_id,
                                              const std::string& external_userid, const std::string& status,
                                              TimeMs at) {
    SIYU_ASSIGN_OR_RETURN(auto s, c.Prepare(std::string(kOwnerSelect) +
                                            "WHERE o.tenant_id = ?1 AND o.staff_id = ?2 AND o.external_userid = ?3 "
                                            "AND o.status = 'active'"));
    s.Bind(1, tenant_id).Bind(2, staff_id).Bind(3, external_userid);
    SIYU_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) return std::optional<Owner>();
    Owner before = ReadOwner(s);
    s.Reset();
    SIYU_ASSIGN_OR_RETURN(auto u, c.Prepare("UPDATE customer_owners SET status = ?, ended_at = ? WHERE id = ?"));
    SIYU_RETURN_IF_ERROR(u.Bind(1, status).Bind(2, at).Bind(3, before.id).Run());
    return std::optional<Owner>(before);
}

Result<int64_t> Ownership::AddsIn(Connection& c, int64_t tenant_id, int64_t staff_id, TimeMs from, TimeMs to) {
    SIYU_ASSIGN_OR_RETURN(auto s, c.Prepare("SELECT count(*) FROM customer_owners WHERE tenant_id = ? AND staff_id = ? "
                                            "AND added_at >= ? AND added_at < ?"));
    s.Bind(1, tenant_id).Bind(2, staff_id).Bind(3, from).Bind(4, to);
    SIYU_ASSIGN_OR_RETURN(bool row, s.Step());
    return row ? s.Int(0) : 0;
}

}  // namespace siyu::scrm
