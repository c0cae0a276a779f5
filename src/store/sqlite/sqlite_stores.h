// The SQLite implementations of the storage interfaces besides the ledger's Store (which
// store/store.h opens): conversation memory, stored Idempotency-Key answers and API keys, each on
// the ledger's database file, sharing its connection pool (SqliteOptions::share_pool). Opened
// through store/backend.h by the server; tests that need SQLite itself open them here.
//
// Thread-safety: every store is safe from any number of threads.
#pragma once

#include <memory>

#include "auth/key_store.h"
#include "common/clock.h"
#include "common/result.h"
#include "store/idempotency_store.h"
#include "store/memory_store.h"
#include "store/store.h"

namespace billing {

// Each opens (creating and migrating if needed) the database file options.path.
// `clock` and `random` (ids) must outlive the memory store.
Result<std::unique_ptr<MemoryStore>> OpenSqliteMemoryStore(const SqliteOptions& options,
                                                           const Clock& clock,
                                                           RandomSource& random);
Result<std::unique_ptr<IdempotencyStore>> OpenSqliteIdempotencyStore(const SqliteOptions& options);
Result<std::unique_ptr<ApiKeyStore>> OpenSqliteApiKeyStore(const SqliteOptions& options);

}  // namespace billing
