// Collection and dunning on PostgreSQL; see pg_collection.h.
#include "store/postgres/pg_collection.h"

#include "store/postgres/pg_pool.h"
#include "store/postgres/pg_store_rows.h"

namespace billing::pgcollect {
namespace {

using pgrows::DbError;
using pgrows::Params;
using pgrows::Row;
using pgrows::S;

#define COLLECTION_COLS                                                                     \
  "SELECT invoice_id, subscription_id, customer_id, method, state, attempts, issued_date, " \
  "first_decline_date, COALESCE(next_attempt_date, ''), last_decline_code, updated_at "     \
  "FROM invoice_collections"

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

Status One(const pg::PgResult& r, const char* what) {
  if (r.affected_rows() != 1) return Error::Internal(std::string("postgres: ") + what);
  return OkStatus();
}

Result<Collection> ReadCollection(const Row& r) {
  Collection c;
  c.invoice_id = r.T(0);
  c.subscription_id = r.T(1);
  c.customer_id = r.T(2);
  c.method = r.T(3);
  c.state = r.T(4);
  c.attempts = int(r.I(5));
  BILLING_TRY(
      pgrows::ParseStoredDate(r.T(6), "invoice_collections/" + c.invoice_id, &c.issued_date));
  c.first_decline_date = r.T(7);
  c.next_attempt_date = r.T(8);
  c.last_decline_code = r.T(9);
  c.updated_at = r.T(10);
  return c;
}

// $1..$11 in COLLECTION_COLS order (next_attempt_date "" = NULL).
Params CollectionParams(const Collection& c) {
  Params p = {c.invoice_id,
              c.subscription_id,
              c.customer_id,
              c.method,
              c.state,
              S(c.attempts),
              c.issued_date.ToString(),
              c.first_decline_date,
              std::nullopt,
              c.last_decline_code,
              c.updated_at};
  if (!c.next_attempt_date.empty()) p[8] = c.next_attempt_date;
  return p;
}

Result<std::optional<Collection>> OneCollection(pg::PgConnection& conn, std::string_view sql,
                                                const std::string& key) {
  BILLING_ASSIGN_OR_RETURN(pg::PgResult r, Q(conn, sql, {key}));
  if (r.rows() == 0) return std::optional<Collection>{};
  BILLING_ASSIGN_OR_RETURN(Collection c, ReadCollection(Row{r, 0}));
  return std::optional<Collection>{std::move(c)};
}

#define CASE_COLS                                                                        \
  "SELECT customer_id, opened_date, suspended_by_dunning, COALESCE(next_step_date, '') " \
  "FROM dunning_cases"

Result<DunningCase> ReadCase(const Row& r) {
  DunningCase c;
  c.customer_id = r.T(0);
  BILLING_TRY(pgrows::ParseStoredDate(r.T(1), "dunning_cases/" + c.customer_id, &c.opened_date));
  c.suspended_by_dunning = r.I(2) != 0;
  c.next_step_date = r.T(3);
  return c;
}

Result<std::vector<DunningCase>> ReadCases(const pg::PgResult& r) {
  std::vector<DunningCase> out;
  for (int i = 0; i < r.rows(); ++i) {
    BILLING_ASSIGN_OR_RETURN(DunningCase c, ReadCase(Row{r, i}));
    out.push_back(std::move(c));
  }
  return out;
}

}  // namespace

Status SetCustomerStatus(pg::PgConnection& conn, const std::string& customer_id,
                         const std::string& status) {
  BILLING_ASSIGN_OR_RETURN(pg::PgResult r, Q(conn, "UPDATE customers SET status = $2 WHERE id = $1",
                                             {customer_id, status}));
  return One(r, "customer to update is gone");
}

Status InsertCollection(pg::PgConnection& conn, const Collection& c) {
  BILLING_ASSIGN_OR_RETURN(
      pg::PgResult r,
      Q(conn,
        "INSERT INTO invoice_collections (invoice_id, subscription_id, customer_id, method, "
        "state, attempts, issued_date, first_decline_date, next_attempt_date, "
        "last_decline_code, updated_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11)",
        CollectionParams(c)));
  return One(r, "collection insert wrote no row");
}

Status UpdateCollection(pg::PgConnection& conn, const Collection& c) {
  BILLING_ASSIGN_OR_RETURN(
      pg::PgResult r, Q(conn,
                        "UPDATE invoice_collections SET method = $4, state = $5, attempts = $6, "
                        "issued_date = $7, first_decline_date = $8, next_attempt_date = $9, "
                        "last_decline_code = $10, updated_at = $11 "
                        "WHERE invoice_id = $1 AND subscription_id = $2 AND customer_id = $3",
                        CollectionParams(c)));
  return One(r, "collection to update is gone");
}

Result<std::optional<Collection>> FindCollection(pg::PgConnection& conn,
                                                 const std::string& invoice_id) {
  return OneCollection(conn, COLLECTION_COLS " WHERE invoice_id = $1", invoice_id);
}

Result<std::vector<Collection>> DueCollections(pg::PgConnection& conn, const Date& as_of,
                                               int limit) {
  BILLING_TRY(CheckLimit(limit, "due collection"));
  BILLING_ASSIGN_OR_RETURN(
      pg::PgResult r,
      Q(conn,
        COLLECTION_COLS " WHERE next_attempt_date IS NOT NULL AND next_attempt_date <= $1 "
                        "ORDER BY next_attempt_date, invoice_id LIMIT $2",
        {as_of.ToString(), S(limit)}));
  std::vector<Collection> out;
  for (int i = 0; i < r.rows(); ++i) {
    BILLING_ASSIGN_OR_RETURN(Collection c, ReadCollection(Row{r, i}));
    out.push_back(std::move(c));
  }
  return out;
}

Result<std::optional<Collection>> LatestCollectionOf(pg::PgConnection& conn,
                                                     const std::string& subscription_id) {
  return OneCollection(conn,
                       COLLECTION_COLS
                       " WHERE subscription_id = $1 "
                       "ORDER BY issued_date DESC, invoice_id DESC LIMIT 1",
                       subscription_id);
}

Result<std::vector<std::string>> NewlyOverdueInvoices(pg::PgConnection& conn, const Date& today,
                                                      int limit) {
  BILLING_TRY(CheckLimit(limit, "overdue invoice"));
  BILLING_ASSIGN_OR_RETURN(
      pg::PgResult r,
      Q(conn,
        "SELECT id FROM invoices WHERE status = 'pending' AND overdue_state = 0 AND "
        "due_date < $1 ORDER BY due_date, id LIMIT $2",
        {today.ToString(), S(limit)}));
  std::vector<std::string> out;
  for (int i = 0; i < r.rows(); ++i) out.push_back(Row{r, i}.T(0));
  return out;
}

Status SetOverdueState(pg::PgConnection& conn, const std::string& invoice_id, int state) {
  BILLING_ASSIGN_OR_RETURN(
      pg::PgResult r,
      Q(conn, "UPDATE invoices SET overdue_state = $2 WHERE id = $1", {invoice_id, S(state)}));
  return One(r, "invoice to mark overdue is gone");
}

Result<std::optional<std::string>> OldestDunnedInvoice(pg::PgConnection& conn,
                                                       const std::string& customer_id) {
  BILLING_ASSIGN_OR_RETURN(
      pg::PgResult r, Q(conn,
                        "SELECT id FROM invoices WHERE customer_id = $1 AND status = 'pending' AND "
                        "overdue_state = 1 ORDER BY due_date, id LIMIT 1",
                        {customer_id}));
  if (r.rows() == 0) return std::optional<std::string>{};
  return std::optional<std::string>{Row{r, 0}.T(0)};
}

Result<std::optional<DunningCase>> FindDunningCase(pg::PgConnection& conn,
                                                   const std::string& customer_id) {
  BILLING_ASSIGN_OR_RETURN(pg::PgResult r,
                           Q(conn, CASE_COLS " WHERE customer_id = $1", {customer_id}));
  if (r.rows() == 0) return std::optional<DunningCase>{};
  BILLING_ASSIGN_OR_RETURN(DunningCase c, ReadCase(Row{r, 0}));
  return std::optional<DunningCase>{std::move(c)};
}

Status PutDunningCase(pg::PgConnection& conn, const DunningCase& c) {
  Params p = {c.customer_id, c.opened_date.ToString(), S(c.suspended_by_dunning ? 1 : 0),
              std::nullopt};
  if (!c.next_step_date.empty()) p[3] = c.next_step_date;
  BILLING_ASSIGN_OR_RETURN(
      pg::PgResult r,
      Q(conn,
        "INSERT INTO dunning_cases (customer_id, opened_date, suspended_by_dunning, "
        "next_step_date) VALUES ($1, $2, $3, $4) ON CONFLICT (customer_id) DO UPDATE SET "
        "opened_date = excluded.opened_date, suspended_by_dunning = excluded.suspended_by_dunning, "
        "next_step_date = excluded.next_step_date",
        p));
  return One(r, "dunning case write wrote no row");
}

Status DeleteDunningCase(pg::PgConnection& conn, const std::string& customer_id) {
  BILLING_ASSIGN_OR_RETURN(
      pg::PgResult r, Q(conn, "DELETE FROM dunning_cases WHERE customer_id = $1", {customer_id}));
  (void)r;
  return OkStatus();
}

Result<std::vector<DunningCase>> ListDunningCases(pg::PgConnection& conn,
                                                  const std::string& after_customer_id, int limit) {
  BILLING_TRY(CheckLimit(limit, "dunning case"));
  BILLING_ASSIGN_OR_RETURN(
      pg::PgResult r, Q(conn, CASE_COLS " WHERE customer_id > $1 ORDER BY customer_id LIMIT $2",
                        {after_customer_id, S(limit)}));
  return ReadCases(r);
}

Result<std::vector<DunningCase>> DueDunningCases(pg::PgConnection& conn, const Date& as_of,
                                                 int limit) {
  BILLING_TRY(CheckLimit(limit, "due dunning case"));
  BILLING_ASSIGN_OR_RETURN(pg::PgResult r,
                           Q(conn,
                             CASE_COLS " WHERE next_step_date IS NOT NULL AND next_step_date <= $1 "
                                       "ORDER BY next_step_date, customer_id LIMIT $2",
                             {as_of.ToString(), S(limit)}));
  return ReadCases(r);
}

Result<int64_t> CountDunningCases(pg::PgConnection& conn) {
  BILLING_ASSIGN_OR_RETURN(pg::PgResult r, Q(conn, "SELECT COUNT(*) FROM dunning_cases"));
  if (r.rows() != 1) return Error::Internal("postgres: dunning case count returned no row");
  return Row{r, 0}.I(0);
}

Result<bool> InsertDunningStep(pg::PgConnection& conn, const DunningStepRecord& s) {
  BILLING_ASSIGN_OR_RETURN(
      pg::PgResult r,
      Q(conn,
        "INSERT INTO dunning_steps (invoice_id, step_day, action, customer_id, done_date) "
        "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (invoice_id, step_day) DO NOTHING",
        {s.invoice_id, S(s.step_day), s.action, s.customer_id, s.done_date.ToString()}));
  return r.affected_rows() == 1;
}

Result<std::vector<DunningStepRecord>> DunningStepsOf(pg::PgConnection& conn,
                                                      const std::string& invoice_id, int limit) {
  BILLING_TRY(CheckLimit(limit, "dunning step"));
  BILLING_ASSIGN_OR_RETURN(pg::PgResult r,
                           Q(conn,
                             "SELECT invoice_id, step_day, action, customer_id, done_date "
                             "FROM dunning_steps WHERE invoice_id = $1 "
                             "ORDER BY step_day LIMIT $2",
                             {invoice_id, S(limit)}));
  std::vector<DunningStepRecord> out;
  for (int i = 0; i < r.rows(); ++i) {
    const Row row{r, i};
    DunningStepRecord s;
    s.invoice_id = row.T(0);
    s.step_day = int(row.I(1));
    s.action = row.T(2);
    s.customer_id = row.T(3);
    BILLING_TRY(pgrows::ParseStoredDate(row.T(4), "dunning_steps/" + s.invoice_id, &s.done_date));
    out.push_back(std::move(s));
  }
  return out;
}

}  // namespace billing::pgcollect
