// BillingService's credit notes and the customer's credit balance (automated-billing.md "Credit
// notes"; docs/invoices.md). A credit note takes back part or all of a finalized invoice, tax in
// proportion (rules.h CreditNoteTaxCents). Its total first reduces what the invoice still owes;
// what exceeds that (the invoice had been paid) is refunded to the invoice's payments, newest
// allocation first, or moved off the invoice and kept with the payment as the customer's credit,
// which the next invoice issued uses before it is owed (ApplyCredit). All in one transaction.
#include <algorithm>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "billing/audit.h"
#include "billing/rules.h"
#include "billing/service.h"
#include "billing/service_internal.h"
#include "billing/transaction_id.h"

namespace billing {

using internal::Change;
using internal::Fingerprint;
using internal::kMaxNotesBytes;
using internal::Money;

namespace {

constexpr size_t kMaxCreditLines = 100;  // an invoice has at most 100 lines
// Payments holding credit that one new invoice draws on; the rest waits for the next invoice.
constexpr int kMaxCreditPayments = 100;

// The lines as the fingerprint of an operation key sees them.
std::string LinesText(const std::vector<CreditLineRequest>& lines) {
  std::string out;
  for (const CreditLineRequest& l : lines) {
    out += std::to_string(l.position) + "x" + std::to_string(l.quantity_milli) + ";";
  }
  return out;
}

// The part of a credit note given as lines: each line's amount before tax, a line credited in
// full getting exactly what is left of its amount (so rounding never credits a line twice).
Result<std::vector<CreditNoteLine>> CreditedLines(const Invoice& inv,
                                                  const std::vector<CreditNote>& earlier,
                                                  const std::vector<CreditLineRequest>& asked) {
  std::map<int, std::pair<int64_t, int64_t>> used;  // position -> (quantity, amount) credited
  for (const CreditNote& cn : earlier) {
    for (const CreditNoteLine& l : cn.lines) {
      used[l.position].first += l.quantity_milli;
      used[l.position].second += l.amount_cents;
    }
  }
  std::vector<CreditNoteLine> out;
  for (const CreditLineRequest& l : asked) {
    const std::string field = "lines[" + std::to_string(out.size()) + "]";
    if (l.position < 1 || size_t(l.position) > inv.items.size()) {
      return Error::Invalid(field + ".line", "line must be from 1 to " +
                                                 std::to_string(inv.items.size()) + " (invoice " +
                                                 inv.id + " has " +
                                                 std::to_string(inv.items.size()) + " lines)");
    }
    const LineItem& item = inv.items[size_t(l.position - 1)];
    auto& [qty_used, amount_used] = used[l.position];
    const int64_t qty_left = item.quantity_milli - qty_used;
    const int64_t qty = l.quantity_milli == 0 ? qty_left : l.quantity_milli;
    if (qty <= 0 || qty > qty_left) {
      return Error::Invalid(field + ".quantity",
                            "quantity of line " + std::to_string(l.position) + " (" +
                                item.description + ") must be more than 0 and at most the " +
                                FormatDecimal(qty_left, 3) + " not yet credited");
    }
    const int64_t amount = qty == qty_left ? item.amount_cents - amount_used
                                           : std::min(LineAmountCents(qty, item.unit_price_cents),
                                                      item.amount_cents - amount_used);
    qty_used += qty;
    amount_used += amount;
    out.push_back(CreditNoteLine{l.position, item.description, qty, amount});
  }
  return out;
}

}  // namespace

Result<nlohmann::json> BillingService::ApplyCredit(StoreTx& tx, Invoice& inv) {
  nlohmann::json used = nlohmann::json::array();
  int64_t due = AmountDueCents(inv);
  if (due <= 0) return used;
  BILLING_ASSIGN_OR_RETURN(std::vector<Payment> payments,
                           tx.PaymentsWithCredit(inv.customer_id, kMaxCreditPayments));
  for (const Payment& p : payments) {
    const int64_t credit = p.amount_cents - p.refunded_cents - p.applied_cents;
    assert(credit > 0);
    const int64_t take = std::min(credit, due);
    BILLING_TRY(tx.InsertAllocation(Allocation{0, p.id, inv.id, take, 0}));
    used.push_back({{"paymentId", p.id}, {"amountCents", take}});
    inv.paid_cents += take;
    due -= take;
    if (due == 0) {
      inv.status = "paid";
      inv.paid_date = inv.issue_date.ToString();
      inv.payment_method = p.method;
      BILLING_TRY(tx.UpdateInvoice(inv));
      break;
    }
  }
  return used;
}

Result<CreditNoteOutcome> BillingService::CreateCreditNote(const NewCreditNote& req) {
  if (req.amount_cents && !req.lines.empty())
    return Error::Invalid("amount", "give either an amount or lines, not both");
  if (!req.amount_cents && req.lines.empty()) {
    return Error::Invalid("amount",
                          "a credit note needs an amount (tax included) or lines of the invoice");
  }
  if (req.amount_cents && *req.amount_cents <= 0)
    return Error::Invalid("amount", "amount must be greater than zero");
  if (req.amount_cents && *req.amount_cents > options_.max_amount_cents) {
    return Error::Invalid("amount", "amount must be at most " + Money(options_.max_amount_cents));
  }
  if (req.lines.size() > kMaxCreditLines)
    return Error::Invalid("lines", "at most " + std::to_string(kMaxCreditLines) + " lines");
  if (!req.refund_to.empty() && req.refund_to != "refund" && req.refund_to != "credit")
    return Error::Invalid("refundTo", "refundTo must be refund or credit");
  if (req.reason.size() > kMaxNotesBytes)
    return Error::Invalid("reason", "reason is longer than 2000 characters");
  std::string fingerprint;
  if (!req.operation_key.empty()) {
    BILLING_ASSIGN_OR_RETURN(
        fingerprint, Fingerprint({CanonicalId(req.invoice_id),
                                  req.amount_cents ? std::to_string(*req.amount_cents) : "lines",
                                  LinesText(req.lines), req.refund_to, req.reason}));
  }
  CreditNoteOutcome out;
  std::vector<std::string> transaction_ids;  // drawn once, reused if the body runs again
  Status s = store_.Write([&](StoreTx& tx) -> Status {
    out = CreditNoteOutcome{};
    if (!req.operation_key.empty()) {
      BILLING_ASSIGN_OR_RETURN(auto prior,
                               PriorOperation(tx, req.operation_key, "credit_note", fingerprint));
      if (prior) {
        BILLING_ASSIGN_OR_RETURN(auto cn, tx.FindCreditNote(prior->detail_id));
        if (!cn) return Error::Internal("operation " + req.operation_key + ": credit note missing");
        out.credit_note = std::move(*cn);
        BILLING_ASSIGN_OR_RETURN(out.invoice, ResolveInvoice(tx, prior->entity_id));
        BILLING_ASSIGN_OR_RETURN(out.new_balance_cents, Balance(tx, out.invoice.customer_id));
        out.replayed = true;
        return OkStatus();
      }
    }
    BILLING_ASSIGN_OR_RETURN(Invoice inv, ResolveInvoice(tx, req.invoice_id));
    if (inv.status == "cancelled") {
      return Error::Precondition("Invoice " + inv.id + " is cancelled; there is nothing to credit",
                                 "invoiceId");
    }
    const int64_t creditable = inv.total_cents - inv.credited_cents;
    if (creditable <= 0) {
      return Error::Precondition("Invoice " + inv.id + " has been credited in full (" +
                                     Money(inv.total_cents, inv.currency) + ")",
                                 "invoiceId");
    }
    BILLING_ASSIGN_OR_RETURN(std::vector<CreditNote> earlier,
                             tx.CreditNotesOf(inv.id, kMaxCreditNotesPerInvoice));
    if (earlier.size() >= size_t(kMaxCreditNotesPerInvoice)) {
      return Error::Precondition("Invoice " + inv.id + " already has " +
                                     std::to_string(kMaxCreditNotesPerInvoice) + " credit notes",
                                 "invoiceId");
    }
    int64_t credited_tax = 0;
    for (const CreditNote& cn : earlier) credited_tax += cn.tax_cents;

    CreditNote& cn = out.credit_note;
    if (req.amount_cents) {
      if (*req.amount_cents > creditable) {
        return Error::Invalid(
            "amount", "amount " + Money(*req.amount_cents, inv.currency) + " exceeds the " +
                          Money(creditable, inv.currency) + " that can still be credited on " +
                          inv.id + " (total " + Money(inv.total_cents, inv.currency) +
                          ", credited " + Money(inv.credited_cents, inv.currency) + ")");
      }
      cn.total_cents = *req.amount_cents;
      cn.tax_cents = CreditNoteTaxCents(inv, cn.total_cents, credited_tax);
      cn.subtotal_cents = cn.total_cents - cn.tax_cents;
    } else {
      // A discount was spread over the lines: which part of it a line carries is a matter of
      // rounding we do not guess. Credit such an invoice by amount.
      if (inv.discount_cents != 0) {
        return Error::Invalid("lines", "Invoice " + inv.id + " has a discount (coupon " +
                                           inv.coupon_code +
                                           "): credit it by amount (tax included), not by lines");
      }
      BILLING_ASSIGN_OR_RETURN(cn.lines, CreditedLines(inv, earlier, req.lines));
      for (const CreditNoteLine& l : cn.lines) cn.subtotal_cents += l.amount_cents;
      int64_t credited_subtotal = 0;
      for (const CreditNote& e : earlier) credited_subtotal += e.subtotal_cents;
      const int64_t tax_left = inv.tax_cents - credited_tax;
      // Everything left of the lines: all the tax left too, so the invoice ends credited in full.
      cn.tax_cents = cn.subtotal_cents == inv.subtotal_cents - credited_subtotal
                         ? tax_left
                         : std::min(TaxCents(cn.subtotal_cents, inv.tax_rate_bp), tax_left);
      cn.total_cents = cn.subtotal_cents + cn.tax_cents;
      if (cn.total_cents <= 0) return Error::Invalid("lines", "the lines credit nothing");
      if (cn.total_cents > creditable) {
        return Error::Invalid("lines", "the lines come to " + Money(cn.total_cents, inv.currency) +
                                           ", more than the " + Money(creditable, inv.currency) +
                                           " that can still be credited on " + inv.id);
      }
    }
    assert(cn.subtotal_cents >= 0 && cn.tax_cents >= 0);
    assert(cn.subtotal_cents + cn.tax_cents == cn.total_cents);

    cn.due_reduced_cents = std::min(cn.total_cents, AmountDueCents(inv));
    const int64_t excess = cn.total_cents - cn.due_reduced_cents;
    if (excess > 0 && req.refund_to.empty()) {
      return Error::Invalid(
          "refundTo", "Invoice " + inv.id + " has been paid (" +
                          Money(inv.paid_cents, inv.currency) + "), so " +
                          Money(excess, inv.currency) +
                          " of this credit note goes back to the customer: say whether it is "
                          "refunded (refundTo: refund) or kept as their credit (refundTo: credit)");
    }
    const nlohmann::json before = InvoiceAuditJson(inv);
    const Date today = Today();
    cn.year = today.year;
    BILLING_ASSIGN_OR_RETURN(cn.seq, tx.NextCreditNoteSeq(cn.year));
    cn.id = CreditNoteId(cn.year, cn.seq);
    cn.invoice_id = inv.id;
    cn.customer_id = inv.customer_id;
    cn.reason = req.reason.empty() ? "Credit note" : req.reason;
    cn.created_at = clock_.NowIso8601();
    cn.created_by = req.actor.principal;
    cn.on_behalf_of = req.actor.on_behalf_of;
    BILLING_ASSIGN_OR_RETURN(Customer customer, RequireCustomer(tx, inv.customer_id, "invoiceId"));
    cn.currency = customer.currency;

    // What exceeds the amount due comes off the invoice's payments, newest allocation first.
    std::vector<nlohmann::json> payments_changed;
    if (excess > 0) {
      BILLING_ASSIGN_OR_RETURN(std::vector<Allocation> allocs,
                               tx.AllocationsToInvoice(inv.id, kMaxPageRows));
      // The newest payments come first: they must all be in view (a bound, never a guess).
      if (allocs.size() == size_t(kMaxPageRows)) {
        return Error::Precondition("Invoice " + inv.id + " was paid by " +
                                       std::to_string(kMaxPageRows) +
                                       " or more payments; refund them with process-payment",
                                   "invoiceId");
      }
      int64_t remaining = excess;
      size_t refunds = 0;
      for (auto it = allocs.rbegin(); it != allocs.rend() && remaining > 0; ++it) {
        const int64_t take = std::min(remaining, it->amount_cents - it->refunded_cents);
        if (take <= 0) continue;
        remaining -= take;
        if (req.refund_to == "credit") {
          BILLING_TRY(tx.ReduceAllocation(it->id, take));
          continue;
        }
        BILLING_TRY(tx.UpdateAllocationRefunded(it->id, it->refunded_cents + take));
        BILLING_ASSIGN_OR_RETURN(auto payment, tx.FindPayment(it->payment_id));
        if (!payment)
          return Error::Internal("allocation " + std::to_string(it->id) + ": no payment");
        Payment& p = *payment;
        if (transaction_ids.size() <= refunds) transaction_ids.push_back(NewTransactionId(ids_));
        BILLING_ASSIGN_OR_RETURN(
            Refund r,
            RecordRefund(tx, p, take,
                         "Credit note " + cn.id + (req.reason.empty() ? "" : ": " + req.reason),
                         transaction_ids[refunds++], req.actor));
        cn.refund_ids.push_back(r.id);
        out.refunds.push_back(r);
        BILLING_TRY(LoadAllocations(tx, p));
        payments_changed.push_back(PaymentAuditJson(p));
      }
      if (remaining != 0) {
        return Error::Internal("credit note on " + inv.id + ": payments do not cover " +
                               Money(remaining, inv.currency));
      }
      (req.refund_to == "credit" ? cn.credit_cents : cn.refunded_cents) = excess;
      inv.paid_cents -= excess;
    }
    inv.credited_cents += cn.total_cents;
    const bool now_settled = inv.status == "pending" && AmountDueCents(inv) == 0;
    if (now_settled) {
      inv.status = "paid";
      inv.paid_date = today.ToString();
    }
    inv.updated_by = req.actor.principal;
    inv.updated_on_behalf_of = req.actor.on_behalf_of;
    BILLING_TRY(tx.UpdateInvoice(inv));
    BILLING_TRY(tx.InsertCreditNote(cn));
    if (now_settled) BILLING_TRY(AfterInvoiceSettled(tx, inv, req.actor, req.request_id));
    if (!req.operation_key.empty()) {
      BILLING_TRY(
          RecordOperation(tx, req.operation_key, "credit_note", fingerprint, inv.id, cn.id));
    }
    BILLING_ASSIGN_OR_RETURN(out.new_balance_cents, Balance(tx, inv.customer_id));

    const nlohmann::json note = CreditNoteAuditJson(cn);
    const nlohmann::json invoice = InvoiceAuditJson(inv);
    BILLING_TRY(Emit(tx, "credit_note.created", "credit_note", cn.id, note, req.request_id,
                     req.idempotency_key));
    for (size_t k = 0; k < out.refunds.size(); ++k) {
      nlohmann::json refund = RefundAuditJson(out.refunds[k]);
      refund["payment"] = payments_changed[k];
      refund["creditNoteId"] = cn.id;
      BILLING_TRY(Emit(tx, "refund.created", "refund", out.refunds[k].id, refund, req.request_id,
                       req.idempotency_key));
    }
    BILLING_TRY(Emit(tx, now_settled ? "invoice.paid" : "invoice.updated", "invoice", inv.id,
                     invoice, req.request_id, req.idempotency_key));
    nlohmann::json after = note;
    after["invoice"] = invoice;
    after["newBalanceCents"] = out.new_balance_cents;
    BILLING_TRY(Audit(tx, Change(req.actor, req.request_id, "credit_note.create", "credit_note",
                                 cn.id, before, after)));
    out.invoice = std::move(inv);
    return OkStatus();
  });
  if (!s.ok()) return s.error();
  return out;
}

Result<std::vector<CreditNote>> BillingService::CreditNotesOf(const std::string& invoice_id) {
  std::vector<CreditNote> out;
  Status s = store_.Read([&](StoreTx& tx) -> Status {
    BILLING_ASSIGN_OR_RETURN(Invoice inv, ResolveInvoice(tx, invoice_id));
    BILLING_ASSIGN_OR_RETURN(out, tx.CreditNotesOf(inv.id, kMaxCreditNotesPerInvoice));
    return OkStatus();
  });
  if (!s.ok()) return s.error();
  return out;
}

}  // namespace billing
