// The webhook delivery worker; see webhook_worker.h.
#include "integration/webhook_worker.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <memory>

#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include "billing/audit.h"
#include "billing/webhook_url.h"

namespace billing {
namespace {

using nlohmann::json;

constexpr int kMaxErrorBytes = 200;

std::string Hex(const unsigned char* data, size_t n) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(n * 2);
  for (size_t i = 0; i < n; ++i) {
    out += kDigits[data[i] >> 4];
    out += kDigits[data[i] & 15];
  }
  return out;
}

// Unix seconds of "YYYY-MM-DDTHH:MM:SS.mmmZ" (the server's own timestamps); 0 when malformed.
int64_t UnixSeconds(const std::string& iso) {
  Date day;
  if (iso.size() < 19 || !Date::Parse(iso.substr(0, 10), &day)) return 0;
  auto num = [&](size_t at) { return (iso[at] - '0') * 10 + (iso[at + 1] - '0'); };
  return day.DaysSinceEpoch() * 86400LL + num(11) * 3600LL + num(14) * 60LL + num(17);
}

bool InV4(uint32_t addr, uint32_t net, int bits) {
  const uint32_t mask = bits == 0 ? 0 : ~uint32_t(0) << (32 - bits);
  return (addr & mask) == (net & mask);
}

bool PublicV4(uint32_t a) {
  struct Range {
    uint32_t net;
    int bits;
  };
  static constexpr Range kBlocked[] = {
      {0x00000000, 8},   // "this" network
      {0x0A000000, 8},   // private
      {0x64400000, 10},  // CGNAT
      {0x7F000000, 8},   // loopback
      {0xA9FE0000, 16},  // link-local, cloud metadata 169.254.169.254
      {0xAC100000, 12},  // private
      {0xC0000000, 24},  // IETF protocol assignments
      {0xC0A80000, 16},  // private
      {0xC6120000, 15},  // benchmarking
      {0xE0000000, 4},   // multicast
      {0xF0000000, 4},   // reserved, broadcast
  };
  for (const Range& r : kBlocked) {
    if (InV4(a, r.net, r.bits)) return false;
  }
  return true;
}

// One transfer: its delivery, what it sends, and what came back.
struct Transfer {
  BillingService::WebhookOutcome outcome;
  std::string body;
  curl_slist* headers = nullptr;
  bool allow_private = false;  // the URL's host is allow-listed
  bool blocked = false;        // the socket callback refused the address
  std::chrono::steady_clock::time_point started;
  CURL* easy = nullptr;

  ~Transfer() {
    if (headers != nullptr) curl_slist_free_all(headers);
    if (easy != nullptr) curl_easy_cleanup(easy);
  }
};

curl_socket_t OpenSocket(void* clientp, curlsocktype, curl_sockaddr* address) {
  auto* t = static_cast<Transfer*>(clientp);
  if (!t->allow_private && !IsPublicAddress(&address->addr)) {
    t->blocked = true;
    return CURL_SOCKET_BAD;
  }
  return ::socket(address->family, address->socktype, address->protocol);
}

size_t Discard(char*, size_t size, size_t n, void*) {
  return size * n;
}

struct CurlGlobal {
  CurlGlobal() { curl_global_init(CURL_GLOBAL_DEFAULT); }
};

}  // namespace

bool IsPublicAddress(const sockaddr* address) {
  if (address->sa_family == AF_INET) {
    const auto* v4 = reinterpret_cast<const sockaddr_in*>(address);
    return PublicV4(ntohl(v4->sin_addr.s_addr));
  }
  if (address->sa_family == AF_INET6) {
    const auto* v6 = reinterpret_cast<const sockaddr_in6*>(address);
    const uint8_t* b = v6->sin6_addr.s6_addr;
    static constexpr uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (std::equal(kMapped, kMapped + 12, b)) {
      return PublicV4(uint32_t(b[12]) << 24 | uint32_t(b[13]) << 16 | uint32_t(b[14]) << 8 | b[15]);
    }
    const bool unspecified_or_loopback =
        std::all_of(b, b + 15, [](uint8_t x) { return x == 0; }) && (b[15] == 0 || b[15] == 1);
    if (unspecified_or_loopback) return false;
    if ((b[0] & 0xfe) == 0xfc) return false;                  // unique local fc00::/7
    if (b[0] == 0xfe && (b[1] & 0xc0) == 0x80) return false;  // link-local fe80::/10
    if (b[0] == 0xff) return false;                           // multicast
    if (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x0d && b[3] == 0xb8) return false;  // docs
    return true;
  }
  return false;
}

