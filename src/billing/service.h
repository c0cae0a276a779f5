// BillingService: every operation of the three tools, as transactions over a Store, enforcing the
// rules of billing-rules.md. Inputs arrive typed and parsed (amounts in cents, dates as Date); the
// service checks everything that depends on the ledger (existence, status, amounts due) and
// either commits the whole change or returns an Error and changes nothing.
//
// Thread-safety: safe to call from many threads; each call is one Store transaction.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "billing/collection_rules.h"
#include "billing/processor.h"
#include "billing/reports.h"
#include "billing/types.h"
#include "common/clock.h"
#include "common/result.h"
#include "security/data_cipher.h"
#include "store/store.h"

namespace billing {

enum class ProcessorMode { kRandom, kAlwaysApprove, kAlwaysDecline };

// Webhook deliveries (integration.md "Webhooks"): at most 16 attempts over at most 3 days; the
// waits before the retries: 1 min, 5 min, 30 min, 2 h, 5 h, then 10 h.
inline constexpr int kMaxWebhookAttempts = 16;
inline constexpr int64_t kWebhookGiveUpMs = 3LL * 24 * 3600 * 1000;  // then failed / disabled
inline std::vector<int64_t> DefaultWebhookRetrySeconds() {
  std::vector<int64_t> out = {60, 300, 1800, 7200, 18000};
  while (out.size() < size_t(kMaxWebhookAttempts - 1)) out.push_back(36000);
  return out;
}

struct BillingOptions {
  int default_tax_rate_bp = 800;
  int64_t max_amount_cents = 100'000'000;  // per operation: $1,000,000.00
  ProcessorMode processor_mode = ProcessorMode::kRandom;
  int approval_rate_bp = 9000;  // 90% in kRandom mode
  int recent_payments = 5;      // shown with a customer
  // Automatic collection: the processor charges go to (null: the simulated one above, whose
  // declines are soft), the retry schedule (BILLING_RETRY_DAYS) and the dunning steps
  // (BILLING_DUNNING; empty = no dunning). Must outlive the service.
  PaymentProcessor* processor = nullptr;
  std::vector<int> retry_days = kDefaultRetryDays;
  std::vector<DunningStep> dunning = kDefaultDunning;
  // Subscription period invoices are held as drafts this many hours before the billing run
  // finalizes them (BILLING_DRAFT_HOURS, 0..kMaxDraftHours; 0 = finalized at once).
  int draft_hours = 0;
  // BILLING_WEBHOOK_ALLOW_HOSTS: hosts a webhook endpoint may reach over http:// and on private,
  // loopback or link-local addresses (docs/webhooks.md "SSRF"); every other endpoint is https://
  // to a public address.
  std::vector<std::string> webhook_allow_hosts = {};
  // BILLING_WEBHOOK_RETRY_SECONDS: the waits before each retry of a failed delivery (at most
  // kMaxWebhookAttempts - 1 of them); the default is integration.md's schedule.
  std::vector<int64_t> webhook_retry_seconds = DefaultWebhookRetrySeconds();
  // Email (docs/email.md): on when SMTP is configured (BILLING_SMTP_HOST); messages are signed by
  // email_sender (the From name); BILLING_EMAIL_RETRY_SECONDS as the webhooks' waits.
  bool email_enabled = false;
  std::string email_sender = "Billing";
  std::vector<int64_t> email_retry_seconds = DefaultWebhookRetrySeconds();
};

// Webhook endpoints (webhook_service.cc; docs/webhooks.md).
struct NewWebhookEndpoint {
  std::string url;
  std::string description = {};
  std::vector<std::string> events = {"*"};  // "*" or event types
  Actor actor = {};
  std::string request_id = {};
};
struct WebhookEndpointUpdate {
  std::optional<std::string> url, description;
  std::optional<std::vector<std::string>> events;
  std::optional<bool> enabled;
  Actor actor = {};
  std::string request_id = {};
};
// An endpoint and, when just made or rotated, its signing secret (shown once).
struct WebhookEndpointSecret {
  WebhookEndpoint endpoint;
  std::string secret;  // whsec_...; "" when not shown
};

// Rows of a customer's detail view (GetCustomer); the counts and totals are over every row.
inline constexpr int kOpenInvoicesShown = 50;  // oldest due first

struct CustomerView {
  Customer customer;
  int64_t balance_cents = 0;           // negative = credit
  std::vector<Invoice> open_invoices;  // detail view: the oldest-due kOpenInvoicesShown of them
  InvoiceTotals open_totals;           // detail view: every open invoice (count, due, overdue)
  // Detail view: money paid and applied to no invoice (rules.h CreditHeldCents), which the
  // customer's next invoices use first.
  int64_t credit_held_cents = 0;
  std::vector<Payment> recent_payments;
  std::vector<StoredCard> cards;  // details_sealed cleared: brand, last4, expiry only
};

// Card details given with a payment: stored sealed (security/data_cipher.h) and charged.
struct NewCard {
  std::string number;  // 13-19 digits (spaces and dashes allowed), Luhn-valid
  int exp_month = 0;   // 1-12
  int exp_year = 0;    // four digits; the card must not have expired
};

// The totals of a list per currency: money is never added across currencies. `count` is every
// row the list selects; `by_currency` holds the totals of each currency that has rows, most rows
// first (then by code). A list of one currency (one customer's, or a ledger with one currency in
// use) has exactly one entry, zero when nothing matches; a list spanning several currencies has
// none when nothing matches. (billing/list_totals.h sums them.)
template <typename Totals>
struct TotalsByCurrency {
  int64_t count = 0;
  std::vector<Totals> by_currency;
};

// Customer management (customer_service.cc; docs/customers.md). Field rules there.
struct NewCustomer {
  std::string company;
  std::string email;
  std::string contact_name = {};
  std::string billing_cycle = "monthly";         // kBillingCycles
  std::string payment_method = "bank_transfer";  // kPaymentMethods
  std::string currency = "USD";                  // a known ISO 4217 code, any case
  std::string locale = "en";                     // kLocales
  std::optional<int> tax_rate_bp = {};           // nullopt = the default rate
  int payment_terms_days = 30;                   // 1..365
  Actor actor = {};
  std::string request_id = {};
  std::string operation_key = {};  // a repeat with the same key returns the first customer
  std::string idempotency_key = {};
};
// What an update changes: each field that is set (a tax rate of nullopt inside = back to the
// default rate).
struct CustomerUpdate {
  std::string customer_id;
  std::optional<std::string> company = {};
  std::optional<std::string> email = {};
  std::optional<std::string> contact_name = {};
  std::optional<std::string> billing_cycle = {};
  std::optional<std::string> payment_method = {};
  std::optional<std::string> currency = {};  // only while the customer has no records
  std::optional<std::string> locale = {};
  std::optional<std::optional<int>> tax_rate_bp = {};
  std::optional<int> payment_terms_days = {};
  Actor actor = {};
  std::string request_id = {};
  std::string idempotency_key = {};
};
struct CustomerChange {
  Customer customer;                 // after the change
  std::vector<std::string> changed;  // the fields an update changed (camelCase), in order
  bool replayed = false;             // a create whose operation key had run before
};

// A page of a list and the count and totals of every row the list selects (store/store.h).
struct CustomerList {
  std::vector<CustomerView> customers;  // id order
  TotalsByCurrency<CustomerTotals> totals;
};
struct InvoiceList {
  std::vector<Invoice> invoices;  // oldest due first
  TotalsByCurrency<InvoiceTotals> totals;
};
struct PaymentList {
  std::vector<Payment> payments;  // newest first
  TotalsByCurrency<PaymentTotals> totals;
};

struct NewLineItem {
  std::string description;
  int64_t quantity_milli = 1000;
  int64_t unit_price_cents = 0;
};

struct NewInvoice {
  std::string customer_id;
  std::vector<NewLineItem> items;
  Date due_date;
  std::string notes;
  // Default member initialisers let callers omit these in aggregate initialisation without
  // -Wmissing-field-initializers.
  Actor actor = {};                  // recorded as created_by / created_on_behalf_of
  std::string request_id = {};       // recorded in the audit log
  std::string operation_key = {};    // see "Operation keys" below; empty = none
  std::string idempotency_key = {};  // the request's Idempotency-Key, recorded with the events
  // A draft (no number, editable, owes nothing) instead of a finalized invoice.
  bool draft = false;
  // A coupon to redeem on it (any case); "" = none. On a draft: redeemed when it is finalized.
  std::string coupon_code = {};
};

struct InvoiceUpdate {
  std::optional<Date> due_date;
  std::optional<std::string> notes;
  std::optional<std::vector<NewLineItem>> items;
  // Drafts only (a finalized invoice's amounts are fixed): a coupon to apply, "" to remove it.
  std::optional<std::string> coupon_code = {};
};

// A coupon to create (automated-billing.md "Discounts and coupons"; docs/coupons.md).
struct NewCoupon {
  std::string code = {};  // 3-32 letters, digits, '-' or '_'; stored upper case
  std::string name = {};
  std::optional<int> percent_off_bp = {};        // 1..10000, or
  std::optional<int64_t> amount_off_cents = {};  // > 0, in `currency`
  std::string currency = "USD";
  std::string duration = "once";  // kCouponDurations
  int64_t duration_periods = 0;   // repeating: 1..120
  std::optional<Date> redeem_by = {};
  int64_t max_redemptions = 0;  // 0 = no limit
  Actor actor = {};
  std::string request_id = {};
  std::string idempotency_key = {};
};

struct PaymentRequest {
  std::string customer_id;
  int64_t amount_cents = 0;
  std::string method;      // empty = the customer's default
  std::string invoice_id;  // empty = allocate to open invoices, oldest due first
  Actor actor = {};
  std::string request_id = {};         // recorded in the audit log
  std::string operation_key = {};      // see "Operation keys" below; empty = none
  std::optional<NewCard> card = {};    // a new card to store and charge (method credit_card)
  std::string payment_method_id = {};  // a stored card to charge (PM-001)
  std::string idempotency_key = {};    // the request's Idempotency-Key, recorded with the events
  // The currency the payer says the money is in (ISO 4217); "" = the customer's. Another than the
  // customer's (and so its invoices') is refused: there is no currency conversion.
  std::string currency = {};
};

struct PaymentOutcome {
  Payment payment;
  int64_t new_balance_cents = 0;
  bool approved = false;
  bool replayed = false;  // the operation key had run before: this is its original payment
};

struct RefundOutcome {
  Refund refund;
  Payment payment;
  int64_t new_balance_cents = 0;
  bool replayed = false;
};

struct MarkPaidOutcome {
  Invoice invoice;
  Payment payment;
  bool replayed = false;
};

// A credit note asked for (automated-billing.md "Credit notes"): an amount (tax included) or
// quantities of the invoice's lines, not both.
struct CreditLineRequest {
  int position = 0;            // the invoice's line, from 1
  int64_t quantity_milli = 0;  // of that line, in thousandths; 0 = all not yet credited
};
inline constexpr int kMaxCreditNotesPerInvoice = 100;
struct NewCreditNote {
  std::string invoice_id;
  std::optional<int64_t> amount_cents = {};  // tax included
  std::vector<CreditLineRequest> lines = {};
  // Where what the note takes back from money already paid goes: "refund" (to the invoice's
  // payments, newest first) or "credit" (the customer's credit balance). Required only when
  // the note exceeds what is still due.
  std::string refund_to = {};
  std::string reason = {};
  Actor actor = {};
  std::string request_id = {};
  std::string operation_key = {};
  std::string idempotency_key = {};
};
struct CreditNoteOutcome {
  CreditNote credit_note;
  Invoice invoice;  // after the note
  std::vector<Refund> refunds;
  int64_t new_balance_cents = 0;  // the customer's, negative = credit
  bool replayed = false;
};

struct PaymentHistory {
  Customer customer;
  std::vector<Payment> payments;  // a page, newest first
  PaymentTotals totals;           // every payment of the customer (in its currency)
};

// A plan for the catalog (plan_service.cc): id "" = PLAN- and the name's letters and digits.
struct NewPlan {
  std::string id = {};
  std::string name = {};
  int64_t price_cents = 0;  // per period, in `currency`'s minor units
  std::string currency = "USD";
  std::string interval = "monthly";  // kBillingCycles
  Actor actor = {};
  std::string request_id = {};
};

// Subscriptions (automated-billing.md "Plans and subscriptions"; docs/subscriptions.md).
struct NewSubscription {
  std::string customer_id;
  std::string plan;  // a plan's id or its name, any case ("PLAN-PREMIUM", "premium plan")
  int64_t quantity = 1;
  std::optional<Date> start_date = {};  // default today; today .. today + 365 days
  std::string collection = "send_invoice";
  int payment_terms_days = 0;  // 1..365; 0 = the customer's payment terms
  Actor actor = {};
  std::string request_id = {};
  std::string idempotency_key = {};
  std::string coupon_code = {};  // redeemed once; discounts its invoices for the coupon's duration
};
struct PlanChange {
  std::string plan;                      // "" = keep the plan
  std::optional<int64_t> quantity = {};  // nullopt = keep the quantity
};
struct SubscriptionView {
  Subscription subscription;
  Plan plan;
  std::optional<Plan> pending_plan;  // a change that takes effect at the next period start
};
// A change to a subscription and the invoices it issued (the first period, a proration).
struct SubscriptionOutcome {
  SubscriptionView view;
  std::vector<Invoice> invoices;
  // What a plan change did: "upgraded" (at once, prorated), "scheduled" (at the next period
  // start), "changed" (nothing billed yet: at once, no proration); "" for other changes.
  std::string change;
};
// A page of a cursor list (BillingService "Cursor pages").
struct CursorPage {
  std::string starting_after;  // an id of the list; "" = from the first row
  int limit = 10;              // 1..kMaxPageRows
};

struct SubscriptionList {
  std::vector<SubscriptionView> subscriptions;
  SubscriptionTotals totals;
};

// A billing run "as of" a date (automated-billing.md "Billing runs"): what it did.
inline constexpr int kMaxPeriodsPerRun = 36;  // per subscription per run (catch-up bound)
struct BillingRunReport {
  Date as_of;
  int64_t subscriptions = 0;             // subscriptions the run handled
  int64_t periods_billed = 0;            // invoices issued (or held as drafts: draft_hours)
  int64_t periods_skipped = 0;           // periods of suspended customers (not billed, ever)
  int64_t canceled = 0;                  // subscriptions that reached their cancel at period end
  int64_t plan_changes = 0;              // scheduled changes that took effect
  std::vector<std::string> invoice_ids;  // the first kMaxPageRows of them
  // Subscriptions that still had periods due after kMaxPeriodsPerRun: run again to go on.
  std::vector<std::string> capped;
  int64_t batches = 0;  // write transactions committed
  // Period drafts whose grace period ended (draft_hours): finalized, or discarded because the
  // customer was suspended meanwhile (the period is then never billed, as a suspended one).
  int64_t drafts_finalized = 0;
  int64_t drafts_discarded = 0;
  // Collection and dunning (collection_service.cc), after the billing.
  int64_t charges = 0;               // automatic charges made (each a payment record)
  int64_t charges_declined = 0;      // of them, declined
  int64_t retries_scheduled = 0;     // declines with a retry scheduled
  int64_t invoices_overdue = 0;      // invoices seen overdue for the first time (invoice.overdue)
  int64_t dunning_steps = 0;         // dunning steps done (dunning.* events)
  int64_t customers_suspended = 0;   // by dunning
  int64_t customers_reinstated = 0;  // suspended by dunning, nothing overdue any more
};

// A customer in dunning (ListDunning): its oldest unpaid invoice seen overdue and the steps done.
struct DunningView {
  Customer customer;
  DunningCase dunning_case;
  std::optional<Invoice> oldest_invoice;  // none once paid (the case closes at the next run)
  int64_t days_past_due = 0;
  int64_t amount_due_cents = 0;          // of the oldest invoice
  std::vector<DunningStepRecord> steps;  // done on the oldest invoice
};
struct DunningList {
  std::vector<DunningView> cases;  // by customer id
  int64_t count = 0;               // every customer in dunning
};

// Operation keys: CreateInvoice, MarkInvoicePaid, ProcessPayment and RefundPayment accept an
// operation key (an HTTP Idempotency-Key, or a conversation's tool call id). The key is stored in
// the same transaction as the change (store migration 006), so running the same operation again,
// even after a crash, changes nothing and returns the original record (replayed = true, with
// current balances). The same key with other parameters is kConflict.
class BillingService {
 public:
  BillingService(Store& store, const Clock& clock, RandomSource& ids, RandomSource& processor,
                 BillingOptions options);

