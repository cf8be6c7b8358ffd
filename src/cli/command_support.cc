#include "cli/command_support.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <filesystem>

namespace siyu::cli {

void Fail(const std::string& message) { throw CommandError{message}; }

std::string Describe(const Status& st) {
    const std::string& m = st.message();
    bool named = st.field().empty() || m.rfind(st.field(), 0) == 0;
    return named ? m : st.field() + ": " + m;
}

DataDirLock::DataDirLock(const std::string& data_dir, const std::string& busy_hint) {
    std::string path = (std::filesystem::path(data_dir) / "siyu.lock").string();
    fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd_ < 0) Fail("cannot open " + path);
    if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
        ::close(fd_);
        fd_ = -1;
        Fail("the data directory " + data_dir + " is in use by a running siyu server; " + busy_hint);
    }
}

DataDirLock::~DataDirLock() {
    if (fd_ >= 0) ::close(fd_);
}

}  // namespace siyu::cli
