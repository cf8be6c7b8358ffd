#include "cdp/order_import.h"

#include <chrono>
#include <limits>
#include <optional>
#include <unordered_map>
#include <unordered_set>

#include "base/json_writer.h"
#include "base/money.h"
#include "base/strings.h"
#include "base/time.h"

namespace siyu::cdp {

namespace {

// Positions in OrderFields().
enum OrderField : size_t {
    kOrderId,
    kSku,
    kName,
    kQuantity,
    kOrderedAt,
    kUnitPrice,
    kCustomerId,
    kCountry,
    kCategory,
    kStoreCode,
    kCurrency,
};

constexpr TimeMs kEarliest = 946'684'800'000;  // 2000-01-01T00:00:00Z
constexpr TimeMs kMaxFutureMs = 24LL * 3600 * 1000;
constexpr size_t kMaxOrderIdLength = 80;  // the message id adds "import:order:"
constexpr size_t kMaxIdLength = 200;
constexpr size_t kMaxTextLength = 500;
constexpr int64_t kMaxQuantity = 1'000'000'000;
constexpr int64_t kProgressEveryRows = 16'384;

struct Line {
    std::string sku;
    std::string name;
    std::string category;
    int64_t quantity = 0;  // as written: negative on refund lines
    int64_t price = 0;     // minor units
};

// An order whose rows are still being read.
struct PendingOrder {
    int64_t first_line = 0;
    int64_t rows = 0;
    std::vector<Line> lines;
    std::vector<int64_t> bad_lines;
    bool customer_seen = false;
    std::string customer;  // empty: a guest order
    int64_t customer_line = 0;
    std::string currency;
    int64_t currency_line = 0;
    std::string country;
    std::string store_code;
    TimeMs time = std::numeric_limits<TimeMs>::max();
};

// One run of ImportOrders.
class OrderImport {
  public:
    OrderImport(CsvReader& csv, EventIngestor& ingestor, const OrderImportOptions& options)
        : csv_(csv), ingestor_(ingestor), opts_(options), now_(NowMs()) {}

    Result<OrderImportResult> Run() {
        auto started = std::chrono::steady_clock::now();
        SIYU_ASSIGN_OR_RETURN(layout_, ReadHeader(csv_, OrderFields(), opts_.mapping));
        SIYU_RETURN_IF_ERROR(CountRows());
        SIYU_RETURN_IF_ERROR(csv_.Rewind());
        SIYU_ASSIGN_OR_RETURN(bool header, csv_.Next());
        if (!header) return Status::FailedPrecondition("the file changed while it was imported");
        SIYU_RETURN_IF_ERROR(ReadOrders());
        result_.customers = static_cast<int64_t>(customers_.size());
        result_.duration_ms =
            std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count();
        Progress("importing");
        return result_;
    }

  private:
    // Field `field` of the current record, trimmed; empty when the file or the row lacks it.
    // Both passes read the order id through this.
    std::string_view Field(size_t field) const {
        if (!layout_.has(field)) return {};
        size_t i = static_cast<size_t>(layout_.index(field));
        const auto& f = csv_.fields();
        return i < f.size() ? Trim(f[i]) : std::string_view();
    }

    Status Cancelled() const {
        if (opts_.hooks.cancel && opts_.hooks.cancel->load()) return Status::Unavailable("the import was cancelled");
        return Status::Ok();
    }

    void Progress(std::string_view phase) {
        if (!opts_.hooks.on_progress) return;
        ImportProgress p;
        p.phase = phase;
        p.rows = phase == "scanning" ? total_rows_ : result_.rows;
        p.total_rows = phase == "scanning" ? -1 : total_rows_;
        p.written = written_;
        p.bytes = csv_.consumed_bytes();
        p.total_bytes = csv_.total_bytes();
        opts_.hooks.on_progress(p);
    }

    void Report(int64_t line, const std::string& column, std::string reason) {
        if (opts_.hooks.on_error) opts_.hooks.on_error(ImportError{line, column, std::move(reason)});
    }

    // First pass: how many rows each order has, so that the second pass knows when an
    // order is complete.
    Status CountRows() {
        while (true) {
            SIYU_ASSIGN_OR_RETURN(bool row, csv_.Next());
            if (!row) break;
            ++total_rows_;
            std::string_view id = Field(kOrderId);
            if (!id.empty()) ++remaining_[std::string(id)];
            if (total_rows_ % kProgressEveryRows == 0) {
                SIYU_RETURN_IF_ERROR(Cancelled());
                Progress("scanning");
            }
        }
        Progress("scanning");
        return Status::Ok();
    }

