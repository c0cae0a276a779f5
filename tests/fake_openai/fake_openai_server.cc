#include "fake_openai/fake_openai_server.h"

#include <atomic>
#include <chrono>
#include <deque>
#include <fstream>
#include <mutex>
#include <sstream>
#include <thread>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

// GCC 12 with optimisation reports a false -Wmismatched-new-delete on Boost 1.74's coroutine
// frames (awaitable_frame_base's own operator new/delete pair); there is no real mismatch.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

namespace billing::fake_openai {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using json = nlohmann::json;

namespace {

constexpr int kMaxRequestsPerConnection = 1000;
constexpr int kMaxDelayMs = 600000;

std::atomic<uint64_t> g_completion_counter{0};

std::string NextCompletionId() { return "chatcmpl-fake" + std::to_string(++g_completion_counter); }

int64_t NowUnixSeconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

json Completion(json message, const std::string& finish_reason, const std::string& model) {
  return {{"id", NextCompletionId()},
          {"object", "chat.completion"},
          {"created", NowUnixSeconds()},
          {"model", model},
          {"choices",
           json::array({{{"index", 0}, {"message", std::move(message)}, {"logprobs", nullptr},
                         {"finish_reason", finish_reason}}})},
          {"usage", {{"prompt_tokens", 12}, {"completion_tokens", 7}, {"total_tokens", 19}}},
          {"system_fingerprint", "fp_fake"}};
}

json StreamChunk(const std::string& id, const std::string& model, json delta, json finish_reason) {
  return {{"id", id},
          {"object", "chat.completion.chunk"},
          {"created", NowUnixSeconds()},
          {"model", model},
          {"system_fingerprint", "fp_fake"},
          {"choices",
           json::array({{{"index", 0}, {"delta", std::move(delta)}, {"logprobs", nullptr},
                         {"finish_reason", std::move(finish_reason)}}})}};
}

json UsageChunk(const std::string& id, const std::string& model) {
  return {{"id", id},
          {"object", "chat.completion.chunk"},
          {"created", NowUnixSeconds()},
          {"model", model},
          {"system_fingerprint", "fp_fake"},
          {"choices", json::array()},
          {"usage", {{"prompt_tokens", 12}, {"completion_tokens", 7}, {"total_tokens", 19}}}};
}

// Splits after each space, keeping the spaces ("It is hot" → "It ", "is ", "hot").
std::vector<std::string> Words(const std::string& text) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start < text.size()) {
    size_t space = text.find(' ', start);
    size_t end = space == std::string::npos ? text.size() : space + 1;
    out.push_back(text.substr(start, end - start));
    start = end;
  }
  return out;
}

std::vector<std::string> StreamEvents(const std::string& id, const std::string& model,
                                      const std::vector<std::string>& text,
                                      const std::vector<ScriptedReply::Call>& calls, size_t fragment_bytes,
                                      const std::string& finish_reason) {
  std::vector<std::string> events;
  events.push_back(StreamChunk(id, model, {{"role", "assistant"}, {"content", ""}, {"refusal", nullptr}}, nullptr).dump());
  for (const std::string& piece : text) {
    events.push_back(StreamChunk(id, model, {{"content", piece}}, nullptr).dump());
  }
  if (fragment_bytes == 0) fragment_bytes = 1;
  for (size_t i = 0; i < calls.size(); ++i) {
    const ScriptedReply::Call& c = calls[i];
    events.push_back(StreamChunk(id, model,
                                 {{"tool_calls", json::array({{{"index", i},
                                                               {"id", c.id},
                                                               {"type", "function"},
                                                               {"function", {{"name", c.name}, {"arguments", ""}}}}})}},
                                 nullptr)
                         .dump());
    for (size_t at = 0; at < c.arguments.size(); at += fragment_bytes) {
      events.push_back(
          StreamChunk(id, model,
                      {{"tool_calls", json::array({{{"index", i},
                                                    {"function", {{"arguments", c.arguments.substr(at, fragment_bytes)}}}}})}},
                      nullptr)
              .dump());
    }
  }
  events.push_back(StreamChunk(id, model, json::object(), finish_reason).dump());
  events.push_back(UsageChunk(id, model).dump());
  events.push_back("[DONE]");
  return events;
}

std::string MaskKey(const std::string& key) {
  if (key.size() <= 8) return "***";
  return key.substr(0, 3) + "***" + key.substr(key.size() - 4);
}