  const BillingOptions& options() const { return options_; }
  // The key ring for stored card details; without one, cards cannot be stored or charged.
  // Must outlive the service; set before serving.
  void set_data_cipher(const security::DataCipher* cipher) { cipher_ = cipher; }

  // Re-seals every stored card not sealed with the current data key (in batches of 100, one
  // write transaction each). *resealed gets the number of cards changed.
  Status RotateDataKeys(int64_t* resealed);
  Date Today() const { return clock_.TodayUtc(); }

  Result<CustomerView> GetCustomer(const std::string& customer_id);
  // Lists: a page (limit 1..kMaxPageRows, offset >= 0, else kInvalid naming the field) and the
  // exact count and totals of every matching row, read in one transaction.
  Result<CustomerList> ListCustomers(const CustomerQuery& query, const PageSpec& page = {});
  // A new customer CUST-<n> (the next number not in use), active, with its events
  // (customer.created) and audit row. kInvalid naming the field for a value outside its rule.
  Result<CustomerChange> CreateCustomer(const NewCustomer& request);
  // Changes the fields `update` sets; an update that changes nothing changes nothing (no event).
  // The currency only while the customer has no invoice, draft, payment or subscription.
  Result<CustomerChange> UpdateCustomer(const CustomerUpdate& update);
  // Suspends (no new invoices or subscriptions, no renewals) or reinstates a customer by hand;
  // kFailedPrecondition when it already is. A suspension by hand is never lifted by dunning.
  Result<CustomerChange> SetCustomerSuspended(const std::string& customer_id, bool suspended,
                                              const Actor& actor = {},
                                              const std::string& request_id = "",
                                              const std::string& idempotency_key = "");

