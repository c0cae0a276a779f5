// The route template of a request target, for metrics labels (observability/metrics.h):
// "/api/v1/invoices/INV-2026-001/pay?x=1" -> "/api/v1/invoices/:id/pay". Segments that are words
// of our routes stay; any other segment (an id, a key, a file name) becomes ":id"; a path of more
// than kMaxRouteLabelSegments segments is "/other". So the label's values are bounded whatever
// clients send.
//
// Thread-safety: a pure function over constant data.
#pragma once

#include <string>
#include <string_view>

namespace billing::http {

inline constexpr size_t kMaxRouteLabelSegments = 8;

std::string RouteLabel(std::string_view target);

}  // namespace billing::http
