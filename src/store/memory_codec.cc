// ChatMessage <-> JSON for the conversation memory (store/memory_store.h): the one serialisation
// of a stored message, shared by every MemoryStore backend.
#include "store/memory_store.h"

namespace billing {

using nlohmann::json;

json ChatMessageToJson(const ChatMessage& m) {
  json out = {{"role", m.role}, {"content", m.content}};
  if (!m.tool_calls.empty()) {
    json calls = json::array();
    for (const ToolCall& c : m.tool_calls) {
      json call = {{"id", c.id}, {"name", c.name}, {"args", c.args}};
      if (!c.raw_args.empty()) call["rawArgs"] = c.raw_args;
      calls.push_back(std::move(call));
    }
    out["toolCalls"] = std::move(calls);
  }
  if (!m.tool_call_id.empty()) out["toolCallId"] = m.tool_call_id;
  if (!m.tool_name.empty()) out["toolName"] = m.tool_name;
  if (m.role == "tool" || !m.tool_result.is_null()) out["toolResult"] = m.tool_result;
  return out;
}

Result<ChatMessage> ChatMessageFromJson(const json& j) {
  if (!j.is_object()) return Error::Internal("stored message is not an object");
  auto text = [&](const char* key, std::string* out) -> bool {
    auto it = j.find(key);
    if (it == j.end() || it->is_null()) return true;
    if (!it->is_string()) return false;
    *out = it->get<std::string>();
    return true;
  };
  ChatMessage m;
  if (!text("role", &m.role) || m.role.empty()) return Error::Internal("stored message has no role");
  if (!text("content", &m.content) || !text("toolCallId", &m.tool_call_id) ||
      !text("toolName", &m.tool_name)) {
    return Error::Internal("stored message has a field of the wrong type");
  }
  if (auto it = j.find("toolResult"); it != j.end()) m.tool_result = *it;
  if (auto it = j.find("toolCalls"); it != j.end() && !it->is_null()) {
    if (!it->is_array()) return Error::Internal("stored toolCalls is not an array");
    for (const json& c : *it) {
      if (!c.is_object()) return Error::Internal("stored tool call is not an object");
      ToolCall call;
      if (auto f = c.find("id"); f != c.end() && f->is_string()) call.id = f->get<std::string>();
      if (auto f = c.find("name"); f != c.end() && f->is_string()) call.name = f->get<std::string>();
      if (auto f = c.find("args"); f != c.end()) call.args = *f;
      if (auto f = c.find("rawArgs"); f != c.end() && f->is_string()) {
        call.raw_args = f->get<std::string>();
      }
      m.tool_calls.push_back(std::move(call));
    }
  }
  return m;
}

}  // namespace billing
