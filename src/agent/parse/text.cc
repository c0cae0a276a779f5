#include "agent/parse/text.h"

namespace billing::parse {

std::string PadSeq(std::string_view digits) {
  while (digits.size() > 1 && digits.front() == '0') digits.remove_prefix(1);
  std::string out(digits);
  while (out.size() < 3) out.insert(out.begin(), '0');
  return out;
}

int ParseSmallInt(std::string_view s) {  // digits only, at most 9; -1 otherwise
  if (!IsAllDigits(s) || s.size() > 9) return -1;
  int v = 0;
  for (char c : s) v = v * 10 + (c - '0');
  return v;
}

std::string_view TrimView(std::string_view s) {
  while (!s.empty() &&
         (IsSpace(s.front()) || s.front() == ':' || s.front() == '-' || s.front() == ',')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (IsSpace(s.back()) || s.back() == '.' || s.back() == '?' ||
                        s.back() == '!' || s.back() == ',')) {
    s.remove_suffix(1);
  }
  return s;
}

std::string Clip(std::string_view s, size_t max) {
  if (s.size() <= max) return std::string(s);
  size_t cut = max;
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;  // UTF-8
  return std::string(s.substr(0, cut));
}

}  // namespace billing::parse
