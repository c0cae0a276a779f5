// Spans of agent runs (docs/observability.md): one trace per run, with the run's span
// ("invoke_agent billingApiAgent"), one span per model call ("chat <model>") and one per tool
// call ("execute_tool <tool>"), named and attributed after the OpenTelemetry GenAI semantic
// conventions (gen_ai.*), and typed after Mastra's AI tracing (agent_run, model_generation,
// tool_call) so that Mastra's /api/observability routes can serve them as they are.
//
// RunTrace builds one run's trace; a TraceSink receives it when the run ends. What a span holds of
// the conversation (input, output, tool arguments and results) passes ScrubForSpan first: card
// numbers are redacted and long strings cut, so a span never holds a card number.
//
// Thread-safety: Span and RunTrace are plain values for one thread; a TraceSink's Record() is
// called from any thread (implementations synchronize).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/clock.h"

namespace billing::observability {

// Mastra's span types (@mastra/core AISpanType) for the three kinds we record.
inline constexpr const char* kSpanTypeAgentRun = "agent_run";
inline constexpr const char* kSpanTypeModelGeneration = "model_generation";
inline constexpr const char* kSpanTypeToolCall = "tool_call";

// Bounds: spans of one trace (a run of 20 steps with a few tool calls each fits), the bytes kept
// of one string inside a span's input or output, and the nesting depth walked.
inline constexpr size_t kMaxSpansPerTrace = 256;
inline constexpr size_t kMaxSpanStringBytes = 4096;
inline constexpr int kMaxSpanJsonDepth = 32;

struct Span {
  std::string trace_id;        // 32 lowercase hex digits
  std::string span_id;         // 16 lowercase hex digits
  std::string parent_span_id;  // "" for the trace's root
  std::string name;
  std::string span_type;
  nlohmann::json attributes = nlohmann::json::object();  // gen_ai.* and Mastra's keys
  nlohmann::json metadata = nlohmann::json::object();    // runId, threadId, resourceId
  nlohmann::json input;                                  // null when none
  nlohmann::json output;                                 // null when none
  nlohmann::json error;                                  // null, or {"message", "type"}
  int64_t start_unix_ms = 0;
  int64_t end_unix_ms = 0;  // 0 while the span is open

  bool failed() const { return !error.is_null(); }
};

// A span record as Mastra's storage answers it (AISpanRecord): traceId, spanId, parentSpanId,
// name, spanType, attributes, metadata, input, output, error, startedAt, endedAt, createdAt,
// updatedAt, isEvent, links, scope.
nlohmann::json SpanToMastraJson(const Span& span);

// `value` with every string's card numbers redacted (security/card_data.h), strings longer than
// kMaxSpanStringBytes cut (marked with "…"), numbers that spell a card number turned into the
// redacted string, and anything nested deeper than kMaxSpanJsonDepth replaced by "…".
nlohmann::json ScrubForSpan(const nlohmann::json& value);

// Receives each finished trace (its root first). Called once per run, from the thread that ran
// it; must not block on I/O.
class TraceSink {
 public:
  virtual ~TraceSink() = default;
  virtual void Record(std::vector<Span> trace) = 0;
};

// One run's trace under construction. Spans past kMaxSpansPerTrace are not kept (the root's
// attribute "mastra.spans_dropped" counts them).
class RunTrace {
 public:
  // Starts the root span now; ids from `random`.
  RunTrace(const Clock& clock, RandomSource& random, std::string name, std::string span_type);

  Span& root() { return spans_.front(); }
  // Starts a child of the root now; its index for span() and End(), or npos when dropped.
  size_t StartChild(std::string name, std::string span_type);
  // The span at `index` (a value StartChild returned, not npos; 0 is the root).
  Span& span(size_t index) { return spans_.at(index); }
  // Ends the span at `index` now (npos: nothing).
  void End(size_t index);
  // Ends the root and gives the trace away.
  std::vector<Span> Finish();

  static constexpr size_t npos = static_cast<size_t>(-1);

 private:
  const Clock& clock_;
  RandomSource& random_;
  std::vector<Span> spans_;
  int64_t dropped_ = 0;
};

}  // namespace billing::observability
