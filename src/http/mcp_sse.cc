#include "http/mcp_sse.h"

#include <chrono>
#include <utility>

#include <spdlog/spdlog.h>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "common/uuid.h"

// GCC 12 with optimisation reports a false -Wmismatched-new-delete on Boost 1.74's coroutine
// frames (agent/agent.cc).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

namespace billing::http {

McpSseSessions::McpSseSessions(RandomSource& random, size_t capacity, size_t per_owner)
    : random_(random), capacity_(capacity), per_owner_(per_owner) {}

std::shared_ptr<McpSseSessions::Session> McpSseSessions::Open(
    const std::string& owner, boost::asio::any_io_executor executor) {
  auto session = std::make_shared<Session>();
  session->id = NewUuid(random_);
  session->owner = owner;
  session->executor = std::move(executor);
  std::lock_guard lock(mu_);
  if (sessions_.size() >= capacity_) return nullptr;
  size_t owned = 0;
  for (const auto& [id, s] : sessions_) owned += s->owner == owner;
  if (owned >= per_owner_) return nullptr;
  sessions_.emplace(session->id, session);
  return session;
}

std::shared_ptr<McpSseSessions::Session> McpSseSessions::Find(const std::string& id,
                                                              const std::string& owner) const {
  std::lock_guard lock(mu_);
  auto it = sessions_.find(id);
  if (it == sessions_.end() || it->second->owner != owner) return nullptr;
  return it->second;
}

void McpSseSessions::Close(const std::string& id) {
  std::lock_guard lock(mu_);
  sessions_.erase(id);
}

size_t McpSseSessions::size() const {
  std::lock_guard lock(mu_);
  return sessions_.size();
}

Status McpSseSessions::Deliver(const std::shared_ptr<Session>& session, std::string event) {
  {
    std::lock_guard lock(session->mu);
    if (session->outbox.size() >= kMaxOutbox) {
      return Error{ErrorCode::kUnavailable,
                   "this session has too many undelivered messages; nothing was run",
                   {}};
    }
    session->outbox.push_back(std::move(event));
  }
  // On the stream's strand: either before its next look at the outbox, or it wakes its wait.
  boost::asio::post(session->executor, [session] {
    if (session->wake != nullptr) session->wake->cancel();
  });
  return OkStatus();
}

boost::asio::awaitable<void> McpSseSessions::Serve(std::shared_ptr<Session> session,
                                                   std::string messages_path,
                                                   HttpResponseHeader header,
                                                   ResponseStream& stream) {
  Status began = co_await stream.Begin(std::move(header));
  std::string endpoint =
      "event: endpoint\ndata: " + messages_path + "?sessionId=" + session->id + "\n\n";
  Status written = began;
  if (written.ok()) written = co_await stream.Write(endpoint);
  boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor);
  session->wake = &timer;
  const auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(kMaxSessionMs);
  // Bounded: each round writes or waits at most kKeepAliveMs, until kMaxSessionMs.
  while (written.ok() && std::chrono::steady_clock::now() < end) {
    std::deque<std::string> events;
    {
      std::lock_guard lock(session->mu);
      events.swap(session->outbox);
    }
    for (std::string& event : events) {
      written = co_await stream.Write(event);
      if (!written.ok()) break;
    }
    if (!written.ok() || !events.empty()) continue;
    timer.expires_after(std::chrono::milliseconds(kKeepAliveMs));
    boost::system::error_code ec;
    co_await timer.async_wait(boost::asio::redirect_error(boost::asio::use_awaitable, ec));
    if (!ec) written = co_await stream.Write(": keep-alive\n\n");  // not woken: nothing came
  }
  session->wake = nullptr;
  Close(session->id);
  if (written.ok()) {
    Status finished = co_await stream.Finish();
    (void)finished;
  }
  spdlog::info("mcp: SSE session {} of {} ended", session->id, session->owner);
}

std::string McpSseMessageEvent(std::string_view payload) {
  std::string event = "event: message\ndata: ";
  event.append(payload);
  event.append("\n\n");
  return event;
}

}  // namespace billing::http
