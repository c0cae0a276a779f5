// PollingWorker: one thread that runs a pass again and again until stopped: at once while a pass
// handles a full batch (more may be due), else after poll_ms (or as soon as it is stopped). The
// outbox senders (webhook_worker.h, email_worker.h) each run their passes on one.
//
// Thread-safety: Start() and Stop() from one thread; the pass runs on the worker's thread only.
#pragma once

#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "common/result.h"

namespace billing {

class PollingWorker {
 public:
  // pass: returns how many items it handled; an error is logged with `name` and waited out.
  PollingWorker(std::string name, int poll_ms, int full_batch, std::function<Result<int>()> pass);
  ~PollingWorker();  // Stop()
  PollingWorker(const PollingWorker&) = delete;
  PollingWorker& operator=(const PollingWorker&) = delete;

  void Start();
  void Stop();  // waits for the pass in progress

 private:
  void Loop();

  const std::string name_;
  const int poll_ms_;
  const int full_batch_;
  const std::function<Result<int>()> pass_;
  std::mutex mu_;
  std::condition_variable wake_;
  bool stopping_ = false;  // guarded by mu_
  std::thread thread_;
};

}  // namespace billing
