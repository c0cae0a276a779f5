// Multi-currency foundations (automated-billing.md "Multi-currency"): an invoice and a payment
// carry their customer's currency, a payment said to be in another currency is refused and
// changes nothing, amounts keep the currency's exponent (JPY has none), and the invariants hold
// (every invoice and payment in its customer's currency). Runs on both backends
// (pg.CurrencyTest.*).
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "billing/rules.h"
#include "billing/service.h"
#include "testing/seeded_ledger.h"

namespace billing {
namespace {

class CurrencyTest : public test_support::SeededLedgerTest {
 protected:
  CurrencyTest() : SeededLedgerTest("billing-currency-test") {}
  void SetUp() override {
    SeededLedgerTest::SetUp();
    Status s = store_->Write([&](StoreTx& tx) -> Status {
      BILLING_TRY(tx.InsertCustomer({"CUST-201", "Berlin Analytics GmbH", "Dana",
                                     "ap@berlin.example", "monthly", "bank_transfer", "active",
                                     "EUR", std::nullopt, 0, "2026-01-01T00:00:00.000Z"}));
      return tx.InsertCustomer({"CUST-202", "Tokyo Design KK", "Ken", "ap@tokyo.example", "monthly",
                                "bank_transfer", "active", "JPY", std::nullopt, 0,
                                "2026-01-01T00:00:00.000Z"});
    });
    ASSERT_TRUE(s.ok()) << s.error().message;
  }
  Invoice Bill(const char* customer, int64_t minor) {
    Date due;
    Date::Parse("2026-12-31", &due);
    auto inv = service_->CreateInvoice(NewInvoice{customer, {{"Work", 1000, minor}}, due, ""});
    EXPECT_TRUE(inv.ok()) << inv.error().message;
    ExpectInvariants();
    return inv.ok() ? *inv : Invoice{};
  }
};

TEST_F(CurrencyTest, InvoicesAndPaymentsCarryTheCustomersCurrency) {
  const Invoice eur = Bill("CUST-201", 150000);  // EUR 1,500.00
  EXPECT_EQ(eur.currency, "EUR");
  EXPECT_EQ(eur.total_cents, 162000);
  const Invoice jpy = Bill("CUST-202", 5000);  // JPY 5,000: no minor unit
  EXPECT_EQ(jpy.currency, "JPY");
  EXPECT_EQ(jpy.tax_cents, 400);
  EXPECT_EQ(jpy.total_cents, 5400);
  auto again = service_->GetInvoice(eur.id);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->currency, "EUR");

  PaymentRequest pay{"CUST-201", 162000, "bank_transfer", eur.id};
  pay.currency = "eur";
  auto paid = service_->ProcessPayment(pay);
  ASSERT_TRUE(paid.ok()) << paid.error().message;
  EXPECT_EQ(paid->payment.currency, "EUR");
  EXPECT_EQ(paid->new_balance_cents, 0);
  auto history = service_->History("CUST-201");
  ASSERT_TRUE(history.ok());
  EXPECT_EQ(history->payments[0].currency, "EUR");
  ExpectInvariants();
}

TEST_F(CurrencyTest, APaymentInAnotherCurrencyIsRefusedAndChangesNothing) {
  const Invoice jpy = Bill("CUST-202", 5000);
  const auto before = service_->History("CUST-202");
  ASSERT_TRUE(before.ok());
  for (const char* currency : {"USD", "EUR"}) {
    PaymentRequest pay{"CUST-202", 5400, "bank_transfer", jpy.id};
    pay.currency = currency;
    auto refused = service_->ProcessPayment(pay);
    ASSERT_FALSE(refused.ok()) << currency;
    EXPECT_EQ(refused.error().field, "currency");
    EXPECT_NE(refused.error().message.find("billed in JPY"), std::string::npos)
        << refused.error().message;
  }
  PaymentRequest bogus{"CUST-202", 5400, "bank_transfer", jpy.id};
  bogus.currency = "XYZ";
  auto unknown = service_->ProcessPayment(bogus);
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().field, "currency");
  // A USD customer paying in USD is what it always was.
  PaymentRequest usd{"CUST-001", 1000, "bank_transfer", ""};
  usd.currency = "USD";
  EXPECT_TRUE(service_->ProcessPayment(usd).ok());
  const auto after = service_->History("CUST-202");
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->totals.count, before->totals.count);
  EXPECT_EQ(service_->GetInvoice(jpy.id)->status, "pending");
  ExpectInvariants();
}

