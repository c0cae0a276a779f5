// POST /api/billing-runs — one billing run now (automated-billing.md "Billing runs"), as
// `billing-agent bill` and the server's own timer do.
//   body (optional): {"asOf": "YYYY-MM-DD"} (default: the server's today)
//   200 the report (tools/billing_tool.h BillingRunJson): periods billed and skipped, invoice ids,
//       subscriptions capped at the per-run bound ("complete": false: run again);
//   400 {"error": ..., "field": ...} for a bad body; 405 for another method; 503 when the database
//   is unavailable; 500 for anything else (detail logged only).
// Exactly once per period whoever runs, so retrying a run that timed out bills nothing twice.
// Access: the `subscriptions` scope (checked by the router).
//
// Thread-safety: stateless; safe from any thread (BillingService is).
#pragma once

#include <string>

#include "billing/service.h"
#include "http/server.h"

namespace billing::http {

HttpResponse BillingRunResponse(BillingService& service, const HttpRequest& request,
                                const Actor& actor, const std::string& request_id);

}  // namespace billing::http
