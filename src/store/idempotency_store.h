// IdempotencyStore: the first response to a POST sent with an Idempotency-Key, kept per caller
// and key so that a retry gets the same answer (http/idempotency.h has the rules). Rows older
// than the retention window are ignored by Find and removed by Purge.
//
// Thread-safety: safe to use from many threads at once.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "common/result.h"

namespace billing {

struct StoredResponse {
  std::string fingerprint;  // SHA-256 hex of the request (method, target, body)
  int status = 0;
  std::string content_type;
  std::string body;
  int64_t created_ms = 0;  // Unix time in milliseconds
};

class IdempotencyStore {
 public:
  virtual ~IdempotencyStore() = default;
  // The stored response of (owner, key) created at or after not_before_ms, if any.
  virtual Result<std::optional<StoredResponse>> Find(const std::string& owner,
                                                     const std::string& key,
                                                     int64_t not_before_ms) = 0;
  // Stores (or replaces an expired) response for (owner, key). Durable when it returns OK.
  virtual Status Save(const std::string& owner, const std::string& key,
                      const StoredResponse& response) = 0;
  // Deletes at most `limit` rows created before `before_ms`; returns how many.
  virtual Result<int64_t> Purge(int64_t before_ms, int limit) = 0;

  // Marks, for the other instances on the database, that (owner, key) is running on this one
  // (the instance the store was opened for, store/backend.h). kMarked: the mark is ours: there
  // was none, or only a dead one: left by this instance (whose in-memory set says that request
  // is over), by an instance that is gone (crashed or stopped), or older than `stale_before_ms`.
  // kHeldElsewhere: a live instance's request is running. kStored: a response created at or
  // after `not_before_ms` is there (in *stored), so nothing was marked. Find never returns a
  // mark. A mark may be lost in a crash (a hint between instances, not a record); Save replaces
  // it and ClearInFlight removes it.
  enum class Mark { kMarked, kHeldElsewhere, kStored };
  virtual Result<Mark> MarkInFlight(const std::string& owner, const std::string& key,
                                    int64_t now_ms, int64_t stale_before_ms,
                                    int64_t not_before_ms,
                                    std::optional<StoredResponse>* stored) = 0;
  // Removes this instance's mark on (owner, key), if it is still there.
  virtual Status ClearInFlight(const std::string& owner, const std::string& key) = 0;
};


}  // namespace billing
