// ToolRunner: runs tool calls, and other durable writes, for coroutines. A call that changes the
// ledger (Tool::Writes) waits for its group commit (store/sqlite/sqlite_util.h: the fsync of the
// group it joins), so it runs on a bounded pool of blocking threads: the I/O threads keep serving,
// and as many writes as the pool has threads can wait for the same fsync, which is what lets group
// commit batch them. Reads run inline on the calling coroutine's thread (no thread hop on the hot
// path).
// RunWrite does the same for any other blocking write (conversation memory, stored idempotent
// responses): on an I/O thread each would stall every connection of that thread for an fsync,
// and at most one write per I/O thread could share a commit.
// With `reads_block` (a database across the network, Store::ReadsWaitOnNetwork: PostgreSQL)
// reads, tool calls and RunRead alike, run on a fiber of the calling I/O thread
// (agent/fiber_runner.h): every wait for the database suspends the fiber and the I/O thread
// serves other requests, so a request waiting on the database costs a fiber's stack, never a
// thread, and no thread is woken to hand it over. Without it (SQLite: a read is a local
// page-cache lookup) reads run inline.
//
// Thread-safety: Run may be called from any number of coroutines at once.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <type_traits>
#include <utility>  // before asio: Boost 1.74's awaitable.hpp uses std::exchange

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <nlohmann/json.hpp>

#include "agent/fiber_runner.h"
#include "tools/tool.h"

namespace billing {

class ToolRunner {
 public:
  // write_threads = 0: every call runs inline. reads_block: reads run on the pool too.
  explicit ToolRunner(size_t write_threads, bool reads_block = false);
  ~ToolRunner();  // waits for calls in progress

  // Waits for the calls in progress and stops the pool. Call it when the I/O threads have stopped
  // and before the stores the calls use are destroyed (a forced shutdown leaves writes running).
  void Join();
  ToolRunner(const ToolRunner&) = delete;
  ToolRunner& operator=(const ToolRunner&) = delete;

  // Executes `tool` and resumes the caller on its own executor. `args` and `ctx` must stay valid
  // until the call completes (they live in the caller's coroutine frame).
  boost::asio::awaitable<nlohmann::json> Run(const Tool& tool, const nlohmann::json& args,
                                             const ToolContext& ctx) const;

  bool reads_block() const { return reads_block_; }

  // Calls `fn` (a function that blocks on a durable write) on the write pool, or inline when the
  // pool has no threads, and resumes the caller on its own executor with fn's result. What `fn`
  // refers to must stay valid until it returns (the caller's coroutine frame waits for it).
  template <typename Fn>
  boost::asio::awaitable<std::invoke_result_t<Fn&>> RunWrite(Fn fn) const {
    using R = std::invoke_result_t<Fn&>;
    namespace net = boost::asio;
    if (!pool_) co_return fn();
    if constexpr (std::is_void_v<R>) {
      co_await net::co_spawn(
          pool_->get_executor(),
          [&fn]() -> net::awaitable<void> {
            fn();
            co_return;
          },
          net::use_awaitable);
    } else {
      std::optional<R> result;
      co_await net::co_spawn(
          pool_->get_executor(),
          [&fn, &result]() -> net::awaitable<void> {
            result.emplace(fn());
            co_return;
          },
          net::use_awaitable);
      co_return std::move(*result);
    }
  }

  // Calls `fn` (a function that reads from a store) on a fiber when reads block, else inline.
  template <typename Fn>
  boost::asio::awaitable<std::invoke_result_t<Fn&>> RunRead(Fn fn) const {
    if (!reads_block_ || !pool_) co_return fn();
    co_return co_await RunOnFiber(std::move(fn));
  }

 private:
  std::unique_ptr<boost::asio::thread_pool> pool_;
  bool reads_block_ = false;
};

// runner->RunWrite(fn), or fn inline when there is no runner (servers built without one in tests).
template <typename Fn>
boost::asio::awaitable<std::invoke_result_t<Fn&>> RunWriteOn(const ToolRunner* runner, Fn fn) {
  if (runner != nullptr) co_return co_await runner->RunWrite(std::move(fn));
  co_return fn();
}

// runner->RunRead(fn), or fn inline when there is no runner.
template <typename Fn>
boost::asio::awaitable<std::invoke_result_t<Fn&>> RunReadOn(const ToolRunner* runner, Fn fn) {
  if (runner != nullptr) co_return co_await runner->RunRead(std::move(fn));
  co_return fn();
}

}  // namespace billing
