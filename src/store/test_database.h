#pragma once

// For tests only: fresh, migrated databases in temporary files.

#include <unistd.h>

#include <filesystem>
#include <memory>
#include <string>

#include "store/database.h"

namespace siyu::store {

// A path for a new database named `name`, with no leftovers from earlier runs.
inline std::string TestDatabasePath(const std::string& name) {
    auto dir = std::filesystem::temp_directory_path() / ("siyu-test-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    std::string path = (dir / (name + ".db")).string();
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
    return path;
}

// Opens and migrates a new database; aborts the test binary if that fails.
inline std::unique_ptr<Database> OpenTestDatabase(const std::string& name) {
    auto db = OpenSqlite({.path = TestDatabasePath(name), .readers = 2});
    if (!db.ok() || !db.value()->Migrate().ok()) std::abort();
    return std::move(db).value();
}

// Inserts bare tenants with the given ids.
inline Status AddTestTenants(Database& db, std::initializer_list<int64_t> ids) {
    return db.Write([&](Connection& c) -> Status {
        for (int64_t id : ids) {
            SIYU_ASSIGN_OR_RETURN(auto stmt, c.Prepare("INSERT INTO tenants(tenant_id, name, created_at, updated_at) "
                                                       "VALUES (?, 'test', 0, 0)"));
            SIYU_RETURN_IF_ERROR(stmt.Bind(1, id).Run());
        }
        return Status::Ok();
    });
}

}  // namespace siyu::store
