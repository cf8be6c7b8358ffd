#include "loyalty/points_ledger.h"

#include <algorithm>
#include <map>

namespace siyu::loyalty {

namespace {

struct Take {
    int64_t lot_id = 0;
    int64_t amount = 0;  // signed change of the lot's `remaining`
};

std::string_view Name(EntryType t) { return EntryTypeName(t); }

// Appends the entry and applies the deltas to `m`. Returns the entry id. The entry's event and
// the profile's `points` trait are written after the commit (WriteProjection); the entry keeps
// the event's extra properties.
Result<int64_t> InsertEntry(Tx& tx, Member& m, EntryType type, int64_t amount, int64_t held_delta, int64_t debt_delta,
                            const EntryMeta& meta, std::optional<int64_t> ref_entry_id = std::nullopt) {
    m.points += amount;
    m.points_held += held_delta;
    m.points_debt += debt_delta;
    if (m.points < 0 || m.points_held < 0 || m.points_debt < 0) {
        return Status::Internal("points entry would make a balance negative");
    }
    SIYU_ASSIGN_OR_RETURN(auto stmt,
                          tx.c().Prepare("INSERT INTO points_entries(tenant_id, customer_id, type, amount, held_delta, "
                                         "debt_delta, balance_after, held_after, debt_after, reason, source_type, "
                                         "source_id, operator, idempotency_key, ref_entry_id, at, event) VALUES "
                                         "(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"));
    std::optional<std::string> event;
    if (meta.emit_event) {
        event = meta.event_properties.is_object() && !meta.event_properties.empty()
                    ? meta.event_properties.dump(-1, ' ', false, Json::error_handler_t::replace)
                    : std::string("{}");
    }
    SIYU_RETURN_IF_ERROR(stmt.Bind(1, tx.tenant())
                             .Bind(2, m.customer_id)
                             .Bind(3, Name(type))
                             .Bind(4, amount)
                             .Bind(5, held_delta)
                             .Bind(6, debt_delta)
                             .Bind(7, m.points)
                             .Bind(8, m.points_held)
                             .Bind(9, m.points_debt)
                             .Bind(10, meta.reason)
                             .Bind(11, meta.source_type)
                             .Bind(12, meta.source_id)
                             .Bind(13, meta.operator_name)
                             .Bind(14, meta.idempotency_key)
                             .Bind(15, ref_entry_id)
                             .Bind(16, tx.now())
                             .Bind(17, event)
                             .Run());
    tx.NoteEntries();
    return tx.c().LastInsertId();
}

EntryType EntryTypeFromName(std::string_view name) {
    for (EntryType t : {EntryType::kEarn, EntryType::kRedeem, EntryType::kExpire, EntryType::kAdjust,
                        EntryType::kReverse, EntryType::kHold, EntryType::kRelease, EntryType::kTransfer}) {
        if (EntryTypeName(t) == name) return t;
    }
    return EntryType::kAdjust;
}

// Sorts by time like the message ids of other stored events, and names the entry, so an entry
// can only ever have one event.
std::string EntryMessageId(TimeMs at, int64_t entry_id) { return MessageIdPrefix(at) + "e" + std::to_string(entry_id); }

Status InsertMoves(Tx& tx, int64_t entry_id, const std::vector<Take>& takes) {
    SIYU_ASSIGN_OR_RETURN(auto stmt,
                          tx.c().Prepare("INSERT INTO points_lot_moves(entry_id, lot_id, amount) VALUES (?,?,?)"));
    for (const auto& t : takes) {
        if (t.amount == 0) continue;
        SIYU_RETURN_IF_ERROR(stmt.Bind(1, entry_id).Bind(2, t.lot_id).Bind(3, t.amount).Run());
    }
    return Status::Ok();
}

// Plans taking `points` from the member's available lots, oldest expiry first (lots that
// never expire last). Returns what it could find (may be less than `points`).
Result<std::vector<Take>> PlanTake(Tx& tx, const Member& m, int64_t points) {
    std::vector<Take> takes;
    SIYU_ASSIGN_OR_RETURN(auto stmt, tx.c().Prepare("SELECT id, remaining FROM points_lots WHERE customer_id = ? AND "
                                                    "remaining > 0 ORDER BY expires_at IS NULL, expires_at, id"));
    stmt.Bind(1, m.customer_id);
    int64_t left = points;
    while (left > 0) {
        SIYU_ASSIGN_OR_RETURN(bool row, stmt.Step());
        if (!row) break;
        int64_t take = std::min(left, stmt.Int(1));
        takes.push_back(Take{stmt.Int(0), -take});
        left -= take;
    }
    stmt.Reset();
    return takes;
}

Status ApplyTakes(Tx& tx, const std::vector<Take>& takes, int64_t held_sign) {
    SIYU_ASSIGN_OR_RETURN(auto stmt, tx.c().Prepare("UPDATE points_lots SET remaining = remaining + ?, held = held + ? "
                                                    "WHERE id = ?"));
    for (const auto& t : takes) {
        SIYU_RETURN_IF_ERROR(stmt.Bind(1, t.amount).Bind(2, held_sign * -t.amount).Bind(3, t.lot_id).Run());
    }
    return Status::Ok();
}

int64_t Sum(const std::vector<Take>& takes) {
    int64_t s = 0;
    for (const auto& t : takes) s += t.amount;
    return s;
}

// The lots an entry took from (negative moves), less what later entries referring to it put
// back, per lot; latest expiry first. Restores that paid off debt put back less than they
// restored, so Restore also caps the total.
Result<std::vector<Take>> Outstanding(Tx& tx, int64_t entry_id) {
    std::map<int64_t, int64_t> per_lot;  // lot → points still taken
    SIYU_ASSIGN_OR_RETURN(auto taken, tx.c().Prepare("SELECT lot_id, amount FROM points_lot_moves WHERE entry_id = ?"));
    taken.Bind(1, entry_id);
    SIYU_RETURN_IF_ERROR(taken.ForEachRow([&] { per_lot[taken.Int(0)] += -taken.Int(1); }));
    SIYU_ASSIGN_OR_RETURN(auto back, tx.c().Prepare("SELECT m.lot_id, m.amount, e.type FROM points_entries e JOIN "
                                                    "points_lot_moves m ON m.entry_id = e.id WHERE e.ref_entry_id = ?"));
    back.Bind(1, entry_id);
    SIYU_RETURN_IF_ERROR(back.ForEachRow([&] { per_lot[back.Int(0)] -= back.Int(1); }));
    std::vector<std::pair<int64_t, int64_t>> lots(per_lot.begin(), per_lot.end());
    SIYU_ASSIGN_OR_RETURN(auto exp, tx.c().Prepare("SELECT expires_at FROM points_lots WHERE id = ?"));
    std::vector<std::tuple<int64_t, int64_t, int64_t>> ordered;  // (expiry or max, lot, amount)
    for (auto [lot, amount] : lots) {
        if (amount <= 0) continue;
        exp.Bind(1, lot);
        SIYU_ASSIGN_OR_RETURN(bool row, exp.Step());
        int64_t e = row && !exp.IsNull(0) ? exp.Int(0) : INT64_MAX;
        exp.Reset();
        ordered.emplace_back(e, lot, amount);
    }
    std::sort(ordered.begin(), ordered.end(), [](const auto& a, const auto& b) {
        return std::get<0>(a) != std::get<0>(b) ? std::get<0>(a) > std::get<0>(b) : std::get<1>(a) > std::get<1>(b);
    });
    std::vector<Take> out;
    for (auto& [e, lot, amount] : ordered) out.push_back(Take{lot, amount});
    return out;
}

}  // namespace

std::string_view EntryTypeName(EntryType type) {
    switch (type) {
        case EntryType::kEarn: return "earn";
        case EntryType::kRedeem: return "redeem";
        case EntryType::kExpire: return "expire";
        case EntryType::kAdjust: return "adjust";
        case EntryType::kReverse: return "reverse";
        case EntryType::kHold: return "hold";
        case EntryType::kRelease: return "release";
        case EntryType::kTransfer: return "transfer";
    }
    return "adjust";
}

std::string_view EntryEventName(EntryType type) {
    switch (type) {
        case EntryType::kEarn: return "Points Earned";
        case EntryType::kRedeem: return "Points Redeemed";
        case EntryType::kExpire: return "Points Expired";
        case EntryType::kAdjust: return "Points Adjusted";
        case EntryType::kReverse: return "Points Reversed";
        case EntryType::kHold: return "Points Held";
        case EntryType::kRelease: return "Points Released";
        case EntryType::kTransfer: return "Points Transferred";
    }
    return "Points Adjusted";
}

Result<ProjectionPass> ReadProjection(store::Connection& c, size_t limit) {
    ProjectionPass pass;
    SIYU_ASSIGN_OR_RETURN(auto at, c.Prepare("SELECT position FROM loyalty_projections WHERE name = 'points_events'"));
    SIYU_ASSIGN_OR_RETURN(bool row, at.Step());
    pass.from = pass.to = row ? at.Int(0) : 0;
    at.Reset();
    SIYU_ASSIGN_OR_RETURN(auto entries,
                          c.Prepare("SELECT id, tenant_id, customer_id, type, amount, held_delta, debt_delta, "
                                    "balance_after, held_after, debt_after, reason, source_type, source_id, event, at "
                                    "FROM points_entries WHERE id > ? ORDER BY id LIMIT ?"));
    entries.Bind(1, pass.from).Bind(2, static_cast<int64_t>(limit));
    size_t seen = 0;
    SIYU_RETURN_IF_ERROR(entries.ForEachRow([&] {
        ++seen;
        int64_t id = entries.Int(0);
        pass.to = id;
        pass.balances[entries.Int(2)] = {entries.Int(7), entries.Int(14)};
        if (entries.IsNull(13)) return;
        int64_t amount = entries.Int(4), held_delta = entries.Int(5), debt_delta = entries.Int(6);
        Json props = Json::parse(entries.Text(13), nullptr, false);
        if (!props.is_object()) props = Json::object();
        props["entry_id"] = id;
        props["points"] = amount != 0 ? (amount < 0 ? -amount : amount) : (held_delta < 0 ? -held_delta : held_delta);
        props["change"] = amount;
        props["balance"] = entries.Int(7);
        if (held_delta != 0) props["held"] = entries.Int(8);
        if (debt_delta != 0) props["debt"] = entries.Int(9);
        if (std::string reason = entries.Text(10); !reason.empty()) props["reason"] = reason;
        if (std::string type = entries.Text(11); !type.empty()) props["source_type"] = type;
        if (std::string source = entries.Text(12); !source.empty()) props["source_id"] = source;
        cdp::StoredEvent e;
        e.tenant_id = entries.Int(1);
        e.customer_id = entries.Int(2);
        e.type = "track";
        e.name = std::string(EntryEventName(EntryTypeFromName(entries.Text(3))));
        e.timestamp = entries.Int(14);
        e.properties = props.dump(-1, ' ', false, Json::error_handler_t::replace);
        pass.message_ids.push_back(EntryMessageId(e.timestamp, id));
        pass.events.push_back(std::move(e));
    }));
    pass.more = seen == limit;
    return pass;
}

Result<std::optional<Projected>> WriteProjection(store::Connection& c, const ProjectionPass& pass) {
    SIYU_ASSIGN_OR_RETURN(auto at, c.Prepare("SELECT position FROM loyalty_projections WHERE name = 'points_events'"));
    SIYU_ASSIGN_OR_RETURN(bool row, at.Step());
    int64_t position = row ? at.Int(0) : 0;
    at.Reset();
    if (position != pass.from) return std::optional<Projected>();  // another pass got there first
    Projected out;
    out.more = pass.more;
    if (pass.to == pass.from) return std::optional<Projected>(std::move(out));
    SIYU_ASSIGN_OR_RETURN(auto insert, c.Prepare("INSERT INTO events(tenant_id, customer_id, message_id, type, name, "
                                                 "ts, received_at, properties, context) VALUES "
                                                 "(?,?,?,'track',?,?,?,?,'{\"library\":{\"name\":\"siyu\"}}') ON "
                                                 "CONFLICT(tenant_id, message_id) DO NOTHING"));
    for (size_t i = 0; i < pass.events.size(); ++i) {
        const cdp::StoredEvent& e = pass.events[i];
        SIYU_RETURN_IF_ERROR(insert.Bind(1, e.tenant_id)
                                 .Bind(2, e.customer_id)
                                 .Bind(3, pass.message_ids[i])
                                 .Bind(4, e.name)
                                 .Bind(5, e.timestamp)
                                 .Bind(6, e.timestamp)
                                 .Bind(7, e.properties)
                                 .Run());
        // Already there (a database restored over a newer projection position): the event
        // names its entry, so it is this entry's, and it stays as it was.
        if (c.Changes() == 0) continue;
        out.events.push_back(e);  // a copy: the pass stays whole for a replay of this write
        out.events.back().id = c.LastInsertId();
    }
    for (const auto& [customer, last] : pass.balances) {
        SIYU_RETURN_IF_ERROR(MirrorPointsTrait(c, customer, last.first, last.second));
    }
    SIYU_ASSIGN_OR_RETURN(auto save, c.Prepare("INSERT INTO loyalty_projections(name, position) VALUES "
                                               "('points_events', ?) ON CONFLICT(name) DO UPDATE SET position = "
                                               "excluded.position"));
    SIYU_RETURN_IF_ERROR(save.Bind(1, pass.to).Run());
    return std::optional<Projected>(std::move(out));
}

Result<std::optional<TimeMs>> LotExpiry(Tx& tx, TimeMs at) {
    SIYU_ASSIGN_OR_RETURN(const LoyaltySettings* s, tx.Settings());
    if (s->points_expiry == "never") return std::optional<TimeMs>();
    if (s->points_expiry == "days") return std::optional<TimeMs>(at + int64_t{s->points_expiry_days} * 86'400'000);
    SIYU_ASSIGN_OR_RETURN(std::string zone, tx.TimeZone());
    // The end of the year after `at`'s, in the tenant's zone. Every credit asks, nearly always
    // within the same year as the one before: the year's bounds are remembered per thread.
    struct Year {
        std::string zone;
        TimeMs from = 0, to = 0;  // the local year holding the last `at` asked about
        TimeMs expiry = 0;        // the start of the second year after it
    };
    thread_local Year last;
    if (last.zone != zone || at < last.from || at >= last.to) {
        std::string day = LocalDate(at, zone);  // YYYY-MM-DD
        int year = std::stoi(day.substr(0, 4));
        Year y;
        SIYU_ASSIGN_OR_RETURN(y.from, StartOfLocalDay(std::to_string(year) + "-01-01", zone));
        SIYU_ASSIGN_OR_RETURN(y.to, StartOfLocalDay(std::to_string(year + 1) + "-01-01", zone));
        SIYU_ASSIGN_OR_RETURN(y.expiry, StartOfLocalDay(std::to_string(year + 2) + "-01-01", zone));
        y.zone = std::move(zone);
        last = std::move(y);
    }
    return std::optional<TimeMs>(last.expiry);
}

Result<Posted> Credit(Tx& tx, Member& m, EntryType type, int64_t points, const EntryMeta& meta,
                      bool counts_as_earned, std::optional<std::optional<TimeMs>> expires_at) {
    if (points <= 0) return Status::InvalidArgument("points", "must be a positive whole number");
    int64_t pay = std::min(points, m.points_debt);
    int64_t rest = points - pay;
    if (counts_as_earned) m.points_earned += points;
    SIYU_ASSIGN_OR_RETURN(int64_t entry, InsertEntry(tx, m, type, rest, 0, -pay, meta));
    if (rest > 0) {
        std::optional<TimeMs> expiry;
        if (expires_at) {
            expiry = *expires_at;
        } else {
            SIYU_ASSIGN_OR_RETURN(expiry, LotExpiry(tx, tx.now()));
        }
        SIYU_ASSIGN_OR_RETURN(auto lot, tx.c().Prepare("INSERT INTO points_lots(tenant_id, customer_id, entry_id, "
                                                       "amount, remaining, earned_at, expires_at) VALUES "
                                                       "(?,?,?,?,?,?,?)"));
        SIYU_RETURN_IF_ERROR(lot.Bind(1, tx.tenant())
                                 .Bind(2, m.customer_id)
                                 .Bind(3, entry)
                                 .Bind(4, rest)
                                 .Bind(5, rest)
                                 .Bind(6, tx.now())
                                 .Bind(7, expiry)
                                 .Run());
    }
    return Posted{entry, rest, -pay};
}

Result<Posted> Debit(Tx& tx, Member& m, EntryType type, int64_t points, const EntryMeta& meta, bool allow_debt) {
    if (points <= 0) return Status::InvalidArgument("points", "must be a positive whole number");
    if (!allow_debt && points > m.points) {
        return Status::FailedPrecondition("insufficient points: the balance is " + std::to_string(m.points) + ", " +
                                          std::to_string(points) + " needed");
    }
    SIYU_ASSIGN_OR_RETURN(auto takes, PlanTake(tx, m, std::min(points, m.points)));
    int64_t taken = -Sum(takes);
    if (taken != std::min(points, m.points)) return Status::Internal("points lots do not add up to the balance");
    int64_t debt = points - taken;
    SIYU_ASSIGN_OR_RETURN(int64_t entry, InsertEntry(tx, m, type, -taken, 0, debt, meta));
    SIYU_RETURN_IF_ERROR(ApplyTakes(tx, takes, 0));
    SIYU_RETURN_IF_ERROR(InsertMoves(tx, entry, takes));
    return Posted{entry, -taken, debt};
}

Result<Posted> Restore(Tx& tx, Member& m, EntryType type, int64_t debit_entry_id, int64_t points,
                       const EntryMeta& meta) {
    if (points <= 0) return Status::InvalidArgument("points", "must be a positive whole number");
    SIYU_ASSIGN_OR_RETURN(auto outstanding, Outstanding(tx, debit_entry_id));
    // What the debit took less what restores (gross of any debt they paid off) gave back.
    SIYU_ASSIGN_OR_RETURN(auto gross, tx.c().Prepare("SELECT (SELECT -COALESCE(SUM(amount), 0) FROM points_lot_moves "
                                                     "WHERE entry_id = ?1) - (SELECT COALESCE(SUM(amount - "
                                                     "debt_delta), 0) FROM points_entries WHERE ref_entry_id = ?1)"));
    gross.Bind(1, debit_entry_id);
    SIYU_ASSIGN_OR_RETURN(bool got, gross.Step());
    int64_t limit = got ? gross.Int(0) : 0;
    gross.Reset();
    std::vector<Take> gives;
    int64_t left = std::min(points, limit);
    for (const auto& o : outstanding) {
        if (left == 0) break;
        int64_t give = std::min(left, o.amount);
        gives.push_back(Take{o.lot_id, give});
        left -= give;
    }
    int64_t given = Sum(gives);
    if (given == 0) return Posted{};
    // Restored points pay off debt first, like any credit; the lots still get them back, so
    // the debt payment is taken from them again below.
    int64_t pay = std::min(given, m.points_debt);
    SIYU_ASSIGN_OR_RETURN(int64_t entry, InsertEntry(tx, m, type, given - pay, 0, -pay, meta, debit_entry_id));
    SIYU_RETURN_IF_ERROR(ApplyTakes(tx, gives, 0));
    SIYU_RETURN_IF_ERROR(InsertMoves(tx, entry, gives));
    if (pay > 0) {
        // Take the paid-off part back out of the lots just credited (latest expiry first).
        std::vector<Take> back;
        int64_t rest = pay;
        for (const auto& g : gives) {
            if (rest == 0) break;
            int64_t t = std::min(rest, g.amount);
            back.push_back(Take{g.lot_id, -t});
            rest -= t;
        }
        SIYU_RETURN_IF_ERROR(ApplyTakes(tx, back, 0));
        // Record the net move per lot: replace the moves written above.
        SIYU_ASSIGN_OR_RETURN(auto del, tx.c().Prepare("DELETE FROM points_lot_moves WHERE entry_id = ?"));
        SIYU_RETURN_IF_ERROR(del.Bind(1, entry).Run());
        std::vector<Take> net = gives;
        for (auto& n : net) {
            for (const auto& b : back) {
                if (b.lot_id == n.lot_id) n.amount += b.amount;
            }
        }
        SIYU_RETURN_IF_ERROR(InsertMoves(tx, entry, net));
    }
    return Posted{entry, given - pay, -pay};
}

Result<Posted> Hold(Tx& tx, Member& m, int64_t points, const EntryMeta& meta) {
    if (points <= 0) return Status::InvalidArgument("points", "must be a positive whole number");
    if (points > m.points) {
        return Status::FailedPrecondition("insufficient points: the balance is " + std::to_string(m.points) + ", " +
                                          std::to_string(points) + " needed");
    }
    SIYU_ASSIGN_OR_RETURN(auto takes, PlanTake(tx, m, points));
    if (-Sum(takes) != points) return Status::Internal("points lots do not add up to the balance");
    SIYU_ASSIGN_OR_RETURN(int64_t entry, InsertEntry(tx, m, EntryType::kHold, -points, points, 0, meta));
    SIYU_RETURN_IF_ERROR(ApplyTakes(tx, takes, 1));
    SIYU_RETURN_IF_ERROR(InsertMoves(tx, entry, takes));
    return Posted{entry, -points, 0};
}

Result<Posted> SettleHold(Tx& tx, Member& m, int64_t hold_entry_id, int64_t points, bool capture,
                          const EntryMeta& meta) {
    SIYU_ASSIGN_OR_RETURN(auto taken, tx.c().Prepare("SELECT lot_id, amount FROM points_lot_moves WHERE entry_id = ?"));
    taken.Bind(1, hold_entry_id);
    std::vector<Take> lots;  // what the hold took, positive
    SIYU_RETURN_IF_ERROR(taken.ForEachRow([&] { lots.push_back(Take{taken.Int(0), -taken.Int(1)}); }));
    int64_t total = Sum(lots);
    if (total != points) return Status::Internal("the hold's lots do not add up to the hold");
    SIYU_ASSIGN_OR_RETURN(auto held, tx.c().Prepare("UPDATE points_lots SET held = held - ? WHERE id = ?"));
    for (const auto& l : lots) SIYU_RETURN_IF_ERROR(held.Bind(1, l.amount).Bind(2, l.lot_id).Run());
    if (capture) {
        SIYU_ASSIGN_OR_RETURN(int64_t entry,
                              InsertEntry(tx, m, EntryType::kRedeem, 0, -points, 0, meta, hold_entry_id));
        return Posted{entry, 0, 0};
    }
    int64_t pay = std::min(points, m.points_debt);
    SIYU_ASSIGN_OR_RETURN(int64_t entry,
                          InsertEntry(tx, m, EntryType::kRelease, points - pay, -points, -pay, meta, hold_entry_id));
    std::vector<Take> back = lots;
    int64_t rest = pay;
    for (auto& b : back) {  // the debt payment stays out of the lots
        int64_t t = std::min(rest, b.amount);
        b.amount -= t;
        rest -= t;
    }
    SIYU_RETURN_IF_ERROR(ApplyTakes(tx, back, 0));
    SIYU_RETURN_IF_ERROR(InsertMoves(tx, entry, back));
    return Posted{entry, points - pay, -pay};
}

Result<int64_t> ExpireDueLots(Tx& tx, Member& m) {
    SIYU_ASSIGN_OR_RETURN(auto stmt, tx.c().Prepare("SELECT id, remaining FROM points_lots WHERE customer_id = ? AND "
                                                    "remaining > 0 AND expires_at IS NOT NULL AND expires_at <= ?"));
    stmt.Bind(1, m.customer_id).Bind(2, tx.now());
    std::vector<Take> takes;
    SIYU_RETURN_IF_ERROR(stmt.ForEachRow([&] { takes.push_back(Take{stmt.Int(0), -stmt.Int(1)}); }));
    int64_t total = -Sum(takes);
    if (total == 0) return int64_t{0};
    if (total > m.points) return Status::Internal("expiring lots exceed the balance");
    EntryMeta meta;
    meta.reason = "points expired";
    meta.source_type = "expiry";
    SIYU_ASSIGN_OR_RETURN(int64_t entry, InsertEntry(tx, m, EntryType::kExpire, -total, 0, 0, meta));
    SIYU_RETURN_IF_ERROR(ApplyTakes(tx, takes, 0));
    SIYU_RETURN_IF_ERROR(InsertMoves(tx, entry, takes));
    return total;
}

}  // namespace siyu::loyalty
