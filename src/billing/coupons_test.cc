// Coupons (automated-billing.md "Discounts and coupons"; docs/coupons.md): percent or fixed
// amount, taken from the subtotal before tax (subtotal - discount + tax == total); once,
// repeating or forever on a subscription's invoices; redeem-by dates, archived coupons, a fixed
// amount in another currency, and of concurrent redemptions of the last allowed use exactly one
// wins. Every invariant (coupon counts included) is checked after each step. Runs on both
// backends (pg.CouponsTest.*).
#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "billing/rules.h"
#include "billing/service.h"
#include "testing/seeded_ledger.h"
#include "testing/dates.h"

namespace billing {
namespace {

using test_support::D;

class CouponsTest : public test_support::SeededLedgerTest {
 protected:
  CouponsTest() : SeededLedgerTest("billing-coupons-test") {}
  void SetUp() override {
    SeededLedgerTest::SetUp();
    Today("2026-12-06");
  }
  void Today(const char* date) { clock_.Set(D(date).DaysSinceEpoch() * 86'400'000 + 43'200'000); }
  Coupon MakeCoupon(NewCoupon req) {
    req.actor = Actor("dev");
    auto c = service_->CreateCoupon(req);
    EXPECT_TRUE(c.ok()) << c.error().message;
    return c.ok() ? *c : Coupon{};
  }
  Result<billing::Invoice> Bill(int64_t cents, const std::string& coupon,
                                const char* customer = "CUST-002") {
    NewInvoice req;
    req.customer_id = customer;
    req.items = {{"Consulting", 1000, cents}};
    req.due_date = D("2027-01-05");
    req.actor = Actor("dev");
    req.coupon_code = coupon;
    auto out = service_->CreateInvoice(req);
    ExpectInvariants();
    return out;
  }
  Coupon Find(const std::string& code) {
    auto all = service_->ListCoupons();
    EXPECT_TRUE(all.ok());
    for (const Coupon& c : *all) {
      if (c.code == code) return c;
    }
    ADD_FAILURE() << "no coupon " << code;
    return {};
  }

};

TEST_F(CouponsTest, ThePercentDiscountComesOffTheSubtotalBeforeTax) {
  // The sample coupon WELCOME10: 10% off, once. $1,234.56 -> discount $123.46 (half-up),
  // taxable $1,111.10, tax 8% $88.89, total $1,199.99.
  auto inv = Bill(123456, "welcome10");
  ASSERT_TRUE(inv.ok()) << inv.error().message;
  EXPECT_EQ(inv->coupon_code, "WELCOME10");
  EXPECT_EQ(inv->subtotal_cents, 123456);
  EXPECT_EQ(inv->discount_cents, 12346);
  EXPECT_EQ(inv->tax_cents, 8889);
  EXPECT_EQ(inv->total_cents, 119999);
  EXPECT_EQ(inv->subtotal_cents - inv->discount_cents + inv->tax_cents, inv->total_cents);
  EXPECT_EQ(Find("WELCOME10").times_redeemed, 1);
  auto events = service_->ListEvents("", "coupon.redeemed", 10);
  ASSERT_TRUE(events.ok());
  ASSERT_EQ(events->size(), 1u);
  EXPECT_EQ((*events)[0].object_id, "WELCOME10");
}

TEST_F(CouponsTest, AFixedAmountNeverExceedsTheSubtotalAndMustMatchTheCurrency) {
  MakeCoupon({.code = "TAKE50", .amount_off_cents = 5000});
  auto small = Bill(3000, "TAKE50");  // $30: the discount is $30, nothing is owed
  ASSERT_TRUE(small.ok()) << small.error().message;
  EXPECT_EQ(small->discount_cents, 3000);
  EXPECT_EQ(small->total_cents, 0);
  EXPECT_EQ(small->status, "paid");
  auto big = Bill(10000, "take50");
  ASSERT_TRUE(big.ok());
  EXPECT_EQ(big->discount_cents, 5000);
  EXPECT_EQ(big->total_cents, 5400);
  MakeCoupon({.code = "EURO5", .amount_off_cents = 500, .currency = "EUR"});
  auto euro = Bill(10000, "EURO5");
  ASSERT_FALSE(euro.ok());
  EXPECT_EQ(euro.error().field, "couponCode");
  EXPECT_EQ(Find("EURO5").times_redeemed, 0);
}

TEST_F(CouponsTest, ExpiredArchivedUnknownAndExhaustedCouponsAreRefusedAndChangeNothing) {
  MakeCoupon({.code = "SHORT", .percent_off_bp = 500, .redeem_by = D("2026-12-10")});
  MakeCoupon({.code = "ONEUSE", .percent_off_bp = 500, .max_redemptions = 1});
  ASSERT_TRUE(Bill(1000, "ONEUSE").ok());
  auto second = Bill(1000, "ONEUSE");
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.error().field, "couponCode");
  ASSERT_TRUE(service_->ArchiveCoupon("welcome10", Actor("dev")).ok());
  EXPECT_FALSE(Bill(1000, "WELCOME10").ok());
  EXPECT_EQ(Bill(1000, "NOPE").error().code, ErrorCode::kNotFound);
  Today("2026-12-11");
  EXPECT_FALSE(Bill(1000, "SHORT").ok());
  auto list = service_->ListInvoices("CUST-002", "");
  ASSERT_TRUE(list.ok());
  EXPECT_EQ(list->totals.count, 2);  // the sample invoice and the ONEUSE one
  // Bad coupons: each names its field.
  struct Case {
    NewCoupon c;
    const char* field;
  };
  const Case cases[] = {
      {{.code = "X"}, "code"},
      {{.code = "BOTH", .percent_off_bp = 10, .amount_off_cents = 10}, "percentOff"},
      {{.code = "NONE"}, "percentOff"},
      {{.code = "BIG", .percent_off_bp = 10001}, "percentOff"},
      {{.code = "REP", .percent_off_bp = 10, .duration = "repeating"}, "durationPeriods"},
      {{.code = "DUR", .percent_off_bp = 10, .duration = "weekly"}, "duration"},
      {{.code = "OLD", .percent_off_bp = 10, .redeem_by = D("2026-01-01")}, "redeemBy"},
      {{.code = "ONEUSE", .percent_off_bp = 10}, "code"},  // exists
  };
  for (const Case& c : cases) {
    auto out = service_->CreateCoupon(c.c);
    ASSERT_FALSE(out.ok()) << c.c.code;
    EXPECT_EQ(out.error().field, c.field) << out.error().message;
  }
  ExpectInvariants();
}

TEST_F(CouponsTest, ASubscriptionsCouponRunsForItsDuration) {
  MakeCoupon({.code = "THREEMONTHS",
              .percent_off_bp = 2000,
              .duration = "repeating",
              .duration_periods = 3});
  NewSubscription req;
  req.customer_id = "CUST-002";
  req.plan = "Basic";  // $49.00 a month
  req.coupon_code = "threemonths";
  req.actor = Actor("dev");
  auto sub = service_->CreateSubscription(req);
  ASSERT_TRUE(sub.ok()) << sub.error().message;
  ASSERT_EQ(sub->invoices.size(), 1u);
  EXPECT_EQ(sub->invoices[0].discount_cents, 980);  // 20% of $49.00
  EXPECT_EQ(sub->invoices[0].total_cents, 4234);    // $39.20 + 8%
  Today("2027-04-06");
  auto run = service_->RunBilling(D("2027-04-06"));
  ASSERT_TRUE(run.ok()) << run.error().message;
  ASSERT_EQ(run->invoice_ids.size(), 4u);
  std::vector<int64_t> discounts;
  for (const std::string& id : run->invoice_ids) {
    discounts.push_back(service_->GetInvoice(id)->discount_cents);
  }
  EXPECT_EQ(discounts, (std::vector<int64_t>{980, 980, 0, 0}));  // periods 2, 3 then none
  EXPECT_EQ(Find("THREEMONTHS").times_redeemed, 1);              // one redemption: the subscription
  ExpectInvariants();
}

TEST_F(CouponsTest, ADraftsCouponIsRedeemedWhenItIsFinalized) {
  NewInvoice req;
  req.customer_id = "CUST-002";
  req.items = {{"Setup", 1000, 20000}};
  req.due_date = D("2027-01-05");
  req.draft = true;
  auto draft = service_->CreateInvoice(req);
  ASSERT_TRUE(draft.ok());
  InvoiceUpdate up;
  up.coupon_code = "WELCOME10";
  auto with = service_->UpdateInvoice(draft->id, up, Actor("dev"));
  ASSERT_TRUE(with.ok()) << with.error().message;
  EXPECT_EQ(with->discount_cents, 2000);
  EXPECT_EQ(with->total_cents, 19440);
  EXPECT_EQ(Find("WELCOME10").times_redeemed, 0);  // a draft redeems nothing yet
  auto inv = service_->FinalizeInvoice(draft->id, Actor("dev"));
  ASSERT_TRUE(inv.ok()) << inv.error().message;
  EXPECT_EQ(inv->total_cents, 19440);
  EXPECT_EQ(Find("WELCOME10").times_redeemed, 1);
  // A finalized invoice's amounts are fixed: no coupon afterwards.
  auto late = service_->UpdateInvoice(inv->id, up, Actor("dev"));
  ASSERT_FALSE(late.ok());
  EXPECT_EQ(late.error().field, "couponCode");
  // A credit note on a discounted invoice goes by amount; tax stays in proportion.
  NewCreditNote cn;
  cn.invoice_id = inv->id;
  cn.lines = {{1, 0}};
  EXPECT_EQ(service_->CreateCreditNote(cn).error().field, "lines");
  cn.lines.clear();
  cn.amount_cents = 19440;
  auto all = service_->CreateCreditNote(cn);
  ASSERT_TRUE(all.ok()) << all.error().message;
  EXPECT_EQ(all->credit_note.tax_cents, inv->tax_cents);
  ExpectInvariants();
}

TEST_F(CouponsTest, ConcurrentRedemptionsOfTheLastUseHaveOneWinner) {
  MakeCoupon({.code = "LAST", .percent_off_bp = 1000, .max_redemptions = 3});
  ASSERT_TRUE(Bill(1000, "LAST").ok());
  ASSERT_TRUE(Bill(1000, "LAST").ok());
  constexpr int kThreads = 6;
  std::atomic<int> won{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      NewInvoice req;
      req.customer_id = "CUST-001";
      req.items = {{"Seat", 1000, 1000}};
      req.due_date = D("2027-01-05");
      req.coupon_code = "LAST";
      if (service_->CreateInvoice(req).ok()) ++won;
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(won.load(), 1);
  EXPECT_EQ(Find("LAST").times_redeemed, 3);
  ExpectInvariants();
}

}  // namespace
}  // namespace billing
