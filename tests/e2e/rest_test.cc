// The REST API v1 through the real binary (docs/rest.md): every resource's create, retrieve,
// update, list and actions; cursor walks that neither skip nor repeat a row while rows are added;
// the v1 error objects (400 naming the param, 402, 404, 405, 409, 401/403 from authentication,
// 422 for a reused Idempotency-Key); Idempotency-Key replays; and that a REST object is the
// tool's object. Runs on both backends (pg.rest_e2e.*).
#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "e2e/server_harness.h"

namespace billing::e2e {
namespace {

using nlohmann::json;

constexpr const char* kV1 = "/api/v1";

struct Rest {
  ServerProcess& server;
  std::map<std::string, std::string> headers = {};

  HttpResult Call(const std::string& method, const std::string& path, const json& body = nullptr,
                  std::map<std::string, std::string> extra = {}) {
    std::map<std::string, std::string> h = headers;
    for (auto& [k, v] : extra) h[k] = v;
    if (!body.is_null()) h.emplace("Content-Type", "application/json");
    return server.Request(method, std::string(kV1) + path, body.is_null() ? "" : body.dump(), h);
  }
  json Ok(const std::string& method, const std::string& path, const json& body = nullptr) {
    HttpResult r = Call(method, path, body);
    EXPECT_EQ(r.status, 200) << method << " " << path << ": " << r.body;
    return r.Json();
  }
  // Every id of a list, walked page by page with startingAfter.
  std::vector<std::string> Walk(const std::string& path, int limit, int max_pages = 1000) {
    std::vector<std::string> ids;
    std::string cursor;
    const char sep = path.find('?') == std::string::npos ? '?' : '&';
    for (int page = 0; page < max_pages; ++page) {
      std::string target = path + sep + "limit=" + std::to_string(limit);
      if (!cursor.empty()) target += "&startingAfter=" + cursor;
      json list = Ok("GET", target);
      EXPECT_EQ(list["object"], "list") << list.dump();
      for (const json& row : list["data"]) ids.push_back(row.value("id", row.value("code", "")));
      if (!list["hasMore"].get<bool>()) {
        EXPECT_TRUE(list["nextCursor"].is_null());
        return ids;
      }
      cursor = list["nextCursor"].get<std::string>();
      EXPECT_EQ(cursor, ids.back());
    }
    ADD_FAILURE() << path << ": more than " << max_pages << " pages";
    return ids;
  }
};

void ExpectError(const HttpResult& r, int status, const std::string& type,
                 const std::string& param = "") {
  EXPECT_EQ(r.status, status) << r.body;
  json body = r.Json();
  ASSERT_TRUE(body["error"].is_object()) << r.body;
  EXPECT_EQ(body["error"]["type"], type) << r.body;
  EXPECT_TRUE(body["error"]["message"].is_string()) << r.body;
  EXPECT_TRUE(body["error"]["code"].is_string()) << r.body;
  if (!param.empty()) {
    EXPECT_EQ(body["error"].value("param", ""), param) << r.body;
  }
}

TEST(rest_e2e, CustomersAreCreatedRetrievedUpdatedListedSuspendedAndReinstated) {
  ServerProcess server({}, {"--today", "2026-12-06", "--run-interval", "off"});
  ASSERT_TRUE(server.started()) << server.Log();
  Rest api{server};

  json acme = api.Ok("POST", "/customers",
                     {{"company", "Acme GmbH"},
                      {"email", "billing@acme.example"},
                      {"currency", "EUR"},
                      {"locale", "de"},
                      {"taxRate", "19%"}});
  EXPECT_EQ(acme["object"], "customer");
  EXPECT_EQ(acme["id"], "CUST-007");
  EXPECT_EQ(acme["currency"], "EUR");
  EXPECT_EQ(acme["outstandingBalanceCents"], 0);
  EXPECT_EQ(api.Ok("GET", "/customers/CUST-007"), acme);

  // The tool's rules hold, named by field; nothing is created.
  ExpectError(api.Call("POST", "/customers", {{"company", "Nope"}, {"email", "nope"}}), 400,
              "invalid_request_error", "email");
  ExpectError(api.Call("POST", "/customers", {{"company", "Nope"}, {"colour", "red"}}), 400,
              "invalid_request_error", "colour");
  ExpectError(api.Call("POST", "/customers", {{"company", 7}}), 400, "invalid_request_error");
  HttpResult not_json = server.Request("POST", "/api/v1/customers", "{", {});
  ExpectError(not_json, 400, "invalid_request_error");
  ExpectError(api.Call("GET", "/customers/CUST-999"), 404, "not_found");
  ExpectError(api.Call("PUT", "/customers/CUST-001"), 405, "invalid_request_error");
  EXPECT_EQ(api.Call("PUT", "/customers/CUST-001").headers["allow"], "GET, POST");
  ExpectError(api.Call("GET", "/nothing-here"), 404, "not_found");
  ExpectError(api.Call("GET", "/customers?colour=red"), 400, "invalid_request_error", "colour");
  ExpectError(api.Call("GET", "/customers?limit=101"), 400, "invalid_request_error", "limit");
  ExpectError(api.Call("GET", "/customers?status=gone"), 400, "invalid_request_error", "status");
  ExpectError(api.Call("GET", "/customers?startingAfter=CUST-404"), 400, "invalid_request_error",
              "startingAfter");

  // Update with POST and with PATCH; the balance is the customer's, not a default.
  json updated = api.Ok("POST", "/customers/CUST-001", {{"contactName", "Alice J."}});
  EXPECT_EQ(updated["contactName"], "Alice J.");
  EXPECT_GT(updated["outstandingBalanceCents"].get<int64_t>(), 0) << updated.dump();
  HttpResult patched = api.Call("PATCH", "/customers/CUST-001", {{"email", "ap@techcorp.example"}});
  ASSERT_EQ(patched.status, 200) << patched.body;
  EXPECT_EQ(patched.Json()["email"], "ap@techcorp.example");
  EXPECT_EQ(patched.Json()["contactName"], "Alice J.");

  // Lists: filters, and a walk by twos that gives every customer once, in id order.
  json suspended = api.Ok("GET", "/customers?status=suspended");
  for (const json& c : suspended["data"]) EXPECT_EQ(c["status"], "suspended");
  json eur = api.Ok("GET", "/customers?currency=eur");
  ASSERT_EQ(eur["data"].size(), 2u) << eur.dump();  // the sample's Nordwind GmbH and Acme
  for (const json& c : eur["data"]) EXPECT_EQ(c["currency"], "EUR");
  EXPECT_EQ(eur["data"][1]["id"], "CUST-007");
  std::vector<std::string> walked = api.Walk("/customers", 2);
  json all = api.Ok("GET", "/customers?limit=100");
  std::vector<std::string> listed;
  for (const json& c : all["data"]) listed.push_back(c["id"]);
  EXPECT_EQ(walked, listed);
  EXPECT_EQ(walked.size(), 7u);
  EXPECT_FALSE(all["hasMore"].get<bool>());

  json off = api.Ok("POST", "/customers/CUST-007/suspend");
  EXPECT_EQ(off["status"], "suspended");
  ExpectError(api.Call("POST", "/customers/CUST-007/suspend"), 422, "invalid_request_error");
  ExpectError(api.Call("POST", "/invoices",
                       {{"customerId", "CUST-007"}, {"amount", "10"}, {"dueDate", "2027-01-05"}}),
              422, "invalid_request_error");
  EXPECT_EQ(api.Ok("POST", "/customers/CUST-007/reinstate")["status"], "active");
  ExpectError(api.Call("POST", "/customers/CUST-007/reinstate", {{"reason", "x"}}), 400,
              "invalid_request_error", "reason");
}

TEST(rest_e2e, InvoicesCreditNotesPaymentsAndRefunds) {
  ServerProcess server({{"BILLING_PAYMENT_MODE", "approve"}},
                       {"--today", "2026-12-06", "--run-interval", "off"});
  ASSERT_TRUE(server.started()) << server.Log();
  Rest api{server};

  json inv = api.Ok(
      "POST", "/invoices",
      {{"customerId", "CUST-002"},
       {"items",
        json::array({{{"description", "Consulting"}, {"quantity", 2}, {"unitPrice", "150.00"}}})},
       {"dueDate", "2027-01-05"}});
  EXPECT_EQ(inv["object"], "invoice");
  const std::string id = inv["id"];
  EXPECT_EQ(inv["totalCents"], 32400);  // 300.00 + 8% tax
  // The REST object is the tool's object.
  json tool = Tool(server, "manage-invoices", {{"action", "get"}, {"invoiceId", id}});
  json fetched = api.Ok("GET", "/invoices/" + id);
  fetched.erase("object");
  EXPECT_EQ(fetched, tool["invoice"]);

  EXPECT_EQ(api.Ok("POST", "/invoices/" + id, {{"notes", "PO 4711"}})["notes"], "PO 4711");
  ExpectError(api.Call("POST", "/invoices/" + id, {{"dueDate", "2020-01-01"}}), 400,
              "invalid_request_error", "dueDate");

  // Drafts: create, list with status draft, finalize; another deleted.
  json draft = api.Ok(
      "POST", "/invoices",
      {{"customerId", "CUST-002"}, {"amount", "40"}, {"draft", true}, {"dueDate", "2027-01-20"}});
  EXPECT_EQ(draft["status"], "draft");
  json other = api.Ok(
      "POST", "/invoices",
      {{"customerId", "CUST-002"}, {"amount", "5"}, {"draft", true}, {"dueDate", "2027-01-20"}});
  EXPECT_EQ(api.Walk("/invoices?status=draft", 1),
            (std::vector<std::string>{draft["id"], other["id"]}));
  json finalized = api.Ok("POST", "/invoices/" + draft["id"].get<std::string>() + "/finalize");
  EXPECT_EQ(finalized["status"], "pending");
  EXPECT_EQ(finalized["totalCents"], 4320);
  json deleted = api.Call("DELETE", "/invoices/" + other["id"].get<std::string>()).Json();
  EXPECT_EQ(deleted["id"], other["id"]);
  ExpectError(api.Call("GET", "/invoices/" + other["id"].get<std::string>()), 404, "not_found");

  // Pay the first in full (what it owes by default), mark the finalized draft paid.
  json payment = api.Ok("POST", "/invoices/" + id + "/pay");
  EXPECT_EQ(payment["object"], "payment");
  EXPECT_EQ(payment["amountCents"], 32400);
  EXPECT_EQ(api.Ok("GET", "/invoices/" + id)["status"], "paid");
  ExpectError(api.Call("POST", "/invoices/" + id + "/pay"), 422, "invalid_request_error");
  ExpectError(api.Call("POST", "/invoices/" + id + "/cancel"), 422, "invalid_request_error");
  json marked = api.Ok("POST", "/invoices/" + finalized["id"].get<std::string>() + "/mark-paid",
                       {{"paymentMethod", "bank_transfer"}});
  EXPECT_EQ(marked["status"], "paid");

  // Payments: retrieve, list by customer (newest first), refund part, list its refunds.
  const std::string pay_id = payment["id"];
  json got = api.Ok("GET", "/payments/" + pay_id);
  EXPECT_EQ(got["allocations"][0]["invoiceId"], id);
  json mine = api.Ok("GET", "/payments?customer=CUST-002&limit=100");
  ASSERT_GE(mine["data"].size(), 2u);
  for (const json& p : mine["data"]) EXPECT_EQ(p["customerId"], "CUST-002");
  EXPECT_EQ(mine["data"][1]["id"], pay_id);  // the mark-paid payment is newer
  json refund = api.Ok("POST", "/refunds", {{"paymentId", pay_id}, {"amount", "24.00"}});
  EXPECT_EQ(refund["object"], "refund");
  EXPECT_EQ(refund["amountCents"], 2400);
  ExpectError(api.Call("POST", "/refunds", {{"paymentId", pay_id}, {"amount", "1000"}}), 400,
              "invalid_request_error", "amount");
  json refunds = api.Ok("GET", "/refunds?payment=" + pay_id);
  ASSERT_EQ(refunds["data"].size(), 1u);
  EXPECT_EQ(refunds["data"][0]["id"], refund["id"]);
  json one_refund = api.Ok("GET", "/refunds/" + refund["id"].get<std::string>());
  EXPECT_EQ(one_refund["object"], "refund");
  EXPECT_EQ(one_refund["amountCents"], 2400);
  EXPECT_EQ(one_refund["currency"], "USD");
  EXPECT_EQ(one_refund["paymentId"], pay_id);
  ExpectError(api.Call("GET", "/refunds/RFD-404"), 404, "not_found");
  ExpectError(api.Call("GET", "/refunds"), 400, "invalid_request_error", "payment");

  // A credit note on a paid invoice, kept as credit; retrieve and list it by invoice.
  json note = api.Ok("POST", "/credit-notes",
                     {{"invoiceId", id},
                      {"amount", "10.80"},
                      {"refundTo", "credit"},
                      {"reason", "late delivery"}});
  EXPECT_EQ(note["object"], "credit_note");
  EXPECT_EQ(note["totalCents"], 1080);
  EXPECT_EQ(api.Ok("GET", "/credit-notes/" + note["id"].get<std::string>())["id"], note["id"]);
  json notes = api.Ok("GET", "/credit-notes?invoice=" + id);
  ASSERT_EQ(notes["data"].size(), 1u);
  EXPECT_EQ(api.Walk("/credit-notes", 1), std::vector<std::string>{note["id"]});

  // The list of all invoices, walked by threes while invoices are added (due later than every
  // other, so after the cursor): every invoice that existed is seen exactly once.
  std::vector<std::string> before = api.Walk("/invoices", 100);
  std::vector<std::string> walked;
  std::string cursor;
  for (int page = 0; page < 100; ++page) {
    std::string target = "/invoices?limit=3" + (cursor.empty() ? "" : "&startingAfter=" + cursor);
    json list = api.Ok("GET", target);
    for (const json& row : list["data"]) walked.push_back(row["id"]);
    api.Ok("POST", "/invoices",
           {{"customerId", "CUST-001"},
            {"amount", "1"},
            {"dueDate", "2027-06-0" + std::to_string(1 + page % 9)}});
    if (!list["hasMore"].get<bool>()) break;
    cursor = list["nextCursor"];
  }
  std::set<std::string> seen(walked.begin(), walked.end());
  EXPECT_EQ(seen.size(), walked.size()) << "a row was repeated";
  for (const std::string& existing : before) EXPECT_TRUE(seen.count(existing)) << existing;
}

TEST(rest_e2e, SubscriptionsPlansCouponsAndEvents) {
  ServerProcess server({}, {"--today", "2026-12-06", "--run-interval", "off"});
  ASSERT_TRUE(server.started()) << server.Log();
  Rest api{server};

  json plans = api.Ok("GET", "/plans?limit=100");
  ASSERT_FALSE(plans["data"].empty());
  const std::string plan = plans["data"][0]["id"];
  EXPECT_EQ(api.Ok("GET", "/plans/" + plan)["id"], plan);
  ExpectError(api.Call("GET", "/plans/PLAN-NOPE"), 404, "not_found");
  std::vector<std::string> plan_ids;
  for (const json& p : plans["data"]) plan_ids.push_back(p["id"]);
  EXPECT_EQ(api.Walk("/plans", 1), plan_ids);
  // A new plan joins the catalog; the same name again is a conflict; bad input names its field.
  json team = api.Ok("POST", "/plans",
                     {{"name", "Team Plan"}, {"price", "79.00"}, {"currency", "EUR"},
                      {"interval", "quarterly"}});
  EXPECT_EQ(team["object"], "plan");
  EXPECT_EQ(team["id"], "PLAN-TEAM-PLAN");
  EXPECT_EQ(api.Ok("GET", "/plans/PLAN-TEAM-PLAN")["name"], "Team Plan");
  ExpectError(api.Call("POST", "/plans", {{"name", "team plan"}, {"price", "1"}}), 409, "conflict");
  ExpectError(api.Call("POST", "/plans", {{"name", "Free"}, {"price", "0"}}), 400,
              "invalid_request_error", "price");
  // (The tool's schema refuses it; its message names the field, without a param.)
  ExpectError(api.Call("POST", "/plans", {{"name", "Weekly"}, {"price", "5"}, {"interval", "weekly"}}),
              400, "invalid_request_error");
  EXPECT_EQ(api.Ok("GET", "/plans?limit=100")["data"].size(), plan_ids.size() + 1);

  json coupon = api.Ok("POST", "/coupons",
                       {{"couponCode", "SPRING25"}, {"percentOff", 25}, {"duration", "once"}});
  EXPECT_EQ(coupon["object"], "coupon");
  ExpectError(api.Call("POST", "/coupons",
                       {{"couponCode", "SPRING25"}, {"percentOff", 25}, {"duration", "once"}}),
              409, "conflict");
  EXPECT_EQ(api.Ok("GET", "/coupons/spring25")["code"], "SPRING25");
  json coupons = api.Ok("GET", "/coupons");
  EXPECT_FALSE(coupons["data"].empty());

  json sub = api.Ok("POST", "/subscriptions", {{"customerId", "CUST-002"}, {"planId", plan}});
  EXPECT_EQ(sub["object"], "subscription");
  const std::string sub_id = sub["id"];
  EXPECT_EQ(api.Ok("GET", "/subscriptions/" + sub_id)["id"], sub_id);
  json more = api.Ok("POST", "/subscriptions", {{"customerId", "CUST-001"}, {"planId", plan}});
  EXPECT_EQ(api.Walk("/subscriptions?customer=CUST-002", 1), std::vector<std::string>{sub_id});
  std::vector<std::string> subs = api.Walk("/subscriptions", 1);
  EXPECT_EQ(std::set<std::string>(subs.begin(), subs.end()).size(), subs.size());
  EXPECT_EQ(std::count(subs.begin(), subs.end(), more["id"].get<std::string>()), 1)
      << more.dump() << api.Ok("GET", "/subscriptions?limit=100").dump();
  HttpResult changed = api.Call("PATCH", "/subscriptions/" + sub_id, {{"quantity", 3}});
  ASSERT_EQ(changed.status, 200) << changed.body;
  json canceled = api.Ok("POST", "/subscriptions/" + sub_id + "/cancel", {{"atPeriodEnd", true}});
  EXPECT_EQ(canceled["cancelAtPeriodEnd"], true);
  ExpectError(api.Call("POST", "/subscriptions", {{"customerId", "CUST-002"}, {"planId", "nope"}}),
              404, "not_found", "planId");

  EXPECT_EQ(api.Ok("POST", "/coupons/SPRING25/archive")["archived"], true);

  // Events: the changes above, oldest first; a type filter; one by id; a walk by twos.
  json created = api.Ok("GET", "/events?type=subscription.created&limit=100");
  ASSERT_EQ(created["data"].size(), 2u) << created.dump();
  EXPECT_EQ(created["data"][0]["objectId"], sub_id);
  const std::string event_id = created["data"][0]["id"];
  EXPECT_EQ(api.Ok("GET", "/events/" + event_id)["type"], "subscription.created");
  ExpectError(api.Call("GET", "/events/evt_nope"), 404, "not_found");
  std::vector<std::string> events = api.Walk("/events", 2);
  EXPECT_EQ(std::set<std::string>(events.begin(), events.end()).size(), events.size());
  EXPECT_EQ(api.Walk("/events", 100), events);
}

TEST(rest_e2e, AccessIdempotencyAndDeclinesUseTheV1Shapes) {
  ServerProcess server({{"BILLING_AUTH", "on"}, {"BILLING_PAYMENT_MODE", "decline"}},
                       {"--today", "2026-12-06", "--run-interval", "off"});
  ASSERT_TRUE(server.started()) << server.Log();
  Rest anonymous{server};
  ExpectError(anonymous.Call("GET", "/customers"), 401, "auth_error");
  Rest reader{server, {{"Authorization", BearerForNewKey(server, "read")}}};
  EXPECT_EQ(reader.Call("GET", "/customers").status, 200);
  ExpectError(reader.Call("POST", "/customers", {{"company", "Nope"}, {"email", "a@b.example"}}),
              403, "auth_error");
  Rest clerk{server, {{"Authorization", BearerForNewKey(server, "read,invoice,payment")}}};

  // The same Idempotency-Key and body: one invoice, the answer replayed.
  const json body = {{"customerId", "CUST-002"}, {"amount", "12"}, {"dueDate", "2027-01-05"}};
  HttpResult first = clerk.Call("POST", "/invoices", body, {{"Idempotency-Key", "inv-1"}});
  ASSERT_EQ(first.status, 200) << first.body;
  HttpResult again = clerk.Call("POST", "/invoices", body, {{"Idempotency-Key", "inv-1"}});
  EXPECT_EQ(again.status, 200);
  EXPECT_EQ(again.body, first.body);
  EXPECT_EQ(again.headers["idempotent-replayed"], "true");
  json other = body;
  other["amount"] = "13";
  ExpectError(clerk.Call("POST", "/invoices", other, {{"Idempotency-Key", "inv-1"}}), 422,
              "invalid_request_error");
  json list = clerk.Ok("GET", "/invoices?customer=CUST-002&status=pending&limit=100");
  int with_amount = 0;
  for (const json& inv : list["data"]) with_amount += inv["subtotalCents"] == 1200;
  EXPECT_EQ(with_amount, 1);

  // A declined charge: 402 card_error with the failed payment, which was recorded.
  HttpResult declined =
      clerk.Call("POST", "/payments", {{"customerId", "CUST-002"}, {"amount", "12.96"}});
  ExpectError(declined, 402, "card_error");
  const json failed = declined.Json()["error"]["payment"];
  EXPECT_EQ(failed["status"], "failed");
  EXPECT_EQ(clerk.Ok("GET", "/payments/" + failed["id"].get<std::string>())["status"], "failed");
  json failures = clerk.Ok("GET", "/payments?status=failed&limit=100");
  EXPECT_EQ(failures["data"][0]["id"], failed["id"]);
}

}  // namespace
}  // namespace billing::e2e
