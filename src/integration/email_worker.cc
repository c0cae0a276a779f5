// The email worker; see email_worker.h.
#include "integration/email_worker.h"

#include <curl/curl.h>
#include <openssl/evp.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <vector>

namespace billing {
namespace {

constexpr size_t kMaxEncodedWordBytes = 45;  // 45 bytes -> 60 base64 chars, + 12 = 72 <= 75

std::string Base64(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3), '\0');
  const int n =
      EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                      reinterpret_cast<const unsigned char*>(bytes.data()), int(bytes.size()));
  out.resize(size_t(std::max(n, 0)));
  return out;
}

bool PrintableAscii(std::string_view text) {
  return std::all_of(text.begin(), text.end(), [](char c) { return c >= 0x20 && c < 0x7f; });
}

// An address that may go into MAIL FROM / RCPT TO and a header: no controls, no angle brackets,
// one @, not empty on either side.
bool PlainAddress(std::string_view a) {
  const size_t at = a.find('@');
  if (a.empty() || a.size() > 254 || at == 0 || at == std::string_view::npos ||
      at + 1 == a.size() || a.find('@', at + 1) != std::string_view::npos) {
    return false;
  }
  return std::none_of(a.begin(), a.end(), [](char c) {
    return c <= 0x20 || c == 0x7f || c == '<' || c == '>' || c == ',' || c == '"';
  });
}

struct CurlGlobal {
  CurlGlobal() { curl_global_init(CURL_GLOBAL_DEFAULT); }
};

struct SlistDeleter {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};
using Slist = std::unique_ptr<curl_slist, SlistDeleter>;
struct MimeDeleter {
  void operator()(curl_mime* m) const { curl_mime_free(m); }
};
struct EasyDeleter {
  void operator()(CURL* e) const { curl_easy_cleanup(e); }
};

void Append(Slist& list, const std::string& line) {
  curl_slist* grown = curl_slist_append(list.get(), line.c_str());
  if (grown != nullptr) {
    (void)list.release();
    list.reset(grown);
  }
}

// Sends `m` over `curl` (whose connection the next message reuses). "" = accepted.
std::string Send(CURL* curl, const SmtpSettings& s, const OutboxEmail& m) {
  if (!PlainAddress(m.to_address)) return "invalid recipient address";
  const std::string domain = s.from_address.substr(s.from_address.find('@') + 1);
  Slist headers;
  Append(headers, "Date: " + Rfc5322Date(m.created_at));
  Append(headers, "From: " + EncodeHeaderText(s.from_name) + " <" + s.from_address + ">");
  Append(headers, "To: <" + m.to_address + ">");
  Append(headers, "Subject: " + EncodeHeaderText(m.subject));
  // Stable across retries: a message sent twice (at least once) is one message to mail systems.
  Append(headers, "Message-ID: <" + m.event_id + "." + std::to_string(m.seq) + "@" + domain + ">");
  Append(headers, "Auto-Submitted: auto-generated");  // RFC 3834: no auto-replies
  Append(headers, "X-Billing-Event-Id: " + m.event_id);
  Append(headers, "Content-Language: " + m.locale);
  Slist recipients;
  Append(recipients, "<" + m.to_address + ">");

  std::unique_ptr<curl_mime, MimeDeleter> mime(curl_mime_init(curl));
  curl_mime* alternative = curl_mime_init(curl);  // owned by its part below
  curl_mimepart* text = curl_mime_addpart(alternative);
  curl_mime_data(text, m.text_body.data(), m.text_body.size());
  curl_mime_type(text, "text/plain; charset=utf-8");
  curl_mime_encoder(text, "quoted-printable");
  curl_mimepart* html = curl_mime_addpart(alternative);
  curl_mime_data(html, m.html_body.data(), m.html_body.size());
  curl_mime_type(html, "text/html; charset=utf-8");
  curl_mime_encoder(html, "quoted-printable");
  curl_mimepart* body = curl_mime_addpart(mime.get());
  curl_mime_subparts(body, alternative);
  curl_mime_type(body, "multipart/alternative");

  curl_easy_setopt(curl, CURLOPT_MAIL_FROM, ("<" + s.from_address + ">").c_str());
  curl_easy_setopt(curl, CURLOPT_MAIL_RCPT, recipients.get());
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(curl, CURLOPT_MIMEPOST, mime.get());
  char error[CURL_ERROR_SIZE] = {0};
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error);
  const CURLcode rc = curl_easy_perform(curl);
  curl_easy_setopt(curl, CURLOPT_MIMEPOST, nullptr);
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, nullptr);
  curl_easy_setopt(curl, CURLOPT_MAIL_RCPT, nullptr);
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, nullptr);
  if (rc == CURLE_OK) return "";
  long code = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &code);
  std::string why = error[0] != '\0' ? error : curl_easy_strerror(rc);
  if (code != 0) why = "SMTP " + std::to_string(code) + ": " + why;
  return why;
}

}  // namespace

