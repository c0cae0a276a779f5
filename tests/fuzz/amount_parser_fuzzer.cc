// Fuzzes the money parser and formatter (src/money/money.h): the input is the text of an amount
// as a person, a model or a JSON body would write it ("12.34", "$1,000.00", "USD 5", "1e3").
//
// Invariants, for USD, JPY (0 decimals), KWD (3 decimals, symbol "KD ") and EUR (multi-byte
// symbol), with the default rules and with zero allowed and no practical maximum:
//   - ParseAmount never returns a negative amount, never zero unless allowed, never more than
//     the maximum; errors name the field;
//   - a parsed amount formatted with FormatMoney ("$1,234.50") or FormatDecimal ("1234.50")
//     parses back to the same minor units; surrounding blanks change nothing;
//   - the JSON string and, when the text is a JSON number, the JSON number parse to the same
//     minor units as the text (a number may be accepted where its text is not: "1.0000000001"
//     rounds to a double with fewer digits; never the other way round);
//   - FormatMoney/FormatDecimal of any int64 (from the first 8 bytes) is defined (no overflow)
//     and round-trips for every non-negative value below 10^18 (the parser's 18-digit limit);
//   - ParseQuantityMilli gives a positive quantity of at most one million units that
//     round-trips through FormatQuantity;
//   - MulDivRoundHalfUp (tax) rounds half up exactly: 2vn - d < 2rd <= 2vn + d.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "fuzz_support.h"
#include "money/money.h"

