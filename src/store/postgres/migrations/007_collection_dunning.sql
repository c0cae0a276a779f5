-- Automatic collection, retries and dunning, as SQLite's 019 (automated-billing.md "Collection,
-- retries, dunning"; docs/collection.md): invoice_collections (how each subscription invoice is
-- collected; next_attempt_date only while a run still has to charge it), invoices.overdue_state
-- (0 not yet seen overdue, 1 seen and dunned, 2 exempt: already overdue when this ran),
-- dunning_cases and dunning_steps (each step once per invoice, by its key).
ALTER TABLE invoices ADD COLUMN overdue_state BIGINT NOT NULL DEFAULT 0
  CHECK (overdue_state >= 0 AND overdue_state <= 2);
UPDATE invoices SET overdue_state = 2 WHERE status = 'pending' AND due_date < CURRENT_DATE::text;
CREATE INDEX invoices_overdue_watch ON invoices (due_date, id)
  WHERE status = 'pending' AND overdue_state = 0;
CREATE INDEX invoices_dunned ON invoices (customer_id, due_date, id)
  WHERE status = 'pending' AND overdue_state = 1;

CREATE TABLE invoice_collections (
  invoice_id TEXT COLLATE "C" PRIMARY KEY REFERENCES invoices(id),
  subscription_id TEXT COLLATE "C" NOT NULL REFERENCES subscriptions(id),
  customer_id TEXT COLLATE "C" NOT NULL REFERENCES customers(id),
  method TEXT COLLATE "C" NOT NULL CHECK (method = 'send_invoice' OR method = 'automatic'),
  state TEXT COLLATE "C" NOT NULL CHECK (state IN ('awaiting_payment', 'scheduled', 'retrying', 'paid',
                                       'stopped', 'hard_declined', 'exhausted')),
  attempts BIGINT NOT NULL DEFAULT 0 CHECK (attempts >= 0 AND attempts <= 9),
  issued_date TEXT COLLATE "C" NOT NULL,
  first_decline_date TEXT COLLATE "C" NOT NULL DEFAULT '',
  next_attempt_date TEXT COLLATE "C",
  last_decline_code TEXT COLLATE "C" NOT NULL DEFAULT '',
  updated_at TEXT COLLATE "C" NOT NULL,
  CHECK (next_attempt_date IS NULL OR state IN ('scheduled', 'retrying'))
);
CREATE INDEX invoice_collections_due ON invoice_collections (next_attempt_date, invoice_id)
  WHERE next_attempt_date IS NOT NULL;
CREATE INDEX invoice_collections_subscription
  ON invoice_collections (subscription_id, issued_date, invoice_id);

CREATE TABLE dunning_cases (
  customer_id TEXT COLLATE "C" PRIMARY KEY REFERENCES customers(id),
  opened_date TEXT COLLATE "C" NOT NULL,
  suspended_by_dunning BIGINT NOT NULL DEFAULT 0
    CHECK (suspended_by_dunning = 0 OR suspended_by_dunning = 1),
  next_step_date TEXT COLLATE "C" -- when a run next has a step to take; NULL = none left
);
CREATE INDEX dunning_cases_due ON dunning_cases (next_step_date, customer_id)
  WHERE next_step_date IS NOT NULL;

CREATE TABLE dunning_steps (
  invoice_id TEXT COLLATE "C" NOT NULL REFERENCES invoices(id),
  step_day BIGINT NOT NULL CHECK (step_day >= 1),
  action TEXT COLLATE "C" NOT NULL CHECK (action IN ('reminder', 'warning', 'suspend')),
  customer_id TEXT COLLATE "C" NOT NULL REFERENCES customers(id),
  done_date TEXT COLLATE "C" NOT NULL,
  PRIMARY KEY (invoice_id, step_day)
);