std::string StartsWithBearer(const std::string& authorization) {
  const std::string prefix = "Bearer ";
  if (authorization.compare(0, prefix.size(), prefix) == 0) return authorization.substr(prefix.size());
  return {};
}

bool EndsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string MessageText(const json& message) {
  if (!message.is_object() || !message.contains("content")) return {};
  const json& c = message["content"];
  if (c.is_string()) return c.get<std::string>();
  std::string text;
  if (c.is_array()) {
    for (const auto& part : c) {
      if (part.is_object() && part.contains("text") && part["text"].is_string()) text += part["text"].get<std::string>();
    }
  }
  return text;
}

}  // namespace

ScriptedReply ScriptedReply::Text(const std::string& text, const std::string& model,
                                  const std::string& finish_reason) {
  ScriptedReply r;
  r.body = Completion({{"role", "assistant"}, {"content", text}, {"refusal", nullptr}}, finish_reason, model).dump();
  return r;
}

ScriptedReply ScriptedReply::ToolCalls(const std::vector<Call>& calls, const std::string& model) {
  json tool_calls = json::array();
  for (const Call& c : calls) {
    tool_calls.push_back(
        {{"id", c.id}, {"type", "function"}, {"function", {{"name", c.name}, {"arguments", c.arguments}}}});
  }
  ScriptedReply r;
  r.body = Completion({{"role", "assistant"}, {"content", nullptr}, {"tool_calls", std::move(tool_calls)},
                       {"refusal", nullptr}},
                      "tool_calls", model)
               .dump();
  return r;
}

ScriptedReply ScriptedReply::StreamText(const std::vector<std::string>& pieces, int chunk_delay_ms,
                                        const std::string& model, const std::string& finish_reason) {
  ScriptedReply r;
  r.stream_events = StreamEvents(NextCompletionId(), model, pieces, {}, 1, finish_reason);
  r.chunk_delay_ms = chunk_delay_ms;
  std::string text;
  for (const auto& p : pieces) text += p;
  r.body = Text(text, model, finish_reason).body;  // what a non-streaming request gets
  return r;
}

ScriptedReply ScriptedReply::StreamToolCalls(const std::vector<Call>& calls, const std::vector<std::string>& leading_text,
                                             size_t fragment_bytes, int chunk_delay_ms, const std::string& model) {
  ScriptedReply r;
  r.stream_events = StreamEvents(NextCompletionId(), model, leading_text, calls, fragment_bytes, "tool_calls");
  r.chunk_delay_ms = chunk_delay_ms;
  r.body = ToolCalls(calls, model).body;
  return r;
}

std::vector<std::string> ScriptedReply::EventsFor(const std::string& body) {
  json j = json::parse(body, nullptr, false);
  if (j.is_discarded() || !j.is_object() || j.value("object", "") != "chat.completion" || !j.contains("choices") ||
      !j["choices"].is_array() || j["choices"].empty()) {
    return {};
  }
  const json& choice = j["choices"][0];
  const json message = choice.value("message", json::object());
  std::vector<std::string> text;
  if (message.contains("content") && message["content"].is_string()) text = Words(message["content"].get<std::string>());
  std::vector<Call> calls;
  if (message.contains("tool_calls") && message["tool_calls"].is_array()) {
    for (const json& c : message["tool_calls"]) {
      const json fn = c.value("function", json::object());
      calls.push_back({c.value("id", ""), fn.value("name", ""), fn.value("arguments", "")});
    }
  }
  const std::string finish = choice.contains("finish_reason") && choice["finish_reason"].is_string()
                                 ? choice["finish_reason"].get<std::string>()
                                 : "stop";
  return StreamEvents(j.value("id", NextCompletionId()), j.value("model", "gpt-4o-mini"), text, calls, 7, finish);
}

ScriptedReply ScriptedReply::Error(int status, const std::string& message, const std::string& type,
                                   const std::string& code) {
  ScriptedReply r;
  r.status = status;
  r.body = json{{"error",
                 {{"message", message}, {"type", type}, {"param", nullptr},
                  {"code", code.empty() ? json() : json(code)}}}}
               .dump();
  return r;
}

