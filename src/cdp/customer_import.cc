#include "cdp/customer_import.h"

#include <chrono>
#include <cstdio>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>

#include "base/money.h"
#include "base/phone.h"
#include "base/strings.h"
#include "base/time.h"
#include "cdp/merge_set.h"

namespace siyu::cdp {

namespace {

using Json = nlohmann::json;
using store::Connection;

// Positions in CustomerFields().
enum CustomerField : size_t {
    kName,
    kPhone,
    kMemberNo,
    kStoreCode,
    kTier,
    kPoints,
    kRegisteredAt,
    kEmail,
    kGender,
    kBirthday,
    kStoredValue,
};

constexpr TimeMs kMaxFutureMs = 24LL * 3600 * 1000;
constexpr int64_t kProgressEveryRows = 4096;

// One valid row, ready to apply.
struct MemberRow {
    int64_t line = 0;
    std::optional<std::string> name, phone, member_no, email, gender, birthday, tier;
    std::optional<int64_t> store_id, points, stored_value;
    std::optional<TimeMs> registered_at;
};

// "1990-05-03", "1990/5/3" or "1990.5.3" (a time after it is ignored) → "1990-05-03".
std::optional<std::string> NormalizeDate(std::string_view text) {
    int y = 0, m = 0, d = 0;
    size_t i = 0;
    auto number = [&](int max_digits, int* out) {
        size_t start = i;
        while (i < text.size() && i - start < static_cast<size_t>(max_digits) && text[i] >= '0' && text[i] <= '9') {
            *out = *out * 10 + (text[i] - '0');
            ++i;
        }
        return i > start;
    };
    if (!number(4, &y) || i != 4 || i >= text.size()) return std::nullopt;
    char sep = text[i];
    if (sep != '-' && sep != '/' && sep != '.') return std::nullopt;
    ++i;
    if (!number(2, &m) || i >= text.size() || text[i] != sep) return std::nullopt;
    ++i;
    if (!number(2, &d)) return std::nullopt;
    if (i < text.size() && text[i] != ' ' && text[i] != 'T') return std::nullopt;
    char buf[16];
    std::snprintf(buf, sizeof(buf), "%04d-%02d-%02d", y, m, d);
    if (!IsValidDate(buf)) return std::nullopt;
    return std::string(buf);
}

// One run of ImportCustomers.
class CustomerImport {
  public:
    CustomerImport(CsvReader& csv, store::Database& db, const CustomerImportOptions& options)
        : csv_(csv), db_(db), opts_(options), now_(NowMs()) {}

    Result<CustomerImportResult> Run() {
        auto started = std::chrono::steady_clock::now();
        SIYU_ASSIGN_OR_RETURN(layout_, ReadCustomerHeader(csv_, opts_.mapping));
        SIYU_RETURN_IF_ERROR(LoadStores());
        std::vector<MemberRow> batch;
        while (true) {
            SIYU_ASSIGN_OR_RETURN(bool row, csv_.Next());
            if (!row) break;
            ++result_.rows;
            if (auto member = ReadRow()) batch.push_back(std::move(*member));
            if (batch.size() >= opts_.rows_per_batch) SIYU_RETURN_IF_ERROR(Apply(&batch));
            if (result_.rows % kProgressEveryRows == 0) {
                if (opts_.hooks.cancel && opts_.hooks.cancel->load()) {
                    return Status::Unavailable("the import was cancelled");
                }
                Progress();
            }
        }
        SIYU_RETURN_IF_ERROR(Apply(&batch));
        result_.duration_ms =
            std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count();
        Progress();
        return result_;
    }

  private:
    std::string_view Field(size_t field) const {
        if (!layout_.has(field)) return {};
        size_t i = static_cast<size_t>(layout_.index(field));
        const auto& f = csv_.fields();
        return i < f.size() ? Trim(f[i]) : std::string_view();
    }

    void Progress() {
        if (!opts_.hooks.on_progress) return;
        ImportProgress p;
        p.phase = "importing";
        p.rows = result_.rows;
        p.written = result_.created + result_.updated + result_.unchanged;
        p.bytes = csv_.consumed_bytes();
        p.total_bytes = csv_.total_bytes();
        opts_.hooks.on_progress(p);
    }

