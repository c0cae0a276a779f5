#include "http/generate_json.h"

#include <deque>
#include <string_view>
#include <utility>

#include "http/json_writer.h"

namespace billing::http {
namespace {

using nlohmann::json;

// The arguments as the model sent them: the parsed object, or the raw text when it was not JSON.
json ArgsJson(const ToolCall& call) {
  if (!call.args.is_null()) return call.args;
  if (!call.raw_args.empty()) return call.raw_args;
  return json::object();
}

// Serialized tool arguments and results, each dumped once and spliced wherever it appears.
class DumpCache {
 public:
  const std::string& Args(const ToolCall& call) {
    for (const auto& [id, text] : args_) {
      if (id == call.id) return text;
    }
    args_.emplace_back(call.id, Dump(ArgsJson(call)));
    return args_.back().second;
  }
  // `text`: the result already serialized by the agent, if it did (ToolResultRecord).
  const std::string& Result(const std::string& call_id, const json& result,
                            const std::string& text = std::string()) {
    for (const auto& [id, dumped] : results_) {
      if (id == call_id) return dumped;
    }
    results_.emplace_back(call_id, text.empty() ? Dump(result) : text);
    return results_.back().second;
  }
  // A text of the run (the model's answer, a step's text) as a JSON string, escaped once: the
  // same text appears up to five times in a response. Keyed by the string object itself, which
  // lives in the AgentOutput being written.
  const std::string& Text(const std::string& text) {
    for (const auto& [source, escaped] : texts_) {
      // The same object, or a copy of it (the run's final text is a copy of the last step's).
      if (source == &text || *source == text) return escaped;
    }
    std::string escaped;
    AppendJsonString(text, escaped);
    texts_.emplace_back(&text, std::move(escaped));
    return texts_.back().second;
  }

