// OTLP/HTTP JSON export of traces; see otlp_exporter.h.
#include "observability/otlp_exporter.h"

#include <curl/curl.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <memory>

namespace billing::observability {

using nlohmann::json;

namespace {

struct CurlGlobal {
  CurlGlobal() { curl_global_init(CURL_GLOBAL_DEFAULT); }
};

size_t Discard(char*, size_t size, size_t count, void*) {
  return size * count;
}

json AnyValue(const json& value) {
  switch (value.type()) {
    case json::value_t::boolean:
      return {{"boolValue", value.get<bool>()}};
    case json::value_t::number_integer:
    case json::value_t::number_unsigned:
      return {{"intValue", value.dump()}};  // int64 travels as a string in OTLP/JSON
    case json::value_t::number_float:
      return {{"doubleValue", value.get<double>()}};
    case json::value_t::string:
      return {{"stringValue", value.get<std::string>()}};
    case json::value_t::array: {
      json values = json::array();
      for (const json& item : value) values.push_back(AnyValue(item));
      return {{"arrayValue", {{"values", std::move(values)}}}};
    }
    default:
      return {{"stringValue", value.dump(-1, ' ', false, json::error_handler_t::replace)}};
  }
}

json KeyValues(const json& object) {
  json out = json::array();
  if (!object.is_object()) return out;
  for (auto it = object.begin(); it != object.end(); ++it) {
    out.push_back({{"key", it.key()}, {"value", AnyValue(it.value())}});
  }
  return out;
}

std::string UnixNano(int64_t unix_ms) {
  return std::to_string(unix_ms) + "000000";
}

// SPAN_KIND_INTERNAL = 1, SPAN_KIND_CLIENT = 3: a model call goes to another service.
int SpanKind(const Span& span) {
  return span.span_type == kSpanTypeModelGeneration ? 3 : 1;
}

std::string PercentDecodeValue(const std::string& text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size() &&
        std::isxdigit(static_cast<unsigned char>(text[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(text[i + 2]))) {
      out.push_back(char(std::stoi(text.substr(i + 1, 2), nullptr, 16)));
      i += 2;
    } else {
      out.push_back(text[i]);
    }
  }
  return out;
}

std::string Trim(std::string text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.erase(0, 1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.pop_back();
  return text;
}

}  // namespace

Result<std::vector<std::pair<std::string, std::string>>> ParseOtlpHeaders(const std::string& text) {
  std::vector<std::pair<std::string, std::string>> headers;
  size_t start = 0;
  for (int round = 0; round < 64 && start < text.size(); ++round) {
    size_t end = text.find(',', start);
    if (end == std::string::npos) end = text.size();
    const std::string item = text.substr(start, end - start);
    start = end + 1;
    if (Trim(item).empty()) continue;
    const size_t eq = item.find('=');
    const std::string key = eq == std::string::npos ? "" : Trim(item.substr(0, eq));
    if (key.empty() || key.find_first_of("\r\n:") != std::string::npos) {
      return Error::Invalid("OTEL_EXPORTER_OTLP_HEADERS",
                            "OTEL_EXPORTER_OTLP_HEADERS entries must be key=value");
    }
    const std::string value = PercentDecodeValue(Trim(item.substr(eq + 1)));
    if (value.find_first_of("\r\n") != std::string::npos) {
      return Error::Invalid("OTEL_EXPORTER_OTLP_HEADERS",
                            "a header value cannot hold a line break");
    }
    headers.emplace_back(key, value);
  }
  return headers;
}

json OtlpTraceRequest(const std::vector<std::vector<Span>>& traces, const std::string& service_name,
                      const std::string& service_version) {
  json spans = json::array();
  for (const std::vector<Span>& trace : traces) {
    for (const Span& span : trace) {
      json out = {{"traceId", span.trace_id},
                  {"spanId", span.span_id},
                  {"name", span.name},
                  {"kind", SpanKind(span)},
                  {"startTimeUnixNano", UnixNano(span.start_unix_ms)},
                  {"endTimeUnixNano", UnixNano(std::max(span.end_unix_ms, span.start_unix_ms))},
                  {"attributes", KeyValues(span.attributes)}};
      if (!span.parent_span_id.empty()) out["parentSpanId"] = span.parent_span_id;
      // STATUS_CODE_OK = 1, STATUS_CODE_ERROR = 2.
      if (span.failed()) {
        out["status"] = {{"code", 2}, {"message", span.error.value("message", std::string())}};
      } else {
        out["status"] = {{"code", 1}};
      }
      spans.push_back(std::move(out));
    }
  }
  json resource = {{"attributes", KeyValues({{"service.name", service_name},
                                             {"service.version", service_version}})}};
  json scope = {{"name", "billing-agent"}, {"version", service_version}};
  return {{"resourceSpans",
           json::array({{{"resource", std::move(resource)},
                         {"scopeSpans", json::array({{{"scope", std::move(scope)},
                                                      {"spans", std::move(spans)}}})}}})}};
}

OtlpExporter::OtlpExporter(OtlpOptions options) : options_(std::move(options)) {
  static CurlGlobal curl_global;
}

OtlpExporter::~OtlpExporter() {
  Stop();
}

void OtlpExporter::Start() {
  std::lock_guard lock(mu_);
  if (worker_.joinable() || stopping_) return;
  worker_ = std::thread([this] { Loop(); });
}

void OtlpExporter::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (worker_.joinable()) worker_.join();
}

void OtlpExporter::Record(std::vector<Span> trace) {
  {
    std::lock_guard lock(mu_);
    if (stopping_ || queue_.size() >= kMaxQueuedTraces) {
      dropped_traces_.fetch_add(1);
      return;
    }
    queue_.push_back(std::move(trace));
  }
  wake_.notify_one();
}

size_t OtlpExporter::queued() const {
  std::lock_guard lock(mu_);
  return queue_.size();
}

void OtlpExporter::Loop() {
  for (;;) {
    std::vector<std::vector<Span>> batch;
    bool stopping = false;
    {
      std::unique_lock lock(mu_);
      wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      stopping = stopping_;
      if (stopping && queue_.empty()) return;
      while (!queue_.empty() && batch.size() < kMaxTracesPerBatch) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    size_t span_count = 0;
    for (const auto& trace : batch) span_count += trace.size();
    const std::string body =
        OtlpTraceRequest(batch, options_.service_name, options_.service_version)
            .dump(-1, ' ', false, json::error_handler_t::replace);
    if (Send(body, stopping ? 1 : kMaxAttempts)) {
      exported_spans_.fetch_add(span_count);
    } else {
      dropped_traces_.fetch_add(batch.size());
    }
  }
}

bool OtlpExporter::Send(const std::string& body, int attempts) {
  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), curl_easy_cleanup);
  if (!curl) return false;
  curl_slist* raw_headers = curl_slist_append(nullptr, "Content-Type: application/json");
  for (const auto& [key, value] : options_.headers) {
    raw_headers = curl_slist_append(raw_headers, (key + ": " + value).c_str());
  }
  std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> headers(raw_headers,
                                                                      curl_slist_free_all);
  CURL* e = curl.get();
  curl_easy_setopt(e, CURLOPT_URL, options_.endpoint.c_str());
  curl_easy_setopt(e, CURLOPT_POST, 1L);
  curl_easy_setopt(e, CURLOPT_POSTFIELDS, body.c_str());
  curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, long(body.size()));
  curl_easy_setopt(e, CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, long(options_.timeout_ms));
  curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, long(options_.timeout_ms));
  curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, Discard);
  int64_t pause_ms = options_.retry_pause_ms;
  for (int attempt = 1; attempt <= attempts; ++attempt) {
    const CURLcode code = curl_easy_perform(e);
    long status = 0;
    curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
    if (code == CURLE_OK && status >= 200 && status < 300) return true;
    const bool retryable = code != CURLE_OK || status == 429 || status >= 500;
    spdlog::warn(
        "otlp: export to {} failed ({}), attempt {} of {}", options_.endpoint,
        code != CURLE_OK ? std::string(curl_easy_strerror(code)) : "HTTP " + std::to_string(status),
        attempt, attempts);
    if (!retryable || attempt == attempts) break;
    std::unique_lock lock(mu_);
    // A stop cuts the pause short; the attempt after it is the last.
    if (wake_.wait_for(lock, std::chrono::milliseconds(pause_ms), [this] { return stopping_; })) {
      attempts = attempt + 1;
    }
    pause_ms *= 2;
  }
  return false;
}

}  // namespace billing::observability
