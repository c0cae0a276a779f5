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

  // The same check over HTTP (the console's "Verify chain"), for administrators only.
  HttpResult verified = server.Get("/api/audit/verify", {{"Authorization", "Bearer " + admin}});
  ASSERT_EQ(verified.status, 200) << verified.body;
  EXPECT_EQ(verified.Json()["ok"], true);
  EXPECT_EQ(verified.Json()["rowsChecked"], 2);
  EXPECT_TRUE(verified.Json()["firstBrokenSeq"].is_null());
  EXPECT_EQ(server.Get("/api/audit/verify", {{"Authorization", "Bearer " + payment}}).status, 403);
  EXPECT_EQ(server
                .Request("POST", "/api/audit/verify", "{}",
                         {{"Authorization", "Bearer " + admin}, {"Content-Type", "application/json"}})
                .status,
            405);
}

// Issue #17: the audit log names the credential that acted, and the end user it claims apart.
class ActorE2e : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(server_.started()) << server_.Log(); }
  std::string CreateKey(const std::string& scopes) {
    CommandResult r =
        RunAgentCommand({"keys", "create", "--db", server_.db_path(), "--scopes", scopes});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r.out.substr(0, r.out.find('\n'));
  }
  static std::string PrincipalOf(const std::string& key) { return "key:" + key.substr(0, 11); }
  static std::map<std::string, std::string> Bearer(const std::string& key) {
    return {{"Authorization", "Bearer " + key}};
  }
  static json Sender(const std::string& uid) {
    return {{"cometchatContext", {{"sender", {{"uid", uid}, {"role", "admin"}}}}}};
  }
  json Audit(const std::string& admin, const std::string& query = "") {
    HttpResult r = server_.Get("/api/audit" + query, Bearer(admin));
    EXPECT_EQ(r.status, 200) << r.body;
    return r.Json();
  }
  int64_t PaymentCount(const std::string& key) {
    HttpResult r = server_.PostJson(
        "/api/tools/process-payment/execute",
        {{"data", {{"action", "history"}, {"customerId", "CUST-003"}}}}, Bearer(key));
    return r.Json().value("count", int64_t(-1));
  }

  ServerProcess server_{std::map<std::string, std::string>{{"BILLING_AUTH", "on"}}};
};

TEST_F(ActorE2e, TheKeyIsTheActorAndTheCometChatSenderIsAClaimApart) {
  const std::string admin = CreateKey("admin");
  // The request: an admin key, a CometChat sender, a $5 payment.
  HttpResult r = server_.PostJson(
      "/api/agents/billingApiAgent/generate",
      {{"messages", "Process a $5 credit card payment for customer CUST-003"},
       {"runtimeContext", Sender("ceo-of-company")}},
      Bearer(admin));
  ASSERT_EQ(r.status, 200) << r.body;
  const json payment = r.Json()["toolResults"][0]["result"]["payment"];
  ASSERT_TRUE(payment.is_object()) << r.body;
  EXPECT_EQ(payment["createdBy"], PrincipalOf(admin));
  EXPECT_EQ(payment["onBehalfOf"], json({{"id", "cometchat:ceo-of-company"}, {"claim", true}}));

  const json entries = Audit(admin)["entries"];
  ASSERT_EQ(entries.size(), 2u);  // seed.load + payment.process
  const json& row = entries[1];
  EXPECT_EQ(row["action"], "payment.process");
  EXPECT_EQ(row["actor"], PrincipalOf(admin));
  EXPECT_EQ(row["onBehalfOf"], json({{"id", "cometchat:ceo-of-company"}, {"claim", true}}));
  EXPECT_EQ(row["chainVersion"], 2);
  EXPECT_EQ(row["after"]["actor"], PrincipalOf(admin));
  EXPECT_EQ(row["after"]["onBehalfOf"], "cometchat:ceo-of-company");
  EXPECT_EQ(entries[0]["actor"], "seed");
  EXPECT_TRUE(entries[0]["onBehalfOf"].is_null());

  // The CLI shows both too, and the chain verifies.
  CommandResult list = RunAgentCommand(
      {"audit", "list", "--db", server_.db_path(), "--actor", PrincipalOf(admin)});
  ASSERT_EQ(list.exit_code, 0) << list.err;
  const json listed = json::parse(list.out);
  EXPECT_EQ(listed["seq"], 2);
  EXPECT_EQ(listed["onBehalfOf"]["id"], "cometchat:ceo-of-company");
  CommandResult verify = RunAgentCommand({"audit", "verify", "--db", server_.db_path()});
  EXPECT_EQ(verify.exit_code, 0) << verify.out << verify.err;
  EXPECT_EQ(verify.out, "audit chain OK: 2 rows\n");
}

