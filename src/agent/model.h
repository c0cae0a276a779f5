// The model layer: a chat model that, given the agent's instructions, the conversation and the
// tools on offer, answers with text and/or tool calls. Implementations: OpenAiModel (Chat
// Completions over HTTP(S), any OpenAI-compatible server) and LocalPlanner (deterministic,
// offline). The agent loop (agent/agent.h) drives a Model step by step.
//
// Complete() is a coroutine: a request waiting on a remote model holds no thread.
// CompleteStreaming() is the same step with the answer's text handed out as it is produced (for
// the streaming routes); the default implementation calls Complete() and hands out the finished
// text line by line, so a model that cannot stream (LocalPlanner) needs nothing more.
//
// Thread-safety: a Model is shared by all requests; Complete() must be safe to call concurrently.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <utility>  // boost 1.74 awaitable.hpp uses std::exchange without it

#include <boost/asio/awaitable.hpp>
#include <nlohmann/json.hpp>

#include "common/chat_message.h"
#include "common/result.h"

namespace billing {

// The result a model gets for a tool call its user declined (Mastra's words; Agent::Resume).
inline constexpr const char* kToolCallNotApproved = "Tool call was not approved by the user";

struct ToolSpec {
  std::string name;  // the key the model sees
  std::string description;
  nlohmann::json parameters;  // JSON Schema
};

// The tools offered to the model. The agent's own tools are built once and shared by every
// request (copying their JSON Schemas per request was a hot spot); adding a tool to a request
// (client tools, tests) copies the list first, so a shared list is never changed.
class ToolSpecList {
 public:
  ToolSpecList() = default;
  explicit ToolSpecList(std::shared_ptr<const std::vector<ToolSpec>> specs) : specs_(std::move(specs)) {}
  void push_back(ToolSpec spec) {
    auto copy = specs_ ? std::make_shared<std::vector<ToolSpec>>(*specs_)
                       : std::make_shared<std::vector<ToolSpec>>();
    copy->push_back(std::move(spec));
    specs_ = std::move(copy);
  }
  bool empty() const { return !specs_ || specs_->empty(); }
  // The shared list itself (one identity for every request of an agent): providers may cache
  // what they derive from it, keyed by this pointer.
  const std::shared_ptr<const std::vector<ToolSpec>>& shared() const { return specs_; }
  size_t size() const { return specs_ ? specs_->size() : 0; }
  const ToolSpec& operator[](size_t i) const { return (*specs_)[i]; }
  std::vector<ToolSpec>::const_iterator begin() const { return specs_ ? specs_->begin() : Empty().begin(); }
  std::vector<ToolSpec>::const_iterator end() const { return specs_ ? specs_->end() : Empty().end(); }

 private:
  static const std::vector<ToolSpec>& Empty() {
    static const std::vector<ToolSpec> kEmpty;
    return kEmpty;
  }
  std::shared_ptr<const std::vector<ToolSpec>> specs_;
};

struct ModelUsage {
  int64_t input_tokens = 0;
  int64_t output_tokens = 0;
};

struct ModelRequest {
  std::string instructions;  // system prompt
  std::vector<ChatMessage> messages;
  ToolSpecList tools;
  nlohmann::json tool_choice;  // null = provider default ("auto")
  nlohmann::json model_settings = nlohmann::json::object();  // temperature, maxTokens, topP
};

struct ModelResponse {
  std::string id;        // provider response id
  std::string model_id;  // model that answered
  std::string text;
  std::vector<ToolCall> tool_calls;
  std::string finish_reason = "stop";  // "stop" | "tool-calls" | "length" | "content-filter"
  ModelUsage usage;
};

// Receives a piece of the answer's text as soon as the model produced it; the pieces concatenate
// to ModelResponse::text. Returns false when the consumer is gone (the streaming client
// disconnected): the model then stops reading its answer, returns what it has, and the caller
// stops the run. The callback is awaited, so it may write to a socket; it is called sequentially,
// never concurrently, from the coroutine running CompleteStreaming().
using TextDeltaHandler = std::function<boost::asio::awaitable<bool>(std::string_view text_delta)>;

class Model {
 public:
  virtual ~Model() = default;
  virtual std::string provider() const = 0;  // "openai" | "local"
  virtual std::string model_id() const = 0;  // "gpt-4o-mini" | "billing-planner"
  // Errors: kUnauthenticated (key rejected), kUnavailable (timeout, retries exhausted),
  // kInternal (malformed response).
  virtual boost::asio::awaitable<Result<ModelResponse>> Complete(const ModelRequest& request) = 0;

  // Complete(), handing the text to `on_text` as it is produced. Same errors as Complete(); an
  // error may come after some text was handed out. When `on_text` returns false the model stops
  // early and returns the response so far (its text may be incomplete; the caller discards it).
  // Default: Complete(), then the finished text in a few pieces (one per line).
  virtual boost::asio::awaitable<Result<ModelResponse>> CompleteStreaming(
      const ModelRequest& request, const TextDeltaHandler& on_text) {
    Result<ModelResponse> response = co_await Complete(request);
    if (!response.ok()) co_return response;
    const std::string& text = response->text;
    size_t start = 0;
    while (start < text.size()) {  // bounded: `start` advances by at least one byte per round
      size_t end = text.find('\n', start);
      end = end == std::string::npos ? text.size() : end + 1;
      const std::string_view piece = std::string_view(text).substr(start, end - start);
      const bool more = co_await on_text(piece);
      if (!more) break;
      start = end;
    }
    co_return response;
  }
};

}  // namespace billing
