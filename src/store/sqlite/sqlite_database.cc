#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sqlite3.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <filesystem>
#include <future>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <vector>

#include "base/time.h"
#include "store/database.h"
#include "store/migrations.h"
#include "store/sqlite/journal_vfs.h"

namespace siyu::store {

class StatementImpl {
  public:
    StatementImpl(sqlite3* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
    ~StatementImpl() { sqlite3_finalize(stmt_); }
    sqlite3* db_;
    sqlite3_stmt* stmt_;
};

Statement::~Statement() {
    if (impl_ != nullptr) {
        sqlite3_reset(impl_->stmt_);
        sqlite3_clear_bindings(impl_->stmt_);
    }
}

Statement& Statement::Bind(int index, int64_t value) {
    sqlite3_bind_int64(impl_->stmt_, index, value);
    return *this;
}
Statement& Statement::Bind(int index, std::string_view value) {
    sqlite3_bind_text(impl_->stmt_, index, value.data(), static_cast<int>(value.size()), SQLITE_TRANSIENT);
    return *this;
}
Statement& Statement::Bind(int index, double value) {
    sqlite3_bind_double(impl_->stmt_, index, value);
    return *this;
}
Statement& Statement::BindNull(int index) {
    sqlite3_bind_null(impl_->stmt_, index);
    return *this;
}

static Status SqliteError(sqlite3* db, int rc, std::string_view what) {
    std::string message = std::string(what) + ": " + sqlite3_errmsg(db);
    if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED) return Status::Unavailable(message);
    if ((rc & 0xff) == SQLITE_CONSTRAINT) return {StatusCode::kAlreadyExists, message};
    return Status::Internal(message);
}

Result<bool> Statement::Step() {
    int rc = sqlite3_step(impl_->stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    return SqliteError(impl_->db_, rc, "step");
}

Status Statement::Run() {
    while (true) {
        auto r = Step();
        if (!r.ok() || !r.value()) {
            Reset();
            return r.ok() ? Status::Ok() : r.status();
        }
    }
}

void Statement::Reset() { sqlite3_reset(impl_->stmt_); }

bool Statement::IsNull(int column) const { return sqlite3_column_type(impl_->stmt_, column) == SQLITE_NULL; }
int64_t Statement::Int(int column) const { return sqlite3_column_int64(impl_->stmt_, column); }
double Statement::Double(int column) const { return sqlite3_column_double(impl_->stmt_, column); }
std::string Statement::Text(int column) const {
    const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(impl_->stmt_, column));
    if (p == nullptr) return {};
    return std::string(p, static_cast<size_t>(sqlite3_column_bytes(impl_->stmt_, column)));
}
std::optional<int64_t> Statement::OptInt(int column) const {
    if (IsNull(column)) return std::nullopt;
    return Int(column);
}
std::optional<std::string> Statement::OptText(int column) const {
    if (IsNull(column)) return std::nullopt;
    return Text(column);
}
std::optional<double> Statement::OptDouble(int column) const {
    if (IsNull(column)) return std::nullopt;
    return Double(column);
}

namespace {

// One sqlite3 handle with its statement cache. Used by one thread at a time.
class SqliteConnection final : public Connection {
  public:
    ~SqliteConnection() override {
        cache_.clear();
        sqlite3_close_v2(db_);
    }

    enum class Role { kWriter, kReader, kCheckpointer };

