// WaitHook: how a store call waits for its database socket. Without one (the default) the calling
// thread blocks, inside libpq. Code that runs store calls on a fiber of an I/O thread
// (agent/fiber_runner.h) installs a hook while the fiber runs, so that a wait suspends the fiber
// and the I/O thread serves other requests until the socket is ready: a request waiting on the
// database then costs its fiber's stack, not a thread, and no thread is woken to hand it over.
// Only the PostgreSQL backend waits on a socket (store/postgres/pg_connection.cc); SQLite never
// consults the hook.
//
// Thread-safety: the hook slot is per thread (thread_local); the fiber runner sets it on every
// resumption of a fiber and restores it when the fiber suspends.
#pragma once

namespace billing {

class WaitHook {
 public:
  virtual ~WaitHook() = default;
  // Returns once `fd` is readable (or has failed: the caller reads and finds out).
  virtual void WaitReadable(int fd) = 0;
  // Returns true once `fd` is readable (`write` false) or writable (`write` true), false when
  // `timeout_ms` passed first. For waits the server does not bound itself (connecting).
  virtual bool WaitFor(int fd, bool write, int timeout_ms) = 0;
  // Returns after about `ms` milliseconds.
  virtual void Sleep(int ms) = 0;
};

// The hook of the code running on this thread now; nullptr = block the thread.
WaitHook*& CurrentWaitHook();

}  // namespace billing
