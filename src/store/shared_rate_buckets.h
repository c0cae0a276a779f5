// SharedRateBuckets: token-bucket state kept in the database, so that every instance serving one
// database draws a caller's tokens from the same bucket (a caller cannot multiply the payments
// limit by spreading requests over instances). store/backend.h opens it only where several
// instances can share a database (PostgreSQL); a SQLite file is served by one process, whose
// in-memory buckets (http/rate_limiter.h) are already the whole truth.
//
// The state is not the ledger: it may be forgotten in a crash (the bucket is then full again),
// so it is written without waiting for a flush, and never half-written.
//
// Thread-safety: safe to use from many threads at once; Update serialises callers of one bucket
// (a row lock), not callers of different buckets.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "common/result.h"

namespace billing {

// Thousandths of a token, and when the bucket last gained tokens (Unix ms).
struct RateBucket {
  int64_t tokens_milli = 0;
  int64_t updated_ms = 0;
};

class SharedRateBuckets {
 public:
  virtual ~SharedRateBuckets() = default;
  // Runs `take` on the bucket `key` while no other caller can: `take` gets its stored state
  // (nullopt: no bucket yet) and returns the state to store. `take` may run more than once (a
  // retry after a conflict or a lost connection) and must touch nothing but what it returns and
  // outputs it sets afresh on each run. Errors: kDatabaseUnavailable, kInternal.
  virtual Status Update(const std::string& key,
                        const std::function<RateBucket(std::optional<RateBucket>)>& take) = 0;
  // Deletes at most `limit` buckets that gained nothing since `before_ms`; returns how many.
  virtual Result<int64_t> Purge(int64_t before_ms, int limit) = 0;
};

}  // namespace billing
