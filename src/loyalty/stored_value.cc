#include "loyalty/stored_value.h"

#include <algorithm>
#include <map>

#include "base/strings.h"
#include "loyalty/loyalty.h"

namespace siyu::loyalty {

namespace {

using store::Connection;

// Larger single amounts are refused as typing errors (¥100,000,000).
constexpr int64_t kMaxAmount = 10'000'000'000;
constexpr size_t kMaxOrderId = 128;
constexpr size_t kMaxText = 500;

struct Entry {
    int64_t id = 0;
    int64_t customer_id = 0;
    std::string type;
    int64_t principal = 0;
    int64_t bonus = 0;
    int64_t principal_after = 0;
    int64_t bonus_after = 0;
    std::string order_id;
    std::string reason;
    std::string op;
    std::optional<int64_t> ref_entry_id;
    std::optional<int64_t> offer_id;
    std::string payment_ref;
    TimeMs at = 0;
};

constexpr const char* kEntryColumns =
    "id, customer_id, type, principal, bonus, principal_after, bonus_after, order_id, reason, operator, ref_entry_id, "
    "offer_id, payment_ref, at";

Entry ReadEntry(store::Statement& s) {
    Entry e;
    e.id = s.Int(0);
    e.customer_id = s.Int(1);
    e.type = s.Text(2);
    e.principal = s.Int(3);
    e.bonus = s.Int(4);
    e.principal_after = s.Int(5);
    e.bonus_after = s.Int(6);
    e.order_id = s.Text(7);
    e.reason = s.Text(8);
    e.op = s.Text(9);
    e.ref_entry_id = s.OptInt(10);
    e.offer_id = s.OptInt(11);
    e.payment_ref = s.Text(12);
    e.at = s.Int(13);
    return e;
}

Json OptJson(const std::optional<int64_t>& v) { return v ? Json(*v) : Json(nullptr); }
Json OptTime(const std::optional<TimeMs>& v) { return v ? Json(FormatRfc3339(*v)) : Json(nullptr); }

Json EntryJson(const Entry& e) {
    return Json{{"id", e.id},
                {"customer_id", e.customer_id},
                {"type", e.type},
                {"amount", e.principal + e.bonus},
                {"principal", e.principal},
                {"bonus", e.bonus},
                {"principal_after", e.principal_after},
                {"bonus_after", e.bonus_after},
                {"balance_after", e.principal_after + e.bonus_after},
                {"order_id", e.order_id.empty() ? Json(nullptr) : Json(e.order_id)},
                {"offer_id", OptJson(e.offer_id)},
                {"payment_ref", e.payment_ref.empty() ? Json(nullptr) : Json(e.payment_ref)},
                {"reason", e.reason},
                {"operator", e.op},
                {"ref_entry_id", OptJson(e.ref_entry_id)},
                {"at", FormatRfc3339(e.at)}};
}

Json BalanceJson(int64_t principal, int64_t bonus) {
    return Json{{"principal", principal}, {"bonus", bonus}, {"total", principal + bonus}};
}

std::string OperatorOf(const auth::Actor& a) {
    std::string s = a.type;
    if (a.id) s += ":" + std::to_string(*a.id);
    return s;
}

Status CheckAmount(const char* field, int64_t v, bool allow_zero = false) {
    if (v < 0 || (!allow_zero && v == 0)) {
        return Status::InvalidArgument(field, allow_zero ? "must not be negative" : "must be a positive amount in fen");
    }
    if (v > kMaxAmount) return Status::InvalidArgument(field, "must be at most " + std::to_string(kMaxAmount));
    return Status::Ok();
}

Status CheckText(const char* field, const std::string& v, size_t max, bool required) {
    if (required && Trim(v).empty()) return Status::InvalidArgument(field, "is required");
    if (v.size() > max) return Status::InvalidArgument(field, "at most " + std::to_string(max) + " bytes");
    return Status::Ok();
}

// Appends an entry moving the member's two balances by (e.principal, e.bonus) and saves the
// member. Fails (and the transaction with it) if a balance would become negative.
Result<Entry> Append(Tx& tx, Member& m, Entry e, const Request& r) {
    if (m.sv_principal + e.principal < 0 || m.sv_bonus + e.bonus < 0) {
        return Status(StatusCode::kFailedPrecondition,
                      "stored value balance is too low (principal " + std::to_string(m.sv_principal) + ", bonus " +
                          std::to_string(m.sv_bonus) + ")",
                      "amount");
    }
    m.sv_principal += e.principal;
    m.sv_bonus += e.bonus;
    e.customer_id = m.customer_id;
    e.principal_after = m.sv_principal;
    e.bonus_after = m.sv_bonus;
    e.op = OperatorOf(r.actor);
    e.at = tx.now();
    SIYU_ASSIGN_OR_RETURN(auto stmt, tx.c().Prepare("INSERT INTO stored_value_entries(tenant_id, customer_id, type, "
                                                    "principal, bonus, principal_after, bonus_after, order_id, reason, "
                                                    "operator, ref_entry_id, offer_id, payment_ref, idempotency_key, "
                                                    "at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"));
    SIYU_RETURN_IF_ERROR(stmt.Bind(1, tx.tenant())
                             .Bind(2, e.customer_id)
                             .Bind(3, e.type)
                             .Bind(4, e.principal)
                             .Bind(5, e.bonus)
                             .Bind(6, e.principal_after)
                             .Bind(7, e.bonus_after)
                             .Bind(8, e.order_id)
                             .Bind(9, e.reason)
                             .Bind(10, e.op)
                             .Bind(11, e.ref_entry_id)
                             .Bind(12, e.offer_id)
                             .Bind(13, e.payment_ref)
                             .Bind(14, r.idempotency_key)
                             .Bind(15, e.at)
                             .Run());
    e.id = tx.c().LastInsertId();
    SIYU_RETURN_IF_ERROR(tx.SaveMember(m));
    return e;
}

// Emits the entry's event and answers {"entry", "balance"}.
Result<Json> Finish(Tx& tx, const Entry& e, std::string_view event, Json extra = Json::object()) {
    Json props{{"entry_id", e.id},
               {"amount", e.principal + e.bonus},
               {"principal", e.principal},
               {"bonus", e.bonus},
               {"balance", e.principal_after + e.bonus_after},
               {"currency", "CNY"}};
    if (!e.order_id.empty()) props["order_id"] = e.order_id;
    if (!e.reason.empty()) props["reason"] = e.reason;
    for (auto& [k, v] : extra.items()) props[k] = v;
    SIYU_RETURN_IF_ERROR(tx.Emit(e.customer_id, event, props));
    return Json{{"entry", EntryJson(e)}, {"balance", BalanceJson(e.principal_after, e.bonus_after)}};
}

constexpr const char* kOfferColumns =
    "id, name, pay_amount, bonus_amount, active, valid_from, valid_to, created_at, updated_at";

TopupOffer ReadOffer(store::Statement& s) {
    TopupOffer o;
    o.id = s.Int(0);
    o.name = s.Text(1);
    o.pay_amount = s.Int(2);
    o.bonus_amount = s.Int(3);
    o.active = s.Int(4) != 0;
    o.valid_from = s.OptInt(5);
    o.valid_to = s.OptInt(6);
    o.created_at = s.Int(7);
    o.updated_at = s.Int(8);
    return o;
}

Result<TopupOffer> LoadOffer(Connection& c, int64_t tenant_id, int64_t id) {
    SIYU_ASSIGN_OR_RETURN(auto stmt, c.Prepare(std::string("SELECT ") + kOfferColumns +
                                               " FROM topup_offers WHERE id = ? AND tenant_id = ? AND deleted_at IS "
                                               "NULL"));
    stmt.Bind(1, id).Bind(2, tenant_id);
    SIYU_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) return Status::NotFound("top-up offer " + std::to_string(id) + " not found");
    return ReadOffer(stmt);
}

Status ValidateOffer(const TopupOffer& o) {
    if (Trim(o.name).empty()) return Status::InvalidArgument("name", "is required");
    if (o.name.size() > 100) return Status::InvalidArgument("name", "at most 100 bytes");
    SIYU_RETURN_IF_ERROR(CheckAmount("pay_amount", o.pay_amount));
    SIYU_RETURN_IF_ERROR(CheckAmount("bonus_amount", o.bonus_amount, /*allow_zero=*/true));
    if (o.valid_from && o.valid_to && *o.valid_to <= *o.valid_from) {
        return Status::InvalidArgument("valid_to", "must be after valid_from");
    }
    return Status::Ok();
}

void ApplyOffer(const TopupOfferInput& in, TopupOffer* o) {
    if (in.name) o->name = std::string(Trim(*in.name));
    if (in.pay_amount) o->pay_amount = *in.pay_amount;
    if (in.bonus_amount) o->bonus_amount = *in.bonus_amount;
    if (in.active) o->active = *in.active;
    if (in.valid_from) o->valid_from = *in.valid_from;
    if (in.valid_to) o->valid_to = *in.valid_to;
}

// What an order spent and was refunded so far, for the member.
struct OrderSpend {
    int64_t spent_principal = 0, spent_bonus = 0;
    int64_t refunded_principal = 0, refunded_bonus = 0;
    std::optional<int64_t> last_spend_id;
};

Result<OrderSpend> LoadOrderSpend(Tx& tx, int64_t customer_id, const std::string& order_id) {
    SIYU_ASSIGN_OR_RETURN(auto stmt,
                          tx.c().Prepare("SELECT type, -principal, -bonus, id FROM stored_value_entries WHERE "
                                         "tenant_id = ? AND order_id = ? AND customer_id = ? AND type IN ('spend', "
                                         "'refund') ORDER BY id"));
    stmt.Bind(1, tx.tenant()).Bind(2, order_id).Bind(3, customer_id);
    OrderSpend s;
    SIYU_RETURN_IF_ERROR(stmt.ForEachRow([&] {
        if (stmt.Text(0) == "spend") {
            s.spent_principal += stmt.Int(1);
            s.spent_bonus += stmt.Int(2);
            s.last_spend_id = stmt.Int(3);
        } else {
            s.refunded_principal -= stmt.Int(1);
            s.refunded_bonus -= stmt.Int(2);
        }
    }));
    return s;
}

int64_t MulDiv(int64_t a, int64_t b, int64_t c, bool round_up) {
    __int128 n = static_cast<__int128>(a) * b;
    __int128 q = n / c;
    if (round_up && q * c != n) ++q;
    return static_cast<int64_t>(q);
}

}  // namespace

