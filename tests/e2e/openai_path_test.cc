// The OpenAI path end to end: the real binary with OPENAI_API_KEY set, pointed at a fake OpenAI
// Chat Completions server that the test starts and scripts.
#include <gtest/gtest.h>

#include "e2e/server_harness.h"
#include "fake_openai/fake_openai_server.h"

namespace billing::e2e {
namespace {

using fake_openai::FakeOpenAiServer;
using fake_openai::ScriptedReply;
using nlohmann::json;

class OpenAiPath : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string error;
    ASSERT_TRUE(fake_.Start(&error)) << error;
  }
  std::map<std::string, std::string> Env(const std::string& key) {
    return {{"OPENAI_API_KEY", key}, {"OPENAI_BASE_URL", fake_.base_url()},
            {"BILLING_MODEL", "openai/gpt-4o-mini"}, {"BILLING_MODEL_TIMEOUT_MS", "5000"}};
  }
  // Chat requests the fake received (skips anything else).
  std::vector<json> ChatRequests() {
    std::vector<json> out;
    for (const auto& r : fake_.requests()) {
      if (r.target.find("chat/completions") != std::string::npos) out.push_back(r.json);
    }
    return out;
  }
  FakeOpenAiServer fake_;
};

TEST_F(OpenAiPath, TwoStepToolCallWithNullOptionalArguments) {
  ServerProcess server(Env("test-key"));
  ASSERT_TRUE(server.started()) << server.Log();
  EXPECT_NE(server.Log().find("model: openai/gpt-4o-mini"), std::string::npos) << server.Log();
  fake_.Enqueue(ScriptedReply::ToolCalls(
      {{"call_1", "getCustomerTool",
        R"({"customerId":"CUST-001","status":null,"billingCycle":null,"paymentMethod":null,"hasOutstandingBalance":null})"}}));
  fake_.Enqueue(ScriptedReply::Text("TechCorp Inc. owes $2,450.00."));
  HttpResult res = server.Ask("Show me billing details for customer CUST-001");
  ASSERT_EQ(res.status, 200) << res.body;
  json r = res.Json();
  EXPECT_EQ(r["text"], "TechCorp Inc. owes $2,450.00.");
  EXPECT_EQ(r["finishReason"], "stop");
  EXPECT_EQ(r["steps"].size(), 2u);
  EXPECT_EQ(r["toolResults"][0]["result"]["customer"]["outstandingBalance"], "$2,450.00");
  auto chats = ChatRequests();
  ASSERT_EQ(chats.size(), 2u);
  // First request: system instructions, the user's message, the six tools.
  EXPECT_EQ(chats[0]["model"], "gpt-4o-mini");
  EXPECT_EQ(chats[0]["messages"][0]["role"], "system");
  EXPECT_EQ(chats[0]["tools"].size(), 6u);
  // Second request: the assistant's tool call and the tool result.
  const json& msgs = chats[1]["messages"];
  const json& call_msg = msgs[msgs.size() - 2];
  const json& tool_msg = msgs[msgs.size() - 1];
  EXPECT_EQ(call_msg["role"], "assistant");
  EXPECT_EQ(call_msg["tool_calls"][0]["id"], "call_1");
  EXPECT_EQ(tool_msg["role"], "tool");
  EXPECT_EQ(tool_msg["tool_call_id"], "call_1");
  EXPECT_NE(tool_msg["content"].get<std::string>().find("$2,450.00"), std::string::npos);
}

