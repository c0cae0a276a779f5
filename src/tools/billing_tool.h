// Shared machinery of the three billing tools: schema validation with null-as-absent, mapping of
// service errors to tool results, JSON views of the domain records (docs/tools.md), and typed
// readers for input fields (amounts, dates, enums) whose errors name the field and the rule.
// Execute() is also where authorisation happens: after schema validation, the scope the action
// needs (RequiredScope, auth/scopes.h) is checked against ctx.scopes, and a caller without it
// gets PermissionDeniedResult (nothing runs). Every tool call, from the agent loop or from the
// HTTP tool routes, passes through here.
//
// Thread-safety: BillingTool is immutable; Execute() is safe from many threads.
#pragma once

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "billing/service.h"
#include "money/money.h"
#include "tools/tool.h"

namespace billing {

class BillingTool : public Tool {
 public:
  BillingTool(std::string id, std::string key, std::string description, const char* input_schema,
              const char* output_schema, BillingService& service);

  const std::string& id() const override { return id_; }
  const std::string& key() const override { return key_; }
  const std::string& description() const override { return description_; }
  const nlohmann::json& input_schema() const override { return input_schema_; }
  const nlohmann::json& output_schema() const override { return output_schema_; }

  nlohmann::json Execute(const nlohmann::json& input, const ToolContext& ctx) const final;
  // Every action but the read-only ones (auth/scopes.h) writes.
  bool Writes(const nlohmann::json& input) const override;

 protected:
  // `args` is schema-valid with nulls removed.
  virtual Result<nlohmann::json> Run(const nlohmann::json& args, const ToolContext& ctx) const = 0;

  BillingService& service_;

 private:
  // Execute() before the call is counted.
  nlohmann::json ExecuteUncounted(const nlohmann::json& input, const ToolContext& ctx) const;

  std::string id_, key_, description_;
  nlohmann::json input_schema_, output_schema_;
};

// --- field readers ----------------------------------------------------------------------------
std::string StringArg(const nlohmann::json& args, const char* name);
// An amount in `currency`'s minor units (JPY has none: "5000" is 5000).
Result<int64_t> AmountArg(const nlohmann::json& value, const std::string& field,
                          const BillingService& service, const Currency& currency = Usd());
// The currency of a customer (kNotFound naming customerId when there is none), of an invoice or
// draft (invoiceId), of a payment (paymentId): what the amounts given about them are in.
Result<Currency> CustomerCurrency(BillingService& service, const std::string& customer_id);
Result<Currency> InvoiceCurrency(BillingService& service, const std::string& invoice_id);
Result<Currency> PaymentCurrency(BillingService& service, const std::string& payment_id);
Result<Date> DateArg(const nlohmann::json& value, const std::string& field);
// Parses `items` ([{description, quantity?, unitPrice}]) or the amount+description shortcut.
Result<std::vector<NewLineItem>> ItemsArg(const nlohmann::json& args, const BillingService& service,
                                          const Currency& currency = Usd());

// --- views ------------------------------------------------------------------------------------
nlohmann::json InvoiceJson(const Invoice& inv, const Date& today);
nlohmann::json InvoiceSummaryJson(const Invoice& inv, const Date& today);
nlohmann::json PaymentJson(const Payment& p);
nlohmann::json CreditNoteJson(const CreditNote& cn);
nlohmann::json CouponJson(const Coupon& c);
// In its payment's currency, which it names.
nlohmann::json RefundJson(const Refund& r, std::string_view currency);
// Plans, subscriptions and billing runs (subscription_views.cc).
nlohmann::json PlanJson(const Plan& p);
nlohmann::json SubscriptionJson(const SubscriptionView& v);
nlohmann::json BillingRunJson(const BillingRunReport& r);
// A page of a list result: at most kMaxPageSize rows from `offset` (the schemas bound "limit" and
// "offset"; out-of-range values are clamped here too).
inline constexpr size_t kMaxPageSize = 100;
inline constexpr int64_t kMaxOffset = 1'000'000'000;
PageSpec PageArg(const nlohmann::json& args);
// "count": every matching row (exact, from the store's aggregate), "returned" (rows in this page),
// "offset", "hasMore" and, when there are more, "nextOffset". Totals in list results are over every
// matching row, never just the page.
void PutPage(nlohmann::json& out, int64_t count, size_t returned, const PageSpec& page);
// For a list message: "" when the page holds every row, else "; showing 101-200 (newest first)".
std::string PageText(int64_t count, size_t returned, const PageSpec& page, const char* order);

// The money totals of a list (TotalsByCurrency), never added across currencies: a list of one
// currency gets them as fields of `out` (`put(out, totals)`, e.g. "total" and "totalCents") and
// "totalsCurrency"; a list spanning several gets "totalsByCurrency": one object per currency
// with "currency", "count" and the same fields, and no money field of its own.
template <typename Totals, typename PutFields>
void PutTotals(nlohmann::json& out, const TotalsByCurrency<Totals>& totals, const PutFields& put) {
  if (totals.by_currency.size() == 1) {
    put(out, totals.by_currency.front());
    out["totalsCurrency"] = totals.by_currency.front().currency;
    return;
  }
  nlohmann::json per = nlohmann::json::array();
  for (const Totals& t : totals.by_currency) {
    nlohmann::json one = {{"currency", t.currency}, {"count", t.count}};
    put(one, t);
    per.push_back(std::move(one));
  }
  out["totalsByCurrency"] = std::move(per);
}

// For a change that had already been made under the same operation key: "replayed": true and a
// message that says nothing new was charged or created.
void MarkReplayed(nlohmann::json& result, bool replayed);
nlohmann::json CustomerJson(const CustomerView& v, const Date& today, bool detail,
                            int default_tax_rate_bp);

// The three tools.
std::unique_ptr<Tool> MakeGetCustomerTool(BillingService& service);
std::unique_ptr<Tool> MakeManageInvoicesTool(BillingService& service);
std::unique_ptr<Tool> MakeProcessPaymentTool(BillingService& service);
std::unique_ptr<Tool> MakeManageSubscriptionsTool(BillingService& service);
std::unique_ptr<Tool> MakeManageCustomersTool(BillingService& service);
std::unique_ptr<Tool> MakeBillingReportsTool(BillingService& service);
// The registry of the billing agent: the tools in a fixed order.
void RegisterBillingTools(ToolRegistry& registry, BillingService& service);

}  // namespace billing