    static Result<std::unique_ptr<SqliteConnection>> Open(const SqliteOptions& options, Role role) {
        const bool reader = role == Role::kReader;
        // Memory statistics take a global mutex on every allocation; siyu does not use them.
        static std::once_flag configured;
        // Statement and savepoint journals are kept in memory by the journal VFS
        // (journal_vfs.h). Both settings must come before SQLite initializes.
        static Status vfs;
        std::call_once(configured, [] {
            sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
            vfs = InstallJournalVfs();
        });
        SIYU_RETURN_IF_ERROR(vfs);
        auto conn = std::unique_ptr<SqliteConnection>(new SqliteConnection());
        int flags = SQLITE_OPEN_NOMUTEX |
                    (options.read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
        int rc = sqlite3_open_v2(options.path.c_str(), &conn->db_, flags, nullptr);
        if (rc != SQLITE_OK) {
            std::string message = conn->db_ ? sqlite3_errmsg(conn->db_) : "out of memory";
            return Status::Unavailable("cannot open database " + options.path + ": " + message);
        }
        sqlite3_busy_timeout(conn->db_, options.busy_timeout_ms);
        sqlite3_extended_result_codes(conn->db_, 1);
        std::string pragmas = "PRAGMA foreign_keys=ON; PRAGMA synchronous=FULL;";
        // The writer's page cache: 16 MB. A larger one keeps more of the index pages a bulk
        // import touches all over large tables (64 MB: the 1 M member import 32 s instead of
        // 35 s), but SQLite walks the whole cache at the end of every transaction whose B-tree
        // rebalancing renumbered pages (nearly all of them under load), which at 64 MB cost a
        // small write about a tenth of its time.
        if (role == Role::kWriter && !options.read_only) {
            pragmas += "PRAGMA journal_mode=WAL; PRAGMA cache_size=-16384;";
        }
        if (reader) pragmas += "PRAGMA query_only=ON;";
        SIYU_RETURN_IF_ERROR(conn->Exec(pragmas));
        return conn;
    }

    // True when the database is in WAL mode.
    Result<bool> InWalMode() {
        SIYU_ASSIGN_OR_RETURN(auto mode, Prepare("PRAGMA journal_mode"));
        SIYU_ASSIGN_OR_RETURN(bool row, mode.Step());
        bool wal = row && mode.Text(0) == "wal";
        mode.Reset();
        return wal;
    }

    sqlite3* handle() { return db_; }

    Result<Statement> Prepare(std::string_view sql) override {
        auto it = cache_.find(sql);
        if (it != cache_.end()) return Statement(it->second.get());
        sqlite3_stmt* stmt = nullptr;
        int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT, &stmt,
                                    nullptr);
        if (rc != SQLITE_OK) return Status::Internal("prepare: " + std::string(sqlite3_errmsg(db_)));
        auto impl = std::make_unique<StatementImpl>(db_, stmt);
        StatementImpl* raw = impl.get();
        cache_.emplace(std::string(sql), std::move(impl));
        return Statement(raw);
    }

    Status Exec(std::string_view sql) override {
        char* err = nullptr;
        int rc = sqlite3_exec(db_, std::string(sql).c_str(), nullptr, nullptr, &err);
        if (rc != SQLITE_OK) {
            std::string message = err ? err : sqlite3_errstr(rc);
            sqlite3_free(err);
            if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED) return Status::Unavailable(message);
            return Status::Internal(message);
        }
        return Status::Ok();
    }

    int64_t LastInsertId() override { return sqlite3_last_insert_rowid(db_); }
    int64_t Changes() override { return sqlite3_changes64(db_); }

  private:
    SqliteConnection() = default;
    sqlite3* db_ = nullptr;
    // Looked up by string_view, so a cache hit allocates nothing.
    struct SqlHash {
        using is_transparent = void;
        size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
    };
    std::unordered_map<std::string, std::unique_ptr<StatementImpl>, SqlHash, std::equal_to<>> cache_;
};

// SQLite behind the Database interface: a pool of reader connections and one writer
// thread that batches queued write transactions into one commit.
class SqliteDatabase final : public Database {
  public:
    ~SqliteDatabase() override { Close(); }

