-- Webhooks, as SQLite's 025.
CREATE TABLE webhook_endpoints (
  id TEXT COLLATE "C" PRIMARY KEY,
  url TEXT NOT NULL,
  description TEXT NOT NULL DEFAULT '',
  enabled_events TEXT COLLATE "C" NOT NULL,
  secret_sealed TEXT NOT NULL,
  previous_secret_sealed TEXT NOT NULL DEFAULT '',
  previous_secret_until TEXT NOT NULL DEFAULT '',
  status TEXT NOT NULL CHECK (status IN ('enabled', 'disabled')),
  failing_since TEXT NOT NULL DEFAULT '',
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE TABLE webhook_deliveries (
  seq BIGINT PRIMARY KEY,
  event_id TEXT COLLATE "C" NOT NULL,
  endpoint_id TEXT COLLATE "C" NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('pending', 'delivered', 'failed')),
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at TEXT COLLATE "C" NOT NULL,
  created_at TEXT NOT NULL,
  delivered_at TEXT NOT NULL DEFAULT '',
  last_status INTEGER NOT NULL DEFAULT 0,
  last_error TEXT NOT NULL DEFAULT '',
  UNIQUE (event_id, endpoint_id)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (status, next_attempt_at);
CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries (endpoint_id, seq);
CREATE TABLE webhook_attempts (
  delivery_seq BIGINT NOT NULL,
  attempt INTEGER NOT NULL,
  at TEXT NOT NULL,
  status INTEGER NOT NULL,
  latency_ms BIGINT NOT NULL,
  error TEXT NOT NULL DEFAULT '',
  PRIMARY KEY (delivery_seq, attempt)
);
