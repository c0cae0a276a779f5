// The storage interface of the billing ledger. A Store runs a function inside one transaction and
// hands it a StoreTx: record-level reads and writes with no business rules (those live in
// billing/). SQLite (store/sqlite/) and PostgreSQL (store/postgres/) implement it; store/backend.h
// opens the one a URL names, and nothing above src/store knows which one runs.
//
// Contract: Write() runs `fn` in a serialisable write transaction and commits only if `fn` returns
// OK and the commit is durable on disk; otherwise everything `fn` did is rolled back. `fn` may run
// more than once (PostgreSQL retries a write that met a deadlock or a serialization failure): it
// must change nothing outside the transaction except outputs it resets on entry, and decide
// anything random or external once (drawn before, or memoised across runs). Read() runs
// `fn` on a consistent snapshot. Errors are values; a StoreTx method that fails returns an Error
// with code kInternal (message safe to log, not to show to users), or kDatabaseUnavailable when
// the database cannot be reached (HTTP 503).
//
// Thread-safety: a Store is safe to use from many threads at once; a StoreTx belongs to the one
// call that received it and must not escape it.
#pragma once

#include <array>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "billing/types.h"
#include "common/result.h"

namespace billing {

// A page of a list: at most `limit` rows (1..kMaxPageRows) after skipping `offset` rows, in the
// list's order. A page is always fetched with its own bounded query; counts and totals of the same
// list come from the matching Sum* method over every row, never from a page.
inline constexpr int kMaxPageRows = 1000;
// Bound of the rows one report reads (StoreTx::Receivables and the month ranges).
inline constexpr int64_t kMaxReportRows = 100'000;
struct PageSpec {
  int64_t offset = 0;
  int limit = 100;
};

// Invoices as a list selects them. The store applies every filter (statuses are stored, "overdue"
// is pending with a due date before `today`), so a page and the totals of one query cover exactly
// the same rows. List order: due date, then id (oldest due first).
enum class InvoiceStatusFilter {
  kAll,
  kOpen,     // stored pending, whatever the due date
  kPending,  // pending and due on or after today (not overdue)
  kOverdue,  // pending and due before today
  kPaid,
  kCancelled,
};
struct InvoiceQuery {
  std::string customer_id;  // canonical id; "" = every customer
  InvoiceStatusFilter status = InvoiceStatusFilter::kAll;
  Date today = {};  // the server's today, for kPending / kOverdue / overdue_count
  // Keyset continuation: only invoices after (after_due_date, after_id) in list order; an empty
  // after_id starts at the beginning. Walks that visit every row use this, not offsets.
  Date after_due_date = {};
  std::string after_id = {};
  // Most still due first (a ranking), else oldest due first; not with the keyset.
  bool by_amount_due = false;
  std::string currency = {};  // ISO 4217 code: only invoices in it; "" = any
};
// Money totals are of one currency: a list spanning several is summed once per currency
// (currency filter), never across them.
struct InvoiceTotals {
  int64_t count = 0;
  int64_t total_cents = 0;    // sum of the invoices' totals
  int64_t due_cents = 0;      // sum of what is still due on them (rules.h AmountDueCents)
  int64_t overdue_count = 0;  // of them, pending and due before today
  std::string currency = {};  // of the money; set by the reader that knows it (the query's)
};

// Payments as a list selects them. List order: newest first (by number).
struct PaymentQuery {
  std::string customer_id;     // canonical id; "" = every customer
  std::string status = {};     // kPaymentStatuses; "" = any
  int64_t before_number = {};  // keyset: only payments numbered below this; 0 = from the newest
  // A period: created_at >= from_at and < until_at (ISO 8601 UTC, both or neither); the page is
  // then newest first by created_at. Not with before_number or status.
  std::string from_at = {};
  std::string until_at = {};
  std::string currency = {};  // ISO 4217 code: only payments in it; "" = any
};
struct PaymentTotals {
  int64_t count = 0;
  int64_t amount_cents = 0;    // sum of the amounts of every matching payment
  int64_t settled_cents = 0;   // of those not failed (money that moved, even if later refunded)
  int64_t refunded_cents = 0;  // refunded of them
  std::string currency = {};   // of the money (as InvoiceTotals)
};

// Customers as a list selects them, with the outstanding balance derived from the running ledger
// totals (rules.h OutstandingCents). List order: id.
struct AuditQuery {
  int64_t after_seq = 0;          // rows with seq > after_seq
  std::string actor = {};         // the principal exactly; "" = any
  std::string on_behalf_of = {};  // the claimed end user exactly; "" = any
};
// Events as the list selects them: seq order, oldest first (newest first with newest_first).
struct EventQuery {
  int64_t after_seq = 0;  // rows with seq > after_seq
  std::string type = {};  // one event type exactly; "" = any
  bool newest_first = false;
};
struct CustomerQuery {
  std::string status, billing_cycle, payment_method;  // empty = any
  std::optional<bool> has_outstanding_balance = {};   // balance > 0 (true) or <= 0 (false)
  std::optional<int64_t> min_balance_cents = {};      // balance >= this
  std::string after_id = {};                          // keyset: ids after this; "" = from the start
  bool by_balance = false;    // highest balance first (a ranking), else by id; not with after_id
  std::string currency = {};  // ISO 4217 code: only customers billed in it; "" = any
};
struct CustomerRow {
  Customer customer;
  int64_t balance_cents = 0;  // negative = credit
};
struct CustomerTotals {
  int64_t count = 0;
  int64_t outstanding_cents = 0;  // sum of the positive balances
  int64_t credit_cents = 0;       // sum of the credits (negative balances), as a positive number
  std::string currency = {};      // of the money (as InvoiceTotals)
};

// Subscriptions as a list selects them. List order: number (SUB-001 first), or with a renewal
// window the date their next period starts, then number.
struct SubscriptionQuery {
  std::string customer_id;  // canonical id; "" = every customer
  std::string status = {};  // kSubscriptionStatuses; "" = any
  // Renewals: only subscriptions whose next period starts within [renew_from, renew_to] and that
  // are not set to cancel at the period end (both or neither).
  std::optional<Date> renew_from = {};
  std::optional<Date> renew_to = {};
  // Keyset: only subscriptions numbered above this (number order); 0 = from the first.
  int64_t after_number = 0;
};
struct SubscriptionTotals {
  int64_t count = 0;
};
// The subscriptions a billing run bills: those whose next period starts on or before `due_by`,
// in (next_bill_date, number) order after the keyset (after_date, after_number).
struct DueSubscriptionsQuery {
  Date due_by;
  std::string after_date = {};  // "" = from the start
  int64_t after_number = 0;
};

// StoreTx::CountBacklog's answer.
struct Backlog {
  int64_t subscriptions_due = 0;
  int64_t webhook_deliveries_pending = 0;
  int64_t emails_pending = 0;
};

// What the customer view shows, read together (StoreTx::ReadCustomerOverview).
struct CustomerOverviewQuery {
  std::string customer_id;  // canonical
  Date today = {};          // for the open invoices' overdue count
  int open_invoices = 50;   // the page of open invoices (oldest due first), 1..kMaxPageRows
  int recent_payments = 5;  // the newest payments, 1..kMaxPageRows
  int max_cards = 100;      // stored cards, 1..kMaxPageRows
};
struct CustomerOverview {
  std::optional<Customer> customer;  // nullopt: no such customer (nothing else is read)
  LedgerTotals ledger;
  std::vector<Invoice> open_invoices;    // items filled
  InvoiceTotals open_totals;             // over every open invoice, not only the page
  std::vector<Payment> recent_payments;  // allocations filled
  std::vector<StoredCard> cards;
};

class StoreTx {
 public:
  virtual ~StoreTx() = default;

