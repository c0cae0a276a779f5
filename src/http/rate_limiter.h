// RateLimiter: token buckets keyed by caller (API key, JWT subject) and by client address.
//
// A bucket holds up to `burst` tokens and refills at `per_minute` tokens a minute; a request takes
// one token or is refused with the time until the next token (Retry-After). Tokens are counted
// in thousandths so slow refill rates stay exact in integers. Memory is bounded: at most
// `max_buckets` buckets exist; when full, the least recently used bucket is dropped (it would
// have refilled anyway unless its owner was active, and active owners are recent).
//
// Thread-safety: Take() may be called from any number of threads; buckets are sharded by key,
// each shard behind its own mutex.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <list>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "common/clock.h"
#include "store/shared_rate_buckets.h"
#include "tools/tool.h"

namespace billing::http {

struct RateLimitPolicy {
  int64_t burst = 0;       // bucket size; 0 = this limit is off
  int64_t per_minute = 0;  // refill rate
};

struct RateLimitOptions {
  RateLimitPolicy requests{120, 600};  // every /api request, per caller and per address
  RateLimitPolicy payments{10, 30};    // payments, refunds and mark-paid, per caller
  size_t max_buckets = 100'000;
};

struct RateDecision {
  bool allowed = true;
  int64_t limit = 0;                // the bucket size
  int64_t remaining = 0;            // whole tokens left after this request
  int64_t reset_seconds = 0;        // until the bucket is full again
  int64_t retry_after_seconds = 0;  // until one token is available (when refused)
};

// Refills `bucket` for the time up to now_ms and takes one token if a whole one is there: the
// arithmetic of every bucket, in memory (RateLimiter) or shared (SharedPaymentRateGate).
RateDecision TakeToken(RateBucket& bucket, const RateLimitPolicy& policy, int64_t now_ms);
// A new bucket: full.
RateBucket FullBucket(const RateLimitPolicy& policy, int64_t now_ms);

class RateLimiter {
 public:
  explicit RateLimiter(RateLimitOptions options);
  RateLimiter(const RateLimiter&) = delete;
  RateLimiter& operator=(const RateLimiter&) = delete;

  const RateLimitOptions& options() const { return options_; }

  // Takes one token from bucket `key` under `policy` at time `now_ms` (a monotonic clock).
  // A policy with burst 0 always allows.
  RateDecision Take(std::string_view key, const RateLimitPolicy& policy, int64_t now_ms);

  size_t bucket_count() const;

 private:
  struct Bucket {
    RateBucket state;
    std::list<std::string>::iterator lru;
  };
  struct Shard {
    mutable std::mutex mu;
    std::unordered_map<std::string, Bucket> buckets;
    std::list<std::string> lru;  // most recently used first
  };
  static constexpr size_t kShards = 16;

  RateLimitOptions options_;
  size_t max_per_shard_;
  std::array<Shard, kShards> shards_;
};

// The payments policy of a RateLimiter as the tools' MoneyMovementLimiter.
class PaymentRateGate final : public MoneyMovementLimiter {
 public:
  PaymentRateGate(RateLimiter& limiter, const Clock& clock) : limiter_(limiter), clock_(clock) {}
  Result<std::optional<int64_t>> Admit(const std::string& caller) const override;

 private:
  RateLimiter& limiter_;
  const Clock& clock_;
};

// The payments policy over buckets shared by every instance on one database
// (store/shared_rate_buckets.h): the same arithmetic as PaymentRateGate, one bucket per caller
// whichever instance the caller reaches. A bucket's state lives in the database, so the clocks of
// the instances should agree (NTP): a clock behind the others refills nothing until it catches
// up, one ahead refills early by its lead. Runs where payments run (on the write pool).
class SharedPaymentRateGate final : public MoneyMovementLimiter {
 public:
  SharedPaymentRateGate(SharedRateBuckets& buckets, RateLimitPolicy policy, const Clock& clock)
      : buckets_(buckets), policy_(policy), clock_(clock) {}
  Result<std::optional<int64_t>> Admit(const std::string& caller) const override;

 private:
  static constexpr uint64_t kPurgeEvery = 1000;  // admissions between purges
  static constexpr int kPurgeBatch = 1000;       // buckets a purge removes at most
  SharedRateBuckets& buckets_;
  RateLimitPolicy policy_;
  const Clock& clock_;
  mutable std::atomic<uint64_t> admitted_{0};
};

}  // namespace billing::http
