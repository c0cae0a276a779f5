// The streaming routes end to end, on the real binary: POST /stream (Mastra vNext chunks),
// /stream-legacy (AI-SDK v4 data stream) and /generate-legacy (v4 JSON) with the local planner,
// and the OpenAI path against the in-process fake, read incrementally over a raw socket to see
// that text is relayed as it is produced, that model failures become error chunks inside the 200,
// and that a client that goes away stops the run.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "e2e/server_harness.h"
#include "e2e/sse.h"
#include "fake_openai/fake_openai_server.h"

namespace billing::e2e {
namespace {

using fake_openai::FakeOpenAiServer;
using fake_openai::ScriptedReply;
using nlohmann::json;
using SteadyClock = std::chrono::steady_clock;

constexpr const char* kAgentPath = "/api/agents/billingApiAgent";
constexpr const char* kCustomerPrompt = "Show me billing details for customer CUST-001";

// A raw HTTP/1.1 client that reads a chunked response as it arrives, so that a test can act
// between chunks (check the fake's progress, hang up).
class RawStreamClient {
 public:
  explicit RawStreamClient(int port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    ::inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  }
  ~RawStreamClient() {
    if (fd_ >= 0) ::close(fd_);
  }

  bool Post(const std::string& target, const json& body) {
    const std::string text = body.dump();
    const std::string request = "POST " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" +
                                "Content-Type: application/json\r\nContent-Length: " +
                                std::to_string(text.size()) + "\r\nConnection: close\r\n\r\n" + text;
    return connected_ && ::send(fd_, request.data(), request.size(), MSG_NOSIGNAL) ==
                             static_cast<ssize_t>(request.size());
  }

  // Reads until the decoded body contains `needle` (true), the response ends or the timeout
  // passes (false).
  bool ReadUntil(const std::string& needle, int timeout_ms = 10000) {
    const auto deadline = SteadyClock::now() + std::chrono::milliseconds(timeout_ms);
    while (body_.find(needle) == std::string::npos) {
      if (ended_) return false;
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - SteadyClock::now());
      if (left.count() <= 0) return false;
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
      char buf[8192];
      const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) {
        ended_ = true;
        continue;
      }
      raw_.append(buf, static_cast<size_t>(n));
      Decode();
    }
    return true;
  }
  // Reads to the end of the response (the server closes: Connection: close).
  void ReadAll(int timeout_ms = 20000) { ReadUntil(std::string("\x01never\x01"), timeout_ms); }

  // Hangs up at once with a reset (SO_LINGER 0), as a crashed or impatient client would.
  void Reset() {
    linger l{1, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_LINGER, &l, sizeof l);
    ::close(fd_);
    fd_ = -1;
  }

  // Hangs up politely (FIN, no reset), as a browser tab being closed would.
  void CloseGracefully() {
    ::shutdown(fd_, SHUT_RDWR);
    ::close(fd_);
    fd_ = -1;
  }

  const std::string& head() const { return head_; }
  const std::string& body() const { return body_; }

 private:
  // Splits off the head, then decodes complete chunks of the chunked body.
  void Decode() {
    if (!head_done_) {
      const size_t end = raw_.find("\r\n\r\n");
      if (end == std::string::npos) return;
      head_ = raw_.substr(0, end);
      raw_.erase(0, end + 4);
      head_done_ = true;
    }
    while (true) {
      const size_t line_end = raw_.find("\r\n");
      if (line_end == std::string::npos) return;
      const size_t size = std::stoul(raw_.substr(0, line_end), nullptr, 16);
      if (size == 0) {
        ended_ = true;
        return;
      }
      if (raw_.size() < line_end + 2 + size + 2) return;
      body_ += raw_.substr(line_end + 2, size);
      raw_.erase(0, line_end + 2 + size + 2);
    }
  }

  int fd_ = -1;
  bool connected_ = false;
  bool head_done_ = false;
  bool ended_ = false;
  std::string raw_;
  std::string head_;
  std::string body_;
};

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// ---- local planner ----

