#include "base/status.h"

namespace siyu {

const char* StatusCodeName(StatusCode code) {
    switch (code) {
        case StatusCode::kOk:
            return "ok";
        case StatusCode::kInvalidJson:
            return "invalid_json";
        case StatusCode::kInvalidArgument:
            return "invalid_argument";
        case StatusCode::kUnknownField:
            return "unknown_field";
        case StatusCode::kUnauthenticated:
            return "unauthenticated";
        case StatusCode::kPermissionDenied:
            return "forbidden";
        case StatusCode::kNotFound:
            return "not_found";
        case StatusCode::kAlreadyExists:
            return "already_exists";
        case StatusCode::kFailedPrecondition:
            return "failed_precondition";
        case StatusCode::kResourceExhausted:
            return "too_many_requests";
        case StatusCode::kPayloadTooLarge:
            return "payload_too_large";
        case StatusCode::kUnavailable:
            return "unavailable";
        case StatusCode::kUpstream:
            return "upstream_error";
        case StatusCode::kInternal:
            return "internal";
    }
    return "internal";
}

std::string Status::ToString() const {
    if (ok()) return "ok";
    return std::string(StatusCodeName(code_)) + ": " + message_;
}

}  // namespace siyu
