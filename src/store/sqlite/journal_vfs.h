#pragma once

#include <cstdint>

#include "base/status.h"

struct sqlite3;

namespace siyu::store {

// Installs, once per process, a VFS in front of SQLite's default one that keeps savepoint and
// statement journals ("sub-journals") in memory and writes the frames of each commit to the
// write-ahead log in a few large writes, and makes it the default.
//
// Why: every write job of the group commit runs in a savepoint, and under an open savepoint
// SQLite copies each page a statement is about to change into the sub-journal, so that the
// statement or the savepoint can be undone on its own. SQLite keeps the first 64 KiB of that
// journal in memory and then moves it to a temporary file for the rest of the transaction:
// from then on every copied page costs two write system calls, more than the write-ahead log
// itself. SQLite's own ways to keep it in memory are not usable with SQLite 3.40 (see
// docs/decisions.md). This VFS keeps the journal in memory in 64 KiB chunks with random
// access and moves it to a real temporary file only beyond `spill_bytes`. The write-ahead
// log goes to the default VFS through a buffer that is written out at the end of each commit
// (WalFile in journal_vfs.cc); every other file goes to the default VFS unchanged.
//
// Must run before the first connection opens; later calls do nothing.
Status InstallJournalVfs(int64_t spill_bytes = int64_t{64} << 20);

// Writes out what the connection's write-ahead log still holds in its buffer; returns an
// SQLite result code. Normally nothing is left: appends are written out when a commit's last
// frame is in, and every other write goes straight to the file. The writer calls it after
// each commit anyway, before handing the group to the syncer, so that durability does not
// rest on recognising SQLite's commit frames alone.
int FlushLog(sqlite3* db);

// Sub-journals opened and spilled to a file since the process started (for tests).
struct JournalVfsStats {
    int64_t opened = 0;
    int64_t spilled = 0;
};
JournalVfsStats GetJournalVfsStats();

}  // namespace siyu::store
