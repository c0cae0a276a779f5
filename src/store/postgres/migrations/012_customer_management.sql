-- Customer management, as SQLite's 023: locale, payment terms, and the counter of customer
-- numbers started after the highest one in use.
ALTER TABLE customers ADD COLUMN locale TEXT COLLATE "C" NOT NULL DEFAULT 'en'
  CHECK (locale IN ('en', 'de', 'fr', 'es'));
ALTER TABLE customers ADD COLUMN payment_terms_days BIGINT NOT NULL DEFAULT 30
  CHECK (payment_terms_days BETWEEN 1 AND 365);
INSERT INTO counters (name, value)
  SELECT 'customer', MAX(substr(id, 6)::bigint) FROM customers
  WHERE id ~ '^CUST-[0-9]{1,18}$' AND NOT EXISTS (SELECT 1 FROM counters WHERE name = 'customer')
  HAVING COUNT(*) > 0;
