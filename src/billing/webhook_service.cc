// Webhook endpoints and the bookkeeping of their deliveries (integration.md "Webhooks";
// docs/webhooks.md). The deliveries themselves are written by Emit (service.cc), in the event's
// transaction; the worker that sends them is integration/webhook_worker.h.
#include <algorithm>
#include <map>

#include "billing/rules.h"
#include "billing/service.h"
#include "billing/service_internal.h"
#include "billing/webhook_url.h"

namespace billing {
namespace {

using nlohmann::json;

constexpr size_t kMaxUrlBytes = 2048;
constexpr size_t kMaxDescriptionBytes = 500;
constexpr int64_t kRotationOverlapMs = 24LL * 3600 * 1000;
constexpr int kMaxDeliveriesListed = 100;
constexpr int kMaxAttemptsListed = kMaxWebhookAttempts;

// The endpoint as the audit log and the API show it: never a secret.
json EndpointAuditJson(const WebhookEndpoint& e) {
  return {{"id", e.id},
          {"url", e.url},
          {"description", e.description},
          {"enabledEvents", e.enabled_events},
          {"status", e.status},
          {"failingSince", e.failing_since}};
}

// "*" or ",a,b," from a list of event types; kInvalid naming "enabledEvents".
Result<std::string> StoredEvents(const std::vector<std::string>& events) {
  if (events.empty()) {
    return Error::Invalid("enabledEvents", "enabledEvents must name \"*\" or event types");
  }
  if (events.size() == 1 && events[0] == "*") return std::string("*");
  std::vector<std::string> sorted;
  for (const std::string& t : events) {
    if (!IsOneOf(t, kEventTypes)) {
      return Error::Invalid("enabledEvents",
                            "enabledEvents: " + t + " is not an event type (docs/events.md)");
    }
    sorted.push_back(t);
  }
  std::sort(sorted.begin(), sorted.end());
  sorted.erase(std::unique(sorted.begin(), sorted.end()), sorted.end());
  std::string out = ",";
  for (const std::string& t : sorted) out += t + ",";
  return out;
}

std::string Lower(std::string text) {
  for (char& c : text) c = char(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

}  // namespace

Status BillingService::CheckWebhookUrl(const std::string& url, bool* allowed_host) const {
  if (url.empty() || url.size() > kMaxUrlBytes) {
    return Error::Invalid("url", "url must be 1 to " + std::to_string(kMaxUrlBytes) + " bytes");
  }
  for (unsigned char c : url) {
    if (c <= 0x20 || c == 0x7f)
      return Error::Invalid("url", "url must not hold spaces or controls");
  }
  const size_t scheme_end = url.find("://");
  if (scheme_end == std::string::npos)
    return Error::Invalid("url", "url must be http(s)://host/...");
  const std::string scheme = Lower(url.substr(0, scheme_end));
  const size_t host_start = scheme_end + 3;
  const std::string authority =
      url.substr(host_start, url.find_first_of("/?#", host_start) - host_start);
  if (authority.find('@') != std::string::npos) {
    return Error::Invalid("url", "url must not carry a user or password");
  }
  const std::string host = WebhookUrlHost(url);
  if (host.empty()) return Error::Invalid("url", "url has no host");
  const bool listed =
      std::find(options_.webhook_allow_hosts.begin(), options_.webhook_allow_hosts.end(), host) !=
      options_.webhook_allow_hosts.end();
  if (allowed_host != nullptr) *allowed_host = listed;
  if (scheme == "https") return OkStatus();
  if (scheme == "http" && listed) return OkStatus();
  if (scheme == "http") {
    return Error::Invalid("url",
                          "url must be https:// (http:// only to a host listed in "
                          "BILLING_WEBHOOK_ALLOW_HOSTS)");
  }
  return Error::Invalid("url", "url must be https://");
}

Result<WebhookEndpointSecret> BillingService::CreateWebhookEndpoint(
    const NewWebhookEndpoint& request) {
  BILLING_TRY(CheckWebhookUrl(request.url));
  if (request.description.size() > kMaxDescriptionBytes) {
    return Error::Invalid("description", "description must be at most 500 bytes");
  }
  BILLING_ASSIGN_OR_RETURN(std::string events, StoredEvents(request.events));
  if (cipher_ == nullptr) {
    return Error::Precondition(
        "Webhook secrets cannot be stored: no data key is configured "
        "(BILLING_DATA_KEYS)");
  }
  // Drawn before the transaction, which may run again.
  WebhookEndpointSecret out;
  WebhookEndpoint& e = out.endpoint;
  e.id = "we_" + ids_.HexToken(12);
  out.secret = "whsec_" + ids_.HexToken(32);
  BILLING_ASSIGN_OR_RETURN(e.secret_sealed, cipher_->Seal(out.secret, e.id));
  e.url = request.url;
  e.description = request.description;
  e.enabled_events = events;
  e.created_at = e.updated_at = clock_.NowIso8601();
  Status s = store_.Write([&](StoreTx& tx) -> Status {
    BILLING_ASSIGN_OR_RETURN(std::vector<WebhookEndpoint> all, tx.ListWebhookEndpoints());
    if (all.size() >= size_t(kMaxWebhookEndpoints)) {
      return Error::Precondition("There are already " + std::to_string(kMaxWebhookEndpoints) +
                                     " webhook endpoints, the limit",
                                 "url");
    }
    BILLING_TRY(tx.PutWebhookEndpoint(e));
    return Audit(tx, internal::Change(request.actor, request.request_id, "webhook_endpoint.create",
                                      "webhook_endpoint", e.id, nullptr, EndpointAuditJson(e)));
  });
  if (!s.ok()) return s.error();
  return out;
}

Result<WebhookEndpoint> BillingService::GetWebhookEndpoint(const std::string& id) {
  WebhookEndpoint out;
  Status s = store_.Read([&](StoreTx& tx) -> Status {
    BILLING_ASSIGN_OR_RETURN(std::optional<WebhookEndpoint> e, tx.FindWebhookEndpoint(id));
    if (!e) return Error::NotFound("Webhook endpoint " + id + " not found", "endpointId");
    out = std::move(*e);
    return OkStatus();
  });
  if (!s.ok()) return s.error();
  return out;
}

Result<std::vector<WebhookEndpoint>> BillingService::ListWebhookEndpoints() {
  std::vector<WebhookEndpoint> out;
  Status s = store_.Read([&](StoreTx& tx) -> Status {
    BILLING_ASSIGN_OR_RETURN(out, tx.ListWebhookEndpoints());
    return OkStatus();
  });
  if (!s.ok()) return s.error();
  return out;
}

Result<WebhookEndpoint> BillingService::UpdateWebhookEndpoint(const std::string& id,
                                                              const WebhookEndpointUpdate& u) {
  if (u.url) BILLING_TRY(CheckWebhookUrl(*u.url));
  if (u.description && u.description->size() > kMaxDescriptionBytes) {
    return Error::Invalid("description", "description must be at most 500 bytes");
  }
  std::string events;
  if (u.events) {
    BILLING_ASSIGN_OR_RETURN(events, StoredEvents(*u.events));
  }
  const std::string now = clock_.NowIso8601();
  WebhookEndpoint out;
  Status s = store_.Write([&](StoreTx& tx) -> Status {
    BILLING_ASSIGN_OR_RETURN(std::optional<WebhookEndpoint> found, tx.FindWebhookEndpoint(id));
    if (!found) return Error::NotFound("Webhook endpoint " + id + " not found", "endpointId");
    const json before = EndpointAuditJson(*found);
    out = std::move(*found);
    if (u.url) out.url = *u.url;
    if (u.description) out.description = *u.description;
    if (u.events) out.enabled_events = events;
    if (u.enabled) {
      out.status = *u.enabled ? "enabled" : "disabled";
      if (*u.enabled) out.failing_since.clear();  // a fresh start
    }
    out.updated_at = now;
    BILLING_TRY(tx.PutWebhookEndpoint(out));
    return Audit(tx, internal::Change(u.actor, u.request_id, "webhook_endpoint.update",
                                      "webhook_endpoint", id, before, EndpointAuditJson(out)));
  });
  if (!s.ok()) return s.error();
  return out;
}

Result<WebhookEndpoint> BillingService::DeleteWebhookEndpoint(const std::string& id,
                                                              const Actor& actor,
                                                              const std::string& request_id) {
  WebhookEndpoint out;
  Status s = store_.Write([&](StoreTx& tx) -> Status {
    BILLING_ASSIGN_OR_RETURN(std::optional<WebhookEndpoint> found, tx.FindWebhookEndpoint(id));
    if (!found) return Error::NotFound("Webhook endpoint " + id + " not found", "endpointId");
    out = std::move(*found);
    BILLING_TRY(tx.DeleteWebhookEndpoint(id));
    return Audit(tx, internal::Change(actor, request_id, "webhook_endpoint.delete",
                                      "webhook_endpoint", id, EndpointAuditJson(out), nullptr));
  });
  if (!s.ok()) return s.error();
  return out;
}

Result<WebhookEndpointSecret> BillingService::RotateWebhookSecret(const std::string& id,
                                                                  const Actor& actor,
                                                                  const std::string& request_id) {
  if (cipher_ == nullptr) {
    return Error::Precondition("Webhook secrets cannot be stored: no data key is configured");
  }
  WebhookEndpointSecret out;
  out.secret = "whsec_" + ids_.HexToken(32);
  BILLING_ASSIGN_OR_RETURN(std::string sealed, cipher_->Seal(out.secret, id));
  const int64_t now_ms = clock_.NowUnixMs();
  Status s = store_.Write([&](StoreTx& tx) -> Status {
    BILLING_ASSIGN_OR_RETURN(std::optional<WebhookEndpoint> found, tx.FindWebhookEndpoint(id));
    if (!found) return Error::NotFound("Webhook endpoint " + id + " not found", "endpointId");
    out.endpoint = std::move(*found);
    out.endpoint.previous_secret_sealed = out.endpoint.secret_sealed;
    out.endpoint.previous_secret_until = Iso8601FromUnixMs(now_ms + kRotationOverlapMs);
    out.endpoint.secret_sealed = sealed;
    out.endpoint.updated_at = Iso8601FromUnixMs(now_ms);
    BILLING_TRY(tx.PutWebhookEndpoint(out.endpoint));
    return Audit(
        tx, internal::Change(actor, request_id, "webhook_endpoint.rotate_secret",
                             "webhook_endpoint", id, nullptr, EndpointAuditJson(out.endpoint)));
  });
  if (!s.ok()) return s.error();
  return out;
}

Result<std::vector<WebhookDelivery>> BillingService::WebhookDeliveries(
    const std::string& endpoint_id, int64_t before_seq, int limit) {
  limit = std::clamp(limit, 1, kMaxDeliveriesListed);
  std::vector<WebhookDelivery> out;
  Status s = store_.Read([&](StoreTx& tx) -> Status {
    BILLING_ASSIGN_OR_RETURN(std::optional<WebhookEndpoint> e, tx.FindWebhookEndpoint(endpoint_id));
    if (!e) return Error::NotFound("Webhook endpoint " + endpoint_id + " not found", "endpointId");
    BILLING_ASSIGN_OR_RETURN(out, tx.DeliveriesOf(endpoint_id, before_seq, limit));
    return OkStatus();
  });
  if (!s.ok()) return s.error();
  return out;
}

Result<WebhookDelivery> BillingService::GetWebhookDelivery(int64_t delivery_seq) {
  WebhookDelivery out;
  Status s = store_.Read([&](StoreTx& tx) -> Status {
    BILLING_ASSIGN_OR_RETURN(std::optional<WebhookDelivery> d, tx.FindDelivery(delivery_seq));
    if (!d) {
      return Error::NotFound("Webhook delivery whd_" + std::to_string(delivery_seq) + " not found",
                             "deliveryId");
    }
    out = std::move(*d);
    return OkStatus();
  });
  if (!s.ok()) return s.error();
  return out;
}

Result<std::vector<WebhookAttempt>> BillingService::WebhookAttempts(int64_t delivery_seq) {
  std::vector<WebhookAttempt> out;
  Status s = store_.Read([&](StoreTx& tx) -> Status {
    BILLING_ASSIGN_OR_RETURN(out, tx.AttemptsOf(delivery_seq, kMaxAttemptsListed));
    return OkStatus();
  });
  if (!s.ok()) return s.error();
  return out;
}

Result<WebhookDelivery> BillingService::ResendWebhookDelivery(int64_t delivery_seq) {
  const std::string now = clock_.NowIso8601();
  WebhookDelivery out;
  Status s = store_.Write([&](StoreTx& tx) -> Status {
    BILLING_ASSIGN_OR_RETURN(std::optional<WebhookDelivery> d, tx.FindDelivery(delivery_seq));
    if (!d) {
      return Error::NotFound("Webhook delivery whd_" + std::to_string(delivery_seq) + " not found",
                             "deliveryId");
    }
    BILLING_ASSIGN_OR_RETURN(std::optional<WebhookEndpoint> e,
                             tx.FindWebhookEndpoint(d->endpoint_id));
    if (!e) return Error::Precondition("Its endpoint was deleted", "deliveryId");
    out = std::move(*d);
    out.status = "pending";
    out.next_attempt_at = now;
    return tx.UpdateDelivery(out);
  });
  if (!s.ok()) return s.error();
  return out;
}

Result<bool> BillingService::WebhookDeliveriesDue() {
  // A read: polling an empty outbox must not look like a write (PostgreSQL's read cache).
  bool due = false;
  const std::string now = clock_.NowIso8601();
  Status s = store_.Read([&](StoreTx& tx) -> Status {
    BILLING_ASSIGN_OR_RETURN(due, tx.AnyDeliveryDue(now));
    return OkStatus();
  });
  if (!s.ok()) return s.error();
  return due;
}

Result<std::vector<WebhookDelivery>> BillingService::ClaimWebhookDeliveries(int limit,
                                                                            int64_t lease_ms) {
  const int64_t now_ms = clock_.NowUnixMs();
  const std::string now = Iso8601FromUnixMs(now_ms);
  const std::string lease = Iso8601FromUnixMs(now_ms + lease_ms);
  std::vector<WebhookDelivery> out;
  Status s = store_.Write([&](StoreTx& tx) -> Status {
    BILLING_ASSIGN_OR_RETURN(out, tx.ClaimDeliveries(now, lease, limit));
    return OkStatus();
  });
  if (!s.ok()) return s.error();
  return out;
}

Result<std::vector<std::string>> BillingService::WebhookSigningSecrets(
    const WebhookEndpoint& endpoint) {
  if (cipher_ == nullptr) return Error::Precondition("no data key is configured");
  std::vector<std::string> out;
  BILLING_ASSIGN_OR_RETURN(std::string current, cipher_->Open(endpoint.secret_sealed, endpoint.id));
  out.push_back(std::move(current));
  if (!endpoint.previous_secret_sealed.empty() &&
      clock_.NowIso8601() < endpoint.previous_secret_until) {
    BILLING_ASSIGN_OR_RETURN(std::string previous,
                             cipher_->Open(endpoint.previous_secret_sealed, endpoint.id));
    out.push_back(std::move(previous));
  }
  return out;
}

Status BillingService::RecordWebhookOutcomes(const std::vector<WebhookOutcome>& outcomes) {
  const int64_t now_ms = clock_.NowUnixMs();
  const std::string now = Iso8601FromUnixMs(now_ms);
  // Jitter drawn before the transaction (which may run again): ±10% of each retry delay.
  std::vector<int64_t> jitter_bp;
  for (size_t i = 0; i < outcomes.size(); ++i) jitter_bp.push_back(ids_.UniformBasisPoints());
  return store_.Write([&](StoreTx& tx) -> Status {
    // The batch's endpoints, read once each (reset: the body may run again).
    std::map<std::string, std::optional<WebhookEndpoint>> endpoints;
    for (size_t i = 0; i < outcomes.size(); ++i) {
      const WebhookOutcome& o = outcomes[i];
      WebhookDelivery d = o.delivery;
      d.attempts += 1;
      d.last_status = o.status;
      d.last_error = o.error;
      BILLING_TRY(tx.InsertAttempt({d.seq, d.attempts, now, o.status, o.latency_ms, o.error}));
      auto cached = endpoints.find(d.endpoint_id);
      if (cached == endpoints.end()) {
        BILLING_ASSIGN_OR_RETURN(std::optional<WebhookEndpoint> found,
                                 tx.FindWebhookEndpoint(d.endpoint_id));
        cached = endpoints.emplace(d.endpoint_id, std::move(found)).first;
      }
      std::optional<WebhookEndpoint>& e = cached->second;
      const bool ok = o.status >= 200 && o.status < 300;
      if (ok) {
        d.status = "delivered";
        d.delivered_at = now;
        if (e && !e->failing_since.empty()) {
          e->failing_since.clear();
          e->updated_at = now;
          BILLING_TRY(tx.PutWebhookEndpoint(*e));
        }
        BILLING_TRY(tx.UpdateDelivery(d));
        continue;
      }
      const std::optional<std::string> next = internal::NextAttemptAt(
          d.attempts, options_.webhook_retry_seconds, d.created_at, now_ms, jitter_bp[i]);
      if (!next || !e) {
        d.status = "failed";
      } else {
        d.next_attempt_at = *next;
      }
      BILLING_TRY(tx.UpdateDelivery(d));
      if (!e) continue;
      // An endpoint that has failed without a success for 3 days is disabled, with an event.
      if (e->failing_since.empty()) {
        e->failing_since = now;
        e->updated_at = now;
        BILLING_TRY(tx.PutWebhookEndpoint(*e));
      } else if (e->status == "enabled" &&
                 e->failing_since < Iso8601FromUnixMs(now_ms - kWebhookGiveUpMs)) {
        const json before = EndpointAuditJson(*e);
        e->status = "disabled";
        e->updated_at = now;
        BILLING_TRY(tx.PutWebhookEndpoint(*e));
        BILLING_TRY(
            Audit(tx, internal::Change(Actor("webhooks"), "", "webhook_endpoint.disable",
                                       "webhook_endpoint", e->id, before, EndpointAuditJson(*e))));
        BILLING_TRY(Emit(tx, "webhook_endpoint.disabled", "webhook_endpoint", e->id,
                         EndpointAuditJson(*e), "", ""));
      }
    }
    return OkStatus();
  });
}

}  // namespace billing
