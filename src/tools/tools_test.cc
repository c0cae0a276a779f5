// The three tools through their JSON interface: schema validation (null = absent), business-rule
// errors as results, and the result shapes of docs/tools.md.
#include <gtest/gtest.h>

#include <filesystem>

#include "tools/billing_tool.h"
#include "tools/schema.h"
#include "store/backend.h"
#include "testing/test_backend.h"

namespace billing {
namespace {

using nlohmann::json;

class ToolsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = test_support::TestDbPath((std::filesystem::temp_directory_path() /
            ("billing-tools-test-" + std::to_string(::getpid()) + "-" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name() + ".db")).string());
    for (const char* s : {"", "-wal", "-shm"}) std::filesystem::remove(path_.string() + s);
    store_ = std::move(OpenStore({path_.string(), 4}).value());
    BillingOptions options;
    options.processor_mode = ProcessorMode::kAlwaysApprove;
    service_ = std::make_unique<BillingService>(*store_, clock_, ids_, ids_, options);
    ASSERT_TRUE(service_->SeedIfEmpty().ok());
    RegisterBillingTools(registry_, *service_);
  }
  void TearDown() override {
    for (const char* s : {"", "-wal", "-shm"}) std::filesystem::remove(path_.string() + s);
  }
  json Run(const std::string& id, const json& input) {
    const Tool* tool = registry_.FindById(id);
    EXPECT_NE(tool, nullptr);
    ToolContext context;
    context.actor = "test";
    json out = tool->Execute(input, context);
    EXPECT_TRUE(service_->CheckInvariants().ok());
    return out;
  }

  std::filesystem::path path_;
  FixedClock clock_{1795608000000};  // 2026-11-25T12:00:00Z
  SeededRandom ids_{1};
  std::unique_ptr<Store> store_;
  std::unique_ptr<BillingService> service_;
  ToolRegistry registry_;
};

TEST_F(ToolsTest, RegistryHasKeysAndIds) {
  ASSERT_EQ(registry_.all().size(), 6u);
  EXPECT_EQ(registry_.FindById("manage-subscriptions")->key(), "manageSubscriptionsTool");
  EXPECT_EQ(registry_.FindById("billing-reports")->key(), "billingReportsTool");
  EXPECT_EQ(registry_.FindById("manage-customers")->key(), "manageCustomersTool");
  EXPECT_EQ(registry_.FindByKey("getCustomerTool")->id(), "get-customer");
  EXPECT_EQ(registry_.FindByName("manage-invoices")->key(), "manageInvoicesTool");
  EXPECT_EQ(registry_.FindById("process-payment")->key(), "processPaymentTool");
  for (const auto& t : registry_.all()) {
    std::string bad;
    EXPECT_TRUE(SchemaUsesOnlySupportedKeywords(t->input_schema(), &bad)) << t->id() << ": " << bad;
  }
}

TEST_F(ToolsTest, GetCustomerWithNullsForUnusedFields) {
  json out = Run("get-customer", {{"customerId", "cust-001"}, {"status", nullptr}, {"billingCycle", nullptr},
                                  {"paymentMethod", nullptr}, {"hasOutstandingBalance", nullptr}});
  ASSERT_EQ(out["success"], true) << out.dump();
  EXPECT_EQ(out["customer"]["id"], "CUST-001");
  EXPECT_EQ(out["customer"]["outstandingBalanceCents"], 245000);
  EXPECT_EQ(out["customer"]["outstandingBalance"], "$2,450.00");
  EXPECT_EQ(out["customer"]["openInvoices"][0]["status"], "overdue");
  EXPECT_EQ(out["customer"]["openInvoices"][0]["daysOverdue"], 406);
  EXPECT_EQ(out["customer"]["overdueInvoiceCount"], 1);
}

