-- Events, the outbox of every change (docs/events.md). seq is the list's order: the writer
-- computes it inside its transaction, under the writers' lock, so seq order is commit order and
-- a reader paging by seq never skips a row that commits later with a smaller one.
CREATE TABLE events (
  seq BIGINT PRIMARY KEY,
  id TEXT COLLATE "C" NOT NULL UNIQUE,
  type TEXT COLLATE "C" NOT NULL,
  created_at TEXT NOT NULL,
  object_type TEXT NOT NULL,
  object_id TEXT NOT NULL,
  data_json TEXT NOT NULL,
  request_id TEXT NOT NULL DEFAULT '',
  idempotency_key TEXT NOT NULL DEFAULT ''
);
CREATE INDEX events_type_seq ON events (type, seq);
