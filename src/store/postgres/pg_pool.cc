// pg::Pool; see pg_pool.h.
#include "store/postgres/pg_pool.h"

#include "store/wait_hook.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <cassert>
#include <chrono>
#include <map>

namespace billing::pg {
namespace {

Error Unavailable(const std::string& message) {
  return Error(ErrorCode::kDatabaseUnavailable, message);
}

// Statements of the pool itself (transaction control) whose failure means the connection is not
// usable for the group any more.
Status Control(PgConnection& conn, const char* sql) {
  auto r = conn.Exec(sql);
  if (r.ok()) return OkStatus();
  return r.failure->error;
}

// COMMIT, checked: in a transaction that an error aborted, PostgreSQL answers COMMIT with the
// command tag ROLLBACK and no error, so success is the tag COMMIT and nothing else.
Status Commit(PgConnection& conn) {
  auto r = conn.Exec("COMMIT");
  if (!r.ok()) return r.failure->error;
  if (std::string_view(PQcmdStatus(r.result->raw())) != "COMMIT") {
    return Error::Internal("postgres: the transaction was rolled back at COMMIT");
  }
  return OkStatus();
}

}  // namespace

Result<PgResult> Run(PgConnection& conn, std::string_view sql,
                     const std::vector<std::optional<std::string>>& params) {
  auto r = conn.Exec(sql, params);
  if (r.ok()) return std::move(*r.result);
  return r.failure->error;
}

Result<std::shared_ptr<Pool>> Pool::Open(const PoolOptions& options) {
  return Open(options, PostgresMigrations());
}

Result<std::shared_ptr<Pool>> Pool::Open(const PoolOptions& options,
                                         const std::vector<Migration>& migrations) {
  // The open pools by URL (weak: a pool closes with its last store). Held while migrating, so two
  // stores opening one database at once end with one pool.
  static std::mutex registry_mu;
  static std::map<std::string, std::weak_ptr<Pool>> registry;
  std::lock_guard lock(registry_mu);
  if (auto it = registry.find(options.url); it != registry.end()) {
    if (auto pool = it->second.lock()) return pool;
  }
  PoolOptions opts = options;
  if (opts.instance.empty()) opts.instance = "pid" + std::to_string(::getpid());
  if (opts.max_connections < 1) opts.max_connections = 1;
  if (opts.timeout_ms < 100) opts.timeout_ms = 100;
  auto pool = std::make_shared<Pool>(opts);
  BILLING_TRY(pool->Migrate(migrations));
  registry[options.url] = pool;
  return pool;
}

Status Pool::Migrate(const std::vector<Migration>& all) {
  BILLING_ASSIGN_OR_RETURN(std::unique_ptr<PgConnection> conn, Acquire());
  // A session lock: the second instance to start waits here until the first has migrated, then
  // finds every version applied. Bounded by lock_timeout.
  auto fail = [&](const Error& e) -> Status {
    (void)conn->Exec("ROLLBACK");
    (void)conn->Exec("SELECT pg_advisory_unlock(" + std::to_string(kMigrationLockKey) + ")");
    return e;
  };
  if (auto r = Run(*conn, "SELECT pg_advisory_lock(" + std::to_string(kMigrationLockKey) + ")");
      !r.ok()) {
    return r.error();
  }
  if (auto r = Run(*conn,
                   "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, "
                   "name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())");
      !r.ok()) {
    return fail(r.error());
  }
  for (const Migration& m : all) {
    auto applied = Run(*conn, "SELECT 1 FROM schema_migrations WHERE version = $1",
                       {std::to_string(m.version)});
    if (!applied.ok()) return fail(applied.error());
    if (applied->rows() > 0) continue;
    if (Status s = Control(*conn, "BEGIN"); !s.ok()) return fail(s.error());
    auto done = conn->ExecScript(std::string(m.sql));
    if (!done.ok()) {
      return fail(Error::Internal("postgres migration " + std::to_string(m.version) +
                                  " failed: " + done.failure->error.message));
    }
    if (auto r = Run(*conn, "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)",
                     {std::to_string(m.version), std::string(m.name)});
        !r.ok()) {
      return fail(r.error());
    }
    if (Status s = Control(*conn, "COMMIT"); !s.ok()) return fail(s.error());
  }
  if (auto r = Run(*conn, "SELECT pg_advisory_unlock(" + std::to_string(kMigrationLockKey) + ")");
      !r.ok()) {
    return r.error();
  }
  Release(std::move(conn));
  return OkStatus();
}

Pool::~Pool() {
  {
    std::lock_guard lock(queue_mu_);
    stopping_ = true;
  }
  committer_cv_.notify_one();
  if (committer_.joinable()) committer_.join();
}

Result<std::unique_ptr<PgConnection>> Pool::Acquire() {
  std::unique_lock lock(pool_mu_);
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(options_.timeout_ms);
  auto free = [&] { return !idle_.empty() || open_ < options_.max_connections; };
  bool got = false;
  if (WaitHook* hook = CurrentWaitHook()) {
    // On a fiber of an I/O thread (store/wait_hook.h): never block the thread on the condition;
    // look again every millisecond, the fiber suspended in between.
    while (!(got = free()) && std::chrono::steady_clock::now() < deadline) {
      lock.unlock();
      hook->Sleep(1);
      lock.lock();
    }
  } else {
    got = pool_cv_.wait_until(lock, deadline, free);
  }
  if (!got) {
    return Unavailable("postgres: no connection free within " +
                       std::to_string(options_.timeout_ms) + " ms (BILLING_DB_POOL " +
                       std::to_string(options_.max_connections) + ")");
  }
  if (!idle_.empty()) {
    auto conn = std::move(idle_.back());
    idle_.pop_back();
    return conn;
  }
  ++open_;
  if (++opened_ever_ > uint64_t(options_.max_connections)) counters_.reconnects.fetch_add(1);
  lock.unlock();
  const int connect_s = (options_.timeout_ms + 999) / 1000;
  auto conn = PgConnection::Open(options_.url, connect_s, options_.timeout_ms,
                                 kApplicationPrefix + options_.instance);
  if (!conn.ok()) {
    std::lock_guard relock(pool_mu_);
    --open_;
    pool_cv_.notify_one();
    return Unavailable(conn.error().message);
  }
  return conn;
}

void Pool::Release(std::unique_ptr<PgConnection> conn) {
  counters_.statements.fetch_add(conn->TakeStatementCount(), std::memory_order_relaxed);
  counters_.round_trips.fetch_add(conn->TakeRoundTripCount(), std::memory_order_relaxed);
  (void)conn->TakeRetryableFailure();
  {
    std::lock_guard lock(pool_mu_);
    // A connection with statements still queued is in an unknown state: dropped, not reused.
    if (conn->healthy() && !conn->has_deferred()) {
      idle_.push_back(std::move(conn));
    } else {
      --open_;  // dropped; the next Acquire opens a new one
    }
  }
  pool_cv_.notify_one();
}

Status Pool::OwnTransaction(std::initializer_list<const char*> begin,
                            const std::function<Status(PgConnection&)>& fn) {
  // A pooled connection may have died while idle (the server restarted): the transaction then
  // runs once more on a new one. A conflict (serialization failure, deadlock) runs it again up to
  // the retry bound.
  for (int attempt = 0;; ++attempt) {
    BILLING_ASSIGN_OR_RETURN(std::unique_ptr<PgConnection> conn, Acquire());
    // BEGIN (and any SET LOCAL) go out with fn's first statement, in its round trip.
    for (const char* sql : begin) conn->Defer(sql);
    Status s = fn(*conn);
    Status end = OkStatus();
    if (conn->InTransaction() || !conn->healthy()) {
      end = s.ok() ? Commit(*conn) : Control(*conn, "ROLLBACK");
    } else {
      // fn never opened the transaction (it sent nothing, or one statement on its own after
      // taking the BEGIN back): nothing to commit, no round trip.
      (void)conn->TakeDeferred();
    }
    if (s.ok() && !end.ok()) s = end;
    const bool lost = !conn->healthy();
    const bool retry = conn->TakeRetryableFailure();
    Release(std::move(conn));
    if (s.ok() || !(lost || retry) || attempt == kMaxWriteRetries) return s;
    if (lost && attempt >= 1) return s;
    if (retry) counters_.retries.fetch_add(1);
  }
}

Status Pool::Read(const std::function<Status(PgConnection&)>& fn) {
  return OwnTransaction({"BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"}, fn);
}

Status Pool::Transient(const std::function<Status(PgConnection&)>& fn) {
  return OwnTransaction({"BEGIN", "SET LOCAL synchronous_commit = off"}, fn);
}

Status Pool::Ping() {
  BILLING_ASSIGN_OR_RETURN(std::unique_ptr<PgConnection> conn, Acquire());
  auto r = Run(*conn, "SELECT 1");
  Release(std::move(conn));
  if (!r.ok()) return r.error();
  return OkStatus();
}

Status Pool::Write(const std::function<Status(PgConnection&)>& fn) {
  PendingWrite self{&fn};
  WaitHook* hook = CurrentWaitHook();
  if (hook != nullptr) {
    // On a fiber of an I/O thread (store/wait_hook.h): the wait for the committer suspends the
    // fiber on an eventfd instead of blocking the thread on the condition variable.
    self.wake_fd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (self.wake_fd < 0) return Error::Internal("postgres: eventfd failed");
  }
  std::unique_lock lock(queue_mu_);
  if (!committer_.joinable()) committer_ = std::thread([this] { CommitLoop(); });
  // Bounded: at most one pending write per calling thread or fiber (the write pool, the I/O
  // threads' fibers: one per request in flight).
  queue_.push_back(&self);
  if (queue_.size() == 1) committer_cv_.notify_one();
  if (hook == nullptr) {
    self.cv.wait(lock, [&] { return self.done; });
    return self.result;
  }
  lock.unlock();
  uint64_t signalled = 0;
  // Ends once the committer has written (after setting done): each turn is a readiness wait.
  while (::read(self.wake_fd, &signalled, sizeof signalled) != sizeof signalled) {
    hook->WaitReadable(self.wake_fd);
  }
  ::close(self.wake_fd);
  lock.lock();
  assert(self.done);
  return self.result;
}

void Pool::CommitLoop() {
  std::unique_lock lock(queue_mu_);
  std::vector<PendingWrite*> group;
  group.reserve(kMaxGroupWrites);
  while (true) {
    committer_cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
    if (queue_.empty()) return;
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
      if (w->wake_fd >= 0) {
        const uint64_t one = 1;
        // An eventfd write of 8 bytes cannot fail short of a counter overflow.
        [[maybe_unused]] const ssize_t n = ::write(w->wake_fd, &one, sizeof one);
      } else {
        w->cv.notify_one();
      }
    }
  }
}

