// Prometheus metrics (docs/observability.md "Metrics"), served at GET /metrics in the text
// exposition format 0.0.4: counters and histograms the server updates as it works (requests,
// model calls, tool calls), plus what a scrape reads at that moment (collectors: the store's
// group commits, payments by status, the billing-run and webhook backlogs, the OTLP exporter).
//
// Label values are bounded by their callers (route templates, tool ids, outcome codes) and by a
// cap per family: past kMaxSeriesPerFamily series, new label sets are counted under "other".
//
// Thread-safety: every method may be called from any thread. Updates are atomic increments under
// a shared lock (a new series takes the exclusive lock once); Render() takes the shared lock.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

namespace billing::observability {

inline constexpr size_t kMaxSeriesPerFamily = 512;
inline constexpr size_t kMaxCollectors = 16;

// Writes families and samples in the text format, escaping label values.
class PrometheusWriter {
 public:
  // "# HELP" and "# TYPE" lines; `type` is counter, gauge or histogram.
  void Family(std::string_view name, std::string_view help, std::string_view type);
  // One sample line: name{label="value",...} value.
  void Sample(std::string_view name, const std::vector<std::pair<std::string, std::string>>& labels,
              std::string_view value);
  void Sample(std::string_view name, const std::vector<std::pair<std::string, std::string>>& labels,
              int64_t value) {
    Sample(name, labels, std::to_string(value));
  }
  // A histogram's _bucket (cumulative, with +Inf), _sum and _count lines from per-bucket counts
  // (`counts` has bounds.size() + 1 entries, the last for values above every bound).
  void Histogram(std::string_view name, std::vector<std::pair<std::string, std::string>> labels,
                 const std::vector<double>& bounds, const std::vector<uint64_t>& counts,
                 std::string_view sum);
  std::string& text() { return text_; }

 private:
  std::string text_;
};

class Metrics {
 public:
  Metrics();
  ~Metrics();
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  // One answered HTTP request: its route template (http/route_label.h), method, status, and the
  // time until its answer (a stream: until its end).
  void ObserveHttpRequest(std::string_view route, std::string_view method, int status,
                          int64_t duration_us);
  // One model call: the model id, "ok" or the error code, and its time.
  void ObserveModelCall(std::string_view model, std::string_view outcome, int64_t duration_us);
  // One tool call from any caller (agent, tool route, REST): the tool id and "ok" or its code.
  void CountToolCall(std::string_view tool, std::string_view outcome);

  // Adds what a scrape also reads (called from Render, in order). At most kMaxCollectors; set
  // before serving.
  using Collector = std::function<void(PrometheusWriter&)>;
  void AddCollector(Collector collector);

  std::string Render() const;

 private:
  struct Family;
  std::unique_ptr<Family> http_requests_;
  std::unique_ptr<Family> http_duration_;
  std::unique_ptr<Family> model_calls_;
  std::unique_ptr<Family> model_duration_;
  std::unique_ptr<Family> tool_calls_;
  std::vector<Collector> collectors_;
};

}  // namespace billing::observability
