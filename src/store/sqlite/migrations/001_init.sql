-- 001: the ledger. Amounts are INTEGER minor units; statuses are lower_snake text.
CREATE TABLE customers (
  id TEXT PRIMARY KEY,
  company TEXT NOT NULL,
  contact_name TEXT NOT NULL DEFAULT '',
  email TEXT NOT NULL DEFAULT '',
  billing_cycle TEXT NOT NULL CHECK (billing_cycle IN ('monthly','quarterly','annual')),
  payment_method TEXT NOT NULL CHECK (payment_method IN ('credit_card','bank_transfer','paypal','crypto')),
  status TEXT NOT NULL CHECK (status IN ('active','suspended')),
  currency TEXT NOT NULL DEFAULT 'USD',
  tax_rate_bp INTEGER,
  opening_balance_cents INTEGER NOT NULL DEFAULT 0,
  created_at TEXT NOT NULL
);

CREATE TABLE invoice_counters (
  year INTEGER PRIMARY KEY,
  last_seq INTEGER NOT NULL
);

CREATE TABLE invoices (
  id TEXT PRIMARY KEY,
  year INTEGER NOT NULL,
  seq INTEGER NOT NULL,
  customer_id TEXT NOT NULL REFERENCES customers(id),
  subtotal_cents INTEGER NOT NULL CHECK (subtotal_cents >= 0),
  tax_rate_bp INTEGER NOT NULL,
  tax_cents INTEGER NOT NULL CHECK (tax_cents >= 0),
  total_cents INTEGER NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('pending','paid','cancelled')),
  issue_date TEXT NOT NULL,
  due_date TEXT NOT NULL,
  notes TEXT NOT NULL DEFAULT '',
  paid_date TEXT NOT NULL DEFAULT '',
  payment_method TEXT NOT NULL DEFAULT '',
  created_at TEXT NOT NULL,
  UNIQUE (year, seq),
  CHECK (subtotal_cents + tax_cents = total_cents)
);
CREATE INDEX invoices_customer ON invoices(customer_id);
CREATE INDEX invoices_seq ON invoices(seq);

CREATE TABLE invoice_items (
  invoice_id TEXT NOT NULL REFERENCES invoices(id),
  position INTEGER NOT NULL,
  description TEXT NOT NULL,
  quantity_milli INTEGER NOT NULL CHECK (quantity_milli > 0),
  unit_price_cents INTEGER NOT NULL CHECK (unit_price_cents >= 0),
  amount_cents INTEGER NOT NULL,
  PRIMARY KEY (invoice_id, position)
);

CREATE TABLE counters (
  name TEXT PRIMARY KEY,
  value INTEGER NOT NULL
);

CREATE TABLE payments (
  id TEXT PRIMARY KEY,
  number INTEGER NOT NULL UNIQUE,
  customer_id TEXT NOT NULL REFERENCES customers(id),
  invoice_id TEXT NOT NULL DEFAULT '',
  amount_cents INTEGER NOT NULL CHECK (amount_cents > 0),
  refunded_cents INTEGER NOT NULL DEFAULT 0,
  method TEXT NOT NULL CHECK (method IN ('credit_card','bank_transfer','paypal','crypto')),
  status TEXT NOT NULL CHECK (status IN ('completed','failed','refunded','partially_refunded')),
  transaction_id TEXT NOT NULL UNIQUE,
  failure_reason TEXT NOT NULL DEFAULT '',
  actor TEXT NOT NULL DEFAULT '',
  created_at TEXT NOT NULL,
  CHECK (refunded_cents >= 0 AND refunded_cents <= amount_cents)
);
CREATE INDEX payments_customer ON payments(customer_id, number);
CREATE INDEX payments_status ON payments(status);

CREATE TABLE payment_allocations (
  id INTEGER PRIMARY KEY,
  payment_id TEXT NOT NULL REFERENCES payments(id),
  invoice_id TEXT NOT NULL REFERENCES invoices(id),
  amount_cents INTEGER NOT NULL CHECK (amount_cents > 0),
  refunded_cents INTEGER NOT NULL DEFAULT 0,
  CHECK (refunded_cents >= 0 AND refunded_cents <= amount_cents)
);
CREATE INDEX allocations_payment ON payment_allocations(payment_id);
CREATE INDEX allocations_invoice ON payment_allocations(invoice_id);

CREATE TABLE refunds (
  id TEXT PRIMARY KEY,
  number INTEGER NOT NULL UNIQUE,
  payment_id TEXT NOT NULL REFERENCES payments(id),
  amount_cents INTEGER NOT NULL CHECK (amount_cents > 0),
  reason TEXT NOT NULL DEFAULT '',
  transaction_id TEXT NOT NULL UNIQUE,
  created_at TEXT NOT NULL
);
CREATE INDEX refunds_payment ON refunds(payment_id);
