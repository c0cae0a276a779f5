// GET /api/audit?after=N&limit=M — the audit log, oldest first (billing/audit.h).
//   after: return rows with seq > after (default 0); limit: 1..100 (default 100).
//   200 {"entries":[{seq, at, actor, action, entityType, entityId, before, after, requestId,
//                    prevHash, hash}, ...], "nextAfter": <seq of the last entry, or `after`>}
//   400 {"error": "..."} for a bad parameter; 405 for a method other than GET; 500 if the store
//   fails (detail logged only).
// Page through the log by passing nextAfter as the next `after` until entries is empty.
// Access control is the caller's: the route is served only to the `admin` scope.
//
// Thread-safety: stateless; safe from any thread (BillingService is).
#pragma once

#include "billing/service.h"
#include "http/server.h"

namespace billing::http {

inline constexpr int kAuditPageMax = 100;

HttpResponse AuditListResponse(BillingService& service, const HttpRequest& request);

}  // namespace billing::http
