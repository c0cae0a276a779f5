// process-payment: process (simulated processor, allocation to invoices), refund (full or
// partial), history per customer, failed payments.
#include "billing/rules.h"
#include "money/money.h"
#include "tools/billing_tool.h"

namespace billing {
namespace {

constexpr const char* kInputSchema = R"json({
  "type": "object",
  "properties": {
    "action": {"type": "string", "enum": ["process", "refund", "history", "list_failed", "list"], "description": "Operation to perform; list: every payment made in a period (from/to), e.g. how much was collected this month"},
    "customerId": {"type": "string", "maxLength": 64, "description": "Customer id (required for process and history; optional filter for list_failed and list)"},
    "from": {"type": "string", "description": "First day of the period, YYYY-MM-DD (list; required)"},
    "to": {"type": "string", "description": "Last day of the period, YYYY-MM-DD, inclusive (list; default today)"},
    "amount": {"type": ["number", "string"], "description": "Amount in USD, e.g. 750 or \"1,500.00\" (process; refund: partial amount, default the full remaining amount)"},
    "paymentMethod": {"type": "string", "enum": ["credit_card", "bank_transfer", "paypal", "crypto"], "description": "Payment method (process); defaults to the customer's"},
    "invoiceId": {"type": "string", "maxLength": 64, "description": "Invoice the payment applies to (process, optional; without it the payment settles open invoices oldest first)"},
    "paymentId": {"type": "string", "maxLength": 64, "description": "Payment id, e.g. PAY-001 (refund)"},
    "card": {"type": "object", "properties": {"number": {"type": "string", "maxLength": 32}, "expMonth": {"type": "integer", "minimum": 1, "maximum": 12}, "expYear": {"type": "integer", "minimum": 2000, "maximum": 2100}}, "required": ["number", "expMonth", "expYear"], "additionalProperties": false, "description": "A new card to charge and keep on file (process, API callers only: card numbers typed in chat are redacted before the model sees them)"},
    "paymentMethodId": {"type": "string", "maxLength": 64, "description": "A stored card to charge, e.g. PM-001 (process)"},
    "currency": {"type": "string", "maxLength": 3, "description": "ISO 4217 code of the money paid (process); default the customer's. Another currency than the customer's is refused (no conversion)"},
    "reason": {"type": "string", "maxLength": 2000, "description": "Refund reason (refund, optional)"},
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
    "success": {"type": "boolean"}, "message": {"type": "string"}, "payment": {}, "refund": {},
    "payments": {"type": "array"}, "count": {"type": "number"},
    "totalsCurrency": {"type": "string"}, "totalsByCurrency": {"type": "array"}
  },
  "required": ["success", "message"],
  "additionalProperties": true,
  "$schema": "http://json-schema.org/draft-07/schema#"
})json";

std::string Money(int64_t cents, std::string_view currency = "USD") {
  return FormatMoney(cents, currency);
}

// The customer's balance after the change, in its currency, which the result names beside it
// (a EUR customer's balance is not dollars; the payment object carries its own currency too).
void PutBalance(nlohmann::json& j, int64_t balance_cents, std::string_view currency) {
  PutAmount(j, "newBalance", balance_cents, CurrencyOrUsd(currency));
  j["currency"] = std::string(CurrencyOrUsd(currency).code);
}

std::string BalanceText(int64_t balance_cents, std::string_view currency) {
  return balance_cents < 0 ? Money(-balance_cents, currency) + " in credit"
                           : Money(balance_cents, currency);
}

class ProcessPaymentTool final : public BillingTool {
 public:
  explicit ProcessPaymentTool(BillingService& s)
      : BillingTool("process-payment", "processPaymentTool",
                    "Process a payment for a customer (amount in USD; method credit_card, "
                    "bank_transfer, paypal or crypto; optionally for one invoice, otherwise applied "
                    "to open invoices oldest first; the simulated processor approves about 90%), "
                    "refund a completed payment in full or in part, show a customer's payment "
                    "history, or list failed payments.",
                    kInputSchema, kOutputSchema, s) {}

