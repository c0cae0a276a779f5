// `billing-agent bill [--db URL] [--as-of YYYY-MM-DD]`: one billing run on demand
// (automated-billing.md "Billing runs"). Bills every subscription period that started on or before
// --as-of (default: today, or BILLING_TODAY) and has no invoice yet, exactly once whoever else
// runs, and prints the report as JSON (tools/billing_tool.h BillingRunJson). Returns 0, 1 when
// the run failed part-way (what it committed stays; run it again), 2 for usage errors.
//
// Thread-safety: runs on the calling thread; opens its own store.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

#include "billing/service.h"
#include "common/result.h"

namespace billing {

// The service settings a command shares with the server, from the environment as the server
// reads them (BILLING_TAX_RATE_BP, BILLING_RETRY_DAYS, BILLING_DUNNING, BILLING_DRAFT_HOURS,
// BILLING_PAYMENT_MODE); kInvalid naming the variable for a bad value.
Result<BillingOptions> BillingOptionsFromEnv();

bool IsBillCommand(int argc, char** argv);
// The database from --db, else env BILLING_DB, else ./data/billing.db (the server's default).
int RunBillCommand(int argc, char** argv);
int RunBillCommand(const std::string& db_path, const std::vector<std::string>& args,
                   std::ostream& out, std::ostream& err);

}  // namespace billing