  // Customers. Ids are passed in canonical (upper) case.
  virtual Result<std::optional<Customer>> FindCustomer(const std::string& id) = 0;
  // A page of the customers `q` selects, and the count and balance totals of all of them.
  virtual Result<std::vector<CustomerRow>> ListCustomers(const CustomerQuery& q,
                                                         const PageSpec& page) = 0;
  virtual Result<CustomerTotals> SumCustomers(const CustomerQuery& q) = 0;
  virtual Status InsertCustomer(const Customer& c) = 0;
  // Replaces the fields a customer update may change (company, contact, email, billing cycle,
  // payment method, currency, tax rate, locale, payment terms); not the id, status, opening
  // balance or creation time. kInternal when the customer is gone.
  virtual Status UpdateCustomer(const Customer& c) = 0;
  // The next customer number (CUST-<n>), from 1, never handed out twice (a counter row).
  virtual Result<int64_t> NextCustomerNumber() = 0;
  // Whether the customer has any invoice, draft, payment or subscription (its currency is then
  // fixed).
  virtual Result<bool> CustomerHasRecords(const std::string& id) = 0;
  virtual Result<int64_t> CountCustomers() = 0;
  // The currencies of the customers, in code order (at most one per known currency): every
  // invoice and payment is in its customer's, so these are all the ledger holds.
  virtual Result<std::vector<std::string>> CurrenciesInUse() = 0;
  // Ledger sums per customer id (every customer has an entry).
  virtual Result<std::map<std::string, LedgerTotals>> Ledger(const std::string& customer_id) = 0;

