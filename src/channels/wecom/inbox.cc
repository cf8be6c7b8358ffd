#include "channels/wecom/inbox.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <pugixml.hpp>
#include <set>
#include <thread>
#include <utility>

#include "base/crypto.h"
#include "base/strings.h"

namespace siyu::channels::wecom {

using store::Connection;

namespace {

void AppendField(std::map<std::string, std::string>& fields, const std::string& name, std::string_view value) {
    auto [it, inserted] = fields.try_emplace(name, std::string(value));
    if (!inserted) {
        it->second.push_back(',');
        it->second.append(value);
    }
}

// chat:<ChatId>, else ext:<ExternalUserID>, else '' (the tenant's common lane).
std::string LaneOf(const InboxEvent& e) {
    if (const std::string& chat = e.Field("ChatId"); !chat.empty()) return "chat:" + chat;
    if (const std::string& ext = e.Field("ExternalUserID"); !ext.empty()) return "ext:" + ext;
    return "";
}

TimeMs Backoff(const InboxOptions& o, int attempts) {
    int64_t ms = std::max(o.backoff_ms, 1);
    for (int i = 1; i < attempts && ms < o.max_backoff_ms; ++i) ms *= 2;
    return std::min<int64_t>(ms, std::max(o.max_backoff_ms, 1));
}

const char kEventColumns[] =
    "SELECT id, tenant_id, received_at, xml, attempts, status, error, note, duplicates, processed_at "
    "FROM wecom_inbox ";

// Reads a row selected with kEventColumns; the fields come from its XML.
InboxEvent ReadEvent(const store::Statement& s) {
    InboxEvent e;
    std::string xml = s.Text(3);
    if (auto parsed = ParseMessageXml(xml); parsed.ok()) e = std::move(parsed).value();
    e.xml = std::move(xml);
    e.id = s.Int(0);
    e.tenant_id = s.Int(1);
    e.received_at = s.Int(2);
    e.attempts = static_cast<int>(s.Int(4));
    e.status = s.Text(5);
    e.error = s.OptText(6).value_or("");
    e.note = s.OptText(7).value_or("");
    e.duplicates = s.Int(8);
    e.processed_at = s.OptInt(9);
    return e;
}

}  // namespace

const std::string& InboxEvent::Field(const std::string& name) const {
    static const std::string kEmpty;
    auto it = fields.find(name);
    return it == fields.end() ? kEmpty : it->second;
}

Result<InboxEvent> ParseMessageXml(const std::string& xml) {
    pugi::xml_document doc;
    pugi::xml_parse_result parsed = doc.load_buffer(xml.data(), xml.size());
    if (!parsed) return Status::InvalidArgument("xml", std::string("the message is not XML: ") + parsed.description());
    pugi::xml_node root = doc.document_element();
    if (!root) return Status::InvalidArgument("xml", "the message has no root element");
    InboxEvent e;
    for (pugi::xml_node child : root.children()) {
        if (child.type() != pugi::node_element) continue;
        std::string name = child.name();
        bool nested = false;
        for (pugi::xml_node item : child.children()) {
            if (item.type() != pugi::node_element) continue;
            nested = true;
            std::string_view value = Trim(item.text().as_string());
            AppendField(e.fields, name + "/" + item.name(), value);
            AppendField(e.fields, name, value);
        }
        if (!nested) AppendField(e.fields, name, Trim(child.text().as_string()));
    }
    e.event = e.Field("Event");
    e.change_type = e.Field("ChangeType");
    e.xml = xml;
    return e;
}

struct Inbox::Impl {
    using LaneKey = std::pair<int64_t, std::string>;  // tenant, lane
    struct Lane {
        std::set<int64_t> ids;  // pending rows in id order; the first is the head
        bool running = false;
        enum class Where { kNone, kReady, kTimer } where = Where::kNone;
        int64_t ready_id = 0;
        TimeMs timer_at = 0;
    };
    enum class Outcome { kFinished, kBackoff };

