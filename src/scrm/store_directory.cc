#include "scrm/store_directory.h"

#include <nlohmann/json.hpp>

#include "base/strings.h"

namespace siyu::scrm {

using store::Connection;

namespace {

int KindRank(const std::string& kind) { return kind == "hq" ? 0 : kind == "region" ? 1 : 2; }

const char kColumns[] =
    "SELECT id, tenant_id, parent_id, kind, code, name, city, latitude, longitude, created_at, updated_at FROM stores ";

Store ReadStore(const store::Statement& s) {
    Store out;
    out.id = s.Int(0);
    out.tenant_id = s.Int(1);
    out.parent_id = s.OptInt(2);
    out.kind = s.Text(3);
    out.code = s.Text(4);
    out.name = s.Text(5);
    out.city = s.Text(6);
    out.latitude = s.OptDouble(7);
    out.longitude = s.OptDouble(8);
    out.created_at = s.Int(9);
    out.updated_at = s.Int(10);
    return out;
}

Result<std::optional<Store>> Find(Connection& c, int64_t tenant_id, int64_t id) {
    SIYU_ASSIGN_OR_RETURN(auto stmt, c.Prepare(std::string(kColumns) + "WHERE tenant_id = ? AND id = ?"));
    stmt.Bind(1, tenant_id).Bind(2, id);
    SIYU_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) return std::optional<Store>();
    return std::optional<Store>(ReadStore(stmt));
}

// Checks the parent/child kinds around `s` once its fields are final.
Status CheckHierarchy(Connection& c, const Store& s) {
    if (s.parent_id) {
        if (*s.parent_id == s.id) return Status::InvalidArgument("parent_id", "a store cannot be its own parent");
        SIYU_ASSIGN_OR_RETURN(auto parent, Find(c, s.tenant_id, *s.parent_id));
        if (!parent) return Status::InvalidArgument("parent_id", "no store with this id");
        if (KindRank(parent->kind) >= KindRank(s.kind)) {
            return Status::InvalidArgument("parent_id", "a " + s.kind + " cannot sit below a " + parent->kind);
        }
    }
    if (s.id != 0) {
        SIYU_ASSIGN_OR_RETURN(auto children,
                              c.Prepare("SELECT kind FROM stores WHERE tenant_id = ? AND parent_id = ?"));
        children.Bind(1, s.tenant_id).Bind(2, s.id);
        while (true) {
            SIYU_ASSIGN_OR_RETURN(bool row, children.Step());
            if (!row) break;
            if (KindRank(children.Text(0)) <= KindRank(s.kind)) {
                return Status::InvalidArgument("kind",
                                               "child stores would sit below a store of the same or lower kind");
            }
        }
    }
    return Status::Ok();
}

void Apply(const StoreInput& in, Store* s) {
    if (in.parent_id) s->parent_id = *in.parent_id;
    if (in.kind) s->kind = *in.kind;
    if (in.code) s->code = *in.code;
    if (in.name) s->name = *in.name;
    if (in.city) s->city = *in.city;
    if (in.latitude) s->latitude = *in.latitude;
    if (in.longitude) s->longitude = *in.longitude;
}

std::string Describe(const Store& s) {
    nlohmann::json j = {{"code", s.code}, {"name", s.name}, {"kind", s.kind}};
    return j.dump();
}

}  // namespace

Status ValidateStoreInput(const StoreInput& in, bool creating) {
    if (creating) {
        if (!in.code) return Status::InvalidArgument("code", "is required");
        if (!in.name) return Status::InvalidArgument("name", "is required");
        if (!in.kind) return Status::InvalidArgument("kind", "is required");
    }
    if (in.code) {
        bool ok = !in.code->empty() && in.code->size() <= 32;
        for (char ch : *in.code) {
            ok = ok && (std::isalnum(static_cast<unsigned char>(ch)) || ch == '_' || ch == '-');
        }
        if (!ok) return Status::InvalidArgument("code", "must be 1 to 32 characters of A-Z, a-z, 0-9, _ and -");
    }
    if (in.name) {
        int64_t len = Utf8Length(*in.name);
        if (len < 1 || len > 100 || Trim(*in.name).empty()) {
            return Status::InvalidArgument("name", "must be 1 to 100 characters");
        }
    }
    if (in.kind && *in.kind != "hq" && *in.kind != "region" && *in.kind != "store") {
        return Status::InvalidArgument("kind", "must be hq, region or store");
    }
    if (in.city && (Utf8Length(*in.city) < 0 || Utf8Length(*in.city) > 50)) {
        return Status::InvalidArgument("city", "must be at most 50 characters");
    }
    if (in.latitude && *in.latitude && (**in.latitude < -90 || **in.latitude > 90)) {
        return Status::InvalidArgument("latitude", "must be between -90 and 90");
    }
    if (in.longitude && *in.longitude && (**in.longitude < -180 || **in.longitude > 180)) {
        return Status::InvalidArgument("longitude", "must be between -180 and 180");
    }
    return Status::Ok();
}

