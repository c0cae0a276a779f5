// The local planner's answers as CommonMark (docs/tools.md "Answers"): clients render the text
// as Markdown (Mastra's Studio, CometChat, the console), so it must render as it reads.
//
// PlannerMarkdown() turns the planner's line-based text into CommonMark:
//   - a line "- x" is a list item; a list is set apart by blank lines before and after, so the
//     line after it never runs into its last item;
//   - a line "| a | b |" is a table row (built with MarkdownCell), set apart the same way;
//   - a line ending with ':' right before a list or table is its section label, in bold;
//   - other consecutive lines stay lines (a hard line break between them);
//   - every character of the text that Markdown would read as syntax (emphasis, code, links,
//     HTML, headings, block quotes, list markers at a line's start, entities) is escaped, so a
//     company called "*Acme* <b>" shows as typed.
//
// Thread-safety: pure functions.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>

namespace billing {

std::string PlannerMarkdown(std::string_view text);

// `text` escaped for a Markdown table cell (inline syntax and '|').
std::string MarkdownCell(std::string_view text);

// "| a | b |" and its "|---|---:|" separator: `right` marks the columns aligned right (figures).
std::string MarkdownTableRow(const std::initializer_list<std::string>& cells);
std::string MarkdownTableRule(const std::initializer_list<bool>& right);

}  // namespace billing
