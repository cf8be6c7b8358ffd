#include "loyalty/coupons.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "base/strings.h"
#include "cdp/job_queue.h"
#include "loyalty/coupon_codes.h"
#include "loyalty/loyalty.h"

namespace siyu::loyalty {

// A segment issue job waiting for the job thread.
struct CouponIssuePending {
    int64_t id = 0;
    int64_t tenant_id = 0;
    int64_t template_id = 0;
    std::vector<int64_t> customer_ids;
    bool replayed = false;  // a retried request: the job was queued by the first one
};

class CouponJobQueue : public cdp::JobQueue<CouponIssuePending> {
  public:
    using cdp::JobQueue<CouponIssuePending>::JobQueue;
};

namespace {

using store::Connection;

constexpr int64_t kDayMs = 86'400'000;
constexpr int64_t kMaxMoney = 1'000'000'000'00;  // ¥10 亿 in minor units
constexpr size_t kSweepBatch = 500;

Status Conflict(std::string field, std::string message) {
    return Status(StatusCode::kFailedPrecondition, std::move(message), std::move(field));
}

std::string Yuan(int64_t minor) {
    std::string s = std::to_string(minor / 100);
    int64_t cents = minor % 100;
    if (cents != 0) {
        s += "." + std::to_string(cents / 10);
        if (cents % 10 != 0) s += std::to_string(cents % 10);
    }
    return s;
}

// --- Reading template input ----------------------------------------------------------------

Status ReadInt(const Json& o, const char* field, int64_t min, int64_t max, std::optional<int64_t>* out) {
    auto it = o.find(field);
    if (it == o.end() || it->is_null()) return Status::Ok();
    if (!it->is_number_integer()) return Status::InvalidArgument(field, "must be a whole number");
    int64_t v = it->get<int64_t>();
    if (v < min || v > max) {
        return Status::InvalidArgument(field, "must be from " + std::to_string(min) + " to " + std::to_string(max));
    }
    *out = v;
    return Status::Ok();
}

Status ReadBool(const Json& o, const char* field, bool* out) {
    auto it = o.find(field);
    if (it == o.end()) return Status::Ok();
    if (!it->is_boolean()) return Status::InvalidArgument(field, "must be true or false");
    *out = it->get<bool>();
    return Status::Ok();
}

Status ReadText(const Json& o, const char* field, int64_t max_chars, bool required, std::string* out) {
    auto it = o.find(field);
    if (it == o.end() || it->is_null()) {
        if (required) return Status::InvalidArgument(field, "is required");
        return Status::Ok();
    }
    if (!it->is_string()) return Status::InvalidArgument(field, "must be a string");
    std::string v(Trim(it->get<std::string>()));
    if (required && v.empty()) return Status::InvalidArgument(field, "must not be empty");
    if (Utf8Length(v) > max_chars) {
        return Status::InvalidArgument(field, "at most " + std::to_string(max_chars) + " characters");
    }
    *out = std::move(v);
    return Status::Ok();
}

Status ReadStrings(const Json& o, const char* field, size_t max, std::vector<std::string>* out) {
    auto it = o.find(field);
    if (it == o.end() || it->is_null()) return Status::Ok();
    if (!it->is_array()) return Status::InvalidArgument(field, "must be an array of strings");
    if (it->size() > max) return Status::InvalidArgument(field, "at most " + std::to_string(max) + " entries");
    out->clear();
    for (size_t i = 0; i < it->size(); ++i) {
        const Json& v = (*it)[i];
        std::string name = std::string(field) + "[" + std::to_string(i) + "]";
        if (!v.is_string() || Trim(v.get<std::string>()).empty() || v.get<std::string>().size() > 100) {
            return Status::InvalidArgument(name, "must be a non-empty string of at most 100 characters");
        }
        out->push_back(std::string(Trim(v.get<std::string>())));
    }
    return Status::Ok();
}

Status ReadIds(const Json& o, const char* field, size_t max, std::vector<int64_t>* out) {
    auto it = o.find(field);
    if (it == o.end() || it->is_null()) return Status::Ok();
    if (!it->is_array()) return Status::InvalidArgument(field, "must be an array of ids");
    if (it->size() > max) return Status::InvalidArgument(field, "at most " + std::to_string(max) + " entries");
    out->clear();
    for (size_t i = 0; i < it->size(); ++i) {
        const Json& v = (*it)[i];
        if (!v.is_number_integer() || v.get<int64_t>() <= 0) {
            return Status::InvalidArgument(std::string(field) + "[" + std::to_string(i) + "]",
                                           "must be a positive integer id");
        }
        out->push_back(v.get<int64_t>());
    }
    return Status::Ok();
}

Status ReadValidity(const Json& body, CouponTemplate* t) {
    auto it = body.find("validity");
    if (it == body.end() || it->is_null()) return Status::InvalidArgument("validity", "is required");
    if (!it->is_object()) {
        return Status::InvalidArgument(
            "validity", "must be {\"type\":\"fixed\",\"from\",\"to\"} or {\"type\":\"relative\",\"days\"}");
    }
    for (const auto& [key, value] : it->items()) {
        if (key != "type" && key != "from" && key != "to" && key != "days") {
            return Status(StatusCode::kUnknownField, "unknown field 'validity." + key + "'", "validity." + key);
        }
    }
    auto type = it->find("type");
    if (type == it->end() || !type->is_string() || (*type != "fixed" && *type != "relative")) {
        return Status::InvalidArgument("validity.type", "must be fixed or relative");
    }
    t->validity_type = type->get<std::string>();
    if (t->validity_type == "relative") {
        std::optional<int64_t> days;
        SIYU_RETURN_IF_ERROR(ReadInt(*it, "days", 1, 3650, &days));
        if (!days) return Status::InvalidArgument("validity.days", "is required for relative validity (1–3650)");
        t->validity_days = *days;
        return Status::Ok();
    }
    auto read_time = [&](const char* key, std::optional<TimeMs>* out) -> Status {
        std::string field = std::string("validity.") + key;
        auto v = it->find(key);
        if (v == it->end() || !v->is_string()) return Status::InvalidArgument(field, "must be an RFC 3339 time");
        auto ms = ParseRfc3339(v->get<std::string>());
        if (!ms) return Status::InvalidArgument(field, "must be an RFC 3339 time");
        *out = *ms;
        return Status::Ok();
    };
    SIYU_RETURN_IF_ERROR(read_time("from", &t->valid_from));
    SIYU_RETURN_IF_ERROR(read_time("to", &t->valid_to));
    if (*t->valid_to <= *t->valid_from) return Status::InvalidArgument("validity.to", "must be after validity.from");
    return Status::Ok();
}

// --- Storage -------------------------------------------------------------------------------

Json ConfigJson(const CouponTemplate& t) {
    Json c = {{"note", t.note},
              {"amount", t.amount},
              {"min_order_amount", t.min_order_amount},
              {"percent_off", t.percent_off},
              {"gift", t.gift},
              {"validity_type", t.validity_type},
              {"validity_days", t.validity_days},
              {"store_ids", t.store_ids},
              {"product_ids", t.product_ids},
              {"categories", t.categories},
              {"stacks_with_coupons", t.stacks_with_coupons},
              {"stacks_with_points", t.stacks_with_points},
              {"reversible", t.reversible}};
    c["max_discount"] = t.max_discount ? Json(*t.max_discount) : Json(nullptr);
    c["exchange_product_id"] = t.exchange_product_id ? Json(*t.exchange_product_id) : Json(nullptr);
    c["valid_from"] = t.valid_from ? Json(*t.valid_from) : Json(nullptr);
    c["valid_to"] = t.valid_to ? Json(*t.valid_to) : Json(nullptr);
    c["per_customer_limit"] = t.per_customer_limit ? Json(*t.per_customer_limit) : Json(nullptr);
    c["min_tier_level"] = t.min_tier_level ? Json(*t.min_tier_level) : Json(nullptr);
    return c;
}

template <typename T>
std::optional<T> OptOf(const Json& c, const char* key) {
    auto it = c.find(key);
    if (it == c.end() || it->is_null()) return std::nullopt;
    return it->get<T>();
}

constexpr const char* kTemplateColumns =
    "SELECT id, tenant_id, name, type, config, total_stock, issued, status, created_at, updated_at "
    "FROM coupon_templates ";

CouponTemplate ReadTemplate(const store::Statement& s) {
    CouponTemplate t;
    t.id = s.Int(0);
    t.tenant_id = s.Int(1);
    t.name = s.Text(2);
    t.type = s.Text(3);
    Json c = Json::parse(s.Text(4), nullptr, false);
    if (!c.is_object()) c = Json::object();
    t.note = c.value("note", "");
    t.amount = c.value("amount", int64_t{0});
    t.min_order_amount = c.value("min_order_amount", int64_t{0});
    t.percent_off = c.value("percent_off", int64_t{0});
    t.max_discount = OptOf<int64_t>(c, "max_discount");
    t.gift = c.value("gift", "");
    t.exchange_product_id = OptOf<std::string>(c, "exchange_product_id");
    t.validity_type = c.value("validity_type", "relative");
    t.valid_from = OptOf<int64_t>(c, "valid_from");
    t.valid_to = OptOf<int64_t>(c, "valid_to");
    t.validity_days = c.value("validity_days", int64_t{0});
    t.per_customer_limit = OptOf<int64_t>(c, "per_customer_limit");
    t.store_ids = c.value("store_ids", std::vector<int64_t>{});
    t.product_ids = c.value("product_ids", std::vector<std::string>{});
    t.categories = c.value("categories", std::vector<std::string>{});
    t.min_tier_level = OptOf<int64_t>(c, "min_tier_level");
    t.stacks_with_coupons = c.value("stacks_with_coupons", false);
    t.stacks_with_points = c.value("stacks_with_points", true);
    t.reversible = c.value("reversible", true);
    t.total_stock = s.OptInt(5);
    t.issued = s.Int(6);
    t.status = s.Text(7);
    t.created_at = s.Int(8);
    t.updated_at = s.Int(9);
    return t;
}

Result<CouponTemplate> LoadTemplate(Connection& c, int64_t tenant_id, int64_t id) {
    SIYU_ASSIGN_OR_RETURN(auto stmt, c.Prepare(std::string(kTemplateColumns) + "WHERE tenant_id = ? AND id = ?"));
    stmt.Bind(1, tenant_id).Bind(2, id);
    SIYU_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) return Status::NotFound("coupon template " + std::to_string(id) + " not found");
    return ReadTemplate(stmt);
}

Json TimeOrNull(std::optional<TimeMs> t) { return t ? Json(FormatRfc3339(*t)) : Json(nullptr); }
Json IntOrNull(std::optional<int64_t> v) { return v ? Json(*v) : Json(nullptr); }

Json TemplateJson(const CouponTemplate& t) {
    Json validity = {{"type", t.validity_type}};
    if (t.validity_type == "fixed") {
        validity["from"] = TimeOrNull(t.valid_from);
        validity["to"] = TimeOrNull(t.valid_to);
    } else {
        validity["days"] = t.validity_days;
    }
    Json j = {{"id", t.id},
              {"name", t.name},
              {"type", t.type},
              {"note", t.note},
              {"description", DiscountDescription(t)},
              {"amount", t.amount},
              {"min_order_amount", t.min_order_amount},
              {"percent_off", t.percent_off},
              {"max_discount", IntOrNull(t.max_discount)},
              {"gift", t.gift},
              {"exchange_product_id", t.exchange_product_id ? Json(*t.exchange_product_id) : Json(nullptr)},
              {"validity", validity},
              {"per_customer_limit", IntOrNull(t.per_customer_limit)},
              {"total_stock", IntOrNull(t.total_stock)},
              {"issued", t.issued},
              {"remaining_stock", t.total_stock ? Json(*t.total_stock - t.issued) : Json(nullptr)},
              {"store_ids", t.store_ids},
              {"product_ids", t.product_ids},
              {"categories", t.categories},
              {"min_tier_level", IntOrNull(t.min_tier_level)},
              {"stacks_with_coupons", t.stacks_with_coupons},
              {"stacks_with_points", t.stacks_with_points},
              {"reversible", t.reversible},
              {"status", t.status},
              {"created_at", FormatRfc3339(t.created_at)},
              {"updated_at", FormatRfc3339(t.updated_at)}};
    return j;
}

struct CouponRow {
    int64_t id = 0;
    int64_t template_id = 0;
    int64_t customer_id = 0;
    std::string code;
    std::string status;
    std::string source;
    std::string source_id;
    TimeMs valid_from = 0;
    TimeMs valid_to = 0;
    TimeMs issued_at = 0;
    std::optional<TimeMs> redeemed_at;
    std::optional<std::string> order_id;
    std::optional<int64_t> order_amount;
    std::optional<int64_t> discount;
    std::optional<int64_t> store_id;
    std::optional<std::string> redeemed_by;
    std::optional<TimeMs> notified_at;
    int64_t reversals = 0;
};

constexpr const char* kCouponColumns =
    "SELECT id, template_id, customer_id, code, status, source, source_id, valid_from, valid_to, issued_at, "
    "redeemed_at, order_id, order_amount, discount, store_id, redeemed_by, notified_at, reversals FROM coupons ";

CouponRow ReadCoupon(const store::Statement& s) {
    CouponRow r;
    r.id = s.Int(0);
    r.template_id = s.Int(1);
    r.customer_id = s.Int(2);
    r.code = s.Text(3);
    r.status = s.Text(4);
    r.source = s.Text(5);
    r.source_id = s.Text(6);
    r.valid_from = s.Int(7);
    r.valid_to = s.Int(8);
    r.issued_at = s.Int(9);
    r.redeemed_at = s.OptInt(10);
    r.order_id = s.OptText(11);
    r.order_amount = s.OptInt(12);
    r.discount = s.OptInt(13);
    r.store_id = s.OptInt(14);
    r.redeemed_by = s.OptText(15);
    r.notified_at = s.OptInt(16);
    r.reversals = s.Int(17);
    return r;
}

Result<std::optional<CouponRow>> FindCoupon(Connection& c, int64_t tenant_id, const std::string& code) {
    SIYU_ASSIGN_OR_RETURN(auto stmt, c.Prepare(std::string(kCouponColumns) + "WHERE tenant_id = ? AND code = ?"));
    stmt.Bind(1, tenant_id).Bind(2, code);
    SIYU_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) return std::optional<CouponRow>();
    return std::optional<CouponRow>(ReadCoupon(stmt));
}

