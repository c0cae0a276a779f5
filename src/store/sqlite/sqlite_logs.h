// The append-only logs on SQLite: the audit chain (billing/audit.h) and the events (the outbox,
// docs/events.md). The StoreTx methods of sqlite_store.cc for them delegate here, which keeps the
// ledger's file readable in one sitting.
//
// Thread-safety: as the Connection passed in (one transaction's).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "store/sqlite/sqlite_util.h"
#include "store/store.h"

namespace billing::sqlite {

Status AppendAudit(Connection& conn, const AuditEntry& e);
// The rows of `q` in seq order, at most `limit` (1..kMaxPageRows).
Result<std::vector<AuditEntry>> ListAudit(Connection& conn, const AuditQuery& q, int limit);
Result<std::optional<AuditEntry>> LastAudit(Connection& conn);

Status AppendEvent(Connection& conn, const Event& e);
Result<std::optional<int64_t>> EventSeq(Connection& conn, const std::string& id);
Result<std::vector<Event>> ListEvents(Connection& conn, const EventQuery& q, int limit);

}  // namespace billing::sqlite
