#include "http/messages.h"

#include <string>
#include <string_view>
#include <utility>

#include "http/json_body.h"

namespace billing::http {
namespace {

using nlohmann::json;

constexpr const char* kRequiredMessage = "Argument \"messages\" is required";

std::string Index(const std::string& base, size_t i) {
  std::string out;
  out.reserve(base.size() + 8);
  out += base;
  out += '[';
  out += std::to_string(i);
  out += ']';
  return out;
}

// The members of a JSON object, or nullptr when absent.
const json* Member(const json& object, const char* key) {
  auto it = object.find(key);
  return it == object.end() ? nullptr : &*it;
}

// A string member: nullptr when absent or null; error when present with another type.
Result<const std::string*> StringMember(const json& object, const char* key,
                                        const std::string& path) {
  const json* value = Member(object, key);
  if (value == nullptr || value->is_null()) return static_cast<const std::string*>(nullptr);
  if (!value->is_string())
    return Error::Invalid(path + "." + key, path + "." + key + " must be a string");
  return &value->get_ref<const std::string&>();
}

// Tool-call arguments: an object as is; a JSON string parsed when it holds an object (OpenAI
// "arguments"); anything else kept as raw text for the agent to report.
void SetToolArgs(const json* args, ToolCall& call) {
  if (args == nullptr || args->is_null()) {
    call.args = json::object();
    return;
  }
  if (args->is_string()) {
    const std::string& text = args->get_ref<const std::string&>();
    if (text.empty()) {
      call.args = json::object();
      return;
    }
    if (JsonNestingWithin(text, kMaxJsonDepth)) {
      json parsed = json::parse(text, nullptr, /*allow_exceptions=*/false);
      if (parsed.is_object()) {
        call.args = std::move(parsed);
        return;
      }
    }
    call.raw_args = text;
    call.args = nullptr;
    return;
  }
  call.args = *args;
}

// The value of an AI-SDK v5 tool output {"type":"json"|"text"|"error-text"|…,"value":…}.
json ToolOutputValue(const json& output) {
  if (output.is_object()) {
    auto type = output.find("type");
    auto value = output.find("value");
    if (type != output.end() && type->is_string() && value != output.end()) return *value;
  }
  return output;
}

class MessageParser {
 public:
  explicit MessageParser(const MessageLimits& limits) : limits_(limits) {}

  Status ParseElement(const json& element, const std::string& path) {
    if (element.is_string()) {
      BILLING_TRY(CountText(element.get_ref<const std::string&>().size()));
      ChatMessage message;
      message.role = "user";
      message.content = element.get<std::string>();
      return Emit(std::move(message));
    }
    if (element.is_object()) return ParseMessageObject(element, path);
    return Error::Invalid(path, path + " must be a string or a message object");
  }

  std::vector<ChatMessage> Take() { return std::move(out_); }

 private:
  // What the parts of one message contributed, in order of appearance.
  struct Collected {
    std::string text;
    bool has_text = false;
    std::vector<ToolCall> tool_calls;
    std::vector<ChatMessage> tool_results;
  };

  Status CountText(size_t bytes) {
    total_text_bytes_ += bytes;
    if (total_text_bytes_ > limits_.max_total_text_bytes) {
      return Error::Invalid("messages", "messages exceed the total text limit of " +
                                            std::to_string(limits_.max_total_text_bytes) +
                                            " bytes");
    }
    return OkStatus();
  }

  Status Emit(ChatMessage message) {
    if (out_.size() >= limits_.max_messages * 4) {
      return Error::Invalid("messages", "messages must contain at most " +
                                            std::to_string(limits_.max_messages) + " messages");
    }
    out_.push_back(std::move(message));
    return OkStatus();
  }

  static Result<std::string> ParseRole(const json& object, const std::string& path) {
    const json* role = Member(object, "role");
    if (role == nullptr || role->is_null()) {
      return Error::Invalid(path + ".role", path + ".role is required");
    }
    if (role->is_string()) {
      const std::string& r = role->get_ref<const std::string&>();
      if (r == "user" || r == "assistant" || r == "system" || r == "tool") return r;
      if (r == "developer") return std::string("system");  // OpenAI's newer name for system
    }
    return Error::Invalid(path + ".role",
                          path + ".role must be one of user, assistant, system, tool");
  }

