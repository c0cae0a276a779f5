#include "agent/local_planner.h"

#include <gtest/gtest.h>

#include <optional>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include "agent/request_parser.h"

namespace billing {
namespace {

using nlohmann::json;

// Today is 2026-11-25 08:00 UTC in every test.
int64_t TodayMs() {
  return Date{2026, 11, 25}.DaysSinceEpoch() * 86'400'000 + 8 * 3'600'000;
}

class PlannerTest : public ::testing::Test {
 protected:
  FixedClock clock_{TodayMs()};
  LocalPlanner planner_{clock_};

  static ModelRequest Request(const std::string& text) {
    ModelRequest r;
    r.instructions = "You are a billing assistant.";
    r.messages.push_back(ChatMessage{"user", text, {}, "", "", nullptr});
    for (const char* name : {"getCustomerTool", "manageInvoicesTool", "processPaymentTool"}) {
      r.tools.push_back(ToolSpec{name, "", json::object()});
    }
    return r;
  }

  // Appends the assistant tool-call message of `resp` and one tool result per call.
  static void AddStep(ModelRequest& r, const ModelResponse& resp,
                      const std::vector<json>& results) {
    ChatMessage a;
    a.role = "assistant";
    a.tool_calls = resp.tool_calls;
    r.messages.push_back(a);
    for (size_t k = 0; k < resp.tool_calls.size(); ++k) {
      ChatMessage t;
      t.role = "tool";
      t.tool_call_id = resp.tool_calls[k].id;
      t.tool_name = resp.tool_calls[k].name;
      t.tool_result = results.at(k);
      r.messages.push_back(t);
    }
  }

  ModelResponse Plan(const std::string& text) { return planner_.Plan(Request(text)); }

  // The single tool call planned for `text`.
  void ExpectCall(const std::string& text, const std::string& tool, const json& args) {
    SCOPED_TRACE(text);
    ModelResponse r = Plan(text);
    EXPECT_EQ(r.finish_reason, "tool-calls") << r.text;
    ASSERT_EQ(r.tool_calls.size(), 1u) << r.text;
    EXPECT_EQ(r.tool_calls[0].name, tool);
    EXPECT_EQ(r.tool_calls[0].args, args) << r.tool_calls[0].args.dump();
    EXPECT_TRUE(r.text.empty());
  }

  // A text reply (no tool call) for `text`.
  std::string ExpectReply(const std::string& text) {
    ModelResponse r = Plan(text);
    EXPECT_EQ(r.finish_reason, "stop") << text;
    EXPECT_TRUE(r.tool_calls.empty())
        << text << " -> " << (r.tool_calls.empty() ? "" : r.tool_calls[0].args.dump());
    return r.text;
  }

