// The database work of a request must not grow with the ledger: reading a customer, listing their
// invoices, paying, refunding and creating an invoice step through no rows of full table scans and
// sort nothing without an index, whether the ledger holds 4 customers or 400 more, each with
// invoices and payments. Counted by SQLite itself (Store::stats(): SQLITE_STMTSTATUS_FULLSCAN_STEP
// and SQLITE_STMTSTATUS_SORT of every statement), so the test is exact rather than timed.
#include <gtest/gtest.h>

#include <cstdio>
#include <functional>
#include <string>

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
                        after.full_scan_steps - before.full_scan_steps, after.sorts - before.sorts};
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

  // Adds `count` customers, each with two pending invoices and one payment, in one transaction.
  void AddOtherCustomers(int count) {
    Status s = store_->Write([&](StoreTx& tx) -> Status {
      for (int k = 0; k < count; ++k) {
        char id[32];
        std::snprintf(id, sizeof id, "CUST-%04d", 100 + k);
        Customer c{id,
                   "Other Co",
                   "Someone",
                   "ap@other.example",
                   "monthly",
                   "bank_transfer",
                   "active",
                   "USD",
                   std::nullopt,
                   0,
                   "2025-01-01T00:00:00.000Z"};
        BILLING_TRY(tx.InsertCustomer(c));
        for (int n = 0; n < 2; ++n) {
          Invoice inv;
          inv.year = 2026;
          BILLING_ASSIGN_OR_RETURN(inv.seq, tx.NextInvoiceSeq(inv.year));
          inv.id = "INV-2026-" + std::to_string(inv.seq);
          inv.customer_id = c.id;
          inv.subtotal_cents = inv.total_cents = 10'000;
          inv.status = "pending";
          Date::Parse("2026-10-01", &inv.issue_date);
          Date::Parse(n == 0 ? "2026-11-01" : "2026-12-01", &inv.due_date);
          inv.created_at = c.created_at;
          inv.items.push_back(LineItem{"Plan", 1000, 10'000, 10'000});
          BILLING_TRY(tx.InsertInvoice(inv));
        }
        Payment p;
        BILLING_ASSIGN_OR_RETURN(p.number, tx.NextPaymentNumber());
        p.id = "PAY-X" + std::to_string(p.number);
        p.customer_id = c.id;
        p.amount_cents = 500;
        p.method = "bank_transfer";
        p.status = "completed";
        p.transaction_id = "txn_other_" + std::to_string(p.number);
        p.created_at = c.created_at;
        BILLING_TRY(tx.InsertPayment(p));
      }
      return OkStatus();
    });
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

TEST_F(LedgerScaleTest, StatsCountAScanWhenOneHappens) {
  // The counters are live: listing every customer's ledger is a full scan by design.
  const Store::Stats all = WorkOf([&] { ASSERT_TRUE(service_->ListCustomers({}).ok()); });
  EXPECT_GT(all.full_scan_steps, 0u);
}

}  // namespace
}  // namespace billing
