// BillingService::CheckInvariants (billing/service.h): every invariant of billing-rules.md
// recomputed over the whole ledger in one read transaction (balances from invoices, payments and
// refunds; invoice totals and paid amounts from their line items and allocations; unique numbers
// and transaction ids). Tests run it after every operation; the operations that keep the
// invariants are in service.cc, invoice_service.cc and payment_service.cc, and the decisions where
// billing-rules.md is silent are in docs/billing.md.
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "billing/rules.h"
#include "billing/service.h"
#include "store/walk.h"

namespace billing {

// ---------------------------------------------------------------------------------------------
// Invariants

Status BillingService::CheckInvariants() {
  return store_.Read([&](StoreTx& tx) -> Status {
    constexpr int64_t kMaxRows = 100'000'000;
    const Error too_many = Error::Internal("invariant check: more than 100 million rows");
    BILLING_ASSIGN_OR_RETURN(auto ledger, tx.Ledger(""));

    std::map<std::string, int64_t> expected;      // independent recomputation of each balance
    std::map<std::string, int64_t> invoice_paid;  // recomputed from the allocations
    int64_t customers = 0;
    BILLING_TRY(WalkCustomers(
        tx, CustomerQuery{}, kMaxRows, too_many, [&](CustomerRow& row) -> Result<bool> {
          ++customers;
          expected[row.customer.id] = row.customer.opening_balance_cents;
          if (row.balance_cents != OutstandingCents(ledger[row.customer.id])) {
            return Error::Internal("invariant: listed balance of " + row.customer.id +
                                   " does not match its totals");
          }
          return true;
        }));
    BILLING_ASSIGN_OR_RETURN(int64_t customer_count, tx.CountCustomers());
    if (customers != customer_count || int64_t(ledger.size()) != customer_count) {
      return Error::Internal(
          "invariant: the customer walk, the count and the ledger totals disagree");
    }

    std::set<std::pair<int, int>> numbers;
    std::vector<std::pair<std::string, int64_t>> stored_paid;  // invoice id, paid_cents
    int64_t invoices = 0;
    BILLING_TRY(
        WalkInvoices(tx, InvoiceQuery{}, kMaxRows, too_many, [&](Invoice& inv) -> Result<bool> {
          ++invoices;
          if (inv.subtotal_cents + inv.tax_cents != inv.total_cents) {
            return Error::Internal("invariant: subtotal + tax != total on " + inv.id);
          }
          int64_t items = 0;
          for (const LineItem& li : inv.items) items += li.amount_cents;
          if (items != inv.subtotal_cents)
            return Error::Internal("invariant: items != subtotal on " + inv.id);
          if (inv.paid_cents < 0 || inv.paid_cents > inv.total_cents) {
            return Error::Internal("invariant: paid - refunded outside [0, total] on " + inv.id);
          }
          if (inv.status == "paid" && inv.paid_cents != inv.total_cents) {
            return Error::Internal("invariant: paid invoice not fully paid: " + inv.id);
          }
          if (inv.status == "cancelled" && inv.paid_cents != 0) {
            return Error::Internal("invariant: cancelled invoice holds payments: " + inv.id);
          }
          if (!numbers.insert({inv.year, inv.seq}).second) {
            return Error::Internal("invariant: duplicate invoice number " + inv.id);
          }
          if (inv.status != "cancelled") expected[inv.customer_id] += inv.total_cents;
          stored_paid.emplace_back(inv.id, inv.paid_cents);
          return true;
        }));
    BILLING_ASSIGN_OR_RETURN(InvoiceTotals invoice_totals, tx.SumInvoices(InvoiceQuery{}));
    if (invoice_totals.count != invoices) {
      return Error::Internal("invariant: the invoice walk and the invoice count disagree");
    }

    std::set<std::string> txns;
    int64_t payments = 0;
    BILLING_TRY(
        WalkPayments(tx, PaymentQuery{}, kMaxRows, too_many, [&](Payment& p) -> Result<bool> {
          ++payments;
          if (p.refunded_cents < 0 || p.refunded_cents > p.amount_cents) {
            return Error::Internal("invariant: refunded outside [0, amount] on " + p.id);
          }
          if (p.status == "failed" && p.refunded_cents != 0) {
            return Error::Internal("invariant: failed payment has refunds: " + p.id);
          }
          if (!txns.insert(p.transaction_id).second) {
            return Error::Internal("invariant: duplicate transaction id on " + p.id);
          }
          if (p.status != "failed") expected[p.customer_id] += p.refunded_cents - p.amount_cents;
          BILLING_ASSIGN_OR_RETURN(auto allocs, tx.AllocationsOf(p.id));
          int64_t allocated = 0, alloc_refunded = 0;
          for (const Allocation& a : allocs) {
            allocated += a.amount_cents;
            alloc_refunded += a.refunded_cents;
            invoice_paid[a.invoice_id] += a.amount_cents - a.refunded_cents;
          }
          if (allocated > p.amount_cents || alloc_refunded > p.refunded_cents) {
            return Error::Internal("invariant: allocations exceed payment " + p.id);
          }
          if (p.status == "failed" && allocated != 0) {
            return Error::Internal("invariant: failed payment was applied: " + p.id);
          }
          return true;
        }));
    BILLING_ASSIGN_OR_RETURN(PaymentTotals payment_totals, tx.SumPayments(PaymentQuery{}));
    if (payment_totals.count != payments) {
      return Error::Internal("invariant: the payment walk and the payment count disagree");
    }
    for (const auto& [id, paid] : stored_paid) {
      if (paid != invoice_paid[id]) {
        return Error::Internal("invariant: paid total of " + id +
                               " does not match its allocations");
      }
    }
    for (const auto& [id, want] : expected) {
      if (OutstandingCents(ledger[id]) != want) {
        return Error::Internal("invariant: balance of " + id + " does not match the ledger");
      }
    }
    return OkStatus();
  });
}

}  // namespace billing
