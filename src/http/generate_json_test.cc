#include "http/generate_json.h"

#include <gtest/gtest.h>

#include "http/json_writer.h"
#include "http/messages.h"

namespace billing::http {
namespace {

using nlohmann::json;

ToolCall Call(const std::string& id, const std::string& name, json args) {
  ToolCall call;
  call.id = id;
  call.name = name;
  call.args = std::move(args);
  return call;
}

// Two steps: a tool call with its result, then the final text (as in capture generate_tool.json).
AgentOutput ToolRunOutput() {
  AgentOutput output;
  output.run_id = "run-1";
  output.text = "Customer CUST-001 owes $0.00.";
  output.finish_reason = "stop";
  output.response_id = "resp-2";
  output.model_id = "gpt-4o-mini";
  output.provider = "openai";
  output.timestamp = "2026-11-25T08:00:01.000Z";

  StepResult first;
  first.step_type = "initial";
  first.model.id = "resp-1";
  first.model.model_id = "gpt-4o-mini";
  first.model.finish_reason = "tool-calls";
  first.model.usage = {10, 5};
  first.model.tool_calls.push_back(Call("call_1", "getCustomerTool", {{"customerId", "CUST-001"}}));
  first.tool_results.push_back({first.model.tool_calls[0], json{{"success", true}}, false});
  first.timestamp = "2026-11-25T08:00:00.000Z";

  StepResult second;
  second.step_type = "tool-result";
  second.model.id = "resp-2";
  second.model.model_id = "gpt-4o-mini";
  second.model.text = output.text;
  second.model.finish_reason = "stop";
  second.model.usage = {20, 7};
  second.timestamp = output.timestamp;

  output.steps = {first, second};
  output.usage = {30, 12};

  ChatMessage call_message;
  call_message.role = "assistant";
  call_message.tool_calls = first.model.tool_calls;
  ChatMessage tool_message;
  tool_message.role = "tool";
  tool_message.tool_call_id = "call_1";
  tool_message.tool_name = "getCustomerTool";
  tool_message.tool_result = json{{"success", true}};
  ChatMessage final_message;
  final_message.role = "assistant";
  final_message.content = output.text;
  output.response_messages = {call_message, tool_message, final_message};
  return output;
}

TEST(GenerateJsonTest, TopLevelFields) {
  json out = GenerateResponseJson(ToolRunOutput(), AgentConfig{});
  for (const char* key : {"text", "usage", "steps", "finishReason", "warnings", "request",
                          "reasoning", "toolCalls", "toolResults", "sources", "files", "response",
                          "totalUsage", "tripwire", "tripwireReason", "runId"}) {
    EXPECT_TRUE(out.contains(key)) << key;
  }
  EXPECT_EQ(out["text"], "Customer CUST-001 owes $0.00.");
  EXPECT_EQ(out["finishReason"], "stop");
  EXPECT_EQ(out["runId"], "run-1");
  EXPECT_EQ(out["tripwire"], false);
  EXPECT_EQ(out["tripwireReason"], "");
  EXPECT_EQ(out["warnings"], json::array());
  EXPECT_EQ(out["request"], json::object());
  EXPECT_EQ(out["response"]["id"], "resp-2");
  EXPECT_EQ(out["response"]["timestamp"], "2026-11-25T08:00:01.000Z");
  EXPECT_EQ(out["response"]["modelId"], "gpt-4o-mini");
  EXPECT_EQ(
      out["response"]["modelMetadata"],
      json({{"modelId", "gpt-4o-mini"}, {"modelVersion", "v2"}, {"modelProvider", "openai"}}));
  // The answer as one UIMessage: the tool part, a step boundary, the text.
  const json& ui = out["response"]["uiMessages"];
  ASSERT_EQ(ui.size(), 1u) << ui.dump();
  EXPECT_EQ(ui[0]["role"], "assistant");
  EXPECT_EQ(ui[0]["id"], "run-1");
  const json& parts = ui[0]["parts"];
  ASSERT_EQ(parts.size(), 3u) << parts.dump();
  EXPECT_EQ(parts[0]["type"], "tool-getCustomerTool");
  EXPECT_EQ(parts[0]["toolCallId"], "call_1");
  EXPECT_EQ(parts[0]["state"], "output-available");
  EXPECT_EQ(parts[0]["input"]["customerId"], "CUST-001");
  EXPECT_EQ(parts[0]["output"]["success"], true);
  EXPECT_EQ(parts[1]["type"], "step-start");
  EXPECT_EQ(parts[2], json({{"type", "text"}, {"text", "Customer CUST-001 owes $0.00."}}));
}

TEST(GenerateJsonTest, UsageHasBothNamingsAndIsTheSum) {
  json out = GenerateResponseJson(ToolRunOutput(), AgentConfig{});
  const json& usage = out["usage"];
  EXPECT_EQ(usage["inputTokens"], 30);
  EXPECT_EQ(usage["outputTokens"], 12);
  EXPECT_EQ(usage["totalTokens"], 42);
  EXPECT_EQ(usage["promptTokens"], 30);
  EXPECT_EQ(usage["completionTokens"], 12);
  EXPECT_EQ(out["totalUsage"], usage);
  EXPECT_EQ(out["steps"][0]["usage"]["totalTokens"], 15);
  EXPECT_EQ(out["steps"][1]["usage"]["totalTokens"], 27);
  EXPECT_EQ(out["steps"][0]["usage"]["inputTokens"].get<int>() +
                out["steps"][1]["usage"]["inputTokens"].get<int>(),
            usage["inputTokens"].get<int>());
}

TEST(GenerateJsonTest, ToolCallsCarryBothShapes) {
  json out = GenerateResponseJson(ToolRunOutput(), AgentConfig{});
  ASSERT_EQ(out["toolCalls"].size(), 1u);
  const json& call = out["toolCalls"][0];
  EXPECT_EQ(call["type"], "tool-call");
  EXPECT_EQ(call["runId"], "run-1");
  EXPECT_EQ(call["from"], "AGENT");
  EXPECT_EQ(call["toolCallId"], "call_1");
  EXPECT_EQ(call["toolName"], "getCustomerTool");
  EXPECT_EQ(call["args"], json({{"customerId", "CUST-001"}}));
  EXPECT_EQ(call["payload"], json({{"toolCallId", "call_1"},
                                   {"toolName", "getCustomerTool"},
                                   {"args", {{"customerId", "CUST-001"}}}}));

  ASSERT_EQ(out["toolResults"].size(), 1u);
  const json& result = out["toolResults"][0];
  EXPECT_EQ(result["type"], "tool-result");
  EXPECT_EQ(result["runId"], "run-1");
  EXPECT_EQ(result["from"], "AGENT");
  EXPECT_EQ(result["toolCallId"], "call_1");
  EXPECT_EQ(result["toolName"], "getCustomerTool");
  EXPECT_EQ(result["args"], json({{"customerId", "CUST-001"}}));
  EXPECT_EQ(result["result"], json({{"success", true}}));
  EXPECT_EQ(result["payload"], json({{"args", {{"customerId", "CUST-001"}}},
                                     {"toolCallId", "call_1"},
                                     {"toolName", "getCustomerTool"},
                                     {"result", {{"success", true}}}}));
}

TEST(GenerateJsonTest, Steps) {
  json out = GenerateResponseJson(ToolRunOutput(), AgentConfig{});
  ASSERT_EQ(out["steps"].size(), 2u);
  const json& first = out["steps"][0];
  for (const char* key :
       {"stepType", "sources", "files", "toolCalls", "toolResults", "content", "text",
        "reasoningText", "reasoning", "staticToolCalls", "dynamicToolCalls", "staticToolResults",
        "dynamicToolResults", "finishReason", "usage", "warnings", "request", "response"}) {
    EXPECT_TRUE(first.contains(key)) << key;
  }
  EXPECT_EQ(first["stepType"], "initial");
  EXPECT_EQ(first["finishReason"], "tool-calls");
  EXPECT_EQ(first["text"], "");
  EXPECT_EQ(first["toolCalls"], out["toolCalls"]);
  EXPECT_EQ(first["toolResults"], out["toolResults"]);
  ASSERT_EQ(first["content"].size(), 2u);
  EXPECT_EQ(first["content"][0], json({{"type", "tool-call"},
                                       {"toolCallId", "call_1"},
                                       {"toolName", "getCustomerTool"},
                                       {"input", {{"customerId", "CUST-001"}}}}));
  EXPECT_EQ(first["content"][1]["type"], "tool-result");
  EXPECT_EQ(first["content"][1]["output"],
            json({{"type", "json"}, {"value", {{"success", true}}}}));
  EXPECT_EQ(first["response"]["id"], "resp-1");
  EXPECT_EQ(first["response"]["timestamp"], "2026-11-25T08:00:00.000Z");
  EXPECT_EQ(first["response"]["modelMetadata"]["modelVersion"], "v2");
  // The step's response.messages: the assistant call and the tool result so far.
  ASSERT_EQ(first["response"]["messages"].size(), 2u);
  EXPECT_EQ(first["response"]["messages"][0]["role"], "assistant");
  EXPECT_EQ(first["response"]["messages"][1]["role"], "tool");

  const json& second = out["steps"][1];
  EXPECT_EQ(second["stepType"], "tool-result");
  EXPECT_EQ(second["toolCalls"], json::array());
  EXPECT_EQ(second["content"],
            json::parse(R"([{"type":"text","text":"Customer CUST-001 owes $0.00."}])"));
  EXPECT_EQ(second["response"]["messages"].size(), 3u);
}

TEST(GenerateJsonTest, ResponseMessages) {
  json out = GenerateResponseJson(ToolRunOutput(), AgentConfig{});
  const json& messages = out["response"]["messages"];
  ASSERT_EQ(messages.size(), 3u);
  EXPECT_EQ(messages[0]["role"], "assistant");
  EXPECT_EQ(messages[0]["content"][0]["type"], "tool-call");
  EXPECT_EQ(messages[1]["role"], "tool");
  EXPECT_EQ(messages[1]["content"][0]["type"], "tool-result");
  EXPECT_EQ(messages[1]["content"][0]["output"]["value"], json({{"success", true}}));
  EXPECT_EQ(
      messages[2],
      json::parse(
          R"({"role":"assistant","content":[{"type":"text","text":"Customer CUST-001 owes $0.00."}]})"));
}

TEST(GenerateJsonTest, ResponseMessagesFallBackToSteps) {
  AgentOutput output = ToolRunOutput();
  output.response_messages.clear();
  json out = GenerateResponseJson(output, AgentConfig{});
  EXPECT_EQ(out["response"]["messages"], out["steps"][1]["response"]["messages"]);
}

TEST(GenerateJsonTest, ClientToolCallsAreNotResults) {
  AgentOutput output;
  output.run_id = "run-2";
  output.finish_reason = "tool-calls";
  StepResult step;
  step.step_type = "initial";
  step.model.finish_reason = "tool-calls";
  step.model.tool_calls.push_back(Call("call_c", "confetti", {{"reason", "launch"}}));
  step.tool_results.push_back({step.model.tool_calls[0], json(), true});
  output.steps = {step};
  json out = GenerateResponseJson(output, AgentConfig{});
  EXPECT_EQ(out["text"], "");
  EXPECT_EQ(out["finishReason"], "tool-calls");
  ASSERT_EQ(out["toolCalls"].size(), 1u);
  EXPECT_EQ(out["toolCalls"][0]["payload"]["toolName"], "confetti");
  EXPECT_EQ(out["toolResults"], json::array());
  EXPECT_EQ(out["steps"][0]["toolResults"], json::array());
  ASSERT_EQ(out["steps"][0]["content"].size(), 1u);  // the call only
  // response.messages ends with the assistant call, which the client re-posts with its result.
  ASSERT_EQ(out["response"]["messages"].size(), 1u);
  EXPECT_EQ(out["response"]["messages"][0]["content"][0]["toolName"], "confetti");
}

TEST(GenerateJsonTest, UnparsableArgsAreSentAsText) {
  AgentOutput output;
  StepResult step;
  ToolCall call;
  call.id = "c";
  call.name = "t";
  call.raw_args = "{broken";
  step.model.tool_calls.push_back(call);
  output.steps = {step};
  json out = GenerateResponseJson(output, AgentConfig{});
  EXPECT_EQ(out["toolCalls"][0]["args"], "{broken");
  EXPECT_EQ(out["toolCalls"][0]["payload"]["args"], "{broken");
}

TEST(GenerateJsonTest, NoToolRun) {
  AgentOutput output;
  output.run_id = "r";
  output.text = "Hello!";
  output.finish_reason = "stop";
  StepResult step;
  step.step_type = "initial";
  step.model.text = "Hello!";
  step.model.usage = {3, 4};
  output.steps = {step};
  output.usage = {3, 4};
  json out = GenerateResponseJson(output, AgentConfig{});
  EXPECT_EQ(out["toolCalls"], json::array());
  EXPECT_EQ(out["toolResults"], json::array());
  EXPECT_EQ(out["steps"][0]["content"], json::parse(R"([{"type":"text","text":"Hello!"}])"));
  EXPECT_EQ(out["response"]["messages"],
            json::parse(R"([{"role":"assistant","content":[{"type":"text","text":"Hello!"}]}])"));
  EXPECT_EQ(out["usage"]["totalTokens"], 7);
}

TEST(GenerateJsonTest, ResponseMessagesMatchModelMessagesJson) {
  AgentOutput output = ToolRunOutput();
  json out = GenerateResponseJson(output, AgentConfig{});
  EXPECT_EQ(out["response"]["messages"], ModelMessagesJson(output.response_messages));
}

TEST(GenerateJsonTest, BodyIsCompactAndInMastraKeyOrder) {
  std::string body = GenerateResponseBody(ToolRunOutput(), AgentConfig{});
  EXPECT_EQ(
      body.rfind("{\"text\":\"Customer CUST-001 owes $0.00.\",\"usage\":{\"inputTokens\":30,", 0),
      0u)
      << body.substr(0, 120);
  EXPECT_NE(body.find("\"tripwire\":false,\"tripwireReason\":\"\",\"runId\":\"run-1\"}"),
            std::string::npos);
}

TEST(JsonWriterTest, EscapesLikeNlohmann) {
  const std::string samples[] = {"plain", "quote \" and \\ backslash", "ctl \n\r\t\b\f \x01 \x1f",
                                 "utf8 caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80", ""};
  for (const std::string& sample : samples) {
    std::string out;
    AppendJsonString(sample, out);
    EXPECT_EQ(out, json(sample).dump()) << sample;
    EXPECT_EQ(json::parse(out).get<std::string>(), sample);
  }
}

TEST(JsonWriterTest, InvalidUtf8IsReplaced) {
  const std::string bad[] = {
      "a\xFF"
      "b",
      "\xC3",
      "\xE2\x82",
      "\xED\xA0\x80",
      "\xC0\xAF",
      "\xF4\x90\x80\x80"};
  for (const std::string& sample : bad) {
    std::string out;
    AppendJsonString(sample, out);
    EXPECT_NO_THROW(json::parse(out)) << out;
    EXPECT_NE(out.find("\xEF\xBF\xBD"), std::string::npos) << out;
  }
}

TEST(JsonWriterTest, Structure) {
  std::string out;
  JsonWriter w(out);
  w.BeginObject();
  w.Field("a", "x");
  w.Key("b");
  w.BeginArray();
  w.Int(-3);
  w.Bool(true);
  w.Null();
  w.Raw("{\"k\":1}");
  w.BeginObject();
  w.EndObject();
  w.EndArray();
  w.FieldRaw("c", "[]");
  w.EndObject();
  EXPECT_EQ(out, R"({"a":"x","b":[-3,true,null,{"k":1},{}],"c":[]})");
}

}  // namespace
}  // namespace billing::http

