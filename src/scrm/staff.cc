#include "scrm/staff.h"

#include <algorithm>
#include <map>
#include <set>

#include "base/strings.h"
#include "cdp/csv_reader.h"

namespace siyu::scrm {

using store::Connection;

namespace {

constexpr char kStaffColumns[] =
    "s.id, s.tenant_id, s.userid, s.name, s.mobile, s.department_ids, s.store_id, st.name, s.user_id, s.status, "
    "s.source, s.created_at, s.updated_at, (SELECT count(*) FROM customer_owners o WHERE o.tenant_id = s.tenant_id "
    "AND o.staff_id = s.id AND o.status = 'active') FROM staff s LEFT JOIN stores st ON st.id = s.store_id ";

std::vector<int64_t> ParseIds(const std::string& text) {
    std::vector<int64_t> ids;
    Json j = Json::parse(text, nullptr, false);
    if (!j.is_array()) return ids;
    for (const auto& v : j) {
        if (v.is_number_integer()) ids.push_back(v.get<int64_t>());
    }
    return ids;
}

Staff ReadStaff(store::Statement& s) {
    Staff r;
    r.id = s.Int(0);
    r.tenant_id = s.Int(1);
    r.userid = s.Text(2);
    r.name = s.Text(3);
    r.mobile = s.OptText(4);
    r.department_ids = ParseIds(s.Text(5));
    r.store_id = s.OptInt(6);
    r.store_name = s.OptText(7);
    r.user_id = s.OptInt(8);
    r.status = s.Text(9);
    r.source = s.Text(10);
    r.created_at = s.Int(11);
    r.updated_at = s.Int(12);
    r.customer_count = s.Int(13);
    return r;
}

Result<Staff> LoadStaff(Connection& c, int64_t tenant_id, int64_t id) {
    SIYU_ASSIGN_OR_RETURN(auto s, c.Prepare(std::string("SELECT ") + kStaffColumns + "WHERE s.tenant_id = ? AND s.id = ?"));
    s.Bind(1, tenant_id).Bind(2, id);
    SIYU_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) return Status::NotFound("no staff member " + std::to_string(id));
    return ReadStaff(s);
}

// WeCom member status: 1 active, 2 disabled, 4 not yet activated, 5 left the company.
std::string StatusFromWecom(const Json& member) {
    int64_t status = member.value("status", int64_t{1});
    if (status == 2) return "disabled";
    if (status == 5) return "resigned";
    return "active";
}

Status CheckUserid(const std::string& userid, const std::string& field) {
    if (userid.empty() || userid.size() > 64) return Status::InvalidArgument(field, "must be 1 to 64 characters");
    for (unsigned char ch : userid) {
        if (ch < 0x21 || ch == 0x7f) return Status::InvalidArgument(field, "must not contain spaces or control characters");
    }
    return Status::Ok();
}

Status CheckRecord(const StaffRecord& r, const std::string& at) {
    SIYU_RETURN_IF_ERROR(CheckUserid(r.userid, at + ".userid"));
    int64_t len = Utf8Length(r.name);
    if (len < 1 || len > 64) return Status::InvalidArgument(at + ".name", "must be 1 to 64 characters of UTF-8");
    if (r.mobile && r.mobile->size() > 32) return Status::InvalidArgument(at + ".mobile", "must be at most 32 characters");
    if (r.status && *r.status != "active" && *r.status != "disabled") {
        return Status::InvalidArgument(at + ".status", "must be active or disabled");
    }
    return Status::Ok();
}

// Inserts or updates a staff member by userid. `created` tells which.
Status Upsert(Connection& c, int64_t tenant_id, const StaffRecord& r, const std::string& source, TimeMs now,
              bool* created) {
    SIYU_ASSIGN_OR_RETURN(auto existing, StaffDirectory::FindIn(c, tenant_id, r.userid));
    std::optional<std::string> departments;
    if (r.department_ids) departments = Json(*r.department_ids).dump();
    if (!existing) {
        SIYU_ASSIGN_OR_RETURN(auto ins, c.Prepare("INSERT INTO staff(tenant_id, userid, name, mobile, department_ids, "
                                                  "store_id, status, source, created_at, updated_at) "
                                                  "VALUES (?,?,?,?,?,?,?,?,?,?)"));
        SIYU_RETURN_IF_ERROR(ins.Bind(1, tenant_id)
                                 .Bind(2, r.userid)
                                 .Bind(3, r.name)
                                 .Bind(4, r.mobile)
                                 .Bind(5, departments.value_or("[]"))
                                 .Bind(6, r.store_id)
                                 .Bind(7, r.status.value_or("active"))
                                 .Bind(8, source)
                                 .Bind(9, now)
                                 .Bind(10, now)
                                 .Run());
        *created = true;
        return Status::Ok();
    }
    // Absent optional fields keep their value; a callback-created row takes the better source.
    SIYU_ASSIGN_OR_RETURN(auto upd, c.Prepare("UPDATE staff SET name = ?1, mobile = coalesce(?2, mobile), "
                                              "department_ids = coalesce(?3, department_ids), "
                                              "store_id = CASE WHEN ?4 THEN ?5 ELSE store_id END, "
                                              "status = coalesce(?6, status), "
                                              "source = CASE WHEN source = 'callback' THEN ?7 ELSE source END, "
                                              "updated_at = ?8 WHERE id = ?9"));
    SIYU_RETURN_IF_ERROR(upd.Bind(1, r.name)
                             .Bind(2, r.mobile)
                             .Bind(3, departments)
                             .Bind(4, int64_t{r.store_id.has_value()})
                             .Bind(5, r.store_id)
                             .Bind(6, r.status)
                             .Bind(7, source)
                             .Bind(8, now)
                             .Bind(9, *existing)
                             .Run());
    *created = false;
    return Status::Ok();
}

Result<std::optional<int64_t>> StoreByCode(Connection& c, int64_t tenant_id, const std::string& code) {
    SIYU_ASSIGN_OR_RETURN(auto s, c.Prepare("SELECT id FROM stores WHERE tenant_id = ? AND code = ?"));
    s.Bind(1, tenant_id).Bind(2, code);
    SIYU_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) return std::optional<int64_t>();
    return std::optional<int64_t>(s.Int(0));
}

