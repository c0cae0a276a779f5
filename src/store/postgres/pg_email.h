// The email outbox (migration 015) on PostgreSQL, as SQLite's sqlite_email.h; the StoreTx methods
// of pg_store.cc delegate here.
//
// Thread-safety: as the connection passed in (one transaction's).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "store/postgres/pg_connection.h"
#include "store/store.h"

namespace billing::pgemail {

Status InsertEmail(pg::PgConnection& conn, const OutboxEmail& e);
Result<std::vector<OutboxEmail>> ClaimEmails(pg::PgConnection& conn, const std::string& now,
                                             const std::string& lease_until, int limit);
Result<bool> AnyEmailDue(pg::PgConnection& conn, const std::string& now);
Status UpdateEmail(pg::PgConnection& conn, const OutboxEmail& e);
Result<std::optional<OutboxEmail>> FindEmail(pg::PgConnection& conn, int64_t seq);
Result<std::vector<OutboxEmail>> EmailsOf(pg::PgConnection& conn, const std::string& customer_id,
                                          int64_t before_seq, int limit);

}  // namespace billing::pgemail
