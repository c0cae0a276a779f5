// Webhook deliveries per second to a local receiver (issue 13 item 8; docs/webhooks.md): events
// written with their deliveries (one per event and endpoint) into a real SQLite file, then the
// real worker (WebhookWorker::RunOnce: claim under a lease, sign, POST with libcurl multi over
// loopback keep-alive connections, record every attempt) drains them into the test receiver
// (tests/e2e/webhook_receiver.h, one thread per connection). "items_per_second" is deliveries
// per second; writing the events is not timed.
//
// clang-format off
//   cmake --preset release && cmake --build build/release --target micro_bench
//   build/release/micro_bench --benchmark_filter=Webhook
// clang-format on
#include <benchmark/benchmark.h>

#include <unistd.h>

#include <filesystem>
#include <memory>
#include <string>

#include "billing/service.h"
#include "e2e/webhook_receiver.h"
#include "integration/webhook_worker.h"
#include "security/data_cipher.h"

namespace billing {
namespace {

constexpr int64_t kNoonMs = 1795608000000;  // 2026-11-25T12:00:00Z

struct Outbox {
  Outbox() {
    std::error_code ec;
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix, ec);
    store = std::move(OpenSqliteStore({path, 4, 5000}).value());
    BillingOptions options;
    options.webhook_allow_hosts = {"127.0.0.1"};
    service = std::make_unique<BillingService>(*store, clock, ids, processor, options);
    cipher = std::make_unique<security::DataCipher>(
        security::DataCipher::FromKeyList(security::DataCipher::GenerateKeyEntry("bench")).value());
    service->set_data_cipher(cipher.get());
    port = receiver.Start();
    NewWebhookEndpoint e;
    e.url = "http://127.0.0.1:" + std::to_string(port) + "/hooks";
    endpoint_ok = service->CreateWebhookEndpoint(e).ok();
  }
  ~Outbox() {
    receiver.Stop();
    std::error_code ec;
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix, ec);
  }

  // `n` events with their deliveries, in one transaction (as Emit writes them).
  Status AddEvents(int n) {
    return store->Write([&](StoreTx& tx) -> Status {
      for (int i = 0; i < n; ++i) {
        Event e;
        e.id = "evt_" + ids.HexToken(12);
        e.type = "invoice.paid";
        e.created_at = clock.NowIso8601();
        e.object_type = "invoice";
        e.object_id = "INV-2026-" + std::to_string(i);
        e.data_json =
            R"({"id":"INV-2026-001","status":"paid","totalCents":108000,"currency":"USD"})";
        BILLING_TRY(tx.AppendEvent(e));  // with its delivery
      }
      return OkStatus();
    });
  }

  std::string path = (std::filesystem::temp_directory_path() /
                      ("billing-webhook-bench-" + std::to_string(::getpid()) + ".db"))
                         .string();
  FixedClock clock{kNoonMs};
  SeededRandom ids{1};
  SeededRandom processor{2};
  std::unique_ptr<Store> store;
  std::unique_ptr<BillingService> service;
  std::unique_ptr<security::DataCipher> cipher;
  e2e::WebhookReceiver receiver;
  int port = 0;
  bool endpoint_ok = false;
};

void BM_WebhookDeliveries(benchmark::State& state) {
  Outbox outbox;
  if (!outbox.endpoint_ok || outbox.port == 0) {
    state.SkipWithError("cannot set up the endpoint or the receiver");
    return;
  }
  WebhookWorkerOptions options;
  options.allow_hosts = {"127.0.0.1"};
  WebhookWorker worker(*outbox.service, options);
  const int events = int(state.range(0));
  int64_t delivered = 0;
  for (auto _ : state) {
    state.PauseTiming();
    Status added = outbox.AddEvents(events);
    state.ResumeTiming();
    if (!added.ok()) {
      state.SkipWithError(added.error().message.c_str());
      return;
    }
    for (int sent = 0; sent < events;) {
      Result<int> n = worker.RunOnce();
      if (!n.ok() || *n == 0) {
        state.SkipWithError(n.ok() ? "nothing due before every delivery was sent"
                                   : n.error().message.c_str());
        return;
      }
      sent += *n;
    }
    delivered += events;
  }
  if (worker.stats().failed_attempts.load() != 0) {
    state.SkipWithError("some attempts failed");
    return;
  }
  state.SetItemsProcessed(delivered);
  state.counters["received"] = double(outbox.receiver.Count());
}
BENCHMARK(BM_WebhookDeliveries)->Arg(2000)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
}  // namespace billing
