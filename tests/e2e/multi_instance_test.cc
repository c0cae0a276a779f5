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
#include <cstdlib>
#include <memory>
#include <mutex>
#include <set>
#include <thread>

#include "e2e/server_harness.h"
#include "testing/test_backend.h"

namespace billing::e2e {
namespace {

using nlohmann::json;

constexpr int kParallel = 50;

class multi_instance : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* url = std::getenv("BILLING_TEST_PG_URL");
    if (url == nullptr || *url == '\0') {
      const char* require = std::getenv("BILLING_REQUIRE_PG");
      if (require != nullptr && std::string(require) == "1") {
        FAIL() << "BILLING_TEST_PG_URL is not set (scripts/pg-test-server.sh start)";
      }
      GTEST_SKIP() << "no PostgreSQL: run eval \"$(scripts/pg-test-server.sh start)\" first";
    }
    std::string why;
    db_ = test_support::CreateTestPgDatabase(&why);
    ASSERT_FALSE(db_.empty()) << why;
  }
  void TearDown() override {
    b_.reset();
    a_.reset();
    test_support::DropTestPgDatabase(db_);
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

  std::string db_;
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

}  // namespace
}  // namespace billing::e2e