Status CheckStore(Connection& c, int64_t tenant_id, int64_t store_id, const std::string& field) {
    SIYU_ASSIGN_OR_RETURN(auto s, c.Prepare("SELECT kind FROM stores WHERE tenant_id = ? AND id = ?"));
    s.Bind(1, tenant_id).Bind(2, store_id);
    SIYU_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) return Status::InvalidArgument(field, "no store " + std::to_string(store_id));
    return Status::Ok();
}

}  // namespace

Result<std::optional<int64_t>> StaffDirectory::FindIn(Connection& c, int64_t tenant_id, const std::string& userid) {
    SIYU_ASSIGN_OR_RETURN(auto s, c.Prepare("SELECT id FROM staff WHERE tenant_id = ? AND userid = ?"));
    s.Bind(1, tenant_id).Bind(2, userid);
    SIYU_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) return std::optional<int64_t>();
    return std::optional<int64_t>(s.Int(0));
}

Result<int64_t> StaffDirectory::EnsureIn(Connection& c, int64_t tenant_id, const std::string& userid, TimeMs now) {
    SIYU_ASSIGN_OR_RETURN(auto found, FindIn(c, tenant_id, userid));
    if (found) return *found;
    if (userid.empty()) return Status::InvalidArgument("UserID", "the callback names no staff member");
    SIYU_ASSIGN_OR_RETURN(auto ins, c.Prepare("INSERT INTO staff(tenant_id, userid, name, status, source, created_at, "
                                              "updated_at) VALUES (?, ?, ?, 'active', 'callback', ?, ?)"));
    SIYU_RETURN_IF_ERROR(ins.Bind(1, tenant_id).Bind(2, userid).Bind(3, userid).Bind(4, now).Bind(5, now).Run());
    return c.LastInsertId();
}

