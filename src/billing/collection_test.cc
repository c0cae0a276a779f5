// Automatic collection, retries and dunning (automated-billing.md "Collection, retries,
// dunning"; docs/collection.md), day by day with the injected clock: declined charges retried 1,
// 3, 5 and 7 days after the first decline and no more, hard declines never retried, past_due
// while the latest invoice is declined or overdue, invoice.overdue once per invoice, each dunning
// step once on its day, suspension by dunning lifted when nothing dunned is owed, a suspension by
// hand kept. Every invariant is checked after each run. Runs on both backends
// (pg.CollectionTest.*).
#include <gtest/gtest.h>

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

class CollectionTest : public test_support::SeededLedgerTest {
 protected:
  CollectionTest() : SeededLedgerTest("billing-collection-test") {}
  void SetUp() override {
    SeededLedgerTest::SetUp();
    BillingOptions options;
    options.processor_mode = ProcessorMode::kAlwaysApprove;
    options.processor = &processor_script_;
    service_ = std::make_unique<BillingService>(*store_, clock_, ids_, processor_, options);
    Today("2026-12-06");
  }
  void Today(const Date& d) { clock_.Set(d.DaysSinceEpoch() * 86'400'000 + 43'200'000); }
  void Today(const char* date) { Today(D(date)); }
  BillingRunReport Run(const Date& day) {
    Today(day);
    auto r = service_->RunBilling(day);
    EXPECT_TRUE(r.ok()) << r.error().message;
    ExpectInvariants();
    return r.ok() ? *r : BillingRunReport{};
  }
  BillingRunReport Run(const char* day) { return Run(D(day)); }
  // Runs every day from `from` to `to` (inclusive); the reports' sums.
  BillingRunReport RunDays(const char* from, const char* to) {
    BillingRunReport sum;
    for (Date d = D(from); !(D(to) < d); d = Plus(d, 1)) {
      const BillingRunReport r = Run(d);
      sum.charges += r.charges;
      sum.charges_declined += r.charges_declined;
      sum.retries_scheduled += r.retries_scheduled;
      sum.invoices_overdue += r.invoices_overdue;
      sum.dunning_steps += r.dunning_steps;
      sum.customers_suspended += r.customers_suspended;
      sum.customers_reinstated += r.customers_reinstated;
    }
    return sum;
  }
  Subscription Subscribe(const char* customer, const char* plan, const char* collection,
                         int terms_days = 30) {
    NewSubscription req;
    req.customer_id = customer;
    req.plan = plan;
    req.collection = collection;
    req.payment_terms_days = terms_days;
    req.actor = Actor("dev");
    auto out = service_->CreateSubscription(req);
    EXPECT_TRUE(out.ok()) << out.error().message;
    ExpectInvariants();
    return out.ok() ? out->view.subscription : Subscription{};
  }
  std::string SubscriptionStatus(const std::string& id) {
    auto v = service_->GetSubscription(id);
    EXPECT_TRUE(v.ok());
    return v.ok() ? v->subscription.status : "";
  }
  std::string CustomerStatus(const std::string& id) {
    auto v = service_->GetCustomer(id);
    EXPECT_TRUE(v.ok());
    return v.ok() ? v->customer.status : "";
  }
  std::string InvoiceStatus(const std::string& id) {
    auto inv = service_->GetInvoice(id);
    EXPECT_TRUE(inv.ok());
    return inv.ok() ? inv->status : "";
  }
  // The events of `type`, oldest first, as "day" strings (the clock's date when emitted).
  std::vector<std::string> EventDays(const char* type) {
    auto events = service_->ListEvents("", type, 1000);
    EXPECT_TRUE(events.ok());
    std::vector<std::string> days;
    if (events.ok()) {
      for (const Event& e : *events) days.push_back(e.created_at.substr(0, 10));
    }
    return days;
  }
  std::vector<Payment> PaymentsFor(const std::string& customer, const std::string& invoice) {
    auto h = service_->History(customer, PageSpec{0, 1000});
    EXPECT_TRUE(h.ok());
    std::vector<Payment> out;
    if (h.ok()) {
      for (const Payment& p : h->payments) {
        if (p.invoice_id == invoice) out.insert(out.begin(), p);  // oldest first
      }
    }
    return out;
  }
  std::optional<Collection> CollectionOf(const std::string& invoice) {
    std::optional<Collection> out;
    Status s = store_->Read([&](StoreTx& tx) -> Status {
      BILLING_ASSIGN_OR_RETURN(out, tx.FindCollection(invoice));
      return OkStatus();
    });
    EXPECT_TRUE(s.ok());
    return out;
  }
  std::string Invoice1(const char* customer, int64_t cents, const char* due) {
    NewInvoice req;
    req.customer_id = customer;
    req.items = {{"Consulting", 1000, cents}};
    req.due_date = D(due);
    req.actor = Actor("dev");
    auto inv = service_->CreateInvoice(req);
    EXPECT_TRUE(inv.ok()) << inv.error().message;
    return inv.ok() ? inv->id : "";
  }

