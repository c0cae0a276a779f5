// Plans, subscriptions and billing runs (automated-billing.md; docs/subscriptions.md): the first
// period billed at creation, catch-up of missed periods oldest first and bounded per run, exactly
// once per period under repeated and concurrent runs, suspended customers' periods skipped, cancel
// now or at the period end, prorated upgrades and downgrades at the next period, renewals. Every
// invariant (subscriptions' included) is checked after each step. Runs on both backends
// (pg.SubscriptionsTest.*).
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "billing/periods.h"
#include "billing/service.h"
#include "store/backend.h"
#include "testing/dates.h"
#include "testing/raw_db.h"
#include "testing/test_backend.h"

namespace billing {
namespace {

using test_support::D;

class SubscriptionsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = test_support::TestDbPath(
        (std::filesystem::temp_directory_path() /
         ("billing-subs-test-" + std::to_string(::getpid()) + "-" +
          ::testing::UnitTest::GetInstance()->current_test_info()->name() + ".db"))
            .string());
    Cleanup();
    auto store = OpenStore({path_, 4});
    ASSERT_TRUE(store.ok()) << store.error().message;
    store_ = std::move(store.value());
    // Billing runs alone: no dunning, which would suspend the customers of the catch-up tests
    // (their oldest catch-up invoices are long overdue) and skip their later periods
    // (collection_test.cc tests dunning).
    BillingOptions options;
    options.dunning.clear();
    service_ = std::make_unique<BillingService>(*store_, clock_, ids_, processor_, options);
    Today("2026-11-25");
    ASSERT_TRUE(service_->SeedIfEmpty().ok());
  }
  void TearDown() override {
    service_.reset();
    store_.reset();
    Cleanup();
  }
  void Cleanup() {
    for (const char* suffix : {"", "-wal", "-shm", ".keys"}) {
      std::error_code ec;
      std::filesystem::remove(path_ + suffix, ec);
    }
  }
  void Today(const char* date) { clock_.Set(D(date).DaysSinceEpoch() * 86'400'000 + 43'200'000); }
  void ExpectInvariants() {
    Status s = service_->CheckInvariants();
    EXPECT_TRUE(s.ok()) << s.error().message;
  }
  SubscriptionOutcome Subscribe(const std::string& customer, const std::string& plan,
                                std::optional<Date> start = std::nullopt) {
    NewSubscription req;
    req.customer_id = customer;
    req.plan = plan;
    req.start_date = start;
    req.actor = Actor("dev");
    auto out = service_->CreateSubscription(req);
    EXPECT_TRUE(out.ok()) << out.error().message;
    ExpectInvariants();
    return out.ok() ? *out : SubscriptionOutcome{};
  }
  // A run on the day `as_of` (the clock moves there first).
  BillingRunReport Run(const char* as_of) {
    Today(as_of);
    auto r = service_->RunBilling(D(as_of));
    EXPECT_TRUE(r.ok()) << r.error().message;
    ExpectInvariants();
    return r.ok() ? *r : BillingRunReport{};
  }
  std::vector<SubscriptionPeriod> Periods(const std::string& id) {
    std::vector<SubscriptionPeriod> out;
    Status s = store_->Read([&](StoreTx& tx) -> Status {
      BILLING_ASSIGN_OR_RETURN(out, tx.PeriodsOf(id, kMaxPageRows));
      return OkStatus();
    });
    EXPECT_TRUE(s.ok());
    return out;
  }
  Invoice GetInvoice(const std::string& id) {
    auto inv = service_->GetInvoice(id);
    EXPECT_TRUE(inv.ok()) << id;
    return inv.ok() ? *inv : Invoice{};
  }

  std::string path_;
  FixedClock clock_{0};
  SeededRandom ids_{7};
  SeededRandom processor_{8};
  std::unique_ptr<Store> store_;
  std::unique_ptr<BillingService> service_;
};

