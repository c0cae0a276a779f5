#include "http/rate_limiter.h"

#include <algorithm>
#include <cassert>
#include <functional>

namespace billing::http {
namespace {

constexpr int64_t kMilli = 1000;  // thousandths of a token

int64_t CeilDiv(int64_t a, int64_t b) {
  return (a + b - 1) / b;
}

// Milliseconds until `deficit_milli` thousandths have refilled at `per_minute` tokens a minute.
int64_t MsToRefill(int64_t deficit_milli, int64_t per_minute) {
  if (deficit_milli <= 0) return 0;
  if (per_minute <= 0) return 60'000;  // never refills: tell the caller to come back later
  return CeilDiv(deficit_milli * 60, per_minute);
}

}  // namespace

RateLimiter::RateLimiter(RateLimitOptions options)
    : options_(options), max_per_shard_(std::max<size_t>(1, options.max_buckets / kShards)) {}

RateDecision TakeToken(RateBucket& b, const RateLimitPolicy& policy, int64_t now_ms) {
  RateDecision d;
  if (policy.burst <= 0) return d;
  const int64_t full_milli = policy.burst * kMilli;
  d.limit = policy.burst;

  // Refill for the time since the last update; time not yet worth a whole thousandth is kept.
  const int64_t elapsed_ms = std::max<int64_t>(0, now_ms - b.updated_ms);
  if (b.tokens_milli >= full_milli || policy.per_minute <= 0) {
    b.updated_ms = now_ms;
  } else {
    const int64_t to_full_ms = MsToRefill(full_milli - b.tokens_milli, policy.per_minute);
    if (elapsed_ms >= to_full_ms) {
      b.tokens_milli = full_milli;
      b.updated_ms = now_ms;
    } else {
      const int64_t gained_milli = elapsed_ms * policy.per_minute / 60;
      b.tokens_milli += gained_milli;
      b.updated_ms += gained_milli * 60 / policy.per_minute;
    }
  }
  b.tokens_milli = std::clamp<int64_t>(b.tokens_milli, 0, full_milli);

  if (b.tokens_milli >= kMilli) {
    b.tokens_milli -= kMilli;
    d.allowed = true;
  } else {
    d.allowed = false;
    d.retry_after_seconds =
        std::max<int64_t>(1, CeilDiv(MsToRefill(kMilli - b.tokens_milli, policy.per_minute), 1000));
  }
  d.remaining = b.tokens_milli / kMilli;
  d.reset_seconds = CeilDiv(MsToRefill(full_milli - b.tokens_milli, policy.per_minute), 1000);
  assert(b.tokens_milli >= 0 && b.tokens_milli <= full_milli);
  return d;
}

RateBucket FullBucket(const RateLimitPolicy& policy, int64_t now_ms) {
  return RateBucket{policy.burst * kMilli, now_ms};
}

RateDecision RateLimiter::Take(std::string_view key, const RateLimitPolicy& policy,
                               int64_t now_ms) {
  if (policy.burst <= 0) return RateDecision{};

  Shard& shard = shards_[std::hash<std::string_view>()(key) % kShards];
  std::lock_guard<std::mutex> lock(shard.mu);
  auto it = shard.buckets.find(std::string(key));
  if (it == shard.buckets.end()) {
    if (shard.buckets.size() >= max_per_shard_) {
      // Bounded memory: drop the least recently used bucket of this shard.
      assert(!shard.lru.empty());
      shard.buckets.erase(shard.lru.back());
      shard.lru.pop_back();
    }
    shard.lru.emplace_front(key);
    it = shard.buckets.emplace(shard.lru.front(), Bucket{FullBucket(policy, now_ms), shard.lru.begin()})
             .first;
  } else {
    shard.lru.splice(shard.lru.begin(), shard.lru, it->second.lru);
  }
  return TakeToken(it->second.state, policy, now_ms);
}

size_t RateLimiter::bucket_count() const {
  size_t n = 0;
  for (const Shard& s : shards_) {
    std::lock_guard<std::mutex> lock(s.mu);
    n += s.buckets.size();
  }
  return n;
}

Result<std::optional<int64_t>> PaymentRateGate::Admit(const std::string& caller) const {
  RateDecision d = limiter_.Take("pay:" + caller, limiter_.options().payments, clock_.NowUnixMs());
  if (d.allowed) return std::optional<int64_t>();
  return std::optional<int64_t>(d.retry_after_seconds);
}

Result<std::optional<int64_t>> SharedPaymentRateGate::Admit(const std::string& caller) const {
  if (policy_.burst <= 0) return std::optional<int64_t>();
  const int64_t now_ms = clock_.NowUnixMs();
  RateDecision d;
  BILLING_TRY(buckets_.Update("pay:" + caller, [&](std::optional<RateBucket> stored) {
    RateBucket b = stored.value_or(FullBucket(policy_, now_ms));
    d = TakeToken(b, policy_, now_ms);  // set afresh on every run (Update may retry)
    return b;
  }));
  // Buckets of callers gone quiet are full again (the same as no bucket): drop some now and then,
  // so the table stays as small as the set of recent callers.
  if (policy_.per_minute > 0 && admitted_.fetch_add(1, std::memory_order_relaxed) % kPurgeEvery == 0) {
    const int64_t full_after_ms = MsToRefill(policy_.burst * kMilli, policy_.per_minute);
    Result<int64_t> purged = buckets_.Purge(now_ms - full_after_ms, kPurgeBatch);
    (void)purged;  // best effort: a failed purge leaves full-equivalent rows behind
  }
  if (d.allowed) return std::optional<int64_t>();
  return std::optional<int64_t>(d.retry_after_seconds);
}

}  // namespace billing::http
