#include "agent/memory.h"

#include <algorithm>
#include <set>

namespace billing {
namespace {

using nlohmann::json;

constexpr const char* kResourceRequired =
    "A resource ID is required when using memory. Provide memory.resource in the request body.";

// A non-empty id string of at most kMaxMemoryIdBytes; `value` may be absent (nullptr) or null.
Result<std::string> IdField(const json* value, const char* field) {
  if (value == nullptr || value->is_null()) return std::string();
  if (!value->is_string()) return Error::Invalid(field, std::string(field) + " must be a string");
  std::string id = value->get<std::string>();
  if (id.size() > kMaxMemoryIdBytes) {
    return Error::Invalid(field, std::string(field) + " must be at most " +
                                     std::to_string(kMaxMemoryIdBytes) + " bytes");
  }
  return id;
}

const json* Member(const json& object, const char* key) {
  auto it = object.find(key);
  return it == object.end() ? nullptr : &*it;
}

}  // namespace

Result<std::optional<MemoryRef>> ParseMemoryRef(const json& body) {
  if (!body.is_object()) return std::optional<MemoryRef>();
  MemoryRef ref;
  const json* memory = Member(body, "memory");
  if (memory != nullptr && !memory->is_null()) {
    if (!memory->is_object()) return Error::Invalid("memory", "memory must be an object");
    const json* thread = Member(*memory, "thread");
    if (thread != nullptr && thread->is_object()) {
      BILLING_ASSIGN_OR_RETURN(ref.thread_id, IdField(Member(*thread, "id"), "memory.thread.id"));
    } else {
      BILLING_ASSIGN_OR_RETURN(ref.thread_id, IdField(thread, "memory.thread"));
    }
    BILLING_ASSIGN_OR_RETURN(ref.resource_id, IdField(Member(*memory, "resource"), "memory.resource"));
    if (ref.resource_id.empty()) return Error::Invalid("memory.resource", kResourceRequired);
    if (ref.thread_id.empty()) {
      return Error::Invalid("memory.thread",
                            "A thread ID is required when using memory. Provide memory.thread in "
                            "the request body.");
    }
    if (const json* read_only = Member(*memory, "readOnly"); read_only != nullptr &&
                                                              !read_only->is_null()) {
      if (!read_only->is_boolean()) {
        return Error::Invalid("memory.readOnly", "memory.readOnly must be a boolean");
      }
      ref.read_only = read_only->get<bool>();
    }
    return std::optional<MemoryRef>(std::move(ref));
  }
  // Deprecated top-level fields (Mastra 0.x; 1.x ignores them, we keep honouring them).
  BILLING_ASSIGN_OR_RETURN(ref.thread_id, IdField(Member(body, "threadId"), "threadId"));
  if (ref.thread_id.empty()) return std::optional<MemoryRef>();
  BILLING_ASSIGN_OR_RETURN(ref.resource_id, IdField(Member(body, "resourceId"), "resourceId"));
  if (ref.resource_id.empty()) {
    BILLING_ASSIGN_OR_RETURN(ref.resource_id, IdField(Member(body, "resourceid"), "resourceid"));
  }
  if (ref.resource_id.empty()) return Error::Invalid("resourceId", kResourceRequired);
  return std::optional<MemoryRef>(std::move(ref));
}

std::vector<ChatMessage> SanitizeHistory(std::vector<ChatMessage> in) {
  std::vector<ChatMessage> out;
  out.reserve(in.size());
  size_t i = 0;
  while (i < in.size()) {
    ChatMessage& m = in[i];
    if (m.role == "tool") {  // a result whose call is not right before it
      ++i;
      continue;
    }
    if (m.role != "assistant" || m.tool_calls.empty()) {
      out.push_back(std::move(m));
      ++i;
      continue;
    }
    // An assistant message with tool calls: keep the calls answered by the tool messages that
    // follow it, and those answers.
    size_t j = i + 1;
    std::set<std::string> answered;
    while (j < in.size() && in[j].role == "tool") answered.insert(in[j++].tool_call_id);
    std::set<std::string> kept;
    std::vector<ToolCall> calls;
    for (ToolCall& call : m.tool_calls) {
      if (answered.count(call.id) != 0 && kept.insert(call.id).second) {
        calls.push_back(std::move(call));
      }
    }
    m.tool_calls = std::move(calls);
    if (!m.tool_calls.empty() || !m.content.empty()) out.push_back(std::move(m));
    for (size_t k = i + 1; k < j; ++k) {
      if (kept.count(in[k].tool_call_id) != 0) {
        kept.erase(in[k].tool_call_id);  // one answer per call
        out.push_back(std::move(in[k]));
      }
    }
    i = j;
  }
  return out;
}

ConversationMemory::ConversationMemory(MemoryStore& store, ConversationMemoryOptions options)
    : store_(store), options_(options) {
  options_.history_messages = std::clamp(options_.history_messages, 1, kMaxLastMessages);
}

Result<std::vector<ChatMessage>> ConversationMemory::History(const std::string& thread_id,
                                                             const std::string& resource_id) const {
  BILLING_ASSIGN_OR_RETURN(std::optional<MemoryThread> thread, store_.GetThread(thread_id));
  if (!thread) return std::vector<ChatMessage>();
  if (thread->resource_id != resource_id) {
    return Error::Precondition("Thread " + thread_id + " belongs to another resource", "resourceId");
  }
  MessageQuery query;
  query.last_n = options_.history_messages;
  BILLING_ASSIGN_OR_RETURN(MessagePage page, store_.LoadMessages(thread_id, query));
  std::vector<ChatMessage> messages;
  messages.reserve(page.messages.size());
  for (StoredMessage& m : page.messages) messages.push_back(std::move(m.message));
  return SanitizeHistory(std::move(messages));
}

Status ConversationMemory::Save(const std::string& thread_id, const std::string& resource_id,
                                const std::vector<ChatMessage>& new_input,
                                const std::vector<ChatMessage>& response_messages) const {
  std::vector<ChatMessage> all;
  all.reserve(new_input.size() + response_messages.size());
  for (const ChatMessage& m : new_input) {
    if (m.role != "system") all.push_back(m);
  }
  for (const ChatMessage& m : response_messages) {
    if (m.role != "system") all.push_back(m);
  }
  if (all.empty()) return OkStatus();
  auto stored = store_.AppendMessages(thread_id, resource_id, all);
  if (!stored.ok()) return stored.error();
  return OkStatus();
}

}  // namespace billing
