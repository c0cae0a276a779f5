// manage-invoices: create (line items, automatic tax; or a draft), get (short ids resolve), list
// (filters, overdue, drafts), update, mark_paid (records the payment), cancel, finalize and delete
// (drafts), credit_note (with a refund or customer credit for what was paid).
#include "billing/rules.h"
#include "money/money.h"
#include "tools/billing_tool.h"

namespace billing {
namespace {

constexpr const char* kInputSchema = R"json({
  "type": "object",
  "properties": {
    "action": {"type": "string", "enum": ["create", "get", "list", "update", "mark_paid", "cancel", "finalize", "delete", "credit_note", "create_coupon", "list_coupons", "archive_coupon"], "description": "Operation to perform"},
    "invoiceId": {"type": "string", "maxLength": 64, "description": "Invoice id, e.g. INV-2025-001 or the short form INV-001, or a draft's id draft_7 (get, update, mark_paid, cancel, finalize, delete, credit_note)"},
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
    "amount": {"type": ["number", "string"], "description": "create: shortcut for one line of quantity 1, the amount before tax. credit_note: the amount credited, tax included"},
    "draft": {"type": "boolean", "description": "create: make a draft (no number, editable, owes nothing) to finalize later"},
    "lines": {
      "type": "array", "maxItems": 100,
      "items": {
        "type": "object",
        "properties": {
          "line": {"type": "integer", "minimum": 1, "maximum": 100, "description": "The invoice's line number, from 1"},
          "quantity": {"type": ["number", "string"], "description": "How much of that line to credit (default: all of it)"}
        },
        "required": ["line"],
        "additionalProperties": false
      },
      "description": "credit_note: lines of the invoice to credit (instead of an amount); tax is credited in proportion"
    },
    "refundTo": {"type": "string", "enum": ["refund", "credit"], "description": "credit_note on a paid invoice: refund the money to the invoice's payments, or keep it as the customer's credit balance (used by their next invoices)"},
    "reason": {"type": "string", "maxLength": 2000, "description": "credit_note: why"},
    "couponCode": {"type": "string", "maxLength": 32, "description": "create: a coupon to redeem on the new invoice (or draft); update: a coupon for a draft (\"\" removes it); create_coupon/archive_coupon: the coupon's code"},
    "percentOff": {"type": ["number", "string"], "description": "create_coupon: percent taken off the subtotal before tax, e.g. 10 or \"12.5\""},
    "amountOff": {"type": ["number", "string"], "description": "create_coupon: a fixed amount taken off the subtotal before tax (instead of percentOff)"},
    "currency": {"type": "string", "maxLength": 3, "description": "create_coupon: currency of amountOff (default USD)"},
    "duration": {"type": "string", "enum": ["once", "repeating", "forever"], "description": "create_coupon: once (one invoice), repeating (durationPeriods invoices of a subscription) or forever"},
    "durationPeriods": {"type": "integer", "minimum": 1, "maximum": 120, "description": "create_coupon: for repeating coupons, how many invoices"},
    "redeemBy": {"type": "string", "description": "create_coupon: last day it may be redeemed, YYYY-MM-DD"},
    "maxRedemptions": {"type": "integer", "minimum": 1, "maximum": 1000000000, "description": "create_coupon: how many times it may be redeemed over all customers"},
    "name": {"type": "string", "maxLength": 200, "description": "create_coupon: a name for people"},
    "description": {"type": "string", "maxLength": 500, "description": "Description of the single line when amount is used"},
    "dueDate": {"type": "string", "description": "Due date YYYY-MM-DD, strictly after today (create; optional for update)"},
    "status": {"type": "string", "enum": ["pending", "paid", "overdue", "cancelled", "draft"], "description": "Status filter for list (draft lists drafts)"},
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
    "invoices": {"type": "array"}, "payment": {}, "count": {"type": "number"},
    "creditNote": {}, "creditNotes": {"type": "array"}, "refunds": {"type": "array"},
    "totalsCurrency": {"type": "string"}, "totalsByCurrency": {"type": "array"}
  },
  "required": ["success", "message"],
  "additionalProperties": true,
  "$schema": "http://json-schema.org/draft-07/schema#"
})json";

std::string Money(int64_t cents, std::string_view currency) {
  return FormatMoney(cents, currency);
}

// " - discount $20.00 (coupon WELCOME10)" when a coupon took something off; "" otherwise.
std::string DiscountText(const Invoice& inv) {
  if (inv.coupon_code.empty()) return "";
  return " - discount " + Money(inv.discount_cents, inv.currency) + " (coupon " + inv.coupon_code + ")";
}

