// The routes Mastra's Studio calls that have nothing of ours behind them, answered in the shape
// it expects (docs/studio.md): the model providers, no voice, no evals, no scorers, no
// workflows, no legacy telemetry. Each would otherwise be a 404 the Studio retries and shows as
// an endless skeleton or a console error.
#include <string>

#include "http/mastra_routes.h"
#include "http/routes_internal.h"

namespace billing::http {

namespace bhttp = boost::beast::http;
using nlohmann::json;

std::optional<HttpResponse> MastraApi::RouteStudio(const HttpRequest& request,
                                                   const std::vector<std::string_view>& seg) const {
  // `seg`: the path's segments, "api" first.
  const size_t n = seg.size();
  if (request.method() != bhttp::verb::get || n < 2) return std::nullopt;
  const AgentConfig& agent = agent_.config();
  if (n == 3 && seg[1] == "agents" && seg[2] == "providers") {
    // The model in use, the only one this server can run.
    const bool openai = agent_.model().provider() == "openai";
    json provider = {{"id", agent_.model().provider()},
                     {"name", openai ? "OpenAI" : "Local"},
                     {"envVar", openai ? "OPENAI_API_KEY" : "BILLING_MODEL"},
                     {"connected", true},
                     {"docUrl", openai ? "https://platform.openai.com/docs/models" : ""},
                     {"models", json::array({agent_.model().model_id()})}};
    return JsonResponse(bhttp::status::ok,
                        json({{"providers", json::array({std::move(provider)})}}).dump());
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
