// GET /metrics on the real binary (docs/observability.md "Metrics"), read back with the
// Prometheus client library's own text parser (tests/e2e/parse_metrics.py): requests by route
// template and status with their latency, model and tool calls, payments by status, group
// commits, backlogs, and who may read it.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "e2e/server_harness.h"
#include "e2e/webhook_receiver.h"

namespace billing::e2e {
namespace {

using nlohmann::json;

// The families the parser found, or a test failure with its message.
json ParseMetrics(const std::string& body) {
  const std::filesystem::path dir = std::filesystem::temp_directory_path();
  const std::string stem = "metrics-" + std::to_string(::getpid()) + "-" +
                           std::to_string(std::hash<std::string>{}(body));
  const std::filesystem::path in = dir / (stem + ".txt"), out = dir / (stem + ".json"),
                              err = dir / (stem + ".err");
  std::ofstream(in) << body;
  const std::string command = "/usr/bin/python3 " + std::string(BILLING_SOURCE_DIR) +
                              "/tests/e2e/parse_metrics.py < " + in.string() + " > " +
                              out.string() + " 2> " + err.string();
  const int status = std::system(command.c_str());
  std::stringstream parsed, message;
  parsed << std::ifstream(out).rdbuf();
  message << std::ifstream(err).rdbuf();
  std::filesystem::remove(in);
  std::filesystem::remove(out);
  std::filesystem::remove(err);
  EXPECT_EQ(status, 0) << message.str() << "\n" << body;
  return status == 0 ? json::parse(parsed.str()) : json::object();
}

// The value of the sample `name` whose labels include `labels`, or -1 when there is none.
double Value(const json& families, const std::string& family, const std::string& name,
             const std::map<std::string, std::string>& labels = {}) {
  auto it = families.find(family);
  if (it == families.end()) return -1;
  for (const json& sample : (*it)["samples"]) {
    if (sample[0] != name) continue;
    bool match = true;
    for (const auto& [key, value] : labels) {
      if (!sample[1].contains(key) || sample[1][key] != value) match = false;
    }
    if (match) return sample[2].get<double>();
  }
  return -1;
}

TEST(metrics_e2e, AScrapeCountsWhatTheServerDidInTheTextFormat) {
  ServerProcess server({{"BILLING_PAYMENT_MODE", "approve"}}, {"--run-interval", "off"});
  ASSERT_TRUE(server.started()) << server.Log();
  const json baseline = ParseMetrics(server.Get("/metrics").body);
  ASSERT_EQ(server.Ask("What is the balance of CUST-001?").status, 200);
  ASSERT_EQ(server.Get("/api/v1/invoices/INV-2025-001").status, 200);
  ASSERT_EQ(server.Get("/api/v1/invoices/INV-NOPE").status, 404);
  int status = 0;
  json paid = Tool(server, "process-payment",
                   {{"action", "process"},
                    {"customerId", "CUST-001"},
                    {"invoiceId", "INV-2025-001"},
                    {"amount", 10},
                    {"paymentMethod", "credit_card"}},
                   {}, &status);
  ASSERT_EQ(status, 200) << paid.dump();
  ASSERT_FALSE(paid.contains("error")) << paid.dump();
  json refused = Tool(server, "get-customer", {{"customerId", "CUST-999"}}, {}, &status);

  HttpResult scrape = server.Get("/metrics");
  ASSERT_EQ(scrape.status, 200) << scrape.body;
  EXPECT_EQ(scrape.headers["content-type"], "text/plain; version=0.0.4; charset=utf-8");
  const json families = ParseMetrics(scrape.body);
  ASSERT_FALSE(families.empty());

  // Requests by route template: the id is not a label value.
  EXPECT_EQ(Value(families, "billing_http_requests", "billing_http_requests_total",
                  {{"route", "/api/v1/invoices/:id"}, {"method", "GET"}, {"status", "200"}}),
            1);
  EXPECT_EQ(Value(families, "billing_http_requests", "billing_http_requests_total",
                  {{"route", "/api/v1/invoices/:id"}, {"method", "GET"}, {"status", "404"}}),
            1);
  EXPECT_EQ(Value(families, "billing_http_requests", "billing_http_requests_total",
                  {{"route", "/api/agents/:id/generate"}, {"status", "200"}}),
            1);
  EXPECT_EQ(scrape.body.find("INV-2025-001"), std::string::npos);
  EXPECT_EQ(families["billing_http_request_duration_seconds"]["type"], "histogram");
  EXPECT_EQ(Value(families, "billing_http_request_duration_seconds",
                  "billing_http_request_duration_seconds_count",
                  {{"route", "/api/v1/invoices/:id"}, {"method", "GET"}}),
            2);
  EXPECT_EQ(Value(families, "billing_http_request_duration_seconds",
                  "billing_http_request_duration_seconds_bucket",
                  {{"route", "/api/v1/invoices/:id"}, {"method", "GET"}, {"le", "+Inf"}}),
            2);

  // The agent's two model calls and its tool call; the tool routes' calls with their outcome.
  EXPECT_EQ(Value(families, "billing_model_calls", "billing_model_calls_total",
                  {{"model", "billing-planner"}, {"outcome", "ok"}}),
            2);
  EXPECT_EQ(Value(families, "billing_model_call_duration_seconds",
                  "billing_model_call_duration_seconds_count", {{"model", "billing-planner"}}),
            2);
  EXPECT_EQ(Value(families, "billing_tool_calls", "billing_tool_calls_total",
                  {{"tool", "get-customer"}, {"outcome", "ok"}}),
            1);
  EXPECT_EQ(Value(families, "billing_tool_calls", "billing_tool_calls_total",
                  {{"tool", "process-payment"}, {"outcome", "ok"}}),
            1);
  EXPECT_EQ(Value(families, "billing_tool_calls", "billing_tool_calls_total",
                  {{"tool", "get-customer"}, {"outcome", "not_found"}}),
            1)
      << refused.dump();
  // The payment, from the report counters: one more succeeded first attempt by card.
  const std::map<std::string, std::string> card_first_ok = {
      {"method", "credit_card"}, {"status", "succeeded"}, {"attempt", "first"}};
  EXPECT_EQ(Value(families, "billing_payments", "billing_payments_total", card_first_ok),
            Value(baseline, "billing_payments", "billing_payments_total", card_first_ok) + 1);
  const std::map<std::string, std::string> card_first_failed = {
      {"method", "credit_card"}, {"status", "failed"}, {"attempt", "first"}};
  EXPECT_EQ(Value(families, "billing_payments", "billing_payments_total", card_first_failed),
            Value(baseline, "billing_payments", "billing_payments_total", card_first_failed));
  // Every committed write is in one group of the histogram.
  const double writes = Value(families, "billing_store_writes", "billing_store_writes_total");
  EXPECT_GE(writes, 1);
  EXPECT_EQ(Value(families, "billing_group_commit_writes", "billing_group_commit_writes_sum"),
            writes);
  EXPECT_GE(Value(families, "billing_group_commit_writes", "billing_group_commit_writes_count"), 1);
  EXPECT_EQ(Value(families, "billing_database_up", "billing_database_up"), 1);
  EXPECT_GE(Value(families, "billing_subscriptions_due", "billing_subscriptions_due"), 0);
  EXPECT_EQ(
      Value(families, "billing_webhook_deliveries_pending", "billing_webhook_deliveries_pending"),
      0);
  EXPECT_EQ(Value(families, "billing_emails_pending", "billing_emails_pending"), 0);
}

TEST(metrics_e2e, TheBacklogsCountWhatWaits) {
  // A receiver that refuses everything: each event's delivery stays pending (retried later).
  WebhookReceiver receiver;
  const int port = receiver.Start();
  ASSERT_NE(port, 0);
  receiver.AnswerWith(500);
  ServerProcess server({{"BILLING_WEBHOOK_ALLOW_HOSTS", "127.0.0.1"}},
                       {"--run-interval", "off", "--today", "2026-12-07"});
  ASSERT_TRUE(server.started()) << server.Log();
  const json before = ParseMetrics(server.Get("/metrics").body);
  EXPECT_EQ(
      Value(before, "billing_webhook_deliveries_pending", "billing_webhook_deliveries_pending"), 0);
  HttpResult endpoint = server.PostJson(
      "/api/v1/webhook-endpoints", {{"url", "http://127.0.0.1:" + std::to_string(port) + "/hook"},
                                    {"enabledEvents", json::array({"invoice.created"})}});
  ASSERT_EQ(endpoint.status, 200) << endpoint.body;
  for (int i = 0; i < 3; ++i) {
    HttpResult invoice = server.PostJson("/api/v1/invoices", {{"customerId", "CUST-002"},
                                                              {"amount", std::to_string(10 + i)},
                                                              {"dueDate", "2027-01-05"}});
    ASSERT_EQ(invoice.status, 200) << invoice.body;
  }
  const json after = ParseMetrics(server.Get("/metrics").body);
  EXPECT_EQ(
      Value(after, "billing_webhook_deliveries_pending", "billing_webhook_deliveries_pending"), 3);
}

TEST(metrics_e2e, ReadersMayScrapeButNotABoundCaller) {
  ServerProcess server(std::map<std::string, std::string>{{"BILLING_AUTH", "on"}});
  ASSERT_TRUE(server.started()) << server.Log();
  EXPECT_EQ(server.Get("/metrics").status, 401);
  EXPECT_EQ(server.Get("/metrics", {{"Authorization", BearerForNewKey(server, "read")}}).status,
            200);
  CommandResult made = RunAgentCommand(
      {"keys", "create", "--db", server.db_path(), "--scopes", "read", "--customer", "CUST-001"});
  ASSERT_EQ(made.exit_code, 0) << made.err;
  EXPECT_EQ(
      server
          .Get("/metrics", {{"Authorization", "Bearer " + made.out.substr(0, made.out.find('\n'))}})
          .status,
      403);
}

}  // namespace
}  // namespace billing::e2e
