#include "common/result.h"

namespace billing {

const char* ErrorCodeName(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalidArgument: return "INVALID_ARGUMENT";
    case ErrorCode::kNotFound: return "NOT_FOUND";
    case ErrorCode::kFailedPrecondition: return "FAILED_PRECONDITION";
    case ErrorCode::kAmbiguous: return "AMBIGUOUS";
    case ErrorCode::kConflict: return "CONFLICT";
    case ErrorCode::kUnavailable: return "UNAVAILABLE";
    case ErrorCode::kDatabaseUnavailable: return "DATABASE_UNAVAILABLE";
    case ErrorCode::kUnauthenticated: return "UNAUTHENTICATED";
    case ErrorCode::kPermissionDenied: return "PERMISSION_DENIED";
    case ErrorCode::kInternal: return "INTERNAL";
  }
  return "INTERNAL";
}

ErrorCode ErrorCodeFromName(std::string_view name) {
  for (ErrorCode c : {ErrorCode::kInvalidArgument, ErrorCode::kNotFound,
                      ErrorCode::kFailedPrecondition, ErrorCode::kAmbiguous, ErrorCode::kConflict,
                      ErrorCode::kUnavailable, ErrorCode::kDatabaseUnavailable,
                      ErrorCode::kUnauthenticated, ErrorCode::kPermissionDenied}) {
    if (name == ErrorCodeName(c)) return c;
  }
  return ErrorCode::kInternal;
}

}  // namespace billing