// The normalised code, or invalid_argument naming `field`.
Result<std::string> CheckedCode(const std::string& input, const std::string& field) {
    std::string code = NormalizeCouponCode(input);
    if (code.size() != kCouponCodeLength) {
        return Status::InvalidArgument(field, "a coupon code has " + std::to_string(kCouponCodeLength) +
                                                  " characters (hyphens and spaces ignored)");
    }
    if (!IsValidCouponCode(code)) {
        return Status::InvalidArgument(field, "not a valid coupon code: the check character does not match (a typo?)");
    }
    return code;
}

Result<CouponRow> LoadCoupon(Connection& c, int64_t tenant_id, const std::string& input) {
    SIYU_ASSIGN_OR_RETURN(std::string code, CheckedCode(input, "code"));
    SIYU_ASSIGN_OR_RETURN(auto found, FindCoupon(c, tenant_id, code));
    if (!found) return Status::NotFound("coupon " + FormatCouponCode(code) + " not found");
    return std::move(*found);
}

Json CouponJson(const CouponRow& r, const CouponTemplate& t, TimeMs now) {
    Json redemption = nullptr;
    if (r.status == "redeemed") {
        redemption = {{"order_id", r.order_id ? Json(*r.order_id) : Json(nullptr)},
                      {"order_amount", IntOrNull(r.order_amount)},
                      {"discount", IntOrNull(r.discount)},
                      {"store_id", IntOrNull(r.store_id)},
                      {"redeemed_by", r.redeemed_by ? Json(*r.redeemed_by) : Json(nullptr)},
                      {"redeemed_at", TimeOrNull(r.redeemed_at)}};
    }
    std::string status = r.status;
    if (status == "issued" && r.valid_to <= now) status = "expired";
    return {{"id", r.id},
            {"code", r.code},
            {"code_display", FormatCouponCode(r.code)},
            {"template_id", r.template_id},
            {"template_name", t.name},
            {"type", t.type},
            {"description", DiscountDescription(t)},
            {"customer_id", r.customer_id},
            {"status", status},
            {"usable", status == "issued" && r.valid_from <= now},
            {"source", r.source},
            {"source_id", r.source_id},
            {"valid_from", FormatRfc3339(r.valid_from)},
            {"valid_to", FormatRfc3339(r.valid_to)},
            {"issued_at", FormatRfc3339(r.issued_at)},
            {"redemption", redemption},
            {"reversals", r.reversals}};
}

// The end (exclusive) of the local day `days` - 1 days after `at`'s day: "valid for N days
// including the day of issue".
Result<TimeMs> RelativeEnd(Tx& tx, TimeMs at, int64_t days) {
    SIYU_ASSIGN_OR_RETURN(std::string zone, tx.TimeZone());
    SIYU_ASSIGN_OR_RETURN(TimeMs start, StartOfLocalDay(LocalDate(at, zone), zone));
    // Noon of the day after the last one, then that day's start: safe across DST changes.
    std::string end_day = LocalDate(start + days * kDayMs + kDayMs / 2, zone);
    return StartOfLocalDay(end_day, zone);
}

// True when `store_id` is one of `roots` or below one of them in the store tree.
Result<bool> StoreWithin(Connection& c, int64_t tenant_id, const std::vector<int64_t>& roots, int64_t store_id) {
    SIYU_ASSIGN_OR_RETURN(auto stmt,
                          c.Prepare("WITH RECURSIVE sub(id) AS (SELECT id FROM stores WHERE tenant_id = ? AND id IN "
                                    "(SELECT value FROM json_each(?)) UNION SELECT s.id FROM stores s JOIN sub ON "
                                    "s.parent_id = sub.id) SELECT 1 FROM sub WHERE id = ?"));
    stmt.Bind(1, tenant_id).Bind(2, Json(roots).dump()).Bind(3, store_id);
    SIYU_ASSIGN_OR_RETURN(bool row, stmt.Step());
    stmt.Reset();
    return row;
}