  // The final answer after `results` for the calls planned for `text`.
  std::string Answer(const std::string& text, const std::vector<json>& results) {
    ModelRequest r = Request(text);
    ModelResponse first = planner_.Plan(r);
    EXPECT_EQ(first.finish_reason, "tool-calls") << first.text;
    AddStep(r, first, results);
    ModelResponse second = planner_.Plan(r);
    EXPECT_EQ(second.finish_reason, "stop");
    EXPECT_TRUE(second.tool_calls.empty());
    return second.text;
  }
};

#define EXPECT_HAS(haystack, needle)                               \
  EXPECT_NE(std::string(haystack).find(needle), std::string::npos) \
      << "missing '" << (needle) << "' in:\n"                      \
      << (haystack)
#define EXPECT_LACKS(haystack, needle)                             \
  EXPECT_EQ(std::string(haystack).find(needle), std::string::npos) \
      << "unexpected '" << (needle) << "' in:\n"                   \
      << (haystack)

json SampleCustomer();

// ---- product.md Quickstart and Testing Scenarios ----------------------------------------------

TEST_F(PlannerTest, QuickstartExamples) {
  ExpectCall("Show me billing details for customer CUST-001", "getCustomerTool",
             {{"customerId", "CUST-001"}});
  ExpectCall("Show failed payments for CUST-002", "processPaymentTool",
             {{"action", "list_failed"}, {"customerId", "CUST-002"}});
  // The quickstart's due date (2025-11-15) is in the past today: refused, nothing created.
  ExpectCall("Show me all overdue invoices", "manageInvoicesTool",
             {{"action", "list"}, {"status", "overdue"}});
  ExpectCall("Process a $750 credit card payment for customer CUST-003", "processPaymentTool",
             {{"action", "process"},
              {"customerId", "CUST-003"},
              {"amount", "750.00"},
              {"paymentMethod", "credit_card"}});
  ExpectCall(
      "Mark invoice INV-001 as paid with bank transfer", "manageInvoicesTool",
      {{"action", "mark_paid"}, {"invoiceId", "INV-001"}, {"paymentMethod", "bank_transfer"}});
  ExpectCall("Show payment history for customer CUST-001", "processPaymentTool",
             {{"action", "history"}, {"customerId", "CUST-001"}});
  ExpectCall("List all customers with outstanding balances", "getCustomerTool",
             {{"hasOutstandingBalance", true}});
  ExpectCall("Process a refund for payment PAY-001", "processPaymentTool",
             {{"action", "refund"}, {"paymentId", "PAY-001"}});
}

TEST_F(PlannerTest, QuickstartInvoiceWithPastDueDateIsRefused) {
  const std::string text = ExpectReply(
      "Create an invoice for customer CUST-002 for $1500 due 2025-11-15 for Monthly subscription "
      "services");
  EXPECT_HAS(text, "2025-11-15");
  EXPECT_HAS(text, "2026-11-25");
  EXPECT_HAS(text, "not in the future");
  EXPECT_HAS(text, "Nothing was created");
  EXPECT_HAS(text, "Monthly subscription services: 1 \xC3\x97 $1,500.00");
}

TEST_F(PlannerTest, QuickstartInvoiceWithFutureDueDate) {
  ExpectCall(
      "Create an invoice for customer CUST-002 for $1500 due 2026-12-15 for Monthly subscription "
      "services",
      "manageInvoicesTool",
      {{"action", "create"},
       {"customerId", "CUST-002"},
       {"items", json::array({{{"description", "Monthly subscription services"},
                               {"quantity", 1},
                               {"unitPrice", "1500.00"}}})},
       {"dueDate", "2026-12-15"}});
}

TEST_F(PlannerTest, TestingScenarios) {
  ExpectCall("What is the billing status of customer CUST-001?", "getCustomerTool",
             {{"customerId", "CUST-001"}});
  ExpectCall("Show all customers with quarterly billing cycles", "getCustomerTool",
             {{"billingCycle", "quarterly"}});
  ExpectCall("Show me details for invoice INV-001", "manageInvoicesTool",
             {{"action", "get"}, {"invoiceId", "INV-001"}});
  ExpectCall("Process a $2450 credit card payment for customer CUST-001 for invoice INV-001",
             "processPaymentTool",
             {{"action", "process"},
              {"customerId", "CUST-001"},
              {"amount", "2450.00"},
              {"paymentMethod", "credit_card"},
              {"invoiceId", "INV-001"}});
  ExpectCall("Show me all failed payments", "processPaymentTool", {{"action", "list_failed"}});
}

TEST_F(PlannerTest, LineItemInvoiceParsesThreeLines) {
  ParsedRequest p = ParseRequest(
      "Create an invoice for CUST-001 with Premium Plan ($199), Setup Fee ($50), and 2 Additional "
      "Storage units at $25 each, due 2026-12-01",
      Date{2026, 11, 25});
  ASSERT_EQ(p.intent, Intent::kCreateInvoice);
  ASSERT_EQ(p.items.size(), 3u);
  EXPECT_EQ(p.items[0].description, "Premium Plan");
  EXPECT_EQ(p.items[0].quantity, "1");
  EXPECT_EQ(p.items[0].unit_price_minor, 19900);
  EXPECT_EQ(p.items[1].description, "Setup Fee");
  EXPECT_EQ(p.items[1].unit_price_minor, 5000);
  EXPECT_EQ(p.items[2].description, "Additional Storage units");
  EXPECT_EQ(p.items[2].quantity, "2");
  EXPECT_EQ(p.items[2].unit_price_minor, 2500);

  ExpectCall(
      "Create an invoice for CUST-001 with Premium Plan ($199), Setup Fee ($50), and 2 Additional "
      "Storage units at $25 each, due 2026-12-01",
      "manageInvoicesTool",
      {{"action", "create"},
       {"customerId", "CUST-001"},
       {"items",
        json::array({{{"description", "Premium Plan"}, {"quantity", 1}, {"unitPrice", "199.00"}},
                     {{"description", "Setup Fee"}, {"quantity", 1}, {"unitPrice", "50.00"}},
                     {{"description", "Additional Storage units"},
                      {"quantity", 2},
                      {"unitPrice", "25.00"}}})},
       {"dueDate", "2026-12-01"}});
}

TEST_F(PlannerTest, LineItemInvoiceFromSpecIsRefusedBecauseDueDateIsPast) {
  const std::string text = ExpectReply(
      "Create an invoice for CUST-001 with Premium Plan ($199), Setup Fee ($50), and 2 Additional "
      "Storage units at $25 each, due 2025-12-01");
  EXPECT_HAS(text, "2025-12-01");
  EXPECT_HAS(text, "today is 2026-11-25");
  EXPECT_HAS(text, "Nothing was created");
  EXPECT_HAS(text, "Premium Plan: 1 \xC3\x97 $199.00");
  EXPECT_HAS(text, "Additional Storage units: 2 \xC3\x97 $25.00");
}

TEST_F(PlannerTest, DueDateTodayIsRefused) {
  const std::string text =
      ExpectReply("Create an invoice for CUST-002 for $100 due 2026-11-25 for Consulting");
  EXPECT_HAS(text, "not in the future");
}

// The spec's error scenarios: the customer is checked before anything else is asked (#10).
TEST_F(PlannerTest, ErrorScenariosCheckTheCustomerFirst) {
  const json not_found = json::parse(
      R"json({"success":false,"error":true,"code":"NOT_FOUND","field":"customerId","message":"Customer CUST-999 not found"})json");
  ExpectCall("Create an invoice for customer CUST-999", "getCustomerTool",
             {{"customerId", "CUST-999"}});
  std::string text = Answer("Create an invoice for customer CUST-999", {not_found});
  EXPECT_HAS(text, "Customer CUST-999 not found");
  EXPECT_HAS(text, "Nothing was created");
  EXPECT_LACKS(text, "amount");

  text = Answer("Process payment for customer CUST-999", {not_found});
  EXPECT_HAS(text, "CUST-999 not found");
  EXPECT_HAS(text, "No payment was processed");

  // A customer that exists: then the question, with its name.
  text = Answer("Create an invoice for CUST-001 for $500 for consulting", {SampleCustomer()});
  EXPECT_HAS(text, "TechCorp Inc. (CUST-001)");
  EXPECT_HAS(text, "due date");
  EXPECT_LACKS(text, "the amount");
}

// ---- Variants ---------------------------------------------------------------------------------

TEST_F(PlannerTest, CustomerIdForms) {
  for (const char* text :
       {"show customer cust-001", "Show customer CUST-1", "show customer Cust_001",
        "billing details for customer 1", "customer #1 balance", "What's CUST-0001's balance?"}) {
    ExpectCall(text, "getCustomerTool", {{"customerId", "CUST-001"}});
  }
  EXPECT_EQ(NormalizeCustomerId("cust-7"), "CUST-007");
  EXPECT_EQ(NormalizeCustomerId("12"), "CUST-012");
  EXPECT_EQ(NormalizeCustomerId("CUST-1234"), "CUST-1234");
  EXPECT_EQ(NormalizeCustomerId("bob"), "");
}

TEST_F(PlannerTest, CustomerFilters) {
  ExpectCall("Who owes us money?", "getCustomerTool", {{"hasOutstandingBalance", true}});
  ExpectCall("list suspended customers", "getCustomerTool", {{"status", "suspended"}});
  ExpectCall("Show active customers", "getCustomerTool", {{"status", "active"}});
  ExpectCall("Which customers pay by PayPal?", "getCustomerTool", {{"paymentMethod", "paypal"}});
  ExpectCall("customers with annual billing", "getCustomerTool", {{"billingCycle", "annual"}});
  ExpectCall("customers with no outstanding balance", "getCustomerTool",
             {{"hasOutstandingBalance", false}});
  ExpectCall("customers owing more than $1,000", "getCustomerTool",
             {{"hasOutstandingBalance", true}, {"minBalance", "1000.00"}});
  ExpectCall("List all customers", "getCustomerTool", json::object());
  // A currency named keeps the list to it.
  ExpectCall("Show customers billed in EUR", "getCustomerTool", {{"currency", "EUR"}});
  ExpectCall("which customers pay in yen?", "getCustomerTool", {{"currency", "JPY"}});
}

TEST_F(PlannerTest, AmountAndDateForms) {
  const json items =
      json::array({{{"description", "Consulting"}, {"quantity", 1}, {"unitPrice", "1500.00"}}});
  for (const char* text :
       {"Create an invoice for CUST-002 for $1,500.00 due 2026-12-15 for Consulting",
        "Create an invoice for CUST-002 for 1500 dollars due December 15, 2026 for Consulting",
        "Create an invoice for CUST-002 for USD 1500 due Dec 15 2026 for Consulting",
        "Create an invoice for CUST-002 for $1500 due 15 Dec 2026 for Consulting",
        "Create an invoice for CUST-002 for $1500 due 12/15/2026 for Consulting",
        "Create an invoice for CUST-002 for $1500 due Dec 15th for Consulting",
        "Create an invoice for CUST-002 for $1500 due in 20 days for Consulting"}) {
    ExpectCall(text, "manageInvoicesTool",
               {{"action", "create"},
                {"customerId", "CUST-002"},
                {"items", items},
                {"dueDate", "2026-12-15"}});
  }
  ParsedRequest p = ParseRequest("invoice CUST-001 $10 due next month", Date{2026, 1, 31});
  ASSERT_TRUE(p.date.has_value());
  EXPECT_EQ(p.date->ToString(), "2026-02-28");
  p = ParseRequest("invoice CUST-001 $10 due in 2 weeks", Date{2026, 11, 25});
  EXPECT_EQ(p.date->ToString(), "2026-12-09");
  p = ParseRequest("invoice CUST-001 $10 net 30", Date{2026, 11, 25});
  EXPECT_EQ(p.date->ToString(), "2026-12-25");
  p = ParseRequest("invoice CUST-001 $10 due end of month", Date{2026, 11, 25});
  EXPECT_EQ(p.date->ToString(), "2026-11-30");
}

TEST_F(PlannerTest, InvalidAmountAndDateAreReported) {
  std::string text = ExpectReply("Create an invoice for CUST-002 for $1,50 due 2026-12-15");
  EXPECT_HAS(text, "$1,50");
  text = ExpectReply("Create an invoice for CUST-002 for $100 due 2026-02-30");
  EXPECT_HAS(text, "2026-02-30");
  EXPECT_HAS(text, "not a valid calendar date");
  text = ExpectReply("Process a $2,000,000 payment for CUST-001");
  EXPECT_HAS(text, "maximum");
}

TEST_F(PlannerTest, InvoiceVariants) {
  for (const char* text :
       {"Show me past due invoices", "any late invoices?", "list overdue invoices"}) {
    ExpectCall(text, "manageInvoicesTool", {{"action", "list"}, {"status", "overdue"}});
  }
  ExpectCall("Show invoices for CUST-001", "manageInvoicesTool",
             {{"action", "list"}, {"customerId", "CUST-001"}});
  ExpectCall("show paid invoices", "manageInvoicesTool", {{"action", "list"}, {"status", "paid"}});
  ExpectCall("cancel invoice INV-2026-001", "manageInvoicesTool",
             {{"action", "cancel"}, {"invoiceId", "INV-2026-001"}});
  ExpectCall("Change the due date of invoice INV-2026-001 to 2026-12-31", "manageInvoicesTool",
             {{"action", "update"}, {"invoiceId", "INV-2026-001"}, {"dueDate", "2026-12-31"}});
  ExpectCall("Add a note to invoice INV-2026-001: customer asked for net 45 terms",
             "manageInvoicesTool",
             {{"action", "update"},
              {"invoiceId", "INV-2026-001"},
              {"notes", "customer asked for net 45 terms"}});
  ExpectCall("what's the status of inv-2025-003?", "manageInvoicesTool",
             {{"action", "get"}, {"invoiceId", "INV-2025-003"}});
  ExpectCall("show invoice #3", "manageInvoicesTool",
             {{"action", "get"}, {"invoiceId", "INV-003"}});
  ExpectCall(
      "Mark INV-2025-001 paid by wire", "manageInvoicesTool",
      {{"action", "mark_paid"}, {"invoiceId", "INV-2025-001"}, {"paymentMethod", "bank_transfer"}});

  ModelResponse r = Plan("Show unpaid invoices");
  ASSERT_EQ(r.tool_calls.size(), 2u);
  EXPECT_EQ(r.tool_calls[0].args, json({{"action", "list"}, {"status", "pending"}}));
  EXPECT_EQ(r.tool_calls[1].args, json({{"action", "list"}, {"status", "overdue"}}));
  EXPECT_NE(r.tool_calls[0].id, r.tool_calls[1].id);

  std::string text = ExpectReply("Cancel the invoice");
  EXPECT_HAS(text, "Which invoice");
  text = ExpectReply("Change the due date of INV-2026-001 to 2026-01-01");
  EXPECT_HAS(text, "not in the future");
}

TEST_F(PlannerTest, PaymentVariants) {
  const std::vector<std::pair<std::string, std::string>> methods = {
      {"card", "credit_card"},   {"visa", "credit_card"},  {"bank transfer", "bank_transfer"},
      {"wire", "bank_transfer"}, {"ACH", "bank_transfer"}, {"PayPal", "paypal"},
      {"bitcoin", "crypto"},     {"USDC", "crypto"}};
  for (const auto& [word, method] : methods) {
    ExpectCall("Process a $100 payment for CUST-002 by " + word, "processPaymentTool",
               {{"action", "process"},
                {"customerId", "CUST-002"},
                {"amount", "100.00"},
                {"paymentMethod", method}});
  }
  ExpectCall("Record a payment of 750 for customer CUST-003", "processPaymentTool",
             {{"action", "process"}, {"customerId", "CUST-003"}, {"amount", "750.00"}});
  ExpectCall("charge cust-3 $19.99", "processPaymentTool",
             {{"action", "process"}, {"customerId", "CUST-003"}, {"amount", "19.99"}});
  ExpectCall("Refund $100 of PAY-001 because the customer was double charged", "processPaymentTool",
             {{"action", "refund"},
              {"paymentId", "PAY-001"},
              {"amount", "100.00"},
              {"reason", "the customer was double charged"}});
  ExpectCall("refund $100 of pay-001 because of a billing error", "processPaymentTool",
             {{"action", "refund"}, {"paymentId", "PAY-001"}, {"amount", "100.00"}, {"reason", "a billing error"}});
  ExpectCall("refund pay-2, reason: duplicate", "processPaymentTool",
             {{"action", "refund"}, {"paymentId", "PAY-002"}, {"reason", "duplicate"}});
  ExpectCall("list declined payments", "processPaymentTool", {{"action", "list_failed"}});
  ExpectCall("recent transactions for CUST-002", "processPaymentTool",
             {{"action", "history"}, {"customerId", "CUST-002"}});

  std::string text = ExpectReply("Process a refund");
  EXPECT_HAS(text, "payment id");
  text = ExpectReply("Show payment history");
  EXPECT_HAS(text, "customer id");
}

TEST_F(PlannerTest, MoreInvoicePhrasings) {
  ExpectCall(
      "Create a new invoice for cust-2 for 3 hours of consulting at $150 per hour due in 30 days",
      "manageInvoicesTool",
      {{"action", "create"},
       {"customerId", "CUST-002"},
       {"items",
        json::array(
            {{{"description", "consulting"}, {"quantity", 3}, {"unitPrice", "150.00"}}})},
       {"dueDate", "2026-12-25"}});
  ExpectCall(
      "Invoice CUST-001 $500 due 2026-12-20 for \"Q4 retainer\"", "manageInvoicesTool",
      {{"action", "create"},
       {"customerId", "CUST-001"},
       {"items",
        json::array({{{"description", "Q4 retainer"}, {"quantity", 1}, {"unitPrice", "500.00"}}})},
       {"dueDate", "2026-12-20"}});
  ExpectCall(
      "Create invoice for CUST-003: $100 design, $200 development, due Jan 15 2027",
      "manageInvoicesTool",
      {{"action", "create"},
       {"customerId", "CUST-003"},
       {"items",
        json::array({{{"description", "design"}, {"quantity", 1}, {"unitPrice", "100.00"}},
                     {{"description", "development"}, {"quantity", 1}, {"unitPrice", "200.00"}}})},
       {"dueDate", "2027-01-15"}});
  ExpectCall("Customer CUST-003 paid $875.50 by wire for INV-2025-003", "processPaymentTool",
             {{"action", "process"},
              {"customerId", "CUST-003"},
              {"amount", "875.50"},
              {"paymentMethod", "bank_transfer"},
              {"invoiceId", "INV-2025-003"}});
  // "Pay" charges what is due (the invoice is read first for its customer and amount due);
  // only "mark ... paid" records money already received.
  ExpectCall("Pay invoice INV-2025-003", "manageInvoicesTool",
             {{"action", "get"}, {"invoiceId", "INV-2025-003"}});
}

TEST_F(PlannerTest, GreetingsAndUnknownGetHelp) {
  EXPECT_HAS(ExpectReply("thanks!"), "You're welcome");
  std::string text = ExpectReply("Hello!");
  EXPECT_HAS(text, "Hello");
  EXPECT_HAS(text, "invoice");
  text = ExpectReply("What's the weather like?");
  EXPECT_HAS(text, "billing assistant");
  text = ExpectReply("");
  EXPECT_HAS(text, "billing assistant");
}

// ---- Company names: list, match, then call with the id ----------------------------------------

json SampleCustomerList() {
  return json::parse(R"json({"success":true,"message":"Found 4 customer(s)","count":4,
    "totalOutstandingCents":452550,"totalOutstanding":"$4,525.50","customers":[
    {"id":"CUST-001","company":"TechCorp Inc.","billingCycle":"monthly","paymentMethod":"credit_card","status":"active","outstandingBalanceCents":245000,"outstandingBalance":"$2,450.00"},
    {"id":"CUST-002","company":"StartupHub LLC","billingCycle":"quarterly","paymentMethod":"bank_transfer","status":"active","outstandingBalanceCents":0,"outstandingBalance":"$0.00"},
    {"id":"CUST-003","company":"Global Solutions Ltd.","billingCycle":"monthly","paymentMethod":"credit_card","status":"active","outstandingBalanceCents":87550,"outstandingBalance":"$875.50"},
    {"id":"CUST-004","company":"Digital Agency Pro","billingCycle":"monthly","paymentMethod":"paypal","status":"suspended","outstandingBalanceCents":120000,"outstandingBalance":"$1,200.00"}]})json");
}

json SampleCustomer() {
  return json::parse(
      R"json({"success":true,"message":"Found customer CUST-001 (TechCorp Inc.)","customer":{
    "id":"CUST-001","company":"TechCorp Inc.","contactName":"John Smith","email":"billing@techcorp.com",
    "billingCycle":"monthly","paymentMethod":"credit_card","status":"active","currency":"USD",
    "createdAt":"2025-01-15T00:00:00.000Z","outstandingBalanceCents":245000,"outstandingBalance":"$2,450.00",
    "openInvoices":[{"id":"INV-2025-001","totalCents":245000,"total":"$2,450.00","amountDueCents":245000,
      "amountDue":"$2,450.00","status":"overdue","dueDate":"2025-10-15","daysOverdue":406}],
    "openInvoiceCount":1,"overdueInvoiceCount":1,
    "recentPayments":[{"id":"PAY-001","customerId":"CUST-001","amountCents":50000,"amount":"$500.00",
      "refundedCents":0,"refunded":"$0.00","method":"credit_card","status":"completed",
      "transactionId":"txn_abc","createdAt":"2025-09-01T10:00:00.000Z","allocations":[]}],
    "taxRate":"8%"}})json");
}