  // A finalized invoice (numbered, owed), or with request.draft a draft (draft_service.cc).
  // A finalized invoice first uses the customer's credit balance (credit_notes.cc ApplyCredit).
  Result<Invoice> CreateInvoice(const NewInvoice& request);
  // An invoice, or a draft by its id (draft_7; shown with status "draft" and the amounts it
  // would have now; a finalized draft's id gives the invoice it became).
  Result<Invoice> GetInvoice(const std::string& invoice_id);
  // The currency (ISO 4217 code) of a customer, or of a payment; kNotFound naming customerId or
  // paymentId when there is none.
  Result<std::string> CustomerCurrency(const std::string& customer_id);
  Result<std::string> PaymentCurrency(const std::string& payment_id);
  // Finalizes a draft: the invoice gets its number, today's date and tax, and its amounts are
  // fixed from then on. The due date must still be after today.
  Result<Invoice> FinalizeInvoice(const std::string& draft_id, const Actor& actor = {},
                                  const std::string& request_id = "",
                                  const std::string& idempotency_key = "");
  // Deletes a draft (a finalized invoice is cancelled instead); returns it as it was.
  Result<Invoice> DeleteDraft(const std::string& draft_id, const Actor& actor = {},
                              const std::string& request_id = "",
                              const std::string& idempotency_key = "");
  // Credits part or all of a finalized invoice (credit_notes.cc), with refunds or customer
  // credit for what had been paid, in one transaction.
  Result<CreditNoteOutcome> CreateCreditNote(const NewCreditNote& request);
  // The credit notes of an invoice, oldest first.
  Result<std::vector<CreditNote>> CreditNotesOf(const std::string& invoice_id);
  // status: "" | pending | paid | overdue | cancelled (overdue is derived) | draft (drafts only;
  // every other status lists finalized invoices only).
  // by_amount_due: most still due first (a ranking) instead of oldest due first.
  Result<InvoiceList> ListInvoices(const std::string& customer_id, const std::string& status,
                                   const PageSpec& page = {}, bool by_amount_due = false);
  // idempotency_key (here and below): the request's Idempotency-Key, recorded with the events.
  Result<Invoice> UpdateInvoice(const std::string& invoice_id, const InvoiceUpdate& update,
                                const Actor& actor = {}, const std::string& request_id = "",
                                const std::string& idempotency_key = "");
  Result<MarkPaidOutcome> MarkInvoicePaid(const std::string& invoice_id, const std::string& method,
                                          const Actor& actor, const std::string& request_id = "",
                                          const std::string& operation_key = "",
                                          const std::string& idempotency_key = "");
  Result<Invoice> CancelInvoice(const std::string& invoice_id, const Actor& actor = {},
                                const std::string& request_id = "",
                                const std::string& idempotency_key = "");

