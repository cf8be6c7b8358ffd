#include "cdp/event_ingestor.h"

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "base/phone.h"
#include "base/strings.h"
#include "cdp/identity_settings.h"
#include "cdp/merge_set.h"

namespace siyu::cdp {

using store::Connection;
using Json = nlohmann::json;

namespace {

// One write transaction's view of the identity graph of a tenant.
class IdentityTx {
  public:
    IdentityTx(Connection& c, int64_t tenant, TimeMs now, const IdentitySettings& settings)
        : c_(c), tenant_(tenant), now_(now), settings_(settings), unique_json_(Json(settings.unique_types).dump()) {}

    const IdentitySettings& settings() const { return settings_; }

    // The survivor of the customer holding `id`, if any customer does.
    Result<std::optional<int64_t>> OwnerRoot(const Identifier& id) {
        return IdentifierSurvivor(c_, tenant_, id.type, id.value);
    }

    // Values of unique identifier types held by `root` and everything merged into it.
    Result<std::map<std::string, std::set<std::string>>> UniqueValues(int64_t root) {
        std::map<std::string, std::set<std::string>> out;
        SIYU_ASSIGN_OR_RETURN(auto stmt,
                              c_.Prepare(std::string(kMergeSetCte) +
                                         "SELECT type, value FROM customer_identifiers WHERE customer_id IN s AND "
                                         "type IN (SELECT value FROM json_each(?2))"));
        stmt.Bind(1, root).Bind(2, unique_json_);
        SIYU_RETURN_IF_ERROR(stmt.ForEachRow([&] { out[stmt.Text(0)].insert(stmt.Text(1)); }));
        return out;
    }

    Result<int64_t> NewCustomer() {
        SIYU_ASSIGN_OR_RETURN(auto stmt, c_.Prepare("INSERT INTO customers(tenant_id, created_at, updated_at) VALUES "
                                                    "(?, ?, ?)"));
        SIYU_RETURN_IF_ERROR(stmt.Bind(1, tenant_).Bind(2, now_).Bind(3, now_).Run());
        return c_.LastInsertId();
    }

    Status Attach(int64_t customer, const Identifier& id) {
        SIYU_ASSIGN_OR_RETURN(auto stmt,
                              c_.Prepare("INSERT OR IGNORE INTO customer_identifiers(tenant_id, type, value, "
                                         "customer_id, created_at) VALUES (?,?,?,?,?)"));
        return stmt.Bind(1, tenant_).Bind(2, id.type).Bind(3, id.value).Bind(4, customer).Bind(5, now_).Run();
    }

    Status Conflict(int64_t customer, int64_t other, const std::string& type, const std::string& message_id) {
        SIYU_ASSIGN_OR_RETURN(auto stmt, c_.Prepare("INSERT INTO identity_conflicts(tenant_id, customer_id, "
                                                    "other_customer_id, identifier_type, message_id, at) "
                                                    "VALUES (?,?,?,?,?,?)"));
        return stmt.Bind(1, tenant_)
            .Bind(2, customer)
            .Bind(3, other)
            .Bind(4, type)
            .Bind(5, message_id)
            .Bind(6, now_)
            .Run();
    }

    // Points `merged` at `survivor`, logs the merge and folds the merged profile into the
    // survivor (newest trait wins; empty columns are filled).
    Status Merge(int64_t survivor, int64_t merged, const std::string& reason, const std::string& message_id) {
        SIYU_ASSIGN_OR_RETURN(auto upd,
                              c_.Prepare("UPDATE customers SET merged_into = ?, updated_at = ? WHERE id = ?"));
        SIYU_RETURN_IF_ERROR(upd.Bind(1, survivor).Bind(2, now_).Bind(3, merged).Run());
        SIYU_ASSIGN_OR_RETURN(auto log, c_.Prepare("INSERT INTO customer_merges(tenant_id, survivor_id, merged_id, "
                                                   "reason, message_id, at) VALUES (?,?,?,?,?,?)"));
        SIYU_RETURN_IF_ERROR(log.Bind(1, tenant_)
                                 .Bind(2, survivor)
                                 .Bind(3, merged)
                                 .Bind(4, reason)
                                 .Bind(5, message_id)
                                 .Bind(6, now_)
                                 .Run());
        return FoldProfile(survivor, merged);
    }