    static Result<std::unique_ptr<Database>> Open(const SqliteOptions& options) {
        auto db = std::unique_ptr<SqliteDatabase>(new SqliteDatabase());
        if (!options.read_only) {
            using Role = SqliteConnection::Role;
            SIYU_ASSIGN_OR_RETURN(db->writer_, SqliteConnection::Open(options, Role::kWriter));
            SIYU_ASSIGN_OR_RETURN(bool wal, db->writer_->InWalMode());
            if (wal) {
                // Durability moves out of the writer (see WriterLoop): its commits do not sync
                // (NORMAL: SQLite still syncs a new log header when the log starts over, and the
                // checkpoint when the last connection closes) and it runs no checkpoints; the
                // syncer and the checkpointer do.
                SIYU_RETURN_IF_ERROR(db->writer_->Exec("PRAGMA synchronous=NORMAL; PRAGMA wal_autocheckpoint=0;"));
                const char* log = sqlite3_filename_wal(sqlite3_db_filename(db->writer_->handle(), "main"));
                if (log == nullptr || *log == '\0') return Status::Internal("the database has no write-ahead log name");
                db->log_path_ = log;
                sqlite3_wal_hook(db->writer_->handle(), &SqliteDatabase::OnWalCommit, db.get());
                SIYU_ASSIGN_OR_RETURN(db->checkpointer_, SqliteConnection::Open(options, Role::kCheckpointer));
                db->pipelined_ = true;
                db->sync_log_ = options.sync_log;
            }
        }
        int readers = std::max(1, options.readers);
        for (int i = 0; i < readers; ++i) {
            SIYU_ASSIGN_OR_RETURN(auto conn, SqliteConnection::Open(options, SqliteConnection::Role::kReader));
            db->free_readers_.push_back(std::move(conn));
        }
        if (db->writer_) db->writer_thread_ = std::thread([raw = db.get()] { raw->WriterLoop(); });
        if (db->pipelined_) {
            for (size_t i = 0; i < db->log_fds_.size(); ++i) {
                db->sync_threads_.emplace_back([raw = db.get(), i] { raw->SyncLoop(i); });
            }
            db->checkpoint_thread_ = std::thread([raw = db.get()] { raw->CheckpointLoop(); });
        }
        return std::unique_ptr<Database>(std::move(db));
    }

    Status Read(const TransactionFn& fn) override {
        if (broken_.load(std::memory_order_acquire)) return Broken();
        std::unique_ptr<SqliteConnection> conn;
        {
            std::unique_lock lock(readers_mu_);
            readers_cv_.wait(lock, [&] { return !free_readers_.empty(); });
            conn = std::move(free_readers_.back());
            free_readers_.pop_back();
        }
        Status st = RunRead(*conn, fn);
        {
            std::lock_guard lock(readers_mu_);
            free_readers_.push_back(std::move(conn));
        }
        readers_cv_.notify_one();
        // The snapshot may hold a commit whose sync is still under way: answer only once it is
        // durable, so that nobody acts on a write a crash could still take back.
        if (pipelined_) {
            uint64_t seen = committed_.load(std::memory_order_acquire);
            if (synced_.load(std::memory_order_acquire) < seen) {
                std::unique_lock lock(sync_mu_);
                synced_cv_.wait(lock, [&] { return synced_.load(std::memory_order_acquire) >= seen || broken_; });
            }
            if (broken_.load(std::memory_order_acquire)) return Broken();
        }
        return st;
    }

    using Database::Write;
    Status Write(const TransactionFn& fn, WriteMode mode) override {
        if (!writer_) return Status::FailedPrecondition("database opened read-only");
        if (broken_.load(std::memory_order_acquire)) return Broken();
        WriteJob job{&fn, mode == WriteMode::kReplayable, {}};
        auto done = job.promise.get_future();
        {
            std::lock_guard lock(queue_mu_);
            if (closing_) return Status::Unavailable("database is closing");
            queue_.push_back(&job);
        }
        queue_cv_.notify_one();
        return done.get();
    }

    int64_t WriterQueueDepth() const override {
        std::lock_guard lock(queue_mu_);
        return static_cast<int64_t>(queue_.size());
    }

    Status Migrate() override {
        SIYU_ASSIGN_OR_RETURN(int current, SchemaVersion());
        int known = Migrations().empty() ? 0 : Migrations().back().version;
        if (current > known) {
            return Status::FailedPrecondition("database schema version " + std::to_string(current) +
                                              " is newer than this binary's " + std::to_string(known) +
                                              "; upgrade siyu");
        }
        for (const auto& m : Migrations()) {
            if (m.version <= current) continue;
            SIYU_RETURN_IF_ERROR(Write([&](Connection& c) -> Status {
                SIYU_RETURN_IF_ERROR(c.Exec(m.sql));
                SIYU_ASSIGN_OR_RETURN(auto stmt, c.Prepare("INSERT INTO schema_migrations(version, name, applied_at) "
                                                           "VALUES (?, ?, ?)"));
                return stmt.Bind(1, int64_t{m.version}).Bind(2, m.name).Bind(3, NowMs()).Run();
            }));
        }
        return Status::Ok();
    }

