#include "agent/openai_model.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <ctime>
#include <iomanip>
#include <optional>
#include <random>
#include <sstream>
#include <utility>

// GCC 12 with optimisation reports a false -Wmismatched-new-delete on Boost 1.74's coroutine
// frames (awaitable_frame_base's own operator new/delete pair); there is no real mismatch.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <spdlog/spdlog.h>

namespace billing {

namespace asio = boost::asio;
using json = nlohmann::json;

namespace {

constexpr size_t kMaxToolCallsPerReply = 128;
constexpr size_t kMaxProviderMessageChars = 500;
constexpr int kMaxRetriesCap = 10;

// Serialises without throwing on invalid UTF-8 (replaced by U+FFFD).
std::string DumpJson(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

// Replaces the API key and anything shaped like an OpenAI secret ("sk-...") with "***".
std::string Redact(std::string text, const std::string& api_key) {
  if (api_key.size() >= 4) {
    for (size_t pos = text.find(api_key); pos != std::string::npos; pos = text.find(api_key, pos + 3)) {
      text.replace(pos, api_key.size(), "***");
    }
  }
  for (size_t pos = text.find("sk-"); pos != std::string::npos; pos = text.find("sk-", pos + 6)) {
    size_t end = pos + 3;
    while (end < text.size() && (std::isalnum(static_cast<unsigned char>(text[end])) || text[end] == '-' ||
                                 text[end] == '_' || text[end] == '*')) {
      ++end;
    }
    text.replace(pos, end - pos, "sk-***");
  }
  return text;
}

std::string Truncate(std::string text, size_t max_chars) {
  if (text.size() > max_chars) {
    text.resize(max_chars);
    text += "...";
  }
  return text;
}

// The provider's error message from an error body ({"error":{"message"}} and the common variants).
struct ProviderError {
  std::string message;
  std::string type;
  std::string code;
};

ProviderError ExtractProviderError(const std::string& body) {
  ProviderError out;
  json j = json::parse(body, nullptr, false);
  if (!j.is_discarded() && j.is_object()) {
    const json* err = j.contains("error") ? &j["error"] : nullptr;
    if (err && err->is_object()) {
      if (err->contains("message") && (*err)["message"].is_string()) out.message = (*err)["message"];
      if (err->contains("type") && (*err)["type"].is_string()) out.type = (*err)["type"];
      if (err->contains("code") && (*err)["code"].is_string()) out.code = (*err)["code"];
    } else if (err && err->is_string()) {
      out.message = err->get<std::string>();
    } else if (j.contains("message") && j["message"].is_string()) {
      out.message = j["message"];
    } else if (j.contains("detail") && j["detail"].is_string()) {
      out.message = j["detail"];
    }
  }
  if (out.message.empty()) out.message = body.empty() ? "(empty body)" : body;
  return out;
}

// Retry-After: delay-seconds (integer or decimal) or an HTTP-date. -1 when absent or unreadable.
int64_t ParseRetryAfterMs(const HttpResponse& response) {
  const std::string ms = response.Header("retry-after-ms");
  if (!ms.empty()) {
    char* end = nullptr;
    const double v = std::strtod(ms.c_str(), &end);
    if (end != ms.c_str() && std::isfinite(v) && v >= 0) return static_cast<int64_t>(std::min(v, 1e9));
  }
  const std::string ra = response.Header("retry-after");
  if (ra.empty()) return -1;
  char* end = nullptr;
  const double secs = std::strtod(ra.c_str(), &end);
  if (end != ra.c_str() && *end == '\0' && std::isfinite(secs) && secs >= 0) {
    return static_cast<int64_t>(std::min(secs, 1e6) * 1000);
  }
  std::tm tm{};
  std::istringstream in(ra);
  in >> std::get_time(&tm, "%a, %d %b %Y %H:%M:%S");
  if (in.fail()) return -1;
  const int64_t at = static_cast<int64_t>(timegm(&tm));
  const int64_t now = static_cast<int64_t>(std::time(nullptr));
  return std::max<int64_t>(0, (at - now) * 1000);
}

int JitteredBackoffMs(int retry_index, int initial_ms, int max_ms) {
  const int64_t base = std::min<int64_t>(max_ms, static_cast<int64_t>(initial_ms) << std::min(retry_index, 20));
  if (base <= 1) return static_cast<int>(std::max<int64_t>(base, 0));
  thread_local std::mt19937 rng{std::random_device{}()};
  std::uniform_int_distribution<int64_t> dist(0, base / 2);
  return static_cast<int>(base - base / 2 + dist(rng));  // in [base/2, base]
}

Result<json> MapToolChoice(const json& choice) {
  auto bad = [] {
    return Error::Invalid("toolChoice",
                          "toolChoice must be \"auto\", \"none\", \"required\" or {\"type\":\"tool\",\"toolName\":...}");
  };
  if (choice.is_null()) return json();
  if (choice.is_string()) {
    const std::string s = choice.get<std::string>();
    if (s == "auto" || s == "none" || s == "required") return json(s);
    return bad();
  }
  if (!choice.is_object()) return bad();
  const std::string type = choice.contains("type") && choice["type"].is_string() ? choice["type"].get<std::string>() : "";
  if (type == "auto" || type == "none" || type == "required") return json(type);
  if (type == "tool") {
    if (!choice.contains("toolName") || !choice["toolName"].is_string() || choice["toolName"].get<std::string>().empty()) {
      return Error::Invalid("toolChoice.toolName", "toolChoice of type \"tool\" needs a toolName");
    }
    return json{{"type", "function"}, {"function", {{"name", choice["toolName"]}}}};
  }
  if (type == "function" && choice.contains("function") && choice["function"].is_object()) return choice;
  return bad();
}

std::string MapFinishReason(const json& reason, bool has_tool_calls) {
  const std::string r = reason.is_string() ? reason.get<std::string>() : "";
  if (r == "tool_calls" || r == "function_call") return "tool-calls";
  if (r == "length") return "length";
  if (r == "content_filter") return "content-filter";
  // Some OpenAI-compatible servers answer "stop" (or nothing) alongside tool calls.
  return has_tool_calls ? "tool-calls" : "stop";
}

std::string ContentText(const json& content) {
  if (content.is_string()) return content.get<std::string>();
  std::string text;
  if (content.is_array()) {  // [{"type":"text","text":"..."}] from some compatible servers
    for (const auto& part : content) {
      if (part.is_object() && part.contains("text") && part["text"].is_string()) text += part["text"].get<std::string>();
    }
  }
  return text;
}

// The error after the last retry failed (logged as well).
Error GiveUp(int attempts, const std::string& last_failure) {
  spdlog::error("openai: giving up after {} attempt(s): {}", attempts, last_failure);
  return Error{ErrorCode::kUnavailable,
               "OpenAI did not answer successfully after " + std::to_string(attempts) +
                   " attempt(s): " + last_failure,
               {}};
}

std::string StripTrailingSlashes(std::string s) {
  while (!s.empty() && s.back() == '/') s.pop_back();
  return s;
}

}  // namespace

OpenAiModel::OpenAiModel(asio::any_io_executor executor, OpenAiOptions options)
    : options_(std::move(options)),
      http_(std::make_unique<HttpClient>(std::move(executor))) {
  options_.max_retries = std::clamp(options_.max_retries, 0, kMaxRetriesCap);
  options_.timeout_ms = std::max(options_.timeout_ms, 1);
  options_.initial_backoff_ms = std::max(options_.initial_backoff_ms, 0);
  options_.max_backoff_ms = std::max(options_.max_backoff_ms, options_.initial_backoff_ms);
  options_.max_retry_after_ms = std::max(options_.max_retry_after_ms, 0);
  const std::string base = StripTrailingSlashes(options_.base_url);
  endpoint_url_ = base + "/chat/completions";
  if (!options_.max_tokens_field.empty()) {
    max_tokens_field_ = options_.max_tokens_field;
  } else {
    auto url = ParsedUrl::Parse(base);
    max_tokens_field_ = url.ok() && url->host == "api.openai.com" ? "max_completion_tokens" : "max_tokens";
  }
}

OpenAiModel::OpenAiModel(asio::io_context& io, OpenAiOptions options)
    : OpenAiModel(io.get_executor(), std::move(options)) {}

OpenAiModel::~OpenAiModel() = default;

namespace {

// One conversation message in the Chat Completions shape.
Result<json> MessageJson(const ChatMessage& m) {
  if (m.role == "tool") {
    std::string content;
    if (!m.tool_result_text.empty()) {
      content = m.tool_result_text;
    } else if (!m.tool_result.is_null() || m.content.empty()) {
      content = DumpJson(m.tool_result);
    } else {
      content = m.content;
    }
    return json{{"role", "tool"}, {"tool_call_id", m.tool_call_id}, {"content", content}};
  }
  if (m.role == "assistant") {
    json msg = {{"role", "assistant"}};
    if (m.tool_calls.empty()) {
      msg["content"] = m.content;
      return msg;
    }
    msg["content"] = m.content.empty() ? json() : json(m.content);
    json calls = json::array();
    for (const ToolCall& c : m.tool_calls) {
      std::string arguments;
      if (!c.raw_args.empty() && (c.args.is_null() || c.args.is_discarded())) {
        arguments = c.raw_args;  // replay what the model sent, so the history stays truthful
      } else if (c.args.is_null()) {
        arguments = "{}";
      } else {
        arguments = DumpJson(c.args);
      }
      calls.push_back({{"id", c.id},
                       {"type", "function"},
                       {"function", {{"name", c.name}, {"arguments", arguments}}}});
    }
    msg["tool_calls"] = std::move(calls);
    return msg;
  }
  if (m.role == "system" || m.role == "user") return json{{"role", m.role}, {"content", m.content}};
  return Error::Invalid("messages", "unsupported message role '" + m.role + "'");
}

}  // namespace

std::string OpenAiModel::SystemMessageJson(const std::string& instructions) const {
  std::lock_guard<std::mutex> lock(cache_->mu);
  if (cache_->system_json.empty() || cache_->instructions != instructions) {
    cache_->instructions = instructions;
    cache_->system_json = DumpJson(json{{"role", "system"}, {"content", instructions}});
  }
  return cache_->system_json;
}

std::string OpenAiModel::ToolsJson(const ToolSpecList& tools) const {
  auto build = [&] {
    json array = json::array();
    for (const ToolSpec& t : tools) {
      json parameters = t.parameters.is_object() ? t.parameters
                                                 : json{{"type", "object"}, {"properties", json::object()}};
      json fn = {{"name", t.name}, {"parameters", std::move(parameters)}};
      if (!t.description.empty()) fn["description"] = t.description;
      array.push_back({{"type", "function"}, {"function", std::move(fn)}});
    }
    return DumpJson(array);
  };
  std::lock_guard<std::mutex> lock(cache_->mu);
  if (cache_->tools != tools.shared() || cache_->tools_json.empty()) {
    cache_->tools = tools.shared();  // an agent's list: the same pointer for every request
    cache_->tools_json = build();
  }
  return cache_->tools_json;
}

Result<std::string> OpenAiModel::SerializeRequestBody(const ModelRequest& request, bool stream) const {
  std::string out = "{\"model\":";
  out += DumpJson(options_.model);
  out += ",\"messages\":[";
  bool first = true;
  if (!request.instructions.empty()) {
    out += SystemMessageJson(request.instructions);
    first = false;
  }
  for (const ChatMessage& m : request.messages) {
    BILLING_ASSIGN_OR_RETURN(json message, MessageJson(m));
    if (!first) out += ',';
    out += DumpJson(message);
    first = false;
  }
  out += ']';
  if (!request.tools.empty()) {
    out += ",\"tools\":";
    out += ToolsJson(request.tools);
    auto choice = MapToolChoice(request.tool_choice);
    if (!choice.ok()) return choice.error();
    if (!choice->is_null()) {
      out += ",\"tool_choice\":";
      out += DumpJson(*choice);
    }
  }
  const json& s = request.model_settings;
  if (s.is_object()) {
    auto put = [&](const char* name, const json& value) {
      out += ",\"";
      out += name;
      out += "\":";
      out += DumpJson(value);
    };
    auto number = [&](const char* key) -> const json* {
      auto it = s.find(key);
      return it != s.end() && it->is_number() ? &*it : nullptr;
    };
    if (const json* v = number("temperature")) put("temperature", *v);
    if (const json* v = number("topP")) put("top_p", *v);
    if (const json* v = number("frequencyPenalty")) put("frequency_penalty", *v);
    if (const json* v = number("presencePenalty")) put("presence_penalty", *v);
    if (const json* v = number("seed"); v && v->is_number_integer()) put("seed", *v);
    const json* max_tokens = number("maxTokens");
    if (!max_tokens) max_tokens = number("maxOutputTokens");
    if (max_tokens && max_tokens->is_number_integer()) put(max_tokens_field_.c_str(), *max_tokens);
    auto stop = s.find("stopSequences");
    if (stop != s.end() && stop->is_array() && !stop->empty()) put("stop", *stop);
  }
  if (stream) out += ",\"stream\":true,\"stream_options\":{\"include_usage\":true}";
  out += '}';
  return out;
}

Result<json> OpenAiModel::BuildRequestBody(const ModelRequest& request) const {
  BILLING_ASSIGN_OR_RETURN(std::string body, SerializeRequestBody(request, /*stream=*/false));
  return json::parse(body);
}

Result<ModelResponse> OpenAiModel::ParseResponseBody(const std::string& body, const std::string& default_model) {
  json j = json::parse(body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return Error::Internal("OpenAI returned a body that is not a JSON object");
  if (j.contains("error") && !j["error"].is_null()) {
    return Error::Internal("OpenAI returned an error: " + Truncate(ExtractProviderError(body).message, kMaxProviderMessageChars));
  }
  auto choices = j.find("choices");
  if (choices == j.end() || !choices->is_array() || choices->empty() || !(*choices)[0].is_object()) {
    return Error::Internal("OpenAI response has no choices");
  }
  const json& choice = (*choices)[0];
  auto message = choice.find("message");
  if (message == choice.end() || !message->is_object()) return Error::Internal("OpenAI response choice has no message");

  ModelResponse out;
  out.id = j.contains("id") && j["id"].is_string() ? j["id"].get<std::string>() : "";
  out.model_id = j.contains("model") && j["model"].is_string() ? j["model"].get<std::string>() : default_model;
  if (message->contains("content")) out.text = ContentText((*message)["content"]);
  if (out.text.empty() && message->contains("refusal") && (*message)["refusal"].is_string()) {
    out.text = (*message)["refusal"].get<std::string>();
  }

  auto calls = message->find("tool_calls");
  if (calls != message->end() && calls->is_array()) {
    size_t index = 0;
    for (const json& c : *calls) {
      if (out.tool_calls.size() >= kMaxToolCallsPerReply) break;
      ++index;
      if (!c.is_object() || !c.contains("function") || !c["function"].is_object()) continue;
      const json& fn = c["function"];
      if (!fn.contains("name") || !fn["name"].is_string()) continue;
      ToolCall call;
      call.id = c.contains("id") && c["id"].is_string() && !c["id"].get<std::string>().empty()
                    ? c["id"].get<std::string>()
                    : "call_" + out.id + "_" + std::to_string(index);
      call.name = fn["name"].get<std::string>();
      const json arguments = fn.contains("arguments") ? fn["arguments"] : json();
      if (arguments.is_object()) {
        call.args = arguments;  // some compatible servers send an object, not a string
      } else if (arguments.is_null() || (arguments.is_string() && arguments.get<std::string>().empty())) {
        call.args = json::object();
      } else if (arguments.is_string()) {
        json parsed = json::parse(arguments.get<std::string>(), nullptr, false);
        if (!parsed.is_discarded() && parsed.is_object()) {
          call.args = std::move(parsed);
        } else {
          call.raw_args = arguments.get<std::string>();
          call.args = nullptr;
        }
      } else {
        call.raw_args = DumpJson(arguments);
        call.args = nullptr;
      }
      out.tool_calls.push_back(std::move(call));
    }
  }
  out.finish_reason = MapFinishReason(choice.contains("finish_reason") ? choice["finish_reason"] : json(),
                                      !out.tool_calls.empty());
  auto usage = j.find("usage");
  if (usage != j.end() && usage->is_object()) {
    if (usage->contains("prompt_tokens") && (*usage)["prompt_tokens"].is_number_integer()) {
      out.usage.input_tokens = (*usage)["prompt_tokens"].get<int64_t>();
    }
    if (usage->contains("completion_tokens") && (*usage)["completion_tokens"].is_number_integer()) {
      out.usage.output_tokens = (*usage)["completion_tokens"].get<int64_t>();
    }
  }
  return out;
}

namespace {

// What a failed attempt means: stop with `final_error`, or retry (after `server_wait_ms` when
// the server asked for a wait).
struct AttemptFailure {
  std::optional<Error> final_error;
  std::string last_failure;
  int64_t server_wait_ms = -1;
};

AttemptFailure ClassifyTransportError(const Error& e, const std::string& base_url) {
  AttemptFailure out;
  if (e.code == ErrorCode::kInvalidArgument) {
    out.final_error = Error::Internal("OPENAI_BASE_URL is not usable (" + base_url + "): " + e.message);
  } else if (e.code != ErrorCode::kUnavailable) {
    out.final_error = e;  // e.g. response too large: retrying won't help
  } else {
    out.last_failure = e.message;
  }
  return out;
}

AttemptFailure ClassifyStatus(const HttpResponse& res, const std::string& api_key) {
  AttemptFailure out;
  const ProviderError pe = ExtractProviderError(res.body);
  const std::string provider_message = Truncate(Redact(pe.message, api_key), kMaxProviderMessageChars);
  const std::string status_text = "(HTTP " + std::to_string(res.status) + "): " + provider_message;
  if (res.status == 401 || res.status == 403) {
    out.final_error = Error{ErrorCode::kUnauthenticated, "OpenAI rejected the API key " + status_text, {}};
    return out;
  }
  if (res.status == 429 && (pe.code == "insufficient_quota" || pe.type == "insufficient_quota")) {
    out.final_error = Error{ErrorCode::kUnavailable, "OpenAI quota exhausted " + status_text, {}};
    return out;
  }
  const bool retryable = res.status == 408 || res.status == 409 || res.status == 429 || res.status >= 500;
  if (!retryable) {
    if (res.status >= 400) {
      out.final_error = Error::Invalid("", "OpenAI rejected the request " + status_text);
    } else {
      out.final_error = Error{ErrorCode::kUnavailable, "OpenAI answered with an unexpected status " + status_text, {}};
    }
    return out;
  }
  out.last_failure = "HTTP " + std::to_string(res.status) + ": " + provider_message;
  out.server_wait_ms = ParseRetryAfterMs(res);
  return out;
}

}  // namespace

HttpRequest OpenAiModel::MakeHttpRequest(std::string body, bool stream) const {
  HttpRequest http_request;
  http_request.method = "POST";
  http_request.url = endpoint_url_;
  http_request.headers = {{"Content-Type", "application/json"},
                          {"Accept", stream ? "text/event-stream" : "application/json"}};
  if (!options_.api_key.empty()) http_request.headers.emplace_back("Authorization", "Bearer " + options_.api_key);
  http_request.body = std::move(body);
  http_request.timeout_ms = options_.timeout_ms;
  http_request.read_timeout_ms = options_.timeout_ms;
  http_request.max_response_body_bytes = options_.max_response_bytes;
  return http_request;
}

asio::awaitable<Result<ModelResponse>> OpenAiModel::Complete(const ModelRequest& request) {
  try {
    auto body = SerializeRequestBody(request, /*stream=*/false);
    if (!body.ok()) co_return body.error();
    const HttpRequest http_request = MakeHttpRequest(std::move(*body), /*stream=*/false);

    const int attempts = options_.max_retries + 1;
    std::string last_failure;
    for (int attempt = 1; attempt <= attempts; ++attempt) {
      auto sent = co_await http_->Send(http_request);
      AttemptFailure failure;
      if (!sent.ok()) {
        failure = ClassifyTransportError(sent.error(), options_.base_url);
      } else {
        const HttpResponse& res = *sent;
        if (res.status >= 200 && res.status < 300) co_return ParseResponseBody(res.body, options_.model);
        failure = ClassifyStatus(res, options_.api_key);
      }
      if (failure.final_error) co_return *failure.final_error;
      last_failure = failure.last_failure;
      if (attempt == attempts) break;
      co_await WaitBeforeRetry(attempt, attempts, failure.server_wait_ms, last_failure);
    }
    co_return GiveUp(attempts, last_failure);
  } catch (const std::exception& e) {
    co_return Error::Internal(std::string("OpenAI model: ") + e.what());
  }
}

asio::awaitable<void> OpenAiModel::WaitBeforeRetry(int attempt, int attempts, int64_t server_wait_ms,
                                                   const std::string& last_failure) const {
  int wait_ms = JitteredBackoffMs(attempt - 1, options_.initial_backoff_ms, options_.max_backoff_ms);
  if (server_wait_ms >= 0) wait_ms = static_cast<int>(std::min<int64_t>(server_wait_ms, options_.max_retry_after_ms));
  spdlog::warn("openai: attempt {}/{} to {} failed ({}); retrying in {} ms", attempt, attempts, endpoint_url_,
               last_failure, wait_ms);
  asio::steady_timer timer(co_await asio::this_coro::executor);
  timer.expires_after(std::chrono::milliseconds(wait_ms));
  boost::system::error_code ec;
  co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
}

// ---- streaming ----

// One streamed attempt's state, shared by CompleteStreaming and the body handler.
struct OpenAiModel::StreamState {
  explicit StreamState(const std::string& model, const TextDeltaHandler& handler)
      : accumulator(model), on_text(handler) {}
  ChatCompletionStreamAccumulator accumulator;
  const TextDeltaHandler& on_text;
  bool decided = false;      // content type looked at
  bool plain_json = false;   // the server ignored "stream": a whole chat.completion body
  std::string json_body;     // plain_json: the body so far (bounded by the HTTP client)
  bool emitted = false;      // some text went to on_text
  bool stopped = false;      // on_text returned false
  std::optional<Error> error;  // the stream was unreadable
};

asio::awaitable<bool> OpenAiModel::OnStreamBytes(StreamState& state, const HttpResponse& head,
                                                 std::string_view bytes) {
  if (!state.decided) {
    state.decided = true;
    std::string type = head.Header("content-type");
    std::transform(type.begin(), type.end(), type.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    state.plain_json = type.find("application/json") != std::string::npos;
  }
  if (state.plain_json) {
    state.json_body.append(bytes.data(), bytes.size());
    co_return true;
  }
  std::vector<std::string> deltas;
  Status fed = state.accumulator.Feed(bytes, &deltas);
  for (const std::string& delta : deltas) {
    state.emitted = true;
    const bool more = co_await state.on_text(delta);
    if (!more) {
      state.stopped = true;
      co_return false;
    }
  }
  if (!fed.ok()) {
    state.error = fed.error();
    co_return false;
  }
  co_return true;
}

asio::awaitable<Result<ModelResponse>> OpenAiModel::CompleteStreaming(const ModelRequest& request,
                                                                       const TextDeltaHandler& on_text) {
  try {
    auto body = SerializeRequestBody(request, /*stream=*/true);
    if (!body.ok()) co_return body.error();
    const HttpRequest http_request = MakeHttpRequest(std::move(*body), /*stream=*/true);

    const int attempts = options_.max_retries + 1;
    std::string last_failure;
    for (int attempt = 1; attempt <= attempts; ++attempt) {
      StreamState state(options_.model, on_text);
      BodyChunkHandler handler = [&state](const HttpResponse& head, std::string_view bytes) {
        return OnStreamBytes(state, head, bytes);
      };
      auto sent = co_await http_->SendStreaming(http_request, std::move(handler));
      AttemptFailure failure;
      if (!sent.ok()) {
        if (state.emitted) {  // part of the answer is out: a retry would repeat it
          spdlog::warn("openai: the streamed answer broke off: {}", sent.error().message);
          co_return sent.error();
        }
        failure = ClassifyTransportError(sent.error(), options_.base_url);
      } else if (sent->status >= 200 && sent->status < 300) {
        if (state.stopped) {
          std::vector<std::string> ignored;
          Result<ModelResponse> partial = state.accumulator.Finish(&ignored);
          if (partial.ok()) co_return partial;
          co_return ModelResponse{};
        }
        if (state.error) co_return *state.error;
        if (state.plain_json) {
          Result<ModelResponse> whole = ParseResponseBody(state.json_body, options_.model);
          if (whole.ok() && !whole->text.empty()) {
            const std::string_view text = whole->text;
            const bool more = co_await on_text(text);
            (void)more;
          }
          co_return whole;
        }
        std::vector<std::string> deltas;
        Result<ModelResponse> response = state.accumulator.Finish(&deltas);
        for (const std::string& delta : deltas) {
          const bool more = co_await on_text(delta);
          if (!more) break;
        }
        if (!response.ok()) co_return response.error();
        if (!state.accumulator.done() && !state.accumulator.finished()) {
          co_return Error{ErrorCode::kUnavailable, "OpenAI's streamed answer ended before it was complete", {}};
        }
        co_return response;
      } else {
        failure = ClassifyStatus(*sent, options_.api_key);
      }
      if (failure.final_error) co_return *failure.final_error;
      last_failure = failure.last_failure;
      if (attempt == attempts) break;
      co_await WaitBeforeRetry(attempt, attempts, failure.server_wait_ms, last_failure);
    }
    co_return GiveUp(attempts, last_failure);
  } catch (const std::exception& e) {
    co_return Error::Internal(std::string("OpenAI model: ") + e.what());
  }
}

// ---- ChatCompletionStreamAccumulator ----

Status ChatCompletionStreamAccumulator::Feed(std::string_view bytes, std::vector<std::string>* text_deltas) {
  for (char c : bytes) {
    if (c == '\n' && saw_cr_) {  // the second half of a "\r\n"
      saw_cr_ = false;
      continue;
    }
    saw_cr_ = c == '\r';
    if (c == '\n' || c == '\r') {
      Status handled = HandleLine(line_, text_deltas);
      line_.clear();
      if (!handled.ok()) return handled;
      continue;
    }
    if (line_.size() >= max_line_bytes_) {
      return Error::Internal("OpenAI's streamed answer has a line longer than " +
                             std::to_string(max_line_bytes_) + " bytes");
    }
    line_ += c;
  }
  return OkStatus();
}

Status ChatCompletionStreamAccumulator::HandleLine(std::string_view line, std::vector<std::string>* text_deltas) {
  if (line.empty()) return HandleEvent(text_deltas);  // a blank line ends the event
  if (line.front() == ':') return OkStatus();          // a comment (keep-alive)
  const size_t colon = line.find(':');
  const std::string_view field = line.substr(0, colon);
  std::string_view value = colon == std::string_view::npos ? std::string_view() : line.substr(colon + 1);
  if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  if (field != "data") return OkStatus();  // event:, id:, retry: carry nothing we need
  if (data_.size() + value.size() > max_line_bytes_) {
    return Error::Internal("OpenAI's streamed answer has an event longer than " +
                           std::to_string(max_line_bytes_) + " bytes");
  }
  if (!data_.empty()) data_ += '\n';
  data_.append(value.data(), value.size());
  return OkStatus();
}

Status ChatCompletionStreamAccumulator::HandleEvent(std::vector<std::string>* text_deltas) {
  if (data_.empty()) return OkStatus();
  std::string data = std::move(data_);
  data_.clear();
  if (data == "[DONE]") {
    done_ = true;
    return OkStatus();
  }
  if (done_) return OkStatus();  // nothing counts after [DONE]
  json chunk = json::parse(data, nullptr, false);
  if (chunk.is_discarded() || !chunk.is_object()) {
    return Error::Internal("OpenAI's streamed answer has an event that is not a JSON object");
  }
  return HandleChunk(chunk, text_deltas);
}

Status ChatCompletionStreamAccumulator::HandleChunk(const json& chunk, std::vector<std::string>* text_deltas) {
  if (auto err = chunk.find("error"); err != chunk.end() && !err->is_null()) {
    return Error{ErrorCode::kUnavailable,
                 "OpenAI reported an error while streaming: " +
                     Truncate(ExtractProviderError(chunk.dump()).message, kMaxProviderMessageChars),
                 {}};
  }
  if (id_.empty()) {
    if (auto id = chunk.find("id"); id != chunk.end() && id->is_string()) id_ = id->get<std::string>();
  }
  if (model_.empty()) {
    if (auto model = chunk.find("model"); model != chunk.end() && model->is_string()) {
      model_ = model->get<std::string>();
    }
  }
  if (auto usage = chunk.find("usage"); usage != chunk.end() && usage->is_object()) {
    if (auto v = usage->find("prompt_tokens"); v != usage->end() && v->is_number_integer()) {
      usage_.input_tokens = v->get<int64_t>();
    }
    if (auto v = usage->find("completion_tokens"); v != usage->end() && v->is_number_integer()) {
      usage_.output_tokens = v->get<int64_t>();
    }
  }
  auto choices = chunk.find("choices");
  if (choices == chunk.end() || !choices->is_array()) return OkStatus();  // e.g. the usage chunk
  for (const json& choice : *choices) {
    if (!choice.is_object()) continue;
    if (auto index = choice.find("index"); index != choice.end() && index->is_number_integer() &&
                                           index->get<int64_t>() != 0) {
      continue;  // n > 1: only the first choice is used, as in the non-streaming path
    }
    if (auto reason = choice.find("finish_reason"); reason != choice.end() && reason->is_string()) {
      finish_reason_ = *reason;
    }
    auto delta = choice.find("delta");
    if (delta == choice.end() || !delta->is_object()) continue;
    for (const char* key : {"content", "refusal"}) {
      auto content = delta->find(key);
      if (content == delta->end()) continue;
      std::string piece = ContentText(*content);
      if (piece.empty()) continue;
      text_ += piece;
      if (text_deltas != nullptr) text_deltas->push_back(std::move(piece));
    }
    auto calls = delta->find("tool_calls");
    if (calls == delta->end() || !calls->is_array()) continue;
    for (const json& call : *calls) {
      if (!call.is_object()) continue;
      size_t index = calls_.empty() ? 0 : calls_.size() - 1;
      if (auto i = call.find("index"); i != call.end() && i->is_number_integer()) {
        const int64_t value = i->get<int64_t>();
        if (value < 0 || value >= static_cast<int64_t>(kMaxToolCallsPerReply)) {
          return Error::Internal("OpenAI's streamed answer has a tool call index out of range");
        }
        index = static_cast<size_t>(value);
      }
      if (calls_.size() <= index) calls_.resize(index + 1);
      PartialCall& partial = calls_[index];
      if (auto id = call.find("id"); id != call.end() && id->is_string() && partial.id.empty()) {
        partial.id = id->get<std::string>();
      }
      auto fn = call.find("function");
      if (fn == call.end() || !fn->is_object()) continue;
      if (auto name = fn->find("name"); name != fn->end() && name->is_string() && partial.name.empty()) {
        partial.name = name->get<std::string>();
      }
      if (auto args = fn->find("arguments"); args != fn->end()) {
        if (args->is_string()) {
          partial.arguments += args->get<std::string>();
        } else if (args->is_object()) {
          partial.arguments += DumpJson(*args);
        }
      }
    }
  }
  return OkStatus();
}

Result<ModelResponse> ChatCompletionStreamAccumulator::Finish(std::vector<std::string>* text_deltas) {
  if (!line_.empty()) {  // a last line without its newline
    Status handled = HandleLine(line_, text_deltas);
    line_.clear();
    if (!handled.ok()) return handled.error();
  }
  Status handled = HandleEvent(text_deltas);  // a last event without its blank line
  if (!handled.ok()) return handled.error();

  ModelResponse out;
  out.id = id_;
  out.model_id = model_.empty() ? default_model_ : model_;
  out.text = text_;
  out.usage = usage_;
  size_t index = 0;
  for (const PartialCall& partial : calls_) {
    ++index;
    if (partial.name.empty()) continue;  // a gap in the indexes, or a call without a name
    ToolCall call;
    call.id = partial.id.empty() ? "call_" + out.id + "_" + std::to_string(index) : partial.id;
    call.name = partial.name;
    if (partial.arguments.empty()) {
      call.args = json::object();
    } else {
      json parsed = json::parse(partial.arguments, nullptr, false);
      if (!parsed.is_discarded() && parsed.is_object()) {
        call.args = std::move(parsed);
      } else {
        call.raw_args = partial.arguments;
        call.args = nullptr;
      }
    }
    out.tool_calls.push_back(std::move(call));
  }
  out.finish_reason = MapFinishReason(finish_reason_, !out.tool_calls.empty());
  return out;
}

}  // namespace billing
