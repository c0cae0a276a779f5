-- 019: automatic collection, retries and dunning (automated-billing.md "Collection, retries,
-- dunning"; docs/collection.md).
--
-- * invoice_collections: one row per subscription invoice, how it is collected. An automatic one
--   is charged on next_attempt_date by a billing run; a declined charge schedules the next retry
--   there, and a row with nothing more to try has none (so the partial index holds only the rows
--   a run still has to look at).
-- * invoices.overdue_state: 0 = not yet seen overdue by a billing run, 1 = seen (its
--   invoice.overdue event was sent and its customer is in dunning until it is settled),
--   2 = exempt: already overdue when this migration ran (history from before dunning existed).
-- * dunning_cases: the customers in dunning, whether dunning suspended them (only those are
--   reinstated automatically; a suspension by hand stays) and the day a run next has a step to
--   take for them (so a run visits only those). dunning_steps: each step once per invoice, by
--   its key.
ALTER TABLE invoices ADD COLUMN overdue_state INTEGER NOT NULL DEFAULT 0
  CHECK (overdue_state >= 0 AND overdue_state <= 2);
UPDATE invoices SET overdue_state = 2 WHERE status = 'pending' AND due_date < date('now');
CREATE INDEX invoices_overdue_watch ON invoices (due_date, id)
  WHERE status = 'pending' AND overdue_state = 0;
CREATE INDEX invoices_dunned ON invoices (customer_id, due_date, id)
  WHERE status = 'pending' AND overdue_state = 1;

CREATE TABLE invoice_collections (
  invoice_id TEXT PRIMARY KEY REFERENCES invoices(id),
  subscription_id TEXT NOT NULL REFERENCES subscriptions(id),
  customer_id TEXT NOT NULL REFERENCES customers(id),
  method TEXT NOT NULL CHECK (method = 'send_invoice' OR method = 'automatic'),
  state TEXT NOT NULL CHECK (state IN ('awaiting_payment', 'scheduled', 'retrying', 'paid',
                                       'stopped', 'hard_declined', 'exhausted')),
  attempts INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0 AND attempts <= 9),
  issued_date TEXT NOT NULL,
  first_decline_date TEXT NOT NULL DEFAULT '',
  next_attempt_date TEXT,
  last_decline_code TEXT NOT NULL DEFAULT '',
  updated_at TEXT NOT NULL,
  CHECK (next_attempt_date IS NULL OR state IN ('scheduled', 'retrying'))
);
CREATE INDEX invoice_collections_due ON invoice_collections (next_attempt_date, invoice_id)
  WHERE next_attempt_date IS NOT NULL;
CREATE INDEX invoice_collections_subscription
  ON invoice_collections (subscription_id, issued_date, invoice_id);

CREATE TABLE dunning_cases (
  customer_id TEXT PRIMARY KEY REFERENCES customers(id),
  opened_date TEXT NOT NULL,
  suspended_by_dunning INTEGER NOT NULL DEFAULT 0
    CHECK (suspended_by_dunning = 0 OR suspended_by_dunning = 1),
  next_step_date TEXT -- when a run next has a step to take; NULL = none left
);
CREATE INDEX dunning_cases_due ON dunning_cases (next_step_date, customer_id)
  WHERE next_step_date IS NOT NULL;

CREATE TABLE dunning_steps (
  invoice_id TEXT NOT NULL REFERENCES invoices(id),
  step_day INTEGER NOT NULL CHECK (step_day >= 1),
  action TEXT NOT NULL CHECK (action IN ('reminder', 'warning', 'suspend')),
  customer_id TEXT NOT NULL REFERENCES customers(id),
  done_date TEXT NOT NULL,
  PRIMARY KEY (invoice_id, step_day)
);
