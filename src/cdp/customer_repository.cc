#include "cdp/customer_repository.h"

#include <algorithm>
#include <map>

#include "base/phone.h"
#include "base/strings.h"
#include "cdp/merge_set.h"

namespace siyu::cdp {

using store::Connection;
using Json = nlohmann::json;

bool Visibility::Allows(std::optional<int64_t> store_id) const {
    if (!store_ids) return true;
    if (!store_id) return false;
    return std::find(store_ids->begin(), store_ids->end(), *store_id) != store_ids->end();
}

namespace {

const char kColumns[] =
    "SELECT id, tenant_id, name, phone, email, gender, birthday, store_id, member_no, traits, created_at, updated_at, "
    "merged_into FROM customers ";

// A customer with no activity for this long is dormant, unless the tenant sets otherwise.
constexpr int64_t kDefaultDormantAfterDays = 180;

Customer ReadCustomer(const store::Statement& s) {
    Customer c;
    c.id = s.Int(0);
    c.tenant_id = s.Int(1);
    c.name = s.OptText(2);
    c.phone = s.OptText(3);
    c.email = s.OptText(4);
    c.gender = s.Text(5);
    c.birthday = s.OptText(6);
    c.store_id = s.OptInt(7);
    c.member_no = s.OptText(8);
    c.traits = s.Text(9);
    c.created_at = s.Int(10);
    c.updated_at = s.Int(11);
    return c;
}

Status LoadIdentifiers(Connection& conn, Customer* c) {
    SIYU_ASSIGN_OR_RETURN(auto stmt, conn.Prepare(std::string(kMergeSetCte) +
                                                  "SELECT type, value, created_at FROM customer_identifiers WHERE "
                                                  "customer_id IN s ORDER BY created_at, type, value"));
    stmt.Bind(1, c->id);
    c->identifiers.clear();
    SIYU_RETURN_IF_ERROR(stmt.ForEachRow([&] {
        c->identifiers.push_back(Identifier{stmt.Text(0), stmt.Text(1), stmt.Int(2)});
    }));
    return Status::Ok();
}

// Computed attributes as stored (own, or added up over a merge set).
struct StatsRow {
    std::optional<TimeMs> first_seen, last_seen, last_order_at;
    int64_t order_count = 0, order_total = 0, refund_count = 0, refund_total = 0;
    bool registered = false;
};

StatsRow ReadStats(const store::Statement& s, int first) {
    StatsRow r;
    r.first_seen = s.OptInt(first);
    r.last_seen = s.OptInt(first + 1);
    r.order_count = s.Int(first + 2);
    r.order_total = s.Int(first + 3);
    r.last_order_at = s.OptInt(first + 4);
    r.refund_count = s.Int(first + 5);
    r.refund_total = s.Int(first + 6);
    r.registered = s.Int(first + 7) != 0;
    return r;
}

void DeriveComputed(const StatsRow& s, int64_t dormant_days, Customer* c) {
    ComputedAttributes a;
    a.first_seen = s.first_seen;
    a.last_seen = s.last_seen;
    a.order_count = s.order_count;
    a.refund_count = s.refund_count;
    a.refund_total = s.refund_total;
    a.total_spent = s.order_total - s.refund_total;
    a.average_order_value = s.order_count > 0 ? s.order_total / s.order_count : 0;
    a.last_order_at = s.last_order_at;
    if (a.order_count >= 5) {
        a.lifecycle_stage = "loyal";
    } else if (a.order_count >= 2) {
        a.lifecycle_stage = "repurchase";
    } else if (a.order_count == 1) {
        a.lifecycle_stage = "first_purchase";
    } else if (s.registered || c->member_no) {
        a.lifecycle_stage = "registered";
    }
    TimeMs last = a.last_seen.value_or(c->created_at);
    if (NowMs() - last > dormant_days * 86'400'000LL) a.lifecycle_stage = "dormant";
    c->computed = a;
}

// One statement for the common single-customer read: the profile, the ids merged into it
// directly, its own computed attributes and the tenant's dormancy window.
constexpr char kFindSql[] =
    "SELECT c.id, c.tenant_id, c.name, c.phone, c.email, c.gender, c.birthday, c.store_id, c.member_no, c.traits, "
    "c.created_at, c.updated_at, c.merged_into, (SELECT group_concat(m.id) FROM customers m WHERE m.merged_into = "
    "c.id), s.first_seen, s.last_seen, coalesce(s.order_count, 0), coalesce(s.order_total, 0), s.last_order_at, "
    "coalesce(s.refund_count, 0), coalesce(s.refund_total, 0), coalesce(s.registered, 0), (SELECT "
    "dormant_after_days FROM identity_settings WHERE tenant_id = c.tenant_id) FROM customers c LEFT JOIN "
    "customer_stats s ON s.customer_id = c.id WHERE c.tenant_id = ? AND c.id = ? AND c.deleted_at IS NULL";

// For a customer that others were merged into: every member of the set and the summed stats.
Status LoadMergedSet(Connection& conn, int64_t dormant_days, Customer* c) {
    SIYU_ASSIGN_OR_RETURN(auto members, conn.Prepare(std::string(kMergeSetCte) + "SELECT id FROM s WHERE id <> ?1"));
    members.Bind(1, c->id);
    c->merged_ids.clear();
    SIYU_RETURN_IF_ERROR(members.ForEachRow([&] { c->merged_ids.push_back(members.Int(0)); }));
    SIYU_ASSIGN_OR_RETURN(
        auto stmt, conn.Prepare(std::string(kMergeSetCte) +
                                "SELECT min(first_seen), max(last_seen), coalesce(sum(order_count), 0), "
                                "coalesce(sum(order_total), 0), max(last_order_at), coalesce(sum(refund_count), 0), "
                                "coalesce(sum(refund_total), 0), coalesce(max(registered), 0) FROM customer_stats "
                                "WHERE customer_id IN s"));
    stmt.Bind(1, c->id);
    SIYU_ASSIGN_OR_RETURN(bool row, stmt.Step());
    StatsRow stats;
    if (row) {
        stats = ReadStats(stmt, 0);
        stmt.Reset();
    }
    DeriveComputed(stats, dormant_days, c);
    return LoadIdentifiers(conn, c);
}

// The customer `id`, or the one it was merged into, with identifiers and computed attributes.
Result<std::optional<Customer>> Find(Connection& conn, int64_t tenant_id, int64_t id) {
    for (int hops = 0; hops < 64; ++hops) {
        SIYU_ASSIGN_OR_RETURN(auto stmt, conn.Prepare(kFindSql));
        stmt.Bind(1, tenant_id).Bind(2, id);
        SIYU_ASSIGN_OR_RETURN(bool row, stmt.Step());
        if (!row) return std::optional<Customer>();
        if (!stmt.IsNull(12)) {
            id = stmt.Int(12);
            continue;
        }
        Customer c = ReadCustomer(stmt);
        bool has_merges = !stmt.IsNull(13);
        StatsRow own = ReadStats(stmt, 14);
        int64_t dormant_days = stmt.IsNull(22) ? kDefaultDormantAfterDays : stmt.Int(22);
        stmt.Reset();
        if (has_merges) {
            SIYU_RETURN_IF_ERROR(LoadMergedSet(conn, dormant_days, &c));
        } else {
            DeriveComputed(own, dormant_days, &c);
            SIYU_ASSIGN_OR_RETURN(auto ids, conn.Prepare("SELECT type, value, created_at FROM customer_identifiers "
                                                         "WHERE customer_id = ? ORDER BY created_at, type, value"));
            ids.Bind(1, c.id);
            SIYU_RETURN_IF_ERROR(ids.ForEachRow([&] {
                c.identifiers.push_back(Identifier{ids.Text(0), ids.Text(1), ids.Int(2)});
            }));
        }
        return std::optional<Customer>(std::move(c));
    }
    return Status::Internal("merge chain too deep at customer " + std::to_string(id));
}

Status NotFound(int64_t id) { return Status::NotFound("customer " + std::to_string(id) + " not found"); }

Status CheckStore(Connection& conn, int64_t tenant_id, std::optional<int64_t> store_id, const Visibility& vis) {
    if (!store_id) {
        if (vis.store_ids) return Status::PermissionDenied("you may only create customers in your own stores");
        return Status::Ok();
    }
    SIYU_ASSIGN_OR_RETURN(auto stmt, conn.Prepare("SELECT 1 FROM stores WHERE tenant_id = ? AND id = ?"));
    stmt.Bind(1, tenant_id).Bind(2, *store_id);
    SIYU_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) return Status::InvalidArgument("store_id", "no store with this id");
    if (!vis.Allows(store_id)) return Status::PermissionDenied("the store is not one of yours");
    return Status::Ok();
}

Status InsertIdentifier(Connection& conn, int64_t tenant_id, int64_t customer_id, const std::string& type,
                        const std::string& value, const std::string& field) {
    SIYU_ASSIGN_OR_RETURN(auto stmt, conn.Prepare("INSERT INTO customer_identifiers(tenant_id, type, value, "
                                                  "customer_id, created_at) VALUES (?,?,?,?,?)"));
    Status st = stmt.Bind(1, tenant_id).Bind(2, type).Bind(3, value).Bind(4, customer_id).Bind(5, NowMs()).Run();
    if (st.code() == StatusCode::kAlreadyExists) {
        return Status::AlreadyExists(field, field + ": another customer already has " + type + " " + value);
    }
    return st;
}

Status DeleteIdentifiersOfType(Connection& conn, int64_t customer_id, const std::string& type, bool all_but_primary) {
    if (all_but_primary) {
        SIYU_ASSIGN_OR_RETURN(auto stmt, conn.Prepare("DELETE FROM customer_identifiers WHERE customer_id = ? AND type "
                                                      "NOT IN ('phone', 'email', 'member_no')"));
        return stmt.Bind(1, customer_id).Run();
    }
    SIYU_ASSIGN_OR_RETURN(auto stmt,
                          conn.Prepare("DELETE FROM customer_identifiers WHERE customer_id = ? AND type = ?"));
    return stmt.Bind(1, customer_id).Bind(2, type).Run();
}

// Writes the identifiers implied by `in` for customer `id`.
Status WriteIdentifiers(Connection& conn, int64_t tenant_id, int64_t id, const CustomerInput& in) {
    struct Primary {
        const char* type;
        const std::optional<std::optional<std::string>>* value;
    };
    for (const Primary& p :
         {Primary{"phone", &in.phone}, Primary{"email", &in.email}, Primary{"member_no", &in.member_no}}) {
        if (!p.value->has_value()) continue;
        SIYU_RETURN_IF_ERROR(DeleteIdentifiersOfType(conn, id, p.type, false));
        if (p.value->value()) {
            SIYU_RETURN_IF_ERROR(InsertIdentifier(conn, tenant_id, id, p.type, *p.value->value(), p.type));
        }
    }
    if (in.identifiers) {
        SIYU_RETURN_IF_ERROR(DeleteIdentifiersOfType(conn, id, "", true));
        for (size_t i = 0; i < in.identifiers->size(); ++i) {
            const auto& ident = (*in.identifiers)[i];
            SIYU_RETURN_IF_ERROR(InsertIdentifier(conn, tenant_id, id, ident.type, ident.value,
                                                  "identifiers[" + std::to_string(i) + "]"));
        }
    }
    return Status::Ok();
}

std::string LikePattern(const std::string& text) {
    std::string out = "%";
    for (char c : text) {
        if (c == '%' || c == '_' || c == '\\') out.push_back('\\');
        out.push_back(c);
    }
    out.push_back('%');
    return out;
}

std::optional<std::string> VisibleJson(const Visibility& vis) {
    if (!vis.store_ids) return std::nullopt;
    return Json(*vis.store_ids).dump();
}

}  // namespace