TEST(StreamLocal, ChunkSequenceMatchesMastra) {
  ServerProcess server;
  ASSERT_TRUE(server.started()) << server.Log();
  HttpResult res = server.PostJson(std::string(kAgentPath) + "/stream",
                                   {{"messages", {{{"role", "user"}, {"content", kCustomerPrompt}}}}});
  ASSERT_EQ(res.status, 200) << res.body;
  EXPECT_EQ(res.headers["content-type"], "text/event-stream");
  EXPECT_EQ(res.headers["cache-control"], "no-cache");
  EXPECT_EQ(res.headers["x-accel-buffering"], "no");
  EXPECT_EQ(res.headers["transfer-encoding"], "chunked");

  SseItems items = ParseSse(res.body);
  EXPECT_TRUE(items.done && items.done_last) << res.body;
  const std::vector<std::string> types = Types(items.chunks);
  std::vector<std::string> expected = {"start",
                                       "step-start",
                                       "tool-call-input-streaming-start",
                                       "tool-call-delta",
                                       "tool-call-input-streaming-end",
                                       "tool-call",
                                       "tool-result",
                                       "step-finish",
                                       "step-start",
                                       "text-start"};
  ASSERT_GT(types.size(), expected.size() + 3) << res.body;
  EXPECT_EQ(std::vector<std::string>(types.begin(), types.begin() + long(expected.size())), expected);
  size_t i = expected.size();
  size_t deltas = 0;
  while (i < types.size() && types[i] == "text-delta") ++i, ++deltas;
  EXPECT_GT(deltas, 1u) << "the local planner's answer comes as a few deltas";
  EXPECT_EQ(std::vector<std::string>(types.begin() + long(i), types.end()),
            (std::vector<std::string>{"text-end", "step-finish", "finish"}));

  const std::string run_id = items.chunks[0]["runId"];
  EXPECT_FALSE(run_id.empty());
  for (const json& c : items.chunks) {
    EXPECT_EQ(c["runId"], run_id);
    EXPECT_EQ(c["from"], "AGENT");
    EXPECT_TRUE(c["payload"].is_object()) << c.dump();
  }
  EXPECT_EQ(items.chunks[0]["payload"]["id"], "billingApiAgent");
  const std::string message_id = items.chunks[0]["payload"]["messageId"];
  EXPECT_EQ(items.chunks[1]["payload"]["messageId"], message_id);

  const json* call = FindChunk(items.chunks, "tool-call");
  ASSERT_NE(call, nullptr);
  EXPECT_EQ((*call)["payload"]["toolName"], "getCustomerTool");
  EXPECT_EQ((*call)["payload"]["args"]["customerId"], "CUST-001");
  const json* delta = FindChunk(items.chunks, "tool-call-delta");
  ASSERT_NE(delta, nullptr);
  EXPECT_EQ(json::parse((*delta)["payload"]["argsTextDelta"].get<std::string>()), (*call)["payload"]["args"]);
  const json* result = FindChunk(items.chunks, "tool-result");
  ASSERT_NE(result, nullptr);
  EXPECT_EQ((*result)["payload"]["toolCallId"], (*call)["payload"]["toolCallId"]);
  EXPECT_EQ((*result)["payload"]["result"]["customer"]["outstandingBalance"], "$2,450.00");

  const json* first_finish = FindChunk(items.chunks, "step-finish");
  ASSERT_NE(first_finish, nullptr);
  EXPECT_EQ((*first_finish)["payload"]["stepResult"]["reason"], "tool-calls");
  EXPECT_EQ((*first_finish)["payload"]["stepResult"]["isContinued"], true);
  EXPECT_EQ((*first_finish)["payload"]["output"]["toolCalls"][0]["toolName"], "getCustomerTool");

  const json& finish = items.chunks.back();
  EXPECT_EQ(finish["payload"]["stepResult"]["reason"], "stop");
  EXPECT_EQ(finish["payload"]["stepResult"]["isContinued"], false);
  EXPECT_GT(finish["payload"]["usage"]["totalTokens"].get<int64_t>(), 0);
  EXPECT_EQ(finish["payload"]["usage"], finish["payload"]["output"]["usage"]);
  EXPECT_EQ(finish["payload"]["messageId"], message_id);

  // The streamed text is exactly what /generate answers.
  HttpResult generated = server.Ask(kCustomerPrompt);
  ASSERT_EQ(generated.status, 200);
  const std::string text = generated.Json()["text"];
  EXPECT_EQ(StreamedText(items.chunks), text);
  EXPECT_EQ(finish["payload"]["output"]["text"], text);
  EXPECT_EQ(finish["payload"]["usage"]["totalTokens"], generated.Json()["usage"]["totalTokens"]);
}

