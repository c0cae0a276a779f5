// Tests for OpenAiModel (and, through it, HttpClient) against the in-process FakeOpenAiServer.
#include "agent/openai_model.h"

#include <chrono>
#include <optional>
#include <thread>
#include <vector>
#include <utility>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <gtest/gtest.h>

#include "fake_openai/fake_openai_server.h"

namespace billing {
namespace {

namespace asio = boost::asio;
using fake_openai::FakeOpenAiServer;
using fake_openai::ScriptedReply;
using json = nlohmann::json;

ChatMessage Message(std::string role, std::string content = {}) {
  ChatMessage m;
  m.role = std::move(role);
  m.content = std::move(content);
  return m;
}

// "n<i>", built without operator+(const char*, string&&), which trips GCC 12's -Wrestrict at -O3.
std::string Numbered(int i) {
  std::string s = "n";
  s += std::to_string(i);
  return s;
}

// Runs one awaitable to completion on `io` and returns its value.
template <typename T>
T RunSync(asio::io_context& io, asio::awaitable<T> task) {
  std::optional<T> out;
  asio::co_spawn(
      io, [&]() -> asio::awaitable<void> { out.emplace(co_await std::move(task)); }, asio::detached);
  io.restart();
  io.run();
  EXPECT_TRUE(out.has_value());
  return std::move(*out);
}

class OpenAiModelTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string error;
    ASSERT_TRUE(server_.Start(&error)) << error;
  }

  OpenAiOptions Options() const {
    OpenAiOptions o;
    o.api_key = "test-key";
    o.base_url = server_.base_url();
    o.timeout_ms = 5000;
    o.max_retries = 3;
    o.initial_backoff_ms = 1;
    o.max_backoff_ms = 5;
    return o;
  }

  Result<ModelResponse> Complete(OpenAiModel& model, const ModelRequest& request) {
    return RunSync(io_, model.Complete(request));
  }

  static ModelRequest UserRequest(const std::string& text) {
    ModelRequest r;
    r.instructions = "You are the billing agent.";
    r.messages.push_back(Message("user", text));
    return r;
  }

  static ToolSpec CustomerTool() {
    return {"getCustomerTool", "Look up a customer",
            json{{"type", "object"},
                 {"properties", {{"customerId", {{"type", "string"}}}, {"note", {{"type", "string"}}}}},
                 {"required", {"customerId"}}}};
  }

  asio::io_context io_;
  FakeOpenAiServer server_;
};

