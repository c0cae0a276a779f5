// Billing runs across downtime and crashes, through the real binary (issue #12 item 9):
// - catch-up: the server down for three months and restarted; its first run bills each monthly
//   subscription's three missed periods, and a second run (and a second restart) adds none;
// - crash: the server SIGKILLed in the middle of the run that bills 2,000 subscriptions' missed
//   periods; restarted, each period is billed exactly once, and every invariant of the ledger
//   holds (checked in-process on the database the servers used).
// Runs on both backends (pg.billing_runs_e2e.*).
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>

#include "billing/service.h"
#include "e2e/server_harness.h"
#include "store/backend.h"

namespace billing::e2e {
namespace {

using nlohmann::json;

int64_t InvoiceCount(ServerProcess& server) {
  json list = Tool(server, "manage-invoices", {{"action", "list"}, {"limit", 1}});
  return list.value("count", int64_t{-1});
}

json Subscribe(ServerProcess& server, const char* customer, const char* plan) {
  return Tool(server, "manage-subscriptions",
              {{"action", "create"}, {"customerId", customer}, {"planId", plan}});
}

// Every subscription's current period start and next renewal, by a walk over the list pages.
std::map<std::string, std::pair<std::string, std::string>> Periods(ServerProcess& server) {
  std::map<std::string, std::pair<std::string, std::string>> out;
  for (int offset = 0; offset < 100'000; offset += 100) {
    json page = Tool(server, "manage-subscriptions",
                     {{"action", "list"}, {"limit", 100}, {"offset", offset}});
    for (const json& s : page["subscriptions"]) {
      out[s["id"].get<std::string>()] = {s.value("currentPeriodStart", ""),
                                         s.value("renewsOn", "")};
    }
    if (page["subscriptions"].size() < 100) break;
  }
  return out;
}

TEST(billing_runs_e2e, AfterThreeMonthsDownEachMonthlySubscriptionGetsExactlyThreeInvoices) {
  ServerProcess before({}, {"--today", "2026-12-06", "--run-interval", "off"});
  ASSERT_TRUE(before.started()) << before.Log();
  for (const char* customer : {"CUST-001", "CUST-002", "CUST-003"}) {
    ASSERT_EQ(Subscribe(before, customer, "Basic")["success"], true);
    ASSERT_EQ(Subscribe(before, customer, "Premium Plan")["success"], true);
  }
  const int64_t first_invoices = InvoiceCount(before);
  before.Kill();

  // Down from December 6th to March 6th: the timer's first run at start catches up January,
  // February and March for each of the six monthly subscriptions.
  ServerProcess after({}, {"--today", "2027-03-06", "--run-interval", "1h"}, before.db_path());
  ASSERT_TRUE(after.started()) << after.Log();
  int64_t count = 0;
  for (int k = 0; k < 400 && count < first_invoices + 18; ++k) {
    count = InvoiceCount(after);
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  EXPECT_EQ(count, first_invoices + 18);
  for (const auto& [id, period] : Periods(after)) {
    EXPECT_EQ(period.first, "2027-03-06") << id;
    EXPECT_EQ(period.second, "2027-04-06") << id;
  }
  HttpResult again = after.PostJson("/api/billing-runs", json::object());
  ASSERT_EQ(again.status, 200) << again.body;
  EXPECT_EQ(again.Json()["periodsBilled"], 0) << again.body;
  after.Kill();

  ServerProcess restarted({}, {"--today", "2027-03-06", "--run-interval", "1h"}, before.db_path());
  ASSERT_TRUE(restarted.started()) << restarted.Log();
  HttpResult third = restarted.PostJson("/api/billing-runs", json::object());
  ASSERT_EQ(third.status, 200) << third.body;
  EXPECT_EQ(third.Json()["periodsBilled"], 0) << third.body;
  EXPECT_EQ(InvoiceCount(restarted), first_invoices + 18);
}

TEST(billing_runs_e2e, ASigkilledRunOfTwoThousandSubscriptionsBillsEachPeriodOnceOnRestart) {
  constexpr int kSubscriptions = 2'000;
  constexpr int kMissedPeriods = 6;  // June 1st to December 1st 2027
  ServerProcess before({}, {"--today", "2027-06-01", "--run-interval", "off"});
  ASSERT_TRUE(before.started()) << before.Log();
  const char* customers[] = {"CUST-001", "CUST-002", "CUST-003"};
  for (int k = 0; k < kSubscriptions; ++k) {
    json created = Subscribe(before, customers[k % 3], k % 2 == 0 ? "Basic" : "Premium Plan");
    ASSERT_EQ(created["success"], true) << created.dump();
  }
  const int64_t first_invoices = InvoiceCount(before);
  const int64_t want = first_invoices + int64_t(kSubscriptions) * kMissedPeriods;
  before.Kill();

  // Six months later the run at start has 12,000 periods to bill; it is killed part-way.
  const std::vector<std::string> args = {"--today", "2027-12-01", "--run-interval",
                                         "1h",      "--dunning",  "off"};
  int64_t at_kill = 0;
  {
    ServerProcess crashing({}, args, before.db_path());
    ASSERT_TRUE(crashing.started()) << crashing.Log();
    for (int k = 0; k < 2'000; ++k) {
      at_kill = InvoiceCount(crashing);
      if (at_kill > first_invoices + 200) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    crashing.Kill();  // SIGKILL, with the run's write transactions in flight
  }
  EXPECT_GT(at_kill, first_invoices);
  EXPECT_LT(at_kill, want) << "the run finished before it could be killed";
  ::testing::Test::RecordProperty("invoices_billed_before_the_kill", at_kill - first_invoices);

  ServerProcess restarted({}, args, before.db_path());
  ASSERT_TRUE(restarted.started()) << restarted.Log();
  int64_t count = 0;
  for (int k = 0; k < 3'000 && count < want; ++k) {
    count = InvoiceCount(restarted);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_EQ(count, want);
  HttpResult again = restarted.PostJson("/api/billing-runs", json::object());
  ASSERT_EQ(again.status, 200) << again.body;
  EXPECT_EQ(again.Json()["periodsBilled"], 0) << again.body;
  const auto periods = Periods(restarted);
  EXPECT_EQ(periods.size(), size_t(kSubscriptions));
  for (const auto& [id, period] : periods) {
    ASSERT_EQ(period.first, "2027-12-01") << id;
    ASSERT_EQ(period.second, "2028-01-01") << id;
  }
  restarted.Kill();

  // Every invariant of the ledger, subscriptions' included (each handled period once, contiguous
  // from the start, each billed period's invoice issued on its start), on the database itself.
  auto store = OpenStore(BackendOptions{before.db_path(), 2});
  ASSERT_TRUE(store.ok()) << store.error().message;
  SystemClock clock;
  CsprngSource ids, processor;
  BillingService service(*store.value(), clock, ids, processor, BillingOptions{});
  Status invariants = service.CheckInvariants();
  EXPECT_TRUE(invariants.ok()) << invariants.error().message;
}

}  // namespace
}  // namespace billing::e2e
