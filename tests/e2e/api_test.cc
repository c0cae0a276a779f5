// Mastra routes and every bad input over HTTP against the real binary: status codes, error bodies,
// and that a rejected request changed nothing.
#include <gtest/gtest.h>

#include "e2e/server_harness.h"
#include "testing/test_backend.h"

namespace billing::e2e {
namespace {

using nlohmann::json;

class Api : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(server_.started()) << server_.Log(); }
  json Exec(const std::string& id, const json& data) {
    HttpResult res = server_.PostJson("/api/tools/" + id + "/execute", {{"data", data}});
    EXPECT_EQ(res.status, 200) << res.body;
    return res.Json();
  }
  // A snapshot of everything a bad input could change.
  json Ledger() {
    json customers = Exec("get-customer", json::object());
    json invoices = Exec("manage-invoices", {{"action", "list"}});
    json payments = json::array();
    for (const char* c : {"CUST-001", "CUST-002", "CUST-003", "CUST-004"}) {
      payments.push_back(Exec("process-payment", {{"action", "history"}, {"customerId", c}})["payments"]);
    }
    return {{"customers", customers["customers"]}, {"invoices", invoices["invoices"]}, {"payments", payments}};
  }
  ServerProcess server_;
};

TEST_F(Api, HealthAndStartupLog) {
  HttpResult h = server_.Get("/health");
  EXPECT_EQ(h.status, 200);
  EXPECT_EQ(h.Json(), json({{"success", true}}));
  const std::string log = server_.Log();
  EXPECT_NE(log.find("listening on http://127.0.0.1:"), std::string::npos) << log;
  if (test_support::IsPostgresDb(server_.db_path())) {
    // Backend, host and database, never the URL (it may carry a password).
    EXPECT_NE(log.find("database: postgres host "), std::string::npos) << log;
    EXPECT_EQ(log.find(server_.db_path()), std::string::npos) << log;
  } else {
    EXPECT_NE(log.find("database: sqlite " + server_.db_path()), std::string::npos) << log;
  }
  EXPECT_NE(log.find("model: local"), std::string::npos) << log;
  // Ready: the database answers (the load balancer's probe).
  HttpResult ready = server_.Get("/ready");
  EXPECT_EQ(ready.status, 200);
  EXPECT_EQ(ready.Json(), json({{"status", "ready"}}));
}

TEST_F(Api, AgentsAndTools) {
  json agents = server_.Get("/api/agents").Json();
  ASSERT_TRUE(agents.contains("billingApiAgent")) << agents.dump();
  const json& agent = agents["billingApiAgent"];
  EXPECT_EQ(agent["name"], "Billing API Agent");
  EXPECT_TRUE(agent["instructions"].is_string());
  ASSERT_TRUE(agent["tools"].contains("getCustomerTool"));
  EXPECT_EQ(agent["tools"]["getCustomerTool"]["id"], "get-customer");
  // Schemas are served the way Mastra serves them: a string holding {"json": <JSON Schema>}.
  json schema = json::parse(agent["tools"]["manageInvoicesTool"]["inputSchema"].get<std::string>());
  EXPECT_EQ(schema["json"]["type"], "object");
  EXPECT_EQ(schema["json"]["required"], json({"action"}));
  EXPECT_EQ(server_.Get("/api/agents/billingApiAgent").Json()["name"], "Billing API Agent");
  json tools = server_.Get("/api/tools").Json();
  EXPECT_EQ(tools.size(), 6u);
  EXPECT_EQ(tools["billingReportsTool"]["id"], "billing-reports");
  EXPECT_EQ(tools["manageCustomersTool"]["id"], "manage-customers");
  EXPECT_EQ(tools["manageSubscriptionsTool"]["id"], "manage-subscriptions");
  EXPECT_EQ(tools["processPaymentTool"]["id"], "process-payment");
  EXPECT_EQ(server_.Get("/api/tools/get-customer").Json()["id"], "get-customer");
  EXPECT_EQ(server_.Get("/api/agents/billingApiAgent/tools/manage-invoices").Json()["id"], "manage-invoices");
  HttpResult exec = server_.PostJson("/api/agents/billingApiAgent/tools/get-customer/execute",
                                     {{"data", {{"customerId", "cust-003"}}}});
  EXPECT_EQ(exec.status, 200);
  EXPECT_EQ(exec.Json()["customer"]["outstandingBalance"], "$875.50");
}

