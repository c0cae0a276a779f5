#include "http/rate_limiter.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <thread>
#include <vector>

#include "store/backend.h"
#include "testing/test_backend.h"

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
  auto retry = [&](const char* caller) { return gate.Admit(caller).value(); };
  EXPECT_FALSE(retry("key:a").has_value());
  EXPECT_FALSE(retry("key:a").has_value());
  std::optional<int64_t> refused = retry("key:a");
  ASSERT_TRUE(refused.has_value());
  EXPECT_EQ(*refused, 1);
  EXPECT_FALSE(retry("key:b").has_value());
  clock.Set(1'000);
  EXPECT_FALSE(retry("key:a").has_value());
}

// The payments policy over buckets in PostgreSQL (what instances on one database share): the
// same answers as the in-memory gate, one bucket whichever gate (instance) is asked, and under
// contention exactly `burst` admissions when nothing refills.
class SharedRateLimiterTest : public test_support::FreshPgDatabaseTest {};

TEST_F(SharedRateLimiterTest, PaymentGateKeepsOneBucketPerCallerAcrossInstances) {
  const std::string& url = db_;
  {
    auto first = OpenSharedRateBuckets(BackendOptions{url, 4, 5000});
    auto second = OpenSharedRateBuckets(BackendOptions{url, 4, 5000});
    ASSERT_TRUE(first.ok() && second.ok());
    ASSERT_NE(first.value(), nullptr);
    FixedClock clock(1'000'000);
    SharedPaymentRateGate a(*first.value(), {2, 60}, clock), b(*second.value(), {2, 60}, clock);
    auto retry = [](SharedPaymentRateGate& gate, const char* caller) {
      Result<std::optional<int64_t>> r = gate.Admit(caller);
      EXPECT_TRUE(r.ok()) << r.error().message;
      return r.ok() ? r.value() : std::optional<int64_t>();
    };
    EXPECT_FALSE(retry(a, "key:a").has_value());
    EXPECT_FALSE(retry(b, "key:a").has_value());  // the other instance: the same bucket
    std::optional<int64_t> refused = retry(a, "key:a");
    ASSERT_TRUE(refused.has_value());
    EXPECT_EQ(*refused, 1);
    EXPECT_TRUE(retry(b, "key:a").has_value());
    EXPECT_FALSE(retry(b, "key:b").has_value());
    clock.Set(1'001'000);
    EXPECT_FALSE(retry(b, "key:a").has_value());

    // Eight threads over both gates, 10 tries each, a bucket of 20 that never refills.
    SharedPaymentRateGate c(*first.value(), {20, 0}, clock), d(*second.value(), {20, 0}, clock);
    std::atomic<int> admitted{0}, refusals{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 8; ++t) {
      threads.emplace_back([&, t] {
        for (int i = 0; i < 10; ++i) {
          Result<std::optional<int64_t>> r = (t % 2 ? c : d).Admit("key:busy");
          if (!r.ok()) continue;
          ++(r.value() ? refusals : admitted);
        }
      });
    }
    for (auto& th : threads) th.join();
    EXPECT_EQ(admitted.load(), 20);
    EXPECT_EQ(refusals.load(), 60);
  }
}

}  // namespace
}  // namespace billing::http
