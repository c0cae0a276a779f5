// `billing-agent db ...`: offline commands that move a database between backends.
//
//   db copy --from PATH --to URL
//       Copies every store of the SQLite database PATH (the ledger, audit log, operation keys,
//       stored Idempotency-Key answers, API keys, sealed cards, conversation memory) into the
//       empty PostgreSQL database URL (store/db_copy.h: one transaction, all or nothing), then
//       opens the copy as the server would and checks every ledger invariant and the whole audit
//       chain on it. Prints the rows copied per table and in total, "invariants OK" and
//       "audit chain OK (N rows)", and returns 0.
//
// Stop the server on PATH first: the copy reads one snapshot, and changes made after it are not
// copied. Sealed cards are copied sealed: the server on URL needs the same data keys
// (app/data_keys.h; for a SQLite file they default to "PATH.keys").
//
// Returns 1 with a message naming the flag and the rule on stderr when --from or --to is missing,
// --to is not a postgres:// or postgresql:// URL, --from is not an existing SQLite database file,
// the target is not empty (it is left unchanged), the copy fails (nothing is committed), or the
// checks fail on the copy. Returns 2 with the usage for no or an unknown subcommand or option.
// The target is only ever named without its password (store/backend.h DescribeBackend).
//
// Thread-safety: runs on the calling thread; opens its own connections.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

namespace billing {

// For main(): true when argv[1] is "db".
bool IsDbCommand(int argc, char** argv);
// For main(): runs `billing-agent db ...` with stdout and stderr.
int RunDbCommand(int argc, char** argv);

// args: what follows `db` on the command line, e.g. {"copy", "--from", "a.db", "--to",
// "postgres://..."}.
int RunDbCommand(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace billing
