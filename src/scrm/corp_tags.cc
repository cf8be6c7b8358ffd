#include "scrm/corp_tags.h"

#include <spdlog/spdlog.h>

#include <map>
#include <set>

namespace siyu::scrm {

using channels::Delivery;
using store::Connection;

namespace {

const auth::Actor& WecomActor() {
    static const auth::Actor kActor{"system", std::nullopt, "wecom", ""};
    return kActor;
}

std::string Str(const Json& o, const char* key) {
    auto it = o.find(key);
    if (it == o.end() || !it->is_string()) return {};
    return it->get<std::string>();
}

int64_t Int(const Json& o, const char* key) {
    auto it = o.find(key);
    if (it == o.end() || !it->is_number_integer()) return 0;
    return it->get<int64_t>();
}

bool Deleted(const Json& o) { return o.value("deleted", false) == true; }

}  // namespace

CorpTags::~CorpTags() { Stop(); }

Status CorpTags::Reconcile(int64_t tenant_id, const Json& groups, bool complete, const auth::Actor& actor,
                           CorpTagSyncReport* r) {
    SIYU_ASSIGN_OR_RETURN(auto local_groups, tags_->ListGroups(tenant_id));
    SIYU_ASSIGN_OR_RETURN(auto local_tags, tags_->ListTags(tenant_id, cdp::TagFilter{}));
    std::set<std::string> seen_groups;
    for (const auto& g : groups) {
        if (!g.is_object()) continue;
        std::string gid = Str(g, "group_id");
        if (gid.empty()) continue;
        const cdp::TagGroup* local = nullptr;
        for (const auto& lg : local_groups) {
            if (lg.wecom_group_id == gid) local = &lg;
        }
        if (Deleted(g)) {
            if (local) {
                SIYU_RETURN_IF_ERROR(tags_->DeleteGroup(tenant_id, local->id, true, actor));
                ++r->groups_deleted;
            }
            continue;
        }
        seen_groups.insert(gid);
        std::string name = Str(g, "group_name");
        int64_t group_id = 0;
        if (!local) {
            for (const auto& lg : local_groups) {
                if (!lg.wecom_group_id && lg.name == name) local = &lg;
            }
            cdp::TagGroupInput in;
            in.wecom_group_id = std::optional<std::string>(gid);
            if (local) {
                SIYU_RETURN_IF_ERROR(tags_->UpdateGroup(tenant_id, local->id, in, actor).status());
                group_id = local->id;
                ++r->groups_linked;
            } else {
                in.name = name.empty() ? gid : name;
                in.sort_order = Int(g, "order");
                SIYU_ASSIGN_OR_RETURN(auto created, tags_->CreateGroup(tenant_id, in, actor));
                group_id = created.id;
                ++r->groups_created;
            }
        } else {
            group_id = local->id;
            if (!name.empty() && local->name != name) {
                cdp::TagGroupInput in;
                in.name = name;
                auto updated = tags_->UpdateGroup(tenant_id, local->id, in, actor);
                if (updated.ok()) {
                    ++r->groups_updated;
                } else {
                    spdlog::warn("tenant={} corp tag group {}: {}", tenant_id, gid, updated.status().message());
                }
            }
        }
        std::set<std::string> seen_tags;
        for (const auto& t : g.value("tag", Json::array())) {
            std::string tid = Str(t, "id");
            if (tid.empty()) continue;
            const cdp::Tag* lt = nullptr;
            for (const auto& x : local_tags) {
                if (x.wecom_tag_id == tid) lt = &x;
            }
            if (Deleted(t)) {
                if (lt) {
                    SIYU_RETURN_IF_ERROR(tags_->DeleteTag(tenant_id, lt->id, actor));
                    ++r->tags_deleted;
                }
                continue;
            }
            seen_tags.insert(tid);
            std::string tname = Str(t, "name");
            if (!lt) {
                for (const auto& x : local_tags) {
                    if (!x.wecom_tag_id && x.group_id == group_id && x.name == tname && !x.rule) lt = &x;
                }
                cdp::TagInput in;
                in.wecom_tag_id = std::optional<std::string>(tid);
                if (lt) {
                    SIYU_RETURN_IF_ERROR(tags_->UpdateTag(tenant_id, lt->id, in, actor).status());
                    ++r->tags_linked;
                } else {
                    in.group_id = group_id;
                    in.name = tname.empty() ? tid : tname;
                    in.sort_order = Int(t, "order");
                    SIYU_RETURN_IF_ERROR(tags_->CreateTag(tenant_id, in, actor).status());
                    ++r->tags_created;
                }
            } else if (!tname.empty() && lt->name != tname) {
                cdp::TagInput in;
                in.name = tname;
                auto updated = tags_->UpdateTag(tenant_id, lt->id, in, actor);
                if (updated.ok()) {
                    ++r->tags_updated;
                } else {
                    spdlog::warn("tenant={} corp tag {}: {}", tenant_id, tid, updated.status().message());
                }
            }
        }
        if (complete) {
            for (const auto& x : local_tags) {
                if (x.group_id == group_id && x.wecom_tag_id && !seen_tags.count(*x.wecom_tag_id)) {
                    SIYU_RETURN_IF_ERROR(tags_->DeleteTag(tenant_id, x.id, actor));
                    ++r->tags_deleted;
                }
            }
        }
    }
    return Status::Ok();
}

Status CorpTags::OnTagChange(const channels::wecom::InboxEvent& e) {
    const int64_t tenant = e.tenant_id;
    const std::string& id = e.Field("Id");
    const std::string& type = e.Field("TagType");
    if (id.empty()) return Status::InvalidArgument("Id", "the callback names no tag");
    CorpTagSyncReport report;
    if (e.change_type == "delete") {
        if (type == "tag_group") {
            SIYU_ASSIGN_OR_RETURN(auto groups, tags_->ListGroups(tenant));
            for (const auto& g : groups) {
                if (g.wecom_group_id == id) SIYU_RETURN_IF_ERROR(tags_->DeleteGroup(tenant, g.id, true, WecomActor()));
            }
        } else {
            SIYU_ASSIGN_OR_RETURN(auto tags, tags_->ListTags(tenant, cdp::TagFilter{}));
            for (const auto& t : tags) {
                if (t.wecom_tag_id == id) SIYU_RETURN_IF_ERROR(tags_->DeleteTag(tenant, t.id, WecomActor()));
            }
        }
        return Status::Ok();
    }
    // create, update, shuffle: fetch what changed and reconcile it.
    Json body = type == "tag_group" ? Json{{"group_id", Json::array({id})}} : Json{{"tag_id", Json::array({id})}};
    auto got = wecom_->call(tenant, channels::wecom::App::kContact, "/cgi-bin/externalcontact/get_corp_tag_list",
                            &body, {});
    if (!got.ok()) return got.status();
    return Reconcile(tenant, got->value("tag_group", Json::array()), type == "tag_group", WecomActor(), &report);
}

Result<CorpTagSyncReport> CorpTags::Sync(int64_t tenant_id, const auth::Actor& actor) {
    if (!wecom_->call) return Status::FailedPrecondition("WeCom is not available");
    Json body = Json::object();
    SIYU_ASSIGN_OR_RETURN(Json got, wecom_->call(tenant_id, channels::wecom::App::kContact,
                                                 "/cgi-bin/externalcontact/get_corp_tag_list", &body, {}));
    Json groups = got.value("tag_group", Json::array());
    CorpTagSyncReport report;
    SIYU_RETURN_IF_ERROR(Reconcile(tenant_id, groups, true, actor, &report));
    std::set<std::string> listed;
    for (const auto& g : groups) {
        if (g.is_object() && !Deleted(g)) listed.insert(Str(g, "group_id"));
    }
    SIYU_ASSIGN_OR_RETURN(auto local_groups, tags_->ListGroups(tenant_id));
    for (const auto& g : local_groups) {
        if (g.wecom_group_id && !listed.count(*g.wecom_group_id)) {
            SIYU_RETURN_IF_ERROR(tags_->DeleteGroup(tenant_id, g.id, true, actor));
            ++report.groups_deleted;
        }
    }
    SIYU_ASSIGN_OR_RETURN(report.pushed, PushPending(tenant_id));
    return report;
}

Result<int64_t> CorpTags::PushPending(int64_t tenant_id) {
    if (!wecom_->enqueue) return int64_t{0};
    int64_t queued = 0;
    TimeMs now = wecom_->now();
    SIYU_RETURN_IF_ERROR(db_->Write([&](Connection& c) -> Status {
        queued = 0;
        SIYU_ASSIGN_OR_RETURN(auto s, c.Prepare("SELECT t.id FROM tags t JOIN tag_groups g ON g.id = t.group_id WHERE "
                                                "t.tenant_id = ? AND t.deleted_at IS NULL AND t.rule IS NULL AND "
                                                "t.wecom_tag_id IS NULL AND g.wecom_group_id IS NOT NULL AND "
                                                "g.deleted_at IS NULL AND NOT EXISTS (SELECT 1 FROM wecom_tag_pushes p "
                                                "WHERE p.tenant_id = t.tenant_id AND p.tag_id = t.id) ORDER BY t.id"));
        s.Bind(1, tenant_id);
        std::vector<int64_t> ids;
        SIYU_RETURN_IF_ERROR(s.ForEachRow([&] { ids.push_back(s.Int(0)); }));
        for (int64_t id : ids) {
            channels::EnqueueOptions opt;
            opt.dedupe_key = "corp-tag-" + std::to_string(id);
            SIYU_ASSIGN_OR_RETURN(int64_t msg, wecom_->enqueue(c, tenant_id, kCorpTagKind, Json{{"tag_id", id}}, opt));
            SIYU_ASSIGN_OR_RETURN(auto ins, c.Prepare("INSERT INTO wecom_tag_pushes(tenant_id, tag_id, outbox_id, "
                                                      "created_at) VALUES (?, ?, ?, ?)"));
            SIYU_RETURN_IF_ERROR(ins.Bind(1, tenant_id).Bind(2, id).Bind(3, msg).Bind(4, now).Run());
            ++queued;
        }
        return Status::Ok();
    }));
    if (queued > 0) wecom_->Wake();
    return queued;
}

Delivery CorpTags::Deliver(const channels::OutboxMessage& m) {
    int64_t tag_id = m.payload.value("tag_id", int64_t{0});
    std::optional<std::string> group_wecom_id;
    std::string name;
    bool pending = false;
    Status read = db_->Read([&](Connection& c) -> Status {
        SIYU_ASSIGN_OR_RETURN(auto s, c.Prepare("SELECT t.name, g.wecom_group_id FROM tags t JOIN tag_groups g ON "
                                                "g.id = t.group_id WHERE t.tenant_id = ? AND t.id = ? AND "
                                                "t.deleted_at IS NULL AND t.wecom_tag_id IS NULL"));
        s.Bind(1, m.tenant_id).Bind(2, tag_id);
        SIYU_ASSIGN_OR_RETURN(pending, s.Step());
        if (pending) {
            name = s.Text(0);
            group_wecom_id = s.OptText(1);
        }
        return Status::Ok();
    });
    if (!read.ok()) return Delivery::Retry(read.message());
    if (!pending || !group_wecom_id) return Delivery::Done({{"skipped", "the tag is gone or already in WeCom"}});
    Json body = {{"group_id", *group_wecom_id}, {"tag", Json::array({{{"name", name}}})}};
    auto answer = wecom_->call(m.tenant_id, channels::wecom::App::kContact, "/cgi-bin/externalcontact/add_corp_tag",
                               &body, {});
    Json tags = Json::array();
    if (answer.ok()) {
        tags = answer->value("tag_group", Json::object()).value("tag", Json::array());
    } else if (answer.status().code() == StatusCode::kUnavailable) {
        return Delivery::Retry(answer.status().message());
    } else {
        // The name may already exist in WeCom: link to it.
        Json query = {{"group_id", Json::array({*group_wecom_id})}};
        auto list = wecom_->call(m.tenant_id, channels::wecom::App::kContact,
                                 "/cgi-bin/externalcontact/get_corp_tag_list", &query, {});
        if (!list.ok()) return DeliveryOf(answer.status());
        for (const auto& g : list->value("tag_group", Json::array())) {
            for (const auto& t : g.value("tag", Json::array())) tags.push_back(t);
        }
    }
    std::string wecom_id;
    for (const auto& t : tags) {
        if (Str(t, "name") == name) wecom_id = Str(t, "id");
    }
    if (wecom_id.empty()) {
        return answer.ok() ? Delivery::Fail("add_corp_tag answered without the tag") : DeliveryOf(answer.status());
    }
    Status st = db_->Write([&](Connection& c) -> Status {
        SIYU_ASSIGN_OR_RETURN(auto u, c.Prepare("UPDATE tags SET wecom_tag_id = ?, updated_at = ? WHERE tenant_id = ? "
                                                "AND id = ? AND wecom_tag_id IS NULL"));
        return u.Bind(1, wecom_id).Bind(2, wecom_->now()).Bind(3, m.tenant_id).Bind(4, tag_id).Run();
    });
    if (!st.ok()) return Delivery::Retry(st.message());
    return Delivery::Done({{"tag_id", tag_id}, {"wecom_tag_id", wecom_id}});
}

void CorpTags::Start(int interval_ms) {
    std::lock_guard<std::mutex> lock(mu_);
    if (thread_.joinable()) return;
    stopping_ = false;
    thread_ = std::thread([this, interval_ms] { Run(interval_ms); });
}

void CorpTags::Stop() {
    {
        std::lock_guard<std::mutex> lock(mu_);
        stopping_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
}

void CorpTags::Run(int interval_ms) {
    while (true) {
        {
            std::unique_lock<std::mutex> lock(mu_);
            cv_.wait_for(lock, std::chrono::milliseconds(interval_ms), [this] { return stopping_; });
            if (stopping_) return;
        }
        std::vector<int64_t> tenants;
        Status st = db_->Read([&](Connection& c) -> Status {
            SIYU_ASSIGN_OR_RETURN(auto s, c.Prepare("SELECT DISTINCT tenant_id FROM tag_groups WHERE wecom_group_id IS "
                                                    "NOT NULL AND deleted_at IS NULL"));
            return s.ForEachRow([&] { tenants.push_back(s.Int(0)); });
        });
        if (!st.ok()) continue;
        for (int64_t t : tenants) {
            auto pushed = PushPending(t);
            if (!pushed.ok()) spdlog::warn("tenant={} corp tag push: {}", t, pushed.status().message());
        }
    }
}

}  // namespace siyu::scrm