TEST(StreamLocal, AliasesRunIdAndErrorsBeforeTheStream) {
  ServerProcess server;
  ASSERT_TRUE(server.started()) << server.Log();
  for (const std::string action : {"/stream/vnext", "/streamVNext"}) {
    HttpResult res = server.PostJson(std::string(kAgentPath) + action, {{"messages", "hello"}, {"runId", "run-42"}});
    ASSERT_EQ(res.status, 200) << action << res.body;
    EXPECT_EQ(res.headers["content-type"], "text/event-stream");
    SseItems items = ParseSse(res.body);
    EXPECT_TRUE(items.done);
    ASSERT_FALSE(items.chunks.empty());
    EXPECT_EQ(items.chunks[0]["runId"], "run-42");
    EXPECT_EQ(items.chunks.back()["type"], "finish");
  }
  // Errors found before streaming starts are ordinary JSON answers.
  HttpResult unknown = server.PostJson("/api/agents/nope/stream", {{"messages", "hi"}});
  EXPECT_EQ(unknown.status, 404);
  EXPECT_EQ(unknown.Json()["error"], "Agent with name nope not found");
  HttpResult missing = server.PostJson(std::string(kAgentPath) + "/stream", json::object());
  EXPECT_EQ(missing.status, 400);
  EXPECT_EQ(missing.Json()["error"], "Argument \"messages\" is required");
  HttpResult bad = server.Request("POST", std::string(kAgentPath) + "/stream-legacy", "{nope",
                                  {{"Content-Type", "application/json"}});
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(bad.headers["content-type"], "application/json");
  EXPECT_EQ(server.Get("/health").status, 200);
}

TEST(StreamLocal, LegacyDataStream) {
  ServerProcess server;
  ASSERT_TRUE(server.started()) << server.Log();
  HttpResult res = server.PostJson(std::string(kAgentPath) + "/stream-legacy",
                                   {{"messages", {{{"role", "user"}, {"content", kCustomerPrompt}}}},
                                    {"threadId", "thread-1"},
                                    {"resourceid", "user-1"},
                                    {"runtimeContext", {{"cometchatContext", {{"sender", {{"uid", "u1"}}}}}}}});
  ASSERT_EQ(res.status, 200) << res.body;
  EXPECT_EQ(res.headers["x-vercel-ai-data-stream"], "v1");
  EXPECT_EQ(Lower(res.headers["content-type"]), "text/plain; charset=utf-8");
  EXPECT_EQ(res.headers["transfer-encoding"], "chunked");

  std::vector<char> codes;
  std::vector<json> values;
  size_t start = 0;
  while (start < res.body.size()) {
    size_t end = res.body.find('\n', start);
    ASSERT_NE(end, std::string::npos) << "every line ends with a newline";
    const std::string line = res.body.substr(start, end - start);
    start = end + 1;
    ASSERT_GE(line.size(), 3u);
    ASSERT_EQ(line[1], ':') << line;
    codes.push_back(line[0]);
    values.push_back(json::parse(line.substr(2)));
  }
  ASSERT_GE(codes.size(), 8u) << res.body;
  EXPECT_EQ(std::string(codes.begin(), codes.begin() + 5), "f9aef");
  EXPECT_EQ(codes.back(), 'd');
  EXPECT_EQ(codes[codes.size() - 2], 'e');
  std::string text;
  for (size_t i = 5; i + 2 < codes.size(); ++i) {
    EXPECT_EQ(codes[i], '0') << res.body;
    text += values[i].get<std::string>();
  }
  EXPECT_TRUE(values[0]["messageId"].is_string());
  EXPECT_NE(values[0]["messageId"], values[4]["messageId"]);
  EXPECT_EQ(values[1]["toolName"], "getCustomerTool");
  EXPECT_EQ(values[1]["args"]["customerId"], "CUST-001");
  EXPECT_EQ(values[2]["toolCallId"], values[1]["toolCallId"]);
  EXPECT_EQ(values[2]["result"]["customer"]["id"], "CUST-001");
  EXPECT_EQ(values[3]["finishReason"], "tool-calls");
  EXPECT_EQ(values[3]["isContinued"], false);
  EXPECT_TRUE(values[3]["usage"]["promptTokens"].is_number());
  EXPECT_EQ(values.back()["finishReason"], "stop");
  EXPECT_GT(values.back()["usage"]["completionTokens"].get<int64_t>(), 0);
  EXPECT_EQ(text, server.Ask(kCustomerPrompt).Json()["text"]);
}

