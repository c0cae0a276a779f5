#include "agent/tool_runner.h"

#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace billing {

namespace net = boost::asio;

ToolRunner::ToolRunner(size_t write_threads) {
  if (write_threads > 0) pool_ = std::make_unique<net::thread_pool>(write_threads);
}

ToolRunner::~ToolRunner() {
  if (pool_) pool_->join();
}

net::awaitable<nlohmann::json> ToolRunner::Run(const Tool& tool, const nlohmann::json& args,
                                               const ToolContext& ctx) const {
  if (!pool_ || !tool.Writes(args)) co_return tool.Execute(args, ctx);
  auto home = co_await net::this_coro::executor;
  co_await net::post(pool_->get_executor(), net::use_awaitable);  // now on a pool thread
  nlohmann::json result = tool.Execute(args, ctx);
  co_await net::post(home, net::use_awaitable);  // back on the caller's executor
  co_return result;
}

}  // namespace billing
