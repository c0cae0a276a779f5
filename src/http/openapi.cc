// The OpenAPI document; see openapi.h.
#include "http/openapi.h"

#include <string_view>

namespace billing::http {
namespace {

namespace bhttp = boost::beast::http;
using nlohmann::json;

// A JSON Schema of a tool (draft-07) as an OpenAPI 3.1 schema (JSON Schema 2020-12): the keywords
// the tools use mean the same in both; only "$schema" goes.
json AsOpenApiSchema(json schema) {
  if (schema.is_object()) schema.erase("$schema");
  return schema;
}

json Ref(const std::string& name) {
  return {{"$ref", "#/components/schemas/" + name}};
}

json JsonContent(json schema) {
  return {{"application/json", {{"schema", std::move(schema)}}}};
}

std::string Lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = char(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// "credit_note" -> "CreditNote".
std::string SchemaName(const std::string& object) {
  std::string out;
  bool upper = true;
  for (char c : object) {
    if (c == '_') {
      upper = true;
      continue;
    }
    out += upper ? char(std::toupper(static_cast<unsigned char>(c))) : c;
    upper = false;
  }
  return out;
}

json PathParameters(const std::string& path) {
  json params = json::array();
  for (size_t open = path.find('{'); open != std::string::npos; open = path.find('{', open + 1)) {
    const size_t close = path.find('}', open);
    params.push_back({{"name", path.substr(open + 1, close - open - 1)},
                      {"in", "path"},
                      {"required", true},
                      {"schema", {{"type", "string"}, {"maxLength", 64}}}});
  }
  return params;
}

// The v1 errors every route may answer, besides its 200.
void PutV1Errors(json& responses) {
  for (const char* status : {"400", "401", "403", "404", "409", "422", "429", "500", "503"}) {
    responses[status] = {{"description", "An error object (docs/rest.md \"Errors\")"},
                         {"content", JsonContent(Ref("Error"))}};
  }
}

json V1Operation(const rest::RestRoute& route, const ToolRegistry& tools) {
  json op = {{"operationId", route.operation_id},
             {"summary", route.summary},
             {"tags", json::array({route.tag})}};
  json params = PathParameters(route.path);
  if (route.list) {
    params.push_back({{"name", "limit"},
                      {"in", "query"},
                      {"description", "Rows per page"},
                      {"schema",
                       {{"type", "integer"},
                        {"minimum", 1},
                        {"maximum", rest::kMaxListLimit},
                        {"default", rest::kDefaultListLimit}}}});
    params.push_back({{"name", "startingAfter"},
                      {"in", "query"},
                      {"description", "The nextCursor of the previous page: rows after this id"},
                      {"schema", {{"type", "string"}, {"maxLength", 64}}}});
  }
  for (const rest::QueryParam& q : route.query) {
    json schema = {{"type", "string"}, {"maxLength", 64}};
    if (!q.values.empty()) schema = {{"type", "string"}, {"enum", q.values}};
    params.push_back(
        {{"name", q.name}, {"in", "query"}, {"description", q.description}, {"schema", schema}});
  }
  if (!params.empty()) op["parameters"] = std::move(params);
  if (route.write && !route.write->body_fields.empty()) {
    const Tool* tool = tools.FindById(route.write->tool_id);
    const json& input = tool->input_schema();
    json properties = json::object();
    for (const std::string& field : route.write->body_fields) {
      properties[field] = AsOpenApiSchema(input["properties"].value(field, json::object()));
    }
    op["requestBody"] = {{"required", false},
                         {"description", "Fields of the " + route.write->tool_id + " tool's " +
                                             route.write->action + " action (its rules apply)"},
                         {"content", JsonContent({{"type", "object"},
                                                  {"properties", std::move(properties)},
                                                  {"additionalProperties", false}})}};
  }
  if (route.direct && route.body_schema.is_object()) {
    op["requestBody"] = {{"required", false}, {"content", JsonContent(route.body_schema)}};
  }
  json ok_schema = Ref(SchemaName(route.object));
  if (route.list) {
    json page = {{"type", "object"},
                 {"properties", {{"data", {{"type", "array"}, {"items", ok_schema}}}}}};
    ok_schema = {{"allOf", json::array({Ref("List"), std::move(page)})}};
  }
  json responses = {{"200", {{"description", "OK"}, {"content", JsonContent(ok_schema)}}}};
  PutV1Errors(responses);
  if (route.object == "payment" && route.write) {
    responses["402"] = {{"description", "Declined: error.payment is the failed payment"},
                        {"content", JsonContent(Ref("Error"))}};
  }
  op["responses"] = std::move(responses);
  return op;
}

// Mastra's routes besides the tool routes (mastra_routes.cc, memory_routes.cc).
struct MastraRoute {
  const char* method;
  const char* path;
  const char* summary;
  const char* tag;
  const char* body_schema;  // JSON text, or nullptr
  const char* query;        // comma-separated query parameter names, or nullptr
};

constexpr const char* kGenerateBody = R"({
  "type": "object",
  "properties": {
    "messages": {"description": "A string, a message {role, content} or an array of them",
                 "type": ["string", "object", "array"]},
    "maxSteps": {"type": "integer"},
    "runId": {"type": "string"},
    "instructions": {"type": "string"},
    "toolChoice": {}, "modelSettings": {"type": "object"}, "clientTools": {"type": "object"},
    "threadId": {"type": "string"}, "resourceId": {"type": "string"}, "resourceid": {"type": "string"},
    "memory": {"type": "object"},
    "runtimeContext": {"type": "object"}, "requestContext": {"type": "object"}
  },
  "required": ["messages"]
})";
constexpr const char* kThreadBody = R"({
  "type": "object",
  "properties": {"resourceId": {"type": "string"}, "title": {"type": "string"},
                 "metadata": {"type": "object"}, "threadId": {"type": "string"}}
})";
constexpr const char* kBillingRunBody = R"({
  "type": "object", "properties": {"asOf": {"type": "string", "format": "date"}},
  "additionalProperties": false
})";