TEST_F(PlannerTest, CompanyNameLookup) {
  ModelRequest r = Request("Show me billing details for TechCorp");
  ModelResponse first = planner_.Plan(r);
  ASSERT_EQ(first.tool_calls.size(), 1u);
  EXPECT_EQ(first.tool_calls[0].name, "getCustomerTool");
  EXPECT_EQ(first.tool_calls[0].args, json::object());
  AddStep(r, first, {SampleCustomerList()});
  ModelResponse second = planner_.Plan(r);
  ASSERT_EQ(second.tool_calls.size(), 1u);
  EXPECT_EQ(second.tool_calls[0].args, json({{"customerId", "CUST-001"}}));
  EXPECT_NE(second.tool_calls[0].id, first.tool_calls[0].id);
  AddStep(r, second, {SampleCustomer()});
  ModelResponse third = planner_.Plan(r);
  EXPECT_EQ(third.finish_reason, "stop");
  EXPECT_HAS(third.text, "TechCorp Inc. (CUST-001)");
  EXPECT_HAS(third.text, "$2,450.00");
  EXPECT_LACKS(third.text, "StartupHub");
}

TEST_F(PlannerTest, CompanyNameLookupForPaymentAndNoMatch) {
  ModelRequest r = Request("Process a $100 payment for Global Solutions by card");
  ModelResponse first = planner_.Plan(r);
  ASSERT_EQ(first.tool_calls.size(), 1u);
  AddStep(r, first, {SampleCustomerList()});
  ModelResponse second = planner_.Plan(r);
  ASSERT_EQ(second.tool_calls.size(), 1u);
  EXPECT_EQ(second.tool_calls[0].args, json({{"action", "process"},
                                             {"customerId", "CUST-003"},
                                             {"amount", "100.00"},
                                             {"paymentMethod", "credit_card"}}));

  ModelRequest r2 = Request("What is the balance of Acme Widgets?");
  ModelResponse a = planner_.Plan(r2);
  ASSERT_EQ(a.tool_calls.size(), 1u);
  AddStep(r2, a, {SampleCustomerList()});
  ModelResponse b = planner_.Plan(r2);
  EXPECT_EQ(b.finish_reason, "stop");
  EXPECT_HAS(b.text, "couldn't find");
  EXPECT_HAS(b.text, "CUST-004 Digital Agency Pro");

  EXPECT_EQ(MatchCompanies(SampleCustomerList()["customers"], "digital agency balance").size(), 1u);
  EXPECT_EQ(MatchCompanies(SampleCustomerList()["customers"], "STARTUPHUB llc").size(), 1u);
  EXPECT_EQ(MatchCompanies(SampleCustomerList()["customers"], "global").size(), 0u);
}

