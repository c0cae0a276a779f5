// manage-subscriptions: plans (list_plans) and subscriptions: create, get, list, renewals (which
// renew soon), change (plan or quantity: upgrades prorated at once, anything else at the next
// period start), cancel (now or at the period end), and dunning (the customers in dunning).
// Rules: automated-billing.md; the decisions where it is silent: docs/subscriptions.md and
// docs/collection.md.
#include "billing/rules.h"
#include "money/money.h"
#include "tools/billing_tool.h"

namespace billing {
namespace {

constexpr const char* kInputSchema = R"json({
  "type": "object",
  "properties": {
    "action": {"type": "string", "enum": ["list_plans", "create_plan", "create", "get", "list", "renewals", "change", "cancel", "dunning"], "description": "Operation to perform"},
    "subscriptionId": {"type": "string", "maxLength": 64, "description": "Subscription id, e.g. SUB-001 (get, change, cancel)"},
    "customerId": {"type": "string", "maxLength": 64, "description": "Customer id (required for create; optional filter for list)"},
    "planId": {"type": "string", "maxLength": 100, "description": "Plan id or name, e.g. PLAN-PREMIUM or \"Premium Plan\" (create, change); create_plan: the new plan's id (default PLAN- and its name's words)"},
    "name": {"type": "string", "maxLength": 100, "description": "create_plan: the plan's name, e.g. \"Team Plan\" (required; no other plan may have it)"},
    "price": {"type": ["string", "number"], "description": "create_plan: the price of one period in the plan's currency, e.g. \"79.00\" (required)"},
    "currency": {"type": "string", "maxLength": 3, "description": "create_plan: ISO 4217 code of the price (default USD); only customers of that currency can subscribe"},
    "interval": {"type": "string", "enum": ["monthly", "quarterly", "annual"], "description": "create_plan: the billing period (default monthly)"},
    "quantity": {"type": "integer", "minimum": 1, "maximum": 10000, "description": "Seats or units billed each period (create, change; default 1)"},
    "startDate": {"type": "string", "description": "First day YYYY-MM-DD, today or later (create; default today). Periods renew on this day of the month"},
    "paymentTermsDays": {"type": "integer", "minimum": 1, "maximum": 365, "description": "Days from an invoice's issue to its due date (create; default the customer's payment terms, 30 unless changed)"},
    "collection": {"type": "string", "enum": ["send_invoice", "automatic"], "description": "create: send_invoice (default; the customer pays each invoice) or automatic (each invoice is charged to the customer's stored card or default method by the billing run, declines retried 1, 3, 5 and 7 days later)"},
    "couponCode": {"type": "string", "maxLength": 32, "description": "A coupon to redeem (create): its discount applies to the subscription's invoices for the coupon's duration"},
    "atPeriodEnd": {"type": "boolean", "description": "cancel: true = stop renewing and end with the current period; false (default) = cancel now"},
    "status": {"type": "string", "enum": ["active", "past_due", "canceled"], "description": "Status filter for list"},
    "days": {"type": "integer", "minimum": 0, "maximum": 366, "description": "renewals: renewing within this many days from today (default 7)"},
    "limit": {"type": "integer", "minimum": 1, "maximum": 100, "description": "Page size for lists (at most 100, the default)"},
    "offset": {"type": "integer", "minimum": 0, "maximum": 1000000000, "description": "Rows to skip for lists (default 0); use nextOffset from the previous page"}
  },
  "required": ["action"],
  "additionalProperties": false,
  "$schema": "http://json-schema.org/draft-07/schema#"
})json";

constexpr const char* kOutputSchema = R"json({
  "type": "object",
  "properties": {
    "success": {"type": "boolean"}, "message": {"type": "string"}, "subscription": {}, "plan": {},
    "subscriptions": {"type": "array"}, "plans": {"type": "array"}, "invoices": {"type": "array"},
    "customers": {"type": "array"},
    "count": {"type": "number"}
  },
  "required": ["success", "message"],
  "additionalProperties": true,
  "$schema": "http://json-schema.org/draft-07/schema#"
})json";

std::string Describe(const SubscriptionView& v) {
  const Subscription& s = v.subscription;
  std::string text = s.id + " (" + s.customer_id + ", " + v.plan.name;
  if (s.quantity != 1) text += " x" + std::to_string(s.quantity);
  text += ", " + s.status + ")";
  return text;
}

