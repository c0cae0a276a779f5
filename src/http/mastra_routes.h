// MastraApi: the Mastra agent-server HTTP routes (docs/http.md) over one Agent: agent and tool
// discovery, POST /api/agents/:agentId/generate and /stream (Mastra vNext chunks, spec §2.5a),
// the legacy /generate-legacy (AI-SDK v4 JSON, §2.4) and /stream-legacy (v4 data stream, §2.5b),
// direct tool execution, health, CORS preflight.
// Responses and errors follow Mastra 0.24 (spec mastra-api.md §1–3); deviations are listed in
// docs/http.md.
//
// Thread-safety: immutable after construction but for two internally locked parts (the runs
// awaiting tool approval, and the agent's serialized body, made again after a model switch);
// Handle() may run concurrently on any number of threads.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <utility>  // before asio: Boost 1.74's awaitable.hpp uses std::exchange
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <nlohmann/json.hpp>

#include "agent/agent.h"
#include "agent/memory.h"
#include "agent/model_switch.h"
#include "auth/authenticator.h"
#include "common/clock.h"
#include "common/result.h"
#include "http/idempotency.h"
#include "http/memory_routes.h"
#include "http/rate_limiter.h"
#include "http/server.h"
#include "http/console.h"
#include "http/mcp_server.h"
#include "observability/metrics.h"
#include "observability/trace_store.h"
#include "http/swagger_ui.h"

