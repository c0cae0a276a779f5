// The request side of the Mastra routes (http/mastra_routes.h): parsing a generate/stream body
// (ParseGenerateRequest) and its tool context (ParseToolContext, ApplyPrincipal), the answers for
// a failed run (PublicErrorMessage, AgentErrorResponse) and the Mastra serialized tool
// (SerializeTool). The MastraApi routes that use them are in mastra_routes.cc and stream_routes.cc.
#include "http/mastra_routes.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <string_view>
#include <utility>

#include <spdlog/spdlog.h>

#include "billing/rules.h"
#include "http/json_writer.h"
#include "http/messages.h"
#include "http/routes_internal.h"

namespace billing::http {
namespace {

namespace bhttp = boost::beast::http;
using internal::Truncated;
using nlohmann::json;

constexpr int kMinSteps = 1;
constexpr int kMaxSteps = 20;
constexpr size_t kMaxRunIdBytes = 128;
constexpr size_t kMaxActorUidBytes = 256;
constexpr size_t kMaxThreadIdBytes = 256;

// A string or integer id at `value` as text ("" when absent, null or empty); an id of another
// type or longer than kMaxActorUidBytes is an error naming `field`.
Result<std::string> ClaimId(const json* value, const std::string& field) {
  if (value == nullptr || value->is_null()) return std::string();
  std::string text;
  if (value->is_string()) {
    text = value->get<std::string>();
  } else if (value->is_number_integer()) {
    text = value->dump();
  } else {
    return Error::Invalid(field, field + " must be a string");
  }
  if (text.size() > kMaxActorUidBytes) {
    return Error::Invalid(
        field, field + " must be at most " + std::to_string(kMaxActorUidBytes) + " bytes");
  }
  return text;
}

const json* Member(const json& parent, const char* key) {
  if (!parent.is_object()) return nullptr;
  auto it = parent.find(key);
  return it == parent.end() ? nullptr : &*it;
}

// The end user a context object claims: "cometchat:<uid>" from cometchatContext.sender.uid, else
// "user:<id>" from userId; "" when it claims none.
Result<std::string> ClaimedEndUser(const json& context, const std::string& name) {
  const json* sender = nullptr;
  if (const json* cometchat = Member(context, "cometchatContext"))
    sender = Member(*cometchat, "sender");
  BILLING_ASSIGN_OR_RETURN(std::string uid, ClaimId(sender ? Member(*sender, "uid") : nullptr,
                                                    name + ".cometchatContext.sender.uid"));
  if (!uid.empty()) return "cometchat:" + uid;
  BILLING_ASSIGN_OR_RETURN(std::string user, ClaimId(Member(context, "userId"), name + ".userId"));
  if (!user.empty()) return "user:" + user;
  return std::string();
}

Result<const json*> OptionalMember(const json& body, const char* key) {
  auto it = body.find(key);
  if (it == body.end() || it->is_null()) return static_cast<const json*>(nullptr);
  return &*it;
}

// A thread/resource id: a non-empty string of at most kMaxThreadIdBytes, else "" (ignored:
// memory is optional, so a malformed id does not fail the run).
std::string IdString(const json* value) {
  if (value == nullptr || !value->is_string()) return {};
  const std::string& text = value->get_ref<const std::string&>();
  return text.size() <= kMaxThreadIdBytes ? text : std::string();
}



}  // namespace

Result<ToolContext> ParseToolContext(const json& body) {
  ToolContext context;
  const json* request_context = nullptr;
  const json* runtime_context = nullptr;
  for (const char* key : {"requestContext", "runtimeContext"}) {
    BILLING_ASSIGN_OR_RETURN(const json* value, OptionalMember(body, key));
    if (value != nullptr && !value->is_object()) {
      return Error::Invalid(key, std::string(key) + " must be an object");
    }
    (std::string_view(key) == "requestContext" ? request_context : runtime_context) = value;
  }
  const json* chosen = request_context != nullptr ? request_context : runtime_context;
  if (chosen != nullptr) context.request_context = *chosen;
  // The end user the caller claims to act for: a claim, recorded apart from the principal.
  for (const auto& [name, ctx] : {std::pair{"requestContext", request_context},
                                  std::pair{"runtimeContext", runtime_context}}) {
    if (ctx == nullptr || !context.actor.on_behalf_of.empty()) continue;
    BILLING_ASSIGN_OR_RETURN(context.actor.on_behalf_of, ClaimedEndUser(*ctx, name));
  }
  return context;
}

Status ApplyPrincipal(ToolContext& context, const Principal& principal) {
  context.scopes = principal.scopes;
  context.principal = principal.id;
  context.actor.principal = principal.actor_id();
  context.bound_customer = principal.customer_id.empty() ? "" : CanonicalId(principal.customer_id);
  if (!context.actor.on_behalf_of.empty() && !HasScope(principal.scopes, Scope::kActOnBehalf)) {
    spdlog::warn("refused: {} claimed to act for {} without the act_on_behalf scope",
                 context.actor.principal, Truncated(context.actor.on_behalf_of, 64));
    return Error(ErrorCode::kPermissionDenied,
                 "This caller lacks the 'act_on_behalf' scope needed to act for an end user (" +
                     Truncated(context.actor.on_behalf_of, 64) +
                     "); nothing was changed. Give the key that scope, or send no sender.");
  }
  return OkStatus();
}

Result<GenerateRequest> ParseGenerateRequest(const json& body) {
  GenerateRequest out;
  auto messages_it = body.find("messages");
  BILLING_ASSIGN_OR_RETURN(out.messages,
                           ParseMessages(messages_it == body.end() ? json() : *messages_it));
  GenerateOptions& options = out.options;

  BILLING_ASSIGN_OR_RETURN(const json* max_steps, OptionalMember(body, "maxSteps"));
  if (max_steps != nullptr) {
    if (!max_steps->is_number() || !std::isfinite(max_steps->get<double>())) {
      return Error::Invalid("maxSteps", "maxSteps must be an integer between 1 and 20");
    }
    const double steps = std::floor(max_steps->get<double>());
    options.max_steps = static_cast<int>(std::clamp(steps, double{kMinSteps}, double{kMaxSteps}));
  }

  BILLING_ASSIGN_OR_RETURN(const json* run_id, OptionalMember(body, "runId"));
  if (run_id != nullptr) {
    if (!run_id->is_string() || run_id->get_ref<const std::string&>().size() > kMaxRunIdBytes) {
      return Error::Invalid("runId", "runId must be a string of at most 128 characters");
    }
    options.run_id = run_id->get<std::string>();
  }

  BILLING_ASSIGN_OR_RETURN(const json* instructions, OptionalMember(body, "instructions"));
  if (instructions != nullptr) {
    if (!instructions->is_string()) {
      return Error::Invalid("instructions", "instructions must be a string");
    }
    options.instructions_override = instructions->get<std::string>();
  }

  BILLING_ASSIGN_OR_RETURN(const json* tool_choice, OptionalMember(body, "toolChoice"));
  if (tool_choice != nullptr) {
    if (!tool_choice->is_string() && !tool_choice->is_object()) {
      return Error::Invalid("toolChoice",
                            "toolChoice must be \"auto\", \"none\", \"required\" or "
                            "{\"type\":\"tool\",\"toolName\":...}");
    }
    options.tool_choice = *tool_choice;
  }

  BILLING_ASSIGN_OR_RETURN(const json* model_settings, OptionalMember(body, "modelSettings"));
  if (model_settings != nullptr) {
    if (!model_settings->is_object()) {
      return Error::Invalid("modelSettings", "modelSettings must be an object");
    }
    options.model_settings = *model_settings;
  }

  BILLING_ASSIGN_OR_RETURN(const json* client_tools, OptionalMember(body, "clientTools"));
  if (client_tools != nullptr) {
    if (!client_tools->is_object()) {
      return Error::Invalid("clientTools", "clientTools must be an object of tools by name");
    }
    for (const auto& [name, tool] : client_tools->items()) {
      if (!tool.is_object()) {
        return Error::Invalid("clientTools." + name,
                              "clientTools." + Truncated(name, 64) + " must be an object");
      }
    }
    options.client_tools = *client_tools;
  }

  BILLING_ASSIGN_OR_RETURN(const json* approval, OptionalMember(body, "requireToolApproval"));
  if (approval != nullptr) {
    if (!approval->is_boolean()) {
      return Error::Invalid("requireToolApproval", "requireToolApproval must be a boolean");
    }
    options.require_tool_approval = approval->get<bool>();
  }

  BILLING_ASSIGN_OR_RETURN(options.tool_context, ParseToolContext(body));

  // Memory addressing (not acted on yet): top-level (≤0.19, legacy routes) or memory.* (0.20+).
  out.thread_id = IdString(Member(body, "threadId"));
  out.resource_id = IdString(Member(body, "resourceId"));
  if (out.resource_id.empty()) out.resource_id = IdString(Member(body, "resourceid"));
  if (const json* memory = Member(body, "memory"); memory != nullptr && memory->is_object()) {
    const json* thread = Member(*memory, "thread");
    std::string thread_id = IdString(thread);
    if (thread_id.empty() && thread != nullptr) thread_id = IdString(Member(*thread, "id"));
    if (!thread_id.empty()) out.thread_id = std::move(thread_id);
    std::string resource_id = IdString(Member(*memory, "resource"));
    if (!resource_id.empty()) out.resource_id = std::move(resource_id);
  }
  return out;
}

std::string PublicErrorMessage(const Error& error) {
  switch (error.code) {
    case ErrorCode::kInvalidArgument:
    case ErrorCode::kNotFound:
    case ErrorCode::kFailedPrecondition:
    case ErrorCode::kAmbiguous:
    case ErrorCode::kConflict:
    case ErrorCode::kPermissionDenied:
      return error.message;
    case ErrorCode::kUnauthenticated:
      return "Model provider rejected the API key (401)";
    case ErrorCode::kUnavailable:
      return "Model provider unavailable: " + Truncated(error.message, 300);
    case ErrorCode::kDatabaseUnavailable:
      return "database unavailable";
    case ErrorCode::kInternal:
      break;
  }
  return "Internal Server Error";
}

HttpResponse AgentErrorResponse(const Error& error) {
  switch (error.code) {
    case ErrorCode::kInvalidArgument:
      return JsonError(bhttp::status::bad_request, error.message);
    case ErrorCode::kNotFound:
      return JsonError(bhttp::status::not_found, error.message);
    case ErrorCode::kFailedPrecondition:
    case ErrorCode::kAmbiguous:
    case ErrorCode::kConflict:
      return JsonError(bhttp::status::conflict, error.message);
    case ErrorCode::kPermissionDenied:
      return JsonError(bhttp::status::forbidden, error.message);
    case ErrorCode::kUnauthenticated:
      spdlog::warn("generate: model provider rejected the credentials: {}", error.message);
      return JsonError(bhttp::status::bad_gateway, "Model provider rejected the API key (401)");
    case ErrorCode::kDatabaseUnavailable:
      spdlog::warn("generate: {}", error.message);
      return JsonError(bhttp::status::service_unavailable, "database unavailable");
    case ErrorCode::kUnavailable:
      spdlog::warn("generate: model provider unavailable: {}", error.message);
      return JsonError(bhttp::status::bad_gateway,
                       "Model provider unavailable: " + Truncated(error.message, 300));
    case ErrorCode::kInternal:
      break;
  }
  spdlog::error("generate: internal error: {}", error.message);
  return JsonError(bhttp::status::internal_server_error, "Internal Server Error");
}

json SerializeTool(const Tool& tool, bool partial) {
  json out = json::object();
  out["id"] = tool.id();
  out["description"] = tool.description();
  if (!partial) {
    // superjson.stringify(schema) = {"json": schema}, as a string.
    if (!tool.input_schema().is_null()) {
      out["inputSchema"] = Dump(json{{"json", tool.input_schema()}});
    }
    if (!tool.output_schema().is_null()) {
      out["outputSchema"] = Dump(json{{"json", tool.output_schema()}});
    }
  }
  out["requireApproval"] = false;
  return out;
}

}  // namespace billing::http
