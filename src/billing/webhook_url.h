// The host of a webhook endpoint's URL, the one parse of it: CheckWebhookUrl validates it and
// matches it against BILLING_WEBHOOK_ALLOW_HOSTS, and the delivery worker matches it again to
// decide whether a private address may be reached.
//
// Thread-safety: a pure function.
#pragma once

#include <cctype>
#include <string>
#include <string_view>

namespace billing {

// "https://User@Hooks.Example.com:8443/x?y" -> "hooks.example.com"; "[::1]" keeps its brackets;
// "" when the URL has no "://". Lower case. The userinfo is not stripped (CheckWebhookUrl
// refuses URLs that carry one).
inline std::string WebhookUrlHost(std::string_view url) {
  const size_t scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) return "";
  const size_t host_start = scheme_end + 3;
  std::string host(url.substr(host_start, url.find_first_of("/?#", host_start) - host_start));
  if (!host.empty() && host.front() == '[') {
    host = host.substr(0, host.find(']') + 1);
  } else if (size_t colon = host.rfind(':'); colon != std::string::npos) {
    host = host.substr(0, colon);
  }
  for (char& c : host) c = char(std::tolower(static_cast<unsigned char>(c)));
  return host;
}

}  // namespace billing
