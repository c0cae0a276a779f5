// pg::OverviewCache's rules without a database: a view is served only at the version it was read
// at, a newer version drops the older views, and every bound holds. The cache on a real
// PostgreSQL, across two stores as two instances have them: PgStoreTest.TheReadCache*.
#include "store/postgres/pg_overview_cache.h"

#include <gtest/gtest.h>

#include "testing/dates.h"

namespace billing::pg {
namespace {

CustomerOverviewQuery Query(const std::string& id, const char* today = "2026-12-06") {
  return CustomerOverviewQuery{id, test_support::D(today), 50, 5, 100};
}

// Appended, not "prefix" + ...: GCC 12 warns falsely (-Wrestrict) on that inlined insert.
std::string Id(const char* prefix, size_t n) {
  std::string id(prefix);
  id += std::to_string(n);
  return id;
}

CustomerOverview View(const std::string& company, size_t invoices = 1) {
  CustomerOverview view;
  view.customer = Customer{};
  view.customer->company = company;
  view.open_invoices.resize(invoices);
  return view;
}

TEST(OverviewCacheTest, ServesAViewOnlyAtTheVersionItWasReadAt) {
  OverviewCache cache(8);
  const LedgerVersion v7{42, 7}, v8{42, 8}, other_db{43, 7};
  EXPECT_FALSE(cache.Holds(Query("CUST-001")));
  cache.Put(Query("CUST-001"), v7, View("Acme"));
  EXPECT_TRUE(cache.Holds(Query("CUST-001")));
  auto hit = cache.Find(Query("CUST-001"), v7);
  ASSERT_TRUE(hit.has_value());
  EXPECT_EQ(hit->customer->company, "Acme");
  EXPECT_FALSE(cache.Find(Query("CUST-001"), v8).has_value());        // the ledger moved on
  EXPECT_FALSE(cache.Find(Query("CUST-001"), other_db).has_value());  // another database
  EXPECT_FALSE(cache.Find(Query("CUST-002"), v7).has_value());
  // The day is part of the key: overdue counts depend on it.
  EXPECT_FALSE(cache.Find(Query("CUST-001", "2026-12-07"), v7).has_value());
  EXPECT_EQ(cache.hits(), 1u);
  EXPECT_EQ(cache.misses(), 1u);  // one full read was kept
}

TEST(OverviewCacheTest, ANewerVersionDropsTheOlderViewsAndAnOlderOneIsNotKept) {
  OverviewCache cache(8);
  cache.Put(Query("CUST-001"), LedgerVersion{1, 5}, View("at 5"));
  cache.Put(Query("CUST-002"), LedgerVersion{1, 5}, View("at 5"));
  cache.Put(Query("CUST-001"), LedgerVersion{1, 6}, View("at 6"));
  EXPECT_FALSE(cache.Holds(Query("CUST-002")));  // read at 5: can never be served again
  // A reader whose snapshot is older finishes after a newer one: its view is not kept.
  cache.Put(Query("CUST-002"), LedgerVersion{1, 5}, View("late"));
  EXPECT_FALSE(cache.Holds(Query("CUST-002")));
  auto hit = cache.Find(Query("CUST-001"), LedgerVersion{1, 6});
  ASSERT_TRUE(hit.has_value());
  EXPECT_EQ(hit->customer->company, "at 6");
  // The database recreated under the same URL: a new epoch replaces everything.
  cache.Put(Query("CUST-003"), LedgerVersion{2, 0}, View("new db"));
  EXPECT_FALSE(cache.Holds(Query("CUST-001")));
  EXPECT_TRUE(cache.Find(Query("CUST-003"), LedgerVersion{2, 0}).has_value());
}

TEST(OverviewCacheTest, KeepsAtMostItsEntriesAndNoLargeView) {
  OverviewCache cache(3);
  for (int i = 0; i < 10; ++i) {
    cache.Put(Query(Id("CUST-", size_t(100 + i))), LedgerVersion{1, 1}, View("c"));
  }
  int held = 0;
  for (int i = 0; i < 10; ++i) held += cache.Holds(Query(Id("CUST-", size_t(100 + i))));
  EXPECT_EQ(held, 3);
  cache.Put(Query("CUST-999"), LedgerVersion{1, 1}, View("big", OverviewCache::kMaxRowsPerView));
  EXPECT_FALSE(cache.Holds(Query("CUST-999")));
  // Asked for more than its bound, it keeps the bound.
  OverviewCache huge(1'000'000);
  for (size_t i = 0; i < OverviewCache::kMaxEntriesLimit + 10; ++i) {
    huge.Put(Query(Id("C", i)), LedgerVersion{1, 1}, View("c", 0));
  }
  size_t kept = 0;
  for (size_t i = 0; i < OverviewCache::kMaxEntriesLimit + 10; ++i) {
    kept += huge.Holds(Query(Id("C", i)));
  }
  EXPECT_EQ(kept, OverviewCache::kMaxEntriesLimit);
}

TEST(OverviewCacheTest, ZeroEntriesTurnsItOff) {
  OverviewCache cache(0);
  EXPECT_FALSE(cache.enabled());
  cache.Put(Query("CUST-001"), LedgerVersion{1, 1}, View("Acme"));
  EXPECT_FALSE(cache.Holds(Query("CUST-001")));
  EXPECT_FALSE(cache.Find(Query("CUST-001"), LedgerVersion{1, 1}).has_value());
  EXPECT_EQ(cache.misses(), 0u);
}

}  // namespace
}  // namespace billing::pg
