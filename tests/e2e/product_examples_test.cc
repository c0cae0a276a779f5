// Every curl example of product.md (Quickstart and Testing Scenarios) against the real binary with
// the local planner, checking the tool that ran, its result, and that the answer's figures come
// from that result.
#include <gtest/gtest.h>

#include "e2e/server_harness.h"

namespace billing::e2e {
namespace {

using nlohmann::json;

// The first tool result of a generate response (flat and payload shapes must agree).
json FirstResult(const json& r) {
  EXPECT_TRUE(r.contains("toolResults")) << r.dump();
  if (!r.contains("toolResults") || r["toolResults"].empty()) return json();
  const json& tr = r["toolResults"][0];
  EXPECT_EQ(tr["result"], tr["payload"]["result"]);
  EXPECT_EQ(tr["toolName"], tr["payload"]["toolName"]);
  return tr["result"];
}

std::string FirstToolName(const json& r) {
  if (!r.contains("toolCalls") || r["toolCalls"].empty()) return "";
  return r["toolCalls"][0]["payload"]["toolName"].get<std::string>();
}

bool Contains(const json& r, const std::string& needle) {
  return r.value("text", "").find(needle) != std::string::npos;
}

class ProductExamples : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(server_.started()) << server_.Log(); }
  json Ask(const std::string& prompt) {
    HttpResult res = server_.Ask(prompt);
    EXPECT_EQ(res.status, 200) << prompt << "\n" << res.body;
    json j = res.Json();
    EXPECT_TRUE(j.is_object()) << res.body;
    EXPECT_FALSE(j.value("text", "").empty()) << prompt << "\n" << res.body;
    return j;
  }
  json Tool(const std::string& id, const json& data) {
    HttpResult res = server_.PostJson("/api/tools/" + id + "/execute", {{"data", data}});
    EXPECT_EQ(res.status, 200) << res.body;
    return res.Json();
  }
  int64_t BalanceCents(const std::string& customer) {
    return Tool("get-customer", {{"customerId", customer}})["customer"]["outstandingBalanceCents"].get<int64_t>();
  }
  // The sample data's invoices (billing-rules.md's three, the EUR and the JPY customer's).
  static constexpr int kSampleInvoices = 5;
  int InvoiceCount() { return Tool("manage-invoices", {{"action", "list"}})["count"].get<int>(); }

  ServerProcess server_;
};

