// Traces of agent runs (docs/observability.md) and the console's files (docs/console.md), on the
// real binary: Mastra's /api/observability routes, OTLP/HTTP export to a collector the test
// starts (a receiver of the documented wire format: POST /v1/traces, JSON), who may read them,
// and what a span never holds.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "e2e/server_harness.h"
#include "e2e/webhook_receiver.h"

namespace billing::e2e {
namespace {

using nlohmann::json;

constexpr const char* kCard = "4242 4242 4242 4242";

std::vector<std::string> SpanNames(const json& spans) {
  std::vector<std::string> names;
  for (const json& span : spans) names.push_back(span["name"]);
  return names;
}

TEST(observability_e2e, EachRunIsATraceOfGenAiSpansWithoutCardNumbers) {
  ServerProcess server;
  ASSERT_TRUE(server.started()) << server.Log();
  HttpResult first =
      server.Ask(std::string("What is the balance of CUST-001? My card is ") + kCard);
  ASSERT_EQ(first.status, 200) << first.body;
  HttpResult missing = server.Ask("What is the balance of CUST-999?");
  ASSERT_EQ(missing.status, 200) << missing.body;

  HttpResult list = server.Get("/api/observability/traces?page=0&perPage=10");
  ASSERT_EQ(list.status, 200) << list.body;
  EXPECT_EQ(list.body.find(kCard), std::string::npos);
  EXPECT_EQ(list.body.find("4242424242424242"), std::string::npos);
  const json page = list.Json();
  ASSERT_EQ(page["pagination"]["total"], 2) << list.body;
  EXPECT_EQ(page["pagination"]["hasMore"], false);
  ASSERT_EQ(page["spans"].size(), 2u);
  // Newest first: the run about CUST-999, then the one with the card.
  const json& newest = page["spans"][0];
  EXPECT_EQ(newest["name"], "invoke_agent billingApiAgent");
  EXPECT_EQ(newest["spanType"], "agent_run");
  EXPECT_TRUE(newest["parentSpanId"].is_null());
  EXPECT_EQ(newest["attributes"]["gen_ai.operation.name"], "invoke_agent");
  EXPECT_EQ(newest["attributes"]["gen_ai.agent.name"], "Billing API Agent");
  EXPECT_NE(newest["input"].dump().find("CUST-999"), std::string::npos);
  EXPECT_NE(page["spans"][1]["input"].dump().find("[card ending 4242]"), std::string::npos);

  // The card run, span by span: the run, the model call that asked for the tool, the tool call,
  // the model call that answered.
  const std::string trace_id = page["spans"][1]["traceId"];
  HttpResult trace = server.Get("/api/observability/traces/" + trace_id);
  ASSERT_EQ(trace.status, 200) << trace.body;
  EXPECT_EQ(trace.body.find(kCard), std::string::npos);
  const json spans = trace.Json()["spans"];
  ASSERT_EQ(SpanNames(spans),
            (std::vector<std::string>{"invoke_agent billingApiAgent", "chat billing-planner",
                                      "execute_tool getCustomerTool", "chat billing-planner"}))
      << trace.body;
  const json& chat = spans[1];
  EXPECT_EQ(chat["spanType"], "model_generation");
  EXPECT_EQ(chat["attributes"]["gen_ai.request.model"], "billing-planner");
  EXPECT_EQ(chat["attributes"]["gen_ai.response.finish_reasons"], json::array({"tool-calls"}));
  EXPECT_GT(chat["attributes"]["gen_ai.usage.input_tokens"].get<int64_t>(), 0);
  const json& tool = spans[2];
  EXPECT_EQ(tool["spanType"], "tool_call");
  EXPECT_EQ(tool["parentSpanId"], spans[0]["spanId"]);
  EXPECT_EQ(tool["attributes"]["gen_ai.tool.name"], "getCustomerTool");
  const std::string call_id = tool["attributes"]["gen_ai.tool.call.id"];
  EXPECT_NE(first.body.find(call_id), std::string::npos) << "the answer names the same call";
  EXPECT_EQ(tool["input"]["customerId"], "CUST-001");
  EXPECT_EQ(tool["output"]["customer"]["id"], "CUST-001") << tool["output"].dump();
  EXPECT_TRUE(tool["error"].is_null());
  // The run's totals are the sum of its model calls.
  EXPECT_EQ(spans[0]["attributes"]["gen_ai.usage.input_tokens"].get<int64_t>(),
            spans[1]["attributes"]["gen_ai.usage.input_tokens"].get<int64_t>() +
                spans[3]["attributes"]["gen_ai.usage.input_tokens"].get<int64_t>());

  // The failed lookup is a tool span with its error.
  HttpResult failed =
      server.Get("/api/observability/traces/" + newest["traceId"].get<std::string>());
  const json failed_spans = failed.Json()["spans"];
  ASSERT_GE(failed_spans.size(), 3u) << failed.body;
  EXPECT_EQ(failed_spans[2]["error"]["type"], "NOT_FOUND") << failed.body;
  EXPECT_EQ(failed_spans[2]["attributes"]["error.type"], "NOT_FOUND");

  EXPECT_EQ(server.Get("/api/observability/traces/00000000000000000000000000000000").status, 404);
  HttpResult bad = server.Get("/api/observability/traces?perPage=0");
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(bad.Json()["field"], "perPage");
  for (const char* query :
       {"dateRange=notjson", "dateRange=%7B%22start%22%3A%22yesterday%22%7D", "page=-1"}) {
    HttpResult refused = server.Get(std::string("/api/observability/traces?") + query);
    EXPECT_EQ(refused.status, 400) << query;
    EXPECT_EQ(refused.Json()["field"], std::string(query).substr(0, std::string(query).find('=')))
        << refused.body;
  }
  // A range that holds both runs finds them; a range before them finds none.
  EXPECT_EQ(server.Get("/api/observability/traces?dateRange=%7B%22end%22%3A%222000-01-01%22%7D")
                .Json()["pagination"]["total"],
            0);
  EXPECT_EQ(server.Get("/api/observability/traces").Json()["pagination"]["total"], 2);
}

TEST(observability_e2e, StreamedRunsAreTracedToo) {
  ServerProcess server;
  ASSERT_TRUE(server.started()) << server.Log();
  HttpResult streamed = server.PostJson(
      "/api/agents/billingApiAgent/stream",
      {{"messages", json::array({{{"role", "user"}, {"content", "List overdue invoices"}}})},
       {"memory", {{"thread", "t-obs-1"}, {"resource", "console"}}}});
  ASSERT_EQ(streamed.status, 200) << streamed.body;
  const json page = server.Get("/api/observability/traces").Json();
  ASSERT_EQ(page["spans"].size(), 1u) << page.dump();
  EXPECT_EQ(page["spans"][0]["attributes"]["streaming"], true);
  EXPECT_EQ(page["spans"][0]["attributes"]["gen_ai.conversation.id"], "t-obs-1");
  EXPECT_EQ(page["spans"][0]["metadata"]["threadId"], "t-obs-1");
}

TEST(observability_e2e, TracesAreExportedOverOtlpHttpToTheCollector) {
  WebhookReceiver collector;
  const int port = collector.Start();
  ASSERT_NE(port, 0);
  ServerProcess server(
      {{"OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:" + std::to_string(port) + "/"},
       {"OTEL_EXPORTER_OTLP_HEADERS", "authorization=Bearer%20collector-token"},
       {"OTEL_SERVICE_NAME", "billing-e2e"}});
  ASSERT_TRUE(server.started()) << server.Log();
  ASSERT_EQ(server.Ask(std::string("Show CUST-002, card ") + kCard).status, 200);
  for (int i = 0; i < 100 && collector.Count() == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  const std::vector<ReceivedWebhook> received = collector.Received();
  ASSERT_EQ(received.size(), 1u) << server.Log();
  const ReceivedWebhook& post = received[0];
  EXPECT_EQ(post.target, "/v1/traces");
  EXPECT_EQ(post.headers.at("content-type"), "application/json");
  EXPECT_EQ(post.headers.at("authorization"), "Bearer collector-token");
  EXPECT_EQ(post.body.find(kCard), std::string::npos);
  const json request = json::parse(post.body);
  const json& resource_spans = request["resourceSpans"][0];
  EXPECT_EQ(resource_spans["resource"]["attributes"][0]["value"]["stringValue"], "billing-e2e");
  const json& spans = resource_spans["scopeSpans"][0]["spans"];
  ASSERT_EQ(SpanNames(spans),
            (std::vector<std::string>{"invoke_agent billingApiAgent", "chat billing-planner",
                                      "execute_tool getCustomerTool", "chat billing-planner"}));
  const std::string listed = server.Get("/api/observability/traces").Json()["spans"][0]["traceId"];
  EXPECT_EQ(spans[0]["traceId"], listed);
  for (const json& span : spans) {
    EXPECT_EQ(span["traceId"], listed);
    EXPECT_FALSE(span.contains("input")) << "the conversation stays in the server";
  }
}

TEST(observability_e2e, OnlyAdministratorsReadTraces) {
  ServerProcess server(std::map<std::string, std::string>{{"BILLING_AUTH", "on"}});
  ASSERT_TRUE(server.started()) << server.Log();
  const std::map<std::string, std::string> admin = {
      {"Authorization", BearerForNewKey(server, "admin")}};
  const std::map<std::string, std::string> reader = {
      {"Authorization", BearerForNewKey(server, "read")}};
  ASSERT_EQ(server.Ask("What is the balance of CUST-001?", admin).status, 200);
  EXPECT_EQ(server.Get("/api/observability/traces").status, 401);
  HttpResult denied = server.Get("/api/observability/traces", reader);
  EXPECT_EQ(denied.status, 403);
  EXPECT_NE(denied.body.find("admin"), std::string::npos) << denied.body;
  CommandResult made = RunAgentCommand(
      {"keys", "create", "--db", server.db_path(), "--scopes", "admin", "--customer", "CUST-001"});
  ASSERT_EQ(made.exit_code, 0) << made.err;
  const std::map<std::string, std::string> bound = {
      {"Authorization", "Bearer " + made.out.substr(0, made.out.find('\n'))}};
  EXPECT_EQ(server.Get("/api/observability/traces", bound).status, 403);
  HttpResult listed = server.Get("/api/observability/traces", admin);
  ASSERT_EQ(listed.status, 200) << listed.body;
  EXPECT_EQ(listed.Json()["pagination"]["total"], 1);
  // Who the caller is, for the console: its scopes and binding.
  const json me = server.Get("/api/v1/me", reader).Json();
  EXPECT_EQ(me["scopes"], json::array({"read"}));
  EXPECT_EQ(me["authenticated"], true);
  EXPECT_TRUE(me["customerId"].is_null());
  EXPECT_EQ(server.Get("/api/v1/me", bound).Json()["customerId"], "CUST-001");
}

TEST(observability_e2e, TracingCanBeTurnedOff) {
  ServerProcess server(std::map<std::string, std::string>{{"BILLING_TRACE_RETENTION_HOURS", "0"}});
  ASSERT_TRUE(server.started()) << server.Log();
  ASSERT_EQ(server.Ask("What is the balance of CUST-001?").status, 200);
  EXPECT_EQ(server.Get("/api/observability/traces").status, 404);
}

// The console's files come from BILLING_CONSOLE_DIR under a strict policy, gzipped on request,
// with no credentials (they hold no data), and nothing else is served from there.
TEST(console_e2e, TheBuiltFilesAreServedUnderAStrictPolicy) {
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("console-e2e-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir / "assets");
  std::ofstream(dir / "index.html") << "<!doctype html><title>Billing</title>"
                                       "<script type=module src=/assets/app.js></script>";
  std::string script;
  for (int i = 0; i < 200; ++i) script += "console.log('billing console line');\n";
  std::ofstream(dir / "assets" / "app.js") << script;
  ServerProcess server(std::map<std::string, std::string>{{"BILLING_AUTH", "on"},
                                                          {"BILLING_CONSOLE_DIR", dir.string()}});
  ASSERT_TRUE(server.started()) << server.Log();
  HttpResult page = server.Get("/");
  ASSERT_EQ(page.status, 200) << page.body;
  EXPECT_NE(page.body.find("<title>Billing</title>"), std::string::npos);
  EXPECT_EQ(page.headers["content-type"], "text/html; charset=UTF-8");
  const std::string csp = page.headers["content-security-policy"];
  EXPECT_NE(csp.find("default-src 'self'"), std::string::npos) << csp;
  EXPECT_NE(csp.find("script-src 'self'"), std::string::npos) << csp;
  EXPECT_EQ(csp.find("unsafe-inline"), std::string::npos) << csp;
  EXPECT_NE(csp.find("frame-ancestors 'none'"), std::string::npos) << csp;
  EXPECT_EQ(page.headers["x-content-type-options"], "nosniff");

  HttpResult plain = server.Get("/assets/app.js");
  ASSERT_EQ(plain.status, 200);
  EXPECT_EQ(plain.body, script);
  EXPECT_EQ(plain.headers["content-type"], "text/javascript; charset=UTF-8");
  HttpResult gzipped = server.Get("/assets/app.js", {{"Accept-Encoding", "br, gzip;q=0.8"}});
  ASSERT_EQ(gzipped.status, 200);
  EXPECT_EQ(gzipped.headers["content-encoding"], "gzip");
  EXPECT_LT(gzipped.body.size(), script.size() / 10);
  EXPECT_EQ(static_cast<unsigned char>(gzipped.body[0]), 0x1f);  // the gzip magic number
  EXPECT_EQ(static_cast<unsigned char>(gzipped.body[1]), 0x8b);
  HttpResult refused = server.Get("/assets/app.js", {{"Accept-Encoding", "gzip;q=0"}});
  EXPECT_EQ(refused.headers.count("content-encoding"), 0u);

  EXPECT_EQ(server.Get("/assets/missing.js").status, 404);
  EXPECT_NE(server.Get("/assets/../index.html").status, 200);  // no path outside assets/
  EXPECT_EQ(server.Get("/index.html").status, 401);  // not a console path: the API's rules
  EXPECT_EQ(server.Request("POST", "/", "{}").status, 401);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace billing::e2e
