#pragma once

// Tags (docs/tags.md): tag groups, tags and which customers hold them. A tag is either
// explicit (applied by hand, import, questionnaire or API, stored in customer_tags with its
// source) or a rule tag (it carries a segment rule; the in-memory engine computes its
// members, so it cannot be applied or removed here). Every explicit change is kept in the
// tag history. A customer merged into another keeps its tag rows; they count for the
// survivor, and tagging a merged id tags the survivor.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "auth/audit_log.h"
#include "base/status.h"
#include "base/time.h"
#include "cdp/customer_repository.h"
#include "store/database.h"

namespace siyu::cdp {

// How a tag came to a customer.
enum class TagSource { kManual, kRule, kImport, kQuestionnaire, kApi };
std::string_view TagSourceName(TagSource source);

// Who tags, and through what: the history records both.
struct Tagging {
    TagSource source = TagSource::kManual;
    auth::Actor actor;
    std::optional<int64_t> job_id;  // the bulk job doing it
};
// `manual` for a console user, `api` for an API key or anything else.
Tagging TaggingBy(const auth::Actor& actor);

enum class TagAction { kAdd, kRemove };

struct TagGroup {
    int64_t id = 0;
    int64_t tenant_id = 0;
    std::string name;
    std::optional<std::string> color;  // #RRGGBB
    int64_t sort_order = 0;
    std::optional<std::string> wecom_group_id;
    int64_t tag_count = 0;
    TimeMs created_at = 0;
    TimeMs updated_at = 0;
};

// Fields to set: absent ones keep their value (on create, their default). For a nullable
// field the inner optional is empty for null.
struct TagGroupInput {
    std::optional<std::string> name;
    std::optional<std::optional<std::string>> color;
    std::optional<int64_t> sort_order;
    std::optional<std::optional<std::string>> wecom_group_id;
};

struct Tag {
    int64_t id = 0;
    int64_t tenant_id = 0;
    int64_t group_id = 0;
    std::string name;
    std::optional<std::string> color;
    int64_t sort_order = 0;
    std::string description;
    std::optional<std::string> rule;  // JSON text of a segment rule: a rule tag
    std::optional<std::string> wecom_tag_id;
    TimeMs created_at = 0;
    TimeMs updated_at = 0;
};

struct TagInput {
    std::optional<int64_t> group_id;
    std::optional<std::string> name;
    std::optional<std::optional<std::string>> color;
    std::optional<int64_t> sort_order;
    std::optional<std::string> description;
    std::optional<std::optional<std::string>> rule;
    std::optional<std::optional<std::string>> wecom_tag_id;
};

struct TagFilter {
    std::optional<int64_t> group_id;
    std::optional<bool> rule;      // true: rule tags only; false: explicit tags only
    std::optional<std::string> q;  // name substring
};

// A tag a customer holds, on its own record or on one merged into it.
struct CustomerTag {
    Tag tag;
    int64_t customer_id = 0;  // the record holding it
    std::string source;
    auth::Actor actor;
    TimeMs applied_at = 0;
};

struct CustomerTags {
    int64_t customer_id = 0;  // the survivor the asked-for id stands for
    std::vector<CustomerTag> tags;
};

struct TagHistoryEntry {
    int64_t id = 0;
    int64_t customer_id = 0;
    int64_t tag_id = 0;
    std::string tag_name;
    std::string action;  // added, removed
    std::string source;
    auth::Actor actor;
    std::optional<int64_t> job_id;
    TimeMs at = 0;
};

// The outcome of tagging a set of customers.
struct TagCounts {
    int64_t customers = 0;  // distinct customers (survivors) tagged
    int64_t changed = 0;    // customer-tag pairs added or removed
    int64_t unchanged = 0;  // pairs already as asked
    int64_t skipped = 0;    // ids not found or not visible (when skipping is asked for)
};

// A committed change to a customer record's explicit tags.
struct CustomerTagChange {
    int64_t tenant_id = 0;
    int64_t customer_id = 0;
    int64_t tag_id = 0;
    bool added = true;
};

// A rule tag whose rule was set or changed, or (rule empty) that was deleted or made explicit.
struct RuleTagChange {
    int64_t tenant_id = 0;
    int64_t tag_id = 0;
    std::optional<std::string> rule;
};

struct RuleTag {
    int64_t tenant_id = 0;
    int64_t tag_id = 0;
    std::string rule;
};

// A change of a rule tag's membership as the engine computed it, for the history.
struct RuleMembershipChange {
    int64_t tenant_id = 0;
    int64_t customer_id = 0;
    int64_t tag_id = 0;
    bool added = true;
    TimeMs at = 0;
};

// What a rule refers to, for existence checks.
struct TagRuleRefs {
    std::vector<int64_t> tag_ids;
    std::vector<int64_t> store_ids;
};
// Parses a rule's JSON text. Errors are invalid_argument whose field is the JSON path of the
// problem, starting at "rule".
using RuleChecker = std::function<Result<TagRuleRefs>(std::string_view rule_json)>;

// Tag groups, tags and customer tags. Thread-safe (state lives in the database); set the
// listeners before the first change.
class TagRepository {
  public:
    static constexpr int64_t kMaxGroups = 1000;
    static constexpr int64_t kMaxTags = 10000;
    static constexpr size_t kMaxRuleBytes = 64 * 1024;

