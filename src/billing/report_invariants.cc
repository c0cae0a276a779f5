// BillingService::CheckReportCounters: the report counters (billing/reports.h; store migration
// 027 / PostgreSQL 016), which the database keeps with triggers, recomputed from the rows here in
// C++ and compared, so the rules the triggers follow are checked by a second, independent
// statement of them after every operation of every test. Movements of recurring revenue cannot be
// recomputed (a change leaves no row); their sum per currency must be today's ARR.
#include <map>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "billing/periods.h"
#include "billing/service.h"
#include "store/walk.h"

namespace billing {
namespace {

std::string MonthOf(const std::string& iso) {
  return iso.substr(0, 7);
}

// Periods a year: monthly 12, quarterly 4, annual 1.
int64_t AnnualFactor(const std::string& interval) {
  return 12 / MonthsPerPeriod(interval).value_or(12);
}

}  // namespace

Status BillingService::CheckReportCounters(StoreTx& tx) {
  constexpr int64_t kMaxRows = 100'000'000;
  const Error too_many = Error::Internal("invariant check: more than 100 million rows");
  using Key = std::tuple<std::string, std::string, std::string>;
  std::map<Key, std::pair<int64_t, int64_t>> receivables;  // customer, currency, due: sum, count
  std::map<std::pair<std::string, std::string>, RevenueMonthRow> revenue;  // month, currency
  std::map<std::tuple<std::string, std::string, std::string, bool>, PaymentAttemptRow> attempts;
  auto revenue_of = [&](const std::string& month, const std::string& currency) -> auto& {
    RevenueMonthRow& r = revenue[{month, currency}];
    r.month = month;
    r.currency = currency;
    return r;
  };
  BILLING_TRY(
      WalkInvoices(tx, InvoiceQuery{}, kMaxRows, too_many, [&](Invoice& inv) -> Result<bool> {
        if (inv.status == "pending") {
          auto& [sum, count] =
              receivables[{inv.customer_id, inv.currency, inv.due_date.ToString()}];
          sum += inv.total_cents - inv.paid_cents - inv.credited_cents;
          ++count;
        }
        if (inv.status != "cancelled") {
          revenue_of(MonthOf(inv.issue_date.ToString()), inv.currency).invoiced_cents +=
              inv.total_cents;
        }
        return true;
      }));
  BILLING_TRY(WalkPayments(tx, PaymentQuery{}, kMaxRows, too_many, [&](Payment& p) -> Result<bool> {
    const bool ok = p.status != "failed";
    if (ok) revenue_of(MonthOf(p.created_at), p.currency).collected_cents += p.amount_cents;
    PaymentAttemptRow& a = attempts[{MonthOf(p.created_at), p.method, p.currency, p.attempt > 1}];
    (ok ? a.succeeded : a.failed) += 1;
    (ok ? a.succeeded_cents : a.failed_cents) += p.amount_cents;
    if (p.refunded_cents > 0) {
      BILLING_ASSIGN_OR_RETURN(std::vector<Refund> refunds, tx.RefundsOf(p.id));
      for (const Refund& r : refunds) {
        revenue_of(MonthOf(r.created_at), p.currency).refunded_cents += r.amount_cents;
      }
    }
    return true;
  }));
  int after_year = 0, after_seq = 0;
  for (int64_t page = 0;; ++page) {
    if (page * kMaxPageRows > kMaxRows) return too_many;
    BILLING_ASSIGN_OR_RETURN(std::vector<CreditNote> notes,
                             tx.ListCreditNotes(after_year, after_seq, kMaxPageRows));
    for (const CreditNote& cn : notes) {
      revenue_of(MonthOf(cn.created_at), cn.currency).credited_cents += cn.total_cents;
    }
    if (notes.size() < size_t(kMaxPageRows)) break;
    after_year = notes.back().year;
    after_seq = notes.back().seq;
  }

  BILLING_ASSIGN_OR_RETURN(std::vector<ReceivableRow> stored_receivables,
                           tx.Receivables("", kMaxReportRows));
  if (stored_receivables.size() != receivables.size()) {
    return Error::Internal("invariant: receivables rows " +
                           std::to_string(stored_receivables.size()) + " != open invoice groups " +
                           std::to_string(receivables.size()));
  }
  for (const ReceivableRow& row : stored_receivables) {
    auto it = receivables.find({row.customer_id, row.currency, row.due_date});
    if (it == receivables.end() || it->second.first != row.outstanding_cents ||
        it->second.second != row.invoices) {
      return Error::Internal("invariant: receivables of " + row.customer_id + " due " +
                             row.due_date + " do not match its open invoices");
    }
  }
  BILLING_ASSIGN_OR_RETURN(std::vector<RevenueMonthRow> stored_revenue,
                           tx.RevenueMonths("0000-00", "9999-99"));
  size_t nonzero = 0;
  for (const RevenueMonthRow& row : stored_revenue) {
    const bool zero = row.invoiced_cents == 0 && row.collected_cents == 0 &&
                      row.refunded_cents == 0 && row.credited_cents == 0;
    auto it = revenue.find({row.month, row.currency});
    if (it == revenue.end()) {
      if (zero) continue;  // a month whose rows were all cancelled keeps its zero row
      return Error::Internal("invariant: revenue of " + row.month + " " + row.currency +
                             " has no rows behind it");
    }
    ++nonzero;
    const RevenueMonthRow& want = it->second;
    if (want.invoiced_cents != row.invoiced_cents || want.collected_cents != row.collected_cents ||
        want.refunded_cents != row.refunded_cents || want.credited_cents != row.credited_cents) {
      return Error::Internal("invariant: revenue of " + row.month + " " + row.currency +
                             " does not match its invoices, payments, refunds and credit notes");
    }
  }
  if (nonzero != revenue.size()) {
    return Error::Internal("invariant: a month of revenue is missing from the counters");
  }
  BILLING_ASSIGN_OR_RETURN(std::vector<PaymentAttemptRow> stored_attempts,
                           tx.PaymentAttemptMonths("0000-00", "9999-99"));
  size_t attempt_rows = 0;
  for (const PaymentAttemptRow& row : stored_attempts) {
    auto it = attempts.find({row.month, row.method, row.currency, row.retry});
    if (it == attempts.end()) {
      if (row.succeeded == 0 && row.failed == 0) continue;
      return Error::Internal("invariant: payment attempts of " + row.month + " " + row.method +
                             " have no payments behind them");
    }
    ++attempt_rows;
    const PaymentAttemptRow& want = it->second;
    if (want.succeeded != row.succeeded || want.failed != row.failed ||
        want.succeeded_cents != row.succeeded_cents || want.failed_cents != row.failed_cents) {
      return Error::Internal("invariant: payment attempts of " + row.month + " " + row.method +
                             " do not match the payments");
    }
  }
  if (attempt_rows != attempts.size()) {
    return Error::Internal("invariant: a month of payment attempts is missing from the counters");
  }

  // Recurring revenue: the movements of every month add up to the ARR of today's subscriptions.
  std::map<std::string, int64_t> arr;  // currency
  std::map<std::string, Plan> plans;
  constexpr int64_t kMaxPages = 100'000;
  for (int64_t page = 0; page < kMaxPages; ++page) {
    BILLING_ASSIGN_OR_RETURN(
        std::vector<Subscription> subs,
        tx.ListSubscriptions(SubscriptionQuery{}, PageSpec{page * kMaxPageRows, kMaxPageRows}));
    for (const Subscription& sub : subs) {
      if (sub.status == "canceled") continue;
      auto it = plans.find(sub.plan_id);
      if (it == plans.end()) {
        BILLING_ASSIGN_OR_RETURN(std::optional<Plan> plan, tx.FindPlan(sub.plan_id));
        if (!plan) return Error::Internal("invariant: the plan of " + sub.id + " is gone");
        it = plans.emplace(sub.plan_id, *plan).first;
      }
      arr[it->second.currency] +=
          sub.quantity * it->second.price_cents * AnnualFactor(it->second.interval);
    }
    if (subs.size() < size_t(kMaxPageRows)) break;
  }
  BILLING_ASSIGN_OR_RETURN(std::vector<MrrMonthRow> movements, tx.MrrMonths("9999-99"));
  std::map<std::string, int64_t> moved;
  for (const MrrMonthRow& m : movements) {
    moved[m.currency] +=
        m.new_arr_cents + m.expansion_arr_cents - m.contraction_arr_cents - m.churned_arr_cents;
  }
  for (const auto& [currency, sum] : moved) {
    if (sum != arr[currency]) {
      return Error::Internal("invariant: recurring revenue movements in " + currency +
                             " add up to " + std::to_string(sum) + ", the subscriptions' ARR is " +
                             std::to_string(arr[currency]));
    }
  }
  for (const auto& [currency, sum] : arr) {
    if (sum != 0 && moved.find(currency) == moved.end()) {
      return Error::Internal("invariant: no recurring revenue movement in " + currency);
    }
  }
  return OkStatus();
}

}  // namespace billing
