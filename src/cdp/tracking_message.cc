#include "cdp/tracking_message.h"

#include <simdjson.h>
#include <zlib.h>

#include <cmath>
#include <cstdio>

#include "base/crypto.h"
#include "base/money.h"
#include "base/strings.h"

namespace siyu::cdp {

namespace {

using simdjson::dom::element;
using simdjson::dom::element_type;
using simdjson::dom::object;

constexpr TimeMs kMaxFutureMs = 24LL * 3600 * 1000;
constexpr TimeMs kEarliest = 946'684'800'000;  // 2000-01-01T00:00:00Z
constexpr size_t kMaxIdLength = 200;

const char* const kTraitIdentifierTypes[] = {"member_no", "wecom_external_userid", "wechat_unionid", "wechat_openid",
                                             "taobao_ouid"};

Status Invalid(const std::string& field, const std::string& message) { return Status::InvalidArgument(field, message); }

std::optional<element> Field(const object& o, std::string_view key) {
    element e;
    if (o.at_key(key).get(e) != simdjson::SUCCESS) return std::nullopt;
    return e;
}

// userId / anonymousId may be strings or numbers (taken as their decimal text).
Result<std::optional<std::string>> IdField(const object& o, std::string_view key) {
    auto e = Field(o, key);
    if (!e || e->is_null()) return std::optional<std::string>();
    std::string value;
    if (e->is_string()) {
        value = std::string(Trim(std::string_view(*e)));
    } else if (e->is_int64()) {
        value = std::to_string(int64_t(*e));
    } else if (e->is_uint64()) {
        value = std::to_string(uint64_t(*e));
    } else if (e->is_double()) {
        double d = double(*e);
        if (!std::isfinite(d)) return Invalid(std::string(key), "must be a string or a number");
        char buf[64];
        if (d == std::floor(d) && std::fabs(d) < 1e15) {
            std::snprintf(buf, sizeof(buf), "%.0f", d);
        } else {
            std::snprintf(buf, sizeof(buf), "%.17g", d);
        }
        value = buf;
    } else {
        return Invalid(std::string(key), "must be a string or a number");
    }
    if (value.empty()) return std::optional<std::string>();
    if (value.size() > kMaxIdLength) return Invalid(std::string(key), "must be at most 200 characters");
    return std::optional<std::string>(value);
}

Result<std::optional<std::string>> StringField(const object& o, std::string_view key, size_t max_len) {
    auto e = Field(o, key);
    if (!e || e->is_null()) return std::optional<std::string>();
    if (!e->is_string()) return Invalid(std::string(key), "must be a string");
    std::string value{std::string_view(*e)};
    if (value.size() > max_len) return Invalid(std::string(key), "is too long");
    return std::optional<std::string>(value);
}

Result<std::optional<TimeMs>> TimeField(const object& o, std::string_view key) {
    SIYU_ASSIGN_OR_RETURN(auto text, StringField(o, key, 64));
    if (!text || text->empty()) return std::optional<TimeMs>();
    auto t = ParseRfc3339(*text);
    if (!t) return Invalid(std::string(key), "must be an ISO 8601 / RFC 3339 date-time");
    return std::optional<TimeMs>(*t);
}

// Checks every money field of `properties` and returns the revenue in minor units, if any.
Status CheckMoney(const object& props, std::string_view currency, std::optional<int64_t>* revenue) {
    for (const char* key : {"revenue", "total", "value", "price", "discount", "subtotal", "shipping", "tax"}) {
        auto e = Field(props, key);
        if (!e || e->is_null()) continue;
        std::string field = std::string("properties.") + key;
        if (!e->is_number()) return Invalid(field, "must be a number");
        SIYU_ASSIGN_OR_RETURN(int64_t minor, ToMinorUnits(double(*e), currency, field));
        if (!*revenue && (std::string_view(key) == "revenue" || std::string_view(key) == "total")) *revenue = minor;
    }
    if (auto products = Field(props, "products"); products && products->is_array()) {
        size_t i = 0;
        for (element p : simdjson::dom::array(*products)) {
            if (p.is_object()) {
                if (auto price = Field(object(p), "price"); price && !price->is_null()) {
                    std::string field = "properties.products[" + std::to_string(i) + "].price";
                    if (!price->is_number()) return Invalid(field, "must be a number");
                    SIYU_RETURN_IF_ERROR(ToMinorUnits(double(*price), currency, field).status());
                }
            }
            ++i;
        }
    }
    return Status::Ok();
}

// Adds an identifier unless an equal one is already listed.
void AddIdentifier(std::vector<Identifier>* ids, std::string type, std::string value) {
    for (const auto& i : *ids) {
        if (i.type == type && i.value == value) return;
    }
    ids->push_back(Identifier{std::move(type), std::move(value), 0});
}

// Reads identifier-bearing traits (phone, email, WeChat / WeCom ids, ...) of `traits`.
Status CollectTraits(const object& traits, const std::string& prefix, TrackingMessage* m) {
    for (auto [key, value] : traits) {
        std::string k(key);
        if (m->traits.size() < 200) m->traits.emplace_back(k, simdjson::minify(value));
        std::string field = prefix + "." + k;
        if (k == "phone" || k == "email") {
            if (value.is_null()) continue;
            if (!value.is_string()) return Invalid(field, "must be a string");
            std::string_view raw(value);
            if (Trim(raw).empty()) continue;
            SIYU_ASSIGN_OR_RETURN(std::string normalized, NormalizeIdentifier(k, std::string(raw), field));
            AddIdentifier(&m->identifiers, k, normalized);
            continue;
        }
        for (const char* type : kTraitIdentifierTypes) {
            if (k != type || value.is_null()) continue;
            if (!value.is_string()) return Invalid(field, "must be a string");
            SIYU_ASSIGN_OR_RETURN(std::string normalized,
                                  NormalizeIdentifier(k, std::string(std::string_view(value)), field));
            AddIdentifier(&m->identifiers, k, normalized);
        }
    }
    return Status::Ok();
}

Result<TrackingMessage> ParseMessage(const element& e, std::string_view default_type, TimeMs received_at,
                                     std::optional<TimeMs> batch_sent_at, const MessageLimits& limits) {
    if (!e.is_object()) return Status(StatusCode::kInvalidJson, "a message must be a JSON object");
    std::string raw = simdjson::minify(e);
    if (raw.size() > limits.max_message_bytes) {
        return Status(StatusCode::kPayloadTooLarge,
                      "the message is larger than " + std::to_string(limits.max_message_bytes) + " bytes");
    }
    object o(e);
    TrackingMessage m;
    SIYU_ASSIGN_OR_RETURN(auto type, StringField(o, "type", 20));
    m.type = ToLower(type.value_or(std::string(default_type)));
    if (m.type != "track" && m.type != "identify" && m.type != "page" && m.type != "screen" && m.type != "group" &&
        m.type != "alias") {
        return Invalid("type", "must be track, identify, page, screen, group or alias");
    }
    SIYU_ASSIGN_OR_RETURN(m.user_id, IdField(o, "userId"));
    SIYU_ASSIGN_OR_RETURN(m.anonymous_id, IdField(o, "anonymousId"));
    if (!m.user_id && !m.anonymous_id) return Invalid("userId", "userId or anonymousId is required");
    SIYU_ASSIGN_OR_RETURN(auto message_id, StringField(o, "messageId", 100));
    m.message_id = message_id && !message_id->empty() ? *message_id : "siyu-" + RandomToken(16);
    if (m.type == "track") {
        SIYU_ASSIGN_OR_RETURN(auto event, StringField(o, "event", 1000));
        if (!event || Trim(*event).empty()) return Invalid("event", "is required for track");
        if (Utf8Length(*event) > 200 || Utf8Length(*event) < 0) return Invalid("event", "must be 1 to 200 characters");
        m.name = std::string(Trim(*event));
    } else if (m.type == "page" || m.type == "screen") {
        SIYU_ASSIGN_OR_RETURN(auto name, StringField(o, "name", 1000));
        m.name = name.value_or("");
    } else if (m.type == "alias") {
        SIYU_ASSIGN_OR_RETURN(m.previous_id, IdField(o, "previousId"));
        if (!m.previous_id) return Invalid("previousId", "is required for alias");
        if (!m.user_id) return Invalid("userId", "is required for alias");
    } else if (m.type == "group") {
        SIYU_ASSIGN_OR_RETURN(m.group_id, IdField(o, "groupId"));
        if (!m.group_id) return Invalid("groupId", "is required for group");
    }

    SIYU_ASSIGN_OR_RETURN(auto timestamp, TimeField(o, "timestamp"));
    SIYU_ASSIGN_OR_RETURN(auto original, TimeField(o, "originalTimestamp"));
    SIYU_ASSIGN_OR_RETURN(auto sent_at, TimeField(o, "sentAt"));
    if (!sent_at) sent_at = batch_sent_at;
    TimeMs t = timestamp.value_or(original.value_or(received_at));
    if ((timestamp || original) && sent_at) t += received_at - *sent_at;
    if (t > received_at + kMaxFutureMs) return Invalid("timestamp", "is more than 24 hours in the future");
    if (t < kEarliest) return Invalid("timestamp", "is before 2000-01-01");
    m.timestamp = t;

    if (m.user_id) AddIdentifier(&m.identifiers, "user_id", *m.user_id);
    if (m.anonymous_id) AddIdentifier(&m.identifiers, "anonymous_id", *m.anonymous_id);

    m.properties = "{}";
    if (auto props = Field(o, "properties"); props && !props->is_null()) {
        if (!props->is_object()) return Invalid("properties", "must be a JSON object");
        m.properties = simdjson::minify(*props);
        SIYU_ASSIGN_OR_RETURN(auto currency, StringField(object(*props), "currency", 8));
        if (currency && !currency->empty()) {
            std::string upper;
            for (char c : *currency) upper.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
            if (upper.size() != 3) return Invalid("properties.currency", "must be a three-letter ISO 4217 code");
            m.currency = upper;
        }
        SIYU_RETURN_IF_ERROR(CheckMoney(object(*props), m.currency.value_or("CNY"), &m.revenue));
    }
    if (m.type == "track" && (m.name == "Order Completed" || m.name == "Order Refunded")) {
        auto props = Field(o, "properties");
        std::optional<element> order_id;
        if (props && props->is_object()) order_id = Field(object(*props), "order_id");
        bool ok = order_id && ((order_id->is_string() && !Trim(std::string_view(*order_id)).empty()) ||
                               order_id->is_int64() || order_id->is_uint64());
        if (!ok) return Invalid("properties.order_id", "is required for " + m.name);
    }
    m.context = "{}";
    if (auto ctx = Field(o, "context"); ctx && !ctx->is_null()) {
        if (!ctx->is_object()) return Invalid("context", "must be a JSON object");
        m.context = simdjson::minify(*ctx);
        if (auto traits = Field(object(*ctx), "traits"); traits && traits->is_object()) {
            SIYU_RETURN_IF_ERROR(CollectTraits(object(*traits), "context.traits", &m));
        }
        if (auto ext = Field(object(*ctx), "externalIds"); ext && ext->is_array()) {
            size_t i = 0;
            for (element x : simdjson::dom::array(*ext)) {
                std::string field = "context.externalIds[" + std::to_string(i++) + "]";
                if (!x.is_object()) return Invalid(field, "must be an object with type and id");
                SIYU_ASSIGN_OR_RETURN(auto type, StringField(object(x), "type", 64));
                SIYU_ASSIGN_OR_RETURN(auto id, IdField(object(x), "id"));
                if (!type || !id) return Invalid(field, "needs type and id");
                std::string t2 = IsValidIdentifierType(*type) ? *type : "custom:" + ToLower(*type);
                if (!IsValidIdentifierType(t2)) return Invalid(field + ".type", "unknown identifier type");
                SIYU_ASSIGN_OR_RETURN(std::string normalized, NormalizeIdentifier(t2, *id, field + ".id"));
                AddIdentifier(&m.identifiers, t2, normalized);
            }
        }
    }
    if (auto traits = Field(o, "traits"); traits && !traits->is_null()) {
        if (!traits->is_object()) return Invalid("traits", "must be a JSON object");
        if (m.type == "identify" && m.properties == "{}") m.properties = simdjson::minify(*traits);
        SIYU_RETURN_IF_ERROR(CollectTraits(object(*traits), "traits", &m));
    }
    return m;
}

}  // namespace

Result<int64_t> ToMinorUnits(double amount, std::string_view currency, const std::string& field) {
    if (!std::isfinite(amount)) return Invalid(field, "must be a finite number");
    if (amount < 0) return Invalid(field, "must not be negative");
    double scale = std::pow(10.0, CurrencyDecimals(currency));
    double scaled = amount * scale;
    if (scaled > 9e15) return Invalid(field, "is too large");
    double rounded = std::round(scaled);
    if (std::fabs(scaled - rounded) > 1e-6 * std::max(1.0, std::fabs(scaled))) {
        return Invalid(field, "has more decimals than " + std::string(currency) + " allows");
    }
    return static_cast<int64_t>(rounded);
}

bool LooksGzipped(std::string_view body) {
    return body.size() >= 2 && static_cast<unsigned char>(body[0]) == 0x1f &&
           static_cast<unsigned char>(body[1]) == 0x8b;
}

Result<std::string> Gunzip(std::string_view body, size_t max_bytes) {
    z_stream zs{};
    if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) return Status::Internal("zlib init failed");
    zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(body.data()));
    zs.avail_in = static_cast<uInt>(body.size());
    std::string out;
    char buf[64 * 1024];
    int rc = Z_OK;
    while (rc != Z_STREAM_END) {
        zs.next_out = reinterpret_cast<Bytef*>(buf);
        zs.avail_out = sizeof(buf);
        rc = inflate(&zs, Z_NO_FLUSH);
        if (rc != Z_OK && rc != Z_STREAM_END) {
            inflateEnd(&zs);
            return Status(StatusCode::kInvalidJson, "the body is not valid gzip");
        }
        out.append(buf, sizeof(buf) - zs.avail_out);
        if (out.size() > max_bytes) {
            inflateEnd(&zs);
            return Status(StatusCode::kPayloadTooLarge,
                          "the decompressed body is larger than " + std::to_string(max_bytes) + " bytes");
        }
        if (rc == Z_OK && zs.avail_in == 0 && zs.avail_out != 0) {
            inflateEnd(&zs);
            return Status(StatusCode::kInvalidJson, "the gzip body is truncated");
        }
    }
    inflateEnd(&zs);
    return out;
}