Result<Store> StoreDirectory::Create(int64_t tenant_id, const StoreInput& input, const auth::Actor& actor) {
    SIYU_RETURN_IF_ERROR(ValidateStoreInput(input, true));
    Store s;
    s.tenant_id = tenant_id;
    Apply(input, &s);
    s.created_at = s.updated_at = NowMs();
    SIYU_RETURN_IF_ERROR(db_->Write([&](Connection& c) -> Status {
        SIYU_RETURN_IF_ERROR(CheckHierarchy(c, s));
        SIYU_ASSIGN_OR_RETURN(auto stmt, c.Prepare("INSERT INTO stores(tenant_id, parent_id, kind, code, name, city, "
                                                   "latitude, longitude, created_at, updated_at) "
                                                   "VALUES (?,?,?,?,?,?,?,?,?,?)"));
        Status st = stmt.Bind(1, tenant_id)
                        .Bind(2, s.parent_id)
                        .Bind(3, s.kind)
                        .Bind(4, s.code)
                        .Bind(5, s.name)
                        .Bind(6, s.city)
                        .Bind(7, s.latitude)
                        .Bind(8, s.longitude)
                        .Bind(9, s.created_at)
                        .Bind(10, s.updated_at)
                        .Run();
        if (st.code() == StatusCode::kAlreadyExists) return Status::AlreadyExists("code", "store code already in use");
        SIYU_RETURN_IF_ERROR(st);
        s.id = c.LastInsertId();
        return auth::AppendAudit(c, tenant_id, actor, "store.create", "store", std::to_string(s.id), Describe(s));
    }));
    return s;
}

Result<Store> StoreDirectory::Get(int64_t tenant_id, int64_t id) {
    std::optional<Store> out;
    SIYU_RETURN_IF_ERROR(db_->Read([&](Connection& c) -> Status {
        SIYU_ASSIGN_OR_RETURN(out, Find(c, tenant_id, id));
        return Status::Ok();
    }));
    if (!out) return Status::NotFound("store " + std::to_string(id) + " not found");
    return *out;
}

Result<std::vector<Store>> StoreDirectory::List(int64_t tenant_id, const StoreFilter& f) {
    std::vector<Store> out;
    SIYU_RETURN_IF_ERROR(db_->Read([&](Connection& c) -> Status {
        SIYU_ASSIGN_OR_RETURN(auto stmt, c.Prepare(std::string(kColumns) +
                                                   "WHERE tenant_id = ?1 AND id > ?2 AND (?3 IS NULL OR kind = ?3) "
                                                   "AND (?4 IS NULL OR parent_id = ?4) AND (?5 IS NULL OR "
                                                   "instr(name, ?5) > 0 OR instr(code, ?5) > 0 OR instr(city, ?5) > 0) "
                                                   "ORDER BY id LIMIT ?6"));
        stmt.Bind(1, tenant_id)
            .Bind(2, f.after_id.value_or(0))
            .Bind(3, f.kind)
            .Bind(4, f.parent_id)
            .Bind(5, f.q)
            .Bind(6, int64_t{f.limit});
        SIYU_RETURN_IF_ERROR(stmt.ForEachRow([&] { out.push_back(ReadStore(stmt)); }));
        return Status::Ok();
    }));
    return out;
}