TEST_F(Api, GenerateResponseShape) {
  json r = server_.Ask("Show me billing details for customer CUST-001").Json();
  for (const char* k : {"text", "finishReason", "toolCalls", "toolResults", "steps", "usage", "response"}) {
    EXPECT_TRUE(r.contains(k)) << k;
  }
  EXPECT_EQ(r["steps"].size(), 2u);
  const json& call = r["toolCalls"][0];
  EXPECT_EQ(call["type"], "tool-call");
  EXPECT_EQ(call["from"], "AGENT");
  EXPECT_EQ(call["toolName"], "getCustomerTool");
  EXPECT_EQ(call["payload"]["toolName"], "getCustomerTool");
  EXPECT_EQ(call["args"], call["payload"]["args"]);
  EXPECT_EQ(call["toolCallId"], call["payload"]["toolCallId"]);
  for (const char* k : {"inputTokens", "outputTokens", "totalTokens", "promptTokens", "completionTokens"}) {
    EXPECT_TRUE(r["usage"].contains(k)) << k;
  }
  EXPECT_EQ(r["usage"]["inputTokens"], r["usage"]["promptTokens"]);
  for (const char* k : {"id", "timestamp", "modelId", "messages"}) EXPECT_TRUE(r["response"].contains(k)) << k;
}

TEST_F(Api, MessageShapes) {
  const std::string url = "/api/agents/billingApiAgent/generate";
  for (const json& messages :
       {json("Show me billing details for customer CUST-002"),
        json::array({"Show me billing details for customer CUST-002"}),
        json::array({{{"role", "user"}, {"content", "Show me billing details for customer CUST-002"}}}),
        json::array({{{"role", "user"},
                      {"content", json::array({{{"type", "text"}, {"text", "Show me billing details for customer CUST-002"}}})}}})}) {
    HttpResult res = server_.PostJson(url, {{"messages", messages}});
    ASSERT_EQ(res.status, 200) << messages.dump() << " " << res.body;
    EXPECT_NE(res.Json()["text"].get<std::string>().find("StartupHub"), std::string::npos) << res.body;
  }
}

TEST_F(Api, HttpErrors) {
  const json before = Ledger();
  const std::string url = "/api/agents/billingApiAgent/generate";
  HttpResult malformed = server_.Request("POST", url, "{\"messages\": [", {{"Content-Type", "application/json"}});
  EXPECT_EQ(malformed.status, 400);
  EXPECT_TRUE(malformed.Json()["error"].is_string()) << malformed.body;
  HttpResult missing = server_.PostJson(url, json::object());
  EXPECT_EQ(missing.status, 400);
  EXPECT_EQ(missing.Json()["error"], "Argument \"messages\" is required");
  HttpResult empty = server_.PostJson(url, {{"messages", ""}});
  EXPECT_EQ(empty.status, 400);
  HttpResult wrong = server_.PostJson(url, {{"messages", 42}});
  EXPECT_EQ(wrong.status, 400);
  HttpResult agent = server_.PostJson("/api/agents/noSuchAgent/generate", {{"messages", "hi"}});
  EXPECT_EQ(agent.status, 404);
  EXPECT_EQ(agent.Json()["error"], "Agent with name noSuchAgent not found");
  EXPECT_EQ(server_.Get("/api/agents/noSuchAgent").status, 404);
  EXPECT_EQ(server_.Get("/api/tools/getCustomerTool").status, 404);
  EXPECT_EQ(server_.PostJson("/api/tools/nope/execute", {{"data", json::object()}}).status, 404);
  HttpResult no_data = server_.PostJson("/api/tools/get-customer/execute", json::object());
  EXPECT_EQ(no_data.status, 400);
  EXPECT_EQ(no_data.Json()["error"], "Argument \"data\" is required");
  EXPECT_EQ(server_.Get("/api/no-such-route").status, 404);
  std::string big = "{\"messages\":\"" + std::string(5 * 1024 * 1024, 'a') + "\"}";
  HttpResult too_big = server_.Request("POST", url, big, {{"Content-Type", "application/json"}});
  EXPECT_EQ(too_big.status, 413);
  EXPECT_EQ(too_big.Json()["error"], "Request body too large");
  EXPECT_EQ(server_.Get("/health").status, 200);  // still serving
  EXPECT_EQ(Ledger(), before);
}

