// BillingService (billing/service.h): construction, the private helpers every operation shares
// (customer and invoice lookup, balances, line items, due dates, operation keys, the audit append),
// the audit log (VerifyAudit, ListAudit) and customers (GetCustomer, ListCustomers). Invoices are
// in invoice_service.cc, payments and stored cards in payment_service.cc, the ledger invariants in
// invariants.cc, the sample data in seed.cc; the rules are those of billing-rules.md, and the
// decisions where it is silent are in docs/billing.md.
#include "billing/service.h"

#include <algorithm>
#include <cassert>
#include <string>
#include <vector>

#include "billing/audit.h"
#include "billing/list_totals.h"
#include "billing/rules.h"
#include "billing/service_internal.h"

namespace billing {
namespace {

constexpr size_t kMaxLineItems = 100;
constexpr size_t kMaxDescriptionBytes = 500;

constexpr int kAuditVerifyBatch = 500;
constexpr int64_t kAuditMaxBatches = 100'000'000 / kAuditVerifyBatch;  // 100 million rows

}  // namespace

using internal::CheckPage;
using internal::kMaxStoredCardsPerCustomer;
using internal::Money;

BillingService::BillingService(Store& store, const Clock& clock, RandomSource& ids,
                               RandomSource& processor, BillingOptions options)
    : store_(store), clock_(clock), ids_(ids), processor_(processor), options_(options) {}

Status BillingService::Audit(StoreTx& tx, AuditEntry e) {
  BILLING_ASSIGN_OR_RETURN(std::optional<AuditEntry> last, tx.LastAudit());
  e.at = clock_.NowIso8601();
  BILLING_TRY(ChainAuditEntry(last, e));
  return tx.AppendAudit(e);
}

Status BillingService::Emit(StoreTx& tx, std::string_view type, std::string_view object_type,
                            const std::string& object_id, const nlohmann::json& data,
                            const std::string& request_id, const std::string& idempotency_key) {
  assert(IsOneOf(type, kEventTypes));
  Event e;                            // seq: the store's, the last one plus one
  e.id = "evt_" + ids_.HexToken(12);  // 96 random bits
  e.type = std::string(type);
  e.created_at = clock_.NowIso8601();
  e.object_type = std::string(object_type);
  e.object_id = object_id;
  e.data_json = AuditDump(data);
  e.request_id = request_id;
  e.idempotency_key = idempotency_key;
  // With its webhook deliveries and its email (the outbox): they commit with it, or nothing does.
  BILLING_TRY(tx.AppendEvent(e));
  if (!options_.email_enabled) return OkStatus();
  return EnqueueEmail(tx, e, data);
}

Result<std::vector<Event>> BillingService::ListEvents(const std::string& after_id,
                                                      const std::string& type, int limit,
                                                      bool newest_first) {
  limit = std::clamp(limit, 1, kMaxPageRows);
  if (!type.empty() && !IsOneOf(type, kEventTypes)) {
    std::string known;
    for (std::string_view t : kEventTypes) known += (known.empty() ? "" : ", ") + std::string(t);
    return Error::Invalid("type", "type must be one of: " + known);
  }
  std::vector<Event> out;
  Status s = store_.Read([&](StoreTx& tx) -> Status {
    EventQuery q{0, type, newest_first};
    if (!after_id.empty()) {
      BILLING_ASSIGN_OR_RETURN(std::optional<int64_t> seq, tx.EventSeq(after_id));
      if (!seq) return Error::NotFound("No event " + after_id, "after");
      q.after_seq = *seq;
    }
    BILLING_ASSIGN_OR_RETURN(out, tx.ListEvents(q, limit));
    return OkStatus();
  });
  if (!s.ok()) return s.error();
  return out;
}

Status BillingService::VerifyAudit(int64_t* rows_checked, int64_t* first_broken_seq,
                                   std::string* why) {
  ChainVerifier verifier;
  int64_t broken = 0;
  std::string reason;
  Status status = OkStatus();
  for (int64_t batch = 0; batch < kAuditMaxBatches && broken == 0; ++batch) {
    std::vector<AuditEntry> rows;
    status = store_.Read([&](StoreTx& tx) -> Status {
      BILLING_ASSIGN_OR_RETURN(rows,
                               tx.ListAudit(AuditQuery{verifier.last_seq()}, kAuditVerifyBatch));
      return OkStatus();
    });
    if (!status.ok()) break;
    for (const AuditEntry& e : rows) {
      if (!verifier.Check(e, &reason)) {
        broken = e.seq;
        break;
      }
    }
    if (rows.size() < size_t(kAuditVerifyBatch)) break;
  }
  if (rows_checked) *rows_checked = verifier.rows_checked();
  if (first_broken_seq) *first_broken_seq = broken;
  if (why) *why = broken ? reason : std::string();
  return status;
}

Result<std::vector<AuditEntry>> BillingService::ListAudit(const AuditQuery& q, int limit) {
  limit = std::clamp(limit, 1, 1000);
  std::vector<AuditEntry> out;
  Status s = store_.Read([&](StoreTx& tx) -> Status {
    BILLING_ASSIGN_OR_RETURN(out, tx.ListAudit(q, limit));
    return OkStatus();
  });
  if (!s.ok()) return s.error();
  return out;
}

Result<Customer> BillingService::RequireCustomer(StoreTx& tx, const std::string& raw_id,
                                                 const std::string& field) {
  const std::string id = CanonicalId(raw_id);
  if (id.empty()) return Error::Invalid(field, field + " is required");
  auto found = tx.FindCustomer(id);
  if (!found.ok()) return found.error();
  if (!found.value()) return Error::NotFound("Customer " + id + " not found", field);
  return std::move(*found.value());
}

Result<int64_t> BillingService::Balance(StoreTx& tx, const std::string& customer_id) {
  auto ledger = tx.Ledger(customer_id);
  if (!ledger.ok()) return ledger.error();
  auto it = ledger->find(customer_id);
  if (it == ledger->end()) return Error::Internal("ledger has no entry for " + customer_id);
  return OutstandingCents(it->second);
}

Result<Invoice> BillingService::ResolveInvoice(StoreTx& tx, const std::string& raw_id) {
  const std::string id = CanonicalId(raw_id);
  if (id.empty()) return Error::Invalid("invoiceId", "invoiceId is required");
  if (auto number = DraftNumber(id)) {
    BILLING_ASSIGN_OR_RETURN(auto draft, tx.FindDraft(DraftId(*number)));
    if (!draft) return Error::NotFound("Draft " + DraftId(*number) + " not found", "invoiceId");
    if (draft->status == "finalized") {
      BILLING_ASSIGN_OR_RETURN(auto inv, tx.FindInvoice(draft->invoice_id));
      if (!inv) return Error::Internal("draft " + draft->id + ": its invoice is missing");
      return std::move(*inv);
    }
    if (draft->status == "deleted")
      return Error::NotFound("Draft " + draft->id + " was deleted", "invoiceId");
    return Error::Precondition(
        "Invoice " + draft->id + " is a draft: finalize it first (it owes nothing until then)",
        "invoiceId");
  }
  auto found = tx.FindInvoice(id);
  if (!found.ok()) return found.error();
  if (found.value()) return std::move(*found.value());
  // Short form INV-001: the unique invoice whose sequence matches.
  if (auto seq = ShortInvoiceSeq(id)) {
    auto ids = tx.InvoiceIdsWithSeq(*seq);
    if (!ids.ok()) return ids.error();
    if (ids->size() == 1) {
      auto exact = tx.FindInvoice(ids->front());
      if (!exact.ok()) return exact.error();
      if (exact.value()) return std::move(*exact.value());
    } else if (ids->size() > 1) {
      std::string list;
      for (const auto& c : *ids) list += (list.empty() ? "" : ", ") + c;
      Error e{ErrorCode::kAmbiguous,
              "Invoice " + id + " matches several invoices: " + list + ". Say which one.",
              "invoiceId"};
      e.candidates = *ids;
      return e;
    }
  }
  return Error::NotFound("Invoice " + id + " not found", "invoiceId");
}

Status BillingService::LoadAllocations(StoreTx& tx, Payment& p) {
  auto allocs = tx.AllocationsOf(p.id);
  if (!allocs.ok()) return allocs.error();
  p.allocations = std::move(allocs.value());
  return OkStatus();
}

Result<std::vector<LineItem>> BillingService::BuildItems(const std::vector<NewLineItem>& items) {
  if (items.empty()) return Error::Invalid("items", "at least one line item is required");
  if (items.size() > kMaxLineItems) {
    return Error::Invalid("items", "at most " + std::to_string(kMaxLineItems) + " line items");
  }
  std::vector<LineItem> out;
  int64_t subtotal = 0;
  for (size_t k = 0; k < items.size(); ++k) {
    const NewLineItem& in = items[k];
    const std::string field = "items[" + std::to_string(k) + "]";
    if (in.description.empty())
      return Error::Invalid(field + ".description", field + ".description is required");
    if (in.description.size() > kMaxDescriptionBytes) {
      return Error::Invalid(field + ".description",
                            field + ".description is longer than 500 characters");
    }
    if (in.quantity_milli <= 0)
      return Error::Invalid(field + ".quantity", field + ".quantity must be positive");
    if (in.unit_price_cents <= 0) {
      return Error::Invalid(field + ".unitPrice", field + ".unitPrice must be greater than zero");
    }
    const int64_t amount = LineAmountCents(in.quantity_milli, in.unit_price_cents);
    if (amount > options_.max_amount_cents) {
      return Error::Invalid(field, field + " amount " + Money(amount) + " exceeds the maximum of " +
                                       Money(options_.max_amount_cents));
    }
    subtotal += amount;
    if (subtotal > options_.max_amount_cents) {
      return Error::Invalid(
          "items", "invoice subtotal exceeds the maximum of " + Money(options_.max_amount_cents));
    }
    out.push_back(LineItem{in.description, in.quantity_milli, in.unit_price_cents, amount});
  }
  return out;
}

Result<Date> BillingService::RequireFutureDate(const Date& due) {
  const Date today = Today();
  if (due <= today) {
    return Error::Invalid("dueDate", "dueDate " + due.ToString() +
                                         " must be in the future (after today, " +
                                         today.ToString() + ")");
  }
  return due;
}

Result<std::optional<OperationRecord>> BillingService::PriorOperation(
    StoreTx& tx, const std::string& op_key, const std::string& kind,
    const std::string& fingerprint) {
  BILLING_ASSIGN_OR_RETURN(std::optional<OperationRecord> prior, tx.FindOperation(op_key));
  if (prior && (prior->kind != kind || prior->fingerprint != fingerprint)) {
    return Error(ErrorCode::kConflict,
                 "This idempotency key was already used for a different operation (" + prior->kind +
                     " " + prior->entity_id + "); use a new key for a new operation");
  }
  return prior;
}

Status BillingService::RecordOperation(StoreTx& tx, const std::string& op_key,
                                       const std::string& kind, const std::string& fingerprint,
                                       const std::string& entity_id, const std::string& detail_id) {
  return tx.InsertOperation(
      OperationRecord{op_key, kind, fingerprint, entity_id, detail_id, clock_.NowIso8601()});
}

// ---------------------------------------------------------------------------------------------
// Customers

Result<CustomerView> BillingService::GetCustomer(const std::string& customer_id) {
  CustomerView view;
  const Date today = Today();
  const std::string id = CanonicalId(customer_id);
  if (id.empty()) return Error::Invalid("customerId", "customerId is required");
  Status s = store_.Read([&](StoreTx& tx) -> Status {
    // One call: a backend that pays a round trip per statement reads it all together.
    BILLING_ASSIGN_OR_RETURN(
        CustomerOverview overview,
        tx.ReadCustomerOverview(CustomerOverviewQuery{
            id, today, kOpenInvoicesShown, options_.recent_payments, kMaxStoredCardsPerCustomer}));
    if (!overview.customer) return Error::NotFound("Customer " + id + " not found", "customerId");
    view.customer = std::move(*overview.customer);
    view.balance_cents = OutstandingCents(overview.ledger);
    view.open_invoices = std::move(overview.open_invoices);
    view.open_totals = overview.open_totals;
    view.credit_held_cents = CreditHeldCents(overview.ledger, overview.open_totals.due_cents);
    view.recent_payments = std::move(overview.recent_payments);
    view.cards = std::move(overview.cards);
    for (StoredCard& card : view.cards) card.details_sealed.clear();  // never leaves the service
    return OkStatus();
  });
  if (!s.ok()) return s.error();
  return view;
}

Result<std::string> BillingService::CustomerCurrency(const std::string& customer_id) {
  std::string code;
  BILLING_TRY(store_.Read([&](StoreTx& tx) -> Status {
    BILLING_ASSIGN_OR_RETURN(Customer c, RequireCustomer(tx, customer_id, "customerId"));
    code = c.currency;
    return OkStatus();
  }));
  return code;
}

Result<std::string> BillingService::PaymentCurrency(const std::string& payment_id) {
  const std::string id = CanonicalId(payment_id);
  std::string code;
  BILLING_TRY(store_.Read([&](StoreTx& tx) -> Status {
    BILLING_ASSIGN_OR_RETURN(std::optional<Payment> p, tx.FindPayment(id));
    if (!p) return Error::NotFound("Payment " + id + " not found", "paymentId");
    code = p->currency;
    return OkStatus();
  }));
  return code;
}

Result<CustomerList> BillingService::ListCustomers(const CustomerQuery& q, const PageSpec& page) {
  BILLING_TRY(CheckPage(page));
  if (!q.status.empty() && !IsOneOf(q.status, kCustomerStatuses)) {
    return Error::Invalid("status", "status must be one of active, suspended");
  }
  if (!q.billing_cycle.empty() && !IsOneOf(q.billing_cycle, kBillingCycles)) {
    return Error::Invalid("billingCycle", "billingCycle must be one of monthly, quarterly, annual");
  }
  if (!q.payment_method.empty() && !IsOneOf(q.payment_method, kPaymentMethods)) {
    return Error::Invalid(
        "paymentMethod", "paymentMethod must be one of credit_card, bank_transfer, paypal, crypto");
  }
  CustomerList out;
  Status s = store_.Read([&](StoreTx& tx) -> Status {
    out = CustomerList{};
    BILLING_ASSIGN_OR_RETURN(std::vector<CustomerRow> rows, tx.ListCustomers(q, page));
    for (CustomerRow& row : rows) {
      CustomerView v;
      v.customer = std::move(row.customer);
      v.balance_cents = row.balance_cents;
      out.customers.push_back(std::move(v));
    }
    BILLING_ASSIGN_OR_RETURN(out.totals,
                             internal::SumByCurrency(tx, q, "", &StoreTx::SumCustomers));
    return OkStatus();
  });
  if (!s.ok()) return s.error();
  return out;
}

}  // namespace billing
