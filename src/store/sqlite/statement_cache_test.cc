// The statement cache (sqlite_util.h Connection::Prepare) finds a statement by its text: SQL built
// in a local string, whose address the next string may reuse, still runs as written. (A cache
// keyed by address once made a customer's subscription list come back empty now and then.)
#include <gtest/gtest.h>

#include <string>

#include "store/sqlite/sqlite_util.h"

namespace billing::sqlite {
namespace {

TEST(StatementCacheTest, StatementsAreFoundByTextNotByAddress) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(":memory:", &db), SQLITE_OK);
  WorkCounters work;
  Connection conn(db, work);  // owns and closes `db`
  for (int round = 0; round < 3; ++round) {
    for (int i = 0; i < 40; ++i) {
      // A new string each time, freed at the end of the iteration: its buffer is usually the
      // one the previous string had.
      const std::string sql = "SELECT " + std::to_string(i) + " + ?1 AS value_of_the_statement";
      auto raw = conn.Prepare(sql.c_str());
      ASSERT_TRUE(raw.ok()) << raw.error().message;
      Stmt st(conn, raw.value());
      st.Bind(1, int64_t(1000));
      auto row = st.Step();
      ASSERT_TRUE(row.ok() && row.value());
      EXPECT_EQ(st.Int(0), 1000 + i) << sql;
    }
  }
}

TEST(StatementCacheTest, TheCacheIsBounded) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(":memory:", &db), SQLITE_OK);
  WorkCounters work;
  Connection conn(db, work);
  for (size_t i = 0; i < kMaxCachedStatements; ++i) {
    const std::string sql = "SELECT " + std::to_string(i);
    ASSERT_TRUE(conn.Prepare(sql.c_str()).ok()) << i;
  }
  auto over = conn.Prepare("SELECT 'one too many'");
  ASSERT_FALSE(over.ok());
  EXPECT_NE(over.error().message.find("spliced"), std::string::npos) << over.error().message;
  EXPECT_TRUE(conn.Prepare("SELECT 0").ok());  // a kept one is still served
}

}  // namespace
}  // namespace billing::sqlite
