#include "base/phone.h"
#include "base/strings.h"
#include "cdp/customer.h"

namespace siyu::cdp {

using Json = nlohmann::json;

namespace {

constexpr size_t kMaxTraitsBytes = 64 * 1024;
constexpr size_t kMaxIdentifiers = 50;

const char* const kBuiltinTypes[] = {"user_id",        "anonymous_id",  "phone",
                                     "email",          "member_no",     "wecom_external_userid",
                                     "wechat_unionid", "wechat_openid", "taobao_ouid"};

Status WrongType(const std::string& field, const char* expected) {
    return Status::InvalidArgument(field, std::string("must be ") + expected);
}

// A nullable string field: absent, null (clear) or a string of 1..max_len characters.
Result<std::optional<std::string>> NullableString(const Json& v, const std::string& field, int64_t max_len) {
    if (v.is_null()) return std::optional<std::string>();
    if (!v.is_string()) return WrongType(field, "a string or null");
    std::string s(Trim(v.get<std::string>()));
    int64_t len = Utf8Length(s);
    if (len < 0) return Status::InvalidArgument(field, "must be valid UTF-8");
    if (len > max_len)
        return Status::InvalidArgument(field, "must be at most " + std::to_string(max_len) + " characters");
    if (s.empty()) return std::optional<std::string>();
    return std::optional<std::string>(s);
}

}  // namespace

bool IsValidIdentifierType(const std::string& type) {
    for (const char* t : kBuiltinTypes) {
        if (type == t) return true;
    }
    if (!StartsWith(type, "custom:")) return false;
    std::string_view name = std::string_view(type).substr(7);
    if (name.empty() || name.size() > 32) return false;
    for (char c : name) {
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
    }
    return true;
}

Result<std::string> NormalizeIdentifier(const std::string& type, const std::string& value, const std::string& field) {
    std::string v(Trim(value));
    if (v.empty() || v.size() > 200) return Status::InvalidArgument(field, "must be 1 to 200 characters");
    if (Utf8Length(v) < 0) return Status::InvalidArgument(field, "must be valid UTF-8");
    if (type == "phone") {
        auto phone = NormalizePhone(v);
        if (!phone.ok()) return Status::InvalidArgument(field, "not a valid phone number");
        return phone.value();
    }
    if (type == "email") {
        v = ToLower(v);
        if (!IsValidEmail(v)) return Status::InvalidArgument(field, "not a valid e-mail address");
    }
    return v;
}

Result<CustomerInput> ParseCustomerInput(const Json& body) {
    if (!body.is_object()) return Status(StatusCode::kInvalidJson, "the body must be a JSON object");
    CustomerInput in;
    for (const auto& [key, v] : body.items()) {
        if (key == "name") {
            SIYU_ASSIGN_OR_RETURN(in.name, NullableString(v, key, 100));
        } else if (key == "phone") {
            if (v.is_string() && Trim(v.get<std::string>()).empty()) {
                return Status::InvalidArgument(key, "not a valid phone number; send null for none");
            }
            SIYU_ASSIGN_OR_RETURN(auto s, NullableString(v, key, 40));
            if (s) {
                SIYU_ASSIGN_OR_RETURN(s, NormalizeIdentifier("phone", *s, key));
            }
            in.phone = s;
        } else if (key == "email") {
            if (v.is_string() && Trim(v.get<std::string>()).empty()) {
                return Status::InvalidArgument(key, "not a valid e-mail address; send null for none");
            }
            SIYU_ASSIGN_OR_RETURN(auto s, NullableString(v, key, 254));
            if (s) {
                SIYU_ASSIGN_OR_RETURN(s, NormalizeIdentifier("email", *s, key));
            }
            in.email = s;
        } else if (key == "member_no") {
            SIYU_ASSIGN_OR_RETURN(in.member_no, NullableString(v, key, 64));
        } else if (key == "gender") {
            if (v.is_null()) {
                in.gender = "unknown";
                continue;
            }
            if (!v.is_string()) return WrongType(key, "male, female, unknown or null");
            std::string g = v.get<std::string>();
            if (g != "male" && g != "female" && g != "unknown") {
                return Status::InvalidArgument(key, "must be male, female or unknown");
            }
            in.gender = g;
        } else if (key == "birthday") {
            SIYU_ASSIGN_OR_RETURN(auto s, NullableString(v, key, 10));
            if (s && !IsValidDate(*s)) return Status::InvalidArgument(key, "must be a date written YYYY-MM-DD");
            in.birthday = s;
        } else if (key == "store_id") {
            if (v.is_null()) {
                in.store_id = std::optional<int64_t>();
            } else if (v.is_number_integer() && v.get<int64_t>() > 0) {
                in.store_id = std::optional<int64_t>(v.get<int64_t>());
            } else {
                return WrongType(key, "a positive integer or null");
            }
        } else if (key == "traits") {
            if (v.is_null()) {
                in.traits = Json::object();
                continue;
            }
            if (!v.is_object()) return WrongType(key, "a JSON object or null");
            if (v.dump().size() > kMaxTraitsBytes) return Status::InvalidArgument(key, "must be at most 64 KiB");
            in.traits = v;
        } else if (key == "identifiers") {
            if (!v.is_array()) return WrongType(key, "an array of {\"type\", \"value\"} objects");
            if (v.size() > kMaxIdentifiers) return Status::InvalidArgument(key, "at most 50 identifiers");
            std::vector<Identifier> ids;
            for (size_t i = 0; i < v.size(); ++i) {
                std::string field = "identifiers[" + std::to_string(i) + "]";
                const Json& item = v[i];
                if (!item.is_object()) return WrongType(field, "an object with type and value");
                for (const auto& [k, ignored] : item.items()) {
                    if (k != "type" && k != "value")
                        return Status(StatusCode::kUnknownField, field + "." + k + ": unknown field", field + "." + k);
                }
                if (!item.contains("type") || !item["type"].is_string()) return WrongType(field + ".type", "a string");
                if (!item.contains("value") || !item["value"].is_string())
                    return WrongType(field + ".value", "a string");
                std::string type = item["type"].get<std::string>();
                if (!IsValidIdentifierType(type)) {
                    return Status::InvalidArgument(field + ".type", "unknown identifier type '" + type + "'");
                }
                if (type == "phone" || type == "email" || type == "member_no") {
                    return Status::InvalidArgument(field + ".type", "set " + type + " through its own field");
                }
                SIYU_ASSIGN_OR_RETURN(std::string value,
                                      NormalizeIdentifier(type, item["value"].get<std::string>(), field + ".value"));
                for (const auto& seen : ids) {
                    if (seen.type == type && seen.value == value) {
                        return Status::InvalidArgument(field, "listed twice");
                    }
                }
                ids.push_back(Identifier{type, value, 0});
            }
            in.identifiers = std::move(ids);
        } else {
            return Status(StatusCode::kUnknownField, key + ": unknown field", key);
        }
    }
    return in;
}

Result<CustomerInput> ParseCustomerInputText(std::string_view text) {
    Json body = Json::parse(text, nullptr, false);
    if (body.is_discarded()) return Status(StatusCode::kInvalidJson, "the body is not valid JSON");
    return ParseCustomerInput(body);
}

}  // namespace siyu::cdp
