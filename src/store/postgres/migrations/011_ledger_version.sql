-- The ledger's version (pg::OverviewCache, docs/postgres.md "Read cache"): every write
-- transaction of the ledger store adds one to v under the writers' lock, so two snapshots that
-- read the same (epoch, v) hold the same ledger. epoch is random per database, so a database
-- recreated under the same URL never matches what an instance cached from the old one.
CREATE TABLE ledger_version (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  epoch BIGINT NOT NULL,
  v BIGINT NOT NULL
);
INSERT INTO ledger_version (id, epoch, v)
  VALUES (1, floor(random() * 9000000000000000000)::bigint, 0);
