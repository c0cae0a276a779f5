#include "billing/service.h"

#include <algorithm>
#include <functional>
#include <set>

#include "billing/audit.h"
#include "store/walk.h"
#include "billing/rules.h"
#include "money/money.h"
#include "security/card_data.h"

#include <sodium.h>

namespace billing {
namespace {

constexpr size_t kMaxLineItems = 100;
constexpr size_t kMaxDescriptionBytes = 500;
constexpr size_t kMaxNotesBytes = 2000;
// A customer keeps at most this many stored cards, so a customer's view lists every one of them.
constexpr int kMaxStoredCardsPerCustomer = 100;

std::string Money(int64_t cents) { return FormatMoney(cents, Usd()); }

AuditEntry Change(const Actor& actor, const std::string& request_id, const char* action,
                  const char* entity_type, const std::string& entity_id,
                  const nlohmann::json& before, const nlohmann::json& after) {
  AuditEntry e;
  e.actor = actor.principal;
  e.on_behalf_of = actor.on_behalf_of;
  e.request_id = request_id;
  e.action = action;
  e.entity_type = entity_type;
  e.entity_id = entity_id;
  e.before_json = AuditDump(before);
  e.after_json = AuditDump(after);
  return e;
}

// A page asked of the service: the caller's error (the tools' schemas bound limit and offset).
Status CheckPage(const PageSpec& page) {
  if (page.limit < 1 || page.limit > kMaxPageRows) {
    return Error::Invalid("limit", "limit must be from 1 to " + std::to_string(kMaxPageRows));
  }
  if (page.offset < 0) return Error::Invalid("offset", "offset must not be negative");
  return OkStatus();
}

// The most invoices one payment without an invoice id settles (and so its allocations).
constexpr int64_t kMaxAllocations = 100'000;

constexpr int kAuditVerifyBatch = 500;
constexpr int64_t kAuditMaxBatches = 100'000'000 / kAuditVerifyBatch;  // 100 million rows

// A hash of an operation's parameters (unit-separated), for operation keys.
Result<std::string> Fingerprint(std::initializer_list<std::string_view> parts) {
  std::string joined;
  for (std::string_view part : parts) {
    joined.append(part);
    joined.push_back('\x1f');
  }
  return Sha256Hex(joined);
}

}  // namespace

BillingService::BillingService(Store& store, const Clock& clock, RandomSource& ids,
                               RandomSource& processor, BillingOptions options)
    : store_(store), clock_(clock), ids_(ids), processor_(processor), options_(options) {}

int BillingService::TaxRateFor(const Customer& c) const {
  return c.tax_rate_bp.value_or(options_.default_tax_rate_bp);
}

Status BillingService::Audit(StoreTx& tx, AuditEntry e) {
  BILLING_ASSIGN_OR_RETURN(std::optional<AuditEntry> last, tx.LastAudit());
  e.at = clock_.NowIso8601();
  BILLING_TRY(ChainAuditEntry(last, e));
  return tx.AppendAudit(e);
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
      BILLING_ASSIGN_OR_RETURN(rows, tx.ListAudit(AuditQuery{verifier.last_seq()}, kAuditVerifyBatch));
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

bool BillingService::Approve() {
  switch (options_.processor_mode) {
    case ProcessorMode::kAlwaysApprove: return true;
    case ProcessorMode::kAlwaysDecline: return false;
    case ProcessorMode::kRandom: break;
  }
  return int(processor_.UniformBasisPoints()) < options_.approval_rate_bp;
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
    if (in.description.empty()) return Error::Invalid(field + ".description", field + ".description is required");
    if (in.description.size() > kMaxDescriptionBytes) {
      return Error::Invalid(field + ".description", field + ".description is longer than 500 characters");
    }
    if (in.quantity_milli <= 0) return Error::Invalid(field + ".quantity", field + ".quantity must be positive");
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
      return Error::Invalid("items", "invoice subtotal exceeds the maximum of " +
                                         Money(options_.max_amount_cents));
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

// ---------------------------------------------------------------------------------------------
// Customers

Result<CustomerView> BillingService::GetCustomer(const std::string& customer_id) {
  CustomerView view;
  const Date today = Today();
  Status s = store_.Read([&](StoreTx& tx) -> Status {
    BILLING_ASSIGN_OR_RETURN(view.customer, RequireCustomer(tx, customer_id, "customerId"));
    BILLING_ASSIGN_OR_RETURN(view.balance_cents, Balance(tx, view.customer.id));
    const InvoiceQuery open{view.customer.id, InvoiceStatusFilter::kOpen, today};
    BILLING_ASSIGN_OR_RETURN(view.open_invoices, tx.ListInvoices(open, PageSpec{0, kOpenInvoicesShown}));
    BILLING_ASSIGN_OR_RETURN(view.open_totals, tx.SumInvoices(open));
    BILLING_ASSIGN_OR_RETURN(view.recent_payments,
                             tx.ListPayments(PaymentQuery{view.customer.id},
                                             PageSpec{0, options_.recent_payments}));
    for (Payment& p : view.recent_payments) BILLING_TRY(LoadAllocations(tx, p));
    BILLING_ASSIGN_OR_RETURN(view.cards, tx.ListStoredCards(view.customer.id, 0, kMaxStoredCardsPerCustomer));
    for (StoredCard& card : view.cards) card.details_sealed.clear();  // never leaves the service
    return OkStatus();
  });
  if (!s.ok()) return s.error();
  return view;
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
    return Error::Invalid("paymentMethod",
                          "paymentMethod must be one of credit_card, bank_transfer, paypal, crypto");
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
    BILLING_ASSIGN_OR_RETURN(out.totals, tx.SumCustomers(q));
    return OkStatus();
  });
  if (!s.ok()) return s.error();
  return out;
}

// ---------------------------------------------------------------------------------------------
// Invoices

Result<std::optional<OperationRecord>> BillingService::PriorOperation(
    StoreTx& tx, const std::string& op_key, const std::string& kind,
    const std::string& fingerprint) {
  BILLING_ASSIGN_OR_RETURN(std::optional<OperationRecord> prior, tx.FindOperation(op_key));
  if (prior && (prior->kind != kind || prior->fingerprint != fingerprint)) {
    return Error(ErrorCode::kConflict,
                 "This idempotency key was already used for a different operation (" +
                     prior->kind + " " + prior->entity_id +
                     "); use a new key for a new operation");
  }
  return prior;
}

Status BillingService::RecordOperation(StoreTx& tx, const std::string& op_key,
                                       const std::string& kind, const std::string& fingerprint,
                                       const std::string& entity_id, const std::string& detail_id) {
  return tx.InsertOperation(
      OperationRecord{op_key, kind, fingerprint, entity_id, detail_id, clock_.NowIso8601()});
}

Result<Invoice> BillingService::CreateInvoice(const NewInvoice& request) {
  BILLING_TRY(RequireFutureDate(request.due_date));
  BILLING_ASSIGN_OR_RETURN(std::vector<LineItem> items, BuildItems(request.items));
  if (request.notes.size() > kMaxNotesBytes) return Error::Invalid("notes", "notes are longer than 2000 characters");
  std::string fingerprint;
  if (!request.operation_key.empty()) {
    std::string item_text;
    for (const NewLineItem& li : request.items) {
      item_text += li.description + "\x1e" + std::to_string(li.quantity_milli) + "\x1e" +
                   std::to_string(li.unit_price_cents) + "\x1d";
    }
    BILLING_ASSIGN_OR_RETURN(fingerprint,
                             Fingerprint({CanonicalId(request.customer_id), item_text,
                                          request.due_date.ToString(), request.notes}));
  }
  Invoice inv;
  Status s = store_.Write([&](StoreTx& tx) -> Status {
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
      return Error::Precondition("Customer " + c.id + " (" + c.company +
                                     ") is suspended and cannot receive new invoices",
                                 "customerId");
    }
    const Date today = Today();
    inv = Invoice{};
    inv.year = today.year;
    BILLING_ASSIGN_OR_RETURN(inv.seq, tx.NextInvoiceSeq(inv.year));
    inv.id = InvoiceId(inv.year, inv.seq);
    inv.customer_id = c.id;
    inv.customer_name = c.company;
    inv.items = items;
    for (const LineItem& li : items) inv.subtotal_cents += li.amount_cents;
    inv.tax_rate_bp = TaxRateFor(c);
    inv.tax_cents = TaxCents(inv.subtotal_cents, inv.tax_rate_bp);
    inv.total_cents = inv.subtotal_cents + inv.tax_cents;
    inv.status = "pending";
    inv.issue_date = today;
    inv.due_date = request.due_date;
    inv.notes = request.notes;
    inv.created_at = clock_.NowIso8601();
    inv.created_by = request.actor.principal;
    inv.updated_by = request.actor.principal;
    inv.created_on_behalf_of = request.actor.on_behalf_of;
    inv.updated_on_behalf_of = request.actor.on_behalf_of;
    BILLING_TRY(tx.InsertInvoice(inv));
    if (!request.operation_key.empty()) {
      BILLING_TRY(RecordOperation(tx, request.operation_key, "invoice", fingerprint, inv.id));
    }
    return Audit(tx, Change(request.actor, request.request_id, "invoice.create", "invoice", inv.id,
                            nullptr, InvoiceAuditJson(inv)));
  });
  if (!s.ok()) return s.error();
  return inv;
}

