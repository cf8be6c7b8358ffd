#include "cdp/segment_repository.h"

#include <nlohmann/json.hpp>

#include "base/crypto.h"

namespace siyu::cdp {

namespace {

using store::Connection;
using Json = nlohmann::json;

constexpr char kColumns[] =
    "SELECT id, tenant_id, name, description, rule, created_by, created_at, updated_at FROM segments ";

SegmentRecord ReadSegment(const store::Statement& s) {
    SegmentRecord r;
    r.id = s.Int(0);
    r.tenant_id = s.Int(1);
    r.name = s.Text(2);
    r.description = s.Text(3);
    r.rule = s.Text(4);
    r.created_by = s.Text(5);
    r.created_at = s.Int(6);
    r.updated_at = s.Int(7);
    return r;
}

Status NotFound(int64_t id) { return Status::NotFound("segment " + std::to_string(id) + " not found"); }

Status NameTaken(const Status& st, const std::string& name) {
    if (st.code() != StatusCode::kAlreadyExists) return st;
    return Status::AlreadyExists("name", "name: a segment named '" + name + "' exists already");
}

Result<std::optional<SegmentRecord>> Find(Connection& c, int64_t tenant_id, int64_t id) {
    SIYU_ASSIGN_OR_RETURN(auto stmt,
                          c.Prepare(std::string(kColumns) + "WHERE tenant_id = ? AND id = ? AND deleted_at IS NULL"));
    stmt.Bind(1, tenant_id).Bind(2, id);
    SIYU_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) return std::optional<SegmentRecord>();
    SegmentRecord r = ReadSegment(stmt);
    stmt.Reset();
    return std::optional<SegmentRecord>(std::move(r));
}

Json SegmentDetails(const SegmentInput& in) { return {{"name", in.name}}; }

}  // namespace

Result<SegmentRecord> SegmentRepository::Create(int64_t tenant_id, const SegmentInput& in, const auth::Actor& actor) {
    int64_t id = 0;
    SIYU_RETURN_IF_ERROR(db_->Write([&](Connection& c) -> Status {
        TimeMs now = NowMs();
        SIYU_ASSIGN_OR_RETURN(auto stmt, c.Prepare("INSERT INTO segments(tenant_id, name, description, rule, "
                                                   "created_by, created_at, updated_at) VALUES (?,?,?,?,?,?,?)"));
        Status st = stmt.Bind(1, tenant_id)
                        .Bind(2, in.name)
                        .Bind(3, in.description)
                        .Bind(4, in.rule)
                        .Bind(5, actor.name)
                        .Bind(6, now)
                        .Bind(7, now)
                        .Run();
        SIYU_RETURN_IF_ERROR(NameTaken(st, in.name));
        id = c.LastInsertId();
        return auth::AppendAudit(c, tenant_id, actor, "segment.create", "segment", std::to_string(id),
                                 SegmentDetails(in).dump());
    }));
    return Get(tenant_id, id);
}

Result<SegmentRecord> SegmentRepository::Get(int64_t tenant_id, int64_t id) {
    std::optional<SegmentRecord> out;
    SIYU_RETURN_IF_ERROR(db_->Read([&](Connection& c) -> Status {
        SIYU_ASSIGN_OR_RETURN(out, Find(c, tenant_id, id));
        return Status::Ok();
    }));
    if (!out) return NotFound(id);
    return std::move(*out);
}

Result<std::vector<SegmentRecord>> SegmentRepository::List(int64_t tenant_id, int limit,
                                                           std::optional<int64_t> before_id,
                                                           const std::optional<std::string>& q) {
    std::vector<SegmentRecord> out;
    SIYU_RETURN_IF_ERROR(db_->Read([&](Connection& c) -> Status {
        SIYU_ASSIGN_OR_RETURN(auto stmt, c.Prepare(std::string(kColumns) +
                                                   "WHERE tenant_id = ? AND deleted_at IS NULL AND id < ? AND "
                                                   "(?3 IS NULL OR instr(name, ?3) > 0) ORDER BY id DESC LIMIT ?4"));
        stmt.Bind(1, tenant_id).Bind(2, before_id.value_or(INT64_MAX)).Bind(3, q).Bind(4, int64_t{limit});
        return stmt.ForEachRow([&] { out.push_back(ReadSegment(stmt)); });
    }));
    return out;
}

