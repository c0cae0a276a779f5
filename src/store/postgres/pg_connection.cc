#include "store/postgres/pg_connection.h"

#include <cassert>
#include <charconv>
#include <chrono>

#include "store/wait_hook.h"

namespace billing::pg {
namespace {

// The wire protocol counts parameters in 16 bits; the store's statements use a few dozen, a bulk
// copy (store/db_copy.cc) up to kMaxParamsPerStatement.
constexpr size_t kMaxParams = kMaxParamsPerStatement;
constexpr size_t kMaxMessageBytes = 300;

std::string Clipped(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  if (s.size() > kMaxMessageBytes) s.resize(kMaxMessageBytes);
  return s;
}

// The next result of the query in flight. With a WaitHook on this thread (a fiber of an I/O
// thread, store/wait_hook.h) the wait for the server suspends the fiber; without one, libpq blocks
// the thread. nullptr: no more results.
PGresult* NextResult(PGconn* c) {
  if (WaitHook* hook = CurrentWaitHook()) {
    while (PQisBusy(c) == 1) {
      hook->WaitReadable(PQsocket(c));
      if (PQconsumeInput(c) == 0) break;  // the connection failed: PQgetResult reports it
    }
  }
  return PQgetResult(c);
}

bool Succeeded(const PGresult* r) {
  const ExecStatusType status = PQresultStatus(r);
  return status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK;
}

// Every result of a query sent with PQsend*, as PQexec returns them: the first failure, else the
// last result. nullptr when nothing came back (the caller reads PQerrorMessage).
PGresult* CollectResult(PGconn* c) {
  PGresult* kept = nullptr;
  while (PGresult* r = NextResult(c)) {
    if (kept != nullptr && !Succeeded(kept)) {
      PQclear(r);  // a failure is kept over what follows it
      continue;
    }
    if (kept != nullptr) PQclear(kept);
    kept = r;
  }
  return kept;
}

// PQconnectdbParams without blocking the thread: with a WaitHook installed, each wait of the
// connection's handshake suspends the fiber, up to `timeout_s` in all (PQconnectPoll does not
// enforce connect_timeout itself). The caller checks PQstatus; nullptr with `timed_out` set when
// the time ran out (the half-open connection is closed).
PGconn* ConnectOnFiber(const char* const* keys, const char* const* values, int timeout_s,
                       bool& timed_out) {
  PGconn* c = PQconnectStartParams(keys, values, 1);
  if (c == nullptr || PQstatus(c) == CONNECTION_BAD) return c;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s);
  PostgresPollingStatusType poll = PGRES_POLLING_WRITING;
  // Bounded by the deadline: each turn waits on the socket, and a wait that times out ends it.
  while (poll != PGRES_POLLING_OK && poll != PGRES_POLLING_FAILED) {
    const auto left_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                             deadline - std::chrono::steady_clock::now())
                             .count();
    if (left_ms <= 0 ||
        !CurrentWaitHook()->WaitFor(PQsocket(c), poll == PGRES_POLLING_WRITING, int(left_ms))) {
      PQfinish(c);
      timed_out = true;
      return nullptr;
    }
    poll = PQconnectPoll(c);
  }
  return c;
}

}  // namespace

bool IsPostgresUrl(std::string_view url) {
  return url.rfind("postgres://", 0) == 0 || url.rfind("postgresql://", 0) == 0;
}

std::string RedactedDbUrl(std::string_view url) {
  std::string out(url);
  const size_t scheme = out.find("://");
  if (scheme != std::string::npos) {
    const size_t authority = scheme + 3;
    const size_t end = out.find_first_of("/?", authority);
    const size_t at = out.rfind('@', end == std::string::npos ? out.size() : end);
    if (at != std::string::npos && at >= authority) {
      const size_t colon = out.find(':', authority);
      if (colon != std::string::npos && colon < at) out.erase(colon, at - colon);
    }
  }
  // password=... in the query string.
  for (size_t p = out.find("password="); p != std::string::npos; p = out.find("password=")) {
    size_t start = p;
    if (start > 0 && (out[start - 1] == '&' || out[start - 1] == '?')) --start;
    const size_t stop = out.find('&', p);
    const bool first = out[start] == '?';
    out.erase(start, (stop == std::string::npos ? out.size() : stop) - start);
    if (first && start < out.size() && out[start] == '&') out[start] = '?';
  }
  return out;
}

