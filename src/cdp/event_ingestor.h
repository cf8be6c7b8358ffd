#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "cdp/tracking_message.h"
#include "store/database.h"

namespace siyu::cdp {

// An event as committed, for whoever keeps an in-memory index of events.
struct StoredEvent {
    int64_t id = 0;
    int64_t tenant_id = 0;
    int64_t customer_id = 0;
    std::string type;
    std::string name;
    TimeMs timestamp = 0;
    std::optional<int64_t> revenue;
    std::string properties;  // JSON object text
};

struct IngestResult {
    size_t accepted = 0;
    size_t duplicates = 0;
};

// Stores tracking messages: deduplicates by messageId, resolves identities (creating, linking
// and merging customers per docs/identity.md), applies identify traits, keeps computed
// attributes current and commits it all in one transaction before returning. Thread-safe.
class EventIngestor {
  public:
    using Listener = std::function<void(const std::vector<StoredEvent>&)>;

    explicit EventIngestor(store::Database* db) : db_(db) {}

    // Called after each commit with the events it stored (from the committing thread).
    void SetListener(Listener listener) { listener_ = std::move(listener); }

    // Derived effects run inside the ingest transaction after the events are stored (the
    // loyalty programme earns on completed orders). It may append events it stored itself;
    // an error rolls the whole ingest back. Set before serving.
    using Effects = std::function<Status(store::Connection& c, int64_t tenant_id, TimeMs now,
                                         std::vector<StoredEvent>& events)>;
    void SetEffects(Effects effects) { effects_ = std::move(effects); }

    Result<IngestResult> Ingest(int64_t tenant_id, const std::vector<TrackingMessage>& messages);

  private:
    store::Database* db_;
    Listener listener_;
    Effects effects_;
};

}  // namespace siyu::cdp