TEST_F(ToolsTest, AnOpeningBalanceIsNamedApartFromTheInvoices) {
  // CUST-004 owes $1,200.00 carried from before the ledger, on no invoice.
  json out = Run("get-customer", {{"customerId", "CUST-004"}});
  ASSERT_EQ(out["success"], true) << out.dump();
  EXPECT_EQ(out["customer"]["outstandingBalanceCents"], 120000);
  EXPECT_EQ(out["customer"]["openingBalanceCents"], 120000);
  EXPECT_EQ(out["customer"]["openingBalance"], "$1,200.00");
  EXPECT_EQ(out["customer"]["openInvoiceCount"], 0);
  EXPECT_FALSE(Run("get-customer", {{"customerId", "CUST-001"}})["customer"].contains("openingBalance"));
}

TEST_F(ToolsTest, ListCustomersWithOutstandingBalance) {
  json out = Run("get-customer", {{"hasOutstandingBalance", true}});
  EXPECT_EQ(out["count"], 3);
  EXPECT_EQ(out["totalOutstandingCents"], 245000 + 87550 + 120000);
  EXPECT_EQ(out["totalOutstanding"], "$4,525.50");
}

TEST_F(ToolsTest, SchemaFailuresUseMastrasShape) {
  json out = Run("manage-invoices", {{"invoiceId", "INV-001"}});
  EXPECT_EQ(out["error"], true);
  EXPECT_NE(out["message"].get<std::string>().find("Tool validation failed for manage-invoices"), std::string::npos);
  EXPECT_NE(out["message"].get<std::string>().find("- action: Required"), std::string::npos);
  EXPECT_EQ(out["validationErrors"]["action"]["_errors"][0], "Required");
  json wrong_type = Run("process-payment", {{"action", "process"}, {"customerId", 42}, {"amount", 5}});
  EXPECT_EQ(wrong_type["error"], true);
  EXPECT_NE(wrong_type["message"].get<std::string>().find("customerId: Expected string, received integer"), std::string::npos);
  json bad_enum = Run("process-payment", {{"action", "steal"}});
  EXPECT_NE(bad_enum["message"].get<std::string>().find("Invalid enum value"), std::string::npos);
  json extra = Run("get-customer", {{"customerID", "CUST-001"}});
  EXPECT_NE(extra["message"].get<std::string>().find("Unrecognized key 'customerID'"), std::string::npos);
  json not_object = Run("get-customer", json::array({1, 2}));
  EXPECT_EQ(not_object["error"], true);
}

TEST_F(ToolsTest, CreateInvoiceFromItemsOrAmount) {
  json out = Run("manage-invoices", {{"action", "create"}, {"customerId", "CUST-002"},
                                     {"items", {{{"description", "Monthly subscription services"}, {"unitPrice", "$1,500.00"}}}},
                                     {"dueDate", "2026-12-15"}, {"notes", nullptr}});
  ASSERT_EQ(out["success"], true) << out.dump();
  EXPECT_EQ(out["invoice"]["id"], "INV-2026-001");
  EXPECT_EQ(out["invoice"]["totalCents"], 162000);
  EXPECT_EQ(out["invoice"]["total"], "$1,620.00");
  EXPECT_EQ(out["invoice"]["tax"], "$120.00");
  EXPECT_EQ(out["invoice"]["createdBy"], "test");  // the caller is recorded with the change
  json shortcut = Run("manage-invoices", {{"action", "create"}, {"customerId", "CUST-002"}, {"amount", 99.99},
                                          {"description", "Support"}, {"dueDate", "2026-12-15"}});
  ASSERT_EQ(shortcut["success"], true) << shortcut.dump();
  EXPECT_EQ(shortcut["invoice"]["subtotalCents"], 9999);
  EXPECT_EQ(shortcut["invoice"]["taxCents"], 800);  // 7.9992 -> 8.00
}

