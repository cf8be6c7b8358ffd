#include "loyalty/earning_rules.h"

#include <algorithm>
#include <set>

#include "loyalty/loyalty.h"
#include "loyalty/points_ledger.h"
#include "loyalty/tiers.h"

namespace siyu::loyalty {

using store::Connection;

namespace {

constexpr size_t kMaxRules = 200;

// 1 = Monday ... 7 = Sunday, for a YYYY-MM-DD date.
int DayOfWeek(const std::string& date) {
    int y = std::stoi(date.substr(0, 4)), m = std::stoi(date.substr(5, 2)), d = std::stoi(date.substr(8, 2));
    // Days since 1970-01-01 (a Thursday), by the civil-from-days inverse.
    y -= m <= 2;
    int era = (y >= 0 ? y : y - 399) / 400;
    int yoe = y - era * 400;
    int doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    int64_t days = int64_t{era} * 146097 + doe - 719468;
    int64_t dow = (days + 3) % 7;  // 0 = Monday
    if (dow < 0) dow += 7;
    return static_cast<int>(dow) + 1;
}

Status StringList(const Json& config, const char* field, const std::string& path) {
    auto it = config.find(field);
    if (it == config.end()) return Status::Ok();
    if (!it->is_array() || it->empty() || it->size() > 1000) {
        return Status::InvalidArgument(path + field, "must be a non-empty array of up to 1000 strings");
    }
    for (const auto& v : *it) {
        if (!v.is_string()) return Status::InvalidArgument(path + field, "must contain strings");
    }
    return Status::Ok();
}

Status IdList(const Json& config, const char* field, const std::string& path, int64_t min, int64_t max) {
    auto it = config.find(field);
    if (it == config.end()) return Status::Ok();
    if (!it->is_array() || it->empty() || it->size() > 1000) {
        return Status::InvalidArgument(path + field, "must be a non-empty array");
    }
    for (const auto& v : *it) {
        if (!v.is_number_integer() || v.get<int64_t>() < min || v.get<int64_t>() > max) {
            return Status::InvalidArgument(
                path + field, "must contain integers from " + std::to_string(min) + " to " + std::to_string(max));
        }
    }
    return Status::Ok();
}

Status PositiveInt(const Json& config, const char* field, const std::string& path, bool required,
                   int64_t max = 1'000'000'000) {
    auto it = config.find(field);
    if (it == config.end()) {
        return required ? Status::InvalidArgument(path + field, "is required") : Status::Ok();
    }
    if (!it->is_number_integer() || it->get<int64_t>() < 1 || it->get<int64_t>() > max) {
        return Status::InvalidArgument(path + field, "must be an integer from 1 to " + std::to_string(max));
    }
    return Status::Ok();
}

bool Contains(const Json& list, const std::string& v) {
    for (const auto& x : list) {
        if (x.is_string() && x.get<std::string>() == v) return true;
    }
    return false;
}
bool ContainsInt(const Json& list, int64_t v) {
    for (const auto& x : list) {
        if (x.is_number_integer() && x.get<int64_t>() == v) return true;
    }
    return false;
}

// The order-level conditions of a rule: stores, tiers, dates, weekdays, minimum amount.
bool OrderMatches(const EarningRule& r, const Member& m, const OrderFacts& o, const std::string& local_date) {
    const Json& c = r.config;
    if (c.contains("stores") && (!o.store_id || !ContainsInt(c["stores"], *o.store_id))) return false;
    if (c.contains("tiers") && (!m.tier_id || !ContainsInt(c["tiers"], *m.tier_id))) return false;
    if (c.contains("starts_at")) {
        auto t = ParseRfc3339(c["starts_at"].get<std::string>());
        if (t && o.at < *t) return false;
    }
    if (c.contains("ends_at")) {
        auto t = ParseRfc3339(c["ends_at"].get<std::string>());
        if (t && o.at >= *t) return false;
    }
    if (c.contains("days_of_week") && !ContainsInt(c["days_of_week"], DayOfWeek(local_date))) return false;
    if (c.contains("min_amount") && o.amount < c["min_amount"].get<int64_t>()) return false;
    return true;
}

bool LineMatches(const EarningRule& r, const OrderLine& l) {
    const Json& c = r.config;
    if (c.contains("products") && !Contains(c["products"], l.product_id)) return false;
    if (c.contains("categories") && !Contains(c["categories"], l.category)) return false;
    return true;
}

bool HasLineScope(const EarningRule& r) { return r.config.contains("products") || r.config.contains("categories"); }

// The period key of a cap at `at`: '' for lifetime, else the local day, month or year.
std::string PeriodKey(const std::string& period, const std::string& local_date) {
    if (period == "day") return local_date;
    if (period == "month") return local_date.substr(0, 7);
    if (period == "year") return local_date.substr(0, 4);
    return "";
}

Result<int64_t> UsedPoints(Tx& tx, int64_t rule_id, int64_t customer_id, const std::string& period) {
    SIYU_ASSIGN_OR_RETURN(auto stmt, tx.c().Prepare("SELECT points FROM earning_rule_usage WHERE rule_id = ? AND "
                                                    "customer_id = ? AND period = ?"));
    stmt.Bind(1, rule_id).Bind(2, customer_id).Bind(3, period);
    SIYU_ASSIGN_OR_RETURN(bool row, stmt.Step());
    int64_t v = row ? stmt.Int(0) : 0;
    stmt.Reset();
    return v;
}

// Applies a rule's caps to `points` it would give now.
Result<std::pair<int64_t, bool>> Capped(Tx& tx, const EarningRule& r, int64_t customer_id, int64_t points,
                                        const std::string& local_date) {
    bool capped = false;
    if (auto it = r.config.find("cap_per_order"); it != r.config.end() && points > it->get<int64_t>()) {
        points = it->get<int64_t>();
        capped = true;
    }
    if (auto it = r.config.find("cap_per_customer"); it != r.config.end()) {
        std::string period = PeriodKey(it->value("period", "lifetime"), local_date);
        SIYU_ASSIGN_OR_RETURN(int64_t used, UsedPoints(tx, r.id, customer_id, period));
        int64_t left = std::max<int64_t>(0, (*it)["points"].get<int64_t>() - used);
        if (points > left) {
            points = left;
            capped = true;
        }
    }
    return std::make_pair(points, capped);
}

Result<std::vector<EarningRule>> LoadRules(Connection& c, int64_t tenant_id, bool active_only) {
    std::vector<EarningRule> out;
    SIYU_ASSIGN_OR_RETURN(auto stmt, c.Prepare("SELECT id, name, kind, config, active, priority, created_at, "
                                               "updated_at FROM earning_rules WHERE tenant_id = ? AND deleted_at IS "
                                               "NULL AND (?2 = 0 OR active = 1) ORDER BY priority DESC, id"));
    stmt.Bind(1, tenant_id).Bind(2, int64_t{active_only ? 1 : 0});
    SIYU_RETURN_IF_ERROR(stmt.ForEachRow([&] {
        EarningRule r;
        r.id = stmt.Int(0);
        r.name = stmt.Text(1);
        r.kind = stmt.Text(2);
        r.config = Json::parse(stmt.Text(3), nullptr, false);
        if (!r.config.is_object()) r.config = Json::object();
        r.active = stmt.Int(4) != 0;
        r.priority = stmt.Int(5);
        r.created_at = stmt.Int(6);
        r.updated_at = stmt.Int(7);
        out.push_back(std::move(r));
    }));
    return out;
}

Result<std::optional<EarningRule>> FindRule(Connection& c, int64_t tenant_id, int64_t id) {
    SIYU_ASSIGN_OR_RETURN(auto all, LoadRules(c, tenant_id, false));
    for (auto& r : all) {
        if (r.id == id) return std::optional<EarningRule>(std::move(r));
    }
    return std::optional<EarningRule>();
}

Status WriteRule(Connection& c, int64_t tenant_id, EarningRule& r, TimeMs now) {
    if (r.id == 0) {
        SIYU_ASSIGN_OR_RETURN(auto ins, c.Prepare("INSERT INTO earning_rules(tenant_id, name, kind, config, active, "
                                                  "priority, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?)"));
        SIYU_RETURN_IF_ERROR(ins.Bind(1, tenant_id)
                                 .Bind(2, r.name)
                                 .Bind(3, r.kind)
                                 .Bind(4, r.config.dump())
                                 .Bind(5, int64_t{r.active ? 1 : 0})
                                 .Bind(6, r.priority)
                                 .Bind(7, now)
                                 .Bind(8, now)
                                 .Run());
        r.id = c.LastInsertId();
        r.created_at = now;
    } else {
        SIYU_ASSIGN_OR_RETURN(auto upd, c.Prepare("UPDATE earning_rules SET name = ?, kind = ?, config = ?, active = "
                                                  "?, priority = ?, updated_at = ? WHERE id = ? AND tenant_id = ?"));
        SIYU_RETURN_IF_ERROR(upd.Bind(1, r.name)
                                 .Bind(2, r.kind)
                                 .Bind(3, r.config.dump())
                                 .Bind(4, int64_t{r.active ? 1 : 0})
                                 .Bind(5, r.priority)
                                 .Bind(6, now)
                                 .Bind(7, r.id)
                                 .Bind(8, tenant_id)
                                 .Run());
    }
    r.updated_at = now;
    return Status::Ok();
}

}  // namespace

Json RuleJson(const EarningRule& r) {
    return Json{{"id", r.id},
                {"name", r.name},
                {"kind", r.kind},
                {"config", r.config},
                {"active", r.active},
                {"priority", r.priority},
                {"created_at", FormatRfc3339(r.created_at)},
                {"updated_at", FormatRfc3339(r.updated_at)}};
}

Status CheckRule(const std::string& kind, const Json& config) {
    if (kind != "spend" && kind != "multiplier" && kind != "bonus") {
        return Status::InvalidArgument("kind", "must be one of spend, multiplier, bonus");
    }
    if (!config.is_object()) return Status::InvalidArgument("config", "must be an object");
    const std::string p = "config.";
    static const std::set<std::string> kCommon = {"stores",        "products",        "categories",   "tiers",
                                                  "starts_at",     "ends_at",         "days_of_week", "min_amount",
                                                  "cap_per_order", "cap_per_customer"};
    for (const auto& [key, value] : config.items()) {
        bool known = kCommon.count(key) > 0 || (kind == "spend" && (key == "points" || key == "per_yuan")) ||
                     (kind == "multiplier" && key == "multiplier_pct") ||
                     (kind == "bonus" && (key == "trigger" || key == "points" || key == "questionnaire_id"));
        if (!known)
            return Status(StatusCode::kUnknownField, "unknown field '" + p + key + "' for a " + kind + " rule",
                          p + key);
    }
    SIYU_RETURN_IF_ERROR(IdList(config, "stores", p, 1, INT64_MAX));
    SIYU_RETURN_IF_ERROR(IdList(config, "tiers", p, 1, INT64_MAX));
    SIYU_RETURN_IF_ERROR(IdList(config, "days_of_week", p, 1, 7));
    SIYU_RETURN_IF_ERROR(StringList(config, "products", p));
    SIYU_RETURN_IF_ERROR(StringList(config, "categories", p));
    for (const char* f : {"starts_at", "ends_at"}) {
        if (auto it = config.find(f); it != config.end()) {
            if (!it->is_string() || !ParseRfc3339(it->get<std::string>())) {
                return Status::InvalidArgument(p + f, "must be an RFC 3339 time");
            }
        }
    }
    if (config.contains("starts_at") && config.contains("ends_at") &&
        *ParseRfc3339(config["ends_at"].get<std::string>()) <= *ParseRfc3339(config["starts_at"].get<std::string>())) {
        return Status::InvalidArgument(p + "ends_at", "must be after starts_at");
    }
    SIYU_RETURN_IF_ERROR(PositiveInt(config, "min_amount", p, false, INT64_MAX / 4));
    SIYU_RETURN_IF_ERROR(PositiveInt(config, "cap_per_order", p, false));
    if (auto it = config.find("cap_per_customer"); it != config.end()) {
        if (!it->is_object()) return Status::InvalidArgument(p + "cap_per_customer", "must be an object");
        for (const auto& [key, value] : it->items()) {
            if (key != "points" && key != "period") {
                return Status(StatusCode::kUnknownField, "unknown field '" + p + "cap_per_customer." + key + "'",
                              p + "cap_per_customer." + key);
            }
        }
        SIYU_RETURN_IF_ERROR(PositiveInt(*it, "points", p + "cap_per_customer.", true));
        std::string period = it->value("period", std::string("lifetime"));
        if (!it->contains("period") || !(*it)["period"].is_string() ||
            (period != "day" && period != "month" && period != "year" && period != "lifetime")) {
            return Status::InvalidArgument(p + "cap_per_customer.period", "must be day, month, year or lifetime");
        }
    }
    if (kind == "spend") {
        SIYU_RETURN_IF_ERROR(PositiveInt(config, "points", p, true, 10'000));
        SIYU_RETURN_IF_ERROR(PositiveInt(config, "per_yuan", p, false, 100'000));
    } else if (kind == "multiplier") {
        SIYU_RETURN_IF_ERROR(PositiveInt(config, "multiplier_pct", p, true, 10'000));
    } else {
        auto it = config.find("trigger");
        static const std::set<std::string> kTriggers = {"registration", "first_order", "order", "birthday",
                                                        "questionnaire"};
        if (it == config.end() || !it->is_string() || !kTriggers.count(it->get<std::string>())) {
            return Status::InvalidArgument(p + "trigger",
                                           "must be one of registration, first_order, order, birthday, questionnaire");
        }
        SIYU_RETURN_IF_ERROR(PositiveInt(config, "points", p, true));
        if (it->get<std::string>() == "questionnaire") {
            SIYU_RETURN_IF_ERROR(PositiveInt(config, "questionnaire_id", p, true, INT64_MAX));
        } else if (config.contains("questionnaire_id")) {
            return Status::InvalidArgument(p + "questionnaire_id", "only for the questionnaire trigger");
        }
    }
    return Status::Ok();
}

Result<EarningRule> ParseRuleInput(const Json& body, const std::optional<EarningRule>& base) {
    EarningRule r = base.value_or(EarningRule{});
    for (const auto& [key, value] : body.items()) {
        if (key == "name") {
            if (!value.is_string() || value.get<std::string>().empty() || value.get<std::string>().size() > 100) {
                return Status::InvalidArgument("name", "must be a string of 1 to 100 bytes");
            }
            r.name = value.get<std::string>();
        } else if (key == "kind") {
            if (!value.is_string()) return Status::InvalidArgument("kind", "must be a string");
            r.kind = value.get<std::string>();
        } else if (key == "config") {
            if (!value.is_object()) return Status::InvalidArgument("config", "must be an object");
            r.config = value;
        } else if (key == "active") {
            if (!value.is_boolean()) return Status::InvalidArgument("active", "must be true or false");
            r.active = value.get<bool>();
        } else if (key == "priority") {
            if (!value.is_number_integer() || value.get<int64_t>() < -1000 || value.get<int64_t>() > 1000) {
                return Status::InvalidArgument("priority", "must be an integer from -1000 to 1000");
            }
            r.priority = value.get<int64_t>();
        } else {
            return Status(StatusCode::kUnknownField, "unknown field '" + key + "'", key);
        }
    }
    if (!base) {
        if (r.name.empty()) return Status::InvalidArgument("name", "is required");
        if (r.kind.empty()) return Status::InvalidArgument("kind", "is required");
        if (!body.contains("config")) return Status::InvalidArgument("config", "is required");
    }
    SIYU_RETURN_IF_ERROR(CheckRule(r.kind, r.config));
    return r;
}

Json EarnPlan::ToJson() const {
    auto parts_json = [](const std::vector<EarnPart>& v) {
        Json a = Json::array();
        for (const auto& p : v) {
            a.push_back(Json{{"rule_id", p.rule_id == 0 ? Json(nullptr) : Json(p.rule_id)},
                             {"rule", p.rule_name},
                             {"kind", p.kind},
                             {"points", p.points},
                             {"capped", p.capped}});
        }
        return a;
    };
    int64_t total = order_points;
    for (const auto& b : bonuses) total += b.points;
    return Json{{"points", total},
                {"order_points", order_points},
                {"parts", parts_json(parts)},
                {"bonuses", parts_json(bonuses)}};
}

Result<std::vector<EarningRule>> EarningRules::List(int64_t tenant_id) {
    std::vector<EarningRule> out;
    SIYU_RETURN_IF_ERROR(loyalty_->exec().db()->Read([&](Connection& c) -> Status {
        SIYU_ASSIGN_OR_RETURN(out, LoadRules(c, tenant_id, false));
        return Status::Ok();
    }));
    return out;
}

Result<EarningRule> EarningRules::Create(int64_t tenant_id, const Json& body, const auth::Actor& actor) {
    SIYU_ASSIGN_OR_RETURN(EarningRule r, ParseRuleInput(body, std::nullopt));
    SIYU_RETURN_IF_ERROR(loyalty_->exec().Write(tenant_id, [&](Tx& tx) -> Status {
        SIYU_ASSIGN_OR_RETURN(auto all, LoadRules(tx.c(), tenant_id, false));
        if (all.size() >= kMaxRules) {
            return Status::FailedPrecondition("a tenant has at most " + std::to_string(kMaxRules) + " earning rules");
        }
        SIYU_RETURN_IF_ERROR(WriteRule(tx.c(), tenant_id, r, tx.now()));
        return tx.Audit(actor, "loyalty.rule.create", "earning_rule", std::to_string(r.id), RuleJson(r));
    }));
    return r;
}

Result<EarningRule> EarningRules::Update(int64_t tenant_id, int64_t id, const Json& body, const auth::Actor& actor) {
    EarningRule r;
    SIYU_RETURN_IF_ERROR(loyalty_->exec().Write(tenant_id, [&](Tx& tx) -> Status {
        SIYU_ASSIGN_OR_RETURN(auto found, FindRule(tx.c(), tenant_id, id));
        if (!found) return Status::NotFound("earning rule " + std::to_string(id) + " not found");
        SIYU_ASSIGN_OR_RETURN(r, ParseRuleInput(body, found));
        SIYU_RETURN_IF_ERROR(WriteRule(tx.c(), tenant_id, r, tx.now()));
        return tx.Audit(actor, "loyalty.rule.update", "earning_rule", std::to_string(r.id), RuleJson(r));
    }));
    return r;
}

Status EarningRules::Delete(int64_t tenant_id, int64_t id, const auth::Actor& actor) {
    return loyalty_->exec().Write(tenant_id, [&](Tx& tx) -> Status {
        SIYU_ASSIGN_OR_RETURN(auto found, FindRule(tx.c(), tenant_id, id));
        if (!found) return Status::NotFound("earning rule " + std::to_string(id) + " not found");
        SIYU_ASSIGN_OR_RETURN(auto del, tx.c().Prepare("UPDATE earning_rules SET deleted_at = ? WHERE id = ?"));
        SIYU_RETURN_IF_ERROR(del.Bind(1, tx.now()).Bind(2, id).Run());
        return tx.Audit(actor, "loyalty.rule.delete", "earning_rule", std::to_string(id), RuleJson(*found));
    });
}

Result<EarnPlan> EarningRules::Plan(Tx& tx, const Member& m, const OrderFacts& o) {
    EarnPlan plan;
    SIYU_ASSIGN_OR_RETURN(auto rules, LoadRules(tx.c(), tx.tenant(), true));
    SIYU_ASSIGN_OR_RETURN(std::string zone, tx.TimeZone());
    std::string local_date = LocalDate(o.at, zone);
    plan.local_date = local_date;
    // What each line paid: the order amount shared out by line value.
    std::vector<OrderLine> lines = o.lines;
    if (lines.empty()) lines.push_back(OrderLine{"", "", o.amount, 1});
    std::vector<int64_t> paid(lines.size(), 0);
    __int128 gross = 0;
    for (const auto& l : lines) gross += static_cast<__int128>(l.price) * l.quantity;
    int64_t given = 0;
    for (size_t i = 0; i < lines.size(); ++i) {
        if (i + 1 == lines.size()) {
            paid[i] = o.amount - given;
        } else {
            paid[i] =
                gross > 0
                    ? static_cast<int64_t>(static_cast<__int128>(lines[i].price) * lines[i].quantity * o.amount / gross)
                    : 0;
            given += paid[i];
        }
    }
    // Tier multiplier.
    int64_t tier_pct = 100;
    std::string tier_name;
    if (m.tier_id) {
        SIYU_ASSIGN_OR_RETURN(auto tiers, LoadTiers(tx.c(), tx.tenant()));
        for (const auto& t : tiers) {
            if (t.id == *m.tier_id) {
                tier_pct = t.multiplier;
                tier_name = t.name;
            }
        }
    }
    std::map<int64_t, int64_t> spend_points, mult_points;  // rule → points before caps
    for (size_t i = 0; i < lines.size(); ++i) {
        const EarningRule* spend = nullptr;
        for (const auto& r : rules) {
            if (r.kind == "spend" && OrderMatches(r, m, o, local_date) &&
                (LineMatches(r, lines[i]) && (!HasLineScope(r) || !o.lines.empty()))) {
                spend = &r;
                break;
            }
        }
        if (!spend || paid[i] <= 0) continue;
        int64_t per_yuan = spend->config.value("per_yuan", int64_t{1});
        int64_t base = static_cast<int64_t>(static_cast<__int128>(paid[i]) * spend->config["points"].get<int64_t>() /
                                            (int64_t{100} * per_yuan));
        spend_points[spend->id] += base;
        const EarningRule* best = nullptr;
        for (const auto& r : rules) {
            if (r.kind != "multiplier" || !OrderMatches(r, m, o, local_date) || !LineMatches(r, lines[i])) continue;
            if (HasLineScope(r) && o.lines.empty()) continue;
            if (!best || r.config["multiplier_pct"].get<int64_t>() > best->config["multiplier_pct"].get<int64_t>()) {
                best = &r;
            }
        }
        if (best) {
            int64_t after_mult =
                static_cast<int64_t>(static_cast<__int128>(base) * best->config["multiplier_pct"].get<int64_t>() / 100);
            mult_points[best->id] += after_mult - base;
        }
    }
    auto name_of = [&](int64_t id) -> const EarningRule& {
        for (const auto& r : rules) {
            if (r.id == id) return r;
        }
        return rules.front();
    };
    for (auto& [id, pts] : spend_points) {
        SIYU_ASSIGN_OR_RETURN(auto capped, Capped(tx, name_of(id), m.customer_id, pts, local_date));
        plan.parts.push_back(EarnPart{id, name_of(id).name, "spend", capped.first, capped.second});
        plan.order_points += capped.first;
    }
    for (auto& [id, pts] : mult_points) {
        SIYU_ASSIGN_OR_RETURN(auto capped, Capped(tx, name_of(id), m.customer_id, pts, local_date));
        plan.parts.push_back(EarnPart{id, name_of(id).name, "multiplier", capped.first, capped.second});
        plan.order_points += capped.first;
    }
    // The tier multiplier applies to what the rules gave, after their caps.
    int64_t tier_extra =
        static_cast<int64_t>(static_cast<__int128>(plan.order_points) * tier_pct / 100) - plan.order_points;
    if (tier_extra != 0) {
        plan.parts.push_back(EarnPart{0, tier_name, "tier", tier_extra, false});
        plan.order_points += tier_extra;
    }
    if (plan.order_points < 0) plan.order_points = 0;
    // Order bonuses: first order, any order above a minimum.
    SIYU_ASSIGN_OR_RETURN(auto prior, tx.c().Prepare("SELECT 1 FROM loyalty_orders WHERE customer_id = ? AND "
                                                     "tenant_id = ? AND order_id <> ? LIMIT 1"));
    prior.Bind(1, m.customer_id).Bind(2, tx.tenant()).Bind(3, o.order_id);
    SIYU_ASSIGN_OR_RETURN(bool had_order, prior.Step());
    prior.Reset();
    for (const auto& r : rules) {
        if (r.kind != "bonus") continue;
        std::string trigger = r.config["trigger"].get<std::string>();
        if (trigger != "order" && !(trigger == "first_order" && !had_order)) continue;
        if (!OrderMatches(r, m, o, local_date)) continue;
        if (HasLineScope(r)) {
            bool any = false;
            for (const auto& l : o.lines) any |= LineMatches(r, l);
            if (!any) continue;
        }
        SIYU_ASSIGN_OR_RETURN(auto capped, Capped(tx, r, m.customer_id, r.config["points"].get<int64_t>(), local_date));
        if (capped.first > 0) plan.bonuses.push_back(EarnPart{r.id, r.name, "bonus", capped.first, capped.second});
    }
    return plan;
}

Status EarningRules::Record(Tx& tx, const Member& m, const EarnPlan& plan) {
    SIYU_ASSIGN_OR_RETURN(auto rules, LoadRules(tx.c(), tx.tenant(), false));
    SIYU_ASSIGN_OR_RETURN(std::string zone, tx.TimeZone());
    // Caps count in the period the plan was checked against (the order's day).
    std::string local_date = plan.local_date.empty() ? LocalDate(tx.now(), zone) : plan.local_date;
    SIYU_ASSIGN_OR_RETURN(auto up, tx.c().Prepare("INSERT INTO earning_rule_usage(tenant_id, rule_id, customer_id, "
                                                  "period, points, times) VALUES (?,?,?,?,?,1) ON CONFLICT(rule_id, "
                                                  "customer_id, period) DO UPDATE SET points = points + "
                                                  "excluded.points, times = times + 1"));
    auto record = [&](const EarnPart& p) -> Status {
        if (p.rule_id == 0 || p.points <= 0) return Status::Ok();
        std::string period;
        for (const auto& r : rules) {
            if (r.id == p.rule_id && r.config.contains("cap_per_customer")) {
                period = PeriodKey(r.config["cap_per_customer"].value("period", "lifetime"), local_date);
            }
        }
        return up.Bind(1, tx.tenant())
            .Bind(2, p.rule_id)
            .Bind(3, m.customer_id)
            .Bind(4, period)
            .Bind(5, p.points)
            .Run();
    };
    for (const auto& p : plan.parts) SIYU_RETURN_IF_ERROR(record(p));
    for (const auto& p : plan.bonuses) SIYU_RETURN_IF_ERROR(record(p));
    return Status::Ok();
}

Result<Json> EarningRules::ApplyBonus(Tx& tx, Member& m, const std::string& trigger, const std::string& ref) {
    Json granted = Json::array();
    SIYU_ASSIGN_OR_RETURN(auto rules, LoadRules(tx.c(), tx.tenant(), true));
    SIYU_ASSIGN_OR_RETURN(std::string zone, tx.TimeZone());
    std::string local_date = LocalDate(tx.now(), zone);
    OrderFacts none;
    none.at = tx.now();
    none.store_id = m.store_id;
    for (const auto& r : rules) {
        if (r.kind != "bonus" || r.config["trigger"].get<std::string>() != trigger) continue;
        if (trigger == "questionnaire" && std::to_string(r.config["questionnaire_id"].get<int64_t>()) != ref) continue;
        // Once per occasion: a birthday once a year, a questionnaire or registration once ever.
        std::string occasion = trigger == "birthday" ? "birthday:" + local_date.substr(0, 4) : trigger + ":" + ref;
        SIYU_ASSIGN_OR_RETURN(int64_t used, UsedPoints(tx, r.id, m.customer_id, occasion));
        SIYU_ASSIGN_OR_RETURN(auto times, tx.c().Prepare("SELECT times FROM earning_rule_usage WHERE rule_id = ? AND "
                                                         "customer_id = ? AND period = ?"));
        times.Bind(1, r.id).Bind(2, m.customer_id).Bind(3, occasion);
        SIYU_ASSIGN_OR_RETURN(bool seen, times.Step());
        times.Reset();
        (void)used;
        if (seen) continue;
        if (!OrderMatches(r, m, none, local_date)) continue;
        SIYU_ASSIGN_OR_RETURN(auto capped, Capped(tx, r, m.customer_id, r.config["points"].get<int64_t>(), local_date));
        // Mark the occasion even when a cap leaves nothing, so it is not retried.
        SIYU_ASSIGN_OR_RETURN(auto mark, tx.c().Prepare("INSERT INTO earning_rule_usage(tenant_id, rule_id, "
                                                        "customer_id, period, points, times) VALUES (?,?,?,?,?,1)"));
        SIYU_RETURN_IF_ERROR(mark.Bind(1, tx.tenant())
                                 .Bind(2, r.id)
                                 .Bind(3, m.customer_id)
                                 .Bind(4, occasion)
                                 .Bind(5, capped.first)
                                 .Run());
        if (capped.first <= 0) continue;
        EarnPlan plan;
        plan.bonuses.push_back(EarnPart{r.id, r.name, "bonus", capped.first, capped.second});
        if (r.config.contains("cap_per_customer")) {
            // Count towards the cap's own period too.
            SIYU_RETURN_IF_ERROR(Record(tx, m, plan));
        }
        EntryMeta meta;
        meta.reason = r.name;
        meta.source_type = "rule";
        meta.source_id = std::to_string(r.id);
        meta.event_properties = Json{{"trigger", trigger}, {"rule_id", r.id}};
        SIYU_ASSIGN_OR_RETURN(auto posted, Credit(tx, m, EntryType::kEarn, capped.first, meta, true));
        granted.push_back(
            Json{{"rule_id", r.id}, {"rule", r.name}, {"points", capped.first}, {"entry_id", posted.entry_id}});
    }
    return granted;
}

Status EarningRules::Sweep(int64_t tenant_id) {
    // Which bonus triggers does the tenant use at all?
    bool birthday = false;
    std::vector<int64_t> questionnaires;
    SIYU_ASSIGN_OR_RETURN(auto rules, List(tenant_id));
    for (const auto& r : rules) {
        if (!r.active || r.kind != "bonus") continue;
        std::string t = r.config.value("trigger", "");
        if (t == "birthday") birthday = true;
        if (t == "questionnaire") questionnaires.push_back(r.config["questionnaire_id"].get<int64_t>());
    }
    if (!birthday && questionnaires.empty()) return Status::Ok();
    std::string day;
    bool more_birthdays = false;
    Status st = loyalty_->exec().Write(tenant_id, [&](Tx& tx) -> Status {
        SIYU_ASSIGN_OR_RETURN(std::string zone, tx.TimeZone());
        std::string today = LocalDate(tx.now(), zone);
        day = today;
        if (birthday) {
            std::lock_guard lock(mu_);
            if (birthdays_done_[tenant_id] == today) birthday = false;
        }
        std::vector<std::pair<int64_t, std::string>> due;  // member, trigger ref
        if (birthday) {
            SIYU_ASSIGN_OR_RETURN(
                auto stmt,
                tx.c().Prepare("SELECT m.customer_id FROM members m JOIN customers c ON "
                               "c.id = m.customer_id WHERE m.tenant_id = ? AND "
                               "substr(c.birthday, 6, 5) = ? AND c.deleted_at IS NULL AND NOT EXISTS (SELECT 1 "
                               "FROM earning_rule_usage u WHERE u.customer_id = "
                               "m.customer_id AND u.period = ?) LIMIT 5000"));
            stmt.Bind(1, tenant_id).Bind(2, today.substr(5, 5)).Bind(3, "birthday:" + today.substr(0, 4));
            SIYU_RETURN_IF_ERROR(stmt.ForEachRow([&] { due.emplace_back(stmt.Int(0), "birthday"); }));
            if (due.size() == 5000) more_birthdays = true;  // the next pass continues
        }
        for (int64_t q : questionnaires) {
            SIYU_ASSIGN_OR_RETURN(auto stmt,
                                  tx.c().Prepare("SELECT DISTINCT m.customer_id FROM questionnaire_answers a "
                                                 "JOIN customers c ON c.id = a.customer_id JOIN members m ON "
                                                 "m.customer_id = COALESCE(c.merged_into, c.id) WHERE "
                                                 "a.tenant_id = ? AND a.questionnaire_id = ? AND NOT EXISTS "
                                                 "(SELECT 1 FROM earning_rule_usage u JOIN earning_rules r ON "
                                                 "r.id = u.rule_id WHERE u.customer_id = m.customer_id AND "
                                                 "u.period = ? AND r.tenant_id = ?) LIMIT 5000"));
            stmt.Bind(1, tenant_id).Bind(2, q).Bind(3, "questionnaire:" + std::to_string(q)).Bind(4, tenant_id);
            SIYU_RETURN_IF_ERROR(stmt.ForEachRow([&] { due.emplace_back(stmt.Int(0), "q:" + std::to_string(q)); }));
        }
        for (const auto& [customer, what] : due) {
            SIYU_ASSIGN_OR_RETURN(Member m, tx.LoadMemberExact(customer));
            if (what == "birthday") {
                SIYU_RETURN_IF_ERROR(ApplyBonus(tx, m, "birthday", "").status());
            } else {
                SIYU_RETURN_IF_ERROR(ApplyBonus(tx, m, "questionnaire", what.substr(2)).status());
            }
            SIYU_RETURN_IF_ERROR(loyalty_->tiers().Evaluate(tx, m, false));
            SIYU_RETURN_IF_ERROR(tx.SaveMember(m));
        }
        return Status::Ok();
    });
    if (st.ok() && birthday && !more_birthdays) {
        std::lock_guard lock(mu_);
        birthdays_done_[tenant_id] = day;
    }
    return st;
}

}  // namespace siyu::loyalty