  // Invoices (items and paid_cents filled in).
  virtual Result<std::optional<Invoice>> FindInvoice(const std::string& id) = 0;
  virtual Result<std::vector<std::string>> InvoiceIdsWithSeq(int seq) = 0;
  // A page of the invoices `q` selects (items filled in), and the totals of all of them.
  virtual Result<std::vector<Invoice>> ListInvoices(const InvoiceQuery& q,
                                                    const PageSpec& page) = 0;
  virtual Result<InvoiceTotals> SumInvoices(const InvoiceQuery& q) = 0;
  // Allocates the next invoice sequence number of `year` (gapless; part of the transaction).
  virtual Result<int> NextInvoiceSeq(int year) = 0;
  virtual Status InsertInvoice(const Invoice& inv) = 0;
  // Replaces the mutable fields and the line items of an existing invoice.
  virtual Status UpdateInvoice(const Invoice& inv) = 0;

  // Payments.
  virtual Result<int64_t> NextPaymentNumber() = 0;
  virtual Result<int64_t> NextRefundNumber() = 0;
  virtual Result<std::optional<Payment>> FindPayment(const std::string& id) = 0;
  // A page of the payments `q` selects (newest first), and the totals of all of them.
  virtual Result<std::vector<Payment>> ListPayments(const PaymentQuery& q,
                                                    const PageSpec& page) = 0;
  virtual Result<PaymentTotals> SumPayments(const PaymentQuery& q) = 0;
  virtual Status InsertPayment(const Payment& p) = 0;
  virtual Status UpdatePaymentRefund(const std::string& id, int64_t refunded_cents,
                                     const std::string& status) = 0;
  virtual Result<std::vector<Allocation>> AllocationsOf(const std::string& payment_id) = 0;
  // Sets the allocations of each payment of a page (at most kMaxPageRows payments), as
  // AllocationsOf would. This default asks AllocationsOf for each; a backend that pays a round
  // trip per statement (PostgreSQL) reads them all with one.
  virtual Status FillAllocations(std::vector<Payment>& payments) {
    for (Payment& p : payments) {
      BILLING_ASSIGN_OR_RETURN(p.allocations, AllocationsOf(p.id));
    }
    return OkStatus();
  }
  // The allocations of payments to one invoice, oldest first, at most `limit` (1..kMaxPageRows).
  virtual Result<std::vector<Allocation>> AllocationsToInvoice(const std::string& invoice_id,
                                                               int limit) = 0;
  virtual Status InsertAllocation(const Allocation& a) = 0;
  virtual Status UpdateAllocationRefunded(int64_t allocation_id, int64_t refunded_cents) = 0;
  virtual Status InsertRefund(const Refund& r) = 0;
  virtual Result<std::vector<Refund>> RefundsOf(const std::string& payment_id) = 0;
  virtual Result<std::optional<Refund>> FindRefund(const std::string& id) = 0;

  // Stored cards. ListStoredCards: ids greater than after_id (by number), of one customer
  // ("" = all), at most `limit`.
  virtual Result<int64_t> NextStoredCardNumber() = 0;
  virtual Status InsertStoredCard(const StoredCard& card) = 0;
  virtual Result<std::optional<StoredCard>> FindStoredCard(const std::string& id) = 0;
  virtual Result<std::vector<StoredCard>> ListStoredCards(const std::string& customer_id,
                                                          int64_t after_number, int limit) = 0;
  virtual Status UpdateStoredCardSeal(const std::string& id, const std::string& sealed,
                                      const std::string& key_id) = 0;

