// Automatic collection and dunning through the real binary (docs/collection.md): a subscription
// charged by a billing run (declined, a retry scheduled, past_due; approved on the retry's day by
// a server restarted later, active again), an unpaid invoice dunned by `billing-agent bill` after
// a month (every step due at once, each once; the customer suspended), "Who is in dunning?"
// answered by the agent, and the suspension lifted by the payment. Runs on both backends
// (pg.collection_e2e.*).
#include <gtest/gtest.h>

#include <string>

#include "e2e/server_harness.h"

namespace billing::e2e {
namespace {

using nlohmann::json;

std::string CustomerStatus(ServerProcess& server, const char* id) {
  json c = Tool(server, "get-customer", {{"customerId", id}});
  return c["customer"].value("status", "");
}

TEST(collection_e2e, ChargedRetriedDunnedSuspendedAndReinstated) {
  std::string sub_id, sub_invoice, dunned_invoice;
  std::string db;
  {
    ServerProcess declining({{"BILLING_PAYMENT_MODE", "decline"}},
                            {"--today", "2026-12-06", "--run-interval", "off"});
    ASSERT_TRUE(declining.started()) << declining.Log();
    db = declining.db_path();
    json sub = Tool(declining, "manage-subscriptions",
                    {{"action", "create"},
                     {"customerId", "CUST-002"},
                     {"planId", "Basic"},
                     {"collection", "automatic"}});
    ASSERT_EQ(sub["success"], true) << sub.dump();
    EXPECT_EQ(sub["subscription"]["collection"], "automatic");
    sub_id = sub["subscription"]["id"];
    sub_invoice = sub["invoices"][0]["id"];
    json inv = Tool(declining, "manage-invoices",
                    {{"action", "create"},
                     {"customerId", "CUST-003"},
                     {"items", {{{"description", "Audit"}, {"quantity", 1}, {"unitPrice", 100}}}},
                     {"dueDate", "2026-12-07"}});
    ASSERT_EQ(inv["success"], true) << inv.dump();
    dunned_invoice = inv["invoice"]["id"];

    HttpResult run = declining.PostJson("/api/billing-runs", json::object());
    ASSERT_EQ(run.status, 200) << run.body;
    EXPECT_EQ(run.Json()["collection"]["charges"], 1) << run.body;
    EXPECT_EQ(run.Json()["collection"]["declined"], 1) << run.body;
    EXPECT_EQ(run.Json()["collection"]["retriesScheduled"], 1) << run.body;
    json retry = declining.Get("/api/events?type=payment.retry_scheduled").Json();
    ASSERT_EQ(retry["events"].size(), 1u) << retry.dump();
    EXPECT_EQ(retry["events"][0]["data"]["nextAttemptDate"], "2026-12-07");
    EXPECT_EQ(retry["events"][0]["data"]["invoiceId"], sub_invoice);
    json got =
        Tool(declining, "manage-subscriptions", {{"action", "get"}, {"subscriptionId", sub_id}});
    EXPECT_EQ(got["subscription"]["status"], "past_due") << got.dump();
    json failed =
        Tool(declining, "process-payment", {{"action", "list_failed"}, {"customerId", "CUST-002"}});
    ASSERT_GE(failed["payments"].size(), 1u) << failed.dump();
    EXPECT_EQ(failed["payments"][0]["invoiceId"], sub_invoice) << failed.dump();
    declining.Kill();

    // Restarted on the 8th with a processor that approves: the retry due on the 7th is charged.
    ServerProcess approving({{"BILLING_PAYMENT_MODE", "approve"}},
                            {"--today", "2026-12-08", "--run-interval", "off"}, db);
    ASSERT_TRUE(approving.started()) << approving.Log();
    HttpResult paid = approving.PostJson("/api/billing-runs", json::object());
    ASSERT_EQ(paid.status, 200) << paid.body;
    EXPECT_EQ(paid.Json()["collection"]["charges"], 1) << paid.body;
    EXPECT_EQ(paid.Json()["collection"]["declined"], 0) << paid.body;
    EXPECT_EQ(paid.Json()["dunning"]["invoicesOverdue"], 1) << paid.body;  // CUST-003's
    json sub_inv =
        Tool(approving, "manage-invoices", {{"action", "get"}, {"invoiceId", sub_invoice}});
    EXPECT_EQ(sub_inv["invoice"]["status"], "paid") << sub_inv.dump();
    got = Tool(approving, "manage-subscriptions", {{"action", "get"}, {"subscriptionId", sub_id}});
    EXPECT_EQ(got["subscription"]["status"], "active") << got.dump();
    approving.Kill();

    // A month on, the command's run takes every dunning step due, once, and suspends CUST-003.
    CommandResult bill =
        RunAgentCommand({"bill", "--db", db},
                        {{"BILLING_TODAY", "2027-01-10"}, {"BILLING_PAYMENT_MODE", "approve"}});
    ASSERT_EQ(bill.exit_code, 0) << bill.err;
    json report = json::parse(bill.out);
    EXPECT_EQ(report["dunning"]["steps"], 3) << bill.out;  // the day-1 reminder came on the 8th
    EXPECT_EQ(report["dunning"]["suspended"], 1) << bill.out;
    CommandResult again =
        RunAgentCommand({"bill", "--db", db},
                        {{"BILLING_TODAY", "2027-01-10"}, {"BILLING_PAYMENT_MODE", "approve"}});
    ASSERT_EQ(again.exit_code, 0) << again.err;
    EXPECT_EQ(json::parse(again.out)["dunning"]["steps"], 0) << again.out;

    ServerProcess later({}, {"--today", "2027-01-10", "--run-interval", "off"}, db);
    ASSERT_TRUE(later.started()) << later.Log();
    EXPECT_EQ(CustomerStatus(later, "CUST-003"), "suspended");
    HttpResult asked = later.Ask("Who is in dunning?");
    ASSERT_EQ(asked.status, 200) << asked.body;
    const std::string text = asked.Json().value("text", "");
    EXPECT_NE(text.find("CUST-003"), std::string::npos) << text;
    EXPECT_NE(text.find("suspended by dunning"), std::string::npos) << text;
    json dunning = Tool(later, "manage-subscriptions", {{"action", "dunning"}});
    ASSERT_EQ(dunning["count"], 1) << dunning.dump();
    EXPECT_EQ(dunning["customers"][0]["invoiceId"], dunned_invoice);
    EXPECT_EQ(dunning["customers"][0]["steps"].size(), 4u) << dunning.dump();

    json pay = Tool(later, "process-payment",
                    {{"action", "process"},
                     {"customerId", "CUST-003"},
                     {"invoiceId", dunned_invoice},
                     {"amount", "108.00"},
                     {"paymentMethod", "bank_transfer"}});
    ASSERT_EQ(pay["success"], true) << pay.dump();
    EXPECT_EQ(CustomerStatus(later, "CUST-003"), "active");
    json reinstated = later.Get("/api/events?type=customer.reinstated").Json();
    EXPECT_EQ(reinstated["events"].size(), 1u) << reinstated.dump();
    EXPECT_EQ(Tool(later, "manage-subscriptions", {{"action", "dunning"}})["count"], 0);
    CommandResult verify = RunAgentCommand({"audit", "verify", "--db", db});
    EXPECT_EQ(verify.exit_code, 0) << verify.out << verify.err;
  }
}

}  // namespace
}  // namespace billing::e2e
