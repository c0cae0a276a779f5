// Subscriptions and billing runs through the real binary (docs/subscriptions.md): a subscription
// made through the tool route is invoiced at once, later periods are billed by
// `POST /api/billing-runs`, by `billing-agent bill` and by the server's own timer at start
// (catch-up after downtime), each exactly once; runs ahead of today are refused; the scopes guard
// changes and runs. Runs on both backends (pg.subscriptions_e2e.*).
#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <set>
#include <string>
#include <thread>

#include "e2e/server_harness.h"

namespace billing::e2e {
namespace {

using nlohmann::json;

std::set<std::string> InvoiceIdsOf(ServerProcess& server, const std::string& customer) {
  json list = Tool(server, "manage-invoices", {{"action", "list"}, {"customerId", customer}});
  std::set<std::string> ids;
  for (const json& inv : list["invoices"]) ids.insert(inv["id"].get<std::string>());
  return ids;
}

TEST(subscriptions_e2e, EachPeriodIsBilledOnceByTheApiTheCommandAndTheTimer) {
  ServerProcess first({}, {"--today", "2026-12-04", "--run-interval", "off"});
  ASSERT_TRUE(first.started()) << first.Log();
  json created =
      Tool(first, "manage-subscriptions",
           {{"action", "create"}, {"customerId", "CUST-002"}, {"planId", "Premium Plan"}});
  ASSERT_EQ(created["success"], true) << created.dump();
  EXPECT_EQ(created["subscription"]["id"], "SUB-001");
  EXPECT_EQ(created["invoices"][0]["id"], "INV-2026-001");
  EXPECT_EQ(created["invoices"][0]["totalCents"], 21492);

  const size_t events_before = first.Get("/api/events").Json()["events"].size();
  HttpResult none = first.PostJson("/api/billing-runs", json::object());
  ASSERT_EQ(none.status, 200) << none.body;
  EXPECT_EQ(none.Json()["periodsBilled"], 0);
  HttpResult ahead = first.PostJson("/api/billing-runs", {{"asOf", "2027-01-04"}});
  EXPECT_EQ(ahead.status, 400) << ahead.body;
  EXPECT_EQ(ahead.Json()["field"], "asOf");
  HttpResult bad = first.PostJson("/api/billing-runs", {{"asOf", "2027-1-4"}, {"extra", 1}});
  EXPECT_EQ(bad.status, 400) << bad.body;
  EXPECT_EQ(first.Get("/api/billing-runs").status, 405);
  HttpResult not_json = first.Request("POST", "/api/billing-runs",
                                      "{\"asOf\":", {{"Content-Type", "application/json"}});
  EXPECT_EQ(not_json.status, 400) << not_json.body;
  // None of these changed anything: no event, and no invoice but the first.
  EXPECT_EQ(first.Get("/api/events").Json()["events"].size(), events_before);
  EXPECT_EQ(InvoiceIdsOf(first, "CUST-002"),
            (std::set<std::string>{"INV-2025-002", "INV-2026-001"}));

  // Two months later: the command bills the two periods that started, once. (Dunning off: the
  // first invoice, unpaid, is by then long overdue, and a suspension would skip March's period;
  // collection_test.cc tests dunning.)
  CommandResult bill =
      RunAgentCommand({"bill", "--db", first.db_path()},
                      {{"BILLING_TODAY", "2027-02-10"}, {"BILLING_DUNNING", "off"}});
  ASSERT_EQ(bill.exit_code, 0) << bill.err;
  json report = json::parse(bill.out);
  EXPECT_EQ(report["periodsBilled"], 2) << bill.out;
  EXPECT_EQ(report["complete"], true);
  CommandResult again =
      RunAgentCommand({"bill", "--db", first.db_path(), "--as-of", "2027-02-10"},
                      {{"BILLING_TODAY", "2027-02-10"}, {"BILLING_DUNNING", "off"}});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(json::parse(again.out)["periodsBilled"], 0) << again.out;
  EXPECT_EQ(RunAgentCommand({"bill", "--db", first.db_path(), "--as-of", "soon"}).exit_code, 2);

  // Another instance starts on 2027-03-05: its timer's first run catches up the March period.
  ServerProcess later({}, {"--today", "2027-03-05", "--run-interval", "1h", "--dunning", "off"},
                      first.db_path());
  ASSERT_TRUE(later.started()) << later.Log();
  std::set<std::string> ids;
  for (int k = 0; k < 200 && ids.size() < 4; ++k) {
    ids = InvoiceIdsOf(later, "CUST-002");
    ids.erase("INV-2025-002");  // the sample invoice
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_EQ(
      ids, (std::set<std::string>{"INV-2026-001", "INV-2027-001", "INV-2027-002", "INV-2027-003"}));
  json sub =
      Tool(later, "manage-subscriptions", {{"action", "get"}, {"subscriptionId", "sub-001"}});
  EXPECT_EQ(sub["subscription"]["currentPeriodStart"], "2027-03-04") << sub.dump();
  EXPECT_EQ(sub["subscription"]["renewsOn"], "2027-04-04");
  json renewed = later.Get("/api/events?type=subscription.renewed").Json();
  EXPECT_EQ(renewed["events"].size(), 3u) << renewed.dump();

  // The invoices of the periods: one line each, issued on the period start.
  json march = Tool(later, "manage-invoices", {{"action", "get"}, {"invoiceId", "INV-2027-003"}});
  EXPECT_EQ(march["invoice"]["items"][0]["description"], "Premium Plan (2027-03-04 to 2027-04-04)");
  EXPECT_EQ(march["invoice"]["issueDate"], "2027-03-04");
  EXPECT_EQ(march["invoice"]["dueDate"], "2027-04-03");
  CommandResult verify = RunAgentCommand({"audit", "verify", "--db", first.db_path()});
  EXPECT_EQ(verify.exit_code, 0) << verify.out << verify.err;
}

TEST(subscriptions_e2e, ScopesGuardSubscriptionChangesAndRuns) {
  ServerProcess server({{"BILLING_AUTH", "on"}}, {"--run-interval", "off"});
  ASSERT_TRUE(server.started()) << server.Log();
  auto create_key = [&](const std::string& scopes) { return BearerForNewKey(server, scopes); };
  const std::string reader = create_key("read");
  const std::string manager = create_key("read,subscriptions");
  int status = 0;
  json denied = Tool(server, "manage-subscriptions",
                     {{"action", "create"}, {"customerId", "CUST-001"}, {"planId", "Basic"}},
                     {{"Authorization", reader}}, &status);
  EXPECT_EQ(status, 403) << denied.dump();
  EXPECT_EQ(denied["error"],
            "This caller lacks the 'subscriptions' scope needed to create subscriptions");
  EXPECT_EQ(
      server.PostJson("/api/billing-runs", json::object(), {{"Authorization", reader}}).status,
      403);
  json plans = Tool(server, "manage-subscriptions", {{"action", "list_plans"}},
                    {{"Authorization", reader}}, &status);
  EXPECT_EQ(status, 200) << plans.dump();
  EXPECT_EQ(plans["count"], 3);

  json created = Tool(server, "manage-subscriptions",
                      {{"action", "create"}, {"customerId", "CUST-001"}, {"planId", "Basic"}},
                      {{"Authorization", manager}}, &status);
  ASSERT_EQ(status, 200) << created.dump();
  EXPECT_EQ(created["success"], true) << created.dump();
  HttpResult run =
      server.PostJson("/api/billing-runs", json::object(), {{"Authorization", manager}});
  EXPECT_EQ(run.status, 200) << run.body;
  // The actor of the change is the key, in the audit log and on the invoice.
  json inv = Tool(server, "manage-invoices",
                  {{"action", "get"}, {"invoiceId", created["invoices"][0]["id"]}},
                  {{"Authorization", manager}});
  EXPECT_EQ(inv["invoice"]["createdBy"].get<std::string>().rfind("key:bk_", 0), 0u) << inv.dump();
}

// BILLING_DRAFT_HOURS through the binary: the server holds the first period's invoice as a draft,
// and a later `billing-agent bill` (the grace period long over) finalizes it once.
TEST(subscriptions_e2e, ADraftGracePeriodHoldsTheInvoiceUntilARunFinalizesIt) {
  ServerProcess server({},
                       {"--today", "2026-12-04", "--run-interval", "off", "--draft-hours", "1"});
  ASSERT_TRUE(server.started()) << server.Log();
  json created =
      Tool(server, "manage-subscriptions",
           {{"action", "create"}, {"customerId", "CUST-002"}, {"planId", "Premium Plan"}});
  ASSERT_EQ(created["success"], true) << created.dump();
  const std::string draft = created["invoices"][0]["id"];
  EXPECT_EQ(draft.rfind("draft_", 0), 0u) << created.dump();
  EXPECT_EQ(created["invoices"][0]["status"], "draft");
  EXPECT_NE(created["message"].get<std::string>().find("a draft for 1 hour"), std::string::npos)
      << created["message"];
  EXPECT_EQ(InvoiceIdsOf(server, "CUST-002"), (std::set<std::string>{"INV-2025-002"}));

  const std::map<std::string, std::string> env = {
      {"BILLING_TODAY", "2026-12-05"}, {"BILLING_DUNNING", "off"}, {"BILLING_DRAFT_HOURS", "1"}};
  CommandResult bill = RunAgentCommand({"bill", "--db", server.db_path()}, env);
  ASSERT_EQ(bill.exit_code, 0) << bill.err;
  json report = json::parse(bill.out);
  EXPECT_EQ(report["drafts"]["finalized"], 1) << bill.out;
  EXPECT_EQ(InvoiceIdsOf(server, "CUST-002"),
            (std::set<std::string>{"INV-2025-002", "INV-2026-001"}));
  CommandResult again = RunAgentCommand({"bill", "--db", server.db_path()}, env);
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(json::parse(again.out)["drafts"]["finalized"], 0) << again.out;

  CommandResult bad =
      RunAgentCommand({"bill", "--db", server.db_path()},
                      {{"BILLING_TODAY", "2026-12-05"}, {"BILLING_DRAFT_HOURS", "1h"}});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("BILLING_DRAFT_HOURS"), std::string::npos) << bad.err;
}

}  // namespace
}  // namespace billing::e2e
