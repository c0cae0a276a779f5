-- 001 (PostgreSQL): the whole schema of SQLite migrations 001-014 in PostgreSQL's dialect. The two
-- dialects are versioned apart (src/store/sqlite/migrations, src/store/postgres/migrations); a
-- table added later gets a migration in each, in the same change.
--
-- Differences from the SQLite schema, all deliberate:
--  * Amounts, counts and times are BIGINT (SQLite's INTEGER is 64-bit; PostgreSQL's is 32-bit).
--  * Ids and dates are TEXT COLLATE "C": lists order and page by them (keyset "id > $n"), and the
--    order must be the bytewise one SQLite uses, whatever the database's default collation.
--  * The running totals (customer_totals, invoices.paid_cents) and the append-only audit log are
--    kept by PL/pgSQL triggers instead of SQLite triggers, with the same rules.
--  * Writers take turns through one advisory lock (store/postgres/pg_pool.h), so the numbering
--    below (counters, MAX(number) + 1 for cards) is as race-free as under SQLite's single writer.

CREATE TABLE customers (
  id TEXT COLLATE "C" PRIMARY KEY,
  company TEXT NOT NULL,
  contact_name TEXT NOT NULL DEFAULT '',
  email TEXT NOT NULL DEFAULT '',
  billing_cycle TEXT NOT NULL CHECK (billing_cycle IN ('monthly','quarterly','annual')),
  payment_method TEXT NOT NULL CHECK (payment_method IN ('credit_card','bank_transfer','paypal','crypto')),
  status TEXT NOT NULL CHECK (status IN ('active','suspended')),
  currency TEXT NOT NULL DEFAULT 'USD',
  tax_rate_bp BIGINT,
  opening_balance_cents BIGINT NOT NULL DEFAULT 0,
  created_at TEXT NOT NULL
);

CREATE TABLE invoice_counters (
  year BIGINT PRIMARY KEY,
  last_seq BIGINT NOT NULL
);

CREATE TABLE invoices (
  id TEXT COLLATE "C" PRIMARY KEY,
  year BIGINT NOT NULL,
  seq BIGINT NOT NULL,
  customer_id TEXT COLLATE "C" NOT NULL REFERENCES customers(id),
  subtotal_cents BIGINT NOT NULL CHECK (subtotal_cents >= 0),
  tax_rate_bp BIGINT NOT NULL,
  tax_cents BIGINT NOT NULL CHECK (tax_cents >= 0),
  total_cents BIGINT NOT NULL,
  status TEXT COLLATE "C" NOT NULL CHECK (status IN ('pending','paid','cancelled')),
  issue_date TEXT COLLATE "C" NOT NULL,
  due_date TEXT COLLATE "C" NOT NULL,
  notes TEXT NOT NULL DEFAULT '',
  paid_date TEXT NOT NULL DEFAULT '',
  payment_method TEXT NOT NULL DEFAULT '',
  created_at TEXT NOT NULL,
  created_by TEXT NOT NULL DEFAULT '',
  updated_by TEXT NOT NULL DEFAULT '',
  paid_cents BIGINT NOT NULL DEFAULT 0,
  created_on_behalf_of TEXT NOT NULL DEFAULT '',
  updated_on_behalf_of TEXT NOT NULL DEFAULT '',
  UNIQUE (year, seq),
  CHECK (subtotal_cents + tax_cents = total_cents)
);
CREATE INDEX invoices_seq ON invoices (seq);
CREATE INDEX invoices_customer_due ON invoices (customer_id, due_date, id);
CREATE INDEX invoices_due ON invoices (due_date, id);
CREATE INDEX invoices_status_due ON invoices (status, due_date, id);
CREATE INDEX invoices_customer_status_due ON invoices (customer_id, status, due_date, id);

CREATE TABLE invoice_items (
  invoice_id TEXT COLLATE "C" NOT NULL REFERENCES invoices(id),
  position BIGINT NOT NULL,
  description TEXT NOT NULL,
  quantity_milli BIGINT NOT NULL CHECK (quantity_milli > 0),
  unit_price_cents BIGINT NOT NULL CHECK (unit_price_cents >= 0),
  amount_cents BIGINT NOT NULL,
  PRIMARY KEY (invoice_id, position)
);

CREATE TABLE counters (
  name TEXT COLLATE "C" PRIMARY KEY,
  value BIGINT NOT NULL
);

CREATE TABLE payment_methods (
  id TEXT COLLATE "C" PRIMARY KEY,
  number BIGINT NOT NULL UNIQUE,
  customer_id TEXT COLLATE "C" NOT NULL REFERENCES customers(id),
  type TEXT NOT NULL CHECK (type IN ('credit_card')),
  brand TEXT NOT NULL,
  last4 TEXT NOT NULL CHECK (length(last4) = 4),
  exp_month BIGINT NOT NULL CHECK (exp_month BETWEEN 1 AND 12),
  exp_year BIGINT NOT NULL,
  details_sealed TEXT NOT NULL,
  key_id TEXT NOT NULL,
  actor TEXT NOT NULL DEFAULT '',
  created_at TEXT NOT NULL,
  on_behalf_of TEXT NOT NULL DEFAULT ''
);
CREATE INDEX payment_methods_customer ON payment_methods (customer_id, number);