TEST_F(ProductExamples, QuickstartInOrder) {
  // 1. Customer details.
  json r = Ask("Show me billing details for customer CUST-001");
  EXPECT_EQ(FirstToolName(r), "getCustomerTool");
  json res = FirstResult(r);
  EXPECT_EQ(res["customer"]["outstandingBalance"], "$2,450.00");
  EXPECT_TRUE(Contains(r, "$2,450.00")) << r["text"];
  EXPECT_TRUE(Contains(r, "TechCorp Inc.")) << r["text"];
  EXPECT_EQ(r["finishReason"], "stop");

  // 2. Create an invoice with a due date now in the past: refused, nothing created.
  r = Ask("Create an invoice for customer CUST-002 for $1500 due 2025-11-15 for Monthly subscription services");
  EXPECT_TRUE(Contains(r, "future")) << r["text"];
  EXPECT_EQ(InvoiceCount(), kSampleInvoices);
  EXPECT_EQ(BalanceCents("CUST-002"), 0);
  // ... and with a future date it is created with 8% tax.
  r = Ask("Create an invoice for customer CUST-002 for $1500 due 2026-12-15 for Monthly subscription services");
  EXPECT_EQ(FirstToolName(r), "manageInvoicesTool");
  res = FirstResult(r);
  ASSERT_EQ(res["success"], true) << res.dump();
  EXPECT_EQ(res["invoice"]["id"], "INV-2026-001");
  EXPECT_EQ(res["invoice"]["total"], "$1,620.00");
  EXPECT_EQ(res["invoice"]["items"][0]["description"], "Monthly subscription services");
  EXPECT_TRUE(Contains(r, "INV-2026-001")) << r["text"];
  EXPECT_TRUE(Contains(r, "$1,620.00")) << r["text"];

  // 3. Overdue invoices.
  r = Ask("Show me all overdue invoices");
  res = FirstResult(r);
  EXPECT_EQ(res["count"], 2);
  EXPECT_TRUE(Contains(r, "INV-2025-001") && Contains(r, "INV-2025-003")) << r["text"];
  EXPECT_TRUE(Contains(r, "406")) << r["text"];  // days overdue of INV-2025-001

  // 4. Payment.
  r = Ask("Process a $750 credit card payment for customer CUST-003");
  EXPECT_EQ(FirstToolName(r), "processPaymentTool");
  res = FirstResult(r);
  ASSERT_EQ(res["success"], true) << res.dump();
  EXPECT_EQ(res["payment"]["method"], "credit_card");
  EXPECT_EQ(res["payment"]["amount"], "$750.00");
  EXPECT_EQ(res["newBalance"], "$125.50");
  EXPECT_TRUE(Contains(r, "$125.50")) << r["text"];
  EXPECT_TRUE(Contains(r, res["payment"]["transactionId"].get<std::string>())) << r["text"];

  // 5. Mark paid. INV-001 now matches INV-2025-001 and INV-2026-001: the agent lists both and
  // changes nothing; with the full id it records the payment.
  r = Ask("Mark invoice INV-001 as paid with bank transfer");
  res = FirstResult(r);
  EXPECT_EQ(res["code"], "AMBIGUOUS") << res.dump();
  EXPECT_TRUE(Contains(r, "INV-2025-001") && Contains(r, "INV-2026-001")) << r["text"];
  EXPECT_EQ(BalanceCents("CUST-001"), 245000);
  r = Ask("Mark invoice INV-2025-001 as paid with bank transfer");
  res = FirstResult(r);
  ASSERT_EQ(res["success"], true) << res.dump();
  EXPECT_EQ(res["invoice"]["id"], "INV-2025-001");
  EXPECT_EQ(res["invoice"]["status"], "paid");
  EXPECT_EQ(res["payment"]["method"], "bank_transfer");
  EXPECT_EQ(BalanceCents("CUST-001"), 0);

  // 6. Payment history.
  r = Ask("Show payment history for customer CUST-001");
  res = FirstResult(r);
  EXPECT_EQ(res["count"], 2);  // the seeded failed payment and the mark-paid payment
  EXPECT_TRUE(Contains(r, res["payments"][0]["id"].get<std::string>())) << r["text"];

  // 7. Customers with outstanding balances: CUST-002 (new invoice), -003, -004.
  r = Ask("List all customers with outstanding balances");
  res = FirstResult(r);
  EXPECT_EQ(res["count"], 3);
  EXPECT_TRUE(Contains(r, res["totalOutstanding"].get<std::string>())) << r["text"];

  // 8. Refund.
  r = Ask("Process a refund for payment PAY-001");
  res = FirstResult(r);
  ASSERT_EQ(res["success"], true) << res.dump();
  EXPECT_EQ(res["refund"]["amount"], "$750.00");
  EXPECT_TRUE(Contains(r, "$750.00")) << r["text"];
  EXPECT_EQ(BalanceCents("CUST-002"), 162000 + 75000);
}

TEST_F(ProductExamples, MarkPaidByShortIdOnAFreshDatabase) {
  json r = Ask("Mark invoice INV-001 as paid with bank transfer");
  json res = FirstResult(r);
  ASSERT_EQ(res["success"], true) << res.dump();
  EXPECT_EQ(res["invoice"]["id"], "INV-2025-001");
  EXPECT_EQ(res["payment"]["amount"], "$2,450.00");
  EXPECT_TRUE(Contains(r, "INV-2025-001")) << r["text"];
  EXPECT_EQ(BalanceCents("CUST-001"), 0);
}

TEST_F(ProductExamples, BillingStatusOfACustomer) {
  json r = Ask("What is the billing status of customer CUST-001?");
  EXPECT_EQ(FirstResult(r)["customer"]["id"], "CUST-001");
  EXPECT_TRUE(Contains(r, "overdue")) << r["text"];
}

TEST_F(ProductExamples, QuarterlyCustomers) {
  json r = Ask("Show all customers with quarterly billing cycles");
  json res = FirstResult(r);
  EXPECT_EQ(res["count"], 2);  // StartupHub (USD) and Sakura Trading (JPY)
  EXPECT_EQ(res["customers"][0]["id"], "CUST-002");
  EXPECT_TRUE(Contains(r, "StartupHub LLC")) << r["text"];
  EXPECT_TRUE(Contains(r, "JPY 0")) << r["text"];  // outstanding per currency, never summed
}