TEST_F(ActorE2e, FilteringByActorFindsEveryChangeOfAKeyWhateverItClaimed) {
  const std::string admin = CreateKey("admin");
  const std::string bot = CreateKey("read,invoice,payment,act_on_behalf");
  const std::string other = CreateKey("read,payment");
  auto pay = [&](const std::string& key, const json& context, const std::string& amount) {
    json body = {{"data", {{"action", "process"}, {"customerId", "CUST-003"}, {"amount", amount}}}};
    if (!context.is_null()) body["requestContext"] = context;
    HttpResult r = server_.PostJson("/api/tools/process-payment/execute", body, Bearer(key));
    EXPECT_EQ(r.status, 200) << r.body;
  };
  pay(bot, Sender("alice"), "1.00");
  pay(bot, Sender("bob"), "2.00");
  pay(bot, json{{"userId", "carol"}}, "3.00");
  pay(bot, nullptr, "4.00");
  pay(other, nullptr, "5.00");

  const json mine = Audit(admin, "?actor=" + PrincipalOf(bot))["entries"];
  ASSERT_EQ(mine.size(), 4u);
  EXPECT_EQ(mine[0]["onBehalfOf"]["id"], "cometchat:alice");
  EXPECT_EQ(mine[1]["onBehalfOf"]["id"], "cometchat:bob");
  EXPECT_EQ(mine[2]["onBehalfOf"]["id"], "user:carol");
  EXPECT_TRUE(mine[3]["onBehalfOf"].is_null());
  for (const json& e : mine) EXPECT_EQ(e["actor"], PrincipalOf(bot));

  const json others = Audit(admin, "?actor=" + PrincipalOf(other))["entries"];
  ASSERT_EQ(others.size(), 1u);
  EXPECT_EQ(others[0]["after"]["amountCents"], 500);

  // By claimed end user (percent-encoded), and both filters together.
  const json bobs = Audit(admin, "?onBehalfOf=cometchat%3Abob")["entries"];
  ASSERT_EQ(bobs.size(), 1u);
  EXPECT_EQ(bobs[0]["after"]["amountCents"], 200);
  EXPECT_EQ(Audit(admin, "?actor=" + PrincipalOf(other) + "&onBehalfOf=cometchat:bob")["entries"]
                .size(),
            0u);
  // Paging a filtered log: hasMore while a page is full.
  const json page = Audit(admin, "?actor=" + PrincipalOf(bot) + "&limit=3");
  EXPECT_EQ(page["entries"].size(), 3u);
  EXPECT_EQ(page["hasMore"], true);
  const json rest =
      Audit(admin, "?actor=" + PrincipalOf(bot) + "&after=" + page["nextAfter"].dump());
  EXPECT_EQ(rest["entries"].size(), 1u);
  EXPECT_EQ(rest["hasMore"], false);
  EXPECT_EQ(server_.Get("/api/audit?actor=", Bearer(admin)).status, 400);
}

