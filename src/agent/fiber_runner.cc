// RunOnFiber's fiber; see fiber_runner.h.
//
// Every resumption of a fiber runs as a handler of one strand, and a wait's completion handler
// is bound to that strand too: a socket that becomes readable while the fiber is still switching
// out cannot resume it on another I/O thread before the switch has finished.
#include "agent/fiber_runner.h"

#include <cassert>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <new>
#include <vector>

#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/context/fiber.hpp>
#include <boost/context/stack_context.hpp>

#include "store/wait_hook.h"

namespace billing::fiber_detail {
namespace {

namespace ctx = boost::context;
namespace net = boost::asio;

// Fiber stacks are kept for reuse, up to kKeptStacks: a new stack per request cost a large
// allocation and its release (and fresh pages to fault in) each time.
constexpr size_t kKeptStacks = 64;

class StackPool {
 public:
  ctx::stack_context allocate() {
    void* base = nullptr;
    {
      std::lock_guard lock(mu_);
      if (!kept_.empty()) {
        base = kept_.back();
        kept_.pop_back();
      }
    }
    if (base == nullptr) base = std::malloc(kFiberStackBytes);
    if (base == nullptr) throw std::bad_alloc();
    ctx::stack_context stack;
    stack.size = kFiberStackBytes;
    stack.sp = static_cast<char*>(base) + kFiberStackBytes;  // stacks grow down
    return stack;
  }
  void deallocate(ctx::stack_context& stack) noexcept {
    assert(stack.size == kFiberStackBytes);
    void* base = static_cast<char*>(stack.sp) - kFiberStackBytes;
    {
      std::lock_guard lock(mu_);
      if (kept_.size() < kKeptStacks) {
        kept_.push_back(base);
        return;
      }
    }
    std::free(base);
  }

 private:
  std::mutex mu_;
  std::vector<void*> kept_;  // at most kKeptStacks
};

StackPool& Stacks() {
  static StackPool* pool = new StackPool();  // never destroyed: fibers may end during exit
  return *pool;
}

// The allocator Boost.Context asks for a stack and gives it back to; it borrows from Stacks().
struct PooledStack {
  ctx::stack_context allocate() { return Stacks().allocate(); }
  void deallocate(ctx::stack_context& stack) noexcept { Stacks().deallocate(stack); }
};

class Fiber final : public WaitHook, public std::enable_shared_from_this<Fiber> {
 public:
  Fiber(const net::any_io_executor& executor, std::function<void()> body,
        std::function<void()> done)
      : executor_(executor),
        strand_(net::make_strand(executor)),
        body_(std::move(body)),
        done_(std::move(done)) {}

  void Launch() {
    fiber_ = ctx::fiber(std::allocator_arg, PooledStack(), [this](ctx::fiber&& caller) {
      caller_ = std::move(caller);
      body_();  // never throws: RunOnFiber catches everything
      finished_ = true;
      return std::move(caller_);
    });
    net::post(strand_, [self = shared_from_this()] { self->Resume(); });
  }

  void WaitReadable(int fd) override {
    // Watches the connection's socket without owning it: released before it is destroyed.
    net::posix::stream_descriptor socket(strand_, fd);
    socket.async_wait(
        net::posix::stream_descriptor::wait_read,
        [self = shared_from_this()](const boost::system::error_code&) { self->Resume(); });
    Suspend();
    socket.release();
  }

  bool WaitFor(int fd, bool write, int timeout_ms) override {
    // Two handlers race to resume the fiber; the first wins, the other (cancelled) finds its
    // generation over and does nothing.
    const uint64_t generation = ++generation_;
    bool ready = false;
    net::posix::stream_descriptor socket(strand_, fd);
    net::steady_timer timer(strand_, std::chrono::milliseconds(timeout_ms));
    socket.async_wait(
        write ? net::posix::stream_descriptor::wait_write
              : net::posix::stream_descriptor::wait_read,
        [self = shared_from_this(), generation, &ready](const boost::system::error_code& error) {
          if (self->generation_ != generation) return;
          ++self->generation_;
          ready = !error;
          self->Resume();
        });
    timer.async_wait([self = shared_from_this(), generation](const boost::system::error_code&) {
      if (self->generation_ != generation) return;
      ++self->generation_;
      self->Resume();
    });
    Suspend();
    timer.cancel();
    socket.release();  // cancels the socket's wait if the timer won
    return ready;
  }

  void Sleep(int ms) override {
    net::steady_timer timer(strand_, std::chrono::milliseconds(ms));
    timer.async_wait(
        [self = shared_from_this()](const boost::system::error_code&) { self->Resume(); });
    Suspend();
  }

 private:
  // On the strand: runs the fiber until it waits or returns.
  void Resume() {
    WaitHook*& slot = CurrentWaitHook();
    WaitHook* const previous = slot;
    slot = this;
    fiber_ = std::move(fiber_).resume();
    slot = previous;
    if (finished_) net::post(executor_, std::move(done_));
  }
  // On the fiber: back to Resume's caller until a wait's handler resumes it.
  void Suspend() { caller_ = std::move(caller_).resume(); }

  net::any_io_executor executor_;
  net::strand<net::any_io_executor> strand_;
  std::function<void()> body_;
  std::function<void()> done_;
  ctx::fiber fiber_;
  ctx::fiber caller_;
  bool finished_ = false;
  uint64_t generation_ = 0;  // of the WaitFor in progress; touched on the strand only
};

}  // namespace

void Start(const net::any_io_executor& executor, std::function<void()> body,
           std::function<void()> done) {
  std::make_shared<Fiber>(executor, std::move(body), std::move(done))->Launch();
}

}  // namespace billing::fiber_detail
