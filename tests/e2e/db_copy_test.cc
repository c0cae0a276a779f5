// Moving up (issue #11): `billing-agent db copy --from FILE --to URL` against the real binary. A
// server on a SQLite file makes one change of every kind through HTTP (an invoice, a card payment
// that stores a sealed card, a refund, API keys, a memory thread, an Idempotency-Key answer); it
// is stopped, the file is copied into an empty PostgreSQL database, and a server on the copy
// (with the same data key) must show the same data, replay the stored answer, authenticate the
// key, continue the numbering, and keep a verifiable audit chain. A non-empty target is refused
// and left unchanged; bad flags are refused naming the flag.
//
// Needs the PostgreSQL of scripts/pg-test-server.sh (BILLING_TEST_PG_URL); skipped without it
// unless BILLING_REQUIRE_PG=1. The flag test needs no database.
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <sstream>

#include "e2e/server_harness.h"
#include "store/postgres/pg_connection.h"
#include "testing/test_backend.h"

namespace billing::e2e {
namespace {

using nlohmann::json;

const std::string kDataKey = "copy:" + std::string(64, '7');
const std::string kCard = "4242424242424242";
constexpr char kNoPg[] = "no PostgreSQL: run eval \"$(scripts/pg-test-server.sh start)\" first";

// The "  table  N" lines of the copy's output.
std::map<std::string, int64_t> CopiedRows(const std::string& out) {
  std::map<std::string, int64_t> rows;
  std::istringstream in(out);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("  ", 0) != 0) continue;
    std::istringstream fields(line);
    std::string table;
    int64_t n = -1;
    if (fields >> table >> n) rows[table] = n;
  }
  return rows;
}

int64_t SqliteCount(const std::string& path, const std::string& table) {
  sqlite3* db = nullptr;
  int64_t n = -1;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
    sqlite3_stmt* st = nullptr;
    const std::string sql = "SELECT COUNT(*) FROM " + table;
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW) {
      n = sqlite3_column_int64(st, 0);
    }
    sqlite3_finalize(st);
  }
  sqlite3_close(db);
  return n;
}

std::map<std::string, int64_t> PgCounts(const std::string& url,
                                        const std::map<std::string, int64_t>& tables) {
  std::map<std::string, int64_t> counts;
  auto conn = pg::PgConnection::Open(url, 10);
  if (!conn.ok()) {
    ADD_FAILURE() << conn.error().message;
    return counts;
  }
  for (const auto& [table, unused] : tables) {
    if (table == "total") continue;
    auto r = conn.value()->Exec("SELECT COUNT(*) FROM " + table);
    if (!r.ok()) {
      ADD_FAILURE() << table << ": " << r.failure->error.message;
      continue;
    }
    counts[table] = r.result->Int(0, 0).ok() ? *r.result->Int(0, 0) : -1;
  }
  return counts;
}

class db_copy : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/billing-dbcopy-XXXXXX";
    dir_ = ::mkdtemp(tmpl);
    file_ = dir_ + "/billing.db";
  }
  void TearDown() override {
    for (const std::string& url : databases_) test_support::DropTestPgDatabase(url);
    std::error_code ec;
    if (std::getenv("BILLING_E2E_KEEP") == nullptr) std::filesystem::remove_all(dir_, ec);
  }
  static bool NoPg() { return test_support::TestPgServerUrl().empty(); }
  static bool PgRequired() { return test_support::PostgresRequired(); }
  std::string NewPgDatabase() {
    std::string why;
    std::string url = test_support::CreateTestPgDatabase(&why);
    EXPECT_FALSE(url.empty()) << why;
    if (!url.empty()) databases_.push_back(url);
    return url;
  }
  CommandResult Copy(const std::string& to) {
    return RunAgentCommand({"db", "copy", "--from", file_, "--to", to}, {}, 120000);
  }

  std::string dir_, file_;
  std::vector<std::string> databases_;
};

#define NEED_PG()                        \
  do {                                   \
    if (NoPg()) {                        \
      if (PgRequired()) FAIL() << kNoPg; \
      GTEST_SKIP() << kNoPg;             \
    }                                    \
  } while (0)

