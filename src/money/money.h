// Money: exact amounts in integer minor units (cents for USD) plus the parsing and formatting
// rules of billing-rules.md. No binary floating point ever holds an amount: text is parsed as
// decimal digits, and a JSON number is first turned into its shortest round-trip decimal text
// (which reproduces exactly what the sender wrote for any amount with up to 15 significant
// digits, far beyond the configured maximum), then parsed the same way.
//
// Thread-safety: pure functions over values; safe from any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "common/result.h"

namespace billing {

// ISO 4217 currency with its minor-unit exponent (USD 2, JPY 0, KWD 3).
struct Currency {
  std::string_view code;
  int exponent;
  std::string_view symbol;
};

// Looks up a currency by its ISO code; nullopt when unknown.
std::optional<Currency> FindCurrency(std::string_view code);
const Currency& Usd();
// The currency of a stored ISO code; USD for a code the server does not know (records only hold
// codes it wrote, so that is never a customer's money shown in another currency).
Currency CurrencyOrUsd(std::string_view code);

struct AmountRules {
  bool allow_zero = false;               // zero is an error unless allowed
  int64_t max_minor = 100'000'000;       // inclusive upper bound ($1,000,000.00 by default)
};

// Parses a decimal amount written by a person or a model: "1500", "1500.5", "1,500.00",
// "$1500", "USD 1500" or a JSON number. Rejects negatives, zero (unless allowed), more
// decimals than the currency has, non-numbers, NaN/Infinity and amounts above the maximum.
// Errors name `field` and the rule that failed.
Result<int64_t> ParseAmount(std::string_view text, const Currency& currency,
                            const AmountRules& rules, const std::string& field);
Result<int64_t> ParseAmountJson(const nlohmann::json& value, const Currency& currency,
                                const AmountRules& rules, const std::string& field);

// Parses a positive quantity with up to 3 decimals into thousandths ("2" -> 2000).
Result<int64_t> ParseQuantityMilli(const nlohmann::json& value, const std::string& field);

// "$1,620.00", "EUR 1,620.00", "JPY 5,000" (other currencies by their code); negative amounts
// get a leading minus ("-$5.00").
std::string FormatMoney(int64_t minor, const Currency& currency);
// The same for a record's currency code (CurrencyOrUsd).
std::string FormatMoney(int64_t minor, std::string_view currency_code);
// "1620.00": plain decimal text, no grouping or symbol.
std::string FormatDecimal(int64_t minor, int exponent);
std::string FormatQuantity(int64_t quantity_milli);
// A count with thousands separators: 29033 -> "29,033".
std::string FormatCount(int64_t n);

// round-half-up(value * numerator / denominator) for non-negative value; asserts on overflow.
int64_t MulDivRoundHalfUp(int64_t value, int64_t numerator, int64_t denominator);

// JSON pair for an amount: {"<name>Cents": 162000, "<name>": "$1,620.00"} style helpers.
void PutAmount(nlohmann::json& obj, const std::string& name, int64_t minor,
               const Currency& currency = Usd());

}  // namespace billing
