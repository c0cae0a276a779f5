// pg::OverviewCache; see pg_overview_cache.h.
#include "store/postgres/pg_overview_cache.h"

#include <algorithm>
#include <cassert>

namespace billing::pg {
namespace {

size_t RecordCount(const CustomerOverview& view) {
  size_t n = 1 + view.open_invoices.size() + view.recent_payments.size() + view.cards.size();
  for (const Invoice& invoice : view.open_invoices) n += invoice.items.size();
  for (const Payment& payment : view.recent_payments) n += payment.allocations.size();
  return n;
}

}  // namespace

OverviewCache::OverviewCache(size_t max_entries)
    : max_entries_(std::min(max_entries, kMaxEntriesLimit)) {}

std::string OverviewCache::Key(const CustomerOverviewQuery& q) {
  // Appended piece by piece: GCC 12 warns falsely (-Wrestrict) on a chain of + here.
  std::string key = q.customer_id;
  for (const std::string& part : {q.today.ToString(), std::to_string(q.open_invoices),
                                  std::to_string(q.recent_payments), std::to_string(q.max_cards)}) {
    key += '\n';
    key += part;
  }
  return key;
}

bool OverviewCache::Holds(const CustomerOverviewQuery& q) {
  if (!enabled()) return false;
  const std::string key = Key(q);
  std::lock_guard lock(mu_);
  return views_.contains(key);
}

std::optional<CustomerOverview> OverviewCache::Find(const CustomerOverviewQuery& q,
                                                    const LedgerVersion& version) {
  if (!enabled()) return std::nullopt;
  const std::string key = Key(q);
  std::lock_guard lock(mu_);
  if (version_ == version) {
    if (auto it = views_.find(key); it != views_.end()) {
      hits_.fetch_add(1, std::memory_order_relaxed);
      return it->second;
    }
  }
  return std::nullopt;
}

void OverviewCache::Put(const CustomerOverviewQuery& q, const LedgerVersion& version,
                        const CustomerOverview& view) {
  if (!enabled()) return;
  misses_.fetch_add(1, std::memory_order_relaxed);  // every full read while the cache is on
  if (RecordCount(view) > kMaxRowsPerView) return;
  const std::string key = Key(q);
  std::lock_guard lock(mu_);
  if (version.epoch == version_.epoch && version.v < version_.v) return;  // already stale
  if (!(version == version_)) {
    // A newer version (or another database under the same URL): nothing kept can be served.
    views_.clear();
    version_ = version;
  }
  if (views_.size() >= max_entries_ && !views_.contains(key)) views_.erase(views_.begin());
  views_.insert_or_assign(key, view);
  assert(views_.size() <= max_entries_);
}

}  // namespace billing::pg
