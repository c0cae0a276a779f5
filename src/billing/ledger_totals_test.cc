// The running per-customer totals (store migration 008) and per-invoice paid totals (migration
// 011), kept by triggers, always equal the sums recomputed from the rows, through every kind of
// change; a tampered total is caught by CheckInvariants.
#include <gtest/gtest.h>

#include "testing/raw_db.h"
#include "testing/seeded_ledger.h"

namespace billing {
namespace {

class LedgerTotalsTest : public test_support::SeededLedgerTest {
 protected:
  LedgerTotalsTest() : SeededLedgerTest("billing-ledger-totals-test") {}
};

TEST_F(LedgerTotalsTest, TotalsFollowEveryChangeAndTamperingIsCaught) {
  Date due;
  ASSERT_TRUE(Date::Parse("2026-12-31", &due));
  auto inv = service_->CreateInvoice(NewInvoice{"CUST-002", {{"Work", 2000, 12'345}}, due, ""});
  ASSERT_TRUE(inv.ok());
  ExpectInvariants();
  ASSERT_TRUE(
      service_
          ->UpdateInvoice(inv->id, InvoiceUpdate{std::nullopt, std::nullopt,
                                                 std::vector<NewLineItem>{{"Work", 1000, 999}}})
          .ok());
  ExpectInvariants();
  auto paid = service_->ProcessPayment(PaymentRequest{"CUST-002", 500, "", inv->id});
  ASSERT_TRUE(paid.ok()) << paid.error().message;
  ExpectInvariants();
  ASSERT_TRUE(service_->RefundPayment(paid->payment.id, 200, "").ok());
  ExpectInvariants();
  ASSERT_TRUE(service_->RefundPayment(paid->payment.id, std::nullopt, "").ok());
  ExpectInvariants();
  ASSERT_TRUE(service_->CancelInvoice(inv->id).ok());
  ExpectInvariants();
  auto marked = service_->CreateInvoice(NewInvoice{"CUST-003", {{"Plan", 1000, 5'000}}, due, ""});
  ASSERT_TRUE(marked.ok());
  ASSERT_TRUE(service_->MarkInvoicePaid(marked->id, "", "tester").ok());
  ExpectInvariants();
  EXPECT_EQ(service_->GetCustomer("CUST-002")->balance_cents, 0);

  test_support::RawDb raw(db_.path());
  ASSERT_TRUE(
      raw.Exec("UPDATE customer_totals SET paid_cents = paid_cents + 1 WHERE customer_id = 'CUST-001'"));
  Status broken = service_->CheckInvariants();
  ASSERT_FALSE(broken.ok());
  EXPECT_NE(broken.error().message.find("CUST-001"), std::string::npos);
}

TEST_F(LedgerTotalsTest, ATamperedInvoicePaidTotalIsCaught) {
  auto paid = service_->ProcessPayment(PaymentRequest{"CUST-001", 10'000, "", ""});
  ASSERT_TRUE(paid.ok()) << paid.error().message;
  ASSERT_EQ(paid->payment.allocations.size(), 1u);
  const std::string invoice_id = paid->payment.allocations[0].invoice_id;
  EXPECT_EQ(service_->GetInvoice(invoice_id)->paid_cents, 10'000);
  ASSERT_TRUE(service_->RefundPayment(paid->payment.id, 2'500, "").ok());
  EXPECT_EQ(service_->GetInvoice(invoice_id)->paid_cents, 7'500);
  ExpectInvariants();

  test_support::RawDb raw(db_.path());
  ASSERT_TRUE(raw.Exec("UPDATE invoices SET paid_cents = paid_cents + 1 WHERE id = " +
                       test_support::SqlQuote(invoice_id)));
  Status broken = service_->CheckInvariants();
  ASSERT_FALSE(broken.ok());
  EXPECT_NE(broken.error().message.find(invoice_id), std::string::npos) << broken.error().message;
}

}  // namespace
}  // namespace billing
