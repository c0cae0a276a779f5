// The collection and dunning rules; see collection_rules.h.
#include "billing/collection_rules.h"

#include <charconv>

#include "billing/rules.h"
#include "billing/types.h"

namespace billing {
namespace {

constexpr int kMaxDunningSteps = 16;
constexpr int kMaxScheduleDay = 365;

// A whole number of days from 1 to kMaxScheduleDay, or nullopt.
std::optional<int> ParseDay(std::string_view text) {
  int v = 0;
  if (text.empty() || text.size() > 3) return std::nullopt;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  if (v < 1 || v > kMaxScheduleDay) return std::nullopt;
  return v;
}

// Splits on commas, trimming spaces; at most `max_parts` + 1 parts (more is an error upstream).
std::vector<std::string_view> Split(std::string_view text, size_t max_parts) {
  std::vector<std::string_view> parts;
  while (parts.size() <= max_parts) {
    const size_t comma = text.find(',');
    std::string_view part = text.substr(0, comma);
    while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
    while (!part.empty() && part.back() == ' ') part.remove_suffix(1);
    parts.push_back(part);
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  return parts;
}

}  // namespace

Result<std::vector<int>> ParseRetryDays(const std::string& text) {
  if (text == "off" || text == "none") return std::vector<int>{};
  const std::string rule =
      "BILLING_RETRY_DAYS must be off or 1 to 8 increasing days from 1 to 365, such as 1,3,5,7; "
      "got '" +
      text.substr(0, 64) + "'";
  std::vector<int> days;
  const std::vector<std::string_view> parts = Split(text, kMaxRetries);
  if (parts.size() > size_t(kMaxRetries)) return Error::Invalid("BILLING_RETRY_DAYS", rule);
  for (std::string_view part : parts) {
    const std::optional<int> day = ParseDay(part);
    if (!day || (!days.empty() && *day <= days.back())) {
      return Error::Invalid("BILLING_RETRY_DAYS", rule);
    }
    days.push_back(*day);
  }
  return days;
}

Result<int> ParseDraftHours(const std::string& text) {
  int hours = -1;
  const auto [ptr, errc] = std::from_chars(text.data(), text.data() + text.size(), hours);
  if (text.empty() || errc != std::errc() || ptr != text.data() + text.size() || hours < 0 ||
      hours > kMaxDraftHours) {
    return Error::Invalid("BILLING_DRAFT_HOURS",
                          "BILLING_DRAFT_HOURS must be a whole number of hours from 0 to " +
                              std::to_string(kMaxDraftHours) + "; got '" + text.substr(0, 32) +
                              "'");
  }
  return hours;
}

Result<std::vector<DunningStep>> ParseDunning(const std::string& text) {
  if (text == "off" || text == "none") return std::vector<DunningStep>{};
  const std::string rule =
      "BILLING_DUNNING must be off or 1 to 16 steps day:action with increasing days from 1 to "
      "365 and actions reminder, warning or suspend, such as "
      "1:reminder,7:reminder,14:warning,30:suspend; got '" +
      text.substr(0, 80) + "'";
  std::vector<DunningStep> steps;
  const std::vector<std::string_view> parts = Split(text, kMaxDunningSteps);
  if (parts.size() > size_t(kMaxDunningSteps)) return Error::Invalid("BILLING_DUNNING", rule);
  for (std::string_view part : parts) {
    const size_t colon = part.find(':');
    if (colon == std::string_view::npos) return Error::Invalid("BILLING_DUNNING", rule);
    const std::optional<int> day = ParseDay(part.substr(0, colon));
    const std::string action(part.substr(colon + 1));
    if (!day || !IsOneOf(action, kDunningActions) || (!steps.empty() && *day <= steps.back().day)) {
      return Error::Invalid("BILLING_DUNNING", rule);
    }
    steps.push_back(DunningStep{*day, action});
  }
  return steps;
}

bool IsHardDecline(std::string_view code) {
  return code == "expired_card" || code == "stolen_card" || code == "lost_card" ||
         code == "account_closed";
}

std::optional<Date> NextRetryDate(const std::vector<int>& retry_days, const Date& first_decline,
                                  int retries_done) {
  if (retries_done < 0 || retries_done >= int(retry_days.size())) return std::nullopt;
  return Date::FromDaysSinceEpoch(first_decline.DaysSinceEpoch() + retry_days[retries_done]);
}

std::vector<DunningStep> StepsDue(const std::vector<DunningStep>& steps, int64_t days_past_due) {
  std::vector<DunningStep> due;
  for (const DunningStep& s : steps) {
    if (s.day > days_past_due) break;
    due.push_back(s);
  }
  return due;
}

}  // namespace billing
