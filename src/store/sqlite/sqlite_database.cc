#include <sqlite3.h>

#include <condition_variable>
#include <deque>
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

    static Result<std::unique_ptr<SqliteConnection>> Open(const SqliteOptions& options, bool reader) {
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
        // The writer gets a 64 MB page cache: bulk writes (imports) touch index pages all over
        // large tables, and every page it keeps saves a read and a rewrite.
        if (!options.read_only && !reader) pragmas += "PRAGMA journal_mode=WAL; PRAGMA cache_size=-65536;";
        if (reader) pragmas += "PRAGMA query_only=ON;";
        SIYU_RETURN_IF_ERROR(conn->Exec(pragmas));
        return conn;
    }

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
            SIYU_ASSIGN_OR_RETURN(db->writer_, SqliteConnection::Open(options, false));
        }
        int readers = std::max(1, options.readers);
        for (int i = 0; i < readers; ++i) {
            SIYU_ASSIGN_OR_RETURN(auto conn, SqliteConnection::Open(options, true));
            db->free_readers_.push_back(std::move(conn));
        }
        if (db->writer_) db->writer_thread_ = std::thread([raw = db.get()] { raw->WriterLoop(); });
        return std::unique_ptr<Database>(std::move(db));
    }

    Status Read(const TransactionFn& fn) override {
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
        return st;
    }

    Status Write(const TransactionFn& fn) override {
        if (!writer_) return Status::FailedPrecondition("database opened read-only");
        WriteJob job{&fn, {}};
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
    }

  private:
    struct WriteJob {
        const TransactionFn* fn;
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

    static Status RunJob(SqliteConnection& conn, const WriteJob& job) {
        SIYU_RETURN_IF_ERROR(RunCached(conn, "SAVEPOINT job"));
        Status st;
        try {
            st = (*job.fn)(conn);
        } catch (const std::exception& e) {
            st = Status::Internal(std::string("write failed: ") + e.what());
        }
        if (st.ok()) {
            Status released = RunCached(conn, "RELEASE job");
            if (released.ok()) return st;
            st = released;
        }
        (void)RunCached(conn, "ROLLBACK TO job");
        (void)RunCached(conn, "RELEASE job");
        return st;
    }

    // Group commit: the queued jobs run in one transaction, each in a savepoint of its own so
    // that a failing job rolls back alone, and one commit (one sync) answers them all. The
    // first job of a group needs no savepoint: if it fails, the whole transaction is rolled
    // back before the others start. That matters for bulk jobs (imports), which usually come
    // alone: under an open savepoint SQLite journals every page each statement changes, a
    // second copy of the job's writes.
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
            std::vector<Status> results(batch.size());
            size_t next = 0;
            while (next < batch.size()) {
                Status begun = RunCached(*writer_, "BEGIN IMMEDIATE");
                if (!begun.ok()) {
                    for (; next < batch.size(); ++next) results[next] = begun;
                    break;
                }
                size_t first = next++;
                Status lead;
                try {
                    lead = (*batch[first]->fn)(*writer_);
                } catch (const std::exception& e) {
                    lead = Status::Internal(std::string("write failed: ") + e.what());
                }
                if (!lead.ok()) {
                    (void)RunCached(*writer_, "ROLLBACK");
                    results[first] = lead;
                    continue;  // the rest in a fresh transaction
                }
                for (; next < batch.size(); ++next) results[next] = RunJob(*writer_, *batch[next]);
                Status committed = RunCached(*writer_, "COMMIT");
                if (!committed.ok()) (void)RunCached(*writer_, "ROLLBACK");
                for (size_t i = first; i < batch.size(); ++i) {
                    if (results[i].ok()) results[i] = committed;
                }
            }
            for (size_t i = 0; i < batch.size(); ++i) batch[i]->promise.set_value(results[i]);
        }
    }

    std::unique_ptr<SqliteConnection> writer_;
    std::thread writer_thread_;
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