// ---- Answers from tool results ------------------------------------------------------------------

TEST_F(PlannerTest, AnswerCustomerDetails) {
  const std::string text =
      Answer("Show me billing details for customer CUST-001", {SampleCustomer()});
  EXPECT_HAS(text, "TechCorp Inc. (CUST-001)");
  EXPECT_HAS(text, "Outstanding balance: $2,450.00 across 1 open invoice (1 overdue)");
  EXPECT_HAS(text, "INV-2025-001");
  EXPECT_HAS(text, "406 days overdue");
  EXPECT_HAS(text, "PAY-001");
  EXPECT_HAS(text, "John Smith, billing@techcorp.com");
}

TEST_F(PlannerTest, AnswerCustomerList) {
  const std::string text =
      Answer("List all customers with outstanding balances", {SampleCustomerList()});
  EXPECT_HAS(text, "Found 4 customer(s).");
  EXPECT_HAS(text, "CUST-003 Global Solutions Ltd.: outstanding $875.50");
  EXPECT_HAS(text, "Total outstanding: $4,525.50.");
}

TEST_F(PlannerTest, AnswerInvoiceCreated) {
  const json result = json::parse(R"json({"success":true,
    "message":"Invoice INV-2026-001 created for StartupHub LLC: subtotal $1,500.00 + tax (8%) $120.00 = total $1,620.00, due 2026-12-15",
    "invoice":{"id":"INV-2026-001","customerId":"CUST-002","customerName":"StartupHub LLC",
      "items":[{"description":"Monthly subscription services","quantity":"1","unitPriceCents":150000,"unitPrice":"$1,500.00","amountCents":150000,"amount":"$1,500.00"}],
      "subtotalCents":150000,"subtotal":"$1,500.00","taxRate":"8%","taxRateBp":800,"taxCents":12000,"tax":"$120.00",
      "totalCents":162000,"total":"$1,620.00","paidCents":0,"paid":"$0.00","amountDueCents":162000,"amountDue":"$1,620.00",
      "status":"pending","issueDate":"2026-11-25","dueDate":"2026-12-15"}})json");
  const std::string text = Answer(
      "Create an invoice for customer CUST-002 for $1500 due 2026-12-15 for Monthly subscription "
      "services",
      {result});
  EXPECT_HAS(text, "Invoice INV-2026-001 created");
  EXPECT_HAS(text, "total $1,620.00");
  EXPECT_HAS(text, "Monthly subscription services: 1 \xC3\x97 $1,500.00 = $1,500.00");
  EXPECT_HAS(text, "amount due $1,620.00");
}

