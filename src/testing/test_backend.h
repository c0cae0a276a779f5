// The backend a test runs on. One suite, two backends: every Store contract test and every
// end-to-end test runs once on SQLite and once on PostgreSQL (CMakeLists.txt registers the test
// binaries twice; the PostgreSQL run, prefixed "pg.", sets BILLING_TEST_BACKEND=postgres).
// On PostgreSQL each test gets a fresh database of its own on the server BILLING_TEST_PG_URL
// names (scripts/pg-test-server.sh), dropped at the end. Test code only.
//
// Thread-safety: the functions may be called from any thread.
#pragma once

#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "store/postgres/pg_connection.h"

namespace billing::test_support {

inline bool IsPostgresDb(const std::string& db) {
  return pg::IsPostgresUrl(db);
}

inline bool TestOnPostgres() {
  const char* v = std::getenv("BILLING_TEST_BACKEND");
  return v != nullptr && std::string(v) == "postgres";
}

// `url` with its database name replaced by `dbname`.
inline std::string WithDatabase(const std::string& url, const std::string& dbname) {
  const size_t scheme = url.find("://");
  if (scheme == std::string::npos) return url;
  const size_t path = url.find('/', scheme + 3);
  const size_t query = url.find('?', scheme + 3);
  if (path == std::string::npos || (query != std::string::npos && path > query)) {
    return url.substr(0, query) + "/" + dbname +
           (query == std::string::npos ? "" : url.substr(query));
  }
  const size_t end = query == std::string::npos ? url.size() : query;
  return url.substr(0, path) + "/" + dbname + url.substr(end);
}

// Creates an empty database and returns its URL; "" (with a message in *why) when the server is
// not there.
inline std::string CreateTestPgDatabase(std::string* why) {
  const char* base = std::getenv("BILLING_TEST_PG_URL");
  if (base == nullptr || *base == '\0') {
    *why = "BILLING_TEST_PG_URL is not set (eval \"$(scripts/pg-test-server.sh start)\")";
    return "";
  }
  static std::atomic<int> counter{0};
  const std::string name =
      "t_" + std::to_string(::getpid()) + "_" + std::to_string(counter.fetch_add(1));
  auto conn = pg::PgConnection::Open(base, 10);
  if (!conn.ok()) {
    *why = conn.error().message;
    return "";
  }
  (void)conn.value()->Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
  auto created = conn.value()->Exec("CREATE DATABASE " + name);
  if (!created.ok()) {
    *why = created.failure->error.message;
    return "";
  }
  return WithDatabase(base, name);
}

inline void DropTestPgDatabase(const std::string& url) {
  const char* base = std::getenv("BILLING_TEST_PG_URL");
  if (base == nullptr || url.empty() || std::getenv("BILLING_E2E_KEEP") != nullptr) return;
  const size_t scheme = url.find("://");
  const size_t path = url.find('/', scheme + 3);
  const size_t query = url.find('?', path);
  const std::string name =
      url.substr(path + 1, (query == std::string::npos ? url.size() : query) - path - 1);
  auto conn = pg::PgConnection::Open(base, 10);
  if (conn.ok()) (void)conn.value()->Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
}

// The test PostgreSQL server's URL (BILLING_TEST_PG_URL), or "" when none is configured.
inline std::string TestPgServerUrl() {
  const char* url = std::getenv("BILLING_TEST_PG_URL");
  return url == nullptr ? std::string() : std::string(url);
}
// Under scripts/test.sh (BILLING_REQUIRE_PG=1) a test that needs PostgreSQL fails without it
// instead of skipping.
inline bool PostgresRequired() {
  const char* v = std::getenv("BILLING_REQUIRE_PG");
  return v != nullptr && std::string(v) == "1";
}

// A fixture for tests that need a PostgreSQL database whatever backend the run is on: SetUp
// skips (or fails, see PostgresRequired) without a test server and creates a fresh database,
// `db_`, which TearDown drops. A subclass that overrides TearDown stops what uses the database
// first, then calls this TearDown.
class FreshPgDatabaseTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (TestPgServerUrl().empty()) {
      const char* why = "no PostgreSQL: run eval \"$(scripts/pg-test-server.sh start)\" first";
      if (PostgresRequired()) FAIL() << why;
      GTEST_SKIP() << why;
    }
    std::string why;
    db_ = CreateTestPgDatabase(&why);
    ASSERT_FALSE(db_.empty()) << why;
  }
  void TearDown() override { DropTestPgDatabase(db_); }
  std::string db_;
};

}  // namespace billing::test_support

namespace billing::test_support {

// The databases TestDbPath created, dropped when the process exits.
inline std::vector<std::string>& CreatedTestDatabases() {
  static std::vector<std::string> created;
  return created;
}

// The database for a fixture that names its own SQLite file: `sqlite_path` on SQLite; on
// PostgreSQL a fresh database's URL, dropped when the test process exits (ctest runs each test
// in a process of its own).
inline std::string TestDbPath(const std::string& sqlite_path) {
  if (!TestOnPostgres()) return sqlite_path;
  static const bool registered = [] {
    // The list first: constructed before the handler is registered, it is destroyed after it runs.
    (void)CreatedTestDatabases();
    std::atexit([] {
      for (const std::string& url : CreatedTestDatabases()) DropTestPgDatabase(url);
    });
    return true;
  }();
  (void)registered;
  std::string why;
  std::string url = CreateTestPgDatabase(&why);
  if (url.empty()) {
    ADD_FAILURE() << "no PostgreSQL database for this test: " << why;
    return sqlite_path;
  }
  CreatedTestDatabases().push_back(url);
  return url;
}

}  // namespace billing::test_support
