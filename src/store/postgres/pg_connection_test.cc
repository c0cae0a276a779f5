// PgConnection against a real PostgreSQL 15 (scripts/pg-test-server.sh starts one for the suite;
// BILLING_TEST_PG_URL names it). Without it these tests skip, except under scripts/test.sh, which
// sets BILLING_REQUIRE_PG=1 so that a missing server fails the suite instead of hiding it.
#include "store/postgres/pg_connection.h"
#include "testing/test_backend.h"

#include <gtest/gtest.h>

#include <cstdlib>

namespace billing::pg {
namespace {

TEST(PgUrl, ChoosesTheBackendAndNeverShowsThePassword) {
  EXPECT_TRUE(IsPostgresUrl("postgres://app@db/billing"));
  EXPECT_TRUE(IsPostgresUrl("postgresql://app@db/billing"));
  EXPECT_FALSE(IsPostgresUrl("./data/billing.db"));
  EXPECT_FALSE(IsPostgresUrl("postgres.db"));
  EXPECT_EQ(RedactedDbUrl("postgres://app:s3cret@db.internal:5432/billing"),
            "postgres://app@db.internal:5432/billing");
  EXPECT_EQ(RedactedDbUrl("postgresql://app:p%40ss@db/billing?sslmode=require"),
            "postgresql://app@db/billing?sslmode=require");
  EXPECT_EQ(RedactedDbUrl("postgresql://db/billing?password=s3cret&sslmode=require"),
            "postgresql://db/billing?sslmode=require");
  EXPECT_EQ(RedactedDbUrl("postgresql://db/billing?sslmode=require&password=s3cret"),
            "postgresql://db/billing?sslmode=require");
  EXPECT_EQ(RedactedDbUrl("postgresql://app@/billing?host=/tmp/x"),
            "postgresql://app@/billing?host=/tmp/x");
}

class PgLive : public ::testing::Test {
 protected:
  void SetUp() override {
    url_ = test_support::TestPgServerUrl();
    if (url_.empty()) {
      const char* why = "no PostgreSQL: run eval \"$(scripts/pg-test-server.sh start)\" first";
      if (test_support::PostgresRequired()) FAIL() << why;
      GTEST_SKIP() << why;
    }
  }
  std::unique_ptr<PgConnection> Connect() {
    auto c = PgConnection::Open(url_, 5);
    EXPECT_TRUE(c.ok()) << (c.ok() ? "" : c.error().message);
    return c.ok() ? std::move(c.value()) : nullptr;
  }
  // A table of this test's own, dropped at the end.
  std::string Table(PgConnection& c, const std::string& columns) {
    const std::string name =
        std::string("t_") + ::testing::UnitTest::GetInstance()->current_test_info()->name();
    EXPECT_TRUE(c.Exec("DROP TABLE IF EXISTS " + name).ok());
    EXPECT_TRUE(c.Exec("CREATE TABLE " + name + " (" + columns + ")").ok());
    tables_.push_back(name);
    return name;
  }
  void TearDown() override {
    if (tables_.empty()) return;
    auto c = Connect();
    for (const std::string& t : tables_) c->Exec("DROP TABLE IF EXISTS " + t);
  }

