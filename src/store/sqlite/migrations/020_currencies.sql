-- 020: invoices and payments carry their currency (automated-billing.md "Multi-currency"), the
-- customer's when they were made; existing rows take their customer's.
ALTER TABLE invoices ADD COLUMN currency TEXT NOT NULL DEFAULT 'USD';
UPDATE invoices SET currency = (SELECT c.currency FROM customers c WHERE c.id = invoices.customer_id);
ALTER TABLE payments ADD COLUMN currency TEXT NOT NULL DEFAULT 'USD';
UPDATE payments SET currency = (SELECT c.currency FROM customers c WHERE c.id = payments.customer_id);