    store::Database* db;
    InboxOptions options;

    std::mutex handlers_mu;
    std::map<std::string, InboxHandler> handlers;  // GUARDED_BY(handlers_mu)

    std::mutex mu;
    std::condition_variable work_cv;   // a lane became ready, a timer was set, or Stop
    std::condition_variable drain_cv;  // pending went to zero
    std::map<LaneKey, Lane> lanes;     // GUARDED_BY(mu)
    std::map<int64_t, TimeMs> due;     // GUARDED_BY(mu): pending row id → not before
    std::set<std::pair<int64_t, LaneKey>> ready;  // GUARDED_BY(mu): lanes whose head may run, by head id
    std::set<std::pair<TimeMs, LaneKey>> timers;  // GUARDED_BY(mu): lanes whose head backs off
    bool running = false;                         // GUARDED_BY(mu)
    bool stopping = false;                        // GUARDED_BY(mu)
    std::vector<std::thread> threads;

    // Puts the lane's head where it belongs (ready, timer, nowhere); drops an empty idle lane.
    void Schedule(const LaneKey& key, TimeMs now) {
        auto it = lanes.find(key);
        if (it == lanes.end()) return;
        Lane& lane = it->second;
        if (lane.where == Lane::Where::kReady) ready.erase({lane.ready_id, key});
        if (lane.where == Lane::Where::kTimer) timers.erase({lane.timer_at, key});
        lane.where = Lane::Where::kNone;
        if (lane.running) return;
        if (lane.ids.empty()) {
            lanes.erase(it);
            return;
        }
        int64_t head = *lane.ids.begin();
        TimeMs at = due[head];
        if (at <= now) {
            lane.where = Lane::Where::kReady;
            lane.ready_id = head;
            ready.insert({head, key});
        } else {
            lane.where = Lane::Where::kTimer;
            lane.timer_at = at;
            timers.insert({at, key});
        }
        work_cv.notify_one();
    }

    void Enqueue(int64_t id, int64_t tenant_id, const std::string& lane, TimeMs not_before) {
        std::lock_guard lock(mu);
        LaneKey key{tenant_id, lane};
        if (!lanes[key].ids.insert(id).second) return;
        due[id] = not_before;
        Schedule(key, NowMs());
    }

    size_t PendingLocked() const { return due.size(); }

    InboxHandler Lookup(const std::string& event, const std::string& change_type) {
        std::lock_guard lock(handlers_mu);
        if (!change_type.empty()) {
            if (auto it = handlers.find(event + "/" + change_type); it != handlers.end()) return it->second;
        }
        if (auto it = handlers.find(event); it != handlers.end()) return it->second;
        return nullptr;
    }

    Status Finish(int64_t id, const char* status, int attempts, const std::string* error, const char* note) {
        return db->Write([&](Connection& c) -> Status {
            SIYU_ASSIGN_OR_RETURN(auto stmt, c.Prepare("UPDATE wecom_inbox SET status = ?, attempts = ?, error = ?, "
                                                       "note = ?, processed_at = ? WHERE id = ?"));
            stmt.Bind(1, status).Bind(2, static_cast<int64_t>(attempts));
            if (error) {
                stmt.Bind(3, *error);
            } else {
                stmt.BindNull(3);
            }
            if (note) {
                stmt.Bind(4, note);
            } else {
                stmt.BindNull(4);
            }
            return stmt.Bind(5, NowMs()).Bind(6, id).Run();
        });
    }

