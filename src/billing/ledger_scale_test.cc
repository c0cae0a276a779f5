// The database work of a request must not grow with the ledger: reading a customer, listing their
// invoices, paying, refunding and creating an invoice step through no rows of full table scans and
// sort nothing without an index, whether the ledger holds 4 customers or 400 more, each with
// invoices and payments. Counted by SQLite itself (Store::stats(): SQLITE_STMTSTATUS_FULLSCAN_STEP
// and SQLITE_STMTSTATUS_SORT of every statement), so the test is exact rather than timed.
//
// Lists (issue 16): every count and total is exact over every matching row at 10 and at 100,000
// rows, compared with sums the fill computed as it created the rows; a page costs the same
// virtual-machine steps at both sizes; the one aggregate beside it walks an index (no full scan,
// no sort) and does not grow with the rows of other customers.
#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <iterator>
#include <string>
#include <utility>
#include <vector>

#include "testing/ledger_fill.h"
#include "testing/report_fill.h"
#include "testing/seeded_ledger.h"

namespace billing {
namespace {

template <typename T>
Status AsStatus(const Result<T>& r) {
  if (!r.ok()) return r.error();
  return OkStatus();
}

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

  // Adds a customer with `invoices` invoices (and their payments).
  test_support::HistorySums AddHistory(const std::string& customer_id, int invoices) {
    auto sums = test_support::AddCustomerHistory(*store_, customer_id, invoices);
    EXPECT_TRUE(sums.ok()) << sums.error().message;
    return sums.ok() ? sums.value() : test_support::HistorySums{};
  }

