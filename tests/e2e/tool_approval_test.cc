// Tool approval end to end (docs/http.md "Tool approval"), on the real binary with the local
// planner: a /stream run with requireToolApproval stops before each tool call with
// tool-call-approval; /approve-tool-call runs the call and goes on, /decline-tool-call tells the
// model it was not approved and changes nothing; a decision is taken once, only from the caller
// that started the run, with that caller's scopes; bad requests change nothing.
#include <string>

#include <gtest/gtest.h>

#include "e2e/server_harness.h"
#include "e2e/sse.h"

namespace billing::e2e {
namespace {

using nlohmann::json;

constexpr const char* kAgentPath = "/api/agents/billingApiAgent";
constexpr const char* kPaymentPrompt =
    "Process a payment of $100 for invoice INV-2025-001 by bank transfer";

using Headers = std::map<std::string, std::string>;

SseItems Post(ServerProcess& server, const std::string& action, const json& body,
              const Headers& headers = {}, int* status = nullptr) {
  HttpResult res = server.PostJson(std::string(kAgentPath) + "/" + action, body, headers);
  if (status != nullptr) *status = res.status;
  if (res.status != 200) return SseItems{};
  EXPECT_EQ(res.headers["content-type"], "text/event-stream") << res.body;
  return ParseSse(res.body);
}

// The tool call a stream stopped at: {"toolCallId","toolName","args"}; null when it did not stop.
json PendingCall(const SseItems& items) {
  const json* approval = FindChunk(items.chunks, "tool-call-approval");
  if (approval == nullptr) return nullptr;
  EXPECT_TRUE(items.done_last);
  EXPECT_EQ(items.chunks.back()["type"], "tool-call-approval") << "no finish after it, as Mastra";
  return (*approval)["payload"];
}

json Decision(const std::string& run_id, const json& call) {
  return {{"runId", run_id}, {"toolCallId", call["toolCallId"]}};
}

size_t PaymentCount(ServerProcess& server) {
  json history =
      Tool(server, "process-payment", {{"action", "history"}, {"customerId", "CUST-001"}});
  return history["payments"].size();
}

json StartPayment(ServerProcess& server, const std::string& run_id, const Headers& headers = {}) {
  json body = {{"messages", kPaymentPrompt}, {"runId", run_id}, {"requireToolApproval", true}};
  return PendingCall(Post(server, "stream", body, headers));
}

TEST(ToolApproval, ApprovedCallsRunOneByOneAndThePaymentIsMadeOnce) {
  ServerProcess server(Headers{{"BILLING_PAYMENT_MODE", "approve"}});
  ASSERT_TRUE(server.started()) << server.Log();
  const size_t payments_before = PaymentCount(server);
  json body = {{"messages", kPaymentPrompt},
               {"runId", "run-approve"},
               {"requireToolApproval", true},
               {"memory", {{"thread", "t-approve"}, {"resource", "user-1"}}}};
  SseItems first = Post(server, "stream", body);
  json lookup = PendingCall(first);
  ASSERT_TRUE(lookup.is_object()) << json(Types(first.chunks)).dump();
  EXPECT_EQ(lookup["toolName"], "manageInvoicesTool");
  EXPECT_EQ(FindChunk(first.chunks, "tool-result"), nullptr) << "nothing ran before the approval";
  // While the decision waits, the thread exists and holds the question.
  const std::string messages_path = "/api/memory/threads/t-approve/messages?agentId=billingApiAgent";
  json waiting = server.Get(messages_path).Json();
  ASSERT_EQ(waiting["messages"].size(), 1u) << waiting.dump();
  EXPECT_NE(waiting["messages"].dump().find("INV-2025-001"), std::string::npos);
  const std::string message_id = first.chunks[0]["payload"]["messageId"];

  SseItems second = Post(server, "approve-tool-call", Decision("run-approve", lookup));
  ASSERT_FALSE(second.chunks.empty());
  EXPECT_EQ(second.chunks[0]["type"], "tool-result") << "the approved call's result comes first";
  EXPECT_EQ(second.chunks[0]["payload"]["toolCallId"], lookup["toolCallId"]);
  EXPECT_EQ(second.chunks[0]["runId"], "run-approve");
  const json* resumed_finish = FindChunk(second.chunks, "step-finish");
  ASSERT_NE(resumed_finish, nullptr);
  EXPECT_EQ((*resumed_finish)["payload"]["messageId"], message_id) << "the same answer goes on";
  json pay = PendingCall(second);
  ASSERT_TRUE(pay.is_object()) << json(Types(second.chunks)).dump();
  EXPECT_EQ(pay["toolName"], "processPaymentTool");
  EXPECT_EQ(pay["args"]["action"], "process");
  EXPECT_EQ(PaymentCount(server), payments_before) << "no payment before its approval";

  SseItems third = Post(server, "approve-tool-call", Decision("run-approve", pay));
  const json* result = FindChunk(third.chunks, "tool-result");
  ASSERT_NE(result, nullptr);
  EXPECT_EQ(result->at("payload").at("result").at("payment").at("status"), "completed")
      << result->dump();
  ASSERT_TRUE(third.done_last);
  EXPECT_EQ(third.chunks.back()["type"], "finish");
  EXPECT_NE(StreamedText(third.chunks).find("$100.00"), std::string::npos)
      << StreamedText(third.chunks);
  EXPECT_EQ(PaymentCount(server), payments_before + 1);

  // A decision is taken once.
  int status = 0;
  Post(server, "approve-tool-call", Decision("run-approve", pay), {}, &status);
  EXPECT_EQ(status, 404);
  EXPECT_EQ(PaymentCount(server), payments_before + 1);

  // The whole run, its approvals included, is in the thread, the question once.
  json messages = server.Get(messages_path).Json();
  const std::string all = messages.dump();
  size_t questions = 0;
  for (const json& m : messages["messages"]) questions += m.value("role", "") == "user";
  EXPECT_EQ(questions, 1u) << all;
  EXPECT_NE(all.find("processPaymentTool"), std::string::npos) << all;
  EXPECT_NE(all.find("$100.00"), std::string::npos) << all;
}

TEST(ToolApproval, DeclinedPaymentChangesNothingAndTheAnswerSaysSo) {
  ServerProcess server(Headers{{"BILLING_PAYMENT_MODE", "approve"}});
  ASSERT_TRUE(server.started()) << server.Log();
  const size_t payments_before = PaymentCount(server);
  json lookup = StartPayment(server, "run-decline");
  ASSERT_TRUE(lookup.is_object());
  json pay = PendingCall(Post(server, "approve-tool-call", Decision("run-decline", lookup)));
  ASSERT_TRUE(pay.is_object());
  SseItems declined = Post(server, "decline-tool-call", Decision("run-decline", pay));
  ASSERT_FALSE(declined.chunks.empty());
  EXPECT_EQ(declined.chunks[0]["type"], "tool-result");
  EXPECT_EQ(declined.chunks[0]["payload"]["result"], "Tool call was not approved by the user");
  EXPECT_EQ(declined.chunks.back()["type"], "finish");
  EXPECT_NE(StreamedText(declined.chunks).find("not approved"), std::string::npos)
      << StreamedText(declined.chunks);
  EXPECT_EQ(PaymentCount(server), payments_before);
}

TEST(ToolApproval, OnlyTheCallerThatStartedTheRunDecidesWithItsOwnScopes) {
  ServerProcess server(Headers{{"BILLING_AUTH", "on"}, {"BILLING_PAYMENT_MODE", "approve"}});
  ASSERT_TRUE(server.started()) << server.Log();
  const Headers payer = {{"Authorization", BearerForNewKey(server, "read,payment")}};
  const Headers other = {{"Authorization", BearerForNewKey(server, "admin")}};
  const Headers reader = {{"Authorization", BearerForNewKey(server, "read")}};
  const Headers admin = other;
  auto payments = [&] {
    json history =
        Tool(server, "process-payment", {{"action", "history"}, {"customerId", "CUST-001"}}, admin);
    return history["payments"].size();
  };
  const size_t before = payments();

  json lookup = StartPayment(server, "run-owned", payer);
  ASSERT_TRUE(lookup.is_object());
  int status = 0;
  Post(server, "approve-tool-call", Decision("run-owned", lookup), other, &status);
  EXPECT_EQ(status, 404) << "another caller, even an admin, cannot decide";
  json pay = PendingCall(Post(server, "approve-tool-call", Decision("run-owned", lookup), payer));
  ASSERT_TRUE(pay.is_object()) << "the owner still can";
  SseItems paid = Post(server, "approve-tool-call", Decision("run-owned", pay), payer);
  EXPECT_EQ(paid.chunks.back()["type"], "finish");
  EXPECT_EQ(payments(), before + 1);

  // Approval grants no scope: a read-only caller's approved payment is refused by the tool.
  json reader_lookup = StartPayment(server, "run-reader", reader);
  ASSERT_TRUE(reader_lookup.is_object());
  json reader_pay =
      PendingCall(Post(server, "approve-tool-call", Decision("run-reader", reader_lookup), reader));
  ASSERT_TRUE(reader_pay.is_object());
  SseItems refused = Post(server, "approve-tool-call", Decision("run-reader", reader_pay), reader);
  const json* result = FindChunk(refused.chunks, "tool-result");
  ASSERT_NE(result, nullptr);
  EXPECT_EQ(result->at("payload").at("result").value("code", ""), "PERMISSION_DENIED")
      << result->dump();
  EXPECT_EQ(payments(), before + 1);
}

TEST(ToolApproval, BadRequestsAreRefusedNamingTheFieldAndRunNothing) {
  ServerProcess server(Headers{{"BILLING_PAYMENT_MODE", "approve"}});
  ASSERT_TRUE(server.started()) << server.Log();
  const size_t before = PaymentCount(server);
  auto post = [&](const std::string& action, const json& body) {
    return server.PostJson(std::string(kAgentPath) + "/" + action, body);
  };
  HttpResult not_bool =
      post("stream", {{"messages", kPaymentPrompt}, {"requireToolApproval", "yes"}});
  EXPECT_EQ(not_bool.status, 400);
  EXPECT_EQ(not_bool.Json()["error"], "requireToolApproval must be a boolean");
  for (const char* route : {"generate", "generate-legacy", "stream-legacy"}) {
    HttpResult r = post(route, {{"messages", kPaymentPrompt}, {"requireToolApproval", true}});
    EXPECT_EQ(r.status, 400) << route;
    EXPECT_NE(r.Json().value("error", "").find("requireToolApproval is supported on /stream only"),
              std::string::npos)
        << r.body;
  }
  json lookup = StartPayment(server, "run-bad");
  ASSERT_TRUE(lookup.is_object());
  HttpResult no_run = post("approve-tool-call", {{"toolCallId", lookup["toolCallId"]}});
  EXPECT_EQ(no_run.status, 400);
  EXPECT_EQ(no_run.Json()["error"], "runId must be a non-empty string of at most 128 characters");
  HttpResult no_call = post("decline-tool-call", {{"runId", "run-bad"}, {"toolCallId", 7}});
  EXPECT_EQ(no_call.status, 400);
  EXPECT_NE(no_call.Json()["error"].get<std::string>().find("toolCallId"), std::string::npos);
  HttpResult not_json = server.Request("POST", std::string(kAgentPath) + "/approve-tool-call",
                                       "{nope", {{"Content-Type", "application/json"}});
  EXPECT_EQ(not_json.status, 400);
  HttpResult wrong_call =
      post("approve-tool-call", {{"runId", "run-bad"}, {"toolCallId", "call_x"}});
  EXPECT_EQ(wrong_call.status, 404);
  EXPECT_NE(wrong_call.Json()["error"].get<std::string>().find("nothing was run"),
            std::string::npos);
  // None of these took the pending decision away.
  SseItems ok = Post(server, "approve-tool-call", Decision("run-bad", lookup));
  EXPECT_FALSE(ok.chunks.empty());
  EXPECT_EQ(PaymentCount(server), before);
}

}  // namespace
}  // namespace billing::e2e
