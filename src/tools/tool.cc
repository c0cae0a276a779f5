#include "tools/tool.h"

#include "security/card_data.h"

namespace billing {

nlohmann::json ToolErrorResult(const Error& error) {
  // An error may quote its input: card-number-like runs are redacted (security/card_data.h).
  nlohmann::json out = {{"success", false},
                        {"error", true},
                        {"code", ErrorCodeName(error.code)},
                        {"message", security::RedactCardNumbers(error.message)}};
  if (!error.field.empty()) out["field"] = error.field;
  return out;
}

nlohmann::json PermissionDeniedResult(const ScopeRequirement& requirement) {
  return {{"success", false},
          {"error", true},
          {"code", "PERMISSION_DENIED"},
          {"message", PermissionDeniedMessage(requirement)}};
}

bool IsPermissionDenied(const nlohmann::json& result) {
  if (!IsToolError(result)) return false;
  auto it = result.find("code");
  return it != result.end() && it->is_string() && it->get<std::string>() == "PERMISSION_DENIED";
}

nlohmann::json DatabaseUnavailableResult() {
  return {{"success", false},
          {"error", true},
          {"code", ErrorCodeName(ErrorCode::kDatabaseUnavailable)},
          {"message", "database unavailable"}};
}

bool IsDatabaseUnavailable(const nlohmann::json& result) {
  if (!IsToolError(result)) return false;
  auto it = result.find("code");
  return it != result.end() && it->is_string() &&
         it->get<std::string>() == ErrorCodeName(ErrorCode::kDatabaseUnavailable);
}

nlohmann::json RateLimitedResult(int64_t retry_after_seconds) {
  return {{"success", false},
          {"error", true},
          {"code", "RATE_LIMITED"},
          {"message", "Too many payments and refunds from this caller in a short time; nothing was "
                      "charged or refunded. Try again in " +
                          std::to_string(retry_after_seconds) + " seconds."},
          {"retryAfterSeconds", retry_after_seconds}};
}

std::optional<int64_t> RateLimitedRetryAfter(const nlohmann::json& result) {
  if (!IsToolError(result)) return std::nullopt;
  auto code = result.find("code");
  if (code == result.end() || !code->is_string() || code->get<std::string>() != "RATE_LIMITED") {
    return std::nullopt;
  }
  auto retry = result.find("retryAfterSeconds");
  if (retry == result.end() || !retry->is_number_integer()) return std::nullopt;
  return retry->get<int64_t>();
}

bool IsToolError(const nlohmann::json& result) {
  if (!result.is_object()) return false;
  auto it = result.find("error");
  return it != result.end() && it->is_boolean() && it->get<bool>();
}

void ToolRegistry::Add(std::unique_ptr<Tool> tool) { tools_.push_back(std::move(tool)); }

const Tool* ToolRegistry::FindById(const std::string& id) const {
  for (const auto& t : tools_) {
    if (t->id() == id) return t.get();
  }
  return nullptr;
}

const Tool* ToolRegistry::FindByKey(const std::string& key) const {
  for (const auto& t : tools_) {
    if (t->key() == key) return t.get();
  }
  return nullptr;
}

const Tool* ToolRegistry::FindByName(const std::string& name) const {
  const Tool* t = FindByKey(name);
  return t ? t : FindById(name);
}

}  // namespace billing
