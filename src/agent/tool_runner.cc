#include "agent/tool_runner.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace billing {

namespace net = boost::asio;

ToolRunner::ToolRunner(size_t write_threads, bool reads_block) : reads_block_(reads_block) {
  if (write_threads > 0) pool_ = std::make_unique<net::thread_pool>(write_threads);
}

ToolRunner::~ToolRunner() {
  Join();
}

void ToolRunner::Join() {
  if (pool_) pool_->join();
}

net::awaitable<nlohmann::json> ToolRunner::Run(const Tool& tool, const nlohmann::json& args,
                                               const ToolContext& ctx) const {
  if (!pool_) co_return tool.Execute(args, ctx);
  if (!tool.Writes(args)) {
    if (!reads_block_) co_return tool.Execute(args, ctx);
    co_return co_await RunOnFiber([&] { return tool.Execute(args, ctx); });
  }
  // The call runs as its own coroutine on the pool; the caller resumes on its own executor when it
  // completes. (A bare post(pool, use_awaitable) would resume the caller on its executor at once:
  // an awaitable always resumes on the executor of the coroutine that awaits.)
  nlohmann::json result = co_await net::co_spawn(
      pool_->get_executor(),
      [&tool, &args, &ctx]() -> net::awaitable<nlohmann::json> {
        co_return tool.Execute(args, ctx);
      },
      net::use_awaitable);
  co_return result;
}

}  // namespace billing
