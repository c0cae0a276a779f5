#include "http/messages.h"

#include <string>

#include <gtest/gtest.h>

#include "http/json_body.h"

namespace billing::http {
namespace {

using nlohmann::json;

std::vector<ChatMessage> ParseOk(const json& messages) {
  Result<std::vector<ChatMessage>> result = ParseMessages(messages);
  EXPECT_TRUE(result.ok()) << (result.ok() ? "" : result.error().message);
  return result.ok() ? result.value() : std::vector<ChatMessage>{};
}

std::string ParseError(const json& messages, const MessageLimits& limits = {}) {
  Result<std::vector<ChatMessage>> result = ParseMessages(messages, limits);
  EXPECT_FALSE(result.ok());
  if (result.ok()) return "";
  EXPECT_EQ(result.error().code, ErrorCode::kInvalidArgument);
  return result.error().message;
}

TEST(ParseMessagesTest, PlainStringIsOneUserMessage) {
  auto messages = ParseOk("hi there");
  ASSERT_EQ(messages.size(), 1u);
  EXPECT_EQ(messages[0].role, "user");
  EXPECT_EQ(messages[0].content, "hi there");
}

TEST(ParseMessagesTest, ArrayOfStrings) {
  auto messages = ParseOk(json::array({"a", "b"}));
  ASSERT_EQ(messages.size(), 2u);
  EXPECT_EQ(messages[0].role, "user");
  EXPECT_EQ(messages[1].content, "b");
}

TEST(ParseMessagesTest, RoleContentStrings) {
  auto messages = ParseOk(json::parse(R"([
    {"role":"system","content":"be brief"},
    {"role":"user","content":"Show CUST-001"},
    {"role":"assistant","content":"Sure."},
    {"role":"developer","content":"dev note"}])"));
  ASSERT_EQ(messages.size(), 4u);
  EXPECT_EQ(messages[0].role, "system");
  EXPECT_EQ(messages[1].role, "user");
  EXPECT_EQ(messages[1].content, "Show CUST-001");
  EXPECT_EQ(messages[2].role, "assistant");
  EXPECT_EQ(messages[3].role, "system");
}

TEST(ParseMessagesTest, TextPartsAreJoined) {
  auto messages = ParseOk(json::parse(
      R"([{"role":"user","content":[{"type":"text","text":"one"},{"type":"text","text":"two"}]}])"));
  ASSERT_EQ(messages.size(), 1u);
  EXPECT_EQ(messages[0].content, "one\ntwo");
}

TEST(ParseMessagesTest, ToolCallAndToolResultPartsV5) {
  auto messages = ParseOk(json::parse(R"([
    {"role":"user","content":"weather?"},
    {"role":"assistant","content":[{"type":"text","text":"checking"},
      {"type":"tool-call","toolCallId":"call_1","toolName":"getCustomerTool","input":{"customerId":"CUST-001"}}]},
    {"role":"tool","content":[
      {"type":"tool-result","toolCallId":"call_1","toolName":"getCustomerTool","output":{"type":"json","value":{"ok":1}}},
      {"type":"tool-result","toolCallId":"call_2","toolName":"x","result":{"legacy":true}}]}])"));
  ASSERT_EQ(messages.size(), 4u);
  EXPECT_EQ(messages[1].role, "assistant");
  EXPECT_EQ(messages[1].content, "checking");
  ASSERT_EQ(messages[1].tool_calls.size(), 1u);
  EXPECT_EQ(messages[1].tool_calls[0].id, "call_1");
  EXPECT_EQ(messages[1].tool_calls[0].name, "getCustomerTool");
  EXPECT_EQ(messages[1].tool_calls[0].args, json({{"customerId", "CUST-001"}}));
  EXPECT_EQ(messages[2].role, "tool");
  EXPECT_EQ(messages[2].tool_call_id, "call_1");
  EXPECT_EQ(messages[2].tool_name, "getCustomerTool");
  EXPECT_EQ(messages[2].tool_result, json({{"ok", 1}}));
  EXPECT_EQ(messages[3].tool_call_id, "call_2");
  EXPECT_EQ(messages[3].tool_result, json({{"legacy", true}}));
}

TEST(ParseMessagesTest, ToolCallArgsV4AndStringArgs) {
  auto messages = ParseOk(json::parse(R"([{"role":"assistant","content":[
      {"type":"tool-call","toolCallId":"a","toolName":"t","args":{"x":1}},
      {"type":"tool-call","toolCallId":"b","toolName":"t","input":"{\"y\":2}"},
      {"type":"tool-call","toolCallId":"c","toolName":"t","input":"not json"}]}])"));
  ASSERT_EQ(messages.size(), 1u);
  ASSERT_EQ(messages[0].tool_calls.size(), 3u);
  EXPECT_EQ(messages[0].tool_calls[0].args, json({{"x", 1}}));
  EXPECT_EQ(messages[0].tool_calls[1].args, json({{"y", 2}}));
  EXPECT_TRUE(messages[0].tool_calls[2].args.is_null());
  EXPECT_EQ(messages[0].tool_calls[2].raw_args, "not json");
}

