#include "store/sqlite/journal_vfs.h"

#include <sqlite3.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <memory>
#include <mutex>
#include <new>
#include <string>
#include <vector>

namespace siyu::store {

namespace {

constexpr int64_t kChunk = 64 * 1024;

sqlite3_vfs* g_base = nullptr;  // the default VFS this one sits in front of
int64_t g_spill_bytes = 0;
std::atomic<int64_t> g_opened{0};
std::atomic<int64_t> g_spilled{0};

// A sub-journal: bytes in memory until it grows beyond g_spill_bytes, then a real temporary
// file of the default VFS (`real`) that every call goes to from then on. Lives in the memory
// SQLite reserves for a file object (szOsFile), built with placement new in Open.
struct JournalFile {
    sqlite3_file base;  // must come first: SQLite sees a sqlite3_file*
    int flags = 0;
    int64_t size = 0;
    std::vector<std::unique_ptr<char[]>> chunks;
    sqlite3_file* real = nullptr;  // after a spill; sqlite3_malloc'd, g_base->szOsFile bytes
};

JournalFile* Self(sqlite3_file* f) { return reinterpret_cast<JournalFile*>(f); }

void CopyOut(const JournalFile& j, void* out, int64_t offset, int64_t n) {
    char* dst = static_cast<char*>(out);
    while (n > 0) {
        int64_t in_chunk = offset % kChunk;
        int64_t take = std::min(n, kChunk - in_chunk);
        std::memcpy(dst, j.chunks[static_cast<size_t>(offset / kChunk)].get() + in_chunk, static_cast<size_t>(take));
        dst += take;
        offset += take;
        n -= take;
    }
}

// Moves the journal's bytes into a real temporary file; the memory is freed.
int Spill(JournalFile& j) {
    auto* real = static_cast<sqlite3_file*>(sqlite3_malloc(g_base->szOsFile));
    if (real == nullptr) return SQLITE_IOERR_NOMEM;
    std::memset(real, 0, static_cast<size_t>(g_base->szOsFile));
    int out_flags = 0;
    int rc = g_base->xOpen(g_base, nullptr, real, j.flags, &out_flags);
    if (rc != SQLITE_OK) {
        if (real->pMethods != nullptr) real->pMethods->xClose(real);
        sqlite3_free(real);
        return rc;
    }
    for (int64_t offset = 0; offset < j.size && rc == SQLITE_OK; offset += kChunk) {
        int64_t n = std::min(kChunk, j.size - offset);
        rc = real->pMethods->xWrite(real, j.chunks[static_cast<size_t>(offset / kChunk)].get(), static_cast<int>(n),
                                    offset);
    }
    if (rc != SQLITE_OK) {
        real->pMethods->xClose(real);
        sqlite3_free(real);
        return rc;
    }
    j.chunks.clear();
    j.real = real;
    g_spilled.fetch_add(1, std::memory_order_relaxed);
    return SQLITE_OK;
}

int Close(sqlite3_file* f) {
    JournalFile* j = Self(f);
    int rc = SQLITE_OK;
    if (j->real != nullptr) {
        rc = j->real->pMethods->xClose(j->real);
        sqlite3_free(j->real);
    }
    j->~JournalFile();
    return rc;
}

int Read(sqlite3_file* f, void* out, int amount, sqlite3_int64 offset) {
    JournalFile* j = Self(f);
    if (j->real != nullptr) return j->real->pMethods->xRead(j->real, out, amount, offset);
    int64_t available = std::clamp<int64_t>(j->size - offset, 0, amount);
    if (available > 0) CopyOut(*j, out, offset, available);
    if (available < amount) {
        // SQLite's contract for a short read: zero the rest.
        std::memset(static_cast<char*>(out) + available, 0, static_cast<size_t>(amount - available));
        return SQLITE_IOERR_SHORT_READ;
    }
    return SQLITE_OK;
}

int Write(sqlite3_file* f, const void* data, int amount, sqlite3_int64 offset) {
    JournalFile* j = Self(f);
    if (j->real == nullptr && offset + amount > g_spill_bytes) {
        int rc = Spill(*j);
        if (rc != SQLITE_OK) return rc;
    }
    if (j->real != nullptr) return j->real->pMethods->xWrite(j->real, data, amount, offset);
    int64_t end = offset + amount;
    try {
        while (static_cast<int64_t>(j->chunks.size()) * kChunk < end) {
            j->chunks.push_back(std::make_unique<char[]>(static_cast<size_t>(kChunk)));  // zeroed
        }
    } catch (const std::bad_alloc&) {
        return SQLITE_IOERR_NOMEM;
    }
    const char* src = static_cast<const char*>(data);
    int64_t at = offset, left = amount;
    while (left > 0) {
        int64_t in_chunk = at % kChunk;
        int64_t put = std::min(left, kChunk - in_chunk);
        std::memcpy(j->chunks[static_cast<size_t>(at / kChunk)].get() + in_chunk, src, static_cast<size_t>(put));
        src += put;
        at += put;
        left -= put;
    }
    j->size = std::max(j->size, end);
    return SQLITE_OK;
}

int Truncate(sqlite3_file* f, sqlite3_int64 size) {
    JournalFile* j = Self(f);
    if (j->real != nullptr) return j->real->pMethods->xTruncate(j->real, size);
    if (size < j->size) {
        // Bytes past the new end must read back as zeros if the file grows again.
        j->size = size;
        size_t keep = static_cast<size_t>((size + kChunk - 1) / kChunk);
        if (keep < j->chunks.size()) j->chunks.resize(keep);
        if (size % kChunk != 0) {
            int64_t in_chunk = size % kChunk;
            std::memset(j->chunks.back().get() + in_chunk, 0, static_cast<size_t>(kChunk - in_chunk));
        }
    }
    return SQLITE_OK;
}

int Sync(sqlite3_file* f, int flags) {
    JournalFile* j = Self(f);
    if (j->real != nullptr) return j->real->pMethods->xSync(j->real, flags);
    return SQLITE_OK;
}

int FileSize(sqlite3_file* f, sqlite3_int64* size) {
    JournalFile* j = Self(f);
    if (j->real != nullptr) return j->real->pMethods->xFileSize(j->real, size);
    *size = j->size;
    return SQLITE_OK;
}

int Lock(sqlite3_file*, int) { return SQLITE_OK; }
int Unlock(sqlite3_file*, int) { return SQLITE_OK; }
int CheckReservedLock(sqlite3_file*, int* out) {
    *out = 0;
    return SQLITE_OK;
}
int FileControl(sqlite3_file*, int, void*) { return SQLITE_NOTFOUND; }
int SectorSize(sqlite3_file*) { return 4096; }
int DeviceCharacteristics(sqlite3_file*) { return 0; }

const sqlite3_io_methods kJournalMethods = {
    1,  // iVersion: no shared memory, no memory mapping
    Close, Read, Write, Truncate, Sync, FileSize, Lock, Unlock, CheckReservedLock, FileControl, SectorSize,
    DeviceCharacteristics,
    nullptr, nullptr, nullptr, nullptr, nullptr, nullptr,
};

// --- The write-ahead log: frames gathered into one write per commit ---------------------------
//
// SQLite writes each log frame with two calls (its 24-byte header, then the page), and the
// kernel's cost of a buffered write is mostly per call. A WalFile keeps appends in a buffer
// and writes them out in a few calls when the commit's last frame is in (the frame header of a
// commit carries the database size, other frames carry zero), before any read, sync, truncate,
// size query, file control or close, and beyond kWalBuffer bytes; any write that is not an
// append goes straight to the file after the buffer. So every frame of a commit is in the file
// before SQLite publishes the commit in the shared log index: readers and checkpoints (other
// connections, reading the file) never miss one.
constexpr size_t kWalBuffer = size_t{4} << 20;
constexpr int kFrameHeader = 24;

struct WalFile {
    sqlite3_file base;  // must come first
    sqlite3_file* real = nullptr;
    std::vector<char> pending;
    int64_t pending_at = 0;      // file offset of pending[0]
    int64_t next = -1;           // where the last write ended: a write there is an append
    bool commit_frame = false;   // the header just written is a commit's last frame
};

WalFile* Wal(sqlite3_file* f) { return reinterpret_cast<WalFile*>(f); }

int Flush(WalFile& w) {
    // In pieces: the default VFS writes at most 128 KiB - 1 bytes per call (it masks the
    // length with 0x1ffff) and reports a longer write as a full disk.
    constexpr size_t kPiece = 120 * 1024;
    int rc = SQLITE_OK;
    for (size_t done = 0; done < w.pending.size() && rc == SQLITE_OK; done += kPiece) {
        size_t n = std::min(kPiece, w.pending.size() - done);
        rc = w.real->pMethods->xWrite(w.real, w.pending.data() + done, static_cast<int>(n),
                                      w.pending_at + static_cast<int64_t>(done));
    }
    w.pending.clear();
    return rc;
}

int WalClose(sqlite3_file* f) {
    WalFile* w = Wal(f);
    int rc = Flush(*w);
    int closed = w->real->pMethods->xClose(w->real);
    sqlite3_free(w->real);
    w->~WalFile();
    return rc != SQLITE_OK ? rc : closed;
}

int WalRead(sqlite3_file* f, void* out, int amount, sqlite3_int64 offset) {
    WalFile* w = Wal(f);
    if (int rc = Flush(*w); rc != SQLITE_OK) return rc;
    return w->real->pMethods->xRead(w->real, out, amount, offset);
}

bool IsCommitHeader(const void* data, int amount) {
    if (amount != kFrameHeader) return false;
    // Bytes 4..7 of a frame header: the database size in pages after a commit, else 0.
    const auto* u = static_cast<const unsigned char*>(data);
    return (u[4] | u[5] | u[6] | u[7]) != 0;
}

int WalWrite(sqlite3_file* f, const void* data, int amount, sqlite3_int64 offset) {
    WalFile* w = Wal(f);
    if (offset != w->next) {
        // Not an append: a frame header or page of this commit written again (SQLite does that
        // after the commit's last frame when a transaction wrote a page twice), or the log's
        // header when it starts over. Straight to the file, after everything buffered, so that
        // nothing of a commit is left in memory when SQLite publishes it.
        if (int rc = Flush(*w); rc != SQLITE_OK) return rc;
        w->next = offset + amount;
        w->commit_frame = IsCommitHeader(data, amount);
        return w->real->pMethods->xWrite(w->real, data, amount, offset);
    }
    if (w->pending.empty() || w->pending.size() + static_cast<size_t>(amount) > kWalBuffer) {
        if (int rc = Flush(*w); rc != SQLITE_OK) return rc;
        w->pending_at = offset;
    }
    const char* bytes = static_cast<const char*>(data);
    try {
        w->pending.insert(w->pending.end(), bytes, bytes + amount);
    } catch (const std::bad_alloc&) {
        w->pending.clear();
        return SQLITE_IOERR_NOMEM;
    }
    w->next = offset + amount;
    if (amount == kFrameHeader) {
        w->commit_frame = IsCommitHeader(data, amount);
        return SQLITE_OK;
    }
    if (w->commit_frame) {
        w->commit_frame = false;
        return Flush(*w);
    }
    return SQLITE_OK;
}

int WalTruncate(sqlite3_file* f, sqlite3_int64 size) {
    WalFile* w = Wal(f);
    if (int rc = Flush(*w); rc != SQLITE_OK) return rc;
    return w->real->pMethods->xTruncate(w->real, size);
}

int WalSync(sqlite3_file* f, int flags) {
    WalFile* w = Wal(f);
    if (int rc = Flush(*w); rc != SQLITE_OK) return rc;
    return w->real->pMethods->xSync(w->real, flags);
}

int WalFileSize(sqlite3_file* f, sqlite3_int64* size) {
    WalFile* w = Wal(f);
    if (int rc = Flush(*w); rc != SQLITE_OK) return rc;
    return w->real->pMethods->xFileSize(w->real, size);
}

int WalLock(sqlite3_file* f, int level) { return Wal(f)->real->pMethods->xLock(Wal(f)->real, level); }
int WalUnlock(sqlite3_file* f, int level) { return Wal(f)->real->pMethods->xUnlock(Wal(f)->real, level); }
int WalCheckReservedLock(sqlite3_file* f, int* out) {
    return Wal(f)->real->pMethods->xCheckReservedLock(Wal(f)->real, out);
}
int WalFileControl(sqlite3_file* f, int op, void* arg) {
    WalFile* w = Wal(f);
    if (int rc = Flush(*w); rc != SQLITE_OK) return rc;
    return w->real->pMethods->xFileControl(w->real, op, arg);
}
int WalSectorSize(sqlite3_file* f) { return Wal(f)->real->pMethods->xSectorSize(Wal(f)->real); }
int WalDeviceCharacteristics(sqlite3_file* f) {
    return Wal(f)->real->pMethods->xDeviceCharacteristics(Wal(f)->real);
}

const sqlite3_io_methods kWalMethods = {
    1,  // the log needs no shared memory or memory mapping of its own
    WalClose, WalRead, WalWrite, WalTruncate, WalSync, WalFileSize, WalLock, WalUnlock, WalCheckReservedLock,
    WalFileControl, WalSectorSize, WalDeviceCharacteristics,
    nullptr, nullptr, nullptr, nullptr, nullptr, nullptr,
};

int OpenWal(const char* name, sqlite3_file* file, int flags, int* out_flags) {
    auto* real = static_cast<sqlite3_file*>(sqlite3_malloc(g_base->szOsFile));
    if (real == nullptr) return SQLITE_NOMEM;
    std::memset(real, 0, static_cast<size_t>(g_base->szOsFile));
    int rc = g_base->xOpen(g_base, name, real, flags, out_flags);
    if (rc != SQLITE_OK) {
        if (real->pMethods != nullptr) real->pMethods->xClose(real);
        sqlite3_free(real);
        file->pMethods = nullptr;
        return rc;
    }
    auto* w = new (file) WalFile();
    w->real = real;
    w->base.pMethods = &kWalMethods;
    return SQLITE_OK;
}

int Open(sqlite3_vfs*, const char* name, sqlite3_file* file, int flags, int* out_flags) {
    if ((flags & SQLITE_OPEN_WAL) != 0) return OpenWal(name, file, flags, out_flags);
    if ((flags & SQLITE_OPEN_SUBJOURNAL) == 0) return g_base->xOpen(g_base, name, file, flags, out_flags);
    auto* j = new (file) JournalFile();
    j->flags = flags;
    j->base.pMethods = &kJournalMethods;
    if (out_flags != nullptr) *out_flags = flags;
    g_opened.fetch_add(1, std::memory_order_relaxed);
    return SQLITE_OK;
}

// Everything else is the default VFS's.
int Delete(sqlite3_vfs*, const char* name, int sync_dir) { return g_base->xDelete(g_base, name, sync_dir); }
int Access(sqlite3_vfs*, const char* name, int flags, int* out) { return g_base->xAccess(g_base, name, flags, out); }
int FullPathname(sqlite3_vfs*, const char* name, int n, char* out) {
    return g_base->xFullPathname(g_base, name, n, out);
}
void* DlOpen(sqlite3_vfs*, const char* name) { return g_base->xDlOpen(g_base, name); }
void DlError(sqlite3_vfs*, int n, char* out) { g_base->xDlError(g_base, n, out); }
void (*DlSym(sqlite3_vfs*, void* handle, const char* symbol))(void) { return g_base->xDlSym(g_base, handle, symbol); }
void DlClose(sqlite3_vfs*, void* handle) { g_base->xDlClose(g_base, handle); }
int Randomness(sqlite3_vfs*, int n, char* out) { return g_base->xRandomness(g_base, n, out); }
int Sleep(sqlite3_vfs*, int micros) { return g_base->xSleep(g_base, micros); }
int CurrentTime(sqlite3_vfs*, double* out) { return g_base->xCurrentTime(g_base, out); }
int GetLastError(sqlite3_vfs*, int n, char* out) { return g_base->xGetLastError(g_base, n, out); }
int CurrentTimeInt64(sqlite3_vfs*, sqlite3_int64* out) { return g_base->xCurrentTimeInt64(g_base, out); }
int SetSystemCall(sqlite3_vfs*, const char* name, sqlite3_syscall_ptr call) {
    return g_base->xSetSystemCall(g_base, name, call);
}
sqlite3_syscall_ptr GetSystemCall(sqlite3_vfs*, const char* name) { return g_base->xGetSystemCall(g_base, name); }
const char* NextSystemCall(sqlite3_vfs*, const char* name) { return g_base->xNextSystemCall(g_base, name); }

sqlite3_vfs g_vfs;

}  // namespace

Status InstallJournalVfs(int64_t spill_bytes) {
    static std::once_flag once;
    static Status result;
    std::call_once(once, [&] {
        // Sub-journals skip SQLite's own memory journal (which moves them to a file beyond
        // 64 KiB) and open here at once. Only possible before SQLite initializes; if it
        // already has, journals still land here once SQLite moves them out of memory.
        sqlite3_config(SQLITE_CONFIG_STMTJRNL_SPILL, 0);
        sqlite3_vfs* base = sqlite3_vfs_find(nullptr);
        if (base == nullptr || base->iVersion < 3) {
            result = Status::Internal("SQLite has no default VFS of version 3 to put the journal VFS in front of");
            return;
        }
        g_base = base;
        g_spill_bytes = std::max<int64_t>(spill_bytes, kChunk);
        g_vfs = *base;
        g_vfs.szOsFile =
            std::max({base->szOsFile, static_cast<int>(sizeof(JournalFile)), static_cast<int>(sizeof(WalFile))});
        g_vfs.zName = "siyu-journal";
        g_vfs.pAppData = nullptr;
        g_vfs.pNext = nullptr;
        g_vfs.xOpen = Open;
        g_vfs.xDelete = Delete;
        g_vfs.xAccess = Access;
        g_vfs.xFullPathname = FullPathname;
        g_vfs.xDlOpen = DlOpen;
        g_vfs.xDlError = DlError;
        g_vfs.xDlSym = DlSym;
        g_vfs.xDlClose = DlClose;
        g_vfs.xRandomness = Randomness;
        g_vfs.xSleep = Sleep;
        g_vfs.xCurrentTime = CurrentTime;
        g_vfs.xGetLastError = GetLastError;
        g_vfs.xCurrentTimeInt64 = CurrentTimeInt64;
        g_vfs.xSetSystemCall = SetSystemCall;
        g_vfs.xGetSystemCall = GetSystemCall;
        g_vfs.xNextSystemCall = NextSystemCall;
        int rc = sqlite3_vfs_register(&g_vfs, 1);
        if (rc != SQLITE_OK) {
            result = Status::Internal(std::string("cannot register the journal VFS: ") + sqlite3_errstr(rc));
        }
    });
    return result;
}

int FlushLog(sqlite3* db) {
    sqlite3_file* log = nullptr;
    int rc = sqlite3_file_control(db, "main", SQLITE_FCNTL_JOURNAL_POINTER, &log);
    if (rc != SQLITE_OK || log == nullptr || log->pMethods != &kWalMethods) return SQLITE_OK;
    return Flush(*Wal(log));
}

JournalVfsStats GetJournalVfsStats() {
    return JournalVfsStats{g_opened.load(std::memory_order_relaxed), g_spilled.load(std::memory_order_relaxed)};
}

}  // namespace siyu::store
