// Mastra's observability routes; see observability_routes.h.
#include "http/observability_routes.h"

#include <charconv>
#include <cstdint>
#include <optional>
#include <string>

#include "http/url.h"

namespace billing::http {
namespace {

namespace bhttp = boost::beast::http;
using nlohmann::json;

constexpr size_t kMaxQueryParams = 16;
constexpr size_t kMaxParamBytes = 256;

HttpResponse BadParameter(const std::string& field, const std::string& message) {
  return JsonResponse(bhttp::status::bad_request,
                      json({{"error", message}, {"field", field}}).dump());
}

std::optional<int64_t> ParseCount(const std::string& text, int64_t low, int64_t high) {
  int64_t value = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || ptr != text.data() + text.size() || value < low ||
      value > high) {
    return std::nullopt;
  }
  return value;
}

// "YYYY-MM-DD" or "YYYY-MM-DDTHH:MM:SS[.fff]Z" as Unix milliseconds.
std::optional<int64_t> ParseMoment(const std::string& text) {
  Date day;
  if (text.size() < 10 || !Date::Parse(text.substr(0, 10), &day)) return std::nullopt;
  int64_t ms = day.DaysSinceEpoch() * 86'400'000;
  if (text.size() == 10) return ms;
  if (text.size() < 20 || text[10] != 'T' || text[13] != ':' || text[16] != ':' ||
      text.back() != 'Z') {
    return std::nullopt;
  }
  auto h = ParseCount(text.substr(11, 2), 0, 23);
  auto m = ParseCount(text.substr(14, 2), 0, 59);
  auto s = ParseCount(text.substr(17, 2), 0, 60);
  if (!h || !m || !s) return std::nullopt;
  ms += (*h * 3600 + *m * 60 + *s) * 1000;
  const std::string rest = text.substr(19, text.size() - 20);  // between the seconds and 'Z'
  if (!rest.empty()) {
    if (rest.size() < 2 || rest.size() > 10 || rest[0] != '.') return std::nullopt;
    std::string fraction = rest.substr(1);
    fraction.resize(3, '0');
    auto f = ParseCount(fraction, 0, 999);
    if (!f) return std::nullopt;
    ms += *f;
  }
  return ms;
}

}  // namespace

HttpResponse TraceListResponse(const observability::TraceStore& store, const HttpRequest& request) {
  const std::string_view target = request.target();
  const size_t q = target.find('?');
  const Query query(q == std::string_view::npos ? std::string_view() : target.substr(q + 1),
                    kMaxQueryParams);
  if (query.truncated()) return BadParameter("query", "too many query parameters");
  observability::TraceQuery filter;
  if (const std::string* page = query.Find("page")) {
    auto value = ParseCount(*page, 0, 1'000'000);
    if (!value) return BadParameter("page", "page must be an integer from 0");
    filter.page = size_t(*value);
  }
  if (const std::string* per_page = query.Find("perPage")) {
    auto value = ParseCount(*per_page, 1, kMaxTracesPerPage);
    if (!value) {
      return BadParameter("perPage", "perPage must be an integer between 1 and " +
                                         std::to_string(kMaxTracesPerPage));
    }
    filter.per_page = size_t(*value);
  }
  for (auto [key, out] :
       {std::pair{"name", &filter.name}, std::pair{"spanType", &filter.span_type},
        std::pair{"entityId", &filter.entity_id}, std::pair{"entityType", &filter.entity_type}}) {
    const std::string* value = query.Find(key);
    if (value == nullptr) continue;
    if (value->size() > kMaxParamBytes) {
      return BadParameter(
          key, std::string(key) + " must be at most " + std::to_string(kMaxParamBytes) + " bytes");
    }
    *out = *value;
  }
  if (const std::string* range = query.Find("dateRange")) {
    const json parsed = json::parse(*range, nullptr, false);
    if (!parsed.is_object()) {
      return BadParameter("dateRange", "dateRange must be a JSON object {\"start\", \"end\"}");
    }
    for (auto [key, out] : {std::pair{"start", &filter.start_from_unix_ms},
                            std::pair{"end", &filter.start_to_unix_ms}}) {
      auto it = parsed.find(key);
      if (it == parsed.end() || it->is_null()) continue;
      std::optional<int64_t> moment = it->is_string() ? ParseMoment(*it) : std::nullopt;
      if (!moment) {
        return BadParameter("dateRange",
                            std::string("dateRange.") + key + " must be an ISO 8601 UTC time");
      }
      *out = *moment;
    }
  }
  const observability::TracePage page = store.List(filter);
  json spans = json::array();
  for (const observability::Span& root : page.roots) {
    spans.push_back(observability::SpanToMastraJson(root));
  }
  const bool has_more = (filter.page + 1) * filter.per_page < page.total;
  return JsonResponse(bhttp::status::ok, json({{"spans", std::move(spans)},
                                               {"pagination",
                                                {{"total", page.total},
                                                 {"page", filter.page},
                                                 {"perPage", filter.per_page},
                                                 {"hasMore", has_more}}}})
                                             .dump(-1, ' ', false, json::error_handler_t::replace));
}

HttpResponse TraceResponse(const observability::TraceStore& store, std::string_view trace_id) {
  std::optional<std::vector<observability::Span>> spans = store.Get(std::string(trace_id));
  if (!spans) {
    return JsonResponse(bhttp::status::not_found,
                        json({{"error", "Trace with ID " + std::string(trace_id) + " not found"}})
                            .dump(-1, ' ', false, json::error_handler_t::replace));
  }
  json out = json::array();
  for (const observability::Span& span : *spans)
    out.push_back(observability::SpanToMastraJson(span));
  return JsonResponse(bhttp::status::ok, json({{"traceId", trace_id}, {"spans", std::move(out)}})
                                             .dump(-1, ' ', false, json::error_handler_t::replace));
}

}  // namespace billing::http
