#include "security/card_data.h"

#include <vector>

namespace billing::security {
namespace {

bool IsDigit(char c) {
  return c >= '0' && c <= '9';
}

// Digit groups separated by single spaces or dashes, starting at text[begin] (a digit not
// preceded by a digit).
struct Group {
  size_t begin = 0;
  size_t end = 0;  // one past the last digit
};

std::vector<Group> ScanGroups(std::string_view text, size_t begin) {
  std::vector<Group> groups;
  size_t i = begin;
  while (i < text.size() && groups.size() < 64) {
    Group g{i, i};
    while (g.end < text.size() && IsDigit(text[g.end])) ++g.end;
    groups.push_back(g);
    i = g.end;
    const bool separator =
        i + 1 < text.size() && (text[i] == ' ' || text[i] == '-') && IsDigit(text[i + 1]);
    if (!separator) break;
    ++i;
  }
  return groups;
}

// Grouped the way cards are printed: 13-19 digits in groups of 4 (or 6, as Amex's middle group),
// the last group 1-6 digits. Dates (2026-12-31) and lists of amounts (100 200 300) are not.
bool LooksLikeGroupedCard(std::string_view text, const std::vector<Group>& groups) {
  size_t digits = 0;
  for (size_t k = 0; k < groups.size(); ++k) {
    const size_t len = groups[k].end - groups[k].begin;
    digits += len;
    const bool last = k + 1 == groups.size();
    if (!last && len != 4 && len != 6) return false;
    if (last && (len < 1 || len > 6)) return false;
  }
  return groups.size() > 1 && digits >= kMinCardDigits && digits <= kMaxCardDigits;
}

std::string Digits(std::string_view text, const Group& from, const Group& to) {
  std::string out;
  for (size_t i = from.begin; i < to.end; ++i) {
    if (IsDigit(text[i])) out.push_back(text[i]);
  }
  return out;
}

}  // namespace

bool LuhnValid(std::string_view digits) {
  if (digits.empty()) return false;
  int sum = 0;
  bool double_it = false;
  for (size_t k = digits.size(); k-- > 0;) {
    if (!IsDigit(digits[k])) return false;
    int d = digits[k] - '0';
    if (double_it) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double_it = !double_it;
  }
  return sum % 10 == 0;
}

std::string CardBrand(std::string_view d) {
  auto prefix = [&](size_t n) {
    return d.size() >= n ? std::stoi(std::string(d.substr(0, n))) : -1;
  };
  if (!d.empty() && d[0] == '4') return "visa";
  const int p2 = prefix(2), p3 = prefix(3), p4 = prefix(4);
  if ((p2 >= 51 && p2 <= 55) || (p4 >= 2221 && p4 <= 2720)) return "mastercard";
  if (p2 == 34 || p2 == 37) return "amex";
  if (p4 == 6011 || p2 == 65 || (p3 >= 644 && p3 <= 649)) return "discover";
  return "card";
}

bool ContainsCardNumber(std::string_view text) {
  size_t run_digits = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    if (IsDigit(text[i])) {
      if (++run_digits >= kMinCardDigits) return true;
    } else if (!((text[i] == ' ' || text[i] == '-') && run_digits > 0 && i + 1 < text.size() &&
                 IsDigit(text[i + 1]))) {
      run_digits = 0;
    }
  }
  return false;
}

std::string RedactCardNumbers(std::string_view text, size_t* count) {
  if (count != nullptr) *count = 0;
  if (!ContainsCardNumber(text)) return std::string(text);
  std::string out;
  out.reserve(text.size());
  auto redacted = [&](const std::string& digits) {
    if (count != nullptr) ++*count;
    return "[card ending " + digits.substr(digits.size() - 4) + "]";
  };
  size_t i = 0;
  while (i < text.size()) {
    const bool starts_run = IsDigit(text[i]) && (i == 0 || !IsDigit(text[i - 1]));
    if (!starts_run) {
      out.push_back(text[i++]);
      continue;
    }
    const std::vector<Group> groups = ScanGroups(text, i);
    if (LooksLikeGroupedCard(text, groups)) {
      out += redacted(Digits(text, groups.front(), groups.back()));
    } else {
      // Not a printed card as a whole: any single group of 13+ digits still is one.
      for (size_t k = 0; k < groups.size(); ++k) {
        const Group& g = groups[k];
        if (k > 0) out.push_back(text[g.begin - 1]);  // the separator
        if (g.end - g.begin >= kMinCardDigits) {
          out += redacted(std::string(text.substr(g.begin, g.end - g.begin)));
        } else {
          out.append(text.substr(g.begin, g.end - g.begin));
        }
      }
    }
    i = groups.back().end;
  }
  return out;
}

}  // namespace billing::security
