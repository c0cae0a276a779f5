// Mastra's observability routes over the recent traces of agent runs (observability/
// trace_store.h; docs/observability.md):
//   GET /api/observability/traces?page&perPage&name&spanType&entityId&entityType&dateRange
//       -> {"spans": [root span records, newest first], "pagination": {total, page, perPage,
//       hasMore}}
//   GET /api/observability/traces/:traceId -> {"traceId", "spans": [every span, root first]}
// The span records are Mastra's AISpanRecord (observability/span.h SpanToMastraJson).
//
// Thread-safety: pure functions over a TraceStore, which synchronizes itself.
#pragma once

#include <string_view>

#include "http/server.h"
#include "observability/trace_store.h"

namespace billing::http {

inline constexpr size_t kMaxTracesPerPage = 100;

HttpResponse TraceListResponse(const observability::TraceStore& store, const HttpRequest& request);
HttpResponse TraceResponse(const observability::TraceStore& store, std::string_view trace_id);

}  // namespace billing::http
