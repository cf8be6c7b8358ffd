#include "cdp/tags.h"

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>
#include <set>

#include "base/strings.h"
#include "cdp/merge_set.h"

namespace siyu::cdp {

using store::Connection;
using Json = nlohmann::json;

std::string_view TagSourceName(TagSource source) {
    switch (source) {
        case TagSource::kManual:
            return "manual";
        case TagSource::kRule:
            return "rule";
        case TagSource::kImport:
            return "import";
        case TagSource::kQuestionnaire:
            return "questionnaire";
        case TagSource::kApi:
            return "api";
    }
    return "manual";
}

Tagging TaggingBy(const auth::Actor& actor) {
    Tagging t;
    t.source = actor.type == "user" ? TagSource::kManual : TagSource::kApi;
    t.actor = actor;
    return t;
}

namespace {

constexpr char kGroupColumns[] =
    "SELECT g.id, g.tenant_id, g.name, g.color, g.sort_order, g.wecom_group_id, g.created_at, g.updated_at, "
    "(SELECT count(*) FROM tags t WHERE t.group_id = g.id AND t.deleted_at IS NULL) FROM tag_groups g ";

constexpr char kTagColumns[] =
    "SELECT t.id, t.tenant_id, t.group_id, t.name, t.color, t.sort_order, t.description, t.rule, t.wecom_tag_id, "
    "t.created_at, t.updated_at FROM tags t ";

constexpr int kMaxNameLength = 50;
constexpr int kMaxDescriptionLength = 500;
constexpr size_t kMaxWecomIdBytes = 128;
constexpr int64_t kMaxSortOrder = 1'000'000'000;

TagGroup ReadGroup(const store::Statement& s) {
    TagGroup g;
    g.id = s.Int(0);
    g.tenant_id = s.Int(1);
    g.name = s.Text(2);
    g.color = s.OptText(3);
    g.sort_order = s.Int(4);
    g.wecom_group_id = s.OptText(5);
    g.created_at = s.Int(6);
    g.updated_at = s.Int(7);
    g.tag_count = s.Int(8);
    return g;
}

Tag ReadTag(const store::Statement& s, int first = 0) {
    Tag t;
    t.id = s.Int(first);
    t.tenant_id = s.Int(first + 1);
    t.group_id = s.Int(first + 2);
    t.name = s.Text(first + 3);
    t.color = s.OptText(first + 4);
    t.sort_order = s.Int(first + 5);
    t.description = s.Text(first + 6);
    t.rule = s.OptText(first + 7);
    t.wecom_tag_id = s.OptText(first + 8);
    t.created_at = s.Int(first + 9);
    t.updated_at = s.Int(first + 10);
    return t;
}

auth::Actor ReadActor(const store::Statement& s, int first) {
    auth::Actor a;
    a.type = s.Text(first);
    a.id = s.OptInt(first + 1);
    a.name = s.Text(first + 2);
    return a;
}

Status CheckName(const std::string& name) {
    int64_t length = Utf8Length(name);
    if (length < 0) return Status::InvalidArgument("name", "must be valid UTF-8");
    if (Trim(name).empty()) return Status::InvalidArgument("name", "must not be empty");
    if (Trim(name).size() != name.size()) {
        return Status::InvalidArgument("name", "must not start or end with spaces");
    }
    if (length > kMaxNameLength) {
        return Status::InvalidArgument("name", "must be at most " + std::to_string(kMaxNameLength) + " characters");
    }
    return Status::Ok();
}

Status CheckColor(const std::optional<std::optional<std::string>>& color) {
    if (!color || !*color) return Status::Ok();
    const std::string& c = **color;
    bool ok = c.size() == 7 && c[0] == '#' && std::all_of(c.begin() + 1, c.end(), [](char ch) {
                  return std::isxdigit(static_cast<unsigned char>(ch));
              });
    if (!ok) return Status::InvalidArgument("color", "must be #RRGGBB");
    return Status::Ok();
}

Status CheckSortOrder(const std::optional<int64_t>& sort_order) {
    if (sort_order && (*sort_order < -kMaxSortOrder || *sort_order > kMaxSortOrder)) {
        return Status::InvalidArgument("sort_order", "must be between -1000000000 and 1000000000");
    }
    return Status::Ok();
}

Status CheckWecomId(const std::optional<std::optional<std::string>>& id, const char* field) {
    if (!id || !*id) return Status::Ok();
    if ((*id)->empty() || (*id)->size() > kMaxWecomIdBytes || Utf8Length(**id) < 0) {
        return Status::InvalidArgument(field, "must be 1 to 128 bytes of UTF-8");
    }
    return Status::Ok();
}

Status CheckGroupInput(const TagGroupInput& in, bool create) {
    if (create && !in.name) return Status::InvalidArgument("name", "is required");
    if (in.name) SIYU_RETURN_IF_ERROR(CheckName(*in.name));
    SIYU_RETURN_IF_ERROR(CheckColor(in.color));
    SIYU_RETURN_IF_ERROR(CheckSortOrder(in.sort_order));
    return CheckWecomId(in.wecom_group_id, "wecom_group_id");
}

Status CheckTagInput(const TagInput& in, bool create) {
    if (create && !in.group_id) return Status::InvalidArgument("group_id", "is required");
    if (create && !in.name) return Status::InvalidArgument("name", "is required");
    if (in.name) SIYU_RETURN_IF_ERROR(CheckName(*in.name));
    SIYU_RETURN_IF_ERROR(CheckColor(in.color));
    SIYU_RETURN_IF_ERROR(CheckSortOrder(in.sort_order));
    if (in.description) {
        int64_t length = Utf8Length(*in.description);
        if (length < 0 || length > kMaxDescriptionLength) {
            return Status::InvalidArgument("description", "must be valid UTF-8 of at most 500 characters");
        }
    }
    if (in.rule && *in.rule && (*in.rule)->size() > TagRepository::kMaxRuleBytes) {
        return Status::InvalidArgument("rule", "must be at most 64 KiB");
    }
    return CheckWecomId(in.wecom_tag_id, "wecom_tag_id");
}

Status GroupNotFound(int64_t id) { return Status::NotFound("tag group " + std::to_string(id) + " not found"); }
Status TagNotFound(int64_t id) { return Status::NotFound("tag " + std::to_string(id) + " not found"); }
Status CustomerNotFound(int64_t id) { return Status::NotFound("customer " + std::to_string(id) + " not found"); }

Result<std::optional<TagGroup>> FindGroup(Connection& c, int64_t tenant_id, int64_t id) {
    SIYU_ASSIGN_OR_RETURN(auto stmt, c.Prepare(std::string(kGroupColumns) +
                                               "WHERE g.tenant_id = ? AND g.id = ? AND g.deleted_at IS NULL"));
    stmt.Bind(1, tenant_id).Bind(2, id);
    SIYU_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) return std::optional<TagGroup>();
    return std::optional<TagGroup>(ReadGroup(stmt));
}

Result<std::optional<Tag>> FindTag(Connection& c, int64_t tenant_id, int64_t id) {
    SIYU_ASSIGN_OR_RETURN(
        auto stmt, c.Prepare(std::string(kTagColumns) + "WHERE t.tenant_id = ? AND t.id = ? AND t.deleted_at IS NULL"));
    stmt.Bind(1, tenant_id).Bind(2, id);
    SIYU_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) return std::optional<Tag>();
    return std::optional<Tag>(ReadTag(stmt));
}

