// The billing tools as an MCP server (Model Context Protocol; docs/mcp.md) over the Streamable
// HTTP transport, at Mastra's route for it: POST /api/mcp/<serverId>/mcp carries JSON-RPC 2.0
// messages (one, or a batch); the answer is application/json (or one text/event-stream event
// when the client accepts only that). The server is stateless: no Mcp-Session-Id, no stream of
// its own (GET and DELETE answer 405), as the transport allows.
//
// Methods: initialize, ping, tools/list, tools/call; notifications are taken with 202. A tool
// result that reports an error (a bad argument, a missing scope, a broken rule) is a tool error
// (`isError: true` with the tool's message), as MCP wants; an unknown tool or a malformed call
// is a JSON-RPC error. Authentication, scopes, customer binding, rate limits and idempotency are
// the HTTP layer's, as on every route: the tools run through `run` with the caller's context.
//
// Thread-safety: immutable after construction; HandlePost() is safe from many coroutines.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include <utility>  // before boost: 1.74 awaitable.hpp needs std::exchange

#include <boost/asio/awaitable.hpp>
#include <nlohmann/json.hpp>

#include "http/server.h"
#include "tools/tool.h"

namespace billing::http {

// Bounds: messages in one batch, bytes of a body.
inline constexpr size_t kMaxMcpBatch = 32;

// The protocol versions spoken, newest first; an initialize asking another gets the newest.
inline constexpr const char* kMcpProtocolVersions[] = {"2025-06-18", "2025-03-26", "2024-11-05"};

struct McpServerInfo {
  std::string id = "billing";  // the URL segment
  std::string name = "Billing tools";
  std::string version;
  std::string description =
      "The billing tools of billingApiAgent: customers, invoices, payments, subscriptions, reports";
};

class McpServer {
 public:
  McpServer(const ToolRegistry& tools, McpServerInfo info);

  const McpServerInfo& info() const { return info_; }

  // Runs one tool call with the caller's context; `call_id` is the JSON-RPC id (for the
  // operation key). Returns the tool's result.
  using RunTool = std::function<boost::asio::awaitable<nlohmann::json>(
      const Tool& tool, const nlohmann::json& arguments, const std::string& call_id)>;

  // The answer to one POST of the transport. `accept` is the request's Accept header.
  boost::asio::awaitable<HttpResponse> HandlePost(std::string_view body, std::string_view accept,
                                                  const RunTool& run) const;

  // The server as Mastra's MCP registry lists it (/api/mcp/v0/servers): id, name, description,
  // version_detail; and with its remotes (the transport's URL path) for /servers/:id.
  nlohmann::json RegistryEntry(bool detail) const;
  // The tools as Mastra's /api/mcp/:serverId/tools lists them.
  nlohmann::json ToolList() const;

 private:
  // One JSON-RPC message: its response, or null for a notification or a response.
  boost::asio::awaitable<nlohmann::json> HandleMessage(const nlohmann::json& message,
                                                       const RunTool& run) const;

  const ToolRegistry& tools_;
  McpServerInfo info_;
  nlohmann::json tools_list_;  // tools/list's result, built once
};

}  // namespace billing::http