TEST(StreamLocal, LegacyGenerateIsAiSdkV4) {
  ServerProcess server;
  ASSERT_TRUE(server.started()) << server.Log();
  HttpResult res = server.PostJson(std::string(kAgentPath) + "/generate-legacy",
                                   {{"messages", kCustomerPrompt}, {"threadId", "t-1"}, {"resourceId", "u-1"},
                                    {"runtimeContext", json::object()}});
  ASSERT_EQ(res.status, 200) << res.body;
  json r = res.Json();
  for (const char* key : {"text", "files", "reasoningDetails", "toolCalls", "toolResults", "finishReason", "usage",
                          "request", "response", "steps", "sources"}) {
    EXPECT_TRUE(r.contains(key)) << key;
  }
  EXPECT_FALSE(r.contains("totalUsage")) << "v4 shape, not the vNext FullOutput";
  EXPECT_EQ(r["text"], server.Ask(kCustomerPrompt).Json()["text"]);
  EXPECT_EQ(r["finishReason"], "stop");
  EXPECT_EQ(r["usage"]["totalTokens"].get<int64_t>(),
            r["usage"]["promptTokens"].get<int64_t>() + r["usage"]["completionTokens"].get<int64_t>());
  // toolCalls/toolResults are the last step's (a text step here).
  EXPECT_EQ(r["toolCalls"], json::array());
  EXPECT_EQ(r["toolResults"], json::array());
  ASSERT_EQ(r["steps"].size(), 2u);
  const json& first = r["steps"][0];
  EXPECT_EQ(first["stepType"], "initial");
  EXPECT_EQ(first["finishReason"], "tool-calls");
  EXPECT_EQ(first["isContinued"], false);
  EXPECT_EQ(first["toolCalls"][0]["type"], "tool-call");
  EXPECT_EQ(first["toolCalls"][0]["toolName"], "getCustomerTool");
  EXPECT_EQ(first["toolCalls"][0]["args"]["customerId"], "CUST-001");
  EXPECT_EQ(first["toolResults"][0]["result"]["customer"]["id"], "CUST-001");
  EXPECT_EQ(r["steps"][1]["stepType"], "tool-result");
  EXPECT_EQ(r["steps"][1]["text"], r["text"]);
  const json& messages = r["response"]["messages"];
  ASSERT_EQ(messages.size(), 3u);
  EXPECT_EQ(messages[0]["role"], "assistant");
  EXPECT_EQ(messages[0]["content"][0]["type"], "tool-call");
  EXPECT_EQ(messages[1]["role"], "tool");
  EXPECT_EQ(messages[1]["content"][0]["type"], "tool-result");
  EXPECT_EQ(messages[2]["content"][0]["text"], r["text"]);
  EXPECT_TRUE(messages[0]["id"].is_string());

  // A client-tool call: the last step's toolCalls, flat.
  HttpResult client = server.PostJson(
      std::string(kAgentPath) + "/generate-legacy",
      {{"messages", "hello"}, {"maxSteps", 1}, {"runtimeContext", {{"a", 1}}}});
  EXPECT_EQ(client.status, 200) << client.body;
  HttpResult bad = server.PostJson(std::string(kAgentPath) + "/generate-legacy",
                                   {{"messages", "x"}, {"runtimeContext", "nope"}});
  EXPECT_EQ(bad.status, 400);
}