Result<bool> StoreExists(Connection& c, int64_t tenant_id, int64_t store_id) {
    SIYU_ASSIGN_OR_RETURN(auto stmt, c.Prepare("SELECT 1 FROM stores WHERE tenant_id = ? AND id = ?"));
    stmt.Bind(1, tenant_id).Bind(2, store_id);
    SIYU_ASSIGN_OR_RETURN(bool row, stmt.Step());
    stmt.Reset();
    return row;
}

// The tier level of a customer's membership; nullopt when not a member or without a tier.
Result<std::optional<int64_t>> TierLevel(Connection& c, int64_t tenant_id, int64_t customer_id) {
    SIYU_ASSIGN_OR_RETURN(auto stmt, c.Prepare("SELECT t.level FROM members m JOIN tiers t ON t.id = m.tier_id AND "
                                               "t.deleted_at IS NULL WHERE m.customer_id = ? AND m.tenant_id = ?"));
    stmt.Bind(1, customer_id).Bind(2, tenant_id);
    SIYU_ASSIGN_OR_RETURN(bool row, stmt.Step());
    std::optional<int64_t> level;
    if (row) level = stmt.Int(0);
    stmt.Reset();
    return level;
}

Json JobJson(const store::Statement& s) {
    int64_t total = s.Int(4), issued = s.Int(5), skipped = s.Int(6);
    std::string status = s.Text(3);
    int percent = status == "done"
                      ? 100
                      : (total > 0 ? static_cast<int>(std::min<int64_t>(99, (issued + skipped) * 100 / total)) : 0);
    Json target = Json::parse(s.Text(2), nullptr, false);
    return {{"id", s.Int(0)},
            {"template_id", s.Int(1)},
            {"segment_id", target.is_object() && target.contains("segment_id") ? target["segment_id"] : Json(nullptr)},
            {"status", status},
            {"progress", {{"total", total}, {"issued", issued}, {"skipped", skipped}, {"percent", percent}}},
            {"error", s.OptText(7) ? Json(*s.OptText(7)) : Json(nullptr)},
            {"created_by", s.Text(8)},
            {"created_at", FormatRfc3339(s.Int(9))},
            {"started_at", TimeOrNull(s.OptInt(10))},
            {"finished_at", TimeOrNull(s.OptInt(11))}};
}

constexpr const char* kJobColumns =
    "SELECT id, template_id, target, status, total, issued, skipped, error, created_by, created_at, started_at, "
    "finished_at FROM coupon_issue_jobs ";

Result<Json> LoadJob(Connection& c, int64_t tenant_id, int64_t id) {
    SIYU_ASSIGN_OR_RETURN(auto stmt, c.Prepare(std::string(kJobColumns) + "WHERE tenant_id = ? AND id = ?"));
    stmt.Bind(1, tenant_id).Bind(2, id);
    SIYU_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) return Status::NotFound("coupon issue job " + std::to_string(id) + " not found");
    return JobJson(stmt);
}

}  // namespace

// --- Rules -----------------------------------------------------------------------------------

std::string DiscountDescription(const CouponTemplate& t) {
    std::string d;
    if (t.type == "cash_off") {
        d = "立减" + Yuan(t.amount) + "元";
        if (t.min_order_amount > 0) d = "满" + Yuan(t.min_order_amount) + "减" + Yuan(t.amount);
    } else if (t.type == "threshold") {
        d = "满" + Yuan(t.min_order_amount) + "减" + Yuan(t.amount);
    } else if (t.type == "percent") {
        int64_t pay = 100 - t.percent_off;  // 15% off → 8.5折
        d = std::to_string(pay / 10);
        if (pay % 10 != 0) d += "." + std::to_string(pay % 10);
        d += "折";
        if (t.min_order_amount > 0) d = "满" + Yuan(t.min_order_amount) + "享" + d;
        if (t.max_discount) d += "，最高减" + Yuan(*t.max_discount) + "元";
    } else if (t.type == "exchange") {
        d = "兑换：" + t.gift;
    } else if (t.type == "free_shipping") {
        d = "免运费";
        if (t.min_order_amount > 0) d = "满" + Yuan(t.min_order_amount) + "免运费";
    }
    if (!t.product_ids.empty() || !t.categories.empty()) d += "（指定商品）";
    return d;
}

Result<CouponTemplate> ParseTemplateInput(const Json& body) {
    if (!body.is_object()) return Status(StatusCode::kInvalidJson, "the body must be a JSON object");
    static const std::set<std::string> kKnown = {"name",
                                                 "type",
                                                 "note",
                                                 "amount",
                                                 "min_order_amount",
                                                 "percent_off",
                                                 "max_discount",
                                                 "gift",
                                                 "exchange_product_id",
                                                 "validity",
                                                 "per_customer_limit",
                                                 "total_stock",
                                                 "store_ids",
                                                 "product_ids",
                                                 "categories",
                                                 "min_tier_level",
                                                 "stacks_with_coupons",
                                                 "stacks_with_points",
                                                 "reversible",
                                                 "status"};
    for (const auto& [key, value] : body.items()) {
        if (!kKnown.count(key)) return Status(StatusCode::kUnknownField, "unknown field '" + key + "'", key);
    }
    CouponTemplate t;
    SIYU_RETURN_IF_ERROR(ReadText(body, "name", 50, true, &t.name));
    SIYU_RETURN_IF_ERROR(ReadText(body, "type", 20, true, &t.type));
    static const std::set<std::string> kTypes = {"cash_off", "threshold", "percent", "exchange", "free_shipping"};
    if (!kTypes.count(t.type)) {
        return Status::InvalidArgument("type", "must be cash_off, threshold, percent, exchange or free_shipping");
    }
    SIYU_RETURN_IF_ERROR(ReadText(body, "note", 500, false, &t.note));
    std::optional<int64_t> v;
    SIYU_RETURN_IF_ERROR(ReadInt(body, "min_order_amount", 0, kMaxMoney, &v));
    t.min_order_amount = v.value_or(0);
    if (t.type == "cash_off" || t.type == "threshold") {
        v.reset();
        SIYU_RETURN_IF_ERROR(ReadInt(body, "amount", 1, kMaxMoney, &v));
        if (!v) return Status::InvalidArgument("amount", "is required: the discount in minor units (分)");
        t.amount = *v;
        if (t.type == "threshold" && t.min_order_amount <= 0) {
            return Status::InvalidArgument("min_order_amount", "is required for a threshold coupon (满 X 减 Y)");
        }
        if (t.type == "threshold" && t.min_order_amount < t.amount) {
            return Status::InvalidArgument("min_order_amount", "must be at least the amount");
        }
    } else if (body.contains("amount")) {
        return Status::InvalidArgument("amount", "only for cash_off and threshold coupons");
    }
    if (t.type == "percent") {
        v.reset();
        SIYU_RETURN_IF_ERROR(ReadInt(body, "percent_off", 1, 99, &v));
        if (!v) return Status::InvalidArgument("percent_off", "is required: 1–99 (15 = 15% off, 八五折)");
        t.percent_off = *v;
        SIYU_RETURN_IF_ERROR(ReadInt(body, "max_discount", 1, kMaxMoney, &t.max_discount));
    } else if (body.contains("percent_off") || body.contains("max_discount")) {
        return Status::InvalidArgument(body.contains("percent_off") ? "percent_off" : "max_discount",
                                       "only for percent coupons");
    }
    if (t.type == "exchange") {
        SIYU_RETURN_IF_ERROR(ReadText(body, "gift", 100, true, &t.gift));
        std::string product;
        SIYU_RETURN_IF_ERROR(ReadText(body, "exchange_product_id", 100, false, &product));
        if (!product.empty()) t.exchange_product_id = product;
    } else if (body.contains("gift") || body.contains("exchange_product_id")) {
        return Status::InvalidArgument(body.contains("gift") ? "gift" : "exchange_product_id",
                                       "only for exchange coupons");
    }
    SIYU_RETURN_IF_ERROR(ReadValidity(body, &t));
    SIYU_RETURN_IF_ERROR(ReadInt(body, "per_customer_limit", 1, 1000, &t.per_customer_limit));
    SIYU_RETURN_IF_ERROR(ReadInt(body, "total_stock", 1, 100'000'000, &t.total_stock));
    SIYU_RETURN_IF_ERROR(ReadIds(body, "store_ids", 500, &t.store_ids));
    SIYU_RETURN_IF_ERROR(ReadStrings(body, "product_ids", 1000, &t.product_ids));
    SIYU_RETURN_IF_ERROR(ReadStrings(body, "categories", 100, &t.categories));
    SIYU_RETURN_IF_ERROR(ReadInt(body, "min_tier_level", 0, 1000, &t.min_tier_level));
    SIYU_RETURN_IF_ERROR(ReadBool(body, "stacks_with_coupons", &t.stacks_with_coupons));
    SIYU_RETURN_IF_ERROR(ReadBool(body, "stacks_with_points", &t.stacks_with_points));
    SIYU_RETURN_IF_ERROR(ReadBool(body, "reversible", &t.reversible));
    t.status = "active";
    SIYU_RETURN_IF_ERROR(ReadText(body, "status", 20, false, &t.status));
    if (t.status != "active" && t.status != "paused") {
        return Status::InvalidArgument("status", "must be active or paused");
    }
    return t;
}

