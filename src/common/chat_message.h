// The messages of a conversation: what a user, the assistant and the tools said, with the tool
// calls the assistant made. The agent loop (agent/) builds them, the model layer sends them, and
// conversation memory (store/memory_store.h) keeps them; they live here, below all three, so the
// store does not depend on the agent.
//
// Thread-safety: plain values.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace billing {

struct ToolCall {
  std::string id;        // "call_..."
  std::string name;      // the tool key the model used ("getCustomerTool")
  nlohmann::json args;   // parsed arguments (an object); null values mean "absent"
  std::string raw_args;  // arguments text as the model sent it, when it was not valid JSON
};

struct ChatMessage {
  std::string role;  // "system" | "user" | "assistant" | "tool"
  std::string content;
  std::vector<ToolCall> tool_calls;  // assistant messages that call tools
  // role == "tool": the result of one call.
  std::string tool_call_id;
  std::string tool_name;
  nlohmann::json tool_result;
  // tool_result serialized (compact), when the agent has made it already; empty otherwise.
  std::string tool_result_text = {};
};

}  // namespace billing
