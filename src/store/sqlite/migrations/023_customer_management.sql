-- Customer management (issue #13): each customer's locale (its messages' language) and payment
-- terms (its new subscriptions' default), and the counter that numbers new customers CUST-<n>
-- (as payments are numbered), started after the highest number already in use.
ALTER TABLE customers ADD COLUMN locale TEXT NOT NULL DEFAULT 'en'
  CHECK (locale IN ('en', 'de', 'fr', 'es'));
ALTER TABLE customers ADD COLUMN payment_terms_days INTEGER NOT NULL DEFAULT 30
  CHECK (payment_terms_days BETWEEN 1 AND 365);
INSERT INTO counters (name, value)
  SELECT 'customer', MAX(CAST(substr(id, 6) AS INTEGER)) FROM customers
  WHERE id GLOB 'CUST-[0-9]*' AND NOT EXISTS (SELECT 1 FROM counters WHERE name = 'customer')
  HAVING COUNT(*) > 0;
