// The audit chain and the events on SQLite; see sqlite_logs.h.
#include "store/sqlite/sqlite_logs.h"

namespace billing::sqlite {
namespace {

#define AUDIT_COLS                                                                   \
  "SELECT seq, at, actor, action, entity_type, entity_id, before_json, after_json, " \
  "request_id, prev_hash, hash, on_behalf_of, chain_version FROM audit_log"

AuditEntry ReadAudit(const Stmt& st) {
  AuditEntry e;
  e.seq = st.Int(0);
  e.at = st.Text(1);
  e.actor = st.Text(2);
  e.action = st.Text(3);
  e.entity_type = st.Text(4);
  e.entity_id = st.Text(5);
  e.before_json = st.Text(6);
  e.after_json = st.Text(7);
  e.request_id = st.Text(8);
  e.prev_hash = st.Text(9);
  e.hash = st.Text(10);
  e.on_behalf_of = st.Text(11);
  e.chain_version = int(st.Int(12));
  return e;
}

#define EVENT_COLS                                                                    \
  "SELECT seq, id, type, created_at, object_type, object_id, data_json, request_id, " \
  "idempotency_key FROM events"

Event ReadEvent(const Stmt& st) {
  Event e;
  e.seq = st.Int(0);
  e.id = st.Text(1);
  e.type = st.Text(2);
  e.created_at = st.Text(3);
  e.object_type = st.Text(4);
  e.object_id = st.Text(5);
  e.data_json = st.Text(6);
  e.request_id = st.Text(7);
  e.idempotency_key = st.Text(8);
  return e;
}

}  // namespace

Status AppendAudit(Connection& conn, const AuditEntry& e) {
  BILLING_ASSIGN_OR_RETURN(
      sqlite3_stmt * raw,
      conn.Prepare("INSERT INTO audit_log (seq, at, actor, action, entity_type, entity_id, "
                   "before_json, after_json, request_id, prev_hash, hash, on_behalf_of, "
                   "chain_version) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13)"));
  Stmt st(conn, raw);
  st.Bind(1, e.seq).Bind(2, e.at).Bind(3, e.actor).Bind(4, e.action).Bind(5, e.entity_type);
  st.Bind(6, e.entity_id).Bind(7, e.before_json).Bind(8, e.after_json).Bind(9, e.request_id);
  st.Bind(10, e.prev_hash).Bind(11, e.hash).Bind(12, e.on_behalf_of);
  st.Bind(13, int64_t(e.chain_version));
  return st.Run();
}

Result<std::vector<AuditEntry>> ListAudit(Connection& conn, const AuditQuery& q, int limit) {
  if (limit < 1 || limit > kMaxPageRows) return Error::Internal("sqlite: audit page out of range");
  // One statement text per filter combination, each served by its own index (migration 013).
  static const std::string kSql[4] = {
      AUDIT_COLS " WHERE seq > ?1 ORDER BY seq LIMIT ?2",
      AUDIT_COLS " WHERE actor = ?3 AND seq > ?1 ORDER BY seq LIMIT ?2",
      AUDIT_COLS " WHERE on_behalf_of = ?4 AND seq > ?1 ORDER BY seq LIMIT ?2",
      AUDIT_COLS " WHERE actor = ?3 AND on_behalf_of = ?4 AND seq > ?1 ORDER BY seq LIMIT ?2"};
  const std::string& sql = kSql[(q.actor.empty() ? 0 : 1) + (q.on_behalf_of.empty() ? 0 : 2)];
  BILLING_ASSIGN_OR_RETURN(sqlite3_stmt * raw, conn.Prepare(sql.c_str()));
  Stmt st(conn, raw);
  st.Bind(1, q.after_seq).Bind(2, int64_t(limit));
  if (!q.actor.empty()) st.Bind(3, q.actor);
  if (!q.on_behalf_of.empty()) st.Bind(4, q.on_behalf_of);
  std::vector<AuditEntry> out;
  // Bounded by the LIMIT: at most `limit` rows come back.
  for (int n = 0; n < limit; ++n) {
    BILLING_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) break;
    out.push_back(ReadAudit(st));
  }
  return out;
}

Result<std::optional<AuditEntry>> LastAudit(Connection& conn) {
  BILLING_ASSIGN_OR_RETURN(sqlite3_stmt * raw,
                           conn.Prepare(AUDIT_COLS " ORDER BY seq DESC LIMIT 1"));
  Stmt st(conn, raw);
  BILLING_ASSIGN_OR_RETURN(bool row, st.Step());
  if (!row) return std::optional<AuditEntry>();
  return std::optional<AuditEntry>(ReadAudit(st));
}

Status AppendEvent(Connection& conn, const Event& e) {
  BILLING_ASSIGN_OR_RETURN(
      sqlite3_stmt * raw,
      conn.Prepare("INSERT INTO events (seq, id, type, created_at, object_type, object_id, "
                   "data_json, request_id, idempotency_key) SELECT COALESCE(MAX(seq), 0) + 1, "
                   "?1,?2,?3,?4,?5,?6,?7,?8 FROM events"));
  Stmt st(conn, raw);
  st.Bind(1, e.id).Bind(2, e.type).Bind(3, e.created_at).Bind(4, e.object_type);
  st.Bind(5, e.object_id).Bind(6, e.data_json).Bind(7, e.request_id).Bind(8, e.idempotency_key);
  return st.Run();
}

Result<std::optional<int64_t>> EventSeq(Connection& conn, const std::string& id) {
  BILLING_ASSIGN_OR_RETURN(sqlite3_stmt * raw,
                           conn.Prepare("SELECT seq FROM events WHERE id = ?1"));
  Stmt st(conn, raw);
  st.Bind(1, id);
  BILLING_ASSIGN_OR_RETURN(bool row, st.Step());
  if (!row) return std::optional<int64_t>();
  return std::optional<int64_t>(st.Int(0));
}

Result<std::vector<Event>> ListEvents(Connection& conn, const EventQuery& q, int limit) {
  if (limit < 1 || limit > kMaxPageRows) return Error::Internal("sqlite: event page out of range");
  // One statement text per filter, each served by an index (the primary key; events_type_seq).
  const char* sql =
      q.type.empty()
          ? (q.newest_first ? EVENT_COLS " WHERE seq > ?1 ORDER BY seq DESC LIMIT ?2"
                            : EVENT_COLS " WHERE seq > ?1 ORDER BY seq LIMIT ?2")
          : (q.newest_first ? EVENT_COLS " WHERE type = ?3 AND seq > ?1 ORDER BY seq DESC LIMIT ?2"
                            : EVENT_COLS " WHERE type = ?3 AND seq > ?1 ORDER BY seq LIMIT ?2");
  BILLING_ASSIGN_OR_RETURN(sqlite3_stmt * raw, conn.Prepare(sql));
  Stmt st(conn, raw);
  st.Bind(1, q.after_seq).Bind(2, int64_t(limit));
  if (!q.type.empty()) st.Bind(3, q.type);
  std::vector<Event> out;
  // Bounded by the LIMIT: at most `limit` rows come back.
  for (int n = 0; n < limit; ++n) {
    BILLING_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) break;
    out.push_back(ReadEvent(st));
  }
  return out;
}

}  // namespace billing::sqlite
