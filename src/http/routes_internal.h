// Internal helpers of the HTTP routes, shared by the files that define them (mastra_routes.cc,
// stream_routes.cc, run_request.cc, memory_routes.cc, mcp_routes.cc): text for error messages and
// the answer for a run request that cannot run. Not part of the public API: include only from those
// files.
//
// Thread-safety: pure functions over values; safe to call from any thread.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "common/result.h"
#include "http/server.h"

namespace billing::http::internal {

// `text` cut to at most `max_bytes` (never inside a UTF-8 sequence), "..." marking a cut.
inline std::string Truncated(std::string_view text, size_t max_bytes) {
  if (text.size() <= max_bytes) return std::string(text);
  while (max_bytes > 0 && (static_cast<unsigned char>(text[max_bytes]) & 0xC0) == 0x80) {
    --max_bytes;
  }
  return std::string(text.substr(0, max_bytes)) + "...";
}

// Hono's answer for a path it has no route for (or a known path with another method).
inline HttpResponse NotFound() {
  HttpResponse response{boost::beast::http::status::not_found, 11};
  response.set(boost::beast::http::field::content_type, "text/plain; charset=UTF-8");
  response.body() = "404 Not Found";
  return response;
}

// A run request that cannot run: 403 when the caller may not claim the end user it names
// (act_on_behalf), else 400 with the rule.
inline HttpResponse RunRequestError(const Error& error) {
  if (error.code == ErrorCode::kPermissionDenied) {
    return JsonError(boost::beast::http::status::forbidden, error.message);
  }
  return JsonError(boost::beast::http::status::bad_request, error.message);
}

// The header of a server-sent-events answer: 200 text/event-stream, no caching, no proxy
// buffering, the request id.
inline HttpResponseHeader EventStreamHeader(const HttpRequest& request,
                                            std::string_view request_id) {
  namespace bhttp = boost::beast::http;
  HttpResponseHeader header;
  header.version(request.version());
  header.result(bhttp::status::ok);
  header.set(bhttp::field::content_type, "text/event-stream");
  header.set(bhttp::field::cache_control, "no-cache");
  header.set("x-accel-buffering", "no");
  header.set("x-request-id", request_id);
  return header;
}

// requireToolApproval on a route that cannot stop for it (all but /stream).
inline HttpResponse ApprovalNeedsStream() {
  return JsonError(
      boost::beast::http::status::bad_request,
      "requireToolApproval is supported on /stream only: the run stops there before "
      "each tool call until /approve-tool-call or /decline-tool-call; nothing was run");
}

}  // namespace billing::http::internal
