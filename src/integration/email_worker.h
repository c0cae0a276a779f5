// EmailWorker: sends the email outbox (docs/email.md; integration.md "Email") over SMTP with
// libcurl, never a hand-written protocol. The messages are rows written with their events
// (BillingService::EnqueueEmail), already rendered in the customer's locale; the worker claims
// the due ones in batches (leased, as the webhook worker's deliveries), sends each as a
// multipart/alternative message (text, then HTML; quoted-printable, UTF-8) over one SMTP
// connection per batch, and records each outcome: accepted by the server is sent; anything else
// is retried on BillingOptions::email_retry_seconds (with jitter), then failed and logged.
//
// At least once: a message the server accepted but that was not yet marked (a crash in between)
// is sent again when its lease ends, with the same Message-ID, which mail systems dedupe on.
//
// Off unless configured: SmtpSettings::host empty = no worker (app/email_config.h reads them).
//
// Thread-safety: Start() and Stop() from one thread; the worker runs on its own thread. RunOnce()
// is for tests, not concurrently with a started worker.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>

#include "billing/service.h"
#include "common/result.h"
#include "integration/polling_worker.h"

namespace billing {

struct SmtpSettings {
  std::string host;                   // BILLING_SMTP_HOST; "" = email off
  int port = 587;                     // BILLING_SMTP_PORT
  std::string tls = "starttls";       // BILLING_SMTP_TLS: starttls | tls | none
  std::string user, password;         // BILLING_SMTP_USER / BILLING_SMTP_PASSWORD (never logged)
  std::string from_address;           // BILLING_EMAIL_FROM's address: billing@example.com
  std::string from_name = "Billing";  // BILLING_EMAIL_FROM's display name
  int timeout_ms = 10'000;            // per message
  int batch = 32;                     // messages claimed (and sent on one connection) at once
  int poll_ms = 500;                  // idle: how often to look for due messages
  int64_t lease_ms = 0;               // 0 = batch * timeout + 5 s
};

// "Subject: ..." value: as is when printable ASCII, else RFC 2047 encoded-words (UTF-8, base64),
// each at most 75 characters and never splitting a character. CR and LF never appear.
std::string EncodeHeaderText(std::string_view text);
// RFC 5322 date of an ISO 8601 UTC time ("Sun, 06 Dec 2026 10:00:00 +0000"); "" when malformed.
std::string Rfc5322Date(const std::string& iso);

class EmailWorker {
 public:
  EmailWorker(BillingService& service, SmtpSettings settings);
  EmailWorker(const EmailWorker&) = delete;
  EmailWorker& operator=(const EmailWorker&) = delete;

  void Start() { loop_.Start(); }
  void Stop() { loop_.Stop(); }  // waits for the message in flight (at most timeout_ms)

  // One pass: claims what is due and sends it. Returns the number of sends tried.
  Result<int> RunOnce();

  struct Stats {
    std::atomic<int64_t> attempts{0}, sent{0}, failed_attempts{0};
  };
  const Stats& stats() const { return stats_; }

 private:
  BillingService& service_;
  const SmtpSettings settings_;
  Stats stats_;
  PollingWorker loop_;  // last: stopped first, before what its passes use
};

}  // namespace billing