Result<Customer> CustomerRepository::Create(int64_t tenant_id, const CustomerInput& in, const Visibility& vis) {
    std::optional<Customer> out;
    SIYU_RETURN_IF_ERROR(db_->Write([&](Connection& conn) -> Status {
        std::optional<int64_t> store_id = in.store_id.value_or(std::nullopt);
        SIYU_RETURN_IF_ERROR(CheckStore(conn, tenant_id, store_id, vis));
        TimeMs now = NowMs();
        SIYU_ASSIGN_OR_RETURN(auto stmt, conn.Prepare("INSERT INTO customers(tenant_id, name, phone, email, gender, "
                                                      "birthday, store_id, member_no, traits, created_at, updated_at) "
                                                      "VALUES (?,?,?,?,?,?,?,?,?,?,?)"));
        SIYU_RETURN_IF_ERROR(stmt.Bind(1, tenant_id)
                                 .Bind(2, in.name.value_or(std::nullopt))
                                 .Bind(3, in.phone.value_or(std::nullopt))
                                 .Bind(4, in.email.value_or(std::nullopt))
                                 .Bind(5, in.gender.value_or("unknown"))
                                 .Bind(6, in.birthday.value_or(std::nullopt))
                                 .Bind(7, store_id)
                                 .Bind(8, in.member_no.value_or(std::nullopt))
                                 .Bind(9, in.traits.value_or(Json::object()).dump())
                                 .Bind(10, now)
                                 .Bind(11, now)
                                 .Run());
        int64_t id = conn.LastInsertId();
        SIYU_RETURN_IF_ERROR(WriteIdentifiers(conn, tenant_id, id, in));
        SIYU_ASSIGN_OR_RETURN(out, Find(conn, tenant_id, id));
        return Status::Ok();
    }));
    return std::move(*out);
}

