#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "base/time.h"

namespace siyu::cdp {

struct Identifier {
    std::string type;
    std::string value;
    TimeMs created_at = 0;
};

// Attributes computed from a customer's events (and those of customers merged into it).
struct ComputedAttributes {
    std::optional<TimeMs> first_seen;
    std::optional<TimeMs> last_seen;
    int64_t order_count = 0;
    int64_t total_spent = 0;  // minor units, orders minus refunds
    int64_t average_order_value = 0;
    std::optional<TimeMs> last_order_at;
    int64_t refund_count = 0;
    int64_t refund_total = 0;
    std::string lifecycle_stage = "prospect";
};

// One person as the brand knows them. The primary phone, email and member number are
// also identifiers (types phone, email, member_no).
struct Customer {
    int64_t id = 0;
    int64_t tenant_id = 0;
    std::optional<std::string> name;
    std::optional<std::string> phone;  // E.164
    std::optional<std::string> email;
    std::string gender = "unknown";
    std::optional<std::string> birthday;  // YYYY-MM-DD
    std::optional<int64_t> store_id;
    std::optional<std::string> member_no;
    std::string traits = "{}";  // a JSON object, as stored
    std::vector<Identifier> identifiers;
    std::optional<ComputedAttributes> computed;  // filled by single-customer reads
    std::vector<int64_t> merged_ids;             // customers merged into this one
    TimeMs created_at = 0;
    TimeMs updated_at = 0;
};

// Fields to set. For nullable fields an outer empty optional leaves the field alone and
// an inner empty optional clears it. Values are already validated and normalised.
struct CustomerInput {
    std::optional<std::optional<std::string>> name;
    std::optional<std::optional<std::string>> phone;
    std::optional<std::optional<std::string>> email;
    std::optional<std::string> gender;
    std::optional<std::optional<std::string>> birthday;
    std::optional<std::optional<int64_t>> store_id;
    std::optional<std::optional<std::string>> member_no;
    std::optional<nlohmann::json> traits;
    // Identifiers other than phone, email and member_no; replaces them on update.
    std::optional<std::vector<Identifier>> identifiers;
};

// Identifier types a tenant may use: the built-in ones and "custom:<name>".
bool IsValidIdentifierType(const std::string& type);

// Normalises an identifier value for its type (phones to E.164, emails lower-cased).
Result<std::string> NormalizeIdentifier(const std::string& type, const std::string& value, const std::string& field);

// Parses and validates a JSON request body into a CustomerInput. Rejects unknown fields,
// wrong types, bad phones, emails, dates and identifiers with the field named.
Result<CustomerInput> ParseCustomerInput(const nlohmann::json& body);

// The same from raw text (also the fuzzing entry point).
Result<CustomerInput> ParseCustomerInputText(std::string_view text);

}  // namespace siyu::cdp
