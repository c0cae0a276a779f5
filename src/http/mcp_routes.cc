// The MCP routes of MastraApi (http/mcp_server.h, docs/mcp.md): the transport, Mastra's
// registry of MCP servers and the server's tool pages.
#include <string>
#include <vector>

#include <boost/asio/this_coro.hpp>

#include "http/mastra_routes.h"
#include "http/mcp_sse.h"
#include "http/routes_internal.h"
#include "http/url.h"

// GCC 12 with optimisation reports a false -Wmismatched-new-delete on Boost 1.74's coroutine
// frames (agent/agent.cc).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

namespace billing::http {

namespace bhttp = boost::beast::http;
using internal::NotFound;
using internal::Truncated;
using nlohmann::json;

namespace {
constexpr size_t kMaxIdInMessageBytes = 200;
}  // namespace

boost::asio::awaitable<HttpResponse> MastraApi::RouteMcp(
    const HttpRequest& request, ResponseStream& stream, const RequestScope& scope,
    const std::vector<std::string>& path) const {
  // `path`: the decoded segments after /api/mcp.
  const size_t n = path.size() + 2;
  auto seg = [&path](size_t k) -> const std::string& { return path[k - 2]; };
  const bool get = request.method() == bhttp::verb::get;
  const bool post = request.method() == bhttp::verb::post;
  // The registry (Mastra's /api/mcp/v0/servers): the one server this binary has.
  if (n >= 4 && seg(2) == "v0" && seg(3) == "servers") {
    if (!get || n > 5) co_return NotFound();
    if (n == 4) {
      co_return JsonResponse(bhttp::status::ok,
                             json({{"servers", json::array({mcp_->RegistryEntry(false)})},
                                   {"total_count", 1},
                                   {"next", nullptr}})
                                 .dump());
    }
    if (seg(4) == mcp_->info().id) {
      co_return JsonResponse(bhttp::status::ok, mcp_->RegistryEntry(true).dump());
    }
    co_return JsonError(
        bhttp::status::not_found,
        "MCP server with ID " + Truncated(seg(4), kMaxIdInMessageBytes) + " not found");
  }
  if (n < 4 || seg(2) != mcp_->info().id) {
    co_return JsonError(
        bhttp::status::not_found,
        "MCP server with ID " + Truncated(seg(2), kMaxIdInMessageBytes) + " not found");
  }
  const bool transport = n == 4 && (seg(3) == "mcp" || seg(3) == "sse" || seg(3) == "messages");
  if (!transport) {
    // fall through to the tool pages
  } else if (seg(3) == "mcp" && !post) {
    // Streamable HTTP, stateless: no stream of our own to GET, no session to DELETE.
    HttpResponse refused = JsonError(bhttp::status::method_not_allowed, "Method Not Allowed");
    refused.set(bhttp::field::allow, "POST");
    co_return refused;
  } else if ((seg(3) == "sse" && !get && !post) || (seg(3) == "messages" && !post)) {
    co_return NotFound();
  } else {
    // DNS rebinding: a browser page of another origin must not reach the tools (the transport's
    // rule); clients that are not browsers send no Origin.
    const std::string_view origin = request[bhttp::field::origin];
    const std::string_view host = request[bhttp::field::host];
    if (!origin.empty() && origin != "http://" + std::string(host) &&
        origin != "https://" + std::string(host)) {
      co_return JsonError(
          bhttp::status::forbidden,
          "Origin " + Truncated(std::string(origin), 200) + " may not use this MCP server");
    }
    const std::string owner = scope.principal.actor_id();
    if (seg(3) == "sse" && get) {
      // The SSE transport (http/mcp_sse.h): a stream for this caller's session.
      boost::asio::any_io_executor executor = co_await boost::asio::this_coro::executor;
      std::shared_ptr<McpSseSessions::Session> session = mcp_sessions_->Open(owner, executor);
      if (session == nullptr) {
        co_return JsonError(bhttp::status::service_unavailable,
                            "Too many open MCP SSE sessions; close one or use the Streamable HTTP "
                            "transport at /api/mcp/" +
                                mcp_->info().id + "/mcp");
      }
      HttpResponseHeader header = internal::EventStreamHeader(request, scope.request_id);
      std::string messages_path = "/api/mcp/" + mcp_->info().id + "/messages";
      co_await mcp_sessions_->Serve(std::move(session), std::move(messages_path), std::move(header),
                                    stream);
      co_return HttpResponse{};
    }
    std::shared_ptr<McpSseSessions::Session> session;
    if (seg(3) == "messages") {
      const std::string_view target = request.target();
      const size_t q = target.find('?');
      const Query query(q == std::string_view::npos ? std::string_view() : target.substr(q + 1), 8);
      const std::string* id = query.Find("sessionId");
      session = id == nullptr ? nullptr : mcp_sessions_->Find(*id, owner);
      if (session == nullptr) {
        co_return JsonError(bhttp::status::not_found,
                            "No open MCP SSE session with that sessionId for this caller; open one "
                            "with GET /api/mcp/" +
                                mcp_->info().id + "/sse");
      }
    }
    const ToolRunner* runner = agent_.tool_runner();
    const McpServer::RunTool run = [&](const Tool& tool, const json& args,
                                       const std::string& call_id) -> boost::asio::awaitable<json> {
      ToolContext context;
      if (Status applied = ApplyScope(context, scope); !applied.ok()) {
        co_return ToolErrorResult(applied.error());
      }
      // Under an Idempotency-Key each call of the batch has its own operation key.
      if (!scope.operation_scope.empty()) {
        context.operation_key = scope.operation_scope + ":mcp:" + call_id;
      }
      if (runner != nullptr) co_return co_await runner->Run(tool, args, context);
      co_return tool.Execute(args, context);
    };
    if (session == nullptr) {
      // Streamable HTTP at /mcp, and at /sse for POST: the Studio's ready-made client snippets
      // name the SSE URL, and clients that try Streamable HTTP first (mcp-remote, Cursor) then
      // reach this transport there.
      co_return co_await mcp_->HandlePost(request.body(), request[bhttp::field::accept], run);
    }
    // The SSE transport: the answer goes to the session's stream; the POST is acknowledged.
    HttpResponse answer = co_await mcp_->HandlePost(request.body(), "application/json", run);
    if (answer.result() != bhttp::status::ok && answer.result() != bhttp::status::accepted) {
      co_return answer;  // a malformed message: refused here, as the transport does
    }
    if (answer.result() == bhttp::status::ok) {
      Status delivered = mcp_sessions_->Deliver(session, McpSseMessageEvent(answer.body()));
      if (!delivered.ok()) {
        co_return JsonError(bhttp::status::service_unavailable, delivered.error().message);
      }
    }
    HttpResponse accepted{bhttp::status::accepted, request.version()};
    accepted.set(bhttp::field::content_type, "text/plain; charset=UTF-8");
    accepted.body() = "Accepted";
    co_return accepted;
  }
  if (seg(3) == "tools") {
    if (n == 4 && get) co_return JsonResponse(bhttp::status::ok, mcp_->ToolList().dump());
    const Tool* tool = n >= 5 ? FindToolById(seg(4)) : nullptr;
    if (tool == nullptr) {
      co_return JsonError(bhttp::status::not_found,
                          "Tool with ID '" + Truncated(n >= 5 ? seg(4) : "", kMaxIdInMessageBytes) +
                              "' not found on MCP server '" + mcp_->info().id + "'");
    }
    if (n == 5 && get) {
      co_return JsonResponse(bhttp::status::ok, json({{"id", tool->id()},
                                                      {"name", tool->id()},
                                                      {"description", tool->description()},
                                                      {"inputSchema", tool->input_schema()},
                                                      {"toolType", "tool"}})
                                                    .dump());
    }
    if (n == 6 && seg(5) == "execute" && post) {
      // Mastra's MCP pages take the result under "result".
      HttpResponse executed = co_await ExecuteTool(*tool, request, scope);
      if (executed.result() == bhttp::status::ok) {
        executed.body() = "{\"result\":" + executed.body() + "}";
      }
      co_return executed;
    }
  }
  co_return NotFound();
}

}  // namespace billing::http
