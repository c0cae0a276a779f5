// BillingService's plans and subscriptions (billing/service.h): ListPlans, CreateSubscription,
// GetSubscription, ListSubscriptions, UpcomingRenewals, ChangeSubscription and CancelSubscription,
// and BillPeriod, which issues one period's invoice for these and for billing runs
// (billing_run.cc). Rules: automated-billing.md "Plans and subscriptions"; the decisions where it
// is silent are in docs/subscriptions.md.
#include <algorithm>
#include <cctype>
#include <string>
#include <vector>

#include "billing/audit.h"
#include "billing/periods.h"
#include "billing/rules.h"
#include "billing/service.h"
#include "billing/service_internal.h"
#include "money/money.h"

namespace billing {
namespace {

using internal::Change;
using internal::CheckPage;
using internal::kMaxPlans;
using internal::Lower;

constexpr int64_t kMaxQuantity = 10'000;
constexpr int kMaxStartDaysAhead = 365;
constexpr int kMaxRenewalWindowDays = 366;

// The words of a plan phrase or name, lowercase, without "plan", "tier" and articles.
std::vector<std::string> PlanWords(const std::string& lower) {
  std::vector<std::string> out;
  std::string cur;
  for (size_t k = 0; k <= lower.size() && k <= 200; ++k) {
    const char c = k < lower.size() ? lower[k] : ' ';
    if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
      cur.push_back(c);
      continue;
    }
    if (!cur.empty() && cur != "plan" && cur != "tier" && cur != "the" && cur != "a" &&
        cur != "an" && cur != "our") {
      out.push_back(cur);
    }
    cur.clear();
  }
  return out;
}

std::string SubscriptionId(int64_t number) {
  std::string digits = std::to_string(number);
  if (digits.size() < 3) digits.insert(0, 3 - digits.size(), '0');
  return "SUB-" + digits;
}

int MonthsOf(const Plan& plan) {
  return MonthsPerPeriod(plan.interval).value_or(1);  // the schema admits only the three
}

// Price of one period of `plan` at `quantity`, in minor units.
int64_t PeriodAmount(const Plan& plan, int64_t quantity) {
  return plan.price_cents * quantity;
}

}  // namespace

Result<std::vector<Plan>> BillingService::ListPlans() {
  std::vector<Plan> out;
  Status s = store_.Read([&](StoreTx& tx) -> Status {
    BILLING_ASSIGN_OR_RETURN(out, tx.ListPlans(kMaxPlans));
    return OkStatus();
  });
  if (!s.ok()) return s.error();
  return out;
}

Result<Plan> BillingService::ResolvePlan(StoreTx& tx, const std::string& raw,
                                         const std::string& field) {
  const std::string id = CanonicalId(raw);
  if (id.empty()) return Error::Invalid(field, field + " is required");
  BILLING_ASSIGN_OR_RETURN(std::optional<Plan> found, tx.FindPlan(id));
  if (found) return std::move(*found);
  // By name, any case: "premium plan" is the Premium Plan.
  BILLING_ASSIGN_OR_RETURN(std::vector<Plan> plans, tx.ListPlans(kMaxPlans));
  const std::string wanted = Lower(raw);
  for (Plan& p : plans) {
    if (Lower(p.name) == wanted) return std::move(p);
  }
  // By the words of a phrase ("the annual plan", "premium"): the plans whose name or interval has
  // every word; of several, the one whose name is exactly those words ("premium" is the Premium
  // Plan, not Premium Annual). Anything else is not a guess: the error lists the plans.
  const std::vector<std::string> words = PlanWords(wanted);
  if (!words.empty()) {
    std::vector<const Plan*> matches, exact;
    for (const Plan& p : plans) {
      std::vector<std::string> have = PlanWords(Lower(p.name));
      const std::vector<std::string> name_words = have;
      have.push_back(p.interval);
      if (p.interval == "annual") have.insert(have.end(), {"yearly", "year"});
      if (p.interval == "monthly") have.push_back("month");
      if (p.interval == "quarterly") have.push_back("quarter");
      bool all = true;
      for (const std::string& w : words) {
        all = all && std::find(have.begin(), have.end(), w) != have.end();
      }
      if (!all) continue;
      matches.push_back(&p);
      if (name_words == words) exact.push_back(&p);
    }
    if (matches.size() == 1) return *matches[0];
    if (exact.size() == 1) return *exact[0];
  }
  std::string known;
  for (const Plan& p : plans) known += (known.empty() ? "" : ", ") + p.id + " (" + p.name + ")";
  return Error::NotFound("Plan " + raw + " not found; plans: " + known, field);
}