namespace billing::http {

class PendingApprovals;  // http/tool_approval.h
class McpSseSessions;    // http/mcp_sse.h

// What a generate/stream request body asks for.
struct GenerateRequest {
  std::vector<ChatMessage> messages;
  GenerateOptions options;
  // The conversation thread, for memory (not used yet; see MastraApi::PrepareRun): top-level
  // threadId / resourceId (or resourceid), as ≤0.19 clients and the legacy routes send them, or
  // memory.thread (string or {"id"}) / memory.resource (0.20+/1.x). Empty when absent.
  std::string thread_id;
  std::string resource_id;
  // Set by MastraApi when the server has memory and the body asks for it (ParseMemoryRef).
  std::optional<MemoryRef> memory;
  size_t history_count = 0;  // messages loaded from the thread in front of the input
};

// Parses a generate/stream body (already known to be a JSON object): messages (see messages.h),
// maxSteps (integer, clamped to 1..20), runId, instructions, toolChoice, modelSettings,
// clientTools, requireToolApproval, runtimeContext/requestContext,
// threadId/resourceId/resourceid/memory. Errors are
// kInvalidArgument with the Mastra-style message to send back with a 400. The one parser for all
// of generate, stream, generate-legacy and stream-legacy.
Result<GenerateRequest> ParseGenerateRequest(const nlohmann::json& body);

// The message for a failed run that may be shown to the client (stream error chunks): the
// caller's error for 4xx-type codes, a fixed text for the model provider's failures, and
// "Internal Server Error" for kInternal (the detail is for the log only).
std::string PublicErrorMessage(const Error& error);

// The tool context of a request body: `requestContext` (1.x) or else `runtimeContext` (0.x) as
// request_context, and the end user it claims as actor.on_behalf_of: "cometchat:<uid>" from
// <context>.cometchatContext.sender.uid, else "user:<id>" from <context>.userId (requestContext
// first). A context that is present but not an object, or a claimed id that is not a string or
// integer or is over 256 bytes, is an error naming the field.
Result<ToolContext> ParseToolContext(const nlohmann::json& body);

// Runs the tool context as the caller: scopes from `principal`, and actor.principal the caller's
// id ("dev" for the development-mode anonymous caller), whatever the body said. A claimed end user
// needs the act_on_behalf scope: without it, kPermissionDenied (HTTP 403) and nothing runs.
Status ApplyPrincipal(ToolContext& context, const Principal& principal);

// The HTTP answer for an error from Agent::Generate: 400/404/409 with the message for caller
// errors; 502 for kUnauthenticated/kUnavailable (the model provider); 500
// {"error":"Internal Server Error"} for kInternal (the detail is logged, not sent).
HttpResponse AgentErrorResponse(const Error& error);

// A Mastra serialized tool: {"id","description","inputSchema":"{\"json\":…}",
// "outputSchema":"{\"json\":…}","requireApproval":false}; `partial` drops the schemas.
nlohmann::json SerializeTool(const Tool& tool, bool partial);

// Serves GET /api/audit (admin scope only); see http/audit_routes.h.
using AuditHandler = std::function<HttpResponse(const HttpRequest&)>;

// The server's defences against overload and retries; each optional (nullptr = off).
struct Protections {
  // Every /api request takes a token from the caller's bucket and from the client address's
  // bucket (429 with Retry-After when either is empty; RateLimit-Limit/-Remaining/-Reset on
  // every answer); payments, refunds and mark-paid also take one from the caller's payments
  // bucket (a RATE_LIMITED tool result; 429 on the tool-execute routes).
  RateLimiter* rate_limiter = nullptr;
  // The payments bucket when several instances share one database (SharedPaymentRateGate):
  // used instead of rate_limiter's in-memory payments bucket. Null: the in-memory one.
  const MoneyMovementLimiter* shared_payment_gate = nullptr;
  // Idempotency-Key on POST (http/idempotency.h).
  Idempotency* idempotency = nullptr;
  // GET /ready (a load balancer's readiness probe; /health stays the liveness check): 200
  // {"status":"ready"} when this returns OK, else 503 {"status":"not ready","error":"database
  // unavailable"}. Unset: always ready. Like /health it needs no credentials and no rate token.
  std::function<Status()> readiness;
};

// What the server knows about one request besides its bytes.
struct RequestScope {
  Principal principal;
  std::string request_id;       // X-Request-Id: the caller's (if well-formed) or a new one
  std::string client_address;   // the TCP peer
  std::string rate_key;         // the caller's rate-limit bucket: principal id, else address
  std::string operation_scope;  // "idem:<caller>:<key>" under an Idempotency-Key, else ""
  std::string idempotency_key;  // that Idempotency-Key as sent, else ""
};

class MastraApi {
 public:
  // `memory` and `memory_api` are optional (nullptr: no conversation memory). `auth` is optional
  // (nullptr: no authentication, every caller has every scope); with it, every route but
  // GET /health and CORS preflights (memory routes included) needs a valid principal
  // (else 401 {"error":...} with WWW-Authenticate: Bearer), every GET /api route needs the
  // `read` scope (else 403), and tool calls run with the principal's scopes (a tool-execute
  // route answers a denied call with 403; in a generate/stream run the denial is a tool result
  // the model relays).
  MastraApi(const Agent& agent, const Clock& clock, RandomSource& random,
            const ConversationMemory* memory = nullptr, const MemoryApi* memory_api = nullptr,
            const Authenticator* auth = nullptr, AuditHandler audit = nullptr,
            Protections protections = {});
  ~MastraApi();

