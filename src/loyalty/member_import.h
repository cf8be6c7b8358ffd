#pragma once

// Member import (docs/imports.md, "Members"): the rows of a member file become loyalty
// members — member number, registration, store, tier — with their points and stored value
// as opening balances on the ledgers. The CSV reading and the customer side live in
// cdp/customer_import.h; this plugs into it through CustomerImportOptions::on_member.

#include <map>
#include <memory>
#include <optional>
#include <string>

#include "cdp/customer_import.h"
#include "loyalty/core.h"

namespace siyu::loyalty {

// Turns imported member rows into members. For each row:
// - a customer that is not yet a member is registered (channel `import`) with the row's
//   member number, else the customer's, else the next of the tenant's pattern; its
//   registration time and store; the row's tier (matched by name, case-insensitively, to the
//   tenant's tiers; an unknown name rejects the row) or else the entry tier, recorded in
//   tier_history with reason `import`. No registration bonus, no `Member Registered` event;
// - a member whose tier differs from the row's gets the row's tier (tier_history, `import`);
// - points: the row's balance less what earlier imports of this member posted is posted as
//   an `adjust` entry with source_type `import` (reason "opening balance" the first time,
//   "import adjustment" after): a credit makes a lot with the default expiry, a debit takes
//   from the lots; a debit larger than the available balance rejects the row;
// - stored value (minor units): likewise an `adjust` entry of the principal, operator
//   `import`; never below zero.
// Importing the same file again therefore changes nothing, and balances earned or spent in
// between are kept. Points entries emit their events; they are published after each batch
// commits. One object per import run, used by the importing thread only.
class MemberImporter {
  public:
    explicit MemberImporter(EventSink sink = nullptr, std::function<TimeMs()> clock = NowMs)
        : sink_(std::move(sink)), clock_(std::move(clock)) {}

    // Sets options->on_member and options->on_batch_done to a new importer that the
    // options own; `sink` receives the events of each committed batch.
    static void Attach(cdp::CustomerImportOptions* options, EventSink sink = nullptr,
                       std::function<TimeMs()> clock = NowMs);

    Result<cdp::MemberRowOutcome> ApplyRow(store::Connection& c, int64_t tenant_id, int64_t customer_id,
                                           const cdp::MemberRowFields& row);
    // Publishes the events of the batch just committed, or drops those of one rolled back.
    void BatchDone(bool committed);

  private:
    struct TierRef {
        int64_t id = 0;
        int level = 0;
    };

    Tx& TxFor(store::Connection& c, int64_t tenant_id);
    Status LoadTiers(Tx& tx);
    Result<cdp::MemberRowOutcome> Apply(Tx& tx, int64_t customer_id, const cdp::MemberRowFields& row);
    // A new member (not yet written: Insert writes it once its opening balances are posted).
    Result<Member> Register(Tx& tx, int64_t customer_id, const cdp::MemberRowFields& row,
                            std::optional<int64_t> tier_id);
    // Writes the row of a member Register prepared, with the balances posted since.
    Status Insert(Tx& tx, const Member& m);
    Status SetTier(Tx& tx, Member& m, std::optional<int64_t> tier_id, bool* changed);
    Status PostPoints(Tx& tx, Member& m, bool new_member, int64_t target, bool* changed);
    Status PostStoredValue(Tx& tx, Member& m, bool new_member, int64_t target, bool* changed);

    EventSink sink_;
    std::function<TimeMs()> clock_;
    std::unique_ptr<Tx> tx_;  // the current batch's
    std::optional<std::optional<TimeMs>> expiry_;  // of lots posted in the current batch
    int64_t tiers_tenant_ = 0;
    std::map<std::string, TierRef> tiers_;  // lower-case name → tier
    std::optional<int64_t> entry_tier_;
    std::string tier_names_;  // for the error message
};

}  // namespace siyu::loyalty
