// GET /api/events?after=evt_...&type=invoice.paid&limit=N — the events (the outbox of every
// change; docs/events.md), oldest first.
//   after: the id of the last event already seen (default: from the first); type: one event type
//   (kEventTypes); limit: 1..100 (default 100).
//   200 {"events":[{id, type, createdAt, objectType, objectId, data, requestId,
//                   idempotencyKey}, ...],
//        "nextAfter": <id of the last event, or `after`, or null>, "hasMore": <the page is full>}
//   400 {"error": "...", "field": ...} for a bad parameter; 404 when `after` names no event;
//   405 for a method other than GET; 500 if the store fails (detail logged only).
//   order=newest (without `after`): the newest `limit` events, newest first, nextAfter the
//   newest one's id and hasMore false: where a poller that only wants what comes next starts.
// Page by passing nextAfter as the next `after` while hasMore is true; a consumer that keeps
// its last id and asks again later gets exactly the events committed since, in commit order.
// Access: the `read` scope (every GET /api route needs it).
//
// Thread-safety: stateless; safe from any thread (BillingService is).
#pragma once

#include "billing/service.h"
#include "http/server.h"

namespace billing::http {

inline constexpr int kEventPageMax = 100;

HttpResponse EventListResponse(BillingService& service, const HttpRequest& request);

// The JSON of one event as the list shows it.
nlohmann::json EventJson(const Event& e);

}  // namespace billing::http
