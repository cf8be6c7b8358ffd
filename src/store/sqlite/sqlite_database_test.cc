#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <thread>
#include <vector>

#include "store/database.h"
#include "store/migrations.h"
#include "store/sqlite/journal_vfs.h"

namespace siyu::store {
namespace {

// Before any connection opens: sub-journals beyond 256 KiB move to a file, so that the tests
// below exercise both the memory and the file side of the journal VFS.
const Status kJournalVfs = InstallJournalVfs(256 << 10);

std::string TempDbPath(const std::string& name) {
    std::string path = testing::TempDir() + "/" + name + ".db";
    std::remove(path.c_str());
    std::remove((path + "-wal").c_str());
    std::remove((path + "-shm").c_str());
    return path;
}

std::unique_ptr<Database> OpenTestDb(const std::string& name) {
    auto db = OpenSqlite({.path = TempDbPath(name), .readers = 2});
    EXPECT_TRUE(db.ok()) << db.status().ToString();
    auto st = db.value()->Migrate();
    EXPECT_TRUE(st.ok()) << st.ToString();
    return std::move(db).value();
}

int64_t CountRows(Database& db, const char* sql) {
    int64_t n = -1;
    Status st = db.Read([&](Connection& c) -> Status {
        SIYU_ASSIGN_OR_RETURN(auto stmt, c.Prepare(sql));
        SIYU_ASSIGN_OR_RETURN(bool row, stmt.Step());
        if (row) {
            n = stmt.Int(0);
        }
        return Status::Ok();
    });
    EXPECT_TRUE(st.ok());
    return n;
}

// Creates table `t(id, v)` with `rows` rows, `v` computed by `value` (SQL over nothing).
Status CreateFilledTable(Database& db, int rows, const std::string& type, const std::string& value) {
    return db.Write([&](Connection& c) {
        return c.Exec("CREATE TABLE t(id INTEGER PRIMARY KEY, v " + type +
                      "); WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < " +
                      std::to_string(rows) + ") INSERT INTO t SELECT i, " + value + " FROM n;");
    });
}

TEST(SqliteDatabase, MigrationsApplyOnceAndRecordTheirVersion) {
    auto db = OpenTestDb("migrate_once");
    auto version = db->SchemaVersion();
    ASSERT_TRUE(version.ok());
    EXPECT_EQ(version.value(), Migrations().back().version);
    EXPECT_TRUE(db->Migrate().ok());
    EXPECT_EQ(CountRows(*db, "SELECT count(*) FROM schema_migrations"), static_cast<int64_t>(Migrations().size()));
}

TEST(SqliteDatabase, StoredIdempotencyResultsMoveToTheAppendOnlyTableAndStayUnique) {
    std::string path = TempDbPath("idempotency_rows");
    auto db = OpenSqlite({.path = path}).value();
    // A database as version 12 left it, with one stored result.
    ASSERT_TRUE(db->Write([](Connection& c) -> Status {
                      SIYU_RETURN_IF_ERROR(c.Exec("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name "
                                                  "TEXT NOT NULL, applied_at INTEGER NOT NULL)"));
                      for (const auto& m : Migrations()) {
                          if (m.version > 12) break;
                          SIYU_RETURN_IF_ERROR(c.Exec(m.sql));
                          SIYU_RETURN_IF_ERROR(c.Exec("INSERT INTO schema_migrations VALUES (" +
                                                      std::to_string(m.version) + ", 'm', 0)"));
                      }
                      return c.Exec("INSERT INTO idempotency_keys VALUES (1, 'k-1', 'points.earn', 'f', 200, "
                                    "'{\"entry_id\":7}', 5)");
                  }).ok());
    ASSERT_TRUE(db->Migrate().ok());
    EXPECT_EQ(CountRows(*db, "SELECT count(*) FROM idempotency_keys WHERE tenant_id = 1 AND key = 'k-1' AND "
                             "operation = 'points.earn' AND status = 200 AND result = '{\"entry_id\":7}' AND "
                             "created_at = 5"),
              1);
    Status again = db->Write([](Connection& c) -> Status {
        SIYU_ASSIGN_OR_RETURN(auto stmt, c.Prepare("INSERT INTO idempotency_keys(tenant_id, key, operation, "
                                                   "fingerprint, status, result, created_at) VALUES (1, 'k-1', "
                                                   "'points.earn', 'f', 200, '{}', 6)"));
        return stmt.Run();
    });
    EXPECT_EQ(again.code(), StatusCode::kAlreadyExists) << again.ToString();
}

TEST(SqliteDatabase, RefusesADatabaseNewerThanTheBinary) {
    std::string path = TempDbPath("newer");
    {
        auto db = OpenSqlite({.path = path}).value();
        ASSERT_TRUE(db->Migrate().ok());
        ASSERT_TRUE(db->Write([](Connection& c) {
                          return c.Exec("INSERT INTO schema_migrations VALUES (9999, 'future', 0)");
                      }).ok());
    }
    auto db = OpenSqlite({.path = path}).value();
    Status st = db->Migrate();
    EXPECT_EQ(st.code(), StatusCode::kFailedPrecondition);
    EXPECT_NE(st.message().find("newer"), std::string::npos);
}

// One job of a group: inserts store `code`, counts its runs, then fails or succeeds.
TransactionFn StoreJob(std::string code, bool fail, std::atomic<int>* runs) {
    return [code = std::move(code), fail, runs](Connection& c) -> Status {
        ++*runs;
        SIYU_ASSIGN_OR_RETURN(auto stmt, c.Prepare("INSERT INTO stores(tenant_id, kind, code, name, created_at, "
                                                   "updated_at) VALUES (1,'store',?,'x',0,0)"));
        SIYU_RETURN_IF_ERROR(stmt.Bind(1, code).Run());
        if (fail) return Status::InvalidArgument("x", "deliberate failure after a write");
        return Status::Ok();
    };
}

Status CreateTenant(Database& db) {
    return db.Write([](Connection& c) {
        return c.Exec("INSERT INTO tenants(tenant_id, name, created_at, updated_at) VALUES (1,'t',0,0)");
    });
}

TEST(SqliteDatabase, GroupCommitGivesEachWriterItsOwnOutcome) {
    auto db = OpenTestDb("group_commit");
    ASSERT_TRUE(CreateTenant(*db).ok());
    constexpr int kThreads = 8;
    constexpr int kPerThread = 200;
    std::atomic<int> ok{0}, failed{0}, runs{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&, t] {
            for (int i = 0; i < kPerThread; ++i) {
                bool fail = i % 10 == 0;
                Status st = db->Write(StoreJob("S" + std::to_string(t * kPerThread + i), fail, &runs));
                (st.ok() ? ok : failed)++;
                if (fail) {
                    EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
                }
            }
        });
    }
    for (auto& th : threads) th.join();
    EXPECT_EQ(failed.load(), kThreads * kPerThread / 10);
    EXPECT_EQ(CountRows(*db, "SELECT count(*) FROM stores"), ok.load());
}

