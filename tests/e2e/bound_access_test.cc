// Customer-bound credentials through the real binary (integration.md "Access";
// tools/customer_binding.h): a key made with `keys create --customer CUST-001`, and a JWT with
// claim customer_id, walk every REST v1 route (from the OpenAPI document) and every tool action
// against another customer's ids. Other customers' records answer 404 exactly as absent ones
// do, lists hold only the caller's records, actions across customers are 403, the agent finds
// nothing of another customer, and the other customer's records are unchanged afterwards.
// Runs on both backends (pg.bound_access_e2e.*).
#include <gtest/gtest.h>

#include <ctime>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "auth/jwt.h"
#include "e2e/server_harness.h"

namespace billing::e2e {
namespace {

using nlohmann::json;

constexpr const char* kJwtSecret = "bound-access-test-secret-0123456789abcdef";
constexpr const char* kMine = "CUST-001";
constexpr const char* kOther = "CUST-002";
constexpr const char* kAllScopes = "read,invoice,payment,refund,subscriptions,customers";

std::string BearerForBoundKey(const ServerProcess& server, const std::string& customer) {
  CommandResult r = RunAgentCommand(
      {"keys", "create", "--db", server.db_path(), "--scopes", kAllScopes, "--customer", customer});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("bound to " + customer), std::string::npos) << r.err;
  return "Bearer " + r.out.substr(0, r.out.find('\n'));
}

struct Records {
  std::string invoice, draft, payment, credit_note, subscription, refund;
};

// Each customer's invoice, draft, payment, credit note and subscription, made by an admin.
Records MakeRecords(ServerProcess& server, const std::string& admin, const std::string& customer) {
  auto post = [&](const std::string& path, const json& body) {
    HttpResult r = server.PostJson("/api/v1" + path, body, {{"Authorization", admin}});
    EXPECT_EQ(r.status, 200) << path << ": " << r.body;
    return r.Json();
  };
  Records out;
  out.invoice = post(
      "/invoices", {{"customerId", customer}, {"amount", "100"}, {"dueDate", "2027-01-05"}})["id"];
  out.draft = post("/invoices", {{"customerId", customer},
                                 {"amount", "5"},
                                 {"draft", true},
                                 {"dueDate", "2027-01-05"}})["id"];
  out.payment = post("/invoices/" + out.invoice + "/pay", json::object())["id"];
  out.credit_note =
      post("/credit-notes",
           {{"invoiceId", out.invoice}, {"amount", "1.08"}, {"refundTo", "credit"}})["id"];
  out.subscription =
      post("/subscriptions", {{"customerId", customer}, {"planId", "PLAN-BASIC"}})["id"];
  out.refund = post("/refunds", {{"paymentId", out.payment}, {"amount", "1"}})["id"];
  return out;
}

// The error of an answer, without the id it names: what "exactly as absent" compares.
json ErrorShape(const HttpResult& r, const std::string& id) {
  json e = r.Json()["error"];
  std::string message = e.value("message", "");
  if (size_t at = message.find(id); at != std::string::npos) message.replace(at, id.size(), "<id>");
  e["message"] = message;
  return {{"status", r.status}, {"error", e}};
}

class bound_access_e2e : public ::testing::Test {
 protected:
  bound_access_e2e()
      : server_({{"BILLING_AUTH", "on"},
                 {"BILLING_PAYMENT_MODE", "approve"},
                 {"BILLING_JWT_SECRET", kJwtSecret}},
                {"--today", "2026-12-06", "--run-interval", "off"}) {}

  void SetUp() override {
    ASSERT_TRUE(server_.started()) << server_.Log();
    admin_ = BearerForNewKey(server_, "admin");
    mine_ = MakeRecords(server_, admin_, kMine);
    other_ = MakeRecords(server_, admin_, kOther);
  }

  HttpResult Call(const std::string& auth, const std::string& method, const std::string& target,
                  const json& body = nullptr) {
    std::map<std::string, std::string> headers = {{"Authorization", auth}};
    if (!body.is_null()) headers["Content-Type"] = "application/json";
    return server_.Request(method, target, body.is_null() ? "" : body.dump(), headers);
  }