    Status ReadOrders() {
        while (true) {
            SIYU_ASSIGN_OR_RETURN(bool row, csv_.Next());
            if (!row) break;
            ++result_.rows;
            SIYU_RETURN_IF_ERROR(ReadRow());
            if (result_.rows % kProgressEveryRows == 0) {
                SIYU_RETURN_IF_ERROR(Cancelled());
                Progress("importing");
            }
        }
        // Orders left open only when the file changed between the passes.
        std::vector<std::string> left;
        for (const auto& [id, order] : open_) left.push_back(id);
        for (const auto& id : left) SIYU_RETURN_IF_ERROR(Finish(id));
        return Flush();
    }

    Status ReadRow() {
        int64_t line = csv_.line();
        std::string_view id = Field(kOrderId);
        bool row_ok = true;
        if (csv_.unterminated()) {
            Report(line, "", "a quoted field is not closed before the end of the file");
            row_ok = false;
        } else if (csv_.fields().size() != layout_.header_size()) {
            Report(line, "",
                   "has " + std::to_string(csv_.fields().size()) + " fields; the header has " +
                       std::to_string(layout_.header_size()));
            row_ok = false;
        }
        if (id.empty()) {
            if (row_ok) Report(line, layout_.column(kOrderId), "is empty");
            ++result_.rejected_rows;
            return Status::Ok();
        }
        std::string key(id);
        auto [it, created] = open_.try_emplace(key);
        PendingOrder& order = it->second;
        if (created) order.first_line = line;
        ++order.rows;
        if (!row_ok || !ReadLine(line, key, &order)) order.bad_lines.push_back(line);
        auto left = remaining_.find(key);
        if (left != remaining_.end() && --left->second <= 0) {
            remaining_.erase(left);
            return Finish(key);
        }
        return Status::Ok();
    }

    // Checks one order line and adds it to `order`; false (after reporting) when bad.
    bool ReadLine(int64_t line, const std::string& order_id, PendingOrder* order) {
        bool ok = true;
        auto bad = [&](size_t field, std::string reason) {
            Report(line, layout_.column(field), std::move(reason));
            ok = false;
        };
        auto text = [&](size_t field, size_t max_length) -> std::string {
            std::string_view v = Field(field);
            int64_t length = Utf8Length(v);
            if (length < 0) {
                bad(field, "is not valid UTF-8 (save the file as UTF-8)");
                return {};
            }
            if (static_cast<size_t>(length) > max_length) {
                bad(field, "is longer than " + std::to_string(max_length) + " characters");
                return {};
            }
            return std::string(v);
        };
        bool refund = !opts_.refund_prefix.empty() && StartsWith(order_id, opts_.refund_prefix);
        if (order_id.size() > kMaxOrderIdLength) {
            bad(kOrderId, "is longer than " + std::to_string(kMaxOrderIdLength) + " characters");
        } else if (Utf8Length(order_id) < 0) {
            bad(kOrderId, "is not valid UTF-8 (save the file as UTF-8)");
        }

        Line out;
        out.sku = text(kSku, kMaxIdLength);
        if (ok && out.sku.empty()) bad(kSku, "is empty");
        out.name = text(kName, kMaxTextLength);
        out.category = text(kCategory, kMaxTextLength);

        std::string currency = opts_.currency;
        if (layout_.has(kCurrency) && !Field(kCurrency).empty()) {
            currency = ToUpper(Field(kCurrency));
            if (!IsCurrencyCode(currency)) {
                bad(kCurrency, "must be a three-letter ISO 4217 code, not '" + std::string(Field(kCurrency)) + "'");
                currency = opts_.currency;
            }
        }

        std::string_view qty_text = Field(kQuantity);
        auto qty = ParseMinorUnits(qty_text, 0, layout_.column(kQuantity));
        if (!qty.ok()) {
            bad(kQuantity, "must be a whole number, not '" + std::string(qty_text) + "'");
        } else if (qty.value() == 0) {
            bad(kQuantity, "must not be 0");
        } else if (qty.value() > kMaxQuantity || qty.value() < -kMaxQuantity) {
            bad(kQuantity, "is too large");
        } else if (qty.value() < 0 && !refund) {
            bad(kQuantity,
                "is negative on an order that is not a refund" +
                    (opts_.refund_prefix.empty() ? std::string()
                                                 : " (refund order ids start with '" + opts_.refund_prefix + "')"));
        } else {
            out.quantity = qty.value();
        }

        auto price = ParseMinorUnits(Field(kUnitPrice), CurrencyDecimals(currency), layout_.column(kUnitPrice));
        if (!price.ok()) {
            bad(kUnitPrice, Field(kUnitPrice).empty() ? "is empty" : ErrorReason(price.status()));
        } else if (price.value() < 0) {
            bad(kUnitPrice, "must not be negative");
        } else {
            out.price = price.value();
        }
        int64_t amount = 0;
        if (ok && __builtin_mul_overflow(out.price, out.quantity < 0 ? -out.quantity : out.quantity, &amount)) {
            bad(kUnitPrice, "quantity × price is too large");
        }

        auto time = LocalTime(Field(kOrderedAt));
        if (!time.ok()) {
            bad(kOrderedAt, ErrorReason(time.status()));
        } else if (time.value() < kEarliest) {
            bad(kOrderedAt, "is before 2000-01-01");
        } else if (time.value() > now_ + kMaxFutureMs) {
            bad(kOrderedAt, "is in the future");
        }

        std::string customer(IntegralIdText(Field(kCustomerId)));
        if (Utf8Length(customer) < 0) {
            bad(kCustomerId, "is not valid UTF-8 (save the file as UTF-8)");
        } else if (customer.size() > kMaxIdLength) {
            bad(kCustomerId, "is longer than " + std::to_string(kMaxIdLength) + " characters");
        } else if (!order->customer_seen) {
            order->customer_seen = true;
            order->customer = customer;
            order->customer_line = line;
        } else if (order->customer != customer) {
            bad(kCustomerId, "differs within order " + order_id + ": line " + std::to_string(order->customer_line) +
                                 " has '" + order->customer + "'");
        }
        if (order->currency.empty()) {
            order->currency = currency;
            order->currency_line = line;
        } else if (order->currency != currency) {
            bad(kCurrency, "differs within order " + order_id + ": line " + std::to_string(order->currency_line) +
                               " has " + order->currency);
        }
        std::string country = text(kCountry, kMaxTextLength);
        std::string store = text(kStoreCode, kMaxIdLength);
        if (!ok) return false;
        if (order->country.empty()) order->country = std::move(country);
        if (order->store_code.empty()) order->store_code = std::move(store);
        order->time = std::min(order->time, time.value());
        order->lines.push_back(std::move(out));
        return true;
    }

