// Internal SQLite helpers shared by the SQLite stores; see sqlite_util.h.
#include "store/sqlite/sqlite_util.h"

#include <algorithm>
#include <cassert>
#include <filesystem>
#include <map>

#include "store/migrations.h"

namespace billing::sqlite {

Error SqlError(sqlite3* db, const std::string& what) {
  return Error::Internal("sqlite: " + what + ": " + (db ? sqlite3_errmsg(db) : "no connection"));
}

Connection::~Connection() {
  for (auto& [sql, stmt] : cache_) sqlite3_finalize(stmt);
  sqlite3_close(db_);
}

Result<sqlite3_stmt*> Connection::Prepare(const char* sql) {
  auto it = cache_.find(std::string_view(sql));
  if (it != cache_.end()) {
    sqlite3_reset(it->second);
    sqlite3_clear_bindings(it->second);
    return it->second;
  }
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, nullptr) != SQLITE_OK) {
    return SqlError(db_, std::string("prepare ") + sql);
  }
  if (cache_.size() >= kMaxCachedStatements) {
    sqlite3_finalize(stmt);
    return Error::Internal("sqlite: more than " + std::to_string(kMaxCachedStatements) +
                           " statement texts; are values spliced into SQL?");
  }
  cache_.emplace(sql, stmt);
  return stmt;
}

void Connection::CountWork(sqlite3_stmt* stmt) {
  const int scanned = sqlite3_stmt_status(stmt, SQLITE_STMTSTATUS_FULLSCAN_STEP, 1);
  const int sorted = sqlite3_stmt_status(stmt, SQLITE_STMTSTATUS_SORT, 1);
  const int steps = sqlite3_stmt_status(stmt, SQLITE_STMTSTATUS_VM_STEP, 1);
  if (steps > 0) work_.vm_steps.fetch_add(uint64_t(steps), std::memory_order_relaxed);
  if (scanned > 0) work_.full_scan_steps.fetch_add(uint64_t(scanned), std::memory_order_relaxed);
  if (sorted > 0) work_.sorts.fetch_add(uint64_t(sorted), std::memory_order_relaxed);
}

Status Connection::Run(const char* sql) {
  auto st = Prepare(sql);
  if (!st.ok()) return st.error();
  const int rc = sqlite3_step(st.value());
  sqlite3_reset(st.value());
  if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
    return Error::Internal(std::string("sqlite: ") + sql + ": " + sqlite3_errmsg(db_));
  }
  return OkStatus();
}

Status Connection::Exec(const char* sql) {
  char* err = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err ? err : "unknown";
    sqlite3_free(err);
    return Error::Internal(std::string("sqlite: exec: ") + msg);
  }
  return OkStatus();
}

Result<std::shared_ptr<ConnectionPool>> ConnectionPool::Open(const SqliteOptions& options) {
  return Open(options, SqliteMigrations());
}

Result<std::shared_ptr<ConnectionPool>> ConnectionPool::Open(const SqliteOptions& options,
                                                             const std::vector<Migration>& migrations) {
  std::error_code ec;
  const auto parent = std::filesystem::path(options.path).parent_path();
  if (!parent.empty()) std::filesystem::create_directories(parent, ec);
  if (ec) return Error::Internal("cannot create directory " + parent.string() + ": " + ec.message());
  const int connections = std::max(1, options.max_connections);
  // The open pools by file (weak: a pool closes with its last store). Held while migrating, so two
  // stores opening one file at once end with one pool.
  static std::mutex registry_mu;
  static std::map<std::string, std::weak_ptr<ConnectionPool>> registry;
  std::unique_lock registry_lock(registry_mu, std::defer_lock);
  std::string file_key;
  if (options.share_pool) {
    file_key = std::filesystem::weakly_canonical(options.path, ec).string();
    if (ec) file_key = options.path;
    registry_lock.lock();
    std::erase_if(registry, [](const auto& entry) { return entry.second.expired(); });
    if (std::shared_ptr<ConnectionPool> open = registry[file_key].lock()) {
      std::lock_guard lock(open->pool_mu_);
      open->options_.max_connections += connections;
      return open;
    }
  }
  auto pool = std::make_shared<ConnectionPool>(options);
  pool->options_.max_connections = connections;
  BILLING_TRY(pool->Migrate(migrations));
  if (options.share_pool) registry[file_key] = pool;
  return pool;
}

