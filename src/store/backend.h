// The one place that knows the storage backends: opens the ledger, conversation memory, stored
// idempotent answers and API keys on the database a `--db` value names. A file path is SQLite
// (store/sqlite/, the embedded default); "postgres://..." or "postgresql://..." is PostgreSQL
// (store/postgres/), where every store lives in that database and no file is created. Stores
// opened on one database share one connection pool (and so one group-commit writer queue).
//
// Thread-safety: the open functions may be called from any thread; the stores are thread-safe.
#pragma once

#include <memory>
#include <string>

#include "auth/key_store.h"
#include "common/clock.h"
#include "common/result.h"
#include "store/idempotency_store.h"
#include "store/memory_store.h"
#include "store/shared_rate_buckets.h"
#include "store/store.h"

namespace billing {

struct BackendOptions {
  std::string db;           // a SQLite file path or a PostgreSQL URL
  int max_connections = 8;  // SQLite: per store; PostgreSQL: the pool (BILLING_DB_POOL)
  int timeout_ms = 5000;    // SQLite busy timeout; PostgreSQL connect/pool/statement/lock bound
  // This process among the instances sharing a database (PostgreSQL; pg::PoolOptions::instance).
  std::string instance = {};
  int read_cache_entries = 256;  // PostgreSQL: BILLING_DB_CACHE (pg::PoolOptions)
};

// True for "postgres://..." and "postgresql://...".
bool IsPostgresDb(const std::string& db);
// "sqlite ./data/billing.db" or "postgres host db.internal:5432 database billing" (never a
// password), for the start-up log.
std::string DescribeBackend(const BackendOptions& options);
// A --db value (or anything that may be a URL) as messages may show it: never a password.
std::string RedactedDb(const std::string& db);

Result<std::unique_ptr<Store>> OpenStore(const BackendOptions& options);
// `clock` and `random` (ids) must outlive the store.
Result<std::unique_ptr<MemoryStore>> OpenMemoryStore(const BackendOptions& options,
                                                     const Clock& clock, RandomSource& random);
Result<std::unique_ptr<IdempotencyStore>> OpenIdempotencyStore(const BackendOptions& options);
Result<std::unique_ptr<ApiKeyStore>> OpenApiKeyStore(const BackendOptions& options);
// Rate-limit buckets shared by every instance on the database; nullptr where one process serves
// the database (SQLite), whose own in-memory buckets are then the whole truth.
Result<std::unique_ptr<SharedRateBuckets>> OpenSharedRateBuckets(const BackendOptions& options);

}  // namespace billing
