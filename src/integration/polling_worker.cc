// The polling loop of the outbox senders; see polling_worker.h.
#include "integration/polling_worker.h"

#include <spdlog/spdlog.h>

#include <chrono>

namespace billing {

PollingWorker::PollingWorker(std::string name, int poll_ms, int full_batch,
                             std::function<Result<int>()> pass)
    : name_(std::move(name)), poll_ms_(poll_ms), full_batch_(full_batch), pass_(std::move(pass)) {}

PollingWorker::~PollingWorker() {
  Stop();
}

void PollingWorker::Start() {
  std::lock_guard<std::mutex> lock(mu_);
  if (thread_.joinable()) return;
  stopping_ = false;
  thread_ = std::thread([this] { Loop(); });
}

void PollingWorker::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void PollingWorker::Loop() {
  for (;;) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stopping_) return;
    }
    Result<int> handled = pass_();
    if (!handled.ok()) spdlog::warn("{}: {}", name_, handled.error().message);
    if (handled.ok() && *handled >= full_batch_) continue;  // more may be due at once
    std::unique_lock<std::mutex> lock(mu_);
    wake_.wait_for(lock, std::chrono::milliseconds(poll_ms_), [&] { return stopping_; });
  }
}

}  // namespace billing
