// pg::OverviewCache: the customer views (StoreTx::ReadCustomerOverview) one process read last
// from PostgreSQL, each kept with the ledger version it was read at (migration 011). A read
// whose snapshot shows the same version gets the kept view after one round trip of one
// single-row statement, instead of the view's eight statements in two more round trips: every
// write transaction of the ledger store bumps the version under the writers' lock, so the same
// version means the same ledger, whichever instance wrote it (docs/postgres.md "Read cache").
// Only the records are kept; what depends on the time (overdue counts) is part of the key.
//
// Bounds: at most `max_entries` views, all of one version (a newer version drops the older
// views, which can never be served again); a view of more than kMaxRowsPerView records is not
// kept. max_entries 0 turns the cache off.
//
// Thread-safety: safe from any number of threads (one mutex; a view is copied out under it).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "store/store.h"

namespace billing::pg {

// The ledger_version row: `epoch` names the database, `v` counts its ledger's write transactions.
struct LedgerVersion {
  int64_t epoch = 0;
  int64_t v = -1;
  bool operator==(const LedgerVersion&) const = default;
};

inline constexpr const char* kLedgerVersionSql = "SELECT epoch, v FROM ledger_version WHERE id = 1";
inline constexpr const char* kBumpLedgerVersionSql =
    "UPDATE ledger_version SET v = v + 1 WHERE id = 1";

class OverviewCache {
 public:
  static constexpr size_t kMaxRowsPerView = 400;
  static constexpr size_t kMaxEntriesLimit = 4096;  // BILLING_DB_CACHE's upper bound

  explicit OverviewCache(size_t max_entries);
  OverviewCache(const OverviewCache&) = delete;
  OverviewCache& operator=(const OverviewCache&) = delete;

  bool enabled() const { return max_entries_ > 0; }
  // Whether a view of `q` is kept, at any version: worth asking the version alone first.
  bool Holds(const CustomerOverviewQuery& q);
  // The view of `q` read at `version`, if kept (counted as a hit).
  std::optional<CustomerOverview> Find(const CustomerOverviewQuery& q,
                                       const LedgerVersion& version);
  // Keeps `view`, read in full in a snapshot at `version` (counted as a miss); ignored when a
  // newer version is kept already.
  void Put(const CustomerOverviewQuery& q, const LedgerVersion& version,
           const CustomerOverview& view);

  uint64_t hits() const { return hits_.load(std::memory_order_relaxed); }
  uint64_t misses() const { return misses_.load(std::memory_order_relaxed); }

 private:
  static std::string Key(const CustomerOverviewQuery& q);
  const size_t max_entries_;
  std::mutex mu_;
  LedgerVersion version_;                                    // of every kept view; under mu_
  std::unordered_map<std::string, CustomerOverview> views_;  // under mu_
  std::atomic<uint64_t> hits_{0};
  std::atomic<uint64_t> misses_{0};
};

}  // namespace billing::pg
