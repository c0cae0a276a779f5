// Stored cards through BillingService: details sealed at rest (only brand, last four digits and
// expiry in clear), charged again by id, refused when invalid or expired without echoing the
// number, and re-sealed by key rotation.
#include <gtest/gtest.h>

#include "billing/service.h"
#include "testing/raw_db.h"
#include "testing/seeded_ledger.h"

namespace billing {
namespace {

const std::string kOldKey = "old:" + std::string(64, '1');
const std::string kNewKey = "new:" + std::string(64, '2');

class CardsTest : public test_support::SeededLedgerTest {
 protected:
  CardsTest() : SeededLedgerTest("billing-cards-test") {}
  void SetUp() override {
    SeededLedgerTest::SetUp();
    service_->set_data_cipher(&old_ring_);
  }
  // Every text value of the payment_methods, payments, audit and operations tables, read with a
  // plain connection to the database.
  std::string RawCardRows() {
    test_support::RawDb raw(db_.path());
    std::string out;
    for (const char* sql : {"SELECT * FROM payment_methods", "SELECT * FROM payments",
                            "SELECT * FROM audit_log", "SELECT * FROM operations"}) {
      out += raw.AllText(sql);
    }
    return out;
  }
  Result<PaymentOutcome> PayByCard(const std::string& number, int month = 12, int year = 2028) {
    PaymentRequest req{"CUST-001", 10'000, "", ""};
    req.card = NewCard{number, month, year};
    return service_->ProcessPayment(req);
  }

  security::DataCipher old_ring_ = security::DataCipher::FromKeyList(kOldKey).value();
  security::DataCipher new_ring_ =
      security::DataCipher::FromKeyList(kNewKey + "," + kOldKey).value();
};

TEST_F(CardsTest, CardDetailsAreSealedAtRestAndOnlyBrandAndLastFourShow) {
  auto paid = PayByCard("4242 4242 4242 4242");
  ASSERT_TRUE(paid.ok()) << paid.error().message;
  EXPECT_EQ(paid->payment.method, "credit_card");
  EXPECT_EQ(paid->payment.payment_method_id, "PM-001");
  EXPECT_EQ(paid->payment.card_brand, "visa");
  EXPECT_EQ(paid->payment.card_last4, "4242");
  const std::string raw = RawCardRows();
  EXPECT_EQ(raw.find("4242424242424242"), std::string::npos);
  EXPECT_EQ(raw.find("4242 4242 4242 4242"), std::string::npos);
  EXPECT_NE(raw.find("v1:old:"), std::string::npos);
  auto view = service_->GetCustomer("CUST-001");
  ASSERT_TRUE(view.ok());
  ASSERT_EQ(view->cards.size(), 1u);
  EXPECT_EQ(view->cards[0].last4, "4242");
  EXPECT_TRUE(view->cards[0].details_sealed.empty());
  EXPECT_EQ(view->recent_payments[0].card_last4, "4242");
  EXPECT_TRUE(service_->CheckInvariants().ok());

  // Charged again by id.
  PaymentRequest again{"CUST-001", 5'000, "", ""};
  again.payment_method_id = "pm-001";
  auto second = service_->ProcessPayment(again);
  ASSERT_TRUE(second.ok()) << second.error().message;
  EXPECT_EQ(second->payment.payment_method_id, "PM-001");
  // Another customer's card is not found.
  PaymentRequest foreign{"CUST-003", 5'000, "", ""};
  foreign.payment_method_id = "PM-001";
  EXPECT_EQ(service_->ProcessPayment(foreign).error().code, ErrorCode::kNotFound);
}

TEST_F(CardsTest, BadCardsAreRefusedWithoutEchoingTheNumber) {
  struct Case {
    std::string number;
    int month, year;
    const char* field;
  };
  for (const Case& c : {Case{"4242424242424241", 12, 2028, "card.number"},
                        Case{"4242 4242", 12, 2028, "card.number"},
                        Case{"4242-4242-4242-424x", 12, 2028, "card.number"},
                        Case{"4242424242424242", 13, 2028, "card.expMonth"},
                        Case{"4242424242424242", 10, 2026, "card.expYear"}}) {
    auto r = PayByCard(c.number, c.month, c.year);
    ASSERT_FALSE(r.ok()) << c.number;
    EXPECT_EQ(r.error().field, c.field);
    EXPECT_EQ(r.error().message.find("4242424242"), std::string::npos) << r.error().message;
  }
  EXPECT_EQ(RawCardRows().find("4242424242424242"), std::string::npos);
  // Without a data key nothing is stored.
  service_->set_data_cipher(nullptr);
  auto no_key = PayByCard("4242424242424242");
  ASSERT_FALSE(no_key.ok());
  EXPECT_EQ(no_key.error().code, ErrorCode::kFailedPrecondition);
}

TEST_F(CardsTest, RotationReSealsWithTheNewKeyAndTheOldKeyCanThenBeDropped) {
  ASSERT_TRUE(PayByCard("5555555555554444").ok());
  ASSERT_TRUE(PayByCard("378282246310005").ok());
  service_->set_data_cipher(&new_ring_);
  int64_t resealed = 0;
  ASSERT_TRUE(service_->RotateDataKeys(&resealed).ok());
  EXPECT_EQ(resealed, 2);
  ASSERT_TRUE(service_->RotateDataKeys(&resealed).ok());
  EXPECT_EQ(resealed, 0);  // idempotent
  EXPECT_EQ(RawCardRows().find("v1:old:"), std::string::npos);
  // With only the new key, both cards can still be charged.
  security::DataCipher only_new = security::DataCipher::FromKeyList(kNewKey).value();
  service_->set_data_cipher(&only_new);
  for (const char* id : {"PM-001", "PM-002"}) {
    PaymentRequest req{"CUST-001", 100, "", ""};
    req.payment_method_id = id;
    auto r = service_->ProcessPayment(req);
    EXPECT_TRUE(r.ok()) << id << ": " << (r.ok() ? "" : r.error().message);
  }
  // With only the old key they cannot: the failure says why, and nothing is charged.
  service_->set_data_cipher(&old_ring_);
  PaymentRequest req{"CUST-001", 100, "", ""};
  req.payment_method_id = "PM-001";
  auto refused = service_->ProcessPayment(req);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message.find("do not open"), std::string::npos);
  EXPECT_TRUE(service_->CheckInvariants().ok());
}

// A customer keeps at most 100 stored cards, so the customer's view lists all of them (#16).
TEST_F(CardsTest, AHundredAndFirstCardIsRefusedAndTheViewListsEveryCard) {
  for (int k = 0; k < 100; ++k) {
    auto paid = PayByCard("4242 4242 4242 4242", 1 + k % 12, 2028 + k / 12);
    ASSERT_TRUE(paid.ok()) << k << ": " << paid.error().message;
  }
  auto refused = PayByCard("4242 4242 4242 4242");
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().field, "card");
  EXPECT_NE(refused.error().message.find("100 stored cards"), std::string::npos);
  auto view = service_->GetCustomer("CUST-001");
  ASSERT_TRUE(view.ok());
  EXPECT_EQ(view->cards.size(), 100u);
}

}  // namespace
}  // namespace billing
