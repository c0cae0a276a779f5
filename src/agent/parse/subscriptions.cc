// Plans and subscriptions in a request; see subscriptions.h.
#include "agent/parse/subscriptions.h"

#include <string>

#include "agent/parse/text.h"
#include "agent/parse/vocabulary.h"
#include "money/money.h"

namespace billing::parse {
namespace {

constexpr size_t kMaxPlanWords = 3;

bool IsArticle(std::string_view w) {
  return w == "the" || w == "a" || w == "an" || w == "our" || w == "their" || w == "its" ||
         w == "to" || w == "on" || w == "onto" || w == "new";
}

// A word that can be part of a plan's name as written: a plan word ("premium", "basic"), an
// interval ("annual", "monthly", "yearly"), or a capitalised word (a plan named "Gold").
bool PlanNameWord(const Tok& t, std::string_view text) {
  if (t.kind != Kind::kWord || IsArticle(t.low)) return false;
  if ((t.bits & (kPlanW | kMonthlyW | kQuarterlyW | kAnnualW)) != 0) return true;
  return t.bits == 0 && text[t.begin] >= 'A' && text[t.begin] <= 'Z';
}

// The plan as written: the words before "plan" ("the Premium Plan", "the annual plan"), else a
// run of plan words ("to premium", "on Premium Annual"). "" when the request names none.
std::string PlanPhrase(const std::vector<Tok>& toks, std::string_view text) {
  for (size_t k = 0; k < toks.size(); ++k) {
    if (!IsWord(toks[k], "plan") && !IsWord(toks[k], "tier")) continue;
    size_t first = k;
    while (first > 0 && k - first < kMaxPlanWords && PlanNameWord(toks[first - 1], text)) --first;
    if (first == k) continue;  // "the plan", "plans": no name
    return std::string(text.substr(toks[first].begin, toks[k].end - toks[first].begin));
  }
  for (size_t k = 0; k < toks.size(); ++k) {
    if (toks[k].kind != Kind::kWord || (toks[k].bits & kPlanW) == 0 || IsWord(toks[k], "plans")) {
      continue;
    }
    size_t last = k;
    while (last + 1 < toks.size() && last - k + 1 < kMaxPlanWords &&
           PlanNameWord(toks[last + 1], text)) {
      ++last;
    }
    return std::string(text.substr(toks[k].begin, toks[last].end - toks[k].begin));
  }
  return {};
}

// "at the end of the period", "at period end", "when it ends", "stop renewing", "not renew".
bool AtPeriodEnd(const std::vector<Tok>& toks) {
  for (size_t k = 0; k < toks.size(); ++k) {
    if (IsWord(toks[k], "end") || IsWord(toks[k], "ends") || IsWord(toks[k], "ending")) {
      return true;
    }
    if ((toks[k].bits & kRenewW) && k > 0 &&
        (IsWord(toks[k - 1], "not") || IsWord(toks[k - 1], "stop") ||
         IsWord(toks[k - 1], "don't") || IsWord(toks[k - 1], "t"))) {
      return true;
    }
  }
  return false;
}

// Renewals within: "this week" (to Sunday), "this month" (to its last day), "next N days" and
// "in N days" (a date), "today"; 7 days otherwise.
int RenewalDays(const std::vector<Tok>& toks, const Date& today, const ParsedRequest& p) {
  const int64_t day = today.DaysSinceEpoch();
  for (size_t k = 0; k + 1 < toks.size(); ++k) {
    if (!IsWord(toks[k], "this")) continue;
    if (IsWord(toks[k + 1], "week")) {
      const int weekday = int((day % 7 + 7 + 3) % 7);  // Monday = 0
      return 6 - weekday;
    }
    if (IsWord(toks[k + 1], "month")) {
      const int last = today.month == 12
                           ? 31
                           : int(Date{today.year, today.month + 1, 1}.DaysSinceEpoch() -
                                 Date{today.year, today.month, 1}.DaysSinceEpoch());
      return last - today.day;
    }
  }
  for (size_t k = 0; k + 2 < toks.size(); ++k) {
    if (IsWord(toks[k], "next") && toks[k + 1].kind == Kind::kNumber && toks[k + 1].num > 0 &&
        toks[k + 1].num <= 366 && IsWord(toks[k + 2], "days")) {
      return toks[k + 1].num;
    }
  }
  if (p.date && *p.date >= today && p.date->DaysSinceEpoch() - day <= 366) {
    return int(p.date->DaysSinceEpoch() - day);
  }
  if (HasWord(toks, "today")) return 0;
  return 7;
}

bool StopsPlanName(const Tok& t) {
  if (t.kind != Kind::kWord || (t.bits & (kMonthlyW | kQuarterlyW | kAnnualW)) != 0) return true;
  for (std::string_view w : {"at",   "for",    "with",  "priced", "costing", "costs", "in",
                             "per",  "billed", "every", "each",   "charged", "and",   "which",
                             "that", "of",     "a",     "an",     "to",      "price", "eur",
                             "euro", "euros",  "usd",   "gbp",    "jpy",     "yen",   "dollars"}) {
    if (t.low == w) return true;
  }
  return false;
}

// The name of a plan to create: quoted ("Pro Annual"), else the words after "called" or
// "named", else the capitalised words before "plan" ("a Gold plan" -> "Gold plan").
std::string NewPlanName(const std::vector<Tok>& toks, std::string_view text) {
  if (const size_t a = text.find('"'); a != std::string_view::npos) {
    if (const size_t b = text.find('"', a + 1); b != std::string_view::npos && b > a + 1) {
      return Clip(TrimView(text.substr(a + 1, b - a - 1)), 100);
    }
  }
  for (size_t k = 0; k + 1 < toks.size(); ++k) {
    if (!IsWord(toks[k], "called") && !IsWord(toks[k], "named")) continue;
    size_t last = k + 1;
    while (last < toks.size() && last - k <= kMaxPlanWords + 2 && !StopsPlanName(toks[last])) {
      ++last;
    }
    if (last == k + 1) return {};
    return Clip(TrimView(text.substr(toks[k + 1].begin, toks[last - 1].end - toks[k + 1].begin)),
                100);
  }
  for (size_t k = 1; k < toks.size(); ++k) {
    if (!IsWord(toks[k], "plan")) continue;
    size_t first = k;
    while (first > 0 && k - first < kMaxPlanWords && toks[first - 1].kind == Kind::kWord &&
           !IsArticle(toks[first - 1].low) && text[toks[first - 1].begin] >= 'A' &&
           text[toks[first - 1].begin] <= 'Z') {
      --first;
    }
    // Only after "a", "an" or "new": "the Premium plan" is an existing one.
    const bool indefinite =
        first > 0 && (IsWord(toks[first - 1], "a") || IsWord(toks[first - 1], "an") ||
                      IsWord(toks[first - 1], "new"));
    if (first < k && indefinite) {
      return std::string(text.substr(toks[first].begin, toks[k].end - toks[first].begin));
    }
  }
  return {};
}

bool IsCurrencyWord(const Tok& t) {
  for (std::string_view w : {"eur", "euro", "euros", "usd", "gbp", "jpy", "yen"}) {
    if (IsWord(t, w)) return true;
  }
  return false;
}

// The price of a plan to create as decimal text: the first amount ("$79" -> "79", "$79.50" ->
// "79.50"), or a number next to a currency word ("EUR 79", "990 euros"); "" when none.
std::string NewPlanPrice(const std::vector<Tok>& toks) {
  for (const Tok& t : toks) {
    if (t.kind != Kind::kAmount || t.bad) continue;
    return t.minor % 100 == 0 ? std::to_string(t.minor / 100) : FormatDecimal(t.minor, 2);
  }
  for (size_t k = 0; k < toks.size(); ++k) {
    if (toks[k].kind != Kind::kNumber || toks[k].negative || toks[k].hash) continue;
    if ((k > 0 && IsCurrencyWord(toks[k - 1])) ||
        (k + 1 < toks.size() && IsCurrencyWord(toks[k + 1]))) {
      return toks[k].id;
    }
  }
  return {};
}

// "per quarter", "a year", "every month", "each quarter": the interval; "" when none.
std::string IntervalAfterPer(const std::vector<Tok>& toks) {
  for (size_t k = 0; k + 1 < toks.size(); ++k) {
    if (!IsWord(toks[k], "per") && !IsWord(toks[k], "a") && !IsWord(toks[k], "every") &&
        !IsWord(toks[k], "each") && !IsWord(toks[k], "an")) {
      continue;
    }
    const Tok& unit = toks[k + 1];
    if (IsWord(unit, "month")) return "monthly";
    if (IsWord(unit, "quarter")) return "quarterly";
    if (IsWord(unit, "year")) return "annual";
  }
  return {};
}

}  // namespace

bool AsksForDunning(const std::vector<Tok>& toks) {
  return HasWord(toks, "dunning") || HasWord(toks, "dunned");
}

bool ParseSubscriptionRequest(const std::vector<Tok>& toks, std::string_view text,
                              const Date& today, uint64_t bits, bool other_topic,
                              ParsedRequest& p) {
  if (other_topic) return false;
  std::string sub_id;
  for (const Tok& t : toks) {
    if (t.kind == Kind::kSubId) {
      sub_id = t.id;
      break;
    }
  }
  const bool sub_word = (bits & kSubscriptionW) != 0;
  const bool plan_word = (bits & kPlanW) != 0;
  const bool renew = (bits & kRenewW) != 0;
  const bool change = (bits & kChangePlanW) != 0;
  const std::string plan = PlanPhrase(toks, text);
  // "Put CUST-003 on the annual plan", "sign StartupHub up for Basic", "move ... to premium".
  const bool put_on = !plan.empty() && (HasWord(toks, "put") || HasWord(toks, "sign") ||
                                        HasWord(toks, "enroll") || HasWord(toks, "add"));
  if (sub_id.empty() && !sub_word && !renew && !plan_word) return false;

  p.subscription_id = sub_id;
  p.plan = plan;
  p.automatic_collection = HasWord(toks, "automatic") || HasWord(toks, "automatically") ||
                           HasWord(toks, "autopay") || HasWord(toks, "autocharge");
  const bool has_customer = !p.customer_id.empty() || p.names_company;
  const bool listy = (bits & (kListW | kAllW | kWhoW)) != 0;
  // A plan to create: its capitalised name is not a company ("Create a plan called Team"), and
  // "every month" is its interval, not a list.
  const std::string new_plan =
      plan_word && (bits & kCreateW) ? NewPlanName(toks, text) : std::string();
  if (plan_word && sub_id.empty() && !sub_word && p.customer_id.empty() &&
      (!p.names_company || !new_plan.empty()) && !(bits & (kListW | kWhoW)) && !renew &&
      (bits & kCreateW) && !(bits & kCancelW)) {
    // "Create a plan called Team at $79 per quarter", "Add a new plan \"Pro\" for 990 euros a
    // year".
    p.intent = Intent::kCreatePlan;
    p.plan = new_plan;
    p.plan_price = NewPlanPrice(toks);
    if (p.billing_cycle.empty()) p.billing_cycle = IntervalAfterPer(toks);
  } else if ((bits & kCancelW) && (!sub_id.empty() || sub_word)) {
    p.intent = Intent::kCancelSubscription;
    p.at_period_end = AtPeriodEnd(toks);
  } else if (renew && sub_id.empty() && !(bits & kCancelW)) {
    p.intent = Intent::kSubscriptionRenewals;
    p.renew_days = RenewalDays(toks, today, p);
  } else if (!sub_id.empty() && (change || !plan.empty() || (bits & kUpdateW))) {
    p.intent = Intent::kChangeSubscription;
  } else if (!sub_id.empty()) {
    p.intent = Intent::kGetSubscription;
  } else if (change && has_customer) {
    p.intent = Intent::kChangeSubscription;  // asks which subscription
  } else if (has_customer && !plan.empty() &&
             ((bits & kSubscriptionW) || put_on || (bits & kCreateW)) && !listy) {
    p.intent = Intent::kCreateSubscription;
  } else if (sub_word && has_customer && !listy && HasWord(toks, "subscribe")) {
    p.intent = Intent::kCreateSubscription;  // asks for the plan
  } else if (sub_word) {
    p.intent = Intent::kListSubscriptions;
  } else if (plan_word && !has_customer) {
    p.intent = Intent::kListPlans;
  } else {
    return false;
  }
  return true;
}

}  // namespace billing::parse