TEST_F(OpenAiModelTest, TwoStepToolCallExchange) {
  server_.Enqueue(ScriptedReply::ToolCalls({{"call_1", "getCustomerTool", R"({"customerId":"c1"})"}}));
  server_.Enqueue(ScriptedReply::Text("Customer c1 is active."));
  OpenAiModel model(io_, Options());

  ModelRequest request = UserRequest("look up c1");
  request.tools.push_back(CustomerTool());
  auto first = Complete(model, request);
  ASSERT_TRUE(first.ok()) << first.error().message;
  EXPECT_EQ(first->finish_reason, "tool-calls");
  ASSERT_EQ(first->tool_calls.size(), 1u);
  EXPECT_EQ(first->tool_calls[0].id, "call_1");
  EXPECT_EQ(first->tool_calls[0].name, "getCustomerTool");
  EXPECT_EQ(first->tool_calls[0].args, (json{{"customerId", "c1"}}));
  EXPECT_TRUE(first->tool_calls[0].raw_args.empty());
  EXPECT_EQ(first->text, "");
  EXPECT_EQ(first->model_id, "gpt-4o-mini");
  EXPECT_FALSE(first->id.empty());

  ChatMessage assistant = Message("assistant");
  assistant.tool_calls = first->tool_calls;
  request.messages.push_back(assistant);
  ChatMessage tool = Message("tool");
  tool.tool_call_id = "call_1";
  tool.tool_name = "getCustomerTool";
  tool.tool_result = json{{"id", "c1"}, {"status", "active"}};
  request.messages.push_back(tool);
  auto second = Complete(model, request);
  ASSERT_TRUE(second.ok()) << second.error().message;
  EXPECT_EQ(second->text, "Customer c1 is active.");
  EXPECT_EQ(second->finish_reason, "stop");
  EXPECT_TRUE(second->tool_calls.empty());
  EXPECT_EQ(second->usage.input_tokens, 12);
  EXPECT_EQ(second->usage.output_tokens, 7);

  auto requests = server_.requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[0].method, "POST");
  EXPECT_EQ(requests[0].target, "/v1/chat/completions");
  EXPECT_EQ(requests[0].authorization, "Bearer test-key");
  const json& body1 = requests[0].json;
  EXPECT_EQ(body1["model"], "gpt-4o-mini");
  EXPECT_EQ(body1["messages"][0], (json{{"role", "system"}, {"content", "You are the billing agent."}}));
  EXPECT_EQ(body1["messages"][1], (json{{"role", "user"}, {"content", "look up c1"}}));
  ASSERT_EQ(body1["tools"].size(), 1u);
  EXPECT_EQ(body1["tools"][0]["type"], "function");
  EXPECT_EQ(body1["tools"][0]["function"]["name"], "getCustomerTool");
  EXPECT_EQ(body1["tools"][0]["function"]["description"], "Look up a customer");
  EXPECT_EQ(body1["tools"][0]["function"]["parameters"], CustomerTool().parameters);
  EXPECT_FALSE(body1.contains("tool_choice"));

  const json& messages = requests[1].json["messages"];
  ASSERT_EQ(messages.size(), 4u);
  const json& a = messages[2];
  EXPECT_EQ(a["role"], "assistant");
  EXPECT_TRUE(a["content"].is_null());
  ASSERT_EQ(a["tool_calls"].size(), 1u);
  EXPECT_EQ(a["tool_calls"][0]["id"], "call_1");
  EXPECT_EQ(a["tool_calls"][0]["type"], "function");
  EXPECT_EQ(a["tool_calls"][0]["function"]["name"], "getCustomerTool");
  ASSERT_TRUE(a["tool_calls"][0]["function"]["arguments"].is_string());
  EXPECT_EQ(json::parse(a["tool_calls"][0]["function"]["arguments"].get<std::string>()),
            (json{{"customerId", "c1"}}));
  const json& t = messages[3];
  EXPECT_EQ(t["role"], "tool");
  EXPECT_EQ(t["tool_call_id"], "call_1");
  ASSERT_TRUE(t["content"].is_string());
  EXPECT_EQ(json::parse(t["content"].get<std::string>()), (json{{"id", "c1"}, {"status", "active"}}));
}

TEST_F(OpenAiModelTest, NullOptionalArgumentsPassThroughAsNull) {
  server_.Enqueue(ScriptedReply::ToolCalls({{"call_9", "getCustomerTool", R"({"customerId":"c1","note":null})"}}));
  OpenAiModel model(io_, Options());
  auto r = Complete(model, UserRequest("hi"));
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r->tool_calls.size(), 1u);
  const json& args = r->tool_calls[0].args;
  ASSERT_TRUE(args.is_object());
  ASSERT_TRUE(args.contains("note"));
  EXPECT_TRUE(args["note"].is_null());
  EXPECT_EQ(args["customerId"], "c1");
  EXPECT_TRUE(r->tool_calls[0].raw_args.empty());
}

TEST_F(OpenAiModelTest, MalformedArgumentsKeepRawText) {
  const std::string bad = R"({"customerId": c1)";
  server_.Enqueue(ScriptedReply::ToolCalls({{"call_2", "getCustomerTool", bad}}));
  server_.Enqueue(ScriptedReply::Text("ok"));
  OpenAiModel model(io_, Options());
  ModelRequest request = UserRequest("hi");
  auto r = Complete(model, request);
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r->tool_calls.size(), 1u);
  EXPECT_EQ(r->tool_calls[0].raw_args, bad);
  EXPECT_TRUE(r->tool_calls[0].args.is_null());
  EXPECT_EQ(r->finish_reason, "tool-calls");

  // Replaying the call in the history sends the model's own text back.
  ChatMessage assistant = Message("assistant");
  assistant.tool_calls = r->tool_calls;
  request.messages.push_back(assistant);
  ChatMessage tool = Message("tool");
  tool.tool_call_id = "call_2";
  tool.tool_result = json{{"error", true}, {"message", "arguments are not valid JSON"}};
  request.messages.push_back(tool);
  ASSERT_TRUE(Complete(model, request).ok());
  EXPECT_EQ(server_.requests()[1].json["messages"][2]["tool_calls"][0]["function"]["arguments"], bad);
}

