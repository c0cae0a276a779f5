-- 008: running ledger totals per customer, kept by triggers in the same transaction as every
-- change, so that a balance is one row read instead of a scan of all the customer's invoices and
-- payments (which grew with every payment). BillingService::CheckInvariants recomputes the sums
-- from the rows and compares them with these totals.
CREATE TABLE customer_totals (
  customer_id    TEXT PRIMARY KEY REFERENCES customers(id),
  invoiced_cents INTEGER NOT NULL DEFAULT 0,  -- invoices not cancelled: total_cents
  paid_cents     INTEGER NOT NULL DEFAULT 0,  -- payments not failed: amount_cents
  refunded_cents INTEGER NOT NULL DEFAULT 0   -- all payments: refunded_cents
);

INSERT INTO customer_totals (customer_id, invoiced_cents, paid_cents, refunded_cents)
SELECT c.id,
  (SELECT COALESCE(SUM(total_cents), 0) FROM invoices i WHERE i.customer_id = c.id AND i.status <> 'cancelled'),
  (SELECT COALESCE(SUM(amount_cents), 0) FROM payments p WHERE p.customer_id = c.id AND p.status <> 'failed'),
  (SELECT COALESCE(SUM(refunded_cents), 0) FROM payments p WHERE p.customer_id = c.id)
FROM customers c;

CREATE TRIGGER customer_totals_on_customer AFTER INSERT ON customers BEGIN
  INSERT INTO customer_totals (customer_id) VALUES (NEW.id);
END;

CREATE TRIGGER customer_totals_on_invoice_insert AFTER INSERT ON invoices BEGIN
  UPDATE customer_totals
     SET invoiced_cents = invoiced_cents + CASE WHEN NEW.status <> 'cancelled' THEN NEW.total_cents ELSE 0 END
   WHERE customer_id = NEW.customer_id;
END;

CREATE TRIGGER customer_totals_on_invoice_update
AFTER UPDATE OF customer_id, status, total_cents ON invoices BEGIN
  UPDATE customer_totals
     SET invoiced_cents = invoiced_cents - CASE WHEN OLD.status <> 'cancelled' THEN OLD.total_cents ELSE 0 END
   WHERE customer_id = OLD.customer_id;
  UPDATE customer_totals
     SET invoiced_cents = invoiced_cents + CASE WHEN NEW.status <> 'cancelled' THEN NEW.total_cents ELSE 0 END
   WHERE customer_id = NEW.customer_id;
END;

CREATE TRIGGER customer_totals_on_invoice_delete AFTER DELETE ON invoices BEGIN
  UPDATE customer_totals
     SET invoiced_cents = invoiced_cents - CASE WHEN OLD.status <> 'cancelled' THEN OLD.total_cents ELSE 0 END
   WHERE customer_id = OLD.customer_id;
END;

CREATE TRIGGER customer_totals_on_payment_insert AFTER INSERT ON payments BEGIN
  UPDATE customer_totals
     SET paid_cents = paid_cents + CASE WHEN NEW.status <> 'failed' THEN NEW.amount_cents ELSE 0 END,
         refunded_cents = refunded_cents + NEW.refunded_cents
   WHERE customer_id = NEW.customer_id;
END;

CREATE TRIGGER customer_totals_on_payment_update
AFTER UPDATE OF customer_id, status, amount_cents, refunded_cents ON payments BEGIN
  UPDATE customer_totals
     SET paid_cents = paid_cents - CASE WHEN OLD.status <> 'failed' THEN OLD.amount_cents ELSE 0 END,
         refunded_cents = refunded_cents - OLD.refunded_cents
   WHERE customer_id = OLD.customer_id;
  UPDATE customer_totals
     SET paid_cents = paid_cents + CASE WHEN NEW.status <> 'failed' THEN NEW.amount_cents ELSE 0 END,
         refunded_cents = refunded_cents + NEW.refunded_cents
   WHERE customer_id = NEW.customer_id;
END;

CREATE TRIGGER customer_totals_on_payment_delete AFTER DELETE ON payments BEGIN
  UPDATE customer_totals
     SET paid_cents = paid_cents - CASE WHEN OLD.status <> 'failed' THEN OLD.amount_cents ELSE 0 END,
         refunded_cents = refunded_cents - OLD.refunded_cents
   WHERE customer_id = OLD.customer_id;
END;