    Result<int> SchemaVersion() override {
        if (writer_) {
            SIYU_RETURN_IF_ERROR(Write([](Connection& c) {
                return c.Exec(
                    "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, "
                    "name TEXT NOT NULL, applied_at INTEGER NOT NULL)");
            }));
        }
        int version = 0;
        SIYU_RETURN_IF_ERROR(Read([&](Connection& c) -> Status {
            SIYU_ASSIGN_OR_RETURN(auto stmt, c.Prepare("SELECT coalesce(max(version), 0) FROM schema_migrations"));
            SIYU_ASSIGN_OR_RETURN(bool row, stmt.Step());
            if (row) version = static_cast<int>(stmt.Int(0));
            return Status::Ok();
        }));
        return version;
    }

    void Close() override {
        {
            std::lock_guard lock(queue_mu_);
            if (closing_) return;
            closing_ = true;
        }
        queue_cv_.notify_all();
        if (writer_thread_.joinable()) writer_thread_.join();
        {
            std::lock_guard lock(sync_mu_);
            sync_stop_ = true;
        }
        sync_cv_.notify_all();
        for (auto& t : sync_threads_) t.join();
        sync_threads_.clear();
        for (int& fd : log_fds_) {
            if (fd >= 0) ::close(fd);
            fd = -1;
        }
        {
            std::lock_guard lock(checkpoint_mu_);
            checkpoint_stop_ = true;
        }
        checkpoint_cv_.notify_all();
        if (checkpoint_thread_.joinable()) checkpoint_thread_.join();
    }

  private:
    struct WriteJob {
        const TransactionFn* fn;
        bool replayable;  // WriteMode::kReplayable
        std::promise<Status> promise;
    };

    SqliteDatabase() = default;

    static Status RunRead(SqliteConnection& conn, const TransactionFn& fn) {
        {
            SIYU_ASSIGN_OR_RETURN(auto begin, conn.Prepare("BEGIN"));
            SIYU_RETURN_IF_ERROR(begin.Run());
        }
        Status st;
        try {
            st = fn(conn);
        } catch (const std::exception& e) {
            st = Status::Internal(std::string("read failed: ") + e.what());
        }
        auto commit = conn.Prepare("COMMIT");
        if (commit.ok()) (void)commit->Run();
        return st;
    }

    // Runs a statement without parameters from the connection's cache (no parsing per job).
    static Status RunCached(SqliteConnection& conn, std::string_view sql) {
        SIYU_ASSIGN_OR_RETURN(auto stmt, conn.Prepare(sql));
        return stmt.Run();
    }

    static Status CallJob(SqliteConnection& conn, const WriteJob& job) {
        try {
            return (*job.fn)(conn);
        } catch (const std::exception& e) {
            return Status::Internal(std::string("write failed: ") + e.what());
        }
    }

    static Status RunInSavepoint(SqliteConnection& conn, const WriteJob& job) {
        SIYU_RETURN_IF_ERROR(RunCached(conn, "SAVEPOINT job"));
        Status st = CallJob(conn, job);
        if (st.ok()) {
            Status released = RunCached(conn, "RELEASE job");
            if (released.ok()) return st;
            st = released;
        }
        (void)RunCached(conn, "ROLLBACK TO job");
        (void)RunCached(conn, "RELEASE job");
        return st;
    }