  // The work of one store call, in its own read transaction.
  Store::Stats ReadWork(const std::function<Status(StoreTx&)>& fn) {
    return WorkOf([&] {
      Status s = store_->Read(fn);
      ASSERT_TRUE(s.ok()) << s.error().message;
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

TEST_F(LedgerScaleTest, ABillingRunsWorkPerSubscriptionDoesNotGrowWithTheLedger) {
  // 100 due subscriptions billed on a small ledger, then 100 more after 400 customers, a
  // customer with 4,800 invoices and 2,000 subscriptions not yet due were added: the run scans
  // and sorts nothing, and its virtual-machine steps stay the same (within 1%: the new rows'
  // ids differ). Counted by SQLite (Store::stats()).
  Date today;
  ASSERT_TRUE(Date::Parse("2026-11-25", &today));
  const Date later = Date::FromDaysSinceEpoch(today.DaysSinceEpoch() + 200);
  auto add_due = [&](int count, const Date& start) {
    Status s = store_->Write([&](StoreTx& tx) -> Status {
      return test_support::AddDueSubscriptions(tx, "CUST-002", "PLAN-BASIC", count, start);
    });
    ASSERT_TRUE(s.ok()) << s.error().message;
  };
  auto run = [&] {
    auto r = service_->RunBilling(today);
    ASSERT_TRUE(r.ok()) << r.error().message;
  };
  run();  // the sample's first run: nothing due
  const Store::Stats small_idle = WorkOf(run);
  add_due(100, today);
  const Store::Stats small = WorkOf(run);
  AddOtherCustomers(400);
  AddHistory("CUST-9030", 4'800);
  add_due(2'000, later);
  run();  // marks the added overdue invoices (once: work of theirs, not of a subscription)
  const Store::Stats large_idle = WorkOf(run);
  add_due(100, today);
  const Store::Stats large = WorkOf(run);

  EXPECT_EQ(small.full_scan_steps, 0u);
  EXPECT_EQ(large.full_scan_steps, 0u);
  EXPECT_EQ(small.sorts, 0u);
  EXPECT_EQ(large.sorts, 0u);
  EXPECT_EQ(small.writes, large.writes);  // 5 batches of 20 subscriptions
  EXPECT_GT(small.vm_steps, 0u);
  EXPECT_LE(large.vm_steps, small.vm_steps * 101 / 100) << small.vm_steps;
  EXPECT_GE(large.vm_steps, small.vm_steps * 99 / 100) << small.vm_steps;
  // A run with nothing to do (most of the timer's runs) reads a few index entries, whatever the
  // ledger holds: 2,000 subscriptions not yet due, 1,600 overdue invoices seen before, 401
  // customers in dunning with no step due.
  EXPECT_LT(small_idle.vm_steps, 200u);
  EXPECT_LT(large_idle.vm_steps, 200u);
  EXPECT_EQ(large_idle.writes, 0u);
  ExpectInvariants();
}

TEST_F(LedgerScaleTest, StatsCountAScanWhenOneHappens) {
  // The counters are live: the totals of every invoice of every customer read every invoice, a
  // full scan by design.
  const Store::Stats all = WorkOf([&] { ASSERT_TRUE(service_->ListInvoices("", "").ok()); });
  EXPECT_GT(all.full_scan_steps, 0u);
}

struct StatusCase {
  const char* status;  // as the tool takes it
  InvoiceStatusFilter filter;
  test_support::HistorySums::Slice test_support::HistorySums::*slice;
};
constexpr StatusCase kStatusCases[] = {
    {"", InvoiceStatusFilter::kAll, &test_support::HistorySums::all},
    {"pending", InvoiceStatusFilter::kPending, &test_support::HistorySums::pending},
    {"overdue", InvoiceStatusFilter::kOverdue, &test_support::HistorySums::overdue},
    {"paid", InvoiceStatusFilter::kPaid, &test_support::HistorySums::paid},
    {"cancelled", InvoiceStatusFilter::kCancelled, &test_support::HistorySums::cancelled},
};

TEST_F(LedgerScaleTest, ListTotalsAreExactAndAPageCostsTheSameAtTenAndAHundredThousandRows) {
  const test_support::HistorySums small = AddHistory("CUST-9010", 10);
  // The small customer's aggregates before the large one exists: they must not grow with it.
  std::vector<Store::Stats> small_sums_alone;
  for (const StatusCase& c : kStatusCases) {
    const InvoiceQuery q{"CUST-9010", c.filter, service_->Today()};
    small_sums_alone.push_back(ReadWork([&](StoreTx& tx) { return AsStatus(tx.SumInvoices(q)); }));
  }
  const test_support::HistorySums large = AddHistory("CUST-9011", 100'000);
  ASSERT_EQ(large.all.count, 100'000);

  const PageSpec page{0, 2};
  for (size_t k = 0; k < std::size(kStatusCases); ++k) {
    const StatusCase& c = kStatusCases[k];
    SCOPED_TRACE(std::string("status '") + c.status + "'");
    Store::Stats page_work[2], sum_work[2];
    int n = 0;
    for (const auto& [customer, sums] : {std::pair{"CUST-9010", small}, {"CUST-9011", large}}) {
      // Exact, through the service: the count, the total and the amount due of every row.
      auto list = service_->ListInvoices(customer, c.status, page);
      ASSERT_TRUE(list.ok()) << list.error().message;
      const test_support::HistorySums::Slice& want = sums.*c.slice;
      EXPECT_EQ(list->totals.count, want.count);
      EXPECT_EQ(list->totals.by_currency.at(0).total_cents, want.total_cents);
      EXPECT_EQ(list->totals.by_currency.at(0).due_cents, want.due_cents);
      EXPECT_EQ(list->invoices.size(), size_t(std::min<int64_t>(want.count, 2)));
      // The work of the page and of its aggregate, apart.
      const InvoiceQuery q{customer, c.filter, service_->Today()};
      page_work[n] = ReadWork([&](StoreTx& tx) { return AsStatus(tx.ListInvoices(q, page)); });
      sum_work[n] = ReadWork([&](StoreTx& tx) { return AsStatus(tx.SumInvoices(q)); });
      EXPECT_EQ(sum_work[n].full_scan_steps, 0u);
      EXPECT_EQ(sum_work[n].sorts, 0u);
      EXPECT_EQ(page_work[n].full_scan_steps, 0u);
      EXPECT_EQ(page_work[n].sorts, 0u);
      ++n;
    }
    EXPECT_EQ(page_work[1].vm_steps, page_work[0].vm_steps);
    // The small customer's aggregate is the same as before the large customer existed (plus the
    // one comparison where its index range now ends at the next customer's key).
    EXPECT_LE(sum_work[0].vm_steps, small_sums_alone[k].vm_steps + 1);
    EXPECT_GT(sum_work[1].vm_steps, sum_work[0].vm_steps);  // it does read every matching row
  }

  // Payment history and failed payments, the same way.
  for (const auto& [customer, sums] : {std::pair{"CUST-9010", small}, {"CUST-9011", large}}) {
    SCOPED_TRACE(customer);
    auto history = service_->History(customer, page);
    ASSERT_TRUE(history.ok()) << history.error().message;
    EXPECT_EQ(history->totals.count, sums.payments);
    EXPECT_EQ(history->totals.amount_cents, sums.payment_amount_cents);
    EXPECT_EQ(history->totals.settled_cents, sums.settled_cents);
    EXPECT_EQ(history->totals.refunded_cents, sums.refunded_cents);
    EXPECT_EQ(history->payments.size(), 2u);
    auto failed = service_->FailedPayments(customer, page);
    ASSERT_TRUE(failed.ok()) << failed.error().message;
    EXPECT_EQ(failed->totals.count, sums.failed);
    EXPECT_EQ(failed->totals.by_currency.at(0).amount_cents, sums.failed_cents);
    auto view = service_->GetCustomer(customer);
    ASSERT_TRUE(view.ok()) << view.error().message;
    EXPECT_EQ(view->open_totals.count, sums.pending.count + sums.overdue.count);
    EXPECT_EQ(view->open_totals.overdue_count, sums.overdue.count);
    EXPECT_EQ(view->open_totals.due_cents, sums.pending.due_cents + sums.overdue.due_cents);
    EXPECT_EQ(view->balance_cents, sums.pending.due_cents + sums.overdue.due_cents);
    EXPECT_LE(view->open_invoices.size(), size_t(kOpenInvoicesShown));
  }
  Store::Stats history_page[2];
  int n = 0;
  for (const char* customer : {"CUST-9010", "CUST-9011"}) {
    for (const char* status : {"", "failed"}) {
      const PaymentQuery q{customer, status};
      const Store::Stats p =
          ReadWork([&](StoreTx& tx) { return AsStatus(tx.ListPayments(q, page)); });
      const Store::Stats sum = ReadWork([&](StoreTx& tx) { return AsStatus(tx.SumPayments(q)); });
      EXPECT_EQ(p.full_scan_steps + p.sorts + sum.full_scan_steps + sum.sorts, 0u)
          << customer << status;
      if (*status == 0) history_page[n] = p;
    }
    ++n;
  }
  EXPECT_EQ(history_page[1].vm_steps, history_page[0].vm_steps);
}

TEST_F(LedgerScaleTest, APaymentSettlesEveryOpenInvoicePastAnyPageSize) {
  // 2,400 open invoices (1,200 overdue, 1,200 pending): one payment of everything due settles
  // all of them, oldest due first; nothing is left over as credit.
  const test_support::HistorySums sums = AddHistory("CUST-9020", 4'800);
  const int64_t due = sums.pending.due_cents + sums.overdue.due_cents;
  auto paid = service_->ProcessPayment(PaymentRequest{"CUST-9020", due, "", ""});
  ASSERT_TRUE(paid.ok()) << paid.error().message;
  EXPECT_EQ(paid->payment.allocations.size(), size_t(sums.pending.count + sums.overdue.count));
  EXPECT_EQ(paid->new_balance_cents, 0);
  auto open = service_->ListInvoices("CUST-9020", "overdue");
  ASSERT_TRUE(open.ok());
  EXPECT_EQ(open->totals.count, 0);
  auto pending = service_->ListInvoices("CUST-9020", "pending");
  ASSERT_TRUE(pending.ok());
  EXPECT_EQ(pending->totals.count, 0);
  ExpectInvariants();
}

// The reports (docs/reports.md) read their counters, never the ledger: each scans and sorts
// nothing, and after 50,000 more paid invoices (with their payments and retries) of the same
// months the same reports cost exactly the same virtual-machine steps. Their figures stay exact:
// CheckInvariants recomputes every counter from the rows.
TEST_F(LedgerScaleTest, ReportsReadTheirCountersNotTheLedger) {
  ASSERT_TRUE(test_support::AddSpreadLedger(*store_, 2'000, 50, 5000, true).ok());
  const Date as_of = Date::FromDaysSinceEpoch(Date{2026, 12, 31}.DaysSinceEpoch());
  auto reports = [&] {
    return std::vector<Store::Stats>{
        WorkOf([&] { ASSERT_TRUE(service_->Aging(as_of, "", "").ok()); }),
        WorkOf([&] { ASSERT_TRUE(service_->Aging(as_of, "CUST-5001", "").ok()); }),
        WorkOf([&] { ASSERT_TRUE(service_->Revenue("2024-01", "2026-12", "").ok()); }),
        WorkOf([&] { ASSERT_TRUE(service_->Mrr("2024-01", "2026-12", "").ok()); }),
        WorkOf([&] { ASSERT_TRUE(service_->PaymentSuccess("2024-01", "2026-12", "", "").ok()); }),
        WorkOf([&] { ASSERT_TRUE(service_->Ltv(as_of, "", "", "CUST-5000", 20).ok()); }),
        WorkOf([&] { ASSERT_TRUE(service_->Forecast(as_of, "").ok()); }),
    };
  };
  const std::vector<Store::Stats> small = reports();
  ASSERT_TRUE(test_support::AddSpreadLedger(*store_, 50'000, 50, 6000, false).ok());
  const std::vector<Store::Stats> large = reports();
  ASSERT_EQ(small.size(), large.size());
  for (size_t k = 0; k < small.size(); ++k) {
    SCOPED_TRACE("report " + std::to_string(k));
    EXPECT_EQ(small[k].full_scan_steps, 0u);
    EXPECT_EQ(large[k].full_scan_steps, 0u);
    EXPECT_EQ(small[k].sorts, 0u);
    EXPECT_EQ(large[k].sorts, 0u);
    EXPECT_GT(small[k].vm_steps, 0u);
    EXPECT_EQ(large[k].vm_steps, small[k].vm_steps);
  }
  auto revenue = service_->Revenue("2024-01", "2026-12", "USD");
  ASSERT_TRUE(revenue.ok());
  EXPECT_GT(revenue->totals["USD"].collected_cents, 0);
  ExpectInvariants();
}

}  // namespace
}  // namespace billing
