// The report counters (migration 027; docs/reports.md) on SQLite: each read is one index range
// of a counter table kept by triggers. The StoreTx methods of sqlite_store.cc delegate here.
//
// Thread-safety: as the Connection passed in (one transaction's).
#pragma once

#include <string>
#include <vector>

#include "store/sqlite/sqlite_util.h"
#include "store/store.h"

namespace billing::sqlite {

Result<std::vector<ReceivableRow>> Receivables(Connection& conn, const std::string& customer_id,
                                               int64_t limit);
Result<std::vector<RevenueMonthRow>> RevenueMonths(Connection& conn, const std::string& from_month,
                                                   const std::string& to_month);
Result<std::vector<PaymentAttemptRow>> PaymentAttemptMonths(Connection& conn,
                                                            const std::string& from_month,
                                                            const std::string& to_month);
Result<std::vector<MrrMonthRow>> MrrMonths(Connection& conn, const std::string& to_month);
Result<Backlog> CountBacklog(Connection& conn, const Date& today, int64_t cap);

}  // namespace billing::sqlite