Result<int64_t> ComputeDiscount(const CouponTemplate& t, const RedeemInput& order) {
    bool scoped = !t.product_ids.empty() || !t.categories.empty();
    int64_t base = order.order_amount;
    if (scoped) {
        if (order.lines.empty()) {
            return Conflict("lines", "this coupon is for certain products only; send the order lines");
        }
        base = 0;
        for (const auto& l : order.lines) {
            bool product = std::find(t.product_ids.begin(), t.product_ids.end(), l.product_id) != t.product_ids.end();
            bool category = std::find(t.categories.begin(), t.categories.end(), l.category) != t.categories.end();
            if (product || category) base += l.price * l.quantity;
        }
        if (base == 0) return Conflict("lines", "no line of the order is eligible for this coupon");
        base = std::min(base, order.order_amount);
    }
    if (t.min_order_amount > 0 && base < t.min_order_amount) {
        return Conflict(scoped ? "lines" : "order_amount", "the order must reach ¥" + Yuan(t.min_order_amount) +
                                                               (scoped ? " in eligible products" : "") +
                                                               " to use this coupon (it has ¥" + Yuan(base) + ")");
    }
    int64_t discount = 0;
    if (t.type == "cash_off" || t.type == "threshold") {
        discount = std::min(t.amount, base);
    } else if (t.type == "percent") {
        discount = base * t.percent_off / 100;
        if (t.max_discount) discount = std::min(discount, *t.max_discount);
    } else if (t.type == "exchange") {
        if (t.exchange_product_id) {
            auto it = std::find_if(order.lines.begin(), order.lines.end(),
                                   [&](const RedeemLine& l) { return l.product_id == *t.exchange_product_id; });
            if (it == order.lines.end()) {
                return Conflict("lines", "the order has no line of product " + *t.exchange_product_id +
                                             ", which this coupon gives free");
            }
            discount = it->price;
        }
    } else if (t.type == "free_shipping") {
        discount = order.shipping_fee.value_or(0);
    }
    return std::clamp<int64_t>(discount, 0, order.order_amount);
}

// --- Coupons ---------------------------------------------------------------------------------

Coupons::Coupons(Loyalty* loyalty) : loyalty_(loyalty) {
    Status swept = loyalty_->exec().db()->Write([&](Connection& c) -> Status {
        SIYU_ASSIGN_OR_RETURN(auto stmt,
                              c.Prepare("UPDATE coupon_issue_jobs SET status = 'interrupted', error = ?, finished_at "
                                        "= ? WHERE status IN ('queued', 'running')"));
        return stmt
            .Bind(1,
                  "interrupted: the server stopped before the job finished; the coupons issued so far stay; start "
                  "it again (customers at their limit are skipped)")
            .Bind(2, NowMs())
            .Run();
    });
    if (!swept.ok()) spdlog::warn("coupon issue jobs: cannot mark interrupted jobs: {}", swept.ToString());
    jobs_ = std::make_unique<CouponJobQueue>(8, [this](CouponIssuePending& job) { RunJob(job); });
}

Coupons::~Coupons() { jobs_.reset(); }

Result<Json> Coupons::CreateTemplate(int64_t tenant_id, const Json& body, const auth::Actor& actor) {
    SIYU_ASSIGN_OR_RETURN(CouponTemplate t, ParseTemplateInput(body));
    Json out;
    SIYU_RETURN_IF_ERROR(loyalty_->exec().Write(tenant_id, [&](Tx& tx) -> Status {
        for (size_t i = 0; i < t.store_ids.size(); ++i) {
            SIYU_ASSIGN_OR_RETURN(bool exists, StoreExists(tx.c(), tenant_id, t.store_ids[i]));
            if (!exists) return Status::InvalidArgument("store_ids[" + std::to_string(i) + "]", "unknown store");
        }
        SIYU_ASSIGN_OR_RETURN(auto stmt, tx.c().Prepare("INSERT INTO coupon_templates(tenant_id, name, type, config, "
                                                        "total_stock, issued, status, created_at, updated_at) "
                                                        "VALUES (?,?,?,?,?,0,?,?,?)"));
        SIYU_RETURN_IF_ERROR(stmt.Bind(1, tenant_id)
                                 .Bind(2, t.name)
                                 .Bind(3, t.type)
                                 .Bind(4, ConfigJson(t).dump())
                                 .Bind(5, t.total_stock)
                                 .Bind(6, t.status)
                                 .Bind(7, tx.now())
                                 .Bind(8, tx.now())
                                 .Run());
        t.id = tx.c().LastInsertId();
        t.tenant_id = tenant_id;
        t.created_at = t.updated_at = tx.now();
        out = TemplateJson(t);
        return tx.Audit(actor, "coupon_template.create", "coupon_template", std::to_string(t.id), body);
    }));
    return out;
}

Result<Json> Coupons::UpdateTemplate(int64_t tenant_id, int64_t id, const Json& patch, const auth::Actor& actor) {
    if (!patch.is_object()) return Status(StatusCode::kInvalidJson, "the body must be a JSON object");
    for (const auto& [key, value] : patch.items()) {
        if (key != "name" && key != "note" && key != "status" && key != "total_stock" && key != "per_customer_limit") {
            return Status::InvalidArgument(key,
                                           "cannot be changed: the rules of a template are fixed once created "
                                           "(name, note, status, total_stock and per_customer_limit can be)");
        }
    }
    Json out;
    SIYU_RETURN_IF_ERROR(loyalty_->exec().Write(tenant_id, [&](Tx& tx) -> Status {
        SIYU_ASSIGN_OR_RETURN(CouponTemplate t, LoadTemplate(tx.c(), tenant_id, id));
        SIYU_RETURN_IF_ERROR(ReadText(patch, "name", 50, patch.contains("name"), &t.name));
        SIYU_RETURN_IF_ERROR(ReadText(patch, "note", 500, false, &t.note));
        if (patch.contains("status")) {
            SIYU_RETURN_IF_ERROR(ReadText(patch, "status", 20, true, &t.status));
            if (t.status != "active" && t.status != "paused" && t.status != "archived") {
                return Status::InvalidArgument("status", "must be active, paused or archived");
            }
        }
        if (patch.contains("total_stock")) {
            if (patch["total_stock"].is_null()) {
                t.total_stock.reset();
            } else {
                std::optional<int64_t> stock;
                SIYU_RETURN_IF_ERROR(ReadInt(patch, "total_stock", 1, 100'000'000, &stock));
                if (*stock < t.issued) {
                    return Status::InvalidArgument(
                        "total_stock", "cannot be below the " + std::to_string(t.issued) + " coupons already issued");
                }
                t.total_stock = stock;
            }
        }
        if (patch.contains("per_customer_limit")) {
            t.per_customer_limit.reset();
            SIYU_RETURN_IF_ERROR(ReadInt(patch, "per_customer_limit", 1, 1000, &t.per_customer_limit));
        }
        SIYU_ASSIGN_OR_RETURN(auto stmt, tx.c().Prepare("UPDATE coupon_templates SET name = ?, config = ?, total_stock "
                                                        "= ?, status = ?, updated_at = ? WHERE id = ? AND tenant_id = "
                                                        "?"));
        SIYU_RETURN_IF_ERROR(stmt.Bind(1, t.name)
                                 .Bind(2, ConfigJson(t).dump())
                                 .Bind(3, t.total_stock)
                                 .Bind(4, t.status)
                                 .Bind(5, tx.now())
                                 .Bind(6, id)
                                 .Bind(7, tenant_id)
                                 .Run());
        t.updated_at = tx.now();
        out = TemplateJson(t);
        return tx.Audit(actor, "coupon_template.update", "coupon_template", std::to_string(id), patch);
    }));
    return out;
}

Result<Json> Coupons::GetTemplate(int64_t tenant_id, int64_t id) {
    Json out;
    SIYU_RETURN_IF_ERROR(loyalty_->exec().db()->Read([&](Connection& c) -> Status {
        SIYU_ASSIGN_OR_RETURN(CouponTemplate t, LoadTemplate(c, tenant_id, id));
        out = TemplateJson(t);
        return Status::Ok();
    }));
    return out;
}

Result<Json> Coupons::ListTemplates(int64_t tenant_id, std::optional<std::string> status, int limit,
                                    std::optional<int64_t> after_id) {
    return ListCatalogue(*loyalty_->exec().db(), kTemplateColumns, tenant_id, status, limit, after_id,
                         [](store::Statement& stmt) {
                             CouponTemplate t = ReadTemplate(stmt);
                             return std::make_pair(t.id, TemplateJson(t));
                         });
}

