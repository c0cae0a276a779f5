// The report counters (migration 016; docs/reports.md) on PostgreSQL, as SQLite's
// sqlite_reports.h: each read is one index range of a counter table kept by triggers. The
// StoreTx methods of pg_store.cc delegate here.
//
// Thread-safety: as the PgConnection passed in (one transaction's).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "store/postgres/pg_connection.h"
#include "store/store.h"

namespace billing::pgreports {

Result<std::vector<ReceivableRow>> Receivables(pg::PgConnection& conn,
                                               const std::string& customer_id, int64_t limit);
Result<std::vector<RevenueMonthRow>> RevenueMonths(pg::PgConnection& conn,
                                                   const std::string& from_month,
                                                   const std::string& to_month);
Result<std::vector<PaymentAttemptRow>> PaymentAttemptMonths(pg::PgConnection& conn,
                                                            const std::string& from_month,
                                                            const std::string& to_month);
Result<std::vector<MrrMonthRow>> MrrMonths(pg::PgConnection& conn, const std::string& to_month);
Result<Backlog> CountBacklog(pg::PgConnection& conn, const Date& today, int64_t cap);

}  // namespace billing::pgreports