Result<std::unique_ptr<Connection>> ConnectionPool::OpenConnection() {
  sqlite3* db = nullptr;
  const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
  if (sqlite3_open_v2(options_.path.c_str(), &db, flags, nullptr) != SQLITE_OK) {
    Error e = SqlError(db, "open " + options_.path);
    sqlite3_close(db);
    return e;
  }
  auto conn = std::make_unique<Connection>(db, work_);
  sqlite3_busy_timeout(db, options_.busy_timeout_ms);
  BILLING_TRY(conn->Exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;"));
  return conn;
}

// Pending migrations run in one transaction: a new database costs one commit (one fsync) instead
// of one per migration (cold start), and a failed migration leaves the schema as it was. The
// exception is a migration that rewrites CREATE statements in sqlite_schema (PRAGMA
// writable_schema, migration 011): the connection that ran it keeps the schema it parsed before
// (a later ALTER TABLE on it would splice text at the old offsets), so its transaction commits
// there and the next migrations run on a new connection. Each migration is recorded in the
// transaction that applies it, so a crash between two transactions resumes where it stopped.
Status ConnectionPool::Migrate(const std::vector<Migration>& all) {
  size_t next = 0;
  // Bounded: every pass applies at least one migration or ends.
  for (size_t pass = 0; pass <= all.size(); ++pass) {
    BILLING_ASSIGN_OR_RETURN(bool reparse, MigrateFrom(all, next));
    if (!reparse || next == all.size()) return OkStatus();
  }
  return Error::Internal("migrations did not finish");
}

Result<bool> ConnectionPool::MigrateFrom(const std::vector<Migration>& all, size_t& next) {
  auto c = OpenConnection();
  if (!c.ok()) return c.error();
  Connection& conn = *c.value();
  BILLING_TRY(conn.Exec("BEGIN IMMEDIATE"));
  auto rollback = [&](const Error& e) -> Error {
    (void)conn.Exec("ROLLBACK");
    return e;
  };
  Status created = conn.Exec(
      "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT "
      "NOT NULL, applied_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')))");
  if (!created.ok()) return rollback(created.error());
  bool migrated = false;
  bool reparse = false;
  for (; next < all.size() && !reparse; ++next) {
    const Migration& m = all[next];
    auto st_r = conn.Prepare("SELECT 1 FROM schema_migrations WHERE version = ?1");
    if (!st_r.ok()) return rollback(st_r.error());
    bool applied = false;
    {
      Stmt st(conn, st_r.value());
      st.Bind(1, int64_t(m.version));
      auto row = st.Step();
      if (!row.ok()) return rollback(row.error());
      applied = row.value();
    }
    if (applied) continue;
    migrated = true;
    reparse = m.sql.find("PRAGMA writable_schema") != std::string_view::npos;
    const std::string sql(m.sql);
    if (Status s = conn.Exec(sql.c_str()); !s.ok()) {
      return rollback(Error::Internal("migration " + std::to_string(m.version) + " failed: " +
                                      s.error().message));
    }
    auto ins = conn.Prepare("INSERT INTO schema_migrations (version, name) VALUES (?1, ?2)");
    if (!ins.ok()) return rollback(ins.error());
    Stmt st(conn, ins.value());
    st.Bind(1, int64_t(m.version)).Bind(2, std::string(m.name));
    if (Status s = st.Run(); !s.ok()) return rollback(s.error());
  }
  BILLING_TRY(conn.Exec("COMMIT"));
  // A connection that ran migrations is closed (it may hold a stale parse of the schema);
  // otherwise it joins the pool.
  if (migrated) return reparse;
  {
    std::lock_guard lock(pool_mu_);
    ++open_;
  }
  Release(std::move(c.value()));
  return false;
}

Status ConnectionPool::Read(const std::function<Status(Connection&)>& fn) {
  auto c = Acquire();
  if (!c.ok()) return c.error();
  std::unique_ptr<Connection> conn = std::move(c.value());
  Status s = conn->Run("BEGIN");
  if (s.ok()) {
    s = fn(*conn);
    Status end = conn->Run(s.ok() ? "COMMIT" : "ROLLBACK");
    if (s.ok() && !end.ok()) s = end;
  }
  Release(std::move(conn));
  return s;
}

// Group commit: writers line up in the queue; the pool's committer thread takes the queue's
// first kMaxGroupWrites writers and runs them in one BEGIN IMMEDIATE ... COMMIT, each inside its
// own savepoint, so a writer whose fn fails is rolled back alone. The one COMMIT (one WAL fsync
// with synchronous=FULL) makes the whole group durable; only then is any writer of the group told
// its result. While a group commits, new writers queue up and form the next group, so the number
// of fsyncs per write falls as concurrency rises. One thread that keeps committing while writers
// wait, rather than LevelDB's hand-over to a waiting writer that leads the next group: waking
// that writer cost ~360 us per group on 2 busy cores, 12% of the time the ledger could commit.
Status ConnectionPool::Write(const std::function<Status(Connection&)>& fn) {
  PendingWrite self{&fn};
  std::unique_lock lock(queue_mu_);
  if (!committer_.joinable()) committer_ = std::thread([this] { CommitLoop(); });
  // Bounded: at most one pending write per calling thread (the write pool and the I/O threads).
  queue_.push_back(&self);
  if (queue_.size() == 1) committer_cv_.notify_one();
  self.cv.wait(lock, [&] { return self.done; });
  return self.result;
}

void ConnectionPool::CommitLoop() {
  std::unique_lock lock(queue_mu_);
  std::vector<PendingWrite*> group;
  group.reserve(kMaxGroupWrites);
  while (true) {
    committer_cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stopping, and every queued write has been answered
    group.clear();
    for (auto it = queue_.begin(); it != queue_.end() && group.size() < kMaxGroupWrites; ++it) {
      group.push_back(*it);
    }
    lock.unlock();
    RunGroup(group);
    lock.lock();
    for (PendingWrite* w : group) {
      assert(queue_.front() == w);
      queue_.pop_front();
      w->done = true;
      w->cv.notify_one();  // under the lock: the writer may return (and free `w`) once it sees done
    }
  }
}

ConnectionPool::~ConnectionPool() {
  {
    std::lock_guard lock(queue_mu_);
    stopping_ = true;
  }
  committer_cv_.notify_one();
  if (committer_.joinable()) committer_.join();
}

void ConnectionPool::RunGroup(const std::vector<PendingWrite*>& group) {
  auto c = Acquire();
  if (!c.ok()) {
    for (PendingWrite* w : group) w->result = c.error();
    return;
  }
  std::unique_ptr<Connection> conn = std::move(c.value());
  size_t next = 0;
  // Normally one transaction; a statement error that makes SQLite abandon the transaction
  // (I/O error, disk full) fails the writers run in it so far, and the rest start a new one.
  for (int attempt = 0; next < group.size() && attempt < int(kMaxGroupWrites) + 1; ++attempt) {
    const size_t first = next;
    Status begun = conn->Run("BEGIN IMMEDIATE");
    if (!begun.ok()) {
      for (size_t k = next; k < group.size(); ++k) group[k]->result = begun;
      break;
    }
    bool aborted = false;
    for (; next < group.size() && !aborted; ++next) {
      PendingWrite* w = group[next];
      w->result = conn->Run("SAVEPOINT w");
      if (!w->result.ok()) continue;
      try {
        w->result = (*w->fn)(*conn);
      } catch (const std::exception& e) {
        w->result = Error::Internal(std::string("write threw: ") + e.what());
      }
      if (sqlite3_get_autocommit(conn->db()) != 0) {
        aborted = true;  // SQLite rolled the whole transaction back
      } else if (w->result.ok()) {
        w->result = conn->Run("RELEASE w");
      } else {
        (void)conn->Run("ROLLBACK TO w");
        (void)conn->Run("RELEASE w");
      }
    }
    if (aborted) {
      for (size_t k = first; k < next; ++k) {
        if (group[k]->result.ok()) group[k]->result = Error::Internal("sqlite: transaction rolled back");
      }
      continue;
    }
    Status committed = conn->Run("COMMIT");
    if (!committed.ok()) {
      (void)conn->Run("ROLLBACK");
      for (size_t k = first; k < next; ++k) group[k]->result = committed;
    } else {
      groups_committed_.fetch_add(1);
      uint64_t committed_writes = 0;
      for (size_t k = first; k < next; ++k) committed_writes += group[k]->result.ok() ? 1 : 0;
      writes_committed_.fetch_add(committed_writes);
      group_sizes_[GroupSizeBucket(committed_writes)].fetch_add(1);
    }
  }
  Release(std::move(conn));
}

Result<std::unique_ptr<Connection>> ConnectionPool::Acquire() {
  std::unique_lock lock(pool_mu_);
  pool_cv_.wait(lock, [&] { return !idle_.empty() || open_ < options_.max_connections; });
  if (!idle_.empty()) {
    auto conn = std::move(idle_.back());
    idle_.pop_back();
    return conn;
  }
  ++open_;
  lock.unlock();
  auto conn = OpenConnection();
  if (!conn.ok()) {
    std::lock_guard relock(pool_mu_);
    --open_;
    pool_cv_.notify_one();
  }
  return conn;
}

void ConnectionPool::Release(std::unique_ptr<Connection> conn) {
  {
    std::lock_guard lock(pool_mu_);
    idle_.push_back(std::move(conn));
  }
  pool_cv_.notify_one();
}

}  // namespace billing::sqlite