// ---- OpenAI path ----

class StreamOpenAi : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string error;
    ASSERT_TRUE(fake_.Start(&error)) << error;
  }
  std::map<std::string, std::string> Env(const std::string& key) {
    return {{"OPENAI_API_KEY", key}, {"OPENAI_BASE_URL", fake_.base_url()},
            {"BILLING_MODEL", "openai/gpt-4o-mini"}, {"BILLING_MODEL_TIMEOUT_MS", "5000"}};
  }
  size_t ChatRequests() {
    size_t n = 0;
    for (const auto& r : fake_.requests()) n += r.target.find("chat/completions") != std::string::npos;
    return n;
  }
  // Waits (bounded) until `done` holds.
  static bool WaitFor(const std::function<bool()>& done, int timeout_ms = 5000) {
    const auto deadline = SteadyClock::now() + std::chrono::milliseconds(timeout_ms);
    while (!done()) {
      if (SteadyClock::now() > deadline) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return true;
  }
  FakeOpenAiServer fake_;
};

TEST_F(StreamOpenAi, TextDeltasAreRelayedAsTheModelProducesThem) {
  ServerProcess server(Env("test-key"));
  ASSERT_TRUE(server.started()) << server.Log();
  const std::vector<std::string> pieces = {"TechCorp ", "owes ", "$2,450.00 ", "in ", "total."};
  fake_.Enqueue(ScriptedReply::StreamText(pieces, /*chunk_delay_ms=*/300));

  RawStreamClient client(server.port());
  ASSERT_TRUE(client.Post(std::string(kAgentPath) + "/stream", {{"messages", "How much does TechCorp owe?"}}));
  ASSERT_TRUE(client.ReadUntil("\"type\":\"text-delta\"")) << client.head() << client.body();
  EXPECT_EQ(fake_.streams_completed(), 0u) << "the first delta must arrive while the model is still answering";
  EXPECT_NE(client.head().find("200 OK"), std::string::npos) << client.head();
  client.ReadAll();
  EXPECT_TRUE(WaitFor([&] { return fake_.streams_completed() == 1u; }, 2000));

  SseItems items = ParseSse(client.body());
  EXPECT_TRUE(items.done);
  std::string joined;
  for (const auto& p : pieces) joined += p;
  EXPECT_EQ(StreamedText(items.chunks), joined);
  size_t deltas = 0;
  for (const auto& type : Types(items.chunks)) deltas += type == "text-delta";
  EXPECT_EQ(deltas, pieces.size()) << "one chunk per OpenAI delta, not buffered";
  const json& finish = items.chunks.back();
  EXPECT_EQ(finish["type"], "finish");
  EXPECT_EQ(finish["payload"]["usage"]["inputTokens"], 12);
  EXPECT_EQ(finish["payload"]["usage"]["outputTokens"], 7);
  // The model was asked to stream, with usage.
  ASSERT_EQ(fake_.requests().size(), 1u);
  const json sent = fake_.requests()[0].json;
  EXPECT_EQ(sent["stream"], true);
  EXPECT_EQ(sent["stream_options"]["include_usage"], true);
}