  Status ParseMessageObject(const json& object, const std::string& path) {
    BILLING_ASSIGN_OR_RETURN(std::string role, ParseRole(object, path));
    const json* content = Member(object, "content");
    const json* parts = Member(object, "parts");
    Collected collected;

    if (content != nullptr && content->is_array()) {
      BILLING_TRY(ParseParts(*content, path + ".content", role, collected));
    } else if (parts != nullptr && parts->is_array()) {
      // UIMessage. A v4 UIMessage also has a `content` string: used when the parts hold no text.
      BILLING_TRY(ParseParts(*parts, path + ".parts", role, collected));
      if (!collected.has_text && content != nullptr && content->is_string()) {
        BILLING_TRY(AddText(content->get_ref<const std::string&>(), collected));
      }
    } else if (content != nullptr && content->is_string()) {
      BILLING_TRY(AddText(content->get_ref<const std::string&>(), collected));
    } else if (content != nullptr && !content->is_null()) {
      return Error::Invalid(path + ".content",
                            path + ".content must be a string or an array of parts");
    } else if (parts != nullptr && !parts->is_null()) {
      return Error::Invalid(path + ".parts", path + ".parts must be an array of parts");
    }

    // OpenAI chat format: assistant "tool_calls", tool "tool_call_id".
    if (const json* calls = Member(object, "tool_calls"); calls != nullptr && !calls->is_null()) {
      if (role != "assistant") {
        return Error::Invalid(path + ".tool_calls",
                              path + ".tool_calls is only allowed in assistant messages");
      }
      BILLING_TRY(ParseOpenAiToolCalls(*calls, path + ".tool_calls", collected));
    }
    if (role == "tool" && collected.tool_results.empty()) {
      BILLING_ASSIGN_OR_RETURN(const std::string* call_id,
                               StringMember(object, "tool_call_id", path));
      if (call_id == nullptr) {
        if (content == nullptr && parts == nullptr) {
          return Error::Invalid(path + ".content", path + ".content is required");
        }
        return Error::Invalid(path + ".content",
                              path + ".content of a tool message must contain tool-result parts");
      }
      BILLING_ASSIGN_OR_RETURN(const std::string* name, StringMember(object, "name", path));
      ChatMessage result;
      result.role = "tool";
      result.tool_call_id = *call_id;
      if (name != nullptr) result.tool_name = *name;
      result.tool_result = collected.text;
      return Emit(std::move(result));
    }
    if (content == nullptr && parts == nullptr && collected.tool_calls.empty()) {
      return Error::Invalid(path + ".content", path + ".content is required");
    }

    if (role != "tool" &&
        (collected.has_text || !collected.tool_calls.empty() || collected.tool_results.empty())) {
      ChatMessage message;
      message.role = role;
      message.content = std::move(collected.text);
      message.tool_calls = std::move(collected.tool_calls);
      BILLING_TRY(Emit(std::move(message)));
    }
    for (ChatMessage& result : collected.tool_results) BILLING_TRY(Emit(std::move(result)));
    return OkStatus();
  }

  Status AddText(const std::string& text, Collected& collected) {
    BILLING_TRY(CountText(text.size()));
    if (collected.has_text) collected.text += '\n';
    collected.text += text;
    collected.has_text = true;
    return OkStatus();
  }

  Status ParseParts(const json& parts, const std::string& path, const std::string& role,
                    Collected& collected) {
    if (parts.size() > limits_.max_parts_per_message) {
      return Error::Invalid(path, path + " must contain at most " +
                                      std::to_string(limits_.max_parts_per_message) + " parts");
    }
    for (size_t j = 0; j < parts.size(); ++j) {
      BILLING_TRY(ParsePart(parts[j], Index(path, j), role, collected));
    }
    return OkStatus();
  }

  Status AddToolCall(const json& part, const std::string& path, const std::string& role,
                     const char* args_key, const char* alt_args_key, const std::string* name,
                     Collected& collected, ToolCall* out = nullptr) {
    if (role != "assistant") {
      return Error::Invalid(path + ".type",
                            path + ": tool calls are only allowed in assistant messages");
    }
    BILLING_ASSIGN_OR_RETURN(const std::string* id, StringMember(part, "toolCallId", path));
    if (id == nullptr)
      return Error::Invalid(path + ".toolCallId", path + ".toolCallId is required");
    if (name == nullptr) {
      BILLING_ASSIGN_OR_RETURN(name, StringMember(part, "toolName", path));
      if (name == nullptr)
        return Error::Invalid(path + ".toolName", path + ".toolName is required");
    }
    ToolCall call;
    call.id = *id;
    call.name = *name;
    const json* args = Member(part, args_key);
    if ((args == nullptr || args->is_null()) && alt_args_key != nullptr) {
      args = Member(part, alt_args_key);
    }
    SetToolArgs(args, call);
    if (out != nullptr) *out = call;
    collected.tool_calls.push_back(std::move(call));
    return OkStatus();
  }

  Status AddToolResult(const std::string& call_id, const std::string& tool_name, json result,
                       Collected& collected) {
    ChatMessage message;
    message.role = "tool";
    message.tool_call_id = call_id;
    message.tool_name = tool_name;
    message.tool_result = std::move(result);
    collected.tool_results.push_back(std::move(message));
    return OkStatus();
  }

