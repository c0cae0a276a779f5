// Dates in tests: D("2026-11-25") parses a literal (a typo fails the test, never 1970-01-01), and
// Plus(d, n) is the date n days after d. Test code only.
//
// Thread-safety: plain functions.
#pragma once

#include <gtest/gtest.h>

#include "common/clock.h"

namespace billing::test_support {

inline Date D(const char* text) {
  Date d;
  EXPECT_TRUE(Date::Parse(text, &d)) << text;
  return d;
}

inline Date Plus(const Date& d, int days) {
  return Date::FromDaysSinceEpoch(d.DaysSinceEpoch() + days);
}

}  // namespace billing::test_support