TEST_F(PlannerTest, AnswerOverdueList) {
  const json result = json::parse(
      R"json({"success":true,"message":"Found 2 invoice(s) with status overdue","count":2,
    "totalCents":332550,"total":"$3,325.50","amountDueCents":332550,"amountDue":"$3,325.50","invoices":[
    {"id":"INV-2025-001","customerId":"CUST-001","customerName":"TechCorp Inc.","totalCents":245000,"total":"$2,450.00","amountDueCents":245000,"amountDue":"$2,450.00","status":"overdue","dueDate":"2025-10-15","daysOverdue":406},
    {"id":"INV-2025-003","customerId":"CUST-003","customerName":"Global Solutions Ltd.","totalCents":87550,"total":"$875.50","amountDueCents":87550,"amountDue":"$875.50","status":"overdue","dueDate":"2025-09-30","daysOverdue":421}]})json");
  const std::string text = Answer("Show me all overdue invoices", {result});
  EXPECT_HAS(text, "Found 2 invoice(s) with status overdue.");
  EXPECT_HAS(text,
             "INV-2025-003 · Global Solutions Ltd. (CUST-003): total $875.50, amount due $875.50 — "
             "overdue (421 days overdue), due 2025-09-30");
  EXPECT_HAS(text, "Total: $3,325.50; still due: $3,325.50.");
}

