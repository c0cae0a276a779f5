// BillingService's payments and stored cards (billing/service.h): StoreCard, UsableCard and
// RotateDataKeys (card details sealed with security/data_cipher.h), ProcessPayment with the
// simulated processor's approval, RefundPayment, History, FailedPayments and PaymentsInPeriod.
// Lookups, balances and operation keys are shared with the other operations in service.cc and
// billing/service_internal.h; the rules are those of billing-rules.md, and the decisions where it
// is silent are in docs/billing.md.
#include <algorithm>
#include <cassert>
#include <optional>
#include <string>
#include <vector>

#include "billing/audit.h"
#include "billing/list_totals.h"
#include "billing/rules.h"
#include "billing/service.h"
#include "billing/service_internal.h"
#include "billing/transaction_id.h"
#include "money/money.h"
#include "security/card_data.h"
#include "store/walk.h"

#include <sodium.h>

namespace billing {
namespace {

// The most invoices one payment without an invoice id settles (and so its allocations).
constexpr int64_t kMaxAllocations = 100'000;

}  // namespace

using internal::Change;
using internal::CheckPage;
using internal::Fingerprint;
using internal::kMaxNotesBytes;
using internal::kMaxStoredCardsPerCustomer;
using internal::Money;

// ---------------------------------------------------------------------------------------------
// Payments

Result<StoredCard> BillingService::StoreCard(StoreTx& tx, const Customer& customer,
                                             const NewCard& in, const Actor& actor) {
  std::string digits;
  bool well_formed = in.number.size() <= 32;
  for (char ch : in.number) {
    if (ch >= '0' && ch <= '9') {
      digits.push_back(ch);
    } else if (ch != ' ' && ch != '-') {
      well_formed = false;
    }
  }
  // The messages never repeat the number.
  if (!well_formed || digits.size() < security::kMinCardDigits ||
      digits.size() > security::kMaxCardDigits || !security::LuhnValid(digits)) {
    return Error::Invalid(
        "card.number",
        "card.number must be a card number: 13 to 19 digits with a valid check digit");
  }
  if (in.exp_month < 1 || in.exp_month > 12) {
    return Error::Invalid("card.expMonth", "card.expMonth must be a month from 1 to 12");
  }
  const Date today = Today();
  if (in.exp_year < today.year || (in.exp_year == today.year && in.exp_month < today.month)) {
    return Error::Invalid("card.expYear", "the card expired at the end of " +
                                              std::to_string(in.exp_month) + "/" +
                                              std::to_string(in.exp_year));
  }
  if (in.exp_year > today.year + 30) {
    return Error::Invalid("card.expYear", "card.expYear must be within 30 years from now");
  }
  if (cipher_ == nullptr) {
    return Error::Precondition(
        "Card details cannot be stored: no data key is configured (BILLING_DATA_KEYS)", "card");
  }
  BILLING_ASSIGN_OR_RETURN(std::vector<StoredCard> kept,
                           tx.ListStoredCards(customer.id, 0, kMaxStoredCardsPerCustomer));
  if (kept.size() >= size_t(kMaxStoredCardsPerCustomer)) {
    return Error::Precondition(customer.id + " already has " +
                                   std::to_string(kMaxStoredCardsPerCustomer) +
                                   " stored cards, the most a customer can keep; charge one of "
                                   "them by paymentMethodId",
                               "card");
  }
  StoredCard card;
  BILLING_ASSIGN_OR_RETURN(card.number, tx.NextStoredCardNumber());
  card.id = "PM-" +
            std::string(card.number < 10    ? "00"
                        : card.number < 100 ? "0"
                                            : "") +
            std::to_string(card.number);
  card.customer_id = customer.id;
  card.brand = security::CardBrand(digits);
  card.last4 = digits.substr(digits.size() - 4);
  card.exp_month = in.exp_month;
  card.exp_year = in.exp_year;
  const nlohmann::json details = {
      {"number", digits}, {"expMonth", in.exp_month}, {"expYear", in.exp_year}};
  BILLING_ASSIGN_OR_RETURN(card.details_sealed, cipher_->Seal(details.dump(), card.id));
  card.key_id = cipher_->current_key_id();
  card.actor = actor.principal;
  card.on_behalf_of = actor.on_behalf_of;
  card.created_at = clock_.NowIso8601();
  BILLING_TRY(tx.InsertStoredCard(card));
  return card;
}

Result<StoredCard> BillingService::UsableCard(StoreTx& tx, const Customer& customer,
                                              const std::string& raw_id) {
  const std::string id = CanonicalId(raw_id);
  BILLING_ASSIGN_OR_RETURN(std::optional<StoredCard> found, tx.FindStoredCard(id));
  if (!found || found->customer_id != customer.id) {
    return Error::NotFound("Payment method " + id + " not found for customer " + customer.id,
                           "paymentMethodId");
  }
  const Date today = Today();
  if (found->exp_year < today.year ||
      (found->exp_year == today.year && found->exp_month < today.month)) {
    return Error::Precondition(
        "Card " + id + " (" + found->brand + " ending " + found->last4 + ") has expired",
        "paymentMethodId");
  }
  if (cipher_ == nullptr) {
    return Error::Precondition("Stored cards cannot be charged: no data key is configured",
                               "paymentMethodId");
  }
  // The simulated processor needs the details: they must open with a configured key.
  Result<std::string> details = cipher_->Open(found->details_sealed, found->id);
  if (!details.ok()) {
    return Error::Precondition(
        "Card " + id +
            " cannot be charged: its details do not open with the configured data keys (" +
            details.error().message + ")",
        "paymentMethodId");
  }
  sodium_memzero(details->data(), details->size());
  found->details_sealed.clear();
  return std::move(*found);
}

Status BillingService::RotateDataKeys(int64_t* resealed) {
  *resealed = 0;
  if (cipher_ == nullptr) return Error::Precondition("no data key is configured");
  int64_t after = 0;
  for (int batch = 0; batch < 1'000'000; ++batch) {
    bool more = false;
    const int64_t batch_after = after, resealed_before = *resealed;
    BILLING_TRY(store_.Write([&](StoreTx& tx) -> Status {
      after = batch_after;  // a re-run (store.h) starts the batch again
      *resealed = resealed_before;
      BILLING_ASSIGN_OR_RETURN(std::vector<StoredCard> cards, tx.ListStoredCards("", after, 100));
      more = cards.size() == 100;
      for (const StoredCard& card : cards) {
        after = card.number;
        if (card.key_id == cipher_->current_key_id()) continue;
        BILLING_ASSIGN_OR_RETURN(std::string details, cipher_->Open(card.details_sealed, card.id));
        Result<std::string> sealed = cipher_->Seal(details, card.id);
        sodium_memzero(details.data(), details.size());
        if (!sealed.ok()) return sealed.error();
        BILLING_TRY(tx.UpdateStoredCardSeal(card.id, *sealed, cipher_->current_key_id()));
        ++*resealed;
      }
      return OkStatus();
    }));
    if (!more) return OkStatus();
  }
  return Error::Internal("data key rotation did not finish");
}

bool BillingService::Approve() {
  switch (options_.processor_mode) {
    case ProcessorMode::kAlwaysApprove:
      return true;
    case ProcessorMode::kAlwaysDecline:
      return false;
    case ProcessorMode::kRandom:
      break;
  }
  return int(processor_.UniformBasisPoints()) < options_.approval_rate_bp;
}

Result<PaymentOutcome> BillingService::ProcessPayment(const PaymentRequest& req) {
  if (req.amount_cents <= 0) return Error::Invalid("amount", "amount must be greater than zero");
  if (!req.currency.empty() && !FindCurrency(CanonicalId(req.currency))) {
    return Error::Invalid("currency", "currency must be an ISO 4217 code such as USD, EUR or JPY");
  }
  if (req.amount_cents > options_.max_amount_cents) {
    return Error::Invalid("amount",
                          "amount exceeds the maximum of " + Money(options_.max_amount_cents));
  }
  if (!req.method.empty() && !IsOneOf(req.method, kPaymentMethods)) {
    return Error::Invalid(
        "paymentMethod", "paymentMethod must be one of credit_card, bank_transfer, paypal, crypto");
  }
  const bool by_card = req.card.has_value() || !req.payment_method_id.empty();
  if (req.card && !req.payment_method_id.empty()) {
    return Error::Invalid("card", "give either card or paymentMethodId, not both");
  }
  if (by_card && !req.method.empty() && req.method != "credit_card") {
    return Error::Invalid("paymentMethod", "a card payment's paymentMethod must be credit_card");
  }
  std::string fingerprint;
  if (!req.operation_key.empty()) {
    // Never a hash of the card number: only what may be shown (last four digits, expiry).
    std::string card_text = CanonicalId(req.payment_method_id);
    if (req.card) {
      const std::string& n = req.card->number;
      card_text = (n.size() >= 4 ? n.substr(n.size() - 4) : n) + "/" +
                  std::to_string(req.card->exp_month) + "/" + std::to_string(req.card->exp_year);
    }
    BILLING_ASSIGN_OR_RETURN(
        fingerprint, Fingerprint({CanonicalId(req.customer_id), std::to_string(req.amount_cents),
                                  req.method, CanonicalId(req.invoice_id), card_text}));
  }
  PaymentOutcome out;
  // Decided once, even when the body runs again (store.h): the processor's answer and the id.
  std::optional<bool> approval;
  const std::string transaction_id = NewTransactionId(ids_);
  Status s = store_.Write([&](StoreTx& tx) -> Status {
    out = PaymentOutcome{};
    if (!req.operation_key.empty()) {
      BILLING_ASSIGN_OR_RETURN(auto prior,
                               PriorOperation(tx, req.operation_key, "payment", fingerprint));
      if (prior) {
        BILLING_ASSIGN_OR_RETURN(auto payment, tx.FindPayment(prior->entity_id));
        if (!payment)
          return Error::Internal("operation " + req.operation_key + ": payment missing");
        out.payment = std::move(*payment);
        BILLING_TRY(LoadAllocations(tx, out.payment));
        BILLING_ASSIGN_OR_RETURN(out.new_balance_cents, Balance(tx, out.payment.customer_id));
        out.approved = out.payment.status != "failed";
        out.replayed = true;
        return OkStatus();
      }
    }
    BILLING_ASSIGN_OR_RETURN(Customer c, RequireCustomer(tx, req.customer_id, "customerId"));
    if (!req.currency.empty() && CanonicalId(req.currency) != c.currency) {
      return Error::Invalid("currency", c.id + " (" + c.company + ") is billed in " + c.currency +
                                            "; a payment in " + CanonicalId(req.currency) +
                                            " is refused (no currency conversion)");
    }
    std::optional<Invoice>
        named;  // the invoice the caller named; none = the open ones, oldest due first
    if (!req.invoice_id.empty()) {
      BILLING_ASSIGN_OR_RETURN(Invoice inv, ResolveInvoice(tx, req.invoice_id));
      if (inv.customer_id != c.id) {
        return Error::Precondition(
            "Invoice " + inv.id + " belongs to " + inv.customer_id + ", not " + c.id, "invoiceId");
      }
      if (inv.status != "pending") {
        return Error::Precondition(
            "Invoice " + inv.id + " is " + inv.status + "; nothing is due on it", "invoiceId");
      }
      const int64_t due = AmountDueCents(inv);
      if (req.amount_cents > due) {
        return Error::Invalid("amount", "amount " + Money(req.amount_cents, inv.currency) +
                                            " exceeds the " + Money(due, inv.currency) +
                                            " still due on invoice " + inv.id);
      }
      named = std::move(inv);
    }

    Payment& p = out.payment;
    BILLING_ASSIGN_OR_RETURN(p.number, tx.NextPaymentNumber());
    p.id = PaymentId(p.number);
    p.customer_id = c.id;
    p.currency = c.currency;
    p.invoice_id = named ? named->id : "";
    p.amount_cents = req.amount_cents;
    p.method = req.method.empty() ? c.payment_method : req.method;
    if (by_card) {
      StoredCard card;
      if (req.card) {
        BILLING_ASSIGN_OR_RETURN(card, StoreCard(tx, c, *req.card, req.actor));
      } else {
        BILLING_ASSIGN_OR_RETURN(card, UsableCard(tx, c, req.payment_method_id));
      }
      p.method = "credit_card";
      p.payment_method_id = card.id;
      p.card_brand = card.brand;
      p.card_last4 = card.last4;
    }
    p.transaction_id = transaction_id;
    p.created_at = clock_.NowIso8601();
    p.actor = req.actor.principal;
    p.on_behalf_of = req.actor.on_behalf_of;
    std::vector<std::string> invoices_paid;
    std::vector<nlohmann::json> paid_invoices;  // each as it was when this payment paid it
    if (!approval) approval = Approve();
    out.approved = *approval;
    if (!out.approved) {
      p.status = "failed";
      p.failure_reason = "Declined by the payment processor (simulated)";
      BILLING_TRY(tx.InsertPayment(p));
    } else {
      p.status = "completed";
      BILLING_TRY(tx.InsertPayment(p));
      int64_t remaining = p.amount_cents;
      const std::string today = Today().ToString();
      auto apply = [&](Invoice& inv) -> Status {
        const int64_t due = AmountDueCents(inv);
        if (due <= 0 || remaining == 0) return OkStatus();
        const int64_t applied = std::min(due, remaining);
        Allocation a{0, p.id, inv.id, applied, 0};
        BILLING_TRY(tx.InsertAllocation(a));
        p.allocations.push_back(a);
        remaining -= applied;
        inv.paid_cents += applied;
        if (AmountDueCents(inv) == 0) {
          inv.status = "paid";
          inv.paid_date = today;
          inv.payment_method = p.method;
          inv.updated_by = req.actor.principal;
          inv.updated_on_behalf_of = req.actor.on_behalf_of;
          BILLING_TRY(tx.UpdateInvoice(inv));
          // The customer's dunning is evaluated once, after every invoice is applied.
          BILLING_TRY(AfterInvoiceSettled(tx, inv, req.actor, req.request_id, false));
          invoices_paid.push_back(inv.id);
          paid_invoices.push_back(InvoiceAuditJson(inv));
        }
        return OkStatus();
      };
      if (named) {
        BILLING_TRY(apply(*named));
      } else {
        const Error too_many = Error::Invalid(
            "amount", "this payment would settle more than " + std::to_string(kMaxAllocations) +
                          " invoices at once; pay in parts or name an invoiceId");
        BILLING_TRY(WalkInvoices(tx, InvoiceQuery{c.id, InvoiceStatusFilter::kOpen, Today()},
                                 kMaxAllocations, too_many, [&](Invoice& inv) -> Result<bool> {
                                   BILLING_TRY(apply(inv));
                                   return remaining > 0;
                                 }));
      }
      if (!invoices_paid.empty()) {
        BILLING_TRY(EvaluateDunning(tx, c.id, Today(), req.actor, req.request_id, false, nullptr));
      }
    }
    BILLING_ASSIGN_OR_RETURN(out.new_balance_cents, Balance(tx, c.id));
    const nlohmann::json payment = PaymentAuditJson(p);  // the event's object; the audit adds to it
    nlohmann::json after = payment;
    after["invoicesPaid"] = invoices_paid;
    after["newBalanceCents"] = out.new_balance_cents;
    if (!req.operation_key.empty()) {
      BILLING_TRY(RecordOperation(tx, req.operation_key, "payment", fingerprint, p.id));
    }
    BILLING_TRY(Emit(tx, out.approved ? "payment.succeeded" : "payment.failed", "payment", p.id,
                     payment, req.request_id, req.idempotency_key));
    for (size_t k = 0; k < paid_invoices.size(); ++k) {
      BILLING_TRY(Emit(tx, "invoice.paid", "invoice", invoices_paid[k], paid_invoices[k],
                       req.request_id, req.idempotency_key));
    }
    return Audit(
        tx, Change(req.actor, req.request_id, "payment.process", "payment", p.id, nullptr, after));
  });
  if (!s.ok()) return s.error();
  return out;
}

Result<RefundOutcome> BillingService::RefundPayment(const std::string& payment_id,
                                                    std::optional<int64_t> amount_cents,
                                                    const std::string& reason, const Actor& actor,
                                                    const std::string& request_id,
                                                    const std::string& operation_key,
                                                    const std::string& idempotency_key) {
  if (amount_cents && *amount_cents <= 0)
    return Error::Invalid("amount", "amount must be greater than zero");
  if (reason.size() > kMaxNotesBytes)
    return Error::Invalid("reason", "reason is longer than 2000 characters");
  std::string fingerprint;
  if (!operation_key.empty()) {
    BILLING_ASSIGN_OR_RETURN(
        fingerprint, Fingerprint({CanonicalId(payment_id),
                                  amount_cents ? std::to_string(*amount_cents) : "all", reason}));
  }
  RefundOutcome out;
  const std::string transaction_id = NewTransactionId(ids_);  // once, even on a re-run
  Status s = store_.Write([&](StoreTx& tx) -> Status {
    out = RefundOutcome{};
    if (!operation_key.empty()) {
      BILLING_ASSIGN_OR_RETURN(auto prior,
                               PriorOperation(tx, operation_key, "refund", fingerprint));
      if (prior) {
        BILLING_ASSIGN_OR_RETURN(auto payment, tx.FindPayment(prior->entity_id));
        if (!payment) return Error::Internal("operation " + operation_key + ": payment missing");
        out.payment = std::move(*payment);
        BILLING_TRY(LoadAllocations(tx, out.payment));
        BILLING_ASSIGN_OR_RETURN(std::vector<Refund> refunds, tx.RefundsOf(out.payment.id));
        auto it = std::find_if(refunds.begin(), refunds.end(),
                               [&](const Refund& r) { return r.id == prior->detail_id; });
        if (it == refunds.end())
          return Error::Internal("operation " + operation_key + ": refund missing");
        out.refund = *it;
        BILLING_ASSIGN_OR_RETURN(out.new_balance_cents, Balance(tx, out.payment.customer_id));
        out.replayed = true;
        return OkStatus();
      }
    }
    const std::string id = CanonicalId(payment_id);
    if (id.empty()) return Error::Invalid("paymentId", "paymentId is required for a refund");
    BILLING_ASSIGN_OR_RETURN(auto found, tx.FindPayment(id));
    if (!found) return Error::NotFound("Payment " + id + " not found", "paymentId");
    Payment p = std::move(*found);
    if (p.status == "failed") {
      return Error::Precondition("Payment " + p.id + " failed (" + p.failure_reason +
                                     "); nothing was charged, so there is nothing to refund",
                                 "paymentId");
    }
    if (p.status == "refunded") {
      return Error::Precondition("Payment " + p.id + " has already been fully refunded",
                                 "paymentId");
    }
    const int64_t refundable = p.amount_cents - p.refunded_cents;
    const int64_t amount = amount_cents.value_or(refundable);
    if (amount > refundable) {
      return Error::Invalid("amount", "refund of " + Money(amount, p.currency) + " exceeds the " +
                                          Money(refundable, p.currency) + " still refundable on payment " +
                                          p.id);
    }
    BILLING_TRY(LoadAllocations(tx, p));
    const nlohmann::json before = PaymentAuditJson(p);
    std::vector<std::string> reopened;
    std::vector<nlohmann::json> invoices_touched;  // each invoice this refund takes money from
    // Take the refund first from the part of the payment not applied to any invoice (customer
    // credit), then from the invoices it paid, newest allocation first; those re-open.
    int64_t allocated = 0, allocated_refunded = 0;
    for (const Allocation& a : p.allocations) {
      allocated += a.amount_cents;
      allocated_refunded += a.refunded_cents;
    }
    const int64_t unapplied_left =
        (p.amount_cents - allocated) - (p.refunded_cents - allocated_refunded);
    assert(unapplied_left >= 0);
    int64_t remaining = amount - std::min(amount, unapplied_left);
    for (auto it = p.allocations.rbegin(); it != p.allocations.rend() && remaining > 0; ++it) {
      const int64_t take = std::min(remaining, it->amount_cents - it->refunded_cents);
      if (take <= 0) continue;
      it->refunded_cents += take;
      remaining -= take;
      BILLING_TRY(tx.UpdateAllocationRefunded(it->id, it->refunded_cents));
      BILLING_ASSIGN_OR_RETURN(auto inv, tx.FindInvoice(it->invoice_id));
      if (inv && inv->status == "paid") {
        inv->status = "pending";
        inv->paid_date.clear();
        inv->updated_by = actor.principal;
        inv->updated_on_behalf_of = actor.on_behalf_of;
        BILLING_TRY(tx.UpdateInvoice(*inv));
        reopened.push_back(inv->id);
      }
      if (inv) invoices_touched.push_back(InvoiceAuditJson(*inv));
    }
    assert(remaining == 0);
    BILLING_ASSIGN_OR_RETURN(out.refund,
                             RecordRefund(tx, p, amount, reason.empty() ? "Customer request" : reason,
                                          transaction_id, actor));
    const Refund& r = out.refund;
    BILLING_ASSIGN_OR_RETURN(out.new_balance_cents, Balance(tx, p.customer_id));
    const nlohmann::json payment = PaymentAuditJson(p);
    nlohmann::json after = payment;
    after["refund"] = RefundAuditJson(r);
    after["invoicesReopened"] = reopened;
    after["newBalanceCents"] = out.new_balance_cents;
    if (!operation_key.empty()) {
      BILLING_TRY(RecordOperation(tx, operation_key, "refund", fingerprint, p.id, r.id));
    }
    nlohmann::json refund = RefundAuditJson(r);
    refund["payment"] = payment;
    refund["invoicesReopened"] = reopened;
    BILLING_TRY(Emit(tx, "refund.created", "refund", r.id, refund, request_id, idempotency_key));
    // The invoices it took money from owe it again (paidCents fell; a paid one is open again).
    for (const nlohmann::json& inv : invoices_touched) {
      BILLING_TRY(Emit(tx, "invoice.updated", "invoice", inv.value("id", std::string()), inv,
                       request_id, idempotency_key));
    }
    BILLING_TRY(
        Audit(tx, Change(actor, request_id, "payment.refund", "payment", p.id, before, after)));
    out.payment = std::move(p);
    return OkStatus();
  });
  if (!s.ok()) return s.error();
  return out;
}

Result<Refund> BillingService::RecordRefund(StoreTx& tx, Payment& p, int64_t amount_cents,
                                            const std::string& reason,
                                            const std::string& transaction_id,
                                            const Actor& actor) {
  assert(amount_cents > 0 && p.refunded_cents + amount_cents <= p.amount_cents);
  p.refunded_cents += amount_cents;
  p.status = p.refunded_cents == p.amount_cents ? "refunded" : "partially_refunded";
  BILLING_TRY(tx.UpdatePaymentRefund(p.id, p.refunded_cents, p.status));
  Refund r;
  BILLING_ASSIGN_OR_RETURN(r.number, tx.NextRefundNumber());
  r.id = RefundId(r.number);
  r.payment_id = p.id;
  r.amount_cents = amount_cents;
  r.reason = reason;
  r.transaction_id = transaction_id;
  r.created_at = clock_.NowIso8601();
  r.actor = actor.principal;
  r.on_behalf_of = actor.on_behalf_of;
  BILLING_TRY(tx.InsertRefund(r));
  return r;
}

Result<PaymentHistory> BillingService::History(const std::string& customer_id,
                                               const PageSpec& page) {
  BILLING_TRY(CheckPage(page));
  PaymentHistory out;
  Status s = store_.Read([&](StoreTx& tx) -> Status {
    out = PaymentHistory{};
    BILLING_ASSIGN_OR_RETURN(out.customer, RequireCustomer(tx, customer_id, "customerId"));
    const PaymentQuery q{out.customer.id};
    BILLING_ASSIGN_OR_RETURN(out.payments, tx.ListPayments(q, page));
    BILLING_TRY(tx.FillAllocations(out.payments));
    BILLING_ASSIGN_OR_RETURN(out.totals, tx.SumPayments(q));
    out.totals.currency = out.customer.currency;
    return OkStatus();
  });
  if (!s.ok()) return s.error();
  return out;
}

Result<PaymentList> BillingService::PaymentListOf(PaymentQuery q, const std::string& customer_id,
                                                  const PageSpec& page) {
  BILLING_TRY(CheckPage(page));
  PaymentList out;
  Status s = store_.Read([&](StoreTx& tx) -> Status {
    out = PaymentList{};
    std::string currency;  // "" = the customers' (several, maybe)
    if (!customer_id.empty()) {
      BILLING_ASSIGN_OR_RETURN(Customer c, RequireCustomer(tx, customer_id, "customerId"));
      q.customer_id = c.id;
      currency = c.currency;
    }
    BILLING_ASSIGN_OR_RETURN(out.payments, tx.ListPayments(q, page));
    BILLING_ASSIGN_OR_RETURN(out.totals,
                             internal::SumByCurrency(tx, q, currency, &StoreTx::SumPayments));
    return OkStatus();
  });
  if (!s.ok()) return s.error();
  return out;
}

Result<PaymentList> BillingService::FailedPayments(const std::string& customer_id,
                                                   const PageSpec& page) {
  PaymentQuery q;
  q.status = "failed";
  return PaymentListOf(std::move(q), customer_id, page);
}

Result<PaymentList> BillingService::PaymentsInPeriod(const std::string& customer_id,
                                                     const Date& from, const Date& to,
                                                     const PageSpec& page) {
  if (to < from) {
    return Error::Invalid(
        "to", "to (" + to.ToString() + ") must not be before from (" + from.ToString() + ")");
  }
  PaymentQuery q;
  q.from_at = from.ToString() + "T00:00:00.000Z";
  q.until_at = Date::FromDaysSinceEpoch(to.DaysSinceEpoch() + 1).ToString() + "T00:00:00.000Z";
  return PaymentListOf(std::move(q), customer_id, page);
}

}  // namespace billing