Result<Customer> CustomerRepository::Get(int64_t tenant_id, int64_t id, const Visibility& vis) {
    std::optional<Customer> out;
    SIYU_RETURN_IF_ERROR(db_->Read([&](Connection& conn) -> Status {
        SIYU_ASSIGN_OR_RETURN(out, Find(conn, tenant_id, id));
        return Status::Ok();
    }));
    if (!out || !vis.Allows(out->store_id)) return NotFound(id);
    return std::move(*out);
}

Result<std::vector<Customer>> CustomerRepository::List(int64_t tenant_id, const CustomerFilter& f,
                                                       const Visibility& vis) {
    std::vector<Customer> out;
    std::optional<std::string> q_like, q_exact, q_phone, name_like;
    if (f.q) {
        q_exact = std::string(Trim(*f.q));
        q_like = LikePattern(*q_exact);
        auto phone = NormalizePhone(*q_exact);
        q_phone = phone.ok() ? phone.value() : *q_exact;
    }
    if (f.name) name_like = LikePattern(*f.name);
    SIYU_RETURN_IF_ERROR(db_->Read([&](Connection& conn) -> Status {
        SIYU_ASSIGN_OR_RETURN(
            auto stmt, conn.Prepare(std::string(kColumns) +
                                    "WHERE tenant_id = ?1 AND deleted_at IS NULL AND merged_into IS NULL AND id < ?2 "
                                    "AND (?3 IS NULL OR name LIKE ?3 ESCAPE '\\' OR id IN (SELECT customer_id FROM "
                                    "customer_identifiers WHERE tenant_id = ?1 AND value IN (?4, ?5))) "
                                    "AND (?6 IS NULL OR name LIKE ?6 ESCAPE '\\') AND (?7 IS NULL OR phone = ?7) "
                                    "AND (?8 IS NULL OR store_id = ?8) AND (?9 IS NULL OR created_at >= ?9) "
                                    "AND (?10 IS NULL OR created_at < ?10) "
                                    "AND (?11 IS NULL OR store_id IN (SELECT value FROM json_each(?11))) "
                                    "ORDER BY id DESC LIMIT ?12"));
        stmt.Bind(1, tenant_id)
            .Bind(2, f.before_id.value_or(INT64_MAX))
            .Bind(3, q_like)
            .Bind(4, q_exact)
            .Bind(5, q_phone)
            .Bind(6, name_like)
            .Bind(7, f.phone)
            .Bind(8, f.store_id)
            .Bind(9, f.created_from)
            .Bind(10, f.created_to)
            .Bind(11, VisibleJson(vis))
            .Bind(12, int64_t{f.limit});
        SIYU_RETURN_IF_ERROR(stmt.ForEachRow([&] { out.push_back(ReadCustomer(stmt)); }));
        for (auto& c : out) SIYU_RETURN_IF_ERROR(LoadIdentifiers(conn, &c));
        return Status::Ok();
    }));
    return out;
}

