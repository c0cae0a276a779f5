// Prometheus metrics; see metrics.h.
#include "observability/metrics.h"

#include <cassert>
#include <cstdio>
#include <mutex>

namespace billing::observability {

namespace {

using Labels = std::vector<std::pair<std::string, std::string>>;

const std::vector<double> kRequestSecondsBounds = {0.001, 0.005, 0.01, 0.025, 0.05, 0.1,
                                                   0.25,  0.5,   1,    2.5,   5,    10};
const std::vector<double> kModelSecondsBounds = {0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60};

std::string FormatBound(double bound) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%g", bound);
  return buffer;
}

std::string SecondsFromMicros(uint64_t micros) {
  char buffer[48];
  std::snprintf(buffer, sizeof buffer, "%llu.%06llu",
                static_cast<unsigned long long>(micros / 1'000'000),
                static_cast<unsigned long long>(micros % 1'000'000));
  return buffer;
}

void AppendEscaped(std::string& out, std::string_view value) {
  for (char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
}

}  // namespace

void PrometheusWriter::Family(std::string_view name, std::string_view help, std::string_view type) {
  text_ += "# HELP ";
  text_ += name;
  text_ += ' ';
  for (char c : help) text_ += c == '\n' ? ' ' : c;
  text_ += "\n# TYPE ";
  text_ += name;
  text_ += ' ';
  text_ += type;
  text_ += '\n';
}

void PrometheusWriter::Sample(std::string_view name, const Labels& labels, std::string_view value) {
  text_ += name;
  if (!labels.empty()) {
    text_ += '{';
    for (size_t i = 0; i < labels.size(); ++i) {
      if (i > 0) text_ += ',';
      text_ += labels[i].first;
      text_ += "=\"";
      AppendEscaped(text_, labels[i].second);
      text_ += '"';
    }
    text_ += '}';
  }
  text_ += ' ';
  text_ += value;
  text_ += '\n';
}

void PrometheusWriter::Histogram(std::string_view name, Labels labels,
                                 const std::vector<double>& bounds,
                                 const std::vector<uint64_t>& counts, std::string_view sum) {
  assert(counts.size() == bounds.size() + 1);
  const std::string base(name);
  uint64_t cumulative = 0;
  labels.emplace_back("le", "");
  for (size_t i = 0; i <= bounds.size(); ++i) {
    cumulative += counts[i];
    labels.back().second = i < bounds.size() ? FormatBound(bounds[i]) : "+Inf";
    Sample(base + "_bucket", labels, std::to_string(cumulative));
  }
  labels.pop_back();
  Sample(base + "_sum", labels, sum);
  Sample(base + "_count", labels, std::to_string(cumulative));
}

// One metric family of counters or histograms, its series keyed by label values.
struct Metrics::Family {
  struct Series {
    explicit Series(size_t buckets) : bucket_counts(buckets) {}
    std::atomic<uint64_t> value{0};                    // a counter's
    std::vector<std::atomic<uint64_t>> bucket_counts;  // a histogram's, per bucket
    std::atomic<uint64_t> sum_micros{0};
  };

  Family(std::string name_in, std::string help_in, std::vector<std::string> label_names_in,
         std::vector<double> bounds_in = {})
      : name(std::move(name_in)),
        help(std::move(help_in)),
        label_names(std::move(label_names_in)),
        bounds(std::move(bounds_in)),
        histogram(!bounds.empty()) {}

  Series& Get(std::vector<std::string> values) {
    assert(values.size() == label_names.size());
    {
      std::shared_lock lock(mu);
      auto it = series.find(values);
      if (it != series.end()) return *it->second;
    }
    std::unique_lock lock(mu);
    if (series.size() >= kMaxSeriesPerFamily && series.find(values) == series.end()) {
      values.assign(label_names.size(), "other");
    }
    auto& slot = series[values];
    if (!slot) slot = std::make_unique<Series>(histogram ? bounds.size() + 1 : 0);
    return *slot;
  }

