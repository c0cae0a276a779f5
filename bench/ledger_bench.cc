// Micro-benchmarks of the ledger's write path on one thread over a real SQLite file (WAL,
// synchronous=FULL): the CPU a payment transaction costs (Google Benchmark's "CPU" column; "Time"
// adds the fsync wait of each commit), with and without a large ledger beside the customer.
//
// clang-format off
//   cmake --preset release && cmake --build build/release --target micro_bench
//   build/release/micro_bench --benchmark_filter=Ledger
// clang-format on
#include <benchmark/benchmark.h>

#include <unistd.h>

#include <filesystem>
#include <memory>
#include <string>

#include "billing/service.h"
#include "testing/ledger_fill.h"

namespace billing {
namespace {

constexpr int64_t kNoonMs = 1795608000000;  // 2026-11-25T12:00:00Z

// A database file of its own, removed (with its -wal and -shm) before and after.
struct BenchDbFile {
  BenchDbFile()
      : path((std::filesystem::temp_directory_path() /
              ("billing-ledger-bench-" + std::to_string(::getpid()) + "-" +
               std::to_string(++count) + ".db"))
                 .string()) {
    Remove();
  }
  ~BenchDbFile() { Remove(); }
  void Remove() const {
    std::error_code ec;
    for (const char* suffix : {"", "-wal", "-shm", ".keys"})
      std::filesystem::remove(path + suffix, ec);
  }
  static inline int count = 0;
  std::string path;
};

struct Ledger {
  explicit Ledger(int other_customers) {
    store = std::move(OpenSqliteStore({db.path, 4, 5000}).value());
    BillingOptions options;
    options.processor_mode = ProcessorMode::kAlwaysApprove;
    service = std::make_unique<BillingService>(*store, clock, ids, processor, options);
    (void)service->SeedIfEmpty();
    // Other customers, each with pending invoices and a payment, in one transaction.
    (void)store->Write(
        [&](StoreTx& tx) -> Status { return test_support::AddOtherCustomers(tx, other_customers); });
  }
  BenchDbFile db;  // declared first: outlives the store
  FixedClock clock{kNoonMs};
  SeededRandom ids{1};
  SeededRandom processor{2};
  std::unique_ptr<Store> store;
  std::unique_ptr<BillingService> service;
};

// A $1.00 payment for CUST-001 with no invoice id: allocated to the oldest pending invoice (the
// sample one, until it is paid), balance recomputed, audit row appended, committed.
void BM_LedgerProcessPayment(benchmark::State& state) {
  Ledger ledger(int(state.range(0)));
  for (auto _ : state) {
    auto paid = ledger.service->ProcessPayment(PaymentRequest{"CUST-001", 100, "", ""});
    if (!paid.ok()) state.SkipWithError(paid.error().message.c_str());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_LedgerProcessPayment)->Arg(0)->Arg(10'000)->Unit(benchmark::kMicrosecond);

// The customer read the get-customer tool does: balance, open invoices, recent payments, cards.
void BM_LedgerGetCustomer(benchmark::State& state) {
  Ledger ledger(int(state.range(0)));
  for (auto _ : state) {
    auto view = ledger.service->GetCustomer("CUST-001");
    if (!view.ok()) state.SkipWithError(view.error().message.c_str());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_LedgerGetCustomer)->Arg(0)->Arg(10'000)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace billing
