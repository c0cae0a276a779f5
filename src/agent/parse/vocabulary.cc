#include "agent/parse/vocabulary.h"

#include <algorithm>
#include <array>
#include <utility>
#include <vector>

namespace billing::parse {
namespace {

struct VocabEntry {
  std::string_view word;
  uint64_t bits;
};

const std::vector<VocabEntry>& Vocab() {
  static const std::vector<VocabEntry> vocab = [] {
    std::vector<VocabEntry> e = {
        {"invoice", kInvoiceW},
        {"invoices", kInvoiceW},
        {"inv", kInvoiceW},
        {"customer", kCustomerW},
        {"customers", kCustomerW | kPluralCustomers},
        {"client", kCustomerW},
        {"clients", kCustomerW | kPluralCustomers},
        {"account", kCustomerW},
        {"accounts", kCustomerW | kPluralCustomers},
        {"company", kCustomerW},
        {"companies", kCustomerW | kPluralCustomers},
        {"payment", kPaymentW},
        {"payments", kPaymentW},
        {"transaction", kPaymentW},
        {"transactions", kPaymentW | kHistoryW},
        {"pay", kPayVerbW},
        {"sent", kPayVerbW},
        {"charge", kPaymentW | kProcessW},
        {"charges", kPaymentW},
        {"refund", kRefundW},
        {"refunds", kRefundW},
        {"reimburse", kRefundW},
        {"paid", kPaidW},
        {"mark", kMarkW},
        {"marked", kMarkW},
        {"flag", kMarkW},
        {"cancel", kCancelW},
        {"void", kCancelW},
        {"delete", kCancelW},
        {"annul", kCancelW},
        {"cancelled", kCancelledW},
        {"canceled", kCancelledW},
        {"voided", kCancelledW},
        {"update", kUpdateW},
        {"change", kUpdateW},
        {"extend", kUpdateW},
        {"move", kUpdateW},
        {"postpone", kUpdateW},
        {"reschedule", kUpdateW},
        {"push", kUpdateW},
        {"modify", kUpdateW},
        {"edit", kUpdateW},
        {"set", kUpdateW},
        {"adjust", kUpdateW},
        {"amend", kUpdateW},
        {"create", kCreateW},
        {"new", kCreateW},
        {"generate", kCreateW},
        {"issue", kCreateW},
        {"raise", kCreateW},
        {"draft", kCreateW},
        {"prepare", kCreateW},
        {"send", kCreateW},
        {"add", kCreateW},
        {"make", kCreateW | kProcessW},
        {"bill", kBillVerbW},
        {"bills", kInvoiceW},
        {"process", kProcessW},
        {"record", kProcessW},
        {"take", kProcessW},
        {"collect", kProcessW},
        {"receive", kProcessW},
        {"submit", kProcessW},
        {"apply", kProcessW},
        {"run", kProcessW},
        {"accept", kProcessW},
        {"log", kProcessW},
        {"post", kProcessW},
        {"history", kHistoryW},
        {"past", kHistoryW},
        {"previous", kHistoryW},
        {"recent", kHistoryW},
        {"show", kListW},
        {"list", kListW},
        {"display", kListW},
        {"view", kListW},
        {"get", kListW},
        {"see", kListW},
        {"find", kListW},
        {"give", kListW},
        {"pull", kListW},
        {"fetch", kListW},
        {"lookup", kListW},
        {"look", kListW},
        {"check", kListW},
        {"tell", kListW},
        {"report", kListW},
        {"all", kAllW},
        {"every", kAllW},
        {"who", kWhoW},
        {"which", kWhoW},
        {"failed", kFailedW},
        {"failing", kFailedW},
        {"declined", kFailedW},
        {"unsuccessful", kFailedW},
        {"rejected", kFailedW},
        {"bounced", kFailedW},
        {"failure", kFailedW},
        {"failures", kFailedW},
        {"overdue", kOverdueW},
        {"late", kOverdueW},
        {"delinquent", kOverdueW},
        {"pending", kPendingW},
        {"unpaid", kUnpaidW | kOweW},
        {"open", kUnpaidW},
        {"outstanding", kUnpaidW | kOweW},
        {"unsettled", kUnpaidW},
        {"owe", kOweW},
        {"owes", kOweW},
        {"owing", kOweW},
        {"owed", kOweW},
        {"debt", kOweW},
        {"debts", kOweW},
        {"arrears", kOweW},
        {"balance", kDetailsW | kBalanceW},
        {"balances", kDetailsW | kBalanceW},
        {"details", kDetailsW},
        {"detail", kDetailsW},
        {"status", kDetailsW},
        {"info", kDetailsW},
        {"information", kDetailsW},
        {"summary", kDetailsW},
        {"billing", kDetailsW},
        {"overview", kDetailsW},
        {"profile", kDetailsW},
        {"standing", kDetailsW},
        {"hi", kGreetW},
        {"hello", kGreetW},
        {"hey", kGreetW},
        {"help", kGreetW},
        {"thanks", kGreetW},
        {"thank", kGreetW},
        {"morning", kGreetW},
        {"afternoon", kGreetW},
        {"evening", kGreetW},
        {"greetings", kGreetW},
        {"note", kNoteW},
        {"notes", kNoteW},
        {"memo", kNoteW},
        {"comment", kNoteW},
        {"due", kDueW},
        {"card", kCardW},
        {"visa", kCardW},
        {"mastercard", kCardW},
        {"amex", kCardW},
        {"credit_card", kCardW},
        {"creditcard", kCardW},
        {"bank", kBankW},
        {"wire", kBankW},
        {"ach", kBankW},
        {"transfer", kBankW},
        {"bank_transfer", kBankW},
        {"sepa", kBankW},
        {"paypal", kPaypalW},
        {"crypto", kCryptoW},
        {"bitcoin", kCryptoW},
        {"btc", kCryptoW},
        {"usdc", kCryptoW},
        {"usdt", kCryptoW},
        {"eth", kCryptoW},
        {"ethereum", kCryptoW},
        {"cryptocurrency", kCryptoW},
        {"monthly", kMonthlyW},
        {"quarterly", kQuarterlyW},
        {"annual", kAnnualW},
        {"annually", kAnnualW},
        {"yearly", kAnnualW},
        {"active", kActiveW},
        {"suspended", kSuspendedW},
        {"no", kNegW},
        {"without", kNegW},
        {"zero", kNegW},
        {"not", kNegW},
        {"none", kNegW},
        {"over", kMinW},
        {"above", kMinW},
        {"exceeding", kMinW},
        {"exceed", kMinW},
        {"exceeds", kMinW},
        {"more", kMinW},
        {"greater", kMinW},
        {"subscription", kSubscriptionW},
        {"subscriptions", kSubscriptionW},
        {"subscribe", kSubscriptionW},
        {"subscribed", kSubscriptionW},
        {"plan", kPlanW},
        {"plans", kPlanW},
        {"tier", kPlanW},
        {"basic", kPlanW},
        {"premium", kPlanW},
        {"renew", kRenewW},
        {"renews", kRenewW},
        {"renewal", kRenewW},
        {"renewals", kRenewW},
        {"renewing", kRenewW},
        {"upgrade", kChangePlanW},
        {"downgrade", kChangePlanW},
        {"switch", kChangePlanW},
        {"least", kMinW},
        {"minimum", kMinW},
        {"min", kMinW},
    };
    // Known words with no feature: they never count as a company name.
    static constexpr std::string_view kStop[] = {
        "i",        "me",        "my",        "we",      "us",      "our",       "you",
        "your",     "a",         "an",        "the",     "for",     "of",        "to",
        "with",     "at",        "each",      "and",     "or",      "in",        "on",
        "by",       "from",      "please",    "can",     "could",   "would",     "will",
        "should",   "do",        "does",      "did",     "is",      "are",       "was",
        "were",     "what",      "how",       "much",    "many",    "money",     "amount",
        "total",    "id",        "number",    "date",    "today",   "tomorrow",  "next",
        "week",     "weeks",     "days",      "day",     "month",   "months",    "year",
        "end",      "net",       "via",       "using",   "as",      "it",        "this",
        "that",     "these",     "those",     "there",   "their",   "them",      "now",
        "also",     "just",      "let",       "lets",    "know",    "need",      "want",
        "like",     "have",      "has",       "had",     "be",      "been",      "any",
        "some",     "currently", "current",   "name",    "named",   "called",    "email",
        "contact",  "unit",      "units",     "item",    "items",   "line",      "quantity",
        "qty",      "per",       "x",         "usd",     "dollars", "dollar",    "bucks",
        "reason",   "because",   "ok",        "okay",    "yes",     "sure",      "up",
        "if",       "so",        "than",      "then",    "about",   "regarding", "cycle",
        "cycles",   "method",    "methods",   "credit",  "fully",   "partial",   "partially",
        "hey",      "where",     "when",      "why",     "here",    "there's",   "what's",
        "i'd",      "i'm",       "it's",      "due",     "amounts", "here's",    "status",
        "everyone", "anyone",    "yesterday", "monday",  "tuesday", "wednesday", "thursday",
        "friday",   "saturday",  "sunday",    "full",    "hours",   "hour",      "hrs",
        "sessions", "session",   "last",      "latest",  "first",   "so",        "far",
        "most",     "biggest",   "largest",   "highest", "top",     "greatest",
    };
    for (std::string_view w : kStop) e.push_back({w, kStopW});
    std::sort(e.begin(), e.end(),
              [](const VocabEntry& a, const VocabEntry& b) { return a.word < b.word; });
    std::vector<VocabEntry> merged;
    for (const VocabEntry& v : e) {
      if (!merged.empty() && merged.back().word == v.word) {
        merged.back().bits |= v.bits;
      } else {
        merged.push_back(v);
      }
    }
    return merged;
  }();
  return vocab;
}

}  // namespace

uint64_t WordBits(std::string_view w) {
  const auto& v = Vocab();
  auto it = std::lower_bound(v.begin(), v.end(), w,
                             [](const VocabEntry& a, std::string_view b) { return a.word < b; });
  return it != v.end() && it->word == w ? it->bits : 0;
}

namespace {

// True when `a` and `b` differ by exactly one edit: an insertion, a deletion, a substitution or
// a swap of two neighbouring letters ("custmer", "paymnet", "overdeu").
bool OneEditApart(std::string_view a, std::string_view b) {
  if (a.size() > b.size()) std::swap(a, b);
  if (b.size() - a.size() > 1) return false;
  size_t i = 0;
  while (i < a.size() && a[i] == b[i]) ++i;
  if (i == a.size()) return b.size() == a.size() + 1;  // one letter added at the end
  if (a.size() == b.size()) {
    if (a.substr(i + 1) == b.substr(i + 1)) return true;  // substitution
    return i + 1 < a.size() && a[i] == b[i + 1] && a[i + 1] == b[i] &&
           a.substr(i + 2) == b.substr(i + 2);  // neighbours swapped
  }
  return a.substr(i) == b.substr(i + 1);  // one letter added in the middle
}

}  // namespace

uint64_t TypoWordBits(std::string_view w) {
  if (w.size() < 4 || w.size() > 16) return 0;
  for (char c : w) {
    if (c < 'a' || c > 'z') return 0;
  }
  uint64_t found = 0;
  for (const VocabEntry& v : Vocab()) {
    // Short or featureless words are too easy to hit by accident.
    if (v.word.size() < 4 || (v.bits & ~kStopW) == 0 || !OneEditApart(w, v.word)) continue;
    if (found != 0 && found != v.bits) return 0;  // ambiguous: two different meanings
    found = v.bits;
  }
  return found;
}

bool IsTimeUnit(std::string_view w) {
  static constexpr std::string_view kUnits[] = {"hours", "hour", "hrs",    "days",     "day",
                                                "weeks", "week", "months", "sessions", "session"};
  for (std::string_view u : kUnits) {
    if (u == w) return true;
  }
  return false;
}

int MonthNumber(std::string_view w) {
  if (w.size() < 3 || w.size() > 9) return 0;
  switch (w[0]) {
    case 'j':
    case 'f':
    case 'm':
    case 'a':
    case 's':
    case 'o':
    case 'n':
    case 'd':
      break;
    default:
      return 0;
  }
  static constexpr std::array<std::pair<std::string_view, int>, 24> kMonths = {{
      {"january", 1},   {"jan", 1},   {"february", 2},  {"feb", 2},      {"march", 3},
      {"mar", 3},       {"april", 4}, {"apr", 4},       {"may", 5},      {"june", 6},
      {"jun", 6},       {"july", 7},  {"jul", 7},       {"august", 8},   {"aug", 8},
      {"september", 9}, {"sep", 9},   {"sept", 9},      {"october", 10}, {"oct", 10},
      {"november", 11}, {"nov", 11},  {"december", 12}, {"dec", 12},
  }};
  for (const auto& [name, m] : kMonths) {
    if (name == w) return m;
  }
  return 0;
}

}  // namespace billing::parse