  // A UI tool part (v5 "tool-<name>" / "dynamic-tool"): only finished invocations are replayed,
  // as a call plus its result; pending ones cannot be sent to a model and are dropped.
  Status AddUiToolPart(const json& part, const std::string& path, const std::string& role,
                       const std::string* name, Collected& collected) {
    BILLING_ASSIGN_OR_RETURN(const std::string* state, StringMember(part, "state", path));
    const bool done =
        state != nullptr && (*state == "output-available" || *state == "output-error");
    if (!done) return OkStatus();
    ToolCall call;
    BILLING_TRY(AddToolCall(part, path, role, "input", "args", name, collected, &call));
    json result;
    if (*state == "output-available") {
      const json* output = Member(part, "output");
      result = output == nullptr ? json() : *output;
    } else {
      const json* error_text = Member(part, "errorText");
      result = {{"error", true},
                {"message", error_text != nullptr && error_text->is_string() ? *error_text
                                                                             : json("tool error")}};
    }
    return AddToolResult(call.id, call.name, std::move(result), collected);
  }

  Status ParsePart(const json& part, const std::string& path, const std::string& role,
                   Collected& collected) {
    if (!part.is_object()) return Error::Invalid(path, path + " must be an object with a type");
    BILLING_ASSIGN_OR_RETURN(const std::string* type_ptr, StringMember(part, "type", path));
    if (type_ptr == nullptr) return Error::Invalid(path + ".type", path + ".type is required");
    const std::string& type = *type_ptr;

    if (type == "text") {
      BILLING_ASSIGN_OR_RETURN(const std::string* text, StringMember(part, "text", path));
      if (text == nullptr) return Error::Invalid(path + ".text", path + ".text must be a string");
      return AddText(*text, collected);
    }
    if (type == "tool-call") {
      return AddToolCall(part, path, role, "input", "args", nullptr, collected);
    }
    if (type == "tool-result") {
      if (role != "tool" && role != "assistant") {
        return Error::Invalid(path + ".type",
                              path + ": tool results are only allowed in tool messages");
      }
      BILLING_ASSIGN_OR_RETURN(const std::string* id, StringMember(part, "toolCallId", path));
      if (id == nullptr)
        return Error::Invalid(path + ".toolCallId", path + ".toolCallId is required");
      BILLING_ASSIGN_OR_RETURN(const std::string* name, StringMember(part, "toolName", path));
      json result;
      if (const json* output = Member(part, "output"); output != nullptr && !output->is_null()) {
        result = ToolOutputValue(*output);
      } else if (const json* legacy = Member(part, "result"); legacy != nullptr) {
        result = *legacy;
      }
      return AddToolResult(*id, name == nullptr ? std::string() : *name, std::move(result),
                           collected);
    }
    if (type == "tool-invocation") {  // AI-SDK v4 UIMessage part
      const json* invocation = Member(part, "toolInvocation");
      const std::string inv_path = path + ".toolInvocation";
      if (invocation == nullptr || !invocation->is_object()) {
        return Error::Invalid(inv_path, inv_path + " must be an object");
      }
      BILLING_ASSIGN_OR_RETURN(const std::string* state,
                               StringMember(*invocation, "state", inv_path));
      if (state == nullptr || *state != "result") return OkStatus();  // pending: dropped
      ToolCall call;
      BILLING_TRY(
          AddToolCall(*invocation, inv_path, role, "args", "input", nullptr, collected, &call));
      const json* result = Member(*invocation, "result");
      return AddToolResult(call.id, call.name, result == nullptr ? json() : *result, collected);
    }
    if (type == "dynamic-tool") {
      BILLING_ASSIGN_OR_RETURN(const std::string* name, StringMember(part, "toolName", path));
      if (name == nullptr)
        return Error::Invalid(path + ".toolName", path + ".toolName is required");
      return AddUiToolPart(part, path, role, name, collected);
    }
    if (type.size() > 5 && type.compare(0, 5, "tool-") == 0) {  // v5 UI part "tool-<name>"
      const std::string name = type.substr(5);
      return AddUiToolPart(part, path, role, &name, collected);
    }
    if (type == "reasoning" || type == "redacted-reasoning" || type == "step-start" ||
        type == "source" || type == "source-url" || type == "source-document" ||
        type.compare(0, 5, "data-") == 0) {
      return OkStatus();  // carries nothing the model needs again
    }
    return Error::Invalid(path + ".type",
                          path + ".type \"" + type.substr(0, 64) +
                              "\" is not supported (use text, tool-call or tool-result)");
  }

