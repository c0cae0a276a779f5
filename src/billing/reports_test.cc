// The billing reports (billing/reports.h; docs/reports.md) over the real store: aging buckets
// against a brute-force walk of the open invoices at several dates; revenue, MRR and payment
// attempts moved by exactly what each operation did, in the month it happened and nowhere else;
// the argument rules. CheckInvariants (which recomputes every counter from the rows) runs after
// each operation. Runs on both backends (pg.ReportsTest.*).
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "billing/periods.h"
#include "billing/reports.h"
#include "billing/rules.h"
#include "testing/dates.h"
#include "testing/seeded_ledger.h"

namespace billing {
namespace {

using test_support::D;
using test_support::Plus;

class ReportsTest : public test_support::SeededLedgerTest {
 protected:
  ReportsTest() : SeededLedgerTest("billing-reports-test") {}

  void Today(const char* date) { clock_.Set(D(date).DaysSinceEpoch() * 86'400'000 + 43'200'000); }

  RevenueMonth RevenueOf(const std::string& month, const std::string& currency) {
    auto r = service_->Revenue(month, month, currency);
    EXPECT_TRUE(r.ok()) << r.error().message;
    if (!r.ok() || r->months.empty()) return RevenueMonth{month, currency};
    return r->months[0];
  }
  MrrMonth MrrOf(const std::string& month) {
    auto r = service_->Mrr(month, month, "USD");
    EXPECT_TRUE(r.ok()) << r.error().message;
    if (!r.ok() || r->months.empty()) return MrrMonth{month, "USD"};
    return r->months[0];
  }
  Invoice NewInvoiceFor(const std::string& customer, int64_t unit_cents, const char* due) {
    auto inv =
        service_->CreateInvoice(NewInvoice{customer, {{"Work", 1000, unit_cents}}, D(due), ""});
    EXPECT_TRUE(inv.ok()) << inv.error().message;
    ExpectInvariants();
    return inv.ok() ? *inv : Invoice{};
  }
};

// Every open invoice lands in the bucket of its days past due, per customer and in total, at
// each date; the brute force reads the same invoices through the invoice list.
TEST_F(ReportsTest, AgingBucketsEveryOpenInvoiceByDaysPastDue) {
  Today("2026-12-07");
  NewInvoiceFor("CUST-001", 10'000, "2026-12-20");
  NewInvoiceFor("CUST-002", 25'050, "2027-01-31");
  NewInvoiceFor("CUST-005", 7'000, "2027-02-15");  // a EUR customer: its own currency's totals
  for (const char* as_of : {"2026-12-07", "2027-01-15", "2027-03-10", "2027-06-30"}) {
    SCOPED_TRACE(as_of);
    std::map<std::string, AgingBuckets> want;  // currency
    std::map<std::string, int64_t> want_customer_total;
    auto customers = service_->ListCustomers(CustomerQuery{}, PageSpec{0, 1000});
    ASSERT_TRUE(customers.ok());
    for (const CustomerView& c : customers->customers) {
      auto open = service_->ListInvoices(c.customer.id, "", PageSpec{0, 1000});
      ASSERT_TRUE(open.ok());
      for (const Invoice& inv : open->invoices) {
        if (inv.status != "pending" && inv.status != "overdue") continue;  // open, due or not
        const int64_t due = inv.total_cents - inv.paid_cents - inv.credited_cents;
        const int64_t days = D(as_of).DaysSinceEpoch() - inv.due_date.DaysSinceEpoch();
        AgingBuckets& b = want[inv.currency];
        (days <= 0    ? b.current_cents
         : days <= 30 ? b.days_1_30_cents
         : days <= 60 ? b.days_31_60_cents
         : days <= 90 ? b.days_61_90_cents
                      : b.over_90_cents) += due;
        ++b.invoices;
        want_customer_total[c.customer.id] += due;
      }
    }
    auto report = service_->Aging(D(as_of), "", "");
    ASSERT_TRUE(report.ok()) << report.error().message;
    ASSERT_EQ(report->totals.size(), want.size());
    for (const auto& [code, b] : want) {
      const AgingBuckets& got = report->totals[code];
      EXPECT_EQ(got.current_cents, b.current_cents) << code;
      EXPECT_EQ(got.days_1_30_cents, b.days_1_30_cents) << code;
      EXPECT_EQ(got.days_31_60_cents, b.days_31_60_cents) << code;
      EXPECT_EQ(got.days_61_90_cents, b.days_61_90_cents) << code;
      EXPECT_EQ(got.over_90_cents, b.over_90_cents) << code;
      EXPECT_EQ(got.invoices, b.invoices) << code;
    }
    std::map<std::string, int64_t> got_customer_total;
    for (const AgingCustomer& c : report->customers) {
      got_customer_total[c.customer_id] += c.buckets.TotalCents();
      EXPECT_FALSE(c.company.empty()) << c.customer_id;
    }
    std::erase_if(want_customer_total, [](const auto& kv) { return kv.second == 0; });
    std::erase_if(got_customer_total, [](const auto& kv) { return kv.second == 0; });
    EXPECT_EQ(got_customer_total, want_customer_total);
  }
  // One customer, one currency.
  auto one = service_->Aging(D("2026-12-07"), "cust-001", "");
  ASSERT_FALSE(one.ok());  // ids are canonical here; the tool canonicalises what callers type
  auto mine = service_->Aging(D("2026-12-07"), "CUST-001", "USD");
  ASSERT_TRUE(mine.ok()) << mine.error().message;
  for (const AgingCustomer& c : mine->customers) EXPECT_EQ(c.customer_id, "CUST-001");
  EXPECT_EQ(service_->Aging(D("2026-12-07"), "CUST-404", "").error().code, ErrorCode::kNotFound);
}

// Each operation moves its own figure of its own month by exactly its amount.
TEST_F(ReportsTest, RevenueMovesByWhatEachOperationDidInItsMonth) {
  Today("2026-12-07");
  const RevenueMonth dec0 = RevenueOf("2026-12", "USD");
  const Invoice inv = NewInvoiceFor("CUST-003", 40'000, "2027-01-06");
  RevenueMonth dec = RevenueOf("2026-12", "USD");
  EXPECT_EQ(dec.invoiced_cents - dec0.invoiced_cents, inv.total_cents);
  EXPECT_EQ(dec.collected_cents, dec0.collected_cents);

  Today("2027-01-03");  // paid in January
  PaymentRequest pay;
  pay.customer_id = "CUST-003";
  pay.amount_cents = inv.total_cents;
  pay.invoice_id = inv.id;
  auto paid = service_->ProcessPayment(pay);
  ASSERT_TRUE(paid.ok()) << paid.error().message;
  ExpectInvariants();
  const RevenueMonth jan1 = RevenueOf("2027-01", "USD");
  EXPECT_EQ(jan1.collected_cents, inv.total_cents);
  EXPECT_EQ(RevenueOf("2026-12", "USD").collected_cents, dec0.collected_cents);

  Today("2027-02-10");  // a refund in February, a credit note on another invoice too
  ASSERT_TRUE(service_->RefundPayment(paid->payment.id, 5'000, "goodwill").ok());
  ExpectInvariants();
  const Invoice open = NewInvoiceFor("CUST-003", 10'000, "2027-03-12");
  NewCreditNote note;
  note.invoice_id = open.id;
  note.amount_cents = 1'080;
  auto credited = service_->CreateCreditNote(note);
  ASSERT_TRUE(credited.ok()) << credited.error().message;
  ExpectInvariants();
  const RevenueMonth feb = RevenueOf("2027-02", "USD");
  EXPECT_EQ(feb.refunded_cents, 5'000);
  EXPECT_EQ(feb.credited_cents, 1'080);
  EXPECT_EQ(feb.invoiced_cents, open.total_cents);
  EXPECT_EQ(feb.collected_cents, 0);
  EXPECT_EQ(feb.NetCents(), -5'000);
  EXPECT_EQ(RevenueOf("2027-01", "USD").refunded_cents, 0);

  // A cancelled invoice leaves its issue month's invoiced total.
  const Invoice mistake = NewInvoiceFor("CUST-003", 2'500, "2027-03-12");
  EXPECT_EQ(RevenueOf("2027-02", "USD").invoiced_cents, open.total_cents + mistake.total_cents);
  ASSERT_TRUE(service_->CancelInvoice(mistake.id).ok());
  ExpectInvariants();
  EXPECT_EQ(RevenueOf("2027-02", "USD").invoiced_cents, open.total_cents);

  // The range: every month of it, zeros included, and its totals.
  auto range = service_->Revenue("2026-12", "2027-03", "USD");
  ASSERT_TRUE(range.ok());
  ASSERT_EQ(range->months.size(), 4u);
  EXPECT_EQ(range->months[3].month, "2027-03");
  EXPECT_EQ(range->months[3].invoiced_cents, 0);
  EXPECT_EQ(range->totals["USD"].collected_cents, dec0.collected_cents + inv.total_cents);
  // The default range is the 12 months up to this one.
  auto year = service_->Revenue("", "", "");
  ASSERT_TRUE(year.ok());
  EXPECT_EQ(year->from, "2026-03");
  EXPECT_EQ(year->to, "2027-02");
}

// MRR follows the subscriptions: new, expansion, contraction and churn in the month of each,
// ARR exact, MRR = ARR / 12 rounded.
TEST_F(ReportsTest, MrrFollowsSubscriptionsThroughChangesAndChurn) {
  Today("2026-12-07");
  const MrrMonth dec0 = MrrOf("2026-12");
  NewSubscription req;
  req.customer_id = "CUST-001";
  req.plan = "Basic";  // $49.00 a month
  req.quantity = 2;
  auto sub = service_->CreateSubscription(req);
  ASSERT_TRUE(sub.ok()) << sub.error().message;
  ExpectInvariants();
  MrrMonth dec = MrrOf("2026-12");
  EXPECT_EQ(dec.new_arr_cents - dec0.new_arr_cents, 2 * 4'900 * 12);
  EXPECT_EQ(dec.end_arr_cents - dec0.end_arr_cents, 2 * 4'900 * 12);

  Today("2026-12-20");  // an upgrade within the period takes effect at once
  const std::string id = sub->view.subscription.id;
  auto up = service_->ChangeSubscription(id, PlanChange{"Premium Plan", std::nullopt});
  ASSERT_TRUE(up.ok()) << up.error().message;
  ASSERT_EQ(up->change, "upgraded");
  ExpectInvariants();
  dec = MrrOf("2026-12");
  EXPECT_EQ(dec.expansion_arr_cents - dec0.expansion_arr_cents, 2 * (19'900 - 4'900) * 12);
  EXPECT_EQ(dec.end_arr_cents - dec0.end_arr_cents, 2 * 19'900 * 12);
  const MrrMonth jan = MrrOf("2027-01");  // nothing moved: January starts where December ended
  EXPECT_EQ(jan.start_arr_cents, dec.end_arr_cents);
  EXPECT_EQ(jan.end_arr_cents, dec.end_arr_cents);

  Today("2027-02-10");
  ASSERT_TRUE(service_->CancelSubscription(id, false).ok());
  ExpectInvariants();
  const MrrMonth feb = MrrOf("2027-02");
  EXPECT_EQ(feb.churned_arr_cents, 2 * 19'900 * 12);
  EXPECT_EQ(feb.end_arr_cents, dec0.end_arr_cents);
  EXPECT_EQ(MrrFromArr(3 * 4'900 * 12), 14'700);
  EXPECT_EQ(MrrFromArr(199'000), 16'583);  // $1,990.00 a year: $165.83 a month
  EXPECT_EQ(MrrFromArr(6), 1);             // half a cent rounds away from zero
  EXPECT_EQ(MrrFromArr(-6), -1);
}

// Lifetime value: what the customer paid net of refunds, over its started months.
TEST_F(ReportsTest, LifetimeValueIsWhatACustomerPaidOverItsMonths) {
  Today("2026-12-07");
  auto before = service_->Ltv(D("2026-12-07"), "CUST-003", "", "", 10);
  ASSERT_TRUE(before.ok()) << before.error().message;
  ASSERT_EQ(before->customers.size(), 1u);
  PaymentRequest pay;
  pay.customer_id = "CUST-003";
  pay.amount_cents = 10'000;
  auto paid = service_->ProcessPayment(pay);
  ASSERT_TRUE(paid.ok()) << paid.error().message;
  ASSERT_TRUE(service_->RefundPayment(paid->payment.id, 2'000, "partial").ok());
  ExpectInvariants();
  const Date later = D("2027-01-25");
  auto after = service_->Ltv(later, "CUST-003", "", "", 10);
  ASSERT_TRUE(after.ok());
  const LifetimeValue& v = after->customers[0];
  EXPECT_EQ(v.collected_cents - before->customers[0].collected_cents, 8'000);
  Date since;
  ASSERT_TRUE(Date::Parse(v.since, &since));
  // Started months from its first day to 2027-01-25, the first one counted.
  int64_t months = 0;
  for (Date d = since; !(later < d); d = AddMonthsAnchored(since, ++months)) {
  }
  EXPECT_EQ(v.tenure_months, std::max<int64_t>(1, months));
  EXPECT_EQ(v.average_monthly_cents,
            (v.collected_cents * 2 + v.tenure_months) / (2 * v.tenure_months));
  // A page of customers by id, and the next one after it.
  auto page = service_->Ltv(later, "", "", "", 2);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->customers.size(), 2u);
  EXPECT_TRUE(page->has_more);
  auto next = service_->Ltv(later, "", "", page->customers[1].customer_id, 2);
  ASSERT_TRUE(next.ok());
  ASSERT_FALSE(next->customers.empty());
  EXPECT_LT(page->customers[1].customer_id, next->customers[0].customer_id);
  EXPECT_EQ(service_->Ltv(later, "", "", "", 0).error().field, "limit");
}

// The forecast: a new monthly subscription adds its first period's open invoice to the month it
// is due and a renewal to each month one of its periods starts in; one set to cancel adds none.
TEST_F(ReportsTest, TheForecastHoldsOpenInvoicesAndScheduledRenewals) {
  Today("2026-12-07");
  auto month = [&](const ForecastReport& r, const std::string& m) {
    for (const ForecastMonth& f : r.months) {
      if (f.month == m && f.currency == "USD") return f;
    }
    return ForecastMonth{m, "USD"};
  };
  auto before = service_->Forecast(D("2026-12-07"), "USD");
  ASSERT_TRUE(before.ok()) << before.error().message;
  NewSubscription req;
  req.customer_id = "CUST-002";
  req.plan = "Basic";
  req.quantity = 3;
  auto sub = service_->CreateSubscription(req);
  ASSERT_TRUE(sub.ok()) << sub.error().message;
  ASSERT_EQ(sub->invoices.size(), 1u);
  const Invoice& first = sub->invoices[0];
  ExpectInvariants();
  auto after = service_->Forecast(D("2026-12-07"), "USD");
  ASSERT_TRUE(after.ok());
  ASSERT_EQ(after->months.size(), 3u);
  EXPECT_EQ(after->months[0].month, "2026-12");
  EXPECT_EQ(after->months[2].month, "2027-02");
  const std::string due_month = first.due_date.ToString().substr(0, 7);
  EXPECT_EQ(
      month(*after, due_month).open_invoices_cents - month(*before, due_month).open_invoices_cents,
      first.total_cents);
  EXPECT_EQ(month(*after, "2027-01").renewals_cents - month(*before, "2027-01").renewals_cents,
            3 * 4'900);
  EXPECT_EQ(month(*after, "2027-02").renewals_cents - month(*before, "2027-02").renewals_cents,
            3 * 4'900);
  EXPECT_EQ(month(*after, "2026-12").renewals_cents, month(*before, "2026-12").renewals_cents);
  // Set to cancel at the period end: it renews no more.
  ASSERT_TRUE(service_->CancelSubscription(sub->view.subscription.id, true).ok());
  auto canceled = service_->Forecast(D("2026-12-07"), "USD");
  ASSERT_TRUE(canceled.ok());
  EXPECT_EQ(month(*canceled, "2027-01").renewals_cents, month(*before, "2027-01").renewals_cents);
  ExpectInvariants();
}

TEST_F(ReportsTest, BadArgumentsNameTheirField) {
  struct Case {
    std::string from, to, field;
  };
  for (const Case& c : std::vector<Case>{{"2026-13", "", "from"},
                                         {"", "2026/12", "to"},
                                         {"2027-01", "2026-12", "from"},
                                         {"2016-01", "2026-12", "from"}}) {
    auto r = service_->Revenue(c.from, c.to, "");
    ASSERT_FALSE(r.ok()) << c.from << ".." << c.to;
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
    EXPECT_EQ(r.error().field, c.field) << r.error().message;
  }
  EXPECT_EQ(service_->Mrr("", "", "XXX").error().field, "currency");
  EXPECT_EQ(service_->PaymentSuccess("", "", "cheque", "").error().field, "method");
  EXPECT_EQ(service_->Revenue("2017-01", "2026-12", "").ok(), true);  // exactly 120 months
  EXPECT_EQ(PercentText(3333), "33.3%");
  EXPECT_EQ(PercentText(10'000), "100.0%");
  EXPECT_EQ(PercentText(-1), "n/a");
  PaymentSuccessRow two_of_three{"2026-12", "credit_card", "USD", false, 2, 1, 0, 0};
  EXPECT_EQ(two_of_three.RateBasisPoints(), 6667);
}

}  // namespace
}  // namespace billing
