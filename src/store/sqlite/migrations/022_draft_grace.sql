-- 022: subscription invoices held as drafts for a grace period (BILLING_DRAFT_HOURS,
-- automated-billing.md "Invoice lifecycle"): the draft names its subscription and when the billing
-- run finalizes it; the partial index holds only drafts waiting for that, so a run finds the due
-- ones without reading the rest.
ALTER TABLE invoice_drafts ADD COLUMN subscription_id TEXT NOT NULL DEFAULT '';
ALTER TABLE invoice_drafts ADD COLUMN finalize_at TEXT NOT NULL DEFAULT '';
CREATE INDEX invoice_drafts_due ON invoice_drafts (finalize_at, number)
  WHERE status = 'draft' AND finalize_at <> '';
