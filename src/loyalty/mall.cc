#include "loyalty/mall.h"

#include <set>

#include "base/strings.h"
#include "loyalty/coupons.h"
#include "loyalty/loyalty.h"
#include "loyalty/points_ledger.h"

namespace siyu::loyalty {

namespace {

using store::Connection;

Status Conflict(std::string field, std::string message) {
    return Status(StatusCode::kFailedPrecondition, std::move(message), std::move(field));
}

struct Item {
    int64_t id = 0;
    std::string name;
    std::string kind;  // gift, coupon, limited
    std::string description;
    std::optional<std::string> image_url;
    int64_t points_price = 0;
    std::optional<int64_t> stock;
    std::optional<int64_t> per_customer_limit;
    std::optional<int64_t> coupon_template_id;
    std::optional<TimeMs> valid_from;
    std::optional<TimeMs> valid_to;
    std::string status = "active";
    TimeMs created_at = 0;
    TimeMs updated_at = 0;
};

constexpr const char* kItemColumns =
    "SELECT id, name, kind, description, image_url, points_price, stock, per_customer_limit, coupon_template_id, "
    "valid_from, valid_to, status, created_at, updated_at FROM mall_items ";

Item ReadItem(const store::Statement& s) {
    Item i;
    i.id = s.Int(0);
    i.name = s.Text(1);
    i.kind = s.Text(2);
    i.description = s.Text(3);
    i.image_url = s.OptText(4);
    i.points_price = s.Int(5);
    i.stock = s.OptInt(6);
    i.per_customer_limit = s.OptInt(7);
    i.coupon_template_id = s.OptInt(8);
    i.valid_from = s.OptInt(9);
    i.valid_to = s.OptInt(10);
    i.status = s.Text(11);
    i.created_at = s.Int(12);
    i.updated_at = s.Int(13);
    return i;
}

Result<Item> LoadItem(Connection& c, int64_t tenant_id, int64_t id) {
    SIYU_ASSIGN_OR_RETURN(auto stmt, c.Prepare(std::string(kItemColumns) + "WHERE tenant_id = ? AND id = ?"));
    stmt.Bind(1, tenant_id).Bind(2, id);
    SIYU_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) return Status::NotFound("mall item " + std::to_string(id) + " not found");
    return ReadItem(stmt);
}

Json TimeOrNull(std::optional<TimeMs> t) { return t ? Json(FormatRfc3339(*t)) : Json(nullptr); }
Json IntOrNull(std::optional<int64_t> v) { return v ? Json(*v) : Json(nullptr); }

Json ItemJson(const Item& i) {
    return {{"id", i.id},
            {"name", i.name},
            {"kind", i.kind},
            {"description", i.description},
            {"image_url", i.image_url ? Json(*i.image_url) : Json(nullptr)},
            {"points_price", i.points_price},
            {"stock", IntOrNull(i.stock)},
            {"per_customer_limit", IntOrNull(i.per_customer_limit)},
            {"coupon_template_id", IntOrNull(i.coupon_template_id)},
            {"valid_from", TimeOrNull(i.valid_from)},
            {"valid_to", TimeOrNull(i.valid_to)},
            {"status", i.status},
            {"created_at", FormatRfc3339(i.created_at)},
            {"updated_at", FormatRfc3339(i.updated_at)}};
}

// Applies the fields present in `body` onto `item`; `creating` allows kind and
// coupon_template_id and requires the mandatory fields.
Status ApplyItemInput(const Json& body, bool creating, Item* item) {
    if (!body.is_object()) return Status(StatusCode::kInvalidJson, "the body must be a JSON object");
    static const std::set<std::string> kKnown = {"name",   "kind",       "description", "image_url",
                                                 "points_price", "stock", "per_customer_limit",
                                                 "coupon_template_id", "valid_from", "valid_to", "status"};
    for (const auto& [key, value] : body.items()) {
        if (!kKnown.count(key)) return Status(StatusCode::kUnknownField, "unknown field '" + key + "'", key);
        if (!creating && (key == "kind" || key == "coupon_template_id")) {
            return Status::InvalidArgument(key, "cannot be changed; create a new item");
        }
    }
    auto text = [&](const char* field, int64_t max, bool required, std::string* out) -> Status {
        auto it = body.find(field);
        if (it == body.end()) return required ? Status::InvalidArgument(field, "is required") : Status::Ok();
        if (!it->is_string()) return Status::InvalidArgument(field, "must be a string");
        std::string v(Trim(it->get<std::string>()));
        if (required && v.empty()) return Status::InvalidArgument(field, "must not be empty");
        if (Utf8Length(v) > max) return Status::InvalidArgument(field, "at most " + std::to_string(max) + " characters");
        *out = std::move(v);
        return Status::Ok();
    };
    // absent: unchanged; null: cleared (when `nullable`).
    auto number = [&](const char* field, int64_t min, int64_t max, bool nullable,
                      std::optional<int64_t>* out) -> Status {
        auto it = body.find(field);
        if (it == body.end()) return Status::Ok();
        if (it->is_null() && nullable) {
            out->reset();
            return Status::Ok();
        }
        if (!it->is_number_integer() || it->get<int64_t>() < min || it->get<int64_t>() > max) {
            return Status::InvalidArgument(field, "must be a whole number from " + std::to_string(min) + " to " +
                                                      std::to_string(max) + (nullable ? " or null" : ""));
        }
        *out = it->get<int64_t>();
        return Status::Ok();
    };
    auto time = [&](const char* field, std::optional<TimeMs>* out) -> Status {
        auto it = body.find(field);
        if (it == body.end()) return Status::Ok();
        if (it->is_null()) {
            out->reset();
            return Status::Ok();
        }
        auto ms = it->is_string() ? ParseRfc3339(it->get<std::string>()) : std::nullopt;
        if (!ms) return Status::InvalidArgument(field, "must be an RFC 3339 time or null");
        *out = *ms;
        return Status::Ok();
    };
    SIYU_RETURN_IF_ERROR(text("name", 50, creating || body.contains("name"), &item->name));
    if (creating) {
        SIYU_RETURN_IF_ERROR(text("kind", 20, true, &item->kind));
        if (item->kind != "gift" && item->kind != "coupon" && item->kind != "limited") {
            return Status::InvalidArgument("kind", "must be gift, coupon or limited");
        }
    }
    SIYU_RETURN_IF_ERROR(text("description", 500, false, &item->description));
    if (body.contains("image_url") && body["image_url"].is_null()) {
        item->image_url.reset();
    } else {
        std::string url;
        SIYU_RETURN_IF_ERROR(text("image_url", 500, false, &url));
        if (!url.empty()) item->image_url = url;
    }
    std::optional<int64_t> price = item->points_price > 0 ? std::optional<int64_t>(item->points_price) : std::nullopt;
    SIYU_RETURN_IF_ERROR(number("points_price", 1, 1'000'000'000, false, &price));
    if (!price) return Status::InvalidArgument("points_price", "is required: the price in points");
    item->points_price = *price;
    SIYU_RETURN_IF_ERROR(number("stock", 0, 100'000'000, true, &item->stock));
    SIYU_RETURN_IF_ERROR(number("per_customer_limit", 1, 1000, true, &item->per_customer_limit));
    if (creating) {
        SIYU_RETURN_IF_ERROR(number("coupon_template_id", 1, INT64_MAX, false, &item->coupon_template_id));
        if (item->kind == "coupon" && !item->coupon_template_id) {
            return Status::InvalidArgument("coupon_template_id", "is required for a coupon reward");
        }
        if (item->kind != "coupon" && item->coupon_template_id) {
            return Status::InvalidArgument("coupon_template_id", "only for coupon rewards");
        }
    }
    SIYU_RETURN_IF_ERROR(time("valid_from", &item->valid_from));
    SIYU_RETURN_IF_ERROR(time("valid_to", &item->valid_to));
    if (item->valid_from && item->valid_to && *item->valid_to <= *item->valid_from) {
        return Status::InvalidArgument("valid_to", "must be after valid_from");
    }
    if (body.contains("status")) {
        SIYU_RETURN_IF_ERROR(text("status", 20, true, &item->status));
        bool ok = item->status == "active" || item->status == "paused" || (!creating && item->status == "archived");
        if (!ok) return Status::InvalidArgument("status", creating ? "must be active or paused"
                                                                   : "must be active, paused or archived");
    }
    return Status::Ok();
}

struct ExchangeRow {
    int64_t id = 0;
    int64_t item_id = 0;
    int64_t customer_id = 0;
    int64_t quantity = 0;
    int64_t points = 0;
    std::string status;
    int64_t entry_id = 0;
    std::vector<int64_t> coupon_ids;
    TimeMs created_at = 0;
    std::optional<TimeMs> cancelled_at;
    std::string item_name;
    std::string kind;
};

constexpr const char* kExchangeColumns =
    "SELECT e.id, e.item_id, e.customer_id, e.quantity, e.points, e.status, e.entry_id, e.coupon_ids, e.created_at, "
    "e.cancelled_at, i.name, i.kind FROM mall_exchanges e JOIN mall_items i ON i.id = e.item_id ";

ExchangeRow ReadExchange(const store::Statement& s) {
    ExchangeRow e;
    e.id = s.Int(0);
    e.item_id = s.Int(1);
    e.customer_id = s.Int(2);
    e.quantity = s.Int(3);
    e.points = s.Int(4);
    e.status = s.Text(5);
    e.entry_id = s.Int(6);
    Json ids = Json::parse(s.Text(7), nullptr, false);
    if (ids.is_array()) e.coupon_ids = ids.get<std::vector<int64_t>>();
    e.created_at = s.Int(8);
    e.cancelled_at = s.OptInt(9);
    e.item_name = s.Text(10);
    e.kind = s.Text(11);
    return e;
}

Json ExchangeJson(const ExchangeRow& e) {
    return {{"id", e.id},
            {"item_id", e.item_id},
            {"item_name", e.item_name},
            {"kind", e.kind},
            {"customer_id", e.customer_id},
            {"quantity", e.quantity},
            {"points", e.points},
            {"status", e.status},
            {"points_entry_id", e.entry_id},
            {"coupon_ids", e.coupon_ids},
            {"created_at", FormatRfc3339(e.created_at)},
            {"cancelled_at", TimeOrNull(e.cancelled_at)}};
}

}  // namespace

Result<Json> Mall::CreateItem(int64_t tenant_id, const Json& body, const auth::Actor& actor) {
    Item item;
    SIYU_RETURN_IF_ERROR(ApplyItemInput(body, true, &item));
    Json out;
    SIYU_RETURN_IF_ERROR(loyalty_->exec().Write(tenant_id, [&](Tx& tx) -> Status {
        if (item.coupon_template_id) {
            SIYU_ASSIGN_OR_RETURN(auto t, tx.c().Prepare("SELECT status FROM coupon_templates WHERE tenant_id = ? AND "
                                                         "id = ?"));
            t.Bind(1, tenant_id).Bind(2, *item.coupon_template_id);
            SIYU_ASSIGN_OR_RETURN(bool row, t.Step());
            if (!row) return Status::InvalidArgument("coupon_template_id", "unknown coupon template");
            if (t.Text(0) == "archived") return Status::InvalidArgument("coupon_template_id", "template is archived");
        }
        SIYU_ASSIGN_OR_RETURN(auto stmt, tx.c().Prepare("INSERT INTO mall_items(tenant_id, name, kind, description, "
                                                        "image_url, points_price, stock, per_customer_limit, "
                                                        "coupon_template_id, valid_from, valid_to, status, created_at, "
                                                        "updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)"));
        SIYU_RETURN_IF_ERROR(stmt.Bind(1, tenant_id)
                                 .Bind(2, item.name)
                                 .Bind(3, item.kind)
                                 .Bind(4, item.description)
                                 .Bind(5, item.image_url)
                                 .Bind(6, item.points_price)
                                 .Bind(7, item.stock)
                                 .Bind(8, item.per_customer_limit)
                                 .Bind(9, item.coupon_template_id)
                                 .Bind(10, item.valid_from)
                                 .Bind(11, item.valid_to)
                                 .Bind(12, item.status)
                                 .Bind(13, tx.now())
                                 .Bind(14, tx.now())
                                 .Run());
        item.id = tx.c().LastInsertId();
        item.created_at = item.updated_at = tx.now();
        out = ItemJson(item);
        return tx.Audit(actor, "mall_item.create", "mall_item", std::to_string(item.id), body);
    }));
    return out;
}

Result<Json> Mall::UpdateItem(int64_t tenant_id, int64_t id, const Json& patch, const auth::Actor& actor) {
    Json out;
    SIYU_RETURN_IF_ERROR(loyalty_->exec().Write(tenant_id, [&](Tx& tx) -> Status {
        SIYU_ASSIGN_OR_RETURN(Item item, LoadItem(tx.c(), tenant_id, id));
        SIYU_RETURN_IF_ERROR(ApplyItemInput(patch, false, &item));
        SIYU_ASSIGN_OR_RETURN(auto stmt, tx.c().Prepare("UPDATE mall_items SET name = ?, description = ?, image_url = "
                                                        "?, points_price = ?, stock = ?, per_customer_limit = ?, "
                                                        "valid_from = ?, valid_to = ?, status = ?, updated_at = ? "
                                                        "WHERE id = ? AND tenant_id = ?"));
        SIYU_RETURN_IF_ERROR(stmt.Bind(1, item.name)
                                 .Bind(2, item.description)
                                 .Bind(3, item.image_url)
                                 .Bind(4, item.points_price)
                                 .Bind(5, item.stock)
                                 .Bind(6, item.per_customer_limit)
                                 .Bind(7, item.valid_from)
                                 .Bind(8, item.valid_to)
                                 .Bind(9, item.status)
                                 .Bind(10, tx.now())
                                 .Bind(11, id)
                                 .Bind(12, tenant_id)
                                 .Run());
        item.updated_at = tx.now();
        out = ItemJson(item);
        return tx.Audit(actor, "mall_item.update", "mall_item", std::to_string(id), patch);
    }));
    return out;
}

Result<Json> Mall::GetItem(int64_t tenant_id, int64_t id) {
    Json out;
    SIYU_RETURN_IF_ERROR(loyalty_->exec().db()->Read([&](Connection& c) -> Status {
        SIYU_ASSIGN_OR_RETURN(Item item, LoadItem(c, tenant_id, id));
        out = ItemJson(item);
        return Status::Ok();
    }));
    return out;
}

Result<Json> Mall::ListItems(int64_t tenant_id, std::optional<std::string> status, int limit,
                             std::optional<int64_t> after_id) {
    return ListCatalogue(*loyalty_->exec().db(), kItemColumns, tenant_id, status, limit, after_id,
                         [](store::Statement& stmt) {
                             Item item = ReadItem(stmt);
                             return std::make_pair(item.id, ItemJson(item));
                         });
}

Result<Outcome> Mall::Exchange(const Request& r, int64_t item_id, int64_t customer_id, int64_t quantity) {
    if (quantity < 1 || quantity > 100) return Status::InvalidArgument("quantity", "must be from 1 to 100");
    return loyalty_->exec().Run(
        r, "mall.exchange",
        [&](Tx& tx) -> Result<Json> {
            SIYU_ASSIGN_OR_RETURN(Item item, LoadItem(tx.c(), tx.tenant(), item_id));
            if (item.status != "active") return Conflict("item_id", "mall item " + item.name + " is " + item.status);
            if (item.valid_from && tx.now() < *item.valid_from) {
                return Conflict("item_id", "mall item " + item.name + " is available from " +
                                               FormatRfc3339(*item.valid_from));
            }
            if (item.valid_to && tx.now() >= *item.valid_to) {
                return Conflict("item_id", "mall item " + item.name + " was available until " +
                                               FormatRfc3339(*item.valid_to));
            }
            SIYU_ASSIGN_OR_RETURN(Member m, tx.LoadMember(customer_id));
            if (item.per_customer_limit) {
                SIYU_ASSIGN_OR_RETURN(auto had, tx.c().Prepare("SELECT COALESCE(SUM(quantity), 0) FROM mall_exchanges "
                                                               "WHERE item_id = ? AND customer_id = ? AND status = "
                                                               "'done'"));
                had.Bind(1, item_id).Bind(2, m.customer_id);
                SIYU_ASSIGN_OR_RETURN(bool row, had.Step());
                int64_t before = row ? had.Int(0) : 0;
                had.Reset();
                if (before + quantity > *item.per_customer_limit) {
                    return Conflict("quantity", "at most " + std::to_string(*item.per_customer_limit) +
                                                    " per customer; this member has exchanged " +
                                                    std::to_string(before));
                }
            }
            SIYU_ASSIGN_OR_RETURN(auto take, tx.c().Prepare("UPDATE mall_items SET stock = stock - ?, updated_at = ? "
                                                            "WHERE id = ? AND stock IS NOT NULL AND stock >= ?"));
            if (item.stock) {
                SIYU_RETURN_IF_ERROR(take.Bind(1, quantity).Bind(2, tx.now()).Bind(3, item_id).Bind(4, quantity).Run());
                if (tx.c().Changes() != 1) {
                    return Conflict("quantity", "out of stock: " + std::to_string(*item.stock) + " left");
                }
            }
            int64_t points = item.points_price * quantity;
            SIYU_ASSIGN_OR_RETURN(auto ins, tx.c().Prepare("INSERT INTO mall_exchanges(tenant_id, item_id, customer_id, "
                                                           "quantity, points, status, entry_id, created_at) VALUES "
                                                           "(?,?,?,?,?,'done',0,?)"));
            SIYU_RETURN_IF_ERROR(ins.Bind(1, tx.tenant())
                                     .Bind(2, item_id)
                                     .Bind(3, m.customer_id)
                                     .Bind(4, quantity)
                                     .Bind(5, points)
                                     .Bind(6, tx.now())
                                     .Run());
            ExchangeRow e;
            e.id = tx.c().LastInsertId();
            e.item_id = item_id;
            e.customer_id = m.customer_id;
            e.quantity = quantity;
            e.points = points;
            e.status = "done";
            e.created_at = tx.now();
            e.item_name = item.name;
            e.kind = item.kind;
            EntryMeta meta;
            meta.reason = "积分商城兑换：" + item.name;
            meta.source_type = "mall";
            meta.source_id = std::to_string(e.id);
            meta.operator_name = r.actor.name;
            meta.idempotency_key = r.idempotency_key;
            meta.event_properties = {{"exchange_id", e.id}, {"item_id", item_id}, {"item_name", item.name}};
            auto paid = Debit(tx, m, EntryType::kRedeem, points, meta);
            if (!paid.ok()) {
                if (paid.status().code() == StatusCode::kFailedPrecondition) {
                    return Conflict("customer_id", "not enough points: " + std::to_string(points) + " needed, " +
                                                       std::to_string(m.points) + " available");
                }
                return paid.status();
            }
            e.entry_id = paid.value().entry_id;
            SIYU_RETURN_IF_ERROR(tx.SaveMember(m));
            Json coupons = Json::array();
            if (item.kind == "coupon") {
                IssueSource source{"mall", std::to_string(e.id)};
                for (int64_t i = 0; i < quantity; ++i) {
                    SIYU_ASSIGN_OR_RETURN(Json coupon,
                                          loyalty_->coupons().IssueIn(tx, *item.coupon_template_id, m.customer_id,
                                                                      source));
                    e.coupon_ids.push_back(coupon["id"].get<int64_t>());
                    coupons.push_back(std::move(coupon));
                }
            }
            SIYU_ASSIGN_OR_RETURN(auto upd,
                                  tx.c().Prepare("UPDATE mall_exchanges SET entry_id = ?, coupon_ids = ? WHERE id = ?"));
            SIYU_RETURN_IF_ERROR(upd.Bind(1, e.entry_id).Bind(2, Json(e.coupon_ids).dump()).Bind(3, e.id).Run());
            SIYU_RETURN_IF_ERROR(tx.Emit(m.customer_id, "Reward Exchanged",
                                         {{"exchange_id", e.id},
                                          {"item_id", item_id},
                                          {"item_name", item.name},
                                          {"kind", item.kind},
                                          {"quantity", quantity},
                                          {"points", points}}));
            Json out = ExchangeJson(e);
            out["coupons"] = coupons;
            out["points_balance"] = m.points;
            return out;
        },
        201);
}

Result<Outcome> Mall::Cancel(const Request& r, int64_t exchange_id, const std::string& reason) {
    return loyalty_->exec().Run(r, "mall.cancel", [&](Tx& tx) -> Result<Json> {
        SIYU_ASSIGN_OR_RETURN(auto find, tx.c().Prepare(std::string(kExchangeColumns) +
                                                        "WHERE e.tenant_id = ? AND e.id = ?"));
        find.Bind(1, tx.tenant()).Bind(2, exchange_id);
        SIYU_ASSIGN_OR_RETURN(bool row, find.Step());
        if (!row) return Status::NotFound("exchange " + std::to_string(exchange_id) + " not found");
        ExchangeRow e = ReadExchange(find);
        find.Reset();
        if (e.status != "done") return Conflict("id", "exchange " + std::to_string(exchange_id) + " is " + e.status);
        SIYU_ASSIGN_OR_RETURN(auto coupon, tx.c().Prepare("SELECT status FROM coupons WHERE id = ?"));
        for (int64_t id : e.coupon_ids) {
            coupon.Bind(1, id);
            SIYU_ASSIGN_OR_RETURN(bool found, coupon.Step());
            std::string status = found ? coupon.Text(0) : "";
            coupon.Reset();
            if (status == "redeemed") {
                return Conflict("id", "coupon " + std::to_string(id) + " of this exchange was redeemed; reverse it "
                                                                       "first");
            }
        }
        SIYU_ASSIGN_OR_RETURN(auto void_coupon, tx.c().Prepare("UPDATE coupons SET status = 'void' WHERE id = ? AND "
                                                               "status IN ('issued', 'expired')"));
        for (int64_t id : e.coupon_ids) SIYU_RETURN_IF_ERROR(void_coupon.Bind(1, id).Run());
        SIYU_ASSIGN_OR_RETURN(Member m, tx.LoadMemberExact(e.customer_id));
        EntryMeta meta;
        meta.reason = reason.empty() ? "积分商城兑换取消" : reason;
        meta.source_type = "mall";
        meta.source_id = std::to_string(e.id);
        meta.operator_name = r.actor.name;
        meta.idempotency_key = r.idempotency_key;
        meta.event_properties = {{"exchange_id", e.id}, {"item_id", e.item_id}, {"item_name", e.item_name}};
        SIYU_RETURN_IF_ERROR(Restore(tx, m, EntryType::kReverse, e.entry_id, e.points, meta).status());
        SIYU_RETURN_IF_ERROR(tx.SaveMember(m));
        SIYU_ASSIGN_OR_RETURN(auto give_back, tx.c().Prepare("UPDATE mall_items SET stock = stock + ?, updated_at = ? "
                                                             "WHERE id = ? AND stock IS NOT NULL"));
        SIYU_RETURN_IF_ERROR(give_back.Bind(1, e.quantity).Bind(2, tx.now()).Bind(3, e.item_id).Run());
        SIYU_ASSIGN_OR_RETURN(auto upd, tx.c().Prepare("UPDATE mall_exchanges SET status = 'cancelled', cancelled_at "
                                                       "= ? WHERE id = ?"));
        SIYU_RETURN_IF_ERROR(upd.Bind(1, tx.now()).Bind(2, e.id).Run());
        Json props = {{"exchange_id", e.id},  {"item_id", e.item_id}, {"item_name", e.item_name},
                      {"quantity", e.quantity}, {"points", e.points}, {"reason", reason}};
        SIYU_RETURN_IF_ERROR(tx.Emit(m.customer_id, "Reward Exchange Cancelled", props));
        SIYU_RETURN_IF_ERROR(tx.Audit(r.actor, "mall_exchange.cancel", "mall_exchange", std::to_string(e.id), props));
        e.status = "cancelled";
        e.cancelled_at = tx.now();
        Json out = ExchangeJson(e);
        out["points_balance"] = m.points;
        return out;
    });
}

Result<Json> Mall::ListExchanges(int64_t tenant_id, int64_t customer_id, int limit, std::optional<int64_t> before_id) {
    Json data = Json::array();
    std::optional<int64_t> last;
    SIYU_RETURN_IF_ERROR(loyalty_->exec().db()->Read([&](Connection& c) -> Status {
        SIYU_ASSIGN_OR_RETURN(auto root, c.Prepare("SELECT COALESCE(merged_into, id) FROM customers WHERE id = ? AND "
                                                   "tenant_id = ? AND deleted_at IS NULL"));
        root.Bind(1, customer_id).Bind(2, tenant_id);
        SIYU_ASSIGN_OR_RETURN(bool found, root.Step());
        if (!found) return Status::NotFound("customer " + std::to_string(customer_id) + " not found");
        int64_t survivor = root.Int(0);
        root.Reset();
        SIYU_ASSIGN_OR_RETURN(auto stmt, c.Prepare(std::string(kExchangeColumns) +
                                                   "WHERE e.tenant_id = ? AND e.customer_id IN (SELECT id FROM "
                                                   "customers WHERE id = ? OR merged_into = ?) AND e.id < ? ORDER BY "
                                                   "e.id DESC LIMIT ?"));
        stmt.Bind(1, tenant_id)
            .Bind(2, survivor)
            .Bind(3, survivor)
            .Bind(4, before_id.value_or(INT64_MAX))
            .Bind(5, int64_t{limit});
        return stmt.ForEachRow([&] {
            ExchangeRow e = ReadExchange(stmt);
            last = e.id;
            data.push_back(ExchangeJson(e));
        });
    }));
    return PageJson(std::move(data), last, limit, {{"customer_id", customer_id}});
}

Status Mall::Sweep(int64_t tenant_id) {
    (void)tenant_id;
    return Status::Ok();
}

Status VerifyMall(store::Connection& c, int64_t tenant_id, std::vector<std::string>* problems, int64_t* exchanges) {
    SIYU_ASSIGN_OR_RETURN(auto count, c.Prepare("SELECT COUNT(*) FROM mall_exchanges WHERE tenant_id = ?"));
    count.Bind(1, tenant_id);
    SIYU_ASSIGN_OR_RETURN(bool row, count.Step());
    *exchanges = row ? count.Int(0) : 0;
    count.Reset();
    SIYU_ASSIGN_OR_RETURN(auto stock, c.Prepare("SELECT id, stock FROM mall_items WHERE tenant_id = ? AND stock < 0"));
    stock.Bind(1, tenant_id);
    SIYU_RETURN_IF_ERROR(stock.ForEachRow([&] {
        problems->push_back("mall item " + std::to_string(stock.Int(0)) + ": stock is negative (" +
                            std::to_string(stock.Int(1)) + ")");
    }));
    SIYU_ASSIGN_OR_RETURN(auto limits,
                          c.Prepare("SELECT e.item_id, e.customer_id, SUM(e.quantity), i.per_customer_limit FROM "
                                    "mall_exchanges e JOIN mall_items i ON i.id = e.item_id WHERE e.tenant_id = ? AND "
                                    "e.status = 'done' AND i.per_customer_limit IS NOT NULL GROUP BY e.item_id, "
                                    "e.customer_id HAVING SUM(e.quantity) > i.per_customer_limit"));
    limits.Bind(1, tenant_id);
    SIYU_RETURN_IF_ERROR(limits.ForEachRow([&] {
        problems->push_back("mall item " + std::to_string(limits.Int(0)) + ": customer " +
                            std::to_string(limits.Int(1)) + " exchanged " + std::to_string(limits.Int(2)) +
                            " over the limit of " + std::to_string(limits.Int(3)));
    }));
    SIYU_ASSIGN_OR_RETURN(auto paid, c.Prepare("SELECT e.id, e.points, p.id, p.amount, p.type, p.customer_id = "
                                               "e.customer_id FROM mall_exchanges e LEFT JOIN points_entries p ON "
                                               "p.id = e.entry_id AND p.tenant_id = e.tenant_id WHERE e.tenant_id = "
                                               "? AND e.status = 'done'"));
    paid.Bind(1, tenant_id);
    SIYU_RETURN_IF_ERROR(paid.ForEachRow([&] {
        std::string name = "mall exchange " + std::to_string(paid.Int(0));
        if (paid.IsNull(2)) {
            problems->push_back(name + ": no points entry");
        } else if (paid.Int(3) != -paid.Int(1) || paid.Text(4) != "redeem" || paid.Int(5) == 0) {
            problems->push_back(name + ": its points entry " + std::to_string(paid.Int(2)) + " does not take its " +
                                std::to_string(paid.Int(1)) + " points from the member");
        }
    }));
    return Status::Ok();
}

}  // namespace siyu::loyalty