std::string EncodeHeaderText(std::string_view text) {
  std::string clean;
  for (char c : text) clean += (c == '\r' || c == '\n' || c == '\t') ? ' ' : c;
  if (PrintableAscii(clean)) return clean;
  std::string out;
  size_t at = 0;
  while (at < clean.size()) {
    size_t end = std::min(clean.size(), at + kMaxEncodedWordBytes);
    // Back off to a character boundary (a UTF-8 continuation byte is 10xxxxxx).
    while (end < clean.size() && end > at &&
           (static_cast<unsigned char>(clean[end]) & 0xC0) == 0x80)
      --end;
    if (end == at) end = std::min(clean.size(), at + kMaxEncodedWordBytes);  // not UTF-8: as is
    if (!out.empty()) out += ' ';
    out += "=?UTF-8?B?" + Base64(std::string_view(clean).substr(at, end - at)) + "?=";
    at = end;
  }
  return out;
}

std::string Rfc5322Date(const std::string& iso) {
  Date day;
  if (iso.size() < 19 || !Date::Parse(iso.substr(0, 10), &day)) return "";
  static constexpr const char* kDays[] = {"Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"};
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  const int64_t days = day.DaysSinceEpoch();  // 1970-01-01 was a Thursday
  const int month = std::stoi(iso.substr(5, 2));
  if (month < 1 || month > 12) return "";
  return std::string(kDays[((days % 7) + 7) % 7]) + ", " + iso.substr(8, 2) + " " +
         kMonths[month - 1] + " " + iso.substr(0, 4) + " " + iso.substr(11, 8) + " +0000";
}

EmailWorker::EmailWorker(BillingService& service, SmtpSettings settings)
    : service_(service),
      settings_(std::move(settings)),
      loop_("email", settings_.poll_ms, settings_.batch, [this] { return RunOnce(); }) {
  static CurlGlobal global;
}

Result<int> EmailWorker::RunOnce() {
  BILLING_ASSIGN_OR_RETURN(bool due, service_.EmailsDue());
  if (!due) return 0;
  const int64_t lease_ms = settings_.lease_ms > 0
                               ? settings_.lease_ms
                               : int64_t(settings_.batch) * settings_.timeout_ms + 5000;
  BILLING_ASSIGN_OR_RETURN(std::vector<OutboxEmail> claimed,
                           service_.ClaimEmails(settings_.batch, lease_ms));
  if (claimed.empty()) return 0;

  std::unique_ptr<CURL, EasyDeleter> curl(curl_easy_init());
  if (!curl) return Error::Internal("curl_easy_init failed");
  const bool implicit_tls = settings_.tls == "tls";
  const std::string url = std::string(implicit_tls ? "smtps://" : "smtp://") + settings_.host +
                          ":" + std::to_string(settings_.port);
  CURL* e = curl.get();
  curl_easy_setopt(e, CURLOPT_URL, url.c_str());
  curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, implicit_tls ? "smtps" : "smtp");
  curl_easy_setopt(e, CURLOPT_USE_SSL,
                   settings_.tls == "starttls" ? long(CURLUSESSL_ALL) : long(CURLUSESSL_NONE));
  curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, long(settings_.timeout_ms));
  curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, long(settings_.timeout_ms));
  curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
  if (!settings_.user.empty()) {
    curl_easy_setopt(e, CURLOPT_USERNAME, settings_.user.c_str());
    curl_easy_setopt(e, CURLOPT_PASSWORD, settings_.password.c_str());
  }

  std::vector<BillingService::EmailOutcome> outcomes;
  for (OutboxEmail& m : claimed) {
    BillingService::EmailOutcome o;
    o.error = Send(e, settings_, m);
    stats_.attempts.fetch_add(1, std::memory_order_relaxed);
    if (o.error.empty()) {
      stats_.sent.fetch_add(1, std::memory_order_relaxed);
    } else {
      stats_.failed_attempts.fetch_add(1, std::memory_order_relaxed);
      spdlog::warn("email eml_{} ({} to {}): attempt {} failed: {}", m.seq, m.kind, m.customer_id,
                   m.attempts + 1, o.error);
    }
    o.email = std::move(m);
    outcomes.push_back(std::move(o));
  }
  BILLING_TRY(service_.RecordEmailOutcomes(outcomes));
  return int(outcomes.size());
}

}  // namespace billing