  Result<PaymentOutcome> ProcessPayment(const PaymentRequest& request);
  // amount_cents: nullopt = everything not yet refunded.
  Result<RefundOutcome> RefundPayment(const std::string& payment_id,
                                      std::optional<int64_t> amount_cents,
                                      const std::string& reason, const Actor& actor = {},
                                      const std::string& request_id = "",
                                      const std::string& operation_key = "",
                                      const std::string& idempotency_key = "");
  Result<PaymentHistory> History(const std::string& customer_id, const PageSpec& page = {});
  Result<PaymentList> FailedPayments(const std::string& customer_id, const PageSpec& page = {});
  // Every payment made from `from` to `to` (dates, inclusive, UTC), of one customer or ("")
  // everyone, newest first; totals over the whole period. kInvalidArgument if from > to.
  Result<PaymentList> PaymentsInPeriod(const std::string& customer_id, const Date& from,
                                       const Date& to, const PageSpec& page = {});

  // Coupons (coupon_service.cc). Listed by code; archiving stops new redemptions only.
  Result<Coupon> CreateCoupon(const NewCoupon& request);
  Result<std::vector<Coupon>> ListCoupons();
  Result<Coupon> ArchiveCoupon(const std::string& code, const Actor& actor = {},
                               const std::string& request_id = "",
                               const std::string& idempotency_key = "");