Result<Json> Coupons::Stats(int64_t tenant_id, int64_t id) {
    Json out;
    TimeMs now = loyalty_->exec().Now();
    SIYU_RETURN_IF_ERROR(loyalty_->exec().db()->Read([&](Connection& c) -> Status {
        SIYU_ASSIGN_OR_RETURN(CouponTemplate t, LoadTemplate(c, tenant_id, id));
        SIYU_ASSIGN_OR_RETURN(auto counts,
                              c.Prepare("SELECT COUNT(*), SUM(status = 'redeemed'), SUM(status = 'expired' OR (status "
                                        "= 'issued' AND valid_to <= ?)), SUM(status = 'issued' AND valid_to > ?), "
                                        "SUM(status = 'void') FROM coupons WHERE template_id = ? AND tenant_id = ?"));
        counts.Bind(1, now).Bind(2, now).Bind(3, id).Bind(4, tenant_id);
        SIYU_ASSIGN_OR_RETURN(bool row, counts.Step());
        int64_t coupons = row ? counts.Int(0) : 0;
        int64_t redeemed = row ? counts.OptInt(1).value_or(0) : 0;
        int64_t expired = row ? counts.OptInt(2).value_or(0) : 0;
        int64_t unused = row ? counts.OptInt(3).value_or(0) : 0;
        int64_t voided = row ? counts.OptInt(4).value_or(0) : 0;
        counts.Reset();
        SIYU_ASSIGN_OR_RETURN(auto money, c.Prepare("SELECT COALESCE(SUM(CASE WHEN reversed_at IS NULL THEN discount "
                                                    "END), 0), COALESCE(SUM(CASE WHEN reversed_at IS NULL THEN "
                                                    "order_amount END), 0), SUM(reversed_at IS NOT NULL) FROM "
                                                    "coupon_redemptions WHERE template_id = ? AND tenant_id = ?"));
        money.Bind(1, id).Bind(2, tenant_id);
        SIYU_ASSIGN_OR_RETURN(bool mrow, money.Step());
        int64_t discount = mrow ? money.Int(0) : 0;
        int64_t revenue = mrow ? money.Int(1) : 0;
        int64_t reversed = mrow ? money.OptInt(2).value_or(0) : 0;
        money.Reset();
        int64_t counted = coupons - voided;
        double rate = counted > 0 ? std::round(static_cast<double>(redeemed) * 10000.0 / counted) / 10000.0 : 0.0;
        out = {{"template_id", id},
               {"name", t.name},
               {"issued", t.issued},
               {"cancelled", voided},
               {"redeemed", redeemed},
               {"expired", expired},
               {"unused", unused},
               {"reversed", reversed},
               {"redemption_rate", rate},
               {"discount_total", discount},
               {"revenue", revenue},
               {"remaining_stock", t.total_stock ? Json(*t.total_stock - t.issued) : Json(nullptr)}};
        return Status::Ok();
    }));
    return out;
}

Result<Json> Coupons::IssueIn(Tx& tx, int64_t template_id, int64_t customer_id, const IssueSource& source) {
    SIYU_ASSIGN_OR_RETURN(CouponTemplate t, LoadTemplate(tx.c(), tx.tenant(), template_id));
    if (t.status != "active") return Conflict("template_id", "coupon template " + t.name + " is " + t.status);
    if (t.validity_type == "fixed" && *t.valid_to <= tx.now()) {
        return Conflict("template_id", "the validity of coupon template " + t.name + " has ended");
    }
    SIYU_ASSIGN_OR_RETURN(int64_t customer, tx.ResolveCustomer(customer_id));
    if (t.per_customer_limit) {
        SIYU_ASSIGN_OR_RETURN(auto count, tx.c().Prepare("SELECT COUNT(*) FROM coupons WHERE template_id = ? AND "
                                                         "customer_id = ? AND status != 'void'"));
        count.Bind(1, template_id).Bind(2, customer);
        SIYU_ASSIGN_OR_RETURN(bool row, count.Step());
        int64_t held = row ? count.Int(0) : 0;
        count.Reset();
        if (held >= *t.per_customer_limit) {
            return Conflict("customer_id", "customer " + std::to_string(customer_id) + " already has " +
                                               std::to_string(held) + " coupon(s) of this template (limit " +
                                               std::to_string(*t.per_customer_limit) + ")");
        }
    }
    SIYU_ASSIGN_OR_RETURN(auto take, tx.c().Prepare("UPDATE coupon_templates SET issued = issued + 1, updated_at = ? "
                                                    "WHERE id = ? AND (total_stock IS NULL OR issued < total_stock)"));
    SIYU_RETURN_IF_ERROR(take.Bind(1, tx.now()).Bind(2, template_id).Run());
    if (tx.c().Changes() != 1) {
        return Conflict("template_id", "coupon template " + t.name + " is out of stock (all " +
                                           std::to_string(t.total_stock.value_or(0)) + " issued)");
    }
    CouponRow r;
    r.template_id = template_id;
    r.customer_id = customer;
    r.status = "issued";
    r.source = source.source;
    r.source_id = source.source_id;
    r.issued_at = tx.now();
    if (t.validity_type == "fixed") {
        r.valid_from = *t.valid_from;
        r.valid_to = *t.valid_to;
    } else {
        r.valid_from = tx.now();
        SIYU_ASSIGN_OR_RETURN(r.valid_to, RelativeEnd(tx, tx.now(), t.validity_days));
    }
    for (int attempt = 0; attempt < 8 && r.code.empty(); ++attempt) {
        std::string code = NewCouponCode();
        SIYU_ASSIGN_OR_RETURN(auto taken, FindCoupon(tx.c(), tx.tenant(), code));
        if (!taken) r.code = code;
    }
    if (r.code.empty()) return Status::Internal("cannot find an unused coupon code");
    SIYU_ASSIGN_OR_RETURN(auto ins, tx.c().Prepare("INSERT INTO coupons(tenant_id, template_id, customer_id, code, "
                                                   "status, source, source_id, valid_from, valid_to, issued_at) "
                                                   "VALUES (?,?,?,?,'issued',?,?,?,?,?)"));
    SIYU_RETURN_IF_ERROR(ins.Bind(1, tx.tenant())
                             .Bind(2, template_id)
                             .Bind(3, customer)
                             .Bind(4, r.code)
                             .Bind(5, r.source)
                             .Bind(6, r.source_id)
                             .Bind(7, r.valid_from)
                             .Bind(8, r.valid_to)
                             .Bind(9, r.issued_at)
                             .Run());
    r.id = tx.c().LastInsertId();
    SIYU_RETURN_IF_ERROR(tx.Emit(customer, "Coupon Issued",
                                 {{"coupon_id", r.id},
                                  {"template_id", template_id},
                                  {"template_name", t.name},
                                  {"type", t.type},
                                  {"description", DiscountDescription(t)},
                                  {"source", r.source},
                                  {"source_id", r.source_id},
                                  {"valid_from", FormatRfc3339(r.valid_from)},
                                  {"valid_to", FormatRfc3339(r.valid_to)}}));
    return CouponJson(r, t, tx.now());
}

Result<Outcome> Coupons::IssueOne(const Request& r, int64_t template_id, int64_t customer_id,
                                  const IssueSource& source) {
    return loyalty_->exec().Run(
        r, "coupon.issue",
        [&](Tx& tx) -> Result<Json> {
            SIYU_ASSIGN_OR_RETURN(Json coupon, IssueIn(tx, template_id, customer_id, source));
            return Json{{"template_id", template_id}, {"issued", Json::array({coupon})}, {"skipped", Json::array()}};
        },
        201);
}

Result<Outcome> Coupons::IssueMany(const Request& r, int64_t template_id, const std::vector<int64_t>& customer_ids,
                                   const IssueSource& source) {
    return loyalty_->exec().Run(
        r, "coupon.issue",
        [&](Tx& tx) -> Result<Json> {
            SIYU_ASSIGN_OR_RETURN(CouponTemplate t, LoadTemplate(tx.c(), tx.tenant(), template_id));
            if (t.status != "active") return Conflict("template_id", "coupon template " + t.name + " is " + t.status);
            Json issued = Json::array(), skipped = Json::array();
            for (int64_t id : customer_ids) {
                auto coupon = IssueIn(tx, template_id, id, source);
                if (coupon.ok()) {
                    issued.push_back(std::move(coupon).value());
                    continue;
                }
                const Status& st = coupon.status();
                if (st.code() != StatusCode::kNotFound && st.code() != StatusCode::kFailedPrecondition) return st;
                skipped.push_back({{"customer_id", id}, {"reason", st.message()}});
            }
            return Json{{"template_id", template_id}, {"issued", issued}, {"skipped", skipped}};
        },
        201);
}

