// Subscription periods (automated-billing.md "Plans and subscriptions"): periods are anchored on
// the start date's day of month; a month without that day ends the period on its last day, and
// the next period returns to the anchor (Jan 31 -> Feb 28 -> Mar 31, as Stripe does). Monthly is
// 1 month, quarterly 3, annual 12. Period k (0, 1, 2, ...) of a subscription is
// [PeriodStart(start, interval, k), PeriodStart(start, interval, k + 1)).
//
// Thread-safety: pure functions over values.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "common/clock.h"

namespace billing {

// Months in one period of `interval` (kBillingCycles); nullopt for anything else.
std::optional<int> MonthsPerPeriod(std::string_view interval);

// The day `months` months after `anchor`, on the anchor's day of month or the month's last day
// when it has fewer days. `months` >= 0.
Date AddMonthsAnchored(const Date& anchor, int64_t months);

// The start of period `k` (>= 0) of a subscription that started on `start`.
Date PeriodStart(const Date& start, int months_per_period, int64_t k);

// The end of the period of `months` months that starts on `period_start`, anchored on
// `anchor_day` (the subscription's start day): the next period start. Used rather than PeriodStart
// once a plan change may have changed the period length.
Date PeriodEnd(const Date& period_start, int anchor_day, int months);

// Days in [from, to): to - from.
int64_t DaysBetween(const Date& from, const Date& to);

int DaysInMonth(int year, int month);

}  // namespace billing
