// FakeOpenAiServer: an in-process stand-in for OpenAI's Chat Completions API, written from the
// documented wire format, for unit and end-to-end tests. It listens on 127.0.0.1 (port 0 = any
// free port), serves HTTP/1.1 with keep-alive on its own thread and io_context, and answers:
//   POST .../chat/completions  a scripted reply (FIFO queue) or, when the queue is empty, the
//                              built-in rule (BuiltInReply);
//   GET  .../models            a one-model list;
//   anything else              404 with an OpenAI-style error body.
// A chat request with "stream": true gets its reply as server-sent events (text/event-stream,
// chunked transfer encoding, one chat.completion.chunk per event, then "data: [DONE]"): scripted
// streaming replies (StreamText/StreamToolCalls, optionally with a delay between events so that
// tests can observe incremental delivery) are sent as scripted; an ordinary chat.completion reply
// (scripted or built in) is converted into the equivalent event sequence.
// Every request is recorded (method, target, Authorization header, body). When an expected API key
// is set, a request without "Authorization: Bearer <key>" gets 401 {"error":{"message":"Incorrect
// API key provided: ...","type":"invalid_request_error","code":"invalid_api_key"}} and does not
// consume a scripted reply; neither does a chat request whose body lacks "model"/"messages" (400).
//
// Thread-safety: all public methods may be called from any thread while the server runs.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace billing::fake_openai {

struct ScriptedReply {
  int status = 200;
  std::string body;  // sent verbatim (Content-Type: application/json)
  std::vector<std::pair<std::string, std::string>> headers;
  int delay_ms = 0;  // wait before answering (timeouts)
  // Streaming: the "data:" payloads sent as server-sent events, in order (each as
  // "data: <payload>\n\n"), when the request asked for "stream": true. Empty: `body` is sent
  // (converted to events when the request streams, unless send_as_is).
  std::vector<std::string> stream_events;
  int chunk_delay_ms = 0;   // wait before each event after the first
  bool send_as_is = false;  // send `body` as application/json even to a streaming request

  // A chat.completion whose message is `text` (finish_reason "stop" unless given).
  static ScriptedReply Text(const std::string& text, const std::string& model = "gpt-4o-mini",
                            const std::string& finish_reason = "stop");
  struct Call {
    std::string id;
    std::string name;
    std::string arguments;  // sent as-is: may deliberately be malformed JSON
  };
  // A chat.completion with message.tool_calls and finish_reason "tool_calls".
  static ScriptedReply ToolCalls(const std::vector<Call>& calls, const std::string& model = "gpt-4o-mini");
  // Streamed text: a role event, one content event per piece, a finish event (finish_reason),
  // a usage event (choices: []), then [DONE].
  static ScriptedReply StreamText(const std::vector<std::string>& pieces, int chunk_delay_ms = 0,
                                  const std::string& model = "gpt-4o-mini",
                                  const std::string& finish_reason = "stop");
  // Streamed tool calls: a role event, `leading_text` pieces as content events, then per call an
  // event with its id and name and events carrying its arguments in `fragment_bytes`-byte pieces
  // (tool_calls[index].function.arguments), a finish event "tool_calls", usage, [DONE].
  static ScriptedReply StreamToolCalls(const std::vector<Call>& calls,
                                       const std::vector<std::string>& leading_text = {},
                                       size_t fragment_bytes = 7, int chunk_delay_ms = 0,
                                       const std::string& model = "gpt-4o-mini");
  // The server-sent event payloads equivalent to a chat.completion body (text split at spaces,
  // arguments in 7-byte fragments). Empty when `body` is not a chat.completion.
  static std::vector<std::string> EventsFor(const std::string& body);
  // {"error":{"message","type","param":null,"code"}} with the given status.
  static ScriptedReply Error(int status, const std::string& message, const std::string& type,
                             const std::string& code = "");
};

struct RecordedRequest {
  std::string method;
  std::string target;
  std::string authorization;
  std::string body;
  nlohmann::json json;  // parsed body, or null when it was not JSON
};

struct FakeOpenAiOptions {
  std::string address = "127.0.0.1";
  uint16_t port = 0;                          // 0: any free port
  std::string expected_api_key = "test-key";  // empty: accept any (or no) key
  std::string model = "gpt-4o-mini";          // listed by /models (built-in replies echo the request's model)
  size_t max_body_bytes = 8u << 20;
};

class FakeOpenAiServer {
 public:
  explicit FakeOpenAiServer(FakeOpenAiOptions options = {});
  ~FakeOpenAiServer();  // Stop()s
  FakeOpenAiServer(const FakeOpenAiServer&) = delete;
  FakeOpenAiServer& operator=(const FakeOpenAiServer&) = delete;

  // Binds, listens and starts the server thread. False (and *error) when the bind fails.
  bool Start(std::string* error = nullptr);
  void Stop();  // idempotent; drops connections and pending delayed replies

  uint16_t port() const;
  std::string base_url() const;  // "http://127.0.0.1:<port>/v1"

  void Enqueue(ScriptedReply reply);
  size_t pending_replies() const;
  std::vector<RecordedRequest> requests() const;
  size_t request_count() const;
  size_t connection_count() const;  // TCP connections accepted so far (keep-alive checks)
  size_t streams_completed() const;  // streamed replies whose last byte was sent
  size_t streams_aborted() const;    // streamed replies cut short by a failed write (client gone)

  // The rule used when no scripted reply is queued, given a chat request body:
  //  - last message has role "tool"                → text "Done: <its content>";
  //  - last user message is "/tool <name> <json>"   → a tool call of <name> with arguments <json>;
  //  - otherwise                                   → text "You said: <last user message>".
  static ScriptedReply BuiltInReply(const nlohmann::json& request, const std::string& model);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Reads a script file: a JSON array whose items are either
//   {"status":200,"body":<object|string>,"headers":{"k":"v"},"delay_ms":0}
//   {"text":"..."}                                       (shorthand for ScriptedReply::Text)
//   {"tool_calls":[{"id":"call_1","name":"x","arguments":<object|string>}]}
//   {"error":{"status":429,"message":"...","type":"...","code":"..."},"headers":{...}}
// False (and *error) when the file is unreadable or malformed.
bool LoadScript(const std::string& path, std::vector<ScriptedReply>* out, std::string* error);

}  // namespace billing::fake_openai