TEST_F(ToolsTest, BrokenRulesComeBackAsResults) {
  json past = Run("manage-invoices", {{"action", "create"}, {"customerId", "CUST-002"}, {"amount", 1500},
                                      {"dueDate", "2025-11-15"}});
  EXPECT_EQ(past["error"], true);
  EXPECT_EQ(past["field"], "dueDate");
  json bad_date = Run("manage-invoices", {{"action", "create"}, {"customerId", "CUST-002"}, {"amount", 1500},
                                          {"dueDate", "15/12/2026"}});
  EXPECT_EQ(bad_date["field"], "dueDate");
  json suspended = Run("manage-invoices", {{"action", "create"}, {"customerId", "CUST-004"}, {"amount", 100},
                                           {"dueDate", "2026-12-31"}});
  EXPECT_EQ(suspended["code"], "FAILED_PRECONDITION");
  json unknown = Run("process-payment", {{"action", "process"}, {"customerId", "CUST-999"}, {"amount", 5}});
  EXPECT_EQ(unknown["code"], "NOT_FOUND");
  EXPECT_EQ(unknown["message"], "Customer CUST-999 not found");
  for (const json& amount : {json(-5), json(0), json(10.001), json("ten"), json("1e999")}) {
    json bad = Run("process-payment", {{"action", "process"}, {"customerId", "CUST-001"}, {"amount", amount}});
    EXPECT_EQ(bad["error"], true) << amount.dump();
    EXPECT_EQ(bad["field"], "amount") << amount.dump();
  }
  json method = Run("process-payment", {{"action", "process"}, {"customerId", "CUST-001"}, {"amount", 5},
                                        {"paymentMethod", "cheque"}});
  EXPECT_EQ(method["error"], true);
  json refund_failed = Run("process-payment", {{"action", "refund"}, {"paymentId", "PAY-003"}});
  EXPECT_EQ(refund_failed["error"], true);
  json ambiguous_setup = Run("manage-invoices", {{"action", "create"}, {"customerId", "CUST-001"}, {"amount", 5},
                                                 {"dueDate", "2026-12-31"}});
  ASSERT_EQ(ambiguous_setup["success"], true);
  json ambiguous = Run("manage-invoices", {{"action", "get"}, {"invoiceId", "INV-001"}});
  EXPECT_EQ(ambiguous["code"], "AMBIGUOUS");
  EXPECT_EQ(ambiguous["candidates"], json({"INV-2025-001", "INV-2026-001"}));
  // Nothing above changed a balance.
  json c1 = Run("get-customer", {{"customerId", "CUST-001"}});
  EXPECT_EQ(c1["customer"]["outstandingBalanceCents"], 245000 + 540);
}

TEST_F(ToolsTest, PaymentsRefundsHistory) {
  json pay = Run("process-payment", {{"action", "process"}, {"customerId", "CUST-003"}, {"amount", "750"},
                                     {"paymentMethod", "credit_card"}});
  ASSERT_EQ(pay["success"], true) << pay.dump();
  EXPECT_EQ(pay["newBalance"], "$125.50");
  EXPECT_EQ(pay["payment"]["allocations"][0]["invoiceId"], "INV-2025-003");
  json refund = Run("process-payment", {{"action", "refund"}, {"paymentId", "PAY-001"}});
  ASSERT_EQ(refund["success"], true) << refund.dump();
  EXPECT_EQ(refund["refund"]["amount"], "$750.00");
  EXPECT_EQ(refund["payment"]["status"], "refunded");
  EXPECT_EQ(refund["refund"]["createdBy"], "test");
  EXPECT_EQ(pay["payment"]["createdBy"], "test");
  json again = Run("process-payment", {{"action", "refund"}, {"paymentId", "PAY-001"}});
  EXPECT_EQ(again["error"], true);
  json history = Run("process-payment", {{"action", "history"}, {"customerId", "CUST-003"}});
  EXPECT_EQ(history["count"], 2);
  EXPECT_EQ(history["payments"][0]["id"], pay["payment"]["id"]);
  json failed = Run("process-payment", {{"action", "list_failed"}});
  EXPECT_EQ(failed["count"], 3);
  EXPECT_EQ(failed["totalFailed"], "$4,525.50");
  json mark = Run("manage-invoices", {{"action", "mark_paid"}, {"invoiceId", "INV-001"}, {"paymentMethod", "bank_transfer"}});
  ASSERT_EQ(mark["success"], true) << mark.dump();
  EXPECT_EQ(mark["invoice"]["status"], "paid");
  EXPECT_EQ(mark["payment"]["amount"], "$2,450.00");
}

