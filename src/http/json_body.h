// Parsing untrusted JSON text at the HTTP edge: request bodies and JSON carried inside strings
// (e.g. OpenAI-style tool-call "arguments"). nlohmann's parser exceptions stay in here and come
// out as Error values, and the nesting depth is checked *before* parsing, because copying,
// comparing and dumping a nlohmann::json value recurse once per level (a 4.5 MB body of '['
// would otherwise overflow the stack later, far from the edge).
//
// Thread-safety: pure functions; safe from any thread.
#pragma once

#include <cstddef>
#include <string_view>

#include <nlohmann/json.hpp>

#include "common/result.h"

namespace billing::http {

inline constexpr size_t kMaxJsonDepth = 64;

// True when the arrays/objects in `text` nest at most `max_depth` levels deep. Brackets inside
// strings do not count. Does not validate the JSON otherwise. O(n), no allocation.
bool JsonNestingWithin(std::string_view text, size_t max_depth);

// Parses a request body. Errors (kInvalidArgument, field "body"):
//   "Invalid JSON in request body: <what the parser saw>"  (no exception type prefixes, bounded)
//   "Invalid JSON in request body: nesting deeper than 64 levels"
Result<nlohmann::json> ParseJsonBody(std::string_view body, size_t max_depth = kMaxJsonDepth);

// ParseJsonBody for a body that must be a JSON object; else kInvalidArgument (field "body")
// "Request body must be a JSON object".
Result<nlohmann::json> ParseJsonObjectBody(std::string_view body);

}  // namespace billing::http
