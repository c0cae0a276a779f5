-- 012: indexes for exact lists at any size. Every list is now a bounded page query plus one
-- aggregate over all the rows it selects (store.h), each with the filter in its WHERE clause.
-- These indexes let both walk only the rows the filter selects, in list order, with no sort:
-- invoices by due date (all customers; by status; by customer and status) and payments newest
-- first (by status; by customer and status). payments_status (status alone) is replaced by the
-- index that also orders by number.
CREATE INDEX invoices_due ON invoices (due_date, id);
CREATE INDEX invoices_status_due ON invoices (status, due_date, id);
CREATE INDEX invoices_customer_status_due ON invoices (customer_id, status, due_date, id);
DROP INDEX payments_status;
CREATE INDEX payments_status_number ON payments (status, number);
CREATE INDEX payments_customer_status_number ON payments (customer_id, status, number);
