// Payment data against the real binary: card details taken by the tool API are sealed at rest
// (the number is nowhere in the database files), only brand and last four digits leave the
// server; a card number typed into a chat is redacted before it reaches the model, the memory
// store or the logs; `billing-agent data-key rotate` re-seals stored cards with a new key.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>

#include "e2e/server_harness.h"
#include "fake_openai/fake_openai_server.h"
#include "testing/raw_db.h"
#include "testing/test_backend.h"

namespace billing::e2e {
namespace {

using fake_openai::FakeOpenAiServer;
using fake_openai::ScriptedReply;
using nlohmann::json;

const std::string kCard = "4242424242424242";
const std::string kOldKey = "old:" + std::string(64, '3');
const std::string kNewKey = "new:" + std::string(64, '4');

// What is at rest: on SQLite every byte of the database file and its WAL (free pages included);
// on PostgreSQL every value of every table of the database, as text.
std::string DatabaseBytes(const std::string& db) {
  if (test_support::IsPostgresDb(db)) return test_support::RawDb(db).AllTablesText();
  std::string all;
  for (const char* suffix : {"", "-wal", "-shm"}) {
    std::ifstream in(db + suffix, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    all += s.str();
  }
  return all;
}

HttpResult PayWithCard(ServerProcess& server, const json& card) {
  return server.PostJson(
      "/api/tools/process-payment/execute",
      {{"data",
        {{"action", "process"}, {"customerId", "CUST-001"}, {"amount", "25.00"}, {"card", card}}}});
}

TEST(payment_data, CardsAreSealedAtRestAndShownAsBrandAndLastFour) {
  ServerProcess server;
  ASSERT_TRUE(server.started()) << server.Log();
  HttpResult paid =
      PayWithCard(server, {{"number", "4242 4242 4242 4242"}, {"expMonth", 12}, {"expYear", 2028}});
  ASSERT_EQ(paid.status, 200) << paid.body;
  const json result = paid.Json();
  ASSERT_EQ(result["success"], true) << result;
  EXPECT_EQ(result["payment"]["card"],
            json({{"paymentMethodId", "PM-001"}, {"brand", "visa"}, {"last4", "4242"}}));
  EXPECT_EQ(paid.body.find(kCard), std::string::npos);
  // Charge the stored card again by id.
  HttpResult again =
      server.PostJson("/api/tools/process-payment/execute", {{"data",
                                                              {{"action", "process"},
                                                               {"customerId", "CUST-001"},
                                                               {"amount", "5.00"},
                                                               {"paymentMethodId", "PM-001"}}}});
  ASSERT_EQ(again.status, 200) << again.body;
  EXPECT_EQ(again.Json()["payment"]["card"]["last4"], "4242");
  HttpResult customer =
      server.PostJson("/api/tools/get-customer/execute", {{"data", {{"customerId", "CUST-001"}}}});
  EXPECT_EQ(customer.Json()["customer"]["cards"][0]["last4"], "4242");
  EXPECT_EQ(customer.body.find(kCard), std::string::npos);
  // An invalid number is refused without being echoed, in the message or the log.
  HttpResult bad =
      PayWithCard(server, {{"number", "4242424242424241"}, {"expMonth", 12}, {"expYear", 2028}});
  EXPECT_EQ(bad.Json()["field"], "card.number");
  EXPECT_EQ(bad.body.find("4242424242424241"), std::string::npos);
  HttpResult audit = server.Get("/api/audit?limit=100");
  ASSERT_EQ(audit.status, 200);
  EXPECT_EQ(audit.body.find(kCard), std::string::npos);

  const std::string db = server.db_path();
  server.Kill();
  const std::string bytes = DatabaseBytes(db);
  EXPECT_EQ(bytes.find(kCard), std::string::npos);
  EXPECT_NE(bytes.find("v1:"), std::string::npos);  // the sealed details are there
  EXPECT_EQ(server.Log().find(kCard), std::string::npos);
}

TEST(payment_data, CardNumbersInChatNeverReachTheModelMemoryOrLogs) {
  FakeOpenAiServer fake;
  std::string error;
  ASSERT_TRUE(fake.Start(&error)) << error;
  ServerProcess server({{"OPENAI_API_KEY", "test-key"},
                        {"OPENAI_BASE_URL", fake.base_url()},
                        {"BILLING_MODEL", "openai/gpt-4o-mini"},
                        {"LOG_LEVEL", "debug"}});
  ASSERT_TRUE(server.started()) << server.Log();
  // The model tries to repeat a card number: that is redacted too.
  fake.Enqueue(ScriptedReply::Text("Your card 4000 0566 5566 5556 cannot be taken in chat."));
  HttpResult res =
      server.PostJson("/api/agents/billingApiAgent/generate",
                      {{"messages", "Charge my card 4242 4242 4242 4242 exp 12/28 for CUST-001"},
                       {"memory", {{"thread", "t-card"}, {"resource", "user-1"}}}});
  ASSERT_EQ(res.status, 200) << res.body;
  EXPECT_EQ(res.Json()["text"], "Your card [card ending 5556] cannot be taken in chat.");
  ASSERT_EQ(fake.requests().size(), 1u);
  const std::string to_model = fake.requests()[0].body;
  EXPECT_EQ(to_model.find("4242 4242 4242 4242"), std::string::npos);
  EXPECT_NE(to_model.find("[card ending 4242]"), std::string::npos) << to_model;
  HttpResult memory = server.Get("/api/memory/threads/t-card/messages?agentId=billingApiAgent");
  ASSERT_EQ(memory.status, 200) << memory.body;
  EXPECT_NE(memory.body.find("[card ending 4242]"), std::string::npos) << memory.body;
  for (const char* leaked : {"4242 4242 4242 4242", "4000 0566 5566 5556"}) {
    EXPECT_EQ(memory.body.find(leaked), std::string::npos);
    EXPECT_EQ(res.body.find(leaked), std::string::npos);
    EXPECT_EQ(server.Log().find(leaked), std::string::npos);
  }
  const std::string db = server.db_path();
  server.Kill();
  EXPECT_EQ(DatabaseBytes(db).find("4242 4242 4242 4242"), std::string::npos);
}

TEST(payment_data, RotateCommandReSealsStoredCardsWithTheNewKey) {
  const std::string db = test_support::TestDbPath(::testing::TempDir() + "billing-rotate-" +
                                                  std::to_string(::getpid()) + ".db");
  for (const char* suffix : {"", "-wal", "-shm"}) std::remove((db + suffix).c_str());
  {
    ServerProcess server({{"BILLING_DATA_KEYS", kOldKey}}, {}, db);
    ASSERT_TRUE(server.started()) << server.Log();
    ASSERT_EQ(PayWithCard(server, {{"number", kCard}, {"expMonth", 12}, {"expYear", 2028}})
                  .Json()["success"],
              true);
    server.Kill();
  }
  EXPECT_NE(DatabaseBytes(db).find("v1:old:"), std::string::npos);
  CommandResult rotated = RunAgentCommand({"data-key", "rotate", "--db", db},
                                          {{"BILLING_DATA_KEYS", kNewKey + "," + kOldKey}});
  ASSERT_EQ(rotated.exit_code, 0) << rotated.err;
  EXPECT_EQ(rotated.out, "re-sealed 1 card(s) with key new\n");
  {
    // The old key is gone: the stored card still works.
    ServerProcess server({{"BILLING_DATA_KEYS", kNewKey}}, {}, db);
    ASSERT_TRUE(server.started()) << server.Log();
    HttpResult again =
        server.PostJson("/api/tools/process-payment/execute", {{"data",
                                                                {{"action", "process"},
                                                                 {"customerId", "CUST-001"},
                                                                 {"amount", "1.00"},
                                                                 {"paymentMethodId", "PM-001"}}}});
    EXPECT_EQ(again.Json()["success"], true) << again.body;
    server.Kill();
  }
  const std::string bytes = DatabaseBytes(db);
  EXPECT_EQ(bytes.find(kCard), std::string::npos);
  CommandResult generated = RunAgentCommand({"data-key", "generate", "--id", "k2027"});
  ASSERT_EQ(generated.exit_code, 0) << generated.err;
  EXPECT_EQ(generated.out.size(), std::string("k2027:").size() + 64 + 1);
  for (const char* suffix : {"", "-wal", "-shm"}) std::remove((db + suffix).c_str());
  std::remove((db + ".keys").c_str());
}

}  // namespace
}  // namespace billing::e2e