  // Plans and subscriptions (subscription_service.cc). Plans are listed by id.
  Result<std::vector<Plan>> ListPlans();
  // A new plan (plan_service.cc): a name of 1..100 characters no other plan has (plans are also
  // named by name), a price above 0 and at most max_amount_cents, a known currency, an interval
  // of kBillingCycles; kConflict for an id or name taken. Audited; plans are never deleted.
  Result<Plan> CreatePlan(const NewPlan& request);
  Result<SubscriptionOutcome> CreateSubscription(const NewSubscription& request);
  Result<SubscriptionView> GetSubscription(const std::string& subscription_id);
  // status: "" or kSubscriptionStatuses.
  Result<SubscriptionList> ListSubscriptions(const std::string& customer_id,
                                             const std::string& status, const PageSpec& page = {});
  // Subscriptions whose next period starts within `days` days from today (0 = today only), soonest
  // first; those set to cancel at the period end do not renew and are not listed.
  Result<SubscriptionList> UpcomingRenewals(int days, const PageSpec& page = {});
  // Upgrade (a higher price per period, same interval): at once, with a prorated invoice for the
  // days left; anything else: at the next period start. Before the first period: at once.
  Result<SubscriptionOutcome> ChangeSubscription(const std::string& subscription_id,
                                                 const PlanChange& change, const Actor& actor = {},
                                                 const std::string& request_id = "",
                                                 const std::string& idempotency_key = "");
  // at_period_end: stop renewing (canceled when the current period ends); else canceled today.
  Result<SubscriptionView> CancelSubscription(const std::string& subscription_id,
                                              bool at_period_end, const Actor& actor = {},
                                              const std::string& request_id = "",
                                              const std::string& idempotency_key = "");
  // Bills every period that started on or before `as_of` and has no invoice yet (billing_run.cc),
  // in write transactions of at most kRunBatch subscriptions; exactly once per period whoever
  // runs, at most kMaxPeriodsPerRun periods per subscription per run.
  // Then, as of the same date (collection_service.cc): charges the automatic collections due
  // (first charges and retries), marks newly overdue invoices (invoice.overdue, once each) and
  // takes the dunning steps due, suspending and reinstating customers.
  Result<BillingRunReport> RunBilling(const Date& as_of, const Actor& actor = Actor("billing-run"),
                                      const std::string& request_id = "");
  // The customers in dunning, a page by customer id, with the count of all of them.
  Result<DunningList> ListDunning(const PageSpec& page);

  // Cursor pages (list_pages.cc, for the REST API): at most page.limit rows after the object
  // page.starting_after ("" = from the first), in the list's order, read with the store's keyset
  // (a walk neither skips nor repeats a row that existed when it began); no totals. A cursor that
  // names nothing is kInvalid naming "startingAfter". Orders: customers by id, invoices oldest due
  // first (drafts, status "draft", by number), payments newest first, subscriptions by number,
  // credit notes by number (of one invoice when invoice_id is set).
  Result<std::vector<CustomerView>> CustomerPage(CustomerQuery q, const CursorPage& page);
  Result<std::vector<Invoice>> InvoicePage(const std::string& customer_id,
                                           const std::string& status, const CursorPage& page);
  Result<std::vector<Payment>> PaymentPage(const std::string& customer_id,
                                           const std::string& status, const CursorPage& page);
  Result<std::vector<SubscriptionView>> SubscriptionPage(const std::string& customer_id,
                                                         const std::string& status,
                                                         const CursorPage& page);
  Result<std::vector<CreditNote>> CreditNotePage(const std::string& invoice_id,
                                                 const CursorPage& page);
  // One payment with its allocations; its refunds; one credit note. kNotFound naming the id.
  Result<Payment> GetPayment(const std::string& payment_id);
  Result<std::vector<Refund>> RefundsOfPayment(const std::string& payment_id);
  Result<Refund> GetRefund(const std::string& refund_id);
  Result<CreditNote> GetCreditNote(const std::string& credit_note_id);
  Result<Event> GetEvent(const std::string& event_id);