TEST(Schema, NullsAreStrippedRecursively) {
  json in = {{"a", nullptr}, {"b", {{"c", nullptr}, {"d", 1}}}, {"e", json::array({json::object({{"f", nullptr}})})}};
  EXPECT_EQ(StripNulls(in), json({{"b", {{"d", 1}}}, {"e", json::array({json::object()})}}));
}

TEST_F(ToolsTest, ToolCallsRunWithTheCallersScopes) {
  const Tool* payments = registry_.FindById("process-payment");
  const Tool* invoices = registry_.FindById("manage-invoices");
  ASSERT_NE(payments, nullptr);
  ASSERT_NE(invoices, nullptr);
  ToolContext read_only;
  read_only.actor = "key:bk_00000000";
  read_only.principal = "key:bk_00000000";
  read_only.scopes = ScopeBit(Scope::kRead);
  json refund = payments->Execute({{"action", "refund"}, {"paymentId", "PAY-001"}}, read_only);
  EXPECT_EQ(refund["code"], "PERMISSION_DENIED") << refund.dump();
  EXPECT_EQ(refund["message"], "This caller lacks the 'refund' scope needed to refund payments");
  json create = invoices->Execute({{"action", "create"}, {"customerId", "CUST-001"}, {"amount", 10}}, read_only);
  EXPECT_EQ(create["code"], "PERMISSION_DENIED") << create.dump();
  json history = payments->Execute({{"action", "history"}, {"customerId", "CUST-001"}}, read_only);
  EXPECT_FALSE(IsToolError(history)) << history.dump();
  for (const json& p : history["payments"]) EXPECT_EQ(p["refunded"], "$0.00") << p.dump();
  // Validation still comes first: a bad input is a validation error, not a denial.
  json bad = payments->Execute({{"action", "nope"}}, read_only);
  EXPECT_NE(bad.value("code", ""), "PERMISSION_DENIED") << bad.dump();
  // admin implies every scope.
  ToolContext admin = read_only;
  admin.scopes = ScopeBit(Scope::kAdmin);
  EXPECT_FALSE(IsToolError(payments->Execute({{"action", "refund"}, {"paymentId", "PAY-001"}}, admin)));
}