    void Report(const ImportError& e) {
        if (opts_.hooks.on_error) opts_.hooks.on_error(e);
    }

    Status LoadStores() {
        return db_.Read([&](Connection& c) -> Status {
            SIYU_ASSIGN_OR_RETURN(auto stmt, c.Prepare("SELECT code, id FROM stores WHERE tenant_id = ?"));
            stmt.Bind(1, opts_.tenant_id);
            return stmt.ForEachRow([&] { stores_[ToLower(stmt.Text(0))] = stmt.Int(1); });
        });
    }

    // Validates the current record; reports and answers nothing when it is bad.
    std::optional<MemberRow> ReadRow() {
        MemberRow r;
        r.line = csv_.line();
        bool ok = true;
        auto bad = [&](size_t field, std::string reason) {
            Report(ImportError{r.line, field == SIZE_MAX ? "" : layout_.column(field), std::move(reason)});
            ok = false;
        };
        if (csv_.unterminated()) {
            bad(SIZE_MAX, "a quoted field is not closed before the end of the file");
        } else if (csv_.fields().size() != layout_.header_size()) {
            bad(SIZE_MAX, "has " + std::to_string(csv_.fields().size()) + " fields; the header has " +
                              std::to_string(layout_.header_size()));
        }
        if (!ok) {
            ++result_.rejected_rows;
            return std::nullopt;
        }
        auto text = [&](size_t field, size_t max_length) -> std::optional<std::string> {
            std::string_view v = Field(field);
            if (v.empty()) return std::nullopt;
            int64_t length = Utf8Length(v);
            if (length < 0) {
                bad(field, "is not valid UTF-8 (save the file as UTF-8)");
                return std::nullopt;
            }
            if (static_cast<size_t>(length) > max_length) {
                bad(field, "is longer than " + std::to_string(max_length) + " characters");
                return std::nullopt;
            }
            return std::string(v);
        };
        r.name = text(kName, 100);
        if (auto phone = text(kPhone, 40)) {
            auto normalized = NormalizePhone(*phone);
            if (normalized.ok()) {
                r.phone = normalized.value();
            } else {
                bad(kPhone, ErrorReason(normalized.status()));
            }
        }
        if (auto member_no = text(kMemberNo, 64)) r.member_no = std::string(IntegralIdText(*member_no));
        if (ok && !r.phone && !r.member_no)
            bad(layout_.has(kPhone) ? kPhone : kMemberNo, "phone or member_no is required");
        if (auto email = text(kEmail, 254)) {
            std::string lower = ToLower(*email);
            if (IsValidEmail(lower)) {
                r.email = lower;
            } else {
                bad(kEmail, "is not a valid e-mail address");
            }
        }
        if (auto gender = text(kGender, 20)) {
            std::string g = ToLower(*gender);
            if (g == "m" || g == "male" || g == "man" || g == "男") r.gender = "male";
            if (g == "f" || g == "female" || g == "woman" || g == "女") r.gender = "female";
        }
        if (auto birthday = text(kBirthday, 30)) {
            r.birthday = NormalizeDate(*birthday);
            if (!r.birthday) bad(kBirthday, "expected YYYY-MM-DD, not '" + *birthday + "'");
        }
        if (auto code = text(kStoreCode, 64)) {
            auto it = stores_.find(ToLower(*code));
            if (it == stores_.end()) {
                bad(kStoreCode, "no store has the code '" + *code + "'");
            } else {
                r.store_id = it->second;
            }
        }
        r.tier = text(kTier, 64);
        if (auto points = text(kPoints, 30)) {
            auto value = ParseMinorUnits(*points, 0, "points");
            if (!value.ok()) {
                bad(kPoints, "must be a whole number, not '" + *points + "'");
            } else if (value.value() < 0) {
                bad(kPoints, "must not be negative");
            } else {
                r.points = value.value();
            }
        }
        if (auto stored_value = text(kStoredValue, 30)) {
            auto value = ParseMinorUnits(*stored_value, 2, "stored_value");
            if (!value.ok()) {
                bad(kStoredValue, "must be an amount with at most 2 decimals, not '" + *stored_value + "'");
            } else if (value.value() < 0) {
                bad(kStoredValue, "must not be negative");
            } else {
                r.stored_value = value.value();
            }
        }
        if (auto registered = text(kRegisteredAt, 40)) {
            auto t = ParseLocalDateTime(*registered, opts_.time_zone);
            if (!t.ok()) {
                bad(kRegisteredAt, ErrorReason(t.status()));
            } else if (t.value() > now_ + kMaxFutureMs) {
                bad(kRegisteredAt, "is in the future");
            } else {
                r.registered_at = t.value();
            }
        }
        if (!ok) {
            ++result_.rejected_rows;
            return std::nullopt;
        }
        return r;
    }