Split ProportionalSplit(int64_t amount, int64_t principal, int64_t bonus) {
    int64_t total = principal + bonus;
    if (amount <= 0 || total <= 0) return {};
    Split s;
    s.bonus = std::min(bonus, MulDiv(amount, bonus, total, /*round_up=*/false));
    s.principal = amount - s.bonus;
    if (s.principal > principal) {
        s.principal = principal;
        s.bonus = amount - principal;
    }
    return s;
}

// --- Offers ------------------------------------------------------------------------------

Result<std::vector<TopupOffer>> StoredValue::ListOffers(int64_t tenant_id) {
    std::vector<TopupOffer> out;
    SIYU_RETURN_IF_ERROR(loyalty_->exec().db()->Read([&](Connection& c) -> Status {
        SIYU_ASSIGN_OR_RETURN(auto stmt, c.Prepare(std::string("SELECT ") + kOfferColumns +
                                                   " FROM topup_offers WHERE tenant_id = ? AND deleted_at IS NULL "
                                                   "ORDER BY pay_amount, id"));
        stmt.Bind(1, tenant_id);
        return stmt.ForEachRow([&] { out.push_back(ReadOffer(stmt)); });
    }));
    return out;
}

Result<TopupOffer> StoredValue::GetOffer(int64_t tenant_id, int64_t id) {
    TopupOffer o;
    SIYU_RETURN_IF_ERROR(loyalty_->exec().db()->Read([&](Connection& c) -> Status {
        SIYU_ASSIGN_OR_RETURN(o, LoadOffer(c, tenant_id, id));
        return Status::Ok();
    }));
    return o;
}

