#include "http/stream_events.h"

#include <utility>

#include "http/generate_json.h"
#include "http/json_writer.h"

namespace billing::http {
namespace {

using nlohmann::json;

constexpr std::string_view kLegacyErrorPrefix = "An error occurred while processing your request. ";

std::string Quoted(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 2);
  AppendJsonString(text, out);
  return out;
}


void WriteUsageV4(JsonWriter& w, const ModelUsage& usage, bool with_total) {
  w.BeginObject();
  w.Key("promptTokens");
  w.Int(usage.input_tokens);
  w.Key("completionTokens");
  w.Int(usage.output_tokens);
  if (with_total) {
    w.Key("totalTokens");
    w.Int(usage.input_tokens + usage.output_tokens);
  }
  w.EndObject();
}

std::string Line(char code, std::string_view json_text) {
  std::string out;
  out.reserve(json_text.size() + 3);
  out += code;
  out += ':';
  out.append(json_text.data(), json_text.size());
  out += '\n';
  return out;
}

// ---- legacy GenerateTextResult helpers (nlohmann: not a hot path) ----

json ArgsValue(const ToolCall& call) {
  if (!call.args.is_null()) return call.args;
  if (!call.raw_args.empty()) return call.raw_args;
  return json::object();
}

json FlatToolCall(const ToolCall& call) {
  return {{"type", "tool-call"}, {"toolCallId", call.id}, {"toolName", call.name}, {"args", ArgsValue(call)}};
}

json FlatToolResult(const ToolResultRecord& record) {
  return {{"type", "tool-result"},
          {"toolCallId", record.call.id},
          {"toolName", record.call.name},
          {"args", ArgsValue(record.call)},
          {"result", record.result}};
}

json UsageV4(const ModelUsage& usage) {
  return {{"promptTokens", usage.input_tokens},
          {"completionTokens", usage.output_tokens},
          {"totalTokens", usage.input_tokens + usage.output_tokens}};
}

// The AI-SDK v4 CoreMessages one step adds: the assistant message (text and tool-call parts),
// then one tool message with all the step's executed results.
void AppendStepMessagesV4(const StepResult& step, RandomSource& random, json& out) {
  json assistant_content = json::array();
  if (!step.model.text.empty() || step.model.tool_calls.empty()) {
    assistant_content.push_back({{"type", "text"}, {"text", step.model.text}});
  }
  for (const ToolCall& call : step.model.tool_calls) {
    assistant_content.push_back(
        {{"type", "tool-call"}, {"toolCallId", call.id}, {"toolName", call.name}, {"args", ArgsValue(call)}});
  }
  out.push_back({{"role", "assistant"}, {"id", NewUuid(random)}, {"content", std::move(assistant_content)}});
  json results = json::array();
  for (const ToolResultRecord& record : step.tool_results) {
    if (record.client_tool) continue;
    results.push_back({{"type", "tool-result"},
                       {"toolCallId", record.call.id},
                       {"toolName", record.call.name},
                       {"result", record.result}});
  }
  if (!results.empty()) {
    out.push_back({{"role", "tool"}, {"id", NewUuid(random)}, {"content", std::move(results)}});
  }
}

}  // namespace

// ---- (a) ----

std::string SseChunk(std::string_view type, std::string_view run_id, std::string_view payload_json) {
  std::string out;
  out.reserve(64 + run_id.size() + payload_json.size());
  out += "data: ";
  JsonWriter w(out);
  w.BeginObject();
  w.Field("type", type);
  w.Field("runId", run_id);
  w.Field("from", "AGENT");
  w.FieldRaw("payload", payload_json);
  w.EndObject();
  out += "\n\n";
  return out;
}

std::string SseDone() { return "data: [DONE]\n\n"; }

std::string StartPayload(std::string_view agent_id, std::string_view message_id) {
  std::string out;
  JsonWriter w(out);
  w.BeginObject();
  w.Field("id", agent_id);
  w.Field("messageId", message_id);
  w.EndObject();
  return out;
}

