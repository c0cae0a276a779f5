-- Customer-bound API keys, as SQLite's 024. '' = not bound.
ALTER TABLE api_keys ADD COLUMN customer_id TEXT COLLATE "C" NOT NULL DEFAULT '';
