// The stores of one process on one database file share one connection pool (SqliteOptions::
// share_pool): their writes line up in one writer queue and commit together, so none of them ever
// meets another's file lock. Shown with busy_timeout 0, where any lock conflict would fail at once
// with SQLITE_BUSY instead of being waited out.
#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "billing/service.h"
#include "store/idempotency_store.h"
#include "store/memory_store.h"
#include "testing/temp_db.h"
#include "store/sqlite/sqlite_stores.h"

namespace billing {
namespace {

constexpr int64_t kNoonMs = 1795608000000;  // 2026-11-25T12:00:00Z

TEST(SharedPoolTest, LedgerMemoryAndIdempotencyWritesNeverMeetALockOnOneFile) {
  test_support::TempDbFile db("billing-shared-pool-test");
  const SqliteOptions options{db.path(), 4, /*busy_timeout_ms=*/0};
  FixedClock clock{kNoonMs};
  SeededRandom ids{1}, processor{2}, memory_ids{3};
  auto ledger = OpenSqliteStore(options);
  ASSERT_TRUE(ledger.ok()) << ledger.error().message;
  auto memory = OpenSqliteMemoryStore(options, clock, memory_ids);
  ASSERT_TRUE(memory.ok()) << memory.error().message;
  auto idempotency = OpenSqliteIdempotencyStore(options);
  ASSERT_TRUE(idempotency.ok()) << idempotency.error().message;
  BillingOptions billing_options;
  billing_options.processor_mode = ProcessorMode::kAlwaysApprove;
  BillingService service(*ledger.value(), clock, ids, processor, billing_options);
  ASSERT_TRUE(service.SeedIfEmpty().ok());
  const uint64_t writes_before = ledger.value()->stats().writes;

  constexpr int kThreadsPerStore = 4;
  constexpr int kWritesPerThread = 25;
  std::atomic<int> failures{0};
  std::string first_failure;
  std::mutex failure_mu;
  auto record = [&](const Status& s) {
    if (s.ok()) return;
    std::lock_guard lock(failure_mu);
    if (failures++ == 0) first_failure = s.error().message;
  };
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreadsPerStore; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kWritesPerThread; ++i) {
        auto paid = service.ProcessPayment(PaymentRequest{"CUST-002", 100, "", ""});
        record(paid.ok() ? OkStatus() : Status(paid.error()));
      }
    });
    threads.emplace_back([&, t] {
      for (int i = 0; i < kWritesPerThread; ++i) {
        ChatMessage m;
        m.role = "user";
        m.content = "message " + std::to_string(i);
        auto appended =
            memory.value()->AppendMessages("thread-" + std::to_string(t), "user-1", {m});
        record(appended.ok() ? OkStatus() : Status(appended.error()));
      }
    });
    threads.emplace_back([&, t] {
      for (int i = 0; i < kWritesPerThread; ++i) {
        StoredResponse r{"fingerprint", 200, "application/json", "{}", kNoonMs};
        record(idempotency.value()->Save("caller", std::to_string(t) + "/" + std::to_string(i), r));
      }
    });
  }
  for (auto& th : threads) th.join();

  EXPECT_EQ(failures.load(), 0) << first_failure;
  // One pool: the ledger store's counters see every store's writes.
  EXPECT_EQ(ledger.value()->stats().writes - writes_before,
            uint64_t(3 * kThreadsPerStore * kWritesPerThread));
  Status invariants = service.CheckInvariants();
  EXPECT_TRUE(invariants.ok()) << invariants.error().message;
}

}  // namespace
}  // namespace billing
