// manage-invoices: create (line items, automatic tax), get (short ids resolve), list (filters,
// overdue), update, mark_paid (records the payment), cancel.
#include "billing/rules.h"
#include "money/money.h"
#include "tools/billing_tool.h"

namespace billing {
namespace {

constexpr const char* kInputSchema = R"json({
  "type": "object",
  "properties": {
    "action": {"type": "string", "enum": ["create", "get", "list", "update", "mark_paid", "cancel"], "description": "Operation to perform"},
    "invoiceId": {"type": "string", "maxLength": 64, "description": "Invoice id, e.g. INV-2025-001 or the short form INV-001 (get, update, mark_paid, cancel)"},
    "customerId": {"type": "string", "maxLength": 64, "description": "Customer id (required for create; optional filter for list)"},
    "items": {
      "type": "array", "maxItems": 100,
      "items": {
        "type": "object",
        "properties": {
          "description": {"type": "string", "minLength": 1, "maxLength": 500, "description": "What is being billed"},
          "quantity": {"type": ["number", "string"], "description": "Quantity (default 1, up to 3 decimals)"},
          "unitPrice": {"type": ["number", "string"], "description": "Unit price in USD before tax, e.g. 25 or \"25.00\""}
        },
        "required": ["description", "unitPrice"],
        "additionalProperties": false
      },
      "description": "Line items (create; optional for update)"
    },
    "amount": {"type": ["number", "string"], "description": "Shortcut for one line of quantity 1 (create): the amount before tax"},
    "description": {"type": "string", "maxLength": 500, "description": "Description of the single line when amount is used"},
    "dueDate": {"type": "string", "description": "Due date YYYY-MM-DD, strictly after today (create; optional for update)"},
    "status": {"type": "string", "enum": ["pending", "paid", "overdue", "cancelled"], "description": "Status filter for list"},
    "notes": {"type": "string", "maxLength": 2000, "description": "Free-text notes (create/update)"},
    "paymentMethod": {"type": "string", "enum": ["credit_card", "bank_transfer", "paypal", "crypto"], "description": "Payment method used (mark_paid); defaults to the customer's"},
    "orderBy": {"type": "string", "enum": ["dueDate", "amountDue"], "description": "List order: dueDate (oldest due first, the default) or amountDue (most still due first, for rankings)"},
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
    "success": {"type": "boolean"}, "message": {"type": "string"}, "invoice": {},
    "invoices": {"type": "array"}, "payment": {}, "count": {"type": "number"}
  },
  "required": ["success", "message"],
  "additionalProperties": true,
  "$schema": "http://json-schema.org/draft-07/schema#"
})json";

std::string Money(int64_t cents) { return FormatMoney(cents, Usd()); }

class ManageInvoicesTool final : public BillingTool {
 public:
  explicit ManageInvoicesTool(BillingService& s)
      : BillingTool("manage-invoices", "manageInvoicesTool",
                    "Create, get, list, update, mark as paid, or cancel invoices. New invoices get "
                    "sequential numbers (INV-<year>-<seq>), tax (8% by default) is added "
                    "automatically, the due date must be after today and suspended customers "
                    "cannot receive new invoices. list filters by customerId and status "
                    "(pending|paid|overdue|cancelled); overdue is derived from today's date. "
                    "mark_paid records a completed payment for the amount still due.",
                    kInputSchema, kOutputSchema, s) {}