Result<Subscription> BillingService::RequireSubscription(StoreTx& tx, const std::string& raw_id) {
  const std::string id = CanonicalId(raw_id);
  if (id.empty()) return Error::Invalid("subscriptionId", "subscriptionId is required");
  BILLING_ASSIGN_OR_RETURN(std::optional<Subscription> found, tx.FindSubscription(id));
  if (!found) return Error::NotFound("Subscription " + id + " not found", "subscriptionId");
  return std::move(*found);
}

Result<SubscriptionView> BillingService::ViewOf(StoreTx& tx, const Subscription& s) {
  SubscriptionView v;
  v.subscription = s;
  BILLING_ASSIGN_OR_RETURN(std::optional<Plan> plan, tx.FindPlan(s.plan_id));
  if (!plan) return Error::Internal("subscription " + s.id + " names a missing plan");
  v.plan = std::move(*plan);
  if (!s.pending_plan_id.empty()) {
    BILLING_ASSIGN_OR_RETURN(v.pending_plan, tx.FindPlan(s.pending_plan_id));
    if (!v.pending_plan) return Error::Internal("subscription " + s.id + " names a missing plan");
  }
  return v;
}

Status BillingService::SaveSubscription(StoreTx& tx, Subscription& sub, const char* action,
                                        const char* event_type, const nlohmann::json& before,
                                        const Actor& actor, const std::string& request_id,
                                        const std::string& idempotency_key) {
  sub.updated_at = clock_.NowIso8601();
  sub.updated_by = actor.principal;
  BILLING_TRY(tx.UpdateSubscription(sub));
  const nlohmann::json after = SubscriptionAuditJson(sub);
  if (event_type != nullptr) {
    BILLING_TRY(Emit(tx, event_type, "subscription", sub.id, after, request_id, idempotency_key));
  }
  return Audit(tx, Change(actor, request_id, action, "subscription", sub.id, before, after));
}

