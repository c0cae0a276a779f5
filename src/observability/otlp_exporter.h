// Sends the traces of agent runs to an OpenTelemetry collector over OTLP/HTTP with the JSON
// encoding (POST <endpoint> with an ExportTraceServiceRequest; docs/observability.md), when
// OTEL_EXPORTER_OTLP_ENDPOINT is set.
//
// Record() only queues: a bounded queue (kMaxQueuedTraces; when full the newest trace is dropped
// and counted) drained by one worker thread in batches of at most kMaxTracesPerBatch. A batch the
// collector refuses with 429 or 5xx, or that cannot be sent, is retried kMaxAttempts times in all
// with a growing pause; then it is dropped and counted. A span's attributes are exported, its
// input and output (the conversation) are not. Stop() sends what is queued (one attempt each) and
// joins the worker.
//
// Thread-safety: Record() and the counters are safe from any thread; Start() and Stop() are
// called by the owner, once each.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/result.h"
#include "observability/span.h"

namespace billing::observability {

inline constexpr size_t kMaxQueuedTraces = 1024;
inline constexpr size_t kMaxTracesPerBatch = 64;
inline constexpr int kMaxAttempts = 3;

struct OtlpOptions {
  std::string endpoint;  // the full URL, e.g. http://collector:4318/v1/traces
  // Extra request headers ("k=v,k2=v2" as OTEL_EXPORTER_OTLP_HEADERS, values percent-decoded).
  std::vector<std::pair<std::string, std::string>> headers;
  std::string service_name = "billing-agent";
  std::string service_version;
  int64_t timeout_ms = 10'000;
  int64_t retry_pause_ms = 500;  // doubled after each failed attempt
};

// Parses OTEL_EXPORTER_OTLP_HEADERS; an entry without '=' or with an empty key is an error
// naming the variable.
Result<std::vector<std::pair<std::string, std::string>>> ParseOtlpHeaders(const std::string& text);

// The ExportTraceServiceRequest (OTLP/JSON) for `traces`: one resource (service.name,
// service.version), one scope, every span with its GenAI attributes, kind, times and status.
nlohmann::json OtlpTraceRequest(const std::vector<std::vector<Span>>& traces,
                                const std::string& service_name,
                                const std::string& service_version);

class OtlpExporter final : public TraceSink {
 public:
  explicit OtlpExporter(OtlpOptions options);
  ~OtlpExporter() override;
  OtlpExporter(const OtlpExporter&) = delete;
  OtlpExporter& operator=(const OtlpExporter&) = delete;

  void Start();
  void Stop();
  void Record(std::vector<Span> trace) override;

  uint64_t exported_spans() const { return exported_spans_.load(); }
  uint64_t dropped_traces() const { return dropped_traces_.load(); }
  size_t queued() const;

 private:
  void Loop();
  // POSTs one batch, retrying as the header says; true when the collector took it.
  bool Send(const std::string& body, int attempts);

  const OtlpOptions options_;
  mutable std::mutex mu_;
  std::condition_variable wake_;
  std::deque<std::vector<Span>> queue_;
  bool stopping_ = false;
  std::thread worker_;
  std::atomic<uint64_t> exported_spans_{0};
  std::atomic<uint64_t> dropped_traces_{0};
};

}  // namespace billing::observability
