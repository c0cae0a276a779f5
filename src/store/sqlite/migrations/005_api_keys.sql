-- 005: API keys. Only the SHA-256 hash of a key is stored, with its public prefix for listing.
CREATE TABLE api_keys (
  prefix     TEXT PRIMARY KEY,
  key_hash   TEXT NOT NULL,
  name       TEXT NOT NULL DEFAULT '',
  scopes     TEXT NOT NULL,
  created_at TEXT NOT NULL,
  revoked_at TEXT NOT NULL DEFAULT ''
);
