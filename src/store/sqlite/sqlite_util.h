// Internal SQLite helpers shared by the SQLite stores (sqlite_store.cc: the billing ledger,
// sqlite_memory_store.cc: conversation memory). Not a public interface: include only from
// src/store/sqlite/*.cc.
//
// Connection: one sqlite3 handle plus its prepared-statement cache, keyed by the SQL text (not its
// address: a statement text built in a local string may reuse the address of another one, and a
// cache keyed by address then runs the wrong statement). SQL texts carry values as parameters,
// never spliced in, so the cache stays small; it holds at most kMaxCachedStatements.
// Stmt: a cached statement bound and stepped with small helpers; resets itself when destroyed,
// adding its virtual machine steps, the rows it stepped through in full table scans and its sorts
// without an index to the pool's work counters (ConnectionPool::work(); tests use them to show
// that a request's work does not grow with the size of the ledger).
// ConnectionPool: a bounded pool of connections to one WAL database file, by default one per file
// per process, shared by every store on the file. Open() creates the parent directory and applies
// pending migrations (store/migrations.h; idempotent, so several pools - or processes - may open
// the same file). Write() queues the writers of this pool; the pool's committer thread commits
// them in groups, each group one BEGIN IMMEDIATE transaction (writers of other pools on the same
// file wait on busy_timeout). Read() runs in a deferred transaction on its own connection (WAL
// gives it a snapshot). synchronous=FULL makes every acknowledged commit durable; foreign keys
// are on.
//
// Thread-safety: a ConnectionPool is safe from any number of threads. A Connection (and any Stmt
// on it) belongs to the one call that acquired it.
#pragma once

#include <sqlite3.h>

#include <array>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include "common/result.h"
#include "store/migrations.h"
#include "store/store.h"

namespace billing::sqlite {

// Distinct statement texts one connection keeps prepared (Connection::Prepare).
inline constexpr size_t kMaxCachedStatements = 1024;

Error SqlError(sqlite3* db, const std::string& what);

// Work a pool's statements did that an index would have avoided.
struct WorkCounters {
  std::atomic<uint64_t> full_scan_steps{0};  // rows stepped through in full table scans
  std::atomic<uint64_t> sorts{0};            // ORDER BY / GROUP BY sorts without an index
  std::atomic<uint64_t> vm_steps{0};         // virtual machine operations, all statements
};

class Connection {
 public:
  // `work` (the pool's counters) outlives the connection.
  Connection(sqlite3* db, WorkCounters& work) : db_(db), work_(work) {}
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  sqlite3* db() const { return db_; }

  // The cached prepared statement for `sql` (reset, bindings cleared).
  Result<sqlite3_stmt*> Prepare(const char* sql);
  // Runs a statement with no result rows through the statement cache (BEGIN, COMMIT, ...):
  // sqlite3_exec would parse it again on every transaction.
  Status Run(const char* sql);
  // Runs SQL text (possibly several statements) without caching.
  Status Exec(const char* sql);
  // Adds the step, scan and sort counts of `stmt` to the pool's counters and zeroes them.
  void CountWork(sqlite3_stmt* stmt);