  // Webhook endpoints (webhook_service.cc): a URL that passes the SSRF rules (https://, or
  // http:// and private addresses for BILLING_WEBHOOK_ALLOW_HOSTS), enabled events "*" or known
  // types, at most kMaxWebhookEndpoints; the secret sealed like card data and shown once.
  Result<WebhookEndpointSecret> CreateWebhookEndpoint(const NewWebhookEndpoint& request);
  Result<WebhookEndpoint> GetWebhookEndpoint(const std::string& id);
  Result<std::vector<WebhookEndpoint>> ListWebhookEndpoints();
  Result<WebhookEndpoint> UpdateWebhookEndpoint(const std::string& id,
                                                const WebhookEndpointUpdate& update);
  Result<WebhookEndpoint> DeleteWebhookEndpoint(const std::string& id, const Actor& actor = {},
                                                const std::string& request_id = "");
  // A new secret; the old one keeps signing (a second v1=) for 24 hours.
  Result<WebhookEndpointSecret> RotateWebhookSecret(const std::string& id, const Actor& actor = {},
                                                    const std::string& request_id = "");
  // An endpoint's deliveries, newest first, below whd_<before_seq> (0 = from the newest), and one
  // with its attempts; ResendDelivery makes a delivered or failed one pending again, due now.
  Result<std::vector<WebhookDelivery>> WebhookDeliveries(const std::string& endpoint_id,
                                                         int64_t before_seq, int limit);
  Result<std::vector<WebhookAttempt>> WebhookAttempts(int64_t delivery_seq);
  Result<WebhookDelivery> GetWebhookDelivery(int64_t delivery_seq);
  Result<WebhookDelivery> ResendWebhookDelivery(int64_t delivery_seq);
  // For the delivery worker (integration/webhook_worker.h): whether anything is due (a read),
  // claim what is due (leased for lease_ms), the secrets that sign for an endpoint now (the
  // current one first), and the outcome of each attempt (retry schedule, disabling).
  Result<bool> WebhookDeliveriesDue();
  Result<std::vector<WebhookDelivery>> ClaimWebhookDeliveries(int limit, int64_t lease_ms);
  Result<std::vector<std::string>> WebhookSigningSecrets(const WebhookEndpoint& endpoint);
  struct WebhookOutcome {
    WebhookDelivery delivery;  // as claimed
    int status = 0;            // HTTP status; 0 = no answer
    int64_t latency_ms = 0;
    std::string error;
  };
  Status RecordWebhookOutcomes(const std::vector<WebhookOutcome>& outcomes);
  // Email (email_service.cc; docs/email.md). With options.email_enabled, Emit writes one message
  // per emailable event (billing/email_messages.h) to its customer's billing email, rendered in
  // the customer's locale, in the event's transaction. ListEmails: newest first below
  // eml_<before_seq> (0 = from the newest), one customer's ("" = all); ResendEmail makes a sent or
  // failed one pending again, due now.
  Result<std::vector<OutboxEmail>> ListEmails(const std::string& customer_id, int64_t before_seq,
                                              int limit);
  Result<OutboxEmail> GetEmail(int64_t seq);
  Result<OutboxEmail> ResendEmail(int64_t seq);
  // For the email worker (integration/email_worker.h), as the webhook worker's: whether anything
  // is due (a read), claim (leased for lease_ms), and each send's outcome ("" = sent; else retried
  // on email_retry_seconds, up to kMaxWebhookAttempts and 3 days, then failed).
  Result<bool> EmailsDue();
  Result<std::vector<OutboxEmail>> ClaimEmails(int limit, int64_t lease_ms);
  struct EmailOutcome {
    OutboxEmail email;  // as claimed
    std::string error;  // "" = accepted by the SMTP server
  };
  Status RecordEmailOutcomes(const std::vector<EmailOutcome>& outcomes);

  // Whether `url` may be a webhook endpoint (scheme, host; the address is checked at connect
  // time by the sender): kInvalid naming "url" otherwise. `*allowed_host` (if given) says whether
  // the host is in webhook_allow_hosts.
  Status CheckWebhookUrl(const std::string& url, bool* allowed_host = nullptr) const;

  // Loads the sample data of billing-rules.md into an empty database; no-op otherwise.
  Status SeedIfEmpty();

  // Reports (billing/reports.h; docs/reports.md), read from the counters the database keeps.
  // Aging: as of `as_of`, one customer's ("" = every customer's; kNotFound for an unknown one),
  // one currency's ("" = each). The month ranges: "YYYY-MM" each ("" = the 12 months up to
  // today's), from <= to, at most kMaxReportMonths (kInvalid naming "from" or "to").
  Result<AgingReport> Aging(const Date& as_of, const std::string& customer_id,
                            const std::string& currency);
  Result<RevenueReport> Revenue(const std::string& from, const std::string& to,
                                const std::string& currency);
  Result<MrrReport> Mrr(const std::string& from, const std::string& to,
                        const std::string& currency);
  Result<PaymentSuccessReport> PaymentSuccess(const std::string& from, const std::string& to,
                                              const std::string& method,
                                              const std::string& currency);
  // Lifetime value of one customer ("" = a page of customers by id after `after_id`, `limit`
  // 1..kMaxPageRows; kInvalid naming "limit"), one currency's ("" = any), as of `as_of`.
  Result<LtvReport> Ltv(const Date& as_of, const std::string& customer_id,
                        const std::string& currency, const std::string& after_id, int limit);
  // The forecast of `as_of`'s month and the two after (billing/reports.h ForecastMonth).
  Result<ForecastReport> Forecast(const Date& as_of, const std::string& currency);

  // Checks every invariant of billing-rules.md over the whole ledger; the first violation is
  // returned as an Error. Used by tests after every operation.
  Status CheckInvariants();

  // Audit log (billing/audit.h). Every successful change above (and the seed load) appends one
  // row in its own transaction; a failed operation appends none. A declined payment is a
  // successful change (a failed payment is stored) and is audited.
  //
  // VerifyAudit walks the whole chain in batches (one read transaction per batch of 500 rows).
  // Returns an Error only if the store cannot be read. On return *rows_checked is the number of
  // rows that verified, *first_broken_seq the seq of the first row whose seq, prev_hash or hash
  // is wrong (0 = the chain is intact), and *why (optional) says what was wrong with it.
  Status VerifyAudit(int64_t* rows_checked, int64_t* first_broken_seq, std::string* why = nullptr);
  // The rows of `q` (seq > q.after_seq, optionally one actor and/or one claimed end user),
  // oldest first; limit is clamped to [1, 1000].
  Result<std::vector<AuditEntry>> ListAudit(const AuditQuery& q, int limit);