// A list over customers of several currencies has its totals per currency (tools' PutTotals):
// the answer names each currency's, most rows first, and never adds them.
TEST_F(PlannerTest, AnswerTotalsPerCurrency) {
  const json invoices = json::parse(
      R"json({"success":true,"message":"Found 3 invoice(s)","count":3,"invoices":[
    {"id":"INV-2025-001","customerId":"CUST-001","customerName":"TechCorp Inc.","total":"$2,450.00","amountDue":"$2,450.00","status":"overdue","dueDate":"2025-10-15","daysOverdue":417},
    {"id":"INV-2025-004","customerId":"CUST-005","customerName":"Nordwind GmbH","total":"EUR 1,620.00","amountDue":"EUR 0.00","status":"paid","dueDate":"2025-10-10"},
    {"id":"INV-2025-005","customerId":"CUST-006","customerName":"Sakura Trading K.K.","total":"JPY 5,000","amountDue":"JPY 0","status":"paid","dueDate":"2025-10-20"}],
    "totalsByCurrency":[
    {"currency":"USD","count":1,"totalCents":245000,"total":"$2,450.00","amountDueCents":245000,"amountDue":"$2,450.00"},
    {"currency":"EUR","count":1,"totalCents":162000,"total":"EUR 1,620.00","amountDueCents":0,"amountDue":"EUR 0.00"},
    {"currency":"JPY","count":1,"totalCents":5000,"total":"JPY 5,000","amountDueCents":0,"amountDue":"JPY 0"}]})json");
  const std::string text = Answer("List all invoices", {invoices});
  EXPECT_HAS(text, "Total: $2,450.00, EUR 1,620.00 and JPY 5,000; still due: $2,450.00, EUR 0.00 and JPY 0.");

  const json customers = json::parse(
      R"json({"success":true,"message":"Found 2 customer(s)","count":2,"customers":[
    {"id":"CUST-001","company":"TechCorp Inc.","billingCycle":"monthly","paymentMethod":"credit_card","status":"active","outstandingBalance":"$2,450.00"},
    {"id":"CUST-005","company":"Nordwind GmbH","billingCycle":"monthly","paymentMethod":"bank_transfer","status":"active","outstandingBalance":"EUR 300.00"}],
    "totalsByCurrency":[
    {"currency":"EUR","count":1,"totalOutstandingCents":30000,"totalOutstanding":"EUR 300.00"},
    {"currency":"USD","count":1,"totalOutstandingCents":245000,"totalOutstanding":"$2,450.00"}]})json");
  const std::string total = Answer("What's the total outstanding across all customers?", {customers});
  EXPECT_HAS(total, "Total outstanding: EUR 300.00 and $2,450.00 across 2 customers.");
}

TEST_F(PlannerTest, AnswerTwoResultsSummarisesEach) {
  const json pending = json::parse(
      R"json({"success":true,"message":"Found 0 invoice(s) with status pending","count":0,"invoices":[],"totalCents":0,"total":"$0.00","amountDueCents":0,"amountDue":"$0.00"})json");
  const json overdue = json::parse(
      R"json({"success":true,"message":"Found 1 invoice(s) with status overdue","count":1,"invoices":[
    {"id":"INV-2025-003","customerId":"CUST-003","customerName":"Global Solutions Ltd.","total":"$875.50","amountDue":"$875.50","status":"overdue","dueDate":"2025-09-30","daysOverdue":421}],
    "totalCents":87550,"total":"$875.50","amountDueCents":87550,"amountDue":"$875.50"})json");
  const std::string text = Answer("Show unpaid invoices", {pending, overdue});
  EXPECT_HAS(text, "Found 0 invoice(s) with status pending.");
  EXPECT_HAS(text, "Found 1 invoice(s) with status overdue.");
  EXPECT_HAS(text, "INV-2025-003");
}

TEST_F(PlannerTest, AnswerPaymentApproved) {
  const json result = json::parse(R"json({"success":true,
    "message":"Payment PAY-005 of $750.00 via credit_card completed (transaction txn_0123456789abcdef01234567). New balance: $125.50",
    "payment":{"id":"PAY-005","customerId":"CUST-003","amountCents":75000,"amount":"$750.00","refundedCents":0,"refunded":"$0.00",
      "method":"credit_card","status":"completed","transactionId":"txn_0123456789abcdef01234567","createdAt":"2026-11-25T08:00:00.000Z",
      "allocations":[{"invoiceId":"INV-2025-003","amountCents":75000,"amount":"$750.00"}]},
    "newBalanceCents":12550,"newBalance":"$125.50"})json");
  const std::string text =
      Answer("Process a $750 credit card payment for customer CUST-003", {result});
  EXPECT_HAS(text, "PAY-005");
  EXPECT_HAS(text, "txn_0123456789abcdef01234567");
  EXPECT_HAS(text, "New balance: $125.50");
  EXPECT_HAS(text, "Applied to: INV-2025-003 ($750.00).");
}

TEST_F(PlannerTest, AnswerPaymentDeclined) {
  const json result = json::parse(R"json({"success":false,"declined":true,
    "message":"Payment PAY-006 of $750.00 via credit_card was declined: insufficient funds",
    "payment":{"id":"PAY-006","customerId":"CUST-003","amountCents":75000,"amount":"$750.00","refundedCents":0,"refunded":"$0.00",
      "method":"credit_card","status":"failed","transactionId":"txn_x","failureReason":"insufficient funds","createdAt":"2026-11-25T08:00:00.000Z","allocations":[]},
    "newBalanceCents":87550,"newBalance":"$875.50"})json");
  const std::string text =
      Answer("Process a $750 credit card payment for customer CUST-003", {result});
  EXPECT_HAS(text, "declined: insufficient funds");
  EXPECT_HAS(text, "no balance changed");
  EXPECT_HAS(text, "$875.50");
}

