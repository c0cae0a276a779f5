// Transaction ids never read as card numbers (billing/transaction_id.h).
#include <gtest/gtest.h>

#include "billing/transaction_id.h"
#include "security/card_data.h"

namespace billing {
namespace {

TEST(TransactionIdTest, NoIdHasADigitRunTheRedactionWouldTake) {
  SeededRandom random(42);
  for (int i = 0; i < 20'000; ++i) {
    const std::string id = NewTransactionId(random);
    ASSERT_EQ(id.size(), 28u);
    ASSERT_EQ(id.rfind("txn_", 0), 0u);
    ASSERT_FALSE(security::ContainsCardNumber(id)) << id;
    ASSERT_EQ(security::RedactCardNumbers("paid (transaction " + id + ")"),
              "paid (transaction " + id + ")");
    size_t run = 0;
    for (char c : id.substr(4)) {
      ASSERT_TRUE((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')) << id;
      run = (c >= '0' && c <= '9') ? run + 1 : 0;
      ASSERT_LE(run, kMaxTransactionIdDigitRun) << id;
    }
  }
}

}  // namespace
}  // namespace billing