Result<Customer> CustomerRepository::Update(int64_t tenant_id, int64_t id, const CustomerInput& in,
                                            const Visibility& vis) {
    std::optional<Customer> out;
    SIYU_RETURN_IF_ERROR(db_->Write([&](Connection& conn) -> Status {
        SIYU_ASSIGN_OR_RETURN(auto found, Find(conn, tenant_id, id));
        if (!found || !vis.Allows(found->store_id)) return NotFound(id);
        id = found->id;  // a merged customer's id stands for its survivor
        Customer c = std::move(*found);
        if (in.store_id) {
            SIYU_RETURN_IF_ERROR(CheckStore(conn, tenant_id, *in.store_id, vis));
            c.store_id = *in.store_id;
        }
        if (in.name) c.name = *in.name;
        if (in.phone) c.phone = *in.phone;
        if (in.email) c.email = *in.email;
        if (in.gender) c.gender = *in.gender;
        if (in.birthday) c.birthday = *in.birthday;
        if (in.member_no) c.member_no = *in.member_no;
        if (in.traits) c.traits = in.traits->dump();
        SIYU_ASSIGN_OR_RETURN(auto stmt,
                              conn.Prepare("UPDATE customers SET name = ?, phone = ?, email = ?, gender = ?, "
                                           "birthday = ?, store_id = ?, member_no = ?, traits = ?, "
                                           "updated_at = ? WHERE tenant_id = ? AND id = ?"));
        SIYU_RETURN_IF_ERROR(stmt.Bind(1, c.name)
                                 .Bind(2, c.phone)
                                 .Bind(3, c.email)
                                 .Bind(4, c.gender)
                                 .Bind(5, c.birthday)
                                 .Bind(6, c.store_id)
                                 .Bind(7, c.member_no)
                                 .Bind(8, c.traits)
                                 .Bind(9, NowMs())
                                 .Bind(10, tenant_id)
                                 .Bind(11, id)
                                 .Run());
        SIYU_RETURN_IF_ERROR(WriteIdentifiers(conn, tenant_id, id, in));
        SIYU_ASSIGN_OR_RETURN(out, Find(conn, tenant_id, id));
        return Status::Ok();
    }));
    return std::move(*out);
}