 private:
  sqlite3* db_;
  WorkCounters& work_;
  struct SqlHash {
    using is_transparent = void;
    size_t operator()(std::string_view sql) const { return std::hash<std::string_view>{}(sql); }
  };
  std::unordered_map<std::string, sqlite3_stmt*, SqlHash, std::equal_to<>> cache_;
};

// A statement bound and stepped with small helpers; resets itself when done.
class Stmt {
 public:
  Stmt(Connection& c, sqlite3_stmt* s) : conn_(c), s_(s) {}
  ~Stmt() {
    conn_.CountWork(s_);
    sqlite3_reset(s_);
  }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;
  Stmt& Bind(int i, const std::string& v) {
    sqlite3_bind_text(s_, i, v.data(), int(v.size()), SQLITE_TRANSIENT);
    return *this;
  }
  Stmt& Bind(int i, int64_t v) {
    sqlite3_bind_int64(s_, i, v);
    return *this;
  }
  Stmt& BindNull(int i) {
    sqlite3_bind_null(s_, i);
    return *this;
  }
  // Returns true for a row, false when done; error on failure.
  Result<bool> Step() {
    const int rc = sqlite3_step(s_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    return SqlError(conn_.db(), "step");
  }
  Status Run() {
    auto r = Step();
    if (!r.ok()) return r.error();
    return OkStatus();
  }
  std::string Text(int col) const {
    const auto* p = sqlite3_column_text(s_, col);
    return p ? std::string(reinterpret_cast<const char*>(p), size_t(sqlite3_column_bytes(s_, col)))
             : std::string();
  }
  int64_t Int(int col) const { return sqlite3_column_int64(s_, col); }
  bool IsNull(int col) const { return sqlite3_column_type(s_, col) == SQLITE_NULL; }

 private:
  Connection& conn_;
  sqlite3_stmt* s_;
};

// Statement helpers for StoreTx code that holds its connection as `conn_`: PREPARE declares a
// Stmt `var` (returning the error from the enclosing function if preparing fails); STEP_OR_RETURN
// steps it once into a bool `row`.
#define PREPARE(var, sql)                    \
  auto var##_r = conn_.Prepare(sql);         \
  if (!var##_r.ok()) return var##_r.error(); \
  Stmt var(conn_, var##_r.value())

#define STEP_OR_RETURN(row, st)              \
  auto row##_r = (st).Step();                \
  if (!row##_r.ok()) return row##_r.error(); \
  const bool row = row##_r.value()

// Steps `st` through its result rows, calling `read()` on each. A statement that yields more than
// `max_rows` rows is an error, never a silently shorter list: every caller either bounds its query
// (LIMIT) or names the most rows the data can hold.
template <typename ReadRow>
Status StepRows(Stmt& st, int64_t max_rows, const char* what, ReadRow&& read) {
  for (int64_t n = 0;; ++n) {
    auto row = st.Step();
    if (!row.ok()) return row.error();
    if (!row.value()) return OkStatus();
    if (n == max_rows) {
      return Error::Internal(std::string("sqlite: ") + what + " has more than " +
                             std::to_string(max_rows) + " rows");
    }
    BILLING_TRY(read());
  }
}

class ConnectionPool {
 public:
  // Creates the parent directory if needed, opens the file and applies pending migrations. With
  // options.share_pool, returns the pool already open on the same file in this process (if any),
  // allowing it options.max_connections more connections.
  static Result<std::shared_ptr<ConnectionPool>> Open(const SqliteOptions& options);
  // As Open, with `migrations` instead of the schema's (tests of the migration runner).
  static Result<std::shared_ptr<ConnectionPool>> Open(const SqliteOptions& options,
                                                      const std::vector<Migration>& migrations);

  explicit ConnectionPool(SqliteOptions options) : options_(std::move(options)) {}
  ~ConnectionPool();  // answers the writes queued so far, then stops the committer thread
  ConnectionPool(const ConnectionPool&) = delete;
  ConnectionPool& operator=(const ConnectionPool&) = delete;

  // Runs `fn` in a read transaction; COMMIT if it returns OK, else ROLLBACK.
  Status Read(const std::function<Status(Connection&)>& fn);
  // Runs `fn` in a BEGIN IMMEDIATE transaction; its changes are committed (durably) only if it
  // returns OK, and Write returns only after that commit. Concurrent writers are committed as a
  // group, one fsync for up to kMaxGroupWrites of them (group commit; see sqlite_util.cc). `fn`
  // runs on the pool's committer thread (started by the first Write) while the caller waits, and
  // must not call Write itself.
  Status Write(const std::function<Status(Connection&)>& fn);
  static constexpr size_t kMaxGroupWrites = 64;
  // Counters since Open: committed write transactions (groups) and the writers in them.
  uint64_t groups_committed() const { return groups_committed_.load(); }
  uint64_t writes_committed() const { return writes_committed_.load(); }
  // Committed groups by size (store.h GroupSizeBucket).
  std::array<uint64_t, kGroupSizeBuckets> group_sizes() const {
    std::array<uint64_t, kGroupSizeBuckets> out{};
    for (size_t i = 0; i < out.size(); ++i) out[i] = group_sizes_[i].load();
    return out;
  }
  const WorkCounters& work() const { return work_; }

  const SqliteOptions& options() const { return options_; }

 private:
  struct PendingWrite {
    explicit PendingWrite(const std::function<Status(Connection&)>* f) : fn(f) {}
    const std::function<Status(Connection&)>* fn;
    Status result = OkStatus();
    bool done = false;
    std::condition_variable cv;
  };
  void RunGroup(const std::vector<PendingWrite*>& group);
  void CommitLoop();  // the committer thread
  Result<std::unique_ptr<Connection>> OpenConnection();
  Status Migrate(const std::vector<Migration>& all);
  // Applies migrations from all[next] on in one transaction; true when it stopped after one that
  // rewrote sqlite_schema text (the rest need a new connection).
  Result<bool> MigrateFrom(const std::vector<Migration>& all, size_t& next);
  Result<std::unique_ptr<Connection>> Acquire();
  void Release(std::unique_ptr<Connection> conn);

  SqliteOptions options_;
  std::mutex queue_mu_;
  std::deque<PendingWrite*> queue_;  // writers waiting, oldest first (under queue_mu_)
  std::condition_variable committer_cv_;  // the committer waits here for writers
  bool stopping_ = false;                 // under queue_mu_
  std::thread committer_;                 // started by the first Write
  std::atomic<uint64_t> groups_committed_{0};
  std::atomic<uint64_t> writes_committed_{0};
  std::array<std::atomic<uint64_t>, kGroupSizeBuckets> group_sizes_{};
  WorkCounters work_;
  std::mutex pool_mu_;
  std::condition_variable pool_cv_;
  std::vector<std::unique_ptr<Connection>> idle_;
  int open_ = 0;
};

}  // namespace billing::sqlite
