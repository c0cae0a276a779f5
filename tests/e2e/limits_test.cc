// Input limits against the real binary: every limit answers with a clear 400, 413 or 431 that
// names the limit, changes nothing, and leaves the server serving. (Tool inputs over a limit, such
// as a page size above 100, follow Mastra's tool-validation shape instead: 200 with error:true
// naming the field; see docs/http.md.)
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>

#include "e2e/server_harness.h"

namespace billing::e2e {
namespace {

using nlohmann::json;

const char* const kGenerate = "/api/agents/billingApiAgent/generate";

std::string Error(const HttpResult& r) {
  json j = json::parse(r.body, nullptr, false);
  return j.is_object() && j.contains("error") && j["error"].is_string()
             ? j["error"].get<std::string>()
             : "";
}

TEST(limits_http, EveryHttpLimitIsAClearClientError) {
  ServerProcess server;
  ASSERT_TRUE(server.started()) << server.Log();
  const std::map<std::string, std::string> kJson = {{"Content-Type", "application/json"}};

  // Body size: 4.5 MiB, as Mastra.
  HttpResult big = server.Request("POST", kGenerate,
                                  "{\"messages\":\"" + std::string(5 << 20, 'a') + "\"}", kJson);
  EXPECT_EQ(big.status, 413);
  EXPECT_EQ(Error(big), "Request body too large");

  // JSON nesting: at most 64 levels.
  const std::string deep =
      "{\"messages\":\"hi\",\"x\":" + std::string(65, '[') + std::string(65, ']') + "}";
  HttpResult nested = server.Request("POST", kGenerate, deep, kJson);
  EXPECT_EQ(nested.status, 400) << nested.body;
  EXPECT_NE(Error(nested).find("64"), std::string::npos) << nested.body;

  // Headers: at most 16 KiB.
  HttpResult header =
      server.Request("GET", "/api/tools", "", {{"X-Padding", std::string(20 << 10, 'h')}});
  EXPECT_EQ(header.status, 431);

  // Message text in total, and the number of messages.
  json many = json::array();
  for (int i = 0; i < 2000; ++i) many.push_back({{"role", "user"}, {"content", "hi"}});
  HttpResult count = server.PostJson(kGenerate, {{"messages", many}});
  EXPECT_EQ(count.status, 400);
  EXPECT_NE(Error(count).find("messages must contain at most"), std::string::npos) << count.body;

  // Ids and keys: runId ≤ 128 bytes, Idempotency-Key ≤ 255.
  HttpResult run_id =
      server.PostJson(kGenerate, {{"messages", "hi"}, {"runId", std::string(200, 'r')}});
  EXPECT_EQ(run_id.status, 400);
  EXPECT_NE(Error(run_id).find("runId"), std::string::npos) << run_id.body;
  HttpResult key = server.PostJson(kGenerate, {{"messages", "hi"}},
                                   {{"Idempotency-Key", std::string(256, 'k')}});
  EXPECT_EQ(key.status, 400);
  EXPECT_NE(Error(key).find("Idempotency-Key"), std::string::npos);

  // Page sizes: at most 100 rows (tool validation, Mastra's shape).
  HttpResult page = server.PostJson("/api/tools/manage-invoices/execute",
                                    {{"data", {{"action", "list"}, {"limit", 1000}}}});
  EXPECT_EQ(page.status, 200);
  EXPECT_EQ(page.Json()["error"], true);
  EXPECT_NE(page.Json()["message"].get<std::string>().find("limit"), std::string::npos);

  // String lengths in tool input: ids ≤ 64, notes and reasons ≤ 2,000 characters.
  HttpResult id = server.PostJson("/api/tools/get-customer/execute",
                                  {{"data", {{"customerId", std::string(65, 'C')}}}});
  EXPECT_EQ(id.Json()["error"], true);
  EXPECT_NE(id.Json()["message"].get<std::string>().find("at most 64"), std::string::npos);

  EXPECT_EQ(server.Get("/health").status, 200);  // still serving
}

}  // namespace
}  // namespace billing::e2e

namespace billing::e2e {
namespace {

// A PostgreSQL that does not answer: the server says which database it could not reach (host,
// port, database, never the password), exits, and creates no SQLite file named after the URL.
TEST(limits_config, AnUnreachablePostgresIsNamedWithoutItsPasswordAndCreatesNoFile) {
  char tmpl[] = "/tmp/billing-pgurl-XXXXXX";
  ASSERT_NE(::mkdtemp(tmpl), nullptr);
  const std::string dir = tmpl;
  CommandResult r = RunAgentCommand({"--port", "0", "--db", "postgres://app:s3cret@127.0.0.1:1/billing"},
                                    {{"BILLING_THREADS", "1"}, {"BILLING_DB_TIMEOUT_MS", "1000"}},
                                    15000);
  EXPECT_NE(r.exit_code, 0);
  const std::string said = r.out + r.err;
  EXPECT_NE(said.find("cannot open database postgres host 127.0.0.1:1 database billing"),
            std::string::npos)
      << said;
  EXPECT_EQ(said.find("s3cret"), std::string::npos) << said;
  EXPECT_FALSE(std::filesystem::exists("postgres:")) << "a SQLite file named after the URL";
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace billing::e2e
