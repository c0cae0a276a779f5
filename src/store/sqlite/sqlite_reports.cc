// The report counters on SQLite; see sqlite_reports.h.
#include "store/sqlite/sqlite_reports.h"

namespace billing::sqlite {

Result<std::vector<ReceivableRow>> Receivables(Connection& conn, const std::string& customer_id,
                                               int64_t limit) {
  if (limit < 1 || limit > kMaxReportRows) {
    return Error::Invalid("limit", "limit must be 1 to " + std::to_string(kMaxReportRows));
  }
  // "customer_id >= ''" keeps the read of every customer an index range (never a table scan).
  BILLING_ASSIGN_OR_RETURN(
      sqlite3_stmt * raw,
      conn.Prepare(customer_id.empty()
                       ? "SELECT customer_id, currency, due_date, outstanding_cents, invoices "
                         "FROM receivables WHERE customer_id >= ''  "
                         "ORDER BY customer_id, currency, due_date LIMIT ?1"
                       : "SELECT customer_id, currency, due_date, outstanding_cents, invoices "
                         "FROM receivables WHERE customer_id = ?2 "
                         "ORDER BY customer_id, currency, due_date LIMIT ?1"));
  Stmt st(conn, raw);
  st.Bind(1, limit);
  if (!customer_id.empty()) st.Bind(2, customer_id);
  std::vector<ReceivableRow> out;
  BILLING_TRY(StepRows(st, limit, "receivables", [&]() -> Status {
    out.push_back(ReceivableRow{st.Text(0), st.Text(1), st.Text(2), st.Int(3), st.Int(4)});
    return OkStatus();
  }));
  return out;
}

Result<std::vector<RevenueMonthRow>> RevenueMonths(Connection& conn, const std::string& from_month,
                                                   const std::string& to_month) {
  BILLING_ASSIGN_OR_RETURN(
      sqlite3_stmt * raw,
      conn.Prepare("SELECT month, currency, invoiced_cents, collected_cents, refunded_cents, "
                   "credited_cents FROM revenue_months WHERE month BETWEEN ?1 AND ?2 "
                   "ORDER BY month, currency"));
  Stmt st(conn, raw);
  st.Bind(1, from_month).Bind(2, to_month);
  std::vector<RevenueMonthRow> out;
  BILLING_TRY(StepRows(st, kMaxReportRows, "revenue months", [&]() -> Status {
    out.push_back(
        RevenueMonthRow{st.Text(0), st.Text(1), st.Int(2), st.Int(3), st.Int(4), st.Int(5)});
    return OkStatus();
  }));
  return out;
}

Result<std::vector<PaymentAttemptRow>> PaymentAttemptMonths(Connection& conn,
                                                            const std::string& from_month,
                                                            const std::string& to_month) {
  BILLING_ASSIGN_OR_RETURN(
      sqlite3_stmt * raw,
      conn.Prepare("SELECT month, method, currency, retry, succeeded, failed, succeeded_cents, "
                   "failed_cents FROM payment_attempts WHERE month BETWEEN ?1 AND ?2 "
                   "ORDER BY month, method, currency, retry"));
  Stmt st(conn, raw);
  st.Bind(1, from_month).Bind(2, to_month);
  std::vector<PaymentAttemptRow> out;
  BILLING_TRY(StepRows(st, kMaxReportRows, "payment attempts", [&]() -> Status {
    out.push_back(PaymentAttemptRow{st.Text(0), st.Text(1), st.Text(2), st.Int(3) != 0, st.Int(4),
                                    st.Int(5), st.Int(6), st.Int(7)});
    return OkStatus();
  }));
  return out;
}

Result<std::vector<MrrMonthRow>> MrrMonths(Connection& conn, const std::string& to_month) {
  BILLING_ASSIGN_OR_RETURN(
      sqlite3_stmt * raw,
      conn.Prepare("SELECT month, currency, new_arr_cents, expansion_arr_cents, "
                   "contraction_arr_cents, churned_arr_cents FROM mrr_months "
                   "WHERE month <= ?1 ORDER BY month, currency"));
  Stmt st(conn, raw);
  st.Bind(1, to_month);
  std::vector<MrrMonthRow> out;
  BILLING_TRY(StepRows(st, kMaxReportRows, "recurring revenue months", [&]() -> Status {
    out.push_back(MrrMonthRow{st.Text(0), st.Text(1), st.Int(2), st.Int(3), st.Int(4), st.Int(5)});
    return OkStatus();
  }));
  return out;
}

Result<Backlog> CountBacklog(Connection& conn, const Date& today, int64_t cap) {
  // Each count walks its index (subscriptions_next_bill, webhook_deliveries_due,
  // email_outbox_due) and stops at `cap`.
  BILLING_ASSIGN_OR_RETURN(
      sqlite3_stmt * raw,
      conn.Prepare("SELECT (SELECT COUNT(*) FROM (SELECT 1 FROM subscriptions WHERE next_bill_date "
                   "IS NOT NULL AND next_bill_date <= ?1 LIMIT ?2)), "
                   "(SELECT COUNT(*) FROM (SELECT 1 FROM webhook_deliveries WHERE status = "
                   "'pending' LIMIT ?2)), "
                   "(SELECT COUNT(*) FROM (SELECT 1 FROM email_outbox WHERE status = 'pending' "
                   "LIMIT ?2))"));
  Stmt st(conn, raw);
  st.Bind(1, today.ToString()).Bind(2, cap);
  BILLING_ASSIGN_OR_RETURN(bool row, st.Step());
  if (!row) return Error::Internal("sqlite: backlog count returned no row");
  return Backlog{st.Int(0), st.Int(1), st.Int(2)};
}

}  // namespace billing::sqlite