Result<int64_t> Count(Connection& c, const char* sql, std::initializer_list<int64_t> params) {
    SIYU_ASSIGN_OR_RETURN(auto stmt, c.Prepare(sql));
    int index = 1;
    for (int64_t p : params) stmt.Bind(index++, p);
    SIYU_ASSIGN_OR_RETURN(bool row, stmt.Step());
    return row ? stmt.Int(0) : 0;
}

Status CheckGroupNameFree(Connection& c, int64_t tenant_id, const std::string& name, int64_t self_id) {
    SIYU_ASSIGN_OR_RETURN(auto stmt, c.Prepare("SELECT id FROM tag_groups WHERE tenant_id = ? AND name = ? AND "
                                               "deleted_at IS NULL AND id <> ?"));
    stmt.Bind(1, tenant_id).Bind(2, name).Bind(3, self_id);
    SIYU_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (row) return Status::AlreadyExists("name", "name: another tag group is called " + name);
    return Status::Ok();
}

Status CheckTagNameFree(Connection& c, int64_t group_id, const std::string& name, int64_t self_id) {
    SIYU_ASSIGN_OR_RETURN(auto stmt, c.Prepare("SELECT id FROM tags WHERE group_id = ? AND name = ? AND deleted_at "
                                               "IS NULL AND id <> ?"));
    stmt.Bind(1, group_id).Bind(2, name).Bind(3, self_id);
    SIYU_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (row) return Status::AlreadyExists("name", "name: the group already has a tag called " + name);
    return Status::Ok();
}

Json GroupAudit(const TagGroup& g) {
    return {{"name", g.name},
            {"color", g.color ? Json(*g.color) : Json(nullptr)},
            {"sort_order", g.sort_order},
            {"wecom_group_id", g.wecom_group_id ? Json(*g.wecom_group_id) : Json(nullptr)}};
}

Json TagAudit(const Tag& t) {
    Json rule = nullptr;
    if (t.rule) {
        rule = Json::parse(*t.rule, nullptr, false);
        if (rule.is_discarded()) rule = *t.rule;
    }
    return {{"name", t.name},
            {"group_id", t.group_id},
            {"color", t.color ? Json(*t.color) : Json(nullptr)},
            {"sort_order", t.sort_order},
            {"rule", rule},
            {"wecom_tag_id", t.wecom_tag_id ? Json(*t.wecom_tag_id) : Json(nullptr)}};
}

// The survivor a customer id stands for and its store, when the customer exists in the tenant.
struct Resolved {
    int64_t id = 0;
    std::optional<int64_t> store_id;
};

Result<std::optional<Resolved>> Resolve(Connection& c, int64_t tenant_id, int64_t id) {
    for (int hops = 0; hops < 64; ++hops) {
        SIYU_ASSIGN_OR_RETURN(auto stmt, c.Prepare("SELECT merged_into, store_id FROM customers WHERE tenant_id = ? "
                                                   "AND id = ? AND deleted_at IS NULL"));
        stmt.Bind(1, tenant_id).Bind(2, id);
        SIYU_ASSIGN_OR_RETURN(bool row, stmt.Step());
        if (!row) return std::optional<Resolved>();
        if (!stmt.IsNull(0)) {
            id = stmt.Int(0);
            continue;
        }
        return std::optional<Resolved>(Resolved{id, stmt.OptInt(1)});
    }
    return Status::Internal("merge chain too deep at customer " + std::to_string(id));
}

