// Percent-decoding of URL path segments and query components (RFC 3986 §2.1), the one copy the
// routes share.
//
// Thread-safety: pure functions; safe from any thread.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace billing::http {

// Decodes %XX escapes; an escape that is not two hex digits stays as it is. With
// `plus_is_space` (query components, application/x-www-form-urlencoded), '+' is a space.
std::string PercentDecode(std::string_view text, bool plus_is_space);

// The decoded parameters of a query string (the part after '?'), first occurrence of a key
// winning, at most `max_params` of them; truncated() says whether more were there.
class Query {
 public:
  Query(std::string_view query, size_t max_params);
  const std::string* Find(std::string_view key) const;  // nullptr when absent
  bool Has(std::string_view key) const { return Find(key) != nullptr; }
  bool truncated() const { return truncated_; }

 private:
  std::vector<std::pair<std::string, std::string>> params_;  // at most max_params
  bool truncated_ = false;
};

}  // namespace billing::http
