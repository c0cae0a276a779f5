-- Customer-bound API keys (integration.md "Access"): a key made with --customer acts for that
-- customer only. '' = not bound.
ALTER TABLE api_keys ADD COLUMN customer_id TEXT NOT NULL DEFAULT '';
