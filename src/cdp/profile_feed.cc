#include "cdp/profile_feed.h"

#include <algorithm>
#include <nlohmann/json.hpp>

namespace siyu::cdp {

namespace {

using store::Connection;
using store::Statement;

constexpr char kProfileColumns[] =
    "SELECT tenant_id, id, created_at, store_id, coalesce(name, ''), coalesce(phone, ''), coalesce(email, ''), "
    "gender, coalesce(birthday, ''), coalesce(member_no, ''), traits, merged_into, deleted_at IS NOT NULL "
    "FROM customers ";

ProfileRow ReadProfile(const Statement& s) {
    ProfileRow p;
    p.tenant_id = s.Int(0);
    p.customer_id = s.Int(1);
    p.created_at = s.Int(2);
    p.store_id = s.OptInt(3);
    p.name = s.Text(4);
    p.phone = s.Text(5);
    p.email = s.Text(6);
    p.gender = s.Text(7);
    p.birthday = s.Text(8);
    p.member_no = s.Text(9);
    p.traits = s.Text(10);
    p.merged_into = s.OptInt(11);
    p.deleted = s.Int(12) != 0;
    return p;
}

// A statement whose rows are ordered by customer id (column 0), read alongside the customers.
class SideStream {
  public:
    explicit SideStream(Statement* stmt) : stmt_(stmt) {}

    Status Start() { return Advance(); }

    // Calls on_row() for the rows of `customer_id`, skipping rows of smaller ids.
    template <typename F>
    Status Take(int64_t customer_id, F&& on_row) {
        while (has_row_ && stmt_->Int(0) <= customer_id) {
            if (stmt_->Int(0) == customer_id) on_row(*stmt_);
            SIYU_RETURN_IF_ERROR(Advance());
        }
        return Status::Ok();
    }

  private:
    Status Advance() {
        auto row = stmt_->Step();
        if (!row.ok()) return row.status();
        has_row_ = row.value();
        return Status::Ok();
    }