TEST(ParseMessagesTest, UiMessageWithTextParts) {
  auto messages = ParseOk(json::parse(
      R"([{"id":"m1","role":"user","parts":[{"type":"step-start"},{"type":"text","text":"hello"}]}])"));
  ASSERT_EQ(messages.size(), 1u);
  EXPECT_EQ(messages[0].role, "user");
  EXPECT_EQ(messages[0].content, "hello");
}

TEST(ParseMessagesTest, UiMessageV4ContentUsedWhenPartsHaveNoText) {
  auto messages =
      ParseOk(json::parse(R"([{"id":"m1","role":"user","content":"from content","parts":[]}])"));
  ASSERT_EQ(messages.size(), 1u);
  EXPECT_EQ(messages[0].content, "from content");
}

TEST(ParseMessagesTest, UiToolPartsBecomeCallAndResult) {
  auto messages = ParseOk(json::parse(R"([{"id":"m2","role":"assistant","parts":[
      {"type":"tool-getCustomerTool","toolCallId":"c1","state":"output-available","input":{"customerId":"CUST-1"},"output":{"ok":true}},
      {"type":"tool-invocation","toolInvocation":{"state":"result","toolCallId":"c2","toolName":"t2","args":{},"result":5}},
      {"type":"tool-pending","toolCallId":"c3","state":"input-available","input":{}},
      {"type":"text","text":"done"}]}])"));
  ASSERT_EQ(messages.size(), 3u);
  EXPECT_EQ(messages[0].role, "assistant");
  EXPECT_EQ(messages[0].content, "done");
  ASSERT_EQ(messages[0].tool_calls.size(), 2u);
  EXPECT_EQ(messages[0].tool_calls[0].name, "getCustomerTool");
  EXPECT_EQ(messages[0].tool_calls[1].name, "t2");
  EXPECT_EQ(messages[1].role, "tool");
  EXPECT_EQ(messages[1].tool_result, json({{"ok", true}}));
  EXPECT_EQ(messages[2].tool_call_id, "c2");
  EXPECT_EQ(messages[2].tool_result, json(5));
}

TEST(ParseMessagesTest, OpenAiChatFormat) {
  auto messages = ParseOk(json::parse(R"([
    {"role":"assistant","content":null,"tool_calls":[{"id":"call_9","type":"function",
      "function":{"name":"getCustomerTool","arguments":"{\"customerId\":\"CUST-002\"}"}}]},
    {"role":"tool","tool_call_id":"call_9","content":"{\"success\":true}"}])"));
  ASSERT_EQ(messages.size(), 2u);
  ASSERT_EQ(messages[0].tool_calls.size(), 1u);
  EXPECT_EQ(messages[0].tool_calls[0].args, json({{"customerId", "CUST-002"}}));
  EXPECT_EQ(messages[1].role, "tool");
  EXPECT_EQ(messages[1].tool_call_id, "call_9");
  EXPECT_EQ(messages[1].tool_result, json("{\"success\":true}"));
}

TEST(ParseMessagesTest, SingleMessageObject) {
  auto messages = ParseOk(json::parse(R"({"role":"user","content":"solo"})"));
  ASSERT_EQ(messages.size(), 1u);
  EXPECT_EQ(messages[0].content, "solo");
}

TEST(ParseMessagesTest, IgnoredPartTypes) {
  auto messages = ParseOk(json::parse(R"([{"role":"assistant","content":[
      {"type":"reasoning","text":"hmm"},{"type":"text","text":"answer"},{"type":"data-x","data":1}]}])"));
  ASSERT_EQ(messages.size(), 1u);
  EXPECT_EQ(messages[0].content, "answer");
}

