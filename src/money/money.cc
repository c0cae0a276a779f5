#include "money/money.h"

#include <array>
#include <charconv>
#include <cmath>
#include <limits>

namespace billing {
namespace {

constexpr std::array<Currency, 6> kCurrencies{{
    {"USD", 2, "$"},
    {"EUR", 2, "\u20ac"},
    {"GBP", 2, "\u00a3"},
    {"JPY", 0, "\u00a5"},
    {"KWD", 3, "KD "},
    {"CAD", 2, "CA$"},
}};

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::string Describe(const std::string& field) { return field.empty() ? "amount" : field; }

}  // namespace

std::optional<Currency> FindCurrency(std::string_view code) {
  for (const Currency& c : kCurrencies) {
    if (c.code == code) return c;
  }
  return std::nullopt;
}

const Currency& Usd() { return kCurrencies[0]; }

Currency CurrencyOrUsd(std::string_view code) { return FindCurrency(code).value_or(Usd()); }

Result<int64_t> ParseAmount(std::string_view input, const Currency& currency,
                            const AmountRules& rules, const std::string& field) {
  const std::string name = Describe(field);
  std::string_view s = Trim(input);
  if (s.size() > 64) return Error::Invalid(field, name + " is too long to be an amount");
  bool negative = false;
  if (!s.empty() && (s.front() == '-' || s.front() == '+')) {
    negative = s.front() == '-';
    s = Trim(s.substr(1));
  }
  // Optional currency marker: the symbol or the ISO code.
  if (s.size() >= currency.code.size() && s.substr(0, currency.code.size()) == currency.code) {
    s = Trim(s.substr(currency.code.size()));
  } else if (!s.empty() && s.substr(0, currency.symbol.size()) == currency.symbol) {
    s = Trim(s.substr(currency.symbol.size()));
  }
  if (!negative && !s.empty() && s.front() == '-') {
    negative = true;
    s = Trim(s.substr(1));
  }
  if (s.empty()) return Error::Invalid(field, name + " must be a number, got empty text");

  // Digits with optional thousands separators, optional fraction, optional exponent (from JSON
  // numbers such as 1e3). Everything is exact integer arithmetic on the digit string.
  std::string digits;  // integer and fraction digits, no separators
  int fraction_digits = 0;
  bool seen_point = false;
  size_t i = 0;
  size_t group_len = 0;
  bool grouped = false;
  for (; i < s.size(); ++i) {
    const char c = s[i];
    if (IsDigit(c)) {
      digits.push_back(c);
      if (seen_point) {
        ++fraction_digits;
      } else {
        ++group_len;
      }
    } else if (c == ',' && !seen_point) {
      if (digits.empty() || (grouped && group_len != 3) || (!grouped && group_len > 3)) {
        return Error::Invalid(field, name + " has misplaced thousands separators: '" +
                                         std::string(input) + "'");
      }
      grouped = true;
      group_len = 0;
    } else if (c == '.' && !seen_point) {
      if (grouped && group_len != 3) {
        return Error::Invalid(field, name + " has misplaced thousands separators: '" +
                                         std::string(input) + "'");
      }
      seen_point = true;
    } else {
      break;
    }
  }
  if (grouped && !seen_point && group_len != 3) {
    return Error::Invalid(field,
                          name + " has misplaced thousands separators: '" + std::string(input) + "'");
  }
  int exponent = 0;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E') && !grouped) {
    ++i;
    bool exp_negative = false;
    if (i < s.size() && (s[i] == '-' || s[i] == '+')) exp_negative = s[i++] == '-';
    const size_t start = i;
    while (i < s.size() && IsDigit(s[i]) && i - start < 4) exponent = exponent * 10 + (s[i++] - '0');
    if (i == start) return Error::Invalid(field, name + " must be a number: '" + std::string(input) + "'");
    if (exp_negative) exponent = -exponent;
  }
  if (digits.empty() || i != s.size()) {
    return Error::Invalid(field, name + " must be a number like 1500 or 1,500.00, got '" +
                                     std::string(input) + "'");
  }
  // Scale: minor = digits * 10^(exponent_of_currency - fraction_digits + exponent).
  int scale = currency.exponent - fraction_digits + exponent;
  // Strip trailing zeros that only add precision ("10.500" is 10.50).
  while (scale < 0 && !digits.empty() && digits.back() == '0') {
    digits.pop_back();
    ++scale;
  }
  if (scale < 0) {
    return Error::Invalid(field, name + " has more than " + std::to_string(currency.exponent) +
                                     " decimal places: '" + std::string(input) + "'");
  }
  // Leading zeros do not count toward magnitude.
  size_t first = digits.find_first_not_of('0');
  std::string_view significant =
      first == std::string::npos ? std::string_view{} : std::string_view(digits).substr(first);
  if (significant.size() + size_t(scale) > 18) {
    return Error::Invalid(field, name + " exceeds the maximum of " +
                                     FormatMoney(rules.max_minor, currency));
  }
  int64_t minor = 0;
  for (char c : significant) minor = minor * 10 + (c - '0');
  for (int k = 0; k < scale; ++k) minor *= 10;

  if (negative && minor != 0) return Error::Invalid(field, name + " must not be negative");
  if (minor == 0 && !rules.allow_zero) return Error::Invalid(field, name + " must be greater than zero");
  if (minor > rules.max_minor) {
    return Error::Invalid(field, name + " exceeds the maximum of " +
                                     FormatMoney(rules.max_minor, currency));
  }
  return minor;
}