    using ChangeListener = std::function<void(const std::vector<CustomerTagChange>&)>;
    using RuleListener = std::function<void(const std::vector<RuleTagChange>&)>;

    TagRepository(store::Database* db, RuleChecker check_rule) : db_(db), check_rule_(std::move(check_rule)) {}

    // Called after each commit that changed customer tags, from the committing thread.
    void SetChangeListener(ChangeListener listener) { change_listener_ = std::move(listener); }
    // Called after each commit that created, changed or removed a rule tag.
    void SetRuleListener(RuleListener listener) { rule_listener_ = std::move(listener); }

    // --- Groups ---
    Result<TagGroup> CreateGroup(int64_t tenant_id, const TagGroupInput& in, const auth::Actor& actor);
    Result<TagGroup> GetGroup(int64_t tenant_id, int64_t id);
    // Every group of the tenant by sort order, then id.
    Result<std::vector<TagGroup>> ListGroups(int64_t tenant_id);
    Result<TagGroup> UpdateGroup(int64_t tenant_id, int64_t id, const TagGroupInput& in, const auth::Actor& actor);
    // failed_precondition while the group has tags, unless `force`: then its tags are deleted too.
    Status DeleteGroup(int64_t tenant_id, int64_t id, bool force, const auth::Actor& actor);

    // --- Tags ---
    // A rule is checked (invalid_argument naming its path) and the tags and stores it refers
    // to must exist; nothing is saved otherwise.
    Result<Tag> CreateTag(int64_t tenant_id, const TagInput& in, const auth::Actor& actor);
    Result<Tag> GetTag(int64_t tenant_id, int64_t id);
    // By group sort order, then tag sort order and id.
    Result<std::vector<Tag>> ListTags(int64_t tenant_id, const TagFilter& filter);
    // A tag customers hold cannot become a rule tag (failed_precondition).
    Result<Tag> UpdateTag(int64_t tenant_id, int64_t id, const TagInput& in, const auth::Actor& actor);
    // Soft delete: the tag is removed from every customer (with history by `actor`).
    Status DeleteTag(int64_t tenant_id, int64_t id, const auth::Actor& actor);
    // invalid_argument (field tag_ids[i]) for an unknown or deleted tag, failed_precondition
    // for a rule tag.
    Status CheckApplicable(int64_t tenant_id, const std::vector<int64_t>& tag_ids);

    // --- Customers ---
    // Adds or removes explicit tags on customers, all or nothing. Merged ids stand for their
    // survivors; removing takes the tag off every record of the merge set. An unknown,
    // deleted or invisible customer is not_found, or counted as skipped with `skip_missing`.
    // `audit` records one tag.bulk entry.
    Result<TagCounts> Apply(int64_t tenant_id, const std::vector<int64_t>& customer_ids,
                            const std::vector<int64_t>& tag_ids, TagAction action, const Tagging& by,
                            const Visibility& vis, bool skip_missing = false, bool audit = false);
    // The explicit tags of a customer and of those merged into it (each tag once, earliest).
    Result<CustomerTags> TagsOf(int64_t tenant_id, int64_t customer_id, const Visibility& vis);
    // Newest first; `before_id` continues a page.
    Result<std::vector<TagHistoryEntry>> History(int64_t tenant_id, int64_t customer_id, const Visibility& vis,
                                                 int limit, std::optional<int64_t> before_id);
    // The survivor `customer_id` stands for, when it exists and is visible; else not_found.
    Result<int64_t> VisibleSurvivor(int64_t tenant_id, int64_t customer_id, const Visibility& vis);
    static Result<int64_t> VisibleSurvivor(store::Connection& conn, int64_t tenant_id, int64_t customer_id,
                                           const Visibility& vis);

    // --- For the engine ---
    // Every live rule tag of every tenant.
    Result<std::vector<RuleTag>> ListRuleTags();
    // Every explicit (tenant, customer record, tag), for loading at start-up.
    Status ForEachCustomerTag(const std::function<void(int64_t tenant_id, int64_t customer_id, int64_t tag_id)>& fn);
    // Records rule tag membership changes in the history (source `rule`).
    Status RecordRuleChanges(const std::vector<RuleMembershipChange>& changes);

    // --- For writers that tag inside their own write transaction ---
    // Apply on `conn`; collects the changes, which the caller passes to Publish after commit.
    Result<TagCounts> ApplyIn(store::Connection& conn, int64_t tenant_id, const std::vector<int64_t>& customer_ids,
                              const std::vector<int64_t>& tag_ids, TagAction action, const Tagging& by,
                              const Visibility& vis, bool skip_missing, std::vector<CustomerTagChange>* changes);
    void Publish(const std::vector<CustomerTagChange>& changes) const;

  private:
    Status CheckRule(store::Connection& conn, int64_t tenant_id, std::optional<int64_t> self_id,
                     const std::string& rule);
    Status DeleteTagIn(store::Connection& conn, int64_t tenant_id, const Tag& tag, const auth::Actor& actor,
                       std::vector<CustomerTagChange>* changes);
    void PublishRules(const std::vector<RuleTagChange>& changes) const;

    store::Database* db_;
    RuleChecker check_rule_;
    ChangeListener change_listener_;
    RuleListener rule_listener_;
};

}  // namespace siyu::cdp
