// PostgreSQL implementation of MemoryStore (store/memory_store.h) over the pg::Pool it shares with
// the other stores on the database (store/postgres/pg_pool.h); the tables come from
// migrations/001_init.sql. The twin of sqlite/sqlite_memory_store.cc: same checks, messages,
// errors and order. Messages are stored as the JSON of store/memory_codec.cc.
#include <algorithm>
#include <array>
#include <optional>
#include <string>
#include <vector>

#include "common/uuid.h"
#include "store/memory_store.h"
#include "store/postgres/pg_stores.h"

namespace billing {
namespace {

using nlohmann::json;
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

Result<PgResult> Sql(PgConnection& conn, std::string_view sql, const Params& params = {}) {
  auto r = pg::Run(conn, sql, params);
  if (!r.ok()) return DbError(r.error());
  return std::move(r.value());
}

std::string Dump(const json& value) {
  return value.dump(-1, ' ', false, json::error_handler_t::replace);
}

size_t CodePoints(const std::string& text) {
  size_t n = 0;
  for (unsigned char c : text) n += (c & 0xC0) != 0x80;
  return n;
}

Status CheckId(const char* field, const std::string& id) {
  if (id.empty()) return Error::Invalid(field, std::string(field) + " must be a non-empty string");
  if (id.size() > kMaxMemoryIdBytes) {
    return Error::Invalid(field, std::string(field) + " must be at most " +
                                     std::to_string(kMaxMemoryIdBytes) + " bytes");
  }
  return OkStatus();
}

Status CheckTitle(const std::string& title) {
  if (CodePoints(title) > kMaxThreadTitleBytes) {
    return Error::Invalid(
        "title", "title must be at most " + std::to_string(kMaxThreadTitleBytes) + " characters");
  }
  return OkStatus();
}

// The stored text of metadata (null or an object).
Result<std::string> MetadataText(const json& metadata) {
  if (!metadata.is_null() && !metadata.is_object()) {
    return Error::Invalid("metadata", "metadata must be an object");
  }
  std::string text = Dump(metadata);
  if (text.size() > kMaxThreadMetadataBytes) {
    return Error::Invalid(
        "metadata",
        "metadata must be at most " + std::to_string(kMaxThreadMetadataBytes) + " bytes of JSON");
  }
  return text;
}

json ParseStored(const std::string& text) {
  json value = json::parse(text, nullptr, /*allow_exceptions=*/false);
  return value.is_discarded() ? json() : value;
}

constexpr const char* kThreadCols =
    "SELECT id, resource_id, title, metadata, created_at, updated_at FROM memory_threads";

Result<MemoryThread> ReadThread(const PgResult& r, int row) {
  MemoryThread t;
  t.id = r.Text(row, 0);
  t.resource_id = r.Text(row, 1);
  t.title = r.Text(row, 2);
  t.metadata = ParseStored(r.Text(row, 3));
  BILLING_ASSIGN_OR_RETURN(t.created_at_ms, r.Int(row, 4));
  BILLING_ASSIGN_OR_RETURN(t.updated_at_ms, r.Int(row, 5));
  return t;
}

Result<std::optional<MemoryThread>> FindThread(PgConnection& conn, const std::string& id) {
  static const std::string sql = std::string(kThreadCols) + " WHERE id = $1";
  BILLING_ASSIGN_OR_RETURN(PgResult r, Sql(conn, sql, {id}));
  if (r.rows() == 0) return std::optional<MemoryThread>();
  BILLING_ASSIGN_OR_RETURN(MemoryThread t, ReadThread(r, 0));
  return std::optional<MemoryThread>(std::move(t));
}

Status InsertThread(PgConnection& conn, const MemoryThread& t) {
  BILLING_TRY(Sql(conn,
                  "INSERT INTO memory_threads (id, resource_id, title, metadata, created_at, "
                  "updated_at) VALUES ($1, $2, $3, $4, $5, $6)",
                  {t.id, t.resource_id, t.title, Dump(t.metadata), std::to_string(t.created_at_ms),
                   std::to_string(t.updated_at_ms)}));
  return OkStatus();
}

// The list statements: [by_resource][field][descending]. Ties are broken by id (COLLATE "C"):
// PostgreSQL has no rowid, and no column here records the insertion order SQLite breaks them by.
// Without a resource filter the bounds are $1 and $2, as every $n sent must appear in the text.
const std::string& ListSql(bool by_resource, ThreadOrderField field, bool descending) {
  static const std::array<std::string, 8> kSql = [] {
    std::array<std::string, 8> out;
    for (int i = 0; i < 8; ++i) {
      const bool resource = (i & 4) != 0;
      const char* column = (i & 2) != 0 ? "updated_at" : "created_at";
      const char* dir = (i & 1) != 0 ? "DESC" : "ASC";
      out[size_t(i)] = std::string(kThreadCols) + (resource ? " WHERE resource_id = $1" : "") +
                       " ORDER BY " + column + " " + dir + ", id " + dir +
                       (resource ? " LIMIT $2 OFFSET $3" : " LIMIT $1 OFFSET $2");
    }
    return out;
  }();
  const int i = (by_resource ? 4 : 0) + (field == ThreadOrderField::kUpdatedAt ? 2 : 0) +
                (descending ? 1 : 0);
  return kSql[size_t(i)];
}

constexpr const char* kMessageCols =
    "SELECT id, thread_id, resource_id, seq, content_json, created_at FROM memory_messages";

Result<StoredMessage> ReadMessage(const PgResult& r, int row) {
  StoredMessage m;
  m.id = r.Text(row, 0);
  m.thread_id = r.Text(row, 1);
  m.resource_id = r.Text(row, 2);
  BILLING_ASSIGN_OR_RETURN(m.seq, r.Int(row, 3));
  BILLING_ASSIGN_OR_RETURN(m.created_at_ms, r.Int(row, 5));
  auto message = ChatMessageFromJson(ParseStored(r.Text(row, 4)));
  if (!message.ok()) {
    return Error::Internal("memory message " + m.id + ": " + message.error().message);
  }
  m.message = std::move(message.value());
  return m;
}

class PostgresMemoryStore final : public MemoryStore {
 public:
  PostgresMemoryStore(std::shared_ptr<pg::Pool> pool, const Clock& clock, RandomSource& random)
      : pool_(std::move(pool)), clock_(clock), random_(random) {}