    // Runs the handler for one pending row and records the outcome. `*retry_at` is set for kBackoff.
    Outcome Process(int64_t id, TimeMs* retry_at) {
        std::optional<InboxEvent> row;
        Status read = db->Read([&](Connection& c) -> Status {
            SIYU_ASSIGN_OR_RETURN(auto stmt, c.Prepare(std::string(kEventColumns) + "WHERE id = ?"));
            stmt.Bind(1, id);
            SIYU_ASSIGN_OR_RETURN(bool found, stmt.Step());
            if (found) row = ReadEvent(stmt);
            return Status::Ok();
        });
        if (!read.ok()) {
            spdlog::error("wecom inbox: cannot read row {}: {}", id, read.ToString());
            *retry_at = NowMs() + Backoff(options, 1);
            return Outcome::kBackoff;
        }
        if (!row || row->status != "pending") return Outcome::kFinished;
        InboxEvent& e = *row;
        int attempt = e.attempts + 1;
        e.attempts = attempt;
        Status recorded;
        InboxHandler handler = Lookup(e.event, e.change_type);
        if (!handler) {
            recorded = Finish(id, "done", attempt, nullptr, "ignored");
        } else {
            Status st;
            try {
                st = handler(e);
            } catch (const std::exception& ex) {
                st = Status::Internal(std::string("the handler threw: ") + ex.what());
            }
            if (st.ok()) {
                recorded = Finish(id, "done", attempt, nullptr, nullptr);
            } else if (st.code() == StatusCode::kUnavailable && attempt < options.max_attempts) {
                TimeMs at = NowMs() + Backoff(options, attempt);
                spdlog::warn("wecom inbox: row {} ({}) attempt {} unavailable, retrying: {}", id, e.event, attempt,
                             st.message());
                recorded = db->Write([&](Connection& c) -> Status {
                    SIYU_ASSIGN_OR_RETURN(auto stmt, c.Prepare("UPDATE wecom_inbox SET attempts = ?, "
                                                               "next_attempt_at = ?, error = ? WHERE id = ?"));
                    return stmt.Bind(1, static_cast<int64_t>(attempt)).Bind(2, at).Bind(3, st.message()).Bind(4, id)
                        .Run();
                });
                if (recorded.ok()) {
                    *retry_at = at;
                    return Outcome::kBackoff;
                }
            } else {
                spdlog::warn("wecom inbox: row {} ({}) failed after {} attempt(s): {}", id, e.event, attempt,
                             st.ToString());
                std::string message = st.message();
                recorded = Finish(id, "failed", attempt, &message, nullptr);
            }
        }
        if (!recorded.ok()) {
            spdlog::error("wecom inbox: cannot record the outcome of row {}: {}", id, recorded.ToString());
            *retry_at = NowMs() + Backoff(options, attempt);
            return Outcome::kBackoff;
        }
        return Outcome::kFinished;
    }