ScriptedReply FakeOpenAiServer::BuiltInReply(const json& request, const std::string& model) {
  const json messages = request.is_object() && request.contains("messages") && request["messages"].is_array()
                            ? request["messages"]
                            : json::array();
  if (!messages.empty() && messages.back().is_object() && messages.back().value("role", "") == "tool") {
    return ScriptedReply::Text("Done: " + MessageText(messages.back()), model);
  }
  std::string last_user;
  for (auto it = messages.rbegin(); it != messages.rend(); ++it) {
    if (it->is_object() && it->value("role", "") == "user") {
      last_user = MessageText(*it);
      break;
    }
  }
  const std::string tool_prefix = "/tool ";
  if (last_user.compare(0, tool_prefix.size(), tool_prefix) == 0) {
    std::string rest = last_user.substr(tool_prefix.size());
    const size_t space = rest.find(' ');
    const std::string name = rest.substr(0, space);
    const std::string arguments = space == std::string::npos ? "{}" : rest.substr(space + 1);
    return ScriptedReply::ToolCalls({{"call_" + std::to_string(g_completion_counter.load() + 1), name, arguments}},
                                    model);
  }
  return ScriptedReply::Text("You said: " + last_user, model);
}

struct FakeOpenAiServer::Impl {
  explicit Impl(FakeOpenAiOptions o) : options(std::move(o)) {}

  FakeOpenAiOptions options;
  asio::io_context io{1};
  tcp::acceptor acceptor{io};
  std::thread thread;
  std::atomic<uint16_t> port{0};
  std::atomic<bool> running{false};

  mutable std::mutex mu;
  std::deque<ScriptedReply> queue;         // guarded by mu
  std::vector<RecordedRequest> recorded;   // guarded by mu
  size_t connections = 0;                  // guarded by mu
  size_t streams_completed = 0;            // guarded by mu
  size_t streams_aborted = 0;              // guarded by mu

  // Sends `events` as a chunked text/event-stream response. False when a write failed.
  asio::awaitable<bool> SendEvents(beast::tcp_stream& stream, const http::request<http::string_body>& req,
                                   const ScriptedReply& reply, const std::vector<std::string>& events) {
    boost::system::error_code ec;
    http::response<http::empty_body> res{static_cast<http::status>(reply.status), req.version()};
    res.set(http::field::server, "fake-openai");
    res.set(http::field::content_type, "text/event-stream; charset=utf-8");
    res.set(http::field::cache_control, "no-cache");
    for (const auto& [k, v] : reply.headers) res.set(k, v);
    res.keep_alive(req.keep_alive());
    res.chunked(true);
    http::response_serializer<http::empty_body> serializer(res);
    co_await http::async_write_header(stream, serializer, asio::redirect_error(asio::use_awaitable, ec));
    bool ok = !ec;
    for (size_t i = 0; ok && i < events.size(); ++i) {
      if (i > 0 && reply.chunk_delay_ms > 0) {
        asio::steady_timer timer(stream.get_executor());
        timer.expires_after(std::chrono::milliseconds(std::min(reply.chunk_delay_ms, kMaxDelayMs)));
        co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      }
      const std::string line = "data: " + events[i] + "\n\n";
      co_await asio::async_write(stream, http::make_chunk(asio::buffer(line)),
                                 asio::redirect_error(asio::use_awaitable, ec));
      ok = !ec;
    }
    if (ok) {
      co_await asio::async_write(stream, http::make_chunk_last(), asio::redirect_error(asio::use_awaitable, ec));
      ok = !ec;
    }
    std::lock_guard<std::mutex> lock(mu);
    ++(ok ? streams_completed : streams_aborted);
    co_return ok;
  }

