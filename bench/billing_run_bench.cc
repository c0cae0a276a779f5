// The billing run at scale (issue #12 item 10): a run over N subscriptions, each with its period
// due, against one interactive invoice creation on the same kind of ledger, over a real SQLite
// file (WAL, synchronous=FULL). The run commits in batches of 20 subscriptions, so its cost per
// invoice must not exceed one interactive creation (which commits, and waits for its fsync, on
// its own). That the work per subscription does not grow with the ledger is a test, counted by
// SQLite (LedgerScaleTest.ABillingRunsWorkPerSubscriptionDoesNotGrowWithTheLedger).
//
// clang-format off
//   cmake --build build/release --target micro_bench
//   build/release/micro_bench --benchmark_filter='BillingRun|InteractiveInvoice'
// clang-format on
#include <benchmark/benchmark.h>

#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>

#include "billing/service.h"
#include "testing/ledger_fill.h"

namespace billing {
namespace {

constexpr int64_t kNoonMs = 1795608000000;  // 2026-11-25T12:00:00Z
constexpr int kCustomers = 100;             // the subscriptions' customers (CUST-0100, ...)

struct RunDb {
  RunDb()
      : path((std::filesystem::temp_directory_path() /
              ("billing-run-bench-" + std::to_string(::getpid()) + "-" + std::to_string(++count) +
               ".db"))
                 .string()) {
    Remove();
    store = std::move(OpenSqliteStore({path, 4, 5000}).value());
    BillingOptions options;
    options.processor_mode = ProcessorMode::kAlwaysApprove;
    service = std::make_unique<BillingService>(*store, clock, ids, processor, options);
    (void)service->SeedIfEmpty();
    (void)store->Write(
        [&](StoreTx& tx) -> Status { return test_support::AddOtherCustomers(tx, kCustomers); });
  }
  ~RunDb() {
    service.reset();
    store.reset();
    Remove();
  }
  void Remove() const {
    std::error_code ec;
    for (const char* suffix : {"", "-wal", "-shm", ".keys"})
      std::filesystem::remove(path + suffix, ec);
  }
  // `n` subscriptions to Basic with their first period due today, spread over the customers.
  void AddDue(int n) {
    const Date today = clock.TodayUtc();
    for (int first = 0; first < n; first += 5'000) {
      (void)store->Write([&](StoreTx& tx) -> Status {
        for (int k = first; k < std::min(n, first + 5'000); k += 50) {
          char id[32];
          std::snprintf(id, sizeof id, "CUST-%04d", 100 + (k / 50) % kCustomers);
          BILLING_TRY(
              test_support::AddDueSubscriptions(tx, id, "PLAN-BASIC", std::min(50, n - k), today));
        }
        return OkStatus();
      });
    }
  }
  static inline int count = 0;
  std::string path;
  FixedClock clock{kNoonMs};
  SeededRandom ids{1};
  SeededRandom processor{2};
  std::unique_ptr<Store> store;
  std::unique_ptr<BillingService> service;
};

// One run billing `n` subscriptions' periods: time per invoice issued.
void BM_BillingRun(benchmark::State& state) {
  const int n = int(state.range(0));
  for (auto _ : state) {
    state.PauseTiming();
    RunDb db;
    db.AddDue(n);
    const Store::Stats before = db.store->stats();
    state.ResumeTiming();
    auto report = db.service->RunBilling(db.clock.TodayUtc());
    state.PauseTiming();
    if (!report.ok() || report->periods_billed != n) {
      state.SkipWithError(report.ok() ? "not every period was billed"
                                      : report.error().message.c_str());
    }
    const Store::Stats after = db.store->stats();
    state.counters["commits"] = double(after.commits - before.commits);
    state.counters["vm_steps_per_invoice"] = double(after.vm_steps - before.vm_steps) / n;
    state.ResumeTiming();
  }
  state.SetItemsProcessed(state.iterations() * n);
}
BENCHMARK(BM_BillingRun)
    ->Arg(1'000)
    ->Arg(100'000)
    ->Iterations(1)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

// One interactive invoice creation (a request's write: its own transaction and commit).
void BM_InteractiveInvoice(benchmark::State& state) {
  RunDb db;
  Date due;
  Date::Parse("2026-12-31", &due);
  int k = 0;
  for (auto _ : state) {
    char id[32];
    std::snprintf(id, sizeof id, "CUST-%04d", 100 + (k++ % kCustomers));
    auto inv = db.service->CreateInvoice(NewInvoice{id, {{"Basic", 1000, 4'900}}, due, ""});
    if (!inv.ok()) state.SkipWithError(inv.error().message.c_str());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_InteractiveInvoice)->Unit(benchmark::kMicrosecond)->UseRealTime();

}  // namespace
}  // namespace billing
