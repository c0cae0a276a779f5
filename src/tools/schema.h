// Validation of tool input against the subset of JSON Schema (draft-07) the tools declare:
// type (single or list), enum, properties, required, additionalProperties, items, minItems,
// maxItems, minLength, maxLength, minimum, exclusiveMinimum, anyOf. No Debian package offers a
// C++ JSON Schema validator, so this small one is hand-written; the tools' schemas use nothing
// else (a unit test checks that).
//
// JSON null counts as absent: StripNulls() removes null-valued object members (recursively)
// before validation, because OpenAI models send null for optional arguments they do not use.
//
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace billing {

struct SchemaIssue {
  std::string path;     // "items[0].unitPrice"; empty for the root
  std::string message;  // "Required", "Expected number, received string"
};

nlohmann::json StripNulls(const nlohmann::json& value);

// Returns the issues found (empty = valid), at most `max_issues`.
std::vector<SchemaIssue> ValidateSchema(const nlohmann::json& schema, const nlohmann::json& value,
                                        size_t max_issues = 20);

// Mastra's result for input that fails the schema:
// {"error":true,"message":"Tool validation failed for <id>. Please fix the following errors and
//  try again:\n- field: message\n\nProvided arguments: {...}","validationErrors":{...}}
nlohmann::json ValidationFailureResult(const std::string& tool_id, const nlohmann::json& args,
                                       const std::vector<SchemaIssue>& issues);

// Keywords ValidateSchema understands; used by tests to check the tools' schemas.
bool SchemaUsesOnlySupportedKeywords(const nlohmann::json& schema, std::string* unsupported);

}  // namespace billing
