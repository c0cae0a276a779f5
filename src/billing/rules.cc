#include "billing/rules.h"

#include <algorithm>
#include <cctype>
#include <cstdio>

#include "money/money.h"

namespace billing {

int64_t TaxCents(int64_t subtotal_cents, int tax_rate_bp) {
  assert(subtotal_cents >= 0 && tax_rate_bp >= 0);
  return MulDivRoundHalfUp(subtotal_cents, tax_rate_bp, 10'000);
}

int64_t DiscountCents(const Coupon& coupon, int64_t subtotal_cents) {
  assert(subtotal_cents >= 0);
  if (coupon.percent_off_bp) {
    return MulDivRoundHalfUp(subtotal_cents, *coupon.percent_off_bp, 10'000);
  }
  return std::min(coupon.amount_off_cents.value_or(0), subtotal_cents);
}

int64_t LineAmountCents(int64_t quantity_milli, int64_t unit_price_cents) {
  assert(quantity_milli > 0 && unit_price_cents >= 0);
  return MulDivRoundHalfUp(unit_price_cents, quantity_milli, 1000);
}

std::string FormatTaxRate(int tax_rate_bp) {
  std::string s = FormatDecimal(tax_rate_bp, 2);
  while (s.back() == '0') s.pop_back();
  if (s.back() == '.') s.pop_back();
  return s + "%";
}

int64_t OutstandingCents(const LedgerTotals& t) {
  return t.opening_cents + t.invoiced_cents - t.paid_cents + t.refunded_cents;
}

std::string EffectiveStatus(const Invoice& inv, const Date& today) {
  if (inv.status == "pending" && inv.due_date < today) return "overdue";
  return inv.status;
}

int64_t DaysOverdue(const Invoice& inv, const Date& today) {
  if (EffectiveStatus(inv, today) != "overdue") return 0;
  return today.DaysSinceEpoch() - inv.due_date.DaysSinceEpoch();
}

int64_t CreditHeldCents(const LedgerTotals& t, int64_t open_due_cents) {
  const int64_t credit = t.opening_cents + open_due_cents - OutstandingCents(t);
  assert(credit >= 0);
  return credit;
}

int64_t AmountDueCents(const Invoice& inv) {
  // Cancelled invoices and drafts (draft, deleted) owe nothing.
  if (inv.status != "pending" && inv.status != "paid") return 0;
  const int64_t due = inv.total_cents - inv.credited_cents - inv.paid_cents;
  return due > 0 ? due : 0;
}

int64_t CreditNoteTaxCents(const Invoice& inv, int64_t amount_cents, int64_t credited_tax_cents) {
  assert(amount_cents > 0 && inv.total_cents > 0);
  assert(credited_tax_cents >= 0 && credited_tax_cents <= inv.tax_cents);
  const int64_t tax_left = inv.tax_cents - credited_tax_cents;
  if (amount_cents >= inv.total_cents - inv.credited_cents) return tax_left;
  const int64_t tax = MulDivRoundHalfUp(amount_cents, inv.tax_cents, inv.total_cents);
  return std::min(tax, tax_left);
}

std::string CanonicalId(std::string_view raw) {
  std::string out;
  out.reserve(raw.size());
  for (char c : raw) {
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') continue;
    out.push_back(char(std::toupper(static_cast<unsigned char>(c))));
  }
  return out;
}

namespace {
std::string Numbered(const char* prefix, int64_t number) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%s%03lld", prefix, static_cast<long long>(number));
  return buf;
}
}  // namespace

std::string InvoiceId(int year, int seq) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "INV-%04d-%03d", year, seq);
  return buf;
}
std::string PaymentId(int64_t number) { return Numbered("PAY-", number); }
std::string RefundId(int64_t number) { return Numbered("RFD-", number); }
std::string CreditNoteId(int year, int seq) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "CN-%04d-%03d", year, seq);
  return buf;
}
std::string DraftId(int64_t number) { return "draft_" + std::to_string(number); }

std::optional<int64_t> DraftNumber(std::string_view id) {
  if (id.size() < 7 || id.size() > 20) return std::nullopt;
  std::string prefix(id.substr(0, 5));
  for (char& c : prefix) c = char(std::tolower(static_cast<unsigned char>(c)));
  if (prefix != "draft" || (id[5] != '_' && id[5] != '-')) return std::nullopt;
  int64_t n = 0;
  for (char c : id.substr(6)) {
    if (c < '0' || c > '9') return std::nullopt;
    n = n * 10 + (c - '0');
  }
  if (n <= 0) return std::nullopt;
  return n;
}

std::optional<int> ShortInvoiceSeq(std::string_view id) {
  if (id.size() < 5 || id.substr(0, 4) != "INV-") return std::nullopt;
  std::string_view digits = id.substr(4);
  if (digits.empty() || digits.size() > 9) return std::nullopt;
  int seq = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return std::nullopt;
    seq = seq * 10 + (c - '0');
  }
  return seq;
}

bool IsOneOf(std::string_view value, std::initializer_list<std::string_view> allowed) {
  for (std::string_view a : allowed) {
    if (a == value) return true;
  }
  return false;
}

}  // namespace billing
