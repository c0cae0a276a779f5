// Webhooks on PostgreSQL; see pg_webhooks.h.
#include "store/postgres/pg_webhooks.h"

#include <cstdint>

#include "store/postgres/pg_pool.h"
#include "store/postgres/pg_store_rows.h"

namespace billing::pgwebhooks {
namespace {

using pgrows::DbError;
using pgrows::Params;
using pgrows::Row;
using pgrows::S;

#define ENDPOINT_COLS                                                                    \
  "SELECT id, url, description, enabled_events, secret_sealed, previous_secret_sealed, " \
  "previous_secret_until, status, failing_since, created_at, updated_at FROM webhook_endpoints"
#define DELIVERY_COLS                                                                        \
  "SELECT d.seq, d.event_id, d.endpoint_id, d.status, d.attempts, d.next_attempt_at, "       \
  "d.created_at, d.delivered_at, d.last_status, d.last_error, e.type, e.created_at, "        \
  "e.data_json, e.request_id, e.idempotency_key FROM webhook_deliveries d JOIN events e ON " \
  "e.id = d.event_id"

Result<pg::PgResult> Q(pg::PgConnection& conn, std::string_view sql, const Params& params = {}) {
  auto r = pg::Run(conn, sql, params);
  if (!r.ok()) return DbError(r.error());
  return std::move(r.value());
}

Status Exec(pg::PgConnection& conn, std::string_view sql, const Params& params) {
  auto r = Q(conn, sql, params);
  if (!r.ok()) return r.error();
  return OkStatus();
}

Status CheckLimit(int limit) {
  if (limit < 1 || limit > kMaxPageRows) {
    return Error::Internal("postgres: webhook page out of range");
  }
  return OkStatus();
}

WebhookEndpoint ReadEndpoint(const Row& r) {
  WebhookEndpoint e;
  e.id = r.T(0);
  e.url = r.T(1);
  e.description = r.T(2);
  e.enabled_events = r.T(3);
  e.secret_sealed = r.T(4);
  e.previous_secret_sealed = r.T(5);
  e.previous_secret_until = r.T(6);
  e.status = r.T(7);
  e.failing_since = r.T(8);
  e.created_at = r.T(9);
  e.updated_at = r.T(10);
  return e;
}

WebhookDelivery ReadDelivery(const Row& r) {
  WebhookDelivery d;
  d.seq = r.I(0);
  d.event_id = r.T(1);
  d.endpoint_id = r.T(2);
  d.status = r.T(3);
  d.attempts = int(r.I(4));
  d.next_attempt_at = r.T(5);
  d.created_at = r.T(6);
  d.delivered_at = r.T(7);
  d.last_status = int(r.I(8));
  d.last_error = r.T(9);
  d.event_type = r.T(10);
  d.event_created_at = r.T(11);
  d.event_data_json = r.T(12);
  d.event_request_id = r.T(13);
  d.event_idempotency_key = r.T(14);
  return d;
}

std::vector<WebhookDelivery> ReadDeliveries(const pg::PgResult& r) {
  std::vector<WebhookDelivery> out;
  for (int i = 0; i < r.rows(); ++i) out.push_back(ReadDelivery(Row{r, i}));
  return out;
}

}  // namespace

Status PutWebhookEndpoint(pg::PgConnection& conn, const WebhookEndpoint& e) {
  BILLING_ASSIGN_OR_RETURN(
      pg::PgResult r,
      Q(conn,
        "INSERT INTO webhook_endpoints (id, url, description, enabled_events, secret_sealed, "
        "previous_secret_sealed, previous_secret_until, status, failing_since, created_at, "
        "updated_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11) ON CONFLICT (id) DO UPDATE SET "
        "url = $2, description = $3, enabled_events = $4, secret_sealed = $5, "
        "previous_secret_sealed = $6, previous_secret_until = $7, status = $8, failing_since = "
        "$9, updated_at = $11",
        {e.id, e.url, e.description, e.enabled_events, e.secret_sealed, e.previous_secret_sealed,
         e.previous_secret_until, e.status, e.failing_since, e.created_at, e.updated_at}));
  return OkStatus();
}

Result<std::optional<WebhookEndpoint>> FindWebhookEndpoint(pg::PgConnection& conn,
                                                           const std::string& id) {
  BILLING_ASSIGN_OR_RETURN(pg::PgResult r, Q(conn, ENDPOINT_COLS " WHERE id = $1", {id}));
  if (r.rows() == 0) return std::optional<WebhookEndpoint>();
  return std::optional<WebhookEndpoint>(ReadEndpoint(Row{r, 0}));
}

Result<std::vector<WebhookEndpoint>> ListWebhookEndpoints(pg::PgConnection& conn) {
  BILLING_ASSIGN_OR_RETURN(
      pg::PgResult r,
      Q(conn, ENDPOINT_COLS " ORDER BY created_at, id LIMIT $1", {S(kMaxWebhookEndpoints + 1)}));
  std::vector<WebhookEndpoint> out;
  for (int i = 0; i < r.rows(); ++i) out.push_back(ReadEndpoint(Row{r, i}));
  return out;
}

Status DeleteWebhookEndpoint(pg::PgConnection& conn, const std::string& id) {
  BILLING_TRY(Exec(conn,
                   "UPDATE webhook_deliveries SET status = 'failed', last_error = 'endpoint "
                   "deleted' WHERE endpoint_id = $1 AND status = 'pending'",
                   {id}));
  BILLING_TRY(Exec(conn, "DELETE FROM webhook_endpoints WHERE id = $1", {id}));
  return OkStatus();
}

Result<std::vector<WebhookDelivery>> ClaimDeliveries(pg::PgConnection& conn, const std::string& now,
                                                     const std::string& lease_until, int limit) {
  BILLING_TRY(CheckLimit(limit));
  // Claimed rows are locked and skipped by other instances' claims (SKIP LOCKED) until commit;
  // after it the lease keeps them apart.
  BILLING_ASSIGN_OR_RETURN(
      pg::PgResult r,
      Q(conn,
        "WITH claimed AS (UPDATE webhook_deliveries SET next_attempt_at = $2 WHERE seq IN "
        "(SELECT seq FROM webhook_deliveries WHERE status = 'pending' AND next_attempt_at <= $1 "
        "ORDER BY next_attempt_at, seq LIMIT $3 FOR UPDATE SKIP LOCKED) RETURNING "
        "seq) " DELIVERY_COLS " WHERE d.seq IN (SELECT seq FROM claimed) ORDER BY d.seq",
        {now, lease_until, S(limit)}));
  std::vector<WebhookDelivery> out = ReadDeliveries(r);
  // The CTE's update is not visible to the outer select: the rows show the old lease.
  for (WebhookDelivery& d : out) d.next_attempt_at = lease_until;
  return out;
}

Result<bool> AnyDeliveryDue(pg::PgConnection& conn, const std::string& now) {
  BILLING_ASSIGN_OR_RETURN(pg::PgResult r,
                           Q(conn,
                             "SELECT 1 FROM webhook_deliveries WHERE status = 'pending' AND "
                             "next_attempt_at <= $1 LIMIT 1",
                             {now}));
  return r.rows() > 0;
}

Status UpdateDelivery(pg::PgConnection& conn, const WebhookDelivery& d) {
  BILLING_TRY(
      Exec(conn,
           "UPDATE webhook_deliveries SET status = $2, attempts = $3, next_attempt_at = $4, "
           "delivered_at = $5, last_status = $6, last_error = $7 WHERE seq = $1",
           {S(d.seq), d.status, S(d.attempts), d.next_attempt_at, d.delivered_at, S(d.last_status),
            d.last_error}));
  return OkStatus();
}

Status InsertAttempt(pg::PgConnection& conn, const WebhookAttempt& a) {
  BILLING_TRY(
      Exec(conn,
           "INSERT INTO webhook_attempts (delivery_seq, attempt, at, status, latency_ms, "
           "error) VALUES ($1,$2,$3,$4,$5,$6) ON CONFLICT (delivery_seq, attempt) DO UPDATE "
           "SET at = $3, status = $4, latency_ms = $5, error = $6",
           {S(a.delivery_seq), S(a.attempt), a.at, S(a.status), S(a.latency_ms), a.error}));
  return OkStatus();
}

Result<std::optional<WebhookDelivery>> FindDelivery(pg::PgConnection& conn, int64_t seq) {
  BILLING_ASSIGN_OR_RETURN(pg::PgResult r, Q(conn, DELIVERY_COLS " WHERE d.seq = $1", {S(seq)}));
  if (r.rows() == 0) return std::optional<WebhookDelivery>();
  return std::optional<WebhookDelivery>(ReadDelivery(Row{r, 0}));
}

Result<std::vector<WebhookDelivery>> DeliveriesOf(pg::PgConnection& conn,
                                                  const std::string& endpoint_id,
                                                  int64_t before_seq, int limit) {
  BILLING_TRY(CheckLimit(limit));
  BILLING_ASSIGN_OR_RETURN(
      pg::PgResult r,
      Q(conn, DELIVERY_COLS " WHERE d.endpoint_id = $1 AND d.seq < $2 ORDER BY d.seq DESC LIMIT $3",
        {endpoint_id, S(before_seq > 0 ? before_seq : INT64_MAX), S(limit)}));
  return ReadDeliveries(r);
}

Result<std::vector<WebhookAttempt>> AttemptsOf(pg::PgConnection& conn, int64_t delivery_seq,
                                               int limit) {
  BILLING_TRY(CheckLimit(limit));
  BILLING_ASSIGN_OR_RETURN(
      pg::PgResult r,
      Q(conn,
        "SELECT delivery_seq, attempt, at, status, latency_ms, error FROM webhook_attempts WHERE "
        "delivery_seq = $1 ORDER BY attempt LIMIT $2",
        {S(delivery_seq), S(limit)}));
  std::vector<WebhookAttempt> out;
  for (int i = 0; i < r.rows(); ++i) {
    Row row{r, i};
    out.push_back({row.I(0), int(row.I(1)), row.T(2), int(row.I(3)), row.I(4), row.T(5)});
  }
  return out;
}

}  // namespace billing::pgwebhooks
