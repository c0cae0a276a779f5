// WebhookWorker: sends the pending webhook deliveries (docs/webhooks.md; integration.md
// "Webhooks"). The deliveries are rows written with their events (the outbox, service.cc Emit);
// the worker claims the due ones in batches (each leased, so another instance on the same
// PostgreSQL database does not take it meanwhile), POSTs them with libcurl's multi interface
// (many transfers at once on one thread, no thread per request), and records every attempt:
// a 2xx within the timeout is delivered; anything else is retried on the schedule of
// kWebhookRetryMinutes (with jitter), up to kMaxWebhookAttempts or 3 days, then failed.
//
// What a receiver gets: POST with Content-Type: application/json, Billing-Event-Id and
// Billing-Signature: t=<unix s>,v1=<hex HMAC-SHA256(secret, "<t>." + body)> (during a secret
// rotation a second v1= signed with the old secret), and the body
// {"id","object":"event","type","created","data":{"object":...},"request":{"id","idempotencyKey"}}.
//
// SSRF: only http and https; redirects are never followed (a 3xx is a failed attempt); and the
// address curl is about to connect to, after DNS, is checked (so DNS rebinding does not help):
// private, loopback, link-local, metadata and other non-public ranges are refused unless the URL's
// host is in BILLING_WEBHOOK_ALLOW_HOSTS.
//
// At least once: a delivery the receiver acknowledged but that was not yet marked (a crash in
// between) is sent again when its lease ends, with the same event id.
//
// Thread-safety: Start() and Stop() from one thread; the worker runs on its own thread. RunOnce()
// is for tests and the CLI, not concurrently with a started worker.
#pragma once

#include <sys/socket.h>

#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "billing/service.h"
#include "common/result.h"
#include "integration/polling_worker.h"

namespace billing {

struct WebhookWorkerOptions {
  int poll_ms = 200;                     // idle: how often to look for due deliveries
  int batch = 256;                       // deliveries claimed at once
  int max_in_flight = 64;                // transfers at once
  int timeout_ms = 10'000;               // per attempt: a 2xx within it is delivered
  int64_t lease_ms = 60'000;             // a claimed delivery is not claimed again before this
  std::vector<std::string> allow_hosts;  // BILLING_WEBHOOK_ALLOW_HOSTS (lower case)
};

// t=<t>,v1=<hex HMAC-SHA256(secret, "<t>." + body)> for each secret, in order.
std::string WebhookSignature(int64_t t, std::string_view body,
                             const std::vector<std::string>& secrets);
// The JSON body sent for a claimed delivery.
std::string WebhookBody(const WebhookDelivery& d);
// Whether the worker may connect to `address` of a host not in the allow list: false for
// loopback, private, link-local (cloud metadata), CGNAT, multicast, unspecified and reserved
// ranges, IPv4 and IPv6 (an IPv4-mapped IPv6 address as its IPv4).
bool IsPublicAddress(const sockaddr* address);

class WebhookWorker {
 public:
  WebhookWorker(BillingService& service, WebhookWorkerOptions options);
  WebhookWorker(const WebhookWorker&) = delete;
  WebhookWorker& operator=(const WebhookWorker&) = delete;

  void Start() { loop_.Start(); }
  void Stop() { loop_.Stop(); }  // waits for the transfers in flight (at most timeout_ms)

  // One pass: claims what is due and sends it. Returns the number of attempts made.
  Result<int> RunOnce();

  struct Stats {
    std::atomic<int64_t> attempts{0}, delivered{0}, failed_attempts{0};
  };
  const Stats& stats() const { return stats_; }

 private:
  BillingService& service_;
  const WebhookWorkerOptions options_;
  Stats stats_;
  PollingWorker loop_;  // last: stopped first, before what its passes use
};

}  // namespace billing
