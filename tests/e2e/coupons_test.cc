// Coupons through the real binary (docs/coupons.md): created and listed through manage-invoices,
// redeemed on a new invoice (discount before tax) and on a subscription, refused once used up;
// the chat agent applies the sample WELCOME10; scopes guard coupon changes. Runs on both
// backends (pg.coupons_e2e.*).
#include <gtest/gtest.h>

#include <string>

#include "e2e/server_harness.h"

namespace billing::e2e {
namespace {

using nlohmann::json;

TEST(coupons_e2e, CouponsAreCreatedRedeemedAndUsedUp) {
  ServerProcess server({{"BILLING_AUTH", "on"}},
                       {"--today", "2026-12-06", "--run-interval", "off"});
  ASSERT_TRUE(server.started()) << server.Log();
  const std::string reader = BearerForNewKey(server, "read,events");
  const std::string admin = BearerForNewKey(server, "read,invoice,subscriptions");
  int status = 0;
  json denied = Tool(server, "manage-invoices",
                     {{"action", "create_coupon"}, {"couponCode", "SPRING"}, {"percentOff", 15}},
                     {{"Authorization", reader}}, &status);
  EXPECT_EQ(status, 403) << denied.dump();

  json created = Tool(server, "manage-invoices",
                      {{"action", "create_coupon"},
                       {"couponCode", "spring"},
                       {"amountOff", "25.00"},
                       {"maxRedemptions", 1}},
                      {{"Authorization", admin}});
  ASSERT_EQ(created["success"], true) << created.dump();
  EXPECT_EQ(created["coupon"]["code"], "SPRING");

  json inv = Tool(server, "manage-invoices",
                  {{"action", "create"},
                   {"customerId", "CUST-002"},
                   {"amount", "100.00"},
                   {"dueDate", "2027-01-05"},
                   {"couponCode", "Spring"}},
                  {{"Authorization", admin}});
  ASSERT_EQ(inv["success"], true) << inv.dump();
  EXPECT_EQ(inv["invoice"]["discountCents"], 2500);
  EXPECT_EQ(inv["invoice"]["taxCents"], 600);  // 8% of $75.00
  EXPECT_EQ(inv["invoice"]["totalCents"], 8100);

  json again = Tool(server, "manage-invoices",
                    {{"action", "create"},
                     {"customerId", "CUST-001"},
                     {"amount", "100.00"},
                     {"dueDate", "2027-01-05"},
                     {"couponCode", "SPRING"}},
                    {{"Authorization", admin}});
  EXPECT_EQ(again["success"], false);
  EXPECT_EQ(again["field"], "couponCode") << again.dump();

  json sub = Tool(server, "manage-subscriptions",
                  {{"action", "create"},
                   {"customerId", "CUST-003"},
                   {"planId", "Basic"},
                   {"couponCode", "WELCOME10"}},
                  {{"Authorization", admin}});
  ASSERT_EQ(sub["success"], true) << sub.dump();
  EXPECT_EQ(sub["invoices"][0]["totalCents"], 4763) << sub.dump();  // $44.10 + 8%

  json list = Tool(server, "manage-invoices", {{"action", "list_coupons"}},
                   {{"Authorization", reader}}, &status);
  EXPECT_EQ(status, 200);
  ASSERT_EQ(list["count"], 2) << list.dump();
  EXPECT_EQ(list["coupons"][0]["code"], "SPRING");
  EXPECT_EQ(list["coupons"][0]["timesRedeemed"], 1);
  EXPECT_EQ(list["coupons"][1]["code"], "WELCOME10");
  EXPECT_EQ(list["coupons"][1]["timesRedeemed"], 1);

  json events = server.Get("/api/events?type=coupon.redeemed", {{"Authorization", reader}}).Json();
  EXPECT_EQ(events["events"].size(), 2u) << events.dump();

  // The agent: a new invoice with the sample coupon, from a chat message.
  HttpResult chat = server.PostJson(
      "/api/agents/billingApiAgent/generate",
      {{"messages", json::array({{{"role", "user"},
                                  {"content",
                                   "Create an invoice for CUST-001 for 2 hours of consulting at "
                                   "$100 due 2027-01-15 with coupon welcome10"}}})}},
      {{"Authorization", admin}});
  ASSERT_EQ(chat.status, 200) << chat.body;
  const std::string text = chat.Json()["text"];
  EXPECT_NE(text.find("discount $20.00 (coupon WELCOME10)"), std::string::npos) << text;
  EXPECT_NE(text.find("$194.40"), std::string::npos) << text;
  CommandResult verify = RunAgentCommand({"audit", "verify", "--db", server.db_path()});
  EXPECT_EQ(verify.exit_code, 0) << verify.out << verify.err;
}

}  // namespace
}  // namespace billing::e2e
