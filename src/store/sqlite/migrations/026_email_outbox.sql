-- Email (integration.md "Email"; docs/email.md): one message per emailable event, rendered in the
-- customer's locale and written in the event's transaction (the outbox), sent by the email worker
-- with the webhooks' retry rules.
CREATE TABLE email_outbox (
  seq INTEGER PRIMARY KEY,                -- the last one plus one, in the writing transaction
  event_id TEXT NOT NULL UNIQUE,
  kind TEXT NOT NULL,                     -- invoice_issued | payment_receipt | ...
  customer_id TEXT NOT NULL,
  to_address TEXT NOT NULL,
  locale TEXT NOT NULL,
  subject TEXT NOT NULL,
  text_body TEXT NOT NULL,
  html_body TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('pending', 'sent', 'failed')),
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at TEXT NOT NULL,          -- ISO 8601; a claimed message's lease end
  created_at TEXT NOT NULL,
  sent_at TEXT NOT NULL DEFAULT '',
  last_error TEXT NOT NULL DEFAULT ''
);
CREATE INDEX email_outbox_due ON email_outbox (status, next_attempt_at);
CREATE INDEX email_outbox_customer ON email_outbox (customer_id, seq);
