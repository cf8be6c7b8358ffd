#pragma once

#include <optional>
#include <string>
#include <utility>

namespace siyu {

// What went wrong, in terms a caller can act on. The HTTP layer maps each code to
// one status and one error code string (api/errors.cc); nothing else does.
enum class StatusCode {
    kOk,
    kInvalidJson,         // the body is not a JSON object
    kInvalidArgument,     // a field has the wrong type or value
    kUnknownField,        // a field the operation does not know
    kUnauthenticated,     // no or bad credentials
    kPermissionDenied,    // the caller may not do this
    kNotFound,            // no such object (or another tenant's)
    kAlreadyExists,       // a unique value is taken
    kFailedPrecondition,  // not allowed in the current state
    kResourceExhausted,   // rate limited
    kPayloadTooLarge,     // a body or message over its size limit
    kUnavailable,         // a dependency is down; retrying may help
    kUpstream,            // an external service (WeCom) answered with an error code
    kInternal,            // a bug or a broken invariant
};

// Status is the outcome of an operation that can fail in an expected way.
// A Status is a value: copyable, thread-compatible.
class [[nodiscard]] Status {
  public:
    Status() = default;
    Status(StatusCode code, std::string message, std::string field = {})
        : code_(code), message_(std::move(message)), field_(std::move(field)) {}

    static Status Ok() { return {}; }
    static Status InvalidArgument(std::string field, std::string message) {
        return {StatusCode::kInvalidArgument, field + ": " + message, field};
    }
    static Status NotFound(std::string message) { return {StatusCode::kNotFound, std::move(message)}; }
    static Status AlreadyExists(std::string field, std::string message) {
        return {StatusCode::kAlreadyExists, std::move(message), std::move(field)};
    }
    static Status PermissionDenied(std::string message) { return {StatusCode::kPermissionDenied, std::move(message)}; }
    static Status Unauthenticated(std::string message) { return {StatusCode::kUnauthenticated, std::move(message)}; }
    static Status FailedPrecondition(std::string message) {
        return {StatusCode::kFailedPrecondition, std::move(message)};
    }
    static Status Internal(std::string message) { return {StatusCode::kInternal, std::move(message)}; }
    static Status Unavailable(std::string message) { return {StatusCode::kUnavailable, std::move(message)}; }
    static Status Upstream(std::string message) { return {StatusCode::kUpstream, std::move(message)}; }

    bool ok() const { return code_ == StatusCode::kOk; }
    StatusCode code() const { return code_; }
    const std::string& message() const { return message_; }
    const std::string& field() const { return field_; }
    std::string ToString() const;

  private:
    StatusCode code_ = StatusCode::kOk;
    std::string message_;
    std::string field_;
};

const char* StatusCodeName(StatusCode code);

// Result<T> holds either a value or a non-OK Status.
template <typename T>
class [[nodiscard]] Result {
  public:
    Result(T value) : value_(std::move(value)) {}          // NOLINT(google-explicit-constructor)
    Result(Status status) : status_(std::move(status)) {}  // NOLINT(google-explicit-constructor)

    bool ok() const { return value_.has_value(); }
    const Status& status() const { return status_; }
    T& value() & { return *value_; }
    const T& value() const& { return *value_; }
    T&& value() && { return std::move(*value_); }
    T* operator->() { return &*value_; }
    const T* operator->() const { return &*value_; }
    T& operator*() { return *value_; }

  private:
    std::optional<T> value_;
    Status status_;
};

}  // namespace siyu

#define SIYU_CONCAT_INNER(a, b) a##b
#define SIYU_CONCAT(a, b) SIYU_CONCAT_INNER(a, b)

// Returns from the enclosing function when `expr` (a Status) is not OK.
#define SIYU_RETURN_IF_ERROR(expr)                   \
    do {                                             \
        ::siyu::Status siyu_status_ = (expr);        \
        if (!siyu_status_.ok()) return siyu_status_; \
    } while (0)

#define SIYU_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
    auto tmp = (expr);                             \
    if (!tmp.ok()) return tmp.status();            \
    lhs = std::move(tmp).value()

// Declares or assigns `lhs` from a Result, returning its Status on failure.
#define SIYU_ASSIGN_OR_RETURN(lhs, expr) SIYU_ASSIGN_OR_RETURN_IMPL(SIYU_CONCAT(siyu_result_, __LINE__), lhs, expr)
