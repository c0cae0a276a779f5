#include "http/audit_routes.h"

#include <charconv>
#include <cstdint>
#include <string>
#include <string_view>

#include <spdlog/spdlog.h>

#include "billing/audit.h"
#include "http/url.h"

namespace billing::http {
namespace {

namespace bhttp = boost::beast::http;

constexpr size_t kMaxQueryParams = 32;
constexpr size_t kMaxFilterBytes = 256;

bool ParseInt(std::string_view s, int64_t min, int64_t max, int64_t* out) {
  int64_t v = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || ptr != s.data() + s.size() || v < min || v > max) {
    return false;
  }
  *out = v;
  return true;
}

}  // namespace

HttpResponse AuditVerifyResponse(BillingService& service, const HttpRequest& request) {
  if (request.method() != bhttp::verb::get) {
    HttpResponse r = JsonError(bhttp::status::method_not_allowed, "Method not allowed");
    r.set(bhttp::field::allow, "GET");
    return r;
  }
  int64_t rows = 0, broken = 0;
  std::string why;
  const Status s = service.VerifyAudit(&rows, &broken, &why);
  if (!s.ok()) {
    if (s.error().code == ErrorCode::kDatabaseUnavailable) {
      return JsonError(bhttp::status::service_unavailable, "database unavailable");
    }
    spdlog::error("GET /api/audit/verify: {}", s.error().message);
    return JsonError(bhttp::status::internal_server_error, "Internal Server Error");
  }
  return JsonResponse(bhttp::status::ok,
                      AuditDump({{"ok", broken == 0},
                                 {"rowsChecked", rows},
                                 {"firstBrokenSeq", broken == 0 ? nlohmann::json() : nlohmann::json(broken)},
                                 {"reason", broken == 0 ? nlohmann::json() : nlohmann::json(why)}}));
}

HttpResponse AuditListResponse(BillingService& service, const HttpRequest& request) {
  if (request.method() != bhttp::verb::get) {
    HttpResponse r = JsonError(bhttp::status::method_not_allowed, "Method not allowed");
    r.set(bhttp::field::allow, "GET");
    return r;
  }
  int64_t limit = kAuditPageMax;
  AuditQuery filter;
  std::string_view target = request.target();
  const size_t q = target.find('?');
  std::string_view query = q == std::string_view::npos ? std::string_view() : target.substr(q + 1);
  for (size_t n = 0; !query.empty() && n < kMaxQueryParams; ++n) {
    const size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    const size_t eq = pair.find('=');
    std::string_view key = pair.substr(0, eq);
    std::string_view value = eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1);
    if (key == "after" && !ParseInt(value, 0, INT64_MAX, &filter.after_seq)) {
      return JsonError(bhttp::status::bad_request, "after must be a non-negative integer");
    }
    if (key == "actor" || key == "onBehalfOf") {
      // Exact ids as recorded (key:bk_1a2b3c4d, cometchat:user123), percent-encoded.
      std::string id = PercentDecode(value, true);
      if (id.empty() || id.size() > kMaxFilterBytes) {
        return JsonError(bhttp::status::bad_request,
                         std::string(key) + " must be an id of 1 to " +
                             std::to_string(kMaxFilterBytes) + " bytes");
      }
      (key == "actor" ? filter.actor : filter.on_behalf_of) = std::move(id);
    }
    if (key == "limit" && !ParseInt(value, 1, kAuditPageMax, &limit)) {
      return JsonError(bhttp::status::bad_request,
                       "limit must be an integer between 1 and " + std::to_string(kAuditPageMax));
    }
  }
  auto rows = service.ListAudit(filter, int(limit));
  if (!rows.ok()) {
    spdlog::error("GET /api/audit: {}", rows.error().message);
    return JsonError(bhttp::status::internal_server_error, "Internal Server Error");
  }
  nlohmann::json entries = nlohmann::json::array();
  int64_t next = filter.after_seq;
  for (const AuditEntry& e : *rows) {
    entries.push_back(AuditEntryJson(e));
    next = e.seq;
  }
  // A full page may have more after it; a short one is the end of the (filtered) log.
  const bool more = int64_t(rows->size()) == limit;
  nlohmann::json body = {{"entries", std::move(entries)}, {"nextAfter", next}, {"hasMore", more}};
  return JsonResponse(bhttp::status::ok, AuditDump(body));
}

}  // namespace billing::http
