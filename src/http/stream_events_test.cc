// Tests for the stream chunk / data-stream line / legacy JSON builders (stream_events.h), against
// the shapes of the Mastra 0.24 and 1.x captures (spec mastra-api.md §2.4–2.5).
#include "http/stream_events.h"

#include <gtest/gtest.h>

#include "common/clock.h"

namespace billing::http {
namespace {

using nlohmann::json;

ToolCall Call(std::string id, std::string name, json args) {
  ToolCall c;
  c.id = std::move(id);
  c.name = std::move(name);
  c.args = std::move(args);
  return c;
}

// The JSON of one `data: …\n\n` item.
json SseJson(const std::string& item) {
  EXPECT_EQ(item.rfind("data: ", 0), 0u) << item;
  EXPECT_GE(item.size(), 8u);
  EXPECT_EQ(item.substr(item.size() - 2), "\n\n") << item;
  return json::parse(item.substr(6, item.size() - 8));
}

TEST(StreamEventsTest, SseChunkFraming) {
  const std::string item = SseChunk("text-delta", "run-1", TextDeltaPayload("t1", "It \"is\"\n"));
  EXPECT_EQ(item,
            "data: {\"type\":\"text-delta\",\"runId\":\"run-1\",\"from\":\"AGENT\",\"payload\":"
            "{\"id\":\"t1\",\"text\":\"It \\\"is\\\"\\n\"}}\n\n");
  EXPECT_EQ(SseDone(), "data: [DONE]\n\n");
  // Invalid UTF-8 never breaks the JSON.
  json bad = SseJson(SseChunk("text-delta", "r", TextDeltaPayload("t1", "a\xff")));
  EXPECT_EQ(bad["payload"]["text"], "a\xef\xbf\xbd");
}

TEST(StreamEventsTest, PayloadShapesMatchTheCaptures) {
  EXPECT_EQ(json::parse(StartPayload("billingApiAgent", "m1")), (json{{"id", "billingApiAgent"}, {"messageId", "m1"}}));
  EXPECT_EQ(json::parse(StepStartPayload("m1")),
            (json{{"request", json::object()}, {"warnings", json::array()}, {"messageId", "m1"}}));
  EXPECT_EQ(json::parse(TextStartPayload("t1")), (json{{"id", "t1"}}));
  EXPECT_EQ(json::parse(TextEndPayload("t1")), (json{{"type", "text-end"}, {"id", "t1"}}));

  const ToolCall call = Call("call_3", "weatherTool", {{"location", "Paris"}});
  EXPECT_EQ(json::parse(ToolCallStreamingStartPayload(call)),
            (json{{"toolCallId", "call_3"}, {"toolName", "weatherTool"}}));
  EXPECT_EQ(json::parse(ToolCallDeltaPayload(call)),
            (json{{"argsTextDelta", "{\"location\":\"Paris\"}"}, {"toolCallId", "call_3"}, {"toolName", "weatherTool"}}));
  EXPECT_EQ(json::parse(ToolCallStreamingEndPayload(call)), (json{{"toolCallId", "call_3"}}));
  EXPECT_EQ(json::parse(ToolCallPayload(call)),
            (json{{"toolCallId", "call_3"}, {"toolName", "weatherTool"}, {"args", {{"location", "Paris"}}}}));
  ToolResultRecord record{call, json{{"temperature", 21}}, false};
  EXPECT_EQ(json::parse(ToolResultPayload(record)),
            (json{{"args", {{"location", "Paris"}}},
                  {"toolCallId", "call_3"},
                  {"toolName", "weatherTool"},
                  {"result", {{"temperature", 21}}}}));
  EXPECT_EQ(json::parse(ErrorPayload("model exploded")),
            (json{{"type", "error"}, {"error", {{"message", "model exploded"}, {"name", "Error"}}}}));

  // Arguments the model sent as broken JSON are reported as the raw text; none at all as {}.
  ToolCall raw = Call("c", "t", nullptr);
  raw.raw_args = "{\"a\":";
  EXPECT_EQ(ToolArgsJson(raw), "\"{\\\"a\\\":\"");
  EXPECT_EQ(ToolArgsJson(Call("c", "t", nullptr)), "{}");
}

TEST(StreamEventsTest, FinishPayloadIsSmallAndHasUsage) {
  FinishInfo info;
  info.message_id = "m1";
  info.reason = "tool-calls";
  info.is_continued = true;
  info.response_id = "resp-1";
  info.timestamp = "2026-11-25T08:00:00.000Z";
  info.model_id = "gpt-4o-mini";
  info.provider = "openai";
  info.text = "";
  info.tool_calls = {Call("call_1", "getCustomerTool", {{"customerId", "CUST-001"}})};
  info.usage = ModelUsage{10, 5};
  json p = json::parse(FinishPayload(info));
  EXPECT_EQ(p["messageId"], "m1");
  EXPECT_EQ(p["stepResult"], (json{{"reason", "tool-calls"}, {"isContinued", true}}));
  EXPECT_EQ(p["metadata"]["id"], "resp-1");
  EXPECT_EQ(p["metadata"]["modelId"], "gpt-4o-mini");
  EXPECT_EQ(p["metadata"]["headers"], json::object());
  EXPECT_EQ(p["metadata"]["modelMetadata"],
            (json{{"modelId", "gpt-4o-mini"}, {"modelVersion", "v2"}, {"modelProvider", "openai"}}));
  EXPECT_EQ(p["output"]["text"], "");
  EXPECT_EQ(p["output"]["toolCalls"][0]["args"]["customerId"], "CUST-001");
  EXPECT_EQ(p["output"]["steps"], json::array());
  EXPECT_EQ(p["output"]["usage"]["inputTokens"], 10);
  EXPECT_EQ(p["output"]["usage"]["outputTokens"], 5);
  EXPECT_EQ(p["output"]["usage"]["totalTokens"], 15);
  EXPECT_EQ(p["usage"], p["output"]["usage"]);
  EXPECT_FALSE(p.contains("messages")) << "the conversation is not repeated";
}

TEST(StreamEventsTest, DataStreamLines) {
  EXPECT_EQ(DataStreamStepStart("m1"), "f:{\"messageId\":\"m1\"}\n");
  EXPECT_EQ(DataStreamText("21°C \"sunny\"\n"), "0:\"21°C \\\"sunny\\\"\\n\"\n");
  const ToolCall call = Call("call_v1_3", "weatherTool", {{"location", "Paris"}});
  EXPECT_EQ(DataStreamToolCall(call),
            "9:{\"toolCallId\":\"call_v1_3\",\"toolName\":\"weatherTool\",\"args\":{\"location\":\"Paris\"}}\n");
  EXPECT_EQ(DataStreamToolResult(ToolResultRecord{call, json{{"temperature", 21}}, false}),
            "a:{\"toolCallId\":\"call_v1_3\",\"result\":{\"temperature\":21}}\n");
  EXPECT_EQ(DataStreamStepFinish("tool-calls", ModelUsage{10, 5}, false),
            "e:{\"finishReason\":\"tool-calls\",\"usage\":{\"promptTokens\":10,\"completionTokens\":5},"
            "\"isContinued\":false}\n");
  EXPECT_EQ(DataStreamFinish("stop", ModelUsage{20, 10}),
            "d:{\"finishReason\":\"stop\",\"usage\":{\"promptTokens\":20,\"completionTokens\":10}}\n");
  EXPECT_EQ(DataStreamError("Model provider unavailable: timeout"),
            "3:\"An error occurred while processing your request. Model provider unavailable: timeout\"\n");
}

AgentOutput TwoStepOutput() {
  AgentOutput out;
  out.run_id = "run-1";
  out.model_id = "mock-v1";
  out.provider = "openai";
  out.response_id = "resp-2";
  out.timestamp = "1970-01-01T00:00:00.000Z";
  StepResult first;
  first.step_type = "initial";
  first.model.id = "resp-1";
  first.model.finish_reason = "tool-calls";
  first.model.usage = ModelUsage{10, 5};
  first.model.tool_calls = {Call("call_v1_1", "weatherTool", {{"location", "Paris"}})};
  first.tool_results = {ToolResultRecord{first.model.tool_calls[0], json{{"temperature", 21}}, false}};
  first.timestamp = out.timestamp;
  StepResult second;
  second.step_type = "tool-result";
  second.model.id = "resp-2";
  second.model.text = "It is 21°C.";
  second.model.usage = ModelUsage{10, 5};
  second.timestamp = out.timestamp;
  out.steps = {first, second};
  out.text = second.model.text;
  out.finish_reason = "stop";
  out.usage = ModelUsage{20, 10};
  return out;
}

TEST(StreamEventsTest, LegacyGenerateBodyIsAiSdkV4) {
  SeededRandom random(7);
  json r = json::parse(LegacyGenerateBody(TwoStepOutput(), random));
  EXPECT_EQ(r["text"], "It is 21°C.");
  EXPECT_EQ(r["files"], json::array());
  EXPECT_EQ(r["reasoningDetails"], json::array());
  EXPECT_EQ(r["sources"], json::array());
  EXPECT_EQ(r["request"], json::object());
  EXPECT_EQ(r["finishReason"], "stop");
  EXPECT_EQ(r["usage"], (json{{"promptTokens", 20}, {"completionTokens", 10}, {"totalTokens", 30}}));
  // The last step's calls only: none.
  EXPECT_EQ(r["toolCalls"], json::array());
  EXPECT_EQ(r["toolResults"], json::array());
  EXPECT_EQ(r["response"]["id"], "resp-2");
  EXPECT_EQ(r["response"]["modelId"], "mock-v1");
  const json& messages = r["response"]["messages"];
  ASSERT_EQ(messages.size(), 3u);
  EXPECT_EQ(messages[0]["role"], "assistant");
  EXPECT_EQ(messages[0]["content"],
            (json::array({{{"type", "tool-call"}, {"toolCallId", "call_v1_1"}, {"toolName", "weatherTool"},
                           {"args", {{"location", "Paris"}}}}})));
  EXPECT_EQ(messages[1]["role"], "tool");
  EXPECT_EQ(messages[1]["content"][0]["result"], (json{{"temperature", 21}}));
  EXPECT_EQ(messages[2]["content"][0]["text"], "It is 21°C.");
  for (const json& m : messages) EXPECT_EQ(m["id"].get<std::string>().size(), 36u);

  ASSERT_EQ(r["steps"].size(), 2u);
  const json& s0 = r["steps"][0];
  EXPECT_EQ(s0["stepType"], "initial");
  EXPECT_EQ(s0["text"], "");
  EXPECT_EQ(s0["finishReason"], "tool-calls");
  EXPECT_EQ(s0["isContinued"], false);
  EXPECT_EQ(s0["usage"]["totalTokens"], 15);
  EXPECT_EQ(s0["toolCalls"][0],
            (json{{"type", "tool-call"}, {"toolCallId", "call_v1_1"}, {"toolName", "weatherTool"},
                  {"args", {{"location", "Paris"}}}}));
  EXPECT_EQ(s0["toolResults"][0]["type"], "tool-result");
  EXPECT_EQ(s0["toolResults"][0]["args"], (json{{"location", "Paris"}}));
  EXPECT_EQ(s0["toolResults"][0]["result"], (json{{"temperature", 21}}));
  EXPECT_EQ(s0["response"]["messages"].size(), 2u);  // cumulative up to this step
  EXPECT_EQ(r["steps"][1]["stepType"], "tool-result");
  EXPECT_EQ(r["steps"][1]["response"]["messages"], messages);
}

TEST(StreamEventsTest, LegacyGenerateFlatCallsAreTheLastStepsAndSkipClientResults) {
  AgentOutput out;
  out.finish_reason = "tool-calls";
  StepResult step;
  step.step_type = "initial";
  step.model.finish_reason = "tool-calls";
  step.model.tool_calls = {Call("call_1", "confetti", {{"reason", "launch"}})};
  step.tool_results = {ToolResultRecord{step.model.tool_calls[0], json(), true}};
  out.steps = {step};
  SeededRandom random(1);
  json r = json::parse(LegacyGenerateBody(out, random));
  ASSERT_EQ(r["toolCalls"].size(), 1u);
  EXPECT_EQ(r["toolCalls"][0]["toolName"], "confetti");
  EXPECT_EQ(r["toolCalls"][0]["args"]["reason"], "launch");
  EXPECT_EQ(r["toolResults"], json::array());
  EXPECT_EQ(r["finishReason"], "tool-calls");
}

}  // namespace
}  // namespace billing::http