    void Work() {
        std::unique_lock lock(mu);
        while (true) {
            TimeMs now = NowMs();
            while (!timers.empty() && timers.begin()->first <= now) {
                LaneKey key = timers.begin()->second;
                Schedule(key, now);  // moves the lane from the timers to ready
            }
            if (stopping) return;
            if (ready.empty()) {
                if (timers.empty()) {
                    work_cv.wait(lock);
                } else {
                    auto wake = std::chrono::system_clock::time_point(std::chrono::milliseconds(timers.begin()->first));
                    work_cv.wait_until(lock, wake);
                }
                continue;
            }
            auto [id, key] = *ready.begin();
            ready.erase(ready.begin());
            Lane& lane = lanes[key];
            lane.where = Lane::Where::kNone;
            lane.running = true;
            lock.unlock();
            TimeMs retry_at = 0;
            Outcome outcome = Process(id, &retry_at);
            lock.lock();
            Lane& after = lanes[key];
            after.running = false;
            if (outcome == Outcome::kFinished) {
                after.ids.erase(id);
                due.erase(id);
            } else {
                due[id] = retry_at;
            }
            Schedule(key, NowMs());
            if (PendingLocked() == 0) drain_cv.notify_all();
        }
    }
};

Inbox::Inbox(store::Database* db, InboxOptions options) : impl_(std::make_unique<Impl>()) {
    impl_->db = db;
    impl_->options = options;
    if (impl_->options.workers < 1) impl_->options.workers = 1;
    if (impl_->options.max_attempts < 1) impl_->options.max_attempts = 1;
}

Inbox::~Inbox() { Stop(); }

Result<Inbox::Stored> Inbox::Store(int64_t tenant_id, const std::string& message_xml, TimeMs received_at) {
    SIYU_ASSIGN_OR_RETURN(InboxEvent parsed, ParseMessageXml(message_xml));
    std::string digest = Sha256Hex(message_xml);
    std::string lane = LaneOf(parsed);
    Stored out;
    SIYU_RETURN_IF_ERROR(impl_->db->Write([&](Connection& c) -> Status {
        out = Stored{};
        SIYU_ASSIGN_OR_RETURN(auto insert,
                              c.Prepare("INSERT OR IGNORE INTO wecom_inbox(tenant_id, digest, event, change_type, lane, "
                                        "xml, received_at) VALUES (?,?,?,?,?,?,?)"));
        SIYU_RETURN_IF_ERROR(insert.Bind(1, tenant_id)
                                 .Bind(2, digest)
                                 .Bind(3, parsed.event)
                                 .Bind(4, parsed.change_type)
                                 .Bind(5, lane)
                                 .Bind(6, message_xml)
                                 .Bind(7, received_at)
                                 .Run());
        if (c.Changes() == 1) {
            out.id = c.LastInsertId();
            out.inserted = true;
            return Status::Ok();
        }
        SIYU_ASSIGN_OR_RETURN(auto dup, c.Prepare("UPDATE wecom_inbox SET duplicates = duplicates + 1 "
                                                  "WHERE tenant_id = ? AND digest = ? RETURNING id"));
        dup.Bind(1, tenant_id).Bind(2, digest);
        SIYU_ASSIGN_OR_RETURN(bool found, dup.Step());
        if (!found) return Status::Internal("wecom inbox: a duplicate without its original row");
        out.id = dup.Int(0);
        return Status::Ok();
    }));
    if (out.inserted) impl_->Enqueue(out.id, tenant_id, lane, 0);
    return out;
}

void Inbox::Register(std::string event, InboxHandler handler) {
    std::lock_guard lock(impl_->handlers_mu);
    impl_->handlers[std::move(event)] = std::move(handler);
}

void Inbox::Start() {
    {
        std::lock_guard lock(impl_->mu);
        if (impl_->running) return;
        impl_->running = true;
        impl_->stopping = false;
    }
    struct Row {
        int64_t id, tenant_id;
        std::string lane;
        TimeMs not_before;
    };
    std::vector<Row> rows;
    Status st = impl_->db->Read([&](Connection& c) -> Status {
        SIYU_ASSIGN_OR_RETURN(auto stmt, c.Prepare("SELECT id, tenant_id, lane, next_attempt_at FROM wecom_inbox "
                                                   "WHERE status = 'pending' ORDER BY id"));
        return stmt.ForEachRow([&] { rows.push_back({stmt.Int(0), stmt.Int(1), stmt.Text(2), stmt.Int(3)}); });
    });
    if (!st.ok()) spdlog::error("wecom inbox: cannot load pending rows: {}", st.ToString());
    for (const Row& r : rows) impl_->Enqueue(r.id, r.tenant_id, r.lane, r.not_before);
    if (!rows.empty()) spdlog::info("wecom inbox: {} pending row(s) to process", rows.size());
    for (int i = 0; i < impl_->options.workers; ++i) impl_->threads.emplace_back([impl = impl_.get()] { impl->Work(); });
}

void Inbox::Stop() {
    {
        std::lock_guard lock(impl_->mu);
        if (!impl_->running) return;
        impl_->stopping = true;
    }
    impl_->work_cv.notify_all();
    for (auto& t : impl_->threads) t.join();
    impl_->threads.clear();
    std::lock_guard lock(impl_->mu);
    impl_->running = false;
    impl_->lanes.clear();
    impl_->due.clear();
    impl_->ready.clear();
    impl_->timers.clear();
    impl_->drain_cv.notify_all();
}

bool Inbox::Drain(int timeout_ms) {
    std::unique_lock lock(impl_->mu);
    return impl_->drain_cv.wait_for(lock, std::chrono::milliseconds(timeout_ms),
                                    [&] { return impl_->PendingLocked() == 0; });
}

Result<Inbox::Counts> Inbox::Stats(int64_t tenant_id) {
    Counts counts;
    SIYU_RETURN_IF_ERROR(impl_->db->Read([&](Connection& c) -> Status {
        SIYU_ASSIGN_OR_RETURN(auto stmt, c.Prepare("SELECT status, COUNT(*), SUM(duplicates) FROM wecom_inbox "
                                                   "WHERE tenant_id = ? GROUP BY status"));
        stmt.Bind(1, tenant_id);
        return stmt.ForEachRow([&] {
            std::string status = stmt.Text(0);
            int64_t n = stmt.Int(1);
            if (status == "pending") counts.pending = n;
            if (status == "done") counts.done = n;
            if (status == "failed") counts.failed = n;
            counts.duplicates += stmt.Int(2);
        });
    }));
    return counts;
}

Result<std::vector<InboxEvent>> Inbox::Failed(int64_t tenant_id, int limit) {
    std::vector<InboxEvent> out;
    SIYU_RETURN_IF_ERROR(impl_->db->Read([&](Connection& c) -> Status {
        SIYU_ASSIGN_OR_RETURN(auto stmt, c.Prepare(std::string(kEventColumns) +
                                                   "WHERE tenant_id = ? AND status = 'failed' ORDER BY id DESC LIMIT ?"));
        stmt.Bind(1, tenant_id).Bind(2, static_cast<int64_t>(std::max(limit, 0)));
        return stmt.ForEachRow([&] { out.push_back(ReadEvent(stmt)); });
    }));
    return out;
}

Result<std::vector<InboxEvent>> Inbox::Recent(int64_t tenant_id, int limit) {
    std::vector<InboxEvent> out;
    SIYU_RETURN_IF_ERROR(impl_->db->Read([&](Connection& c) -> Status {
        SIYU_ASSIGN_OR_RETURN(auto stmt, c.Prepare(std::string(kEventColumns) +
                                                   "WHERE tenant_id = ? ORDER BY id DESC LIMIT ?"));
        stmt.Bind(1, tenant_id).Bind(2, static_cast<int64_t>(std::max(limit, 0)));
        return stmt.ForEachRow([&] { out.push_back(ReadEvent(stmt)); });
    }));
    return out;
}

Status Inbox::Retry(int64_t tenant_id, int64_t id) {
    std::string lane;
    SIYU_RETURN_IF_ERROR(impl_->db->Write([&](Connection& c) -> Status {
        SIYU_ASSIGN_OR_RETURN(auto find, c.Prepare("SELECT status, lane FROM wecom_inbox WHERE tenant_id = ? AND id = ?"));
        find.Bind(1, tenant_id).Bind(2, id);
        SIYU_ASSIGN_OR_RETURN(bool found, find.Step());
        if (!found) return Status::NotFound("no inbox row " + std::to_string(id));
        if (find.Text(0) != "failed") {
            return Status::FailedPrecondition("inbox row " + std::to_string(id) + " is " + find.Text(0) +
                                              "; only failed rows can be retried");
        }
        lane = find.Text(1);
        SIYU_ASSIGN_OR_RETURN(auto update, c.Prepare("UPDATE wecom_inbox SET status = 'pending', attempts = 0, "
                                                     "next_attempt_at = 0, processed_at = NULL WHERE id = ?"));
        return update.Bind(1, id).Run();
    }));
    impl_->Enqueue(id, tenant_id, lane, 0);
    return Status::Ok();
}

}  // namespace siyu::channels::wecom