TEST(ParseMessagesTest, RoundTripsModelMessagesJson) {
  std::vector<ChatMessage> original(4);
  original[0].role = "user";
  original[0].content = "pay INV-1";
  original[1].role = "assistant";
  original[1].tool_calls.push_back({"call_1", "processPaymentTool", json{{"amount", 5}}, ""});
  original[2].role = "tool";
  original[2].tool_call_id = "call_1";
  original[2].tool_name = "processPaymentTool";
  original[2].tool_result = json{{"success", true}};
  original[3].role = "assistant";
  original[3].content = "Paid.";
  json wire = ModelMessagesJson(original);
  ASSERT_EQ(wire.size(), 4u);
  EXPECT_EQ(wire[1]["content"][0]["type"], "tool-call");
  EXPECT_EQ(wire[1]["content"][0]["input"], json({{"amount", 5}}));
  EXPECT_EQ(wire[2]["role"], "tool");
  EXPECT_EQ(wire[2]["content"][0]["output"],
            json({{"type", "json"}, {"value", {{"success", true}}}}));
  EXPECT_EQ(wire[3]["content"], json::parse(R"([{"type":"text","text":"Paid."}])"));

  auto back = ParseOk(wire);
  ASSERT_EQ(back.size(), 4u);
  EXPECT_EQ(back[1].tool_calls[0].args, json({{"amount", 5}}));
  EXPECT_EQ(back[2].tool_result, json({{"success", true}}));
  EXPECT_EQ(back[3].content, "Paid.");
}

TEST(ParseMessagesTest, ConsecutiveToolMessagesAreMerged) {
  std::vector<ChatMessage> messages(2);
  for (int i = 0; i < 2; ++i) {
    messages[i].role = "tool";
    messages[i].tool_call_id = std::string(1, 'c').append(std::to_string(i));  // (GCC 12 -Wrestrict false positive on "c" + string)
  }
  json wire = ModelMessagesJson(messages);
  ASSERT_EQ(wire.size(), 1u);
  EXPECT_EQ(wire[0]["content"].size(), 2u);
}

// ---- rejected shapes ----

TEST(ParseMessagesTest, MissingOrEmptyIsRequired) {
  const std::string required = "Argument \"messages\" is required";
  EXPECT_EQ(ParseError(json()), required);
  EXPECT_EQ(ParseError(""), required);
  EXPECT_EQ(ParseError(json::array()), required);
}

TEST(ParseMessagesTest, WrongTopLevelType) {
  EXPECT_EQ(ParseError(42), "messages must be a string, an array of messages or a message object");
  EXPECT_EQ(ParseError(true),
            "messages must be a string, an array of messages or a message object");
}

TEST(ParseMessagesTest, WrongElementType) {
  EXPECT_EQ(ParseError(json::parse(R"(["ok", 5])")),
            "messages[1] must be a string or a message object");
}

TEST(ParseMessagesTest, RoleErrors) {
  EXPECT_EQ(ParseError(json::parse(R"([{"content":"x"}])")), "messages[0].role is required");
  EXPECT_EQ(ParseError(json::parse(R"([{"role":"robot","content":"x"}])")),
            "messages[0].role must be one of user, assistant, system, tool");
  EXPECT_EQ(ParseError(json::parse(R"([{"role":7,"content":"x"}])")),
            "messages[0].role must be one of user, assistant, system, tool");
}

TEST(ParseMessagesTest, ContentErrors) {
  EXPECT_EQ(ParseError(json::parse(R"(["a","b",{"role":"user","content":5}])")),
            "messages[2].content must be a string or an array of parts");
  EXPECT_EQ(ParseError(json::parse(R"([{"role":"user","content":{"text":"x"}}])")),
            "messages[0].content must be a string or an array of parts");
  EXPECT_EQ(ParseError(json::parse(R"([{"role":"user"}])")), "messages[0].content is required");
  EXPECT_EQ(ParseError(json::parse(R"([{"role":"user","parts":"x"}])")),
            "messages[0].parts must be an array of parts");
}

