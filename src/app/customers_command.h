// `billing-agent customers create|update|suspend|reinstate|show ...`: customer management from
// the command line (issue #13 item 1; docs/customers.md). Each subcommand runs the
// manage-customers (or get-customer) tool on the database, so the rules, messages and events are
// exactly the agent's and the HTTP routes'; the audit log names the actor `cli`. Prints the tool's
// result as JSON. Returns 0, 1 when the tool refused (the error is printed; nothing changed), 2
// for usage errors.
//
// Thread-safety: runs on the calling thread; opens its own store.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

namespace billing {

bool IsCustomersCommand(int argc, char** argv);
// The database from --db, else env BILLING_DB, else ./data/billing.db (the server's default).
int RunCustomersCommand(int argc, char** argv);
int RunCustomersCommand(const std::string& db_path, const std::vector<std::string>& args,
                        std::ostream& out, std::ostream& err);

}  // namespace billing
