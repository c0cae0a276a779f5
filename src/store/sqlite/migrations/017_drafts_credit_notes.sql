-- 017: invoice drafts, credit notes and the customer's credit balance (automated-billing.md
-- "Invoice lifecycle", "Credit notes").
--
-- * invoices.credited_cents: the sum of the invoice's credit notes. A customer's invoiced total
--   (customer_totals.invoiced_cents) now counts each invoice not cancelled at total - credited,
--   so the balance stays opening + invoiced - paid + refunded with credit notes included.
-- * payments.applied_cents: the payment's allocations net of their refunds, kept by triggers
--   like invoices.paid_cents (migration 010). What a payment holds beyond it (amount - refunded
--   - applied) is the customer's credit balance, which a new invoice uses before it is owed;
--   payments_with_credit finds those payments without reading the others.
-- * invoice_drafts: drafts live apart from invoices, so no invoice list, total, number check or
--   balance ever sees one; their lines are one JSON text (a draft is edited as a whole).
ALTER TABLE invoices ADD COLUMN credited_cents INTEGER NOT NULL DEFAULT 0
  CHECK (credited_cents >= 0);

DROP TRIGGER customer_totals_on_invoice_insert;
DROP TRIGGER customer_totals_on_invoice_update;
DROP TRIGGER customer_totals_on_invoice_delete;

CREATE TRIGGER customer_totals_on_invoice_insert AFTER INSERT ON invoices BEGIN
  UPDATE customer_totals
     SET invoiced_cents = invoiced_cents + CASE WHEN NEW.status <> 'cancelled'
                                               THEN NEW.total_cents - NEW.credited_cents ELSE 0 END
   WHERE customer_id = NEW.customer_id;
END;

CREATE TRIGGER customer_totals_on_invoice_update
AFTER UPDATE OF customer_id, status, total_cents, credited_cents ON invoices BEGIN
  UPDATE customer_totals
     SET invoiced_cents = invoiced_cents - CASE WHEN OLD.status <> 'cancelled'
                                               THEN OLD.total_cents - OLD.credited_cents ELSE 0 END
   WHERE customer_id = OLD.customer_id;
  UPDATE customer_totals
     SET invoiced_cents = invoiced_cents + CASE WHEN NEW.status <> 'cancelled'
                                               THEN NEW.total_cents - NEW.credited_cents ELSE 0 END
   WHERE customer_id = NEW.customer_id;
END;

CREATE TRIGGER customer_totals_on_invoice_delete AFTER DELETE ON invoices BEGIN
  UPDATE customer_totals
     SET invoiced_cents = invoiced_cents - CASE WHEN OLD.status <> 'cancelled'
                                               THEN OLD.total_cents - OLD.credited_cents ELSE 0 END
   WHERE customer_id = OLD.customer_id;
END;

ALTER TABLE payments ADD COLUMN applied_cents INTEGER NOT NULL DEFAULT 0;

UPDATE payments
   SET applied_cents = (SELECT COALESCE(SUM(a.amount_cents - a.refunded_cents), 0)
                          FROM payment_allocations a WHERE a.payment_id = payments.id);

CREATE TRIGGER payment_applied_on_allocation_insert AFTER INSERT ON payment_allocations BEGIN
  UPDATE payments SET applied_cents = applied_cents + NEW.amount_cents - NEW.refunded_cents
   WHERE id = NEW.payment_id;
END;

CREATE TRIGGER payment_applied_on_allocation_update
AFTER UPDATE OF payment_id, amount_cents, refunded_cents ON payment_allocations BEGIN
  UPDATE payments SET applied_cents = applied_cents - (OLD.amount_cents - OLD.refunded_cents)
   WHERE id = OLD.payment_id;
  UPDATE payments SET applied_cents = applied_cents + (NEW.amount_cents - NEW.refunded_cents)
   WHERE id = NEW.payment_id;
END;

CREATE TRIGGER payment_applied_on_allocation_delete AFTER DELETE ON payment_allocations BEGIN
  UPDATE payments SET applied_cents = applied_cents - (OLD.amount_cents - OLD.refunded_cents)
   WHERE id = OLD.payment_id;
END;

CREATE INDEX payments_with_credit ON payments (customer_id, number)
 WHERE status <> 'failed' AND amount_cents - refunded_cents > applied_cents;

CREATE TABLE invoice_drafts (
  id TEXT PRIMARY KEY,
  number INTEGER NOT NULL UNIQUE,
  customer_id TEXT NOT NULL REFERENCES customers(id),
  items_json TEXT NOT NULL,
  due_date TEXT NOT NULL,
  notes TEXT NOT NULL DEFAULT '',
  status TEXT NOT NULL CHECK (status = 'draft' OR status = 'finalized' OR status = 'deleted'),
  invoice_id TEXT NOT NULL DEFAULT '',
  created_at TEXT NOT NULL,
  created_by TEXT NOT NULL DEFAULT '',
  created_on_behalf_of TEXT NOT NULL DEFAULT '',
  updated_at TEXT NOT NULL,
  updated_by TEXT NOT NULL DEFAULT '',
  updated_on_behalf_of TEXT NOT NULL DEFAULT ''
);
CREATE INDEX invoice_drafts_open ON invoice_drafts (status, customer_id, number);

CREATE TABLE credit_note_counters (
  year INTEGER PRIMARY KEY,
  last_seq INTEGER NOT NULL
);

CREATE TABLE credit_notes (
  id TEXT PRIMARY KEY,
  year INTEGER NOT NULL,
  seq INTEGER NOT NULL,
  invoice_id TEXT NOT NULL REFERENCES invoices(id),
  customer_id TEXT NOT NULL REFERENCES customers(id),
  currency TEXT NOT NULL,
  subtotal_cents INTEGER NOT NULL CHECK (subtotal_cents >= 0),
  tax_cents INTEGER NOT NULL CHECK (tax_cents >= 0),
  total_cents INTEGER NOT NULL CHECK (total_cents > 0),
  due_reduced_cents INTEGER NOT NULL CHECK (due_reduced_cents >= 0),
  refunded_cents INTEGER NOT NULL CHECK (refunded_cents >= 0),
  credit_cents INTEGER NOT NULL CHECK (credit_cents >= 0),
  lines_json TEXT NOT NULL DEFAULT '[]',
  refund_ids TEXT NOT NULL DEFAULT '',
  reason TEXT NOT NULL DEFAULT '',
  created_at TEXT NOT NULL,
  created_by TEXT NOT NULL DEFAULT '',
  on_behalf_of TEXT NOT NULL DEFAULT '',
  UNIQUE (year, seq),
  CHECK (subtotal_cents + tax_cents = total_cents),
  CHECK (due_reduced_cents + refunded_cents + credit_cents = total_cents)
);
CREATE INDEX credit_notes_invoice ON credit_notes (invoice_id, year, seq);