Result<StaffSyncReport> StaffDirectory::Sync(int64_t tenant_id, const auth::Actor& actor) {
    if (!wecom_ || !wecom_->call) return Status::FailedPrecondition("WeCom is not available");
    SIYU_ASSIGN_OR_RETURN(Json depts, wecom_->call(tenant_id, channels::wecom::App::kAgent, "/cgi-bin/department/list",
                                                    nullptr, {}));
    std::vector<Department> departments;
    std::set<int64_t> ids;
    for (const auto& d : depts.value("department", Json::array())) {
        if (!d.is_object() || !d.contains("id") || !d["id"].is_number_integer()) continue;
        Department dep;
        dep.id = d["id"].get<int64_t>();
        dep.name = d.value("name", std::string());
        if (d.contains("parentid") && d["parentid"].is_number_integer()) dep.parent_id = d["parentid"].get<int64_t>();
        dep.sort_order = d.value("order", int64_t{0});
        departments.push_back(dep);
        ids.insert(dep.id);
    }
    // Members of every root department, children included.
    std::vector<int64_t> roots;
    for (const auto& d : departments) {
        if (!d.parent_id || *d.parent_id == 0 || !ids.count(*d.parent_id)) roots.push_back(d.id);
    }
    if (roots.empty()) roots.push_back(1);
    std::map<std::string, StaffRecord> members;
    for (int64_t root : roots) {
        SIYU_ASSIGN_OR_RETURN(Json list, wecom_->call(tenant_id, channels::wecom::App::kAgent, "/cgi-bin/user/list",
                                                       nullptr,
                                                       {{"department_id", std::to_string(root)}, {"fetch_child", "1"}}));
        for (const auto& u : list.value("userlist", Json::array())) {
            if (!u.is_object() || !u.contains("userid") || !u["userid"].is_string()) continue;
            StaffRecord r;
            r.userid = u["userid"].get<std::string>();
            r.name = u.value("name", r.userid);
            if (r.name.empty()) r.name = r.userid;
            if (u.contains("mobile") && u["mobile"].is_string() && !u["mobile"].get<std::string>().empty()) {
                r.mobile = u["mobile"].get<std::string>();
            }
            std::vector<int64_t> dep_ids;
            for (const auto& v : u.value("department", Json::array())) {
                if (v.is_number_integer()) dep_ids.push_back(v.get<int64_t>());
            }
            r.department_ids = dep_ids;
            r.status = StatusFromWecom(u);
            if (CheckUserid(r.userid, "userid").ok()) members[r.userid] = std::move(r);
        }
    }
    StaffSyncReport report;
    TimeMs now = wecom_->now();
    SIYU_RETURN_IF_ERROR(db_->Write([&](Connection& c) -> Status {
        report = StaffSyncReport{};
        SIYU_ASSIGN_OR_RETURN(auto del, c.Prepare("DELETE FROM wecom_departments WHERE tenant_id = ?"));
        SIYU_RETURN_IF_ERROR(del.Bind(1, tenant_id).Run());
        for (const auto& d : departments) {
            SIYU_ASSIGN_OR_RETURN(auto ins, c.Prepare("INSERT INTO wecom_departments(tenant_id, id, name, parent_id, "
                                                      "sort_order, updated_at) VALUES (?,?,?,?,?,?)"));
            SIYU_RETURN_IF_ERROR(ins.Bind(1, tenant_id)
                                     .Bind(2, d.id)
                                     .Bind(3, d.name)
                                     .Bind(4, d.parent_id)
                                     .Bind(5, d.sort_order)
                                     .Bind(6, now)
                                     .Run());
            ++report.departments;
        }
        for (const auto& [userid, r] : members) {
            bool created = false;
            SIYU_RETURN_IF_ERROR(Upsert(c, tenant_id, r, "wecom", now, &created));
            ++(created ? report.created : report.updated);
        }
        SIYU_ASSIGN_OR_RETURN(auto active, c.Prepare("SELECT id, userid FROM staff WHERE tenant_id = ? AND status != "
                                                     "'resigned'"));
        active.Bind(1, tenant_id);
        std::vector<int64_t> gone;
        SIYU_RETURN_IF_ERROR(active.ForEachRow([&] {
            if (!members.count(active.Text(1))) gone.push_back(active.Int(0));
        }));
        for (int64_t id : gone) {
            SIYU_ASSIGN_OR_RETURN(auto upd, c.Prepare("UPDATE staff SET status = 'resigned', updated_at = ? WHERE id = ?"));
            SIYU_RETURN_IF_ERROR(upd.Bind(1, now).Bind(2, id).Run());
            ++report.resigned;
        }
        Json details = {{"departments", report.departments},
                        {"created", report.created},
                        {"updated", report.updated},
                        {"resigned", report.resigned}};
        return auth::AppendAudit(c, tenant_id, actor, "wecom.staff.sync", "staff", "", details.dump());
    }));
    return report;
}