    // Applies `batch` in one transaction. Rows are first applied without a savepoint each
    // (a savepoint per row makes SQLite journal every page the row touches): a row rejected
    // before it wrote anything is simply left out. When a row fails after writing, the batch
    // is rolled back and applied again with each row in its own savepoint.
    Status Apply(std::vector<MemberRow>* batch) {
        if (batch->empty()) return Status::Ok();
        std::vector<ImportError> conflicts;
        CustomerImportResult counts;
        bool redo = false;
        Status st = db_.Write([&](Connection& c) { return ApplyBatch(c, *batch, false, &counts, &conflicts, &redo); });
        if (redo) {
            Done(false);
            st = db_.Write([&](Connection& c) { return ApplyBatch(c, *batch, true, &counts, &conflicts, &redo); });
        }
        Done(st.ok());
        SIYU_RETURN_IF_ERROR(st);
        result_.created += counts.created;
        result_.updated += counts.updated;
        result_.unchanged += counts.unchanged;
        result_.members_created += counts.members_created;
        result_.rejected_rows += static_cast<int64_t>(conflicts.size());
        for (const auto& e : conflicts) Report(e);
        batch->clear();
        Progress();
        return Status::Ok();
    }

    void Done(bool committed) {
        if (opts_.on_batch_done) opts_.on_batch_done(committed);
    }

    // Without `savepoints`, fails (unavailable) and sets *redo when a row fails after it
    // wrote something.
    Status ApplyBatch(Connection& c, const std::vector<MemberRow>& batch, bool savepoints, CustomerImportResult* counts,
                      std::vector<ImportError>* conflicts, bool* redo) {
        conflicts->clear();
        *counts = CustomerImportResult{};
        SIYU_ASSIGN_OR_RETURN(auto savepoint, c.Prepare("SAVEPOINT member_row"));
        SIYU_ASSIGN_OR_RETURN(auto rollback, c.Prepare("ROLLBACK TO member_row"));
        SIYU_ASSIGN_OR_RETURN(auto release, c.Prepare("RELEASE member_row"));
        for (const MemberRow& row : batch) {
            if (savepoints) SIYU_RETURN_IF_ERROR(savepoint.Run());
            std::optional<ImportError> conflict;
            CustomerImportResult row_counts;
            wrote_ = false;
            Status st = ApplyRow(c, row, &row_counts, &conflict);
            if (!st.ok() && st.code() != StatusCode::kInternal) {
                conflict = ImportError{row.line, "", ErrorReason(st)};
                st = Status::Ok();
            }
            SIYU_RETURN_IF_ERROR(st);
            if (conflict && wrote_ && !savepoints) {
                *redo = true;
                return Status::Unavailable("a row failed after writing; the batch is applied again");
            }
            if (conflict) {
                if (savepoints) SIYU_RETURN_IF_ERROR(rollback.Run());
                conflicts->push_back(std::move(*conflict));
            } else {
                counts->created += row_counts.created;
                counts->updated += row_counts.updated;
                counts->unchanged += row_counts.unchanged;
                counts->members_created += row_counts.members_created;
            }
            if (savepoints) SIYU_RETURN_IF_ERROR(release.Run());
        }
        return Status::Ok();
    }

