#include "channels/outbox.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <random>
#include <thread>

namespace siyu::channels {
namespace {

constexpr const char* kColumns =
    "id, tenant_id, kind, payload, attempts, max_attempts, created_at, deadline_at, status, last_error, result, "
    "next_attempt_at, updated_at, coalesce(dedupe_key, ''), lease_until";

OutboxMessage ReadMessage(store::Statement& s, TimeMs now) {
    OutboxMessage m;
    m.id = s.Int(0);
    m.tenant_id = s.Int(1);
    m.kind = s.Text(2);
    m.payload = Json::parse(s.Text(3), nullptr, false);
    m.attempts = static_cast<int>(s.Int(4));
    m.max_attempts = static_cast<int>(s.Int(5));
    m.created_at = s.Int(6);
    m.deadline_at = s.Int(7);
    m.status = s.Text(8);
    m.last_error = s.Text(9);
    if (auto r = s.OptText(10)) m.result = Json::parse(*r, nullptr, false);
    m.next_attempt_at = s.Int(11);
    m.updated_at = s.Int(12);
    m.dedupe_key = s.Text(13);
    m.in_flight = m.status == "pending" && s.Int(14) > now;
    return m;
}

double Jitter() {
    thread_local std::mt19937_64 rng{std::random_device{}()};
    return std::uniform_real_distribution<double>(0.75, 1.25)(rng);
}

}  // namespace

struct Outbox::Impl {
    store::Database* db;
    OutboxOptions options;

    std::mutex mu;
    std::condition_variable dispatch_cv;  // the dispatcher: wake-ups and idle workers
    std::condition_variable work_cv;      // workers: claimed messages
    std::condition_variable settled_cv;   // Wait(): a message was settled
    std::map<std::string, OutboxHandler, std::less<>> handlers;
    std::deque<OutboxMessage> queue;  // claimed, not yet picked up by a worker
    int idle = 0;
    bool woken = true;
    bool stopping = false;
    bool started = false;
    std::thread dispatcher;
    std::vector<std::thread> workers;
    std::string kinds_json = "[]";  // the registered kinds, for the claim query

    TimeMs Backoff(int attempt) const {
        double delay = options.backoff_base_ms;
        for (int i = 1; i < attempt && delay < options.backoff_max_ms; ++i) delay *= 2;
        delay = std::min<double>(delay, options.backoff_max_ms);
        return static_cast<TimeMs>(delay * Jitter());
    }

    // Clears the leases of a previous run: those messages were in flight when it stopped.
    Status ReleaseStaleLeases() {
        return db->Write([&](store::Connection& c) -> Status {
            TimeMs now = NowMs();
            SIYU_ASSIGN_OR_RETURN(auto s, c.Prepare("UPDATE outbox SET lease_until = 0, next_attempt_at = ?, "
                                                    "updated_at = ? WHERE status = 'pending' AND lease_until > 0"));
            SIYU_RETURN_IF_ERROR(s.Bind(1, now).Bind(2, now).Run());
            if (c.Changes() > 0) spdlog::info("outbox: {} message(s) in flight at the last stop will be delivered again",
                                              c.Changes());
            return Status::Ok();
        });
    }

    // Claims up to `limit` due messages of registered kinds; due messages past their deadline
    // go to the dead letters unsent.
    Result<std::vector<OutboxMessage>> Claim(int limit) {
        std::vector<OutboxMessage> claimed;
        Status st = db->Write([&](store::Connection& c) -> Status {
            claimed.clear();
            TimeMs now = NowMs();
            std::vector<OutboxMessage> due;
            {
                SIYU_ASSIGN_OR_RETURN(
                    auto s, c.Prepare(std::string("SELECT ") + kColumns +
                                      " FROM outbox WHERE status = 'pending' AND next_attempt_at <= ? AND kind IN "
                                      "(SELECT value FROM json_each(?)) ORDER BY next_attempt_at, id LIMIT ?"));
                s.Bind(1, now).Bind(2, kinds_json).Bind(3, static_cast<int64_t>(limit));
                SIYU_RETURN_IF_ERROR(s.ForEachRow([&] { due.push_back(ReadMessage(s, now)); }));
            }
            for (auto& m : due) {
                if (m.deadline_at > 0 && m.deadline_at <= now) {
                    SIYU_ASSIGN_OR_RETURN(auto s, c.Prepare("UPDATE outbox SET status = 'dead', last_error = ?, "
                                                            "lease_until = 0, updated_at = ?, finished_at = ? "
                                                            "WHERE id = ?"));
                    SIYU_RETURN_IF_ERROR(s.Bind(1, "deadline passed").Bind(2, now).Bind(3, now).Bind(4, m.id).Run());
                    spdlog::warn("outbox: message {} ({}) dead: deadline passed", m.id, m.kind);
                    continue;
                }
                TimeMs lease = now + options.lease_ms;
                SIYU_ASSIGN_OR_RETURN(auto s, c.Prepare("UPDATE outbox SET attempts = attempts + 1, lease_until = ?, "
                                                        "next_attempt_at = ?, updated_at = ? WHERE id = ?"));
                SIYU_RETURN_IF_ERROR(s.Bind(1, lease).Bind(2, lease).Bind(3, now).Bind(4, m.id).Run());
                claimed.push_back(std::move(m));
            }
            return Status::Ok();
        });
        if (!st.ok()) return st;
        return claimed;
    }

