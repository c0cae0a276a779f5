// The billing reports (docs/reports.md) over a SQLite ledger of 10,000 and of 1,000,000 invoices
// (1,000 customers, 36 months, with their payments, retries and recent open invoices;
// testing/report_fill.h): each report's time, and the work SQLite did for it, counted by SQLite
// itself per call (full_scan_steps: rows stepped in full table scans, 0 means none; vm_steps:
// virtual-machine steps). The same work at both sizes is what "its cost grows with what it shows,
// not with the ledger" means. Filling the large ledger takes a few minutes, once per run.
//
// clang-format off
//   cmake --build build/release --target micro_bench
//   build/release/micro_bench --benchmark_filter=Report
// clang-format on
#include <benchmark/benchmark.h>

#include <unistd.h>

#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "billing/service.h"
#include "testing/report_fill.h"

namespace billing {
namespace {

constexpr int64_t kNoonMs = 1796040000000;  // 2026-11-30T12:00:00Z

struct ReportLedger {
  explicit ReportLedger(int invoices)
      : path((std::filesystem::temp_directory_path() /
              ("billing-reports-bench-" + std::to_string(::getpid()) + "-" +
               std::to_string(invoices) + ".db"))
                 .string()) {
    Remove();
    store = std::move(OpenSqliteStore({path, 4, 5000}).value());
    BillingOptions options;
    options.processor_mode = ProcessorMode::kAlwaysApprove;
    service = std::make_unique<BillingService>(*store, clock, ids, processor, options);
    (void)service->SeedIfEmpty();
    Status filled = test_support::AddSpreadLedger(*store, invoices, 1'000, 5000, true);
    if (!filled.ok()) std::fprintf(stderr, "fill: %s\n", filled.error().message.c_str());
  }
  ~ReportLedger() {
    service.reset();
    store.reset();
    Remove();
  }
  void Remove() const {
    std::error_code ec;
    for (const char* suffix : {"", "-wal", "-shm", ".keys"})
      std::filesystem::remove(path + suffix, ec);
  }
  std::string path;
  FixedClock clock{kNoonMs};
  SeededRandom ids{1};
  SeededRandom processor{2};
  std::unique_ptr<Store> store;
  std::unique_ptr<BillingService> service;
};

// One ledger per size for the whole run (the large one is slow to fill).
ReportLedger& LedgerOf(int invoices) {
  static std::map<int, std::unique_ptr<ReportLedger>> ledgers;
  auto& slot = ledgers[invoices];
  if (!slot) slot = std::make_unique<ReportLedger>(invoices);
  return *slot;
}

void RunReport(benchmark::State& state, const std::function<Status(BillingService&)>& report) {
  ReportLedger& ledger = LedgerOf(int(state.range(0)));
  Store::Stats before = ledger.store->stats();
  int64_t calls = 0;
  for (auto _ : state) {
    Status s = report(*ledger.service);
    if (!s.ok()) state.SkipWithError(s.error().message.c_str());
    ++calls;
  }
  const Store::Stats after = ledger.store->stats();
  if (calls > 0) {
    state.counters["full_scan_steps"] =
        double(after.full_scan_steps - before.full_scan_steps) / calls;
    state.counters["vm_steps"] = double(after.vm_steps - before.vm_steps) / calls;
    state.counters["sorts"] = double(after.sorts - before.sorts) / calls;
  }
}

template <typename T>
Status Ok(const Result<T>& r) {
  if (!r.ok()) return r.error();
  return OkStatus();
}

void BM_ReportAging(benchmark::State& state) {
  RunReport(state, [](BillingService& s) { return Ok(s.Aging(Date{2026, 11, 30}, "", "")); });
}
void BM_ReportAgingOneCustomer(benchmark::State& state) {
  RunReport(state, [](BillingService& s) {
    return Ok(s.Aging(Date{2026, 11, 30}, "CUST-5015", ""));
  });
}
void BM_ReportRevenue36Months(benchmark::State& state) {
  RunReport(state, [](BillingService& s) { return Ok(s.Revenue("2024-01", "2026-12", "")); });
}
void BM_ReportMrr(benchmark::State& state) {
  RunReport(state, [](BillingService& s) { return Ok(s.Mrr("", "", "")); });
}
void BM_ReportPaymentSuccess36Months(benchmark::State& state) {
  RunReport(state,
            [](BillingService& s) { return Ok(s.PaymentSuccess("2024-01", "2026-12", "", "")); });
}

void BM_ReportLtvPage(benchmark::State& state) {
  RunReport(state, [](BillingService& s) {
    return Ok(s.Ltv(Date{2026, 11, 30}, "", "", "", 100));
  });
}
void BM_ReportForecast(benchmark::State& state) {
  RunReport(state, [](BillingService& s) { return Ok(s.Forecast(Date{2026, 11, 30}, "")); });
}

BENCHMARK(BM_ReportAging)->Arg(10'000)->Arg(1'000'000)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_ReportAgingOneCustomer)->Arg(10'000)->Arg(1'000'000)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_ReportRevenue36Months)->Arg(10'000)->Arg(1'000'000)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_ReportMrr)->Arg(10'000)->Arg(1'000'000)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_ReportLtvPage)->Arg(10'000)->Arg(1'000'000)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_ReportForecast)->Arg(10'000)->Arg(1'000'000)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_ReportPaymentSuccess36Months)
    ->Arg(10'000)
    ->Arg(1'000'000)
    ->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace billing
