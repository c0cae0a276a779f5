// pg::Pool: a bounded pool of libpq connections to one PostgreSQL database, shared by every store
// of a process on that database (the ledger, conversation memory, idempotency answers, API keys),
// the PostgreSQL counterpart of sqlite::ConnectionPool. Not a public interface: include only from
// src/store/postgres/*.cc and src/store/backend.cc.
//
// Concurrency control (docs/postgres.md): every write transaction first takes
// one transaction-scoped advisory lock (kWriteLockKey), so writers of all instances on the
// database take turns exactly as SQLite's single writer does, at READ COMMITTED (each statement
// sees every commit made before the lock was granted). Every change appends to the one audit hash
// chain, so changes are serial by nature; SERIALIZABLE would reach the same order through
// serialization failures and retries of whole groups. The lock keeps every guarantee the store
// contracts state (gapless counters, MAX(number) + 1, read-the-chain-head-then-append) true on
// both backends. Statements that still fail with a serialization failure or a deadlock (a reader
// or an operator's session holding row locks) are retried, per write, up to kMaxWriteRetries.
//
// Group commit: writers queue; the pool's committer thread runs up to kMaxGroupWrites of them in
// one transaction, each inside a savepoint (a failing writer is rolled back alone), and answers
// them after the one COMMIT. A connection lost before COMMIT fails nothing: the group runs again
// on a new connection (once). A connection lost during COMMIT leaves the outcome unknown: the
// writers get kDatabaseUnavailable, and their operation keys make a client's retry safe.
//
// Reads run on the calling thread in a REPEATABLE READ READ ONLY transaction (one snapshot).
//
// Bounds: at most max_connections connections; a caller waits at most timeout_ms for one, then
// gets kDatabaseUnavailable; every statement and lock wait is bounded by timeout_ms
// (statement_timeout, lock_timeout); lost connections are dropped and replaced on demand, so the
// pool recovers by itself when the server is back.
//
// Thread-safety: a Pool is safe from any number of threads. A PgConnection handed to `fn` belongs
// to that call. `fn` of Write may run more than once (retries) and must touch nothing outside the
// transaction but what it resets on entry.
#pragma once

#include <array>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <initializer_list>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/result.h"
#include "store/migrations.h"
#include "store/postgres/pg_connection.h"
#include "store/store.h"

namespace billing::pg {

struct PoolOptions {
  std::string url;
  int max_connections = 8;  // BILLING_DB_POOL
  int timeout_ms = 5000;    // BILLING_DB_TIMEOUT_MS: connect, pool wait, statement, lock wait
  // This process among the instances on the database; "" = "pid<process id>". Every connection
  // of the pool is named kApplicationPrefix + instance in pg_stat_activity, so other instances
  // can tell whether this one is alive (InstanceAliveSql).
  std::string instance = {};
  // BILLING_DB_CACHE: customer views kept by the ledger store's read cache (pg_overview_cache.h);
  // 0 turns it off.
  int overview_cache_entries = 256;
};

inline constexpr const char* kApplicationPrefix = "billing-agent/";
// SQL that is true while an instance named by the text expression `instance_sql` has a session
// open on the database (it crashed or stopped otherwise: PostgreSQL ends a backend whose client
// went away).
inline std::string InstanceAliveSql(const std::string& instance_sql) {
  return std::string("EXISTS (SELECT 1 FROM pg_stat_activity WHERE application_name = '") +
         kApplicationPrefix + "' || " + instance_sql + ")";
}

// The advisory lock every write transaction holds (pg_advisory_xact_lock), and the one held
// while migrating (pg_advisory_lock). Arbitrary constants, fixed forever: "bill" and "migr".
inline constexpr int64_t kWriteLockKey = 0x62696c6c;
inline constexpr const char* kWriteLockSql = "SELECT pg_advisory_xact_lock(1651076204)";
static_assert(kWriteLockKey == 1651076204);
inline constexpr int64_t kMigrationLockKey = 0x6d696772;

class Pool {
 public:
  // Connects, applies pending migrations (under kMigrationLockKey, so instances starting at once
  // migrate once) and returns the pool; one pool per URL per process (a second Open returns it).
  static Result<std::shared_ptr<Pool>> Open(const PoolOptions& options);
  static Result<std::shared_ptr<Pool>> Open(const PoolOptions& options,
                                            const std::vector<Migration>& migrations);