std::string WebhookSignature(int64_t t, std::string_view body,
                             const std::vector<std::string>& secrets) {
  const std::string payload = std::to_string(t) + "." + std::string(body);
  std::string out = "t=" + std::to_string(t);
  for (const std::string& secret : secrets) {
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    HMAC(EVP_sha256(), secret.data(), int(secret.size()),
         reinterpret_cast<const unsigned char*>(payload.data()), payload.size(), mac, &len);
    out += ",v1=" + Hex(mac, len);
  }
  return out;
}

std::string WebhookBody(const WebhookDelivery& d) {
  json data = json::parse(d.event_data_json, nullptr, false);
  if (data.is_discarded()) data = d.event_data_json;
  json body = {{"id", d.event_id},
               {"object", "event"},
               {"type", d.event_type},
               {"created", UnixSeconds(d.event_created_at)},
               {"data", {{"object", std::move(data)}}},
               {"request",
                {{"id", d.event_request_id.empty() ? json() : json(d.event_request_id)},
                 {"idempotencyKey",
                  d.event_idempotency_key.empty() ? json() : json(d.event_idempotency_key)}}}};
  return AuditDump(body);
}

WebhookWorker::WebhookWorker(BillingService& service, WebhookWorkerOptions options)
    : service_(service),
      options_(std::move(options)),
      loop_("webhooks", options_.poll_ms, options_.batch, [this] { return RunOnce(); }) {
  static CurlGlobal global;
}

