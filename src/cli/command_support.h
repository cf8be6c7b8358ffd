#pragma once

// What every `siyu` subcommand shares: one-line failures and the data directory's lock.

#include <string>
#include <utility>

#include "base/status.h"

namespace siyu::cli {

// A failure the command reports as one line on stderr, exiting 1. main() catches it.
struct CommandError {
    std::string message;
};

[[noreturn]] void Fail(const std::string& message);

// The message of `st`, led by the field it names.
std::string Describe(const Status& st);

inline void Check(const Status& st, const std::string& what) {
    if (!st.ok()) Fail(what + ": " + Describe(st));
}

template <typename T>
T Unwrap(Result<T> r, const std::string& what) {
    Check(r.ok() ? Status::Ok() : r.status(), what);
    return std::move(r).value();
}

// Holds an exclusive lock (flock) on the data directory while a server, a restore or an
// import uses it; fails with `busy_hint` appended when another process holds it.
class DataDirLock {
  public:
    DataDirLock(const std::string& data_dir, const std::string& busy_hint);
    ~DataDirLock();
    DataDirLock(const DataDirLock&) = delete;
    DataDirLock& operator=(const DataDirLock&) = delete;

  private:
    int fd_ = -1;
};

}  // namespace siyu::cli
