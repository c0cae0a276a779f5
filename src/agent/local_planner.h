// LocalPlanner: the offline, deterministic Model used when no OpenAI key is configured
// (provider "local", model id "billing-planner"). It behaves like a tool-calling chat model,
// one step at a time:
//   - last message from the user: parse it (agent/request_parser.h) and answer with tool calls
//     (finish "tool-calls") or with text that asks for what is missing / refuses (finish "stop");
//   - last messages are tool results: write the final answer from those results only (every
//     figure is copied from a result field or message; nothing is computed or invented).
// A customer named by company ("TechCorp") is resolved in an extra step: list the customers,
// match the name against the user's text, then call the tool with the matching id.
// The planner is stateless: each step re-reads the conversation since the last user message.
// Ids (response id, tool call ids) are hashes of the conversation: same input, same output.
//
// Thread-safety: no mutable state; Plan() and Complete() are safe to call concurrently. The
// Clock must outlive the planner (it is read, never written).
#pragma once

#include <string>
#include <utility>  // std::exchange, used by boost/asio/awaitable.hpp
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <nlohmann/json.hpp>

#include "agent/model.h"
#include "common/clock.h"
#include "common/result.h"

namespace billing {

class LocalPlanner final : public Model {
 public:
  explicit LocalPlanner(const Clock& clock) : clock_(clock) {}

  std::string provider() const override { return "local"; }
  std::string model_id() const override { return "billing-planner"; }

  // Wraps Plan(); never fails.
  boost::asio::awaitable<Result<ModelResponse>> Complete(const ModelRequest& request) override;

  // The next step for `request`, computed synchronously (a few microseconds).
  ModelResponse Plan(const ModelRequest& request) const;

 private:
  const Clock& clock_;
};

// The answer text for one tool result (`tool` is the tool key, `args` the call's arguments or
// null). Exposed for tests.
std::string DescribeToolResult(const std::string& tool, const nlohmann::json& args,
                               const nlohmann::json& result);

// Indexes of the customers (objects with "id" and "company") whose company name appears in
// `text` (case-insensitive; legal suffixes such as "Inc." or "LLC" are optional).
std::vector<size_t> MatchCompanies(const nlohmann::json& customers, std::string_view text);

}  // namespace billing
