// Plans, subscriptions and billed periods on PostgreSQL; see pg_subscriptions.h.
#include "store/postgres/pg_subscriptions.h"

#include "store/postgres/pg_pool.h"
#include "store/postgres/pg_store_rows.h"

namespace billing::pgsubs {
namespace {

using pgrows::CheckRows;
using pgrows::DbError;
using pgrows::Params;
using pgrows::Row;
using pgrows::S;
using pgrows::Sql;

#define PLAN_COLS \
  "SELECT id, name, price_cents, currency, billing_interval, active, created_at FROM plans"

#define SUBSCRIPTION_COLS                                                                \
  "SELECT id, number, customer_id, plan_id, quantity, start_date, periods_billed, "      \
  "current_period_start, current_period_end, COALESCE(next_bill_date, ''), collection, " \
  "payment_terms_days, status, cancel_at_period_end, canceled_at, pending_plan_id, "     \
  "pending_quantity, created_at, created_by, updated_at, updated_by, coupon_code, "      \
  "coupon_periods_used FROM subscriptions"

Result<pg::PgResult> Q(pg::PgConnection& conn, std::string_view sql, const Params& params = {}) {
  auto r = pg::Run(conn, sql, params);
  if (!r.ok()) return DbError(r.error());
  return std::move(r.value());
}

Status CheckLimit(int limit, const char* what) {
  if (limit < 1 || limit > kMaxPageRows)
    return Error::Internal(std::string("postgres: ") + what + " page out of range");
  return OkStatus();
}

Plan ReadPlan(const Row& r) {
  Plan p;
  p.id = r.T(0);
  p.name = r.T(1);
  p.price_cents = r.I(2);
  p.currency = r.T(3);
  p.interval = r.T(4);
  p.active = r.I(5) != 0;
  p.created_at = r.T(6);
  return p;
}

Status ReadDate(const std::string& text, const std::string& where, Date* out) {
  if (text.empty()) return OkStatus();  // no period yet
  return pgrows::ParseStoredDate(text, where, out);
}

Result<Subscription> ReadSubscription(const Row& r) {
  Subscription s;
  s.id = r.T(0);
  s.number = r.I(1);
  s.customer_id = r.T(2);
  s.plan_id = r.T(3);
  s.quantity = r.I(4);
  BILLING_TRY(ReadDate(r.T(5), "subscriptions/" + s.id + ".start_date", &s.start_date));
  s.periods_billed = r.I(6);
  BILLING_TRY(
      ReadDate(r.T(7), "subscriptions/" + s.id + ".current_period_start", &s.current_period_start));
  BILLING_TRY(
      ReadDate(r.T(8), "subscriptions/" + s.id + ".current_period_end", &s.current_period_end));
  s.next_bill_date = r.T(9);
  s.collection = r.T(10);
  s.payment_terms_days = int(r.I(11));
  s.status = r.T(12);
  s.cancel_at_period_end = r.I(13) != 0;
  s.canceled_at = r.T(14);
  s.pending_plan_id = r.T(15);
  s.pending_quantity = r.I(16);
  s.created_at = r.T(17);
  s.created_by = r.T(18);
  s.updated_at = r.T(19);
  s.updated_by = r.T(20);
  s.coupon_code = r.T(21);
  s.coupon_periods_used = r.I(22);
  return s;
}

Result<std::vector<Subscription>> ReadSubscriptions(const pg::PgResult& r, int limit,
                                                    const char* what) {
  BILLING_TRY(CheckRows(r, limit, what));
  std::vector<Subscription> out;
  for (int i = 0; i < r.rows(); ++i) {
    BILLING_ASSIGN_OR_RETURN(Subscription s, ReadSubscription(Row{r, i}));
    out.push_back(std::move(s));
  }
  return out;
}

std::string PeriodText(const Subscription& s, const Date& d) {
  return s.periods_billed > 0 ? d.ToString() : std::string();
}

// $1 the id, then the fields UpdateSubscription replaces as $2..$18.
Params MutableParams(const Subscription& s) {
  Params p = {s.id,
              s.plan_id,
              S(s.quantity),
              S(s.periods_billed),
              PeriodText(s, s.current_period_start),
              PeriodText(s, s.current_period_end),
              std::nullopt,
              s.collection,
              S(s.payment_terms_days),
              s.status,
              S(s.cancel_at_period_end ? 1 : 0),
              s.canceled_at,
              s.pending_plan_id,
              S(s.pending_quantity),
              s.updated_at,
              s.updated_by,
              s.coupon_code,
              S(s.coupon_periods_used)};
  if (!s.next_bill_date.empty()) p[6] = s.next_bill_date;
  return p;
}

Sql SubscriptionSql(const SubscriptionQuery& q, const std::string& select) {
  Sql s;
  s.text = select;
  if (!q.customer_id.empty()) s.Where("customer_id = " + s.P(q.customer_id));
  if (!q.status.empty()) s.Where("status = " + s.Enum(q.status, kSubscriptionStatuses));
  if (q.renew_from) {
    s.Where("next_bill_date >= " + s.P(q.renew_from->ToString()));
    s.Where("next_bill_date <= " + s.P(q.renew_to.value_or(*q.renew_from).ToString()));
    s.Where("cancel_at_period_end = 0");
  }
  if (q.after_number > 0) s.Where("number > " + s.P(q.after_number));
  s.text += s.WhereClause();
  return s;
}

}  // namespace

Status InsertPlan(pg::PgConnection& conn, const Plan& p) {
  BILLING_ASSIGN_OR_RETURN(
      pg::PgResult r,
      Q(conn,
        "INSERT INTO plans (id, name, price_cents, currency, billing_interval, active, created_at) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7)",
        {p.id, p.name, S(p.price_cents), p.currency, p.interval, S(p.active ? 1 : 0),
         p.created_at}));
  (void)r;
  return OkStatus();
}

Result<std::optional<Plan>> FindPlan(pg::PgConnection& conn, const std::string& id) {
  BILLING_ASSIGN_OR_RETURN(pg::PgResult r, Q(conn, PLAN_COLS " WHERE id = $1", {id}));
  if (r.rows() == 0) return std::optional<Plan>();
  return std::optional<Plan>(ReadPlan(Row{r, 0}));
}

Result<std::vector<Plan>> ListPlans(pg::PgConnection& conn, int limit) {
  BILLING_TRY(CheckLimit(limit, "plan"));
  BILLING_ASSIGN_OR_RETURN(pg::PgResult r, Q(conn, PLAN_COLS " ORDER BY id LIMIT $1", {S(limit)}));
  BILLING_TRY(CheckRows(r, limit, "a plan page"));
  std::vector<Plan> out;
  for (int i = 0; i < r.rows(); ++i) out.push_back(ReadPlan(Row{r, i}));
  return out;
}

Result<int64_t> NextSubscriptionNumber(pg::PgConnection& conn) {
  BILLING_ASSIGN_OR_RETURN(pg::PgResult r,
                           Q(conn, "SELECT COALESCE(MAX(number), 0) + 1 FROM subscriptions"));
  if (r.rows() != 1) return Error::Internal("postgres: subscription number returned no row");
  return Row{r, 0}.I(0);
}

Status InsertSubscription(pg::PgConnection& conn, const Subscription& s) {
  Params p = MutableParams(s);
  p.insert(p.end(),
           {S(s.number), s.customer_id, s.start_date.ToString(), s.created_at, s.created_by});
  BILLING_ASSIGN_OR_RETURN(
      pg::PgResult r,
      Q(conn,
        "INSERT INTO subscriptions (id, plan_id, quantity, periods_billed, current_period_start, "
        "current_period_end, next_bill_date, collection, payment_terms_days, status, "
        "cancel_at_period_end, canceled_at, pending_plan_id, pending_quantity, updated_at, "
        "updated_by, coupon_code, coupon_periods_used, number, customer_id, start_date, "
        "created_at, created_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, "
        "$14, $15, $16, $17, $18, $19, $20, $21, $22, $23)",
        p));
  (void)r;
  return OkStatus();
}

Status UpdateSubscription(pg::PgConnection& conn, const Subscription& s) {
  BILLING_ASSIGN_OR_RETURN(
      pg::PgResult r,
      Q(conn,
        "UPDATE subscriptions SET plan_id = $2, quantity = $3, periods_billed = $4, "
        "current_period_start = $5, current_period_end = $6, next_bill_date = $7, "
        "collection = $8, payment_terms_days = $9, status = $10, cancel_at_period_end = $11, "
        "canceled_at = $12, pending_plan_id = $13, pending_quantity = $14, updated_at = $15, "
        "updated_by = $16, coupon_code = $17, coupon_periods_used = $18 WHERE id = $1",
        MutableParams(s)));
  if (r.affected_rows() != 1) return Error::Internal("postgres: subscription to update is gone");
  return OkStatus();
}

Result<std::optional<Subscription>> FindSubscription(pg::PgConnection& conn,
                                                     const std::string& id) {
  BILLING_ASSIGN_OR_RETURN(pg::PgResult r, Q(conn, SUBSCRIPTION_COLS " WHERE id = $1", {id}));
  if (r.rows() == 0) return std::optional<Subscription>();
  BILLING_ASSIGN_OR_RETURN(Subscription s, ReadSubscription(Row{r, 0}));
  return std::optional<Subscription>(std::move(s));
}

Result<std::vector<Subscription>> ListSubscriptions(pg::PgConnection& conn,
                                                    const SubscriptionQuery& q,
                                                    const PageSpec& page) {
  BILLING_TRY(pgrows::CheckPage(page));
  Sql s = SubscriptionSql(q, SUBSCRIPTION_COLS);
  s.text += q.renew_from ? " ORDER BY next_bill_date, number" : " ORDER BY number";
  s.text += " LIMIT " + s.P(int64_t(page.limit)) + " OFFSET " + s.P(page.offset);
  BILLING_ASSIGN_OR_RETURN(pg::PgResult r, Q(conn, s.text, s.params));
  return ReadSubscriptions(r, page.limit, "a subscription page");
}

Result<SubscriptionTotals> SumSubscriptions(pg::PgConnection& conn, const SubscriptionQuery& q) {
  Sql s = SubscriptionSql(q, "SELECT COUNT(*) FROM subscriptions");
  BILLING_ASSIGN_OR_RETURN(pg::PgResult r, Q(conn, s.text, s.params));
  if (r.rows() != 1) return Error::Internal("postgres: subscription count returned no row");
  return SubscriptionTotals{Row{r, 0}.I(0)};
}

Result<std::vector<Subscription>> DueSubscriptions(pg::PgConnection& conn,
                                                   const DueSubscriptionsQuery& q, int limit) {
  BILLING_TRY(CheckLimit(limit, "due subscription"));
  BILLING_ASSIGN_OR_RETURN(
      pg::PgResult r,
      Q(conn,
        SUBSCRIPTION_COLS " WHERE next_bill_date IS NOT NULL AND next_bill_date <= $1"
                          " AND (next_bill_date, number) > ($2, $3::bigint)"
                          " ORDER BY next_bill_date, number LIMIT $4",
        {q.due_by.ToString(), q.after_date, S(q.after_number), S(limit)}));
  return ReadSubscriptions(r, limit, "a due subscription page");
}

Status InsertSubscriptionPeriod(pg::PgConnection& conn, const SubscriptionPeriod& p) {
  // ON CONFLICT DO NOTHING rather than a unique violation: the violation would abort the
  // writer's savepoint; the caller gets kConflict and rolls back itself.
  BILLING_ASSIGN_OR_RETURN(
      pg::PgResult r,
      Q(conn,
        "INSERT INTO subscription_periods (subscription_id, period_start, period_end, "
        "invoice_id, outcome, created_at) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
        {p.subscription_id, p.period_start.ToString(), p.period_end.ToString(), p.invoice_id,
         p.outcome, p.created_at}));
  if (r.affected_rows() != 1) {
    return Error(ErrorCode::kConflict, "the period of " + p.subscription_id + " starting " +
                                           p.period_start.ToString() + " was billed already");
  }
  return OkStatus();
}

Status SetPeriodInvoice(pg::PgConnection& conn, const std::string& subscription_id,
                        const std::string& from_invoice_id, const std::string& to_invoice_id) {
  BILLING_ASSIGN_OR_RETURN(pg::PgResult r, Q(conn,
                                             "UPDATE subscription_periods SET invoice_id = $3 "
                                             "WHERE subscription_id = $1 AND invoice_id = $2",
                                             {subscription_id, from_invoice_id, to_invoice_id}));
  if (r.affected_rows() != 1) {
    return Error::Internal("postgres: no period of " + subscription_id + " is billed by " +
                           from_invoice_id);
  }
  return OkStatus();
}

Result<std::vector<SubscriptionPeriod>> PeriodsOf(pg::PgConnection& conn,
                                                  const std::string& subscription_id, int limit) {
  BILLING_TRY(CheckLimit(limit, "subscription period"));
  BILLING_ASSIGN_OR_RETURN(
      pg::PgResult r,
      Q(conn,
        "SELECT subscription_id, period_start, period_end, invoice_id, outcome, created_at "
        "FROM subscription_periods WHERE subscription_id = $1 ORDER BY period_start LIMIT $2",
        {subscription_id, S(limit)}));
  BILLING_TRY(CheckRows(r, limit, "a period page"));
  std::vector<SubscriptionPeriod> out;
  for (int i = 0; i < r.rows(); ++i) {
    const Row row{r, i};
    SubscriptionPeriod p;
    p.subscription_id = row.T(0);
    BILLING_TRY(ReadDate(row.T(1), "subscription_periods.period_start", &p.period_start));
    BILLING_TRY(ReadDate(row.T(2), "subscription_periods.period_end", &p.period_end));
    p.invoice_id = row.T(3);
    p.outcome = row.T(4);
    p.created_at = row.T(5);
    out.push_back(std::move(p));
  }
  return out;
}

}  // namespace billing::pgsubs
