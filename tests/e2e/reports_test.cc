// The billing reports through the real binary (docs/reports.md): REST /api/v1/reports/* in JSON
// and CSV agree with each other and with the invoices the API lists; the tool answers the same
// report; a read-only key reads them; a customer-bound key gets its own aging only. Runs on
// SQLite and, as pg.reports_e2e.*, on PostgreSQL.
#include <gtest/gtest.h>

#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "e2e/server_harness.h"

namespace billing::e2e {
namespace {

using nlohmann::json;

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find("\r\n", start);
    if (end == std::string::npos) end = text.size();
    out.push_back(text.substr(start, end - start));
    start = end + 2;
  }
  return out;
}

TEST(reports_e2e, JsonCsvAndTheToolShowTheSameFiguresToWhoMaySeeThem) {
  ServerProcess server({{"BILLING_AUTH", "on"}, {"BILLING_PAYMENT_MODE", "approve"}},
                       {"--today", "2026-12-07", "--run-interval", "off"});
  ASSERT_TRUE(server.started()) << server.Log();
  const std::string admin = BearerForNewKey(server, "admin");
  const std::map<std::string, std::string> as_admin = {{"Authorization", admin}};
  for (const auto& [customer, amount, due] :
       std::vector<std::tuple<std::string, std::string, std::string>>{
           {"CUST-001", "100", "2027-01-05"},
           {"CUST-002", "250.50", "2026-12-20"},
           {"CUST-005", "70", "2027-02-01"}}) {
    HttpResult r =
        server.PostJson("/api/v1/invoices",
                        {{"customerId", customer}, {"amount", amount}, {"dueDate", due}}, as_admin);
    ASSERT_EQ(r.status, 200) << r.body;
  }
  HttpResult pay =
      server.PostJson("/api/v1/payments", {{"customerId", "CUST-001"}, {"amount", "30"}}, as_admin);
  ASSERT_EQ(pay.status, 200) << pay.body;

  // Aging: the totals are the amounts due on the open invoices the API lists.
  HttpResult aging = server.Get("/api/v1/reports/aging", as_admin);
  ASSERT_EQ(aging.status, 200) << aging.body;
  const json report = aging.Json();
  EXPECT_EQ(report["object"], "report");
  std::map<std::string, int64_t> due_by_currency;
  for (const std::string status : {"pending", "overdue"}) {  // open: not yet due, or past due
    std::string cursor;
    for (int page = 0; page < 50; ++page) {
      HttpResult list =
          server.Get("/api/v1/invoices?status=" + status + "&limit=100" +
                         (cursor.empty() ? std::string() : "&startingAfter=" + cursor),
                     as_admin);
      ASSERT_EQ(list.status, 200) << list.body;
      const json body = list.Json();
      for (size_t k = 0; k < body["data"].size(); ++k) {
        const json& inv = body["data"][k];
        due_by_currency[inv["currency"].get<std::string>()] += inv["amountDueCents"].get<int64_t>();
      }
      if (!body["hasMore"].get<bool>()) break;
      cursor = body["nextCursor"].get<std::string>();
    }
  }
  std::map<std::string, int64_t> reported;
  for (size_t k = 0; k < report["totals"].size(); ++k) {
    const json& t = report["totals"][k];
    reported[t["currency"].get<std::string>()] = t["totalCents"].get<int64_t>();
  }
  EXPECT_EQ(reported, due_by_currency) << aging.body;

  // CSV: a header and one line per row, the same figures.
  HttpResult csv = server.Get("/api/v1/reports/aging?format=csv", as_admin);
  ASSERT_EQ(csv.status, 200) << csv.body;
  EXPECT_EQ(csv.headers["content-type"], "text/csv; charset=utf-8");
  EXPECT_NE(csv.headers["content-disposition"].find("attachment"), std::string::npos);
  const std::vector<std::string> lines = Lines(csv.body);
  ASSERT_EQ(lines.size(), report["rows"].size() + 1) << csv.body;
  EXPECT_EQ(lines[0].rfind("customerId,company,currency,current,", 0), 0u) << lines[0];
  int64_t csv_total_usd = 0;
  for (size_t k = 1; k < lines.size(); ++k) {
    // The last column is totalCents, the third the currency (companies hold no comma here).
    std::vector<std::string> cells;
    std::stringstream in(lines[k]);
    for (std::string cell; std::getline(in, cell, ',');) cells.push_back(cell);
    if (cells.at(2) == "USD") csv_total_usd += std::stoll(cells.back());
  }
  EXPECT_EQ(csv_total_usd, due_by_currency["USD"]);

  // Revenue and MRR, and the tool's answer is the REST one.
  HttpResult revenue = server.Get("/api/v1/reports/revenue?from=2026-12&to=2026-12", as_admin);
  ASSERT_EQ(revenue.status, 200) << revenue.body;
  json usd;
  for (size_t k = 0; k < revenue.Json()["rows"].size(); ++k) {
    if (revenue.Json()["rows"][k]["currency"] == "USD") usd = revenue.Json()["rows"][k];
  }
  EXPECT_GE(usd["collectedCents"].get<int64_t>(), 3000) << revenue.body;
  int status = 0;
  json tool =
      Tool(server, "billing-reports",
           {{"action", "revenue"}, {"from", "2026-12"}, {"to", "2026-12"}}, as_admin, &status);
  EXPECT_EQ(status, 200);
  EXPECT_EQ(tool["rows"], revenue.Json()["rows"]);
  HttpResult mrr = server.Get("/api/v1/reports/mrr", as_admin);
  EXPECT_EQ(mrr.status, 200) << mrr.body;
  HttpResult success = server.Get("/api/v1/reports/payment-success?method=credit_card", as_admin);
  EXPECT_EQ(success.status, 200) << success.body;

  // Lifetime value pages by customer id; the forecast holds this month and the next two.
  HttpResult ltv = server.Get("/api/v1/reports/ltv?limit=2", as_admin);
  ASSERT_EQ(ltv.status, 200) << ltv.body;
  ASSERT_EQ(ltv.Json()["rows"].size(), 2u) << ltv.body;
  EXPECT_EQ(ltv.Json()["hasMore"], true);
  HttpResult next = server.Get(
      "/api/v1/reports/ltv?limit=2&startingAfter=" + ltv.Json()["nextCursor"].get<std::string>(),
      as_admin);
  ASSERT_EQ(next.status, 200) << next.body;
  EXPECT_GT(next.Json()["rows"][0]["customerId"].get<std::string>(),
            ltv.Json()["rows"][1]["customerId"].get<std::string>());
  EXPECT_EQ(server.Get("/api/v1/reports/ltv?limit=0", as_admin).status, 400);
  HttpResult forecast = server.Get("/api/v1/reports/forecast?format=csv", as_admin);
  ASSERT_EQ(forecast.status, 200) << forecast.body;
  EXPECT_EQ(Lines(forecast.body)[0].rfind("month,currency,openInvoices,", 0), 0u) << forecast.body;
  EXPECT_NE(forecast.body.find("2027-01"), std::string::npos) << forecast.body;

  // Errors name the parameter.
  HttpResult bad = server.Get("/api/v1/reports/revenue?from=2026-13", as_admin);
  EXPECT_EQ(bad.status, 400) << bad.body;
  EXPECT_EQ(bad.Json()["error"]["param"], "from") << bad.body;

  // A read-only key reads them; a bound key sees its own aging and no company report.
  const std::map<std::string, std::string> reader = {
      {"Authorization", BearerForNewKey(server, "read")}};
  EXPECT_EQ(server.Get("/api/v1/reports/revenue", reader).status, 200);
  CommandResult made = RunAgentCommand(
      {"keys", "create", "--db", server.db_path(), "--scopes", "read", "--customer", "CUST-002"});
  ASSERT_EQ(made.exit_code, 0) << made.err;
  const std::map<std::string, std::string> bound = {
      {"Authorization", "Bearer " + made.out.substr(0, made.out.find('\n'))}};
  HttpResult own = server.Get("/api/v1/reports/aging", bound);
  ASSERT_EQ(own.status, 200) << own.body;
  ASSERT_EQ(own.Json()["rows"].size(), 1u) << own.body;
  EXPECT_EQ(own.Json()["rows"][0]["customerId"], "CUST-002");
  EXPECT_EQ(server.Get("/api/v1/reports/aging?customer=CUST-001", bound).status, 404);
  EXPECT_EQ(server.Get("/api/v1/reports/revenue", bound).status, 403);
  EXPECT_EQ(server.Get("/api/v1/reports/mrr?format=csv", bound).status, 403);
  EXPECT_EQ(server.Get("/api/v1/reports/forecast", bound).status, 403);
  HttpResult own_ltv = server.Get("/api/v1/reports/ltv", bound);
  ASSERT_EQ(own_ltv.status, 200) << own_ltv.body;
  ASSERT_EQ(own_ltv.Json()["rows"].size(), 1u) << own_ltv.body;
  EXPECT_EQ(own_ltv.Json()["rows"][0]["customerId"], "CUST-002");
}

}  // namespace
}  // namespace billing::e2e
