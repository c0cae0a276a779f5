// Plans, subscriptions and billed periods on SQLite; see sqlite_subscriptions.h.
#include "store/sqlite/sqlite_subscriptions.h"

#include <sqlite3.h>

namespace billing::sqlite {
namespace {

#define PLAN_COLS \
  "SELECT id, name, price_cents, currency, billing_interval, active, created_at FROM plans"

#define SUBSCRIPTION_COLS                                                                \
  "SELECT id, number, customer_id, plan_id, quantity, start_date, periods_billed, "      \
  "current_period_start, current_period_end, COALESCE(next_bill_date, ''), collection, " \
  "payment_terms_days, status, cancel_at_period_end, canceled_at, pending_plan_id, "     \
  "pending_quantity, created_at, created_by, updated_at, updated_by, coupon_code, "      \
  "coupon_periods_used FROM subscriptions"

Plan ReadPlan(const Stmt& st) {
  Plan p;
  p.id = st.Text(0);
  p.name = st.Text(1);
  p.price_cents = st.Int(2);
  p.currency = st.Text(3);
  p.interval = st.Text(4);
  p.active = st.Int(5) != 0;
  p.created_at = st.Text(6);
  return p;
}

// A stored date that does not parse is a corrupt row, not 1970-01-01; an empty one (no period
// yet) stays the default.
Status ReadDate(const std::string& text, const std::string& where, Date* out) {
  if (text.empty()) return OkStatus();
  if (!Date::Parse(text, out))
    return Error::Internal("sqlite: corrupt date '" + text + "' in " + where);
  return OkStatus();
}

Result<Subscription> ReadSubscription(const Stmt& st) {
  Subscription s;
  s.id = st.Text(0);
  s.number = st.Int(1);
  s.customer_id = st.Text(2);
  s.plan_id = st.Text(3);
  s.quantity = st.Int(4);
  BILLING_TRY(ReadDate(st.Text(5), "subscriptions/" + s.id + ".start_date", &s.start_date));
  s.periods_billed = st.Int(6);
  BILLING_TRY(ReadDate(st.Text(7), "subscriptions/" + s.id + ".current_period_start",
                       &s.current_period_start));
  BILLING_TRY(
      ReadDate(st.Text(8), "subscriptions/" + s.id + ".current_period_end", &s.current_period_end));
  s.next_bill_date = st.Text(9);
  s.collection = st.Text(10);
  s.payment_terms_days = int(st.Int(11));
  s.status = st.Text(12);
  s.cancel_at_period_end = st.Int(13) != 0;
  s.canceled_at = st.Text(14);
  s.pending_plan_id = st.Text(15);
  s.pending_quantity = st.Int(16);
  s.created_at = st.Text(17);
  s.created_by = st.Text(18);
  s.updated_at = st.Text(19);
  s.updated_by = st.Text(20);
  s.coupon_code = st.Text(21);
  s.coupon_periods_used = st.Int(22);
  return s;
}

std::string PeriodText(const Subscription& s, const Date& d) {
  return s.periods_billed > 0 ? d.ToString() : std::string();
}

// Binds the fields UpdateSubscription replaces as ?2..?16 and ?22..?23 (?1 is the id).
void BindMutable(Stmt& st, const Subscription& s) {
  st.Bind(2, s.plan_id).Bind(3, s.quantity).Bind(4, s.periods_billed);
  st.Bind(5, PeriodText(s, s.current_period_start)).Bind(6, PeriodText(s, s.current_period_end));
  if (s.next_bill_date.empty()) {
    st.BindNull(7);
  } else {
    st.Bind(7, s.next_bill_date);
  }
  st.Bind(8, s.collection).Bind(9, int64_t(s.payment_terms_days)).Bind(10, s.status);
  st.Bind(11, int64_t(s.cancel_at_period_end ? 1 : 0)).Bind(12, s.canceled_at);
  st.Bind(13, s.pending_plan_id).Bind(14, s.pending_quantity).Bind(15, s.updated_at);
  st.Bind(16, s.updated_by).Bind(22, s.coupon_code).Bind(23, s.coupon_periods_used);
}

Status CheckLimit(int limit, const char* what) {
  if (limit < 1 || limit > kMaxPageRows)
    return Error::Internal(std::string("sqlite: ") + what + " page out of range");
  return OkStatus();
}

// The WHERE clause of a subscription list and its parameters: ?1 customer, ?2 status, ?3 and ?4
// the renewal window.
std::string SubscriptionWhere(const SubscriptionQuery& q) {
  std::string where = " WHERE 1 = 1";
  if (!q.customer_id.empty()) where += " AND customer_id = ?1";
  if (!q.status.empty()) where += " AND status = ?2";
  if (q.renew_from) {
    where += " AND next_bill_date >= ?3 AND next_bill_date <= ?4 AND cancel_at_period_end = 0";
  }
  if (q.after_number > 0) where += " AND number > ?7";
  return where;
}

void BindSubscriptionQuery(Stmt& st, const SubscriptionQuery& q) {
  if (!q.customer_id.empty()) st.Bind(1, q.customer_id);
  if (!q.status.empty()) st.Bind(2, q.status);
  if (q.renew_from) {
    st.Bind(3, q.renew_from->ToString());
    st.Bind(4, q.renew_to.value_or(*q.renew_from).ToString());
  }
  if (q.after_number > 0) st.Bind(7, q.after_number);
}

}  // namespace

Status InsertPlan(Connection& conn, const Plan& p) {
  BILLING_ASSIGN_OR_RETURN(
      sqlite3_stmt * raw,
      conn.Prepare("INSERT INTO plans (id, name, price_cents, currency, "
                   "billing_interval, active, created_at) VALUES (?1,?2,?3,?4,?5,?6,?7)"));
  Stmt st(conn, raw);
  st.Bind(1, p.id).Bind(2, p.name).Bind(3, p.price_cents).Bind(4, p.currency).Bind(5, p.interval);
  st.Bind(6, int64_t(p.active ? 1 : 0)).Bind(7, p.created_at);
  return st.Run();
}

Result<std::optional<Plan>> FindPlan(Connection& conn, const std::string& id) {
  BILLING_ASSIGN_OR_RETURN(sqlite3_stmt * raw, conn.Prepare(PLAN_COLS " WHERE id = ?1"));
  Stmt st(conn, raw);
  st.Bind(1, id);
  BILLING_ASSIGN_OR_RETURN(bool row, st.Step());
  if (!row) return std::optional<Plan>();
  return std::optional<Plan>(ReadPlan(st));
}

Result<std::vector<Plan>> ListPlans(Connection& conn, int limit) {
  BILLING_TRY(CheckLimit(limit, "plan"));
  BILLING_ASSIGN_OR_RETURN(sqlite3_stmt * raw, conn.Prepare(PLAN_COLS " ORDER BY id LIMIT ?1"));
  Stmt st(conn, raw);
  st.Bind(1, int64_t(limit));
  std::vector<Plan> out;
  BILLING_TRY(StepRows(st, limit, "a plan page", [&]() -> Status {
    out.push_back(ReadPlan(st));
    return OkStatus();
  }));
  return out;
}

Result<int64_t> NextSubscriptionNumber(Connection& conn) {
  BILLING_ASSIGN_OR_RETURN(sqlite3_stmt * raw,
                           conn.Prepare("SELECT COALESCE(MAX(number), 0) + 1 FROM subscriptions"));
  Stmt st(conn, raw);
  BILLING_ASSIGN_OR_RETURN(bool row, st.Step());
  return row ? st.Int(0) : int64_t{1};
}

Status InsertSubscription(Connection& conn, const Subscription& s) {
  BILLING_ASSIGN_OR_RETURN(
      sqlite3_stmt * raw,
      conn.Prepare("INSERT INTO subscriptions (id, plan_id, quantity, periods_billed, "
                   "current_period_start, current_period_end, next_bill_date, collection, "
                   "payment_terms_days, status, cancel_at_period_end, canceled_at, "
                   "pending_plan_id, pending_quantity, updated_at, updated_by, number, "
                   "customer_id, start_date, created_at, created_by, coupon_code, "
                   "coupon_periods_used) VALUES (?1,?2,?3,?4,?5,?6,"
                   "?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17,?18,?19,?20,?21,?22,?23)"));
  Stmt st(conn, raw);
  st.Bind(1, s.id);
  BindMutable(st, s);
  st.Bind(17, s.number).Bind(18, s.customer_id).Bind(19, s.start_date.ToString());
  st.Bind(20, s.created_at).Bind(21, s.created_by);
  return st.Run();
}

Status UpdateSubscription(Connection& conn, const Subscription& s) {
  BILLING_ASSIGN_OR_RETURN(
      sqlite3_stmt * raw,
      conn.Prepare("UPDATE subscriptions SET plan_id = ?2, quantity = ?3, periods_billed = ?4, "
                   "current_period_start = ?5, current_period_end = ?6, next_bill_date = ?7, "
                   "collection = ?8, payment_terms_days = ?9, status = ?10, "
                   "cancel_at_period_end = ?11, canceled_at = ?12, pending_plan_id = ?13, "
                   "pending_quantity = ?14, updated_at = ?15, updated_by = ?16, coupon_code = ?22, "
                   "coupon_periods_used = ?23 WHERE id = ?1"));
  Stmt st(conn, raw);
  st.Bind(1, s.id);
  BindMutable(st, s);
  BILLING_TRY(st.Run());
  if (sqlite3_changes(conn.db()) != 1)
    return Error::Internal("sqlite: subscription to update is gone");
  return OkStatus();
}

Result<std::optional<Subscription>> FindSubscription(Connection& conn, const std::string& id) {
  BILLING_ASSIGN_OR_RETURN(sqlite3_stmt * raw, conn.Prepare(SUBSCRIPTION_COLS " WHERE id = ?1"));
  Stmt st(conn, raw);
  st.Bind(1, id);
  BILLING_ASSIGN_OR_RETURN(bool row, st.Step());
  if (!row) return std::optional<Subscription>();
  BILLING_ASSIGN_OR_RETURN(Subscription s, ReadSubscription(st));
  return std::optional<Subscription>(std::move(s));
}

Result<std::vector<Subscription>> ListSubscriptions(Connection& conn, const SubscriptionQuery& q,
                                                    const PageSpec& page) {
  BILLING_TRY(CheckLimit(page.limit, "subscription"));
  if (page.offset < 0) return Error::Internal("sqlite: subscription page out of range");
  const std::string sql = SUBSCRIPTION_COLS + SubscriptionWhere(q) +
                          (q.renew_from ? " ORDER BY next_bill_date, number" : " ORDER BY number") +
                          " LIMIT ?5 OFFSET ?6";
  BILLING_ASSIGN_OR_RETURN(sqlite3_stmt * raw, conn.Prepare(sql.c_str()));
  Stmt st(conn, raw);
  BindSubscriptionQuery(st, q);
  st.Bind(5, int64_t(page.limit)).Bind(6, page.offset);
  std::vector<Subscription> out;
  BILLING_TRY(StepRows(st, page.limit, "a subscription page", [&]() -> Status {
    BILLING_ASSIGN_OR_RETURN(Subscription s, ReadSubscription(st));
    out.push_back(std::move(s));
    return OkStatus();
  }));
  return out;
}

Result<SubscriptionTotals> SumSubscriptions(Connection& conn, const SubscriptionQuery& q) {
  const std::string sql = "SELECT COUNT(*) FROM subscriptions" + SubscriptionWhere(q);
  BILLING_ASSIGN_OR_RETURN(sqlite3_stmt * raw, conn.Prepare(sql.c_str()));
  Stmt st(conn, raw);
  BindSubscriptionQuery(st, q);
  BILLING_ASSIGN_OR_RETURN(bool row, st.Step());
  if (!row) return Error::Internal("sqlite: subscription count returned no row");
  return SubscriptionTotals{st.Int(0)};
}

Result<std::vector<Subscription>> DueSubscriptions(Connection& conn, const DueSubscriptionsQuery& q,
                                                   int limit) {
  BILLING_TRY(CheckLimit(limit, "due subscription"));
  BILLING_ASSIGN_OR_RETURN(
      sqlite3_stmt * raw,
      conn.Prepare(SUBSCRIPTION_COLS
                   " WHERE next_bill_date IS NOT NULL AND next_bill_date <= ?1"
                   " AND (next_bill_date > ?2 OR (next_bill_date = ?2 AND number > ?3))"
                   " ORDER BY next_bill_date, number LIMIT ?4"));
  Stmt st(conn, raw);
  st.Bind(1, q.due_by.ToString()).Bind(2, q.after_date).Bind(3, q.after_number);
  st.Bind(4, int64_t(limit));
  std::vector<Subscription> out;
  BILLING_TRY(StepRows(st, limit, "a due subscription page", [&]() -> Status {
    BILLING_ASSIGN_OR_RETURN(Subscription s, ReadSubscription(st));
    out.push_back(std::move(s));
    return OkStatus();
  }));
  return out;
}

Status InsertSubscriptionPeriod(Connection& conn, const SubscriptionPeriod& p) {
  BILLING_ASSIGN_OR_RETURN(
      sqlite3_stmt * raw,
      conn.Prepare("INSERT INTO subscription_periods (subscription_id, period_start, period_end, "
                   "invoice_id, outcome, created_at) VALUES (?1,?2,?3,?4,?5,?6) "
                   "ON CONFLICT DO NOTHING"));
  Stmt st(conn, raw);
  st.Bind(1, p.subscription_id).Bind(2, p.period_start.ToString()).Bind(3, p.period_end.ToString());
  st.Bind(4, p.invoice_id).Bind(5, p.outcome).Bind(6, p.created_at);
  BILLING_TRY(st.Run());
  if (sqlite3_changes(conn.db()) != 1) {
    return Error(ErrorCode::kConflict, "the period of " + p.subscription_id + " starting " +
                                           p.period_start.ToString() + " was billed already");
  }
  return OkStatus();
}

Status SetPeriodInvoice(Connection& conn, const std::string& subscription_id,
                        const std::string& from_invoice_id, const std::string& to_invoice_id) {
  // Among the periods of one subscription (the primary key's prefix), never a table scan.
  BILLING_ASSIGN_OR_RETURN(sqlite3_stmt * raw,
                           conn.Prepare("UPDATE subscription_periods SET invoice_id = ?3 "
                                        "WHERE subscription_id = ?1 AND invoice_id = ?2"));
  Stmt st(conn, raw);
  st.Bind(1, subscription_id).Bind(2, from_invoice_id).Bind(3, to_invoice_id);
  BILLING_TRY(st.Run());
  if (sqlite3_changes(conn.db()) != 1) {
    return Error::Internal("sqlite: no period of " + subscription_id + " is billed by " +
                           from_invoice_id);
  }
  return OkStatus();
}

Result<std::vector<SubscriptionPeriod>> PeriodsOf(Connection& conn,
                                                  const std::string& subscription_id, int limit) {
  BILLING_TRY(CheckLimit(limit, "subscription period"));
  BILLING_ASSIGN_OR_RETURN(
      sqlite3_stmt * raw,
      conn.Prepare("SELECT subscription_id, period_start, period_end, invoice_id, outcome, "
                   "created_at FROM subscription_periods WHERE subscription_id = ?1 "
                   "ORDER BY period_start LIMIT ?2"));
  Stmt st(conn, raw);
  st.Bind(1, subscription_id).Bind(2, int64_t(limit));
  std::vector<SubscriptionPeriod> out;
  BILLING_TRY(StepRows(st, limit, "a period page", [&]() -> Status {
    SubscriptionPeriod p;
    p.subscription_id = st.Text(0);
    BILLING_TRY(ReadDate(st.Text(1), "subscription_periods.period_start", &p.period_start));
    BILLING_TRY(ReadDate(st.Text(2), "subscription_periods.period_end", &p.period_end));
    p.invoice_id = st.Text(3);
    p.outcome = st.Text(4);
    p.created_at = st.Text(5);
    out.push_back(std::move(p));
    return OkStatus();
  }));
  return out;
}

}  // namespace billing::sqlite
