// Plans and subscriptions in a request; see subscriptions.h.
#include "agent/parse/subscriptions.h"

#include <string>

#include "agent/parse/text.h"
#include "agent/parse/vocabulary.h"

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

bool Has(const std::vector<Tok>& toks, std::string_view w) {
  for (const Tok& t : toks) {
    if (IsWord(t, w)) return true;
  }
  return false;
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
  if (Has(toks, "today")) return 0;
  return 7;
}

}  // namespace

bool AsksForDunning(const std::vector<Tok>& toks) {
  return Has(toks, "dunning") || Has(toks, "dunned");
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
  const bool put_on = !plan.empty() && (Has(toks, "put") || Has(toks, "sign") ||
                                        Has(toks, "enroll") || Has(toks, "add"));
  if (sub_id.empty() && !sub_word && !renew && !plan_word) return false;

  p.subscription_id = sub_id;
  p.plan = plan;
  p.automatic_collection = Has(toks, "automatic") || Has(toks, "automatically") ||
                           Has(toks, "autopay") || Has(toks, "autocharge");
  const bool has_customer = !p.customer_id.empty() || p.names_company;
  const bool listy = (bits & (kListW | kAllW | kWhoW)) != 0;
  if ((bits & kCancelW) && (!sub_id.empty() || sub_word)) {
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
  } else if (sub_word && has_customer && !listy && Has(toks, "subscribe")) {
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