  // Operation keys (idempotency of changes). InsertOperation fails on a duplicate key.
  virtual Result<std::optional<OperationRecord>> FindOperation(const std::string& op_key) = 0;
  virtual Status InsertOperation(const OperationRecord& op) = 0;

  // Audit log (append-only). AppendAudit stores the entry exactly as given (seq, prev_hash and
  // hash are computed by the caller, billing/audit.h); a duplicate seq is an error. ListAudit
  // returns the rows of `q` in seq order, at most `limit` of them (each filter uses an index).
  virtual Status AppendAudit(const AuditEntry& e) = 0;
  virtual Result<std::vector<AuditEntry>> ListAudit(const AuditQuery& q, int limit) = 0;
  virtual Result<std::optional<AuditEntry>> LastAudit() = 0;

  // Events (the outbox). AppendEvent stores the row as given but for seq, which it sets to the
  // last one plus one in the same statement (inside the write transaction, so seq order is
  // commit order; one statement, so one round trip); a duplicate id is an error. With the event it
  // writes its webhook deliveries: one pending delivery per enabled endpoint whose events match
  // its type, due at its created_at (seq the last plus one per row), in the same statement on
  // PostgreSQL, so a committed event is never without them and costs no extra round trip.
  virtual Status AppendEvent(const Event& e) = 0;
  virtual Result<std::optional<int64_t>> EventSeq(const std::string& id) = 0;
  virtual Result<std::vector<Event>> ListEvents(const EventQuery& q, int limit) = 0;

  // Webhooks (docs/webhooks.md). Endpoints: at most kMaxWebhookEndpoints, listed by creation.
  // Deliveries are written by AppendEvent. ClaimDeliveries: up to `limit` pending deliveries due at
  // `now`, soonest first, each leased until `lease_until` (its next_attempt_at) so that no other
  // worker takes it meanwhile, with their events. DeliveriesOf: an endpoint's, newest first, below
  // `before_seq` (0 = from the newest). AttemptsOf: a delivery's attempts, oldest first.
  virtual Status PutWebhookEndpoint(const WebhookEndpoint& e) = 0;
  virtual Result<std::optional<WebhookEndpoint>> FindWebhookEndpoint(const std::string& id) = 0;
  virtual Result<std::vector<WebhookEndpoint>> ListWebhookEndpoints() = 0;
  virtual Status DeleteWebhookEndpoint(const std::string& id) = 0;
  virtual Result<std::vector<WebhookDelivery>> ClaimDeliveries(const std::string& now,
                                                               const std::string& lease_until,
                                                               int limit) = 0;
  virtual Result<bool> AnyDeliveryDue(const std::string& now) = 0;
  virtual Status UpdateDelivery(const WebhookDelivery& d) = 0;
  virtual Status InsertAttempt(const WebhookAttempt& a) = 0;
  virtual Result<std::optional<WebhookDelivery>> FindDelivery(int64_t seq) = 0;
  virtual Result<std::vector<WebhookDelivery>> DeliveriesOf(const std::string& endpoint_id,
                                                            int64_t before_seq, int limit) = 0;
  virtual Result<std::vector<WebhookAttempt>> AttemptsOf(int64_t delivery_seq, int limit) = 0;

  // Email (docs/email.md). InsertEmail stores the message as given but for seq (the last plus
  // one); one per event. ClaimEmails, AnyEmailDue, UpdateEmail: as the webhook deliveries'.
  // EmailsOf: newest first below `before_seq` (0 = from the newest), one customer's or ("") all.
  virtual Status InsertEmail(const OutboxEmail& e) = 0;
  virtual Result<std::vector<OutboxEmail>> ClaimEmails(const std::string& now,
                                                       const std::string& lease_until,
                                                       int limit) = 0;
  virtual Result<bool> AnyEmailDue(const std::string& now) = 0;
  virtual Status UpdateEmail(const OutboxEmail& e) = 0;
  virtual Result<std::optional<OutboxEmail>> FindEmail(int64_t seq) = 0;
  virtual Result<std::vector<OutboxEmail>> EmailsOf(const std::string& customer_id,
                                                    int64_t before_seq, int limit) = 0;

