// The report counters on PostgreSQL; see pg_reports.h.
#include "store/postgres/pg_reports.h"

#include "store/postgres/pg_pool.h"
#include "store/postgres/pg_store_rows.h"

namespace billing::pgreports {
namespace {

using pgrows::CheckRows;
using pgrows::DbError;
using pgrows::Params;
using pgrows::Row;
using pgrows::S;

Result<pg::PgResult> Q(pg::PgConnection& conn, std::string_view sql, const Params& params) {
  auto r = pg::Run(conn, sql, params);
  if (!r.ok()) return DbError(r.error());
  return std::move(r.value());
}

// One row past the bound, so that more rows than kMaxReportRows is an error, never a silently
// shorter report.
std::string ReportLimit() {
  return S(kMaxReportRows + 1);
}

}  // namespace

Result<std::vector<ReceivableRow>> Receivables(pg::PgConnection& conn,
                                               const std::string& customer_id, int64_t limit) {
  if (limit < 1 || limit > kMaxReportRows) {
    return Error::Invalid("limit", "limit must be 1 to " + std::to_string(kMaxReportRows));
  }
  // Both shapes are a range of the primary key (customer_id, currency, due_date), in its order.
  BILLING_ASSIGN_OR_RETURN(
      pg::PgResult r, customer_id.empty()
                          ? Q(conn,
                              "SELECT customer_id, currency, due_date, outstanding_cents, invoices "
                              "FROM receivables ORDER BY customer_id, currency, due_date LIMIT $1",
                              {S(limit)})
                          : Q(conn,
                              "SELECT customer_id, currency, due_date, outstanding_cents, invoices "
                              "FROM receivables WHERE customer_id = $2 "
                              "ORDER BY customer_id, currency, due_date LIMIT $1",
                              {S(limit), customer_id}));
  BILLING_TRY(CheckRows(r, limit, "receivables"));
  std::vector<ReceivableRow> out;
  out.reserve(size_t(r.rows()));
  for (int i = 0; i < r.rows(); ++i) {
    const Row row{r, i};
    out.push_back(ReceivableRow{row.T(0), row.T(1), row.T(2), row.I(3), row.I(4)});
  }
  return out;
}

Result<std::vector<RevenueMonthRow>> RevenueMonths(pg::PgConnection& conn,
                                                   const std::string& from_month,
                                                   const std::string& to_month) {
  BILLING_ASSIGN_OR_RETURN(
      pg::PgResult r, Q(conn,
                        "SELECT month, currency, invoiced_cents, collected_cents, refunded_cents, "
                        "credited_cents FROM revenue_months WHERE month BETWEEN $1 AND $2 "
                        "ORDER BY month, currency LIMIT $3",
                        {from_month, to_month, ReportLimit()}));
  BILLING_TRY(CheckRows(r, kMaxReportRows, "revenue months"));
  std::vector<RevenueMonthRow> out;
  out.reserve(size_t(r.rows()));
  for (int i = 0; i < r.rows(); ++i) {
    const Row row{r, i};
    out.push_back(RevenueMonthRow{row.T(0), row.T(1), row.I(2), row.I(3), row.I(4), row.I(5)});
  }
  return out;
}

Result<std::vector<PaymentAttemptRow>> PaymentAttemptMonths(pg::PgConnection& conn,
                                                            const std::string& from_month,
                                                            const std::string& to_month) {
  BILLING_ASSIGN_OR_RETURN(
      pg::PgResult r,
      Q(conn,
        "SELECT month, method, currency, retry, succeeded, failed, succeeded_cents, "
        "failed_cents FROM payment_attempts WHERE month BETWEEN $1 AND $2 "
        "ORDER BY month, method, currency, retry LIMIT $3",
        {from_month, to_month, ReportLimit()}));
  BILLING_TRY(CheckRows(r, kMaxReportRows, "payment attempts"));
  std::vector<PaymentAttemptRow> out;
  out.reserve(size_t(r.rows()));
  for (int i = 0; i < r.rows(); ++i) {
    const Row row{r, i};
    out.push_back(PaymentAttemptRow{row.T(0), row.T(1), row.T(2), row.I(3) != 0, row.I(4), row.I(5),
                                    row.I(6), row.I(7)});
  }
  return out;
}

Result<std::vector<MrrMonthRow>> MrrMonths(pg::PgConnection& conn, const std::string& to_month) {
  BILLING_ASSIGN_OR_RETURN(
      pg::PgResult r,
      Q(conn,
        "SELECT month, currency, new_arr_cents, expansion_arr_cents, contraction_arr_cents, "
        "churned_arr_cents FROM mrr_months WHERE month <= $1 ORDER BY month, currency LIMIT $2",
        {to_month, ReportLimit()}));
  BILLING_TRY(CheckRows(r, kMaxReportRows, "recurring revenue months"));
  std::vector<MrrMonthRow> out;
  out.reserve(size_t(r.rows()));
  for (int i = 0; i < r.rows(); ++i) {
    const Row row{r, i};
    out.push_back(MrrMonthRow{row.T(0), row.T(1), row.I(2), row.I(3), row.I(4), row.I(5)});
  }
  return out;
}

Result<Backlog> CountBacklog(pg::PgConnection& conn, const Date& today, int64_t cap) {
  // Each count walks its index and stops at `cap` (as SQLite's).
  BILLING_ASSIGN_OR_RETURN(
      pg::PgResult r,
      Q(conn,
        "SELECT (SELECT COUNT(*) FROM (SELECT 1 FROM subscriptions WHERE next_bill_date IS NOT "
        "NULL AND next_bill_date <= $1 LIMIT $2) s), "
        "(SELECT COUNT(*) FROM (SELECT 1 FROM webhook_deliveries WHERE status = 'pending' "
        "LIMIT $2) w), "
        "(SELECT COUNT(*) FROM (SELECT 1 FROM email_outbox WHERE status = 'pending' LIMIT $2) e)",
        {today.ToString(), std::to_string(cap)}));
  if (r.rows() != 1) return Error::Internal("postgres: backlog count returned no row");
  const Row row{r, 0};
  return Backlog{row.I(0), row.I(1), row.I(2)};
}

}  // namespace billing::pgreports
