// The billing tools as an MCP server; see mcp_server.h.
#include "http/mcp_server.h"

#include <string>

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"  // Boost 1.74 coroutine frames (agent.cc)
#endif

namespace billing::http {

namespace bhttp = boost::beast::http;
using nlohmann::json;

namespace {

// JSON-RPC 2.0 error codes.
constexpr int kParseError = -32700;
constexpr int kInvalidRequest = -32600;
constexpr int kMethodNotFound = -32601;
constexpr int kInvalidParams = -32602;

json ErrorResponse(const json& id, int code, const std::string& message) {
  return {{"jsonrpc", "2.0"}, {"id", id}, {"error", {{"code", code}, {"message", message}}}};
}

json Result(const json& id, json result) {
  return {{"jsonrpc", "2.0"}, {"id", id}, {"result", std::move(result)}};
}

std::string IdText(const json& id) {
  return id.is_string() ? id.get<std::string>() : id.dump();
}

bool AcceptsJson(std::string_view accept) {
  return accept.empty() || accept.find("application/json") != std::string_view::npos ||
         accept.find("*/*") != std::string_view::npos ||
         accept.find("application/*") != std::string_view::npos;
}

HttpResponse Answer(const json& payload, std::string_view accept) {
  const std::string text = payload.dump(-1, ' ', false, json::error_handler_t::replace);
  HttpResponse response{bhttp::status::ok, 11};
  if (AcceptsJson(accept)) {
    response.set(bhttp::field::content_type, "application/json");
    response.body() = text;
  } else {
    // A client that accepts only a stream gets the answer as its one event.
    response.set(bhttp::field::content_type, "text/event-stream");
    response.set(bhttp::field::cache_control, "no-cache");
    response.body() = "event: message\ndata: " + text + "\n\n";
  }
  return response;
}

}  // namespace

McpServer::McpServer(const ToolRegistry& tools, McpServerInfo info)
    : tools_(tools), info_(std::move(info)) {
  json list = json::array();
  for (const auto& tool : tools_.all()) {
    // Read-only when none of its actions (the schema's "action" enum) writes.
    bool reads = !tool->Writes(json::object());
    const json* actions = nullptr;
    if (auto props = tool->input_schema().find("properties");
        props != tool->input_schema().end() && props->is_object()) {
      if (auto action = props->find("action"); action != props->end() && action->contains("enum")) {
        actions = &(*action)["enum"];
      }
    }
    if (actions != nullptr) {
      reads = true;
      for (const json& action : *actions) {
        if (tool->Writes(json{{"action", action}})) reads = false;
      }
    }
    json entry = {{"name", tool->id()},
                  {"title", tool->key()},
                  {"description", tool->description()},
                  {"inputSchema", tool->input_schema()}};
    // Hints for clients (MCP tool annotations): which tools never change the ledger.
    entry["annotations"] = {{"readOnlyHint", reads}, {"openWorldHint", false}};
    list.push_back(std::move(entry));
  }
  tools_list_ = {{"tools", std::move(list)}};
}

json McpServer::RegistryEntry(bool detail) const {
  json entry = {
      {"id", info_.id},
      {"name", info_.name},
      {"description", info_.description},
      {"repository", {{"url", ""}, {"source", ""}, {"id", ""}}},
      {"version_detail", {{"version", info_.version}, {"release_date", ""}, {"is_latest", true}}}};
  if (detail) {
    entry["package_canonical"] = "";
    entry["packages"] = json::array();
    entry["remotes"] = json::array(
        {{{"transport_type", "streamable-http"}, {"url", "/api/mcp/" + info_.id + "/mcp"}}});
  }
  return entry;
}

json McpServer::ToolList() const {
  json tools = json::array();
  for (const auto& tool : tools_.all()) {
    tools.push_back({{"id", tool->id()},
                     {"name", tool->id()},
                     {"description", tool->description()},
                     {"inputSchema", tool->input_schema()},
                     {"toolType", "tool"}});
  }
  return {{"tools", std::move(tools)}};
}

boost::asio::awaitable<json> McpServer::HandleMessage(const json& message,
                                                      const RunTool& run) const {
  if (!message.is_object() || message.value("jsonrpc", std::string()) != "2.0") {
    co_return ErrorResponse(message.is_object() && message.contains("id") ? message["id"] : json(),
                            kInvalidRequest, "Invalid Request: not a JSON-RPC 2.0 message");
  }
  const auto method_it = message.find("method");
  const auto id_it = message.find("id");
  if (method_it == message.end()) co_return json();  // a response to us: none is expected
  if (!method_it->is_string()) {
    co_return ErrorResponse(id_it != message.end() ? *id_it : json(), kInvalidRequest,
                            "Invalid Request: method must be a string");
  }
  const std::string method = *method_it;
  if (id_it == message.end()) co_return json();  // a notification (notifications/initialized, ...)
  const json& id = *id_it;
  if (!id.is_string() && !id.is_number_integer()) {
    co_return ErrorResponse(json(), kInvalidRequest,
                            "Invalid Request: id must be a string or an integer");
  }
  const json empty = json::object();
  const auto params_it = message.find("params");
  const json& params = params_it != message.end() ? *params_it : empty;
  if (!params.is_object()) co_return ErrorResponse(id, kInvalidParams, "params must be an object");

  if (method == "initialize") {
    std::string version = kMcpProtocolVersions[0];
    const std::string asked = params.value("protocolVersion", std::string());
    for (const char* known : kMcpProtocolVersions) {
      if (asked == known) version = known;
    }
    co_return Result(id, {{"protocolVersion", version},
                          {"capabilities", {{"tools", {{"listChanged", false}}}}},
                          {"serverInfo", {{"name", info_.name}, {"version", info_.version}}},
                          {"instructions",
                           "Billing tools over a real ledger. Amounts are exact; every change is "
                           "checked against the caller's scopes."}});
  }
  if (method == "ping") co_return Result(id, json::object());
  if (method == "tools/list") co_return Result(id, tools_list_);
  if (method == "tools/call") {
    const auto name = params.find("name");
    if (name == params.end() || !name->is_string()) {
      co_return ErrorResponse(id, kInvalidParams, "params.name must be the tool's name");
    }
    const Tool* tool = tools_.FindById(*name);
    if (tool == nullptr) tool = tools_.FindByKey(*name);
    if (tool == nullptr) {
      co_return ErrorResponse(id, kInvalidParams, "Unknown tool: " + name->get<std::string>());
    }
    const auto arguments = params.find("arguments");
    const json args =
        arguments == params.end() || arguments->is_null() ? json::object() : *arguments;
    if (!args.is_object()) {
      co_return ErrorResponse(id, kInvalidParams, "params.arguments must be an object");
    }
    const json result = co_await run(*tool, args, IdText(id));
    const bool failed = IsToolError(result);
    json answer = {
        {"content",
         json::array(
             {{{"type", "text"},
               {"text", failed ? result.value("message", result.dump())
                               : result.dump(-1, ' ', false, json::error_handler_t::replace)}}})},
        {"isError", failed}};
    if (result.is_object()) answer["structuredContent"] = result;
    co_return Result(id, std::move(answer));
  }
  co_return ErrorResponse(id, kMethodNotFound, "Method not found: " + method);
}

boost::asio::awaitable<HttpResponse> McpServer::HandlePost(std::string_view body,
                                                           std::string_view accept,
                                                           const RunTool& run) const {
  const json parsed = json::parse(body, nullptr, false);
  if (parsed.is_discarded()) {
    co_return Answer(ErrorResponse(json(), kParseError, "Parse error: the body is not JSON"),
                     accept);
  }
  if (parsed.is_array()) {
    if (parsed.empty() || parsed.size() > kMaxMcpBatch) {
      co_return Answer(ErrorResponse(json(), kInvalidRequest,
                                     "Invalid Request: a batch holds 1 to " +
                                         std::to_string(kMaxMcpBatch) + " messages"),
                       accept);
    }
    json responses = json::array();
    for (const json& message : parsed) {
      json response = co_await HandleMessage(message, run);
      if (!response.is_null()) responses.push_back(std::move(response));
    }
    if (responses.empty()) co_return HttpResponse{bhttp::status::accepted, 11};
    co_return Answer(responses, accept);
  }
  json response = co_await HandleMessage(parsed, run);
  if (response.is_null()) co_return HttpResponse{bhttp::status::accepted, 11};
  co_return Answer(response, accept);
}

}  // namespace billing::http