// Runs `jobs` as one group, in this order: the writer is held by a job of its own until all
// of them are queued behind it. `modes` gives each job's WriteMode (none: kOnce). Returns each
// job's outcome.
std::vector<Status> RunAsOneGroup(Database& db, const std::vector<TransactionFn>& jobs,
                                  const std::vector<WriteMode>& modes = {}) {
    std::atomic<bool> running{false}, release{false};
    std::thread blocker([&] {
        (void)db.Write([&](Connection&) -> Status {
            running = true;
            while (!release.load()) std::this_thread::yield();
            return Status::Ok();
        });
    });
    while (!running.load()) std::this_thread::yield();
    std::vector<Status> results(jobs.size());
    std::vector<std::thread> writers;
    for (size_t i = 0; i < jobs.size(); ++i) {
        WriteMode mode = i < modes.size() ? modes[i] : WriteMode::kOnce;
        writers.emplace_back([&, i, mode] { results[i] = db.Write(jobs[i], mode); });
        while (db.WriterQueueDepth() != static_cast<int64_t>(i + 1)) std::this_thread::yield();
    }
    release = true;
    blocker.join();
    for (auto& w : writers) w.join();
    return results;
}

// The first job of a group runs without a savepoint: when it fails after writing, its writes
// go and the jobs queued behind it still commit, each with its own outcome.
TEST(SqliteDatabase, AFailingFirstJobOfAGroupRollsBackAloneAndTheGroupGoesOn) {
    auto db = OpenTestDb("first_job");
    ASSERT_TRUE(CreateTenant(*db).ok());
    // In this order: fail, ok, fail, ok.
    const bool fails[] = {true, false, true, false};
    std::atomic<int> runs{0};
    std::vector<TransactionFn> jobs;
    for (int i = 0; i < 4; ++i) jobs.push_back(StoreJob("F" + std::to_string(i), fails[i], &runs));
    std::vector<Status> results = RunAsOneGroup(*db, jobs);
    for (int i = 0; i < 4; ++i) {
        EXPECT_EQ(results[i].code(), fails[i] ? StatusCode::kInvalidArgument : StatusCode::kOk) << i;
    }
    EXPECT_EQ(CountRows(*db, "SELECT count(*) FROM stores WHERE code IN ('F1', 'F3')"), 2);
    EXPECT_EQ(CountRows(*db, "SELECT count(*) FROM stores WHERE code IN ('F0', 'F2')"), 0);
}