Status BillingService::BillPeriod(StoreTx& tx, Subscription& sub, const Plan& plan,
                                  const Customer& customer, const Actor& actor,
                                  const std::string& request_id, const std::string& idempotency_key,
                                  std::optional<Invoice>* invoice) {
  const int64_t k = sub.periods_billed;
  Date start = sub.start_date;
  if (k > 0 && !Date::Parse(sub.next_bill_date, &start)) {
    return Error::Internal("subscription " + sub.id + " has no next period to bill");
  }
  const Date end = PeriodEnd(start, sub.start_date.day, MonthsOf(plan));
  const nlohmann::json before = SubscriptionAuditJson(sub);
  SubscriptionPeriod period{sub.id, start, end, "", "skipped", clock_.NowIso8601()};
  invoice->reset();
  // A suspended customer's periods are skipped, never billed later (automated-billing.md).
  if (customer.status != "suspended") {
    LineItem line;
    line.description = plan.name + " (" + start.ToString() + " to " + end.ToString() + ")";
    line.quantity_milli = sub.quantity * 1000;
    line.unit_price_cents = plan.price_cents;
    line.amount_cents = LineAmountCents(line.quantity_milli, line.unit_price_cents);
    const Date due = Date::FromDaysSinceEpoch(start.DaysSinceEpoch() + sub.payment_terms_days);
    // The subscription's coupon, for its duration (redeemed once, when the subscription was
    // made; an archived coupon keeps running for those who redeemed it).
    std::optional<Coupon> coupon;
    if (!sub.coupon_code.empty()) {
      BILLING_ASSIGN_OR_RETURN(coupon, tx.FindCoupon(sub.coupon_code));
      if (!coupon) return Error::Internal("subscription " + sub.id + ": its coupon is missing");
      const bool applies =
          coupon->duration == "forever" ||
          (coupon->duration == "once" && sub.coupon_periods_used < 1) ||
          (coupon->duration == "repeating" && sub.coupon_periods_used < coupon->duration_periods);
      if (!applies) coupon.reset();
    }
    Invoice inv;
    if (options_.draft_hours > 0) {
      // Held as a draft for the grace period; the run finalizes it (and opens its collection).
      BILLING_ASSIGN_OR_RETURN(
          inv, HoldPeriodDraft(tx, sub, customer, line, due, coupon ? &*coupon : nullptr, actor,
                               request_id, idempotency_key));
    } else {
      BILLING_ASSIGN_OR_RETURN(
          inv, IssueInvoice(tx, customer, {line}, start, due, "Subscription " + sub.id, actor,
                            request_id, idempotency_key, nullptr, coupon ? &*coupon : nullptr));
      BILLING_TRY(OpenCollection(tx, sub, inv));
    }
    if (coupon) ++sub.coupon_periods_used;
    period.invoice_id = inv.id;
    period.outcome = "billed";
    *invoice = std::move(inv);
  }
  // The exactly-once key: a period handled before (by anyone) refuses the whole transaction.
  BILLING_TRY(tx.InsertSubscriptionPeriod(period));
  sub.periods_billed = k + 1;
  sub.current_period_start = start;
  sub.current_period_end = end;
  sub.next_bill_date = end.ToString();
  const char* action = period.outcome == "billed" ? "subscription.renew" : "subscription.skip";
  // The first period is part of the creation: no event of its own (subscription.created follows).
  const char* event = k == 0                       ? nullptr
                      : period.outcome == "billed" ? "subscription.renewed"
                                                   : "subscription.updated";
  return SaveSubscription(tx, sub, action, event, before, actor, request_id, idempotency_key);
}

