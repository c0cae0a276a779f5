#include "billing/periods.h"

#include <gtest/gtest.h>

namespace billing {
namespace {

Date D(int y, int m, int d) {
  return Date{y, m, d};
}

TEST(PeriodsTest, MonthlyPeriodsReturnToTheAnchorAfterAShortMonth) {
  const Date start = D(2026, 1, 31);
  EXPECT_EQ(PeriodStart(start, 1, 0), D(2026, 1, 31));
  EXPECT_EQ(PeriodStart(start, 1, 1), D(2026, 2, 28));
  EXPECT_EQ(PeriodStart(start, 1, 2), D(2026, 3, 31));
  EXPECT_EQ(PeriodStart(start, 1, 3), D(2026, 4, 30));
  EXPECT_EQ(PeriodStart(start, 1, 4), D(2026, 5, 31));
  EXPECT_EQ(PeriodStart(D(2028, 1, 31), 1, 1), D(2028, 2, 29));  // leap year
}

TEST(PeriodsTest, QuarterlyAndAnnualPeriods) {
  EXPECT_EQ(PeriodStart(D(2026, 11, 30), 3, 1), D(2027, 2, 28));
  EXPECT_EQ(PeriodStart(D(2026, 11, 30), 3, 2), D(2027, 5, 30));
  EXPECT_EQ(PeriodStart(D(2028, 2, 29), 12, 1), D(2029, 2, 28));
  EXPECT_EQ(PeriodStart(D(2028, 2, 29), 12, 4), D(2032, 2, 29));
  EXPECT_EQ(PeriodStart(D(2026, 12, 4), 1, 1), D(2027, 1, 4));
}

TEST(PeriodsTest, PeriodEndFollowsTheAnchorWhateverTheLength) {
  // A subscription started on the 31st, now in a period that started on Feb 28.
  EXPECT_EQ(PeriodEnd(D(2026, 2, 28), 31, 1), D(2026, 3, 31));
  EXPECT_EQ(PeriodEnd(D(2026, 2, 28), 31, 12), D(2027, 2, 28));
  EXPECT_EQ(PeriodEnd(D(2026, 4, 30), 31, 3), D(2026, 7, 31));
  for (int64_t k = 0; k < 24; ++k) {
    EXPECT_EQ(PeriodEnd(PeriodStart(D(2026, 1, 31), 1, k), 31, 1),
              PeriodStart(D(2026, 1, 31), 1, k + 1));
  }
}

TEST(PeriodsTest, IntervalsAndDays) {
  EXPECT_EQ(MonthsPerPeriod("monthly"), 1);
  EXPECT_EQ(MonthsPerPeriod("quarterly"), 3);
  EXPECT_EQ(MonthsPerPeriod("annual"), 12);
  EXPECT_FALSE(MonthsPerPeriod("weekly").has_value());
  EXPECT_EQ(DaysBetween(D(2026, 2, 1), D(2026, 3, 1)), 28);
  EXPECT_EQ(DaysBetween(D(2026, 12, 4), D(2027, 1, 4)), 31);
  EXPECT_EQ(DaysInMonth(2100, 2), 28);
  EXPECT_EQ(DaysInMonth(2000, 2), 29);
}

// Every period of ten years of every anchor day: contiguous, increasing, on the anchor day or the
// last day of a shorter month.
TEST(PeriodsTest, PeriodsAreContiguousAndAnchoredForEveryStartDay) {
  for (int day = 1; day <= 31; ++day) {
    const Date start = D(2027, 1, day);
    for (int months : {1, 3, 12}) {
      Date prev = start;
      for (int64_t k = 1; k <= 120 / months; ++k) {
        const Date next = PeriodStart(start, months, k);
        ASSERT_LT(prev, next);
        const int last = DaysInMonth(next.year, next.month);
        ASSERT_EQ(next.day, day < last ? day : last) << next.ToString();
        prev = next;
      }
    }
  }
}

}  // namespace
}  // namespace billing