TEST(ParseMessagesTest, PartErrors) {
  EXPECT_EQ(ParseError(json::parse(R"([{"role":"user","content":["x"]}])")),
            "messages[0].content[0] must be an object with a type");
  EXPECT_EQ(ParseError(json::parse(R"([{"role":"user","content":[{"text":"x"}]}])")),
            "messages[0].content[0].type is required");
  EXPECT_EQ(ParseError(json::parse(R"([{"role":"user","content":[{"type":"text","text":1}]}])")),
            "messages[0].content[0].text must be a string");
  EXPECT_EQ(
      ParseError(json::parse(R"([{"role":"user","content":[{"type":"image","image":"..."}]}])")),
      "messages[0].content[0].type \"image\" is not supported (use text, tool-call or "
      "tool-result)");
  EXPECT_EQ(
      ParseError(json::parse(
          R"([{"role":"user","content":[{"type":"tool-call","toolCallId":"a","toolName":"t"}]}])")),
      "messages[0].content[0]: tool calls are only allowed in assistant messages");
  EXPECT_EQ(ParseError(json::parse(
                R"([{"role":"assistant","content":[{"type":"tool-call","toolName":"t"}]}])")),
            "messages[0].content[0].toolCallId is required");
  EXPECT_EQ(ParseError(json::parse(
                R"([{"role":"assistant","content":[{"type":"tool-call","toolCallId":"a"}]}])")),
            "messages[0].content[0].toolName is required");
  EXPECT_EQ(ParseError(json::parse(
                R"([{"role":"user","content":[{"type":"tool-result","toolCallId":"a"}]}])")),
            "messages[0].content[0]: tool results are only allowed in tool messages");
  EXPECT_EQ(ParseError(json::parse(R"([{"role":"tool","content":[{"type":"tool-result"}]}])")),
            "messages[0].content[0].toolCallId is required");
}

TEST(ParseMessagesTest, ToolMessageWithoutResults) {
  EXPECT_EQ(ParseError(json::parse(R"([{"role":"tool","content":"plain"}])")),
            "messages[0].content of a tool message must contain tool-result parts");
}

TEST(ParseMessagesTest, OpenAiToolCallErrors) {
  EXPECT_EQ(ParseError(json::parse(R"([{"role":"user","content":"x","tool_calls":[]}])")),
            "messages[0].tool_calls is only allowed in assistant messages");
  EXPECT_EQ(
      ParseError(json::parse(R"([{"role":"assistant","content":null,"tool_calls":[{"id":"c"}]}])")),
      "messages[0].tool_calls[0].function must be an object");
}

TEST(ParseMessagesTest, Limits) {
  MessageLimits limits;
  limits.max_messages = 2;
  EXPECT_EQ(ParseError(json::array({"a", "b", "c"}), limits),
            "messages must contain at most 2 messages");
  limits = MessageLimits{};
  limits.max_parts_per_message = 1;
  EXPECT_EQ(
      ParseError(
          json::parse(
              R"([{"role":"user","content":[{"type":"text","text":"a"},{"type":"text","text":"b"}]}])"),
          limits),
      "messages[0].content must contain at most 1 parts");
  limits = MessageLimits{};
  limits.max_total_text_bytes = 5;
  EXPECT_EQ(ParseError(json::array({"abc", "def"}), limits),
            "messages exceed the total text limit of 5 bytes");
}

TEST(ParseMessagesTest, ErrorNamesTheField) {
  Result<std::vector<ChatMessage>> result =
      ParseMessages(json::parse(R"(["a",{"role":"user","content":5}])"));
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().field, "messages[1].content");
}

// ---- json_body.h ----

TEST(JsonBodyTest, ParsesObjects) {
  Result<json> body = ParseJsonBody(R"({"messages":"hi"})");
  ASSERT_TRUE(body.ok());
  EXPECT_EQ((*body)["messages"], "hi");
}

TEST(JsonBodyTest, MalformedJsonHasCleanMessage) {
  Result<json> body = ParseJsonBody(R"({"messages": [{"role": "user", x}]})");
  ASSERT_FALSE(body.ok());
  const std::string& message = body.error().message;
  EXPECT_EQ(message.rfind("Invalid JSON in request body: parse error at line 1, column", 0), 0u)
      << message;
  EXPECT_EQ(message.find("json.exception"), std::string::npos);

  Result<json> empty = ParseJsonBody("");
  ASSERT_FALSE(empty.ok());
  EXPECT_NE(empty.error().message.find("unexpected end of input"), std::string::npos);
}

TEST(JsonBodyTest, LongParserMessagesAreBounded) {
  std::string body = "{\"a\": \"" + std::string(100000, 'x');  // unterminated string
  Result<json> parsed = ParseJsonBody(body);
  ASSERT_FALSE(parsed.ok());
  EXPECT_LT(parsed.error().message.size(), 300u);
}

TEST(JsonBodyTest, DeepNestingRejectedBeforeParsing) {
  std::string deep(100000, '[');
  Result<json> parsed = ParseJsonBody(deep);
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.error().message, "Invalid JSON in request body: nesting deeper than 64 levels");
  EXPECT_TRUE(JsonNestingWithin(
      R"({"a":"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\""})", 2));
  EXPECT_FALSE(JsonNestingWithin("[[[", 2));
  EXPECT_TRUE(JsonNestingWithin("[[]]", 2));
}

}  // namespace
}  // namespace billing::http