    // Applies identify traits to `customer`, field by field, where `at` is newer.
    Status ApplyTraits(int64_t customer, const std::vector<std::pair<std::string, std::string>>& traits, TimeMs at) {
        if (traits.empty()) return Status::Ok();
        SIYU_ASSIGN_OR_RETURN(Profile p, LoadProfile(customer));
        bool changed = false;
        for (const auto& [key, text] : traits) {
            if (key == "phone" || key == "email" || key == "member_no") {
                SIYU_ASSIGN_OR_RETURN(bool holds, HoldsIdentifier(customer, key, text));
                if (!holds) continue;  // the identifier went elsewhere or conflicted
            }
            auto seen = p.times.find(key);
            if (seen != p.times.end() && seen->is_number_integer() && seen->get<int64_t>() > at) continue;
            Json value = Json::parse(text, nullptr, false);
            if (value.is_discarded()) continue;
            if (!SetTrait(&p, key, value)) continue;
            p.times[key] = at;
            changed = true;
        }
        return changed ? SaveProfile(customer, p) : Status::Ok();
    }

    Status UpdateStats(int64_t customer, const TrackingMessage& m) {
        bool order = m.type == "track" && m.name == "Order Completed";
        bool refund = m.type == "track" && m.name == "Order Refunded";
        bool registered = (m.type == "track" && m.name == "Member Registered");
        for (const auto& [k, v] : m.traits) registered |= k == "member_no";
        int64_t amount = m.revenue.value_or(0);
        SIYU_ASSIGN_OR_RETURN(
            auto stmt,
            c_.Prepare("INSERT INTO customer_stats(customer_id, tenant_id, first_seen, last_seen, order_count, "
                       "order_total, last_order_at, refund_count, refund_total, registered) "
                       "VALUES (?1, ?2, ?3, ?3, ?4, ?5, ?6, ?7, ?8, ?9) ON CONFLICT(customer_id) DO UPDATE SET "
                       "first_seen = min(coalesce(first_seen, excluded.first_seen), excluded.first_seen), "
                       "last_seen = max(coalesce(last_seen, excluded.last_seen), excluded.last_seen), "
                       "order_count = order_count + excluded.order_count, "
                       "order_total = order_total + excluded.order_total, "
                       "last_order_at = CASE WHEN excluded.last_order_at IS NULL THEN last_order_at "
                       "ELSE max(coalesce(last_order_at, 0), excluded.last_order_at) END, "
                       "refund_count = refund_count + excluded.refund_count, "
                       "refund_total = refund_total + excluded.refund_total, "
                       "registered = max(registered, excluded.registered)"));
        std::optional<int64_t> last_order;
        if (order) last_order = m.timestamp;
        return stmt.Bind(1, customer)
            .Bind(2, tenant_)
            .Bind(3, m.timestamp)
            .Bind(4, int64_t{order})
            .Bind(5, order ? amount : 0)
            .Bind(6, last_order)
            .Bind(7, int64_t{refund})
            .Bind(8, refund ? amount : 0)
            .Bind(9, int64_t{registered})
            .Run();
    }

  private:
    // True when the trait's identifier (normalised) belongs to `customer` or a customer
    // merged into it.
    Result<bool> HoldsIdentifier(int64_t customer, const std::string& type, const std::string& json_text) {
        Json value = Json::parse(json_text, nullptr, false);
        if (!value.is_string()) return false;
        auto normalized = NormalizeIdentifier(type, value.get<std::string>(), type);
        if (!normalized.ok()) return false;
        SIYU_ASSIGN_OR_RETURN(auto root, OwnerRoot(Identifier{type, normalized.value(), 0}));
        if (!root) return type == "member_no";  // a member number may arrive as a trait only
        return *root == customer;
    }

    struct Profile {
        std::optional<std::string> name, phone, email, birthday, member_no;
        std::string gender = "unknown";
        Json traits = Json::object();
        Json times = Json::object();
    };

    Result<Profile> LoadProfile(int64_t id) {
        SIYU_ASSIGN_OR_RETURN(auto stmt, c_.Prepare("SELECT name, phone, email, gender, birthday, member_no, traits, "
                                                    "trait_times FROM customers WHERE id = ?"));
        stmt.Bind(1, id);
        SIYU_ASSIGN_OR_RETURN(bool row, stmt.Step());
        if (!row) return Status::Internal("customer " + std::to_string(id) + " vanished");
        Profile p;
        p.name = stmt.OptText(0);
        p.phone = stmt.OptText(1);
        p.email = stmt.OptText(2);
        p.gender = stmt.Text(3);
        p.birthday = stmt.OptText(4);
        p.member_no = stmt.OptText(5);
        p.traits = Json::parse(stmt.Text(6), nullptr, false);
        if (!p.traits.is_object()) p.traits = Json::object();
        p.times = Json::parse(stmt.Text(7), nullptr, false);
        if (!p.times.is_object()) p.times = Json::object();
        return p;
    }