    // Group commit: the queued jobs run in one transaction and one commit (one sync) answers
    // them all; each caller still gets its own outcome.
    //  - The first job of a transaction needs no savepoint: if it fails, the transaction is
    //    rolled back before the others start. That matters for bulk jobs (imports), which
    //    usually come alone: under an open savepoint SQLite copies every page each statement
    //    changes into its sub-journal, a second copy of the job's writes.
    //  - A replayable job (WriteMode::kReplayable) after it runs without a savepoint too, as
    //    long as every job before it in the transaction is replayable. Should it fail, the
    //    transaction is rolled back and the jobs before it run again in a new one; from then
    //    on this group's later jobs take savepoints, so one failure costs at most one replay.
    //    A replayable job that fails before changing any row costs nothing: the transaction
    //    holds what it held before (a replayable job changes no schema, which the count of
    //    changed rows would not show).
    //  - Any other job runs in a savepoint of its own, so that a failing job rolls back alone.
    void RunGroup(const std::vector<WriteJob*>& batch, std::vector<Status>& results) {
        std::deque<size_t> todo;
        for (size_t i = 0; i < batch.size(); ++i) {
            if (broken_.load(std::memory_order_acquire)) {
                results[i] = Broken();
            } else {
                todo.push_back(i);
            }
        }
        bool cautious = false;  // a job without a savepoint failed: savepoints from now on
        while (!todo.empty()) {
            Status begun = RunCached(*writer_, "BEGIN IMMEDIATE");
            if (!begun.ok()) {
                for (size_t i : todo) results[i] = begun;
                return;
            }
            std::vector<size_t> done;  // the jobs whose writes the open transaction holds
            bool replayable = true;    // every job in `done` may run again
            bool open = true;
            while (open && !todo.empty()) {
                size_t i = todo.front();
                todo.pop_front();
                const WriteJob& job = *batch[i];
                bool bare = done.empty() || (job.replayable && replayable && !cautious);
                int64_t changes = sqlite3_total_changes64(writer_->handle());
                Status st = bare ? CallJob(*writer_, job) : RunInSavepoint(*writer_, job);
                if (st.ok()) {
                    done.push_back(i);
                    replayable = replayable && job.replayable;
                    continue;
                }
                results[i] = st;
                // Some errors (a full disk, an I/O error, ON CONFLICT ROLLBACK) end the whole
                // transaction, not just the job's savepoint.
                bool lost = sqlite3_get_autocommit(writer_->handle()) != 0;
                if (!bare && !lost) continue;  // its savepoint is rolled back; the rest stand
                // A replayable job that failed before changing a row (most refusals: not enough
                // points, a coupon already used) left the transaction as it was.
                bool unchanged = job.replayable && sqlite3_total_changes64(writer_->handle()) == changes;
                if (!lost && unchanged) continue;
                if (!lost) (void)RunCached(*writer_, "ROLLBACK");
                open = false;
                if (bare && !done.empty()) cautious = true;
                if (replayable) {
                    // The jobs before it run again, first thing in the next transaction.
                    todo.insert(todo.begin(), done.begin(), done.end());
                } else {
                    for (size_t j : done) {
                        results[j] = Status::Unavailable("the write was rolled back with its group after another "
                                                         "write's error; nothing of it was stored, try again");
                    }
                }
            }
            if (!open) continue;
            if (done.empty()) {  // every job failed without changing anything
                (void)RunCached(*writer_, "ROLLBACK");
                continue;
            }
            // Counted before the commit makes the writes visible, so that a reader who sees
            // them also waits for their sync.
            committed_.fetch_add(1, std::memory_order_acq_rel);
            Status committed = RunCached(*writer_, "COMMIT");
            if (!committed.ok()) {
                (void)RunCached(*writer_, "ROLLBACK");
            } else if (int rc = FlushLog(writer_->handle()); rc != SQLITE_OK) {
                committed = Status::Internal(std::string("writing the write-ahead log: ") + sqlite3_errstr(rc));
                MarkBroken(committed);
            }
            for (size_t j : done) results[j] = committed;
        }
    }

    void WriterLoop() {
        constexpr size_t kMaxBatch = 512;
        while (true) {
            std::vector<WriteJob*> batch;
            {
                std::unique_lock lock(queue_mu_);
                queue_cv_.wait(lock, [&] { return closing_ || !queue_.empty(); });
                if (queue_.empty()) return;
                while (!queue_.empty() && batch.size() < kMaxBatch) {
                    batch.push_back(queue_.front());
                    queue_.pop_front();
                }
            }
            if (pipelined_) WaitForCheckpointIfLogTooLong();
            std::vector<Status> results(batch.size());
            RunGroup(batch, results);
            if (!pipelined_) {
                for (size_t i = 0; i < batch.size(); ++i) batch[i]->promise.set_value(results[i]);
                continue;
            }
            {
                std::lock_guard lock(sync_mu_);
                to_sync_.push_back(Group{std::move(batch), std::move(results),
                                         committed_.load(std::memory_order_acquire)});
            }
            sync_cv_.notify_one();
        }
    }

    // The groups the writer committed, in order, waiting for their sync.
    struct Group {
        std::vector<WriteJob*> jobs;
        std::vector<Status> results;
        uint64_t committed;  // commits made up to and including this group
    };

