#include <gtest/gtest.h>

#include <atomic>
#include <cstdio>
#include <thread>
#include <vector>

#include "store/database.h"
#include "store/migrations.h"

namespace siyu::store {
namespace {

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

TEST(SqliteDatabase, MigrationsApplyOnceAndRecordTheirVersion) {
    auto db = OpenTestDb("migrate_once");
    auto version = db->SchemaVersion();
    ASSERT_TRUE(version.ok());
    EXPECT_EQ(version.value(), Migrations().back().version);
    EXPECT_TRUE(db->Migrate().ok());
    EXPECT_EQ(CountRows(*db, "SELECT count(*) FROM schema_migrations"), static_cast<int64_t>(Migrations().size()));
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

TEST(SqliteDatabase, GroupCommitGivesEachWriterItsOwnOutcome) {
    auto db = OpenTestDb("group_commit");
    ASSERT_TRUE(db->Write([](Connection& c) {
                      return c.Exec("INSERT INTO tenants(tenant_id, name, created_at, updated_at) VALUES (1,'t',0,0)");
                  }).ok());
    constexpr int kThreads = 8;
    constexpr int kPerThread = 200;
    std::atomic<int> ok{0}, failed{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&, t] {
            for (int i = 0; i < kPerThread; ++i) {
                bool fail = i % 10 == 0;
                Status st = db->Write([&](Connection& c) -> Status {
                    SIYU_ASSIGN_OR_RETURN(auto stmt, c.Prepare("INSERT INTO stores(tenant_id, kind, code, name, "
                                                               "created_at, updated_at) VALUES (1,'store',?,?,0,0)"));
                    SIYU_RETURN_IF_ERROR(stmt.Bind(1, "S" + std::to_string(t * kPerThread + i)).Bind(2, "x").Run());
                    if (fail) return Status::InvalidArgument("x", "deliberate failure after a write");
                    return Status::Ok();
                });
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

// The first job of a group runs without a savepoint: when it fails after writing, its writes
// go and the jobs queued behind it still commit, each with its own outcome.
TEST(SqliteDatabase, AFailingFirstJobOfAGroupRollsBackAloneAndTheGroupGoesOn) {
    auto db = OpenTestDb("first_job");
    ASSERT_TRUE(db->Write([](Connection& c) {
                      return c.Exec("INSERT INTO tenants(tenant_id, name, created_at, updated_at) VALUES (1,'t',0,0)");
                  }).ok());
    std::atomic<bool> running{false}, release{false};
    std::thread blocker([&] {
        (void)db->Write([&](Connection&) -> Status {
            running = true;
            while (!release.load()) std::this_thread::yield();
            return Status::Ok();
        });
    });
    while (!running.load()) std::this_thread::yield();
    // Queued in this order behind the blocker: fail, ok, fail, ok.
    const bool fails[] = {true, false, true, false};
    std::vector<Status> results(4);
    std::vector<std::thread> writers;
    for (int i = 0; i < 4; ++i) {
        writers.emplace_back([&, i] {
            results[i] = db->Write([&, i](Connection& c) -> Status {
                SIYU_ASSIGN_OR_RETURN(auto stmt, c.Prepare("INSERT INTO stores(tenant_id, kind, code, name, created_at, "
                                                           "updated_at) VALUES (1,'store',?,'x',0,0)"));
                SIYU_RETURN_IF_ERROR(stmt.Bind(1, "F" + std::to_string(i)).Run());
                if (fails[i]) return Status::InvalidArgument("x", "deliberate failure after a write");
                return Status::Ok();
            });
        });
        while (db->WriterQueueDepth() != i + 1) std::this_thread::yield();
    }
    release = true;
    blocker.join();
    for (auto& w : writers) w.join();
    for (int i = 0; i < 4; ++i) {
        EXPECT_EQ(results[i].code(), fails[i] ? StatusCode::kInvalidArgument : StatusCode::kOk) << i;
    }
    EXPECT_EQ(CountRows(*db, "SELECT count(*) FROM stores WHERE code IN ('F1', 'F3')"), 2);
    EXPECT_EQ(CountRows(*db, "SELECT count(*) FROM stores WHERE code IN ('F0', 'F2')"), 0);
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