    // The surviving customer (merges followed) that holds identifier (type, value), if any.
    Result<std::optional<int64_t>> Owner(Connection& c, const char* type, const std::optional<std::string>& value) {
        if (!value) return std::optional<int64_t>();
        return IdentifierSurvivor(c, opts_.tenant_id, type, *value);
    }

    Status AddIdentifier(Connection& c, int64_t customer, const char* type, const std::string& value) {
        SIYU_ASSIGN_OR_RETURN(auto stmt, c.Prepare("INSERT INTO customer_identifiers(tenant_id, type, value, "
                                                   "customer_id, created_at) VALUES (?,?,?,?,?)"));
        return stmt.Bind(1, opts_.tenant_id).Bind(2, type).Bind(3, value).Bind(4, customer).Bind(5, now_).Run();
    }

    // Tier and points as traits, with their times so that the newest value keeps winning.
    void SetLoyaltyTraits(const MemberRow& row, Json* traits, Json* times, bool* changed) {
        if (opts_.on_member) return;  // the member owns them
        auto set = [&](const char* key, const Json& value) {
            if (traits->contains(key) && (*traits)[key] == value) return;
            (*traits)[key] = value;
            (*times)[key] = now_;
            *changed = true;
        };
        if (row.tier) set("tier", *row.tier);
        if (row.points) set("points", *row.points);
    }

    Status ApplyRow(Connection& c, const MemberRow& row, CustomerImportResult* counts,
                    std::optional<ImportError>* conflict) {
        auto reject = [&](size_t field, std::string reason) {
            *conflict = ImportError{row.line, layout_.column(field), std::move(reason)};
            return Status::Ok();
        };
        SIYU_ASSIGN_OR_RETURN(auto by_phone, Owner(c, "phone", row.phone));
        SIYU_ASSIGN_OR_RETURN(auto by_member, Owner(c, "member_no", row.member_no));
        SIYU_ASSIGN_OR_RETURN(auto by_email, Owner(c, "email", row.email));
        if (by_phone && by_member && *by_phone != *by_member) {
            return reject(kMemberNo, "the phone belongs to customer " + std::to_string(*by_phone) +
                                         " and the member number to customer " + std::to_string(*by_member));
        }
        std::optional<int64_t> target = by_phone ? by_phone : by_member;
        if (by_email && target && *by_email != *target) {
            return reject(kEmail, "the e-mail belongs to another customer (" + std::to_string(*by_email) + ")");
        }
        if (by_email && !target) {
            return reject(kEmail, "the e-mail belongs to customer " + std::to_string(*by_email) +
                                      ", who has neither this phone nor this member number");
        }
        int64_t id = 0;
        bool was_unchanged = false;
        if (!target) {
            SIYU_RETURN_IF_ERROR(Create(c, row, counts, &id));
        } else {
            int64_t unchanged = counts->unchanged;
            SIYU_RETURN_IF_ERROR(Update(c, *target, row, counts, conflict));
            if (*conflict) return Status::Ok();
            id = *target;
            was_unchanged = counts->unchanged > unchanged;
        }
        if (!opts_.on_member) return Status::Ok();
        MemberRowFields fields{row.line,  !target,    row.member_no, row.registered_at, row.store_id,
                               row.tier, row.points, row.stored_value};
        wrote_ = true;
        auto member = opts_.on_member(c, opts_.tenant_id, id, fields);
        if (!member.ok()) {
            if (member.status().code() == StatusCode::kInternal) return member.status();
            *conflict = ImportError{row.line, ColumnOf(member.status().field()), ErrorReason(member.status())};
            return Status::Ok();
        }
        if (member.value().created) ++counts->members_created;
        if (member.value().changed && was_unchanged) {
            --counts->unchanged;
            ++counts->updated;
        }
        return Status::Ok();
    }

    // The header's column of a field named in an error; empty when it is not a field.
    std::string ColumnOf(const std::string& field) const {
        const auto& fields = CustomerFields();
        for (size_t i = 0; i < fields.size(); ++i) {
            if (fields[i].field == field) return layout_.column(i);
        }
        return "";
    }

