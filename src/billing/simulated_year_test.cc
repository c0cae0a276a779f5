// A simulated year (issue #12 item 9): subscriptions on every plan and interval, some with coupons,
// automatic and manual collection, a processor scripted to decline some charges (soft, hard, every
// retry). The injected clock moves one day at a time for 400 days with a billing run each day, the
// manual payers paying five days after each invoice. At the end: the exact invoices of each
// subscription, totals equal to price x periods - discounts, each retry and dunning step on its
// day, a suspension by dunning and its reinstatement; every invariant true after every day. Runs on
// both backends (pg.SimulatedYearTest.*).
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "billing/rules.h"
#include "billing/service.h"
#include "testing/dates.h"
#include "testing/scripted_processor.h"
#include "testing/seeded_ledger.h"

namespace billing {
namespace {

using test_support::D;
using test_support::Plus;

struct Expected {
  const char* customer;
  int64_t invoices;
  int64_t net_subtotal_cents;  // price x periods - discounts
};

class SimulatedYearTest : public test_support::SeededLedgerTest {
 protected:
  SimulatedYearTest() : SeededLedgerTest("billing-simulated-year-test") {}
  void SetUp() override {
    SeededLedgerTest::SetUp();
    BillingOptions options;
    options.processor = &processor_;
    service_ = std::make_unique<BillingService>(*store_, clock_, ids_, processor_random_, options);
    Today(D("2027-01-01"));
    // A quarterly plan (the sample plans are monthly and annual) and eight new customers.
    Status s = store_->Write([&](StoreTx& tx) -> Status {
      BILLING_TRY(tx.InsertPlan(
          {"PLAN-TEAM-Q", "Team Quarterly", 45000, "USD", "quarterly", true, "2027-01-01"}));
      for (int k = 1; k <= 8; ++k) {
        const std::string id = "CUST-10" + std::to_string(k);
        BILLING_TRY(tx.InsertCustomer({id, "Company " + id, "Contact", "billing@example.com",
                                       "monthly", "credit_card", "active", "USD", std::nullopt, 0,
                                       "2027-01-01T00:00:00.000Z"}));
      }
      return OkStatus();
    });
    ASSERT_TRUE(s.ok()) << s.error().message;
  }
  void Today(const Date& d) { clock_.Set(d.DaysSinceEpoch() * 86'400'000 + 43'200'000); }
  void Subscribe(const char* customer, const char* plan, const char* collection,
                 const char* coupon = "", const char* start = nullptr) {
    NewSubscription req;
    req.customer_id = customer;
    req.plan = plan;
    req.collection = collection;
    req.coupon_code = coupon;
    if (start != nullptr) req.start_date = D(start);
    req.actor = Actor("dev");
    auto out = service_->CreateSubscription(req);
    ASSERT_TRUE(out.ok()) << customer << ": " << out.error().message;
  }
  std::vector<Invoice> InvoicesOf(const std::string& customer) {
    auto list = service_->ListInvoices(customer, "", PageSpec{0, 1000});
    EXPECT_TRUE(list.ok());
    return list.ok() ? list->invoices : std::vector<Invoice>{};
  }
  // Pays `customer`'s open invoices issued at least `age_days` ago, in full, by bank transfer.
  void PayOpen(const std::string& customer, const Date& today, int age_days) {
    for (const Invoice& inv : InvoicesOf(customer)) {
      if (inv.status != "pending" ||
          today.DaysSinceEpoch() - inv.issue_date.DaysSinceEpoch() < age_days) {
        continue;
      }
      PaymentRequest pay{customer, AmountDueCents(inv), "bank_transfer", inv.id};
      pay.actor = Actor("dev");
      auto paid = service_->ProcessPayment(pay);
      ASSERT_TRUE(paid.ok()) << inv.id << ": " << paid.error().message;
    }
  }
  std::vector<std::string> EventDays(const char* type, const std::string& object_id) {
    std::vector<std::string> days;
    std::string after;
    for (int page = 0; page < 100; ++page) {
      auto events = service_->ListEvents(after, type, 1000);
      EXPECT_TRUE(events.ok());
      if (!events.ok() || events->empty()) break;
      for (const Event& e : *events) {
        if (e.object_id == object_id) days.push_back(e.created_at.substr(0, 10));
      }
      after = events->back().id;
    }
    return days;
  }
  std::vector<std::string> ChargeDays(const std::string& customer) {
    std::vector<std::string> days;
    for (const ChargeRequest& c : processor_.calls()) {
      if (c.customer_id == customer) days.push_back(c.date.ToString());
    }
    return days;
  }