  // Everything an admin sees of the other customer: must be the same after the walk.
  json OtherCustomersRecords() {
    json out;
    for (const std::string& path :
         {"/api/v1/customers/" + std::string(kOther), "/api/v1/invoices/" + other_.invoice,
          "/api/v1/invoices/" + other_.draft, "/api/v1/payments/" + other_.payment,
          "/api/v1/subscriptions/" + other_.subscription,
          "/api/v1/credit-notes/" + other_.credit_note, "/api/v1/refunds/" + other_.refund}) {
      out[path] = Call(admin_, "GET", path).Json();
    }
    return out;
  }

  ServerProcess server_;
  std::string admin_;
  Records mine_, other_;
};

TEST_F(bound_access_e2e, EveryRestRouteKeepsABoundKeyToItsCustomer) {
  const std::string bound = BearerForBoundKey(server_, kMine);
  const json before = OtherCustomersRecords();
  // Another customer's id for each resource, and one that names nothing in the same form.
  const std::map<std::string, std::pair<std::string, std::string>> ids = {
      {"customers", {kOther, "CUST-404"}},
      {"invoices", {other_.invoice, "INV-2026-404"}},
      {"payments", {other_.payment, "PAY-404"}},
      {"subscriptions", {other_.subscription, "SUB-404"}},
      {"credit-notes", {other_.credit_note, "CN-2026-404"}},
      {"refunds", {other_.refund, "RFD-404"}}};

  json doc = server_.Get("/api/openapi.json").Json();
  int walked = 0;
  for (const auto& [path, operations] : doc["paths"].items()) {
    if (path.rfind("/api/v1/", 0) != 0) continue;
    const std::string resource = path.substr(8, path.find('/', 8) - 8);
    const bool has_id = path.find('{') != std::string::npos;
    for (const auto& [method_lower, op] : operations.items()) {
      std::string method = method_lower;
      for (char& c : method) c = char(std::toupper(static_cast<unsigned char>(c)));
      SCOPED_TRACE(method + " " + path);
      ++walked;
      const json body = method == "GET" || method == "DELETE" ? json() : json::object();
      if (has_id && ids.count(resource)) {
        // Another customer's record answers exactly as a record that does not exist.
        const auto& [theirs, none] = ids.at(resource);
        std::string with_theirs = path, with_none = path;
        with_theirs.replace(path.find('{'), path.find('}') - path.find('{') + 1, theirs);
        with_none.replace(path.find('{'), path.find('}') - path.find('{') + 1, none);
        HttpResult a = Call(bound, method, with_theirs, body);
        HttpResult b = Call(bound, method, with_none, body);
        EXPECT_EQ(a.status, 404) << a.body;
        EXPECT_EQ(ErrorShape(a, theirs), ErrorShape(b, none));
        continue;
      }
      if (method == "GET" && resource == "reports") {
        // Its own customer's aging; the company's reports are not its.
        HttpResult r = Call(bound, "GET", path);
        if (path == "/api/v1/reports/aging" || path == "/api/v1/reports/ltv") {
          ASSERT_EQ(r.status, 200) << r.body;
          const json rows = r.Json()["rows"];
          ASSERT_FALSE(rows.empty()) << r.body;
          for (const json& row : rows) EXPECT_EQ(row["customerId"], kMine) << row.dump();
          HttpResult theirs = Call(bound, "GET", path + "?customer=" + kOther);
          HttpResult none = Call(bound, "GET", path + "?customer=CUST-404");
          EXPECT_EQ(theirs.status, 404) << theirs.body;
          EXPECT_EQ(ErrorShape(theirs, kOther), ErrorShape(none, "CUST-404"));
        } else {
          EXPECT_EQ(r.status, 403) << r.body;
        }
        continue;
      }
      if (method == "GET" && !has_id) {
        HttpResult list = Call(bound, "GET", path + "?limit=100");
        if (resource == "plans" || resource == "coupons") {
          EXPECT_EQ(list.status, 200) << list.body;  // the catalog, the same for everyone
        } else if (resource == "customers" || resource == "invoices" || resource == "payments" ||
                   resource == "subscriptions") {
          ASSERT_EQ(list.status, 200) << list.body;
          const json rows = list.Json()["data"];  // kept: a loop over a temporary's member dangles
          ASSERT_FALSE(rows.empty()) << list.body;
          for (const json& row : rows) {
            EXPECT_EQ(row.value("customerId", row.value("id", "")), kMine) << row.dump();
          }
          // Asking for another customer's records: as if that customer did not exist.
          if (resource != "customers") {
            HttpResult theirs = Call(bound, "GET", path + "?customer=" + kOther);
            EXPECT_EQ(theirs.status, 404) << theirs.body;
          }
        } else {
          // Events span customers; credit notes and refunds must name an owned record.
          EXPECT_EQ(list.status, 403) << list.body;
        }
      }
    }
  }
  EXPECT_GT(walked, 35);

  // Lists that name an owned record work; naming another's is 404.
  EXPECT_EQ(Call(bound, "GET", "/api/v1/credit-notes?invoice=" + mine_.invoice).status, 200);
  EXPECT_EQ(Call(bound, "GET", "/api/v1/credit-notes?invoice=" + other_.invoice).status, 404);
  EXPECT_EQ(Call(bound, "GET", "/api/v1/refunds?payment=" + mine_.payment).status, 200);
  EXPECT_EQ(Call(bound, "GET", "/api/v1/refunds?payment=" + other_.payment).status, 404);
  // Creates that name another customer's records, and catalog changes.
  const std::vector<std::pair<std::string, json>> creates = {
      {"/api/v1/invoices", {{"customerId", kOther}, {"amount", "1"}, {"dueDate", "2027-01-05"}}},
      {"/api/v1/payments", {{"customerId", kOther}, {"amount", "1"}}},
      {"/api/v1/payments", {{"amount", "1"}, {"invoiceId", other_.invoice}}},
      {"/api/v1/refunds", {{"paymentId", other_.payment}, {"amount", "1"}}},
      {"/api/v1/credit-notes", {{"invoiceId", other_.invoice}, {"amount", "1"}}},
      {"/api/v1/subscriptions", {{"customerId", kOther}, {"planId", "PLAN-BASIC"}}}};
  for (const auto& [path, body] : creates) {
    HttpResult r = Call(bound, "POST", path, body);
    EXPECT_EQ(r.status, 404) << path << " " << body.dump() << ": " << r.body;
  }
  EXPECT_EQ(
      Call(bound, "POST", "/api/v1/customers", {{"company", "X"}, {"email", "x@x.example"}}).status,
      403);
  EXPECT_EQ(
      Call(bound, "POST", "/api/v1/plans", {{"name", "Mine only"}, {"price", "5"}}).status, 403);
  EXPECT_EQ(Call(bound, "POST", "/api/v1/coupons",
                 {{"couponCode", "MINE"}, {"percentOff", 5}, {"duration", "once"}})
                .status,
            403);
  // The routes beside v1 that span customers.
  EXPECT_EQ(Call(bound, "GET", "/api/events").status, 403);
  EXPECT_EQ(Call(bound, "POST", "/api/billing-runs", json::object()).status, 403);

  // Its own records: reachable, and changeable.
  EXPECT_EQ(Call(bound, "GET", "/api/v1/invoices/" + mine_.invoice).status, 200);
  EXPECT_EQ(Call(bound, "POST", "/api/v1/invoices", {{"amount", "3"}, {"dueDate", "2027-01-05"}})
                .Json()["customerId"],
            kMine);
  EXPECT_EQ(OtherCustomersRecords(), before);
}

TEST_F(bound_access_e2e, EveryToolActionAndTheAgentKeepABoundCallerToItsCustomer) {
  const int64_t now = std::time(nullptr);
  const std::string token =
      "Bearer " +
      SignJwtHs256(json({{"sub", "portal"},
                         {"scope", "read invoice payment refund subscriptions customers"},
                         {"customer_id", kMine},
                         {"exp", now + 600}})
                       .dump(),
                   kJwtSecret);
  const json before = OtherCustomersRecords();
  struct Case {
    std::string tool;
    json data;
    std::string expected;  // "NOT_FOUND", "PERMISSION_DENIED", or "MINE" (a list of its own)
  };
  const std::vector<Case> cases = {
      {"get-customer", {{"customerId", kOther}}, "NOT_FOUND"},
      {"get-customer", {{"status", "active"}}, "MINE"},
      {"manage-customers",
       {{"action", "create"}, {"company", "X"}, {"email", "x@x.example"}},
       "PERMISSION_DENIED"},
      {"manage-customers",
       {{"action", "update"}, {"customerId", kOther}, {"contactName", "Eve"}},
       "NOT_FOUND"},
      {"manage-customers", {{"action", "suspend"}, {"customerId", kOther}}, "NOT_FOUND"},
      {"manage-customers", {{"action", "reinstate"}, {"customerId", kOther}}, "NOT_FOUND"},
      {"manage-invoices",
       {{"action", "create"}, {"customerId", kOther}, {"amount", "1"}, {"dueDate", "2027-01-05"}},
       "NOT_FOUND"},
      {"manage-invoices", {{"action", "get"}, {"invoiceId", other_.invoice}}, "NOT_FOUND"},
      {"manage-invoices", {{"action", "list"}}, "MINE"},
      {"manage-invoices", {{"action", "list"}, {"customerId", kOther}}, "NOT_FOUND"},
      {"manage-invoices",
       {{"action", "update"}, {"invoiceId", other_.invoice}, {"notes", "x"}},
       "NOT_FOUND"},
      {"manage-invoices", {{"action", "mark_paid"}, {"invoiceId", other_.invoice}}, "NOT_FOUND"},
      {"manage-invoices", {{"action", "cancel"}, {"invoiceId", other_.invoice}}, "NOT_FOUND"},
      {"manage-invoices", {{"action", "finalize"}, {"invoiceId", other_.draft}}, "NOT_FOUND"},
      {"manage-invoices", {{"action", "delete"}, {"invoiceId", other_.draft}}, "NOT_FOUND"},
      {"manage-invoices",
       {{"action", "credit_note"}, {"invoiceId", other_.invoice}, {"amount", "1"}},
       "NOT_FOUND"},
      {"manage-invoices",
       {{"action", "create_coupon"}, {"couponCode", "X1"}, {"percentOff", 5}, {"duration", "once"}},
       "PERMISSION_DENIED"},
      {"manage-invoices",
       {{"action", "archive_coupon"}, {"couponCode", "X1"}},
       "PERMISSION_DENIED"},
      {"process-payment",
       {{"action", "process"}, {"customerId", kOther}, {"amount", "1"}},
       "NOT_FOUND"},
      {"process-payment",
       {{"action", "process"}, {"invoiceId", other_.invoice}, {"amount", "1"}},
       "NOT_FOUND"},
      {"process-payment", {{"action", "refund"}, {"paymentId", other_.payment}}, "NOT_FOUND"},
      {"process-payment", {{"action", "history"}, {"customerId", kOther}}, "NOT_FOUND"},
      {"process-payment", {{"action", "list_failed"}, {"customerId", kOther}}, "NOT_FOUND"},
      {"process-payment",
       {{"action", "list"}, {"from", "2020-01-01"}, {"to", "2026-12-06"}},
       "MINE"},
      {"manage-subscriptions",
       {{"action", "create"}, {"customerId", kOther}, {"planId", "PLAN-BASIC"}},
       "NOT_FOUND"},
      {"manage-subscriptions",
       {{"action", "get"}, {"subscriptionId", other_.subscription}},
       "NOT_FOUND"},
      {"manage-subscriptions",
       {{"action", "change"}, {"subscriptionId", other_.subscription}, {"quantity", 2}},
       "NOT_FOUND"},
      {"manage-subscriptions",
       {{"action", "cancel"}, {"subscriptionId", other_.subscription}},
       "NOT_FOUND"},
      {"manage-subscriptions", {{"action", "list"}}, "MINE"},
      {"manage-subscriptions", {{"action", "renewals"}, {"days", 30}}, "PERMISSION_DENIED"},
      {"manage-subscriptions", {{"action", "dunning"}}, "PERMISSION_DENIED"},
      {"manage-subscriptions",
       {{"action", "create_plan"}, {"name", "Mine only"}, {"price", "5"}},
       "PERMISSION_DENIED"},
      {"billing-reports", {{"action", "aging"}}, "MINE"},
      {"billing-reports", {{"action", "aging"}, {"customerId", kOther}}, "NOT_FOUND"},
      {"billing-reports", {{"action", "revenue"}}, "PERMISSION_DENIED"},
      {"billing-reports", {{"action", "mrr"}}, "PERMISSION_DENIED"},
      {"billing-reports", {{"action", "payment_success"}}, "PERMISSION_DENIED"},
      {"billing-reports", {{"action", "ltv"}}, "MINE"},
      {"billing-reports", {{"action", "ltv"}, {"customerId", kOther}}, "NOT_FOUND"},
      {"billing-reports", {{"action", "forecast"}}, "PERMISSION_DENIED"},
  };
  // Every action of every tool is walked.
  std::map<std::string, std::set<std::string>> covered;
  for (const Case& c : cases) covered[c.tool].insert(c.data.value("action", "get"));
  json tools = server_.Get("/api/tools", {{"Authorization", admin_}}).Json();
  for (const auto& [key, tool] : tools.items()) {
    json schema = json::parse(tool["inputSchema"].get<std::string>())["json"];
    if (!schema["properties"].contains("action")) continue;
    for (const json& action : schema["properties"]["action"]["enum"]) {
      const std::string a = action;
      if (a == "list_coupons" || a == "list_plans") continue;  // the catalog
      EXPECT_TRUE(covered[tool["id"]].count(a)) << tool["id"] << " " << a << " is not walked";
    }
  }
  for (const std::string& auth : {BearerForBoundKey(server_, kMine), token}) {
    for (const Case& c : cases) {
      SCOPED_TRACE(c.tool + " " + c.data.dump());
      int status = 0;
      json result = Tool(server_, c.tool, c.data, {{"Authorization", auth}}, &status);
      if (c.expected == "MINE") {
        ASSERT_EQ(result["success"], true) << result.dump();
        const std::string text = result.dump();
        EXPECT_EQ(text.find(kOther), std::string::npos) << text;
        EXPECT_NE(text.find(kMine), std::string::npos) << text;
        continue;
      }
      if (c.expected == "PERMISSION_DENIED") {
        // The tool routes answer a denied call with 403 {"error": ...} (docs/http.md).
        EXPECT_EQ(status, 403) << result.dump();
        EXPECT_NE(result.value("error", "").find("customer-bound"), std::string::npos)
            << result.dump();
        continue;
      }
      EXPECT_EQ(result.value("code", ""), c.expected) << result.dump();
      EXPECT_EQ(status, 200) << result.dump();
    }
    // The agent: another customer's details are not found; its own are shown.
    HttpResult theirs =
        server_.Ask("Show me billing details for customer CUST-002", {{"Authorization", auth}});
    ASSERT_EQ(theirs.status, 200) << theirs.body;
    const std::string text = theirs.Json()["text"];
    EXPECT_EQ(text.find("StartupHub"), std::string::npos) << text;
    EXPECT_NE(text.find("not found"), std::string::npos) << text;
    HttpResult all = server_.Ask("List all overdue invoices", {{"Authorization", auth}});
    EXPECT_EQ(all.body.find(other_.invoice), std::string::npos) << all.body;
  }
  EXPECT_EQ(OtherCustomersRecords(), before);

  // A key for a customer that does not exist is refused.
  CommandResult none = RunAgentCommand(
      {"keys", "create", "--db", server_.db_path(), "--scopes", "read", "--customer", "CUST-404"});
  EXPECT_EQ(none.exit_code, 2) << none.err;
  CommandResult keys = RunAgentCommand({"keys", "list", "--db", server_.db_path()});
  EXPECT_EQ(keys.out.find("CUST-404"), std::string::npos) << keys.out;  // no key was made
}

// Conversation memory: a bound caller's threads live in its own namespace. Another caller's
// thread (which may quote other customers) answers 404 as if absent on every memory route, the
// agent cannot continue it, and the caller's own threads read back under the ids it gave.
TEST_F(bound_access_e2e, MemoryThreadsAreTheBoundCallersOwn) {
  const std::string bound = BearerForBoundKey(server_, kMine);
  auto ask = [&](const std::string& auth, const std::string& thread, const std::string& resource,
                 const std::string& prompt) {
    return server_.PostJson(
        "/api/agents/billingApiAgent/generate",
        {{"messages", json::array({{{"role", "user"}, {"content", prompt}}})},
         {"memory", {{"thread", thread}, {"resource", resource}}}},
        {{"Authorization", auth}});
  };
  HttpResult staff =
      ask(admin_, "t-staff", "staff-1", "Show me billing details for customer CUST-002");
  ASSERT_EQ(staff.status, 200) << staff.body;
  ASSERT_NE(staff.body.find("StartupHub"), std::string::npos) << staff.body;
  const json staff_thread = Call(admin_, "GET", "/api/memory/threads/t-staff").Json();
  ASSERT_EQ(staff_thread["resourceId"], "staff-1") << staff_thread.dump();

  // Every memory route, against the staff thread and against one that does not exist.
  for (const std::string& id : {std::string("t-staff"), std::string("t-absent")}) {
    SCOPED_TRACE(id);
    const std::string path = "/api/memory/threads/" + id;
    std::vector<HttpResult> answers = {
        Call(bound, "GET", path),
        Call(bound, "GET", path + "/messages"),
        Call(bound, "GET", path + "/messages?page=0&perPage=10"),
        Call(bound, "PATCH", path, {{"title", "mine"}}),
        Call(bound, "DELETE", path),
    };
    for (const HttpResult& r : answers) {
      EXPECT_EQ(r.status, 404) << r.body;
      EXPECT_EQ(r.Json(), json({{"error", "Thread not found"}})) << r.body;
    }
  }
  HttpResult list = Call(bound, "GET", "/api/memory/threads?resourceId=staff-1&page=0&perPage=10");
  ASSERT_EQ(list.status, 200) << list.body;
  EXPECT_EQ(list.Json()["total"], 0) << list.body;
  EXPECT_EQ(Call(bound, "GET", "/api/memory/threads?resourceid=staff-1").Json(), json::array());
  EXPECT_EQ(Call(bound, "GET", "/api/memory/threads?page=0&perPage=10").status, 400);
  // The agent does not continue another caller's thread, nor show what it holds.
  HttpResult hijack = ask(bound, "t-staff", "staff-1", "What did we just talk about?");
  EXPECT_NE(hijack.status, 200) << hijack.body;
  EXPECT_EQ(hijack.body.find("StartupHub"), std::string::npos) << hijack.body;
  EXPECT_EQ(Call(admin_, "GET", "/api/memory/threads/t-staff").Json(), staff_thread);

  // Its own thread: made by the agent, read back under the resource id it gave.
  HttpResult own =
      ask(bound, "t-portal", "staff-1", "Show me billing details for customer CUST-001");
  ASSERT_EQ(own.status, 200) << own.body;
  json mine = Call(bound, "GET", "/api/memory/threads?resourceId=staff-1&page=0&perPage=10").Json();
  ASSERT_EQ(mine["total"], 1) << mine.dump();
  EXPECT_EQ(mine["threads"][0]["id"], "t-portal");
  EXPECT_EQ(mine["threads"][0]["resourceId"], "staff-1");
  json messages =
      Call(bound, "GET", "/api/memory/threads/t-portal/messages?page=0&perPage=10").Json();
  EXPECT_GE(messages["total"].get<int>(), 2) << messages.dump();
  EXPECT_EQ(messages.dump().find(kOther), std::string::npos) << messages.dump();
  // Staff see where it lives.
  EXPECT_EQ(Call(admin_, "GET", "/api/memory/threads/t-portal").Json()["resourceId"],
            "customer/CUST-001/staff-1");
  // A resource id that leaves no room for the namespace is refused, naming the field, and
  // nothing is saved.
  const int64_t threads_before =
      Call(admin_, "GET", "/api/memory/threads?page=0&perPage=1").Json()["total"];
  HttpResult long_id = ask(bound, "t-long", std::string(250, 'r'), "Show me CUST-001");
  EXPECT_EQ(long_id.status, 400) << long_id.body;
  EXPECT_NE(long_id.body.find("memory.resource"), std::string::npos) << long_id.body;
  EXPECT_EQ(Call(admin_, "GET", "/api/memory/threads?page=0&perPage=1").Json()["total"],
            threads_before);
  // A key bound to the other customer does not see it.
  const std::string other = BearerForBoundKey(server_, kOther);
  EXPECT_EQ(Call(other, "GET", "/api/memory/threads/t-portal").status, 404);
}

}  // namespace
}  // namespace billing::e2e
