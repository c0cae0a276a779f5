// The audit log end to end: the real binary makes a payment over HTTP, and the audit command
// (called in-process on the server's database, since `billing-agent audit` is not wired into
// main.cc yet) finds the change in a verified chain.
#include <gtest/gtest.h>

#include <sstream>

#include "app/audit_command.h"
#include "e2e/server_harness.h"

namespace billing::e2e {
namespace {

using nlohmann::json;

TEST(audit_e2e, PaymentOverHttpIsAuditedAndTheChainVerifies) {
  std::string db;
  {
    ServerProcess server;
    ASSERT_TRUE(server.started()) << server.Log();
    db = server.db_path();
    HttpResult res = server.PostJson(
        "/api/tools/process-payment/execute",
        {{"data", {{"action", "process"}, {"customerId", "CUST-003"}, {"amount", 100}}}},
        {{"X-Request-Id", "req-e2e-audit-1"}});
    ASSERT_EQ(res.status, 200) << res.body;
    EXPECT_EQ(res.headers["x-request-id"], "req-e2e-audit-1");
    std::ostringstream out, err;
    EXPECT_EQ(RunAuditCommand(db, {"verify"}, out, err), 0) << out.str() << err.str();
    EXPECT_EQ(out.str(), "audit chain OK: 2 rows\n");  // seed.load + payment.process
    std::ostringstream list;
    EXPECT_EQ(RunAuditCommand(db, {"list", "--after", "1"}, list, err), 0) << err.str();
    json row = json::parse(list.str());
    EXPECT_EQ(row["seq"], 2);
    EXPECT_EQ(row["action"], "payment.process");
    EXPECT_EQ(row["entityType"], "payment");
    EXPECT_EQ(row["after"]["customerId"], "CUST-003");
    EXPECT_EQ(row["after"]["amountCents"], 10000);
    EXPECT_EQ(row["requestId"], "req-e2e-audit-1");  // the change names the request that made it
    // Without X-Request-Id the server makes one up, and says so.
    HttpResult plain = server.Get("/api/tools");
    EXPECT_EQ(plain.headers["x-request-id"].rfind("req_", 0), 0u);
    // Streamed answers carry it too.
    HttpResult streamed = server.PostJson("/api/agents/billingApiAgent/stream", {{"messages", "hi"}},
                                          {{"X-Request-Id", "req-stream-1"}});
    EXPECT_EQ(streamed.headers["x-request-id"], "req-stream-1");
  }
}

TEST(audit_e2e, CommandVerifiesAndTheRouteIsForAdminsOnly) {
  ServerProcess server(std::map<std::string, std::string>{{"BILLING_AUTH", "on"}});
  ASSERT_TRUE(server.started()) << server.Log();
  auto create_key = [&](const std::string& scopes) {
    CommandResult r = RunAgentCommand({"keys", "create", "--db", server.db_path(), "--scopes", scopes});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r.out.substr(0, r.out.find('\n'));
  };
  const std::string admin = create_key("admin");
  const std::string payment = create_key("read,payment");
  HttpResult pay = server.PostJson(
      "/api/tools/process-payment/execute",
      {{"data", {{"action", "process"}, {"customerId", "CUST-003"}, {"amount", "25.00"}}}},
      {{"Authorization", "Bearer " + payment}});
  ASSERT_EQ(pay.status, 200) << pay.body;

  CommandResult verify = RunAgentCommand({"audit", "verify", "--db", server.db_path()});
  EXPECT_EQ(verify.exit_code, 0) << verify.out << verify.err;
  EXPECT_EQ(verify.out, "audit chain OK: 2 rows\n");

  EXPECT_EQ(server.Get("/api/audit", {{"Authorization", "Bearer " + payment}}).status, 403);
  HttpResult audit = server.Get("/api/audit", {{"Authorization", "Bearer " + admin}});
  ASSERT_EQ(audit.status, 200) << audit.body;
  const nlohmann::json entries = audit.Json()["entries"];
  ASSERT_EQ(entries.size(), 2u) << audit.body;
  EXPECT_EQ(entries[1]["action"], "payment.process");
  EXPECT_EQ(entries[1]["actor"], "key:" + payment.substr(0, 11));
}

}  // namespace
}  // namespace billing::e2e