TEST_F(SubscriptionsTest, TheSamplePlansAreSeeded) {
  auto plans = service_->ListPlans();
  ASSERT_TRUE(plans.ok());
  ASSERT_EQ(plans->size(), 3u);
  EXPECT_EQ((*plans)[0].name, "Basic");
  EXPECT_EQ((*plans)[0].price_cents, 4900);
  EXPECT_EQ((*plans)[1].name, "Premium Plan");
  EXPECT_EQ((*plans)[1].price_cents, 19900);
  EXPECT_EQ((*plans)[1].interval, "monthly");
  EXPECT_EQ((*plans)[2].name, "Premium Annual");
  EXPECT_EQ((*plans)[2].price_cents, 199000);
  EXPECT_EQ((*plans)[2].interval, "annual");
  // A second start adds nothing.
  ASSERT_TRUE(service_->SeedIfEmpty().ok());
  EXPECT_EQ(service_->ListPlans()->size(), 3u);
}

TEST_F(SubscriptionsTest, PlansAreNamedByIdNameOrUnambiguousWords) {
  const std::pair<const char*, const char*> cases[] = {
      {"PLAN-BASIC", "PLAN-BASIC"},
      {"plan-premium", "PLAN-PREMIUM"},
      {"Premium Plan", "PLAN-PREMIUM"},
      {"premium", "PLAN-PREMIUM"},
      {"the annual plan", "PLAN-PREMIUM-ANNUAL"},
      {"yearly", "PLAN-PREMIUM-ANNUAL"},
      {"Premium Annual", "PLAN-PREMIUM-ANNUAL"},
      {"basic plan", "PLAN-BASIC"},
  };
  int n = 0;
  for (const auto& [phrase, id] : cases) {
    NewSubscription req{n % 2 ? "CUST-001" : "CUST-002", phrase};
    auto out = service_->CreateSubscription(req);
    ASSERT_TRUE(out.ok()) << phrase << ": " << out.error().message;
    EXPECT_EQ(out->view.plan.id, id) << phrase;
    ++n;
  }
  for (const char* unclear : {"monthly", "gold", "plan"}) {
    auto out = service_->CreateSubscription({"CUST-001", unclear});
    ASSERT_FALSE(out.ok()) << unclear;
    EXPECT_EQ(out.error().field, "planId");
  }
  ExpectInvariants();
}

TEST_F(SubscriptionsTest, CreatedPlansJoinTheCatalogUnderTheirRules) {
  NewPlan team{"", "Team Plan", 7900, "eur", "monthly", Actor("dev")};
  auto made = service_->CreatePlan(team);
  ASSERT_TRUE(made.ok()) << made.error().message;
  EXPECT_EQ(made->id, "PLAN-TEAM-PLAN");  // from its name
  EXPECT_EQ(made->currency, "EUR");
  EXPECT_EQ(service_->ListPlans()->size(), 4u);
  // Named by its name, any case; for a customer of its currency only.
  SubscriptionOutcome sub = Subscribe("CUST-005", "team plan");
  EXPECT_EQ(sub.view.plan.id, "PLAN-TEAM-PLAN");
  auto usd = service_->CreateSubscription({"CUST-001", "PLAN-TEAM-PLAN"});
  ASSERT_FALSE(usd.ok());
  EXPECT_EQ(usd.error().field, "planId");

  // Each rule names its field, and a refused plan changes nothing.
  struct Bad {
    NewPlan plan;
    ErrorCode code;
    const char* field;
  };
  const Bad bad[] = {
      {{"PLAN-OTHER", "team PLAN", 100, "EUR", "monthly"}, ErrorCode::kConflict, "name"},
      {{"plan-team-plan", "Another", 100, "EUR", "monthly"}, ErrorCode::kConflict, "planId"},
      {{"", "", 100, "USD", "monthly"}, ErrorCode::kInvalidArgument, "name"},
      {{"", std::string(101, 'x'), 100, "USD", "monthly"}, ErrorCode::kInvalidArgument, "name"},
      {{"", "Line\nbreak", 100, "USD", "monthly"}, ErrorCode::kInvalidArgument, "name"},
      {{"P", "Short id", 100, "USD", "monthly"}, ErrorCode::kInvalidArgument, "planId"},
      {{"PLAN/ONE", "Slashed id", 100, "USD", "monthly"}, ErrorCode::kInvalidArgument, "planId"},
      {{"", "Free", 0, "USD", "monthly"}, ErrorCode::kInvalidArgument, "price"},
      {{"", "Huge", 100'000'001, "USD", "monthly"}, ErrorCode::kInvalidArgument, "price"},
      {{"", "Odd money", 100, "XYZ", "monthly"}, ErrorCode::kInvalidArgument, "currency"},
      {{"", "Weekly", 100, "USD", "weekly"}, ErrorCode::kInvalidArgument, "interval"},
  };
  for (const Bad& b : bad) {
    auto out = service_->CreatePlan(b.plan);
    ASSERT_FALSE(out.ok()) << b.plan.name;
    EXPECT_EQ(out.error().code, b.code) << b.plan.name << ": " << out.error().message;
    EXPECT_EQ(out.error().field, b.field) << b.plan.name << ": " << out.error().message;
  }
  EXPECT_EQ(service_->ListPlans()->size(), 4u);
  ExpectInvariants();
}