 private:
  // Few entries (one per tool call or step of the run): a linear scan beats hashing. Deques keep
  // the returned references valid while entries are added.
  std::deque<std::pair<const std::string*, std::string>> texts_;
  std::deque<std::pair<std::string, std::string>> args_;
  std::deque<std::pair<std::string, std::string>> results_;
};


// {"type":"tool-call","runId","from":"AGENT","toolCallId","toolName","args","payload":{…}}
std::string ToolCallChunk(const ToolCall& call, const std::string& args,
                          const std::string& run_id) {
  std::string out;
  out.reserve(160 + 2 * args.size());
  JsonWriter w(out);
  w.BeginObject();
  w.Field("type", "tool-call");
  w.Field("runId", run_id);
  w.Field("from", "AGENT");
  w.Field("toolCallId", call.id);
  w.Field("toolName", call.name);
  w.FieldRaw("args", args);
  w.Key("payload");
  w.BeginObject();
  w.Field("toolCallId", call.id);
  w.Field("toolName", call.name);
  w.FieldRaw("args", args);
  w.EndObject();
  w.EndObject();
  return out;
}

// {"type":"tool-result","runId","from":"AGENT","toolCallId","toolName","args","result","payload":{…}}
std::string ToolResultChunk(const ToolCall& call, const std::string& args,
                            const std::string& result, const std::string& run_id) {
  std::string out;
  out.reserve(200 + 2 * (args.size() + result.size()));
  JsonWriter w(out);
  w.BeginObject();
  w.Field("type", "tool-result");
  w.Field("runId", run_id);
  w.Field("from", "AGENT");
  w.Field("toolCallId", call.id);
  w.Field("toolName", call.name);
  w.FieldRaw("args", args);
  w.FieldRaw("result", result);
  w.Key("payload");
  w.BeginObject();
  w.FieldRaw("args", args);
  w.Field("toolCallId", call.id);
  w.Field("toolName", call.name);
  w.FieldRaw("result", result);
  w.EndObject();
  w.EndObject();
  return out;
}

void WriteToolCallPart(JsonWriter& w, const ToolCall& call, const std::string& args) {
  w.BeginObject();
  w.Field("type", "tool-call");
  w.Field("toolCallId", call.id);
  w.Field("toolName", call.name);
  w.FieldRaw("input", args);
  w.EndObject();
}

void WriteToolResultPart(JsonWriter& w, const std::string& call_id, const std::string& tool_name,
                         const std::string* args, const std::string& result) {
  w.BeginObject();
  w.Field("type", "tool-result");
  w.Field("toolCallId", call_id);
  w.Field("toolName", tool_name);
  if (args != nullptr) w.FieldRaw("input", *args);
  w.Key("output");
  w.BeginObject();
  w.Field("type", "json");
  w.FieldRaw("value", result);
  w.EndObject();
  w.EndObject();
}

// {"role":"assistant","content":[...]}: a text part (when there is text, or no tool call), then
// one part per tool call.
void WriteAssistantMessage(JsonWriter& w, const std::string& text,
                           const std::vector<ToolCall>& tool_calls, DumpCache& cache) {
  w.BeginObject();
  w.Field("role", "assistant");
  w.Key("content");
  w.BeginArray();
  if (!text.empty() || tool_calls.empty()) {
    w.BeginObject();
    w.Field("type", "text");
    w.FieldRaw("text", cache.Text(text));
    w.EndObject();
  }
  for (const ToolCall& call : tool_calls) WriteToolCallPart(w, call, cache.Args(call));
  w.EndArray();
  w.EndObject();
}

// Opens {"role":"tool","content":[ ; the caller writes the result parts, then EndToolMessage.
void BeginToolMessage(JsonWriter& w) {
  w.BeginObject();
  w.Field("role", "tool");
  w.Key("content");
  w.BeginArray();
}

void EndToolMessage(JsonWriter& w) {
  w.EndArray();
  w.EndObject();
}

// The model-message form of `messages` (see messages.h ModelMessagesJson), as array items
// without the brackets. Consecutive tool messages are merged into one.
void WriteModelMessages(JsonWriter& w, const std::vector<ChatMessage>& messages, DumpCache& cache) {
  bool tool_open = false;
  for (const ChatMessage& message : messages) {
    if (message.role == "tool") {
      if (!tool_open) BeginToolMessage(w);
      tool_open = true;
      WriteToolResultPart(w, message.tool_call_id, message.tool_name, nullptr,
                          cache.Result(message.tool_call_id, message.tool_result, message.tool_result_text));
      continue;
    }
    if (tool_open) EndToolMessage(w);
    tool_open = false;
    if (message.role == "assistant") {
      WriteAssistantMessage(w, message.content, message.tool_calls, cache);
      continue;
    }
    w.BeginObject();
    w.Field("role", message.role);
    w.Field("content", message.content);
    w.EndObject();
  }
  if (tool_open) EndToolMessage(w);
}

// The model messages of one step (its assistant message, then its tool results merged into one
// tool message), written straight from the step without copying it into messages first.
void WriteStepMessages(JsonWriter& w, const StepResult& step, DumpCache& cache) {
  WriteAssistantMessage(w, step.model.text, step.model.tool_calls, cache);
  bool tool_open = false;
  for (const ToolResultRecord& record : step.tool_results) {
    if (record.client_tool) continue;
    if (!tool_open) BeginToolMessage(w);
    tool_open = true;
    WriteToolResultPart(w, record.call.id, record.call.name, nullptr,
                        cache.Result(record.call.id, record.result, record.result_text));
  }
  if (tool_open) EndToolMessage(w);
}

void WriteModelMetadata(JsonWriter& w, const std::string& model_id, const std::string& provider) {
  w.Key("modelMetadata");
  w.BeginObject();
  w.Field("modelId", model_id);
  w.Field("modelVersion", "v2");
  w.Field("modelProvider", provider);
  w.EndObject();
}

// response.uiMessages: the run's answer as one AI SDK v5 UIMessage, as Mastra answers it (the
// Studio's Generate mode shows this): per step a "tool-<name>" part for each tool call with its
// input and output ("input-available" without one: a client tool), a "step-start" between
// steps, and the step's text.
void WriteUiMessages(JsonWriter& w, const AgentOutput& output, DumpCache& cache) {
  w.Key("uiMessages");
  w.BeginArray();
  w.BeginObject();
  // The run's id: unique per run, where a model's response id may repeat (the local planner's
  // is a digest of the answer).
  w.Field("id", output.run_id);
  w.Field("role", "assistant");
  w.Key("metadata");
  w.BeginObject();
  w.Field("createdAt", output.timestamp);
  w.EndObject();
  w.Key("parts");
  w.BeginArray();
  for (size_t k = 0; k < output.steps.size(); ++k) {
    const StepResult& step = output.steps[k];
    if (k > 0) {
      w.BeginObject();
      w.Field("type", "step-start");
      w.EndObject();
    }
    for (const ToolResultRecord& record : step.tool_results) {
      w.BeginObject();
      w.Field("type", "tool-" + record.call.name);
      w.Field("toolCallId", record.call.id);
      w.Field("state", record.client_tool ? "input-available" : "output-available");
      w.FieldRaw("input", cache.Args(record.call));
      if (!record.client_tool) {
        w.FieldRaw("output", cache.Result(record.call.id, record.result, record.result_text));
      }
      w.EndObject();
    }
    if (!step.model.text.empty()) {
      w.BeginObject();
      w.Field("type", "text");
      w.FieldRaw("text", cache.Text(step.model.text));
      w.EndObject();
    }
  }
  w.EndArray();
  w.EndObject();
  w.EndArray();
}

void WriteEmptyArrays(JsonWriter& w, std::initializer_list<std::string_view> keys) {
  for (std::string_view key : keys) {
    w.Key(key);
    w.Raw("[]");
  }
}

}  // namespace

void WriteUsage(JsonWriter& w, const ModelUsage& usage) {
  w.BeginObject();
  w.Key("inputTokens");
  w.Int(usage.input_tokens);
  w.Key("outputTokens");
  w.Int(usage.output_tokens);
  w.Key("totalTokens");
  w.Int(usage.input_tokens + usage.output_tokens);
  w.Key("promptTokens");
  w.Int(usage.input_tokens);
  w.Key("completionTokens");
  w.Int(usage.output_tokens);
  w.Key("reasoningTokens");
  w.Int(0);
  w.Key("cachedInputTokens");
  w.Int(0);
  w.EndObject();
}

std::string GenerateResponseBody(const AgentOutput& output, const AgentConfig& config) {
  (void)config;  // reserved: 1.x puts the agent id in stream "start" chunks, not here
  const std::string& run_id = output.run_id;
  DumpCache cache;

  // Chunks are built once and appear both in their step and in the top-level aggregate.
  std::string all_calls;            // comma-separated chunks
  std::string all_results;          // comma-separated chunks
  std::string cumulative_messages;  // comma-separated model messages up to the current step
  std::string body;
  body.reserve(4096);
  JsonWriter w(body);
  w.BeginObject();
  w.FieldRaw("text", cache.Text(output.text));
  w.Key("usage");
  WriteUsage(w, output.usage);
  w.Key("steps");
  w.BeginArray();
  for (const StepResult& step : output.steps) {
    std::string step_calls;
    for (const ToolCall& call : step.model.tool_calls) {
      std::string chunk = ToolCallChunk(call, cache.Args(call), run_id);
      if (!step_calls.empty()) step_calls += ',';
      step_calls += chunk;
      if (!all_calls.empty()) all_calls += ',';
      all_calls += chunk;
    }
    std::string step_results;
    for (const ToolResultRecord& record : step.tool_results) {
      if (record.client_tool) continue;
      std::string chunk = ToolResultChunk(record.call, cache.Args(record.call),
                                          cache.Result(record.call.id, record.result, record.result_text), run_id);
      if (!step_results.empty()) step_results += ',';
      step_results += chunk;
      if (!all_results.empty()) all_results += ',';
      all_results += chunk;
    }
    {
      std::string fragment;
      JsonWriter mw(fragment);
      WriteStepMessages(mw, step, cache);
      if (!cumulative_messages.empty()) cumulative_messages += ',';
      cumulative_messages += fragment;
    }

    w.BeginObject();
    w.Field("stepType", step.step_type.empty() ? std::string_view("initial") : step.step_type);
    WriteEmptyArrays(w, {"sources", "files"});
    w.Key("toolCalls");
    w.Raw("[" + step_calls + "]");
    w.Key("toolResults");
    w.Raw("[" + step_results + "]");
    w.Key("content");
    w.BeginArray();
    if (!step.model.text.empty()) {
      w.BeginObject();
      w.Field("type", "text");
      w.FieldRaw("text", cache.Text(step.model.text));
      w.EndObject();
    }
    for (const ToolCall& call : step.model.tool_calls) WriteToolCallPart(w, call, cache.Args(call));
    for (const ToolResultRecord& record : step.tool_results) {
      if (record.client_tool) continue;
      const std::string& args = cache.Args(record.call);
      WriteToolResultPart(w, record.call.id, record.call.name, &args,
                          cache.Result(record.call.id, record.result, record.result_text));
    }
    w.EndArray();
    w.FieldRaw("text", cache.Text(step.model.text));
    w.Field("reasoningText", "");
    WriteEmptyArrays(w, {"reasoning", "staticToolCalls", "dynamicToolCalls", "staticToolResults",
                         "dynamicToolResults"});
    w.Field("finishReason", step.model.finish_reason);
    w.Key("usage");
    WriteUsage(w, step.model.usage);
    WriteEmptyArrays(w, {"warnings"});
    w.FieldRaw("request", "{}");
    w.Key("response");
    w.BeginObject();
    w.Field("id", step.model.id);
    w.Field("timestamp", step.timestamp);
    const std::string& model_id =
        step.model.model_id.empty() ? output.model_id : step.model.model_id;
    w.Field("modelId", model_id);
    WriteModelMetadata(w, model_id, output.provider);
    w.Key("messages");
    w.Raw("[" + cumulative_messages + "]");
    WriteEmptyArrays(w, {"uiMessages"});
    w.EndObject();
    w.EndObject();
  }
  w.EndArray();
  w.Field("finishReason", output.finish_reason);
  WriteEmptyArrays(w, {"warnings"});
  w.FieldRaw("request", "{}");
  WriteEmptyArrays(w, {"reasoning"});
  w.Key("toolCalls");
  w.Raw("[" + all_calls + "]");
  w.Key("toolResults");
  w.Raw("[" + all_results + "]");
  WriteEmptyArrays(w, {"sources", "files"});
  w.Key("response");
  w.BeginObject();
  w.Field("id", output.response_id);
  w.Field("timestamp", output.timestamp);
  w.Field("modelId", output.model_id);
  WriteModelMetadata(w, output.model_id, output.provider);
  w.Key("messages");
  if (!output.response_messages.empty()) {
    w.BeginArray();
    WriteModelMessages(w, output.response_messages, cache);
    w.EndArray();
  } else {
    w.Raw("[" + cumulative_messages + "]");
  }
  WriteUiMessages(w, output, cache);
  w.EndObject();
  w.Key("totalUsage");
  WriteUsage(w, output.usage);
  w.Key("tripwire");
  w.Bool(false);
  w.Field("tripwireReason", "");
  w.Field("runId", run_id);
  w.EndObject();
  return body;
}

json GenerateResponseJson(const AgentOutput& output, const AgentConfig& config) {
  return json::parse(GenerateResponseBody(output, config));
}

json UsageJson(const ModelUsage& usage) {
  std::string text;
  JsonWriter w(text);
  WriteUsage(w, usage);
  return json::parse(text);
}


}  // namespace billing::http
