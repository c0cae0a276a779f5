// MastraApi: the Mastra agent-server HTTP routes (docs/http.md) over one Agent: agent and tool
// discovery, POST /api/agents/:agentId/generate, direct tool execution, health, CORS preflight.
// Responses and errors follow Mastra 0.24 (spec mastra-api.md §1–3); deviations are listed in
// docs/http.md.
//
// Thread-safety: immutable after construction (discovery bodies are serialized once, up front);
// Handle() may run concurrently on any number of threads.
#pragma once

#include <string>
#include <unordered_map>
#include <utility>  // before asio: Boost 1.74's awaitable.hpp uses std::exchange
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <nlohmann/json.hpp>

#include "agent/agent.h"
#include "common/clock.h"
#include "common/result.h"
#include "http/server.h"

namespace billing::http {

// What a generate/stream request body asks for.
struct GenerateRequest {
  std::vector<ChatMessage> messages;
  GenerateOptions options;
};

// Parses a generate/stream body (already known to be a JSON object): messages (see messages.h),
// maxSteps (integer, clamped to 1..20), runId, instructions, toolChoice, modelSettings,
// clientTools, runtimeContext/requestContext. Errors are kInvalidArgument with the Mastra-style
// message to send back with a 400.
Result<GenerateRequest> ParseGenerateRequest(const nlohmann::json& body);

// The tool context of a request body: `requestContext` (1.x) or else `runtimeContext` (0.x) as
// request_context; actor "cometchat:<uid>" from <context>.cometchatContext.sender.uid (either
// context), else `default_actor`. A context that is present but not an object is an error.
Result<ToolContext> ParseToolContext(const nlohmann::json& body, const std::string& default_actor);

// The HTTP answer for an error from Agent::Generate: 400/404/409 with the message for caller
// errors; 502 for kUnauthenticated/kUnavailable (the model provider); 500
// {"error":"Internal Server Error"} for kInternal (the detail is logged, not sent).
HttpResponse AgentErrorResponse(const Error& error);

// A Mastra serialized tool: {"id","description","inputSchema":"{\"json\":…}",
// "outputSchema":"{\"json\":…}","requireApproval":false}; `partial` drops the schemas.
nlohmann::json SerializeTool(const Tool& tool, bool partial);

class MastraApi {
 public:
  MastraApi(const Agent& agent, const Clock& clock, RandomSource& random);

  // Routes one request. Never throws for bad input (the server catches anything else).
  boost::asio::awaitable<HttpResponse> Handle(HttpRequest& request, ResponseStream& stream) const;

  // A Handler for HttpServer that calls Handle(); `this` must outlive the server's io threads.
  Handler AsHandler() const;

 private:
  boost::asio::awaitable<HttpResponse> Generate(const HttpRequest& request) const;
  boost::asio::awaitable<HttpResponse> Stream(const HttpRequest& request,
                                              ResponseStream& stream) const;
  HttpResponse ExecuteTool(const Tool& tool, const HttpRequest& request) const;
  const Tool* FindToolById(const std::string& id) const;

  const Agent& agent_;
  const Clock& clock_;
  RandomSource& random_;

  // Serialized once: the agent and tools do not change while the server runs.
  std::string agents_body_;                                   // GET /api/agents
  std::string agents_partial_body_;                           // GET /api/agents?partial=true
  std::string agent_body_;                                    // GET /api/agents/:agentId
  std::string tools_body_;                                    // GET /api/tools
  std::unordered_map<std::string, std::string> tool_bodies_;  // by tool id
};

}  // namespace billing::http