Result<StaffImportReport> StaffDirectory::Import(int64_t tenant_id, const std::vector<StaffRecord>& rows,
                                                 const auth::Actor& actor) {
    if (rows.empty()) return Status::InvalidArgument("staff", "name at least one staff member");
    if (rows.size() > kMaxImportRows) return Status::InvalidArgument("staff", "at most 10,000 rows in one import");
    std::set<std::string> seen;
    for (size_t i = 0; i < rows.size(); ++i) {
        std::string at = "staff[" + std::to_string(i) + "]";
        SIYU_RETURN_IF_ERROR(CheckRecord(rows[i], at));
        if (!seen.insert(rows[i].userid).second) {
            return Status::InvalidArgument(at + ".userid", "userid " + rows[i].userid + " appears twice");
        }
    }
    StaffImportReport report;
    TimeMs now = wecom_ ? wecom_->now() : NowMs();
    SIYU_RETURN_IF_ERROR(db_->Write([&](Connection& c) -> Status {
        report = StaffImportReport{};
        for (size_t i = 0; i < rows.size(); ++i) {
            StaffRecord r = rows[i];
            std::string at = "staff[" + std::to_string(i) + "]";
            if (r.store_code) {
                SIYU_ASSIGN_OR_RETURN(auto store, StoreByCode(c, tenant_id, *r.store_code));
                if (!store) return Status::InvalidArgument(at + ".store_code", "no store with code " + *r.store_code);
                r.store_id = *store;
            } else if (r.store_id) {
                SIYU_RETURN_IF_ERROR(CheckStore(c, tenant_id, *r.store_id, at + ".store_id"));
            }
            bool created = false;
            SIYU_RETURN_IF_ERROR(Upsert(c, tenant_id, r, "import", now, &created));
            ++(created ? report.created : report.updated);
        }
        Json details = {{"created", report.created}, {"updated", report.updated}};
        return auth::AppendAudit(c, tenant_id, actor, "wecom.staff.import", "staff", "", details.dump());
    }));
    return report;
}

Result<Staff> StaffDirectory::Get(int64_t tenant_id, int64_t id) {
    Staff out;
    SIYU_RETURN_IF_ERROR(db_->Read([&](Connection& c) -> Status {
        SIYU_ASSIGN_OR_RETURN(out, LoadStaff(c, tenant_id, id));
        return Status::Ok();
    }));
    return out;
}