Result<int64_t> ParseAmountJson(const nlohmann::json& value, const Currency& currency,
                                const AmountRules& rules, const std::string& field) {
  const std::string name = Describe(field);
  if (value.is_string()) return ParseAmount(value.get_ref<const std::string&>(), currency, rules, field);
  if (value.is_number_integer()) {
    if (value.is_number_unsigned()) {
      const uint64_t u = value.get<uint64_t>();
      if (u > uint64_t(std::numeric_limits<int64_t>::max())) {
        return Error::Invalid(field, name + " exceeds the maximum of " + FormatMoney(rules.max_minor, currency));
      }
    }
    return ParseAmount(std::to_string(value.get<int64_t>()), currency, rules, field);
  }
  if (value.is_number_float()) {
    const double d = value.get<double>();
    if (!std::isfinite(d)) return Error::Invalid(field, name + " must be a finite number");
    // Shortest text that round-trips to the same double: the decimal the sender wrote.
    char buf[64];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, d);
    if (ec != std::errc()) return Error::Invalid(field, name + " must be a number");
    return ParseAmount(std::string_view(buf, size_t(end - buf)), currency, rules, field);
  }
  return Error::Invalid(field, name + " must be a number or a decimal string like \"1500.00\"");
}

Result<int64_t> ParseQuantityMilli(const nlohmann::json& value, const std::string& field) {
  // A quantity is parsed with the same exact decimal rules as a currency with 3 decimals.
  static constexpr Currency kQuantity{"QTY", 3, "#"};
  AmountRules rules;
  rules.max_minor = 1'000'000'000;  // one million units
  auto r = ParseAmountJson(value, kQuantity, rules, field);
  if (!r.ok()) {
    Error e = r.error();
    // Reword messages that mention money.
    if (e.message.find("decimal places") != std::string::npos) {
      e.message = field + " may have at most 3 decimal places";
    } else if (e.message.find("maximum") != std::string::npos) {
      e.message = field + " must be at most 1,000,000";
    } else if (e.message.find("greater than zero") != std::string::npos ||
               e.message.find("negative") != std::string::npos) {
      e.message = field + " must be a positive number";
    }
    return e;
  }
  return r;
}

std::string FormatDecimal(int64_t minor, int exponent) {
  const bool negative = minor < 0;
  uint64_t abs = negative ? uint64_t(0) - uint64_t(minor) : uint64_t(minor);
  uint64_t div = 1;
  for (int k = 0; k < exponent; ++k) div *= 10;
  std::string out = negative ? "-" : "";
  out += std::to_string(abs / div);
  if (exponent > 0) {
    std::string frac = std::to_string(abs % div);
    out += '.';
    out.append(size_t(exponent) - frac.size(), '0');
    out += frac;
  }
  return out;
}

namespace {
// "1234567" -> "1,234,567" (digits only).
std::string GroupThousands(const std::string& whole) {
  std::string grouped;
  for (size_t k = 0; k < whole.size(); ++k) {
    if (k > 0 && (whole.size() - k) % 3 == 0) grouped += ',';
    grouped += whole[k];
  }
  return grouped;
}
}  // namespace

std::string FormatCount(int64_t n) {
  std::string plain = FormatDecimal(n, 0);
  const bool negative = n < 0;
  if (negative) plain.erase(0, 1);
  // Appended, not "-" + ...: GCC 12 warns (-Wrestrict, a false positive) on string::insert.
  std::string out = negative ? "-" : "";
  out += GroupThousands(plain);
  return out;
}

std::string FormatMoney(int64_t minor, const Currency& currency) {
  const bool negative = minor < 0;
  // FormatDecimal negates in unsigned arithmetic: -minor would overflow for INT64_MIN.
  std::string plain = FormatDecimal(minor, currency.exponent);
  if (negative) plain.erase(0, 1);
  const size_t point = plain.find('.');
  const std::string grouped = GroupThousands(plain.substr(0, point));
  std::string out = negative ? "-" : "";
  // "$1,620.00", but "EUR 1,620.00" and "JPY 5,000" (automated-billing.md "Multi-currency"):
  // a code cannot be mistaken for another currency's symbol.
  if (currency.code == "USD") {
    out += currency.symbol;
  } else {
    out += currency.code;
    out += ' ';
  }
  out += grouped;
  if (point != std::string::npos) out += plain.substr(point);
  return out;
}

std::string FormatMoney(int64_t minor, std::string_view currency_code) {
  return FormatMoney(minor, CurrencyOrUsd(currency_code));
}

std::string FormatQuantity(int64_t quantity_milli) {
  std::string s = FormatDecimal(quantity_milli, 3);
  while (s.back() == '0') s.pop_back();
  if (s.back() == '.') s.pop_back();
  return s;
}

int64_t MulDivRoundHalfUp(int64_t value, int64_t numerator, int64_t denominator) {
  assert(value >= 0 && numerator >= 0 && denominator > 0);
  const __int128 product = __int128(value) * numerator;
  const __int128 rounded = (product * 2 + denominator) / (__int128(denominator) * 2);
  assert(rounded <= std::numeric_limits<int64_t>::max());
  return int64_t(rounded);
}

void PutAmount(nlohmann::json& obj, const std::string& name, int64_t minor, const Currency& currency) {
  obj[name + "Cents"] = minor;
  obj[name] = FormatMoney(minor, currency);
}

}  // namespace billing
