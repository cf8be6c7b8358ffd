#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"
#include "base/time.h"
#include "cdp/customer.h"

namespace siyu::cdp {

// One Segment-style message, validated and normalised, ready to store.
struct TrackingMessage {
    std::string type;  // track, identify, page, screen, group, alias
    std::string message_id;
    std::optional<std::string> user_id;
    std::optional<std::string> anonymous_id;
    std::optional<std::string> previous_id;
    std::optional<std::string> group_id;
    std::string name;        // event name (track) or page / screen name
    TimeMs timestamp = 0;    // event time after clock correction
    std::string properties;  // JSON object text
    std::string context;     // JSON object text
    // Traits from `traits` and `context.traits`: key → JSON value text.
    std::vector<std::pair<std::string, std::string>> traits;
    // Every identifier the message carries, user_id and anonymous_id first.
    std::vector<Identifier> identifiers;
    std::optional<int64_t> revenue;  // minor units
    std::optional<std::string> currency;
};

struct MessageLimits {
    size_t max_message_bytes = 32 * 1024;
    size_t max_batch_bytes = 500 * 1024;
};

// Why one message of a batch was refused.
struct Rejection {
    size_t index = 0;
    Status status;
};

struct ParsedBatch {
    std::vector<TrackingMessage> messages;
    std::vector<size_t> indexes;  // position of each accepted message in the request
    std::vector<Rejection> rejected;
    std::optional<std::string> write_key;  // "writeKey" from the body, if any
};

// Parses a tracking request body (already decompressed). `endpoint_type` is "batch" for
// /v1/batch, otherwise the message type the path implies. A body that is not a JSON object
// (or whose batch is not an array) is an error; invalid messages inside a batch are listed
// in `rejected`. `received_at` drives the clock-skew correction.
Result<ParsedBatch> ParseTrackingBody(std::string_view body, std::string_view endpoint_type, TimeMs received_at,
                                      const MessageLimits& limits);

// Decimal major units → integer minor units for `currency` (2 decimals unless the currency has
// none, like JPY). Rejects non-finite, negative and over-precise amounts.
Result<int64_t> ToMinorUnits(double amount, std::string_view currency, const std::string& field);

// True when `body` starts with gzip's magic bytes.
bool LooksGzipped(std::string_view body);
// Inflates a gzip body; refuses output larger than `max_bytes`.
Result<std::string> Gunzip(std::string_view body, size_t max_bytes);

}  // namespace siyu::cdp
