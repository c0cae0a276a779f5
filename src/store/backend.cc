// Opens the stores on the backend a database string names; see backend.h.
#include "store/backend.h"

#include <libpq-fe.h>

#include "store/postgres/pg_connection.h"
#include "store/postgres/pg_pool.h"
#include "store/postgres/pg_stores.h"
#include "store/sqlite/sqlite_stores.h"

namespace billing {
namespace {

SqliteOptions Sqlite(const BackendOptions& o) {
  return SqliteOptions{o.db, o.max_connections, o.timeout_ms};
}

Result<std::shared_ptr<pg::Pool>> PgPool(const BackendOptions& o) {
  return pg::Pool::Open(
      pg::PoolOptions{o.db, o.max_connections, o.timeout_ms, o.instance, o.read_cache_entries});
}

}  // namespace

bool IsPostgresDb(const std::string& db) {
  return pg::IsPostgresUrl(db);
}

std::string RedactedDb(const std::string& db) {
  return db.find("://") != std::string::npos ? pg::RedactedDbUrl(db) : db;
}

std::string DescribeBackend(const BackendOptions& options) {
  if (!IsPostgresDb(options.db)) return "sqlite " + options.db;
  // libpq parses the URL (host may be a socket directory in the query string).
  char* error = nullptr;
  PQconninfoOption* parsed = PQconninfoParse(options.db.c_str(), &error);
  if (parsed == nullptr) {
    if (error != nullptr) PQfreemem(error);
    return "postgres " + pg::RedactedDbUrl(options.db);
  }
  std::string host, port, dbname, user;
  for (PQconninfoOption* o = parsed; o->keyword != nullptr; ++o) {
    if (o->val == nullptr) continue;
    const std::string key = o->keyword;
    if (key == "host") host = o->val;
    if (key == "port") port = o->val;
    if (key == "dbname") dbname = o->val;
    if (key == "user") user = o->val;
  }
  PQconninfoFree(parsed);
  std::string out = "postgres host " + (host.empty() ? std::string("localhost") : host);
  if (!port.empty()) out += ":" + port;
  out += " database " + (dbname.empty() ? std::string("(default)") : dbname);
  if (!user.empty()) out += " user " + user;
  return out;
}

Result<std::unique_ptr<Store>> OpenStore(const BackendOptions& options) {
  if (!IsPostgresDb(options.db)) return OpenSqliteStore(Sqlite(options));
  BILLING_ASSIGN_OR_RETURN(auto pool, PgPool(options));
  return NewPostgresStore(std::move(pool));
}

Result<std::unique_ptr<MemoryStore>> OpenMemoryStore(const BackendOptions& options,
                                                     const Clock& clock, RandomSource& random) {
  if (!IsPostgresDb(options.db)) return OpenSqliteMemoryStore(Sqlite(options), clock, random);
  BILLING_ASSIGN_OR_RETURN(auto pool, PgPool(options));
  return NewPostgresMemoryStore(std::move(pool), clock, random);
}

Result<std::unique_ptr<IdempotencyStore>> OpenIdempotencyStore(const BackendOptions& options) {
  if (!IsPostgresDb(options.db)) return OpenSqliteIdempotencyStore(Sqlite(options));
  BILLING_ASSIGN_OR_RETURN(auto pool, PgPool(options));
  return NewPostgresIdempotencyStore(std::move(pool));
}

Result<std::unique_ptr<ApiKeyStore>> OpenApiKeyStore(const BackendOptions& options) {
  if (!IsPostgresDb(options.db)) return OpenSqliteApiKeyStore(Sqlite(options));
  BILLING_ASSIGN_OR_RETURN(auto pool, PgPool(options));
  return NewPostgresApiKeyStore(std::move(pool));
}

Result<std::unique_ptr<SharedRateBuckets>> OpenSharedRateBuckets(const BackendOptions& options) {
  if (!IsPostgresDb(options.db)) return std::unique_ptr<SharedRateBuckets>();
  BILLING_ASSIGN_OR_RETURN(auto pool, PgPool(options));
  return NewPostgresRateBuckets(std::move(pool));
}

}  // namespace billing
