// Cursor pages for the REST API (http/rest): rows after an object of the list, in the list's
// order, read with the stores' keysets so that a walk page by page neither skips nor repeats a
// row that existed when it started, whatever is added meanwhile. See service.h "Cursor pages".
#include "billing/rules.h"
#include "billing/service.h"
#include "billing/service_internal.h"

namespace billing {
namespace {

constexpr const char* kCursorField = "startingAfter";

Status CheckCursorPage(const CursorPage& page) {
  if (page.limit < 1 || page.limit > kMaxPageRows) {
    return Error::Invalid("limit", "limit must be from 1 to " + std::to_string(kMaxPageRows));
  }
  if (page.starting_after.size() > 64) {
    return Error::Invalid(kCursorField, "startingAfter must be an id of at most 64 bytes");
  }
  return OkStatus();
}

Error UnknownCursor(const std::string& what, const std::string& id) {
  return Error::Invalid(kCursorField, "startingAfter names no " + what + " " + id);
}

}  // namespace

Result<std::vector<CustomerView>> BillingService::CustomerPage(CustomerQuery q,
                                                               const CursorPage& page) {
  BILLING_TRY(CheckCursorPage(page));
  std::vector<CustomerView> out;
  Status s = store_.Read([&](StoreTx& tx) -> Status {
    out.clear();
    q.after_id = "";
    if (!page.starting_after.empty()) {
      BILLING_ASSIGN_OR_RETURN(std::optional<Customer> after,
                               tx.FindCustomer(CanonicalId(page.starting_after)));
      if (!after) return UnknownCursor("customer", page.starting_after);
      q.after_id = after->id;
    }
    BILLING_ASSIGN_OR_RETURN(std::vector<CustomerRow> rows,
                             tx.ListCustomers(q, PageSpec{0, page.limit}));
    for (CustomerRow& row : rows) {
      CustomerView v;
      v.customer = std::move(row.customer);
      v.balance_cents = row.balance_cents;
      out.push_back(std::move(v));
    }
    return OkStatus();
  });
  if (!s.ok()) return s.error();
  return out;
}

Result<std::vector<Invoice>> BillingService::InvoicePage(const std::string& customer_id,
                                                         const std::string& status,
                                                         const CursorPage& page) {
  BILLING_TRY(CheckCursorPage(page));
  InvoiceQuery q;
  const bool drafts = status == "draft";
  if (!drafts) {
    BILLING_ASSIGN_OR_RETURN(q.status, internal::InvoiceStatusFilterOf(status));
  }
  q.today = Today();
  std::vector<Invoice> out;
  Status s = store_.Read([&](StoreTx& tx) -> Status {
    out.clear();
    if (!customer_id.empty()) {
      BILLING_ASSIGN_OR_RETURN(Customer c, RequireCustomer(tx, customer_id, "customerId"));
      q.customer_id = c.id;
    }
    if (drafts) {
      int64_t after_number = 0;
      if (!page.starting_after.empty()) {
        const std::optional<int64_t> n = DraftNumber(CanonicalId(page.starting_after));
        if (!n) return UnknownCursor("draft", page.starting_after);
        after_number = *n;
      }
      BILLING_ASSIGN_OR_RETURN(std::vector<InvoiceDraft> rows,
                               tx.ListDrafts(q.customer_id, PageSpec{0, page.limit}, after_number));
      for (const InvoiceDraft& d : rows) {
        BILLING_ASSIGN_OR_RETURN(Invoice inv, DraftAsInvoice(tx, d));
        out.push_back(std::move(inv));
      }
      return OkStatus();
    }
    if (!page.starting_after.empty()) {
      BILLING_ASSIGN_OR_RETURN(std::optional<Invoice> after,
                               tx.FindInvoice(CanonicalId(page.starting_after)));
      if (!after) return UnknownCursor("invoice", page.starting_after);
      q.after_due_date = after->due_date;
      q.after_id = after->id;
    }
    BILLING_ASSIGN_OR_RETURN(out, tx.ListInvoices(q, PageSpec{0, page.limit}));
    return OkStatus();
  });
  if (!s.ok()) return s.error();
  return out;
}

Result<std::vector<Payment>> BillingService::PaymentPage(const std::string& customer_id,
                                                         const std::string& status,
                                                         const CursorPage& page) {
  BILLING_TRY(CheckCursorPage(page));
  if (!status.empty() && !IsOneOf(status, kPaymentStatuses)) {
    return Error::Invalid("status",
                          "status must be one of completed, failed, refunded, "
                          "partially_refunded");
  }
  PaymentQuery q;
  q.status = status;
  std::vector<Payment> out;
  Status s = store_.Read([&](StoreTx& tx) -> Status {
    out.clear();
    if (!customer_id.empty()) {
      BILLING_ASSIGN_OR_RETURN(Customer c, RequireCustomer(tx, customer_id, "customerId"));
      q.customer_id = c.id;
    }
    if (!page.starting_after.empty()) {
      BILLING_ASSIGN_OR_RETURN(std::optional<Payment> after,
                               tx.FindPayment(CanonicalId(page.starting_after)));
      if (!after) return UnknownCursor("payment", page.starting_after);
      // Newest first: the page after a payment holds the lower numbers. The first payment has
      // nothing after it.
      if (after->number <= 1) return OkStatus();
      q.before_number = after->number;
    }
    BILLING_ASSIGN_OR_RETURN(out, tx.ListPayments(q, PageSpec{0, page.limit}));
    BILLING_TRY(tx.FillAllocations(out));
    return OkStatus();
  });
  if (!s.ok()) return s.error();
  return out;
}

Result<std::vector<SubscriptionView>> BillingService::SubscriptionPage(
    const std::string& customer_id, const std::string& status, const CursorPage& page) {
  BILLING_TRY(CheckCursorPage(page));
  if (!status.empty() && !IsOneOf(status, kSubscriptionStatuses)) {
    return Error::Invalid("status", "status must be one of active, past_due, canceled");
  }
  SubscriptionQuery q;
  q.status = status;
  std::vector<SubscriptionView> out;
  Status s = store_.Read([&](StoreTx& tx) -> Status {
    out.clear();
    if (!customer_id.empty()) {
      BILLING_ASSIGN_OR_RETURN(Customer c, RequireCustomer(tx, customer_id, "customerId"));
      q.customer_id = c.id;
    }
    if (!page.starting_after.empty()) {
      BILLING_ASSIGN_OR_RETURN(std::optional<Subscription> after,
                               tx.FindSubscription(CanonicalId(page.starting_after)));
      if (!after) return UnknownCursor("subscription", page.starting_after);
      q.after_number = after->number;
    }
    BILLING_ASSIGN_OR_RETURN(std::vector<Subscription> rows,
                             tx.ListSubscriptions(q, PageSpec{0, page.limit}));
    for (const Subscription& sub : rows) {
      BILLING_ASSIGN_OR_RETURN(SubscriptionView v, ViewOf(tx, sub));
      out.push_back(std::move(v));
    }
    return OkStatus();
  });
  if (!s.ok()) return s.error();
  return out;
}

Result<std::vector<CreditNote>> BillingService::CreditNotePage(const std::string& invoice_id,
                                                               const CursorPage& page) {
  BILLING_TRY(CheckCursorPage(page));
  std::vector<CreditNote> out;
  Status s = store_.Read([&](StoreTx& tx) -> Status {
    out.clear();
    int after_year = 0, after_seq = 0;
    if (!page.starting_after.empty()) {
      BILLING_ASSIGN_OR_RETURN(std::optional<CreditNote> after,
                               tx.FindCreditNote(CanonicalId(page.starting_after)));
      if (!after) return UnknownCursor("credit note", page.starting_after);
      after_year = after->year;
      after_seq = after->seq;
    }
    if (invoice_id.empty()) {
      BILLING_ASSIGN_OR_RETURN(out, tx.ListCreditNotes(after_year, after_seq, page.limit));
      return OkStatus();
    }
    // One invoice holds at most kMaxCreditNotesPerInvoice notes: read them all, in (year, seq)
    // order like the whole list, and page in memory.
    BILLING_ASSIGN_OR_RETURN(Invoice inv, ResolveInvoice(tx, invoice_id));
    BILLING_ASSIGN_OR_RETURN(std::vector<CreditNote> all,
                             tx.CreditNotesOf(inv.id, kMaxCreditNotesPerInvoice));
    for (CreditNote& cn : all) {
      const bool after = cn.year > after_year || (cn.year == after_year && cn.seq > after_seq);
      if (after && int(out.size()) < page.limit) out.push_back(std::move(cn));
    }
    return OkStatus();
  });
  if (!s.ok()) return s.error();
  return out;
}

Result<Payment> BillingService::GetPayment(const std::string& payment_id) {
  Payment out;
  Status s = store_.Read([&](StoreTx& tx) -> Status {
    BILLING_ASSIGN_OR_RETURN(std::optional<Payment> p, tx.FindPayment(CanonicalId(payment_id)));
    if (!p) return Error::NotFound("Payment " + payment_id + " not found", "paymentId");
    out = std::move(*p);
    return LoadAllocations(tx, out);
  });
  if (!s.ok()) return s.error();
  return out;
}

Result<std::vector<Refund>> BillingService::RefundsOfPayment(const std::string& payment_id) {
  std::vector<Refund> out;
  Status s = store_.Read([&](StoreTx& tx) -> Status {
    BILLING_ASSIGN_OR_RETURN(std::optional<Payment> p, tx.FindPayment(CanonicalId(payment_id)));
    if (!p) return Error::NotFound("Payment " + payment_id + " not found", "paymentId");
    BILLING_ASSIGN_OR_RETURN(out, tx.RefundsOf(p->id));
    return OkStatus();
  });
  if (!s.ok()) return s.error();
  return out;
}

Result<Refund> BillingService::GetRefund(const std::string& refund_id) {
  std::optional<Refund> out;
  Status s = store_.Read([&](StoreTx& tx) -> Status {
    BILLING_ASSIGN_OR_RETURN(out, tx.FindRefund(CanonicalId(refund_id)));
    return OkStatus();
  });
  if (!s.ok()) return s.error();
  if (!out) return Error::NotFound("Refund " + refund_id + " not found", "refundId");
  return *out;
}

Result<CreditNote> BillingService::GetCreditNote(const std::string& credit_note_id) {
  CreditNote out;
  Status s = store_.Read([&](StoreTx& tx) -> Status {
    BILLING_ASSIGN_OR_RETURN(std::optional<CreditNote> cn,
                             tx.FindCreditNote(CanonicalId(credit_note_id)));
    if (!cn) return Error::NotFound("Credit note " + credit_note_id + " not found", "creditNoteId");
    out = std::move(*cn);
    return OkStatus();
  });
  if (!s.ok()) return s.error();
  return out;
}

Result<Event> BillingService::GetEvent(const std::string& event_id) {
  Event out;
  Status s = store_.Read([&](StoreTx& tx) -> Status {
    BILLING_ASSIGN_OR_RETURN(std::optional<int64_t> seq, tx.EventSeq(event_id));
    if (!seq) return Error::NotFound("Event " + event_id + " not found", "eventId");
    BILLING_ASSIGN_OR_RETURN(std::vector<Event> rows, tx.ListEvents(EventQuery{*seq - 1, ""}, 1));
    if (rows.empty() || rows.front().id != event_id) {
      return Error::Internal("event " + event_id + ": its row is not where its seq says");
    }
    out = std::move(rows.front());
    return OkStatus();
  });
  if (!s.ok()) return s.error();
  return out;
}

}  // namespace billing
