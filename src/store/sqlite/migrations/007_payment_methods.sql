-- 007: stored cards. The card number and expiry are sealed (security/data_cipher.h, libsodium);
-- only the brand, the last four digits and the expiry month/year are kept in clear, for display.
CREATE TABLE payment_methods (
  id             TEXT PRIMARY KEY,                 -- PM-001
  number         INTEGER NOT NULL UNIQUE,
  customer_id    TEXT NOT NULL REFERENCES customers(id),
  type           TEXT NOT NULL CHECK (type IN ('credit_card')),
  brand          TEXT NOT NULL,
  last4          TEXT NOT NULL CHECK (length(last4) = 4),
  exp_month      INTEGER NOT NULL CHECK (exp_month BETWEEN 1 AND 12),
  exp_year       INTEGER NOT NULL,
  details_sealed TEXT NOT NULL,
  key_id         TEXT NOT NULL,
  actor          TEXT NOT NULL DEFAULT '',
  created_at     TEXT NOT NULL
);
CREATE INDEX payment_methods_customer ON payment_methods(customer_id, number);
ALTER TABLE payments ADD COLUMN payment_method_id TEXT NOT NULL DEFAULT '';
