// `billing-agent audit ...`: offline commands over the audit log of a ledger database.
//
//   audit verify [--db PATH]
//       Walks the whole hash chain. Prints "audit chain OK: N rows" and returns 0, or
//       "audit chain broken at row S: <why>" and returns 1.
//   audit list [--db PATH] [--after N] [--limit N]
//       Prints the rows with seq > N (default 0), oldest first, one JSON object per line
//       (billing/audit.h AuditEntryJson); at most --limit rows (default 100, max 100000).
//
// `db_path` is the database to use unless args contain --db. Usage and database errors go to
// `err` and return 2. The database must already exist (it is opened like the server opens it, so
// pending migrations are applied).
//
// Thread-safety: runs on the calling thread; opens its own store.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

namespace billing {

// For main(): true when argv[1] is "audit".
bool IsAuditCommand(int argc, char** argv);
// For main(): runs `billing-agent audit ...` with the database from --db, else env BILLING_DB,
// else ./data/billing.db (the server's default).
int RunAuditCommand(int argc, char** argv);

// args: what follows `audit` on the command line, e.g. {"verify"} or {"list", "--after", "10"}.
int RunAuditCommand(const std::string& db_path, const std::vector<std::string>& args);
int RunAuditCommand(const std::string& db_path, const std::vector<std::string>& args,
                    std::ostream& out, std::ostream& err);

}  // namespace billing
