// The billing rules of billing-rules.md that are pure arithmetic or naming: tax, line amounts,
// derived balances and statuses, id formats. Every rule lives here or in service.cc (the rules that
// need the ledger); nothing else decides them.
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "billing/types.h"

namespace billing {

inline constexpr int kDefaultTaxRateBp = 800;  // 8%

// round-half-up(subtotal * rate), once per invoice.
int64_t TaxCents(int64_t subtotal_cents, int tax_rate_bp);
// A coupon's discount on a subtotal, before tax: round-half-up(subtotal * percent), or the
// fixed amount but never more than the subtotal.
int64_t DiscountCents(const Coupon& coupon, int64_t subtotal_cents);
// round-half-up(quantity * unit price); quantity is in thousandths.
int64_t LineAmountCents(int64_t quantity_milli, int64_t unit_price_cents);
// "8%", "7.25%".
std::string FormatTaxRate(int tax_rate_bp);

// Outstanding balance = opening + invoiced - paid + refunded (negative means a credit).
int64_t OutstandingCents(const LedgerTotals& t);

// The customer's credit held by payments (paid, applied to no invoice): balance = opening + what
// open invoices still owe - that credit, so credit = opening + open_due - balance. Exact from
// the ledger totals and the open invoices' total due, with no walk over the payments.
int64_t CreditHeldCents(const LedgerTotals& t, int64_t open_due_cents);

// "overdue" when pending and due strictly before today; otherwise the stored status.
std::string EffectiveStatus(const Invoice& inv, const Date& today);
// Days past due (0 unless overdue).
int64_t DaysOverdue(const Invoice& inv, const Date& today);
// What is still owed on an invoice: total - credited - paid (0 once paid in full, credited in
// full or cancelled).
int64_t AmountDueCents(const Invoice& inv);
// The tax part of a credit note of `amount_cents` (tax included) on `inv`, of which
// `credited_tax_cents` was credited by earlier notes: in proportion to the invoice's tax, rounded
// half-up, and never more than the tax left; all of the tax left when the note credits all that
// is left of the total.
int64_t CreditNoteTaxCents(const Invoice& inv, int64_t amount_cents, int64_t credited_tax_cents);

// Canonical ids: upper-case, trimmed. "cust-001" -> "CUST-001".
std::string CanonicalId(std::string_view raw);
std::string InvoiceId(int year, int seq);     // INV-2025-001
std::string PaymentId(int64_t number);        // PAY-001
std::string RefundId(int64_t number);         // RFD-001
std::string CreditNoteId(int year, int seq);  // CN-2026-001
std::string DraftId(int64_t number);          // draft_7
// The number of a draft id in any case and with '_' or '-' ("draft_7", "DRAFT-7" -> 7).
std::optional<int64_t> DraftNumber(std::string_view id);
// The sequence number of a short invoice id ("INV-001" -> 1); nullopt if not of that form.
std::optional<int> ShortInvoiceSeq(std::string_view canonical_id);

bool IsOneOf(std::string_view value, std::initializer_list<std::string_view> allowed);
template <size_t N>
bool IsOneOf(std::string_view value, const std::string_view (&allowed)[N]) {
  for (std::string_view a : allowed) {
    if (a == value) return true;
  }
  return false;
}

}  // namespace billing
