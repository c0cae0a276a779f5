-- State the instances on one database share that is not the ledger (docs/postgres.md, "What is
-- shared"). SQLite has no counterpart: a SQLite file is served by one process, whose memory holds
-- the same state.
--
-- Token buckets of the payments rate limit (store/shared_rate_buckets.h). UNLOGGED: no WAL, so
-- an update costs no flush; after a crash the table is empty (every bucket full again), which a
-- rate limit can afford and a ledger could not.
CREATE UNLOGGED TABLE rate_buckets (
  bucket TEXT COLLATE "C" PRIMARY KEY,
  tokens_milli BIGINT NOT NULL CHECK (tokens_milli >= 0),
  updated_ms BIGINT NOT NULL
);
CREATE INDEX rate_buckets_updated ON rate_buckets (updated_ms);

-- An Idempotency-Key whose first request is still running on some instance: a row with status 0
-- and the instance in in_flight_by (store/idempotency_store.h, MarkInFlight). Its response
-- replaces it; a response that is not stored deletes it.
ALTER TABLE idempotency_keys ADD COLUMN in_flight_by TEXT NOT NULL DEFAULT '';
