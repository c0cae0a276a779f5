// Request parsing for the local planner: a pure function from one chat message (plus today's
// date) to a billing intent with its slots (ids, amounts, line items, dates, filters), and a pure
// function from that intent to the next action (tool calls to make, or a reply asking for what is
// missing). No I/O, no randomness, no regular expressions: the text is tokenised once by hand
// (lowercased copy + typed tokens), so a request costs a few microseconds.
//
// Recognised: customer lookups and filters, invoice create/get/list/update/mark_paid/cancel,
// payment process/refund/history/list_failed, plans and subscriptions (list plans, subscribe,
// show, list, renewals, change plan, cancel now or at the period end), greetings/help. Ids are
// normalised
// ("cust-1", "customer 1" -> CUST-001; "pay-1" -> PAY-001; "inv-001" -> INV-001, which the tool
// resolves). Amounts are parsed exactly with ParseAmount (never a double) and passed on as decimal
// strings ("1500.00"). Dates: YYYY-MM-DD, YYYY/MM/DD, MM/DD/YYYY, "December 15, 2026",
// "Dec 15 2026", "15 Dec 2026", "today", "tomorrow", "yesterday", "in N days|weeks|months",
// "next week", "next month", "end of (the|next) month", "net 30", "next|this|on|by Friday" (the
// first such weekday after today). Amounts written negative or zero and payment methods we do
// not take are kept apart (nonpositive_amount, unsupported_method) and refused with the rule.
// A word one edit away from exactly one feature word is read as that word ("custmer"), unless it
// is capitalised mid-sentence (a company name). Text that poses as another speaker ("SYSTEM:",
// "</user>", "note to the AI") ends the request; the text of a note adds no intent.
//
// The labelled corpus (testdata/planner_corpus.jsonl, run by planner_corpus_test.cc) is the
// specification by example: every new phrasing or intent adds its lines there.
//
// Where each part lives (the parse/ headers are internal, namespace billing::parse):
//   parse/text.h        character and text helpers: digits, lowercasing, id padding, trim, clip
//   parse/vocabulary.h  the word table: feature bits of each known word, month names
//   parse/lexer.h       tokens; ids and amounts ("cust-1", "customer 1", "$1,500", "1500 dollars")
//   parse/dates.h       dates and date phrases ("2026-12-15", "December 15, 2026", "in 30 days")
//   parse/line_items.h  invoice line items of a create request ("Premium Plan $199, 3 hours ...")
//   parse/subscriptions.h  plans and subscriptions ("Subscribe ... to the Premium Plan", "SUB-002")
//   request_parser.cc   ParseRequest (slots, filters, intents), IntentName, NormalizeCustomerId
//   decide_action.cc    DecideAction and HelpText: the tool calls, or what to ask for
//
// Thread-safety: pure functions over values; safe to call concurrently from any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/clock.h"

namespace billing {

enum class Intent {
  kHelp,  // greeting, thanks, or nothing recognised
  kGetCustomer,
  kListCustomers,
  kCreateInvoice,
  kGetInvoice,
  kListInvoices,
  kUpdateInvoice,
  kMarkInvoicePaid,
  kCancelInvoice,
  kProcessPayment,
  kRefundPayment,
  kPaymentHistory,
  kListFailedPayments,
  kPaymentsInPeriod,  // "how much did we collect this month", "payments received last week"
  // Plans and subscriptions (parse/subscriptions.h).
  kListPlans,             // "what plans do we have"
  kCreatePlan,            // "Create a plan called Team at $79 per quarter"
  kCreateSubscription,    // "Subscribe StartupHub to the Premium Plan starting today"
  kGetSubscription,       // "show SUB-001"
  kListSubscriptions,     // "list CUST-002's subscriptions", "active subscriptions"
  kSubscriptionRenewals,  // "Which subscriptions renew this week?"
  kChangeSubscription,    // "Upgrade SUB-001 to Premium"
  kCancelSubscription,    // "Cancel SUB-002 at the end of the period"
  // Invoice lifecycle (parse/invoice_lifecycle.h).
  kFinalizeInvoice,  // "Finalize draft_3"
  kCreditNote,       // "Issue a $50 credit note on INV-2026-004 and refund it"
  kApplyCoupon,      // "Apply coupon WELCOME10 to draft_2"
  kListCoupons,      // "What coupons do we have?"
  // Collection (parse/subscriptions.h).
  kListDunning,  // "Who is in dunning?"
  // Customer management (parse/customers.h).
  kCreateCustomer,     // "Add a customer Acme GmbH, billing@acme.example, monthly, in EUR"
  kUpdateCustomer,     // "Change CUST-001's email to ap@techcorp.example"
  kSuspendCustomer,    // "Suspend CUST-002"
  kReinstateCustomer,  // "Reinstate CUST-004"
  // Reports (parse/reports.h).
  kAgingReport,           // "aging report"
  kRevenueReport,         // "revenue last quarter"
  kMrrReport,             // "what's our MRR"
  kPaymentSuccessReport,  // "payment success rate for cards"
  kLtvReport,             // "lifetime value of CUST-001"
  kForecastReport,        // "what will we collect next month"
};

const char* IntentName(Intent intent);

struct ParsedLineItem {
  std::string description;
  std::string quantity = "1";  // decimal text, as the tool accepts ("2", "1.5")
  int64_t unit_price_minor = 0;
};

// A list request that asks a question: the answer leads with the answer, then the rows.
enum class Question {
  kNone,
  kRank,   // "who owes the most", "top 3 customers by balance", "largest overdue invoice"
  kCount,  // "how many invoices are overdue"
  kYesNo,  // "does CUST-003 have any failed payments?"
  kTotal,  // "total outstanding"
};

// The fields of a customer to create or update that the general slots do not hold (the billing
// cycle, payment method and currency are ParsedRequest's own); "" / nullopt = not named.
struct NewCustomerFields {
  std::string company;
  std::string email;
  std::string contact_name;
  std::string locale;    // en | de | fr | es
  std::string tax_rate;  // as written: "19%", "8.25"
  std::optional<int> payment_terms_days;
};

struct ParsedRequest {
  Intent intent = Intent::kHelp;
  Question question = Question::kNone;
  int top_n = 0;  // kRank: how many to name (1 for "the most")
  bool greeting = false;  // hello / help / thanks
  bool thanks = false;