TEST_F(ToolsTest, CustomersThroughTheTool) {
  const Tool* customers = registry_.FindById("manage-customers");
  ASSERT_NE(customers, nullptr);
  ToolContext read_only;
  read_only.actor = "key:bk_00000000";
  read_only.principal = "key:bk_00000000";
  read_only.scopes = ScopeBit(Scope::kRead);
  const json acme = {{"action", "create"},      {"company", "Acme GmbH"},
                     {"email", "billing@acme.example"}, {"currency", "eur"},
                     {"taxRate", "8.25%"},      {"locale", "de"},
                     {"paymentTermsDays", 14},  {"contactName", nullptr}};
  json denied = customers->Execute(acme, read_only);
  EXPECT_EQ(denied["code"], "PERMISSION_DENIED") << denied.dump();
  EXPECT_EQ(denied["message"], "This caller lacks the 'customers' scope needed to create customers");
  ToolContext with_scope = read_only;
  with_scope.scopes = ScopeBit(Scope::kCustomers);
  json created = customers->Execute(acme, with_scope);
  ASSERT_EQ(created["success"], true) << created.dump();
  EXPECT_EQ(created["customer"]["id"], "CUST-007");
  EXPECT_EQ(created["customer"]["currency"], "EUR");
  EXPECT_EQ(created["customer"]["taxRate"], "8.25%");
  EXPECT_EQ(created["customer"]["locale"], "de");
  EXPECT_EQ(created["customer"]["paymentTermsDays"], 14);
  EXPECT_EQ(created["customer"]["outstandingBalance"], "EUR 0.00");
  // Numbers are read from their text: 19 and "19" are 19%, 7.5 is 7.5%.
  for (const json& rate : {json(19), json("19"), json(7.5), json("default")}) {
    json updated = Run("manage-customers",
                       {{"action", "update"}, {"customerId", "CUST-007"}, {"taxRate", rate}});
    ASSERT_EQ(updated["success"], true) << rate.dump() << updated.dump();
  }
  EXPECT_EQ(Run("get-customer", {{"customerId", "CUST-007"}})["customer"]["taxRate"], "8%");
  for (const json& rate : {json("abc"), json(100.5), json("1.234"), json(-3), json("101")}) {
    json bad = Run("manage-customers",
                   {{"action", "update"}, {"customerId", "CUST-007"}, {"taxRate", rate}});
    EXPECT_EQ(bad["field"], "taxRate") << rate.dump() << bad.dump();
  }
  json no_id = Run("manage-customers", {{"action", "suspend"}});
  EXPECT_EQ(no_id["field"], "customerId") << no_id.dump();
  json suspended = Run("manage-customers", {{"action", "suspend"}, {"customerId", "cust-007"}});
  ASSERT_EQ(suspended["success"], true) << suspended.dump();
  EXPECT_EQ(suspended["customer"]["status"], "suspended");
  json unknown = Run("manage-customers", {{"action", "create"}, {"company", "X"},
                                          {"email", "x@y.example"}, {"tier", "gold"}});
  EXPECT_TRUE(IsToolError(unknown)) << unknown.dump();
}

TEST_F(ToolsTest, SubscriptionsThroughTheTool) {
  const Tool* subs = registry_.FindById("manage-subscriptions");
  ASSERT_NE(subs, nullptr);
  ToolContext read_only;
  read_only.actor = "key:bk_00000000";
  read_only.principal = "key:bk_00000000";
  read_only.scopes = ScopeBit(Scope::kRead);
  json denied = subs->Execute(
      {{"action", "create"}, {"customerId", "CUST-002"}, {"planId", "Basic"}}, read_only);
  EXPECT_EQ(denied["code"], "PERMISSION_DENIED") << denied.dump();
  EXPECT_EQ(denied["message"],
            "This caller lacks the 'subscriptions' scope needed to create subscriptions");
  EXPECT_FALSE(IsToolError(subs->Execute({{"action", "list_plans"}}, read_only)));

  json zero =
      Run("manage-subscriptions",
          {{"action", "create"}, {"customerId", "CUST-002"}, {"planId", "Basic"}, {"quantity", 0}});
  EXPECT_TRUE(IsToolError(zero)) << zero.dump();
  json created = Run("manage-subscriptions", {{"action", "create"},
                                              {"customerId", "cust-002"},
                                              {"planId", "premium plan"},
                                              {"startDate", nullptr}});
  ASSERT_EQ(created["success"], true) << created.dump();
  EXPECT_EQ(created["subscription"]["id"], "SUB-001");
  EXPECT_EQ(created["subscription"]["renewsOn"], "2026-12-25");
  EXPECT_EQ(created["invoices"][0]["totalCents"], 21492);
  EXPECT_NE(created["message"].get<std::string>().find("first period invoiced: INV-2026-001"),
            std::string::npos)
      << created["message"];
  json renewals = Run("manage-subscriptions", {{"action", "renewals"}, {"days", 30}});
  EXPECT_EQ(renewals["count"], 1) << renewals.dump();
  json later = Run("manage-subscriptions",
                   {{"action", "cancel"}, {"subscriptionId", "SUB-001"}, {"atPeriodEnd", true}});
  ASSERT_EQ(later["success"], true) << later.dump();
  EXPECT_EQ(later["subscription"]["endsOn"], "2026-12-25");
  EXPECT_EQ(
      later["message"],
      "Subscription SUB-001 will end on 2026-12-25 (the end of its current period) and not renew");
  json none = Run("manage-subscriptions", {{"action", "renewals"}, {"days", 30}});
  EXPECT_EQ(none["count"], 0) << none.dump();
  json missing = Run("manage-subscriptions", {{"action", "get"}, {"subscriptionId", "SUB-404"}});
  EXPECT_TRUE(IsToolError(missing)) << missing.dump();
}

}  // namespace
}  // namespace billing