Result<Outcome> Coupons::StartSegmentJob(const Request& r, int64_t template_id, int64_t segment_id) {
    const SegmentMembersFn& members = loyalty_->segment_members();
    if (!members) return Status::Unavailable("segments are not available");
    SIYU_RETURN_IF_ERROR(loyalty_->exec().db()->Read([&](Connection& c) -> Status {
        SIYU_ASSIGN_OR_RETURN(CouponTemplate t, LoadTemplate(c, r.tenant_id, template_id));
        if (t.status != "active") return Conflict("template_id", "coupon template " + t.name + " is " + t.status);
        return Status::Ok();
    }));
    SIYU_ASSIGN_OR_RETURN(std::vector<int64_t> ids, members(r.tenant_id, segment_id));
    Outcome outcome;
    SIYU_RETURN_IF_ERROR(jobs_->Enqueue("coupon issue jobs", [&]() -> Result<CouponIssuePending> {
        CouponIssuePending job;
        job.tenant_id = r.tenant_id;
        job.template_id = template_id;
        SIYU_ASSIGN_OR_RETURN(
            outcome,
            loyalty_->exec().Run(
                r, "coupon.issue_segment",
                [&](Tx& tx) -> Result<Json> {
                    SIYU_ASSIGN_OR_RETURN(auto stmt,
                                          tx.c().Prepare("INSERT INTO coupon_issue_jobs(tenant_id, template_id, "
                                                         "target, status, total, created_by, created_at) VALUES "
                                                         "(?,?,?,'queued',?,?,?)"));
                    SIYU_RETURN_IF_ERROR(stmt.Bind(1, r.tenant_id)
                                             .Bind(2, template_id)
                                             .Bind(3, Json{{"segment_id", segment_id}}.dump())
                                             .Bind(4, static_cast<int64_t>(ids.size()))
                                             .Bind(5, r.actor.name)
                                             .Bind(6, tx.now())
                                             .Run());
                    job.id = tx.c().LastInsertId();
                    SIYU_RETURN_IF_ERROR(tx.Audit(
                        r.actor, "coupon.issue_segment", "coupon_issue_job", std::to_string(job.id),
                        {{"template_id", template_id}, {"segment_id", segment_id}, {"customers", ids.size()}}));
                    return LoadJob(tx.c(), r.tenant_id, job.id);
                },
                202));
        job.replayed = outcome.replayed;
        if (!job.replayed) job.customer_ids = std::move(ids);
        return job;
    }));
    return outcome;
}

Result<Json> Coupons::GetJob(int64_t tenant_id, int64_t id) {
    Json out;
    SIYU_RETURN_IF_ERROR(loyalty_->exec().db()->Read([&](Connection& c) -> Status {
        SIYU_ASSIGN_OR_RETURN(out, LoadJob(c, tenant_id, id));
        return Status::Ok();
    }));
    return out;
}

void Coupons::RunJob(CouponIssuePending& job) {
    if (job.replayed) return;
    Executor& exec = loyalty_->exec();
    auto set_status = [&](const char* sql, const std::optional<std::string>& error) {
        Status st = exec.db()->Write([&](Connection& c) -> Status {
            SIYU_ASSIGN_OR_RETURN(auto stmt, c.Prepare(sql));
            return stmt.Bind(1, exec.Now()).Bind(2, error).Bind(3, job.id).Run();
        });
        if (!st.ok()) spdlog::warn("coupon issue job {}: cannot record its status: {}", job.id, st.ToString());
    };
    set_status("UPDATE coupon_issue_jobs SET status = 'running', started_at = ?, error = ? WHERE id = ?", std::nullopt);
    IssueSource source{"segment", "job:" + std::to_string(job.id)};
    int64_t issued = 0, skipped = 0;
    bool out_of_stock = false;
    for (size_t start = 0; start < job.customer_ids.size(); start += kJobBatchSize) {
        if (jobs_->stopping()) return;  // marked interrupted by the next process
        size_t end = std::min(job.customer_ids.size(), start + kJobBatchSize);
        int64_t batch_issued = 0, batch_skipped = 0;
        Status st = exec.Write(job.tenant_id, [&](Tx& tx) -> Status {
            batch_issued = batch_skipped = 0;
            for (size_t i = start; i < end; ++i) {
                if (out_of_stock) {
                    ++batch_skipped;
                    continue;
                }
                auto coupon = IssueIn(tx, job.template_id, job.customer_ids[i], source);
                if (coupon.ok()) {
                    ++batch_issued;
                    continue;
                }
                const Status& e = coupon.status();
                if (e.code() != StatusCode::kNotFound && e.code() != StatusCode::kFailedPrecondition) return e;
                if (e.field() == "template_id") out_of_stock = true;  // out of stock, paused or ended
                ++batch_skipped;
            }
            SIYU_ASSIGN_OR_RETURN(auto stmt,
                                  tx.c().Prepare("UPDATE coupon_issue_jobs SET issued = ?, skipped = ? WHERE id = ?"));
            return stmt.Bind(1, issued + batch_issued).Bind(2, skipped + batch_skipped).Bind(3, job.id).Run();
        });
        if (!st.ok()) {
            set_status("UPDATE coupon_issue_jobs SET status = 'failed', finished_at = ?, error = ? WHERE id = ?",
                       st.message());
            return;
        }
        issued += batch_issued;
        skipped += batch_skipped;
    }
    set_status("UPDATE coupon_issue_jobs SET status = 'done', finished_at = ?, error = ? WHERE id = ?", std::nullopt);
}

Result<Json> Coupons::Lookup(int64_t tenant_id, const std::string& code) {
    Json out;
    TimeMs now = loyalty_->exec().Now();
    SIYU_RETURN_IF_ERROR(loyalty_->exec().db()->Read([&](Connection& c) -> Status {
        SIYU_ASSIGN_OR_RETURN(CouponRow r, LoadCoupon(c, tenant_id, code));
        SIYU_ASSIGN_OR_RETURN(CouponTemplate t, LoadTemplate(c, tenant_id, r.template_id));
        out = CouponJson(r, t, now);
        out["template"] = TemplateJson(t);
        SIYU_ASSIGN_OR_RETURN(auto cust, c.Prepare("SELECT id, name, phone, store_id FROM customers WHERE id = "
                                                   "(SELECT COALESCE(merged_into, id) FROM customers WHERE id = ?)"));
        cust.Bind(1, r.customer_id);
        SIYU_ASSIGN_OR_RETURN(bool row, cust.Step());
        if (row) {
            out["customer"] = {{"id", cust.Int(0)},
                               {"name", cust.OptText(1) ? Json(*cust.OptText(1)) : Json(nullptr)},
                               {"phone", cust.OptText(2) ? Json(*cust.OptText(2)) : Json(nullptr)},
                               {"store_id", IntOrNull(cust.OptInt(3))}};
            SIYU_ASSIGN_OR_RETURN(auto level, TierLevel(c, tenant_id, cust.Int(0)));
            out["customer"]["tier_level"] = IntOrNull(level);
        } else {
            out["customer"] = nullptr;
        }
        return Status::Ok();
    }));
    return out;
}