Result<std::vector<SegmentRecord>> SegmentRepository::ListAll(int64_t tenant_id) {
    std::vector<SegmentRecord> out;
    SIYU_RETURN_IF_ERROR(db_->Read([&](Connection& c) -> Status {
        SIYU_ASSIGN_OR_RETURN(
            auto stmt, c.Prepare(std::string(kColumns) + "WHERE (?1 = 0 OR tenant_id = ?1) AND deleted_at IS NULL "
                                                         "ORDER BY id"));
        stmt.Bind(1, tenant_id);
        return stmt.ForEachRow([&] { out.push_back(ReadSegment(stmt)); });
    }));
    return out;
}

Result<SegmentRecord> SegmentRepository::Replace(int64_t tenant_id, int64_t id, const SegmentInput& in,
                                                 const auth::Actor& actor) {
    SIYU_RETURN_IF_ERROR(db_->Write([&](Connection& c) -> Status {
        SIYU_ASSIGN_OR_RETURN(auto stmt, c.Prepare("UPDATE segments SET name = ?, description = ?, rule = ?, "
                                                   "updated_at = ? WHERE tenant_id = ? AND id = ? AND "
                                                   "deleted_at IS NULL"));
        Status st = stmt.Bind(1, in.name)
                        .Bind(2, in.description)
                        .Bind(3, in.rule)
                        .Bind(4, NowMs())
                        .Bind(5, tenant_id)
                        .Bind(6, id)
                        .Run();
        SIYU_RETURN_IF_ERROR(NameTaken(st, in.name));
        if (c.Changes() == 0) return NotFound(id);
        return auth::AppendAudit(c, tenant_id, actor, "segment.update", "segment", std::to_string(id),
                                 SegmentDetails(in).dump());
    }));
    return Get(tenant_id, id);
}

Status SegmentRepository::Delete(int64_t tenant_id, int64_t id, const auth::Actor& actor) {
    return db_->Write([&](Connection& c) -> Status {
        SIYU_ASSIGN_OR_RETURN(auto found, Find(c, tenant_id, id));
        if (!found) return NotFound(id);
        TimeMs now = NowMs();
        SIYU_ASSIGN_OR_RETURN(auto stmt, c.Prepare("UPDATE segments SET deleted_at = ?, updated_at = ? WHERE "
                                                   "tenant_id = ? AND id = ?"));
        SIYU_RETURN_IF_ERROR(stmt.Bind(1, now).Bind(2, now).Bind(3, tenant_id).Bind(4, id).Run());
        Json details = {{"name", found->name}};
        return auth::AppendAudit(c, tenant_id, actor, "segment.delete", "segment", std::to_string(id), details.dump());
    });
}

Status SegmentRepository::RecordSizes(const std::vector<SegmentSizeRow>& sizes) {
    if (sizes.empty()) return Status::Ok();
    return db_->Write([&](Connection& c) -> Status {
        SIYU_ASSIGN_OR_RETURN(auto stmt, c.Prepare("INSERT INTO segment_sizes(tenant_id, segment_id, day, size) "
                                                   "VALUES (?,?,?,?) ON CONFLICT(tenant_id, segment_id, day) DO "
                                                   "UPDATE SET size = excluded.size"));
        for (const auto& s : sizes) {
            SIYU_RETURN_IF_ERROR(stmt.Bind(1, s.tenant_id).Bind(2, s.segment_id).Bind(3, s.day).Bind(4, s.size).Run());
        }
        return Status::Ok();
    });
}

Result<std::vector<SegmentSizeRow>> SegmentRepository::Sizes(int64_t tenant_id, int64_t segment_id,
                                                             const std::string& from_day, const std::string& to_day) {
    std::vector<SegmentSizeRow> out;
    SIYU_RETURN_IF_ERROR(db_->Read([&](Connection& c) -> Status {
        SIYU_ASSIGN_OR_RETURN(auto stmt, c.Prepare("SELECT day, size FROM segment_sizes WHERE tenant_id = ? AND "
                                                   "segment_id = ? AND day >= ? AND day <= ? ORDER BY day"));
        stmt.Bind(1, tenant_id).Bind(2, segment_id).Bind(3, from_day).Bind(4, to_day);
        return stmt.ForEachRow([&] {
            out.push_back(SegmentSizeRow{tenant_id, segment_id, stmt.Text(0), stmt.Int(1)});
        });
    }));
    return out;
}

