// Many instances, one truth (issue #11): two billing-agent processes on one PostgreSQL database,
// with requests split across them, keep every guarantee one instance gives.
//
// Method: each test creates a fresh database on the server scripts/pg-test-server.sh starts
// (BILLING_TEST_PG_URL), starts instance A on it (which migrates it and loads the sample data),
// then instance B (which finds it migrated), and sends its requests alternately to A and B from
// 50 threads. What must hold is read back through the API and `billing-agent audit verify`.
//
// What this cannot prove: that no interleaving breaks them (50 racing requests find the common
// ones; the writers' lock of pg_pool.h is the argument for the rest), nor anything about
// instances on different machines beyond what one PostgreSQL serialises for them.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <set>
#include <thread>

#include "e2e/server_harness.h"
#include "fake_openai/fake_openai_server.h"
#include "store/migrations.h"
#include "testing/raw_db.h"
#include "testing/test_backend.h"

namespace billing::e2e {
namespace {

using fake_openai::FakeOpenAiServer;
using fake_openai::ScriptedReply;
using nlohmann::json;

constexpr int kParallel = 50;

class multi_instance : public test_support::FreshPgDatabaseTest {
 protected:
  void TearDown() override {
    b_.reset();
    a_.reset();
    FreshPgDatabaseTest::TearDown();
  }
  void Start(std::map<std::string, std::string> env = {}) {
    a_ = std::make_unique<ServerProcess>(env, std::vector<std::string>{}, db_);
    ASSERT_TRUE(a_->started()) << a_->Log();
    b_ = std::make_unique<ServerProcess>(env, std::vector<std::string>{}, db_);
    ASSERT_TRUE(b_->started()) << b_->Log();
  }
  ServerProcess& Instance(int i) { return i % 2 == 0 ? *a_ : *b_; }
  json Exec(ServerProcess& server, const std::string& tool, const json& data,
            const std::map<std::string, std::string>& headers = {}) {
    HttpResult res = server.PostJson("/api/tools/" + tool + "/execute", {{"data", data}}, headers);
    EXPECT_EQ(res.status, 200) << res.body;
    return res.Json();
  }
  void ExpectAuditVerifies() {
    CommandResult verify = RunAgentCommand({"audit", "verify", "--db", db_});
    EXPECT_EQ(verify.exit_code, 0) << verify.out << verify.err;
    EXPECT_NE(verify.out.find("audit chain OK"), std::string::npos) << verify.out;
  }

