-- Invoices and payments carry their currency, as SQLite's 020: the customer's when they were
-- made; existing rows take their customer's.
ALTER TABLE invoices ADD COLUMN currency TEXT NOT NULL DEFAULT 'USD';
UPDATE invoices SET currency = c.currency FROM customers c WHERE c.id = invoices.customer_id;
ALTER TABLE payments ADD COLUMN currency TEXT NOT NULL DEFAULT 'USD';
UPDATE payments SET currency = c.currency FROM customers c WHERE c.id = payments.customer_id;
