// The routes Mastra's Studio calls besides the agent, memory, tool, trace and MCP routes,
// answered in the shape it expects (docs/studio.md): the model providers and model switching,
// and, with nothing of ours behind them, no voice, no evals, no scorers, no workflows, no legacy
// telemetry. Each would otherwise be a 404 the Studio retries and shows as an endless skeleton
// or a console error.
#include <string>

#include <spdlog/spdlog.h>

#include "auth/scopes.h"
#include "http/json_body.h"
#include "http/mastra_routes.h"
#include "http/routes_internal.h"

namespace billing::http {

namespace bhttp = boost::beast::http;
using nlohmann::json;

HttpResponse MastraApi::SwitchModel(const HttpRequest& request, const RequestScope& scope,
                                    bool reset) const {
  // The model serves every caller: administrators only.
  if (!HasScope(scope.principal.scopes, Scope::kAdmin)) {
    return JsonError(bhttp::status::forbidden,
                     PermissionDeniedMessage({Scope::kAdmin, "switch the agent's model"}));
  }
  if (models_ == nullptr) {
    return JsonError(bhttp::status::bad_request,
                     "This server's model cannot be switched while it runs; nothing was changed");
  }
  const std::string actor = scope.principal.actor_id();
  if (reset) {
    models_->Reset();
    spdlog::warn("model: {} reset the agent's model to {}/{}", actor, models_->provider(),
                 models_->model_id());
    return JsonResponse(bhttp::status::ok, R"({"message":"Agent model reset to original"})");
  }
  Result<json> body = ParseJsonObjectBody(request.body());
  if (!body.ok()) return JsonError(bhttp::status::bad_request, body.error().message);
  std::string fields[2];
  const char* names[2] = {"provider", "modelId"};
  for (int i = 0; i < 2; ++i) {
    auto it = body->find(names[i]);
    if (it == body->end() || !it->is_string()) {
      return JsonError(bhttp::status::bad_request, std::string(names[i]) +
                                                       " is required and must be a string; "
                                                       "nothing was changed");
    }
    fields[i] = it->get<std::string>();
  }
  Status switched = models_->Switch(fields[0], fields[1]);
  if (!switched.ok()) return JsonError(bhttp::status::bad_request, switched.error().message);
  spdlog::warn("model: {} switched the agent's model to {}/{}", actor, fields[0], fields[1]);
  return JsonResponse(bhttp::status::ok, R"({"message":"Agent model updated"})");
}

std::optional<HttpResponse> MastraApi::RouteStudio(const HttpRequest& request,
                                                   const RequestScope& scope,
                                                   const std::vector<std::string_view>& seg) const {
  // `seg`: the path's segments, "api" first.
  const size_t n = seg.size();
  const AgentConfig& agent = agent_.config();
  if (request.method() == bhttp::verb::post && n >= 4 && n <= 5 && seg[1] == "agents" &&
      seg[2] == agent.id && seg[3] == "model") {
    if (n == 4) return SwitchModel(request, scope, /*reset=*/false);
    if (seg[4] == "reset") return SwitchModel(request, scope, /*reset=*/true);
    return std::nullopt;
  }
  if (request.method() != bhttp::verb::get || n < 2) return std::nullopt;
  if (n == 3 && seg[1] == "agents" && seg[2] == "providers") {
    json providers = json::array();
    if (models_ != nullptr) {
      for (const ModelChoice& choice : models_->choices()) {
        providers.push_back({{"id", choice.provider},
                             {"name", choice.name},
                             {"envVar", choice.env_var},
                             {"connected", choice.connected},
                             {"docUrl", choice.doc_url},
                             {"models", choice.models}});
      }
    } else {
      const bool openai = agent_.model().provider() == "openai";
      providers.push_back({{"id", agent_.model().provider()},
                           {"name", openai ? "OpenAI" : "Local"},
                           {"envVar", openai ? "OPENAI_API_KEY" : "BILLING_MODEL"},
                           {"connected", true},
                           {"docUrl", openai ? "https://platform.openai.com/docs/models" : ""},
                           {"models", json::array({agent_.model().model_id()})}});
    }
    return JsonResponse(bhttp::status::ok, json({{"providers", std::move(providers)}}).dump());
  }
  if (n == 5 && seg[1] == "agents" && seg[2] == agent.id) {
    if (seg[3] == "voice" && seg[4] == "speakers") {
      // An error makes the Studio fall back to the browser's own dictation.
      return JsonError(bhttp::status::bad_request, "No voice provider configured");
    }
    if (seg[3] == "evals" && (seg[4] == "live" || seg[4] == "ci")) {
      return JsonResponse(bhttp::status::ok, json({{"id", agent.id},
                                                   {"name", agent.name},
                                                   {"instructions", agent.instructions},
                                                   {"evals", json::array()}})
                                                 .dump());
    }
  }
  if (n == 3 && seg[1] == "scores" && seg[2] == "scorers") {
    return JsonResponse(bhttp::status::ok, "{}");
  }
  if (n == 4 && seg[1] == "scores" && seg[2] == "scorers") {
    return JsonResponse(bhttp::status::ok, "null");
  }
  if (n == 2 && seg[1] == "workflows") return JsonResponse(bhttp::status::ok, "{}");
  if (n == 2 && seg[1] == "telemetry") {
    return JsonResponse(bhttp::status::ok, R"({"traces":[]})");
  }
  return std::nullopt;
}

}  // namespace billing::http
