// The PostgreSQL store's own mechanics against a real PostgreSQL 15 (scripts/pg-test-server.sh):
// the retry path under real lock contention, and connections the server dropped being replaced
// without an error. The Store contract itself runs on PostgreSQL as the "pg." copies of the
// contract suites (CMakeLists.txt). Without BILLING_TEST_PG_URL these skip, except under
// scripts/test.sh (BILLING_REQUIRE_PG=1), where a missing server fails them.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <functional>
#include <thread>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_future.hpp>

#include "agent/fiber_runner.h"
#include "billing/rules.h"
#include "billing/service.h"
#include "store/backend.h"
#include "store/postgres/pg_connection.h"
#include "store/postgres/pg_pool.h"
#include "testing/test_backend.h"

namespace billing {
namespace {

class PgStoreTest : public test_support::FreshPgDatabaseTest {
 protected:
  void SetUp() override {
    FreshPgDatabaseTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    auto store = OpenStore(BackendOptions{db_, 4, 5000});
    ASSERT_TRUE(store.ok()) << store.error().message;
    store_ = std::move(store.value());
    BillingOptions options;
    options.processor_mode = ProcessorMode::kAlwaysApprove;
    service_ = std::make_unique<BillingService>(*store_, clock_, ids_, processor_, options);
    ASSERT_TRUE(service_->SeedIfEmpty().ok());
  }
  void TearDown() override {
    service_.reset();
    store_.reset();
    FreshPgDatabaseTest::TearDown();
  }
  std::unique_ptr<pg::PgConnection> Raw() {
    auto c = pg::PgConnection::Open(db_, 5);
    EXPECT_TRUE(c.ok()) << (c.ok() ? "" : c.error().message);
    return c.ok() ? std::move(c.value()) : nullptr;
  }