    // Local order times repeat on consecutive rows; the last one is remembered.
    Result<TimeMs> LocalTime(std::string_view text) {
        if (last_time_ok_ && text == last_time_text_) return last_time_;
        last_time_text_.assign(text);
        auto t = ParseLocalDateTime(text, opts_.time_zone);
        last_time_ok_ = t.ok();
        if (!t.ok()) {
            if (text.empty()) return Status::InvalidArgument("time", "is empty");
            return t.status();
        }
        last_time_ = t.value();
        return t.value();
    }

    Status Finish(const std::string& order_id) {
        auto it = open_.find(order_id);
        if (it == open_.end()) return Status::Ok();
        PendingOrder order = std::move(it->second);
        open_.erase(it);
        if (!order.bad_lines.empty()) {
            ++result_.rejected_orders;
            result_.rejected_rows += order.rows;
            size_t good_rows = static_cast<size_t>(order.rows) - order.bad_lines.size();
            if (good_rows == 0) return Status::Ok();  // every row was reported already
            std::string lines;
            for (size_t i = 0; i < order.bad_lines.size() && i < 10; ++i) {
                lines += (i ? ", " : "") + std::to_string(order.bad_lines[i]);
            }
            if (order.bad_lines.size() > 10) lines += ", ...";
            Report(order.first_line, layout_.column(kOrderId),
                   "order " + order_id + " rejected: " + std::to_string(order.bad_lines.size()) + " of its " +
                       std::to_string(order.rows) + " rows are invalid (line" +
                       (order.bad_lines.size() > 1 ? "s " : " ") + lines + "), so its " + std::to_string(good_rows) +
                       " other row" + (good_rows > 1 ? "s were" : " was") + " not imported either");
            return Status::Ok();
        }
        batch_.push_back(ToMessage(order_id, order));
        if (batch_.size() >= opts_.orders_per_batch) return Flush();
        return Status::Ok();
    }