TEST_F(ProductExamples, LineItemInvoiceWithPastDueDateIsRefused) {
  json r = Ask("Create an invoice for CUST-001 with Premium Plan ($199), Setup Fee ($50), and 2 Additional "
               "Storage units at $25 each, due 2025-12-01");
  EXPECT_TRUE(Contains(r, "future")) << r["text"];
  EXPECT_EQ(InvoiceCount(), kSampleInvoices);
  // The same request with a future date: three lines, quantity 2 on the last.
  r = Ask("Create an invoice for CUST-001 with Premium Plan ($199), Setup Fee ($50), and 2 Additional "
          "Storage units at $25 each, due 2026-12-01");
  json res = FirstResult(r);
  ASSERT_EQ(res["success"], true) << res.dump();
  ASSERT_EQ(res["invoice"]["items"].size(), 3u);
  EXPECT_EQ(res["invoice"]["items"][2]["quantity"], 2);
  EXPECT_EQ(res["invoice"]["items"][2]["amount"], "$50.00");
  EXPECT_EQ(res["invoice"]["subtotal"], "$299.00");
  EXPECT_EQ(res["invoice"]["tax"], "$23.92");
  EXPECT_EQ(res["invoice"]["total"], "$322.92");
  EXPECT_TRUE(Contains(r, "$322.92")) << r["text"];
}

TEST_F(ProductExamples, InvoiceDetailsByShortId) {
  json r = Ask("Show me details for invoice INV-001");
  json res = FirstResult(r);
  EXPECT_EQ(res["invoice"]["id"], "INV-2025-001");
  EXPECT_TRUE(Contains(r, "INV-2025-001")) << r["text"];
  EXPECT_TRUE(Contains(r, "$2,450.00")) << r["text"];
}

TEST_F(ProductExamples, PaymentForASpecificInvoice) {
  json r = Ask("Process a $2450 credit card payment for customer CUST-001 for invoice INV-001");
  json res = FirstResult(r);
  ASSERT_EQ(res["success"], true) << res.dump();
  EXPECT_EQ(res["payment"]["invoiceId"], "INV-2025-001");
  EXPECT_EQ(res["newBalance"], "$0.00");
  json inv = Tool("manage-invoices", {{"action", "get"}, {"invoiceId", "INV-2025-001"}});
  EXPECT_EQ(inv["invoice"]["status"], "paid");
}

TEST_F(ProductExamples, FailedPayments) {
  json r = Ask("Show me all failed payments");
  json res = FirstResult(r);
  EXPECT_EQ(res["count"], 3);
  EXPECT_TRUE(Contains(r, "PAY-002") && Contains(r, "PAY-003") && Contains(r, "PAY-004")) << r["text"];
}

TEST_F(ProductExamples, InvoiceForUnknownCustomerAsksOrReports) {
  json r = Ask("Create an invoice for customer CUST-999");
  EXPECT_EQ(InvoiceCount(), kSampleInvoices);
  const std::string text = r["text"];
  EXPECT_TRUE(text.find("amount") != std::string::npos || text.find("not found") != std::string::npos) << text;
}

TEST_F(ProductExamples, PaymentForUnknownCustomerAsksOrReports) {
  json r = Ask("Process payment for customer CUST-999");
  const std::string text = r["text"];
  EXPECT_TRUE(text.find("amount") != std::string::npos || text.find("not found") != std::string::npos) << text;
  json failed = Tool("process-payment", {{"action", "list_failed"}});
  EXPECT_EQ(failed["count"], 3);
  json unknown = Tool("process-payment", {{"action", "process"}, {"customerId", "CUST-999"}, {"amount", 10}});
  EXPECT_EQ(unknown["message"], "Customer CUST-999 not found");
}

TEST_F(ProductExamples, SuspendedCustomerCannotBeInvoiced) {
  json r = Ask("Create an invoice for customer CUST-004 for $100 due 2026-12-31 for Consulting");
  json res = FirstResult(r);
  EXPECT_EQ(res["error"], true);
  EXPECT_TRUE(Contains(r, "suspended")) << r["text"];
  EXPECT_EQ(InvoiceCount(), kSampleInvoices);
}

TEST_F(ProductExamples, RefundOfAFailedPaymentIsRefused) {
  json r = Ask("Process a refund for payment PAY-003");
  json res = FirstResult(r);
  EXPECT_EQ(res["error"], true);
  EXPECT_TRUE(Contains(r, "PAY-003")) << r["text"];
  EXPECT_EQ(BalanceCents("CUST-003"), 87550);
}

}  // namespace
}  // namespace billing::e2e
