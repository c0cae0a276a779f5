// The billing reports (docs/reports.md): AR aging, revenue per month, recurring revenue (MRR and
// ARR with their movements) and payment success, each per currency and never summed across
// currencies. They are read from counters the database keeps in the transaction of every change
// (StoreTx::Receivables, RevenueMonths, PaymentAttemptMonths, MrrMonths), so a report costs what
// it shows: its customers with open invoices, or its months. BillingService (report_service.cc)
// builds them; the tool billing-reports and REST /api/v1/reports/* show them.
//
// Thread-safety: plain values.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace billing {

// The longest range of months a report takes (ten years).
inline constexpr int kMaxReportMonths = 120;

// Open receivables by days past the due date, as of a day. "current" is not yet due (0 days or
// fewer past); a bucket holds the amounts still due on the invoices in it.
struct AgingBuckets {
  int64_t current_cents = 0;
  int64_t days_1_30_cents = 0;
  int64_t days_31_60_cents = 0;
  int64_t days_61_90_cents = 0;
  int64_t over_90_cents = 0;
  int64_t invoices = 0;
  int64_t TotalCents() const {
    return current_cents + days_1_30_cents + days_31_60_cents + days_61_90_cents + over_90_cents;
  }
  int64_t OverdueCents() const { return TotalCents() - current_cents; }
};

struct AgingCustomer {
  std::string customer_id, company, currency;
  AgingBuckets buckets;
};

struct AgingReport {
  std::string as_of;                           // YYYY-MM-DD
  std::vector<AgingCustomer> customers;        // by customer id, then currency
  std::map<std::string, AgingBuckets> totals;  // per currency
};

struct RevenueMonth {
  std::string month, currency;  // YYYY-MM
  int64_t invoiced_cents = 0, collected_cents = 0, refunded_cents = 0, credited_cents = 0;
  int64_t NetCents() const { return collected_cents - refunded_cents; }
};

struct RevenueReport {
  std::string from, to;              // YYYY-MM, inclusive
  std::vector<RevenueMonth> months;  // every month of the range per currency seen, by currency
  std::map<std::string, RevenueMonth> totals;  // per currency; month = "from..to"
};

// Movements of recurring revenue in a month, kept exact as annual amounts (ARR); MRR is ARR / 12
// rounded half away from zero to the minor unit.
struct MrrMonth {
  std::string month, currency;
  int64_t new_arr_cents = 0, expansion_arr_cents = 0, contraction_arr_cents = 0,
          churned_arr_cents = 0;
  int64_t start_arr_cents = 0, end_arr_cents = 0;  // at the start and the end of the month
};

struct MrrReport {
  std::string from, to;
  std::vector<MrrMonth> months;              // every month of the range per currency, by currency
  std::map<std::string, int64_t> arr_cents;  // per currency: the ARR at the end of `to`
};

// Payment attempts of a month by method, first attempts and an automatic collection's retries
// apart. The rate is succeeded / (succeeded + failed) in basis points, rounded half up.
struct PaymentSuccessRow {
  std::string month, method, currency;
  bool retry = false;
  int64_t succeeded = 0, failed = 0, succeeded_cents = 0, failed_cents = 0;
  int64_t RateBasisPoints() const;  // -1 when there was no attempt
};

struct PaymentSuccessReport {
  std::string from, to;
  std::vector<PaymentSuccessRow> rows;                 // by month, method, currency, retry
  std::map<std::string, PaymentSuccessRow> by_method;  // whole range, first attempts and retries
  PaymentSuccessRow overall;                           // whole range, every method and currency
};

// Customer lifetime value: what a customer has paid (net of refunds) since it became a customer,
// its tenure in months (started months: a customer of ten days has 1) and the average per month
// (collected / tenure, rounded half up), in its currency.
struct LifetimeValue {
  std::string customer_id, company, currency, since;  // since: YYYY-MM-DD
  int64_t collected_cents = 0, tenure_months = 0, average_monthly_cents = 0;
};

struct LtvReport {
  std::string as_of;
  std::vector<LifetimeValue> customers;  // by customer id, a page
  bool has_more = false;                 // more customers after the last one (keyset: its id)
};

// What the next months should bring in, per currency: the amounts still due on open invoices by
// the month of their due date (those already past due apart), and the renewals of subscriptions
// (active, not set to cancel) whose periods start in the month, at the list price of the plan
// they will renew on (a scheduled change included; coupons not taken off).
struct ForecastMonth {
  std::string month, currency;
  int64_t open_invoices_cents = 0, renewals_cents = 0;
  int64_t invoices = 0, renewals = 0;
  int64_t TotalCents() const { return open_invoices_cents + renewals_cents; }
};

struct ForecastReport {
  std::string as_of;
  std::vector<ForecastMonth> months;             // as_of's month and the two after, per currency
  std::map<std::string, int64_t> overdue_cents;  // per currency: due before as_of, still open
};

// MRR from ARR: ARR / 12 rounded half away from zero.
int64_t MrrFromArr(int64_t arr_cents);
// "93.3%" from basis points (one decimal, rounded half up); "n/a" for -1.
std::string PercentText(int64_t basis_points);

}  // namespace billing