  Result<MemoryThread> CreateThread(const NewThread& request) override {
    MemoryThread t;
    t.id = request.id.empty() ? NewUuid(random_) : request.id;
    BILLING_TRY(CheckId("threadId", t.id));
    t.resource_id = request.resource_id;
    BILLING_TRY(CheckId("resourceId", t.resource_id));
    t.title = request.title;
    BILLING_TRY(CheckTitle(t.title));
    BILLING_TRY(MetadataText(request.metadata));
    t.metadata = request.metadata;
    t.created_at_ms = t.updated_at_ms = clock_.NowUnixMs();
    // Checked first, as on SQLite: under the write lock no other writer can insert in between,
    // so a unique violation of the INSERT would be a bug (kInternal), never "taken".
    BILLING_TRY(pool_->Write([&](PgConnection& conn) -> Status {
      BILLING_ASSIGN_OR_RETURN(std::optional<MemoryThread> existing, FindThread(conn, t.id));
      if (existing) {
        return Error(ErrorCode::kConflict, "Thread " + t.id + " already exists", "threadId");
      }
      return InsertThread(conn, t);
    }));
    return t;
  }

  Result<std::optional<MemoryThread>> GetThread(const std::string& id) override {
    std::optional<MemoryThread> out;
    if (id.empty() || id.size() > kMaxMemoryIdBytes) return out;
    BILLING_TRY(pool_->Read([&](PgConnection& conn) -> Status {
      BILLING_ASSIGN_OR_RETURN(out, FindThread(conn, id));
      return OkStatus();
    }));
    return out;
  }

  Result<ThreadPage> ListThreads(const ThreadListQuery& q) override {
    if (q.per_page < 1 || q.per_page > kMaxThreadsPerPage) {
      return Error::Invalid("perPage", "perPage must be an integer between 1 and " +
                                           std::to_string(kMaxThreadsPerPage));
    }
    if (q.page < 0 || q.page > kMaxPageIndex) {
      return Error::Invalid(
          "page", "page must be an integer between 0 and " + std::to_string(kMaxPageIndex));
    }
    if (q.resource_id.size() > kMaxMemoryIdBytes) {
      return Error::Invalid("resourceId", "resourceId must be at most " +
                                              std::to_string(kMaxMemoryIdBytes) + " bytes");
    }
    const bool by_resource = !q.resource_id.empty();
    ThreadPage page;
    BILLING_TRY(pool_->Read([&](PgConnection& conn) -> Status {
      page = ThreadPage{};  // the pool may run this again on a new connection
      {
        BILLING_ASSIGN_OR_RETURN(
            PgResult count,
            by_resource ? Sql(conn, "SELECT COUNT(*) FROM memory_threads WHERE resource_id = $1",
                              {q.resource_id})
                        : Sql(conn, "SELECT COUNT(*) FROM memory_threads"));
        if (count.rows() > 0) {
          BILLING_ASSIGN_OR_RETURN(page.total, count.Int(0, 0));
        }
      }
      Params params;
      if (by_resource) params.emplace_back(q.resource_id);
      params.emplace_back(std::to_string(q.per_page));
      params.emplace_back(std::to_string(q.page * q.per_page));
      BILLING_ASSIGN_OR_RETURN(PgResult r,
                               Sql(conn, ListSql(by_resource, q.order_by, q.descending), params));
      for (int row = 0; row < r.rows() && row < q.per_page; ++row) {
        BILLING_ASSIGN_OR_RETURN(MemoryThread t, ReadThread(r, row));
        page.threads.push_back(std::move(t));
      }
      return OkStatus();
    }));
    return page;
  }

