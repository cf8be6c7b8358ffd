#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "base/time.h"
#include "store/database.h"

namespace siyu::channels::wecom {

// A decrypted callback as stored: the flat elements of the message XML
// (ToUserName, CreateTime, MsgType, Event, ChangeType, UserID, ExternalUserID, State,
// WelcomeCode, ChatId, UpdateDetail, JoinScene, MemChangeCnt, MemChangeList/Item…, Id, TagType,
// FailReason, …). Repeated elements (e.g. several <Item>) are joined with ',' under their name.
struct InboxEvent {
    int64_t id = 0;
    int64_t tenant_id = 0;
    TimeMs received_at = 0;
    std::string event;        // the <Event> value, e.g. change_external_contact
    std::string change_type;  // the <ChangeType> value, may be empty
    std::map<std::string, std::string> fields;
    std::string xml;  // the decrypted message
    int attempts = 0;  // this run's attempt number (1 on the first run)
    // As listed by Inbox::Failed: status (pending | done | failed), the last error, the note
    // ("ignored" for unregistered events), times a duplicate arrived, when it finished.
    std::string status;
    std::string error;
    std::string note;
    int64_t duplicates = 0;
    std::optional<TimeMs> processed_at;
    const std::string& Field(const std::string& name) const;  // "" when absent
};

// A handler for one <Event> kind. Runs at least once per stored callback (a crash between
// its commit and the inbox marking the row done runs it again), so it must be idempotent per
// InboxEvent::id (e.g. CDP message ids "wecom-inbox-<id>"). Unavailable: retried with backoff;
// any other error: the row is marked failed with the message (listed by the API, retryable).
using InboxHandler = std::function<Status(const InboxEvent&)>;

struct InboxOptions {
    int workers = 2;
    int max_attempts = 10;
    // Backoff after an Unavailable outcome: backoff_ms * 2^(attempts - 1), at most max_backoff_ms.
    int backoff_ms = 500;
    int max_backoff_ms = 60'000;
};

// The durable inbox: the callback endpoint stores each decrypted message (deduplicated by
// tenant and a hash of the plaintext, so WeCom's retries are recognised) and answers at once;
// workers process rows in arrival order per tenant and lane (a lane is the ChatId, else the
// ExternalUserID, else the whole tenant): a row runs only after every earlier row of its lane has
// finished. Rows that were pending when the process stopped are processed after Start. Thread-safe.
class Inbox {
  public:
    Inbox(store::Database* db, InboxOptions options);
    ~Inbox();

    // Stores one decrypted message. Returns the row id and whether it was new (false for a
    // duplicate, which is not processed again).
    struct Stored {
        int64_t id = 0;
        bool inserted = false;
    };
    // InvalidArgument (field "xml") when the message is not XML; nothing is stored then.
    Result<Stored> Store(int64_t tenant_id, const std::string& message_xml, TimeMs received_at);

    // `event` is an <Event> value or "<Event>/<ChangeType>"; the more specific registration
    // wins. Events without a handler are marked done with the note "ignored". Call before Start.
    void Register(std::string event, InboxHandler handler);
    void Start();
    void Stop();
    // Blocks until every stored row is processed or failed, or `timeout_ms` passes (tests, load test).
    bool Drain(int timeout_ms);

    struct Counts {
        int64_t pending = 0, done = 0, failed = 0, duplicates = 0;
    };
    Result<Counts> Stats(int64_t tenant_id);
    // The most recent failed rows first.
    Result<std::vector<InboxEvent>> Failed(int64_t tenant_id, int limit);
    // The most recent rows of any status first.
    Result<std::vector<InboxEvent>> Recent(int64_t tenant_id, int limit);
    // Makes a failed row pending again (attempts start over). NotFound for another tenant's or
    // an unknown row; FailedPrecondition unless the row is failed.
    Status Retry(int64_t tenant_id, int64_t id);

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

// Parses the flat elements of a WeCom message XML (pugixml). InvalidArgument when not XML.
Result<InboxEvent> ParseMessageXml(const std::string& xml);

}  // namespace siyu::channels::wecom
