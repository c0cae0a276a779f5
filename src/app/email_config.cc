// The email settings; see email_config.h.
#include "app/email_config.h"

#include <algorithm>
#include <cstdlib>

#include "app/config.h"

namespace billing {
namespace {

std::string Env(const char* name) {
  const char* v = std::getenv(name);
  return v ? std::string(v) : std::string();
}

std::string Trim(std::string s) {
  while (!s.empty() && s.front() == ' ') s.erase(s.begin());
  while (!s.empty() && s.back() == ' ') s.pop_back();
  return s;
}

bool Loopback(const std::string& host) {
  return host == "localhost" || host == "::1" || host == "[::1]" || host.rfind("127.", 0) == 0;
}

}  // namespace

Status ParseSender(const std::string& text, std::string* name, std::string* address) {
  const std::string rule =
      "BILLING_EMAIL_FROM must be an address (billing@example.com) or a name and an address "
      "(Billing <billing@example.com>)";
  if (text.find_first_of("\r\n") != std::string::npos) {
    return Error::Invalid("BILLING_EMAIL_FROM", rule);
  }
  const size_t open = text.find('<');
  std::string addr = text;
  std::string display;
  if (open != std::string::npos) {
    const size_t close = text.find('>', open);
    if (close == std::string::npos || !Trim(text.substr(close + 1)).empty()) {
      return Error::Invalid("BILLING_EMAIL_FROM", rule);
    }
    addr = text.substr(open + 1, close - open - 1);
    display = Trim(text.substr(0, open));
    if (display.size() >= 2 && display.front() == '"' && display.back() == '"') {
      display = display.substr(1, display.size() - 2);
    }
  }
  addr = Trim(addr);
  const size_t at = addr.find('@');
  const bool plain =
      !addr.empty() && at != std::string::npos && at > 0 && at + 1 < addr.size() &&
      addr.find('@', at + 1) == std::string::npos &&
      std::none_of(addr.begin(), addr.end(), [](char c) {
        return c <= 0x20 || c == 0x7f || c == '<' || c == '>' || c == ',' || c == '"';
      });
  if (!plain) return Error::Invalid("BILLING_EMAIL_FROM", rule);
  *address = addr;
  *name = display.empty() ? "Billing" : display;
  return OkStatus();
}

Result<SmtpSettings> SmtpSettingsFromEnv() {
  SmtpSettings s;
  s.host = Trim(Env("BILLING_SMTP_HOST"));
  if (s.host.empty()) return s;  // email off
  if (s.host.find_first_of("/@:?# \r\n") != std::string::npos && s.host.front() != '[') {
    return Error::Invalid("BILLING_SMTP_HOST",
                          "BILLING_SMTP_HOST must be a host name or address, without a scheme "
                          "or port (BILLING_SMTP_PORT)");
  }
  if (auto v = Env("BILLING_SMTP_TLS"); !v.empty()) s.tls = v;
  if (s.tls != "starttls" && s.tls != "tls" && s.tls != "none") {
    return Error::Invalid("BILLING_SMTP_TLS", "BILLING_SMTP_TLS must be starttls, tls or none");
  }
  s.port = s.tls == "tls" ? 465 : s.tls == "none" ? 25 : 587;
  if (auto v = Env("BILLING_SMTP_PORT"); !v.empty()) {
    BILLING_ASSIGN_OR_RETURN(int64_t port, ParseInt(v, "BILLING_SMTP_PORT", 1, 65535));
    s.port = int(port);
  }
  s.user = Env("BILLING_SMTP_USER");
  s.password = Env("BILLING_SMTP_PASSWORD");
  if (s.tls == "none" && !s.user.empty() && !Loopback(s.host)) {
    return Error::Invalid("BILLING_SMTP_TLS",
                          "BILLING_SMTP_TLS=none would send the SMTP password in clear: use "
                          "starttls or tls (none is for a relay on this machine)");
  }
  BILLING_TRY(ParseSender(Env("BILLING_EMAIL_FROM"), &s.from_name, &s.from_address));
  if (auto v = Env("BILLING_SMTP_TIMEOUT_MS"); !v.empty()) {
    BILLING_ASSIGN_OR_RETURN(int64_t ms, ParseInt(v, "BILLING_SMTP_TIMEOUT_MS", 100, 60000));
    s.timeout_ms = int(ms);
  }
  return s;
}

Status ApplyEmailOptions(const SmtpSettings& smtp, BillingOptions* options) {
  options->email_enabled = !smtp.host.empty();
  options->email_sender = smtp.from_name;
  if (auto v = Env("BILLING_EMAIL_RETRY_SECONDS"); !v.empty()) {
    BILLING_ASSIGN_OR_RETURN(options->email_retry_seconds,
                             ParseRetrySeconds(v, "BILLING_EMAIL_RETRY_SECONDS"));
  }
  return OkStatus();
}

}  // namespace billing