Result<Invoice> BillingService::GetInvoice(const std::string& invoice_id) {
  Invoice inv;
  Status s = store_.Read([&](StoreTx& tx) -> Status {
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
  if (status.empty()) {
    q.status = InvoiceStatusFilter::kAll;
  } else if (status == "pending") {
    q.status = InvoiceStatusFilter::kPending;
  } else if (status == "overdue") {
    q.status = InvoiceStatusFilter::kOverdue;
  } else if (status == "paid") {
    q.status = InvoiceStatusFilter::kPaid;
  } else if (status == "cancelled") {
    q.status = InvoiceStatusFilter::kCancelled;
  } else {
    return Error::Invalid("status", "status must be one of pending, paid, overdue, cancelled");
  }
  BILLING_TRY(CheckPage(page));
  q.today = Today();
  InvoiceList out;
  Status s = store_.Read([&](StoreTx& tx) -> Status {
    out = InvoiceList{};
    if (!customer_id.empty()) {
      BILLING_ASSIGN_OR_RETURN(Customer c, RequireCustomer(tx, customer_id, "customerId"));
      q.customer_id = c.id;
    }
    BILLING_ASSIGN_OR_RETURN(out.invoices, tx.ListInvoices(q, page));
    BILLING_ASSIGN_OR_RETURN(out.totals, tx.SumInvoices(q));
    return OkStatus();
  });
  if (!s.ok()) return s.error();
  return out;
}

Result<Invoice> BillingService::UpdateInvoice(const std::string& invoice_id,
                                              const InvoiceUpdate& update, const Actor& actor,
                                              const std::string& request_id) {
  if (!update.due_date && !update.notes && !update.items) {
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
  Invoice inv;
  Status s = store_.Write([&](StoreTx& tx) -> Status {
    BILLING_ASSIGN_OR_RETURN(inv, ResolveInvoice(tx, invoice_id));
    if (inv.status != "pending") {
      return Error::Precondition("Invoice " + inv.id + " is " + inv.status + " and cannot be edited",
                                 "invoiceId");
    }
    if (inv.paid_cents != 0) {
      return Error::Precondition("Invoice " + inv.id + " has payments of " + Money(inv.paid_cents) +
                                     " and cannot be edited",
                                 "invoiceId");
    }
    const nlohmann::json before = InvoiceAuditJson(inv);
    if (update.due_date) inv.due_date = *update.due_date;
    if (update.notes) inv.notes = *update.notes;
    if (update.items) {
      inv.items = items;
      inv.subtotal_cents = 0;
      for (const LineItem& li : items) inv.subtotal_cents += li.amount_cents;
      inv.tax_cents = TaxCents(inv.subtotal_cents, inv.tax_rate_bp);
      inv.total_cents = inv.subtotal_cents + inv.tax_cents;
    }
    inv.updated_by = actor.principal;
    inv.updated_on_behalf_of = actor.on_behalf_of;
    BILLING_TRY(tx.UpdateInvoice(inv));
    return Audit(tx, Change(actor, request_id, "invoice.update", "invoice", inv.id, before,
                            InvoiceAuditJson(inv)));
  });
  if (!s.ok()) return s.error();
  return inv;
}

Result<Invoice> BillingService::CancelInvoice(const std::string& invoice_id, const Actor& actor,
                                              const std::string& request_id) {
  Invoice inv;
  Status s = store_.Write([&](StoreTx& tx) -> Status {
    BILLING_ASSIGN_OR_RETURN(inv, ResolveInvoice(tx, invoice_id));
    if (inv.status == "cancelled") {
      return Error::Precondition("Invoice " + inv.id + " is already cancelled", "invoiceId");
    }
    if (inv.status == "paid" || inv.paid_cents != 0) {
      return Error::Precondition("Invoice " + inv.id + " has been paid (" + Money(inv.paid_cents) +
                                     ") and cannot be cancelled; refund the payment first",
                                 "invoiceId");
    }
    const nlohmann::json before = InvoiceAuditJson(inv);
    inv.status = "cancelled";
    inv.updated_by = actor.principal;
    inv.updated_on_behalf_of = actor.on_behalf_of;
    BILLING_TRY(tx.UpdateInvoice(inv));
    return Audit(tx, Change(actor, request_id, "invoice.cancel", "invoice", inv.id, before,
                            InvoiceAuditJson(inv)));
  });
  if (!s.ok()) return s.error();
  return inv;
}

Result<MarkPaidOutcome> BillingService::MarkInvoicePaid(const std::string& invoice_id,
                                                        const std::string& method,
                                                        const Actor& actor,
                                                        const std::string& request_id,
                                                        const std::string& operation_key) {
  if (!method.empty() && !IsOneOf(method, kPaymentMethods)) {
    return Error::Invalid("paymentMethod",
                          "paymentMethod must be one of credit_card, bank_transfer, paypal, crypto");
  }
  std::string fingerprint;
  if (!operation_key.empty()) {
    BILLING_ASSIGN_OR_RETURN(fingerprint, Fingerprint({CanonicalId(invoice_id), method}));
  }
  MarkPaidOutcome out;
  Status s = store_.Write([&](StoreTx& tx) -> Status {
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
    if (inv.status == "paid") return Error::Precondition("Invoice " + inv.id + " is already paid", "invoiceId");
    if (inv.status == "cancelled") {
      return Error::Precondition("Invoice " + inv.id + " is cancelled and cannot be paid", "invoiceId");
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
      p.invoice_id = inv.id;
      p.amount_cents = due;
      p.method = used_method;
      p.status = "completed";
      p.transaction_id = "txn_" + ids_.HexToken(12);
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
    nlohmann::json after = InvoiceAuditJson(inv);
    after["payment"] = due > 0 ? PaymentAuditJson(p) : nlohmann::json();
    if (!operation_key.empty()) {
      BILLING_TRY(RecordOperation(tx, operation_key, "mark_paid", fingerprint, inv.id, p.id));
    }
    BILLING_TRY(Audit(tx, Change(actor, request_id, "invoice.mark_paid", "invoice", inv.id, before,
                                 after)));
    out.invoice = std::move(inv);
    out.payment = std::move(p);
    return OkStatus();
  });
  if (!s.ok()) return s.error();
  return out;
}

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
    return Error::Invalid("card.number",
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
    return Error::Precondition("Card details cannot be stored: no data key is configured (BILLING_DATA_KEYS)",
                               "card");
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
  card.id = "PM-" + std::string(card.number < 10 ? "00" : card.number < 100 ? "0" : "") +
            std::to_string(card.number);
  card.customer_id = customer.id;
  card.brand = security::CardBrand(digits);
  card.last4 = digits.substr(digits.size() - 4);
  card.exp_month = in.exp_month;
  card.exp_year = in.exp_year;
  const nlohmann::json details = {{"number", digits}, {"expMonth", in.exp_month}, {"expYear", in.exp_year}};
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
  if (found->exp_year < today.year || (found->exp_year == today.year && found->exp_month < today.month)) {
    return Error::Precondition("Card " + id + " (" + found->brand + " ending " + found->last4 +
                                   ") has expired",
                               "paymentMethodId");
  }
  if (cipher_ == nullptr) {
    return Error::Precondition("Stored cards cannot be charged: no data key is configured", "paymentMethodId");
  }
  // The simulated processor needs the details: they must open with a configured key.
  Result<std::string> details = cipher_->Open(found->details_sealed, found->id);
  if (!details.ok()) {
    return Error::Precondition("Card " + id + " cannot be charged: its details do not open with the configured data keys (" +
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
    BILLING_TRY(store_.Write([&](StoreTx& tx) -> Status {
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

Result<PaymentOutcome> BillingService::ProcessPayment(const PaymentRequest& req) {
  if (req.amount_cents <= 0) return Error::Invalid("amount", "amount must be greater than zero");
  if (req.amount_cents > options_.max_amount_cents) {
    return Error::Invalid("amount", "amount exceeds the maximum of " + Money(options_.max_amount_cents));
  }
  if (!req.method.empty() && !IsOneOf(req.method, kPaymentMethods)) {
    return Error::Invalid("paymentMethod",
                          "paymentMethod must be one of credit_card, bank_transfer, paypal, crypto");
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
    BILLING_ASSIGN_OR_RETURN(fingerprint,
                             Fingerprint({CanonicalId(req.customer_id), std::to_string(req.amount_cents),
                                          req.method, CanonicalId(req.invoice_id), card_text}));
  }
  PaymentOutcome out;
  Status s = store_.Write([&](StoreTx& tx) -> Status {
    if (!req.operation_key.empty()) {
      BILLING_ASSIGN_OR_RETURN(auto prior,
                               PriorOperation(tx, req.operation_key, "payment", fingerprint));
      if (prior) {
        BILLING_ASSIGN_OR_RETURN(auto payment, tx.FindPayment(prior->entity_id));
        if (!payment) return Error::Internal("operation " + req.operation_key + ": payment missing");
        out.payment = std::move(*payment);
        BILLING_TRY(LoadAllocations(tx, out.payment));
        BILLING_ASSIGN_OR_RETURN(out.new_balance_cents, Balance(tx, out.payment.customer_id));
        out.approved = out.payment.status != "failed";
        out.replayed = true;
        return OkStatus();
      }
    }
    BILLING_ASSIGN_OR_RETURN(Customer c, RequireCustomer(tx, req.customer_id, "customerId"));
    std::optional<Invoice> named;  // the invoice the caller named; none = the open ones, oldest due first
    if (!req.invoice_id.empty()) {
      BILLING_ASSIGN_OR_RETURN(Invoice inv, ResolveInvoice(tx, req.invoice_id));
      if (inv.customer_id != c.id) {
        return Error::Precondition("Invoice " + inv.id + " belongs to " + inv.customer_id + ", not " + c.id,
                                   "invoiceId");
      }
      if (inv.status != "pending") {
        return Error::Precondition("Invoice " + inv.id + " is " + inv.status + "; nothing is due on it",
                                   "invoiceId");
      }
      const int64_t due = AmountDueCents(inv);
      if (req.amount_cents > due) {
        return Error::Invalid("amount", "amount " + Money(req.amount_cents) +
                                            " exceeds the " + Money(due) + " still due on invoice " +
                                            inv.id);
      }
      named = std::move(inv);
    }

    Payment& p = out.payment;
    BILLING_ASSIGN_OR_RETURN(p.number, tx.NextPaymentNumber());
    p.id = PaymentId(p.number);
    p.customer_id = c.id;
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
    p.transaction_id = "txn_" + ids_.HexToken(12);
    p.created_at = clock_.NowIso8601();
    p.actor = req.actor.principal;
    p.on_behalf_of = req.actor.on_behalf_of;
    std::vector<std::string> invoices_paid;
    out.approved = Approve();
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
        if (inv.paid_cents == inv.total_cents) {
          inv.status = "paid";
          inv.paid_date = today;
          inv.payment_method = p.method;
          inv.updated_by = req.actor.principal;
          inv.updated_on_behalf_of = req.actor.on_behalf_of;
          BILLING_TRY(tx.UpdateInvoice(inv));
          invoices_paid.push_back(inv.id);
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
    }
    BILLING_ASSIGN_OR_RETURN(out.new_balance_cents, Balance(tx, c.id));
    nlohmann::json after = PaymentAuditJson(p);
    after["invoicesPaid"] = invoices_paid;
    after["newBalanceCents"] = out.new_balance_cents;
    if (!req.operation_key.empty()) {
      BILLING_TRY(RecordOperation(tx, req.operation_key, "payment", fingerprint, p.id));
    }
    return Audit(tx, Change(req.actor, req.request_id, "payment.process", "payment", p.id, nullptr,
                            after));
  });
  if (!s.ok()) return s.error();
  return out;
}

Result<RefundOutcome> BillingService::RefundPayment(const std::string& payment_id,
                                                    std::optional<int64_t> amount_cents,
                                                    const std::string& reason,
                                                    const Actor& actor,
                                                    const std::string& request_id,
                                                    const std::string& operation_key) {
  if (amount_cents && *amount_cents <= 0) return Error::Invalid("amount", "amount must be greater than zero");
  if (reason.size() > kMaxNotesBytes) return Error::Invalid("reason", "reason is longer than 2000 characters");
  std::string fingerprint;
  if (!operation_key.empty()) {
    BILLING_ASSIGN_OR_RETURN(
        fingerprint, Fingerprint({CanonicalId(payment_id),
                                  amount_cents ? std::to_string(*amount_cents) : "all", reason}));
  }
  RefundOutcome out;
  Status s = store_.Write([&](StoreTx& tx) -> Status {
    if (!operation_key.empty()) {
      BILLING_ASSIGN_OR_RETURN(auto prior, PriorOperation(tx, operation_key, "refund", fingerprint));
      if (prior) {
        BILLING_ASSIGN_OR_RETURN(auto payment, tx.FindPayment(prior->entity_id));
        if (!payment) return Error::Internal("operation " + operation_key + ": payment missing");
        out.payment = std::move(*payment);
        BILLING_TRY(LoadAllocations(tx, out.payment));
        BILLING_ASSIGN_OR_RETURN(std::vector<Refund> refunds, tx.RefundsOf(out.payment.id));
        auto it = std::find_if(refunds.begin(), refunds.end(),
                               [&](const Refund& r) { return r.id == prior->detail_id; });
        if (it == refunds.end()) return Error::Internal("operation " + operation_key + ": refund missing");
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
      return Error::Precondition("Payment " + p.id + " has already been fully refunded", "paymentId");
    }
    const int64_t refundable = p.amount_cents - p.refunded_cents;
    const int64_t amount = amount_cents.value_or(refundable);
    if (amount > refundable) {
      return Error::Invalid("amount", "refund of " + Money(amount) + " exceeds the " +
                                          Money(refundable) + " still refundable on payment " + p.id);
    }
    BILLING_TRY(LoadAllocations(tx, p));
    const nlohmann::json before = PaymentAuditJson(p);
    std::vector<std::string> reopened;
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
    }
    assert(remaining == 0);
    p.refunded_cents += amount;
    p.status = p.refunded_cents == p.amount_cents ? "refunded" : "partially_refunded";
    BILLING_TRY(tx.UpdatePaymentRefund(p.id, p.refunded_cents, p.status));
    Refund& r = out.refund;
    BILLING_ASSIGN_OR_RETURN(r.number, tx.NextRefundNumber());
    r.id = RefundId(r.number);
    r.payment_id = p.id;
    r.amount_cents = amount;
    r.reason = reason.empty() ? "Customer request" : reason;
    r.transaction_id = "txn_" + ids_.HexToken(12);
    r.created_at = clock_.NowIso8601();
    r.actor = actor.principal;
    r.on_behalf_of = actor.on_behalf_of;
    BILLING_TRY(tx.InsertRefund(r));
    BILLING_ASSIGN_OR_RETURN(out.new_balance_cents, Balance(tx, p.customer_id));
    nlohmann::json after = PaymentAuditJson(p);
    after["refund"] = RefundAuditJson(r);
    after["invoicesReopened"] = reopened;
    after["newBalanceCents"] = out.new_balance_cents;
    if (!operation_key.empty()) {
      BILLING_TRY(RecordOperation(tx, operation_key, "refund", fingerprint, p.id, r.id));
    }
    BILLING_TRY(Audit(tx, Change(actor, request_id, "payment.refund", "payment", p.id, before,
                                 after)));
    out.payment = std::move(p);
    return OkStatus();
  });
  if (!s.ok()) return s.error();
  return out;
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
    for (Payment& p : out.payments) BILLING_TRY(LoadAllocations(tx, p));
    BILLING_ASSIGN_OR_RETURN(out.totals, tx.SumPayments(q));
    return OkStatus();
  });
  if (!s.ok()) return s.error();
  return out;
}

Result<PaymentList> BillingService::FailedPayments(const std::string& customer_id,
                                                   const PageSpec& page) {
  BILLING_TRY(CheckPage(page));
  PaymentList out;
  Status s = store_.Read([&](StoreTx& tx) -> Status {
    out = PaymentList{};
    PaymentQuery q;
    q.status = "failed";
    if (!customer_id.empty()) {
      BILLING_ASSIGN_OR_RETURN(Customer c, RequireCustomer(tx, customer_id, "customerId"));
      q.customer_id = c.id;
    }
    BILLING_ASSIGN_OR_RETURN(out.payments, tx.ListPayments(q, page));
    BILLING_ASSIGN_OR_RETURN(out.totals, tx.SumPayments(q));
    return OkStatus();
  });
  if (!s.ok()) return s.error();
  return out;
}

Result<PaymentList> BillingService::PaymentsInPeriod(const std::string& customer_id,
                                                     const Date& from, const Date& to,
                                                     const PageSpec& page) {
  BILLING_TRY(CheckPage(page));
  if (to < from) {
    return Error::Invalid("to", "to (" + to.ToString() + ") must not be before from (" +
                                    from.ToString() + ")");
  }
  PaymentList out;
  Status s = store_.Read([&](StoreTx& tx) -> Status {
    out = PaymentList{};
    PaymentQuery q;
    q.from_at = from.ToString() + "T00:00:00.000Z";
    q.until_at = Date::FromDaysSinceEpoch(to.DaysSinceEpoch() + 1).ToString() + "T00:00:00.000Z";
    if (!customer_id.empty()) {
      BILLING_ASSIGN_OR_RETURN(Customer c, RequireCustomer(tx, customer_id, "customerId"));
      q.customer_id = c.id;
    }
    BILLING_ASSIGN_OR_RETURN(out.payments, tx.ListPayments(q, page));
    BILLING_ASSIGN_OR_RETURN(out.totals, tx.SumPayments(q));
    return OkStatus();
  });
  if (!s.ok()) return s.error();
  return out;
}

// ---------------------------------------------------------------------------------------------
// Invariants

Status BillingService::CheckInvariants() {
  return store_.Read([&](StoreTx& tx) -> Status {
    constexpr int64_t kMaxRows = 100'000'000;
    const Error too_many = Error::Internal("invariant check: more than 100 million rows");
    BILLING_ASSIGN_OR_RETURN(auto ledger, tx.Ledger(""));

    std::map<std::string, int64_t> expected;  // independent recomputation of each balance
    std::map<std::string, int64_t> invoice_paid;  // recomputed from the allocations
    int64_t customers = 0;
    BILLING_TRY(WalkCustomers(tx, CustomerQuery{}, kMaxRows, too_many, [&](CustomerRow& row) -> Result<bool> {
      ++customers;
      expected[row.customer.id] = row.customer.opening_balance_cents;
      if (row.balance_cents != OutstandingCents(ledger[row.customer.id])) {
        return Error::Internal("invariant: listed balance of " + row.customer.id +
                               " does not match its totals");
      }
      return true;
    }));
    BILLING_ASSIGN_OR_RETURN(int64_t customer_count, tx.CountCustomers());
    if (customers != customer_count || int64_t(ledger.size()) != customer_count) {
      return Error::Internal("invariant: the customer walk, the count and the ledger totals disagree");
    }

    std::set<std::pair<int, int>> numbers;
    std::vector<std::pair<std::string, int64_t>> stored_paid;  // invoice id, paid_cents
    int64_t invoices = 0;
    BILLING_TRY(WalkInvoices(tx, InvoiceQuery{}, kMaxRows, too_many, [&](Invoice& inv) -> Result<bool> {
      ++invoices;
      if (inv.subtotal_cents + inv.tax_cents != inv.total_cents) {
        return Error::Internal("invariant: subtotal + tax != total on " + inv.id);
      }
      int64_t items = 0;
      for (const LineItem& li : inv.items) items += li.amount_cents;
      if (items != inv.subtotal_cents) return Error::Internal("invariant: items != subtotal on " + inv.id);
      if (inv.paid_cents < 0 || inv.paid_cents > inv.total_cents) {
        return Error::Internal("invariant: paid - refunded outside [0, total] on " + inv.id);
      }
      if (inv.status == "paid" && inv.paid_cents != inv.total_cents) {
        return Error::Internal("invariant: paid invoice not fully paid: " + inv.id);
      }
      if (inv.status == "cancelled" && inv.paid_cents != 0) {
        return Error::Internal("invariant: cancelled invoice holds payments: " + inv.id);
      }
      if (!numbers.insert({inv.year, inv.seq}).second) {
        return Error::Internal("invariant: duplicate invoice number " + inv.id);
      }
      if (inv.status != "cancelled") expected[inv.customer_id] += inv.total_cents;
      stored_paid.emplace_back(inv.id, inv.paid_cents);
      return true;
    }));
    BILLING_ASSIGN_OR_RETURN(InvoiceTotals invoice_totals, tx.SumInvoices(InvoiceQuery{}));
    if (invoice_totals.count != invoices) {
      return Error::Internal("invariant: the invoice walk and the invoice count disagree");
    }

    std::set<std::string> txns;
    int64_t payments = 0;
    BILLING_TRY(WalkPayments(tx, PaymentQuery{}, kMaxRows, too_many, [&](Payment& p) -> Result<bool> {
      ++payments;
      if (p.refunded_cents < 0 || p.refunded_cents > p.amount_cents) {
        return Error::Internal("invariant: refunded outside [0, amount] on " + p.id);
      }
      if (p.status == "failed" && p.refunded_cents != 0) {
        return Error::Internal("invariant: failed payment has refunds: " + p.id);
      }
      if (!txns.insert(p.transaction_id).second) {
        return Error::Internal("invariant: duplicate transaction id on " + p.id);
      }
      if (p.status != "failed") expected[p.customer_id] += p.refunded_cents - p.amount_cents;
      BILLING_ASSIGN_OR_RETURN(auto allocs, tx.AllocationsOf(p.id));
      int64_t allocated = 0, alloc_refunded = 0;
      for (const Allocation& a : allocs) {
        allocated += a.amount_cents;
        alloc_refunded += a.refunded_cents;
        invoice_paid[a.invoice_id] += a.amount_cents - a.refunded_cents;
      }
      if (allocated > p.amount_cents || alloc_refunded > p.refunded_cents) {
        return Error::Internal("invariant: allocations exceed payment " + p.id);
      }
      if (p.status == "failed" && allocated != 0) {
        return Error::Internal("invariant: failed payment was applied: " + p.id);
      }
      return true;
    }));
    BILLING_ASSIGN_OR_RETURN(PaymentTotals payment_totals, tx.SumPayments(PaymentQuery{}));
    if (payment_totals.count != payments) {
      return Error::Internal("invariant: the payment walk and the payment count disagree");
    }
    for (const auto& [id, paid] : stored_paid) {
      if (paid != invoice_paid[id]) {
        return Error::Internal("invariant: paid total of " + id + " does not match its allocations");
      }
    }
    for (const auto& [id, want] : expected) {
      if (OutstandingCents(ledger[id]) != want) {
        return Error::Internal("invariant: balance of " + id + " does not match the ledger");
      }
    }
    return OkStatus();
  });
}

}  // namespace billing