    // Records the outcome of the delivery of `m` (claimed with attempts = m.attempts + 1). A
    // message that was claimed again meanwhile (lease expired, restart) is left alone.
    void Settle(const OutboxMessage& m, const Delivery& d) {
        int claim = m.attempts + 1;
        Status st = db->Write([&](store::Connection& c) -> Status {
            TimeMs now = NowMs();
            std::string status = "dead";
            std::string error = d.error;
            TimeMs next = now;
            if (d.kind == Delivery::Kind::kDone) {
                status = "done";
                error.clear();
            } else if (d.kind == Delivery::Kind::kRetry) {
                next = now + Backoff(claim);
                if (claim >= m.max_attempts) {
                    error = "gave up after " + std::to_string(claim) + " attempts: " + d.error;
                } else if (m.deadline_at > 0 && next >= m.deadline_at) {
                    error = "deadline passed before the next attempt: " + d.error;
                } else {
                    status = "pending";
                }
            }
            SIYU_ASSIGN_OR_RETURN(
                auto s, c.Prepare("UPDATE outbox SET status = ?, last_error = ?, result = ?, next_attempt_at = ?, "
                                  "lease_until = 0, updated_at = ?, finished_at = ? WHERE id = ? AND "
                                  "status = 'pending' AND attempts = ? AND lease_until > 0"));
            s.Bind(1, status).Bind(2, error);
            if (status == "done") {
                s.Bind(3, d.result.is_null() ? std::string("{}") : d.result.dump());
            } else {
                s.BindNull(3);
            }
            s.Bind(4, next).Bind(5, now);
            if (status == "pending") {
                s.BindNull(6);
            } else {
                s.Bind(6, now);
            }
            SIYU_RETURN_IF_ERROR(s.Bind(7, m.id).Bind(8, static_cast<int64_t>(claim)).Run());
            if (c.Changes() == 0) return Status::Ok();
            if (status == "dead") {
                spdlog::warn("outbox: message {} ({}) dead after {} attempt(s): {}", m.id, m.kind, claim, error);
            } else if (status == "pending") {
                spdlog::info("outbox: message {} ({}) attempt {} failed, retry in {} ms: {}", m.id, m.kind, claim,
                             next - now, error);
            }
            return Status::Ok();
        });
        if (!st.ok()) spdlog::error("outbox: recording the outcome of message {}: {}", m.id, st.ToString());
        settled_cv.notify_all();
    }

    Delivery Deliver(const OutboxMessage& m) {
        if (m.deadline_at > 0 && m.deadline_at <= NowMs()) return Delivery::Fail("deadline passed");
        const OutboxHandler* handler = nullptr;
        {
            std::lock_guard lock(mu);
            auto it = handlers.find(m.kind);
            if (it != handlers.end()) handler = &it->second;
        }
        if (handler == nullptr) return Delivery::Retry("no handler for kind " + m.kind);
        try {
            return (*handler)(m);
        } catch (const std::exception& e) {
            return Delivery::Retry(std::string("handler raised: ") + e.what());
        }
    }

    void DispatchLoop() {
        while (true) {
            int capacity = 0;
            {
                std::unique_lock lock(mu);
                dispatch_cv.wait_for(lock, std::chrono::milliseconds(options.poll_ms), [&] {
                    return stopping || (woken && idle > static_cast<int>(queue.size()));
                });
                if (stopping) return;
                woken = false;
                capacity = idle - static_cast<int>(queue.size());
            }
            if (capacity <= 0) continue;
            auto claimed = Claim(capacity);
            if (!claimed.ok()) {
                spdlog::error("outbox: claiming messages: {}", claimed.status().ToString());
                continue;
            }
            std::lock_guard lock(mu);
            if (static_cast<int>(claimed->size()) == capacity) woken = true;  // there may be more
            for (auto& m : *claimed) queue.push_back(std::move(m));
            work_cv.notify_all();
        }
    }