Result<TopupOffer> StoredValue::CreateOffer(int64_t tenant_id, const TopupOfferInput& in, const auth::Actor& actor) {
    if (!in.name) return Status::InvalidArgument("name", "is required");
    if (!in.pay_amount) return Status::InvalidArgument("pay_amount", "is required");
    if (!in.bonus_amount) return Status::InvalidArgument("bonus_amount", "is required");
    TopupOffer o;
    ApplyOffer(in, &o);
    SIYU_RETURN_IF_ERROR(ValidateOffer(o));
    SIYU_RETURN_IF_ERROR(loyalty_->exec().Write(tenant_id, [&](Tx& tx) -> Status {
        o.created_at = o.updated_at = tx.now();
        SIYU_ASSIGN_OR_RETURN(auto stmt, tx.c().Prepare("INSERT INTO topup_offers(tenant_id, name, pay_amount, "
                                                        "bonus_amount, active, valid_from, valid_to, created_at, "
                                                        "updated_at) VALUES (?,?,?,?,?,?,?,?,?)"));
        SIYU_RETURN_IF_ERROR(stmt.Bind(1, tenant_id)
                                 .Bind(2, o.name)
                                 .Bind(3, o.pay_amount)
                                 .Bind(4, o.bonus_amount)
                                 .Bind(5, static_cast<int64_t>(o.active))
                                 .Bind(6, o.valid_from)
                                 .Bind(7, o.valid_to)
                                 .Bind(8, o.created_at)
                                 .Bind(9, o.updated_at)
                                 .Run());
        o.id = tx.c().LastInsertId();
        return tx.Audit(actor, "loyalty.topup_offer.create", "topup_offer", std::to_string(o.id),
                        {{"name", o.name}, {"pay_amount", o.pay_amount}, {"bonus_amount", o.bonus_amount}});
    }));
    return o;
}

