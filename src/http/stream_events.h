// Builders for the streamed agent responses (spec mastra-api.md §2.4–2.5), one function per wire
// item, so that the routes only decide *when* to send what:
//
//  (a) Mastra vNext chunks (POST /stream, 0.20+ and 1.x): `data: <json>\n\n` items, every chunk
//      {"type","runId","from":"AGENT","payload":{…}}, ended by `data: [DONE]\n\n`. Sequence:
//      start, step-start, [text-start, text-delta…, text-end], [tool-call-input-streaming-start,
//      tool-call-delta, tool-call-input-streaming-end, tool-call]…, tool-result…, step-finish, …,
//      finish; on a failure after the start: error, step-finish and finish with reason "error".
//  (b) the AI-SDK v4 data stream (POST /stream-legacy): `<code>:<json>\n` lines — f (step start),
//      0 (text), 9 (tool call), a (tool result), e (step finish), d (finish), 3 (error).
//  (c) the AI-SDK v4 GenerateTextResult JSON (POST /generate-legacy).
//
// step-finish/finish payloads are kept small: {"messageId","stepResult":{"reason","isContinued"},
// "metadata":{…},"output":{"text","toolCalls","usage","steps":[]}} plus "usage" (client-js reads
// payload.stepResult.reason and payload.usage); the conversation is not repeated.
//
// Thread-safety: pure functions over values; safe from any thread.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "agent/agent.h"

namespace billing::http {

// ---- (a) Mastra vNext chunks ----

// `data: {"type":<type>,"runId":<run_id>,"from":"AGENT","payload":<payload_json>}\n\n`.
std::string SseChunk(std::string_view type, std::string_view run_id, std::string_view payload_json);
// `data: [DONE]\n\n`
std::string SseDone();

// Payloads (compact JSON text).
std::string StartPayload(std::string_view agent_id, std::string_view message_id);  // {"id","messageId"}
std::string StepStartPayload(std::string_view message_id);  // {"request":{},"warnings":[],"messageId"}
std::string TextStartPayload(std::string_view text_id);     // {"id"}
std::string TextDeltaPayload(std::string_view text_id, std::string_view text);  // {"id","text"}
std::string TextEndPayload(std::string_view text_id);       // {"type":"text-end","id"}
std::string ToolCallStreamingStartPayload(const ToolCall& call);  // {"toolCallId","toolName"}
std::string ToolCallDeltaPayload(const ToolCall& call);  // {"argsTextDelta","toolCallId","toolName"}
std::string ToolCallStreamingEndPayload(const ToolCall& call);    // {"toolCallId"}
std::string ToolCallPayload(const ToolCall& call);  // {"toolCallId","toolName","args"}
std::string ToolResultPayload(const ToolResultRecord& record);  // {"args","toolCallId","toolName","result"}
// {"type":"error","error":{"message","name":"Error"}}; `message` must be safe to show.
std::string ErrorPayload(std::string_view message);

// What a step-finish or finish payload reports.
struct FinishInfo {
  std::string message_id;
  std::string reason;  // "stop" | "tool-calls" | "length" | "content-filter" | "error"
  bool is_continued = false;
  std::string response_id;
  std::string timestamp;  // ISO 8601
  std::string model_id;
  std::string provider;
  std::string text;
  std::vector<ToolCall> tool_calls;
  ModelUsage usage;  // of the step (step-finish) or the run (finish)
};
std::string FinishPayload(const FinishInfo& info);

// The tool-call arguments as they are reported: the parsed object, the raw text when the model
// sent no valid JSON, else {} (compact JSON text).
std::string ToolArgsJson(const ToolCall& call);

// ---- (b) AI-SDK v4 data stream ----

std::string DataStreamStepStart(std::string_view message_id);  // f:{"messageId"}
std::string DataStreamText(std::string_view text);             // 0:"text"
std::string DataStreamToolCall(const ToolCall& call);          // 9:{"toolCallId","toolName","args"}
std::string DataStreamToolResult(const ToolResultRecord& record);  // a:{"toolCallId","result"}
// e:{"finishReason","usage":{"promptTokens","completionTokens"},"isContinued"}
std::string DataStreamStepFinish(std::string_view reason, const ModelUsage& usage, bool is_continued);
// d:{"finishReason","usage":{"promptTokens","completionTokens"}}
std::string DataStreamFinish(std::string_view reason, const ModelUsage& usage);
// 3:"An error occurred while processing your request. <message>"; `message` must be safe to show.
std::string DataStreamError(std::string_view message);

// ---- (c) AI-SDK v4 GenerateTextResult ----

// {"text","files":[],"reasoningDetails":[],"toolCalls","toolResults","finishReason","usage",
//  "request":{},"response":{"id","timestamp","modelId","messages"},"steps":[…],"sources":[]};
// toolCalls/toolResults are flat ({"type","toolCallId","toolName","args"[,"result"]}) and cover
// the last step only, as in AI SDK v4. `random` names the response messages (ids).
std::string LegacyGenerateBody(const AgentOutput& output, RandomSource& random);

}  // namespace billing::http
