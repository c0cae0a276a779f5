// Character and text helpers of the request parser: ASCII digit/space tests and lowercasing, id
// number padding ("1" -> "001"), small integers, and trimming/clipping of free text. ASCII only:
// bytes >= 0x80 (UTF-8) are never digits, spaces or letters here, and Clip never cuts a UTF-8
// sequence in two.
//
// Thread-safety: pure functions over values; safe to call concurrently from any thread.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace billing::parse {

inline bool IsDigit(char c) {
  return c >= '0' && c <= '9';
}
inline bool IsAllDigits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!IsDigit(c)) return false;
  }
  return true;
}
inline char Lower(char c) {
  return c >= 'A' && c <= 'Z' ? char(c - 'A' + 'a') : c;
}
inline bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

// Digits of an id number without leading zeros, padded to at least 3 ("1" -> "001").
std::string PadSeq(std::string_view digits);

// The value of `s` when it is digits only, at most 9 of them; -1 otherwise.
int ParseSmallInt(std::string_view s);

// `s` without leading spaces, ':', '-', ',' and trailing spaces, '.', '?', '!', ','.
std::string_view TrimView(std::string_view s);

// `s` when it has at most `max` bytes; else its first `max` bytes, fewer when that would cut a
// UTF-8 sequence.
std::string Clip(std::string_view s, size_t max);

}  // namespace billing::parse