Result<int64_t> ResolveVisible(Connection& c, int64_t tenant_id, int64_t id, const Visibility& vis) {
    SIYU_ASSIGN_OR_RETURN(auto r, Resolve(c, tenant_id, id));
    if (!r || !vis.Allows(r->store_id)) return CustomerNotFound(id);
    return r->id;
}

Status InsertHistory(Connection& c, int64_t tenant_id, int64_t customer_id, int64_t tag_id, bool added,
                     std::string_view source, const auth::Actor& actor, std::optional<int64_t> job_id, TimeMs at) {
    SIYU_ASSIGN_OR_RETURN(auto stmt,
                          c.Prepare("INSERT INTO tag_history(tenant_id, customer_id, tag_id, action, source, "
                                    "actor_type, actor_id, actor_name, job_id, at) VALUES "
                                    "(?,?,?,?,?,?,?,?,?,?)"));
    return stmt.Bind(1, tenant_id)
        .Bind(2, customer_id)
        .Bind(3, tag_id)
        .Bind(4, added ? "added" : "removed")
        .Bind(5, source)
        .Bind(6, actor.type)
        .Bind(7, actor.id)
        .Bind(8, actor.name)
        .Bind(9, job_id)
        .Bind(10, at)
        .Run();
}

// Checks that every tag exists, is live and explicit; answers them without duplicates.
Result<std::vector<int64_t>> ApplicableTags(Connection& c, int64_t tenant_id, const std::vector<int64_t>& tag_ids) {
    std::vector<int64_t> out;
    for (size_t i = 0; i < tag_ids.size(); ++i) {
        std::string field = "tag_ids[" + std::to_string(i) + "]";
        SIYU_ASSIGN_OR_RETURN(auto tag, FindTag(c, tenant_id, tag_ids[i]));
        if (!tag) return Status::InvalidArgument(field, "no tag " + std::to_string(tag_ids[i]));
        if (tag->rule) {
            return Status(StatusCode::kFailedPrecondition,
                          field + ": tag " + std::to_string(tag->id) + " (" + tag->name +
                              ") is a rule tag; its customers follow its rule and cannot be tagged or untagged "
                              "directly",
                          field);
        }
        if (std::find(out.begin(), out.end(), tag->id) == out.end()) out.push_back(tag->id);
    }
    return out;
}

}  // namespace

// --- Groups ----------------------------------------------------------------------------

Result<TagGroup> TagRepository::CreateGroup(int64_t tenant_id, const TagGroupInput& in, const auth::Actor& actor) {
    SIYU_RETURN_IF_ERROR(CheckGroupInput(in, true));
    std::optional<TagGroup> out;
    SIYU_RETURN_IF_ERROR(db_->Write([&](Connection& c) -> Status {
        SIYU_ASSIGN_OR_RETURN(
            int64_t groups,
            Count(c, "SELECT count(*) FROM tag_groups WHERE tenant_id = ? AND deleted_at IS NULL", {tenant_id}));
        if (groups >= kMaxGroups) {
            return Status::FailedPrecondition("a tenant can have at most " + std::to_string(kMaxGroups) +
                                              " tag groups");
        }
        SIYU_RETURN_IF_ERROR(CheckGroupNameFree(c, tenant_id, *in.name, 0));
        TimeMs now = NowMs();
        SIYU_ASSIGN_OR_RETURN(auto stmt, c.Prepare("INSERT INTO tag_groups(tenant_id, name, color, sort_order, "
                                                   "wecom_group_id, created_at, updated_at) VALUES (?,?,?,?,?,?,?)"));
        SIYU_RETURN_IF_ERROR(stmt.Bind(1, tenant_id)
                                 .Bind(2, *in.name)
                                 .Bind(3, in.color.value_or(std::nullopt))
                                 .Bind(4, in.sort_order.value_or(0))
                                 .Bind(5, in.wecom_group_id.value_or(std::nullopt))
                                 .Bind(6, now)
                                 .Bind(7, now)
                                 .Run());
        int64_t id = c.LastInsertId();
        SIYU_ASSIGN_OR_RETURN(out, FindGroup(c, tenant_id, id));
        return auth::AppendAudit(c, tenant_id, actor, "tag_group.create", "tag_group", std::to_string(id),
                                 GroupAudit(*out).dump());
    }));
    return std::move(*out);
}

Result<TagGroup> TagRepository::GetGroup(int64_t tenant_id, int64_t id) {
    std::optional<TagGroup> out;
    SIYU_RETURN_IF_ERROR(db_->Read([&](Connection& c) -> Status {
        SIYU_ASSIGN_OR_RETURN(out, FindGroup(c, tenant_id, id));
        return Status::Ok();
    }));
    if (!out) return GroupNotFound(id);
    return std::move(*out);
}

Result<std::vector<TagGroup>> TagRepository::ListGroups(int64_t tenant_id) {
    std::vector<TagGroup> out;
    SIYU_RETURN_IF_ERROR(db_->Read([&](Connection& c) -> Status {
        SIYU_ASSIGN_OR_RETURN(
            auto stmt, c.Prepare(std::string(kGroupColumns) + "WHERE g.tenant_id = ? AND g.deleted_at IS NULL ORDER BY "
                                                              "g.sort_order, g.id"));
        stmt.Bind(1, tenant_id);
        return stmt.ForEachRow([&] { out.push_back(ReadGroup(stmt)); });
    }));
    return out;
}

