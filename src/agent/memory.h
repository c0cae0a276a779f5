// Conversation memory around an agent run: which thread a generate/stream request continues
// (MemoryRef, parsed from the body), the thread's recent history to put before the new input,
// and saving the new input plus the run's response messages afterwards. Storage is a MemoryStore
// (store/memory_store.h); a thread belongs to one resource (the user), and a request naming
// another resource's thread is refused.
//
// Body shapes (Mastra 0.20+/1.x and the deprecated 0.x top-level fields):
//   "memory": {"thread": "t1" | {"id":"t1",…}, "resource": "u1", "readOnly"?: bool, "options"?: …}
//   "threadId": "t1", "resourceId": "u1"   (also "resourceid"; only when "memory" is absent)
// `memory` without a resource is the 1.x error "A resource ID is required when using memory.
// Provide memory.resource in the request body." (kInvalidArgument, field memory.resource).
//
// Thread-safety: ConversationMemory is immutable after construction and safe from any thread
// (the store is thread-safe); ParseMemoryRef is a pure function.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "agent/model.h"
#include "common/result.h"
#include "store/memory_store.h"

namespace billing {

struct MemoryRef {
  std::string thread_id;
  std::string resource_id;
  bool read_only = false;  // memory.readOnly: load history, save nothing
};

// The memory a generate/stream body asks for; nullopt when it asks for none (no `memory`, and no
// top-level threadId). Errors are kInvalidArgument with the message to send back with a 400.
Result<std::optional<MemoryRef>> ParseMemoryRef(const nlohmann::json& body);

struct ConversationMemoryOptions {
  int history_messages = 40;  // last N stored messages put before the input (1..kMaxLastMessages)
};

class ConversationMemory {
 public:
  explicit ConversationMemory(MemoryStore& store, ConversationMemoryOptions options = {});

  // The last history_messages messages of the thread, oldest first, made valid as model input:
  // tool results whose call is not in the window are dropped, and tool calls whose results never
  // came (a client tool the caller did not answer) are removed from their assistant message.
  // Empty for a new thread. Errors: kFailedPrecondition "Thread X belongs to another resource",
  // kInternal (storage).
  Result<std::vector<ChatMessage>> History(const std::string& thread_id,
                                           const std::string& resource_id) const;

  // Appends the request's new messages (system messages are not stored) and the run's response
  // messages to the thread, creating it if needed; one transaction. Same errors as History.
  Status Save(const std::string& thread_id, const std::string& resource_id,
              const std::vector<ChatMessage>& new_input,
              const std::vector<ChatMessage>& response_messages) const;

  MemoryStore& store() const { return store_; }

 private:
  MemoryStore& store_;
  ConversationMemoryOptions options_;
};

// Makes a stored message window valid model input (see History). Exposed for tests.
std::vector<ChatMessage> SanitizeHistory(std::vector<ChatMessage> messages);

}  // namespace billing
