// ToolRunner: writes run on the write pool, never on the calling (I/O) thread, and the caller
// resumes on its own executor with the result; with no pool threads everything runs inline.
#include "agent/tool_runner.h"

#include <gtest/gtest.h>

#include <string>
#include <thread>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

namespace billing {
namespace {

namespace net = boost::asio;

// Where each step ran, seen from one coroutine on a one-thread io_context (an "I/O thread").
struct Seen {
  std::thread::id caller, write, resumed;
  std::string value;
  bool void_write_ran = false;
};

Seen RunOnIoThread(const ToolRunner& runner) {
  net::io_context io;
  Seen seen;
  auto done = net::co_spawn(
      io,
      [&]() -> net::awaitable<void> {
        seen.caller = std::this_thread::get_id();
        seen.value = co_await runner.RunWrite([&] {
          seen.write = std::this_thread::get_id();
          return std::string("committed");
        });
        co_await runner.RunWrite([&] { seen.void_write_ran = true; });
        seen.resumed = std::this_thread::get_id();
      },
      net::use_future);
  io.run();
  done.get();
  return seen;
}

TEST(ToolRunnerTest, WritesRunOnThePoolAndTheCallerResumesOnItsOwnThread) {
  ToolRunner runner(4);
  const Seen seen = RunOnIoThread(runner);
  EXPECT_EQ(seen.value, "committed");
  EXPECT_TRUE(seen.void_write_ran);
  EXPECT_NE(seen.write, seen.caller);
  EXPECT_EQ(seen.resumed, seen.caller);
}

TEST(ToolRunnerTest, WithoutPoolThreadsWritesRunInline) {
  ToolRunner runner(0);
  const Seen seen = RunOnIoThread(runner);
  EXPECT_EQ(seen.value, "committed");
  EXPECT_TRUE(seen.void_write_ran);
  EXPECT_EQ(seen.write, seen.caller);
}

}  // namespace
}  // namespace billing