TEST_F(ActorE2e, AClaimWithoutTheActOnBehalfScopeIsRefusedAndChangesNothing) {
  const std::string admin = CreateKey("admin");
  const std::string leaked = CreateKey("read,invoice,payment");
  const int64_t payments_before = PaymentCount(admin);
  const size_t audit_before = Audit(admin)["entries"].size();

  // Generate (0.x runtimeContext and 1.x requestContext), stream, and the tool route.
  for (const char* key : {"runtimeContext", "requestContext"}) {
    HttpResult r = server_.PostJson(
        "/api/agents/billingApiAgent/generate",
        {{"messages", "Process a $5 credit card payment for customer CUST-003"},
         {key, Sender("ceo-of-company")}},
        Bearer(leaked));
    EXPECT_EQ(r.status, 403) << key << ": " << r.body;
    EXPECT_NE(r.Json().value("error", "").find("act_on_behalf"), std::string::npos) << r.body;
  }
  HttpResult streamed = server_.PostJson(
      "/api/agents/billingApiAgent/stream",
      {{"messages", "Process a $5 credit card payment for customer CUST-003"},
       {"requestContext", Sender("ceo-of-company")}},
      Bearer(leaked));
  EXPECT_EQ(streamed.status, 403) << streamed.body;
  HttpResult tool = server_.PostJson(
      "/api/tools/process-payment/execute",
      {{"data", {{"action", "process"}, {"customerId", "CUST-003"}, {"amount", "5.00"}}},
       {"requestContext", json{{"userId", "ceo-of-company"}}}},
      Bearer(leaked));
  EXPECT_EQ(tool.status, 403) << tool.body;

  EXPECT_EQ(PaymentCount(admin), payments_before);
  EXPECT_EQ(Audit(admin)["entries"].size(), audit_before);

  // The same key without a claim works, and is recorded as itself.
  HttpResult plain = server_.PostJson(
      "/api/tools/process-payment/execute",
      {{"data", {{"action", "process"}, {"customerId", "CUST-003"}, {"amount", "5.00"}}}},
      Bearer(leaked));
  ASSERT_EQ(plain.status, 200) << plain.body;
  EXPECT_EQ(plain.Json()["payment"]["createdBy"], PrincipalOf(leaked));
  EXPECT_FALSE(plain.Json()["payment"].contains("onBehalfOf"));
  // A claimed id that is not a string is a clear 400.
  HttpResult bad = server_.PostJson(
      "/api/tools/get-customer/execute",
      {{"data", {{"customerId", "CUST-003"}}}, {"requestContext", json{{"userId", json::array()}}}},
      Bearer(admin));
  EXPECT_EQ(bad.status, 400) << bad.body;
  EXPECT_NE(bad.Json().value("error", "").find("requestContext.userId"), std::string::npos);
  // A claimed sender over 256 bytes is refused too (it used to be dropped silently).
  HttpResult long_uid = server_.PostJson(
      "/api/tools/process-payment/execute",
      {{"data", {{"action", "process"}, {"customerId", "CUST-003"}, {"amount", "5.00"}}},
       {"runtimeContext", Sender(std::string(300, 'u'))}},
      Bearer(admin));
  EXPECT_EQ(long_uid.status, 400) << long_uid.body;
  EXPECT_NE(long_uid.Json().value("error", "").find("at most 256 bytes"), std::string::npos);
  EXPECT_EQ(PaymentCount(admin), payments_before + 1);  // only the plain payment above
  // The audit filters name their rule.
  CommandResult empty_actor =
      RunAgentCommand({"audit", "list", "--db", server_.db_path(), "--actor", ""});
  EXPECT_EQ(empty_actor.exit_code, 2);
  EXPECT_NE(empty_actor.err.find("--actor must be an id of 1 to 256 characters"), std::string::npos)
      << empty_actor.err;
  EXPECT_EQ(server_.Get("/api/audit?onBehalfOf=" + std::string(300, 'x'), Bearer(admin)).status,
            400);
}

TEST(audit_e2e, DevelopmentModeRecordsTheDevPrincipal) {
  ServerProcess server;
  ASSERT_TRUE(server.started()) << server.Log();
  HttpResult r = server.PostJson(
      "/api/tools/process-payment/execute",
      {{"data", {{"action", "process"}, {"customerId", "CUST-003"}, {"amount", "1.00"}}},
       {"runtimeContext", {{"cometchatContext", {{"sender", {{"uid", "u1"}}}}}}}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.Json()["payment"]["createdBy"], "dev");
  EXPECT_EQ(r.Json()["payment"]["onBehalfOf"]["id"], "cometchat:u1");
}

}  // namespace
}  // namespace billing::e2e