  ScriptedReply Handle(const http::request<http::string_body>& req) {
    RecordedRequest rec;
    rec.method = std::string(req.method_string());
    rec.target = std::string(req.target());
    rec.authorization = std::string(req[http::field::authorization]);
    rec.body = req.body();
    rec.json = json::parse(rec.body, nullptr, false);
    if (rec.json.is_discarded()) rec.json = nullptr;
    const json body_json = rec.json;
    {
      std::lock_guard<std::mutex> lock(mu);
      recorded.push_back(rec);
    }

    if (!options.expected_api_key.empty()) {
      const std::string key = StartsWithBearer(rec.authorization);
      if (key.empty()) {
        return ScriptedReply::Error(401,
                                    "You didn't provide an API key. You need to provide your API key in an "
                                    "Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
                                    "invalid_request_error");
      }
      if (key != options.expected_api_key) {
        return ScriptedReply::Error(401,
                                    "Incorrect API key provided: " + MaskKey(key) +
                                        ". You can find your API key at https://platform.openai.com/account/api-keys.",
                                    "invalid_request_error", "invalid_api_key");
      }
    }

    std::string path = rec.target.substr(0, rec.target.find('?'));
    while (path.size() > 1 && path.back() == '/') path.pop_back();
    if (req.method() == http::verb::post && EndsWith(path, "/chat/completions")) {
      if (!body_json.is_object()) {
        return ScriptedReply::Error(400,
                                    "We could not parse the JSON body of your request. (HINT: This likely means "
                                    "you aren't using your HTTP library correctly.)",
                                    "invalid_request_error");
      }
      if (!body_json.contains("model") || !body_json["model"].is_string()) {
        return ScriptedReply::Error(400, "you must provide a model parameter", "invalid_request_error");
      }
      if (!body_json.contains("messages") || !body_json["messages"].is_array() || body_json["messages"].empty()) {
        return ScriptedReply::Error(400, "Missing required parameter: 'messages'.", "invalid_request_error",
                                    "missing_required_parameter");
      }
      {
        std::lock_guard<std::mutex> lock(mu);
        if (!queue.empty()) {
          ScriptedReply r = std::move(queue.front());
          queue.pop_front();
          return r;
        }
      }
      return BuiltInReply(body_json, body_json["model"].get<std::string>());
    }
    if (req.method() == http::verb::get && EndsWith(path, "/models")) {
      ScriptedReply r;
      r.body = json{{"object", "list"},
                    {"data", json::array({{{"id", options.model}, {"object", "model"}, {"created", 0},
                                           {"owned_by", "fake-openai"}}})}}
                   .dump();
      return r;
    }
    return ScriptedReply::Error(404, "Invalid URL (" + rec.method + " " + path + ")", "invalid_request_error");
  }

  asio::awaitable<void> Session(tcp::socket socket) {
    beast::tcp_stream stream(std::move(socket));
    beast::flat_buffer buffer;
    boost::system::error_code ec;
    for (int i = 0; i < kMaxRequestsPerConnection; ++i) {
      http::request_parser<http::string_body> parser;
      parser.body_limit(options.max_body_bytes);
      co_await http::async_read(stream, buffer, parser, asio::redirect_error(asio::use_awaitable, ec));
      if (ec) break;
      http::request<http::string_body> req = parser.release();
      ScriptedReply reply = Handle(req);
      if (reply.delay_ms > 0) {
        asio::steady_timer timer(stream.get_executor());
        timer.expires_after(std::chrono::milliseconds(std::min(reply.delay_ms, kMaxDelayMs)));
        co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      }
      json request_json = json::parse(req.body(), nullptr, false);
      const bool wants_stream = request_json.is_object() && request_json.contains("stream") &&
                                request_json["stream"].is_boolean() && request_json["stream"].get<bool>();
      if (wants_stream && reply.status >= 200 && reply.status < 300 && !reply.send_as_is) {
        std::vector<std::string> events = reply.stream_events;
        if (events.empty()) events = ScriptedReply::EventsFor(reply.body);
        if (!events.empty()) {
          const bool sent = co_await SendEvents(stream, req, reply, events);
          if (!sent || !req.keep_alive()) break;
          continue;
        }
      }
      http::response<http::string_body> res{static_cast<http::status>(reply.status), req.version()};
      res.set(http::field::server, "fake-openai");
      res.set(http::field::content_type, "application/json");
      for (const auto& [k, v] : reply.headers) res.set(k, v);
      res.keep_alive(req.keep_alive());
      res.body() = std::move(reply.body);
      res.prepare_payload();
      co_await http::async_write(stream, res, asio::redirect_error(asio::use_awaitable, ec));
      if (ec || !req.keep_alive()) break;
    }
    stream.socket().shutdown(tcp::socket::shutdown_send, ec);
  }

  asio::awaitable<void> Accept() {
    for (;;) {
      boost::system::error_code ec;
      tcp::socket socket = co_await acceptor.async_accept(asio::redirect_error(asio::use_awaitable, ec));
      if (ec) {
        if (ec == asio::error::operation_aborted || !acceptor.is_open()) co_return;
        continue;
      }
      {
        std::lock_guard<std::mutex> lock(mu);
        ++connections;
      }
      asio::co_spawn(io, Session(std::move(socket)), asio::detached);
    }
  }
};

FakeOpenAiServer::FakeOpenAiServer(FakeOpenAiOptions options)
    : impl_(std::make_unique<Impl>(std::move(options))) {}

FakeOpenAiServer::~FakeOpenAiServer() { Stop(); }