  test_support::ScriptedProcessor processor_script_;
};

TEST_F(CollectionTest, ADeclinedChargeIsRetriedOnItsDaysAndThePaidInvoiceEndsPastDue) {
  processor_script_.Script("CUST-001", {"insufficient_funds", "card_declined"});
  const Subscription sub = Subscribe("CUST-001", "Basic", "automatic");
  const std::string invoice = service_->ListInvoices("CUST-001", "pending")->invoices.back().id;

  BillingRunReport day0 = Run("2026-12-06");
  EXPECT_EQ(day0.charges, 1);
  EXPECT_EQ(day0.charges_declined, 1);
  EXPECT_EQ(day0.retries_scheduled, 1);
  EXPECT_EQ(SubscriptionStatus(sub.id), "past_due");
  EXPECT_EQ(CollectionOf(invoice)->next_attempt_date, "2026-12-07");

  EXPECT_EQ(Run("2026-12-07").charges_declined, 1);
  EXPECT_EQ(CollectionOf(invoice)->next_attempt_date, "2026-12-09");  // 3 days after the first
  EXPECT_EQ(Run("2026-12-08").charges, 0);
  BillingRunReport paid = Run("2026-12-09");
  EXPECT_EQ(paid.charges, 1);
  EXPECT_EQ(paid.charges_declined, 0);
  EXPECT_EQ(InvoiceStatus(invoice), "paid");
  EXPECT_EQ(SubscriptionStatus(sub.id), "active");
  EXPECT_EQ(CollectionOf(invoice)->state, "paid");
  EXPECT_EQ(RunDays("2026-12-10", "2026-12-20").charges, 0);

  // Each attempt is a payment record linked to the invoice.
  const std::vector<Payment> attempts = PaymentsFor("CUST-001", invoice);
  ASSERT_EQ(attempts.size(), 3u);
  EXPECT_EQ(attempts[0].status, "failed");
  EXPECT_NE(attempts[0].failure_reason.find("insufficient_funds"), std::string::npos);
  EXPECT_EQ(attempts[1].status, "failed");
  EXPECT_EQ(attempts[2].status, "completed");
  EXPECT_EQ(attempts[2].amount_cents, 5292);  // $49.00 + 8% tax
  const std::vector<ChargeRequest> calls = processor_script_.calls();
  ASSERT_EQ(calls.size(), 3u);
  EXPECT_EQ(calls[0].date.ToString(), "2026-12-06");
  EXPECT_EQ(calls[1].date.ToString(), "2026-12-07");
  EXPECT_EQ(calls[2].date.ToString(), "2026-12-09");
  EXPECT_EQ(calls[2].attempt, 3);
  EXPECT_EQ(EventDays("payment.retry_scheduled"),
            (std::vector<std::string>{"2026-12-06", "2026-12-07"}));
  EXPECT_EQ(EventDays("subscription.past_due"), (std::vector<std::string>{"2026-12-06"}));

  // The payment success report tells the first attempt from the retries.
  EXPECT_EQ(attempts[0].attempt, 1);
  EXPECT_EQ(attempts[1].attempt, 2);
  EXPECT_EQ(attempts[2].attempt, 3);
  auto success = service_->PaymentSuccess("2026-12", "2026-12", "", "USD");
  ASSERT_TRUE(success.ok()) << success.error().message;
  int64_t first_failed = 0, first_succeeded = 0, retry_failed = 0, retry_succeeded = 0;
  for (const PaymentSuccessRow& row : success->rows) {
    (row.retry ? retry_failed : first_failed) += row.failed;
    (row.retry ? retry_succeeded : first_succeeded) += row.succeeded;
  }
  EXPECT_EQ(first_failed, 1);
  EXPECT_EQ(first_succeeded, 0);
  EXPECT_EQ(retry_failed, 1);
  EXPECT_EQ(retry_succeeded, 1);
  EXPECT_EQ(success->overall.RateBasisPoints(), 3333);  // 1 of 3
}