  // Report counters (docs/reports.md), each read by an index range, never a scan of the ledger.
  // Receivables: one customer's ("" = every customer's), by customer, currency and due date;
  // at most `limit` rows (kInvalidArgument past kMaxReportRows). RevenueMonths and
  // PaymentAttemptMonths: the months from `from_month` to `to_month` inclusive, by month.
  // MrrMonths: every month up to `to_month` inclusive (their sum is today's ARR), by month.
  virtual Result<std::vector<ReceivableRow>> Receivables(const std::string& customer_id,
                                                         int64_t limit) = 0;
  virtual Result<std::vector<RevenueMonthRow>> RevenueMonths(const std::string& from_month,
                                                             const std::string& to_month) = 0;
  virtual Result<std::vector<PaymentAttemptRow>> PaymentAttemptMonths(
      const std::string& from_month, const std::string& to_month) = 0;
  virtual Result<std::vector<MrrMonthRow>> MrrMonths(const std::string& to_month) = 0;
  // The work waiting for the background loops (/metrics): subscriptions due for a billing run by
  // `today`, pending webhook deliveries and pending emails, each counted along its index up to
  // `cap` (a count of `cap` means "at least").
  virtual Result<Backlog> CountBacklog(const Date& today, int64_t cap) = 0;

  // Plans. InsertPlan fails on a duplicate id. ListPlans: every plan by id, at most `limit`.
  virtual Status InsertPlan(const Plan& p) = 0;
  virtual Result<std::optional<Plan>> FindPlan(const std::string& id) = 0;
  virtual Result<std::vector<Plan>> ListPlans(int limit) = 0;

  // Subscriptions. UpdateSubscription replaces every field but id, number, customer and start.
  virtual Result<int64_t> NextSubscriptionNumber() = 0;
  virtual Status InsertSubscription(const Subscription& s) = 0;
  virtual Status UpdateSubscription(const Subscription& s) = 0;
  virtual Result<std::optional<Subscription>> FindSubscription(const std::string& id) = 0;
  virtual Result<std::vector<Subscription>> ListSubscriptions(const SubscriptionQuery& q,
                                                              const PageSpec& page) = 0;
  virtual Result<SubscriptionTotals> SumSubscriptions(const SubscriptionQuery& q) = 0;
  // At most `limit` (1..kMaxPageRows) of the subscriptions `q` selects, in its order.
  virtual Result<std::vector<Subscription>> DueSubscriptions(const DueSubscriptionsQuery& q,
                                                             int limit) = 0;
  // Records that a period was handled; kConflict when (subscription, period start) already was.
  // Points the period of `subscription_id` billed by `from_invoice_id` (a draft) at the invoice
  // it became; exactly one row.
  virtual Status SetPeriodInvoice(const std::string& subscription_id,
                                  const std::string& from_invoice_id,
                                  const std::string& to_invoice_id) = 0;
  virtual Status InsertSubscriptionPeriod(const SubscriptionPeriod& p) = 0;
  // The periods of a subscription, oldest first, at most `limit` (1..kMaxPageRows).
  virtual Result<std::vector<SubscriptionPeriod>> PeriodsOf(const std::string& subscription_id,
                                                            int limit) = 0;

  // Invoice drafts (kept apart from invoices; types.h InvoiceDraft). NextDraftNumber allocates
  // the next draft number (part of the transaction). ListDrafts: drafts in status "draft" of one
  // customer ("" = all), by number, a page; CountDrafts counts the same rows.
  virtual Result<int64_t> NextDraftNumber() = 0;
  virtual Status InsertDraft(const InvoiceDraft& d) = 0;
  // Replaces every field but id, number, customer and creation.
  virtual Status UpdateDraft(const InvoiceDraft& d) = 0;
  virtual Result<std::optional<InvoiceDraft>> FindDraft(const std::string& id) = 0;
  // after_number: keyset, only drafts numbered above it (0 = from the first).
  virtual Result<std::vector<InvoiceDraft>> ListDrafts(const std::string& customer_id,
                                                       const PageSpec& page,
                                                       int64_t after_number) = 0;
  virtual Result<int64_t> CountDrafts(const std::string& customer_id) = 0;
  // Drafts in status "draft" whose finalize_at is set and not after `now` (ISO 8601 UTC), the
  // earliest first, at most `limit` (1..kMaxPageRows).
  virtual Result<std::vector<InvoiceDraft>> DueDrafts(const std::string& now, int limit) = 0;