Result<int> WebhookWorker::RunOnce() {
  BILLING_ASSIGN_OR_RETURN(bool due, service_.WebhookDeliveriesDue());
  if (!due) return 0;
  BILLING_ASSIGN_OR_RETURN(std::vector<WebhookDelivery> claimed,
                           service_.ClaimWebhookDeliveries(options_.batch, options_.lease_ms));
  if (claimed.empty()) return 0;

  // The endpoints of this batch and the secrets that sign for them now.
  struct Target {
    bool found = false;
    WebhookEndpoint endpoint;
    std::vector<std::string> secrets;
    std::string error;
  };
  std::map<std::string, Target> targets;
  for (const WebhookDelivery& d : claimed) {
    if (targets.count(d.endpoint_id)) continue;
    Target& t = targets[d.endpoint_id];
    auto e = service_.GetWebhookEndpoint(d.endpoint_id);
    if (!e.ok()) {
      t.error = e.error().code == ErrorCode::kNotFound ? "endpoint deleted" : e.error().message;
      continue;
    }
    auto secrets = service_.WebhookSigningSecrets(*e);
    if (!secrets.ok()) {
      t.error = "cannot open the endpoint's secret: " + secrets.error().message;
      continue;
    }
    t.found = true;
    t.endpoint = std::move(*e);
    t.secrets = std::move(*secrets);
  }

  std::vector<std::unique_ptr<Transfer>> transfers;
  std::vector<BillingService::WebhookOutcome> outcomes;
  for (WebhookDelivery& d : claimed) {
    const Target& target = targets[d.endpoint_id];
    if (!target.found || target.endpoint.status != "enabled") {
      BillingService::WebhookOutcome o;
      o.delivery = std::move(d);
      o.error = target.found ? "endpoint disabled" : target.error;
      outcomes.push_back(std::move(o));
      continue;
    }
    auto t = std::make_unique<Transfer>();
    t->body = WebhookBody(d);
    const int64_t now_s = std::chrono::duration_cast<std::chrono::seconds>(
                              std::chrono::system_clock::now().time_since_epoch())
                              .count();
    t->headers = curl_slist_append(t->headers, "Content-Type: application/json");
    t->headers = curl_slist_append(t->headers, ("Billing-Event-Id: " + d.event_id).c_str());
    t->headers = curl_slist_append(
        t->headers,
        ("Billing-Signature: " + WebhookSignature(now_s, t->body, target.secrets)).c_str());
    t->headers = curl_slist_append(t->headers, "User-Agent: billing-agent-webhooks/1");
    t->headers = curl_slist_append(t->headers, "Expect:");
    const std::string host = WebhookUrlHost(target.endpoint.url);
    t->allow_private = std::find(options_.allow_hosts.begin(), options_.allow_hosts.end(), host) !=
                       options_.allow_hosts.end();
    t->easy = curl_easy_init();
    if (t->easy == nullptr) return Error::Internal("curl_easy_init failed");
    CURL* e = t->easy;
    curl_easy_setopt(e, CURLOPT_URL, target.endpoint.url.c_str());
    curl_easy_setopt(e, CURLOPT_POST, 1L);
    curl_easy_setopt(e, CURLOPT_POSTFIELDS, t->body.c_str());
    curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, long(t->body.size()));
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, t->headers);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, long(options_.timeout_ms));
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, long(options_.timeout_ms));
    curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_OPENSOCKETFUNCTION, OpenSocket);
    curl_easy_setopt(e, CURLOPT_OPENSOCKETDATA, t.get());
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, Discard);
    curl_easy_setopt(e, CURLOPT_PRIVATE, t.get());
    t->outcome.delivery = std::move(d);
    transfers.push_back(std::move(t));
  }

  // Run the transfers, at most max_in_flight at once, on this thread.
  CURLM* multi = curl_multi_init();
  if (multi == nullptr) return Error::Internal("curl_multi_init failed");
  curl_multi_setopt(multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, long(options_.max_in_flight));
  size_t next = 0, running_count = 0;
  auto add_more = [&] {
    while (next < transfers.size() && running_count < size_t(options_.max_in_flight)) {
      transfers[next]->started = std::chrono::steady_clock::now();
      curl_multi_add_handle(multi, transfers[next]->easy);
      ++next;
      ++running_count;
    }
  };
  add_more();
  while (running_count > 0) {
    int still = 0;
    curl_multi_perform(multi, &still);
    int queued = 0;
    while (CURLMsg* msg = curl_multi_info_read(multi, &queued)) {
      if (msg->msg != CURLMSG_DONE) continue;
      Transfer* t = nullptr;
      curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, reinterpret_cast<char**>(&t));
      long code = 0;
      curl_easy_getinfo(msg->easy_handle, CURLINFO_RESPONSE_CODE, &code);
      t->outcome.latency_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                                  std::chrono::steady_clock::now() - t->started)
                                  .count();
      if (msg->data.result != CURLE_OK) {
        t->outcome.status = 0;
        t->outcome.error = t->blocked ? "refused: the address is not public (SSRF guard)"
                                      : curl_easy_strerror(msg->data.result);
      } else {
        t->outcome.status = int(code);
        if (code >= 300 && code < 400)
          t->outcome.error = "redirect not followed";
        else if (code < 200 || code >= 300)
          t->outcome.error = "HTTP " + std::to_string(code);
      }
      if (t->outcome.error.size() > size_t(kMaxErrorBytes)) t->outcome.error.resize(kMaxErrorBytes);
      curl_multi_remove_handle(multi, msg->easy_handle);
      --running_count;
    }
    add_more();
    if (running_count > 0) curl_multi_poll(multi, nullptr, 0, 100, nullptr);
  }
  curl_multi_cleanup(multi);

  for (auto& t : transfers) outcomes.push_back(std::move(t->outcome));
  const int attempts = int(outcomes.size());
  for (const auto& o : outcomes) {
    stats_.attempts.fetch_add(1, std::memory_order_relaxed);
    if (o.status >= 200 && o.status < 300) {
      stats_.delivered.fetch_add(1, std::memory_order_relaxed);
    } else {
      stats_.failed_attempts.fetch_add(1, std::memory_order_relaxed);
    }
  }
  BILLING_TRY(service_.RecordWebhookOutcomes(outcomes));
  return attempts;
}

}  // namespace billing