TEST_F(CollectionTest, RetriesStopAfterTheScheduleAndAHardDeclineIsNeverRetried) {
  processor_script_.Script("CUST-002", std::vector<std::string>(9, "card_declined"));
  processor_script_.Script("CUST-003", {"expired_card"});
  Subscribe("CUST-002", "Basic", "automatic");
  const Subscription hard = Subscribe("CUST-003", "Basic", "automatic");
  const BillingRunReport sum = RunDays("2026-12-06", "2026-12-31");
  // CUST-002: the first charge and 4 retries (days 1, 3, 5, 7); CUST-003: one charge.
  EXPECT_EQ(sum.charges, 6);
  EXPECT_EQ(sum.charges_declined, 6);
  EXPECT_EQ(sum.retries_scheduled, 4);
  std::vector<std::string> days;
  for (const ChargeRequest& c : processor_script_.calls()) {
    if (c.customer_id == "CUST-002") days.push_back(c.date.ToString());
  }
  EXPECT_EQ(days, (std::vector<std::string>{"2026-12-06", "2026-12-07", "2026-12-09", "2026-12-11",
                                            "2026-12-13"}));
  const std::string hard_invoice =
      service_->ListInvoices("CUST-003", "pending")->invoices.back().id;
  EXPECT_EQ(CollectionOf(hard_invoice)->state, "hard_declined");
  EXPECT_EQ(SubscriptionStatus(hard.id), "past_due");

  // Paid by hand: the collection ends and the subscription is active again at once.
  PaymentRequest pay{"CUST-003", 5292, "bank_transfer", hard_invoice};
  pay.actor = Actor("dev");
  ASSERT_TRUE(service_->ProcessPayment(pay).ok());
  EXPECT_EQ(CollectionOf(hard_invoice)->state, "paid");
  EXPECT_EQ(SubscriptionStatus(hard.id), "active");
  ExpectInvariants();
}

TEST_F(CollectionTest, DunningTakesEachStepOnItsDaySuspendsAndReinstatesOncePaid) {
  const std::string invoice = Invoice1("CUST-002", 10000, "2026-12-07");
  const BillingRunReport sum = RunDays("2026-12-06", "2027-01-08");
  EXPECT_EQ(sum.invoices_overdue, 1);
  EXPECT_EQ(sum.dunning_steps, 4);
  EXPECT_EQ(sum.customers_suspended, 1);
  EXPECT_EQ(EventDays("invoice.overdue"), (std::vector<std::string>{"2026-12-08"}));
  EXPECT_EQ(EventDays("dunning.reminder"), (std::vector<std::string>{"2026-12-08", "2026-12-14"}));
  EXPECT_EQ(EventDays("dunning.warning"), (std::vector<std::string>{"2026-12-21"}));
  EXPECT_EQ(EventDays("dunning.suspend"), (std::vector<std::string>{"2027-01-06"}));
  EXPECT_EQ(EventDays("customer.suspended"), (std::vector<std::string>{"2027-01-06"}));
  EXPECT_EQ(CustomerStatus("CUST-002"), "suspended");

  auto dunning = service_->ListDunning(PageSpec{});
  ASSERT_TRUE(dunning.ok());
  ASSERT_EQ(dunning->count, 1);
  EXPECT_EQ(dunning->cases[0].customer.id, "CUST-002");
  EXPECT_TRUE(dunning->cases[0].dunning_case.suspended_by_dunning);
  EXPECT_EQ(dunning->cases[0].oldest_invoice->id, invoice);
  EXPECT_EQ(dunning->cases[0].days_past_due, 32);
  EXPECT_EQ(dunning->cases[0].steps.size(), 4u);

  // Paid: nothing dunned is owed, so the suspension by dunning ends in the same transaction.
  PaymentRequest pay{"CUST-002", 10800, "bank_transfer", invoice};
  pay.actor = Actor("dev");
  ASSERT_TRUE(service_->ProcessPayment(pay).ok());
  EXPECT_EQ(CustomerStatus("CUST-002"), "active");
  EXPECT_EQ(EventDays("customer.reinstated"), (std::vector<std::string>{"2027-01-08"}));
  EXPECT_EQ(service_->ListDunning(PageSpec{})->count, 0);
  const BillingRunReport after = Run("2027-01-09");
  EXPECT_EQ(after.dunning_steps + after.customers_suspended + after.customers_reinstated, 0);
  ExpectInvariants();
}