Result<RfmSettings> SegmentRepository::GetRfmSettings(int64_t tenant_id) {
    RfmSettings out;
    SIYU_RETURN_IF_ERROR(db_->Read([&](Connection& c) -> Status {
        SIYU_ASSIGN_OR_RETURN(auto stmt, c.Prepare("SELECT period_days, recency_days, frequency, monetary FROM "
                                                   "rfm_settings WHERE tenant_id = ?"));
        stmt.Bind(1, tenant_id);
        SIYU_ASSIGN_OR_RETURN(bool row, stmt.Step());
        if (!row) return Status::Ok();
        out.period_days = stmt.Int(0);
        out.recency_days = stmt.OptDouble(1);
        out.frequency = stmt.OptDouble(2);
        out.monetary = stmt.OptDouble(3);
        stmt.Reset();
        return Status::Ok();
    }));
    return out;
}

Status SegmentRepository::PutRfmSettings(int64_t tenant_id, const RfmSettings& s, const auth::Actor& actor) {
    return db_->Write([&](Connection& c) -> Status {
        SIYU_ASSIGN_OR_RETURN(auto stmt,
                              c.Prepare("INSERT INTO rfm_settings(tenant_id, period_days, recency_days, frequency, "
                                        "monetary, updated_at) VALUES (?,?,?,?,?,?) ON CONFLICT(tenant_id) DO UPDATE "
                                        "SET period_days = excluded.period_days, recency_days = "
                                        "excluded.recency_days, frequency = excluded.frequency, monetary = "
                                        "excluded.monetary, updated_at = excluded.updated_at"));
        SIYU_RETURN_IF_ERROR(stmt.Bind(1, tenant_id)
                                 .Bind(2, s.period_days)
                                 .Bind(3, s.recency_days)
                                 .Bind(4, s.frequency)
                                 .Bind(5, s.monetary)
                                 .Bind(6, NowMs())
                                 .Run());
        Json details = {{"period_days", s.period_days},
                        {"recency_days", s.recency_days ? Json(*s.recency_days) : Json(nullptr)},
                        {"frequency", s.frequency ? Json(*s.frequency) : Json(nullptr)},
                        {"monetary", s.monetary ? Json(*s.monetary) : Json(nullptr)}};
        return auth::AppendAudit(c, tenant_id, actor, "rfm.update", "tenant", std::to_string(tenant_id),
                                 details.dump());
    });
}

Result<std::vector<StoredEvent>> SegmentRepository::AppendSystemEvents(const std::vector<SystemEvent>& events) {
    std::vector<StoredEvent> out;
    if (events.empty()) return out;
    SIYU_RETURN_IF_ERROR(db_->Write([&](Connection& c) -> Status {
        out.clear();
        TimeMs now = NowMs();
        SIYU_ASSIGN_OR_RETURN(auto stmt, c.Prepare("INSERT INTO events(tenant_id, customer_id, message_id, type, name, "
                                                   "ts, received_at, properties, context) VALUES "
                                                   "(?,?,?,'track',?,?,?,?,'{\"library\":{\"name\":\"siyu\"}}')"));
        for (const auto& e : events) {
            SIYU_RETURN_IF_ERROR(stmt.Bind(1, e.tenant_id)
                                     .Bind(2, e.customer_id)
                                     .Bind(3, "siyu-" + RandomToken(12))
                                     .Bind(4, e.name)
                                     .Bind(5, e.at)
                                     .Bind(6, now)
                                     .Bind(7, e.properties)
                                     .Run());
            out.push_back(StoredEvent{c.LastInsertId(), e.tenant_id, e.customer_id, "track", e.name, e.at, std::nullopt,
                                      e.properties});
        }
        return Status::Ok();
    }));
    return out;
}

}  // namespace siyu::cdp
