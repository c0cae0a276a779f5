#include "money/money.h"

#include <gtest/gtest.h>

namespace billing {
namespace {

using nlohmann::json;

int64_t Parse(const std::string& s) {
  auto r = ParseAmount(s, Usd(), AmountRules{}, "amount");
  EXPECT_TRUE(r.ok()) << s << ": " << (r.ok() ? "" : r.error().message);
  return r.ok() ? r.value() : -1;
}

std::string ParseError(const json& v, AmountRules rules = {}) {
  auto r = ParseAmountJson(v, Usd(), rules, "amount");
  EXPECT_FALSE(r.ok()) << v.dump();
  return r.ok() ? "" : r.error().message;
}

TEST(ParseAmount, AcceptsTheWaysPeopleAndModelsWriteAmounts) {
  EXPECT_EQ(Parse("1500"), 150000);
  EXPECT_EQ(Parse("1500.5"), 150050);
  EXPECT_EQ(Parse("1,500.00"), 150000);
  EXPECT_EQ(Parse("$1500"), 150000);
  EXPECT_EQ(Parse("$1,500.00"), 150000);
  EXPECT_EQ(Parse("USD 1500"), 150000);
  EXPECT_EQ(Parse(" 0.01 "), 1);
  EXPECT_EQ(Parse("1,000,000.00"), 100000000);
  EXPECT_EQ(Parse("10.500"), 1050);  // trailing zeros add no precision
  EXPECT_EQ(Parse("1e3"), 100000);
}

TEST(ParseAmount, JsonNumbersAreExact) {
  AmountRules rules;
  EXPECT_EQ(ParseAmountJson(json(1500), Usd(), rules, "amount").value(), 150000);
  EXPECT_EQ(ParseAmountJson(json(1500.5), Usd(), rules, "amount").value(), 150050);
  EXPECT_EQ(ParseAmountJson(json(19.99), Usd(), rules, "amount").value(), 1999);
  EXPECT_EQ(ParseAmountJson(json(0.1), Usd(), rules, "amount").value(), 10);
  EXPECT_EQ(ParseAmountJson(json(875.5), Usd(), rules, "amount").value(), 87550);
  EXPECT_EQ(ParseAmountJson(json("2,450.00"), Usd(), rules, "amount").value(), 245000);
}

TEST(ParseAmount, RejectsWithFieldAndRule) {
  EXPECT_NE(ParseError(json(-5)).find("must not be negative"), std::string::npos);
  EXPECT_NE(ParseError(json("-$5")).find("must not be negative"), std::string::npos);
  EXPECT_NE(ParseError(json(0)).find("greater than zero"), std::string::npos);
  EXPECT_NE(ParseError(json("0.00")).find("greater than zero"), std::string::npos);
  EXPECT_NE(ParseError(json(10.001)).find("more than 2 decimal places"), std::string::npos);
  EXPECT_NE(ParseError(json("1.234")).find("more than 2 decimal places"), std::string::npos);
  EXPECT_NE(ParseError(json("abc")).find("must be a number"), std::string::npos);
  EXPECT_NE(ParseError(json("12abc")).find("must be a number"), std::string::npos);
  EXPECT_NE(ParseError(json("NaN")).find("must be a number"), std::string::npos);
  EXPECT_NE(ParseError(json("Infinity")).find("must be a number"), std::string::npos);
  EXPECT_NE(ParseError(json("")).find("empty"), std::string::npos);
  EXPECT_NE(ParseError(json(true)).find("must be a number"), std::string::npos);
  EXPECT_NE(ParseError(json::object()).find("must be a number"), std::string::npos);
  EXPECT_NE(ParseError(json("1,50.00")).find("thousands"), std::string::npos);
  EXPECT_NE(ParseError(json(1000000.01)).find("maximum of $1,000,000.00"), std::string::npos);
  EXPECT_NE(ParseError(json("99999999999999999999999")).find("maximum"), std::string::npos);
  EXPECT_NE(ParseError(json(1e300)).find("maximum"), std::string::npos);
  auto r = ParseAmountJson(json(-1), Usd(), AmountRules{}, "items[0].unitPrice");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().field, "items[0].unitPrice");
  EXPECT_NE(r.error().message.find("items[0].unitPrice"), std::string::npos);
}

TEST(ParseAmount, ZeroAllowedWhenTheRuleSaysSo) {
  AmountRules rules;
  rules.allow_zero = true;
  EXPECT_EQ(ParseAmountJson(json(0), Usd(), rules, "minBalance").value(), 0);
}

TEST(ParseAmount, CurrencyExponentComesFromTheTable) {
  const Currency jpy = *FindCurrency("JPY");
  const Currency kwd = *FindCurrency("KWD");
  EXPECT_EQ(ParseAmount("1500", jpy, {}, "amount").value(), 1500);
  EXPECT_FALSE(ParseAmount("15.5", jpy, {}, "amount").ok());
  EXPECT_EQ(ParseAmount("1.234", kwd, {}, "amount").value(), 1234);
  EXPECT_FALSE(FindCurrency("XXX").has_value());
}

TEST(Quantity, ParsesUpToThreeDecimals) {
  EXPECT_EQ(ParseQuantityMilli(json(2), "quantity").value(), 2000);
  EXPECT_EQ(ParseQuantityMilli(json(1.5), "quantity").value(), 1500);
  EXPECT_EQ(ParseQuantityMilli(json("0.125"), "quantity").value(), 125);
  EXPECT_FALSE(ParseQuantityMilli(json(0), "quantity").ok());
  EXPECT_FALSE(ParseQuantityMilli(json(-1), "quantity").ok());
  EXPECT_FALSE(ParseQuantityMilli(json(0.0001), "quantity").ok());
  EXPECT_EQ(FormatQuantity(2000), "2");
  EXPECT_EQ(FormatQuantity(1500), "1.5");
}

TEST(FormatMoney, GroupsAndPads) {
  EXPECT_EQ(FormatMoney(162000, Usd()), "$1,620.00");
  EXPECT_EQ(FormatMoney(5, Usd()), "$0.05");
  EXPECT_EQ(FormatMoney(0, Usd()), "$0.00");
  EXPECT_EQ(FormatMoney(-500, Usd()), "-$5.00");
  EXPECT_EQ(FormatMoney(100000000, Usd()), "$1,000,000.00");
  // Other currencies by their code, with their own exponent (automated-billing.md).
  EXPECT_EQ(FormatMoney(162000, *FindCurrency("EUR")), "EUR 1,620.00");
  EXPECT_EQ(FormatMoney(5000, *FindCurrency("JPY")), "JPY 5,000");
  EXPECT_EQ(FormatMoney(-1234, *FindCurrency("KWD")), "-KWD 1.234");
  EXPECT_EQ(FormatDecimal(87550, 2), "875.50");
}

TEST(Rounding, HalfUp) {
  EXPECT_EQ(MulDivRoundHalfUp(226852, 800, 10000), 18148);  // 181.4816 -> 181.48
  EXPECT_EQ(MulDivRoundHalfUp(69444, 800, 10000), 5556);    // 55.5552 -> 55.56
  EXPECT_EQ(MulDivRoundHalfUp(1, 5000, 10000), 1);          // 0.5 -> 1
  EXPECT_EQ(MulDivRoundHalfUp(1, 4999, 10000), 0);
  EXPECT_EQ(MulDivRoundHalfUp(2500, 2000, 1000), 5000);
}

}  // namespace
}  // namespace billing
