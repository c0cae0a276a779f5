// ToolRunner: runs tool calls for coroutines. A call that changes the ledger (Tool::Writes) waits
// for its group commit (store/sqlite_util.h: the fsync of the group it joins), so it runs on a
// bounded pool of blocking threads: the I/O threads keep serving, and as many writes as the pool
// has threads can wait for the same fsync, which is what lets group commit batch them. Reads run
// inline on the calling coroutine's thread (no thread hop on the hot path).
//
// Thread-safety: Run may be called from any number of coroutines at once.
#pragma once

#include <cstddef>
#include <memory>
#include <utility>  // before asio: Boost 1.74's awaitable.hpp uses std::exchange

#include <boost/asio/awaitable.hpp>
#include <boost/asio/thread_pool.hpp>
#include <nlohmann/json.hpp>

#include "tools/tool.h"

namespace billing {

class ToolRunner {
 public:
  // write_threads = 0: every call runs inline.
  explicit ToolRunner(size_t write_threads);
  ~ToolRunner();  // waits for calls in progress
  ToolRunner(const ToolRunner&) = delete;
  ToolRunner& operator=(const ToolRunner&) = delete;

  // Executes `tool` and resumes the caller on its own executor. `args` and `ctx` must stay valid
  // until the call completes (they live in the caller's coroutine frame).
  boost::asio::awaitable<nlohmann::json> Run(const Tool& tool, const nlohmann::json& args,
                                             const ToolContext& ctx) const;

 private:
  std::unique_ptr<boost::asio::thread_pool> pool_;
};

}  // namespace billing