Result<TopupOffer> StoredValue::UpdateOffer(int64_t tenant_id, int64_t id, const TopupOfferInput& in,
                                            const auth::Actor& actor) {
    TopupOffer o;
    SIYU_RETURN_IF_ERROR(loyalty_->exec().Write(tenant_id, [&](Tx& tx) -> Status {
        SIYU_ASSIGN_OR_RETURN(o, LoadOffer(tx.c(), tenant_id, id));
        ApplyOffer(in, &o);
        SIYU_RETURN_IF_ERROR(ValidateOffer(o));
        o.updated_at = tx.now();
        SIYU_ASSIGN_OR_RETURN(auto stmt, tx.c().Prepare("UPDATE topup_offers SET name = ?, pay_amount = ?, "
                                                        "bonus_amount = ?, active = ?, valid_from = ?, valid_to = ?, "
                                                        "updated_at = ? WHERE id = ? AND tenant_id = ?"));
        SIYU_RETURN_IF_ERROR(stmt.Bind(1, o.name)
                                 .Bind(2, o.pay_amount)
                                 .Bind(3, o.bonus_amount)
                                 .Bind(4, static_cast<int64_t>(o.active))
                                 .Bind(5, o.valid_from)
                                 .Bind(6, o.valid_to)
                                 .Bind(7, o.updated_at)
                                 .Bind(8, id)
                                 .Bind(9, tenant_id)
                                 .Run());
        return tx.Audit(actor, "loyalty.topup_offer.update", "topup_offer", std::to_string(id),
                        {{"name", o.name}, {"pay_amount", o.pay_amount}, {"bonus_amount", o.bonus_amount}});
    }));
    return o;
}

Status StoredValue::DeleteOffer(int64_t tenant_id, int64_t id, const auth::Actor& actor) {
    return loyalty_->exec().Write(tenant_id, [&](Tx& tx) -> Status {
        SIYU_RETURN_IF_ERROR(LoadOffer(tx.c(), tenant_id, id).status());
        SIYU_ASSIGN_OR_RETURN(auto stmt, tx.c().Prepare("UPDATE topup_offers SET deleted_at = ?, updated_at = ? "
                                                        "WHERE id = ? AND tenant_id = ?"));
        SIYU_RETURN_IF_ERROR(stmt.Bind(1, tx.now()).Bind(2, tx.now()).Bind(3, id).Bind(4, tenant_id).Run());
        return tx.Audit(actor, "loyalty.topup_offer.delete", "topup_offer", std::to_string(id), Json::object());
    });
}

// --- Value-moving operations ---------------------------------------------------------------

Result<Outcome> StoredValue::Topup(const Request& r, const TopupInput& in) {
    if (in.amount) SIYU_RETURN_IF_ERROR(CheckAmount("amount", *in.amount));
    if (in.bonus) SIYU_RETURN_IF_ERROR(CheckAmount("bonus", *in.bonus, /*allow_zero=*/true));
    if (in.bonus && in.offer_id) return Status::InvalidArgument("bonus", "cannot be combined with offer_id");
    if (!in.amount && !in.offer_id) return Status::InvalidArgument("amount", "is required (or an offer_id)");
    SIYU_RETURN_IF_ERROR(CheckText("payment_ref", in.payment_ref, kMaxOrderId, false));
    return loyalty_->exec().Run(r, "stored_value.topup", [&](Tx& tx) -> Result<Json> {
        SIYU_ASSIGN_OR_RETURN(Member m, tx.LoadMember(in.customer_id));
        Entry e;
        e.type = "topup";
        e.payment_ref = in.payment_ref;
        e.principal = in.amount.value_or(0);
        e.bonus = in.bonus.value_or(0);
        Json extra = Json::object();
        if (in.offer_id) {
            auto offer = LoadOffer(tx.c(), tx.tenant(), *in.offer_id);
            if (!offer.ok()) return Status(StatusCode::kNotFound, offer.status().message(), "offer_id");
            bool current = offer->active && (!offer->valid_from || tx.now() >= *offer->valid_from) &&
                           (!offer->valid_to || tx.now() < *offer->valid_to);
            if (!current) {
                return Status(StatusCode::kFailedPrecondition,
                              "top-up offer " + std::to_string(offer->id) + " is not available now", "offer_id");
            }
            if (in.amount && *in.amount != offer->pay_amount) {
                return Status::InvalidArgument("amount", "must equal the offer's pay_amount " +
                                                             std::to_string(offer->pay_amount));
            }
            e.principal = offer->pay_amount;
            e.bonus = offer->bonus_amount;
            e.offer_id = offer->id;
            extra["offer_id"] = offer->id;
            extra["offer_name"] = offer->name;
        }
        if (!e.payment_ref.empty()) extra["payment_ref"] = e.payment_ref;
        SIYU_ASSIGN_OR_RETURN(Entry saved, Append(tx, m, std::move(e), r));
        return Finish(tx, saved, "Stored Value Topped Up", extra);
    }, 201);
}