Result<TagGroup> TagRepository::UpdateGroup(int64_t tenant_id, int64_t id, const TagGroupInput& in,
                                            const auth::Actor& actor) {
    SIYU_RETURN_IF_ERROR(CheckGroupInput(in, false));
    std::optional<TagGroup> out;
    SIYU_RETURN_IF_ERROR(db_->Write([&](Connection& c) -> Status {
        SIYU_ASSIGN_OR_RETURN(auto found, FindGroup(c, tenant_id, id));
        if (!found) return GroupNotFound(id);
        TagGroup g = std::move(*found);
        if (in.name) {
            SIYU_RETURN_IF_ERROR(CheckGroupNameFree(c, tenant_id, *in.name, id));
            g.name = *in.name;
        }
        if (in.color) g.color = *in.color;
        if (in.sort_order) g.sort_order = *in.sort_order;
        if (in.wecom_group_id) g.wecom_group_id = *in.wecom_group_id;
        SIYU_ASSIGN_OR_RETURN(auto stmt, c.Prepare("UPDATE tag_groups SET name = ?, color = ?, sort_order = ?, "
                                                   "wecom_group_id = ?, updated_at = ? WHERE id = ?"));
        SIYU_RETURN_IF_ERROR(stmt.Bind(1, g.name)
                                 .Bind(2, g.color)
                                 .Bind(3, g.sort_order)
                                 .Bind(4, g.wecom_group_id)
                                 .Bind(5, NowMs())
                                 .Bind(6, id)
                                 .Run());
        SIYU_ASSIGN_OR_RETURN(out, FindGroup(c, tenant_id, id));
        return auth::AppendAudit(c, tenant_id, actor, "tag_group.update", "tag_group", std::to_string(id),
                                 GroupAudit(*out).dump());
    }));
    return std::move(*out);
}

Status TagRepository::DeleteGroup(int64_t tenant_id, int64_t id, bool force, const auth::Actor& actor) {
    std::vector<CustomerTagChange> changes;
    std::vector<RuleTagChange> rules;
    SIYU_RETURN_IF_ERROR(db_->Write([&](Connection& c) -> Status {
        SIYU_ASSIGN_OR_RETURN(auto group, FindGroup(c, tenant_id, id));
        if (!group) return GroupNotFound(id);
        if (group->tag_count > 0 && !force) {
            return Status::FailedPrecondition("tag group " + std::to_string(id) + " has " +
                                              std::to_string(group->tag_count) +
                                              " tags; delete them first, or delete with ?force=true to delete them "
                                              "too");
        }
        std::vector<Tag> tags;
        {
            SIYU_ASSIGN_OR_RETURN(
                auto stmt, c.Prepare(std::string(kTagColumns) + "WHERE t.group_id = ? AND t.deleted_at IS NULL"));
            stmt.Bind(1, id);
            SIYU_RETURN_IF_ERROR(stmt.ForEachRow([&] { tags.push_back(ReadTag(stmt)); }));
        }
        for (const Tag& t : tags) {
            SIYU_RETURN_IF_ERROR(DeleteTagIn(c, tenant_id, t, actor, &changes));
            if (t.rule) rules.push_back(RuleTagChange{tenant_id, t.id, std::nullopt});
        }
        TimeMs now = NowMs();
        SIYU_ASSIGN_OR_RETURN(auto stmt,
                              c.Prepare("UPDATE tag_groups SET deleted_at = ?, updated_at = ? WHERE id = ?"));
        SIYU_RETURN_IF_ERROR(stmt.Bind(1, now).Bind(2, now).Bind(3, id).Run());
        Json details = {{"name", group->name}, {"tags_deleted", tags.size()}};
        return auth::AppendAudit(c, tenant_id, actor, "tag_group.delete", "tag_group", std::to_string(id),
                                 details.dump());
    }));
    Publish(changes);
    PublishRules(rules);
    return Status::Ok();
}

// --- Tags ------------------------------------------------------------------------------

Status TagRepository::CheckRule(Connection& c, int64_t tenant_id, std::optional<int64_t> self_id,
                                const std::string& rule) {
    if (!check_rule_) return Status::Unavailable("rule tags are not available");
    SIYU_ASSIGN_OR_RETURN(TagRuleRefs refs, check_rule_(rule));
    for (int64_t tag_id : refs.tag_ids) {
        if (self_id && tag_id == *self_id) return Status::InvalidArgument("rule", "a rule tag cannot refer to itself");
        SIYU_ASSIGN_OR_RETURN(auto tag, FindTag(c, tenant_id, tag_id));
        if (!tag)
            return Status::InvalidArgument("rule",
                                           "refers to tag " + std::to_string(tag_id) + ", which does not exist");
    }
    for (int64_t store_id : refs.store_ids) {
        SIYU_ASSIGN_OR_RETURN(
            int64_t n, Count(c, "SELECT count(*) FROM stores WHERE tenant_id = ? AND id = ?", {tenant_id, store_id}));
        if (n == 0) {
            return Status::InvalidArgument("rule",
                                           "refers to store " + std::to_string(store_id) + ", which does not exist");
        }
    }
    return Status::Ok();
}

