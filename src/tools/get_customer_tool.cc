// get-customer: one customer with open invoices and recent payments, or a filtered list.
#include <optional>
#include <string>

#include "billing/rules.h"
#include "money/money.h"
#include "tools/billing_tool.h"

namespace billing {
namespace {

constexpr const char* kInputSchema = R"json({
  "type": "object",
  "properties": {
    "customerId": {"type": "string", "maxLength": 64, "description": "Customer id, e.g. CUST-001 (any case). When given, filters are ignored."},
    "status": {"type": "string", "enum": ["active", "suspended"], "description": "Filter by account status"},
    "billingCycle": {"type": "string", "enum": ["monthly", "quarterly", "annual"], "description": "Filter by billing cycle"},
    "paymentMethod": {"type": "string", "enum": ["credit_card", "bank_transfer", "paypal", "crypto"], "description": "Filter by default payment method"},
    "hasOutstandingBalance": {"type": "boolean", "description": "true: only customers who owe money; false: only customers with nothing outstanding"},
    "minBalance": {"type": ["number", "string"], "description": "Only customers owing at least this amount, in the currency of 'currency' (USD when not given); implies that currency"},
    "currency": {"type": "string", "maxLength": 3, "description": "Only customers billed in this ISO 4217 currency, e.g. EUR (any case)"},
    "orderBy": {"type": "string", "enum": ["id", "balance"], "description": "List order: id (the default) or balance (highest outstanding balance first, for rankings such as who owes the most)"},
    "limit": {"type": "integer", "minimum": 1, "maximum": 100, "description": "Page size for lists (at most 100, the default)"},
    "offset": {"type": "integer", "minimum": 0, "maximum": 1000000000, "description": "Rows to skip for lists (default 0); use nextOffset from the previous page"}
  },
  "additionalProperties": false,
  "$schema": "http://json-schema.org/draft-07/schema#"
})json";

constexpr const char* kOutputSchema = R"json({
  "type": "object",
  "properties": {
    "success": {"type": "boolean"}, "message": {"type": "string"}, "customer": {},
    "customers": {"type": "array"}, "count": {"type": "number"},
    "totalOutstandingCents": {"type": "integer"}, "totalOutstanding": {"type": "string"},
    "totalsCurrency": {"type": "string"}, "totalsByCurrency": {"type": "array"}
  },
  "required": ["success", "message"],
  "additionalProperties": true,
  "$schema": "http://json-schema.org/draft-07/schema#"
})json";

class GetCustomerTool final : public BillingTool {
 public:
  explicit GetCustomerTool(BillingService& s)
      : BillingTool("get-customer", "getCustomerTool",
                    "Get billing details for one customer by id (e.g. CUST-001): contact, billing "
                    "cycle, payment method, status, outstanding balance, open invoices and recent "
                    "payments. Without an id, list customers filtered by status, billing cycle, "
                    "payment method and/or outstanding balance, with the total outstanding.",
                    kInputSchema, kOutputSchema, s) {}

 protected:
  Result<nlohmann::json> Run(const nlohmann::json& args, const ToolContext&) const override {
    const Date today = service_.Today();
    const int tax_bp = service_.options().default_tax_rate_bp;
    if (const std::string id = StringArg(args, "customerId"); !id.empty()) {
      BILLING_ASSIGN_OR_RETURN(CustomerView v, service_.GetCustomer(id));
      return nlohmann::json{{"success", true},
                            {"message", "Found customer " + v.customer.id + " (" + v.customer.company + ")"},
                            {"customer", CustomerJson(v, today, true, tax_bp)}};
    }
    CustomerQuery q;
    q.status = StringArg(args, "status");
    q.billing_cycle = StringArg(args, "billingCycle");
    q.payment_method = StringArg(args, "paymentMethod");
    if (auto it = args.find("hasOutstandingBalance"); it != args.end()) q.has_outstanding_balance = it->get<bool>();
    if (const std::string code = CanonicalId(StringArg(args, "currency")); !code.empty()) {
      const std::optional<Currency> currency = FindCurrency(code);
      if (!currency) return Error::Invalid("currency", "currency " + code + " is not a known ISO 4217 currency");
      q.currency = std::string(currency->code);
    }
    if (auto it = args.find("minBalance"); it != args.end()) {
      // An amount is of one currency: the list keeps to it (USD unless 'currency' says).
      if (q.currency.empty()) q.currency = std::string(Usd().code);
      AmountRules rules;
      rules.allow_zero = true;
      rules.max_minor = service_.options().max_amount_cents;
      BILLING_ASSIGN_OR_RETURN(int64_t min, ParseAmountJson(*it, CurrencyOrUsd(q.currency), rules, "minBalance"));
      q.min_balance_cents = min;
    }
    q.by_balance = StringArg(args, "orderBy") == "balance";
    const PageSpec page = PageArg(args);
    BILLING_ASSIGN_OR_RETURN(CustomerList list, service_.ListCustomers(q, page));
    nlohmann::json customers = nlohmann::json::array();
    for (const CustomerView& v : list.customers) customers.push_back(CustomerJson(v, today, false, tax_bp));
    nlohmann::json out = {{"success", true},
                          {"message", "Found " + FormatCount(list.totals.count) + " customer(s)" +
                                          PageText(list.totals.count, list.customers.size(), page,
                                                   q.by_balance ? "highest balance first" : "by id")},
                          {"customers", std::move(customers)}};
    PutPage(out, list.totals.count, list.customers.size(), page);
    PutTotals(out, list.totals, [](nlohmann::json& j, const CustomerTotals& t) {
      PutAmount(j, "totalOutstanding", t.outstanding_cents, CurrencyOrUsd(t.currency));
    });
    return out;
  }
};

}  // namespace

std::unique_ptr<Tool> MakeGetCustomerTool(BillingService& service) {
  return std::make_unique<GetCustomerTool>(service);
}

}  // namespace billing
