-- 015: events, the outbox of every change (docs/events.md). seq is the list's order (commit
-- order: the writer computes it inside its transaction); id is the public id (evt_...).
CREATE TABLE events (
  seq INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  type TEXT NOT NULL,
  created_at TEXT NOT NULL,
  object_type TEXT NOT NULL,
  object_id TEXT NOT NULL,
  data_json TEXT NOT NULL,
  request_id TEXT NOT NULL DEFAULT '',
  idempotency_key TEXT NOT NULL DEFAULT ''
);
CREATE INDEX events_type_seq ON events (type, seq);