Result<Tag> TagRepository::CreateTag(int64_t tenant_id, const TagInput& in, const auth::Actor& actor) {
    SIYU_RETURN_IF_ERROR(CheckTagInput(in, true));
    std::optional<Tag> out;
    SIYU_RETURN_IF_ERROR(db_->Write([&](Connection& c) -> Status {
        SIYU_ASSIGN_OR_RETURN(auto group, FindGroup(c, tenant_id, *in.group_id));
        if (!group) return Status::InvalidArgument("group_id", "no tag group " + std::to_string(*in.group_id));
        SIYU_ASSIGN_OR_RETURN(
            int64_t tags,
            Count(c, "SELECT count(*) FROM tags WHERE tenant_id = ? AND deleted_at IS NULL", {tenant_id}));
        if (tags >= kMaxTags) {
            return Status::FailedPrecondition("a tenant can have at most " + std::to_string(kMaxTags) + " tags");
        }
        SIYU_RETURN_IF_ERROR(CheckTagNameFree(c, group->id, *in.name, 0));
        std::optional<std::string> rule = in.rule.value_or(std::nullopt);
        if (rule) SIYU_RETURN_IF_ERROR(CheckRule(c, tenant_id, std::nullopt, *rule));
        TimeMs now = NowMs();
        SIYU_ASSIGN_OR_RETURN(auto stmt,
                              c.Prepare("INSERT INTO tags(tenant_id, group_id, name, color, sort_order, description, "
                                        "rule, wecom_tag_id, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?)"));
        SIYU_RETURN_IF_ERROR(stmt.Bind(1, tenant_id)
                                 .Bind(2, group->id)
                                 .Bind(3, *in.name)
                                 .Bind(4, in.color.value_or(std::nullopt))
                                 .Bind(5, in.sort_order.value_or(0))
                                 .Bind(6, in.description.value_or(""))
                                 .Bind(7, rule)
                                 .Bind(8, in.wecom_tag_id.value_or(std::nullopt))
                                 .Bind(9, now)
                                 .Bind(10, now)
                                 .Run());
        int64_t id = c.LastInsertId();
        SIYU_ASSIGN_OR_RETURN(out, FindTag(c, tenant_id, id));
        return auth::AppendAudit(c, tenant_id, actor, "tag.create", "tag", std::to_string(id), TagAudit(*out).dump());
    }));
    if (out->rule) PublishRules({RuleTagChange{tenant_id, out->id, out->rule}});
    return std::move(*out);
}

Result<Tag> TagRepository::GetTag(int64_t tenant_id, int64_t id) {
    std::optional<Tag> out;
    SIYU_RETURN_IF_ERROR(db_->Read([&](Connection& c) -> Status {
        SIYU_ASSIGN_OR_RETURN(out, FindTag(c, tenant_id, id));
        return Status::Ok();
    }));
    if (!out) return TagNotFound(id);
    return std::move(*out);
}

Result<std::vector<Tag>> TagRepository::ListTags(int64_t tenant_id, const TagFilter& f) {
    std::vector<Tag> out;
    std::optional<std::string> like;
    if (f.q) {
        like = "%";
        for (char ch : *f.q) {
            if (ch == '%' || ch == '_' || ch == '\\') like->push_back('\\');
            like->push_back(ch);
        }
        like->push_back('%');
    }
    std::optional<int64_t> rule;
    if (f.rule) rule = *f.rule ? 1 : 0;
    SIYU_RETURN_IF_ERROR(db_->Read([&](Connection& c) -> Status {
        SIYU_ASSIGN_OR_RETURN(
            auto stmt,
            c.Prepare(std::string(kTagColumns) +
                      "JOIN tag_groups g ON g.id = t.group_id WHERE t.tenant_id = ?1 AND t.deleted_at IS "
                      "NULL AND (?2 IS NULL OR t.group_id = ?2) AND (?3 IS NULL OR (t.rule IS NOT NULL) = ?3) "
                      "AND (?4 IS NULL OR t.name LIKE ?4 ESCAPE '\\') ORDER BY g.sort_order, g.id, "
                      "t.sort_order, t.id"));
        stmt.Bind(1, tenant_id).Bind(2, f.group_id).Bind(3, rule).Bind(4, like);
        return stmt.ForEachRow([&] { out.push_back(ReadTag(stmt)); });
    }));
    return out;
}

