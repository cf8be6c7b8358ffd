#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "base/status.h"

namespace siyu::store {

class StatementImpl;

// A prepared statement borrowed from a connection's cache. Bind parameters (1-based),
// Step through rows, read columns (0-based). Destroying it resets it for reuse.
// Not thread-safe: it belongs to the connection that prepared it.
class Statement {
  public:
    explicit Statement(StatementImpl* impl) : impl_(impl) {}
    Statement(Statement&& other) noexcept : impl_(other.impl_) { other.impl_ = nullptr; }
    Statement(const Statement&) = delete;
    Statement& operator=(const Statement&) = delete;
    ~Statement();

    Statement& Bind(int index, int64_t value);
    Statement& Bind(int index, std::string_view value);
    Statement& Bind(int index, const char* value) { return Bind(index, std::string_view(value)); }
    Statement& Bind(int index, const std::string& value) { return Bind(index, std::string_view(value)); }
    Statement& Bind(int index, double value);
    Statement& BindNull(int index);
    template <typename T>
    Statement& Bind(int index, const std::optional<T>& value) {
        return value.has_value() ? Bind(index, *value) : BindNull(index);
    }

    // Advances to the next row: true when a row is available, false when done.
    Result<bool> Step();
    // Calls `on_row()` for every result row; the columns are read from this statement.
    template <typename F>
    Status ForEachRow(F&& on_row) {
        while (true) {
            auto row = Step();
            if (!row.ok()) return row.status();
            if (!row.value()) return Status::Ok();
            on_row();
        }
    }
    // Steps until done (for statements without result rows), then resets the statement
    // so it can be bound and run again.
    Status Run();
    // Makes the statement ready to run again; bindings are kept.
    void Reset();

    bool IsNull(int column) const;
    int64_t Int(int column) const;
    double Double(int column) const;
    std::string Text(int column) const;
    std::optional<int64_t> OptInt(int column) const;
    std::optional<std::string> OptText(int column) const;
    std::optional<double> OptDouble(int column) const;

  private:
    StatementImpl* impl_;
};

// One database connection. Used by one thread at a time: the Database hands it to a
// callback and takes it back when the callback returns.
class Connection {
  public:
    virtual ~Connection() = default;
    // Returns a cached prepared statement for `sql`.
    virtual Result<Statement> Prepare(std::string_view sql) = 0;
    // Runs one or more statements without parameters.
    virtual Status Exec(std::string_view sql) = 0;
    virtual int64_t LastInsertId() = 0;
    // Rows changed by the last INSERT, UPDATE or DELETE.
    virtual int64_t Changes() = 0;
};

using TransactionFn = std::function<Status(Connection&)>;

// How the writer may run a write's function.
enum class WriteMode {
    // Exactly once.
    kOnce,
    // Possibly again after a rollback, on the same data. Only for a function whose every
    // effect is on the connection, or whose outputs each run sets afresh: a second run must
    // leave the same result as one. It changes rows, never the schema. The writer then runs it without a savepoint of its own
    // (SQLite copies every page a savepoint's writes touch) and, should it fail, rolls back
    // the whole transaction and runs the writes grouped before it again.
    kReplayable,
};

// The narrow interface every storage backend implements. Thread-safe: any thread may call
// Read and Write concurrently.
class Database {
  public:
    virtual ~Database() = default;

    // Runs `fn` on a reader connection inside a read transaction (a consistent snapshot).
    virtual Status Read(const TransactionFn& fn) = 0;

    // Runs `fn` inside a write transaction and commits before returning. Concurrent
    // writers are batched into one commit (group commit); each caller still gets its own
    // outcome: a failing `fn` rolls back only its own changes.
    Status Write(const TransactionFn& fn) { return Write(fn, WriteMode::kOnce); }
    // The same; with WriteMode::kReplayable the writer may run `fn` more than once, each run
    // but the last rolled back (see WriteMode).
    virtual Status Write(const TransactionFn& fn, WriteMode mode) = 0;

    // Writes queued and not yet committed (for /metrics).
    virtual int64_t WriterQueueDepth() const = 0;

    // Applies pending migrations; fails if the database is newer than this binary.
    virtual Status Migrate() = 0;
    // Highest migration applied, and the highest this binary knows.
    virtual Result<int> SchemaVersion() = 0;

    // Drains the writer queue and stops accepting writes.
    virtual void Close() = 0;
};

struct SqliteOptions {
    std::string path;  // database file
    int readers = 4;   // reader connections in the pool
    int busy_timeout_ms = 5000;
    bool read_only = false;  // open without a writer (backup tooling)
    // Makes the write-ahead log durable; `fdatasync` when empty. Tests put a failing disk in
    // its place (return -1 and set errno, as fdatasync does).
    std::function<int(int fd)> sync_log;
};

Result<std::unique_ptr<Database>> OpenSqlite(const SqliteOptions& options);

// Copies a live database to `dest` with SQLite's online backup API; safe while another
// process writes to `source`.
Status BackupSqlite(const std::string& source, const std::string& dest);

}  // namespace siyu::store
