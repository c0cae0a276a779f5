// Conversion between the `messages` field of a Mastra generate/stream request and the agent's
// ChatMessage list, and back (the AI-SDK v5 "model messages" of a response's
// `response.messages`).
//
// Accepted input shapes (everything a Mastra 0.x/1.x server, @mastra/client-js or CometChat sends):
//   "hello"                                             one user message
//   ["a", "b"]                                          user messages
//   [{"role","content": "text"}]                        role: user | assistant | system | tool
//   [{"role","content": [parts]}]                       parts: text, tool-call, tool-result
//                                                       (reasoning/step-start/source ignored)
//   [{"id","role","parts": [UI parts]}]                 AI-SDK UIMessage (v5 tool-<name> parts
//                                                       and v4 tool-invocation parts included)
//   [{"role":"assistant","content":null,"tool_calls":[…]}], [{"role":"tool","tool_call_id",…}]
//                                                       OpenAI chat format
//   {"role","content"}                                  a single message object (as 0.x accepts)
// Anything else is an InvalidArgument error that names the offending field, e.g.
// `messages[2].content must be a string or an array of parts`.
//
// Thread-safety: pure functions over values; safe from any thread.
#pragma once

#include <cstddef>
#include <vector>

#include <nlohmann/json.hpp>

#include "agent/model.h"
#include "common/result.h"

namespace billing::http {

struct MessageLimits {
  size_t max_messages = 1000;                     // input elements and produced messages
  size_t max_parts_per_message = 1000;            // content / parts array length
  size_t max_total_text_bytes = 4 * 1024 * 1024;  // sum of all text and tool-call argument text
};

// Parses the request's `messages` value. null, "" and [] are the error
// `Argument "messages" is required` (field "messages"), as in Mastra.
Result<std::vector<ChatMessage>> ParseMessages(const nlohmann::json& messages,
                                               const MessageLimits& limits = {});

// The AI-SDK v5 model-message form of `messages`, as Mastra puts it in `response.messages`:
//   assistant → {"role":"assistant","content":[{"type":"text","text"}, {"type":"tool-call",
//                "toolCallId","toolName","input"}…]}
//   tool      → {"role":"tool","content":[{"type":"tool-result","toolCallId","toolName",
//                "output":{"type":"json","value":…}}]}   (consecutive tool messages are merged)
//   user/system → {"role", "content": "text"}
// ParseMessages accepts this output back (client-js re-posts it after running a client tool).
nlohmann::json ModelMessagesJson(const std::vector<ChatMessage>& messages);

// Appends the model-message form of `messages` to `out` (a JSON array); see ModelMessagesJson.
void AppendModelMessagesJson(const std::vector<ChatMessage>& messages, nlohmann::json& out);

}  // namespace billing::http