Status CustomerRepository::Delete(int64_t tenant_id, int64_t id, const Visibility& vis, const auth::Actor& actor) {
    return db_->Write([&](Connection& conn) -> Status {
        SIYU_ASSIGN_OR_RETURN(auto found, Find(conn, tenant_id, id));
        if (!found || !vis.Allows(found->store_id)) return NotFound(id);
        id = found->id;  // a merged customer's id stands for its survivor
        SIYU_ASSIGN_OR_RETURN(auto stmt, conn.Prepare("UPDATE customers SET deleted_at = ?, updated_at = ? WHERE "
                                                      "tenant_id = ? AND id = ?"));
        TimeMs now = NowMs();
        SIYU_RETURN_IF_ERROR(stmt.Bind(1, now).Bind(2, now).Bind(3, tenant_id).Bind(4, id).Run());
        SIYU_ASSIGN_OR_RETURN(auto ids, conn.Prepare(std::string(kMergeSetCte) +
                                                     "DELETE FROM customer_identifiers WHERE customer_id IN s"));
        SIYU_RETURN_IF_ERROR(ids.Bind(1, id).Run());
        Json details = {{"name", found->name.value_or("")}};
        return auth::AppendAudit(conn, tenant_id, actor, "customer.delete", "customer", std::to_string(id),
                                 details.dump());
    });
}

