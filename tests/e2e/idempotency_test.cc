// Idempotency-Key against the real binary (http/idempotency.h): a replay returns the stored
// response with Idempotent-Replayed: true and changes nothing; the same key with another body is
// 422; a retry while the first request runs is 409; keys are per caller; a conversation's repeated
// tool call id never charges twice; a stored response survives a restart.
#include <gtest/gtest.h>

#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <thread>

#include "e2e/server_harness.h"
#include "fake_openai/fake_openai_server.h"

namespace billing::e2e {
namespace {

using fake_openai::FakeOpenAiServer;
using fake_openai::ScriptedReply;
using nlohmann::json;

const json kPayment = {{"data",
                        {{"action", "process"},
                         {"customerId", "CUST-001"},
                         {"amount", "100.00"},
                         {"paymentMethod", "credit_card"}}}};

HttpResult PayWithKey(ServerProcess& server, const std::string& key, const json& body = kPayment,
                      std::map<std::string, std::string> headers = {}) {
  headers["Idempotency-Key"] = key;
  return server.PostJson("/api/tools/process-payment/execute", body, headers);
}

// The payments of CUST-001 (newest first) as the server reports them.
json Payments(ServerProcess& server) {
  HttpResult res = server.PostJson("/api/tools/process-payment/execute",
                                   {{"data", {{"action", "history"}, {"customerId", "CUST-001"}}}});
  EXPECT_EQ(res.status, 200) << res.body;
  return res.Json()["payments"];
}

TEST(idempotency_http, ReplayReturnsTheFirstResponseAndChargesOnce) {
  ServerProcess server;
  ASSERT_TRUE(server.started()) << server.Log();
  const size_t before = Payments(server).size();
  HttpResult first = PayWithKey(server, "order-7f3a-payment-1");
  ASSERT_EQ(first.status, 200) << first.body;
  EXPECT_EQ(first.Json()["success"], true);
  EXPECT_EQ(first.headers.count("idempotent-replayed"), 0u);
  HttpResult again = PayWithKey(server, "order-7f3a-payment-1");
  ASSERT_EQ(again.status, 200) << again.body;
  EXPECT_EQ(again.headers["idempotent-replayed"], "true");
  EXPECT_EQ(again.body, first.body);  // byte for byte
  EXPECT_EQ(Payments(server).size(), before + 1);
  // A new key is a new payment.
  HttpResult other = PayWithKey(server, "order-7f3a-payment-2");
  ASSERT_EQ(other.status, 200) << other.body;
  EXPECT_NE(other.Json()["payment"]["id"], first.Json()["payment"]["id"]);
  EXPECT_EQ(Payments(server).size(), before + 2);
}

TEST(idempotency_http, SameKeyWithAnotherBodyIs422AndChangesNothing) {
  ServerProcess server;
  ASSERT_TRUE(server.started()) << server.Log();
  ASSERT_EQ(PayWithKey(server, "k-mismatch").status, 200);
  const size_t after_first = Payments(server).size();
  json other = kPayment;
  other["data"]["amount"] = "999.00";
  HttpResult res = PayWithKey(server, "k-mismatch", other);
  EXPECT_EQ(res.status, 422) << res.body;
  EXPECT_NE(res.Json()["error"].get<std::string>().find("same parameters"), std::string::npos);
  EXPECT_EQ(Payments(server).size(), after_first);
}

TEST(idempotency_http, MalformedKeyIs400) {
  ServerProcess server;
  ASSERT_TRUE(server.started()) << server.Log();
  const size_t before = Payments(server).size();
  HttpResult res = PayWithKey(server, std::string(300, 'k'));
  EXPECT_EQ(res.status, 400) << res.body;
  EXPECT_NE(res.Json()["error"].get<std::string>().find("Idempotency-Key"), std::string::npos);
  EXPECT_EQ(Payments(server).size(), before);
}

TEST(idempotency_http, KeysBelongToTheirCaller) {
  ServerProcess server(std::map<std::string, std::string>{{"BILLING_AUTH", "on"}});
  ASSERT_TRUE(server.started()) << server.Log();
  CommandResult a = RunAgentCommand(
      {"keys", "create", "--db", server.db_path(), "--name", "a", "--scopes", "read,payment"});
  CommandResult b = RunAgentCommand(
      {"keys", "create", "--db", server.db_path(), "--name", "b", "--scopes", "read,payment"});
  ASSERT_EQ(a.exit_code, 0) << a.err;
  ASSERT_EQ(b.exit_code, 0) << b.err;
  auto bearer = [](const CommandResult& r) {
    std::string key = r.out.substr(r.out.find("bk_"));
    key = key.substr(0, key.find_first_of(" \n"));
    return std::map<std::string, std::string>{{"Authorization", "Bearer " + key}};
  };
  HttpResult first = PayWithKey(server, "shared-key", kPayment, bearer(a));
  HttpResult second = PayWithKey(server, "shared-key", kPayment, bearer(b));
  ASSERT_EQ(first.status, 200) << first.body;
  ASSERT_EQ(second.status, 200) << second.body;
  EXPECT_EQ(second.headers.count("idempotent-replayed"), 0u);
  EXPECT_NE(first.Json()["payment"]["id"], second.Json()["payment"]["id"]);
}

TEST(idempotency_http, ParallelRetriesOfOneKeyChargeOnce) {
  ServerProcess server;
  ASSERT_TRUE(server.started()) << server.Log();
  const size_t before = Payments(server).size();
  std::atomic<int> ok{0}, conflict{0}, other{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 20; ++i) {
    threads.emplace_back([&] {
      HttpResult r = PayWithKey(server, "parallel-key");
      if (r.status == 200) {
        ++ok;
      } else if (r.status == 409) {
        ++conflict;
      } else {
        ++other;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(other.load(), 0);
  EXPECT_GE(ok.load(), 1);
  EXPECT_EQ(ok.load() + conflict.load(), 20);
  EXPECT_EQ(Payments(server).size(), before + 1);
}

TEST(idempotency_http, ReplaySurvivesARestart) {
  // A database outside the first server's temporary directory (which its destructor removes).
  const std::string db =
      ::testing::TempDir() + "billing-idempotency-restart-" + std::to_string(::getpid()) + ".db";
  for (const char* suffix : {"", "-wal", "-shm"}) std::remove((db + suffix).c_str());
  std::string first_body;
  {
    ServerProcess server({}, {}, db);
    ASSERT_TRUE(server.started()) << server.Log();
    HttpResult first = PayWithKey(server, "restart-key");
    ASSERT_EQ(first.status, 200) << first.body;
    first_body = first.body;
    server.Kill();
  }
  ServerProcess restarted({}, {}, db);
  ASSERT_TRUE(restarted.started()) << restarted.Log();
  HttpResult again = PayWithKey(restarted, "restart-key");
  ASSERT_EQ(again.status, 200) << again.body;
  EXPECT_EQ(again.headers["idempotent-replayed"], "true");
  EXPECT_EQ(again.body, first_body);
  for (const char* suffix : {"", "-wal", "-shm"}) std::remove((db + suffix).c_str());
}

// The agent routes: the whole answer (JSON or the event stream) is stored and replayed.
void ExpectAgentRouteReplayed(const std::string& route) {
  ServerProcess server;
  ASSERT_TRUE(server.started()) << server.Log();
  const size_t before = Payments(server).size();
  const json body = {
      {"messages",
       json::array(
           {{{"role", "user"}, {"content", "Process a $100 credit card payment for CUST-001"}}})}};
  const std::string target = "/api/agents/billingApiAgent/" + route;
  HttpResult first = server.PostJson(target, body, {{"Idempotency-Key", route + "-turn-1"}});
  ASSERT_EQ(first.status, 200) << first.body;
  HttpResult again = server.PostJson(target, body, {{"Idempotency-Key", route + "-turn-1"}});
  ASSERT_EQ(again.status, 200) << again.body;
  EXPECT_EQ(again.headers["idempotent-replayed"], "true");
  EXPECT_EQ(again.headers["content-type"], first.headers["content-type"]);
  EXPECT_EQ(again.body, first.body);
  EXPECT_EQ(Payments(server).size(), before + 1);
}

TEST(idempotency_http, GenerateWithAKeyIsReplayed) { ExpectAgentRouteReplayed("generate"); }
TEST(idempotency_http, StreamWithAKeyIsReplayed) { ExpectAgentRouteReplayed("stream"); }

class idempotency_openai : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string error;
    ASSERT_TRUE(fake_.Start(&error)) << error;
  }
  std::map<std::string, std::string> Env() {
    return {{"OPENAI_API_KEY", "test-key"},
            {"OPENAI_BASE_URL", fake_.base_url()},
            {"BILLING_MODEL", "openai/gpt-4o-mini"},
            {"BILLING_MODEL_TIMEOUT_MS", "10000"}};
  }
  FakeOpenAiServer fake_;
};

TEST_F(idempotency_openai, RetryWhileTheFirstIsRunningIs409) {
  ServerProcess server(Env());
  ASSERT_TRUE(server.started()) << server.Log();
  ScriptedReply slow = ScriptedReply::Text("Done.");
  slow.delay_ms = 1500;  // holds the first request in flight
  fake_.Enqueue(slow);
  const json body = {{"messages", "Hello"}};
  HttpResult first;
  std::thread runner([&] {
    first = server.PostJson("/api/agents/billingApiAgent/generate", body,
                            {{"Idempotency-Key", "slow-1"}});
  });
  // Bounded wait until the fake has the first request, so the retry surely overlaps it.
  for (int i = 0; i < 200 && fake_.request_count() == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_EQ(fake_.request_count(), 1u);
  HttpResult retry = server.PostJson("/api/agents/billingApiAgent/generate", body,
                                     {{"Idempotency-Key", "slow-1"}});
  runner.join();
  EXPECT_EQ(retry.status, 409) << retry.body;
  EXPECT_NE(retry.Json()["error"].get<std::string>().find("still being processed"),
            std::string::npos);
  ASSERT_EQ(first.status, 200) << first.body;
  // After it finished, the retry gets the stored answer; the model is not asked again.
  HttpResult later = server.PostJson("/api/agents/billingApiAgent/generate", body,
                                     {{"Idempotency-Key", "slow-1"}});
  EXPECT_EQ(later.status, 200);
  EXPECT_EQ(later.headers["idempotent-replayed"], "true");
  EXPECT_EQ(fake_.request_count(), 1u);
}

TEST_F(idempotency_openai, RepeatedToolCallIdInAThreadChargesOnce) {
  ServerProcess server(Env());
  ASSERT_TRUE(server.started()) << server.Log();
  const std::string pay =
      R"({"action":"process","customerId":"CUST-001","amount":"100.00","paymentMethod":"credit_card"})";
  // The model sends the same tool call (same id) in two turns of one thread, as a model replaying
  // its history or a retried turn would.
  for (int turn = 0; turn < 2; ++turn) {
    fake_.Enqueue(ScriptedReply::ToolCalls({{"call_pay_1", "processPaymentTool", pay}}));
    fake_.Enqueue(ScriptedReply::Text("Payment done."));
  }
  const size_t before = Payments(server).size();
  json results[2];
  for (int turn = 0; turn < 2; ++turn) {
    HttpResult res = server.PostJson("/api/agents/billingApiAgent/generate",
                                     {{"messages", "Pay $100 for CUST-001"},
                                      {"memory", {{"thread", "t-1"}, {"resource", "user-1"}}}});
    ASSERT_EQ(res.status, 200) << res.body;
    results[turn] = res.Json()["toolResults"][0]["result"];
  }
  EXPECT_EQ(results[0]["success"], true) << results[0];
  EXPECT_EQ(results[1]["replayed"], true) << results[1];
  EXPECT_EQ(results[1]["payment"]["id"], results[0]["payment"]["id"]);
  EXPECT_EQ(Payments(server).size(), before + 1);
  // The same call id in another thread is another payment.
  fake_.Enqueue(ScriptedReply::ToolCalls({{"call_pay_1", "processPaymentTool", pay}}));
  fake_.Enqueue(ScriptedReply::Text("Payment done."));
  HttpResult other = server.PostJson("/api/agents/billingApiAgent/generate",
                                     {{"messages", "Pay $100 for CUST-001"},
                                      {"memory", {{"thread", "t-2"}, {"resource", "user-1"}}}});
  ASSERT_EQ(other.status, 200) << other.body;
  EXPECT_EQ(Payments(server).size(), before + 2);
}

}  // namespace
}  // namespace billing::e2e
