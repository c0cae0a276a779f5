// MastraApi's streamed routes (http/mastra_routes.h): POST /api/agents/:agentId/stream (Mastra
// vNext chunks as server-sent events) and /stream-legacy (the AI-SDK v4 data stream), with the
// sinks that turn a run's events into those chunks. The other routes are in mastra_routes.cc.
#include "http/mastra_routes.h"

// GCC 12 at -O1/-O2 reports -Wmismatched-new-delete on Boost.Asio awaitable frames (asio gives
// coroutine frames a matching class-specific operator new/delete; GCC's coroutine lowering
// misreads the pair). A known false positive; silenced for this file only.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <spdlog/spdlog.h>

#include "http/json_body.h"
#include "http/routes_internal.h"
#include "http/stream_events.h"
#include "http/tool_approval.h"

namespace billing::http {
namespace {

namespace bhttp = boost::beast::http;
using internal::RunRequestError;

// The streamed-response sinks below write through a ResponseStream; a failed write means the
// client is gone, after which nothing more is written and the run is told to stop.
// (Style: every co_await is its own statement with named arguments, never inside a condition or
// next to temporaries; GCC 12 mis-destroys temporaries of such expressions.)
class StreamWriter {
 public:
  explicit StreamWriter(ResponseStream& stream) : stream_(stream) {}
  boost::asio::awaitable<bool> Send(std::string item) {
    if (gone_) co_return false;
    Status written = co_await stream_.Write(item);
    if (!written.ok()) {
      gone_ = true;
      spdlog::info("stream: the client went away: {}", written.error().message);
    }
    co_return !gone_;
  }
  bool gone() const { return gone_; }

 private:
  ResponseStream& stream_;
  bool gone_ = false;
};

// Mastra vNext chunks (stream_events.h (a)) for one run.
class MastraChunkSink final : public AgentEventSink {
 public:
  MastraChunkSink(StreamWriter& writer, std::string run_id, std::string message_id,
                  std::string provider, std::string model_id)
      : writer_(writer),
        run_id_(std::move(run_id)),
        message_id_(std::move(message_id)),
        provider_(std::move(provider)),
        model_id_(std::move(model_id)) {}

  boost::asio::awaitable<bool> OnStepStart(int step) override {
    (void)step;
    std::string chunk = SseChunk("step-start", run_id_, StepStartPayload(message_id_));
    const bool ok = co_await writer_.Send(std::move(chunk));
    co_return ok;
  }
  boost::asio::awaitable<bool> OnTextDelta(int step, std::string_view text) override {
    if (text.empty()) co_return !writer_.gone();
    std::vector<std::string> chunks;
    if (!text_open_) {
      text_id_ = "t" + std::to_string(step + 1);
      text_open_ = true;
      chunks.push_back(SseChunk("text-start", run_id_, TextStartPayload(text_id_)));
    }
    chunks.push_back(SseChunk("text-delta", run_id_, TextDeltaPayload(text_id_, text)));
    const bool ok = co_await SendAll(std::move(chunks));
    co_return ok;
  }
  boost::asio::awaitable<bool> OnToolCall(int step, const ToolCall& call) override {
    (void)step;
    std::vector<std::string> chunks;
    CloseText(chunks);
    chunks.push_back(
        SseChunk("tool-call-input-streaming-start", run_id_, ToolCallStreamingStartPayload(call)));
    chunks.push_back(SseChunk("tool-call-delta", run_id_, ToolCallDeltaPayload(call)));
    chunks.push_back(
        SseChunk("tool-call-input-streaming-end", run_id_, ToolCallStreamingEndPayload(call)));
    chunks.push_back(SseChunk("tool-call", run_id_, ToolCallPayload(call)));
    const bool ok = co_await SendAll(std::move(chunks));
    co_return ok;
  }
  boost::asio::awaitable<bool> OnToolResult(int step, const ToolResultRecord& record) override {
    (void)step;
    std::string chunk = SseChunk("tool-result", run_id_, ToolResultPayload(record));
    const bool ok = co_await writer_.Send(std::move(chunk));
    co_return ok;
  }
  boost::asio::awaitable<bool> OnStepFinish(int step, const StepResult& result, bool is_continued,
                                            const ModelUsage& usage_so_far) override {
    (void)step;
    usage_so_far_ = usage_so_far;
    FinishInfo info = Info(result.model.finish_reason, is_continued);
    info.response_id = result.model.id;
    info.timestamp = result.timestamp;
    if (!result.model.model_id.empty()) info.model_id = result.model.model_id;
    info.text = result.model.text;
    info.tool_calls = result.model.tool_calls;
    info.usage = result.model.usage;
    std::vector<std::string> chunks;
    CloseText(chunks);
    chunks.push_back(SseChunk("step-finish", run_id_, FinishPayload(info)));
    const bool ok = co_await SendAll(std::move(chunks));
    co_return ok;
  }