  FixedClock clock_{1795608000000};  // 2026-11-25T12:00:00Z
  SeededRandom ids_{1};
  SeededRandom processor_{2};
  std::unique_ptr<Store> store_;
  std::unique_ptr<BillingService> service_;
};

// A real deadlock: another session holds CUST-003's running-totals row and then asks for the
// writers' lock the payment holds. PostgreSQL aborts the payment's statement (40P01); the pool
// re-runs the payment inside its transaction, the other session gives up (lock_timeout) and the
// payment commits once, with the processor's answer and transaction id drawn only once.
TEST_F(PgStoreTest, ADeadlockedPaymentIsRetriedAndCommitsOnce) {
  auto other = Raw();
  ASSERT_NE(other, nullptr);
  ASSERT_TRUE(other->Exec("BEGIN").ok());
  // The other session detects nothing itself (10 s), and gives up waiting after 1.5 s.
  ASSERT_TRUE(other->Exec("SET LOCAL deadlock_timeout = '10s'").ok());
  ASSERT_TRUE(other->Exec("SET LOCAL lock_timeout = '1500ms'").ok());
  ASSERT_TRUE(other
                  ->Exec("UPDATE customer_totals SET paid_cents = paid_cents "
                         "WHERE customer_id = 'CUST-003'")
                  .ok());
  const uint64_t retries_before = store_->stats().retries;
  Result<PaymentOutcome> paid = Error::Internal("not run");
  std::thread payer([&] { paid = service_->ProcessPayment({"CUST-003", 5000, "", "", ""}); });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // the payment waits on the row
  auto cycle =
      other->Exec("SELECT pg_advisory_xact_lock(" + std::to_string(pg::kWriteLockKey) + ")");
  EXPECT_FALSE(cycle.ok()) << "the other session should have timed out waiting";
  (void)other->Exec("ROLLBACK");
  payer.join();
  ASSERT_TRUE(paid.ok()) << paid.error().message;
  EXPECT_GE(store_->stats().retries, retries_before + 1) << "the deadlock was not retried";
  auto history = service_->History("CUST-003", PageSpec{0, 100});
  ASSERT_TRUE(history.ok()) << history.error().message;
  int found = 0;
  for (const Payment& p : history->payments) found += p.id == paid->payment.id ? 1 : 0;
  EXPECT_EQ(found, 1);
  EXPECT_EQ(history->payments.front().transaction_id, paid->payment.transaction_id);
  Status invariants = service_->CheckInvariants();
  EXPECT_TRUE(invariants.ok()) << invariants.error().message;
}

// A write made on a fiber of an I/O thread (agent/fiber_runner.h, as reads and RunRead's writes
// are on PostgreSQL) waits for its commit without blocking the thread: while another session
// holds the customer's row, the one I/O thread keeps serving a ticking timer, and the payment
// commits once the row is free.
TEST_F(PgStoreTest, AWriteOnAFiberWaitsWithoutBlockingItsThread) {
  auto other = Raw();
  ASSERT_NE(other, nullptr);
  ASSERT_TRUE(other->Exec("BEGIN").ok());
  ASSERT_TRUE(
      other->Exec("SELECT * FROM customer_totals WHERE customer_id = 'CUST-002' FOR UPDATE").ok());
  boost::asio::io_context io;  // one I/O thread: this one
  int ticks = 0;
  bool waiting = true;
  boost::asio::steady_timer tick(io);
  std::function<void()> schedule = [&] {
    tick.expires_after(std::chrono::milliseconds(20));
    tick.async_wait([&](const boost::system::error_code&) {
      ++ticks;
      if (waiting) schedule();
    });
  };
  schedule();
  std::thread release([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(400));
    (void)other->Exec("COMMIT");
  });
  Result<PaymentOutcome> outcome = Error::Internal("not run");
  auto paid = boost::asio::co_spawn(
      io,
      [&]() -> boost::asio::awaitable<void> {
        outcome = co_await RunOnFiber([&] {
          return service_->ProcessPayment({"CUST-002", 700, "", "", ""});
        });
        waiting = false;
      },
      boost::asio::use_future);
  io.run();
  release.join();
  paid.get();
  ASSERT_TRUE(outcome.ok()) << outcome.error().message;
  EXPECT_GE(ticks, 10) << "the I/O thread was blocked while the write waited";
  Status invariants = service_->CheckInvariants();
  EXPECT_TRUE(invariants.ok()) << invariants.error().message;
}

// The server drops every connection of the pool (as a restart or a failover does): the next
// read and write open new ones and succeed; nothing is reported to the caller.
TEST_F(PgStoreTest, ConnectionsTheServerDroppedAreReplacedWithoutAnError) {
  ASSERT_TRUE(service_->ProcessPayment({"CUST-001", 1000, "", "", ""}).ok());
  auto admin = Raw();
  ASSERT_NE(admin, nullptr);
  auto killed = admin->Exec(
      "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() "
      "AND application_name LIKE 'billing-agent/%' AND pid <> pg_backend_pid()");
  ASSERT_TRUE(killed.ok());
  ASSERT_GE(killed.result->rows(), 1);
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  auto customer = service_->GetCustomer("CUST-001");
  EXPECT_TRUE(customer.ok()) << customer.error().message;
  auto paid = service_->ProcessPayment({"CUST-001", 1000, "", "", ""});
  EXPECT_TRUE(paid.ok()) << paid.error().message;
  Status invariants = service_->CheckInvariants();
  EXPECT_TRUE(invariants.ok()) << invariants.error().message;
}

// The pipelined customer overview (two round trips) reads exactly what the single calls read
// (StoreTx's default): for every customer, with invoices, payments, allocations, items and a
// card, and for a customer that does not exist.
TEST_F(PgStoreTest, ThePipelinedCustomerOverviewEqualsTheCallsOneByOne) {
  Date due;
  ASSERT_TRUE(Date::Parse("2026-12-31", &due));
  ASSERT_TRUE(service_
                  ->CreateInvoice(NewInvoice{
                      "CUST-002",
                      {{"A \"quoted\" \\ line\nnext", 2000, 1'000}, {"B — café ✓", 1000, 250}},
                      due,
                      "notes: {\"json\": [1, 2]} $1 $$ ünïcode"})
                  .ok());
  ASSERT_TRUE(service_->ProcessPayment({"CUST-002", 1'500, "", "", ""}).ok());
  ASSERT_TRUE(service_->ProcessPayment({"CUST-001", 700, "", "", ""}).ok());
  int compared = 0;
  Status s = store_->Read([&](StoreTx& tx) -> Status {
    for (const char* id : {"CUST-001", "CUST-002", "CUST-003", "CUST-004", "CUST-404"}) {
      SCOPED_TRACE(id);
      const CustomerOverviewQuery q{id, service_->Today(), 50, 5, 100};
      auto piped = tx.ReadCustomerOverview(q);
      auto single = tx.StoreTx::ReadCustomerOverview(q);  // the default: one call at a time
      EXPECT_TRUE(piped.ok() && single.ok());
      if (!piped.ok() || !single.ok()) return OkStatus();
      EXPECT_EQ(piped->customer.has_value(), single->customer.has_value());
      if (!single->customer) continue;
      EXPECT_EQ(piped->customer->company, single->customer->company);
      EXPECT_EQ(piped->customer->email, single->customer->email);
      EXPECT_EQ(piped->customer->tax_rate_bp, single->customer->tax_rate_bp);
      EXPECT_EQ(piped->customer->opening_balance_cents, single->customer->opening_balance_cents);
      EXPECT_EQ(piped->customer->created_at, single->customer->created_at);
      EXPECT_EQ(piped->cards.size(), single->cards.size());
      EXPECT_EQ(OutstandingCents(piped->ledger), OutstandingCents(single->ledger));
      EXPECT_EQ(piped->ledger.paid_cents, single->ledger.paid_cents);
      EXPECT_EQ(piped->open_totals.count, single->open_totals.count);
      EXPECT_EQ(piped->open_totals.due_cents, single->open_totals.due_cents);
      EXPECT_EQ(piped->open_totals.overdue_count, single->open_totals.overdue_count);
      EXPECT_EQ(piped->open_invoices.size(), single->open_invoices.size());
      if (::testing::Test::HasFailure()) return OkStatus();
      for (size_t k = 0; k < single->open_invoices.size(); ++k) {
        EXPECT_EQ(piped->open_invoices[k].id, single->open_invoices[k].id);
        EXPECT_EQ(piped->open_invoices[k].paid_cents, single->open_invoices[k].paid_cents);
        EXPECT_EQ(piped->open_invoices[k].notes, single->open_invoices[k].notes);
        EXPECT_EQ(piped->open_invoices[k].due_date, single->open_invoices[k].due_date);
        EXPECT_EQ(piped->open_invoices[k].total_cents, single->open_invoices[k].total_cents);
        EXPECT_EQ(piped->open_invoices[k].customer_name, single->open_invoices[k].customer_name);
        EXPECT_EQ(piped->open_invoices[k].items.size(), single->open_invoices[k].items.size());
        if (::testing::Test::HasFailure()) return OkStatus();
        for (size_t n = 0; n < single->open_invoices[k].items.size(); ++n) {
          EXPECT_EQ(piped->open_invoices[k].items[n].description,
                    single->open_invoices[k].items[n].description);
          EXPECT_EQ(piped->open_invoices[k].items[n].amount_cents,
                    single->open_invoices[k].items[n].amount_cents);
        }
      }
      EXPECT_EQ(piped->recent_payments.size(), single->recent_payments.size());
      if (::testing::Test::HasFailure()) return OkStatus();
      for (size_t k = 0; k < single->recent_payments.size(); ++k) {
        EXPECT_EQ(piped->recent_payments[k].id, single->recent_payments[k].id);
        EXPECT_EQ(piped->recent_payments[k].allocations.size(),
                  single->recent_payments[k].allocations.size());
        if (::testing::Test::HasFailure()) return OkStatus();
        for (size_t n = 0; n < single->recent_payments[k].allocations.size(); ++n) {
          EXPECT_EQ(piped->recent_payments[k].allocations[n].invoice_id,
                    single->recent_payments[k].allocations[n].invoice_id);
          EXPECT_EQ(piped->recent_payments[k].allocations[n].amount_cents,
                    single->recent_payments[k].allocations[n].amount_cents);
        }
      }
      EXPECT_EQ(piped->cards.size(), single->cards.size());
      ++compared;
    }
    return OkStatus();
  });
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(compared, 4);
}

// The read cache of the customer view (pg_overview_cache.h) across two stores on one database,
// as two instances have them: a view is served again only while no write of either changed the
// ledger, and what one wrote the other shows at once.
TEST_F(PgStoreTest, TheReadCacheServesAViewOnlyWhileTheLedgerIsUnchanged) {
  auto other_store = OpenStore(BackendOptions{db_, 4, 5000});
  ASSERT_TRUE(other_store.ok()) << other_store.error().message;
  BillingOptions options;
  options.processor_mode = ProcessorMode::kAlwaysApprove;
  BillingService other(*other_store.value(), clock_, ids_, processor_, options);

  auto first = service_->GetCustomer("CUST-001");
  ASSERT_TRUE(first.ok()) << first.error().message;
  const Store::Stats before = store_->stats();
  auto again = service_->GetCustomer("CUST-001");
  ASSERT_TRUE(again.ok()) << again.error().message;
  // A hit is one statement in one round trip: the version, outside any transaction.
  EXPECT_EQ(store_->stats().cache_hits, before.cache_hits + 1);
  EXPECT_EQ(store_->stats().statements, before.statements + 1);
  EXPECT_EQ(store_->stats().round_trips, before.round_trips + 1);
  EXPECT_EQ(again->balance_cents, first->balance_cents);
  EXPECT_EQ(again->recent_payments.size(), first->recent_payments.size());
  EXPECT_TRUE(again->cards.empty() || again->cards[0].details_sealed.empty());

  // The other instance takes a payment: the next read here is a full one and shows it.
  auto paid = other.ProcessPayment({"CUST-001", 1'234, "", "", ""});
  ASSERT_TRUE(paid.ok()) << paid.error().message;
  auto after = service_->GetCustomer("CUST-001");
  ASSERT_TRUE(after.ok()) << after.error().message;
  EXPECT_EQ(store_->stats().cache_hits, before.cache_hits + 1);
  EXPECT_EQ(after->balance_cents, first->balance_cents - 1'234);
  ASSERT_FALSE(after->recent_payments.empty());
  EXPECT_EQ(after->recent_payments[0].id, paid->payment.id);

  // A write of another customer moves the version too (one version for the whole ledger).
  ASSERT_TRUE(service_->ProcessPayment({"CUST-002", 100, "", "", ""}).ok());
  auto later = other.GetCustomer("CUST-001");
  ASSERT_TRUE(later.ok());
  EXPECT_EQ(later->balance_cents, after->balance_cents);
  const uint64_t hits = store_->stats().cache_hits;
  ASSERT_TRUE(service_->GetCustomer("CUST-001").ok());  // full read: CUST-002 changed the ledger
  EXPECT_EQ(store_->stats().cache_hits, hits);
  ASSERT_TRUE(service_->GetCustomer("CUST-001").ok());
  EXPECT_EQ(store_->stats().cache_hits, hits + 1);

  // A new day is a new key: overdue counts depend on it.
  clock_.Set(clock_.NowUnixMs() + 86'400'000);
  ASSERT_TRUE(service_->GetCustomer("CUST-001").ok());
  EXPECT_EQ(store_->stats().cache_hits, hits + 1);
  Status invariants = service_->CheckInvariants();
  EXPECT_TRUE(invariants.ok()) << invariants.error().message;
}

}  // namespace
}  // namespace billing
