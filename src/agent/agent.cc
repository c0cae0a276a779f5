#include "agent/agent.h"

#include "security/card_data.h"

#include <algorithm>
#include <cctype>
#include <chrono>

// GCC 12 with optimisation reports a false -Wmismatched-new-delete on Boost 1.74's coroutine
// frames (awaitable_frame_base's own operator new/delete pair); there is no real mismatch.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

namespace billing {

using nlohmann::json;

namespace {

constexpr int kMaxStepsLimit = 20;
// The result the model gets for a call its user declined (Mastra's text).
constexpr const char* kToolCallDeclined = "Tool call was not approved by the user";

bool IsClientTool(const json& client_tools, const std::string& name) {
  return client_tools.is_object() && client_tools.contains(name);
}

json UnknownToolResult(const std::string& name, const ToolRegistry& tools) {
  std::string available;
  for (const auto& t : tools.all()) available += (available.empty() ? "" : ", ") + t->key();
  return {{"success", false},
          {"error", true},
          {"code", "INVALID_ARGUMENT"},
          {"message", "Tool '" + name + "' does not exist. Available tools: " + available}};
}

json BadArgumentsResult(const ToolCall& call) {
  std::string raw = call.raw_args.substr(0, 500);
  return {{"success", false},
          {"error", true},
          {"code", "INVALID_ARGUMENT"},
          {"message", "Tool validation failed for " + call.name +
                          ": the arguments must be a JSON object, got: " + raw}};
}

namespace obs = observability;

// The model call's GenAI attributes (and Mastra's), or its error, on the span at `index`.
void RecordModelCall(obs::RunTrace* trace, size_t index, const Model& model,
                     const Result<ModelResponse>& response) {
  if (trace == nullptr || index == obs::RunTrace::npos) return;
  obs::Span& span = trace->span(index);
  span.attributes = {{"gen_ai.operation.name", "chat"},
                     {"gen_ai.provider.name", model.provider()},
                     {"gen_ai.request.model", model.model_id()},
                     {"model", model.model_id()},
                     {"provider", model.provider()}};
  if (!response.ok()) {
    span.error = {{"message", obs::ScrubForSpan(response.error().message)},
                  {"type", ErrorCodeName(response.error().code)}};
  } else {
    const ModelResponse& r = *response;
    const std::string model_id = r.model_id.empty() ? model.model_id() : r.model_id;
    span.attributes["gen_ai.response.model"] = model_id;
    if (!r.id.empty()) span.attributes["gen_ai.response.id"] = r.id;
    span.attributes["gen_ai.usage.input_tokens"] = r.usage.input_tokens;
    span.attributes["gen_ai.usage.output_tokens"] = r.usage.output_tokens;
    span.attributes["gen_ai.response.finish_reasons"] = json::array({r.finish_reason});
    span.attributes["usage"] = {{"promptTokens", r.usage.input_tokens},
                                {"completionTokens", r.usage.output_tokens},
                                {"totalTokens", r.usage.input_tokens + r.usage.output_tokens}};
    span.attributes["finishReason"] = r.finish_reason;
    json calls = json::array();
    for (const ToolCall& call : r.tool_calls) calls.push_back({{"id", call.id}, {"name", call.name}});
    span.output = obs::ScrubForSpan({{"text", r.text}, {"toolCalls", std::move(calls)}});
  }
  trace->End(index);
}

// The tool call's GenAI attributes, its arguments and result (scrubbed), on the span at `index`.
void RecordToolCall(obs::RunTrace* trace, size_t index, const ToolCall& call, const json& result) {
  if (trace == nullptr || index == obs::RunTrace::npos) return;
  obs::Span& span = trace->span(index);
  span.attributes = {{"gen_ai.operation.name", "execute_tool"},
                     {"gen_ai.tool.name", call.name},
                     {"gen_ai.tool.call.id", call.id},
                     {"gen_ai.tool.type", "function"},
                     {"toolId", call.name}};
  span.input = obs::ScrubForSpan(call.args.is_null() ? json(call.raw_args) : call.args);
  span.output = obs::ScrubForSpan(result);
  const bool failed = result.is_object() && (result.value("error", false) == true ||
                                             result.value("success", true) == false);
  if (failed) {
    const std::string type = result.value("code", std::string("TOOL_ERROR"));
    span.attributes["error.type"] = type;
    span.error = {{"message", obs::ScrubForSpan(result.value("message", std::string()))},
                  {"type", type}};
  }
  trace->End(index);
}

Error ClientGone() { return Error{ErrorCode::kUnavailable, "the client went away", {}}; }

// Hands one text delta to the sink; remembers when the sink's consumer is gone.
boost::asio::awaitable<bool> ForwardTextDelta(AgentEventSink& sink, int step, std::string_view text,
                                              bool& gone) {
  const bool more = co_await sink.OnTextDelta(step, text);
  if (!more) gone = true;
  co_return more;
}

}  // namespace


Agent::Agent(AgentConfig config, const ToolRegistry& tools, Model& model, const Clock& clock,
             RandomSource& random)
    : config_(std::move(config)), tools_(tools), model_(model), clock_(clock), random_(random) {
  auto specs = std::make_shared<std::vector<ToolSpec>>();
  for (const auto& t : tools_.all()) specs->push_back(ToolSpec{t->key(), t->description(), t->input_schema()});
  tool_specs_ = ToolSpecList(std::move(specs));
}

boost::asio::awaitable<Result<AgentOutput>> Agent::Generate(std::vector<ChatMessage> input,
                                                            GenerateOptions options) const {
  SuspendedRun run = Begin(std::move(input), std::move(options));
  co_return co_await Run(std::move(run), std::nullopt, nullptr);
}

boost::asio::awaitable<Result<AgentOutput>> Agent::Stream(std::vector<ChatMessage> input,
                                                          GenerateOptions options,
                                                          AgentEventSink& sink) const {
  SuspendedRun run = Begin(std::move(input), std::move(options));
  co_return co_await Run(std::move(run), std::nullopt, &sink);
}

boost::asio::awaitable<Result<AgentOutput>> Agent::Resume(SuspendedRun run, bool approved,
                                                          AgentEventSink* sink) const {
  if (!run.in_tools || run.next_call >= run.current.model.tool_calls.size()) {
    co_return Error::Internal("resume: the run awaits no tool call");
  }
  co_return co_await Run(std::move(run), approved, sink);
}

SuspendedRun Agent::Begin(std::vector<ChatMessage> input, GenerateOptions options) const {
  SuspendedRun run;
  AgentOutput& out = run.out;
  out.run_id = options.run_id.empty() ? NewUuid(random_) : options.run_id;
  options.run_id = out.run_id;
  out.provider = model_.provider();
  out.model_id = model_.model_id();

  ModelRequest& request = run.request;
  request.instructions =
      options.instructions_override.empty() ? config_.instructions : options.instructions_override;
  request.messages = std::move(input);
  request.tool_choice = options.tool_choice;
  request.model_settings = options.model_settings;
  request.tools = tool_specs_;
  if (options.client_tools.is_object()) {
    for (auto it = options.client_tools.begin(); it != options.client_tools.end(); ++it) {
      const json& def = it.value();
      ToolSpec spec{it.key(), "", json{{"type", "object"}, {"properties", json::object()}}};
      if (def.is_object()) {
        if (auto d = def.find("description"); d != def.end() && d->is_string()) spec.description = *d;
        for (const char* k : {"inputSchema", "parameters"}) {
          if (auto s = def.find(k); s != def.end() && s->is_object()) spec.parameters = *s;
        }
      }
      request.tools.push_back(std::move(spec));
    }
  }
  run.input_count = request.messages.size();
  run.max_steps = std::clamp(options.max_steps > 0 ? options.max_steps : config_.default_max_steps,
                             1, kMaxStepsLimit);
  run.options = std::move(options);
  return run;
}

boost::asio::awaitable<Result<AgentOutput>> Agent::Run(SuspendedRun run, std::optional<bool> decision,
                                                       AgentEventSink* sink) const {
  if (trace_sink_ == nullptr) {
    co_return co_await RunSteps(std::move(run), decision, sink, nullptr);
  }
  obs::RunTrace trace(clock_, random_, "invoke_agent " + config_.id, obs::kSpanTypeAgentRun);
  {
    const GenerateOptions& options = run.options;
    obs::Span& root = trace.root();
    root.attributes = {{"gen_ai.operation.name", "invoke_agent"},
                       {"gen_ai.agent.id", config_.id},
                       {"gen_ai.agent.name", config_.name},
                       {"gen_ai.provider.name", model_.provider()},
                       {"gen_ai.request.model", model_.model_id()},
                       {"agentId", config_.id},
                       {"streaming", sink != nullptr}};
    root.metadata = options.trace_metadata.is_object() ? options.trace_metadata : json::object();
    root.metadata["runId"] = run.out.run_id;
    if (decision) root.metadata["toolApproval"] = *decision ? "approved" : "declined";
    if (auto thread = root.metadata.find("threadId"); thread != root.metadata.end()) {
      root.attributes["gen_ai.conversation.id"] = *thread;
    }
    // The conversation as the run received it: its last messages (history included).
    constexpr size_t kInputMessages = 20;
    const std::vector<ChatMessage>& input = run.request.messages;
    json messages = json::array();
    const size_t first = input.size() > kInputMessages ? input.size() - kInputMessages : 0;
    for (size_t i = first; i < input.size(); ++i) {
      messages.push_back({{"role", input[i].role}, {"content", input[i].content}});
    }
    root.input = obs::ScrubForSpan(messages);
  }
  Result<AgentOutput> result = co_await RunSteps(std::move(run), decision, sink, &trace);
  obs::Span& root = trace.root();
  if (result.ok()) {
    root.attributes["gen_ai.response.model"] = result->model_id;
    root.attributes["gen_ai.usage.input_tokens"] = result->usage.input_tokens;
    root.attributes["gen_ai.usage.output_tokens"] = result->usage.output_tokens;
    root.attributes["gen_ai.response.finish_reasons"] = json::array({result->finish_reason});
    root.output = obs::ScrubForSpan({{"text", result->text}});
  } else {
    root.error = {{"message", obs::ScrubForSpan(result.error().message)},
                  {"type", ErrorCodeName(result.error().code)}};
    root.attributes["error.type"] = ErrorCodeName(result.error().code);
  }
  trace_sink_->Record(trace.Finish());
  co_return result;
}

boost::asio::awaitable<Result<AgentOutput>> Agent::RunSteps(SuspendedRun run,
                                                            std::optional<bool> decision,
                                                            AgentEventSink* sink,
                                                            obs::RunTrace* trace) const {
  AgentOutput& out = run.out;
  ModelRequest& request = run.request;
  const GenerateOptions& options = run.options;
  // Bounded: each round finishes one step (or leaves the loop), and steps are capped.
  for (; run.step < run.max_steps; ++run.step) {
    const int step = run.step;
    if (!run.in_tools) {
      Result<ModelResponse> r = Error::Internal("no model call");
      const auto model_started = std::chrono::steady_clock::now();
      const size_t model_span =
          trace == nullptr ? obs::RunTrace::npos
                           : trace->StartChild("chat " + model_.model_id(), obs::kSpanTypeModelGeneration);
      if (sink == nullptr) {
        r = co_await model_.Complete(request);
      } else {
        const bool started = co_await sink->OnStepStart(step);
        if (!started) co_return ClientGone();
        bool gone = false;
        const TextDeltaHandler on_text = [sink, step, &gone](std::string_view text) {
          return ForwardTextDelta(*sink, step, text, gone);
        };
        r = co_await model_.CompleteStreaming(request, on_text);
        if (gone) co_return ClientGone();
      }
      RecordModelCall(trace, model_span, model_, r);
      if (metrics_ != nullptr) {
        std::string outcome = r.ok() ? "ok" : ErrorCodeName(r.error().code);
        for (char& c : outcome) c = char(std::tolower(static_cast<unsigned char>(c)));
        metrics_->ObserveModelCall(model_.model_id(), outcome,
                                   std::chrono::duration_cast<std::chrono::microseconds>(
                                       std::chrono::steady_clock::now() - model_started)
                                       .count());
      }
      if (!r.ok()) co_return r.error();
      // A card number the model writes never reaches the answer or the memory.
      if (security::ContainsCardNumber(r->text)) r->text = security::RedactCardNumbers(r->text);
      run.current = StepResult{};
      run.current.step_type = step == 0 ? "initial" : "tool-result";
      run.current.model = std::move(r.value());
      const ModelResponse& resp = run.current.model;
      out.usage.input_tokens += resp.usage.input_tokens;
      out.usage.output_tokens += resp.usage.output_tokens;
      out.response_id = resp.id;
      if (!resp.model_id.empty()) out.model_id = resp.model_id;
      out.finish_reason = resp.finish_reason;
      out.text = resp.text;

      if (resp.tool_calls.empty()) {
        request.messages.push_back(ChatMessage{"assistant", resp.text, {}, {}, {}, {}});
        run.current.timestamp = clock_.NowIso8601();
        if (sink != nullptr) {
          const bool more = co_await sink->OnStepFinish(step, run.current, false, out.usage);
          if (!more) co_return ClientGone();
        }
        out.steps.push_back(std::move(run.current));
        break;
      }

      request.messages.push_back(ChatMessage{"assistant", resp.text, resp.tool_calls, {}, {}, {}});
      if (sink != nullptr) {
        for (const ToolCall& call : resp.tool_calls) {
          const bool more = co_await sink->OnToolCall(step, call);
          if (!more) co_return ClientGone();
        }
      }
      run.in_tools = true;
      run.next_call = 0;
      run.client_tool_called = false;
    }
    StepResult& result = run.current;
    // Bounded by the step's tool calls.
    for (; run.next_call < result.model.tool_calls.size(); ++run.next_call) {
      const ToolCall& call = result.model.tool_calls[run.next_call];
      if (IsClientTool(options.client_tools, call.name)) {
        result.tool_results.push_back(ToolResultRecord{call, json(), true});
        run.client_tool_called = true;
        continue;
      }
      const Tool* tool = tools_.FindByName(call.name);
      if (options.require_tool_approval && tool != nullptr && !decision) {
        // Stop here; Resume() comes back to this call with the caller's decision.
        AgentOutput suspended = out;
        suspended.finish_reason = "suspended";
        suspended.text.clear();
        suspended.timestamp = clock_.NowIso8601();
        suspended.suspended = std::make_shared<SuspendedRun>(std::move(run));
        co_return suspended;
      }
      const bool declined = decision.has_value() && !*decision;
      decision.reset();  // a decision covers one call
      json tool_result;
      const size_t tool_span = trace == nullptr ? obs::RunTrace::npos
                                                : trace->StartChild("execute_tool " + call.name,
                                                                    obs::kSpanTypeToolCall);
      if (tool == nullptr) {
        tool_result = UnknownToolResult(call.name, tools_);
      } else if (declined) {
        tool_result = kToolCallNotApproved;  // nothing ran
      } else if (!call.args.is_object() && !call.args.is_null()) {
        tool_result = BadArgumentsResult(call);
      } else if (call.args.is_null() && !call.raw_args.empty()) {
        tool_result = BadArgumentsResult(call);
      } else {
        ToolContext keyed;
        const ToolContext* context = &options.tool_context;
        if (!options.operation_scope.empty() && !call.id.empty()) {
          keyed = options.tool_context;
          keyed.operation_key = options.operation_scope + ":" + call.id;
          context = &keyed;
        }
        if (runner_ != nullptr) {
          tool_result = co_await runner_->Run(*tool, call.args, *context);
        } else {
          tool_result = tool->Execute(call.args, *context);
        }
      }
      RecordToolCall(trace, tool_span, call, tool_result);
      // The database is down: the run stops with 503 instead of asking the model to explain it.
      if (IsDatabaseUnavailable(tool_result)) {
        co_return Error{ErrorCode::kDatabaseUnavailable, "database unavailable", {}};
      }
      // Serialized once: the next model request and the HTTP answer both carry it.
      std::string result_text = tool_result.dump(-1, ' ', false, json::error_handler_t::replace);
      request.messages.push_back(ChatMessage{"tool", "", {}, call.id, call.name, tool_result, result_text});
      result.tool_results.push_back(ToolResultRecord{call, std::move(tool_result), false, std::move(result_text)});
      if (sink != nullptr) {
        const bool more = co_await sink->OnToolResult(step, result.tool_results.back());
        if (!more) co_return ClientGone();
      }
    }
    run.in_tools = false;
    result.timestamp = clock_.NowIso8601();
    const bool client_tool_called = run.client_tool_called;
    if (client_tool_called) out.finish_reason = "tool-calls";
    if (sink != nullptr) {
      const bool is_continued = !client_tool_called && step + 1 < run.max_steps;
      const bool more = co_await sink->OnStepFinish(step, result, is_continued, out.usage);
      if (!more) co_return ClientGone();
    }
    out.steps.push_back(std::move(result));
    if (client_tool_called) break;
  }
  // The messages this run added, moved out of the conversation (no copy).
  out.response_messages.assign(
      std::make_move_iterator(request.messages.begin() + std::ptrdiff_t(run.input_count)),
      std::make_move_iterator(request.messages.end()));
  out.timestamp = clock_.NowIso8601();
  co_return std::move(out);
}

}  // namespace billing