  // Events (the outbox; docs/events.md). Every successful change above appends its events in its
  // own transaction; a failed operation appends none. ListEvents returns the events after the one
  // named `after_id` ("" = from the first), of one type ("" = any), oldest first; limit is
  // clamped to [1, 1000]. kNotFound (field "after") when `after_id` names no event; kInvalid
  // (field "type") for a type that is not in kEventTypes. With `newest_first` (and no
  // `after_id`): the newest `limit` events, newest first (where a poller starts from).
  Result<std::vector<Event>> ListEvents(const std::string& after_id, const std::string& type,
                                        int limit, bool newest_first = false);

 private:
  // Appends an event of `type` about `object_type` `object_id`, whose state after the change is
  // `data`, inside `tx`, numbered after the last one.
  Status Emit(StoreTx& tx, std::string_view type, std::string_view object_type,
              const std::string& object_id, const nlohmann::json& data,
              const std::string& request_id, const std::string& idempotency_key);
  // The email of event `e` (with its `data`), if its type makes one and its customer has an
  // email address; inside `tx` (email_service.cc).
  Status EnqueueEmail(StoreTx& tx, const Event& e, const nlohmann::json& data);
  // Appends `e` (actor, action, entity, before/after and request id filled in by the caller) as
  // the next row of the chain, timestamped now, inside `tx`.
  Status Audit(StoreTx& tx, AuditEntry e);
  // The earlier record of `op_key` when this operation already ran, nullopt when it is new;
  // kConflict when the key was used for another kind of operation or other parameters.
  Result<std::optional<OperationRecord>> PriorOperation(StoreTx& tx, const std::string& op_key,
                                                        const std::string& kind,
                                                        const std::string& fingerprint);
  Status RecordOperation(StoreTx& tx, const std::string& op_key, const std::string& kind,
                         const std::string& fingerprint, const std::string& entity_id,
                         const std::string& detail_id = "");
  // A finalized invoice by id or short id; a draft's id is refused (field invoiceId) unless the
  // draft was finalized, when it gives the invoice it became.
  Result<Invoice> ResolveInvoice(StoreTx& tx, const std::string& raw_id);
  // Drafts (draft_service.cc): the draft `raw_id` names, and a draft shown as an invoice (status
  // "draft", the amounts it would have if finalized now).
  Result<InvoiceDraft> RequireDraft(StoreTx& tx, const std::string& raw_id);
  Result<Invoice> DraftAsInvoice(StoreTx& tx, const InvoiceDraft& d);
  // Finalizes draft `d` of customer `c` in `tx`: numbers it, redeems its coupon (a subscription
  // draft's coupon was redeemed with the subscription), and opens a subscription draft's
  // collection. Shared by FinalizeInvoice and the billing run.
  Result<Invoice> FinalizeDraftIn(StoreTx& tx, InvoiceDraft& d, const Customer& c,
                                  const Actor& actor, const std::string& request_id,
                                  const std::string& idempotency_key);
  // A subscription period's invoice held as a draft until the grace period ends (draft_hours).
  Result<Invoice> HoldPeriodDraft(StoreTx& tx, const Subscription& sub, const Customer& c,
                                  const LineItem& line, const Date& due, const Coupon* coupon,
                                  const Actor& actor, const std::string& request_id,
                                  const std::string& idempotency_key);
  // The billing run's first step: finalizes the period drafts whose grace period has ended.
  Status FinalizeDueDrafts(const Actor& actor, const std::string& request_id,
                           BillingRunReport* report);
  Result<Invoice> CreateDraft(const NewInvoice& request, std::vector<LineItem> items);
  Result<Invoice> UpdateDraft(const std::string& draft_id, const InvoiceUpdate& update,
                              std::vector<LineItem> items, const Actor& actor,
                              const std::string& request_id, const std::string& idempotency_key);
  Result<InvoiceList> ListDrafts(const std::string& customer_id, const PageSpec& page);
  // Uses the customer's credit balance (payments not applied in full, oldest first) to pay the
  // newly issued `inv` as far as it goes (credit_notes.cc); returns what it used
  // ([{paymentId, amountCents}], empty when none). The caller records it with the invoice.
  Result<nlohmann::json> ApplyCredit(StoreTx& tx, Invoice& inv);
  Result<Customer> RequireCustomer(StoreTx& tx, const std::string& raw_id,
                                   const std::string& field);
  Result<int64_t> Balance(StoreTx& tx, const std::string& customer_id);
  Result<std::vector<LineItem>> BuildItems(const std::vector<NewLineItem>& items);
  Status LoadAllocations(StoreTx& tx, Payment& p);
  // Records a refund of `amount_cents` of `p` (already taken off its allocations, or from its
  // unapplied part): the payment's refunded total and status, and the refund row. The one home of
  // the refund rule, for refunds and for credit notes that refund.
  Result<Refund> RecordRefund(StoreTx& tx, Payment& p, int64_t amount_cents,
                              const std::string& reason, const std::string& transaction_id,
                              const Actor& actor);
  // A page of the payments of `q` and its totals, in one read; `customer_id` ("" = everyone) is
  // resolved and checked first.
  Result<PaymentList> PaymentListOf(PaymentQuery q, const std::string& customer_id,
                                    const PageSpec& page);
  Result<Date> RequireFutureDate(const Date& due);
  Status CheckSubscriptionInvariants(StoreTx& tx);
  Status CheckReportCounters(StoreTx& tx);  // report_invariants.cc
  // The sample customers, invoices and payments (seed.cc), into an empty ledger; what it loaded
  // is added to *loaded (for the seed's audit row).
  Status SeedLedger(StoreTx& tx, nlohmann::json* loaded);
  // Subscriptions (subscription_service.cc, billing_run.cc).
  Result<Plan> ResolvePlan(StoreTx& tx, const std::string& raw, const std::string& field);
  Result<Subscription> RequireSubscription(StoreTx& tx, const std::string& raw_id);
  Result<SubscriptionView> ViewOf(StoreTx& tx, const Subscription& s);
  // A page of the subscriptions of `q` with their plans, and the count, in one read;
  // `customer_id` ("" = everyone) is resolved and checked first.
  Result<SubscriptionList> SubscriptionListOf(SubscriptionQuery q, const std::string& customer_id,
                                              const PageSpec& page);
  // Issues the invoice of period `k` of `sub` (or records it skipped for a suspended customer)
  // and advances the subscription past it, with its events and audit rows. *invoice is set when
  // one was issued.
  Status BillPeriod(StoreTx& tx, Subscription& sub, const Plan& plan, const Customer& customer,
                    const Actor& actor, const std::string& request_id,
                    const std::string& idempotency_key, std::optional<Invoice>* invoice);
  // Inserts a finalized invoice of `customer` issued on `issue` (numbered in its year), paid
  // first from the customer's credit. `from_draft`: the draft it finalizes (its invoice.created
  // event was sent when the draft was made), else null.
  Result<Invoice> IssueInvoice(StoreTx& tx, const Customer& customer, std::vector<LineItem> items,
                               const Date& issue, const Date& due, const std::string& notes,
                               const Actor& actor, const std::string& request_id,
                               const std::string& idempotency_key,
                               const InvoiceDraft* from_draft = nullptr,
                               const Coupon* coupon = nullptr);
  // Stores `sub` as changed by `actor` with its audit row and (unless null) its event.
  Status SaveSubscription(StoreTx& tx, Subscription& sub, const char* action,
                          const char* event_type, const nlohmann::json& before, const Actor& actor,
                          const std::string& request_id, const std::string& idempotency_key);
  int TaxRateFor(const Customer& c) const;
  // Coupons (coupon_service.cc): the coupon `raw_code` names if `customer` may redeem it now
  // (exists, not archived, not past its redeem-by date, a fixed amount in the customer's
  // currency, redemptions left), else an Error naming `field`.
  Result<Coupon> RedeemableCoupon(StoreTx& tx, const std::string& raw_code,
                                  const Customer& customer, const std::string& field);
  // Counts one redemption of `coupon` (by an invoice or a subscription) with its event; kFailed
  // Precondition when the last one was taken meanwhile.
  Status Redeem(StoreTx& tx, const Coupon& coupon, const std::string& customer_id,
                const std::string& invoice_id, const std::string& subscription_id,
                const Actor& actor, const std::string& request_id,
                const std::string& idempotency_key);
  bool Approve();

