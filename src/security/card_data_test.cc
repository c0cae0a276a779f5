#include "security/card_data.h"

#include <gtest/gtest.h>

namespace billing::security {
namespace {

TEST(CardDataTest, LuhnAndBrand) {
  EXPECT_TRUE(LuhnValid("4242424242424242"));
  EXPECT_TRUE(LuhnValid("5555555555554444"));
  EXPECT_TRUE(LuhnValid("378282246310005"));
  EXPECT_FALSE(LuhnValid("4242424242424241"));
  EXPECT_FALSE(LuhnValid(""));
  EXPECT_FALSE(LuhnValid("4242x"));
  EXPECT_EQ(CardBrand("4242424242424242"), "visa");
  EXPECT_EQ(CardBrand("5555555555554444"), "mastercard");
  EXPECT_EQ(CardBrand("2223003122003222"), "mastercard");
  EXPECT_EQ(CardBrand("378282246310005"), "amex");
  EXPECT_EQ(CardBrand("6011111111111117"), "discover");
  EXPECT_EQ(CardBrand("9999999999999995"), "card");
}

TEST(CardDataTest, RedactsCardNumbersHoweverTheyAreWritten) {
  size_t n = 0;
  EXPECT_EQ(RedactCardNumbers("card 4242424242424242 please", &n),
            "card [card ending 4242] please");
  EXPECT_EQ(n, 1u);
  EXPECT_EQ(RedactCardNumbers("4242 4242 4242 4242"), "[card ending 4242]");
  EXPECT_EQ(RedactCardNumbers("4242-4242-4242-4242."), "[card ending 4242].");
  EXPECT_EQ(RedactCardNumbers("amex 3782 822463 10005"), "amex [card ending 0005]");
  // Luhn-invalid numbers are card numbers too (a typo must not leak).
  EXPECT_EQ(RedactCardNumbers("4242424242424241"), "[card ending 4241]");
  // Two cards in one message.
  EXPECT_EQ(RedactCardNumbers("4242424242424242 or 5555 5555 5555 4444", &n),
            "[card ending 4242] or [card ending 4444]");
  EXPECT_EQ(n, 2u);
  // Inside JSON.
  EXPECT_EQ(RedactCardNumbers(R"({"number":"4000056655665556"})"),
            R"({"number":"[card ending 5556]"})");
}

TEST(CardDataTest, LeavesOrdinaryNumbersAlone) {
  for (const char* text :
       {"Create an invoice for $1,500.00 due 2026-12-31",
        "Invoices due 2026-12-31 2027-01-15 2027-02-15", "amounts 100 200 300 400 500 600",
        "call +1 415 555 0100", "INV-2026-001 and PAY-001", "order 123456789012", "12/2028"}) {
    size_t n = 9;
    EXPECT_EQ(RedactCardNumbers(text, &n), text);
    EXPECT_EQ(n, 0u) << text;
  }
  EXPECT_FALSE(ContainsCardNumber("2026-12-31"));
  EXPECT_TRUE(ContainsCardNumber("x4242424242424242"));
}

TEST(CardDataTest, LongDigitGroupInsideOtherwiseOrdinaryTextIsStillRedacted) {
  EXPECT_EQ(RedactCardNumbers("ref 12 4242424242424242 34"), "ref 12 [card ending 4242] 34");
}

}  // namespace
}  // namespace billing::security