constexpr MastraRoute kMastraRoutes[] = {
    {"get", "/health", "Liveness", "Server", nullptr, nullptr},
    {"get", "/ready", "Readiness: the database answers", "Server", nullptr, nullptr},
    {"get", "/api", "Welcome page (HTML)", "Server", nullptr, nullptr},
    {"get", "/api/openapi.json", "This document", "Server", nullptr, nullptr},
    {"get", "/openapi.json", "This document", "Server", nullptr, nullptr},
    {"get", "/api/agents", "The agents, with their tools", "Agents", nullptr, "partial"},
    {"get", "/api/agents/{agentId}", "One agent", "Agents", nullptr, nullptr},
    {"post", "/api/agents/{agentId}/generate", "Run the agent; the whole answer", "Agents",
     kGenerateBody, nullptr},
    {"post", "/api/agents/{agentId}/generateVNext", "As generate (Mastra vNext name)", "Agents",
     kGenerateBody, nullptr},
    {"post", "/api/agents/{agentId}/generate/vnext", "As generate", "Agents", kGenerateBody,
     nullptr},
    {"post", "/api/agents/{agentId}/stream", "Run the agent; Mastra chunks as they come", "Agents",
     kGenerateBody, nullptr},
    {"post", "/api/agents/{agentId}/streamVNext", "As stream", "Agents", kGenerateBody, nullptr},
    {"post", "/api/agents/{agentId}/stream/vnext", "As stream", "Agents", kGenerateBody, nullptr},
    {"post", "/api/agents/{agentId}/generate-legacy", "Run the agent; AI SDK v4 JSON", "Agents",
     kGenerateBody, nullptr},
    {"post", "/api/agents/{agentId}/stream-legacy", "Run the agent; AI SDK v4 data stream",
     "Agents", kGenerateBody, nullptr},
    {"get", "/api/tools", "The tools", "Tools", nullptr, nullptr},
    {"get", "/api/memory/status", "Whether memory is on", "Memory", nullptr, "agentId"},
    {"get", "/api/memory/threads", "A resource's threads (0.x array or 1.x page)", "Memory",
     nullptr, "agentId,resourceid,resourceId,page,perPage"},
    {"post", "/api/memory/threads", "Create a thread", "Memory", kThreadBody, "agentId"},
    {"get", "/api/memory/threads/{threadId}", "One thread", "Memory", nullptr, "agentId"},
    {"patch", "/api/memory/threads/{threadId}", "Change a thread", "Memory", kThreadBody,
     "agentId"},
    {"delete", "/api/memory/threads/{threadId}", "Delete a thread", "Memory", nullptr, "agentId"},
    {"get", "/api/memory/threads/{threadId}/messages", "A thread's messages", "Memory", nullptr,
     "agentId,limit,page,perPage"},
    {"get", "/api/audit", "The audit log (admin scope)", "Audit", nullptr,
     "after,limit,actor,onBehalfOf"},
    {"get", "/api/events", "Events, oldest first", "Events", nullptr, "after,type,limit"},
    {"post", "/api/billing-runs", "A billing run now (subscriptions scope)", "Billing runs",
     kBillingRunBody, nullptr},
};

json MastraOperation(const MastraRoute& r) {
  json op = {{"summary", r.summary}, {"tags", json::array({r.tag})}};
  json params = PathParameters(r.path);
  if (r.query != nullptr) {
    std::string_view names = r.query;
    while (!names.empty()) {
      const size_t comma = names.find(',');
      params.push_back({{"name", std::string(names.substr(0, comma))},
                        {"in", "query"},
                        {"schema", {{"type", "string"}}}});
      if (comma == std::string_view::npos) break;
      names.remove_prefix(comma + 1);
    }
  }
  if (!params.empty()) op["parameters"] = std::move(params);
  if (r.body_schema != nullptr) {
    op["requestBody"] = {{"content", JsonContent(json::parse(r.body_schema))}};
  }
  op["responses"] = {{"200", {{"description", "OK"}}},
                     {"default",
                      {{"description", "An error {\"error\": \"...\"}"},
                       {"content", JsonContent(Ref("MastraError"))}}}};
  return op;
}

