// Invoice drafts and credit notes through the real binary (docs/invoices.md): a draft made through
// the tool route owes nothing and has no number until it is finalized; a credit note on a paid
// invoice refunds or keeps the money as credit, which the customer's next invoice uses; the chat
// agent (local planner) issues one from the spec's phrasing; money going back needs the refund
// scope. Events and the audit chain follow. Runs on both backends (pg.credit_notes_e2e.*).
#include <gtest/gtest.h>

#include <string>

#include "e2e/server_harness.h"

namespace billing::e2e {
namespace {

using nlohmann::json;

// The signed balance: what is owed, less any credit the customer holds.
int64_t BalanceCents(ServerProcess& server, const std::string& customer) {
  json c = Tool(server, "get-customer", {{"customerId", customer}})["customer"];
  return c["outstandingBalanceCents"].get<int64_t>() - c.value("creditCents", int64_t{0});
}

TEST(credit_notes_e2e, DraftsFinalizeAndCreditNotesRefundOrKeepCredit) {
  ServerProcess server({}, {"--today", "2026-12-06", "--run-interval", "off"});
  ASSERT_TRUE(server.started()) << server.Log();
  const int64_t balance = BalanceCents(server, "CUST-002");

  json draft = Tool(server, "manage-invoices",
                    {{"action", "create"},
                     {"customerId", "CUST-002"},
                     {"amount", "500.00"},
                     {"description", "Onboarding"},
                     {"dueDate", "2027-01-05"},
                     {"draft", true}});
  ASSERT_EQ(draft["success"], true) << draft.dump();
  EXPECT_EQ(draft["invoice"]["id"], "draft_1");
  EXPECT_EQ(draft["invoice"]["status"], "draft");
  EXPECT_EQ(draft["invoice"]["totalCents"], 54000);
  EXPECT_EQ(draft["invoice"]["amountDueCents"], 0);
  EXPECT_EQ(BalanceCents(server, "CUST-002"), balance);
  json drafts = Tool(server, "manage-invoices", {{"action", "list"}, {"status", "draft"}});
  EXPECT_EQ(drafts["count"], 1) << drafts.dump();

  json final = Tool(server, "manage-invoices", {{"action", "finalize"}, {"invoiceId", "DRAFT-1"}});
  ASSERT_EQ(final["success"], true) << final.dump();
  const std::string id = final["invoice"]["id"];
  EXPECT_EQ(id, "INV-2026-001");
  EXPECT_EQ(final["invoice"]["status"], "pending");
  EXPECT_EQ(BalanceCents(server, "CUST-002"), balance + 54000);

  json paid = Tool(server, "manage-invoices", {{"action", "mark_paid"}, {"invoiceId", id}});
  ASSERT_EQ(paid["success"], true) << paid.dump();

  // Paid: the credit note must say where the money goes.
  json unsaid = Tool(server, "manage-invoices",
                     {{"action", "credit_note"}, {"invoiceId", id}, {"amount", 100}});
  EXPECT_EQ(unsaid["success"], false);
  EXPECT_EQ(unsaid["field"], "refundTo") << unsaid.dump();

  json refunded = Tool(server, "manage-invoices",
                       {{"action", "credit_note"},
                        {"invoiceId", id},
                        {"amount", "108.00"},
                        {"refundTo", "refund"},
                        {"reason", "Onboarding cut short"}});
  ASSERT_EQ(refunded["success"], true) << refunded.dump();
  EXPECT_EQ(refunded["creditNote"]["id"], "CN-2026-001");
  EXPECT_EQ(refunded["creditNote"]["taxCents"], 800);
  EXPECT_EQ(refunded["creditNote"]["refundedCents"], 10800);
  EXPECT_EQ(refunded["refunds"].size(), 1u);
  EXPECT_EQ(refunded["invoice"]["status"], "paid");
  EXPECT_EQ(BalanceCents(server, "CUST-002"), balance);

  json kept = Tool(server, "manage-invoices",
                   {{"action", "credit_note"},
                    {"invoiceId", id},
                    {"lines", json::array({{{"line", 1}, {"quantity", "0.2"}}})},
                    {"refundTo", "credit"}});
  ASSERT_EQ(kept["success"], true) << kept.dump();
  EXPECT_EQ(kept["creditNote"]["id"], "CN-2026-002");
  EXPECT_EQ(kept["creditNote"]["totalCents"], 10800);  // $100 of the line + 8%
  EXPECT_EQ(kept["creditNote"]["creditBalanceCents"], 10800);
  EXPECT_EQ(BalanceCents(server, "CUST-002"), balance - 10800);

  // The credit pays the next invoice first.
  json next = Tool(server, "manage-invoices",
                   {{"action", "create"},
                    {"customerId", "CUST-002"},
                    {"amount", "50.00"},
                    {"dueDate", "2027-01-05"}});
  ASSERT_EQ(next["success"], true) << next.dump();
  EXPECT_EQ(next["invoice"]["status"], "paid");
  EXPECT_EQ(next["invoice"]["paidCents"], 5400);
  EXPECT_EQ(BalanceCents(server, "CUST-002"), balance - 10800 + 5400);

  json got = Tool(server, "manage-invoices", {{"action", "get"}, {"invoiceId", id}});
  EXPECT_EQ(got["creditNotes"].size(), 2u) << got.dump();
  EXPECT_EQ(got["invoice"]["creditedCents"], 21600);

  json events = server.Get("/api/events?type=credit_note.created").Json();
  EXPECT_EQ(events["events"].size(), 2u) << events.dump();
  CommandResult verify = RunAgentCommand({"audit", "verify", "--db", server.db_path()});
  EXPECT_EQ(verify.exit_code, 0) << verify.out << verify.err;
}

TEST(credit_notes_e2e, TheAgentIssuesACreditNoteAndRefundsNeedTheRefundScope) {
  ServerProcess server({{"BILLING_AUTH", "on"}},
                       {"--today", "2026-12-06", "--run-interval", "off"});
  ASSERT_TRUE(server.started()) << server.Log();
  auto create_key = [&](const std::string& scopes) { return BearerForNewKey(server, scopes); };
  const std::string invoicer = create_key("read,invoice");
  const std::string full = create_key("read,invoice,refund,events");

  // INV-2025-002 was paid by PAY-001 ($750): a refund needs the refund scope.
  int status = 0;
  json denied = Tool(server, "manage-invoices",
                     {{"action", "credit_note"},
                      {"invoiceId", "INV-2025-002"},
                      {"amount", 50},
                      {"refundTo", "refund"}},
                     {{"Authorization", invoicer}}, &status);
  EXPECT_EQ(status, 403) << denied.dump();
  // Kept as credit, no money moves: the invoice scope is enough.
  json credit = Tool(server, "manage-invoices",
                     {{"action", "credit_note"},
                      {"invoiceId", "INV-2025-002"},
                      {"amount", 50},
                      {"refundTo", "credit"}},
                     {{"Authorization", invoicer}}, &status);
  EXPECT_EQ(status, 200) << credit.dump();
  EXPECT_EQ(credit["creditNote"]["id"], "CN-2026-001");

  // The spec's phrasing, through the chat agent.
  HttpResult chat = server.PostJson(
      "/api/agents/billingApiAgent/generate",
      {{"messages",
        json::array({{{"role", "user"},
                      {"content", "Issue a $50 credit note on INV-2025-002 and refund it"}}})}},
      {{"Authorization", full}});
  ASSERT_EQ(chat.status, 200) << chat.body;
  const std::string text = chat.Json()["text"];
  EXPECT_NE(text.find("CN-2026-002"), std::string::npos) << text;
  EXPECT_NE(text.find("$50.00 refunded (RFD-001)"), std::string::npos) << text;
  json refunds = server.Get("/api/events?type=refund.created", {{"Authorization", full}}).Json();
  EXPECT_EQ(refunds["events"].size(), 1u) << refunds.dump();
}

}  // namespace
}  // namespace billing::e2e