std::string StepStartPayload(std::string_view message_id) {
  std::string out;
  JsonWriter w(out);
  w.BeginObject();
  w.FieldRaw("request", "{}");
  w.FieldRaw("warnings", "[]");
  w.Field("messageId", message_id);
  w.EndObject();
  return out;
}

std::string TextStartPayload(std::string_view text_id) {
  std::string out;
  JsonWriter w(out);
  w.BeginObject();
  w.Field("id", text_id);
  w.EndObject();
  return out;
}

std::string TextDeltaPayload(std::string_view text_id, std::string_view text) {
  std::string out;
  out.reserve(text.size() + 32);
  JsonWriter w(out);
  w.BeginObject();
  w.Field("id", text_id);
  w.Field("text", text);
  w.EndObject();
  return out;
}

std::string TextEndPayload(std::string_view text_id) {
  std::string out;
  JsonWriter w(out);
  w.BeginObject();
  w.Field("type", "text-end");
  w.Field("id", text_id);
  w.EndObject();
  return out;
}

std::string ToolArgsJson(const ToolCall& call) { return Dump(ArgsValue(call)); }

std::string ToolCallStreamingStartPayload(const ToolCall& call) {
  std::string out;
  JsonWriter w(out);
  w.BeginObject();
  w.Field("toolCallId", call.id);
  w.Field("toolName", call.name);
  w.EndObject();
  return out;
}

std::string ToolCallDeltaPayload(const ToolCall& call) {
  std::string out;
  JsonWriter w(out);
  w.BeginObject();
  w.Field("argsTextDelta", ToolArgsJson(call));
  w.Field("toolCallId", call.id);
  w.Field("toolName", call.name);
  w.EndObject();
  return out;
}

std::string ToolCallStreamingEndPayload(const ToolCall& call) {
  std::string out;
  JsonWriter w(out);
  w.BeginObject();
  w.Field("toolCallId", call.id);
  w.EndObject();
  return out;
}

std::string ToolCallPayload(const ToolCall& call) {
  std::string out;
  JsonWriter w(out);
  w.BeginObject();
  w.Field("toolCallId", call.id);
  w.Field("toolName", call.name);
  w.FieldRaw("args", ToolArgsJson(call));
  w.EndObject();
  return out;
}

std::string ToolResultPayload(const ToolResultRecord& record) {
  std::string out;
  JsonWriter w(out);
  w.BeginObject();
  w.FieldRaw("args", ToolArgsJson(record.call));
  w.Field("toolCallId", record.call.id);
  w.Field("toolName", record.call.name);
  w.FieldRaw("result", Dump(record.result));
  w.EndObject();
  return out;
}

std::string ErrorPayload(std::string_view message) {
  std::string out;
  JsonWriter w(out);
  w.BeginObject();
  w.Field("type", "error");
  w.Key("error");
  w.BeginObject();
  w.Field("message", message);
  w.Field("name", "Error");
  w.EndObject();
  w.EndObject();
  return out;
}

std::string FinishPayload(const FinishInfo& info) {
  std::string out;
  out.reserve(512 + info.text.size());
  JsonWriter w(out);
  w.BeginObject();
  w.Field("messageId", info.message_id);
  w.Key("stepResult");
  w.BeginObject();
  w.Field("reason", info.reason);
  w.Key("isContinued");
  w.Bool(info.is_continued);
  w.EndObject();
  w.Key("metadata");
  w.BeginObject();
  w.Field("id", info.response_id);
  w.Field("timestamp", info.timestamp);
  w.Field("modelId", info.model_id);
  w.FieldRaw("headers", "{}");
  w.Key("modelMetadata");
  w.BeginObject();
  w.Field("modelId", info.model_id);
  w.Field("modelVersion", "v2");
  w.Field("modelProvider", info.provider);
  w.EndObject();
  w.EndObject();
  w.Key("output");
  w.BeginObject();
  w.Field("text", info.text);
  w.Key("toolCalls");
  w.BeginArray();
  for (const ToolCall& call : info.tool_calls) w.Raw(ToolCallPayload(call));
  w.EndArray();
  w.Key("usage");
  WriteUsage(w, info.usage);
  w.FieldRaw("steps", "[]");
  w.EndObject();
  w.Key("usage");
  WriteUsage(w, info.usage);
  w.EndObject();
  return out;
}

