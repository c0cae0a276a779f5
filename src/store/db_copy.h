// CopySqliteToPostgres: moves every store of a SQLite database (the ledger, audit log, operation
// keys, stored Idempotency-Key answers, API keys, sealed cards, conversation memory) into an empty
// PostgreSQL database, in one PostgreSQL transaction: the copy is all there or not at all.
//
// The source is opened as the server opens it (pending SQLite migrations applied), read in one
// snapshot, and never changed. The target is migrated, then refused with kFailedPrecondition if any
// of its tables holds a row. Derived columns are not copied but rebuilt from the copied rows with
// the rules of the target's triggers (the per-customer running totals, each invoice's paid
// amount), once at the end: the triggers that keep them row by row are off during the copy (so
// the target's tables must belong to the user of `postgres_url`, as they do when it migrated
// them). The caller checks invariants and the audit chain on the copy (app/db_command.h does):
// the ledger's own sums against those columns.
//
// Thread-safety: runs on the calling thread with connections of its own; nothing may write to
// the source while it runs (stop the server first).
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "common/result.h"

namespace billing {

struct CopyReport {
  std::map<std::string, int64_t> rows;  // table -> rows copied
  int64_t total_rows = 0;
};

Result<CopyReport> CopySqliteToPostgres(const std::string& sqlite_path,
                                        const std::string& postgres_url);

}  // namespace billing