  // Serves GET /api/events (http/events_routes.h) with `events`; set before serving.
  void set_events_handler(AuditHandler events) { events_ = std::move(events); }
  // Serves POST /api/billing-runs (http/billing_run_routes.h) for callers with the
  // `subscriptions` scope; set before serving.
  using BillingRunHandler =
      std::function<HttpResponse(const HttpRequest&, const Actor&, const std::string&)>;
  void set_billing_run_handler(BillingRunHandler run) { billing_run_ = std::move(run); }
  // Serves /api/v1/ (http/rest/rest_api.h) with the caller's tool context; its errors, and those
  // of authentication, rate limits and idempotency on /api/v1, take the v1 error shape. Set
  // before serving; null: 404.
  using RestHandler = std::function<HttpResponse(const HttpRequest&, const ToolContext&)>;
  void set_rest_handler(RestHandler rest) { rest_ = std::move(rest); }
  // Serves GET /api/openapi.json and /openapi.json (http/openapi.h) with `document`; set before
  // serving; empty: 404.
  void set_openapi_document(std::string document) { openapi_body_ = std::move(document); }
  // Serves /swagger-ui (http/swagger_ui.h); null: 404. Like /api/openapi.json it needs no
  // credentials: both describe the routes and hold no data (every route they describe does).
  void set_swagger_ui(const SwaggerUi* ui) { swagger_ui_ = ui; }
  // Serves the web console at / and /assets/ (http/console.h); null: 404. Its files hold no
  // data, so they need no credentials either.
  void set_console(const Console* console) { console_ = console; }
  // Serves /api/observability/traces (http/observability_routes.h) to administrators; null: 404.
  void set_trace_store(const observability::TraceStore* traces) { traces_ = traces; }
  // Counts every request and tool call, and serves GET /metrics (Prometheus text; scope read,
  // not for a customer-bound caller); null: neither.
  void set_metrics(observability::Metrics* metrics) { metrics_ = metrics; }
  // Serves the MCP server (http/mcp_server.h) at /api/mcp/<id>/mcp, its registry at
  // /api/mcp/v0/servers and its tools at /api/mcp/<id>/tools; null: 404.
  void set_mcp_server(const McpServer* mcp) { mcp_ = mcp; }
  // Lets administrators switch the agent's model (POST /api/agents/:id/model, /model/reset) and
  // lists its choices at GET /api/agents/providers; `models` must be the agent's model. Null:
  // the model in use is the only one listed, and switching is refused.
  void set_model_switch(ModelSwitch* models) { models_ = models; }

  // Routes one request. Never throws for bad input (the server catches anything else).
  boost::asio::awaitable<HttpResponse> Handle(HttpRequest& request, ResponseStream& stream) const;

  // A Handler for HttpServer that calls Handle(); `this` must outlive the server's io threads.
  Handler AsHandler() const;

 private:
  // Authentication, rate limits (into `decision`) and idempotency, then Route().
  boost::asio::awaitable<HttpResponse> Admit(HttpRequest& request, ResponseStream& stream,
                                             RequestScope& scope, RateDecision& decision) const;
  // Routes a request once authentication, rate limits and idempotency have let it through.
  boost::asio::awaitable<HttpResponse> Route(HttpRequest& request, ResponseStream& stream,
                                             const RequestScope& scope) const;
  // Runs a POST that carries an Idempotency-Key (http/idempotency.h).
  boost::asio::awaitable<HttpResponse> RouteIdempotent(HttpRequest& request, ResponseStream& stream,
                                                       RequestScope& scope, std::string key) const;
  // The tool context fields that come from the request scope: principal, request id, limits.
  Status ApplyScope(ToolContext& context, const RequestScope& scope) const;
  // The body of a generate/stream request, parsed (ParseGenerateRequest); an error is the 400.
  Result<GenerateRequest> ParseRunRequest(const HttpRequest& request,
                                          const RequestScope& scope) const;
  // Memory hook, called by every generate/stream route after parsing and before the run: the
  // place to load the thread's history in front of `run.messages` (run.thread_id/resource_id).
  // An error is answered like an agent error, before any streaming starts.
  boost::asio::awaitable<Status> PrepareRun(GenerateRequest& run) const;
  // Memory hook, called after a successful run (before the final chunk of a stream): the place
  // to save the input (run.messages; run.options has been moved into the run) and
  // output.response_messages to the thread.
  boost::asio::awaitable<void> FinishRun(const GenerateRequest& run,
                                         const AgentOutput& output) const;