// A plan is priced in one currency: a customer billed in another cannot take it; one in the same
// currency is invoiced in it, at the plan's price in its minor units, and a credit note on that
// invoice is in it too (a refund goes back in the payment's currency).
TEST_F(CurrencyTest, PlansAndCreditNotesKeepTheirCurrency) {
  ASSERT_TRUE(store_
                  ->Write([&](StoreTx& tx) -> Status {
                    return tx.InsertPlan({"PLAN-EU", "Euro Plan", 9900, "EUR", "monthly", true,
                                          "2026-01-01T00:00:00.000Z"});
                  })
                  .ok());
  NewSubscription usd_plan{"CUST-201", "PLAN-PREMIUM"};  // priced in USD
  auto refused = service_->CreateSubscription(usd_plan);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().field, "planId");
  EXPECT_NE(refused.error().message.find("priced in USD"), std::string::npos)
      << refused.error().message;
  NewSubscription eur_for_usd{"CUST-001", "PLAN-EU"};
  EXPECT_FALSE(service_->CreateSubscription(eur_for_usd).ok());
  ExpectInvariants();

  NewSubscription eur_plan{"CUST-201", "Euro Plan"};
  auto sub = service_->CreateSubscription(eur_plan);
  ASSERT_TRUE(sub.ok()) << sub.error().message;
  ASSERT_EQ(sub->invoices.size(), 1u);
  const Invoice& inv = sub->invoices[0];
  EXPECT_EQ(inv.currency, "EUR");
  EXPECT_EQ(inv.subtotal_cents, 9900);  // EUR 99.00
  PaymentRequest pay{"CUST-201", inv.total_cents, "bank_transfer", inv.id};
  ASSERT_TRUE(service_->ProcessPayment(pay).ok());
  NewCreditNote note;
  note.invoice_id = inv.id;
  note.amount_cents = 1000;  // EUR 10.00, tax included
  note.refund_to = "refund";
  note.reason = "goodwill";
  auto credited = service_->CreateCreditNote(note);
  ASSERT_TRUE(credited.ok()) << credited.error().message;
  EXPECT_EQ(credited->credit_note.currency, "EUR");
  ASSERT_EQ(credited->refunds.size(), 1u);
  auto paid = service_->History("CUST-201");
  ASSERT_TRUE(paid.ok());
  EXPECT_EQ(paid->totals.currency, "EUR");
  EXPECT_EQ(paid->totals.refunded_cents, 1000);
  ExpectInvariants();
}

// Totals and reports are per currency, never summed across currencies: a list over customers of
// several currencies has one set of totals per currency, each equal to its rows' own sums.
TEST_F(CurrencyTest, ListTotalsArePerCurrencyAndNeverAdded) {
  Bill("CUST-201", 150000);  // EUR 1,620.00 with tax
  Bill("CUST-202", 5000);    // JPY 5,400
  std::vector<std::string> in_use;
  ASSERT_TRUE(store_
                  ->Read([&](StoreTx& tx) -> Status {
                    BILLING_ASSIGN_OR_RETURN(in_use, tx.CurrenciesInUse());
                    return OkStatus();
                  })
                  .ok());
  EXPECT_EQ(in_use, (std::vector<std::string>{"EUR", "JPY", "USD"}));

  auto all = service_->ListInvoices("", "", PageSpec{0, kMaxPageRows});
  ASSERT_TRUE(all.ok()) << all.error().message;
  // Recomputed from the rows themselves, per currency.
  std::map<std::string, InvoiceTotals> want;
  for (const Invoice& inv : all->invoices) {
    InvoiceTotals& t = want[inv.currency];
    ++t.count;
    t.total_cents += inv.total_cents;
    t.due_cents += AmountDueCents(inv);
  }
  EXPECT_EQ(all->totals.count, int64_t(all->invoices.size()));
  ASSERT_EQ(all->totals.by_currency.size(), 3u);
  EXPECT_EQ(all->totals.by_currency[0].currency, "USD");  // most rows first
  for (const InvoiceTotals& t : all->totals.by_currency) {
    EXPECT_EQ(t.count, want[t.currency].count) << t.currency;
    EXPECT_EQ(t.total_cents, want[t.currency].total_cents) << t.currency;
    EXPECT_EQ(t.due_cents, want[t.currency].due_cents) << t.currency;
  }
  EXPECT_EQ(want["JPY"].due_cents, 5400);  // the sample's yen invoice is paid

  // One customer's list, and a list that only one currency's rows match: one set of totals.
  auto yen = service_->ListInvoices("cust-202", "");
  ASSERT_TRUE(yen.ok());
  ASSERT_EQ(yen->totals.by_currency.size(), 1u);
  EXPECT_EQ(yen->totals.by_currency[0].currency, "JPY");
  EXPECT_EQ(yen->totals.by_currency[0].total_cents, 5400);
  auto overdue = service_->ListInvoices("", "overdue");
  ASSERT_TRUE(overdue.ok());
  ASSERT_EQ(overdue->totals.by_currency.size(), 1u);
  EXPECT_EQ(overdue->totals.by_currency[0].currency, "USD");
  // Nothing matches across several currencies: a count of zero and no money at all.
  auto none = service_->ListInvoices("", "cancelled");
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(none->totals.count, 0);
  EXPECT_TRUE(none->totals.by_currency.empty());

  auto customers = service_->ListCustomers(CustomerQuery{});
  ASSERT_TRUE(customers.ok());
  int64_t counted = 0;
  for (const CustomerTotals& t : customers->totals.by_currency) counted += t.count;
  EXPECT_EQ(counted, customers->totals.count);
  CustomerQuery in_eur;
  in_eur.currency = "EUR";
  auto eur = service_->ListCustomers(in_eur);
  ASSERT_TRUE(eur.ok());
  EXPECT_EQ(eur->totals.count, 2);  // the sample's and this test's
  for (const CustomerView& v : eur->customers) EXPECT_EQ(v.customer.currency, "EUR");
  ASSERT_EQ(eur->totals.by_currency.size(), 1u);
  EXPECT_EQ(eur->totals.by_currency[0].outstanding_cents, 162000);
  ExpectInvariants();
}

}  // namespace
}  // namespace billing
