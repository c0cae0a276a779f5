// The email outbox on SQLite; see sqlite_email.h.
#include "store/sqlite/sqlite_email.h"

namespace billing::sqlite {
namespace {

#define EMAIL_COLS                                                                      \
  "SELECT seq, event_id, kind, customer_id, to_address, locale, subject, text_body, "   \
  "html_body, status, attempts, next_attempt_at, created_at, sent_at, last_error FROM " \
  "email_outbox"

OutboxEmail ReadEmail(const Stmt& st) {
  OutboxEmail e;
  e.seq = st.Int(0);
  e.event_id = st.Text(1);
  e.kind = st.Text(2);
  e.customer_id = st.Text(3);
  e.to_address = st.Text(4);
  e.locale = st.Text(5);
  e.subject = st.Text(6);
  e.text_body = st.Text(7);
  e.html_body = st.Text(8);
  e.status = st.Text(9);
  e.attempts = int(st.Int(10));
  e.next_attempt_at = st.Text(11);
  e.created_at = st.Text(12);
  e.sent_at = st.Text(13);
  e.last_error = st.Text(14);
  return e;
}

Result<std::vector<OutboxEmail>> ReadEmails(Stmt& st, int limit) {
  std::vector<OutboxEmail> out;
  BILLING_TRY(StepRows(st, limit, "an email page", [&]() -> Status {
    out.push_back(ReadEmail(st));
    return OkStatus();
  }));
  return out;
}

Status CheckLimit(int limit) {
  if (limit < 1 || limit > kMaxPageRows) return Error::Internal("sqlite: email page out of range");
  return OkStatus();
}

}  // namespace

Status InsertEmail(Connection& conn, const OutboxEmail& e) {
  BILLING_ASSIGN_OR_RETURN(
      sqlite3_stmt * raw,
      conn.Prepare("INSERT INTO email_outbox (seq, event_id, kind, customer_id, to_address, "
                   "locale, subject, text_body, html_body, status, attempts, next_attempt_at, "
                   "created_at, sent_at, last_error) VALUES ((SELECT COALESCE(MAX(seq), 0) + 1 "
                   "FROM email_outbox), ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, "
                   "?14)"));
  Stmt st(conn, raw);
  st.Bind(1, e.event_id).Bind(2, e.kind).Bind(3, e.customer_id).Bind(4, e.to_address);
  st.Bind(5, e.locale).Bind(6, e.subject).Bind(7, e.text_body).Bind(8, e.html_body);
  st.Bind(9, e.status).Bind(10, int64_t(e.attempts)).Bind(11, e.next_attempt_at);
  st.Bind(12, e.created_at).Bind(13, e.sent_at).Bind(14, e.last_error);
  return st.Run();
}

Result<std::vector<OutboxEmail>> ClaimEmails(Connection& conn, const std::string& now,
                                             const std::string& lease_until, int limit) {
  BILLING_TRY(CheckLimit(limit));
  std::vector<OutboxEmail> out;
  {
    BILLING_ASSIGN_OR_RETURN(
        sqlite3_stmt * raw,
        conn.Prepare(EMAIL_COLS " WHERE status = 'pending' AND next_attempt_at <= ?1 ORDER BY "
                                "next_attempt_at, seq LIMIT ?2"));
    Stmt st(conn, raw);
    st.Bind(1, now).Bind(2, int64_t(limit));
    BILLING_ASSIGN_OR_RETURN(out, ReadEmails(st, limit));
  }
  BILLING_ASSIGN_OR_RETURN(
      sqlite3_stmt * raw,
      conn.Prepare("UPDATE email_outbox SET next_attempt_at = ?2 WHERE seq = ?1"));
  for (OutboxEmail& e : out) {
    Stmt st(conn, raw);
    st.Bind(1, e.seq).Bind(2, lease_until);
    BILLING_TRY(st.Run());
    e.next_attempt_at = lease_until;
  }
  return out;
}

Result<bool> AnyEmailDue(Connection& conn, const std::string& now) {
  BILLING_ASSIGN_OR_RETURN(sqlite3_stmt * raw,
                           conn.Prepare("SELECT 1 FROM email_outbox WHERE status = 'pending' "
                                        "AND next_attempt_at <= ?1 LIMIT 1"));
  Stmt st(conn, raw);
  st.Bind(1, now);
  return st.Step();
}

Status UpdateEmail(Connection& conn, const OutboxEmail& e) {
  BILLING_ASSIGN_OR_RETURN(
      sqlite3_stmt * raw,
      conn.Prepare("UPDATE email_outbox SET status = ?2, attempts = ?3, next_attempt_at = ?4, "
                   "sent_at = ?5, last_error = ?6 WHERE seq = ?1"));
  Stmt st(conn, raw);
  st.Bind(1, e.seq).Bind(2, e.status).Bind(3, int64_t(e.attempts)).Bind(4, e.next_attempt_at);
  st.Bind(5, e.sent_at).Bind(6, e.last_error);
  return st.Run();
}

Result<std::optional<OutboxEmail>> FindEmail(Connection& conn, int64_t seq) {
  BILLING_ASSIGN_OR_RETURN(sqlite3_stmt * raw, conn.Prepare(EMAIL_COLS " WHERE seq = ?1"));
  Stmt st(conn, raw);
  st.Bind(1, seq);
  BILLING_ASSIGN_OR_RETURN(bool row, st.Step());
  if (!row) return std::optional<OutboxEmail>();
  return std::optional<OutboxEmail>(ReadEmail(st));
}

Result<std::vector<OutboxEmail>> EmailsOf(Connection& conn, const std::string& customer_id,
                                          int64_t before_seq, int limit) {
  BILLING_TRY(CheckLimit(limit));
  BILLING_ASSIGN_OR_RETURN(
      sqlite3_stmt * raw,
      conn.Prepare(EMAIL_COLS " WHERE (?1 = '' OR customer_id = ?1) AND seq < ?2 ORDER BY seq "
                              "DESC LIMIT ?3"));
  Stmt st(conn, raw);
  st.Bind(1, customer_id).Bind(2, before_seq > 0 ? before_seq : INT64_MAX).Bind(3, int64_t(limit));
  return ReadEmails(st, limit);
}

}  // namespace billing::sqlite