Result<Tag> TagRepository::UpdateTag(int64_t tenant_id, int64_t id, const TagInput& in, const auth::Actor& actor) {
    SIYU_RETURN_IF_ERROR(CheckTagInput(in, false));
    std::optional<Tag> out;
    bool rule_changed = false;
    SIYU_RETURN_IF_ERROR(db_->Write([&](Connection& c) -> Status {
        SIYU_ASSIGN_OR_RETURN(auto found, FindTag(c, tenant_id, id));
        if (!found) return TagNotFound(id);
        Tag t = std::move(*found);
        if (in.group_id && *in.group_id != t.group_id) {
            SIYU_ASSIGN_OR_RETURN(auto group, FindGroup(c, tenant_id, *in.group_id));
            if (!group) return Status::InvalidArgument("group_id", "no tag group " + std::to_string(*in.group_id));
            t.group_id = group->id;
        }
        if (in.name) t.name = *in.name;
        if (in.name || in.group_id) SIYU_RETURN_IF_ERROR(CheckTagNameFree(c, t.group_id, t.name, id));
        if (in.color) t.color = *in.color;
        if (in.sort_order) t.sort_order = *in.sort_order;
        if (in.description) t.description = *in.description;
        if (in.wecom_tag_id) t.wecom_tag_id = *in.wecom_tag_id;
        if (in.rule) {
            const std::optional<std::string>& rule = *in.rule;
            if (rule) {
                SIYU_RETURN_IF_ERROR(CheckRule(c, tenant_id, id, *rule));
                if (!t.rule) {
                    SIYU_ASSIGN_OR_RETURN(
                        int64_t holders,
                        Count(c, "SELECT count(*) FROM customer_tags WHERE tenant_id = ? AND tag_id = ?",
                              {tenant_id, id}));
                    if (holders > 0) {
                        return Status(StatusCode::kFailedPrecondition,
                                      "rule: " + std::to_string(holders) +
                                          " customers hold this tag; remove it from them first, or create a new "
                                          "rule tag",
                                      "rule");
                    }
                }
            }
            rule_changed = rule != t.rule;
            t.rule = rule;
        }
        SIYU_ASSIGN_OR_RETURN(auto stmt, c.Prepare("UPDATE tags SET group_id = ?, name = ?, color = ?, sort_order = ?, "
                                                   "description = ?, rule = ?, wecom_tag_id = ?, updated_at = ? "
                                                   "WHERE id = ?"));
        SIYU_RETURN_IF_ERROR(stmt.Bind(1, t.group_id)
                                 .Bind(2, t.name)
                                 .Bind(3, t.color)
                                 .Bind(4, t.sort_order)
                                 .Bind(5, t.description)
                                 .Bind(6, t.rule)
                                 .Bind(7, t.wecom_tag_id)
                                 .Bind(8, NowMs())
                                 .Bind(9, id)
                                 .Run());
        SIYU_ASSIGN_OR_RETURN(out, FindTag(c, tenant_id, id));
        return auth::AppendAudit(c, tenant_id, actor, "tag.update", "tag", std::to_string(id), TagAudit(*out).dump());
    }));
    if (rule_changed) PublishRules({RuleTagChange{tenant_id, id, out->rule}});
    return std::move(*out);
}

Status TagRepository::DeleteTagIn(Connection& c, int64_t tenant_id, const Tag& tag, const auth::Actor& actor,
                                  std::vector<CustomerTagChange>* changes) {
    std::vector<int64_t> holders;
    {
        SIYU_ASSIGN_OR_RETURN(auto stmt,
                              c.Prepare("SELECT customer_id FROM customer_tags WHERE tenant_id = ? AND tag_id = ?"));
        stmt.Bind(1, tenant_id).Bind(2, tag.id);
        SIYU_RETURN_IF_ERROR(stmt.ForEachRow([&] { holders.push_back(stmt.Int(0)); }));
    }
    Tagging by = TaggingBy(actor);
    TimeMs now = NowMs();
    for (int64_t customer_id : holders) {
        SIYU_RETURN_IF_ERROR(InsertHistory(c, tenant_id, customer_id, tag.id, false, TagSourceName(by.source), actor,
                                           std::nullopt, now));
        changes->push_back(CustomerTagChange{tenant_id, customer_id, tag.id, false});
    }
    SIYU_ASSIGN_OR_RETURN(auto del, c.Prepare("DELETE FROM customer_tags WHERE tenant_id = ? AND tag_id = ?"));
    SIYU_RETURN_IF_ERROR(del.Bind(1, tenant_id).Bind(2, tag.id).Run());
    SIYU_ASSIGN_OR_RETURN(auto stmt, c.Prepare("UPDATE tags SET deleted_at = ?, updated_at = ? WHERE id = ?"));
    SIYU_RETURN_IF_ERROR(stmt.Bind(1, now).Bind(2, now).Bind(3, tag.id).Run());
    Json details = {{"name", tag.name}, {"group_id", tag.group_id}, {"removed_from", holders.size()}};
    return auth::AppendAudit(c, tenant_id, actor, "tag.delete", "tag", std::to_string(tag.id), details.dump());
}

Status TagRepository::DeleteTag(int64_t tenant_id, int64_t id, const auth::Actor& actor) {
    std::vector<CustomerTagChange> changes;
    bool was_rule = false;
    SIYU_RETURN_IF_ERROR(db_->Write([&](Connection& c) -> Status {
        SIYU_ASSIGN_OR_RETURN(auto tag, FindTag(c, tenant_id, id));
        if (!tag) return TagNotFound(id);
        was_rule = tag->rule.has_value();
        return DeleteTagIn(c, tenant_id, *tag, actor, &changes);
    }));
    Publish(changes);
    if (was_rule) PublishRules({RuleTagChange{tenant_id, id, std::nullopt}});
    return Status::Ok();
}

Status TagRepository::CheckApplicable(int64_t tenant_id, const std::vector<int64_t>& tag_ids) {
    return db_->Read([&](Connection& c) -> Status { return ApplicableTags(c, tenant_id, tag_ids).status(); });
}

// --- Customers -------------------------------------------------------------------------