TEST_F(OpenAiModelTest, RateLimitIsRetriedHonouringRetryAfter) {
  ScriptedReply limited = ScriptedReply::Error(429, "Rate limit reached for requests", "requests",
                                               "rate_limit_exceeded");
  limited.headers.emplace_back("Retry-After", "1");
  server_.Enqueue(limited);
  server_.Enqueue(ScriptedReply::Text("after the wait"));
  OpenAiModel model(io_, Options());
  const auto start = std::chrono::steady_clock::now();
  auto r = Complete(model, UserRequest("hi"));
  const auto elapsed_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start).count();
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->text, "after the wait");
  EXPECT_EQ(server_.request_count(), 2u);
  EXPECT_GE(elapsed_ms, 950);  // Retry-After: 1 second, not the 1 ms backoff
  EXPECT_LT(elapsed_ms, 4000);
}

TEST_F(OpenAiModelTest, RetryAfterIsCapped) {
  ScriptedReply limited = ScriptedReply::Error(429, "Rate limit reached", "requests", "rate_limit_exceeded");
  limited.headers.emplace_back("Retry-After", "3600");
  server_.Enqueue(limited);
  server_.Enqueue(ScriptedReply::Text("ok"));
  OpenAiOptions o = Options();
  o.max_retry_after_ms = 50;
  OpenAiModel model(io_, o);
  const auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(Complete(model, UserRequest("hi")).ok());
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
}

