// The routes Mastra's Studio calls (docs/studio.md), on the real binary and either backend:
// the constant answers where we have nothing behind them, the model provider, working memory
// stored with its thread (through a restart), Mastra's MCP tool pages, the trace filter by the
// agent's name, and who may see a thread's working memory.
#include <gtest/gtest.h>

#include "e2e/server_harness.h"

namespace billing::e2e {
namespace {

using nlohmann::json;

TEST(studio_e2e, EveryStudioRouteAnswersInTheShapeItExpects) {
  ServerProcess server;
  ASSERT_TRUE(server.started()) << server.Log();
  json providers = server.Get("/api/agents/providers").Json();
  // The model in use first; OpenAI listed, not connected without a key.
  ASSERT_EQ(providers["providers"].size(), 2u) << providers.dump();
  EXPECT_EQ(providers["providers"][0]["id"], "local");
  EXPECT_EQ(providers["providers"][0]["models"], json::array({"billing-planner"}));
  EXPECT_EQ(providers["providers"][0]["connected"], true);
  EXPECT_EQ(providers["providers"][1]["id"], "openai");
  EXPECT_EQ(providers["providers"][1]["connected"], false);
  EXPECT_EQ(providers["providers"][1]["envVar"], "OPENAI_API_KEY");

  HttpResult voice = server.Get("/api/agents/billingApiAgent/voice/speakers");
  EXPECT_EQ(voice.status, 400);
  EXPECT_EQ(voice.Json()["error"], "No voice provider configured");
  for (const char* kind : {"live", "ci"}) {
    json evals = server.Get(std::string("/api/agents/billingApiAgent/evals/") + kind).Json();
    EXPECT_EQ(evals["id"], "billingApiAgent");
    EXPECT_EQ(evals["name"], "Billing API Agent");
    EXPECT_EQ(evals["evals"], json::array());
  }
  EXPECT_EQ(server.Get("/api/agents/otherAgent/evals/live").status, 404);
  EXPECT_EQ(server.Get("/api/scores/scorers").Json(), json::object());
  EXPECT_EQ(server.Get("/api/workflows").Json(), json::object());
  EXPECT_EQ(server.Get("/api/telemetry?perPage=100&attribute=componentName:x").Json()["traces"],
            json::array());
  json config = server.Get("/api/memory/config?agentId=billingApiAgent").Json()["config"];
  EXPECT_EQ(config["workingMemory"]["enabled"], true);
  EXPECT_EQ(config["semanticRecall"], false);
  EXPECT_GT(config["lastMessages"].get<int>(), 0);

  // Traces: the Studio filters by the agent's name; a span's scores are polled.
  ASSERT_EQ(server.Ask("What is the balance of CUST-001?").status, 200);
  json by_name =
      server.Get("/api/observability/traces?entityId=Billing%20API%20Agent&entityType=agent")
          .Json();
  ASSERT_EQ(by_name["spans"].size(), 1u) << by_name.dump();
  const std::string trace = by_name["spans"][0]["traceId"], span = by_name["spans"][0]["spanId"];
  json scores = server.Get("/api/observability/traces/" + trace + "/" + span + "/scores").Json();
  EXPECT_EQ(scores["scores"], json::array());
  EXPECT_EQ(scores["pagination"]["total"], 0);

  // Mastra's MCP tool pages: a list, and an execute answered under "result".
  json tools = server.Get("/api/mcp/billing/tools").Json()["tools"];
  ASSERT_TRUE(tools.is_array());
  EXPECT_EQ(tools.size(), 6u);
  EXPECT_EQ(tools[0]["id"], "get-customer");
  EXPECT_TRUE(tools[0]["inputSchema"].is_object());
  HttpResult executed = server.PostJson("/api/mcp/billing/tools/get-customer/execute",
                                        {{"data", {{"customerId", "CUST-003"}}}});
  ASSERT_EQ(executed.status, 200) << executed.body;
  EXPECT_EQ(executed.Json()["result"]["customer"]["outstandingBalance"], "$875.50");
  EXPECT_EQ(server.Get("/api/mcp/billing/tools/nope").status, 404);
}

TEST(studio_e2e, WorkingMemoryIsKeptWithItsThreadThroughARestart) {
  ServerProcess server;
  ASSERT_TRUE(server.started()) << server.Log();
  {
    const std::string route = "/api/memory/threads/wm-1/working-memory?agentId=billingApiAgent";
    json before = server.Get(route).Json();
    EXPECT_EQ(before["threadExists"], false);
    EXPECT_TRUE(before["workingMemory"].is_null());
    EXPECT_EQ(before["workingMemoryTemplate"]["format"], "markdown");
    EXPECT_EQ(server.PostJson(route, {{"workingMemory", "x"}}).status, 404);  // no such thread
    ASSERT_EQ(server
                  .PostJson("/api/memory/threads", {{"resourceId", "studio"},
                                                    {"threadId", "wm-1"},
                                                    {"metadata", {{"channel", "studio"}}}})
                  .status,
              200);
    HttpResult saved = server.PostJson(
        route, {{"workingMemory", "# Notes\n- CUST-001 pays late"}, {"resourceId", "studio"}});
    ASSERT_EQ(saved.status, 200) << saved.body;
    EXPECT_EQ(saved.Json()["success"], true);
    HttpResult bad = server.PostJson(route, {{"workingMemory", 5}});
    EXPECT_EQ(bad.status, 400) << bad.body;
    EXPECT_EQ(server.PostJson(route, {{"workingMemory", std::string(20'000, 'x')}}).status, 400);
    // The thread's other metadata stays.
    EXPECT_EQ(server.Get("/api/memory/threads/wm-1").Json()["metadata"]["channel"], "studio");
  }
  server.Kill();  // what was acknowledged was committed
  ServerProcess again({}, {}, server.db_path());
  ASSERT_TRUE(again.started()) << again.Log();
  json after = again.Get("/api/memory/threads/wm-1/working-memory").Json();
  EXPECT_EQ(after["threadExists"], true);
  EXPECT_EQ(after["workingMemory"], "# Notes\n- CUST-001 pays late");
}

TEST(studio_e2e, ABoundCallerSeesOnlyItsOwnThreadsWorkingMemory) {
  ServerProcess server(std::map<std::string, std::string>{{"BILLING_AUTH", "on"}});
  ASSERT_TRUE(server.started()) << server.Log();
  const std::map<std::string, std::string> staff = {
      {"Authorization", BearerForNewKey(server, "admin")}};
  ASSERT_EQ(
      server
          .PostJson("/api/memory/threads", {{"resourceId", "ops"}, {"threadId", "staff-1"}}, staff)
          .status,
      200);
  ASSERT_EQ(server
                .PostJson("/api/memory/threads/staff-1/working-memory",
                          {{"workingMemory", "internal: CUST-002 dispute"}}, staff)
                .status,
            200);
  CommandResult made = RunAgentCommand(
      {"keys", "create", "--db", server.db_path(), "--scopes", "read", "--customer", "CUST-001"});
  ASSERT_EQ(made.exit_code, 0) << made.err;
  const std::map<std::string, std::string> bound = {
      {"Authorization", "Bearer " + made.out.substr(0, made.out.find('\n'))}};
  HttpResult seen = server.Get("/api/memory/threads/staff-1/working-memory", bound);
  ASSERT_EQ(seen.status, 200);
  EXPECT_EQ(seen.Json()["threadExists"], false);
  EXPECT_TRUE(seen.Json()["workingMemory"].is_null());
  EXPECT_EQ(seen.body.find("dispute"), std::string::npos);
  EXPECT_EQ(
      server.PostJson("/api/memory/threads/staff-1/working-memory", {{"workingMemory", "x"}}, bound)
          .status,
      404);
}

}  // namespace
}  // namespace billing::e2e
