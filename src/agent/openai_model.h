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
#include <string>
#include <utility>  // before Boost 1.74's awaitable.hpp, which uses std::exchange

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

class OpenAiModel final : public Model {
 public:
  OpenAiModel(boost::asio::any_io_executor executor, OpenAiOptions options);
  OpenAiModel(boost::asio::io_context& io, OpenAiOptions options);
  ~OpenAiModel() override;

  std::string provider() const override { return "openai"; }
  std::string model_id() const override { return options_.model; }
  const std::string& endpoint_url() const { return endpoint_url_; }  // .../chat/completions

  boost::asio::awaitable<Result<ModelResponse>> Complete(const ModelRequest& request) override;

  // The Chat Completions request body for `request` (exposed for tests).
  // kInvalidArgument when tool_choice has an unknown shape.
  Result<nlohmann::json> BuildRequestBody(const ModelRequest& request) const;

  // Parses a 2xx Chat Completions body; kInternal when it is not one.
  static Result<ModelResponse> ParseResponseBody(const std::string& body, const std::string& default_model);

 private:
  OpenAiOptions options_;
  std::string endpoint_url_;
  std::string max_tokens_field_;
  std::unique_ptr<HttpClient> http_;
};

}  // namespace billing
