-- 014: payments in a period ("how much did we collect this month"), company-wide or for one
-- customer: the page walks these indexes newest first and the totals read only the period's rows.
CREATE INDEX payments_created_at ON payments (created_at, number);
CREATE INDEX payments_customer_created_at ON payments (customer_id, created_at, number);
