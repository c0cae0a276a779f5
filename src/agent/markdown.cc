// The planner's answers as CommonMark; see markdown.h.
#include "agent/markdown.h"

#include <cctype>
#include <vector>

namespace billing {

namespace {

bool IsAlnum(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0;
}

// An '&' that starts something Markdown reads as an entity ("&amp;", "&#38;").
bool StartsEntity(std::string_view text, size_t at) {
  size_t k = at + 1;
  if (k < text.size() && text[k] == '#') ++k;
  const size_t first = k;
  while (k < text.size() && k - first < 32 && IsAlnum(text[k])) ++k;
  return k > first && k < text.size() && text[k] == ';';
}

// Inline syntax escaped: emphasis, code spans, links and images, autolinks and HTML, entities,
// strikethrough, and (with `cell`) the table's column separator.
std::string EscapeInline(std::string_view text, bool cell) {
  std::string out;
  out.reserve(text.size() + 8);
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    bool escape = false;
    switch (c) {
      case '\\':
      case '`':
      case '*':
      case '<':
      case '[':
      case ']':
      case '~':
        escape = true;
        break;
      case '_': {
        // Inside a word ("net_30") '_' cannot open or close emphasis; elsewhere it can.
        const bool inside =
            i > 0 && i + 1 < text.size() && IsAlnum(text[i - 1]) && IsAlnum(text[i + 1]);
        escape = !inside;
        break;
      }
      case '&':
        escape = StartsEntity(text, i);
        break;
      case '|':
        escape = cell;
        break;
      default:
        break;
    }
    if (escape) out += '\\';
    out += c;
  }
  return out;
}

// A line's start escaped where Markdown would read a block: a heading, a block quote, a list
// item ("- ", "+ ", "* ", "1. ", "1) "), a thematic break or a setext underline.
std::string EscapeLineStart(std::string line) {
  size_t lead = 0;
  while (lead < line.size() && lead < 3 && line[lead] == ' ') ++lead;
  if (lead == line.size()) return line;
  const char c = line[lead];
  if (c == '#' || c == '>' || c == '+' || c == '-' || c == '=') {
    line.insert(lead, 1, '\\');
    return line;
  }
  size_t digits = lead;
  while (digits < line.size() && digits - lead < 10 &&
         std::isdigit(static_cast<unsigned char>(line[digits]))) {
    ++digits;
  }
  if (digits > lead && digits - lead <= 9 && digits < line.size() &&
      (line[digits] == '.' || line[digits] == ')') &&
      (digits + 1 == line.size() || line[digits + 1] == ' ')) {
    line.insert(digits, 1, '\\');
  }
  return line;
}

enum class Kind { kNone, kBlank, kText, kLabel, kItem, kTable };

struct Line {
  Kind kind;
  std::string text;  // as Markdown
  bool label = false;
};

std::vector<std::string_view> SplitLines(std::string_view text) {
  std::vector<std::string_view> lines;
  size_t start = 0;
  while (start <= text.size()) {  // bounded: `start` advances past one '\n' a round
    const size_t end = text.find('\n', start);
    if (end == std::string_view::npos) {
      lines.push_back(text.substr(start));
      break;
    }
    lines.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return lines;
}

bool Blank(std::string_view line) {
  for (char c : line) {
    if (c != ' ' && c != '\t' && c != '\r') return false;
  }
  return true;
}

}  // namespace

std::string MarkdownCell(std::string_view text) {
  return EscapeInline(text, true);
}

std::string MarkdownTableRow(const std::initializer_list<std::string>& cells) {
  std::string row = "|";
  for (const std::string& cell : cells) row += " " + cell + " |";
  return row;
}

std::string MarkdownTableRule(const std::initializer_list<bool>& right) {
  std::string row = "|";
  for (bool r : right) row += r ? "---:|" : "---|";
  return row;
}

std::string PlannerMarkdown(std::string_view text) {
  std::vector<Line> lines;
  for (std::string_view raw : SplitLines(text)) {
    if (!raw.empty() && raw.back() == '\r') raw.remove_suffix(1);
    if (Blank(raw)) {
      lines.push_back({Kind::kBlank, ""});
    } else if (raw.starts_with("- ")) {
      lines.push_back({Kind::kItem, "- " + EscapeLineStart(EscapeInline(raw.substr(2), false))});
    } else if (raw.starts_with("|")) {
      lines.push_back({Kind::kTable, std::string(raw)});  // built by MarkdownTableRow: escaped
    } else {
      lines.push_back({Kind::kText, EscapeLineStart(EscapeInline(raw, false))});
    }
  }
  // A text line ending with ':' right before a list or a table labels it.
  for (size_t i = 0; i + 1 < lines.size(); ++i) {
    if (lines[i].kind == Kind::kText && lines[i].text.ends_with(':') &&
        (lines[i + 1].kind == Kind::kItem || lines[i + 1].kind == Kind::kTable)) {
      lines[i].label = true;
    }
  }
  // Lines of one text block are kept apart by a hard break; a label, a list or a table is a
  // block of its own, with a blank line before and after it.
  std::string out;
  Kind previous = Kind::kNone;
  for (const Line& line : lines) {
    if (line.kind == Kind::kBlank) {
      if (previous != Kind::kNone) previous = Kind::kBlank;
      continue;
    }
    const Kind kind = line.label ? Kind::kLabel : line.kind;
    if (previous == Kind::kNone) {
      // the first line
    } else if (previous == Kind::kText && kind == Kind::kText) {
      out += "  \n";
    } else if (previous == kind && (kind == Kind::kItem || kind == Kind::kTable)) {
      out += "\n";
    } else {
      out += "\n\n";
    }
    out += line.label ? "**" + line.text + "**" : line.text;
    previous = kind;
  }
  return out;
}

}  // namespace billing
