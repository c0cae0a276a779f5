// Rate limits against the real binary (http/rate_limiter.h): token buckets per client address
// and per caller, 429 with Retry-After and RateLimit-* headers; payments and refunds have their
// own stricter bucket per caller, enforced on the tool routes (429) and inside agent runs (a
// RATE_LIMITED tool result, nothing charged).
#include <gtest/gtest.h>

#include "e2e/server_harness.h"

namespace billing::e2e {
namespace {

using nlohmann::json;

std::string CreateKey(const ServerProcess& server, const std::string& name) {
  CommandResult r = RunAgentCommand({"keys", "create", "--db", server.db_path(), "--scopes",
                                     "read,payment,refund", "--name", name});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return r.out.substr(0, r.out.find('\n'));
}

std::map<std::string, std::string> Bearer(const std::string& key) {
  return {{"Authorization", "Bearer " + key}};
}

HttpResult Pay(ServerProcess& server, const std::map<std::string, std::string>& headers = {}) {
  return server.PostJson(
      "/api/tools/process-payment/execute",
      {{"data", {{"action", "process"}, {"customerId", "CUST-001"}, {"amount", "1.00"}}}}, headers);
}

size_t PaymentCount(ServerProcess& server, const std::map<std::string, std::string>& headers = {}) {
  HttpResult res =
      server.PostJson("/api/tools/process-payment/execute",
                      {{"data", {{"action", "history"}, {"customerId", "CUST-001"}}}}, headers);
  EXPECT_EQ(res.status, 200) << res.body;
  return res.Json()["payments"].size();
}

TEST(rate_limit_http, RequestsBeyondTheBurstGet429WithRetryAfter) {
  // 5 requests, then one every 12 s.
  ServerProcess server(std::map<std::string, std::string>{{"BILLING_RATE_LIMIT", "5/5"}});
  ASSERT_TRUE(server.started()) << server.Log();
  for (int i = 0; i < 5; ++i) {
    HttpResult r = server.Get("/api/tools");
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.headers["ratelimit-limit"], "5");
    EXPECT_EQ(r.headers["ratelimit-remaining"], std::to_string(4 - i));
    EXPECT_FALSE(r.headers["ratelimit-reset"].empty());
  }
  HttpResult limited = server.Get("/api/tools");
  EXPECT_EQ(limited.status, 429) << limited.body;
  const int retry_after = std::stoi(limited.headers["retry-after"]);
  EXPECT_GE(retry_after, 1);
  EXPECT_LE(retry_after, 12);
  EXPECT_EQ(limited.headers["ratelimit-remaining"], "0");
  EXPECT_NE(limited.Json()["error"].get<std::string>().find("Too many requests"),
            std::string::npos);
  // Health checks are never limited.
  EXPECT_EQ(server.Get("/health").status, 200);
  // A POST is refused before it runs: nothing is charged.
  EXPECT_EQ(Pay(server).status, 429);
}

TEST(rate_limit_http, PaymentsHaveTheirOwnStricterBucketPerCaller) {
  ServerProcess server(std::map<std::string, std::string>{{"BILLING_AUTH", "on"},
                                                          {"BILLING_PAYMENT_RATE_LIMIT", "2/1"}});
  ASSERT_TRUE(server.started()) << server.Log();
  const auto alice = Bearer(CreateKey(server, "alice"));
  const auto bob = Bearer(CreateKey(server, "bob"));
  const size_t before = PaymentCount(server, alice);
  EXPECT_EQ(Pay(server, alice).status, 200);
  EXPECT_EQ(Pay(server, alice).status, 200);
  HttpResult third = Pay(server, alice);
  EXPECT_EQ(third.status, 429) << third.body;
  EXPECT_GE(std::stoi(third.headers["retry-after"]), 1);
  EXPECT_NE(third.Json()["error"].get<std::string>().find("nothing was charged"),
            std::string::npos);
  // Reads are not payments: still allowed.
  EXPECT_EQ(PaymentCount(server, alice), before + 2);
  // Another caller has its own bucket.
  EXPECT_EQ(Pay(server, bob).status, 200);
  // Inside an agent run the refusal is a tool result; nothing is charged.
  HttpResult chat = server.PostJson(
      "/api/agents/billingApiAgent/generate",
      {{"messages",
        json::array({{{"role", "user"}, {"content", "Process a $5 payment for CUST-001"}}})}},
      alice);
  ASSERT_EQ(chat.status, 200) << chat.body;
  const json result = chat.Json()["toolResults"][0]["result"];
  EXPECT_EQ(result["code"], "RATE_LIMITED") << result;
  EXPECT_EQ(PaymentCount(server, alice), before + 3);
}

TEST(rate_limit_http, BadRateLimitSettingRefusesToStart) {
  CommandResult r = RunAgentCommand({"--port", "0", "--db", "/tmp/billing-rate-limit-unused.db"},
                                    {{"BILLING_RATE_LIMIT", "lots"}}, 20000);
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE((r.err + r.out).find("BILLING_RATE_LIMIT must be BURST/PER_MINUTE"), std::string::npos)
      << r.err << r.out;
}

}  // namespace
}  // namespace billing::e2e