TEST_F(SubscriptionsTest, StartingTodayBillsTheFirstPeriodInAdvanceAtOnce) {
  SubscriptionOutcome out = Subscribe("cust-002", "premium plan");
  const Subscription& sub = out.view.subscription;
  EXPECT_EQ(sub.id, "SUB-001");
  EXPECT_EQ(sub.plan_id, "PLAN-PREMIUM");
  EXPECT_EQ(sub.status, "active");
  EXPECT_EQ(sub.current_period_start, D("2026-11-25"));
  EXPECT_EQ(sub.current_period_end, D("2026-12-25"));
  EXPECT_EQ(sub.next_bill_date, "2026-12-25");
  ASSERT_EQ(out.invoices.size(), 1u);
  const Invoice& inv = out.invoices[0];
  EXPECT_EQ(inv.customer_id, "CUST-002");
  ASSERT_EQ(inv.items.size(), 1u);
  EXPECT_EQ(inv.items[0].description, "Premium Plan (2026-11-25 to 2026-12-25)");
  EXPECT_EQ(inv.subtotal_cents, 19900);
  EXPECT_EQ(inv.tax_cents, 1592);  // 8% half-up
  EXPECT_EQ(inv.total_cents, 21492);
  EXPECT_EQ(inv.issue_date, D("2026-11-25"));
  EXPECT_EQ(inv.due_date, D("2026-12-25"));  // 30 days' terms
  auto events = service_->ListEvents("", "", 100);
  ASSERT_TRUE(events.ok());
  std::vector<std::string> types;
  for (const Event& e : *events) types.push_back(e.type);
  EXPECT_EQ(types, (std::vector<std::string>{"invoice.created", "invoice.finalized",
                                             "subscription.created"}));
  // A run today finds nothing more to bill.
  BillingRunReport r = Run("2026-11-25");
  EXPECT_EQ(r.periods_billed, 0);
}

TEST_F(SubscriptionsTest, AFutureStartIsBilledByTheRunOnItsDay) {
  SubscriptionOutcome out = Subscribe("CUST-001", "PLAN-BASIC", D("2026-12-01"));
  EXPECT_TRUE(out.invoices.empty());
  EXPECT_EQ(out.view.subscription.next_bill_date, "2026-12-01");
  EXPECT_EQ(Run("2026-11-30").periods_billed, 0);
  BillingRunReport r = Run("2026-12-01");
  EXPECT_EQ(r.periods_billed, 1);
  ASSERT_EQ(r.invoice_ids.size(), 1u);
  EXPECT_EQ(GetInvoice(r.invoice_ids[0]).items[0].description, "Basic (2026-12-01 to 2027-01-01)");
}