    Status Create(Connection& c, const MemberRow& row, CustomerImportResult* counts, int64_t* customer_id) {
        Json traits = Json::object(), times = Json::object();
        bool changed = false;
        SetLoyaltyTraits(row, &traits, &times, &changed);
        TimeMs created = row.registered_at.value_or(now_);
        wrote_ = true;
        SIYU_ASSIGN_OR_RETURN(auto stmt, c.Prepare("INSERT INTO customers(tenant_id, name, phone, email, gender, "
                                                   "birthday, store_id, member_no, traits, trait_times, created_at, "
                                                   "updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)"));
        SIYU_RETURN_IF_ERROR(stmt.Bind(1, opts_.tenant_id)
                                 .Bind(2, row.name)
                                 .Bind(3, row.phone)
                                 .Bind(4, row.email)
                                 .Bind(5, row.gender.value_or("unknown"))
                                 .Bind(6, row.birthday)
                                 .Bind(7, row.store_id)
                                 .Bind(8, row.member_no)
                                 .Bind(9, traits.dump())
                                 .Bind(10, times.dump())
                                 .Bind(11, created)
                                 .Bind(12, now_)
                                 .Run());
        int64_t id = c.LastInsertId();
        *customer_id = id;
        if (row.phone) SIYU_RETURN_IF_ERROR(AddIdentifier(c, id, "phone", *row.phone));
        if (row.email) SIYU_RETURN_IF_ERROR(AddIdentifier(c, id, "email", *row.email));
        if (row.member_no) SIYU_RETURN_IF_ERROR(AddIdentifier(c, id, "member_no", *row.member_no));
        ++counts->created;
        return Status::Ok();
    }

    Status Update(Connection& c, int64_t id, const MemberRow& row, CustomerImportResult* counts,
                  std::optional<ImportError>* conflict) {
        SIYU_ASSIGN_OR_RETURN(auto load, c.Prepare("SELECT name, phone, email, gender, birthday, store_id, member_no, "
                                                   "traits, trait_times, created_at FROM customers WHERE id = ?"));
        load.Bind(1, id);
        SIYU_ASSIGN_OR_RETURN(bool found, load.Step());
        if (!found) return Status::Internal("customer " + std::to_string(id) + " vanished");
        std::optional<std::string> name = load.OptText(0), phone = load.OptText(1), email = load.OptText(2);
        std::string gender = load.Text(3);
        std::optional<std::string> birthday = load.OptText(4);
        std::optional<int64_t> store_id = load.OptInt(5);
        std::optional<std::string> member_no = load.OptText(6);
        Json traits = Json::parse(load.Text(7), nullptr, false);
        if (!traits.is_object()) traits = Json::object();
        Json times = Json::parse(load.Text(8), nullptr, false);
        if (!times.is_object()) times = Json::object();
        TimeMs created_at = load.Int(9);
        load.Reset();

        // Identifiers of the customer and of everyone merged into it.
        std::map<std::string, std::set<std::string>> held;
        SIYU_ASSIGN_OR_RETURN(auto ids, c.Prepare(std::string(kMergeSetCte) +
                                                  "SELECT type, value FROM customer_identifiers WHERE customer_id "
                                                  "IN s AND type IN ('phone', 'member_no', 'email')"));
        ids.Bind(1, id);
        SIYU_RETURN_IF_ERROR(ids.ForEachRow([&] { held[ids.Text(0)].insert(ids.Text(1)); }));
        auto differs = [&](const char* type, const std::optional<std::string>& column,
                           const std::optional<std::string>& value) {
            if (!value) return false;
            if (column && *column != *value) return true;
            const auto& values = held[type];
            return !values.empty() && !values.count(*value);
        };
        if (differs("phone", phone, row.phone)) {
            *conflict = ImportError{row.line, layout_.column(kPhone),
                                    "customer " + std::to_string(id) + " already has a different phone"};
            return Status::Ok();
        }
        if (differs("member_no", member_no, row.member_no)) {
            *conflict = ImportError{row.line, layout_.column(kMemberNo),
                                    "customer " + std::to_string(id) + " already has a different member number"};
            return Status::Ok();
        }

        bool changed = false;
        auto fill = [&](std::optional<std::string>& into, const std::optional<std::string>& from) {
            if (!into && from) {
                into = from;
                changed = true;
            }
        };
        fill(name, row.name);
        fill(phone, row.phone);
        fill(member_no, row.member_no);
        fill(birthday, row.birthday);
        fill(email, row.email);
        if (gender == "unknown" && row.gender) {
            gender = *row.gender;
            changed = true;
        }
        if (!store_id && row.store_id) {
            store_id = row.store_id;
            changed = true;
        }
        if (row.registered_at && *row.registered_at < created_at) {
            created_at = *row.registered_at;
            changed = true;
        }
        SetLoyaltyTraits(row, &traits, &times, &changed);
        wrote_ = true;  // from here on
        struct Wanted {
            const char* type;
            const std::optional<std::string>& value;
        };
        for (const Wanted& w :
             {Wanted{"phone", row.phone}, Wanted{"email", row.email}, Wanted{"member_no", row.member_no}}) {
            if (!w.value || held[w.type].count(*w.value)) continue;
            if (std::string_view(w.type) == "email" && email != w.value) continue;  // keeps its own e-mail
            SIYU_RETURN_IF_ERROR(AddIdentifier(c, id, w.type, *w.value));
            changed = true;
        }
        if (!changed) {
            ++counts->unchanged;
            return Status::Ok();
        }
        SIYU_ASSIGN_OR_RETURN(auto upd, c.Prepare("UPDATE customers SET name = ?, phone = ?, email = ?, gender = ?, "
                                                  "birthday = ?, store_id = ?, member_no = ?, traits = ?, "
                                                  "trait_times = ?, created_at = ?, updated_at = ? WHERE id = ?"));
        SIYU_RETURN_IF_ERROR(upd.Bind(1, name)
                                 .Bind(2, phone)
                                 .Bind(3, email)
                                 .Bind(4, gender)
                                 .Bind(5, birthday)
                                 .Bind(6, store_id)
                                 .Bind(7, member_no)
                                 .Bind(8, traits.dump())
                                 .Bind(9, times.dump())
                                 .Bind(10, created_at)
                                 .Bind(11, now_)
                                 .Bind(12, id)
                                 .Run());
        ++counts->updated;
        return Status::Ok();
    }