    Statement* stmt_;
    bool has_row_ = false;
};

// Streams `profiles` (ordered by id) joined with `identifiers` and `tags` (ordered by customer).
Status MergeStreams(Statement& profiles, Statement& identifiers, Statement& tags,
                    const std::function<void(ProfileRow&&)>& on_profile) {
    SideStream ids(&identifiers), tag_rows(&tags);
    SIYU_RETURN_IF_ERROR(ids.Start());
    SIYU_RETURN_IF_ERROR(tag_rows.Start());
    while (true) {
        SIYU_ASSIGN_OR_RETURN(bool row, profiles.Step());
        if (!row) return Status::Ok();
        ProfileRow p = ReadProfile(profiles);
        SIYU_RETURN_IF_ERROR(
            ids.Take(p.customer_id, [&](const Statement& s) { p.identifier_types.push_back(s.Text(1)); }));
        SIYU_RETURN_IF_ERROR(tag_rows.Take(p.customer_id, [&](const Statement& s) { p.tag_ids.push_back(s.Int(1)); }));
        std::sort(p.identifier_types.begin(), p.identifier_types.end());
        p.identifier_types.erase(std::unique(p.identifier_types.begin(), p.identifier_types.end()),
                                 p.identifier_types.end());
        on_profile(std::move(p));
    }
}

}  // namespace

Result<int64_t> ProfileFeed::ForEachProfile(const std::function<void(ProfileRow&&)>& on_profile) {
    int64_t seq = 0;
    SIYU_RETURN_IF_ERROR(db_->Read([&](Connection& c) -> Status {
        SIYU_ASSIGN_OR_RETURN(auto last, c.Prepare("SELECT coalesce(max(seq), 0) FROM customer_changes"));
        SIYU_ASSIGN_OR_RETURN(bool row, last.Step());
        if (row) seq = last.Int(0);
        last.Reset();
        SIYU_ASSIGN_OR_RETURN(auto profiles, c.Prepare(std::string(kProfileColumns) + "ORDER BY id"));
        SIYU_ASSIGN_OR_RETURN(auto identifiers,
                              c.Prepare("SELECT customer_id, type FROM customer_identifiers ORDER BY customer_id"));
        SIYU_ASSIGN_OR_RETURN(auto tags,
                              c.Prepare("SELECT customer_id, tag_id FROM customer_tags ORDER BY customer_id, tag_id"));
        return MergeStreams(profiles, identifiers, tags, on_profile);
    }));
    return seq;
}

Result<ProfileFeed::Changes> ProfileFeed::ChangesAfter(int64_t after_seq, int limit) {
    Changes out;
    out.last_seq = after_seq;
    SIYU_RETURN_IF_ERROR(db_->Read([&](Connection& c) -> Status {
        SIYU_ASSIGN_OR_RETURN(auto log, c.Prepare("SELECT seq, customer_id FROM customer_changes WHERE seq > ? "
                                                  "ORDER BY seq LIMIT ?"));
        log.Bind(1, after_seq).Bind(2, int64_t{limit});
        std::vector<int64_t> ids;
        int rows = 0;
        SIYU_RETURN_IF_ERROR(log.ForEachRow([&] {
            out.last_seq = log.Int(0);
            ids.push_back(log.Int(1));
            ++rows;
        }));
        out.more = rows == limit;
        if (ids.empty()) return Status::Ok();
        std::sort(ids.begin(), ids.end());
        ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
        std::string id_json = nlohmann::json(ids).dump();
        const std::string in = " IN (SELECT value FROM json_each(?1)) ";
        SIYU_ASSIGN_OR_RETURN(auto profiles, c.Prepare(std::string(kProfileColumns) + "WHERE id" + in + "ORDER BY id"));
        SIYU_ASSIGN_OR_RETURN(auto identifiers, c.Prepare("SELECT customer_id, type FROM customer_identifiers WHERE "
                                                          "customer_id" +
                                                          in + "ORDER BY customer_id"));
        SIYU_ASSIGN_OR_RETURN(auto tags, c.Prepare("SELECT customer_id, tag_id FROM customer_tags WHERE customer_id" +
                                                   in + "ORDER BY customer_id, tag_id"));
        profiles.Bind(1, id_json);
        identifiers.Bind(1, id_json);
        tags.Bind(1, id_json);
        return MergeStreams(profiles, identifiers, tags, [&](ProfileRow&& p) { out.profiles.push_back(std::move(p)); });
    }));
    return out;
}

Status ProfileFeed::Forget(int64_t seq) {
    return db_->Write([&](Connection& c) -> Status {
        SIYU_ASSIGN_OR_RETURN(auto stmt, c.Prepare("DELETE FROM customer_changes WHERE seq <= ?"));
        return stmt.Bind(1, seq).Run();
    });
}

Result<std::vector<TenantProfileSettings>> ProfileFeed::TenantSettings() {
    std::vector<TenantProfileSettings> out;
    SIYU_RETURN_IF_ERROR(db_->Read([&](Connection& c) -> Status {
        SIYU_ASSIGN_OR_RETURN(auto stmt,
                              c.Prepare("SELECT t.tenant_id, t.time_zone, coalesce(i.dormant_after_days, 180), "
                                        "coalesce(r.period_days, 365), r.recency_days, r.frequency, r.monetary "
                                        "FROM tenants t LEFT JOIN identity_settings i ON i.tenant_id = t.tenant_id "
                                        "LEFT JOIN rfm_settings r ON r.tenant_id = t.tenant_id ORDER BY t.tenant_id"));
        return stmt.ForEachRow([&] {
            TenantProfileSettings s;
            s.tenant_id = stmt.Int(0);
            s.time_zone = stmt.Text(1);
            s.dormant_after_days = stmt.Int(2);
            s.rfm_period_days = stmt.Int(3);
            s.rfm_recency_days = stmt.OptDouble(4);
            s.rfm_frequency = stmt.OptDouble(5);
            s.rfm_monetary = stmt.OptDouble(6);
            out.push_back(std::move(s));
        });
    }));
    return out;
}

Result<std::vector<RuleTagRow>> ProfileFeed::RuleTags() {
    std::vector<RuleTagRow> out;
    SIYU_RETURN_IF_ERROR(db_->Read([&](Connection& c) -> Status {
        SIYU_ASSIGN_OR_RETURN(auto stmt, c.Prepare("SELECT tenant_id, id, name, rule FROM tags WHERE rule IS NOT NULL "
                                                   "AND deleted_at IS NULL ORDER BY id"));
        return stmt.ForEachRow([&] {
            out.push_back(RuleTagRow{stmt.Int(0), stmt.Int(1), stmt.Text(2), stmt.Text(3)});
        });
    }));
    return out;
}

}  // namespace siyu::cdp
