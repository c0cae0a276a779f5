// The database work of a request must not grow with the ledger: reading a customer, listing their
// invoices, paying, refunding and creating an invoice step through no rows of full table scans and
// sort nothing without an index, whether the ledger holds 4 customers or 400 more, each with
// invoices and payments. Counted by SQLite itself (Store::stats(): SQLITE_STMTSTATUS_FULLSCAN_STEP
// and SQLITE_STMTSTATUS_SORT of every statement), so the test is exact rather than timed.
#include <gtest/gtest.h>

#include <functional>
#include <string>

#include "testing/ledger_fill.h"
#include "testing/seeded_ledger.h"

namespace billing {
namespace {

class LedgerScaleTest : public test_support::SeededLedgerTest {
 protected:
  LedgerScaleTest() : SeededLedgerTest("billing-ledger-scale-test") {}

  // The scans and sorts the store did while `fn` ran.
  Store::Stats WorkOf(const std::function<void()>& fn) {
    const Store::Stats before = store_->stats();
    fn();
    const Store::Stats after = store_->stats();
    return Store::Stats{after.writes - before.writes, after.commits - before.commits,
                        after.full_scan_steps - before.full_scan_steps, after.sorts - before.sorts,
                        after.vm_steps - before.vm_steps};
  }

  // One customer's day: read, list, pay (allocated to the oldest pending invoices), refund part of
  // it, bill again.
  Store::Stats CustomerRequests() {
    return WorkOf([&] {
      auto view = service_->GetCustomer("CUST-001");
      ASSERT_TRUE(view.ok()) << view.error().message;
      ASSERT_TRUE(service_->ListInvoices("CUST-001", "pending").ok());
      auto paid = service_->ProcessPayment(PaymentRequest{"CUST-001", 1'000, "", ""});
      ASSERT_TRUE(paid.ok()) << paid.error().message;
      ASSERT_TRUE(service_->RefundPayment(paid->payment.id, 100, "partial").ok());
      ASSERT_TRUE(service_->History("CUST-001").ok());
      Date due;
      ASSERT_TRUE(Date::Parse("2026-12-31", &due));
      ASSERT_TRUE(
          service_->CreateInvoice(NewInvoice{"CUST-001", {{"Plan", 1000, 5'000}}, due, ""}).ok());
    });
  }

  // Adds `count` customers, each with invoices and a payment, in one transaction.
  void AddOtherCustomers(int count) {
    Status s = store_->Write(
        [&](StoreTx& tx) -> Status { return test_support::AddOtherCustomers(tx, count); });
    ASSERT_TRUE(s.ok()) << s.error().message;
  }
};

TEST_F(LedgerScaleTest, CustomerRequestsScanAndSortNothingWhateverTheLedgerSize) {
  const Store::Stats small = CustomerRequests();
  AddOtherCustomers(400);
  const Store::Stats large = CustomerRequests();

  EXPECT_EQ(small.writes, 3u);  // payment, refund, invoice
  EXPECT_EQ(large.writes, 3u);
  EXPECT_EQ(small.full_scan_steps, 0u);
  EXPECT_EQ(large.full_scan_steps, 0u);
  EXPECT_EQ(small.sorts, 0u);
  EXPECT_EQ(large.sorts, 0u);
  ExpectInvariants();
}

TEST_F(LedgerScaleTest, AnInstallmentCostsTheSameAfterAThousandInstallments) {
  // $1.00 installments on the sample invoice of CUST-001 ($2,450.00): the invoice's paid total is
  // kept on its row (migration 010), so reading it does not sum its allocations.
  auto pay_one = [&] {
    auto paid = service_->ProcessPayment(PaymentRequest{"CUST-001", 100, "", ""});
    ASSERT_TRUE(paid.ok()) << paid.error().message;
    ASSERT_EQ(paid->payment.allocations.size(), 1u);
  };
  pay_one();
  const Store::Stats second = WorkOf(pay_one);
  for (int k = 0; k < 1000; ++k) pay_one();
  const Store::Stats later = WorkOf(pay_one);
  EXPECT_GT(second.vm_steps, 0u);
  EXPECT_EQ(later.vm_steps, second.vm_steps);
  EXPECT_EQ(later.full_scan_steps, 0u);
  ExpectInvariants();
}

TEST_F(LedgerScaleTest, StatsCountAScanWhenOneHappens) {
  // The counters are live: listing every customer's ledger is a full scan by design.
  const Store::Stats all = WorkOf([&] { ASSERT_TRUE(service_->ListCustomers({}).ok()); });
  EXPECT_GT(all.full_scan_steps, 0u);
}

}  // namespace
}  // namespace billing
