// The JSON body of a successful POST /api/agents/:agentId/generate: Mastra 0.20+'s FullOutput
// (MastraModelOutput.getFullOutput(), see docs spec mastra-api.md §2.3), built from an AgentOutput.
//
// Compatibility choices:
//  - every toolCalls[]/toolResults[] item carries both the Mastra chunk shape
//    ({"type","runId","from":"AGENT","payload":{…}}) and the flat AI-SDK v4 shape
//    ({"toolCallId","toolName","args","result"}), so legacy (≤0.19) consumers, @mastra/client-js
//    and vNext consumers all find what they read;
//  - usage has both inputTokens/outputTokens (v5) and promptTokens/completionTokens (v4);
//  - top-level toolCalls/toolResults aggregate all steps; calls of client tools (not executed
//    here) appear in toolCalls but not in toolResults.
//
// Thread-safety: pure functions over values; safe from any thread.
#pragma once

#include <string>
#include <utility>  // before asio: Boost 1.74's awaitable.hpp uses std::exchange
#include <vector>

#include <nlohmann/json.hpp>

#include "agent/agent.h"
#include "http/json_writer.h"

namespace billing::http {

// The response body (compact JSON text, keys in Mastra's order). This is the hot path: written
// directly, each tool argument/result object serialized once however often it appears.
std::string GenerateResponseBody(const AgentOutput& output, const AgentConfig& config);

// The same response as a JSON value (parses GenerateResponseBody; for tests and callers that
// need to inspect or amend it, not for the hot path).
nlohmann::json GenerateResponseJson(const AgentOutput& output, const AgentConfig& config);

// {"inputTokens","outputTokens","totalTokens","promptTokens","completionTokens",
//  "reasoningTokens":0,"cachedInputTokens":0}
nlohmann::json UsageJson(const ModelUsage& usage);
// Writes the usage object of both generations (inputTokens/outputTokens/totalTokens and
// promptTokens/completionTokens), as every response and stream chunk carries it.
void WriteUsage(JsonWriter& w, const ModelUsage& usage);

}  // namespace billing::http