Result<Outcome> StoredValue::Spend(const Request& r, const SpendInput& in) {
    SIYU_RETURN_IF_ERROR(CheckAmount("amount", in.amount));
    SIYU_RETURN_IF_ERROR(CheckText("order_id", in.order_id, kMaxOrderId, true));
    return loyalty_->exec().Run(r, "stored_value.spend", [&](Tx& tx) -> Result<Json> {
        SIYU_ASSIGN_OR_RETURN(Member m, tx.LoadMember(in.customer_id));
        int64_t balance = m.sv_principal + m.sv_bonus;
        if (in.amount > balance) {
            return Status(StatusCode::kFailedPrecondition,
                          "insufficient stored value: balance " + std::to_string(balance) + ", asked " +
                              std::to_string(in.amount),
                          "amount");
        }
        Split split = ProportionalSplit(in.amount, m.sv_principal, m.sv_bonus);
        Entry e;
        e.type = "spend";
        e.principal = -split.principal;
        e.bonus = -split.bonus;
        e.order_id = in.order_id;
        SIYU_ASSIGN_OR_RETURN(Entry saved, Append(tx, m, std::move(e), r));
        return Finish(tx, saved, "Stored Value Spent");
    });
}

Result<Outcome> StoredValue::Refund(const Request& r, const RefundInput& in) {
    if (in.amount) SIYU_RETURN_IF_ERROR(CheckAmount("amount", *in.amount));
    SIYU_RETURN_IF_ERROR(CheckText("order_id", in.order_id, kMaxOrderId, true));
    SIYU_RETURN_IF_ERROR(CheckText("reason", in.reason, kMaxText, false));
    return loyalty_->exec().Run(r, "stored_value.refund", [&](Tx& tx) -> Result<Json> {
        SIYU_ASSIGN_OR_RETURN(Member m, tx.LoadMember(in.customer_id));
        SIYU_ASSIGN_OR_RETURN(OrderSpend s, LoadOrderSpend(tx, m.customer_id, in.order_id));
        if (!s.last_spend_id) {
            return Status(StatusCode::kNotFound, "order '" + in.order_id + "' was not paid with this member's stored value",
                          "order_id");
        }
        int64_t spent = s.spent_principal + s.spent_bonus;
        int64_t refunded = s.refunded_principal + s.refunded_bonus;
        int64_t remaining = spent - refunded;
        if (remaining <= 0) {
            return Status(StatusCode::kFailedPrecondition, "order '" + in.order_id + "' is already refunded in full",
                          "order_id");
        }
        int64_t amount = in.amount.value_or(remaining);
        if (amount > remaining) {
            return Status::InvalidArgument("amount", "at most " + std::to_string(remaining) +
                                                         " remains to refund on order '" + in.order_id + "'");
        }
        // The cumulative refund keeps the order's split: its bonus share rounds down until the
        // refund is whole, when it is exactly what was spent.
        int64_t after = refunded + amount;
        int64_t bonus_target = after == spent ? s.spent_bonus : MulDiv(after, s.spent_bonus, spent, false);
        int64_t bonus = std::clamp<int64_t>(bonus_target - s.refunded_bonus, 0, s.spent_bonus - s.refunded_bonus);
        bonus = std::min(bonus, amount);
        int64_t principal = amount - bonus;
        if (principal > s.spent_principal - s.refunded_principal) {
            principal = s.spent_principal - s.refunded_principal;
            bonus = amount - principal;
        }
        Entry e;
        e.type = "refund";
        e.principal = principal;
        e.bonus = bonus;
        e.order_id = in.order_id;
        e.reason = std::string(Trim(in.reason));
        e.ref_entry_id = s.last_spend_id;
        SIYU_ASSIGN_OR_RETURN(Entry saved, Append(tx, m, std::move(e), r));
        return Finish(tx, saved, "Stored Value Refunded", {{"order_remaining", remaining - amount}});
    });
}