// ---- (b) ----

std::string DataStreamStepStart(std::string_view message_id) {
  std::string out;
  JsonWriter w(out);
  w.BeginObject();
  w.Field("messageId", message_id);
  w.EndObject();
  return Line('f', out);
}

std::string DataStreamText(std::string_view text) { return Line('0', Quoted(text)); }

std::string DataStreamToolCall(const ToolCall& call) { return Line('9', ToolCallPayload(call)); }

std::string DataStreamToolResult(const ToolResultRecord& record) {
  std::string out;
  JsonWriter w(out);
  w.BeginObject();
  w.Field("toolCallId", record.call.id);
  w.FieldRaw("result", Dump(record.result));
  w.EndObject();
  return Line('a', out);
}

std::string DataStreamStepFinish(std::string_view reason, const ModelUsage& usage, bool is_continued) {
  std::string out;
  JsonWriter w(out);
  w.BeginObject();
  w.Field("finishReason", reason);
  w.Key("usage");
  WriteUsageV4(w, usage, /*with_total=*/false);
  w.Key("isContinued");
  w.Bool(is_continued);
  w.EndObject();
  return Line('e', out);
}

std::string DataStreamFinish(std::string_view reason, const ModelUsage& usage) {
  std::string out;
  JsonWriter w(out);
  w.BeginObject();
  w.Field("finishReason", reason);
  w.Key("usage");
  WriteUsageV4(w, usage, /*with_total=*/false);
  w.EndObject();
  return Line('d', out);
}

std::string DataStreamError(std::string_view message) {
  std::string text(kLegacyErrorPrefix);
  text.append(message.data(), message.size());
  return Line('3', Quoted(text));
}

// ---- (c) ----

std::string LegacyGenerateBody(const AgentOutput& output, RandomSource& random) {
  json steps = json::array();
  json messages = json::array();  // cumulative over the steps
  for (const StepResult& step : output.steps) {
    AppendStepMessagesV4(step, random, messages);
    json calls = json::array();
    for (const ToolCall& call : step.model.tool_calls) calls.push_back(FlatToolCall(call));
    json results = json::array();
    for (const ToolResultRecord& record : step.tool_results) {
      if (!record.client_tool) results.push_back(FlatToolResult(record));
    }
    const std::string& model_id = step.model.model_id.empty() ? output.model_id : step.model.model_id;
    steps.push_back({{"stepType", step.step_type.empty() ? "initial" : step.step_type},
                     {"text", step.model.text},
                     {"reasoningDetails", json::array()},
                     {"files", json::array()},
                     {"sources", json::array()},
                     {"toolCalls", std::move(calls)},
                     {"toolResults", std::move(results)},
                     {"finishReason", step.model.finish_reason},
                     {"usage", UsageV4(step.model.usage)},
                     {"request", json::object()},
                     {"response",
                      {{"id", step.model.id}, {"timestamp", step.timestamp}, {"modelId", model_id},
                       {"messages", messages}}},
                     {"isContinued", false}});
  }
  json last_calls = json::array();
  json last_results = json::array();
  if (!steps.empty()) {
    last_calls = steps.back()["toolCalls"];
    last_results = steps.back()["toolResults"];
  }
  json body = {{"text", output.text},
               {"files", json::array()},
               {"reasoningDetails", json::array()},
               {"toolCalls", std::move(last_calls)},
               {"toolResults", std::move(last_results)},
               {"finishReason", output.finish_reason},
               {"usage", UsageV4(output.usage)},
               {"request", json::object()},
               {"response",
                {{"id", output.response_id},
                 {"timestamp", output.timestamp},
                 {"modelId", output.model_id},
                 {"messages", std::move(messages)}}},
               {"steps", std::move(steps)},
               {"sources", json::array()}};
  return Dump(body);
}

}  // namespace billing::http