TEST_F(OpenAiModelTest, ServerErrorsExhaustRetries) {
  OpenAiOptions o = Options();
  o.max_retries = 2;
  for (int i = 0; i < o.max_retries + 1; ++i) {
    server_.Enqueue(ScriptedReply::Error(500, "The server had an error while processing your request.",
                                         "server_error"));
  }
  server_.Enqueue(ScriptedReply::Text("too late"));  // must not be reached
  OpenAiModel model(io_, o);
  auto r = Complete(model, UserRequest("hi"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(r.error().message.find("HTTP 500"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("3 attempt"), std::string::npos) << r.error().message;
  EXPECT_EQ(server_.request_count(), 3u);
  EXPECT_EQ(server_.pending_replies(), 1u);
}

TEST_F(OpenAiModelTest, RejectedKeyIsUnauthenticatedWithoutLeakingTheKey) {
  OpenAiOptions o = Options();
  o.api_key = "sk-proj-wrongwrongwrong1234";
  OpenAiModel model(io_, o);
  auto r = Complete(model, UserRequest("hi"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kUnauthenticated);
  EXPECT_EQ(r.error().message.rfind("OpenAI rejected the API key (HTTP 401): Incorrect API key provided", 0), 0u)
      << r.error().message;
  EXPECT_EQ(r.error().message.find("wrongwrong"), std::string::npos) << r.error().message;
  EXPECT_EQ(r.error().message.find("1234"), std::string::npos) << r.error().message;
  EXPECT_EQ(server_.request_count(), 1u);  // not retried
}

TEST_F(OpenAiModelTest, TimeoutIsUnavailable) {
  OpenAiOptions o = Options();
  o.timeout_ms = 200;
  o.max_retries = 1;
  for (int i = 0; i < 2; ++i) {
    ScriptedReply slow = ScriptedReply::Text("slow");
    slow.delay_ms = 3000;
    server_.Enqueue(slow);
  }
  OpenAiModel model(io_, o);
  const auto start = std::chrono::steady_clock::now();
  auto r = Complete(model, UserRequest("hi"));
  const auto elapsed = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(r.error().message.find("timed out after 200 ms"), std::string::npos) << r.error().message;
  EXPECT_LT(elapsed, std::chrono::milliseconds(2000));
  EXPECT_EQ(server_.request_count(), 2u);
}

TEST_F(OpenAiModelTest, BaseUrlWithAndWithoutTrailingSlash) {
  for (const std::string& base : {server_.base_url(), server_.base_url() + "/"}) {
    OpenAiOptions o = Options();
    o.base_url = base;
    OpenAiModel model(io_, o);
    EXPECT_EQ(model.endpoint_url(), server_.base_url() + "/chat/completions");
    auto r = Complete(model, UserRequest("ping"));
    ASSERT_TRUE(r.ok()) << base << ": " << r.error().message;
    EXPECT_EQ(r->text, "You said: ping");
  }
  auto requests = server_.requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[0].target, "/v1/chat/completions");
  EXPECT_EQ(requests[1].target, "/v1/chat/completions");
}

TEST_F(OpenAiModelTest, KeepAliveConnectionIsReused) {
  OpenAiModel model(io_, Options());
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(Complete(model, UserRequest("again")).ok());
  EXPECT_EQ(server_.request_count(), 3u);
  EXPECT_EQ(server_.connection_count(), 1u);
}

TEST_F(OpenAiModelTest, StalePooledConnectionIsReplaced) {
  fake_openai::FakeOpenAiOptions fo;
  auto first = std::make_unique<FakeOpenAiServer>(fo);
  ASSERT_TRUE(first->Start());
  const uint16_t port = first->port();
  OpenAiOptions o = Options();
  o.base_url = first->base_url();
  o.max_retries = 0;  // the reconnect must come from the pool logic, not the retry loop
  OpenAiModel model(io_, o);
  ASSERT_TRUE(Complete(model, UserRequest("one")).ok());
  first.reset();  // closes the pooled connection from the server side
  fo.port = port;
  FakeOpenAiServer second(fo);
  ASSERT_TRUE(second.Start());
  auto r = Complete(model, UserRequest("two"));
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->text, "You said: two");
  EXPECT_EQ(second.connection_count(), 1u);
}

TEST_F(OpenAiModelTest, ConnectionRefusedIsUnavailable) {
  uint16_t port = 0;
  {
    FakeOpenAiServer gone;
    ASSERT_TRUE(gone.Start());
    port = gone.port();
  }
  OpenAiOptions o = Options();
  o.base_url = "http://127.0.0.1:" + std::to_string(port) + "/v1";
  o.max_retries = 1;
  OpenAiModel model(io_, o);
  auto r = Complete(model, UserRequest("hi"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(r.error().message.find("2 attempt"), std::string::npos) << r.error().message;
}

TEST_F(OpenAiModelTest, OtherClientErrorsAreInvalidArgumentWithProviderMessage) {
  server_.Enqueue(ScriptedReply::Error(400, "This model's maximum context length is 128000 tokens.",
                                       "invalid_request_error", "context_length_exceeded"));
  OpenAiModel model(io_, Options());
  auto r = Complete(model, UserRequest("hi"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(r.error().message.find("HTTP 400"), std::string::npos);
  EXPECT_NE(r.error().message.find("maximum context length"), std::string::npos) << r.error().message;
  EXPECT_EQ(server_.request_count(), 1u);
}

TEST_F(OpenAiModelTest, ExhaustedQuotaIsNotRetried) {
  server_.Enqueue(ScriptedReply::Error(429, "You exceeded your current quota.", "insufficient_quota",
                                       "insufficient_quota"));
  OpenAiModel model(io_, Options());
  auto r = Complete(model, UserRequest("hi"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(r.error().message.find("quota"), std::string::npos);
  EXPECT_EQ(server_.request_count(), 1u);
}

TEST_F(OpenAiModelTest, FinishReasonsAreMapped) {
  server_.Enqueue(ScriptedReply::Text("cut", "gpt-4o-mini", "length"));
  server_.Enqueue(ScriptedReply::Text("", "gpt-4o-mini", "content_filter"));
  OpenAiModel model(io_, Options());
  auto a = Complete(model, UserRequest("hi"));
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->finish_reason, "length");
  auto b = Complete(model, UserRequest("hi"));
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->finish_reason, "content-filter");
}

TEST_F(OpenAiModelTest, UnreadableSuccessBodyIsInternal) {
  ScriptedReply garbage;
  garbage.body = "<html>proxy error</html>";
  server_.Enqueue(garbage);
  OpenAiModel model(io_, Options());
  auto r = Complete(model, UserRequest("hi"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kInternal);
}

TEST_F(OpenAiModelTest, ConcurrentCallsFromSeveralThreads) {
  constexpr int kCalls = 24;
  asio::io_context pool_io;
  OpenAiOptions o = Options();
  OpenAiModel model(pool_io, o);
  std::vector<std::optional<Result<ModelResponse>>> results(kCalls);
  std::vector<ModelRequest> requests;
  for (int i = 0; i < kCalls; ++i) requests.push_back(UserRequest(Numbered(i)));
  for (int i = 0; i < kCalls; ++i) {
    asio::co_spawn(
        pool_io,
        [&, i]() -> asio::awaitable<void> { results[i].emplace(co_await model.Complete(requests[i])); },
        asio::detached);
  }
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) threads.emplace_back([&] { pool_io.run(); });
  for (auto& t : threads) t.join();
  for (int i = 0; i < kCalls; ++i) {
    ASSERT_TRUE(results[i].has_value());
    ASSERT_TRUE(results[i]->ok()) << results[i]->error().message;
    EXPECT_EQ((*results[i])->text, "You said: " + Numbered(i));
  }
  EXPECT_EQ(server_.request_count(), static_cast<size_t>(kCalls));
  EXPECT_LE(server_.connection_count(), static_cast<size_t>(kCalls));
}

// ---- streaming ----

struct DeltaLog {
  std::vector<std::string> deltas;
  std::vector<size_t> completed_streams;  // the fake's finished streams when each delta arrived
  int stop_after = -1;                    // > 0: answer false on that delta (client gone)
};

asio::awaitable<bool> RecordDelta(DeltaLog& log, const FakeOpenAiServer& server, std::string text) {
  log.deltas.push_back(std::move(text));
  log.completed_streams.push_back(server.streams_completed());
  co_return log.stop_after <= 0 || static_cast<int>(log.deltas.size()) < log.stop_after;
}

class OpenAiStreamingTest : public OpenAiModelTest {
 protected:
  Result<ModelResponse> Stream(OpenAiModel& model, const ModelRequest& request, DeltaLog& log) {
    const TextDeltaHandler handler = [&log, this](std::string_view text) {
      return RecordDelta(log, server_, std::string(text));
    };
    return RunSync(io_, model.CompleteStreaming(request, handler));
  }
};

TEST_F(OpenAiStreamingTest, TextDeltasArriveBeforeTheAnswerEnds) {
  const std::vector<std::string> pieces = {"Hello ", "from ", "the ", "stream."};
  server_.Enqueue(ScriptedReply::StreamText(pieces, /*chunk_delay_ms=*/100));
  OpenAiModel model(io_, Options());
  DeltaLog log;
  const auto started = std::chrono::steady_clock::now();
  auto r = Stream(model, UserRequest("hi"), log);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(log.deltas, pieces);
  ASSERT_EQ(log.completed_streams.size(), pieces.size());
  EXPECT_EQ(log.completed_streams.front(), 0u) << "the first delta came while the fake was still sending";
  EXPECT_GE(std::chrono::steady_clock::now() - started, std::chrono::milliseconds(300));
  EXPECT_EQ(r->text, "Hello from the stream.");
  EXPECT_EQ(r->finish_reason, "stop");
  EXPECT_TRUE(r->tool_calls.empty());
  EXPECT_EQ(r->usage.input_tokens, 12);
  EXPECT_EQ(r->usage.output_tokens, 7);
  EXPECT_EQ(r->model_id, "gpt-4o-mini");
  EXPECT_EQ(r->id.rfind("chatcmpl-", 0), 0u);
  ASSERT_EQ(server_.request_count(), 1u);
  const json body = server_.requests()[0].json;
  EXPECT_EQ(body["stream"], true);
  EXPECT_EQ(body["stream_options"], (json{{"include_usage", true}}));
  // The fake counts a stream as completed after its last write, which may land just after the
  // client has read [DONE]: wait for it (bounded).
  for (int i = 0; i < 200 && server_.streams_completed() == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(server_.streams_completed(), 1u);
}

TEST_F(OpenAiStreamingTest, ToolCallsAreAssembledFromArgumentFragments) {
  server_.Enqueue(ScriptedReply::StreamToolCalls(
      {{"call_a", "getCustomerTool", R"({"customerId":"CUST-001","note":"héllo"})"},
       {"call_b", "manageInvoicesTool", R"({"action":"list"})"},
       {"call_c", "getCustomerTool", R"({"customerId": )"}},
      {"Looking ", "that up. "}, /*fragment_bytes=*/3));
  OpenAiModel model(io_, Options());
  ModelRequest request = UserRequest("look up CUST-001");
  request.tools.push_back(CustomerTool());
  DeltaLog log;
  auto r = Stream(model, request, log);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(log.deltas, (std::vector<std::string>{"Looking ", "that up. "}));
  EXPECT_EQ(r->text, "Looking that up. ");
  EXPECT_EQ(r->finish_reason, "tool-calls");
  ASSERT_EQ(r->tool_calls.size(), 3u);
  EXPECT_EQ(r->tool_calls[0].id, "call_a");
  EXPECT_EQ(r->tool_calls[0].name, "getCustomerTool");
  EXPECT_EQ(r->tool_calls[0].args, (json{{"customerId", "CUST-001"}, {"note", "héllo"}}));
  EXPECT_EQ(r->tool_calls[1].id, "call_b");
  EXPECT_EQ(r->tool_calls[1].args, (json{{"action", "list"}}));
  EXPECT_TRUE(r->tool_calls[2].args.is_null());
  EXPECT_EQ(r->tool_calls[2].raw_args, R"({"customerId": )");
}

TEST_F(OpenAiStreamingTest, ConsumerGoneStopsReading) {
  server_.Enqueue(ScriptedReply::StreamText({"a ", "b ", "c ", "d ", "e ", "f "}, /*chunk_delay_ms=*/100));
  OpenAiModel model(io_, Options());
  DeltaLog log;
  log.stop_after = 2;
  const auto started = std::chrono::steady_clock::now();
  auto r = Stream(model, UserRequest("hi"), log);
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::milliseconds(450));
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(log.deltas.size(), 2u);
  // The connection was dropped: the fake's next writes fail.
  for (int i = 0; i < 300 && server_.streams_aborted() == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(server_.streams_aborted(), 1u);
  EXPECT_EQ(server_.streams_completed(), 0u);
}

TEST_F(OpenAiStreamingTest, ServerThatIgnoresStreamIsAccepted) {
  ScriptedReply whole = ScriptedReply::Text("All at once.");
  whole.send_as_is = true;
  server_.Enqueue(whole);
  OpenAiModel model(io_, Options());
  DeltaLog log;
  auto r = Stream(model, UserRequest("hi"), log);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(log.deltas, (std::vector<std::string>{"All at once."}));
  EXPECT_EQ(r->text, "All at once.");
}

TEST_F(OpenAiStreamingTest, ErrorsBeforeTheStreamAreRetriedOrReported) {
  server_.Enqueue(ScriptedReply::Error(500, "The server had an error", "server_error"));
  server_.Enqueue(ScriptedReply::StreamText({"ok"}));
  OpenAiModel model(io_, Options());
  DeltaLog log;
  auto r = Stream(model, UserRequest("hi"), log);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->text, "ok");
  EXPECT_EQ(server_.request_count(), 2u);

  OpenAiOptions bad = Options();
  bad.api_key = "sk-wrong-key-123456";
  OpenAiModel rejected(io_, bad);
  DeltaLog none;
  auto e = Stream(rejected, UserRequest("hi"), none);
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.error().code, ErrorCode::kUnauthenticated);
  EXPECT_EQ(e.error().message.find("wrong-key"), std::string::npos) << e.error().message;
  EXPECT_TRUE(none.deltas.empty());
}

TEST_F(OpenAiStreamingTest, ProviderErrorAfterTextIsNotRetried) {
  ScriptedReply reply = ScriptedReply::StreamText({"Partial ", "answer"});
  reply.stream_events.resize(2);  // role, "Partial "
  reply.stream_events.push_back(R"({"error":{"message":"overloaded","type":"server_error"}})");
  server_.Enqueue(reply);
  OpenAiModel model(io_, Options());
  DeltaLog log;
  auto r = Stream(model, UserRequest("hi"), log);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(r.error().message.find("overloaded"), std::string::npos) << r.error().message;
  EXPECT_EQ(log.deltas, (std::vector<std::string>{"Partial "}));
  EXPECT_EQ(server_.request_count(), 1u);
}

TEST(ChatCompletionStreamAccumulatorTest, AnySplitCrLfCommentsAndDone) {
  const std::string body =
      ": keep-alive\r\n\r\n"
      "data: {\"id\":\"c1\",\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"}}]}\r\n\r\n"
      "data: {\"id\":\"c1\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hi \\u00e9\"}}]}\r\n\r\n"
      "event: ignored\n"
      "data: {\"id\":\"c1\",\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"id\":\"call_1\",\"function\":{\"name\":\"t\",\"arguments\":\"{\\\"a\\\"\"}}]}}]}\n\n"
      "data: {\"id\":\"c1\",\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":\":1}\"}}]},\"finish_reason\":\"tool_calls\"}]}\n\n"
      "data: {\"id\":\"c1\",\"choices\":[],\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":4}}\n\n"
      "data: [DONE]\n\n";
  for (size_t step : {size_t{1}, size_t{2}, size_t{7}, body.size()}) {
    ChatCompletionStreamAccumulator acc("default-model");
    std::vector<std::string> deltas;
    for (size_t at = 0; at < body.size(); at += step) {
      ASSERT_TRUE(acc.Feed(std::string_view(body).substr(at, step), &deltas).ok()) << step;
    }
    EXPECT_TRUE(acc.done());
    auto r = acc.Finish();
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(deltas, (std::vector<std::string>{"Hi \xc3\xa9"})) << step;
    EXPECT_EQ(r->text, "Hi \xc3\xa9");
    EXPECT_EQ(r->id, "c1");
    EXPECT_EQ(r->model_id, "m");
    ASSERT_EQ(r->tool_calls.size(), 1u);
    EXPECT_EQ(r->tool_calls[0].args, (json{{"a", 1}}));
    EXPECT_EQ(r->finish_reason, "tool-calls");
    EXPECT_EQ(r->usage.input_tokens, 3);
    EXPECT_EQ(r->usage.output_tokens, 4);
  }
}

