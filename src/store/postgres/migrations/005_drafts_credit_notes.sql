-- Invoice drafts, credit notes and the customer's credit balance (automated-billing.md), as
-- SQLite's 017: invoices.credited_cents (a customer's invoiced total counts each invoice at
-- total - credited), payments.applied_cents kept by a trigger (what a payment holds beyond it is
-- credit, used by the next invoice), invoice_drafts apart from invoices, credit_notes.
ALTER TABLE invoices ADD COLUMN credited_cents BIGINT NOT NULL DEFAULT 0
  CHECK (credited_cents >= 0);

CREATE OR REPLACE FUNCTION customer_totals_on_invoice() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.status <> 'cancelled' THEN
    UPDATE customer_totals SET invoiced_cents = invoiced_cents - (OLD.total_cents - OLD.credited_cents)
     WHERE customer_id = OLD.customer_id;
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.status <> 'cancelled' THEN
    UPDATE customer_totals SET invoiced_cents = invoiced_cents + (NEW.total_cents - NEW.credited_cents)
     WHERE customer_id = NEW.customer_id;
  END IF;
  RETURN NULL;
END $$;
DROP TRIGGER customer_totals_on_invoice_update ON invoices;
CREATE TRIGGER customer_totals_on_invoice_update
  AFTER UPDATE OF customer_id, status, total_cents, credited_cents ON invoices
  FOR EACH ROW EXECUTE FUNCTION customer_totals_on_invoice();

ALTER TABLE payments ADD COLUMN applied_cents BIGINT NOT NULL DEFAULT 0;
UPDATE payments p
   SET applied_cents = a.net
  FROM (SELECT payment_id, SUM(amount_cents - refunded_cents) AS net
          FROM payment_allocations GROUP BY payment_id) a
 WHERE a.payment_id = p.id;

CREATE FUNCTION payment_applied_on_allocation() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') THEN
    UPDATE payments SET applied_cents = applied_cents - (OLD.amount_cents - OLD.refunded_cents)
     WHERE id = OLD.payment_id;
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') THEN
    UPDATE payments SET applied_cents = applied_cents + (NEW.amount_cents - NEW.refunded_cents)
     WHERE id = NEW.payment_id;
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER payment_applied_on_allocation_insert AFTER INSERT OR DELETE ON payment_allocations
  FOR EACH ROW EXECUTE FUNCTION payment_applied_on_allocation();
CREATE TRIGGER payment_applied_on_allocation_update
  AFTER UPDATE OF payment_id, amount_cents, refunded_cents ON payment_allocations
  FOR EACH ROW EXECUTE FUNCTION payment_applied_on_allocation();

CREATE INDEX payments_with_credit ON payments (customer_id, number)
 WHERE status <> 'failed' AND amount_cents - refunded_cents > applied_cents;

CREATE TABLE invoice_drafts (
  id TEXT COLLATE "C" PRIMARY KEY,
  number BIGINT NOT NULL UNIQUE,
  customer_id TEXT COLLATE "C" NOT NULL REFERENCES customers(id),
  items_json TEXT NOT NULL,
  due_date TEXT COLLATE "C" NOT NULL,
  notes TEXT NOT NULL DEFAULT '',
  status TEXT COLLATE "C" NOT NULL CHECK (status IN ('draft','finalized','deleted')),
  invoice_id TEXT COLLATE "C" NOT NULL DEFAULT '',
  created_at TEXT NOT NULL,
  created_by TEXT NOT NULL DEFAULT '',
  created_on_behalf_of TEXT NOT NULL DEFAULT '',
  updated_at TEXT NOT NULL,
  updated_by TEXT NOT NULL DEFAULT '',
  updated_on_behalf_of TEXT NOT NULL DEFAULT ''
);
CREATE INDEX invoice_drafts_open ON invoice_drafts (status, customer_id, number);

CREATE TABLE credit_note_counters (
  year BIGINT PRIMARY KEY,
  last_seq BIGINT NOT NULL
);

CREATE TABLE credit_notes (
  id TEXT COLLATE "C" PRIMARY KEY,
  year BIGINT NOT NULL,
  seq BIGINT NOT NULL,
  invoice_id TEXT COLLATE "C" NOT NULL REFERENCES invoices(id),
  customer_id TEXT COLLATE "C" NOT NULL REFERENCES customers(id),
  currency TEXT NOT NULL,
  subtotal_cents BIGINT NOT NULL CHECK (subtotal_cents >= 0),
  tax_cents BIGINT NOT NULL CHECK (tax_cents >= 0),
  total_cents BIGINT NOT NULL CHECK (total_cents > 0),
  due_reduced_cents BIGINT NOT NULL CHECK (due_reduced_cents >= 0),
  refunded_cents BIGINT NOT NULL CHECK (refunded_cents >= 0),
  credit_cents BIGINT NOT NULL CHECK (credit_cents >= 0),
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
