// RunOnFiber: a function that waits through the thread's WaitHook (store/wait_hook.h) suspends
// its fiber, and the one I/O thread serves other work meanwhile; the caller gets the result or
// the exception; the hook is only installed while the fiber runs.
#include "agent/fiber_runner.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <functional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_future.hpp>

#include "store/postgres/pg_connection.h"
#include "store/wait_hook.h"

namespace billing {
namespace {

namespace net = boost::asio;

TEST(FiberRunnerTest, AWaitSuspendsTheFiberAndTheThreadServesOthers) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  net::io_context io;  // run by this thread alone: the "I/O thread"
  std::vector<std::string> order;
  bool hook_outside = true;
  auto done = net::co_spawn(
      io,
      [&]() -> net::awaitable<std::string> {
        std::string got = co_await RunOnFiber([&] {
          WaitHook* hook = CurrentWaitHook();
          EXPECT_NE(hook, nullptr);
          order.push_back("fiber waits");
          // Another handler writes to the pipe: it can only run while the fiber is suspended.
          net::post(io, [&] {
            order.push_back("other work");
            EXPECT_EQ(::write(fds[1], "x", 1), 1);
          });
          hook->WaitReadable(fds[0]);
          char c = 0;
          EXPECT_EQ(::read(fds[0], &c, 1), 1);
          hook->Sleep(1);
          order.push_back("fiber resumed");
          return std::string(1, c);
        });
        hook_outside = CurrentWaitHook() == nullptr;
        co_return got;
      },
      net::use_future);
  io.run();
  EXPECT_EQ(done.get(), "x");
  EXPECT_EQ(order, (std::vector<std::string>{"fiber waits", "other work", "fiber resumed"}));
  EXPECT_TRUE(hook_outside);
  EXPECT_EQ(CurrentWaitHook(), nullptr);
  ::close(fds[0]);
  ::close(fds[1]);
}

TEST(FiberRunnerTest, AnExceptionReachesTheCaller) {
  net::io_context io;
  auto done = net::co_spawn(
      io,
      []() -> net::awaitable<int> {
        co_return co_await RunOnFiber([]() -> int { throw std::runtime_error("boom"); });
      },
      net::use_future);
  io.run();
  EXPECT_THROW(done.get(), std::runtime_error);
}

TEST(FiberRunnerTest, ManyFibersOnTwoThreadsEachGetTheirOwnResult) {
  net::io_context io;
  std::vector<std::future<int>> results;
  for (int k = 0; k < 200; ++k) {
    results.push_back(net::co_spawn(
        io,
        [k]() -> net::awaitable<int> {
          co_return co_await RunOnFiber([k] {
            CurrentWaitHook()->Sleep(1);
            return k * 2;
          });
        },
        net::use_future));
  }
  std::thread second([&] { io.run(); });
  io.run();
  second.join();
  for (int k = 0; k < 200; ++k) EXPECT_EQ(results[k].get(), k * 2);
}

TEST(FiberRunnerTest, ABoundedWaitEndsAtItsTimeoutOrWhenTheSocketIsReady) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  net::io_context io;
  auto done = net::co_spawn(
      io,
      [&]() -> net::awaitable<std::vector<bool>> {
        co_return co_await RunOnFiber([&] {
          WaitHook* hook = CurrentWaitHook();
          std::vector<bool> ready;
          ready.push_back(hook->WaitFor(fds[0], false, 5));    // nothing to read: times out
          ready.push_back(hook->WaitFor(fds[1], true, 5000));  // an empty pipe takes a write
          EXPECT_EQ(::write(fds[1], "x", 1), 1);
          ready.push_back(hook->WaitFor(fds[0], false, 5000));  // now readable
          hook->Sleep(20);  // the losing handlers of the waits above must not resume the fiber
          ready.push_back(hook->WaitFor(fds[0], false, 5));  // still readable: at once
          return ready;
        });
      },
      net::use_future);
  io.run();
  EXPECT_EQ(done.get(), (std::vector<bool>{false, true, true, true}));
  ::close(fds[0]);
  ::close(fds[1]);
}

TEST(FiberRunnerTest, ConnectingToAServerThatNeverAnswersSuspendsTheFiberUntilItsTimeout) {
  // A listening socket nobody accepts on: the kernel completes the handshake, libpq sends its
  // startup packet and waits for an answer that never comes.
  const int listener = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(listener, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  ASSERT_EQ(::listen(listener, 4), 0);
  socklen_t length = sizeof address;
  ASSERT_EQ(::getsockname(listener, reinterpret_cast<sockaddr*>(&address), &length), 0);
  const std::string url =
      "postgresql://nobody@127.0.0.1:" + std::to_string(ntohs(address.sin_port)) + "/none";

  net::io_context io;  // one I/O thread
  int ticks = 0;
  bool connecting = true;
  net::steady_timer tick(io);
  std::function<void()> schedule = [&] {
    tick.expires_after(std::chrono::milliseconds(50));
    tick.async_wait([&](const boost::system::error_code&) {
      ++ticks;
      if (connecting) schedule();
    });
  };
  schedule();
  auto done = net::co_spawn(
      io,
      [&]() -> net::awaitable<std::string> {
        auto opened = co_await RunOnFiber([&] { return pg::PgConnection::Open(url, 1); });
        connecting = false;
        co_return opened.ok() ? std::string("connected") : opened.error().message;
      },
      net::use_future);
  io.run();
  EXPECT_NE(done.get().find("timeout expired"), std::string::npos);
  EXPECT_GE(ticks, 10);  // the thread kept serving others for the whole second
  ::close(listener);
}

}  // namespace
}  // namespace billing