// An error that ends the whole transaction (here ON CONFLICT ROLLBACK) takes the writes of the
// jobs before it in the group with it: they are told so, nothing of them stays, and the jobs
// after it go on in a new transaction.
TEST(SqliteDatabase, AnErrorThatEndsTheTransactionFailsTheJobsItTookAlong) {
    auto db = OpenTestDb("transaction_gone");
    ASSERT_TRUE(CreateTenant(*db).ok());
    // In this order: ok, ok, ends the transaction, ok.
    const char* sql[] = {
        "INSERT INTO stores(tenant_id, kind, code, name, created_at, updated_at) VALUES (1,'store','G0','x',0,0)",
        "INSERT INTO stores(tenant_id, kind, code, name, created_at, updated_at) VALUES (1,'store','G1','x',0,0)",
        "INSERT OR ROLLBACK INTO tenants(tenant_id, name, created_at, updated_at) VALUES (1,'dup',0,0)",
        "INSERT INTO stores(tenant_id, kind, code, name, created_at, updated_at) VALUES (1,'store','G3','x',0,0)",
    };
    std::vector<TransactionFn> jobs;
    for (const char* q : sql) jobs.push_back([q](Connection& c) { return c.Exec(q); });
    std::vector<Status> results = RunAsOneGroup(*db, jobs);
    EXPECT_EQ(results[0].code(), StatusCode::kUnavailable) << results[0].ToString();
    EXPECT_EQ(results[1].code(), StatusCode::kUnavailable) << results[1].ToString();
    EXPECT_FALSE(results[2].ok());
    EXPECT_TRUE(results[3].ok()) << results[3].ToString();
    EXPECT_EQ(CountRows(*db, "SELECT count(*) FROM stores WHERE code IN ('G0', 'G1')"), 0);
    EXPECT_EQ(CountRows(*db, "SELECT count(*) FROM stores WHERE code = 'G3'"), 1);
    EXPECT_EQ(CountRows(*db, "SELECT count(*) FROM tenants"), 1);
}