    // Pipelined group commit: the writer commits a group without syncing (synchronous=NORMAL)
    // and goes on with the next one while a syncer (kSyncers of them) syncs the write-ahead log
    // once for all groups committed so far (the sync's writeback runs on the syncer's thread,
    // not the writer's), and only then tells their callers. A crash before the sync loses only writes nobody
    // was told about; readers wait for the sync of what they saw (Read).
    void SyncLoop(size_t syncer) {
        while (true) {
            std::deque<Group> groups;
            {
                std::unique_lock lock(sync_mu_);
                sync_cv_.wait(lock, [&] { return sync_stop_ || !to_sync_.empty(); });
                if (to_sync_.empty()) return;
                groups.swap(to_sync_);
            }
            uint64_t upto = groups.back().committed;
            Status synced = Status::Ok();
            if (broken_.load(std::memory_order_acquire)) {
                synced = Broken();
            } else if (upto > synced_.load(std::memory_order_acquire)) {
                synced = SyncLog(syncer);
                // Fail-stop: after a failed fdatasync the kernel may have dropped the pages it
                // could not write, and a later sync would report success over the gap. Nothing
                // more is written or answered as durable until the server restarts (and SQLite
                // recovers the log from what is on disk).
                if (!synced.ok()) MarkBroken(synced);
            }
            for (auto& g : groups) {
                for (size_t i = 0; i < g.jobs.size(); ++i) {
                    // Committed but perhaps not durable when the sync failed: the caller learns
                    // that it failed; a retry with the same idempotency key after the restart
                    // finds what stayed.
                    g.jobs[i]->promise.set_value(g.results[i].ok() ? synced : g.results[i]);
                }
            }
            if (synced.ok()) {
                std::lock_guard lock(sync_mu_);
                if (upto > synced_.load(std::memory_order_acquire)) synced_.store(upto, std::memory_order_release);
            }
            synced_cv_.notify_all();
        }
    }

    // One fdatasync of the write-ahead log (our own descriptor of the same file SQLite
    // writes; the directory is synced once, when the log is first opened).
    Status SyncLog(size_t syncer) {
        const std::string& log = log_path_;  // SQLite's own name for it (links resolved)
        {
            // Every syncer's descriptor is opened at once, before the first sync: a descriptor
            // opened after a write-back error would not report it.
            std::lock_guard lock(log_fds_mu_);
            if (log_fds_[syncer] < 0) {
                std::string dir = std::filesystem::path(log).parent_path().string();
                int dir_fd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_CLOEXEC);
                bool dir_synced = dir_fd >= 0 && ::fsync(dir_fd) == 0;
                if (dir_fd >= 0) ::close(dir_fd);
                if (!dir_synced) {
                    return Status::Internal("cannot sync the directory of " + log + ": " + std::strerror(errno));
                }
                for (int& fd : log_fds_) {
                    if (fd >= 0) continue;
                    fd = ::open(log.c_str(), O_RDWR | O_CLOEXEC);
                    if (fd < 0) return Status::Internal("cannot open " + log + " to sync it: " + std::strerror(errno));
                }
            }
        }
        int fd = log_fds_[syncer];
        if ((sync_log_ ? sync_log_(fd) : ::fdatasync(fd)) != 0) {
            return Status::Internal("syncing " + log + ": " + std::strerror(errno));
        }
        // The other syncer may have seen an error this sync did not report.
        if (broken_.load(std::memory_order_acquire)) return Broken();
        return Status::Ok();
    }

    // Called by SQLite on the writer's thread after each commit with the frames in the log.
    static int OnWalCommit(void* self, sqlite3*, const char*, int frames) {
        auto* db = static_cast<SqliteDatabase*>(self);
        bool due = false;
        {
            std::lock_guard lock(db->checkpoint_mu_);
            db->log_frames_.store(frames, std::memory_order_release);
            if (frames < db->backfilled_) db->backfilled_ = 0;  // the log started over
            due = frames - db->backfilled_ >= FramesBeforeCheckpoint(frames);
        }
        if (due) db->checkpoint_cv_.notify_one();
        return SQLITE_OK;
    }

