// `billing-agent keys create|list|revoke`: API key management on the server's database file
// (--db, else env BILLING_DB, else ./data/billing.db). Keys take effect at once on a running
// server (it reads the key table on every request), revocations too.
//
//   billing-agent keys create --scopes read,invoice [--name X]   prints the key once on stdout
//   billing-agent keys list                                      prefix, name, scopes, dates
//   billing-agent keys revoke <prefix>                           bk_1a2b3c4d
//
// Thread-safety: runs on the main thread of its own process.
#pragma once

namespace billing {

// True when argv names the keys command (argv[1] == "keys").
bool IsKeysCommand(int argc, char** argv);
// Runs it; returns the process exit code (0 ok, 1 failure, 2 usage).
int RunKeysCommand(int argc, char** argv);

}  // namespace billing