Result<Outcome> StoredValue::Withdraw(const Request& r, const WithdrawInput& in) {
    if (in.amount) SIYU_RETURN_IF_ERROR(CheckAmount("amount", *in.amount));
    SIYU_RETURN_IF_ERROR(CheckText("reason", in.reason, kMaxText, false));
    SIYU_RETURN_IF_ERROR(CheckText("payment_ref", in.payment_ref, kMaxOrderId, false));
    return loyalty_->exec().Run(r, "stored_value.withdraw", [&](Tx& tx) -> Result<Json> {
        SIYU_ASSIGN_OR_RETURN(Member m, tx.LoadMember(in.customer_id));
        if (m.sv_principal <= 0) {
            return Status(StatusCode::kFailedPrecondition, "no unspent principal to withdraw", "amount");
        }
        int64_t amount = in.amount.value_or(m.sv_principal);
        if (amount > m.sv_principal) {
            return Status::InvalidArgument(
                "amount", "at most the unspent principal " + std::to_string(m.sv_principal) + " can be withdrawn");
        }
        // The bonus goes with the principal it came with: the same share of it is forfeited,
        // rounded up (a bonus is never paid out and never outlives its principal).
        int64_t forfeited = amount == m.sv_principal ? m.sv_bonus : MulDiv(m.sv_bonus, amount, m.sv_principal, true);
        forfeited = std::min(forfeited, m.sv_bonus);
        Entry e;
        e.type = "withdraw";
        e.principal = -amount;
        e.bonus = -forfeited;
        e.reason = std::string(Trim(in.reason));
        e.payment_ref = in.payment_ref;
        SIYU_ASSIGN_OR_RETURN(Entry saved, Append(tx, m, std::move(e), r));
        SIYU_RETURN_IF_ERROR(tx.Audit(r.actor, "loyalty.stored_value.withdraw", "customer",
                                      std::to_string(m.customer_id),
                                      {{"paid_out", amount}, {"bonus_forfeited", forfeited}, {"reason", saved.reason}}));
        return Finish(tx, saved, "Stored Value Withdrawn", {{"paid_out", amount}, {"bonus_forfeited", forfeited}});
    });
}

Result<Outcome> StoredValue::Adjust(const Request& r, const AdjustInput& in) {
    SIYU_RETURN_IF_ERROR(CheckText("reason", in.reason, kMaxText, true));
    if (in.principal == 0 && in.bonus == 0) {
        return Status::InvalidArgument("principal", "principal or bonus must change (a signed amount, not 0)");
    }
    if (in.principal < -kMaxAmount || in.principal > kMaxAmount) {
        return Status::InvalidArgument("principal", "out of range");
    }
    if (in.bonus < -kMaxAmount || in.bonus > kMaxAmount) return Status::InvalidArgument("bonus", "out of range");
    return loyalty_->exec().Run(r, "stored_value.adjust", [&](Tx& tx) -> Result<Json> {
        SIYU_ASSIGN_OR_RETURN(Member m, tx.LoadMember(in.customer_id));
        if (m.sv_principal + in.principal < 0) {
            return Status(StatusCode::kFailedPrecondition,
                          "principal would become negative (balance " + std::to_string(m.sv_principal) + ")",
                          "principal");
        }
        if (m.sv_bonus + in.bonus < 0) {
            return Status(StatusCode::kFailedPrecondition,
                          "bonus would become negative (balance " + std::to_string(m.sv_bonus) + ")", "bonus");
        }
        Entry e;
        e.type = "adjust";
        e.principal = in.principal;
        e.bonus = in.bonus;
        e.reason = std::string(Trim(in.reason));
        SIYU_ASSIGN_OR_RETURN(Entry saved, Append(tx, m, std::move(e), r));
        SIYU_RETURN_IF_ERROR(tx.Audit(r.actor, "loyalty.stored_value.adjust", "customer", std::to_string(m.customer_id),
                                      {{"principal", in.principal}, {"bonus", in.bonus}, {"reason", saved.reason}}));
        return Finish(tx, saved, "Stored Value Adjusted");
    });
}

// --- Reads ---------------------------------------------------------------------------------