  // The first chunk.
  boost::asio::awaitable<bool> Start(std::string agent_id) {
    std::string chunk = SseChunk("start", run_id_, StartPayload(agent_id, message_id_));
    const bool ok = co_await writer_.Send(std::move(chunk));
    co_return ok;
  }
  // After a successful run: finish, [DONE].
  boost::asio::awaitable<bool> Finish(const AgentOutput& output) {
    FinishInfo info = Info(output.finish_reason, false);
    info.response_id = output.response_id;
    info.timestamp = output.timestamp;
    info.model_id = output.model_id;
    info.provider = output.provider;
    info.text = output.text;
    if (!output.steps.empty()) info.tool_calls = output.steps.back().model.tool_calls;
    info.usage = output.usage;
    std::vector<std::string> chunks;
    chunks.push_back(SseChunk("finish", run_id_, FinishPayload(info)));
    chunks.push_back(SseDone());
    const bool ok = co_await SendAll(std::move(chunks));
    co_return ok;
  }
  const std::string& message_id() const { return message_id_; }

  // After a run stopped for approval, as Mastra does: tool-call-approval, [DONE] (no finish).
  boost::asio::awaitable<bool> AwaitApproval(const ToolCall& call) {
    std::vector<std::string> chunks;
    CloseText(chunks);
    chunks.push_back(SseChunk("tool-call-approval", run_id_, ToolCallPayload(call)));
    chunks.push_back(SseDone());
    const bool ok = co_await SendAll(std::move(chunks));
    co_return ok;
  }
  // After a failed run, as Mastra does: error, step-finish and finish with reason "error", [DONE].
  // `message` must be safe to show.
  boost::asio::awaitable<bool> Fail(std::string message, std::string timestamp) {
    std::vector<std::string> chunks;
    chunks.push_back(SseChunk("error", run_id_, ErrorPayload(message)));
    CloseText(chunks);
    FinishInfo info = Info("error", false);
    info.timestamp = std::move(timestamp);
    chunks.push_back(SseChunk("step-finish", run_id_, FinishPayload(info)));
    info.usage = usage_so_far_;
    chunks.push_back(SseChunk("finish", run_id_, FinishPayload(info)));
    chunks.push_back(SseDone());
    const bool ok = co_await SendAll(std::move(chunks));
    co_return ok;
  }

 private:
  // Adds text-end when a text block is open.
  void CloseText(std::vector<std::string>& chunks) {
    if (!text_open_) return;
    text_open_ = false;
    chunks.push_back(SseChunk("text-end", run_id_, TextEndPayload(text_id_)));
  }
  // Writes the chunks one by one (each flushed as its own HTTP chunk); stops at the first failure.
  boost::asio::awaitable<bool> SendAll(std::vector<std::string> chunks) {
    for (std::string& chunk : chunks) {
      const bool ok = co_await writer_.Send(std::move(chunk));
      if (!ok) co_return false;
    }
    co_return true;
  }
  FinishInfo Info(std::string reason, bool is_continued) const {
    FinishInfo info;
    info.message_id = message_id_;
    info.reason = std::move(reason);
    info.is_continued = is_continued;
    info.model_id = model_id_;
    info.provider = provider_;
    return info;
  }

  StreamWriter& writer_;
  std::string run_id_;
  std::string message_id_;
  std::string provider_;
  std::string model_id_;
  bool text_open_ = false;
  std::string text_id_;
  ModelUsage usage_so_far_;
};

// The AI-SDK v4 data stream (stream_events.h (b)) for one run.
class DataStreamSink final : public AgentEventSink {
 public:
  DataStreamSink(StreamWriter& writer, RandomSource& random) : writer_(writer), random_(random) {}

  boost::asio::awaitable<bool> OnStepStart(int step) override {
    (void)step;
    std::string line = DataStreamStepStart(NewUuid(random_));
    const bool ok = co_await writer_.Send(std::move(line));
    co_return ok;
  }
  boost::asio::awaitable<bool> OnTextDelta(int step, std::string_view text) override {
    (void)step;
    if (text.empty()) co_return !writer_.gone();
    std::string line = DataStreamText(text);
    const bool ok = co_await writer_.Send(std::move(line));
    co_return ok;
  }
  boost::asio::awaitable<bool> OnToolCall(int step, const ToolCall& call) override {
    (void)step;
    std::string line = DataStreamToolCall(call);
    const bool ok = co_await writer_.Send(std::move(line));
    co_return ok;
  }
  boost::asio::awaitable<bool> OnToolResult(int step, const ToolResultRecord& record) override {
    (void)step;
    std::string line = DataStreamToolResult(record);
    const bool ok = co_await writer_.Send(std::move(line));
    co_return ok;
  }
  boost::asio::awaitable<bool> OnStepFinish(int step, const StepResult& result, bool is_continued,
                                            const ModelUsage& usage_so_far) override {
    (void)step;
    (void)is_continued;  // v4's isContinued is about "continue" steps (length), not tool loops
    usage_so_far_ = usage_so_far;
    std::string line = DataStreamStepFinish(result.model.finish_reason, result.model.usage, false);
    const bool ok = co_await writer_.Send(std::move(line));
    co_return ok;
  }
  const ModelUsage& usage_so_far() const { return usage_so_far_; }

