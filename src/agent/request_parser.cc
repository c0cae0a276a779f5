#include "agent/request_parser.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>

#include "money/money.h"

namespace billing {
namespace {

constexpr size_t kMaxTextBytes = 4096;  // longer messages are parsed up to here
constexpr size_t kMaxTokens = 600;
constexpr size_t kMaxDescription = 200;

// ---------------------------------------------------------------------------------------------
// Vocabulary: each known word carries feature bits. Unknown capitalised words hint at a company
// name.

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
};

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
        {"least", kMinW},
        {"minimum", kMinW},
        {"min", kMinW},
    };
    // Known words with no feature: they never count as a company name.
    static constexpr std::string_view kStop[] = {
        "i",      "me",       "my",      "we",      "us",       "our",       "you",     "your",
        "a",      "an",       "the",     "for",     "of",       "to",        "with",    "at",
        "each",   "and",      "or",      "in",      "on",       "by",        "from",    "please",
        "can",    "could",    "would",   "will",    "should",   "do",        "does",    "did",
        "is",     "are",      "was",     "were",    "what",     "how",       "much",    "many",
        "money",  "amount",   "total",   "id",      "number",   "date",      "today",   "tomorrow",
        "next",   "week",     "weeks",   "days",    "day",      "month",     "months",  "year",
        "end",    "net",      "via",     "using",   "as",       "it",        "this",    "that",
        "these",  "those",    "there",   "their",   "them",     "now",       "also",    "just",
        "let",    "lets",     "know",    "need",    "want",     "like",      "have",    "has",
        "had",    "be",       "been",    "any",     "some",     "currently", "current", "name",
        "named",  "called",   "email",   "contact", "unit",     "units",     "item",    "items",
        "line",   "quantity", "qty",     "per",     "x",        "usd",       "dollars", "dollar",
        "bucks",  "reason",   "because", "ok",      "okay",     "yes",       "sure",    "up",
        "if",     "so",       "than",    "then",    "about",    "regarding", "cycle",   "cycles",
        "method", "methods",  "credit",  "fully",   "partial",  "partially", "hey",     "where",
        "when",   "why",      "here",    "there's", "what's",   "i'd",       "i'm",     "it's",
        "due",    "amounts",  "here's",  "status",  "everyone", "anyone",
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

// Feature bits of a word; 0 when unknown.
uint64_t WordBits(std::string_view w) {
  const auto& v = Vocab();
  auto it = std::lower_bound(v.begin(), v.end(), w,
                             [](const VocabEntry& a, std::string_view b) { return a.word < b; });
  return it != v.end() && it->word == w ? it->bits : 0;
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

bool IsDigit(char c) {
  return c >= '0' && c <= '9';
}
bool IsAllDigits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!IsDigit(c)) return false;
  }
  return true;
}
char Lower(char c) {
  return c >= 'A' && c <= 'Z' ? char(c - 'A' + 'a') : c;
}
bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}
// Characters that end a token and are themselves punctuation tokens (or dropped).
bool IsSeparator(char c) {
  switch (c) {
    case '(':
    case ')':
    case '[':
    case ']':
    case '{':
    case '}':
    case '?':
    case '!':
    case ';':
    case ':':
    case '"':
    case '*':
    case '<':
    case '>':
    case '=':
    case '|':
    case '`':
    case '~':
      return true;
    default:
      return false;
  }
}

// Digits of an id number without leading zeros, padded to at least 3 ("1" -> "001").
std::string PadSeq(std::string_view digits) {
  while (digits.size() > 1 && digits.front() == '0') digits.remove_prefix(1);
  std::string out(digits);
  while (out.size() < 3) out.insert(out.begin(), '0');
  return out;
}

std::optional<Date> MakeDate(int y, int m, int d) {
  if (y < 1900 || y > 2999 || m < 1 || m > 12 || d < 1 || d > 31) return std::nullopt;
  const std::chrono::year_month_day ymd{std::chrono::year{y}, std::chrono::month{unsigned(m)},
                                        std::chrono::day{unsigned(d)}};
  if (!ymd.ok()) return std::nullopt;
  return Date{y, m, d};
}

Date AddDays(const Date& d, int64_t days) {
  return Date::FromDaysSinceEpoch(d.DaysSinceEpoch() + days);
}

Date AddMonths(const Date& d, int months) {
  int total = d.year * 12 + (d.month - 1) + months;
  const int y = total / 12;
  const int m = total % 12 + 1;
  for (int day = d.day; day >= 28; --day) {
    if (auto r = MakeDate(y, m, day)) return *r;
  }
  return Date{y, m, std::min(d.day, 28)};
}

Date EndOfMonth(const Date& d) {
  for (int day = 31; day >= 28; --day) {
    if (auto r = MakeDate(d.year, d.month, day)) return *r;
  }
  return d;
}

int ParseSmallInt(std::string_view s) {  // digits only, at most 9; -1 otherwise
  if (!IsAllDigits(s) || s.size() > 9) return -1;
  int v = 0;
  for (char c : s) v = v * 10 + (c - '0');
  return v;
}

// ---------------------------------------------------------------------------------------------
// Tokens

enum class Kind { kWord, kNumber, kAmount, kDate, kCustId, kInvId, kPayId, kPunct };

struct Tok {
  Kind kind = Kind::kWord;
  uint32_t begin = 0, end = 0;  // byte span in the original text
  std::string_view low;         // lowercased text of the span
  uint64_t bits = 0;            // kWord: vocabulary bits
  int64_t minor = 0;            // kAmount
  int num = -1;                 // kNumber: integer value when plain (digits only), else -1
  bool hash = false;            // kNumber written "#3"
  bool ordinal = false;         // kNumber written "15th"
  bool times = false;           // kNumber written "2x" / "x2"
  bool bad = false;             // kAmount / kDate that did not parse
  Date date;                    // kDate
  std::string id;               // ids: normalised; kNumber: decimal text without commas
};

struct Lexed {
  std::vector<Tok> toks;
  std::string bad_amount;  // message for the first amount that failed to parse
  std::string bad_date;
};

bool IsWord(const Tok& t, std::string_view w) {
  return t.kind == Kind::kWord && t.low == w;
}
bool IsPunct(const Tok& t, char c) {
  return t.kind == Kind::kPunct && t.low.size() == 1 && t.low[0] == c;
}

// Amount text after a currency marker ("1,500.00", "2k", "150/hour").
void SetAmount(Tok& t, std::string_view body, std::string_view original, Lexed& lx) {
  t.kind = Kind::kAmount;
  const size_t slash = body.find('/');
  if (slash != std::string_view::npos) body = body.substr(0, slash);
  int64_t scale = 1;
  if (!body.empty() && body.back() == 'k') {
    body.remove_suffix(1);
    scale = 1000;
  }
  AmountRules rules;
  rules.max_minor = rules.max_minor / scale;
  auto r = ParseAmount(body, Usd(), rules, "amount");
  if (!r.ok()) {
    t.bad = true;
    if (lx.bad_amount.empty()) {
      lx.bad_amount =
          "I couldn't use the amount '" + std::string(original) + "': " + r.error().message;
    }
    return;
  }
  t.minor = *r * scale;
}