Result<Json> StoredValue::Entries(int64_t tenant_id, int64_t customer_id, int limit, std::optional<int64_t> before_id) {
    Json out;
    SIYU_RETURN_IF_ERROR(loyalty_->exec().db()->Read([&](Connection& c) -> Status {
        Tx tx(c, tenant_id, loyalty_->exec().Now());
        SIYU_ASSIGN_OR_RETURN(Member m, tx.LoadMember(customer_id));
        SIYU_ASSIGN_OR_RETURN(auto stmt, c.Prepare(std::string("SELECT ") + kEntryColumns +
                                                   " FROM stored_value_entries WHERE tenant_id = ? AND customer_id = "
                                                   "? AND id < ? ORDER BY id DESC LIMIT ?"));
        stmt.Bind(1, tenant_id)
            .Bind(2, m.customer_id)
            .Bind(3, before_id.value_or(std::numeric_limits<int64_t>::max()))
            .Bind(4, static_cast<int64_t>(limit));
        Json data = Json::array();
        std::optional<int64_t> last;
        SIYU_RETURN_IF_ERROR(stmt.ForEachRow([&] {
            Entry e = ReadEntry(stmt);
            last = e.id;
            data.push_back(EntryJson(e));
        }));
        out = PageJson(std::move(data), last, limit,
                       {{"customer_id", m.customer_id}, {"balance", BalanceJson(m.sv_principal, m.sv_bonus)}});
        return Status::Ok();
    }));
    return out;
}

Result<Json> StoredValue::Statement(int64_t tenant_id, int64_t customer_id, TimeMs from, TimeMs to) {
    Json out;
    SIYU_RETURN_IF_ERROR(loyalty_->exec().db()->Read([&](Connection& c) -> Status {
        Tx tx(c, tenant_id, loyalty_->exec().Now());
        SIYU_ASSIGN_OR_RETURN(Member m, tx.LoadMember(customer_id));
        int64_t open_p = 0, open_b = 0;
        {
            SIYU_ASSIGN_OR_RETURN(auto stmt, c.Prepare("SELECT principal_after, bonus_after FROM stored_value_entries "
                                                       "WHERE tenant_id = ? AND customer_id = ? AND at < ? ORDER BY "
                                                       "at DESC, id DESC LIMIT 1"));
            stmt.Bind(1, tenant_id).Bind(2, m.customer_id).Bind(3, from);
            SIYU_ASSIGN_OR_RETURN(bool row, stmt.Step());
            if (row) {
                open_p = stmt.Int(0);
                open_b = stmt.Int(1);
            }
        }
        SIYU_ASSIGN_OR_RETURN(auto stmt, c.Prepare(std::string("SELECT ") + kEntryColumns +
                                                   " FROM stored_value_entries WHERE tenant_id = ? AND customer_id = "
                                                   "? AND at >= ? AND at < ? ORDER BY at, id"));
        stmt.Bind(1, tenant_id).Bind(2, m.customer_id).Bind(3, from).Bind(4, to);
        Json movements = Json::array();
        std::map<std::string, std::array<int64_t, 3>> totals;  // type → principal, bonus, count
        int64_t close_p = open_p, close_b = open_b;
        SIYU_RETURN_IF_ERROR(stmt.ForEachRow([&] {
            Entry e = ReadEntry(stmt);
            close_p += e.principal;
            close_b += e.bonus;
            auto& t = totals[e.type];
            t[0] += e.principal;
            t[1] += e.bonus;
            t[2] += 1;
            movements.push_back(EntryJson(e));
        }));
        Json by_type = Json::object();
        for (const char* type : {"topup", "spend", "refund", "withdraw", "adjust"}) {
            auto t = totals[type];
            by_type[type] = {{"count", t[2]}, {"principal", t[0]}, {"bonus", t[1]}, {"amount", t[0] + t[1]}};
        }
        out = Json{{"customer_id", m.customer_id},
                   {"from", FormatRfc3339(from)},
                   {"to", FormatRfc3339(to)},
                   {"opening", BalanceJson(open_p, open_b)},
                   {"totals", by_type},
                   {"movements", movements},
                   {"closing", BalanceJson(close_p, close_b)}};
        return Status::Ok();
    }));
    return out;
}

Status StoredValue::Sweep(int64_t tenant_id) {
    (void)tenant_id;
    return Status::Ok();
}

// --- Verification --------------------------------------------------------------------------