TEST_F(PlannerTest, AnswerRefundHistoryAndFailed) {
  const json refund = json::parse(R"json({"success":true,
    "message":"Refunded $750.00 of payment PAY-001 (refund RFD-001, transaction txn_r). New balance: $750.00",
    "refund":{"id":"RFD-001","paymentId":"PAY-001","amountCents":75000,"amount":"$750.00","reason":"duplicate","transactionId":"txn_r","createdAt":"2026-11-25T08:00:00.000Z"},
    "payment":{"id":"PAY-001","customerId":"CUST-002","amountCents":75000,"amount":"$750.00","refundedCents":75000,"refunded":"$750.00","method":"bank_transfer","status":"refunded","transactionId":"txn_p","createdAt":"2025-10-01T00:00:00.000Z","allocations":[]},
    "newBalanceCents":75000,"newBalance":"$750.00"})json");
  std::string text = Answer("Process a refund for payment PAY-001", {refund});
  EXPECT_HAS(text, "Refunded $750.00 of payment PAY-001");
  EXPECT_HAS(text, "Payment PAY-001 is now refunded.");

  const json history = json::parse(
      R"json({"success":true,"message":"2 payment(s) for TechCorp Inc.","customerId":"CUST-001","customerName":"TechCorp Inc.",
    "payments":[
      {"id":"PAY-004","customerId":"CUST-001","amountCents":30000,"amount":"$300.00","refundedCents":10000,"refunded":"$100.00","method":"paypal","status":"partially_refunded","transactionId":"t1","createdAt":"2026-10-01T00:00:00.000Z","allocations":[]},
      {"id":"PAY-002","customerId":"CUST-001","amountCents":50000,"amount":"$500.00","refundedCents":0,"refunded":"$0.00","method":"credit_card","status":"completed","transactionId":"t2","createdAt":"2025-09-01T00:00:00.000Z","allocations":[]}],
    "count":2,"totalPaidCents":80000,"totalPaid":"$800.00","totalRefundedCents":10000,"totalRefunded":"$100.00"})json");
  text = Answer("Show payment history for customer CUST-001", {history});
  EXPECT_HAS(text, "2 payment(s) for TechCorp Inc.");
  EXPECT_HAS(text,
             "PAY-004 (2026-10-01): $300.00 via PayPal — partially_refunded, refunded $100.00");
  EXPECT_HAS(text, "Total paid: $800.00; total refunded: $100.00.");

  const json failed = json::parse(
      R"json({"success":true,"message":"Found 1 failed payment(s)","count":1,"totalFailedCents":30000,"totalFailed":"$300.00",
    "payments":[{"id":"PAY-003","customerId":"CUST-003","amountCents":30000,"amount":"$300.00","refundedCents":0,"refunded":"$0.00","method":"credit_card","status":"failed","transactionId":"t3","failureReason":"card expired","createdAt":"2025-09-15T00:00:00.000Z","allocations":[]}]})json");
  text = Answer("Show me all failed payments", {failed});
  EXPECT_HAS(text,
             "PAY-003 (2025-09-15) · CUST-003: $300.00 via credit card — failed: card expired");
  EXPECT_HAS(text, "Total failed: $300.00.");
}

// A page of a long list: the answer says how many it shows of the exact count, and that the
// totals cover every matching record (issue #16).
TEST_F(PlannerTest, AnswerPartialListsSayShownOfCount) {
  json page = json::array();
  for (int k = 0; k < 100; ++k) {
    page.push_back({{"id", "PAY-" + std::to_string(29033 - k)}, {"customerId", "CUST-001"},
                    {"amountCents", 100}, {"amount", "$1.00"}, {"method", "paypal"},
                    {"status", "completed"}, {"createdAt", "2026-10-01T00:00:00.000Z"},
                    {"allocations", json::array()}});
  }
  json history = {{"success", true},
                  {"message", "29,033 payment(s) for TechCorp Inc.; showing 1-100 (newest first)"},
                  {"customerId", "CUST-001"}, {"payments", page}, {"count", 29033},
                  {"returned", 100}, {"offset", 0}, {"hasMore", true}, {"nextOffset", 100},
                  {"totalPaidCents", 2903300}, {"totalPaid", "$29,033.00"},
                  {"totalRefundedCents", 0}, {"totalRefunded", "$0.00"}};
  std::string text = Answer("Show payment history for customer CUST-001", {history});
  EXPECT_HAS(text, "29,033 payment(s) for TechCorp Inc.");
  EXPECT_LACKS(text, "showing 1-100");
  EXPECT_HAS(text, "Showing the newest 50 of 29,033 payments:");
  EXPECT_HAS(text, "PAY-28984");
  EXPECT_LACKS(text, "PAY-28983");
  EXPECT_HAS(text, "Total paid: $29,033.00; total refunded: $0.00 (over all 29,033 payments, not "
                   "only those shown).");

  json invoices = json::array();
  for (int k = 0; k < 100; ++k) {
    invoices.push_back({{"id", "INV-2026-" + std::to_string(1000 + k)}, {"customerId", "CUST-001"},
                        {"total", "$10.00"}, {"amountDue", "$10.00"}, {"status", "overdue"},
                        {"dueDate", "2026-01-01"}});
  }
  json list = {{"success", true},
               {"message", "Found 9,750 invoice(s) with status overdue; showing 101-200 (oldest "
                           "due first)"},
               {"invoices", invoices}, {"count", 9750}, {"returned", 100}, {"offset", 100},
               {"hasMore", true}, {"total", "$97,500.00"}, {"amountDue", "$97,500.00"}};
  text = Answer("List overdue invoices", {list});
  EXPECT_HAS(text, "Found 9,750 invoice(s) with status overdue.");
  EXPECT_HAS(text, "Showing invoices 101-150 of 9,750 (oldest due first):");
  EXPECT_HAS(text, "Total: $97,500.00; still due: $97,500.00 (over all 9,750 invoices");

  json customer = SampleCustomer();
  json& c = customer["customer"];
  c["openInvoiceCount"] = 9750;
  c["overdueInvoiceCount"] = 9000;
  c["openAmountDue"] = "$97,500.00";
  json open = json::array();
  for (int k = 0; k < 50; ++k) open.push_back(c["openInvoices"][0]);
  c["openInvoices"] = open;
  text = Answer("Show me billing details for customer CUST-001", {customer});
  EXPECT_HAS(text, "across 9,750 open invoices (9,000 overdue)");
  EXPECT_HAS(text, "Open invoices (the 50 oldest due of 9,750; amount due over all of them: "
                   "$97,500.00):");

  json failed = {{"success", true}, {"message", "Found 12 failed payment(s); none at offset 500"},
                 {"payments", json::array()}, {"count", 12}, {"returned", 0}, {"offset", 500},
                 {"hasMore", false}, {"totalFailed", "$120.00"}};
  text = Answer("Show me all failed payments", {failed});
  EXPECT_HAS(text, "None at offset 500; there are 12 failed payments in all.");
}

