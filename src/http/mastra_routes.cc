// MastraApi (http/mastra_routes.h): construction (the discovery bodies, serialized once), Handle
// and Admit (request ids, rate limits, authentication), idempotent POSTs, the route table, the
// run hooks (ParseRunRequest, PrepareRun, FinishRun), /generate and /generate-legacy, and direct
// tool execution. The streamed routes (Stream, StreamLegacy) and their sinks are in
// stream_routes.cc; parsing a run request and the answers for a failed run are in run_request.cc.
#include "http/mastra_routes.h"

// GCC 12 at -O1/-O2 reports -Wmismatched-new-delete on Boost.Asio awaitable frames (asio gives
// coroutine frames a matching class-specific operator new/delete; GCC's coroutine lowering
// misreads the pair). A known false positive; silenced for this file only.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

#include <algorithm>
#include <array>
#include <cctype>
#include <chrono>
#include <string_view>
#include <utility>

#include <spdlog/spdlog.h>
#include <boost/beast/http/verb.hpp>

#include "http/generate_json.h"
#include "http/json_body.h"
#include "http/json_writer.h"
#include "http/mcp_sse.h"
#include "http/observability_routes.h"
#include "http/rest/rest_api.h"
#include "http/route_label.h"
#include "http/routes_internal.h"
#include "http/stream_events.h"
#include "http/tool_approval.h"
#include "http/url.h"
#include "security/card_data.h"

