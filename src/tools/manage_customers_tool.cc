// manage-customers: create, update, suspend and reinstate customers (issue #13). Reading a
// customer stays with get-customer. Every field's rule lives in billing/customer_service.cc; this
// file reads the arguments and words the result. Decisions: docs/customers.md.
#include <algorithm>
#include <cctype>

#include "billing/rules.h"
#include "tools/billing_tool.h"

namespace billing {
namespace {

constexpr const char* kInputSchema = R"json({
  "type": "object",
  "properties": {
    "action": {"type": "string", "enum": ["create", "update", "suspend", "reinstate"], "description": "Operation to perform"},
    "customerId": {"type": "string", "maxLength": 64, "description": "Customer id, e.g. CUST-001 (update, suspend, reinstate)"},
    "company": {"type": "string", "maxLength": 200, "description": "Company name (required for create)"},
    "email": {"type": "string", "maxLength": 254, "description": "Billing email address (required for create)"},
    "contactName": {"type": "string", "maxLength": 200, "description": "Contact person"},
    "billingCycle": {"type": "string", "enum": ["monthly", "quarterly", "annual"], "description": "Billing cycle (create default monthly)"},
    "paymentMethod": {"type": "string", "enum": ["credit_card", "bank_transfer", "paypal", "crypto"], "description": "How the customer pays (create default bank_transfer)"},
    "currency": {"type": "string", "maxLength": 3, "description": "ISO 4217 code such as USD, EUR, GBP, JPY (create default USD; update only while the customer has no invoices, payments or subscriptions)"},
    "locale": {"type": "string", "enum": ["en", "de", "fr", "es"], "description": "Language of the customer's messages (create default en)"},
    "taxRate": {"type": ["string", "number"], "description": "Tax rate in percent, e.g. 19 or \"8.25%\"; \"default\" = the server's default rate (create default: the default rate)"},
    "paymentTermsDays": {"type": "integer", "minimum": 1, "maximum": 365, "description": "Days from an invoice's issue to its due date for the customer's new subscriptions (create default 30)"}
  },
  "required": ["action"],
  "additionalProperties": false,
  "$schema": "http://json-schema.org/draft-07/schema#"
})json";

constexpr const char* kOutputSchema = R"json({
  "type": "object",
  "properties": {
    "success": {"type": "boolean"}, "message": {"type": "string"}, "customer": {},
    "changed": {"type": "array"}, "replayed": {"type": "boolean"}
  },
  "required": ["success", "message"],
  "additionalProperties": true,
  "$schema": "http://json-schema.org/draft-07/schema#"
})json";