// Number text: digits with optional thousands commas and a decimal point.
bool LooksNumeric(std::string_view s) {
  if (s.empty() || !IsDigit(s.front())) return false;
  int points = 0;
  for (char c : s) {
    if (c == '.') {
      if (++points > 1) return false;
    } else if (c != ',' && !IsDigit(c)) {
      return false;
    }
  }
  return IsDigit(s.back());
}

void Classify(Tok& t, std::string_view orig, Lexed& lx) {
  const std::string_view s = t.low;
  t.kind = Kind::kWord;
  if (s.size() > 1 && s[0] == '$') {
    SetAmount(t, s.substr(1), orig, lx);
    return;
  }
  if (s.size() > 3 && s.substr(0, 3) == "us$") {
    SetAmount(t, s.substr(3), orig, lx);
    return;
  }
  if (s.size() > 1 && s[0] == '#' && IsAllDigits(s.substr(1))) {
    t.kind = Kind::kNumber;
    t.hash = true;
    t.id = std::string(s.substr(1));
    t.num = ParseSmallInt(s.substr(1));
    return;
  }
  // Ids: cust-001, cust_1, cust1, inv-2025-001, inv-1, pay-001.
  auto id_rest = [&](std::string_view prefix) -> std::string_view {
    if (s.size() <= prefix.size() || s.substr(0, prefix.size()) != prefix) return {};
    std::string_view rest = s.substr(prefix.size());
    if (rest.front() == '-' || rest.front() == '_' || rest.front() == '#') rest.remove_prefix(1);
    return rest;
  };
  if (std::string_view r = id_rest("cust"); IsAllDigits(r) && r.size() <= 9) {
    t.kind = Kind::kCustId;
    t.id = "CUST-" + PadSeq(r);
    return;
  }
  if (std::string_view r = id_rest("pay"); IsAllDigits(r) && r.size() <= 9) {
    t.kind = Kind::kPayId;
    t.id = "PAY-" + PadSeq(r);
    return;
  }
  if (std::string_view r = id_rest("inv"); !r.empty() && IsDigit(r.front()) && r.size() <= 20) {
    const size_t dash = r.find('-');
    if (dash == std::string_view::npos && IsAllDigits(r)) {
      t.kind = Kind::kInvId;
      t.id = "INV-" + PadSeq(r);
      return;
    }
    if (dash != std::string_view::npos && IsAllDigits(r.substr(0, dash)) &&
        IsAllDigits(r.substr(dash + 1))) {
      t.kind = Kind::kInvId;
      t.id = "INV-" + std::string(r.substr(0, dash)) + "-" + PadSeq(r.substr(dash + 1));
      return;
    }
  }
  // Dates: 2026-12-15, 2026/12/15, 12/15/2026 (US order; day first when the first part > 12).
  if (s.size() >= 8 && s.size() <= 10 && IsDigit(s[0])) {
    const char sep = s.find('-') != std::string_view::npos ? '-' : '/';
    std::array<std::string_view, 3> parts;
    size_t count = 0, start = 0;
    bool ok = true;
    for (size_t i = 0; i <= s.size() && ok; ++i) {
      if (i == s.size() || s[i] == sep) {
        if (count >= 3) {
          ok = false;
          break;
        }
        parts[count++] = s.substr(start, i - start);
        start = i + 1;
      } else if (!IsDigit(s[i])) {
        ok = false;
      }
    }
    if (ok && count == 3) {
      int a = ParseSmallInt(parts[0]), b = ParseSmallInt(parts[1]), c = ParseSmallInt(parts[2]);
      std::optional<Date> d;
      bool shaped = false;
      if (parts[0].size() == 4 && parts[1].size() <= 2 && parts[2].size() <= 2) {
        shaped = true;
        d = MakeDate(a, b, c);
      } else if (sep == '/' && parts[2].size() == 4 && parts[0].size() <= 2 &&
                 parts[1].size() <= 2) {
        shaped = true;
        d = a > 12 ? MakeDate(c, b, a) : MakeDate(c, a, b);
      }
      if (shaped) {
        t.kind = Kind::kDate;
        if (d) {
          t.date = *d;
        } else {
          t.bad = true;
          if (lx.bad_date.empty()) lx.bad_date = std::string(orig);
        }
        return;
      }
    }
  }
  if (LooksNumeric(s)) {
    t.kind = Kind::kNumber;
    t.id.reserve(s.size());
    for (char c : s) {
      if (c != ',') t.id.push_back(c);
    }
    t.num = ParseSmallInt(t.id);
    return;
  }
  // 15th, 1st, 2nd, 3rd
  if (s.size() >= 3 && s.size() <= 4) {
    std::string_view suffix = s.substr(s.size() - 2);
    std::string_view digits = s.substr(0, s.size() - 2);
    if (IsAllDigits(digits) &&
        (suffix == "st" || suffix == "nd" || suffix == "rd" || suffix == "th")) {
      t.kind = Kind::kNumber;
      t.ordinal = true;
      t.id = std::string(digits);
      t.num = ParseSmallInt(digits);
      return;
    }
  }
  // 2x, x2: a quantity.
  if (s.size() >= 2 && s.size() <= 6) {
    std::string_view digits;
    if (s.back() == 'x') digits = s.substr(0, s.size() - 1);
    if (s.front() == 'x') digits = s.substr(1);
    if (IsAllDigits(digits)) {
      t.kind = Kind::kNumber;
      t.times = true;
      t.id = std::string(digits);
      t.num = ParseSmallInt(digits);
      return;
    }
  }
  t.bits = WordBits(s);
}

Lexed Lex(std::string_view text, std::string_view lc) {
  Lexed lx;
  const size_t n = std::min(text.size(), kMaxTextBytes);
  lx.toks.reserve(32);
  size_t i = 0;
  auto push_punct = [&](size_t at) {
    Tok t;
    t.kind = Kind::kPunct;
    t.begin = uint32_t(at);
    t.end = uint32_t(at + 1);
    t.low = lc.substr(at, 1);
    lx.toks.push_back(std::move(t));
  };
  while (i < n && lx.toks.size() < kMaxTokens) {
    const char c = text[i];
    if (IsSpace(c)) {
      ++i;
      continue;
    }
    if (IsSeparator(c)) {
      if (c != '"' && c != '*' && c != '`') push_punct(i);
      ++i;
      continue;
    }
    const size_t start = i;
    while (i < n && !IsSpace(text[i]) && !IsSeparator(text[i])) ++i;
    size_t end = i;
    size_t comma = std::string_view::npos, period = std::string_view::npos;
    while (end > start) {
      const char t = text[end - 1];
      if (t == ',') {
        comma = end - 1;
      } else if (t == '.') {
        period = end - 1;
      } else if (t != '-' && t != '\'') {
        break;
      }
      --end;
    }
    if (end - start >= 3 && lc[end - 2] == '\'' && lc[end - 1] == 's') end -= 2;  // possessive
    size_t lead = start;
    while (lead < end && text[lead] == '\'') ++lead;  // opening single quote
    if (end > lead) {
      Tok t;
      t.begin = uint32_t(lead);
      t.end = uint32_t(end);
      t.low = lc.substr(lead, end - lead);
      Classify(t, text.substr(lead, end - lead), lx);
      lx.toks.push_back(std::move(t));
    }
    if (comma != std::string_view::npos) {
      push_punct(comma);
    } else if (period != std::string_view::npos) {
      push_punct(period);
    }
  }
  return lx;
}