// Replayable jobs run without savepoints. When one fails after writing, the transaction is
// rolled back and the jobs before it run again; the rest of the group then takes savepoints,
// so the second failure rolls back alone and nothing runs a third time.
TEST(SqliteDatabase, AFailingReplayableJobCostsTheJobsBeforeItOneReplayAndNothingElse) {
    auto db = OpenTestDb("replayable");
    ASSERT_TRUE(CreateTenant(*db).ok());
    const bool fails[] = {false, false, true, false, true, false};
    constexpr int kJobs = 6;
    std::atomic<int> runs[kJobs] = {};
    std::vector<TransactionFn> jobs;
    for (int i = 0; i < kJobs; ++i) jobs.push_back(StoreJob("R" + std::to_string(i), fails[i], &runs[i]));
    std::vector<Status> results = RunAsOneGroup(*db, jobs, std::vector<WriteMode>(kJobs, WriteMode::kReplayable));
    const int expected_runs[] = {2, 2, 1, 1, 1, 1};
    for (int i = 0; i < kJobs; ++i) {
        EXPECT_EQ(results[i].code(), fails[i] ? StatusCode::kInvalidArgument : StatusCode::kOk) << i;
        EXPECT_EQ(runs[i].load(), expected_runs[i]) << i;
        std::string count = "SELECT count(*) FROM stores WHERE code = 'R" + std::to_string(i) + "'";
        EXPECT_EQ(CountRows(*db, count.c_str()), fails[i] ? 0 : 1) << i;
    }
}

// One job of a group that fails before writing anything, counting its runs.
TransactionFn RefusingJob(std::atomic<int>* runs) {
    return [runs](Connection& c) -> Status {
        ++*runs;
        SIYU_ASSIGN_OR_RETURN(auto stmt, c.Prepare("SELECT count(*) FROM stores"));
        SIYU_RETURN_IF_ERROR(stmt.Step().status());
        return Status::FailedPrecondition("deliberate refusal before any write");
    };
}

// A replayable job that fails before changing a row leaves the transaction as it was: nothing
// is rolled back or replayed, not even when it comes first or when every job fails so.
TEST(SqliteDatabase, AReplayableJobRefusedBeforeWritingCostsTheGroupNothing) {
    auto db = OpenTestDb("replayable_refusals");
    ASSERT_TRUE(CreateTenant(*db).ok());
    std::atomic<int> runs[5] = {};
    std::vector<TransactionFn> jobs = {RefusingJob(&runs[0]), StoreJob("N1", false, &runs[1]), RefusingJob(&runs[2]),
                                       StoreJob("N3", false, &runs[3]), StoreJob("N4", true, &runs[4])};
    std::vector<Status> results = RunAsOneGroup(*db, jobs, std::vector<WriteMode>(5, WriteMode::kReplayable));
    const StatusCode expected[] = {StatusCode::kFailedPrecondition, StatusCode::kOk, StatusCode::kFailedPrecondition,
                                   StatusCode::kOk, StatusCode::kInvalidArgument};
    // Only the job that failed after writing costs the two before it a replay.
    const int expected_runs[] = {1, 2, 1, 2, 1};
    for (int i = 0; i < 5; ++i) {
        EXPECT_EQ(results[i].code(), expected[i]) << i << " " << results[i].ToString();
        EXPECT_EQ(runs[i].load(), expected_runs[i]) << i;
    }
    EXPECT_EQ(CountRows(*db, "SELECT count(*) FROM stores WHERE code IN ('N1', 'N3')"), 2);
    EXPECT_EQ(CountRows(*db, "SELECT count(*) FROM stores WHERE code = 'N4'"), 0);

    std::atomic<int> refused[3] = {};
    results = RunAsOneGroup(*db, {RefusingJob(&refused[0]), RefusingJob(&refused[1]), RefusingJob(&refused[2])},
                            std::vector<WriteMode>(3, WriteMode::kReplayable));
    for (int i = 0; i < 3; ++i) {
        EXPECT_EQ(results[i].code(), StatusCode::kFailedPrecondition) << i;
        EXPECT_EQ(refused[i].load(), 1) << i;
    }
    // The writer is free for the next group: the transaction of the refused ones is closed.
    std::atomic<int> after{0};
    EXPECT_TRUE(db->Write(StoreJob("N5", false, &after), WriteMode::kReplayable).ok());
    EXPECT_EQ(CountRows(*db, "SELECT count(*) FROM stores WHERE code = 'N5'"), 1);
}

