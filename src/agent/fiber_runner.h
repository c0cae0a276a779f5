// RunOnFiber: runs a function that may wait on a database socket on a fiber (a stackful
// coroutine, Boost.Context) of the calling coroutine's executor, with a WaitHook installed
// (store/wait_hook.h): every wait for the database suspends the fiber and registers the socket
// with the executor's reactor, so the I/O thread serves other requests meanwhile and no other
// thread is woken to hand the call over. The calling coroutine resumes with the function's
// result when it returns.
//
// Why a fiber and not a C++20 coroutine: the services and the Store interface are synchronous
// (a StoreTx call returns its rows); a fiber lets them wait without a thread of their own and
// without changing every call between the tool and the connection.
//
// Use it only for calls whose every wait goes through the WaitHook (the PostgreSQL stores: their
// queries, connects, pool waits and group-commit waits do): anything else blocking inside `fn`
// (a condition variable, SQLite's group commit) would block the I/O thread. Bounds: one fiber
// per request in flight, each with a stack of kFiberStackBytes (up to 64 kept for reuse).
//
// Thread-safety: may be called from any number of coroutines at once; a fiber resumes on any
// thread of the executor, one thread at a time.
#pragma once

#include <cstddef>
#include <exception>
#include <functional>
#include <optional>
#include <type_traits>
#include <utility>  // before asio: Boost 1.74's awaitable.hpp uses std::exchange

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace billing {

inline constexpr size_t kFiberStackBytes = 512 * 1024;

namespace fiber_detail {

// Runs `body` on a new fiber on `executor`; `done` is posted to the executor when it returns.
void Start(const boost::asio::any_io_executor& executor, std::function<void()> body,
           std::function<void()> done);

}  // namespace fiber_detail

template <typename Fn>
boost::asio::awaitable<std::invoke_result_t<Fn&>> RunOnFiber(Fn fn) {
  using R = std::invoke_result_t<Fn&>;
  namespace net = boost::asio;
  const net::any_io_executor executor = co_await net::this_coro::executor;
  std::optional<std::conditional_t<std::is_void_v<R>, bool, R>> result;
  std::exception_ptr failure;
  co_await net::async_initiate<decltype(net::use_awaitable), void()>(
      [&](auto handler) {
        // The handler is move-only; the fiber's completion owns it through a shared slot.
        auto slot = std::make_shared<decltype(handler)>(std::move(handler));
        fiber_detail::Start(
            executor,
            [&] {
              try {
                if constexpr (std::is_void_v<R>) {
                  fn();
                  result.emplace(true);
                } else {
                  result.emplace(fn());
                }
              } catch (...) {
                failure = std::current_exception();
              }
            },
            [slot] { (*slot)(); });
      },
      net::use_awaitable);
  if (failure) std::rethrow_exception(failure);
  if constexpr (!std::is_void_v<R>) co_return std::move(*result);
}

}  // namespace billing
