// MemoryStore: persistent conversation memory (Mastra "threads" and their messages), separate
// from the billing ledger's Store. A thread belongs to one resource (the user, e.g. a CometChat
// uid); its messages are ChatMessages (common/chat_message.h) kept in order (seq). It lives in
// the ledger's database: SQLite (migration 002_memory.sql) or PostgreSQL, opened through
// store/backend.h.
//
// Contract: every method is one transaction. Inputs are bounded and checked here, so every path
// into the table is bounded (errors kInvalidArgument naming the field): ids ≤ kMaxMemoryIdBytes,
// title ≤ kMaxThreadTitleBytes, metadata (serialised) ≤ kMaxThreadMetadataBytes, per_page 1..100,
// ≤ kMaxAppendMessages per append, each stored message ≤ kMaxStoredMessageBytes. Other errors:
// kNotFound (thread), kConflict (thread id taken), kFailedPrecondition (thread of another
// resource), kInternal (database).
//
// ChatMessage ↔ JSON (the content_json column) is declared here and defined once, for every
// backend, in store/memory_codec.cc: ChatMessageToJson / ChatMessageFromJson.
//
// Thread-safety: a MemoryStore is safe to use from many threads at once.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/chat_message.h"
#include "common/clock.h"
#include "common/result.h"

namespace billing {

inline constexpr size_t kMaxMemoryIdBytes = 256;
inline constexpr size_t kMaxThreadTitleBytes = 500;
inline constexpr size_t kMaxThreadMetadataBytes = 16 * 1024;
inline constexpr int kMaxThreadsPerPage = 100;
inline constexpr int kMaxMessagesPerPage = 100;
inline constexpr int kMaxLastMessages = 200;  // bound of MessageQuery::last_n
inline constexpr size_t kMaxAppendMessages = 1000;
inline constexpr size_t kMaxStoredMessageBytes = 4 * 1024 * 1024;
inline constexpr int64_t kMaxPageIndex = 1'000'000;

struct MemoryThread {
  std::string id;
  std::string resource_id;
  std::string title;
  nlohmann::json metadata;  // null when the thread has none
  int64_t created_at_ms = 0;
  int64_t updated_at_ms = 0;
};

struct NewThread {
  std::string id;  // empty = a generated UUID
  std::string resource_id;
  std::string title;
  nlohmann::json metadata;  // null or an object
};

struct ThreadUpdate {
  std::optional<std::string> title;
  std::optional<nlohmann::json> metadata;  // null or an object
  std::optional<std::string> resource_id;
};

enum class ThreadOrderField { kCreatedAt, kUpdatedAt };

struct ThreadListQuery {
  std::string resource_id;  // empty = every resource
  int64_t page = 0;         // 0-based; 0..kMaxPageIndex
  int per_page = kMaxThreadsPerPage;  // 1..kMaxThreadsPerPage
  ThreadOrderField order_by = ThreadOrderField::kCreatedAt;
  bool descending = true;  // newest first, as Mastra lists them
};

struct ThreadPage {
  std::vector<MemoryThread> threads;
  int64_t total = 0;  // threads matching the filter, all pages
};

struct StoredMessage {
  std::string id;
  std::string thread_id;
  std::string resource_id;
  int64_t seq = 0;  // 1, 2, … within the thread
  ChatMessage message;
  int64_t created_at_ms = 0;
};

// Which messages of a thread to load, always oldest first in the result:
//   per_page > 0: page `page` of per_page messages (1..kMaxMessagesPerPage) from the start;
//   else last_n > 0: the last last_n messages (bounded by kMaxLastMessages);
//   else: the last kMaxLastMessages.
struct MessageQuery {
  int last_n = 0;
  int64_t page = 0;
  int per_page = 0;
};

struct MessagePage {
  std::vector<StoredMessage> messages;
  int64_t total = 0;  // messages in the thread
};

class MemoryStore {
 public:
  virtual ~MemoryStore() = default;

  // Errors: kInvalidArgument (resource_id empty, bounds), kConflict (id exists).
  virtual Result<MemoryThread> CreateThread(const NewThread& thread) = 0;
  // nullopt when there is no such thread.
  virtual Result<std::optional<MemoryThread>> GetThread(const std::string& id) = 0;
  virtual Result<ThreadPage> ListThreads(const ThreadListQuery& query) = 0;
  // Changes the given fields and bumps updated_at. Errors: kNotFound, kInvalidArgument.
  virtual Result<MemoryThread> UpdateThread(const std::string& id, const ThreadUpdate& update) = 0;
  // Deletes the thread and its messages. Errors: kNotFound.
  virtual Status DeleteThread(const std::string& id) = 0;
  // Appends `messages` (in order) to the thread, creating it (title "", metadata null) if
  // missing, and bumps its updated_at; all in one transaction. Errors: kFailedPrecondition
  // "Thread X belongs to another resource" when the thread exists with another resource_id.
  virtual Result<std::vector<StoredMessage>> AppendMessages(
      const std::string& thread_id, const std::string& resource_id,
      const std::vector<ChatMessage>& messages) = 0;
  // A thread's messages (see MessageQuery); an unknown thread has none.
  virtual Result<MessagePage> LoadMessages(const std::string& thread_id,
                                           const MessageQuery& query) = 0;
};

// The content_json form of a message: {"role","content"} plus, when present,
// "toolCalls":[{"id","name","args"[,"rawArgs"]}], "toolCallId", "toolName", "toolResult".
nlohmann::json ChatMessageToJson(const ChatMessage& message);
// The inverse; kInternal when `json` is not such an object (a corrupt row).
Result<ChatMessage> ChatMessageFromJson(const nlohmann::json& json);

// "2026-11-25T08:00:00.000Z" for a Unix time in milliseconds.
std::string IsoFromUnixMs(int64_t unix_ms);

}  // namespace billing