TEST(ChatCompletionStreamAccumulatorTest, BadInputIsAnErrorNotACrash) {
  {
    ChatCompletionStreamAccumulator acc("m");
    std::vector<std::string> deltas;
    EXPECT_FALSE(acc.Feed("data: {not json\n\n", &deltas).ok());
  }
  {
    ChatCompletionStreamAccumulator acc("m", /*max_line_bytes=*/64);
    std::vector<std::string> deltas;
    EXPECT_FALSE(acc.Feed("data: " + std::string(100, 'x'), &deltas).ok());
  }
  {
    ChatCompletionStreamAccumulator acc("m");
    std::vector<std::string> deltas;
    Status s = acc.Feed("data: {\"choices\":[{\"delta\":{\"tool_calls\":[{\"index\":100000}]}}]}\n\n", &deltas);
    EXPECT_FALSE(s.ok());
  }
  {
    // No trailing blank line and no [DONE]: the last event still counts.
    ChatCompletionStreamAccumulator acc("m");
    std::vector<std::string> deltas;
    ASSERT_TRUE(acc.Feed("data: {\"choices\":[{\"delta\":{\"content\":\"x\"},\"finish_reason\":\"stop\"}]}", &deltas).ok());
    EXPECT_TRUE(deltas.empty());
    auto r = acc.Finish(&deltas);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(deltas, (std::vector<std::string>{"x"}));
    EXPECT_TRUE(acc.finished());
    EXPECT_FALSE(acc.done());
  }
}

