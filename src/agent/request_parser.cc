#include "agent/request_parser.h"

#include <algorithm>

#include "agent/parse/customers.h"
#include "agent/parse/invoice_lifecycle.h"
#include "agent/parse/lexer.h"
#include "agent/parse/line_items.h"
#include "agent/parse/reports.h"
#include "agent/parse/subscriptions.h"
#include "agent/parse/text.h"
#include "agent/parse/vocabulary.h"

namespace billing {
namespace {

using parse::Clip, parse::IsAllDigits, parse::IsPunct, parse::IsWord, parse::Kind,
    parse::kMaxTextBytes, parse::Lexed, parse::Lower, parse::MonthNumber, parse::PadSeq, parse::Tok,
    parse::TrimView;
// Word bits (parse/vocabulary.h) that the slot and intent rules test.
using parse::kActiveW, parse::kAllW, parse::kAnnualW, parse::kBalanceW, parse::kBankW,
    parse::kBillVerbW, parse::kCancelledW, parse::kCancelW, parse::kCardW, parse::kCreateW,
    parse::kCryptoW, parse::kCustomerW, parse::kDetailsW, parse::kFailedW, parse::kGreetW,
    parse::kHistoryW, parse::kInvoiceW, parse::kListW, parse::kMarkW, parse::kMinW,
    parse::kMonthlyW, parse::kNegW, parse::kNoteW, parse::kOverdueW, parse::kOweW, parse::kPaidW,
    parse::kPaymentW, parse::kPaypalW, parse::kPayVerbW, parse::kPendingW, parse::kPluralCustomers,
    parse::kProcessW, parse::kQuarterlyW, parse::kRefundW, parse::kSuspendedW, parse::kUnpaidW,
    parse::kUpdateW, parse::kWhoW;

// ---------------------------------------------------------------------------------------------
// Free-text slots: notes and reasons

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

// Free text after the keyword token at `k`, skipping connective words: notes and reasons.
std::string TextAfter(const std::vector<Tok>& toks, size_t k, std::string_view text,
                      bool skip_connectives) {
  size_t j = k + 1;
  for (; j < toks.size(); ++j) {
    const Tok& t = toks[j];
    if (t.kind == Kind::kPunct && (t.low == ":" || t.low == ",")) continue;
    if (!skip_connectives) {
      if (t.kind == Kind::kWord && (t.low == "is" || t.low == "being")) continue;
      if (t.kind == Kind::kWord && t.low == "of" && toks[k].low == "because")
        continue;  // "because of"
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

// A refund reason given without the word "reason": the text after the payment id and a comma,
// a dash or an opening bracket ("Refund PAY-001, duplicate charge", "refund PAY-001 - customer
// cancelled", "refund $50 from PAY-001 (goodwill gesture)"). "" when there is none.
std::string ReasonAfterPaymentId(const std::vector<Tok>& toks, size_t id_at,
                                 std::string_view text) {
  size_t j = id_at + 1;
  bool marked = false;
  if (j < toks.size() && (IsPunct(toks[j], ',') || IsPunct(toks[j], '('))) {
    marked = true;
    ++j;
  }
  if (j >= toks.size()) return {};
  if (!marked) {
    // A dash between the id and the next word (the lexer drops lone dashes).
    const std::string_view gap = text.substr(toks[id_at].end, toks[j].begin - toks[id_at].end);
    marked = gap.find('-') != std::string_view::npos ||
             gap.find("\xE2\x80\x94") != std::string_view::npos;
  }
  if (!marked) return {};
  std::string_view rest =
      text.substr(toks[j].begin, std::min(text.size(), kMaxTextBytes) - toks[j].begin);
  const size_t close = rest.find(')');
  if (close != std::string_view::npos) rest = rest.substr(0, close);
  std::string reason = Clip(TrimView(rest), 500);
  while (!reason.empty() && (reason.back() == '.' || reason.back() == '!')) reason.pop_back();
  return reason;
}

// "collect", "received", "revenue": money that came in.
bool CollectWord(const std::vector<Tok>& toks) {
  for (const Tok& t : toks) {
    if (t.kind != Kind::kWord) continue;
    if (t.low == "collect" || t.low == "collected" || t.low == "received" || t.low == "revenue" ||
        t.low == "income" || t.low == "earned" || t.low == "take" || t.low == "took" ||
        t.low == "bring" || t.low == "brought") {
      return true;
    }
  }
  return false;
}

// "this month", "last month", "this week", "last week", "this quarter", "last quarter", "this
// year", "last year": the period's
// first and last day (a period that has not ended ends today). "today"/"yesterday" with a
// collect word are one-day periods.
void DetectPeriod(const std::vector<Tok>& toks, const Date& today, ParsedRequest& p) {
  const int64_t day = today.DaysSinceEpoch();
  const int weekday = int((day % 7 + 7 + 3) % 7);  // Monday = 0
  for (size_t k = 0; k + 1 < toks.size(); ++k) {
    const bool this_ = IsWord(toks[k], "this"),
               last = IsWord(toks[k], "last") || IsWord(toks[k], "previous");
    if (!this_ && !last) continue;
    const std::string_view unit = toks[k + 1].kind == Kind::kWord ? toks[k + 1].low : "";
    Date from, to;
    if (unit == "month") {
      const Date first{today.year, today.month, 1};
      if (this_) {
        from = first;
        to = today;
      } else {
        to = Date::FromDaysSinceEpoch(first.DaysSinceEpoch() - 1);
        from = Date{to.year, to.month, 1};
      }
    } else if (unit == "week") {
      const int64_t monday = day - weekday;
      from = Date::FromDaysSinceEpoch(this_ ? monday : monday - 7);
      to = this_ ? today : Date::FromDaysSinceEpoch(monday - 1);
    } else if (unit == "year") {
      from = Date{this_ ? today.year : today.year - 1, 1, 1};
      to = this_ ? today : Date{today.year - 1, 12, 31};
    } else if (unit == "quarter") {
      const Date first{today.year, (today.month - 1) / 3 * 3 + 1, 1};
      if (this_) {
        from = first;
        to = today;
      } else {
        to = Date::FromDaysSinceEpoch(first.DaysSinceEpoch() - 1);
        from = Date{to.year, (to.month - 1) / 3 * 3 + 1, 1};
      }
    } else {
      continue;
    }
    p.period_from = from;
    p.period_to = to;
    return;
  }
  if (p.date && (*p.date == today || p.date->DaysSinceEpoch() == day - 1) && CollectWord(toks)) {
    p.period_from = p.period_to = *p.date;
  }
}

// Questions asked of a list (see Question): rankings, counts, yes/no, totals.
void DetectQuestion(const std::vector<Tok>& toks, ParsedRequest& p) {
  const bool list = p.intent == Intent::kListCustomers || p.intent == Intent::kListInvoices ||
                    p.intent == Intent::kListFailedPayments || p.intent == Intent::kPaymentHistory;
  if (!list) return;
  bool rank = false, how_many = false, total = false;
  int top_n = 0;
  for (size_t k = 0; k < toks.size(); ++k) {
    const Tok& t = toks[k];
    if (t.kind != Kind::kWord) continue;
    if (t.low == "most" || t.low == "biggest" || t.low == "largest" || t.low == "highest" ||
        t.low == "top" || t.low == "greatest") {
      rank = true;
      if (t.low == "top" && k + 1 < toks.size() && toks[k + 1].kind == Kind::kNumber &&
          toks[k + 1].num >= 1 && toks[k + 1].num <= 100) {
        top_n = toks[k + 1].num;
      }
    }
    if (t.low == "how" && k + 1 < toks.size() && IsWord(toks[k + 1], "many")) how_many = true;
    if (t.low == "total" ||
        (t.low == "how" && k + 1 < toks.size() && IsWord(toks[k + 1], "much"))) {
      total = true;
    }
  }
  const Tok* first = nullptr;
  for (const Tok& t : toks) {
    if (t.kind == Kind::kWord) {
      first = &t;
      break;
    }
  }
  const bool yes_no =
      first != nullptr && (first->low == "does" || first->low == "do" || first->low == "did" ||
                           first->low == "has" || first->low == "have" || first->low == "is" ||
                           first->low == "are" || first->low == "any" || first->low == "were");
  const bool rankable = p.intent == Intent::kListCustomers || p.intent == Intent::kListInvoices;
  if (rank && rankable) {
    p.question = Question::kRank;
    p.top_n = top_n > 0 ? top_n : 1;
  } else if (how_many) {
    p.question = Question::kCount;
  } else if (yes_no) {
    p.question = Question::kYesNo;
  } else if (total && p.intent == Intent::kListCustomers) {
    p.question = Question::kTotal;
  }
}

// Where text that poses as another speaker begins in `lc` (lowercased); npos when nowhere.
size_t InjectionStart(std::string_view lc) {
  static constexpr std::string_view kMarkers[] = {"system:",
                                                  "assistant:",
                                                  "<system>",
                                                  "</user>",
                                                  "<|",
                                                  "note to the ai",
                                                  "note to ai",
                                                  "ignore previous instructions",
                                                  "ignore all previous",
                                                  "ignore the previous",
                                                  "disregard previous",
                                                  "developer:"};
  size_t first = std::string_view::npos;
  for (std::string_view m : kMarkers) first = std::min(first, lc.find(m));
  if (first == std::string_view::npos) return first;
  // An opening bracket just before the marker goes with it: "(note to the AI: ...)".
  while (first > 0 && (lc[first - 1] == '(' || lc[first - 1] == '[' || lc[first - 1] == ' ')) {
    --first;
  }
  return first;
}

// A payment method the user names that we do not take ("by check", "cash payment", "Venmo"),
// as written; "" when none.
std::string UnsupportedMethod(const std::vector<Tok>& toks) {
  auto word = [&](size_t k, std::string_view w) { return k < toks.size() && IsWord(toks[k], w); };
  for (size_t k = 0; k < toks.size(); ++k) {
    if (toks[k].kind != Kind::kWord) continue;
    const std::string_view w = toks[k].low;
    const bool by = k > 0 && (word(k - 1, "by") || word(k - 1, "via") || word(k - 1, "with") ||
                              word(k - 1, "in") || word(k - 1, "using") || word(k - 1, "a") ||
                              word(k - 1, "paid"));
    if (w == "cheque" || w == "venmo" || w == "zelle" || w == "cashapp" || w == "giro") {
      return std::string(w);
    }
    if ((w == "check" || w == "cash") && (by || word(k + 1, "payment"))) return std::string(w);
    if (w == "money" && word(k + 1, "order")) return "money order";
    if ((w == "apple" || w == "google" || w == "samsung") && word(k + 1, "pay")) {
      return std::string(w) + " pay";
    }
  }
  return {};
}

}  // namespace

std::vector<std::string> SplitRequests(std::string_view text) {
  if (text.size() > kMaxTextBytes) text = text.substr(0, kMaxTextBytes);
  std::string lc(text.size(), ' ');
  std::transform(text.begin(), text.end(), lc.begin(), Lower);
  if (const size_t cut = InjectionStart(lc); cut < lc.size()) {
    text = text.substr(0, cut);
    lc.resize(cut);
  }
  static constexpr std::string_view kJoins[] = {" and then ", " and also ", " and ",
                                                " then ",     ". ",         "; "};
  static constexpr std::string_view kVerbs[] = {
      "show",   "list", "give", "get",  "tell", "process", "create", "refund",  "mark", "cancel",
      "charge", "pay",  "send", "what", "bill", "invoice", "record", "display", "look", "find"};
  // A note's text or a quotation is data: never split inside it.
  const size_t note = std::min(lc.find("note"), lc.find('"'));
  for (size_t at = 0; at < lc.size() && at < note; ++at) {
    for (std::string_view join : kJoins) {
      if (lc.compare(at, join.size(), join) != 0) continue;
      size_t next = at + join.size();
      while (next < lc.size() && lc[next] == ' ') ++next;
      if (lc.compare(next, 5, "also ") == 0) next += 5;
      if (lc.compare(next, 4, "can ") == 0) return {std::string(text)};  // "and can you ..." stays
      for (std::string_view verb : kVerbs) {
        const size_t end = next + verb.size();
        if (lc.compare(next, verb.size(), verb) != 0 ||
            (end < lc.size() && lc[end] >= 'a' && lc[end] <= 'z')) {
          continue;
        }
        return {std::string(TrimView(text.substr(0, at))),
                std::string(TrimView(text.substr(next)))};
      }
    }
  }
  return {std::string(text)};
}

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
    case Intent::kPaymentsInPeriod:
      return "payments_in_period";
    case Intent::kListPlans:
      return "list_plans";
    case Intent::kCreatePlan:
      return "create_plan";
    case Intent::kAgingReport:
      return "aging_report";
    case Intent::kRevenueReport:
      return "revenue_report";
    case Intent::kMrrReport:
      return "mrr_report";
    case Intent::kPaymentSuccessReport:
      return "payment_success_report";
    case Intent::kLtvReport:
      return "ltv_report";
    case Intent::kForecastReport:
      return "forecast_report";
    case Intent::kFinalizeInvoice:
      return "finalize_invoice";
    case Intent::kCreditNote:
      return "credit_note";
    case Intent::kApplyCoupon:
      return "apply_coupon";
    case Intent::kListCoupons:
      return "list_coupons";
    case Intent::kListDunning:
      return "list_dunning";
    case Intent::kCreateSubscription:
      return "create_subscription";
    case Intent::kGetSubscription:
      return "get_subscription";
    case Intent::kListSubscriptions:
      return "list_subscriptions";
    case Intent::kSubscriptionRenewals:
      return "subscription_renewals";
    case Intent::kChangeSubscription:
      return "change_subscription";
    case Intent::kCancelSubscription:
      return "cancel_subscription";
    case Intent::kCreateCustomer:
      return "create_customer";
    case Intent::kUpdateCustomer:
      return "update_customer";
    case Intent::kSuspendCustomer:
      return "suspend_customer";
    case Intent::kReinstateCustomer:
      return "reinstate_customer";
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
  // Text that poses as another speaker (a pasted "SYSTEM:" line, "</user>", a note to the AI)
  // is not the user's request: the request ends where it begins.
  if (const size_t cut = InjectionStart(lc); cut < lc.size()) {
    text = text.substr(0, cut);
    lc.resize(cut);
  }
  Lexed lx = parse::Lex(text, lc);
  const std::vector<Tok> toks = parse::Merge(std::move(lx.toks), today, lx);
  p.bad_amount = lx.bad_amount;
  p.bad_date = lx.bad_date;
  p.nonpositive_amount = lx.nonpositive_amount;

  uint64_t bits = 0;
  bool past_due = false, paid_up = false, record_word = false;
  std::optional<Date> first_date, due_date;
  size_t note_at = toks.size(), reason_at = toks.size(), payment_id_at = toks.size();
  // The text of a note ("note: ...", note "...") is data, not a request: it adds no intent
  // words, ids, amounts or dates.
  size_t note_text_from = toks.size();
  for (size_t k = 0; k < toks.size(); ++k) {
    if (toks[k].kind != Kind::kWord || !(toks[k].bits & kNoteW)) continue;
    const size_t quote = text.find('"', toks[k].end);
    for (size_t j = k + 1; j < toks.size() && j <= k + 8; ++j) {
      if (IsPunct(toks[j], ':') || (quote != std::string_view::npos && toks[j].begin > quote)) {
        note_text_from = IsPunct(toks[j], ':') ? j + 1 : j;
        break;
      }
    }
    break;
  }
  for (size_t k = 0; k < toks.size(); ++k) {
    const Tok& t = toks[k];
    if (k >= note_text_from) break;
    switch (t.kind) {
      case Kind::kCustId:
        p.customer_id = t.id;
        break;
      case Kind::kInvId:
        p.invoice_id = t.id;
        break;
      case Kind::kPayId:
        p.payment_id = t.id;
        payment_id_at = k;
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
        if (t.low == "give" && k + 1 < toks.size() && IsWord(toks[k + 1], "back")) bits |= kRefundW;
        if (t.low == "record" || t.low == "recorded") record_word = true;
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
      // The same lead words as above, and the first one wins, as without a note.
      if (!due_date && k > 0 &&
          (IsWord(toks[k - 1], "due") || IsWord(toks[k - 1], "to") || IsWord(toks[k - 1], "by") ||
           IsWord(toks[k - 1], "on") || IsWord(toks[k - 1], "until") ||
           IsWord(toks[k - 1], "date"))) {
        due_date = toks[k].date;
      }
    }
  }
  p.date = due_date ? due_date : first_date;

  p.unsupported_method = UnsupportedMethod(toks);
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

  const bool has_amount = !p.amounts.empty() || !p.nonpositive_amount.empty();
  const bool invoice_topic = (bits & kInvoiceW) || !p.invoice_id.empty();
  // "Which customers pay by PayPal?" is about customers, not a payment.
  const bool customers_paying = (bits & kPayVerbW) && (bits & kPluralCustomers) && !has_amount &&
                                !(bits & (kProcessW | kHistoryW | kFailedW | kPaymentW));
  // "CUST-002 paid us $300", "take $20 from CUST-003", "what has CUST-003 paid so far?"
  const bool customer_paying =
      !p.customer_id.empty() && p.invoice_id.empty() &&
      (((bits & (kProcessW | kPaidW)) && has_amount) || ((bits & kPaidW) && !has_amount));
  const bool payment_topic =
      ((bits & (kPaymentW | kRefundW | kPayVerbW)) || !p.payment_id.empty() || customer_paying) &&
      !customers_paying;
  bool plural_payments = false;
  for (const Tok& t : toks) plural_payments |= IsWord(t, "payments") || IsWord(t, "transactions");
  p.greeting = (bits & kGreetW) != 0;
  for (const Tok& t : toks) {
    if (IsWord(t, "thanks") || IsWord(t, "thank")) p.thanks = true;
  }

  // A currency named by its code or its name (only these: a three-letter word such as "all" or
  // "top" is also an ISO code, so codes are not guessed from any word).
  for (const Tok& t : toks) {
    if (IsWord(t, "eur") || IsWord(t, "euro") || IsWord(t, "euros")) {
      p.currency = "EUR";
    } else if (IsWord(t, "jpy") || IsWord(t, "yen")) {
      p.currency = "JPY";
    } else if (IsWord(t, "gbp")) {
      p.currency = "GBP";
    } else if (IsWord(t, "usd")) {
      p.currency = "USD";
    }
    if (!p.currency.empty()) break;
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
    if (p.reason.rfind("that ", 0) == 0) p.reason.erase(0, 5);  // "the reason that ..."
  } else if (payment_id_at < toks.size() && (bits & kRefundW)) {
    p.reason = ReasonAfterPaymentId(toks, payment_id_at, text);
  }

  // A coupon named: its keyword and code are not line items, ids or words of the request.
  const auto [coupon_code, coupon_at] = parse::CouponCode(toks, text);
  p.coupon_code = coupon_code;
  // The reports ("aging report", "revenue last quarter"), with the period they name.
  if (parse::ParseReportRequest(toks, p)) {
    DetectPeriod(toks, today, p);
    return p;
  }
  // Drafts and credit notes: before refunds ("a credit note ... and refund it") and notes.
  if (parse::ParseInvoiceLifecycle(toks, bits, (bits & (kListW | kAllW | kWhoW)) != 0, p)) {
    DetectQuestion(toks, p);
    return p;
  }

  // "Who is in dunning?": the customers whose overdue invoices the billing run is chasing.
  if (parse::AsksForDunning(toks)) {
    p.intent = Intent::kListDunning;
    return p;
  }
  // Creating, changing, suspending or reinstating a customer (not an invoice, payment or
  // subscription of one).
  if (parse::ParseCustomerManagement(
          toks, text, bits,
          invoice_topic || !p.payment_id.empty() || !p.subscription_id.empty() ||
              (bits & (kRefundW | parse::kPlanW | parse::kSubscriptionW)),
          p)) {
    return p;
  }
  // Plans and subscriptions, unless the request is about an invoice or a payment.
  if (parse::ParseSubscriptionRequest(toks, text, today, bits,
                                      invoice_topic || payment_topic || (bits & kRefundW), p)) {
    return p;
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
  } else if (((bits & kMarkW) || record_word) && (bits & kPaidW)) {
    // "Mark ... as paid", "record ... as paid": money already received.
    p.intent = Intent::kMarkInvoicePaid;
  } else if (invoice_topic) {
    // "Create an invoice ... to be paid by wire" is an invoice, whatever it says about paying.
    const bool creating = (bits & kCreateW) && p.invoice_id.empty() && !listy;
    if (bits & kCancelW) {
      p.intent = Intent::kCancelInvoice;
    } else if (creating) {
      p.intent = Intent::kCreateInvoice;
    } else if (((bits & kProcessW) && (bits & kPaymentW)) ||
               ((bits & (kPayVerbW | kPaidW)) && has_amount && !listy)) {
      p.intent = Intent::kProcessPayment;
    } else if (!p.invoice_id.empty() && !has_amount && !listy &&
               ((bits & kPayVerbW) || (bits & (kProcessW | kPaymentW)))) {
      // "Pay invoice INV-...", "charge INV-... to the card": charge what is due on it.
      p.intent = Intent::kProcessPayment;
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
    // "payments made by CUST-004" and "what has CUST-003 paid" ask for the history.
    if (has_amount || (((bits & kProcessW) || (bits & kPayVerbW)) && !plural_payments)) {
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
  DetectPeriod(toks, today, p);
  if (p.period_from && !has_amount && p.payment_id.empty() && p.invoice_id.empty() &&
      (p.intent == Intent::kHelp || p.intent == Intent::kPaymentHistory ||
       p.intent == Intent::kProcessPayment || p.intent == Intent::kListCustomers ||
       p.intent == Intent::kGetCustomer) &&
      (CollectWord(toks) || (bits & (kPaymentW | kPaidW | kPayVerbW)))) {
    p.intent = Intent::kPaymentsInPeriod;  // "how much did we collect this month"
  }
  if (p.intent == Intent::kCreateInvoice) {
    p.draft = parse::AsksForDraft(toks);
    // A note ("... with note: thanks") is not a line: items come from the text before it.
    const size_t items_end = std::min({note_at, coupon_at, toks.size()});
    const std::vector<Tok> before(toks.begin(), toks.begin() + std::ptrdiff_t(items_end));
    p.items = parse::ExtractItems(before, text);
  }
  DetectQuestion(toks, p);
  return p;
}

}  // namespace billing