    // Checkpoints (copying the log into the database file, with its syncs) run on a
    // connection of their own, beside the writer: a passive checkpoint whenever
    // kCheckpointFrames frames have been added since the last one (fewer near kMaxLogFrames),
    // and one when the writer rests. The log starts over only once a checkpoint has copied all
    // of it, which a writer that never pauses does not allow; beyond kMaxLogFrames the writer
    // waits for one complete checkpoint (WaitForCheckpointIfLogTooLong).
    void CheckpointLoop() {
        int tried_at = 0;   // frames in the log at an incomplete checkpoint (a reader held it back)
        int looked_at = 0;  // frames in the log when last looked at, to see the writer rest
        while (true) {
            {
                std::unique_lock lock(checkpoint_mu_);
                auto due = [&] {
                    int frames = log_frames_.load(std::memory_order_acquire);
                    return checkpoint_stop_ || checkpoint_wanted_ ||
                           (frames - backfilled_ >= FramesBeforeCheckpoint(frames) && frames > tried_at);
                };
                bool woken = checkpoint_cv_.wait_for(lock, std::chrono::milliseconds(200), due);
                if (checkpoint_stop_) return;
                int frames = log_frames_.load(std::memory_order_acquire);
                bool resting = false;
                if (!woken) {
                    tried_at = 0;  // retried now and then, once the reader may be gone
                    // Nothing committed for a while: bring the database file up to date.
                    resting = frames == looked_at && frames > backfilled_;
                    looked_at = frames;
                }
                if (frames - backfilled_ < FramesBeforeCheckpoint(frames) && !checkpoint_wanted_ && !resting) continue;
            }
            int in_log = 0, copied = 0;
            int rc = sqlite3_wal_checkpoint_v2(checkpointer_->handle(), "main", SQLITE_CHECKPOINT_PASSIVE, &in_log,
                                               &copied);
            {
                std::lock_guard lock(checkpoint_mu_);
                checkpoint_wanted_ = false;
                ++checkpoints_done_;
                if (rc == SQLITE_OK && log_frames_.load(std::memory_order_acquire) >= in_log) backfilled_ = copied;
                // Everything copied: the writer's next transaction starts the log over.
                if (rc == SQLITE_OK && copied >= in_log) {
                    tried_at = 0;
                } else {
                    tried_at = log_frames_.load(std::memory_order_acquire);
                }
            }
            checkpoint_done_cv_.notify_all();
            if (rc != SQLITE_OK) std::this_thread::sleep_for(std::chrono::milliseconds(20));  // busy or failing
        }
    }

    void WaitForCheckpointIfLogTooLong() {
        if (log_frames_.load(std::memory_order_acquire) < kMaxLogFrames) return;
        std::unique_lock lock(checkpoint_mu_);
        if (backfilled_ >= log_frames_.load(std::memory_order_acquire)) return;  // starts over at the next commit
        uint64_t seen = checkpoints_done_;
        checkpoint_wanted_ = true;
        checkpoint_cv_.notify_one();
        // The writer is paused, so this checkpoint can copy the whole log.
        checkpoint_done_cv_.wait(lock, [&] { return checkpoint_stop_ || checkpoints_done_ > seen; });
        if (checkpoints_done_ == seen + 1 && backfilled_ < log_frames_.load(std::memory_order_acquire)) {
            // A checkpoint that was already running when asked: one more, complete this time.
            checkpoint_wanted_ = true;
            checkpoint_cv_.notify_one();
            checkpoint_done_cv_.wait(lock, [&] { return checkpoint_stop_ || checkpoints_done_ > seen + 1; });
        }
    }

    // Two syncers: a group committed while one sync runs starts its own at once instead of
    // waiting for it to end (each sync covers every commit made before it started).
    static constexpr size_t kSyncers = 2;
    // A passive checkpoint after every 16,000 frames added to the log (about 64 MB): pages
    // written again and again (busy index pages, member rows, the ends of growing tables) are
    // copied once per checkpoint, not once per commit that wrote them.
    static constexpr int kCheckpointFrames = 16000;
    // Beyond this the writer waits for a complete checkpoint (about 256 MB of log).
    static constexpr int kMaxLogFrames = 64000;
    // In the last 8,000 frames before that, a checkpoint every 2,000: the complete one the
    // writer then waits for has little left to copy.
    static constexpr int kCatchUpFrames = 8000;
    static int FramesBeforeCheckpoint(int frames) {
        return frames >= kMaxLogFrames - kCatchUpFrames ? kCatchUpFrames / 4 : kCheckpointFrames;
    }

    static Status Broken() {
        return Status::Unavailable("the database could not make a write durable (see the log); restart siyu");
    }

    void MarkBroken(const Status& why) {
        if (!broken_.exchange(true)) {
            spdlog::error("storage: {}; refusing reads and writes until restarted", why.ToString());
        }
        { std::lock_guard lock(sync_mu_); }
        synced_cv_.notify_all();
    }

