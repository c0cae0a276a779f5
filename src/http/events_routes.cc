// GET /api/events; see events_routes.h.
#include "http/events_routes.h"

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
constexpr size_t kMaxParamBytes = 64;  // an event id is 28 bytes, a type under 32

HttpResponse BadParameter(const std::string& field, const std::string& message) {
  return JsonResponse(bhttp::status::bad_request,
                      AuditDump({{"error", message}, {"field", field}}));
}

}  // namespace

nlohmann::json EventJson(const Event& e) {
  nlohmann::json data = nlohmann::json::parse(e.data_json, nullptr, false);
  if (data.is_discarded()) data = e.data_json;  // a damaged row is still listable
  return {{"id", e.id},
          {"type", e.type},
          {"createdAt", e.created_at},
          {"objectType", e.object_type},
          {"objectId", e.object_id},
          {"data", std::move(data)},
          {"requestId", e.request_id.empty() ? nlohmann::json() : nlohmann::json(e.request_id)},
          {"idempotencyKey",
           e.idempotency_key.empty() ? nlohmann::json() : nlohmann::json(e.idempotency_key)}};
}

HttpResponse EventListResponse(BillingService& service, const HttpRequest& request) {
  if (request.method() != bhttp::verb::get) {
    HttpResponse r = JsonError(bhttp::status::method_not_allowed, "Method not allowed");
    r.set(bhttp::field::allow, "GET");
    return r;
  }
  const std::string_view target = request.target();
  const size_t q = target.find('?');
  const Query query(q == std::string_view::npos ? std::string_view() : target.substr(q + 1),
                    kMaxQueryParams);
  if (query.truncated()) return BadParameter("query", "too many query parameters");
  std::string after, type;
  for (const char* key : {"after", "type"}) {
    const std::string* value = query.Find(key);
    if (value == nullptr) continue;
    if (value->empty() || value->size() > kMaxParamBytes) {
      return BadParameter(
          key, std::string(key) + " must be 1 to " + std::to_string(kMaxParamBytes) + " bytes");
    }
    (std::string_view(key) == "after" ? after : type) = *value;
  }
  int64_t limit = kEventPageMax;
  if (const std::string* value = query.Find("limit")) {
    auto [ptr, ec] = std::from_chars(value->data(), value->data() + value->size(), limit);
    if (value->empty() || ec != std::errc() || ptr != value->data() + value->size() || limit < 1 ||
        limit > kEventPageMax) {
      return BadParameter(
          "limit", "limit must be an integer between 1 and " + std::to_string(kEventPageMax));
    }
  }
  // order=newest: the newest events first, where a poller starts (then `after` its nextAfter).
  bool newest_first = false;
  if (const std::string* order = query.Find("order")) {
    if (*order != "newest" && *order != "oldest") {
      return BadParameter("order", "order must be oldest (the default) or newest");
    }
    newest_first = *order == "newest";
    if (newest_first && !after.empty()) {
      return BadParameter("order", "order=newest cannot be combined with after");
    }
  }
  auto rows = service.ListEvents(after, type, int(limit), newest_first);
  if (!rows.ok()) {
    const Error& e = rows.error();
    if (e.code == ErrorCode::kInvalidArgument) return BadParameter(e.field, e.message);
    if (e.code == ErrorCode::kNotFound) {
      return JsonResponse(bhttp::status::not_found,
                          AuditDump({{"error", e.message}, {"field", e.field}}));
    }
    if (e.code == ErrorCode::kDatabaseUnavailable) {
      return JsonError(bhttp::status::service_unavailable, "database unavailable");
    }
    spdlog::error("GET /api/events: {}", e.message);
    return JsonError(bhttp::status::internal_server_error, "Internal Server Error");
  }
  nlohmann::json events = nlohmann::json::array();
  nlohmann::json next = after.empty() ? nlohmann::json() : nlohmann::json(after);
  for (const Event& e : *rows) {
    events.push_back(EventJson(e));
    // Newest first: the cursor to poll from is the newest event's, the first.
    if (!newest_first || next.is_null()) next = e.id;
  }
  // order=newest is where a poller starts, not a page: nothing to page on from it.
  const bool more = !newest_first && int64_t(rows->size()) == limit;
  return JsonResponse(
      bhttp::status::ok,
      AuditDump({{"events", std::move(events)}, {"nextAfter", next}, {"hasMore", more}}));
}

}  // namespace billing::http