TEST_F(SubscriptionsTest, CatchUpBillsEveryMissedPeriodOnceOldestFirstAnchoredOnTheStartDay) {
  Today("2027-01-31");
  Subscribe("CUST-003", "Premium Plan");
  // The server was down until mid-June.
  Today("2027-06-15");
  BillingRunReport r = Run("2027-06-15");
  EXPECT_EQ(r.subscriptions, 1);
  EXPECT_EQ(r.periods_billed, 4);
  ASSERT_EQ(r.invoice_ids.size(), 4u);
  const char* starts[] = {"2027-02-28", "2027-03-31", "2027-04-30", "2027-05-31"};
  const char* ends[] = {"2027-03-31", "2027-04-30", "2027-05-31", "2027-06-30"};
  for (size_t k = 0; k < 4; ++k) {
    const Invoice inv = GetInvoice(r.invoice_ids[k]);
    EXPECT_EQ(inv.issue_date, D(starts[k]));
    EXPECT_EQ(inv.items[0].description,
              std::string("Premium Plan (") + starts[k] + " to " + ends[k] + ")");
    EXPECT_LT(inv.issue_date, inv.due_date);
  }
  EXPECT_EQ(Periods("SUB-001").size(), 5u);
  // Run again, and again: nothing more.
  EXPECT_EQ(Run("2027-06-15").periods_billed, 0);
  EXPECT_EQ(Run("2027-06-30").periods_billed, 1);
  EXPECT_EQ(Run("2027-06-30").periods_billed, 0);
}

TEST_F(SubscriptionsTest, CatchUpIsBoundedPerRunAndReported) {
  Today("2026-01-15");
  Subscribe("CUST-001", "Basic");
  Today("2029-05-20");  // 40 monthly periods after the first
  BillingRunReport first = Run("2029-05-20");
  EXPECT_EQ(first.periods_billed, kMaxPeriodsPerRun);
  EXPECT_EQ(first.capped, std::vector<std::string>{"SUB-001"});
  BillingRunReport second = Run("2029-05-20");
  EXPECT_EQ(second.periods_billed, 40 - kMaxPeriodsPerRun);
  EXPECT_TRUE(second.capped.empty());
  EXPECT_EQ(Periods("SUB-001").size(), 41u);
}

TEST_F(SubscriptionsTest, ConcurrentRunsBillEachPeriodExactlyOnce) {
  Today("2026-01-10");
  for (const char* c : {"CUST-001", "CUST-002", "CUST-003"}) {
    for (int k = 0; k < 10; ++k) Subscribe(c, k % 2 ? "Basic" : "Premium Plan");
  }
  Today("2026-07-20");  // six more monthly periods each
  std::vector<std::thread> runners;
  std::atomic<int64_t> billed{0};
  for (int t = 0; t < 4; ++t) {
    runners.emplace_back([&] {
      auto r = service_->RunBilling(D("2026-07-20"));
      EXPECT_TRUE(r.ok()) << r.error().message;
      if (r.ok()) billed += r->periods_billed;
    });
  }
  for (std::thread& t : runners) t.join();
  EXPECT_EQ(billed.load(), 30 * 6);
  ExpectInvariants();
  for (int n = 1; n <= 30; ++n) {
    char id[16];
    std::snprintf(id, sizeof id, "SUB-%03d", n);
    EXPECT_EQ(Periods(id).size(), 7u) << id;
  }
}

TEST_F(SubscriptionsTest, APeriodHandledBeforeIsRefusedByItsKey) {
  Subscribe("CUST-001", "Basic");
  SubscriptionPeriod again{"SUB-001", D("2026-11-25"), D("2026-12-25"), "", "skipped", "now"};
  Status s = store_->Write([&](StoreTx& tx) { return tx.InsertSubscriptionPeriod(again); });
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, ErrorCode::kConflict);
  ExpectInvariants();
}

TEST_F(SubscriptionsTest, SuspendedCustomersGetNoSubscriptionAndTheirPeriodsAreSkipped) {
  NewSubscription req{"CUST-004", "Basic"};
  auto refused = service_->CreateSubscription(req);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_EQ(refused.error().field, "customerId");

  Subscribe("CUST-003", "Basic");
  {
    test_support::RawDb raw(path_);
    ASSERT_TRUE(raw.Exec("UPDATE customers SET status = 'suspended' WHERE id = 'CUST-003'"));
  }
  Today("2027-01-26");
  BillingRunReport r = Run("2027-01-26");
  EXPECT_EQ(r.periods_billed, 0);
  EXPECT_EQ(r.periods_skipped, 2);
  {
    test_support::RawDb raw(path_);
    ASSERT_TRUE(raw.Exec("UPDATE customers SET status = 'active' WHERE id = 'CUST-003'"));
  }
  // Reinstated: the skipped periods stay unbilled; the next one is billed.
  EXPECT_EQ(Run("2027-01-26").periods_billed, 0);
  EXPECT_EQ(Run("2027-02-25").periods_billed, 1);
  std::vector<SubscriptionPeriod> periods = Periods("SUB-001");
  ASSERT_EQ(periods.size(), 4u);
  EXPECT_EQ(periods[1].outcome, "skipped");
  EXPECT_EQ(periods[2].outcome, "skipped");
  EXPECT_EQ(periods[3].outcome, "billed");
}

