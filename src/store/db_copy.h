// CopySqliteToPostgres: moves every store of a SQLite database (the ledger, audit log, operation
// keys, stored Idempotency-Key answers, API keys, sealed cards, conversation memory) into an empty
// PostgreSQL database, in one PostgreSQL transaction: the copy is all there or not at all.
//
// The source is opened as the server opens it (pending SQLite migrations applied), read in one
// snapshot, and never changed. The target is migrated, then refused with kFailedPrecondition if any
// of its tables holds a row. Derived columns are not copied but rebuilt by the target's own
// triggers from the rows (the per-customer running totals, each invoice's paid amount), so the
// invariant check afterwards compares them with sums the copy did not write. The caller checks
// invariants and the audit chain on the copy (app/db_command.h does).
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
