// GET /api/audit?after=N&limit=M&actor=ID&onBehalfOf=ID — the audit log, oldest first
// (billing/audit.h).
//   after: return rows with seq > after (default 0); limit: 1..100 (default 100); actor: only the
//   rows of this principal (key:<prefix>, jwt:<sub>, dev, seed), whatever end user it claimed;
//   onBehalfOf: only the rows that claimed this end user (cometchat:<uid>). Ids are exact and
//   percent-encoded.
//   200 {"entries":[{seq, at, actor, onBehalfOf: {id, claim: true} | null, action, entityType,
//                    entityId, before, after, requestId, prevHash, hash, chainVersion}, ...],
//        "nextAfter": <seq of the last entry, or `after`>, "hasMore": <the page is full>}
//   400 {"error": "..."} for a bad parameter; 405 for a method other than GET; 500 if the store
//   fails (detail logged only).
// Page through the log by passing nextAfter as the next `after` while hasMore is true.
// Access control is the caller's: the route is served only to the `admin` scope.
//
// Thread-safety: stateless; safe from any thread (BillingService is).
#pragma once

#include "billing/service.h"
#include "http/server.h"

namespace billing::http {

inline constexpr int kAuditPageMax = 100;

HttpResponse AuditListResponse(BillingService& service, const HttpRequest& request);

// GET /api/audit/verify — the whole chain checked as `billing-agent audit verify` checks it
// (BillingService::VerifyAudit: every row's hash and link, in batches of 500):
//   200 {"ok": true|false, "rowsChecked": N, "firstBrokenSeq": N|null, "reason": "..."|null};
//   rowsChecked counts the rows that verified (before the broken one, when one is).
// Its cost grows with the log (an administrator's check, not a hot path).
HttpResponse AuditVerifyResponse(BillingService& service, const HttpRequest& request);

}  // namespace billing::http
