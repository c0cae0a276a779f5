// Email through the real binary (docs/email.md): an SMTP sink the test starts (Debian's
// python3-aiosmtpd, tests/e2e/smtp_sink.py) receives the messages of a simulated month, from
// invoice issued to suspension, each in its customer's locale (en, de, fr, es: words, dates,
// amounts), text and HTML; the sink down, then up: nothing is lost; a half-made configuration
// keeps the server from starting. Runs on both backends (pg.email_e2e.*).
#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <set>
#include <string>
#include <thread>

#include "e2e/server_harness.h"
#include "e2e/smtp_sink.h"

namespace billing::e2e {
namespace {

using nlohmann::json;

const std::string kNbsp = "\u00a0";
const std::string kNnbsp = "\u202f";

std::map<std::string, std::string> SmtpEnv(int port) {
  return {{"BILLING_SMTP_HOST", "127.0.0.1"},
          {"BILLING_SMTP_PORT", std::to_string(port)},
          {"BILLING_SMTP_TLS", "none"},
          {"BILLING_EMAIL_FROM", "Acme Billing <billing@acme.example>"},
          {"BILLING_EMAIL_RETRY_SECONDS", "1,1,1,1,1,1,1,1,1,1,1,1,1,1,1"},
          {"BILLING_TAX_RATE_BP", "0"},
          {"BILLING_NO_SEED", "1"}};
}

std::map<std::string, std::string> With(std::map<std::string, std::string> env,
                                        const std::map<std::string, std::string>& more) {
  for (const auto& [k, v] : more) env[k] = v;
  return env;
}

struct Person {
  const char* locale;
  const char* currency;
  const char* company;
  const char* email;
  std::string id = {};       // CUST-...
  std::string invoice = {};  // INV-...
};

json Ok(ServerProcess& server, const std::string& tool, const json& input) {
  json out = Tool(server, tool, input);
  EXPECT_EQ(out["success"], true) << tool << " " << input.dump() << ": " << out.dump();
  return out;
}

// Waits (up to 30 s) until the outbox holds `n` emails and every one is sent (recorded after the
// SMTP server accepted it, so the sink has it): a server killed then cannot leave one behind.
bool AllSent(ServerProcess& server, size_t n) {
  for (int i = 0; i < 300; ++i) {
    const json page = server.Get("/api/v1/emails?limit=100").Json();
    const json rows = page.value("data", json::array());
    bool done = rows.size() == n;
    for (const json& e : rows) done = done && e["status"] == "sent";
    if (done) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return false;
}

bool Contains(const json& message, const char* part, const std::string& needle) {
  return message[part].is_string() &&
         message[part].get<std::string>().find(needle) != std::string::npos;
}

TEST(email_e2e, AMonthOfBillingMailsEachCustomerInItsLanguage) {
  SmtpSink sink;
  ASSERT_TRUE(sink.started()) << "python3-aiosmtpd missing? (scripts/install-deps.sh)";
  const auto env = SmtpEnv(sink.port());
  std::vector<Person> people = {{"de", "EUR", "Müller & Söhne GmbH", "buchhaltung@mueller.example"},
                                {"fr", "EUR", "Étoile SARL", "compta@etoile.example"},
                                {"es", "EUR", "Sol y Mar S.L.", "facturas@solymar.example"},
                                {"en", "USD", "Acme <Corp>", "ap@acme-corp.example"}};
  std::string db;
  ServerProcess first(With(env, {{"BILLING_PAYMENT_MODE", "approve"}}),
                      {"--today", "2026-12-01", "--run-interval", "off"});
  ASSERT_TRUE(first.started()) << first.Log();
  db = first.db_path();
  EXPECT_NE(first.Log().find("email: on, SMTP 127.0.0.1"), std::string::npos) << first.Log();
  for (Person& p : people) {
    json made = Ok(first, "manage-customers",
                   {{"action", "create"},
                    {"company", p.company},
                    {"email", p.email},
                    {"contactName", std::string("Contact ") + p.locale},
                    {"currency", p.currency},
                    {"locale", p.locale}});
    p.id = made["customer"]["id"];
    json inv =
        Ok(first, "manage-invoices",
           {{"action", "create"},
            {"customerId", p.id},
            {"items", {{{"description", "Beratung"}, {"quantity", 2}, {"unitPrice", "617.50"}}}},
            {"dueDate", "2026-12-05"}});
    p.invoice = inv["invoice"]["id"];
  }
  // The German customer pays in full: a receipt.
  Ok(first, "process-payment",
     {{"action", "process"},
      {"customerId", people[0].id},
      {"amount", "1235.00"},
      {"paymentMethod", "bank_transfer"}});
  ASSERT_TRUE(AllSent(first, 5)) << first.Log();
  EXPECT_EQ(sink.Messages().size(), 5u);
  first.Kill();

  // The French customer's card is declined: a payment-failed message.
  {
    ServerProcess declining(With(env, {{"BILLING_PAYMENT_MODE", "decline"}}),
                            {"--today", "2026-12-02", "--run-interval", "off"}, db);
    ASSERT_TRUE(declining.started()) << declining.Log();
    json failed = Tool(declining, "process-payment",
                       {{"action", "process"},
                        {"customerId", people[1].id},
                        {"amount", "100.00"},
                        {"paymentMethod", "credit_card"}});
    EXPECT_EQ(failed["payment"]["status"], "failed") << failed.dump();
    ASSERT_TRUE(AllSent(declining, 6)) << declining.Log();
    EXPECT_EQ(sink.Messages().size(), 6u);
    declining.Kill();
  }

  // The month goes by in billing runs of the command (no server running): the unpaid invoices
  // are dunned (two reminders by the 13th, the warning on the 20th), then their customers
  // suspended. The messages wait in the outbox.
  for (const char* day : {"2026-12-13", "2026-12-20", "2027-01-05"}) {
    CommandResult bill = RunAgentCommand({"bill", "--db", db}, With(env, {{"BILLING_TODAY", day}}));
    ASSERT_EQ(bill.exit_code, 0) << day << ": " << bill.err;
  }
  EXPECT_EQ(sink.Messages().size(), 6u);

  ServerProcess later(env, {"--today", "2027-01-05", "--run-interval", "off"}, db);
  ASSERT_TRUE(later.started()) << later.Log();
  // 4 issued + 1 receipt + 1 failed + 3 x (2 reminders + 1 warning + 1 suspension).
  const size_t kExpected = 4 + 1 + 1 + 3 * 4;
  ASSERT_TRUE(AllSent(later, kExpected)) << later.Log();
  std::vector<json> mail = sink.Messages();
  ASSERT_EQ(mail.size(), kExpected) << later.Log();

  // Every event's type, to know what each message is about.
  std::map<std::string, std::string> type_of;
  json events = later.Get("/api/events?limit=100").Json();
  for (const json& e : events["events"]) type_of[e["id"]] = e["type"];

  // One message per event, each with its own Message-ID (no kill came between a send and its
  // record).
  std::map<std::string, std::string> message_id_of_event;
  std::map<std::string, std::map<std::string, int>> kinds;  // rcpt -> event type -> count
  std::map<std::string, std::vector<json>> by_rcpt;
  for (const json& m : mail) {
    ASSERT_TRUE(m.is_object());
    EXPECT_EQ(m["mailFrom"], "billing@acme.example");
    ASSERT_EQ(m["rcptTos"].size(), 1u);
    const std::string rcpt = m["rcptTos"][0];
    EXPECT_NE(m["to"].get<std::string>().find(rcpt), std::string::npos) << m.dump();
    EXPECT_EQ(m["from"], "Acme Billing <billing@acme.example>");
    // libcurl's MIME mail: multipart/mixed holding the multipart/alternative of text and HTML
    // (its smtp-mime example's shape), which mail programs show as one message.
    EXPECT_EQ(m["parts"],
              json::array({"multipart/mixed", "multipart/alternative", "text/plain", "text/html"}))
        << m.dump();
    EXPECT_TRUE(m["defects"].empty()) << m.dump();
    ASSERT_TRUE(m["text"].is_string()) << m.dump();
    ASSERT_TRUE(m["html"].is_string()) << m.dump();
    const std::string event = m["eventId"];
    ASSERT_TRUE(type_of.count(event)) << m.dump();
    auto [it, fresh] = message_id_of_event.emplace(event, m["messageId"]);
    EXPECT_EQ(it->second, m["messageId"]) << "one event, one Message-ID";
    if (!fresh) continue;
    ++kinds[rcpt][type_of[event]];
    by_rcpt[rcpt].push_back(m);
  }
  EXPECT_EQ(message_id_of_event.size(), kExpected);
  std::set<std::string> message_ids;
  for (const auto& [event, id] : message_id_of_event) message_ids.insert(id);
  EXPECT_EQ(message_ids.size(), kExpected);
  EXPECT_EQ(kinds["buchhaltung@mueller.example"],
            (std::map<std::string, int>{{"invoice.finalized", 1}, {"payment.succeeded", 1}}));
  EXPECT_EQ(kinds["compta@etoile.example"],
            (std::map<std::string, int>{{"invoice.finalized", 1},
                                        {"payment.failed", 1},
                                        {"dunning.reminder", 2},
                                        {"dunning.warning", 1},
                                        {"customer.suspended", 1}}));
  for (const char* rcpt : {"facturas@solymar.example", "ap@acme-corp.example"}) {
    EXPECT_EQ(kinds[rcpt], (std::map<std::string, int>{{"invoice.finalized", 1},
                                                       {"dunning.reminder", 2},
                                                       {"dunning.warning", 1},
                                                       {"customer.suspended", 1}}))
        << rcpt;
  }

  // Each in its language: the invoice message's subject, amount and due date.
  struct Expect {
    const char* rcpt;
    const char* lang;
    const char* word;  // in the invoice subject
    std::string amount;
    const char* due;
  };
  const std::vector<Expect> expects = {
      {"buchhaltung@mueller.example", "de", "Rechnung", "1.235,00" + kNbsp + "€",
       "5. Dezember 2026"},
      {"compta@etoile.example", "fr", "Facture", "1" + kNnbsp + "235,00" + kNbsp + "€",
       "5 décembre 2026"},
      {"facturas@solymar.example", "es", "Factura", "1.235,00" + kNbsp + "€",
       "5 de diciembre de 2026"},
      {"ap@acme-corp.example", "en", "Invoice", "$1,235.00", "December 5, 2026"}};
  for (const Expect& x : expects) {
    const Person& p = *std::find_if(people.begin(), people.end(), [&](const Person& q) {
      return q.email == std::string(x.rcpt);
    });
    bool seen_invoice = false;
    std::set<std::string> subjects;
    for (const json& m : by_rcpt[x.rcpt]) {
      EXPECT_EQ(m["contentLanguage"], x.lang);
      subjects.insert(m["subject"].get<std::string>());
      if (type_of[m["eventId"]] != "invoice.finalized") continue;
      seen_invoice = true;
      EXPECT_TRUE(Contains(m, "subject", x.word)) << m["subject"];
      EXPECT_TRUE(Contains(m, "subject", p.invoice)) << m["subject"];
      for (const char* part : {"text", "html"}) {
        EXPECT_TRUE(Contains(m, part, x.amount)) << x.lang << " " << part << ": " << m[part];
        EXPECT_TRUE(Contains(m, part, x.due)) << x.lang << " " << part << ": " << m[part];
      }
    }
    EXPECT_TRUE(seen_invoice) << x.rcpt;
    // Different messages have different subjects (a reminder is not an invoice).
    EXPECT_GE(subjects.size(), std::min<size_t>(by_rcpt[x.rcpt].size(), 3)) << x.rcpt;
  }
  // Values are escaped in HTML: the company "Acme <Corp>" never appears as markup.
  for (const json& m : by_rcpt["ap@acme-corp.example"]) {
    EXPECT_FALSE(Contains(m, "html", "Acme <Corp>")) << m["html"];
  }

  // The outbox through REST: every email sent, none pending.
  HttpResult listed = later.Get("/api/v1/emails?limit=100");
  ASSERT_EQ(listed.status, 200) << listed.body;
  json emails = listed.Json();
  EXPECT_EQ(emails["data"].size(), kExpected) << listed.body;
  for (const json& e : emails["data"]) EXPECT_EQ(e["status"], "sent") << e.dump();
  const std::string first_id = emails["data"][0]["id"];
  HttpResult one = later.Get("/api/v1/emails/" + first_id);
  ASSERT_EQ(one.status, 200) << one.body;
  EXPECT_TRUE(one.Json()["html"].is_string());
  EXPECT_EQ(later.Get("/api/v1/emails/eml_99999").status, 404);
}

TEST(email_e2e, TheServerDownThenUpLosesNothing) {
  SmtpSink probe;  // only to learn a free port, then down
  ASSERT_TRUE(probe.started());
  const int port = probe.port();
  probe.Stop();
  ServerProcess server(SmtpEnv(port), {"--today", "2026-12-01", "--run-interval", "off"});
  ASSERT_TRUE(server.started()) << server.Log();
  json made = Ok(server, "manage-customers",
                 {{"action", "create"},
                  {"company", "Nordwind AG"},
                  {"email", "rechnung@nordwind.example"},
                  {"locale", "de"},
                  {"currency", "EUR"}});
  const std::string customer = made["customer"]["id"];
  for (int i = 0; i < 3; ++i) {
    Ok(server, "manage-invoices",
       {{"action", "create"},
        {"customerId", customer},
        {"items", {{{"description", "Wartung"}, {"quantity", 1}, {"unitPrice", "100"}}}},
        {"dueDate", "2026-12-31"}});
  }
  // Refused while the sink is down: retried, still pending.
  json pending;
  for (int i = 0; i < 100; ++i) {
    pending = server.Get("/api/v1/emails?customer=" + customer).Json();
    if (pending["data"].size() == 3u && pending["data"][0]["attempts"].get<int>() >= 1) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_EQ(pending["data"].size(), 3u) << pending.dump();
  EXPECT_EQ(pending["data"][0]["status"], "pending") << pending.dump();
  EXPECT_GE(pending["data"][0]["attempts"].get<int>(), 1) << pending.dump();
  EXPECT_TRUE(pending["data"][0]["lastError"].is_string()) << pending.dump();

  SmtpSink sink(port);
  ASSERT_TRUE(sink.started());
  std::vector<json> mail = sink.WaitFor(3);
  ASSERT_EQ(mail.size(), 3u) << server.Log();
  for (const json& m : mail) {
    EXPECT_NE(m["subject"].get<std::string>().find("Rechnung"), std::string::npos) << m.dump();
  }
  // Re-sent by hand: the same message again, with the same Message-ID.
  json sent;
  for (int i = 0; i < 100; ++i) {
    sent = server.Get("/api/v1/emails?customer=" + customer).Json();
    if (sent["data"][0]["status"] == "sent") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  const std::string id = sent["data"][0]["id"];
  HttpResult resent = server.PostJson("/api/v1/emails/" + id + "/resend", json::object());
  ASSERT_EQ(resent.status, 200) << resent.body;
  mail = sink.WaitFor(4);
  ASSERT_EQ(mail.size(), 4u);
  int same = 0;
  for (size_t i = 0; i < 3; ++i) same += mail[i]["messageId"] == mail[3]["messageId"];
  EXPECT_EQ(same, 1);
}

TEST(email_e2e, AHalfMadeConfigurationDoesNotStart) {
  // On without a sender: refused, naming the variable; nothing half-configured runs.
  CommandResult no_from = RunAgentCommand({"--port", "0", "--db", "/nonexistent/never.db"},
                                          {{"BILLING_SMTP_HOST", "smtp.example"}});
  EXPECT_NE(no_from.exit_code, 0);
  EXPECT_NE((no_from.out + no_from.err).find("BILLING_EMAIL_FROM"), std::string::npos)
      << no_from.err;
  // A password in clear to another machine: refused.
  CommandResult clear = RunAgentCommand({"--port", "0", "--db", "/nonexistent/never.db"},
                                        {{"BILLING_SMTP_HOST", "smtp.example"},
                                         {"BILLING_SMTP_TLS", "none"},
                                         {"BILLING_SMTP_USER", "u"},
                                         {"BILLING_SMTP_PASSWORD", "p"},
                                         {"BILLING_EMAIL_FROM", "billing@example.com"}});
  EXPECT_NE(clear.exit_code, 0);
  EXPECT_NE((clear.out + clear.err).find("BILLING_SMTP_TLS"), std::string::npos) << clear.err;
}

}  // namespace
}  // namespace billing::e2e
