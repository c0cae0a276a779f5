-- Email outbox, as SQLite's 026.
CREATE TABLE email_outbox (
  seq BIGINT PRIMARY KEY,
  event_id TEXT COLLATE "C" NOT NULL UNIQUE,
  kind TEXT NOT NULL,
  customer_id TEXT COLLATE "C" NOT NULL,
  to_address TEXT NOT NULL,
  locale TEXT NOT NULL,
  subject TEXT NOT NULL,
  text_body TEXT NOT NULL,
  html_body TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('pending', 'sent', 'failed')),
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at TEXT COLLATE "C" NOT NULL,
  created_at TEXT NOT NULL,
  sent_at TEXT NOT NULL DEFAULT '',
  last_error TEXT NOT NULL DEFAULT ''
);
CREATE INDEX email_outbox_due ON email_outbox (status, next_attempt_at);
CREATE INDEX email_outbox_customer ON email_outbox (customer_id, seq);