bool PgResult::IsNull(int row, int column) const {
  if (row < 0 || row >= rows() || column < 0 || column >= columns()) return true;
  return PQgetisnull(result_.get(), row, column) != 0;
}

std::string PgResult::Text(int row, int column) const {
  if (IsNull(row, column)) return {};
  return std::string(PQgetvalue(result_.get(), row, column),
                     size_t(PQgetlength(result_.get(), row, column)));
}

Result<int64_t> PgResult::Int(int row, int column) const {
  const std::string text = Text(row, column);
  int64_t v = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (IsNull(row, column) || text.empty() || ec != std::errc() ||
      ptr != text.data() + text.size()) {
    const char* name = column >= 0 && column < columns() ? PQfname(result_.get(), column) : "?";
    return Error::Internal(std::string("postgres: column ") + name + " is not an integer");
  }
  return v;
}

int64_t PgResult::affected_rows() const {
  const char* n = PQcmdTuples(result_.get());
  int64_t v = 0;
  if (n == nullptr || *n == '\0') return 0;
  std::from_chars(n, n + std::char_traits<char>::length(n), v);
  return v;
}

Result<std::unique_ptr<PgConnection>> PgConnection::Open(const std::string& url,
                                                         int connect_timeout_s, int timeout_ms,
                                                         const std::string& application_name) {
  const std::string timeout = std::to_string(connect_timeout_s < 1 ? 1 : connect_timeout_s);
  const std::string with_timeouts = timeout_ms > 0
                                        ? "-c statement_timeout=" + std::to_string(timeout_ms) +
                                              " -c lock_timeout=" + std::to_string(timeout_ms)
                                        : std::string();
  // Prepared statements are planned once per connection (docs/postgres.md "Plans"): PostgreSQL's
  // default re-plans a statement at every execution when it guesses that a plan for the values at
  // hand beats the generic one, which on small tables is most of the time, and planning then
  // costs more than running. Values of closed sets are written into the text (Sql::Enum) so that
  // skewed columns still get plans of their own.
  const std::string options = with_timeouts + " -c plan_cache_mode=force_generic_plan";
  const char* keys[] = {"dbname",
                        "connect_timeout",
                        "application_name",
                        "keepalives_idle",
                        "keepalives_interval",
                        "keepalives_count",
                        "options",
                        nullptr};
  const char* values[] = {
      url.c_str(),     timeout.c_str(), application_name.c_str(), "10", "5", "3",
      options.c_str(), nullptr};
  // expand_dbname=1: the URL's own parts (host, port, user, ...) are used, the rest added.
  bool timed_out = false;
  PGconn* raw =
      CurrentWaitHook() != nullptr
          ? ConnectOnFiber(keys, values, connect_timeout_s < 1 ? 1 : connect_timeout_s, timed_out)
          : PQconnectdbParams(keys, values, 1);
  if (timed_out) {
    return Error(ErrorCode::kDatabaseUnavailable,
                 "postgres: cannot connect to " + RedactedDbUrl(url) + ": timeout expired");
  }
  if (raw == nullptr) {
    return Error(ErrorCode::kDatabaseUnavailable, "postgres: out of memory connecting");
  }
  std::unique_ptr<PgConnection> conn(new PgConnection(raw));
  // Server notices ("... does not exist, skipping") are not errors; libpq would print them.
  PQsetNoticeProcessor(
      raw, [](void*, const char*) {}, nullptr);
  if (PQstatus(raw) != CONNECTION_OK) {
    return Error(
        ErrorCode::kDatabaseUnavailable,
        "postgres: cannot connect to " + RedactedDbUrl(url) + ": " + Clipped(PQerrorMessage(raw)));
  }
  return conn;
}

