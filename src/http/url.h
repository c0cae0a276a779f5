// Percent-decoding of URL path segments and query components (RFC 3986 §2.1), the one copy the
// routes share.
//
// Thread-safety: pure functions; safe from any thread.
#pragma once

#include <string>
#include <string_view>

namespace billing::http {

// Decodes %XX escapes; an escape that is not two hex digits stays as it is. With
// `plus_is_space` (query components, application/x-www-form-urlencoded), '+' is a space.
std::string PercentDecode(std::string_view text, bool plus_is_space);

}  // namespace billing::http
