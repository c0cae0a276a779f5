// Webhooks on SQLite; see sqlite_webhooks.h.
#include "store/sqlite/sqlite_webhooks.h"

namespace billing::sqlite {
namespace {

#define ENDPOINT_COLS                                                                    \
  "SELECT id, url, description, enabled_events, secret_sealed, previous_secret_sealed, " \
  "previous_secret_until, status, failing_since, created_at, updated_at FROM webhook_endpoints"
#define DELIVERY_COLS                                                                        \
  "SELECT d.seq, d.event_id, d.endpoint_id, d.status, d.attempts, d.next_attempt_at, "       \
  "d.created_at, d.delivered_at, d.last_status, d.last_error, e.type, e.created_at, "        \
  "e.data_json, e.request_id, e.idempotency_key FROM webhook_deliveries d JOIN events e ON " \
  "e.id = d.event_id"

WebhookEndpoint ReadEndpoint(const Stmt& st) {
  WebhookEndpoint e;
  e.id = st.Text(0);
  e.url = st.Text(1);
  e.description = st.Text(2);
  e.enabled_events = st.Text(3);
  e.secret_sealed = st.Text(4);
  e.previous_secret_sealed = st.Text(5);
  e.previous_secret_until = st.Text(6);
  e.status = st.Text(7);
  e.failing_since = st.Text(8);
  e.created_at = st.Text(9);
  e.updated_at = st.Text(10);
  return e;
}

WebhookDelivery ReadDelivery(const Stmt& st) {
  WebhookDelivery d;
  d.seq = st.Int(0);
  d.event_id = st.Text(1);
  d.endpoint_id = st.Text(2);
  d.status = st.Text(3);
  d.attempts = int(st.Int(4));
  d.next_attempt_at = st.Text(5);
  d.created_at = st.Text(6);
  d.delivered_at = st.Text(7);
  d.last_status = int(st.Int(8));
  d.last_error = st.Text(9);
  d.event_type = st.Text(10);
  d.event_created_at = st.Text(11);
  d.event_data_json = st.Text(12);
  d.event_request_id = st.Text(13);
  d.event_idempotency_key = st.Text(14);
  return d;
}

Result<std::vector<WebhookDelivery>> ReadDeliveries(Stmt& st, int limit) {
  std::vector<WebhookDelivery> out;
  BILLING_TRY(StepRows(st, limit, "a webhook delivery page", [&]() -> Status {
    out.push_back(ReadDelivery(st));
    return OkStatus();
  }));
  return out;
}

Status CheckLimit(int limit) {
  if (limit < 1 || limit > kMaxPageRows)
    return Error::Internal("sqlite: webhook page out of range");
  return OkStatus();
}

}  // namespace

Status PutWebhookEndpoint(Connection& conn, const WebhookEndpoint& e) {
  BILLING_ASSIGN_OR_RETURN(
      sqlite3_stmt * raw,
      conn.Prepare(
          "INSERT INTO webhook_endpoints (id, url, description, enabled_events, "
          "secret_sealed, previous_secret_sealed, previous_secret_until, status, "
          "failing_since, created_at, updated_at) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,"
          "?10,?11) ON CONFLICT (id) DO UPDATE SET url = ?2, description = ?3, "
          "enabled_events = ?4, secret_sealed = ?5, previous_secret_sealed = ?6, "
          "previous_secret_until = ?7, status = ?8, failing_since = ?9, updated_at = ?11"));
  Stmt st(conn, raw);
  st.Bind(1, e.id).Bind(2, e.url).Bind(3, e.description).Bind(4, e.enabled_events);
  st.Bind(5, e.secret_sealed).Bind(6, e.previous_secret_sealed).Bind(7, e.previous_secret_until);
  st.Bind(8, e.status).Bind(9, e.failing_since).Bind(10, e.created_at).Bind(11, e.updated_at);
  return st.Run();
}

Result<std::optional<WebhookEndpoint>> FindWebhookEndpoint(Connection& conn,
                                                           const std::string& id) {
  BILLING_ASSIGN_OR_RETURN(sqlite3_stmt * raw, conn.Prepare(ENDPOINT_COLS " WHERE id = ?1"));
  Stmt st(conn, raw);
  st.Bind(1, id);
  BILLING_ASSIGN_OR_RETURN(bool row, st.Step());
  if (!row) return std::optional<WebhookEndpoint>();
  return std::optional<WebhookEndpoint>(ReadEndpoint(st));
}

Result<std::vector<WebhookEndpoint>> ListWebhookEndpoints(Connection& conn) {
  BILLING_ASSIGN_OR_RETURN(sqlite3_stmt * raw,
                           conn.Prepare(ENDPOINT_COLS " ORDER BY created_at, id LIMIT ?1"));
  Stmt st(conn, raw);
  st.Bind(1, int64_t(kMaxWebhookEndpoints + 1));
  std::vector<WebhookEndpoint> out;
  BILLING_TRY(StepRows(st, kMaxWebhookEndpoints + 1, "webhook endpoints", [&]() -> Status {
    out.push_back(ReadEndpoint(st));
    return OkStatus();
  }));
  return out;
}

Status DeleteWebhookEndpoint(Connection& conn, const std::string& id) {
  {
    BILLING_ASSIGN_OR_RETURN(sqlite3_stmt * raw,
                             conn.Prepare("UPDATE webhook_deliveries SET status = 'failed', "
                                          "last_error = 'endpoint deleted' WHERE endpoint_id = ?1 "
                                          "AND status = 'pending'"));
    Stmt st(conn, raw);
    st.Bind(1, id);
    BILLING_TRY(st.Run());
  }
  BILLING_ASSIGN_OR_RETURN(sqlite3_stmt * raw,
                           conn.Prepare("DELETE FROM webhook_endpoints WHERE id = ?1"));
  Stmt st(conn, raw);
  st.Bind(1, id);
  return st.Run();
}

Status EnqueueDeliveries(Connection& conn, const Event& event, const std::string& now) {
  BILLING_ASSIGN_OR_RETURN(
      sqlite3_stmt * raw,
      conn.Prepare("INSERT INTO webhook_deliveries (seq, event_id, endpoint_id, status, "
                   "next_attempt_at, created_at) SELECT (SELECT COALESCE(MAX(seq), 0) FROM "
                   "webhook_deliveries) + ROW_NUMBER() OVER (ORDER BY id), ?1, id, 'pending', "
                   "?3, ?3 FROM webhook_endpoints WHERE status = 'enabled' AND (enabled_events = "
                   "'*' OR instr(enabled_events, ',' || ?2 || ',') > 0)"));
  Stmt st(conn, raw);
  st.Bind(1, event.id).Bind(2, event.type).Bind(3, now);
  return st.Run();
}

Result<std::vector<WebhookDelivery>> ClaimDeliveries(Connection& conn, const std::string& now,
                                                     const std::string& lease_until, int limit) {
  BILLING_TRY(CheckLimit(limit));
  std::vector<WebhookDelivery> out;
  {
    BILLING_ASSIGN_OR_RETURN(
        sqlite3_stmt * raw,
        conn.Prepare(DELIVERY_COLS " WHERE d.status = 'pending' AND d.next_attempt_at <= ?1 "
                                   "ORDER BY d.next_attempt_at, d.seq LIMIT ?2"));
    Stmt st(conn, raw);
    st.Bind(1, now).Bind(2, int64_t(limit));
    BILLING_ASSIGN_OR_RETURN(out, ReadDeliveries(st, limit));
  }
  BILLING_ASSIGN_OR_RETURN(
      sqlite3_stmt * raw,
      conn.Prepare("UPDATE webhook_deliveries SET next_attempt_at = ?2 WHERE seq = ?1"));
  for (WebhookDelivery& d : out) {
    Stmt st(conn, raw);
    st.Bind(1, d.seq).Bind(2, lease_until);
    BILLING_TRY(st.Run());
    d.next_attempt_at = lease_until;
  }
  return out;
}

Result<bool> AnyDeliveryDue(Connection& conn, const std::string& now) {
  BILLING_ASSIGN_OR_RETURN(sqlite3_stmt * raw,
                           conn.Prepare("SELECT 1 FROM webhook_deliveries WHERE status = "
                                        "'pending' AND next_attempt_at <= ?1 LIMIT 1"));
  Stmt st(conn, raw);
  st.Bind(1, now);
  return st.Step();
}

Status UpdateDelivery(Connection& conn, const WebhookDelivery& d) {
  BILLING_ASSIGN_OR_RETURN(
      sqlite3_stmt * raw,
      conn.Prepare("UPDATE webhook_deliveries SET status = ?2, attempts = ?3, next_attempt_at = "
                   "?4, delivered_at = ?5, last_status = ?6, last_error = ?7 WHERE seq = ?1"));
  Stmt st(conn, raw);
  st.Bind(1, d.seq).Bind(2, d.status).Bind(3, int64_t(d.attempts)).Bind(4, d.next_attempt_at);
  st.Bind(5, d.delivered_at).Bind(6, int64_t(d.last_status)).Bind(7, d.last_error);
  return st.Run();
}

Status InsertAttempt(Connection& conn, const WebhookAttempt& a) {
  BILLING_ASSIGN_OR_RETURN(
      sqlite3_stmt * raw,
      conn.Prepare("INSERT OR REPLACE INTO webhook_attempts (delivery_seq, attempt, at, status, "
                   "latency_ms, error) VALUES (?1,?2,?3,?4,?5,?6)"));
  Stmt st(conn, raw);
  st.Bind(1, a.delivery_seq).Bind(2, int64_t(a.attempt)).Bind(3, a.at);
  st.Bind(4, int64_t(a.status)).Bind(5, a.latency_ms).Bind(6, a.error);
  return st.Run();
}

Result<std::optional<WebhookDelivery>> FindDelivery(Connection& conn, int64_t seq) {
  BILLING_ASSIGN_OR_RETURN(sqlite3_stmt * raw, conn.Prepare(DELIVERY_COLS " WHERE d.seq = ?1"));
  Stmt st(conn, raw);
  st.Bind(1, seq);
  BILLING_ASSIGN_OR_RETURN(bool row, st.Step());
  if (!row) return std::optional<WebhookDelivery>();
  return std::optional<WebhookDelivery>(ReadDelivery(st));
}

Result<std::vector<WebhookDelivery>> DeliveriesOf(Connection& conn, const std::string& endpoint_id,
                                                  int64_t before_seq, int limit) {
  BILLING_TRY(CheckLimit(limit));
  BILLING_ASSIGN_OR_RETURN(
      sqlite3_stmt * raw,
      conn.Prepare(DELIVERY_COLS " WHERE d.endpoint_id = ?1 AND d.seq < ?2 ORDER BY d.seq DESC "
                                 "LIMIT ?3"));
  Stmt st(conn, raw);
  st.Bind(1, endpoint_id).Bind(2, before_seq > 0 ? before_seq : INT64_MAX).Bind(3, int64_t(limit));
  return ReadDeliveries(st, limit);
}

Result<std::vector<WebhookAttempt>> AttemptsOf(Connection& conn, int64_t delivery_seq, int limit) {
  BILLING_TRY(CheckLimit(limit));
  BILLING_ASSIGN_OR_RETURN(
      sqlite3_stmt * raw,
      conn.Prepare("SELECT delivery_seq, attempt, at, status, latency_ms, error FROM "
                   "webhook_attempts WHERE delivery_seq = ?1 ORDER BY attempt LIMIT ?2"));
  Stmt st(conn, raw);
  st.Bind(1, delivery_seq).Bind(2, int64_t(limit));
  std::vector<WebhookAttempt> out;
  BILLING_TRY(StepRows(st, limit, "webhook attempts", [&]() -> Status {
    out.push_back({st.Int(0), int(st.Int(1)), st.Text(2), int(st.Int(3)), st.Int(4), st.Text(5)});
    return OkStatus();
  }));
  return out;
}

}  // namespace billing::sqlite
