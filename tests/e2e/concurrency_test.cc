// Concurrency over HTTP against the real binary: parallel refunds of one payment never refund
// more than it; parallel invoice creations get distinct consecutive numbers.
#include <gtest/gtest.h>

#include <atomic>
#include <set>
#include <thread>

#include "e2e/server_harness.h"

namespace billing::e2e {
namespace {

using nlohmann::json;

constexpr int kParallel = 50;

json Exec(ServerProcess& server, const std::string& tool, const json& data) {
  HttpResult res = server.PostJson("/api/tools/" + tool + "/execute", {{"data", data}});
  EXPECT_EQ(res.status, 200) << res.body;
  return res.Json();
}

TEST(concurrency_http, FiftyParallelRefundsNeverRefundMoreThanThePayment) {
  ServerProcess server;
  ASSERT_TRUE(server.started()) << server.Log();
  // PAY-001 is $750.00; 50 refunds of $20.00 race for it: exactly 37 fit ($740.00).
  std::atomic<int> succeeded{0}, refused{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kParallel; ++i) {
    threads.emplace_back([&] {
      json r = Exec(server, "process-payment", {{"action", "refund"}, {"paymentId", "PAY-001"}, {"amount", "20.00"}});
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
  json history = Exec(server, "process-payment", {{"action", "history"}, {"customerId", "CUST-002"}});
  EXPECT_EQ(history["payments"][0]["refunded"], "$740.00");
  EXPECT_EQ(history["payments"][0]["status"], "partially_refunded");
  json customer = Exec(server, "get-customer", {{"customerId", "CUST-002"}});
  EXPECT_EQ(customer["customer"]["outstandingBalance"], "$740.00");
}

TEST(concurrency_http, FiftyParallelInvoiceCreationsGetDistinctConsecutiveNumbers) {
  ServerProcess server;
  ASSERT_TRUE(server.started()) << server.Log();
  std::mutex mu;
  std::set<std::string> ids;
  std::vector<std::thread> threads;
  for (int i = 0; i < kParallel; ++i) {
    threads.emplace_back([&, i] {
      json r = Exec(server, "manage-invoices",
                    {{"action", "create"}, {"customerId", "CUST-001"}, {"amount", std::to_string(i + 1)},
                     {"description", "Parallel " + std::to_string(i)}, {"dueDate", "2026-12-31"}});
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
    EXPECT_TRUE(ids.count(id)) << id;
  }
}

}  // namespace
}  // namespace billing::e2e