Result<Outcome> Coupons::Redeem(const Request& r, const RedeemInput& in) {
    return loyalty_->exec().Run(r, "coupon.redeem", [&](Tx& tx) -> Result<Json> {
        SIYU_ASSIGN_OR_RETURN(CouponRow coupon, LoadCoupon(tx.c(), tx.tenant(), in.code));
        SIYU_ASSIGN_OR_RETURN(CouponTemplate t, LoadTemplate(tx.c(), tx.tenant(), coupon.template_id));
        if (coupon.status == "redeemed") {
            return Conflict("code", "coupon " + FormatCouponCode(coupon.code) + " was already redeemed at " +
                                        FormatRfc3339(coupon.redeemed_at.value_or(0)) + " for order " +
                                        coupon.order_id.value_or(""));
        }
        if (coupon.status == "void") return Conflict("code", "coupon was cancelled");
        if (coupon.status == "expired" || coupon.valid_to <= tx.now()) {
            return Conflict("code", "coupon expired at " + FormatRfc3339(coupon.valid_to));
        }
        if (coupon.valid_from > tx.now()) {
            return Conflict("code", "coupon is not valid before " + FormatRfc3339(coupon.valid_from));
        }
        SIYU_ASSIGN_OR_RETURN(int64_t customer, tx.ResolveCustomer(coupon.customer_id));
        if (in.store_id) {
            SIYU_ASSIGN_OR_RETURN(bool exists, StoreExists(tx.c(), tx.tenant(), *in.store_id));
            if (!exists) return Status::InvalidArgument("store_id", "unknown store");
        }
        if (!t.store_ids.empty()) {
            if (!in.store_id)
                return Conflict("store_id", "this coupon is valid in certain stores only; name the store");
            SIYU_ASSIGN_OR_RETURN(bool within, StoreWithin(tx.c(), tx.tenant(), t.store_ids, *in.store_id));
            if (!within)
                return Conflict("store_id", "this coupon is not valid in store " + std::to_string(*in.store_id));
        }
        if (t.min_tier_level) {
            SIYU_ASSIGN_OR_RETURN(auto level, TierLevel(tx.c(), tx.tenant(), customer));
            if (!level || *level < *t.min_tier_level) {
                return Conflict("code", "this coupon needs a member of tier level " +
                                            std::to_string(*t.min_tier_level) + " or higher");
            }
        }
        if (in.uses_points && !t.stacks_with_points) {
            return Conflict("uses_points", "this coupon cannot be combined with paying by points");
        }
        if (!in.other_coupon_codes.empty() && !t.stacks_with_coupons) {
            return Conflict("other_coupon_codes", "this coupon cannot be combined with other coupons");
        }
        for (size_t i = 0; i < in.other_coupon_codes.size(); ++i) {
            std::string field = "other_coupon_codes[" + std::to_string(i) + "]";
            SIYU_ASSIGN_OR_RETURN(std::string other_code, CheckedCode(in.other_coupon_codes[i], field));
            if (other_code == coupon.code) return Status::InvalidArgument(field, "is the coupon being redeemed");
            SIYU_ASSIGN_OR_RETURN(auto other, FindCoupon(tx.c(), tx.tenant(), other_code));
            if (!other) return Status::InvalidArgument(field, "unknown coupon");
            SIYU_ASSIGN_OR_RETURN(CouponTemplate ot, LoadTemplate(tx.c(), tx.tenant(), other->template_id));
            if (!ot.stacks_with_coupons) {
                return Conflict(field, "coupon " + ot.name + " cannot be combined with other coupons");
            }
        }
        SIYU_ASSIGN_OR_RETURN(int64_t discount, ComputeDiscount(t, in));
        std::string by = r.actor.name;
        SIYU_ASSIGN_OR_RETURN(auto upd, tx.c().Prepare("UPDATE coupons SET status = 'redeemed', redeemed_at = ?, "
                                                       "order_id = ?, order_amount = ?, discount = ?, store_id = ?, "
                                                       "redeemed_by = ?, idempotency_key = ? WHERE id = ? AND status = "
                                                       "'issued'"));
        SIYU_RETURN_IF_ERROR(upd.Bind(1, tx.now())
                                 .Bind(2, in.order_id)
                                 .Bind(3, in.order_amount)
                                 .Bind(4, discount)
                                 .Bind(5, in.store_id)
                                 .Bind(6, by)
                                 .Bind(7, r.idempotency_key)
                                 .Bind(8, coupon.id)
                                 .Run());
        if (tx.c().Changes() != 1) return Conflict("code", "coupon was already redeemed");
        SIYU_ASSIGN_OR_RETURN(auto ins, tx.c().Prepare("INSERT INTO coupon_redemptions(tenant_id, coupon_id, "
                                                       "template_id, customer_id, order_id, order_amount, discount, "
                                                       "store_id, redeemed_by, redeemed_at) VALUES "
                                                       "(?,?,?,?,?,?,?,?,?,?)"));
        SIYU_RETURN_IF_ERROR(ins.Bind(1, tx.tenant())
                                 .Bind(2, coupon.id)
                                 .Bind(3, t.id)
                                 .Bind(4, customer)
                                 .Bind(5, in.order_id)
                                 .Bind(6, in.order_amount)
                                 .Bind(7, discount)
                                 .Bind(8, in.store_id)
                                 .Bind(9, by)
                                 .Bind(10, tx.now())
                                 .Run());
        int64_t redemption_id = tx.c().LastInsertId();
        SIYU_RETURN_IF_ERROR(tx.Emit(customer, "Coupon Redeemed",
                                     {{"coupon_id", coupon.id},
                                      {"template_id", t.id},
                                      {"template_name", t.name},
                                      {"type", t.type},
                                      {"order_id", in.order_id},
                                      {"order_amount", in.order_amount},
                                      {"discount", discount},
                                      {"store_id", IntOrNull(in.store_id)}}));
        coupon.status = "redeemed";
        coupon.redeemed_at = tx.now();
        coupon.order_id = in.order_id;
        coupon.order_amount = in.order_amount;
        coupon.discount = discount;
        coupon.store_id = in.store_id;
        coupon.redeemed_by = by;
        return Json{{"redemption_id", redemption_id},        {"order_id", in.order_id},
                    {"order_amount", in.order_amount},       {"discount", discount},
                    {"payable", in.order_amount - discount}, {"coupon", CouponJson(coupon, t, tx.now())}};
    });
}

Result<Outcome> Coupons::Reverse(const Request& r, const std::string& code, const std::optional<std::string>& order_id,
                                 const std::string& reason, const std::vector<int64_t>* allowed_stores) {
    return loyalty_->exec().Run(r, "coupon.reverse", [&](Tx& tx) -> Result<Json> {
        SIYU_ASSIGN_OR_RETURN(CouponRow coupon, LoadCoupon(tx.c(), tx.tenant(), code));
        SIYU_ASSIGN_OR_RETURN(CouponTemplate t, LoadTemplate(tx.c(), tx.tenant(), coupon.template_id));
        if (coupon.status != "redeemed")
            return Conflict("code", "coupon is not redeemed (it is " + coupon.status + ")");
        // Checked here, in the transaction, against the redemption as it stands.
        if (allowed_stores && (!coupon.store_id || std::find(allowed_stores->begin(), allowed_stores->end(),
                                                             *coupon.store_id) == allowed_stores->end())) {
            return Status::PermissionDenied("this coupon was redeemed outside your stores");
        }
        if (!t.reversible) return Conflict("code", "coupon template " + t.name + " does not allow reversal");
        if (order_id && *order_id != coupon.order_id.value_or("")) {
            return Conflict("order_id", "coupon was redeemed for order " + coupon.order_id.value_or(""));
        }
        SIYU_ASSIGN_OR_RETURN(int64_t customer, tx.ResolveCustomer(coupon.customer_id));
        SIYU_ASSIGN_OR_RETURN(auto close, tx.c().Prepare("UPDATE coupon_redemptions SET reversed_at = ?, reversed_by "
                                                         "= ?, reason = ? WHERE coupon_id = ? AND reversed_at IS "
                                                         "NULL"));
        SIYU_RETURN_IF_ERROR(close.Bind(1, tx.now()).Bind(2, r.actor.name).Bind(3, reason).Bind(4, coupon.id).Run());
        if (tx.c().Changes() != 1) return Status::Internal("redeemed coupon without an open redemption");
        std::string status = coupon.valid_to > tx.now() ? "issued" : "expired";
        SIYU_ASSIGN_OR_RETURN(auto upd, tx.c().Prepare("UPDATE coupons SET status = ?, redeemed_at = NULL, order_id = "
                                                       "NULL, order_amount = NULL, discount = NULL, store_id = NULL, "
                                                       "redeemed_by = NULL, reversals = reversals + 1 WHERE id = ?"));
        SIYU_RETURN_IF_ERROR(upd.Bind(1, status).Bind(2, coupon.id).Run());
        Json props = {{"coupon_id", coupon.id},
                      {"template_id", t.id},
                      {"template_name", t.name},
                      {"order_id", coupon.order_id.value_or("")},
                      {"discount", coupon.discount.value_or(0)},
                      {"reason", reason},
                      {"status", status}};
        SIYU_RETURN_IF_ERROR(tx.Emit(customer, "Coupon Reversed", props));
        if (status == "expired") {
            SIYU_RETURN_IF_ERROR(tx.Emit(customer, "Coupon Expired",
                                         {{"coupon_id", coupon.id},
                                          {"template_id", t.id},
                                          {"template_name", t.name},
                                          {"valid_to", FormatRfc3339(coupon.valid_to)}}));
        }
        SIYU_RETURN_IF_ERROR(tx.Audit(r.actor, "coupon.reverse", "coupon", std::to_string(coupon.id), props));
        std::string reversed_order = coupon.order_id.value_or("");
        int64_t reversed_discount = coupon.discount.value_or(0);
        coupon.status = status;
        coupon.redeemed_at.reset();
        coupon.order_id.reset();
        coupon.order_amount.reset();
        coupon.discount.reset();
        coupon.store_id.reset();
        coupon.redeemed_by.reset();
        coupon.reversals += 1;
        return Json{
            {"order_id", reversed_order}, {"discount", reversed_discount}, {"coupon", CouponJson(coupon, t, tx.now())}};
    });
}

