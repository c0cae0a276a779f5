// The recent traces of agent runs, kept in memory for Mastra's observability routes
// (GET /api/observability/traces and /traces/:traceId; docs/observability.md) and handed on to an
// exporter (OTLP, observability/otlp_exporter.h) when one is set.
//
// Kept for a bounded time and in a bounded number: a trace older than `retention_ms`, or past the
// newest `max_traces`, is dropped when the next one is recorded (and is not listed meanwhile).
// The store is per process: several servers over one PostgreSQL each show their own runs; an
// OTLP collector sees them all.
//
// Thread-safety: every method may be called from any thread (one mutex; a list walks at most
// max_traces entries under it).
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/clock.h"
#include "observability/span.h"

namespace billing::observability {

struct TraceStoreOptions {
  size_t max_traces = 2000;
  int64_t retention_ms = 24LL * 60 * 60 * 1000;
};

// Mastra's filters (client-js getTraces): name and spanType of the root span, the entity (our
// agent), and a range of start times; a page of perPage roots, newest first.
struct TraceQuery {
  size_t page = 0;
  size_t per_page = 10;
  std::string name;
  std::string span_type;
  std::string entity_id;
  std::string entity_type;         // "agent" | "workflow" | ""
  int64_t start_from_unix_ms = 0;  // 0: no bound
  int64_t start_to_unix_ms = 0;    // 0: no bound
};

struct TracePage {
  std::vector<Span> roots;
  size_t total = 0;  // roots matching the query, all pages
};

class TraceStore final : public TraceSink {
 public:
  TraceStore(const Clock& clock, TraceStoreOptions options);

  // Keeps `trace` (root first), drops what is past the bounds, and hands a copy to the exporter.
  void Record(std::vector<Span> trace) override;
  // The exporter that also receives every trace; set before serving (null: none).
  void set_exporter(TraceSink* exporter) { exporter_ = exporter; }

  TracePage List(const TraceQuery& query) const;
  // Every span of the trace, root first; nullopt when it is not (or no longer) kept.
  std::optional<std::vector<Span>> Get(const std::string& trace_id) const;

 private:
  using Trace = std::shared_ptr<const std::vector<Span>>;
  bool Expired(const Trace& trace, int64_t now_ms) const;
  void DropOldLocked(int64_t now_ms);

  const Clock& clock_;
  const TraceStoreOptions options_;
  TraceSink* exporter_ = nullptr;
  mutable std::mutex mu_;
  std::deque<Trace> traces_;                      // oldest first
  std::unordered_map<std::string, Trace> by_id_;  // trace id -> its trace
};

}  // namespace billing::observability
