// The billing reports (billing/reports.h; docs/reports.md), read from the counters the database
// keeps with every change. Each report reads one index range of its counter table in one read
// transaction, plus one customer lookup per customer the aging report shows.
#include <algorithm>
#include <set>

#include "billing/periods.h"
#include "billing/reports.h"
#include "billing/rules.h"
#include "billing/service.h"
#include "money/money.h"

namespace billing {
namespace {

// "2026-12" -> 2026 * 12 + 11; -1 when `text` is not YYYY-MM with a month 01..12.
int64_t MonthIndex(const std::string& text) {
  if (text.size() != 7 || text[4] != '-') return -1;
  int64_t year = 0;
  for (int k = 0; k < 4; ++k) {
    if (text[k] < '0' || text[k] > '9') return -1;
    year = year * 10 + (text[k] - '0');
  }
  if (text[5] < '0' || text[5] > '9' || text[6] < '0' || text[6] > '9') return -1;
  const int month = (text[5] - '0') * 10 + (text[6] - '0');
  if (year < 1970 || month < 1 || month > 12) return -1;
  return year * 12 + month - 1;
}

std::string MonthText(int64_t index) {
  const int64_t year = index / 12;
  const int64_t month = index % 12 + 1;
  std::string out = std::to_string(year) + "-";
  if (month < 10) out += '0';
  out += std::to_string(month);
  return out;
}

struct MonthRange {
  std::string from, to;
  int64_t first = 0, last = 0;
};

// The months a report covers: `from`..`to` as given, else the 12 months up to today's.
Result<MonthRange> RangeOf(const std::string& from, const std::string& to, const Date& today) {
  MonthRange r;
  r.last = to.empty() ? int64_t(today.year) * 12 + today.month - 1 : MonthIndex(to);
  if (r.last < 0) return Error::Invalid("to", "to must be a month YYYY-MM");
  r.first = from.empty() ? r.last - 11 : MonthIndex(from);
  if (r.first < 0) return Error::Invalid("from", "from must be a month YYYY-MM");
  if (r.first > r.last) return Error::Invalid("from", "from must not be after to");
  if (r.last - r.first + 1 > kMaxReportMonths) {
    return Error::Invalid(
        "from", "a report covers at most " + std::to_string(kMaxReportMonths) + " months");
  }
  r.from = MonthText(r.first);
  r.to = MonthText(r.last);
  return r;
}

// A report never shows part of its rows as if they were all: past the bound it is refused.
Status CheckNotTruncated(size_t receivable_rows) {
  if (receivable_rows < size_t(kMaxReportRows)) return OkStatus();
  return Error::Precondition("More than " + std::to_string(kMaxReportRows - 1) +
                                 " customer due dates hold open invoices: ask for one customer",
                             "customerId");
}

Status CheckCurrency(const std::string& currency) {
  if (currency.empty() || FindCurrency(currency)) return OkStatus();
  return Error::Invalid("currency", "currency must be a known ISO 4217 code");
}

}  // namespace

int64_t MrrFromArr(int64_t arr_cents) {
  const int64_t sign = arr_cents < 0 ? -1 : 1;
  const int64_t magnitude = arr_cents * sign;
  return sign * ((magnitude + 6) / 12);
}

std::string PercentText(int64_t basis_points) {
  if (basis_points < 0) return "n/a";
  const int64_t tenths = (basis_points + 5) / 10;  // of a percent
  return std::to_string(tenths / 10) + "." + std::to_string(tenths % 10) + "%";
}

int64_t PaymentSuccessRow::RateBasisPoints() const {
  const int64_t attempts = succeeded + failed;
  if (attempts == 0) return -1;
  return (succeeded * 10'000 * 2 + attempts) / (attempts * 2);  // half up
}

Result<AgingReport> BillingService::Aging(const Date& as_of, const std::string& customer_id,
                                          const std::string& currency) {
  BILLING_TRY(CheckCurrency(currency));
  AgingReport out;
  out.as_of = as_of.ToString();
  const int64_t today = as_of.DaysSinceEpoch();
  Status s = store_.Read([&](StoreTx& tx) -> Status {
    out.customers.clear();
    out.totals.clear();
    if (!customer_id.empty()) {
      BILLING_ASSIGN_OR_RETURN(std::optional<Customer> c, tx.FindCustomer(customer_id));
      if (!c) return Error::NotFound("Customer " + customer_id + " not found", "customerId");
    }
    BILLING_ASSIGN_OR_RETURN(std::vector<ReceivableRow> rows,
                             tx.Receivables(customer_id, kMaxReportRows));
    BILLING_TRY(CheckNotTruncated(rows.size()));
    for (const ReceivableRow& row : rows) {
      if (!currency.empty() && row.currency != currency) continue;
      if (out.customers.empty() || out.customers.back().customer_id != row.customer_id ||
          out.customers.back().currency != row.currency) {
        AgingCustomer c;
        c.customer_id = row.customer_id;
        c.currency = row.currency;
        BILLING_ASSIGN_OR_RETURN(std::optional<Customer> found, tx.FindCustomer(row.customer_id));
        if (found) c.company = found->company;
        out.customers.push_back(std::move(c));
      }
      Date due;
      if (!Date::Parse(row.due_date, &due)) {
        return Error::Internal("receivables: bad due date " + row.due_date);
      }
      const int64_t days_past = today - due.DaysSinceEpoch();
      for (AgingBuckets* b : {&out.customers.back().buckets, &out.totals[row.currency]}) {
        int64_t* bucket = days_past <= 0    ? &b->current_cents
                          : days_past <= 30 ? &b->days_1_30_cents
                          : days_past <= 60 ? &b->days_31_60_cents
                          : days_past <= 90 ? &b->days_61_90_cents
                                            : &b->over_90_cents;
        *bucket += row.outstanding_cents;
        b->invoices += row.invoices;
      }
    }
    return OkStatus();
  });
  if (!s.ok()) return s.error();
  return out;
}

Result<RevenueReport> BillingService::Revenue(const std::string& from, const std::string& to,
                                              const std::string& currency) {
  BILLING_TRY(CheckCurrency(currency));
  BILLING_ASSIGN_OR_RETURN(MonthRange range, RangeOf(from, to, Today()));
  std::vector<RevenueMonthRow> rows;
  Status s = store_.Read([&](StoreTx& tx) -> Status {
    BILLING_ASSIGN_OR_RETURN(rows, tx.RevenueMonths(range.from, range.to));
    return OkStatus();
  });
  if (!s.ok()) return s.error();
  RevenueReport out;
  out.from = range.from;
  out.to = range.to;
  std::map<std::pair<std::string, int64_t>, RevenueMonthRow> by_key;
  std::set<std::string> currencies;
  for (RevenueMonthRow& row : rows) {
    if (!currency.empty() && row.currency != currency) continue;
    currencies.insert(row.currency);
    by_key[{row.currency, MonthIndex(row.month)}] = std::move(row);
  }
  for (const std::string& code : currencies) {
    RevenueMonth& total = out.totals[code];
    total.month = range.from + ".." + range.to;
    total.currency = code;
    for (int64_t m = range.first; m <= range.last; ++m) {
      RevenueMonth month;
      month.month = MonthText(m);
      month.currency = code;
      if (auto it = by_key.find({code, m}); it != by_key.end()) {
        month.invoiced_cents = it->second.invoiced_cents;
        month.collected_cents = it->second.collected_cents;
        month.refunded_cents = it->second.refunded_cents;
        month.credited_cents = it->second.credited_cents;
      }
      total.invoiced_cents += month.invoiced_cents;
      total.collected_cents += month.collected_cents;
      total.refunded_cents += month.refunded_cents;
      total.credited_cents += month.credited_cents;
      out.months.push_back(std::move(month));
    }
  }
  return out;
}

Result<MrrReport> BillingService::Mrr(const std::string& from, const std::string& to,
                                      const std::string& currency) {
  BILLING_TRY(CheckCurrency(currency));
  BILLING_ASSIGN_OR_RETURN(MonthRange range, RangeOf(from, to, Today()));
  std::vector<MrrMonthRow> rows;
  Status s = store_.Read([&](StoreTx& tx) -> Status {
    BILLING_ASSIGN_OR_RETURN(rows, tx.MrrMonths(range.to));
    return OkStatus();
  });
  if (!s.ok()) return s.error();
  MrrReport out;
  out.from = range.from;
  out.to = range.to;
  std::map<std::string, int64_t> arr_before;  // per currency: ARR before the range
  std::map<std::pair<std::string, int64_t>, MrrMonthRow> in_range;
  for (MrrMonthRow& row : rows) {
    if (!currency.empty() && row.currency != currency) continue;
    const int64_t index = MonthIndex(row.month);
    const int64_t net = row.new_arr_cents + row.expansion_arr_cents - row.contraction_arr_cents -
                        row.churned_arr_cents;
    arr_before[row.currency];  // every currency with a movement up to `to` is shown
    if (index < range.first) {
      arr_before[row.currency] += net;
    } else {
      in_range[{row.currency, index}] = std::move(row);
    }
  }
  for (const auto& [code, start] : arr_before) {
    int64_t arr = start;
    for (int64_t m = range.first; m <= range.last; ++m) {
      MrrMonth month;
      month.month = MonthText(m);
      month.currency = code;
      month.start_arr_cents = arr;
      if (auto it = in_range.find({code, m}); it != in_range.end()) {
        month.new_arr_cents = it->second.new_arr_cents;
        month.expansion_arr_cents = it->second.expansion_arr_cents;
        month.contraction_arr_cents = it->second.contraction_arr_cents;
        month.churned_arr_cents = it->second.churned_arr_cents;
      }
      arr += month.new_arr_cents + month.expansion_arr_cents - month.contraction_arr_cents -
             month.churned_arr_cents;
      month.end_arr_cents = arr;
      out.months.push_back(std::move(month));
    }
    out.arr_cents[code] = arr;
  }
  return out;
}

Result<PaymentSuccessReport> BillingService::PaymentSuccess(const std::string& from,
                                                            const std::string& to,
                                                            const std::string& method,
                                                            const std::string& currency) {
  BILLING_TRY(CheckCurrency(currency));
  if (!method.empty() && !IsOneOf(method, kPaymentMethods)) {
    return Error::Invalid("method",
                          "method must be one of credit_card, bank_transfer, paypal, "
                          "crypto");
  }
  BILLING_ASSIGN_OR_RETURN(MonthRange range, RangeOf(from, to, Today()));
  std::vector<PaymentAttemptRow> rows;
  Status s = store_.Read([&](StoreTx& tx) -> Status {
    BILLING_ASSIGN_OR_RETURN(rows, tx.PaymentAttemptMonths(range.from, range.to));
    return OkStatus();
  });
  if (!s.ok()) return s.error();
  PaymentSuccessReport out;
  out.from = range.from;
  out.to = range.to;
  out.overall.month = range.from + ".." + range.to;
  for (const PaymentAttemptRow& row : rows) {
    if (!currency.empty() && row.currency != currency) continue;
    if (!method.empty() && row.method != method) continue;
    if (row.succeeded == 0 && row.failed == 0) continue;
    PaymentSuccessRow r{row.month,     row.method, row.currency,        row.retry,
                        row.succeeded, row.failed, row.succeeded_cents, row.failed_cents};
    PaymentSuccessRow& m = out.by_method[row.method];  // counts only: currencies are not summed
    m.month = out.overall.month;
    m.method = row.method;
    for (PaymentSuccessRow* sum : {&m, &out.overall}) {
      sum->succeeded += row.succeeded;
      sum->failed += row.failed;
    }
    out.rows.push_back(std::move(r));
  }
  return out;
}

Result<LtvReport> BillingService::Ltv(const Date& as_of, const std::string& customer_id,
                                      const std::string& currency, const std::string& after_id,
                                      int limit) {
  BILLING_TRY(CheckCurrency(currency));
  if (limit < 1 || limit > kMaxPageRows) {
    return Error::Invalid("limit", "limit must be 1 to " + std::to_string(kMaxPageRows));
  }
  LtvReport out;
  out.as_of = as_of.ToString();
  Status s = store_.Read([&](StoreTx& tx) -> Status {
    out.customers.clear();
    std::vector<Customer> customers;
    if (!customer_id.empty()) {
      BILLING_ASSIGN_OR_RETURN(std::optional<Customer> c, tx.FindCustomer(customer_id));
      if (!c) return Error::NotFound("Customer " + customer_id + " not found", "customerId");
      if (currency.empty() || c->currency == currency) customers.push_back(*c);
    } else {
      CustomerQuery q;
      q.currency = currency;
      q.after_id = after_id;
      BILLING_ASSIGN_OR_RETURN(std::vector<CustomerRow> rows,
                               tx.ListCustomers(q, PageSpec{0, limit + 1}));
      out.has_more = rows.size() > size_t(limit);
      for (size_t k = 0; k < rows.size() && k < size_t(limit); ++k) {
        customers.push_back(std::move(rows[k].customer));
      }
    }
    for (const Customer& c : customers) {
      BILLING_ASSIGN_OR_RETURN(auto ledger, tx.Ledger(c.id));
      const LedgerTotals& t = ledger[c.id];
      LifetimeValue v;
      v.customer_id = c.id;
      v.company = c.company;
      v.currency = c.currency;
      v.since = c.created_at.substr(0, 10);
      v.collected_cents = t.paid_cents - t.refunded_cents;
      Date since;
      if (!Date::Parse(v.since, &since)) since = as_of;
      // Started months: the month it joined counts as the first.
      const int64_t months = (int64_t(as_of.year) - since.year) * 12 + (as_of.month - since.month) +
                             (as_of.day >= since.day ? 1 : 0);
      v.tenure_months = std::max<int64_t>(1, months);
      v.average_monthly_cents =
          MulDivRoundHalfUp(std::max<int64_t>(0, v.collected_cents), 1, v.tenure_months);
      out.customers.push_back(std::move(v));
    }
    return OkStatus();
  });
  if (!s.ok()) return s.error();
  return out;
}

Result<ForecastReport> BillingService::Forecast(const Date& as_of, const std::string& currency) {
  BILLING_TRY(CheckCurrency(currency));
  const int64_t first = int64_t(as_of.year) * 12 + as_of.month - 1;
  const int64_t last = first + 2;
  const Date window_end = Date::FromDaysSinceEpoch(
      Date{int((last + 1) / 12), int((last + 1) % 12 + 1), 1}.DaysSinceEpoch() - 1);
  ForecastReport out;
  out.as_of = as_of.ToString();
  std::map<std::pair<std::string, int64_t>, ForecastMonth> months;
  std::set<std::string> currencies;
  auto month_of = [&](const std::string& code, int64_t index) -> ForecastMonth& {
    currencies.insert(code);
    return months[{code, index}];
  };
  Status s = store_.Read([&](StoreTx& tx) -> Status {
    months.clear();
    currencies.clear();
    out.overdue_cents.clear();
    BILLING_ASSIGN_OR_RETURN(std::vector<ReceivableRow> rows, tx.Receivables("", kMaxReportRows));
    BILLING_TRY(CheckNotTruncated(rows.size()));
    for (const ReceivableRow& row : rows) {
      if (!currency.empty() && row.currency != currency) continue;
      if (row.due_date < out.as_of) {
        out.overdue_cents[row.currency] += row.outstanding_cents;
        currencies.insert(row.currency);
        continue;
      }
      const int64_t index = MonthIndex(row.due_date.substr(0, 7));
      if (index > last) continue;
      ForecastMonth& m = month_of(row.currency, index);
      m.open_invoices_cents += row.outstanding_cents;
      m.invoices += row.invoices;
    }
    SubscriptionQuery q;
    q.renew_from = as_of;
    q.renew_to = window_end;
    std::map<std::string, Plan> plans;
    for (int64_t page = 0;; ++page) {
      if (page * kMaxPageRows >= kMaxReportRows) {
        return Error::Internal("forecast: more than " + std::to_string(kMaxReportRows) +
                               " subscriptions renew in three months");
      }
      BILLING_ASSIGN_OR_RETURN(
          std::vector<Subscription> subs,
          tx.ListSubscriptions(q, PageSpec{page * kMaxPageRows, kMaxPageRows}));
      for (const Subscription& sub : subs) {
        const std::string plan_id = sub.pending_plan_id.empty() ? sub.plan_id : sub.pending_plan_id;
        const int64_t quantity = sub.pending_quantity > 0 ? sub.pending_quantity : sub.quantity;
        auto it = plans.find(plan_id);
        if (it == plans.end()) {
          BILLING_ASSIGN_OR_RETURN(std::optional<Plan> plan, tx.FindPlan(plan_id));
          if (!plan) return Error::Internal("forecast: the plan of " + sub.id + " is gone");
          it = plans.emplace(plan_id, *plan).first;
        }
        const Plan& plan = it->second;
        if (!currency.empty() && plan.currency != currency) continue;
        const int period_months = MonthsPerPeriod(plan.interval).value_or(1);
        Date renewal;
        if (!Date::Parse(sub.next_bill_date, &renewal)) continue;
        for (int n = 0; n < 4 && !(window_end < renewal); ++n) {  // at most 3 in three months
          const int64_t index = int64_t(renewal.year) * 12 + renewal.month - 1;
          ForecastMonth& m = month_of(plan.currency, index);
          m.renewals_cents += plan.price_cents * quantity;
          ++m.renewals;
          renewal = PeriodEnd(renewal, sub.start_date.day, period_months);
        }
      }
      if (subs.size() < size_t(kMaxPageRows)) break;
    }
    return OkStatus();
  });
  if (!s.ok()) return s.error();
  for (const std::string& code : currencies) {
    for (int64_t index = first; index <= last; ++index) {
      ForecastMonth m = months[{code, index}];
      m.month = MonthText(index);
      m.currency = code;
      out.months.push_back(std::move(m));
    }
  }
  return out;
}

}  // namespace billing
