#pragma once

// Corp tags (企业标签) kept in step with siyu's tag groups and tags in both directions:
// - WeCom → siyu: the change_external_tag callback (create, update, delete, shuffle of a tag or
//   a tag group) and a full pull (get_corp_tag_list) reconcile siyu's groups and tags by their
//   wecom_group_id / wecom_tag_id, linking same-named ones that have none yet;
// - siyu → WeCom: a follower thread finds tags created in siyu inside a group linked to WeCom
//   and pushes each once with add_corp_tag through the outbox (kind "scrm.corp_tag"); the
//   delivery stores the WeCom tag id on the tag. PushPending does the same on demand.
// Thread-safe.

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>

#include "auth/audit_log.h"
#include "cdp/tags.h"
#include "channels/wecom/inbox.h"
#include "scrm/wecom_gateway.h"
#include "store/database.h"

namespace siyu::scrm {

inline constexpr char kCorpTagKind[] = "scrm.corp_tag";

struct CorpTagSyncReport {
    int64_t groups_created = 0, groups_linked = 0, groups_updated = 0, groups_deleted = 0;
    int64_t tags_created = 0, tags_linked = 0, tags_updated = 0, tags_deleted = 0;
    int64_t pushed = 0;  // siyu tags queued for add_corp_tag
};

class CorpTags {
  public:
    CorpTags(store::Database* db, const WecomGateway* wecom, cdp::TagRepository* tags)
        : db_(db), wecom_(wecom), tags_(tags) {}
    ~CorpTags();

    // change_external_tag.
    Status OnTagChange(const channels::wecom::InboxEvent& e);
    // Pulls every corp tag and reconciles: WeCom's groups and tags are created, linked or
    // renamed in siyu; linked ones WeCom no longer has are deleted; then PushPending.
    Result<CorpTagSyncReport> Sync(int64_t tenant_id, const auth::Actor& actor);
    // Queues add_corp_tag for the tenant's unpushed tags in linked groups; answers how many.
    Result<int64_t> PushPending(int64_t tenant_id);
    // The outbox handler of kCorpTagKind: payload {"tag_id"}.
    channels::Delivery Deliver(const channels::OutboxMessage& message);

    // The follower: PushPending for every tenant with linked groups every `interval_ms`.
    void Start(int interval_ms = 2000);
    void Stop();

  private:
    Status Reconcile(int64_t tenant_id, const Json& groups, bool complete, const auth::Actor& actor,
                     CorpTagSyncReport* report);
    void Run(int interval_ms);

    store::Database* db_;
    const WecomGateway* wecom_;
    cdp::TagRepository* tags_;
    std::mutex mu_;
    std::condition_variable cv_;
    bool stopping_ = false;  // guarded by mu_
    std::thread thread_;
};

}  // namespace siyu::scrm