TEST_F(OpenAiPath, ToolErrorsGoBackToTheModelAndTheLoopGoesOn) {
  ServerProcess server(Env("test-key"));
  ASSERT_TRUE(server.started()) << server.Log();
  // A bad amount, an unknown tool and malformed arguments, then a good call, then text.
  fake_.Enqueue(ScriptedReply::ToolCalls(
      {{"call_a", "processPaymentTool", R"({"action":"process","customerId":"CUST-003","amount":-5})"},
       {"call_b", "deleteEverythingTool", R"({})"},
       {"call_c", "processPaymentTool", R"({"action": "process", "amount": )"}}));
  fake_.Enqueue(ScriptedReply::ToolCalls(
      {{"call_d", "processPaymentTool",
        R"({"action":"process","customerId":"CUST-003","amount":"750.00","paymentMethod":"credit_card","invoiceId":null,"paymentId":null,"reason":null})"}}));
  fake_.Enqueue(ScriptedReply::Text("Payment processed."));
  HttpResult res = server.Ask("Process a $750 credit card payment for customer CUST-003");
  ASSERT_EQ(res.status, 200) << res.body;
  json r = res.Json();
  EXPECT_EQ(r["text"], "Payment processed.");
  ASSERT_EQ(r["toolResults"].size(), 4u);
  EXPECT_EQ(r["toolResults"][0]["result"]["error"], true);
  EXPECT_EQ(r["toolResults"][0]["result"]["field"], "amount");
  EXPECT_EQ(r["toolResults"][1]["result"]["error"], true);
  EXPECT_NE(r["toolResults"][1]["result"]["message"].get<std::string>().find("does not exist"), std::string::npos);
  EXPECT_EQ(r["toolResults"][2]["result"]["error"], true);
  EXPECT_EQ(r["toolResults"][3]["result"]["success"], true);
  EXPECT_EQ(r["toolResults"][3]["result"]["newBalance"], "$125.50");
  auto chats = ChatRequests();
  ASSERT_EQ(chats.size(), 3u);
  // The second request carries the three error results back to the model.
  std::string second = chats[1]["messages"].dump();
  EXPECT_NE(second.find("must not be negative"), std::string::npos) << second;
  EXPECT_NE(second.find("deleteEverythingTool"), std::string::npos);
  // Exactly one payment was made.
  HttpResult history = server.PostJson("/api/tools/process-payment/execute",
                                       {{"data", {{"action", "history"}, {"customerId", "CUST-003"}}}});
  EXPECT_EQ(history.Json()["count"], 2);
}

TEST_F(OpenAiPath, RejectedKeyIsAClearError) {
  ServerProcess server(Env("wrong-key"));
  ASSERT_TRUE(server.started()) << server.Log();
  HttpResult res = server.Ask("Show me billing details for customer CUST-001");
  EXPECT_EQ(res.status, 502) << res.body;
  const std::string error = res.Json().value("error", "");
  EXPECT_NE(error.find("401"), std::string::npos) << error;
  EXPECT_NE(error.find("API key"), std::string::npos) << error;
  EXPECT_EQ(error.find("wrong-key"), std::string::npos) << "the key must never be echoed";
  EXPECT_EQ(server.Get("/health").status, 200);
}

TEST_F(OpenAiPath, RetriesServerErrorsAndRateLimits) {
  ServerProcess server(Env("test-key"));
  ASSERT_TRUE(server.started()) << server.Log();
  fake_.Enqueue(ScriptedReply::Error(500, "The server had an error", "server_error"));
  ScriptedReply limited = ScriptedReply::Error(429, "Rate limit reached", "rate_limit_error", "rate_limit_exceeded");
  limited.headers.push_back({"retry-after", "0"});
  fake_.Enqueue(limited);
  fake_.Enqueue(ScriptedReply::Text("Hello from the model."));
  HttpResult res = server.Ask("Hello");
  ASSERT_EQ(res.status, 200) << res.body;
  EXPECT_EQ(res.Json()["text"], "Hello from the model.");
  EXPECT_EQ(ChatRequests().size(), 3u);
}

TEST_F(OpenAiPath, ClientToolCallEndsTheRunForTheCaller) {
  ServerProcess server(Env("test-key"));
  ASSERT_TRUE(server.started()) << server.Log();
  fake_.Enqueue(ScriptedReply::ToolCalls({{"call_c1", "confetti", R"({"reason":"invoice paid"})"}}));
  json schema = {{"type", "object"}, {"properties", {{"reason", {{"type", "string"}}}}}};
  json confetti = {{"id", "confetti"}, {"description", "Show confetti"}, {"inputSchema", schema}};
  json body = {{"messages", "Celebrate!"}, {"clientTools", {{"confetti", confetti}}}};
  HttpResult res = server.PostJson("/api/agents/billingApiAgent/generate", body);
  ASSERT_EQ(res.status, 200) << res.body;
  json r = res.Json();
  EXPECT_EQ(r["finishReason"], "tool-calls");
  EXPECT_EQ(r["text"], "");
  EXPECT_EQ(r["toolCalls"][0]["payload"]["toolName"], "confetti");
  EXPECT_EQ(r["toolCalls"][0]["payload"]["args"]["reason"], "invoice paid");
  EXPECT_TRUE(r["toolResults"].empty());
  // The model was offered the client tool next to the billing tools.
  auto chats = ChatRequests();
  ASSERT_EQ(chats.size(), 1u);
  EXPECT_EQ(chats[0]["tools"].size(), 7u);  // six billing tools and the client tool
}

}  // namespace
}  // namespace billing::e2e