// Second pass: multi-token amounts, ids, dates.
std::vector<Tok> Merge(std::vector<Tok> in, const Date& today, Lexed& lx) {
  std::vector<Tok> out;
  out.reserve(in.size());
  const size_t n = in.size();
  auto word = [&](size_t k, std::string_view w) { return k < n && IsWord(in[k], w); };
  auto number = [&](size_t k) { return k < n && in[k].kind == Kind::kNumber; };
  auto span = [&](Tok t, size_t last) {
    t.end = in[last].end;
    return t;
  };
  auto amount_from_number = [&](const Tok& num, size_t first, size_t last) {
    Tok t = num;
    SetAmount(t, num.id, std::string_view(), lx);
    t.begin = in[first].begin;
    t.end = in[last].end;
    return t;
  };
  for (size_t i = 0; i < n; ++i) {
    const Tok& t = in[i];
    if (t.kind == Kind::kWord) {
      // "$ 1500", "usd 1500"
      if ((t.low == "$" || t.low == "usd" || t.low == "us$") && number(i + 1) && !in[i + 1].times) {
        out.push_back(amount_from_number(in[i + 1], i, i + 1));
        ++i;
        continue;
      }
      // "customer 1", "customer #1", "customer id 1", "invoice number 3", "payment #2"
      const bool is_cust = t.low == "customer" || t.low == "client" || t.low == "account";
      const bool is_inv = t.low == "invoice";
      const bool is_pay = t.low == "payment";
      if (is_cust || is_inv || is_pay) {
        size_t k = i + 1;
        bool marker = false;
        if (word(k, "id") || word(k, "number") || word(k, "no") || (k < n && IsPunct(in[k], ':'))) {
          ++k;
          marker = true;
          if (k < n && IsPunct(in[k], '.')) ++k;
        }
        if (number(k) && in[k].num >= 0 && !in[k].ordinal && !in[k].times &&
            in[k].id.find('.') == std::string::npos && in[k].id.size() <= 9 &&
            (marker || in[k].hash || !is_pay) &&
            !(k + 1 < n && (word(k + 1, "dollars") || word(k + 1, "usd")))) {
          out.push_back(t);
          Tok id = in[k];
          id.kind = is_cust ? Kind::kCustId : is_inv ? Kind::kInvId : Kind::kPayId;
          id.id = (is_cust ? "CUST-" : is_inv ? "INV-" : "PAY-") + PadSeq(in[k].id);
          out.push_back(std::move(id));
          i = k;
          continue;
        }
        // "invoice 2025-001"
        if (is_inv && k < n && in[k].kind == Kind::kWord && in[k].low.size() >= 6 &&
            in[k].low[4] == '-' && IsAllDigits(in[k].low.substr(0, 4)) &&
            IsAllDigits(in[k].low.substr(5))) {
          out.push_back(t);
          Tok id = in[k];
          id.kind = Kind::kInvId;
          id.id = "INV-" + std::string(in[k].low.substr(0, 4)) + "-" + PadSeq(in[k].low.substr(5));
          out.push_back(std::move(id));
          i = k;
          continue;
        }
      }
      // Month-first dates: "December 15, 2026", "Dec. 15th 2026", "Dec 15".
      if (const int month = MonthNumber(t.low)) {
        size_t k = i + 1;
        if (k < n && IsPunct(in[k], '.')) ++k;
        if (number(k) && in[k].num >= 1 && in[k].num <= 31 && !in[k].times && !in[k].hash) {
          const int day = in[k].num;
          size_t last = k;
          size_t y = k + 1;
          if (y < n && IsPunct(in[y], ',')) ++y;
          int year = -1;
          if (number(y) && in[y].id.size() == 4 && in[y].num >= 1900) {
            year = in[y].num;
            last = y;
          }
          Tok d = t;
          d.kind = Kind::kDate;
          std::optional<Date> date;
          if (year > 0) {
            date = MakeDate(year, month, day);
          } else {
            date = MakeDate(today.year, month, day);
            if (date && *date < today) date = MakeDate(today.year + 1, month, day);
          }
          if (date) {
            d.date = *date;
          } else {
            d.bad = true;
            if (lx.bad_date.empty()) lx.bad_date = std::string(t.low) + " " + std::to_string(day);
          }
          out.push_back(span(std::move(d), last));
          i = last;
          continue;
        }
      }
      if (t.low == "today" || t.low == "tomorrow") {
        Tok d = t;
        d.kind = Kind::kDate;
        d.date = t.low == "today" ? today : AddDays(today, 1);
        out.push_back(std::move(d));
        continue;
      }
      // "in 30 days", "in a week", "in 2 months"
      if (t.low == "in" && i + 2 < n &&
          (number(i + 1) || word(i + 1, "a") || word(i + 1, "an") || word(i + 1, "one"))) {
        const int count = number(i + 1) ? in[i + 1].num : 1;
        const std::string_view unit = in[i + 2].low;
        if (count > 0 && count <= 3660 && in[i + 2].kind == Kind::kWord) {
          std::optional<Date> d;
          if (unit == "day" || unit == "days") d = AddDays(today, count);
          if (unit == "week" || unit == "weeks") d = AddDays(today, int64_t(count) * 7);
          if ((unit == "month" || unit == "months") && count <= 120) d = AddMonths(today, count);
          if (d) {
            Tok dt = t;
            dt.kind = Kind::kDate;
            dt.date = *d;
            out.push_back(span(std::move(dt), i + 2));
            i += 2;
            continue;
          }
        }
      }
      if (t.low == "next" && (word(i + 1, "week") || word(i + 1, "month"))) {
        Tok dt = t;
        dt.kind = Kind::kDate;
        dt.date = in[i + 1].low == "week" ? AddDays(today, 7) : AddMonths(today, 1);
        out.push_back(span(std::move(dt), i + 1));
        ++i;
        continue;
      }
      // "end of month", "end of the month", "end of next month"
      if (t.low == "end" && word(i + 1, "of")) {
        size_t k = i + 2;
        if (word(k, "the")) ++k;
        bool next = false;
        if (word(k, "next")) {
          next = true;
          ++k;
        }
        if (word(k, "month")) {
          Date base = next ? AddMonths(Date{today.year, today.month, 1}, 1) : today;
          Date d = EndOfMonth(base);
          if (!next && d == today) d = EndOfMonth(AddMonths(Date{today.year, today.month, 1}, 1));
          Tok dt = t;
          dt.kind = Kind::kDate;
          dt.date = d;
          out.push_back(span(std::move(dt), k));
          i = k;
          continue;
        }
      }
      // "net 30", "net-30"
      if (t.low == "net" && number(i + 1) && in[i + 1].num > 0 && in[i + 1].num <= 3660) {
        Tok dt = t;
        dt.kind = Kind::kDate;
        dt.date = AddDays(today, in[i + 1].num);
        out.push_back(span(std::move(dt), i + 1));
        ++i;
        continue;
      }
      if (t.low.size() > 4 && t.low.substr(0, 4) == "net-" && ParseSmallInt(t.low.substr(4)) > 0) {
        const int days = ParseSmallInt(t.low.substr(4));
        if (days <= 3660) {
          Tok dt = t;
          dt.kind = Kind::kDate;
          dt.date = AddDays(today, days);
          out.push_back(std::move(dt));
          continue;
        }
      }
    }
    if (t.kind == Kind::kNumber && !t.hash && !t.times) {
      // "15 Dec 2026", "1st of December"
      size_t k = i + 1;
      if (word(k, "of")) ++k;
      const int month = k < n && in[k].kind == Kind::kWord ? MonthNumber(in[k].low) : 0;
      if (month && t.num >= 1 && t.num <= 31) {
        size_t last = k;
        size_t y = k + 1;
        if (y < n && IsPunct(in[y], ',')) ++y;
        int year = -1;
        if (number(y) && in[y].id.size() == 4 && in[y].num >= 1900) {
          year = in[y].num;
          last = y;
        }
        std::optional<Date> date;
        if (year > 0) {
          date = MakeDate(year, month, t.num);
        } else {
          date = MakeDate(today.year, month, t.num);
          if (date && *date < today) date = MakeDate(today.year + 1, month, t.num);
        }
        Tok d = t;
        d.kind = Kind::kDate;
        if (date) {
          d.date = *date;
        } else {
          d.bad = true;
          if (lx.bad_date.empty()) lx.bad_date = t.id + " " + std::string(in[k].low);
        }
        out.push_back(span(std::move(d), last));
        i = last;
        continue;
      }
      // "1500 dollars", "1500 usd"
      if (word(i + 1, "dollars") || word(i + 1, "dollar") || word(i + 1, "usd") ||
          word(i + 1, "bucks")) {
        out.push_back(amount_from_number(t, i, i + 1));
        ++i;
        continue;
      }
      // A bare number right after a money verb: "payment of 750", "refund 100 of PAY-001".
      if (!out.empty() && out.back().kind == Kind::kWord && !t.ordinal) {
        const std::string_view prev = out.back().low;
        const bool unit_follows = i + 1 < n && in[i + 1].kind == Kind::kWord &&
                                  in[i + 1].bits == 0 && !IsWord(in[i + 1], "of");
        if (!unit_follows &&
            (prev == "of" || prev == "amount" || prev == "refund" || prev == "pay" ||
             prev == "charge" || prev == "collect" || prev == "receive" || prev == "bill")) {
          Tok probe = amount_from_number(t, i, i);
          if (!probe.bad) {
            out.push_back(std::move(probe));
            continue;
          }
        }
      }
    }
    out.push_back(std::move(in[i]));
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Slot extraction helpers

std::string_view TrimView(std::string_view s) {
  while (!s.empty() &&
         (IsSpace(s.front()) || s.front() == ':' || s.front() == '-' || s.front() == ',')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (IsSpace(s.back()) || s.back() == '.' || s.back() == '?' ||
                        s.back() == '!' || s.back() == ',')) {
    s.remove_suffix(1);
  }
  return s;
}

// Text between the first pair of double quotes (ASCII or curly) after byte `from`; empty if none.
std::string_view Quoted(std::string_view text, size_t from) {
  static constexpr std::string_view kOpen = "\xE2\x80\x9C", kClose = "\xE2\x80\x9D";
  size_t a = text.find('"', from);
  if (a != std::string_view::npos) {
    size_t b = text.find('"', a + 1);
    if (b != std::string_view::npos) return text.substr(a + 1, b - a - 1);
  }
  a = text.find(kOpen, from);
  if (a != std::string_view::npos) {
    size_t b = text.find(kClose, a + kOpen.size());
    if (b != std::string_view::npos) return text.substr(a + kOpen.size(), b - a - kOpen.size());
  }
  return {};
}

std::string Clip(std::string_view s, size_t max) {
  if (s.size() <= max) return std::string(s);
  size_t cut = max;
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;  // UTF-8
  return std::string(s.substr(0, cut));
}

// Free text after the keyword token at `k`, skipping connective words: notes and reasons.
std::string TextAfter(const std::vector<Tok>& toks, size_t k, std::string_view text,
                      bool skip_connectives) {
  size_t j = k + 1;
  for (; j < toks.size(); ++j) {
    const Tok& t = toks[j];
    if (t.kind == Kind::kPunct && (t.low == ":" || t.low == ",")) continue;
    if (!skip_connectives) {
      if (t.kind == Kind::kWord && (t.low == "is" || t.low == "being")) continue;
      if (t.kind == Kind::kWord && t.low == "of" && toks[k].low == "because") continue;  // "because of"
      break;
    }
    if (t.kind == Kind::kInvId || t.kind == Kind::kPayId) continue;
    if (t.kind == Kind::kWord &&
        (t.low == "to" || t.low == "on" || t.low == "for" || t.low == "invoice" ||
         t.low == "payment" || t.low == "the" || t.low == "a" || t.low == "that" ||
         t.low == "saying" || t.low == "says" || t.low == "reading" || t.low == "as" ||
         t.low == "of" || t.low == "is" || t.low == "being" || t.low == "with")) {
      continue;
    }
    break;
  }
  if (j >= toks.size()) return {};
  std::string_view rest =
      text.substr(toks[j].begin, std::min(text.size(), kMaxTextBytes) - toks[j].begin);
  if (!rest.empty() && rest.front() == '\'') {
    const size_t close = rest.find('\'', 1);
    if (close != std::string_view::npos) rest = rest.substr(1, close - 1);
  }
  return Clip(TrimView(rest), 500);
}

bool IsFiller(std::string_view w) {
  static constexpr std::string_view kFillers[] = {
      "for",   "with",   "at",        "each",    "of",        "a",           "an",        "the",
      "and",   "to",     "including", "include", "includes",  "plus",        "per",       "x",
      "@",     "by",     "on",        "amount",  "amounting", "totaling",    "totalling", "total",
      "items", "item",   "line",      "lines",   "following", "description", "described", "as",
      "is",    "called", "\xC3\x97",  "qty",     "quantity",  "-",           "&",         "in",
  };
  for (std::string_view f : kFillers) {
    if (f == w) return true;
  }
  return false;
}

bool IsCutWord(const Tok& t) {
  return (t.kind == Kind::kWord &&
          (t.low == "for" || t.low == "with" || t.low == "including" || t.low == "includes")) ||
         IsPunct(t, ':');
}

// Description from a run of tokens: fillers trimmed from both ends, punctuation dropped.
std::string Describe(const std::vector<const Tok*>& run, std::string_view text) {
  size_t b = 0, e = run.size();
  auto skippable = [](const Tok* t) {
    return t->kind == Kind::kPunct || (t->kind == Kind::kWord && IsFiller(t->low));
  };
  while (b < e && skippable(run[b])) ++b;
  while (e > b && skippable(run[e - 1])) --e;
  std::string out;
  for (size_t k = b; k < e; ++k) {
    const Tok* t = run[k];
    if (t->kind == Kind::kPunct) {
      if (t->low == "," && !out.empty()) out += ',';
      continue;
    }
    if (!out.empty()) out += ' ';
    out.append(text.substr(t->begin, t->end - t->begin));
  }
  return Clip(out, kMaxDescription);
}

// One invoice line from a segment holding exactly one amount.
ParsedLineItem ItemFromSegment(const std::vector<const Tok*>& seg, std::string_view text) {
  ParsedLineItem item;
  size_t amount_at = 0;
  for (size_t k = 0; k < seg.size(); ++k) {
    if (seg[k]->kind == Kind::kAmount) {
      amount_at = k;
      break;
    }
  }
  item.unit_price_minor = seg[amount_at]->minor;
  const Tok* qty = nullptr;
  for (size_t k = 0; k < seg.size(); ++k) {
    const Tok* t = seg[k];
    if (t->kind == Kind::kNumber && !t->hash && !t->ordinal) {
      qty = t;
      break;
    }
  }
  if (qty) {
    auto r = ParseQuantityMilli(nlohmann::json(qty->id), "quantity");
    if (r.ok()) item.quantity = qty->id;
  }
  std::vector<const Tok*> before, after;
  for (size_t k = 0; k < seg.size(); ++k) {
    if (k == amount_at || seg[k] == qty) continue;
    (k < amount_at ? before : after).push_back(seg[k]);
  }
  // Before the amount, the description starts after the last "for"/"with"/":".
  size_t cut = 0;
  for (size_t k = 0; k < before.size(); ++k) {
    if (IsCutWord(*before[k])) cut = k + 1;
  }
  before.erase(before.begin(), before.begin() + long(cut));
  // After the amount, a description is introduced by "for"/":"/"-" ("$1500 for Monthly
  // subscription services"); otherwise the words before the amount name the line
  // ("Premium Plan ($199)", "3 hours of consulting at $150 per hour").
  std::string pre = Describe(before, text), post = Describe(after, text);
  const bool post_introduced =
      !after.empty() && (IsWord(*after.front(), "for") || IsPunct(*after.front(), ':') ||
                         IsWord(*after.front(), "-"));
  item.description = (post_introduced && !post.empty()) || pre.empty() ? post : pre;
  if (item.description.empty()) item.description = "Services";
  return item;
}

std::vector<ParsedLineItem> ExtractItems(const std::vector<Tok>& toks, std::string_view text) {
  // The item text starts after "invoice" / "bill".
  size_t start = 0;
  for (size_t k = 0; k < toks.size(); ++k) {
    if (toks[k].kind == Kind::kWord && (toks[k].bits & (kInvoiceW | kBillVerbW))) {
      start = k + 1;
      break;
    }
  }
  std::vector<bool> drop(toks.size(), false);
  for (size_t k = start; k < toks.size(); ++k) {
    const Tok& t = toks[k];
    if (t.kind == Kind::kCustId || t.kind == Kind::kDate || t.kind == Kind::kInvId) {
      drop[k] = true;
      // Connectives in front: "for customer CUST-002", "due on 2026-12-01".
      for (size_t b = k, steps = 0; b > start && steps < 4; --b, ++steps) {
        const Tok& p = toks[b - 1];
        const bool conn =
            p.kind == Kind::kWord &&
            (t.kind == Kind::kDate
                 ? (p.low == "due" || p.low == "on" || p.low == "by" || p.low == "date" ||
                    p.low == "payable" || p.low == "until" || p.low == "of" || p.low == "dated" ||
                    p.low == "is" || p.low == "a" || p.low == "the" || p.low == "with")
                 : (p.low == "for" || p.low == "to" || p.low == "customer" || p.low == "client" ||
                    p.low == "account" || p.low == "of"));
        if (!conn) break;
        drop[b - 1] = true;
      }
    } else if (t.kind == Kind::kWord && (t.bits & (kCardW | kBankW | kPaypalW | kCryptoW))) {
      drop[k] = true;
    } else if (IsWord(t, "due")) {
      drop[k] = true;
    }
  }
  std::vector<const Tok*> kept;
  size_t amounts = 0;
  for (size_t k = start; k < toks.size(); ++k) {
    if (drop[k]) continue;
    if (toks[k].kind == Kind::kAmount && !toks[k].bad) ++amounts;
    if (toks[k].kind == Kind::kAmount && toks[k].bad) continue;
    kept.push_back(&toks[k]);
  }
  std::vector<ParsedLineItem> items;
  if (amounts == 0) return items;
  if (amounts == 1) {
    items.push_back(ItemFromSegment(kept, text));
    return items;
  }
  // Several amounts: split at ",", ";", "." and "and"/"plus"; a segment with several amounts is
  // split after each amount; words with no amount join the next segment.
  std::vector<std::vector<const Tok*>> segs(1);
  for (const Tok* t : kept) {
    const bool sep =
        (t->kind == Kind::kPunct && (t->low == "," || t->low == ";" || t->low == ".")) ||
        IsWord(*t, "and") || IsWord(*t, "plus") || IsWord(*t, "&");
    if (sep) {
      segs.emplace_back();
      continue;
    }
    std::vector<const Tok*>& cur = segs.back();
    const bool cur_has_amount =
        std::any_of(cur.begin(), cur.end(), [](const Tok* x) { return x->kind == Kind::kAmount; });
    if (cur_has_amount && t->kind == Kind::kAmount) {
      // Second amount in one segment: the words after the first amount start the new line
      // unless they are fillers ("each").
      std::vector<const Tok*> moved;
      size_t a = 0;
      while (a < cur.size() && cur[a]->kind != Kind::kAmount) ++a;
      size_t from = a + 1;
      while (from < cur.size() && (cur[from]->kind == Kind::kPunct ||
                                   (cur[from]->kind == Kind::kWord &&
                                    (cur[from]->low == "each" || cur[from]->low == "per")))) {
        ++from;
      }
      moved.assign(cur.begin() + long(from), cur.end());
      cur.erase(cur.begin() + long(from), cur.end());
      segs.push_back(std::move(moved));
    }
    segs.back().push_back(t);
  }
  std::vector<const Tok*> carry;
  for (auto& seg : segs) {
    const bool has_amount =
        std::any_of(seg.begin(), seg.end(), [](const Tok* x) { return x->kind == Kind::kAmount; });
    if (!has_amount) {
      carry.insert(carry.end(), seg.begin(), seg.end());
      continue;
    }
    if (!carry.empty()) {
      seg.insert(seg.begin(), carry.begin(), carry.end());
      carry.clear();
    }
    items.push_back(ItemFromSegment(seg, text));
    if (items.size() >= 100) break;
  }
  return items;
}

}  // namespace

const char* IntentName(Intent intent) {
  switch (intent) {
    case Intent::kHelp:
      return "help";
    case Intent::kGetCustomer:
      return "get_customer";
    case Intent::kListCustomers:
      return "list_customers";
    case Intent::kCreateInvoice:
      return "create_invoice";
    case Intent::kGetInvoice:
      return "get_invoice";
    case Intent::kListInvoices:
      return "list_invoices";
    case Intent::kUpdateInvoice:
      return "update_invoice";
    case Intent::kMarkInvoicePaid:
      return "mark_invoice_paid";
    case Intent::kCancelInvoice:
      return "cancel_invoice";
    case Intent::kProcessPayment:
      return "process_payment";
    case Intent::kRefundPayment:
      return "refund_payment";
    case Intent::kPaymentHistory:
      return "payment_history";
    case Intent::kListFailedPayments:
      return "list_failed_payments";
  }
  return "help";
}

std::string NormalizeCustomerId(std::string_view text) {
  std::string lc(text.size(), ' ');
  std::transform(text.begin(), text.end(), lc.begin(), Lower);
  std::string_view s = TrimView(lc);
  if (IsAllDigits(s) && s.size() <= 9) return "CUST-" + PadSeq(s);
  if (s.size() > 4 && s.substr(0, 4) == "cust") {
    std::string_view r = s.substr(4);
    if (r.front() == '-' || r.front() == '_' || r.front() == '#') r.remove_prefix(1);
    if (IsAllDigits(r) && r.size() <= 9) return "CUST-" + PadSeq(r);
  }
  return {};
}

ParsedRequest ParseRequest(std::string_view text, const Date& today) {
  ParsedRequest p;
  if (text.size() > kMaxTextBytes) {
    size_t cut = kMaxTextBytes;  // do not split a UTF-8 sequence
    while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
    text = text.substr(0, cut);
  }
  std::string lc(text.size(), ' ');
  std::transform(text.begin(), text.end(), lc.begin(), Lower);
  Lexed lx = Lex(text, lc);
  const std::vector<Tok> toks = Merge(std::move(lx.toks), today, lx);
  p.bad_amount = lx.bad_amount;
  p.bad_date = lx.bad_date;

  uint64_t bits = 0;
  bool past_due = false, paid_up = false;
  std::optional<Date> first_date, due_date;
  size_t note_at = toks.size(), reason_at = toks.size();
  for (size_t k = 0; k < toks.size(); ++k) {
    const Tok& t = toks[k];
    switch (t.kind) {
      case Kind::kCustId:
        p.customer_id = t.id;
        break;
      case Kind::kInvId:
        p.invoice_id = t.id;
        break;
      case Kind::kPayId:
        p.payment_id = t.id;
        break;
      case Kind::kAmount:
        if (!t.bad) p.amounts.push_back(t.minor);
        break;
      case Kind::kDate:
        if (!t.bad) {
          if (!first_date) first_date = t.date;
          if (!due_date && k > 0 && toks[k - 1].kind == Kind::kWord) {
            const std::string_view prev = toks[k - 1].low;
            if (prev == "due" || prev == "by" || prev == "on" || prev == "until" || prev == "to" ||
                prev == "date") {
              due_date = t.date;
            }
          }
        }
        break;
      case Kind::kWord: {
        bits |= t.bits;
        if (t.low == "past" && k + 1 < toks.size() && IsWord(toks[k + 1], "due")) past_due = true;
        if ((t.low == "paid" && k > 0 &&
             (IsWord(toks[k - 1], "fully") || IsWord(toks[k - 1], "all"))) ||
            (t.low == "paid" && k + 1 < toks.size() && IsWord(toks[k + 1], "up"))) {
          paid_up = true;
        }
        if ((t.bits & kNoteW) && note_at == toks.size()) note_at = k;
        if ((t.low == "reason" || t.low == "because") && reason_at == toks.size()) reason_at = k;
        if (t.low == "due" && k + 1 < toks.size() && IsWord(toks[k + 1], "to") &&
            reason_at == toks.size() && (bits & kRefundW)) {
          reason_at = k + 1;
        }
        // Company-name hint: a capitalised unknown word, or an unknown word after "customer".
        if (t.bits == 0 && MonthNumber(t.low) == 0 && !t.low.empty() &&
            ((text[t.begin] >= 'A' && text[t.begin] <= 'Z') ||
             (k > 0 && toks[k - 1].kind == Kind::kWord &&
              (toks[k - 1].low == "customer" || toks[k - 1].low == "client" ||
               toks[k - 1].low == "company")))) {
          bool letters = false;
          for (char c : t.low) letters |= (c >= 'a' && c <= 'z');
          if (letters) p.names_company = true;
        }
        break;
      }
      default:
        break;
    }
  }
  if (past_due) bits |= kOverdueW;
  if (note_at < toks.size()) {
    // Dates inside the note text ("net 45 terms") belong to the note.
    first_date.reset();
    due_date.reset();
    for (size_t k = 0; k < note_at; ++k) {
      if (toks[k].kind != Kind::kDate || toks[k].bad) continue;
      if (!first_date) first_date = toks[k].date;
      if (k > 0 &&
          (IsWord(toks[k - 1], "due") || IsWord(toks[k - 1], "to") || IsWord(toks[k - 1], "by"))) {
        due_date = toks[k].date;
      }
    }
  }
  p.date = due_date ? due_date : first_date;

  // Payment method: first mention wins.
  for (const Tok& t : toks) {
    if (t.kind != Kind::kWord) continue;
    if (t.bits & kCardW)
      p.payment_method = "credit_card";
    else if (t.bits & kBankW)
      p.payment_method = "bank_transfer";
    else if (t.bits & kPaypalW)
      p.payment_method = "paypal";
    else if (t.bits & kCryptoW)
      p.payment_method = "crypto";
    if (!p.payment_method.empty()) break;
  }

  const bool has_amount = !p.amounts.empty();
  const bool invoice_topic = (bits & kInvoiceW) || !p.invoice_id.empty();
  // "Which customers pay by PayPal?" is about customers, not a payment.
  const bool customers_paying = (bits & kPayVerbW) && (bits & kPluralCustomers) && !has_amount &&
                                !(bits & (kProcessW | kHistoryW | kFailedW | kPaymentW));
  const bool payment_topic =
      ((bits & (kPaymentW | kRefundW | kPayVerbW)) || !p.payment_id.empty()) && !customers_paying;
  p.greeting = (bits & kGreetW) != 0;
  for (const Tok& t : toks) {
    if (IsWord(t, "thanks") || IsWord(t, "thank")) p.thanks = true;
  }

  // Customer filters.
  if (bits & kMonthlyW) p.billing_cycle = "monthly";
  if (bits & kQuarterlyW) p.billing_cycle = "quarterly";
  if (bits & kAnnualW) p.billing_cycle = "annual";
  if (bits & kActiveW) p.customer_status = "active";
  if (bits & kSuspendedW) p.customer_status = "suspended";
  for (size_t k = 0; k < toks.size(); ++k) {
    const Tok& t = toks[k];
    if (t.kind != Kind::kWord) continue;
    if (t.bits & (kOweW | kBalanceW)) {
      bool negated = false;
      for (size_t b = k, steps = 0; b > 0 && steps < 3; --b, ++steps) {
        if (toks[b - 1].kind == Kind::kWord && (toks[b - 1].bits & kNegW)) negated = true;
      }
      if (negated) {
        p.has_outstanding_balance = false;
      } else if ((t.bits & kOweW) && !p.has_outstanding_balance.has_value()) {
        p.has_outstanding_balance = true;
      }
    }
    if ((t.bits & kMinW) && !p.min_balance_minor) {
      for (size_t a = k + 1; a < toks.size() && a <= k + 3; ++a) {
        if (toks[a].kind == Kind::kAmount && !toks[a].bad) {
          p.min_balance_minor = toks[a].minor;
          break;
        }
      }
    }
  }
  if (paid_up) p.has_outstanding_balance = false;

  // Invoice list filters.
  if (bits & kOverdueW) {
    p.invoice_status = "overdue";
  } else if (bits & kPendingW) {
    p.invoice_status = "pending";
  } else if (bits & kCancelledW) {
    p.invoice_status = "cancelled";
  } else if (bits & kUnpaidW) {
    p.unpaid_invoices = true;
  } else if (bits & kPaidW) {
    p.invoice_status = "paid";
  }

  if (note_at < toks.size()) {
    std::string_view q = Quoted(text, toks[note_at].begin);
    p.notes = !q.empty() ? Clip(TrimView(q), 500) : TextAfter(toks, note_at, text, true);
  }
  if (reason_at < toks.size()) {
    std::string_view q = Quoted(text, toks[reason_at].begin);
    p.reason = !q.empty() ? Clip(TrimView(q), 500) : TextAfter(toks, reason_at, text, false);
  }

  // Intent, most specific first.
  const bool listy = (bits & (kListW | kAllW | kWhoW)) != 0;
  if (bits & kRefundW) {
    if (p.payment_id.empty() && listy && (!p.customer_id.empty() || p.names_company)) {
      p.intent = Intent::kPaymentHistory;
    } else {
      p.intent = Intent::kRefundPayment;
    }
  } else if ((bits & kFailedW) && (bits & kPaymentW)) {
    p.intent = Intent::kListFailedPayments;
  } else if ((bits & kMarkW) && (bits & kPaidW)) {
    p.intent = Intent::kMarkInvoicePaid;
  } else if (invoice_topic) {
    if (bits & kCancelW) {
      p.intent = Intent::kCancelInvoice;
    } else if (((bits & kProcessW) && (bits & kPaymentW)) ||
               ((bits & (kPayVerbW | kPaidW)) && has_amount && !listy)) {
      p.intent = Intent::kProcessPayment;
    } else if (!p.invoice_id.empty() && !has_amount && !listy &&
               ((bits & kPayVerbW) || (bits & kPaidW))) {
      p.intent = Intent::kMarkInvoicePaid;
    } else if (!p.invoice_id.empty() && ((bits & kUpdateW) || ((bits & kNoteW) && !listy))) {
      p.intent = Intent::kUpdateInvoice;
    } else if (((bits & (kCreateW | kBillVerbW)) && !(bits & kListW)) ||
               (p.invoice_id.empty() && has_amount && p.date && !listy)) {
      p.intent = Intent::kCreateInvoice;
    } else if (!p.invoice_id.empty()) {
      p.intent = Intent::kGetInvoice;
    } else {
      p.intent = Intent::kListInvoices;
    }
  } else if (payment_topic) {
    if ((bits & kProcessW) || (bits & kPayVerbW) || has_amount) {
      p.intent = Intent::kProcessPayment;
    } else {
      p.intent = Intent::kPaymentHistory;  // asks for the customer when none is named
    }
  } else if ((bits & kBillVerbW) && has_amount) {
    p.intent = Intent::kCreateInvoice;
  } else if (!p.customer_id.empty()) {
    p.intent = Intent::kGetCustomer;
  } else if ((bits & (kCustomerW | kOweW | kDetailsW | kMonthlyW | kQuarterlyW | kAnnualW |
                      kActiveW | kSuspendedW)) ||
             ((bits & kWhoW) && (bits & kPaidW))) {
    const bool plural = (bits & (kPluralCustomers | kAllW | kWhoW)) != 0;
    p.intent = p.names_company && !plural ? Intent::kGetCustomer : Intent::kListCustomers;
  }
  if (p.intent == Intent::kCreateInvoice) p.items = ExtractItems(toks, text);
  return p;
}

// ---------------------------------------------------------------------------------------------
// Deciding the next action

namespace {

std::string Money(int64_t minor) {
  return FormatMoney(minor, Usd());
}
std::string Decimal(int64_t minor) {
  return FormatDecimal(minor, Usd().exponent);
}

nlohmann::json QuantityJson(const std::string& q) {
  if (IsAllDigits(q) && q.size() <= 9) return ParseSmallInt(q);
  return q;
}

std::string JoinMissing(const std::vector<std::string>& parts) {
  std::string out;
  for (size_t k = 0; k < parts.size(); ++k) {
    if (k > 0) out += k + 1 == parts.size() ? " and " : ", ";
    out += parts[k];
  }
  return out;
}

std::string ItemsUnderstood(const std::vector<ParsedLineItem>& items) {
  std::string out;
  for (const ParsedLineItem& it : items) {
    out += "\n- " + it.description + ": " + it.quantity + " \xC3\x97 " + Money(it.unit_price_minor);
  }
  return out;
}

}  // namespace

std::string HelpText() {
  return "I'm the billing assistant. I can:\n"
         "- look up a customer's billing details and outstanding balance (\"Show billing details "
         "for customer CUST-001\"), or list customers by status, billing cycle, payment method or "
         "outstanding balance;\n"
         "- create invoices with line items (\"Create an invoice for CUST-002 for $1500 due "
         "YYYY-MM-DD for Monthly subscription services\"), show, list (e.g. overdue), update, "
         "cancel, or mark invoices as paid;\n"
         "- process payments (\"Process a $750 credit card payment for customer CUST-003\"), "
         "refunds (\"Refund payment PAY-001\"), payment history and failed payments.\n"
         "What would you like to do?";
}

PlannedAction DecideAction(const ParsedRequest& p, const Date& today) {
  PlannedAction a;
  auto call = [&](std::string tool, nlohmann::json args) {
    a.calls.push_back(PlannedCall{std::move(tool), std::move(args)});
  };
  auto lookup = [&]() {
    a.customer_lookup = true;
    call("getCustomerTool", nlohmann::json::object());
  };
  const std::string today_s = today.ToString();
  switch (p.intent) {
    case Intent::kHelp:
      a.reply = p.thanks ? "You're welcome! Anything else? I can look up customers and balances, "
                           "manage invoices, and process payments or refunds."
                : p.greeting ? "Hello! " + HelpText()
                             : HelpText();
      if (!p.greeting && !p.payment_id.empty()) {
        a.reply = "What would you like to do with payment " + p.payment_id +
                  "? I can refund it (in full or in part), or show the payment history of its "
                  "customer if you give me the customer id.";
      }
      return a;

    case Intent::kGetCustomer:
      if (!p.customer_id.empty()) {
        call("getCustomerTool", {{"customerId", p.customer_id}});
      } else {
        lookup();
      }
      return a;

    case Intent::kListCustomers: {
      nlohmann::json args = nlohmann::json::object();
      if (!p.customer_status.empty()) args["status"] = p.customer_status;
      if (!p.billing_cycle.empty()) args["billingCycle"] = p.billing_cycle;
      if (!p.payment_method.empty()) args["paymentMethod"] = p.payment_method;
      if (p.has_outstanding_balance) args["hasOutstandingBalance"] = *p.has_outstanding_balance;
      if (p.min_balance_minor) args["minBalance"] = Decimal(*p.min_balance_minor);
      call("getCustomerTool", std::move(args));
      return a;
    }

    case Intent::kCreateInvoice: {
      if (!p.bad_amount.empty()) {
        a.reply = p.bad_amount +
                  ". Please give the amount like $1500 or $1,500.00. Nothing has been created.";
        return a;
      }
      if (!p.bad_date.empty()) {
        a.reply = "'" + p.bad_date +
                  "' is not a valid calendar date. Please give the due date as "
                  "YYYY-MM-DD (after today, " +
                  today_s + "). Nothing has been created.";
        return a;
      }
      const std::string who = p.customer_id.empty() ? std::string() : " for " + p.customer_id;
      std::vector<std::string> missing;
      if (p.customer_id.empty() && !p.names_company)
        missing.push_back("the customer id (e.g. CUST-001)");
      if (p.items.empty())
        missing.push_back("the amount (or line items with prices, e.g. \"Consulting $500\")");
      if (!p.date) missing.push_back("a due date after today (YYYY-MM-DD)");
      if (p.date && *p.date <= today) {
        a.reply = "I can't create that invoice" + who + ": the due date " + p.date->ToString() +
                  " is not in the future (today is " + today_s +
                  "), and new invoices need a due date after today. Nothing was created.";
        if (!p.items.empty()) a.reply += "\nLine items I understood:" + ItemsUnderstood(p.items);
        if (!missing.empty()) a.reply += "\nI would also need " + JoinMissing(missing) + ".";
        a.reply += "\nTell me a new due date (YYYY-MM-DD) and I'll create it.";
        return a;
      }
      if (!missing.empty()) {
        a.reply = "To create an invoice" + who + " I still need " + JoinMissing(missing) +
                  ". Nothing has been created yet.";
        if (!p.items.empty()) a.reply += "\nLine items so far:" + ItemsUnderstood(p.items);
        return a;
      }
      if (p.customer_id.empty()) {
        lookup();
        return a;
      }
      nlohmann::json items = nlohmann::json::array();
      for (const ParsedLineItem& it : p.items) {
        items.push_back({{"description", it.description},
                         {"quantity", QuantityJson(it.quantity)},
                         {"unitPrice", Decimal(it.unit_price_minor)}});
      }
      nlohmann::json args = {{"action", "create"},
                             {"customerId", p.customer_id},
                             {"items", std::move(items)},
                             {"dueDate", p.date->ToString()}};
      if (!p.notes.empty()) args["notes"] = p.notes;
      call("manageInvoicesTool", std::move(args));
      return a;
    }

    case Intent::kGetInvoice:
      call("manageInvoicesTool", {{"action", "get"}, {"invoiceId", p.invoice_id}});
      return a;

    case Intent::kListInvoices: {
      if (p.customer_id.empty() && p.names_company) {
        lookup();
        return a;
      }
      auto list = [&](const std::string& status) {
        nlohmann::json args = {{"action", "list"}};
        if (!status.empty()) args["status"] = status;
        if (!p.customer_id.empty()) args["customerId"] = p.customer_id;
        call("manageInvoicesTool", std::move(args));
      };
      if (p.unpaid_invoices) {
        list("pending");
        list("overdue");
      } else {
        list(p.invoice_status);
      }
      return a;
    }

    case Intent::kUpdateInvoice: {
      if (p.invoice_id.empty()) {
        a.reply =
            "Which invoice should I update? Please give its number (e.g. INV-2025-001). Nothing "
            "has been changed.";
        return a;
      }
      if (!p.bad_date.empty()) {
        a.reply = "'" + p.bad_date +
                  "' is not a valid calendar date. Please give the new due date as YYYY-MM-DD. "
                  "Nothing has been changed.";
        return a;
      }
      if (p.date && *p.date <= today) {
        a.reply = "I can't move the due date of " + p.invoice_id + " to " + p.date->ToString() +
                  ": it is not in the future (today is " + today_s + "). Nothing has been changed.";
        return a;
      }
      if (!p.date && p.notes.empty()) {
        a.reply = "What should I change on invoice " + p.invoice_id +
                  "? I can update its due date (YYYY-MM-DD, after today) or its notes. Nothing has "
                  "been changed.";
        return a;
      }
      nlohmann::json args = {{"action", "update"}, {"invoiceId", p.invoice_id}};
      if (p.date) args["dueDate"] = p.date->ToString();
      if (!p.notes.empty()) args["notes"] = p.notes;
      call("manageInvoicesTool", std::move(args));
      return a;
    }

    case Intent::kMarkInvoicePaid: {
      if (p.invoice_id.empty()) {
        a.reply =
            "Which invoice should I mark as paid? Please give its number (e.g. INV-2025-001). "
            "Nothing has been changed.";
        return a;
      }
      nlohmann::json args = {{"action", "mark_paid"}, {"invoiceId", p.invoice_id}};
      if (!p.payment_method.empty()) args["paymentMethod"] = p.payment_method;
      call("manageInvoicesTool", std::move(args));
      return a;
    }

    case Intent::kCancelInvoice:
      if (p.invoice_id.empty()) {
        a.reply =
            "Which invoice should I cancel? Please give its number (e.g. INV-2025-001). Nothing "
            "has been changed.";
        return a;
      }
      call("manageInvoicesTool", {{"action", "cancel"}, {"invoiceId", p.invoice_id}});
      return a;

    case Intent::kProcessPayment: {
      if (!p.bad_amount.empty()) {
        a.reply = p.bad_amount +
                  ". Please give the amount like $750 or $1,500.00. No payment has been processed.";
        return a;
      }
      const bool have_payer = !p.customer_id.empty() || !p.invoice_id.empty();
      std::vector<std::string> missing;
      if (p.amounts.empty()) missing.push_back("the amount (e.g. $750)");
      if (!have_payer && !p.names_company) missing.push_back("the customer id (e.g. CUST-001)");
      if (!missing.empty()) {
        const std::string who = !p.customer_id.empty()  ? " for " + p.customer_id
                                : !p.invoice_id.empty() ? " for invoice " + p.invoice_id
                                                        : std::string();
        a.reply = "To process a payment" + who + " I need " + JoinMissing(missing) + ".";
        if (p.payment_method.empty()) {
          a.reply +=
              " You can also name the payment method (credit card, bank transfer, PayPal "
              "or crypto); otherwise the customer's default method is used.";
        }
        a.reply += " No payment has been processed.";
        return a;
      }
      if (!have_payer) {
        lookup();
        return a;
      }
      nlohmann::json args = {{"action", "process"}};
      if (!p.customer_id.empty()) args["customerId"] = p.customer_id;
      args["amount"] = Decimal(p.amounts.front());
      if (!p.payment_method.empty()) args["paymentMethod"] = p.payment_method;
      if (!p.invoice_id.empty()) args["invoiceId"] = p.invoice_id;
      call("processPaymentTool", std::move(args));
      return a;
    }

    case Intent::kRefundPayment: {
      if (p.payment_id.empty()) {
        a.reply =
            "Which payment should I refund? Please give the payment id (e.g. PAY-001); "
            "the payment history of a customer lists them. Nothing has been refunded.";
        return a;
      }
      if (!p.bad_amount.empty()) {
        a.reply = p.bad_amount + ". Nothing has been refunded.";
        return a;
      }
      nlohmann::json args = {{"action", "refund"}, {"paymentId", p.payment_id}};
      if (!p.amounts.empty()) args["amount"] = Decimal(p.amounts.front());
      if (!p.reason.empty()) args["reason"] = p.reason;
      call("processPaymentTool", std::move(args));
      return a;
    }

    case Intent::kPaymentHistory:
      if (!p.customer_id.empty()) {
        call("processPaymentTool", {{"action", "history"}, {"customerId", p.customer_id}});
      } else if (p.names_company) {
        lookup();
      } else {
        a.reply =
            "Whose payment history should I show? Please give the customer id (e.g. CUST-001). "
            "I can also list all failed payments.";
      }
      return a;

    case Intent::kListFailedPayments: {
      // One customer's failed payments when the request names one, else everyone's.
      if (p.customer_id.empty() && p.names_company) {
        lookup();
        return a;
      }
      nlohmann::json args = {{"action", "list_failed"}};
      if (!p.customer_id.empty()) args["customerId"] = p.customer_id;
      call("processPaymentTool", std::move(args));
      return a;
    }
  }
  a.reply = HelpText();
  return a;
}

}  // namespace billing