Result<SubscriptionOutcome> BillingService::CreateSubscription(const NewSubscription& request) {
  if (request.quantity < 1 || request.quantity > kMaxQuantity) {
    return Error::Invalid(
        "quantity", "quantity must be a whole number from 1 to " + std::to_string(kMaxQuantity));
  }
  if (!IsOneOf(request.collection, kCollectionMethods)) {
    return Error::Invalid("collection", "collection must be send_invoice or automatic");
  }
  if (request.payment_terms_days != 0 &&
      (request.payment_terms_days < 1 || request.payment_terms_days > 365)) {
    return Error::Invalid("paymentTermsDays", "paymentTermsDays must be from 1 to 365");
  }
  const Date today = Today();
  const Date start = request.start_date.value_or(today);
  if (start < today) {
    return Error::Invalid("startDate", "startDate " + start.ToString() +
                                           " is in the past; a subscription starts today or later");
  }
  if (DaysBetween(today, start) > kMaxStartDaysAhead) {
    return Error::Invalid("startDate", "startDate must be within 365 days from today");
  }
  SubscriptionOutcome out;
  Status s = store_.Write([&](StoreTx& tx) -> Status {
    out = SubscriptionOutcome{};
    BILLING_ASSIGN_OR_RETURN(Customer c, RequireCustomer(tx, request.customer_id, "customerId"));
    if (c.status == "suspended") {
      return Error::Precondition(
          "Customer " + c.id + " (" + c.company + ") is suspended and cannot start a subscription",
          "customerId");
    }
    BILLING_ASSIGN_OR_RETURN(Plan plan, ResolvePlan(tx, request.plan, "planId"));
    if (!plan.active) {
      return Error::Precondition("Plan " + plan.id + " is archived and takes no new subscriptions",
                                 "planId");
    }
    if (plan.currency != c.currency) {
      return Error::Invalid("planId", "Plan " + plan.id + " is priced in " + plan.currency +
                                          " but " + c.id + " is billed in " + c.currency);
    }
    Subscription sub;
    BILLING_ASSIGN_OR_RETURN(sub.number, tx.NextSubscriptionNumber());
    sub.id = SubscriptionId(sub.number);
    sub.customer_id = c.id;
    sub.plan_id = plan.id;
    sub.quantity = request.quantity;
    sub.start_date = start;
    sub.next_bill_date = start.ToString();
    sub.collection = request.collection;
    sub.payment_terms_days =
        request.payment_terms_days != 0 ? request.payment_terms_days : c.payment_terms_days;
    sub.created_at = clock_.NowIso8601();
    sub.created_by = request.actor.principal;
    sub.updated_at = sub.created_at;
    sub.updated_by = request.actor.principal;
    std::optional<Coupon> coupon;
    if (!request.coupon_code.empty()) {
      BILLING_ASSIGN_OR_RETURN(coupon, RedeemableCoupon(tx, request.coupon_code, c, "couponCode"));
      sub.coupon_code = coupon->code;
    }
    BILLING_TRY(tx.InsertSubscription(sub));
    if (coupon) {
      BILLING_TRY(Redeem(tx, *coupon, c.id, "", sub.id, request.actor, request.request_id,
                         request.idempotency_key));
    }
    const nlohmann::json created = SubscriptionAuditJson(sub);
    BILLING_TRY(Audit(tx, Change(request.actor, request.request_id, "subscription.create",
                                 "subscription", sub.id, nullptr, created)));
    // Billed in advance: a subscription starting today has its first invoice at once.
    if (start == today) {
      std::optional<Invoice> inv;
      BILLING_TRY(BillPeriod(tx, sub, plan, c, request.actor, request.request_id,
                             request.idempotency_key, &inv));
      if (inv) out.invoices.push_back(std::move(*inv));
    }
    BILLING_TRY(Emit(tx, "subscription.created", "subscription", sub.id, SubscriptionAuditJson(sub),
                     request.request_id, request.idempotency_key));
    BILLING_ASSIGN_OR_RETURN(out.view, ViewOf(tx, sub));
    return OkStatus();
  });
  if (!s.ok()) return s.error();
  return out;
}

Result<SubscriptionView> BillingService::GetSubscription(const std::string& subscription_id) {
  SubscriptionView out;
  Status s = store_.Read([&](StoreTx& tx) -> Status {
    BILLING_ASSIGN_OR_RETURN(Subscription sub, RequireSubscription(tx, subscription_id));
    BILLING_ASSIGN_OR_RETURN(out, ViewOf(tx, sub));
    return OkStatus();
  });
  if (!s.ok()) return s.error();
  return out;
}

Result<SubscriptionList> BillingService::ListSubscriptions(const std::string& customer_id,
                                                           const std::string& status,
                                                           const PageSpec& page) {
  if (!status.empty() && !IsOneOf(status, kSubscriptionStatuses)) {
    return Error::Invalid("status", "status must be one of active, past_due, canceled");
  }
  BILLING_TRY(CheckPage(page));
  SubscriptionQuery q;
  q.status = status;
  return SubscriptionListOf(q, customer_id, page);
}

Result<SubscriptionList> BillingService::UpcomingRenewals(int days, const PageSpec& page) {
  if (days < 0 || days > kMaxRenewalWindowDays) {
    return Error::Invalid("days",
                          "days must be from 0 to " + std::to_string(kMaxRenewalWindowDays));
  }
  BILLING_TRY(CheckPage(page));
  const Date today = Today();
  SubscriptionQuery q;
  q.renew_from = today;
  q.renew_to = Date::FromDaysSinceEpoch(today.DaysSinceEpoch() + days);
  return SubscriptionListOf(q, "", page);
}

