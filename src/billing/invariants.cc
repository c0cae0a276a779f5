// BillingService::CheckInvariants (billing/service.h): every invariant of billing-rules.md
// recomputed over the whole ledger in one read transaction (balances from invoices, payments and
// refunds; invoice totals and paid amounts from their line items and allocations; unique numbers
// and transaction ids). Tests run it after every operation; the operations that keep the
// invariants are in service.cc, invoice_service.cc and payment_service.cc, and the decisions where
// billing-rules.md is silent are in docs/billing.md.
#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "billing/periods.h"
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
    std::map<std::string, std::string> currency_of;  // customer id: currency
    int64_t customers = 0;
    BILLING_TRY(WalkCustomers(
        tx, CustomerQuery{}, kMaxRows, too_many, [&](CustomerRow& row) -> Result<bool> {
          ++customers;
          expected[row.customer.id] = row.customer.opening_balance_cents;
          currency_of[row.customer.id] = row.customer.currency;
          if (row.balance_cents != OutstandingCents(ledger[row.customer.id])) {
            return Error::Internal("invariant: listed balance of " + row.customer.id +
                                   " does not match its totals");
          }
          return true;
        }));
    // The currencies in use (read by index probes) are exactly the customers'.
    std::set<std::string> customer_currencies;
    for (const auto& [id, code] : currency_of) customer_currencies.insert(code);
    BILLING_ASSIGN_OR_RETURN(std::vector<std::string> in_use, tx.CurrenciesInUse());
    if (std::set<std::string>(in_use.begin(), in_use.end()) != customer_currencies ||
        in_use.size() != customer_currencies.size()) {
      return Error::Internal("invariant: the currencies in use are not the customers'");
    }
    BILLING_ASSIGN_OR_RETURN(int64_t customer_count, tx.CountCustomers());
    if (customers != customer_count || int64_t(ledger.size()) != customer_count) {
      return Error::Internal(
          "invariant: the customer walk, the count and the ledger totals disagree");
    }

    std::set<std::pair<int, int>> numbers;
    std::vector<std::pair<std::string, int64_t>> stored_paid;          // invoice id, paid_cents
    std::map<std::string, std::pair<int64_t, int64_t>> stored_credit;  // id: credited, tax
    int64_t invoices = 0;
    std::map<std::string, int64_t> invoices_in;  // currency: invoices
    BILLING_TRY(
        WalkInvoices(tx, InvoiceQuery{}, kMaxRows, too_many, [&](Invoice& inv) -> Result<bool> {
          ++invoices;
          ++invoices_in[inv.currency];
          // Money never crosses currencies: an invoice is in its customer's.
          if (inv.currency != currency_of[inv.customer_id]) {
            return Error::Internal("invariant: " + inv.id + " is in " + inv.currency +
                                   ", its customer in " + currency_of[inv.customer_id]);
          }
          if (inv.subtotal_cents - inv.discount_cents + inv.tax_cents != inv.total_cents) {
            return Error::Internal("invariant: subtotal - discount + tax != total on " + inv.id);
          }
          if (inv.discount_cents < 0 || inv.discount_cents > inv.subtotal_cents ||
              (inv.discount_cents != 0 && inv.coupon_code.empty())) {
            return Error::Internal(
                "invariant: discount outside [0, subtotal] or without a "
                "coupon on " +
                inv.id);
          }
          int64_t items = 0;
          for (const LineItem& li : inv.items) items += li.amount_cents;
          if (items != inv.subtotal_cents)
            return Error::Internal("invariant: items != subtotal on " + inv.id);
          if (inv.credited_cents < 0 || inv.credited_cents > inv.total_cents) {
            return Error::Internal("invariant: credited outside [0, total] on " + inv.id);
          }
          // amount due = total - credited - (paid - refunded) >= 0
          if (inv.paid_cents < 0 || inv.paid_cents > inv.total_cents - inv.credited_cents) {
            return Error::Internal("invariant: paid - refunded outside [0, total - credited] on " +
                                   inv.id);
          }
          if (inv.status == "paid" && inv.paid_cents + inv.credited_cents != inv.total_cents) {
            return Error::Internal("invariant: paid invoice not fully paid: " + inv.id);
          }
          if (inv.status == "cancelled" && (inv.paid_cents != 0 || inv.credited_cents != 0)) {
            return Error::Internal("invariant: cancelled invoice holds payments or credit: " +
                                   inv.id);
          }
          stored_credit[inv.id] = {inv.credited_cents, inv.tax_cents};
          if (!numbers.insert({inv.year, inv.seq}).second) {
            return Error::Internal("invariant: duplicate invoice number " + inv.id);
          }
          if (inv.status != "cancelled") {
            expected[inv.customer_id] += inv.total_cents - inv.credited_cents;
          }
          stored_paid.emplace_back(inv.id, inv.paid_cents);
          return true;
        }));
    BILLING_ASSIGN_OR_RETURN(InvoiceTotals invoice_totals, tx.SumInvoices(InvoiceQuery{}));
    if (invoice_totals.count != invoices) {
      return Error::Internal("invariant: the invoice walk and the invoice count disagree");
    }
    // The per-currency totals of the lists (the store's currency filter) cover the same rows.
    for (const std::string& code : in_use) {
      InvoiceQuery q;
      q.currency = code;
      BILLING_ASSIGN_OR_RETURN(InvoiceTotals t, tx.SumInvoices(q));
      if (t.count != invoices_in[code]) {
        return Error::Internal("invariant: the " + code + " invoice count disagrees with the walk");
      }
    }

    std::set<std::string> txns;
    int64_t payments = 0;
    std::map<std::string, int64_t> payments_in;  // currency: payments
    BILLING_TRY(
        WalkPayments(tx, PaymentQuery{}, kMaxRows, too_many, [&](Payment& p) -> Result<bool> {
          ++payments;
          ++payments_in[p.currency];
          if (p.currency != currency_of[p.customer_id]) {
            return Error::Internal("invariant: " + p.id + " is in " + p.currency +
                                   ", its customer in " + currency_of[p.customer_id]);
          }
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
          // Applied = allocations net of their refunds (kept by the store); what the payment
          // holds beyond it is credit, never negative.
          if (p.applied_cents != allocated - alloc_refunded ||
              p.applied_cents > p.amount_cents - p.refunded_cents) {
            return Error::Internal("invariant: applied amount of " + p.id +
                                   " does not match its allocations");
          }
          return true;
        }));
    BILLING_ASSIGN_OR_RETURN(PaymentTotals payment_totals, tx.SumPayments(PaymentQuery{}));
    if (payment_totals.count != payments) {
      return Error::Internal("invariant: the payment walk and the payment count disagree");
    }
    for (const std::string& code : in_use) {
      PaymentQuery q;
      q.currency = code;
      BILLING_ASSIGN_OR_RETURN(PaymentTotals t, tx.SumPayments(q));
      if (t.count != payments_in[code]) {
        return Error::Internal("invariant: the " + code + " payment count disagrees with the walk");
      }
    }
    for (const auto& [id, paid] : stored_paid) {
      if (paid != invoice_paid[id]) {
        return Error::Internal("invariant: paid total of " + id +
                               " does not match its allocations");
      }
    }
    // Credit notes: numbered uniquely, each adding up, of its invoice's customer; per invoice,
    // their totals are what it says was credited and their tax never exceeds its tax.
    std::map<std::string, std::pair<int64_t, int64_t>> notes_of;  // invoice: total, tax
    std::set<std::pair<int, int>> note_numbers;
    int after_year = 0, after_seq = 0;
    for (int64_t page = 0;; ++page) {
      if (page * kMaxPageRows > kMaxRows) return too_many;
      BILLING_ASSIGN_OR_RETURN(std::vector<CreditNote> notes,
                               tx.ListCreditNotes(after_year, after_seq, kMaxPageRows));
      for (const CreditNote& cn : notes) {
        if (cn.subtotal_cents + cn.tax_cents != cn.total_cents || cn.total_cents <= 0 ||
            cn.due_reduced_cents + cn.refunded_cents + cn.credit_cents != cn.total_cents) {
          return Error::Internal("invariant: credit note " + cn.id + " does not add up");
        }
        if (!note_numbers.insert({cn.year, cn.seq}).second) {
          return Error::Internal("invariant: duplicate credit note number " + cn.id);
        }
        BILLING_ASSIGN_OR_RETURN(std::optional<Invoice> inv, tx.FindInvoice(cn.invoice_id));
        if (!inv || inv->customer_id != cn.customer_id) {
          return Error::Internal("invariant: credit note " + cn.id + " is not its invoice's");
        }
        notes_of[cn.invoice_id].first += cn.total_cents;
        notes_of[cn.invoice_id].second += cn.tax_cents;
        after_year = cn.year;
        after_seq = cn.seq;
      }
      if (notes.size() < size_t(kMaxPageRows)) break;
    }
    for (const auto& [id, credit] : stored_credit) {
      const auto found = notes_of.find(id);
      const std::pair<int64_t, int64_t> notes =
          found == notes_of.end() ? std::pair<int64_t, int64_t>{0, 0} : found->second;
      if (credit.first != notes.first) {
        return Error::Internal("invariant: credited total of " + id +
                               " does not match its credit notes");
      }
      if (notes.second > credit.second) {
        return Error::Internal("invariant: credit notes of " + id + " credit more than its tax");
      }
    }
    // Coupons: each one's count is its redemption rows, within its limit.
    BILLING_ASSIGN_OR_RETURN(std::vector<Coupon> coupons, tx.ListCoupons(kMaxPageRows));
    for (const Coupon& c : coupons) {
      BILLING_ASSIGN_OR_RETURN(int64_t rows, tx.CountRedemptions(c.code));
      if (rows != c.times_redeemed ||
          (c.max_redemptions > 0 && c.times_redeemed > c.max_redemptions)) {
        return Error::Internal("invariant: redemptions of coupon " + c.code + " do not add up");
      }
    }
    for (const auto& [id, want] : expected) {
      if (OutstandingCents(ledger[id]) != want) {
        return Error::Internal("invariant: balance of " + id + " does not match the ledger");
      }
    }
    BILLING_TRY(CheckSubscriptionInvariants(tx));
    return CheckReportCounters(tx);
  });
}

