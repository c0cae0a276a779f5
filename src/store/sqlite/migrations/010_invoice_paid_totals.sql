-- 010: each invoice's paid amount (its allocations net of their refunds) kept on the invoice row
-- by triggers, in the same transaction as every allocation change. Reading an invoice summed all
-- its allocations, so paying an invoice in installments got slower with every installment (and
-- a payment reads the invoices it settles). BillingService::CheckInvariants recomputes the sums
-- from the allocations and compares them with these totals.
ALTER TABLE invoices ADD COLUMN paid_cents INTEGER NOT NULL DEFAULT 0;

UPDATE invoices
   SET paid_cents = (SELECT COALESCE(SUM(a.amount_cents - a.refunded_cents), 0)
                       FROM payment_allocations a WHERE a.invoice_id = invoices.id);

CREATE TRIGGER invoice_paid_on_allocation_insert AFTER INSERT ON payment_allocations BEGIN
  UPDATE invoices SET paid_cents = paid_cents + NEW.amount_cents - NEW.refunded_cents
   WHERE id = NEW.invoice_id;
END;

CREATE TRIGGER invoice_paid_on_allocation_update
AFTER UPDATE OF invoice_id, amount_cents, refunded_cents ON payment_allocations BEGIN
  UPDATE invoices SET paid_cents = paid_cents - (OLD.amount_cents - OLD.refunded_cents)
   WHERE id = OLD.invoice_id;
  UPDATE invoices SET paid_cents = paid_cents + (NEW.amount_cents - NEW.refunded_cents)
   WHERE id = NEW.invoice_id;
END;

CREATE TRIGGER invoice_paid_on_allocation_delete AFTER DELETE ON payment_allocations BEGIN
  UPDATE invoices SET paid_cents = paid_cents - (OLD.amount_cents - OLD.refunded_cents)
   WHERE id = OLD.invoice_id;
END;
