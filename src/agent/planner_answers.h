// The local planner's answers: how a tool result becomes the text the user reads. Every figure
// comes from the result (counts, totals, amounts as the tools formatted them); a list says how
// many rows it shows of the exact count; a question asked of a list (ParsedRequest::question) is
// answered first. DescribeToolResult (agent/local_planner.h) is the entry point; the helpers
// below are shared with the planner's step logic (local_planner.cc).
//
// Thread-safety: pure functions over values; safe to call concurrently from any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "agent/request_parser.h"

namespace billing::planner {

inline constexpr size_t kMaxListed = 50;  // rows shown per list in an answer

// Reading a result without throwing: a missing or null key reads as absent / "" / 0 / empty.
const nlohmann::json* Field(const nlohmann::json& o, const char* key);
std::string Str(const nlohmann::json& o, const char* key);
int64_t Int(const nlohmann::json& o, const char* key);
bool True(const nlohmann::json& o, const char* key);
const nlohmann::json& Array(const nlohmann::json& o, const char* key);
const nlohmann::json& Object(const nlohmann::json& o, const char* key);

// "1 invoice", "9,750 invoices".
std::string Plural(int64_t n, const char* word);
// "\n- … and 12 more" when `total` rows exceed kMaxListed.
void MoreRows(std::string& out, size_t total);
// "overdue (3 days overdue)".
std::string StatusWithDays(const nlohmann::json& inv);

// The answer to the question `p` asks of the list result `r` ("TechCorp Inc. (CUST-001) owes
// the most: $2,450.00.", "There are 2 overdue invoices ($3,325.50 still due).", "Yes: ...",
// "Collected from ... to ...: $750.00 ..."); "" when it asks none.
std::string QuestionLead(const ParsedRequest& p, const nlohmann::json& r);

}  // namespace billing::planner
