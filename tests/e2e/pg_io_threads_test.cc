// No I/O thread waits on PostgreSQL (issue #11, item 4): a request waiting on the database costs
// a write-pool thread and memory, and the I/O threads keep serving everyone else.
//
// Method: one server with a single I/O thread (BILLING_THREADS=1) on a fresh PostgreSQL
// database. A plain connection of the test takes an ACCESS EXCLUSIVE lock on a table the requests
// read (customers for tool reads, api_keys for the key lookup of authentication, memory_threads
// for conversation memory), so every statement reading it waits for the lock. Requests that read
// it are sent and the test waits until PostgreSQL shows them waiting on the lock
// (pg_stat_activity). Then, with the lock still held, GET /health and GET /api/agents must be
// answered: were the waiting reads on the one I/O thread, nothing else could be served until the
// lock goes (or the statement timeout fails them). The lock is then released and every waiting
// request must complete normally (200), which shows they were parked, not failed.
//
// What this cannot prove: that no code path at all blocks an I/O thread; it covers the reads a
// request makes (tools through the agent and the tool route, authentication, memory) and the
// route table sends every store call through agent/tool_runner.h.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <memory>
#include <thread>
#include <vector>

#include "e2e/server_harness.h"
#include "store/postgres/pg_connection.h"
#include "testing/test_backend.h"

namespace billing::e2e {
namespace {

using nlohmann::json;

class pg_io_threads : public test_support::FreshPgDatabaseTest {
 protected:
  void TearDown() override {
    server_.reset();
    locker_.reset();
    watcher_.reset();
    FreshPgDatabaseTest::TearDown();
  }
  void Start(std::map<std::string, std::string> env = {}) {
    env.emplace("BILLING_THREADS", "1");
    env.emplace("BILLING_DB_TIMEOUT_MS", "20000");
    server_ = std::make_unique<ServerProcess>(env, std::vector<std::string>{}, db_);
    ASSERT_TRUE(server_->started()) << server_->Log();
    auto conn = pg::PgConnection::Open(db_, 10);
    ASSERT_TRUE(conn.ok()) << conn.error().message;
    locker_ = std::move(conn.value());
    auto watcher = pg::PgConnection::Open(db_, 10);
    ASSERT_TRUE(watcher.ok()) << watcher.error().message;
    watcher_ = std::move(watcher.value());
  }
  void Lock(const std::string& table) {
    ASSERT_TRUE(locker_->Exec("BEGIN").ok());
    ASSERT_TRUE(locker_->Exec("LOCK TABLE " + table + " IN ACCESS EXCLUSIVE MODE").ok());
  }
  void Unlock() { ASSERT_TRUE(locker_->Exec("COMMIT").ok()); }
  // Waits (bounded) until `n` other sessions wait on a lock; the count last seen otherwise.
  int WaitForLockWaiters(int n) {
    int seen = -1;
    for (int i = 0; i < 400 && seen != n; ++i) {
      if (i > 0) std::this_thread::sleep_for(std::chrono::milliseconds(50));
      // From a connection of its own: inside the locker's transaction pg_stat_activity would be
      // one cached snapshot.
      auto r = watcher_->Exec(
          "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND "
          "datname = current_database()");
      if (r.ok()) seen = std::stoi(r.result->Text(0, 0));
    }
    return seen;
  }
  // With the lock held and the requests parked: the one I/O thread still serves.
  void ExpectTheIoThreadServes(const std::atomic<int>& finished) {
    EXPECT_EQ(server_->Get("/health").status, 200);
    EXPECT_EQ(server_->Get("/api/agents", headers_).status, 200);
    EXPECT_EQ(finished.load(), 0) << "a request finished while its table was locked";
  }

  std::unique_ptr<ServerProcess> server_;
  std::unique_ptr<pg::PgConnection> locker_, watcher_;
  std::map<std::string, std::string> headers_;
};

TEST_F(pg_io_threads, ToolReadsAndAgentRunsWaitingOnALockDoNotHoldTheIoThread) {
  Start();
  Lock("customers");
  std::atomic<int> finished{0};
  std::vector<int> statuses(3, 0);
  std::vector<std::thread> waiting;
  waiting.emplace_back([&] {
    statuses[0] =
        server_
            ->PostJson("/api/tools/get-customer/execute", {{"data", {{"customerId", "CUST-001"}}}})
            .status;
    ++finished;
  });
  waiting.emplace_back([&] {
    statuses[1] = server_->Ask("Show me billing details for customer CUST-002").status;
    ++finished;
  });
  waiting.emplace_back([&] {
    statuses[2] = server_
                      ->PostJson("/api/tools/manage-invoices/execute",
                                 {{"data", {{"action", "list"}, {"status", "overdue"}}}})
                      .status;
    ++finished;
  });
  EXPECT_EQ(WaitForLockWaiters(3), 3) << "the requests never reached the lock";
  ExpectTheIoThreadServes(finished);
  Unlock();
  for (auto& t : waiting) t.join();
  for (int s : statuses) EXPECT_EQ(s, 200);
}

TEST_F(pg_io_threads, KeyLookupsAndMemoryReadsWaitingOnALockDoNotHoldTheIoThread) {
  CommandResult created =
      RunAgentCommand({"keys", "create", "--db", db_, "--scopes", "read", "--name", "waiter"});
  ASSERT_EQ(created.exit_code, 0) << created.out << created.err;
  const std::string key = created.out.substr(0, created.out.find('\n'));
  Start({{"BILLING_AUTH", "on"}});
  // While api_keys is locked every authenticated route waits on it: /health is the probe.
  Lock("api_keys");
  std::atomic<int> finished{0};
  int keyed_status = 0;
  std::thread keyed([&] {
    keyed_status = server_->Get("/api/agents", {{"Authorization", "Bearer " + key}}).status;
    ++finished;
  });
  EXPECT_EQ(WaitForLockWaiters(1), 1) << "the key lookup never reached the lock";
  EXPECT_EQ(server_->Get("/health").status, 200);
  EXPECT_EQ(finished.load(), 0);
  Unlock();
  keyed.join();
  EXPECT_EQ(keyed_status, 200);

  headers_ = {{"Authorization", "Bearer " + key}};
  finished = 0;
  Lock("memory_threads");
  int memory_status = 0;
  std::thread memory([&] {
    memory_status =
        server_->Get("/api/memory/threads?resourceId=alice&agentId=billingApiAgent", headers_)
            .status;
    ++finished;
  });
  EXPECT_EQ(WaitForLockWaiters(1), 1) << "the memory read never reached the lock";
  ExpectTheIoThreadServes(finished);  // /api/agents authenticates: api_keys is free again
  Unlock();
  memory.join();
  EXPECT_EQ(memory_status, 200);
}

}  // namespace
}  // namespace billing::e2e