Result<Json> Coupons::ListForCustomer(int64_t tenant_id, int64_t customer_id, std::optional<std::string> status,
                                      int limit, std::optional<int64_t> before_id) {
    Json data = Json::array();
    std::optional<int64_t> last;
    TimeMs now = loyalty_->exec().Now();
    SIYU_RETURN_IF_ERROR(loyalty_->exec().db()->Read([&](Connection& c) -> Status {
        SIYU_ASSIGN_OR_RETURN(auto root, c.Prepare("SELECT COALESCE(merged_into, id) FROM customers WHERE id = ? AND "
                                                   "tenant_id = ? AND deleted_at IS NULL"));
        root.Bind(1, customer_id).Bind(2, tenant_id);
        SIYU_ASSIGN_OR_RETURN(bool found, root.Step());
        if (!found) return Status::NotFound("customer " + std::to_string(customer_id) + " not found");
        int64_t survivor = root.Int(0);
        root.Reset();
        // "expired" also covers issued coupons past their end that the sweep has not marked yet.
        SIYU_ASSIGN_OR_RETURN(
            auto stmt,
            c.Prepare(std::string(kCouponColumns) +
                      "WHERE tenant_id = ? AND customer_id IN (SELECT id FROM customers WHERE id = ? OR merged_into = "
                      "?) AND id < ? AND (? IS NULL OR (? = 'issued' AND status = 'issued' AND valid_to > ?) OR (? = "
                      "'expired' AND (status = 'expired' OR (status = 'issued' AND valid_to <= ?))) OR (? NOT IN "
                      "('issued', 'expired') AND status = ?)) ORDER BY id DESC LIMIT ?"));
        stmt.Bind(1, tenant_id)
            .Bind(2, survivor)
            .Bind(3, survivor)
            .Bind(4, before_id.value_or(INT64_MAX))
            .Bind(5, status)
            .Bind(6, status)
            .Bind(7, now)
            .Bind(8, status)
            .Bind(9, now)
            .Bind(10, status)
            .Bind(11, status)
            .Bind(12, int64_t{limit});
        std::vector<CouponRow> rows;
        SIYU_RETURN_IF_ERROR(stmt.ForEachRow([&] { rows.push_back(ReadCoupon(stmt)); }));
        std::map<int64_t, CouponTemplate> templates;
        for (const auto& row : rows) {
            if (!templates.count(row.template_id)) {
                SIYU_ASSIGN_OR_RETURN(templates[row.template_id], LoadTemplate(c, tenant_id, row.template_id));
            }
            data.push_back(CouponJson(row, templates[row.template_id], now));
            last = row.id;
        }
        return Status::Ok();
    }));
    return PageJson(std::move(data), last, limit, {{"customer_id", customer_id}});
}

Status Coupons::Sweep(int64_t tenant_id) {
    Executor& exec = loyalty_->exec();
    // Expire, a batch per transaction.
    for (bool more = true; more;) {
        SIYU_RETURN_IF_ERROR(exec.Write(tenant_id, [&](Tx& tx) -> Status {
            SIYU_ASSIGN_OR_RETURN(auto due, tx.c().Prepare("SELECT c.id, c.customer_id, c.template_id, c.valid_to, "
                                                           "t.name FROM coupons c JOIN coupon_templates t ON t.id = "
                                                           "c.template_id WHERE c.tenant_id = ? AND c.status = "
                                                           "'issued' AND c.valid_to <= ? ORDER BY c.valid_to LIMIT ?"));
            due.Bind(1, tenant_id).Bind(2, tx.now()).Bind(3, static_cast<int64_t>(kSweepBatch));
            struct Due {
                int64_t id, customer, template_id, valid_to;
                std::string name;
            };
            std::vector<Due> rows;
            SIYU_RETURN_IF_ERROR(due.ForEachRow([&] {
                rows.push_back({due.Int(0), due.Int(1), due.Int(2), due.Int(3), due.Text(4)});
            }));
            more = rows.size() == kSweepBatch;
            SIYU_ASSIGN_OR_RETURN(auto upd,
                                  tx.c().Prepare("UPDATE coupons SET status = 'expired' WHERE id = ? AND status = "
                                                 "'issued'"));
            for (const auto& d : rows) {
                SIYU_RETURN_IF_ERROR(upd.Bind(1, d.id).Run());
                auto customer = tx.ResolveCustomer(d.customer);
                SIYU_RETURN_IF_ERROR(tx.Emit(customer.ok() ? customer.value() : d.customer, "Coupon Expired",
                                             {{"coupon_id", d.id},
                                              {"template_id", d.template_id},
                                              {"template_name", d.name},
                                              {"valid_to", FormatRfc3339(d.valid_to)}}));
            }
            return Status::Ok();
        }));
    }
    // Remind, once per coupon.
    for (bool more = true; more;) {
        SIYU_RETURN_IF_ERROR(exec.Write(tenant_id, [&](Tx& tx) -> Status {
            more = false;
            SIYU_ASSIGN_OR_RETURN(const LoyaltySettings* s, tx.Settings());
            if (s->coupon_expiring_notice_days <= 0) return Status::Ok();
            TimeMs horizon = tx.now() + int64_t{s->coupon_expiring_notice_days} * kDayMs;
            SIYU_ASSIGN_OR_RETURN(auto due, tx.c().Prepare("SELECT c.id, c.customer_id, c.template_id, c.valid_to, "
                                                           "t.name, t.type FROM coupons c JOIN coupon_templates t ON "
                                                           "t.id = c.template_id WHERE c.tenant_id = ? AND c.status = "
                                                           "'issued' AND c.notified_at IS NULL AND c.valid_to > ? AND "
                                                           "c.valid_to <= ? ORDER BY c.valid_to LIMIT ?"));
            due.Bind(1, tenant_id).Bind(2, tx.now()).Bind(3, horizon).Bind(4, static_cast<int64_t>(kSweepBatch));
            struct Due {
                int64_t id, customer, template_id, valid_to;
                std::string name, type;
            };
            std::vector<Due> rows;
            SIYU_RETURN_IF_ERROR(due.ForEachRow([&] {
                rows.push_back({due.Int(0), due.Int(1), due.Int(2), due.Int(3), due.Text(4), due.Text(5)});
            }));
            more = rows.size() == kSweepBatch;
            SIYU_ASSIGN_OR_RETURN(auto upd, tx.c().Prepare("UPDATE coupons SET notified_at = ? WHERE id = ?"));
            for (const auto& d : rows) {
                SIYU_RETURN_IF_ERROR(upd.Bind(1, tx.now()).Bind(2, d.id).Run());
                auto customer = tx.ResolveCustomer(d.customer);
                int64_t days_left = (d.valid_to - tx.now() + kDayMs - 1) / kDayMs;
                SIYU_RETURN_IF_ERROR(tx.Emit(customer.ok() ? customer.value() : d.customer, "Coupon Expiring",
                                             {{"coupon_id", d.id},
                                              {"template_id", d.template_id},
                                              {"template_name", d.name},
                                              {"type", d.type},
                                              {"valid_to", FormatRfc3339(d.valid_to)},
                                              {"days_left", days_left}}));
            }
            return Status::Ok();
        }));
    }
    return Status::Ok();
}

Status VerifyCoupons(store::Connection& c, int64_t tenant_id, std::vector<std::string>* problems, int64_t* coupons) {
    SIYU_ASSIGN_OR_RETURN(auto count, c.Prepare("SELECT COUNT(*) FROM coupons WHERE tenant_id = ?"));
    count.Bind(1, tenant_id);
    SIYU_ASSIGN_OR_RETURN(bool row, count.Step());
    *coupons = row ? count.Int(0) : 0;
    count.Reset();
    SIYU_ASSIGN_OR_RETURN(auto templates,
                          c.Prepare("SELECT t.id, t.issued, t.total_stock, (SELECT COUNT(*) FROM coupons c WHERE "
                                    "c.template_id = t.id) FROM coupon_templates t WHERE t.tenant_id = ?"));
    templates.Bind(1, tenant_id);
    SIYU_RETURN_IF_ERROR(templates.ForEachRow([&] {
        std::string name = "coupon template " + std::to_string(templates.Int(0));
        int64_t issued = templates.Int(1);
        if (issued != templates.Int(3)) {
            problems->push_back(name + ": issued " + std::to_string(issued) + " but " +
                                std::to_string(templates.Int(3)) + " coupons exist");
        }
        if (issued < 0) problems->push_back(name + ": issued is negative");
        if (auto stock = templates.OptInt(2)) {
            if (*stock < 0) problems->push_back(name + ": total stock is negative");
            if (issued > *stock) {
                problems->push_back(name + ": issued " + std::to_string(issued) + " exceeds the total stock " +
                                    std::to_string(*stock));
            }
        }
    }));
    SIYU_ASSIGN_OR_RETURN(
        auto redeemed,
        c.Prepare("SELECT c.id, c.status, c.redeemed_at IS NOT NULL AND c.order_id IS NOT NULL AND c.discount IS NOT "
                  "NULL AND c.order_amount IS NOT NULL, (SELECT COUNT(*) FROM coupon_redemptions r WHERE r.coupon_id "
                  "= c.id AND r.reversed_at IS NULL) FROM coupons c WHERE c.tenant_id = ? AND (c.status = 'redeemed' "
                  "OR EXISTS (SELECT 1 FROM coupon_redemptions r WHERE r.coupon_id = c.id AND r.reversed_at IS "
                  "NULL))"));
    redeemed.Bind(1, tenant_id);
    SIYU_RETURN_IF_ERROR(redeemed.ForEachRow([&] {
        std::string name = "coupon " + std::to_string(redeemed.Int(0));
        int64_t open = redeemed.Int(3);
        if (redeemed.Text(1) != "redeemed") {
            problems->push_back(name + ": has an open redemption but its status is " + redeemed.Text(1));
        } else if (redeemed.Int(2) == 0) {
            problems->push_back(name + ": redeemed without its redemption fields");
        }
        if (open > 1) problems->push_back(name + ": redeemed " + std::to_string(open) + " times");
        if (redeemed.Text(1) == "redeemed" && open == 0) problems->push_back(name + ": redeemed without a redemption");
    }));
    return Status::Ok();
}

}  // namespace siyu::loyalty
