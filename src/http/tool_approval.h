// PendingApprovals: the runs stopped before a tool call that awaits its user's approval
// (Mastra's requireToolApproval; POST /api/agents/:id/approve-tool-call and /decline-tool-call,
// docs/http.md "Tool approval"). Kept in memory only: a pending run has changed nothing, so one
// lost to a restart or to the bounds below loses no acknowledged work; its caller asks again.
//
// Bounds: at most `capacity` runs in all and `per_owner` per caller (the oldest goes first when
// either is full), each for at most `ttl_ms`. A run is handed back once (Take removes it), and
// only to the caller that started it.
//
// Thread-safety: every method is safe to call concurrently (one mutex).
#pragma once

#include <cstddef>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "agent/agent.h"
#include "common/clock.h"
#include "http/mastra_routes.h"

namespace billing::http {

struct PendingRun {
  GenerateRequest request;              // the run request (memory thread, input) for its end
  std::shared_ptr<SuspendedRun> state;  // where the agent stopped
  std::string owner;                    // the principal that started it
  std::string message_id;               // the streamed answer's messageId, kept across the pause
};

class PendingApprovals {
 public:
  static constexpr size_t kDefaultCapacity = 1024;
  static constexpr size_t kDefaultPerOwner = 16;
  static constexpr int64_t kDefaultTtlMs = 15 * 60 * 1000;

  explicit PendingApprovals(const Clock& clock, size_t capacity = kDefaultCapacity,
                            size_t per_owner = kDefaultPerOwner, int64_t ttl_ms = kDefaultTtlMs);

  // Keeps `run` (its state non-null and suspended) under its run id until taken or expired.
  // A run id already pending is replaced.
  void Put(PendingRun run);

  // Removes and returns the run `run_id` of `owner` whose pending call is `tool_call_id`;
  // nullopt when there is none (never started, taken already, expired, another owner's, or
  // another call).
  std::optional<PendingRun> Take(const std::string& run_id, const std::string& tool_call_id,
                                 const std::string& owner);

  size_t size() const;

 private:
  struct Entry {
    PendingRun run;
    int64_t expires_unix_ms = 0;
  };
  void DropExpiredLocked(int64_t now_ms);

  const Clock& clock_;
  const size_t capacity_;
  const size_t per_owner_;
  const int64_t ttl_ms_;
  mutable std::mutex mu_;
  std::list<Entry> entries_;  // oldest first; small (bounded by capacity_), scanned linearly
};

}  // namespace billing::http