TEST(OpenAiRequestBodyTest, ToolChoiceAndModelSettingsMapping) {
  asio::io_context io;
  OpenAiOptions o;
  o.base_url = "http://localhost:11434/v1";
  o.model = "llama3.1";
  OpenAiModel model(io, o);
  ModelRequest r;
  r.messages.push_back(Message("user", "hi"));
  r.tools.push_back({"getCustomerTool", "", json()});
  r.tool_choice = json{{"type", "tool"}, {"toolName", "getCustomerTool"}};
  r.model_settings = json{{"temperature", 0.2}, {"maxTokens", 256}, {"topP", 0.9}};
  auto body = model.BuildRequestBody(r);
  ASSERT_TRUE(body.ok()) << body.error().message;
  EXPECT_FALSE(body->contains("messages") && (*body)["messages"][0]["role"] == "system");  // no instructions
  EXPECT_EQ((*body)["tool_choice"], (json{{"type", "function"}, {"function", {{"name", "getCustomerTool"}}}}));
  EXPECT_EQ((*body)["temperature"], 0.2);
  EXPECT_EQ((*body)["top_p"], 0.9);
  EXPECT_EQ((*body)["max_tokens"], 256);
  EXPECT_FALSE(body->contains("max_completion_tokens"));
  EXPECT_EQ((*body)["tools"][0]["function"]["parameters"], (json{{"type", "object"}, {"properties", json::object()}}));
  EXPECT_FALSE((*body)["tools"][0]["function"].contains("description"));

  for (const char* s : {"auto", "none", "required"}) {
    r.tool_choice = s;
    EXPECT_EQ((*model.BuildRequestBody(r))["tool_choice"], s);
  }
  r.tool_choice = "sometimes";
  auto bad = model.BuildRequestBody(r);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, ErrorCode::kInvalidArgument);

  r.tools = ToolSpecList();  // OpenAI rejects tool_choice without tools
  r.tool_choice = "required";
  EXPECT_FALSE(model.BuildRequestBody(r)->contains("tool_choice"));

  OpenAiOptions real;
  OpenAiModel openai(io, real);
  EXPECT_EQ(openai.endpoint_url(), "https://api.openai.com/v1/chat/completions");
  EXPECT_EQ((*openai.BuildRequestBody(r))["max_completion_tokens"], 256);
}