std::string InvoiceText(const Invoice& inv) {
  const Currency currency = CurrencyOrUsd(inv.currency);
  return inv.id + " (" + FormatMoney(inv.total_cents, currency) + " incl. tax, due " +
         inv.due_date.ToString() + ")";
}

class ManageSubscriptionsTool final : public BillingTool {
 public:
  explicit ManageSubscriptionsTool(BillingService& s)
      : BillingTool(
            "manage-subscriptions", "manageSubscriptionsTool",
            "Plans and subscriptions. list_plans shows the plans (Basic $49/month, Premium Plan "
            "$199/month, Premium Annual $1,990/year); create_plan adds one (name, price, currency, "
            "interval). create subscribes a customer to a plan "
            "(billed in advance: a subscription starting today is invoiced at once, later periods "
            "by the billing run on their start day). get, list (customerId, status) and renewals "
            "(renewing within `days`). change moves to another plan or quantity: an upgrade takes "
            "effect at once with a prorated invoice for the rest of the period, a downgrade or an "
            "interval change at the next period start. cancel ends a subscription now, or with "
            "atPeriodEnd at the end of its current period. Suspended customers cannot subscribe. "
            "dunning lists the customers in dunning (an invoice overdue and unpaid): the oldest "
            "such invoice, days past due, the steps taken (reminders, warning, suspension).",
            kInputSchema, kOutputSchema, s) {}