// A job that may run only once, ahead in the transaction, cannot be replayed: the replayable
// jobs after it take savepoints, and a failing one rolls back alone.
TEST(SqliteDatabase, AfterAJobThatRunsOnceReplayableJobsTakeSavepoints) {
    auto db = OpenTestDb("replayable_after_once");
    ASSERT_TRUE(CreateTenant(*db).ok());
    const bool fails[] = {false, false, true, false};
    std::atomic<int> runs[4] = {};
    std::vector<TransactionFn> jobs;
    for (int i = 0; i < 4; ++i) jobs.push_back(StoreJob("O" + std::to_string(i), fails[i], &runs[i]));
    std::vector<Status> results = RunAsOneGroup(
        *db, jobs, {WriteMode::kOnce, WriteMode::kReplayable, WriteMode::kReplayable, WriteMode::kReplayable});
    for (int i = 0; i < 4; ++i) {
        EXPECT_EQ(results[i].code(), fails[i] ? StatusCode::kInvalidArgument : StatusCode::kOk) << i;
        EXPECT_EQ(runs[i].load(), 1) << i;
    }
    EXPECT_EQ(CountRows(*db, "SELECT count(*) FROM stores WHERE code IN ('O0', 'O1', 'O3')"), 3);
    EXPECT_EQ(CountRows(*db, "SELECT count(*) FROM stores WHERE code = 'O2'"), 0);
}

// An error that ends the whole transaction does not cost replayable jobs their outcome: they
// run again in the next transaction and commit once.
TEST(SqliteDatabase, ReplayableJobsTakenAlongByAnErrorThatEndsTheTransactionRunAgain) {
    auto db = OpenTestDb("replayable_transaction_gone");
    ASSERT_TRUE(CreateTenant(*db).ok());
    std::atomic<int> runs[3] = {};
    std::vector<TransactionFn> jobs = {
        StoreJob("T0", false, &runs[0]), StoreJob("T1", false, &runs[1]),
        [](Connection& c) {
            return c.Exec("INSERT OR ROLLBACK INTO tenants(tenant_id, name, created_at, updated_at) VALUES (1,'d',0,0)");
        },
        StoreJob("T3", false, &runs[2])};
    std::vector<Status> results = RunAsOneGroup(*db, jobs, std::vector<WriteMode>(4, WriteMode::kReplayable));
    EXPECT_TRUE(results[0].ok()) << results[0].ToString();
    EXPECT_TRUE(results[1].ok()) << results[1].ToString();
    EXPECT_FALSE(results[2].ok());
    EXPECT_TRUE(results[3].ok()) << results[3].ToString();
    EXPECT_EQ(runs[0].load(), 2);
    EXPECT_EQ(runs[1].load(), 2);
    EXPECT_EQ(runs[2].load(), 1);
    EXPECT_EQ(CountRows(*db, "SELECT count(*) FROM stores WHERE code IN ('T0', 'T1', 'T3')"), 3);
    EXPECT_EQ(CountRows(*db, "SELECT count(*) FROM tenants"), 1);
}

TEST(SqliteDatabase, ConstraintViolationIsAlreadyExistsAndRollsBackOnlyThatWriter) {
    auto db = OpenTestDb("constraint");
    auto insert = [&](int64_t id) {
        return db->Write([&](Connection& c) -> Status {
            SIYU_ASSIGN_OR_RETURN(auto stmt, c.Prepare("INSERT INTO tenants(tenant_id, name, created_at, updated_at) "
                                                       "VALUES (?, 'x', 0, 0)"));
            return stmt.Bind(1, id).Run();
        });
    };
    EXPECT_TRUE(insert(1).ok());
    EXPECT_EQ(insert(1).code(), StatusCode::kAlreadyExists);
    EXPECT_TRUE(insert(2).ok());
    EXPECT_EQ(CountRows(*db, "SELECT count(*) FROM tenants"), 2);
}

