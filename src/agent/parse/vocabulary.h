// The parser's vocabulary: each known word carries feature bits (kInvoiceW, kRefundW, ...) that the
// intent rules test; words with no feature (stop words: "the", "please", "today", ...) carry
// kStopW, so they never count as a company name, and an unknown word has no bits at all. Also the
// month names ("december", "dec", "sept") for dates. Words are looked up lowercased.
//
// Thread-safety: pure functions; the word table is built once on first use (a function-local
// static) and only read after that: safe to call concurrently from any thread.
#pragma once

#include <cstdint>
#include <string_view>

namespace billing::parse {

// Feature bits of a word.
enum : uint64_t {
  kInvoiceW = 1ull << 0,
  kCustomerW = 1ull << 1,
  kPluralCustomers = 1ull << 2,
  kPaymentW = 1ull << 3,
  kRefundW = 1ull << 4,
  kPaidW = 1ull << 5,
  kMarkW = 1ull << 6,
  kCancelW = 1ull << 7,
  kUpdateW = 1ull << 8,
  kCreateW = 1ull << 9,
  kProcessW = 1ull << 10,
  kHistoryW = 1ull << 11,
  kListW = 1ull << 12,
  kFailedW = 1ull << 13,
  kOverdueW = 1ull << 14,
  kPendingW = 1ull << 15,
  kUnpaidW = 1ull << 16,
  kOweW = 1ull << 17,
  kDetailsW = 1ull << 18,
  kGreetW = 1ull << 19,
  kNoteW = 1ull << 20,
  kDueW = 1ull << 21,
  kStopW = 1ull << 22,
  kCardW = 1ull << 23,
  kBankW = 1ull << 24,
  kPaypalW = 1ull << 25,
  kCryptoW = 1ull << 26,
  kMonthlyW = 1ull << 27,
  kQuarterlyW = 1ull << 28,
  kAnnualW = 1ull << 29,
  kActiveW = 1ull << 30,
  kSuspendedW = 1ull << 31,
  kCancelledW = 1ull << 32,
  kNegW = 1ull << 33,
  kBillVerbW = 1ull << 34,
  kMinW = 1ull << 35,
  kAllW = 1ull << 36,
  kWhoW = 1ull << 37,
  kPayVerbW = 1ull << 38,
  kBalanceW = 1ull << 39,
  kSubscriptionW = 1ull << 40,  // subscription(s), subscribe(d)
  kPlanW = 1ull << 41,          // plan(s), tier, and the sample plans' words (basic, premium)
  kRenewW = 1ull << 42,         // renew(s), renewal(s), renewing
  kChangePlanW = 1ull << 43,    // upgrade, downgrade, switch
};

// Feature bits of a (lowercase) word; 0 when unknown.
uint64_t WordBits(std::string_view w);

// The bits of the one feature word that `w` (lowercase letters, 4 or more) is a typo of: one
// letter added, dropped, changed, or two neighbours swapped ("custmer", "paymnet", "refnd");
// 0 when there is none or when two words with different features are that close.
uint64_t TypoWordBits(std::string_view w);

// A unit a quantity is counted in, for time ("hours", "days", "sessions"): "5 hours of
// training" bills 5 of "training".
bool IsTimeUnit(std::string_view w);

// 1..12 for a (lowercase) month name or its abbreviation ("january", "jan", "sept"); 0 otherwise.
int MonthNumber(std::string_view w);

}  // namespace billing::parse