TEST_F(StreamOpenAi, StreamedToolCallsRunAndTheLoopGoesOn) {
  ServerProcess server(Env("test-key"));
  ASSERT_TRUE(server.started()) << server.Log();
  fake_.Enqueue(ScriptedReply::StreamToolCalls({{"call_7", "getCustomerTool", R"({"customerId":"CUST-001"})"}},
                                               {}, /*fragment_bytes=*/4));
  fake_.Enqueue(ScriptedReply::StreamText({"Balance: ", "$2,450.00."}));
  HttpResult res = server.PostJson(std::string(kAgentPath) + "/stream", {{"messages", kCustomerPrompt}});
  ASSERT_EQ(res.status, 200) << res.body;
  SseItems items = ParseSse(res.body);
  const json* call = FindChunk(items.chunks, "tool-call");
  ASSERT_NE(call, nullptr) << res.body;
  EXPECT_EQ((*call)["payload"]["toolCallId"], "call_7");
  EXPECT_EQ((*call)["payload"]["args"]["customerId"], "CUST-001");
  const json* result = FindChunk(items.chunks, "tool-result");
  ASSERT_NE(result, nullptr);
  EXPECT_EQ((*result)["payload"]["result"]["customer"]["outstandingBalance"], "$2,450.00");
  EXPECT_EQ(StreamedText(items.chunks), "Balance: $2,450.00.");
  EXPECT_EQ(items.chunks.back()["payload"]["stepResult"]["reason"], "stop");
  EXPECT_EQ(items.chunks.back()["payload"]["usage"]["inputTokens"], 24);
  EXPECT_EQ(ChatRequests(), 2u);
}

TEST_F(StreamOpenAi, RejectedKeyIsAnErrorChunkInsideThe200) {
  ServerProcess server(Env("wrong-key"));
  ASSERT_TRUE(server.started()) << server.Log();
  HttpResult res = server.PostJson(std::string(kAgentPath) + "/stream", {{"messages", kCustomerPrompt}});
  ASSERT_EQ(res.status, 200) << res.body;
  EXPECT_EQ(res.body.find("wrong-key"), std::string::npos) << "the key must never be echoed";
  SseItems items = ParseSse(res.body);
  EXPECT_TRUE(items.done && items.done_last);
  EXPECT_EQ(Types(items.chunks),
            (std::vector<std::string>{"start", "step-start", "error", "step-finish", "finish"}));
  const json& error = items.chunks[2]["payload"];
  EXPECT_EQ(error["type"], "error");
  EXPECT_EQ(error["error"]["name"], "Error");
  EXPECT_EQ(error["error"]["message"], "Model provider rejected the API key (401)");
  EXPECT_EQ(items.chunks[3]["payload"]["stepResult"]["reason"], "error");
  EXPECT_EQ(items.chunks[4]["payload"]["stepResult"]["reason"], "error");

  // The legacy data stream reports it as a 3: line.
  HttpResult legacy = server.PostJson(std::string(kAgentPath) + "/stream-legacy", {{"messages", kCustomerPrompt}});
  ASSERT_EQ(legacy.status, 200);
  EXPECT_NE(legacy.body.find("3:\"An error occurred while processing your request. Model provider rejected"),
            std::string::npos)
      << legacy.body;
  EXPECT_NE(legacy.body.find("d:{\"finishReason\":\"error\""), std::string::npos) << legacy.body;
  EXPECT_EQ(server.Get("/health").status, 200);
}

TEST_F(StreamOpenAi, ProviderErrorMidStreamFollowsTheTextAlreadySent) {
  ServerProcess server(Env("test-key"));
  ASSERT_TRUE(server.started()) << server.Log();
  ScriptedReply reply = ScriptedReply::StreamText({"Partial ", "answer "});
  // Keep the role and the two text events, then the provider fails.
  reply.stream_events.resize(3);
  reply.stream_events.push_back(R"({"error":{"message":"The server had an error while processing your request.","type":"server_error"}})");
  fake_.Enqueue(reply);
  HttpResult res = server.PostJson(std::string(kAgentPath) + "/stream", {{"messages", "hello"}});
  ASSERT_EQ(res.status, 200) << res.body;
  SseItems items = ParseSse(res.body);
  EXPECT_TRUE(items.done);
  EXPECT_EQ(Types(items.chunks), (std::vector<std::string>{"start", "step-start", "text-start", "text-delta",
                                                            "text-delta", "error", "text-end", "step-finish",
                                                            "finish"}));
  const json* error = FindChunk(items.chunks, "error");
  ASSERT_NE(error, nullptr);
  const std::string message = (*error)["payload"]["error"]["message"];
  EXPECT_EQ(message.rfind("Model provider unavailable: ", 0), 0u) << message;
  EXPECT_EQ(items.chunks.back()["payload"]["stepResult"]["reason"], "error");
  EXPECT_EQ(ChatRequests(), 1u) << "text was already sent: no retry";
}

