// A tool is one billing capability the agent (or an HTTP caller) can invoke with JSON input:
// get-customer, manage-invoices, process-payment. Each has a stable id (used by the HTTP tool
// routes), a key (the name the model sees, as in Mastra's agent tools map), a description and a
// JSON Schema (draft-07) for its input.
//
// Execute() never throws and never crashes on input: the input is validated against the schema
// (JSON null counts as absent) and the business rules, and every failure comes back as a result
// object with "error": true and a message naming the field and the rule (see ToolErrorResult).
//
// Thread-safety: tools are immutable after construction; Execute() is safe from many threads.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "auth/scopes.h"
#include "billing/types.h"
#include "common/result.h"
#include "observability/metrics.h"

namespace billing {

// Admits or refuses a call that moves money (payment, refund, mark paid) before it runs; the
// HTTP layer implements it with the payments rate limit (http/rate_limiter.h).
class MoneyMovementLimiter {
 public:
  virtual ~MoneyMovementLimiter() = default;
  // nullopt = admitted; else the seconds until the caller may try again. An error (the shared
  // buckets' database unavailable) admits nothing.
  virtual Result<std::optional<int64_t>> Admit(const std::string& caller) const = 0;
};

// Who is calling, carried into every change a tool makes, and what the caller may do: every
// tool call runs with the scopes of the authenticated caller (auth/scopes.h), whatever the
// model asked for. The default (all scopes) is the development-mode anonymous caller.
struct ToolContext {
  // Recorded with every change: actor.principal is the authenticated caller ("key:<prefix>",
  // "jwt:<sub>", "dev"); actor.on_behalf_of the end user it claims ("cometchat:<uid>"), if any.
  Actor actor;
  nlohmann::json request_context;  // runtimeContext / requestContext as sent, or null
  std::string principal;           // "key:<prefix>" / "jwt:<sub>"; "" when unauthenticated
  ScopeSet scopes = kAllScopes;    // what this caller may do
  std::string request_id;          // the HTTP request id, recorded in the audit log
  std::string idempotency_key;     // the request's Idempotency-Key, recorded with its events
  // Makes a change idempotent (BillingService "Operation keys"): set per tool call from the
  // request's Idempotency-Key or from the conversation thread and tool call id. Empty = none.
  std::string operation_key;
  const MoneyMovementLimiter* limiter = nullptr;  // nullptr = no rate limit
  std::string rate_key;                           // the caller's bucket for `limiter`
  // A customer-bound caller's customer (canonical id; tools/customer_binding.h): every call
  // reaches that customer's records only. "" = not bound.
  std::string bound_customer;
  // Counts each call by tool and outcome (/metrics); nullptr = not counted.
  observability::Metrics* metrics = nullptr;
};

class Tool {
 public:
  virtual ~Tool() = default;
  virtual const std::string& id() const = 0;   // "get-customer"
  virtual const std::string& key() const = 0;  // "getCustomerTool"
  virtual const std::string& description() const = 0;
  virtual const nlohmann::json& input_schema() const = 0;   // JSON Schema draft-07
  virtual const nlohmann::json& output_schema() const = 0;  // JSON Schema draft-07
  virtual nlohmann::json Execute(const nlohmann::json& input, const ToolContext& ctx) const = 0;
  // Whether this call may change the ledger (and so wait for a durable commit).
  virtual bool Writes(const nlohmann::json& input) const { return false; }
};

// The tool result for a broken rule or a failed lookup:
// {"success":false,"error":true,"code":"NOT_FOUND","field":"customerId","message":"..."}.
nlohmann::json ToolErrorResult(const Error& error);

// The tool result for a call the caller has no scope for:
// {"success":false,"error":true,"code":"PERMISSION_DENIED","message":"This caller lacks ..."}.
nlohmann::json PermissionDeniedResult(const ScopeRequirement& requirement);
// True when `result` is such a result (the HTTP tool routes answer it with 403).
bool IsPermissionDenied(const nlohmann::json& result);

// The tool result for a money movement refused by the rate limit:
// {"success":false,"error":true,"code":"RATE_LIMITED","message":"...","retryAfterSeconds":N}.
nlohmann::json RateLimitedResult(int64_t retry_after_seconds);
// The retry-after seconds of such a result, or nullopt for any other result.
std::optional<int64_t> RateLimitedRetryAfter(const nlohmann::json& result);

// The tool result when the database cannot be reached (nothing ran):
// {"success":false,"error":true,"code":"DATABASE_UNAVAILABLE","message":"database unavailable"}.
// The HTTP routes answer it, and a run that meets it, with 503 {"error":"database unavailable"}.
nlohmann::json DatabaseUnavailableResult();
bool IsDatabaseUnavailable(const nlohmann::json& result);

// True when a tool result reports an error (validation or business rule).
bool IsToolError(const nlohmann::json& result);

// Owns the tools and finds them by id or by key, in registration order.
class ToolRegistry {
 public:
  void Add(std::unique_ptr<Tool> tool);
  const Tool* FindById(const std::string& id) const;
  const Tool* FindByKey(const std::string& key) const;
  // By key first, then by id (models sometimes use the id).
  const Tool* FindByName(const std::string& name) const;
  const std::vector<std::unique_ptr<Tool>>& all() const { return tools_; }

 private:
  std::vector<std::unique_ptr<Tool>> tools_;
};

}  // namespace billing