    CsvReader& csv_;
    store::Database& db_;
    const CustomerImportOptions& opts_;
    TimeMs now_;
    ColumnLayout layout_;
    CustomerImportResult result_;
    bool wrote_ = false;  // the row being applied has written something
    std::map<std::string, int64_t> stores_;  // lower-case code → id
};

}  // namespace

const std::vector<FieldSpec>& CustomerFields() {
    static const std::vector<FieldSpec> kFields = {
        {"name", false, {"姓名"}},
        {"phone", false, {"mobile", "手机号", "手机"}},
        {"member_no", false, {"会员号", "会员卡号"}},
        {"store_code", false, {"store", "门店编码", "门店"}},
        {"tier", false, {"level", "会员等级", "等级"}},
        {"points", false, {"积分"}},
        {"registered_at", false, {"注册时间", "入会时间"}},
        {"email", false, {"邮箱"}},
        {"gender", false, {"性别"}},
        {"birthday", false, {"生日"}},
        {"stored_value", false, {"balance", "储值余额", "储值"}},
    };
    return kFields;
}

Result<ColumnLayout> ReadCustomerHeader(CsvReader& csv, const ColumnMapping& mapping) {
    SIYU_ASSIGN_OR_RETURN(ColumnLayout layout, ReadHeader(csv, CustomerFields(), mapping));
    if (!layout.has(kPhone) && !layout.has(kMemberNo)) {
        return Status::InvalidArgument("map", "no column for phone or member_no; map one with phone=<column>");
    }
    return layout;
}

Result<CustomerImportResult> ImportCustomers(CsvReader& csv, store::Database& db,
                                             const CustomerImportOptions& options) {
    if (options.rows_per_batch == 0) return Status::InvalidArgument("rows_per_batch", "must be positive");
    if (!IsValidTimeZone(options.time_zone)) return Status::InvalidArgument("time_zone", "unknown time zone");
    return CustomerImport(csv, db, options).Run();
}

}  // namespace siyu::cdp
