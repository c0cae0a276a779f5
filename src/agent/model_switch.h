// ModelSwitch: the agent's model, which an administrator may change while the server runs
// (Mastra's model picker: POST /api/agents/:id/model and /model/reset; docs/studio.md "Model
// switching"). It is a Model that hands every call to the model chosen last; the choices are the
// models this server can run, described by ModelChoice entries (the local planner always; OpenAI
// models when an API key is configured) and made by a factory the server supplies.
//
// A switch lasts until the next switch, a reset or a restart (as in Mastra, it is not stored).
// A call that started keeps the model it started with; a run's later steps use the model chosen
// at their time. Made models are kept for switching back (at most kMaxModels of them).
//
// Thread-safety: every method may be called concurrently (one mutex guards the choice; calls to
// the models themselves run outside it).
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "agent/model.h"
#include "common/result.h"

namespace billing {

// One provider as the model picker lists it (GET /api/agents/providers).
struct ModelChoice {
  std::string provider;  // "local" | "openai"
  std::string name;      // "Local" | "OpenAI"
  std::string env_var;   // what configures it
  std::string doc_url;
  bool connected = false;           // usable now (OpenAI: an API key is set)
  std::vector<std::string> models;  // suggested model ids, the one in use first
};

class ModelSwitch final : public Model {
 public:
  static constexpr size_t kMaxModels = 8;
  // Makes the model `model_id` of `provider`, or an error naming the field ("provider",
  // "modelId") and the rule.
  using Factory = std::function<Result<std::shared_ptr<Model>>(const std::string& provider,
                                                               const std::string& model_id)>;

  ModelSwitch(std::shared_ptr<Model> original, std::vector<ModelChoice> choices, Factory factory);

  std::string provider() const override;
  std::string model_id() const override;
  boost::asio::awaitable<Result<ModelResponse>> Complete(const ModelRequest& request) override;
  boost::asio::awaitable<Result<ModelResponse>> CompleteStreaming(
      const ModelRequest& request, const TextDeltaHandler& on_text) override;

  // Uses `model_id` of `provider` from now on. Errors (kInvalidArgument, nothing changed): a
  // provider that is not a choice or not connected, a malformed model id, the factory's errors.
  Status Switch(const std::string& provider, const std::string& model_id);
  // Back to the model the server started with.
  void Reset();

  const std::vector<ModelChoice>& choices() const { return choices_; }

 private:
  std::shared_ptr<Model> Current() const;

  const std::shared_ptr<Model> original_;
  const std::vector<ModelChoice> choices_;
  const Factory factory_;
  mutable std::mutex mu_;
  std::shared_ptr<Model> current_;                      // guarded by mu_
  std::map<std::string, std::shared_ptr<Model>> made_;  // "provider/model" -> model; guarded by mu_
};

}  // namespace billing