namespace {

using billing::AmountRules;
using billing::Currency;
using nlohmann::json;

constexpr int64_t kMaxInt64 = std::numeric_limits<int64_t>::max();
constexpr int64_t kBelowParserLimit = 1'000'000'000'000'000'000;  // 10^18

void CheckRoundTrip(int64_t minor, const Currency& currency) {
  AmountRules any;
  any.allow_zero = true;
  any.max_minor = kMaxInt64;
  const std::string money = billing::FormatMoney(minor, currency);
  const std::string plain = billing::FormatDecimal(minor, currency.exponent);
  if (minor < 0) {
    FUZZ_CHECK(money.front() == '-' && plain.front() == '-', "negative %lld formats as %s / %s",
               (long long)minor, money.c_str(), plain.c_str());
    FUZZ_CHECK(!billing::ParseAmount(money, currency, any, "amount").ok(), "negative %s parsed",
               money.c_str());
    return;
  }
  if (minor >= kBelowParserLimit) return;
  auto from_money = billing::ParseAmount(money, currency, any, "amount");
  auto from_plain = billing::ParseAmount(plain, currency, any, "amount");
  FUZZ_CHECK(
      from_money.ok() && *from_money == minor, "%lld -> '%s' does not parse back (%s)",
      (long long)minor, money.c_str(),
      from_money.ok() ? std::to_string(*from_money).c_str() : from_money.error().message.c_str());
  FUZZ_CHECK(from_plain.ok() && *from_plain == minor, "%lld -> '%s' does not parse back",
             (long long)minor, plain.c_str());
}

// Only what a JSON number can look like, without the blanks json::parse skips and ParseAmount
// does not.
bool LooksLikeJsonNumber(std::string_view text) {
  if (text.empty()) return false;
  for (char c : text) {
    if (!((c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E')) {
      return false;
    }
  }
  return true;
}

void CheckText(std::string_view text, const Currency& currency, const AmountRules& rules) {
  auto parsed = billing::ParseAmount(text, currency, rules, "amount");
  auto from_json_string =
      billing::ParseAmountJson(json(std::string(text)), currency, rules, "amount");
  FUZZ_CHECK(parsed.ok() == from_json_string.ok() && (!parsed.ok() || *parsed == *from_json_string),
             "text and JSON string differ for '%.*s'", int(text.size()), text.data());
  const std::string padded = " \t" + std::string(text) + "\t ";
  auto from_padded = billing::ParseAmount(padded, currency, rules, "amount");
  // Padding can only push text over the 64-byte limit, never change the value.
  FUZZ_CHECK(!from_padded.ok() || (parsed.ok() && *parsed == *from_padded), "blanks change '%.*s'",
             int(text.size()), text.data());
  if (!parsed.ok()) {
    FUZZ_CHECK(parsed.error().field == "amount" && !parsed.error().message.empty(),
               "error without field or message for '%.*s'", int(text.size()), text.data());
    return;
  }
  const int64_t minor = *parsed;
  FUZZ_CHECK(minor >= 0, "negative amount %lld from '%.*s'", (long long)minor, int(text.size()),
             text.data());
  FUZZ_CHECK(minor > 0 || rules.allow_zero, "zero accepted from '%.*s'", int(text.size()),
             text.data());
  FUZZ_CHECK(minor <= rules.max_minor, "%lld above the maximum from '%.*s'", (long long)minor,
             int(text.size()), text.data());
  CheckRoundTrip(minor, currency);
}

void CheckJsonNumber(std::string_view text) {
  if (!LooksLikeJsonNumber(text)) return;
  const json number = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!number.is_number()) return;
  const AmountRules rules;
  auto from_number = billing::ParseAmountJson(number, billing::Usd(), rules, "amount");
  auto from_text = billing::ParseAmount(text, billing::Usd(), rules, "amount");
  if (from_number.ok()) {
    FUZZ_CHECK(*from_number > 0 && *from_number <= rules.max_minor, "JSON %.*s gave %lld",
               int(text.size()), text.data(), (long long)*from_number);
  }
  // Within the default maximum an accepted text has at most 10 significant digits, which a
  // double holds exactly: the number must give the same cents.
  if (from_text.ok()) {
    FUZZ_CHECK(from_number.ok() && *from_number == *from_text,
               "JSON number %.*s: text gives %lld, number gives %s", int(text.size()), text.data(),
               (long long)*from_text,
               from_number.ok() ? std::to_string(*from_number).c_str()
                                : from_number.error().message.c_str());
  }
  // An integer is converted to its exact decimal text, so it is accepted exactly when its text is.
  if (number.is_number_integer()) {
    FUZZ_CHECK(from_number.ok() == from_text.ok(), "JSON integer %.*s: text %s, number %s",
               int(text.size()), text.data(), from_text.ok() ? "ok" : "rejected",
               from_number.ok() ? "ok" : "rejected");
  }
}

void CheckQuantity(std::string_view text) {
  auto q = billing::ParseQuantityMilli(json(std::string(text)), "quantity");
  if (!q.ok()) return;
  FUZZ_CHECK(*q > 0 && *q <= 1'000'000'000, "quantity %lld from '%.*s'", (long long)*q,
             int(text.size()), text.data());
  const std::string formatted = billing::FormatQuantity(*q);
  auto back = billing::ParseQuantityMilli(json(formatted), "quantity");
  FUZZ_CHECK(back.ok() && *back == *q, "quantity %lld -> '%s' does not parse back", (long long)*q,
             formatted.c_str());
}

void CheckMulDiv(const uint8_t* data, size_t size) {
  if (size < 24) return;
  uint64_t raw[3];
  std::memcpy(raw, data, sizeof raw);
  // The ranges the ledger uses: amounts up to $10^10, rates up to 1000% in basis points.
  const int64_t value = int64_t(raw[0] % 1'000'000'000'000);
  const int64_t numerator = int64_t(raw[1] % 100'001);
  const int64_t denominator = int64_t(raw[2] % 1'000'000) + 1;
  const int64_t r = billing::MulDivRoundHalfUp(value, numerator, denominator);
  const __int128 twice_exact = __int128(value) * numerator * 2;
  const __int128 twice_result = __int128(r) * denominator * 2;
  FUZZ_CHECK(twice_exact - denominator < twice_result && twice_result <= twice_exact + denominator,
             "MulDivRoundHalfUp(%lld, %lld, %lld) = %lld", (long long)value, (long long)numerator,
             (long long)denominator, (long long)r);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  static const Currency kCurrencies[] = {billing::Usd(), *billing::FindCurrency("JPY"),
                                         *billing::FindCurrency("KWD"),
                                         *billing::FindCurrency("EUR")};
  AmountRules any;
  any.allow_zero = true;
  any.max_minor = kMaxInt64;
  for (const Currency& currency : kCurrencies) {
    CheckText(text, currency, AmountRules{});
    CheckText(text, currency, any);
  }
  CheckJsonNumber(text);
  CheckQuantity(text);
  if (size >= sizeof(int64_t)) {
    int64_t minor;
    std::memcpy(&minor, data, sizeof minor);
    for (const Currency& currency : kCurrencies) CheckRoundTrip(minor, currency);
  }
  CheckMulDiv(data, size);
  return 0;
}