Result<std::vector<Staff>> StaffDirectory::List(int64_t tenant_id, const StaffFilter& f) {
    std::string sql = std::string("SELECT ") + kStaffColumns + "WHERE s.tenant_id = ?1 AND s.id > ?2";
    if (f.store_id) sql += " AND s.store_id = ?3";
    if (f.status) sql += " AND s.status = ?4";
    if (f.q) sql += " AND (instr(s.name, ?5) > 0 OR instr(s.userid, ?5) > 0 OR instr(coalesce(s.mobile, ''), ?5) > 0)";
    if (f.store_ids) {
        sql += " AND s.store_id IN (SELECT value FROM json_each(?6))";
    }
    if (f.only_id) sql += " AND s.id = ?7";
    sql += " ORDER BY s.id LIMIT ?8";
    std::vector<Staff> out;
    SIYU_RETURN_IF_ERROR(db_->Read([&](Connection& c) -> Status {
        SIYU_ASSIGN_OR_RETURN(auto s, c.Prepare(sql));
        s.Bind(1, tenant_id).Bind(2, f.after_id.value_or(0)).Bind(8, int64_t{f.limit});
        if (f.store_id) s.Bind(3, *f.store_id);
        if (f.status) s.Bind(4, *f.status);
        if (f.q) s.Bind(5, *f.q);
        if (f.store_ids) s.Bind(6, Json(*f.store_ids).dump());
        if (f.only_id) s.Bind(7, *f.only_id);
        return s.ForEachRow([&] { out.push_back(ReadStaff(s)); });
    }));
    return out;
}

Result<Staff> StaffDirectory::Update(int64_t tenant_id, int64_t id, const StaffPatch& p, const auth::Actor& actor) {
    if (p.status && *p.status != "active" && *p.status != "disabled" && *p.status != "resigned") {
        return Status::InvalidArgument("status", "must be active, disabled or resigned");
    }
    if (p.name) {
        int64_t len = Utf8Length(*p.name);
        if (len < 1 || len > 64) return Status::InvalidArgument("name", "must be 1 to 64 characters of UTF-8");
    }
    Staff out;
    TimeMs now = wecom_ ? wecom_->now() : NowMs();
    SIYU_RETURN_IF_ERROR(db_->Write([&](Connection& c) -> Status {
        SIYU_ASSIGN_OR_RETURN(Staff before, LoadStaff(c, tenant_id, id));
        Json details = Json::object();
        if (p.store_id) {
            if (*p.store_id) SIYU_RETURN_IF_ERROR(CheckStore(c, tenant_id, **p.store_id, "store_id"));
            SIYU_ASSIGN_OR_RETURN(auto u, c.Prepare("UPDATE staff SET store_id = ? WHERE id = ?"));
            SIYU_RETURN_IF_ERROR(u.Bind(1, *p.store_id).Bind(2, id).Run());
            details["store_id"] = *p.store_id ? Json(**p.store_id) : Json(nullptr);
        }
        if (p.user_id) {
            if (*p.user_id) {
                SIYU_ASSIGN_OR_RETURN(auto m, c.Prepare("SELECT 1 FROM memberships WHERE tenant_id = ? AND user_id = ?"));
                m.Bind(1, tenant_id).Bind(2, **p.user_id);
                SIYU_ASSIGN_OR_RETURN(bool member, m.Step());
                if (!member) {
                    return Status::InvalidArgument("user_id", "user " + std::to_string(**p.user_id) +
                                                                  " is not a member of this tenant");
                }
                SIYU_ASSIGN_OR_RETURN(auto other, c.Prepare("SELECT userid FROM staff WHERE tenant_id = ? AND "
                                                            "user_id = ? AND id != ?"));
                other.Bind(1, tenant_id).Bind(2, **p.user_id).Bind(3, id);
                SIYU_ASSIGN_OR_RETURN(bool taken, other.Step());
                if (taken) {
                    return Status::AlreadyExists("user_id", "user_id: the user is already linked to staff member " +
                                                                other.Text(0));
                }
            }
            SIYU_ASSIGN_OR_RETURN(auto u, c.Prepare("UPDATE staff SET user_id = ? WHERE id = ?"));
            SIYU_RETURN_IF_ERROR(u.Bind(1, *p.user_id).Bind(2, id).Run());
            details["user_id"] = *p.user_id ? Json(**p.user_id) : Json(nullptr);
        }
        if (p.status) {
            SIYU_ASSIGN_OR_RETURN(auto u, c.Prepare("UPDATE staff SET status = ? WHERE id = ?"));
            SIYU_RETURN_IF_ERROR(u.Bind(1, *p.status).Bind(2, id).Run());
            details["status"] = *p.status;
        }
        if (p.name) {
            SIYU_ASSIGN_OR_RETURN(auto u, c.Prepare("UPDATE staff SET name = ? WHERE id = ?"));
            SIYU_RETURN_IF_ERROR(u.Bind(1, *p.name).Bind(2, id).Run());
            details["name"] = *p.name;
        }
        SIYU_ASSIGN_OR_RETURN(auto touch, c.Prepare("UPDATE staff SET updated_at = ? WHERE id = ?"));
        SIYU_RETURN_IF_ERROR(touch.Bind(1, now).Bind(2, id).Run());
        SIYU_RETURN_IF_ERROR(
            auth::AppendAudit(c, tenant_id, actor, "wecom.staff.update", "staff", std::to_string(id), details.dump()));
        SIYU_ASSIGN_OR_RETURN(out, LoadStaff(c, tenant_id, id));
        return Status::Ok();
    }));
    return out;
}