    void WorkLoop() {
        std::unique_lock lock(mu);
        while (true) {
            ++idle;
            dispatch_cv.notify_one();
            work_cv.wait(lock, [&] { return stopping || !queue.empty(); });
            --idle;
            if (stopping) return;
            OutboxMessage m = std::move(queue.front());
            queue.pop_front();
            lock.unlock();
            Delivery d = Deliver(m);
            Settle(m, d);
            lock.lock();
            woken = true;
        }
    }

    Result<OutboxMessage> Get(int64_t tenant_id, int64_t id) {
        std::optional<OutboxMessage> found;
        SIYU_RETURN_IF_ERROR(db->Read([&](store::Connection& c) -> Status {
            SIYU_ASSIGN_OR_RETURN(auto s, c.Prepare(std::string("SELECT ") + kColumns +
                                                    " FROM outbox WHERE tenant_id = ? AND id = ?"));
            s.Bind(1, tenant_id).Bind(2, id);
            SIYU_ASSIGN_OR_RETURN(bool row, s.Step());
            if (row) found = ReadMessage(s, NowMs());
            return Status::Ok();
        }));
        if (!found) return Status::NotFound("no outbox message " + std::to_string(id));
        return std::move(*found);
    }
};

Outbox::Outbox(store::Database* db, OutboxOptions options) : impl_(std::make_unique<Impl>()) {
    impl_->db = db;
    impl_->options = options;
    impl_->options.workers = std::max(1, options.workers);
    impl_->options.poll_ms = std::max(1, options.poll_ms);
}

Outbox::~Outbox() { Stop(); }

Result<int64_t> Outbox::Enqueue(store::Connection& c, int64_t tenant_id, std::string_view kind, const Json& payload,
                                const EnqueueOptions& options) {
    if (kind.empty()) return Status::InvalidArgument("kind", "must not be empty");
    if (!options.dedupe_key.empty()) {
        SIYU_ASSIGN_OR_RETURN(auto s, c.Prepare("SELECT id FROM outbox WHERE tenant_id = ? AND dedupe_key = ?"));
        s.Bind(1, tenant_id).Bind(2, options.dedupe_key);
        SIYU_ASSIGN_OR_RETURN(bool row, s.Step());
        if (row) return s.Int(0);
    }
    TimeMs now = NowMs();
    SIYU_ASSIGN_OR_RETURN(
        auto s, c.Prepare("INSERT INTO outbox(tenant_id, kind, payload, max_attempts, next_attempt_at, deadline_at, "
                          "dedupe_key, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?)"));
    s.Bind(1, tenant_id).Bind(2, kind).Bind(3, payload.dump());
    s.Bind(4, static_cast<int64_t>(std::max(1, options.max_attempts)));
    s.Bind(5, std::max(now, options.not_before)).Bind(6, options.deadline_at);
    if (options.dedupe_key.empty()) {
        s.BindNull(7);
    } else {
        s.Bind(7, options.dedupe_key);
    }
    SIYU_RETURN_IF_ERROR(s.Bind(8, now).Bind(9, now).Run());
    return c.LastInsertId();
}

void Outbox::Register(std::string kind, OutboxHandler handler) {
    std::lock_guard lock(impl_->mu);
    impl_->handlers[std::move(kind)] = std::move(handler);
    Json kinds = Json::array();
    for (const auto& [name, _] : impl_->handlers) kinds.push_back(name);
    impl_->kinds_json = kinds.dump();
}

void Outbox::Start() {
    {
        std::lock_guard lock(impl_->mu);
        if (impl_->started) return;
        impl_->started = true;
        impl_->stopping = false;
    }
    if (Status st = impl_->ReleaseStaleLeases(); !st.ok()) {
        spdlog::error("outbox: releasing stale leases: {}", st.ToString());
    }
    impl_->dispatcher = std::thread([this] { impl_->DispatchLoop(); });
    for (int i = 0; i < impl_->options.workers; ++i) {
        impl_->workers.emplace_back([this] { impl_->WorkLoop(); });
    }
}

void Outbox::Stop() {
    {
        std::lock_guard lock(impl_->mu);
        if (!impl_->started) return;
        impl_->stopping = true;
    }
    impl_->dispatch_cv.notify_all();
    impl_->work_cv.notify_all();
    if (impl_->dispatcher.joinable()) impl_->dispatcher.join();
    for (auto& w : impl_->workers) w.join();
    impl_->workers.clear();
    std::deque<OutboxMessage> unstarted;
    {
        std::lock_guard lock(impl_->mu);
        unstarted.swap(impl_->queue);
        impl_->started = false;
    }
    if (unstarted.empty()) return;
    // Claimed but never handed to a handler: give the claim back.
    Status st = impl_->db->Write([&](store::Connection& c) -> Status {
        TimeMs now = NowMs();
        for (const auto& m : unstarted) {
            SIYU_ASSIGN_OR_RETURN(auto s, c.Prepare("UPDATE outbox SET attempts = attempts - 1, lease_until = 0, "
                                                    "next_attempt_at = ? WHERE id = ? AND status = 'pending' AND "
                                                    "attempts = ?"));
            SIYU_RETURN_IF_ERROR(s.Bind(1, now).Bind(2, m.id).Bind(3, static_cast<int64_t>(m.attempts + 1)).Run());
        }
        return Status::Ok();
    });
    if (!st.ok()) spdlog::warn("outbox: releasing unstarted messages: {}", st.ToString());
}

void Outbox::Wake() {
    {
        std::lock_guard lock(impl_->mu);
        impl_->woken = true;
    }
    impl_->dispatch_cv.notify_one();
}

Result<OutboxMessage> Outbox::Wait(int64_t tenant_id, int64_t id, std::chrono::milliseconds timeout) {
    auto until = std::chrono::steady_clock::now() + timeout;
    while (true) {
        SIYU_ASSIGN_OR_RETURN(auto m, impl_->Get(tenant_id, id));
        auto now = std::chrono::steady_clock::now();
        if (m.status != "pending" || now >= until) return m;
        std::unique_lock lock(impl_->mu);
        impl_->settled_cv.wait_for(lock, std::min<std::chrono::steady_clock::duration>(
                                             until - now, std::chrono::milliseconds(50)));
    }
}

Result<OutboxMessage> Outbox::Get(int64_t tenant_id, int64_t id) { return impl_->Get(tenant_id, id); }

Result<std::vector<OutboxMessage>> Outbox::List(int64_t tenant_id, std::optional<std::string> status,
                                                std::optional<int64_t> before_id, int limit) {
    std::vector<OutboxMessage> out;
    SIYU_RETURN_IF_ERROR(impl_->db->Read([&](store::Connection& c) -> Status {
        std::string sql = std::string("SELECT ") + kColumns + " FROM outbox WHERE tenant_id = ?1 AND id < ?2";
        if (status) sql += " AND status = ?4";
        sql += " ORDER BY id DESC LIMIT ?3";
        SIYU_ASSIGN_OR_RETURN(auto s, c.Prepare(sql));
        s.Bind(1, tenant_id).Bind(2, before_id.value_or(INT64_MAX)).Bind(3, static_cast<int64_t>(limit));
        if (status) s.Bind(4, *status);
        TimeMs now = NowMs();
        return s.ForEachRow([&] { out.push_back(ReadMessage(s, now)); });
    }));
    return out;
}

Result<OutboxMessage> Outbox::Retry(int64_t tenant_id, int64_t id) {
    SIYU_RETURN_IF_ERROR(impl_->db->Write([&](store::Connection& c) -> Status {
        SIYU_ASSIGN_OR_RETURN(auto q, c.Prepare("SELECT status FROM outbox WHERE tenant_id = ? AND id = ?"));
        q.Bind(1, tenant_id).Bind(2, id);
        SIYU_ASSIGN_OR_RETURN(bool row, q.Step());
        if (!row) return Status::NotFound("no outbox message " + std::to_string(id));
        std::string status = q.Text(0);
        if (status != "dead") {
            return Status::FailedPrecondition("outbox message " + std::to_string(id) + " is " + status +
                                              "; only dead messages can be retried");
        }
        TimeMs now = NowMs();
        SIYU_ASSIGN_OR_RETURN(auto s, c.Prepare("UPDATE outbox SET status = 'pending', attempts = 0, deadline_at = 0, "
                                                "next_attempt_at = ?, lease_until = 0, finished_at = NULL, "
                                                "updated_at = ? WHERE id = ?"));
        return s.Bind(1, now).Bind(2, now).Bind(3, id).Run();
    }));
    Wake();
    return impl_->Get(tenant_id, id);
}

Result<std::vector<std::pair<std::string, int64_t>>> Outbox::Counts(int64_t tenant_id) {
    std::vector<std::pair<std::string, int64_t>> out;
    SIYU_RETURN_IF_ERROR(impl_->db->Read([&](store::Connection& c) -> Status {
        SIYU_ASSIGN_OR_RETURN(auto s, c.Prepare("SELECT status, count(*) FROM outbox WHERE tenant_id = ? "
                                                "GROUP BY status ORDER BY status"));
        s.Bind(1, tenant_id);
        return s.ForEachRow([&] { out.emplace_back(s.Text(0), s.Int(1)); });
    }));
    return out;
}

}  // namespace siyu::channels
