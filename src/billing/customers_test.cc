// Customer management (issue #13, docs/customers.md): numbering after the customers in use,
// every field's rule (a bad value names its field and changes nothing), operation keys, updates
// that change only what they name, the currency fixed once there are records, suspension and
// reinstatement by hand, and payment terms that new subscriptions take. Runs on both backends
// (pg.CustomersTest.*).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "billing/service.h"
#include "testing/dates.h"
#include "testing/seeded_ledger.h"

namespace billing {
namespace {

class CustomersTest : public test_support::SeededLedgerTest {
 protected:
  CustomersTest() : SeededLedgerTest("billing-customers-test") {}

  NewCustomer Acme() {
    NewCustomer c;
    c.company = "Acme GmbH";
    c.email = "Billing@Acme.example";
    c.currency = "eur";
    c.actor = Actor("key:test");
    return c;
  }
  int64_t CustomerCount() {
    auto list = service_->ListCustomers(CustomerQuery{});
    EXPECT_TRUE(list.ok());
    return list.ok() ? list->totals.count : -1;
  }
  std::vector<Event> Events(const char* type) {
    auto events = service_->ListEvents("", type, 1000);
    EXPECT_TRUE(events.ok());
    return events.ok() ? *events : std::vector<Event>{};
  }
};

TEST_F(CustomersTest, NumbersFollowTheCustomersInUseWithEventAndAuditRow) {
  auto first = service_->CreateCustomer(Acme());
  ASSERT_TRUE(first.ok()) << first.error().message;
  const Customer& c = first->customer;
  EXPECT_EQ(c.id, "CUST-007");  // after the six sample customers
  EXPECT_EQ(c.status, "active");
  EXPECT_EQ(c.email, "billing@acme.example");
  EXPECT_EQ(c.currency, "EUR");
  EXPECT_EQ(c.billing_cycle, "monthly");
  EXPECT_EQ(c.payment_method, "bank_transfer");
  EXPECT_EQ(c.locale, "en");
  EXPECT_EQ(c.payment_terms_days, 30);
  EXPECT_FALSE(c.tax_rate_bp.has_value());
  auto second = service_->CreateCustomer(Acme());  // no key: a second customer
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->customer.id, "CUST-008");

  auto view = service_->GetCustomer("cust-007");
  ASSERT_TRUE(view.ok());
  EXPECT_EQ(view->customer.company, "Acme GmbH");
  EXPECT_EQ(view->balance_cents, 0);
  const std::vector<Event> created = Events("customer.created");
  ASSERT_EQ(created.size(), 2u);
  EXPECT_EQ(created[0].object_id, "CUST-007");
  EXPECT_NE(created[0].data_json.find("\"email\":\"billing@acme.example\""), std::string::npos);
  auto audit = service_->ListAudit(AuditQuery{0, "key:test"}, 100);
  ASSERT_TRUE(audit.ok());
  ASSERT_EQ(audit->size(), 2u);
  EXPECT_EQ((*audit)[0].action, "customer.create");
  EXPECT_EQ((*audit)[0].entity_id, "CUST-007");
  ExpectInvariants();
}

TEST_F(CustomersTest, ABadFieldIsRefusedByNameAndChangesNothing) {
  struct Bad {
    const char* field;
    void (*spoil)(NewCustomer&);
  };
  const Bad cases[] = {
      {"company", [](NewCustomer& c) { c.company = "   "; }},
      {"company", [](NewCustomer& c) { c.company = std::string(201, 'x'); }},
      {"company", [](NewCustomer& c) { c.company = "Acme\nGmbH"; }},
      {"email", [](NewCustomer& c) { c.email = ""; }},
      {"email", [](NewCustomer& c) { c.email = "billing.acme.example"; }},
      {"email", [](NewCustomer& c) { c.email = "a@b@c.example"; }},
      {"email", [](NewCustomer& c) { c.email = "billing@localhost"; }},
      {"email", [](NewCustomer& c) { c.email = "bill ing@acme.example"; }},
      {"contactName", [](NewCustomer& c) { c.contact_name = std::string(300, 'y'); }},
      {"billingCycle", [](NewCustomer& c) { c.billing_cycle = "weekly"; }},
      {"paymentMethod", [](NewCustomer& c) { c.payment_method = "cheque"; }},
      {"currency", [](NewCustomer& c) { c.currency = "XYZ"; }},
      {"locale", [](NewCustomer& c) { c.locale = "it"; }},
      {"taxRate", [](NewCustomer& c) { c.tax_rate_bp = 10'001; }},
      {"taxRate", [](NewCustomer& c) { c.tax_rate_bp = -1; }},
      {"paymentTermsDays", [](NewCustomer& c) { c.payment_terms_days = 0; }},
      {"paymentTermsDays", [](NewCustomer& c) { c.payment_terms_days = 366; }},
  };
  const int64_t before = CustomerCount();
  for (const Bad& bad : cases) {
    NewCustomer c = Acme();
    bad.spoil(c);
    auto r = service_->CreateCustomer(c);
    ASSERT_FALSE(r.ok()) << bad.field;
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument) << bad.field;
    EXPECT_EQ(r.error().field, bad.field) << r.error().message;
  }
  EXPECT_EQ(CustomerCount(), before);
  EXPECT_TRUE(Events("customer.created").empty());
  // The bad update changes nothing either, not even the good field beside it.
  CustomerUpdate update{"CUST-001"};
  update.company = "TechCorp International";
  update.email = "not an address";
  auto r = service_->UpdateCustomer(update);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().field, "email");
  EXPECT_EQ(service_->GetCustomer("CUST-001")->customer.company, "TechCorp Inc.");
  auto empty = service_->UpdateCustomer(CustomerUpdate{"CUST-001"});
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.error().field, "fields");
  auto missing = service_->UpdateCustomer(CustomerUpdate{"CUST-404", "Ghost Inc."});
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
}

