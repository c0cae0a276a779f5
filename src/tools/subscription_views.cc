// The JSON views of plans, subscriptions and billing runs (billing_tool.h), shared by the
// manage-subscriptions tool, the billing-run route and `billing-agent bill`.
#include <string>

#include "money/money.h"
#include "tools/billing_tool.h"

namespace billing {
namespace {

const char* IntervalNoun(const std::string& interval) {
  if (interval == "annual") return "year";
  if (interval == "quarterly") return "quarter";
  return "month";
}

}  // namespace

nlohmann::json PlanJson(const Plan& p) {
  nlohmann::json j = {{"id", p.id},
                      {"name", p.name},
                      {"currency", p.currency},
                      {"interval", p.interval},
                      {"active", p.active}};
  PutAmount(j, "price", p.price_cents, CurrencyOrUsd(p.currency));
  j["priceText"] =
      FormatMoney(p.price_cents, CurrencyOrUsd(p.currency)) + " per " + IntervalNoun(p.interval);
  return j;
}

nlohmann::json SubscriptionJson(const SubscriptionView& v) {
  const Subscription& s = v.subscription;
  nlohmann::json j = {{"id", s.id},
                      {"customerId", s.customer_id},
                      {"plan", PlanJson(v.plan)},
                      {"quantity", s.quantity},
                      {"status", s.status},
                      {"startDate", s.start_date.ToString()},
                      {"collection", s.collection},
                      {"paymentTermsDays", s.payment_terms_days},
                      {"cancelAtPeriodEnd", s.cancel_at_period_end}};
  PutAmount(j, "amountPerPeriod", v.plan.price_cents * s.quantity, CurrencyOrUsd(v.plan.currency));
  if (s.periods_billed > 0) {
    j["currentPeriodStart"] = s.current_period_start.ToString();
    j["currentPeriodEnd"] = s.current_period_end.ToString();
  }
  // The next renewal: none once canceled or set to end with the current period.
  if (!s.next_bill_date.empty() && !s.cancel_at_period_end) {
    j["renewsOn"] = s.next_bill_date;
  } else if (s.cancel_at_period_end && s.status != "canceled") {
    j["endsOn"] = s.next_bill_date;
  }
  if (!s.canceled_at.empty()) j["canceledAt"] = s.canceled_at;
  if (v.pending_plan) {
    j["pendingChange"] = {{"plan", PlanJson(*v.pending_plan)},
                          {"quantity", s.pending_quantity},
                          {"effectiveOn", s.next_bill_date}};
  }
  j["createdAt"] = s.created_at;
  return j;
}

nlohmann::json BillingRunJson(const BillingRunReport& r) {
  nlohmann::json j = {
      {"asOf", r.as_of.ToString()},
      {"subscriptions", r.subscriptions},
      {"periodsBilled", r.periods_billed},
      {"periodsSkipped", r.periods_skipped},
      {"canceled", r.canceled},
      {"planChanges", r.plan_changes},
      {"invoiceIds", r.invoice_ids},
      {"capped", r.capped},
      {"complete", r.capped.empty()},
      {"drafts", {{"finalized", r.drafts_finalized}, {"discarded", r.drafts_discarded}}},
      {"collection",
       {{"charges", r.charges},
        {"declined", r.charges_declined},
        {"retriesScheduled", r.retries_scheduled}}},
      {"dunning",
       {{"invoicesOverdue", r.invoices_overdue},
        {"steps", r.dunning_steps},
        {"suspended", r.customers_suspended},
        {"reinstated", r.customers_reinstated}}}};
  std::string message = "Billing run as of " + r.as_of.ToString() + ": " +
                        std::to_string(r.periods_billed) + " invoice(s) issued for " +
                        std::to_string(r.subscriptions) + " subscription(s)";
  if (r.periods_skipped > 0) {
    message +=
        ", " + std::to_string(r.periods_skipped) + " period(s) of suspended customers skipped";
  }
  if (r.canceled > 0) message += ", " + std::to_string(r.canceled) + " subscription(s) ended";
  if (r.drafts_finalized > 0 || r.drafts_discarded > 0) {
    message +=
        "; " + std::to_string(r.drafts_finalized) + " draft(s) finalized after their grace period";
    if (r.drafts_discarded > 0) {
      message += ", " + std::to_string(r.drafts_discarded) + " discarded (customer suspended)";
    }
  }
  if (r.charges > 0) {
    message += "; " + std::to_string(r.charges) + " automatic charge(s), " +
               std::to_string(r.charges_declined) + " declined (" +
               std::to_string(r.retries_scheduled) + " to retry)";
  }
  if (r.invoices_overdue > 0) {
    message += "; " + std::to_string(r.invoices_overdue) + " invoice(s) newly overdue";
  }
  if (r.dunning_steps > 0) {
    message += "; " + std::to_string(r.dunning_steps) + " dunning step(s)";
  }
  if (r.customers_suspended > 0) {
    message += ", " + std::to_string(r.customers_suspended) + " customer(s) suspended";
  }
  if (r.customers_reinstated > 0) {
    message += ", " + std::to_string(r.customers_reinstated) + " customer(s) reinstated";
  }
  if (!r.capped.empty()) {
    message += ". " + std::to_string(r.capped.size()) +
               " subscription(s) still have periods due after " +
               std::to_string(kMaxPeriodsPerRun) + " in this run; run again to go on";
  }
  j["message"] = message + ".";
  return j;
}

}  // namespace billing
