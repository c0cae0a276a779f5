// PostgreSQL implementation of ApiKeyStore (auth/key_store.h) over the pg::Pool it shares with
// the other stores on the database (store/postgres/pg_pool.h); the table comes from
// migrations/001_init.sql. The twin of sqlite/sqlite_key_store.cc.
#include <optional>
#include <string>
#include <vector>

#include "auth/key_store.h"
#include "store/postgres/pg_stores.h"

namespace billing {
namespace {

using pg::PgConnection;
using pg::PgResult;
using Params = std::vector<std::optional<std::string>>;

// The database being down stays kDatabaseUnavailable (HTTP 503); any other SQL failure is
// kInternal, as every SQLite error is in the twin (a duplicate prefix is found by the check
// before the INSERT, so a unique violation there would be a bug). A retryable failure is re-run
// by the pool, which reads that from the connection, not from this code.
Error DbError(const Error& e) {
  if (e.code == ErrorCode::kDatabaseUnavailable) return e;
  return Error::Internal(e.message);
}

Result<PgResult> Sql(PgConnection& conn, std::string_view sql, const Params& params = {}) {
  auto r = pg::Run(conn, sql, params);
  if (!r.ok()) return DbError(r.error());
  return std::move(r.value());
}

constexpr const char* kCols =
    "SELECT prefix, key_hash, name, scopes, created_at, revoked_at, customer_id FROM api_keys";

StoredApiKey ReadKey(const PgResult& r, int row) {
  StoredApiKey k;
  k.prefix = r.Text(row, 0);
  k.key_hash = r.Text(row, 1);
  k.name = r.Text(row, 2);
  Result<ScopeSet> scopes = ParseScopeList(r.Text(row, 3), /*strict=*/false);
  k.scopes = scopes.ok() ? *scopes : kNoScopes;
  k.created_at = r.Text(row, 4);
  k.revoked_at = r.Text(row, 5);
  k.customer_id = r.Text(row, 6);
  return k;
}

class PostgresApiKeyStore final : public ApiKeyStore {
 public:
  explicit PostgresApiKeyStore(std::shared_ptr<pg::Pool> pool) : pool_(std::move(pool)) {}

  Status Insert(const StoredApiKey& key) override {
    if (key.name.size() > kMaxApiKeyNameBytes) {
      return Error::Invalid(
          "name", "name must be at most " + std::to_string(kMaxApiKeyNameBytes) + " bytes");
    }
    if (key.prefix.empty() || key.key_hash.empty()) {
      return Error::Invalid("key", "key prefix and hash are required");
    }
    return pool_->Write([&](PgConnection& conn) -> Status {
      {
        BILLING_ASSIGN_OR_RETURN(PgResult count, Sql(conn, "SELECT COUNT(*) FROM api_keys"));
        BILLING_ASSIGN_OR_RETURN(const int64_t n, count.Int(0, 0));
        if (n >= int64_t(kMaxApiKeys)) {
          return Error::Precondition("at most " + std::to_string(kMaxApiKeys) +
                                     " API keys can exist");
        }
      }
      {
        // Checked first, as on SQLite (the write lock keeps other writers out until COMMIT).
        BILLING_ASSIGN_OR_RETURN(
            PgResult exists, Sql(conn, "SELECT 1 FROM api_keys WHERE prefix = $1", {key.prefix}));
        if (exists.rows() > 0) {
          return Error(ErrorCode::kConflict, "an API key with prefix " + key.prefix + " exists");
        }
      }
      BILLING_TRY(Sql(conn,
                      "INSERT INTO api_keys (prefix, key_hash, name, scopes, created_at, "
                      "revoked_at, customer_id) VALUES ($1, $2, $3, $4, $5, '', $6)",
                      {key.prefix, key.key_hash, key.name, FormatScopes(key.scopes), key.created_at,
                       key.customer_id}));
      return OkStatus();
    });
  }

  Result<std::optional<StoredApiKey>> FindByPrefix(const std::string& prefix) override {
    std::optional<StoredApiKey> out;
    BILLING_TRY(pool_->Read([&](PgConnection& conn) -> Status {
      out.reset();  // the pool may run this again on a new connection
      static const std::string kSql = std::string(kCols) + " WHERE prefix = $1";
      BILLING_ASSIGN_OR_RETURN(PgResult r, Sql(conn, kSql, {prefix}));
      if (r.rows() > 0) out = ReadKey(r, 0);
      return OkStatus();
    }));
    return out;
  }

  Result<std::vector<StoredApiKey>> List() override {
    std::vector<StoredApiKey> out;
    BILLING_TRY(pool_->Read([&](PgConnection& conn) -> Status {
      out.clear();  // the pool may run this again on a new connection
      // created_at and prefix are COLLATE "C": the bytewise order SQLite uses.
      static const std::string kSql = std::string(kCols) + " ORDER BY created_at, prefix LIMIT $1";
      BILLING_ASSIGN_OR_RETURN(PgResult r, Sql(conn, kSql, {std::to_string(kMaxApiKeys)}));
      for (int row = 0; row < r.rows() && size_t(row) < kMaxApiKeys; ++row) {
        out.push_back(ReadKey(r, row));
      }
      return OkStatus();
    }));
    return out;
  }

  Status Revoke(const std::string& prefix, const std::string& revoked_at) override {
    return pool_->Write([&](PgConnection& conn) -> Status {
      {
        BILLING_ASSIGN_OR_RETURN(
            PgResult find,
            Sql(conn, "SELECT revoked_at FROM api_keys WHERE prefix = $1", {prefix}));
        if (find.rows() == 0) return Error::NotFound("no API key with prefix " + prefix, "prefix");
        if (!find.Text(0, 0).empty()) return OkStatus();  // already revoked: keep the first time
      }
      BILLING_TRY(
          Sql(conn, "UPDATE api_keys SET revoked_at = $2 WHERE prefix = $1", {prefix, revoked_at}));
      return OkStatus();
    });
  }

  Result<int64_t> Count(bool active_only) override {
    int64_t n = 0;
    BILLING_TRY(pool_->Read([&](PgConnection& conn) -> Status {
      n = 0;  // the pool may run this again on a new connection
      static const char* const kAll = "SELECT COUNT(*) FROM api_keys";
      static const char* const kActive = "SELECT COUNT(*) FROM api_keys WHERE revoked_at = ''";
      BILLING_ASSIGN_OR_RETURN(PgResult r, Sql(conn, active_only ? kActive : kAll));
      BILLING_ASSIGN_OR_RETURN(n, r.Int(0, 0));
      return OkStatus();
    }));
    return n;
  }

 private:
  std::shared_ptr<pg::Pool> pool_;
};

}  // namespace

std::unique_ptr<ApiKeyStore> NewPostgresApiKeyStore(std::shared_ptr<pg::Pool> pool) {
  return std::make_unique<PostgresApiKeyStore>(std::move(pool));
}

}  // namespace billing