bool FakeOpenAiServer::Start(std::string* error) {
  if (impl_->running) return true;
  try {
    const tcp::endpoint endpoint(asio::ip::make_address(impl_->options.address), impl_->options.port);
    impl_->acceptor.open(endpoint.protocol());
    impl_->acceptor.set_option(asio::socket_base::reuse_address(true));
    impl_->acceptor.bind(endpoint);
    impl_->acceptor.listen(asio::socket_base::max_listen_connections);
    impl_->port = impl_->acceptor.local_endpoint().port();
  } catch (const std::exception& e) {
    if (error) *error = std::string("fake_openai: cannot listen on ") + impl_->options.address + ":" +
                        std::to_string(impl_->options.port) + ": " + e.what();
    return false;
  }
  asio::co_spawn(impl_->io, impl_->Accept(), asio::detached);
  impl_->running = true;
  impl_->thread = std::thread([impl = impl_.get()] { impl->io.run(); });
  return true;
}

void FakeOpenAiServer::Stop() {
  if (!impl_->running.exchange(false)) return;
  impl_->io.stop();
  if (impl_->thread.joinable()) impl_->thread.join();
  boost::system::error_code ec;
  impl_->acceptor.close(ec);
}

uint16_t FakeOpenAiServer::port() const { return impl_->port; }

std::string FakeOpenAiServer::base_url() const {
  return "http://" + impl_->options.address + ":" + std::to_string(port()) + "/v1";
}

void FakeOpenAiServer::Enqueue(ScriptedReply reply) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  impl_->queue.push_back(std::move(reply));
}

size_t FakeOpenAiServer::pending_replies() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->queue.size();
}

std::vector<RecordedRequest> FakeOpenAiServer::requests() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->recorded;
}

size_t FakeOpenAiServer::request_count() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->recorded.size();
}

size_t FakeOpenAiServer::streams_completed() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->streams_completed;
}

size_t FakeOpenAiServer::streams_aborted() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->streams_aborted;
}

size_t FakeOpenAiServer::connection_count() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->connections;
}

bool LoadScript(const std::string& path, std::vector<ScriptedReply>* out, std::string* error) {
  std::ifstream in(path);
  if (!in) {
    *error = "cannot read script file " + path;
    return false;
  }
  std::stringstream ss;
  ss << in.rdbuf();
  json script = json::parse(ss.str(), nullptr, false);
  if (script.is_discarded() || !script.is_array()) {
    *error = "script file " + path + " must hold a JSON array";
    return false;
  }
  for (size_t i = 0; i < script.size(); ++i) {
    const json& item = script[i];
    const std::string where = "script item " + std::to_string(i) + ": ";
    if (!item.is_object()) {
      *error = where + "must be an object";
      return false;
    }
    ScriptedReply r;
    if (item.contains("text") && item["text"].is_string()) {
      r = ScriptedReply::Text(item["text"].get<std::string>());
    } else if (item.contains("tool_calls") && item["tool_calls"].is_array()) {
      std::vector<ScriptedReply::Call> calls;
      for (const json& c : item["tool_calls"]) {
        if (!c.is_object() || !c.contains("name") || !c["name"].is_string()) {
          *error = where + "each tool call needs a name";
          return false;
        }
        const json args = c.contains("arguments") ? c["arguments"] : json::object();
        calls.push_back({c.value("id", "call_" + std::to_string(i) + "_" + std::to_string(calls.size())),
                         c["name"].get<std::string>(), args.is_string() ? args.get<std::string>() : args.dump()});
      }
      r = ScriptedReply::ToolCalls(calls);
    } else if (item.contains("error") && item["error"].is_object()) {
      const json& e = item["error"];
      r = ScriptedReply::Error(e.value("status", 500), e.value("message", "scripted error"),
                               e.value("type", "server_error"), e.value("code", ""));
    } else if (item.contains("body")) {
      r.status = item.value("status", 200);
      r.body = item["body"].is_string() ? item["body"].get<std::string>() : item["body"].dump();
    } else {
      *error = where + "needs one of text, tool_calls, error, body";
      return false;
    }
    if (item.contains("status") && item["status"].is_number_integer() && !item.contains("error")) {
      r.status = item["status"].get<int>();
    }
    if (item.contains("headers") && item["headers"].is_object()) {
      for (const auto& [k, v] : item["headers"].items()) {
        r.headers.emplace_back(k, v.is_string() ? v.get<std::string>() : v.dump());
      }
    }
    if (item.contains("delay_ms") && item["delay_ms"].is_number_integer()) r.delay_ms = item["delay_ms"].get<int>();
    out->push_back(std::move(r));
  }
  return true;
}

}  // namespace billing::fake_openai
