#include "store/postgres/pg_connection.h"

#include <cassert>
#include <charconv>

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
  const std::string options = timeout_ms > 0
                                  ? "-c statement_timeout=" + std::to_string(timeout_ms) +
                                        " -c lock_timeout=" + std::to_string(timeout_ms)
                                  : std::string();
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
  PGconn* raw = PQconnectdbParams(keys, values, 1);
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
  PGresult* raw = name != nullptr ? PQexecPrepared(conn_.get(), name->c_str(), int(values.size()),
                                                   values.data(), nullptr, nullptr, 0)
                                  : PQexecParams(conn_.get(), text.c_str(), int(values.size()),
                                                 nullptr, values.data(), nullptr, nullptr, 0);
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
    out.failure = PgError{Error(ErrorCode::kDatabaseUnavailable,
                                std::string("postgres: connection lost: ") + what + ": " +
                                    Clipped(PQerrorMessage(c))),
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
    const int sent = names[k] != nullptr
                         ? PQsendQueryPrepared(c, names[k]->c_str(), n, values[k].data(), nullptr,
                                               nullptr, 0)
                         : PQsendQueryParams(c, statements[k].sql.c_str(), n, nullptr,
                                             values[k].data(), nullptr, nullptr, 0);
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
    PGresult* raw = PQgetResult(c);
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
    while (PGresult* extra = PQgetResult(c)) PQclear(extra);  // the null that ends this query
  }
  PgResult sync(PQgetResult(c));
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
  const std::string name = "b" + std::to_string(prepared_.size());
  ++statements_;  // a round trip of its own, once per text and connection
  ++round_trips_;
  PgResult prepared(PQprepare(conn_.get(), name.c_str(), sql.c_str(), param_count, nullptr));
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
  PGresult* raw = PQexec(conn_.get(), script.c_str());
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