TEST_F(Api, BadToolInputChangesNothing) {
  const json before = Ledger();
  struct Case {
    const char* tool;
    json data;
    const char* field;  // expected field named by the error ("" = schema message)
  };
  const Case cases[] = {
      {"manage-invoices", {{"action", "create"}, {"customerId", "CUST-999"}, {"amount", 100}, {"dueDate", "2026-12-31"}}, "customerId"},
      {"manage-invoices", {{"action", "create"}, {"customerId", "CUST-002"}, {"amount", 100}, {"dueDate", "2025-11-15"}}, "dueDate"},
      {"manage-invoices", {{"action", "create"}, {"customerId", "CUST-004"}, {"amount", 100}, {"dueDate", "2026-12-31"}}, "customerId"},
      {"manage-invoices", {{"action", "create"}, {"customerId", "CUST-002"}, {"amount", -100}, {"dueDate", "2026-12-31"}}, "amount"},
      {"manage-invoices", {{"action", "create"}, {"customerId", "CUST-002"}, {"items", {{{"description", "x"}, {"unitPrice", 0}}}}, {"dueDate", "2026-12-31"}}, "items[0].unitPrice"},
      {"manage-invoices", {{"action", "create"}, {"customerId", "CUST-002"}, {"items", {{{"description", "x"}, {"unitPrice", 1}, {"quantity", -2}}}}, {"dueDate", "2026-12-31"}}, "items[0].quantity"},
      {"process-payment", {{"action", "process"}, {"customerId", "CUST-001"}, {"amount", 0}}, "amount"},
      {"process-payment", {{"action", "process"}, {"customerId", "CUST-001"}, {"amount", -50}}, "amount"},
      {"process-payment", {{"action", "process"}, {"customerId", "CUST-001"}, {"amount", 10.005}}, "amount"},
      {"process-payment", {{"action", "process"}, {"customerId", "CUST-001"}, {"amount", "12.345"}}, "amount"},
      {"process-payment", {{"action", "process"}, {"customerId", "CUST-001"}, {"amount", 2000000}}, "amount"},
      {"process-payment", {{"action", "process"}, {"customerId", "CUST-001"}, {"amount", 10}, {"paymentMethod", "cheque"}}, ""},
      {"process-payment", {{"action", "process"}, {"customerId", "CUST-999"}, {"amount", 10}}, "customerId"},
      {"process-payment", {{"action", "refund"}, {"paymentId", "PAY-003"}}, "paymentId"},
      {"process-payment", {{"action", "refund"}, {"paymentId", "PAY-999"}}, "paymentId"},
      {"process-payment", {{"action", "refund"}, {"paymentId", "PAY-001"}, {"amount", 750.01}}, "amount"},
      {"process-payment", {{"action", "process"}, {"customerId", 1}, {"amount", true}}, ""},
      {"manage-invoices", {{"action", 7}}, ""},
      {"get-customer", {{"customerId", json::array()}}, ""},
  };
  for (const Case& c : cases) {
    json out = Exec(c.tool, c.data);
    EXPECT_EQ(out["error"], true) << c.data.dump() << " -> " << out.dump();
    EXPECT_TRUE(out["message"].is_string()) << out.dump();
    if (std::string(c.field).size()) {
      EXPECT_EQ(out["field"], c.field) << c.data.dump() << " -> " << out.dump();
    }
  }
  EXPECT_EQ(Ledger(), before);
  // An already-refunded payment cannot be refunded again.
  json first = Exec("process-payment", {{"action", "refund"}, {"paymentId", "PAY-001"}});
  ASSERT_EQ(first["success"], true) << first.dump();
  const json after_refund = Ledger();
  json second = Exec("process-payment", {{"action", "refund"}, {"paymentId", "PAY-001"}});
  EXPECT_EQ(second["error"], true);
  EXPECT_EQ(Ledger(), after_refund);
}

TEST_F(Api, DataPersistsAcrossRestart) {
  json pay = Exec("process-payment", {{"action", "process"}, {"customerId", "CUST-003"}, {"amount", "100.00"}});
  ASSERT_EQ(pay["success"], true) << pay.dump();
  const json before = Ledger();
  const std::string db = server_.db_path();
  server_.Kill();
  ServerProcess again({}, {}, db);
  ASSERT_TRUE(again.started()) << again.Log();
  HttpResult res = again.PostJson("/api/tools/get-customer/execute", {{"data", {{"customerId", "CUST-003"}}}});
  EXPECT_EQ(res.Json()["customer"]["outstandingBalance"], "$775.50");
}

}  // namespace
}  // namespace billing::e2e