 protected:
  Result<nlohmann::json> Run(const nlohmann::json& args, const ToolContext& ctx) const override {
    const std::string action = StringArg(args, "action");
    const Date today = service_.Today();
    const std::string invoice_id = StringArg(args, "invoiceId");
    auto require_invoice_id = [&]() -> Status {
      if (invoice_id.empty()) return Error::Invalid("invoiceId", "invoiceId is required for action " + action);
      return OkStatus();
    };

    if (action == "create") {
      NewInvoice req;
      req.customer_id = StringArg(args, "customerId");
      if (req.customer_id.empty()) return Error::Invalid("customerId", "customerId is required to create an invoice");
      BILLING_ASSIGN_OR_RETURN(req.items, ItemsArg(args, service_));
      if (req.items.empty()) {
        return Error::Invalid("items", "at least one line item (or an amount) is required to create an invoice");
      }
      auto due = args.find("dueDate");
      if (due == args.end()) return Error::Invalid("dueDate", "dueDate (YYYY-MM-DD) is required to create an invoice");
      BILLING_ASSIGN_OR_RETURN(req.due_date, DateArg(*due, "dueDate"));
      req.notes = StringArg(args, "notes");
      req.actor = ctx.actor;
      req.request_id = ctx.request_id;
      req.idempotency_key = ctx.idempotency_key;
      req.operation_key = ctx.operation_key;
      BILLING_ASSIGN_OR_RETURN(Invoice inv, service_.CreateInvoice(req));
      return nlohmann::json{
          {"success", true},
          {"message", "Invoice " + inv.id + " created for " + inv.customer_name + ": subtotal " +
                          Money(inv.subtotal_cents) + " + tax (" + FormatTaxRate(inv.tax_rate_bp) +
                          ") " + Money(inv.tax_cents) + " = total " + Money(inv.total_cents) +
                          ", due " + inv.due_date.ToString()},
          {"invoice", InvoiceJson(inv, today)}};
    }
    if (action == "get") {
      BILLING_TRY(require_invoice_id());
      BILLING_ASSIGN_OR_RETURN(Invoice inv, service_.GetInvoice(invoice_id));
      return nlohmann::json{{"success", true},
                            {"message", "Invoice " + inv.id + " is " + EffectiveStatus(inv, today)},
                            {"invoice", InvoiceJson(inv, today)}};
    }
    if (action == "list") {
      const std::string status = StringArg(args, "status");
      const PageSpec page = PageArg(args);
      const bool by_amount_due = StringArg(args, "orderBy") == "amountDue";
      BILLING_ASSIGN_OR_RETURN(InvoiceList list, service_.ListInvoices(StringArg(args, "customerId"),
                                                                       status, page, by_amount_due));
      nlohmann::json invoices = nlohmann::json::array();
      for (const Invoice& inv : list.invoices) invoices.push_back(InvoiceJson(inv, today));
      nlohmann::json out = {
          {"success", true},
          {"message", "Found " + FormatCount(list.totals.count) + " invoice(s)" +
                          (status.empty() ? std::string() : " with status " + status) +
                          PageText(list.totals.count, list.invoices.size(), page,
                                   by_amount_due ? "most due first" : "oldest due first")},
          {"invoices", std::move(invoices)}};
      PutPage(out, list.totals.count, list.invoices.size(), page);
      PutAmount(out, "total", list.totals.total_cents);
      PutAmount(out, "amountDue", list.totals.due_cents);
      return out;
    }
    if (action == "update") {
      BILLING_TRY(require_invoice_id());
      InvoiceUpdate up;
      if (auto d = args.find("dueDate"); d != args.end()) {
        BILLING_ASSIGN_OR_RETURN(Date date, DateArg(*d, "dueDate"));
        up.due_date = date;
      }
      if (args.contains("notes")) up.notes = StringArg(args, "notes");
      if (args.contains("items") || args.contains("amount")) {
        BILLING_ASSIGN_OR_RETURN(auto items, ItemsArg(args, service_));
        up.items = std::move(items);
      }
      BILLING_ASSIGN_OR_RETURN(Invoice inv, service_.UpdateInvoice(invoice_id, up, ctx.actor, ctx.request_id,
                                                                   ctx.idempotency_key));
      std::string changed;
      if (up.due_date) changed += "dueDate";
      if (up.notes) changed += std::string(changed.empty() ? "" : ", ") + "notes";
      if (up.items) changed += std::string(changed.empty() ? "" : ", ") + "items";
      return nlohmann::json{{"success", true},
                            {"message", "Invoice " + inv.id + " updated (" + changed + ")"},
                            {"invoice", InvoiceJson(inv, today)}};
    }
    if (action == "mark_paid") {
      BILLING_TRY(require_invoice_id());
      BILLING_ASSIGN_OR_RETURN(auto out, service_.MarkInvoicePaid(invoice_id, StringArg(args, "paymentMethod"),
                                                                  ctx.actor, ctx.request_id, ctx.operation_key,
                                                                  ctx.idempotency_key));
      std::string message = "Invoice " + out.invoice.id + " marked as paid";
      if (!out.payment.id.empty()) {
        message += ": payment " + out.payment.id + " of " + Money(out.payment.amount_cents) + " via " +
                   out.payment.method + " recorded (transaction " + out.payment.transaction_id + ")";
      }
      nlohmann::json j = {{"success", true}, {"message", message}, {"invoice", InvoiceJson(out.invoice, today)}};
      if (!out.payment.id.empty()) j["payment"] = PaymentJson(out.payment);
      MarkReplayed(j, out.replayed);
      return j;
    }
    if (action == "cancel") {
      BILLING_TRY(require_invoice_id());
      BILLING_ASSIGN_OR_RETURN(Invoice inv, service_.CancelInvoice(invoice_id, ctx.actor, ctx.request_id,
                                                                   ctx.idempotency_key));
      return nlohmann::json{{"success", true},
                            {"message", "Invoice " + inv.id + " cancelled"},
                            {"invoice", InvoiceJson(inv, today)}};
    }
    return Error::Invalid("action", "action must be one of create, get, list, update, mark_paid, cancel");
  }
};

}  // namespace

std::unique_ptr<Tool> MakeManageInvoicesTool(BillingService& service) {
  return std::make_unique<ManageInvoicesTool>(service);
}

}  // namespace billing