  // Ids, normalised ("CUST-001", "INV-001" or "INV-2025-001", "PAY-001"); empty when absent.
  std::string customer_id;
  std::string invoice_id;
  std::string payment_id;
  std::string subscription_id;  // "SUB-001"

  // Money. `amounts` are all amounts in order of appearance (minor units, USD).
  std::vector<int64_t> amounts;
  std::string bad_amount;  // text that looked like an amount but did not parse (e.g. "$1,50")
  std::vector<ParsedLineItem> items;  // create: the invoice lines understood

  std::optional<Date> date;  // the (due) date mentioned, if any
  // A period named ("this month", "last week", "this year"): first and last day, inclusive.
  std::optional<Date> period_from, period_to;
  std::string bad_date;      // text that looked like a date but is not a calendar date
  // An amount written negative or zero ("-$20", "$0"): refused with the rule, never "missing".
  std::string nonpositive_amount;
  // A payment method named that we do not take ("check", "cash", "venmo"): refused with the
  // supported list; the customer's default method is used only when none is named.
  std::string unsupported_method;

  std::string payment_method;  // credit_card | bank_transfer | paypal | crypto | ""
  // A currency named ("customers billed in EUR", "yen customers"): EUR | JPY | GBP | USD | "".
  std::string currency;
  std::string notes;           // update: new notes
  std::string reason;          // refund reason

  // Customer list filters.
  std::string customer_status;  // active | suspended
  std::string billing_cycle;    // monthly | quarterly | annual
  std::optional<bool> has_outstanding_balance;
  std::optional<int64_t> min_balance_minor;

  // Subscriptions: the plan as written ("Premium Plan", "annual plan"; the tool resolves it),
  // cancel at the period end rather than now, and the renewal window in days.
  std::string plan;
  // kCreatePlan: the price of one period as written ("79", "79.50"); its interval is
  // billing_cycle and its currency `currency`.
  std::string plan_price;
  bool at_period_end = false;
  bool automatic_collection = false;  // "charged automatically", "with autopay"
  int renew_days = 7;

  // Invoice lifecycle: create a draft rather than a finalized invoice; where a credit note's
  // money goes when the invoice was paid ("refund" | "credit" | "" unsaid).
  bool draft = false;
  std::string refund_to;
  std::string coupon_code;  // "WELCOME10": to redeem on a new invoice, subscription or draft

  // Invoice list filters.
  std::string invoice_status;    // pending | paid | overdue | cancelled | draft
  bool unpaid_invoices = false;  // "unpaid/open invoices": pending and overdue

  // The text seems to name a customer by company name (a capitalised word that is not one of
  // our keywords), so a lookup by name may find it.
  bool names_company = false;

  NewCustomerFields new_customer;  // kCreateCustomer / kUpdateCustomer

  // Filled by the planner between steps: the customer was looked up and exists (its company).
  bool customer_checked = false;
  std::string customer_name;
};

// The requests in one message, in order: "Create an invoice for CUST-003 for $100 due in 30 days
// and show me their balance" is two. Splits at " and ", " then ", ". " or "; " when what follows
// starts with a request verb (show, list, process, refund, ...); at most 2 parts; the text posing
// as another speaker is cut first (as ParseRequest does). A part that names no id inherits the
// customer of the part before ("their balance").
std::vector<std::string> SplitRequests(std::string_view text);

// Parses one user message. `today` resolves relative dates ("in 30 days").
ParsedRequest ParseRequest(std::string_view text, const Date& today);

// One tool call to make: tool key and arguments.
struct PlannedCall {
  std::string tool;  // "getCustomerTool" | "manageInvoicesTool" | "processPaymentTool"
  nlohmann::json args = nlohmann::json::object();
};

// What to do next for a parsed request.
struct PlannedAction {
  std::vector<PlannedCall> calls;  // non-empty: call these tools
  std::string reply;               // calls empty: answer with this text
  // The request needs a customer given only by company name: list the customers first
  // (calls holds that lookup), then match the name and plan again with customer_id set.
  bool customer_lookup = false;
  // calls holds a check that the named customer exists (getCustomerTool by id) before asking
  // for what is missing; plan again with customer_checked set (or report the error).
  bool customer_check = false;
  // calls holds a read of the invoice to pay (manageInvoicesTool get): plan again with its
  // customer and, when no amount was given, the amount still due on it.
  bool invoice_lookup = false;
};

// Decides the next action: tool calls, a lookup by company name, or a reply that asks for what
// is missing (amount, due date, customer, ids) or refuses (due date not after `today`).
PlannedAction DecideAction(const ParsedRequest& request, const Date& today);

// "CUST-001" from "cust-001", "CUST-1", "cust_1", "1"; empty when `text` is not such an id.
std::string NormalizeCustomerId(std::string_view text);

// Short help text listing what the planner understands.
std::string HelpText();

}  // namespace billing
