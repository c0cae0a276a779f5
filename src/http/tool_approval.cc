#include "http/tool_approval.h"

#include <cassert>
#include <utility>

namespace billing::http {

PendingApprovals::PendingApprovals(const Clock& clock, size_t capacity, size_t per_owner,
                                   int64_t ttl_ms)
    : clock_(clock), capacity_(capacity), per_owner_(per_owner), ttl_ms_(ttl_ms) {
  assert(capacity_ > 0 && per_owner_ > 0 && ttl_ms_ > 0);
}

void PendingApprovals::DropExpiredLocked(int64_t now_ms) {
  for (auto it = entries_.begin(); it != entries_.end();) {
    it = it->expires_unix_ms <= now_ms ? entries_.erase(it) : std::next(it);
  }
}

void PendingApprovals::Put(PendingRun run) {
  assert(run.state != nullptr && run.state->in_tools);
  const int64_t now_ms = clock_.NowUnixMs();
  std::lock_guard lock(mu_);
  DropExpiredLocked(now_ms);
  const std::string& run_id = run.state->out.run_id;
  size_t owned = 0;
  auto oldest_owned = entries_.end();
  for (auto it = entries_.begin(); it != entries_.end();) {
    if (it->run.state->out.run_id == run_id) {
      it = entries_.erase(it);
      continue;
    }
    if (it->run.owner == run.owner) {
      if (owned++ == 0) oldest_owned = it;
    }
    ++it;
  }
  if (owned >= per_owner_) entries_.erase(oldest_owned);
  if (entries_.size() >= capacity_) entries_.pop_front();
  entries_.push_back(Entry{std::move(run), now_ms + ttl_ms_});
  assert(entries_.size() <= capacity_);
}

std::optional<PendingRun> PendingApprovals::Take(const std::string& run_id,
                                                 const std::string& tool_call_id,
                                                 const std::string& owner) {
  const int64_t now_ms = clock_.NowUnixMs();
  std::lock_guard lock(mu_);
  DropExpiredLocked(now_ms);
  for (auto it = entries_.begin(); it != entries_.end(); ++it) {
    const SuspendedRun& state = *it->run.state;
    if (state.out.run_id != run_id || it->run.owner != owner) continue;
    if (state.pending_call().id != tool_call_id) return std::nullopt;
    PendingRun run = std::move(it->run);
    entries_.erase(it);
    return run;
  }
  return std::nullopt;
}

size_t PendingApprovals::size() const {
  std::lock_guard lock(mu_);
  return entries_.size();
}

}  // namespace billing::http