Result<Customer> CustomerRepository::Lookup(int64_t tenant_id, const std::string& type, const std::string& value,
                                            const Visibility& vis) {
    if (!IsValidIdentifierType(type)) return Status::InvalidArgument("type", "unknown identifier type");
    SIYU_ASSIGN_OR_RETURN(std::string normalized, NormalizeIdentifier(type, value, "value"));
    std::optional<int64_t> id;
    SIYU_RETURN_IF_ERROR(db_->Read([&](Connection& conn) -> Status {
        SIYU_ASSIGN_OR_RETURN(auto stmt,
                              conn.Prepare("SELECT customer_id FROM customer_identifiers WHERE tenant_id = ? "
                                           "AND type = ? AND value = ?"));
        stmt.Bind(1, tenant_id).Bind(2, type).Bind(3, normalized);
        SIYU_ASSIGN_OR_RETURN(bool row, stmt.Step());
        if (row) id = stmt.Int(0);
        return Status::Ok();
    }));
    if (!id) return Status::NotFound("no customer with " + type + " " + value);
    return Get(tenant_id, *id, vis);
}

Result<std::vector<Customer>> CustomerRepository::Summaries(int64_t tenant_id, const std::vector<int64_t>& ids,
                                                            const Visibility& vis) {
    std::vector<Customer> out;
    if (ids.empty()) return out;
    std::map<int64_t, Customer> found;
    SIYU_RETURN_IF_ERROR(db_->Read([&](Connection& conn) -> Status {
        SIYU_ASSIGN_OR_RETURN(
            auto stmt,
            conn.Prepare(std::string(kColumns) + "WHERE tenant_id = ?1 AND id IN (SELECT value FROM json_each(?2)) "
                                                 "AND deleted_at IS NULL AND merged_into IS NULL"));
        stmt.Bind(1, tenant_id).Bind(2, Json(ids).dump());
        return stmt.ForEachRow([&] {
            Customer c = ReadCustomer(stmt);
            if (vis.Allows(c.store_id)) found.emplace(c.id, std::move(c));
        });
    }));
    out.reserve(found.size());
    for (int64_t id : ids) {
        auto it = found.find(id);
        if (it != found.end()) out.push_back(std::move(it->second));
    }
    return out;
}