  test_support::ScriptedProcessor processor_;
  SeededRandom processor_random_{3};
};

TEST_F(SimulatedYearTest, FourHundredDaysOfDailyRunsBillCollectAndDunExactly) {
  NewCoupon team{
      .code = "TEAM20", .percent_off_bp = 2000, .duration = "repeating", .duration_periods = 2};
  NewCoupon loyal{.code = "LOYAL10", .percent_off_bp = 1000, .duration = "forever"};
  ASSERT_TRUE(service_->CreateCoupon(team).ok());
  ASSERT_TRUE(service_->CreateCoupon(loyal).ok());
  // Charges of a customer in order: "" approves. CUST-106: March's first charge and its first
  // retry declined. CUST-107: every attempt at June's invoice declined. CUST-108: May's card
  // expired (a hard decline).
  processor_.Script("CUST-106", {"", "", "insufficient_funds", "card_declined"});
  processor_.Script("CUST-107", {"", "", "", "", "", "card_declined", "card_declined",
                                 "insufficient_funds", "card_declined", "card_declined"});
  processor_.Script("CUST-108", {"", "", "", "", "expired_card"});
  Subscribe("CUST-101", "Basic", "send_invoice");
  Subscribe("CUST-102", "Premium Plan", "automatic");
  Subscribe("CUST-103", "Premium Annual", "automatic");
  Subscribe("CUST-104", "Team Quarterly", "send_invoice", "TEAM20");
  Subscribe("CUST-105", "Basic", "automatic", "LOYAL10", "2027-01-31");
  Subscribe("CUST-106", "Premium Plan", "automatic");
  Subscribe("CUST-107", "Basic", "automatic");
  Subscribe("CUST-108", "Premium Plan", "automatic");

  const Date first = D("2027-01-01");
  for (int day = 0; day < 400; ++day) {
    const Date today = Plus(first, day);
    Today(today);
    auto run = service_->RunBilling(today);
    ASSERT_TRUE(run.ok()) << today.ToString() << ": " << run.error().message;
    ASSERT_TRUE(run->capped.empty());
    // The manual payers pay five days after each invoice; CUST-108 pays its hard-declined May
    // invoice on May 10th; CUST-107 settles its June invoice on October 15th.
    PayOpen("CUST-101", today, 5);
    PayOpen("CUST-104", today, 5);
    if (today == D("2027-05-10")) PayOpen("CUST-108", today, 0);
    if (today == D("2027-10-15")) PayOpen("CUST-107", today, 0);
    Status invariants = service_->CheckInvariants();
    ASSERT_TRUE(invariants.ok()) << today.ToString() << ": " << invariants.error().message;
  }

  // Invoices per subscription and their net subtotals. 400 days from 2027-01-01 end on 2028-02-04:
  // 14 monthly periods, 5 quarterly, 2 annual; CUST-105 anchors on the 31st (13 periods from
  // 2027-01-31); CUST-107 was suspended by dunning from 07-31 to 10-15 (August to October skipped).
  const Expected expected[] = {
      {"CUST-101", 14, 14 * 4900},         {"CUST-102", 14, 14 * 19900},
      {"CUST-103", 2, 2 * 199000},         {"CUST-104", 5, 5 * 45000 - 2 * 9000},
      {"CUST-105", 13, 13 * (4900 - 490)}, {"CUST-106", 14, 14 * 19900},
      {"CUST-107", 11, 11 * 4900},         {"CUST-108", 14, 14 * 19900},
  };
  for (const Expected& e : expected) {
    const std::vector<Invoice> invoices = InvoicesOf(e.customer);
    int64_t net = 0, open = 0;
    for (const Invoice& inv : invoices) {
      net += inv.subtotal_cents - inv.discount_cents;
      EXPECT_EQ(inv.total_cents, inv.subtotal_cents - inv.discount_cents + inv.tax_cents);
      if (inv.status != "paid") ++open;
    }
    EXPECT_EQ(int64_t(invoices.size()), e.invoices) << e.customer;
    EXPECT_EQ(net, e.net_subtotal_cents) << e.customer;
    // Everything was collected or paid but what the manual payers got in the last five days.
    const bool manual =
        std::string(e.customer) == "CUST-101" || std::string(e.customer) == "CUST-104";
    EXPECT_EQ(open, manual && std::string(e.customer) == "CUST-101" ? 1 : 0) << e.customer;
  }
  // CUST-105's periods anchor on the 31st and fall on short months' last days.
  std::vector<std::string> issued;
  for (const Invoice& inv : InvoicesOf("CUST-105")) issued.push_back(inv.issue_date.ToString());
  std::sort(issued.begin(), issued.end());
  EXPECT_EQ(issued, (std::vector<std::string>{
                        "2027-01-31", "2027-02-28", "2027-03-31", "2027-04-30", "2027-05-31",
                        "2027-06-30", "2027-07-31", "2027-08-31", "2027-09-30", "2027-10-31",
                        "2027-11-30", "2027-12-31", "2028-01-31"}));

  // Retries on their days after the first decline (1, 3, 5, 7), a hard decline never retried.
  const std::vector<std::string> march = {"2027-03-01", "2027-03-02", "2027-03-04"};
  std::vector<std::string> c106 = ChargeDays("CUST-106");
  EXPECT_EQ(std::vector<std::string>(c106.begin() + 2, c106.begin() + 5), march);
  std::vector<std::string> c107 = ChargeDays("CUST-107");
  ASSERT_GE(c107.size(), 11u);
  EXPECT_EQ(std::vector<std::string>(c107.begin() + 5, c107.begin() + 11),
            (std::vector<std::string>{"2027-06-01", "2027-06-02", "2027-06-04", "2027-06-06",
                                      "2027-06-08", "2027-07-01"}));
  std::vector<std::string> c108 = ChargeDays("CUST-108");
  EXPECT_EQ(c108[4], "2027-05-01");
  EXPECT_EQ(c108[5], "2027-06-01");  // no retry of the expired card
  EXPECT_EQ(c108.size(), 14u);

  // Dunning of CUST-107's June invoice (due 07-01): each step once, on its day; suspended by
  // dunning on day 30, reinstated the day it paid.
  EXPECT_EQ(EventDays("dunning.reminder", "CUST-107"),
            (std::vector<std::string>{"2027-07-02", "2027-07-08"}));
  EXPECT_EQ(EventDays("dunning.warning", "CUST-107"), (std::vector<std::string>{"2027-07-15"}));
  EXPECT_EQ(EventDays("dunning.suspend", "CUST-107"), (std::vector<std::string>{"2027-07-31"}));
  EXPECT_EQ(EventDays("customer.suspended", "CUST-107"), (std::vector<std::string>{"2027-07-31"}));
  EXPECT_EQ(EventDays("customer.reinstated", "CUST-107"), (std::vector<std::string>{"2027-10-15"}));
  auto overdue = service_->ListEvents("", "invoice.overdue", 1000);
  ASSERT_TRUE(overdue.ok());
  EXPECT_EQ(overdue->size(), 1u);  // only CUST-107's June invoice was ever overdue
  EXPECT_EQ(EventDays("subscription.past_due", "SUB-008"),
            (std::vector<std::string>{"2027-05-01"}));
  EXPECT_EQ(EventDays("subscription.past_due", "SUB-006"),
            (std::vector<std::string>{"2027-03-01"}));
  auto dunning = service_->ListDunning(PageSpec{});
  ASSERT_TRUE(dunning.ok());
  EXPECT_EQ(dunning->count, 0);
  for (const char* id :
       {"SUB-001", "SUB-002", "SUB-003", "SUB-004", "SUB-005", "SUB-006", "SUB-007", "SUB-008"}) {
    auto sub = service_->GetSubscription(id);
    ASSERT_TRUE(sub.ok());
    EXPECT_EQ(sub->subscription.status, "active") << id;
  }
}

}  // namespace
}  // namespace billing