    Status SaveProfile(int64_t id, const Profile& p) {
        SIYU_ASSIGN_OR_RETURN(auto stmt, c_.Prepare("UPDATE customers SET name = ?, phone = ?, email = ?, gender = ?, "
                                                    "birthday = ?, member_no = ?, traits = ?, trait_times = ?, "
                                                    "updated_at = ? WHERE id = ?"));
        return stmt.Bind(1, p.name)
            .Bind(2, p.phone)
            .Bind(3, p.email)
            .Bind(4, p.gender)
            .Bind(5, p.birthday)
            .Bind(6, p.member_no)
            .Bind(7, p.traits.dump())
            .Bind(8, p.times.dump())
            .Bind(9, now_)
            .Bind(10, id)
            .Run();
    }

    // Sets one trait; profile fields are validated, the rest kept as given. False: ignored.
    static bool SetTrait(Profile* p, const std::string& key, const Json& value) {
        auto text = [&]() -> std::optional<std::string> {
            if (value.is_string()) return std::string(Trim(value.get<std::string>()));
            return std::nullopt;
        };
        if (key == "name") {
            auto v = text();
            if (!v || v->empty() || Utf8Length(*v) > 100) return false;
            p->name = *v;
        } else if (key == "phone") {
            auto v = text();
            if (!v) return false;
            auto phone = NormalizePhone(*v);
            if (!phone.ok()) return false;
            p->phone = phone.value();
        } else if (key == "email") {
            auto v = text();
            if (!v || !IsValidEmail(ToLower(*v))) return false;
            p->email = ToLower(*v);
        } else if (key == "gender") {
            auto v = text();
            if (!v) return false;
            std::string g = ToLower(*v);
            if (g == "m" || g == "man" || g == "男") g = "male";
            if (g == "f" || g == "woman" || g == "女") g = "female";
            if (g != "male" && g != "female") g = "unknown";
            p->gender = g;
        } else if (key == "birthday") {
            auto v = text();
            if (!v) return false;
            std::string day = v->substr(0, 10);
            if (!IsValidDate(day)) return false;
            p->birthday = day;
        } else if (key == "member_no") {
            auto v = text();
            if (!v || v->empty() || v->size() > 64) return false;
            p->member_no = *v;
        } else {
            if (p->traits.size() >= 200 && !p->traits.contains(key)) return false;
            p->traits[key] = value;
        }
        return true;
    }

    Status FoldProfile(int64_t survivor, int64_t merged) {
        SIYU_ASSIGN_OR_RETURN(Profile s, LoadProfile(survivor));
        SIYU_ASSIGN_OR_RETURN(Profile m, LoadProfile(merged));
        auto fill = [](std::optional<std::string>& into, const std::optional<std::string>& from) {
            if (!into && from) into = from;
        };
        fill(s.name, m.name);
        fill(s.phone, m.phone);
        fill(s.email, m.email);
        fill(s.birthday, m.birthday);
        fill(s.member_no, m.member_no);
        if (s.gender == "unknown") s.gender = m.gender;
        for (auto& [key, t] : m.times.items()) {
            int64_t theirs = t.is_number_integer() ? t.get<int64_t>() : 0;
            int64_t ours = s.times.contains(key) && s.times[key].is_number_integer() ? s.times[key].get<int64_t>() : -1;
            if (theirs <= ours) continue;
            s.times[key] = theirs;
            if (m.traits.contains(key)) s.traits[key] = m.traits[key];
        }
        for (auto& [key, v] : m.traits.items()) {
            if (!s.traits.contains(key)) s.traits[key] = v;
        }
        return SaveProfile(survivor, s);
    }