json ToolExecuteOperation(const Tool& tool, const std::string& operation_id) {
  return {{"operationId", operation_id},
          {"summary", tool.description()},
          {"tags", json::array({"Tools"})},
          {"requestBody",
           {{"required", true},
            {"content", JsonContent({{"type", "object"},
                                     {"properties",
                                      {{"data", AsOpenApiSchema(tool.input_schema())},
                                       {"runtimeContext", {{"type", "object"}}},
                                       {"requestContext", {{"type", "object"}}}}},
                                     {"required", json::array({"data"})}})}}},
          {"responses",
           {{"200",
             {{"description", "The tool's result"},
              {"content", JsonContent(AsOpenApiSchema(tool.output_schema()))}}},
            {"default",
             {{"description", "An error {\"error\": \"...\"}"},
              {"content", JsonContent(Ref("MastraError"))}}}}}};
}

json Components(const rest::RestApi& rest) {
  json schemas = {{"Error",
                   {{"type", "object"},
                    {"required", json::array({"error"})},
                    {"properties",
                     {{"error",
                       {{"type", "object"},
                        {"required", json::array({"type", "code", "message"})},
                        {"properties",
                         {{"type",
                           {{"type", "string"},
                            {"enum", json::array({"invalid_request_error", "not_found", "conflict",
                                                  "rate_limit_error", "auth_error", "api_error",
                                                  "card_error"})}}},
                          {"code", {{"type", "string"}}},
                          {"message", {{"type", "string"}}},
                          {"param", {{"type", "string"}}},
                          {"payment", {{"type", "object"}}}}}}}}}}},
                  {"MastraError",
                   {{"type", "object"},
                    {"properties", {{"error", {{"type", "string"}}}}},
                    {"required", json::array({"error"})}}},
                  {"List",
                   {{"type", "object"},
                    {"required", json::array({"object", "data", "hasMore", "nextCursor"})},
                    {"properties",
                     {{"object", {{"const", "list"}}},
                      {"data", {{"type", "array"}}},
                      {"hasMore", {{"type", "boolean"}}},
                      {"nextCursor", {{"type", {"string", "null"}}}},
                      {"url", {{"type", "string"}}}}}}}};
  for (const rest::RestRoute& r : rest.routes()) {
    const std::string name = SchemaName(r.object);
    if (schemas.contains(name)) continue;
    schemas[name] = {
        {"type", "object"},
        {"description", "A " + r.object +
                            " as the tools show it (docs/tools.md), camelCase, "
                            "amounts in minor units and display text"},
        {"required", json::array({"object"})},
        {"properties", {{"object", {{"const", r.object}}}, {"id", {{"type", "string"}}}}},
        {"additionalProperties", true}};
  }
  return {{"schemas", std::move(schemas)},
          {"securitySchemes",
           {{"bearerAuth",
             {{"type", "http"},
              {"scheme", "bearer"},
              {"description", "An API key (bk_...) or an HS256 JWT; none in development mode"}}}}}};
}

}  // namespace

json OpenApiDocument(const rest::RestApi& rest, const ToolRegistry& tools,
                     const std::string& agent_id, const std::string& version) {
  json paths = json::object();
  for (const MastraRoute& r : kMastraRoutes) paths[r.path][r.method] = MastraOperation(r);
  for (const auto& tool : tools.all()) {
    paths["/api/tools/" + tool->id()]["get"] = {{"summary", "The " + tool->id() + " tool"},
                                                {"tags", json::array({"Tools"})},
                                                {"responses", {{"200", {{"description", "OK"}}}}}};
    paths["/api/tools/" + tool->id() + "/execute"]["post"] =
        ToolExecuteOperation(*tool, "execute_" + tool->key());
    const std::string agent_tool = "/api/agents/" + agent_id + "/tools/" + tool->id();
    paths[agent_tool]["get"] = {{"summary", "The " + tool->id() + " tool of " + agent_id},
                                {"tags", json::array({"Tools"})},
                                {"responses", {{"200", {{"description", "OK"}}}}}};
    paths[agent_tool + "/execute"]["post"] =
        ToolExecuteOperation(*tool, "execute_" + agent_id + "_" + tool->key());
  }
  for (const rest::RestRoute& r : rest.routes()) {
    paths[r.path][Lower(bhttp::to_string(r.method))] = V1Operation(r, tools);
    // PATCH updates as POST does on an object's path.
    if (r.method == bhttp::verb::post && r.path.back() == '}') {
      json patch = V1Operation(r, tools);
      patch["operationId"] = r.operation_id + "Patch";
      paths[r.path]["patch"] = std::move(patch);
    }
  }
  return {{"openapi", "3.1.0"},
          {"info",
           {{"title", "billing-agent"},
            {"version", version},
            {"description", "Mastra's agent-server routes for " + agent_id +
                                " and the billing REST API v1 (docs/rest.md)."}}},
          {"servers", json::array({{{"url", "/"}}})},
          {"security", json::array({{{"bearerAuth", json::array()}}, json::object()})},
          {"paths", std::move(paths)},
          {"components", Components(rest)}};
}

}  // namespace billing::http