  Result<MemoryThread> UpdateThread(const std::string& id, const ThreadUpdate& update) override {
    if (update.title) BILLING_TRY(CheckTitle(*update.title));
    if (update.metadata) BILLING_TRY(MetadataText(*update.metadata));
    if (update.resource_id) BILLING_TRY(CheckId("resourceId", *update.resource_id));
    MemoryThread t;
    BILLING_TRY(pool_->Write([&](PgConnection& conn) -> Status {
      t = MemoryThread{};  // the pool may run this again (pg_pool.h)
      BILLING_ASSIGN_OR_RETURN(std::optional<MemoryThread> existing, FindThread(conn, id));
      if (!existing) return Error::NotFound("Thread not found", "threadId");
      t = std::move(*existing);
      if (update.title) t.title = *update.title;
      if (update.metadata) t.metadata = *update.metadata;
      if (update.resource_id) t.resource_id = *update.resource_id;
      t.updated_at_ms = std::max(t.updated_at_ms, clock_.NowUnixMs());
      BILLING_TRY(
          Sql(conn,
              "UPDATE memory_threads SET title = $2, metadata = $3, resource_id = $4, "
              "updated_at = $5 WHERE id = $1",
              {t.id, t.title, Dump(t.metadata), t.resource_id, std::to_string(t.updated_at_ms)}));
      if (update.resource_id) {
        BILLING_TRY(Sql(conn, "UPDATE memory_messages SET resource_id = $2 WHERE thread_id = $1",
                        {t.id, t.resource_id}));
      }
      return OkStatus();
    }));
    return t;
  }

  Status DeleteThread(const std::string& id) override {
    return pool_->Write([&](PgConnection& conn) -> Status {
      // ON DELETE CASCADE would do it too; explicit, as in the SQLite twin.
      BILLING_TRY(Sql(conn, "DELETE FROM memory_messages WHERE thread_id = $1", {id}));
      BILLING_ASSIGN_OR_RETURN(PgResult r,
                               Sql(conn, "DELETE FROM memory_threads WHERE id = $1", {id}));
      if (r.affected_rows() == 0) return Error::NotFound("Thread not found", "threadId");
      return OkStatus();
    });
  }

