// The MCP server's older transport, HTTP with server-sent events (MCP 2024-11-05), which the
// Studio's ready-made client snippets name (docs/mcp.md "SSE transport"): GET
// /api/mcp/<id>/sse opens a stream whose first event, `endpoint`, names the URL to POST
// messages to (/api/mcp/<id>/messages?sessionId=<id>); each POST is answered 202 and its
// JSON-RPC response arrives on the stream as a `message` event.
//
// McpSseSessions keeps the open streams. Bounds: at most `capacity` sessions and `per_owner`
// per caller (a new stream beyond either is refused, 503), at most kMaxOutbox undelivered
// messages per session (a POST beyond it is refused, 503), a keep-alive comment every
// kKeepAliveMs (which is also how a client gone away is noticed), and each stream ends after
// kMaxSessionMs (the client opens another). Only the caller that opened a session may post to
// it.
//
// Thread-safety: McpSseSessions is safe to use from any thread. A session's stream runs on its
// connection's strand; Deliver() wakes it by posting to that strand.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include <utility>  // before boost: 1.74 awaitable.hpp needs std::exchange

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

#include "common/clock.h"
#include "common/result.h"
#include "http/server.h"

namespace billing::http {

class McpSseSessions {
 public:
  static constexpr size_t kMaxOutbox = 64;
  static constexpr int64_t kKeepAliveMs = 15'000;
  static constexpr int64_t kMaxSessionMs = 60 * 60 * 1000;

  explicit McpSseSessions(RandomSource& random, size_t capacity = 64, size_t per_owner = 8);

  struct Session {
    std::string id;
    std::string owner;
    boost::asio::any_io_executor executor;  // the stream's strand
    std::mutex mu;
    std::deque<std::string> outbox;             // guarded by mu: SSE events not yet written
    boost::asio::steady_timer* wake = nullptr;  // the stream's wait; touched on `executor` only
  };

  // A new session of `owner` whose stream runs on `executor`; null when a bound is reached.
  std::shared_ptr<Session> Open(const std::string& owner, boost::asio::any_io_executor executor);
  // The open session `id` of `owner`; null when there is none (or another caller's).
  std::shared_ptr<Session> Find(const std::string& id, const std::string& owner) const;
  void Close(const std::string& id);
  // Queues `event` (a whole SSE event) for the session's stream and wakes it; kUnavailable when
  // its outbox is full.
  Status Deliver(const std::shared_ptr<Session>& session, std::string event);

  // Serves one session's stream until the client goes away or kMaxSessionMs passes: the
  // `endpoint` event naming `messages_path`?sessionId=<id>, then the delivered events and
  // keep-alives. Begins the HTTP response itself; closes the session at the end.
  boost::asio::awaitable<void> Serve(std::shared_ptr<Session> session, std::string messages_path,
                                     HttpResponseHeader header, ResponseStream& stream);

  size_t size() const;

 private:
  RandomSource& random_;
  const size_t capacity_;
  const size_t per_owner_;
  mutable std::mutex mu_;
  std::map<std::string, std::shared_ptr<Session>> sessions_;  // guarded by mu_
};

// `payload` (one JSON-RPC message, compact JSON) as an SSE `message` event.
std::string McpSseMessageEvent(std::string_view payload);

}  // namespace billing::http
