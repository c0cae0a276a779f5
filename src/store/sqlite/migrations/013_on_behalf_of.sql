-- 013: who really acted (issue #17). `actor`/`created_by`/`updated_by` now always hold the
-- authenticated principal (key:<prefix>, jwt:<sub>, dev, seed); the end user a caller claims to act
-- for is kept apart in `*on_behalf_of`. Audit rows record the chain rule that hashed them
-- (billing/audit.h): rows written before this migration are version 1 and keep verifying by it;
-- new rows are version 2, whose hash also covers on_behalf_of. The indexes let the audit log be
-- filtered by actor or by claimed end user in seq order.
ALTER TABLE invoices ADD COLUMN created_on_behalf_of TEXT NOT NULL DEFAULT '';
ALTER TABLE invoices ADD COLUMN updated_on_behalf_of TEXT NOT NULL DEFAULT '';
ALTER TABLE payments ADD COLUMN on_behalf_of TEXT NOT NULL DEFAULT '';
ALTER TABLE refunds ADD COLUMN on_behalf_of TEXT NOT NULL DEFAULT '';
ALTER TABLE payment_methods ADD COLUMN on_behalf_of TEXT NOT NULL DEFAULT '';
ALTER TABLE audit_log ADD COLUMN on_behalf_of TEXT NOT NULL DEFAULT '';
ALTER TABLE audit_log ADD COLUMN chain_version INTEGER NOT NULL DEFAULT 1
  CHECK (chain_version = 1 OR chain_version = 2);
CREATE INDEX audit_log_actor ON audit_log (actor, seq);
CREATE INDEX audit_log_on_behalf_of ON audit_log (on_behalf_of, seq);
