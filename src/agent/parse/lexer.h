// The request lexer: one chat message (and its lowercased copy) becomes typed tokens — words with
// their vocabulary bits, numbers, amounts, dates, customer/invoice/payment ids and punctuation.
// Lex() reads each token by itself ("$1,500", "2k", "cust-1", "inv-2025-001", "2026-12-15",
// "15th", "2x"); Merge() then joins tokens that only mean something together ("$ 1500",
// "1500 dollars", "payment of 750", "customer 1", "invoice number 3", and the date phrases of
// dates.h). Amounts are parsed exactly with ParseAmount (minor units, never a double); the first
// amount or date that looks like one but does not parse is kept as a message in Lexed.
//
// A Tok's `low` views the lowercased copy passed to Lex: keep that string alive while the tokens
// are used.
//
// Thread-safety: pure functions over values; safe to call concurrently from any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"

namespace billing::parse {

inline constexpr size_t kMaxTextBytes = 4096;  // longer messages are parsed up to here

enum class Kind { kWord, kNumber, kAmount, kDate, kCustId, kInvId, kPayId, kSubId, kPunct };

struct Tok {
  Kind kind = Kind::kWord;
  uint32_t begin = 0, end = 0;  // byte span in the original text
  std::string_view low;         // lowercased text of the span
  uint64_t bits = 0;            // kWord: vocabulary bits
  int64_t minor = 0;            // kAmount
  int num = -1;                 // kNumber: integer value when plain (digits only), else -1
  bool hash = false;            // kNumber written "#3"
  bool ordinal = false;         // kNumber written "15th"
  bool times = false;           // kNumber written "2x" / "x2"
  bool bad = false;             // kAmount / kDate that did not parse (or is not positive)
  bool negative = false;        // kAmount / kNumber written with a minus sign
  Date date;                    // kDate
  std::string id;               // ids: normalised; kNumber: decimal text without commas
};

struct Lexed {
  std::vector<Tok> toks;
  std::string bad_amount;  // message for the first amount that failed to parse
  std::string bad_date;
  std::string nonpositive_amount;  // the first amount written negative or zero ("-$20", "$0")
};

inline bool IsWord(const Tok& t, std::string_view w) {
  return t.kind == Kind::kWord && t.low == w;
}

// Whether any token of `toks` is the word `w` (lowercase).
inline bool HasWord(const std::vector<Tok>& toks, std::string_view w) {
  for (const Tok& t : toks) {
    if (IsWord(t, w)) return true;
  }
  return false;
}
inline bool IsPunct(const Tok& t, char c) {
  return t.kind == Kind::kPunct && t.low.size() == 1 && t.low[0] == c;
}

// First pass: the tokens of `text` (at most kMaxTextBytes of it); `lc` is `text` lowercased.
// Spaces separate tokens; brackets, '?', '!', ';', ':' and the like are tokens of their own
// (quotes,
// '*' and '`' are dropped), and so are a ',' or '.' that ends a word.
Lexed Lex(std::string_view text, std::string_view lc);

// Second pass: multi-token amounts, ids, dates.
std::vector<Tok> Merge(std::vector<Tok> in, const Date& today, Lexed& lx);

}  // namespace billing::parse