CREATE TABLE payments (
  id TEXT COLLATE "C" PRIMARY KEY,
  number BIGINT NOT NULL UNIQUE,
  customer_id TEXT COLLATE "C" NOT NULL REFERENCES customers(id),
  invoice_id TEXT NOT NULL DEFAULT '',
  amount_cents BIGINT NOT NULL CHECK (amount_cents > 0),
  refunded_cents BIGINT NOT NULL DEFAULT 0,
  method TEXT NOT NULL CHECK (method IN ('credit_card','bank_transfer','paypal','crypto')),
  status TEXT COLLATE "C" NOT NULL CHECK (status IN ('completed','failed','refunded','partially_refunded')),
  transaction_id TEXT NOT NULL UNIQUE,
  failure_reason TEXT NOT NULL DEFAULT '',
  actor TEXT NOT NULL DEFAULT '',
  created_at TEXT COLLATE "C" NOT NULL,
  payment_method_id TEXT NOT NULL DEFAULT '',
  on_behalf_of TEXT NOT NULL DEFAULT '',
  CHECK (refunded_cents >= 0 AND refunded_cents <= amount_cents)
);
CREATE INDEX payments_customer ON payments (customer_id, number);
CREATE INDEX payments_status_number ON payments (status, number);
CREATE INDEX payments_customer_status_number ON payments (customer_id, status, number);
CREATE INDEX payments_created_at ON payments (created_at, number);
CREATE INDEX payments_customer_created_at ON payments (customer_id, created_at, number);

CREATE TABLE payment_allocations (
  id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
  payment_id TEXT COLLATE "C" NOT NULL REFERENCES payments(id),
  invoice_id TEXT COLLATE "C" NOT NULL REFERENCES invoices(id),
  amount_cents BIGINT NOT NULL CHECK (amount_cents > 0),
  refunded_cents BIGINT NOT NULL DEFAULT 0,
  CHECK (refunded_cents >= 0 AND refunded_cents <= amount_cents)
);
CREATE INDEX allocations_payment ON payment_allocations (payment_id);
CREATE INDEX allocations_invoice ON payment_allocations (invoice_id);

CREATE TABLE refunds (
  id TEXT COLLATE "C" PRIMARY KEY,
  number BIGINT NOT NULL UNIQUE,
  payment_id TEXT COLLATE "C" NOT NULL REFERENCES payments(id),
  amount_cents BIGINT NOT NULL CHECK (amount_cents > 0),
  reason TEXT NOT NULL DEFAULT '',
  transaction_id TEXT NOT NULL UNIQUE,
  created_at TEXT NOT NULL,
  actor TEXT NOT NULL DEFAULT '',
  on_behalf_of TEXT NOT NULL DEFAULT ''
);
CREATE INDEX refunds_payment ON refunds (payment_id);

-- Running ledger totals per customer (SQLite migration 008).
CREATE TABLE customer_totals (
  customer_id TEXT COLLATE "C" PRIMARY KEY REFERENCES customers(id),
  invoiced_cents BIGINT NOT NULL DEFAULT 0,  -- invoices not cancelled: total_cents
  paid_cents BIGINT NOT NULL DEFAULT 0,      -- payments not failed: amount_cents
  refunded_cents BIGINT NOT NULL DEFAULT 0   -- all payments: refunded_cents
);

CREATE FUNCTION customer_totals_on_customer() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO customer_totals (customer_id) VALUES (NEW.id);
  RETURN NULL;
END $$;
CREATE TRIGGER customer_totals_on_customer AFTER INSERT ON customers
  FOR EACH ROW EXECUTE FUNCTION customer_totals_on_customer();

CREATE FUNCTION customer_totals_on_invoice() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.status <> 'cancelled' THEN
    UPDATE customer_totals SET invoiced_cents = invoiced_cents - OLD.total_cents
     WHERE customer_id = OLD.customer_id;
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.status <> 'cancelled' THEN
    UPDATE customer_totals SET invoiced_cents = invoiced_cents + NEW.total_cents
     WHERE customer_id = NEW.customer_id;
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER customer_totals_on_invoice_insert AFTER INSERT OR DELETE ON invoices
  FOR EACH ROW EXECUTE FUNCTION customer_totals_on_invoice();
CREATE TRIGGER customer_totals_on_invoice_update
  AFTER UPDATE OF customer_id, status, total_cents ON invoices
  FOR EACH ROW EXECUTE FUNCTION customer_totals_on_invoice();