void Pool::RunGroup(const std::vector<PendingWrite*>& group) {
  // Twice at most: a connection that turns out dead before COMMIT (the server restarted while it
  // sat idle) costs one more attempt on a fresh connection, never an error to the writers.
  for (int attempt = 0; attempt < 2; ++attempt) {
    auto c = Acquire();
    if (!c.ok()) {
      for (PendingWrite* w : group) w->result = c.error();
      return;
    }
    std::unique_ptr<PgConnection> conn = std::move(c.value());
    const bool finished = TryGroup(*conn, group);
    Release(std::move(conn));
    if (finished) return;
  }
  for (PendingWrite* w : group) {
    if (w->result.ok()) w->result = Unavailable("postgres: connection lost");
  }
}

bool Pool::TryGroup(PgConnection& conn, const std::vector<PendingWrite*>& group) {
  // Every writer gets `s`, the group is rolled back; false when the connection is gone (nothing
  // committed: the caller may run the group again on a new one).
  auto fail_group = [&](const Status& s) {
    (void)Control(conn, "ROLLBACK");
    for (PendingWrite* w : group) w->result = s;
    return conn.healthy();
  };
  // BEGIN and the writers' turn (pg_pool.h: granted once every earlier writer of any instance
  // committed) go out with the first writer's first statement, in one round trip; so do each
  // writer's SAVEPOINT and the previous writer's RELEASE.
  conn.Defer("BEGIN");
  conn.Defer(kWriteLockSql);
  for (PendingWrite* w : group) {
    for (int attempt = 0;; ++attempt) {
      conn.Defer("SAVEPOINT w");
      (void)conn.TakeRetryableFailure();
      try {
        w->result = (*w->fn)(conn);
      } catch (const std::exception& e) {
        w->result = Error::Internal(std::string("write threw: ") + e.what());
      }
      if (!conn.healthy()) {
        (void)Control(conn, "ROLLBACK");
        return false;  // nothing committed: the caller runs the group again
      }
      if (w->result.ok()) {
        conn.Defer("RELEASE w");
        break;
      }
      const bool retry = conn.TakeRetryableFailure();
      // Undo this writer alone, checked: the other writers' changes depend on it. It fails when
      // the savepoint was never made (a statement queued before it failed: BEGIN, the writers'
      // lock, the previous RELEASE); then the group fails with this writer's error.
      Status undone = Control(conn, "ROLLBACK TO w");
      if (undone.ok()) undone = Control(conn, "RELEASE w");
      if (!undone.ok()) return fail_group(w->result);
      if (!retry) break;
      if (attempt == kMaxWriteRetries) {
        w->result = Unavailable("postgres: write still conflicting after " +
                                std::to_string(kMaxWriteRetries) + " retries");
        break;
      }
      counters_.retries.fetch_add(1);
    }
  }
  if (Status committed = Commit(conn); !committed.ok()) {
    if (!conn.healthy()) {
      // Lost during COMMIT: the outcome is unknown, so it must not run again (pg_pool.h).
      for (PendingWrite* w : group) w->result = Unavailable("postgres: connection lost at commit");
      return true;
    }
    (void)Control(conn, "ROLLBACK");
    for (PendingWrite* w : group) w->result = committed;
    return true;
  }
  counters_.commits.fetch_add(1);
  uint64_t committed_writes = 0;
  for (PendingWrite* w : group) committed_writes += w->result.ok() ? 1 : 0;
  counters_.writes.fetch_add(committed_writes);
  counters_.group_sizes[GroupSizeBucket(committed_writes)].fetch_add(1);
  return true;
}

}  // namespace billing::pg
