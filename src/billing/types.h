// Domain records of the billing ledger: customers, invoices with line items, payments with their
// allocations to invoices, and refunds. Plain values: amounts are int64 minor units, dates are
// calendar dates, and derived figures (balance, amount due, overdue) are computed by the rules in
// billing/rules.h, never stored.
//
// Thread-safety: plain values.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/clock.h"

namespace billing {

// Who made a change (issue #17). `principal` is the authenticated caller, set by the server and
// never by the request: "key:<prefix>", "jwt:<sub>", "dev" (development mode, no auth), "seed",
// "billing-run". `on_behalf_of` is the end user the caller says it acts for ("cometchat:<uid>",
// "user:<id>"): a claim the server records apart but cannot verify; "" when none is claimed.
// Only a caller with the act_on_behalf scope may claim one (auth/scopes.h).
struct Actor {
  std::string principal;
  std::string on_behalf_of;

  Actor() = default;
  Actor(std::string principal_id, std::string claimed = {})  // NOLINT: a principal alone converts
      : principal(std::move(principal_id)), on_behalf_of(std::move(claimed)) {}
  Actor(const char* principal_id) : principal(principal_id) {}  // NOLINT
};

// Enumerations are stored and sent as their lower_snake names.
inline constexpr std::string_view kBillingCycles[] = {"monthly", "quarterly", "annual"};
inline constexpr std::string_view kPaymentMethods[] = {"credit_card", "bank_transfer", "paypal",
                                                       "crypto"};
inline constexpr std::string_view kCustomerStatuses[] = {"active", "suspended"};
// The languages of a customer's messages (integration.md "Email").
inline constexpr std::string_view kLocales[] = {"en", "de", "fr", "es"};
// Stored invoice states; "overdue" is derived on read (pending and due before today).
inline constexpr std::string_view kInvoiceStatuses[] = {"pending", "paid", "overdue", "cancelled"};
inline constexpr std::string_view kPaymentStatuses[] = {"completed", "failed", "refunded",
                                                        "partially_refunded"};

struct Customer {
  std::string id;  // CUST-001
  std::string company;
  std::string contact_name;
  std::string email;
  std::string billing_cycle;   // kBillingCycles
  std::string payment_method;  // kPaymentMethods
  std::string status;          // kCustomerStatuses
  std::string currency = "USD";
  std::optional<int> tax_rate_bp;  // per-customer override of the default rate, basis points
  int64_t opening_balance_cents = 0;
  std::string created_at;        // ISO 8601
  std::string locale = "en";     // kLocales
  int payment_terms_days = 30;   // its new subscriptions' default, 1..365
};

// Ledger sums for one customer, from which the outstanding balance is derived.
struct LedgerTotals {
  int64_t invoiced_cents = 0;  // non-cancelled invoice totals less their credit notes
  int64_t paid_cents = 0;      // amounts of payments that completed (even if later refunded)
  int64_t refunded_cents = 0;  // refunds of those payments
  int64_t opening_cents = 0;
};

struct LineItem {
  std::string description;
  int64_t quantity_milli = 1000;  // thousandths of a unit: 2 units = 2000
  int64_t unit_price_cents = 0;
  int64_t amount_cents = 0;  // round-half-up(quantity * unit price)
};

struct Invoice {
  std::string id;  // INV-2025-001
  int year = 0;
  int seq = 0;
  std::string customer_id;
  std::string customer_name;  // filled on read
  std::vector<LineItem> items;
  int64_t subtotal_cents = 0;
  int tax_rate_bp = 800;
  int64_t tax_cents = 0;
  int64_t total_cents = 0;
  std::string status;  // stored: pending | paid | cancelled
  Date issue_date;
  Date due_date;
  std::string notes;
  std::string paid_date;       // YYYY-MM-DD when status became paid
  std::string payment_method;  // method of the payment that settled it
  int64_t paid_cents = 0;      // net of refunds, from allocations (kept by the store)
  int64_t credited_cents = 0;  // sum of its credit notes' totals (billing/credit_notes.cc)
  // A coupon's discount, taken from the subtotal before tax: subtotal - discount + tax = total.
  int64_t discount_cents = 0;
  std::string coupon_code;  // the coupon redeemed on it, or "" (at most one per invoice)
  std::string currency = "USD";  // its customer's when it was made (ISO 4217)
  std::string created_at;
  std::string created_by;            // principal who created it (Actor), if known
  std::string updated_by;            // principal of the last change
  std::string created_on_behalf_of;  // claimed end user of the creation (Actor), if any
  std::string updated_on_behalf_of;  // claimed end user of the last change, if any
};

struct Allocation {
  int64_t id = 0;
  std::string payment_id;
  std::string invoice_id;
  int64_t amount_cents = 0;
  int64_t refunded_cents = 0;
};

struct Payment {
  std::string id;  // PAY-001
  int64_t number = 0;
  std::string customer_id;
  std::string invoice_id;  // optional: the invoice named by the caller
  int64_t amount_cents = 0;
  int64_t refunded_cents = 0;
  std::string method;
  std::string status;  // kPaymentStatuses
  std::string transaction_id;
  std::string failure_reason;
  std::string created_at;
  std::string actor;              // principal who asked for it (Actor), if known
  std::string payment_method_id;  // the stored card charged (PM-001), if any
  std::string card_brand;         // of that card, filled on read
  std::string card_last4;
  std::vector<Allocation> allocations;  // filled on read by the service
  std::string on_behalf_of;             // claimed end user (Actor), if any
  // Applied to invoices: its allocations net of their refunds (kept by the store). What is left,
  // amount - refunded - applied, is the customer's credit balance held in this payment.
  int64_t applied_cents = 0;
  std::string currency = "USD";  // its customer's (ISO 4217); never another than its invoices'
  int attempt = 1;  // which attempt of an automatic collection (1 = first; manual payments 1)
};

// A stored card (store migration 007). details_sealed holds the number and expiry, encrypted
// (security/data_cipher.h); it never leaves the service. Only brand and last4 are shown.
struct StoredCard {
  std::string id;  // PM-001
  int64_t number = 0;
  std::string customer_id;
  std::string type = "credit_card";
  std::string brand;
  std::string last4;
  int exp_month = 0;
  int exp_year = 0;
  std::string details_sealed;
  std::string key_id;
  std::string actor;  // principal (Actor)
  std::string created_at;
  std::string on_behalf_of;  // claimed end user (Actor), if any
};

struct Refund {
  std::string id;  // RFD-001
  int64_t number = 0;
  std::string payment_id;
  int64_t amount_cents = 0;
  std::string reason;
  std::string transaction_id;
  std::string created_at;
  std::string actor;         // principal who asked for it (Actor), if known
  std::string on_behalf_of;  // claimed end user (Actor), if any
};

// A change made under an operation key (store migration 006): a retry of the same operation finds
// it and gets the original result instead of a second change. `fingerprint` hashes the operation's
// parameters so that a key reused for other parameters is refused.
struct OperationRecord {
  std::string op_key;
  std::string kind;  // payment | refund | invoice | mark_paid
  std::string fingerprint;
  std::string entity_id;  // PAY-…, INV-…
  std::string detail_id;  // RFD-… for a refund
  std::string created_at;
};

// One row of the append-only audit log (store migration 004; chain rules in billing/audit.h).
// before_json/after_json are JSON texts ("null" when there is no record on that side).
struct AuditEntry {
  int64_t seq = 0;     // 1, 2, 3, ... in commit order
  std::string at;      // ISO 8601 UTC, server clock
  std::string actor;   // the principal (Actor): key:<prefix>, jwt:<sub>, dev, seed, ...
  std::string action;  // invoice.create | invoice.update | invoice.cancel | invoice.mark_paid |
                       // payment.process | payment.refund | seed.load
  std::string entity_type;  // invoice | payment | ledger
  std::string entity_id;
  std::string before_json = "null";
  std::string after_json = "null";
  std::string request_id;    // the HTTP request id, if known
  std::string prev_hash;     // hash of row seq-1 (64 zeros for row 1)
  std::string hash;          // SHA-256 hex over prev_hash + the canonical row (billing/audit.h)
  std::string on_behalf_of;  // claimed end user (Actor); chain version 2 and later only
  int chain_version = 2;     // the rule that hashed the row (billing/audit.h kAuditChainVersion)
};

// An event: one change to billing data, appended in the same transaction as the change (an
// outbox; docs/events.md). Webhooks and email deliver from these rows and need nothing else.
// A webhook endpoint (docs/webhooks.md). enabled_events: "*" or ",type,type," (stored so that
// the store can match a type with one string search).
struct WebhookEndpoint {
  std::string id;  // we_ + 24 hex digits
  std::string url;
  std::string description;
  std::string enabled_events = "*";
  std::string secret_sealed;           // "whsec_..." sealed (security/data_cipher.h)
  std::string previous_secret_sealed;  // during a rotation: the old secret, which signs too
  std::string previous_secret_until;   // ISO 8601: until then
  std::string status = "enabled";      // enabled | disabled
  std::string failing_since;           // ISO 8601 of the first failure in a row; "" = healthy
  std::string created_at;
  std::string updated_at;
};

// The endpoint's event types as a list: ["*"], or the stored ",a,b," split.
inline std::vector<std::string> EnabledEventTypes(const WebhookEndpoint& e) {
  if (e.enabled_events == "*") return {"*"};
  std::vector<std::string> out;
  size_t start = 0;
  while (start < e.enabled_events.size()) {
    size_t comma = e.enabled_events.find(',', start);
    if (comma == std::string::npos) comma = e.enabled_events.size();
    if (comma > start) out.push_back(e.enabled_events.substr(start, comma - start));
    start = comma + 1;
  }
  return out;
}
inline constexpr int kMaxWebhookEndpoints = 16;

// One event to one endpoint, and its attempts.
struct WebhookDelivery {
  int64_t seq = 0;  // shown as whd_<seq>
  std::string event_id;
  std::string endpoint_id;
  std::string status = "pending";  // pending | delivered | failed
  int attempts = 0;
  std::string next_attempt_at;  // ISO 8601
  std::string created_at;
  std::string delivered_at;
  int last_status = 0;  // the last HTTP status; 0 = no answer
  std::string last_error;
  // Filled by ClaimDeliveries: the event sent.
  std::string event_type, event_created_at, event_data_json, event_request_id,
      event_idempotency_key;
};
struct WebhookAttempt {
  int64_t delivery_seq = 0;
  int attempt = 0;  // 1, 2, ...
  std::string at;   // ISO 8601
  int status = 0;   // HTTP status; 0 = no answer (refused, timed out, blocked)
  int64_t latency_ms = 0;
  std::string error;
};

// An email in the outbox (store migration 026; docs/email.md): rendered from its event in the
// customer's locale when the event is written, in the same transaction; sent by the email worker.
struct OutboxEmail {
  int64_t seq = 0;  // shown as eml_<seq>
  std::string event_id;
  std::string kind;  // billing/email_messages.h: invoice_issued, payment_receipt, ...
  std::string customer_id;
  std::string to_address;
  std::string locale;
  std::string subject, text_body, html_body;
  std::string status = "pending";  // pending | sent | failed
  int attempts = 0;
  std::string next_attempt_at;  // ISO 8601; a claimed message's lease end
  std::string created_at;
  std::string sent_at;
  std::string last_error;
};

// The counters behind the reports (docs/reports.md; store migrations 027 / PostgreSQL 016), kept
// by the database in the transaction of every change. Months are "YYYY-MM", dates "YYYY-MM-DD".
struct ReceivableRow {  // the open invoices of one customer, in one currency, due on one day
  std::string customer_id, currency, due_date;
  int64_t outstanding_cents = 0;  // total - paid - credited
  int64_t invoices = 0;
};
struct RevenueMonthRow {
  std::string month, currency;
  int64_t invoiced_cents = 0, collected_cents = 0, refunded_cents = 0, credited_cents = 0;
};
struct PaymentAttemptRow {
  std::string month, method, currency;
  bool retry = false;  // an automatic collection's second or later attempt
  int64_t succeeded = 0, failed = 0, succeeded_cents = 0, failed_cents = 0;
};
struct MrrMonthRow {  // movements of annual recurring revenue (ARR) in one month
  std::string month, currency;
  int64_t new_arr_cents = 0, expansion_arr_cents = 0, contraction_arr_cents = 0,
          churned_arr_cents = 0;
};

struct Event {
  int64_t seq = 0;              // 1, 2, 3, ... in commit order: the order of the list
  std::string id;               // evt_ + 24 lowercase hex digits (96 random bits)
  std::string type;             // kEventTypes
  std::string created_at;       // ISO 8601 UTC, server clock
  std::string object_type;      // invoice | payment | refund
  std::string object_id;        // INV-2026-001, PAY-007, REF-001, ...
  std::string data_json;        // the object after the change (JSON text)
  std::string request_id;       // the HTTP request id, if known
  std::string idempotency_key;  // the request's Idempotency-Key, if it had one
};

// The event types emitted today; later features add theirs (docs/events.md).
inline constexpr std::string_view kEventTypes[] = {
    "invoice.created",      "invoice.finalized",       "invoice.updated",
    "invoice.paid",         "invoice.cancelled",       "payment.succeeded",
    "payment.failed",       "refund.created",          "subscription.created",
    "subscription.updated", "subscription.renewed",    "subscription.canceled",
    "invoice.deleted",      "credit_note.created",     "coupon.redeemed",
    "invoice.overdue",      "payment.retry_scheduled", "subscription.past_due",
    "customer.suspended",   "customer.reinstated",     "dunning.reminder",
    "dunning.warning",      "dunning.suspend",         "customer.created",
    "customer.updated",     "webhook_endpoint.disabled"};

// A coupon (automated-billing.md "Discounts and coupons"): percent_off_bp or amount_off_cents
// (exactly one), for `duration`: once (one invoice), repeating (duration_periods invoices of a
// subscription) or forever. Codes are stored upper case and matched in any case.
inline constexpr std::string_view kCouponDurations[] = {"once", "repeating", "forever"};
struct Coupon {
  std::string code;  // WELCOME10
  std::string name;
  std::optional<int> percent_off_bp;        // 1..10000
  std::optional<int64_t> amount_off_cents;  // > 0, in `currency`
  std::string currency = "USD";
  std::string duration = "once";  // kCouponDurations
  int64_t duration_periods = 0;   // repeating: how many invoices
  std::string redeem_by;          // YYYY-MM-DD, last day it may be redeemed; "" = no limit
  int64_t max_redemptions = 0;    // over all customers; 0 = no limit
  int64_t times_redeemed = 0;
  bool archived = false;  // no new redemptions; existing ones keep running
  std::string created_at;
  std::string created_by;
};

// One redemption: a coupon applied to an invoice or to a subscription (then to its invoices for
// the coupon's duration). `number` is the coupon's redemption count after it (1, 2, ...).
struct CouponRedemption {
  std::string coupon_code;
  int64_t number = 0;
  std::string customer_id;
  std::string invoice_id;       // "" when a subscription redeemed it
  std::string subscription_id;  // "" when an invoice redeemed it
  std::string created_at;
  std::string actor;
};

// An invoice draft (automated-billing.md "Invoice lifecycle"): no number, freely editable,
// owes nothing until it is finalized into an invoice (which then gets the number). Kept apart
// from invoices, so no list, total or balance of invoices ever sees one. Amounts are computed on
// read with the customer's tax rate of the day, and fixed at finalization.
inline constexpr std::string_view kDraftStatuses[] = {"draft", "finalized", "deleted"};
struct InvoiceDraft {
  std::string id;  // draft_7
  int64_t number = 0;
  std::string customer_id;
  std::vector<LineItem> items;
  Date due_date;
  std::string notes;
  std::string status = "draft";  // kDraftStatuses
  std::string invoice_id;        // the invoice it became, once finalized
  std::string coupon_code;       // redeemed when it is finalized; "" = none
  // A subscription period's invoice held as a draft for the grace period (BILLING_DRAFT_HOURS):
  // the subscription (its coupon was redeemed with it, and applies without a new redemption)
  // and when the billing run finalizes it (ISO 8601 UTC). Both "" for a draft made by hand.
  std::string subscription_id;
  std::string finalize_at;
  std::string created_at;
  std::string created_by;
  std::string created_on_behalf_of;
  std::string updated_at;
  std::string updated_by;
  std::string updated_on_behalf_of;
};

// A credit note (automated-billing.md "Credit notes"): part or all of a finalized invoice taken
// back, tax in proportion. Its total first reduces what the invoice still owes; the rest (the
// invoice was paid) was refunded to the invoice's payments or kept as the customer's credit.
struct CreditNoteLine {
  int position = 0;  // the invoice's line, from 1
  std::string description;
  int64_t quantity_milli = 0;
  int64_t amount_cents = 0;  // before tax
};
struct CreditNote {
  std::string id;  // CN-2026-001
  int year = 0;
  int seq = 0;
  std::string invoice_id;
  std::string customer_id;
  std::string currency = "USD";
  int64_t subtotal_cents = 0;  // before tax
  int64_t tax_cents = 0;
  int64_t total_cents = 0;              // subtotal + tax; > 0
  int64_t due_reduced_cents = 0;        // of the total: taken off the invoice's amount due
  int64_t refunded_cents = 0;           // of the total: refunded to the invoice's payments
  int64_t credit_cents = 0;             // of the total: kept as the customer's credit balance
  std::vector<CreditNoteLine> lines;    // empty when given as an amount
  std::vector<std::string> refund_ids;  // RFD-… of the refunds it made
  std::string reason;
  std::string created_at;
  std::string created_by;  // principal (Actor)
  std::string on_behalf_of;
};

// A plan (automated-billing.md "Plans and subscriptions"): a price per period of `interval`.
struct Plan {
  std::string id;  // PLAN-BASIC, or a slug
  std::string name;
  int64_t price_cents = 0;  // per period, in the currency's minor units
  std::string currency = "USD";
  std::string interval;  // kBillingCycles
  bool active = true;
  std::string created_at;
};

inline constexpr std::string_view kSubscriptionStatuses[] = {"active", "past_due", "canceled"};
inline constexpr std::string_view kCollectionMethods[] = {"send_invoice", "automatic"};

// A subscription: billed in advance, one invoice per period (billing/periods.h). Period k is
// [PeriodStart(start_date, k), PeriodStart(start_date, k + 1)); `periods_billed` periods have been
// handled (billed, or skipped while the customer was suspended), so the next one to bill starts on
// `next_bill_date` (empty once canceled). The current period is the last one handled.
struct Subscription {
  std::string id;  // SUB-001
  int64_t number = 0;
  std::string customer_id;
  std::string plan_id;
  int64_t quantity = 1;
  Date start_date;
  int64_t periods_billed = 0;
  Date current_period_start;  // meaningful once periods_billed > 0
  Date current_period_end;
  std::string next_bill_date;               // YYYY-MM-DD; "" = nothing more to bill (canceled)
  std::string collection = "send_invoice";  // kCollectionMethods
  int payment_terms_days = 30;
  std::string status = "active";  // kSubscriptionStatuses
  bool cancel_at_period_end = false;
  std::string canceled_at;      // YYYY-MM-DD, once canceled
  std::string pending_plan_id;  // a downgrade that takes effect at the next period start
  int64_t pending_quantity = 0;
  std::string coupon_code;          // redeemed when the subscription was made; "" = none
  int64_t coupon_periods_used = 0;  // invoices of it that got the coupon's discount
  std::string created_at;
  std::string created_by;  // principal (Actor)
  std::string updated_at;
  std::string updated_by;
};

// One period of a subscription handled by a billing run: the pair (subscription, period start) is
// unique in the database, so no period is ever billed twice.
struct SubscriptionPeriod {
  std::string subscription_id;
  Date period_start;
  Date period_end;
  std::string invoice_id;  // "" when skipped
  std::string outcome;     // billed | skipped
  std::string created_at;
};

// How a subscription invoice is collected (automated-billing.md "Collection, retries, dunning";
// docs/collection.md). An automatic one is charged on next_attempt_date; a declined charge sets
// the next retry (first_decline_date + the schedule's days); a row with nothing more to try has
// no next_attempt_date.
inline constexpr std::string_view kCollectionStates[] = {
    "awaiting_payment",  // send_invoice: the customer pays it
    "scheduled",         // automatic: the first charge is due
    "retrying",          // automatic: declined, a retry is due
    "paid",              // settled (by a charge, a payment, a credit note)
    "stopped",           // cancelled or credited to zero before it was paid
    "hard_declined",     // a decline that is not retried (card expired, stolen, account closed)
    "exhausted"};        // declined on every retry of the schedule
struct Collection {
  std::string invoice_id;
  std::string subscription_id;
  std::string customer_id;
  std::string method = "send_invoice";  // kCollectionMethods
  std::string state = "awaiting_payment";
  int attempts = 0;  // charges made
  Date issued_date;
  std::string first_decline_date;  // YYYY-MM-DD, "" until a charge was declined
  std::string next_attempt_date;   // YYYY-MM-DD, "" = nothing more to try
  std::string last_decline_code;   // the processor's code of the last decline
  std::string updated_at;
};

// A customer in dunning: one of its invoices was seen overdue by a billing run and is unpaid.
// suspended_by_dunning: the `suspend` step suspended it (only then is it reinstated
// automatically when nothing is overdue any more). next_step_date: runs visit only the cases
// whose day has come.
struct DunningCase {
  std::string customer_id;
  Date opened_date;
  bool suspended_by_dunning = false;
  std::string next_step_date;  // YYYY-MM-DD a run next has a step to take; "" = none left
};

// One dunning step done: each (invoice, day) once.
inline constexpr std::string_view kDunningActions[] = {"reminder", "warning", "suspend"};
struct DunningStepRecord {
  std::string invoice_id;
  int step_day = 0;    // days past the invoice's due date
  std::string action;  // kDunningActions
  std::string customer_id;
  Date done_date;
};

}  // namespace billing
