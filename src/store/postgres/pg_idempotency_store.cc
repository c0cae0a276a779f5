// PostgreSQL implementation of IdempotencyStore (store/idempotency_store.h) over the pg::Pool it
// shares with the other stores on the database (store/postgres/pg_pool.h); the table comes from
// migrations/001_init.sql. The twin of sqlite/sqlite_idempotency_store.cc.
#include <optional>
#include <string>
#include <vector>

#include "store/idempotency_store.h"
#include "store/postgres/pg_stores.h"

namespace billing {
namespace {

using pg::PgConnection;
using pg::PgResult;
using Params = std::vector<std::optional<std::string>>;

// The database being down stays kDatabaseUnavailable (HTTP 503); any other SQL failure is
// kInternal, as every SQLite error is in the twin. A retryable failure is re-run by the pool,
// which reads that from the connection, not from this code.
Error DbError(const Error& e) {
  if (e.code == ErrorCode::kDatabaseUnavailable) return e;
  return Error::Internal(e.message);
}

Result<PgResult> Sql(PgConnection& conn, std::string_view sql, const Params& params) {
  auto r = pg::Run(conn, sql, params);
  if (!r.ok()) return DbError(r.error());
  return std::move(r.value());
}

class PostgresIdempotencyStore final : public IdempotencyStore {
 public:
  explicit PostgresIdempotencyStore(std::shared_ptr<pg::Pool> pool) : pool_(std::move(pool)) {}

  Result<std::optional<StoredResponse>> Find(const std::string& owner, const std::string& key,
                                             int64_t not_before_ms) override {
    std::optional<StoredResponse> out;
    BILLING_TRY(pool_->Read([&](PgConnection& conn) -> Status {
      out.reset();  // the pool may run this again on a new connection
      static const char* const kSql =
          "SELECT fingerprint, status, content_type, body, created_ms FROM idempotency_keys "
          "WHERE owner = $1 AND idem_key = $2 AND created_ms >= $3 AND status <> 0";
      BILLING_ASSIGN_OR_RETURN(PgResult r,
                               Sql(conn, kSql, {owner, key, std::to_string(not_before_ms)}));
      if (r.rows() > 0) {
        BILLING_ASSIGN_OR_RETURN(const int64_t status, r.Int(0, 1));
        BILLING_ASSIGN_OR_RETURN(const int64_t created_ms, r.Int(0, 4));
        out = StoredResponse{r.Text(0, 0), static_cast<int>(status), r.Text(0, 2), r.Text(0, 3),
                             created_ms};
      }
      return OkStatus();
    }));
    return out;
  }

  Status Save(const std::string& owner, const std::string& key,
              const StoredResponse& response) override {
    return pool_->Write([&](PgConnection& conn) -> Status {
      // SQLite's INSERT OR REPLACE: the row of (owner, key), if any, takes every new value.
      static const char* const kSql =
          "INSERT INTO idempotency_keys "
          "(owner, idem_key, fingerprint, status, content_type, body, created_ms) "
          "VALUES ($1, $2, $3, $4, $5, $6, $7) "
          "ON CONFLICT (owner, idem_key) DO UPDATE SET fingerprint = EXCLUDED.fingerprint, "
          "status = EXCLUDED.status, content_type = EXCLUDED.content_type, "
          "body = EXCLUDED.body, created_ms = EXCLUDED.created_ms, in_flight_by = ''";
      BILLING_TRY(Sql(conn, kSql,
                      {owner, key, response.fingerprint, std::to_string(response.status),
                       response.content_type, response.body, std::to_string(response.created_ms)}));
      return OkStatus();
    });
  }

