// Webhooks through the real binary (docs/webhooks.md): a receiver the test starts on loopback
// checks every signature and body; the receiver down for a while, then up: every event arrives,
// none lost; the server SIGKILLed during deliveries and restarted: every committed event arrives
// at least once, and duplicates carry the same id; an endpoint on a private address is refused at
// connect time; a redirect is not followed; rotation signs with both secrets. Runs on both
// backends (pg.webhooks_e2e.*).
#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <set>
#include <string>
#include <thread>

#include "e2e/server_harness.h"
#include "e2e/webhook_receiver.h"

namespace billing::e2e {
namespace {

using nlohmann::json;

// Waits up to `ms` for `done`.
template <typename Done>
bool WaitFor(int ms, Done done) {
  const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
  while (std::chrono::steady_clock::now() < until) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return done();
}

std::map<std::string, std::string> Env() {
  return {{"BILLING_WEBHOOK_ALLOW_HOSTS", "127.0.0.1"},
          {"BILLING_WEBHOOK_RETRY_SECONDS", "1,1,1,1,1,1,1,1,1,1,1,1,1,1,1"},
          {"BILLING_WEBHOOK_TIMEOUT_MS", "1000"},
          {"BILLING_PAYMENT_MODE", "approve"}};
}
const std::vector<std::string> kArgs = {"--today", "2026-12-06", "--run-interval", "off"};

json Post(ServerProcess& server, const std::string& path, const json& body) {
  HttpResult r = server.PostJson("/api/v1" + path, body);
  EXPECT_EQ(r.status, 200) << path << ": " << r.body;
  return r.Json();
}

// A new endpoint for `url`: its id and secret.
std::pair<std::string, std::string> MakeEndpoint(ServerProcess& server, const std::string& url,
                                                 const json& events = json::array({"*"})) {
  json e = Post(server, "/webhook-endpoints", {{"url", url}, {"enabledEvents", events}});
  return {e["id"], e["secret"]};
}

// N invoices for CUST-002: each emits invoice.created and invoice.finalized.
void MakeInvoices(ServerProcess& server, int n) {
  for (int i = 0; i < n; ++i) {
    Post(server, "/invoices",
         {{"customerId", "CUST-002"},
          {"amount", std::to_string(10 + i)},
          {"dueDate", "2027-01-05"}});
  }
}

std::set<std::string> EventIds(ServerProcess& server) {
  std::set<std::string> ids;
  std::string cursor;
  for (int page = 0; page < 100; ++page) {
    json list =
        server.Get("/api/v1/events?limit=100" + (cursor.empty() ? "" : "&startingAfter=" + cursor))
            .Json();
    for (const json& e : list["data"]) ids.insert(e["id"].get<std::string>());
    if (!list["hasMore"].get<bool>()) break;
    cursor = list["nextCursor"];
  }
  return ids;
}

std::set<std::string> ReceivedIds(const WebhookReceiver& receiver) {
  std::set<std::string> ids;
  for (const ReceivedWebhook& w : receiver.Received()) ids.insert(w.headers.at("billing-event-id"));
  return ids;
}

TEST(webhooks_e2e, EveryEventArrivesSignedAndIsLogged) {
  WebhookReceiver receiver;
  ASSERT_NE(receiver.Start(), 0);
  ServerProcess server(Env(), kArgs);
  ASSERT_TRUE(server.started()) << server.Log();
  const std::string url = "http://127.0.0.1:" + std::to_string(receiver.port()) + "/hooks";
  auto [endpoint, secret] = MakeEndpoint(server, url);
  EXPECT_EQ(secret.rfind("whsec_", 0), 0u);
  EXPECT_EQ(secret.size(), 6u + 64u);  // 32 random bytes
  // Only some types, to another path: the filter holds.
  auto [paid_only, paid_secret] =
      MakeEndpoint(server, url + "/paid", json::array({"invoice.paid"}));

  MakeInvoices(server, 3);
  json inv = Post(server, "/invoices",
                  {{"customerId", "CUST-002"}, {"amount", "5"}, {"dueDate", "2027-01-05"}});
  Post(server, "/invoices/" + inv["id"].get<std::string>() + "/pay", json::object());
  const std::set<std::string> events = EventIds(server);
  ASSERT_TRUE(WaitFor(10000, [&] { return receiver.Count() >= events.size() + 1; }))
      << receiver.Count() << " of " << events.size() + 1 << "\n"
      << server.Log();

  int to_paid_only = 0;
  for (const ReceivedWebhook& w : receiver.Received()) {
    const bool paid_path = w.target == "/hooks/paid";
    EXPECT_TRUE(
        SignatureValid(w.headers.at("billing-signature"), w.body, paid_path ? paid_secret : secret))
        << w.headers.at("billing-signature");
    EXPECT_FALSE(SignatureValid(w.headers.at("billing-signature"), w.body + " ", secret));
    EXPECT_EQ(w.headers.at("content-type"), "application/json");
    json body = json::parse(w.body);
    EXPECT_EQ(body["object"], "event");
    EXPECT_EQ(body["id"], w.headers.at("billing-event-id"));
    EXPECT_TRUE(body["created"].is_number_integer());
    EXPECT_TRUE(body["data"]["object"].is_object());
    EXPECT_TRUE(body["request"].contains("idempotencyKey"));
    if (paid_path) {
      ++to_paid_only;
      EXPECT_EQ(body["type"], "invoice.paid");
    }
  }
  EXPECT_EQ(to_paid_only, 1);
  std::set<std::string> got;
  for (const ReceivedWebhook& w : receiver.Received()) {
    if (w.target == "/hooks") got.insert(w.headers.at("billing-event-id"));
  }
  EXPECT_EQ(got, events);  // every event, to the "*" endpoint

  // The delivery log: delivered, one attempt each, with its status and latency.
  json log = server.Get("/api/v1/webhook-endpoints/" + endpoint + "/deliveries?limit=100").Json();
  ASSERT_EQ(log["data"].size(), events.size());
  const json first = log["data"][0];
  EXPECT_EQ(first["status"], "delivered");
  json detail = server.Get("/api/v1/webhook-deliveries/" + first["id"].get<std::string>()).Json();
  ASSERT_EQ(detail["attemptLog"].size(), 1u) << detail.dump();
  EXPECT_EQ(detail["attemptLog"][0]["status"], 200);

  // Re-sent by hand: the same event again, with the same id.
  const size_t before = receiver.Count();
  Post(server, "/webhook-deliveries/" + first["id"].get<std::string>() + "/resend", json::object());
  ASSERT_TRUE(WaitFor(5000, [&] { return receiver.Count() == before + 1; }));
  EXPECT_EQ(receiver.Received().back().headers.at("billing-event-id"), first["eventId"]);

  // Rotation: both secrets sign for a while.
  json rotated = Post(server, "/webhook-endpoints/" + endpoint + "/rotate-secret", json::object());
  const std::string new_secret = rotated["secret"];
  EXPECT_NE(new_secret, secret);
  MakeInvoices(server, 1);
  ASSERT_TRUE(WaitFor(5000, [&] { return receiver.Count() >= before + 3; }));
  const ReceivedWebhook last = receiver.Received().back();
  EXPECT_TRUE(SignatureValid(last.headers.at("billing-signature"), last.body, new_secret));
  EXPECT_TRUE(SignatureValid(last.headers.at("billing-signature"), last.body, secret));

  // Endpoints need the webhooks scope; the secret is never shown again.
  json again = server.Get("/api/v1/webhook-endpoints/" + endpoint).Json();
  EXPECT_FALSE(again.contains("secret"));
  HttpResult bad = server.PostJson("/api/v1/webhook-endpoints", {{"url", "http://10.1.2.3/x"}});
  EXPECT_EQ(bad.status, 400) << bad.body;
  EXPECT_EQ(bad.Json()["error"]["param"], "url");
  HttpResult bad_events =
      server.PostJson("/api/v1/webhook-endpoints",
                      {{"url", url}, {"enabledEvents", json::array({"nope.happened"})}});
  EXPECT_EQ(bad_events.status, 400) << bad_events.body;
  EXPECT_EQ(bad_events.Json()["error"]["param"], "enabledEvents");
  // Neither made an endpoint.
  EXPECT_EQ(server.Get("/api/v1/webhook-endpoints").Json()["data"].size(), 2u);
}

TEST(webhooks_e2e, AReceiverDownForAWhileLosesNothing) {
  WebhookReceiver receiver;
  const int port = receiver.Start();
  ASSERT_NE(port, 0);
  ServerProcess server(Env(), kArgs);
  ASSERT_TRUE(server.started()) << server.Log();
  auto [endpoint, secret] =
      MakeEndpoint(server, "http://127.0.0.1:" + std::to_string(port) + "/hooks");
  receiver.Stop();  // down
  MakeInvoices(server, 10);
  // The first attempts fail (connection refused) and are logged.
  ASSERT_TRUE(WaitFor(5000, [&] {
    json log = server.Get("/api/v1/webhook-endpoints/" + endpoint + "/deliveries?limit=100").Json();
    for (const json& d : log["data"]) {
      if (d["attempts"].get<int>() < 1) return false;
    }
    return !log["data"].empty();
  }));
  ASSERT_EQ(receiver.Start(port), port);  // up again
  receiver.AnswerWith(500);               // and failing for a while
  ASSERT_TRUE(WaitFor(5000, [&] { return receiver.Count() > 0; }));
  receiver.AnswerWith(200);
  const std::set<std::string> events = EventIds(server);
  ASSERT_TRUE(WaitFor(20000, [&] { return ReceivedIds(receiver) == events; }))
      << ReceivedIds(receiver).size() << " of " << events.size();
  json log = server.Get("/api/v1/webhook-endpoints/" + endpoint + "/deliveries?limit=100").Json();
  ASSERT_TRUE(WaitFor(5000, [&] {
    log = server.Get("/api/v1/webhook-endpoints/" + endpoint + "/deliveries?limit=100").Json();
    for (const json& d : log["data"]) {
      if (d["status"] != "delivered") return false;
    }
    return true;
  })) << log.dump();
  int retried = 0;
  for (const json& d : log["data"]) retried += d["attempts"].get<int>() > 1;
  EXPECT_EQ(retried, int(log["data"].size()));
  for (const ReceivedWebhook& w : receiver.Received()) {
    EXPECT_TRUE(SignatureValid(w.headers.at("billing-signature"), w.body, secret));
  }
}

TEST(webhooks_e2e, AKilledServerDeliversEveryCommittedEventAfterRestart) {
  WebhookReceiver receiver;
  ASSERT_NE(receiver.Start(), 0);
  receiver.DelayMs(500);  // slow: the kill lands while deliveries are in flight
  // The first server stays in scope (killed): it owns the temporary database the second opens.
  ServerProcess server(Env(), kArgs);
  ASSERT_TRUE(server.started()) << server.Log();
  const std::string endpoint =
      MakeEndpoint(server, "http://127.0.0.1:" + std::to_string(receiver.port()) + "/hooks").first;
  MakeInvoices(server, 15);
  const std::set<std::string> events = EventIds(server);
  // Killed as soon as the receiver sees a request: the transfers in flight are answered after
  // the server is gone, so none of them is marked delivered.
  ASSERT_TRUE(WaitFor(10000, [&] { return receiver.Count() >= 1; }));
  server.Kill();
  receiver.DelayMs(0);
  ServerProcess restarted(Env(), kArgs, server.db_path());
  ASSERT_TRUE(restarted.started()) << restarted.Log();
  ASSERT_TRUE(WaitFor(30000, [&] { return ReceivedIds(receiver) == events; }))
      << ReceivedIds(receiver).size() << " of " << events.size();
  // Every delivery ends delivered: those in flight at the kill are sent again once their lease
  // (2 x the timeout + 5 s) runs out.
  ASSERT_TRUE(WaitFor(
      30000,
      [&] {
        json log =
            restarted.Get("/api/v1/webhook-endpoints/" + endpoint + "/deliveries?limit=100").Json();
        if (log["data"].size() != events.size()) return false;
        for (const json& d : log["data"]) {
          if (d["status"] != "delivered") return false;
        }
        return true;
      }))
      << restarted.Get("/api/v1/webhook-endpoints/" + endpoint + "/deliveries?limit=3").body
      << restarted.Log();
  // At least once: some were sent twice (received before the kill, sent again after the lease),
  // and a duplicate is the same event, with the same id and body.
  EXPECT_GT(receiver.Count(), ReceivedIds(receiver).size());
  std::map<std::string, std::string> bodies;
  for (const ReceivedWebhook& w : receiver.Received()) {
    json body = json::parse(w.body);
    EXPECT_EQ(body["id"], w.headers.at("billing-event-id"));
    body.erase("created");
    auto [it, fresh] = bodies.emplace(w.headers.at("billing-event-id"), body.dump());
    if (!fresh) {
      EXPECT_EQ(it->second, body.dump());
    }
  }
}

TEST(webhooks_e2e, PrivateAddressesAndRedirectsAreRefused) {
  WebhookReceiver receiver;
  ASSERT_NE(receiver.Start(), 0);
  // 127.0.0.1 is allow-listed; "localhost" is not, and resolves to a loopback address.
  ServerProcess server(Env(), kArgs);
  ASSERT_TRUE(server.started()) << server.Log();
  auto [blocked, blocked_secret] =
      MakeEndpoint(server, "https://localhost:" + std::to_string(receiver.port()) + "/blocked");
  receiver.RedirectTo("http://127.0.0.1:" + std::to_string(receiver.port()) + "/elsewhere");
  auto [redirected, redirected_secret] =
      MakeEndpoint(server, "http://127.0.0.1:" + std::to_string(receiver.port()) + "/moved");
  MakeInvoices(server, 1);
  auto last_error = [&](const std::string& endpoint) {
    json log = server.Get("/api/v1/webhook-endpoints/" + endpoint + "/deliveries").Json();
    if (log["data"].empty() || !log["data"][0]["lastError"].is_string()) return std::string();
    return log["data"][0]["lastError"].get<std::string>();
  };
  ASSERT_TRUE(WaitFor(
      5000, [&] { return !last_error(blocked).empty() && !last_error(redirected).empty(); }));
  EXPECT_NE(last_error(blocked).find("SSRF"), std::string::npos) << last_error(blocked);
  EXPECT_NE(last_error(redirected).find("redirect"), std::string::npos) << last_error(redirected);
  for (const ReceivedWebhook& w : receiver.Received()) {
    EXPECT_NE(w.target, "/blocked");    // never connected
    EXPECT_NE(w.target, "/elsewhere");  // never followed
  }
}

TEST(webhooks_e2e, TheCliManagesEndpointsOnTheServersDatabase) {
  WebhookReceiver receiver;
  ASSERT_NE(receiver.Start(), 0);
  ServerProcess server(Env(), kArgs);
  ASSERT_TRUE(server.started()) << server.Log();
  const std::string url = "http://127.0.0.1:" + std::to_string(receiver.port()) + "/cli";
  CommandResult made = RunAgentCommand(
      {"webhooks", "create", "--db", server.db_path(), "--url", url, "--events", "invoice.created"},
      Env());
  ASSERT_EQ(made.exit_code, 0) << made.err;
  const json endpoint = json::parse(made.out);
  const std::string id = endpoint["id"], secret = endpoint["secret"];
  EXPECT_EQ(endpoint["enabledEvents"], json::array({"invoice.created"}));  // as REST shows it
  // The running server delivers to it, signed with the secret the CLI printed.
  MakeInvoices(server, 1);
  ASSERT_TRUE(WaitFor(5000, [&] { return receiver.Count() == 1; }));
  const ReceivedWebhook got = receiver.Received()[0];
  EXPECT_TRUE(SignatureValid(got.headers.at("billing-signature"), got.body, secret));
  CommandResult log =
      RunAgentCommand({"webhooks", "deliveries", id, "--db", server.db_path()}, Env());
  ASSERT_EQ(log.exit_code, 0) << log.err;
  ASSERT_TRUE(WaitFor(5000, [&] {
    log = RunAgentCommand({"webhooks", "deliveries", id, "--db", server.db_path()}, Env());
    return json::parse(log.out)[0]["status"] == "delivered";
  })) << log.out;
  CommandResult bad = RunAgentCommand(
      {"webhooks", "create", "--db", server.db_path(), "--url", "http://10.0.0.7/x"}, Env());
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE(bad.err.find("https://"), std::string::npos) << bad.err;
  EXPECT_EQ(RunAgentCommand({"webhooks", "nope"}).exit_code, 2);
  const json listed =
      json::parse(RunAgentCommand({"webhooks", "list", "--db", server.db_path()}, Env()).out);
  ASSERT_EQ(listed.size(), 1u) << listed.dump();
  EXPECT_EQ(listed[0]["enabledEvents"], json::array({"invoice.created"}));
  CommandResult gone = RunAgentCommand({"webhooks", "delete", id, "--db", server.db_path()}, Env());
  EXPECT_EQ(gone.exit_code, 0) << gone.err;
  EXPECT_EQ(json::parse(RunAgentCommand({"webhooks", "list", "--db", server.db_path()}, Env()).out),
            json::array());
}

}  // namespace
}  // namespace billing::e2e