  std::string url_;
  std::vector<std::string> tables_;
};

TEST_F(PgLive, ParametersAndResultsRoundTripAsText) {
  auto c = Connect();
  ASSERT_NE(c, nullptr);
  EXPECT_GE(c->server_version(), 150000);
  auto r = c->Exec("SELECT $1::bigint + 1, $2::text, $3::text IS NULL",
                   {"9223372036854775806", "Müller GmbH — 'quoted' $1", std::nullopt});
  ASSERT_TRUE(r.ok()) << r.failure->error.message;
  EXPECT_EQ(*r.result->Int(0, 0), INT64_MAX);  // int64 money survives the trip exactly
  EXPECT_EQ(r.result->Text(0, 1), "Müller GmbH — 'quoted' $1");  // never spliced into the SQL
  EXPECT_EQ(r.result->Text(0, 2), "t");
  EXPECT_FALSE(r.result->Int(0, 1).ok());  // not an integer: an error naming the column
  EXPECT_TRUE(r.result->IsNull(5, 0));     // out of range reads as NULL, never UB
}

TEST_F(PgLive, AUniqueViolationIsAConflictThatIsNotRetried) {
  auto c = Connect();
  ASSERT_NE(c, nullptr);
  const std::string t = Table(*c, "id text PRIMARY KEY, amount_cents bigint NOT NULL");
  auto first = c->Exec("INSERT INTO " + t + " VALUES ($1, $2)", {"PAY-001", "75000"});
  ASSERT_TRUE(first.ok()) << first.failure->error.message;
  EXPECT_EQ(first.result->affected_rows(), 1);
  auto again = c->Exec("INSERT INTO " + t + " VALUES ($1, $2)", {"PAY-001", "1"});
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.failure->sqlstate, "23505");
  EXPECT_EQ(again.failure->error.code, ErrorCode::kConflict);
  EXPECT_FALSE(again.failure->retryable);
  auto sum = c->Exec("SELECT SUM(amount_cents) FROM " + t);
  EXPECT_EQ(*sum.result->Int(0, 0), 75000);  // nothing of the failed insert
}

TEST_F(PgLive, ASerializationFailureIsRetryable) {
  auto a = Connect(), b = Connect();
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  const std::string t = Table(*a, "id int PRIMARY KEY, v int NOT NULL");
  ASSERT_TRUE(a->Exec("INSERT INTO " + t + " VALUES (1, 0), (2, 0)").ok());
  // Write skew: both read the sum, each writes a different row; SERIALIZABLE refuses one.
  for (PgConnection* c : {a.get(), b.get()}) {
    ASSERT_TRUE(c->Exec("BEGIN ISOLATION LEVEL SERIALIZABLE").ok());
    ASSERT_TRUE(c->Exec("SELECT SUM(v) FROM " + t).ok());
  }
  ASSERT_TRUE(a->Exec("UPDATE " + t + " SET v = 1 WHERE id = 1").ok());
  ASSERT_TRUE(b->Exec("UPDATE " + t + " SET v = 1 WHERE id = 2").ok());
  ASSERT_TRUE(a->Exec("COMMIT").ok());
  auto lost = b->Exec("COMMIT");
  ASSERT_FALSE(lost.ok());
  EXPECT_EQ(lost.failure->sqlstate, "40001");
  EXPECT_TRUE(lost.failure->retryable);
  EXPECT_EQ(lost.failure->error.code, ErrorCode::kConflict);
}

TEST_F(PgLive, ALostConnectionIsUnavailableAndReportsUnhealthy) {
  auto a = Connect(), b = Connect();
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  auto pid = a->Exec("SELECT pg_backend_pid()");
  ASSERT_TRUE(pid.ok());
  ASSERT_TRUE(b->Exec("SELECT pg_terminate_backend($1::int)", {pid.result->Text(0, 0)}).ok());
  auto r = a->Exec("SELECT 1");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.failure->error.code, ErrorCode::kDatabaseUnavailable) << r.failure->error.message;
  EXPECT_FALSE(a->healthy());
}

TEST_F(PgLive, AServerThatIsNotThereIsUnavailableWithoutThePassword) {
  auto c = PgConnection::Open("postgresql://billing:s3cret@/billing_test?host=/nonexistent", 1);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().code, ErrorCode::kDatabaseUnavailable);
  EXPECT_EQ(c.error().message.find("s3cret"), std::string::npos) << c.error().message;
  EXPECT_NE(c.error().message.find("postgresql://billing@/billing_test"), std::string::npos);
}

}  // namespace
}  // namespace billing::pg