    TrackingMessage ToMessage(const std::string& order_id, const PendingOrder& order) {
        bool refund = !opts_.refund_prefix.empty() && StartsWith(order_id, opts_.refund_prefix);
        int decimals = CurrencyDecimals(order.currency);
        int64_t total = 0;
        for (const Line& l : order.lines) total += l.price * (l.quantity < 0 ? -l.quantity : l.quantity);
        JsonWriter w;
        w.BeginObject().Key("order_id").String(order_id);
        w.Key("revenue").Raw(FormatMinorUnits(total, decimals)).Key("currency").String(order.currency);
        if (!order.country.empty()) w.Key("country").String(order.country);
        if (!order.store_code.empty()) w.Key("store_code").String(order.store_code);
        w.Key("products").BeginArray();
        for (const Line& l : order.lines) {
            w.BeginObject().Key("product_id").String(l.sku).Key("sku").String(l.sku);
            if (!l.name.empty()) w.Key("name").String(l.name);
            if (!l.category.empty()) w.Key("category").String(l.category);
            w.Key("price").Raw(FormatMinorUnits(l.price, decimals));
            w.Key("quantity").Int(l.quantity < 0 ? -l.quantity : l.quantity).EndObject();
        }
        w.EndArray().EndObject();

        TrackingMessage m;
        m.type = "track";
        m.name = refund ? "Order Refunded" : "Order Completed";
        m.message_id = "import:order:" + order_id;
        m.timestamp = order.time;
        m.properties = w.Take();
        m.context = R"({"library":{"name":"siyu-import"}})";
        m.revenue = total;
        m.currency = order.currency;
        if (order.customer.empty()) {
            m.anonymous_id = "guest:" + order_id;
            m.identifiers.push_back(Identifier{"anonymous_id", *m.anonymous_id, 0});
            ++result_.guest_orders;
        } else {
            m.user_id = order.customer;
            m.identifiers.push_back(Identifier{"user_id", order.customer, 0});
            customers_.insert(order.customer);
        }
        ++(refund ? result_.refunds : result_.orders);
        return m;
    }

    Status Flush() {
        if (batch_.empty()) return Status::Ok();
        SIYU_RETURN_IF_ERROR(Cancelled());
        SIYU_ASSIGN_OR_RETURN(IngestResult r, ingestor_.Ingest(opts_.tenant_id, batch_));
        result_.duplicates += static_cast<int64_t>(r.duplicates);
        written_ += static_cast<int64_t>(batch_.size());
        batch_.clear();
        Progress("importing");
        return Status::Ok();
    }

    static std::string ToUpper(std::string_view s) {
        std::string out(s);
        for (char& c : out) {
            if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
        }
        return out;
    }

    CsvReader& csv_;
    EventIngestor& ingestor_;
    const OrderImportOptions& opts_;
    TimeMs now_;
    ColumnLayout layout_;
    OrderImportResult result_;
    int64_t total_rows_ = 0;
    int64_t written_ = 0;
    std::unordered_map<std::string, int64_t> remaining_;  // rows of each order not yet read
    std::unordered_map<std::string, PendingOrder> open_;
    std::unordered_set<std::string> customers_;
    std::vector<TrackingMessage> batch_;
    std::string last_time_text_;
    TimeMs last_time_ = 0;
    bool last_time_ok_ = false;
};

}  // namespace

bool IsCurrencyCode(std::string_view code) {
    if (code.size() != 3) return false;
    for (char c : code) {
        if (c < 'A' || c > 'Z') return false;
    }
    return true;
}

const std::vector<FieldSpec>& OrderFields() {
    static const std::vector<FieldSpec> kFields = {
        {"order_id", true, {"InvoiceNo", "order_no", "订单号"}},
        {"sku", true, {"StockCode", "product_id", "商品编码"}},
        {"name", false, {"Description", "product_name", "商品名称"}},
        {"quantity", true, {"Quantity", "qty", "数量"}},
        {"ordered_at", true, {"InvoiceDate", "order_time", "下单时间"}},
        {"unit_price", true, {"UnitPrice", "price", "单价"}},
        {"customer_id", false, {"CustomerID", "user_id", "会员ID"}},
        {"country", false, {"Country"}},
        {"category", false, {"Category"}},
        {"store_code", false, {"StoreCode"}},
        {"currency", false, {"Currency"}},
    };
    return kFields;
}

Result<OrderImportResult> ImportOrders(CsvReader& csv, EventIngestor& ingestor, const OrderImportOptions& options) {
    if (options.orders_per_batch == 0) return Status::InvalidArgument("orders_per_batch", "must be positive");
    if (!IsValidTimeZone(options.time_zone)) return Status::InvalidArgument("time_zone", "unknown time zone");
    if (!IsCurrencyCode(options.currency)) {
        return Status::InvalidArgument("currency", "must be a three-letter ISO 4217 code such as CNY or GBP");
    }
    return OrderImport(csv, ingestor, options).Run();
}

}  // namespace siyu::cdp