  std::unique_ptr<ServerProcess> a_, b_;
};

TEST_F(multi_instance, BothInstancesStartOnOneDatabaseAndTheSecondFindsItMigratedAndSeeded) {
  Start();
  // The sample data was loaded once: the same five customers through either instance.
  json from_a = Exec(*a_, "get-customer", {{"customerId", "CUST-002"}});
  json from_b = Exec(*b_, "get-customer", {{"customerId", "CUST-002"}});
  EXPECT_EQ(from_a["customer"], from_b["customer"]);
  EXPECT_NE(a_->Log().find("database: postgres host"), std::string::npos) << a_->Log();
  EXPECT_EQ(a_->Get("/ready").status, 200);
  EXPECT_EQ(b_->Get("/ready").status, 200);
  ExpectAuditVerifies();
}

TEST_F(multi_instance, FiftyParallelInvoicesAcrossTwoInstancesGetFiftyConsecutiveNumbers) {
  Start();
  std::mutex mu;
  std::set<std::string> ids;
  std::vector<std::thread> threads;
  for (int i = 0; i < kParallel; ++i) {
    threads.emplace_back([&, i] {
      json r = Exec(Instance(i), "manage-invoices",
                    {{"action", "create"},
                     {"customerId", "CUST-001"},
                     {"amount", std::to_string(i + 1)},
                     {"description", "Parallel " + std::to_string(i)},
                     {"dueDate", "2026-12-31"}});
      ASSERT_EQ(r.value("success", false), true) << r.dump();
      std::lock_guard lock(mu);
      ids.insert(r["invoice"]["id"].get<std::string>());
    });
  }
  for (auto& t : threads) t.join();
  ASSERT_EQ(ids.size(), size_t(kParallel));
  for (int seq = 1; seq <= kParallel; ++seq) {
    char id[32];
    std::snprintf(id, sizeof id, "INV-2026-%03d", seq);
    EXPECT_TRUE(ids.count(id)) << id << " missing: the numbers are not gapless";
  }
  ExpectAuditVerifies();
}

TEST_F(multi_instance, FiftyParallelRefundsOfOnePaymentAcrossTwoInstancesNeverRefundMoreThanIt) {
  Start();
  // PAY-001 is $750.00; 50 refunds of $20.00 race for it through both instances: exactly 37 fit.
  std::atomic<int> succeeded{0}, refused{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kParallel; ++i) {
    threads.emplace_back([&, i] {
      json r = Exec(Instance(i), "process-payment",
                    {{"action", "refund"}, {"paymentId", "PAY-001"}, {"amount", "20.00"}});
      if (r.value("success", false)) {
        ++succeeded;
      } else if (r.value("error", false)) {
        ++refused;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(succeeded.load(), 37);
  EXPECT_EQ(refused.load(), kParallel - 37);
  json history = Exec(*b_, "process-payment", {{"action", "history"}, {"customerId", "CUST-002"}});
  EXPECT_EQ(history["payments"][0]["refunded"], "$740.00");
  json customer = Exec(*a_, "get-customer", {{"customerId", "CUST-002"}});
  EXPECT_EQ(customer["customer"]["outstandingBalance"], "$740.00");
  ExpectAuditVerifies();
}

TEST_F(multi_instance, AnIdempotencyKeyRetriedOnTheOtherInstanceMakesOnePayment) {
  Start();
  const json body = {
      {"data", {{"action", "process"}, {"customerId", "CUST-003"}, {"amount", "12.34"}}}};
  HttpResult first = a_->PostJson("/api/tools/process-payment/execute", body,
                                  {{"Idempotency-Key", "multi-instance-pay-1"}});
  ASSERT_EQ(first.status, 200) << first.body;
  HttpResult retry = b_->PostJson("/api/tools/process-payment/execute", body,
                                  {{"Idempotency-Key", "multi-instance-pay-1"}});
  ASSERT_EQ(retry.status, 200) << retry.body;
  EXPECT_EQ(retry.body, first.body);
  EXPECT_EQ(retry.headers["idempotent-replayed"], "true");
  json history = Exec(*a_, "process-payment", {{"action", "history"}, {"customerId", "CUST-003"}});
  int made = 0;
  for (const json& p : history["payments"]) made += p["amount"] == "$12.34" ? 1 : 0;
  EXPECT_EQ(made, 1);
}

TEST_F(multi_instance, ARevokedKeyIsRefusedByEveryInstanceAtOnce) {
  CommandResult created = RunAgentCommand(
      {"keys", "create", "--db", db_, "--scopes", "read,payment", "--name", "shared"});
  ASSERT_EQ(created.exit_code, 0) << created.out << created.err;
  const std::string key = created.out.substr(0, created.out.find('\n'));
  Start();
  const std::map<std::string, std::string> bearer = {{"Authorization", "Bearer " + key}};
  EXPECT_EQ(a_->Get("/api/agents", bearer).status, 200);
  EXPECT_EQ(b_->Get("/api/agents", bearer).status, 200);
  CommandResult revoked = RunAgentCommand({"keys", "revoke", "--db", db_, key.substr(0, 11)});
  ASSERT_EQ(revoked.exit_code, 0) << revoked.out << revoked.err;
  EXPECT_EQ(a_->Get("/api/agents", bearer).status, 401);
  EXPECT_EQ(b_->Get("/api/agents", bearer).status, 401);
}

TEST_F(multi_instance, APaymentsRateLimitIsOneBucketPerCallerWhateverInstanceIsAsked) {
  CommandResult created = RunAgentCommand(
      {"keys", "create", "--db", db_, "--scopes", "read,payment", "--name", "spreader"});
  ASSERT_EQ(created.exit_code, 0) << created.out << created.err;
  const std::string key = created.out.substr(0, created.out.find('\n'));
  // 4 payments a caller, refilled at 1 a minute; requests themselves are not limited here.
  Start({{"BILLING_PAYMENT_RATE_LIMIT", "4/1"}, {"BILLING_RATE_LIMIT", "off"}});
  const std::map<std::string, std::string> bearer = {{"Authorization", "Bearer " + key}};
  int paid = 0, limited = 0;
  for (int i = 0; i < 10; ++i) {
    HttpResult r = Instance(i).PostJson(
        "/api/tools/process-payment/execute",
        {{"data", {{"action", "process"}, {"customerId", "CUST-003"}, {"amount", "1.00"}}}},
        bearer);
    json body = r.Json();
    if (r.status == 200 && body.value("success", false)) {
      ++paid;
    } else {
      EXPECT_EQ(r.status, 429) << r.body;
      EXPECT_NE(body.value("error", "").find("nothing was charged"), std::string::npos) << r.body;
      ++limited;
    }
  }
  // Spread over two instances the caller still gets 4 payments, not 4 per instance.
  EXPECT_EQ(paid, 4);
  EXPECT_EQ(limited, 6);
}

TEST_F(multi_instance, AnIdempotencyKeyInFlightOnOneInstanceIsAConflictOnTheOther) {
  // The model (a fake OpenAI server, the only thing outside) takes 1.5 s to answer the first
  // request on instance A; the same key sent to instance B meanwhile is a 409, and after A has
  // answered, a replay of A's answer. The model is asked once.
  FakeOpenAiServer fake;
  std::string error;
  ASSERT_TRUE(fake.Start(&error)) << error;
  ScriptedReply slow = ScriptedReply::Text("Done.");
  slow.delay_ms = 1500;
  fake.Enqueue(slow);
  Start({{"OPENAI_API_KEY", "test-key"},
         {"OPENAI_BASE_URL", fake.base_url()},
         {"BILLING_MODEL", "openai/gpt-4o-mini"},
         {"BILLING_MODEL_TIMEOUT_MS", "10000"}});
  const json body = {{"messages", "Hello"}};
  const std::map<std::string, std::string> key = {{"Idempotency-Key", "slow-across-1"}};
  const std::string target = "/api/agents/billingApiAgent/generate";
  HttpResult first;
  std::thread runner([&] { first = a_->PostJson(target, body, key); });
  for (int i = 0; i < 300 && fake.request_count() == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_EQ(fake.request_count(), 1u);
  HttpResult during = b_->PostJson(target, body, key);
  runner.join();
  ASSERT_EQ(first.status, 200) << first.body;
  EXPECT_EQ(during.status, 409) << during.body;
  EXPECT_NE(during.body.find("still being processed"), std::string::npos) << during.body;
  HttpResult after = b_->PostJson(target, body, key);
  EXPECT_EQ(after.status, 200) << after.body;
  EXPECT_EQ(after.body, first.body);
  EXPECT_EQ(after.headers["idempotent-replayed"], "true");
  EXPECT_EQ(fake.request_count(), 1u);
}

TEST_F(multi_instance, AKeyWhoseFirstAnswerIsNotStoredIsFreeOnTheOtherInstanceAtOnce) {
  Start();
  const std::map<std::string, std::string> key = {{"Idempotency-Key", "fixed-after-400"}};
  // A 400 (nothing ran) is not stored, and its in-flight mark is removed with it...
  std::map<std::string, std::string> json_key = key;
  json_key["Content-Type"] = "application/json";
  HttpResult bad =
      a_->Request("POST", "/api/tools/process-payment/execute", "{\"data\": {", json_key);
  EXPECT_EQ(bad.status, 400) << bad.body;
  // ...so the corrected request with the same key runs on the other instance, not a 409.
  HttpResult good = b_->PostJson(
      "/api/tools/process-payment/execute",
      {{"data", {{"action", "process"}, {"customerId", "CUST-003"}, {"amount", "3.21"}}}}, key);
  EXPECT_EQ(good.status, 200) << good.body;
  EXPECT_TRUE(good.Json().value("success", false)) << good.body;
}

TEST_F(multi_instance, TwoInstancesStartingAtOnceOnAnEmptyDatabaseMigrateAndSeedItOnce) {
  // Both constructors run at once: each instance migrates (under the migration lock) and seeds
  // (under the writers' lock) an empty database; one of them does it, the other finds it done.
  std::thread second([&] {
    b_ = std::make_unique<ServerProcess>(std::map<std::string, std::string>{},
                                         std::vector<std::string>{}, db_);
  });
  a_ = std::make_unique<ServerProcess>(std::map<std::string, std::string>{},
                                       std::vector<std::string>{}, db_);
  second.join();
  ASSERT_TRUE(a_->started()) << a_->Log();
  ASSERT_TRUE(b_->started()) << b_->Log();
  test_support::RawDb raw(db_);
  std::string every_version;  // each migration of the dialect once: "1|2|3|"
  for (const Migration& m : PostgresMigrations()) every_version += std::to_string(m.version) + "|";
  EXPECT_EQ(raw.AllText("SELECT version FROM schema_migrations ORDER BY version"), every_version);
  EXPECT_EQ(raw.AllText("SELECT COUNT(*) FROM customers"), "6|");
  EXPECT_EQ(raw.AllText("SELECT COUNT(*) FROM audit_log"), "1|");  // one seed row, not two
  ExpectAuditVerifies();
}

// Billing runs on two instances at once, many times over, bill each period exactly once.
TEST_F(multi_instance, BillingRunsOnBothInstancesAtOnceBillEachPeriodOnce) {
  constexpr int kSubscriptions = 20;
  {
    ServerProcess early({}, {"--today", "2026-12-04", "--run-interval", "off"}, db_);
    ASSERT_TRUE(early.started()) << early.Log();
    for (int k = 0; k < kSubscriptions; ++k) {
      json created = Exec(early, "manage-subscriptions",
                          {{"action", "create"},
                           {"customerId", k % 2 ? "CUST-001" : "CUST-003"},
                           {"planId", k % 3 ? "Basic" : "Premium Plan"}});
      ASSERT_EQ(created["success"], true) << created.dump();
    }
  }
  // Two months later, both instances (their timers and six callers each) run billing at once.
  a_ = std::make_unique<ServerProcess>(
      std::map<std::string, std::string>{},
      std::vector<std::string>{"--today", "2027-02-10", "--run-interval", "1s"}, db_);
  ASSERT_TRUE(a_->started()) << a_->Log();
  b_ = std::make_unique<ServerProcess>(
      std::map<std::string, std::string>{},
      std::vector<std::string>{"--today", "2027-02-10", "--run-interval", "1s"}, db_);
  ASSERT_TRUE(b_->started()) << b_->Log();
  std::atomic<int64_t> billed{0};
  std::vector<std::thread> callers;
  for (int t = 0; t < 12; ++t) {
    callers.emplace_back([&, t] {
      for (int round = 0; round < 3; ++round) {
        HttpResult r = Instance(t).PostJson("/api/billing-runs", json::object());
        EXPECT_EQ(r.status, 200) << r.body;
        if (r.status == 200) billed += r.Json()["periodsBilled"].get<int64_t>();
      }
    });
  }
  for (std::thread& c : callers) c.join();
  // The timers may have billed some of them: count what exists, not what the callers saw.
  json renewed = a_->Get("/api/events?type=subscription.renewed&limit=100").Json();
  EXPECT_EQ(renewed["events"].size(), size_t(kSubscriptions * 2)) << renewed.dump();
  EXPECT_LE(billed.load(), kSubscriptions * 2);
  for (int k = 1; k <= kSubscriptions; ++k) {
    char id[16];
    std::snprintf(id, sizeof id, "SUB-%03d", k);
    json sub = Exec(*b_, "manage-subscriptions", {{"action", "get"}, {"subscriptionId", id}});
    EXPECT_EQ(sub["subscription"]["currentPeriodStart"], "2027-02-04") << sub.dump();
  }
  // 20 first invoices in 2026, 40 renewals in 2027, numbered without gaps.
  json invoices = Exec(*a_, "manage-invoices", {{"action", "list"}, {"limit", 100}});
  std::set<std::string> ids;
  for (const json& inv : invoices["invoices"]) ids.insert(inv["id"].get<std::string>());
  for (int k = 1; k <= 2 * kSubscriptions; ++k) {
    char id[24];
    std::snprintf(id, sizeof id, "INV-2027-%03d", k);
    EXPECT_EQ(ids.count(id), 1u) << id;
  }
  EXPECT_EQ(ids.count("INV-2027-041"), 0u);
  ExpectAuditVerifies();
}

}  // namespace
}  // namespace billing::e2e
