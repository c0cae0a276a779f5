// The collection and dunning rules (collection_rules.h): the retry schedule and its setting,
// which declines are hard, and the dunning steps due by days past due.
#include "billing/collection_rules.h"
#include "testing/dates.h"

#include <gtest/gtest.h>

namespace billing {
namespace {

using test_support::D;

TEST(CollectionRulesTest, RetryDaysParseAndRefuseWhatIsNotASchedule) {
  EXPECT_EQ(*ParseRetryDays("1,3,5,7"), (std::vector<int>{1, 3, 5, 7}));
  EXPECT_EQ(*ParseRetryDays("2, 4"), (std::vector<int>{2, 4}));
  EXPECT_EQ(*ParseRetryDays("1,2,3,4,5,6,7,8"), (std::vector<int>{1, 2, 3, 4, 5, 6, 7, 8}));
  EXPECT_TRUE(ParseRetryDays("off")->empty());
  for (const char* bad :
       {"", "0", "1,1", "3,1", "1,2,3,4,5,6,7,8,9", "366", "1,,3", "a", "1;3", "-1", "1.5"}) {
    auto r = ParseRetryDays(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().field, "BILLING_RETRY_DAYS") << bad;
  }
}

TEST(CollectionRulesTest, DraftHoursAreAWholeNumberUpToThirtyDays) {
  EXPECT_EQ(*ParseDraftHours("0"), 0);
  EXPECT_EQ(*ParseDraftHours("1"), 1);
  EXPECT_EQ(*ParseDraftHours("720"), kMaxDraftHours);
  for (const char* bad : {"", "721", "-1", "1.5", "1h", "abc", " 1"}) {
    auto r = ParseDraftHours(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().field, "BILLING_DRAFT_HOURS") << bad;
  }
}

TEST(CollectionRulesTest, DunningStepsParseAndRefuseWhatIsNotASchedule) {
  EXPECT_EQ(*ParseDunning("1:reminder,7:reminder,14:warning,30:suspend"), kDefaultDunning);
  EXPECT_EQ(*ParseDunning("3:warning"), (std::vector<DunningStep>{{3, "warning"}}));
  EXPECT_TRUE(ParseDunning("off")->empty());
  for (const char* bad : {"", "1", "1:remind", "7:reminder,1:reminder", "0:reminder",
                          "1:reminder,1:warning", "x:suspend", "400:suspend"}) {
    auto r = ParseDunning(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().field, "BILLING_DUNNING") << bad;
  }
}

TEST(CollectionRulesTest, HardDeclinesAreTheOnesNeverRetried) {
  for (const char* hard : {"expired_card", "stolen_card", "lost_card", "account_closed"}) {
    EXPECT_TRUE(IsHardDecline(hard)) << hard;
  }
  for (const char* soft : {"card_declined", "insufficient_funds", "processing_error", ""}) {
    EXPECT_FALSE(IsHardDecline(soft)) << soft;
  }
}

TEST(CollectionRulesTest, RetriesFallOnTheirDaysAfterTheFirstDeclineThenStop) {
  const Date first = D("2026-12-30");
  EXPECT_EQ(NextRetryDate(kDefaultRetryDays, first, 0)->ToString(), "2026-12-31");
  EXPECT_EQ(NextRetryDate(kDefaultRetryDays, first, 1)->ToString(), "2027-01-02");
  EXPECT_EQ(NextRetryDate(kDefaultRetryDays, first, 2)->ToString(), "2027-01-04");
  EXPECT_EQ(NextRetryDate(kDefaultRetryDays, first, 3)->ToString(), "2027-01-06");
  EXPECT_FALSE(NextRetryDate(kDefaultRetryDays, first, 4).has_value());
  EXPECT_FALSE(NextRetryDate({}, first, 0).has_value());
  EXPECT_FALSE(NextRetryDate(kDefaultRetryDays, first, -1).has_value());
}

TEST(CollectionRulesTest, StepsDueAreThoseOnOrBeforeTheDaysPastDue) {
  EXPECT_TRUE(StepsDue(kDefaultDunning, 0).empty());
  EXPECT_EQ(StepsDue(kDefaultDunning, 1).size(), 1u);
  EXPECT_EQ(StepsDue(kDefaultDunning, 13).size(), 2u);
  EXPECT_EQ(StepsDue(kDefaultDunning, 14).back().action, "warning");
  EXPECT_EQ(StepsDue(kDefaultDunning, 29).size(), 3u);
  EXPECT_EQ(StepsDue(kDefaultDunning, 30).back().action, "suspend");
  EXPECT_EQ(StepsDue(kDefaultDunning, 400).size(), 4u);
  EXPECT_TRUE(StepsDue({}, 400).empty());
}

}  // namespace
}  // namespace billing
