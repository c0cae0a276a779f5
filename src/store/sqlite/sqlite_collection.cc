// Collection and dunning on SQLite; see sqlite_collection.h.
#include "store/sqlite/sqlite_collection.h"

#include <sqlite3.h>

namespace billing::sqlite {
namespace {

#define COLLECTION_COLS                                                                     \
  "SELECT invoice_id, subscription_id, customer_id, method, state, attempts, issued_date, " \
  "first_decline_date, COALESCE(next_attempt_date, ''), last_decline_code, updated_at "     \
  "FROM invoice_collections"

Status CheckLimit(int limit, const char* what) {
  if (limit < 1 || limit > kMaxPageRows)
    return Error::Internal(std::string("sqlite: ") + what + " page out of range");
  return OkStatus();
}

Status ReadDate(const std::string& text, const std::string& where, Date* out) {
  if (!Date::Parse(text, out))
    return Error::Internal("sqlite: corrupt date '" + text + "' in " + where);
  return OkStatus();
}

Result<Collection> ReadCollection(const Stmt& st) {
  Collection c;
  c.invoice_id = st.Text(0);
  c.subscription_id = st.Text(1);
  c.customer_id = st.Text(2);
  c.method = st.Text(3);
  c.state = st.Text(4);
  c.attempts = int(st.Int(5));
  BILLING_TRY(ReadDate(st.Text(6), "invoice_collections/" + c.invoice_id, &c.issued_date));
  c.first_decline_date = st.Text(7);
  c.next_attempt_date = st.Text(8);
  c.last_decline_code = st.Text(9);
  c.updated_at = st.Text(10);
  return c;
}

// Binds the fields of `c` as ?1..?11 in COLLECTION_COLS order (next_attempt_date "" = NULL).
void BindCollection(Stmt& st, const Collection& c) {
  st.Bind(1, c.invoice_id).Bind(2, c.subscription_id).Bind(3, c.customer_id).Bind(4, c.method);
  st.Bind(5, c.state).Bind(6, int64_t(c.attempts)).Bind(7, c.issued_date.ToString());
  st.Bind(8, c.first_decline_date);
  if (c.next_attempt_date.empty()) {
    st.BindNull(9);
  } else {
    st.Bind(9, c.next_attempt_date);
  }
  st.Bind(10, c.last_decline_code).Bind(11, c.updated_at);
}

Result<std::optional<Collection>> OneCollection(Connection& conn, const char* sql,
                                                const std::string& key) {
  BILLING_ASSIGN_OR_RETURN(sqlite3_stmt * raw, conn.Prepare(sql));
  Stmt st(conn, raw);
  st.Bind(1, key);
  BILLING_ASSIGN_OR_RETURN(bool row, st.Step());
  if (!row) return std::optional<Collection>{};
  BILLING_ASSIGN_OR_RETURN(Collection c, ReadCollection(st));
  return std::optional<Collection>{std::move(c)};
}

#define CASE_COLS                                                                        \
  "SELECT customer_id, opened_date, suspended_by_dunning, COALESCE(next_step_date, '') " \
  "FROM dunning_cases"

Result<DunningCase> ReadCase(const Stmt& st) {
  DunningCase c;
  c.customer_id = st.Text(0);
  BILLING_TRY(ReadDate(st.Text(1), "dunning_cases/" + c.customer_id, &c.opened_date));
  c.suspended_by_dunning = st.Int(2) != 0;
  c.next_step_date = st.Text(3);
  return c;
}

Result<std::vector<DunningCase>> ReadCases(Stmt& st, int limit) {
  std::vector<DunningCase> out;
  BILLING_TRY(StepRows(st, limit, "a dunning case page", [&]() -> Status {
    BILLING_ASSIGN_OR_RETURN(DunningCase c, ReadCase(st));
    out.push_back(std::move(c));
    return OkStatus();
  }));
  return out;
}

Status RunOne(Connection& conn, Stmt& st, const char* what) {
  BILLING_TRY(st.Run());
  if (sqlite3_changes(conn.db()) != 1) return Error::Internal(std::string("sqlite: ") + what);
  return OkStatus();
}

}  // namespace

Status SetCustomerStatus(Connection& conn, const std::string& customer_id,
                         const std::string& status) {
  BILLING_ASSIGN_OR_RETURN(sqlite3_stmt * raw,
                           conn.Prepare("UPDATE customers SET status = ?2 WHERE id = ?1"));
  Stmt st(conn, raw);
  st.Bind(1, customer_id).Bind(2, status);
  return RunOne(conn, st, "customer to update is gone");
}

Status InsertCollection(Connection& conn, const Collection& c) {
  BILLING_ASSIGN_OR_RETURN(
      sqlite3_stmt * raw,
      conn.Prepare("INSERT INTO invoice_collections (invoice_id, subscription_id, customer_id, "
                   "method, state, attempts, issued_date, first_decline_date, next_attempt_date, "
                   "last_decline_code, updated_at) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11)"));
  Stmt st(conn, raw);
  BindCollection(st, c);
  return st.Run();
}

Status UpdateCollection(Connection& conn, const Collection& c) {
  BILLING_ASSIGN_OR_RETURN(
      sqlite3_stmt * raw,
      conn.Prepare("UPDATE invoice_collections SET method = ?4, state = ?5, attempts = ?6, "
                   "issued_date = ?7, first_decline_date = ?8, next_attempt_date = ?9, "
                   "last_decline_code = ?10, updated_at = ?11 "
                   "WHERE invoice_id = ?1 AND subscription_id = ?2 AND customer_id = ?3"));
  Stmt st(conn, raw);
  BindCollection(st, c);
  return RunOne(conn, st, "collection to update is gone");
}

Result<std::optional<Collection>> FindCollection(Connection& conn, const std::string& invoice_id) {
  return OneCollection(conn, COLLECTION_COLS " WHERE invoice_id = ?1", invoice_id);
}

Result<std::vector<Collection>> DueCollections(Connection& conn, const Date& as_of, int limit) {
  BILLING_TRY(CheckLimit(limit, "due collection"));
  BILLING_ASSIGN_OR_RETURN(
      sqlite3_stmt * raw,
      conn.Prepare(COLLECTION_COLS " WHERE next_attempt_date IS NOT NULL AND "
                                   "next_attempt_date <= ?1 "
                                   "ORDER BY next_attempt_date, invoice_id LIMIT ?2"));
  Stmt st(conn, raw);
  st.Bind(1, as_of.ToString()).Bind(2, int64_t(limit));
  std::vector<Collection> out;
  BILLING_TRY(StepRows(st, limit, "a due collection page", [&]() -> Status {
    BILLING_ASSIGN_OR_RETURN(Collection c, ReadCollection(st));
    out.push_back(std::move(c));
    return OkStatus();
  }));
  return out;
}

Result<std::optional<Collection>> LatestCollectionOf(Connection& conn,
                                                     const std::string& subscription_id) {
  return OneCollection(conn,
                       COLLECTION_COLS
                       " WHERE subscription_id = ?1 "
                       "ORDER BY issued_date DESC, invoice_id DESC LIMIT 1",
                       subscription_id);
}

// INDEXED BY: the partial indexes of migration 019, which SQLite's planner (no ANALYZE) would
// pass over for invoices_status_due and then step through every pending invoice seen before.
Result<std::vector<std::string>> NewlyOverdueInvoices(Connection& conn, const Date& today,
                                                      int limit) {
  BILLING_TRY(CheckLimit(limit, "overdue invoice"));
  BILLING_ASSIGN_OR_RETURN(
      sqlite3_stmt * raw,
      conn.Prepare("SELECT id FROM invoices INDEXED BY invoices_overdue_watch "
                   "WHERE status = 'pending' AND overdue_state = 0 AND "
                   "due_date < ?1 ORDER BY due_date, id LIMIT ?2"));
  Stmt st(conn, raw);
  st.Bind(1, today.ToString()).Bind(2, int64_t(limit));
  std::vector<std::string> out;
  BILLING_TRY(StepRows(st, limit, "an overdue invoice page", [&]() -> Status {
    out.push_back(st.Text(0));
    return OkStatus();
  }));
  return out;
}

Status SetOverdueState(Connection& conn, const std::string& invoice_id, int state) {
  BILLING_ASSIGN_OR_RETURN(sqlite3_stmt * raw,
                           conn.Prepare("UPDATE invoices SET overdue_state = ?2 WHERE id = ?1"));
  Stmt st(conn, raw);
  st.Bind(1, invoice_id).Bind(2, int64_t(state));
  return RunOne(conn, st, "invoice to mark overdue is gone");
}

Result<std::optional<std::string>> OldestDunnedInvoice(Connection& conn,
                                                       const std::string& customer_id) {
  BILLING_ASSIGN_OR_RETURN(
      sqlite3_stmt * raw,
      conn.Prepare("SELECT id FROM invoices INDEXED BY invoices_dunned "
                   "WHERE customer_id = ?1 AND status = 'pending' AND "
                   "overdue_state = 1 ORDER BY due_date, id LIMIT 1"));
  Stmt st(conn, raw);
  st.Bind(1, customer_id);
  BILLING_ASSIGN_OR_RETURN(bool row, st.Step());
  if (!row) return std::optional<std::string>{};
  return std::optional<std::string>{st.Text(0)};
}

Result<std::optional<DunningCase>> FindDunningCase(Connection& conn,
                                                   const std::string& customer_id) {
  BILLING_ASSIGN_OR_RETURN(sqlite3_stmt * raw, conn.Prepare(CASE_COLS " WHERE customer_id = ?1"));
  Stmt st(conn, raw);
  st.Bind(1, customer_id);
  BILLING_ASSIGN_OR_RETURN(bool row, st.Step());
  if (!row) return std::optional<DunningCase>{};
  BILLING_ASSIGN_OR_RETURN(DunningCase c, ReadCase(st));
  return std::optional<DunningCase>{std::move(c)};
}

Status PutDunningCase(Connection& conn, const DunningCase& c) {
  BILLING_ASSIGN_OR_RETURN(
      sqlite3_stmt * raw,
      conn.Prepare("INSERT INTO dunning_cases (customer_id, opened_date, suspended_by_dunning, "
                   "next_step_date) VALUES (?1, ?2, ?3, ?4) ON CONFLICT (customer_id) DO UPDATE "
                   "SET opened_date = excluded.opened_date, "
                   "suspended_by_dunning = excluded.suspended_by_dunning, "
                   "next_step_date = excluded.next_step_date"));
  Stmt st(conn, raw);
  st.Bind(1, c.customer_id).Bind(2, c.opened_date.ToString());
  st.Bind(3, int64_t(c.suspended_by_dunning ? 1 : 0));
  if (c.next_step_date.empty()) {
    st.BindNull(4);
  } else {
    st.Bind(4, c.next_step_date);
  }
  return st.Run();
}

Status DeleteDunningCase(Connection& conn, const std::string& customer_id) {
  BILLING_ASSIGN_OR_RETURN(sqlite3_stmt * raw,
                           conn.Prepare("DELETE FROM dunning_cases WHERE customer_id = ?1"));
  Stmt st(conn, raw);
  st.Bind(1, customer_id);
  return st.Run();
}

Result<std::vector<DunningCase>> ListDunningCases(Connection& conn,
                                                  const std::string& after_customer_id, int limit) {
  BILLING_TRY(CheckLimit(limit, "dunning case"));
  BILLING_ASSIGN_OR_RETURN(
      sqlite3_stmt * raw,
      conn.Prepare(CASE_COLS " WHERE customer_id > ?1 ORDER BY customer_id LIMIT ?2"));
  Stmt st(conn, raw);
  st.Bind(1, after_customer_id).Bind(2, int64_t(limit));
  return ReadCases(st, limit);
}

Result<std::vector<DunningCase>> DueDunningCases(Connection& conn, const Date& as_of, int limit) {
  BILLING_TRY(CheckLimit(limit, "due dunning case"));
  BILLING_ASSIGN_OR_RETURN(
      sqlite3_stmt * raw,
      conn.Prepare(CASE_COLS " WHERE next_step_date IS NOT NULL AND next_step_date <= ?1 "
                             "ORDER BY next_step_date, customer_id LIMIT ?2"));
  Stmt st(conn, raw);
  st.Bind(1, as_of.ToString()).Bind(2, int64_t(limit));
  return ReadCases(st, limit);
}

Result<int64_t> CountDunningCases(Connection& conn) {
  BILLING_ASSIGN_OR_RETURN(sqlite3_stmt * raw, conn.Prepare("SELECT COUNT(*) FROM dunning_cases"));
  Stmt st(conn, raw);
  BILLING_ASSIGN_OR_RETURN(bool row, st.Step());
  if (!row) return Error::Internal("sqlite: dunning case count returned no row");
  return st.Int(0);
}

Result<bool> InsertDunningStep(Connection& conn, const DunningStepRecord& s) {
  BILLING_ASSIGN_OR_RETURN(
      sqlite3_stmt * raw,
      conn.Prepare("INSERT INTO dunning_steps (invoice_id, step_day, action, customer_id, "
                   "done_date) VALUES (?1, ?2, ?3, ?4, ?5) "
                   "ON CONFLICT (invoice_id, step_day) DO NOTHING"));
  Stmt st(conn, raw);
  st.Bind(1, s.invoice_id).Bind(2, int64_t(s.step_day)).Bind(3, s.action);
  st.Bind(4, s.customer_id).Bind(5, s.done_date.ToString());
  BILLING_TRY(st.Run());
  return sqlite3_changes(conn.db()) == 1;
}

Result<std::vector<DunningStepRecord>> DunningStepsOf(Connection& conn,
                                                      const std::string& invoice_id, int limit) {
  BILLING_TRY(CheckLimit(limit, "dunning step"));
  BILLING_ASSIGN_OR_RETURN(
      sqlite3_stmt * raw,
      conn.Prepare("SELECT invoice_id, step_day, action, customer_id, done_date "
                   "FROM dunning_steps WHERE invoice_id = ?1 ORDER BY step_day LIMIT ?2"));
  Stmt st(conn, raw);
  st.Bind(1, invoice_id).Bind(2, int64_t(limit));
  std::vector<DunningStepRecord> out;
  BILLING_TRY(StepRows(st, limit, "a dunning step page", [&]() -> Status {
    DunningStepRecord s;
    s.invoice_id = st.Text(0);
    s.step_day = int(st.Int(1));
    s.action = st.Text(2);
    s.customer_id = st.Text(3);
    BILLING_TRY(ReadDate(st.Text(4), "dunning_steps/" + s.invoice_id, &s.done_date));
    out.push_back(std::move(s));
    return OkStatus();
  }));
  return out;
}

}  // namespace billing::sqlite