PgConnection::Outcome PgConnection::Exec(std::string_view sql,
                                         const std::vector<std::optional<std::string>>& params) {
  Outcome out;
  if (params.size() > kMaxParams) {
    out.failure = PgError{Error::Internal("postgres: too many parameters"), false, ""};
    return out;
  }
  const std::string text(sql);
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const auto& p : params) values.push_back(p ? p->c_str() : nullptr);
  if (!deferred_.empty()) {
    // The queued statements go out with this one, in one round trip.
    BatchOutcome batch = ExecBatch({Statement{text, params}});
    if (batch.failure) {
      out.failure = std::move(batch.failure);
    } else {
      out.result.emplace(std::move(batch.results.front()));
    }
    return out;
  }
  const std::string* name = Prepared(text, int(values.size()));
  ++statements_;
  ++round_trips_;
  const int sent = name != nullptr
                       ? PQsendQueryPrepared(conn_.get(), name->c_str(), int(values.size()),
                                             values.data(), nullptr, nullptr, 0)
                       : PQsendQueryParams(conn_.get(), text.c_str(), int(values.size()), nullptr,
                                           values.data(), nullptr, nullptr, 0);
  PGresult* raw = sent == 1 ? CollectResult(conn_.get()) : nullptr;
  PgResult result(raw);
  const ExecStatusType status = raw ? PQresultStatus(raw) : PGRES_FATAL_ERROR;
  if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) {
    out.result.emplace(std::move(result));
    return out;
  }
  out.failure = Failure(raw);
  return out;
}

void PgConnection::Defer(std::string sql) {
  // Bounded by construction: the pool queues at most BEGIN, a SET or a lock, and a savepoint's
  // RELEASE and SAVEPOINT before a statement runs.
  assert(deferred_.size() < kMaxDeferred);
  deferred_.push_back(std::move(sql));
}

PgConnection::BatchOutcome PgConnection::ExecBatch(const std::vector<Statement>& statements) {
  BatchOutcome out;
  std::vector<std::vector<const char*>> values(statements.size());
  std::vector<const std::string*> names(statements.size());
  for (size_t k = 0; k < statements.size(); ++k) {
    if (statements[k].params.size() > kMaxParams) {
      out.failure = PgError{Error::Internal("postgres: too many parameters"), false, ""};
      return out;
    }
    for (const auto& p : statements[k].params) values[k].push_back(p ? p->c_str() : nullptr);
    // Prepared before the pipeline starts (a new text costs its own round trip, once).
    names[k] = Prepared(statements[k].sql, int(values[k].size()));
  }
  std::vector<std::string> queued = std::move(deferred_);
  deferred_.clear();
  PGconn* c = conn_.get();
  auto broken = [&](const char* what) {
    out.results.clear();
    out.failure = PgError{
        Error(ErrorCode::kDatabaseUnavailable, std::string("postgres: connection lost: ") + what +
                                                   ": " + Clipped(PQerrorMessage(c))),
        false, ""};
    broken_ = true;
  };
  if (PQenterPipelineMode(c) != 1) {
    broken("cannot enter pipeline mode");
    return out;
  }
  // A handful of short statements: they fit the socket buffers, so sending them all before
  // reading (blocking mode) cannot deadlock against the server.
  for (const std::string& q : queued) {
    if (PQsendQueryParams(c, q.c_str(), 0, nullptr, nullptr, nullptr, nullptr, 0) != 1) {
      broken("cannot send");
      return out;
    }
  }
  for (size_t k = 0; k < statements.size(); ++k) {
    const int n = int(values[k].size());
    const int sent =
        names[k] != nullptr
            ? PQsendQueryPrepared(c, names[k]->c_str(), n, values[k].data(), nullptr, nullptr, 0)
            : PQsendQueryParams(c, statements[k].sql.c_str(), n, nullptr, values[k].data(), nullptr,
                                nullptr, 0);
    if (sent != 1) {
      broken("cannot send");
      return out;
    }
  }
  if (PQpipelineSync(c) != 1) {
    broken("cannot send");
    return out;
  }
  statements_ += queued.size() + statements.size();
  ++round_trips_;
  // The results in order: one per queued statement, then one per statement, then the sync. Each
  // query's results end with a null.
  for (size_t k = 0; k < queued.size() + statements.size(); ++k) {
    PGresult* raw = NextResult(c);
    if (raw == nullptr) {
      broken("no result");
      return out;
    }
    PgResult result(raw);
    const ExecStatusType status = PQresultStatus(raw);
    const bool ok = status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK;
    if (!ok && !out.failure) {
      // The first failure is the answer; what follows it was skipped (PIPELINE_ABORTED).
      out.failure = status == PGRES_PIPELINE_ABORTED
                        ? PgError{Error::Internal("postgres: pipeline aborted"), false, ""}
                        : Failure(raw);
    }
    if (k >= queued.size() && !out.failure) out.results.push_back(std::move(result));
    while (PGresult* extra = NextResult(c)) PQclear(extra);  // the null that ends this query
  }
  PgResult sync(NextResult(c));
  if (PQresultStatus(sync.raw()) != PGRES_PIPELINE_SYNC || PQexitPipelineMode(c) != 1) {
    broken("pipeline not closed");
    return out;
  }
  if (out.failure) out.results.clear();
  return out;
}

