// PgConnection: one libpq connection to PostgreSQL, with parameterised statements and errors as
// values. The first brick of the PostgreSQL backend (issue #11): the Store implementation and its
// pool are built on it. Statements always go through PQexecParams (never string splicing); every
// value is sent as text and read back as text, converted at this edge. Errors map to the
// project's codes: a unique violation is kConflict, a serialization failure or a deadlock is
// kConflict with `retryable` set (the caller retries the transaction, bounded), a lost or refused
// connection, a server shutting down or a statement or lock timeout is kDatabaseUnavailable
// (HTTP 503), anything else kInternal. Connection strings are never
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
#include <unordered_map>
#include <utility>
#include <vector>

#include "common/result.h"

namespace billing::pg {

// The most parameters one statement may carry (the protocol's limit is 65,535); more is an error.
inline constexpr size_t kMaxParamsPerStatement = 20'000;

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
  PGresult* raw() const { return result_.get(); }

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
  // Connects (bounded by connect_timeout_s, at least 1 s); kDatabaseUnavailable naming the
  // redacted URL when the server does not answer or refuses. `timeout_ms` > 0 also bounds every
  // statement and lock wait of the session (statement_timeout, lock_timeout), and TCP keepalives
  // find a peer that vanished.
  // `application_name` names the session in pg_stat_activity (pg::Pool: the instance).
  static Result<std::unique_ptr<PgConnection>> Open(const std::string& url, int connect_timeout_s,
                                                    int timeout_ms = 0,
                                                    const std::string& application_name =
                                                        "billing-agent");
  ~PgConnection() = default;
  PgConnection(const PgConnection&) = delete;
  PgConnection& operator=(const PgConnection&) = delete;

  // Runs one statement with positional parameters $1..$n (nullopt = NULL). A statement text
  // seen before on this connection runs as a prepared statement (parsed and planned once per
  // connection, not per call); at most kMaxPrepared texts of at most kMaxPreparedTextBytes each
  // are kept, others run unprepared.
  struct Outcome {
    std::optional<PgResult> result;  // set on success
    std::optional<PgError> failure;  // set on failure
    bool ok() const { return result.has_value(); }
  };
  Outcome Exec(std::string_view sql, const std::vector<std::optional<std::string>>& params = {});
  // Runs several statements in one round trip (pipeline mode), after any queued by Defer: all
  // their results in order, or the first failure (nothing after it ran, no results).
  struct Statement {
    std::string sql;
    std::vector<std::optional<std::string>> params;
  };
  struct BatchOutcome {
    std::vector<PgResult> results;
    std::optional<PgError> failure;
    bool ok() const { return !failure.has_value(); }
  };
  BatchOutcome ExecBatch(const std::vector<Statement>& statements);

  // Runs SQL text that may hold several statements and no parameters (migrations only).
  Outcome ExecScript(const std::string& sql);

  // Queues a statement without parameters (BEGIN, SET LOCAL, SAVEPOINT, RELEASE, a lock) to go
  // out with the next Exec in one round trip (libpq pipeline mode), instead of a round trip of
  // its own. If a queued statement fails, that Exec fails with its error and nothing after it
  // in the round trip runs. At most kMaxDeferred are queued (asserted; the pool queues four at
  // most).
  void Defer(std::string sql);
  bool has_deferred() const { return !deferred_.empty(); }
  // Takes the queued statements back unsent (a read that may end before it needs its BEGIN).
  std::vector<std::string> TakeDeferred() { return std::exchange(deferred_, {}); }
  // True while the session is inside a transaction block (also an aborted one, or when the
  // connection is lost and its state unknown); false when idle between transactions.
  bool InTransaction() const { return PQtransactionStatus(conn_.get()) != PQTRANS_IDLE; }
  static constexpr size_t kMaxDeferred = 8;

  // False once the connection is lost (the pool replaces it): libpq says so, or a statement
  // failed in a way that means it (Failure), which libpq may not have noticed yet.
  bool healthy() const { return !broken_ && PQstatus(conn_.get()) == CONNECTION_OK; }
  // Statements sent, and round trips made, since the last call; the pool sums them.
  uint64_t TakeStatementCount() {
    const uint64_t n = statements_;
    statements_ = 0;
    return n;
  }
  uint64_t TakeRoundTripCount() {
    const uint64_t n = round_trips_;
    round_trips_ = 0;
    return n;
  }
  // Whether a statement failed with a retryable error (serialization failure, deadlock) since
  // the last call: the pool retries the write that saw it.
  bool TakeRetryableFailure() {
    const bool seen = retryable_failure_;
    retryable_failure_ = false;
    return seen;
  }
  int server_version() const { return PQserverVersion(conn_.get()); }

 private:
  explicit PgConnection(PGconn* conn) : conn_(conn, &PQfinish) {}
  PgError Failure(PGresult* raw);  // the mapped error of a failed statement
  std::unique_ptr<PGconn, decltype(&PQfinish)> conn_;
  // The prepared statement of `sql`, prepared now if it is new: its name, or nullptr when it is
  // not kept (too long, the cache full, or preparing failed: the caller runs it unprepared,
  // which reports any error the usual way).
  const std::string* Prepared(const std::string& sql, int param_count);
  static constexpr size_t kMaxPrepared = 512;
  static constexpr size_t kMaxPreparedTextBytes = 8192;
  uint64_t statements_ = 0;
  uint64_t round_trips_ = 0;
  std::vector<std::string> deferred_;
  bool retryable_failure_ = false;
  bool broken_ = false;
  std::unordered_map<std::string, std::string> prepared_;  // SQL text -> statement name
};

}  // namespace billing::pg
