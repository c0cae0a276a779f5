// Conversation memory end to end: the server loads a thread's history itself, so a client sends
// only the new message; follow-ups work with the local planner and with the OpenAI path; memory
// routes in both the 0.x and 1.x shapes; the CometChat sender is recorded with each change.
#include <gtest/gtest.h>

#include "e2e/server_harness.h"
#include "fake_openai/fake_openai_server.h"

namespace billing::e2e {
namespace {

using nlohmann::json;

json Generate(ServerProcess& server, const json& body) {
  HttpResult res = server.PostJson("/api/agents/billingApiAgent/generate", body);
  EXPECT_EQ(res.status, 200) << res.body;
  return res.Json();
}

TEST(Memory, FollowUpCreatesTheInvoiceWithTheLocalPlanner) {
  ServerProcess server;
  ASSERT_TRUE(server.started()) << server.Log();
  const json memory = {{"thread", "t-invoice"}, {"resource", "user-1"}};
  json first = Generate(server, {{"messages", "Create an invoice for CUST-001"}, {"memory", memory}});
  EXPECT_NE(first["text"].get<std::string>().find("amount"), std::string::npos) << first["text"];
  // The customer is checked first (a read), and nothing is created yet.
  ASSERT_EQ(first["toolResults"].size(), 1u) << first.dump();
  EXPECT_EQ(first["toolResults"][0]["result"]["customer"]["id"], "CUST-001");
  json second = Generate(server, {{"messages", "$500 due 2026-12-31 for consulting"}, {"memory", memory}});
  ASSERT_FALSE(second["toolResults"].empty()) << second.dump();
  json result = second["toolResults"][0]["result"];
  ASSERT_EQ(result["success"], true) << result.dump();
  EXPECT_EQ(result["invoice"]["customerId"], "CUST-001");
  EXPECT_EQ(result["invoice"]["total"], "$540.00");
  EXPECT_EQ(result["invoice"]["dueDate"], "2026-12-31");

  // 0.x: lowercase resourceid, an array; 1.x: resourceId, a page object.
  json v0 = server.Get("/api/memory/threads?resourceid=user-1&agentId=billingApiAgent").Json();
  ASSERT_TRUE(v0.is_array()) << v0.dump();
  ASSERT_EQ(v0.size(), 1u);
  EXPECT_EQ(v0[0]["id"], "t-invoice");
  EXPECT_EQ(v0[0]["resourceId"], "user-1");
  json v1 = server.Get("/api/memory/threads?resourceId=user-1&agentId=billingApiAgent").Json();
  EXPECT_EQ(v1["total"], 1);
  EXPECT_EQ(v1["threads"][0]["id"], "t-invoice");
  json messages = server.Get("/api/memory/threads/t-invoice/messages?agentId=billingApiAgent").Json();
  EXPECT_GE(messages["messages"].size(), 4u) << messages.dump();
  EXPECT_EQ(server.Get("/api/memory/threads/nope?agentId=billingApiAgent").status, 404);
}

TEST(Memory, DeprecatedTopLevelThreadAndResource) {
  ServerProcess server;
  ASSERT_TRUE(server.started()) << server.Log();
  Generate(server, {{"messages", "Process payment for customer CUST-003"}, {"threadId", "t2"}, {"resourceId", "u2"}});
  json second = Generate(server, {{"messages", "$100 by crypto"}, {"threadId", "t2"}, {"resourceId", "u2"}});
  ASSERT_FALSE(second["toolResults"].empty()) << second.dump();
  EXPECT_EQ(second["toolResults"][0]["result"]["payment"]["amount"], "$100.00");
  EXPECT_EQ(second["toolResults"][0]["result"]["payment"]["method"], "crypto");
}

TEST(Memory, MemoryWithoutAResourceIsA400) {
  ServerProcess server;
  ASSERT_TRUE(server.started()) << server.Log();
  HttpResult res = server.PostJson("/api/agents/billingApiAgent/generate",
                                   {{"messages", "hi"}, {"memory", {{"thread", "t3"}}}});
  EXPECT_EQ(res.status, 400);
  EXPECT_NE(res.Json()["error"].get<std::string>().find("resource"), std::string::npos) << res.body;
}

TEST(Memory, ThreadRoutesCreateUpdateDelete) {
  ServerProcess server;
  ASSERT_TRUE(server.started()) << server.Log();
  HttpResult created = server.PostJson("/api/memory/threads?agentId=billingApiAgent",
                                       {{"resourceId", "user-9"}, {"title", "My chat"}, {"metadata", {{"k", "v"}}}});
  ASSERT_EQ(created.status, 200) << created.body;
  const std::string id = created.Json()["id"];
  EXPECT_EQ(created.Json()["title"], "My chat");
  HttpResult patched = server.Request("PATCH", "/api/memory/threads/" + id + "?agentId=billingApiAgent",
                                      json({{"title", "Renamed"}}).dump(), {{"Content-Type", "application/json"}});
  EXPECT_EQ(patched.Json()["title"], "Renamed");
  HttpResult deleted = server.Request("DELETE", "/api/memory/threads/" + id + "?agentId=billingApiAgent");
  EXPECT_EQ(deleted.Json()["result"], "Thread deleted");
  EXPECT_EQ(server.Get("/api/memory/threads/" + id + "?agentId=billingApiAgent").status, 404);
}

TEST(Memory, CometChatSenderIsRecordedWithTheChange) {
  ServerProcess server;
  ASSERT_TRUE(server.started()) << server.Log();
  json r = Generate(server, {{"messages", {{{"role", "user"}, {"content", "Create an invoice for customer CUST-002 for $100 due 2026-12-31 for Support"}}}},
                             {"runtimeContext", {{"cometchatContext", {{"sender", {{"uid", "user123"}, {"role", "admin"}}}}}}}});
  ASSERT_FALSE(r["toolResults"].empty()) << r.dump();
  // The principal (development mode: "dev") is the actor; the sender is a claim, kept apart.
  EXPECT_EQ(r["toolResults"][0]["result"]["invoice"]["createdBy"], "dev");
  EXPECT_EQ(r["toolResults"][0]["result"]["invoice"]["createdOnBehalfOf"],
            json({{"id", "cometchat:user123"}, {"claim", true}}));
  json r1x = Generate(server, {{"messages", "Process a $10 paypal payment for customer CUST-002"},
                               {"requestContext", {{"cometchatContext", {{"sender", {{"uid", "agent-7"}}}}}}}});
  EXPECT_EQ(r1x["toolResults"][0]["result"]["payment"]["createdBy"], "dev");
  EXPECT_EQ(r1x["toolResults"][0]["result"]["payment"]["onBehalfOf"]["id"], "cometchat:agent-7");
}

TEST(Memory, OpenAiFollowUpSeesTheHistory) {
  fake_openai::FakeOpenAiServer fake;
  std::string error;
  ASSERT_TRUE(fake.Start(&error)) << error;
  ServerProcess server(std::map<std::string, std::string>{
      {"OPENAI_API_KEY", "test-key"}, {"OPENAI_BASE_URL", fake.base_url()}, {"BILLING_MODEL", "openai/gpt-4o-mini"}});
  ASSERT_TRUE(server.started()) << server.Log();
  const json memory = {{"thread", "t-ai"}, {"resource", "user-ai"}};
  fake.Enqueue(fake_openai::ScriptedReply::Text("What amount and due date?"));
  Generate(server, {{"messages", "Create an invoice for CUST-001"}, {"memory", memory}});
  fake.Enqueue(fake_openai::ScriptedReply::ToolCalls(
      {{"call_1", "manageInvoicesTool",
        R"({"action":"create","customerId":"CUST-001","amount":"500","description":"consulting","dueDate":"2026-12-31"})"}}));
  fake.Enqueue(fake_openai::ScriptedReply::Text("Created."));
  json second = Generate(server, {{"messages", "$500 due 2026-12-31 for consulting"}, {"memory", memory}});
  EXPECT_EQ(second["toolResults"][0]["result"]["invoice"]["total"], "$540.00");
  // The model's request for the follow-up carried the earlier turn.
  std::vector<json> chats;
  for (const auto& r : fake.requests()) {
    if (r.target.find("chat/completions") != std::string::npos) chats.push_back(r.json);
  }
  ASSERT_GE(chats.size(), 2u);
  const std::string second_request = chats[1]["messages"].dump();
  EXPECT_NE(second_request.find("Create an invoice for CUST-001"), std::string::npos) << second_request;
  EXPECT_NE(second_request.find("What amount and due date?"), std::string::npos) << second_request;
}

}  // namespace
}  // namespace billing::e2e