TEST_F(CustomersTest, AnOperationKeyCreatesOnce) {
  NewCustomer c = Acme();
  c.operation_key = "thread-1:call-1";
  auto first = service_->CreateCustomer(c);
  ASSERT_TRUE(first.ok()) << first.error().message;
  auto again = service_->CreateCustomer(c);
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_TRUE(again->replayed);
  EXPECT_EQ(again->customer.id, first->customer.id);
  c.company = "Other GmbH";
  auto other = service_->CreateCustomer(c);
  ASSERT_FALSE(other.ok());
  EXPECT_EQ(other.error().code, ErrorCode::kConflict);
  EXPECT_EQ(Events("customer.created").size(), 1u);
}

TEST_F(CustomersTest, AnUpdateChangesWhatItNamesAndSaysWhatItWas) {
  CustomerUpdate update{"cust-001"};
  update.email = "AP@techcorp.example";
  update.locale = "DE";
  update.tax_rate_bp = std::optional<int>(1'900);
  update.company = "TechCorp Inc.";  // unchanged: not reported
  auto r = service_->UpdateCustomer(update);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->changed, (std::vector<std::string>{"email", "locale", "taxRate"}));
  EXPECT_EQ(r->customer.email, "ap@techcorp.example");
  EXPECT_EQ(r->customer.locale, "de");
  auto view = service_->GetCustomer("CUST-001");
  ASSERT_TRUE(view.ok());
  EXPECT_EQ(view->customer.email, "ap@techcorp.example");
  EXPECT_EQ(view->customer.tax_rate_bp, 1'900);
  const std::vector<Event> updated = Events("customer.updated");
  ASSERT_EQ(updated.size(), 1u);
  EXPECT_NE(updated[0].data_json.find(
                "\"previousAttributes\":{\"email\":\"billing@techcorp.example\",\"locale\":\"en\","
                "\"taxRateBp\":null}"),
            std::string::npos)
      << updated[0].data_json;
  // The same values again: nothing changes, no event.
  auto same = service_->UpdateCustomer(update);
  ASSERT_TRUE(same.ok());
  EXPECT_TRUE(same->changed.empty());
  EXPECT_EQ(Events("customer.updated").size(), 1u);
  // Back to the default rate.
  CustomerUpdate back{"CUST-001"};
  back.tax_rate_bp = std::optional<int>();
  ASSERT_TRUE(service_->UpdateCustomer(back).ok());
  EXPECT_FALSE(service_->GetCustomer("CUST-001")->customer.tax_rate_bp.has_value());
  ExpectInvariants();
}

TEST_F(CustomersTest, TheCurrencyIsFixedOnceTheCustomerHasRecords) {
  CustomerUpdate to_eur{"CUST-001"};
  to_eur.currency = "EUR";
  auto refused = service_->UpdateCustomer(to_eur);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_EQ(refused.error().field, "currency");
  EXPECT_EQ(service_->GetCustomer("CUST-001")->customer.currency, "USD");
  auto created = service_->CreateCustomer(Acme());
  ASSERT_TRUE(created.ok());
  CustomerUpdate to_gbp{created->customer.id};
  to_gbp.currency = "gbp";
  auto changed = service_->UpdateCustomer(to_gbp);
  ASSERT_TRUE(changed.ok()) << changed.error().message;
  EXPECT_EQ(changed->customer.currency, "GBP");
  ASSERT_TRUE(
      service_
          ->CreateInvoice(NewInvoice{
              created->customer.id, {{"Setup", 1000, 10'000}}, test_support::D("2026-12-31"), ""})
          .ok());
  to_gbp.currency = "USD";
  EXPECT_FALSE(service_->UpdateCustomer(to_gbp).ok());
  ExpectInvariants();
}

TEST_F(CustomersTest, SuspendedByHandGetsNoInvoiceUntilReinstated) {
  auto suspended = service_->SetCustomerSuspended("CUST-002", true, Actor("key:test"));
  ASSERT_TRUE(suspended.ok()) << suspended.error().message;
  EXPECT_EQ(suspended->customer.status, "suspended");
  const NewInvoice invoice{
      "CUST-002", {{"Support", 1000, 5'000}}, test_support::D("2026-12-31"), ""};
  auto refused = service_->CreateInvoice(invoice);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, ErrorCode::kFailedPrecondition);
  auto twice = service_->SetCustomerSuspended("CUST-002", true);
  ASSERT_FALSE(twice.ok());
  EXPECT_NE(twice.error().message.find("already suspended"), std::string::npos);
  auto back = service_->SetCustomerSuspended("cust-002", false, Actor("key:test"));
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(back->customer.status, "active");
  EXPECT_TRUE(service_->CreateInvoice(invoice).ok());
  ASSERT_EQ(Events("customer.suspended").size(), 1u);
  const std::vector<Event> reinstated = Events("customer.reinstated");
  ASSERT_EQ(reinstated.size(), 1u);
  EXPECT_NE(reinstated[0].data_json.find("\"reason\":\"manual\""), std::string::npos);
  EXPECT_FALSE(service_->SetCustomerSuspended("CUST-404", true).ok());
  ExpectInvariants();
}

TEST_F(CustomersTest, NewSubscriptionsTakeTheCustomersPaymentTerms) {
  NewCustomer c = Acme();
  c.currency = "USD";
  c.payment_terms_days = 14;
  auto created = service_->CreateCustomer(c);
  ASSERT_TRUE(created.ok()) << created.error().message;
  NewSubscription sub;
  sub.customer_id = created->customer.id;
  sub.plan = "PLAN-BASIC";
  auto out = service_->CreateSubscription(sub);
  ASSERT_TRUE(out.ok()) << out.error().message;
  EXPECT_EQ(out->view.subscription.payment_terms_days, 14);
  ASSERT_FALSE(out->invoices.empty());
  EXPECT_EQ(out->invoices[0].due_date, test_support::D("2026-12-09"));  // 2026-11-25 + 14
  sub.payment_terms_days = 45;                                          // said explicitly: wins
  auto explicit_terms = service_->CreateSubscription(sub);
  ASSERT_TRUE(explicit_terms.ok()) << explicit_terms.error().message;
  EXPECT_EQ(explicit_terms->view.subscription.payment_terms_days, 45);
  ExpectInvariants();
}

TEST_F(CustomersTest, ANumberAlreadyTakenIsSkipped) {
  Status s = store_->Write([&](StoreTx& tx) -> Status {
    Customer imported;
    imported.id = "CUST-007";
    imported.company = "Imported Ltd";
    imported.billing_cycle = "monthly";
    imported.payment_method = "paypal";
    imported.status = "active";
    imported.created_at = "2026-01-01T00:00:00.000Z";
    return tx.InsertCustomer(imported);
  });
  ASSERT_TRUE(s.ok()) << s.error().message;
  auto created = service_->CreateCustomer(Acme());
  ASSERT_TRUE(created.ok()) << created.error().message;
  EXPECT_EQ(created->customer.id, "CUST-008");
  ExpectInvariants();
}

}  // namespace
}  // namespace billing
