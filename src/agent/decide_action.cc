#include "agent/request_parser.h"

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "agent/parse/text.h"
#include "money/money.h"

namespace billing {

// ---------------------------------------------------------------------------------------------
// Deciding the next action

namespace {

using parse::IsAllDigits, parse::ParseSmallInt;

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

// The refusal of an amount written negative or zero, ending with what did not happen.
std::string NonPositiveReply(const std::string& amount, const char* nothing_done) {
  return "The amount must be positive: I can't use '" + amount + "'. " + nothing_done;
}

// The refusal of a payment method we do not take.
std::string UnsupportedMethodReply(const std::string& method, const char* verb,
                                   const char* nothing_done) {
  return std::string("I can't ") + verb + " a payment by " + method +
         ": the payment methods I can use are credit card, bank transfer, PayPal and crypto. " +
         nothing_done;
}

}  // namespace

std::string HelpText() {
  return "I'm the billing assistant. I can:\n"
         "- look up a customer's billing details and outstanding balance (\"Show billing details "
         "for customer CUST-001\"), or list customers by status, billing cycle, payment method or "
         "outstanding balance; add, change, suspend or reinstate customers (\"Add a customer "
         "Acme GmbH, billing@acme.example, monthly, in EUR\");\n"
         "- create invoices with line items (\"Create an invoice for CUST-002 for $1500 due "
         "YYYY-MM-DD for Monthly subscription services\"), show, list (e.g. overdue), update, "
         "cancel, or mark invoices as paid; make drafts and finalize them (\"Finalize draft_1\"); "
         "issue credit notes (\"Issue a $50 credit note on INV-2025-001 and refund it\"); "
         "use coupons (\"... with coupon WELCOME10\", \"What coupons do we have?\");\n"
         "- process payments (\"Process a $750 credit card payment for customer CUST-003\"), "
         "refunds (\"Refund payment PAY-001\"), payment history and failed payments;\n"
         "- list and create plans (\"Create a plan called Team at $79 per quarter\") and manage "
         "subscriptions (\"Subscribe CUST-002 to the Premium Plan\", "
         "\"Cancel SUB-001 at the end of the period\", \"Which subscriptions renew this "
         "week?\").\n"
         "What would you like to do?";
}

namespace {

// The optional customer fields a request named, as manage-customers arguments (create, update).
void PutCustomerFields(const ParsedRequest& p, nlohmann::json& args) {
  const NewCustomerFields& f = p.new_customer;
  if (!f.contact_name.empty()) args["contactName"] = f.contact_name;
  if (!p.billing_cycle.empty()) args["billingCycle"] = p.billing_cycle;
  if (!p.payment_method.empty()) args["paymentMethod"] = p.payment_method;
  if (!p.currency.empty()) args["currency"] = p.currency;
  if (!f.locale.empty()) args["locale"] = f.locale;
  if (!f.tax_rate.empty()) args["taxRate"] = f.tax_rate;
  if (f.payment_terms_days) args["paymentTermsDays"] = *f.payment_terms_days;
}

}  // namespace

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
      if (!p.currency.empty()) args["currency"] = p.currency;
      if (p.min_balance_minor) {
        // In the currency named, if any: whole units when whole, since yen have no decimals.
        const int64_t min = *p.min_balance_minor;
        args["minBalance"] =
            !p.currency.empty() && min % 100 == 0 ? std::to_string(min / 100) : Decimal(min);
      }
      if (p.question == Question::kRank) {  // "who owes the most": highest balance first
        args["orderBy"] = "balance";
        args["limit"] = p.top_n;
        if (!p.has_outstanding_balance) args["hasOutstandingBalance"] = true;
      }
      if (p.question == Question::kTotal && !p.has_outstanding_balance) {
        args["hasOutstandingBalance"] = true;
      }
      call("getCustomerTool", std::move(args));
      return a;
    }

    case Intent::kCreateInvoice: {
      if (!p.nonpositive_amount.empty()) {
        a.reply = NonPositiveReply(p.nonpositive_amount, "Nothing was created.");
        return a;
      }
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
      const std::string who = p.customer_id.empty() ? std::string()
                              : p.customer_name.empty()
                                  ? " for " + p.customer_id
                                  : " for " + p.customer_name + " (" + p.customer_id + ")";
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
      if (!missing.empty() && !p.customer_id.empty() && !p.customer_checked) {
        // First make sure the customer exists: a user must learn that before anything else.
        a.customer_check = true;
        call("getCustomerTool", {{"customerId", p.customer_id}});
        return a;
      }
      if (!missing.empty() && p.customer_id.empty() && p.names_company && !p.customer_checked) {
        lookup();  // find the customer by name first, then ask for the rest
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
      if (p.draft) args["draft"] = true;
      if (!p.coupon_code.empty()) args["couponCode"] = p.coupon_code;
      call("manageInvoicesTool", std::move(args));
      return a;
    }

    case Intent::kApplyCoupon:
      if (p.invoice_id.empty()) {
        a.reply = "Which invoice should get coupon " + p.coupon_code +
                  "? A coupon applies to a draft (e.g. \"Apply coupon " + p.coupon_code +
                  " to draft_3\") or to a new invoice (\"... with coupon " + p.coupon_code +
                  "\"); a finalized invoice keeps its amounts (a credit note reduces them). "
                  "Nothing has been changed.";
        return a;
      }
      call("manageInvoicesTool",
           {{"action", "update"}, {"invoiceId", p.invoice_id}, {"couponCode", p.coupon_code}});
      return a;

    case Intent::kListCoupons:
      call("manageInvoicesTool", {{"action", "list_coupons"}});
      return a;

    case Intent::kFinalizeInvoice:
      if (p.invoice_id.empty()) {
        a.reply =
            "Which draft should I finalize? Please give its id (e.g. draft_3); \"show the drafts\" "
            "lists them. Nothing has been changed.";
        return a;
      }
      call("manageInvoicesTool", {{"action", "finalize"}, {"invoiceId", p.invoice_id}});
      return a;

    case Intent::kCreditNote: {
      if (!p.nonpositive_amount.empty()) {
        a.reply = NonPositiveReply(p.nonpositive_amount, "No credit note was issued.");
        return a;
      }
      if (!p.bad_amount.empty()) {
        a.reply = p.bad_amount +
                  ". Please give the amount like $50 or $50.00. No credit note was issued.";
        return a;
      }
      std::vector<std::string> missing;
      if (p.invoice_id.empty()) missing.push_back("the invoice (e.g. INV-2025-001)");
      if (p.amounts.empty()) missing.push_back("the amount to credit, tax included (e.g. $50)");
      if (!missing.empty()) {
        a.reply = "To issue a credit note I still need " + JoinMissing(missing) +
                  ". No credit note was issued.";
        return a;
      }
      nlohmann::json args = {{"action", "credit_note"},
                             {"invoiceId", p.invoice_id},
                             {"amount", Decimal(p.amounts.front())}};
      if (!p.refund_to.empty()) args["refundTo"] = p.refund_to;
      if (!p.reason.empty()) args["reason"] = p.reason;
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
        if (p.question == Question::kRank) {  // "largest overdue invoice": most due first
          args["orderBy"] = "amountDue";
          args["limit"] = p.top_n;
        }
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
      if (!p.unsupported_method.empty()) {
        a.reply = UnsupportedMethodReply(p.unsupported_method, "record", "Nothing was changed.");
        return a;
      }
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
      if (!p.nonpositive_amount.empty()) {
        a.reply = NonPositiveReply(p.nonpositive_amount, "No payment was processed.");
        return a;
      }
      if (!p.unsupported_method.empty()) {
        a.reply = UnsupportedMethodReply(p.unsupported_method, "take", "No payment was processed.");
        return a;
      }
      if (!p.bad_amount.empty()) {
        a.reply = p.bad_amount +
                  ". Please give the amount like $750 or $1,500.00. No payment was processed.";
        return a;
      }
      // Paying an invoice: read it first for its customer and, without an amount, what is due.
      if (!p.invoice_id.empty() && (p.customer_id.empty() || p.amounts.empty())) {
        a.invoice_lookup = true;
        call("manageInvoicesTool", {{"action", "get"}, {"invoiceId", p.invoice_id}});
        return a;
      }
      const bool have_payer = !p.customer_id.empty() || !p.invoice_id.empty();
      std::vector<std::string> missing;
      if (p.amounts.empty()) missing.push_back("the amount (e.g. $750)");
      if (!have_payer && !p.names_company) missing.push_back("the customer id (e.g. CUST-001)");
      if (!missing.empty() && !p.customer_id.empty() && !p.customer_checked) {
        a.customer_check = true;
        call("getCustomerTool", {{"customerId", p.customer_id}});
        return a;
      }
      if (!missing.empty()) {
        const std::string who =
            !p.customer_id.empty()
                ? " for " + (p.customer_name.empty() ? p.customer_id
                                                     : p.customer_name + " (" + p.customer_id + ")")
            : !p.invoice_id.empty() ? " for invoice " + p.invoice_id
                                    : std::string();
        a.reply = "To process a payment" + who + " I need " + JoinMissing(missing) + ".";
        if (p.payment_method.empty()) {
          a.reply +=
              " You can also name the payment method (credit card, bank transfer, PayPal "
              "or crypto); otherwise the customer's default method is used.";
        }
        a.reply += " No payment was processed.";
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
      if (!p.nonpositive_amount.empty()) {
        a.reply = NonPositiveReply(p.nonpositive_amount, "Nothing was refunded.");
        return a;
      }
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

    case Intent::kPaymentsInPeriod: {
      nlohmann::json args = {{"action", "list"},
                             {"from", p.period_from ? p.period_from->ToString() : today_s},
                             {"to", p.period_to ? p.period_to->ToString() : today_s}};
      if (!p.customer_id.empty()) args["customerId"] = p.customer_id;
      call("processPaymentTool", std::move(args));
      return a;
    }

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

    case Intent::kListPlans:
      call("manageSubscriptionsTool", {{"action", "list_plans"}});
      return a;

    case Intent::kLtvReport: {
      nlohmann::json args = {{"action", "ltv"}};
      if (!p.customer_id.empty()) args["customerId"] = p.customer_id;
      if (!p.currency.empty()) args["currency"] = p.currency;
      call("billingReportsTool", std::move(args));
      return a;
    }

    case Intent::kForecastReport: {
      nlohmann::json args = {{"action", "forecast"}};
      if (!p.currency.empty()) args["currency"] = p.currency;
      call("billingReportsTool", std::move(args));
      return a;
    }

    case Intent::kAgingReport:
    case Intent::kRevenueReport:
    case Intent::kMrrReport:
    case Intent::kPaymentSuccessReport: {
      const char* action = p.intent == Intent::kAgingReport     ? "aging"
                           : p.intent == Intent::kRevenueReport ? "revenue"
                           : p.intent == Intent::kMrrReport     ? "mrr"
                                                                : "payment_success";
      nlohmann::json args = {{"action", action}};
      if (!p.currency.empty()) args["currency"] = p.currency;
      if (p.intent == Intent::kAgingReport) {
        if (!p.customer_id.empty()) args["customerId"] = p.customer_id;
      } else if (p.period_from && p.period_to) {
        args["from"] = p.period_from->ToString().substr(0, 7);
        args["to"] = p.period_to->ToString().substr(0, 7);
      }
      if (p.intent == Intent::kPaymentSuccessReport && !p.payment_method.empty()) {
        args["method"] = p.payment_method;
      }
      call("billingReportsTool", std::move(args));
      return a;
    }

    case Intent::kCreatePlan: {
      std::vector<std::string> missing;
      if (p.plan.empty()) missing.push_back("the plan's name");
      if (p.plan_price.empty()) missing.push_back("its price per period");
      if (!p.bad_amount.empty()) {
        a.reply = p.bad_amount + ". Nothing was created.";
        return a;
      }
      if (!missing.empty()) {
        a.reply = "To create a plan I need " + JoinMissing(missing) +
                  " (for example: Create a plan called Team at $79 per quarter). Nothing was "
                  "created.";
        return a;
      }
      nlohmann::json args = {{"action", "create_plan"}, {"name", p.plan}, {"price", p.plan_price}};
      if (!p.currency.empty()) args["currency"] = p.currency;
      if (!p.billing_cycle.empty()) args["interval"] = p.billing_cycle;
      call("manageSubscriptionsTool", std::move(args));
      return a;
    }

    case Intent::kCreateSubscription: {
      if (p.customer_id.empty() && p.names_company && !p.customer_checked) {
        lookup();
        return a;
      }
      std::vector<std::string> missing;
      if (p.customer_id.empty()) missing.push_back("the customer (e.g. CUST-001)");
      if (p.plan.empty()) missing.push_back("the plan (e.g. Basic or Premium Plan)");
      if (!missing.empty()) {
        a.reply = "To start a subscription I need " + JoinMissing(missing) +
                  ". Ask me to list the plans if you want to see them. Nothing was created.";
        return a;
      }
      nlohmann::json args = {
          {"action", "create"}, {"customerId", p.customer_id}, {"planId", p.plan}};
      if (p.date && *p.date != today) args["startDate"] = p.date->ToString();
      if (!p.coupon_code.empty()) args["couponCode"] = p.coupon_code;
      if (p.automatic_collection) args["collection"] = "automatic";
      call("manageSubscriptionsTool", std::move(args));
      return a;
    }

    case Intent::kGetSubscription:
      call("manageSubscriptionsTool", {{"action", "get"}, {"subscriptionId", p.subscription_id}});
      return a;

    case Intent::kListSubscriptions: {
      if (p.customer_id.empty() && p.names_company) {
        lookup();
        return a;
      }
      nlohmann::json args = {{"action", "list"}};
      if (!p.customer_id.empty()) args["customerId"] = p.customer_id;
      if (p.customer_status == "active") args["status"] = "active";
      if (!p.invoice_status.empty() && p.invoice_status == "cancelled") args["status"] = "canceled";
      call("manageSubscriptionsTool", std::move(args));
      return a;
    }

    case Intent::kSubscriptionRenewals:
      call("manageSubscriptionsTool", {{"action", "renewals"}, {"days", p.renew_days}});
      return a;

    case Intent::kListDunning:
      call("manageSubscriptionsTool", {{"action", "dunning"}});
      return a;

    case Intent::kChangeSubscription:
      if (p.subscription_id.empty()) {
        a.reply =
            "Which subscription should change? Give me its id (e.g. SUB-001); I can list a "
            "customer's subscriptions. Nothing was changed.";
        return a;
      }
      if (p.plan.empty()) {
        a.reply = "Which plan should " + p.subscription_id +
                  " move to? Ask me to list the plans if you want to see them. Nothing was "
                  "changed.";
        return a;
      }
      call("manageSubscriptionsTool",
           {{"action", "change"}, {"subscriptionId", p.subscription_id}, {"planId", p.plan}});
      return a;

    case Intent::kCancelSubscription:
      if (p.subscription_id.empty()) {
        a.reply =
            "Which subscription should I cancel? Give me its id (e.g. SUB-001). Nothing was "
            "canceled.";
        return a;
      }
      call("manageSubscriptionsTool", {{"action", "cancel"},
                                       {"subscriptionId", p.subscription_id},
                                       {"atPeriodEnd", p.at_period_end}});
      return a;

    case Intent::kCreateCustomer: {
      const NewCustomerFields& f = p.new_customer;
      std::vector<std::string> missing;
      if (f.company.empty()) missing.push_back("the company name");
      if (f.email.empty()) missing.push_back("the billing email address");
      if (!missing.empty()) {
        a.reply = "To add a customer I need " + JoinMissing(missing) +
                  "; I can also take the billing cycle, payment method, currency, language, tax "
                  "rate and payment terms. Nothing was created.";
        return a;
      }
      nlohmann::json args = {{"action", "create"}, {"company", f.company}, {"email", f.email}};
      PutCustomerFields(p, args);
      call("manageCustomersTool", std::move(args));
      return a;
    }

    case Intent::kUpdateCustomer: {
      const NewCustomerFields& f = p.new_customer;
      nlohmann::json args = {{"action", "update"}, {"customerId", p.customer_id}};
      if (!f.company.empty()) args["company"] = f.company;
      if (!f.email.empty()) args["email"] = f.email;
      PutCustomerFields(p, args);
      if (args.size() == 2) {
        a.reply = "What should change for " + p.customer_id +
                  "? I can change the company name, email, contact, billing cycle, payment "
                  "method, currency, language, tax rate and payment terms. Nothing was changed.";
        return a;
      }
      call("manageCustomersTool", std::move(args));
      return a;
    }

    case Intent::kSuspendCustomer:
    case Intent::kReinstateCustomer: {
      const bool suspend = p.intent == Intent::kSuspendCustomer;
      if (p.customer_id.empty() && p.names_company && !p.customer_checked) {
        lookup();
        return a;
      }
      if (p.customer_id.empty()) {
        a.reply = std::string("Which customer should I ") + (suspend ? "suspend" : "reinstate") +
                  "? Give me its id (e.g. CUST-002) or company name. Nothing was changed.";
        return a;
      }
      call("manageCustomersTool",
           {{"action", suspend ? "suspend" : "reinstate"}, {"customerId", p.customer_id}});
      return a;
    }
  }
  a.reply = HelpText();
  return a;
}

}  // namespace billing
