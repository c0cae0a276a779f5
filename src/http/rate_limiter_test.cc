#include "http/rate_limiter.h"

#include <gtest/gtest.h>

namespace billing::http {
namespace {

TEST(RateLimiterTest, BurstThenRefusedWithRetryAfter) {
  RateLimiter limiter({});
  const RateLimitPolicy policy{3, 30};  // one token every 2 s
  for (int i = 0; i < 3; ++i) {
    RateDecision d = limiter.Take("k", policy, 1'000);
    EXPECT_TRUE(d.allowed);
    EXPECT_EQ(d.limit, 3);
    EXPECT_EQ(d.remaining, 2 - i);
  }
  RateDecision refused = limiter.Take("k", policy, 1'000);
  EXPECT_FALSE(refused.allowed);
  EXPECT_EQ(refused.remaining, 0);
  EXPECT_EQ(refused.retry_after_seconds, 2);
  EXPECT_EQ(refused.reset_seconds, 6);
}

TEST(RateLimiterTest, RefillIsExactOverManySmallSteps) {
  RateLimiter limiter({});
  const RateLimitPolicy policy{1, 30};  // 2,000 ms per token
  ASSERT_TRUE(limiter.Take("k", policy, 0).allowed);
  // 1,999 steps of 1 ms: fractions of a token are kept, not lost to rounding.
  for (int64_t t = 1; t < 2'000; ++t) {
    EXPECT_FALSE(limiter.Take("k", policy, t).allowed) << t;
  }
  // Each refused Take above still counts the time; the token is complete at 2,000 ms.
  EXPECT_TRUE(limiter.Take("k", policy, 2'000).allowed);
}

TEST(RateLimiterTest, KeysAreIndependentAndOffPolicyAlwaysAllows) {
  RateLimiter limiter({});
  const RateLimitPolicy policy{1, 1};
  EXPECT_TRUE(limiter.Take("a", policy, 0).allowed);
  EXPECT_FALSE(limiter.Take("a", policy, 0).allowed);
  EXPECT_TRUE(limiter.Take("b", policy, 0).allowed);
  for (int i = 0; i < 100; ++i) EXPECT_TRUE(limiter.Take("a", RateLimitPolicy{0, 0}, 0).allowed);
}

TEST(RateLimiterTest, ClockGoingBackwardsGrantsNothing) {
  RateLimiter limiter({});
  const RateLimitPolicy policy{1, 60};
  ASSERT_TRUE(limiter.Take("k", policy, 10'000).allowed);
  EXPECT_FALSE(limiter.Take("k", policy, 0).allowed);
  EXPECT_FALSE(limiter.Take("k", policy, 10'500).allowed);
}

TEST(RateLimiterTest, MemoryIsBoundedByEvictingTheLeastRecentlyUsed) {
  RateLimitOptions options;
  options.max_buckets = 64;  // 4 per shard
  RateLimiter limiter(options);
  const RateLimitPolicy policy{1, 1};
  for (int i = 0; i < 10'000; ++i) limiter.Take("client-" + std::to_string(i), policy, 0);
  EXPECT_LE(limiter.bucket_count(), 64u);
  EXPECT_GT(limiter.bucket_count(), 0u);
}

TEST(RateLimiterTest, PaymentGateUsesThePaymentsPolicy) {
  RateLimitOptions options;
  options.payments = {2, 60};
  RateLimiter limiter(options);
  FixedClock clock(0);
  PaymentRateGate gate(limiter, clock);
  EXPECT_FALSE(gate.Admit("key:a").has_value());
  EXPECT_FALSE(gate.Admit("key:a").has_value());
  std::optional<int64_t> retry = gate.Admit("key:a");
  ASSERT_TRUE(retry.has_value());
  EXPECT_EQ(*retry, 1);
  EXPECT_FALSE(gate.Admit("key:b").has_value());
  clock.Set(1'000);
  EXPECT_FALSE(gate.Admit("key:a").has_value());
}

}  // namespace
}  // namespace billing::http