Result<ParsedBatch> ParseTrackingBody(std::string_view body, std::string_view endpoint_type, TimeMs received_at,
                                      const MessageLimits& limits) {
    thread_local simdjson::dom::parser parser;
    simdjson::padded_string padded(body);
    element doc;
    if (parser.parse(padded).get(doc) != simdjson::SUCCESS) {
        return Status(StatusCode::kInvalidJson, "the body is not valid JSON");
    }
    if (!doc.is_object()) return Status(StatusCode::kInvalidJson, "the body must be a JSON object");
    ParsedBatch out;
    object root(doc);
    if (auto key = Field(root, "writeKey"); key && key->is_string())
        out.write_key = std::string(std::string_view(*key));
    if (endpoint_type != "batch") {
        auto m = ParseMessage(doc, endpoint_type, received_at, std::nullopt, limits);
        if (!m.ok()) return m.status();
        out.messages.push_back(std::move(m).value());
        out.indexes.push_back(0);
        return out;
    }
    auto batch = Field(root, "batch");
    if (!batch || !batch->is_array()) return Status::InvalidArgument("batch", "must be an array of messages");
    SIYU_ASSIGN_OR_RETURN(auto batch_sent_at, TimeField(root, "sentAt"));
    size_t i = 0;
    for (element e : simdjson::dom::array(*batch)) {
        auto m = ParseMessage(e, "", received_at, batch_sent_at, limits);
        if (m.ok()) {
            if (!out.write_key && e.is_object()) {
                if (auto key = Field(object(e), "writeKey"); key && key->is_string()) {
                    out.write_key = std::string(std::string_view(*key));
                }
            }
            out.messages.push_back(std::move(m).value());
            out.indexes.push_back(i);
        } else {
            out.rejected.push_back(Rejection{i, m.status()});
        }
        ++i;
    }
    return out;
}

}  // namespace siyu::cdp
