// Events end to end (docs/events.md): the real binary makes changes over HTTP and lists their
// events at GET /api/events, with the request id that made each, in commit order; the route needs
// the `read` scope. Runs on SQLite and, as pg.events_e2e.*, on PostgreSQL.
#include <gtest/gtest.h>

#include "e2e/server_harness.h"

namespace billing::e2e {
namespace {

using nlohmann::json;

TEST(events_e2e, ChangesOverHttpAreListedWithTheirRequestIdsInCommitOrder) {
  ServerProcess server(std::map<std::string, std::string>{{"BILLING_PAYMENT_MODE", "approve"}});
  ASSERT_TRUE(server.started()) << server.Log();
  HttpResult invoice = server.PostJson(
      "/api/tools/manage-invoices/execute",
      {{"data",
        {{"action", "create"},
         {"customerId", "CUST-002"},
         {"items", {{{"description", "Setup"}, {"quantity", 1}, {"unitPrice", "100.00"}}}},
         {"dueDate", "2027-01-31"}}}},
      {{"X-Request-Id", "req-events-1"}});
  ASSERT_EQ(invoice.status, 200) << invoice.body;
  HttpResult pay = server.PostJson(
      "/api/tools/process-payment/execute",
      {{"data", {{"action", "process"}, {"customerId", "CUST-003"}, {"amount", "25.00"}}}},
      {{"X-Request-Id", "req-events-2"}, {"Idempotency-Key", "pay-events-2"}});
  ASSERT_EQ(pay.status, 200) << pay.body;

  HttpResult listed = server.Get("/api/events");
  ASSERT_EQ(listed.status, 200) << listed.body;
  const json events = listed.Json()["events"];
  ASSERT_EQ(events.size(), 3u) << listed.body;
  EXPECT_EQ(events[0]["type"], "invoice.created");
  EXPECT_EQ(events[1]["type"], "invoice.finalized");
  EXPECT_EQ(events[0]["requestId"], "req-events-1");
  EXPECT_EQ(events[0]["data"]["customerId"], "CUST-002");
  EXPECT_EQ(events[2]["type"], "payment.succeeded");
  EXPECT_EQ(events[2]["requestId"], "req-events-2");
  EXPECT_EQ(events[2]["idempotencyKey"], "pay-events-2");
  EXPECT_TRUE(events[0]["idempotencyKey"].is_null());
  EXPECT_EQ(events[2]["data"]["amountCents"], 2500);
  EXPECT_EQ(listed.Json()["hasMore"], false);

  // A consumer that kept the last id it saw gets only what committed since.
  const std::string last = events[2]["id"];
  ASSERT_EQ(
      server
          .PostJson(
              "/api/tools/process-payment/execute",
              {{"data", {{"action", "process"}, {"customerId", "CUST-003"}, {"amount", "5.00"}}}})
          .status,
      200);
  HttpResult since = server.Get("/api/events?after=" + last);
  ASSERT_EQ(since.status, 200) << since.body;
  ASSERT_EQ(since.Json()["events"].size(), 1u);
  EXPECT_EQ(since.Json()["events"][0]["data"]["amountCents"], 500);
  HttpResult typed = server.Get("/api/events?type=invoice.finalized");
  EXPECT_EQ(typed.Json()["events"].size(), 1u);
  HttpResult bad = server.Get("/api/events?type=invoice.exploded");
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(bad.Json()["field"], "type");

  // A poller starts at the newest event, whatever the log's length, and reads on from there.
  HttpResult newest = server.Get("/api/events?order=newest&limit=1");
  ASSERT_EQ(newest.status, 200) << newest.body;
  ASSERT_EQ(newest.Json()["events"].size(), 1u);
  EXPECT_EQ(newest.Json()["events"][0]["data"]["amountCents"], 500);
  const std::string start = newest.Json()["nextAfter"];
  EXPECT_EQ(start, newest.Json()["events"][0]["id"]);
  HttpResult two = server.Get("/api/events?order=newest&limit=2");
  ASSERT_EQ(two.Json()["events"].size(), 2u);
  EXPECT_EQ(two.Json()["events"][0]["id"], start);
  EXPECT_EQ(two.Json()["events"][1]["id"], last);
  EXPECT_EQ(two.Json()["nextAfter"], start);
  EXPECT_EQ(two.Json()["hasMore"], false);
  EXPECT_EQ(server.Get("/api/events?after=" + start).Json()["events"].size(), 0u);
  EXPECT_EQ(server.Get("/api/events?order=newest&after=" + last).Json()["field"], "order");
  EXPECT_EQ(server.Get("/api/events?order=sideways").status, 400);
}

TEST(events_e2e, TheListNeedsTheReadAndEventsScopes) {
  ServerProcess server(std::map<std::string, std::string>{{"BILLING_AUTH", "on"}});
  ASSERT_TRUE(server.started()) << server.Log();
  auto create_key = [&](const std::string& scopes) {
    CommandResult r =
        RunAgentCommand({"keys", "create", "--db", server.db_path(), "--scopes", scopes});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r.out.substr(0, r.out.find('\n'));
  };
  const std::string payer = create_key("payment");
  const std::string reader = create_key("read");
  const std::string events_only = create_key("events");
  const std::string consumer = create_key("read,events");
  EXPECT_EQ(server.Get("/api/events").status, 401);
  for (const char* path : {"/api/events", "/api/v1/events"}) {
    SCOPED_TRACE(path);
    EXPECT_EQ(server.Get(path, {{"Authorization", "Bearer " + payer}}).status, 403);
    // The ledger's reads are not the event stream: `read` alone is refused, naming the scope.
    HttpResult ledger_reader = server.Get(path, {{"Authorization", "Bearer " + reader}});
    EXPECT_EQ(ledger_reader.status, 403) << ledger_reader.body;
    EXPECT_NE(ledger_reader.body.find("events"), std::string::npos) << ledger_reader.body;
    EXPECT_EQ(server.Get(path, {{"Authorization", "Bearer " + events_only}}).status, 403);
  }
  HttpResult ok = server.Get("/api/events", {{"Authorization", "Bearer " + consumer}});
  EXPECT_EQ(ok.status, 200) << ok.body;
  EXPECT_TRUE(ok.Json()["events"].is_array());
  HttpResult v1 = server.Get("/api/v1/events", {{"Authorization", "Bearer " + consumer}});
  EXPECT_EQ(v1.status, 200) << v1.body;
  EXPECT_TRUE(v1.Json()["data"].is_array());
}

}  // namespace
}  // namespace billing::e2e