namespace billing {
namespace {

TEST_F(ToolsTest, ListsArePagedAtMostOneHundredRows) {
  for (int i = 0; i < 120; ++i) {
    json made = Run("manage-invoices", {{"action", "create"},
                                        {"customerId", "CUST-002"},
                                        {"amount", "10.00"},
                                        {"description", "Item " + std::to_string(i)},
                                        {"dueDate", "2026-12-31"}});
    ASSERT_EQ(made["success"], true) << made.dump();
  }
  json first = Run("manage-invoices", {{"action", "list"}, {"customerId", "CUST-002"}});
  ASSERT_EQ(first["success"], true) << first.dump();
  EXPECT_EQ(first["invoices"].size(), 100u);
  EXPECT_EQ(first["count"], 121);  // and the sample invoice of CUST-002
  EXPECT_EQ(first["returned"], 100);
  EXPECT_EQ(first["hasMore"], true);
  EXPECT_EQ(first["nextOffset"], 100);
  EXPECT_EQ(first["total"], "$2,046.00");  // every matching row: $750.00 + 120 × $10.80
  json rest = Run("manage-invoices",
                  {{"action", "list"}, {"customerId", "CUST-002"}, {"offset", 100}, {"limit", 50}});
  EXPECT_EQ(rest["invoices"].size(), 21u);
  EXPECT_EQ(rest["hasMore"], false);
  EXPECT_FALSE(rest.contains("nextOffset"));
  EXPECT_NE(rest["invoices"][0]["id"], first["invoices"][99]["id"]);

  json too_big = Run("manage-invoices", {{"action", "list"}, {"limit", 101}});
  EXPECT_EQ(too_big["error"], true);
  EXPECT_NE(too_big["message"].get<std::string>().find("limit"), std::string::npos) << too_big.dump();
  EXPECT_NE(too_big["message"].get<std::string>().find("less than or equal to 100"), std::string::npos);
  for (const char* tool : {"get-customer", "process-payment"}) {
    json bad = Run(tool, {{"action", "history"}, {"customerId", "CUST-001"}, {"limit", 0}});
    EXPECT_EQ(bad["error"], true) << tool;
  }
  json customers = Run("get-customer", {{"limit", 2}});
  EXPECT_EQ(customers["customers"].size(), 2u);
  EXPECT_EQ(customers["count"], 6);
  EXPECT_EQ(customers["nextOffset"], 2);
}

}  // namespace
}  // namespace billing

