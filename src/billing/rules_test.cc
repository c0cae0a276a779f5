#include "billing/rules.h"
#include "testing/dates.h"

#include <gtest/gtest.h>

namespace billing {
namespace {

using test_support::D;

TEST(Tax, EightPercentHalfUpOnTheSubtotal) {
  EXPECT_EQ(TaxCents(150000, 800), 12000);
  EXPECT_EQ(TaxCents(226852, 800), 18148);
  EXPECT_EQ(TaxCents(81065, 800), 6485);  // 64.852 -> 64.85
  EXPECT_EQ(TaxCents(6, 800), 0);         // 0.48 cents -> 0
  EXPECT_EQ(TaxCents(7, 800), 1);         // 0.56 cents -> 1
  EXPECT_EQ(TaxCents(1000, 725), 73);     // 72.5 -> 73
  EXPECT_EQ(FormatTaxRate(800), "8%");
  EXPECT_EQ(FormatTaxRate(725), "7.25%");
}

TEST(LineItems, QuantityTimesUnitPrice) {
  EXPECT_EQ(LineAmountCents(2000, 2500), 5000);
  EXPECT_EQ(LineAmountCents(1500, 333), 500);  // 4.995 -> 5.00
  EXPECT_EQ(LineAmountCents(1000, 19900), 19900);
}

TEST(Overdue, PendingAndDueBeforeToday) {
  Invoice inv;
  inv.status = "pending";
  inv.due_date = D("2025-10-15");
  EXPECT_EQ(EffectiveStatus(inv, D("2025-10-15")), "pending");
  EXPECT_EQ(EffectiveStatus(inv, D("2025-10-16")), "overdue");
  EXPECT_EQ(DaysOverdue(inv, D("2026-11-25")), 406);
  inv.status = "paid";
  EXPECT_EQ(EffectiveStatus(inv, D("2026-11-25")), "paid");
  EXPECT_EQ(DaysOverdue(inv, D("2026-11-25")), 0);
}

TEST(Ids, FormatsAndShortForms) {
  EXPECT_EQ(InvoiceId(2025, 1), "INV-2025-001");
  EXPECT_EQ(InvoiceId(2026, 1234), "INV-2026-1234");
  EXPECT_EQ(PaymentId(5), "PAY-005");
  EXPECT_EQ(RefundId(12), "RFD-012");
  EXPECT_EQ(CanonicalId(" cust-001 "), "CUST-001");
  EXPECT_EQ(ShortInvoiceSeq("INV-001"), 1);
  EXPECT_EQ(ShortInvoiceSeq("INV-2025-001"), std::nullopt);
  EXPECT_EQ(ShortInvoiceSeq("PAY-001"), std::nullopt);
}

TEST(Balance, DerivedFromTheLedger) {
  LedgerTotals t{/*invoiced*/ 100000, /*paid*/ 30000, /*refunded*/ 5000, /*opening*/ 2000};
  EXPECT_EQ(OutstandingCents(t), 77000);
  LedgerTotals credit{0, 5000, 0, 0};
  EXPECT_EQ(OutstandingCents(credit), -5000);
}

TEST(Dates, ParseRejectsImpossibleDays) {
  Date d;
  EXPECT_TRUE(Date::Parse("2024-02-29", &d));
  EXPECT_FALSE(Date::Parse("2025-02-29", &d));
  EXPECT_FALSE(Date::Parse("2025-13-01", &d));
  EXPECT_FALSE(Date::Parse("2025-1-01", &d));
  EXPECT_FALSE(Date::Parse("15/11/2025", &d));
  EXPECT_EQ(Date::FromDaysSinceEpoch(D("2026-11-25").DaysSinceEpoch()).ToString(), "2026-11-25");
}

}  // namespace
}  // namespace billing
