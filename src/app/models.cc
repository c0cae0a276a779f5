#include "app/models.h"

#include <string>
#include <vector>

#include "agent/local_planner.h"
#include "agent/openai_model.h"

namespace billing {
namespace {

constexpr const char* kOpenAiPrefix = "openai/";

// Suggested in the model picker besides the configured one; any well-formed id may be chosen.
const std::vector<std::string> kSuggestedOpenAiModels = {"gpt-4o-mini", "gpt-4o", "gpt-4.1-mini",
                                                         "gpt-4.1"};

}  // namespace

std::unique_ptr<ModelSwitch> MakeModelSwitch(const AppConfig& cfg, boost::asio::io_context& io,
                                             const Clock& clock) {
  const bool openai_configured = !cfg.openai_api_key.empty();
  auto make_openai = [&cfg, &io](const std::string& model_id) {
    OpenAiOptions options;
    options.api_key = cfg.openai_api_key;
    options.base_url = cfg.openai_base_url;
    options.model = model_id;
    options.timeout_ms = cfg.model_timeout_ms;
    options.max_retries = cfg.model_max_retries;
    return std::make_shared<OpenAiModel>(io, options);
  };
  std::shared_ptr<Model> original;
  std::string openai_model = "gpt-4o-mini";
  if (cfg.model == "local") {
    original = std::make_shared<LocalPlanner>(clock);
  } else {
    openai_model = cfg.model.substr(std::string(kOpenAiPrefix).size());
    original = make_openai(openai_model);
  }

  ModelChoice local{"local", "Local", "BILLING_MODEL", "", true, {"billing-planner"}};
  ModelChoice openai{"openai",          "OpenAI",
                     "OPENAI_API_KEY",  "https://platform.openai.com/docs/models",
                     openai_configured, {openai_model}};
  for (const std::string& m : kSuggestedOpenAiModels) {
    if (m != openai_model) openai.models.push_back(m);
  }
  std::vector<ModelChoice> choices;
  if (original->provider() == "openai") {
    choices = {std::move(openai), std::move(local)};
  } else {
    choices = {std::move(local), std::move(openai)};
  }
  ModelSwitch::Factory factory =
      [&clock, make_openai](const std::string& provider,
                            const std::string& model_id) -> Result<std::shared_ptr<Model>> {
    if (provider == "local") {
      if (model_id != "billing-planner") {
        return Error::Invalid("modelId",
                              "the local provider has one model, billing-planner; "
                              "nothing was changed");
      }
      return std::shared_ptr<Model>(std::make_shared<LocalPlanner>(clock));
    }
    return std::shared_ptr<Model>(make_openai(model_id));
  };
  return std::make_unique<ModelSwitch>(std::move(original), std::move(choices), std::move(factory));
}

}  // namespace billing