 protected:
  Result<nlohmann::json> Run(const nlohmann::json& args, const ToolContext& ctx) const override {
    const std::string action = StringArg(args, "action");
    if (action == "process") {
      PaymentRequest req;
      req.customer_id = StringArg(args, "customerId");
      if (req.customer_id.empty()) return Error::Invalid("customerId", "customerId is required to process a payment");
      auto amount = args.find("amount");
      if (amount == args.end()) return Error::Invalid("amount", "amount is required to process a payment");
      BILLING_ASSIGN_OR_RETURN(Currency currency, CustomerCurrency(service_, req.customer_id));
      BILLING_ASSIGN_OR_RETURN(req.amount_cents, AmountArg(*amount, "amount", service_, currency));
      req.method = StringArg(args, "paymentMethod");
      req.invoice_id = StringArg(args, "invoiceId");
      req.payment_method_id = StringArg(args, "paymentMethodId");
      req.currency = StringArg(args, "currency");
      if (auto card = args.find("card"); card != args.end()) {
        req.card = NewCard{card->value("number", std::string()), card->value("expMonth", 0),
                           card->value("expYear", 0)};
      }
      req.actor = ctx.actor;
      req.request_id = ctx.request_id;
      req.idempotency_key = ctx.idempotency_key;
      req.operation_key = ctx.operation_key;
      BILLING_ASSIGN_OR_RETURN(PaymentOutcome out, service_.ProcessPayment(req));
      const Payment& p = out.payment;
      nlohmann::json j;
      if (out.approved) {
        // The message names the first invoices paid; "allocations" holds every one of them.
        constexpr size_t kNamedInMessage = 10;
        std::string applied;
        for (size_t k = 0; k < p.allocations.size() && k < kNamedInMessage; ++k) {
          const Allocation& a = p.allocations[k];
          applied += (applied.empty() ? "" : ", ") + Money(a.amount_cents, p.currency) + " to " + a.invoice_id;
        }
        if (p.allocations.size() > kNamedInMessage) {
          applied += " and " + FormatCount(int64_t(p.allocations.size() - kNamedInMessage)) +
                     " more invoices (" + FormatCount(int64_t(p.allocations.size())) + " in all)";
        }
        j = {{"success", true},
             {"message", "Payment " + p.id + " of " + Money(p.amount_cents, p.currency) + " via " + p.method +
                             " completed (transaction " + p.transaction_id + ")" +
                             (applied.empty() ? std::string(". Not applied to any invoice (held as credit)")
                                              : ". Applied: " + applied) +
                             ". New balance: " + BalanceText(out.new_balance_cents, out.payment.currency)}};
      } else {
        j = {{"success", false},
             {"declined", true},
             {"message", "Payment " + p.id + " of " + Money(p.amount_cents, p.currency) + " via " + p.method +
                             " was declined: " + p.failure_reason +
                             ". Nothing was charged; the balance is unchanged at " +
                             BalanceText(out.new_balance_cents, out.payment.currency)}};
      }
      j["payment"] = PaymentJson(p);
      PutBalance(j, out.new_balance_cents, out.payment.currency);
      MarkReplayed(j, out.replayed);
      return j;
    }
    if (action == "refund") {
      const std::string payment_id = StringArg(args, "paymentId");
      if (payment_id.empty()) return Error::Invalid("paymentId", "paymentId is required for a refund");
      std::optional<int64_t> amount;
      if (auto a = args.find("amount"); a != args.end()) {
        BILLING_ASSIGN_OR_RETURN(Currency currency, PaymentCurrency(service_, payment_id));
        BILLING_ASSIGN_OR_RETURN(int64_t cents, AmountArg(*a, "amount", service_, currency));
        amount = cents;
      }
      BILLING_ASSIGN_OR_RETURN(RefundOutcome out, service_.RefundPayment(payment_id, amount, StringArg(args, "reason"), ctx.actor,
                                                    ctx.request_id, ctx.operation_key,
                                                    ctx.idempotency_key));
      nlohmann::json j = {
          {"success", true},
          {"message", "Refunded " + Money(out.refund.amount_cents, out.payment.currency) + " of payment " + out.payment.id +
                          " (refund " + out.refund.id + ", transaction " + out.refund.transaction_id +
                          "). Payment is now " + out.payment.status + ". New balance: " +
                          BalanceText(out.new_balance_cents, out.payment.currency)},
          {"refund", RefundJson(out.refund, out.payment.currency)},
          {"payment", PaymentJson(out.payment)}};
      PutBalance(j, out.new_balance_cents, out.payment.currency);
      MarkReplayed(j, out.replayed);
      return j;
    }
    if (action == "history") {
      const std::string customer_id = StringArg(args, "customerId");
      if (customer_id.empty()) return Error::Invalid("customerId", "customerId is required for payment history");
      const PageSpec page = PageArg(args);
      BILLING_ASSIGN_OR_RETURN(PaymentHistory h, service_.History(customer_id, page));
      nlohmann::json payments = nlohmann::json::array();
      for (const Payment& p : h.payments) payments.push_back(PaymentJson(p));
      nlohmann::json j = {{"success", true},
                          {"message", FormatCount(h.totals.count) + " payment(s) for " + h.customer.company +
                                          PageText(h.totals.count, h.payments.size(), page, "newest first")},
                          {"customerId", h.customer.id},
                          {"customerName", h.customer.company},
                          {"payments", std::move(payments)}};
      PutPage(j, h.totals.count, h.payments.size(), page);
      const Currency currency = CurrencyOrUsd(h.totals.currency);
      PutAmount(j, "totalPaid", h.totals.settled_cents, currency);
      PutAmount(j, "totalRefunded", h.totals.refunded_cents, currency);
      j["currency"] = std::string(currency.code);  // the totals are in the customer's currency
      return j;
    }
    if (action == "list_failed") {
      const PageSpec page = PageArg(args);
      BILLING_ASSIGN_OR_RETURN(PaymentList list, service_.FailedPayments(StringArg(args, "customerId"), page));
      nlohmann::json payments = nlohmann::json::array();
      for (const Payment& p : list.payments) payments.push_back(PaymentJson(p));
      nlohmann::json j = {{"success", true},
                          {"message", "Found " + FormatCount(list.totals.count) + " failed payment(s)" +
                                          PageText(list.totals.count, list.payments.size(), page, "newest first")},
                          {"payments", std::move(payments)}};
      PutPage(j, list.totals.count, list.payments.size(), page);
      PutTotals(j, list.totals, [](nlohmann::json& out, const PaymentTotals& t) {
        PutAmount(out, "totalFailed", t.amount_cents, CurrencyOrUsd(t.currency));
      });
      return j;
    }
    if (action == "list") {
      Date from, to = service_.Today();
      if (!Date::Parse(StringArg(args, "from"), &from)) {
        return Error::Invalid("from", "from must be a date YYYY-MM-DD (the first day of the period)");
      }
      if (args.contains("to") && !args["to"].is_null() && !Date::Parse(StringArg(args, "to"), &to)) {
        return Error::Invalid("to", "to must be a date YYYY-MM-DD (the last day of the period)");
      }
      const PageSpec page = PageArg(args);
      BILLING_ASSIGN_OR_RETURN(PaymentList list, service_.PaymentsInPeriod(StringArg(args, "customerId"),
                                                                           from, to, page));
      nlohmann::json payments = nlohmann::json::array();
      for (const Payment& p : list.payments) payments.push_back(PaymentJson(p));
      nlohmann::json j = {{"success", true},
                          {"message", "Found " + FormatCount(list.totals.count) + " payment(s) from " +
                                          from.ToString() + " to " + to.ToString() +
                                          PageText(list.totals.count, list.payments.size(), page, "newest first")},
                          {"from", from.ToString()},
                          {"to", to.ToString()},
                          {"payments", std::move(payments)}};
      PutPage(j, list.totals.count, list.payments.size(), page);
      // Collected: what went through (settled), less what was refunded of it since.
      PutTotals(j, list.totals, [](nlohmann::json& out, const PaymentTotals& t) {
        const Currency currency = CurrencyOrUsd(t.currency);
        PutAmount(out, "totalPaid", t.settled_cents, currency);
        PutAmount(out, "totalRefunded", t.refunded_cents, currency);
        PutAmount(out, "totalCollected", t.settled_cents - t.refunded_cents, currency);
        PutAmount(out, "totalFailed", t.amount_cents - t.settled_cents, currency);
      });
      return j;
    }
    return Error::Invalid("action", "action must be one of process, refund, history, list_failed, list");
  }
};

}  // namespace

std::unique_ptr<Tool> MakeProcessPaymentTool(BillingService& service) {
  return std::make_unique<ProcessPaymentTool>(service);
}

}  // namespace billing
