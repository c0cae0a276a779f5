// SQLite implementation of ApiKeyStore (auth/key_store.h) over the connection pool it shares with
// the other stores on the ledger's database file (store/sqlite/sqlite_util.h); the table comes from 005_api_keys.sql.
#include <sqlite3.h>

#include "auth/key_store.h"
#include "store/sqlite/sqlite_util.h"
#include "store/sqlite/sqlite_stores.h"

namespace billing {
namespace {

using sqlite::Connection;
using sqlite::Stmt;

#define KEY_PREPARE(var, conn, sql)          \
  auto var##_r = (conn).Prepare(sql);        \
  if (!var##_r.ok()) return var##_r.error(); \
  Stmt var((conn), var##_r.value())

constexpr const char* kCols = "SELECT prefix, key_hash, name, scopes, created_at, revoked_at, customer_id FROM api_keys";

StoredApiKey ReadKey(const Stmt& st) {
  StoredApiKey k;
  k.prefix = st.Text(0);
  k.key_hash = st.Text(1);
  k.name = st.Text(2);
  Result<ScopeSet> scopes = ParseScopeList(st.Text(3), /*strict=*/false);
  k.scopes = scopes.ok() ? *scopes : kNoScopes;
  k.created_at = st.Text(4);
  k.revoked_at = st.Text(5);
  k.customer_id = st.Text(6);
  return k;
}

class SqliteApiKeyStore final : public ApiKeyStore {
 public:
  explicit SqliteApiKeyStore(std::shared_ptr<sqlite::ConnectionPool> pool) : pool_(std::move(pool)) {}

  Status Insert(const StoredApiKey& key) override {
    if (key.name.size() > kMaxApiKeyNameBytes) {
      return Error::Invalid("name", "name must be at most " + std::to_string(kMaxApiKeyNameBytes) + " bytes");
    }
    if (key.prefix.empty() || key.key_hash.empty()) return Error::Invalid("key", "key prefix and hash are required");
    return pool_->Write([&](Connection& conn) -> Status {
      static const char* const kCount = "SELECT COUNT(*) FROM api_keys";
      {
        KEY_PREPARE(count, conn, kCount);
        auto row = count.Step();
        if (!row.ok()) return row.error();
        if (count.Int(0) >= int64_t(kMaxApiKeys)) {
          return Error::Precondition("at most " + std::to_string(kMaxApiKeys) + " API keys can exist");
        }
      }
      static const char* const kExists = "SELECT 1 FROM api_keys WHERE prefix = ?1";
      {
        KEY_PREPARE(exists, conn, kExists);
        exists.Bind(1, key.prefix);
        auto row = exists.Step();
        if (!row.ok()) return row.error();
        if (row.value()) return Error(ErrorCode::kConflict, "an API key with prefix " + key.prefix + " exists");
      }
      static const char* const kInsert =
          "INSERT INTO api_keys (prefix, key_hash, name, scopes, created_at, revoked_at, "
          "customer_id) VALUES (?1, ?2, ?3, ?4, ?5, '', ?6)";
      KEY_PREPARE(ins, conn, kInsert);
      ins.Bind(1, key.prefix).Bind(2, key.key_hash).Bind(3, key.name).Bind(4, FormatScopes(key.scopes))
          .Bind(5, key.created_at).Bind(6, key.customer_id);
      return ins.Run();
    });
  }

  Result<std::optional<StoredApiKey>> FindByPrefix(const std::string& prefix) override {
    std::optional<StoredApiKey> out;
    BILLING_TRY(pool_->Read([&](Connection& conn) -> Status {
      static const std::string kSql = std::string(kCols) + " WHERE prefix = ?1";
      KEY_PREPARE(st, conn, kSql.c_str());
      st.Bind(1, prefix);
      auto row = st.Step();
      if (!row.ok()) return row.error();
      if (row.value()) out = ReadKey(st);
      return OkStatus();
    }));
    return out;
  }

  Result<std::vector<StoredApiKey>> List() override {
    std::vector<StoredApiKey> out;
    BILLING_TRY(pool_->Read([&](Connection& conn) -> Status {
      static const std::string kSql =
          std::string(kCols) + " ORDER BY created_at, prefix LIMIT " + std::to_string(kMaxApiKeys);
      KEY_PREPARE(st, conn, kSql.c_str());
      while (true) {
        auto row = st.Step();
        if (!row.ok()) return row.error();
        if (!row.value()) break;
        out.push_back(ReadKey(st));
      }
      return OkStatus();
    }));
    return out;
  }

  Status Revoke(const std::string& prefix, const std::string& revoked_at) override {
    return pool_->Write([&](Connection& conn) -> Status {
      static const char* const kFind = "SELECT revoked_at FROM api_keys WHERE prefix = ?1";
      {
        KEY_PREPARE(find, conn, kFind);
        find.Bind(1, prefix);
        auto row = find.Step();
        if (!row.ok()) return row.error();
        if (!row.value()) return Error::NotFound("no API key with prefix " + prefix, "prefix");
        if (!find.Text(0).empty()) return OkStatus();  // already revoked
      }
      static const char* const kRevoke = "UPDATE api_keys SET revoked_at = ?2 WHERE prefix = ?1";
      KEY_PREPARE(st, conn, kRevoke);
      st.Bind(1, prefix).Bind(2, revoked_at);
      return st.Run();
    });
  }

  Result<int64_t> Count(bool active_only) override {
    int64_t n = 0;
    BILLING_TRY(pool_->Read([&](Connection& conn) -> Status {
      static const char* const kAll = "SELECT COUNT(*) FROM api_keys";
      static const char* const kActive = "SELECT COUNT(*) FROM api_keys WHERE revoked_at = ''";
      KEY_PREPARE(st, conn, active_only ? kActive : kAll);
      auto row = st.Step();
      if (!row.ok()) return row.error();
      n = st.Int(0);
      return OkStatus();
    }));
    return n;
  }

 private:
  std::shared_ptr<sqlite::ConnectionPool> pool_;
};

}  // namespace

Result<std::unique_ptr<ApiKeyStore>> OpenSqliteApiKeyStore(const SqliteOptions& options) {
  auto pool = sqlite::ConnectionPool::Open(options);
  if (!pool.ok()) return pool.error();
  return std::unique_ptr<ApiKeyStore>(std::make_unique<SqliteApiKeyStore>(std::move(pool.value())));
}

}  // namespace billing
