// BillingService: every operation of the three tools, as transactions over a Store, enforcing the
// rules of billing-rules.md. Inputs arrive typed and parsed (amounts in cents, dates as Date); the
// service checks everything that depends on the ledger (existence, status, amounts due) and
// either commits the whole change or returns an Error and changes nothing.
//
// Thread-safety: safe to call from many threads; each call is one Store transaction.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "billing/types.h"
#include "common/clock.h"
#include "common/result.h"
#include "store/store.h"

namespace billing {

enum class ProcessorMode { kRandom, kAlwaysApprove, kAlwaysDecline };

struct BillingOptions {
  int default_tax_rate_bp = 800;
  int64_t max_amount_cents = 100'000'000;  // per operation: $1,000,000.00
  ProcessorMode processor_mode = ProcessorMode::kRandom;
  int approval_rate_bp = 9000;  // 90% in kRandom mode
  int recent_payments = 5;      // shown with a customer
};

struct CustomerView {
  Customer customer;
  int64_t balance_cents = 0;  // negative = credit
  std::vector<Invoice> open_invoices;
  std::vector<Payment> recent_payments;
};

struct CustomerQuery {
  std::string status, billing_cycle, payment_method;  // empty = any
  std::optional<bool> has_outstanding_balance;
  std::optional<int64_t> min_balance_cents;
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
  std::string actor;  // recorded as created_by
};

struct InvoiceUpdate {
  std::optional<Date> due_date;
  std::optional<std::string> notes;
  std::optional<std::vector<NewLineItem>> items;
};

struct PaymentRequest {
  std::string customer_id;
  int64_t amount_cents = 0;
  std::string method;      // empty = the customer's default
  std::string invoice_id;  // empty = allocate to open invoices, oldest due first
  std::string actor;
};

struct PaymentOutcome {
  Payment payment;
  int64_t new_balance_cents = 0;
  bool approved = false;
};

struct RefundOutcome {
  Refund refund;
  Payment payment;
  int64_t new_balance_cents = 0;
};

struct MarkPaidOutcome {
  Invoice invoice;
  Payment payment;
};

struct PaymentHistory {
  Customer customer;
  std::vector<Payment> payments;  // newest first
};

class BillingService {
 public:
  BillingService(Store& store, const Clock& clock, RandomSource& ids, RandomSource& processor,
                 BillingOptions options);

  const BillingOptions& options() const { return options_; }
  Date Today() const { return clock_.TodayUtc(); }

  Result<CustomerView> GetCustomer(const std::string& customer_id);
  Result<std::vector<CustomerView>> ListCustomers(const CustomerQuery& query);

  Result<Invoice> CreateInvoice(const NewInvoice& request);
  Result<Invoice> GetInvoice(const std::string& invoice_id);
  // status: "" | pending | paid | overdue | cancelled (overdue is derived).
  Result<std::vector<Invoice>> ListInvoices(const std::string& customer_id, const std::string& status);
  Result<Invoice> UpdateInvoice(const std::string& invoice_id, const InvoiceUpdate& update,
                                const std::string& actor = "");
  Result<MarkPaidOutcome> MarkInvoicePaid(const std::string& invoice_id, const std::string& method,
                                          const std::string& actor);
  Result<Invoice> CancelInvoice(const std::string& invoice_id, const std::string& actor = "");

  Result<PaymentOutcome> ProcessPayment(const PaymentRequest& request);
  // amount_cents: nullopt = everything not yet refunded.
  Result<RefundOutcome> RefundPayment(const std::string& payment_id,
                                      std::optional<int64_t> amount_cents,
                                      const std::string& reason, const std::string& actor = "");
  Result<PaymentHistory> History(const std::string& customer_id);
  Result<std::vector<Payment>> FailedPayments(const std::string& customer_id);

  // Loads the sample data of billing-rules.md into an empty database; no-op otherwise.
  Status SeedIfEmpty();

  // Checks every invariant of billing-rules.md over the whole ledger; the first violation is
  // returned as an Error. Used by tests after every operation.
  Status CheckInvariants();

 private:
  Result<Invoice> ResolveInvoice(StoreTx& tx, const std::string& raw_id);
  Result<Customer> RequireCustomer(StoreTx& tx, const std::string& raw_id,
                                   const std::string& field);
  Result<int64_t> Balance(StoreTx& tx, const std::string& customer_id);
  Result<std::vector<LineItem>> BuildItems(const std::vector<NewLineItem>& items);
  Status LoadAllocations(StoreTx& tx, Payment& p);
  Result<Date> RequireFutureDate(const Date& due);
  int TaxRateFor(const Customer& c) const;
  bool Approve();

  Store& store_;
  const Clock& clock_;
  RandomSource& ids_;
  RandomSource& processor_;
  BillingOptions options_;
};

}  // namespace billing