Status VerifyStoredValue(Connection& c, int64_t tenant_id, std::vector<std::string>* problems, int64_t* entries) {
    struct Running {
        int64_t principal = 0, bonus = 0;
    };
    std::map<int64_t, Running> sums;
    {
        SIYU_ASSIGN_OR_RETURN(auto stmt, c.Prepare("SELECT id, customer_id, principal, bonus, principal_after, "
                                                   "bonus_after FROM stored_value_entries WHERE tenant_id = ? ORDER "
                                                   "BY customer_id, id"));
        stmt.Bind(1, tenant_id);
        SIYU_RETURN_IF_ERROR(stmt.ForEachRow([&] {
            ++*entries;
            int64_t id = stmt.Int(0), customer = stmt.Int(1);
            Running& r = sums[customer];
            r.principal += stmt.Int(2);
            r.bonus += stmt.Int(3);
            std::string where = "stored value entry " + std::to_string(id) + " of customer " + std::to_string(customer);
            if (stmt.Int(4) != r.principal || stmt.Int(5) != r.bonus) {
                problems->push_back(where + ": balances after (" + std::to_string(stmt.Int(4)) + ", " +
                                    std::to_string(stmt.Int(5)) + ") do not follow from the entries before (" +
                                    std::to_string(r.principal) + ", " + std::to_string(r.bonus) + ")");
                r.principal = stmt.Int(4);
                r.bonus = stmt.Int(5);
            }
            if (stmt.Int(4) < 0 || stmt.Int(5) < 0) problems->push_back(where + ": a balance is negative");
        }));
    }
    // Members' balances against the sums of their entries (members without entries must be 0).
    std::map<int64_t, Running> ledger;
    {
        SIYU_ASSIGN_OR_RETURN(auto stmt, c.Prepare("SELECT customer_id, COALESCE(SUM(principal), 0), "
                                                   "COALESCE(SUM(bonus), 0) FROM stored_value_entries WHERE "
                                                   "tenant_id = ? GROUP BY customer_id"));
        stmt.Bind(1, tenant_id);
        SIYU_RETURN_IF_ERROR(stmt.ForEachRow([&] { ledger[stmt.Int(0)] = {stmt.Int(1), stmt.Int(2)}; }));
    }
    {
        SIYU_ASSIGN_OR_RETURN(auto stmt, c.Prepare("SELECT customer_id, sv_principal, sv_bonus FROM members WHERE "
                                                   "tenant_id = ?"));
        stmt.Bind(1, tenant_id);
        SIYU_RETURN_IF_ERROR(stmt.ForEachRow([&] {
            int64_t customer = stmt.Int(0);
            Running expect;
            if (auto it = ledger.find(customer); it != ledger.end()) {
                expect = it->second;
                ledger.erase(it);
            }
            if (stmt.Int(1) != expect.principal || stmt.Int(2) != expect.bonus) {
                problems->push_back("member " + std::to_string(customer) + ": stored value (" +
                                    std::to_string(stmt.Int(1)) + ", " + std::to_string(stmt.Int(2)) +
                                    ") differs from the sum of its entries (" + std::to_string(expect.principal) +
                                    ", " + std::to_string(expect.bonus) + ")");
            }
        }));
    }
    for (const auto& [customer, r] : ledger) {
        if (r.principal != 0 || r.bonus != 0) {
            problems->push_back("customer " + std::to_string(customer) +
                                " has stored value entries but no member row");
        }
    }
    // Refunds never exceed what the order spent, part by part.
    SIYU_ASSIGN_OR_RETURN(auto orders, c.Prepare("SELECT customer_id, order_id, "
                                                 "SUM(CASE WHEN type = 'spend' THEN -principal ELSE 0 END), "
                                                 "SUM(CASE WHEN type = 'spend' THEN -bonus ELSE 0 END), "
                                                 "SUM(CASE WHEN type = 'refund' THEN principal ELSE 0 END), "
                                                 "SUM(CASE WHEN type = 'refund' THEN bonus ELSE 0 END) "
                                                 "FROM stored_value_entries WHERE tenant_id = ? AND order_id <> '' "
                                                 "AND type IN ('spend', 'refund') GROUP BY customer_id, order_id"));
    orders.Bind(1, tenant_id);
    return orders.ForEachRow([&] {
        if (orders.Int(4) > orders.Int(2) || orders.Int(5) > orders.Int(3)) {
            problems->push_back("order '" + orders.Text(1) + "' of customer " + std::to_string(orders.Int(0)) +
                                ": stored value refunded (" + std::to_string(orders.Int(4)) + ", " +
                                std::to_string(orders.Int(5)) + ") exceeds what it spent (" +
                                std::to_string(orders.Int(2)) + ", " + std::to_string(orders.Int(3)) + ")");
        }
    });
}

}  // namespace siyu::loyalty
