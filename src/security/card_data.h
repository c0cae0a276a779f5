// Card data rules: what a card number looks like, its brand, and redaction of card-number-like
// digit runs from free text (chat messages, tool results, log lines) before they reach the model,
// the memory store or the logs.
//
// A card-number-like run is 13 or more digits, optionally grouped by single spaces or dashes
// ("4242 4242 4242 4242", "4242-4242-4242-4242"). Every such run is redacted, Luhn-valid or not:
// a mistyped card number is still a card number. Runs of 12 digits or fewer (phone numbers,
// amounts, ids) are left alone.
//
// Thread-safety: pure functions.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace billing::security {

inline constexpr size_t kMinCardDigits = 13;
inline constexpr size_t kMaxCardDigits = 19;

// True when `digits` (digits only) passes the Luhn checksum.
bool LuhnValid(std::string_view digits);
// "visa", "mastercard", "amex", "discover" or "card" (unknown), from the leading digits.
std::string CardBrand(std::string_view digits);
// `text` with every card-number-like run replaced by "[card ending NNNN]" (the last four digits,
// which PCI DSS allows to be shown). *count (optional) gets the number of runs replaced.
std::string RedactCardNumbers(std::string_view text, size_t* count = nullptr);
// True when `text` contains a card-number-like run (cheap pre-check).
bool ContainsCardNumber(std::string_view text);

}  // namespace billing::security