namespace billing {
namespace {

// Rankings (#10): customers highest balance first, invoices most still due first; the count and
// totals stay those of the whole filter.
TEST_F(ToolsTest, ListsRankByBalanceAndByAmountDue) {
  json top = Run("get-customer", {{"hasOutstandingBalance", true}, {"orderBy", "balance"}, {"limit", 2}});
  ASSERT_EQ(top["customers"].size(), 2u) << top.dump();
  EXPECT_EQ(top["customers"][0]["id"], "CUST-001");  // $2,450.00
  EXPECT_EQ(top["customers"][1]["id"], "CUST-004");  // $1,200.00
  EXPECT_EQ(top["count"], 3);
  EXPECT_EQ(top["totalOutstanding"], "$4,525.50");
  EXPECT_EQ(Run("get-customer", json::object())["customers"][0]["id"], "CUST-001");  // by id

  json largest = Run("manage-invoices",
                     {{"action", "list"}, {"status", "overdue"}, {"orderBy", "amountDue"}, {"limit", 1}});
  ASSERT_EQ(largest["invoices"].size(), 1u);
  EXPECT_EQ(largest["invoices"][0]["id"], "INV-2025-001");
  EXPECT_EQ(largest["count"], 2);
  EXPECT_EQ(Run("manage-invoices", {{"action", "list"}, {"status", "overdue"}})["invoices"][0]["id"],
            "INV-2025-003");  // oldest due first by default
  EXPECT_EQ(Run("get-customer", {{"orderBy", "name"}})["error"], true);  // the enum is checked
}

// Payments in a period (#10, "how much did we collect this month"): totals over the period only.
TEST_F(ToolsTest, PaymentsInAPeriodWithTheirTotals) {
  json sept = Run("process-payment", {{"action", "list"}, {"from", "2025-09-01"}, {"to", "2025-09-30"}});
  ASSERT_EQ(sept["success"], true) << sept.dump();
  EXPECT_EQ(sept["count"], 1);
  EXPECT_EQ(sept["payments"][0]["id"], "PAY-001");
  EXPECT_EQ(sept["totalCollectedCents"], 75000);
  json oct = Run("process-payment", {{"action", "list"}, {"from", "2025-10-01"}, {"to", "2025-10-31"}});
  // The three declined sample payments, the EUR and the JPY one: totals per currency, never
  // added across them, and no money field of the list's own.
  EXPECT_EQ(oct["count"], 5);
  EXPECT_FALSE(oct.contains("totalCollectedCents")) << oct.dump();
  ASSERT_EQ(oct["totalsByCurrency"].size(), 3u) << oct.dump();
  const json& eur = oct["totalsByCurrency"][1];  // most rows first, then by code
  EXPECT_EQ(eur["currency"], "EUR");
  EXPECT_EQ(eur["count"], 1);
  EXPECT_EQ(eur["totalCollected"], "EUR 1,620.00");
  const json& jpy = oct["totalsByCurrency"][2];
  EXPECT_EQ(jpy["currency"], "JPY");
  EXPECT_EQ(jpy["totalCollectedCents"], 5000);
  EXPECT_EQ(jpy["totalCollected"], "JPY 5,000");
  const json& usd = oct["totalsByCurrency"][0];
  EXPECT_EQ(usd["count"], 3);
  EXPECT_EQ(usd["totalCollectedCents"], 0);
  EXPECT_EQ(usd["totalFailedCents"], 245000 + 87550 + 120000);
  EXPECT_EQ(usd["totalFailed"], "$4,525.50");
  EXPECT_EQ(oct["payments"][0]["id"], "PAY-002");  // newest first (2025-10-16)
  // One customer's list is in its currency: flat totals, named.
  json yen = Run("process-payment", {{"action", "list"}, {"customerId", "cust-006"}, {"from", "2025-01-01"}});
  EXPECT_EQ(yen["totalsCurrency"], "JPY");
  EXPECT_EQ(yen["totalPaid"], "JPY 5,000");
  // The customer's history names the currency of its totals too (the fuzzer found it missing).
  json history = Run("process-payment", {{"action", "history"}, {"customerId", "cust-006"}});
  EXPECT_EQ(history["currency"], "JPY") << history.dump();
  EXPECT_EQ(history["totalPaid"], "JPY 5,000");
  // A refund of a yen payment is in yen, and says so (the fuzzer found it shown as dollars).
  json refund = Run("process-payment", {{"action", "refund"}, {"paymentId", "PAY-006"}, {"reason", "test"}});
  ASSERT_EQ(refund["success"], true) << refund.dump();
  EXPECT_EQ(refund["refund"]["currency"], "JPY") << refund.dump();
  EXPECT_EQ(refund["refund"]["amount"], "JPY 5,000") << refund.dump();
  // An unknown currency filter is refused naming the field.
  json unknown = Run("get-customer", {{"currency", "xyz"}});
  EXPECT_EQ(unknown["error"], true) << unknown.dump();
  EXPECT_EQ(unknown["field"], "currency");
  EXPECT_EQ(Run("get-customer", {{"currency", "eur"}})["count"], 1);  // any case
  json one = Run("process-payment", {{"action", "list"}, {"customerId", "CUST-003"}, {"from", "2025-01-01"}});
  EXPECT_EQ(one["count"], 1);
  EXPECT_EQ(one["to"], "2026-11-25");  // default: today
  EXPECT_EQ(Run("process-payment", {{"action", "list"}})["field"], "from");
  EXPECT_EQ(Run("process-payment", {{"action", "list"}, {"from", "2025-10-02"}, {"to", "2025-10-01"}})["field"],
            "to");
}

TEST_F(ToolsTest, AmountsAreReadAndShownInTheRecordsCurrency) {
  // A JPY customer (no minor unit) and a EUR one: "5000" is five thousand yen, not fifty.
  ASSERT_TRUE(store_->Write([](StoreTx& tx) -> Status {
    BILLING_TRY(tx.InsertCustomer({"CUST-202", "Tokyo Design KK", "Ken", "ap@tokyo.example",
                                   "monthly", "bank_transfer", "active", "JPY", std::nullopt, 0,
                                   "2026-01-01T00:00:00.000Z"}));
    return tx.InsertCustomer({"CUST-201", "Berlin Analytics GmbH", "Dana", "ap@berlin.example",
                              "monthly", "bank_transfer", "active", "EUR", std::nullopt, 0,
                              "2026-01-01T00:00:00.000Z"});
  }).ok());
  json yen = Run("manage-invoices", {{"action", "create"}, {"customerId", "CUST-202"},
                                     {"amount", "5000"}, {"dueDate", "2026-12-31"}});
  ASSERT_EQ(yen["success"], true) << yen.dump();
  EXPECT_EQ(yen["invoice"]["currency"], "JPY");
  EXPECT_EQ(yen["invoice"]["totalCents"], 5400);
  EXPECT_EQ(yen["invoice"]["total"], "JPY 5,400");
  json fraction = Run("manage-invoices", {{"action", "create"}, {"customerId", "CUST-202"},
                                          {"amount", "50.5"}, {"dueDate", "2026-12-31"}});
  EXPECT_EQ(fraction["success"], false) << fraction.dump();  // yen have no decimals
  json euro = Run("manage-invoices", {{"action", "create"}, {"customerId", "CUST-201"},
                                      {"amount", "1500"}, {"dueDate", "2026-12-31"}});
  ASSERT_EQ(euro["success"], true) << euro.dump();
  EXPECT_EQ(euro["invoice"]["total"], "EUR 1,620.00");
  json paid = Run("process-payment", {{"action", "process"}, {"customerId", "CUST-202"},
                                      {"amount", "5400"}, {"currency", "JPY"},
                                      {"invoiceId", yen["invoice"]["id"]}});
  ASSERT_EQ(paid["success"], true) << paid.dump();
  EXPECT_EQ(paid["payment"]["currency"], "JPY");
  EXPECT_EQ(paid["payment"]["amount"], "JPY 5,400");
  json wrong = Run("process-payment", {{"action", "process"}, {"customerId", "CUST-201"},
                                       {"amount", "1620"}, {"currency", "USD"},
                                       {"invoiceId", euro["invoice"]["id"]}});
  EXPECT_EQ(wrong["success"], false) << wrong.dump();
  EXPECT_NE(wrong.dump().find("currency"), std::string::npos) << wrong.dump();
}

}  // namespace
}  // namespace billing
