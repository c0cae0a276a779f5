// PgConnection: one libpq connection to PostgreSQL, with parameterised statements and errors as
// values. The first brick of the PostgreSQL backend (issue #11): the Store implementation and its
// pool are built on it. Statements always go through PQexecParams (never string splicing); every
// value is sent as text and read back as text, converted at this edge. Errors map to the
// project's codes: a unique violation is kConflict, a serialization failure or a deadlock is
// kConflict with `retryable` set (the caller retries the whole transaction, bounded), a lost or
// refused connection is kUnavailable, anything else kInternal. Connection strings are never
// logged with their password (RedactedDbUrl).
//
// Thread-safety: a PgConnection is used by one thread at a time (libpq's rule); the free
// functions are pure.
#pragma once

#include <libpq-fe.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace billing::pg {

// True for "postgres://..." and "postgresql://..." (how --db chooses the backend).
bool IsPostgresUrl(std::string_view url);

// The URL without its password, for logs: "postgres://app:secret@db:5432/billing" becomes
// "postgres://app@db:5432/billing"; a password=... query parameter is dropped as well.
std::string RedactedDbUrl(std::string_view url);

// The rows of one statement, read as text. Row and column indexes are checked.
class PgResult {
 public:
  explicit PgResult(PGresult* result) : result_(result, &PQclear) {}
  int rows() const { return PQntuples(result_.get()); }
  int columns() const { return PQnfields(result_.get()); }
  bool IsNull(int row, int column) const;
  std::string Text(int row, int column) const;  // "" for NULL or out of range
  // The column as an integer; kInternal naming the column for NULL or non-integer text.
  Result<int64_t> Int(int row, int column) const;
  int64_t affected_rows() const;  // INSERT/UPDATE/DELETE

 private:
  std::unique_ptr<PGresult, decltype(&PQclear)> result_;
};

// A statement's failure: the mapped error and whether a retry of the transaction may succeed.
struct PgError {
  Error error;
  bool retryable = false;  // serialization failure (40001) or deadlock (40P01)
  std::string sqlstate;    // e.g. "23505"; empty when the connection failed
};

class PgConnection {
 public:
  // Connects (bounded by connect_timeout_s, at least 1 s); kUnavailable naming the redacted URL
  // when the server does not answer or refuses.
  static Result<std::unique_ptr<PgConnection>> Open(const std::string& url, int connect_timeout_s);
  ~PgConnection() = default;
  PgConnection(const PgConnection&) = delete;
  PgConnection& operator=(const PgConnection&) = delete;

  // Runs one statement with positional parameters $1..$n (nullopt = NULL).
  struct Outcome {
    std::optional<PgResult> result;  // set on success
    std::optional<PgError> failure;  // set on failure
    bool ok() const { return result.has_value(); }
  };
  Outcome Exec(std::string_view sql, const std::vector<std::optional<std::string>>& params = {});

  // False once the connection is lost (the pool replaces it).
  bool healthy() const { return PQstatus(conn_.get()) == CONNECTION_OK; }
  int server_version() const { return PQserverVersion(conn_.get()); }

 private:
  explicit PgConnection(PGconn* conn) : conn_(conn, &PQfinish) {}
  std::unique_ptr<PGconn, decltype(&PQfinish)> conn_;
};

}  // namespace billing::pg
