// OpenAiModel: the Model backed by OpenAI's Chat Completions API (POST {base_url}/chat/completions),
// or by any server that speaks the same wire format (Ollama, vLLM, llama.cpp server).
//
// Mapping: ModelRequest.instructions becomes the leading system message; user/assistant/system
// messages carry their text; assistant tool calls are sent as tool_calls with the arguments
// serialised as a JSON string; tool results become role "tool" messages whose content is the JSON
// text of the result. Mastra toolChoice ("auto" | "none" | "required" | {"type":"tool",
// "toolName":x}) and modelSettings (temperature, maxTokens, topP, ...) are translated. Replies are
// parsed back into ModelResponse; tool-call arguments that are not a JSON object are kept verbatim
// in raw_args with args = null so that the agent can report a validation error to the model.
//
// Streaming (CompleteStreaming): the same request with "stream": true and
// "stream_options": {"include_usage": true}; the reply's server-sent events (chat.completion.chunk,
// then "data: [DONE]") are read as they arrive, text deltas are handed to the caller at once and
// tool calls are assembled from their argument fragments (tool_calls[index].function.arguments).
// A server that ignores "stream" and answers with a plain chat.completion is accepted too. Retries
// as below, but only while no text has been handed out; a failure after that is returned.
//
// Failures: 429 (except an exhausted quota), 408, 409, 5xx, connect errors and timeouts are retried
// up to max_retries times with exponential backoff and jitter (Retry-After / retry-after-ms
// honoured, capped at max_retry_after_ms); waits use a steady timer, never a sleeping thread.
// 401/403 → kUnauthenticated; other 4xx → kInvalidArgument; retries exhausted or timeout →
// kUnavailable; an unreadable 2xx body → kInternal. Messages never contain the API key.
//
// Thread-safety: immutable after construction apart from the HTTP client's connection pool, which
// is internally synchronised; Complete() may run concurrently from any thread.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>  // before Boost 1.74's awaitable.hpp, which uses std::exchange
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <nlohmann/json.hpp>

#include "agent/http_client.h"
#include "agent/model.h"
#include "common/result.h"

namespace billing {

struct OpenAiOptions {
  std::string api_key;  // empty: no Authorization header (local OpenAI-compatible servers)
  std::string base_url = "https://api.openai.com/v1";  // with or without a trailing slash
  std::string model = "gpt-4o-mini";
  int timeout_ms = 60000;  // per attempt
  int max_retries = 3;     // retries after the first attempt; bounded to [0, 10]
  int initial_backoff_ms = 500;
  int max_backoff_ms = 8000;
  int max_retry_after_ms = 30000;  // a server-requested wait longer than this is capped
  size_t max_response_bytes = 8u << 20;
  // "max_completion_tokens" (OpenAI's current name) or "max_tokens" (what most OpenAI-compatible
  // servers read). Empty: max_completion_tokens for api.openai.com, max_tokens elsewhere.
  std::string max_tokens_field;
};

// Assembles a streamed Chat Completions reply from its raw body bytes (server-sent events of
// chat.completion.chunk objects, ended by "data: [DONE]"). Bounded: an event line longer than
// max_line_bytes, more than 128 tool calls, or an {"error":…} event is an error.
//
// Thread-safety: a plain value used by one coroutine at a time.
class ChatCompletionStreamAccumulator {
 public:
  explicit ChatCompletionStreamAccumulator(std::string default_model, size_t max_line_bytes = 1u << 20)
      : default_model_(std::move(default_model)), max_line_bytes_(max_line_bytes) {}

  // Consumes `bytes` (any split: partial lines are kept until complete) and appends the text
  // deltas of the complete events to *text_deltas, in order. Errors: kInternal (malformed event,
  // line too long), kUnavailable (the provider sent an error event).
  Status Feed(std::string_view bytes, std::vector<std::string>* text_deltas);
  // True once "data: [DONE]" was seen.
  bool done() const { return done_; }
  // True once any chunk had a finish_reason.
  bool finished() const { return !finish_reason_.is_null(); }
  // The assembled reply. Call after the body ended (a final event without its blank line is
  // still parsed; its text deltas go to *text_deltas when given).
  Result<ModelResponse> Finish(std::vector<std::string>* text_deltas = nullptr);

 private:
  Status HandleLine(std::string_view line, std::vector<std::string>* text_deltas);
  Status HandleEvent(std::vector<std::string>* text_deltas);
  Status HandleChunk(const nlohmann::json& chunk, std::vector<std::string>* text_deltas);

  struct PartialCall {
    std::string id;
    std::string name;
    std::string arguments;
  };

  std::string default_model_;
  size_t max_line_bytes_;
  std::string line_;   // the incomplete line so far
  std::string data_;   // data lines of the current event
  bool saw_cr_ = false;  // the last byte was '\r' (a following '\n' belongs to it)
  bool done_ = false;
  std::string id_;
  std::string model_;
  std::string text_;
  std::vector<PartialCall> calls_;  // by tool_calls[].index
  nlohmann::json finish_reason_;
  ModelUsage usage_;
};

class OpenAiModel final : public Model {
 public:
  OpenAiModel(boost::asio::any_io_executor executor, OpenAiOptions options);
  OpenAiModel(boost::asio::io_context& io, OpenAiOptions options);
  ~OpenAiModel() override;

  std::string provider() const override { return "openai"; }
  std::string model_id() const override { return options_.model; }
  const std::string& endpoint_url() const { return endpoint_url_; }  // .../chat/completions

  boost::asio::awaitable<Result<ModelResponse>> Complete(const ModelRequest& request) override;
  boost::asio::awaitable<Result<ModelResponse>> CompleteStreaming(const ModelRequest& request,
                                                                  const TextDeltaHandler& on_text) override;

  // The Chat Completions request body for `request`, serialized; `stream` adds "stream":true and
  // "stream_options". kInvalidArgument when tool_choice has an unknown shape or a message role
  // is unknown. The system prompt and the tools array are serialized once and reused while they
  // stay the same (they were a third of the CPU of a generate on the OpenAI path).
  Result<std::string> SerializeRequestBody(const ModelRequest& request, bool stream) const;
  // The same body parsed back (for tests).
  Result<nlohmann::json> BuildRequestBody(const ModelRequest& request) const;

  // Parses a 2xx Chat Completions body; kInternal when it is not one.
  static Result<ModelResponse> ParseResponseBody(const std::string& body, const std::string& default_model);

 private:
  struct StreamState;
  static boost::asio::awaitable<bool> OnStreamBytes(StreamState& state, const HttpResponse& head,
                                                    std::string_view bytes);
  HttpRequest MakeHttpRequest(std::string body, bool stream) const;
  // The serialized system message and tools array, cached (see SerializeRequestBody).
  std::string SystemMessageJson(const std::string& instructions) const;
  std::string ToolsJson(const ToolSpecList& tools) const;
  boost::asio::awaitable<void> WaitBeforeRetry(int attempt, int attempts, int64_t server_wait_ms,
                                               const std::string& last_failure) const;

  OpenAiOptions options_;
  std::string endpoint_url_;
  std::string max_tokens_field_;
  std::unique_ptr<HttpClient> http_;

  struct SerializedCache {
    std::mutex mu;
    std::string instructions;  // the prompt of system_json
    std::string system_json;   // {"role":"system","content":...}
    std::shared_ptr<const std::vector<ToolSpec>> tools;  // the list of tools_json (kept alive)
    std::string tools_json;                                // [{"type":"function",...}]
  };
  std::unique_ptr<SerializedCache> cache_ = std::make_unique<SerializedCache>();
};

}  // namespace billing