TEST_F(SubscriptionsTest, CancelAtPeriodEndStopsRenewalAndCancelNowStopsAtOnce) {
  Subscribe("CUST-001", "Basic");
  Subscribe("CUST-002", "Basic");
  auto later = service_->CancelSubscription("SUB-001", true, Actor("dev"));
  ASSERT_TRUE(later.ok()) << later.error().message;
  EXPECT_TRUE(later->subscription.cancel_at_period_end);
  EXPECT_EQ(later->subscription.status, "active");
  auto now = service_->CancelSubscription("sub-002", false, Actor("dev"));
  ASSERT_TRUE(now.ok());
  EXPECT_EQ(now->subscription.status, "canceled");
  EXPECT_EQ(now->subscription.canceled_at, "2026-11-25");
  ExpectInvariants();
  // Not renewing: not in the renewals.
  auto renewals = service_->UpcomingRenewals(60);
  ASSERT_TRUE(renewals.ok());
  EXPECT_EQ(renewals->totals.count, 0);

  Today("2027-03-01");
  BillingRunReport r = Run("2027-03-01");
  EXPECT_EQ(r.periods_billed, 0);
  EXPECT_EQ(r.canceled, 1);
  auto sub = service_->GetSubscription("SUB-001");
  ASSERT_TRUE(sub.ok());
  EXPECT_EQ(sub->subscription.status, "canceled");
  EXPECT_EQ(sub->subscription.canceled_at, "2026-12-25");
  auto again = service_->CancelSubscription("SUB-001", false);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, ErrorCode::kFailedPrecondition);
}

TEST_F(SubscriptionsTest, AnUpgradeIsProratedAtOnceAndADowngradeWaitsForThePeriodEnd) {
  Today("2026-12-01");
  Subscribe("CUST-002", "Basic");  // [2026-12-01, 2027-01-01): 31 days
  Today("2026-12-11");             // 21 days left
  auto up = service_->ChangeSubscription("SUB-001", PlanChange{"Premium Plan"}, Actor("dev"));
  ASSERT_TRUE(up.ok()) << up.error().message;
  EXPECT_EQ(up->change, "upgraded");
  EXPECT_EQ(up->view.subscription.plan_id, "PLAN-PREMIUM");
  ASSERT_EQ(up->invoices.size(), 1u);
  // (199.00 - 49.00) x 21 / 31 = 101.6129... -> $101.61
  EXPECT_EQ(up->invoices[0].subtotal_cents, 10161);
  EXPECT_EQ(up->invoices[0].items[0].description,
            "Upgrade to Premium Plan from Basic (2026-12-11 to 2027-01-01, 21 of 31 days)");
  ExpectInvariants();

  auto down = service_->ChangeSubscription("SUB-001", PlanChange{"Basic"}, Actor("dev"));
  ASSERT_TRUE(down.ok());
  EXPECT_EQ(down->change, "scheduled");
  EXPECT_TRUE(down->invoices.empty());
  EXPECT_EQ(down->view.subscription.plan_id, "PLAN-PREMIUM");
  ASSERT_TRUE(down->view.pending_plan.has_value());
  EXPECT_EQ(down->view.pending_plan->id, "PLAN-BASIC");
  ExpectInvariants();

  Today("2027-01-01");
  BillingRunReport r = Run("2027-01-01");
  EXPECT_EQ(r.plan_changes, 1);
  ASSERT_EQ(r.invoice_ids.size(), 1u);
  EXPECT_EQ(GetInvoice(r.invoice_ids[0]).subtotal_cents, 4900);

  // Monthly to annual changes the period length: at the next period start.
  auto annual = service_->ChangeSubscription("SUB-001", PlanChange{"Premium Annual"});
  ASSERT_TRUE(annual.ok());
  EXPECT_EQ(annual->change, "scheduled");
  Today("2027-02-01");
  r = Run("2027-02-01");
  ASSERT_EQ(r.invoice_ids.size(), 1u);
  EXPECT_EQ(GetInvoice(r.invoice_ids[0]).items[0].description,
            "Premium Annual (2027-02-01 to 2028-02-01)");
  EXPECT_EQ(Run("2027-12-31").periods_billed, 0);
}