Result<TagCounts> TagRepository::ApplyIn(Connection& c, int64_t tenant_id, const std::vector<int64_t>& customer_ids,
                                         const std::vector<int64_t>& tag_ids, TagAction action, const Tagging& by,
                                         const Visibility& vis, bool skip_missing,
                                         std::vector<CustomerTagChange>* changes) {
    SIYU_ASSIGN_OR_RETURN(std::vector<int64_t> tags, ApplicableTags(c, tenant_id, tag_ids));
    TagCounts counts;
    std::vector<int64_t> survivors;
    std::set<int64_t> seen;
    for (int64_t id : customer_ids) {
        SIYU_ASSIGN_OR_RETURN(auto r, Resolve(c, tenant_id, id));
        if (!r || !vis.Allows(r->store_id)) {
            if (!skip_missing) return CustomerNotFound(id);
            ++counts.skipped;
            continue;
        }
        if (seen.insert(r->id).second) survivors.push_back(r->id);
    }
    counts.customers = static_cast<int64_t>(survivors.size());
    std::string_view source = TagSourceName(by.source);
    TimeMs now = NowMs();
    for (int64_t customer_id : survivors) {
        for (int64_t tag_id : tags) {
            std::vector<int64_t> holders;
            {
                SIYU_ASSIGN_OR_RETURN(auto stmt, c.Prepare(std::string(kMergeSetCte) +
                                                           "SELECT customer_id FROM customer_tags WHERE tag_id = ?2 "
                                                           "AND customer_id IN s"));
                stmt.Bind(1, customer_id).Bind(2, tag_id);
                SIYU_RETURN_IF_ERROR(stmt.ForEachRow([&] { holders.push_back(stmt.Int(0)); }));
            }
            if (action == TagAction::kAdd) {
                if (!holders.empty()) {
                    ++counts.unchanged;
                    continue;
                }
                SIYU_ASSIGN_OR_RETURN(auto ins, c.Prepare("INSERT INTO customer_tags(customer_id, tag_id, tenant_id, "
                                                          "source, actor_type, actor_id, actor_name, applied_at) "
                                                          "VALUES (?,?,?,?,?,?,?,?)"));
                SIYU_RETURN_IF_ERROR(ins.Bind(1, customer_id)
                                         .Bind(2, tag_id)
                                         .Bind(3, tenant_id)
                                         .Bind(4, source)
                                         .Bind(5, by.actor.type)
                                         .Bind(6, by.actor.id)
                                         .Bind(7, by.actor.name)
                                         .Bind(8, now)
                                         .Run());
                holders.push_back(customer_id);
            } else {
                if (holders.empty()) {
                    ++counts.unchanged;
                    continue;
                }
                SIYU_ASSIGN_OR_RETURN(auto del,
                                      c.Prepare("DELETE FROM customer_tags WHERE customer_id = ? AND tag_id = ?"));
                for (int64_t holder : holders) SIYU_RETURN_IF_ERROR(del.Bind(1, holder).Bind(2, tag_id).Run());
            }
            ++counts.changed;
            bool added = action == TagAction::kAdd;
            for (int64_t holder : holders) {
                SIYU_RETURN_IF_ERROR(
                    InsertHistory(c, tenant_id, holder, tag_id, added, source, by.actor, by.job_id, now));
                changes->push_back(CustomerTagChange{tenant_id, holder, tag_id, added});
            }
        }
    }
    return counts;
}

Result<TagCounts> TagRepository::Apply(int64_t tenant_id, const std::vector<int64_t>& customer_ids,
                                       const std::vector<int64_t>& tag_ids, TagAction action, const Tagging& by,
                                       const Visibility& vis, bool skip_missing, bool audit) {
    TagCounts counts;
    std::vector<CustomerTagChange> changes;
    SIYU_RETURN_IF_ERROR(db_->Write([&](Connection& c) -> Status {
        changes.clear();
        SIYU_ASSIGN_OR_RETURN(counts,
                              ApplyIn(c, tenant_id, customer_ids, tag_ids, action, by, vis, skip_missing, &changes));
        if (!audit) return Status::Ok();
        Json details = {{"action", action == TagAction::kAdd ? "add" : "remove"},
                        {"tag_ids", tag_ids},
                        {"customers", customer_ids.size()},
                        {"changed", counts.changed}};
        return auth::AppendAudit(c, tenant_id, by.actor, "tag.bulk", "tag", "", details.dump());
    }));
    Publish(changes);
    return counts;
}

Result<CustomerTags> TagRepository::TagsOf(int64_t tenant_id, int64_t customer_id, const Visibility& vis) {
    CustomerTags out;
    SIYU_RETURN_IF_ERROR(db_->Read([&](Connection& c) -> Status {
        SIYU_ASSIGN_OR_RETURN(out.customer_id, ResolveVisible(c, tenant_id, customer_id, vis));
        SIYU_ASSIGN_OR_RETURN(
            auto stmt,
            c.Prepare(std::string(kMergeSetCte) +
                      "SELECT t.id, t.tenant_id, t.group_id, t.name, t.color, t.sort_order, t.description, t.rule, "
                      "t.wecom_tag_id, t.created_at, t.updated_at, ct.customer_id, ct.source, ct.actor_type, "
                      "ct.actor_id, ct.actor_name, ct.applied_at FROM customer_tags ct JOIN tags t ON t.id = ct.tag_id "
                      "JOIN tag_groups g ON g.id = t.group_id WHERE ct.customer_id IN s AND t.deleted_at IS NULL "
                      "ORDER BY g.sort_order, g.id, t.sort_order, t.id, ct.applied_at"));
        stmt.Bind(1, out.customer_id);
        return stmt.ForEachRow([&] {
            int64_t tag_id = stmt.Int(0);
            if (!out.tags.empty() && out.tags.back().tag.id == tag_id) return;  // held twice in the merge set
            CustomerTag ct;
            ct.tag = ReadTag(stmt);
            ct.customer_id = stmt.Int(11);
            ct.source = stmt.Text(12);
            ct.actor = ReadActor(stmt, 13);
            ct.applied_at = stmt.Int(16);
            out.tags.push_back(std::move(ct));
        });
    }));
    return out;
}