// "draft_7" for any spelling of a draft id ("DRAFT-7").
std::string CanonicalDraftText(const std::string& raw) {
  const std::optional<int64_t> n = DraftNumber(CanonicalId(raw));
  return n ? DraftId(*n) : CanonicalId(raw);
}

class ManageInvoicesTool final : public BillingTool {
 public:
  explicit ManageInvoicesTool(BillingService& s)
      : BillingTool("manage-invoices", "manageInvoicesTool",
                    "Create, get, list, update, mark as paid, or cancel invoices; make drafts and "
                    "finalize or delete them; issue credit notes. New invoices get "
                    "sequential numbers (INV-<year>-<seq>), tax (8% by default) is added "
                    "automatically, the due date must be after today and suspended customers "
                    "cannot receive new invoices. create with draft=true makes a draft (draft_7: "
                    "no number, editable, owes nothing) that finalize turns into a numbered invoice. "
                    "list filters by customerId and status "
                    "(pending|paid|overdue|cancelled|draft); overdue is derived from today's date. "
                    "mark_paid records a completed payment for the amount still due. credit_note "
                    "credits an amount (tax included) or lines of a finalized invoice (CN-<year>-<seq>); "
                    "on a paid invoice refundTo says whether the money is refunded or kept as credit.",
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
      Currency currency = Usd();
      if (args.contains("items") || args.contains("amount")) {
        BILLING_ASSIGN_OR_RETURN(currency, CustomerCurrency(service_, req.customer_id));
      }
      BILLING_ASSIGN_OR_RETURN(req.items, ItemsArg(args, service_, currency));
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
      req.draft = args.value("draft", false);
      req.coupon_code = StringArg(args, "couponCode");
      BILLING_ASSIGN_OR_RETURN(Invoice inv, service_.CreateInvoice(req));
      if (inv.status == "draft") {
        return nlohmann::json{
            {"success", true},
            {"message", "Draft " + inv.id + " created for " + inv.customer_name + ": subtotal " +
                            Money(inv.subtotal_cents, inv.currency) + DiscountText(inv) + " + tax (" +
                            FormatTaxRate(inv.tax_rate_bp) + ") " +
                            Money(inv.tax_cents, inv.currency) + " = total " + Money(inv.total_cents, inv.currency) + ", due " +
                            inv.due_date.ToString() + ". It has no number and owes nothing until it is finalized."},
            {"invoice", InvoiceJson(inv, today)}};
      }
      std::string paid_by_credit;
      if (inv.paid_cents > 0) {
        paid_by_credit += "; the customer's credit paid " + Money(inv.paid_cents, inv.currency) + ", " +
                         Money(AmountDueCents(inv), inv.currency) + " is due";
      }
      return nlohmann::json{
          {"success", true},
          {"message", "Invoice " + inv.id + " created for " + inv.customer_name + ": subtotal " +
                          Money(inv.subtotal_cents, inv.currency) + DiscountText(inv) + " + tax (" +
                          FormatTaxRate(inv.tax_rate_bp) +
                          ") " + Money(inv.tax_cents, inv.currency) + " = total " + Money(inv.total_cents, inv.currency) +
                          ", due " + inv.due_date.ToString() + paid_by_credit},
          {"invoice", InvoiceJson(inv, today)}};
    }
    if (action == "get") {
      BILLING_TRY(require_invoice_id());
      BILLING_ASSIGN_OR_RETURN(Invoice inv, service_.GetInvoice(invoice_id));
      nlohmann::json out = {{"success", true},
                            {"message", "Invoice " + inv.id + " is " + EffectiveStatus(inv, today)},
                            {"invoice", InvoiceJson(inv, today)}};
      if (inv.credited_cents != 0) {
        BILLING_ASSIGN_OR_RETURN(std::vector<CreditNote> notes, service_.CreditNotesOf(inv.id));
        nlohmann::json list = nlohmann::json::array();
        for (const CreditNote& cn : notes) list.push_back(CreditNoteJson(cn));
        out["creditNotes"] = std::move(list);
      }
      return out;
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
      PutTotals(out, list.totals, [](nlohmann::json& j, const InvoiceTotals& t) {
        PutAmount(j, "total", t.total_cents, CurrencyOrUsd(t.currency));
        PutAmount(j, "amountDue", t.due_cents, CurrencyOrUsd(t.currency));
      });
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
      if (args.contains("couponCode")) up.coupon_code = StringArg(args, "couponCode");
      if (args.contains("items") || args.contains("amount")) {
        BILLING_ASSIGN_OR_RETURN(Currency currency, InvoiceCurrency(service_, invoice_id));
        BILLING_ASSIGN_OR_RETURN(auto items, ItemsArg(args, service_, currency));
        up.items = std::move(items);
      }
      BILLING_ASSIGN_OR_RETURN(Invoice inv, service_.UpdateInvoice(invoice_id, up, ctx.actor, ctx.request_id,
                                                                   ctx.idempotency_key));
      std::string changed;
      if (up.due_date) changed += "dueDate";
      if (up.notes) changed += std::string(changed.empty() ? "" : ", ") + "notes";
      if (up.items) changed += std::string(changed.empty() ? "" : ", ") + "items";
      if (up.coupon_code) {
        changed += std::string(changed.empty() ? "" : ", ") +
                   (inv.coupon_code.empty() ? std::string("coupon removed")
                                            : "coupon " + inv.coupon_code + " (" + Money(inv.discount_cents, inv.currency) +
                                                  " off before tax; total now " + Money(inv.total_cents, inv.currency) + ")");
      }
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
        message += ": payment " + out.payment.id + " of " + Money(out.payment.amount_cents, out.payment.currency) + " via " +
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
      const bool draft = inv.status == "deleted";
      return nlohmann::json{{"success", true},
                            {"message", draft ? "Draft " + inv.id + " deleted (a draft owes nothing, so it is "
                                                "deleted rather than cancelled)"
                                              : "Invoice " + inv.id + " cancelled"},
                            {"invoice", InvoiceJson(inv, today)}};
    }
    if (action == "delete") {
      BILLING_TRY(require_invoice_id());
      BILLING_ASSIGN_OR_RETURN(Invoice inv, service_.DeleteDraft(invoice_id, ctx.actor, ctx.request_id,
                                                                 ctx.idempotency_key));
      return nlohmann::json{{"success", true},
                            {"message", "Draft " + inv.id + " deleted"},
                            {"invoice", InvoiceJson(inv, today)}};
    }
    if (action == "finalize") {
      BILLING_TRY(require_invoice_id());
      BILLING_ASSIGN_OR_RETURN(Invoice inv, service_.FinalizeInvoice(invoice_id, ctx.actor, ctx.request_id,
                                                                     ctx.idempotency_key));
      std::string message = "Draft " + CanonicalDraftText(invoice_id) + " finalized as invoice " + inv.id + " for " +
                            inv.customer_name + ": total " + Money(inv.total_cents, inv.currency) + ", due " +
                            inv.due_date.ToString();
      if (inv.paid_cents > 0) message += "; the customer's credit paid " + Money(inv.paid_cents, inv.currency);
      return nlohmann::json{{"success", true}, {"message", message}, {"invoice", InvoiceJson(inv, today)}};
    }
    if (action == "credit_note") {
      BILLING_TRY(require_invoice_id());
      NewCreditNote req;
      req.invoice_id = invoice_id;
      if (auto a = args.find("amount"); a != args.end()) {
        BILLING_ASSIGN_OR_RETURN(Currency currency, InvoiceCurrency(service_, invoice_id));
        BILLING_ASSIGN_OR_RETURN(int64_t cents, AmountArg(*a, "amount", service_, currency));
        req.amount_cents = cents;
      }
      if (auto lines = args.find("lines"); lines != args.end()) {
        for (size_t k = 0; k < lines->size(); ++k) {
          const nlohmann::json& l = (*lines)[k];
          CreditLineRequest line;
          line.position = l.value("line", 0);
          line.quantity_milli = 0;  // all of the line unless a quantity is given
          if (auto q = l.find("quantity"); q != l.end()) {
            BILLING_ASSIGN_OR_RETURN(line.quantity_milli,
                                     ParseQuantityMilli(*q, "lines[" + std::to_string(k) + "].quantity"));
          }
          req.lines.push_back(line);
        }
      }
      req.refund_to = StringArg(args, "refundTo");
      req.reason = StringArg(args, "reason");
      // Money going back to the customer needs the refund scope, as a refund does.
      if (req.refund_to == "refund" && !HasScope(ctx.scopes, Scope::kRefund)) {
        return PermissionDeniedResult(ScopeRequirement{Scope::kRefund, "refund payments"});
      }
      req.actor = ctx.actor;
      req.request_id = ctx.request_id;
      req.operation_key = ctx.operation_key;
      req.idempotency_key = ctx.idempotency_key;
      BILLING_ASSIGN_OR_RETURN(CreditNoteOutcome out, service_.CreateCreditNote(req));
      const CreditNote& cn = out.credit_note;
      std::string message = "Credit note " + cn.id + " of " + Money(cn.total_cents, cn.currency) + " (tax " +
                            Money(cn.tax_cents, cn.currency) + ") issued on invoice " + cn.invoice_id;
      if (cn.due_reduced_cents > 0) message += "; amount due reduced by " + Money(cn.due_reduced_cents, cn.currency);
      if (cn.refunded_cents > 0) {
        std::string ids;
        for (const std::string& id : cn.refund_ids) ids += (ids.empty() ? "" : ", ") + id;
        message += "; " + Money(cn.refunded_cents, cn.currency) + " refunded (" + ids + ")";
      }
      if (cn.credit_cents > 0) message += "; " + Money(cn.credit_cents, cn.currency) + " kept as the customer's credit";
      message += ". Invoice " + out.invoice.id + " is now " + EffectiveStatus(out.invoice, today) +
                 " with " + Money(AmountDueCents(out.invoice), out.invoice.currency) + " due";
      nlohmann::json j = {{"success", true},
                          {"message", message},
                          {"creditNote", CreditNoteJson(cn)},
                          {"invoice", InvoiceJson(out.invoice, today)}};
      nlohmann::json refunds = nlohmann::json::array();
      for (const Refund& r : out.refunds) refunds.push_back(RefundJson(r, out.invoice.currency));
      j["refunds"] = std::move(refunds);
      PutAmount(j, "newBalance", out.new_balance_cents, CurrencyOrUsd(out.invoice.currency));
      j["currency"] = out.invoice.currency;  // of newBalance, as process-payment says it
      MarkReplayed(j, out.replayed);
      return j;
    }
    if (action == "create_coupon") {
      NewCoupon req;
      req.code = StringArg(args, "couponCode");
      if (req.code.empty()) return Error::Invalid("couponCode", "couponCode is required to create a coupon");
      req.name = StringArg(args, "name");
      if (auto p = args.find("percentOff"); p != args.end()) {
        // A percentage with up to two decimals is basis points: 12.5 -> 1250.
        BILLING_ASSIGN_OR_RETURN(int64_t bp, AmountArg(*p, "percentOff", service_));
        if (bp > 10'000) return Error::Invalid("percentOff", "percentOff must be at most 100");
        req.percent_off_bp = int(bp);
      }
      if (args.contains("currency")) req.currency = StringArg(args, "currency");
      if (auto a = args.find("amountOff"); a != args.end()) {
        // In the coupon's currency (an unknown code is the service's error to give).
        const Currency currency = CurrencyOrUsd(CanonicalId(req.currency));
        BILLING_ASSIGN_OR_RETURN(int64_t cents, AmountArg(*a, "amountOff", service_, currency));
        req.amount_off_cents = cents;
      }
      if (args.contains("duration")) req.duration = StringArg(args, "duration");
      if (auto n = args.find("durationPeriods"); n != args.end()) req.duration_periods = n->get<int64_t>();
      if (auto d = args.find("redeemBy"); d != args.end()) {
        BILLING_ASSIGN_OR_RETURN(Date by, DateArg(*d, "redeemBy"));
        req.redeem_by = by;
      }
      if (auto m = args.find("maxRedemptions"); m != args.end()) req.max_redemptions = m->get<int64_t>();
      req.actor = ctx.actor;
      req.request_id = ctx.request_id;
      req.idempotency_key = ctx.idempotency_key;
      BILLING_ASSIGN_OR_RETURN(Coupon c, service_.CreateCoupon(req));
      return nlohmann::json{{"success", true}, {"message", "Coupon " + c.code + " created"}, {"coupon", CouponJson(c)}};
    }
    if (action == "list_coupons") {
      BILLING_ASSIGN_OR_RETURN(std::vector<Coupon> coupons, service_.ListCoupons());
      nlohmann::json list = nlohmann::json::array();
      for (const Coupon& c : coupons) list.push_back(CouponJson(c));
      return nlohmann::json{{"success", true},
                            {"message", "Found " + FormatCount(int64_t(coupons.size())) + " coupon(s)"},
                            {"coupons", std::move(list)},
                            {"count", coupons.size()}};
    }
    if (action == "archive_coupon") {
      const std::string code = StringArg(args, "couponCode");
      if (code.empty()) return Error::Invalid("couponCode", "couponCode is required to archive a coupon");
      BILLING_ASSIGN_OR_RETURN(Coupon c, service_.ArchiveCoupon(code, ctx.actor, ctx.request_id, ctx.idempotency_key));
      return nlohmann::json{{"success", true},
                            {"message", "Coupon " + c.code +
                                            " archived: no new redemptions; those already redeemed keep running"},
                            {"coupon", CouponJson(c)}};
    }
    return Error::Invalid("action",
                          "action must be one of create, get, list, update, mark_paid, cancel, finalize, delete, "
                          "credit_note, create_coupon, list_coupons, archive_coupon");
  }
};

}  // namespace

std::unique_ptr<Tool> MakeManageInvoicesTool(BillingService& service) {
  return std::make_unique<ManageInvoicesTool>(service);
}

}  // namespace billing