  // Credit notes. NextCreditNoteSeq allocates the next number of `year` (gapless, like
  // invoices'). CreditNotesOf: of one invoice, oldest first, at most `limit` (1..kMaxPageRows).
  // ListCreditNotes: every credit note after `after_id` in (year, seq) order, at most `limit`
  // (for walks over all of them).
  virtual Result<int> NextCreditNoteSeq(int year) = 0;
  virtual Status InsertCreditNote(const CreditNote& cn) = 0;
  virtual Result<std::optional<CreditNote>> FindCreditNote(const std::string& id) = 0;
  virtual Result<std::vector<CreditNote>> CreditNotesOf(const std::string& invoice_id,
                                                        int limit) = 0;
  virtual Result<std::vector<CreditNote>> ListCreditNotes(int after_year, int after_seq,
                                                          int limit) = 0;
  // The payments of a customer that hold credit (not failed; amount - refunded - applied > 0),
  // oldest first, at most `limit` (1..kMaxPageRows): what a new invoice uses before it is owed.
  virtual Result<std::vector<Payment>> PaymentsWithCredit(const std::string& customer_id,
                                                          int limit) = 0;
  // Moves `amount_cents` of allocation `allocation_id` off its invoice (the money stays with the
  // payment, unapplied: the customer's credit). Deletes the allocation when nothing is left.
  virtual Status ReduceAllocation(int64_t allocation_id, int64_t amount_cents) = 0;

  // Coupons. FindCoupon takes the canonical (upper-case) code. RedeemCoupon raises the coupon's
  // count, unless that would pass max_redemptions (kConflict: none left), and records `r` with
  // the new count as its number; both in the transaction. CountRedemptions counts a coupon's
  // redemption rows.
  virtual Status InsertCoupon(const Coupon& c) = 0;
  virtual Result<std::optional<Coupon>> FindCoupon(const std::string& code) = 0;
  virtual Result<std::vector<Coupon>> ListCoupons(int limit) = 0;  // by code, at most `limit`
  virtual Status SetCouponArchived(const std::string& code, bool archived) = 0;
  virtual Result<int64_t> RedeemCoupon(CouponRedemption r) = 0;
  virtual Result<int64_t> CountRedemptions(const std::string& code) = 0;

  // Collection and dunning (store migration 019; billing/collection_service.cc).
  // SetCustomerStatus: kCustomerStatuses. DueCollections: the rows whose next attempt is on or
  // before `as_of`, oldest first, at most `limit` (1..kMaxPageRows). LatestCollectionOf: the
  // subscription's row of its newest invoice. UpdateCollection replaces every field but the ids.
  virtual Status SetCustomerStatus(const std::string& customer_id, const std::string& status) = 0;
  virtual Status InsertCollection(const Collection& c) = 0;
  virtual Status UpdateCollection(const Collection& c) = 0;
  virtual Result<std::optional<Collection>> FindCollection(const std::string& invoice_id) = 0;
  virtual Result<std::vector<Collection>> DueCollections(const Date& as_of, int limit) = 0;
  virtual Result<std::optional<Collection>> LatestCollectionOf(
      const std::string& subscription_id) = 0;
  // Pending invoices due before `today` that no run has seen overdue yet (overdue_state 0), by
  // due date, at most `limit`; SetOverdueState marks one seen (1). OldestDunnedInvoice: the id
  // of the customer's pending invoice seen overdue (state 1) with the oldest due date, if any.
  virtual Result<std::vector<std::string>> NewlyOverdueInvoices(const Date& today, int limit) = 0;
  virtual Status SetOverdueState(const std::string& invoice_id, int state) = 0;
  virtual Result<std::optional<std::string>> OldestDunnedInvoice(
      const std::string& customer_id) = 0;
  // Dunning cases by customer. PutDunningCase inserts or replaces. ListDunningCases: customer
  // ids after `after_customer_id`, at most `limit` (1..kMaxPageRows). DueDunningCases: those
  // whose next_step_date is on or before `as_of`, by that date, at most `limit`.
  virtual Result<std::optional<DunningCase>> FindDunningCase(const std::string& customer_id) = 0;
  virtual Status PutDunningCase(const DunningCase& c) = 0;
  virtual Status DeleteDunningCase(const std::string& customer_id) = 0;
  virtual Result<std::vector<DunningCase>> ListDunningCases(const std::string& after_customer_id,
                                                            int limit) = 0;
  virtual Result<std::vector<DunningCase>> DueDunningCases(const Date& as_of, int limit) = 0;
  virtual Result<int64_t> CountDunningCases() = 0;
  // Records a step; false (and nothing written) when this (invoice, day) was done before.
  virtual Result<bool> InsertDunningStep(const DunningStepRecord& s) = 0;
  // An invoice's steps, by day, at most `limit` (1..kMaxPageRows).
  virtual Result<std::vector<DunningStepRecord>> DunningStepsOf(const std::string& invoice_id,
                                                                int limit) = 0;