  Result<int64_t> Purge(int64_t before_ms, int limit) override {
    int64_t removed = 0;
    BILLING_TRY(pool_->Write([&](PgConnection& conn) -> Status {
      removed = 0;  // the pool may run this again (pg_pool.h)
      // No rowid on PostgreSQL: rows are named by their key. A negative limit means no limit
      // on SQLite; LIMIT NULL is PostgreSQL's way of saying so (a negative LIMIT is an error).
      static const char* const kSql =
          "DELETE FROM idempotency_keys WHERE (owner, idem_key) IN (SELECT owner, idem_key "
          "FROM idempotency_keys WHERE created_ms < $1 ORDER BY created_ms LIMIT $2)";
      std::optional<std::string> bound;
      if (limit >= 0) bound = std::to_string(limit);
      BILLING_ASSIGN_OR_RETURN(PgResult r, Sql(conn, kSql, {std::to_string(before_ms), bound}));
      removed = r.affected_rows();
      return OkStatus();
    }));
    return removed;
  }

  Result<Mark> MarkInFlight(const std::string& owner, const std::string& key, int64_t now_ms,
                            int64_t stale_before_ms, int64_t not_before_ms,
                            std::optional<StoredResponse>* stored) override {
    const std::string& instance = pool_->options().instance;
    Mark mark = Mark::kMarked;
    BILLING_TRY(pool_->Transient([&](PgConnection& conn) -> Status {
      mark = Mark::kMarked;  // may run again (pg_pool.h)
      stored->reset();
      // Taken when there is no row, or the row is our own old mark, a mark of an instance that
      // is gone (no session of it left) or a stale one, or a response past retention; otherwise
      // the row stays and is read below (locked by the conflict).
      static const std::string kMark =
          "INSERT INTO idempotency_keys AS k "
          "(owner, idem_key, fingerprint, status, content_type, body, created_ms, in_flight_by) "
          "VALUES ($1, $2, '', 0, '', '', $3, $4) "
          "ON CONFLICT (owner, idem_key) DO UPDATE SET fingerprint = '', status = 0, "
          "content_type = '', body = '', created_ms = EXCLUDED.created_ms, "
          "in_flight_by = EXCLUDED.in_flight_by "
          "WHERE (k.status = 0 AND (k.in_flight_by = EXCLUDED.in_flight_by OR k.created_ms < $5 "
          "OR NOT " + pg::InstanceAliveSql("k.in_flight_by") + ")) "
          "OR (k.status <> 0 AND k.created_ms < $6)";
      BILLING_ASSIGN_OR_RETURN(
          PgResult marked, Sql(conn, kMark,
                               {owner, key, std::to_string(now_ms), instance,
                                std::to_string(stale_before_ms), std::to_string(not_before_ms)}));
      if (marked.affected_rows() == 1) return OkStatus();
      static const char* const kHeld =
          "SELECT fingerprint, status, content_type, body, created_ms FROM idempotency_keys "
          "WHERE owner = $1 AND idem_key = $2";
      BILLING_ASSIGN_OR_RETURN(PgResult r, Sql(conn, kHeld, {owner, key}));
      if (r.rows() == 0) return Error::Internal("postgres: idempotency key vanished under a lock");
      BILLING_ASSIGN_OR_RETURN(const int64_t status, r.Int(0, 1));
      if (status == 0) {
        mark = Mark::kHeldElsewhere;
        return OkStatus();
      }
      BILLING_ASSIGN_OR_RETURN(const int64_t created_ms, r.Int(0, 4));
      *stored = StoredResponse{r.Text(0, 0), static_cast<int>(status), r.Text(0, 2), r.Text(0, 3),
                               created_ms};
      mark = Mark::kStored;
      return OkStatus();
    }));
    return mark;
  }

  Status ClearInFlight(const std::string& owner, const std::string& key) override {
    const std::string& instance = pool_->options().instance;
    return pool_->Transient([&](PgConnection& conn) -> Status {
      BILLING_TRY(Sql(conn,
                      "DELETE FROM idempotency_keys WHERE owner = $1 AND idem_key = $2 AND "
                      "status = 0 AND in_flight_by = $3",
                      {owner, key, instance}));
      return OkStatus();
    });
  }

 private:
  std::shared_ptr<pg::Pool> pool_;
};

}  // namespace

std::unique_ptr<IdempotencyStore> NewPostgresIdempotencyStore(std::shared_ptr<pg::Pool> pool) {
  return std::make_unique<PostgresIdempotencyStore>(std::move(pool));
}

}  // namespace billing
