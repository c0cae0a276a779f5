// `billing-agent webhooks create|list|show|update|delete|rotate-secret|deliveries|resend`: webhook
// endpoints from the command line (issue #13 item 5; docs/webhooks.md), on the server's database,
// through the same BillingService calls as /api/v1/webhook-endpoints (same rules, audit rows
// with the actor `cli`). A new or rotated secret is printed once. Prints JSON. Returns 0, 1 when
// the service refused (the error is printed; nothing changed), 2 for usage errors.
//
// Thread-safety: runs on the calling thread; opens its own store.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

namespace billing {

bool IsWebhooksCommand(int argc, char** argv);
// The database from --db, else env BILLING_DB, else ./data/billing.db (the server's default).
int RunWebhooksCommand(int argc, char** argv);
int RunWebhooksCommand(const std::string& db_path, const std::vector<std::string>& args,
                       std::ostream& out, std::ostream& err);

}  // namespace billing