TEST_F(PlannerTest, AnswerErrors) {
  std::string text = Answer(
      "Show me billing details for customer CUST-999",
      {json::parse(
          R"json({"success":false,"error":true,"code":"NOT_FOUND","field":"customerId","message":"Customer CUST-999 not found"})json")});
  EXPECT_HAS(text, "Customer CUST-999 not found.");
  EXPECT_HAS(text, "check the customer id");

  text = Answer(
      "Create an invoice for CUST-004 for $100 due 2026-12-31 for Support",
      {json::parse(
          R"json({"success":false,"error":true,"code":"FAILED_PRECONDITION","field":"customerId","message":"Customer CUST-004 is suspended; new invoices cannot be created"})json")});
  EXPECT_HAS(text, "CUST-004 is suspended");
  EXPECT_HAS(text, "reactivated");
  EXPECT_HAS(text, "Nothing was changed.");

  text = Answer(
      "Show me details for invoice INV-001",
      {json::parse(
          R"json({"success":false,"error":true,"code":"AMBIGUOUS","field":"invoiceId","message":"Invoice INV-001 is ambiguous","candidates":["INV-2025-001","INV-2026-001"]})json")});
  EXPECT_HAS(text, "INV-2025-001, INV-2026-001");
  EXPECT_HAS(text, "Which one did you mean?");

  text = Answer(
      "Process a refund for payment PAY-003",
      {json::parse(
          R"json({"error":true,"message":"Tool validation failed for process-payment. Please fix the following errors and try again:\n- amount: must be positive\n\nProvided arguments: {}","validationErrors":{}})json")});
  EXPECT_HAS(text, "Tool validation failed for process-payment");
  EXPECT_LACKS(text, "Provided arguments");
}

// ---- Conversation mechanics ---------------------------------------------------------------------

TEST_F(PlannerTest, FollowUpSuppliesMissingDetails) {
  ModelRequest r = Request("Create an invoice for customer CUST-002");
  ModelResponse check = planner_.Plan(r);  // the customer is checked first
  ASSERT_EQ(check.tool_calls.size(), 1u);
  json customer = SampleCustomer();
  customer["customer"]["id"] = "CUST-002";
  customer["customer"]["company"] = "StartupHub LLC";
  AddStep(r, check, {customer});
  ModelResponse ask = planner_.Plan(r);
  ASSERT_TRUE(ask.tool_calls.empty());
  EXPECT_HAS(ask.text, "StartupHub LLC (CUST-002)");
  r.messages.push_back(ChatMessage{"assistant", ask.text, {}, "", "", nullptr});
  r.messages.push_back(
      ChatMessage{"user", "$500 for consulting, due 2026-12-31", {}, "", "", nullptr});
  ModelResponse call = planner_.Plan(r);
  ASSERT_EQ(call.tool_calls.size(), 1u) << call.text;
  EXPECT_EQ(call.tool_calls[0].args, json({{"action", "create"},
                                           {"customerId", "CUST-002"},
                                           {"items", json::array({{{"description", "consulting"},
                                                                   {"quantity", 1},
                                                                   {"unitPrice", "500.00"}}})},
                                           {"dueDate", "2026-12-31"}}));
}

TEST_F(PlannerTest, DeterministicIdsAndText) {
  const ModelRequest r = Request("Process a $750 credit card payment for customer CUST-003");
  ModelResponse a = planner_.Plan(r), b = planner_.Plan(r);
  ASSERT_EQ(a.tool_calls.size(), 1u);
  EXPECT_EQ(a.tool_calls[0].id, b.tool_calls[0].id);
  EXPECT_EQ(a.id, b.id);
  EXPECT_EQ(a.tool_calls[0].args, b.tool_calls[0].args);
  EXPECT_EQ(a.tool_calls[0].id.rfind("call_", 0), 0u);
  EXPECT_GT(a.usage.input_tokens, 0);
  EXPECT_GT(a.usage.output_tokens, 0);
  EXPECT_EQ(a.model_id, "billing-planner");
  EXPECT_NE(planner_.Plan(Request("Show me all failed payments")).tool_calls[0].id,
            a.tool_calls[0].id);
  EXPECT_EQ(
      Answer("Show me all failed payments", {json::object({{"success", true},
                                                           {"message", "Found 0 failed payment(s)"},
                                                           {"payments", json::array()}})}),
      Answer("Show me all failed payments", {json::object({{"success", true},
                                                           {"message", "Found 0 failed payment(s)"},
                                                           {"payments", json::array()}})}));
}

TEST_F(PlannerTest, ToolNotOfferedOrDisabled) {
  ModelRequest r = Request("Show me all failed payments");
  r.tools = ToolSpecList();  // no processPaymentTool
  r.tools.push_back(ToolSpec{"getCustomerTool", "", json::object()});
  r.tools.push_back(ToolSpec{"manageInvoicesTool", "", json::object()});
  ModelResponse resp = planner_.Plan(r);
  EXPECT_TRUE(resp.tool_calls.empty());
  EXPECT_HAS(resp.text, "processPaymentTool");
  r = Request("Show me all failed payments");
  r.tool_choice = "none";
  EXPECT_TRUE(planner_.Plan(r).tool_calls.empty());
}

TEST_F(PlannerTest, CompleteWrapsPlan) {
  boost::asio::io_context io;
  const ModelRequest r = Request("Show me billing details for customer CUST-001");
  std::optional<Result<ModelResponse>> res;
  boost::asio::co_spawn(
      io, [&]() -> boost::asio::awaitable<void> { res.emplace(co_await planner_.Complete(r)); },
      boost::asio::detached);
  io.run();
  ASSERT_TRUE(res.has_value());
  ASSERT_TRUE(res->ok());
  EXPECT_EQ(res->value().tool_calls.size(), 1u);
  EXPECT_EQ(planner_.provider(), "local");
}

TEST_F(PlannerTest, HostileInputIsBounded) {
  std::string big(100000, 'a');
  for (size_t k = 0; k < big.size(); k += 7) big[k] = ' ';
  EXPECT_EQ(Plan(big).finish_reason, "stop");
  std::string junk;
  for (int k = 0; k < 5000; ++k) junk += "$,.-#/'\"():;x9 ";
  EXPECT_EQ(Plan(junk).finish_reason, "stop");
  std::string utf =
      "Créer une facture pour CUST-001 \xE2\x80\x9C\xF0\x9F\x92\xB8\xE2\x80\x9D \xC3\x97\xFF";
  (void)Plan(utf);
}

}  // namespace
}  // namespace billing