  Result<std::vector<StoredMessage>> AppendMessages(
      const std::string& thread_id, const std::string& resource_id,
      const std::vector<ChatMessage>& messages) override {
    BILLING_TRY(CheckId("threadId", thread_id));
    BILLING_TRY(CheckId("resourceId", resource_id));
    if (messages.size() > kMaxAppendMessages) {
      return Error::Invalid("messages", "at most " + std::to_string(kMaxAppendMessages) +
                                            " messages can be saved at once");
    }
    // Ids and times are drawn once, before the transaction: a retry must store the same ones.
    const int64_t now = clock_.NowUnixMs();
    const std::string now_text = std::to_string(now);
    std::vector<StoredMessage> stored;
    std::vector<std::string> texts;
    stored.reserve(messages.size());
    texts.reserve(messages.size());
    for (size_t i = 0; i < messages.size(); ++i) {
      texts.push_back(Dump(ChatMessageToJson(messages[i])));
      if (texts.back().size() > kMaxStoredMessageBytes) {
        return Error::Invalid("messages",
                              "messages[" + std::to_string(i) + "] is too large to store");
      }
      StoredMessage m;
      m.id = NewUuid(random_);
      m.thread_id = thread_id;
      m.resource_id = resource_id;
      m.message = messages[i];
      m.created_at_ms = now;
      stored.push_back(std::move(m));
    }
    BILLING_TRY(pool_->Write([&](PgConnection& conn) -> Status {
      BILLING_ASSIGN_OR_RETURN(std::optional<MemoryThread> existing, FindThread(conn, thread_id));
      if (existing && existing->resource_id != resource_id) {
        return Error::Precondition("Thread " + thread_id + " belongs to another resource",
                                   "resourceId");
      }
      if (!existing) {
        MemoryThread t;
        t.id = thread_id;
        t.resource_id = resource_id;
        t.created_at_ms = t.updated_at_ms = now;
        BILLING_TRY(InsertThread(conn, t));
      }
      // MAX(seq) + 1 is race-free: every write transaction holds the one write lock (pg_pool.h).
      // Every seq is assigned again from it on a retry.
      int64_t seq = 0;
      {
        BILLING_ASSIGN_OR_RETURN(
            PgResult max,
            Sql(conn, "SELECT COALESCE(MAX(seq), 0) FROM memory_messages WHERE thread_id = $1",
                {thread_id}));
        if (max.rows() > 0) {
          BILLING_ASSIGN_OR_RETURN(seq, max.Int(0, 0));
        }
      }
      for (size_t i = 0; i < stored.size(); ++i) {
        StoredMessage& m = stored[i];
        m.seq = ++seq;
        BILLING_TRY(Sql(conn,
                        "INSERT INTO memory_messages (id, thread_id, resource_id, seq, role, "
                        "content_json, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                        {m.id, thread_id, resource_id, std::to_string(m.seq), m.message.role,
                         texts[i], now_text}));
      }
      BILLING_TRY(Sql(conn,
                      "UPDATE memory_threads SET updated_at = GREATEST(updated_at, $2::bigint) "
                      "WHERE id = $1",
                      {thread_id, now_text}));
      return OkStatus();
    }));
    return stored;
  }

  Result<MessagePage> LoadMessages(const std::string& thread_id, const MessageQuery& q) override {
    const bool paged = q.per_page > 0;
    if (paged && q.per_page > kMaxMessagesPerPage) {
      return Error::Invalid("perPage", "perPage must be an integer between 1 and " +
                                           std::to_string(kMaxMessagesPerPage));
    }
    if (paged && (q.page < 0 || q.page > kMaxPageIndex)) {
      return Error::Invalid(
          "page", "page must be an integer between 0 and " + std::to_string(kMaxPageIndex));
    }
    const int64_t limit =
        paged ? q.per_page
              : (q.last_n > 0 ? std::min(q.last_n, kMaxLastMessages) : kMaxLastMessages);
    MessagePage page;
    if (thread_id.empty() || thread_id.size() > kMaxMemoryIdBytes) return page;
    BILLING_TRY(pool_->Read([&](PgConnection& conn) -> Status {
      page = MessagePage{};  // the pool may run this again on a new connection
      {
        BILLING_ASSIGN_OR_RETURN(
            PgResult count,
            Sql(conn, "SELECT COUNT(*) FROM memory_messages WHERE thread_id = $1", {thread_id}));
        if (count.rows() > 0) {
          BILLING_ASSIGN_OR_RETURN(page.total, count.Int(0, 0));
        }
      }
      static const std::string kFirst =
          std::string(kMessageCols) + " WHERE thread_id = $1 ORDER BY seq ASC LIMIT $2 OFFSET $3";
      static const std::string kLast =
          std::string(kMessageCols) + " WHERE thread_id = $1 ORDER BY seq DESC LIMIT $2 OFFSET $3";
      BILLING_ASSIGN_OR_RETURN(PgResult r,
                               Sql(conn, paged ? kFirst : kLast,
                                   {thread_id, std::to_string(limit),
                                    std::to_string(paged ? q.page * q.per_page : int64_t(0))}));
      for (int row = 0; row < r.rows() && row < limit; ++row) {
        BILLING_ASSIGN_OR_RETURN(StoredMessage m, ReadMessage(r, row));
        page.messages.push_back(std::move(m));
      }
      return OkStatus();
    }));
    if (!paged) std::reverse(page.messages.begin(), page.messages.end());
    return page;
  }

 private:
  std::shared_ptr<pg::Pool> pool_;
  const Clock& clock_;
  RandomSource& random_;
};

}  // namespace

std::unique_ptr<MemoryStore> NewPostgresMemoryStore(std::shared_ptr<pg::Pool> pool,
                                                    const Clock& clock, RandomSource& random) {
  return std::make_unique<PostgresMemoryStore>(std::move(pool), clock, random);
}

}  // namespace billing