  void Add(std::vector<std::string> values, uint64_t n) { Get(std::move(values)).value += n; }

  void Observe(std::vector<std::string> values, int64_t micros) {
    Series& s = Get(std::move(values));
    const uint64_t us = micros < 0 ? 0 : uint64_t(micros);
    const double seconds = double(us) / 1e6;
    size_t bucket = 0;
    while (bucket < bounds.size() && seconds > bounds[bucket]) ++bucket;
    s.bucket_counts[bucket] += 1;
    s.sum_micros += us;
  }

  void Render(PrometheusWriter& out) const {
    out.Family(name, help, histogram ? "histogram" : "counter");
    std::shared_lock lock(mu);
    for (const auto& [values, s] : series) {
      Labels labels;
      for (size_t i = 0; i < values.size(); ++i) labels.emplace_back(label_names[i], values[i]);
      if (!histogram) {
        out.Sample(name, labels, std::to_string(s->value.load()));
        continue;
      }
      std::vector<uint64_t> counts;
      for (const auto& c : s->bucket_counts) counts.push_back(c.load());
      out.Histogram(name, labels, bounds, counts, SecondsFromMicros(s->sum_micros.load()));
    }
  }

  const std::string name;
  const std::string help;
  const std::vector<std::string> label_names;
  const std::vector<double> bounds;
  const bool histogram;
  mutable std::shared_mutex mu;
  std::map<std::vector<std::string>, std::unique_ptr<Series>> series;
};

Metrics::Metrics()
    : http_requests_(std::make_unique<Family>(
          "billing_http_requests_total", "HTTP requests answered, by route template and status.",
          std::vector<std::string>{"route", "method", "status"})),
      http_duration_(std::make_unique<Family>(
          "billing_http_request_duration_seconds",
          "Time from a request to the end of its answer (a stream: to its last event).",
          std::vector<std::string>{"route", "method"}, kRequestSecondsBounds)),
      model_calls_(std::make_unique<Family>("billing_model_calls_total",
                                            "Model calls of agent runs, by model and outcome.",
                                            std::vector<std::string>{"model", "outcome"})),
      model_duration_(std::make_unique<Family>(
          "billing_model_call_duration_seconds", "Time a model call took, to its last token.",
          std::vector<std::string>{"model"}, kModelSecondsBounds)),
      tool_calls_(std::make_unique<Family>(
          "billing_tool_calls_total",
          "Tool calls from the agent, the tool routes and REST, by tool and outcome.",
          std::vector<std::string>{"tool", "outcome"})) {}

Metrics::~Metrics() = default;

void Metrics::ObserveHttpRequest(std::string_view route, std::string_view method, int status,
                                 int64_t duration_us) {
  http_requests_->Add({std::string(route), std::string(method), std::to_string(status)}, 1);
  http_duration_->Observe({std::string(route), std::string(method)}, duration_us);
}

void Metrics::ObserveModelCall(std::string_view model, std::string_view outcome,
                               int64_t duration_us) {
  model_calls_->Add({std::string(model), std::string(outcome)}, 1);
  model_duration_->Observe({std::string(model)}, duration_us);
}

void Metrics::CountToolCall(std::string_view tool, std::string_view outcome) {
  tool_calls_->Add({std::string(tool), std::string(outcome)}, 1);
}

void Metrics::AddCollector(Collector collector) {
  assert(collectors_.size() < kMaxCollectors);
  if (collectors_.size() < kMaxCollectors) collectors_.push_back(std::move(collector));
}

std::string Metrics::Render() const {
  PrometheusWriter out;
  for (const Family* family : {http_requests_.get(), http_duration_.get(), model_calls_.get(),
                               model_duration_.get(), tool_calls_.get()}) {
    family->Render(out);
  }
  for (const Collector& collect : collectors_) collect(out);
  return std::move(out.text());
}

}  // namespace billing::observability
