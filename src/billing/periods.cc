// Subscription period arithmetic; see periods.h.
#include "billing/periods.h"

#include <cassert>

namespace billing {

std::optional<int> MonthsPerPeriod(std::string_view interval) {
  if (interval == "monthly") return 1;
  if (interval == "quarterly") return 3;
  if (interval == "annual") return 12;
  return std::nullopt;
}

int DaysInMonth(int year, int month) {
  static constexpr int kDays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  assert(month >= 1 && month <= 12);
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return month == 2 && leap ? 29 : kDays[month - 1];
}

Date AddMonthsAnchored(const Date& anchor, int64_t months) {
  assert(months >= 0);
  const int64_t index = int64_t(anchor.year) * 12 + (anchor.month - 1) + months;
  Date out;
  out.year = int(index / 12);
  out.month = int(index % 12) + 1;
  const int last = DaysInMonth(out.year, out.month);
  out.day = anchor.day < last ? anchor.day : last;
  return out;
}

Date PeriodStart(const Date& start, int months_per_period, int64_t k) {
  assert(months_per_period > 0 && k >= 0);
  return AddMonthsAnchored(start, k * months_per_period);
}

Date PeriodEnd(const Date& period_start, int anchor_day, int months) {
  assert(months > 0 && anchor_day >= 1 && anchor_day <= 31);
  // The anchor may not exist in the start's month (31 in February): only its year, month and
  // day number are used, and the result is clamped to the end month's length.
  return AddMonthsAnchored(Date{period_start.year, period_start.month, anchor_day}, months);
}

int64_t DaysBetween(const Date& from, const Date& to) {
  return to.DaysSinceEpoch() - from.DaysSinceEpoch();
}

}  // namespace billing