Result<std::vector<Department>> StaffDirectory::Departments(int64_t tenant_id) {
    std::vector<Department> out;
    SIYU_RETURN_IF_ERROR(db_->Read([&](Connection& c) -> Status {
        SIYU_ASSIGN_OR_RETURN(auto s, c.Prepare("SELECT d.id, d.name, d.parent_id, d.sort_order, (SELECT count(*) FROM "
                                                "staff s, json_each(s.department_ids) j WHERE s.tenant_id = d.tenant_id "
                                                "AND j.value = d.id AND s.status != 'resigned') FROM wecom_departments d "
                                                "WHERE d.tenant_id = ? ORDER BY d.parent_id, d.sort_order, d.id"));
        s.Bind(1, tenant_id);
        return s.ForEachRow([&] {
            out.push_back(Department{s.Int(0), s.Text(1), s.OptInt(2), s.Int(3), s.Int(4)});
        });
    }));
    return out;
}

Result<std::optional<Staff>> StaffDirectory::OfUser(int64_t tenant_id, int64_t user_id) {
    std::optional<Staff> out;
    SIYU_RETURN_IF_ERROR(db_->Read([&](Connection& c) -> Status {
        SIYU_ASSIGN_OR_RETURN(auto s, c.Prepare(std::string("SELECT ") + kStaffColumns +
                                                "WHERE s.tenant_id = ? AND s.user_id = ? ORDER BY s.id LIMIT 1"));
        s.Bind(1, tenant_id).Bind(2, user_id);
        SIYU_ASSIGN_OR_RETURN(bool row, s.Step());
        if (row) out = ReadStaff(s);
        return Status::Ok();
    }));
    return out;
}

// --- Import bodies ---------------------------------------------------------------------

namespace {

Result<StaffRecord> RecordFromJson(const Json& o, const std::string& at) {
    if (!o.is_object()) return Status::InvalidArgument(at, "must be an object");
    static const std::set<std::string> kKnown = {"userid", "name", "mobile", "department_ids", "store_id", "store_code",
                                                 "status"};
    for (const auto& [k, v] : o.items()) {
        if (!kKnown.count(k)) return Status(StatusCode::kUnknownField, at + "." + k + ": unknown field", at + "." + k);
    }
    StaffRecord r;
    auto str = [&](const char* f, bool required) -> Result<std::optional<std::string>> {
        auto it = o.find(f);
        if (it == o.end() || it->is_null()) {
            if (required) return Status::InvalidArgument(at + "." + f, "is required");
            return std::optional<std::string>();
        }
        if (!it->is_string()) return Status::InvalidArgument(at + "." + f, "must be a string");
        return std::optional<std::string>(std::string(Trim(it->get<std::string>())));
    };
    SIYU_ASSIGN_OR_RETURN(auto userid, str("userid", true));
    r.userid = *userid;
    SIYU_ASSIGN_OR_RETURN(auto name, str("name", false));
    r.name = name.value_or(r.userid);
    SIYU_ASSIGN_OR_RETURN(r.mobile, str("mobile", false));
    SIYU_ASSIGN_OR_RETURN(r.store_code, str("store_code", false));
    SIYU_ASSIGN_OR_RETURN(r.status, str("status", false));
    if (auto it = o.find("store_id"); it != o.end() && !it->is_null()) {
        if (!it->is_number_integer() || it->get<int64_t>() <= 0) {
            return Status::InvalidArgument(at + ".store_id", "must be a store id");
        }
        r.store_id = it->get<int64_t>();
    }
    if (auto it = o.find("department_ids"); it != o.end() && !it->is_null()) {
        if (!it->is_array()) return Status::InvalidArgument(at + ".department_ids", "must be an array of integers");
        std::vector<int64_t> ids;
        for (const auto& v : *it) {
            if (!v.is_number_integer()) return Status::InvalidArgument(at + ".department_ids", "must be integers");
            ids.push_back(v.get<int64_t>());
        }
        r.department_ids = ids;
    }
    if (r.store_id && r.store_code) return Status::InvalidArgument(at + ".store_code", "send store_id or store_code");
    return r;
}

}  // namespace