// Everything a client can see that the copy must keep, read through HTTP with `key`.
struct Views {
  json customer, invoices, history, messages;
};

Views ReadViews(ServerProcess& server, const std::map<std::string, std::string>& auth) {
  auto exec = [&](const std::string& tool, const json& data) {
    HttpResult r = server.PostJson("/api/tools/" + tool + "/execute", {{"data", data}}, auth);
    EXPECT_EQ(r.status, 200) << tool << ": " << r.body;
    return r.Json();
  };
  Views v;
  v.customer = exec("get-customer", {{"customerId", "CUST-001"}});
  v.invoices = exec("manage-invoices", {{"action", "list"}, {"limit", 100}});
  v.history = exec("process-payment", {{"action", "history"}, {"customerId", "CUST-001"}});
  HttpResult m = server.Get("/api/memory/threads/t-copy/messages?agentId=billingApiAgent", auth);
  EXPECT_EQ(m.status, 200) << m.body;
  v.messages = m.Json();
  return v;
}

const json kIdempotentPayment = {{"data",
                                  {{"action", "process"},
                                   {"customerId", "CUST-002"},
                                   {"amount", "5.00"},
                                   {"paymentMethod", "paypal"}}}};

TEST_F(db_copy, EveryStoreMovesToPostgresAndTheServerCarriesOnThere) {
  NEED_PG();
  const std::map<std::string, std::string> key_env = {{"BILLING_DATA_KEYS", kDataKey}};
  std::string admin, revoked, invoice_id, replay_body;
  Views before;
  {
    ServerProcess server({{"BILLING_DATA_KEYS", kDataKey}, {"BILLING_AUTH", "on"}}, {}, file_);
    ASSERT_TRUE(server.started()) << server.Log();
    auto create_key = [&](const std::string& scopes) {
      CommandResult r = RunAgentCommand({"keys", "create", "--db", file_, "--scopes", scopes});
      EXPECT_EQ(r.exit_code, 0) << r.err;
      return r.out.substr(0, r.out.find('\n'));
    };
    admin = create_key("admin");
    revoked = create_key("read");
    ASSERT_EQ(RunAgentCommand({"keys", "revoke", revoked.substr(0, 11), "--db", file_}).exit_code,
              0);
    const std::map<std::string, std::string> auth = {{"Authorization", "Bearer " + admin}};
    auto exec = [&](const std::string& tool, const json& data) {
      HttpResult r = server.PostJson("/api/tools/" + tool + "/execute", {{"data", data}}, auth);
      EXPECT_EQ(r.status, 200) << r.body;
      EXPECT_EQ(r.Json()["success"], true) << r.body;
      return r.Json();
    };
    for (const char* description : {"Before the move", "Cancelled before the move"}) {
      invoice_id = exec("manage-invoices", {{"action", "create"},
                                            {"customerId", "CUST-001"},
                                            {"amount", "120.00"},
                                            {"description", description},
                                            {"dueDate", "2026-12-31"}})["invoice"]["id"]
                       .get<std::string>();
    }
    // A cancelled invoice counts in no total: the copy rebuilds the totals without it.
    exec("manage-invoices", {{"action", "cancel"}, {"invoiceId", invoice_id}});
    json card = exec("process-payment",
                     {{"action", "process"},
                      {"customerId", "CUST-001"},
                      {"amount", "25.00"},
                      {"card", {{"number", kCard}, {"expMonth", 12}, {"expYear", 2030}}}});
    ASSERT_EQ(card["payment"]["card"]["paymentMethodId"], "PM-001") << card;
    exec("process-payment",
         {{"action", "refund"}, {"paymentId", card["payment"]["id"]}, {"amount", "5.00"}});
    for (const char* turn : {"Show me billing details for customer CUST-002",
                             "Show me billing details for customer CUST-001"}) {
      HttpResult r = server.PostJson(
          "/api/agents/billingApiAgent/generate",
          {{"messages", turn}, {"threadId", "t-copy"}, {"resourceId", "user-copy"}}, auth);
      ASSERT_EQ(r.status, 200) << r.body;
    }
    auto idem = auth;
    idem["Idempotency-Key"] = "order-before-the-move";
    HttpResult paid =
        server.PostJson("/api/tools/process-payment/execute", kIdempotentPayment, idem);
    ASSERT_EQ(paid.status, 200) << paid.body;
    replay_body = paid.body;
    before = ReadViews(server, auth);
    ASSERT_GE(before.messages["messages"].size(), 4u) << before.messages;
  }  // stopped: the copy needs the server gone

  const std::string url = NewPgDatabase();
  ASSERT_FALSE(url.empty());
  CommandResult copied = Copy(url);
  ASSERT_EQ(copied.exit_code, 0) << copied.out << copied.err;
  EXPECT_NE(copied.out.find("invariants OK"), std::string::npos) << copied.out;
  EXPECT_NE(copied.out.find("audit chain OK ("), std::string::npos) << copied.out;
  const std::map<std::string, int64_t> rows = CopiedRows(copied.out);
  int64_t sum = 0;
  for (const auto& [table, n] : rows) {
    if (table == "total") continue;
    sum += n;
    EXPECT_EQ(n, SqliteCount(file_, table)) << table;
  }
  EXPECT_EQ(rows.at("total"), sum);
  EXPECT_EQ(rows.at("api_keys"), 2);
  EXPECT_EQ(rows.at("payment_methods"), 1);
  EXPECT_EQ(rows.at("refunds"), 1);
  EXPECT_EQ(rows.at("memory_threads"), 1);
  EXPECT_EQ(rows.at("idempotency_keys"), 1);
  EXPECT_GT(rows.at("events"), 0);            // the changes above, each with its events
  EXPECT_EQ(rows.size(), 36u) << copied.out;  // 35 tables (reports: 4), the total
  EXPECT_EQ(PgCounts(url, rows), [&] {
    auto want = rows;
    want.erase("total");
    return want;
  }());
  EXPECT_NE(copied.out.find("audit chain OK (" + std::to_string(rows.at("audit_log")) + " rows)"),
            std::string::npos)
      << copied.out;

  // A server on the copy, with the same data key; authentication is on because keys exist.
  ServerProcess server(key_env, {}, url);
  ASSERT_TRUE(server.started()) << server.Log();
  const std::map<std::string, std::string> auth = {{"Authorization", "Bearer " + admin}};
  EXPECT_EQ(server.Get("/api/tools").status, 401);
  EXPECT_EQ(server.Get("/api/tools", auth).status, 200);
  EXPECT_EQ(server.Get("/api/tools", {{"Authorization", "Bearer " + revoked}}).status, 401);
  const Views after = ReadViews(server, auth);
  EXPECT_EQ(after.customer, before.customer);
  EXPECT_EQ(after.invoices, before.invoices);
  EXPECT_EQ(after.history, before.history);
  EXPECT_EQ(after.messages, before.messages);
  // The stored answer is replayed, byte for byte, and charges nothing.
  auto idem = auth;
  idem["Idempotency-Key"] = "order-before-the-move";
  HttpResult replay =
      server.PostJson("/api/tools/process-payment/execute", kIdempotentPayment, idem);
  EXPECT_EQ(replay.status, 200) << replay.body;
  EXPECT_EQ(replay.headers["idempotent-replayed"], "true");
  EXPECT_EQ(replay.body, replay_body);
  // The sealed card opens with the same key: it can be charged again.
  HttpResult again = server.PostJson("/api/tools/process-payment/execute",
                                     {{"data",
                                       {{"action", "process"},
                                        {"customerId", "CUST-001"},
                                        {"amount", "1.00"},
                                        {"paymentMethodId", "PM-001"}}}},
                                     auth);
  EXPECT_EQ(again.Json()["success"], true) << again.body;
  EXPECT_EQ(again.Json()["payment"]["card"]["last4"], "4242") << again.body;
  // The numbering continues after the copied invoices.
  HttpResult created = server.PostJson("/api/tools/manage-invoices/execute",
                                       {{"data",
                                         {{"action", "create"},
                                          {"customerId", "CUST-002"},
                                          {"amount", "80.00"},
                                          {"description", "After the move"},
                                          {"dueDate", "2026-12-31"}}}},
                                       auth);
  ASSERT_EQ(created.Json()["success"], true) << created.body;
  const std::string prefix = invoice_id.substr(0, invoice_id.rfind('-') + 1);
  const int last = std::stoi(invoice_id.substr(prefix.size()));
  char next[32];
  std::snprintf(next, sizeof next, "%s%03d", prefix.c_str(), last + 1);
  EXPECT_EQ(created.Json()["invoice"]["id"], next) << created.body;

  CommandResult verify = RunAgentCommand({"audit", "verify", "--db", url});
  EXPECT_EQ(verify.exit_code, 0) << verify.out << verify.err;
  EXPECT_NE(verify.out.find("audit chain OK: " + std::to_string(rows.at("audit_log") + 2)),
            std::string::npos)
      << verify.out;
}