TEST(ParsedUrlTest, SplitsUrls) {
  auto u = ParsedUrl::Parse("https://api.openai.com/v1/chat/completions");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->host, "api.openai.com");
  EXPECT_EQ(u->port, "443");
  EXPECT_EQ(u->target, "/v1/chat/completions");
  auto v = ParsedUrl::Parse("http://[::1]:8080?x=1");
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->host, "::1");
  EXPECT_EQ(v->port, "8080");
  EXPECT_EQ(v->target, "/?x=1");
  EXPECT_FALSE(ParsedUrl::Parse("ftp://x/").ok());
  EXPECT_FALSE(ParsedUrl::Parse("http://user:pw@x/").ok());
  EXPECT_FALSE(ParsedUrl::Parse("http://x:99999/").ok());
  EXPECT_FALSE(ParsedUrl::Parse("localhost:8080").ok());
}

}  // namespace
}  // namespace billing

namespace billing {
namespace {

// The cached system prompt and tools array follow the request: a changed prompt or tool list is
// serialized anew, the same ones give the same bytes; streaming adds its two fields.
TEST(OpenAiRequestBodyTest, CachedPartsFollowTheRequest) {
  boost::asio::io_context io;
  OpenAiOptions o;
  o.model = "gpt-4o-mini";
  OpenAiModel model(io, o);
  ModelRequest r;
  r.instructions = "You are a billing agent.";
  r.messages.push_back(ChatMessage{"user", "hi", {}, {}, {}, {}});
  r.tools.push_back({"getCustomerTool", "Get a customer", json{{"type", "object"}}});
  auto first = model.SerializeRequestBody(r, false);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(*model.SerializeRequestBody(r, false), *first);
  json parsed = json::parse(*first);
  EXPECT_EQ(parsed["messages"][0], (json{{"role", "system"}, {"content", "You are a billing agent."}}));
  EXPECT_EQ(parsed["tools"].size(), 1u);
  EXPECT_FALSE(parsed.contains("stream"));

  r.instructions = "Other instructions";
  r.tools.push_back({"processPaymentTool", "Pay", json{{"type", "object"}}});
  json changed = json::parse(*model.SerializeRequestBody(r, true));
  EXPECT_EQ(changed["messages"][0]["content"], "Other instructions");
  EXPECT_EQ(changed["tools"].size(), 2u);
  EXPECT_EQ(changed["stream"], true);
  EXPECT_EQ(changed["stream_options"], (json{{"include_usage", true}}));
  r.instructions.clear();
  EXPECT_EQ(json::parse(*model.SerializeRequestBody(r, false))["messages"][0]["role"], "user");
}

}  // namespace
}  // namespace billing