  // The customer view's reads in one call: the customer, its ledger totals, the first page of its
  // open invoices with their totals, its newest payments and its stored cards, each exactly as
  // the matching call above returns it. This default makes those calls one after another
  // (store.cc); a backend that pays a round trip per statement (PostgreSQL) sends them together.
  virtual Result<CustomerOverview> ReadCustomerOverview(const CustomerOverviewQuery& q);
};

// The bucket of Store::Stats::group_sizes for a group of `writes` (1 to 64) writes.
inline constexpr size_t kGroupSizeBuckets = 7;
inline size_t GroupSizeBucket(uint64_t writes) {
  size_t bucket = 0;
  while (bucket + 1 < kGroupSizeBuckets && (uint64_t{1} << bucket) < writes) ++bucket;
  return bucket;
}

class Store {
 public:
  virtual ~Store() = default;
  virtual Status Read(const std::function<Status(StoreTx&)>& fn) = 0;
  virtual Status Write(const std::function<Status(StoreTx&)>& fn) = 0;
  // Human-readable description for the start-up log ("sqlite:./data/billing.db",
  // "postgres:postgres://app@db:5432/billing"; never a password).
  virtual std::string Describe() const = 0;
  // OK when the database answers now (GET /ready); kDatabaseUnavailable when it does not.
  virtual Status Ping() { return OkStatus(); }
  // True when a read waits on another process across a network (PostgreSQL): callers keep
  // reads off I/O threads then (agent/tool_runner.h). False for SQLite, whose reads are
  // page-cache lookups in this process.
  virtual bool ReadsWaitOnNetwork() const { return false; }
  // Counters since the store was opened: committed writes and the write transactions that carried
  // them (group commit: several per commit); rows stepped through by full table scans and sorts
  // done without an index (work that grows with the ledger; the hot paths must do none); and
  // SQLite virtual machine steps, a measure of all the work the statements did. PostgreSQL
  // counts the statements sent, the round trips they took (pipelined statements share one) and
  // the writes re-run after a serialization failure or a deadlock instead of the last three.
  struct Stats {
    uint64_t writes = 0;
    uint64_t commits = 0;
    uint64_t full_scan_steps = 0;
    uint64_t sorts = 0;
    uint64_t vm_steps = 0;
    uint64_t statements = 0;
    uint64_t round_trips = 0;
    uint64_t retries = 0;
    uint64_t cache_hits = 0;    // PostgreSQL: customer views served by the read cache
    uint64_t cache_misses = 0;  // and read in full while it was on
    // Committed groups by their writes: [i] counts groups of (2^(i-1), 2^i] writes, so 1, 2,
    // 3-4, ..., 33-64 (GroupSizeBucket; /metrics billing_group_commit_writes).
    std::array<uint64_t, kGroupSizeBuckets> group_sizes{};
  };
  virtual Stats stats() const { return {}; }
};

struct SqliteOptions {
  std::string path;         // file path; parent directory is created if missing
  int max_connections = 8;  // bound on open connections (readers + the writer)
  int busy_timeout_ms = 5000;
  // true: every store opened on this file in this process shares one connection pool, so all
  // their writes line up in one writer queue and commit together (the ledger, conversation
  // memory, idempotency keys, API keys); none waits on another's file lock, where SQLite's busy
  // handler sleeps 1, 2, 5, ... ms. false: a pool of its own (tests that stand for another
  // process on the same file).
  bool share_pool = true;
};

// Opens (creating if needed) the database, applies pending migrations, and returns the store.
Result<std::unique_ptr<Store>> OpenSqliteStore(const SqliteOptions& options);

}  // namespace billing