TEST_F(db_copy, ANonEmptyTargetIsRefusedAndLeftUnchanged) {
  NEED_PG();
  {
    ServerProcess server({}, {}, file_);  // the sample data
    ASSERT_TRUE(server.started()) << server.Log();
  }
  const std::string url = NewPgDatabase();
  ASSERT_FALSE(url.empty());
  CommandResult first = Copy(url);
  ASSERT_EQ(first.exit_code, 0) << first.out << first.err;
  const auto rows = CopiedRows(first.out);
  const auto before = PgCounts(url, rows);
  ASSERT_GT(before.at("customers"), 0);

  CommandResult second = Copy(url);
  EXPECT_EQ(second.exit_code, 1) << second.out << second.err;
  EXPECT_NE(second.err.find("--to"), std::string::npos) << second.err;
  EXPECT_NE(second.err.find("not empty"), std::string::npos) << second.err;
  EXPECT_EQ(second.out.find("invariants OK"), std::string::npos) << second.out;
  EXPECT_EQ(PgCounts(url, rows), before);
}

TEST_F(db_copy, BadFlagsAreRefusedNamingTheFlag) {
  const std::string secret_url = "postgres://app:s3cret-pw@127.0.0.1:1/billing";
  {
    ServerProcess server({}, {}, file_);
    ASSERT_TRUE(server.started()) << server.Log();
  }
  struct Case {
    std::vector<std::string> args;
    std::string flag, rule;
  };
  const Case cases[] = {
      {{"db", "copy", "--from", file_}, "--to", "is required"},
      {{"db", "copy", "--to", secret_url}, "--from", "is required"},
      {{"db", "copy", "--from", file_, "--to", dir_ + "/other.db"}, "--to", "postgres://"},
      {{"db", "copy", "--from", dir_ + "/missing.db", "--to", secret_url},
       "--from",
       "existing SQLite database file"},
      {{"db", "copy", "--from", dir_, "--to", secret_url},
       "--from",
       "existing SQLite database file"},
  };
  for (const Case& c : cases) {
    CommandResult r = RunAgentCommand(c.args);
    EXPECT_EQ(r.exit_code, 1) << c.flag << ": " << r.out << r.err;
    EXPECT_NE(r.err.find(c.flag), std::string::npos) << r.err;
    EXPECT_NE(r.err.find(c.rule), std::string::npos) << r.err;
    EXPECT_EQ(r.err.find("s3cret-pw"), std::string::npos) << r.err;
  }
  // The unreachable target is named without its password.
  CommandResult unreachable = RunAgentCommand({"db", "copy", "--from", file_, "--to", secret_url});
  EXPECT_EQ(unreachable.exit_code, 1) << unreachable.err;
  EXPECT_EQ(unreachable.err.find("s3cret-pw"), std::string::npos) << unreachable.err;
  // No or an unknown subcommand: the usage, exit 2.
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"db"}, std::vector<std::string>{"db", "move"}}) {
    CommandResult r = RunAgentCommand(args);
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_NE(r.err.find("usage: billing-agent db copy --from PATH --to URL"), std::string::npos)
        << r.err;
  }
}

}  // namespace
}  // namespace billing::e2e