Status CustomerRepository::ImportBatch(int64_t tenant_id, const std::vector<Customer>& customers) {
    return db_->Write([&](Connection& conn) -> Status {
        SIYU_ASSIGN_OR_RETURN(auto stmt, conn.Prepare("INSERT INTO customers(tenant_id, name, phone, email, gender, "
                                                      "birthday, store_id, member_no, traits, created_at, updated_at) "
                                                      "VALUES (?,?,?,?,?,?,?,?,?,?,?)"));
        SIYU_ASSIGN_OR_RETURN(auto ident, conn.Prepare("INSERT INTO customer_identifiers(tenant_id, type, value, "
                                                       "customer_id, created_at) VALUES (?,?,?,?,?)"));
        for (size_t i = 0; i < customers.size(); ++i) {
            const Customer& c = customers[i];
            SIYU_RETURN_IF_ERROR(stmt.Bind(1, tenant_id)
                                     .Bind(2, c.name)
                                     .Bind(3, c.phone)
                                     .Bind(4, c.email)
                                     .Bind(5, c.gender)
                                     .Bind(6, c.birthday)
                                     .Bind(7, c.store_id)
                                     .Bind(8, c.member_no)
                                     .Bind(9, c.traits)
                                     .Bind(10, c.created_at)
                                     .Bind(11, c.updated_at ? c.updated_at : c.created_at)
                                     .Run());
            int64_t id = conn.LastInsertId();
            for (const auto& idf : c.identifiers) {
                Status st = ident.Bind(1, tenant_id)
                                .Bind(2, idf.type)
                                .Bind(3, idf.value)
                                .Bind(4, id)
                                .Bind(5, idf.created_at ? idf.created_at : c.created_at)
                                .Run();
                if (st.code() == StatusCode::kAlreadyExists) {
                    return Status::AlreadyExists("record " + std::to_string(i),
                                                 idf.type + " " + idf.value + " belongs to another customer");
                }
                SIYU_RETURN_IF_ERROR(st);
            }
        }
        return Status::Ok();
    });
}

Result<OverviewStats> CustomerRepository::Overview(int64_t tenant_id, TimeMs from, TimeMs to,
                                                   const std::string& time_zone, const Visibility& vis) {
    OverviewStats out;
    std::map<std::string, int64_t> per_day;
    for (TimeMs t = from; t < to; t += 86'400'000) per_day[LocalDate(t, time_zone)] = 0;
    std::optional<std::string> visible = VisibleJson(vis);
    SIYU_RETURN_IF_ERROR(db_->Read([&](Connection& conn) -> Status {
        const std::string scope =
            " FROM customers WHERE tenant_id = ?1 AND deleted_at IS NULL AND merged_into IS NULL AND (?2 IS NULL OR "
            "store_id IN "
            "(SELECT value FROM json_each(?2)))";
        SIYU_ASSIGN_OR_RETURN(auto gender, conn.Prepare("SELECT gender, count(*)" + scope + " GROUP BY gender"));
        gender.Bind(1, tenant_id).Bind(2, visible);
        SIYU_RETURN_IF_ERROR(gender.ForEachRow([&] {
            std::string g = gender.Text(0);
            int64_t n = gender.Int(1);
            out.total += n;
            (g == "male" ? out.male : g == "female" ? out.female : out.unknown) += n;
        }));
        SIYU_ASSIGN_OR_RETURN(auto created,
                              conn.Prepare("SELECT created_at" + scope + " AND created_at >= ?3 AND created_at < ?4"));
        created.Bind(1, tenant_id).Bind(2, visible).Bind(3, from).Bind(4, to);
        SIYU_RETURN_IF_ERROR(created.ForEachRow([&] {
            ++out.new_in_range;
            ++per_day[LocalDate(created.Int(0), time_zone)];
        }));
        SIYU_ASSIGN_OR_RETURN(
            auto stores,
            conn.Prepare(
                "SELECT c.store_id, coalesce(s.name, ''), count(*) FROM customers c LEFT "
                "JOIN stores s ON s.id = c.store_id WHERE c.tenant_id = ?1 AND "
                "c.deleted_at IS NULL AND c.merged_into IS NULL AND (?2 IS NULL OR c.store_id IN (SELECT value FROM "
                "json_each(?2))) GROUP BY c.store_id ORDER BY count(*) DESC LIMIT 50"));
        stores.Bind(1, tenant_id).Bind(2, visible);
        SIYU_RETURN_IF_ERROR(stores.ForEachRow([&] {
            out.by_store.push_back({stores.OptInt(0), stores.Text(1), stores.Int(2)});
        }));
        return Status::Ok();
    }));
    out.new_by_day.assign(per_day.begin(), per_day.end());
    return out;
}

}  // namespace siyu::cdp
