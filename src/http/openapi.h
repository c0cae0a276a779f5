// The OpenAPI 3.1 document of every route the server serves (GET /api/openapi.json and
// /openapi.json; docs/rest.md "OpenAPI"), made at start from the definitions that validate
// requests, so that it cannot drift from them:
//   - /api/v1: the REST route table (http/rest/rest_api.h): its paths, methods and query
//     parameters are the ones the router matches and checks, and each write's body schema is the
//     JSON Schema of the tool it runs, cut to the fields the route takes;
//   - the tool routes (/api/tools/<id>/execute, /api/agents/<agent>/tools/<id>/execute): each
//     tool's input and output schemas as the tools validate them;
//   - Mastra's other routes (agents, generate/stream, memory, health, audit, events, billing
//     runs): a table in openapi.cc, checked against the router by tests/compat/openapi.test.mjs,
//     which also validates the whole document with an OpenAPI validator from npm.
//
// Thread-safety: a pure function of its arguments; safe from any thread.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "http/rest/rest_api.h"
#include "tools/tool.h"

namespace billing::http {

nlohmann::json OpenApiDocument(const rest::RestApi& rest, const ToolRegistry& tools,
                               const std::string& agent_id, const std::string& version);

}  // namespace billing::http