namespace billing::http {
namespace {

// The messages one step adds to the conversation, built the plain way as the reference.
std::vector<ChatMessage> StepMessages(const StepResult& step) {
  std::vector<ChatMessage> messages;
  messages.reserve(1 + step.tool_results.size());
  ChatMessage assistant;
  assistant.role = "assistant";
  assistant.content = step.model.text;
  assistant.tool_calls = step.model.tool_calls;
  messages.push_back(std::move(assistant));
  for (const ToolResultRecord& record : step.tool_results) {
    if (record.client_tool) continue;
    ChatMessage tool;
    tool.role = "tool";
    tool.tool_call_id = record.call.id;
    tool.tool_name = record.call.name;
    tool.tool_result = record.result;
    messages.push_back(std::move(tool));
  }
  return messages;
}

// Each step's response.messages (written straight from the steps) is exactly the model-message
// form of the step messages so far, and the run's response.messages equals the last step's.
TEST(GenerateJsonTest, StepMessagesMatchTheModelMessageForm) {
  const AgentOutput output = ToolRunOutput();
  json out = GenerateResponseJson(output, AgentConfig{});
  std::vector<ChatMessage> so_far;
  for (size_t k = 0; k < output.steps.size(); ++k) {
    std::vector<ChatMessage> step = StepMessages(output.steps[k]);
    so_far.insert(so_far.end(), step.begin(), step.end());
    EXPECT_EQ(out["steps"][k]["response"]["messages"], ModelMessagesJson(so_far)) << k;
  }
  EXPECT_EQ(out["response"]["messages"], out["steps"].back()["response"]["messages"]);
  EXPECT_EQ(out["text"], output.text);
}

}  // namespace
}  // namespace billing::http
