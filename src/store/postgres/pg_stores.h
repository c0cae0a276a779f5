// The PostgreSQL implementations of the storage interfaces (store/store.h, store/memory_store.h,
// store/idempotency_store.h, auth/key_store.h), all on one shared pg::Pool (pg_pool.h). Opened
// through store/backend.h, the one place that knows which backend runs. Each behaves exactly as
// its SQLite twin in src/store/sqlite/ (same rules, bounds, error codes and messages); the
// contract tests run against both.
//
// Thread-safety: every store is safe from any number of threads.
#pragma once

#include <memory>

#include "auth/key_store.h"
#include "common/clock.h"
#include "common/result.h"
#include "store/idempotency_store.h"
#include "store/memory_store.h"
#include "store/postgres/pg_pool.h"
#include "store/shared_rate_buckets.h"
#include "store/store.h"

namespace billing {

std::unique_ptr<Store> NewPostgresStore(std::shared_ptr<pg::Pool> pool);
// `clock` and `random` (ids) must outlive the store.
std::unique_ptr<MemoryStore> NewPostgresMemoryStore(std::shared_ptr<pg::Pool> pool,
                                                    const Clock& clock, RandomSource& random);
std::unique_ptr<IdempotencyStore> NewPostgresIdempotencyStore(std::shared_ptr<pg::Pool> pool);
std::unique_ptr<ApiKeyStore> NewPostgresApiKeyStore(std::shared_ptr<pg::Pool> pool);
std::unique_ptr<SharedRateBuckets> NewPostgresRateBuckets(std::shared_ptr<pg::Pool> pool);

}  // namespace billing
