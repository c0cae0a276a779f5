// Group commit (sqlite_util.h ConnectionPool::Write): concurrent writers share commits, a writer
// whose function fails is rolled back alone, and every writer told OK is in the database.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "store/sqlite/sqlite_util.h"
#include "testing/temp_db.h"

namespace billing::sqlite {
namespace {

constexpr const char* kInsert =
    "INSERT INTO operations (op_key, kind, fingerprint, entity_id, created_at) "
    "VALUES (?1, 'test', '', '', '')";
constexpr const char* kCount = "SELECT COUNT(*) FROM operations";
constexpr const char* kFind = "SELECT 1 FROM operations WHERE op_key = ?1";

Status Insert(Connection& conn, const std::string& key) {
  auto st = conn.Prepare(kInsert);
  if (!st.ok()) return st.error();
  Stmt s(conn, st.value());
  s.Bind(1, key);
  return s.Run();
}

TEST(GroupCommitTest, ConcurrentWritersShareCommitsAndFailuresRollBackAlone) {
  test_support::TempDbFile db("billing-group-commit-test");
  auto pool = ConnectionPool::Open({db.path(), 4, 5000});
  ASSERT_TRUE(pool.ok()) << pool.error().message;
  constexpr int kThreads = 32;
  constexpr int kWritesPerThread = 20;
  std::atomic<int> acknowledged{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kWritesPerThread; ++i) {
        const std::string key = std::to_string(t) + "-" + std::to_string(i);
        const bool fail = (t + i) % 5 == 0;  // inserts, then fails: must leave nothing
        Status s = (*pool)->Write([&](Connection& conn) -> Status {
          BILLING_TRY(Insert(conn, key));
          if (fail) return Error::Invalid("test", "rejected after a write");
          return OkStatus();
        });
        EXPECT_EQ(s.ok(), !fail) << key;
        if (s.ok()) ++acknowledged;
      }
    });
  }
  for (auto& th : threads) th.join();

  int64_t rows = -1;
  ASSERT_TRUE((*pool)
                  ->Read([&](Connection& conn) -> Status {
                    auto st = conn.Prepare(kCount);
                    if (!st.ok()) return st.error();
                    Stmt s(conn, st.value());
                    auto row = s.Step();
                    if (!row.ok()) return row.error();
                    rows = s.Int(0);
                    for (int t = 0; t < kThreads; ++t) {
                      for (int i = 0; i < kWritesPerThread; ++i) {
                        auto find = conn.Prepare(kFind);
                        if (!find.ok()) return find.error();
                        Stmt f(conn, find.value());
                        f.Bind(1, std::to_string(t) + "-" + std::to_string(i));
                        auto found = f.Step();
                        if (!found.ok()) return found.error();
                        EXPECT_EQ(found.value(), (t + i) % 5 != 0) << t << "-" << i;
                      }
                    }
                    return OkStatus();
                  })
                  .ok());
  EXPECT_EQ(rows, acknowledged.load());
  EXPECT_EQ((*pool)->writes_committed(), uint64_t(acknowledged.load()));
  // With 32 writers racing, commits are shared: fewer groups than writes.
  EXPECT_LT((*pool)->groups_committed(), (*pool)->writes_committed());
}

TEST(GroupCommitTest, AWriterThatThrowsFailsAloneAndThePoolGoesOn) {
  test_support::TempDbFile db("billing-group-commit-test");
  auto pool = ConnectionPool::Open({db.path(), 2, 5000});
  ASSERT_TRUE(pool.ok());
  Status thrown = (*pool)->Write([&](Connection& conn) -> Status {
    BILLING_TRY(Insert(conn, "thrown"));
    throw std::runtime_error("bug");
  });
  EXPECT_FALSE(thrown.ok());
  EXPECT_TRUE((*pool)->Write([&](Connection& conn) { return Insert(conn, "after"); }).ok());
  // A constraint violation (duplicate key) fails that writer only.
  EXPECT_FALSE((*pool)->Write([&](Connection& conn) { return Insert(conn, "after"); }).ok());
  EXPECT_EQ((*pool)->writes_committed(), 1u);
}

}  // namespace
}  // namespace billing::sqlite