Result<SubscriptionList> BillingService::SubscriptionListOf(SubscriptionQuery q,
                                                            const std::string& customer_id,
                                                            const PageSpec& page) {
  SubscriptionList out;
  Status s = store_.Read([&](StoreTx& tx) -> Status {
    out = SubscriptionList{};
    if (!customer_id.empty()) {
      BILLING_ASSIGN_OR_RETURN(Customer c, RequireCustomer(tx, customer_id, "customerId"));
      q.customer_id = c.id;
    }
    BILLING_ASSIGN_OR_RETURN(std::vector<Subscription> rows, tx.ListSubscriptions(q, page));
    for (const Subscription& sub : rows) {
      BILLING_ASSIGN_OR_RETURN(SubscriptionView v, ViewOf(tx, sub));
      out.subscriptions.push_back(std::move(v));
    }
    BILLING_ASSIGN_OR_RETURN(out.totals, tx.SumSubscriptions(q));
    return OkStatus();
  });
  if (!s.ok()) return s.error();
  return out;
}

Result<SubscriptionOutcome> BillingService::ChangeSubscription(const std::string& subscription_id,
                                                               const PlanChange& change,
                                                               const Actor& actor,
                                                               const std::string& request_id,
                                                               const std::string& idempotency_key) {
  if (change.plan.empty() && !change.quantity) {
    return Error::Invalid("planId", "name a new plan (planId) or a new quantity");
  }
  if (change.quantity && (*change.quantity < 1 || *change.quantity > kMaxQuantity)) {
    return Error::Invalid(
        "quantity", "quantity must be a whole number from 1 to " + std::to_string(kMaxQuantity));
  }
  const Date today = Today();
  SubscriptionOutcome out;
  Status s = store_.Write([&](StoreTx& tx) -> Status {
    out = SubscriptionOutcome{};
    BILLING_ASSIGN_OR_RETURN(Subscription sub, RequireSubscription(tx, subscription_id));
    if (sub.status == "canceled") {
      return Error::Precondition("Subscription " + sub.id + " is canceled", "subscriptionId");
    }
    BILLING_ASSIGN_OR_RETURN(Customer c, RequireCustomer(tx, sub.customer_id, "customerId"));
    BILLING_ASSIGN_OR_RETURN(SubscriptionView current, ViewOf(tx, sub));
    Plan next = current.plan;
    if (!change.plan.empty()) {
      BILLING_ASSIGN_OR_RETURN(next, ResolvePlan(tx, change.plan, "planId"));
    }
    const int64_t quantity = change.quantity.value_or(sub.quantity);
    if (next.id == sub.plan_id && quantity == sub.quantity) {
      return Error::Precondition("Subscription " + sub.id + " is already on " + next.name +
                                     " with quantity " + std::to_string(quantity),
                                 "planId");
    }
    if (!next.active && next.id != sub.plan_id) {
      return Error::Precondition("Plan " + next.id + " is archived and takes no new subscriptions",
                                 "planId");
    }
    if (next.currency != c.currency) {
      return Error::Invalid("planId", "Plan " + next.id + " is priced in " + next.currency +
                                          " but " + c.id + " is billed in " + c.currency);
    }
    const nlohmann::json before = SubscriptionAuditJson(sub);
    const int64_t old_amount = PeriodAmount(current.plan, sub.quantity);
    const int64_t new_amount = PeriodAmount(next, quantity);
    const bool started = sub.periods_billed > 0 && today < sub.current_period_end;
    const bool upgrade = next.interval == current.plan.interval && new_amount > old_amount;
    if (sub.periods_billed == 0) {
      // Nothing billed yet: the first invoice will be at the new price.
      sub.plan_id = next.id;
      sub.quantity = quantity;
      sub.pending_plan_id.clear();
      sub.pending_quantity = 0;
      out.change = "changed";
    } else if (upgrade && started) {
      if (c.status == "suspended") {
        return Error::Precondition("Customer " + c.id + " (" + c.company +
                                       ") is suspended and cannot receive new invoices",
                                   "subscriptionId");
      }
      // Prorated: the difference over the days left of the current period, half-up.
      const int64_t period_days = DaysBetween(sub.current_period_start, sub.current_period_end);
      const int64_t days_left = DaysBetween(today, sub.current_period_end);
      const int64_t charge = MulDivRoundHalfUp(new_amount - old_amount, days_left, period_days);
      sub.plan_id = next.id;
      sub.quantity = quantity;
      sub.pending_plan_id.clear();
      sub.pending_quantity = 0;
      out.change = "upgraded";
      if (charge > 0) {
        LineItem line;
        line.description = "Upgrade to " + next.name + " from " + current.plan.name + " (" +
                           today.ToString() + " to " + sub.current_period_end.ToString() + ", " +
                           std::to_string(days_left) + " of " + std::to_string(period_days) +
                           " days)";
        line.quantity_milli = 1000;
        line.unit_price_cents = charge;
        line.amount_cents = charge;
        const Date due = Date::FromDaysSinceEpoch(today.DaysSinceEpoch() + sub.payment_terms_days);
        BILLING_ASSIGN_OR_RETURN(
            Invoice inv, IssueInvoice(tx, c, {line}, today, due, "Subscription " + sub.id, actor,
                                      request_id, idempotency_key));
        BILLING_TRY(OpenCollection(tx, sub, inv));
        out.invoices.push_back(std::move(inv));
      }
    } else {
      sub.pending_plan_id = next.id;
      sub.pending_quantity = quantity;
      out.change = "scheduled";
    }
    BILLING_TRY(SaveSubscription(tx, sub, "subscription.update", "subscription.updated", before,
                                 actor, request_id, idempotency_key));
    BILLING_ASSIGN_OR_RETURN(out.view, ViewOf(tx, sub));
    return OkStatus();
  });
  if (!s.ok()) return s.error();
  return out;
}