 private:
  StreamWriter& writer_;
  RandomSource& random_;
  ModelUsage usage_so_far_;
};

void LogRunError(const Error& error) {
  if (error.code == ErrorCode::kInternal) {
    spdlog::error("stream: internal error: {}", error.message);
  } else {
    spdlog::warn("stream: the run failed: {}", error.message);
  }
}

// Saves a finished run to its memory thread (MastraApi::FinishRun).
using RunFinisher =
    std::function<boost::asio::awaitable<void>(const GenerateRequest&, const AgentOutput&)>;

// The end of a /stream or approve/decline answer: a run that stopped for approval is kept in
// `approvals` and its user asked; a finished one is saved (`finish_run`, memory) and finished; a
// failed one gets the error chunks. Then the HTTP stream ends.
boost::asio::awaitable<void> EndRunStream(Result<AgentOutput> output, GenerateRequest run,
                                          std::string owner, PendingApprovals& approvals,
                                          const RunFinisher& finish_run, const Clock& clock,
                                          MastraChunkSink& sink, StreamWriter& writer,
                                          ResponseStream& stream) {
  if (writer.gone()) co_return;  // the run stopped; nobody to tell (a pending run is dropped)
  bool sent = false;
  if (output.ok() && output->suspended != nullptr) {
    std::shared_ptr<SuspendedRun> state = output->suspended;
    const ToolCall call = state->pending_call();
    if (run.history_count < run.messages.size()) {
      // The caller's message is kept in the thread (created if new) while the decision waits, as
      // Mastra does; the run's own messages follow when it ends. Counted as history from now on
      // so that it is saved once.
      const AgentOutput nothing_yet;  // named: no temporary next to a co_await (GCC 12)
      co_await finish_run(run, nothing_yet);
      run.history_count = run.messages.size();
    }
    approvals.Put(
        PendingRun{std::move(run), std::move(state), std::move(owner), sink.message_id()});
    sent = co_await sink.AwaitApproval(call);
  } else if (output.ok()) {
    co_await finish_run(run, *output);
    sent = co_await sink.Finish(*output);
  } else {
    LogRunError(output.error());
    std::string message = PublicErrorMessage(output.error());
    std::string timestamp = clock.NowIso8601();
    sent = co_await sink.Fail(std::move(message), std::move(timestamp));
  }
  if (sent) {
    Status finished = co_await stream.Finish();
    (void)finished;
  }
}

// A required id of the approve/decline body: a non-empty string of at most 128 bytes.
Result<std::string> ApprovalId(const nlohmann::json& body, const char* field) {
  auto it = body.find(field);
  if (it == body.end() || !it->is_string() || it->get_ref<const std::string&>().empty() ||
      it->get_ref<const std::string&>().size() > 128) {
    return Error::Invalid(
        field, std::string(field) + " must be a non-empty string of at most 128 characters");
  }
  return it->get<std::string>();
}

}  // namespace

boost::asio::awaitable<HttpResponse> MastraApi::Stream(const HttpRequest& request,
                                                       ResponseStream& stream,
                                                       const RequestScope& scope) const {
  // Errors before the first byte are ordinary JSON answers; after it, they are chunks.
  Result<GenerateRequest> parsed = ParseRunRequest(request, scope);
  if (!parsed.ok()) co_return RunRequestError(parsed.error());
  GenerateRequest& run = parsed.value();
  Status prepared = co_await PrepareRun(run);
  if (!prepared.ok()) co_return AgentErrorResponse(prepared.error());
  if (run.options.run_id.empty()) run.options.run_id = NewUuid(random_);

  HttpResponseHeader header = internal::EventStreamHeader(request, scope.request_id);
  Status began = co_await stream.Begin(std::move(header));
  if (!began.ok()) co_return HttpResponse{};

  StreamWriter writer(stream);
  MastraChunkSink sink(writer, run.options.run_id, NewUuid(random_), agent_.model().provider(),
                       agent_.model().model_id());
  const bool started = co_await sink.Start(agent_.config().id);
  if (!started) co_return HttpResponse{};
  std::string owner = run.options.tool_context.actor.principal;
  Result<AgentOutput> output = co_await agent_.Stream(run.messages, std::move(run.options), sink);
  // A named std::function: no temporary next to the co_await below (GCC 12).
  const RunFinisher finish_run = [this](const GenerateRequest& done, const AgentOutput& out) {
    return FinishRun(done, out);
  };
  co_await EndRunStream(std::move(output), std::move(run), std::move(owner), *approvals_,
                        finish_run, clock_, sink, writer, stream);
  co_return HttpResponse{};
}

boost::asio::awaitable<HttpResponse> MastraApi::ResolveToolCall(const HttpRequest& request,
                                                                ResponseStream& stream,
                                                                const RequestScope& scope,
                                                                bool approved) const {
  Result<nlohmann::json> body = ParseJsonObjectBody(request.body());
  if (!body.ok()) co_return JsonError(bhttp::status::bad_request, body.error().message);
  Result<std::string> run_id = ApprovalId(*body, "runId");
  if (!run_id.ok()) co_return JsonError(bhttp::status::bad_request, run_id.error().message);
  Result<std::string> call_id = ApprovalId(*body, "toolCallId");
  if (!call_id.ok()) co_return JsonError(bhttp::status::bad_request, call_id.error().message);
  const std::string owner = scope.principal.actor_id();
  std::optional<PendingRun> pending = approvals_->Take(*run_id, *call_id, owner);
  if (!pending) {
    co_return JsonError(bhttp::status::not_found,
                        "No tool call '" + internal::Truncated(*call_id, 64) + "' of run '" +
                            internal::Truncated(*run_id, 64) +
                            "' awaits approval (unknown, already decided, started by another "
                            "caller, or older than 15 minutes); nothing was run");
  }
  SuspendedRun state = std::move(*pending->state);
  // The approver's current scopes and limits, not those the run began with (a key narrowed
  // meanwhile is honoured); the end user it claims is checked again.
  ToolContext& context = state.options.tool_context;
  Status applied = ApplyScope(context, scope);
  if (!applied.ok()) co_return RunRequestError(applied.error());
  spdlog::info("stream: {} {} tool call {} of run {}", context.actor.principal,
               approved ? "approved" : "declined", *call_id, *run_id);

  HttpResponseHeader header = internal::EventStreamHeader(request, scope.request_id);
  Status began = co_await stream.Begin(std::move(header));
  if (!began.ok()) co_return HttpResponse{};
  StreamWriter writer(stream);
  MastraChunkSink sink(writer, *run_id, pending->message_id, agent_.model().provider(),
                       agent_.model().model_id());
  Result<AgentOutput> output = co_await agent_.Resume(std::move(state), approved, &sink);
  // A named std::function: no temporary next to the co_await below (GCC 12).
  const RunFinisher finish_run = [this](const GenerateRequest& done, const AgentOutput& out) {
    return FinishRun(done, out);
  };
  co_await EndRunStream(std::move(output), std::move(pending->request), owner, *approvals_,
                        finish_run, clock_, sink, writer, stream);
  co_return HttpResponse{};
}

boost::asio::awaitable<HttpResponse> MastraApi::StreamLegacy(const HttpRequest& request,
                                                             ResponseStream& stream,
                                                             const RequestScope& scope) const {
  Result<GenerateRequest> parsed = ParseRunRequest(request, scope);
  if (!parsed.ok()) co_return RunRequestError(parsed.error());
  GenerateRequest& run = parsed.value();
  if (run.options.require_tool_approval) co_return internal::ApprovalNeedsStream();
  Status prepared = co_await PrepareRun(run);
  if (!prepared.ok()) co_return AgentErrorResponse(prepared.error());

  HttpResponseHeader header;
  header.version(request.version());
  header.result(bhttp::status::ok);
  header.set(bhttp::field::content_type, "text/plain; charset=utf-8");
  header.set("x-vercel-ai-data-stream", "v1");
  header.set("x-request-id", scope.request_id);
  Status began = co_await stream.Begin(std::move(header));
  if (!began.ok()) co_return HttpResponse{};

  StreamWriter writer(stream);
  DataStreamSink sink(writer, random_);
  Result<AgentOutput> output = co_await agent_.Stream(run.messages, std::move(run.options), sink);
  if (writer.gone()) co_return HttpResponse{};
  std::string lines;
  if (output.ok()) {
    co_await FinishRun(run, *output);
    lines = DataStreamFinish(output->finish_reason, output->usage);
  } else {
    LogRunError(output.error());
    lines = DataStreamError(PublicErrorMessage(output.error()));
    lines += DataStreamFinish("error", sink.usage_so_far());
  }
  const bool sent = co_await writer.Send(std::move(lines));
  if (sent) {
    Status finished = co_await stream.Finish();
    (void)finished;
  }
  co_return HttpResponse{};
}

}  // namespace billing::http
