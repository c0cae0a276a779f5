// The rules of automatic collection and dunning (automated-billing.md "Collection, retries,
// dunning"; docs/collection.md): the retry schedule, which declines are retried, and the dunning
// steps. Pure functions over plain values; collection_service.cc applies them to the ledger.
//
// Thread-safety: plain values and pure functions.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/result.h"

namespace billing {

// Days after the first declined charge on which it is retried: BILLING_RETRY_DAYS.
inline constexpr int kMaxRetries = 8;
inline const std::vector<int> kDefaultRetryDays = {1, 3, 5, 7};

// One dunning step: on `day` days past the due date of the customer's oldest unpaid invoice,
// `action` (reminder | warning | suspend), once per invoice.
struct DunningStep {
  int day = 0;
  std::string action;
  bool operator==(const DunningStep&) const = default;
};
inline const std::vector<DunningStep> kDefaultDunning = {
    {1, "reminder"}, {7, "reminder"}, {14, "warning"}, {30, "suspend"}};

// "1,3,5,7": 1 to kMaxRetries strictly increasing days from 1 to 365; "off" or "none" = no
// retries. Errors name BILLING_RETRY_DAYS.
Result<std::vector<int>> ParseRetryDays(const std::string& text);
// "1:reminder,7:reminder,14:warning,30:suspend": 1 to 16 steps, strictly increasing days from 1
// to 365, actions of kDunningActions; "off" = no dunning. Errors name BILLING_DUNNING.
Result<std::vector<DunningStep>> ParseDunning(const std::string& text);

// BILLING_DRAFT_HOURS: the hours a subscription period's invoice stays a draft before the billing
// run finalizes it (automated-billing.md "Invoice lifecycle"), a whole number 0..kMaxDraftHours.
inline constexpr int kMaxDraftHours = 720;  // 30 days
Result<int> ParseDraftHours(const std::string& text);

// Declines that are never retried: the card or account cannot be charged again as it is.
bool IsHardDecline(std::string_view decline_code);

// The date of the retry after `retries_done` retries of a charge first declined on
// `first_decline`, or nullopt when the schedule has no more.
std::optional<Date> NextRetryDate(const std::vector<int>& retry_days, const Date& first_decline,
                                  int retries_done);

// The steps due `days_past_due` days past the due date, in order (those with day <= it).
std::vector<DunningStep> StepsDue(const std::vector<DunningStep>& steps, int64_t days_past_due);

}  // namespace billing
