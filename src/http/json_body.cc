#include "http/json_body.h"

#include <string>

namespace billing::http {
namespace {

constexpr size_t kMaxParserMessageBytes = 200;

// "[json.exception.parse_error.101] parse error at line 1, column 2: ..." → "parse error at ...",
// cut to a bounded length (the parser quotes the token it stopped at, which can be huge).
std::string CleanParserMessage(const char* what) {
  std::string_view message(what);
  if (!message.empty() && message.front() == '[') {
    const size_t close = message.find("] ");
    if (close != std::string_view::npos) message.remove_prefix(close + 2);
  }
  if (message.size() <= kMaxParserMessageBytes) return std::string(message);
  size_t cut = kMaxParserMessageBytes;
  // Do not split a UTF-8 sequence: back up over continuation bytes.
  while (cut > 0 && (static_cast<unsigned char>(message[cut]) & 0xC0) == 0x80) --cut;
  return std::string(message.substr(0, cut)) + "...";
}

}  // namespace

bool JsonNestingWithin(std::string_view text, size_t max_depth) {
  size_t depth = 0;
  bool in_string = false;
  bool escaped = false;
  for (const char c : text) {
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    switch (c) {
      case '"':
        in_string = true;
        break;
      case '[':
      case '{':
        if (++depth > max_depth) return false;
        break;
      case ']':
      case '}':
        if (depth > 0) --depth;
        break;
      default:
        break;
    }
  }
  return true;
}

Result<nlohmann::json> ParseJsonBody(std::string_view body, size_t max_depth) {
  if (!JsonNestingWithin(body, max_depth)) {
    return Error::Invalid("body", "Invalid JSON in request body: nesting deeper than " +
                                      std::to_string(max_depth) + " levels");
  }
  try {
    return nlohmann::json::parse(body);
  } catch (const nlohmann::json::exception& e) {
    return Error::Invalid("body", "Invalid JSON in request body: " + CleanParserMessage(e.what()));
  }
}

Result<nlohmann::json> ParseJsonObjectBody(std::string_view body) {
  Result<nlohmann::json> parsed = ParseJsonBody(body);
  if (!parsed.ok()) return parsed.error();
  if (!parsed->is_object()) return Error::Invalid("body", "Request body must be a JSON object");
  return parsed;
}

}  // namespace billing::http
