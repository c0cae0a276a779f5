// Operation keys (BillingService "Operation keys"): a change made under a key is made once; the
// same key again returns the original record and changes nothing; the same key with other
// parameters is refused. Over a real SQLite file, invariants checked after every step.
#include <gtest/gtest.h>

#include "billing/service.h"
#include "testing/seeded_ledger.h"

namespace billing {
namespace {

class OperationsTest : public test_support::SeededLedgerTest {
 protected:
  OperationsTest() : SeededLedgerTest("billing-operations-test") {}
  size_t PaymentCount() {
    auto h = service_->History("CUST-001");
    EXPECT_TRUE(h.ok());
    return h.ok() ? h->payments.size() : 0;
  }
  int64_t AuditRows() {
    int64_t rows = 0, broken = 0;
    EXPECT_TRUE(service_->VerifyAudit(&rows, &broken).ok());
    EXPECT_EQ(broken, 0);
    return rows;
  }
};

TEST_F(OperationsTest, PaymentUnderAKeyIsMadeOnce) {
  PaymentRequest req{"CUST-001", 10'000, "credit_card", ""};
  req.operation_key = "idem:key:a:op-1";
  const size_t before = PaymentCount();
  auto first = service_->ProcessPayment(req);
  ASSERT_TRUE(first.ok()) << first.error().message;
  EXPECT_FALSE(first->replayed);
  const int64_t audit_rows = AuditRows();
  auto again = service_->ProcessPayment(req);
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_TRUE(again->replayed);
  EXPECT_EQ(again->payment.id, first->payment.id);
  EXPECT_EQ(again->payment.amount_cents, 10'000);
  EXPECT_EQ(again->payment.allocations.size(), first->payment.allocations.size());
  EXPECT_EQ(again->new_balance_cents, first->new_balance_cents);
  EXPECT_TRUE(again->approved);
  EXPECT_EQ(PaymentCount(), before + 1);
  EXPECT_EQ(AuditRows(), audit_rows);  // a replay writes nothing
  ExpectInvariants();
}

TEST_F(OperationsTest, SameKeyWithOtherParametersIsAConflict) {
  PaymentRequest req{"CUST-001", 10'000, "credit_card", ""};
  req.operation_key = "op-2";
  ASSERT_TRUE(service_->ProcessPayment(req).ok());
  const size_t after_first = PaymentCount();
  req.amount_cents = 20'000;
  auto other = service_->ProcessPayment(req);
  ASSERT_FALSE(other.ok());
  EXPECT_EQ(other.error().code, ErrorCode::kConflict);
  EXPECT_NE(other.error().message.find("different operation"), std::string::npos);
  // Nor may a payment's key be reused for a refund.
  auto refund = service_->RefundPayment("PAY-001", 100, "", "", "", "op-2");
  ASSERT_FALSE(refund.ok());
  EXPECT_EQ(refund.error().code, ErrorCode::kConflict);
  EXPECT_EQ(PaymentCount(), after_first);
  ExpectInvariants();
}

TEST_F(OperationsTest, RefundUnderAKeyIsMadeOnce) {
  auto first = service_->RefundPayment("PAY-001", 5'000, "duplicate", "tester", "req-1", "op-3");
  ASSERT_TRUE(first.ok()) << first.error().message;
  auto again = service_->RefundPayment("pay-001", 5'000, "duplicate", "tester", "req-2", "op-3");
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_TRUE(again->replayed);
  EXPECT_EQ(again->refund.id, first->refund.id);
  EXPECT_EQ(again->payment.refunded_cents, 5'000);
  ExpectInvariants();
}

TEST_F(OperationsTest, InvoiceAndMarkPaidUnderAKeyAreMadeOnce) {
  Date due;
  ASSERT_TRUE(Date::Parse("2026-12-31", &due));
  NewInvoice inv{"CUST-001", {{"Consulting", 1000, 50'000}}, due, ""};
  inv.operation_key = "op-4";
  auto first = service_->CreateInvoice(inv);
  ASSERT_TRUE(first.ok()) << first.error().message;
  auto again = service_->CreateInvoice(inv);
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_EQ(again->id, first->id);
  auto list = service_->ListInvoices("CUST-001", "");
  ASSERT_TRUE(list.ok());
  size_t with_id = 0;
  for (const Invoice& i : list->invoices) with_id += i.id == first->id;
  EXPECT_EQ(with_id, 1u);

  auto paid = service_->MarkInvoicePaid(first->id, "", "tester", "", "op-5");
  ASSERT_TRUE(paid.ok()) << paid.error().message;
  auto paid_again = service_->MarkInvoicePaid(first->id, "", "tester", "", "op-5");
  ASSERT_TRUE(paid_again.ok()) << paid_again.error().message;  // not "already paid"
  EXPECT_TRUE(paid_again->replayed);
  EXPECT_EQ(paid_again->payment.id, paid->payment.id);
  ExpectInvariants();
}

TEST_F(OperationsTest, AFailedOperationRecordsNoKey) {
  PaymentRequest req{"CUST-404", 10'000, "", ""};
  req.operation_key = "op-6";
  ASSERT_FALSE(service_->ProcessPayment(req).ok());
  // The key is still free: the corrected request under the same key is ... a different request
  // (other parameters), and runs, because nothing was recorded for the failed one.
  req.customer_id = "CUST-001";
  auto ok = service_->ProcessPayment(req);
  ASSERT_TRUE(ok.ok()) << ok.error().message;
  EXPECT_FALSE(ok->replayed);
  ExpectInvariants();
}

}  // namespace
}  // namespace billing