Result<SubscriptionView> BillingService::CancelSubscription(const std::string& subscription_id,
                                                            bool at_period_end, const Actor& actor,
                                                            const std::string& request_id,
                                                            const std::string& idempotency_key) {
  const Date today = Today();
  SubscriptionView out;
  Status s = store_.Write([&](StoreTx& tx) -> Status {
    BILLING_ASSIGN_OR_RETURN(Subscription sub, RequireSubscription(tx, subscription_id));
    if (sub.status == "canceled") {
      return Error::Precondition("Subscription " + sub.id + " is already canceled",
                                 "subscriptionId");
    }
    const nlohmann::json before = SubscriptionAuditJson(sub);
    // Not started yet: nothing to finish, so "at period end" is at once.
    if (at_period_end && sub.periods_billed > 0) {
      if (sub.cancel_at_period_end) {
        return Error::Precondition(
            "Subscription " + sub.id + " already ends on " + sub.current_period_end.ToString(),
            "subscriptionId");
      }
      sub.cancel_at_period_end = true;
      BILLING_TRY(SaveSubscription(tx, sub, "subscription.update", "subscription.updated", before,
                                   actor, request_id, idempotency_key));
    } else {
      sub.status = "canceled";
      sub.canceled_at = today.ToString();
      sub.next_bill_date.clear();
      sub.pending_plan_id.clear();
      sub.pending_quantity = 0;
      BILLING_TRY(SaveSubscription(tx, sub, "subscription.cancel", "subscription.canceled", before,
                                   actor, request_id, idempotency_key));
    }
    BILLING_ASSIGN_OR_RETURN(out, ViewOf(tx, sub));
    return OkStatus();
  });
  if (!s.ok()) return s.error();
  return out;
}

}  // namespace billing
