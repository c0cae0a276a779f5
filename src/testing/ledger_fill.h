// AddOtherCustomers: fills a ledger with `count` more customers (CUST-0100, CUST-0101, ...), each
// with two pending $100.00 invoices and one $5.00 payment, written straight through a StoreTx (no
// audit rows), so that tests and benchmarks can show that one customer's requests do not get
// slower as the rest of the ledger grows. Test and benchmark code only.
//
// Thread-safety: runs inside the caller's write transaction.
#pragma once

#include <algorithm>
#include <cstdio>
#include <string>

#include "store/store.h"

namespace billing::test_support {

inline Status AddOtherCustomers(StoreTx& tx, int count) {
  for (int k = 0; k < count; ++k) {
    char id[32];
    std::snprintf(id, sizeof id, "CUST-%04d", 100 + k);
    Customer c;
    c.id = id;
    c.company = "Other Co";
    c.billing_cycle = "monthly";
    c.payment_method = "bank_transfer";
    c.status = "active";
    c.currency = "USD";
    c.created_at = "2025-01-01T00:00:00.000Z";
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
}

}  // namespace billing::test_support

namespace billing::test_support {

// What AddCustomerHistory created, summed as it went: the exact figures every list of that
// customer must report (statuses as lists show them: pending means not yet due).
struct HistorySums {
  struct Slice {
    int64_t count = 0, total_cents = 0, due_cents = 0;
  };
  Slice all, pending, overdue, paid, cancelled;
  int64_t payments = 0, payment_amount_cents = 0, settled_cents = 0, refunded_cents = 0;
  int64_t failed = 0, failed_cents = 0;
};

// Adds customer `customer_id` with `invoices` invoices of varying amounts, a quarter each paid in
// full, cancelled, overdue (due before 2026-11-25) and pending (due in 2027, half paid, some of
// that refunded), plus a failed payment for every fifth invoice; written straight through
// StoreTx (no audit rows), 2,000 invoices a transaction (one huge transaction would spill SQLite's
// page cache over and over), so that tests can build 100,000 rows in seconds. Returns the sums.
inline Result<HistorySums> AddCustomerHistory(Store& store, const std::string& customer_id,
                                              int invoices) {
  constexpr int kBatch = 2'000;
  HistorySums sums;
  Customer c;
  c.id = customer_id;
  c.company = "History Co " + customer_id;
  c.billing_cycle = "monthly";
  c.payment_method = "bank_transfer";
  c.status = "active";
  c.created_at = "2025-01-01T00:00:00.000Z";
  StoreTx* current = nullptr;  // the batch's transaction
  auto pay = [&](int64_t amount, const std::string& status, int64_t refunded,
                 const std::string& invoice_id) -> Status {
    StoreTx& tx = *current;
    Payment p;
    BILLING_ASSIGN_OR_RETURN(p.number, tx.NextPaymentNumber());
    p.id = "PAY-H" + std::to_string(p.number);
    p.customer_id = c.id;
    p.invoice_id = invoice_id;
    p.amount_cents = amount;
    p.refunded_cents = refunded;
    p.method = "bank_transfer";
    p.status = status;
    p.transaction_id = "txn_history_" + std::to_string(p.number);
    p.created_at = c.created_at;
    BILLING_TRY(tx.InsertPayment(p));
    ++sums.payments;
    sums.payment_amount_cents += amount;
    if (status == "failed") {
      ++sums.failed;
      sums.failed_cents += amount;
      return OkStatus();
    }
    sums.settled_cents += amount;
    sums.refunded_cents += refunded;
    return tx.InsertAllocation(Allocation{0, p.id, invoice_id, amount, refunded});
  };
  auto add_invoice = [&](int k) -> Status {
    StoreTx& tx = *current;
    Invoice inv;
    inv.year = 2026;
    BILLING_ASSIGN_OR_RETURN(inv.seq, tx.NextInvoiceSeq(inv.year));
    inv.id = "INV-2026-" + std::to_string(inv.seq);
    inv.customer_id = c.id;
    inv.subtotal_cents = inv.total_cents = 100 + (int64_t(k) * 37) % 9'901;
    inv.tax_rate_bp = 0;
    inv.items.push_back(LineItem{"Usage", 1000, inv.total_cents, inv.total_cents});
    inv.created_at = c.created_at;
    Date::Parse("2026-01-01", &inv.issue_date);
    const int kind = k % 4;
    const char* due = kind == 2 ? "2026-03-01" : kind == 3 ? "2027-03-01" : "2026-06-01";
    Date::Parse(due, &inv.due_date);
    inv.due_date = Date::FromDaysSinceEpoch(inv.due_date.DaysSinceEpoch() + k % 200);
    inv.status = kind == 0 ? "paid" : kind == 1 ? "cancelled" : "pending";
    BILLING_TRY(tx.InsertInvoice(inv));
    int64_t due_cents = inv.total_cents;
    HistorySums::Slice* slice = &sums.pending;
    if (kind == 0) {
      BILLING_TRY(pay(inv.total_cents, "completed", 0, inv.id));
      due_cents = 0;
      slice = &sums.paid;
    } else if (kind == 1) {
      due_cents = 0;
      slice = &sums.cancelled;
    } else if (kind == 2) {
      slice = &sums.overdue;
    } else {
      const int64_t half = inv.total_cents / 2;
      const int64_t refunded = k % 3 == 0 ? half / 4 : 0;
      BILLING_TRY(pay(half, refunded > 0 ? "partially_refunded" : "completed", refunded, inv.id));
      due_cents = inv.total_cents - half + refunded;
    }
    if (k % 5 == 0) BILLING_TRY(pay(inv.total_cents, "failed", 0, inv.id));
    for (HistorySums::Slice* s : {&sums.all, slice}) {
      ++s->count;
      s->total_cents += inv.total_cents;
      s->due_cents += due_cents;
    }
    return OkStatus();
  };
  for (int first = 0; first == 0 || first < invoices; first += kBatch) {
    BILLING_TRY(store.Write([&](StoreTx& tx) -> Status {
      current = &tx;
      if (first == 0) BILLING_TRY(tx.InsertCustomer(c));
      for (int k = first; k < std::min(invoices, first + kBatch); ++k) BILLING_TRY(add_invoice(k));
      return OkStatus();
    }));
  }
  return sums;
}

// Inserts `count` subscriptions of `customer_id` to `plan_id` starting on `start`, none of their
// periods handled yet: a billing run as of `start` or later bills their first period. Written
// straight through the StoreTx (no audit rows, no events), in the caller's transaction.
inline Status AddDueSubscriptions(StoreTx& tx, const std::string& customer_id,
                                  const std::string& plan_id, int count, const Date& start,
                                  const std::string& collection = "send_invoice") {
  for (int k = 0; k < count; ++k) {
    Subscription sub;
    BILLING_ASSIGN_OR_RETURN(sub.number, tx.NextSubscriptionNumber());
    char id[32];
    std::snprintf(id, sizeof id, "SUB-%03lld", static_cast<long long>(sub.number));
    sub.id = id;
    sub.customer_id = customer_id;
    sub.plan_id = plan_id;
    sub.start_date = start;
    sub.next_bill_date = start.ToString();
    sub.collection = collection;
    sub.created_at = sub.updated_at = start.ToString() + "T00:00:00.000Z";
    sub.created_by = sub.updated_by = "fill";
    BILLING_TRY(tx.InsertSubscription(sub));
  }
  return OkStatus();
}

}  // namespace billing::test_support
