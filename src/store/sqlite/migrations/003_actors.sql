-- 003: who caused each change (CometChat sender, API caller), recorded with the change itself.
ALTER TABLE invoices ADD COLUMN created_by TEXT NOT NULL DEFAULT '';
ALTER TABLE invoices ADD COLUMN updated_by TEXT NOT NULL DEFAULT '';
ALTER TABLE refunds ADD COLUMN actor TEXT NOT NULL DEFAULT '';
