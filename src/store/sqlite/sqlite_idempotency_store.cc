// SQLite implementation of IdempotencyStore (store/idempotency_store.h) over the connection pool
// it shares with the other stores on the ledger's database file; the table comes from
// 006_idempotency.sql.
#include <sqlite3.h>

#include "store/idempotency_store.h"
#include "store/sqlite/sqlite_util.h"
#include "store/sqlite/sqlite_stores.h"

namespace billing {
namespace {

using sqlite::Connection;
using sqlite::Stmt;

#define IDEM_PREPARE(var, conn, sql)         \
  auto var##_r = (conn).Prepare(sql);        \
  if (!var##_r.ok()) return var##_r.error(); \
  Stmt var((conn), var##_r.value())

class SqliteIdempotencyStore final : public IdempotencyStore {
 public:
  explicit SqliteIdempotencyStore(std::shared_ptr<sqlite::ConnectionPool> pool)
      : pool_(std::move(pool)) {}

  Result<std::optional<StoredResponse>> Find(const std::string& owner, const std::string& key,
                                             int64_t not_before_ms) override {
    std::optional<StoredResponse> out;
    BILLING_TRY(pool_->Read([&](Connection& conn) -> Status {
      static const char* const kSql =
          "SELECT fingerprint, status, content_type, body, created_ms FROM idempotency_keys "
          "WHERE owner = ?1 AND idem_key = ?2 AND created_ms >= ?3";
      IDEM_PREPARE(st, conn, kSql);
      st.Bind(1, owner).Bind(2, key).Bind(3, not_before_ms);
      auto row = st.Step();
      if (!row.ok()) return row.error();
      if (row.value()) {
        out = StoredResponse{st.Text(0), static_cast<int>(st.Int(1)), st.Text(2), st.Text(3),
                             st.Int(4)};
      }
      return OkStatus();
    }));
    return out;
  }

  Status Save(const std::string& owner, const std::string& key,
              const StoredResponse& response) override {
    return pool_->Write([&](Connection& conn) -> Status {
      static const char* const kSql =
          "INSERT OR REPLACE INTO idempotency_keys "
          "(owner, idem_key, fingerprint, status, content_type, body, created_ms) "
          "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";
      IDEM_PREPARE(st, conn, kSql);
      st.Bind(1, owner).Bind(2, key).Bind(3, response.fingerprint);
      st.Bind(4, int64_t(response.status)).Bind(5, response.content_type).Bind(6, response.body);
      st.Bind(7, response.created_ms);
      return st.Run();
    });
  }

  Result<int64_t> Purge(int64_t before_ms, int limit) override {
    int64_t removed = 0;
    BILLING_TRY(pool_->Write([&](Connection& conn) -> Status {
      static const char* const kSql =
          "DELETE FROM idempotency_keys WHERE rowid IN (SELECT rowid FROM idempotency_keys "
          "WHERE created_ms < ?1 ORDER BY created_ms LIMIT ?2)";
      IDEM_PREPARE(st, conn, kSql);
      st.Bind(1, before_ms).Bind(2, int64_t(limit));
      BILLING_TRY(st.Run());
      removed = sqlite3_changes(conn.db());
      return OkStatus();
    }));
    return removed;
  }

  // A SQLite file is served by one process: http::Idempotency's in-memory set of keys in flight
  // is already complete, so there is nothing to tell other instances.
  Result<Mark> MarkInFlight(const std::string&, const std::string&, int64_t, int64_t, int64_t,
                            std::optional<StoredResponse>*) override {
    return Mark::kMarked;
  }
  Status ClearInFlight(const std::string&, const std::string&) override { return OkStatus(); }

 private:
  std::shared_ptr<sqlite::ConnectionPool> pool_;
};

}  // namespace

Result<std::unique_ptr<IdempotencyStore>> OpenSqliteIdempotencyStore(const SqliteOptions& options) {
  auto pool = sqlite::ConnectionPool::Open(options);
  if (!pool.ok()) return pool.error();
  return std::unique_ptr<IdempotencyStore>(
      std::make_unique<SqliteIdempotencyStore>(std::move(pool.value())));
}

}  // namespace billing
