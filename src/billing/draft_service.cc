// BillingService's invoice drafts (automated-billing.md "Invoice lifecycle"; docs/invoices.md):
// create, show, edit, delete and finalize. A draft has no number and owes nothing; it lives in
// its own table, so invoice lists, totals, numbering and balances never see one. Finalizing
// issues the invoice through IssueInvoice (invoice_service.cc), as a new invoice would be. With a
// grace period (BILLING_DRAFT_HOURS) a subscription period's invoice is held here too, and the
// billing run finalizes it when the grace period ends (FinalizeDueDrafts).
#include <algorithm>
#include <cassert>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "billing/audit.h"
#include "billing/collection_rules.h"
#include "billing/list_totals.h"
#include "billing/rules.h"
#include "billing/service.h"
#include "billing/service_internal.h"

namespace billing {

using internal::Change;
using internal::CheckPage;

namespace {

// Drafts walked to total a list of them; more is an error, never a shorter total.
constexpr int64_t kMaxDraftsTotalled = 100'000;

Date DateOf(const std::string& iso) {
  Date d;
  if (iso.size() >= 10) (void)Date::Parse(iso.substr(0, 10), &d);
  return d;
}

}  // namespace

Result<InvoiceDraft> BillingService::RequireDraft(StoreTx& tx, const std::string& raw_id) {
  const std::optional<int64_t> number = DraftNumber(CanonicalId(raw_id));
  if (!number) return Error::Invalid("invoiceId", "'" + raw_id + "' is not a draft id (draft_7)");
  BILLING_ASSIGN_OR_RETURN(auto draft, tx.FindDraft(DraftId(*number)));
  if (!draft) return Error::NotFound("Draft " + DraftId(*number) + " not found", "invoiceId");
  if (draft->status == "finalized") {
    return Error::Precondition("Draft " + draft->id + " was finalized as " + draft->invoice_id +
                                   ", which can no longer be edited",
                               "invoiceId");
  }
  if (draft->status == "deleted")
    return Error::NotFound("Draft " + draft->id + " was deleted", "invoiceId");
  return std::move(*draft);
}

Result<Invoice> BillingService::DraftAsInvoice(StoreTx& tx, const InvoiceDraft& d) {
  BILLING_ASSIGN_OR_RETURN(Customer c, RequireCustomer(tx, d.customer_id, "customerId"));
  Invoice inv;
  inv.id = d.id;
  inv.customer_id = c.id;
  inv.currency = c.currency;
  inv.customer_name = c.company;
  inv.items = d.items;
  for (const LineItem& li : inv.items) inv.subtotal_cents += li.amount_cents;
  inv.tax_rate_bp = TaxRateFor(c);
  if (!d.coupon_code.empty()) {
    BILLING_ASSIGN_OR_RETURN(auto coupon, tx.FindCoupon(d.coupon_code));
    if (coupon) inv.discount_cents = DiscountCents(*coupon, inv.subtotal_cents);
    inv.coupon_code = d.coupon_code;
  }
  inv.tax_cents = TaxCents(inv.subtotal_cents - inv.discount_cents, inv.tax_rate_bp);
  inv.total_cents = inv.subtotal_cents - inv.discount_cents + inv.tax_cents;
  inv.status = "draft";
  inv.issue_date = DateOf(d.created_at);
  inv.due_date = d.due_date;
  inv.notes = d.notes;
  inv.created_at = d.created_at;
  inv.created_by = d.created_by;
  inv.updated_by = d.updated_by;
  inv.created_on_behalf_of = d.created_on_behalf_of;
  inv.updated_on_behalf_of = d.updated_on_behalf_of;
  return inv;
}

Result<Invoice> BillingService::CreateDraft(const NewInvoice& request,
                                            std::vector<LineItem> items) {
  Invoice out;
  Status s = store_.Write([&](StoreTx& tx) -> Status {
    out = Invoice{};
    BILLING_ASSIGN_OR_RETURN(Customer c, RequireCustomer(tx, request.customer_id, "customerId"));
    if (c.status == "suspended") {
      return Error::Precondition(
          "Customer " + c.id + " (" + c.company + ") is suspended and cannot receive new invoices",
          "customerId");
    }
    InvoiceDraft d;
    BILLING_ASSIGN_OR_RETURN(d.number, tx.NextDraftNumber());
    d.id = DraftId(d.number);
    d.customer_id = c.id;
    d.items = items;
    d.due_date = request.due_date;
    d.notes = request.notes;
    // Checked now, redeemed (and checked again) when the draft is finalized.
    if (!request.coupon_code.empty()) {
      BILLING_ASSIGN_OR_RETURN(Coupon coupon,
                               RedeemableCoupon(tx, request.coupon_code, c, "couponCode"));
      d.coupon_code = coupon.code;
    }
    d.created_at = d.updated_at = clock_.NowIso8601();
    d.created_by = d.updated_by = request.actor.principal;
    d.created_on_behalf_of = d.updated_on_behalf_of = request.actor.on_behalf_of;
    BILLING_TRY(tx.InsertDraft(d));
    BILLING_ASSIGN_OR_RETURN(out, DraftAsInvoice(tx, d));
    const nlohmann::json shown = InvoiceAuditJson(out);
    BILLING_TRY(Emit(tx, "invoice.created", "invoice", d.id, shown, request.request_id,
                     request.idempotency_key));
    return Audit(tx, Change(request.actor, request.request_id, "invoice.create", "invoice", d.id,
                            nullptr, shown));
  });
  if (!s.ok()) return s.error();
  return out;
}

Result<Invoice> BillingService::UpdateDraft(const std::string& draft_id,
                                            const InvoiceUpdate& update,
                                            std::vector<LineItem> items, const Actor& actor,
                                            const std::string& request_id,
                                            const std::string& idempotency_key) {
  Invoice out;
  Status s = store_.Write([&](StoreTx& tx) -> Status {
    out = Invoice{};
    BILLING_ASSIGN_OR_RETURN(InvoiceDraft d, RequireDraft(tx, draft_id));
    BILLING_ASSIGN_OR_RETURN(Invoice before, DraftAsInvoice(tx, d));
    if (update.due_date) d.due_date = *update.due_date;
    if (update.notes) d.notes = *update.notes;
    if (update.items) d.items = items;
    if (update.coupon_code) {
      d.coupon_code.clear();
      if (!update.coupon_code->empty()) {
        BILLING_ASSIGN_OR_RETURN(Customer c, RequireCustomer(tx, d.customer_id, "customerId"));
        BILLING_ASSIGN_OR_RETURN(Coupon coupon,
                                 RedeemableCoupon(tx, *update.coupon_code, c, "couponCode"));
        d.coupon_code = coupon.code;
      }
    }
    d.updated_at = clock_.NowIso8601();
    d.updated_by = actor.principal;
    d.updated_on_behalf_of = actor.on_behalf_of;
    BILLING_TRY(tx.UpdateDraft(d));
    BILLING_ASSIGN_OR_RETURN(out, DraftAsInvoice(tx, d));
    const nlohmann::json after = InvoiceAuditJson(out);
    BILLING_TRY(Emit(tx, "invoice.updated", "invoice", d.id, after, request_id, idempotency_key));
    return Audit(tx, Change(actor, request_id, "invoice.update", "invoice", d.id,
                            InvoiceAuditJson(before), after));
  });
  if (!s.ok()) return s.error();
  return out;
}

Result<Invoice> BillingService::DeleteDraft(const std::string& draft_id, const Actor& actor,
                                            const std::string& request_id,
                                            const std::string& idempotency_key) {
  if (!DraftNumber(CanonicalId(draft_id))) {
    return Error::Precondition(
        "Only drafts can be deleted; cancel invoice " + CanonicalId(draft_id) + " instead",
        "invoiceId");
  }
  Invoice out;
  Status s = store_.Write([&](StoreTx& tx) -> Status {
    out = Invoice{};
    BILLING_ASSIGN_OR_RETURN(InvoiceDraft d, RequireDraft(tx, draft_id));
    BILLING_ASSIGN_OR_RETURN(out, DraftAsInvoice(tx, d));
    const nlohmann::json before = InvoiceAuditJson(out);
    d.status = "deleted";
    d.updated_at = clock_.NowIso8601();
    d.updated_by = actor.principal;
    d.updated_on_behalf_of = actor.on_behalf_of;
    BILLING_TRY(tx.UpdateDraft(d));
    out.status = "deleted";
    const nlohmann::json after = InvoiceAuditJson(out);
    BILLING_TRY(Emit(tx, "invoice.deleted", "invoice", d.id, after, request_id, idempotency_key));
    return Audit(tx, Change(actor, request_id, "invoice.delete", "invoice", d.id, before, after));
  });
  if (!s.ok()) return s.error();
  return out;
}

Result<Invoice> BillingService::FinalizeInvoice(const std::string& draft_id, const Actor& actor,
                                                const std::string& request_id,
                                                const std::string& idempotency_key) {
  if (!DraftNumber(CanonicalId(draft_id))) {
    return Error::Precondition(
        "Only drafts are finalized; " + CanonicalId(draft_id) + " is not a draft id (draft_7)",
        "invoiceId");
  }
  Invoice inv;
  Status s = store_.Write([&](StoreTx& tx) -> Status {
    inv = Invoice{};
    BILLING_ASSIGN_OR_RETURN(InvoiceDraft d, RequireDraft(tx, draft_id));
    BILLING_ASSIGN_OR_RETURN(Customer c, RequireCustomer(tx, d.customer_id, "customerId"));
    if (c.status == "suspended") {
      return Error::Precondition("Customer " + c.id + " (" + c.company + ") is suspended; draft " +
                                     d.id + " cannot be finalized",
                                 "invoiceId");
    }
    const Date today = Today();
    if (!(today < d.due_date)) {
      return Error::Invalid("dueDate", "draft " + d.id + " is due " + d.due_date.ToString() +
                                           ", which is not after today (" + today.ToString() +
                                           "); update its due date first");
    }
    BILLING_ASSIGN_OR_RETURN(inv, FinalizeDraftIn(tx, d, c, actor, request_id, idempotency_key));
    return OkStatus();
  });
  if (!s.ok()) return s.error();
  return inv;
}

Result<Invoice> BillingService::FinalizeDraftIn(StoreTx& tx, InvoiceDraft& d, const Customer& c,
                                                const Actor& actor, const std::string& request_id,
                                                const std::string& idempotency_key) {
  BILLING_ASSIGN_OR_RETURN(Invoice before, DraftAsInvoice(tx, d));
  // A draft made by hand redeems its coupon now; a subscription's coupon was redeemed when the
  // subscription was made and runs for its duration, even if archived since.
  std::optional<Coupon> coupon;
  if (!d.coupon_code.empty() && d.subscription_id.empty()) {
    BILLING_ASSIGN_OR_RETURN(coupon, RedeemableCoupon(tx, d.coupon_code, c, "couponCode"));
  } else if (!d.coupon_code.empty()) {
    BILLING_ASSIGN_OR_RETURN(coupon, tx.FindCoupon(d.coupon_code));
    if (!coupon) return Error::Internal("draft " + d.id + ": its coupon is missing");
  }
  // Issued today, or a subscription period's on its period start, as every period invoice is.
  Date issue = Today();
  std::optional<Subscription> sub;
  if (!d.subscription_id.empty()) {
    BILLING_ASSIGN_OR_RETURN(sub, tx.FindSubscription(d.subscription_id));
    if (!sub) return Error::Internal("draft " + d.id + ": its subscription is missing");
    BILLING_ASSIGN_OR_RETURN(std::vector<SubscriptionPeriod> periods,
                             tx.PeriodsOf(sub->id, kMaxPageRows));
    const auto period =
        std::find_if(periods.begin(), periods.end(),
                     [&](const SubscriptionPeriod& p) { return p.invoice_id == d.id; });
    if (period == periods.end()) {
      return Error::Internal("draft " + d.id + ": no period of " + sub->id + " names it");
    }
    issue = period->period_start;
  }
  BILLING_ASSIGN_OR_RETURN(
      Invoice inv, IssueInvoice(tx, c, d.items, issue, d.due_date, d.notes, actor, request_id,
                                idempotency_key, &d, coupon ? &*coupon : nullptr));
  if (coupon && !sub) {
    BILLING_TRY(Redeem(tx, *coupon, c.id, inv.id, "", actor, request_id, idempotency_key));
  }
  if (sub) {
    BILLING_TRY(tx.SetPeriodInvoice(sub->id, d.id, inv.id));
    BILLING_TRY(OpenCollection(tx, *sub, inv));
  }
  d.status = "finalized";
  d.invoice_id = inv.id;
  d.updated_at = clock_.NowIso8601();
  d.updated_by = actor.principal;
  d.updated_on_behalf_of = actor.on_behalf_of;
  BILLING_TRY(tx.UpdateDraft(d));
  nlohmann::json after = InvoiceAuditJson(inv);
  after["draftId"] = d.id;
  BILLING_TRY(Audit(tx, Change(actor, request_id, "invoice.finalize", "invoice", inv.id,
                               InvoiceAuditJson(before), after)));
  return inv;
}

Result<Invoice> BillingService::HoldPeriodDraft(StoreTx& tx, const Subscription& sub,
                                                const Customer& c, const LineItem& line,
                                                const Date& due, const Coupon* coupon,
                                                const Actor& actor, const std::string& request_id,
                                                const std::string& idempotency_key) {
  assert(options_.draft_hours > 0 && options_.draft_hours <= kMaxDraftHours);
  InvoiceDraft d;
  BILLING_ASSIGN_OR_RETURN(d.number, tx.NextDraftNumber());
  d.id = DraftId(d.number);
  d.customer_id = c.id;
  d.items = {line};
  d.due_date = due;
  d.notes = "Subscription " + sub.id;
  if (coupon != nullptr) d.coupon_code = coupon->code;
  d.subscription_id = sub.id;
  const int64_t now_ms = clock_.NowUnixMs();
  d.created_at = d.updated_at = Iso8601FromUnixMs(now_ms);
  d.finalize_at = Iso8601FromUnixMs(now_ms + int64_t(options_.draft_hours) * 3'600'000);
  d.created_by = d.updated_by = actor.principal;
  d.created_on_behalf_of = d.updated_on_behalf_of = actor.on_behalf_of;
  BILLING_TRY(tx.InsertDraft(d));
  BILLING_ASSIGN_OR_RETURN(Invoice shown, DraftAsInvoice(tx, d));
  const nlohmann::json after = InvoiceAuditJson(shown);
  BILLING_TRY(Emit(tx, "invoice.created", "invoice", d.id, after, request_id, idempotency_key));
  BILLING_TRY(
      Audit(tx, Change(actor, request_id, "invoice.create", "invoice", d.id, nullptr, after)));
  return shown;
}

Status BillingService::FinalizeDueDrafts(const Actor& actor, const std::string& request_id,
                                         BillingRunReport* report) {
  constexpr int kBatch = 20;                            // drafts per write transaction
  constexpr int64_t kMaxBatches = 10'000'000 / kBatch;  // a bound, as the run's
  const std::string now = clock_.NowIso8601();
  // A look first, in a read: most runs find nothing due and write nothing.
  bool any_due = false;
  Status peek = store_.Read([&](StoreTx& tx) -> Status {
    BILLING_ASSIGN_OR_RETURN(std::vector<InvoiceDraft> due, tx.DueDrafts(now, 1));
    any_due = !due.empty();
    return OkStatus();
  });
  if (!peek.ok() || !any_due) return peek;
  for (int64_t batch = 0; batch < kMaxBatches; ++batch) {
    int64_t finalized = 0, discarded = 0;
    size_t rows = 0;
    Status s = store_.Write([&](StoreTx& tx) -> Status {
      finalized = discarded = 0;  // a re-run (store.h) starts from nothing
      BILLING_ASSIGN_OR_RETURN(std::vector<InvoiceDraft> due, tx.DueDrafts(now, kBatch));
      rows = due.size();
      for (InvoiceDraft& d : due) {
        BILLING_ASSIGN_OR_RETURN(Customer c, RequireCustomer(tx, d.customer_id, "customerId"));
        if (c.status == "suspended") {
          // Suspended during the grace period: the period is not billed, as it would not have
          // been had the customer been suspended at its start.
          BILLING_ASSIGN_OR_RETURN(Invoice shown, DraftAsInvoice(tx, d));
          const nlohmann::json before = InvoiceAuditJson(shown);
          d.status = shown.status = "deleted";
          d.updated_at = now;
          d.updated_by = actor.principal;
          d.updated_on_behalf_of = actor.on_behalf_of;
          BILLING_TRY(tx.UpdateDraft(d));
          const nlohmann::json after = InvoiceAuditJson(shown);
          BILLING_TRY(Emit(tx, "invoice.deleted", "invoice", d.id, after, request_id, ""));
          BILLING_TRY(Audit(
              tx, Change(actor, request_id, "invoice.delete", "invoice", d.id, before, after)));
          ++discarded;
          continue;
        }
        BILLING_ASSIGN_OR_RETURN(Invoice inv, FinalizeDraftIn(tx, d, c, actor, request_id, ""));
        (void)inv;
        ++finalized;
      }
      return OkStatus();
    });
    if (!s.ok()) return s;
    report->drafts_finalized += finalized;
    report->drafts_discarded += discarded;
    if (rows < size_t(kBatch)) return OkStatus();
  }
  return OkStatus();
}

Result<InvoiceList> BillingService::ListDrafts(const std::string& customer_id,
                                               const PageSpec& page) {
  BILLING_TRY(CheckPage(page));
  InvoiceList out;
  Status s = store_.Read([&](StoreTx& tx) -> Status {
    out = InvoiceList{};
    std::string id, currency;
    if (!customer_id.empty()) {
      BILLING_ASSIGN_OR_RETURN(Customer c, RequireCustomer(tx, customer_id, "customerId"));
      id = c.id;
      currency = c.currency;
    }
    BILLING_ASSIGN_OR_RETURN(std::vector<InvoiceDraft> drafts, tx.ListDrafts(id, page, 0));
    for (const InvoiceDraft& d : drafts) {
      BILLING_ASSIGN_OR_RETURN(Invoice inv, DraftAsInvoice(tx, d));
      out.invoices.push_back(std::move(inv));
    }
    // The count and the totals of every draft, not only the page's: walked page by page (a
    // draft's total depends on its customer's tax rate of the day, so no SUM can give it), and
    // added up per currency.
    BILLING_ASSIGN_OR_RETURN(out.totals.count, tx.CountDrafts(id));
    if (out.totals.count > kMaxDraftsTotalled) {
      return Error::Invalid("status", "more than " + std::to_string(kMaxDraftsTotalled) +
                                          " drafts; list them per customer");
    }
    std::map<std::string, InvoiceTotals> by_currency;
    for (int64_t offset = 0; offset < out.totals.count; offset += kMaxPageRows) {
      BILLING_ASSIGN_OR_RETURN(std::vector<InvoiceDraft> batch,
                               tx.ListDrafts(id, PageSpec{offset, kMaxPageRows}, 0));
      for (const InvoiceDraft& d : batch) {
        BILLING_ASSIGN_OR_RETURN(Invoice inv, DraftAsInvoice(tx, d));
        InvoiceTotals& t = by_currency[inv.currency];
        t.currency = inv.currency;
        ++t.count;
        t.total_cents += inv.total_cents;
      }
    }
    for (auto& [code, t] : by_currency) out.totals.by_currency.push_back(std::move(t));
    internal::OrderByCount(out.totals.by_currency);
    // One customer's drafts are in its currency even when there are none (TotalsByCurrency).
    if (out.totals.by_currency.empty() && !id.empty()) {
      InvoiceTotals none;
      none.currency = currency;
      out.totals.by_currency.push_back(std::move(none));
    }
    return OkStatus();
  });
  if (!s.ok()) return s.error();
  return out;
}

}  // namespace billing
