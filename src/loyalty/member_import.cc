#include "loyalty/member_import.h"

#include "base/money.h"
#include "base/strings.h"
#include "loyalty/members.h"
#include "loyalty/points_ledger.h"

namespace siyu::loyalty {

namespace {

constexpr const char* kImport = "import";
constexpr const char* kOpeningBalance = "opening balance";
constexpr const char* kImportAdjustment = "import adjustment";

}  // namespace

void MemberImporter::Attach(cdp::CustomerImportOptions* options, EventSink sink, std::function<TimeMs()> clock) {
    auto importer = std::make_shared<MemberImporter>(std::move(sink), std::move(clock));
    options->on_member = [importer](store::Connection& c, int64_t tenant_id, int64_t customer_id,
                                    const cdp::MemberRowFields& row) {
        return importer->ApplyRow(c, tenant_id, customer_id, row);
    };
    options->on_batch_done = [importer](bool committed) { importer->BatchDone(committed); };
}

Tx& MemberImporter::TxFor(store::Connection& c, int64_t tenant_id) {
    if (!tx_ || &tx_->c() != &c || tx_->tenant() != tenant_id) {
        tx_ = std::make_unique<Tx>(c, tenant_id, clock_());
        expiry_.reset();
    }
    return *tx_;
}

void MemberImporter::BatchDone(bool committed) {
    if (!tx_) return;
    if (committed && sink_ && !tx_->events().empty()) sink_(tx_->events());
    tx_.reset();
    expiry_.reset();
}

Result<cdp::MemberRowOutcome> MemberImporter::ApplyRow(store::Connection& c, int64_t tenant_id, int64_t customer_id,
                                                       const cdp::MemberRowFields& row) {
    Tx& tx = TxFor(c, tenant_id);
    size_t events_before = tx.events().size();
    auto outcome = Apply(tx, customer_id, row);
    if (!outcome.ok()) tx.events().resize(events_before);  // the row is rolled back
    return outcome;
}

Status MemberImporter::LoadTiers(Tx& tx) {
    if (tiers_tenant_ == tx.tenant()) return Status::Ok();
    tiers_.clear();
    entry_tier_.reset();
    tier_names_.clear();
    SIYU_ASSIGN_OR_RETURN(auto stmt, tx.c().Prepare("SELECT id, name, level FROM tiers WHERE tenant_id = ? AND "
                                                    "deleted_at IS NULL ORDER BY level"));
    stmt.Bind(1, tx.tenant());
    SIYU_RETURN_IF_ERROR(stmt.ForEachRow([&] {
        TierRef t{stmt.Int(0), static_cast<int>(stmt.Int(2))};
        std::string name = stmt.Text(1);
        if (!entry_tier_) entry_tier_ = t.id;
        tier_names_ += (tier_names_.empty() ? "" : ", ") + name;
        tiers_[ToLower(Trim(name))] = t;
    }));
    tiers_tenant_ = tx.tenant();
    return Status::Ok();
}

Result<cdp::MemberRowOutcome> MemberImporter::Apply(Tx& tx, int64_t customer_id, const cdp::MemberRowFields& row) {
    SIYU_RETURN_IF_ERROR(LoadTiers(tx));
    std::optional<int64_t> tier_id;
    if (row.tier) {
        auto it = tiers_.find(ToLower(Trim(*row.tier)));
        if (it == tiers_.end()) {
            return Status::InvalidArgument("tier", "no tier is named '" + *row.tier + "' (the tiers are: " +
                                                       (tier_names_.empty() ? "none yet" : tier_names_) + ")");
        }
        tier_id = it->second.id;
    }
    cdp::MemberRowOutcome outcome;
    std::optional<Member> member;
    if (!row.new_customer) member = tx.FindMember(customer_id);
    if (!member) {
        SIYU_ASSIGN_OR_RETURN(member, Register(tx, customer_id, row, tier_id ? tier_id : entry_tier_));
        outcome.created = true;
        outcome.changed = true;
    } else if (tier_id) {
        SIYU_RETURN_IF_ERROR(SetTier(tx, *member, tier_id, &outcome.changed));
    }
    Member& m = *member;
    bool balances_changed = false;
    if (row.points) SIYU_RETURN_IF_ERROR(PostPoints(tx, m, outcome.created, *row.points, &balances_changed));
    if (row.stored_value) {
        SIYU_RETURN_IF_ERROR(PostStoredValue(tx, m, outcome.created, *row.stored_value, &balances_changed));
    }
    if (outcome.created) {
        SIYU_RETURN_IF_ERROR(Insert(tx, m));  // with its opening balances: one write
        // An opening balance's entry sets the profile's `points` trait (ledger projection); a
        // member without one starts at zero.
        if (m.points == 0) SIYU_RETURN_IF_ERROR(MirrorPointsTrait(tx.c(), m.customer_id, 0, tx.now()));
    } else if (balances_changed || outcome.changed) {
        SIYU_RETURN_IF_ERROR(tx.SaveMember(m));
    }
    outcome.changed = outcome.changed || balances_changed;
    return outcome;
}

Result<Member> MemberImporter::Register(Tx& tx, int64_t customer_id, const cdp::MemberRowFields& row,
                                        std::optional<int64_t> tier_id) {
    Member m;
    m.customer_id = customer_id;
    m.tenant_id = tx.tenant();
    m.channel = kImport;
    m.store_id = row.store_id;
    m.registered_at = row.registered_at.value_or(tx.now());
    m.tier_id = tier_id;
    if (tier_id) m.tier_since = tx.now();
    if (row.member_no) {
        m.member_no = *row.member_no;
    } else {
        SIYU_ASSIGN_OR_RETURN(auto own, tx.c().Prepare("SELECT member_no FROM customers WHERE id = ?"));
        own.Bind(1, customer_id);
        SIYU_ASSIGN_OR_RETURN(bool found, own.Step());
        std::optional<std::string> no = found ? own.OptText(0) : std::nullopt;
        own.Reset();
        if (no) {
            m.member_no = *no;
        } else {
            SIYU_ASSIGN_OR_RETURN(m.member_no, NextMemberNo(tx));
            SIYU_ASSIGN_OR_RETURN(auto set, tx.c().Prepare("UPDATE customers SET member_no = ?, updated_at = ? WHERE "
                                                           "id = ?"));
            SIYU_RETURN_IF_ERROR(set.Bind(1, m.member_no).Bind(2, tx.now()).Bind(3, customer_id).Run());
            SIYU_ASSIGN_OR_RETURN(auto ident, tx.c().Prepare("INSERT INTO customer_identifiers(tenant_id, type, "
                                                             "value, customer_id, created_at) VALUES "
                                                             "(?,'member_no',?,?,?)"));
            SIYU_RETURN_IF_ERROR(
                ident.Bind(1, tx.tenant()).Bind(2, m.member_no).Bind(3, customer_id).Bind(4, tx.now()).Run());
        }
    }
    if (tier_id) {
        bool changed = false;
        std::optional<int64_t> none;
        std::swap(m.tier_id, none);
        SIYU_RETURN_IF_ERROR(SetTier(tx, m, tier_id, &changed));
    }
    return m;
}

Status MemberImporter::Insert(Tx& tx, const Member& m) {
    SIYU_ASSIGN_OR_RETURN(auto insert, tx.c().Prepare("INSERT INTO members(customer_id, tenant_id, member_no, "
                                                      "channel, store_id, registered_at, tier_id, tier_since, points, "
                                                      "points_debt, sv_principal, sv_bonus, created_at, updated_at) "
                                                      "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)"));
    Status inserted = insert.Bind(1, m.customer_id)
                          .Bind(2, tx.tenant())
                          .Bind(3, m.member_no)
                          .Bind(4, m.channel)
                          .Bind(5, m.store_id)
                          .Bind(6, m.registered_at)
                          .Bind(7, m.tier_id)
                          .Bind(8, m.tier_since)
                          .Bind(9, m.points)
                          .Bind(10, m.points_debt)
                          .Bind(11, m.sv_principal)
                          .Bind(12, m.sv_bonus)
                          .Bind(13, tx.now())
                          .Bind(14, tx.now())
                          .Run();
    if (inserted.code() == StatusCode::kAlreadyExists) {
        return Status::InvalidArgument("member_no", "member number " + m.member_no + " belongs to another member");
    }
    return inserted;
}

Status MemberImporter::SetTier(Tx& tx, Member& m, std::optional<int64_t> tier_id, bool* changed) {
    if (m.tier_id == tier_id) return Status::Ok();
    SIYU_ASSIGN_OR_RETURN(auto history, tx.c().Prepare("INSERT INTO tier_history(tenant_id, customer_id, from_tier, "
                                                       "to_tier, reason, value, at) VALUES (?,?,?,?,'import',0,?)"));
    SIYU_RETURN_IF_ERROR(history.Bind(1, tx.tenant())
                             .Bind(2, m.customer_id)
                             .Bind(3, m.tier_id)
                             .Bind(4, tier_id)
                             .Bind(5, tx.now())
                             .Run());
    m.tier_id = tier_id;
    m.tier_since = tx.now();
    m.downgrade_due_since.reset();
    *changed = true;
    return Status::Ok();
}

Status MemberImporter::PostPoints(Tx& tx, Member& m, bool new_member, int64_t target, bool* changed) {
    int64_t imported = 0;
    if (!new_member) {
        // What earlier imports posted, gross of any debt their credits paid off.
        SIYU_ASSIGN_OR_RETURN(auto sum, tx.c().Prepare("SELECT COALESCE(SUM(amount - debt_delta), 0), COUNT(*) FROM "
                                                       "points_entries WHERE customer_id = ? AND +tenant_id = ? AND "
                                                       "+source_type = 'import'"));
        sum.Bind(1, m.customer_id).Bind(2, tx.tenant());
        SIYU_ASSIGN_OR_RETURN(bool row, sum.Step());
        if (row) {
            imported = sum.Int(0);
            new_member = sum.Int(1) == 0;
        }
        sum.Reset();
    }
    int64_t delta = target - imported;
    if (delta == 0) return Status::Ok();
    EntryMeta meta;
    meta.reason = new_member ? kOpeningBalance : kImportAdjustment;
    meta.source_type = kImport;
    meta.operator_name = kImport;
    // An opening balance carries the member's history over, it is not something they did now:
    // no event (the profile's `points` trait still shows it). Later differences are movements.
    meta.emit_event = !new_member;
    if (delta > 0) {
        if (!expiry_) {
            SIYU_ASSIGN_OR_RETURN(auto expiry, LotExpiry(tx, tx.now()));
            expiry_ = expiry;
        }
        SIYU_RETURN_IF_ERROR(Credit(tx, m, EntryType::kAdjust, delta, meta, false, *expiry_).status());
    } else {
        if (-delta > m.points) {
            return Status(StatusCode::kFailedPrecondition,
                          "lowering the balance to " + std::to_string(target) + " takes " + std::to_string(-delta) +
                              " points, but the member has " + std::to_string(m.points) + " available",
                          "points");
        }
        SIYU_RETURN_IF_ERROR(Debit(tx, m, EntryType::kAdjust, -delta, meta).status());
    }
    *changed = true;
    return Status::Ok();
}

Status MemberImporter::PostStoredValue(Tx& tx, Member& m, bool new_member, int64_t target, bool* changed) {
    int64_t imported = 0;
    if (!new_member) {
        SIYU_ASSIGN_OR_RETURN(auto sum, tx.c().Prepare("SELECT COALESCE(SUM(principal + bonus), 0), COUNT(*) FROM "
                                                       "stored_value_entries WHERE customer_id = ? AND +tenant_id = ? "
                                                       "AND type = 'adjust' AND operator = 'import'"));
        sum.Bind(1, m.customer_id).Bind(2, tx.tenant());
        SIYU_ASSIGN_OR_RETURN(bool row, sum.Step());
        if (row) {
            imported = sum.Int(0);
            new_member = sum.Int(1) == 0;
        }
        sum.Reset();
    }
    int64_t delta = target - imported;
    if (delta == 0) return Status::Ok();
    if (m.sv_principal + delta < 0) {
        return Status(StatusCode::kFailedPrecondition,
                      "lowering the stored value to " + FormatMinorUnits(target, 2) + " takes " +
                          FormatMinorUnits(-delta, 2) + ", but the member holds " +
                          FormatMinorUnits(m.sv_principal, 2) + " of paid stored value",
                      "stored_value");
    }
    m.sv_principal += delta;
    SIYU_ASSIGN_OR_RETURN(auto entry, tx.c().Prepare("INSERT INTO stored_value_entries(tenant_id, customer_id, type, "
                                                     "principal, bonus, principal_after, bonus_after, reason, "
                                                     "operator, at) VALUES (?,?,'adjust',?,0,?,?,?,'import',?)"));
    SIYU_RETURN_IF_ERROR(entry.Bind(1, tx.tenant())
                             .Bind(2, m.customer_id)
                             .Bind(3, delta)
                             .Bind(4, m.sv_principal)
                             .Bind(5, m.sv_bonus)
                             .Bind(6, new_member ? kOpeningBalance : kImportAdjustment)
                             .Bind(7, tx.now())
                             .Run());
    *changed = true;
    return Status::Ok();
}

}  // namespace siyu::loyalty
