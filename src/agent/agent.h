// The agent loop: sends the conversation to the Model, executes the tool calls it asks for
// (validated by the tools themselves; an unknown tool or bad arguments become an error result fed
// back to the model), and repeats until the model answers with text or maxSteps is reached.
// Client tools (supplied by the caller) are offered to the model; if the model calls one, the run
// stops with finish reason "tool-calls" so that the caller can execute it.
//
// Stream() is the same loop reporting its progress to an AgentEventSink as it happens (the
// streaming routes): step starts, text as the model produces it, tool calls, tool results, step
// ends. When the sink reports that its consumer is gone, the run stops at once: no further model
// call and no further tool execution.
//
// Thread-safety: an Agent is immutable after construction; Generate() and Stream() may run
// concurrently.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <utility>  // before boost: 1.74 awaitable.hpp needs std::exchange

#include <boost/asio/awaitable.hpp>
#include <nlohmann/json.hpp>

#include "agent/model.h"
#include "agent/tool_runner.h"
#include "common/clock.h"
#include "common/uuid.h"
#include "common/result.h"
#include "observability/metrics.h"
#include "observability/span.h"
#include "tools/tool.h"

namespace billing {

struct AgentConfig {
  std::string id = "billingApiAgent";  // registry key: the URL segment
  std::string name = "Billing API Agent";
  std::string description;
  std::string instructions;
  int default_max_steps = 5;
};

struct GenerateOptions {
  int max_steps = 0;  // 0 = the agent's default; bounded to [1, 20]
  std::string run_id;  // generated when empty
  ToolContext tool_context;
  nlohmann::json client_tools;  // {"name": {"id","description","inputSchema"}} or null
  nlohmann::json tool_choice;   // passed to the model
  nlohmann::json model_settings = nlohmann::json::object();
  std::string instructions_override;  // body "instructions", when given
  // When set, every tool call of the run carries operation key "<operation_scope>:<call id>"
  // (BillingService "Operation keys"): the same tool call id in the same scope (a memory thread,
  // or an Idempotency-Key) never changes the ledger twice.
  std::string operation_scope;
  // Kept in the run's trace as its metadata (request id, memory thread and resource, principal).
  nlohmann::json trace_metadata = nlohmann::json::object();
};

struct ToolResultRecord {
  ToolCall call;
  nlohmann::json result;
  bool client_tool = false;  // not executed here: the caller runs it
  // `result` serialized (compact), made once by the agent and reused by the model request and
  // the HTTP answers; empty when not made (tests, client tools).
  std::string result_text = {};
};

struct StepResult {
  std::string step_type;  // "initial" | "tool-result"
  ModelResponse model;
  std::vector<ToolResultRecord> tool_results;  // executed calls of this step, in order
  std::string timestamp;                       // ISO 8601 when the step finished
};

struct AgentOutput {
  std::string run_id;
  std::string text;
  std::string finish_reason;  // of the last step
  std::vector<StepResult> steps;
  ModelUsage usage;  // summed over the steps
  std::string response_id;
  std::string model_id;
  std::string provider;
  std::string timestamp;
  // The messages this run added (assistant tool calls, tool results, final assistant text).
  std::vector<ChatMessage> response_messages;
};

// Receives one Stream() run's progress. Each call is awaited before the run goes on, and calls
// are sequential (never concurrent). Returning false means "my consumer is gone": the run stops
// (Stream() then returns kUnavailable "the client went away"). Step numbers start at 0.
class AgentEventSink {
 public:
  virtual ~AgentEventSink() = default;
  // Before the model is asked for step `step`.
  virtual boost::asio::awaitable<bool> OnStepStart(int step) = 0;
  // A piece of the step's text, as the model produced it (the pieces concatenate to the text).
  virtual boost::asio::awaitable<bool> OnTextDelta(int step, std::string_view text) = 0;
  // Each tool call of the step, in order, once the model answered and before any is executed.
  virtual boost::asio::awaitable<bool> OnToolCall(int step, const ToolCall& call) = 0;
  // Each executed (non-client) tool call's result, right after it ran.
  virtual boost::asio::awaitable<bool> OnToolResult(int step, const ToolResultRecord& record) = 0;
  // The step is complete; `is_continued`: another step follows. `usage_so_far` is summed over
  // the steps up to this one.
  virtual boost::asio::awaitable<bool> OnStepFinish(int step, const StepResult& result, bool is_continued,
                                                    const ModelUsage& usage_so_far) = 0;
};

class Agent {
 public:
  Agent(AgentConfig config, const ToolRegistry& tools, Model& model, const Clock& clock,
        RandomSource& random);

  const AgentConfig& config() const { return config_; }
  // Runs the tool calls (agent/tool_runner.h); null: inline on the run's thread. Set before use.
  void set_tool_runner(const ToolRunner* runner) { runner_ = runner; }
  const ToolRunner* tool_runner() const { return runner_; }
  // Receives each run's trace (observability/span.h); null: runs are not traced. Set before use.
  void set_trace_sink(observability::TraceSink* sink) { trace_sink_ = sink; }
  // Counts each model call and its time (/metrics); null: not counted. Set before use.
  void set_metrics(observability::Metrics* metrics) { metrics_ = metrics; }
  const ToolRegistry& tools() const { return tools_; }
  Model& model() const { return model_; }

  boost::asio::awaitable<Result<AgentOutput>> Generate(std::vector<ChatMessage> input,
                                                       GenerateOptions options) const;

  // Generate(), reporting progress to `sink` (which must outlive the call). The model is asked
  // with Model::CompleteStreaming. Errors: those of Generate() (a model error can come after some
  // events were reported), and kUnavailable "the client went away" when the sink said so.
  boost::asio::awaitable<Result<AgentOutput>> Stream(std::vector<ChatMessage> input, GenerateOptions options,
                                                     AgentEventSink& sink) const;

 private:
  // The loop behind Generate (sink null) and Stream, traced when a trace sink is set.
  boost::asio::awaitable<Result<AgentOutput>> Run(std::vector<ChatMessage> input, GenerateOptions options,
                                                  AgentEventSink* sink) const;
  // The steps of one run; spans of its model and tool calls go to `trace` (null: none).
  boost::asio::awaitable<Result<AgentOutput>> RunSteps(std::vector<ChatMessage> input,
                                                       GenerateOptions options, AgentEventSink* sink,
                                                       observability::RunTrace* trace) const;

  AgentConfig config_;
  const ToolRegistry& tools_;
  Model& model_;
  const Clock& clock_;
  RandomSource& random_;
  ToolSpecList tool_specs_;  // the registry's tools as the model sees them, built once
  const ToolRunner* runner_ = nullptr;
  observability::TraceSink* trace_sink_ = nullptr;
  observability::Metrics* metrics_ = nullptr;
};

}  // namespace billing