const std::string* PgConnection::Prepared(const std::string& sql, int param_count) {
  if (auto it = prepared_.find(sql); it != prepared_.end()) return &it->second;
  if (sql.size() > kMaxPreparedTextBytes || prepared_.size() >= kMaxPrepared) return nullptr;
  std::string name = "b";  // appended, not operator+: GCC 12 warns falsely (-Wrestrict)
  name += std::to_string(prepared_.size());
  ++statements_;  // a round trip of its own, once per text and connection
  ++round_trips_;
  PgResult prepared(PQsendPrepare(conn_.get(), name.c_str(), sql.c_str(), param_count, nullptr) == 1
                        ? CollectResult(conn_.get())
                        : nullptr);
  if (PQresultStatus(prepared.raw()) != PGRES_COMMAND_OK) return nullptr;
  return &prepared_.emplace(sql, name).first->second;
}

PgConnection::Outcome PgConnection::ExecScript(const std::string& sql) {
  Outcome out;
  std::string script;
  for (const std::string& q : deferred_) script += q + ";\n";
  deferred_.clear();
  script += sql;
  ++statements_;
  ++round_trips_;
  PGresult* raw =
      PQsendQuery(conn_.get(), script.c_str()) == 1 ? CollectResult(conn_.get()) : nullptr;
  PgResult result(raw);
  const ExecStatusType status = raw ? PQresultStatus(raw) : PGRES_FATAL_ERROR;
  if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) {
    out.result.emplace(std::move(result));
    return out;
  }
  out.failure = Failure(raw);
  return out;
}

PgError PgConnection::Failure(PGresult* raw) {
  PgError e;
  const char* state = raw ? PQresultErrorField(raw, PG_DIAG_SQLSTATE) : nullptr;
  e.sqlstate = state ? state : "";
  const std::string message =
      Clipped(raw ? PQresultErrorMessage(raw) : PQerrorMessage(conn_.get()));
  // 08xxx: connection exceptions; 57P0x: the server is shutting down or starting; 57014 and
  // 55P03: a statement or lock wait ran past the session's timeout. No SQLSTATE at all: libpq's
  // own error (every server error carries one), such as "server closed the connection
  // unexpectedly" read before the connection's status turned bad.
  if (!healthy() || e.sqlstate.empty() || e.sqlstate.rfind("08", 0) == 0 ||
      e.sqlstate.rfind("57P0", 0) == 0) {
    e.error = Error(ErrorCode::kDatabaseUnavailable, "postgres: connection lost: " + message);
    broken_ = true;
  } else if (e.sqlstate == "57014" || e.sqlstate == "55P03") {
    e.error = Error(ErrorCode::kDatabaseUnavailable, "postgres: timed out: " + message);
  } else if (e.sqlstate == "40001" || e.sqlstate == "40P01") {
    e.error = Error(ErrorCode::kConflict, "postgres: " + message);
    e.retryable = true;
    retryable_failure_ = true;
  } else if (e.sqlstate == "23505") {
    e.error = Error(ErrorCode::kConflict, "postgres: " + message);
  } else {
    e.error = Error::Internal("postgres: " + message);
  }
  return e;
}

}  // namespace billing::pg
