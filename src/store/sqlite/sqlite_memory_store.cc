// SQLite implementation of MemoryStore (store/memory_store.h) over the connection pool it shares
// with the other stores on the ledger's database file (store/sqlite/sqlite_util.h); the tables
// come from 002_memory.sql. Messages are stored as the JSON of store/memory_codec.cc.
#include <sqlite3.h>

#include <algorithm>
#include <array>

#include "common/uuid.h"
#include "store/memory_store.h"
#include "store/sqlite/sqlite_util.h"
#include "store/sqlite/sqlite_stores.h"

namespace billing {
namespace {

using nlohmann::json;
using sqlite::Connection;
using sqlite::Stmt;

#define MEM_PREPARE(var, conn, sql)          \
  auto var##_r = (conn).Prepare(sql);        \
  if (!var##_r.ok()) return var##_r.error(); \
  Stmt var((conn), var##_r.value())

#define MEM_STEP(row, st)                        \
  auto row##_r = (st).Step();                    \
  if (!row##_r.ok()) return row##_r.error();     \
  const bool row = row##_r.value()

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
    return Error::Invalid("title", "title must be at most " + std::to_string(kMaxThreadTitleBytes) +
                                       " characters");
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
    return Error::Invalid("metadata", "metadata must be at most " +
                                          std::to_string(kMaxThreadMetadataBytes) +
                                          " bytes of JSON");
  }
  return text;
}

json ParseStored(const std::string& text) {
  json value = json::parse(text, nullptr, /*allow_exceptions=*/false);
  return value.is_discarded() ? json() : value;
}

constexpr const char* kThreadCols =
    "SELECT id, resource_id, title, metadata, created_at, updated_at FROM memory_threads";

MemoryThread ReadThread(const Stmt& st) {
  MemoryThread t;
  t.id = st.Text(0);
  t.resource_id = st.Text(1);
  t.title = st.Text(2);
  t.metadata = ParseStored(st.Text(3));
  t.created_at_ms = st.Int(4);
  t.updated_at_ms = st.Int(5);
  return t;
}

Result<std::optional<MemoryThread>> FindThread(Connection& conn, const std::string& id) {
  static const std::string sql = std::string(kThreadCols) + " WHERE id = ?1";
  MEM_PREPARE(st, conn, sql.c_str());
  st.Bind(1, id);
  MEM_STEP(row, st);
  if (!row) return std::optional<MemoryThread>();
  return std::optional<MemoryThread>(ReadThread(st));
}

Status InsertThread(Connection& conn, const MemoryThread& t) {
  MEM_PREPARE(st, conn,
              "INSERT INTO memory_threads (id, resource_id, title, metadata, created_at, "
              "updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
  st.Bind(1, t.id).Bind(2, t.resource_id).Bind(3, t.title).Bind(4, Dump(t.metadata));
  st.Bind(5, t.created_at_ms).Bind(6, t.updated_at_ms);
  return st.Run();
}

// The list statements: [by_resource][field][descending]. Static strings (the statement cache is
// keyed by the text's address).
const char* ListSql(bool by_resource, ThreadOrderField field, bool descending) {
  static const std::array<std::string, 8> kSql = [] {
    std::array<std::string, 8> out;
    for (int i = 0; i < 8; ++i) {
      const bool resource = (i & 4) != 0;
      const char* column = (i & 2) != 0 ? "updated_at" : "created_at";
      const char* dir = (i & 1) != 0 ? "DESC" : "ASC";
      out[size_t(i)] = std::string(kThreadCols) + (resource ? " WHERE resource_id = ?1" : "") +
                       " ORDER BY " + column + " " + dir + ", rowid " + dir +
                       " LIMIT ?2 OFFSET ?3";
    }
    return out;
  }();
  const int i = (by_resource ? 4 : 0) + (field == ThreadOrderField::kUpdatedAt ? 2 : 0) +
                (descending ? 1 : 0);
  return kSql[size_t(i)].c_str();
}

constexpr const char* kMessageCols =
    "SELECT id, thread_id, resource_id, seq, content_json, created_at FROM memory_messages";

Result<StoredMessage> ReadMessage(const Stmt& st) {
  StoredMessage m;
  m.id = st.Text(0);
  m.thread_id = st.Text(1);
  m.resource_id = st.Text(2);
  m.seq = st.Int(3);
  m.created_at_ms = st.Int(5);
  auto message = ChatMessageFromJson(ParseStored(st.Text(4)));
  if (!message.ok()) return Error::Internal("memory message " + m.id + ": " + message.error().message);
  m.message = std::move(message.value());
  return m;
}

class SqliteMemoryStore final : public MemoryStore {
 public:
  SqliteMemoryStore(std::shared_ptr<sqlite::ConnectionPool> pool, const Clock& clock,
                    RandomSource& random)
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
    BILLING_TRY(pool_->Write([&](Connection& conn) -> Status {
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
    BILLING_TRY(pool_->Read([&](Connection& conn) -> Status {
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
      return Error::Invalid("page", "page must be an integer between 0 and " +
                                        std::to_string(kMaxPageIndex));
    }
    if (q.resource_id.size() > kMaxMemoryIdBytes) {
      return Error::Invalid("resourceId", "resourceId must be at most " +
                                              std::to_string(kMaxMemoryIdBytes) + " bytes");
    }
    const bool by_resource = !q.resource_id.empty();
    ThreadPage page;
    BILLING_TRY(pool_->Read([&](Connection& conn) -> Status {
      {
        MEM_PREPARE(count, conn,
                    by_resource ? "SELECT COUNT(*) FROM memory_threads WHERE resource_id = ?1"
                                : "SELECT COUNT(*) FROM memory_threads");
        if (by_resource) count.Bind(1, q.resource_id);
        MEM_STEP(row, count);
        page.total = row ? count.Int(0) : 0;
      }
      MEM_PREPARE(st, conn, ListSql(by_resource, q.order_by, q.descending));
      if (by_resource) st.Bind(1, q.resource_id);
      st.Bind(2, int64_t(q.per_page)).Bind(3, q.page * q.per_page);
      for (int guard = 0; guard < q.per_page; ++guard) {
        MEM_STEP(row, st);
        if (!row) break;
        page.threads.push_back(ReadThread(st));
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
    BILLING_TRY(pool_->Write([&](Connection& conn) -> Status {
      BILLING_ASSIGN_OR_RETURN(std::optional<MemoryThread> existing, FindThread(conn, id));
      if (!existing) return Error::NotFound("Thread not found", "threadId");
      t = std::move(*existing);
      if (update.title) t.title = *update.title;
      if (update.metadata) t.metadata = *update.metadata;
      if (update.resource_id) t.resource_id = *update.resource_id;
      t.updated_at_ms = std::max(t.updated_at_ms, clock_.NowUnixMs());
      MEM_PREPARE(st, conn,
                  "UPDATE memory_threads SET title = ?2, metadata = ?3, resource_id = ?4, "
                  "updated_at = ?5 WHERE id = ?1");
      st.Bind(1, t.id).Bind(2, t.title).Bind(3, Dump(t.metadata)).Bind(4, t.resource_id);
      st.Bind(5, t.updated_at_ms);
      BILLING_TRY(st.Run());
      if (update.resource_id) {
        MEM_PREPARE(msgs, conn, "UPDATE memory_messages SET resource_id = ?2 WHERE thread_id = ?1");
        msgs.Bind(1, t.id).Bind(2, t.resource_id);
        BILLING_TRY(msgs.Run());
      }
      return OkStatus();
    }));
    return t;
  }

  Status DeleteThread(const std::string& id) override {
    return pool_->Write([&](Connection& conn) -> Status {
      {
        // ON DELETE CASCADE would do it too; explicit, so that it never depends on the pragma.
        MEM_PREPARE(msgs, conn, "DELETE FROM memory_messages WHERE thread_id = ?1");
        msgs.Bind(1, id);
        BILLING_TRY(msgs.Run());
      }
      MEM_PREPARE(st, conn, "DELETE FROM memory_threads WHERE id = ?1");
      st.Bind(1, id);
      BILLING_TRY(st.Run());
      if (sqlite3_changes(conn.db()) == 0) return Error::NotFound("Thread not found", "threadId");
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
    const int64_t now = clock_.NowUnixMs();
    std::vector<StoredMessage> stored;
    std::vector<std::string> texts;
    stored.reserve(messages.size());
    texts.reserve(messages.size());
    for (size_t i = 0; i < messages.size(); ++i) {
      texts.push_back(Dump(ChatMessageToJson(messages[i])));
      if (texts.back().size() > kMaxStoredMessageBytes) {
        return Error::Invalid("messages", "messages[" + std::to_string(i) +
                                              "] is too large to store");
      }
      StoredMessage m;
      m.id = NewUuid(random_);
      m.thread_id = thread_id;
      m.resource_id = resource_id;
      m.message = messages[i];
      m.created_at_ms = now;
      stored.push_back(std::move(m));
    }
    BILLING_TRY(pool_->Write([&](Connection& conn) -> Status {
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
      int64_t seq = 0;
      {
        MEM_PREPARE(max, conn,
                    "SELECT COALESCE(MAX(seq), 0) FROM memory_messages WHERE thread_id = ?1");
        max.Bind(1, thread_id);
        MEM_STEP(row, max);
        seq = row ? max.Int(0) : 0;
      }
      for (size_t i = 0; i < stored.size(); ++i) {
        StoredMessage& m = stored[i];
        m.seq = ++seq;
        MEM_PREPARE(st, conn,
                    "INSERT INTO memory_messages (id, thread_id, resource_id, seq, role, "
                    "content_json, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
        st.Bind(1, m.id).Bind(2, thread_id).Bind(3, resource_id).Bind(4, m.seq);
        st.Bind(5, m.message.role).Bind(6, texts[i]).Bind(7, now);
        BILLING_TRY(st.Run());
      }
      MEM_PREPARE(touch, conn,
                  "UPDATE memory_threads SET updated_at = MAX(updated_at, ?2) WHERE id = ?1");
      touch.Bind(1, thread_id).Bind(2, now);
      return touch.Run();
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
      return Error::Invalid("page", "page must be an integer between 0 and " +
                                        std::to_string(kMaxPageIndex));
    }
    const int64_t limit =
        paged ? q.per_page : (q.last_n > 0 ? std::min(q.last_n, kMaxLastMessages) : kMaxLastMessages);
    MessagePage page;
    if (thread_id.empty() || thread_id.size() > kMaxMemoryIdBytes) return page;
    BILLING_TRY(pool_->Read([&](Connection& conn) -> Status {
      {
        MEM_PREPARE(count, conn, "SELECT COUNT(*) FROM memory_messages WHERE thread_id = ?1");
        count.Bind(1, thread_id);
        MEM_STEP(row, count);
        page.total = row ? count.Int(0) : 0;
      }
      static const std::string kFirst =
          std::string(kMessageCols) + " WHERE thread_id = ?1 ORDER BY seq ASC LIMIT ?2 OFFSET ?3";
      static const std::string kLast =
          std::string(kMessageCols) + " WHERE thread_id = ?1 ORDER BY seq DESC LIMIT ?2 OFFSET ?3";
      MEM_PREPARE(st, conn, paged ? kFirst.c_str() : kLast.c_str());
      st.Bind(1, thread_id).Bind(2, limit).Bind(3, paged ? q.page * q.per_page : int64_t(0));
      for (int64_t guard = 0; guard < limit; ++guard) {
        MEM_STEP(row, st);
        if (!row) break;
        BILLING_ASSIGN_OR_RETURN(StoredMessage m, ReadMessage(st));
        page.messages.push_back(std::move(m));
      }
      return OkStatus();
    }));
    if (!paged) std::reverse(page.messages.begin(), page.messages.end());
    return page;
  }

 private:
  std::shared_ptr<sqlite::ConnectionPool> pool_;
  const Clock& clock_;
  RandomSource& random_;
};

}  // namespace

Result<std::unique_ptr<MemoryStore>> OpenSqliteMemoryStore(const SqliteOptions& options,
                                                           const Clock& clock,
                                                           RandomSource& random) {
  auto pool = sqlite::ConnectionPool::Open(options);
  if (!pool.ok()) return pool.error();
  return std::unique_ptr<MemoryStore>(
      std::make_unique<SqliteMemoryStore>(std::move(pool.value()), clock, random));
}

std::string IsoFromUnixMs(int64_t unix_ms) { return FixedClock(unix_ms).NowIso8601(); }

}  // namespace billing
