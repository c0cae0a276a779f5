-- Webhooks (integration.md "Webhooks"; docs/webhooks.md): endpoints, one delivery per event and
-- matching endpoint written in the event's transaction (the outbox), and every attempt.
CREATE TABLE webhook_endpoints (
  id TEXT PRIMARY KEY,                    -- we_ + 24 hex digits
  url TEXT NOT NULL,
  description TEXT NOT NULL DEFAULT '',
  enabled_events TEXT NOT NULL,           -- '*' or ',type,type,' (matched with instr)
  secret_sealed TEXT NOT NULL,            -- whsec_..., sealed like card data
  previous_secret_sealed TEXT NOT NULL DEFAULT '',
  previous_secret_until TEXT NOT NULL DEFAULT '',  -- ISO 8601: the old secret signs until then
  status TEXT NOT NULL CHECK (status IN ('enabled', 'disabled')),
  failing_since TEXT NOT NULL DEFAULT '', -- ISO 8601 of the first failure of the current run
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE TABLE webhook_deliveries (
  seq INTEGER PRIMARY KEY,                -- the last one plus one, per row, in the writing transaction
  event_id TEXT NOT NULL,
  endpoint_id TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('pending', 'delivered', 'failed')),
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at TEXT NOT NULL,          -- ISO 8601; a claimed delivery's lease end
  created_at TEXT NOT NULL,
  delivered_at TEXT NOT NULL DEFAULT '',
  last_status INTEGER NOT NULL DEFAULT 0, -- the last HTTP status (0 = no answer)
  last_error TEXT NOT NULL DEFAULT '',
  UNIQUE (event_id, endpoint_id)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (status, next_attempt_at);
CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries (endpoint_id, seq);
CREATE TABLE webhook_attempts (
  delivery_seq INTEGER NOT NULL,
  attempt INTEGER NOT NULL,
  at TEXT NOT NULL,
  status INTEGER NOT NULL,                -- 0 = no answer
  latency_ms INTEGER NOT NULL,
  error TEXT NOT NULL DEFAULT '',
  PRIMARY KEY (delivery_seq, attempt)
);
