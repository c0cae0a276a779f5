#include "agent/model_switch.h"

#include <algorithm>
#include <cassert>
#include <utility>

// GCC 12 reports a false -Wmismatched-new-delete on Boost 1.74's coroutine frames.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

namespace billing {
namespace {

constexpr size_t kMaxModelIdBytes = 64;

// Model ids as providers spell them: letters, digits and . _ : - (gpt-4o-mini, o3, ft:...).
bool WellFormedModelId(const std::string& id) {
  if (id.empty() || id.size() > kMaxModelIdBytes) return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == ':' || c == '-';
  });
}

}  // namespace

ModelSwitch::ModelSwitch(std::shared_ptr<Model> original, std::vector<ModelChoice> choices,
                         Factory factory)
    : original_(std::move(original)),
      choices_(std::move(choices)),
      factory_(std::move(factory)),
      current_(original_) {
  assert(original_ != nullptr);
}

std::shared_ptr<Model> ModelSwitch::Current() const {
  std::lock_guard lock(mu_);
  return current_;
}

std::string ModelSwitch::provider() const {
  return Current()->provider();
}
std::string ModelSwitch::model_id() const {
  return Current()->model_id();
}

boost::asio::awaitable<Result<ModelResponse>> ModelSwitch::Complete(const ModelRequest& request) {
  // The model stays alive for the call even if it is switched away meanwhile.
  std::shared_ptr<Model> model = Current();
  co_return co_await model->Complete(request);
}

boost::asio::awaitable<Result<ModelResponse>> ModelSwitch::CompleteStreaming(
    const ModelRequest& request, const TextDeltaHandler& on_text) {
  std::shared_ptr<Model> model = Current();
  co_return co_await model->CompleteStreaming(request, on_text);
}

Status ModelSwitch::Switch(const std::string& provider, const std::string& model_id) {
  auto choice = std::find_if(choices_.begin(), choices_.end(),
                             [&](const ModelChoice& c) { return c.provider == provider; });
  if (choice == choices_.end()) {
    std::string known;
    for (const ModelChoice& c : choices_) known += (known.empty() ? "" : ", ") + c.provider;
    return Error::Invalid("provider",
                          "provider must be one of: " + known + "; nothing was changed");
  }
  if (!choice->connected) {
    return Error::Invalid("provider", "provider " + provider + " is not configured (set " +
                                          choice->env_var + " and restart); nothing was changed");
  }
  if (!WellFormedModelId(model_id)) {
    return Error::Invalid(
        "modelId", "modelId must be 1 to 64 letters, digits or . _ : - ; nothing was changed");
  }
  const std::string key = provider + "/" + model_id;
  {
    std::lock_guard lock(mu_);
    if (original_->provider() == provider && original_->model_id() == model_id) {
      current_ = original_;
      return OkStatus();
    }
    if (auto it = made_.find(key); it != made_.end()) {
      current_ = it->second;
      return OkStatus();
    }
  }
  Result<std::shared_ptr<Model>> made = factory_(provider, model_id);
  if (!made.ok()) return made.error();
  assert(*made != nullptr);
  std::lock_guard lock(mu_);
  if (made_.size() >= kMaxModels && made_.find(key) == made_.end()) {
    // Bounded: forget a model not in use (one in a call stays alive through its shared_ptr).
    for (auto it = made_.begin(); it != made_.end(); ++it) {
      if (it->second != current_) {
        made_.erase(it);
        break;
      }
    }
  }
  auto [it, inserted] = made_.emplace(key, std::move(made.value()));
  (void)inserted;
  current_ = it->second;
  return OkStatus();
}

void ModelSwitch::Reset() {
  std::lock_guard lock(mu_);
  current_ = original_;
}

}  // namespace billing
