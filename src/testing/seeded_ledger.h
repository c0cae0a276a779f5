// SeededLedgerTest: a GoogleTest fixture with a BillingService over a fresh SQLite file holding
// the sample data, the clock pinned at 2026-11-25T12:00:00Z and a processor that approves every
// payment. Test code only.
//
// Thread-safety: one per test; the service itself is thread-safe.
#pragma once

#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "billing/service.h"
#include "testing/temp_db.h"

namespace billing::test_support {

inline constexpr int64_t kNov25_2026NoonMs = 1795608000000;  // 2026-11-25T12:00:00Z

class SeededLedgerTest : public ::testing::Test {
 protected:
  explicit SeededLedgerTest(const std::string& db_prefix) : db_(db_prefix) {}

  void SetUp() override {
    auto store = OpenStore({db_.path(), 4});
    ASSERT_TRUE(store.ok()) << store.error().message;
    store_ = std::move(store.value());
    BillingOptions options;
    options.processor_mode = ProcessorMode::kAlwaysApprove;
    service_ = std::make_unique<BillingService>(*store_, clock_, ids_, processor_, options);
    ASSERT_TRUE(service_->SeedIfEmpty().ok());
  }
  void ExpectInvariants() {
    Status s = service_->CheckInvariants();
    EXPECT_TRUE(s.ok()) << s.error().message;
  }

  TempDbFile db_;  // declared first: outlives the store
  FixedClock clock_{kNov25_2026NoonMs};
  SeededRandom ids_{1};
  SeededRandom processor_{2};
  std::unique_ptr<Store> store_;
  std::unique_ptr<BillingService> service_;
};

}  // namespace billing::test_support