Result<std::vector<TagHistoryEntry>> TagRepository::History(int64_t tenant_id, int64_t customer_id,
                                                            const Visibility& vis, int limit,
                                                            std::optional<int64_t> before_id) {
    std::vector<TagHistoryEntry> out;
    SIYU_RETURN_IF_ERROR(db_->Read([&](Connection& c) -> Status {
        SIYU_ASSIGN_OR_RETURN(int64_t survivor, ResolveVisible(c, tenant_id, customer_id, vis));
        SIYU_ASSIGN_OR_RETURN(
            auto stmt, c.Prepare(std::string(kMergeSetCte) +
                                 "SELECT h.id, h.customer_id, h.tag_id, t.name, h.action, h.source, h.actor_type, "
                                 "h.actor_id, h.actor_name, h.job_id, h.at FROM tag_history h JOIN tags t ON t.id = "
                                 "h.tag_id WHERE h.customer_id IN s AND h.id < ?2 ORDER BY h.id DESC LIMIT ?3"));
        stmt.Bind(1, survivor).Bind(2, before_id.value_or(INT64_MAX)).Bind(3, int64_t{limit});
        return stmt.ForEachRow([&] {
            TagHistoryEntry e;
            e.id = stmt.Int(0);
            e.customer_id = stmt.Int(1);
            e.tag_id = stmt.Int(2);
            e.tag_name = stmt.Text(3);
            e.action = stmt.Text(4);
            e.source = stmt.Text(5);
            e.actor = ReadActor(stmt, 6);
            e.job_id = stmt.OptInt(9);
            e.at = stmt.Int(10);
            out.push_back(std::move(e));
        });
    }));
    return out;
}

Result<int64_t> TagRepository::VisibleSurvivor(Connection& conn, int64_t tenant_id, int64_t customer_id,
                                               const Visibility& vis) {
    return ResolveVisible(conn, tenant_id, customer_id, vis);
}

Result<int64_t> TagRepository::VisibleSurvivor(int64_t tenant_id, int64_t customer_id, const Visibility& vis) {
    int64_t out = 0;
    SIYU_RETURN_IF_ERROR(db_->Read([&](Connection& c) -> Status {
        SIYU_ASSIGN_OR_RETURN(out, ResolveVisible(c, tenant_id, customer_id, vis));
        return Status::Ok();
    }));
    return out;
}

// --- For the engine --------------------------------------------------------------------

Result<std::vector<RuleTag>> TagRepository::ListRuleTags() {
    std::vector<RuleTag> out;
    SIYU_RETURN_IF_ERROR(db_->Read([&](Connection& c) -> Status {
        SIYU_ASSIGN_OR_RETURN(auto stmt, c.Prepare("SELECT tenant_id, id, rule FROM tags WHERE rule IS NOT NULL AND "
                                                   "deleted_at IS NULL ORDER BY tenant_id, id"));
        return stmt.ForEachRow([&] { out.push_back(RuleTag{stmt.Int(0), stmt.Int(1), stmt.Text(2)}); });
    }));
    return out;
}

Status TagRepository::ForEachCustomerTag(
    const std::function<void(int64_t tenant_id, int64_t customer_id, int64_t tag_id)>& fn) {
    return db_->Read([&](Connection& c) -> Status {
        SIYU_ASSIGN_OR_RETURN(auto stmt, c.Prepare("SELECT tenant_id, customer_id, tag_id FROM customer_tags ORDER BY "
                                                   "tenant_id, customer_id, tag_id"));
        return stmt.ForEachRow([&] { fn(stmt.Int(0), stmt.Int(1), stmt.Int(2)); });
    });
}

Status TagRepository::RecordRuleChanges(const std::vector<RuleMembershipChange>& changes) {
    if (changes.empty()) return Status::Ok();
    return db_->Write([&](Connection& c) -> Status {
        auth::Actor system;
        for (const auto& ch : changes) {
            SIYU_RETURN_IF_ERROR(InsertHistory(c, ch.tenant_id, ch.customer_id, ch.tag_id, ch.added,
                                               TagSourceName(TagSource::kRule), system, std::nullopt, ch.at));
        }
        return Status::Ok();
    });
}

void TagRepository::Publish(const std::vector<CustomerTagChange>& changes) const {
    if (change_listener_ && !changes.empty()) change_listener_(changes);
}

void TagRepository::PublishRules(const std::vector<RuleTagChange>& changes) const {
    if (rule_listener_ && !changes.empty()) rule_listener_(changes);
}

}  // namespace siyu::cdp