TEST_F(CollectionTest, ASuspensionByHandStaysWhenTheDunnedInvoiceIsPaid) {
  const std::string invoice = Invoice1("CUST-003", 10000, "2026-12-07");
  Run("2026-12-08");
  // Suspended by hand (no API suspends customers yet: the store, as an operator's tool would).
  ASSERT_TRUE(
      store_->Write([](StoreTx& tx) { return tx.SetCustomerStatus("CUST-003", "suspended"); })
          .ok());
  const BillingRunReport late = Run("2027-01-10");  // catch-up: every step due, each once
  EXPECT_EQ(late.dunning_steps, 3);                 // the day-1 reminder was taken on 12-08
  EXPECT_EQ(late.customers_suspended, 0);           // already suspended
  EXPECT_EQ(Run("2027-01-10").dunning_steps, 0);
  PaymentRequest pay{"CUST-003", 10800, "bank_transfer", invoice};
  pay.actor = Actor("dev");
  ASSERT_TRUE(service_->ProcessPayment(pay).ok());
  EXPECT_EQ(CustomerStatus("CUST-003"), "suspended");
  EXPECT_TRUE(EventDays("customer.reinstated").empty());
  EXPECT_EQ(service_->ListDunning(PageSpec{})->count, 0);
  ExpectInvariants();
}

TEST_F(CollectionTest, AnOverdueSendInvoiceSubscriptionIsPastDueUntilPaid) {
  const Subscription sub = Subscribe("CUST-002", "Premium Plan", "send_invoice", 1);
  const std::string invoice = service_->ListInvoices("CUST-002", "pending")->invoices.back().id;
  EXPECT_EQ(Run("2026-12-07").charges, 0);  // send_invoice: never charged
  EXPECT_EQ(SubscriptionStatus(sub.id), "active");
  EXPECT_EQ(Run("2026-12-08").invoices_overdue, 1);
  EXPECT_EQ(SubscriptionStatus(sub.id), "past_due");
  PaymentRequest pay{"CUST-002", 21492, "bank_transfer", invoice};
  pay.actor = Actor("dev");
  ASSERT_TRUE(service_->ProcessPayment(pay).ok());
  EXPECT_EQ(SubscriptionStatus(sub.id), "active");
  ExpectInvariants();
}

TEST_F(CollectionTest, TheSampleHistoryIsNotDunnedAndACancelledInvoiceStopsItsRetries) {
  const BillingRunReport today = Run("2026-12-06");
  EXPECT_EQ(today.invoices_overdue, 0);  // the sample's 2025 invoices are history
  EXPECT_EQ(service_->ListDunning(PageSpec{})->count, 0);
  EXPECT_EQ(CustomerStatus("CUST-001"), "active");

  processor_script_.Script("CUST-002", {"card_declined"});
  Subscribe("CUST-002", "Basic", "automatic");
  const std::string invoice = service_->ListInvoices("CUST-002", "pending")->invoices.back().id;
  EXPECT_EQ(Run("2026-12-06").retries_scheduled, 1);
  ASSERT_TRUE(service_->CancelInvoice(invoice, Actor("dev")).ok());
  EXPECT_EQ(CollectionOf(invoice)->state, "stopped");
  EXPECT_EQ(CollectionOf(invoice)->next_attempt_date, "");
  EXPECT_EQ(RunDays("2026-12-07", "2026-12-15").charges, 0);
}

}  // namespace
}  // namespace billing