    std::string log_path_;  // the write-ahead log, as SQLite names it
    std::atomic<bool> broken_{false};  // a write could not be made durable (fail-stop)
    std::unique_ptr<SqliteConnection> writer_;
    std::thread writer_thread_;
    bool pipelined_ = false;  // WAL mode: the syncer and the checkpointer below run

    // Commits made by the writer and how many of them are durable (SyncLoop).
    std::atomic<uint64_t> committed_{0};
    std::atomic<uint64_t> synced_{0};
    std::mutex sync_mu_;
    std::condition_variable sync_cv_;    // the syncer waits for groups
    std::condition_variable synced_cv_;  // readers wait for the sync
    std::deque<Group> to_sync_;          // GUARDED_BY(sync_mu_)
    bool sync_stop_ = false;             // GUARDED_BY(sync_mu_)
    std::vector<std::thread> sync_threads_;
    // One descriptor per syncer: each fdatasync then reports every write-back error since that
    // syncer's previous sync, which a shared descriptor would report to only one of them.
    std::mutex log_fds_mu_;
    std::array<int, kSyncers> log_fds_ = {-1, -1};  // GUARDED_BY(log_fds_mu_) while opened
    std::function<int(int)> sync_log_;               // SqliteOptions::sync_log

    std::unique_ptr<SqliteConnection> checkpointer_;
    std::thread checkpoint_thread_;
    std::atomic<int> log_frames_{0};
    int backfilled_ = 0;  // GUARDED_BY(checkpoint_mu_): frames of the log already copied
    std::mutex checkpoint_mu_;
    std::condition_variable checkpoint_cv_;
    std::condition_variable checkpoint_done_cv_;
    bool checkpoint_stop_ = false;    // GUARDED_BY(checkpoint_mu_)
    bool checkpoint_wanted_ = false;  // GUARDED_BY(checkpoint_mu_)
    uint64_t checkpoints_done_ = 0;   // GUARDED_BY(checkpoint_mu_)
    mutable std::mutex queue_mu_;
    std::condition_variable queue_cv_;
    std::deque<WriteJob*> queue_;  // GUARDED_BY(queue_mu_)
    bool closing_ = false;         // GUARDED_BY(queue_mu_)

    std::mutex readers_mu_;
    std::condition_variable readers_cv_;
    std::vector<std::unique_ptr<SqliteConnection>> free_readers_;  // GUARDED_BY(readers_mu_)
};

}  // namespace

Result<std::unique_ptr<Database>> OpenSqlite(const SqliteOptions& options) { return SqliteDatabase::Open(options); }

Status BackupSqlite(const std::string& source, const std::string& dest) {
    sqlite3* src = nullptr;
    sqlite3* dst = nullptr;
    auto close_both = [&] {
        sqlite3_close_v2(src);
        sqlite3_close_v2(dst);
    };
    if (sqlite3_open_v2(source.c_str(), &src, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
        Status st = Status::Unavailable("cannot open " + source + ": " + sqlite3_errmsg(src));
        close_both();
        return st;
    }
    if (sqlite3_open_v2(dest.c_str(), &dst, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) != SQLITE_OK) {
        Status st = Status::Unavailable("cannot create " + dest + ": " + sqlite3_errmsg(dst));
        close_both();
        return st;
    }
    sqlite3_busy_timeout(src, 5000);
    sqlite3_backup* backup = sqlite3_backup_init(dst, "main", src, "main");
    if (backup == nullptr) {
        Status st = Status::Internal(std::string("backup: ") + sqlite3_errmsg(dst));
        close_both();
        return st;
    }
    int rc = SQLITE_OK;
    do {
        rc = sqlite3_backup_step(backup, 256);
        if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED) sqlite3_sleep(50);
    } while (rc == SQLITE_OK || rc == SQLITE_BUSY || rc == SQLITE_LOCKED);
    sqlite3_backup_finish(backup);
    Status st = rc == SQLITE_DONE ? Status::Ok() : Status::Internal(std::string("backup: ") + sqlite3_errstr(rc));
    if (st.ok() && sqlite3_exec(dst, "PRAGMA journal_mode=DELETE", nullptr, nullptr, nullptr) != SQLITE_OK) {
        st = Status::Internal("backup: cannot finalise the copy");
    }
    close_both();
    return st;
}

}  // namespace siyu::store
