// Customer management through the real binary (docs/customers.md): the manage-customers tool
// over HTTP with the customers scope (a read key is refused), the agent adding a customer from a
// chat message, the new customer's first invoice, suspension and reinstatement, the events, and
// the audit chain afterwards. Runs on both backends (pg.customers_e2e.*).
#include <gtest/gtest.h>

#include <string>

#include "e2e/server_harness.h"

namespace billing::e2e {
namespace {

using nlohmann::json;

TEST(customers_e2e, CustomersAreAddedChangedSuspendedAndReinstated) {
  ServerProcess server({{"BILLING_AUTH", "on"}},
                       {"--today", "2026-12-06", "--run-interval", "off"});
  ASSERT_TRUE(server.started()) << server.Log();
  const std::string reader = BearerForNewKey(server, "read,events");
  const std::string manager = BearerForNewKey(server, "read,customers,invoice");
  int status = 0;
  json denied = Tool(server, "manage-customers",
                     {{"action", "create"}, {"company", "Nope Ltd"}, {"email", "a@nope.example"}},
                     {{"Authorization", reader}}, &status);
  EXPECT_EQ(status, 403) << denied.dump();

  // The agent, from the issue's own sentence.
  HttpResult chat = server.PostJson(
      "/api/agents/billingApiAgent/generate",
      {{"messages", json::array({{{"role", "user"},
                                  {"content",
                                   "Add a customer Acme GmbH, billing@acme.example, monthly, "
                                   "paying by bank transfer, in EUR"}}})}},
      {{"Authorization", manager}});
  ASSERT_EQ(chat.status, 200) << chat.body;
  const std::string text = chat.Json()["text"];
  EXPECT_NE(text.find("CUST-007"), std::string::npos) << text;
  EXPECT_NE(text.find("Acme GmbH"), std::string::npos) << text;

  json acme =
      Tool(server, "get-customer", {{"customerId", "CUST-007"}}, {{"Authorization", reader}});
  ASSERT_EQ(acme["success"], true) << acme.dump();
  EXPECT_EQ(acme["customer"]["currency"], "EUR");
  EXPECT_EQ(acme["customer"]["paymentMethod"], "bank_transfer");
  EXPECT_EQ(acme["customer"]["email"], "billing@acme.example");

  // A bad value names its field; nothing changes.
  json bad = Tool(server, "manage-customers",
                  {{"action", "update"}, {"customerId", "CUST-007"}, {"email", "acme"}},
                  {{"Authorization", manager}});
  EXPECT_EQ(bad["success"], false);
  EXPECT_EQ(bad["field"], "email") << bad.dump();

  json updated = Tool(server, "manage-customers",
                      {{"action", "update"},
                       {"customerId", "cust-007"},
                       {"contactName", "Greta Berg"},
                       {"locale", "de"},
                       {"taxRate", "19%"}},
                      {{"Authorization", manager}});
  ASSERT_EQ(updated["success"], true) << updated.dump();
  EXPECT_EQ(updated["changed"], json({"contactName", "locale", "taxRate"}));

  // Its first invoice is in euros with its own tax rate.
  json inv = Tool(server, "manage-invoices",
                  {{"action", "create"},
                   {"customerId", "CUST-007"},
                   {"amount", "100.00"},
                   {"dueDate", "2027-01-05"}},
                  {{"Authorization", manager}});
  ASSERT_EQ(inv["success"], true) << inv.dump();
  EXPECT_EQ(inv["invoice"]["taxCents"], 1900);
  EXPECT_EQ(inv["invoice"]["total"], "EUR 119.00");
  // Now it has an invoice, its currency is fixed.
  json currency = Tool(server, "manage-customers",
                       {{"action", "update"}, {"customerId", "CUST-007"}, {"currency", "USD"}},
                       {{"Authorization", manager}});
  EXPECT_EQ(currency["field"], "currency") << currency.dump();

  json suspended =
      Tool(server, "manage-customers", {{"action", "suspend"}, {"customerId", "CUST-007"}},
           {{"Authorization", manager}});
  ASSERT_EQ(suspended["success"], true) << suspended.dump();
  json refused = Tool(server, "manage-invoices",
                      {{"action", "create"},
                       {"customerId", "CUST-007"},
                       {"amount", "10.00"},
                       {"dueDate", "2027-01-05"}},
                      {{"Authorization", manager}});
  EXPECT_EQ(refused["success"], false) << refused.dump();
  json reinstated =
      Tool(server, "manage-customers", {{"action", "reinstate"}, {"customerId", "CUST-007"}},
           {{"Authorization", manager}});
  ASSERT_EQ(reinstated["success"], true) << reinstated.dump();

  json events = server.Get("/api/events?limit=100", {{"Authorization", reader}}).Json();
  std::string types;
  for (const json& e : events["events"]) {
    if (e["type"].get<std::string>().rfind("customer.", 0) == 0) {
      types += e["type"].get<std::string>() + " ";
    }
  }
  EXPECT_EQ(types, "customer.created customer.updated customer.suspended customer.reinstated ")
      << events.dump();
  CommandResult verify = RunAgentCommand({"audit", "verify", "--db", server.db_path()});
  EXPECT_EQ(verify.exit_code, 0) << verify.out << verify.err;
}

// The CLI on the server's database: what it creates the running server shows at once, a bad value
// is exit 1 naming the field, a usage error exit 2, and the audit log names the actor `cli`.
TEST(customers_e2e, TheCliManagesCustomersOnTheServersDatabase) {
  ServerProcess server({}, {"--today", "2026-12-06", "--run-interval", "off"});
  ASSERT_TRUE(server.started()) << server.Log();
  CommandResult created =
      RunAgentCommand({"customers", "create", "--company", "Nordlicht AG", "--email",
                       "ap@nordlicht.example", "--currency", "EUR", "--locale", "de", "--tax-rate",
                       "19%", "--payment-terms-days", "14", "--db", server.db_path()});
  ASSERT_EQ(created.exit_code, 0) << created.out << created.err;
  const json out = json::parse(created.out);
  EXPECT_EQ(out["customer"]["id"], "CUST-007") << created.out;
  json seen = Tool(server, "get-customer", {{"customerId", "CUST-007"}});
  EXPECT_EQ(seen["customer"]["company"], "Nordlicht AG") << seen.dump();
  EXPECT_EQ(seen["customer"]["paymentTermsDays"], 14);

  CommandResult bad = RunAgentCommand(
      {"customers", "update", "CUST-007", "--email", "acme", "--db", server.db_path()});
  EXPECT_EQ(bad.exit_code, 1) << bad.out << bad.err;
  EXPECT_NE(bad.out.find("\"field\": \"email\""), std::string::npos) << bad.out;
  CommandResult usage = RunAgentCommand({"customers", "suspend", "--db", server.db_path()});
  EXPECT_EQ(usage.exit_code, 2) << usage.out << usage.err;
  CommandResult unknown = RunAgentCommand(
      {"customers", "create", "--company", "X", "--tier", "gold", "--db", server.db_path()});
  EXPECT_EQ(unknown.exit_code, 2) << unknown.out << unknown.err;

  // Bytes that are not UTF-8 become U+FFFD, never a crash.
  CommandResult bytes = RunAgentCommand(
      {"customers", "update", "CUST-007", "--contact", "J\xff\xfe Doe", "--db", server.db_path()});
  EXPECT_EQ(bytes.exit_code, 0) << bytes.out << bytes.err;
  EXPECT_NE(bytes.out.find("J\xef\xbf\xbd\xef\xbf\xbd Doe"), std::string::npos) << bytes.out;
  CommandResult suspended =
      RunAgentCommand({"customers", "suspend", "cust-007", "--db", server.db_path()});
  ASSERT_EQ(suspended.exit_code, 0) << suspended.out << suspended.err;
  EXPECT_EQ(Tool(server, "get-customer", {{"customerId", "CUST-007"}})["customer"]["status"],
            "suspended");
  CommandResult shown =
      RunAgentCommand({"customers", "show", "CUST-007", "--db", server.db_path()});
  ASSERT_EQ(shown.exit_code, 0) << shown.out << shown.err;
  EXPECT_NE(shown.out.find("Nordlicht AG"), std::string::npos) << shown.out;
  json audit = server.Get("/api/audit?limit=10").Json();
  EXPECT_NE(audit.dump().find("\"actor\":\"cli\""), std::string::npos) << audit.dump();
  CommandResult verify = RunAgentCommand({"audit", "verify", "--db", server.db_path()});
  EXPECT_EQ(verify.exit_code, 0) << verify.out << verify.err;
}

}  // namespace
}  // namespace billing::e2e