TEST(SqliteDatabase, ExceptionInsideAWriteBecomesInternalAndTheWriterKeepsGoing) {
    auto db = OpenTestDb("exception");
    Status st = db->Write([](Connection&) -> Status { throw std::runtime_error("boom"); });
    EXPECT_EQ(st.code(), StatusCode::kInternal);
    EXPECT_TRUE(db->Write([](Connection& c) { return c.Exec("SELECT 1"); }).ok());
}

// Savepoint and statement journals live in the journal VFS: rolling back a savepoint or a
// failing statement restores every page, whether the journal stayed in memory or spilled.
TEST(SqliteDatabase, JournalsInTheJournalVfsUndoSavepointsAndFailedStatements) {
    ASSERT_TRUE(kJournalVfs.ok()) << kJournalVfs.ToString();
    auto db = OpenTestDb("journal_vfs");
    const char* kFingerprint = "SELECT count(*) * 1000003 + sum(length(v)) + sum(unicode(substr(v, 7))) FROM t";
    auto before = GetJournalVfsStats();
    ASSERT_TRUE(db->Write([](Connection& c) {
                      return c.Exec("CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT NOT NULL UNIQUE); "
                                    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 4000) "
                                    "INSERT INTO t SELECT i, printf('row %06d ', i) || hex(randomblob(200)) FROM n;");
                  }).ok());
    int64_t original = CountRows(*db, kFingerprint);
    for (int rows : {20, 4000}) {  // a journal that stays in memory, and one that spills
        Status st = db->Write([&](Connection& c) -> Status {
            SIYU_RETURN_IF_ERROR(c.Exec("SAVEPOINT outer_sp"));
            SIYU_ASSIGN_OR_RETURN(auto update, c.Prepare("UPDATE t SET v = lower(v) || 'x' WHERE id <= ?"));
            SIYU_RETURN_IF_ERROR(update.Bind(1, int64_t{rows}).Run());
            // A statement that fails half-way (the copy of row 1 collides with row 1 once it
            // has written others) is undone alone.
            Status failed = c.Exec("INSERT INTO t(id, v) SELECT id + 100000, v || '-copy' FROM t WHERE id > 1 "
                                   "UNION ALL SELECT 200000, v FROM t WHERE id = 2");
            EXPECT_EQ(failed.code(), StatusCode::kInternal) << failed.ToString();
            EXPECT_NE(failed.message().find("UNIQUE"), std::string::npos) << failed.ToString();
            SIYU_RETURN_IF_ERROR(c.Exec("ROLLBACK TO outer_sp"));
            return c.Exec("RELEASE outer_sp");
        });
        ASSERT_TRUE(st.ok()) << st.ToString();
        EXPECT_EQ(CountRows(*db, kFingerprint), original) << rows;
    }
    auto after = GetJournalVfsStats();
    EXPECT_GT(after.opened, before.opened);
    EXPECT_GT(after.spilled, before.spilled);
    int64_t ok = 0;
    ASSERT_TRUE(db->Read([&](Connection& c) -> Status {
                      SIYU_ASSIGN_OR_RETURN(auto check, c.Prepare("PRAGMA integrity_check"));
                      SIYU_ASSIGN_OR_RETURN(bool row, check.Step());
                      ok = row && check.Text(0) == "ok";
                      return Status::Ok();
                  }).ok());
    EXPECT_EQ(ok, 1);
}

