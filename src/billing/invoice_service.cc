// BillingService's invoices (billing/service.h): CreateInvoice, GetInvoice, ListInvoices,
// UpdateInvoice, CancelInvoice and MarkInvoicePaid, with the tax rate a new invoice takes. Lookups,
// line items, due dates and operation keys are shared with the other operations in service.cc and
// billing/service_internal.h; the rules are those of billing-rules.md, and the decisions where it
// is silent are in docs/billing.md.
#include <optional>
#include <string>
#include <vector>

#include "billing/audit.h"
#include "billing/list_totals.h"
#include "billing/rules.h"
#include "billing/service.h"
#include "billing/service_internal.h"
#include "billing/transaction_id.h"

namespace billing {

using internal::Change;
using internal::CheckPage;
using internal::Fingerprint;
using internal::kMaxNotesBytes;
using internal::Money;

// ---------------------------------------------------------------------------------------------
// Invoices

int BillingService::TaxRateFor(const Customer& c) const {
  return c.tax_rate_bp.value_or(options_.default_tax_rate_bp);
}

Result<Invoice> BillingService::CreateInvoice(const NewInvoice& request) {
  BILLING_TRY(RequireFutureDate(request.due_date));
  BILLING_ASSIGN_OR_RETURN(std::vector<LineItem> items, BuildItems(request.items));
  if (request.notes.size() > kMaxNotesBytes)
    return Error::Invalid("notes", "notes are longer than 2000 characters");
  if (request.draft) return CreateDraft(request, std::move(items));
  std::string fingerprint;
  if (!request.operation_key.empty()) {
    std::string item_text;
    for (const NewLineItem& li : request.items) {
      item_text += li.description + "\x1e" + std::to_string(li.quantity_milli) + "\x1e" +
                   std::to_string(li.unit_price_cents) + "\x1d";
    }
    BILLING_ASSIGN_OR_RETURN(fingerprint, Fingerprint({CanonicalId(request.customer_id), item_text,
                                                       request.due_date.ToString(), request.notes,
                                                       CanonicalId(request.coupon_code)}));
  }
  Invoice inv;
  Status s = store_.Write([&](StoreTx& tx) -> Status {
    inv = Invoice{};  // a re-run (store.h) starts from nothing
    if (!request.operation_key.empty()) {
      BILLING_ASSIGN_OR_RETURN(auto prior,
                               PriorOperation(tx, request.operation_key, "invoice", fingerprint));
      if (prior) {
        BILLING_ASSIGN_OR_RETURN(inv, ResolveInvoice(tx, prior->entity_id));
        return OkStatus();
      }
    }
    BILLING_ASSIGN_OR_RETURN(Customer c, RequireCustomer(tx, request.customer_id, "customerId"));
    if (c.status == "suspended") {
      return Error::Precondition(
          "Customer " + c.id + " (" + c.company + ") is suspended and cannot receive new invoices",
          "customerId");
    }
    const Date today = Today();
    std::optional<Coupon> coupon;
    if (!request.coupon_code.empty()) {
      BILLING_ASSIGN_OR_RETURN(coupon, RedeemableCoupon(tx, request.coupon_code, c, "couponCode"));
    }
    BILLING_ASSIGN_OR_RETURN(
        inv, IssueInvoice(tx, c, items, today, request.due_date, request.notes, request.actor,
                          request.request_id, request.idempotency_key, nullptr,
                          coupon ? &*coupon : nullptr));
    if (coupon) {
      BILLING_TRY(Redeem(tx, *coupon, c.id, inv.id, "", request.actor, request.request_id,
                         request.idempotency_key));
    }
    if (!request.operation_key.empty()) {
      BILLING_TRY(RecordOperation(tx, request.operation_key, "invoice", fingerprint, inv.id));
    }
    return OkStatus();
  });
  if (!s.ok()) return s.error();
  return inv;
}

Result<Invoice> BillingService::IssueInvoice(StoreTx& tx, const Customer& c,
                                             std::vector<LineItem> items, const Date& issue,
                                             const Date& due, const std::string& notes,
                                             const Actor& actor, const std::string& request_id,
                                             const std::string& idempotency_key,
                                             const InvoiceDraft* from_draft, const Coupon* coupon) {
  Invoice inv;
  inv.year = issue.year;
  BILLING_ASSIGN_OR_RETURN(inv.seq, tx.NextInvoiceSeq(inv.year));
  inv.id = InvoiceId(inv.year, inv.seq);
  inv.customer_id = c.id;
  inv.currency = c.currency;
  inv.customer_name = c.company;
  inv.items = std::move(items);
  for (const LineItem& li : inv.items) inv.subtotal_cents += li.amount_cents;
  inv.tax_rate_bp = TaxRateFor(c);
  // A coupon's discount comes off the subtotal before tax (automated-billing.md).
  if (coupon != nullptr) {
    inv.discount_cents = DiscountCents(*coupon, inv.subtotal_cents);
    inv.coupon_code = coupon->code;
  }
  inv.tax_cents = TaxCents(inv.subtotal_cents - inv.discount_cents, inv.tax_rate_bp);
  inv.total_cents = inv.subtotal_cents - inv.discount_cents + inv.tax_cents;
  // Discounted to nothing: nothing is owed, so it is paid on issue.
  inv.status = inv.total_cents == 0 ? "paid" : "pending";
  if (inv.total_cents == 0) inv.paid_date = issue.ToString();
  inv.issue_date = issue;
  inv.due_date = due;
  inv.notes = notes;
  inv.created_at = clock_.NowIso8601();
  inv.created_by = actor.principal;
  inv.updated_by = actor.principal;
  inv.created_on_behalf_of = actor.on_behalf_of;
  inv.updated_on_behalf_of = actor.on_behalf_of;
  BILLING_TRY(tx.InsertInvoice(inv));
  // The customer's credit pays it first, in the same change (one audit row, docs/invoices.md).
  BILLING_ASSIGN_OR_RETURN(nlohmann::json credit_used, ApplyCredit(tx, inv));
  nlohmann::json created = InvoiceAuditJson(inv);
  if (!credit_used.empty()) created["creditApplied"] = credit_used;
  if (from_draft != nullptr) created["draftId"] = from_draft->id;
  // Created and finalized at once: both events, as Stripe sends both. A draft had its
  // invoice.created when it was made.
  if (from_draft == nullptr) {
    BILLING_TRY(
        Emit(tx, "invoice.created", "invoice", inv.id, created, request_id, idempotency_key));
  }
  BILLING_TRY(
      Emit(tx, "invoice.finalized", "invoice", inv.id, created, request_id, idempotency_key));
  if (inv.status == "paid") {
    BILLING_TRY(Emit(tx, "invoice.paid", "invoice", inv.id, created, request_id, idempotency_key));
  }
  if (from_draft == nullptr) {
    BILLING_TRY(Audit(
        tx, Change(actor, request_id, "invoice.create", "invoice", inv.id, nullptr, created)));
  }
  return inv;
}

Result<Invoice> BillingService::GetInvoice(const std::string& invoice_id) {
  Invoice inv;
  Status s = store_.Read([&](StoreTx& tx) -> Status {
    if (DraftNumber(CanonicalId(invoice_id))) {
      BILLING_ASSIGN_OR_RETURN(auto draft,
                               tx.FindDraft(DraftId(*DraftNumber(CanonicalId(invoice_id)))));
      if (draft && draft->status == "draft") {
        BILLING_ASSIGN_OR_RETURN(inv, DraftAsInvoice(tx, *draft));
        return OkStatus();
      }
    }
    BILLING_ASSIGN_OR_RETURN(inv, ResolveInvoice(tx, invoice_id));
    return OkStatus();
  });
  if (!s.ok()) return s.error();
  return inv;
}

Result<InvoiceList> BillingService::ListInvoices(const std::string& customer_id,
                                                 const std::string& status, const PageSpec& page,
                                                 bool by_amount_due) {
  InvoiceQuery q;
  q.by_amount_due = by_amount_due;
  if (status == "draft") return ListDrafts(customer_id, page);
  BILLING_ASSIGN_OR_RETURN(q.status, internal::InvoiceStatusFilterOf(status));
  BILLING_TRY(CheckPage(page));
  q.today = Today();
  InvoiceList out;
  Status s = store_.Read([&](StoreTx& tx) -> Status {
    out = InvoiceList{};
    std::string currency;  // "" = the customers' (several, maybe)
    if (!customer_id.empty()) {
      BILLING_ASSIGN_OR_RETURN(Customer c, RequireCustomer(tx, customer_id, "customerId"));
      q.customer_id = c.id;
      currency = c.currency;
    }
    BILLING_ASSIGN_OR_RETURN(out.invoices, tx.ListInvoices(q, page));
    BILLING_ASSIGN_OR_RETURN(out.totals,
                             internal::SumByCurrency(tx, q, currency, &StoreTx::SumInvoices));
    return OkStatus();
  });
  if (!s.ok()) return s.error();
  return out;
}

Result<Invoice> BillingService::UpdateInvoice(const std::string& invoice_id,
                                              const InvoiceUpdate& update, const Actor& actor,
                                              const std::string& request_id,
                                              const std::string& idempotency_key) {
  if (!update.due_date && !update.notes && !update.items && !update.coupon_code) {
    return Error::Invalid("invoiceId", "nothing to update: give dueDate, notes and/or items");
  }
  if (update.due_date) BILLING_TRY(RequireFutureDate(*update.due_date));
  std::vector<LineItem> items;
  if (update.items) {
    BILLING_ASSIGN_OR_RETURN(items, BuildItems(*update.items));
  }
  if (update.notes && update.notes->size() > kMaxNotesBytes) {
    return Error::Invalid("notes", "notes are longer than 2000 characters");
  }
  if (DraftNumber(CanonicalId(invoice_id))) {
    return UpdateDraft(invoice_id, update, std::move(items), actor, request_id, idempotency_key);
  }
  if (update.coupon_code) {
    return Error::Precondition(
        "A coupon applies when an invoice is created (or to a draft): " + CanonicalId(invoice_id) +
            " is finalized and its amounts are fixed; issue a credit note to reduce it instead",
        "couponCode");
  }
  Invoice inv;
  Status s = store_.Write([&](StoreTx& tx) -> Status {
    inv = Invoice{};  // a re-run (store.h) starts from nothing
    BILLING_ASSIGN_OR_RETURN(inv, ResolveInvoice(tx, invoice_id));
    if (inv.status != "pending") {
      return Error::Precondition(
          "Invoice " + inv.id + " is " + inv.status + " and cannot be edited", "invoiceId");
    }
    if (inv.paid_cents != 0) {
      return Error::Precondition("Invoice " + inv.id + " has payments of " +
                                     Money(inv.paid_cents, inv.currency) + " and cannot be edited",
                                 "invoiceId");
    }
    if (inv.credited_cents != 0) {
      return Error::Precondition("Invoice " + inv.id + " has credit notes of " +
                                     Money(inv.credited_cents, inv.currency) +
                                     " and cannot be edited; issue another credit note instead",
                                 "invoiceId");
    }
    const nlohmann::json before = InvoiceAuditJson(inv);
    if (update.due_date) inv.due_date = *update.due_date;
    if (update.notes) inv.notes = *update.notes;
    if (update.items) {
      inv.items = items;
      inv.subtotal_cents = 0;
      for (const LineItem& li : items) inv.subtotal_cents += li.amount_cents;
      // A percent coupon keeps its rate; a fixed one its amount, up to the new subtotal.
      if (!inv.coupon_code.empty()) {
        BILLING_ASSIGN_OR_RETURN(auto coupon, tx.FindCoupon(inv.coupon_code));
        if (!coupon) return Error::Internal("invoice " + inv.id + ": its coupon is missing");
        inv.discount_cents = DiscountCents(*coupon, inv.subtotal_cents);
      }
      inv.tax_cents = TaxCents(inv.subtotal_cents - inv.discount_cents, inv.tax_rate_bp);
      inv.total_cents = inv.subtotal_cents - inv.discount_cents + inv.tax_cents;
    }
    inv.updated_by = actor.principal;
    inv.updated_on_behalf_of = actor.on_behalf_of;
    BILLING_TRY(tx.UpdateInvoice(inv));
    const nlohmann::json after = InvoiceAuditJson(inv);
    BILLING_TRY(Emit(tx, "invoice.updated", "invoice", inv.id, after, request_id, idempotency_key));
    return Audit(tx, Change(actor, request_id, "invoice.update", "invoice", inv.id, before, after));
  });
  if (!s.ok()) return s.error();
  return inv;
}

Result<Invoice> BillingService::CancelInvoice(const std::string& invoice_id, const Actor& actor,
                                              const std::string& request_id,
                                              const std::string& idempotency_key) {
  // A draft is not owed: cancelling it deletes it.
  if (DraftNumber(CanonicalId(invoice_id))) {
    return DeleteDraft(invoice_id, actor, request_id, idempotency_key);
  }
  Invoice inv;
  Status s = store_.Write([&](StoreTx& tx) -> Status {
    inv = Invoice{};  // a re-run (store.h) starts from nothing
    BILLING_ASSIGN_OR_RETURN(inv, ResolveInvoice(tx, invoice_id));
    if (inv.status == "cancelled") {
      return Error::Precondition("Invoice " + inv.id + " is already cancelled", "invoiceId");
    }
    if (inv.status == "paid" || inv.paid_cents != 0) {
      return Error::Precondition("Invoice " + inv.id + " has been paid (" +
                                     Money(inv.paid_cents, inv.currency) +
                                     ") and cannot be cancelled; refund the payment first",
                                 "invoiceId");
    }
    if (inv.credited_cents != 0) {
      return Error::Precondition("Invoice " + inv.id + " has credit notes of " +
                                     Money(inv.credited_cents, inv.currency) +
                                     " and cannot be cancelled; credit the rest with a credit note",
                                 "invoiceId");
    }
    const nlohmann::json before = InvoiceAuditJson(inv);
    inv.status = "cancelled";
    inv.updated_by = actor.principal;
    inv.updated_on_behalf_of = actor.on_behalf_of;
    BILLING_TRY(tx.UpdateInvoice(inv));
    BILLING_TRY(AfterInvoiceSettled(tx, inv, actor, request_id));
    const nlohmann::json after = InvoiceAuditJson(inv);
    BILLING_TRY(
        Emit(tx, "invoice.cancelled", "invoice", inv.id, after, request_id, idempotency_key));
    return Audit(tx, Change(actor, request_id, "invoice.cancel", "invoice", inv.id, before, after));
  });
  if (!s.ok()) return s.error();
  return inv;
}

Result<MarkPaidOutcome> BillingService::MarkInvoicePaid(const std::string& invoice_id,
                                                        const std::string& method,
                                                        const Actor& actor,
                                                        const std::string& request_id,
                                                        const std::string& operation_key,
                                                        const std::string& idempotency_key) {
  if (!method.empty() && !IsOneOf(method, kPaymentMethods)) {
    return Error::Invalid(
        "paymentMethod", "paymentMethod must be one of credit_card, bank_transfer, paypal, crypto");
  }
  std::string fingerprint;
  if (!operation_key.empty()) {
    BILLING_ASSIGN_OR_RETURN(fingerprint, Fingerprint({CanonicalId(invoice_id), method}));
  }
  MarkPaidOutcome out;
  const std::string transaction_id = NewTransactionId(ids_);  // once, even on a re-run
  Status s = store_.Write([&](StoreTx& tx) -> Status {
    out = MarkPaidOutcome{};
    if (!operation_key.empty()) {
      BILLING_ASSIGN_OR_RETURN(auto prior,
                               PriorOperation(tx, operation_key, "mark_paid", fingerprint));
      if (prior) {
        BILLING_ASSIGN_OR_RETURN(out.invoice, ResolveInvoice(tx, prior->entity_id));
        if (!prior->detail_id.empty()) {
          BILLING_ASSIGN_OR_RETURN(auto payment, tx.FindPayment(prior->detail_id));
          if (!payment) return Error::Internal("operation " + operation_key + ": payment missing");
          out.payment = std::move(*payment);
          BILLING_TRY(LoadAllocations(tx, out.payment));
        }
        out.replayed = true;
        return OkStatus();
      }
    }
    BILLING_ASSIGN_OR_RETURN(Invoice inv, ResolveInvoice(tx, invoice_id));
    if (inv.status == "paid")
      return Error::Precondition("Invoice " + inv.id + " is already paid", "invoiceId");
    if (inv.status == "cancelled") {
      return Error::Precondition("Invoice " + inv.id + " is cancelled and cannot be paid",
                                 "invoiceId");
    }
    const int64_t due = AmountDueCents(inv);
    const nlohmann::json before = InvoiceAuditJson(inv);
    BILLING_ASSIGN_OR_RETURN(Customer c, RequireCustomer(tx, inv.customer_id, "customerId"));
    const std::string used_method = method.empty() ? c.payment_method : method;
    Payment p;
    if (due > 0) {
      BILLING_ASSIGN_OR_RETURN(p.number, tx.NextPaymentNumber());
      p.id = PaymentId(p.number);
      p.customer_id = c.id;
      p.currency = c.currency;
      p.invoice_id = inv.id;
      p.amount_cents = due;
      p.method = used_method;
      p.status = "completed";
      p.transaction_id = transaction_id;
      p.created_at = clock_.NowIso8601();
      p.actor = actor.principal;
      p.on_behalf_of = actor.on_behalf_of;
      BILLING_TRY(tx.InsertPayment(p));
      Allocation a{0, p.id, inv.id, due, 0};
      BILLING_TRY(tx.InsertAllocation(a));
      p.allocations.push_back(a);
    }
    inv.status = "paid";
    inv.paid_date = Today().ToString();
    inv.payment_method = used_method;
    inv.paid_cents += due;
    inv.updated_by = actor.principal;
    inv.updated_on_behalf_of = actor.on_behalf_of;
    BILLING_TRY(tx.UpdateInvoice(inv));
    BILLING_TRY(AfterInvoiceSettled(tx, inv, actor, request_id));
    nlohmann::json after = InvoiceAuditJson(inv);
    after["payment"] = due > 0 ? PaymentAuditJson(p) : nlohmann::json();
    if (!operation_key.empty()) {
      BILLING_TRY(RecordOperation(tx, operation_key, "mark_paid", fingerprint, inv.id, p.id));
    }
    if (due > 0) {
      BILLING_TRY(Emit(tx, "payment.succeeded", "payment", p.id, PaymentAuditJson(p), request_id,
                       idempotency_key));
    }
    BILLING_TRY(Emit(tx, "invoice.paid", "invoice", inv.id, InvoiceAuditJson(inv), request_id,
                     idempotency_key));
    BILLING_TRY(Audit(
        tx, Change(actor, request_id, "invoice.mark_paid", "invoice", inv.id, before, after)));
    out.invoice = std::move(inv);
    out.payment = std::move(p);
    return OkStatus();
  });
  if (!s.ok()) return s.error();
  return out;
}

}  // namespace billing
