// The email outbox (migration 026) on SQLite. The StoreTx methods of sqlite_store.cc for it
// delegate here.
//
// Thread-safety: as the Connection passed in (one transaction's).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "store/sqlite/sqlite_util.h"
#include "store/store.h"

namespace billing::sqlite {

Status InsertEmail(Connection& conn, const OutboxEmail& e);
Result<std::vector<OutboxEmail>> ClaimEmails(Connection& conn, const std::string& now,
                                             const std::string& lease_until, int limit);
Result<bool> AnyEmailDue(Connection& conn, const std::string& now);
Status UpdateEmail(Connection& conn, const OutboxEmail& e);
Result<std::optional<OutboxEmail>> FindEmail(Connection& conn, int64_t seq);
Result<std::vector<OutboxEmail>> EmailsOf(Connection& conn, const std::string& customer_id,
                                          int64_t before_seq, int limit);

}  // namespace billing::sqlite
