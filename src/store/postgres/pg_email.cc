// The email outbox on PostgreSQL; see pg_email.h.
#include "store/postgres/pg_email.h"

#include <cstdint>

#include "store/postgres/pg_pool.h"
#include "store/postgres/pg_store_rows.h"

namespace billing::pgemail {
namespace {

using pgrows::DbError;
using pgrows::Params;
using pgrows::Row;
using pgrows::S;

#define EMAIL_COLS                                                                      \
  "SELECT seq, event_id, kind, customer_id, to_address, locale, subject, text_body, "   \
  "html_body, status, attempts, next_attempt_at, created_at, sent_at, last_error FROM " \
  "email_outbox"

Result<pg::PgResult> Q(pg::PgConnection& conn, std::string_view sql, const Params& params = {}) {
  auto r = pg::Run(conn, sql, params);
  if (!r.ok()) return DbError(r.error());
  return std::move(r.value());
}

Status CheckLimit(int limit) {
  if (limit < 1 || limit > kMaxPageRows)
    return Error::Internal("postgres: email page out of range");
  return OkStatus();
}

OutboxEmail ReadEmail(const Row& r) {
  OutboxEmail e;
  e.seq = r.I(0);
  e.event_id = r.T(1);
  e.kind = r.T(2);
  e.customer_id = r.T(3);
  e.to_address = r.T(4);
  e.locale = r.T(5);
  e.subject = r.T(6);
  e.text_body = r.T(7);
  e.html_body = r.T(8);
  e.status = r.T(9);
  e.attempts = int(r.I(10));
  e.next_attempt_at = r.T(11);
  e.created_at = r.T(12);
  e.sent_at = r.T(13);
  e.last_error = r.T(14);
  return e;
}

std::vector<OutboxEmail> ReadEmails(const pg::PgResult& r) {
  std::vector<OutboxEmail> out;
  for (int i = 0; i < r.rows(); ++i) out.push_back(ReadEmail(Row{r, i}));
  return out;
}

}  // namespace

Status InsertEmail(pg::PgConnection& conn, const OutboxEmail& e) {
  // seq as the events': the writers of one database are serialized by the ledger lock.
  BILLING_ASSIGN_OR_RETURN(
      pg::PgResult r,
      Q(conn,
        "INSERT INTO email_outbox (seq, event_id, kind, customer_id, to_address, locale, "
        "subject, text_body, html_body, status, attempts, next_attempt_at, created_at, sent_at, "
        "last_error) VALUES ((SELECT COALESCE(MAX(seq), 0) + 1 FROM email_outbox), $1, $2, $3, "
        "$4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
        {e.event_id, e.kind, e.customer_id, e.to_address, e.locale, e.subject, e.text_body,
         e.html_body, e.status, S(e.attempts), e.next_attempt_at, e.created_at, e.sent_at,
         e.last_error}));
  return OkStatus();
}

Result<std::vector<OutboxEmail>> ClaimEmails(pg::PgConnection& conn, const std::string& now,
                                             const std::string& lease_until, int limit) {
  BILLING_TRY(CheckLimit(limit));
  // As ClaimDeliveries: locked rows are skipped by other instances until commit, then leased.
  BILLING_ASSIGN_OR_RETURN(
      pg::PgResult r,
      Q(conn,
        "WITH claimed AS (UPDATE email_outbox SET next_attempt_at = $2 WHERE seq IN (SELECT seq "
        "FROM email_outbox WHERE status = 'pending' AND next_attempt_at <= $1 ORDER BY "
        "next_attempt_at, seq LIMIT $3 FOR UPDATE SKIP LOCKED) RETURNING seq) " EMAIL_COLS
        " WHERE seq IN (SELECT seq FROM claimed) ORDER BY seq",
        {now, lease_until, S(limit)}));
  std::vector<OutboxEmail> out = ReadEmails(r);
  for (OutboxEmail& e : out) e.next_attempt_at = lease_until;  // the CTE's update is not visible
  return out;
}

Result<bool> AnyEmailDue(pg::PgConnection& conn, const std::string& now) {
  BILLING_ASSIGN_OR_RETURN(
      pg::PgResult r,
      Q(conn,
        "SELECT 1 FROM email_outbox WHERE status = 'pending' AND next_attempt_at <= $1 LIMIT 1",
        {now}));
  return r.rows() > 0;
}

Status UpdateEmail(pg::PgConnection& conn, const OutboxEmail& e) {
  BILLING_ASSIGN_OR_RETURN(
      pg::PgResult r,
      Q(conn,
        "UPDATE email_outbox SET status = $2, attempts = $3, "
        "next_attempt_at = $4, sent_at = $5, last_error = $6 WHERE seq = $1",
        {S(e.seq), e.status, S(e.attempts), e.next_attempt_at, e.sent_at, e.last_error}));
  return OkStatus();
}

Result<std::optional<OutboxEmail>> FindEmail(pg::PgConnection& conn, int64_t seq) {
  BILLING_ASSIGN_OR_RETURN(pg::PgResult r, Q(conn, EMAIL_COLS " WHERE seq = $1", {S(seq)}));
  if (r.rows() == 0) return std::optional<OutboxEmail>();
  return std::optional<OutboxEmail>(ReadEmail(Row{r, 0}));
}

Result<std::vector<OutboxEmail>> EmailsOf(pg::PgConnection& conn, const std::string& customer_id,
                                          int64_t before_seq, int limit) {
  BILLING_TRY(CheckLimit(limit));
  BILLING_ASSIGN_OR_RETURN(
      pg::PgResult r,
      Q(conn,
        EMAIL_COLS " WHERE ($1 = '' OR customer_id = $1) AND seq < $2 ORDER BY seq DESC LIMIT $3",
        {customer_id, S(before_seq > 0 ? before_seq : INT64_MAX), S(limit)}));
  return ReadEmails(r);
}

}  // namespace billing::pgemail