Result<Store> StoreDirectory::Update(int64_t tenant_id, int64_t id, const StoreInput& input, const auth::Actor& actor) {
    SIYU_RETURN_IF_ERROR(ValidateStoreInput(input, false));
    std::optional<Store> result;
    SIYU_RETURN_IF_ERROR(db_->Write([&](Connection& c) -> Status {
        SIYU_ASSIGN_OR_RETURN(auto found, Find(c, tenant_id, id));
        if (!found) return Status::NotFound("store " + std::to_string(id) + " not found");
        Store s = *found;
        Apply(input, &s);
        s.updated_at = NowMs();
        SIYU_RETURN_IF_ERROR(CheckHierarchy(c, s));
        SIYU_ASSIGN_OR_RETURN(auto stmt, c.Prepare("UPDATE stores SET parent_id = ?, kind = ?, code = ?, name = ?, "
                                                   "city = ?, latitude = ?, longitude = ?, updated_at = ? "
                                                   "WHERE tenant_id = ? AND id = ?"));
        Status st = stmt.Bind(1, s.parent_id)
                        .Bind(2, s.kind)
                        .Bind(3, s.code)
                        .Bind(4, s.name)
                        .Bind(5, s.city)
                        .Bind(6, s.latitude)
                        .Bind(7, s.longitude)
                        .Bind(8, s.updated_at)
                        .Bind(9, tenant_id)
                        .Bind(10, id)
                        .Run();
        if (st.code() == StatusCode::kAlreadyExists) return Status::AlreadyExists("code", "store code already in use");
        SIYU_RETURN_IF_ERROR(st);
        result = s;
        return auth::AppendAudit(c, tenant_id, actor, "store.update", "store", std::to_string(id), Describe(s));
    }));
    return *result;
}

Status StoreDirectory::Delete(int64_t tenant_id, int64_t id, const auth::Actor& actor) {
    return db_->Write([&](Connection& c) -> Status {
        SIYU_ASSIGN_OR_RETURN(auto found, Find(c, tenant_id, id));
        if (!found) return Status::NotFound("store " + std::to_string(id) + " not found");
        SIYU_ASSIGN_OR_RETURN(auto kids, c.Prepare("SELECT (SELECT count(*) FROM stores WHERE tenant_id = ?1 AND "
                                                   "parent_id = ?2), (SELECT count(*) FROM customers WHERE "
                                                   "tenant_id = ?1 AND store_id = ?2 AND deleted_at IS NULL)"));
        kids.Bind(1, tenant_id).Bind(2, id);
        SIYU_ASSIGN_OR_RETURN(bool row, kids.Step());
        if (row && kids.Int(0) > 0)
            return Status::FailedPrecondition("the store has child stores; move or delete them first");
        if (row && kids.Int(1) > 0) return Status::FailedPrecondition("the store still has customers; move them first");
        SIYU_ASSIGN_OR_RETURN(auto unlink, c.Prepare("UPDATE customers SET store_id = NULL WHERE tenant_id = ? AND "
                                                     "store_id = ?"));
        SIYU_RETURN_IF_ERROR(unlink.Bind(1, tenant_id).Bind(2, id).Run());
        SIYU_ASSIGN_OR_RETURN(auto del, c.Prepare("DELETE FROM stores WHERE tenant_id = ? AND id = ?"));
        SIYU_RETURN_IF_ERROR(del.Bind(1, tenant_id).Bind(2, id).Run());
        return auth::AppendAudit(c, tenant_id, actor, "store.delete", "store", std::to_string(id), Describe(*found));
    });
}

Result<std::vector<int64_t>> StoreDirectory::Subtree(int64_t tenant_id, const std::vector<int64_t>& roots) {
    std::vector<int64_t> out;
    if (roots.empty()) return out;
    SIYU_RETURN_IF_ERROR(db_->Read([&](Connection& c) -> Status {
        SIYU_ASSIGN_OR_RETURN(auto stmt, c.Prepare("WITH RECURSIVE sub(id) AS (SELECT id FROM stores WHERE tenant_id "
                                                   "= ?1 AND id IN (SELECT value FROM json_each(?2)) UNION SELECT "
                                                   "s.id FROM stores s JOIN sub ON s.parent_id = sub.id WHERE "
                                                   "s.tenant_id = ?1) SELECT id FROM sub ORDER BY id"));
        stmt.Bind(1, tenant_id).Bind(2, nlohmann::json(roots).dump());
        SIYU_RETURN_IF_ERROR(stmt.ForEachRow([&] { out.push_back(stmt.Int(0)); }));
        return Status::Ok();
    }));
    return out;
}

}  // namespace siyu::scrm