  // Collection and dunning (collection_service.cc). OpenCollection records how a subscription
  // invoice just issued is collected (automatic: charged by the next run). AfterInvoiceSettled
  // runs wherever an invoice stops being owed (paid, cancelled, credited to zero): it ends its
  // collection, sets its subscription's status and closes the customer's dunning if nothing
  // dunned is left. RefreshSubscriptionStatus: past_due while the subscription's latest invoice
  // is overdue or its charge declined, else active. EvaluateDunning: for one customer in
  // dunning, closes the case (and lifts a suspension by dunning) when nothing dunned is owed;
  // otherwise takes the steps due (take_steps: the run) or only notes that some may be due (the
  // settling hooks), and sets the day of the next step. A payment that settles many invoices
  // passes evaluate_dunning = false for each and evaluates its customer's dunning once after.
  Status OpenCollection(StoreTx& tx, const Subscription& sub, const Invoice& inv);
  Status AfterInvoiceSettled(StoreTx& tx, const Invoice& inv, const Actor& actor,
                             const std::string& request_id, bool evaluate_dunning = true);
  Status RefreshSubscriptionStatus(StoreTx& tx, const std::string& subscription_id,
                                   const Date& today, const Actor& actor,
                                   const std::string& request_id);
  Status EvaluateDunning(StoreTx& tx, const std::string& customer_id, const Date& today,
                         const Actor& actor, const std::string& request_id, bool take_steps,
                         BillingRunReport* counts);
  Status CollectDue(const Date& as_of, const Actor& actor, const std::string& request_id,
                    BillingRunReport* report);
  Status RunDunning(const Date& as_of, const Actor& actor, const std::string& request_id,
                    BillingRunReport* report);
  ChargeDecision Decide(const ChargeRequest& request);

  // Validates `card`, seals it and inserts it for `customer` in `tx`.
  Result<StoredCard> StoreCard(StoreTx& tx, const Customer& customer, const NewCard& card,
                               const Actor& actor);
  // The stored card `id` of `customer`, after checking that its details open (a charge needs them).
  Result<StoredCard> UsableCard(StoreTx& tx, const Customer& customer, const std::string& id);

  Store& store_;
  const security::DataCipher* cipher_ = nullptr;
  const Clock& clock_;
  RandomSource& ids_;
  RandomSource& processor_;
  BillingOptions options_;
};

}  // namespace billing