  Status ParseOpenAiToolCalls(const json& calls, const std::string& path, Collected& collected) {
    if (!calls.is_array()) return Error::Invalid(path, path + " must be an array");
    if (calls.size() > limits_.max_parts_per_message) {
      return Error::Invalid(path, path + " must contain at most " +
                                      std::to_string(limits_.max_parts_per_message) + " calls");
    }
    for (size_t j = 0; j < calls.size(); ++j) {
      const std::string call_path = Index(path, j);
      const json& item = calls[j];
      if (!item.is_object()) return Error::Invalid(call_path, call_path + " must be an object");
      BILLING_ASSIGN_OR_RETURN(const std::string* id, StringMember(item, "id", call_path));
      if (id == nullptr) return Error::Invalid(call_path + ".id", call_path + ".id is required");
      const json* function = Member(item, "function");
      if (function == nullptr || !function->is_object()) {
        return Error::Invalid(call_path + ".function", call_path + ".function must be an object");
      }
      const std::string fn_path = call_path + ".function";
      BILLING_ASSIGN_OR_RETURN(const std::string* name, StringMember(*function, "name", fn_path));
      if (name == nullptr) return Error::Invalid(fn_path + ".name", fn_path + ".name is required");
      ToolCall call;
      call.id = *id;
      call.name = *name;
      SetToolArgs(Member(*function, "arguments"), call);
      collected.tool_calls.push_back(std::move(call));
    }
    return OkStatus();
  }

  const MessageLimits& limits_;
  std::vector<ChatMessage> out_;
  size_t total_text_bytes_ = 0;
};

json ToolCallPart(const ToolCall& call) {
  json part = json::object();
  part["type"] = "tool-call";
  part["toolCallId"] = call.id;
  part["toolName"] = call.name;
  if (!call.args.is_null()) {
    part["input"] = call.args;
  } else if (!call.raw_args.empty()) {
    part["input"] = call.raw_args;
  } else {
    part["input"] = json::object();
  }
  return part;
}

json ToolResultPart(const ChatMessage& message) {
  json output = json::object();
  output["type"] = "json";
  output["value"] = message.tool_result;
  json part = json::object();
  part["type"] = "tool-result";
  part["toolCallId"] = message.tool_call_id;
  part["toolName"] = message.tool_name;
  part["output"] = std::move(output);
  return part;
}

}  // namespace

Result<std::vector<ChatMessage>> ParseMessages(const json& messages, const MessageLimits& limits) {
  MessageParser parser(limits);
  if (messages.is_null()) return Error::Invalid("messages", kRequiredMessage);
  if (messages.is_string()) {
    if (messages.get_ref<const std::string&>().empty()) {
      return Error::Invalid("messages", kRequiredMessage);
    }
    BILLING_TRY(parser.ParseElement(messages, "messages"));
    return parser.Take();
  }
  if (messages.is_array()) {
    if (messages.empty()) return Error::Invalid("messages", kRequiredMessage);
    if (messages.size() > limits.max_messages) {
      return Error::Invalid("messages", "messages must contain at most " +
                                            std::to_string(limits.max_messages) + " messages");
    }
    for (size_t i = 0; i < messages.size(); ++i) {
      BILLING_TRY(parser.ParseElement(messages[i], Index("messages", i)));
    }
    return parser.Take();
  }
  if (messages.is_object()) {
    BILLING_TRY(parser.ParseElement(messages, "messages"));
    return parser.Take();
  }
  return Error::Invalid("messages",
                        "messages must be a string, an array of messages or a message object");
}

void AppendModelMessagesJson(const std::vector<ChatMessage>& messages, json& out) {
  json* open_tool_message = nullptr;  // the last emitted message, when it is a tool message
  for (const ChatMessage& message : messages) {
    if (message.role == "tool") {
      if (open_tool_message == nullptr) {
        json tool = json::object();
        tool["role"] = "tool";
        tool["content"] = json::array();
        out.push_back(std::move(tool));
        open_tool_message = &out.back();
      }
      (*open_tool_message)["content"].push_back(ToolResultPart(message));
      continue;
    }
    open_tool_message = nullptr;
    json item = json::object();
    item["role"] = message.role;
    if (message.role == "assistant") {
      json content = json::array();
      if (!message.content.empty() || message.tool_calls.empty()) {
        json text = json::object();
        text["type"] = "text";
        text["text"] = message.content;
        content.push_back(std::move(text));
      }
      for (const ToolCall& call : message.tool_calls) content.push_back(ToolCallPart(call));
      item["content"] = std::move(content);
    } else {
      item["content"] = message.content;
    }
    out.push_back(std::move(item));
  }
}

json ModelMessagesJson(const std::vector<ChatMessage>& messages) {
  json out = json::array();
  AppendModelMessagesJson(messages, out);
  return out;
}

}  // namespace billing::http