// The writer runs no checkpoints itself; the checkpointer beside it keeps the write-ahead log
// from growing without end while writes never pause, and everything written reads back after
// the database is closed and opened again.
TEST(SqliteDatabase, TheLogStaysBoundedUnderNonStopWritesAndEverythingAcknowledgedStays) {
    std::string path = TempDbPath("log_bounded");
    constexpr int kThreads = 4;
    constexpr int kPerThread = 1400;
    constexpr int kBlob = 96 * 1024;  // 4 × 1400 × 96 KB ≈ 540 MB through the log
    int64_t largest_log = 0;
    {
        auto db = OpenSqlite({.path = path, .readers = 2}).value();
        ASSERT_TRUE(db->Write([](Connection& c) { return c.Exec("CREATE TABLE blobs(id INTEGER PRIMARY KEY, b BLOB)"); })
                        .ok());
        std::atomic<int> acknowledged{0};
        std::vector<std::thread> threads;
        for (int t = 0; t < kThreads; ++t) {
            threads.emplace_back([&, t] {
                for (int i = 0; i < kPerThread; ++i) {
                    Status st = db->Write([&](Connection& c) -> Status {
                        SIYU_ASSIGN_OR_RETURN(auto stmt, c.Prepare("INSERT INTO blobs(id, b) VALUES (?, randomblob(?))"));
                        return stmt.Bind(1, int64_t{t * kPerThread + i}).Bind(2, int64_t{kBlob}).Run();
                    });
                    if (st.ok()) acknowledged++;
                }
            });
        }
        std::atomic<bool> done{false};
        std::thread watcher([&] {
            while (!done.load()) {
                std::error_code ec;
                auto size = std::filesystem::file_size(path + "-wal", ec);
                if (!ec) largest_log = std::max<int64_t>(largest_log, static_cast<int64_t>(size));
                std::this_thread::sleep_for(std::chrono::milliseconds(5));
            }
        });
        for (auto& th : threads) th.join();
        done = true;
        watcher.join();
        EXPECT_EQ(acknowledged.load(), kThreads * kPerThread);
    }
    EXPECT_GT(largest_log, 0);
    // The writer waits for a complete checkpoint beyond about 256 MB; a group in flight adds
    // at most a few jobs' pages to that.
    EXPECT_LT(largest_log, int64_t{320} << 20) << "the log grew to " << largest_log << " bytes";
    auto again = OpenSqlite({.path = path}).value();
    EXPECT_EQ(CountRows(*again, "SELECT count(*) FROM blobs WHERE length(b) = 98304"), kThreads * kPerThread);
}