CREATE FUNCTION customer_totals_on_payment() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') THEN
    UPDATE customer_totals
       SET paid_cents = paid_cents - CASE WHEN OLD.status <> 'failed' THEN OLD.amount_cents ELSE 0 END,
           refunded_cents = refunded_cents - OLD.refunded_cents
     WHERE customer_id = OLD.customer_id;
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') THEN
    UPDATE customer_totals
       SET paid_cents = paid_cents + CASE WHEN NEW.status <> 'failed' THEN NEW.amount_cents ELSE 0 END,
           refunded_cents = refunded_cents + NEW.refunded_cents
     WHERE customer_id = NEW.customer_id;
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER customer_totals_on_payment_insert AFTER INSERT OR DELETE ON payments
  FOR EACH ROW EXECUTE FUNCTION customer_totals_on_payment();
CREATE TRIGGER customer_totals_on_payment_update
  AFTER UPDATE OF customer_id, status, amount_cents, refunded_cents ON payments
  FOR EACH ROW EXECUTE FUNCTION customer_totals_on_payment();

-- Each invoice's paid amount, its allocations net of their refunds (SQLite migration 010).
CREATE FUNCTION invoice_paid_on_allocation() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') THEN
    UPDATE invoices SET paid_cents = paid_cents - (OLD.amount_cents - OLD.refunded_cents)
     WHERE id = OLD.invoice_id;
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') THEN
    UPDATE invoices SET paid_cents = paid_cents + (NEW.amount_cents - NEW.refunded_cents)
     WHERE id = NEW.invoice_id;
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER invoice_paid_on_allocation_insert AFTER INSERT OR DELETE ON payment_allocations
  FOR EACH ROW EXECUTE FUNCTION invoice_paid_on_allocation();
CREATE TRIGGER invoice_paid_on_allocation_update
  AFTER UPDATE OF invoice_id, amount_cents, refunded_cents ON payment_allocations
  FOR EACH ROW EXECUTE FUNCTION invoice_paid_on_allocation();

-- The audit log (SQLite migrations 004 and 013): hash-chained rows, append-only by trigger.
CREATE TABLE audit_log (
  seq BIGINT PRIMARY KEY,
  at TEXT NOT NULL,
  actor TEXT COLLATE "C" NOT NULL DEFAULT '',
  action TEXT NOT NULL,
  entity_type TEXT NOT NULL,
  entity_id TEXT NOT NULL DEFAULT '',
  before_json TEXT NOT NULL DEFAULT 'null',
  after_json TEXT NOT NULL DEFAULT 'null',
  request_id TEXT NOT NULL DEFAULT '',
  prev_hash TEXT NOT NULL,
  hash TEXT NOT NULL,
  on_behalf_of TEXT COLLATE "C" NOT NULL DEFAULT '',
  chain_version BIGINT NOT NULL DEFAULT 1 CHECK (chain_version = 1 OR chain_version = 2)
);
CREATE INDEX audit_log_actor ON audit_log (actor, seq);
CREATE INDEX audit_log_on_behalf_of ON audit_log (on_behalf_of, seq);

CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_log is append-only';
END $$;
CREATE TRIGGER audit_log_no_update BEFORE UPDATE OR DELETE ON audit_log
  FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
  FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();

-- Operation keys and stored HTTP answers (SQLite migration 006).
CREATE TABLE operations (
  op_key TEXT COLLATE "C" PRIMARY KEY,
  kind TEXT NOT NULL,
  fingerprint TEXT NOT NULL,
  entity_id TEXT NOT NULL,
  detail_id TEXT NOT NULL DEFAULT '',
  created_at TEXT NOT NULL
);

CREATE TABLE idempotency_keys (
  owner TEXT COLLATE "C" NOT NULL,
  idem_key TEXT COLLATE "C" NOT NULL,
  fingerprint TEXT NOT NULL,
  status BIGINT NOT NULL,
  content_type TEXT NOT NULL,
  body TEXT NOT NULL,  -- an HTTP response body: UTF-8 JSON text
  created_ms BIGINT NOT NULL,
  PRIMARY KEY (owner, idem_key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_ms);

-- API keys (SQLite migration 005): only the SHA-256 of a key is stored.
CREATE TABLE api_keys (
  prefix TEXT COLLATE "C" PRIMARY KEY,
  key_hash TEXT NOT NULL,
  name TEXT NOT NULL DEFAULT '',
  scopes TEXT NOT NULL,
  created_at TEXT COLLATE "C" NOT NULL,
  revoked_at TEXT NOT NULL DEFAULT ''
);

-- Conversation memory (SQLite migration 002).
CREATE TABLE memory_threads (
  id TEXT COLLATE "C" PRIMARY KEY,
  resource_id TEXT COLLATE "C" NOT NULL,
  title TEXT NOT NULL DEFAULT '',
  metadata TEXT NOT NULL DEFAULT '{}',
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);
CREATE INDEX memory_threads_resource ON memory_threads (resource_id, updated_at);

CREATE TABLE memory_messages (
  id TEXT COLLATE "C" PRIMARY KEY,
  thread_id TEXT COLLATE "C" NOT NULL REFERENCES memory_threads(id) ON DELETE CASCADE,
  resource_id TEXT NOT NULL,
  seq BIGINT NOT NULL,
  role TEXT NOT NULL,
  content_json TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  UNIQUE (thread_id, seq)
);
