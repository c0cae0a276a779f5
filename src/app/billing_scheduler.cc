#include "app/billing_scheduler.h"

#include <cassert>
#include <chrono>

#include <spdlog/spdlog.h>

namespace billing {

BillingScheduler::BillingScheduler(BillingService& service, const Clock& clock, int64_t interval_ms)
    : service_(service), clock_(clock), interval_ms_(interval_ms) {
  assert(interval_ms > 0);
}

BillingScheduler::~BillingScheduler() {
  Stop();
}

void BillingScheduler::Start() {
  assert(!thread_.joinable());
  thread_ = std::thread([this] { Loop(); });
}

void BillingScheduler::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void BillingScheduler::Loop() {
  for (;;) {
    const Date today = clock_.TodayUtc();
    auto report = service_.RunBilling(today);
    if (!report.ok()) {
      spdlog::warn("billing run as of {}: {} (the next run goes on)", today.ToString(),
                   report.error().message);
    } else if (report->periods_billed + report->periods_skipped + report->canceled +
                   report->plan_changes >
               0) {
      spdlog::info(
          "billing run as of {}: {} invoice(s) issued, {} period(s) skipped, {} subscription(s) "
          "ended, {} plan change(s){}",
          today.ToString(), report->periods_billed, report->periods_skipped, report->canceled,
          report->plan_changes,
          report->capped.empty() ? "" : "; some subscriptions have more periods due (next run)");
    }
    ++runs_completed_;
    std::unique_lock<std::mutex> lock(mu_);
    if (cv_.wait_for(lock, std::chrono::milliseconds(interval_ms_), [this] { return stopping_; })) {
      return;
    }
  }
}

}  // namespace billing