TEST(SqliteDatabase, WhenWritesStopTheLogIsCopiedIntoTheDatabaseFile) {
    std::string path = TempDbPath("resting_checkpoint");
    auto db = OpenSqlite({.path = path}).value();
    ASSERT_TRUE(CreateFilledTable(*db, 500, "BLOB", "randomblob(2000)").ok());
    // Far fewer frames than a checkpoint waits for: only the writer's rest copies them.
    auto size = [&] {
        std::error_code ec;
        auto n = std::filesystem::file_size(path, ec);
        return ec ? uintmax_t{0} : n;
    };
    for (int i = 0; i < 300 && size() < 1'000'000; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    EXPECT_GE(size(), 1'000'000u) << "the database file still lacks what the log holds";
}

// A failed fdatasync may have dropped pages the kernel could not write, and a later sync would
// report success over the gap: the database stops (fail-stop) until it is opened again.
TEST(SqliteDatabase, AFailedSyncStopsReadsAndWritesUntilTheDatabaseIsOpenedAgain) {
    std::string path = TempDbPath("fail_stop");
    std::atomic<bool> disk_fails{false};
    auto insert = [](int64_t id) {
        return [id](Connection& c) -> Status {
            SIYU_ASSIGN_OR_RETURN(auto stmt, c.Prepare("INSERT INTO t(id) VALUES (?)"));
            return stmt.Bind(1, id).Run();
        };
    };
    {
        SqliteOptions options{.path = path, .readers = 2};
        options.sync_log = [&](int fd) {
            if (!disk_fails.load()) return ::fdatasync(fd);
            errno = EIO;
            return -1;
        };
        auto db = OpenSqlite(options).value();
        ASSERT_TRUE(db->Write([](Connection& c) { return c.Exec("CREATE TABLE t(id INTEGER PRIMARY KEY)"); }).ok());
        ASSERT_TRUE(db->Write(insert(1)).ok());
        disk_fails = true;
        Status failed = db->Write(insert(2));
        EXPECT_EQ(failed.code(), StatusCode::kInternal) << failed.ToString();
        EXPECT_NE(failed.message().find("Input/output error"), std::string::npos) << failed.ToString();
        // The disk works again, but nothing is answered as durable until a restart.
        disk_fails = false;
        Status later = db->Write(insert(3));
        EXPECT_EQ(later.code(), StatusCode::kUnavailable) << later.ToString();
        EXPECT_NE(later.message().find("restart"), std::string::npos) << later.ToString();
        Status read = db->Read([](Connection&) { return Status::Ok(); });
        EXPECT_EQ(read.code(), StatusCode::kUnavailable) << read.ToString();
    }
    // Opened again: what was acknowledged is there, what was refused is not, and it serves.
    auto again = OpenSqlite({.path = path}).value();
    EXPECT_EQ(CountRows(*again, "SELECT count(*) FROM t WHERE id = 1"), 1);
    EXPECT_EQ(CountRows(*again, "SELECT count(*) FROM t WHERE id = 3"), 0);
    EXPECT_TRUE(again->Write(insert(4)).ok());
    EXPECT_EQ(CountRows(*again, "SELECT count(*) FROM t WHERE id = 4"), 1);
}

// What a crash leaves: the database and its write-ahead log copied while the database is open
// (what the operating system holds, without the shared-memory index) open with every
// acknowledged write, also a transaction larger than the page cache that wrote pages twice
// (SQLite then rewrites frame headers of the same commit after writing its last frame).
TEST(SqliteDatabase, AcknowledgedWritesSurviveACrashCopyOfTheFiles) {
    std::string path = TempDbPath("crash_copy");
    std::string copy = TempDbPath("crash_copy_after");
    auto db = OpenSqlite({.path = path}).value();
    ASSERT_TRUE(CreateFilledTable(*db, 3000, "TEXT", "hex(randomblob(300))").ok());
    ASSERT_TRUE(db->Write([](Connection& c) {
                      // A page cache of a few pages: the first update spills pages to the log
                      // before the commit and the second writes them again.
                      return c.Exec("PRAGMA cache_size=8; UPDATE t SET v = v || 'a'; UPDATE t SET v = v || 'b'; "
                                    "PRAGMA cache_size=-65536;");
                  }).ok());
    // Copied right after the answer: nothing else has touched the log since.
    std::filesystem::copy_file(path, copy, std::filesystem::copy_options::overwrite_existing);
    std::filesystem::copy_file(path + "-wal", copy + "-wal", std::filesystem::copy_options::overwrite_existing);
    auto after = OpenSqlite({.path = copy}).value();
    EXPECT_EQ(CountRows(*after, "SELECT count(*) FROM t WHERE v LIKE '%ab'"), 3000);
}

TEST(SqliteDatabase, BackupCopiesALiveDatabase) {
    std::string path = TempDbPath("backup_src");
    auto db = OpenSqlite({.path = path}).value();
    ASSERT_TRUE(db->Migrate().ok());
    ASSERT_TRUE(db->Write([](Connection& c) {
                      return c.Exec("INSERT INTO tenants(tenant_id, name, created_at, updated_at) VALUES (7,'b',0,0)");
                  }).ok());
    std::string dest = TempDbPath("backup_dst");
    ASSERT_TRUE(BackupSqlite(path, dest).ok());
    auto copy = OpenSqlite({.path = dest}).value();
    EXPECT_EQ(CountRows(*copy, "SELECT count(*) FROM tenants WHERE tenant_id = 7"), 1);
}

}  // namespace
}  // namespace siyu::store
