-- 009: a customer's invoices in due-date order straight from an index. A payment without an
-- invoice id settles the customer's oldest pending invoices first; it read them with a scan of all
-- invoices and a sort, work that grew with every other customer's invoices. The new index starts
-- with customer_id, so it also serves every lookup the old one did.
DROP INDEX invoices_customer;
CREATE INDEX invoices_customer_due ON invoices (customer_id, due_date, id);
