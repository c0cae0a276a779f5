// AddOtherCustomers: fills a ledger with `count` more customers (CUST-0100, CUST-0101, ...), each
// with two pending $100.00 invoices and one $5.00 payment, written straight through a StoreTx (no
// audit rows), so that tests and benchmarks can show that one customer's requests do not get
// slower as the rest of the ledger grows. Test and benchmark code only.
//
// Thread-safety: runs inside the caller's write transaction.
#pragma once

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