 protected:
  Result<nlohmann::json> Run(const nlohmann::json& args, const ToolContext& ctx) const override {
    const std::string action = StringArg(args, "action");
    const std::string subscription_id = StringArg(args, "subscriptionId");
    auto require_id = [&]() -> Status {
      if (subscription_id.empty()) {
        return Error::Invalid("subscriptionId", "subscriptionId is required for action " + action);
      }
      return OkStatus();
    };
    auto invoices_json = [](const std::vector<Invoice>& invoices, const Date& today) {
      nlohmann::json out = nlohmann::json::array();
      for (const Invoice& inv : invoices) out.push_back(InvoiceSummaryJson(inv, today));
      return out;
    };

    if (action == "list_plans") {
      BILLING_ASSIGN_OR_RETURN(std::vector<Plan> plans, service_.ListPlans());
      nlohmann::json list = nlohmann::json::array();
      std::string names;
      for (const Plan& p : plans) {
        list.push_back(PlanJson(p));
        names += (names.empty() ? "" : "; ") + p.name + " (" + p.id + ")";
      }
      return nlohmann::json{{"success", true},
                            {"message", std::to_string(plans.size()) + " plan(s): " + names},
                            {"plans", std::move(list)},
                            {"count", plans.size()}};
    }
    if (action == "create_plan") {
      NewPlan req;
      req.id = StringArg(args, "planId");
      req.name = StringArg(args, "name");
      if (req.name.empty()) return Error::Invalid("name", "name is required to create a plan");
      if (args.contains("currency")) req.currency = StringArg(args, "currency");
      if (args.contains("interval")) req.interval = StringArg(args, "interval");
      const std::optional<Currency> currency = FindCurrency(CanonicalId(req.currency));
      if (!currency) return Error::Invalid("currency", "currency must be a known ISO 4217 code");
      auto price = args.find("price");
      if (price == args.end()) return Error::Invalid("price", "price is required to create a plan");
      BILLING_ASSIGN_OR_RETURN(req.price_cents, AmountArg(*price, "price", service_, *currency));
      req.actor = ctx.actor;
      req.request_id = ctx.request_id;
      BILLING_ASSIGN_OR_RETURN(Plan p, service_.CreatePlan(req));
      return nlohmann::json{{"success", true},
                            {"message", "Plan " + p.name + " (" + p.id + ") created: " +
                                            FormatMoney(p.price_cents, *currency) + " " + p.interval},
                            {"plan", PlanJson(p)}};
    }
    if (action == "create") {
      NewSubscription req;
      req.customer_id = StringArg(args, "customerId");
      if (req.customer_id.empty()) {
        return Error::Invalid("customerId", "customerId is required to create a subscription");
      }
      req.plan = StringArg(args, "planId");
      if (req.plan.empty())
        return Error::Invalid("planId", "planId is required to create a subscription");
      if (auto q = args.find("quantity"); q != args.end()) req.quantity = q->get<int64_t>();
      if (auto d = args.find("startDate"); d != args.end()) {
        BILLING_ASSIGN_OR_RETURN(Date start, DateArg(*d, "startDate"));
        req.start_date = start;
      }
      if (auto t = args.find("paymentTermsDays"); t != args.end()) {
        req.payment_terms_days = int(t->get<int64_t>());
      }
      req.coupon_code = StringArg(args, "couponCode");
      if (const std::string collection = StringArg(args, "collection"); !collection.empty()) {
        req.collection = collection;
      }
      req.actor = ctx.actor;
      req.request_id = ctx.request_id;
      req.idempotency_key = ctx.idempotency_key;
      BILLING_ASSIGN_OR_RETURN(SubscriptionOutcome out, service_.CreateSubscription(req));
      const Subscription& s = out.view.subscription;
      std::string message =
          "Subscription " + Describe(out.view) + " created, starting " + s.start_date.ToString();
      if (!out.invoices.empty()) {
        message += "; first period invoiced: " + InvoiceText(out.invoices[0]);
        if (out.invoices[0].status == "draft") {
          const int hours = service_.options().draft_hours;
          message += ", a draft for " + std::to_string(hours) + " hour" + (hours == 1 ? "" : "s") +
                     " (editable until then), finalized by the first billing run after that";
        }
      } else {
        message += "; the first period is invoiced on " + s.start_date.ToString();
      }
      if (s.collection == "automatic") {
        message +=
            ". Each invoice is charged automatically by the billing run (the newest stored "
            "card, else the customer's payment method), with retries after a decline";
      }
      return nlohmann::json{{"success", true},
                            {"message", message},
                            {"subscription", SubscriptionJson(out.view)},
                            {"invoices", invoices_json(out.invoices, service_.Today())}};
    }
    if (action == "get") {
      BILLING_TRY(require_id());
      BILLING_ASSIGN_OR_RETURN(SubscriptionView v, service_.GetSubscription(subscription_id));
      std::string message = "Subscription " + Describe(v);
      if (v.subscription.status != "canceled" && !v.subscription.cancel_at_period_end) {
        message += ", renews on " + v.subscription.next_bill_date;
      } else if (v.subscription.status != "canceled") {
        message += ", ends on " + v.subscription.next_bill_date;
      }
      return nlohmann::json{
          {"success", true}, {"message", message}, {"subscription", SubscriptionJson(v)}};
    }
    if (action == "list" || action == "renewals") {
      const PageSpec page = PageArg(args);
      SubscriptionList list;
      std::string what;
      if (action == "list") {
        const std::string status = StringArg(args, "status");
        BILLING_ASSIGN_OR_RETURN(
            list, service_.ListSubscriptions(StringArg(args, "customerId"), status, page));
        what = " subscription(s)" + (status.empty() ? std::string() : " with status " + status);
      } else {
        const int days = int(args.value("days", int64_t{7}));
        BILLING_ASSIGN_OR_RETURN(list, service_.UpcomingRenewals(days, page));
        const Date until = Date::FromDaysSinceEpoch(service_.Today().DaysSinceEpoch() + days);
        what = days == 0 ? " subscription(s) renewing today"
                         : " subscription(s) renewing within " + std::to_string(days) +
                               " day(s) (by " + until.ToString() + ")";
      }
      nlohmann::json rows = nlohmann::json::array();
      for (const SubscriptionView& v : list.subscriptions) rows.push_back(SubscriptionJson(v));
      nlohmann::json out = {
          {"success", true},
          {"message", "Found " + FormatCount(list.totals.count) + what +
                          PageText(list.totals.count, list.subscriptions.size(), page,
                                   action == "list" ? "by id" : "soonest first")},
          {"subscriptions", std::move(rows)}};
      PutPage(out, list.totals.count, list.subscriptions.size(), page);
      return out;
    }
    if (action == "change") {
      BILLING_TRY(require_id());
      PlanChange change;
      change.plan = StringArg(args, "planId");
      if (auto q = args.find("quantity"); q != args.end()) change.quantity = q->get<int64_t>();
      BILLING_ASSIGN_OR_RETURN(SubscriptionOutcome out,
                               service_.ChangeSubscription(subscription_id, change, ctx.actor,
                                                           ctx.request_id, ctx.idempotency_key));
      const Subscription& s = out.view.subscription;
      std::string message;
      if (out.change == "upgraded") {
        message = "Subscription " + s.id + " upgraded to " + out.view.plan.name + " now";
        message += out.invoices.empty() ? " (nothing left to prorate)"
                                        : "; prorated invoice " + InvoiceText(out.invoices[0]);
      } else if (out.change == "scheduled") {
        message = "Subscription " + s.id + " changes to " + out.view.pending_plan->name + " on " +
                  s.next_bill_date + " (the next period start); it stays on " + out.view.plan.name +
                  " until then";
      } else {
        message = "Subscription " + s.id + " changed to " + out.view.plan.name +
                  " before its first period";
      }
      return nlohmann::json{{"success", true},
                            {"message", message},
                            {"change", out.change},
                            {"subscription", SubscriptionJson(out.view)},
                            {"invoices", invoices_json(out.invoices, service_.Today())}};
    }
    if (action == "cancel") {
      BILLING_TRY(require_id());
      const bool at_period_end = args.value("atPeriodEnd", false);
      BILLING_ASSIGN_OR_RETURN(
          SubscriptionView v, service_.CancelSubscription(subscription_id, at_period_end, ctx.actor,
                                                          ctx.request_id, ctx.idempotency_key));
      const std::string message = v.subscription.status == "canceled"
                                      ? "Subscription " + v.subscription.id + " canceled as of " +
                                            v.subscription.canceled_at + "; no further invoices"
                                      : "Subscription " + v.subscription.id + " will end on " +
                                            v.subscription.next_bill_date +
                                            " (the end of its current period) and not renew";
      return nlohmann::json{
          {"success", true}, {"message", message}, {"subscription", SubscriptionJson(v)}};
    }
    if (action == "dunning") {
      const PageSpec page = PageArg(args);
      BILLING_ASSIGN_OR_RETURN(DunningList list, service_.ListDunning(page));
      nlohmann::json rows = nlohmann::json::array();
      std::string names;
      for (const DunningView& v : list.cases) {
        nlohmann::json row = {{"customerId", v.customer.id},
                              {"company", v.customer.company},
                              {"status", v.customer.status},
                              {"suspendedByDunning", v.dunning_case.suspended_by_dunning},
                              {"since", v.dunning_case.opened_date.ToString()}};
        std::string text = v.customer.company + " (" + v.customer.id;
        if (v.oldest_invoice) {
          row["invoiceId"] = v.oldest_invoice->id;
          row["dueDate"] = v.oldest_invoice->due_date.ToString();
          row["daysPastDue"] = v.days_past_due;
          const Currency currency = CurrencyOrUsd(v.oldest_invoice->currency);
          row["amountDue"] = FormatMoney(v.amount_due_cents, currency);
          row["amountDueCents"] = v.amount_due_cents;
          text += ": " + v.oldest_invoice->id + " " + FormatMoney(v.amount_due_cents, currency) +
                  ", " + std::to_string(v.days_past_due) + " day(s) past due";
        }
        nlohmann::json steps = nlohmann::json::array();
        for (const DunningStepRecord& st : v.steps) {
          steps.push_back(
              {{"day", st.step_day}, {"action", st.action}, {"doneOn", st.done_date.ToString()}});
        }
        if (!v.steps.empty()) text += ", last step " + v.steps.back().action;
        if (v.dunning_case.suspended_by_dunning) text += ", suspended by dunning";
        row["steps"] = std::move(steps);
        rows.push_back(std::move(row));
        names += (names.empty() ? "" : "; ") + text + ")";
      }
      nlohmann::json out = {
          {"success", true},
          {"message", list.count == 0
                          ? std::string("No customer is in dunning: no invoice seen overdue by a "
                                        "billing run is unpaid")
                          : FormatCount(list.count) + " customer(s) in dunning" +
                                PageText(list.count, list.cases.size(), page, "by customer id") +
                                ": " + names},
          {"customers", std::move(rows)}};
      PutPage(out, list.count, list.cases.size(), page);
      return out;
    }
    return Error::Invalid("action",
                          "action must be one of list_plans, create, get, list, renewals, change, "
                          "cancel, dunning");
  }
};

}  // namespace

std::unique_ptr<Tool> MakeManageSubscriptionsTool(BillingService& service) {
  return std::make_unique<ManageSubscriptionsTool>(service);
}

}  // namespace billing
