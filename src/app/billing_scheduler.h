// BillingScheduler: billing runs inside the server (automated-billing.md "Billing runs"). Every
// BILLING_RUN_INTERVAL it runs BillingService::RunBilling as of the clock's today, the first time
// at Start() (which catches up the periods missed while the server was down). A run waits on the
// database, so it has a thread of its own, never an I/O thread. Several instances on one database
// may all run: each period is billed exactly once whoever runs (billing/billing_run.cc).
//
// Thread-safety: Start and Stop from one thread (main); runs_completed from any.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>

#include "billing/service.h"
#include "common/clock.h"

namespace billing {

class BillingScheduler {
 public:
  BillingScheduler(BillingService& service, const Clock& clock, int64_t interval_ms);
  ~BillingScheduler();
  BillingScheduler(const BillingScheduler&) = delete;
  BillingScheduler& operator=(const BillingScheduler&) = delete;

  void Start();
  // Wakes the thread and joins it; a run in progress finishes first (its batches are bounded).
  void Stop();
  int64_t runs_completed() const { return runs_completed_.load(); }

 private:
  void Loop();

  BillingService& service_;
  const Clock& clock_;
  const int64_t interval_ms_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;  // under mu_
  std::thread thread_;
  std::atomic<int64_t> runs_completed_{0};
};

}  // namespace billing