  explicit Pool(PoolOptions options) : options_(std::move(options)) {}
  ~Pool();  // answers the writes queued so far, then stops the committer thread
  Pool(const Pool&) = delete;
  Pool& operator=(const Pool&) = delete;

  Status Read(const std::function<Status(PgConnection&)>& fn);
  Status Write(const std::function<Status(PgConnection&)>& fn);
  // A short read-write transaction of its own on the calling thread, for state shared by the
  // instances that is not the ledger and may be forgotten in a crash (rate-limit buckets,
  // in-flight Idempotency-Key marks): no writers' lock, no group commit, synchronous_commit off
  // (no wait for a flush). `fn` takes row locks for what it reads and changes; it may run again
  // after a retryable failure or a connection lost before COMMIT (at most kMaxWriteRetries).
  Status Transient(const std::function<Status(PgConnection&)>& fn);
  // One round trip on a pooled connection: OK when the database answers (GET /ready).
  Status Ping();

  static constexpr size_t kMaxGroupWrites = 64;
  static constexpr int kMaxWriteRetries = 8;

  struct Counters {
    std::atomic<uint64_t> writes{0};       // writers committed
    std::atomic<uint64_t> commits{0};      // transactions (groups) committed
    std::atomic<uint64_t> retries{0};      // writer re-runs after a retryable failure
    std::atomic<uint64_t> statements{0};   // statements sent
    std::atomic<uint64_t> round_trips{0};  // waits for the server (pipelined statements share one)
    std::atomic<uint64_t> reconnects{0};   // connections opened after the first max_connections
    std::array<std::atomic<uint64_t>, kGroupSizeBuckets> group_sizes{};  // store.h GroupSizeBucket
  };
  const Counters& counters() const { return counters_; }
  const PoolOptions& options() const { return options_; }

 private:
  struct PendingWrite {
    explicit PendingWrite(const std::function<Status(PgConnection&)>* f) : fn(f) {}
    const std::function<Status(PgConnection&)>* fn;
    Status result = OkStatus();
    bool done = false;
    std::condition_variable cv;  // the writer waits on it, or on wake_fd on a fiber
    int wake_fd = -1;            // an eventfd the committer signals, when the writer is a fiber
  };
  Status Migrate(const std::vector<Migration>& all);
  // Read and Transient: `fn` in a transaction of its own begun by `begin`, on the calling thread.
  Status OwnTransaction(std::initializer_list<const char*> begin,
                        const std::function<Status(PgConnection&)>& fn);
  void CommitLoop();
  void RunGroup(const std::vector<PendingWrite*>& group);
  // One attempt at the group on one connection; false when the connection was lost before
  // COMMIT (nothing committed; the caller may run the group again).
  bool TryGroup(PgConnection& conn, const std::vector<PendingWrite*>& group);
  Result<std::unique_ptr<PgConnection>> Acquire();
  void Release(std::unique_ptr<PgConnection> conn);

  PoolOptions options_;
  Counters counters_;
  std::mutex queue_mu_;
  std::deque<PendingWrite*> queue_;
  std::condition_variable committer_cv_;
  bool stopping_ = false;
  std::thread committer_;
  std::mutex pool_mu_;
  std::condition_variable pool_cv_;
  std::vector<std::unique_ptr<PgConnection>> idle_;
  int open_ = 0;
  uint64_t opened_ever_ = 0;  // under pool_mu_
};

// Runs one statement and returns its rows, or the mapped error (pg_connection.h).
Result<PgResult> Run(PgConnection& conn, std::string_view sql,
                     const std::vector<std::optional<std::string>>& params = {});

}  // namespace billing::pg
