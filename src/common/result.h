// Error values for every layer: an Error names what went wrong (a stable code), the input field
// it concerns (if any) and a message a person can act on. Result<T> holds a T or an Error.
// Errors cross layers as values, never as exceptions (exceptions stay inside a layer, e.g. JSON
// parsing, and are converted at its edge).
//
// Thread-safety: plain values; safe to copy and move between threads.
#pragma once

#include <cassert>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace billing {

enum class ErrorCode {
  kInvalidArgument,     // bad input: the field and the rule are named
  kNotFound,            // a referenced record does not exist
  kFailedPrecondition,  // a business rule forbids the operation in the current state
  kAmbiguous,           // a short id matches several records
  kConflict,            // concurrent change or uniqueness clash
  kUnavailable,         // a dependency (the model, a client) did not answer in time
  kDatabaseUnavailable,  // the database cannot be reached (HTTP 503 "database unavailable")
  kUnauthenticated,     // credentials were rejected (e.g. by the model provider)
  kPermissionDenied,    // the caller is known but lacks the scope for this (HTTP 403)
  kInternal,            // a bug or an unexpected failure; never shown verbatim to clients
};

const char* ErrorCodeName(ErrorCode code);
// The code ErrorCodeName gives `name` ("NOT_FOUND"); kInternal for any other name.
ErrorCode ErrorCodeFromName(std::string_view name);

struct Error {
  Error() = default;
  Error(ErrorCode c, std::string msg, std::string fld = {})
      : code(c), message(std::move(msg)), field(std::move(fld)) {}

  ErrorCode code = ErrorCode::kInternal;
  std::string message;
  std::string field;  // empty when the error concerns no single input field
  std::vector<std::string> candidates;  // kAmbiguous: the records that matched

  static Error Invalid(std::string field, std::string message) {
    return Error(ErrorCode::kInvalidArgument, std::move(message), std::move(field));
  }
  static Error NotFound(std::string message, std::string field = {}) {
    return Error(ErrorCode::kNotFound, std::move(message), std::move(field));
  }
  static Error Precondition(std::string message, std::string field = {}) {
    return Error(ErrorCode::kFailedPrecondition, std::move(message), std::move(field));
  }
  static Error Internal(std::string message) { return Error(ErrorCode::kInternal, std::move(message)); }
};

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}          // NOLINT: implicit by design
  Result(Error error) : v_(std::move(error)) {}      // NOLINT: implicit by design

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & {
    assert(ok());
    return std::get<0>(v_);
  }
  const T& value() const& {
    assert(ok());
    return std::get<0>(v_);
  }
  T&& value() && {
    assert(ok());
    return std::get<0>(std::move(v_));
  }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  const Error& error() const {
    assert(!ok());
    return std::get<1>(v_);
  }

 private:
  std::variant<T, Error> v_;
};

// Status is a Result with no value.
struct Ok {};
using Status = Result<Ok>;
inline Status OkStatus() { return Ok{}; }

}  // namespace billing

// Propagates an error from an expression returning Result/Status.
#define BILLING_TRY(expr)                         \
  do {                                            \
    auto billing_try_r_ = (expr);                 \
    if (!billing_try_r_.ok()) return billing_try_r_.error(); \
  } while (0)

// Declares `var` from a Result expression, or returns its error.
#define BILLING_ASSIGN_CAT_(a, b) a##b
#define BILLING_ASSIGN_CAT(a, b) BILLING_ASSIGN_CAT_(a, b)
#define BILLING_ASSIGN_OR_RETURN(var, expr)                              \
  auto BILLING_ASSIGN_CAT(billing_r_, __LINE__) = (expr);                \
  if (!BILLING_ASSIGN_CAT(billing_r_, __LINE__).ok())                    \
    return BILLING_ASSIGN_CAT(billing_r_, __LINE__).error();             \
  var = std::move(BILLING_ASSIGN_CAT(billing_r_, __LINE__)).value()