TEST_F(SubscriptionsTest, BadRequestsNameTheFieldAndChangeNothing) {
  struct Case {
    NewSubscription req;
    const char* field;
  };
  const Case cases[] = {
      {{"CUST-001", "Gold"}, "planId"},
      {{"CUST-999", "Basic"}, "customerId"},
      {{"", "Basic"}, "customerId"},
      {{"CUST-001", ""}, "planId"},
      {{"CUST-001", "Basic", 0}, "quantity"},
      {{"CUST-001", "Basic", 1, D("2026-11-24")}, "startDate"},
      {{"CUST-001", "Basic", 1, D("2027-11-26")}, "startDate"},
      {{"CUST-001", "Basic", 1, std::nullopt, "manual"}, "collection"},
      {{"CUST-001", "Basic", 1, std::nullopt, "send_invoice", -1}, "paymentTermsDays"},
      {{"CUST-001", "Basic", 1, std::nullopt, "send_invoice", 366}, "paymentTermsDays"},
  };
  for (const Case& c : cases) {
    auto out = service_->CreateSubscription(c.req);
    ASSERT_FALSE(out.ok()) << c.field;
    EXPECT_EQ(out.error().field, c.field) << out.error().message;
  }
  auto unknown = service_->CreateSubscription({"CUST-001", "Gold"});
  EXPECT_NE(unknown.error().message.find("PLAN-PREMIUM (Premium Plan)"), std::string::npos)
      << "the error lists the plans: " << unknown.error().message;
  auto list = service_->ListSubscriptions("", "");
  ASSERT_TRUE(list.ok());
  EXPECT_EQ(list->totals.count, 0);
  auto events = service_->ListEvents("", "", 10);
  EXPECT_TRUE(events->empty());
  EXPECT_FALSE(service_->ChangeSubscription("SUB-404", PlanChange{"Basic"}).ok());
  EXPECT_EQ(service_->ListSubscriptions("", "paused").error().field, "status");
  EXPECT_EQ(service_->UpcomingRenewals(-1).error().field, "days");
  // A run ahead of today would issue invoices dated in the future.
  auto ahead = service_->RunBilling(D("2026-11-26"));
  ASSERT_FALSE(ahead.ok());
  EXPECT_EQ(ahead.error().field, "asOf");
  ExpectInvariants();
}

TEST_F(SubscriptionsTest, ListsAndRenewalsCountEveryRow) {
  for (int k = 0; k < 7; ++k) Subscribe(k < 4 ? "CUST-001" : "CUST-002", "Basic");
  Today("2026-11-26");
  Subscribe("CUST-003", "Premium Annual");
  auto mine = service_->ListSubscriptions("CUST-001", "", PageSpec{0, 2});
  ASSERT_TRUE(mine.ok());
  EXPECT_EQ(mine->subscriptions.size(), 2u);
  EXPECT_EQ(mine->totals.count, 4);
  EXPECT_EQ(mine->subscriptions[0].plan.name, "Basic");
  // Renewing within 30 days from 2026-11-26: the seven monthly ones on 2026-12-25, not the
  // annual one (2027-11-26).
  auto soon = service_->UpcomingRenewals(30);
  ASSERT_TRUE(soon.ok());
  EXPECT_EQ(soon->totals.count, 7);
  auto year = service_->UpcomingRenewals(366);
  EXPECT_EQ(year->totals.count, 8);
  EXPECT_EQ(year->subscriptions.back().subscription.id, "SUB-008");
}

}  // namespace
}  // namespace billing