  // The body format of a whole-run answer: Mastra 0.20+/1.x FullOutput (/generate) or the
  // AI SDK v4 result (/generate-legacy). Both run the same way.
  enum class GenerateFormat { kMastra, kLegacyV4 };
  boost::asio::awaitable<HttpResponse> Generate(const HttpRequest& request,
                                                const RequestScope& scope,
                                                GenerateFormat format) const;
  boost::asio::awaitable<HttpResponse> Stream(const HttpRequest& request, ResponseStream& stream,
                                              const RequestScope& scope) const;
  // POST /api/agents/:id/approve-tool-call (`approved`) or /decline-tool-call: goes on with a
  // stream run suspended for approval (stream_routes.cc).
  boost::asio::awaitable<HttpResponse> ResolveToolCall(const HttpRequest& request,
                                                       ResponseStream& stream,
                                                       const RequestScope& scope,
                                                       bool approved) const;
  boost::asio::awaitable<HttpResponse> StreamLegacy(const HttpRequest& request,
                                                    ResponseStream& stream,
                                                    const RequestScope& scope) const;
  boost::asio::awaitable<HttpResponse> ExecuteTool(const Tool& tool, const HttpRequest& request,
                                                   const RequestScope& scope) const;
  const Tool* FindToolById(const std::string& id) const;
  // /api/mcp/... (set_mcp_server).
  // Mastra Studio's routes with nothing of ours behind them (studio_routes.cc); nullopt when
  // `seg` (the path, "api" first) is none of them.
  std::optional<HttpResponse> RouteStudio(const HttpRequest& request, const RequestScope& scope,
                                          const std::vector<std::string_view>& seg) const;
  // POST /api/agents/:id/model {"provider","modelId"} and /model/reset (studio_routes.cc).
  HttpResponse SwitchModel(const HttpRequest& request, const RequestScope& scope, bool reset) const;
  // `path`: the decoded segments after /api/mcp (mcp_routes.cc).
  boost::asio::awaitable<HttpResponse> RouteMcp(const HttpRequest& request, ResponseStream& stream,
                                                const RequestScope& scope,
                                                const std::vector<std::string>& path) const;

  const Agent& agent_;
  const Clock& clock_;
  RandomSource& random_;
  const ConversationMemory* memory_;
  const MemoryApi* memory_api_;
  AuditHandler audit_;
  AuditHandler events_;  // GET /api/events; null: 404
  BillingRunHandler billing_run_;  // POST /api/billing-runs; null: 404
  RestHandler rest_;               // /api/v1/; null: 404
  std::string openapi_body_;       // GET /api/openapi.json; empty: 404
  const SwaggerUi* swagger_ui_ = nullptr;
  const Console* console_ = nullptr;
  const observability::TraceStore* traces_ = nullptr;
  observability::Metrics* metrics_ = nullptr;
  const McpServer* mcp_ = nullptr;
  ModelSwitch* models_ = nullptr;
  const Authenticator* auth_;
  Protections protections_;
  std::unique_ptr<PaymentRateGate> payment_gate_;           // over protections_.rate_limiter
  std::unique_ptr<PendingApprovals> approvals_;             // stream runs awaiting approval
  std::unique_ptr<McpSseSessions> mcp_sessions_;            // MCP's SSE transport streams
  const MoneyMovementLimiter* payments_limiter_ = nullptr;  // the gate tool calls go through

  // The agent serialized for the model in use (GET /api/agents[?partial=true],
  // /api/agents/:agentId); made again after a model switch (set_model_switch).
  struct AgentBodies {
    std::string model_key;  // "provider/modelId" they were made for
    std::string agent, agents, agents_partial;
  };
  std::shared_ptr<const AgentBodies> MakeAgentBodies() const;
  std::shared_ptr<const AgentBodies> CurrentAgentBodies() const;
  nlohmann::json agent_json_;
  nlohmann::json agent_partial_json_;
  mutable std::mutex bodies_mu_;
  mutable std::shared_ptr<const AgentBodies> bodies_;  // guarded by bodies_mu_
  // Serialized once: the tools do not change while the server runs.
  std::string tools_body_;                                    // GET /api/tools
  std::unordered_map<std::string, std::string> tool_bodies_;  // by tool id
};

}  // namespace billing::http