    Connection& c_;
    int64_t tenant_;
    TimeMs now_;
    const IdentitySettings& settings_;
    std::string unique_json_;
};

// Resolves the message's identifiers to the customer the event belongs to.
Result<int64_t> Resolve(IdentityTx& tx, const TrackingMessage& m) {
    std::vector<Identifier> ids;
    for (const auto& id : m.identifiers) {
        if (tx.settings().Knows(id.type)) ids.push_back(id);  // undeclared custom types are ignored
    }
    if (m.previous_id) {
        Identifier prev{"user_id", *m.previous_id, 0};
        SIYU_ASSIGN_OR_RETURN(auto as_user, tx.OwnerRoot(prev));
        if (!as_user) prev.type = "anonymous_id";
        ids.push_back(prev);
    }
    std::vector<int64_t> roots;
    std::vector<Identifier> unknown;
    std::optional<int64_t> user_root;
    for (const auto& id : ids) {
        SIYU_ASSIGN_OR_RETURN(auto owner_root, tx.OwnerRoot(id));
        if (!owner_root) {
            unknown.push_back(id);
            continue;
        }
        int64_t root = *owner_root;
        if (std::find(roots.begin(), roots.end(), root) == roots.end()) roots.push_back(root);
        if (id.type == "user_id" && m.user_id && id.value == *m.user_id) user_root = root;
    }
    int64_t target = 0;
    if (roots.empty()) {
        SIYU_ASSIGN_OR_RETURN(target, tx.NewCustomer());
    } else {
        std::sort(roots.begin(), roots.end());
        target = roots.front();
        for (size_t i = 1; i < roots.size(); ++i) {
            SIYU_ASSIGN_OR_RETURN(auto ours, tx.UniqueValues(target));
            SIYU_ASSIGN_OR_RETURN(auto theirs, tx.UniqueValues(roots[i]));
            std::string clash;
            for (const auto& [type, values] : theirs) {
                auto it = ours.find(type);
                if (it != ours.end() && it->second != values) clash = type;
            }
            if (!clash.empty()) {
                SIYU_RETURN_IF_ERROR(tx.Conflict(target, roots[i], clash, m.message_id));
                continue;
            }
            SIYU_RETURN_IF_ERROR(
                tx.Merge(target, roots[i], "identifiers seen together in one " + m.type, m.message_id));
            if (user_root && *user_root == roots[i]) user_root = target;
        }
    }
    for (const auto& id : unknown) {
        if (tx.settings().IsUnique(id.type)) {
            SIYU_ASSIGN_OR_RETURN(auto held, tx.UniqueValues(target));
            auto it = held.find(id.type);
            if (it != held.end() && !it->second.empty()) {
                if (id.type == "user_id") {
                    SIYU_ASSIGN_OR_RETURN(int64_t fresh, tx.NewCustomer());
                    SIYU_RETURN_IF_ERROR(tx.Attach(fresh, id));
                    SIYU_RETURN_IF_ERROR(tx.Conflict(fresh, target, id.type, m.message_id));
                    user_root = fresh;
                } else {
                    SIYU_RETURN_IF_ERROR(tx.Conflict(target, target, id.type, m.message_id));
                }
                continue;
            }
        }
        SIYU_RETURN_IF_ERROR(tx.Attach(target, id));
    }
    return user_root.value_or(target);
}

}  // namespace

Result<IngestResult> EventIngestor::Ingest(int64_t tenant_id, const std::vector<TrackingMessage>& messages) {
    IngestResult result;
    std::vector<StoredEvent> stored;
    stored.reserve(messages.size());
    TimeMs now = NowMs();
    SIYU_RETURN_IF_ERROR(db_->Write([&](Connection& c) -> Status {
        result = IngestResult{};
        stored.clear();
        SIYU_ASSIGN_OR_RETURN(IdentitySettings settings, LoadIdentitySettings(c, tenant_id));
        IdentityTx tx(c, tenant_id, now, settings);
        for (const auto& m : messages) {
            SIYU_ASSIGN_OR_RETURN(auto seen, c.Prepare("SELECT 1 FROM events WHERE tenant_id = ? AND message_id = ?"));
            seen.Bind(1, tenant_id).Bind(2, m.message_id);
            SIYU_ASSIGN_OR_RETURN(bool duplicate, seen.Step());
            seen.Reset();
            if (duplicate) {
                ++result.duplicates;
                continue;
            }
            SIYU_ASSIGN_OR_RETURN(int64_t customer, Resolve(tx, m));
            SIYU_RETURN_IF_ERROR(tx.ApplyTraits(customer, m.traits, m.timestamp));
            SIYU_RETURN_IF_ERROR(tx.UpdateStats(customer, m));
            SIYU_ASSIGN_OR_RETURN(auto ins, c.Prepare("INSERT INTO events(tenant_id, customer_id, message_id, type, "
                                                      "name, ts, received_at, properties, context, revenue, currency) "
                                                      "VALUES (?,?,?,?,?,?,?,?,?,?,?)"));
            SIYU_RETURN_IF_ERROR(ins.Bind(1, tenant_id)
                                     .Bind(2, customer)
                                     .Bind(3, m.message_id)
                                     .Bind(4, m.type)
                                     .Bind(5, m.name)
                                     .Bind(6, m.timestamp)
                                     .Bind(7, now)
                                     .Bind(8, m.properties)
                                     .Bind(9, m.context)
                                     .Bind(10, m.revenue)
                                     .Bind(11, m.currency)
                                     .Run());
            stored.push_back(StoredEvent{c.LastInsertId(), tenant_id, customer, m.type, m.name, m.timestamp, m.revenue,
                                         m.properties});
            ++result.accepted;
        }
        if (effects_ && !stored.empty()) SIYU_RETURN_IF_ERROR(effects_(c, tenant_id, now, stored));
        return Status::Ok();
    }));
    if (listener_ && !stored.empty()) listener_(stored);
    return result;
}

}  // namespace siyu::cdp