// Every subscription's handled periods: as many as it counts, contiguous from its start date,
// each ending on the anchor day (or a shorter month's last day), the last one ending where the
// next starts; each billed period's invoice exists, is the customer's, and was issued on the
// period start; the subscriptions walked match their count.
Status BillingService::CheckSubscriptionInvariants(StoreTx& tx) {
  constexpr int64_t kMaxPages = 100'000;
  int64_t walked = 0;
  for (int64_t page = 0; page < kMaxPages; ++page) {
    BILLING_ASSIGN_OR_RETURN(
        std::vector<Subscription> subs,
        tx.ListSubscriptions(SubscriptionQuery{}, PageSpec{page * kMaxPageRows, kMaxPageRows}));
    for (const Subscription& sub : subs) {
      ++walked;
      const std::string& id = sub.id;
      BILLING_ASSIGN_OR_RETURN(std::vector<SubscriptionPeriod> periods,
                               tx.PeriodsOf(id, kMaxPageRows));
      if (int64_t(periods.size()) != sub.periods_billed) {
        return Error::Internal("invariant: periods of " + id + " != its periods billed");
      }
      Date expected_start = sub.start_date;
      for (const SubscriptionPeriod& p : periods) {
        if (p.period_start != expected_start || !(p.period_start < p.period_end)) {
          return Error::Internal("invariant: periods of " + id + " are not contiguous");
        }
        const int last = DaysInMonth(p.period_end.year, p.period_end.month);
        if (p.period_end.day != std::min(sub.start_date.day, last)) {
          return Error::Internal("invariant: a period of " + id + " ends off its anchor day");
        }
        if (p.outcome == "billed" && DraftNumber(p.invoice_id)) {
          // Held as a draft for the grace period (or discarded in it, or deleted by hand): a
          // finalized draft's period names the invoice it became.
          BILLING_ASSIGN_OR_RETURN(std::optional<InvoiceDraft> d, tx.FindDraft(p.invoice_id));
          if (!d || d->customer_id != sub.customer_id || d->subscription_id != id ||
              d->status == "finalized") {
            return Error::Internal("invariant: the draft of a period of " + id +
                                   " is missing, not its own, or was finalized");
          }
        } else if (p.outcome == "billed") {
          BILLING_ASSIGN_OR_RETURN(std::optional<Invoice> inv, tx.FindInvoice(p.invoice_id));
          if (!inv || inv->customer_id != sub.customer_id || inv->issue_date != p.period_start) {
            return Error::Internal("invariant: the invoice of a period of " + id +
                                   " is missing or not the customer's");
          }
        } else if (p.outcome != "skipped" || !p.invoice_id.empty()) {
          return Error::Internal("invariant: a skipped period of " + id + " has an invoice");
        }
        expected_start = p.period_end;
      }
      if (sub.periods_billed > 0 && (sub.current_period_start != periods.back().period_start ||
                                     sub.current_period_end != periods.back().period_end)) {
        return Error::Internal("invariant: current period of " + id + " is not its last");
      }
      const std::string next = sub.status == "canceled" ? "" : expected_start.ToString();
      if (sub.next_bill_date != next) {
        return Error::Internal("invariant: next bill date of " + id + " is wrong");
      }
    }
    if (subs.size() < size_t(kMaxPageRows)) break;
  }
  BILLING_ASSIGN_OR_RETURN(SubscriptionTotals totals, tx.SumSubscriptions(SubscriptionQuery{}));
  if (totals.count != walked) {
    return Error::Internal("invariant: the subscription walk and the count disagree");
  }
  return OkStatus();
}

}  // namespace billing
