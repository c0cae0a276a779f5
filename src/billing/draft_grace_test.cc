// The draft grace period of subscription invoices (automated-billing.md "Invoice lifecycle":
// BILLING_DRAFT_HOURS): a period's invoice waits as an editable draft that owes nothing, the
// first billing run after the grace period finalizes it exactly once (number, collection, the
// subscription's coupon without a second redemption), and a customer suspended meanwhile has the
// draft discarded. Runs on both backends (pg.DraftGraceTest.*).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "billing/service.h"
#include "testing/raw_db.h"
#include "testing/seeded_ledger.h"

namespace billing {
namespace {

constexpr int64_t kHourMs = 3'600'000;

class DraftGraceTest : public test_support::SeededLedgerTest {
 protected:
  DraftGraceTest() : SeededLedgerTest("billing-draft-grace-test") {}
  void SetUp() override {
    SeededLedgerTest::SetUp();
    BillingOptions options;
    options.processor_mode = ProcessorMode::kAlwaysApprove;
    options.draft_hours = 1;
    options.dunning.clear();
    service_ = std::make_unique<BillingService>(*store_, clock_, ids_, processor_, options);
  }
  SubscriptionOutcome Subscribe(const char* customer, const char* plan, const char* collection,
                                const char* coupon = "") {
    NewSubscription req;
    req.customer_id = customer;
    req.plan = plan;
    req.collection = collection;
    req.coupon_code = coupon;
    req.actor = Actor("dev");
    auto out = service_->CreateSubscription(req);
    EXPECT_TRUE(out.ok()) << out.error().message;
    ExpectInvariants();
    return out.ok() ? *out : SubscriptionOutcome{};
  }
  BillingRunReport RunAfter(int64_t ms) {
    clock_.Set(clock_.NowUnixMs() + ms);
    auto r = service_->RunBilling(clock_.TodayUtc(), Actor("billing-run"));
    EXPECT_TRUE(r.ok()) << r.error().message;
    ExpectInvariants();
    return r.ok() ? *r : BillingRunReport{};
  }
  std::vector<SubscriptionPeriod> Periods(const std::string& subscription_id) {
    std::vector<SubscriptionPeriod> periods;
    Status s = store_->Read([&](StoreTx& tx) -> Status {
      BILLING_ASSIGN_OR_RETURN(periods, tx.PeriodsOf(subscription_id, 10));
      return OkStatus();
    });
    EXPECT_TRUE(s.ok()) << s.error().message;
    return periods;
  }
  // The invoice (or draft) of a subscription's one period.
  std::string PeriodInvoice(const std::string& subscription_id) {
    const std::vector<SubscriptionPeriod> periods = Periods(subscription_id);
    return periods.size() == 1 ? periods[0].invoice_id : std::string();
  }
  int64_t Balance(const char* customer) { return service_->GetCustomer(customer)->balance_cents; }
};

TEST_F(DraftGraceTest, PeriodInvoicesWaitAsDraftsAndTheRunFinalizesThemOnce) {
  const int64_t balance = Balance("CUST-002");
  const SubscriptionOutcome sub = Subscribe("CUST-002", "Premium Plan", "automatic");
  ASSERT_EQ(sub.invoices.size(), 1u);
  const Invoice draft = sub.invoices[0];
  EXPECT_EQ(draft.id.rfind("draft_", 0), 0u) << draft.id;
  EXPECT_EQ(draft.status, "draft");
  EXPECT_EQ(draft.total_cents, 21492);      // $199.00 + 8%
  EXPECT_EQ(Balance("CUST-002"), balance);  // a draft owes nothing
  EXPECT_EQ(PeriodInvoice(sub.view.subscription.id), draft.id);

  // Editable during the grace period.
  InvoiceUpdate note;
  note.notes = "PO 1234";
  ASSERT_TRUE(service_->UpdateInvoice(draft.id, note, Actor("dev")).ok());

  // Not yet: half the grace period.
  BillingRunReport early = RunAfter(kHourMs / 2);
  EXPECT_EQ(early.drafts_finalized, 0);
  EXPECT_EQ(early.charges, 0);
  EXPECT_EQ(service_->ListInvoices("", "draft")->totals.count, 1);

  // The grace period over: finalized, numbered and charged in the same run.
  BillingRunReport due = RunAfter(kHourMs / 2);
  EXPECT_EQ(due.drafts_finalized, 1);
  EXPECT_EQ(due.drafts_discarded, 0);
  EXPECT_EQ(due.charges, 1);
  const std::string id = PeriodInvoice(sub.view.subscription.id);
  EXPECT_EQ(id.rfind("INV-2026-", 0), 0u) << id;
  auto inv = service_->GetInvoice(id);
  ASSERT_TRUE(inv.ok()) << inv.error().message;
  EXPECT_EQ(inv->total_cents, 21492);
  EXPECT_EQ(inv->notes, "PO 1234");
  EXPECT_EQ(inv->issue_date, sub.view.subscription.start_date);  // on its period start
  EXPECT_EQ(inv->status, "paid");
  EXPECT_EQ(Balance("CUST-002"), balance);  // invoiced and paid
  EXPECT_EQ(service_->ListInvoices("", "draft")->totals.count, 0);
  auto finalized = service_->ListEvents("", "invoice.finalized", 100);
  ASSERT_TRUE(finalized.ok());
  ASSERT_EQ(finalized->size(), 1u);
  EXPECT_EQ((*finalized)[0].object_id, id);

  // Exactly once: later runs find nothing to finalize or charge.
  BillingRunReport again = RunAfter(kHourMs);
  EXPECT_EQ(again.drafts_finalized, 0);
  EXPECT_EQ(again.charges, 0);
  EXPECT_EQ(again.periods_billed, 0);
}

// After downtime the run holds each missed period as a draft (none finalized in the run that made
// them); the next run past the grace period finalizes them all, each issued on its period start.
TEST_F(DraftGraceTest, CatchUpPeriodsAreHeldThenFinalizedOnTheirPeriodStarts) {
  const SubscriptionOutcome sub = Subscribe("CUST-002", "Basic", "send_invoice");
  const std::string id = sub.view.subscription.id;
  BillingRunReport down = RunAfter(92 * 24 * kHourMs);  // 2027-02-25: three periods missed
  EXPECT_EQ(down.drafts_finalized, 1);                  // the first period's
  EXPECT_EQ(down.periods_billed, 3);
  EXPECT_EQ(service_->ListInvoices("CUST-002", "draft")->totals.count, 3);
  BillingRunReport next = RunAfter(kHourMs);
  EXPECT_EQ(next.drafts_finalized, 3);
  EXPECT_EQ(next.periods_billed, 0);
  const std::vector<SubscriptionPeriod> periods = Periods(id);
  ASSERT_EQ(periods.size(), 4u);
  for (const SubscriptionPeriod& p : periods) {
    auto inv = service_->GetInvoice(p.invoice_id);
    ASSERT_TRUE(inv.ok()) << p.invoice_id;
    EXPECT_EQ(inv->status == "draft", false) << p.invoice_id;
    EXPECT_EQ(inv->issue_date, p.period_start) << p.invoice_id;
  }
  EXPECT_EQ(service_->ListInvoices("CUST-002", "draft")->totals.count, 0);
}

TEST_F(DraftGraceTest, TheSubscriptionsCouponAppliesWithoutASecondRedemption) {
  const SubscriptionOutcome sub = Subscribe("CUST-003", "Basic", "send_invoice", "WELCOME10");
  ASSERT_EQ(sub.invoices.size(), 1u);
  EXPECT_EQ(sub.invoices[0].discount_cents, 490);  // 10% of $49.00, shown on the draft
  EXPECT_EQ(RunAfter(kHourMs).drafts_finalized, 1);
  auto inv = service_->GetInvoice(PeriodInvoice(sub.view.subscription.id));
  ASSERT_TRUE(inv.ok()) << inv.error().message;
  EXPECT_EQ(inv->discount_cents, 490);
  EXPECT_EQ(inv->coupon_code, "WELCOME10");
  auto coupons = service_->ListCoupons();
  ASSERT_TRUE(coupons.ok());
  for (const Coupon& c : *coupons) {
    if (c.code == "WELCOME10") {
      EXPECT_EQ(c.times_redeemed, 1);  // by the subscription, not again by its invoice
    }
  }
}

TEST_F(DraftGraceTest, ACustomerSuspendedDuringTheGracePeriodHasTheDraftDiscarded) {
  const SubscriptionOutcome sub = Subscribe("CUST-001", "Basic", "send_invoice");
  ASSERT_EQ(sub.invoices.size(), 1u);
  const std::string draft = sub.invoices[0].id;
  {
    test_support::RawDb raw(db_.path());
    ASSERT_TRUE(raw.Exec("UPDATE customers SET status = 'suspended' WHERE id = 'CUST-001'"));
  }
  const int64_t balance = Balance("CUST-001");
  BillingRunReport r = RunAfter(kHourMs);
  EXPECT_EQ(r.drafts_finalized, 0);
  EXPECT_EQ(r.drafts_discarded, 1);
  EXPECT_EQ(Balance("CUST-001"), balance);
  EXPECT_EQ(PeriodInvoice(sub.view.subscription.id), draft);  // the period stays unbilled
  auto gone = service_->GetInvoice(draft);
  ASSERT_FALSE(gone.ok());
  EXPECT_EQ(gone.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(RunAfter(kHourMs).drafts_discarded, 0);
}

}  // namespace
}  // namespace billing