// A tax rate in percent with at most two decimals ("19", "8.25%", 7.5) as basis points; nullopt
// inside for "default". Read from the number's text: no floating point.
Result<std::optional<int>> TaxRateArg(const nlohmann::json& value) {
  std::string text = value.is_string() ? value.get<std::string>() : value.dump();
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.pop_back();
  if (!text.empty() && text.back() == '%') text.pop_back();
  if (text == "default") return std::optional<int>();
  const auto bad = [&] {
    return Error::Invalid("taxRate",
                          "taxRate must be a percentage from 0 to 100 with at most two decimals, "
                          "like 19 or 8.25%");
  };
  const size_t dot = text.find('.');
  const std::string whole = text.substr(0, dot);
  std::string fraction = dot == std::string::npos ? "" : text.substr(dot + 1);
  if (whole.empty() || whole.size() > 3 || fraction.size() > 2) return bad();
  for (char ch : whole + fraction) {
    if (!std::isdigit(static_cast<unsigned char>(ch))) return bad();
  }
  while (fraction.size() < 2) fraction += '0';
  const int bp = std::stoi(whole) * 100 + std::stoi(fraction);
  if (bp > 10'000) return bad();
  return std::optional<int>(bp);
}

// "bank transfer" for bank_transfer: how a sentence says it.
std::string MethodWords(std::string method) {
  std::replace(method.begin(), method.end(), '_', ' ');
  return method;
}

nlohmann::json Json(const Customer& c, int default_tax_bp) {
  CustomerView view;
  view.customer = c;
  return CustomerJson(view, Date{}, false, default_tax_bp);
}

class ManageCustomersTool final : public BillingTool {
 public:
  explicit ManageCustomersTool(BillingService& s)
      : BillingTool("manage-customers", "manageCustomersTool",
                    "Create a customer (company, billing email, billing cycle, payment method, "
                    "currency, locale, tax rate, payment terms), update any of those fields, "
                    "suspend a customer (no new invoices or subscriptions) or reinstate one. To "
                    "read customers use get-customer.",
                    kInputSchema, kOutputSchema, s) {}

 protected:
  Result<nlohmann::json> Run(const nlohmann::json& args, const ToolContext& ctx) const override {
    const std::string action = StringArg(args, "action");
    const int default_tax = service_.options().default_tax_rate_bp;
    const std::string customer_id = StringArg(args, "customerId");
    if (action != "create" && customer_id.empty()) {
      return Error::Invalid("customerId", "customerId is required to " + action + " a customer");
    }
    if (action == "create") {
      NewCustomer req;
      req.company = StringArg(args, "company");
      req.email = StringArg(args, "email");
      req.contact_name = StringArg(args, "contactName");
      if (args.contains("billingCycle")) req.billing_cycle = StringArg(args, "billingCycle");
      if (args.contains("paymentMethod")) req.payment_method = StringArg(args, "paymentMethod");
      if (args.contains("currency")) req.currency = StringArg(args, "currency");
      if (args.contains("locale")) req.locale = StringArg(args, "locale");
      if (auto t = args.find("taxRate"); t != args.end()) {
        BILLING_ASSIGN_OR_RETURN(req.tax_rate_bp, TaxRateArg(*t));
      }
      if (auto t = args.find("paymentTermsDays"); t != args.end()) {
        req.payment_terms_days = int(t->get<int64_t>());
      }
      req.actor = ctx.actor;
      req.request_id = ctx.request_id;
      req.operation_key = ctx.operation_key;
      req.idempotency_key = ctx.idempotency_key;
      BILLING_ASSIGN_OR_RETURN(CustomerChange out, service_.CreateCustomer(req));
      const Customer& c = out.customer;
      nlohmann::json result = {
          {"success", true},
          {"message", "Customer " + c.id + " (" + c.company + ") created: " + c.email + ", " +
                          c.billing_cycle + ", paying by " + MethodWords(c.payment_method) +
                          ", in " + c.currency + ", tax " +
                          FormatTaxRate(c.tax_rate_bp.value_or(default_tax)) + ", payment terms " +
                          std::to_string(c.payment_terms_days) + " days"},
          {"customer", Json(c, default_tax)}};
      MarkReplayed(result, out.replayed);
      return result;
    }
    if (action == "update") {
      CustomerUpdate req;
      req.customer_id = customer_id;
      const auto text = [&](const char* name) -> std::optional<std::string> {
        if (!args.contains(name)) return std::nullopt;
        return StringArg(args, name);
      };
      req.company = text("company");
      req.email = text("email");
      req.contact_name = text("contactName");
      req.billing_cycle = text("billingCycle");
      req.payment_method = text("paymentMethod");
      req.currency = text("currency");
      req.locale = text("locale");
      if (auto t = args.find("taxRate"); t != args.end()) {
        BILLING_ASSIGN_OR_RETURN(std::optional<int> bp, TaxRateArg(*t));
        req.tax_rate_bp = bp;
      }
      if (auto t = args.find("paymentTermsDays"); t != args.end()) {
        req.payment_terms_days = int(t->get<int64_t>());
      }
      req.actor = ctx.actor;
      req.request_id = ctx.request_id;
      req.idempotency_key = ctx.idempotency_key;
      BILLING_ASSIGN_OR_RETURN(CustomerChange out, service_.UpdateCustomer(req));
      const Customer& c = out.customer;
      std::string changed;
      for (const std::string& name : out.changed) changed += (changed.empty() ? "" : ", ") + name;
      return nlohmann::json{
          {"success", true},
          {"message", out.changed.empty()
                          ? "Customer " + c.id + " (" + c.company +
                                ") already had those values; "
                                "nothing changed"
                          : "Customer " + c.id + " (" + c.company + ") updated: " + changed},
          {"changed", out.changed},
          {"customer", Json(c, default_tax)}};
    }
    if (action == "suspend" || action == "reinstate") {
      const bool suspend = action == "suspend";
      BILLING_ASSIGN_OR_RETURN(CustomerChange out,
                               service_.SetCustomerSuspended(customer_id, suspend, ctx.actor,
                                                             ctx.request_id, ctx.idempotency_key));
      const Customer& c = out.customer;
      return nlohmann::json{
          {"success", true},
          {"message", suspend
                          ? "Customer " + c.id + " (" + c.company +
                                ") suspended: no new invoices or subscriptions and no "
                                "renewal invoices until reinstated"
                          : "Customer " + c.id + " (" + c.company + ") reinstated: active again"},
          {"changed", out.changed},
          {"customer", Json(c, default_tax)}};
    }
    return Error::Invalid("action", "action must be one of create, update, suspend, reinstate");
  }
};

}  // namespace

std::unique_ptr<Tool> MakeManageCustomersTool(BillingService& service) {
  return std::make_unique<ManageCustomersTool>(service);
}

}  // namespace billing