TEST_F(StreamOpenAi, ClientThatHangsUpStopsTheRun) {
  ServerProcess server(Env("test-key"));
  ASSERT_TRUE(server.started()) << server.Log();
  const std::string history_path = "/api/tools/process-payment/execute";
  const json history_body = {{"data", {{"action", "history"}, {"customerId", "CUST-003"}}}};
  const json before = server.PostJson(history_path, history_body).Json()["count"];

  // Text first, then a payment call, slowly; then (never reached) the final answer.
  fake_.Enqueue(ScriptedReply::StreamToolCalls(
      {{"call_pay", "processPaymentTool",
        R"({"action":"process","customerId":"CUST-003","amount":"750.00","paymentMethod":"credit_card"})"}},
      {"Let ", "me ", "take ", "that ", "payment. "}, /*fragment_bytes=*/8, /*chunk_delay_ms=*/150));
  fake_.Enqueue(ScriptedReply::Text("Payment processed."));

  RawStreamClient client(server.port());
  ASSERT_TRUE(client.Post(std::string(kAgentPath) + "/stream",
                          {{"messages", "Process a $750 credit card payment for customer CUST-003"}}));
  ASSERT_TRUE(client.ReadUntil("\"type\":\"text-delta\"")) << client.body();
  client.Reset();

  // The server notices at its next write, stops reading the model's answer (the fake's writes then
  // fail) and runs nothing more.
  EXPECT_TRUE(WaitFor([&] { return fake_.streams_aborted() + fake_.streams_completed() >= 1; }, 10000));
  EXPECT_EQ(fake_.streams_aborted(), 1u) << "the model's answer was abandoned mid-way";
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  EXPECT_EQ(ChatRequests(), 1u) << "no second step";
  EXPECT_EQ(fake_.pending_replies(), 1u);
  EXPECT_EQ(server.PostJson(history_path, history_body).Json()["count"], before) << "no payment was made";
  EXPECT_EQ(server.Get("/health").status, 200);
  EXPECT_NE(server.Log().find("the client went away"), std::string::npos) << server.Log();
}

TEST_F(StreamOpenAi, ClientThatClosesGracefullyStopsTheRunBeforeTools) {
  ServerProcess server(Env("test-key"));
  ASSERT_TRUE(server.started()) << server.Log();
  const std::string history_path = "/api/tools/process-payment/execute";
  const json history_body = {{"data", {{"action", "history"}, {"customerId", "CUST-003"}}}};
  const json before = server.PostJson(history_path, history_body).Json()["count"];
  fake_.Enqueue(ScriptedReply::StreamToolCalls(
      {{"call_pay", "processPaymentTool",
        R"({"action":"process","customerId":"CUST-003","amount":"750.00","paymentMethod":"credit_card"})"}},
      {"Let ", "me ", "take ", "that ", "payment. "}, /*fragment_bytes=*/8, /*chunk_delay_ms=*/150));
  fake_.Enqueue(ScriptedReply::Text("Payment processed."));

  RawStreamClient client(server.port());
  ASSERT_TRUE(client.Post(std::string(kAgentPath) + "/stream",
                          {{"messages", "Process a $750 credit card payment for customer CUST-003"}}));
  ASSERT_TRUE(client.ReadUntil("\"type\":\"text-delta\"")) << client.body();
  client.CloseGracefully();

  EXPECT_TRUE(WaitFor([&] { return fake_.streams_aborted() + fake_.streams_completed() >= 1; }, 10000));
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  EXPECT_EQ(ChatRequests(), 1u) << "no second step";
  EXPECT_EQ(server.PostJson(history_path, history_body).Json()["count"], before) << "no payment was made";
  EXPECT_EQ(server.Get("/health").status, 200);
}

}  // namespace
}  // namespace billing::e2e