namespace billing::http {
namespace {

namespace bhttp = boost::beast::http;
using internal::ApprovalNeedsStream;
using internal::NotFound;
using internal::RunRequestError;

// GET /api/v1/me: the caller, and every scope it holds (admin's implied ones listed too).
nlohmann::json PrincipalJson(const Principal& principal) {
  nlohmann::json scopes = nlohmann::json::array();
  for (uint32_t bit = 1; bit != 0 && bit <= kAllScopes; bit <<= 1) {
    const auto scope = static_cast<Scope>(bit);
    if (HasScope(principal.scopes, scope)) scopes.push_back(ScopeName(scope));
  }
  return {{"object", "principal"},
          {"id", principal.actor_id()},
          {"authenticated", principal.authenticated},
          {"scopes", std::move(scopes)},
          {"customerId", principal.customer_id.empty() ? nlohmann::json(nullptr)
                                                       : nlohmann::json(principal.customer_id)}};
}
using internal::Truncated;
using nlohmann::json;

constexpr size_t kMaxPathSegments = 8;
constexpr size_t kMaxIdInMessageBytes = 200;

constexpr std::string_view kWelcomeHtml =
    "<!doctype html><html><head><title>Billing Agent API</title></head><body>"
    "<h1>Billing Agent API</h1><p>A Mastra-compatible agent server. Try "
    "<code>GET /api/agents</code> or <code>POST /api/agents/billingApiAgent/generate</code>."
    "</p></body></html>";

HttpResponse TextResponse(bhttp::status status, std::string_view content_type,
                          std::string_view body) {
  HttpResponse response{status, 11};
  response.set(bhttp::field::content_type, content_type);
  response.body().assign(body.data(), body.size());
  return response;
}

HttpResponse Preflight() {
  HttpResponse response{bhttp::status::no_content, 11};
  response.set(bhttp::field::access_control_allow_methods, "GET,POST,PUT,PATCH,DELETE,OPTIONS");
  response.set(bhttp::field::access_control_allow_headers,
               "Content-Type,Authorization,x-mastra-client-type,Idempotency-Key,X-Request-Id");
  response.set(bhttp::field::access_control_max_age, "3600");
  return response;
}

// 401 {"error": message} with the challenge RFC 6750 asks for.
HttpResponse Unauthorized(std::string_view message) {
  HttpResponse response = JsonError(bhttp::status::unauthorized, message);
  response.set(bhttp::field::www_authenticate, "Bearer realm=\"billing-agent\"");
  return response;
}

// The caller's X-Request-Id when it is 1-64 characters of [A-Za-z0-9._:-], else a new random one.
std::string RequestIdFor(const HttpRequest& request, RandomSource& random) {
  std::string_view given = request["X-Request-Id"];
  bool ok = !given.empty() && given.size() <= 64;
  for (char c : given) {
    ok = ok && (std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == ':' ||
                c == '-');
  }
  if (ok) return std::string(given);
  return "req_" + random.HexToken(8);
}

void SetRateLimitHeaders(HttpResponse& response, const RateDecision& d) {
  response.set("RateLimit-Limit", std::to_string(d.limit));
  response.set("RateLimit-Remaining", std::to_string(d.remaining));
  response.set("RateLimit-Reset", std::to_string(d.reset_seconds));
}

HttpResponse TooManyRequests(const RateDecision& d) {
  HttpResponse response = JsonError(
      bhttp::status::too_many_requests,
      "Too many requests; try again in " + std::to_string(d.retry_after_seconds) + " seconds");
  response.set(bhttp::field::retry_after, std::to_string(d.retry_after_seconds));
  return response;
}

HttpResponse AgentNotFound(const std::string& agent_id) {
  return JsonError(bhttp::status::not_found,
                   "Agent with name " + Truncated(agent_id, kMaxIdInMessageBytes) + " not found");
}

// Percent-decodes one path segment (a '+' stays a '+').
std::string Decode(std::string_view text) {
  return PercentDecode(text, false);
}

struct Target {
  std::array<std::string_view, kMaxPathSegments> segments;
  size_t size = 0;
  bool too_long = false;
  std::string_view query;
};

// "/api/agents/x/generate?y=1" → segments {api, agents, x, generate}, query "y=1". A trailing
// slash is ignored; empty segments ("//") are not.
Target SplitTarget(std::string_view target) {
  Target out;
  const size_t question = target.find('?');
  if (question != std::string_view::npos) {
    out.query = target.substr(question + 1);
    target = target.substr(0, question);
  }
  if (!target.empty() && target.front() == '/') target.remove_prefix(1);
  if (!target.empty() && target.back() == '/') target.remove_suffix(1);
  if (target.empty()) return out;
  while (true) {
    if (out.size == kMaxPathSegments) {
      out.too_long = true;
      return out;
    }
    const size_t slash = target.find('/');
    out.segments[out.size++] = target.substr(0, slash);
    if (slash == std::string_view::npos) return out;
    target = target.substr(slash + 1);
  }
}

// True when the query string has name=true (or a bare `name`).
bool QueryFlag(std::string_view query, std::string_view name) {
  while (!query.empty()) {
    const size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    const size_t eq = pair.find('=');
    if (pair.substr(0, eq) == name) {
      return eq == std::string_view::npos || pair.substr(eq + 1) == "true";
    }
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return false;
}

}  // namespace

// ---- MastraApi ----

MastraApi::MastraApi(const Agent& agent, const Clock& clock, RandomSource& random,
                     const ConversationMemory* memory, const MemoryApi* memory_api,
                     const Authenticator* auth, AuditHandler audit, Protections protections)
    : agent_(agent),
      clock_(clock),
      random_(random),
      memory_(memory),
      memory_api_(memory_api),
      audit_(std::move(audit)),
      auth_(auth),
      protections_(protections),
      approvals_(std::make_unique<PendingApprovals>(clock)),
      mcp_sessions_(std::make_unique<McpSseSessions>(random)) {
  if (protections_.rate_limiter != nullptr) {
    payment_gate_ = std::make_unique<PaymentRateGate>(*protections_.rate_limiter, clock_);
  }
  payments_limiter_ = protections_.shared_payment_gate != nullptr ? protections_.shared_payment_gate
                                                                  : payment_gate_.get();
  const AgentConfig& config = agent.config();
  json tools = json::object();
  json tools_partial = json::object();
  for (const auto& tool : agent.tools().all()) {
    json serialized = SerializeTool(*tool, /*partial=*/false);
    tool_bodies_.emplace(tool->id(), Dump(serialized));
    tools[tool->key()] = std::move(serialized);
    tools_partial[tool->key()] = SerializeTool(*tool, /*partial=*/true);
  }
  auto serialize_agent = [&](const json& agent_tools) {
    json out = json::object();
    out["id"] = config.id;
    out["name"] = config.name;
    out["description"] = config.description;
    out["instructions"] = config.instructions;
    out["agents"] = json::object();
    out["tools"] = agent_tools;
    out["workflows"] = json::object();
    out["inputProcessors"] = json::array();
    out["outputProcessors"] = json::array();
    out["provider"] = agent.model().provider();
    out["modelId"] = agent.model().model_id();
    out["modelVersion"] = "v2";
    out["defaultGenerateOptions"] = json::object();
    out["defaultStreamOptions"] = json::object();
    return out;
  };
  agent_json_ = serialize_agent(tools);
  agent_partial_json_ = serialize_agent(tools_partial);
  bodies_ = MakeAgentBodies();
  tools_body_ = Dump(tools);
}

std::shared_ptr<const MastraApi::AgentBodies> MastraApi::MakeAgentBodies() const {
  auto bodies = std::make_shared<AgentBodies>();
  const std::string provider = agent_.model().provider();
  const std::string model_id = agent_.model().model_id();
  bodies->model_key = provider + "/" + model_id;
  json agent = agent_json_;
  agent["provider"] = provider;
  agent["modelId"] = model_id;
  json partial = agent_partial_json_;
  partial["provider"] = provider;
  partial["modelId"] = model_id;
  bodies->agent = Dump(agent);
  bodies->agents = Dump(json{{agent_.config().id, std::move(agent)}});
  bodies->agents_partial = Dump(json{{agent_.config().id, std::move(partial)}});
  return bodies;
}

std::shared_ptr<const MastraApi::AgentBodies> MastraApi::CurrentAgentBodies() const {
  const std::string key = agent_.model().provider() + "/" + agent_.model().model_id();
  std::lock_guard lock(bodies_mu_);
  if (bodies_->model_key != key) bodies_ = MakeAgentBodies();  // after a model switch
  return bodies_;
}

Handler MastraApi::AsHandler() const {
  return [this](HttpRequest& request, ResponseStream& stream) { return Handle(request, stream); };
}

const Tool* MastraApi::FindToolById(const std::string& id) const {
  return agent_.tools().FindById(id);
}

boost::asio::awaitable<HttpResponse> MastraApi::Handle(HttpRequest& request,
                                                       ResponseStream& stream) const {
  const auto started = std::chrono::steady_clock::now();
  RequestScope scope;
  scope.request_id = RequestIdFor(request, random_);
  scope.client_address = std::string(stream.client_address());
  RateDecision decision;
  HttpResponse response = co_await Admit(request, stream, scope, decision);
  if (rest_ && !stream.started()) {
    // /api/v1 answers every error, the shared ones too, as a v1 error object.
    const Target target = SplitTarget(request.target());
    if (!target.too_long && target.size >= 2 && target.segments[0] == "api" &&
        target.segments[1] == "v1") {
      response = rest::AsRestError(std::move(response));
    }
  }
  if (!stream.started()) {
    response.set("x-request-id", scope.request_id);
    if (decision.limit > 0) SetRateLimitHeaders(response, decision);
  }
  if (metrics_ != nullptr) {
    const int64_t elapsed_us = std::chrono::duration_cast<std::chrono::microseconds>(
                                   std::chrono::steady_clock::now() - started)
                                   .count();
    const int status = stream.started() ? 200 : static_cast<int>(response.result_int());
    const bhttp::verb method = request.method();
    const bool known = method == bhttp::verb::get || method == bhttp::verb::post ||
                       method == bhttp::verb::put || method == bhttp::verb::patch ||
                       method == bhttp::verb::delete_ || method == bhttp::verb::options ||
                       method == bhttp::verb::head;
    metrics_->ObserveHttpRequest(RouteLabel(request.target()),
                                 known ? std::string_view(bhttp::to_string(method)) : "OTHER",
                                 status, elapsed_us);
  }
  co_return response;
}

boost::asio::awaitable<HttpResponse> MastraApi::Admit(HttpRequest& request, ResponseStream& stream,
                                                      RequestScope& scope,
                                                      RateDecision& decision) const {
  const bhttp::verb method = request.method();
  if (method == bhttp::verb::options) co_return Preflight();
  const Target target = SplitTarget(request.target());
  // Everything but /health needs a principal when authentication is on (decided on the parsed
  // path, so "//api/..." or "/api/../" spellings cannot skip it).
  const bool is_health = !target.too_long && target.size == 1 &&
                         (target.segments[0] == "health" || target.segments[0] == "ready");
  // The API's description (no data) is public too, but rate limited.
  const bool is_console =
      console_ != nullptr && !target.too_long && method == bhttp::verb::get &&
      (target.size == 0 || (target.size == 2 && target.segments[0] == "assets"));
  const bool is_doc =
      is_console ||
      (!target.too_long && target.size >= 1 &&
       ((target.segments[0] == "swagger-ui" && swagger_ui_ != nullptr) ||
        (!openapi_body_.empty() && ((target.size == 1 && target.segments[0] == "openapi.json") ||
                                    (target.size == 2 && target.segments[0] == "api" &&
                                     target.segments[1] == "openapi.json")))));
  RateLimiter* limiter = is_health ? nullptr : protections_.rate_limiter;
  const int64_t now_ms = limiter != nullptr ? clock_.NowUnixMs() : 0;
  // The client address's bucket first, so that guessing credentials is limited too.
  if (limiter != nullptr) {
    decision = limiter->Take("addr:" + scope.client_address, limiter->options().requests, now_ms);
    if (!decision.allowed) co_return TooManyRequests(decision);
  }
  scope.principal = Principal::Anonymous();
  if (auth_ != nullptr && !is_health && !is_doc) {
    // An API key is looked up in the key store: off the I/O thread when reads block.
    Result<Principal> authenticated = co_await RunReadOn(agent_.tool_runner(), [&] {
      return auth_->Authenticate(request[bhttp::field::authorization]);
    });
    if (!authenticated.ok()) {
      if (authenticated.error().code == ErrorCode::kUnauthenticated)
        co_return Unauthorized(authenticated.error().message);
      if (authenticated.error().code == ErrorCode::kDatabaseUnavailable) {
        spdlog::warn("authentication: {}", authenticated.error().message);
        co_return JsonError(bhttp::status::service_unavailable, "database unavailable");
      }
      spdlog::error("authentication failed: {}", authenticated.error().message);
      co_return JsonError(bhttp::status::internal_server_error, "Internal Server Error");
    }
    scope.principal = std::move(authenticated.value());
    if (method == bhttp::verb::get && !HasScope(scope.principal.scopes, Scope::kRead)) {
      co_return JsonError(bhttp::status::forbidden,
                          PermissionDeniedMessage({Scope::kRead, "read this resource"}));
    }
  }
  scope.rate_key =
      scope.principal.authenticated ? scope.principal.id : "addr:" + scope.client_address;
  if (limiter != nullptr && scope.principal.authenticated) {
    RateDecision caller =
        limiter->Take("caller:" + scope.principal.id, limiter->options().requests, now_ms);
    if (!caller.allowed || caller.remaining < decision.remaining) decision = caller;
    if (!decision.allowed) co_return TooManyRequests(decision);
  }
  if (protections_.idempotency != nullptr && method == bhttp::verb::post) {
    std::string key(request["Idempotency-Key"]);
    if (!key.empty()) co_return co_await RouteIdempotent(request, stream, scope, std::move(key));
  }
  co_return co_await Route(request, stream, scope);
}

boost::asio::awaitable<HttpResponse> MastraApi::RouteIdempotent(HttpRequest& request,
                                                                ResponseStream& stream,
                                                                RequestScope& scope,
                                                                std::string key) const {
  Idempotency& idempotency = *protections_.idempotency;
  if (Status valid = idempotency.ValidateKey(key); !valid.ok()) {
    co_return JsonError(bhttp::status::bad_request, valid.error().message);
  }
  const std::string owner = scope.principal.authenticated ? scope.principal.id : "anonymous";
  const std::string fingerprint = Idempotency::Fingerprint(request);
  Result<Idempotency::Claim> claim = co_await RunReadOn(
      agent_.tool_runner(), [&] { return idempotency.Begin(owner, key, fingerprint); });
  if (!claim.ok() && claim.error().code == ErrorCode::kDatabaseUnavailable) {
    spdlog::warn("idempotency: {}", claim.error().message);
    co_return JsonError(bhttp::status::service_unavailable, "database unavailable");
  }
  if (!claim.ok()) {
    spdlog::error("idempotency: {}", claim.error().message);
    co_return JsonError(bhttp::status::service_unavailable,
                        "Idempotency keys are unavailable right now; try again");
  }
  switch (claim->verdict) {
    case Idempotency::Verdict::kReplay:
      co_return Idempotency::ReplayResponse(*claim->stored);
    case Idempotency::Verdict::kMismatch:
      co_return JsonError(bhttp::status::unprocessable_entity,
                          "Keys for idempotent requests can only be used with the same parameters "
                          "they were first used with. Use a new Idempotency-Key for a new request");
    case Idempotency::Verdict::kInFlight:
      co_return JsonError(bhttp::status::conflict,
                          "A request with this Idempotency-Key is still being processed; retry "
                          "after it finishes");
    case Idempotency::Verdict::kBusy:
      co_return JsonError(bhttp::status::service_unavailable,
                          "Too many requests with idempotency keys in flight; try again");
    case Idempotency::Verdict::kProceed:
      break;
  }
  scope.operation_scope = "idem:" + owner + ":" + key;
  scope.idempotency_key = key;
  ResponseStream::Capture capture;
  capture.limit_bytes = idempotency.options().max_stored_body_bytes;
  // A streamed answer is stored when the run has written all of it, before the last chunk goes
  // out: a client that saw the end and retries gets the replay, not a 409.
  // Stored durably before the answer's end goes out, on the write pool (as FinishRun's memory
  // save): the save waits for its commit, which must not hold up the I/O thread.
  auto store = [&](int status, std::string_view content_type,
                   std::string_view body) -> boost::asio::awaitable<void> {
    co_await RunWriteOn(agent_.tool_runner(), [&] {
      idempotency.Finish(owner, key, fingerprint, status, content_type, body);
    });
  };
  capture.on_complete = [&](const ResponseStream::Capture& done) -> boost::asio::awaitable<void> {
    co_await store(done.status, done.content_type, done.body);
  };
  stream.CaptureInto(&capture);
  HttpResponse response = co_await Route(request, stream, scope);
  stream.CaptureInto(nullptr);
  if (!stream.started()) {
    co_await store(static_cast<int>(response.result_int()), response[bhttp::field::content_type],
                   response.body());
  }
  co_return response;
}

boost::asio::awaitable<HttpResponse> MastraApi::Route(HttpRequest& request, ResponseStream& stream,
                                                      const RequestScope& scope) const {
  const bhttp::verb method = request.method();
  const Target target = SplitTarget(request.target());
  if (memory_api_ != nullptr) {
    // Memory routes that change threads or messages wait for a commit: on the write pool.
    auto handle = [&] { return memory_api_->Handle(request, scope.principal.customer_id); };
    std::optional<HttpResponse> memory_response;
    if (MemoryApi::MayWrite(request)) {
      memory_response = co_await RunWriteOn(agent_.tool_runner(), handle);
    } else {
      memory_response = co_await RunReadOn(agent_.tool_runner(), handle);
    }
    if (memory_response) co_return std::move(*memory_response);
  }
  if (target.too_long) co_return NotFound();
  const auto& seg = target.segments;
  const size_t n = target.size;
  const bool get = method == bhttp::verb::get;
  const bool post = method == bhttp::verb::post;
  if (console_ != nullptr && get && (n == 0 || (n == 2 && seg[0] == "assets"))) {
    std::vector<std::string_view> path(seg.begin(), seg.begin() + n);
    if (auto served = console_->Serve(path, AcceptsGzip(request[bhttp::field::accept_encoding]))) {
      co_return std::move(*served);
    }
    co_return NotFound();
  }
  if (n == 0) co_return NotFound();

  if (n == 1 && seg[0] == "health") {
    if (get) co_return JsonResponse(bhttp::status::ok, "{\"success\":true}");
    co_return NotFound();
  }
  if (n == 1 && seg[0] == "ready") {
    if (!get) co_return NotFound();
    Status ready = OkStatus();
    if (protections_.readiness) {
      // A round trip to the database: on the write pool, never on an I/O thread.
      ready = co_await RunWriteOn(agent_.tool_runner(), protections_.readiness);
    }
    if (ready.ok()) co_return JsonResponse(bhttp::status::ok, "{\"status\":\"ready\"}");
    spdlog::warn("ready: not ready: {}", ready.error().message);
    co_return JsonResponse(bhttp::status::service_unavailable,
                           "{\"status\":\"not ready\",\"error\":\"database unavailable\"}");
  }
  const bool is_openapi = (n == 1 && seg[0] == "openapi.json") ||
                          (n == 2 && seg[0] == "api" && seg[1] == "openapi.json");
  if (is_openapi && !openapi_body_.empty()) {
    if (get) co_return JsonResponse(bhttp::status::ok, openapi_body_);
    co_return NotFound();
  }
  if (n == 1 && seg[0] == "metrics" && metrics_ != nullptr) {
    // Operational figures, no customer data; but they span customers, so not for a bound caller.
    if (!get) co_return NotFound();
    if (!scope.principal.customer_id.empty()) {
      co_return JsonError(bhttp::status::forbidden,
                          "A customer-bound caller cannot read /metrics: it spans customers");
    }
    // The collectors read the database: on the read pool.
    std::string text = co_await RunReadOn(agent_.tool_runner(), [&] { return metrics_->Render(); });
    HttpResponse metrics{bhttp::status::ok, 11};
    metrics.set(bhttp::field::content_type, "text/plain; version=0.0.4; charset=utf-8");
    metrics.body() = std::move(text);
    co_return metrics;
  }
  if (seg[0] == "swagger-ui" && swagger_ui_ != nullptr) {
    if (!get) co_return NotFound();
    std::vector<std::string_view> rest(seg.begin() + 1, seg.begin() + n);
    if (auto served = swagger_ui_->Serve(rest)) co_return std::move(*served);
    co_return NotFound();
  }
  if (seg[0] != "api") co_return NotFound();
  // The audit log, the event stream and billing runs span every customer: not for a
  // customer-bound caller (tools/customer_binding.h).
  if (!scope.principal.customer_id.empty() && (n == 2 || (n == 3 && seg[1] == "audit")) &&
      ((seg[1] == "audit" && audit_) || (seg[1] == "events" && events_) ||
       (seg[1] == "billing-runs" && billing_run_))) {
    co_return JsonError(bhttp::status::forbidden, "A customer-bound caller cannot use /api/" +
                                                      std::string(seg[1]) + ": it spans customers");
  }
  if (auto studio = RouteStudio(request, scope,
                                std::vector<std::string_view>(seg.begin(), seg.begin() + n))) {
    co_return std::move(*studio);
  }
  if (n >= 3 && seg[1] == "mcp" && mcp_ != nullptr) {
    std::vector<std::string> path;
    for (size_t k = 2; k < n; ++k) path.push_back(Decode(seg[k]));
    co_return co_await RouteMcp(request, stream, scope, path);
  }
  if (n >= 3 && n <= 6 && seg[1] == "observability" && seg[2] == "traces" && traces_ != nullptr) {
    // Traces hold every caller's conversations: administrators only, never a bound caller.
    if (!scope.principal.customer_id.empty()) {
      co_return JsonError(bhttp::status::forbidden,
                          "A customer-bound caller cannot read traces: they span customers");
    }
    if (!HasScope(scope.principal.scopes, Scope::kAdmin)) {
      co_return JsonError(bhttp::status::forbidden,
                          PermissionDeniedMessage({Scope::kAdmin, "read traces"}));
    }
    if (!get) co_return NotFound();
    if (n == 3) co_return TraceListResponse(*traces_, request);
    if (n == 4) co_return TraceResponse(*traces_, seg[3]);
    // A span's scores (the Studio polls them): we keep no scorers, so none.
    if (n == 6 && seg[5] == "scores") {
      co_return JsonResponse(
          bhttp::status::ok,
          R"({"scores":[],"pagination":{"total":0,"page":0,"perPage":10,"hasMore":false}})");
    }
    co_return NotFound();
  }
  if ((n == 2 || (n == 3 && seg[2] == "verify")) && seg[1] == "audit" && audit_) {
    // The audit log is for administrators only (in development mode the caller has every scope).
    if (!HasScope(scope.principal.scopes, Scope::kAdmin)) {
      co_return JsonError(bhttp::status::forbidden,
                          PermissionDeniedMessage({Scope::kAdmin, "read the audit log"}));
    }
    co_return co_await RunReadOn(agent_.tool_runner(), [&] { return audit_(request); });
  }
  if (n == 2 && seg[1] == "events" && events_) {
    // The read scope, as every GET /api route (checked in Handle), and the events scope.
    if (!HasScope(scope.principal.scopes, Scope::kEvents)) {
      co_return JsonError(bhttp::status::forbidden,
                          PermissionDeniedMessage({Scope::kEvents, "read events"}));
    }
    co_return co_await RunReadOn(agent_.tool_runner(), [&] { return events_(request); });
  }
  if (n == 2 && seg[1] == "billing-runs" && billing_run_) {
    if (!HasScope(scope.principal.scopes, Scope::kSubscriptions)) {
      co_return JsonError(bhttp::status::forbidden,
                          PermissionDeniedMessage({Scope::kSubscriptions, "run billing"}));
    }
    const Actor actor(scope.principal.authenticated ? scope.principal.id
                                                    : std::string(kDevPrincipal));
    // A run waits on the database and writes: on the write pool, never on an I/O thread.
    co_return co_await RunWriteOn(agent_.tool_runner(),
                                  [&] { return billing_run_(request, actor, scope.request_id); });
  }
  if (n == 3 && seg[1] == "v1" && seg[2] == "me" && rest_) {
    // Who the caller is and what it may do: the console shows only the actions its scopes allow
    // (the routes still check them).
    if (!get) co_return NotFound();
    co_return JsonResponse(bhttp::status::ok, PrincipalJson(scope.principal).dump());
  }
  if (seg[1] == "v1" && rest_) {
    ToolContext context;
    if (Status applied = ApplyScope(context, scope); !applied.ok()) {
      co_return AgentErrorResponse(applied.error());
    }
    context.operation_key = scope.operation_scope;
    // Writes wait for a durable commit: on the write pool; reads on the read pool.
    auto handle = [&] { return rest_(request, context); };
    if (rest::RestApi::Writes(request)) co_return co_await RunWriteOn(agent_.tool_runner(), handle);
    co_return co_await RunReadOn(agent_.tool_runner(), handle);
  }
  if (n == 1) {
    if (get) co_return TextResponse(bhttp::status::ok, "text/html; charset=UTF-8", kWelcomeHtml);
    co_return NotFound();
  }

  if (seg[1] == "agents") {
    if (n == 2) {
      if (!get) co_return NotFound();
      std::shared_ptr<const AgentBodies> bodies = CurrentAgentBodies();
      co_return JsonResponse(bhttp::status::ok, QueryFlag(target.query, "partial")
                                                    ? bodies->agents_partial
                                                    : bodies->agents);
    }
    // Routes below name the agent; check the route shape first so unknown paths stay 404.
    const std::string_view action = n >= 4 ? seg[3] : std::string_view();
    const bool is_generate =
        post && ((n == 4 && (action == "generate" || action == "generateVNext")) ||
                 (n == 5 && action == "generate" && seg[4] == "vnext"));
    const bool is_stream = post && ((n == 4 && (action == "stream" || action == "streamVNext")) ||
                                    (n == 5 && action == "stream" && seg[4] == "vnext"));
    const bool is_generate_legacy = post && n == 4 && action == "generate-legacy";
    const bool is_stream_legacy = post && n == 4 && action == "stream-legacy";
    const bool is_approve = post && n == 4 && action == "approve-tool-call";
    const bool is_decline = post && n == 4 && action == "decline-tool-call";
    const bool is_get_agent = get && n == 3;
    const bool is_agent_tool = n == 5 && action == "tools" && get;
    const bool is_agent_tool_execute = n == 6 && action == "tools" && seg[5] == "execute" && post;
    if (!is_generate && !is_stream && !is_generate_legacy && !is_stream_legacy && !is_get_agent &&
        !is_agent_tool && !is_agent_tool_execute && !is_approve && !is_decline) {
      co_return NotFound();
    }
    const std::string agent_id = Decode(seg[2]);
    if (agent_id != agent_.config().id) co_return AgentNotFound(agent_id);
    if (is_get_agent) co_return JsonResponse(bhttp::status::ok, CurrentAgentBodies()->agent);
    if (is_generate) co_return co_await Generate(request, scope, GenerateFormat::kMastra);
    if (is_stream) co_return co_await Stream(request, stream, scope);
    if (is_generate_legacy) co_return co_await Generate(request, scope, GenerateFormat::kLegacyV4);
    if (is_stream_legacy) co_return co_await StreamLegacy(request, stream, scope);
    if (is_approve || is_decline) {
      co_return co_await ResolveToolCall(request, stream, scope, is_approve);
    }
    const std::string tool_id = Decode(seg[4]);
    if (is_agent_tool) {
      auto it = tool_bodies_.find(tool_id);
      if (it == tool_bodies_.end()) co_return JsonError(bhttp::status::not_found, "Tool not found");
      co_return JsonResponse(bhttp::status::ok, it->second);
    }
    const Tool* tool = FindToolById(tool_id);
    if (tool == nullptr) co_return JsonError(bhttp::status::not_found, "Tool not found");
    co_return co_await ExecuteTool(*tool, request, scope);
  }

  if (seg[1] == "tools") {
    if (n == 2 && get) co_return JsonResponse(bhttp::status::ok, tools_body_);
    if (n == 3 && get) {
      auto it = tool_bodies_.find(Decode(seg[2]));
      if (it == tool_bodies_.end()) co_return JsonError(bhttp::status::not_found, "Tool not found");
      co_return JsonResponse(bhttp::status::ok, it->second);
    }
    if (n == 4 && post && seg[3] == "execute") {
      const Tool* tool = FindToolById(Decode(seg[2]));
      if (tool == nullptr) co_return JsonError(bhttp::status::not_found, "Tool not found");
      co_return co_await ExecuteTool(*tool, request, scope);
    }
  }
  co_return NotFound();
}

Status MastraApi::ApplyScope(ToolContext& context, const RequestScope& scope) const {
  BILLING_TRY(ApplyPrincipal(context, scope.principal));
  context.request_id = scope.request_id;
  context.idempotency_key = scope.idempotency_key;
  context.limiter = payments_limiter_;
  context.rate_key = scope.rate_key;
  context.metrics = metrics_;
  return OkStatus();
}

Result<GenerateRequest> MastraApi::ParseRunRequest(const HttpRequest& request,
                                                   const RequestScope& scope) const {
  Result<json> body = ParseJsonObjectBody(request.body());
  if (!body.ok()) return body.error();
  Result<GenerateRequest> run = ParseGenerateRequest(*body);
  if (!run.ok()) return run;
  // Card numbers typed into a chat never reach the model, the memory or the logs: the run only
  // sees "[card ending 4242]" (security/card_data.h). Cards are taken by the tool API instead.
  for (ChatMessage& message : run->messages) {
    if (security::ContainsCardNumber(message.content)) {
      message.content = security::RedactCardNumbers(message.content);
    }
  }
  BILLING_TRY(ApplyScope(run->options.tool_context, scope));
  run->options.operation_scope = scope.operation_scope;
  run->options.trace_metadata = {{"requestId", scope.request_id}};
  if (scope.principal.authenticated) run->options.trace_metadata["principal"] = scope.principal.id;
  if (memory_ == nullptr) return run;
  Result<std::optional<MemoryRef>> ref = ParseMemoryRef(*body);
  if (!ref.ok()) return ref.error();  // 400 with Mastra's message (e.g. no resource)
  run->memory = std::move(ref.value());
  if (run->memory) {
    // A customer-bound caller's threads live in its own namespace (memory_routes.h).
    const size_t prefix_bytes = BoundMemoryResource(scope.principal.customer_id, "").size();
    if (run->memory->resource_id.size() + prefix_bytes > kMaxMemoryIdBytes) {
      return Error::Invalid("memory.resource",
                            "memory.resource must be at most " +
                                std::to_string(kMaxMemoryIdBytes - prefix_bytes) +
                                " bytes for a customer-bound caller");
    }
    run->memory->resource_id =
        BoundMemoryResource(scope.principal.customer_id, run->memory->resource_id);
    // A tool call id is unique within its thread: the same call in the same thread (a retried
    // turn) never changes the ledger twice.
    run->options.operation_scope =
        "thread:" + run->memory->resource_id + ":" + run->memory->thread_id;
    run->options.trace_metadata["threadId"] = run->memory->thread_id;
    run->options.trace_metadata["resourceId"] = run->memory->resource_id;
  }
  return run;
}

MastraApi::~MastraApi() = default;

boost::asio::awaitable<Status> MastraApi::PrepareRun(GenerateRequest& run) const {
  if (memory_ == nullptr || !run.memory) co_return OkStatus();
  Result<std::vector<ChatMessage>> history = co_await RunReadOn(agent_.tool_runner(), [&] {
    return memory_->History(run.memory->thread_id, run.memory->resource_id);
  });
  if (!history.ok()) co_return history.error();  // another resource's thread: 409
  run.history_count = history->size();
  run.messages.insert(run.messages.begin(), std::make_move_iterator(history->begin()),
                      std::make_move_iterator(history->end()));
  co_return OkStatus();
}

boost::asio::awaitable<void> MastraApi::FinishRun(const GenerateRequest& run,
                                                  const AgentOutput& output) const {
  if (memory_ == nullptr || !run.memory || run.memory->read_only) co_return;
  // Save only what this run added: the caller's new messages (not the history loaded in front
  // of them) and the run's own messages.
  const size_t skip = std::min(run.history_count, run.messages.size());
  const std::vector<ChatMessage> input(run.messages.begin() + std::ptrdiff_t(skip),
                                       run.messages.end());
  // On the write pool: the save waits for its group commit (an fsync), which must not hold up
  // the I/O thread, and many saves waiting at once share one commit.
  Status saved = co_await RunWriteOn(agent_.tool_runner(), [&] {
    return memory_->Save(run.memory->thread_id, run.memory->resource_id, input,
                         output.response_messages);
  });
  if (!saved.ok()) {
    spdlog::warn("memory: cannot save thread {}: {}", run.memory->thread_id, saved.error().message);
  }
  co_return;
}

boost::asio::awaitable<HttpResponse> MastraApi::Generate(const HttpRequest& request,
                                                         const RequestScope& scope,
                                                         GenerateFormat format) const {
  Result<GenerateRequest> parsed = ParseRunRequest(request, scope);
  if (!parsed.ok()) co_return RunRequestError(parsed.error());
  GenerateRequest& run = parsed.value();
  if (run.options.require_tool_approval) co_return ApprovalNeedsStream();
  Status prepared = co_await PrepareRun(run);
  if (!prepared.ok()) co_return AgentErrorResponse(prepared.error());
  Result<AgentOutput> output = co_await agent_.Generate(run.messages, std::move(run.options));
  if (!output.ok()) co_return AgentErrorResponse(output.error());
  co_await FinishRun(run, *output);
  std::string body = format == GenerateFormat::kLegacyV4
                         ? LegacyGenerateBody(*output, random_)
                         : GenerateResponseBody(*output, agent_.config());
  co_return JsonResponse(bhttp::status::ok, std::move(body));
}

boost::asio::awaitable<HttpResponse> MastraApi::ExecuteTool(const Tool& tool,
                                                            const HttpRequest& request,
                                                            const RequestScope& scope) const {
  Result<json> body = ParseJsonObjectBody(request.body());
  if (!body.ok()) co_return JsonError(bhttp::status::bad_request, body.error().message);
  auto data = body->find("data");
  if (data == body->end() || data->is_null()) {
    co_return JsonError(bhttp::status::bad_request, "Argument \"data\" is required");
  }
  Result<ToolContext> context = ParseToolContext(*body);
  if (!context.ok()) co_return JsonError(bhttp::status::bad_request, context.error().message);
  if (Status applied = ApplyScope(*context, scope); !applied.ok()) {
    co_return AgentErrorResponse(applied.error());
  }
  context->operation_key = scope.operation_scope;
  json result;
  if (agent_.tool_runner() != nullptr) {
    result = co_await agent_.tool_runner()->Run(tool, *data, *context);
  } else {
    result = tool.Execute(*data, *context);
  }
  if (IsDatabaseUnavailable(result)) {
    co_return JsonError(bhttp::status::service_unavailable, "database unavailable");
  }
  if (IsPermissionDenied(result)) {
    co_return JsonError(bhttp::status::forbidden,
                        result.value("message", std::string("Forbidden")));
  }
  if (std::optional<int64_t> retry = RateLimitedRetryAfter(result)) {
    HttpResponse limited = JsonError(bhttp::status::too_many_requests,
                                     result.value("message", std::string("Too Many Requests")));
    limited.set(bhttp::field::retry_after, std::to_string(*retry));
    co_return limited;
  }
  co_return JsonResponse(bhttp::status::ok, Dump(result));
}

}  // namespace billing::http
