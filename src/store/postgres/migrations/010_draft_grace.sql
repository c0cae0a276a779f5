-- Subscription invoices held as drafts for a grace period, as SQLite's 022.
ALTER TABLE invoice_drafts ADD COLUMN subscription_id TEXT NOT NULL DEFAULT '';
ALTER TABLE invoice_drafts ADD COLUMN finalize_at TEXT NOT NULL DEFAULT '';
CREATE INDEX invoice_drafts_due ON invoice_drafts (finalize_at, number)
  WHERE status = 'draft' AND finalize_at <> '';
