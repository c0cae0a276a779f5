// PostgreSQL implementation of SharedRateBuckets (store/shared_rate_buckets.h) on the UNLOGGED
// table of migrations/002_shared_instance_state.sql, in the pool's transient transactions
// (pg_pool.h: no writers' lock, no flush wait). A bucket's row is locked (FOR UPDATE) while its
// new state is computed, so two instances taking from one bucket take turns.
#include <optional>
#include <string>
#include <vector>

#include "store/postgres/pg_stores.h"
#include "store/shared_rate_buckets.h"

namespace billing {
namespace {

using pg::PgConnection;
using pg::PgResult;

Error DbError(const Error& e) {
  if (e.code == ErrorCode::kDatabaseUnavailable) return e;
  return Error::Internal(e.message);
}

Result<PgResult> Sql(PgConnection& conn, std::string_view sql,
                     const std::vector<std::optional<std::string>>& params) {
  auto r = pg::Run(conn, sql, params);
  if (!r.ok()) return DbError(r.error());
  return std::move(r.value());
}

class PostgresRateBuckets final : public SharedRateBuckets {
 public:
  explicit PostgresRateBuckets(std::shared_ptr<pg::Pool> pool) : pool_(std::move(pool)) {}

  Status Update(const std::string& key,
                const std::function<RateBucket(std::optional<RateBucket>)>& take) override {
    return pool_->Transient([&](PgConnection& conn) -> Status {
      // Twice at most: a bucket created by another instance between our read and our insert is
      // read (locked) again. A third time cannot be needed: buckets are only deleted by Purge,
      // which skips recently used ones.
      for (int attempt = 0; attempt < 2; ++attempt) {
        BILLING_ASSIGN_OR_RETURN(
            PgResult found,
            Sql(conn,
                "SELECT tokens_milli, updated_ms FROM rate_buckets WHERE bucket = $1 FOR UPDATE",
                {key}));
        if (found.rows() == 1) {
          RateBucket stored;
          BILLING_ASSIGN_OR_RETURN(stored.tokens_milli, found.Int(0, 0));
          BILLING_ASSIGN_OR_RETURN(stored.updated_ms, found.Int(0, 1));
          const RateBucket next = take(stored);
          BILLING_TRY(
              Sql(conn,
                  "UPDATE rate_buckets SET tokens_milli = $2, updated_ms = $3 "
                  "WHERE bucket = $1",
                  {key, std::to_string(next.tokens_milli), std::to_string(next.updated_ms)}));
          return OkStatus();
        }
        const RateBucket fresh = take(std::nullopt);
        BILLING_ASSIGN_OR_RETURN(
            PgResult inserted,
            Sql(conn,
                "INSERT INTO rate_buckets (bucket, tokens_milli, updated_ms) VALUES ($1, $2, $3) "
                "ON CONFLICT (bucket) DO NOTHING",
                {key, std::to_string(fresh.tokens_milli), std::to_string(fresh.updated_ms)}));
        if (inserted.affected_rows() == 1) return OkStatus();
      }
      return Error::Internal("postgres: rate bucket " + key + " appeared and vanished twice");
    });
  }

  Result<int64_t> Purge(int64_t before_ms, int limit) override {
    int64_t removed = 0;
    BILLING_TRY(pool_->Transient([&](PgConnection& conn) -> Status {
      removed = 0;  // may run again
      BILLING_ASSIGN_OR_RETURN(
          PgResult r, Sql(conn,
                          "DELETE FROM rate_buckets WHERE bucket IN (SELECT bucket FROM "
                          "rate_buckets WHERE updated_ms < $1 ORDER BY updated_ms LIMIT $2)",
                          {std::to_string(before_ms), std::to_string(limit)}));
      removed = r.affected_rows();
      return OkStatus();
    }));
    return removed;
  }

 private:
  std::shared_ptr<pg::Pool> pool_;
};

}  // namespace

std::unique_ptr<SharedRateBuckets> NewPostgresRateBuckets(std::shared_ptr<pg::Pool> pool) {
  return std::make_unique<PostgresRateBuckets>(std::move(pool));
}

}  // namespace billing
