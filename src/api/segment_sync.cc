#include "api/segment_sync.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <nlohmann/json.hpp>
#include <set>

namespace siyu::api {

namespace {

using Json = nlohmann::json;
using Clock = std::chrono::steady_clock;

constexpr size_t kLoadBatch = 8192;
constexpr size_t kEventsPerWrite = 2000;
constexpr size_t kMaxPendingChanges = 1'000'000;

engine::ProfileInput ToInput(cdp::ProfileRow&& p) {
    engine::ProfileInput in;
    in.customer_id = p.customer_id;
    in.created_at = p.created_at;
    in.store_id = p.store_id;
    in.name = std::move(p.name);
    in.phone = std::move(p.phone);
    in.email = std::move(p.email);
    in.gender = std::move(p.gender);
    in.birthday = std::move(p.birthday);
    in.member_no = std::move(p.member_no);
    in.traits = std::move(p.traits);
    in.identifier_types = std::move(p.identifier_types);
    in.merged_into = p.merged_into;
    in.deleted = p.deleted;
    return in;
}

engine::SegmentSettings ToSettings(const cdp::TenantProfileSettings& s) {
    engine::SegmentSettings out;
    out.time_zone = s.time_zone;
    out.dormant_after_days = s.dormant_after_days;
    out.rfm_period_days = s.rfm_period_days;
    out.rfm_recency_days = s.rfm_recency_days;
    out.rfm_frequency = s.rfm_frequency;
    out.rfm_monetary = s.rfm_monetary;
    return out;
}

bool SameSettings(const cdp::TenantProfileSettings& a, const cdp::TenantProfileSettings& b) {
    return a.time_zone == b.time_zone && a.dormant_after_days == b.dormant_after_days &&
           a.rfm_period_days == b.rfm_period_days && a.rfm_recency_days == b.rfm_recency_days &&
           a.rfm_frequency == b.rfm_frequency && a.rfm_monetary == b.rfm_monetary;
}

// The engine keys a rule depends on: segment ids and, for tags, -tag id (rule tags).
std::vector<int64_t> Dependencies(const engine::Node& rule) {
    engine::RuleRefs refs = engine::CollectRefs(rule);
    std::vector<int64_t> deps = refs.segment_ids;
    for (int64_t tag : refs.tag_ids) deps.push_back(-tag);
    return deps;
}

void WalkNodes(const engine::Node& n, const std::function<Status(const engine::Node&)>& visit, Status* st) {
    if (!st->ok()) return;
    *st = visit(n);
    for (const auto& child : n.children) WalkNodes(*child, visit, st);
}

std::string KeyName(int64_t key) {
    return key > 0 ? "segment " + std::to_string(key) : "rule tag " + std::to_string(-key);
}

}  // namespace

SegmentSync::SegmentSync(store::Database* db, engine::EventStore* events, engine::SegmentEngine* engine,
                         cdp::TagRepository* tags, scrm::StoreDirectory* stores, SegmentSyncOptions options)
    : db_(db), events_(events), engine_(engine), tags_(tags), stores_(stores), options_(options), repo_(db), feed_(db) {
    engine_->SetChangeListener(
        [this](const std::vector<engine::MembershipChange>& changes) { OnMembershipChanges(changes); });
    engine_->SetStoreSubtree([this](int64_t tenant_id, int64_t store_id) {
        auto ids = stores_->Subtree(tenant_id, {store_id});
        if (!ids.ok()) return std::vector<int64_t>{store_id};
        return std::move(ids).value();
    });
}

SegmentSync::~SegmentSync() {
    Stop();
    engine_->SetChangeListener(nullptr);
}

Status SegmentSync::Load() {
    auto started = Clock::now();
    SIYU_ASSIGN_OR_RETURN(auto settings, feed_.TenantSettings());
    for (const auto& s : settings) ApplySettings(s);

    std::map<int64_t, std::vector<engine::ProfileInput>> batch;
    struct Tags {
        int64_t tenant_id, customer_id;
        std::vector<int64_t> tag_ids;
    };
    std::vector<Tags> tag_batch;
    size_t pending = 0;
    int64_t profiles = 0;
    auto flush = [&] {
        for (auto& [tenant_id, list] : batch) {
            if (!list.empty()) engine_->UpsertProfiles(tenant_id, list);
            list.clear();
        }
        for (const auto& t : tag_batch) engine_->SetTags(t.tenant_id, t.customer_id, t.tag_ids);
        tag_batch.clear();
        pending = 0;
    };
    std::lock_guard apply(apply_mu_);
    SIYU_ASSIGN_OR_RETURN(int64_t seq, feed_.ForEachProfile([&](cdp::ProfileRow&& p) {
        if (!p.tag_ids.empty()) tag_batch.push_back(Tags{p.tenant_id, p.customer_id, std::move(p.tag_ids)});
        int64_t tenant_id = p.tenant_id;
        batch[tenant_id].push_back(ToInput(std::move(p)));
        ++profiles;
        if (++pending >= kLoadBatch) flush();
    }));
    flush();
    last_seq_ = seq;
    if (seq > 0) SIYU_RETURN_IF_ERROR(feed_.Forget(seq));

    SIYU_ASSIGN_OR_RETURN(auto segments, repo_.ListAll());
    SIYU_ASSIGN_OR_RETURN(auto rule_tags, tags_->ListRuleTags());
    std::map<int64_t, std::vector<int64_t>> keys;
    {
        std::lock_guard lock(mu_);
        for (auto& s : segments) {
            saved_[{s.tenant_id, s.id}] = Saved{s.name, std::move(s.rule)};
            names_[{s.tenant_id, s.id}] = s.name;
            keys[s.tenant_id].push_back(s.id);
        }
        for (auto& t : rule_tags) {
            saved_[{t.tenant_id, -t.tag_id}] = Saved{"", std::move(t.rule)};
            keys[t.tenant_id].push_back(-t.tag_id);
        }
    }
    {
        std::lock_guard write(write_mu_);
        for (auto& [tenant_id, list] : keys) PutInOrder(tenant_id, std::move(list));
    }
    Status sizes = RecordSizes(std::nullopt, std::nullopt);
    if (!sizes.ok()) spdlog::warn("segments: cannot record sizes: {}", sizes.ToString());
    spdlog::info("segments: loaded {} profiles, {} segments and {} rule tags in {:.3f} s", profiles, segments.size(),
                 rule_tags.size(), std::chrono::duration<double>(Clock::now() - started).count());
    return Status::Ok();
}

void SegmentSync::Start() {
    std::lock_guard lock(thread_mu_);
    if (thread_.joinable() || stopping_) return;
    thread_ = std::thread([this] { Loop(); });
}

void SegmentSync::Stop() {
    {
        std::lock_guard lock(thread_mu_);
        stopping_ = true;
    }
    wake_cv_.notify_all();
    if (thread_.joinable()) thread_.join();
}

void SegmentSync::Wake() {
    {
        std::lock_guard lock(thread_mu_);
        wake_ = true;
    }
    wake_cv_.notify_all();
}

void SegmentSync::Loop() {
    auto next_refresh = Clock::now() + std::chrono::seconds(options_.refresh_seconds);
    auto next_settings = Clock::now() + std::chrono::milliseconds(options_.settings_poll_ms);
    std::string last_error;
    auto report = [&](const char* what, const Status& st) {
        if (st.ok()) {
            last_error.clear();
            return;
        }
        std::string text = std::string(what) + ": " + st.ToString();
        if (text != last_error) spdlog::warn("segments: {}", text);
        last_error = std::move(text);
    };
    std::unique_lock lock(thread_mu_);
    while (true) {
        wake_cv_.wait_for(lock, std::chrono::milliseconds(options_.poll_ms), [&] { return stopping_ || wake_; });
        if (stopping_) break;
        wake_ = false;
        lock.unlock();
        report("applying changes", Poll());
        auto now = Clock::now();
        if (now >= next_settings) {
            report("reading settings", ReloadSettings());
            next_settings = now + std::chrono::milliseconds(options_.settings_poll_ms);
        }
        if (now >= next_refresh) {
            report("refreshing", Refresh());
            next_refresh = Clock::now() + std::chrono::seconds(options_.refresh_seconds);
        }
        lock.lock();
    }
    lock.unlock();
    report("final pass", Poll());
}

Status SegmentSync::Poll() {
    bool more = true;
    while (more) SIYU_RETURN_IF_ERROR(ApplyChanges(&more));
    return FlushMembershipEvents();
}

Status SegmentSync::ApplyChanges(bool* more) {
    std::lock_guard apply(apply_mu_);
    *more = false;
    SIYU_ASSIGN_OR_RETURN(auto changes, feed_.ChangesAfter(last_seq_, options_.change_batch));
    if (changes.last_seq == last_seq_) return Status::Ok();
    std::map<int64_t, std::vector<engine::ProfileInput>> inputs;
    std::map<int64_t, std::vector<int64_t>> touch;
    for (auto& p : changes.profiles) {
        touch[p.tenant_id].push_back(p.customer_id);
        if (p.merged_into) touch[p.tenant_id].push_back(*p.merged_into);
    }
    for (auto& p : changes.profiles) {
        engine_->SetTags(p.tenant_id, p.customer_id, p.tag_ids);
        int64_t tenant_id = p.tenant_id;
        inputs[tenant_id].push_back(ToInput(std::move(p)));
    }
    for (auto& [tenant_id, list] : inputs) engine_->UpsertProfiles(tenant_id, list);
    for (auto& [tenant_id, ids] : touch) {
        std::sort(ids.begin(), ids.end());
        ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
        engine_->Touch(tenant_id, ids);
    }
    last_seq_ = changes.last_seq;
    *more = changes.more;
    return feed_.Forget(changes.last_seq);
}

void SegmentSync::OnMembershipChanges(const std::vector<engine::MembershipChange>& changes) {
    {
        std::lock_guard lock(mu_);
        if (pending_.size() + changes.size() > kMaxPendingChanges) {
            spdlog::warn("segments: {} membership changes waiting; dropping {}", pending_.size(), changes.size());
            return;
        }
        pending_.insert(pending_.end(), changes.begin(), changes.end());
    }
    Wake();
}

Status SegmentSync::FlushMembershipEvents() {
    std::vector<engine::MembershipChange> changes;
    {
        std::lock_guard lock(mu_);
        changes.swap(pending_);
    }
    if (changes.empty()) return Status::Ok();
    std::vector<cdp::SystemEvent> events;
    std::vector<cdp::RuleMembershipChange> rule_changes;
    {
        std::lock_guard lock(mu_);
        for (const auto& c : changes) {
            if (c.segment_id < 0) {
                rule_changes.push_back(
                    cdp::RuleMembershipChange{c.tenant_id, c.customer_id, -c.segment_id, c.entered, c.at});
                continue;
            }
            auto name = names_.find({c.tenant_id, c.segment_id});
            Json properties = {{"segment_id", c.segment_id},
                               {"segment_name", name != names_.end() ? name->second : std::string()}};
            events.push_back(cdp::SystemEvent{
                c.tenant_id, c.customer_id, c.entered ? "Segment Entered" : "Segment Exited", properties.dump(), c.at});
        }
    }
    Status outcome = tags_->RecordRuleChanges(rule_changes);
    for (size_t begin = 0; begin < events.size(); begin += kEventsPerWrite) {
        std::vector<cdp::SystemEvent> chunk(
            events.begin() + static_cast<std::ptrdiff_t>(begin),
            events.begin() + static_cast<std::ptrdiff_t>(std::min(events.size(), begin + kEventsPerWrite)));
        auto stored = repo_.AppendSystemEvents(chunk);
        if (!stored.ok()) {
            outcome = stored.status();
            continue;
        }
        std::vector<engine::EventInput> inputs;
        std::map<int64_t, std::vector<int64_t>> touch;
        inputs.reserve(stored->size());
        for (const auto& e : stored.value()) {
            inputs.push_back(
                engine::EventInput{e.tenant_id, e.customer_id, e.type, e.name, e.timestamp, e.revenue, e.properties});
            touch[e.tenant_id].push_back(e.customer_id);
        }
        events_->Append(inputs);
        for (auto& [tenant_id, ids] : touch) {
            std::sort(ids.begin(), ids.end());
            ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
            engine_->Touch(tenant_id, ids);
        }
    }
    return outcome;
}

void SegmentSync::OnEvents(const std::vector<cdp::StoredEvent>& events) {
    std::map<int64_t, std::vector<int64_t>> touch;
    for (const auto& e : events) touch[e.tenant_id].push_back(e.customer_id);
    for (auto& [tenant_id, ids] : touch) {
        std::sort(ids.begin(), ids.end());
        ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
        engine_->Touch(tenant_id, ids);
    }
    Wake();  // identify traits and new customers are in the change log
}

Status SegmentSync::Refresh() {
    engine_->Refresh();
    return RecordSizes(std::nullopt, std::nullopt);
}

Status SegmentSync::RecordSizes(std::optional<int64_t> tenant_id, std::optional<int64_t> segment_id) {
    std::vector<Key> keys;
    std::map<int64_t, std::string> zones;
    {
        std::lock_guard lock(mu_);
        for (const auto& [key, saved] : saved_) {
            if (key.second <= 0 || (tenant_id && key.first != *tenant_id)) continue;
            if (segment_id && key.second != *segment_id) continue;
            keys.push_back(key);
        }
        for (const auto& [id, s] : settings_) zones[id] = s.time_zone;
    }
    TimeMs now = NowMs();
    std::vector<cdp::SegmentSizeRow> rows;
    for (const auto& [tenant, id] : keys) {
        auto size = engine_->Size(tenant, id);
        if (!size) continue;
        auto zone = zones.find(tenant);
        rows.push_back(cdp::SegmentSizeRow{
            tenant, id, LocalDate(now, zone != zones.end() ? zone->second : "Asia/Shanghai"), *size});
    }
    return repo_.RecordSizes(rows);
}

void SegmentSync::ApplySettings(const cdp::TenantProfileSettings& s) {
    engine_->SetSettings(s.tenant_id, ToSettings(s));
    std::lock_guard lock(mu_);
    settings_[s.tenant_id] = s;
}

Status SegmentSync::ReloadSettings() {
    SIYU_ASSIGN_OR_RETURN(auto all, feed_.TenantSettings());
    for (const auto& s : all) {
        bool known = false, same = false;
        {
            std::lock_guard lock(mu_);
            auto it = settings_.find(s.tenant_id);
            known = it != settings_.end();
            same = known && SameSettings(it->second, s);
        }
        if (same) continue;
        ApplySettings(s);
        if (known) Recompute(s.tenant_id);
    }
    return Status::Ok();
}

Status SegmentSync::ReloadTenant(int64_t tenant_id) {
    SIYU_ASSIGN_OR_RETURN(auto all, feed_.TenantSettings());
    for (const auto& s : all) {
        if (s.tenant_id != tenant_id) continue;
        ApplySettings(s);
        Recompute(tenant_id);
    }
    return Status::Ok();
}

std::string SegmentSync::TimeZoneOf(int64_t tenant_id) const {
    std::lock_guard lock(mu_);
    auto it = settings_.find(tenant_id);
    return it != settings_.end() ? it->second.time_zone : "Asia/Shanghai";
}

void SegmentSync::Recompute(int64_t tenant_id) {
    std::lock_guard write(write_mu_);
    std::vector<int64_t> keys;
    {
        std::lock_guard lock(mu_);
        for (const auto& [key, saved] : saved_) {
            if (key.first == tenant_id) keys.push_back(key.second);
        }
    }
    PutInOrder(tenant_id, std::move(keys));
}

void SegmentSync::PutInOrder(int64_t tenant_id, std::vector<int64_t> keys) {
    std::map<int64_t, engine::NodePtr> rules;
    {
        std::lock_guard lock(mu_);
        for (int64_t key : keys) {
            auto it = saved_.find({tenant_id, key});
            if (it == saved_.end()) continue;
            auto rule = engine::ParseRule(it->second.rule);
            if (!rule.ok()) {
                spdlog::warn("segments: tenant {} {}: stored rule does not parse: {}", tenant_id, KeyName(key),
                             rule.status().ToString());
                continue;
            }
            rules[key] = std::move(rule).value();
        }
    }
    // Depth-first: a rule's dependencies among `rules` go in before it.
    std::set<int64_t> done, visiting;
    std::function<void(int64_t)> put = [&](int64_t key) {
        if (done.count(key) || visiting.count(key)) return;
        visiting.insert(key);
        auto it = rules.find(key);
        for (int64_t dep : Dependencies(*it->second)) {
            if (rules.count(dep)) put(dep);
        }
        visiting.erase(key);
        done.insert(key);
        Status st = key > 0 ? engine_->PutSegment(tenant_id, key, std::move(it->second))
                            : engine_->PutRuleTag(tenant_id, -key, std::move(it->second));
        if (!st.ok()) spdlog::warn("segments: tenant {} {}: {}", tenant_id, KeyName(key), st.ToString());
    };
    for (auto& [key, rule] : rules) put(key);
}

std::vector<int64_t> SegmentSync::ReferrersOf(int64_t tenant_id, int64_t id) {
    std::vector<int64_t> out;
    std::lock_guard lock(mu_);
    for (const auto& [key, saved] : saved_) {
        if (key.first != tenant_id || key.second == id) continue;
        auto rule = engine::ParseRule(saved.rule);
        if (!rule.ok()) continue;
        auto refs = engine::CollectRefs(*rule.value());
        if (std::find(refs.segment_ids.begin(), refs.segment_ids.end(), id) != refs.segment_ids.end()) {
            out.push_back(key.second);
        }
    }
    return out;
}

Result<engine::NodePtr> SegmentSync::CheckRule(int64_t tenant_id, std::string_view rule_json) {
    SIYU_ASSIGN_OR_RETURN(engine::NodePtr rule, engine::ParseRule(rule_json));
    Status st;
    WalkNodes(
        *rule,
        [&](const engine::Node& n) -> Status {
            switch (n.kind) {
                case engine::Node::Kind::kTag: {
                    std::string field = n.path + (n.tag_op == engine::Node::TagOp::kHas ? ".id" : ".ids");
                    for (int64_t id : n.ids) {
                        if (!tags_->GetTag(tenant_id, id).ok()) {
                            return Status::InvalidArgument(field, "no tag with id " + std::to_string(id));
                        }
                    }
                    return Status::Ok();
                }
                case engine::Node::Kind::kStore:
                    for (int64_t id : n.ids) {
                        if (!stores_->Get(tenant_id, id).ok()) {
                            return Status::InvalidArgument(n.path + ".ids", "no store with id " + std::to_string(id));
                        }
                    }
                    return Status::Ok();
                case engine::Node::Kind::kSegment: {
                    std::lock_guard lock(mu_);
                    for (int64_t id : n.ids) {
                        if (!saved_.count({tenant_id, id})) {
                            return Status::InvalidArgument(n.path + ".id", "no segment with id " + std::to_string(id));
                        }
                    }
                    return Status::Ok();
                }
                default:
                    return Status::Ok();
            }
        },
        &st);
    SIYU_RETURN_IF_ERROR(st);
    return rule;
}

namespace {

Status CheckNameFree(const std::map<std::pair<int64_t, int64_t>, std::string>& names,
                     const std::set<std::pair<int64_t, int64_t>>& live, int64_t tenant_id, int64_t self,
                     const std::string& name) {
    for (const auto& key : live) {
        if (key.first != tenant_id || key.second == self || key.second <= 0) continue;
        auto it = names.find(key);
        if (it != names.end() && it->second == name) {
            return Status::AlreadyExists("name", "name: a segment named '" + name + "' exists already");
        }
    }
    return Status::Ok();
}

}  // namespace

Result<cdp::SegmentRecord> SegmentSync::Create(int64_t tenant_id, const SegmentDraft& draft, const auth::Actor& actor) {
    std::lock_guard write(write_mu_);
    SIYU_ASSIGN_OR_RETURN(engine::NodePtr rule, CheckRule(tenant_id, draft.rule));
    {
        std::lock_guard lock(mu_);
        std::set<Key> live;
        for (const auto& [key, saved] : saved_) live.insert(key);
        SIYU_RETURN_IF_ERROR(CheckNameFree(names_, live, tenant_id, 0, draft.name));
    }
    // What the engine would refuse (unindexed properties, ...) is refused before saving.
    SIYU_RETURN_IF_ERROR(engine_->Preview(tenant_id, *rule, 0).status());
    SIYU_ASSIGN_OR_RETURN(auto record,
                          repo_.Create(tenant_id, cdp::SegmentInput{draft.name, draft.description, draft.rule}, actor));
    Status put = engine_->PutSegment(tenant_id, record.id, std::move(rule));
    if (!put.ok()) {
        Status undo = repo_.Delete(tenant_id, record.id, auth::Actor{"system", std::nullopt, "segments", ""});
        if (!undo.ok()) spdlog::warn("segments: cannot undo segment {}: {}", record.id, undo.ToString());
        return put;
    }
    {
        std::lock_guard lock(mu_);
        saved_[{tenant_id, record.id}] = Saved{record.name, record.rule};
        names_[{tenant_id, record.id}] = record.name;
    }
    Status sizes = RecordSizes(tenant_id, record.id);
    if (!sizes.ok()) spdlog::warn("segments: cannot record the size of segment {}: {}", record.id, sizes.ToString());
    return record;
}

Result<cdp::SegmentRecord> SegmentSync::Replace(int64_t tenant_id, int64_t id, const SegmentDraft& draft,
                                                const auth::Actor& actor) {
    std::lock_guard write(write_mu_);
    SIYU_ASSIGN_OR_RETURN(auto existing, repo_.Get(tenant_id, id));
    SIYU_ASSIGN_OR_RETURN(engine::NodePtr rule, CheckRule(tenant_id, draft.rule));
    {
        std::lock_guard lock(mu_);
        std::set<Key> live;
        for (const auto& [key, saved] : saved_) live.insert(key);
        SIYU_RETURN_IF_ERROR(CheckNameFree(names_, live, tenant_id, id, draft.name));
    }
    Status put = engine_->PutSegment(tenant_id, id, std::move(rule));
    if (put.code() == StatusCode::kFailedPrecondition) {
        return Status(StatusCode::kFailedPrecondition, "rule: " + put.message(), "rule");
    }
    SIYU_RETURN_IF_ERROR(put);
    auto record = repo_.Replace(tenant_id, id, cdp::SegmentInput{draft.name, draft.description, draft.rule}, actor);
    if (!record.ok()) {
        auto old = engine::ParseRule(existing.rule);
        if (old.ok()) (void)engine_->PutSegment(tenant_id, id, std::move(old).value());
        return record.status();
    }
    {
        std::lock_guard lock(mu_);
        saved_[{tenant_id, id}] = Saved{record->name, record->rule};
        names_[{tenant_id, id}] = record->name;
    }
    Status sizes = RecordSizes(tenant_id, id);
    if (!sizes.ok()) spdlog::warn("segments: cannot record the size of segment {}: {}", id, sizes.ToString());
    return record;
}

Status SegmentSync::Delete(int64_t tenant_id, int64_t id, const auth::Actor& actor) {
    std::lock_guard write(write_mu_);
    SIYU_ASSIGN_OR_RETURN(auto existing, repo_.Get(tenant_id, id));
    std::vector<int64_t> referrers = ReferrersOf(tenant_id, id);
    if (!referrers.empty()) {
        std::string names;
        for (int64_t key : referrers) names += (names.empty() ? "" : ", ") + KeyName(key);
        return Status::FailedPrecondition("segment " + std::to_string(id) + " is used by " + names +
                                          "; change those rules first");
    }
    SIYU_RETURN_IF_ERROR(repo_.Delete(tenant_id, id, actor));
    engine_->RemoveSegment(tenant_id, id);
    std::lock_guard lock(mu_);
    saved_.erase({tenant_id, id});
    return Status::Ok();
}

void SegmentSync::OnRuleTagChanges(const std::vector<cdp::RuleTagChange>& changes) {
    std::lock_guard write(write_mu_);
    for (const auto& ch : changes) {
        if (!ch.rule) {
            engine_->RemoveRuleTag(ch.tenant_id, ch.tag_id);
            std::lock_guard lock(mu_);
            saved_.erase({ch.tenant_id, -ch.tag_id});
            continue;
        }
        auto rule = engine::ParseRule(*ch.rule);
        Status st = rule.ok() ? engine_->PutRuleTag(ch.tenant_id, ch.tag_id, std::move(rule).value()) : rule.status();
        if (!st.ok()) {
            spdlog::warn("segments: tenant {} rule tag {}: {}", ch.tenant_id, ch.tag_id, st.ToString());
            continue;
        }
        std::lock_guard lock(mu_);
        saved_[{ch.tenant_id, -ch.tag_id}] = Saved{"", *ch.rule};
    }
}

}  // namespace siyu::api
