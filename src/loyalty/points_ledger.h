#pragma once

// The points ledger's primitives (docs/loyalty.md, "Points ledger"). Every function runs
// inside a loyalty Tx, appends one entry to points_entries with the balances after it,
// moves points between lots, updates the Member passed in (the caller saves it with
// Tx::SaveMember) and emits the matching CDP event. None of them commits.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "loyalty/core.h"

namespace siyu::loyalty {

enum class EntryType { kEarn, kRedeem, kExpire, kAdjust, kReverse, kHold, kRelease, kTransfer };
std::string_view EntryTypeName(EntryType type);
// The CDP event of an entry type: "Points Earned", "Points Redeemed", ...
std::string_view EntryEventName(EntryType type);

// What an entry records besides its amounts.
struct EntryMeta {
    std::string reason;
    std::string source_type;  // order, rule, operator, mall, hold, import, expiry, refund, ...
    std::string source_id;
    std::string operator_name;
    std::optional<std::string> idempotency_key;
    Json event_properties = Json::object();  // extra properties for the emitted event
    bool emit_event = true;  // false only for opening balances of imported members (no movement)
};

// The expiry of points earned at `at` under the tenant's settings (nullopt: never).
Result<std::optional<TimeMs>> LotExpiry(Tx& tx, TimeMs at);

struct Posted {
    int64_t entry_id = 0;
    int64_t amount = 0;  // the change of the available balance
    int64_t debt_change = 0;
};

// Adds `points` (> 0): debt is paid off first, the rest lands in a new lot expiring at
// `expires_at` (default: LotExpiry of now). `type` is kEarn, kAdjust or kTransfer. Counts
// towards the lifetime points earned when `counts_as_earned`.
Result<Posted> Credit(Tx& tx, Member& m, EntryType type, int64_t points, const EntryMeta& meta,
                      bool counts_as_earned, std::optional<std::optional<TimeMs>> expires_at = std::nullopt);

// Takes `points` (> 0) from the lots, oldest expiry first. Without `allow_debt` a balance
// short of `points` fails with failed_precondition and changes nothing; with it, what the
// balance lacks becomes debt against future earnings. `type` is kRedeem, kAdjust, kReverse
// or kTransfer.
Result<Posted> Debit(Tx& tx, Member& m, EntryType type, int64_t points, const EntryMeta& meta,
                     bool allow_debt = false);

// Gives back up to `points` of what the entry `debit_entry_id` took, to the lots it took them
// from (a restored redemption, a cancelled exchange). Points whose lot has expired meanwhile
// come back expired at the next expiry run. `type` is kReverse (or kRelease for a hold).
Result<Posted> Restore(Tx& tx, Member& m, EntryType type, int64_t debit_entry_id, int64_t points,
                       const EntryMeta& meta);

// Moves `points` from available to held, oldest expiry first (failed_precondition when short).
Result<Posted> Hold(Tx& tx, Member& m, int64_t points, const EntryMeta& meta);
// Settles a hold made by the entry `hold_entry_id`: capture consumes the held points
// (a kRedeem entry), release returns them to their lots (a kRelease entry).
Result<Posted> SettleHold(Tx& tx, Member& m, int64_t hold_entry_id, int64_t points, bool capture,
                          const EntryMeta& meta);

// Expires what remains of every lot of the member that expired at or before now.
Result<int64_t> ExpireDueLots(Tx& tx, Member& m);

// The ledger projection: up to `limit` entries past the projection's position, in entry
// order, each with its CDP event ("Points Earned", ...; none for entries made without one),
// and the last balance of each member for the profile trait `points`. Each entry gets its event
// exactly once.
//
// A pass is read in a read transaction (ReadProjection: the entries, and the events' JSON built
// there, off the writer) and written in a write transaction (WriteProjection: the events, the
// traits and the new position), which writes nothing and returns nothing when the position has
// moved since the read (Loyalty::ProjectLedger runs passes until none is left). The write
// leaves the pass as it was: it may run again after a rollback (store::WriteMode::kReplayable).
struct ProjectionPass {
    int64_t from = 0;  // the position the pass starts after
    int64_t to = 0;    // the last entry it covers (== from: none)
    std::vector<cdp::StoredEvent> events;  // without ids
    std::vector<std::string> message_ids;  // one per event
    std::map<int64_t, std::pair<int64_t, TimeMs>> balances;  // customer → the last balance, its time
    bool more = false;  // entries may remain past `to`
};
Result<ProjectionPass> ReadProjection(store::Connection& c, size_t limit);
// The stored events are for publishing after the commit.
struct Projected {
    std::vector<cdp::StoredEvent> events;
    bool more = false;
};
Result<std::optional<Projected>> WriteProjection(store::Connection& c, const ProjectionPass& pass);

}  // namespace siyu::loyalty
