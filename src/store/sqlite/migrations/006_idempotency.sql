-- 006: idempotency.
-- operations: one row per change made under an operation key (an Idempotency-Key, or a tool call
-- id within a conversation), written in the same transaction as the change, so a retry of the same
-- operation finds it and never charges twice, even across a crash.
CREATE TABLE operations (
  op_key      TEXT PRIMARY KEY,
  kind        TEXT NOT NULL,            -- payment | refund | invoice | mark_paid
  fingerprint TEXT NOT NULL,            -- hash of the operation's parameters
  entity_id   TEXT NOT NULL,            -- PAY-…, INV-…
  detail_id   TEXT NOT NULL DEFAULT '', -- REF-… for refunds
  created_at  TEXT NOT NULL
);

-- idempotency_keys: the first HTTP response to a POST with an Idempotency-Key, replayed to
-- retries of the same caller with the same key for 24 hours.
CREATE TABLE idempotency_keys (
  owner        TEXT NOT NULL,           -- the caller: key:<prefix>, jwt:<sub>, anonymous
  idem_key     TEXT NOT NULL,
  fingerprint  TEXT NOT NULL,           -- SHA-256 of method, path and body
  status       INTEGER NOT NULL,
  content_type TEXT NOT NULL,
  body         BLOB NOT NULL,
  created_ms   INTEGER NOT NULL,
  PRIMARY KEY (owner, idem_key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_ms);
