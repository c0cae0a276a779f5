// The agent loop: sends the conversation to the Model, executes the tool calls it asks for
// (validated by the tools themselves; an unknown tool or bad arguments become an error result fed
// back to the model), and repeats until the model answers with text or maxSteps is reached.
// Client tools (supplied by the caller) are offered to the model; if the model calls one, the run
// stops with finish reason "tool-calls" so that the caller can execute it.
//
// With GenerateOptions::require_tool_approval, the run stops before each of its own tools runs:
// the output's finish reason is "suspended" and it carries the run's state (SuspendedRun); the
// caller asks its user and hands the decision to Resume(), which runs the call (approved) or
// gives the model "Tool call was not approved by the user" (declined), and goes on.
//
// Stream() is the same loop reporting its progress to an AgentEventSink as it happens (the
// streaming routes): step starts, text as the model produces it, tool calls, tool results, step
// ends. When the sink reports that its consumer is gone, the run stops at once: no further model
// call and no further tool execution.
//
// Thread-safety: an Agent is immutable after construction; Generate() and Stream() may run
// concurrently.
#pragma once

#include <memory>
#include <optional>
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
  // Stop before each call of the agent's own tools until Resume() brings the caller's decision.
  bool require_tool_approval = false;
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

struct SuspendedRun;

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
  // finish_reason "suspended": the state to hand to Agent::Resume (null otherwise).
  std::shared_ptr<SuspendedRun> suspended;
};

// A run between two steps, or stopped before a tool call awaiting approval. Made and read only
// by Agent; callers keep it (AgentOutput::suspended) and hand it back to Resume().
struct SuspendedRun {
  GenerateOptions options;
  AgentOutput out;         // the steps finished so far and their usage
  ModelRequest request;    // the conversation so far; while in a step, its tool calls last
  size_t input_count = 0;  // messages of `request` that were the run's input
  int step = 0;            // the step under way
  int max_steps = 1;
  bool in_tools = false;   // the step's model answer is in `current`; its calls are being run
  StepResult current;      // that step's answer and the results of its calls so far
  size_t next_call = 0;    // index in current.model.tool_calls of the next call to run
  bool client_tool_called = false;

  // The call awaiting a decision (valid while suspended).
  const ToolCall& pending_call() const { return current.model.tool_calls.at(next_call); }
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

  // Goes on with a suspended run: its pending call runs when `approved` (else the model is told
  // it was not approved), and the run continues, reporting to `sink` (null: none) from that
  // call's result on. It may suspend again at a later call. `options.tool_context` in `run` may
  // be refreshed by the caller first (the approver's current scopes).
  boost::asio::awaitable<Result<AgentOutput>> Resume(SuspendedRun run, bool approved,
                                                     AgentEventSink* sink) const;

 private:
  // A new run's state: the request with the instructions, tools and client tools.
  SuspendedRun Begin(std::vector<ChatMessage> input, GenerateOptions options) const;
  // The loop behind Generate (sink null), Stream and Resume, traced when a trace sink is set.
  // `decision`: the approval of the pending call of a suspended run (Resume), else nullopt.
  boost::asio::awaitable<Result<AgentOutput>> Run(SuspendedRun run, std::optional<bool> decision,
                                                  AgentEventSink* sink) const;
  // The steps of one run from where `run` stands; spans of its model and tool calls go to
  // `trace` (null: none).
  boost::asio::awaitable<Result<AgentOutput>> RunSteps(SuspendedRun run, std::optional<bool> decision,
                                                       AgentEventSink* sink,
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