Result<std::vector<StaffRecord>> ParseStaffJson(const Json& body) {
    auto it = body.find("staff");
    if (it == body.end() || !it->is_array()) return Status::InvalidArgument("staff", "must be an array of staff members");
    std::vector<StaffRecord> out;
    for (size_t i = 0; i < it->size(); ++i) {
        SIYU_ASSIGN_OR_RETURN(auto r, RecordFromJson((*it)[i], "staff[" + std::to_string(i) + "]"));
        out.push_back(std::move(r));
    }
    return out;
}

Result<std::vector<StaffRecord>> ParseStaffCsv(std::string_view text) {
    auto reader = cdp::CsvReader::FromMemory(text);
    SIYU_ASSIGN_OR_RETURN(bool has_header, reader->Next());
    if (!has_header) return Status::InvalidArgument("csv", "the file is empty");
    std::map<std::string, size_t> cols;
    for (size_t i = 0; i < reader->fields().size(); ++i) cols[ToLower(Trim(reader->fields()[i]))] = i;
    if (!cols.count("userid")) return Status::InvalidArgument("csv", "the header must name a userid column");
    for (const auto& [name, i] : cols) {
        static const std::set<std::string> kKnown = {"userid", "name", "mobile", "department_ids", "store_id",
                                                     "store_code", "status"};
        if (!kKnown.count(name)) return Status(StatusCode::kUnknownField, "csv: unknown column " + name, "csv");
    }
    std::vector<StaffRecord> out;
    while (true) {
        SIYU_ASSIGN_OR_RETURN(bool more, reader->Next());
        if (!more) break;
        const auto& f = reader->fields();
        std::string at = "staff[" + std::to_string(out.size()) + "]";
        auto cell = [&](const char* name) -> std::optional<std::string> {
            auto it = cols.find(name);
            if (it == cols.end() || it->second >= f.size()) return std::nullopt;
            std::string v(Trim(f[it->second]));
            if (v.empty()) return std::nullopt;
            return v;
        };
        StaffRecord r;
        r.userid = cell("userid").value_or("");
        r.name = cell("name").value_or(r.userid);
        r.mobile = cell("mobile");
        r.store_code = cell("store_code");
        r.status = cell("status");
        if (auto v = cell("store_id")) {
            int64_t id = 0;
            if (!ParseInt64(*v, &id) || id <= 0) return Status::InvalidArgument(at + ".store_id", "must be a store id");
            r.store_id = id;
        }
        if (auto v = cell("department_ids")) {
            std::vector<int64_t> ids;
            std::string list = *v;
            std::replace(list.begin(), list.end(), ';', '|');
            for (auto part : Split(list, '|')) {
                int64_t id = 0;
                if (!ParseInt64(Trim(part), &id)) {
                    return Status::InvalidArgument(at + ".department_ids", "must be integers separated by '|'");
                }
                ids.push_back(id);
            }
            r.department_ids = ids;
        }
        out.push_back(std::move(r));
    }
    return out;
}

}  // namespace siyu::scrm
