// AddSpreadLedger: a ledger for the reports' scale test and benchmark: `invoices` invoices over
// `customers` customers (CUST-<first_customer>, ...) and 36 months of 2024-2026, each due 30 days
// after issue: 5% cancelled; with `with_open`, a quarter of those of the last 3 months still open
// (as receivables are: recent); every other one paid by a payment in its month (a fourteenth of
// them after a failed first attempt, then an automatic retry). Written straight
// through StoreTx, 2,000 invoices a transaction (no audit rows, no events); the database's triggers
// keep the report counters as for any change. Test and benchmark code only.
//
// Thread-safety: uses `store` from the calling thread only.
#pragma once

#include <algorithm>
#include <cstdio>
#include <string>

#include "store/store.h"

namespace billing::test_support {

inline Status AddSpreadLedger(Store& store, int invoices, int customers, int first_customer,
                              bool with_open) {
  constexpr int kBatch = 2'000;
  constexpr const char* kMethods[] = {"credit_card", "bank_transfer", "paypal", "crypto"};
  auto customer_id = [&](int n) {
    char id[32];
    std::snprintf(id, sizeof id, "CUST-%d", first_customer + n);
    return std::string(id);
  };
  for (int first = 0; first == 0 || first < invoices; first += kBatch) {
    BILLING_TRY(store.Write([&](StoreTx& tx) -> Status {
      if (first == 0) {
        for (int n = 0; n < customers; ++n) {
          Customer c;
          c.id = customer_id(n);
          c.company = "Spread Co " + std::to_string(n);
          c.billing_cycle = "monthly";
          c.payment_method = kMethods[n % 4];
          c.status = "active";
          c.created_at = "2024-01-01T00:00:00.000Z";
          BILLING_TRY(tx.InsertCustomer(c));
        }
      }
      for (int k = first; k < std::min(invoices, first + kBatch); ++k) {
        const int month = k % 36;  // 2024-01 .. 2026-12
        const int year = 2024 + month / 12;
        char issued[16];
        std::snprintf(issued, sizeof issued, "%04d-%02d-%02d", year, month % 12 + 1, 1 + k % 28);
        Invoice inv;
        inv.year = year;
        BILLING_ASSIGN_OR_RETURN(inv.seq, tx.NextInvoiceSeq(inv.year));
        inv.id = "INV-" + std::to_string(year) + "-" + std::to_string(inv.seq);
        inv.customer_id = customer_id(k % customers);
        inv.subtotal_cents = inv.total_cents = 1'000 + (int64_t(k) * 37) % 99'000;
        inv.items.push_back(LineItem{"Usage", 1000, inv.total_cents, inv.total_cents});
        Date::Parse(issued, &inv.issue_date);
        inv.due_date = Date::FromDaysSinceEpoch(inv.issue_date.DaysSinceEpoch() + 30);
        inv.created_at = std::string(issued) + "T09:00:00.000Z";
        const int kind = k % 20;  // 14 cancelled, 15..19 open when recent, else paid
        const bool open = with_open && kind >= 15 && month >= 33;
        inv.status = kind == 14 ? "cancelled" : open ? "pending" : "paid";
        BILLING_TRY(tx.InsertInvoice(inv));
        if (inv.status != "paid") continue;
        auto pay = [&](const char* status, int attempt) -> Status {
          Payment p;
          BILLING_ASSIGN_OR_RETURN(p.number, tx.NextPaymentNumber());
          p.id = "PAY-S" + std::to_string(p.number);
          p.customer_id = inv.customer_id;
          p.invoice_id = inv.id;
          p.amount_cents = inv.total_cents;
          p.method = kMethods[(k % customers) % 4];
          p.status = status;
          p.attempt = attempt;
          p.transaction_id = "txn_spread_" + std::to_string(p.number);
          p.created_at = inv.created_at;
          BILLING_TRY(tx.InsertPayment(p));
          if (std::string(status) == "failed") return OkStatus();
          return tx.InsertAllocation(Allocation{0, p.id, inv.id, inv.total_cents, 0});
        };
        const bool retried = kind == 0;
        if (retried) BILLING_TRY(pay("failed", 1));
        BILLING_TRY(pay("completed", retried ? 2 : 1));
      }
      return OkStatus();
    }));
  }
  return OkStatus();
}

}  // namespace billing::test_support
